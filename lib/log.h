/*
 * One-line log messages on a descriptor (stderr: the server's error log),
 * as text or as one JSON object a line (log_format).  Every byte that is
 * not printable ASCII is escaped as \xHH, in both forms, so request data
 * in a message can never start a new line, hide in a terminal or make a
 * line that a strict JSON parser rejects.
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

enum log_format {
	LOG_TEXT,	/* cors-wrap: LEVEL: MESSAGE */
	LOG_JSON	/* {"program":"cors-wrap","level":...,"message":...} */
};

/*
 * What a JSON line says of the request it is about, besides its message
 * (a text line says it in the message): each a field of the object when
 * not NULL.  Values are escaped as the message is, each at most
 * LOG_FIELD_MAX bytes of the original.
 */
#define LOG_FIELD_MAX	256
struct log_fields {
	const char	*event;		/* "refused", "would_refuse", "decided" */
	const char	*kind;		/* "preflight", "request" */
	const char	*method;
	const char	*path;
	const char	*origin;
	size_t		 origin_len;	/* origin is not NUL-terminated */
	const char	*section;
	const char	*reason;
};

struct logger {
	enum log_level	 level;	/* messages above it are dropped */
	int		 fd;
	/* When set, lines go here instead of fd: in FastCGI mode a
	 * request's lines travel as FCGI_STDERR to the server's log. */
	void		(*sink)(void *, const char *, size_t);
	void		*ctx;
	enum log_format	 format;
	struct log_fields req;	/* JSON lines only; zeroed: none */
};

const char	*log_level_str(enum log_level);
int		 log_level_parse(const char *, enum log_level *);
const char	*log_format_str(enum log_format);
int		 log_format_parse(const char *, enum log_format *);

void	log_msg(const struct logger *, enum log_level, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_vmsg(const struct logger *, enum log_level, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));

/* Escapes src (n bytes) into dst as log_msg would; returns dst. */
char	*log_escape(char *dst, size_t dstlen, const char *src, size_t n);

#endif
