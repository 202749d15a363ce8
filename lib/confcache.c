#include "confcache.h"

#include <stdlib.h>
#include <string.h>

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
	if (e->key == NULL)
		return;
	if (e->ok)
		config_free(&e->cfg);
	diag_free(&e->diag);
	free(e->ini);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

void
confcache_clear(struct confcache *c)
{
	size_t	 i;

	for (i = 0; i < CONFCACHE_SLOTS; i++) {
		if (c->slot[i].users == 0)
			entry_free(&c->slot[i]);
		else	/* in use: never matched again, evicted when free */
			c->slot[i].stale = true;
	}
}

void
confcache_free(struct confcache *c)
{
	size_t	 i;

	for (i = 0; i < CONFCACHE_SLOTS; i++)
		entry_free(&c->slot[i]);
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

	e->has_file = ini != NULL && ini[0] != '\0' && stat(ini, &st) == 0 &&
	    (e->ini = strdup(ini)) != NULL;
	if (!e->has_file)
		return;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
}

/* One stat(2) per request with an INI file: cheaper than making people
 * remember to send SIGHUP, and no reload is ever half-seen. */
static bool
file_changed(const struct confcache_entry *e)
{
	struct stat	 st;

	if (!e->has_file)
		return false;
	if (stat(e->ini, &st) == -1)
		return true;
	return st.st_dev != e->dev || st.st_ino != e->ino ||
	    st.st_size != e->size || st.st_mtim.tv_sec != e->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != e->mtime.tv_nsec;
}

struct confcache_entry *
confcache_get(struct confcache *c, char *const *params)
{
	struct confcache_entry	*e, *victim = NULL;
	const char		*ini;
	size_t			 klen, i;
	char			**env;

	c->miss = CONFCACHE_NOMEM;
	if ((klen = make_key(c, params)) == 0) {
		c->miss = CONFCACHE_TOO_LARGE;
		return NULL;
	}
	if (klen == 1)
		c->key[0] = '\0';
	c->clock++;
	for (i = 0; i < CONFCACHE_SLOTS; i++) {
		e = &c->slot[i];
		if (e->key != NULL && !e->stale && e->keylen == klen &&
		    memcmp(e->key, c->key, klen) == 0) {
			if (file_changed(e)) {
				if (e->users > 0) {
					e->stale = true;
					continue;
				}
				entry_free(e);
				victim = e;
				break;
			}
			e->used = c->clock;
			e->users++;
			return e;
		}
		if (e->users != 0)
			continue;
		/* An empty slot, else the least recently used. */
		if (victim == NULL || (victim->key != NULL &&
		    (e->key == NULL || e->used < victim->used)))
			victim = e;
	}
	if (victim == NULL) {
		c->miss = CONFCACHE_BUSY;
		return NULL;
	}
	entry_free(victim);
	if ((victim->key = malloc(klen)) == NULL)
		return NULL;
	memcpy(victim->key, c->key, klen);
	victim->keylen = klen;
	if ((env = merged_env(c, params)) == NULL) {
		free(victim->key);
		victim->key = NULL;
		return NULL;
	}
	ini = c->config != NULL ? c->config : request_env_get(env,
	    "CORS_CONFIG");
	/* Stat before reading: a change while loading shows next time. */
	remember_file(victim, ini);
	victim->ok = config_load(&victim->cfg, ini, env, &victim->diag) == 0;
	free(env);
	victim->used = c->clock;
	victim->users = 1;
	return victim;
}

void
confcache_release(struct confcache_entry *e)
{
	if (e != NULL && e->users > 0)
		e->users--;
}
