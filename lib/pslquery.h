/*
 * Is a domain a public suffix?  Asked of cors-wrap-psl (cors-wrap-psl.c),
 * which reads the public suffix list with Debian's libpsl: linked into
 * cors-wrap, a static PIE, libpsl and what it needs would cost every CGI
 * request page faults for a question only --check asks.
 *
 * The program is looked for beside the running cors-wrap (the build tree),
 * then in ../libexec/cors-wrap/ from there (/usr/bin/cors-wrap:
 * /usr/libexec/cors-wrap/cors-wrap-psl, where make install puts it).
 */
#ifndef CORS_PSLQUERY_H
#define CORS_PSLQUERY_H

#include "diag.h"

/* domain (lower case, no trailing dot) by the list in file: 1 a public
 * suffix, 0 not, -1 when the question could not be answered (no
 * cors-wrap-psl, a list it cannot read), with why in d and what to do
 * about it. */
int	pslquery(const char *file, const char *domain, struct diag *d);

#endif
