#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "inifile.h"
#include "bounds.h"
#include "pattern.h"
#include "token.h"

/* Not configuration keys, but CORS_* names cors-wrap knows. */
static const struct {
	const char	*env;
	const char	*syntax;
} env_other[] = {
	{ "CORS_CONFIG", "path of the INI file" },
};

static char *
xstrdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static char *
xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xprintf(const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strdup(buf);
}

/* "environment NAME": no printf on the path every CGI request takes, whose
 * code would be a few more page faults in a process that lives for one
 * request (bench/run). */
static char *
env_source(const char *name, size_t n)
{
	static const char	 pre[] = "environment ";
	char			*p;

	if ((p = malloc(sizeof(pre) + n)) == NULL)
		return NULL;
	memcpy(p, pre, sizeof(pre) - 1);
	memcpy(p + sizeof(pre) - 1, name, n);
	p[sizeof(pre) - 1 + n] = '\0';
	return p;
}

static int
key_by_ini(const char *name, enum config_key *k)
{
	int	 i;

	for (i = 0; i < KEY_COUNT; i++) {
		if (strcmp(config_keys[i].ini, name) == 0 ||
		    (config_keys[i].ini_alias != NULL &&
		    strcmp(config_keys[i].ini_alias, name) == 0)) {
			*k = (enum config_key)i;
			return 0;
		}
	}
	return -1;
}

static int
key_by_env(const char *name, size_t len, enum config_key *k)
{
	const char	*e;
	int		 i;

	for (i = 0; i < KEY_COUNT; i++) {
		if (((e = config_keys[i].env) != NULL && strlen(e) == len &&
		    memcmp(e, name, len) == 0) ||
		    ((e = config_keys[i].env_alias) != NULL &&
		    strlen(e) == len && memcmp(e, name, len) == 0)) {
			*k = (enum config_key)i;
			return 0;
		}
	}
	return -1;
}

static void
setting_free(struct setting *s)
{
	free(s->value);
	free(s->source);
	s->value = s->source = NULL;
}

static int
setting_set(struct setting *s, const char *value, char *source)
{
	setting_free(s);
	s->value = value != NULL ? xstrdup(value) : NULL;
	s->source = source;
	return (value != NULL && s->value == NULL) || source == NULL ? -1 : 0;
}

static int
setting_copy(struct setting *dst, const struct setting *src)
{
	setting_free(dst);
	if (src->source == NULL)
		return 0;
	return setting_set(dst, src->value, xstrdup(src->source));
}

/*
 * ---- value types ----
 * Each compiles a setting into the field of its key (a key's offset in
 * the structure its scope fills: struct policy for the keys of every
 * section, struct config for the global ones, struct section for the
 * section ones; the types that fill several fields of the policy take all
 * of it, offset 0), reporting with the setting's source; and shows the
 * compiled field as --check prints it.
 */

/* What --check shows of a key: its compiled field, or its setting. */
struct shown {
	const void		*field;
	const struct setting	*set;
	char			 num[24];
};

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

static const char *const statuses[] = { "204", "200" };
static const char *const modes[] = {
	[MODE_MERGE] = "merge",
	[MODE_PREPEND] = "prepend"
};

