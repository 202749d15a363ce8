/*
 * The FastCGI worker's event loop (lib/fcgiserve.h): epoll, the listener,
 * signals, the timers of every connection, and the worker's setup and
 * graceful stop.
 */
#include "fcgiworker.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "layout.h"
#include "metrics.h"

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

void
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

/*
 * Also how a script's pipe is paused (back-pressure, the spool's bound, a
 * body record written whole): watched for no event, it would stay in the
 * set, and epoll reports a pipe's hang-up or error whatever is watched, at
 * every wait.  A script that exited (or closed its stdin) while paused made
 * the worker spin until the server read on or sent more.
 */
void
event_forget(struct worker *w, struct ev *e)
{
	if (e->fd != -1)
		epoll_ctl(w->ep, EPOLL_CTL_DEL, e->fd, NULL);
	e->fd = -1;
	e->events = 0;
}

void
event_close_fd(struct worker *w, struct ev *e, int *fd)
{
	if (*fd == -1)
		return;
	if (e->fd == *fd)
		event_forget(w, e);
	close(*fd);
	*fd = -1;
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

/* At the connection limit the listener leaves the epoll set (it would
 * stay readable and spin) and comes back when a connection closes. */
void
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

/*
 * The master's second SIGTERM, passed on as SIGUSR1 (a worker may get
 * SIGTERM twice in a graceful stop: from the master and from its process
 * group): every request ends now, as at a timeout.  A script is stopped
 * (SIGTERM, then SIGKILL after its grace); an answer already begun is cut
 * off in the way a server sees (conn_send_cut_off), one not begun is a
 * 503.  The worker then exits as its connections close.
 */
static void
worker_stop_now(struct worker *w)
{
	struct conn	*c, *next;

	worker_stop(w);
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->fd == -1 || !c->rq.active)
			continue;
		log_msg(&c->rq.lg, LOG_WARN, "the daemon stops now (a second "
		    "SIGTERM): %s", c->rq.sent_any ? "cutting the answer off" :
		    "answering 503");
		fcgireq_dequeue(c);
		if (c->ch.pid > 0)
			fcgichild_release(c, true);
		if (c->rq.sent_any)
			fcgireq_abandon(c);
		else {
			spool_reset(&c->ch.spool);
			fcgireq_fail(c, 503, false);
		}
		conn_flush(c);
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
		case SIGUSR1:
			worker_stop_now(w);
			break;
		default:
			worker_stop(w);
			break;
		}
	}
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
		conn_resume(c);
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
		fcgipipe_read_stdout(c);
		break;
	case EV_SERR:
		fcgipipe_read_stderr(c);
		break;
	}
	if (c->fd != -1 && conn_out_pending(c) > 0)
		conn_flush(c);
	else if (c->fd != -1 && c->close_after && !c->rq.active)
		conn_close(c);
	conn_resume(c);
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
	sigaddset(&set, SIGUSR1);
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
	/* 150 KiB: after the small variables a CGI process writes. */
LATE_BSS_BEGIN
	static struct worker	 w LATE_BSS;
LATE_BSS_END
	struct epoll_event	 evs[64];
	struct conn		*c;
	long			 now, next_at;
	int			 n, i, wait;

	memset(&w, 0, sizeof(w));
	w.ep = w.ev_listen.fd = w.ev_sig.fd = -1;
	w.o = o;
	memcpy(w.default_path, DEFAULT_PATH, sizeof(DEFAULT_PATH));
	w.lg.level = o->log_level;
	w.lg.format = o->log_format;
	w.lg.fd = STDERR_FILENO;
	metrics_worker_start(o->metrics_slot);
	if ((w.linger = calloc(o->max_scripts, sizeof(*w.linger))) == NULL ||
	    confcache_init(&w.cache, o->config, o->environ) == -1 ||
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
	free(w.linger);
	return 0;
}
