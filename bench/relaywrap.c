/*
 * bench/relaywrap: the floor for any CGI wrapper that must see the
 * script's header block before the server does, as cors-wrap's merging
 * mode must.  It starts the program BENCH_EXEC names with posix_spawn
 * (vfork: no page-table copy), its stdout on a pipe, copies what comes
 * out to its own stdout unchanged and waits for it: two processes and a
 * pipe per request, and nothing else: no policy, no parsing, no header
 * added.  Bench-only code.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char	**environ;

int
main(int argc, char *argv[])
{
	posix_spawn_file_actions_t	 fa;
	const char			*prog = getenv("BENCH_EXEC");
	char				 buf[4096];
	ssize_t				 n;
	pid_t				 pid;
	int				 p[2], st;

	(void)argc;
	if (prog == NULL || pipe2(p, O_CLOEXEC) == -1)
		return 127;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	argv[0] = (char *)prog;
	if (posix_spawn(&pid, prog, &fa, NULL, argv, environ) != 0)
		return 127;
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	close(STDOUT_FILENO);
	waitpid(pid, &st, 0);
	_exit(0);
}
