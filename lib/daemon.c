#include "daemon.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "clock.h"
#include "leakcheck.h"
#include "log.h"
#include "metrics.h"
#include "orphans.h"

#define WORKERS_MAX	256

/* Without close_range(2) and /proc, the descriptors tried one by one for
 * close-on-exec: a limit of 2^30 (some containers) would take minutes. */
#define INHERITED_FD_SCAN_MAX	65536
#define RESPAWN_MIN_MS	1000	/* a worker dying faster is restarted late */

bool
daemon_fd0_is_listener(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	return getpeername(0, (struct sockaddr *)&ss, &len) == -1 &&
	    errno == ENOTCONN;
}

static void
cloexec(int fd)
{
	int	 fl = fcntl(fd, F_GETFD);

	if (fl != -1 && !(fl & FD_CLOEXEC))
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

void
daemon_cloexec_inherited(void)
{
	struct rlimit	 rl;
	struct dirent	*de;
	DIR		*d;
	long		 fd;
	rlim_t		 i;
	char		*end;

#ifdef CLOSE_RANGE_CLOEXEC
	/* Linux 5.11 and later. */
	if (close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			fd = strtol(de->d_name, &end, 10);
			if (*end == '\0' && end != de->d_name &&
			    fd > STDERR_FILENO && fd != dirfd(d))
				cloexec((int)fd);
		}
		closedir(d);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur > INHERITED_FD_SCAN_MAX)
		rl.rlim_cur = INHERITED_FD_SCAN_MAX;
	for (i = STDERR_FILENO + 1; i < rl.rlim_cur; i++)
		cloexec((int)i);
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

/* daemon_runas and daemon_drop still report in err: account.h's
 * diag, moved there.  Returns -1. */
static int
diag_to(struct diag *d, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", diag_text(d));
	diag_free(d);
	return -1;
}

int
daemon_runas(const char *user, struct runas *ra, char *err, size_t errlen)
{
	struct account	 a;
	struct diag	 d = { 0 };
	int		 found = 0;

	memset(ra, 0, sizeof(*ra));
	if (user != NULL) {
		if ((found = account_user(user, &a, &d)) == -1)
			return diag_to(&d, err, errlen);
		if (found == 0) {
			snprintf(err, errlen, "-u %s: no such user", user);
			return -1;
		}
	}
	if (geteuid() != 0) {
		/* Nothing to change; -u naming someone else is a mistake
		 * better reported than ignored. */
		if (found && a.uid != geteuid()) {
			snprintf(err, errlen, "-u %s needs root; running as "
			    "uid %lu", user, (unsigned long)geteuid());
			return -1;
		}
		return 0;
	}
	if (!found) {
		snprintf(err, errlen, "refusing to run scripts as root: give "
		    "-u USER (the user scripts run as), or start as that "
		    "user");
		return -1;
	}
	if (a.uid == 0) {
		snprintf(err, errlen, "-u %s: scripts must not run as root",
		    user);
		return -1;
	}
	ra->change = true;
	ra->uid = a.uid;
	ra->gid = a.gid;
	memcpy(ra->name, a.name, sizeof(ra->name));
	return 0;
}

int
daemon_drop(const struct runas *ra, char *err, size_t errlen)
{
	struct diag	 d = { 0 };
	gid_t		*groups;
	size_t		 n;
	int		 rc;

	if (!ra->change)
		return 0;
	/* initgroups(3), through getent: see account.h. */
	if (account_groups(ra->name, ra->gid, &groups, &n, &d) == -1)
		return diag_to(&d, err, errlen);
	rc = setgroups(n, groups);
	free(groups);
	if (rc == -1 || setgid(ra->gid) == -1 || setuid(ra->uid) == -1) {
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

/*
 * A unix socket is created by bind with the mode 0777 less the umask: set
 * to the mode wanted around it, the socket never exists with another mode,
 * and nothing changes it later by path, where a symlink swapped in by
 * whoever can write the directory would be followed.  The daemon has one
 * thread yet, so the umask is nobody else's.
 */
static int
bind_with_mode(int fd, const struct sockaddr_storage *ss, socklen_t len,
    bool unix_socket, mode_t mode)
{
	mode_t	 old = 0;
	int	 rc, e;

	if (unix_socket)
		old = umask(~mode & 0777);
	rc = bind(fd, (const struct sockaddr *)ss, len);
	e = errno;
	if (unix_socket)
		umask(old);
	errno = e;
	return rc;
}

/*
 * Gives the socket at path its owner (-U, -G) without following links:
 * the file is opened O_PATH | O_NOFOLLOW, checked to be a socket, and
 * changed through that descriptor.  A symlink or any other file put in
 * its place after bind is left alone and stops the start.  (fchown on the
 * socket's own descriptor would change the socket, not its file.)
 */
static int
chown_socket(const char *path, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	struct stat	 st;
	int		 pfd, e;

	if ((pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(pfd, &st) == -1)
		e = errno;
	else if (!S_ISSOCK(st.st_mode))
		e = -1;
	else
		e = fchownat(pfd, "", uid, gid, AT_EMPTY_PATH) == -1 ? errno : 0;
	close(pfd);
	if (e != 0)
		snprintf(err, errlen, "%s: %s", path, e > 0 ? strerror(e) :
		    "not the socket bound any more: replaced?");
	return e != 0 ? -1 : 0;
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
	if (bind_with_mode(fd, &ss, len, family == AF_UNIX, o->mode) == -1) {
		snprintf(err, errlen, "bind %s: %s", o->spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (family == AF_UNIX && (o->uid != (uid_t)-1 || o->gid != (gid_t)-1) &&
	    chown_socket(o->spec + 5, o->uid, o->gid, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	if (listen(fd, SOMAXCONN) == -1) {
		snprintf(err, errlen, "listen %s: %s", o->spec,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The worker of slot i: its counters are the slot's, which a worker
 * started in place of a dead one continues. */
static pid_t
spawn_worker(const struct fastcgi_opts *o, pid_t master,
    const sigset_t *blocked, struct metrics *m, unsigned i)
{
	struct fastcgi_opts	 wo;
	pid_t			 pid;

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
	wo = *o;
	wo.metrics = m;
	wo.metrics_slot = metrics_slot(m, i);
	{
		int	 rc = fastcgi_serve(&wo);

		leak_check();
		_exit(rc);
	}
}

/*
 * Starts every worker missing (pids[i] <= 0) whose time has come (due[i],
 * ms of the monotonic clock, at or before now); returns how many started.
 * *retry_at gets the time the next missing one is due, 0 when none is.
 * A fork that fails (RLIMIT_NPROC, which the master shares with the
 * scripts' user, or memory) is logged and tried again RESPAWN_MIN_MS
 * later: a master that gave up would leave the socket served by fewer
 * workers, or by none, and exit without a word when the last one died.
 */
static unsigned
start_workers(const struct fastcgi_opts *o, pid_t master,
    const sigset_t *blocked, struct metrics *m, pid_t *pids, long *born,
    long *due, unsigned n, const struct logger *lg, long *retry_at)
{
	long		 now = (long)clock_ms();
	unsigned	 i, started = 0;
	bool		 failed = false;

	*retry_at = 0;
	for (i = 0; i < n; i++) {
		if (pids[i] > 0)
			continue;
		if (due[i] <= now) {
			pids[i] = spawn_worker(o, master, blocked, m, i);
			born[i] = now;
			if (pids[i] > 0) {
				started++;
				continue;
			}
			pids[i] = 0;
			if (!failed)
				log_msg(lg, LOG_ERROR, "cannot start a worker: "
				    "%s; trying again in %d s", strerror(errno),
				    RESPAWN_MIN_MS / 1000);
			failed = true;
			due[i] = now + RESPAWN_MIN_MS;
		}
		if (*retry_at == 0 || due[i] < *retry_at)
			*retry_at = due[i];
	}
	return started;
}

int
daemon_run(const struct fastcgi_opts *o, unsigned nworkers)
{
	struct logger		 lg = { .level = LOG_WARN,
				    .fd = STDERR_FILENO, .format = o->log_format };
	struct signalfd_siginfo	 si;
	struct orphans		 orph;
	struct metrics		*m;
	struct pollfd		 pfd;
	pid_t			 pids[WORKERS_MAX], master = getpid(), pid;
	long			 born[WORKERS_MAX], due[WORKERS_MAX], retry_at = 0;
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
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		log_msg(&lg, LOG_WARN, "cannot adopt the scripts of workers "
		    "that die: %s", strerror(errno));
	memset(&orph, 0, sizeof(orph));
	for (i = 0; i < nworkers; i++) {
		pids[i] = 0;
		born[i] = due[i] = 0;
	}
	/* Before the first fork: every worker maps the same region. */
	if ((m = metrics_create(nworkers)) == NULL)
		log_msg(&lg, LOG_WARN, "no counters for CORS_METRICS: %s",
		    strerror(errno));
	alive = start_workers(o, master, &set, m, pids, born, due, nworkers,
	    &lg, &retry_at);
	/* Stopping, the master waits out the grace of what its workers'
	 * scripts left behind, as for a worker that died: SIGTERM, then
	 * SIGKILL (orphans_kill), not SIGKILL at once. */
	while (!stopping || alive > 0 || orphans_wait(&orph) != -1) {
		int	 wait = orphans_wait(&orph);

		if (retry_at != 0 && !stopping) {
			long	 ms = retry_at - (long)clock_ms();

			if (ms < 0)
				ms = 0;
			if (wait == -1 || ms < wait)
				wait = (int)ms;
		}
		pfd.fd = sfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		(void)poll(&pfd, 1, wait);
		orphans_kill(&orph, pids, nworkers, &lg);
		if (retry_at != 0 && !stopping && (long)clock_ms() >= retry_at)
			alive += start_workers(o, master, &set, m, pids, born,
			    due, nworkers, &lg, &retry_at);
		if ((pfd.revents & POLLIN) == 0 ||
		    read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			/* The second asks to stop now: a graceful stop waits
			 * for every request, and an event stream without -T
			 * never ends.  Each worker is told with SIGUSR1 (it
			 * may get SIGTERM twice, from the master and from its
			 * process group): it cuts every answer off, as a
			 * server sees, and stops the scripts. */
			if (!stopping)
				fastcgi_unlisten(o);
			else
				log_msg(&lg, LOG_WARN, "a second %s: stopping "
				    "now, requests in progress cut off",
				    si.ssi_signo == SIGINT ? "SIGINT" :
				    "SIGTERM");
			for (i = 0; i < nworkers; i++)
				if (pids[i] > 0)
					kill(pids[i], stopping ? SIGUSR1 :
					    SIGTERM);
			stopping = true;
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
					continue;	/* an orphan */
				alive--;
				pids[i] = 0;
				orphans_stop(&orph, pids, nworkers);
				if (stopping)
					continue;
				log_msg(&lg, LOG_ERROR, "worker %ld died (%s "
				    "%d); starting another", (long)pid,
				    WIFSIGNALED(st) ? "signal" : "status",
				    WIFSIGNALED(st) ? WTERMSIG(st) :
				    WEXITSTATUS(st));
				/* The pause is a time to start it at, not a
				 * sleep: sleeping, the master heard no
				 * SIGTERM (the socket stayed open for a
				 * second) and no other worker's death. */
				due[i] = (long)clock_ms() - born[i] <
				    RESPAWN_MIN_MS ? (long)clock_ms() +
				    RESPAWN_MIN_MS : 0;
			}
			if (!stopping)
				alive += start_workers(o, master, &set, m, pids,
				    born, due, nworkers, &lg, &retry_at);
			break;
		}
	}
	orphans_finish(&orph);
	metrics_free(m);
	return 0;
}
