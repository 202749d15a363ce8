/*
 * fuzz_cgiheader: the script's header block.  cgiheader_parse (at end of
 * output or not) on an exact-size buffer, then cgiheader_merge with one
 * of a few fixed answers, as cgi.c and fcgipipe.c do.
 * Input: FLAGS [OFFSET] BLOCK, where FLAGS bit 0 is eof, bits 1-2 pick
 * the answer, and bit 3 repeats BLOCK to a length around CGI_HEADER_MAX
 * (CGI_HEADER_MAX - 8 + OFFSET % 16), so that the size limit is reached
 * from a small input.
 * Invariants:
 *   - a parsed block ends at its blank line, within CGI_HEADER_MAX and
 *     CGI_HEADER_LINES_MAX; its names are tokens, its values hold no CR,
 *     LF or NUL; a malformed line is pointed at;
 *   - parsing is incremental: every shorter prefix is incomplete, the
 *     block alone parses the same, whatever follows it;
 *   - the merged block has no NUL and no bare CR, ends with its blank line
 *     and has no other, every line is "Name: value"; the CORS fields are
 *     added at most once, never when the script set its own
 *     Access-Control-Allow-Origin or does a local redirect, nor (no
 *     Access-Control-* field) beside its own Access-Control-Allow-Credentials
 *     when only "*" allowed the origin;
 *   - the merged block parses again, to the same status, redirect and
 *     lines, and merging it again changes nothing;
 *   - merging stays inside an exact-size buffer and fails cleanly in one
 *     byte less.
 */
#include "fuzz.h"

#include "cgiheader.h"
#include "config.h"
#include "bounds.h"
#include "policy.h"
#include "request.h"
#include "token.h"

#define NANSWERS	4

static struct answer	 answers[NANSWERS];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *cfg_list[] = {
		"CORS_ORIGINS=https://app.example.com https://*.example.org",
		"CORS_SUPPORTS_CREDENTIALS=true",
		/* With credentials: the script's names are listed. */
		"CORS_EXPOSE_HEADERS=X-Request-Id *",
		"CORS_MAX_AGE=600",
		"CORS_ALLOW_PRIVATE_NETWORK=true",
		NULL
	};
	/* The origin reflected through "*" alone: a script's own
	 * Access-Control-Allow-Credentials withholds it. */
	static char *cfg_star[] = { "CORS_ORIGINS=*", NULL };
	static char *simple[] = { "REQUEST_METHOD=GET",
	    "HTTP_ORIGIN=https://app.example.com", "REQUEST_URI=/x", NULL };
	static char *preflight[] = { "REQUEST_METHOD=OPTIONS",
	    "HTTP_ORIGIN=https://www.example.org",
	    "HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT",
	    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type, x-api-key",
	    "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK=true",
	    "REQUEST_URI=/x", NULL };
	static char *refused[] = { "REQUEST_METHOD=GET",
	    "HTTP_ORIGIN=https://evil.example", "REQUEST_URI=/x", NULL };
	/* Static: the answers point into the policies. */
	static struct config c1, c2;
	struct diag	 d;
	struct request	 r;

	(void)argc;
	(void)argv;
	memset(&d, 0, sizeof(d));
	if (config_load(&c1, NULL, cfg_list, &d) == -1 ||
	    config_load(&c2, NULL, cfg_star, &d) == -1) {
		fprintf(stderr, "fuzz_cgiheader: %s", d.text);
		abort();
	}
	request_read(&r, request_env_get, simple);
	policy_decide(&c1.sections[0].policy, &r, &answers[0]);
	request_read(&r, request_env_get, preflight);
	policy_decide(&c1.sections[0].policy, &r, &answers[1]);
	request_read(&r, request_env_get, refused);
	policy_decide(&c1.sections[0].policy, &r, &answers[2]);
	request_read(&r, request_env_get, simple);
	policy_decide(&c2.sections[0].policy, &r, &answers[3]);
	CHECK(answers[0].nfields >= 3 && answers[1].nfields >= 6 &&
	    answers[2].nfields == 0 && answers[3].nfields == 1 &&
	    answers[3].star_only);
	return 0;
}

