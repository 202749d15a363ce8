#include "fcgiserve.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgiheader.h"
#include "clock.h"
#include "confcache.h"
#include "decide.h"
#include "fcgirec.h"
#include "log.h"
#include "ratelimit.h"
#include "request.h"
#include "response.h"
#include "script.h"
#include "spool.h"

/* One whole record fits: header, 65535 bytes of content, 255 of padding. */
#define IN_SIZE		(FCGI_HEADER_LEN + 65535 + 255 + 1024)
#define PARAMS_INIT	16384		/* FCGI_PARAMS buffer, grown as */
#define PARAMS_MAX	((size_t)1024 * 1024)	/* needed up to this */
#define PARAMS_COUNT_MAX 1024
#define READ_CHUNK	32768		/* script output per read */
#define OUT_HIGH	((size_t)256 * 1024)	/* stop reading the script above */
#define KILL_GRACE_MS	2000		/* SIGTERM, then SIGKILL */
#define GATEWAY_WAIT_MS	1000		/* for the exit status of a failure */
#define LINGER_MAX	1024
/* An answer given before the whole body arrived (an error, a preflight)
 * on a connection that is not kept: closing at once breaks the server's
 * write of the rest (Apache answers 503, nginx 502), but nginx also stops
 * sending and waits for the close.  So the rest is read and dropped until
 * the body's end, the server pausing, or a limit. */
#define DRAIN_MS	30000
#define DRAIN_QUIET_MS	200
#define DEFAULT_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"
/* On SIGTERM, a connection whose request has not started (no request, or
 * PARAMS unfinished) waits for its peer this long at most, not -i. */
#define STOP_IDLE_MS	1000
/* Lines about peers cut off for silence, and accept failures: a minute's
 * worth at most, the rest counted. */
#define BOUND_LOG_RATE	60
/* accept(2) out of descriptors (or memory): the connection stays queued
 * and the listener readable, so the worker stops watching it this long,
 * or until one of its connections closes. */
#define ACCEPT_PAUSE_MS	250
/* A script held back at the spool's bound (-b, -B) is looked at this
 * often; when it also leaves its input unread this long, with its output
 * pipe full, each waits for the other and the request fails. */
#define SPOOL_CHECK_MS	250
#define SPOOL_STALL_MS	2000
/*
 * Starting a script stops the loop until the script has exec'ed
 * (posix_spawn's child shares the worker's memory): 1.5 ms at the median,
 * 5 ms at the 90th percentile and up to 20 ms on a loaded 2-core machine
 * (strace -T, 600 scripts).  At most this many start between two looks at
 * the other connections, so that a preflight waits for a few, not for a
 * burst: with 600 requests queued, preflights took 78-120 ms at the 99th
 * percentile and 140 ms at most with 2 (load average 11), 220-320 ms and
 * 570 ms with 8, and one waited 6.3 s when every script started at once.
 */
#define SPAWN_BATCH	2
#define RETRY_AFTER	"Retry-After: 2\r\n"	/* in a 503 past the queue */
/* Closed connections whose buffers (some 280 KiB each) are kept for the
 * next ones; the rest are freed, and the heap given back to the system
 * once the worker has been quiet that long. */
#define SPARE_KEEP	16
#define TRIM_QUIET_MS	1000

enum ev_kind {
	EV_LISTEN,
	EV_SIGNAL,
	EV_CONN,
	EV_SIN,
	EV_SOUT,
	EV_SERR
};

struct ev {
	enum ev_kind	 kind;
	struct conn	*c;
	int		 fd;
	uint32_t	 events;	/* as registered */
};

struct worker;

enum end_wait {
	END_NOW,	/* the script has not closed its output yet */
	END_WAITING,	/* it has: its exit status says how the answer ends */
	END_WAITED	/* no exit status came: the answer ends without it */
};

/* The request on a connection (no multiplexing), from FCGI_BEGIN_REQUEST
 * to FCGI_END_REQUEST.  The buffers stay with the connection and are
 * reused; fcgireq_reset clears the rest. */
struct fcgi_req {
	bool		 active;
	uint16_t	 id;
	bool		 keep;
	bool		 params_done;
	uint8_t		*params;
	size_t		 params_len, params_cap;
	char		**envp;
	char		*joined;	/* repeated fields joined (join_repeated) */
	size_t		 joined_cap;
	bool		 stdin_eof;	/* the empty FCGI_STDIN came */
	size_t		 stdin_off;	/* of the record being written */
	bool		 sent_any;	/* answer bytes queued to out */
	bool		 sent_stderr;
	struct confcache_entry *ce;
	const struct policy *pol;
	struct logger	 lg;
	struct request	 req;
	struct answer	 ans;

	/* Waiting for a script slot (-j): its body stays with the server. */
	bool		 queued;
	struct conn	*qprev, *qnext;
};

/* The request's script, from its start to its release.  "No descriptor"
 * is -1; the buffers and the spool stay with the connection and are
 * reused; fcgichild_reset clears the rest. */
struct fcgi_child {
	pid_t		 pid;
	bool		 exited;
	int		 wstatus;
	int		 sin, sout, serr;
	struct ev	 ev_in, ev_out, ev_err;
	bool		 header_done;
	char		*hbuf;
	size_t		 hlen;
	struct cgi_headers *h;
	struct spool	 spool;
	bool		 spool_ok;
	bool		 spool_held;	/* the script's output at -b or -B */
	long		 spool_stall;	/* ms: fails then, unless it moves */
	uint64_t	 body_in;	/* body bytes the script has read */
	uint64_t	 body_mark;	/* body_in when spool_stall was set */
	long		 deadline;	/* ms, monotonic; 0: none */
	long		 life_end;	/* ms, monotonic; 0: no limit */
	enum end_wait	 end_wait;	/* of the answer, for the exit */
	bool		 gw_pending;	/* 502 waits for the exit status */
	char		 gw_cause[160];
	char		 prog[128];
};

struct conn {
	struct worker	*w;
	struct conn	*prev, *next;	/* open connections, or free list */
	struct ev	 ev;
	int		 fd;

	uint8_t		*in;
	size_t		 in_len, in_off;
	uint8_t		*out;
	size_t		 out_len, out_off, out_cap;
	bool		 close_after;	/* close once out is written */
	bool		 draining;	/* reading a finished request's body */
	long		 heard;		/* ms: the peer last sent or read */
	uint16_t	 drain_id;
	long		 drain_deadline;
	long		 drain_quiet;

	struct fcgi_req	 rq;
	struct fcgi_child ch;
};

/*
 * A script that outlives its request, tracked until it is reaped.  Its
 * process group (its pid) is signalled, so its pid must stay its own: a
 * script's exit is noticed without reaping it (WNOWAIT), and a zombie
 * whose group still has to be stopped is reaped only after the group's
 * SIGKILL.  Until then no new process can get that pid as its own or as
 * its process group's id.
 */
enum linger_stage {
	LINGER_RUNS,		/* SIGTERM to the group at the deadline */
	LINGER_TERM_SENT,	/* SIGKILL to the group at the deadline */
	LINGER_KILL_SENT	/* reaped when it exits */
};

struct lingerer {
	pid_t		 pid;
	long		 deadline;
	enum linger_stage stage;
	bool		 ended;		/* a zombie, kept for the group */
};

struct worker {
	const struct fastcgi_opts *o;
	int		 ep;
	struct ev	 ev_listen, ev_sig;
	bool		 stopping;
	struct conn	*conns;		/* open */
	struct conn	*spare;		/* closed, buffers kept */
	unsigned	 nconns;
	unsigned	 nspare;
	long		 trim_at;	/* ms; 0: nothing to give back */
	unsigned	 nscripts;	/* running, or exited and not reaped */
	unsigned	 spawned;	/* in this turn of the loop */
	struct conn	*qhead, *qtail;	/* requests waiting for a slot */
	unsigned	 nqueued;
	bool		 accept_due;	/* the listener was readable */
	struct ratelimit busy_budget;	/* for the lines about 503s */
	struct confcache cache;
	struct logger	 lg;		/* the daemon's own log */
	struct lingerer	 linger[LINGER_MAX];
	size_t		 nlinger;
	char		 rbuf[READ_CHUNK];
	char		 pbuf[READ_CHUNK];
	char		 mbuf[CGI_HEADER_MAX + CGIHDR_MERGE_EXTRA];
	char		 resp[RESPONSE_MAX];
	char		 default_path[sizeof(DEFAULT_PATH)];
	struct ratelimit budget;	/* for lines about refused requests */
	struct ratelimit bound_budget;	/* for lines about bounds reached */
	long		 accept_resume;	/* ms; 0: accepting */
	uint64_t	 spooled;	/* bytes in all its spools */
};

static void	conn_close(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_process_records(struct conn *);
static void	fcgichild_finish(struct conn *);
static void	fcgichild_bad_gateway(struct conn *, const char *);
static void	worker_listen_watch(struct worker *);
static void	bound_note(struct worker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	describe_exit(int, char *, size_t);
static bool	fcgipipe_resume(struct conn *);

/* ---- epoll registration ---- */

static void
event_watch(struct worker *w, struct ev *e, int fd, uint32_t events)
{
	struct epoll_event	 ee;

	if (e->fd == fd && e->events == events)
		return;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = e;
	if (e->fd != fd) {
		if (e->fd != -1)
			epoll_ctl(w->ep, EPOLL_CTL_DEL, e->fd, NULL);
		e->fd = fd;
		e->events = events;
		if (fd != -1)
			epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ee);
		return;
	}
	e->events = events;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, fd, &ee);
}

static void
event_forget(struct worker *w, struct ev *e)
{
	if (e->fd != -1)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, e->fd, NULL);
	e->fd = -1;
	e->events = 0;
}

