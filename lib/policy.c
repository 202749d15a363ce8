#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"
#include "pattern.h"
#include "token.h"

void
policy_free(struct policy *p)
{
	size_t	 i;

	origin_list_free(p->origins, p->norigins);
	origin_list_free(p->credentials_origins, p->ncredentials_origins);
	for (i = 0; i < p->nmethods; i++)
		free(p->methods[i]);
	free(p->methods);
	free(p->methods_value);
	for (i = 0; i < p->nallow_headers; i++) {
		if (p->allow_headers[i].regex)
			regfree(&p->allow_headers[i].re);
		free(p->allow_headers[i].name);
	}
	free(p->allow_headers);
	free(p->expose_value);
	free(p->expose_named);
	free(p->preflight_cache_control);
	memset(p, 0, sizeof(*p));
}

const char *
reason_str(enum reason r)
{
	switch (r) {
	case REASON_ALLOWED:
		return "allowed";
	case REASON_NO_ORIGIN:
		return "no-origin";
	case REASON_ORIGIN_INVALID:
		return "origin-invalid";
	case REASON_ORIGIN_NOT_ALLOWED:
		return "origin-not-allowed";
	case REASON_METHOD_INVALID:
		return "method-invalid";
	case REASON_METHOD_NOT_ALLOWED:
		return "method-not-allowed";
	case REASON_HEADER_INVALID:
		return "header-invalid";
	case REASON_HEADERS_TOO_MANY:
		return "headers-too-many";
	case REASON_PATH_INVALID:
		return "path-invalid";
	}
	return "unknown";
}

static void
add(struct answer *a, const char *name, const char *value)
{
	if (value != NULL && a->nfields < ANSWER_FIELDS_MAX) {
		a->fields[a->nfields].name = name;
		a->fields[a->nfields].value = value;
		a->nfields++;
	}
}

/* The answer depends on the request's Origin unless it is a constant "*"
 * sent to every request (Fetch, "CORS protocol and HTTP caches"). */
static bool
static_star(const struct policy *p)
{
	return p->origins_any && p->send_wildcard;
}

static void
answer_init(const struct policy *p, const struct request *r,
    struct answer *a)
{
	a->preflight = r->preflight;
	a->star_only = false;
	a->would_refuse = false;
	a->no_credentials = false;
	a->expose_script = false;
	a->verdict = VERDICT_NONE;
	a->reason = REASON_ALLOWED;
	a->detail = NULL;
	a->detail_len = 0;
	a->nfields = 0;
	a->vary = 0;
	if (!p->vary_header)
		return;
	if (!(static_star(p) && p->always_send))
		a->vary |= VARY_ORIGIN;
	if (r->preflight) {
		a->vary |= VARY_ACRM | VARY_ACRH;
		if (p->allow_private_network)
			a->vary |= VARY_ACRPN;
	}
}

static void
refuse(struct answer *a, enum reason why, const char *detail, size_t len)
{
	a->verdict = VERDICT_REFUSED;
	a->reason = why;
	a->detail = detail;
	a->detail_len = len;
	a->nfields = 0;
}

void
policy_refuse(const struct policy *p, const struct request *r,
    enum reason why, struct answer *a)
{
	answer_init(p, r, a);
	refuse(a, why, NULL, 0);
}

/* The Allow-Origin for the request's Origin, or NULL.  *star_only tells
 * whether no entry but "*" allowed it. */
static const char *
allowed_origin(const struct policy *p, const struct request *r,
    enum reason *why, bool *star_only)
{
	const struct origin_parts	*parts = &r->origin_parts;
	size_t				 i;
	bool				 star = false;

