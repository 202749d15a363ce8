/*
 * Configuration: the table of keys (one place for names, defaults and
 * scope), the INI file and CORS_* variables merged by precedence, and the
 * compiled policy of every section.
 *
 * Precedence: defaults < INI global < INI section < CORS_* environment.
 */
#ifndef CORS_CONFIG_H
#define CORS_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "log.h"
#include "policy.h"

enum config_key {
	KEY_ORIGINS,
	KEY_METHODS,
	KEY_ALLOW_HEADERS,
	KEY_EXPOSE_HEADERS,
	KEY_SUPPORTS_CREDENTIALS,
	KEY_CREDENTIALS_ORIGINS,
	KEY_ENFORCE,
	KEY_MAX_AGE,
	KEY_SEND_WILDCARD,
	KEY_ALWAYS_SEND,
	KEY_AUTOMATIC_OPTIONS,
	KEY_VARY_HEADER,
	KEY_ALLOW_PRIVATE_NETWORK,
	KEY_INTERCEPT_EXCEPTIONS,
	KEY_PREFLIGHT_STATUS,
	KEY_DEBUG_HEADER,
	KEY_TIMING_ALLOW_ORIGIN,
	KEY_PREFLIGHT_CACHE_CONTROL,
	/* global only */
	KEY_MODE,
	KEY_EXEC,
	KEY_SCRIPT_ROOT,
	KEY_LOG_LEVEL,
	KEY_LOG_REFUSED,
	KEY_LOG_RATE,
	KEY_LOG_FORMAT,
	/* sections only */
	KEY_PATH,
	KEY_COUNT
};

enum key_scope {
	SCOPE_ANY,		/* global or section */
	SCOPE_GLOBAL,
	SCOPE_SECTION
};

/* How a value is compiled and shown (lib/config.c). */
struct config_type;

/* One row per key: all that parsing, compiling, --check and --keys know
 * of it.  Adding a key is adding a row (and the code of a new type). */
struct config_keydef {
	const char	*ini;		/* "allow_headers" */
	const char	*env;		/* "CORS_ALLOW_HEADERS" */
	const char	*ini_alias;	/* Flask-Cors 1.6.1's "headers" */
	const char	*env_alias;
	const char	*def;		/* default, as text; NULL: unset */
	const char	*syntax;	/* for messages and the docs' tables */
	enum key_scope	 scope;
	const struct config_type *type;
	size_t		 offset;	/* of the field it compiles to */
};

extern const struct config_keydef config_keys[KEY_COUNT];

/* Where a value came from: "default", "FILE:LINE" or "CORS_X".  A
 * default's value and source are the key table's own strings, not copies
 * (owned false): every CGI request loads the configuration, and two
 * copies for each of the keys were most of its allocations. */
struct setting {
	const char	*value;
	const char	*source;
	bool		 owned;
};

struct section {
	char		*name;		/* "global" or the INI section name */
	char		*path;		/* glob; NULL for global */
	char		*path_base;	/* path without a trailing slash-star */
	bool		 literal;
	size_t		 slashes;
	size_t		 order;
	struct setting	 set[KEY_COUNT];
	struct policy	 policy;
};

enum run_mode {
	MODE_MERGE,
	MODE_PREPEND
};

struct config {
	char		*file;		/* the INI file, or NULL */
	struct section	*sections;	/* most specific first, global last */
	size_t		 nsections;
	enum run_mode	 mode;
	char		*exec;
	char		*script_root;
	enum log_level	 log_level;
	enum log_level	 log_refused;	/* level of "refused ..." lines */
	unsigned	 log_rate;	/* such lines a minute; 0: no limit */
	enum log_format	 log_format;
};

/*
 * Loads ini (may be NULL) and the CORS_* entries of env ("NAME=VALUE",
 * NULL-terminated; may be NULL).  Returns 0, or -1 with the reasons in d;
 * on error c holds nothing to free.
 */
int	config_load(struct config *, const char *ini, char *const *env,
	    struct diag *);
void	config_free(struct config *);

/* The section whose path matches (most specific first), else global. */
const struct section	*config_select(const struct config *, const char *);

/* The effective policy of every section, as --check prints it. */
void	config_print(const struct config *, FILE *);

/* The table of keys, for tests/keys.bats to hold the docs' tables to:
 * one tab-separated line per key and per other CORS_* variable, "INI ENV
 * INI-ALIAS ENV-ALIAS SCOPE DEFAULT SYNTAX", empty fields for none. */
void	config_print_keys(FILE *);

#endif
