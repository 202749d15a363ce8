/*
 * A FIFO of bytes kept in memory up to a bound, then in an unlinked
 * temporary file: what a script writes before its request body has been
 * passed on waits here (nginx stops sending the body once an answer's
 * header has reached the client), without holding a large answer in
 * memory.
 */
#ifndef CORS_SPOOL_H
#define CORS_SPOOL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MEM	65536

struct spool {
	char	*mem;		/* SPOOL_MEM bytes, allocated once */
	size_t	 mhead, mtail;	/* unread bytes are mem[mhead..mtail) */
	int	 fd;		/* -1 until memory is full */
	off_t	 fhead, ftail;
	const char *tmpdir;
	/* NULL, or a count of bytes held by several spools (a worker's),
	 * kept up to date by every call below; set after spool_init. */
	uint64_t *total;
};

/* An empty spool that holds nothing yet, no descriptor included (fd -1:
 * a zeroed struct would hold descriptor 0, which spool_reset closes).
 * spool_reset and spool_free are safe on it. */
void	spool_blank(struct spool *);
int	spool_init(struct spool *, const char *tmpdir);
void	spool_free(struct spool *);
void	spool_reset(struct spool *);	/* empty, file closed */
size_t	spool_size(const struct spool *);
int	spool_write(struct spool *, const void *, size_t);
/* Reads up to n bytes from the front; returns the count, or -1. */
ssize_t	spool_read(struct spool *, void *, size_t n);

#endif
