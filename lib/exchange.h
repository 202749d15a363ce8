/*
 * One request's lifecycle around the decision, the same in CGI and
 * FastCGI mode: read the request (CGI's environment or FastCGI's params,
 * through a request_getter), pick the section for its path, decide, log
 * the outcome, answer a preflight, and choose the script to run.  Nothing
 * here reads or writes a descriptor but the log's: the drivers (lib/cgi.c,
 * the FastCGI loop) do the I/O, with lib/child.h for the script.
 */
#ifndef CORS_EXCHANGE_H
#define CORS_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgiheader.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "policy.h"
#include "ratelimit.h"
#include "request.h"
#include "script.h"

/* Where the budget for "refused" lines lives: the worker's memory in
 * FastCGI mode (bucket), a file shared by the CGI processes of one user
 * (user_file).  With neither, every line is logged. */
struct log_budget {
	struct ratelimit	*bucket;
	bool			 user_file;
};

/*
 * One request.  req and ans are the caller's storage: where they lie is
 * part of a CGI process's page faults (lib/cgi.c).
 */
struct exchange {
	const struct config	*cfg;
	const struct logger	*lg;
	struct log_budget	 budget;
	struct request		*req;
	struct answer		*ans;
	const struct section	*sec;	/* exchange_begin: whose policy */
	int			 status;	/* EXCHANGE_ANSWER: its status */
};

enum exchange_next {
	EXCHANGE_ANSWER,	/* cors-wrap answers itself (a preflight) */
	EXCHANGE_RUN		/* the script answers, the CORS fields merged */
};

/* Reads the request through the getter, decides and logs; answers a
 * preflight itself when automatic_options is on. */
enum exchange_next	exchange_begin(struct exchange *, request_getter,
			    void *ctx);

/* Decides the answer; returns the section whose policy applied.  A path
 * that cannot be decoded fails closed: no CORS header. */
const struct section	*exchange_decide(const struct config *,
			    const struct request *, struct answer *);

/* Where the program to run comes from besides the configuration. */
struct exchange_prog {
	char		**prog;		/* trusted argv (CGI): PROGRAM ARG... */
	int		 nprog;
	char		**extra;	/* words passed on after them */
	int		 nextra;
};

/*
 * CGI mode's script: trusted argv, else CORS_EXEC, else the script root's
 * script named by PATH_INFO.  Returns -1 with s->status (0: out of memory)
 * and the cause logged.
 */
int	exchange_script(const struct exchange *, const struct exchange_prog *,
	    request_getter, void *ctx, struct script *s);

/* An answer cors-wrap makes itself (a preflight, an error) into buf; when
 * the answer's fields do not fit, the status alone.  Returns the length,
 * or -1 when not even that fits. */
ssize_t	exchange_format(char *buf, size_t len, int status,
	    const struct answer *);

/* Logs the outcome: refused requests at the configured level (log_refused)
 * within the log_rate budget, others at debug. */
void	exchange_log(const struct logger *, const struct config *,
	    const struct log_budget *, const struct request *,
	    const struct section *, const struct answer *);

/* Logs, as a refused request and within the same budget, what merging the
 * answer into the script's header block withheld or dropped because of
 * the script's own credentials (cgiheader_withholds,
 * cgiheader_drops_credentials).  True when the answer's Access-Control-*
 * fields were withheld (the daemon counts it). */
bool	exchange_log_merged(const struct logger *, const struct config *,
	    const struct log_budget *, const struct request *,
	    const struct cgi_headers *, const struct answer *);

/* The fields a JSON log line gives of the request (lib/log.h), into
 * lg->req: for every line logged about it. */
void	exchange_log_fields(struct logger *, const struct request *,
	    const struct section *, const struct answer *);

/* One log line per configuration error. */
void	exchange_log_diag(const struct logger *, const struct diag *);

#endif
