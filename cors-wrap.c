/*
 * cors-wrap: Cross-Origin Resource Sharing for CGI programs.
 *
 * This file is the glue: which arguments to believe, which options were
 * given, which mode to run.  Everything else is in lib/.
 */

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cgi.h"
#include "lib/config.h"
#include "lib/launch.h"
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
	    "       cors-wrap --check [--config file]\n"
	    "       cors-wrap --version\n");
	exit(status);
}

/* Like nginx -t: every error with its place, or the effective policy. */
static int
check(const char *ini)
{
	struct config	 cfg;
	struct diag	 d = { NULL, 0, 0, 0 };
	struct stat	 st;
	int		 rc = 0;

	if (ini == NULL)
		ini = getenv("CORS_CONFIG");
	if (config_load(&cfg, ini, environ, &d) == -1) {
		const char	*p = d.text, *nl;

		while (p != NULL && *p != '\0') {
			nl = strchr(p, '\n');
			fprintf(stderr, "cors-wrap: %.*s\n",
			    (int)(nl != NULL ? nl - p : (long)strlen(p)), p);
			p = nl != NULL ? nl + 1 : NULL;
		}
		fprintf(stderr, "cors-wrap: configuration test failed\n");
		diag_free(&d);
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
	config_print(&cfg, stdout);
	config_free(&cfg);
	fprintf(stderr, "cors-wrap: configuration test %s\n",
	    rc == 0 ? "successful" : "failed");
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct launch	 l;
	struct cgi_opts	 o;
	const char	*config = NULL;
	int		 ch, do_check = 0, rc;

	if (argc < 1)
		return 1;
	if (launch_init(&l, argc, argv, request_env_get, environ) == -1) {
		fprintf(stderr, "cors-wrap: out of memory\n");
		return 1;
	}
	/* Options only from arguments the server (or a user) gave. */
	opterr = 0;
	while ((ch = getopt_long(l.argc, l.argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			config = optarg;
			break;
		case 'k':
			do_check = 1;
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("cors-wrap %s\n", VERSION);
			return 0;
		default:
			fprintf(stderr, "cors-wrap: unknown option %s\n",
			    l.argv[optind - 1]);
			usage(1);
		}
	}
	if (do_check)
		return check(config);
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
	return rc;
}
