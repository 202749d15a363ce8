/*
 * fuzz_decide: the whole decision.  A few fixed configurations (compiled
 * once: exact, subdomain, regex and null origins, allow_headers with a
 * regex, wildcard, credentials, credentials_origins, enforce = report,
 * sections), the fuzz input as the request
 * (the encoding of fuzz.h); decide() (section selection + policy_decide)
 * and policy_decide on every section, then answer_format and
 * response_format.  Invariants:
 *   - Access-Control-Allow-Origin is "*" (origins "*": without credentials,
 *     and to a request with an Origin only with send_wildcard), or the
 *     request's Origin byte for byte, which origin_parse accepted and an
 *     entry allows (or "null" with a null entry), with Vary: Origin;
 *     without an Origin only always_send's "*" or first exact origin;
 *   - no CR, LF or other control byte in any header value produced;
 *   - an allowed preflight had a valid method, which Allow-Methods lists
 *     as sent; Allow-Headers lists only names the request asked for,
 *     sorted and unique, all of them with allow_headers "*";
 *   - a refused answer carries no CORS field, nor does a request that is
 *     not a CORS request (always_send's static answer aside); Max-Age and
 *     Allow-Private-Network only on allowed preflights;
 *   - enforce = report lets through only what a permissive policy allows
 *     (an origin or method the policy refused), never with credentials
 *     or Max-Age; credentials only where credentials_origins or
 *     supports_credentials gives them, never to a no_credentials origin;
 *   - a path that cannot be decoded is refused;
 *   - the decision is logged as one line of printable ASCII;
 *   - answer_format/response_format stay inside exact-size buffers and
 *     fail cleanly in one byte less.
 */
#include "fuzz.h"

#include "config.h"
#include "exchange.h"
#include "bounds.h"
#include "origin.h"
#include "policy.h"
#include "request.h"
#include "response.h"
#include "token.h"

#define NCONFIGS	7

static struct config	 configs[NCONFIGS];

/* Environment-only configurations (CORS_* as a server would set them). */
static char *env0[] = { NULL };	/* the defaults */
static char *env1[] = {
	"CORS_ORIGINS=https://app.example.com https://*.example.org "
	    "http://localhost:8080 ~https://[a-z0-9-]+\\.regex\\.test(:[0-9]+)? "
	    "null",
	"CORS_METHODS=GET, POST, patch, DELETE",
	"CORS_ALLOW_HEADERS=Content-Type X-Requested-With ~X-Api-[A-Za-z0-9-]+",
	"CORS_EXPOSE_HEADERS=X-Total-Count ETag",
	"CORS_SUPPORTS_CREDENTIALS=true",
	"CORS_MAX_AGE=10m",
	"CORS_ALLOW_PRIVATE_NETWORK=true",
	"CORS_DEBUG_HEADER=true",
	NULL
};
static char *env2[] = {
	"CORS_ORIGINS=*",
	"CORS_SEND_WILDCARD=true",
	"CORS_METHODS=*",
	"CORS_EXPOSE_HEADERS=X-A, X-B",
	"CORS_MAX_AGE=0",
	NULL
};
static char *env3[] = {
	"CORS_ORIGINS=https://a.example https://b.example:8443 "
	    "http://[::1]:3000",
	"CORS_ALLOW_HEADERS=",
	"CORS_ALWAYS_SEND=true",
	"CORS_VARY_HEADER=false",
	"CORS_PREFLIGHT_STATUS=200",
	"CORS_METHODS=PUT",
	NULL
};
static char *env4[] = {
	"CORS_ORIGINS=~.* null",
	"CORS_ALLOW_HEADERS=* ~x-.*",
	"CORS_SUPPORTS_CREDENTIALS=yes",
	"CORS_ALWAYS_SEND=false",
	"CORS_EXPOSE_HEADERS=* X-A",
	"CORS_TIMING_ALLOW_ORIGIN=on",
	"CORS_PREFLIGHT_CACHE_CONTROL=public, max-age=60",
	NULL
};

