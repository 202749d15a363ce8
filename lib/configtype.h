/*
 * The value types of configuration keys, private to lib/config.c and
 * lib/configtype.c: each compiles a setting into its key's field and
 * shows the compiled field as --check prints it.  A new key of an
 * existing type is one row of config_keys; a new type is a pair of
 * functions here.
 */
#ifndef CORS_CONFIGTYPE_H
#define CORS_CONFIGTYPE_H

#include "config.h"
#include "diag.h"

/* What --check shows of a key: its compiled field, or its setting. */
struct shown {
	const void		*field;
	const struct setting	*set;
	char			 num[24];
};

struct config_type {
	/* Compiles s into dst, the key's field; -1 with the cause in d, or
	 * with nothing added when out of memory. */
	int		 (*compile)(const struct config_keydef *,
			    const struct setting *s, void *dst, struct diag *);
	/* The field as --check prints it. */
	const char	*(*show)(struct shown *);
};

/* Shows a setting as written: for the types whose compiled form says
 * no more. */
const char	*configtype_show_written(struct shown *);

extern const struct config_type configtype_abs_path;
extern const struct config_type configtype_bool;
extern const struct config_type configtype_expose;
extern const struct config_type configtype_log_format;
extern const struct config_type configtype_field_value;
extern const struct config_type configtype_log_level;
extern const struct config_type configtype_log_rate;
extern const struct config_type configtype_max_age;
extern const struct config_type configtype_methods;
extern const struct config_type configtype_mode;
extern const struct config_type configtype_path;
extern const struct config_type configtype_status;
extern const struct config_type configtype_origins;
extern const struct config_type configtype_allow_headers;
extern const struct config_type configtype_enforce;
extern const struct config_type configtype_credentials_origins;

#endif
