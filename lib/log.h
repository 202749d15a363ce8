/*
 * One-line log messages on a descriptor (stderr: the server's error log).
 * Every byte that is not printable ASCII is escaped, so request data in a
 * message can never start a new line or hide in a terminal.
 */
#ifndef CORS_LOG_H
#define CORS_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG
};

struct logger {
	enum log_level	 level;	/* messages above it are dropped */
	int		 fd;
	/* When set, lines go here instead of fd: in FastCGI mode a
	 * request's lines travel as FCGI_STDERR to the server's log. */
	void		(*sink)(void *, const char *, size_t);
	void		*ctx;
};

const char	*log_level_str(enum log_level);
int		 log_level_parse(const char *, enum log_level *);

void	log_msg(const struct logger *, enum log_level, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_vmsg(const struct logger *, enum log_level, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));

/* Escapes src (n bytes) into dst as log_msg would; returns dst. */
char	*log_escape(char *dst, size_t dstlen, const char *src, size_t n);

#endif
