/*
 * A CGI script's header block (RFC 3875 6): parsing it, bounded, and
 * writing it back once with the CORS answer merged in.
 */
#ifndef CORS_CGIHEADER_H
#define CORS_CGIHEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"
#include "policy.h"

struct cgi_line {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

/* The line index last: a short header block uses its start, next to the
 * other fields. */
struct cgi_headers {
	size_t		 nlines;
	size_t		 block_len;	/* bytes up to and including the
					   blank line */
	bool		 crlf;		/* the script ends lines with CRLF */
	int		 status;	/* 200 when absent */
	const char	*status_line;	/* from an NPH "HTTP/1.1 ..." line */
	size_t		 status_line_len;
	bool		 has_status;
	bool		 has_location;
	bool		 local_redirect;	/* RFC 3875 6.2.2 */
	bool		 has_acao;		/* script's own CORS policy */
	bool		 has_acac;		/* script's own credentials */
	int		 vary;			/* index of the first Vary */
	struct cgi_line	 lines[CGI_HEADER_LINES_MAX];
};

enum cgihdr_result {
	CGIHDR_OK,
	CGIHDR_INCOMPLETE,	/* no blank line yet: read more */
	CGIHDR_TOO_BIG,
	CGIHDR_TOO_MANY,
	CGIHDR_BAD_LINE,	/* no colon, bad name, stray CR or NUL */
	CGIHDR_EMPTY		/* EOF before any byte */
};

const char	*cgihdr_str(enum cgihdr_result);

/* Parses buf[0..len).  With eof, a block without a blank line is an
 * error rather than INCOMPLETE.  On CGIHDR_BAD_LINE, *bad points at the
 * offending line. */
enum cgihdr_result	cgiheader_parse(const char *buf, size_t len, bool eof,
			    struct cgi_headers *, const char **bad);

/* Does the script's own Access-Control-Allow-Credentials withhold the
 * answer's Allow-Origin (see cgiheader_merge)?  Callers log it. */
bool	cgiheader_withholds(const struct cgi_headers *, const struct answer *);

/* Does cgiheader_merge drop the script's own
 * Access-Control-Allow-Credentials from a local redirect?  Callers log it. */
bool	cgiheader_drops_credentials(const struct cgi_headers *);

/* Does cgiheader_merge leave the script's header names out of an
 * Access-Control-Expose-Headers it lists them in, for they would take more
 * than EXPOSE_LIST_MAX bytes?  Callers log it. */
bool	cgiheader_expose_cut(const struct cgi_headers *, const struct answer *);

/*
 * Writes the merged header block (ending with the blank line) into out.
 * Returns its length, or -1 if out is too small.  The script's fields are
 * kept as written; what is added (man/cors-wrap.1, "Merge mode"):
 * - after a local redirect, nothing; and the script's own
 *   Access-Control-Allow-Credentials goes unless it sets its own
 *   Access-Control-Allow-Origin (cgiheader_drops_credentials);
 * - when the script sets Access-Control-Allow-Origin, nothing: its policy;
 * - when it sets Access-Control-Allow-Credentials, whatever the value, and
 *   the answer reflects an Origin that may have no credentials (only "*"
 *   allowed it, credentials_origins does not match it, or only
 *   enforce = report let it through: no_credentials), no
 *   Access-Control-* field and no Timing-Allow-Origin, only Vary
 *   (cgiheader_withholds);
 * - otherwise each field of the answer the script did not set itself,
 *   but for one with an empty value; and where credentials are allowed
 *   (cors-wrap's or the script's own), an Access-Control-Expose-Headers
 *   of "*" lists the script's header names instead (cgiheader_expose_cut);
 * - and the answer's Vary tokens the script's first Vary lacks.
 */
ssize_t	cgiheader_merge(const struct cgi_headers *, const struct answer *,
	    char *out, size_t outlen);

/* Room cgiheader_merge needs beyond the script's block: each value it
 * may add at its bound (Allow-Origin and Timing-Allow-Origin an origin
 * each; Allow-Headers the requested names, ", " between; Expose-Headers
 * the script's names or the configured list; Allow-Methods the list and
 * the requested method; Cache-Control), and 1 KiB for the field names,
 * the short values (credentials, Max-Age, the debug field) and Vary. */
#define CGIHDR_MERGE_EXTRA	(2 * ORIGIN_MAX + REQ_HEADERS_MAX + \
				    2 * REQ_HEADER_NAMES_MAX + \
				    EXPOSE_LIST_MAX + CONFIG_LIST_SENT_MAX + \
				    METHOD_MAX + CONFIG_FIELD_MAX + 1024)

#endif