static void
event_close_fd(struct worker *w, struct ev *e, int *fd)
{
	if (*fd == -1)
		return;
	if (e->fd == *fd)
		event_forget(w, e);
	close(*fd);
	*fd = -1;
}

/* ---- the output buffer ---- */

static size_t
conn_out_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

static int
conn_out_reserve(struct conn *c, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n <= c->out_cap)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + n <= c->out_cap)
			return 0;
	}
	cap = c->out_cap == 0 ? 65536 : c->out_cap;
	while (cap < c->out_len + n)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* Queues data as records of one type; n == 0 queues the empty record
 * that ends a stream. */
static int
conn_send_records(struct conn *c, uint8_t type, uint16_t id, const void *data,
    size_t n)
{
	const char	*p = data;
	size_t		 chunk, pad;

	do {
		chunk = n > 65528 ? 65528 : n;
		pad = (8 - chunk % 8) % 8;
		if (conn_out_reserve(c, FCGI_HEADER_LEN + chunk + pad) == -1)
			return -1;
		fcgirec_put_header(c->out + c->out_len, type, id,
		    (uint16_t)chunk, (uint8_t)pad);
		c->out_len += FCGI_HEADER_LEN;
		if (chunk > 0)
			memcpy(c->out + c->out_len, p, chunk);
		memset(c->out + c->out_len + chunk, 0, pad);
		c->out_len += chunk + pad;
		p += chunk;
		n -= chunk;
	} while (n > 0);
	return 0;
}

static void
conn_send_stdout(struct conn *c, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (conn_send_records(c, FCGI_STDOUT, c->rq.id, data, n) == -1)
		c->close_after = true;
	c->rq.sent_any = true;
}

static void
conn_send_end(struct conn *c, uint16_t id, uint32_t app, uint8_t proto)
{
	if (conn_out_reserve(c, FCGI_END_REQUEST_LEN) == -1) {
		c->close_after = true;
		return;
	}
	fcgirec_end_request(c->out + c->out_len, id, app, proto);
	c->out_len += FCGI_END_REQUEST_LEN;
}

/* A request's log lines travel to the server as FCGI_STDERR, so they
 * land in its error log next to the request, as a CGI's stderr does. */
static void
fcgireq_log_sink(void *ctx, const char *line, size_t n)
{
	struct conn	*c = ctx;

	if (c->rq.active && conn_send_records(c, FCGI_STDERR, c->rq.id, line, n) == 0)
		c->rq.sent_stderr = true;
}

/* ---- scripts that outlive their request ---- */

static void
linger_add(struct worker *w, pid_t pid, long deadline,
    enum linger_stage stage, bool ended)
{
	if (w->nlinger == LINGER_MAX) {
		/* Out of room to track it: stop it now.  SIGKILL is not
		 * refused, so the wait is short. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		w->nscripts--;
		return;
	}
	w->linger[w->nlinger].pid = pid;
	w->linger[w->nlinger].deadline = deadline;
	w->linger[w->nlinger].stage = stage;
	w->linger[w->nlinger].ended = ended;
	w->nlinger++;
}

/* Has pid exited?  Looks without reaping (see struct lingerer); *st gets
 * the status as waitpid(2) would give it. */
static bool
pid_ended(pid_t pid, int *st)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
	    si.si_pid != pid)
		return false;
	if (si.si_code == CLD_EXITED)
		*st = W_EXITCODE(si.si_status & 0xff, 0);
	else
		*st = W_EXITCODE(0, si.si_status & 0x7f) |
		    (si.si_code == CLD_DUMPED ? WCOREFLAG : 0);
	return true;
}

static void
pid_reap(struct worker *w, pid_t pid)
{
	w->nscripts--;
	while (waitpid(pid, NULL, WNOHANG) == -1 && errno == EINTR)
		;
}

static void
linger_remove(struct worker *w, size_t i)
{
	w->linger[i] = w->linger[--w->nlinger];
}

/* ---- how long a script may run ---- */

/*
 * -t bounds a script's silence, not its life: an event stream that writes
 * every few seconds runs as long as it writes, as servers time out a quiet
 * upstream (nginx fastcgi_read_timeout, Apache Timeout).  Silence is no
 * byte moving between the script and the server: none read from its
 * stdout or stderr, none of the request arriving or written to it (a
 * record is passed on whole, so its arrival counts), none of its answer
 * taken by the server.  -T, when given, bounds its whole life.
 */
static void
fcgichild_quiet_from(struct conn *c, long now)
{
	long	 at = now + (long)c->w->o->timeout * 1000;

	if (c->ch.life_end != 0 && c->ch.life_end < at)
		at = c->ch.life_end;
	c->ch.deadline = at;
}

static void
fcgichild_clock_start(struct conn *c)
{
	long	 now = (long)clock_ms();

	c->ch.life_end = c->w->o->life == 0 ? 0 :
	    now + (long)c->w->o->life * 1000;
	fcgichild_quiet_from(c, now);
}

/* Bytes moved: the silence starts again.  The short waits for an exit
 * status, which use the same deadline, are not lengthened. */
static void
fcgichild_active(struct conn *c)
{
	if (c->ch.pid > 0 && !c->ch.gw_pending && c->ch.end_wait != END_WAITING)
		fcgichild_quiet_from(c, (long)clock_ms());
}

/* ---- the request ---- */

/* No request on the connection: what FCGI_BEGIN_REQUEST starts from. */
static void
fcgireq_reset(struct conn *c)
{
	struct fcgi_req	*rq = &c->rq;

	rq->active = false;
	rq->id = 0;
	rq->keep = false;
	rq->params_done = false;
	rq->params_len = 0;
	rq->stdin_eof = false;
	rq->stdin_off = 0;
	rq->sent_any = false;
	rq->sent_stderr = false;
	rq->ce = NULL;
	rq->pol = NULL;
	rq->queued = false;
	rq->qprev = rq->qnext = NULL;
	rq->lg = c->w->lg;
	rq->lg.sink = fcgireq_log_sink;
	rq->lg.ctx = c;
}

/* No script: what fcgichild_start starts from.  Its descriptors, if any,
 * were closed by fcgichild_release. */
static void
fcgichild_reset(struct conn *c)
{
	struct fcgi_child *ch = &c->ch;

	ch->pid = -1;
	ch->exited = false;
	ch->wstatus = 0;
	ch->sin = ch->sout = ch->serr = -1;
	ch->ev_in.kind = EV_SIN;
	ch->ev_out.kind = EV_SOUT;
	ch->ev_err.kind = EV_SERR;
	ch->ev_in.c = ch->ev_out.c = ch->ev_err.c = c;
	ch->ev_in.fd = ch->ev_out.fd = ch->ev_err.fd = -1;
	ch->ev_in.events = ch->ev_out.events = ch->ev_err.events = 0;
	ch->header_done = false;
	ch->hlen = 0;
	ch->spool_held = false;
	ch->spool_stall = 0;
	ch->body_in = ch->body_mark = 0;
	ch->deadline = 0;
	ch->life_end = 0;
	ch->end_wait = END_NOW;
	ch->gw_pending = false;
	ch->prog[0] = '\0';
	if (ch->spool_ok)
		spool_reset(&ch->spool);
}

static void
fcgireq_begin(struct conn *c, uint16_t id, bool keep)
{
	fcgireq_reset(c);
	fcgichild_reset(c);
	c->rq.active = true;
	c->rq.id = id;
	c->rq.keep = keep;
}

/* Lets go of the script: it is stopped (abort) or left to exit (done),
 * and reaped either way. */
static void	fcgichild_stderr(struct conn *);

static void
fcgichild_release(struct conn *c, bool stop)
{
	struct worker	*w = c->w;
	/* Its output still open after it exited: a process it left behind
	 * holds it (a grandchild), the very thing to stop. */
	bool		 held = c->ch.sout != -1;

	/* What the script wrote to stderr before it ended is in the pipe
	 * still: forward it before the request's records end. */
	if (c->ch.serr != -1)
		fcgichild_stderr(c);
	event_close_fd(w, &c->ch.ev_in, &c->ch.sin);
	event_close_fd(w, &c->ch.ev_out, &c->ch.sout);
	event_close_fd(w, &c->ch.ev_err, &c->ch.serr);
	if (c->ch.pid > 0) {
		if (stop && (!c->ch.exited || held)) {
			kill(-c->ch.pid, SIGTERM);
			linger_add(w, c->ch.pid, (long)clock_ms() + KILL_GRACE_MS,
			    LINGER_TERM_SENT, c->ch.exited);
		} else if (c->ch.exited)
			pid_reap(w, c->ch.pid);
		else
			linger_add(w, c->ch.pid, c->ch.deadline, LINGER_RUNS, false);
	}
	c->ch.pid = -1;
}

static void	fcgireq_dequeue(struct conn *);

static void
fcgireq_end(struct conn *c, uint32_t app)
{
	if (!c->rq.active)
		return;
	fcgireq_dequeue(c);
	if (c->ch.serr != -1)
		fcgichild_stderr(c);
	conn_send_records(c, FCGI_STDOUT, c->rq.id, NULL, 0);
	if (c->rq.sent_stderr)
		conn_send_records(c, FCGI_STDERR, c->rq.id, NULL, 0);
	conn_send_end(c, c->rq.id, app, FCGI_REQUEST_COMPLETE);
	c->rq.active = false;
	fcgichild_release(c, false);
	confcache_release(c->rq.ce);
	c->rq.ce = NULL;
	if (c->rq.keep)
		return;
	/* Closing while the server still sends the body makes its write
	 * fail (Apache answers 503, nginx 502): read the rest of the body
	 * first, dropping it, for a bounded time. */
	if (c->rq.stdin_eof || !c->rq.params_done) {
		c->close_after = true;
		return;
	}
	c->draining = true;
	c->drain_id = c->rq.id;
	c->drain_deadline = (long)clock_ms() + DRAIN_MS;
	c->drain_quiet = (long)clock_ms() + DRAIN_QUIET_MS;
}

