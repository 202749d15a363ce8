#include "cgiheader.h"

#include <string.h>

#include "outbuf.h"
#include "token.h"

const char *
cgihdr_str(enum cgihdr_result r)
{
	switch (r) {
	case CGIHDR_OK:
		return "ok";
	case CGIHDR_INCOMPLETE:
		return "end of output before the blank line ending the headers";
	case CGIHDR_TOO_BIG:
		return "header block larger than 64 KiB";
	case CGIHDR_TOO_MANY:
		return "too many header lines";
	case CGIHDR_BAD_LINE:
		return "malformed header line";
	case CGIHDR_EMPTY:
		return "no output";
	}
	return "?";
}

static bool
name_is(const struct cgi_line *l, const char *name)
{
	return tok_eq_nocase(l->name, l->name_len, name, strlen(name));
}

static int
parse_status(const char *v, size_t n)
{
	if (n < 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9' || (n > 3 && v[3] != ' '))
		return -1;
	return (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
}

/* An NPH script's status line, "HTTP/1.1 200 OK": kept as a Status field
 * so the server, which parses CGI headers, still gets a valid block. */
static bool
is_http_status_line(const char *s, size_t n)
{
	return n >= 12 && memcmp(s, "HTTP/", 5) == 0 && s[6] == '.' &&
	    s[8] == ' ' && parse_status(s + 9, n - 9) > 0;
}

enum cgihdr_result
cgiheader_parse(const char *buf, size_t len, bool eof, struct cgi_headers *h,
    const char **bad)
{
	const char	*p = buf, *end, *nl, *colon, *v;
	size_t		 n, vlen;
	struct cgi_line	*l;

	h->nlines = 0;
	h->block_len = 0;
	h->crlf = false;
	h->status = 200;
	h->status_line = NULL;
	h->status_line_len = 0;
	h->has_status = h->has_location = h->local_redirect = false;
	h->has_acao = h->has_acac = false;
	h->vary = -1;
	*bad = NULL;

	if (len == 0)
		return eof ? CGIHDR_EMPTY : CGIHDR_INCOMPLETE;
	end = buf + (len < CGI_HEADER_MAX ? len : CGI_HEADER_MAX);
	for (;;) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			if (len >= CGI_HEADER_MAX)
				return CGIHDR_TOO_BIG;
			return CGIHDR_INCOMPLETE;
		}
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r') {
			n--;
			h->crlf = true;
		} else
			h->crlf = false;
		if (n == 0) {
			h->block_len = (size_t)(nl + 1 - buf);
			break;
		}
		if (memchr(p, '\r', n) != NULL || memchr(p, '\0', n) != NULL) {
			*bad = p;
			return CGIHDR_BAD_LINE;
		}
		if (h->nlines == 0 && is_http_status_line(p, n)) {
			h->status_line = p + 9;
			h->status_line_len = n - 9;
			/* Trimmed as every field value is: the Status field
			 * it becomes reads back the same. */
			while (h->status_line[h->status_line_len - 1] == ' ' ||
			    h->status_line[h->status_line_len - 1] == '\t')
				h->status_line_len--;
			h->status = parse_status(p + 9, n - 9);
			h->has_status = true;
			p = nl + 1;
			continue;
		}
		colon = memchr(p, ':', n);
		if (colon == NULL || !tok_is_token(p, (size_t)(colon - p))) {
			*bad = p;
			return CGIHDR_BAD_LINE;
		}
		if (h->nlines == CGI_HEADER_LINES_MAX)
			return CGIHDR_TOO_MANY;
		v = colon + 1;
		vlen = n - (size_t)(v - p);
		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		l = &h->lines[h->nlines++];
		l->name = p;
		l->name_len = (size_t)(colon - p);
		l->value = v;
		l->value_len = vlen;
		if (name_is(l, "Status")) {
			h->status = parse_status(v, vlen);
			h->has_status = true;
			if (h->status < 0) {
				*bad = p;
				return CGIHDR_BAD_LINE;
			}
		} else if (name_is(l, "Location")) {
			h->has_location = true;
			h->local_redirect = vlen > 0 && v[0] == '/';
		} else if (name_is(l, "Access-Control-Allow-Origin")) {
			h->has_acao = true;
		} else if (name_is(l, "Access-Control-Allow-Credentials")) {
			h->has_acac = true;
		} else if (name_is(l, "Vary") && h->vary < 0) {
			h->vary = (int)(h->nlines - 1);
		}
		p = nl + 1;
	}
	/* RFC 3875 6.2.2: a local redirect is Location: /path alone; the
	 * server follows it internally (Apache keeps added fields into the
	 * target's answer), so nothing may be added. */
	if (h->local_redirect && h->has_status && h->status != 200)
		h->local_redirect = false;
	return CGIHDR_OK;
}

