/*
 * The request as cors-wrap sees it: the CGI meta-variables (or FastCGI
 * params) that matter for CORS, read through a lookup function and
 * validated.  Nothing here is trusted until checked.
 */
#ifndef CORS_REQUEST_H
#define CORS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "origin.h"

/* Looks up a meta-variable by name; NULL when absent. */
typedef const char *(*request_getter)(void *ctx, const char *name);

enum request_origin {
	RORIGIN_ABSENT,
	RORIGIN_VALID,		/* a serialised origin */
	RORIGIN_OPAQUE,		/* "null" */
	RORIGIN_INVALID		/* anything else: never reflected */
};

struct request {
	const char		*method;	/* REQUEST_METHOD, or "" */
	const char		*origin;	/* HTTP_ORIGIN, or NULL */
	size_t			 origin_len;
	enum request_origin	 origin_state;
	enum origin_check	 origin_check;	/* why it is invalid */
	struct origin_parts	 origin_parts;
	const char		*acrm;		/* Access-Control-Request-Method */
	const char		*acrh;		/* Access-Control-Request-Headers */
	bool			 acrpn;		/* ...-Private-Network: true */
	bool			 preflight;
	bool			 path_ok;	/* path could be decoded */
	char			 path[PATH_MAX_BYTES];
};

void	request_read(struct request *, request_getter, void *ctx);

/* Percent-decodes once and removes dot segments and empty segments
 * (RFC 3986 5.2.4), so that /api/%2e%2e/x and /api//../x are /x. Returns
 * false for a path that cannot be a file path (NUL, bad escape, too long),
 * with out then holding as much of the path as sent as fits, for the log. */
bool	request_normalise_path(const char *, size_t, char *, size_t);

/* A request_getter over a NULL-terminated "NAME=VALUE" array (environ,
 * or FastCGI params). */
const char	*request_env_get(void *envp, const char *name);

#endif