/*
 * FastCGI has no record that says an answer is incomplete: the sign is a
 * close before FCGI_END_REQUEST.  nginx without fastcgi_keep_conn reads an
 * answer until the close, and takes that close for its normal end.  So a
 * record no server can accept goes first: an empty FCGI_STDOUT for request
 * ID 0, which no request has.  nginx ("unexpected FastCGI request id") and
 * Apache mod_proxy_fcgi ("Got bogus rid") fail the answer at it; lighttpd
 * skips it and fails the answer at the close.  Each then ends the client's
 * answer without its last chunk, or closes the client's connection.
 */
static void
conn_send_cut_off(struct conn *c)
{
	if (conn_out_reserve(c, FCGI_HEADER_LEN) == -1)
		return;
	fcgirec_put_header(c->out + c->out_len, FCGI_STDOUT,
	    FCGI_NULL_REQUEST_ID, 0, 0);
	c->out_len += FCGI_HEADER_LEN;
}

/* Part of the answer is out, so no error answer can follow: only closing
 * the connection tells the server the answer is incomplete.  What is
 * queued, the request's log lines included, is written first. */
static void
fcgireq_abandon(struct conn *c)
{
	conn_send_cut_off(c);
	spool_reset(&c->ch.spool);
	confcache_release(c->rq.ce);
	c->rq.ce = NULL;
	c->rq.active = false;
	c->close_after = true;
}

/* An answer cors-wrap makes itself (preflight, error). */
static void
fcgireq_respond(struct conn *c, int status, const struct answer *a)
{
	struct worker	*w = c->w;
	size_t		 n;

	if ((n = response_format(w->resp, sizeof(w->resp), status, a)) == 0)
		n = response_format(w->resp, sizeof(w->resp), status, NULL);
	conn_send_stdout(c, w->resp, n);
}

static void
fcgireq_fail(struct conn *c, int status, bool cors)
{
	fcgireq_respond(c, status, cors ? &c->rq.ans : NULL);
	fcgireq_end(c, 0);
}

/* The answer so far: held in the spool until the body has been passed
 * to the script, then sent. */
static int
answer_add(struct conn *c, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	if (!c->rq.stdin_eof || spool_size(&c->ch.spool) > 0) {
		if (spool_write(&c->ch.spool, data, n) == -1) {
			log_msg(&c->rq.lg, LOG_ERROR, "%s: cannot spool the "
			    "answer: %s", c->ch.prog, strerror(errno));
			return -1;
		}
		return 0;
	}
	conn_send_stdout(c, data, n);
	return 0;
}

static void
fcgipipe_unspool(struct conn *c)
{
	ssize_t	 n;

	if (!c->rq.active || !c->rq.stdin_eof)
		return;
	while (spool_size(&c->ch.spool) > 0 && conn_out_pending(c) < OUT_HIGH) {
		n = spool_read(&c->ch.spool, c->w->pbuf, sizeof(c->w->pbuf));
		if (n <= 0) {
			log_msg(&c->rq.lg, LOG_ERROR, "%s: cannot read the "
			    "spooled answer", c->ch.prog);
			fcgichild_release(c, true);
			fcgireq_abandon(c);
			return;
		}
		conn_send_stdout(c, c->w->pbuf, (size_t)n);
	}
	fcgipipe_resume(c);
	fcgichild_finish(c);
}

/*
 * The end of a script's output ends its answer unless the script died of
 * a signal: a crash cuts the answer off.  Its exit follows the close of
 * its output at once, so the answer's end waits for it, up to
 * GATEWAY_WAIT_MS; a script that closes its output and runs on ends its
 * answer then.
 */
static bool
fcgichild_await_exit(struct conn *c)
{
	if (c->ch.exited || c->ch.end_wait == END_WAITED)
		return false;
	if (c->ch.end_wait == END_NOW) {
		c->ch.end_wait = END_WAITING;
		c->ch.deadline = (long)clock_ms() + GATEWAY_WAIT_MS;
	}
	return true;
}

static void
fcgichild_cut_off(struct conn *c)
{
	char	 how[128];

	describe_exit(c->ch.wstatus, how, sizeof(how));
	log_msg(&c->rq.lg, LOG_ERROR, "%s: %s during its answer; cutting it "
	    "off", c->ch.prog, how);
	fcgichild_release(c, true);
	fcgireq_abandon(c);
}

static void
fcgichild_finish(struct conn *c)
{
	uint32_t	 app = 0;

	if (!c->rq.active || c->ch.pid <= 0 || !c->ch.header_done || c->ch.sout != -1 ||
	    !c->rq.stdin_eof || spool_size(&c->ch.spool) > 0 || fcgichild_await_exit(c))
		return;
	if (c->ch.exited && WIFSIGNALED(c->ch.wstatus)) {
		fcgichild_cut_off(c);
		return;
	}
	if (c->ch.exited && WIFEXITED(c->ch.wstatus))
		app = (uint32_t)WEXITSTATUS(c->ch.wstatus);
	if (c->ch.exited && !(WIFEXITED(c->ch.wstatus) && app == 0)) {
		char	 how[128];

		describe_exit(c->ch.wstatus, how, sizeof(how));
		log_msg(&c->rq.lg, LOG_WARN, "%s: %s after its answer", c->ch.prog,
		    how);
	}
	fcgireq_end(c, app);
}

static void
describe_exit(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "stopped");
}

/* The script failed before a valid header block.  The log names the exit
 * status, so this waits (briefly) for it. */
static void
fcgichild_bad_gateway(struct conn *c, const char *cause)
{
	char	 how[128];

	if (!c->ch.exited && c->ch.pid > 0 && !c->ch.gw_pending) {
		c->ch.gw_pending = true;
		snprintf(c->ch.gw_cause, sizeof(c->ch.gw_cause), "%s", cause);
		c->ch.deadline = (long)clock_ms() + GATEWAY_WAIT_MS;
		event_close_fd(c->w, &c->ch.ev_out, &c->ch.sout);
		return;
	}
	if (c->ch.exited)
		describe_exit(c->ch.wstatus, how, sizeof(how));
	else
		snprintf(how, sizeof(how), "did not exit; stopped");
	log_msg(&c->rq.lg, LOG_ERROR, "%s: %s (the script %s)", c->ch.prog,
	    c->ch.gw_pending ? c->ch.gw_cause : cause, how);
	c->ch.gw_pending = false;
	fcgichild_release(c, true);
	if (c->rq.sent_any) {
		fcgireq_abandon(c);
		return;
	}
	spool_reset(&c->ch.spool);
	fcgireq_fail(c, 502, c->rq.pol->intercept_exceptions);
}

static bool
has_param(char *const *envp, const char *name)
{
	return request_env_get((void *)envp, name) != NULL;
}

static void
fcgichild_start(struct conn *c, const struct config *cfg)
{
	struct worker	*w = c->w;
	struct script	 s;
	char		**env;
	size_t		 n;
	unsigned	 flags = SPAWN_PIPE_IN | SPAWN_PGROUP;
	int		 rc;

	/* A fixed program wins: nginx configurations commonly send
	 * SCRIPT_FILENAME everywhere (Debian's fastcgi.conf does). */
	if (w->o->root_ceiling != NULL) {
		const char	*prog = cfg->exec != NULL ? cfg->exec :
				    request_env_get(c->rq.envp, "SCRIPT_FILENAME");

		rc = script_from_filename(&s, prog, w->o->root_ceiling);
		if (rc == -1) {
			log_msg(&c->rq.lg, LOG_WARN, "%s", s.why);
			fcgireq_fail(c, s.status != 0 ? s.status : 500, true);
		}
		script_free(&s);
		if (rc == -1)
			return;
	}
	if (cfg->exec != NULL)
		rc = script_from_exec(&s, cfg->exec, NULL, 0);
	else
		rc = script_from_filename(&s, request_env_get(c->rq.envp,
		    "SCRIPT_FILENAME"), cfg->script_root);
	if (rc == -1) {
		log_msg(&c->rq.lg, s.status == 500 ? LOG_ERROR : LOG_WARN, "%s",
		    s.why);
		fcgireq_fail(c, s.status != 0 ? s.status : 500, true);
		script_free(&s);
		return;
	}
	snprintf(c->ch.prog, sizeof(c->ch.prog), "%s", s.argv[0]);

	/* The params are the environment, not the daemon's own; PATH is
	 * added when the server sent none. */
	for (n = 0; c->rq.envp[n] != NULL; n++)
		;
	if (!has_param(c->rq.envp, "PATH")) {
		c->rq.envp[n++] = c->w->default_path;
		c->rq.envp[n] = NULL;
	}
	env = script_environ(&s, c->rq.envp);
	if (env == NULL) {
		script_free(&s);
		fcgireq_fail(c, 500, true);
		return;
	}
	if (w->o->stderr_to_server)
		flags |= SPAWN_PIPE_ERR;
	if (!c->ch.spool_ok) {
		if (spool_init(&c->ch.spool, w->o->tmpdir) == -1) {
			free(env);
			script_free(&s);
			fcgireq_fail(c, 500, true);
			return;
		}
		c->ch.spool_ok = true;
		c->ch.spool.total = &w->spooled;
	}
	rc = script_spawn(&s, env, flags, &c->ch.pid, &c->ch.sin, &c->ch.sout,
	    &c->ch.serr);
	free(env);
	script_free(&s);
	if (rc != 0) {
		c->ch.pid = -1;
		log_msg(&c->rq.lg, LOG_ERROR, "%s: cannot run: %s", c->ch.prog,
		    strerror(rc));
		fcgireq_fail(c, 502, c->rq.pol->intercept_exceptions);
		return;
	}
	w->nscripts++;
	w->spawned++;
	if (!(flags & SPAWN_PIPE_ERR))
		c->ch.serr = -1;
	fcgichild_clock_start(c);
	event_watch(w, &c->ch.ev_out, c->ch.sout, EPOLLIN);
	if (c->ch.serr != -1)
		event_watch(w, &c->ch.ev_err, c->ch.serr, EPOLLIN);
}

