#include "metrics.h"

#include <sys/mman.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Room for enum reason to grow; a reason past it is not counted. */
#define REASONS_MAX	16
_Static_assert(REASON_PATH_INVALID < REASONS_MAX, "REASONS_MAX too small");

#define OTHER		METRICS_SECTIONS_MAX	/* the section index */
#define LINE_MAX_OUT	1024	/* one exposition line, at most */

enum kind { KIND_PREFLIGHT, KIND_ACTUAL, KIND_NOT_CORS, KINDS };
enum outcome { OUT_ALLOWED, OUT_REFUSED, OUT_WOULD_REFUSE, OUTCOMES };
static const char *const kinds[KINDS] = { "preflight", "actual", "not_cors" };
static const char *const outcomes[OUTCOMES] = { "allowed", "refused",
    "would_refuse" };

typedef _Atomic uint64_t counter;

struct msection {
	counter		 n[KINDS][OUTCOMES][REASONS_MAX];
};

/*
 * A section name, one for all the workers: so that each name is a series
 * or "other" for good, whichever worker counted it and whenever.  (Names
 * of each worker's own, summed under a bound at each scrape, moved from a
 * series to "other" and back as workers met them: "other" went down.)
 * A worker claims an entry (nnames), writes the name, then sets ready
 * (release); a name claimed twice at once is two entries with one label,
 * summed as one.
 */
struct mname {
	_Atomic unsigned ready;
	char		 name[METRICS_SECTION_NAME_MAX];
};

struct metrics_slot {
	struct metrics	*m;	/* the region, mapped alike in every worker */
	counter		 scripts;
	counter		 withheld;
	counter		 bad_gateway;
	counter		 gateway_timeout;
	counter		 spooled;
	counter		 queued;	/* a gauge */
	struct msection	 sec[METRICS_SECTIONS_MAX + 1];	/* + "other" */
};

struct metrics {
	size_t			 size;	/* of the mapping */
	unsigned		 nslots;
	_Atomic unsigned	 nnames;	/* entries claimed */
	struct mname		 names[METRICS_SECTIONS_MAX];
	struct metrics_slot	 slot[];
};

#define LABEL_MAX	(METRICS_SECTION_NAME_MAX * 5)

/* The sum over the slots of one section, by its label value: two names
 * that escape alike are one series, never two with the same labels. */
struct agg {
	char		 label[LABEL_MAX + 1];
	uint64_t	 n[KINDS][OUTCOMES][REASONS_MAX];
};

struct metrics *
metrics_create(unsigned n)
{
	struct metrics	*m;
	size_t		 size = sizeof(*m) + (size_t)n * sizeof(m->slot[0]);
	unsigned	 i;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	m->size = size;
	m->nslots = n;
	for (i = 0; i < n; i++)
		m->slot[i].m = m;
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m != NULL)
		munmap(m, m->size);
}

struct metrics_slot *
metrics_slot(struct metrics *m, unsigned i)
{
	return m != NULL && i < m->nslots ? &m->slot[i] : NULL;
}

/* Only the slot's worker writes it: a load and a store, no locked
 * instruction, and a reader never sees a torn value. */
static void
bump(counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed)
	    + n, memory_order_relaxed);
}

void
metrics_worker_start(struct metrics_slot *s)
{
	if (s != NULL)
		atomic_store_explicit(&s->queued, 0, memory_order_relaxed);
}

/* The slot's counters for a section, its name claimed on first use by
 * whichever worker meets it first. */
static struct msection *
section_of(struct metrics_slot *s, const char *name)
{
	struct metrics	*m = s->m;
	unsigned	 i, n;
	size_t		 len = strlen(name);

	if (len >= METRICS_SECTION_NAME_MAX || strcmp(name, "other") == 0)
		return &s->sec[OTHER];
	n = atomic_load_explicit(&m->nnames, memory_order_acquire);
	for (;;) {
		for (i = 0; i < n && i < METRICS_SECTIONS_MAX; i++)
			if (atomic_load_explicit(&m->names[i].ready,
			    memory_order_acquire) &&
			    strcmp(m->names[i].name, name) == 0)
				return &s->sec[i];
		if (n >= METRICS_SECTIONS_MAX)
			return &s->sec[OTHER];
		/* On failure n is the new count: look again. */
		if (atomic_compare_exchange_weak(&m->nnames, &n, n + 1))
			break;
	}
	memcpy(m->names[n].name, name, len + 1);
	atomic_store_explicit(&m->names[n].ready, 1, memory_order_release);
	return &s->sec[n];
}