/* The index of the setting's value among n choices, or -1. */
static int
choice(const struct setting *s, const char *const *names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(s->value, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
compile_status(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	int	 i = choice(s, statuses, 2);

	if (i == -1)
		return not_a_choice(k, s, d);
	*(int *)dst = i == 0 ? 204 : 200;
	return 0;
}

static const char *
show_status(struct shown *v)
{
	snprintf(v->num, sizeof(v->num), "%d", *(const int *)v->field);
	return v->num;
}

static int
compile_mode(const struct config_keydef *k, const struct setting *s,
    void *dst, struct diag *d)
{
	int	 i = choice(s, modes, 2);

	if (i == -1)
		return not_a_choice(k, s, d);
	*(enum run_mode *)dst = (enum run_mode)i;
	return 0;
}

static const char *
show_mode(struct shown *v)
{
	return modes[*(const enum run_mode *)v->field];
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

/* The lists whose compiled form --check does not show: as written. */
static const char *
show_as_written(struct shown *v)
{
	return v->set->value;
}

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
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n;
	char		 where[DIAG_WHERE_MAX];
	int		 rc = 0;

	if (count_list(s, k->ini, &n, d) == -1)
		return -1;
	if ((p->origins = calloc(n + 1, sizeof(*p->origins))) == NULL)
		return -1;
	tok_iter_init(&it, s->value, strlen(s->value));
	while (tok_next_word(&it, &w, &len)) {
		struct origin_entry	*e = &p->origins[p->norigins];

		if (origin_entry_init(e, w, len, key_where(where, s, k),
		    d) == -1) {
			rc = -1;
			continue;
		}
		p->norigins++;
		if (e->kind == OENTRY_ANY)
			p->origins_any = true;
		if (e->kind == OENTRY_EXACT && (p->first_exact == NULL ||
		    strcmp(e->text, p->first_exact) < 0))
			p->first_exact = e->text;
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

struct config_type {
	/* Compiles s into dst, the key's field; -1 with the cause in d, or
	 * with nothing added when out of memory. */
	int		 (*compile)(const struct config_keydef *,
			    const struct setting *s, void *dst, struct diag *);
	/* The field as --check prints it. */
	const char	*(*show)(struct shown *);
};

#define TYPE(name)	static const struct config_type type_##name = \
			    { compile_##name, show_##name }
TYPE(bool);
TYPE(max_age);
TYPE(status);
TYPE(mode);
TYPE(log_level);
TYPE(log_rate);
TYPE(abs_path);
TYPE(methods);
TYPE(expose);
TYPE(path);
static const struct config_type type_origins =
    { compile_origins, show_as_written };
static const struct config_type type_allow_headers =
    { compile_allow_headers, show_as_written };
#undef TYPE

/* ---- the keys ---- */

#define M_ALL "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"
#define POLICY(f)	offsetof(struct policy, f)
#define CONFIG(f)	offsetof(struct config, f)

/* The order is --check's.  syntax is the "value" column of README.md's
 * table of keys, which tests/keys.bats holds to it (cors-wrap --keys). */
const struct config_keydef config_keys[KEY_COUNT] = {
	[KEY_ORIGINS] = { "origins", "CORS_ORIGINS", NULL, NULL, "*",
	    "list of origin entries", SCOPE_ANY, &type_origins, 0 },
	[KEY_METHODS] = { "methods", "CORS_METHODS", NULL, NULL, M_ALL,
	    "list of methods, * for any", SCOPE_ANY, &type_methods, 0 },
	[KEY_ALLOW_HEADERS] = { "allow_headers", "CORS_ALLOW_HEADERS",
	    "headers", "CORS_HEADERS", "*",
	    "list of header names or ~REGEX, * for any", SCOPE_ANY,
	    &type_allow_headers, 0 },
	[KEY_EXPOSE_HEADERS] = { "expose_headers", "CORS_EXPOSE_HEADERS",
	    NULL, NULL, "", "list of header names", SCOPE_ANY, &type_expose,
	    0 },
	[KEY_SUPPORTS_CREDENTIALS] = { "supports_credentials",
	    "CORS_SUPPORTS_CREDENTIALS", NULL, NULL, "false", "boolean",
	    SCOPE_ANY, &type_bool, POLICY(supports_credentials) },
	[KEY_MAX_AGE] = { "max_age", "CORS_MAX_AGE", NULL, NULL, NULL,
	    "seconds, or a number with s, m, h, d", SCOPE_ANY,
	    &type_max_age, 0 },
	[KEY_SEND_WILDCARD] = { "send_wildcard", "CORS_SEND_WILDCARD", NULL,
	    NULL, "false", "boolean", SCOPE_ANY, &type_bool,
	    POLICY(send_wildcard) },
	[KEY_ALWAYS_SEND] = { "always_send", "CORS_ALWAYS_SEND", NULL, NULL,
	    "true", "boolean", SCOPE_ANY, &type_bool, POLICY(always_send) },
	[KEY_AUTOMATIC_OPTIONS] = { "automatic_options",
	    "CORS_AUTOMATIC_OPTIONS", NULL, NULL, "true", "boolean",
	    SCOPE_ANY, &type_bool, POLICY(automatic_options) },
	[KEY_VARY_HEADER] = { "vary_header", "CORS_VARY_HEADER", NULL, NULL,
	    "true", "boolean", SCOPE_ANY, &type_bool, POLICY(vary_header) },
	[KEY_ALLOW_PRIVATE_NETWORK] = { "allow_private_network",
	    "CORS_ALLOW_PRIVATE_NETWORK", NULL, NULL, "false", "boolean",
	    SCOPE_ANY, &type_bool, POLICY(allow_private_network) },
	[KEY_INTERCEPT_EXCEPTIONS] = { "intercept_exceptions",
	    "CORS_INTERCEPT_EXCEPTIONS", NULL, NULL, "true", "boolean",
	    SCOPE_ANY, &type_bool, POLICY(intercept_exceptions) },
	[KEY_PREFLIGHT_STATUS] = { "preflight_status",
	    "CORS_PREFLIGHT_STATUS", NULL, NULL, "204", "204 or 200",
	    SCOPE_ANY, &type_status, POLICY(preflight_status) },
	[KEY_DEBUG_HEADER] = { "debug_header", "CORS_DEBUG_HEADER", NULL,
	    NULL, "false", "boolean", SCOPE_ANY, &type_bool,
	    POLICY(debug_header) },
	[KEY_MODE] = { "mode", "CORS_MODE", NULL, NULL, "merge",
	    "merge or prepend", SCOPE_GLOBAL, &type_mode, CONFIG(mode) },
	[KEY_EXEC] = { "exec", "CORS_EXEC", NULL, NULL, NULL,
	    "absolute path of the program to run", SCOPE_GLOBAL,
	    &type_abs_path, CONFIG(exec) },
	[KEY_SCRIPT_ROOT] = { "script_root", "CORS_SCRIPT_ROOT", NULL, NULL,
	    NULL, "absolute path of a directory of scripts", SCOPE_GLOBAL,
	    &type_abs_path, CONFIG(script_root) },
	[KEY_LOG_LEVEL] = { "log_level", "CORS_LOG_LEVEL", NULL, NULL, "warn",
	    "error, warn, info or debug", SCOPE_GLOBAL, &type_log_level,
	    CONFIG(log_level) },
	[KEY_LOG_REFUSED] = { "log_refused", "CORS_LOG_REFUSED", NULL, NULL,
	    "info", "error, warn, info or debug", SCOPE_GLOBAL,
	    &type_log_level, CONFIG(log_refused) },
	[KEY_LOG_RATE] = { "log_rate", "CORS_LOG_RATE", NULL, NULL, "60",
	    "at most this many refused-request lines a minute, 0 for no limit",
	    SCOPE_GLOBAL, &type_log_rate, CONFIG(log_rate) },
	[KEY_PATH] = { "path", NULL, NULL, NULL, NULL,
	    "glob over the request path", SCOPE_SECTION, &type_path, 0 },
};

/* Compiles the keys of one scope of a section (the global section's
 * global keys into c).  -1 only when out of memory: what a value gets
 * wrong is in d, and loading goes on to report every such value. */
static int
compile_keys(struct config *c, struct section *sec, enum key_scope scope,
    struct diag *d)
{
	const struct config_keydef	*k;
	char				*base;
	unsigned			 before;

	base = scope == SCOPE_GLOBAL ? (char *)c : scope == SCOPE_SECTION ?
	    (char *)sec : (char *)&sec->policy;
	for (k = config_keys; k < config_keys + KEY_COUNT; k++) {
		if (k->scope != scope)
			continue;
		before = d->count;
		if (k->type->compile(k, &sec->set[k - config_keys],
		    base + k->offset, d) == -1 && d->count == before)
			return -1;
	}
	return 0;
}

static int
compile_policy(struct config *c, struct section *sec, struct diag *d)
{
	struct policy	*p = &sec->policy;
	struct setting	*s = sec->set;

	memset(p, 0, sizeof(*p));
	if (compile_keys(c, sec, SCOPE_ANY, d) == -1)
		return -1;
	/* Fetch forbids "*" with credentials, and reflecting every origin
	 * with credentials would let any site read authenticated answers. */
	if (p->supports_credentials && p->origins_any)
		diag_add(d, "%s: supports_credentials: cannot be combined with "
		    "origins \"*\" (%s): every web site could read your users' "
		    "authenticated responses; list the allowed origins, or "
		    "write ~.* if you really mean any origin",
		    s[KEY_SUPPORTS_CREDENTIALS].source, s[KEY_ORIGINS].source);
	return 0;
}

/* ---- sections ---- */

static int
specificity(const void *a, const void *b)
{
	const struct section	*x = a, *y = b;
	size_t			 lx, ly;

	if ((x->path == NULL) != (y->path == NULL))
		return x->path == NULL ? 1 : -1;
	if (x->path == NULL)
		return 0;
	if (x->literal != y->literal)
		return x->literal ? -1 : 1;
	if (x->slashes != y->slashes)
		return x->slashes > y->slashes ? -1 : 1;
	lx = strlen(x->path);
	ly = strlen(y->path);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

const struct section *
config_select(const struct config *c, const char *path)
{
	size_t	 i;

	for (i = 0; i + 1 < c->nsections; i++) {
		const struct section	*s = &c->sections[i];

		if (fnmatch(s->path, path, 0) == 0 ||
		    fnmatch(s->path_base, path, 0) == 0)
			return s;
	}
	return &c->sections[c->nsections - 1];
}

/* ---- loading ---- */

static int
load_env(struct setting *env, char *const *envp, struct diag *d)
{
	const char	*eq;
	enum config_key	 k;
	size_t		 i, j, n;
	char		*src;
	bool		 known;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], "CORS_", 5) != 0)
			continue;
		if ((eq = strchr(envp[i], '=')) == NULL)
			continue;
		n = (size_t)(eq - envp[i]);
		if (key_by_env(envp[i], n, &k) == -1) {
			for (j = 0, known = false;
			    j < sizeof(env_other) / sizeof(env_other[0]); j++)
				if (strlen(env_other[j].env) == n &&
				    memcmp(env_other[j].env, envp[i], n) == 0)
					known = true;
			if (!known)
				diag_add(d, "environment: %.*s: unknown "
				    "variable", (int)n, envp[i]);
			continue;
		}
		if (strlen(eq + 1) > CONFIG_VALUE_MAX) {
			diag_add(d, "environment: %.*s: value longer than %d "
			    "bytes", (int)n, envp[i], CONFIG_VALUE_MAX);
			continue;
		}
		if (env[k].source != NULL) {
			diag_add(d, "environment: %.*s: %s is set too",
			    (int)n, envp[i], env[k].source);
			continue;
		}
		if ((src = env_source(envp[i], n)) == NULL ||
		    setting_set(&env[k], eq + 1, src) == -1)
			return -1;
	}
	return 0;
}

static bool
is_global_section(const char *name)
{
	return name[0] == '\0' || strcmp(name, "global") == 0;
}

/* Applies the INI entries of one section (global: "" and "global"). */
static int
load_ini_section(struct section *sec, const struct inifile *ini,
    const char *name, bool global, struct diag *d)
{
	const struct ini_entry	*e;
	enum config_key		 k;
	unsigned		 seen[KEY_COUNT] = { 0 };
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < ini->nentries; i++) {
		e = &ini->entries[i];
		if (global ? !is_global_section(e->section) :
		    strcmp(e->section, name) != 0)
			continue;
		if (key_by_ini(e->key, &k) == -1) {
			diag_add(d, "%s:%u: %s: unknown key", ini->path,
			    e->line, e->key);
			rc = -1;
			continue;
		}
		if (global && config_keys[k].scope == SCOPE_SECTION) {
			diag_add(d, "%s:%u: %s: only valid in a resource "
			    "section", ini->path, e->line, e->key);
			rc = -1;
			continue;
		}
		if (!global && config_keys[k].scope == SCOPE_GLOBAL) {
			diag_add(d, "%s:%u: %s: only valid in the global "
			    "section", ini->path, e->line, e->key);
			rc = -1;
			continue;
		}
		/* An alias and its key in one section (or in the top part
		 * and [global]) would leave one of them silently unused. */
		if (seen[k] != 0) {
			diag_add(d, "%s:%u: %s: already set at line %u",
			    ini->path, e->line, e->key, seen[k]);
			rc = -1;
			continue;
		}
		seen[k] = e->line;
		if (setting_set(&sec->set[k], e->value,
		    xprintf("%s:%u", ini->path, e->line)) == -1)
			return -1;
	}
	return rc;
}

static void
section_free(struct section *s)
{
	int	 k;

	free(s->name);
	free(s->path);
	free(s->path_base);
	for (k = 0; k < KEY_COUNT; k++)
		setting_free(&s->set[k]);
	policy_free(&s->policy);
}

void
config_free(struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->nsections; i++)
		section_free(&c->sections[i]);
	free(c->sections);
	free(c->file);
	free(c->exec);
	free(c->script_root);
	memset(c, 0, sizeof(*c));
}