/*
 * The request fields the decision reads.  nginx before 1.23 sends a field
 * that came on several lines as several params: the first would decide
 * while a shell script sees the last.  They are joined into one param,
 * "a, b", as RFC 9110 5.3 allows and as Apache and later nginx send them,
 * so that cors-wrap and the script see one value (for Origin, an invalid
 * one).  Returns -1 when out of memory.
 */
static const char *const joined_fields[] = {
	"HTTP_ORIGIN",
	"HTTP_ACCESS_CONTROL_REQUEST_METHOD",
	"HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
	"HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK",
};
#define NJOINED	(sizeof(joined_fields) / sizeof(joined_fields[0]))

static bool
is_param(const char *kv, const char *name, size_t len)
{
	return strncmp(kv, name, len) == 0 && kv[len] == '=';
}

static int
join_repeated(struct conn *c, size_t *n)
{
	size_t	 need = 0, count[NJOINED], k, i, j, len, vlen, o = 0;
	char	*p, *v;
	bool	 first;

	for (k = 0; k < NJOINED; k++) {
		len = strlen(joined_fields[k]);
		count[k] = 0;
		for (i = 0; i < *n; i++)
			if (is_param(c->rq.envp[i], joined_fields[k], len))
				count[k]++;
		for (i = 0; count[k] > 1 && i < *n; i++)
			if (is_param(c->rq.envp[i], joined_fields[k], len))
				need += strlen(c->rq.envp[i]) + 2;
	}
	if (need == 0)
		return 0;
	if (need > c->rq.joined_cap) {
		if ((p = realloc(c->rq.joined, need)) == NULL)
			return -1;
		c->rq.joined = p;
		c->rq.joined_cap = need;
	}
	for (k = 0; k < NJOINED; k++) {
		if (count[k] < 2)
			continue;
		len = strlen(joined_fields[k]);
		p = c->rq.joined + o;
		memcpy(p, joined_fields[k], len);
		p[len] = '=';
		o += len + 1;
		/* The first keeps its place, now holding all; the rest go. */
		for (i = 0, j = 0, first = true; i < *n; i++) {
			v = c->rq.envp[i];
			if (!is_param(v, joined_fields[k], len)) {
				c->rq.envp[j++] = v;
				continue;
			}
			if (first)
				c->rq.envp[j++] = p;
			else {
				memcpy(c->rq.joined + o, ", ", 2);
				o += 2;
			}
			first = false;
			vlen = strlen(v + len + 1);
			memcpy(c->rq.joined + o, v + len + 1, vlen);
			o += vlen;
		}
		c->rq.joined[o++] = '\0';
		*n = j;
		c->rq.envp[j] = NULL;
	}
	return 0;
}

/* The CORS_* params do not fit the cache key: the one value over the
 * limit is named, as config_load would. */
static void
params_too_large(struct conn *c)
{
	char *const	*e;
	const char	*eq;

	for (e = c->rq.envp; *e != NULL; e++) {
		if (strncmp(*e, "CORS_", 5) != 0 ||
		    (eq = strchr(*e, '=')) == NULL ||
		    strlen(eq + 1) <= CONFIG_VALUE_MAX)
			continue;
		log_msg(&c->rq.lg, LOG_ERROR, "cannot load the configuration: "
		    "%.*s: value longer than %d bytes", (int)(eq - *e), *e,
		    CONFIG_VALUE_MAX);
		return;
	}
	log_msg(&c->rq.lg, LOG_ERROR, "cannot load the configuration: the "
	    "CORS_* params are longer than %d bytes in all",
	    CONFCACHE_KEY_MAX);
}

/* ---- scripts at once (-j) and the queue (--queue) ---- */

static bool
fcgireq_slot_free(const struct worker *w)
{
	return w->nscripts < w->o->max_scripts && w->spawned < SPAWN_BATCH;
}

static void
fcgireq_dequeue(struct conn *c)
{
	struct worker	*w = c->w;

	if (!c->rq.queued)
		return;
	if (c->rq.qprev != NULL)
		c->rq.qprev->rq.qnext = c->rq.qnext;
	else
		w->qhead = c->rq.qnext;
	if (c->rq.qnext != NULL)
		c->rq.qnext->rq.qprev = c->rq.qprev;
	else
		w->qtail = c->rq.qprev;
	c->rq.qprev = c->rq.qnext = NULL;
	c->rq.queued = false;
	w->nqueued--;
}

/* More scripts than -j and --queue allow: 503, with the CORS headers so
 * that the page can read it, and Retry-After. */
static void
answer_busy(struct conn *c)
{
	struct worker	*w = c->w;
	static const char retry[] = RETRY_AFTER;
	uint64_t	 dropped;
	size_t		 n;
	char		*eol;

	if (ratelimit_take(&w->busy_budget, c->rq.ce->cfg.log_rate,
	    (int64_t)clock_ms(), &dropped))
		log_msg(&c->rq.lg, LOG_ERROR, "%u scripts run and %u wait, the "
		    "most -j and --queue allow: answering 503 (%llu more such "
		    "requests not logged)", w->nscripts, w->nqueued,
		    (unsigned long long)dropped);
	n = response_format(w->resp, sizeof(w->resp) - sizeof(retry), 503,
	    c->rq.pol->intercept_exceptions ? &c->rq.ans : NULL);
	if (n > 0 && (eol = strstr(w->resp, "\r\n")) != NULL) {
		eol += 2;
		memmove(eol + sizeof(retry) - 1, eol,
		    n - (size_t)(eol - w->resp));
		memcpy(eol, retry, sizeof(retry) - 1);
		n += sizeof(retry) - 1;
	}
	conn_send_stdout(c, w->resp, n);
	fcgireq_end(c, 0);
}

static void
fcgireq_run_or_queue(struct conn *c, const struct config *cfg)
{
	struct worker	*w = c->w;

	if (w->qhead == NULL && fcgireq_slot_free(w)) {
		fcgichild_start(c, cfg);
		return;
	}
	if (w->nscripts + w->nqueued >= w->o->max_scripts + w->o->queue_max) {
		answer_busy(c);
		return;
	}
	c->rq.queued = true;
	c->rq.qnext = NULL;
	c->rq.qprev = w->qtail;
	if (w->qtail != NULL)
		w->qtail->rq.qnext = c;
	else
		w->qhead = c;
	w->qtail = c;
	w->nqueued++;
}

/* Starts what waits, SPAWN_BATCH at a time; true when more could start
 * at once. */
static bool
fcgireq_queue_run(struct worker *w)
{
	struct conn	*c;

	w->spawned = 0;
	while ((c = w->qhead) != NULL && fcgireq_slot_free(w)) {
		fcgireq_dequeue(c);
		/* -i counts from here: the wait in the queue was ours. */
		c->heard = (long)clock_ms();
		fcgichild_start(c, &c->rq.ce->cfg);
		/* The body records held back go to the script now. */
		conn_process_records(c);
		if (c->fd != -1 && conn_out_pending(c) > 0)
			conn_flush(c);
		else if (c->fd != -1 && c->close_after && !c->rq.active)
			conn_close(c);
	}
	return w->qhead != NULL && w->nscripts < w->o->max_scripts;
}

/* A FCGI_PARAMS record's content, gathered until the empty one. */
static void
fcgireq_add_params(struct conn *c, const uint8_t *data, size_t n)
{
	if (c->rq.params_len + n > c->rq.params_cap) {
		size_t	 cap = c->rq.params_cap * 2;
		uint8_t	*p;

		while (cap < c->rq.params_len + n)
			cap *= 2;
		if (cap > PARAMS_MAX ||
		    (p = realloc(c->rq.params, cap)) == NULL) {
			c->rq.params_done = true;
			log_msg(&c->rq.lg, LOG_ERROR, "FCGI_PARAMS larger "
			    "than %zu bytes", PARAMS_MAX);
			fcgireq_fail(c, 500, false);
			return;
		}
		c->rq.params = p;
		c->rq.params_cap = cap;
	}
	memcpy(c->rq.params + c->rq.params_len, data, n);
	c->rq.params_len += n;
}

