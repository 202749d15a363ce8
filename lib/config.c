#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "configtype.h"
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
	{ "CORS_PSL_FILE", "path of the public suffix list --check reads" },
	{ "CORS_METRICS", "1: the daemon's counters instead of a script" },
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
	if (s->owned) {
		free((void *)s->value);
		free((void *)s->source);
	}
	s->value = s->source = NULL;
	s->owned = false;
}

/* Takes source (allocated), copies value. */
static int
setting_set(struct setting *s, const char *value, char *source)
{
	char	*v = NULL;

	setting_free(s);
	if (value != NULL && (v = xstrdup(value)) == NULL) {
		free(source);
		return -1;
	}
	s->value = v;
	s->source = source;
	s->owned = true;
	return source == NULL ? -1 : 0;
}

static void
setting_default(struct setting *s, const struct config_keydef *k)
{
	setting_free(s);
	s->value = k->def;
	s->source = "default";
}

static int
setting_copy(struct setting *dst, const struct setting *src)
{
	setting_free(dst);
	if (src->source == NULL)
		return 0;
	if (!src->owned) {
		*dst = *src;
		return 0;
	}
	return setting_set(dst, src->value, xstrdup(src->source));
}


/* ---- the keys ---- */

#define M_ALL "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"
#define POLICY(f)	offsetof(struct policy, f)
#define CONFIG(f)	offsetof(struct config, f)

/* The order is --check's.  syntax is the "value" column of README.md's
 * table of keys, which tests/keys.bats holds to it (cors-wrap --keys). */
