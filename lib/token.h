/*
 * HTTP tokens and the two list syntaxes cors-wrap reads: configuration
 * lists (commas and/or white space) and HTTP field lists (RFC 9110 5.6.1).
 */
#ifndef CORS_TOKEN_H
#define CORS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

bool	tok_is_tchar(unsigned char);
bool	tok_is_token(const char *, size_t);
bool	tok_eq_nocase(const char *, size_t, const char *, size_t);
char	tok_lower(char);
char	tok_upper(char);
/* The value of a hexadecimal digit (either case), or -1. */
int	tok_hexval(char);

/* Iterates over the elements of a list; an element is [*start, *start + *len). */
struct tok_iter {
	const char	*p;
	const char	*end;
};

void	tok_iter_init(struct tok_iter *, const char *, size_t);

/* Configuration lists: elements separated by commas and/or white space;
 * empty elements are skipped.  Returns false at the end. */
bool	tok_next_word(struct tok_iter *, const char **, size_t *);

/* HTTP lists: elements separated by commas, optional white space around
 * each; empty elements are skipped, as RFC 9110 5.6.1 requires of
 * recipients.  Returns false at the end. */
bool	tok_next_field(struct tok_iter *, const char **, size_t *);

#endif