/* FCGI_PARAMS is complete: decide, then answer or start the script. */
static void
fcgireq_start(struct conn *c)
{
	struct worker		*w = c->w;
	const struct section	*sec;
	const struct config	*cfg;
	enum fcgi_params_result	 pr;
	size_t			 n;

	pr = fcgirec_params(c->rq.params, c->rq.params_len, (char *)c->rq.params,
	    c->rq.envp, PARAMS_COUNT_MAX, &n);
	if (pr != FCGI_PARAMS_OK) {
		log_msg(&c->rq.lg, LOG_ERROR, "invalid FCGI_PARAMS: %s",
		    pr == FCGI_PARAMS_TOO_MANY ? "too many" :
		    pr == FCGI_PARAMS_BAD ? "empty name, NUL byte or '=' in a "
		    "name" : "a length runs past the data");
		fcgireq_fail(c, 500, false);
		return;
	}
	if (join_repeated(c, &n) == -1) {
		log_msg(&c->rq.lg, LOG_ERROR, "out of memory");
		fcgireq_fail(c, 500, false);
		return;
	}
	c->rq.ce = confcache_get(&w->cache, c->rq.envp);
	if (c->rq.ce == NULL) {
		if (w->cache.miss == CONFCACHE_TOO_LARGE)
			params_too_large(c);
		else
			log_msg(&c->rq.lg, LOG_ERROR, "cannot load the "
			    "configuration: out of memory");
		fcgireq_fail(c, 500, false);
		return;
	}
	if (!c->rq.ce->ok) {
		/* Fail closed, as in CGI mode. */
		decide_log_diag(&c->rq.lg, &c->rq.ce->diag);
		fcgireq_fail(c, 500, false);
		return;
	}
	cfg = &c->rq.ce->cfg;
	c->rq.lg.level = cfg->log_level;
	request_read(&c->rq.req, request_env_get, c->rq.envp);
	sec = decide(cfg, &c->rq.req, &c->rq.ans);
	c->rq.pol = &sec->policy;
	{
		struct log_budget	 b = { &w->budget, NULL };

		decide_log(&c->rq.lg, cfg, &b, &c->rq.req, sec, &c->rq.ans);
	}

	if (c->rq.req.preflight && c->rq.pol->automatic_options) {
		/* The whole point: no process, no allocation. */
		fcgireq_respond(c, c->rq.pol->preflight_status, &c->rq.ans);
		fcgireq_end(c, 0);
		return;
	}
	fcgireq_run_or_queue(c, cfg);
}

/* ---- the script's output ---- */

static void
fcgichild_feed_header(struct conn *c, const char *data, size_t n)
{
	struct worker		*w = c->w;
	enum cgihdr_result	 r;
	const char		*bad;
	size_t			 take, m;
	char			 cause[160];

	take = CGI_HEADER_MAX - c->ch.hlen;
	if (take > n)
		take = n;
	memcpy(c->ch.hbuf + c->ch.hlen, data, take);
	c->ch.hlen += take;
	r = cgiheader_parse(c->ch.hbuf, c->ch.hlen, false, c->ch.h, &bad);
	if (r == CGIHDR_INCOMPLETE && c->ch.hlen < CGI_HEADER_MAX)
		return;
	if (r == CGIHDR_INCOMPLETE)
		r = CGIHDR_TOO_BIG;
	if (r != CGIHDR_OK) {
		if (r == CGIHDR_BAD_LINE) {
			size_t	 l = strcspn(bad, "\r\n");

			snprintf(cause, sizeof(cause), "%s: \"%.*s\"",
			    cgihdr_str(r), (int)(l > 80 ? 80 : l), bad);
		} else
			snprintf(cause, sizeof(cause), "%s", cgihdr_str(r));
		fcgichild_bad_gateway(c, cause);
		return;
	}
	m = cgiheader_merge(c->ch.h, &c->rq.ans, w->mbuf, sizeof(w->mbuf));
	if (m == 0) {
		fcgichild_bad_gateway(c, "merged header block too large");
		return;
	}
	if (cgiheader_withholds(c->ch.h, &c->rq.ans)) {
		struct log_budget	 b = { &w->budget, NULL };

		decide_log_withheld(&c->rq.lg, &c->rq.ce->cfg, &b, &c->rq.req);
	}
	if (cgiheader_drops_credentials(c->ch.h)) {
		struct log_budget	 b = { &w->budget, NULL };

		decide_log_dropped(&c->rq.lg, &c->rq.ce->cfg, &b, &c->rq.req);
	}
	c->ch.header_done = true;
	if (answer_add(c, w->mbuf, m) == -1 ||
	    answer_add(c, c->ch.hbuf + c->ch.h->block_len, c->ch.hlen - c->ch.h->block_len) ==
	    -1 || answer_add(c, data + take, n - take) == -1)
		fcgichild_bad_gateway(c, "cannot spool the answer");
}

/*
 * The answer waits in the spool until the request body has all been
 * passed to the script: the server may not read an answer while it is
 * still sending the body (nginx stops sending it once a header reached the
 * client; Apache's mod_proxy_fcgi sends it all before it reads), so
 * sending the answer as it comes could leave both waiting.  The spool
 * holds at most -b bytes of a request, -B of all the worker's requests.
 * Past that the worker stops reading the script's output and the script
 * waits in write(2) (back-pressure) until the body's end lets the spool
 * drain, or -i cuts off a peer that stopped sending it.  Returns the bytes
 * the spool may still take; SIZE_MAX when the answer is not spooled.
 */
static size_t
fcgipipe_room(const struct conn *c)
{
	const struct fastcgi_opts *o = c->w->o;
	uint64_t	 mine = spool_size(&c->ch.spool), all = c->w->spooled;
	uint64_t	 room;

	if (c->rq.stdin_eof && mine == 0)
		return SIZE_MAX;
	room = mine >= o->spool_max ? 0 : o->spool_max - mine;
	if (all >= o->spool_worker_max)
		room = 0;
	else if (o->spool_worker_max - all < room)
		room = o->spool_worker_max - all;
	return room > SIZE_MAX ? SIZE_MAX : (size_t)room;
}

/* A held script is read again once its spool has room; true if so. */
static bool
fcgipipe_resume(struct conn *c)
{
	if (!c->ch.spool_held || c->ch.sout == -1 || fcgipipe_room(c) == 0)
		return false;
	c->ch.spool_held = false;
	if (conn_out_pending(c) < OUT_HIGH)
		event_watch(c->w, &c->ch.ev_out, c->ch.sout, EPOLLIN);
	return true;
}

static void
fcgipipe_hold(struct conn *c)
{
	event_watch(c->w, &c->ch.ev_out, c->ch.sout, 0);
	if (c->ch.spool_held)
		return;
	c->ch.spool_held = true;
	c->ch.spool_stall = 0;
	log_msg(&c->rq.lg, LOG_INFO, "%s: its answer waits, %zu bytes spooled "
	    "(-b %" PRIu64 ", -B %" PRIu64 " for %" PRIu64 " bytes of the "
	    "worker's), for the end of the request body", c->ch.prog,
	    spool_size(&c->ch.spool), c->w->o->spool_max,
	    c->w->o->spool_worker_max, c->w->spooled);
}

/* The script's output pipe is full: its next write waits. */
static bool
pipe_full(int fd)
{
	int	 n, size;

	if (ioctl(fd, FIONREAD, &n) == -1 ||
	    (size = fcntl(fd, F_GETPIPE_SZ)) == -1)
		return false;
	return n > size - PIPE_BUF;
}

static void
fcgipipe_deadlock(struct conn *c)
{
	log_msg(&c->rq.lg, LOG_ERROR, "%s: writes more than the spool holds "
	    "(-b %" PRIu64 ", -B %" PRIu64 ") before it reads its request "
	    "body; stopping it", c->ch.prog, c->w->o->spool_max,
	    c->w->o->spool_worker_max);
	c->ch.spool_held = false;
	fcgichild_release(c, true);
	spool_reset(&c->ch.spool);
	/* Nothing of the answer went out: it was all spooled. */
	fcgireq_fail(c, 502, c->rq.pol->intercept_exceptions);
	conn_process_records(c);
	if (c->fd != -1)
		conn_flush(c);
}

/*
 * A script held at the spool's bound: reads its output again once the
 * spool has room, and fails the request when the script and the worker
 * wait for each other (a script that writes more than the bound before it
 * reads its input, its input pipe full too).  Back-pressure alone would
 * hold them until -t.  Returns true when c was closed.
 */
static bool
fcgipipe_check(struct conn *c, long now, long *next_at)
{
	if (!c->ch.spool_held)
		return false;
	if (!c->rq.active || c->ch.sout == -1) {
		c->ch.spool_held = false;
		return false;
	}
	if (fcgipipe_resume(c))
		return false;
	if (c->ch.sin == -1 || !(c->ch.ev_in.events & EPOLLOUT) ||
	    !pipe_full(c->ch.sout)) {
		c->ch.spool_stall = 0;
	} else if (c->ch.spool_stall == 0 || c->ch.body_in != c->ch.body_mark) {
		c->ch.spool_stall = now + SPOOL_STALL_MS;
		c->ch.body_mark = c->ch.body_in;
	} else if (c->ch.spool_stall <= now) {
		fcgipipe_deadlock(c);
		return c->fd == -1;
	}
	if (*next_at == -1 || now + SPOOL_CHECK_MS < *next_at)
		*next_at = now + SPOOL_CHECK_MS;
	return false;
}

