#include "inifile.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iniparser.h>

#include "bounds.h"
#include "token.h"

/* iniparser 4.1 reads a line, a continued line as a whole, with fgets(3)
 * into ASCIILINESZ (1024) bytes, which leaves room for 1022 and the
 * newline, and rejects longer ones; cors-wrap says so first, naming the
 * line. */
#define INI_LINE_MAX	1022
#define INI_FILE_MAX	(1024L * 1024)

static char *
dup_lower_trim(const char *s, size_t n)
{
	char	*p;
	size_t	 i;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		n--;
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = tok_lower(s[i]);
	p[n] = '\0';
	return p;
}

static int
read_file(const char *path, char **buf, size_t *len, struct diag *d)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 o = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		diag_add(d, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		diag_add(d, "%s: not a regular file%s", path,
		    S_ISDIR(st.st_mode) ? " (a directory)" : "");
		close(fd);
		return -1;
	}
	if (st.st_size > INI_FILE_MAX) {
		diag_add(d, "%s: larger than %ld bytes", path, INI_FILE_MAX);
		close(fd);
		return -1;
	}
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		diag_add(d, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (o < (size_t)st.st_size &&
	    (n = read(fd, *buf + o, (size_t)st.st_size - o)) > 0)
		o += (size_t)n;
	close(fd);
	(*buf)[o] = '\0';
	*len = o;
	return 0;
}

/* add_section and add_entry: 0, -1 for a line refused (said in d), -2 out
 * of memory. */
static int
add_section(struct inifile *f, char *name, unsigned line, struct diag *d)
{
	struct ini_section	*s;
	size_t			 i;

	for (i = 0; i < f->nsections; i++) {
		if (strcmp(f->sections[i].name, name) == 0) {
			diag_add(d, "%s:%u: section [%s] already defined at "
			    "line %u (section names ignore case)", f->path,
			    line, name, f->sections[i].line);
			free(name);
			return -1;
		}
	}
	if (f->nsections == CONFIG_SECTIONS_MAX) {
		diag_add(d, "%s:%u: more than %d sections", f->path, line,
		    CONFIG_SECTIONS_MAX);
		free(name);
		return -1;
	}
	s = realloc(f->sections, (f->nsections + 1) * sizeof(*s));
	if (s == NULL) {
		diag_add(d, "%s:%u: out of memory", f->path, line);
		free(name);
		return -2;
	}
	f->sections = s;
	s[f->nsections].name = name;
	s[f->nsections].line = line;
	f->nsections++;
	return 0;
}

static int
add_entry(struct inifile *f, const char *section, char *key, unsigned line,
    struct diag *d)
{
	struct ini_entry	*e;
	size_t			 i;

	for (i = 0; i < f->nentries; i++) {
		if (strcmp(f->entries[i].section, section) == 0 &&
		    strcmp(f->entries[i].key, key) == 0) {
			diag_add(d, "%s:%u: %s: already set at line %u",
			    f->path, line, key, f->entries[i].line);
			free(key);
			return -1;
		}
	}
	e = realloc(f->entries, (f->nentries + 1) * sizeof(*e));
	if (e == NULL || (section = strdup(section)) == NULL) {
		if (e != NULL)
			f->entries = e;
		diag_add(d, "%s:%u: out of memory", f->path, line);
		free(key);
		return -2;
	}
	f->entries = e;
	e[f->nentries].section = (char *)section;
	e[f->nentries].key = key;
	e[f->nentries].value = NULL;
	e[f->nentries].line = line;
	f->nentries++;
	return 0;
}

/*
 * iniparser's continuation: the line read so far (j, *jlen bytes, the
 * backslash that joined it to this one removed) plus this line, less the
 * white space (isspace(3)) at its end, continues when it ends in a
 * backslash, whatever the line is, a comment too.  Returns whether it
 * does; *jlen is then the joined line without that backslash.  A joined
 * line too long for iniparser's buffer returns -1.
 */
static int
join_line(char *j, size_t *jlen, const char *p, size_t n)
{
	size_t	 o = *jlen;

	if (o + n > INI_LINE_MAX)
		return -1;
	memcpy(j + o, p, n);
	o += n;
	while (o > 0 && isspace((unsigned char)j[o - 1]))
		o--;
	if (o == 0 || j[o - 1] != '\\') {
		*jlen = 0;
		return 0;
	}
	*jlen = o - 1;
	return 1;
}

/*
 * Finds the structure iniparser will see: the same line rules (comments
 * with '#' or ';', '\' continuation, "[name]", "key = value"), keeping
 * line numbers.  Values are left to iniparser.  A continuation must join
 * exactly the lines iniparser joins: otherwise a line read as a key (or a
 * section) here would be part of a comment there, and the value of a key
 * would come from another line than the one checked and reported.
 */
