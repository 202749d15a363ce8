/*
 * bench/execwrap: the floor for any CGI wrapper.  It only replaces itself
 * with the program BENCH_EXEC names (the environment and arguments the
 * server gave pass through), so one fork and two execve per request, and
 * nothing else: no policy, no header, no pipe.  Bench-only code.
 *
 * Built with -DPREFIX_LINES it is bench/prefixwrap, the floor for a
 * wrapper that adds header lines and then becomes the script, as
 * cors-wrap's prepend mode does: first it writes the two lines cors-wrap
 * writes for the bench's request (bench/get.lua's Origin), in one
 * write(2), which a server reads on its own before the script's part of
 * the header block arrives.
 */
#include <stdlib.h>
#include <unistd.h>

extern char	**environ;

#ifdef PREFIX_LINES
static const char	 lines[] =
    "Access-Control-Allow-Origin: https://app.example.com\r\n"
    "Vary: Origin\r\n";
#endif

int
main(int argc, char *argv[])
{
	const char	*prog = getenv("BENCH_EXEC");

	(void)argc;
	if (prog == NULL)
		return 127;
#ifdef PREFIX_LINES
	if (write(STDOUT_FILENO, lines, sizeof(lines) - 1) !=
	    (ssize_t)(sizeof(lines) - 1))
		return 1;
#endif
	argv[0] = (char *)prog;
	execve(prog, argv, environ);
	return 127;
}
