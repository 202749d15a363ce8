#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "inifile.h"
#include "bounds.h"
#include "pattern.h"
#include "token.h"

#define M_ALL "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"

const struct config_keydef config_keys[KEY_COUNT] = {
	[KEY_ORIGINS] = { "origins", "CORS_ORIGINS", NULL, NULL, "*",
	    "origins: *, null, scheme://host[:port], scheme://*.domain, "
	    "~REGEX", SCOPE_ANY },
	[KEY_METHODS] = { "methods", "CORS_METHODS", NULL, NULL, M_ALL,
	    "methods, or *", SCOPE_ANY },
	[KEY_ALLOW_HEADERS] = { "allow_headers", "CORS_ALLOW_HEADERS",
	    "headers", "CORS_HEADERS", "*",
	    "header names or ~REGEX, or *", SCOPE_ANY },
	[KEY_EXPOSE_HEADERS] = { "expose_headers", "CORS_EXPOSE_HEADERS",
	    NULL, NULL, "", "header names", SCOPE_ANY },
	[KEY_SUPPORTS_CREDENTIALS] = { "supports_credentials",
	    "CORS_SUPPORTS_CREDENTIALS", NULL, NULL, "false", "boolean",
	    SCOPE_ANY },
	[KEY_MAX_AGE] = { "max_age", "CORS_MAX_AGE", NULL, NULL, NULL,
	    "seconds, or a number with s, m, h or d", SCOPE_ANY },
	[KEY_SEND_WILDCARD] = { "send_wildcard", "CORS_SEND_WILDCARD", NULL,
	    NULL, "false", "boolean", SCOPE_ANY },
	[KEY_ALWAYS_SEND] = { "always_send", "CORS_ALWAYS_SEND", NULL, NULL,
	    "true", "boolean", SCOPE_ANY },
	[KEY_AUTOMATIC_OPTIONS] = { "automatic_options",
	    "CORS_AUTOMATIC_OPTIONS", NULL, NULL, "true", "boolean",
	    SCOPE_ANY },
	[KEY_VARY_HEADER] = { "vary_header", "CORS_VARY_HEADER", NULL, NULL,
	    "true", "boolean", SCOPE_ANY },
	[KEY_ALLOW_PRIVATE_NETWORK] = { "allow_private_network",
	    "CORS_ALLOW_PRIVATE_NETWORK", NULL, NULL, "false", "boolean",
	    SCOPE_ANY },
	[KEY_INTERCEPT_EXCEPTIONS] = { "intercept_exceptions",
	    "CORS_INTERCEPT_EXCEPTIONS", NULL, NULL, "true", "boolean",
	    SCOPE_ANY },
	[KEY_PREFLIGHT_STATUS] = { "preflight_status",
	    "CORS_PREFLIGHT_STATUS", NULL, NULL, "204", "204 or 200",
	    SCOPE_ANY },
	[KEY_DEBUG_HEADER] = { "debug_header", "CORS_DEBUG_HEADER", NULL,
	    NULL, "false", "boolean", SCOPE_ANY },
	[KEY_MODE] = { "mode", "CORS_MODE", NULL, NULL, "merge",
	    "merge or prepend", SCOPE_GLOBAL },
	[KEY_EXEC] = { "exec", "CORS_EXEC", NULL, NULL, NULL,
	    "absolute path of a program", SCOPE_GLOBAL },
	[KEY_SCRIPT_ROOT] = { "script_root", "CORS_SCRIPT_ROOT", NULL, NULL,
	    NULL, "absolute path of a directory", SCOPE_GLOBAL },
	[KEY_LOG_LEVEL] = { "log_level", "CORS_LOG_LEVEL", NULL, NULL, "warn",
	    "error, warn, info or debug", SCOPE_GLOBAL },
	[KEY_LOG_REFUSED] = { "log_refused", "CORS_LOG_REFUSED", NULL, NULL,
	    "info", "error, warn, info or debug", SCOPE_GLOBAL },
	[KEY_LOG_RATE] = { "log_rate", "CORS_LOG_RATE", NULL, NULL, "60",
	    "lines a minute, 0 for no limit", SCOPE_GLOBAL },
	[KEY_PATH] = { "path", NULL, NULL, NULL, NULL,
	    "glob over the request path", SCOPE_SECTION },
};

