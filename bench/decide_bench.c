/*
 * bench/decide_bench INI [N]: the cost of the decision itself (bench row 6).
 * Loads INI as cors-wrap does, reads a preflight and an actual request
 * (CGI variables, as Apache passes them), then times N calls of each of
 *   policy_decide  the pure decision, for a preflight and for a request
 *   per request    request_read + decide (section by path) + answer_format:
 *                  all the per-request CORS work but the I/O
 * and counts the heap allocations made during them with a malloc
 * interposer (glibc allows replacing malloc; these forward to __libc_*).
 *   decide_bench INI N preflight|actual   N decisions only, for callgrind
 *                                          (--toggle-collect=policy_decide)
 *   decide_bench INI N preflight-request|actual-request
 *                          N requests only (--toggle-collect=bench_request)
 * Prints "key value" lines.  Links cors-wrap's own lib/ objects.
 * Bench-only code.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/config.h"
#include "../lib/exchange.h"
#include "../lib/diag.h"
#include "../lib/policy.h"
#include "../lib/request.h"

/* ---- allocation counter ---- */

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	 __libc_free(void *);
void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	*realloc(void *, size_t);
void	 free(void *);

static unsigned long	 nalloc;
static bool		 counting;

void *
malloc(size_t n)
{
	if (counting)
		nalloc++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	if (counting)
		nalloc++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	if (counting)
		nalloc++;
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

/* ---- the requests ---- */

static char *preflight_env[] = {
	"GATEWAY_INTERFACE=CGI/1.1",
	"REQUEST_METHOD=OPTIONS",
	"REQUEST_URI=/api/v1/items/42",
	"SCRIPT_NAME=/api",
	"PATH_INFO=/v1/items/42",
	"HTTP_ORIGIN=https://app.example.com",
	"HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT",
	"HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type, authorization",
	"HTTP_HOST=api.example.com",
	"HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
	NULL
};

static char *actual_env[] = {
	"GATEWAY_INTERFACE=CGI/1.1",
	"REQUEST_METHOD=GET",
	"REQUEST_URI=/api/v1/items/42?expand=owner",
	"SCRIPT_NAME=/api",
	"PATH_INFO=/v1/items/42",
	"QUERY_STRING=expand=owner",
	"HTTP_ORIGIN=https://app.example.com",
	"HTTP_HOST=api.example.com",
	"HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
	NULL
};

static double
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile size_t	 sink;

/* All the per-request CORS work but the I/O; a function of its own so
 * that callgrind can count it alone. */
__attribute__((noinline)) void	bench_request(const struct config *,
				    char **, char *, size_t);

void
bench_request(const struct config *cfg, char **env, char *buf, size_t len)
{
	static struct request	 r;
	static struct answer	 a;

	request_read(&r, request_env_get, env);
	(void)exchange_decide(cfg, &r, &a);
	sink += (size_t)answer_format(&a, "\r\n", buf, len);
}

/* ns per call of the pure decision; allocations per call in *allocs. */
static double
time_decide(const struct policy *p, const struct request *r, long n,
    double *allocs)
{
	static struct answer	 a;
	double			 t0, best = 0;
	long			 i;
	int			 rep;

	for (rep = 0; rep < 5; rep++) {
		nalloc = 0;
		counting = true;
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			policy_decide(p, r, &a);
			sink += a.nfields;
		}
		t0 = now_ns() - t0;
		counting = false;
		if (rep == 0 || t0 < best)
			best = t0;
		*allocs = (double)nalloc / (double)n;
	}
	return best / (double)n;
}

/* ns per request of all the per-request CORS work but I/O. */
static double
time_request(const struct config *cfg, char **env, long n, double *allocs)
{
	static char		 buf[8192];
	double			 t0, best = 0;
	long			 i;
	int			 rep;

	for (rep = 0; rep < 5; rep++) {
		nalloc = 0;
		counting = true;
		t0 = now_ns();
		for (i = 0; i < n; i++)
			bench_request(cfg, env, buf, sizeof(buf));
		t0 = now_ns() - t0;
		counting = false;
		if (rep == 0 || t0 < best)
			best = t0;
		*allocs = (double)nalloc / (double)n;
	}
	return best / (double)n;
}

int
main(int argc, char *argv[])
{
	static struct request	 pre, act;
	static struct answer	 a;
	struct config		 cfg;
	struct diag		 d = { NULL, 0, 0, 0 };
	const struct section	*sp, *sa;
	double			 ns, al;
	long			 n, i;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: decide_bench INI [N [preflight|actual]]\n");
		return 2;
	}
	n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
	if (n < 1 || n > 1000000000) {
		fprintf(stderr, "decide_bench: N is out of range\n");
		return 2;
	}
	if (config_load(&cfg, argv[1], NULL, &d) == -1) {
		fprintf(stderr, "decide_bench: %s\n", d.text);
		return 1;
	}
	request_read(&pre, request_env_get, preflight_env);
	request_read(&act, request_env_get, actual_env);
	sp = exchange_decide(&cfg, &pre, &a);
	if (!pre.preflight || a.verdict != VERDICT_ALLOWED) {
		fprintf(stderr, "decide_bench: the preflight is not allowed\n");
		return 1;
	}
	sa = exchange_decide(&cfg, &act, &a);
	if (act.preflight || a.verdict != VERDICT_ALLOWED) {
		fprintf(stderr, "decide_bench: the request is not allowed\n");
		return 1;
	}

	if (argc == 4) {
		/* One loop only, for callgrind --toggle-collect. */
		static char	 buf[8192];
		bool		 pf = strncmp(argv[3], "preflight", 9) == 0;

		if (strstr(argv[3], "-request") != NULL)
			for (i = 0; i < n; i++)
				bench_request(&cfg, pf ? preflight_env :
				    actual_env, buf, sizeof(buf));
		else
			for (i = 0; i < n; i++)
				policy_decide(pf ? &sp->policy : &sa->policy,
				    pf ? &pre : &act, &a);
		config_free(&cfg);
		return 0;
	}

	ns = time_decide(&sp->policy, &pre, n, &al);
	printf("preflight_ns %.1f\npreflight_allocs %.3f\n", ns, al);
	ns = time_decide(&sa->policy, &act, n, &al);
	printf("actual_ns %.1f\nactual_allocs %.3f\n", ns, al);
	ns = time_request(&cfg, preflight_env, n / 4, &al);
	printf("preflight_request_ns %.1f\npreflight_request_allocs %.3f\n",
	    ns, al);
	ns = time_request(&cfg, actual_env, n / 4, &al);
	printf("actual_request_ns %.1f\nactual_request_allocs %.3f\n", ns, al);
	config_free(&cfg);
	return 0;
}