static void
fcgichild_output(struct conn *c)
{
	struct worker		*w = c->w;
	enum cgihdr_result	 r;
	const char		*bad;
	ssize_t			 n;
	size_t			 room;

	while (c->rq.active && c->ch.sout != -1) {
		if (conn_out_pending(c) >= OUT_HIGH) {
			/* Back-pressure: the pipe fills, the script waits. */
			event_watch(w, &c->ch.ev_out, c->ch.sout, 0);
			return;
		}
		if ((room = fcgipipe_room(c)) == 0) {
			fcgipipe_hold(c);
			return;
		}
		n = read(c->ch.sout, w->rbuf, room < sizeof(w->rbuf) ? room :
		    sizeof(w->rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			event_close_fd(w, &c->ch.ev_out, &c->ch.sout);
			if (!c->ch.header_done) {
				r = cgiheader_parse(c->ch.hbuf, c->ch.hlen, true,
				    c->ch.h, &bad);
				fcgichild_bad_gateway(c, cgihdr_str(r == CGIHDR_OK ?
				    CGIHDR_INCOMPLETE : r));
				return;
			}
			fcgichild_finish(c);
			return;
		}
		fcgichild_active(c);
		if (!c->ch.header_done) {
			fcgichild_feed_header(c, w->rbuf, (size_t)n);
			continue;
		}
		if (answer_add(c, w->rbuf, (size_t)n) == -1) {
			fcgichild_bad_gateway(c, "cannot spool the answer");
			return;
		}
	}
}

static void
fcgichild_stderr(struct conn *c)
{
	struct worker	*w = c->w;
	ssize_t		 n;

	for (;;) {
		if (conn_out_pending(c) >= OUT_HIGH) {
			/* As for stdout: a peer that does not read makes the
			 * pipe fill and the script wait, rather than the
			 * buffer grow (conn_flush watches it again). */
			event_watch(w, &c->ch.ev_err, c->ch.serr, 0);
			return;
		}
		n = read(c->ch.serr, w->rbuf, sizeof(w->rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			event_close_fd(w, &c->ch.ev_err, &c->ch.serr);
			return;
		}
		fcgichild_active(c);
		if (c->rq.active && conn_send_records(c, FCGI_STDERR, c->rq.id, w->rbuf,
		    (size_t)n) == 0)
			c->rq.sent_stderr = true;
	}
}

/* ---- records from the server ---- */

enum rec_result {
	REC_NEXT,
	REC_BLOCKED,	/* the script's stdin is full: wait */
	REC_CLOSE,	/* protocol error */
	REC_GONE	/* the connection was closed */
};

static enum rec_result
fcgipipe_write_body(struct conn *c, const uint8_t *data, size_t n)
{
	ssize_t	 wr;

	while (c->rq.stdin_off < n) {
		wr = write(c->ch.sin, data + c->rq.stdin_off, n - c->rq.stdin_off);
		if (wr == -1 && errno == EINTR)
			continue;
		if (wr == -1 && errno == EAGAIN) {
			event_watch(c->w, &c->ch.ev_in, c->ch.sin, EPOLLOUT);
			return REC_BLOCKED;
		}
		if (wr == -1) {
			/* The script will read no more (EPIPE): the rest of
			 * the body is read from the server and dropped. */
			event_close_fd(c->w, &c->ch.ev_in, &c->ch.sin);
			return REC_NEXT;
		}
		c->rq.stdin_off += (size_t)wr;
		fcgichild_active(c);
		c->ch.body_in += (uint64_t)wr;
	}
	if (c->ch.ev_in.fd != -1)
		event_watch(c->w, &c->ch.ev_in, c->ch.sin, 0);
	return REC_NEXT;
}

static enum rec_result
conn_record(struct conn *c, const struct fcgi_rec *r, const uint8_t *data)
{
	struct worker	*w = c->w;
	size_t		 n;

	/* Every record below but PARAMS, STDIN, DATA and ABORT may queue a
	 * reply of its own; a peer that sends them without reading the
	 * replies would grow the output buffer without end. */
	if (conn_out_pending(c) >= OUT_HIGH && r->type != FCGI_PARAMS &&
	    r->type != FCGI_STDIN && r->type != FCGI_DATA &&
	    r->type != FCGI_ABORT_REQUEST) {
		log_msg(&w->lg, LOG_ERROR, "FastCGI peer sends records "
		    "without reading the replies; closing the connection");
		conn_close(c);
		return REC_GONE;
	}
	switch (r->type) {
	case FCGI_BEGIN_REQUEST:
		if (r->clen < 8)
			return REC_CLOSE;
		if (c->rq.active) {
			conn_send_end(c, r->id, 0, FCGI_CANT_MPX_CONN);
			return REC_NEXT;
		}
		if ((data[0] << 8 | data[1]) != FCGI_RESPONDER) {
			conn_send_end(c, r->id, 0, FCGI_UNKNOWN_ROLE);
			if (!(data[2] & FCGI_KEEP_CONN))
				c->close_after = true;
			return REC_NEXT;
		}
		fcgireq_begin(c, r->id, data[2] & FCGI_KEEP_CONN);
		return REC_NEXT;
	case FCGI_ABORT_REQUEST:
		if (c->rq.active && r->id == c->rq.id) {
			log_msg(&c->rq.lg, LOG_INFO, "request aborted by the "
			    "server");
			fcgichild_release(c, true);
			spool_reset(&c->ch.spool);
			fcgireq_end(c, 0);
		}
		return REC_NEXT;
	case FCGI_PARAMS:
		if (!c->rq.active || r->id != c->rq.id || c->rq.params_done)
			return REC_NEXT;
		if (r->clen == 0) {
			c->rq.params_done = true;
			fcgireq_start(c);
			return REC_NEXT;
		}
		fcgireq_add_params(c, data, r->clen);
		return REC_NEXT;
	case FCGI_STDIN:
		if (c->draining && r->id == c->drain_id && r->clen == 0) {
			c->draining = false;
			c->close_after = true;
			return REC_NEXT;
		}
		if (c->rq.queued)
			return REC_BLOCKED;
		if (!c->rq.active || r->id != c->rq.id || c->rq.stdin_eof ||
		    !c->rq.params_done)
			return REC_NEXT;
		if (r->clen == 0) {
			c->rq.stdin_eof = true;
			event_close_fd(w, &c->ch.ev_in, &c->ch.sin);
			fcgipipe_unspool(c);
			return REC_NEXT;
		}
		if (c->ch.sin == -1)
			return REC_NEXT;
		return fcgipipe_write_body(c, data, r->clen);
	case FCGI_GET_VALUES:
		if (conn_out_reserve(c, 256) == 0) {
			n = fcgirec_get_values(data, r->clen,
			    c->out + c->out_len, 256, w->o->max_conns);
			c->out_len += n;
		}
		return REC_NEXT;
	case FCGI_DATA:
		return REC_NEXT;
	default:
		if (r->id == FCGI_NULL_REQUEST_ID && conn_out_reserve(c, 16) == 0) {
			uint8_t	*p = c->out + c->out_len;

			fcgirec_put_header(p, FCGI_UNKNOWN_TYPE, 0, 8, 0);
			memset(p + 8, 0, 8);
			p[8] = r->type;
			c->out_len += 16;
		}
		return REC_NEXT;
	}
}

static void
conn_process_records(struct conn *c)
{
	struct fcgi_rec	 r;
	enum rec_result	 rr = REC_NEXT;
	size_t		 avail, total;

	while (rr == REC_NEXT) {
		avail = c->in_len - c->in_off;
		if (avail < FCGI_HEADER_LEN)
			break;
		if (fcgirec_header(c->in + c->in_off, &r) == -1) {
			log_msg(&c->w->lg, LOG_ERROR, "FastCGI protocol "
			    "error: version %u", c->in[c->in_off]);
			conn_close(c);
			return;
		}
		total = FCGI_HEADER_LEN + r.clen + r.plen;
		if (avail < total)
			break;
		rr = conn_record(c, &r, c->in + c->in_off + FCGI_HEADER_LEN);
		if (rr == REC_GONE)
			return;
		if (rr == REC_CLOSE) {
			log_msg(&c->w->lg, LOG_ERROR, "FastCGI protocol "
			    "error: malformed record of type %u", r.type);
			conn_close(c);
			return;
		}
		if (rr == REC_NEXT) {
			c->in_off += total;
			c->rq.stdin_off = 0;
		}
	}
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	/* Read more only when the buffered records are done with.  While
	 * they were not, the peer was not waited for: its silence counts
	 * from now. */
	if (rr != REC_BLOCKED && !c->close_after && !(c->ev.events & EPOLLIN))
		c->heard = (long)clock_ms();
	event_watch(c->w, &c->ev, c->fd, (rr == REC_BLOCKED || c->close_after ?
	    0 : EPOLLIN) | (conn_out_pending(c) > 0 ? EPOLLOUT : 0) |
	    (c->rq.queued ? EPOLLRDHUP : 0));
}

/* ---- connections ---- */

static struct conn *
conn_new(struct worker *w, int fd)
{
	struct conn	*c = w->spare;

	if (c != NULL) {
		w->spare = c->next;
		w->nspare--;
	} else {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		/* "No descriptor" is -1: zeroed, the spool would hold fd 0. */
		spool_blank(&c->ch.spool);
		c->in = malloc(IN_SIZE);
		c->rq.params = malloc(PARAMS_INIT);
		c->rq.params_cap = PARAMS_INIT;
		c->rq.envp = calloc(PARAMS_COUNT_MAX + 2, sizeof(char *));
		c->ch.hbuf = malloc(CGI_HEADER_MAX);
		c->ch.h = malloc(sizeof(*c->ch.h));
		if (c->in == NULL || c->rq.params == NULL || c->rq.envp == NULL ||
		    c->ch.hbuf == NULL || c->ch.h == NULL) {
			free(c->in);
			free(c->rq.params);
			free(c->rq.envp);
			free(c->ch.hbuf);
			free(c->ch.h);
			free(c);
			return NULL;
		}
		c->w = w;
	}
	c->fd = fd;
	c->in_len = c->in_off = 0;
	c->out_len = c->out_off = 0;
	c->close_after = false;
	c->draining = false;
	c->heard = (long)clock_ms();
	c->ev.kind = EV_CONN;
	c->ev.c = c;
	c->ev.fd = -1;
	c->ev.events = 0;
	fcgireq_reset(c);
	fcgichild_reset(c);
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	event_watch(w, &c->ev, fd, EPOLLIN);
	return c;
}

static void
conn_free(struct conn *c)
{
	if (c->ch.spool_ok)
		spool_free(&c->ch.spool);
	free(c->in);
	free(c->rq.params);
	free(c->rq.envp);
	free(c->rq.joined);
	free(c->ch.hbuf);
	free(c->ch.h);
	free(c->out);
	free(c);
}

/* After a burst: the connections closed beyond SPARE_KEEP are freed, here
 * at the top of the loop where no one holds one (the callers of
 * conn_close may still look at theirs), and their memory goes back to the
 * system once the worker has been quiet a while (malloc keeps it for the
 * process otherwise). */
static void
conn_pool_trim(struct worker *w, long now, long *next_at)
{
	struct conn	*c;

	while (w->nspare > SPARE_KEEP && (c = w->spare) != NULL) {
		w->spare = c->next;
		w->nspare--;
		conn_free(c);
		w->trim_at = now + TRIM_QUIET_MS;
	}
	if (w->trim_at == 0)
		return;
	if (w->trim_at > now) {
		if (*next_at == -1 || w->trim_at < *next_at)
			*next_at = w->trim_at;
		return;
	}
	w->trim_at = 0;
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void
conn_close(struct conn *c)
{
	struct worker	*w = c->w;

	fcgireq_dequeue(c);
	if (c->rq.active) {
		fcgichild_release(c, true);
		confcache_release(c->rq.ce);
		c->rq.ce = NULL;
		c->rq.active = false;
	}
	fcgichild_release(c, false);
	event_forget(w, &c->ev);
	close(c->fd);
	c->fd = -1;
	if (c->ch.spool_ok)
		spool_reset(&c->ch.spool);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	/* Closed connections keep their buffers for the next one: no
	 * allocation per connection once the pool is warm. */
	if (c->out_cap > (size_t)4 * 65536) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	c->next = w->spare;
	w->spare = c;
	w->accept_resume = 0;
	w->nspare++;
	worker_listen_watch(w);
}

/* The server closed the connection (nginx does not send
 * FCGI_ABORT_REQUEST when its client goes): the request is over. */
static void
conn_gone(struct conn *c, const char *why)
{
	if (c->rq.active)
		log_msg(&c->w->lg, LOG_INFO, "connection %s during a request%s"
		    "%s", why, c->ch.prog[0] != '\0' ? "; stopping " : "",
		    c->ch.prog);
	conn_close(c);
}

static void
conn_flush(struct conn *c)
{
	ssize_t	 n;

	while (conn_out_pending(c) > 0) {
		n = write(c->fd, c->out + c->out_off, conn_out_pending(c));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			conn_gone(c, strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
		if (c->rq.active)
			fcgichild_active(c);
		c->heard = (long)clock_ms();
	}
	if (conn_out_pending(c) == 0) {
		c->out_off = c->out_len = 0;
		if (c->close_after && !c->rq.active) {
			conn_close(c);
			return;
		}
	}
	if (c->rq.active && conn_out_pending(c) < OUT_HIGH / 2) {
		if (c->ch.sout != -1 && c->ch.ev_out.events == 0 && !c->ch.spool_held)
			event_watch(c->w, &c->ch.ev_out, c->ch.sout, EPOLLIN);
		if (c->ch.serr != -1 && c->ch.ev_err.events == 0)
			event_watch(c->w, &c->ch.ev_err, c->ch.serr, EPOLLIN);
		fcgipipe_unspool(c);
	}
	if (c->fd != -1)
		event_watch(c->w, &c->ev, c->fd, (c->ev.events &
		    (EPOLLIN | EPOLLRDHUP)) | (conn_out_pending(c) > 0 ? EPOLLOUT : 0));
}

static void
conn_read(struct conn *c)
{
	ssize_t	 n;

	if (c->in_len == IN_SIZE)
		return;
	n = read(c->fd, c->in + c->in_len, IN_SIZE - c->in_len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_gone(c, n == 0 ? "closed by the server" :
		    strerror(errno));
		return;
	}
	c->in_len += (size_t)n;
		if (c->rq.active)
			fcgichild_active(c);
		c->heard = (long)clock_ms();
	if (c->draining)
		c->drain_quiet = (long)clock_ms() + DRAIN_QUIET_MS;
	conn_process_records(c);
}

/* ---- the loop ---- */

/* At the connection limit the listener leaves the epoll set (it would
 * stay readable and spin) and comes back when a connection closes. */
static void
worker_listen_watch(struct worker *w)
{
	struct epoll_event	 ee;
	bool			 want = !w->stopping &&
				    w->nconns < w->o->max_conns &&
				    w->accept_resume == 0;

	if (want == (w->ev_listen.fd != -1))
		return;
	if (!want) {
		event_forget(w, &w->ev_listen);
		return;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN | EPOLLEXCLUSIVE;
	ee.data.ptr = &w->ev_listen;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->o->listen_fd, &ee) == 0) {
		w->ev_listen.fd = w->o->listen_fd;
		w->ev_listen.events = EPOLLIN;
	}
}

/* Out of descriptors: accepting again at once would fail again, the
 * listener staying readable, and spin.  A descriptor freed by the worker
 * (conn_close) or the pause's end lets it try again. */
static void
accept_pause(struct worker *w)
{
	bound_note(w, "accept: %s; %u connections open, limit %u; not "
	    "accepting for %d ms", strerror(errno), w->nconns,
	    w->o->max_conns, ACCEPT_PAUSE_MS);
	w->accept_resume = (long)clock_ms() + ACCEPT_PAUSE_MS;
	worker_listen_watch(w);
}

static void
accept_all(struct worker *w)
{
	int	 fd;

	for (;;) {
		if (w->nconns >= w->o->max_conns) {
			worker_listen_watch(w);
			return;
		}
		fd = accept4(w->o->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_pause(w);
			else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				bound_note(w, "accept: %s", strerror(errno));
			return;
		}
		if (conn_new(w, fd) == NULL) {
			log_msg(&w->lg, LOG_ERROR, "out of memory");
			close(fd);
			return;
		}
	}
}

static void
fcgichild_reap(struct worker *w)
{
	struct conn	*c, *next;
	size_t		 i;
	int		 st;

	/* Each script is asked by its pid: reaping any child (waitpid(-1))
	 * would free pids whose groups may still have to be stopped.  One
	 * pass: handling c may close c (its next then points into the spare
	 * list), never another connection, so next is taken first; starting
	 * over after each exit cost k passes over n connections for k exits. */
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ch.pid <= 0 || c->ch.exited || !pid_ended(c->ch.pid, &st))
			continue;
		c->ch.exited = true;
		c->ch.wstatus = st;
		if (c->ch.gw_pending)
			fcgichild_bad_gateway(c, c->ch.gw_cause);
		else
			fcgichild_finish(c);
		if (c->fd != -1 && conn_out_pending(c) > 0)
			conn_flush(c);
	}
	for (i = 0; i < w->nlinger; ) {
		struct lingerer	*l = &w->linger[i];

		if (l->ended || !pid_ended(l->pid, &st)) {
			i++;
			continue;
		}
		if (l->stage == LINGER_TERM_SENT) {
			/* The rest of its group gets its SIGKILL still. */
			l->ended = true;
			i++;
			continue;
		}
		pid_reap(w, l->pid);
		linger_remove(w, i);
	}
}

void
fastcgi_unlisten(const struct fastcgi_opts *o)
{
	int	 fd;

	if (o->listen_keep)
		return;
	if (o->listen_fd != STDIN_FILENO) {
		close(o->listen_fd);
		return;
	}
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		close(STDIN_FILENO);
		return;
	}
	dup2(fd, STDIN_FILENO);
	close(fd);
}

