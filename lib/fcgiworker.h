/*
 * The FastCGI worker's own header, for its files only (lib/fcgiserve.h is
 * the interface): a connection holds at most one request (no
 * multiplexing), which runs at most one script.  By layer:
 *   fcgiconn.c   connections, their buffers, the records read and written
 *   fcgireq.c    the request: params, decision, answer, the -j queue
 *   fcgichild.c  the script as a process: start, exit, reap, deadlines
 *   fcgipipe.c   bytes between them: the body in, the answer out through
 *                the spool
 *   fcgiloop.c   the event loop, its timers and signals, the listener
 */
#ifndef CORS_FCGIWORKER_H
#define CORS_FCGIWORKER_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgiheader.h"
#include "child.h"
#include "confcache.h"
#include "fcgirec.h"
#include "fcgiserve.h"
#include "log.h"
#include "policy.h"
#include "ratelimit.h"
#include "request.h"
#include "response.h"
#include "spool.h"

#define PARAMS_COUNT_MAX 1024
#define READ_CHUNK	32768		/* script output per read */
#define OUT_HIGH	((size_t)256 * 1024)	/* stop reading the script above */
/* An answer given before the whole body arrived (an error, a preflight)
 * on a connection that is not kept: closing at once breaks the server's
 * write of the rest (Apache answers 503, nginx 502), but nginx also stops
 * sending and waits for the close.  So the rest is read and dropped until
 * the body's end, the server pausing, or a limit. */
#define DRAIN_MS	30000
#define DRAIN_QUIET_MS	200
#define DEFAULT_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"

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
	struct lingerer	*linger;	/* room for -j: each is one of
					   nscripts */
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

enum rec_result {
	REC_NEXT,
	REC_BLOCKED,	/* the script's stdin is full: wait */
	REC_CLOSE,	/* protocol error */
	REC_GONE	/* the connection was closed */
};

/* fcgiloop.c: epoll registration */
void	event_watch(struct worker *w, struct ev *e, int fd, uint32_t events);
void	event_forget(struct worker *w, struct ev *e);
void	event_close_fd(struct worker *w, struct ev *e, int *fd);
void	worker_listen_watch(struct worker *w);

/* fcgiconn.c: connections, their buffers and records */
struct conn	*conn_new(struct worker *w, int fd);
void	conn_free(struct conn *c);
void	conn_pool_trim(struct worker *w, long now, long *next_at);
void	conn_close(struct conn *c);
void	conn_gone(struct conn *c, const char *why);
void	conn_flush(struct conn *c);
void	conn_read(struct conn *c);
void	conn_process_records(struct conn *c);
void	conn_resume(struct conn *c);
int	conn_send_records(struct conn *c, uint8_t type, uint16_t id,
	    const void *data, size_t n);
void	conn_send_stdout(struct conn *c, const void *data, size_t n);
void	conn_send_end(struct conn *c, uint16_t id, uint32_t app, uint8_t proto);
void	conn_send_cut_off(struct conn *c);

/* Bytes queued for the peer, not yet written: asked on every path. */
static inline size_t
conn_out_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

/* fcgireq.c: the request, its answer, the -j queue */
void	fcgireq_reset(struct conn *c);
void	fcgireq_begin(struct conn *c, uint16_t id, bool keep);
void	fcgireq_add_params(struct conn *c, const uint8_t *data, size_t n);
void	fcgireq_start(struct conn *c);
void	fcgireq_end(struct conn *c, uint32_t app);
void	fcgireq_abandon(struct conn *c);
void	fcgireq_fail(struct conn *c, int status, bool cors);
void	fcgireq_dequeue(struct conn *c);
bool	fcgireq_queue_run(struct worker *w);
int	answer_add(struct conn *c, const void *data, size_t n);

/* fcgichild.c: the script as a process */
void	fcgichild_reset(struct conn *c);
void	fcgichild_start(struct conn *c, const struct config *cfg);
void	fcgichild_active(struct conn *c);
void	fcgichild_release(struct conn *c, bool stop);
void	fcgichild_finish(struct conn *c);
void	fcgichild_bad_gateway(struct conn *c, const char *cause);
void	fcgichild_reap(struct worker *w);
void	fcgichild_deadline(struct conn *c, long now, long *next_at);
void	fcgichild_linger_timers(struct worker *w, long now, long *next_at);
void	fcgichild_linger_stop(struct worker *w);

/* fcgipipe.c: bytes between the server and the script */
enum rec_result	fcgipipe_write_body(struct conn *c, const uint8_t *data,
	    size_t n);
void	fcgipipe_read_stdout(struct conn *c);
void	fcgipipe_read_stderr(struct conn *c);
void	fcgipipe_unspool(struct conn *c);
bool	fcgipipe_check(struct conn *c, long now, long *next_at);

#endif
