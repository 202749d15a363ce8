/*
 * The bytes between the server and a script: the request body written to
 * its stdin, its stdout (the CGI header block, merged, then the answer)
 * held in the spool until the body has all been passed on, and its stderr
 * passed to the server.
 */
#include "fcgiworker.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exchange.h"
#include "metrics.h"

/* A script held back at the spool's bound (-b, -B) is looked at this
 * often; when it also leaves its input unread this long, with its output
 * pipe full, each waits for the other and the request fails. */
#define SPOOL_CHECK_MS	250
#define SPOOL_STALL_MS	2000

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
	event_forget(c->w, &c->ch.ev_out);
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
bool
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

void
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

enum rec_result
fcgipipe_write_body(struct conn *c, const uint8_t *data, size_t n)
{
	ssize_t	 wr;

	while (c->rq.stdin_off < n) {
		wr = write(c->ch.sin, data + c->rq.stdin_off,
		    n - c->rq.stdin_off);
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
	event_forget(c->w, &c->ch.ev_in);
	return REC_NEXT;
}

static void
fcgipipe_feed_header(struct conn *c, const char *data, size_t n)
{
	struct worker		*w = c->w;
	enum child_header	 hr;
	size_t			 take, m;
	char			 cause[160];

	take = CGI_HEADER_MAX - c->ch.hlen;
	if (take > n)
		take = n;
	memcpy(c->ch.hbuf + c->ch.hlen, data, take);
	c->ch.hlen += take;
	hr = child_header_feed(c->ch.hbuf, c->ch.hlen, false, c->ch.h,
	    &c->rq.ans, w->mbuf, sizeof(w->mbuf), &m, cause, sizeof(cause));
	/* Never at CGI_HEADER_MAX: a full buffer without its blank line is
	 * too big, not more to read. */
	if (hr == CHILD_HEADER_MORE)
		return;
	if (hr == CHILD_HEADER_BAD) {
		fcgichild_bad_gateway(c, cause);
		return;
	}
	{
		struct log_budget	 b = { &w->budget, false };

		if (exchange_log_merged(&c->rq.lg, &c->rq.ce->cfg, &b,
		    &c->rq.req, c->ch.h, &c->rq.ans))
			metrics_withheld(w->o->metrics_slot);
	}
	c->ch.header_done = true;
	if (answer_add(c, w->mbuf, m) == -1 ||
	    answer_add(c, c->ch.hbuf + c->ch.h->block_len,
	    c->ch.hlen - c->ch.h->block_len) == -1 ||
	    answer_add(c, data + take, n - take) == -1)
		fcgichild_bad_gateway(c, "cannot spool the answer");
}

void
fcgipipe_read_stdout(struct conn *c)
{
	struct worker		*w = c->w;
	enum cgihdr_result	 r;
	const char		*bad;
	ssize_t			 n;
	size_t			 room;

	while (c->rq.active && c->ch.sout != -1) {
		if (conn_out_pending(c) >= OUT_HIGH) {
			/* Back-pressure: the pipe fills, the script waits. */
			event_forget(w, &c->ch.ev_out);
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
				r = cgiheader_parse(c->ch.hbuf, c->ch.hlen,
				    true, c->ch.h, &bad);
				fcgichild_bad_gateway(c, cgihdr_str(
				    r == CGIHDR_OK ? CGIHDR_INCOMPLETE : r));
				return;
			}
			fcgichild_finish(c);
			return;
		}
		fcgichild_active(c);
		if (!c->ch.header_done) {
			fcgipipe_feed_header(c, w->rbuf, (size_t)n);
			continue;
		}
		if (answer_add(c, w->rbuf, (size_t)n) == -1) {
			fcgichild_bad_gateway(c, "cannot spool the answer");
			return;
		}
	}
}

void
fcgipipe_read_stderr(struct conn *c)
{
	struct worker	*w = c->w;
	ssize_t		 n;

	for (;;) {
		if (conn_out_pending(c) >= OUT_HIGH) {
			/* As for stdout: a peer that does not read makes the
			 * pipe fill and the script wait, rather than the
			 * buffer grow (conn_flush watches it again). */
			event_forget(w, &c->ch.ev_err);
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
		if (c->rq.active && conn_send_records(c, FCGI_STDERR,
		    c->rq.id, w->rbuf, (size_t)n) == 0)
			c->rq.sent_stderr = true;
	}
}