/* Not configuration keys, but CORS_* names cors-wrap knows. */
static const char *const env_other[] = { "CORS_CONFIG" };

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

/* ---- value parsers: each reports with the setting's source ---- */

static int
parse_bool(const struct setting *s, const char *key, bool *b, struct diag *d)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t	 i, n = strlen(s->value);

	for (i = 0; i < 4; i++) {
		if (tok_eq_nocase(s->value, n, yes[i], strlen(yes[i]))) {
			*b = true;
			return 0;
		}
		if (tok_eq_nocase(s->value, n, no[i], strlen(no[i]))) {
			*b = false;
			return 0;
		}
	}
	diag_add(d, "%s: %s: \"%s\" is not a boolean (true/false, yes/no, "
	    "on/off, 1/0)", s->source, key, s->value);
	return -1;
}

static int
parse_max_age(const struct setting *s, long *out, struct diag *d)
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
	diag_add(d, "%s: max_age: \"%s\" is not a number of seconds (a "
	    "number, optionally followed by s, m, h or d; at most %ld s)",
	    s->source, s->value, MAX_AGE_MAX);
	return -1;
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

static int
compile_origins(struct policy *p, const struct setting *s, struct diag *d)
{
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n;
	char		 err[512];
	int		 rc = 0;

	if (count_list(s, "origins", &n, d) == -1)
		return -1;
	if ((p->origins = calloc(n + 1, sizeof(*p->origins))) == NULL)
		return -1;
	tok_iter_init(&it, s->value, strlen(s->value));
	while (tok_next_word(&it, &w, &len)) {
		struct origin_entry	*e = &p->origins[p->norigins];

		if (origin_entry_init(e, w, len, err, sizeof(err)) == -1) {
			diag_add(d, "%s: origins: %s", s->source, err);
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
compile_methods(struct policy *p, const struct setting *s, struct diag *d)
{
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n, i, j;

	if (count_list(s, "methods", &n, d) == -1)
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
compile_allow_headers(struct policy *p, const struct setting *s,
    struct diag *d)
{
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n;
	char		 msg[128];

	if (count_list(s, "allow_headers", &n, d) == -1)
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
		if (pattern_compile(&h->re, w + 1, len - 1, msg,
		    sizeof(msg)) == -1) {
			diag_add(d, "%s: allow_headers: invalid regular "
			    "expression \"%.*s\": %s", s->source,
			    (int)(len - 1), w + 1, msg);
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
compile_expose(struct policy *p, const struct setting *s, struct diag *d)
{
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, n, i, k = 0;
	char		**v;
	int		 rc = 0;

	if (count_list(s, "expose_headers", &n, d) == -1)
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
		if ((v[k++] = strndup(w, len)) == NULL) {
			rc = -1;
			break;
		}
	}
	if (rc == 0) {
		sort_strings(v, k);
		if ((p->expose_value = join(v, k)) == NULL)
			rc = -1;
	}
	for (i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return rc;
}

static int
compile_policy(struct section *sec, struct diag *d)
{
	struct policy	*p = &sec->policy;
	struct setting	*s = sec->set;
	unsigned	 before = d->count;
	const char	*st;

	memset(p, 0, sizeof(*p));
	(void)compile_origins(p, &s[KEY_ORIGINS], d);
	(void)compile_methods(p, &s[KEY_METHODS], d);
	(void)compile_allow_headers(p, &s[KEY_ALLOW_HEADERS], d);
	(void)compile_expose(p, &s[KEY_EXPOSE_HEADERS], d);
	(void)parse_bool(&s[KEY_SUPPORTS_CREDENTIALS], "supports_credentials",
	    &p->supports_credentials, d);
	(void)parse_bool(&s[KEY_SEND_WILDCARD], "send_wildcard",
	    &p->send_wildcard, d);
	(void)parse_bool(&s[KEY_ALWAYS_SEND], "always_send", &p->always_send,
	    d);
	(void)parse_bool(&s[KEY_AUTOMATIC_OPTIONS], "automatic_options",
	    &p->automatic_options, d);
	(void)parse_bool(&s[KEY_VARY_HEADER], "vary_header", &p->vary_header,
	    d);
	(void)parse_bool(&s[KEY_ALLOW_PRIVATE_NETWORK],
	    "allow_private_network", &p->allow_private_network, d);
	(void)parse_bool(&s[KEY_INTERCEPT_EXCEPTIONS], "intercept_exceptions",
	    &p->intercept_exceptions, d);
	(void)parse_bool(&s[KEY_DEBUG_HEADER], "debug_header",
	    &p->debug_header, d);
	if (parse_max_age(&s[KEY_MAX_AGE], &p->max_age, d) == 0 &&
	    p->max_age >= 0)
		snprintf(p->max_age_value, sizeof(p->max_age_value), "%ld",
		    p->max_age);
	st = s[KEY_PREFLIGHT_STATUS].value;
	if (strcmp(st, "204") == 0)
		p->preflight_status = 204;
	else if (strcmp(st, "200") == 0)
		p->preflight_status = 200;
	else
		diag_add(d, "%s: preflight_status: \"%s\" is not 204 or 200",
		    s[KEY_PREFLIGHT_STATUS].source, st);

	/* Fetch forbids "*" with credentials, and reflecting every origin
	 * with credentials would let any site read authenticated answers. */
	if (p->supports_credentials && p->origins_any)
		diag_add(d, "%s: supports_credentials: cannot be combined with "
		    "origins \"*\" (%s): every web site could read your users' "
		    "authenticated responses; list the allowed origins, or "
		    "write ~.* if you really mean any origin",
		    s[KEY_SUPPORTS_CREDENTIALS].source, s[KEY_ORIGINS].source);
	return d->count == before ? 0 : -1;
}

/* ---- sections ---- */

static bool
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
section_init_path(struct section *sec, struct diag *d)
{
	const struct setting	*s = &sec->set[KEY_PATH];
	size_t			 n;
	const char		*p;

	if (s->value == NULL) {
		diag_add(d, "%s: section [%s] has no path key (every section "
		    "but the global one names the paths it applies to)",
		    s->source != NULL ? s->source : "?", sec->name);
		return -1;
	}
	if (s->value[0] != '/') {
		diag_add(d, "%s: path: \"%s\" must start with /", s->source,
		    s->value);
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
				if (strlen(env_other[j]) == n &&
				    memcmp(env_other[j], envp[i], n) == 0)
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

static int
load_global_keys(struct config *c, const struct section *g, struct diag *d)
{
	const struct setting	*s;

	s = &g->set[KEY_MODE];
	if (strcmp(s->value, "merge") == 0)
		c->mode = MODE_MERGE;
	else if (strcmp(s->value, "prepend") == 0)
		c->mode = MODE_PREPEND;
	else
		diag_add(d, "%s: mode: \"%s\" is not merge or prepend",
		    s->source, s->value);

	s = &g->set[KEY_LOG_LEVEL];
	if (log_level_parse(s->value, &c->log_level) == -1)
		diag_add(d, "%s: log_level: \"%s\" is not error, warn, info "
		    "or debug", s->source, s->value);

	s = &g->set[KEY_LOG_REFUSED];
	if (log_level_parse(s->value, &c->log_refused) == -1)
		diag_add(d, "%s: log_refused: \"%s\" is not error, warn, info "
		    "or debug", s->source, s->value);

	s = &g->set[KEY_LOG_RATE];
	{
		const char	*p = s->value;
		unsigned long	 v = 0;

		for (; *p >= '0' && *p <= '9' && v <= 1000000; p++)
			v = v * 10 + (unsigned long)(*p - '0');
		if (p == s->value || *p != '\0' || v > 1000000)
			diag_add(d, "%s: log_rate: \"%s\" is not a number of "
			    "lines a minute (0 to 1000000)", s->source,
			    s->value);
		c->log_rate = (unsigned)v;
	}

	s = &g->set[KEY_EXEC];
	if (s->value != NULL && s->value[0] != '\0') {
		if (s->value[0] != '/')
			diag_add(d, "%s: exec: \"%s\" is not an absolute path",
			    s->source, s->value);
		else if ((c->exec = strdup(s->value)) == NULL)
			return -1;
	}
	s = &g->set[KEY_SCRIPT_ROOT];
	if (s->value != NULL && s->value[0] != '\0') {
		if (s->value[0] != '/')
			diag_add(d, "%s: script_root: \"%s\" is not an "
			    "absolute path", s->source, s->value);
		else if ((c->script_root = strdup(s->value)) == NULL)
			return -1;
	}
	return 0;
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
		if (s != g)
			(void)section_init_path(s, d);
		(void)compile_policy(s, d);
	}
	if (load_global_keys(c, g, d) == -1)
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

static const char *
bool_str(bool b)
{
	return b ? "true" : "false";
}

void
config_print(const struct config *c, FILE *f)
{
	size_t	 i;
	int	 k;

	fprintf(f, "# configuration: %s\n", c->file != NULL ? c->file :
	    "(no file; environment and defaults)");
	fprintf(f, "mode = %s\n", c->mode == MODE_MERGE ? "merge" :
	    "prepend");
	fprintf(f, "exec = %s\n", c->exec != NULL ? c->exec : "");
	fprintf(f, "script_root = %s\n", c->script_root != NULL ?
	    c->script_root : "");
	fprintf(f, "log_level = %s\n", log_level_str(c->log_level));
	fprintf(f, "log_refused = %s\n", log_level_str(c->log_refused));
	fprintf(f, "log_rate = %u\n", c->log_rate);
	for (i = 0; i < c->nsections; i++) {
		const struct section	*s = &c->sections[i];
		const struct policy	*p = &s->policy;

		fprintf(f, "\n[%s]\n", s->name);
		if (s->path != NULL)
			fprintf(f, "path = %s\n", s->path);
		for (k = 0; k <= KEY_POLICY_LAST; k++) {
			const char	*v = s->set[k].value;
			char		 buf[32];

			switch (k) {
			case KEY_METHODS:
				v = p->methods_any ? "*" : p->methods_value;
				break;
			case KEY_EXPOSE_HEADERS:
				v = p->expose_value;
				break;
			case KEY_MAX_AGE:
				v = p->max_age >= 0 ? p->max_age_value : "";
				break;
			case KEY_SUPPORTS_CREDENTIALS:
				v = bool_str(p->supports_credentials);
				break;
			case KEY_SEND_WILDCARD:
				v = bool_str(p->send_wildcard);
				break;
			case KEY_ALWAYS_SEND:
				v = bool_str(p->always_send);
				break;
			case KEY_AUTOMATIC_OPTIONS:
				v = bool_str(p->automatic_options);
				break;
			case KEY_VARY_HEADER:
				v = bool_str(p->vary_header);
				break;
			case KEY_ALLOW_PRIVATE_NETWORK:
				v = bool_str(p->allow_private_network);
				break;
			case KEY_INTERCEPT_EXCEPTIONS:
				v = bool_str(p->intercept_exceptions);
				break;
			case KEY_DEBUG_HEADER:
				v = bool_str(p->debug_header);
				break;
			case KEY_PREFLIGHT_STATUS:
				snprintf(buf, sizeof(buf), "%d",
				    p->preflight_status);
				v = buf;
				break;
			default:
				break;
			}
			fprintf(f, "%s = %s\t# %s\n", config_keys[k].ini,
			    v != NULL ? v : "", s->set[k].source);
		}
	}
}