static void
worker_stop(struct worker *w)
{
	struct conn	*c, *next;

	if (w->stopping)
		return;
	w->stopping = true;
	event_forget(w, &w->ev_listen);
	/* The master has closed its copy: with the workers' gone too, a new
	 * connection is refused while those in flight finish. */
	fastcgi_unlisten(w->o);
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->rq.active && conn_out_pending(c) == 0)
			conn_close(c);
		else if (!c->rq.active)
			c->close_after = true;
		else
			c->rq.keep = false;
	}
}

static void
on_signal(struct worker *w)
{
	struct signalfd_siginfo	 si;

	while (read(w->ev_sig.fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			fcgichild_reap(w);
			break;
		case SIGHUP:
			/* Re-read configuration files on next use. */
			confcache_clear(&w->cache);
			break;
		default:
			worker_stop(w);
			break;
		}
	}
}

static void
fcgichild_timed_out(struct conn *c, long now)
{
	char	 how[128], why[64];

	if (c->ch.life_end != 0 && c->ch.life_end <= now)
		snprintf(why, sizeof(why), "ran for %u s (-T)",
		    c->w->o->life);
	else
		snprintf(why, sizeof(why), "silent for %u s",
		    c->w->o->timeout);
	if (c->ch.exited && c->ch.sout != -1) {
		describe_exit(c->ch.wstatus, how, sizeof(how));
		log_msg(&c->rq.lg, LOG_ERROR, "%s: timed out, %s: the script "
		    "%s, but a process it left holds its output; stopping it",
		    c->ch.prog, why, how);
	} else
		log_msg(&c->rq.lg, LOG_ERROR, "%s: timed out, %s; stopping it",
		    c->ch.prog, why);
	fcgichild_release(c, true);
	if (c->rq.sent_any) {
		fcgireq_abandon(c);
		conn_flush(c);
		return;
	}
	spool_reset(&c->ch.spool);
	fcgireq_fail(c, 504, c->rq.pol->intercept_exceptions);
	conn_flush(c);
}

/* A script closed its output and runs on: its answer ends without its
 * exit status, and it may run on while it is not silent for -t. */
static void
fcgichild_end_unwaited(struct conn *c, long now)
{
	c->ch.end_wait = END_WAITED;
	fcgichild_quiet_from(c, now);
	fcgichild_finish(c);
	if (c->fd != -1)
		conn_flush(c);
}

