/*
 * bench/fcgi204 SOCKET NPROC: the cheapest FastCGI preflight responder
 * libfcgi allows: NPROC processes accept on the unix socket SOCKET and
 * answer every request with the same fixed 204 and CORS header block,
 * deciding nothing.  The reference for cors-wrap's in-worker preflights.
 * Bench-only code (link with -lfcgi).
 */
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fcgiapp.h>

/* What cors-wrap answers to bench/run's preflight, byte for byte. */
static const char answer[] =
    "Status: 204 No Content\r\n"
    "Access-Control-Allow-Origin: https://app.example.com\r\n"
    "Access-Control-Allow-Headers: content-type\r\n"
    "Access-Control-Allow-Methods: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT\r\n"
    "Vary: Origin, Access-Control-Request-Method, "
    "Access-Control-Request-Headers\r\n"
    "\r\n";

static void
serve(int fd)
{
	FCGX_Request	 r;

	if (FCGX_InitRequest(&r, fd, 0) != 0)
		exit(1);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	exit(0);
}

int
main(int argc, char *argv[])
{
	char	*end;
	long	 n;
	int	 fd, i;

	if (argc != 3 || (n = strtol(argv[2], &end, 10)) < 1 || n > 64 ||
	    *end != '\0') {
		fprintf(stderr, "usage: fcgi204 SOCKET NPROC\n");
		return 2;
	}
	if (FCGX_Init() != 0)
		return 1;
	if ((fd = FCGX_OpenSocket(argv[1], 128)) == -1) {
		perror("fcgi204: FCGX_OpenSocket");
		return 1;
	}
	for (i = 1; i < n; i++) {
		switch (fork()) {
		case -1:
			perror("fcgi204: fork");
			return 1;
		case 0:
			/* Stopped with the parent, which bench/run stops. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() == 1)
				_exit(0);
			serve(fd);
		}
	}
	serve(fd);
	return 0;
}