/* Credentials for some origins, and report mode (in the section /r/). */
static const char ini6[] =
    "origins = https://app.example.com https://*.example.org null "
    "~https://[a-z]+\\.regex\\.test\n"
    "credentials_origins = https://*.example.org null\n"
    "methods = GET, PUT\n"
    "allow_headers = X-A\n"
    "max_age = 10m\n"
    "[report]\n"
    "path = /r/*\n"
    "enforce = report\n"
    "[wild]\n"
    "path = /w/*\n"
    "origins = *\n"
    "send_wildcard = yes\n"
    "credentials_origins =\n"
    "enforce = report\n";

/* Sections: the path picks the policy. */
static const char ini5[] =
    "origins = https://*.example.com\n"
    "allow_headers = Content-Type, ~x-custom-[0-9]+\n"
    "debug_header = true\n"
    "[api]\n"
    "path = /api/*\n"
    "origins = *\n"
    "allow_headers = ~x-.*\n"
    "[private]\n"
    "path = /private\n"
    "origins = null https://admin.example\n"
    "supports_credentials = true\n"
    "max_age = 1d\n"
    "[files]\n"
    "path = /files/*.json\n"
    "origins = ~https?://(www\\.)?files\\.test\n"
    "methods = GET HEAD\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *const *envs[NCONFIGS] = { env0, env1, env2, env3, env4,
	    env0, env0 };
	struct fz_memfile	 mf, mf6;
	struct diag		 d;
	int			 i;

	(void)argc;
	(void)argv;
	fz_memfile_open(&mf);
	fz_memfile_set(&mf, ini5, sizeof(ini5) - 1);
	fz_memfile_open(&mf6);
	fz_memfile_set(&mf6, ini6, sizeof(ini6) - 1);
	for (i = 0; i < NCONFIGS; i++) {
		memset(&d, 0, sizeof(d));
		if (config_load(&configs[i], i == 5 ? mf.path : i == 6 ?
		    mf6.path : NULL, envs[i], &d) == -1) {
			fprintf(stderr, "fuzz_decide: configuration %d: %s", i,
			    d.text != NULL ? d.text : "?\n");
			abort();
		}
		diag_free(&d);
	}
	close(mf.fd);
	close(mf6.fd);
	return 0;
}

static bool
policy_has_null(const struct policy *p)
{
	size_t	 i;

	for (i = 0; i < p->norigins; i++)
		if (p->origins[i].kind == OENTRY_NULL)
			return true;
	return false;
}

static bool
policy_allows(const struct policy *p, const char *o,
    const struct origin_parts *parts)
{
	size_t	 i;

	for (i = 0; i < p->norigins; i++)
		if (origin_entry_matches(&p->origins[i], o, strlen(o), parts))
			return true;
	return false;
}

/* Does an entry of credentials_origins match the request's Origin?  A
 * copy of lib/policy.c's listed(), on purpose: the oracle states the rule
 * again rather than asking the code it checks. */
static bool
credentials_listed(const struct policy *p, const struct request *r)
{
	const struct origin_parts	*parts = &r->origin_parts;
	size_t				 i;

	if (r->origin_state == RORIGIN_OPAQUE)
		parts = NULL;
	else if (r->origin_state != RORIGIN_VALID)
		return false;
	for (i = 0; i < p->ncredentials_origins; i++)
		if (origin_entry_matches(&p->credentials_origins[i], r->origin,
		    r->origin_len, parts))
			return true;
	return false;
}

/* Is name (len bytes) one of the elements of the request's ACRH? */
static bool
requested(const char *acrh, const char *name, size_t len)
{
	struct tok_iter	 it;
	const char	*s;
	size_t		 n;

	if (acrh == NULL)
		return false;
	tok_iter_init(&it, acrh, strnlen(acrh, REQ_HEADERS_MAX + 1));
	while (tok_next_field(&it, &s, &n))
		if (n == len && memcmp(s, name, n) == 0)
			return true;
	return false;
}

