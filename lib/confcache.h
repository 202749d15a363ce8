/*
 * FastCGI mode: compiled configurations, cached by what selects them (the
 * request's CORS_* params, which is how nginx sets a policy per location,
 * and the INI file they name), so parsing and regcomp happen once per
 * distinct configuration, never per request.
 */
#ifndef CORS_CONFCACHE_H
#define CORS_CONFCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "diag.h"

/* Configurations kept for reuse.  An entry a running request still holds
 * may leave the cache (a reload, or room for another): it is then freed
 * when its last request ends, so no request ever waits for a slot and the
 * entries alive are at most this many plus one per request in progress. */
#define CONFCACHE_SLOTS		64
#define CONFCACHE_KEY_MAX	65536

/* An entry holds a configuration, or the diag of one that did not load
 * (config_load adds a line exactly when it fails): a broken file is read
 * again when it changes, not on every request.  Read it through
 * confcache_config. */
struct confcache_entry {
	char		*key;
	size_t		 keylen;
	struct config	 cfg;		/* when diag has no line */
	struct diag	 diag;
	unsigned	 users;		/* requests holding it */
	bool		 evicted;	/* out of the cache: freed by the last
					   confcache_release */
	/* The INI file as it was loaded: a changed file is re-read, and
	 * one that was missing is read once it is there. */
	bool		 has_file;
	bool		 absent;	/* stat(2) failed at the load */
	char		*ini;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;
	unsigned long	 used;		/* for least-recently-used eviction */
};

struct confcache {
	struct confcache_entry	*slot[CONFCACHE_SLOTS];	/* NULL: empty */
	unsigned long		 clock;
	const char		*config;	/* --config */
	char *const		*environ;	/* the daemon's CORS_* */
	char			*key;		/* scratch, CONFCACHE_KEY_MAX */
};

int	confcache_init(struct confcache *, const char *config,
	    char *const *environ);
void	confcache_clear(struct confcache *);	/* every entry, on SIGHUP */
void	confcache_free(struct confcache *);

/*
 * The entry for a request's params ("NAME=VALUE", NULL-terminated),
 * loading its configuration on a miss.  Returns NULL, with the reason in
 * d, when out of memory or the CORS_* params are too large: no
 * configuration could be tried (one that does not load is an entry, see
 * confcache_config).  The entry stays valid until released, whatever the
 * cache does meanwhile.
 */
struct confcache_entry	*confcache_get(struct confcache *, char *const *params,
			    struct diag *);
/* The entry's configuration; NULL, with the lines saying why it did not
 * load added to d, for one that did not. */
const struct config	*confcache_config(const struct confcache_entry *,
			    struct diag *);
void			 confcache_release(struct confcache_entry *);

#endif