/* Is token t (n bytes) one of the elements of the list value v? */
static bool
list_has(const char *v, size_t vlen, const char *t, size_t n)
{
	struct tok_iter	 it;
	const char	*s;
	size_t		 len;

	tok_iter_init(&it, v, vlen);
	while (tok_next_field(&it, &s, &len))
		if (tok_eq_nocase(s, len, t, n) || (len == 1 && *s == '*'))
			return true;
	return false;
}

/* Appends to the script's Vary value the tokens it does not list yet. */
static bool
put_vary(char *out, size_t outlen, size_t *o, const struct cgi_line *l,
    const char *add)
{
	struct tok_iter	 it;
	const char	*s;
	size_t		 len;
	bool		 first = l == NULL || l->value_len == 0;

	if (l != NULL && !outbuf_put(out, outlen, o, l->value, l->value_len))
		return false;
	tok_iter_init(&it, add, strlen(add));
	while (tok_next_field(&it, &s, &len)) {
		if (l != NULL && list_has(l->value, l->value_len, s, len))
			continue;
		if (!first && !outbuf_put(out, outlen, o, ", ", 2))
			return false;
		if (!outbuf_put(out, outlen, o, s, len))
			return false;
		first = false;
	}
	return true;
}

static bool
adds_anything(const struct cgi_headers *h)
{
	return !h->has_acao && !h->local_redirect;
}

/* The fields that let a page of an origin read the answer, or its
 * timing: none may go out when the Allow-Origin is withheld. */
static bool
grants(const char *name)
{
	return strncmp(name, "Access-Control-", 15) == 0 ||
	    strcmp(name, "Timing-Allow-Origin") == 0;
}

static bool
script_sets(const struct cgi_headers *h, const char *name)
{
	size_t	 i;

	for (i = 0; i < h->nlines; i++)
		if (name_is(&h->lines[i], name))
			return true;
	return false;
}

/*
 * Names not worth listing in Access-Control-Expose-Headers: Fetch's
 * CORS-safelisted response-header names, which every CORS answer exposes;
 * the forbidden response-header names, which none does; the CORS fields;
 * and CGI's Status, which the server consumes.
 */
static bool
expose_skips(const struct cgi_line *l)
{
	static const char *const names[] = {
		"Cache-Control", "Content-Language", "Content-Length",
		"Content-Type", "Expires", "Last-Modified", "Pragma",
		"Set-Cookie", "Set-Cookie2", "Status"
	};
	size_t	 i;

	if (l->name_len > 15 && tok_eq_nocase(l->name, 15, "Access-Control-",
	    15))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(l, names[i]))
			return true;
	return false;
}

/* Is line i's name listed: not skipped, and its first line of that name? */
static bool
expose_line(const struct cgi_headers *h, size_t i)
{
	const struct cgi_line	*l = &h->lines[i];
	size_t			 j;

	if (expose_skips(l))
		return false;
	for (j = 0; j < i; j++)
		if (tok_eq_nocase(h->lines[j].name, h->lines[j].name_len,
		    l->name, l->name_len))
			return false;
	return true;
}

/* Appends a list element at *o, or counts its bytes when out is NULL. */
static bool
expose_put1(char *out, size_t cap, size_t *o, bool first, const char *s,
    size_t n)
{
	if (out == NULL) {
		*o += (first ? 0 : 2) + n;
		return true;
	}
	return (first || outbuf_put(out, cap, o, ", ", 2)) &&
	    outbuf_put(out, cap, o, s, n);
}

/*
 * The list of an Expose-Headers value v in an answer with credentials:
 * with script, the script's header names first, each once as it first
 * spelled it; then v's own names, "*" and those already listed left out.
 * Appends it at *o, or counts its bytes when out is NULL.
 */
