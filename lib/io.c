#include "io.h"

#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#define IO_CHUNK	65536

int
io_write_all(int fd, const void *buf, size_t n)
{
	const char	*p = buf;
	ssize_t		 w;

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
		if (w == -1 && errno == EINTR)
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

static int
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

int
io_copy(int from, int to, int *write_failed)
{
	ssize_t	 n;

	*write_failed = 0;
	/* from is the script's pipe, so splice(2) moves pages without a
	 * copy through user space whatever "to" is. */
	for (;;) {
		n = splice(from, NULL, to, NULL, (size_t)IO_CHUNK * 16,
		    SPLICE_F_MOVE | SPLICE_F_MORE);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL || errno == ENOSYS)
			return copy_rw(from, to, write_failed);
		/* splice reports a write-side failure (EPIPE, ECONNRESET)
		 * with the writer's errno. */
		*write_failed = errno == EPIPE || errno == ECONNRESET ||
		    errno == EBADF;
		return -1;
	}
}
