/*
 * A FastCGI request: its params (repeated fields joined), the decision,
 * the answers cors-wrap makes itself (preflight, errors, 503), the end of
 * the request, and the queue of requests waiting for a script slot (-j).
 */
#include "fcgiworker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "exchange.h"
#include "metrics.h"

#define PARAMS_MAX	((size_t)1024 * 1024)	/* FCGI_PARAMS, all records */
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

/* A request's log lines travel to the server as FCGI_STDERR, so they
 * land in its error log next to the request, as a CGI's stderr does. */
static void
fcgireq_log_sink(void *ctx, const char *line, size_t n)
{
	struct conn	*c = ctx;

	if (c->rq.active &&
	    conn_send_records(c, FCGI_STDERR, c->rq.id, line, n) == 0)
		c->rq.sent_stderr = true;
}

/* No request on the connection: what FCGI_BEGIN_REQUEST starts from. */
void
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

void
fcgireq_begin(struct conn *c, uint16_t id, bool keep)
{
	fcgireq_reset(c);
	fcgichild_reset(c);
	c->rq.active = true;
	c->rq.id = id;
	c->rq.keep = keep;
}

void
fcgireq_end(struct conn *c, uint32_t app)
{
	if (!c->rq.active)
		return;
	fcgireq_dequeue(c);
	if (c->ch.serr != -1)
		fcgipipe_read_stderr(c);
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

/* Part of the answer is out, so no error answer can follow: only closing
 * the connection tells the server the answer is incomplete.  What is
 * queued, the request's log lines included, is written first. */
void
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
	ssize_t		 n = exchange_format(w->resp, sizeof(w->resp), status, a);

	conn_send_stdout(c, w->resp, n == -1 ? 0 : (size_t)n);
}

void
fcgireq_fail(struct conn *c, int status, bool cors)
{
	metrics_gateway(c->w->o->metrics_slot, status);
	fcgireq_respond(c, status, cors ? &c->rq.ans : NULL);
	fcgireq_end(c, 0);
}

/* The answer so far: held in the spool until the body has been passed
 * to the script, then sent. */
int
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
		metrics_spooled(c->w->o->metrics_slot, n);
		return 0;
	}
	conn_send_stdout(c, data, n);
	return 0;
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

/* A FCGI_PARAMS record's content, gathered until the empty one. */
void
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

static bool
fcgireq_slot_free(const struct worker *w)
{
	return w->nscripts < w->o->max_scripts && w->spawned < SPAWN_BATCH;
}

void
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
	metrics_queue(w->o->metrics_slot, w->nqueued);
}

/* More scripts than -j and --queue allow: 503, with the CORS headers so
 * that the page can read it, and Retry-After. */
static void
answer_busy(struct conn *c)
{
	struct worker	*w = c->w;
	static const char retry[] = RETRY_AFTER;
	uint64_t	 dropped;
	ssize_t		 f;
	size_t		 n = 0;
	char		*eol;

	if (ratelimit_take(&w->busy_budget, c->rq.ce->cfg.log_rate,
	    (int64_t)clock_ms(), &dropped))
		log_msg(&c->rq.lg, LOG_ERROR, "%u scripts run and %u wait, the "
		    "most -j and --queue allow: answering 503 (%llu more such "
		    "requests not logged)", w->nscripts, w->nqueued,
		    (unsigned long long)dropped);
	f = response_format(w->resp, sizeof(w->resp) - sizeof(retry), 503,
	    c->rq.pol->intercept_exceptions ? &c->rq.ans : NULL);
	if (f != -1)
		n = (size_t)f;
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
	metrics_queue(w->o->metrics_slot, w->nqueued);
}

/* Starts what waits, SPAWN_BATCH at a time; true when more could start
 * at once. */
bool
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

static void
fcgireq_metrics_out(void *ctx, const char *s, size_t n)
{
	conn_send_stdout(ctx, s, n);
}

/* The daemon's counters, asked for by the server (CORS_METRICS=1): no
 * configuration, no decision, no script. */
static void
fcgireq_metrics(struct conn *c)
{
	static const char	 head[] = "Status: 200 OK\r\nContent-Type: "
				    METRICS_CONTENT_TYPE "\r\n\r\n";

	if (c->w->o->metrics == NULL) {
		fcgireq_fail(c, 503, false);
		return;
	}
	conn_send_stdout(c, head, sizeof(head) - 1);
	metrics_write(c->w->o->metrics, c->w->pbuf, sizeof(c->w->pbuf),
	    fcgireq_metrics_out, c);
	fcgireq_end(c, 0);
}

/* FCGI_PARAMS is complete: decide, then answer or start the script. */
void
fcgireq_start(struct conn *c)
{
	struct worker		*w = c->w;
	const struct section	*sec;
	const struct config	*cfg;
	enum fcgi_params_result	 pr;
	struct diag		 d = { 0 };
	const char		*odd;
	size_t			 n;

	pr = fcgirec_params(c->rq.params, c->rq.params_len,
	    (char *)c->rq.params,
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
	if (metrics_asked(c->rq.envp, &odd) == METRICS_ASKED) {
		fcgireq_metrics(c);
		return;
	}
	if ((c->rq.ce = confcache_get(&w->cache, c->rq.envp, &d)) == NULL) {
		log_msg(&c->rq.lg, LOG_ERROR, "cannot load the configuration: %s",
		    diag_text(&d));
		diag_free(&d);
		fcgireq_fail(c, 500, false);
		return;
	}
	if ((cfg = confcache_config(c->rq.ce, &d)) == NULL) {
		/* Fail closed, as in CGI mode. */
		exchange_log_diag(&c->rq.lg, &d);
		diag_free(&d);
		fcgireq_fail(c, 500, false);
		return;
	}
	c->rq.lg.level = cfg->log_level;
	c->rq.lg.format = cfg->log_format;
	/* Answered as a request, so said as its lines are: in the form and
	 * at the level its configuration chooses, as in CGI mode. */
	if (odd != NULL)
		log_msg(&c->rq.lg, LOG_WARN, METRICS_ODD_LOG, odd);
	request_read(&c->rq.req, request_env_get, c->rq.envp);
	sec = exchange_decide(cfg, &c->rq.req, &c->rq.ans);
	c->rq.pol = &sec->policy;
	metrics_request(w->o->metrics_slot, sec->name, &c->rq.ans);
	exchange_log_fields(&c->rq.lg, &c->rq.req, sec, &c->rq.ans);
	{
		struct log_budget	 b = { &w->budget, false };

		exchange_log(&c->rq.lg, cfg, &b, &c->rq.req, sec, &c->rq.ans);
	}

	if (c->rq.req.preflight && c->rq.pol->automatic_options) {
		/* The whole point: no process, no allocation. */
		fcgireq_respond(c, c->rq.pol->preflight_status, &c->rq.ans);
		fcgireq_end(c, 0);
		return;
	}
	fcgireq_run_or_queue(c, cfg);
}
