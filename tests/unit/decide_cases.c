/*
 * tests/unit/decide_cases [-v]: the table-driven test of the decision, in
 * the manner of rs/cors's tests.  Each row of decide_table.c is loaded
 * through the real path (the INI text written to a file, config_load,
 * request_read over CGI variables, exchange_decide) and every field of the
 * answer is compared with the row.  Beside the rows, invariants that hold for
 * every answer: no Allow-Credentials beside a no_credentials (star_only
 * among them) or "*" origin, nor beside a "*" in Expose-Headers;
 * Timing-Allow-Origin the same as Allow-Origin; and prepend mode's
 * answer_unreflect turns exactly the no_credentials origins (and the
 * Timing-Allow-Origin beside them) into "*".
 *
 * Prints one block per mismatch, "want" beside "got", and a last line
 * "N cases, N failed, N disagree with the documentation"; exits 1 when a
 * row failed.  A row marked as disagreeing is reported and does not fail,
 * until the code agrees: then the mark is stale, which fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "../../lib/exchange.h"
#include "../../lib/diag.h"
#include "../../lib/policy.h"
#include "../../lib/request.h"
#include "decide_cases.h"

#define LOADED_MAX	256

/* Configurations are loaded once per distinct INI text and environment. */
static struct loaded {
	const char	*ini;
	const char	*const *env;
	struct config	 cfg;
	char		*error;		/* the diag text, when loading failed */
} loaded[LOADED_MAX];
static size_t	 nloaded;
static char	 tmpdir[] = "/tmp/decide_cases.XXXXXX";
static bool	 verbose;

static bool
same_env(const char *const *a, const char *const *b)
{
	size_t	 i;

	for (i = 0; i < 4; i++) {
		if ((a[i] == NULL) != (b[i] == NULL))
			return false;
		if (a[i] != NULL && strcmp(a[i], b[i]) != 0)
			return false;
	}
	return true;
}

static struct loaded *
load(const char *ini, const char *const *env)
{
	struct diag	 d = { NULL, 0, 0, 0 };
	struct loaded	*l;
	char		 path[sizeof(tmpdir) + 32];
	char		*envv[5] = { NULL };
	size_t		 i;
	FILE		*f;

	for (i = 0; i < nloaded; i++)
		if (strcmp(loaded[i].ini, ini) == 0 &&
		    same_env(loaded[i].env, env))
			return &loaded[i];
	if (nloaded == LOADED_MAX) {
		fprintf(stderr, "decide_cases: more than %d configurations\n",
		    LOADED_MAX);
		exit(2);
	}
	l = &loaded[nloaded];
	snprintf(path, sizeof(path), "%s/%zu.ini", tmpdir, nloaded);
	if ((f = fopen(path, "w")) == NULL || fputs(ini, f) == EOF ||
	    fclose(f) == EOF) {
		perror(path);
		exit(2);
	}
	for (i = 0; i < 4 && env[i] != NULL; i++)
		envv[i] = (char *)env[i];
	l->ini = ini;
	l->env = env;
	if (config_load(&l->cfg, path, envv, &d) == -1)
		l->error = strdup(diag_text(&d));
	diag_free(&d);
	unlink(path);
	nloaded++;
	return l;
}

/* ---- one row ---- */

/* The string member of a row at offset off. */
static const char *
member(const void *base, size_t off)
{
	const char	*p;

	memcpy(&p, (const char *)base + off, sizeof(p));
	return p;
}

#define NFIELDS	10
static const struct {
	const char	*name;
	size_t		 off;	/* in struct case_answer */
} fields[NFIELDS] = {
	{ "Access-Control-Allow-Origin", offsetof(struct case_answer, acao) },
	{ "Access-Control-Allow-Credentials",
	    offsetof(struct case_answer, acac) },
	{ "Access-Control-Expose-Headers", offsetof(struct case_answer, aceh) },
	{ "Access-Control-Allow-Methods", offsetof(struct case_answer, acam) },
	{ "Access-Control-Allow-Headers", offsetof(struct case_answer, acah) },
	{ "Access-Control-Max-Age", offsetof(struct case_answer, acma) },
	{ "Access-Control-Allow-Private-Network",
	    offsetof(struct case_answer, acapn) },
	{ "X-CORS-Wrap", offsetof(struct case_answer, debug) },
	{ "Timing-Allow-Origin", offsetof(struct case_answer, tao) },
	{ "Cache-Control", offsetof(struct case_answer, cache_control) },
};

