#include "origin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "pattern.h"
#include "token.h"

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Characters that end the authority of a URL: what follows is a path,
 * query or fragment; '@' means userinfo.  None belongs in an origin. */
static bool
ends_authority(char c)
{
	return c == '/' || c == '?' || c == '#' || c == '@' || c == '\\';
}

enum origin_check
origin_parse(const char *s, size_t len, struct origin_parts *o)
{
	size_t	 i = 0, label = 0, port;

	memset(o, 0, sizeof(*o));
	if (len == 4 && memcmp(s, "null", 4) == 0)
		return ORIGIN_OPAQUE;
	if (len > ORIGIN_MAX)
		return ORIGIN_TOO_LONG;

	if (len == 0 || !is_alpha(s[0]))
		return ORIGIN_BAD_SCHEME;
	while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' ||
	    s[i] == '-' || s[i] == '.'))
		i++;
	if (len - i < 3 || memcmp(s + i, "://", 3) != 0)
		return ORIGIN_BAD_SCHEME;
	o->scheme_len = i;
	i += 3;
	o->host_off = i;

	if (i < len && s[i] == '[') {
		/* An IPv6 literal; the URL parser has already validated and
		 * compressed it, so only its alphabet is checked here. */
		o->ipv6 = true;
		for (i++; i < len && s[i] != ']'; i++)
			if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.')
				return ORIGIN_BAD_HOST;
		if (i == len || i - o->host_off < 3)
			return ORIGIN_BAD_HOST;
		i++;
	} else {
		for (; i < len && s[i] != ':'; i++) {
			if (s[i] == '.') {
				if (label == 0)
					return ORIGIN_BAD_HOST;
				label = 0;
			} else if (is_alpha(s[i]) || is_digit(s[i]) ||
			    s[i] == '-' || s[i] == '_') {
				label++;
			} else if (ends_authority(s[i])) {
				return ORIGIN_HAS_PATH;
			} else
				return ORIGIN_BAD_HOST;
		}
		if (label == 0)
			return ORIGIN_BAD_HOST;
	}
	o->host_len = i - o->host_off;
	o->port_off = i;
	if (i == len)
		return ORIGIN_OK;
	if (ends_authority(s[i]))
		return ORIGIN_HAS_PATH;
	if (s[i] != ':')
		return ORIGIN_BAD_HOST;
	for (i++, port = 0; i < len && is_digit(s[i]); i++) {
		port = port * 10 + (size_t)(s[i] - '0');
		if (port > 65535)
			return ORIGIN_BAD_PORT;
	}
	if (i == o->port_off + 1)
		return ORIGIN_BAD_PORT;
	if (i < len)
		return ends_authority(s[i]) ? ORIGIN_HAS_PATH : ORIGIN_BAD_PORT;
	o->port_len = i - o->port_off;
	return ORIGIN_OK;
}

const char *
origin_check_str(enum origin_check c)
{
	switch (c) {
	case ORIGIN_OK:
		return "valid";
	case ORIGIN_OPAQUE:
		return "the opaque origin null";
	case ORIGIN_TOO_LONG:
		return "too long";
	case ORIGIN_BAD_SCHEME:
		return "not scheme://host[:port]";
	case ORIGIN_BAD_HOST:
		return "invalid host";
	case ORIGIN_BAD_PORT:
		return "invalid port";
	case ORIGIN_HAS_PATH:
		return "has a path, query, fragment or userinfo";
	}
	return "invalid";
}