void
metrics_request(struct metrics_slot *s, const char *section,
    const struct answer *a)
{
	enum kind	 k;
	enum outcome	 o;

	if (s == NULL || (unsigned)a->reason >= REASONS_MAX)
		return;
	k = a->preflight ? KIND_PREFLIGHT : a->verdict == VERDICT_NONE ?
	    KIND_NOT_CORS : KIND_ACTUAL;
	o = a->verdict == VERDICT_REFUSED ? OUT_REFUSED : a->would_refuse ?
	    OUT_WOULD_REFUSE : OUT_ALLOWED;
	bump(&section_of(s, section)->n[k][o][a->reason], 1);
}

void
metrics_script(struct metrics_slot *s)
{
	if (s != NULL)
		bump(&s->scripts, 1);
}

void
metrics_withheld(struct metrics_slot *s)
{
	if (s != NULL)
		bump(&s->withheld, 1);
}

void
metrics_gateway(struct metrics_slot *s, int status)
{
	if (s != NULL && status == 502)
		bump(&s->bad_gateway, 1);
	else if (s != NULL && status == 504)
		bump(&s->gateway_timeout, 1);
}

void
metrics_spooled(struct metrics_slot *s, size_t bytes)
{
	if (s != NULL)
		bump(&s->spooled, bytes);
}

void
metrics_queue(struct metrics_slot *s, unsigned depth)
{
	if (s != NULL)
		atomic_store_explicit(&s->queued, depth, memory_order_relaxed);
}

/* ---- the exposition ---- */

struct out {
	char		*buf;
	size_t		 len, cap;
	void		(*fn)(void *, const char *, size_t);
	void		*ctx;
};

static void
out_flush(struct out *o)
{
	if (o->len > 0)
		o->fn(o->ctx, o->buf, o->len);
	o->len = 0;
}

static void
out_put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
out_put(struct out *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (o->cap - o->len < LINE_MAX_OUT)
		out_flush(o);
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n :
		    o->cap - o->len - 1;
}

/*
 * A label value: '\', '"' and newline escaped as the format wants, and
 * every other byte outside printable ASCII written \xHH, as in the log,
 * so that the value is valid UTF-8 whatever the section's name holds.
 */
static const char *
label(char *dst, size_t len, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 c;

	for (; (c = (unsigned char)*s) != '\0' && o + 5 < len; s++) {
		if (c == '\\' || c == '"') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (c >= 0x20 && c < 0x7f)
			dst[o++] = (char)c;
		else {
			memcpy(dst + o, "\\\\x", 3);
			dst[o + 3] = hex[c >> 4];
			dst[o + 4] = hex[c & 0xf];
			o += 5;
		}
	}
	dst[o] = '\0';
	return dst;
}

