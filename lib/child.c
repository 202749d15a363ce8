#include "child.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAIT_STEP_MS	10

static void
child_signals(sigset_t *def)
{
	unsigned long	*w = (unsigned long *)(void *)def;
	const size_t	 bits = 8 * sizeof(*w);
	int		 sig;

	sigemptyset(def);
	/* Everything cors-wrap (or a server before it) may have changed:
	 * scripts expect default dispositions, SIGPIPE especially.  The
	 * bits are set by hand: sigaddset(3) refuses glibc's two internal
	 * signals (32 and 33), and a posix_spawn child sets those it is not
	 * told to default to SIG_IGN, which survives execve (seen in
	 * /proc/PID/status).  A sigset_t is the kernel's mask, signal n at
	 * bit n-1 (what rt_sigprocmask(2) takes), on every Linux ABI. */
	for (sig = 1; sig < NSIG; sig++) {
		size_t	 b = (size_t)(sig - 1);

		if (sig != SIGKILL && sig != SIGSTOP &&
		    b / bits < sizeof(*def) / sizeof(*w))
			w[b / bits] |= 1UL << (b % bits);
	}
}

int
child_spawn(const struct script *s, char *const *envp, unsigned flags,
    pid_t *pid, int *in, int *out, int *err)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 def, none;
	int				 po[2], pi[2] = { -1, -1 };
	int				 pe[2] = { -1, -1 }, rc;
	short				 fl = POSIX_SPAWN_SETSIGDEF |
					    POSIX_SPAWN_SETSIGMASK;
	const int			 wide = SPAWN_WIDE_BUF;

	/*
	 * A relayed body (SPAWN_WIDE_OUT) goes through a socket, not a pipe.
	 * A pipe holds 4 KiB pages, and spliced on into mod_cgid's socket
	 * each page is a fragment the server reads separately; a socket's
	 * own buffers are larger, so the server reads the body as cheaply
	 * as when the script writes to it directly.  Measured through Apache
	 * (two sets of 15 transfers of 256 MiB): 0.81-0.84 of the script's
	 * own throughput through a 1 MiB pipe, 0.91-0.93 through a socket,
	 * and a tenth less CPU per transfer.  The buffer is as wide as that pipe
	 * was: with the default (208 KiB) the script and the relay take
	 * turns more often.  A smaller net.core.wmem_max only costs speed.
	 * mod_cgid gives a script a socket as stdout too.
	 */
	if (flags & SPAWN_WIDE_OUT) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, po) ==
		    -1)
			return errno;
		(void)setsockopt(po[1], SOL_SOCKET, SO_SNDBUF, &wide,
		    sizeof(wide));
		/* One way, as a pipe is. */
		(void)shutdown(po[0], SHUT_WR);
		(void)shutdown(po[1], SHUT_RD);
	} else if (pipe2(po, O_CLOEXEC) == -1)
		return errno;
	if (((flags & SPAWN_PIPE_IN) && pipe2(pi, O_CLOEXEC) == -1) ||
	    ((flags & SPAWN_PIPE_ERR) && pipe2(pe, O_CLOEXEC) == -1)) {
		rc = errno;
		close(po[0]);
		close(po[1]);
		if (pi[0] != -1) {
			close(pi[0]);
			close(pi[1]);
		}
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	child_signals(&def);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setsigmask(&at, &none);
	if (flags & SPAWN_PGROUP) {
		fl |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&at, 0);
	}
	posix_spawnattr_setflags(&at, fl);
	if (pi[0] != -1)
		posix_spawn_file_actions_adddup2(&fa, pi[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
	if (pe[1] != -1)
		posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
	if (s->dir != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, s->dir);
	/* posix_spawn uses vfork semantics in glibc: no page-table copy, so
	 * starting the script costs about what exec alone does. */
	rc = posix_spawn(pid, s->argv[0], &fa, &at, s->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(po[1]);
	if (pi[0] != -1)
		close(pi[0]);
	if (pe[1] != -1)
		close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		if (pi[1] != -1)
			close(pi[1]);
		if (pe[0] != -1)
			close(pe[0]);
		return rc;
	}
	*out = po[0];
	if (in != NULL)
		*in = pi[1];
	if (err != NULL)
		*err = pe[0];
	if (flags & (SPAWN_PIPE_IN | SPAWN_PIPE_ERR)) {
		/* The FastCGI loop multiplexes these: never block on one. */
		fcntl(po[0], F_SETFL, O_NONBLOCK);
		if (pi[1] != -1)
			fcntl(pi[1], F_SETFL, O_NONBLOCK);
		if (pe[0] != -1)
			fcntl(pe[0], F_SETFL, O_NONBLOCK);
	}
	return 0;
}

enum child_header
child_header_feed(const char *buf, size_t len, bool eof,
    struct cgi_headers *h, const struct answer *a, char *out, size_t outlen,
    size_t *outn, char *cause, size_t causelen)
{
	enum cgihdr_result	 r;
	const char		*bad;
	size_t			 l;
	ssize_t			 m;

	r = cgiheader_parse(buf, len, eof, h, &bad);
	if (r == CGIHDR_INCOMPLETE && !eof)
		return CHILD_HEADER_MORE;
	if (r == CGIHDR_BAD_LINE) {
		l = strcspn(bad, "\r\n");
		snprintf(cause, causelen, "%s: \"%.*s\"", cgihdr_str(r),
		    (int)(l > 80 ? 80 : l), bad);
		return CHILD_HEADER_BAD;
	}
	if (r != CGIHDR_OK) {
		snprintf(cause, causelen, "%s", cgihdr_str(r));
		return CHILD_HEADER_BAD;
	}
	if ((m = cgiheader_merge(h, a, out, outlen)) == -1) {
		snprintf(cause, causelen, "merged header block too large");
		return CHILD_HEADER_BAD;
	}
	*outn = (size_t)m;
	return CHILD_HEADER_MERGED;
}

int
child_stop_step(enum child_stage *stage, long now, long *next)
{
	*next = now + KILL_GRACE_MS;
	if (*stage == CHILD_RUNS) {
		*stage = CHILD_TERM_SENT;
		return SIGTERM;
	}
	*stage = CHILD_KILL_SENT;
	return SIGKILL;
}

bool
child_ended_within(pid_t pid, long ms)
{
	const struct timespec	 step = { 0, WAIT_STEP_MS * 1000000L };
	siginfo_t		 si;
	long			 waited = 0;

	for (;;) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == -1 && errno != EINTR)
			return true;	/* not our child any more */
		if (si.si_pid == pid)
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&step, NULL);
		waited += WAIT_STEP_MS;
	}
}

void
child_stop(pid_t target, int sig, pid_t pid)
{
	kill(target, sig);
	if (!child_ended_within(pid, KILL_GRACE_MS))
		kill(pid, SIGKILL);
}

void
child_describe_exit(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "stopped");
}
