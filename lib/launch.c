#include "launch.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "token.h"

/* APACHE_ARG_MAX in mod_cgi(d): at most this many words are passed. */
#define ISINDEX_MAX	511

int
launch_isindex_words(const char *q)
{
	int	 n = 1;

	if (q == NULL || q[0] == '\0' || strchr(q, '=') != NULL)
		return 0;
	for (; *q != '\0'; q++)
		if (*q == '+')
			n++;
	return n > ISINDEX_MAX ? ISINDEX_MAX : n;
}

/*
 * Does arg equal the query word [w, w + n) as Apache passes it: URL-decoded,
 * then shell-escaped with backslashes (ap_escape_shell_cmd)?  Backslashes
 * in arg are skipped, so the comparison is on the decoded text.
 */
static bool
same_word(const char *arg, const char *w, size_t n)
{
	size_t	 i;
	int	 hi, lo;
	char	 c;

	for (i = 0; i < n; i++) {
		c = w[i];
		if (c == '%' && i + 2 < n && (hi = tok_hexval(w[i + 1])) >= 0 &&
		    (lo = tok_hexval(w[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (*arg == '\\' && arg[1] != '\0')
			arg++;
		if (*arg != c)
			return false;
		arg++;
	}
	return *arg == '\0';
}

/* Are the last n arguments the query's words? */
static bool
tail_is_query(char **argv, int argc, const char *q, int n)
{
	const char	*w, *e;
	int		 i;

	if (n == 0 || argc - 1 < n)
		return false;
	for (i = argc - n, w = q; i < argc; i++, w = e + 1) {
		e = strchr(w, '+');
		if (e == NULL)
			e = w + strlen(w);
		if (!same_word(argv[i], w, (size_t)(e - w)))
			return false;
		if (*e == '\0' && i + 1 < argc)
			return false;
	}
	return true;
}

/* Is path (SCRIPT_FILENAME) cors-wrap itself?  Then the server ran us
 * directly (ScriptAlias) and argv can only have come from the query. */
static bool
is_self(const char *path)
{
	struct stat	 a, b;

	if (stat(path, &a) == -1 || stat("/proc/self/exe", &b) == -1)
		return true;	/* cannot tell: do not trust */
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits a shebang's optional argument, which Linux passes as one
 * string, into words (no quoting: the kernel does none either). */
static int
push_words(char ***vec, int *n, char *s)
{
	char	**v;

	for (;;) {
		while (is_space(*s))
			*s++ = '\0';
		if (*s == '\0')
			return 0;
		if ((v = realloc(*vec, ((size_t)*n + 2) * sizeof(char *))) ==
		    NULL)
			return -1;
		*vec = v;
		v[(*n)++] = s;
		v[*n] = NULL;
		while (*s != '\0' && !is_space(*s))
			s++;
	}
}

static int
push(char ***vec, int *n, char *s)
{
	char	**v;

	if ((v = realloc(*vec, ((size_t)*n + 2) * sizeof(char *))) == NULL)
		return -1;
	*vec = v;
	v[(*n)++] = s;
	v[*n] = NULL;
	return 0;
}

int
launch_init(struct launch *l, int argc, char **argv, request_getter g,
    void *ctx)
{
	const char	*sf, *q;
	int		 head, n, i;

	memset(l, 0, sizeof(*l));
	if (push(&l->argv, &l->argc, argv[0]) == -1)
		return -1;
	l->server = g(ctx, "GATEWAY_INTERFACE") != NULL;
	if (!l->server) {
		for (i = 1; i < argc; i++)
			if (push(&l->argv, &l->argc, argv[i]) == -1)
				return -1;
		return 0;
	}

	q = g(ctx, "QUERY_STRING");
	n = launch_isindex_words(q);
	head = argc;
	if (tail_is_query(argv, argc, q, n)) {
		head = argc - n;
		l->extra = argv + head;
		l->nextra = n;
	}
	sf = g(ctx, "SCRIPT_FILENAME");
	if (head <= 1)
		return 0;
	if (sf != NULL && sf[0] == '/' && !is_self(sf)) {
		if (strcmp(argv[1], sf) == 0) {
			/* lighttpd: cors-wrap SCRIPT */
			for (i = 1; i < head; i++)
				if (push(&l->argv, &l->argc, argv[i]) == -1)
					return -1;
			return 0;
		}
		if (head > 2 && strcmp(argv[2], sf) == 0) {
			/* shebang: cors-wrap "OPTIONS INTERPRETER" SCRIPT */
			if (push_words(&l->argv, &l->argc, argv[1]) == -1)
				return -1;
			for (i = 2; i < head; i++)
				if (push(&l->argv, &l->argc, argv[i]) == -1)
					return -1;
			return 0;
		}
	}
	l->ignored = true;
	/* Untrusted leftovers are passed on as the script's arguments, as
	 * the server would have passed them to the script itself. */
	l->extra = argv + 1;
	l->nextra = argc - 1;
	return 0;
}

void
launch_free(struct launch *l)
{
	free(l->argv);
	memset(l, 0, sizeof(*l));
}