int
config_load(struct config *c, const char *ini_path, char *const *envp,
    struct diag *d)
{
	struct setting	 env[KEY_COUNT];
	struct inifile	 ini;
	struct section	*g, *s;
	size_t		 i, n = 0;
	unsigned	 before = d->count;
	int		 k;
	bool		 have_ini = false;

	memset(c, 0, sizeof(*c));
	memset(env, 0, sizeof(env));
	if (load_env(env, envp, d) == -1)
		goto fail;
	if (ini_path != NULL && ini_path[0] != '\0') {
		if ((c->file = strdup(ini_path)) == NULL)
			goto fail;
		if (inifile_load(&ini, ini_path, d) == -1)
			goto fail;
		have_ini = true;
		for (i = 0; i < ini.nsections; i++)
			if (!is_global_section(ini.sections[i].name))
				n++;
	}
	if ((c->sections = calloc(n + 1, sizeof(*c->sections))) == NULL)
		goto fail;

	/* The global section goes last: the least specific. */
	g = &c->sections[n];
	c->nsections = n + 1;
	g->order = n;
	if ((g->name = strdup("global")) == NULL)
		goto fail;
	for (k = 0; k < KEY_COUNT; k++)
		if (config_keys[k].scope != SCOPE_SECTION &&
		    setting_set(&g->set[k], config_keys[k].def,
		    xstrdup("default")) == -1)
			goto fail;
	if (have_ini && load_ini_section(g, &ini, "", true, d) == -1 &&
	    d->count == before)
		goto fail;

