/*
 * fuzz_origin: origin matching.  One `origins` entry (origin_entry_init:
 * "*", "null", an exact origin, a subdomain glob, a ~REGEX) against one
 * request origin (origin_parse, origin_entry_matches, origin_entry_miss),
 * what each kind of entry may match checked independently of origin.c:
 *   - an entry that compiles keeps its text, and is what it claims to be
 *     (an exact entry is itself a valid origin);
 *   - a valid origin holds only the bytes an origin may hold;
 *   - "*" matches every valid origin and not "null"; "null" only "null";
 *     an exact entry only the same origin, ignoring case; a subdomain glob
 *     only the same scheme and port and a host ending in ".suffix" with at
 *     least one label in front;
 *   - matching ignores case, for every kind of entry;
 *   - ~REGEX is the POSIX ERE after the '~', valid on its own, and it
 *     matches an origin when a match of that ERE spans all of it; the
 *     escaped origin as ~REGEX matches it and nothing longer;
 *   - a miss always has a reason.
 * Input: ENTRY NUL ORIGIN.
 */
#include "fuzz.h"

#include "bounds.h"
#include "origin.h"
#include "token.h"

static bool
origin_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("+-.:/_[]", c) != NULL);
}

static void
check_subdomain(const struct origin_entry *e, const char *o,
    const struct origin_parts *p, bool m)
{
	const char	*t = e->text;
	bool		 want;

	CHECK(e->scheme_len > 0 && memcmp(t + e->scheme_len, "://*.", 5) == 0);
	CHECK(e->suffix_off == e->scheme_len + 4 && t[e->suffix_off] == '.');
	CHECK(e->suffix_off + e->suffix_len == e->port_off);
	CHECK(e->port_off + e->port_len == strlen(t));
	want = !p->ipv6 &&
	    tok_eq_nocase(o, p->scheme_len, t, e->scheme_len) &&
	    tok_eq_nocase(o + p->port_off, p->port_len, t + e->port_off,
	    e->port_len) &&
	    p->host_len > e->suffix_len &&
	    tok_eq_nocase(o + p->port_off - e->suffix_len, e->suffix_len,
	    t + e->suffix_off, e->suffix_len);
	CHECK(m == want);
}

/* The same origin in another case matches the same entries. */
static void
check_case(const struct origin_entry *e, const char *o, size_t len, bool m)
{
	struct origin_parts	 parts;
	char			*flip = fz_malloc(len + 1);
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (i & 1)
			flip[i] = tok_upper(o[i]);
		else
			flip[i] = tok_lower(o[i]);
	}
	flip[len] = '\0';
	CHECK(origin_parse(flip, len, &parts) == ORIGIN_OK);
	CHECK(origin_entry_matches(e, flip, len, &parts) == m);
	free(flip);
}

/* ~ + the origin with every ERE metacharacter escaped matches the origin
 * and nothing that merely starts or ends with it. */
