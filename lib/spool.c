#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
spool_blank(struct spool *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int
spool_init(struct spool *s, const char *tmpdir)
{
	spool_blank(s);
	s->tmpdir = tmpdir != NULL ? tmpdir : "/tmp";
	return (s->mem = malloc(SPOOL_MEM)) == NULL ? -1 : 0;
}

/* The bytes held changed from before to now: so does *s->total. */
static void
account(struct spool *s, size_t before)
{
	size_t	 now = spool_size(s);

	if (s->total == NULL)
		return;
	if (now >= before)
		*s->total += now - before;
	else
		*s->total -= before - now;
}

void
spool_reset(struct spool *s)
{
	size_t	 before = spool_size(s);

	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->mhead = s->mtail = 0;
	s->fhead = s->ftail = 0;
	account(s, before);
}

void
spool_free(struct spool *s)
{
	spool_reset(s);
	free(s->mem);
	s->mem = NULL;
}

size_t
spool_size(const struct spool *s)
{
	return (s->mtail - s->mhead) + (size_t)(s->ftail - s->fhead);
}

static int
open_file(struct spool *s)
{
	/* O_TMPFILE: never visible in the directory, gone when closed. */
	s->fd = open(s->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd == -1) {
		char	 path[4096];
		size_t	 n = strlen(s->tmpdir);

		if (n + 20 > sizeof(path))
			return -1;
		memcpy(path, s->tmpdir, n);
		memcpy(path + n, "/cors-wrap.XXXXXX", 18);
		if ((s->fd = mkostemp(path, O_CLOEXEC)) == -1)
			return -1;
		unlink(path);
	}
	s->fhead = s->ftail = 0;
	return 0;
}

static int	write_some(struct spool *, const void *, size_t);

int
spool_write(struct spool *s, const void *buf, size_t n)
{
	size_t	 before = spool_size(s);
	int	 rc = write_some(s, buf, n);

	account(s, before);
	return rc;
}

static int
write_some(struct spool *s, const void *buf, size_t n)
{
	const char	*p = buf;
	size_t		 room;
	ssize_t		 w;

	if (s->fd == -1) {
		if (s->mhead == s->mtail)
			s->mhead = s->mtail = 0;
		room = SPOOL_MEM - s->mtail;
		if (n <= room) {
			memcpy(s->mem + s->mtail, p, n);
			s->mtail += n;
			return 0;
		}
		memcpy(s->mem + s->mtail, p, room);
		s->mtail += room;
		p += room;
		n -= room;
		if (open_file(s) == -1)
			return -1;
	}
	while (n > 0) {
		w = pwrite(s->fd, p, n, s->ftail);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s->ftail += w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t	read_some(struct spool *, void *, size_t);

ssize_t
spool_read(struct spool *s, void *buf, size_t n)
{
	size_t	 before = spool_size(s);
	ssize_t	 r = read_some(s, buf, n);

	account(s, before);
	return r;
}

static ssize_t
read_some(struct spool *s, void *buf, size_t n)
{
	size_t	 m = s->mtail - s->mhead;
	ssize_t	 r;

	if (m > 0) {
		if (n > m)
			n = m;
		memcpy(buf, s->mem + s->mhead, n);
		s->mhead += n;
		return (ssize_t)n;
	}
	if (s->fd == -1 || s->fhead == s->ftail)
		return 0;
	if ((off_t)n > s->ftail - s->fhead)
		n = (size_t)(s->ftail - s->fhead);
	do
		r = pread(s->fd, buf, n, s->fhead);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return -1;
	s->fhead += r;
	if (s->fhead == s->ftail) {
		/* Drained: back to memory for whatever comes next. */
		close(s->fd);
		s->fd = -1;
		s->fhead = s->ftail = 0;
	}
	return r;
}
