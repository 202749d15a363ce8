#include "configtype.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "origin.h"
#include "pattern.h"
#include "token.h"

/*
 * ---- value types ----
 * Each compiles a setting into the field of its key (a key's offset in
 * the structure its scope fills: struct policy for the keys of every
 * section, struct config for the global ones, struct section for the
 * section ones; the types that fill several fields of the policy take all
 * of it, offset 0), reporting with the setting's source; and shows the
 * compiled field as --check prints it.
 */

static int
compile_bool(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t	 i, n = strlen(s->value);

	for (i = 0; i < 4; i++) {
		if (tok_eq_nocase(s->value, n, yes[i], strlen(yes[i]))) {
			*(bool *)dst = true;
			return 0;
		}
		if (tok_eq_nocase(s->value, n, no[i], strlen(no[i]))) {
			*(bool *)dst = false;
			return 0;
		}
	}
	diag_add(d, "%s: %s: \"%s\" is not a boolean (true/false, yes/no, "
	    "on/off, 1/0)", s->source, k->ini, s->value);
	return -1;
}

static const char *
show_bool(struct shown *v)
{
	return *(const bool *)v->field ? "true" : "false";
}

static int
parse_max_age(const struct setting *s, const char *key, long *out,
    struct diag *d)
{
	const char	*p = s->value;
	long		 v = 0, mult = 1;

	if (s->value == NULL || *p == '\0') {
		*out = -1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > MAX_AGE_MAX)
			goto bad;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mult = 60;
		p++;
		break;
	case 'h':
		mult = 3600;
		p++;
		break;
	case 'd':
		mult = 86400;
		p++;
		break;
	default:
		goto bad;
	}
	if (*p != '\0' || v > MAX_AGE_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	diag_add(d, "%s: %s: \"%s\" is not a number of seconds (a "
	    "number, optionally followed by s, m, h or d; at most %ld s)",
	    s->source, key, s->value, MAX_AGE_MAX);
	return -1;
}

static int
compile_max_age(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	struct policy	*p = dst;

	if (parse_max_age(s, k->ini, &p->max_age, d) == -1)
		return -1;
	if (p->max_age >= 0)
		snprintf(p->max_age_value, sizeof(p->max_age_value), "%ld",
		    p->max_age);
	return 0;
}

static const char *
show_max_age(struct shown *v)
{
	const struct policy	*p = v->field;

	return p->max_age >= 0 ? p->max_age_value : "";
}

/* Reports a value none of the choices its key's syntax lists. */
static int
not_a_choice(const struct config_keydef *k, const struct setting *s,
    struct diag *d)
{
	diag_add(d, "%s: %s: \"%s\" is not %s", s->source, k->ini, s->value,
	    k->syntax);
	return -1;
}

static int
compile_log_level(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	return log_level_parse(s->value, dst) == -1 ? not_a_choice(k, s, d) :
	    0;
}

static const char *
show_log_level(struct shown *v)
{
	return log_level_str(*(const enum log_level *)v->field);
}

static int
compile_log_format(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	return log_format_parse(s->value, dst) == -1 ? not_a_choice(k, s, d) :
	    0;
}

static const char *
show_log_format(struct shown *v)
{
	return log_format_str(*(const enum log_format *)v->field);
}

