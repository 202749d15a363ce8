/*
 * The one error convention of lib/: a function that can fail returns -1
 * (NULL when it returns a pointer) and, when its caller needs the cause,
 * adds one line saying why to a struct diag the caller passes (a thin
 * wrapper of a system call may leave only errno, with nothing to add to
 * it).  No status codes inside output structures, no error strings in
 * caller buffers, no errno as a return value.  Functions that answer a
 * question (a predicate, a parser's "need more") return bool or an enum of
 * outcomes: those are results, not errors.
 *
 * Configuration loading collects many lines, each naming where (FILE:LINE
 * or a variable) and which key; a runtime failure adds one.  A diag starts
 * zeroed ({0}); diag_free releases it.  Building a line allocates: failures
 * are not the hot path.
 */
#ifndef CORS_DIAG_H
#define CORS_DIAG_H

#include <stddef.h>

struct diag {
	char		*text;
	size_t		 len;
	size_t		 cap;
	unsigned	 count;
};

/* Adds a line; an identical line already present is not repeated (a bad
 * global value is inherited by every section but reported once). */
void	diag_add(struct diag *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* diag_add, then ": " and strerror(errno) of the errno at the call. */
void	diag_errno(struct diag *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Adds every line of the second diag to the first. */
void	diag_copy(struct diag *, const struct diag *);
/* The lines, joined by newlines (none after the last); "" when there are
 * none.  Valid until the next diag_add or diag_free. */
const char *diag_text(const struct diag *);
void	diag_free(struct diag *);

#endif
