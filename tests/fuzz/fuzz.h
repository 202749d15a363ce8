/*
 * Shared pieces of the libFuzzer harnesses (tests/fuzz/README.md): the
 * invariant check, splitting an input into NUL-separated fields, the
 * request encoding of fuzz_request and fuzz_decide, and INI text in a
 * memfd.  Header-only: every harness is one translation unit.
 */
#ifndef CORS_FUZZ_H
#define CORS_FUZZ_H

#include <sys/mman.h>

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* An invariant the code under test must keep: abort() so that libFuzzer
 * saves the input, with the condition in the report. */
#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c,	\
		    __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* Allocations the code under test relies on never fail here. */
static inline void *
fz_malloc(size_t n)
{
	void	*p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

/* A heap copy of exactly n bytes (no terminator): ASan sees any read
 * past the end of what the function was given. */
static inline char *
fz_exact(const void *s, size_t n)
{
	char	*p = fz_malloc(n);

	if (n > 0)
		memcpy(p, s, n);
	return p;
}

/* The input cut at NUL bytes into at most FZ_FIELDS_MAX fields, each a
 * NUL-terminated string (the last runs to the end of the input). */
#define FZ_FIELDS_MAX	64

struct fz_fields {
	char	*buf;
	char	*f[FZ_FIELDS_MAX];
	size_t	 len[FZ_FIELDS_MAX];
	size_t	 n;
};

static inline void
fz_split(struct fz_fields *fs, const uint8_t *data, size_t size, size_t max)
{
	size_t	 i, start = 0;

	if (max > FZ_FIELDS_MAX)
		max = FZ_FIELDS_MAX;
	fs->buf = fz_malloc(size + 1);
	if (size > 0)
		memcpy(fs->buf, data, size);
	fs->buf[size] = '\0';
	fs->n = 0;
	if (size == 0 || max == 0)
		return;
	for (i = 0; i <= size && fs->n < max; i++) {
		if (i == size || (fs->buf[i] == '\0' && fs->n + 1 < max)) {
			fs->f[fs->n] = fs->buf + start;
			fs->len[fs->n] = i - start;
			fs->n++;
			start = i + 1;
			if (i == size)
				break;
		}
	}
}

static inline void
fz_fields_free(struct fz_fields *fs)
{
	free(fs->buf);
	fs->buf = NULL;
	fs->n = 0;
}

/* Is every byte of s[0..n) printable ASCII or a space?  What every header
 * value cors-wrap produces must be (no CR, LF, NUL, other controls). */
static inline bool
fz_printable(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/*
 * glibc's regcomp is not under test (regular expressions come from the
 * configuration, which is trusted) and stacked quantifiers ("a++++...")
 * make it allocate gigabytes.  Inputs whose ~REGEX words are not small
 * and plain are skipped: each ~ word (up to one of ends, or NUL) at most
 * 48 bytes, no "{", no back-reference, at most 3 of "*+?".
 */
#define FZ_WORD_ENDS	" \t\n\r\f\v,\"'"	/* of a list item */

static inline bool
fz_regex_tame(const char *s, size_t n, const char *ends)
{
	size_t	 i, j, q;

	for (i = 0; i < n; i++) {
		if (s[i] != '~')
			continue;
		for (j = i + 1, q = 0; j < n && j - i <= 48; j++) {
			/* strchr finds the NUL too: it ends a word. */
			if (strchr(ends, s[j]) != NULL)
				break;
			if (s[j] == '{' || (s[j] == '\\' && j + 1 < n &&
			    s[j + 1] >= '0' && s[j + 1] <= '9'))
				return false;
			if (s[j] == '*' || s[j] == '+' || s[j] == '?')
				q++;
		}
		if (j - i > 48 || q > 3)
			return false;
		i = j;
	}
	return true;
}

/* The meaning of ~REGEX (origins, allow_headers): the POSIX ERE after
 * the '~', compiled on its own (REG_ICASE), matches a subject when a match
 * spans all of it: by POSIX's leftmost-longest rule, when regexec's match
 * does.  o NULL: only whether pat is valid (*valid). */
static inline bool
fz_ere_whole(const char *pat, size_t plen, const char *o, size_t olen,
    bool *valid)
{
	regex_t		 re;
	regmatch_t	 m[1];
	char		*p = fz_malloc(plen + 1);
	bool		 whole = false;

	memcpy(p, pat, plen);
	p[plen] = '\0';
	*valid = regcomp(&re, p, REG_EXTENDED | REG_ICASE) == 0;
	free(p);
	if (!*valid)
		return false;
	if (o != NULL) {
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)olen;
		whole = regexec(&re, o, 1, m, REG_STARTEND) == 0 &&
		    m[0].rm_so == 0 && (size_t)m[0].rm_eo == olen;
	}
	regfree(&re);
	return whole;
}

/*
 * The request encoding (fuzz_request, fuzz_decide).  Byte 0 says which of
 * the meta-variables below are present (bit i: fz_req_vars[i]); the rest
 * of the input, cut at NUL bytes, gives their values in that order (a
 * present variable without a value is empty).
 *
 * An Access-Control-Request-Headers value starting with byte 0x01 is
 * synthetic, so that the fuzzer reaches the count and length limits
 * (REQ_HEADER_NAMES_MAX, REQ_HEADERS_MAX) that mutation alone rarely
 * does: 0x01 COUNT LEN SEP [FILL] makes COUNT distinct names "hNNN" padded
 * with FILL (default 'x') to LEN bytes, joined by one of ",", ", ", " ,",
 * ",\t" (SEP & 3).
 */
#define FZ_REQ_VARS	8

static const char *const fz_req_vars[FZ_REQ_VARS] = {
	"REQUEST_METHOD",
	"HTTP_ORIGIN",
	"HTTP_ACCESS_CONTROL_REQUEST_METHOD",
	"HTTP_ACCESS_CONTROL_REQUEST_HEADERS",
	"HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK",
	"REQUEST_URI",
	"SCRIPT_NAME",
	"PATH_INFO",
};

enum { FZ_METHOD, FZ_ORIGIN, FZ_ACRM, FZ_ACRH, FZ_ACRPN, FZ_URI, FZ_SN,
    FZ_PI };

struct fz_request {
	char	*env[FZ_REQ_VARS + 1];	/* "NAME=VALUE", NULL-terminated */
	char	*value[FZ_REQ_VARS];	/* into env; NULL when absent */
	size_t	 len[FZ_REQ_VARS];
};

static inline char *
fz_synth_acrh(const char *v, size_t n, size_t *outlen)
{
	static const char *const seps[] = { ",", ", ", " ,", ",\t" };
	unsigned	 count = (unsigned char)v[1];
	size_t		 len = (unsigned char)v[2], i, o = 0, k;
	const char	*sep = seps[(unsigned char)v[3] & 3];
	char		 fill = n > 4 ? v[4] : 'x', *s, name[8];

	if (len < 4)
		len = 4;
	if (fill == '\0')
		fill = 'x';
	s = fz_malloc(count * (len + 2) + 1);
	for (i = 0; i < count; i++) {
		if (i > 0) {
			memcpy(s + o, sep, strlen(sep));
			o += strlen(sep);
		}
		snprintf(name, sizeof(name), "h%03x", (unsigned)i);
		memcpy(s + o, name, 4);
		for (k = 4; k < len; k++)
			s[o + k] = fill;
		o += len;
	}
	s[o] = '\0';
	*outlen = o;
	return s;
}

static inline void
fz_request_build(struct fz_request *q, const uint8_t *data, size_t size)
{
	struct fz_fields fs;
	unsigned	 mask = size > 0 ? data[0] : 0;
	size_t		 i, k = 0, n, vlen;
	const char	*v;
	char		*synth;

	memset(q, 0, sizeof(*q));
	fz_split(&fs, size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0,
	    FZ_REQ_VARS);
	for (i = 0; i < FZ_REQ_VARS; i++) {
		if (!(mask & (1u << i)))
			continue;
		synth = NULL;
		v = "";
		vlen = 0;
		if (k < fs.n) {
			v = fs.f[k];
			vlen = fs.len[k];
			/* The last field runs to the end, NULs included:
			 * a meta-variable ends at its first NUL. */
			vlen = strnlen(v, vlen);
		}
		k++;
		if (i == FZ_ACRH && vlen >= 4 && v[0] == '\x01')
			v = synth = fz_synth_acrh(v, vlen, &vlen);
		n = strlen(fz_req_vars[i]);
		q->env[i] = fz_malloc(n + 1 + vlen + 1);
		memcpy(q->env[i], fz_req_vars[i], n);
		q->env[i][n] = '=';
		memcpy(q->env[i] + n + 1, v, vlen);
		q->env[i][n + 1 + vlen] = '\0';
		q->value[i] = q->env[i] + n + 1;
		q->len[i] = vlen;
		free(synth);
	}
	/* Compact: request_env_get stops at the first NULL. */
	for (i = 0, k = 0; i < FZ_REQ_VARS; i++)
		if (q->env[i] != NULL)
			q->env[k++] = q->env[i];
	for (; k <= FZ_REQ_VARS; k++)
		q->env[k] = NULL;
	fz_fields_free(&fs);
}

static inline void
fz_request_free(struct fz_request *q)
{
	size_t	 i;

	for (i = 0; i < FZ_REQ_VARS; i++)
		free(q->env[i]);
	memset(q, 0, sizeof(*q));
}

/* INI text in an anonymous memory file, named by its /proc/self/fd path:
 * config_load opens it by name (and iniparser opens it again). */
struct fz_memfile {
	int	 fd;
	char	 path[64];
};

static inline void
fz_memfile_open(struct fz_memfile *m)
{
	if ((m->fd = memfd_create("cors-wrap-fuzz", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
}

static inline void
fz_memfile_set(struct fz_memfile *m, const void *data, size_t size)
{
	const char	*p = data;
	ssize_t		 w;
	size_t		 o = 0;

	if (ftruncate(m->fd, 0) == -1)
		abort();
	while (o < size) {
		if ((w = pwrite(m->fd, p + o, size - o, (off_t)o)) <= 0)
			abort();
		o += (size_t)w;
	}
}

#endif