static bool
expose_put(const struct cgi_headers *h, const char *v, bool script,
    char *out, size_t cap, size_t *o)
{
	struct tok_iter	 it;
	const char	*s;
	size_t		 n, i, start = *o;

	for (i = 0; script && i < h->nlines; i++)
		if (expose_line(h, i) && !expose_put1(out, cap, o, *o == start,
		    h->lines[i].name, h->lines[i].name_len))
			return false;
	tok_iter_init(&it, v, strlen(v));
	while (tok_next_field(&it, &s, &n)) {
		if (n == 1 && *s == '*')
			continue;
		for (i = 0; script && i < h->nlines; i++)
			if (!expose_skips(&h->lines[i]) &&
			    tok_eq_nocase(h->lines[i].name,
			    h->lines[i].name_len, s, n))
				break;
		if ((!script || i == h->nlines) &&
		    !expose_put1(out, cap, o, *o == start, s, n))
			return false;
	}
	return true;
}

static size_t
expose_len(const struct cgi_headers *h, const char *v, bool script)
{
	size_t	 n = 0;

	expose_put(h, v, script, NULL, 0, &n);
	return n;
}

/*
 * The answer's Expose-Headers value when cgiheader_merge turns it into a
 * list of names, else NULL: in an answer with credentials "*" is no
 * wildcard (Fetch, "CORS-exposed header-name list"), whether the
 * credentials are cors-wrap's (expose_script) or the script's own.
 */
static const char *
expose_listed(const struct cgi_headers *h, const struct answer *a)
{
	const char	*v = NULL;
	size_t		 i;

	for (i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, "Access-Control-Expose-Headers") ==
		    0)
			v = a->fields[i].value;
	if (v == NULL || !(a->expose_script ||
	    (h->has_acac && list_has(v, strlen(v), "*", 1))))
		return NULL;
	if (!adds_anything(h) || cgiheader_withholds(h, a) ||
	    script_sets(h, "Access-Control-Expose-Headers"))
		return NULL;
	return v;
}

bool
cgiheader_expose_cut(const struct cgi_headers *h, const struct answer *a)
{
	const char	*v = expose_listed(h, a);

	return v != NULL && expose_len(h, v, true) > EXPOSE_LIST_MAX;
}

/* The Expose-Headers field of expose_listed: the script's names while
 * they fit in EXPOSE_LIST_MAX, no field for an empty list. */
static bool
put_expose(const struct cgi_headers *h, const char *v, char *out,
    size_t outlen, size_t *o, const char *eol, size_t el)
{
	static const char	 name[] = "Access-Control-Expose-Headers: ";
	bool			 script = expose_len(h, v, true) <=
				    EXPOSE_LIST_MAX;

	if (expose_len(h, v, script) == 0)
		return true;
	return outbuf_put(out, outlen, o, name, sizeof(name) - 1) &&
	    expose_put(h, v, script, out, outlen, o) &&
	    outbuf_put(out, outlen, o, eol, el);
}

bool
cgiheader_withholds(const struct cgi_headers *h, const struct answer *a)
{
	/* Credentials beside an Origin "*" reflected would let every site
	 * read the user's answers: the combination the configuration
	 * refuses; the same for an Origin that credentials_origins leaves
	 * out or that only enforce = report lets through (no_credentials).
	 * Any value counts: failing closed costs a script that writes
	 * "false" its CORS, not its users their data. */
	return adds_anything(h) && h->has_acac && a->no_credentials;
}

/*
 * A local redirect is answered by its target, and Apache keeps the fields
 * the script set (ap_scan_script_header_err puts them in err_headers_out,
 * which the internal redirect hands on): a lone credentials field would
 * stand beside the target's Allow-Origin, decided by a policy cors-wrap
 * cannot see here (a cors-wrap of its own reflecting an Origin that only
 * "*" allowed, for one).  With its own Allow-Origin the script chose both.
 */
bool
cgiheader_drops_credentials(const struct cgi_headers *h)
{
	return h->local_redirect && h->has_acac && !h->has_acao;
}

/*
 * The debug field of an answer whose Allow-Origin the script's credentials
 * withheld: a miss, as the log line says, not the hit the policy decided.
 * enforce = report's own value names the policy's reason already.
 */
