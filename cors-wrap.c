/*
 * cors-wrap: Cross-Origin Resource Sharing for CGI programs.
 *
 * This file is the glue: which arguments to believe, which options were
 * given, which mode to run.  Everything else is in lib/.
 */

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/account.h"
#include "lib/cgi.h"
#include "lib/config.h"
#include "lib/configcheck.h"
#include "lib/daemon.h"
#include "lib/explain.h"
#include "lib/launch.h"
#include "lib/leakcheck.h"
#include "lib/request.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

extern char	**environ;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: cors-wrap [--config file] [--] program [arg ...]\n"
	    "       cors-wrap [-f] [-c workers] [-j scripts] [--queue n] [-t timeout]\n"
	    "           [-T life-limit] [-i idle] [-b spool] [-B worker-spool]\n"
	    "           [--config file] [-u user]\n"
	    "           [-s socket [-U user] [-G group] [-M mode]]\n"
	    "       cors-wrap --check [--strict] [--config file]\n"
	    "       cors-wrap --explain [--config file] [method] path "
	    "['Name: value' ...]\n"
	    "       cors-wrap --explain [--config file] - < raw-http-request\n"
	    "       cors-wrap --keys\n"
	    "       cors-wrap --version\n");
	exit(status);
}

/* n bytes of s to f, a byte outside printable ASCII (tab and newline
 * aside) as \xHH: an INI file's section name or value may hold an escape
 * sequence, which must not reach the terminal of whoever runs --check. */
static void
print_safe(FILE *f, const char *s, size_t n)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n')
			putc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
}

/* Prints a diag's lines, each after prefix. */
static void
print_lines(const struct diag *d, const char *prefix)
{
	const char	*p, *nl;
	size_t		 n;

	for (p = d->text; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		fputs(prefix, stderr);
		print_safe(stderr, p, n);
		putc('\n', stderr);
	}
}

/* What --check and --explain print about a configuration, to stdout through
 * print_safe: config_print, or explain (then its status). */
static int
print_config(const struct config *cfg, FILE *in, char **words, int nwords)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*m;
	int	 rc = 0;

	if ((m = open_memstream(&buf, &len)) == NULL) {
		perror("cors-wrap: open_memstream");
		return -1;
	}
	if (in == NULL)
		config_print(cfg, m);
	else
		rc = explain(m, in, cfg, words, nwords);
	if (fclose(m) == 0)
		print_safe(stdout, buf, len);
	else
		rc = -1;
	free(buf);
	return rc;
}

static int
load_or_report(struct config *cfg, const char *ini)
{
	struct diag	 d = { NULL, 0, 0, 0 };

	if (ini == NULL)
		ini = getenv("CORS_CONFIG");
	if (config_load(cfg, ini, environ, &d) == 0)
		return 0;
	print_lines(&d, "cors-wrap: ");
	diag_free(&d);
	return -1;
}

/* Like nginx -t: every error with its place, or the effective policy and
 * what browsers make of it (lib/configcheck.h); with strict, a warning
 * fails the test as an error does. */
static int
check(const char *ini, bool strict)
{
	struct config	 cfg;
	struct diag	 w = { NULL, 0, 0, 0 };
	struct stat	 st;
	unsigned	 nwarn;
	int		 rc = 0;

	if (load_or_report(&cfg, ini) == -1) {
		fprintf(stderr, "cors-wrap: configuration test failed\n");
		return 1;
	}
	if (cfg.exec != NULL && (stat(cfg.exec, &st) == -1 ||
	    !S_ISREG(st.st_mode) || access(cfg.exec, X_OK) == -1)) {
		fprintf(stderr, "cors-wrap: exec: %s is not an executable "
		    "file\n", cfg.exec);
		rc = 1;
	}
	if (cfg.script_root != NULL && (stat(cfg.script_root, &st) == -1 ||
	    !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "cors-wrap: script_root: %s is not a "
		    "directory\n", cfg.script_root);
		rc = 1;
	}
	if (print_config(&cfg, NULL, NULL, 0) == -1)
		rc = 1;
	fflush(stdout);
	nwarn = configcheck(&cfg, getenv("CORS_PSL_FILE"), &w);
	print_lines(&w, "cors-wrap: warning: ");
	diag_free(&w);
	config_free(&cfg);
	if (strict && nwarn > 0)
		rc = 1;
	if (nwarn == 0)
		fprintf(stderr, "cors-wrap: configuration test %s\n",
		    rc == 0 ? "successful" : "failed");
	else
		fprintf(stderr, "cors-wrap: configuration test %s, %u "
		    "warning%s%s\n", rc == 0 ? "successful" : "failed", nwarn,
		    nwarn == 1 ? "" : "s", strict ? " (--strict)" : "");
	return rc;
}

