/*
 * CGI mode: one request from the environment and stdin, answered on
 * stdout, either by cors-wrap itself (preflights, errors) or by the
 * script with the CORS answer merged into its header block.
 */
#ifndef CORS_CGI_H
#define CORS_CGI_H

#include <stdbool.h>

struct cgi_opts {
	char *const	*envp;
	const char	*config;	/* --config, or NULL: CORS_CONFIG */
	char		**prog;		/* PROGRAM ARG... from trusted argv */
	int		 nprog;
	char		**extra;	/* query words, arguments only */
	int		 nextra;
	bool		 argv_ignored;
};

/* Serves the request; returns the exit status for cors-wrap. */
int	cgi_serve(const struct cgi_opts *);

#endif
