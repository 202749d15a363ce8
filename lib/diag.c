#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages are few and only made while loading, never per request. */
#define DIAG_LINE_MAX	1024
#define DIAG_COUNT_MAX	100

static int
contains_line(const struct diag *d, const char *line, size_t n)
{
	const char	*p = d->text, *end = d->text + d->len;

	while (p != NULL && p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));
		size_t		 len = nl != NULL ? (size_t)(nl - p) :
				    (size_t)(end - p);

		if (len == n && memcmp(p, line, n) == 0)
			return 1;
		p = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

/* Lines are kept joined by newlines, with none after the last: the text
 * is then the message of a one-line failure as it is. */
static void
add_line(struct diag *d, const char *line, size_t len)
{
	static const char	 stop[] = "too many errors; stopping here";
	size_t			 need;
	char			*t;

	if (d->text != NULL && contains_line(d, line, len))
		return;
	d->count++;
	if (d->count > DIAG_COUNT_MAX)
		return;
	if (d->count == DIAG_COUNT_MAX) {
		line = stop;
		len = sizeof(stop) - 1;
	}
	need = d->len + len + 2;
	if (d->text == NULL || need > d->cap) {
		size_t	 cap = need * 2;

		if ((t = realloc(d->text, cap)) == NULL)
			return;
		d->text = t;
		d->cap = cap;
	}
	if (d->len > 0)
		d->text[d->len++] = '\n';
	memcpy(d->text + d->len, line, len);
	d->len += len;
	d->text[d->len] = '\0';
}

/* "fmt" formatted into line; its length, cut to the line. */
static size_t
format_line(char *line, size_t size, const char *fmt, va_list ap)
{
	int	 n = vsnprintf(line, size, fmt, ap);

	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

void
diag_add(struct diag *d, const char *fmt, ...)
{
	char	 line[DIAG_LINE_MAX];
	va_list	 ap;
	size_t	 len;

	va_start(ap, fmt);
	len = format_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	add_line(d, line, len);
}

void
diag_errno(struct diag *d, const char *fmt, ...)
{
	char	 line[DIAG_LINE_MAX];
	va_list	 ap;
	size_t	 len;
	int	 e = errno;

	va_start(ap, fmt);
	len = format_line(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)snprintf(line + len, sizeof(line) - len, ": %s", strerror(e));
	add_line(d, line, strlen(line));
	errno = e;
}

void
diag_copy(struct diag *to, const struct diag *from)
{
	const char	*p = from->text, *end = from->text + from->len, *nl;

	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		add_line(to, p, nl != NULL ? (size_t)(nl - p) :
		    (size_t)(end - p));
		p = nl != NULL ? nl + 1 : NULL;
	}
}

const char *
diag_text(const struct diag *d)
{
	return d->text != NULL ? d->text : "";
}

void
diag_free(struct diag *d)
{
	free(d->text);
	memset(d, 0, sizeof(*d));
}
