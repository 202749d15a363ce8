/*
 * Origins: the syntax of a serialised origin (RFC 6454 6.1, as browsers
 * send it in the Origin header) and the entries of an `origins` list.
 */
#ifndef CORS_ORIGIN_H
#define CORS_ORIGIN_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* A syntactically valid serialised origin, split into its parts. */
struct origin_parts {
	size_t		 scheme_len;	/* "https" */
	size_t		 host_off;	/* after "://" */
	size_t		 host_len;
	size_t		 port_off;	/* ":8443", or the end when absent */
	size_t		 port_len;
	bool		 ipv6;
};

enum origin_check {
	ORIGIN_OK,
	ORIGIN_OPAQUE,		/* the literal "null" */
	ORIGIN_TOO_LONG,
	ORIGIN_BAD_SCHEME,
	ORIGIN_BAD_HOST,
	ORIGIN_BAD_PORT,
	ORIGIN_HAS_PATH		/* a path, query, fragment or userinfo */
};

enum origin_check	 origin_parse(const char *, size_t, struct origin_parts *);
const char		*origin_check_str(enum origin_check);

enum origin_kind {
	OENTRY_ANY,		/* "*" */
	OENTRY_NULL,		/* "null": the opaque origin, and only it */
	OENTRY_EXACT,		/* "https://a.example:8443" */
	OENTRY_SUBDOMAIN,	/* scheme, "*.", a domain: any subdomain */
	OENTRY_REGEX		/* "~ERE", matched against the whole origin */
};

struct origin_entry {
	enum origin_kind	 kind;
	char			*text;		/* as configured */
	/* OENTRY_SUBDOMAIN: text split as scheme, ".suffix", ":port". */
	size_t			 scheme_len;
	size_t			 suffix_off, suffix_len;
	size_t			 port_off, port_len;
	regex_t			 re;
};

/* Compiles one configured entry; on error returns -1 with "WHERE: why"
 * in d, where saying whose the entry is ("FILE:LINE: origins").  The entry
 * owns its text; free it with origin_entry_free. */
int	origin_entry_init(struct origin_entry *, const char *, size_t,
	    const char *where, struct diag *);
void	origin_entry_free(struct origin_entry *);

/* Compiles a list of entries (the value of `origins` or
 * `credentials_origins`) into *v and *n, which the caller frees with
 * origin_list_free.  A bad entry is left out and reported in d as for
 * origin_entry_init, and the others still compiled, so that one load
 * reports them all; returns -1 then, or when out of memory with nothing
 * added to d. */
int	origin_list_compile(const char *list, const char *where,
	    struct origin_entry **v, size_t *n, struct diag *);
void	origin_list_free(struct origin_entry *, size_t);

/* Does the entry allow this request origin?  origin is a NUL-terminated
 * string that origin_parse accepted (parts), or "null" (parts NULL). */
bool	origin_entry_matches(const struct origin_entry *, const char *origin,
	    size_t len, const struct origin_parts *parts);

/* Why an entry did not match, in a few words, for the explanation. */
const char *origin_entry_miss(const struct origin_entry *, const char *origin,
	    size_t len, const struct origin_parts *parts);

#endif