	for (i = 0, n = 0; have_ini && i < ini.nsections; i++) {
		const struct ini_section	*is = &ini.sections[i];

		if (is_global_section(is->name))
			continue;
		s = &c->sections[n];
		s->order = n++;
		if ((s->name = strdup(is->name)) == NULL)
			goto fail;
		for (k = 0; k < KEY_COUNT; k++)
			if (setting_copy(&s->set[k], &g->set[k]) == -1)
				goto fail;
		if (load_ini_section(s, &ini, is->name, false, d) == -1 &&
		    d->count == before)
			goto fail;
		if (s->set[KEY_PATH].source == NULL)
			s->set[KEY_PATH].source = xprintf("%s:%u", ini.path,
			    is->line);
	}

	/* The server's per-location setting is the most specific. */
	for (i = 0; i < c->nsections; i++)
		for (k = 0; k < KEY_COUNT; k++)
			if (env[k].source != NULL &&
			    setting_copy(&c->sections[i].set[k], &env[k]) == -1)
				goto fail;

	for (i = 0; i < c->nsections; i++) {
		s = &c->sections[i];
		if ((s != g && compile_keys(c, s, SCOPE_SECTION, d) == -1) ||
		    compile_policy(c, s, d) == -1)
			goto fail;
	}
	if (compile_keys(c, g, SCOPE_GLOBAL, d) == -1)
		goto fail;
	if (d->count != before)
		goto fail;
	if (c->nsections > 1)
		qsort(c->sections, c->nsections, sizeof(*c->sections),
		    specificity);

