#include "configcheck.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "origin.h"
#include "policy.h"
#include "pslquery.h"
#include "token.h"

/*
 * The longest each engine keeps a preflight answer, whatever
 * Access-Control-Max-Age asks (Fetch leaves the bound to them): WebKit
 * 10 minutes (CrossOriginPreflightResultCache.cpp), Chromium 2 hours since
 * Chrome 76 (preflight_result.cc), Firefox 24 hours
 * (nsCORSListenerProxy.cpp).  Shortest first.
 */
static const struct {
	const char	*engine;
	long		 seconds;
} max_age_caps[] = {
	{ "WebKit (Safari)", 600 },
	{ "Chromium", 7200 },
	{ "Firefox", 86400 },
};

#define NCAPS	(sizeof(max_age_caps) / sizeof(max_age_caps[0]))
#define MSG_MAX	1024

struct check {
	const struct config	*c;
	const struct section	*global;
	const struct section	*sec;	/* the section being checked */
	struct diag		*w;
	const char		*psl_file;
	bool			 psl_failed;	/* warned that it cannot ask */
};

/* Was key set for this section rather than inherited from the global
 * part (or the defaults, or the environment, which every section has)? */
static bool
own(const struct check *ck, enum config_key key)
{
	return key != KEY_COUNT && ck->sec != ck->global &&
	    strcmp(ck->sec->set[key].source, ck->global->set[key].source) != 0;
}

/*
 * One warning about key, where it was set; other is the key it is
 * combined with (KEY_COUNT: none).  The section is named when one of them
 * is its own: otherwise every section inherits the same values, the
 * global part gets the same warning, and diag_add keeps one copy.
 */
