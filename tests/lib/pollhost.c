/*
 * A CGI host that drives its program as Python's subprocess.communicate()
 * does: it writes the request body into the program's stdin while it reads
 * the answer from its stdout, both pipes, with poll(2), read(2) and
 * write(2) on non-blocking descriptors.
 *
 *   pollhost [-n] [-s] SECONDS BYTES PROGRAM [ARG ...]
 *
 * With -s the program's stdout is a unix socket, as under Apache mod_cgid.
 * With -n the program's stdout is non-blocking (a server may hand its CGI
 * programs such a pipe: the flag belongs to the open file both ends of the
 * fork share), and the host reads nothing for its first HOLD_MS, so that
 * the program finds that pipe full.
 *
 * The body is BYTES pseudo-random bytes; the program's environment is ours
 * (the test sets the CGI variables).  The answer must be a CGI header block
 * and then the body, byte for byte (a script that runs `exec cat`).  Exits
 * 0 when it is, 1 when it is not, 2 when the exchange did not end within
 * SECONDS.
 *
 * The watchdog is a process of its own: a read of a pipe whose lock the
 * program holds sleeps uninterruptibly, so no alarm in this process could
 * end it.  The watchdog kills the program's process group, which ends the
 * program's hold, and this process then reports the timeout.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	512	/* what subprocess.communicate writes at a time */
#define HOLD_MS	1000

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pf[2];
	unsigned char	*body, *out = NULL, *p;
	size_t		 len, sent = 0, got = 0, cap = 0, i, hdr;
	uint32_t	 x = 2463534242u;
	double		 limit, start;
	ssize_t		 n;
	pid_t		 pid, dog;
	int		 in[2], ot[2], nfd, st, left, r, hold = 0, sock = 0;

	for (; argc > 1 && argv[1][0] == '-'; argv++, argc--) {
		if (strcmp(argv[1], "-n") == 0)
			hold = HOLD_MS;
		else if (strcmp(argv[1], "-s") == 0)
			sock = 1;
		else
			break;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: pollhost [-n] [-s] SECONDS BYTES "
		    "PROGRAM [ARG ...]\n");
		return 1;
	}
	limit = strtod(argv[1], NULL);
	len = (size_t)strtoull(argv[2], NULL, 10);
	if ((body = malloc(len + 1)) == NULL)
		return 1;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		body[i] = (unsigned char)x;
	}
	if (pipe(in) == -1 || (sock ? socketpair(AF_UNIX, SOCK_STREAM, 0, ot) :
	    pipe(ot)) == -1) {
		perror("pollhost: pipe");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (hold > 0)
		fcntl(ot[1], F_SETFL, O_NONBLOCK);
	if ((pid = fork()) == 0) {
		setpgid(0, 0);
		dup2(in[0], STDIN_FILENO);
		dup2(ot[1], STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(ot[0]);
		close(ot[1]);
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (pid == -1) {
		perror("pollhost: fork");
		return 1;
	}
	setpgid(pid, pid);
	if ((dog = fork()) == 0) {
		struct timespec	 t = { (time_t)limit + 1, 0 };

		/* The pipes stay the host's alone: their ends here would
		 * keep the program from seeing the end of its input. */
		close(in[0]);
		close(in[1]);
		close(ot[0]);
		close(ot[1]);
		while (nanosleep(&t, &t) == -1 && errno == EINTR)
			;
		kill(-pid, SIGKILL);
		_exit(0);
	}
	close(in[0]);
	close(ot[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(ot[0], F_SETFL, O_NONBLOCK);
	if (len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	start = now();
	for (;;) {
		nfd = 0;
		/* poll(2) skips a negative descriptor: no reading yet. */
		pf[nfd].fd = (now() - start) * 1000 < hold ? -1 : ot[0];
		pf[nfd++].events = POLLIN;
		if (in[1] != -1) {
			pf[nfd].fd = in[1];
			pf[nfd++].events = POLLOUT;
		}
		left = (int)((limit - (now() - start)) * 1000);
		if (pf[0].fd == -1 && left > hold - (now() - start) * 1000)
			left = (int)(hold - (now() - start) * 1000) + 1;
		if (left <= 0)
			break;
		if ((r = poll(pf, (nfds_t)nfd, left)) <= 0)
			continue;	/* the hold or the time is up */
		if (in[1] != -1 && (pf[1].revents & (POLLOUT | POLLERR))) {
			n = write(in[1], body + sent, len - sent < CHUNK ?
			    len - sent : CHUNK);
			if (n > 0)
				sent += (size_t)n;
			if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
			    sent == len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (cap - got < 65536) {
				cap = cap * 2 + 65536;
				if ((p = realloc(out, cap)) == NULL)
					return 1;
				out = p;
			}
			n = read(ot[0], out + got, cap - got);
			if (n == 0)
				break;
			if (n > 0)
				got += (size_t)n;
		}
	}
	if (now() - start >= limit) {
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
		kill(dog, SIGKILL);
		waitpid(dog, &st, 0);
		fprintf(stderr, "pollhost: no end within %g s: %zu of %zu "
		    "bytes written, %zu read\n", limit, sent, len, got);
		return 2;
	}
	kill(dog, SIGKILL);
	waitpid(dog, &st, 0);
	waitpid(pid, &st, 0);
	for (hdr = 0; hdr + 1 < got; hdr++) {
		if (out[hdr] == '\n' && out[hdr + 1] == '\n') {
			hdr += 2;
			break;
		}
		if (hdr + 3 < got && memcmp(out + hdr, "\r\n\r\n", 4) == 0) {
			hdr += 4;
			break;
		}
	}
	if (got - hdr != len || (len > 0 && memcmp(out + hdr, body, len) != 0)) {
		fprintf(stderr, "pollhost: %zu body bytes back of %zu sent "
		    "(%zu of header), %s\n", got - hdr, len, hdr,
		    got - hdr == len ? "different" : "a different length");
		fprintf(stderr, "pollhost: answer begins: %.*s\n",
		    (int)(got < 200 ? got : 200), out != NULL ?
		    (char *)out : "");
		return 1;
	}
	printf("pollhost: %zu bytes echoed in %.2f s\n", len, now() - start);
	return 0;
}
