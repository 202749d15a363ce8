#include "pslquery.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "child.h"
#include "clock.h"

#define PROGRAM		"cors-wrap-psl"
#define ANSWER_MAX	1024	/* a domain, or a line saying why not */
/* What a working cors-wrap-psl never comes near: one domain, or a line,
 * within the milliseconds a list takes to load.  Past either, the program
 * is not the one make install put there, and --check must still end. */
#define OUTPUT_MAX	65536
#define WAIT_MS		5000

/* Where cors-wrap-psl is, from where this cors-wrap is; -1 with why in d. */
static int
program_path(char *path, size_t size, struct diag *d)
{
	static const char *const	 rel[] = { "/" PROGRAM,
					    "/../libexec/cors-wrap/" PROGRAM };
	char				 dir[PATH_MAX];
	char				*slash;
	ssize_t				 n;
	size_t				 i;

	if ((n = readlink("/proc/self/exe", dir, sizeof(dir) - 1)) == -1) {
		diag_add(d, "cannot find %s: /proc/self/exe: %s", PROGRAM,
		    strerror(errno));
		return -1;
	}
	dir[n] = '\0';
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
		if ((size_t)snprintf(path, size, "%s%s", dir, rel[i]) < size &&
		    access(path, X_OK) == 0)
			return 0;
	diag_add(d, "%s is neither in %s nor in %s/../libexec/cors-wrap "
	    "(where make install and the package put it)", PROGRAM,
	    dir, dir);
	return -1;
}

/* The program's words into out (the first ANSWER_MAX bytes), to the end,
 * *len set: the program must not die of SIGPIPE before its exit status
 * says what its words mean.  NULL, or why the program is broken: more
 * than OUTPUT_MAX bytes, or no end before deadline (a child of its own
 * that keeps the pipe open counts too). */
static const char *
answer_read(int fd, char *out, size_t *len, int64_t deadline)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		 rest[512];
	int64_t		 left;
	size_t		 total = 0;
	ssize_t		 got;

	*len = 0;
	for (;;) {
		if ((left = deadline - clock_ms()) <= 0)
			return "did not end within " BOUND(WAIT_MS) " ms";
		if (poll(&pfd, 1, (int)left) < 1)
			continue;	/* EINTR, or the time is up */
		got = *len < ANSWER_MAX ? read(fd, out + *len,
		    ANSWER_MAX - *len) : read(fd, rest, sizeof(rest));
		if (got == 0 || (got == -1 && errno != EINTR))
			return NULL;
		if (got == -1)
			continue;
		if (*len < ANSWER_MAX)
			*len += (size_t)got;
		if ((total += (size_t)got) > OUTPUT_MAX)
			return "wrote more than " BOUND(OUTPUT_MAX) " bytes";
	}
}

int
pslquery(const char *file, const char *domain, struct diag *d)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	char				 path[PATH_MAX + 64];
	char				 out[ANSWER_MAX + 1];
	const char			*broken;
	char *const			 argv[] = { PROGRAM, (char *)file,
					    (char *)domain, NULL };
	char *const			 envp[] = { NULL };
	pid_t				 pid = -1;
	size_t				 len = 0;
	int64_t				 deadline;
	int				 fds[2], e, st;

	if (program_path(path, sizeof(path), d) == -1)
		return -1;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		diag_add(d, "%s: pipe: %s", PROGRAM, strerror(errno));
		return -1;
	}
	/* A group of its own: what it leaves behind holding the pipe is
	 * stopped with it. */
	if ((e = posix_spawnattr_init(&at)) == 0) {
		if ((e = posix_spawnattr_setflags(&at,
		    POSIX_SPAWN_SETPGROUP)) == 0 &&
		    (e = posix_spawnattr_setpgroup(&at, 0)) == 0 &&
		    (e = posix_spawn_file_actions_init(&fa)) == 0) {
			if ((e = posix_spawn_file_actions_adddup2(&fa, fds[1],
			    1)) == 0 && (e = posix_spawn_file_actions_adddup2(
			    &fa, fds[1], 2)) == 0 &&
			    (e = posix_spawn_file_actions_addopen(&fa, 0,
			    "/dev/null", O_RDONLY, 0)) == 0)
				e = posix_spawn(&pid, path, &fa, &at, argv,
				    envp);
			posix_spawn_file_actions_destroy(&fa);
		}
		posix_spawnattr_destroy(&at);
	}
	(void)close(fds[1]);
	if (e != 0) {
		diag_add(d, "%s: %s", path, strerror(e));
		(void)close(fds[0]);
		return -1;
	}
	deadline = clock_ms() + WAIT_MS;
	broken = answer_read(fds[0], out, &len, deadline);
	(void)close(fds[0]);
	/* The end of its output is not its end: one that closes it and
	 * goes on would hold --check in waitpid for as long as it likes. */
	if (broken == NULL && !child_ended_within(pid, (long)(deadline -
	    clock_ms() > 0 ? deadline - clock_ms() : 0)))
		broken = "did not end within " BOUND(WAIT_MS) " ms";
	if (broken != NULL)
		(void)kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			diag_add(d, "%s: waitpid: %s", PROGRAM,
			    strerror(errno));
			return -1;
		}
	if (broken != NULL) {
		diag_add(d, "%s %s; stopped", path, broken);
		return -1;
	}
	while (len > 0 && out[len - 1] == '\n')
		len--;
	out[len] = '\0';
	/* Anything else beside the domain (a line on its standard error,
	 * which shares the pipe) is no answer: read as "not a public
	 * suffix", a glob on one would pass --check unseen. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && (len == 0 ||
	    strcmp(out, domain) == 0))
		return len > 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		diag_add(d, "%s answered neither the domain nor nothing", path);
	/* The list, not the program: say where one comes from. */
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 1 && len > 0)
		diag_add(d, "%s (install Debian's publicsuffix package, or name "
		    "the list in CORS_PSL_FILE)", out);
	else if (WIFEXITED(st))
		diag_add(d, "%s failed (exit status %d)", path,
		    WEXITSTATUS(st));
	else
		diag_add(d, "%s killed by signal %d", path, WTERMSIG(st));
	return -1;
}