	if (r->origin_state == RORIGIN_ABSENT) {
		*why = REASON_NO_ORIGIN;
		return NULL;
	}
	/* A constant "*" reflects nothing, so it is safe for any Origin,
	 * even a malformed one, and keeps the answer the same for all. */
	if (static_star(p))
		return "*";
	switch (r->origin_state) {
	case RORIGIN_ABSENT:
		return NULL;
	case RORIGIN_INVALID:
		*why = REASON_ORIGIN_INVALID;
		return NULL;
	case RORIGIN_OPAQUE:
		parts = NULL;
		break;
	case RORIGIN_VALID:
		break;
	}
	for (i = 0; i < p->norigins; i++) {
		if (!origin_entry_matches(&p->origins[i], r->origin,
		    r->origin_len, parts))
			continue;
		if (p->origins[i].kind != OENTRY_ANY)
			return r->origin;
		star = true;
	}
	if (star) {
		*star_only = true;
		return r->origin;
	}
	*why = REASON_ORIGIN_NOT_ALLOWED;
	return NULL;
}

/* Does an entry of the list allow the request's (valid or opaque) Origin?
 * tests/fuzz/fuzz_decide.c states this again as its oracle: a change here
 * is a change of the rule, and belongs there too. */
static bool
listed(const struct origin_entry *v, size_t n, const struct request *r)
{
	const struct origin_parts	*parts = &r->origin_parts;
	size_t				 i;

	if (r->origin_state == RORIGIN_OPAQUE)
		parts = NULL;
	else if (r->origin_state != RORIGIN_VALID)
		return false;
	for (i = 0; i < n; i++)
		if (origin_entry_matches(&v[i], r->origin, r->origin_len,
		    parts))
			return true;
	return false;
}

int
policy_header_entry(const struct policy *p, const char *name, size_t len)
{
	size_t	 i;

	if (p->allow_headers_any)
		return POLICY_ANY;
	if (len > REQ_HEADERS_MAX)
		return -1;
	for (i = 0; i < p->nallow_headers; i++) {
		const struct header_entry	*h = &p->allow_headers[i];

		if (!h->regex) {
			if (tok_eq_nocase(name, len, h->name, strlen(h->name)))
				return (int)i;
			continue;
		}
		if (pattern_matches(&h->re, name, len))
			return (int)i;
	}
	return -1;
}

static bool
header_allowed(const struct policy *p, const char *name, size_t len)
{
	return policy_header_entry(p, name, len) != -1;
}

struct span {
	const char	*p;
	size_t		 len;
};

static int
span_cmp(const struct span *a, const struct span *b)
{
	size_t	 n = a->len < b->len ? a->len : b->len;
	int	 c = memcmp(a->p, b->p, n);

	if (c != 0)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* Fills a->acah with the requested names the policy permits, sorted (as
 * flask-cors does) and without duplicates.  Refuses the preflight when a
 * name is not a token or there are too many. */
static bool
allow_headers(const struct policy *p, const struct request *r, bool any,
    struct answer *a)
{
	struct span	 names[REQ_HEADER_NAMES_MAX], t;
	struct tok_iter	 it;
	const char	*s;
	size_t		 len, n = 0, i, j, o = 0;

	a->acah[0] = '\0';
	if (r->acrh == NULL)
		return true;
	len = strnlen(r->acrh, REQ_HEADERS_MAX + 1);
	if (len > REQ_HEADERS_MAX) {
		refuse(a, REASON_HEADERS_TOO_MANY, NULL, 0);
		return false;
	}
	tok_iter_init(&it, r->acrh, len);
	while (tok_next_field(&it, &s, &len)) {
		if (!tok_is_token(s, len)) {
			refuse(a, REASON_HEADER_INVALID, s, len);
			return false;
		}
		if (n == REQ_HEADER_NAMES_MAX) {
			refuse(a, REASON_HEADERS_TOO_MANY, NULL, 0);
			return false;
		}
		if (any || header_allowed(p, s, len)) {
			names[n].p = s;
			names[n].len = len;
			n++;
		}
	}
	/* Insertion sort: n is small and this allocates nothing. */
	for (i = 1; i < n; i++) {
		t = names[i];
		for (j = i; j > 0 && span_cmp(&names[j - 1], &t) > 0; j--)
			names[j] = names[j - 1];
		names[j] = t;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && span_cmp(&names[i - 1], &names[i]) == 0)
			continue;
		/* Fits: the names come from a value of at most
		 * REQ_HEADERS_MAX bytes with at least one comma between,
		 * at most REQ_HEADER_NAMES_MAX of them, and ", " adds a
		 * byte to each separator but the first name's (the size
		 * of acah, lib/policy.h). */
		if (o > 0) {
			memcpy(a->acah + o, ", ", 2);
			o += 2;
		}
		memcpy(a->acah + o, names[i].p, names[i].len);
		o += names[i].len;
	}
	a->acah[o] = '\0';
	return true;
}

