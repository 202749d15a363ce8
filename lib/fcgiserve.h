/*
 * FastCGI mode: one worker's event loop.  It serves many connections at
 * once (nginx keeps idle upstream connections open; a worker that waited
 * on one of them would stall the rest), answers preflights in process,
 * and runs other requests' scripts with the body streamed to them while
 * their output is read.
 */
#ifndef CORS_FCGISERVE_H
#define CORS_FCGISERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

struct metrics;
struct metrics_slot;

/*
 * Defaults of the bounds on what a peer can make a worker hold (cors-wrap(1)
 * and SECURITY.md give the reasons).  The spool holds only what a script
 * writes before its request body has all been passed to it (see
 * lib/spool.h): an echo of the body, an early error.  64 MiB is an echo of
 * 64 times nginx's default client_max_body_size; 256 MiB for all of a
 * worker's requests keeps the disk a worker can be made to fill small
 * beside nginx's own default for its temporary files (1 GiB a request).
 * 60 s of silence is nginx's default for fastcgi_send_timeout,
 * fastcgi_read_timeout and its idle upstream keepalive_timeout.
 */
#define SPOOL_MAX_DEFAULT	((uint64_t)64 << 20)
#define SPOOL_WORKER_MAX_DEFAULT ((uint64_t)256 << 20)
#define IDLE_DEFAULT		60

struct fastcgi_opts {
	int		 listen_fd;
	unsigned	 timeout;	/* seconds a script may stay silent */
	unsigned	 life;		/* seconds a script may run; 0: no limit */
	bool		 stderr_to_server;	/* script stderr as FCGI_STDERR */
	unsigned	 max_conns;
	unsigned	 max_scripts;	/* -j: scripts running at once */
	unsigned	 queue_max;	/* --queue: requests waiting for one */
	const char	*config;	/* --config, or NULL */
	char *const	*environ;	/* the daemon's environment */
	const char	*tmpdir;	/* for spooled answers */
	uint64_t	 spool_max;	/* -b: bytes spooled for one request */
	uint64_t	 spool_worker_max;	/* -B: for all of a worker's */
	unsigned	 idle;		/* -i: seconds a silent peer is waited for */
	enum log_level	 log_level;	/* for the daemon's own lines */
	enum log_format	 log_format;
	/* systemd's socket: it keeps the socket and queues connections for
	 * the next start, so a stop leaves it open.  Ours otherwise (bound
	 * with -s, or fd 0, which spawn-fcgi hands over keeping no copy):
	 * closed first on a stop, so new connections are refused at once,
	 * not reset when the last process exits. */
	bool		 listen_keep;
	/* The daemon's counters (lib/metrics.h), and this worker's slot;
	 * NULL: none. */
	struct metrics	*metrics;
	struct metrics_slot *metrics_slot;
};

/* Closes the listening socket on a stop, unless listen_keep; descriptor 0
 * becomes /dev/null, never a free number a later open would take. */
void	fastcgi_unlisten(const struct fastcgi_opts *);

/* Serves until SIGTERM or SIGINT, then finishes what is in flight.
 * Returns the exit status. */
int	fastcgi_serve(const struct fastcgi_opts *);

#endif
