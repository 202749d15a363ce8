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
	unsigned	 timeout;	/* seconds a script may stay silent */
	unsigned	 life;		/* seconds a script may run; 0: no limit */
	bool		 stderr_to_server;	/* script stderr as FCGI_STDERR */
	unsigned	 max_conns;
	const char	*config;	/* --config, or NULL */
	char *const	*environ;	/* the daemon's environment */
	const char	*tmpdir;	/* for spooled answers */
	/* script_root of the daemon's own configuration (environment,
	 * --config): a ceiling no request's CORS_* params can lift, since
	 * params may also name CORS_EXEC and CORS_SCRIPT_ROOT. */
	char		*root_ceiling;
	enum log_level	 log_level;	/* for the daemon's own lines */
	/* systemd's socket: it keeps the socket and queues connections for
	 * the next start, so a stop leaves it open.  Ours otherwise (bound
	 * with -s, or fd 0, which spawn-fcgi hands over keeping no copy):
	 * closed first on a stop, so new connections are refused at once,
	 * not reset when the last process exits. */
	bool		 listen_keep;
};

/* Closes the listening socket on a stop, unless listen_keep; descriptor 0
 * becomes /dev/null, never a free number a later open would take. */
void	fastcgi_unlisten(const struct fastcgi_opts *);

/* Serves until SIGTERM or SIGINT, then finishes what is in flight.
 * Returns the exit status. */
int	fastcgi_serve(const struct fastcgi_opts *);

#endif
