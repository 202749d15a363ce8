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
#include "request.h"

/* Decides the answer; returns the section whose policy applied.  A path
 * that cannot be decoded fails closed: no CORS header. */
const struct section	*decide(const struct config *, const struct request *,
			    struct answer *);

void	decide_log(const struct logger *, const struct request *,
	    const struct section *, const struct answer *);

/* One log line per configuration error. */
void	decide_log_diag(const struct logger *, const struct diag *);

#endif