static bool
allow_method(const struct policy *p, const struct request *r,
    struct answer *a, const char **acam)
{
	size_t	 len = strnlen(r->acrm, METHOD_MAX + 1), i, vlen;
	bool	 exact = false, found = false;

	if (len > METHOD_MAX || !tok_is_token(r->acrm, len)) {
		refuse(a, REASON_METHOD_INVALID, r->acrm,
		    len > METHOD_MAX ? METHOD_MAX : len);
		return false;
	}
	if (p->methods_any) {
		*acam = r->acrm;
		return true;
	}
	for (i = 0; i < p->nmethods && !exact; i++) {
		if (tok_eq_nocase(r->acrm, len, p->methods[i],
		    strlen(p->methods[i]))) {
			found = true;
			exact = strcmp(r->acrm, p->methods[i]) == 0;
		}
	}
	if (!found) {
		refuse(a, REASON_METHOD_NOT_ALLOWED, r->acrm, len);
		return false;
	}
	*acam = p->methods_value;
	/* Browsers upper-case only the six standard methods; "patch" stays
	 * "patch" and the CORS check compares bytes, so echo it as sent. */
	vlen = strlen(p->methods_value);
	if (!exact && vlen + 2 + len < sizeof(a->acam)) {
		memcpy(a->acam, p->methods_value, vlen);
		memcpy(a->acam + vlen, ", ", 2);
		memcpy(a->acam + vlen + 2, r->acrm, len);
		a->acam[vlen + 2 + len] = '\0';
		*acam = a->acam;
	}
	return true;
}

/* Does credentials_origins list the exact origin s? */
static bool
exact_listed(const struct policy *p, const char *s)
{
	struct origin_parts	 parts;
	size_t			 i, len = strlen(s);

	if (origin_parse(s, len, &parts) != ORIGIN_OK)
		return false;
	for (i = 0; i < p->ncredentials_origins; i++)
		if (origin_entry_matches(&p->credentials_origins[i], s, len,
		    &parts))
			return true;
	return false;
}

/*
 * Does the answer carry Access-Control-Allow-Credentials?  Sets
 * a->no_credentials for a reflected Origin that may not have them, which
 * the script's own field cannot give it either (cgiheader_withholds).
 * Without an Origin (always_send) only supports_credentials counts; the
 * first exact origin sent then is one more that credentials_origins may
 * leave out: without Vary (vary_header = false) a cache keeps that answer
 * for the origin's own requests, the script's credentials with it.
 */
static bool
credentials(const struct policy *p, const struct request *r,
    struct answer *a, const char *acao)
{
	if (a->verdict == VERDICT_NONE && acao == p->first_exact &&
	    p->ncredentials_origins > 0) {
		a->no_credentials = !exact_listed(p, acao);
		return false;
	}
	if (a->verdict != VERDICT_ALLOWED || acao != r->origin)
		return p->supports_credentials;
	a->no_credentials = a->star_only || (p->ncredentials_origins > 0 &&
	    !listed(p->credentials_origins, p->ncredentials_origins, r));
	if (a->no_credentials)
		return false;
	return p->supports_credentials || p->ncredentials_origins > 0;
}

/*
 * enforce = report: the answer a permissive policy gives a request this
 * one refused (any origin, method and header names, never credentials),
 * so that a roll-out breaks no client while the log names them.  What
 * even a permissive policy refuses stays refused: an invalid Origin,
 * method or header name, too many names.  No Max-Age: a browser would
 * keep the permissive answer that long after enforce = on.
 */
static void
answer_permissive(const struct policy *p, const struct request *r,
    struct answer *a)
{
	enum reason	 why = a->reason;
	const char	*detail = a->detail, *acao = r->origin;
	size_t		 dlen = a->detail_len, len;