const struct config_keydef config_keys[KEY_COUNT] = {
	[KEY_ORIGINS] = { "origins", "CORS_ORIGINS", NULL, NULL, "*",
	    "list of origin entries", SCOPE_ANY, &configtype_origins, 0 },
	[KEY_METHODS] = { "methods", "CORS_METHODS", NULL, NULL, M_ALL,
	    "list of methods, * for any", SCOPE_ANY, &configtype_methods, 0 },
	[KEY_ALLOW_HEADERS] = { "allow_headers", "CORS_ALLOW_HEADERS",
	    "headers", "CORS_HEADERS", "*",
	    "list of header names or ~REGEX, * for any", SCOPE_ANY,
	    &configtype_allow_headers, 0 },
	[KEY_EXPOSE_HEADERS] = { "expose_headers", "CORS_EXPOSE_HEADERS",
	    NULL, NULL, "", "list of header names", SCOPE_ANY, &configtype_expose,
	    0 },
	[KEY_SUPPORTS_CREDENTIALS] = { "supports_credentials",
	    "CORS_SUPPORTS_CREDENTIALS", NULL, NULL, "false", "boolean",
	    SCOPE_ANY, &configtype_bool, POLICY(supports_credentials) },
	[KEY_CREDENTIALS_ORIGINS] = { "credentials_origins",
	    "CORS_CREDENTIALS_ORIGINS", NULL, NULL, NULL,
	    "list of origin entries that get credentials", SCOPE_ANY,
	    &configtype_credentials_origins, 0 },
	[KEY_ENFORCE] = { "enforce", "CORS_ENFORCE", NULL, NULL, "on",
	    "on or report", SCOPE_ANY, &configtype_enforce,
	    POLICY(enforce) },
	[KEY_MAX_AGE] = { "max_age", "CORS_MAX_AGE", NULL, NULL, NULL,
	    "seconds, or a number with s, m, h, d", SCOPE_ANY,
	    &configtype_max_age, 0 },
	[KEY_SEND_WILDCARD] = { "send_wildcard", "CORS_SEND_WILDCARD", NULL,
	    NULL, "false", "boolean", SCOPE_ANY, &configtype_bool,
	    POLICY(send_wildcard) },
	[KEY_ALWAYS_SEND] = { "always_send", "CORS_ALWAYS_SEND", NULL, NULL,
	    "true", "boolean", SCOPE_ANY, &configtype_bool, POLICY(always_send) },
	[KEY_AUTOMATIC_OPTIONS] = { "automatic_options",
	    "CORS_AUTOMATIC_OPTIONS", NULL, NULL, "true", "boolean",
	    SCOPE_ANY, &configtype_bool, POLICY(automatic_options) },
	[KEY_VARY_HEADER] = { "vary_header", "CORS_VARY_HEADER", NULL, NULL,
	    "true", "boolean", SCOPE_ANY, &configtype_bool, POLICY(vary_header) },
	[KEY_ALLOW_PRIVATE_NETWORK] = { "allow_private_network",
	    "CORS_ALLOW_PRIVATE_NETWORK", NULL, NULL, "false", "boolean",
	    SCOPE_ANY, &configtype_bool, POLICY(allow_private_network) },
	[KEY_INTERCEPT_EXCEPTIONS] = { "intercept_exceptions",
	    "CORS_INTERCEPT_EXCEPTIONS", NULL, NULL, "true", "boolean",
	    SCOPE_ANY, &configtype_bool, POLICY(intercept_exceptions) },
	[KEY_PREFLIGHT_STATUS] = { "preflight_status",
	    "CORS_PREFLIGHT_STATUS", NULL, NULL, "204", "204 or 200",
	    SCOPE_ANY, &configtype_status, POLICY(preflight_status) },
	[KEY_DEBUG_HEADER] = { "debug_header", "CORS_DEBUG_HEADER", NULL,
	    NULL, "false", "boolean", SCOPE_ANY, &configtype_bool,
	    POLICY(debug_header) },
	[KEY_TIMING_ALLOW_ORIGIN] = { "timing_allow_origin",
	    "CORS_TIMING_ALLOW_ORIGIN", NULL, NULL, "false", "boolean",
	    SCOPE_ANY, &configtype_bool, POLICY(timing_allow_origin) },
	[KEY_PREFLIGHT_CACHE_CONTROL] = { "preflight_cache_control",
	    "CORS_PREFLIGHT_CACHE_CONTROL", NULL, NULL, NULL,
	    "a Cache-Control value for preflight answers", SCOPE_ANY,
	    &configtype_field_value, POLICY(preflight_cache_control) },
	[KEY_MODE] = { "mode", "CORS_MODE", NULL, NULL, "merge",
	    "merge or prepend", SCOPE_GLOBAL, &configtype_mode, CONFIG(mode) },
	[KEY_EXEC] = { "exec", "CORS_EXEC", NULL, NULL, NULL,
	    "absolute path of the program to run", SCOPE_GLOBAL,
	    &configtype_abs_path, CONFIG(exec) },
	[KEY_SCRIPT_ROOT] = { "script_root", "CORS_SCRIPT_ROOT", NULL, NULL,
	    NULL, "absolute path of a directory of scripts", SCOPE_GLOBAL,
	    &configtype_abs_path, CONFIG(script_root) },
	[KEY_LOG_LEVEL] = { "log_level", "CORS_LOG_LEVEL", NULL, NULL, "warn",
	    "error, warn, info or debug", SCOPE_GLOBAL, &configtype_log_level,
	    CONFIG(log_level) },
	[KEY_LOG_REFUSED] = { "log_refused", "CORS_LOG_REFUSED", NULL, NULL,
	    "info", "error, warn, info or debug", SCOPE_GLOBAL,
	    &configtype_log_level, CONFIG(log_refused) },
	[KEY_LOG_RATE] = { "log_rate", "CORS_LOG_RATE", NULL, NULL, "60",
	    "at most this many refused-request lines a minute, 0 for no limit",
	    SCOPE_GLOBAL, &configtype_log_rate, CONFIG(log_rate) },
	[KEY_LOG_FORMAT] = { "log_format", "CORS_LOG_FORMAT", NULL, NULL,
	    "text", "text or json", SCOPE_GLOBAL, &configtype_log_format,
	    CONFIG(log_format) },
	[KEY_PATH] = { "path", NULL, NULL, NULL, NULL,
	    "glob over the request path", SCOPE_SECTION, &configtype_path, 0 },
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
	if (p->ncredentials_origins > 0 && p->supports_credentials)
		diag_add(d, "%s: credentials_origins: cannot be combined with "
		    "supports_credentials = true (%s), which gives credentials "
		    "to every allowed origin; keep one of them",
		    s[KEY_CREDENTIALS_ORIGINS].source,
		    s[KEY_SUPPORTS_CREDENTIALS].source);
	if (p->ncredentials_origins > 0 && p->origins_any && p->send_wildcard)
		diag_add(d, "%s: credentials_origins: origins \"*\" with "
		    "send_wildcard (%s) answers \"*\" to every origin, which "
		    "browsers never accept with credentials",
		    s[KEY_CREDENTIALS_ORIGINS].source,
		    s[KEY_SEND_WILDCARD].source);
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
		if (config_keys[k].scope != SCOPE_SECTION)
			setting_default(&g->set[k], &config_keys[k]);
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
		if (s->set[KEY_PATH].source == NULL) {
			s->set[KEY_PATH].source = xprintf("%s:%u", ini.path,
			    is->line);
			s->set[KEY_PATH].owned = true;
		}
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
