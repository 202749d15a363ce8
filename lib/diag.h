/*
 * Diagnostics collected while loading a configuration: one message per
 * line, each naming where (FILE:LINE or a variable) and which key.
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
void	diag_free(struct diag *);

#endif
