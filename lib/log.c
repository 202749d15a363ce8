#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const names[] = { "error", "warn", "info", "debug" };

const char *
log_level_str(enum log_level l)
{
	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

int
log_level_parse(const char *s, enum log_level *l)
{
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*l = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
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
	o = (size_t)snprintf(line, sizeof(line), "cors-wrap: %s: ",
	    log_level_str(l));
	log_escape(line + o, sizeof(line) - o - 1, raw,
	    (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
	o = strlen(line);
	line[o++] = '\n';
	if (lg->sink != NULL)
		lg->sink(lg->ctx, line, o);
	else	/* One write: lines from other processes do not interleave. */
		(void)!write(lg->fd, line, o);
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