static void
warn(const struct check *ck, enum config_key key, enum config_key other,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
warn(const struct check *ck, enum config_key key, enum config_key other,
    const char *fmt, ...)
{
	char	 msg[MSG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (own(ck, key) || own(ck, other))
		diag_add(ck->w, "%s: [%s] %s: %s", ck->sec->set[key].source,
		    ck->sec->name, config_keys[key].ini, msg);
	else
		diag_add(ck->w, "%s: %s: %s", ck->sec->set[key].source,
		    config_keys[key].ini, msg);
}

/*
 * The key that gives this section's answers credentials, KEY_COUNT for
 * none: each warning about credentials asks this, so another way of
 * granting them is one more line here.
 */
static enum config_key
credentials_key(const struct section *s)
{
	if (s->policy.supports_credentials)
		return KEY_SUPPORTS_CREDENTIALS;
	if (s->policy.ncredentials_origins > 0)
		return KEY_CREDENTIALS_ORIGINS;
	return KEY_COUNT;
}

static void
check_max_age(const struct check *ck)
{
	const struct policy	*p = &ck->sec->policy;
	char			 caps[MSG_MAX];
	size_t			 i, o = 0;

	if (p->max_age <= max_age_caps[0].seconds)
		return;
	for (i = 0; i < NCAPS && max_age_caps[i].seconds < p->max_age; i++)
		o += (size_t)snprintf(caps + o, sizeof(caps) - o, i == 0 ?
		    "%s caps it at %ld s" : ", %s at %ld s",
		    max_age_caps[i].engine, max_age_caps[i].seconds);
	warn(ck, KEY_MAX_AGE, KEY_COUNT, "%ld s is longer than %s a "
	    "preflight answer: %s", p->max_age, i == NCAPS ?
	    "any browser keeps" : "some browsers keep", caps);
}

/* Is "*" one of the names of an ", "-joined list? */
static bool
lists_star(const char *list)
{
	size_t	 n;

	while (list != NULL && *list != '\0') {
		n = strcspn(list, ", ");
		if (n == 1 && *list == '*')
			return true;
		list += n;
		list += strspn(list, ", ");
	}
	return false;
}

/* Fetch: in an answer to a request with credentials, "*" in
 * Access-Control-Allow-Headers and -Expose-Headers is a header name, not a
 * wildcard; and even as a wildcard it never covers Authorization. */
static void
check_star_with_credentials(const struct check *ck)
{
	const struct section	*s = ck->sec;
	enum config_key		 cred = credentials_key(s);

	if (cred == KEY_COUNT)
		return;
	/* The default "*" is cors-wrap's way of allowing what is asked, as
	 * Flask-CORS's is: only a "*" someone wrote may be a misreading. */
	if (s->policy.allow_headers_any &&
	    strcmp(s->set[KEY_ALLOW_HEADERS].source, "default") != 0)
		warn(ck, KEY_ALLOW_HEADERS, cred, "\"*\" with credentials "
		    "(%s, %s): browsers read \"*\" as a wildcard only in "
		    "answers to requests without credentials, and it never "
		    "covers Authorization; cors-wrap answers a preflight with "
		    "the names it asks for instead", config_keys[cred].ini,
		    s->set[cred].source);
	if (lists_star(s->policy.expose_value))
		warn(ck, KEY_EXPOSE_HEADERS, cred, "\"*\" with credentials "
		    "(%s, %s): browsers read \"*\" as a wildcard only in "
		    "answers to requests without credentials; %s",
		    config_keys[cred].ini, s->set[cred].source,
		    ck->c->mode == MODE_MERGE ? "cors-wrap lists the names of "
		    "the script's own response header fields instead" :
		    "prepend mode cannot see the script's header fields, so "
		    "only the names listed beside \"*\" are sent");
}

/* Hosts a browser trusts over plain HTTP (Secure Contexts, 3.2). */
static bool
loopback(const char *host, size_t len)
{
	static const char	 lh[] = "localhost";
	const size_t		 n = sizeof(lh) - 1;

	if ((len == n || (len > n && host[len - n - 1] == '.')) &&
	    strncasecmp(host + len - n, lh, n) == 0)
		return true;
	if (len == 5 && memcmp(host, "[::1]", 5) == 0)
		return true;
	return len > 4 && strncmp(host, "127.", 4) == 0 &&
	    strspn(host, "0123456789.") >= len;
}

/* An origin entry of a plain-HTTP site, other than the machine itself. */
static bool
plain_http(const struct origin_entry *e)
{
	struct origin_parts	 o;
	const char		*t = e->text;

	if (strncasecmp(t, "http://", 7) != 0)
		return false;
	if (e->kind == OENTRY_SUBDOMAIN)
		return !loopback(t + e->suffix_off + 1, e->suffix_len - 1);
	if (e->kind != OENTRY_EXACT ||
	    origin_parse(t, strlen(t), &o) != ORIGIN_OK)
		return false;
	return !loopback(t + o.host_off, o.host_len);
}

/*
 * The entries that say which origins get credentials: credentials_origins
 * when set, else origins (supports_credentials); in *key, which of them.
 */
static const struct origin_entry *
credentials_entries(const struct policy *p, enum config_key *key, size_t *n)
{
	if (p->ncredentials_origins > 0) {
		*key = KEY_CREDENTIALS_ORIGINS;
		*n = p->ncredentials_origins;
		return p->credentials_origins;
	}
	*key = KEY_ORIGINS;
	*n = p->norigins;
	return p->origins;
}

/* Origins whose pages others can write: with credentials, they read the
 * users' authenticated answers.  Only the entries that give credentials
 * count: with credentials_origins, an origin outside it gets none. */
static void
check_origins_with_credentials(const struct check *ck)
{
	const struct section	*s = ck->sec;
	enum config_key		 cred = credentials_key(s), key;
	const struct origin_entry *v;
	size_t			 i, n;

	if (cred == KEY_COUNT)
		return;
	v = credentials_entries(&s->policy, &key, &n);
	for (i = 0; i < n; i++) {
		const struct origin_entry	*e = &v[i];

		if (e->kind == OENTRY_NULL)
			warn(ck, key, cred, "\"null\" with credentials "
			    "(%s, %s): sandboxed frames, data: URLs and local "
			    "files of any site send Origin: null, so any site "
			    "can read your users' authenticated responses",
			    config_keys[cred].ini, s->set[cred].source);
		else if (plain_http(e))
			warn(ck, key, cred, "\"%s\" with credentials "
			    "(%s, %s): anyone on the network path can alter a "
			    "page served over plain HTTP and read your users' "
			    "authenticated responses through it; use https://",
			    e->text, config_keys[cred].ini,
			    s->set[cred].source);
	}
}

/*
 * A glob under a public suffix (github.io, co.uk) allows every site that
 * anyone registers there.  The system's list (Debian's publicsuffix,
 * updated with the system) rather than a copy of our own, read by libpsl
 * (lib/pslquery.h).  When it cannot be asked, one warning says so.
 */
static void
check_public_suffix_list(struct check *ck, enum config_key key,
    const struct origin_entry *v, size_t nv)
{
	char			 dom[ORIGIN_MAX + 1];
	size_t			 i, j, n;
	struct diag		 why = { NULL, 0, 0, 0 };
	int			 public;

	/* An inherited list was asked about for the global part. */
	if (ck->sec != ck->global && !own(ck, key))
		return;
	for (i = 0; i < nv && !ck->psl_failed; i++) {
		const struct origin_entry	*e = &v[i];

		if (e->kind != OENTRY_SUBDOMAIN)
			continue;
		/* The suffix after its leading dot, lower-cased as the
		 * list is. */
		n = e->suffix_len - 1;
		if (n >= sizeof(dom))
			continue;
		for (j = 0; j < n; j++)
			dom[j] = tok_lower(e->text[e->suffix_off + 1 + j]);
		dom[n] = '\0';
		if ((public = pslquery(ck->psl_file, dom, &why)) == -1) {
			warn(ck, key, KEY_COUNT, "subdomain globs not "
			    "checked against the public suffix list: %s",
			    diag_text(&why));
			ck->psl_failed = true;
		} else if (public)
			warn(ck, key, KEY_COUNT, "\"%s\": %s is a public "
			    "suffix (%s): anyone can register a site under it, "
			    "and this entry %s them all; list your own "
			    "sites", e->text, dom, ck->psl_file,
			    key == KEY_CREDENTIALS_ORIGINS ? "gives credentials "
			    "to" : "allows");
	}
	diag_free(&why);
}

/* The globs of origins, and of credentials_origins: beside a regex in
 * origins, a glob there alone says who gets credentials. */
static void
check_public_suffix(struct check *ck)
{
	const struct policy	*p = &ck->sec->policy;

	check_public_suffix_list(ck, KEY_ORIGINS, p->origins, p->norigins);
	check_public_suffix_list(ck, KEY_CREDENTIALS_ORIGINS,
	    p->credentials_origins, p->ncredentials_origins);
}

/* Chrome 142 (2025) replaced Private Network Access with the Local
 * Network Access permission prompt: it no longer sends
 * Access-Control-Request-Private-Network. */
static void
check_private_network(const struct check *ck)
{
	if (ck->sec->policy.allow_private_network)
		warn(ck, KEY_ALLOW_PRIVATE_NETWORK, KEY_COUNT, "legacy: Chrome "
		    "replaced Private Network Access with the Local Network "
		    "Access permission (Chrome 142, 2025) and no longer sends "
		    "Access-Control-Request-Private-Network; the answer still "
		    "serves older browsers, newer ones ask the user instead");
}

/* The Cache-Control of preflights is for a shared cache that keys on
 * Vary: without one, it keeps the first origin's answer (its origin, the
 * header names it asked for) and gives it to every other. */
static void
check_preflight_cache(const struct check *ck)
{
	const struct policy	*p = &ck->sec->policy;

	if (p->preflight_cache_control != NULL &&
	    p->preflight_cache_control[0] != '\0' && p->automatic_options &&
	    !p->vary_header)
		warn(ck, KEY_PREFLIGHT_CACHE_CONTROL, KEY_VARY_HEADER,
		    "without Vary (vary_header, %s): a shared cache gives the "
		    "preflight answer of one origin, and of the header names "
		    "it asked for, to every other",
		    ck->sec->set[KEY_VARY_HEADER].source);
}

unsigned
configcheck(const struct config *c, const char *psl_file, struct diag *w)
{
	struct check	 ck;
	unsigned	 before = w->count;
	size_t		 i;

	memset(&ck, 0, sizeof(ck));
	ck.c = c;
	ck.global = &c->sections[c->nsections - 1];
	ck.w = w;
	ck.psl_file = psl_file != NULL ? psl_file : CONFIGCHECK_PSL_FILE;
	/* The global part first: the sections' lines are what differs. */
	for (i = 0; i < c->nsections; i++) {
		ck.sec = &c->sections[(i + c->nsections - 1) % c->nsections];
		check_max_age(&ck);
		check_star_with_credentials(&ck);
		check_origins_with_credentials(&ck);
		check_public_suffix(&ck);
		check_private_network(&ck);
		check_preflight_cache(&ck);
	}
	return w->count - before;
}