/* Why a request is (or is not) allowed, in words. */
static int
explain_main(const char *ini, char **words, int nwords)
{
	struct config	 cfg;
	int		 rc;

	if (load_or_report(&cfg, ini) == -1) {
		fprintf(stderr, "cors-wrap: the configuration has errors: a "
		    "request would get a 500 without CORS header\n");
		return 1;
	}
	rc = print_config(&cfg, stdin, words, nwords) == 0 ? 0 : 1;
	config_free(&cfg);
	return rc;
}

/* strtonum(3)-style: a decimal number in [min, max], or exit. */
static long long
number(const char *s, long long min, long long max, const char *what)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "cors-wrap: %s is %s: %s\n", what,
		    errno == ERANGE || (*end == '\0' && *s != '\0') ?
		    "out of range" : "invalid", s);
		exit(1);
	}
	return v;
}

static mode_t
socket_mode(const char *s)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 8);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 0777) {
		fprintf(stderr, "cors-wrap: the socket mode is not an octal "
		    "mode: %s\n", s);
		exit(1);
	}
	return (mode_t)v;
}

static uid_t
user_id(const char *s)
{
	struct account	 a;
	struct diag	 d = { 0 };

	switch (account_user(s, &a, &d)) {
	case 1:
		return a.uid;
	case 0:
		return (uid_t)number(s, 0, 2147483647, "the socket user");
	default:
		fprintf(stderr, "cors-wrap: -U: %s\n", diag_text(&d));
		exit(1);
	}
}

static gid_t
group_id(const char *s)
{
	gid_t		 gid;
	struct diag	 d = { 0 };

	switch (account_group(s, &gid, &d)) {
	case 1:
		return gid;
	case 0:
		return (gid_t)number(s, 0, 2147483647, "the socket group");
	default:
		fprintf(stderr, "cors-wrap: -G: %s\n", diag_text(&d));
		exit(1);
	}
}

/*
 * Scripts one worker runs at once (-j), and requests that may wait for
 * one (--queue).  64: measured on 2 cores, a preflight waited 4 ms behind
 * 200 scripts started together and 5.8 s behind 1,500, and every script
 * is a process of the scripts' user (RLIMIT_NPROC) with three or four of
 * the worker's descriptors; 64 a worker, times -c workers, is more than
 * fcgiwrap (one at a time a process) or PHP-FPM's default (5 children)
 * run.  The queue absorbs a burst four times that; a request waiting in
 * it keeps its connection, and its body stays with the server.
 */
#define MAX_SCRIPTS	64
#define QUEUE_MAX	256

/*
 * Descriptors one connection may hold: itself, its script's stdin and
 * stdout pipes, the spool's temporary file, and with -f the stderr pipe.
 * CONN_FD_RESERVE are kept for the rest: the listener, epoll, signalfd,
 * the standard streams, the configuration files being read, and the
 * pipe ends a spawn holds for a moment.
 */
#define CONN_FDS		4
#define CONN_FD_RESERVE		32
#define CONNS_MAX		4096

static unsigned
max_connections(bool stderr_pipe)
{
	struct rlimit	 rl;
	rlim_t		 per = CONN_FDS + (stderr_pipe ? 1 : 0);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur < CONN_FD_RESERVE + 2 * per)
		return 1;
	return rl.rlim_cur > per * CONNS_MAX + CONN_FD_RESERVE ? CONNS_MAX :
	    (unsigned)((rl.rlim_cur - CONN_FD_RESERVE) / per);
}

