#include "daemon.h"

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define WORKERS_MAX	256
#define RESPAWN_MIN_S	1	/* a worker dying faster is restarted late */

bool
daemon_fd0_is_listener(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	return getpeername(0, (struct sockaddr *)&ss, &len) == -1 &&
	    errno == ENOTCONN;
}

int
daemon_systemd_fd(void)
{
	const char	*pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char		*end;

	if (pid == NULL || fds == NULL ||
	    strtol(pid, &end, 10) != (long)getpid() || *end != '\0' ||
	    strtol(fds, &end, 10) < 1 || *end != '\0')
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

int
daemon_runas(const char *user, struct runas *ra, char *err, size_t errlen)
{
	struct passwd	*pw = NULL;

	memset(ra, 0, sizeof(*ra));
	if (user != NULL && (pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "-u %s: no such user", user);
		return -1;
	}
	if (geteuid() != 0) {
		/* Nothing to change; -u naming someone else is a mistake
		 * better reported than ignored. */
		if (pw != NULL && pw->pw_uid != geteuid()) {
			snprintf(err, errlen, "-u %s needs root; running as "
			    "uid %lu", user, (unsigned long)geteuid());
			return -1;
		}
		return 0;
	}
	if (pw == NULL) {
		snprintf(err, errlen, "refusing to run scripts as root: give "
		    "-u USER (the user scripts run as), or start as that "
		    "user");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "-u %s: scripts must not run as root",
		    user);
		return -1;
	}
	if (strlen(pw->pw_name) >= sizeof(ra->name)) {
		snprintf(err, errlen, "-u %s: user name too long", user);
		return -1;
	}
	ra->change = true;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	memcpy(ra->name, pw->pw_name, strlen(pw->pw_name) + 1);
	return 0;
}

int
daemon_drop(const struct runas *ra, char *err, size_t errlen)
{
	if (!ra->change)
		return 0;
	if (initgroups(ra->name, ra->gid) == -1 || setgid(ra->gid) == -1 ||
	    setuid(ra->uid) == -1) {
		snprintf(err, errlen, "becoming %s: %s", ra->name,
		    strerror(errno));
		return -1;
	}
	/* setuid(2) from root changes all three ids; make sure. */
	if (setuid(0) != -1 || geteuid() == 0 || getegid() == 0) {
		snprintf(err, errlen, "could still regain root after becoming "
		    "%s", ra->name);
		return -1;
	}
	return 0;
}

static int
parse_port(const char *s, in_port_t *port)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

int
daemon_listen(const struct socket_opts *o, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct stat		 st;
	const char		*spec = o->spec, *colon;
	char			 host[64];
	int			 fd, one = 1, family;

	memset(&ss, 0, sizeof(ss));
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;

		spec += 5;
		if (strlen(spec) >= sizeof(sun->sun_path) || spec[0] != '/') {
			snprintf(err, errlen, "%s: not an absolute path short "
			    "enough for a socket", spec);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, spec, strlen(spec) + 1);
		len = sizeof(*sun);
		family = AF_UNIX;
		/* A stale socket from a previous run is replaced; any other
		 * file is left alone. */
		if (lstat(spec, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(spec);
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

		spec += 4;
		if ((colon = strrchr(spec, ':')) == NULL ||
		    (size_t)(colon - spec) >= sizeof(host)) {
			snprintf(err, errlen, "%s: expected tcp:ADDRESS:PORT",
			    o->spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
		    parse_port(colon + 1, &sin->sin_port) == -1) {
			snprintf(err, errlen, "%s: expected tcp:ADDRESS:PORT",
			    o->spec);
			return -1;
		}
		len = sizeof(*sin);
		family = AF_INET;
	} else if (strncmp(spec, "tcp6:[", 6) == 0) {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
		const char		*rb;

		spec += 6;
		if ((rb = strchr(spec, ']')) == NULL || rb[1] != ':' ||
		    (size_t)(rb - spec) >= sizeof(host)) {
			snprintf(err, errlen, "%s: expected tcp6:[ADDRESS]:PORT",
			    o->spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(rb - spec));
		host[rb - spec] = '\0';
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
		    parse_port(rb + 2, &sin6->sin6_port) == -1) {
			snprintf(err, errlen, "%s: expected tcp6:[ADDRESS]:PORT",
			    o->spec);
			return -1;
		}
		len = sizeof(*sin6);
		family = AF_INET6;
	} else {
		snprintf(err, errlen, "%s: expected unix:PATH, tcp:ADDRESS:PORT "
		    "or tcp6:[ADDRESS]:PORT", o->spec);
		return -1;
	}

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(err, errlen, "bind %s: %s", o->spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (family == AF_UNIX) {
		const char	*path = o->spec + 5;

		if (chmod(path, o->mode) == -1 ||
		    ((o->uid != (uid_t)-1 || o->gid != (gid_t)-1) &&
		    chown(path, o->uid, o->gid) == -1)) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (listen(fd, SOMAXCONN) == -1) {
		snprintf(err, errlen, "listen %s: %s", o->spec,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static pid_t
spawn_worker(const struct fastcgi_opts *o, pid_t master,
    const sigset_t *blocked)
{
	pid_t	 pid;

	if ((pid = fork()) != 0)
		return pid;
	/* A worker must not outlive its master: when the master dies, even
	 * by SIGKILL, the worker gets SIGTERM and finishes what it has. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	/* Inherited by every script: no setuid or file-capability program a
	 * script runs can gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		_exit(1);
	sigprocmask(SIG_UNBLOCK, blocked, NULL);
	_exit(fastcgi_serve(o));
}

int
daemon_run(const struct fastcgi_opts *o, unsigned nworkers)
{
	struct logger		 lg = { LOG_WARN, STDERR_FILENO, NULL, NULL };
	struct signalfd_siginfo	 si;
	pid_t			 pids[WORKERS_MAX], master = getpid(), pid;
	time_t			 born[WORKERS_MAX];
	sigset_t		 set;
	unsigned		 i, alive = 0;
	int			 sfd, st;
	bool			 stopping = false;

	if (nworkers > WORKERS_MAX)
		nworkers = WORKERS_MAX;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1) {
		log_msg(&lg, LOG_ERROR, "signalfd: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < nworkers; i++) {
		pids[i] = spawn_worker(o, master, &set);
		born[i] = time(NULL);
		if (pids[i] > 0)
			alive++;
	}
	while (alive > 0) {
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stopping = true;
			for (i = 0; i < nworkers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			break;
		case SIGHUP:
			for (i = 0; i < nworkers; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGHUP);
			break;
		case SIGCHLD:
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				for (i = 0; i < nworkers; i++)
					if (pids[i] == pid)
						break;
				if (i == nworkers)
					continue;
				alive--;
				pids[i] = 0;
				if (stopping)
					continue;
				log_msg(&lg, LOG_ERROR, "worker %ld died (%s "
				    "%d); starting another", (long)pid,
				    WIFSIGNALED(st) ? "signal" : "status",
				    WIFSIGNALED(st) ? WTERMSIG(st) :
				    WEXITSTATUS(st));
				if (time(NULL) - born[i] < RESPAWN_MIN_S)
					sleep(RESPAWN_MIN_S);
				pids[i] = spawn_worker(o, master, &set);
				born[i] = time(NULL);
				if (pids[i] > 0)
					alive++;
			}
			break;
		}
	}
	return 0;
}
