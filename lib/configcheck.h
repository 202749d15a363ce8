/*
 * What browsers do with a configuration that cors-wrap accepts: the
 * warnings of --check about a compiled configuration (a max_age longer
 * than browsers keep, "*" where a credentialed request reads it literally,
 * a subdomain glob on a public suffix, origins that make credentials
 * readable by others, a header Chrome no longer sends).  None of them is an
 * error: the configuration works, only not as its author may think.
 *
 * Not on any request's path: --check alone calls it, and it alone asks the
 * public suffix list (lib/pslquery.h).
 */
#ifndef CORS_CONFIGCHECK_H
#define CORS_CONFIGCHECK_H

#include "config.h"
#include "diag.h"

/* The public suffix list Debian's publicsuffix package installs, in the
 * compiled form libpsl reads fastest; CORS_PSL_FILE names another. */
#ifndef CONFIGCHECK_PSL_FILE
#define CONFIGCHECK_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dafsa"
#endif

/*
 * Adds one line to w per warning about c, each "WHERE: [SECTION] KEY:
 * why", WHERE as in configuration errors (FILE:LINE or "environment
 * CORS_X"); SECTION only when the warning belongs to a resource section
 * rather than to a value every section inherits.  psl_file is the public
 * suffix list to read (NULL: CONFIGCHECK_PSL_FILE); when it cannot be
 * read, that is a warning too.  Returns the number of warnings added.
 */
unsigned	configcheck(const struct config *c, const char *psl_file,
		    struct diag *w);

#endif