static void
check_acao(const struct policy *p, const struct request *r,
    const struct answer *a, const char *v)
{
	struct origin_parts	 o;

	if (strcmp(v, "*") == 0) {
		CHECK(p->origins_any);
		CHECK(!p->supports_credentials);
		/* To a request with an Origin, "*" only with send_wildcard:
		 * otherwise the origin is reflected (flask-cors). */
		if (r->origin != NULL)
			CHECK(p->send_wildcard);
		return;
	}
	if (r->origin == NULL) {
		/* always_send without Origin: the first exact origin. */
		CHECK(a->verdict == VERDICT_NONE && p->always_send);
		CHECK(p->first_exact != NULL && strcmp(v, p->first_exact) == 0);
		return;
	}
	/* Reflected: byte for byte the request's, which is a valid origin
	 * (or null with null listed, enforce = report or not), and an
	 * entry of the policy allows (enforce = report: or the policy
	 * refused it). */
	CHECK(v == r->origin);
	if (strcmp(v, "null") == 0) {
		CHECK(r->origin_state == RORIGIN_OPAQUE && policy_has_null(p));
	} else {
		CHECK(r->origin_state == RORIGIN_VALID &&
		    origin_parse(v, strlen(v), &o) == ORIGIN_OK);
		CHECK(a->would_refuse || policy_allows(p, v, &o));
	}
	/* A reflected origin varies with the request. */
	if (p->vary_header)
		CHECK(a->vary & VARY_ORIGIN);
}

/* Is s[0..n) an element of the ", "-joined list v? */
static bool
listed(const char *v, const char *s, size_t n)
{
	struct tok_iter	 it;
	const char	*e;
	size_t		 len;

	tok_iter_init(&it, v, strlen(v));
	while (tok_next_field(&it, &e, &len))
		if (len == n && memcmp(e, s, n) == 0)
			return true;
	return false;
}

/* ", "-joined tokens; for Allow-Headers also sorted, unique, requested. */
static void
check_list(const char *v, const char *acrh, bool headers)
{
	struct tok_iter	 it;
	const char	*s, *prev = NULL;
	size_t		 n, plen = 0;
	int		 cmp;

	tok_iter_init(&it, v, strlen(v));
	while (tok_next_field(&it, &s, &n)) {
		CHECK(tok_is_token(s, n));
		if (!headers)
			continue;
		CHECK(requested(acrh, s, n));
		if (prev != NULL) {
			cmp = memcmp(prev, s, plen < n ? plen : n);
			CHECK(cmp < 0 || (cmp == 0 && plen < n));
		}
		prev = s;
		plen = n;
	}
}

/* With allow_headers "*", every requested name is allowed back. */
static void
check_all_headers(const struct policy *p, const struct request *r,
    const char *acah)
{
	struct tok_iter	 it;
	const char	*s;
	size_t		 n;

	if (!p->allow_headers_any || r->acrh == NULL)
		return;
	tok_iter_init(&it, r->acrh, strlen(r->acrh));
	while (tok_next_field(&it, &s, &n))
		CHECK(acah != NULL && listed(acah, s, n));
}