	if (why != REASON_ORIGIN_NOT_ALLOWED &&
	    why != REASON_METHOD_NOT_ALLOWED)
		return;
	/* The constant "*" stays, whatever the Origin.  Else only a valid
	 * Origin is reflected: "null" is what origins = * refuses too, and
	 * a sandboxed page's refused request must not be the one a report
	 * lets through. */
	if (static_star(p))
		acao = "*";
	else if (r->origin_state != RORIGIN_VALID)
		return;
	if (r->preflight) {
		len = strnlen(r->acrm, METHOD_MAX + 1);
		if (len > METHOD_MAX || !tok_is_token(r->acrm, len))
			return;
		if (!allow_headers(p, r, true, a)) {
			refuse(a, why, detail, dlen);
			return;
		}
	}
	a->verdict = VERDICT_ALLOWED;
	a->would_refuse = true;
	a->no_credentials = true;
	a->star_only = false;
	add(a, "Access-Control-Allow-Origin", acao);
	add(a, "Access-Control-Expose-Headers", p->expose_value);
	if (!r->preflight) {
		if (p->timing_allow_origin)
			add(a, "Timing-Allow-Origin", acao);
		return;
	}
	if (r->acrpn && p->allow_private_network)
		add(a, "Access-Control-Allow-Private-Network", "true");
	if (a->acah[0] != '\0')
		add(a, "Access-Control-Allow-Headers", a->acah);
	add(a, "Access-Control-Allow-Methods", r->acrm);
}

static struct field *
find_field(struct answer *a, const char *name)
{
	size_t	 i;

	for (i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, name) == 0)
			return &a->fields[i];
	return NULL;
}

/*
 * Fetch, "CORS-exposed header-name list": "*" is a wildcard only for a
 * request without credentials, and an answer that allows credentials is
 * read by credentialed requests.  Its Expose-Headers keeps the names of
 * its own, and cgiheader_merge adds the script's header names.  Whether
 * the answer allows credentials is read from the answer, whatever
 * decided it.
 */
static void
expose_credentialed(const struct policy *p, struct answer *a)
{
	struct field	*f;

	if (!p->expose_any ||
	    find_field(a, "Access-Control-Allow-Credentials") == NULL ||
	    (f = find_field(a, "Access-Control-Expose-Headers")) == NULL)
		return;
	f->value = p->expose_named != NULL ? p->expose_named : "";
	a->expose_script = true;
}

void
policy_decide(const struct policy *p, const struct request *r,
    struct answer *a)
{
	const char	*acao, *acam = NULL;
	enum reason	 why = REASON_ALLOWED;

	answer_init(p, r, a);
	acao = allowed_origin(p, r, &why, &a->star_only);
	if (acao == NULL && r->origin_state == RORIGIN_ABSENT) {
		/* Not a CORS request.  always_send still gives a static
		 * answer, as flask-cors does: "*" or the first exact origin
		 * (never "*" with credentials: that is a config error). */
		a->reason = REASON_NO_ORIGIN;
		if (!p->always_send)
			return;
		acao = p->origins_any ? "*" : p->first_exact;
		if (acao == NULL)
			return;
	} else if (acao == NULL) {
		refuse(a, why, NULL, 0);
		if (p->enforce == ENFORCE_REPORT)
			answer_permissive(p, r, a);
		return;
	} else {
		a->verdict = VERDICT_ALLOWED;
	}

	if (r->preflight && a->verdict == VERDICT_ALLOWED) {
		if (!allow_method(p, r, a, &acam) ||
		    !allow_headers(p, r, false, a)) {
			if (p->enforce == ENFORCE_REPORT)
				answer_permissive(p, r, a);
			return;
		}
	}

