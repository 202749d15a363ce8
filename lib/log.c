#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A JSON line, each hostile byte escaped in up to 5, is bounded, and so is
 * each field about the request, so that the message keeps room: the line
 * may go to nginx, which keeps 2048 bytes of an error log entry, its date,
 * pid and "FastCGI sent in stderr:" included, and cuts the rest, which
 * would leave no object.  That is the daemon's FCGI_STDERR, and CGI mode's
 * stderr too under fcgiwrap.  The text line's 1200 bytes fit. */
#define LOG_JSON_LINE_MAX	1920

static const char *const names[] = { "error", "warn", "info", "debug" };
static const char *const formats[] = { "text", "json" };
static const char	 hex[] = "0123456789abcdef";

/* The index of s among the n names, or -1. */
static int
name_index(const char *const *list, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_str(enum log_level l)
{
	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

int
log_level_parse(const char *s, enum log_level *l)
{
	int	 i = name_index(names, sizeof(names) / sizeof(names[0]), s);

	if (i == -1)
		return -1;
	*l = (enum log_level)i;
	return 0;
}

const char *
log_format_str(enum log_format f)
{
	return (unsigned)f < sizeof(formats) / sizeof(formats[0]) ?
	    formats[f] : "?";
}

int
log_format_parse(const char *s, enum log_format *f)
{
	int	 i = name_index(formats, sizeof(formats) / sizeof(formats[0]), s);

	if (i == -1)
		return -1;
	*f = (enum log_format)i;
	return 0;
}

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t			 i, o = 0;
	unsigned char		 c;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return dst;
}

/*
 * A JSON line being built.  cap keeps room for the object's closing
 * "}\n", and every string put leaves room for its closing quote, so that
 * what does not fit is cut and the line stays one valid object.
 */
struct jline {
	char	 buf[LOG_JSON_LINE_MAX];
	size_t	 len;
	size_t	 cap;
};

/* The string's text: log_escape's form (so that the value is the text
 * line's, byte for byte), then '"' and '\' escaped for JSON. */
static void
json_text(struct jline *j, const char *s, size_t n, size_t out)
{
	size_t		 i, need;
	size_t		 end = out < j->cap - j->len ? j->len + out : j->cap;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		need = c >= 0x20 && c < 0x7f && c != '\\' ? 1 + (c == '"') : 5;
		if (j->len + need + 1 > j->cap || j->len + need > end)
			return;
		if (need == 5) {
			memcpy(j->buf + j->len, "\\\\x", 3);
			j->buf[j->len + 3] = hex[c >> 4];
			j->buf[j->len + 4] = hex[c & 0xf];
		} else if (need == 2)
			memcpy(j->buf + j->len, "\\\"", 2);
		else
			j->buf[j->len] = (char)c;
		j->len += need;
	}
}

/* ,"name":"value" (without the comma first), of at most max bytes of v
 * written in at most out bytes; nothing when the name and the quotes do
 * not fit. */
static void
json_put(struct jline *j, const char *name, const char *v, size_t n,
    size_t max, size_t out)
{
	size_t	 nl = strlen(name);
	bool	 first = j->len == 1;

	if (v == NULL || j->len + !first + nl + 6 > j->cap)
		return;
	if (!first)
		j->buf[j->len++] = ',';
	j->buf[j->len++] = '"';
	memcpy(j->buf + j->len, name, nl);
	j->len += nl;
	memcpy(j->buf + j->len, "\":\"", 3);
	j->len += 3;
	json_text(j, v, n > max ? max : n, out);
	j->buf[j->len++] = '"';
}

/* A field about the request: at most LOG_FIELD_MAX bytes of its value. */
static void
json_field(struct jline *j, const char *name, const char *v, size_t n)
{
	json_put(j, name, v, n, LOG_FIELD_MAX, LOG_FIELD_MAX);
}

static void
json_cfield(struct jline *j, const char *name, const char *v)
{
	if (v != NULL)
		json_field(j, name, v, strlen(v));
}

static void
log_write(const struct logger *lg, const char *line, size_t n)
{
	if (lg->sink != NULL)
		lg->sink(lg->ctx, line, n);
	else	/* One write: lines from other processes do not interleave. */
		(void)!write(lg->fd, line, n);
}

/* Apart from log_vmsg: a text line never has this frame on its stack
 * (a CGI process pays a page fault for each page it touches). */
static void __attribute__((noinline))
log_json(const struct logger *lg, enum log_level l, const char *msg,
    size_t n)
{
	struct jline		 j;
	const struct log_fields	*f = &lg->req;

	j.len = 0;
	j.cap = sizeof(j.buf) - 2;
	j.buf[j.len++] = '{';
	json_cfield(&j, "program", "cors-wrap");
	json_cfield(&j, "level", log_level_str(l));
	json_cfield(&j, "event", f->event);
	json_cfield(&j, "kind", f->kind);
	json_cfield(&j, "section", f->section);
	json_cfield(&j, "reason", f->reason);
	json_cfield(&j, "method", f->method);
	json_field(&j, "origin", f->origin, f->origin_len);
	json_cfield(&j, "path", f->path);
	/* Last, and whole (the text line's 1023 bytes at most): when
	 * something must be cut, the end of the message. */
	json_put(&j, "message", msg, n, n, SIZE_MAX);
	j.buf[j.len++] = '}';
	j.buf[j.len++] = '\n';
	log_write(lg, j.buf, j.len);
}

void
log_vmsg(const struct logger *lg, enum log_level l, const char *fmt,
    va_list ap)
{
	char	 raw[1024], line[1200];
	int	 n, saved = errno;
	size_t	 o;

	if (lg == NULL || l > lg->level)
		return;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(raw))
		n = (int)sizeof(raw) - 1;
	if (lg->format == LOG_JSON) {
		log_json(lg, l, raw, (size_t)n);
		errno = saved;
		return;
	}
	o = (size_t)snprintf(line, sizeof(line), "cors-wrap: %s: ",
	    log_level_str(l));
	log_escape(line + o, sizeof(line) - o - 1, raw, (size_t)n);
	o = strlen(line);
	line[o++] = '\n';
	log_write(lg, line, o);
	errno = saved;
}

void
log_msg(const struct logger *lg, enum log_level l, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(lg, l, fmt, ap);
	va_end(ap);
}
