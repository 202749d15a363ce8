/*
 * fuzz_config: the configuration loader.  config_load over INI text (in a
 * memory file, read by inifile.c's own scan and by iniparser) and CORS_*
 * environment entries.
 * Input: INI text, then optionally a line "%env" and environment entries,
 * one a line ("CORS_ORIGINS=..."); an input starting with "%env" has no
 * INI file at all.
 * Invariants:
 *   - a configuration that fails to load says why and yields nothing: no
 *     section, no policy, nothing to free;
 *   - one that loads has no error, its global section last and every
 *     other section a path starting with '/', ordered most specific first;
 *   - every policy is one the documentation allows: never credentials with
 *     origins "*", a preflight status of 204 or 200, methods upper-case
 *     sorted unique tokens, expose_headers sorted tokens, exact origins
 *     valid, max_age within its bounds;
 *   - a CORS_* variable that loaded is the value of every section;
 *   - inifile.c's scan (which names FILE:LINE in errors and checks
 *     duplicates) and iniparser (which gives the values) read the same
 *     sections and keys: otherwise a value would come from another line
 *     than the one validated and reported;
 *   - allow_headers' ~REGEX entries are valid EREs on their own and allow
 *     a name when a match spans all of it;
 *   - every answer any section gives holds only printable bytes and never
 *     "*" with credentials.
 */
#include "fuzz.h"

#include <dictionary.h>
#include <iniparser.h>

#include "config.h"
#include "exchange.h"
#include "inifile.h"
#include "bounds.h"
#include "origin.h"
#include "policy.h"
#include "request.h"
#include "response.h"
#include "token.h"

#define FZ_ENV_MAX	32

static struct fz_memfile	 mf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_memfile_open(&mf);
	return 0;
}

/* Splits the input: *ini (NULL for none) and env, NULL-terminated. */
static char *
split_input(const uint8_t *data, size_t size, const char **ini,
    size_t *inilen, char **env)
{
	static const char	 mark[] = "%env\n";
	char			*buf = fz_malloc(size + 1), *p, *nl, *e;
	size_t			 n = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	*ini = buf;
	*inilen = size;
	e = NULL;
	if (size >= 5 && memcmp(buf, mark, 5) == 0) {
		*ini = NULL;
		e = buf + 5;
	} else {
		for (p = buf; (p = memchr(p, '%', size - (size_t)(p - buf)));
		    p++) {
			if (p > buf && p[-1] == '\n' &&
			    size - (size_t)(p - buf) >= 5 &&
			    memcmp(p, mark, 5) == 0) {
				*inilen = (size_t)(p - buf);
				e = p + 5;
				break;
			}
		}
	}
	for (p = e; p != NULL && p < buf + size && n < FZ_ENV_MAX; p = nl + 1) {
		if ((nl = memchr(p, '\n', size - (size_t)(p - buf))) == NULL)
			nl = buf + size;
		*nl = '\0';
		if (*p != '\0')
			env[n++] = p;
	}
	env[n] = NULL;
	return buf;
}

static bool
is_upper_token(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			return false;
	return tok_is_token(s, i);
}

static void
check_policy(const struct policy *p)
{
	const char	*first = NULL;
	size_t		 i;
	struct origin_parts o;
	struct tok_iter	 it;
	const char	*w, *prev = NULL;
	size_t		 n, plen = 0;
	char		 num[24];

	CHECK(!(p->supports_credentials && p->origins_any));
	CHECK(p->preflight_status == 204 || p->preflight_status == 200);
	CHECK(p->norigins <= CONFIG_LIST_MAX);
	for (i = 0; i < p->norigins; i++) {
		const struct origin_entry *e = &p->origins[i];

		CHECK(e->text != NULL);
		if (e->kind == OENTRY_ANY)
			CHECK(p->origins_any);
		if (e->kind != OENTRY_EXACT)
			continue;
		CHECK(origin_parse(e->text, strlen(e->text), &o) == ORIGIN_OK);
		if (first == NULL || strcmp(e->text, first) < 0)
			first = e->text;
	}
	CHECK(first == p->first_exact);
	for (i = 0; i < p->nmethods; i++) {
		CHECK(is_upper_token(p->methods[i]));
		if (i > 0)
			CHECK(strcmp(p->methods[i - 1], p->methods[i]) < 0);
	}
	CHECK(p->methods_value != NULL && fz_printable(p->methods_value,
	    strlen(p->methods_value)));
	for (i = 0; i < p->nallow_headers; i++)
		CHECK(p->allow_headers[i].name != NULL &&
		    (p->allow_headers[i].regex ||
		    tok_is_token(p->allow_headers[i].name,
		    strlen(p->allow_headers[i].name))));
	if (p->expose_value != NULL) {
		tok_iter_init(&it, p->expose_value, strlen(p->expose_value));
		while (tok_next_field(&it, &w, &n)) {
			CHECK(tok_is_token(w, n));
			if (prev != NULL)
				CHECK(memcmp(prev, w, plen < n ? plen : n) <= 0);
			prev = w;
			plen = n;
		}
	}
	CHECK(p->max_age >= -1 && p->max_age <= MAX_AGE_MAX);
	if (p->max_age >= 0) {
		snprintf(num, sizeof(num), "%ld", p->max_age);
		CHECK(strcmp(num, p->max_age_value) == 0);
	}
}

