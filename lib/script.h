/*
 * The script to run: chosen from trusted argv, CORS_EXEC or a script
 * root; its argv, working directory and environment; and becoming it
 * (prepend mode; lib/child.h starts it as a child).
 */
#ifndef CORS_SCRIPT_H
#define CORS_SCRIPT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "request.h"

enum script_env {
	SENV_SCRIPT_NAME,
	SENV_SCRIPT_FILENAME,
	SENV_PATH_INFO,
	SENV_PATH_TRANSLATED,
	SENV_COUNT
};

struct script {
	char		**argv;		/* argv[0] is the program */
	int		 argc;
	char		*dir;		/* chdir before exec, or NULL */
	/* Replacements for CGI variables; NULL keeps the server's, and
	 * unset[i] removes it. */
	char		*env[SENV_COUNT];
	bool		 unset[SENV_COUNT];
	char		*kv[SENV_COUNT];	/* "NAME=value" for the script */
	int		 status;	/* on failure: 403, 404 or 500 */
	char		 why[512];	/* on failure, for the log */
};

void	script_free(struct script *);

/* PROGRAM ARG... from trusted argv, then extra words. */
int	script_from_argv(struct script *, char **prog, int nprog,
	    char **extra, int nextra);

/* A fixed program (CORS_EXEC). */
int	script_from_exec(struct script *, const char *exec,
	    char **extra, int nextra);

/*
 * A script inside root named by the first segment of PATH_INFO.  Returns
 * -1 with status 403 (escapes the root, not executable, not a regular
 * file) or 404 (missing), and why.
 */
int	script_from_root(struct script *, const char *root,
	    char **extra, int nextra, request_getter, void *);

/* The environment for the script: envp with the script's replacements.
 * The array is allocated (free it); the strings belong to envp and s. */
char	**script_environ(struct script *, char *const *envp);

/*
 * FastCGI: the script SCRIPT_FILENAME names, which must be an executable
 * regular file and resolve inside root and ceiling, each when not NULL
 * (no "..", no symlink out).  Returns -1 with status 403/404 and why.
 */
int	script_from_filename(struct script *, const char *filename,
	    const char *root, const char *ceiling);

/* Replaces the current process with the script (prepend mode).  Returns
 * only on failure, with errno set. */
int	script_exec(const struct script *, char *const *envp);

#endif
