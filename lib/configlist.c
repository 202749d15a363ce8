/*
 * The list types of configuration keys: origins and credentials_origins
 * (origin entries), methods, allow_headers (names and ~patterns) and
 * expose_headers, each bounded by CONFIG_LIST_MAX entries.  The scalar
 * types are in lib/configtype.c; lib/configtype.h is the interface of both.
 */
#include "configtype.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "origin.h"
#include "pattern.h"
#include "token.h"
/* The opening of every list: the words of s counted (at most
 * CONFIG_LIST_MAX), *v an array of one element more than that, zeroed,
 * each size bytes, and it at the first word.  -1 with why in d, or out
 * of memory. */
static int
list_open(const struct setting *s, const char *key, size_t size, void **v,
    size_t *n, struct tok_iter *it, struct diag *d)
{
	const char	*w;
	size_t		 len;

	*n = 0;
	tok_iter_init(it, s->value, strlen(s->value));
	while (tok_next_word(it, &w, &len))
		(*n)++;
	if (*n > CONFIG_LIST_MAX) {
		diag_add(d, "%s: %s: more than %d entries", s->source, key,
		    CONFIG_LIST_MAX);
		return -1;
	}
	if ((*v = calloc(*n + 1, size)) == NULL)
		return -1;
	tok_iter_init(it, s->value, strlen(s->value));
	return 0;
}

/*
 * Shell sort of a list (at most CONFIG_LIST_MAX entries), not qsort(3): in
 * CGI mode this runs on every request, and libc's qsort code is one more
 * page fault there (bench/run).
 */
/* a > b; the lists hold no NULL, but the analyzer cannot know that. */
static bool
str_after(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) > 0;
}

static void
sort_strings(char **v, size_t n)
{
	static const size_t	 gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };
	size_t			 g, i, j, gap;
	char			*t;

	for (g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		gap = gaps[g];
		for (i = gap; i < n; i++) {
			t = v[i];
			for (j = i; j >= gap && str_after(v[j - gap], t);
			    j -= gap)
				v[j] = v[j - gap];
			v[j] = t;
		}
	}
}

/* Joins sorted strings with ", ". */
static char *
join(char **v, size_t n)
{
	size_t	 i, len = 1, o = 0;
	char	*s;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	if ((s = malloc(len)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i > 0) {
			memcpy(s + o, ", ", 2);
			o += 2;
		}
		memcpy(s + o, v[i], strlen(v[i]));
		o += strlen(v[i]);
	}
	s[o] = '\0';
	return s;
}

/* "SOURCE: KEY", the start of a line about one value of a key.  Every
 * request builds it, for lines it rarely logs: not with snprintf, whose
 * code is pages a CGI process would fault in for nothing (lib/cgi.c). */
#define DIAG_WHERE_MAX	1024

static const char *
key_where(char *where, const struct setting *s, const struct config_keydef *k)
{
	const char	*part[] = { s->source, ": ", k->ini };
	size_t		 o = 0, n, i;

	/* Cut where snprintf would. */
	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		n = strnlen(part[i], DIAG_WHERE_MAX - 1 - o);
		memcpy(where + o, part[i], n);
		o += n;
	}
	where[o] = '\0';
	return where;
}

static int
compile_origins(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	struct policy	*p = dst;
	char		 where[DIAG_WHERE_MAX];
	size_t		 i;
	int		 rc;

	rc = origin_list_compile(s->value, key_where(where, s, k), &p->origins,
	    &p->norigins, d);
	for (i = 0; i < p->norigins; i++) {
		const struct origin_entry	*e = &p->origins[i];

		if (e->kind == OENTRY_ANY)
			p->origins_any = true;
		if (e->kind == OENTRY_EXACT && (p->first_exact == NULL ||
		    strcmp(e->text, p->first_exact) < 0))
			p->first_exact = e->text;
	}
	return rc;
}

/* Empty: not set, and supports_credentials decides. */
static int
compile_credentials_origins(const struct config_keydef *k,
    const struct setting *s, void *dst, struct diag *d)
{
	struct policy	*p = dst;
	char		 where[DIAG_WHERE_MAX];
	size_t		 i;
	int		 rc;

	if (s->value == NULL)
		return 0;
	rc = origin_list_compile(s->value, key_where(where, s, k),
	    &p->credentials_origins, &p->ncredentials_origins, d);
	/* The rule of supports_credentials with origins "*". */
	for (i = 0; i < p->ncredentials_origins; i++)
		if (p->credentials_origins[i].kind == OENTRY_ANY) {
			diag_add(d, "%s: \"*\" cannot have credentials: every "
			    "web site could read your users' authenticated "
			    "responses; list the origins, or write ~.* if you "
			    "really mean any origin", where);
			rc = -1;
		}
	return rc;
}

