/*
 * tests/lib/spawnign.c: runs PROG (fixed at build time: -DPROG=...) with
 * this program's arguments through posix_spawn(3), as GNU make and other
 * posix_spawn users start their children: glibc's posix_spawn leaves its
 * two internal signals (32 and 33) ignored in the child, and so the
 * program starts with them ignored, which no shell can arrange.
 */
#include <spawn.h>
#include <sys/wait.h>

extern char	**environ;

int
main(int argc, char *argv[])
{
	pid_t	 pid;
	int	 st;

	(void)argc;
	argv[0] = (char *)PROG;
	if (posix_spawn(&pid, PROG, NULL, NULL, argv, environ) != 0)
		return 127;
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return 128;
	return WEXITSTATUS(st);
}
