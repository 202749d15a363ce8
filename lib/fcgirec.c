#include "fcgirec.h"

#include <stdio.h>
#include <string.h>

int
fcgirec_header(const uint8_t *p, struct fcgi_rec *r)
{
	if (p[0] != FCGI_VERSION_1)
		return -1;
	r->type = p[1];
	r->id = (uint16_t)(p[2] << 8 | p[3]);
	r->clen = (uint16_t)(p[4] << 8 | p[5]);
	r->plen = p[6];
	return 0;
}

void
fcgirec_put_header(uint8_t *p, uint8_t type, uint16_t id, uint16_t clen,
    uint8_t plen)
{
	p[0] = FCGI_VERSION_1;
	p[1] = type;
	p[2] = (uint8_t)(id >> 8);
	p[3] = (uint8_t)id;
	p[4] = (uint8_t)(clen >> 8);
	p[5] = (uint8_t)clen;
	p[6] = plen;
	p[7] = 0;
}

/* A length is one byte, or four with the high bit set (spec 3.4). */
static int
get_len(const uint8_t *in, size_t len, size_t *off, size_t *v)
{
	if (*off >= len)
		return -1;
	if (!(in[*off] & 0x80)) {
		*v = in[(*off)++];
		return 0;
	}
	if (len - *off < 4)
		return -1;
	*v = ((size_t)(in[*off] & 0x7f) << 24) | ((size_t)in[*off + 1] << 16) |
	    ((size_t)in[*off + 2] << 8) | in[*off + 3];
	*off += 4;
	return 0;
}

enum fcgi_params_result
fcgirec_params(const uint8_t *in, size_t len, char *out, char **vec,
    size_t max, size_t *n)
{
	size_t	 off = 0, o = 0, nl, vl;

	*n = 0;
	while (off < len) {
		if (get_len(in, len, &off, &nl) == -1 ||
		    get_len(in, len, &off, &vl) == -1)
			return FCGI_PARAMS_TRUNCATED;
		/* Compared one at a time: nl + vl cannot overflow a size_t
		 * that held 31-bit values, but each must fit what is left. */
		if (nl > len - off || vl > len - off - nl)
			return FCGI_PARAMS_TRUNCATED;
		if (nl == 0 || memchr(in + off, '\0', nl + vl) != NULL ||
		    memchr(in + off, '=', nl) != NULL)
			return FCGI_PARAMS_BAD;
		if (*n == max)
			return FCGI_PARAMS_TOO_MANY;
		vec[(*n)++] = out + o;
		memmove(out + o, in + off, nl);
		o += nl;
		out[o++] = '=';
		memmove(out + o, in + off + nl, vl);
		o += vl;
		out[o++] = '\0';
		off += nl + vl;
	}
	vec[*n] = NULL;
	return FCGI_PARAMS_OK;
}

static size_t
put_pair(uint8_t *out, size_t outlen, const char *name, const char *value)
{
	size_t	 nl = strlen(name), vl = strlen(value);

	if (nl > 127 || vl > 127 || 2 + nl + vl > outlen)
		return 0;
	out[0] = (uint8_t)nl;
	out[1] = (uint8_t)vl;
	/* Name-value pairs carry lengths, not NULs (spec 3.4). */
	memcpy(out + 2, name, nl);		/* NOLINT(bugprone-not-null-terminated-result) */
	memcpy(out + 2 + nl, value, vl);	/* NOLINT(bugprone-not-null-terminated-result) */
	return 2 + nl + vl;
}

size_t
fcgirec_get_values(const uint8_t *in, size_t len, uint8_t *out,
    size_t outlen, unsigned max_conns)
{
	size_t	 off = 0, nl, vl, o = FCGI_HEADER_LEN, w;
	char	 num[16];
	uint8_t	 pad;

	if (outlen < FCGI_HEADER_LEN + 8)
		return 0;
	snprintf(num, sizeof(num), "%u", max_conns);
	while (off < len) {
		const char	*name, *value = NULL;

		if (get_len(in, len, &off, &nl) == -1 ||
		    get_len(in, len, &off, &vl) == -1 ||
		    nl > len - off || vl > len - off - nl)
			break;
		name = (const char *)in + off;
		if ((nl == strlen(FCGI_MAX_CONNS) &&
		    memcmp(name, FCGI_MAX_CONNS, nl) == 0) ||
		    (nl == strlen(FCGI_MAX_REQS) &&
		    memcmp(name, FCGI_MAX_REQS, nl) == 0))
			value = num;
		else if (nl == strlen(FCGI_MPXS_CONNS) &&
		    memcmp(name, FCGI_MPXS_CONNS, nl) == 0)
			value = "0";
		off += nl + vl;
		if (value == NULL)
			continue;
		{
			char	 nm[32];

			snprintf(nm, sizeof(nm), "%.*s", (int)nl, name);
			w = put_pair(out + o, outlen - 8 - o, nm, value);
		}
		if (w == 0)
			break;
		o += w;
	}
	pad = (uint8_t)((8 - (o - FCGI_HEADER_LEN) % 8) % 8);
	memset(out + o, 0, pad);
	fcgirec_put_header(out, FCGI_GET_VALUES_RESULT, 0,
	    (uint16_t)(o - FCGI_HEADER_LEN), pad);
	return o + pad;
}

void
fcgirec_end_request(uint8_t *p, uint16_t id, uint32_t app, uint8_t proto)
{
	fcgirec_put_header(p, FCGI_END_REQUEST, id, 8, 0);
	p[8] = (uint8_t)(app >> 24);
	p[9] = (uint8_t)(app >> 16);
	p[10] = (uint8_t)(app >> 8);
	p[11] = (uint8_t)app;
	p[12] = proto;
	memset(p + 13, 0, 3);
}
