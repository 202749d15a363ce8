/*
 * FastCGI records (FastCGI Specification 1.0, section 3): headers, the
 * name-value pairs of FCGI_PARAMS, and the records cors-wrap writes.
 * Pure and bounded: every length read from the wire is checked against
 * what is actually there (CVE-2025-23016 was an unchecked sum).
 */
#ifndef CORS_FCGIREC_H
#define CORS_FCGIREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fastcgi.h>

struct fcgi_rec {
	uint8_t		 type;
	uint16_t	 id;
	uint16_t	 clen;
	uint8_t		 plen;
};

/* Parses an 8-byte header; -1 if the version is not 1. */
int	fcgirec_header(const uint8_t *, struct fcgi_rec *);
void	fcgirec_put_header(uint8_t *, uint8_t type, uint16_t id,
	    uint16_t clen, uint8_t plen);

enum fcgi_params_result {
	FCGI_PARAMS_OK,
	FCGI_PARAMS_TRUNCATED,	/* a length points past the data */
	FCGI_PARAMS_TOO_MANY,
	FCGI_PARAMS_BAD		/* empty name, NUL, '=' in a name */
};

/*
 * Decodes the name-value pairs in in[0..len) into "NAME=VALUE" strings
 * written to out, with pointers in vec (NULL-terminated; room for max +
 * 1).  out needs len bytes: a pair loses at least two bytes of length
 * prefix and gains '=' and NUL, so out may be in itself (decoding in
 * place never overtakes the input).
 */
enum fcgi_params_result	fcgirec_params(const uint8_t *in, size_t len,
			    char *out, char **vec, size_t max, size_t *n);

/* FCGI_GET_VALUES: answers the names asked for that cors-wrap knows.
 * Writes a whole FCGI_GET_VALUES_RESULT record; returns its length. */
size_t	fcgirec_get_values(const uint8_t *in, size_t len, uint8_t *out,
	    size_t outlen, unsigned max_conns);

#define FCGI_END_REQUEST_LEN	16
void	fcgirec_end_request(uint8_t *, uint16_t id, uint32_t app_status,
	    uint8_t protocol_status);

#endif
