/*
 * Appending to a caller's fixed buffer: how the header blocks cors-wrap
 * writes (the answer's fields, its own responses, a script's merged
 * block) are built, with no allocation on the per-request path.
 *
 * Inline, as the three static copies it replaces were: a header block is
 * a few dozen short pieces, and a call for each would cost more than the
 * copies themselves (bench row 6).
 */
#ifndef CORS_OUTBUF_H
#define CORS_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Appends s[0..n) to buf at *o if it fits within cap bytes (*o <= cap);
 * false, with nothing written, when it does not.  No NUL is added: a
 * caller that ends with one passes one byte less than its buffer. */
static inline bool
outbuf_put(char *buf, size_t cap, size_t *o, const char *s, size_t n)
{
	if (n > cap - *o)
		return false;
	memcpy(buf + *o, s, n);
	*o += n;
	return true;
}

#endif
