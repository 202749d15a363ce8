/*
 * bench/prefixwrap: the floor for any CGI wrapper that adds header lines
 * and then replaces itself with the script, as cors-wrap's prepend mode
 * does.  It writes the two lines cors-wrap writes for the bench's request
 * (bench/get.lua's Origin), in one write(2), then execs the program
 * BENCH_EXEC names: one fork and two execve per request, like
 * bench/execwrap, plus the write that a server reads on its own before
 * the script's part of the header block arrives.  No configuration, no
 * decision.  Bench-only code.
 */
#include <stdlib.h>
#include <unistd.h>

extern char	**environ;

static const char	 lines[] =
    "Access-Control-Allow-Origin: https://app.example.com\r\n"
    "Vary: Origin\r\n";

int
main(int argc, char *argv[])
{
	const char	*prog = getenv("BENCH_EXEC");

	(void)argc;
	if (prog == NULL)
		return 127;
	if (write(STDOUT_FILENO, lines, sizeof(lines) - 1) !=
	    (ssize_t)(sizeof(lines) - 1))
		return 1;
	argv[0] = (char *)prog;
	execve(prog, argv, environ);
	return 127;
}