static void
check_answer(const struct policy *p, const struct request *r,
    const struct answer *a)
{
	const char	*acah = NULL, *acam = NULL, *tao = NULL, *ao = NULL;
	size_t		 i, n;
	bool		 acao = false, cors = false;
	char		 vary[160];

	CHECK(a->nfields <= ANSWER_FIELDS_MAX);
	if (a->verdict == VERDICT_REFUSED)
		CHECK(a->reason != REASON_ALLOWED);
	/* Only what a permissive policy allows is let through. */
	if (a->would_refuse)
		CHECK(p->enforce == ENFORCE_REPORT && a->verdict == VERDICT_ALLOWED &&
		    (a->reason == REASON_ORIGIN_NOT_ALLOWED ||
		    a->reason == REASON_METHOD_NOT_ALLOWED));
	if (a->detail != NULL)
		CHECK(a->detail_len <= REQ_HEADERS_MAX);
	for (i = 0; i < a->nfields; i++) {
		const char	*nm = a->fields[i].name, *v = a->fields[i].value;

		CHECK(nm != NULL && v != NULL);
		CHECK(tok_is_token(nm, strlen(nm)));
		n = strlen(v);
		/* Nothing that could end the header line or start another. */
		CHECK(fz_printable(v, n));
		if (strcmp(nm, "X-CORS-Wrap") == 0) {
			CHECK(p->debug_header);
			continue;
		}
		/* It mirrors Allow-Origin: checked below. */
		if (strcmp(nm, "Timing-Allow-Origin") == 0) {
			CHECK(p->timing_allow_origin && !a->preflight);
			tao = v;
			continue;
		}
		if (strcmp(nm, "Cache-Control") == 0) {
			CHECK(a->preflight && a->verdict == VERDICT_ALLOWED &&
			    p->automatic_options &&
			    v == p->preflight_cache_control);
			continue;
		}
		/* Beside credentials "*" is a name, not a wildcard. */
		if (strcmp(nm, "Access-Control-Expose-Headers") == 0)
			CHECK(!a->expose_script || (p->expose_any &&
			    strcmp(v, p->expose_named != NULL ?
			    p->expose_named : "") == 0));
		cors = true;
		CHECK(strncmp(nm, "Access-Control-", 15) == 0);
		/* A refused request gets no CORS field at all. */
		CHECK(a->verdict != VERDICT_REFUSED);
		if (strcmp(nm, "Access-Control-Allow-Origin") == 0) {
			CHECK(!acao);
			acao = true;
			ao = v;
			check_acao(p, r, a, v);
		} else if (strcmp(nm, "Access-Control-Allow-Headers") == 0) {
			/* The request's names, ", " where it may have put a
			 * lone comma: a byte more for each name but one. */
			CHECK(n <= REQ_HEADERS_MAX + REQ_HEADER_NAMES_MAX - 1);
			check_list(v, r->acrh, true);
			acah = v;
		} else if (strcmp(nm, "Access-Control-Allow-Methods") == 0) {
			CHECK(n < sizeof(a->acam) || v == p->methods_value ||
			    v == r->acrm);
			check_list(v, NULL, false);
			acam = v;
		} else if (strcmp(nm, "Access-Control-Allow-Credentials") ==
		    0) {
			/* Never to an origin that may have none: only
			 * "*" allowed it, credentials_origins left it out,
			 * or only enforce = report let it through. */
			CHECK((p->supports_credentials ||
			    p->ncredentials_origins > 0) && !a->no_credentials &&
			    !a->would_refuse && strcmp(v, "true") == 0);
			if (p->ncredentials_origins > 0)
				CHECK(credentials_listed(p, r));
		} else if (strcmp(nm, "Access-Control-Max-Age") == 0) {
			CHECK(a->preflight && a->verdict == VERDICT_ALLOWED &&
			    !a->would_refuse);
		} else if (strcmp(nm, "Access-Control-Allow-Private-Network") ==
		    0) {
			CHECK(a->preflight && a->verdict == VERDICT_ALLOWED);
		}
	}
	/* Fields without Allow-Origin would be meaningless. */
	if (cors)
		CHECK(acao);
	if (tao != NULL)
		CHECK(ao != NULL && strcmp(tao, ao) == 0);
	if (a->verdict == VERDICT_ALLOWED)
		CHECK(acao);
	/* Without a CORS verdict, only always_send's static answer. */
	if (a->verdict == VERDICT_NONE && cors)
		CHECK(r->origin == NULL && p->always_send);
	if (a->verdict == VERDICT_ALLOWED && a->preflight) {
		/* Allowed only for a valid method, which the browser must
		 * find byte for byte in Allow-Methods. */
		CHECK(r->acrm != NULL && tok_is_token(r->acrm,
		    strlen(r->acrm)));
		CHECK(acam != NULL && listed(acam, r->acrm, strlen(r->acrm)));
		check_all_headers(p, r, acah);
		if (p->vary_header)
			CHECK((a->vary & (VARY_ACRM | VARY_ACRH)) ==
			    (VARY_ACRM | VARY_ACRH));
	}
	n = answer_vary(a, vary, sizeof(vary));
	CHECK(n == strlen(vary) && fz_printable(vary, n));
	if (!p->vary_header)
		CHECK(a->vary == 0);
}