	for (k = 0; k < KEY_COUNT; k++)
		setting_free(&env[k]);
	if (have_ini)
		inifile_free(&ini);
	return 0;
fail:
	if (d->count == before)
		diag_add(d, "out of memory while loading the configuration");
	for (k = 0; k < KEY_COUNT; k++)
		setting_free(&env[k]);
	if (have_ini)
		inifile_free(&ini);
	config_free(c);
	return -1;
}

/* One key of --check: "name = value", and where it was set. */
static void
print_key(FILE *f, const struct config_keydef *k, const void *base,
    const struct section *sec, bool source)
{
	struct shown	 v = { (const char *)base + k->offset,
			    &sec->set[k - config_keys], "" };
	const char	*text = k->type->show(&v);

	/* A section key the section does not have (path, in global). */
	if (text == NULL && k->scope == SCOPE_SECTION)
		return;
	fprintf(f, "%s = %s", k->ini, text != NULL ? text : "");
	if (source)
		fprintf(f, "\t# %s", v.set->source);
	fputc('\n', f);
}

void
config_print(const struct config *c, FILE *f)
{
	const struct config_keydef	*k;
	const struct section		*sec;
	size_t				 i;

	fprintf(f, "# configuration: %s\n", c->file != NULL ? c->file :
	    "(no file; environment and defaults)");
	sec = &c->sections[c->nsections - 1];
	for (k = config_keys; k < config_keys + KEY_COUNT; k++)
		if (k->scope == SCOPE_GLOBAL)
			print_key(f, k, c, sec, false);
	for (i = 0; i < c->nsections; i++) {
		sec = &c->sections[i];
		fprintf(f, "\n[%s]\n", sec->name);
		for (k = config_keys; k < config_keys + KEY_COUNT; k++)
			if (k->scope == SCOPE_SECTION)
				print_key(f, k, sec, sec, false);
		for (k = config_keys; k < config_keys + KEY_COUNT; k++)
			if (k->scope == SCOPE_ANY)
				print_key(f, k, &sec->policy, sec, true);
	}
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

void
config_print_keys(FILE *f)
{
	static const char *const scope[] = {
		[SCOPE_ANY] = "any",
		[SCOPE_GLOBAL] = "global",
		[SCOPE_SECTION] = "section"
	};
	const struct config_keydef	*k;
	size_t				 i;

	for (k = config_keys; k < config_keys + KEY_COUNT; k++)
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k->ini,
		    or_empty(k->env), or_empty(k->ini_alias),
		    or_empty(k->env_alias), scope[k->scope], or_empty(k->def),
		    k->syntax);
	for (i = 0; i < sizeof(env_other) / sizeof(env_other[0]); i++)
		fprintf(f, "\t%s\t\t\tenvironment\t\t%s\n", env_other[i].env,
		    env_other[i].syntax);
}
