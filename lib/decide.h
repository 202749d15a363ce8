/*
 * The steps every request takes, in CGI and FastCGI mode alike: pick the
 * section for the path, decide, and log the outcome.
 */
#ifndef CORS_DECIDE_H
#define CORS_DECIDE_H

#include "config.h"
#include "diag.h"
#include "log.h"
#include "policy.h"
#include "ratelimit.h"
#include "request.h"

/* Decides the answer; returns the section whose policy applied.  A path
 * that cannot be decoded fails closed: no CORS header. */
const struct section	*decide(const struct config *, const struct request *,
			    struct answer *);

/* Where the budget for "refused" lines lives: the worker's memory in
 * FastCGI mode, a file shared by the processes of one user in CGI mode. */
struct log_budget {
	struct ratelimit	*bucket;
	const char		*file;
};

/* Logs the outcome: refused requests at the configured level (log_refused)
 * within the log_rate budget, others at debug. */
void	decide_log(const struct logger *, const struct config *,
	    const struct log_budget *, const struct request *,
	    const struct section *, const struct answer *);

/* Logs, as decide_log_withheld, the script's credentials dropped from a
 * local redirect (cgiheader_drops_credentials). */
void	decide_log_dropped(const struct logger *, const struct config *,
	    const struct log_budget *, const struct request *);

/* Logs, as a refused request and within the same budget, an answer whose
 * Allow-Origin the script's own credentials withheld (cgiheader_merge). */
void	decide_log_withheld(const struct logger *, const struct config *,
	    const struct log_budget *, const struct request *);

/* One log line per configuration error. */
void	decide_log_diag(const struct logger *, const struct diag *);

#endif
