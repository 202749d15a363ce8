/*
 * FastCGI connections: their input and output buffers, the records read
 * from the server and handed to the request, and the records written back.
 * Closed connections keep their buffers for the next ones.
 */
#include "fcgiworker.h"

#include <sys/epoll.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

/* One whole record fits: header, 65535 bytes of content, 255 of padding. */
#define IN_SIZE		(FCGI_HEADER_LEN + 65535 + 255 + 1024)
#define PARAMS_INIT	16384		/* FCGI_PARAMS buffer; grows to PARAMS_MAX */
/* Closed connections whose buffers (some 280 KiB each) are kept for the
 * next ones; the rest are freed, and the heap given back to the system
 * once the worker has been quiet that long. */
#define SPARE_KEEP	16
#define TRIM_QUIET_MS	1000

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
int
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

void
conn_send_stdout(struct conn *c, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (conn_send_records(c, FCGI_STDOUT, c->rq.id, data, n) == -1)
		c->close_after = true;
	c->rq.sent_any = true;
}

void
conn_send_end(struct conn *c, uint16_t id, uint32_t app, uint8_t proto)
{
	if (conn_out_reserve(c, FCGI_END_REQUEST_LEN) == -1) {
		c->close_after = true;
		return;
	}
	fcgirec_end_request(c->out + c->out_len, id, app, proto);
	c->out_len += FCGI_END_REQUEST_LEN;
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
void
conn_send_cut_off(struct conn *c)
{
	if (conn_out_reserve(c, FCGI_HEADER_LEN) == -1)
		return;
	fcgirec_put_header(c->out + c->out_len, FCGI_STDOUT,
	    FCGI_NULL_REQUEST_ID, 0, 0);
	c->out_len += FCGI_HEADER_LEN;
}

struct conn *
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
		if (c->in == NULL || c->rq.params == NULL ||
		    c->rq.envp == NULL || c->ch.hbuf == NULL ||
		    c->ch.h == NULL) {
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

void
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
void
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

void
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
void
conn_gone(struct conn *c, const char *why)
{
	if (c->rq.active)
		log_msg(&c->w->lg, LOG_INFO, "connection %s during a request%s"
		    "%s", why, c->ch.prog[0] != '\0' ? "; stopping " : "",
		    c->ch.prog);
	conn_close(c);
}

void
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
		if (c->ch.sout != -1 && c->ch.ev_out.events == 0 &&
		    !c->ch.spool_held)
			event_watch(c->w, &c->ch.ev_out, c->ch.sout, EPOLLIN);
		if (c->ch.serr != -1 && c->ch.ev_err.events == 0)
			event_watch(c->w, &c->ch.ev_err, c->ch.serr, EPOLLIN);
		fcgipipe_unspool(c);
	}
	if (c->fd != -1)
		event_watch(c->w, &c->ev, c->fd, (c->ev.events &
		    (EPOLLIN | EPOLLRDHUP)) |
		    (conn_out_pending(c) > 0 ? EPOLLOUT : 0));
}

/*
 * Records held back while the script's stdin was full (REC_BLOCKED) are
 * read again once the request no longer writes to it: a 502 or 504 given
 * on a timer or at the script's exit closed that stdin, and no event about
 * it will ever come.  Left unread, the rest of the body stopped, the drain
 * of fcgireq_end never began, and the connection was closed at its quiet
 * limit while the server still wrote the body, which can lose the answer
 * (Apache: 503).  Called outside conn_process_records only.
 */
void
conn_resume(struct conn *c)
{
	if (c->fd == -1 || (c->ev.events & EPOLLIN) || c->close_after ||
	    c->rq.queued || (c->rq.active && c->ch.sin != -1))
		return;
	conn_process_records(c);
	if (c->fd != -1 && conn_out_pending(c) > 0)
		conn_flush(c);
	else if (c->fd != -1 && c->close_after && !c->rq.active)
		conn_close(c);
}

void
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
		if (r->id == FCGI_NULL_REQUEST_ID &&
		    conn_out_reserve(c, 16) == 0) {
			uint8_t	*p = c->out + c->out_len;

			fcgirec_put_header(p, FCGI_UNKNOWN_TYPE, 0, 8, 0);
			memset(p + 8, 0, 8);
			p[8] = r->type;
			c->out_len += 16;
		}
		return REC_NEXT;
	}
}

/*
 * A request waiting in the -j queue reads no body (it stays with the
 * server), so an FCGI_ABORT_REQUEST behind its body records waited for a
 * script slot, then started the script for nobody.  While it waits, the
 * records the buffer holds past the held one are looked through for it.
 */
static bool
conn_abort_ahead(const struct conn *c, size_t off)
{
	struct fcgi_rec	 r;

	while (c->in_len - off >= FCGI_HEADER_LEN &&
	    fcgirec_header(c->in + off, &r) == 0) {
		if (c->in_len - off < FCGI_HEADER_LEN + (size_t)r.clen + r.plen)
			break;
		if (r.type == FCGI_ABORT_REQUEST && r.id == c->rq.id)
			return true;
		off += FCGI_HEADER_LEN + (size_t)r.clen + r.plen;
	}
	return false;
}

void
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
		if (rr == REC_BLOCKED && c->rq.queued &&
		    conn_abort_ahead(c, c->in_off + total)) {
			log_msg(&c->rq.lg, LOG_INFO, "request aborted by the "
			    "server while waiting for a script slot");
			fcgireq_end(c, 0);
			rr = REC_NEXT;
			continue;
		}
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
	/* A queued request reads on while its buffer has room, for
	 * conn_abort_ahead: a few records of its body at most. */
	event_watch(c->w, &c->ev, c->fd, ((rr == REC_BLOCKED &&
	    !(c->rq.queued && c->in_len < IN_SIZE)) || c->close_after ?
	    0 : EPOLLIN) | (conn_out_pending(c) > 0 ? EPOLLOUT : 0) |
	    (c->rq.queued ? EPOLLRDHUP : 0));
}
