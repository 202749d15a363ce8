#include "request.h"

#include <string.h>

#include "token.h"

/*
 * Decodes into out, then removes dot segments in place (what is written
 * never overtakes what is read): no second 4 KiB buffer, one stack page
 * fewer (page faults: lib/cgi.c).
 */
static bool
normalise(const char *in, size_t len, char *out, size_t outlen)
{
	size_t	 i, n = 0, w = 0, s, e;
	int	 hi, lo;
	bool	 trailing = false;
	char	 c;

	if (len == 0 || in[0] != '/' || outlen < 2)
		return false;
	/* Decode first: that is what makes %2e%2e a dot segment
	 * (CVE-2020-25032 class), and it happens exactly once. */
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '%') {
			if (i + 2 >= len || (hi = tok_hexval(in[i + 1])) < 0 ||
			    (lo = tok_hexval(in[i + 2])) < 0)
				return false;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || n + 1 >= outlen || n + 1 >= PATH_MAX_BYTES)
			return false;
		out[n++] = c;
	}

	/* RFC 3986 5.2.4, plus empty segments removed as servers merge
	 * slashes: a trailing slash is kept.  Each segment is written at or
	 * before where it was read, so memmove. */
	for (s = 1; s <= n; s = e + 1) {
		for (e = s; e < n && out[e] != '/'; e++)
			;
		trailing = true;
		if (e == s || (e - s == 1 && out[s] == '.'))
			continue;
		if (e - s == 2 && out[s] == '.' && out[s + 1] == '.') {
			while (w > 0 && out[--w] != '/')
				;
			continue;
		}
		if (w + 1 + (e - s) + 2 > outlen)
			return false;
		out[w++] = '/';
		memmove(out + w, out + s, e - s);
		w += e - s;
		trailing = false;
	}
	if (w == 0 || trailing)
		out[w++] = '/';
	out[w] = '\0';
	return true;
}

/*
 * A path refused is logged as the client sent it.  Never what a failed
 * pass left in out: that has no end, and in the daemon out is a reused
 * buffer still holding the last request's path, whose user the line
 * would name to another's.
 */
static void
refused_head(char *out, size_t outlen, const char *a, size_t alen,
    const char *b)
{
	size_t	 n, o;

	if (outlen == 0)
		return;
	n = strnlen(a, alen < outlen ? alen : outlen - 1);
	memcpy(out, a, n);
	o = n;
	if (b != NULL) {
		n = strnlen(b, outlen - 1 - o);
		memcpy(out + o, b, n);
		o += n;
	}
	out[o] = '\0';
}

bool
request_normalise_path(const char *in, size_t len, char *out, size_t outlen)
{
	if (normalise(in, len, out, outlen))
		return true;
	refused_head(out, outlen, in, len, NULL);
	return false;
}

/*
 * SCRIPT_NAME + PATH_INFO, when there is no REQUEST_URI.  Out of line for
 * page faults: lib/cgi.c explains.
 */
static bool __attribute__((noinline))
path_from_script(const char *sn, const char *pi, char *out, size_t outlen)
{
	char	 tmp[PATH_MAX_BYTES];
	char	 enc[PATH_MAX_BYTES * 3];
	size_t	 n = 0, i, o = 0;

	tmp[0] = '\0';
	if (sn != NULL)
		n = strlen(sn);
	if (n + (pi ? strlen(pi) : 0) + 1 > sizeof(tmp)) {
		refused_head(out, outlen, sn != NULL ? sn : "", n, pi);
		return false;
	}
	if (sn != NULL)
		memcpy(tmp, sn, n);
	if (pi != NULL) {
		memcpy(tmp + n, pi, strlen(pi));
		n += strlen(pi);
	}
	tmp[n] = '\0';
	if (n == 0) {
		/* No path at all: the global policy applies. */
		out[0] = '/';
		out[1] = '\0';
		return true;
	}
	/* Escape nothing: these are decoded already; a '%' is literal.  Run
	 * only the dot-segment pass by encoding '%' first. */
	for (i = 0; i < n && o + 3 < sizeof(enc); i++) {
		if (tmp[i] == '%') {
			enc[o++] = '%';
			enc[o++] = '2';
			enc[o++] = '5';
		} else
			enc[o++] = tmp[i];
	}
	if (i == n && normalise(enc, o, out, outlen))
		return true;
	/* Logged as the server gave it, not as encoded here. */
	refused_head(out, outlen, tmp, n, NULL);
	return false;
}

static const char *
get(request_getter g, void *ctx, const char *name)
{
	return g(ctx, name);
}

void
request_read(struct request *r, request_getter g, void *ctx)
{
	const char	*uri, *q, *sn, *pi, *v;
	size_t		 n;

	memset(r, 0, offsetof(struct request, path));
	r->path[0] = '\0';
	r->method = get(g, ctx, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "";

	r->origin = get(g, ctx, "HTTP_ORIGIN");
	if (r->origin == NULL) {
		r->origin_state = RORIGIN_ABSENT;
	} else {
		r->origin_len = strnlen(r->origin, ORIGIN_MAX + 1);
		r->origin_check = origin_parse(r->origin, r->origin_len,
		    &r->origin_parts);
		if (r->origin_check == ORIGIN_OK)
			r->origin_state = RORIGIN_VALID;
		else if (r->origin_check == ORIGIN_OPAQUE)
			r->origin_state = RORIGIN_OPAQUE;
		else
			r->origin_state = RORIGIN_INVALID;
	}

	r->acrm = get(g, ctx, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	r->acrh = get(g, ctx, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS");
	/* Exactly "true", as the Private Network Access draft sends it. */
	v = get(g, ctx, "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK");
	r->acrpn = v != NULL && strcmp(v, "true") == 0;
	r->preflight = strcmp(r->method, "OPTIONS") == 0 && r->origin != NULL &&
	    r->acrm != NULL && r->acrm[0] != '\0';

	/* REQUEST_URI is what the client asked for on every server, also
	 * behind Apache's internal redirects; SCRIPT_NAME + PATH_INFO is the
	 * fallback (already decoded by the server, so not decoded again). */
	uri = get(g, ctx, "REQUEST_URI");
	if (uri != NULL && uri[0] == '/') {
		q = strchr(uri, '?');
		n = q != NULL ? (size_t)(q - uri) : strlen(uri);
		r->path_ok = request_normalise_path(uri, n, r->path,
		    sizeof(r->path));
		return;
	}
	sn = get(g, ctx, "SCRIPT_NAME");
	pi = get(g, ctx, "PATH_INFO");
	r->path_ok = path_from_script(sn, pi, r->path, sizeof(r->path));
}

const char *
request_env_get(void *ctx, const char *name)
{
	char *const	*e;
	size_t		 n = strlen(name);

	for (e = ctx; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}
