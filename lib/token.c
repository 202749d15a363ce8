#include "token.h"

#include <string.h>

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
bool
tok_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool
tok_is_token(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!tok_is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

char
tok_lower(char c)
{
	/* ASCII only: the result is a letter, which fits a char. */
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; /* NOLINT(bugprone-narrowing-conversions) */
}

/* ASCII-only on purpose: header names, methods and origins are ASCII, and
 * strncasecmp(3) would follow the locale. */
char
tok_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; /* NOLINT(bugprone-narrowing-conversions) */
}

int
tok_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
tok_eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t	 i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (tok_lower(a[i]) != tok_lower(b[i]))
			return false;
	return true;
}

void
tok_iter_init(struct tok_iter *it, const char *s, size_t len)
{
	it->p = s;
	it->end = s + len;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

bool
tok_next_word(struct tok_iter *it, const char **start, size_t *len)
{
	const char	*s;

	while (it->p < it->end && (*it->p == ',' || is_space(*it->p)))
		it->p++;
	if (it->p == it->end)
		return false;
	s = it->p;
	while (it->p < it->end && *it->p != ',' && !is_space(*it->p))
		it->p++;
	*start = s;
	*len = (size_t)(it->p - s);
	return true;
}

bool
tok_next_field(struct tok_iter *it, const char **start, size_t *len)
{
	const char	*s, *e;

	for (;;) {
		while (it->p < it->end && (*it->p == ' ' || *it->p == '\t'))
			it->p++;
		if (it->p == it->end)
			return false;
		s = it->p;
		while (it->p < it->end && *it->p != ',')
			it->p++;
		e = it->p;
		if (it->p < it->end)
			it->p++;	/* the comma */
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			*start = s;
			*len = (size_t)(e - s);
			return true;
		}
	}
}