static int
scan(struct inifile *f, const char *buf, size_t len, struct diag *d)
{
	const char	*p = buf, *end = buf + len, *nl, *s, *e, *eq;
	const char	*section = "";
	unsigned	 line = 0, first = 0, errors = d->count;
	int		 cont = 0, was_cont;
	bool		 lost = false;	/* in a section refused above */
	size_t		 n, raw, jlen = 0;
	char		 joined[INI_LINE_MAX];

	for (; p < end; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = raw = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (raw > INI_LINE_MAX) {
			diag_add(d, "%s:%u: line longer than %d bytes",
			    f->path, line, INI_LINE_MAX);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			diag_add(d, "%s:%u: NUL byte", f->path, line);
			return -1;
		}
		if (!(was_cont = cont)) {
			jlen = 0;
			first = line;
		}
		if ((cont = join_line(joined, &jlen, p, raw)) == -1) {
			diag_add(d, "%s:%u: line continued up to line %u is "
			    "longer than %d bytes", f->path, first, line,
			    INI_LINE_MAX);
			return -1;
		}
		if (was_cont)
			continue;	/* part of the line it continues */
		s = p;
		e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char	*name;

			/* The keys of a section refused are not the last
			 * one's: each would be "already set" there. */
			lost = true;
			if (e[-1] != ']' || e - s < 3) {
				diag_add(d, "%s:%u: syntax error: expected "
				    "[section]", f->path, line);
				continue;
			}
			if ((name = dup_lower_trim(s + 1,
			    (size_t)(e - s - 2))) == NULL)
				return -1;
			/* iniparser ends a name at its first ']': the keys
			 * below would be another section's there. */
			if (strpbrk(name, ":]") != NULL) {
				diag_add(d, "%s:%u: section name [%s] must not "
				    "contain ':' or ']'", f->path, line, name);
				free(name);
				continue;
			}
			/* Out of memory ends the scan: should its line be
			 * lost too, the section must not load without it. */
			switch (add_section(f, name, line, d)) {
			case 0:
				section = f->sections[f->nsections - 1].name;
				lost = false;
				break;
			case -2:
				return -1;
			}
			continue;
		}
		if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL || eq == s) {
			diag_add(d, "%s:%u: syntax error: expected key = value",
			    f->path, line);
			continue;
		}
		{
			char	*key = dup_lower_trim(s, (size_t)(eq - s));

			if (key == NULL)
				return -1;
			if (key[0] == '\0' || strchr(key, ':') != NULL) {
				diag_add(d, "%s:%u: invalid key \"%s\"",
				    f->path, line, key);
				free(key);
				continue;
			}
			if (lost)
				free(key);
			else if (add_entry(f, section, key, line, d) == -2)
				return -1;
		}
	}
	/* iniparser drops a line still waiting for its continuation. */
	if (cont)
		diag_add(d, "%s:%u: the last line ends in a backslash, which "
		    "continues it past the end of the file", f->path, line);
	return d->count == errors ? 0 : -1;
}

/* iniparser prints its own complaints to stderr; the scan above has
 * already reported anything it would reject, so silence it. */
static int
quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

int
inifile_load(struct inifile *f, const char *path, struct diag *d)
{
	char	*buf = NULL, *k;
	size_t	 len, i, n;
	int	 rc;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (read_file(path, &buf, &len, d) == -1)
		return -1;
	rc = scan(f, buf, len, d);
	free(buf);
	if (rc == -1)
		goto fail;
	iniparser_set_error_callback(quiet);
	if ((f->dict = iniparser_load(path)) == NULL) {
		diag_add(d, "%s: cannot be parsed", path);
		goto fail;
	}
	for (i = 0; i < f->nentries; i++) {
		n = strlen(f->entries[i].section) + strlen(f->entries[i].key) +
		    2;
		if ((k = malloc(n)) == NULL)
			goto fail;
		snprintf(k, n, "%s:%s", f->entries[i].section,
		    f->entries[i].key);
		f->entries[i].value = iniparser_getstring(f->dict, k, NULL);
		free(k);
		if (f->entries[i].value == NULL)
			f->entries[i].value = "";
	}
	return 0;
fail:
	inifile_free(f);
	return -1;
}

void
inifile_free(struct inifile *f)
{
	size_t	 i;

	for (i = 0; i < f->nentries; i++) {
		free(f->entries[i].section);
		free(f->entries[i].key);
	}
	free(f->entries);
	for (i = 0; i < f->nsections; i++)
		free(f->sections[i].name);
	free(f->sections);
	if (f->dict != NULL)
		iniparser_freedict(f->dict);
	memset(f, 0, sizeof(*f));
}