static uint64_t
load(const counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Adds every slot's counters of section index j into the sums under
 * label l: two names that escape alike are one series. */
static void
agg_add(struct agg *a, unsigned *na, const char *l, const struct metrics *m,
    unsigned j)
{
	unsigned	 i, s, k, o, r;

	for (i = 0; i < *na; i++)
		if (strcmp(a[i].label, l) == 0)
			break;
	if (j == OTHER)
		i = OTHER;
	else if (i == *na)
		snprintf(a[(*na)++].label, sizeof(a[0].label), "%s", l);
	for (s = 0; s < m->nslots; s++)
		for (k = 0; k < KINDS; k++)
			for (o = 0; o < OUTCOMES; o++)
				for (r = 0; r < REASONS_MAX; r++)
					a[i].n[k][o][r] += load(
					    &m->slot[s].sec[j].n[k][o][r]);
}

static void
write_requests(struct out *o, const struct metrics *m)
{
	struct agg	 a[METRICS_SECTIONS_MAX + 1];
	char		 l[LABEL_MAX + 1];
	unsigned	 na = 0, i, j, n, k, x, r;

	memset(a, 0, sizeof(a));
	memcpy(a[OTHER].label, "other", sizeof("other"));
	n = atomic_load_explicit(&m->nnames, memory_order_acquire);
	for (j = 0; j < n && j < METRICS_SECTIONS_MAX; j++)
		if (atomic_load_explicit(&m->names[j].ready,
		    memory_order_acquire))
			agg_add(a, &na, label(l, sizeof(l),
			    m->names[j].name), m, j);
	agg_add(a, &na, "other", m, OTHER);
	out_put(o, "# HELP cors_wrap_requests_total Requests decided, by "
	    "section of the configuration, kind, outcome and reason.\n"
	    "# TYPE cors_wrap_requests_total counter\n");
	for (i = 0; i <= OTHER; i++) {
		if (i == na)
			i = OTHER;
		for (k = 0; k < KINDS; k++)
			for (x = 0; x < OUTCOMES; x++)
				for (r = 0; r < REASONS_MAX; r++) {
					if (a[i].n[k][x][r] == 0)
						continue;
					out_put(o, "cors_wrap_requests_total{"
					    "section=\"%s\",kind=\"%s\","
					    "outcome=\"%s\",reason=\"%s\"} "
					    "%llu\n", a[i].label, kinds[k],
					    outcomes[x],
					    reason_str((enum reason)r),
					    (unsigned long long)a[i].n[k][x][r]);
				}
	}
}

/* One unlabelled metric: sum over the slots of the counter at offset. */
static void
write_sum(struct out *o, const struct metrics *m, const char *name,
    const char *type, const char *help, size_t offset)
{
	unsigned long long	 sum = 0;
	unsigned		 i;

	for (i = 0; i < m->nslots; i++)
		sum += load((const counter *)(const void *)
		    ((const char *)&m->slot[i] + offset));
	out_put(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
	    type, name, sum);
}

void
metrics_write(const struct metrics *m, char *buf, size_t len,
    void (*fn)(void *, const char *, size_t), void *ctx)
{
	struct out		 o = { buf, 0, len, fn, ctx };
	unsigned long long	 bad = 0, timeout = 0;
	unsigned		 i;

	if (m == NULL || len < LINE_MAX_OUT)
		return;
	write_requests(&o, m);
	write_sum(&o, m, "cors_wrap_scripts_total", "counter",
	    "Scripts started.", offsetof(struct metrics_slot, scripts));
	write_sum(&o, m, "cors_wrap_withheld_total", "counter",
	    "Answers sent without their Access-Control fields: the script's "
	    "own Access-Control-Allow-Credentials for an origin that may "
	    "have none (also counted by the policy's decision).",
	    offsetof(struct metrics_slot, withheld));
	for (i = 0; i < m->nslots; i++) {
		bad += load(&m->slot[i].bad_gateway);
		timeout += load(&m->slot[i].gateway_timeout);
	}
	out_put(&o, "# HELP cors_wrap_gateway_errors_total Answers 502 (the "
	    "script failed) and 504 (it timed out) by status.\n"
	    "# TYPE cors_wrap_gateway_errors_total counter\n"
	    "cors_wrap_gateway_errors_total{status=\"502\"} %llu\n"
	    "cors_wrap_gateway_errors_total{status=\"504\"} %llu\n",
	    bad, timeout);
	write_sum(&o, m, "cors_wrap_spooled_bytes_total", "counter",
	    "Bytes of answers spooled until the request body was passed on.",
	    offsetof(struct metrics_slot, spooled));
	write_sum(&o, m, "cors_wrap_queue_depth", "gauge",
	    "Requests waiting for a script slot (-j, --queue).",
	    offsetof(struct metrics_slot, queued));
	out_put(&o, "# HELP cors_wrap_workers Worker processes (-c).\n"
	    "# TYPE cors_wrap_workers gauge\ncors_wrap_workers %u\n",
	    m->nslots);
	out_flush(&o);
}
