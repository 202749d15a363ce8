/*
 * bench/stream: the CGI scripts of the streaming rows (bench row 5), one
 * static binary chosen by the name it runs under, so that it can be a
 * CORS_EXEC or SCRIPT_FILENAME (no arguments there):
 *   stream-out   a header block, then as many body bytes as QUERY_STRING
 *                says (a decimal number)
 *   stream-in    reads CONTENT_LENGTH bytes of request body (mod_cgid's
 *                stdin is a socket that never reaches end-of-file), then
 *                answers with the count
 * It moves 64 KiB at a time, a pipe's default capacity.  Static and
 * small, so that in the peak RSS of a process tree (what /usr/bin/time
 * reports) the wrapper's own memory is what shows.  Bench-only code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	65536

static char	 buf[CHUNK];

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static unsigned long long
number(const char *s)
{
	return s != NULL && *s != '\0' ? strtoull(s, NULL, 10) : 0;
}

static int
out(unsigned long long n)
{
	static const char	 hdr[] =
	    "Content-Type: application/octet-stream\r\n\r\n";
	size_t			 k;

	memset(buf, 'x', sizeof(buf));
	if (write_all(STDOUT_FILENO, hdr, sizeof(hdr) - 1) == -1)
		return 1;
	while (n > 0) {
		k = n > CHUNK ? CHUNK : (size_t)n;
		if (write_all(STDOUT_FILENO, buf, k) == -1)
			return 1;
		n -= k;
	}
	return 0;
}

static int
in(unsigned long long limit)
{
	unsigned long long	 got = 0;
	ssize_t			 r;
	size_t			 want;
	char			 msg[96];
	int			 len;

	while (got < limit) {
		want = limit - got > CHUNK ? CHUNK : (size_t)(limit - got);
		r = read(STDIN_FILENO, buf, want);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (unsigned long long)r;
	}
	len = snprintf(msg, sizeof(msg), "Content-Type: text/plain\r\n\r\n"
	    "%llu\n", got);
	return write_all(STDOUT_FILENO, msg, (size_t)len) == -1;
}

int
main(int argc, char *argv[])
{
	const char	*name;

	(void)argc;
	name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	if (strcmp(name, "stream-out") == 0)
		return out(number(getenv("QUERY_STRING")));
	if (strcmp(name, "stream-in") == 0)
		return in(number(getenv("CONTENT_LENGTH")));
	fprintf(stderr, "stream: run me as stream-out or stream-in\n");
	return 2;
}