static size_t
count_acao(const char *s, size_t n, const char *eol)
{
	static const char name[] = "access-control-allow-origin:";
	size_t	 i, c = 0, el = strlen(eol);

	for (i = 0; i < n; ) {
		const char	*nl = memchr(s + i, '\n', n - i);
		size_t		 len = (size_t)(nl - (s + i)) + 1;

		if (len > sizeof(name) - 1 &&
		    tok_eq_nocase(s + i, sizeof(name) - 1, name,
		    sizeof(name) - 1))
			c++;
		i += len;
	}
	(void)el;
	return c;
}

static bool
answer_has_acao(const struct answer *a)
{
	size_t	 i;

	for (i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, "Access-Control-Allow-Origin") ==
		    0)
			return true;
	return false;
}

/* What cors-wrap sends the server is a valid header block meaning what
 * the script's meant, and a second merge adds nothing. */
static void
check_reparse(const struct cgi_headers *h, const struct answer *a,
    const char *out, size_t n, size_t lines)
{
	struct cgi_headers	*h2;
	enum cgihdr_result	 r;
	const char		*bad;
	char			*again, *copy;
	ssize_t			 m;

	/* Past the limits the server would refuse it too; cgi.c sends it
	 * anyway, so only the limits' own consequences are exempt. */
	if (n > CGI_HEADER_MAX || lines > CGI_HEADER_LINES_MAX)
		return;
	h2 = fz_malloc(sizeof(*h2));
	copy = fz_exact(out, n);
	r = cgiheader_parse(copy, n, true, h2, &bad);
	CHECK(r == CGIHDR_OK);
	CHECK(h2->block_len == n && h2->nlines == lines);
	CHECK(h2->crlf == h->crlf);
	CHECK(h2->status == h->status && h2->has_status == h->has_status);
	CHECK(h2->local_redirect == h->local_redirect);
	CHECK(h2->has_location == h->has_location);
	CHECK(h2->has_acao == (h->has_acao || (!h->local_redirect &&
	    answer_has_acao(a) && !cgiheader_withholds(h, a))));
	again = fz_malloc(n);
	m = cgiheader_merge(h2, a, again, n);
	CHECK(m == (ssize_t)n && memcmp(again, out, n) == 0);
	free(again);
	free(copy);
	free(h2);
}

