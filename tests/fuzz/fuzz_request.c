/*
 * fuzz_request: request validation.  request_read over the meta-variables
 * (Origin, Access-Control-Request-Method/-Headers/-Private-Network,
 * REQUEST_URI or SCRIPT_NAME + PATH_INFO), read through request_env_get;
 * origin_parse and request_normalise_path on exact-size buffers.
 * Invariants:
 *   - every field is what the server sent, or absent; a preflight is
 *     exactly OPTIONS + Origin + a non-empty Access-Control-Request-Method;
 *     -Private-Network is exactly "true";
 *   - an origin judged valid is scheme "://" host [":" port] with the
 *     parts tiling it, only origin bytes, a port of at most 65535; an
 *     invalid one says why; the verdict is the same on an exact-size copy;
 *   - a normalised path is absolute, without empty, "." or ".." segment,
 *     NUL byte (control bytes are kept: the log escapes them), normalising it again changes nothing, a smaller
 *     output buffer never gives another answer; SCRIPT_NAME + PATH_INFO,
 *     decoded by the server already, are not decoded again.
 * Input: the request encoding of fuzz.h.
 */
#include "fuzz.h"

#include "bounds.h"
#include "origin.h"
#include "request.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* What origin_parse accepted: the parts tile the string. */
static void
check_parts(const char *s, size_t len, const struct origin_parts *o)
{
	size_t	 i;
	long	 port = 0;

	CHECK(len <= ORIGIN_MAX);
	CHECK(fz_printable(s, len));
	CHECK(o->scheme_len > 0);
	CHECK(o->host_off == o->scheme_len + 3);
	CHECK(memcmp(s + o->scheme_len, "://", 3) == 0);
	CHECK(o->host_len > 0);
	CHECK(o->port_off == o->host_off + o->host_len);
	CHECK(o->port_off + o->port_len == len);
	for (i = 0; i < len; i++)
		CHECK(is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '+' ||
		    s[i] == '-' || s[i] == '.' || s[i] == ':' || s[i] == '_' ||
		    (i >= o->host_off && (s[i] == '[' || s[i] == ']')) ||
		    (i >= o->scheme_len && i < o->host_off));
	if (o->ipv6)
		CHECK(s[o->host_off] == '[' &&
		    s[o->host_off + o->host_len - 1] == ']');
	if (o->port_len > 0) {
		CHECK(o->port_len >= 2 && s[o->port_off] == ':');
		for (i = o->port_off + 1; i < len; i++) {
			CHECK(is_digit(s[i]));
			port = port * 10 + (s[i] - '0');
			CHECK(port <= 65535);
		}
	}
}

static bool
parts_eq(const struct origin_parts *a, const struct origin_parts *b)
{
	return a->scheme_len == b->scheme_len && a->host_off == b->host_off &&
	    a->host_len == b->host_len && a->port_off == b->port_off &&
	    a->port_len == b->port_len && a->ipv6 == b->ipv6;
}

/* A normalised path: absolute, no empty, "." or ".." segment. */
static void
check_path(const char *p)
{
	size_t	 n = strlen(p), i;
	char	*again;

	CHECK(n > 0 && n < PATH_MAX_BYTES && p[0] == '/');
	CHECK(strstr(p, "//") == NULL);
	CHECK(strstr(p, "/./") == NULL && strstr(p, "/../") == NULL);
	CHECK(!(n >= 2 && strcmp(p + n - 2, "/.") == 0));
	CHECK(!(n >= 3 && strcmp(p + n - 3, "/..") == 0));
	/* Idempotent (when there is no '%' a second pass would decode). */
	if (strchr(p, '%') == NULL) {
		again = fz_malloc(n + 2);
		CHECK(request_normalise_path(p, n, again, n + 2));
		CHECK(strcmp(again, p) == 0);
		free(again);
	}
	for (i = 0; i < n; i++)
		CHECK(p[i] != '\0');
}

/* A path from SCRIPT_NAME + PATH_INFO holds only their bytes: a '%' in
 * them is literal, never the start of an escape. */
static void
check_not_decoded(const char *path, const char *sn, const char *pi)
{
	size_t	 i;

	for (i = 0; path[i] != '\0'; i++)
		CHECK(path[i] == '/' ||
		    (sn != NULL && strchr(sn, path[i]) != NULL) ||
		    (pi != NULL && strchr(pi, path[i]) != NULL));
}

/* request_normalise_path with input and output exactly as large as
 * given, for several output sizes. */
