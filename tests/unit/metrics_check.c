/*
 * The counters in-process (lib/metrics.c), run by tests/metrics.bats:
 * counting by kind, outcome and reason (would_refuse included, which only
 * enforce = report sets), the sum over slots written by other processes,
 * the bound on section names, and label escaping.  Prints the exposition
 * it checked, for the bats file's line-by-line format check, then "ok" or
 * the failures.  "metrics_check order": past 32 names, one slot meeting
 * a name after another counted it moves no count backwards.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/metrics.h"

static char	 text[1 << 20];
static size_t	 tlen;
static int	 failed;

static void
collect(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (tlen + n < sizeof(text)) {
		memcpy(text + tlen, s, n);
		tlen += n;
		text[tlen] = '\0';
	}
}

static void
expect(const char *line)
{
	char	 want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(text, want) == NULL) {
		fprintf(stderr, "missing line: %s\n", line);
		failed++;
	}
}

static void
refute(const char *part)
{
	if (strstr(text, part) != NULL) {
		fprintf(stderr, "unexpected: %s\n", part);
		failed++;
	}
}

static struct answer
answer(bool preflight, enum verdict v, enum reason r, bool would_refuse)
{
	struct answer	 a;

	memset(&a, 0, sizeof(a));
	a.preflight = preflight;
	a.verdict = v;
	a.reason = r;
	a.would_refuse = would_refuse;
	return a;
}

/* Frees the region and says how it went: the exit status. */
static int
done(struct metrics *m)
{
	metrics_free(m);
	if (failed) {
		fprintf(stderr, "%d failed\n", failed);
		return 1;
	}
	printf("ok\n");
	return 0;
}

/* The value of series (the line's text before the last space) in text,
 * or -1. */
