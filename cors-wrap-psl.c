/*
 * cors-wrap-psl: which domains are public suffixes, by a public suffix list
 * and Debian's libpsl.  `cors-wrap --check` runs it (lib/pslquery.c).
 *
 * A program of its own because cors-wrap is a static PIE that starts once
 * per CGI request: libpsl linked into it, with the libidn2, libunistring
 * and locale tables it needs, made every request relocate one or two more
 * pages (bench/README.md).  This one is linked dynamically, and only
 * --check ever starts it.
 *
 * usage: cors-wrap-psl file [domain ...]
 * Prints each domain that is a public suffix, one a line, and exits 0; the
 * list's private section counts (github.io), its implicit "*" rule does not
 * (an intranet's own top-level name is nobody's public suffix).  When the
 * list cannot be read, says why on standard error and exits 1.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpsl.h>

int
main(int argc, char *argv[])
{
	psl_ctx_t	*psl;
	int		 i;

	if (argc < 2) {
		fprintf(stderr, "usage: cors-wrap-psl file [domain ...]\n");
		return 2;
	}
	if (access(argv[1], R_OK) == -1) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((psl = psl_load_file(argv[1])) == NULL) {
		fprintf(stderr, "%s: libpsl cannot read it\n", argv[1]);
		return 1;
	}
	for (i = 2; i < argc; i++)
		if (psl_is_public_suffix2(psl, argv[i],
		    PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE))
			printf("%s\n", argv[i]);
	psl_free(psl);
	return fflush(stdout) == 0 ? 0 : 1;
}