static bool
put_debug_withheld(const struct answer *a, const char *v, char *out,
    size_t outlen, size_t *o, const char *eol, size_t el)
{
	static const char	 name[] = "X-CORS-Wrap: ";
	static const char	 why[] = "; credentials-withheld";
	const char		*kind = a->preflight ? "preflight-miss" : "miss";
	const char		*rest = strstr(v, "; section=");

	if (a->would_refuse)
		rest = NULL;
	return outbuf_put(out, outlen, o, name, sizeof(name) - 1) &&
	    (rest == NULL ? outbuf_put(out, outlen, o, v, strlen(v)) :
	    outbuf_put(out, outlen, o, kind, strlen(kind)) &&
	    outbuf_put(out, outlen, o, why, sizeof(why) - 1) &&
	    outbuf_put(out, outlen, o, rest, strlen(rest))) &&
	    outbuf_put(out, outlen, o, eol, el);
}

ssize_t
cgiheader_merge(const struct cgi_headers *h, const struct answer *a,
    char *out, size_t outlen)
{
	const char	*eol = h->crlf ? "\r\n" : "\n";
	size_t		 el = strlen(eol), i, o = 0;
	char		 vary[160];
	bool		 add = adds_anything(h);
	bool		 withhold = cgiheader_withholds(h, a);
	const char	*expose = expose_listed(h, a);
	const struct cgi_line	*l;

	if (add)
		answer_vary(a, vary, sizeof(vary));
	else
		vary[0] = '\0';

	/* A Status field after an NPH status line replaces it, as a later
	 * Status field replaces an earlier one in the server's parser: the
	 * status parsed (h->status) is the one sent, once. */
	for (i = 0; i < h->nlines; i++)
		if (name_is(&h->lines[i], "Status"))
			break;
	if (h->status_line != NULL && i == h->nlines &&
	    (!outbuf_put(out, outlen, &o, "Status: ", 8) ||
	    !outbuf_put(out, outlen, &o, h->status_line, h->status_line_len) ||
	    !outbuf_put(out, outlen, &o, eol, el)))
		return -1;
	for (i = 0; i < h->nlines; i++) {
		l = &h->lines[i];
		if (cgiheader_drops_credentials(h) &&
		    name_is(l, "Access-Control-Allow-Credentials"))
			continue;
		if (!outbuf_put(out, outlen, &o, l->name, l->name_len) ||
		    !outbuf_put(out, outlen, &o, ": ", 2))
			return -1;
		if ((int)i == h->vary && vary[0] != '\0') {
			if (!put_vary(out, outlen, &o, l, vary))
				return -1;
		} else if (!outbuf_put(out, outlen, &o, l->value, l->value_len))
			return -1;
		if (!outbuf_put(out, outlen, &o, eol, el))
			return -1;
	}
	for (i = 0; add && i < a->nfields; i++) {
		/* A field the script set itself is its own choice; adding
		 * ours would make the server fold them into "a, b". */
		if (script_sets(h, a->fields[i].name))
			continue;
		if (withhold && grants(a->fields[i].name))
			continue;
		if (withhold && strcmp(a->fields[i].name, "X-CORS-Wrap") == 0) {
			if (!put_debug_withheld(a, a->fields[i].value, out,
			    outlen, &o, eol, el))
				return -1;
			continue;
		}
		if (expose != NULL && strcmp(a->fields[i].name,
		    "Access-Control-Expose-Headers") == 0) {
			if (!put_expose(h, expose, out, outlen, &o, eol, el))
				return -1;
			continue;
		}
		if (a->fields[i].value[0] == '\0')
			continue;
		if (!outbuf_put(out, outlen, &o, a->fields[i].name,
		    strlen(a->fields[i].name)) ||
		    !outbuf_put(out, outlen, &o, ": ", 2) ||
		    !outbuf_put(out, outlen, &o, a->fields[i].value,
		    strlen(a->fields[i].value)) ||
		    !outbuf_put(out, outlen, &o, eol, el))
			return -1;
	}
	if (h->vary < 0 && vary[0] != '\0') {
		if (!outbuf_put(out, outlen, &o, "Vary: ", 6) ||
		    !put_vary(out, outlen, &o, NULL, vary) ||
		    !outbuf_put(out, outlen, &o, eol, el))
			return -1;
	}
	if (!outbuf_put(out, outlen, &o, eol, el))
		return -1;
	return (ssize_t)o;
}
