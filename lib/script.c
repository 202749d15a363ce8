#include "script.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "token.h"

static const char *const env_names[SENV_COUNT] = {
	"SCRIPT_NAME", "SCRIPT_FILENAME", "PATH_INFO", "PATH_TRANSLATED"
};

void
script_free(struct script *s)
{
	int	 i;

	free(s->argv);
	free(s->dir);
	for (i = 0; i < SENV_COUNT; i++) {
		free(s->env[i]);
		free(s->kv[i]);
	}
	memset(s, 0, sizeof(*s));
}

static int
set_argv(struct script *s, const char *prog, char **args, int nargs,
    char **extra, int nextra)
{
	int	 i;

	s->argv = calloc((size_t)nargs + (size_t)nextra + 2, sizeof(char *));
	if (s->argv == NULL)
		return -1;
	/* execve(2) takes char *const[] but never writes to the strings. */
	s->argv[s->argc++] = (char *)prog;
	for (i = 0; i < nargs; i++)
		s->argv[s->argc++] = args[i];
	for (i = 0; i < nextra; i++)
		s->argv[s->argc++] = extra[i];
	s->argv[s->argc] = NULL;
	return 0;
}

/* The script's own directory, where CGI servers run scripts (Apache
 * mod_cgi, lighttpd and fcgiwrap all chdir there). */