static char *
dup_n(const char *s, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
origin_entry_init(struct origin_entry *e, const char *s, size_t len,
    const char *where, struct diag *d)
{
	struct origin_parts	 o;
	enum origin_check	 c;

	memset(e, 0, sizeof(*e));
	if ((e->text = dup_n(s, len)) == NULL) {
		diag_add(d, "%s: out of memory", where);
		return -1;
	}
	if (len == 1 && s[0] == '*') {
		e->kind = OENTRY_ANY;
		return 0;
	}
	if (len == 4 && memcmp(s, "null", 4) == 0) {
		e->kind = OENTRY_NULL;
		return 0;
	}
	if (s[0] == '~') {
		e->kind = OENTRY_REGEX;
		if (pattern_compile(&e->re, s + 1, len - 1, where, d) == -1)
			goto fail;
		return 0;
	}

	/* A subdomain glob is checked as the origin it would be with one
	 * label, "x", in place of the star. */
	{
		const char	*star = memchr(s, '*', len);
		char		 probe[ORIGIN_MAX + 2];

		if (star != NULL) {
			size_t	 off = (size_t)(star - s);

			if (off < 4 || memcmp(star - 3, "://", 3) != 0 ||
			    off + 1 >= len || star[1] != '.' ||
			    memchr(star + 1, '*', len - off - 1) != NULL ||
			    len >= sizeof(probe)) {
				diag_add(d, "%s: invalid origin \"%s\": a "
				    "wildcard is only allowed as "
				    "scheme://*.domain; use ~REGEX for other "
				    "patterns", where, e->text);
				goto fail;
			}
			memcpy(probe, s, len);
			probe[off] = 'x';
			c = origin_parse(probe, len, &o);
			if (c == ORIGIN_OK && o.ipv6)
				c = ORIGIN_BAD_HOST;
			if (c != ORIGIN_OK) {
				diag_add(d, "%s: invalid origin \"%s\": %s",
				    where, e->text, origin_check_str(c));
				goto fail;
			}
			e->kind = OENTRY_SUBDOMAIN;
			e->scheme_len = o.scheme_len;
			e->suffix_off = off + 1;
			e->suffix_len = o.port_off - e->suffix_off;
			e->port_off = o.port_off;
			e->port_len = o.port_len;
			return 0;
		}
	}

	c = origin_parse(s, len, &o);
	if (c != ORIGIN_OK) {
		diag_add(d, "%s: invalid origin \"%s\": %s%s", where, e->text,
		    origin_check_str(c), c == ORIGIN_HAS_PATH ?
		    " (write scheme://host[:port], without a trailing slash)" :
		    "");
		goto fail;
	}
	e->kind = OENTRY_EXACT;
	return 0;
fail:
	free(e->text);
	e->text = NULL;
	return -1;
}

void
origin_entry_free(struct origin_entry *e)
{
	if (e->kind == OENTRY_REGEX && e->text != NULL)
		regfree(&e->re);
	free(e->text);
	e->text = NULL;
}

int
origin_list_compile(const char *list, const char *where,
    struct origin_entry **v, size_t *n, struct diag *d)
{
	struct tok_iter	 it;
	const char	*w;
	size_t		 len, count = 0;
	int		 rc = 0;

	*v = NULL;
	*n = 0;
	tok_iter_init(&it, list, strlen(list));
	while (tok_next_word(&it, &w, &len))
		count++;
	if (count > CONFIG_LIST_MAX) {
		diag_add(d, "%s: more than %d entries", where, CONFIG_LIST_MAX);
		return -1;
	}
	if ((*v = calloc(count + 1, sizeof(**v))) == NULL)
		return -1;
	tok_iter_init(&it, list, strlen(list));
	while (tok_next_word(&it, &w, &len)) {
		if (origin_entry_init(&(*v)[*n], w, len, where, d) == -1) {
			rc = -1;
			continue;
		}
		(*n)++;
	}
	return rc;
}

void
origin_list_free(struct origin_entry *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		origin_entry_free(&v[i]);
	free(v);
}

static bool
subdomain_matches(const struct origin_entry *e, const char *s,
    const struct origin_parts *o)
{
	const char	*host = s + o->host_off;

	if (o->ipv6 || !tok_eq_nocase(s, o->scheme_len, e->text, e->scheme_len))
		return false;
	if (!tok_eq_nocase(s + o->port_off, o->port_len,
	    e->text + e->port_off, e->port_len))
		return false;
	/* At least one label before the suffix: never the apex itself, and
	 * the suffix starts with '.', so "evil-example.com" cannot match. */
	if (o->host_len <= e->suffix_len)
		return false;
	return tok_eq_nocase(host + o->host_len - e->suffix_len, e->suffix_len,
	    e->text + e->suffix_off, e->suffix_len);
}

bool
origin_entry_matches(const struct origin_entry *e, const char *origin,
    size_t len, const struct origin_parts *parts)
{
	if (parts == NULL)	/* the opaque origin */
		return e->kind == OENTRY_NULL;
	switch (e->kind) {
	case OENTRY_ANY:
		return true;
	case OENTRY_NULL:
		return false;
	case OENTRY_EXACT:
		return tok_eq_nocase(origin, len, e->text, strlen(e->text));
	case OENTRY_SUBDOMAIN:
		return subdomain_matches(e, origin, parts);
	case OENTRY_REGEX:
		return pattern_matches(&e->re, origin, len);
	}
	return false;
}

const char *
origin_entry_miss(const struct origin_entry *e, const char *origin,
    size_t len, const struct origin_parts *o)
{
	struct origin_parts	 eo;

	if (o == NULL)
		return e->kind == OENTRY_ANY ? "the opaque origin null is "
		    "only allowed when null is listed" : "not null";
	switch (e->kind) {
	case OENTRY_ANY:
		return "matches";
	case OENTRY_NULL:
		return "only matches null";
	case OENTRY_REGEX:
		return "regular expression does not match the whole origin";
	case OENTRY_SUBDOMAIN:
		if (!tok_eq_nocase(origin, o->scheme_len, e->text,
		    e->scheme_len))
			return "scheme differs";
		if (!tok_eq_nocase(origin + o->port_off, o->port_len,
		    e->text + e->port_off, e->port_len))
			return "port differs";
		return "host is not a subdomain";
	case OENTRY_EXACT:
		if (origin_parse(e->text, strlen(e->text), &eo) != ORIGIN_OK)
			return "differs";
		if (!tok_eq_nocase(origin, o->scheme_len, e->text,
		    eo.scheme_len))
			return "scheme differs";
		if (!tok_eq_nocase(origin + o->host_off, o->host_len,
		    e->text + eo.host_off, eo.host_len))
			return "host differs";
		if (!tok_eq_nocase(origin + o->port_off, o->port_len,
		    e->text + eo.port_off, eo.port_len))
			return "port differs";
		(void)len;
		return "differs";
	}
	return "differs";
}