/* The mismatches of one row, as lines, in a buffer. */
struct report {
	char	 text[16384];
	size_t	 len;
};

static void report_add(struct report *, const char *, ...)
	__attribute__((format(printf, 2, 3)));

static void
report_add(struct report *r, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (r->len >= sizeof(r->text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n;
	if (r->len > sizeof(r->text))
		r->len = sizeof(r->text);
}

/* Long values (the overlong-input rows) are shown by their length. */
static void
show(struct report *r, const char *label, const char *v)
{
	if (v == NULL)
		report_add(r, "    %-5s (absent)\n", label);
	else if (strlen(v) > 120)
		report_add(r, "    %-5s \"%.60s...\" (%zu bytes)\n", label, v,
		    strlen(v));
	else
		report_add(r, "    %-5s \"%s\"\n", label, v);
}

static void
compare(struct report *r, const char *what, const char *want,
    const char *got)
{
	if (want == NULL && got == NULL)
		return;
	if (want != NULL && got != NULL && strcmp(want, got) == 0)
		return;
	report_add(r, "  %s:\n", what);
	show(r, "want", want);
	show(r, "got", got);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tokens of a Vary value sorted, so that order does not matter. */
static void
vary_sorted(const char *v, char *out, size_t len)
{
	char		 copy[256];
	const char	*tok[8];
	char		*s, *save = NULL;
	size_t		 n = 0, i, o = 0;

	out[0] = '\0';
	if (v == NULL)
		return;
	snprintf(copy, sizeof(copy), "%s", v);
	for (s = strtok_r(copy, ", ", &save); s != NULL && n < 8;
	    s = strtok_r(NULL, ", ", &save))
		tok[n++] = s;
	qsort(tok, n, sizeof(tok[0]), cmp_str);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s%s",
		    i > 0 ? ", " : "", tok[i]);
}

static void
outcome(const struct answer *a, char *buf, size_t len)
{
	const char	*v = a->verdict == VERDICT_ALLOWED ? "allowed" :
			    a->verdict == VERDICT_NONE ? "none" : "refused";

	if (a->would_refuse)
		snprintf(buf, len, "would-refuse %s", reason_str(a->reason));
	else if (a->verdict == VERDICT_REFUSED)
		snprintf(buf, len, "%s %s", v, reason_str(a->reason));
	else
		snprintf(buf, len, "%s", v);
}

/* The variables of a request: as the server sets them, and as shown. */
#define NVARS	8
static const struct {
	const char	*var;
	const char	*label;
	size_t		 off;	/* in struct case_request */
} vars[NVARS] = {
	{ "REQUEST_METHOD", "method", offsetof(struct case_request, method) },
	{ "REQUEST_URI", "REQUEST_URI", offsetof(struct case_request, uri) },
	{ "HTTP_ORIGIN", "Origin", offsetof(struct case_request, origin) },
	{ "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
	    "Access-Control-Request-Method",
	    offsetof(struct case_request, acrm) },
	{ "HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
	    "Access-Control-Request-Headers",
	    offsetof(struct case_request, acrh) },
	{ "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK",
	    "Access-Control-Request-Private-Network",
	    offsetof(struct case_request, acrpn) },
	{ "SCRIPT_NAME", "SCRIPT_NAME",
	    offsetof(struct case_request, script_name) },
	{ "PATH_INFO", "PATH_INFO", offsetof(struct case_request, path_info) },
};

static void
read_request(const struct case_request *q, struct request *r)
{
	static char	 text[NVARS][8192];
	const char	*v;
	char		*env[NVARS + 1];
	size_t		 i, n = 0;

	for (i = 0; i < NVARS; i++) {
		if ((v = member(q, vars[i].off)) == NULL)
			continue;
		snprintf(text[n], sizeof(text[n]), "%s=%s", vars[i].var, v);
		env[n] = text[n];
		n++;
	}
	env[n] = NULL;
	request_read(r, request_env_get, env);
}

/* Does the ", "-joined list v hold the element "*"? */
static bool
lists_star(const char *v)
{
	size_t	 n;

	while (v != NULL && *v != '\0') {
		n = strcspn(v, ",");
		if (n == 1 && *v == '*')
			return true;
		v += n;
		v += strspn(v, ", ");
	}
	return false;
}

/* The invariants every answer keeps, whatever the row says. */
static void
invariants(struct report *r, const struct answer *a,
    const char *v[NFIELDS])
{
	struct answer	 u = *a;
	size_t		 i;
	bool		 star = v[0] != NULL && strcmp(v[0], "*") == 0;

	if (a->star_only && v[0] != NULL && !a->no_credentials)
		report_add(r, "  invariant: star_only without no_credentials\n");
	if (v[1] != NULL && (star || a->no_credentials))
		report_add(r, "  invariant: Allow-Credentials beside an origin "
		    "only \"*\" allowed (Allow-Origin \"%s\")\n", v[0]);
	/* Fetch: beside credentials "*" is a name, not a wildcard.  (In
	 * Allow-Headers it is only ever a requested name echoed.) */
	if (v[1] != NULL && lists_star(v[2]))
		report_add(r, "  invariant: \"*\" in Expose-Headers beside "
		    "Allow-Credentials\n");
	if (v[8] != NULL && (v[0] == NULL || strcmp(v[8], v[0]) != 0))
		report_add(r, "  invariant: Timing-Allow-Origin \"%s\" is not "
		    "the Allow-Origin\n", v[8]);
	if (a->verdict == VERDICT_REFUSED && a->nfields > 0 &&
	    strcmp(a->fields[0].name, "X-CORS-Wrap") != 0)
		report_add(r, "  invariant: a refused answer carries %s\n",
		    a->fields[0].name);
	answer_unreflect(&u);
	for (i = 0; i < u.nfields; i++) {
		const char	*want = a->fields[i].value;

		/* Timing-Allow-Origin mirrors Allow-Origin. */
		if (a->no_credentials && (strcmp(a->fields[i].name,
		    fields[0].name) == 0 || strcmp(a->fields[i].name,
		    "Timing-Allow-Origin") == 0))
			want = "*";
		if (strcmp(u.fields[i].value, want) != 0)
			report_add(r, "  invariant: answer_unreflect made %s "
			    "\"%s\", not \"%s\"\n", u.fields[i].name,
			    u.fields[i].value, want);
	}
}

static bool
run_case(const struct decide_case *c, struct report *r)
{
	static struct request	 req;
	static struct answer	 a;
	const struct section	*sec;
	struct loaded		*l = load(c->ini, c->env);
	const char		*got[NFIELDS] = { NULL };
	char			 buf[256], gv[256], wv[256];
	size_t			 i, k;

	if (l->error != NULL) {
		report_add(r, "  the configuration does not load:\n    %s\n",
		    l->error);
		return false;
	}
	read_request(&c->req, &req);
	sec = exchange_decide(&l->cfg, &req, &a);

	for (i = 0; i < a.nfields; i++) {
		for (k = 0; k < NFIELDS; k++)
			if (strcmp(a.fields[i].name, fields[k].name) == 0)
				break;
		if (k == NFIELDS)
			report_add(r, "  unexpected field %s: %s\n",
			    a.fields[i].name, a.fields[i].value);
		else if (got[k] != NULL)
			report_add(r, "  %s twice\n", a.fields[i].name);
		else
			got[k] = a.fields[i].value;
	}
	outcome(&a, buf, sizeof(buf));
	compare(r, "outcome", c->want.outcome, buf);
	for (k = 0; k < NFIELDS; k++)
		compare(r, fields[k].name, member(&c->want, fields[k].off),
		    got[k]);
	answer_vary(&a, buf, sizeof(buf));
	vary_sorted(c->want.vary, wv, sizeof(wv));
	vary_sorted(buf, gv, sizeof(gv));
	compare(r, "Vary (tokens sorted)", c->want.vary ? wv : NULL,
	    gv[0] ? gv : NULL);
	/* It qualifies an Allow-Origin: a refused answer has none. */
	compare(r, "star_only", c->want.star_only ? "true" : "false",
	    a.star_only && got[0] != NULL ? "true" : "false");
	compare(r, "no_credentials", c->want.no_credentials ||
	    c->want.star_only || strncmp(c->want.outcome, "would-", 6) == 0 ?
	    "true" : "false", a.no_credentials && got[0] != NULL ? "true" :
	    "false");
	compare(r, "section", c->want.section ? c->want.section : "global",
	    sec->name);
	invariants(r, &a, got);
	return r->len == 0;
}

static void
describe(const struct decide_case *c)
{
	const char	*v;
	size_t		 i;

	printf("  config: %s", c->ini[0] ? "\n" : "(defaults)\n");
	fputs(c->ini, stdout);
	for (i = 0; i < 4 && c->env[i] != NULL; i++)
		printf("  env: %s\n", c->env[i]);
	printf("  request:\n");
	for (i = 0; i < NVARS; i++)
		if ((v = member(&c->req, vars[i].off)) != NULL)
			printf("    %s: %.100s%s\n", vars[i].label, v,
			    strlen(v) > 100 ? "..." : "");
}

static bool
run_config_case(const struct config_case *c, struct report *r)
{
	struct loaded	*l = load(c->ini, c->env);

	if (l->error == NULL)
		report_add(r, "  loads, but is an error\n");
	else if (strstr(l->error, c->names) == NULL)
		report_add(r, "  the error does not name \"%s\":\n    %s\n",
		    c->names, l->error);
	return r->len == 0;
}

static bool
names_unique(void)
{
	size_t	 i, j;
	bool	 ok = true;

	for (i = 0; i < ndecide_cases; i++)
		for (j = i + 1; j < ndecide_cases; j++)
			if (strcmp(decide_cases[i].name,
			    decide_cases[j].name) == 0) {
				printf("two rows are named \"%s\"\n",
				    decide_cases[i].name);
				ok = false;
			}
	return ok;
}

int
main(int argc, char *argv[])
{
	static struct report	 r;
	size_t			 i, failed = 0, disagree = 0;
	bool			 ok;

	verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	decide_table_init();
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	if (!names_unique())
		failed++;
	for (i = 0; i < ndecide_cases; i++) {
		const struct decide_case	*c = &decide_cases[i];

		r.len = 0;
		r.text[0] = '\0';
		ok = run_case(c, &r);
		if (c->disagrees != NULL && !ok) {
			disagree++;
			printf("DISAGREES %s\n  (documented: %s)\n%s",
			    c->name, c->disagrees, r.text);
			if (verbose)
				describe(c);
			continue;
		}
		if (c->disagrees != NULL) {
			printf("FAIL %s\n  marked as disagreeing with the "
			    "documentation, but agrees: remove the mark\n",
			    c->name);
			failed++;
			continue;
		}
		if (ok) {
			if (verbose)
				printf("ok %s\n", c->name);
			continue;
		}
		failed++;
		printf("FAIL %s\n%s", c->name, r.text);
		describe(c);
	}
	for (i = 0; i < nconfig_cases; i++) {
		r.len = 0;
		r.text[0] = '\0';
		if (run_config_case(&config_cases[i], &r)) {
			if (verbose)
				printf("ok %s\n", config_cases[i].name);
			continue;
		}
		failed++;
		printf("FAIL %s\n%s  config:\n%s", config_cases[i].name, r.text,
		    config_cases[i].ini);
	}
	for (i = 0; i < nloaded; i++) {
		if (loaded[i].error == NULL)
			config_free(&loaded[i].cfg);
		free(loaded[i].error);
	}
	rmdir(tmpdir);
	printf("%zu cases, %zu failed, %zu disagree with the documentation\n",
	    ndecide_cases + nconfig_cases, failed, disagree);
	return failed > 0;
}
