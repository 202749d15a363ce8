/*
 * FastCGI mode: one worker's event loop.  It serves many connections at
 * once (nginx keeps idle upstream connections open; a worker that waited
 * on one of them would stall the rest), answers preflights in process,
 * and runs other requests' scripts with the body streamed to them while
 * their output is read.
 */
#ifndef CORS_FASTCGI_H
#define CORS_FASTCGI_H

#include <stdbool.h>

#include "log.h"

struct fastcgi_opts {
	int		 listen_fd;
	unsigned	 timeout;	/* seconds a script may run */
	bool		 stderr_to_server;	/* script stderr as FCGI_STDERR */
	unsigned	 max_conns;
	unsigned	 max_scripts;	/* -j: scripts running at once */
	unsigned	 queue_max;	/* --queue: requests waiting for one */
	const char	*config;	/* --config, or NULL */
	char *const	*environ;	/* the daemon's environment */
	const char	*tmpdir;	/* for spooled answers */
	/* script_root of the daemon's own configuration (environment,
	 * --config): a ceiling no request's CORS_* params can lift, since
	 * params may also name CORS_EXEC and CORS_SCRIPT_ROOT. */
	char		*root_ceiling;
	enum log_level	 log_level;	/* for the daemon's own lines */
};

/* Serves until SIGTERM or SIGINT, then finishes what is in flight.
 * Returns the exit status. */
int	fastcgi_serve(const struct fastcgi_opts *);

#endif