	add(a, "Access-Control-Allow-Origin", acao);
	add(a, "Access-Control-Expose-Headers", p->expose_value);
	if (credentials(p, r, a, acao))
		add(a, "Access-Control-Allow-Credentials", "true");
	expose_credentialed(p, a);
	if (!r->preflight) {
		/* Resource Timing checks the actual response only: a
		 * preflight's timing is part of its request's entry. */
		if (p->timing_allow_origin)
			add(a, "Timing-Allow-Origin", acao);
		return;
	}
	if (a->verdict != VERDICT_ALLOWED)
		return;
	if (r->acrpn && p->allow_private_network)
		add(a, "Access-Control-Allow-Private-Network", "true");
	if (a->acah[0] != '\0')
		add(a, "Access-Control-Allow-Headers", a->acah);
	if (p->max_age >= 0)
		add(a, "Access-Control-Max-Age", p->max_age_value);
	add(a, "Access-Control-Allow-Methods", acam);
	/* For shared caches, on what cors-wrap answers itself; a browser
	 * caches only a preflight that succeeded, and so may a CDN. */
	if (p->automatic_options)
		add(a, "Cache-Control", p->preflight_cache_control);
}

void
answer_unreflect(struct answer *a)
{
	size_t	 i;

	if (!a->no_credentials)
		return;
	for (i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, "Access-Control-Allow-Origin") ==
		    0 || strcmp(a->fields[i].name, "Timing-Allow-Origin") == 0)
			a->fields[i].value = "*";
	a->star_only = false;
	a->no_credentials = false;
}

void
answer_debug(struct answer *a, const char *section)
{
	bool		 hit = a->verdict == VERDICT_ALLOWED ||
			    (a->verdict == VERDICT_NONE && a->nfields > 0);
	char		 name[41];
	size_t		 i;
	unsigned char	 c;

	/* A section's name holds any byte the INI file gave it but ':';
	 * a field value holds none but printable ASCII (a CR ends it). */
	for (i = 0; i < sizeof(name) - 1 && section[i] != '\0'; i++) {
		c = (unsigned char)section[i];
		if (c >= 0x20 && c < 0x7f)
			name[i] = section[i];
		else
			name[i] = '?';
	}
	name[i] = '\0';
	snprintf(a->debug, sizeof(a->debug), "%s%s%s%s; section=%s",
	    a->preflight ? "preflight-" : "", a->would_refuse ? "report-only" :
	    hit ? "hit" : "miss",
	    a->reason != REASON_ALLOWED ? "; " : "",
	    a->reason != REASON_ALLOWED ? reason_str(a->reason) : "", name);
	add(a, "X-CORS-Wrap", a->debug);
}

size_t
answer_vary(const struct answer *a, char *buf, size_t len)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ VARY_ORIGIN, "Origin" },
		{ VARY_ACRM, "Access-Control-Request-Method" },
		{ VARY_ACRH, "Access-Control-Request-Headers" },
		{ VARY_ACRPN, "Access-Control-Request-Private-Network" },
	};
	size_t	 i, o = 0, n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(a->vary & names[i].bit))
			continue;
		n = strlen(names[i].name);
		if (o + n + 3 > len)
			return 0;
		if (o > 0) {
			memcpy(buf + o, ", ", 2);
			o += 2;
		}
		memcpy(buf + o, names[i].name, n);
		o += n;
	}
	buf[o] = '\0';
	return o;
}

ssize_t
answer_format(const struct answer *a, const char *eol, char *buf, size_t len)
{
	char	 vary[160];
	size_t	 i, o = 0, el = strlen(eol), vl, cap = len - 1;

	if (len == 0)
		return -1;
	/* cap keeps room for the NUL. */
	for (i = 0; i < a->nfields; i++) {
		if (a->fields[i].value[0] == '\0')
			continue;
		if (!outbuf_put(buf, cap, &o, a->fields[i].name,
		    strlen(a->fields[i].name)) ||
		    !outbuf_put(buf, cap, &o, ": ", 2) ||
		    !outbuf_put(buf, cap, &o, a->fields[i].value,
		    strlen(a->fields[i].value)) ||
		    !outbuf_put(buf, cap, &o, eol, el))
			return -1;
	}
	if ((vl = answer_vary(a, vary, sizeof(vary))) > 0) {
		if (!outbuf_put(buf, cap, &o, "Vary: ", 6) ||
		    !outbuf_put(buf, cap, &o, vary, vl) ||
		    !outbuf_put(buf, cap, &o, eol, el))
			return -1;
	}
	buf[o] = '\0';
	return (ssize_t)o;
}