/* A script's deadline: -t, -T, or the short wait for an exit status. */
static void
fcgichild_deadline(struct conn *c, long now, long *next_at)
{
	if (!c->rq.active || c->ch.pid <= 0 || c->ch.deadline == 0)
		return;
	if (c->ch.deadline <= now) {
		if (c->ch.gw_pending) {
			fcgichild_bad_gateway(c, c->ch.gw_cause);
			if (c->fd != -1)
				conn_flush(c);
		} else if (c->ch.end_wait == END_WAITING)
			fcgichild_end_unwaited(c, now);
		else
			fcgichild_timed_out(c, now);
		return;
	}
	if (*next_at == -1 || c->ch.deadline < *next_at)
		*next_at = c->ch.deadline;
}

/* The TERM-then-KILL escalation of the scripts that outlive their
 * request. */
static void
fcgichild_linger_timers(struct worker *w, long now, long *next_at)
{
	size_t		 i;

	for (i = 0; i < w->nlinger; ) {
		struct lingerer	*l = &w->linger[i];

		if (l->deadline > now) {
			if (*next_at == -1 || l->deadline < *next_at)
				*next_at = l->deadline;
			i++;
			continue;
		}
		if (l->stage == LINGER_RUNS) {
			kill(-l->pid, SIGTERM);
			l->stage = LINGER_TERM_SENT;
			l->deadline = now + KILL_GRACE_MS;
			i++;
			continue;
		}
		kill(-l->pid, SIGKILL);
		if (l->ended) {
			pid_reap(w, l->pid);
			linger_remove(w, i);
			continue;
		}
		l->stage = LINGER_KILL_SENT;
		l->deadline = now + KILL_GRACE_MS;
		i++;	/* removed when reaped */
	}
}

/* The worker stops: scripts still running past their answer with it. */
static void
fcgichild_linger_stop(struct worker *w)
{
	size_t		 i;

	for (i = 0; i < w->nlinger; i++)
		kill(-w->linger[i].pid, SIGTERM);
}

/* A line about a bound reached, at most BOUND_LOG_RATE a minute: a peer
 * reaching bounds on purpose must not fill the disk with lines. */
static void
bound_note(struct worker *w, const char *fmt, ...)
{
	va_list		 ap;
	char		 line[512];
	uint64_t	 dropped;

	if (!ratelimit_take(&w->bound_budget, BOUND_LOG_RATE,
	    (int64_t)clock_ms(), &dropped))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (dropped > 0)
		log_msg(&w->lg, LOG_WARN, "%s (and %" PRIu64 " lines like it "
		    "not logged)", line, dropped);
	else
		log_msg(&w->lg, LOG_WARN, "%s", line);
}

/* What the worker waits for on this connection, when it is its peer:
 * NULL when it waits for the script, or for nothing. */
static const char *
peer_awaited(const struct conn *c)
{
	if (c->draining)		/* bounded by DRAIN_MS */
		return conn_out_pending(c) > 0 ? "to read its answer" : NULL;
	/* A queued request reads nothing on purpose (-j): its peer's
	 * silence is ours. */
	if (c->rq.queued)
		return NULL;
	if (!c->rq.active)
		return conn_out_pending(c) > 0 ? "to read its answer" :
		    "a request";
	if (!c->rq.params_done)
		return "the rest of FCGI_PARAMS";
	if (!c->rq.stdin_eof && (c->ev.events & EPOLLIN))
		return "the rest of the request body";
	return NULL;
}

/*
 * -i: a peer the worker waits for that stays silent is cut off, so that
 * connections which send nothing (or stop in the middle of a request)
 * cannot hold descriptors, the connection limit and a graceful stop for
 * ever.  Once a request's body has all come, the peer has nothing more to
 * send: a script that is slow to answer is bounded by -t instead.
 * Returns true when c was closed.
 */
static bool
idle_expired(struct conn *c, long now, long *next_at)
{
	struct worker	*w = c->w;
	const char	*what = peer_awaited(c);
	long		 limit = (long)w->o->idle * 1000, at;

	if (what == NULL)
		return false;
	if (w->stopping && (!c->rq.active || !c->rq.params_done) &&
	    limit > STOP_IDLE_MS)
		limit = STOP_IDLE_MS;
	at = c->heard + limit;
	if (at > now) {
		if (*next_at == -1 || at < *next_at)
			*next_at = at;
		return false;
	}
	/* Between requests this is the end of a kept connection, as the
	 * server's own keepalive_timeout would end it: no news. */
	if (c->rq.active)
		bound_note(w, "FastCGI peer silent for %ld s while waited for "
		    "(%s); closing the connection%s%s", limit / 1000, what,
		    c->ch.prog[0] != '\0' ? " and stopping " : "", c->ch.prog);
	conn_close(c);
	return true;
}

static long
worker_timers(struct worker *w, long now)
{
	struct conn	*c, *next;
	long		 next_at = -1;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (idle_expired(c, now, &next_at) ||
		    fcgipipe_check(c, now, &next_at))
			continue;
		if (c->draining) {
			long	 at = c->drain_quiet < c->drain_deadline ?
				    c->drain_quiet : c->drain_deadline;

			if (at <= now && conn_out_pending(c) == 0) {
				conn_close(c);
				continue;
			}
			/* Over, but for an answer the peer has still to read:
			 * its flush wakes the loop, or -i ends it
			 * (peer_awaited). */
			if (at > now && (next_at == -1 || at < next_at))
				next_at = at;
		}
		fcgichild_deadline(c, now, &next_at);
	}
	if (w->accept_resume != 0) {
		if (w->accept_resume <= now) {
			w->accept_resume = 0;
			worker_listen_watch(w);
		} else if (next_at == -1 || w->accept_resume < next_at)
			next_at = w->accept_resume;
	}
	fcgichild_linger_timers(w, now, &next_at);
	return next_at;
}

static void
event_dispatch(struct worker *w, struct ev *e, uint32_t events)
{
	struct conn	*c = e->c;

	/* An earlier event of this batch may have closed what this one is
	 * about. */
	if (e->fd == -1)
		return;
	switch (e->kind) {
	case EV_LISTEN:
		/* After the batch: a connection closed earlier in it may be
		 * the one accept would reuse, and a stale event of the batch
		 * about the old one would then reach the new one. */
		w->accept_due = true;
		return;
	case EV_SIGNAL:
		on_signal(w);
		return;
	case EV_CONN:
		/* epoll reports a hang-up even while EPOLLIN is off (the
		 * script's stdin full, the input buffer full), and keeps
		 * reporting it: the server is gone, and so is the request.
		 * Over TCP a close is only the end of the peer's stream
		 * (EPOLLRDHUP), which a queued request, reading nothing,
		 * would not see until its script ran for nobody: no server
		 * half-closes a FastCGI connection and waits for the answer. */
		if (events & (EPOLLHUP | EPOLLERR) ||
		    (c->rq.queued && (events & EPOLLRDHUP)))
			conn_gone(c, events & EPOLLERR ? "failed" :
			    "closed by the server");
		else if (events & EPOLLIN)
			conn_read(c);
		else if (events & EPOLLOUT)
			conn_flush(c);
		break;
	case EV_SIN:
		conn_process_records(c);
		break;
	case EV_SOUT:
		fcgichild_output(c);
		break;
	case EV_SERR:
		fcgichild_stderr(c);
		break;
	}
	if (c->fd != -1 && conn_out_pending(c) > 0)
		conn_flush(c);
	else if (c->fd != -1 && c->close_after && !c->rq.active)
		conn_close(c);
}

static int
worker_setup(struct worker *w)
{
	sigset_t		 set;
	int			 sfd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	w->ev_sig.kind = EV_SIGNAL;
	w->ev_sig.fd = -1;
	event_watch(w, &w->ev_sig, sfd, EPOLLIN);
	fcntl(w->o->listen_fd, F_SETFL, fcntl(w->o->listen_fd, F_GETFL) |
	    O_NONBLOCK);
	w->ev_listen.kind = EV_LISTEN;
	w->ev_listen.fd = -1;
	/* EPOLLEXCLUSIVE: one worker wakes for each new connection. */
	worker_listen_watch(w);
	return w->ev_listen.fd == -1 ? -1 : 0;
}

int
fastcgi_serve(const struct fastcgi_opts *o)
{
	static struct worker	 w;
	struct epoll_event	 evs[64];
	struct conn		*c;
	long			 now, next_at;
	int			 n, i, wait;

	memset(&w, 0, sizeof(w));
	w.ep = w.ev_listen.fd = w.ev_sig.fd = -1;
	w.o = o;
	memcpy(w.default_path, DEFAULT_PATH, sizeof(DEFAULT_PATH));
	w.lg.level = o->log_level;
	w.lg.fd = STDERR_FILENO;
	if (confcache_init(&w.cache, o->config, o->environ) == -1 ||
	    worker_setup(&w) == -1) {
		log_msg(&w.lg, LOG_ERROR, "worker setup: %s", strerror(errno));
		return 1;
	}
	for (;;) {
		now = (long)clock_ms();
		next_at = worker_timers(&w, now);
		conn_pool_trim(&w, now, &next_at);
		if (w.stopping && w.nconns == 0)
			break;
		wait = next_at == -1 ? -1 : (int)(next_at - now + 1);
		if (fcgireq_queue_run(&w))
			wait = 0;
		n = epoll_wait(w.ep, evs, 64, wait);
		if (n == -1 && errno != EINTR) {
			log_msg(&w.lg, LOG_ERROR, "epoll_wait: %s",
			    strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++)
			event_dispatch(&w, evs[i].data.ptr, evs[i].events);
		if (w.accept_due) {
			w.accept_due = false;
			accept_all(&w);
		}
	}
	fcgichild_linger_stop(&w);
	while ((c = w.spare) != NULL) {
		w.spare = c->next;
		conn_free(c);
	}
	confcache_free(&w.cache);
	return 0;
}
