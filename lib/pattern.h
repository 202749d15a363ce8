/*
 * ~REGEX entries of origins and allow_headers: POSIX EREs, without regard
 * to case, that must match the whole subject.  The source is compiled as
 * written, never wrapped as ^(...)$: glibc takes an unmatched ')' in an
 * ERE as an ordinary character, so "a)|b" would compile to "^(a)|b)$",
 * which matches anything that starts with "a"; the wrapper's parentheses
 * would also pair with the source's ("a)|(b" is no ERE, "^(a)|(b)$" is)
 * and a trailing backslash would escape the last one.  A match counts
 * only when it spans the subject from its first byte to its last.
 */
#ifndef CORS_PATTERN_H
#define CORS_PATTERN_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* Compiles src[0..len) (without the '~'); -1 with "WHERE: invalid regular
 * expression ...: " and regerror's words in d, where saying whose the
 * pattern is ("FILE:LINE: origins"). */
int	pattern_compile(regex_t *, const char *src, size_t len,
	    const char *where, struct diag *);

/* Does the pattern match all of s[0..len)?  s need not end in a NUL. */
bool	pattern_matches(const regex_t *, const char *s, size_t len);

#endif
