#include "pattern.h"

#include <stdlib.h>
#include <string.h>

int
pattern_compile(regex_t *re, const char *src, size_t len, const char *where,
    struct diag *d)
{
	char	*pat, err[128];
	int	 rc;

	if ((pat = malloc(len + 1)) == NULL) {
		diag_add(d, "%s: out of memory", where);
		return -1;
	}
	/* As written (pattern.h); the span check in pattern_matches is
	 * what makes "whole" true. */
	memcpy(pat, src, len);
	pat[len] = '\0';
	rc = regcomp(re, pat, REG_EXTENDED | REG_ICASE);
	free(pat);
	if (rc != 0) {
		regerror(rc, NULL, err, sizeof(err));
		diag_add(d, "%s: invalid regular expression \"%.*s\": %s", where,
		    (int)len, src, err);
		return -1;
	}
	return 0;
}

bool
pattern_matches(const regex_t *re, const char *s, size_t len)
{
	regmatch_t	 m[1];

	/* REG_STARTEND: the subject is s[0..len), NUL or not; POSIX
	 * leftmost-longest makes m[0] the longest match at the start. */
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	return regexec(re, s, 1, m, REG_STARTEND) == 0 && m[0].rm_so == 0 &&
	    (size_t)m[0].rm_eo == len;
}