/* A byte count: decimal digits with an optional k, M or G (powers of
 * 1024), as nginx's sizes; or exit. */
static uint64_t
size_arg(const char *s, const char *what)
{
	char		*end;
	unsigned long long v;
	unsigned	 shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k': case 'K': shift = 10; end++; break;
		case 'm': case 'M': shift = 20; end++; break;
		case 'g': case 'G': shift = 30; end++; break;
		default: break;
		}
	}
	if (errno != 0 || *s < '0' || *s > '9' || *end != '\0' ||
	    v > (UINT64_C(1) << 50) >> shift) {
		fprintf(stderr, "cors-wrap: %s is %s: %s (a number of bytes, "
		    "with k, M or G at most)\n", what, errno == ERANGE ||
		    (*end == '\0' && *s >= '0' && *s <= '9') ? "out of range" :
		    "invalid", s);
		exit(1);
	}
	return (uint64_t)v << shift;
}

static int
fastcgi(struct fastcgi_opts *fo, struct socket_opts *so, unsigned workers,
    const char *run_user)
{
	struct config	 cfg;
	struct runas	 ra;
	char		 err[256];

	/* Like nginx: a configuration that cannot work stops the start,
	 * rather than failing every request. */
	if (load_or_report(&cfg, fo->config) == -1)
		return 1;
	fo->log_level = cfg.log_level;
	fo->log_format = cfg.log_format;
	config_free(&cfg);
	if (daemon_runas(run_user, &ra, err, sizeof(err)) == -1) {
		fprintf(stderr, "cors-wrap: %s\n", err);
		return 1;
	}
	if (so->spec != NULL) {
		if ((fo->listen_fd = daemon_listen(so, err, sizeof(err))) ==
		    -1) {
			fprintf(stderr, "cors-wrap: %s\n", err);
			return 1;
		}
	}
	daemon_cloexec_inherited();
	fo->max_conns = max_connections(fo->stderr_to_server);	/* while still root */
	if (daemon_drop(&ra, err, sizeof(err)) == -1) {
		fprintf(stderr, "cors-wrap: %s\n", err);
		return 1;
	}
	fo->environ = environ;
	if (fo->tmpdir == NULL)
		fo->tmpdir = "/tmp";
	return daemon_run(fo, workers);
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'k' },
		{ "explain", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		/* The table of keys (cors-wrap(1)), which tests/keys.bats holds the docs to. */
		{ "keys", no_argument, NULL, 'K' },
		{ "life-limit", required_argument, NULL, 'T' },
		{ "max-scripts", required_argument, NULL, 'j' },
		{ "queue", required_argument, NULL, 'Q' },
		/* --check: warnings fail the test too. */
		{ "strict", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct launch		 l;
	struct cgi_opts		 o;
	struct fastcgi_opts	 fo;
	struct socket_opts	 so;
	const char		*config = NULL, *run_user = NULL;
	unsigned		 workers = 1;
	int			 ch, do_check = 0, do_explain = 0, rc;
	bool			 strict = false;
	int			 fcgi_opt = 0, sd = -1;

	if (argc < 1)
		return 1;
	if (launch_init(&l, argc, argv, request_env_get, environ) == -1) {
		fprintf(stderr, "cors-wrap: out of memory\n");
		return 1;
	}
	/* Options only from arguments the server (or a user) gave. */
	opterr = 0;
	memset(&fo, 0, sizeof(fo));
	fo.listen_fd = 0;
	fo.timeout = 120;
	fo.spool_max = SPOOL_MAX_DEFAULT;
	fo.spool_worker_max = SPOOL_WORKER_MAX_DEFAULT;
	fo.idle = IDLE_DEFAULT;
	fo.max_scripts = MAX_SCRIPTS;
	fo.queue_max = QUEUE_MAX;
	fo.tmpdir = getenv("TMPDIR");
	memset(&so, 0, sizeof(so));
	so.uid = (uid_t)-1;
	so.gid = (gid_t)-1;
	so.mode = 0660;
	/* A server's CGI run has no options: skipping getopt_long spares a
	 * page fault on every request (bench/run). */
	while (l.argc > 1 && (ch = getopt_long(l.argc, l.argv,
	    "+:B:b:c:fG:i:j:M:s:t:T:U:u:", opts, NULL)) != -1) {
		if (strchr("BbcfGijMQstTUu", ch) != NULL)
			fcgi_opt = 1;
		switch (ch) {
		case 'b':
			fo.spool_max = size_arg(optarg, "the spool size");
			break;
		case 'B':
			fo.spool_worker_max = size_arg(optarg,
			    "the worker's spool size");
			break;
		case 'c':
			workers = (unsigned)number(optarg, 1, 256,
			    "the number of workers");
			break;
		case 'f':
			fo.stderr_to_server = true;
			break;
		case 'G':
			so.gid = group_id(optarg);
			break;
		case 'i':
			fo.idle = (unsigned)number(optarg, 1, 31536000,
			    "the idle timeout");
			break;
		case 'j':
			fo.max_scripts = (unsigned)number(optarg, 1, 65536,
			    "the number of scripts at once");
			break;
		case 'Q':
			fo.queue_max = (unsigned)number(optarg, 0, 65536,
			    "the length of the queue");
			break;
		case 'M':
			so.mode = socket_mode(optarg);
			break;
		case 's':
			so.spec = optarg;
			break;
		case 't':
			fo.timeout = (unsigned)number(optarg, 1, 31536000,
			    "the timeout");
			break;
		case 'T':
			fo.life = (unsigned)number(optarg, 0, 31536000,
			    "the life limit");
			break;
		case 'U':
			so.uid = user_id(optarg);
			break;
		case 'u':
			run_user = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'k':
			do_check = 1;
			break;
		case 'e':
			do_explain = 1;
			break;
		case 'S':
			strict = true;
			break;
		case 'K':
			config_print_keys(stdout);
			launch_free(&l);
			return 0;
		case 'h':
			usage(0);
		case 'V':
			printf("cors-wrap %s\n", VERSION);
			return 0;
		case ':':
			fprintf(stderr, "cors-wrap: option %s needs a value\n",
			    l.argv[optind - 1]);
			usage(1);
		default:
			fprintf(stderr, "cors-wrap: unknown option %s\n",
			    l.argv[optind - 1]);
			usage(1);
		}
	}
	if (strict && !do_check) {
		fprintf(stderr, "cors-wrap: --strict goes with --check\n");
		usage(1);
	}
	if (do_check || do_explain) {
		rc = do_check ? check(config, strict) : explain_main(config,
		    l.argv + optind, l.argc - optind);
		launch_free(&l);
		return rc;
	}

	/* FastCGI when given a socket: one to bind, one from systemd, or
	 * fd 0 listening as spawn-fcgi and mod_fcgid hand it over. */
	if (!l.server && (so.spec != NULL ||
	    (sd = daemon_systemd_fd()) != -1 || daemon_fd0_is_listener())) {
		if (so.spec == NULL && sd != -1) {
			fo.listen_fd = sd;
			fo.listen_keep = true;
		}
		if (optind != l.argc) {
			fprintf(stderr, "cors-wrap: FastCGI mode takes no "
			    "program: the server names it (SCRIPT_FILENAME) "
			    "or CORS_EXEC does\n");
			return 1;
		}
		fo.config = config;
		rc = fastcgi(&fo, &so, workers, run_user);
		launch_free(&l);
		return rc;
	}
	if (fcgi_opt) {
		fprintf(stderr, "cors-wrap: -b, -B, -c, -f, -G, -i, -j, -M, "
		    "--queue, -s, -T, -t, -U and -u are FastCGI options, and "
		    "there is no socket (use -s)\n");
		return 1;
	}
	if (!l.server && optind == l.argc)
		usage(1);

	memset(&o, 0, sizeof(o));
	o.envp = environ;
	o.config = config;
	o.prog = l.argv + optind;
	o.nprog = l.argc - optind;
	o.extra = l.extra;
	o.nextra = l.nextra;
	o.argv_ignored = l.ignored;
	rc = cgi_serve(&o);
	launch_free(&l);
	/* Everything went out with write(2); exit(3) would only run
	 * handlers on pages this request has not touched yet. */
	leak_check();
	_exit(rc);
}