static void
normalise_sizes(const char *in, size_t len)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 8 };
	char	*ein = fz_exact(in, len), *out, *ref;
	bool	 ok, ok_ref;
	size_t	 i, outlen;

	ref = fz_malloc(PATH_MAX_BYTES);
	ok_ref = request_normalise_path(ein, len, ref, PATH_MAX_BYTES);
	if (ok_ref)
		check_path(ref);
	else
		CHECK(memchr(ref, '\0', PATH_MAX_BYTES) != NULL &&
		    memcmp(ref, ein, strlen(ref)) == 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 2; i++) {
		if (i < sizeof(sizes) / sizeof(sizes[0]))
			outlen = sizes[i];
		else if (ok_ref)
			outlen = strlen(ref) + (i - 4);	/* +1 or +2 */
		else
			continue;
		out = fz_malloc(outlen);
		ok = request_normalise_path(ein, len, out, outlen);
		/* A smaller buffer never succeeds with another answer. */
		if (ok) {
			CHECK(ok_ref);
			CHECK(strlen(out) < outlen);
			CHECK(strcmp(out, ref) == 0);
		} else if (outlen > 0) {
			/* Refused: the input's head, ended (it is logged). */
			CHECK(memchr(out, '\0', outlen) != NULL);
			CHECK(memcmp(out, ein, strlen(out)) == 0);
		}
		free(out);
	}
	free(ref);
	free(ein);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_request	 q;
	struct request		*r;
	struct origin_parts	 parts;
	enum origin_check	 c;
	const char		*o, *uri;
	char			*e;
	size_t			 i;

	fz_request_build(&q, data, size);
	r = fz_malloc(sizeof(*r));
	request_read(r, request_env_get, q.env);

	/* Every field is what the getter returned, and nothing else. */
	CHECK(strcmp(r->method, q.value[FZ_METHOD] != NULL ?
	    q.value[FZ_METHOD] : "") == 0);
	CHECK(r->acrm == q.value[FZ_ACRM]);
	CHECK(r->acrh == q.value[FZ_ACRH]);
	CHECK(r->acrpn == (q.value[FZ_ACRPN] != NULL &&
	    strcmp(q.value[FZ_ACRPN], "true") == 0));
	CHECK(r->preflight == (strcmp(r->method, "OPTIONS") == 0 &&
	    r->origin != NULL && r->acrm != NULL && r->acrm[0] != '\0'));

	o = q.value[FZ_ORIGIN];
	CHECK(r->origin == o);
	if (o == NULL) {
		CHECK(r->origin_state == RORIGIN_ABSENT);
	} else {
		CHECK(r->origin_len == strnlen(o, ORIGIN_MAX + 1));
		switch (r->origin_state) {
		case RORIGIN_VALID:
			CHECK(r->origin_check == ORIGIN_OK);
			CHECK(r->origin_len == strlen(o));
			check_parts(o, r->origin_len, &r->origin_parts);
			break;
		case RORIGIN_OPAQUE:
			CHECK(strcmp(o, "null") == 0);
			break;
		case RORIGIN_INVALID:
			CHECK(r->origin_check != ORIGIN_OK &&
			    r->origin_check != ORIGIN_OPAQUE);
			CHECK(origin_check_str(r->origin_check) != NULL);
			break;
		case RORIGIN_ABSENT:
			CHECK(!"origin present but ABSENT");
		}
		/* The same verdict on an exact-size copy, no terminator. */
		e = fz_exact(o, q.len[FZ_ORIGIN]);
		c = origin_parse(e, q.len[FZ_ORIGIN], &parts);
		if (q.len[FZ_ORIGIN] <= ORIGIN_MAX) {
			CHECK(c == r->origin_check);
			if (c == ORIGIN_OK)
				CHECK(parts_eq(&parts, &r->origin_parts));
		} else
			CHECK(c != ORIGIN_OK);
		free(e);
	}

	if (r->path_ok)
		check_path(r->path);
	uri = q.value[FZ_URI];
	if (r->path_ok && (uri == NULL || uri[0] != '/'))
		check_not_decoded(r->path, q.value[FZ_SN], q.value[FZ_PI]);
	if (uri != NULL && uri[0] == '/') {
		i = strcspn(uri, "?");
		normalise_sizes(uri, i);
	}
	/* Any field as a raw path, NULs and all. */
	if (size > 1)
		normalise_sizes((const char *)data + 1, size - 1);

	free(r);
	fz_request_free(&q);
	return 0;
}