/* The environment's value of key k, if one of env sets it. */
static const char *
env_value(char *const *env, int k)
{
	const struct config_keydef *d = &config_keys[k];
	size_t	 i, n;

	for (i = 0; env[i] != NULL; i++) {
		if (d->env != NULL && (n = strlen(d->env)) > 0 &&
		    strncmp(env[i], d->env, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
		if (d->env_alias != NULL && (n = strlen(d->env_alias)) > 0 &&
		    strncmp(env[i], d->env_alias, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	}
	return NULL;
}

/* Does iniparser's dictionary hold exactly the sections and keys that
 * inifile.c's scan found? */
static void
check_same_keys(const char *path)
{
	struct inifile	 f;
	struct diag	 d;
	const dictionary *dict;
	char		*k;
	ssize_t		 i;
	size_t		 j, n, nkeys = 0, nsecs = 0;

	memset(&d, 0, sizeof(d));
	CHECK(inifile_load(&f, path, &d) == 0);
	dict = f.dict;
	for (j = 0; j < f.nentries; j++) {
		n = strlen(f.entries[j].section) + strlen(f.entries[j].key) + 2;
		k = fz_malloc(n);
		snprintf(k, n, "%s:%s", f.entries[j].section, f.entries[j].key);
		if (iniparser_find_entry(dict, k) == 0) {
			fprintf(stderr, "scan found \"%s\" (line %u), iniparser "
			    "did not\n", k, f.entries[j].line);
			CHECK(!"a key the scan found is not iniparser's");
		}
		free(k);
	}
	for (j = 0; j < f.nsections; j++) {
		if (iniparser_find_entry(dict, f.sections[j].name) == 0) {
			fprintf(stderr, "scan found section [%s] (line %u), "
			    "iniparser did not\n", f.sections[j].name,
			    f.sections[j].line);
			CHECK(!"a section the scan found is not iniparser's");
		}
	}
	for (i = 0; i < dict->size; i++) {
		if (dict->key[i] == NULL)
			continue;
		if (strchr(dict->key[i], ':') != NULL)
			nkeys++;
		else
			nsecs++;
	}
	if (nkeys != f.nentries)
		fprintf(stderr, "iniparser has %zu keys, the scan %zu\n", nkeys,
		    f.nentries);
	CHECK(nkeys == f.nentries);
	CHECK(nsecs == f.nsections);
	inifile_free(&f);
	diag_free(&d);
}

static void
check_answer(const struct policy *p, const struct request *r,
    const struct answer *a)
{
	size_t	 i;
	char	 buf[RESPONSE_MAX];

	for (i = 0; i < a->nfields; i++) {
		const char	*v = a->fields[i].value;

		CHECK(fz_printable(v, strlen(v)));
		if (strcmp(a->fields[i].name, "Access-Control-Allow-Origin") ==
		    0) {
			CHECK(strcmp(v, "*") != 0 || !p->supports_credentials);
			CHECK(strcmp(v, "*") == 0 || (r->origin != NULL ?
			    v == r->origin : v == p->first_exact));
		}
	}
	(void)answer_format(a, "\r\n", buf, sizeof(buf));
}

/* The ~REGEX entries mean what fz_ere_whole says: a header name is
 * allowed when a literal entry names it or a pattern matches all of it. */
static void
check_header_patterns(const struct policy *p)
{
	static const char *const names[] = { "x-a", "Content-Type",
	    "X-Requested-With", "x-custom-12" };
	size_t	 i, k;
	bool	 want, valid;

	if (p->allow_headers_any)
		return;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const char	*h = names[k];

		want = false;
		for (i = 0; i < p->nallow_headers && !want; i++) {
			const struct header_entry *e = &p->allow_headers[i];

			if (e->regex) {
				want = fz_ere_whole(e->name + 1,
				    strlen(e->name) - 1, h, strlen(h), &valid);
				CHECK(valid);
			} else
				want = tok_eq_nocase(h, strlen(h), e->name,
				    strlen(e->name));
		}
		CHECK(want == (policy_header_entry(p, h, strlen(h)) != -1));
	}
}

/* A few requests against every section: an actual request and
 * preflights from an origin the policy lists, or from one it may not. */
static void
check_decisions(const struct config *c)
{
	static const char *const methods[] = { "PUT", "patch", "GET" };
	static char	 acrh[] =
	    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a, Content-Type";
	struct request	*r = fz_malloc(sizeof(*r));
	struct answer	*a = fz_malloc(sizeof(*a));
	char		 origin[ORIGIN_MAX + 16];
	size_t		 i, m;

	for (i = 0; i < c->nsections; i++) {
		const struct policy *p = &c->sections[i].policy;

		check_header_patterns(p);
		snprintf(origin, sizeof(origin), "HTTP_ORIGIN=%s",
		    p->first_exact != NULL ? p->first_exact :
		    "https://fuzz.example");
		for (m = 0; m < 4; m++) {
			char	 acrm[64];
			char	*env[] = { m < 3 ? "REQUEST_METHOD=OPTIONS" :
			    "REQUEST_METHOD=GET", origin, acrm, acrh,
			    "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK=true",
			    NULL };

			snprintf(acrm, sizeof(acrm),
			    "HTTP_ACCESS_CONTROL_REQUEST_METHOD=%s",
			    methods[m % 3]);
			request_read(r, request_env_get, env);
			policy_decide(p, r, a);
			check_answer(p, r, a);
		}
	}
	free(a);
	free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 c;
	struct diag	 d;
	char		*env[FZ_ENV_MAX + 1], *buf, *out = NULL;
	const char	*ini, *v;
	size_t		 inilen, i, outlen = 0;
	FILE		*f;
	int		 rc, k;

	if (!fz_regex_tame((const char *)data, size, FZ_WORD_ENDS))
		return 0;
	buf = split_input(data, size, &ini, &inilen, env);
	if (ini != NULL)
		fz_memfile_set(&mf, ini, inilen);

	memset(&d, 0, sizeof(d));
	rc = config_load(&c, ini != NULL ? mf.path : NULL, env, &d);
	if (rc == -1) {
		/* Says why, and yields no policy at all. */
		CHECK(d.count > 0 && d.text != NULL && d.text[0] != '\0');
		CHECK(c.sections == NULL && c.nsections == 0 &&
		    c.file == NULL && c.exec == NULL && c.script_root == NULL);
		diag_free(&d);
		free(buf);
		return 0;
	}
	CHECK(rc == 0 && d.count == 0 && d.text == NULL);
	CHECK(c.nsections >= 1 && c.nsections <= CONFIG_SECTIONS_MAX + 1);
	CHECK(c.sections[c.nsections - 1].path == NULL);
	CHECK(strcmp(c.sections[c.nsections - 1].name, "global") == 0);
	CHECK(c.exec == NULL || c.exec[0] == '/');
	CHECK(c.script_root == NULL || c.script_root[0] == '/');
	for (i = 0; i < c.nsections; i++) {
		const struct section *s = &c.sections[i];

		if (i + 1 < c.nsections)
			CHECK(s->path != NULL && s->path[0] == '/' &&
			    s->path_base != NULL &&
			    strncmp(s->path, s->path_base,
			    strlen(s->path_base)) == 0);
		if (i > 0 && i + 1 < c.nsections && s->literal)
			CHECK(c.sections[i - 1].literal);
		check_policy(&s->policy);
		for (k = 0; k < KEY_COUNT; k++) {
			if ((v = env_value(env, k)) != NULL)
				CHECK(s->set[k].value != NULL &&
				    strcmp(s->set[k].value, v) == 0);
		}
	}
	if (ini != NULL)
		check_same_keys(mf.path);
	check_decisions(&c);

	/* --check's output, for ASan's sake. */
	if ((f = open_memstream(&out, &outlen)) != NULL) {
		config_print(&c, f);
		fclose(f);
		free(out);
	}
	config_free(&c);
	CHECK(c.sections == NULL && c.nsections == 0);
	diag_free(&d);
	free(buf);
	return 0;
}
