/*
 * bench/execwrap: the floor for any CGI wrapper.  It only replaces itself
 * with the program BENCH_EXEC names (the environment and arguments the
 * server gave pass through), so one fork and two execve per request, and
 * nothing else: no policy, no header, no pipe.  Bench-only code.
 */
#include <stdlib.h>
#include <unistd.h>

extern char	**environ;

int
main(int argc, char *argv[])
{
	const char	*prog = getenv("BENCH_EXEC");

	(void)argc;
	if (prog == NULL)
		return 127;
	argv[0] = (char *)prog;
	execve(prog, argv, environ);
	return 127;
}
