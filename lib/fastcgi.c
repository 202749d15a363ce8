#include "fastcgi.h"

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
#include "child.h"
#include "clock.h"
#include "confcache.h"
#include "exchange.h"
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

struct conn {
	struct worker	*w;
	struct conn	*prev, *next;	/* open connections, or free list */
	struct ev	 ev, ev_in, ev_out, ev_err;
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

	/* The request on this connection (no multiplexing). */
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

	/* Its script. */
	pid_t		 pid;
	bool		 exited;
	int		 wstatus;
	int		 sin, sout, serr;
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

	/* Waiting for a script slot (-j): its body stays with the server. */
	bool		 queued;
	struct conn	*qprev, *qnext;
};

/*
 * A script that outlives its request, tracked until it is reaped.  Its
 * process group (its pid) is signalled, so its pid must stay its own: a
 * script's exit is noticed without reaping it (WNOWAIT), and a zombie
 * whose group still has to be stopped is reaped only after the group's
 * SIGKILL.  Until then no new process can get that pid as its own or as
 * its process group's id.
 */
struct lingerer {
	pid_t		 pid;
	long		 deadline;
	enum child_stage stage;		/* CHILD_KILL_SENT: reaped when
					   it exits */
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
static void	process(struct conn *);
static void	maybe_finish(struct conn *);
static void	bad_gateway(struct conn *, const char *);
static void	listen_watch(struct worker *);
static void	bound_note(struct worker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static bool	spool_resume(struct conn *);

/* ---- epoll registration ---- */

static void
ev_watch(struct worker *w, struct ev *e, int fd, uint32_t events)
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
ev_forget(struct worker *w, struct ev *e)
{
	if (e->fd != -1)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, e->fd, NULL);
	e->fd = -1;
	e->events = 0;
}

static void
close_fd(struct worker *w, struct ev *e, int *fd)
{
	if (*fd == -1)
		return;
	if (e->fd == *fd)
		ev_forget(w, e);
	close(*fd);
	*fd = -1;
}

/* ---- the output buffer ---- */

static size_t
out_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

static int
out_reserve(struct conn *c, size_t n)
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
queue_records(struct conn *c, uint8_t type, uint16_t id, const void *data,
    size_t n)
{
	const char	*p = data;
	size_t		 chunk, pad;

	do {
		chunk = n > 65528 ? 65528 : n;
		pad = (8 - chunk % 8) % 8;
		if (out_reserve(c, FCGI_HEADER_LEN + chunk + pad) == -1)
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
queue_stdout(struct conn *c, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (queue_records(c, FCGI_STDOUT, c->id, data, n) == -1)
		c->close_after = true;
	c->sent_any = true;
}

static void
queue_end(struct conn *c, uint16_t id, uint32_t app, uint8_t proto)
{
	if (out_reserve(c, FCGI_END_REQUEST_LEN) == -1) {
		c->close_after = true;
		return;
	}
	fcgirec_end_request(c->out + c->out_len, id, app, proto);
	c->out_len += FCGI_END_REQUEST_LEN;
}

/* A request's log lines travel to the server as FCGI_STDERR, so they
 * land in its error log next to the request, as a CGI's stderr does. */
static void
log_sink(void *ctx, const char *line, size_t n)
{
	struct conn	*c = ctx;

	if (c->active && queue_records(c, FCGI_STDERR, c->id, line, n) == 0)
		c->sent_stderr = true;
}

/* ---- scripts that outlive their request ---- */

static void
linger_add(struct worker *w, pid_t pid, long deadline,
    enum child_stage stage, bool ended)
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
script_ended(pid_t pid, int *st)
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
script_reap(struct worker *w, pid_t pid)
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
script_quiet_from(struct conn *c, long now)
{
	long	 at = now + (long)c->w->o->timeout * 1000;

	if (c->life_end != 0 && c->life_end < at)
		at = c->life_end;
	c->deadline = at;
}

static void
script_clock_start(struct conn *c)
{
	long	 now = (long)clock_ms();

	c->life_end = c->w->o->life == 0 ? 0 :
	    now + (long)c->w->o->life * 1000;
	script_quiet_from(c, now);
}

/* Bytes moved: the silence starts again.  The short waits for an exit
 * status, which use the same deadline, are not lengthened. */
static void
script_active(struct conn *c)
{
	if (c->pid > 0 && !c->gw_pending && c->end_wait != END_WAITING)
		script_quiet_from(c, (long)clock_ms());
}

/* ---- the request ---- */

static void
request_begin(struct conn *c, uint16_t id, bool keep)
{
	c->active = true;
	c->id = id;
	c->keep = keep;
	c->params_done = false;
	c->params_len = 0;
	c->stdin_eof = false;
	c->stdin_off = 0;
	c->sent_any = false;
	c->sent_stderr = false;
	c->ce = NULL;
	c->pol = NULL;
	c->pid = -1;
	c->exited = false;
	c->header_done = false;
	c->hlen = 0;
	c->deadline = 0;
	c->life_end = 0;
	c->end_wait = END_NOW;
	c->gw_pending = false;
	c->spool_held = false;
	c->body_in = 0;
	c->prog[0] = '\0';
	c->lg = c->w->lg;
	c->lg.sink = log_sink;
	c->lg.ctx = c;
	if (c->spool_ok)
		spool_reset(&c->spool);
}

/* Lets go of the script: it is stopped (abort) or left to exit (done),
 * and reaped either way. */
static void	script_stderr(struct conn *);

static void
release_script(struct conn *c, bool stop)
{
	struct worker	*w = c->w;
	/* Its output still open after it exited: a process it left behind
	 * holds it (a grandchild), the very thing to stop. */
	bool		 held = c->sout != -1;

	/* What the script wrote to stderr before it ended is in the pipe
	 * still: forward it before the request's records end. */
	if (c->serr != -1)
		script_stderr(c);
	close_fd(w, &c->ev_in, &c->sin);
	close_fd(w, &c->ev_out, &c->sout);
	close_fd(w, &c->ev_err, &c->serr);
	if (c->pid > 0) {
		if (stop && (!c->exited || held)) {
			enum child_stage	 st = CHILD_RUNS;
			long			 at;

			kill(-c->pid, child_stop_step(&st, (long)clock_ms(),
			    &at));
			linger_add(w, c->pid, at, st, c->exited);
		} else if (c->exited)
			script_reap(w, c->pid);
		else
			linger_add(w, c->pid, c->deadline, CHILD_RUNS, false);
	}
	c->pid = -1;
}

static void	queue_remove(struct conn *);

static void
request_end(struct conn *c, uint32_t app)
{
	if (!c->active)
		return;
	queue_remove(c);
	if (c->serr != -1)
		script_stderr(c);
	queue_records(c, FCGI_STDOUT, c->id, NULL, 0);
	if (c->sent_stderr)
		queue_records(c, FCGI_STDERR, c->id, NULL, 0);
	queue_end(c, c->id, app, FCGI_REQUEST_COMPLETE);
	c->active = false;
	release_script(c, false);
	confcache_release(c->ce);
	c->ce = NULL;
	if (c->keep)
		return;
	/* Closing while the server still sends the body makes its write
	 * fail (Apache answers 503, nginx 502): read the rest of the body
	 * first, dropping it, for a bounded time. */
	if (c->stdin_eof || !c->params_done) {
		c->close_after = true;
		return;
	}
	c->draining = true;
	c->drain_id = c->id;
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
queue_cut_off(struct conn *c)
{
	if (out_reserve(c, FCGI_HEADER_LEN) == -1)
		return;
	fcgirec_put_header(c->out + c->out_len, FCGI_STDOUT,
	    FCGI_NULL_REQUEST_ID, 0, 0);
	c->out_len += FCGI_HEADER_LEN;
}

/* Part of the answer is out, so no error answer can follow: only closing
 * the connection tells the server the answer is incomplete.  What is
 * queued, the request's log lines included, is written first. */
static void
request_abandon(struct conn *c)
{
	queue_cut_off(c);
	spool_reset(&c->spool);
	confcache_release(c->ce);
	c->ce = NULL;
	c->active = false;
	c->close_after = true;
}

/* An answer cors-wrap makes itself (preflight, error). */
static void
respond(struct conn *c, int status, const struct answer *a)
{
	struct worker	*w = c->w;
	size_t		 n;

	if ((n = response_format(w->resp, sizeof(w->resp), status, a)) == 0)
		n = response_format(w->resp, sizeof(w->resp), status, NULL);
	queue_stdout(c, w->resp, n);
}

static void
fail(struct conn *c, int status, bool cors)
{
	respond(c, status, cors ? &c->ans : NULL);
	request_end(c, 0);
}

/* The answer so far: held in the spool until the body has been passed
 * to the script, then sent. */
static int
emit(struct conn *c, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	if (!c->stdin_eof || spool_size(&c->spool) > 0) {
		if (spool_write(&c->spool, data, n) == -1) {
			log_msg(&c->lg, LOG_ERROR, "%s: cannot spool the "
			    "answer: %s", c->prog, strerror(errno));
			return -1;
		}
		return 0;
	}
	queue_stdout(c, data, n);
	return 0;
}

static void
pump(struct conn *c)
{
	ssize_t	 n;

	if (!c->active || !c->stdin_eof)
		return;
	while (spool_size(&c->spool) > 0 && out_pending(c) < OUT_HIGH) {
		n = spool_read(&c->spool, c->w->pbuf, sizeof(c->w->pbuf));
		if (n <= 0) {
			log_msg(&c->lg, LOG_ERROR, "%s: cannot read the "
			    "spooled answer", c->prog);
			release_script(c, true);
			request_abandon(c);
			return;
		}
		queue_stdout(c, c->w->pbuf, (size_t)n);
	}
	spool_resume(c);
	maybe_finish(c);
}

/*
 * The end of a script's output ends its answer unless the script died of
 * a signal: a crash cuts the answer off.  Its exit follows the close of
 * its output at once, so the answer's end waits for it, up to
 * GATEWAY_WAIT_MS; a script that closes its output and runs on ends its
 * answer then.
 */
static bool
await_exit(struct conn *c)
{
	if (c->exited || c->end_wait == END_WAITED)
		return false;
	if (c->end_wait == END_NOW) {
		c->end_wait = END_WAITING;
		c->deadline = (long)clock_ms() + GATEWAY_WAIT_MS;
	}
	return true;
}

static void
cut_off(struct conn *c)
{
	char	 how[128];

	child_describe_exit(c->wstatus, how, sizeof(how));
	log_msg(&c->lg, LOG_ERROR, "%s: %s during its answer; cutting it "
	    "off", c->prog, how);
	release_script(c, true);
	request_abandon(c);
}

static void
maybe_finish(struct conn *c)
{
	uint32_t	 app = 0;

	if (!c->active || c->pid <= 0 || !c->header_done || c->sout != -1 ||
	    !c->stdin_eof || spool_size(&c->spool) > 0 || await_exit(c))
		return;
	if (c->exited && WIFSIGNALED(c->wstatus)) {
		cut_off(c);
		return;
	}
	if (c->exited && WIFEXITED(c->wstatus))
		app = (uint32_t)WEXITSTATUS(c->wstatus);
	if (c->exited && !(WIFEXITED(c->wstatus) && app == 0)) {
		char	 how[128];

		child_describe_exit(c->wstatus, how, sizeof(how));
		log_msg(&c->lg, LOG_WARN, "%s: %s after its answer", c->prog,
		    how);
	}
	request_end(c, app);
}

/* The script failed before a valid header block.  The log names the exit
 * status, so this waits (briefly) for it. */
static void
bad_gateway(struct conn *c, const char *cause)
{
	char	 how[128];

	if (!c->exited && c->pid > 0 && !c->gw_pending) {
		c->gw_pending = true;
		snprintf(c->gw_cause, sizeof(c->gw_cause), "%s", cause);
		c->deadline = (long)clock_ms() + GATEWAY_WAIT_MS;
		close_fd(c->w, &c->ev_out, &c->sout);
		return;
	}
	if (c->exited)
		child_describe_exit(c->wstatus, how, sizeof(how));
	else
		snprintf(how, sizeof(how), "did not exit; stopped");
	log_msg(&c->lg, LOG_ERROR, "%s: %s (the script %s)", c->prog,
	    c->gw_pending ? c->gw_cause : cause, how);
	c->gw_pending = false;
	release_script(c, true);
	if (c->sent_any) {
		request_abandon(c);
		return;
	}
	spool_reset(&c->spool);
	fail(c, 502, c->pol->intercept_exceptions);
}

static bool
has_param(char *const *envp, const char *name)
{
	return request_env_get((void *)envp, name) != NULL;
}

static void
start_script(struct conn *c, const struct config *cfg)
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
				    request_env_get(c->envp, "SCRIPT_FILENAME");

		rc = script_from_filename(&s, prog, w->o->root_ceiling);
		if (rc == -1) {
			log_msg(&c->lg, LOG_WARN, "%s", s.why);
			fail(c, s.status != 0 ? s.status : 500, true);
		}
		script_free(&s);
		if (rc == -1)
			return;
	}
	if (cfg->exec != NULL)
		rc = script_from_exec(&s, cfg->exec, NULL, 0);
	else
		rc = script_from_filename(&s, request_env_get(c->envp,
		    "SCRIPT_FILENAME"), cfg->script_root);
	if (rc == -1) {
		log_msg(&c->lg, s.status == 500 ? LOG_ERROR : LOG_WARN, "%s",
		    s.why);
		fail(c, s.status != 0 ? s.status : 500, true);
		script_free(&s);
		return;
	}
	snprintf(c->prog, sizeof(c->prog), "%s", s.argv[0]);

	/* The params are the environment, not the daemon's own; PATH is
	 * added when the server sent none. */
	for (n = 0; c->envp[n] != NULL; n++)
		;
	if (!has_param(c->envp, "PATH")) {
		c->envp[n++] = c->w->default_path;
		c->envp[n] = NULL;
	}
	env = script_environ(&s, c->envp);
	if (env == NULL) {
		script_free(&s);
		fail(c, 500, true);
		return;
	}
	if (w->o->stderr_to_server)
		flags |= SPAWN_PIPE_ERR;
	if (!c->spool_ok) {
		if (spool_init(&c->spool, w->o->tmpdir) == -1) {
			free(env);
			script_free(&s);
			fail(c, 500, true);
			return;
		}
		c->spool_ok = true;
		c->spool.total = &w->spooled;
	}
	rc = child_spawn(&s, env, flags, &c->pid, &c->sin, &c->sout,
	    &c->serr);
	free(env);
	script_free(&s);
	if (rc != 0) {
		c->pid = -1;
		log_msg(&c->lg, LOG_ERROR, "%s: cannot run: %s", c->prog,
		    strerror(rc));
		fail(c, 502, c->pol->intercept_exceptions);
		return;
	}
	w->nscripts++;
	w->spawned++;
	if (!(flags & SPAWN_PIPE_ERR))
		c->serr = -1;
	script_clock_start(c);
	ev_watch(w, &c->ev_out, c->sout, EPOLLIN);
	if (c->serr != -1)
		ev_watch(w, &c->ev_err, c->serr, EPOLLIN);
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
			if (is_param(c->envp[i], joined_fields[k], len))
				count[k]++;
		for (i = 0; count[k] > 1 && i < *n; i++)
			if (is_param(c->envp[i], joined_fields[k], len))
				need += strlen(c->envp[i]) + 2;
	}
	if (need == 0)
		return 0;
	if (need > c->joined_cap) {
		if ((p = realloc(c->joined, need)) == NULL)
			return -1;
		c->joined = p;
		c->joined_cap = need;
	}
	for (k = 0; k < NJOINED; k++) {
		if (count[k] < 2)
			continue;
		len = strlen(joined_fields[k]);
		p = c->joined + o;
		memcpy(p, joined_fields[k], len);
		p[len] = '=';
		o += len + 1;
		/* The first keeps its place, now holding all; the rest go. */
		for (i = 0, j = 0, first = true; i < *n; i++) {
			v = c->envp[i];
			if (!is_param(v, joined_fields[k], len)) {
				c->envp[j++] = v;
				continue;
			}
			if (first)
				c->envp[j++] = p;
			else {
				memcpy(c->joined + o, ", ", 2);
				o += 2;
			}
			first = false;
			vlen = strlen(v + len + 1);
			memcpy(c->joined + o, v + len + 1, vlen);
			o += vlen;
		}
		c->joined[o++] = '\0';
		*n = j;
		c->envp[j] = NULL;
	}
	return 0;
}

/* The CORS_* params do not fit the cache key: the one value over the
 * limit is named, as config_load would. */
static void
too_large(struct conn *c)
{
	char *const	*e;
	const char	*eq;

	for (e = c->envp; *e != NULL; e++) {
		if (strncmp(*e, "CORS_", 5) != 0 ||
		    (eq = strchr(*e, '=')) == NULL ||
		    strlen(eq + 1) <= CONFIG_VALUE_MAX)
			continue;
		log_msg(&c->lg, LOG_ERROR, "cannot load the configuration: "
		    "%.*s: value longer than %d bytes", (int)(eq - *e), *e,
		    CONFIG_VALUE_MAX);
		return;
	}
	log_msg(&c->lg, LOG_ERROR, "cannot load the configuration: the "
	    "CORS_* params are longer than %d bytes in all",
	    CONFCACHE_KEY_MAX);
}

/* ---- scripts at once (-j) and the queue (--queue) ---- */

static bool
script_slot(const struct worker *w)
{
	return w->nscripts < w->o->max_scripts && w->spawned < SPAWN_BATCH;
}

static void
queue_remove(struct conn *c)
{
	struct worker	*w = c->w;

	if (!c->queued)
		return;
	if (c->qprev != NULL)
		c->qprev->qnext = c->qnext;
	else
		w->qhead = c->qnext;
	if (c->qnext != NULL)
		c->qnext->qprev = c->qprev;
	else
		w->qtail = c->qprev;
	c->qprev = c->qnext = NULL;
	c->queued = false;
	w->nqueued--;
}

/* More scripts than -j and --queue allow: 503, with the CORS headers so
 * that the page can read it, and Retry-After. */
static void
busy(struct conn *c)
{
	struct worker	*w = c->w;
	static const char retry[] = RETRY_AFTER;
	uint64_t	 dropped;
	size_t		 n;
	char		*eol;

	if (ratelimit_take(&w->busy_budget, c->ce->cfg.log_rate,
	    (int64_t)clock_ms(), &dropped))
		log_msg(&c->lg, LOG_ERROR, "%u scripts run and %u wait, the "
		    "most -j and --queue allow: answering 503 (%llu more such "
		    "requests not logged)", w->nscripts, w->nqueued,
		    (unsigned long long)dropped);
	n = response_format(w->resp, sizeof(w->resp) - sizeof(retry), 503,
	    c->pol->intercept_exceptions ? &c->ans : NULL);
	if (n > 0 && (eol = strstr(w->resp, "\r\n")) != NULL) {
		eol += 2;
		memmove(eol + sizeof(retry) - 1, eol,
		    n - (size_t)(eol - w->resp));
		memcpy(eol, retry, sizeof(retry) - 1);
		n += sizeof(retry) - 1;
	}
	queue_stdout(c, w->resp, n);
	request_end(c, 0);
}

static void
script_or_queue(struct conn *c, const struct config *cfg)
{
	struct worker	*w = c->w;

	if (w->qhead == NULL && script_slot(w)) {
		start_script(c, cfg);
		return;
	}
	if (w->nscripts + w->nqueued >= w->o->max_scripts + w->o->queue_max) {
		busy(c);
		return;
	}
	c->queued = true;
	c->qnext = NULL;
	c->qprev = w->qtail;
	if (w->qtail != NULL)
		w->qtail->qnext = c;
	else
		w->qhead = c;
	w->qtail = c;
	w->nqueued++;
}

/* Starts what waits, SPAWN_BATCH at a time; true when more could start
 * at once. */
static bool
queue_run(struct worker *w)
{
	struct conn	*c;

	w->spawned = 0;
	while ((c = w->qhead) != NULL && script_slot(w)) {
		queue_remove(c);
		/* -i counts from here: the wait in the queue was ours. */
		c->heard = (long)clock_ms();
		start_script(c, &c->ce->cfg);
		/* The body records held back go to the script now. */
		process(c);
		if (c->fd != -1 && out_pending(c) > 0)
			conn_flush(c);
		else if (c->fd != -1 && c->close_after && !c->active)
			conn_close(c);
	}
	return w->qhead != NULL && w->nscripts < w->o->max_scripts;
}

/* FCGI_PARAMS is complete: decide, then answer or start the script. */
static void
request_start(struct conn *c)
{
	struct worker		*w = c->w;
	const struct section	*sec;
	const struct config	*cfg;
	enum fcgi_params_result	 pr;
	size_t			 n;

	pr = fcgirec_params(c->params, c->params_len, (char *)c->params,
	    c->envp, PARAMS_COUNT_MAX, &n);
	if (pr != FCGI_PARAMS_OK) {
		log_msg(&c->lg, LOG_ERROR, "invalid FCGI_PARAMS: %s",
		    pr == FCGI_PARAMS_TOO_MANY ? "too many" :
		    pr == FCGI_PARAMS_BAD ? "empty name, NUL byte or '=' in a "
		    "name" : "a length runs past the data");
		fail(c, 500, false);
		return;
	}
	if (join_repeated(c, &n) == -1) {
		log_msg(&c->lg, LOG_ERROR, "out of memory");
		fail(c, 500, false);
		return;
	}
	c->ce = confcache_get(&w->cache, c->envp);
	if (c->ce == NULL) {
		if (w->cache.miss == CONFCACHE_TOO_LARGE)
			too_large(c);
		else
			log_msg(&c->lg, LOG_ERROR, "cannot load the "
			    "configuration: out of memory");
		fail(c, 500, false);
		return;
	}
	if (!c->ce->ok) {
		/* Fail closed, as in CGI mode. */
		exchange_log_diag(&c->lg, &c->ce->diag);
		fail(c, 500, false);
		return;
	}
	cfg = &c->ce->cfg;
	c->lg.level = cfg->log_level;
	request_read(&c->req, request_env_get, c->envp);
	sec = exchange_decide(cfg, &c->req, &c->ans);
	c->pol = &sec->policy;
	{
		struct log_budget	 b = { &w->budget, false };

		exchange_log(&c->lg, cfg, &b, &c->req, sec, &c->ans);
	}

	if (c->req.preflight && c->pol->automatic_options) {
		/* The whole point: no process, no allocation. */
		respond(c, c->pol->preflight_status, &c->ans);
		request_end(c, 0);
		return;
	}
	script_or_queue(c, cfg);
}

/* ---- the script's output ---- */

static void
feed_header(struct conn *c, const char *data, size_t n)
{
	struct worker		*w = c->w;
	enum cgihdr_result	 r;
	const char		*bad;
	size_t			 take, m;
	char			 cause[160];

	take = CGI_HEADER_MAX - c->hlen;
	if (take > n)
		take = n;
	memcpy(c->hbuf + c->hlen, data, take);
	c->hlen += take;
	r = cgiheader_parse(c->hbuf, c->hlen, false, c->h, &bad);
	if (r == CGIHDR_INCOMPLETE && c->hlen < CGI_HEADER_MAX)
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
		bad_gateway(c, cause);
		return;
	}
	m = cgiheader_merge(c->h, &c->ans, w->mbuf, sizeof(w->mbuf));
	if (m == 0) {
		bad_gateway(c, "merged header block too large");
		return;
	}
	{
		struct log_budget	 b = { &w->budget, false };

		exchange_log_merged(&c->lg, &c->ce->cfg, &b, &c->req, c->h,
		    &c->ans);
	}
	c->header_done = true;
	if (emit(c, w->mbuf, m) == -1 ||
	    emit(c, c->hbuf + c->h->block_len, c->hlen - c->h->block_len) ==
	    -1 || emit(c, data + take, n - take) == -1)
		bad_gateway(c, "cannot spool the answer");
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
spool_room(const struct conn *c)
{
	const struct fastcgi_opts *o = c->w->o;
	uint64_t	 mine = spool_size(&c->spool), all = c->w->spooled;
	uint64_t	 room;

	if (c->stdin_eof && mine == 0)
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
spool_resume(struct conn *c)
{
	if (!c->spool_held || c->sout == -1 || spool_room(c) == 0)
		return false;
	c->spool_held = false;
	if (out_pending(c) < OUT_HIGH)
		ev_watch(c->w, &c->ev_out, c->sout, EPOLLIN);
	return true;
}

static void
spool_hold(struct conn *c)
{
	ev_watch(c->w, &c->ev_out, c->sout, 0);
	if (c->spool_held)
		return;
	c->spool_held = true;
	c->spool_stall = 0;
	log_msg(&c->lg, LOG_INFO, "%s: its answer waits, %zu bytes spooled "
	    "(-b %" PRIu64 ", -B %" PRIu64 " for %" PRIu64 " bytes of the "
	    "worker's), for the end of the request body", c->prog,
	    spool_size(&c->spool), c->w->o->spool_max,
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
spool_deadlock(struct conn *c)
{
	log_msg(&c->lg, LOG_ERROR, "%s: writes more than the spool holds "
	    "(-b %" PRIu64 ", -B %" PRIu64 ") before it reads its request "
	    "body; stopping it", c->prog, c->w->o->spool_max,
	    c->w->o->spool_worker_max);
	c->spool_held = false;
	release_script(c, true);
	spool_reset(&c->spool);
	/* Nothing of the answer went out: it was all spooled. */
	fail(c, 502, c->pol->intercept_exceptions);
	process(c);
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
spool_check(struct conn *c, long now, long *next_at)
{
	if (!c->spool_held)
		return false;
	if (!c->active || c->sout == -1) {
		c->spool_held = false;
		return false;
	}
	if (spool_resume(c))
		return false;
	if (c->sin == -1 || !(c->ev_in.events & EPOLLOUT) ||
	    !pipe_full(c->sout)) {
		c->spool_stall = 0;
	} else if (c->spool_stall == 0 || c->body_in != c->body_mark) {
		c->spool_stall = now + SPOOL_STALL_MS;
		c->body_mark = c->body_in;
	} else if (c->spool_stall <= now) {
		spool_deadlock(c);
		return c->fd == -1;
	}
	if (*next_at == -1 || now + SPOOL_CHECK_MS < *next_at)
		*next_at = now + SPOOL_CHECK_MS;
	return false;
}

static void
script_output(struct conn *c)
{
	struct worker		*w = c->w;
	enum cgihdr_result	 r;
	const char		*bad;
	ssize_t			 n;
	size_t			 room;

	while (c->active && c->sout != -1) {
		if (out_pending(c) >= OUT_HIGH) {
			/* Back-pressure: the pipe fills, the script waits. */
			ev_watch(w, &c->ev_out, c->sout, 0);
			return;
		}
		if ((room = spool_room(c)) == 0) {
			spool_hold(c);
			return;
		}
		n = read(c->sout, w->rbuf, room < sizeof(w->rbuf) ? room :
		    sizeof(w->rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(w, &c->ev_out, &c->sout);
			if (!c->header_done) {
				r = cgiheader_parse(c->hbuf, c->hlen, true,
				    c->h, &bad);
				bad_gateway(c, cgihdr_str(r == CGIHDR_OK ?
				    CGIHDR_INCOMPLETE : r));
				return;
			}
			maybe_finish(c);
			return;
		}
		script_active(c);
		if (!c->header_done) {
			feed_header(c, w->rbuf, (size_t)n);
			continue;
		}
		if (emit(c, w->rbuf, (size_t)n) == -1) {
			bad_gateway(c, "cannot spool the answer");
			return;
		}
	}
}

static void
script_stderr(struct conn *c)
{
	struct worker	*w = c->w;
	ssize_t		 n;

	for (;;) {
		if (out_pending(c) >= OUT_HIGH) {
			/* As for stdout: a peer that does not read makes the
			 * pipe fill and the script wait, rather than the
			 * buffer grow (conn_flush watches it again). */
			ev_watch(w, &c->ev_err, c->serr, 0);
			return;
		}
		n = read(c->serr, w->rbuf, sizeof(w->rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(w, &c->ev_err, &c->serr);
			return;
		}
		script_active(c);
		if (c->active && queue_records(c, FCGI_STDERR, c->id, w->rbuf,
		    (size_t)n) == 0)
			c->sent_stderr = true;
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
write_stdin(struct conn *c, const uint8_t *data, size_t n)
{
	ssize_t	 wr;

	while (c->stdin_off < n) {
		wr = write(c->sin, data + c->stdin_off, n - c->stdin_off);
		if (wr == -1 && errno == EINTR)
			continue;
		if (wr == -1 && errno == EAGAIN) {
			ev_watch(c->w, &c->ev_in, c->sin, EPOLLOUT);
			return REC_BLOCKED;
		}
		if (wr == -1) {
			/* The script will read no more (EPIPE): the rest of
			 * the body is read from the server and dropped. */
			close_fd(c->w, &c->ev_in, &c->sin);
			return REC_NEXT;
		}
		c->stdin_off += (size_t)wr;
		script_active(c);
		c->body_in += (uint64_t)wr;
	}
	if (c->ev_in.fd != -1)
		ev_watch(c->w, &c->ev_in, c->sin, 0);
	return REC_NEXT;
}

static enum rec_result
record(struct conn *c, const struct fcgi_rec *r, const uint8_t *data)
{
	struct worker	*w = c->w;
	size_t		 n;

	/* Every record below but PARAMS, STDIN, DATA and ABORT may queue a
	 * reply of its own; a peer that sends them without reading the
	 * replies would grow the output buffer without end. */
	if (out_pending(c) >= OUT_HIGH && r->type != FCGI_PARAMS &&
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
		if (c->active) {
			queue_end(c, r->id, 0, FCGI_CANT_MPX_CONN);
			return REC_NEXT;
		}
		if ((data[0] << 8 | data[1]) != FCGI_RESPONDER) {
			queue_end(c, r->id, 0, FCGI_UNKNOWN_ROLE);
			if (!(data[2] & FCGI_KEEP_CONN))
				c->close_after = true;
			return REC_NEXT;
		}
		request_begin(c, r->id, data[2] & FCGI_KEEP_CONN);
		return REC_NEXT;
	case FCGI_ABORT_REQUEST:
		if (c->active && r->id == c->id) {
			log_msg(&c->lg, LOG_INFO, "request aborted by the "
			    "server");
			release_script(c, true);
			spool_reset(&c->spool);
			request_end(c, 0);
		}
		return REC_NEXT;
	case FCGI_PARAMS:
		if (!c->active || r->id != c->id || c->params_done)
			return REC_NEXT;
		if (r->clen == 0) {
			c->params_done = true;
			request_start(c);
			return REC_NEXT;
		}
		if (c->params_len + r->clen > c->params_cap) {
			size_t	 cap = c->params_cap * 2;
			uint8_t	*p;

			while (cap < c->params_len + r->clen)
				cap *= 2;
			if (cap > PARAMS_MAX ||
			    (p = realloc(c->params, cap)) == NULL) {
				c->params_done = true;
				log_msg(&c->lg, LOG_ERROR, "FCGI_PARAMS larger "
				    "than %zu bytes", PARAMS_MAX);
				fail(c, 500, false);
				return REC_NEXT;
			}
			c->params = p;
			c->params_cap = cap;
		}
		memcpy(c->params + c->params_len, data, r->clen);
		c->params_len += r->clen;
		return REC_NEXT;
	case FCGI_STDIN:
		if (c->draining && r->id == c->drain_id && r->clen == 0) {
			c->draining = false;
			c->close_after = true;
			return REC_NEXT;
		}
		if (c->queued)
			return REC_BLOCKED;
		if (!c->active || r->id != c->id || c->stdin_eof ||
		    !c->params_done)
			return REC_NEXT;
		if (r->clen == 0) {
			c->stdin_eof = true;
			close_fd(w, &c->ev_in, &c->sin);
			pump(c);
			return REC_NEXT;
		}
		if (c->sin == -1)
			return REC_NEXT;
		return write_stdin(c, data, r->clen);
	case FCGI_GET_VALUES:
		if (out_reserve(c, 256) == 0) {
			n = fcgirec_get_values(data, r->clen,
			    c->out + c->out_len, 256, w->o->max_conns);
			c->out_len += n;
		}
		return REC_NEXT;
	case FCGI_DATA:
		return REC_NEXT;
	default:
		if (r->id == FCGI_NULL_REQUEST_ID && out_reserve(c, 16) == 0) {
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
process(struct conn *c)
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
		rr = record(c, &r, c->in + c->in_off + FCGI_HEADER_LEN);
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
			c->stdin_off = 0;
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
	ev_watch(c->w, &c->ev, c->fd, (rr == REC_BLOCKED || c->close_after ?
	    0 : EPOLLIN) | (out_pending(c) > 0 ? EPOLLOUT : 0) |
	    (c->queued ? EPOLLRDHUP : 0));
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
		spool_blank(&c->spool);
		c->in = malloc(IN_SIZE);
		c->params = malloc(PARAMS_INIT);
		c->params_cap = PARAMS_INIT;
		c->envp = calloc(PARAMS_COUNT_MAX + 2, sizeof(char *));
		c->hbuf = malloc(CGI_HEADER_MAX);
		c->h = malloc(sizeof(*c->h));
		if (c->in == NULL || c->params == NULL || c->envp == NULL ||
		    c->hbuf == NULL || c->h == NULL) {
			free(c->in);
			free(c->params);
			free(c->envp);
			free(c->hbuf);
			free(c->h);
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
	c->active = false;
	c->pid = -1;
	c->sin = c->sout = c->serr = -1;
	c->ev.kind = EV_CONN;
	c->ev_in.kind = EV_SIN;
	c->ev_out.kind = EV_SOUT;
	c->ev_err.kind = EV_SERR;
	c->ev.c = c->ev_in.c = c->ev_out.c = c->ev_err.c = c;
	c->ev.fd = c->ev_in.fd = c->ev_out.fd = c->ev_err.fd = -1;
	c->ev.events = c->ev_in.events = c->ev_out.events = 0;
	c->ev_err.events = 0;
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	ev_watch(w, &c->ev, fd, EPOLLIN);
	return c;
}

static void
conn_free(struct conn *c)
{
	if (c->spool_ok)
		spool_free(&c->spool);
	free(c->in);
	free(c->params);
	free(c->envp);
	free(c->joined);
	free(c->hbuf);
	free(c->h);
	free(c->out);
	free(c);
}

/* After a burst: the connections closed beyond SPARE_KEEP are freed, here
 * at the top of the loop where no one holds one (the callers of
 * conn_close may still look at theirs), and their memory goes back to the
 * system once the worker has been quiet a while (malloc keeps it for the
 * process otherwise). */
static void
pool_trim(struct worker *w, long now, long *next_at)
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

	queue_remove(c);
	if (c->active) {
		release_script(c, true);
		confcache_release(c->ce);
		c->ce = NULL;
		c->active = false;
	}
	release_script(c, false);
	ev_forget(w, &c->ev);
	close(c->fd);
	c->fd = -1;
	if (c->spool_ok)
		spool_reset(&c->spool);
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
	listen_watch(w);
}

/* The server closed the connection (nginx does not send
 * FCGI_ABORT_REQUEST when its client goes): the request is over. */
static void
conn_gone(struct conn *c, const char *why)
{
	if (c->active)
		log_msg(&c->w->lg, LOG_INFO, "connection %s during a request%s"
		    "%s", why, c->prog[0] != '\0' ? "; stopping " : "",
		    c->prog);
	conn_close(c);
}

static void
conn_flush(struct conn *c)
{
	ssize_t	 n;

	while (out_pending(c) > 0) {
		n = write(c->fd, c->out + c->out_off, out_pending(c));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			conn_gone(c, strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
		if (c->active)
			script_active(c);
		c->heard = (long)clock_ms();
	}
	if (out_pending(c) == 0) {
		c->out_off = c->out_len = 0;
		if (c->close_after && !c->active) {
			conn_close(c);
			return;
		}
	}
	if (c->active && out_pending(c) < OUT_HIGH / 2) {
		if (c->sout != -1 && c->ev_out.events == 0 && !c->spool_held)
			ev_watch(c->w, &c->ev_out, c->sout, EPOLLIN);
		if (c->serr != -1 && c->ev_err.events == 0)
			ev_watch(c->w, &c->ev_err, c->serr, EPOLLIN);
		pump(c);
	}
	if (c->fd != -1)
		ev_watch(c->w, &c->ev, c->fd, (c->ev.events &
		    (EPOLLIN | EPOLLRDHUP)) | (out_pending(c) > 0 ? EPOLLOUT : 0));
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
		if (c->active)
			script_active(c);
		c->heard = (long)clock_ms();
	if (c->draining)
		c->drain_quiet = (long)clock_ms() + DRAIN_QUIET_MS;
	process(c);
}

/* ---- the loop ---- */

/* At the connection limit the listener leaves the epoll set (it would
 * stay readable and spin) and comes back when a connection closes. */
static void
listen_watch(struct worker *w)
{
	struct epoll_event	 ee;
	bool			 want = !w->stopping &&
				    w->nconns < w->o->max_conns &&
				    w->accept_resume == 0;

	if (want == (w->ev_listen.fd != -1))
		return;
	if (!want) {
		ev_forget(w, &w->ev_listen);
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
	listen_watch(w);
}

static void
accept_all(struct worker *w)
{
	int	 fd;

	for (;;) {
		if (w->nconns >= w->o->max_conns) {
			listen_watch(w);
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
reap(struct worker *w)
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
		if (c->pid <= 0 || c->exited || !script_ended(c->pid, &st))
			continue;
		c->exited = true;
		c->wstatus = st;
		if (c->gw_pending)
			bad_gateway(c, c->gw_cause);
		else
			maybe_finish(c);
		if (c->fd != -1 && out_pending(c) > 0)
			conn_flush(c);
	}
	for (i = 0; i < w->nlinger; ) {
		struct lingerer	*l = &w->linger[i];

		if (l->ended || !script_ended(l->pid, &st)) {
			i++;
			continue;
		}
		if (l->stage == CHILD_TERM_SENT) {
			/* The rest of its group gets its SIGKILL still. */
			l->ended = true;
			i++;
			continue;
		}
		script_reap(w, l->pid);
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
stop(struct worker *w)
{
	struct conn	*c, *next;

	if (w->stopping)
		return;
	w->stopping = true;
	ev_forget(w, &w->ev_listen);
	/* The master has closed its copy: with the workers' gone too, a new
	 * connection is refused while those in flight finish. */
	fastcgi_unlisten(w->o);
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->active && out_pending(c) == 0)
			conn_close(c);
		else if (!c->active)
			c->close_after = true;
		else
			c->keep = false;
	}
}

static void
on_signal(struct worker *w)
{
	struct signalfd_siginfo	 si;

	while (read(w->ev_sig.fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(w);
			break;
		case SIGHUP:
			/* Re-read configuration files on next use. */
			confcache_clear(&w->cache);
			break;
		default:
			stop(w);
			break;
		}
	}
}

static void
timeout(struct conn *c, long now)
{
	char	 how[128], why[64];

	if (c->life_end != 0 && c->life_end <= now)
		snprintf(why, sizeof(why), "ran for %u s (-T)",
		    c->w->o->life);
	else
		snprintf(why, sizeof(why), "silent for %u s",
		    c->w->o->timeout);
	if (c->exited && c->sout != -1) {
		child_describe_exit(c->wstatus, how, sizeof(how));
		log_msg(&c->lg, LOG_ERROR, "%s: timed out, %s: the script "
		    "%s, but a process it left holds its output; stopping it",
		    c->prog, why, how);
	} else
		log_msg(&c->lg, LOG_ERROR, "%s: timed out, %s; stopping it",
		    c->prog, why);
	release_script(c, true);
	if (c->sent_any) {
		request_abandon(c);
		conn_flush(c);
		return;
	}
	spool_reset(&c->spool);
	fail(c, 504, c->pol->intercept_exceptions);
	conn_flush(c);
}

/* A script closed its output and runs on: its answer ends without its
 * exit status, and it may run on while it is not silent for -t. */
static void
end_unwaited(struct conn *c, long now)
{
	c->end_wait = END_WAITED;
	script_quiet_from(c, now);
	maybe_finish(c);
	if (c->fd != -1)
		conn_flush(c);
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
		return out_pending(c) > 0 ? "to read its answer" : NULL;
	/* A queued request reads nothing on purpose (-j): its peer's
	 * silence is ours. */
	if (c->queued)
		return NULL;
	if (!c->active)
		return out_pending(c) > 0 ? "to read its answer" :
		    "a request";
	if (!c->params_done)
		return "the rest of FCGI_PARAMS";
	if (!c->stdin_eof && (c->ev.events & EPOLLIN))
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
	if (w->stopping && (!c->active || !c->params_done) &&
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
	if (c->active)
		bound_note(w, "FastCGI peer silent for %ld s while waited for "
		    "(%s); closing the connection%s%s", limit / 1000, what,
		    c->prog[0] != '\0' ? " and stopping " : "", c->prog);
	conn_close(c);
	return true;
}

static long
timers(struct worker *w, long now)
{
	struct conn	*c, *next;
	long		 next_at = -1;
	size_t		 i;
	int		 sig;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (idle_expired(c, now, &next_at) ||
		    spool_check(c, now, &next_at))
			continue;
		if (c->draining) {
			long	 at = c->drain_quiet < c->drain_deadline ?
				    c->drain_quiet : c->drain_deadline;

			if (at <= now && out_pending(c) == 0) {
				conn_close(c);
				continue;
			}
			/* Over, but for an answer the peer has still to read:
			 * its flush wakes the loop, or -i ends it
			 * (peer_awaited). */
			if (at > now && (next_at == -1 || at < next_at))
				next_at = at;
		}
		if (!c->active || c->pid <= 0 || c->deadline == 0)
			continue;
		if (c->deadline <= now) {
			if (c->gw_pending) {
				bad_gateway(c, c->gw_cause);
				if (c->fd != -1)
					conn_flush(c);
			} else if (c->end_wait == END_WAITING)
				end_unwaited(c, now);
			else
				timeout(c, now);
			continue;
		}
		if (next_at == -1 || c->deadline < next_at)
			next_at = c->deadline;
	}
	if (w->accept_resume != 0) {
		if (w->accept_resume <= now) {
			w->accept_resume = 0;
			listen_watch(w);
		} else if (next_at == -1 || w->accept_resume < next_at)
			next_at = w->accept_resume;
	}
	for (i = 0; i < w->nlinger; ) {
		struct lingerer	*l = &w->linger[i];

		if (l->deadline > now) {
			if (next_at == -1 || l->deadline < next_at)
				next_at = l->deadline;
			i++;
			continue;
		}
		/* SIGTERM to the group at the first deadline, SIGKILL at
		 * each one after. */
		sig = child_stop_step(&l->stage, now, &l->deadline);
		kill(-l->pid, sig);
		if (sig == SIGKILL && l->ended) {
			script_reap(w, l->pid);
			linger_remove(w, i);
			continue;
		}
		i++;	/* after SIGKILL, removed when reaped */
	}
	return next_at;
}

static void
dispatch(struct worker *w, struct ev *e, uint32_t events)
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
		    (c->queued && (events & EPOLLRDHUP)))
			conn_gone(c, events & EPOLLERR ? "failed" :
			    "closed by the server");
		else if (events & EPOLLIN)
			conn_read(c);
		else if (events & EPOLLOUT)
			conn_flush(c);
		break;
	case EV_SIN:
		process(c);
		break;
	case EV_SOUT:
		script_output(c);
		break;
	case EV_SERR:
		script_stderr(c);
		break;
	}
	if (c->fd != -1 && out_pending(c) > 0)
		conn_flush(c);
	else if (c->fd != -1 && c->close_after && !c->active)
		conn_close(c);
}

static int
setup(struct worker *w)
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
	ev_watch(w, &w->ev_sig, sfd, EPOLLIN);
	fcntl(w->o->listen_fd, F_SETFL, fcntl(w->o->listen_fd, F_GETFL) |
	    O_NONBLOCK);
	w->ev_listen.kind = EV_LISTEN;
	w->ev_listen.fd = -1;
	/* EPOLLEXCLUSIVE: one worker wakes for each new connection. */
	listen_watch(w);
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
	    setup(&w) == -1) {
		log_msg(&w.lg, LOG_ERROR, "worker setup: %s", strerror(errno));
		return 1;
	}
	for (;;) {
		now = (long)clock_ms();
		next_at = timers(&w, now);
		pool_trim(&w, now, &next_at);
		if (w.stopping && w.nconns == 0)
			break;
		wait = next_at == -1 ? -1 : (int)(next_at - now + 1);
		if (queue_run(&w))
			wait = 0;
		n = epoll_wait(w.ep, evs, 64, wait);
		if (n == -1 && errno != EINTR) {
			log_msg(&w.lg, LOG_ERROR, "epoll_wait: %s",
			    strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++)
			dispatch(&w, evs[i].data.ptr, evs[i].events);
		if (w.accept_due) {
			w.accept_due = false;
			accept_all(&w);
		}
	}
	/* Scripts still running past their answer: stop them now. */
	for (i = 0; i < (int)w.nlinger; i++)
		kill(-w.linger[i].pid, SIGTERM);
	while ((c = w.spare) != NULL) {
		w.spare = c->next;
		conn_free(c);
	}
	confcache_free(&w.cache);
	return 0;
}
