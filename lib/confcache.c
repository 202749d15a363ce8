#include "confcache.h"

#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "request.h"

int
confcache_init(struct confcache *c, const char *config, char *const *environ)
{
	memset(c, 0, sizeof(*c));
	c->config = config;
	c->environ = environ;
	return (c->key = malloc(CONFCACHE_KEY_MAX)) == NULL ? -1 : 0;
}

static void
entry_free(struct confcache_entry *e)
{
	config_free(&e->cfg);	/* zeroed by a load that failed */
	diag_free(&e->diag);
	free(e->ini);
	free(e->key);
	free(e);
}

/* Takes slot i's entry out of the cache.  One a request still holds
 * waits for its release: a reload must not make new requests wait for
 * old ones, however long they run. */
static void
evict(struct confcache *c, size_t i)
{
	struct confcache_entry	*e = c->slot[i];

	c->slot[i] = NULL;
	if (e == NULL)
		return;
	if (e->users > 0)
		e->evicted = true;
	else
		entry_free(e);
}

void
confcache_clear(struct confcache *c)
{
	size_t	 i;

	for (i = 0; i < CONFCACHE_SLOTS; i++)
		evict(c, i);
}

void
confcache_free(struct confcache *c)
{
	confcache_clear(c);
	free(c->key);
	c->key = NULL;
}

static bool
is_cors(const char *kv)
{
	return strncmp(kv, "CORS_", 5) == 0;
}

/* The key: every CORS_* param, in the order the server sends them (a
 * location sends the same list each time). */
static size_t
make_key(struct confcache *c, char *const *params)
{
	size_t	 o = 0, n;

	for (; *params != NULL; params++) {
		if (!is_cors(*params))
			continue;
		n = strlen(*params) + 1;
		if (o + n > CONFCACHE_KEY_MAX)
			return 0;
		memcpy(c->key + o, *params, n);
		o += n;
	}
	return o == 0 ? 1 : o;		/* "" + NUL: no CORS_* params */
}

/* The params' CORS_* over the daemon's own: the server's per-location
 * setting is the most specific. */
static char **
merged_env(const struct confcache *c, char *const *params)
{
	size_t	 n = 0, o = 0, i, len;
	char	**v;
	char *const *e;

	for (e = params; *e != NULL; e++)
		n++;
	for (e = c->environ; e != NULL && *e != NULL; e++)
		n++;
	if ((v = calloc(n + 1, sizeof(char *))) == NULL)
		return NULL;
	for (e = params; *e != NULL; e++)
		if (is_cors(*e))
			v[o++] = *e;
	for (e = c->environ; e != NULL && *e != NULL; e++) {
		if (!is_cors(*e))
			continue;
		len = strcspn(*e, "=");
		for (i = 0; i < o; i++)
			if (strncmp(v[i], *e, len + 1) == 0)
				break;
		if (i == o)
			v[o++] = *e;
	}
	v[o] = NULL;
	return v;
}

static void
remember_file(struct confcache_entry *e, const char *ini)
{
	struct stat	 st;

	e->has_file = ini != NULL && ini[0] != '\0' &&
	    (e->ini = strdup(ini)) != NULL;
	if (!e->has_file)
		return;
	if (stat(ini, &st) == -1) {
		e->absent = true;
		return;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->ctime = st.st_ctim;
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * One stat(2) per request with an INI file: cheaper than making people
 * remember to send SIGHUP.  A file read while it is being written is seen
 * half written (a later request reads it again, its size or mtime
 * changed): cors-wrap.ini(5) says to rename a new version into place.
 * A file that was missing at the load (removed and written again by an
 * editor or a deploy) is read once it is back, and a load that failed is
 * tried again when the file's mode or owner changed (ctime), not only its
 * contents: otherwise the worker answered 500 until SIGHUP although the
 * file was fixed.
 */
static bool
file_changed(const struct confcache_entry *e)
{
	struct stat	 st;

	if (!e->has_file)
		return false;
	if (stat(e->ini, &st) == -1)
		return !e->absent;
	if (e->absent)
		return true;
	return st.st_dev != e->dev || st.st_ino != e->ino ||
	    st.st_size != e->size || !same_time(&st.st_mtim, &e->mtime) ||
	    (e->diag.count > 0 && !same_time(&st.st_ctim, &e->ctime));
}

/* Is e a better entry to evict than v?  One no request holds, else the
 * least recently used. */
static bool
evict_first(const struct confcache_entry *e, const struct confcache_entry *v)
{
	if ((e->users == 0) != (v->users == 0))
		return e->users == 0;
	return e->used < v->used;
}

/* The slot for a new entry: an empty one, else evict_first's choice. */
static size_t
victim(const struct confcache *c)
{
	size_t	 i, vi = 0;

	for (i = 0; i < CONFCACHE_SLOTS; i++) {
		if (c->slot[i] == NULL)
			return i;
		if (evict_first(c->slot[i], c->slot[vi]))
			vi = i;
	}
	return vi;
}

/* Params too large to be a key: the one value config_load would reject
 * is named, as it would name it. */
static void
too_large(char *const *params, struct diag *d)
{
	char *const	*e;
	const char	*eq;

	for (e = params; *e != NULL; e++) {
		if (!is_cors(*e) || (eq = strchr(*e, '=')) == NULL ||
		    strlen(eq + 1) <= CONFIG_VALUE_MAX)
			continue;
		diag_add(d, "%.*s: value longer than %d bytes", (int)(eq - *e),
		    *e, CONFIG_VALUE_MAX);
		return;
	}
	diag_add(d, "the CORS_* params are longer than %d bytes in all",
	    CONFCACHE_KEY_MAX);
}

struct confcache_entry *
confcache_get(struct confcache *c, char *const *params, struct diag *d)
{
	struct confcache_entry	*e;
	const char		*ini;
	size_t			 klen, i;
	char			**env;

	if ((klen = make_key(c, params)) == 0) {
		too_large(params, d);
		return NULL;
	}
	if (klen == 1)
		c->key[0] = '\0';
	c->clock++;
	for (i = 0; i < CONFCACHE_SLOTS; i++) {
		e = c->slot[i];
		if (e == NULL || e->keylen != klen ||
		    memcmp(e->key, c->key, klen) != 0)
			continue;
		if (file_changed(e)) {
			evict(c, i);
			break;
		}
		e->used = c->clock;
		e->users++;
		return e;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = malloc(klen)) == NULL ||
	    (env = merged_env(c, params)) == NULL) {
		if (e != NULL)
			free(e->key);
		free(e);
		diag_add(d, "out of memory");
		return NULL;
	}
	memcpy(e->key, c->key, klen);
	e->keylen = klen;
	ini = c->config != NULL ? c->config : request_env_get(env,
	    "CORS_CONFIG");
	/* Stat before reading: a change while loading shows next time. */
	remember_file(e, ini);
	(void)config_load(&e->cfg, ini, env, &e->diag);
	free(env);
	e->used = c->clock;
	e->users = 1;
	i = victim(c);
	evict(c, i);
	c->slot[i] = e;
	return e;
}

const struct config *
confcache_config(const struct confcache_entry *e, struct diag *d)
{
	if (e->diag.count == 0)
		return &e->cfg;
	diag_copy(d, &e->diag);
	return NULL;
}

void
confcache_release(struct confcache_entry *e)
{
	if (e == NULL || e->users == 0)
		return;
	if (--e->users == 0 && e->evicted)
		entry_free(e);
}
