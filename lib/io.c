#include "io.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

#define IO_CHUNK	65536
#define IO_SPLICE	(1 << 20)	/* bytes a splice may move; our
					   pipe's size (Linux's default
					   pipe-max-size) */

/*
 * Waits until fd is ready for events.  A server may hand cors-wrap a
 * stdout it made non-blocking (the flag belongs to the open file, which
 * the server's end may share): EAGAIN from it means "wait", not "fail".
 * Errors and hang-ups count as ready: the next call on fd reports them.
 */
static int
wait_for(int fd, short events)
{
	struct pollfd	 p = { fd, events, 0 };

	while (poll(&p, 1, -1) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Did a write fail only because fd is non-blocking and full?  Then
 * waits for room and says so. */
static bool
waited_for_room(int fd)
{
	return errno == EAGAIN && wait_for(fd, POLLOUT) == 0;
}

int
io_write_all(int fd, const void *buf, size_t n)
{
	const char	*p = buf;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR || waited_for_room(fd))
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Headers and the first body bytes in one system call, so a small answer
 * leaves in one packet. */
int
io_write2(int fd, const void *a, size_t alen, const void *b, size_t blen)
{
	struct iovec	 iov[2];
	ssize_t		 w;
	size_t		 done;

	/* writev(2) only reads the buffers; the cast drops const. */
	iov[0].iov_base = (void *)a;
	iov[0].iov_len = alen;
	iov[1].iov_base = (void *)b;
	iov[1].iov_len = blen;
	for (;;) {
		w = writev(fd, iov, blen > 0 ? 2 : 1);
		if (w == -1 && (errno == EINTR || waited_for_room(fd)))
			continue;
		if (w == -1)
			return -1;
		break;
	}
	done = (size_t)w;
	if (done < alen)
		return io_write_all(fd, (const char *)a + done, alen - done) ||
		    io_write_all(fd, b, blen) ? -1 : 0;
	return io_write_all(fd, (const char *)b + (done - alen),
	    blen - (done - alen));
}

/* Out of line for page faults: lib/cgi.c explains. */
static __attribute__((noinline)) int
copy_rw(int from, int to, int *write_failed)
{
	char	 buf[IO_CHUNK];
	ssize_t	 n;

	for (;;) {
		n = read(from, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (io_write_all(to, buf, (size_t)n) == -1) {
			*write_failed = 1;
			return -1;
		}
	}
}

/* splice reports a write-side failure (EPIPE, ECONNRESET) with the
 * writer's errno. */
static bool
write_side(int e)
{
	return e == EPIPE || e == ECONNRESET || e == EBADF;
}

/*
 * The rule of every splice here: cors-wrap never sleeps in a call that
 * holds something the server needs.  splice(2) from a socket into a pipe
 * takes the pipe's lock, then waits for data with it held (Linux,
 * splice_file_to_pipe and unix_stream_splice_read): a blocking splice into
 * the server's stdout pipe, while the script is quiet, made every read of
 * that pipe by the server wait for the script's next write, non-blocking
 * reads included.  lighttpd's one event loop stopped for all its clients;
 * Apache got each line at the next; a host that writes the body while it
 * reads the answer (Python's subprocess.communicate) never finished a
 * script that echoes its input.  Waiting for room in the pipe is harmless
 * (the lock is dropped meanwhile), waiting for the script is not.  So a
 * splice into the server's descriptor blocks only when the script's data
 * is known to be there (only cors-wrap reads that socket, so it stays
 * there); otherwise it is non-blocking, and cors-wrap waits in poll(2),
 * holding nothing.  No SPLICE_F_MORE either: the server gets each piece
 * as soon as the script writes it.
 */
#define IO_SPLICE_FLAGS	(SPLICE_F_MOVE | SPLICE_F_NONBLOCK)

/*
 * splice(2) needs a pipe at one end; with mod_cgid neither is one (the
 * script's socket into the server's), so the pages go through a pipe of
 * our own: two splices, still no copy through user space.  Filling our
 * pipe may block (nobody else uses it); emptying it into the server's
 * socket waits in poll when that socket is non-blocking.
 *
 * The server's socket gets a send buffer as wide as the script's (the
 * default is 208 KiB): with the default, cors-wrap and Apache took turns,
 * and 256 MiB through mod_cgid moved at 0.78 of the script's own
 * throughput (15 transfers each, medians, on two cores 70 % busy); with
 * 1 MiB at 1.00.  It bounds what is in flight, not when a byte leaves:
 * each piece still goes on as soon as it is written.  On a pipe this
 * fails (ENOTSOCK) and changes nothing.
 */
static int
copy_via_pipe(int from, int to, int *write_failed)
{
	const int	 wide = IO_SPLICE;
	ssize_t		 n, m;
	int		 p[2], rc = -1, e;

	(void)setsockopt(to, SOL_SOCKET, SO_SNDBUF, &wide, sizeof(wide));
	if (pipe2(p, O_CLOEXEC) == -1)
		return copy_rw(from, to, write_failed);
	(void)fcntl(p[0], F_SETPIPE_SZ, IO_SPLICE);
	for (;;) {
		n = splice(from, NULL, p[1], NULL, IO_SPLICE, SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			rc = 0;
		if (n <= 0)
			break;
		while (n > 0) {
			m = splice(p[0], NULL, to, NULL, (size_t)n,
			    SPLICE_F_MOVE);
			if (m > 0)
				n -= m;
			else if (m == -1 && (errno == EINTR ||
			    waited_for_room(to)))
				continue;
			else if (m == -1 && errno == EINVAL) {
				/* "to" takes no splice (a file opened
				 * for appending): what our pipe holds,
				 * then the rest, by read and write. */
				close(p[1]);
				p[1] = -1;
				if ((rc = copy_rw(p[0], to, write_failed)) == 0)
					rc = copy_rw(from, to, write_failed);
				goto out;
			} else {
				*write_failed = m == 0 || write_side(errno);
				goto out;
			}
		}
	}
out:
	e = errno;
	close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	errno = e;
	return rc;
}

int
io_copy(int from, int to, int *write_failed)
{
	ssize_t	 n;
	bool	 ready = false;	/* the script's data is waiting */

	*write_failed = 0;
	/* from is the script's socket or pipe: splice(2) moves pages without
	 * a copy through user space whenever one end is a pipe. */
	for (;;) {
		n = splice(from, NULL, to, NULL, IO_SPLICE,
		    ready ? SPLICE_F_MOVE : IO_SPLICE_FLAGS);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			/* Data or room was missing; with the data there,
			 * only room: the server's stdout is non-blocking. */
			if ((ready ? wait_for(to, POLLOUT) :
			    wait_for(from, POLLIN)) == -1)
				return -1;
			ready = true;
			continue;
		}
		ready = false;
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINVAL || errno == ENOSYS)
			return copy_via_pipe(from, to, write_failed);
		*write_failed = write_side(errno);
		return -1;
	}
}
