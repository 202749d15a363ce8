#include "configtype.h"

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

/* The choices and the lists whose compiled form --check does not show:
 * as written. */
const char *
configtype_show_written(struct shown *v)
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
    { compile_choice, configtype_show_written };
const struct config_type configtype_mode =
    { compile_choice, configtype_show_written };
const struct config_type configtype_enforce =
    { compile_choice, configtype_show_written };


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
TYPE(path);
/* Shown as a path is: the string, or nothing. */
const struct config_type configtype_field_value =
    { compile_field_value, show_abs_path };
#undef TYPE
