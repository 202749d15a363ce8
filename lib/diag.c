#include "diag.h"

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

void
diag_add(struct diag *d, const char *fmt, ...)
{
	char	 line[DIAG_LINE_MAX];
	va_list	 ap;
	int	 n;
	size_t	 len;
	char	*t;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if (d->text != NULL && contains_line(d, line, len))
		return;
	d->count++;
	if (d->count > DIAG_COUNT_MAX)
		return;
	if (d->count == DIAG_COUNT_MAX) {
		snprintf(line, sizeof(line), "too many errors; stopping here");
		len = strlen(line);
	}
	if (d->text == NULL || d->len + len + 2 > d->cap) {
		size_t	 cap = (d->cap + len + 2) * 2;

		if ((t = realloc(d->text, cap)) == NULL)
			return;
		d->text = t;
		d->cap = cap;
	}
	memcpy(d->text + d->len, line, len);
	d->len += len;
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
}

void
diag_free(struct diag *d)
{
	free(d->text);
	memset(d, 0, sizeof(*d));
}