/* answer_format and response_format into exact-size heap buffers. */
static void
check_format(const struct answer *a)
{
	static const int statuses[] = { 200, 204, 403, 500, 502 };
	static const char *const eols[] = { "\r\n", "\n" };
	static char full[RESPONSE_MAX];	/* static: not filled per call */
	char	*buf;
	size_t	 n, i, k;
	ssize_t	 got;

	for (k = 0; k < 2; k++) {
		got = answer_format(a, eols[k], full, RESPONSE_MAX);
		CHECK(got >= 0);
		n = (size_t)got;
		CHECK(n == strlen(full));
		if (n == 0)
			CHECK(a->nfields == 0 && a->vary == 0);
		/* Each line "Name: value" + eol, nothing bare. */
		for (i = 0; i < n; i++) {
			if (full[i] == '\r')
				CHECK(k == 0 && i + 1 < n && full[i + 1] == '\n');
			if (full[i] == '\n')
				CHECK(k == 1 || (i > 0 && full[i - 1] == '\r'));
		}
		if (n > 0)
			CHECK(full[n - 1] == '\n');
		buf = fz_malloc(n + 1);		/* just enough */
		got = answer_format(a, eols[k], buf, n + 1);
		CHECK(got == (ssize_t)n && memcmp(buf, full, n) == 0);
		free(buf);
		if (n > 0) {
			buf = fz_malloc(n);	/* one byte short */
			CHECK(answer_format(a, eols[k], buf, n) == -1);
			free(buf);
		}
	}
	/* Two statuses an answer, chosen by it: every kind of body over
	 * the run, and the same ones when an input is replayed. */
	for (i = 0; i < 2; i++) {
		int	 st = statuses[(a->nfields + a->vary + 2 * i) % 5];

		got = response_format(full, RESPONSE_MAX, st, a);
		CHECK(got > 0 && got < RESPONSE_MAX);
		n = (size_t)got;
		CHECK(memcmp(full, "Status: ", 8) == 0);
		CHECK(memchr(full, '\0', n) == NULL);
		buf = fz_malloc(n + 1);
		CHECK(response_format(buf, n + 1, st, a) == (ssize_t)n);
		free(buf);
		buf = fz_malloc(n);
		CHECK(response_format(buf, n, st, a) == -1);
		free(buf);
	}
}

/* Every line the decision logs is one line of printable ASCII, whatever
 * the request held: request data can never start a log line of its own. */
static void
log_line(void *ctx, const char *line, size_t n)
{
	unsigned	*lines = ctx;

	CHECK(n > 0 && line[n - 1] == '\n');
	CHECK(fz_printable(line, n - 1));
	(*lines)++;
}

static void
check_log(const struct config *c, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	unsigned	 lines = 0;
	struct logger	 lg = { .level = LOG_DEBUG, .fd = -1, .sink = log_line,
			    .ctx = &lines };

	exchange_log(&lg, c, NULL, r, sec, a);
	CHECK(lines == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_request	 q;
	struct request		*r;
	struct answer		*a;
	const struct section	*sec;
	size_t			 i, s;

	fz_request_build(&q, data, size);
	r = fz_malloc(sizeof(*r));
	a = fz_malloc(sizeof(*a));
	request_read(r, request_env_get, q.env);
	for (i = 0; i < NCONFIGS; i++) {
		sec = exchange_decide(&configs[i], r, a);
		CHECK(sec >= configs[i].sections &&
		    sec < configs[i].sections + configs[i].nsections);
		check_answer(&sec->policy, r, a);
		check_format(a);
		check_log(&configs[i], r, sec, a);
		if (!r->path_ok)
			CHECK(a->verdict == VERDICT_REFUSED &&
			    a->reason == REASON_PATH_INVALID);
		/* Every section's policy, whatever the path. */
		for (s = 0; s < configs[i].nsections; s++) {
			const struct policy *p = &configs[i].sections[s].policy;

			policy_decide(p, r, a);
			check_answer(p, r, a);
		}
	}
	free(a);
	free(r);
	fz_request_free(&q);
	return 0;
}
