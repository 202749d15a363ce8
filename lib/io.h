/*
 * I/O helpers: whole writes that survive EINTR and short writes, and the
 * body copy (splice(2) when the kernel allows it, read/write otherwise).
 */
#ifndef CORS_IO_H
#define CORS_IO_H

#include <sys/types.h>

#include <stddef.h>

int	io_write_all(int fd, const void *, size_t);
int	io_write2(int fd, const void *, size_t, const void *, size_t);

/* Copies from until EOF.  Returns 0, or -1 with errno set; *wrote tells
 * whether the failure was on the writing side. */
int	io_copy(int from, int to, int *write_failed);

#endif
