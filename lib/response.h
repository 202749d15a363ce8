/*
 * The answers cors-wrap writes itself (preflights and errors), as a CGI
 * header block with a Status field: the same bytes in CGI and FastCGI.
 */
#ifndef CORS_RESPONSE_H
#define CORS_RESPONSE_H

#include <stddef.h>
#include <sys/types.h>

#include "policy.h"

const char	*response_reason(int status);

/* Formats "Status: ..." + the answer's fields (a may be NULL) + a short
 * text/plain body for errors.  Returns the length, -1 if it did not fit. */
ssize_t	response_format(char *, size_t, int status, const struct answer *);

#define RESPONSE_MAX	(ORIGIN_MAX + REQ_HEADERS_MAX + REQ_HEADER_NAMES_MAX + \
			    4096)

#endif