static int
compile_methods(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	struct policy	*p = dst;
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n, i, j;
	void		*v;

	if (list_open(s, k->ini, sizeof(char *), &v, &n, &it, d) == -1)
		return -1;
	p->methods = v;
	while (tok_next_word(&it, &w, &len)) {
		if (len == 1 && *w == '*') {
			p->methods_any = true;
			continue;
		}
		if (!tok_is_token(w, len) || len > METHOD_MAX) {
			diag_add(d, "%s: methods: \"%.*s\" is not a method",
			    s->source, (int)len, w);
			return -1;
		}
		/* Upper-cased as flask-cors does; requests are matched
		 * case-insensitively, so nothing is lost. */
		if ((p->methods[p->nmethods] = malloc(len + 1)) == NULL)
			return -1;
		for (i = 0; i < len; i++)
			p->methods[p->nmethods][i] = tok_upper(w[i]);
		p->methods[p->nmethods][len] = '\0';
		p->nmethods++;
	}
	sort_strings(p->methods, p->nmethods);
	for (i = j = 0; i < p->nmethods; i++) {
		if (j > 0 && strcmp(p->methods[j - 1], p->methods[i]) == 0) {
			free(p->methods[i]);
			continue;
		}
		p->methods[j++] = p->methods[i];
	}
	p->nmethods = j;
	if ((p->methods_value = join(p->methods, p->nmethods)) == NULL)
		return -1;
	if (strlen(p->methods_value) > CONFIG_LIST_SENT_MAX) {
		diag_add(d, "%s: methods: the list is longer than "
		    BOUND(CONFIG_LIST_SENT_MAX) " bytes", s->source);
		return -1;
	}
	return 0;
}

static int
compile_allow_headers(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	struct policy	*p = dst;
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n;
	char		 where[DIAG_WHERE_MAX];
	void		*v;

	if (list_open(s, k->ini, sizeof(*p->allow_headers), &v, &n, &it,
	    d) == -1)
		return -1;
	p->allow_headers = v;
	while (tok_next_word(&it, &w, &len)) {
		struct header_entry	*h =
		    &p->allow_headers[p->nallow_headers];

		if (len == 1 && *w == '*') {
			p->allow_headers_any = true;
			continue;
		}
		if (*w != '~') {
			if (!tok_is_token(w, len)) {
				diag_add(d, "%s: allow_headers: \"%.*s\" is "
				    "not a header name", s->source, (int)len,
				    w);
				return -1;
			}
			/* Tokens may hold these, header names in use never
			 * do: Flask-CORS would read "X-.*" as a pattern, and
			 * a literal that never matches fails silently. */
			if (strcspn(w, "*^$|+") < len) {
				diag_add(d, "%s: allow_headers: \"%.*s\" looks "
				    "like a regular expression; write ~%.*s for "
				    "a pattern", s->source, (int)len, w,
				    (int)len, w);
				return -1;
			}
			if ((h->name = strndup(w, len)) == NULL)
				return -1;
			p->nallow_headers++;
			continue;
		}
		if ((h->name = strndup(w, len)) == NULL)
			return -1;
		p->nallow_headers++;
		if (pattern_compile(&h->re, w + 1, len - 1,
		    key_where(where, s, k), d) == -1) {
			free(h->name);
			h->name = NULL;
			p->nallow_headers--;
			return -1;
		}
		h->regex = true;
	}
	return 0;
}

static int
compile_expose(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	struct policy	*p = dst;
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n, i, nv = 0;
	char		**v;
	void		*vv;
	int		 rc = 0;

	if (list_open(s, k->ini, sizeof(char *), &vv, &n, &it, d) == -1)
		return -1;
	v = vv;
	if (n == 0) {		/* expose_value stays NULL: no field */
		free(v);
		return 0;
	}
	while (tok_next_word(&it, &w, &len)) {
		if (!tok_is_token(w, len)) {
			diag_add(d, "%s: expose_headers: \"%.*s\" is not a "
			    "header name", s->source, (int)len, w);
			rc = -1;
			break;
		}
		if ((v[nv++] = strndup(w, len)) == NULL) {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		sort_strings(v, nv);
		if ((p->expose_value = join(v, nv)) == NULL)
			rc = -1;
	}
	/* As for methods: the room cgiheader_merge keeps beside the
	 * script's block counts on it (CGIHDR_MERGE_EXTRA); an INI line
	 * holds no more, the environment did. */
	if (rc == 0 && strlen(p->expose_value) > CONFIG_LIST_SENT_MAX) {
		diag_add(d, "%s: expose_headers: the list is longer than "
		    BOUND(CONFIG_LIST_SENT_MAX) " bytes", s->source);
		rc = -1;
	}
	/* The names without "*", for an answer with credentials, where "*"
	 * is no wildcard (policy.c, expose_credentialed). */
	for (i = 0, n = 0; rc == 0 && i < nv; i++) {
		char	*t = v[i];

		if (strcmp(t, "*") == 0) {
			p->expose_any = true;
			continue;
		}
		v[i] = v[n];	/* a "*" moves behind, to be freed */
		v[n++] = t;
	}
	if (rc == 0 && p->expose_any && n > 0 &&
	    (p->expose_named = join(v, n)) == NULL)
		rc = -1;
	for (i = 0; i < nv; i++)
		free(v[i]);
	free(v);
	return rc;
}

static const char *
show_methods(struct shown *v)
{
	const struct policy	*p = v->field;

	return p->methods_any ? "*" : p->methods_value;
}

static const char *
show_expose(struct shown *v)
{
	return ((const struct policy *)v->field)->expose_value;
}

const struct config_type configtype_methods =
    { compile_methods, show_methods };
const struct config_type configtype_expose =
    { compile_expose, show_expose };
const struct config_type configtype_origins =
    { compile_origins, configtype_show_written };
const struct config_type configtype_credentials_origins =
    { compile_credentials_origins, configtype_show_written };
const struct config_type configtype_allow_headers =
    { compile_allow_headers, configtype_show_written };
