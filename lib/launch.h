/*
 * Which of argv to believe.  A web server builds argv for cors-wrap, but
 * Apache appends the words of a query without '=' (RFC 3875 4.4, ISINDEX)
 * as arguments, so under a server argv is trusted only where it agrees
 * with what the server chose: SCRIPT_FILENAME as argv[1] (lighttpd
 * cgi.assign) or argv[2] (a "#!/usr/bin/cors-wrap INTERPRETER" line).
 */
#ifndef CORS_LAUNCH_H
#define CORS_LAUNCH_H

#include <stdbool.h>

#include "request.h"

struct launch {
	char	**argv;		/* trusted arguments, argv[0] first,
				   NULL-terminated: options, PROGRAM, ARGs */
	int	 argc;
	char	**extra;	/* query words: only ever script arguments */
	int	 nextra;
	bool	 server;	/* run by a web server as a CGI program */
	bool	 ignored;	/* argv was there but not trusted */
};

/* Returns 0, or -1 when out of memory. */
int	launch_init(struct launch *, int argc, char **argv,
	    request_getter, void *ctx);
void	launch_free(struct launch *);

/* The number of ISINDEX words Apache appends for this QUERY_STRING. */
int	launch_isindex_words(const char *query);

#endif