static void
check_merged(const struct cgi_headers *h, const struct answer *a,
    const char *out, size_t n)
{
	const char	*eol = h->crlf ? "\r\n" : "\n";
	size_t		 el = strlen(eol), i, lines = 0, script_acao = 0;
	size_t		 dropped = 0;
	const char	*p, *end = out + n, *nl, *colon;

	CHECK(n >= el && memcmp(out + n - el, eol, el) == 0);
	CHECK(memchr(out, '\0', n) == NULL);
	for (i = 0; i < n; i++)
		if (out[i] == '\r')
			CHECK(i + 1 < n && out[i + 1] == '\n');
	/* Lines: "Name: value" up to the blank line, which ends it all. */
	for (p = out; p < end; p = nl + 1) {
		size_t	 len;

		nl = memchr(p, '\n', (size_t)(end - p));
		CHECK(nl != NULL);
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0) {
			CHECK(nl + 1 == end);
			break;
		}
		lines++;
		colon = memchr(p, ':', len);
		CHECK(colon != NULL && tok_is_token(p, (size_t)(colon - p)));
	}
	for (i = 0; i < h->nlines; i++) {
		if (tok_eq_nocase(h->lines[i].name, h->lines[i].name_len,
		    "Access-Control-Allow-Origin", 27))
			script_acao++;
		/* A local redirect loses a lone credentials field. */
		if (cgiheader_drops_credentials(h) &&
		    tok_eq_nocase(h->lines[i].name, h->lines[i].name_len,
		    "Access-Control-Allow-Credentials", 32))
			dropped++;
	}
	CHECK(dropped == 0 || (h->local_redirect && !h->has_acao));
	CHECK(lines + dropped >= h->nlines + (h->status_line != NULL));
	CHECK((script_acao > 0) == h->has_acao);
	if (h->has_acao || h->local_redirect)
		/* Nothing added, not even Vary. */
		CHECK(lines + dropped == h->nlines +
		    (h->status_line != NULL));
	if (h->has_acao)
		CHECK(count_acao(out, n, eol) == script_acao);
	else
		CHECK(count_acao(out, n, eol) <= 1);
	/* Never the script's credentials beside an origin that may have
	 * none (only "*" allowed it, among others). */
	if (!h->has_acao && h->has_acac && a->no_credentials)
		CHECK(count_acao(out, n, eol) == 0);
	check_reparse(h, a, out, n, lines);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_headers	*h;
	const struct answer	*a;
	enum cgihdr_result	 r, r2;
	const char		*bad;
	char			*buf, *out, *exact;
	size_t			 len, n, i, outlen;
	ssize_t			 got;
	bool			 eof;
	unsigned		 flags;

	if (size < 1)
		return 0;
	flags = data[0];
	eof = flags & 1;
	a = &answers[(flags >> 1) & 3];
	data++;
	size--;
	if ((flags & 8) && size > 1) {
		/* Repeat the block to around the size limit. */
		size_t	 want = CGI_HEADER_MAX - 8 + data[0] % 16;

		data++;
		size--;
		buf = fz_malloc(want);
		for (i = 0; i < want; i++)
			buf[i] = (char)data[i % size];
		len = want;
	} else {
		buf = fz_exact(data, size);
		len = size;
	}

	h = fz_malloc(sizeof(*h));
	r = cgiheader_parse(buf, len, eof, h, &bad);
	CHECK(cgihdr_str(r) != NULL);
	CHECK(h->nlines <= CGI_HEADER_LINES_MAX);
	if (r == CGIHDR_BAD_LINE)
		CHECK(bad != NULL && bad >= buf && bad < buf + len &&
		    memchr(bad, '\n', (size_t)(buf + len - bad)) != NULL);
	if (r == CGIHDR_EMPTY)
		CHECK(len == 0 && eof);
	if (r != CGIHDR_OK) {
		free(h);
		free(buf);
		return 0;
	}

	CHECK(h->block_len > 0 && h->block_len <= len &&
	    h->block_len <= CGI_HEADER_MAX);
	CHECK(buf[h->block_len - 1] == '\n');
	CHECK(h->status >= 100 && h->status <= 599);
	for (i = 0; i < h->nlines; i++) {
		const struct cgi_line	*l = &h->lines[i];

		CHECK(tok_is_token(l->name, l->name_len));
		CHECK(l->value + l->value_len <= buf + h->block_len);
		CHECK(memchr(l->value, '\r', l->value_len) == NULL &&
		    memchr(l->value, '\n', l->value_len) == NULL &&
		    memchr(l->value, '\0', l->value_len) == NULL);
	}
	/* The block alone parses the same; shorter prefixes (one byte
	 * less, half of it, a byte of the input's choice) are incomplete,
	 * as cgi.c and fcgipipe.c see the block while it arrives. */
	{
		struct cgi_headers	*h2 = fz_malloc(sizeof(*h2));
		size_t			 cut[3];

		r2 = cgiheader_parse(buf, h->block_len, eof, h2, &bad);
		CHECK(r2 == CGIHDR_OK && h2->nlines == h->nlines &&
		    h2->block_len == h->block_len && h2->status == h->status &&
		    h2->crlf == h->crlf);
		cut[0] = h->block_len - 1;
		cut[1] = h->block_len / 2;
		cut[2] = (size_t)(unsigned char)buf[0] % h->block_len;
		for (i = 0; i < 3; i++) {
			r2 = cgiheader_parse(buf, cut[i], false, h2, &bad);
			CHECK(r2 == CGIHDR_INCOMPLETE);
		}
		free(h2);
	}

	/* As cgi.c and fcgipipe.c merge: room for the largest block. */
	outlen = CGI_HEADER_MAX + CGIHDR_MERGE_EXTRA;
	out = fz_malloc(outlen);
	got = cgiheader_merge(h, a, out, outlen);
	CHECK(got > 0);
	n = (size_t)got;
	check_merged(h, a, out, n);
	exact = fz_malloc(n);
	got = cgiheader_merge(h, a, exact, n);
	CHECK(got == (ssize_t)n && memcmp(exact, out, n) == 0);
	free(exact);
	exact = fz_malloc(n - 1);
	CHECK(cgiheader_merge(h, a, exact, n - 1) == -1);
	free(exact);

	free(out);
	free(h);
	free(buf);
	return 0;
}