static long long
value_of(const char *all, const char *series, size_t n)
{
	const char	*p = all;

	while ((p = memmem(p, strlen(p), series, n)) != NULL) {
		if ((p == all || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

/*
 * Past METRICS_SECTIONS_MAX names: slot 1 meets 32 names, s31 five
 * times, slot 0 one more; then slot 0 meets s31 too.  No series of the
 * first exposition may be missing or smaller in the second (a name moved
 * from its series to "other", or back, would show).
 */
static int
order(void)
{
	struct metrics		*m = metrics_create(2);
	struct metrics_slot	*s0 = metrics_slot(m, 0), *s1 = metrics_slot(m, 1);
	struct answer		 a = answer(false, VERDICT_ALLOWED, REASON_ALLOWED,
				    false);
	static char		 before[1 << 16];
	char			 name[16], buf[4096];
	const char		*p, *nl, *sp;
	long long		 v;
	int			 i;

	for (i = 0; i < METRICS_SECTIONS_MAX; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		metrics_request(s1, name, &a);
	}
	for (i = 0; i < 4; i++)
		metrics_request(s1, "s31", &a);
	metrics_request(s0, "global", &a);
	text[0] = '\n';
	tlen = 1;
	metrics_write(m, buf, sizeof(buf), collect, NULL);
	snprintf(before, sizeof(before), "%s", text);
	metrics_request(s0, "s31", &a);
	tlen = 1;
	metrics_write(m, buf, sizeof(buf), collect, NULL);
	for (p = before + 1; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (*p == '#' || (sp = memrchr(p, ' ', (size_t)(nl - p))) == NULL)
			continue;
		v = value_of(text + 1, p, (size_t)(sp - p));
		if (v < strtoll(sp + 1, NULL, 10)) {
			fprintf(stderr, "behind: %.*s, then %lld\n",
			    (int)(nl - p), p, v);
			failed++;
		}
	}
	return done(m);
}

int
main(int argc, char *argv[])
{
	struct metrics		*m = metrics_create(2);
	struct metrics_slot	*s0 = metrics_slot(m, 0), *s1;
	struct answer		 a;
	char			 name[80];
	pid_t			 pid;
	int			 i, st;
	char			 buf[4096];

	if (argc == 2 && strcmp(argv[1], "order") == 0)
		return order();
	if (m == NULL || (s1 = metrics_slot(m, 1)) == NULL ||
	    metrics_slot(m, 2) != NULL) {
		fprintf(stderr, "metrics_create/metrics_slot\n");
		return 1;
	}
	a = answer(true, VERDICT_ALLOWED, REASON_ALLOWED, false);
	metrics_request(s0, "api", &a);
	a = answer(false, VERDICT_REFUSED, REASON_ORIGIN_NOT_ALLOWED, false);
	metrics_request(s0, "api", &a);
	/* enforce = report: allowed in the answer, refused by the policy. */
	a = answer(false, VERDICT_ALLOWED, REASON_ORIGIN_NOT_ALLOWED, true);
	metrics_request(s0, "api", &a);
	a = answer(false, VERDICT_NONE, REASON_NO_ORIGIN, false);
	metrics_request(s0, "global", &a);
	metrics_script(s0);
	metrics_withheld(s0);
	metrics_gateway(s0, 502);
	metrics_gateway(s0, 500);
	metrics_spooled(s0, 1000);
	metrics_queue(s0, 3);
	metrics_request(NULL, "api", &a);	/* no slot: nothing */

	/* The other slot, from another process: the region is shared. */
	if ((pid = fork()) == 0) {
		metrics_worker_start(s1);
		a = answer(true, VERDICT_ALLOWED, REASON_ALLOWED, false);
		metrics_request(s1, "api", &a);
		metrics_request(s1, "api", &a);
		metrics_script(s1);
		metrics_withheld(s1);
		metrics_withheld(NULL);	/* no slot: nothing */
		metrics_gateway(s1, 504);
		metrics_spooled(s1, 24);
		metrics_queue(s1, 2);
		/* Hostile names: quotes, backslashes, control bytes, non-ASCII. */
		a = answer(false, VERDICT_ALLOWED, REASON_ALLOWED, false);
		metrics_request(s1, "q\"b\\s\nn\x01\xff", &a);
		/* Too long for a label: "other". */
		memset(name, 'x', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		metrics_request(s1, name, &a);
		/* A section named "other" is counted with "other". */
		metrics_request(s1, "other", &a);
		/* Past METRICS_SECTIONS_MAX names: "other". */
		for (i = 0; i < METRICS_SECTIONS_MAX + 5; i++) {
			snprintf(name, sizeof(name), "s%d", i);
			metrics_request(s1, name, &a);
		}
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &st, 0) != pid || st != 0) {
		fprintf(stderr, "fork\n");
		return 1;
	}

	text[0] = '\n';
	tlen = 1;
	metrics_write(m, buf, sizeof(buf), collect, NULL);
	fputs(text + 1, stdout);

	expect("cors_wrap_requests_total{section=\"api\",kind=\"preflight\","
	    "outcome=\"allowed\",reason=\"allowed\"} 3");
	expect("cors_wrap_requests_total{section=\"api\",kind=\"actual\","
	    "outcome=\"refused\",reason=\"origin-not-allowed\"} 1");
	expect("cors_wrap_requests_total{section=\"api\",kind=\"actual\","
	    "outcome=\"would_refuse\",reason=\"origin-not-allowed\"} 1");
	expect("cors_wrap_requests_total{section=\"global\",kind=\"not_cors\","
	    "outcome=\"allowed\",reason=\"no-origin\"} 1");
	expect("cors_wrap_requests_total{section=\"q\\\"b\\\\s\\nn\\\\x01"
	    "\\\\xff\",kind=\"actual\",outcome=\"allowed\",reason=\"allowed\"} 1");
	/* The table the slots share holds slot 0's api and global, then
	 * slot 1's hostile one and s0..s28 (32 names); the long name,
	 * "other" and s29..s36 count as "other" (1 + 1 + 8). */
	expect("cors_wrap_requests_total{section=\"s28\",kind=\"actual\","
	    "outcome=\"allowed\",reason=\"allowed\"} 1");
	refute("section=\"s29\"");
	refute("section=\"xxx");
	expect("cors_wrap_requests_total{section=\"other\",kind=\"actual\","
	    "outcome=\"allowed\",reason=\"allowed\"} 10");
	expect("cors_wrap_scripts_total 2");
	expect("cors_wrap_withheld_total 2");
	expect("cors_wrap_gateway_errors_total{status=\"502\"} 1");
	expect("cors_wrap_gateway_errors_total{status=\"504\"} 1");
	expect("cors_wrap_spooled_bytes_total 1024");
	expect("cors_wrap_queue_depth 5");
	expect("cors_wrap_workers 2");

	/* A replacement worker continues the slot: nothing goes back, and
	 * its queue starts empty. */
	metrics_worker_start(s1);
	tlen = 1;
	metrics_write(m, buf, sizeof(buf), collect, NULL);
	expect("cors_wrap_scripts_total 2");
	expect("cors_wrap_queue_depth 3");
	return done(m);
}
