#include "ratelimit.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

bool
ratelimit_take(struct ratelimit *r, unsigned per_minute, int64_t now,
    uint64_t *suppressed)
{
	int64_t	 cap = (int64_t)per_minute * 1000, elapsed;

	*suppressed = 0;
	if (per_minute == 0)
		return true;
	if (r->last_ms == 0 || now < r->last_ms) {
		r->tokens_milli = cap;
	} else {
		elapsed = now - r->last_ms;
		/* per_minute lines per 60000 ms, in thousandths of a line */
		if (elapsed > 60000)
			r->tokens_milli = cap;
		else
			r->tokens_milli += elapsed * per_minute / 60;
		if (r->tokens_milli > cap)
			r->tokens_milli = cap;
	}
	r->last_ms = now;
	if (r->tokens_milli < 1000) {
		r->suppressed++;
		return false;
	}
	r->tokens_milli -= 1000;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return true;
}

bool
ratelimit_take_file(const char *path, unsigned per_minute,
    uint64_t *suppressed)
{
	struct ratelimit	 r;
	struct flock		 fl;
	struct stat		 st;
	ssize_t			 n;
	bool			 ok;
	int			 fd;

	*suppressed = 0;
	if (per_minute == 0)
		return true;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return true;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		return true;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) == -1)
		if (errno != EINTR) {
			close(fd);
			return true;
		}
	memset(&r, 0, sizeof(r));
	n = pread(fd, &r, sizeof(r), 0);
	if (n != (ssize_t)sizeof(r))
		memset(&r, 0, sizeof(r));
	/* CLOCK_MONOTONIC is system-wide, so every process agrees on it. */
	ok = ratelimit_take(&r, per_minute, clock_ms(), suppressed);
	(void)!pwrite(fd, &r, sizeof(r), 0);
	close(fd);	/* releases the lock */
	return ok;
}
