/*
 * FastCGI mode's process structure: where the listening socket comes
 * from (fd 0 as spawn-fcgi and mod_fcgid hand it over, systemd socket
 * activation, or -s), and a master that keeps N workers running.
 */
#ifndef CORS_DAEMON_H
#define CORS_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "account.h"
#include "fcgiserve.h"

/* Is fd 0 a listening socket?  libfcgi's test (OS_IsFcgi): getpeername
 * fails with ENOTCONN. */
bool	daemon_fd0_is_listener(void);

/* Marks every descriptor above standard error close-on-exec, the
 * listener included: what the daemon inherited (a server's log, a shell's
 * files) must not reach every script, and the listener is only the
 * workers' own.  close_range(2), or one descriptor at a time from
 * /proc/self/fd, or up to RLIMIT_NOFILE without /proc. */
void	daemon_cloexec_inherited(void);

/* systemd socket activation: LISTEN_PID is us; returns fd 3 or -1. */
int	daemon_systemd_fd(void);

struct socket_opts {
	const char	*spec;		/* unix:/path, tcp:a.b.c.d:port,
					   tcp6:[addr]:port */
	uid_t		 uid;		/* owner of a unix socket; -1: keep */
	gid_t		 gid;
	mode_t		 mode;
};

/* Binds and listens; returns the fd, or -1 with a message in err. */
int	daemon_listen(const struct socket_opts *, char *err, size_t errlen);

/*
 * Whom scripts run as.  Resolved before the socket is bound (so that a
 * start that would run scripts as root fails before it creates anything),
 * applied after: the daemon then holds no privilege it could lose to a
 * script.
 */
struct runas {
	bool	 change;		/* started as root: become uid/gid */
	uid_t	 uid;
	gid_t	 gid;
	char	 name[ACCOUNT_NAME_MAX];
};

/* user: -u's value or NULL.  Returns -1 with a message in err when
 * started as root without a non-root user, or when user is not us. */
int	daemon_runas(const char *user, struct runas *, char *err,
	    size_t errlen);

/* Becomes the user for good; -1 with a message in err. */
int	daemon_drop(const struct runas *, char *err, size_t errlen);

/* Runs workers (fastcgi_serve) under a supervising master until SIGTERM
 * or SIGINT.  Returns the exit status. */
int	daemon_run(const struct fastcgi_opts *, unsigned workers);

#endif