static void
check_anchoring(const char *o, size_t len)
{
	struct origin_entry	 e;
	struct origin_parts	 parts;
	char			*re = fz_malloc(2 * len + 2), *longer;
	struct diag		 d = { 0 };
	size_t			 i, n = 0;

	re[n++] = '~';
	for (i = 0; i < len; i++) {
		if (strchr(".[]()*+?{}|^$\\", o[i]) != NULL)
			re[n++] = '\\';
		re[n++] = o[i];
	}
	CHECK(origin_entry_init(&e, re, n, "origins", &d) == 0);
	CHECK(e.kind == OENTRY_REGEX);
	CHECK(origin_parse(o, len, &parts) == ORIGIN_OK);
	CHECK(origin_entry_matches(&e, o, len, &parts));
	longer = fz_malloc(len + 8);
	/* An origin with one more host label, in front or behind. */
	memcpy(longer, o, len);
	memcpy(longer + len, ".evil", 6);
	if (origin_parse(longer, len + 5, &parts) == ORIGIN_OK)
		CHECK(!origin_entry_matches(&e, longer, len + 5, &parts));
	snprintf(longer, len + 8, "x%.*s", (int)len, o);
	if (origin_parse(longer, len + 1, &parts) == ORIGIN_OK)
		CHECK(!origin_entry_matches(&e, longer, len + 1, &parts));
	free(longer);
	origin_entry_free(&e);
	free(re);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fields	 fs;
	struct origin_entry	 e;
	struct origin_parts	 parts, eparts;
	enum origin_check	 c;
	char			*ent, *ex;
	struct diag		 d = { 0 };
	const char		*o;
	size_t			 elen, olen, i;
	bool			 m, valid;
	int			 rc;

	fz_split(&fs, data, size, 2);
	if (fs.n < 2 || fs.len[0] == 0 ||
	    !fz_regex_tame(fs.f[0], fs.len[0], "")) {
		fz_fields_free(&fs);
		return 0;
	}
	elen = fs.len[0];
	o = fs.f[1];
	olen = strlen(o);

	ent = fz_exact(fs.f[0], elen);
	rc = origin_entry_init(&e, ent, elen, "origins", &d);
	free(ent);
	if (fs.f[0][0] == '~') {
		(void)fz_ere_whole(fs.f[0] + 1, elen - 1, NULL, 0, &valid);
		/* An invalid ERE is an error, a valid one is not. */
		CHECK(valid == (rc == 0));
	}
	if (rc == -1) {
		CHECK(d.count == 1 && e.text == NULL);
		diag_free(&d);
		fz_fields_free(&fs);
		return 0;
	}
	CHECK(e.text != NULL && strlen(e.text) == elen &&
	    memcmp(e.text, fs.f[0], elen) == 0);
	switch (e.kind) {
	case OENTRY_ANY:
		CHECK(elen == 1 && e.text[0] == '*');
		break;
	case OENTRY_NULL:
		CHECK(strcmp(e.text, "null") == 0);
		break;
	case OENTRY_REGEX:
		CHECK(e.text[0] == '~');
		break;
	case OENTRY_SUBDOMAIN:
		CHECK(strchr(e.text, '*') != NULL);
		break;
	case OENTRY_EXACT:
		CHECK(origin_parse(e.text, elen, &eparts) == ORIGIN_OK);
		break;
	}

	/* origin_parse on an exact-size copy: no read past the end. */
	ex = fz_exact(o, olen);
	c = origin_parse(ex, olen, &parts);
	free(ex);
	if (c == ORIGIN_OPAQUE) {
		CHECK(strcmp(o, "null") == 0);
		m = origin_entry_matches(&e, o, olen, NULL);
		CHECK(m == (e.kind == OENTRY_NULL));
		if (!m)
			CHECK(origin_entry_miss(&e, o, olen, NULL) != NULL);
	} else if (c == ORIGIN_OK) {
		CHECK(olen <= ORIGIN_MAX);
		for (i = 0; i < olen; i++)
			CHECK(origin_byte(o[i]));
		m = origin_entry_matches(&e, o, olen, &parts);
		switch (e.kind) {
		case OENTRY_ANY:
			CHECK(m);
			break;
		case OENTRY_NULL:
			CHECK(!m);
			break;
		case OENTRY_EXACT:
			CHECK(m == tok_eq_nocase(o, olen, e.text, elen));
			break;
		case OENTRY_SUBDOMAIN:
			check_subdomain(&e, o, &parts, m);
			break;
		case OENTRY_REGEX:
			CHECK(m == fz_ere_whole(e.text + 1, elen - 1, o, olen,
			    &valid));
			break;
		}
		if (!m)
			CHECK(origin_entry_miss(&e, o, olen, &parts) != NULL);
		check_case(&e, o, olen, m);
		check_anchoring(o, olen);
	} else {
		CHECK(origin_check_str(c) != NULL);
	}
	origin_entry_free(&e);
	CHECK(e.text == NULL);
	fz_fields_free(&fs);
	return 0;
}
