/*
 * An INI file read with iniparser, plus what iniparser does not keep: the
 * line of every section and key, so that errors can name them, and the
 * checks it does not make (duplicate sections and keys, over-long lines,
 * section names it cannot enumerate).
 */
#ifndef CORS_INIFILE_H
#define CORS_INIFILE_H

#include <stddef.h>

#include "diag.h"

struct ini_entry {
	char		*section;	/* lower-cased, "" before any section */
	char		*key;		/* lower-cased */
	const char	*value;		/* iniparser's, quotes removed */
	unsigned	 line;
};

struct ini_section {
	char		*name;
	unsigned	 line;
};

struct inifile {
	const char		*path;
	void			*dict;		/* iniparser's dictionary */
	struct ini_entry	*entries;	/* in file order */
	size_t			 nentries;
	struct ini_section	*sections;	/* in file order */
	size_t			 nsections;
};

/* Returns 0, or -1 with the reasons (FILE:LINE: ...) in d. */
int	inifile_load(struct inifile *, const char *path, struct diag *);
void	inifile_free(struct inifile *);

#endif
