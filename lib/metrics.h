/*
 * The FastCGI daemon's counters, summed over its workers and served in
 * the Prometheus text exposition format (version 0.0.4).
 *
 * The master maps one region (MAP_SHARED | MAP_ANONYMOUS) before it
 * forks: a slot per worker, written by that worker alone (no lock: a
 * single writer loads and stores; the shared table of section names
 * alone is claimed with an atomic compare-and-swap), read by whichever
 * worker answers a scrape, which sums the slots.  A worker started in
 * place of a dead one continues the dead one's slot, so no counter ever
 * goes backwards, and a reload (SIGHUP, a changed INI file) changes the
 * configuration, not the region.  CGI mode has none: each request is a
 * process of its own.
 *
 * No origin, path or other request value is a label: their number has no
 * bound.  The sections of the configuration are, at most
 * METRICS_SECTIONS_MAX names in all, in a table the workers share: a
 * section past those, or named with METRICS_SECTION_NAME_MAX bytes or
 * more, counts as "other", for good.
 */
#ifndef CORS_METRICS_H
#define CORS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "policy.h"

#define METRICS_SECTIONS_MAX	32
#define METRICS_SECTION_NAME_MAX 64
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics;		/* the shared region */
struct metrics_slot;	/* one worker's part of it */

/* A zeroed region of n slots, shared with the processes forked after;
 * NULL with errno when it cannot be mapped. */
struct metrics		*metrics_create(unsigned n);
void			 metrics_free(struct metrics *);
struct metrics_slot	*metrics_slot(struct metrics *, unsigned i);

/* Each does nothing with a NULL slot (no region). */
void	metrics_worker_start(struct metrics_slot *);	/* the gauges: 0 */
void	metrics_request(struct metrics_slot *, const char *section,
	    const struct answer *);
void	metrics_script(struct metrics_slot *);
/* The script's own credentials withheld the answer's Access-Control-*
 * fields (cgiheader_withholds): the decision counted it allowed, the log
 * says refused. */
void	metrics_withheld(struct metrics_slot *);
void	metrics_gateway(struct metrics_slot *, int status); /* 502, 504 */
void	metrics_spooled(struct metrics_slot *, size_t bytes);
void	metrics_queue(struct metrics_slot *, unsigned depth);

/* Did the server ask for the counters?  The param CORS_METRICS=1, which
 * only the server can set: a client's CORS-Metrics header comes as
 * HTTP_CORS_METRICS.  METRICS_ODD: CORS_METRICS with another value, at
 * *value; no counters, but the caller logs it, since a location meant
 * for them would otherwise run a script without a word. */
enum metrics_ask {
	METRICS_NOT_ASKED,
	METRICS_ASKED,
	METRICS_ODD
};
/* Inline: CGI mode asks too, and a call into this file's pages would
 * cost each CGI request a page fault (lib/cgi.c). */
static inline enum metrics_ask
metrics_asked(char *const *envp, const char **value)
{
	static const char	 name[] = "CORS_METRICS=";

	/* Every request asks: the first byte turns nearly every param
	 * away before a comparison is called. */
	for (; envp != NULL && *envp != NULL; envp++) {
		if (**envp != 'C' ||
		    strncmp(*envp, name, sizeof(name) - 1) != 0)
			continue;
		*value = *envp + sizeof(name) - 1;
		return strcmp(*value, "1") == 0 ? METRICS_ASKED : METRICS_ODD;
	}
	*value = NULL;
	return METRICS_NOT_ASKED;
}
#define METRICS_ODD_LOG	"CORS_METRICS=\"%.64s\" is not 1: answered as a " \
			    "request, not with the counters"

/* The exposition, every counter summed over the slots, in pieces of at
 * most len bytes, each formatted in buf and passed to out. */
void	metrics_write(const struct metrics *, char *buf, size_t len,
	    void (*out)(void *, const char *, size_t), void *ctx);

#endif