static int
compile_log_rate(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	const char	*p = s->value;
	unsigned long	 v = 0;

	for (; *p >= '0' && *p <= '9' && v <= 1000000; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	*(unsigned *)dst = (unsigned)v;
	if (p == s->value || *p != '\0' || v > 1000000) {
		diag_add(d, "%s: %s: \"%s\" is not a number of lines a minute "
		    "(0 to 1000000)", s->source, k->ini, s->value);
		return -1;
	}
	return 0;
}

static const char *
show_log_rate(struct shown *v)
{
	snprintf(v->num, sizeof(v->num), "%u", *(const unsigned *)v->field);
	return v->num;
}

/* exec and script_root: empty means none. */
static int
compile_abs_path(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	if (s->value == NULL || s->value[0] == '\0')
		return 0;
	if (s->value[0] != '/') {
		diag_add(d, "%s: %s: \"%s\" is not an absolute path",
		    s->source, k->ini, s->value);
		return -1;
	}
	return (*(char **)dst = strdup(s->value)) == NULL ? -1 : 0;
}

static const char *
show_abs_path(struct shown *v)
{
	const char	*path = *(char *const *)v->field;

	return path != NULL ? path : "";
}

/*
 * A header field value sent as configured (preflight_cache_control):
 * printable ASCII only, for a control character would end the field (CR,
 * LF) or be refused by the server; empty means none.
 */
static int
compile_field_value(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	const unsigned char	*c;

	if (s->value == NULL || s->value[0] == '\0')
		return 0;
	if (strlen(s->value) > CONFIG_FIELD_MAX) {
		diag_add(d, "%s: %s: longer than %d bytes", s->source, k->ini,
		    CONFIG_FIELD_MAX);
		return -1;
	}
	for (c = (const unsigned char *)s->value; *c != '\0'; c++)
		if (*c < 0x20 || *c > 0x7e) {
			diag_add(d, "%s: %s: byte 0x%02x is not printable "
			    "ASCII, which a header field value must be",
			    s->source, k->ini, *c);
			return -1;
		}
	return (*(char **)dst = strdup(s->value)) == NULL ? -1 : 0;
}

/* The lists whose compiled form --check does not show: as written. */
static const char *
show_as_written(struct shown *v)
{
	return v->set->value;
}

/* The types whose value is one of a few names, each compiled to an int
 * (an enum's fields are ints, as the assert says). */
static const struct {
	const struct config_type	*type;
	const char			*name;
	int				 value;
} choices[] = {
	{ &configtype_status, "204", 204 },
	{ &configtype_status, "200", 200 },
	{ &configtype_mode, "merge", MODE_MERGE },
	{ &configtype_mode, "prepend", MODE_PREPEND },
	{ &configtype_enforce, "on", ENFORCE_ON },
	{ &configtype_enforce, "report", ENFORCE_REPORT },
};
_Static_assert(sizeof(enum run_mode) == sizeof(int), "mode is an int");
_Static_assert(sizeof(enum enforce) == sizeof(int), "enforce is an int");

/* A choice is shown as written: only a name that matched exactly
 * compiles. */
static int
compile_choice(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	size_t	 i;

	for (i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		if (choices[i].type == k->type &&
		    strcmp(s->value, choices[i].name) == 0) {
			*(int *)dst = choices[i].value;
			return 0;
		}
	return not_a_choice(k, s, d);
}

const struct config_type configtype_status =
    { compile_choice, show_as_written };
const struct config_type configtype_mode =
    { compile_choice, show_as_written };
const struct config_type configtype_enforce =
    { compile_choice, show_as_written };

static int
count_list(const struct setting *s, const char *key, size_t *n,
    struct diag *d)
{
	struct tok_iter	 it;
	const char	*w;
	size_t		 len;

	*n = 0;
	tok_iter_init(&it, s->value, strlen(s->value));
	while (tok_next_word(&it, &w, &len))
		(*n)++;
	if (*n > CONFIG_LIST_MAX) {
		diag_add(d, "%s: %s: more than %d entries", s->source, key,
		    CONFIG_LIST_MAX);
		return -1;
	}
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

/* "SOURCE: KEY", the start of a line about one value of a key. */
#define DIAG_WHERE_MAX	1024

static const char *
key_where(char *where, const struct setting *s, const struct config_keydef *k)
{
	snprintf(where, DIAG_WHERE_MAX, "%s: %s", s->source, k->ini);
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

	if (count_list(s, k->ini, &n, d) == -1)
		return -1;
	if ((p->methods = calloc(n + 1, sizeof(char *))) == NULL)
		return -1;
	tok_iter_init(&it, s->value, strlen(s->value));
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
	if (strlen(p->methods_value) > 1000) {
		diag_add(d, "%s: methods: the list is longer than 1000 bytes",
		    s->source);
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

	if (count_list(s, k->ini, &n, d) == -1)
		return -1;
	if ((p->allow_headers = calloc(n + 1, sizeof(*p->allow_headers))) ==
	    NULL)
		return -1;
	tok_iter_init(&it, s->value, strlen(s->value));
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
	int		 rc = 0;

	if (count_list(s, k->ini, &n, d) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((v = calloc(n, sizeof(char *))) == NULL)
		return -1;
	tok_iter_init(&it, s->value, strlen(s->value));
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

static bool
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
compile_path(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	struct section	*sec = dst;
	size_t		 n;
	const char	*p;

	if (s->value == NULL) {
		diag_add(d, "%s: section [%s] has no %s key (every section "
		    "but the global one names the paths it applies to)",
		    s->source != NULL ? s->source : "?", sec->name, k->ini);
		return -1;
	}
	if (s->value[0] != '/') {
		diag_add(d, "%s: %s: \"%s\" must start with /", s->source,
		    k->ini, s->value);
		return -1;
	}
	if ((sec->path = strdup(s->value)) == NULL)
		return -1;
	n = strlen(sec->path);
	if ((sec->path_base = strdup(sec->path)) == NULL)
		return -1;
	/* A pattern ending in slash-star also covers the path without that
	 * tail ("/api" for "/api" + "/" + "*"), as flask-cors's resources do
	 * and users expect; it still never covers "/apiary". */
	if (n > 2 && strcmp(sec->path + n - 2, "/*") == 0)
		sec->path_base[n - 2] = '\0';
	sec->literal = !has_glob(sec->path);
	for (p = sec->path; *p != '\0'; p++)
		if (*p == '/')
			sec->slashes++;
	return 0;
}

/* NULL in the global section, which has no path: no line. */
static const char *
show_path(struct shown *v)
{
	return ((const struct section *)v->field)->path;
}

#define TYPE(name)	const struct config_type configtype_##name = \
			    { compile_##name, show_##name }
TYPE(bool);
TYPE(max_age);
TYPE(log_level);
TYPE(log_rate);
TYPE(log_format);
TYPE(abs_path);
TYPE(methods);
TYPE(expose);
TYPE(path);
const struct config_type configtype_origins =
    { compile_origins, show_as_written };
const struct config_type configtype_credentials_origins =
    { compile_credentials_origins, show_as_written };
const struct config_type configtype_allow_headers =
    { compile_allow_headers, show_as_written };
/* Shown as a path is: the string, or nothing. */
const struct config_type configtype_field_value =
    { compile_field_value, show_abs_path };
#undef TYPE