static char *
dir_of(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int
script_from_argv(struct script *s, char **prog, int nprog, char **extra,
    int nextra)
{
	memset(s, 0, sizeof(*s));
	if (set_argv(s, prog[0], prog + 1, nprog - 1, extra, nextra) == -1)
		return -1;
	/* The server already chdir'ed to the script's directory. */
	return 0;
}

int
script_from_exec(struct script *s, const char *exec, char **extra,
    int nextra)
{
	memset(s, 0, sizeof(*s));
	if (set_argv(s, exec, NULL, 0, extra, nextra) == -1)
		return -1;
	s->dir = dir_of(exec);
	/* The script is the program the server would have run. */
	s->env[SENV_SCRIPT_FILENAME] = strdup(exec);
	return 0;
}

static int
fail(struct script *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct script *s, int status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->status = status;
	return -1;
}

static char *
concat(const char *a, const char *b, size_t blen)
{
	size_t	 alen = strlen(a);
	char	*p;

	if ((p = malloc(alen + blen + 1)) == NULL)
		return NULL;
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	p[alen + blen] = '\0';
	return p;
}

/* rfile, file resolved, must lie inside root; rroot: the resolved root,
 * or with SCRIPT_FILENAME room for it. */
static int
inside(struct script *s, bool by_root, const char *file, const char *rfile,
    const char *root, char *rroot)
{
	size_t		 rl;

	if (!by_root && realpath(root, rroot) == NULL)
		return fail(s, 500, "script root %s: %s", root,
		    strerror(errno));
	rl = strlen(rroot);
	if (strncmp(rfile, rroot, rl) != 0 || (rl > 1 && rfile[rl] != '/')) {
		if (by_root)
			return fail(s, 403, "%s leads out of the script root "
			    "(%s)", file, rfile);
		return fail(s, 403, "%s is outside the script root %s", file,
		    rroot);
	}
	return 0;
}

static int
runnable(struct script *s, const char *name, const char *rfile)
{
	struct stat	 st;

	if (stat(rfile, &st) == -1)
		return fail(s, 404, "%s: %s", rfile, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(s, 403, "%s is not a regular file", name);
	if (!(st.st_mode & 0111) || access(rfile, X_OK) == -1)
		return fail(s, 403, "%s is not executable", name);
	return 0;
}

/*
 * The one check of a script file, for both ways of naming one: file must
 * resolve (realpath: symlinks followed) inside the root, when there is
 * one, to an executable regular file.  A symlink inside the root may
 * point anywhere: what counts is where it leads.  With a script root
 * (CGI) the root is resolved first, since file was built from it, and
 * messages name the resolved file; with SCRIPT_FILENAME (FastCGI) they
 * name the file as the server sent it.  rroot: the resolved root, or for
 * SCRIPT_FILENAME room for it.  A ceiling (FastCGI) is checked before the
 * root, and the file itself right after it, the order in which the
 * daemon's two lookups of one file used to find its faults.
 */
static int
lookup(struct script *s, bool by_root, const char *file, const char *root,
    char *rroot, const char *ceiling)
{
	char		 rfile[PATH_MAX], rceil[PATH_MAX];
	const char	*name = by_root ? rfile : file;

	if (realpath(file, rfile) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return fail(s, 404, "%s: no such script", file);
		return fail(s, 403, "%s: %s", file, strerror(errno));
	}
	if (ceiling != NULL &&
	    (inside(s, false, file, rfile, ceiling, rceil) == -1 ||
	    runnable(s, name, rfile) == -1))
		return -1;
	if (root != NULL && inside(s, by_root, file, rfile, root, rroot) == -1)
		return -1;
	return ceiling != NULL ? 0 : runnable(s, name, rfile);
}

int
script_from_root(struct script *s, const char *root, char **extra,
    int nextra, request_getter g, void *ctx)
{
	const char	*pi = g(ctx, "PATH_INFO"), *seg, *rest, *sn, *dr;
	char		 rroot[PATH_MAX], file[PATH_MAX];
	size_t		 seglen;
	int		 n;

	memset(s, 0, sizeof(*s));
	s->status = 500;
	if (pi == NULL || pi[0] != '/' || pi[1] == '\0')
		return fail(s, 404, "no script named in PATH_INFO");
	seg = pi + 1;
	rest = strchr(seg, '/');
	if (rest == NULL)
		rest = seg + strlen(seg);
	seglen = (size_t)(rest - seg);
	/* PATH_INFO is decoded by the server: a segment is a file name. */
	if (seglen == 0 || (seglen == 1 && seg[0] == '.') ||
	    (seglen == 2 && seg[0] == '.' && seg[1] == '.'))
		return fail(s, 403, "script name \"%.*s\" not allowed",
		    (int)seglen, seg);
	if (realpath(root, rroot) == NULL)
		return fail(s, 500, "script root %s: %s", root,
		    strerror(errno));
	n = snprintf(file, sizeof(file), "%s/%.*s", rroot, (int)seglen, seg);
	if (n < 0 || (size_t)n >= sizeof(file))
		return fail(s, 404, "script name too long");
	if (lookup(s, true, file, root, rroot, NULL) == -1)
		return -1;

	if (set_argv(s, NULL, NULL, 0, extra, nextra) == -1)
		return fail(s, 500, "out of memory");
	if ((s->env[SENV_SCRIPT_FILENAME] = strdup(file)) == NULL)
		return fail(s, 500, "out of memory");
	s->argv[0] = s->env[SENV_SCRIPT_FILENAME];
	s->dir = strdup(rroot);
	sn = g(ctx, "SCRIPT_NAME");
	s->env[SENV_SCRIPT_NAME] = concat(sn != NULL ? sn : "", pi,
	    seglen + 1);
	if (*rest != '\0') {
		s->env[SENV_PATH_INFO] = strdup(rest);
		dr = g(ctx, "DOCUMENT_ROOT");
		if (dr != NULL)
			s->env[SENV_PATH_TRANSLATED] = concat(dr, rest,
			    strlen(rest));
		else
			s->unset[SENV_PATH_TRANSLATED] = true;
	} else {
		s->unset[SENV_PATH_INFO] = true;
		s->unset[SENV_PATH_TRANSLATED] = true;
	}
	if (s->dir == NULL || s->env[SENV_SCRIPT_NAME] == NULL ||
	    (*rest != '\0' && s->env[SENV_PATH_INFO] == NULL))
		return fail(s, 500, "out of memory");
	s->status = 0;
	return 0;
}

/* httpoxy (CVE-2016-5385): a client's "Proxy:" header reaches a script as
 * HTTP_PROXY, the variable many HTTP clients take as their proxy; whatever
 * the server did about it, no script gets it. */
static bool
is_httpoxy(const char *kv)
{
	return strncmp(kv, "HTTP_PROXY=", 11) == 0;
}

char **
script_environ(struct script *s, char *const *envp)
{
	size_t	 n = 0, i, o = 0, k, len, vlen;
	char	**env;

	while (envp != NULL && envp[n] != NULL)
		n++;
	if ((env = calloc(n + SENV_COUNT + 1, sizeof(char *))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		for (k = 0; k < SENV_COUNT; k++) {
			len = strlen(env_names[k]);
			if (strncmp(envp[i], env_names[k], len) == 0 &&
			    envp[i][len] == '=')
				break;
		}
		if (is_httpoxy(envp[i]))
			continue;
		if (k == SENV_COUNT || (s->env[k] == NULL && !s->unset[k]))
			env[o++] = envp[i];
	}
	for (k = 0; k < SENV_COUNT; k++) {
		if (s->env[k] == NULL)
			continue;
		len = strlen(env_names[k]);
		vlen = strlen(s->env[k]);
		free(s->kv[k]);
		if ((s->kv[k] = malloc(len + vlen + 2)) == NULL) {
			free(env);
			return NULL;
		}
		/* Not snprintf: see env_source() in config.c. */
		memcpy(s->kv[k], env_names[k], len);
		s->kv[k][len] = '=';
		memcpy(s->kv[k] + len + 1, s->env[k], vlen + 1);
		env[o++] = s->kv[k];
	}
	env[o] = NULL;
	return env;
}

int
script_from_filename(struct script *s, const char *filename,
    const char *root, const char *ceiling)
{
	char		 rroot[PATH_MAX];
	const char	*p;

	memset(s, 0, sizeof(*s));
	s->status = 500;
	if (filename == NULL || filename[0] != '/')
		return fail(s, 404, "no SCRIPT_FILENAME");
	/* A ".." segment is refused even when it would stay inside the
	 * root: the server never sends one for a real file. */
	for (p = filename; (p = strstr(p, "/..")) != NULL; p += 3)
		if (p[3] == '/' || p[3] == '\0')
			return fail(s, 403, "%s: \"..\" in the path",
			    filename);
	if (lookup(s, false, filename, root, rroot, ceiling) == -1)
		return -1;
	if (set_argv(s, filename, NULL, 0, NULL, 0) == -1 ||
	    (s->dir = dir_of(filename)) == NULL)
		return fail(s, 500, "out of memory");
	s->status = 0;
	return 0;
}

/*
 * The signals this process ignores, from the SigIgn line of
 * /proc/self/status (bit n-1 for signal n).  execve(2) resets caught
 * signals by itself and only ignored ones survive it, so these are all
 * that need resetting: one read instead of 64 sigaction(2) calls, some
 * 50 us per request on a virtual machine.  Returns false when it cannot
 * tell (no /proc): then every signal is reset.
 */
static bool
ignored_signals(uint64_t *mask)
{
	char		 buf[2048];	/* SigIgn comes within ~1.2 KiB
					   unless Groups is huge */
	const char	*p;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, i, d;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	while (len < sizeof(buf) - 1 &&
	    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if ((p = strstr(buf, "\nSigIgn:\t")) == NULL)
		return false;
	p += sizeof("\nSigIgn:\t") - 1;
	*mask = 0;
	for (i = 0; i < 16; i++, p++) {
		if ((d = tok_hexval(*p)) < 0)
			return false;
		*mask = *mask << 4 | (uint64_t)d;
	}
	return *p == '\n';
}

int
script_exec(const struct script *s, char *const *envp)
{
	struct sigaction	 sa;
	sigset_t		 none;
	uint64_t		 ign;
	int			 sig;

	if (s->dir != NULL && chdir(s->dir) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	if (!ignored_signals(&ign))
		ign = ~(uint64_t)0;
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    (sig <= 64 && !(ign >> (sig - 1) & 1)))
			continue;
		if (sigaction(sig, &sa, NULL) == -1 && errno == EINVAL) {
			/* glibc's sigaction(3) refuses its internal signals
			 * (32, 33), yet a program started with posix_spawn
			 * (GNU make, for one) inherits them ignored.  An
			 * all-zero kernel sigaction is SIG_DFL, no flags and
			 * an empty mask, whatever the architecture's field
			 * order. */
			static const unsigned long	 dfl[8];

			(void)syscall(SYS_rt_sigaction, sig, dfl, NULL,
			    (size_t)(NSIG - 1) / 8);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(s->argv[0], s->argv, envp);
	return -1;
}
