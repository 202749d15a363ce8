/*
 * The compiled CORS policy of one resource and the decision: a pure
 * function from (policy, request) to the answer's header fields.  No I/O,
 * no allocation: the answer lives in a caller-provided structure.
 */
#ifndef CORS_POLICY_H
#define CORS_POLICY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"
#include "origin.h"
#include "request.h"

struct header_entry {
	char		*name;		/* literal, or the regex source */
	bool		 regex;
	regex_t		 re;
};

/* enforce: what a refusal is answered with. */
enum enforce {
	ENFORCE_ON,		/* the refusal */
	ENFORCE_REPORT		/* a permissive answer, and a log line */
};

struct policy {
	struct origin_entry	*origins;
	size_t			 norigins;
	bool			 origins_any;	/* "*" listed */
	const char		*first_exact;	/* smallest exact origin, for
						   always_send without Origin */
	/* credentials_origins: when set, the allowed origins that get
	 * credentials (supports_credentials: all of them). */
	struct origin_entry	*credentials_origins;
	size_t			 ncredentials_origins;
	enum enforce		 enforce;

	char			**methods;	/* upper-cased, sorted, unique */
	size_t			 nmethods;
	bool			 methods_any;
	char			*methods_value;	/* "DELETE, GET, ..." */

	struct header_entry	*allow_headers;
	size_t			 nallow_headers;
	bool			 allow_headers_any;

	char			*expose_value;	/* sorted, ", "-joined; or NULL */
	char			*expose_named;	/* the same without "*"; or NULL */
	bool			 expose_any;	/* "*" listed */

	bool			 supports_credentials;
	bool			 send_wildcard;
	bool			 always_send;
	bool			 automatic_options;
	bool			 vary_header;
	bool			 allow_private_network;
	bool			 intercept_exceptions;
	bool			 debug_header;	/* X-CORS-Wrap: hit/miss */
	bool			 timing_allow_origin;
	char			*preflight_cache_control;	/* or NULL */
	long			 max_age;	/* -1: not sent */
	char			 max_age_value[24];
	int			 preflight_status;	/* 204 or 200 */
};

void	policy_free(struct policy *);

#define POLICY_ANY	(-2)

/* Which allow_headers entry permits a header name: its index, POLICY_ANY
 * for "*", -1 for none.  For explanations; policy_decide uses it too. */
int	policy_header_entry(const struct policy *, const char *, size_t);

enum verdict {
	VERDICT_ALLOWED,	/* CORS headers sent */
	VERDICT_REFUSED,	/* a CORS request we said no to */
	VERDICT_NONE		/* not a CORS request; nothing (or * ) sent */
};

/* Why, in one word each; used in log lines, --explain and X-CORS. */
enum reason {
	REASON_ALLOWED,
	REASON_NO_ORIGIN,
	REASON_ORIGIN_INVALID,
	REASON_ORIGIN_NOT_ALLOWED,
	REASON_METHOD_INVALID,
	REASON_METHOD_NOT_ALLOWED,
	REASON_HEADER_INVALID,
	REASON_HEADERS_TOO_MANY,
	REASON_PATH_INVALID
};

const char	*reason_str(enum reason);

#define VARY_ORIGIN	0x1u
#define VARY_ACRM	0x2u
#define VARY_ACRH	0x4u
#define VARY_ACRPN	0x8u

#define ANSWER_FIELDS_MAX	10

struct field {
	const char	*name;
	const char	*value;
};

struct answer {
	/* Storage for computed values: Allow-Headers, Allow-Methods.  The
	 * requested names are joined with ", " where the request may have
	 * put a lone comma: each name but the first adds a byte, so the
	 * list may be REQ_HEADER_NAMES_MAX - 1 bytes longer than the
	 * request's. */
	char		 acah[REQ_HEADERS_MAX + REQ_HEADER_NAMES_MAX];
	char		 acam[1024 + METHOD_MAX];
	char		 debug[128];
	bool		 preflight;	/* decided as a preflight */
	bool		 star_only;	/* Allow-Origin reflects an Origin that
					   only the "*" entry allowed: never
					   to go out with credentials */
	bool		 would_refuse;	/* enforce = report: the policy refused; the answer is permissive */
	bool		 expose_script;	/* Expose-Headers is to list the
					   script's header names: "*" would
					   be read literally beside
					   credentials (cgiheader_merge) */
	enum verdict	 verdict;
	enum reason	 reason;
	const char	*detail;	/* the offending method/header, or NULL */
	size_t		 detail_len;
	struct field	 fields[ANSWER_FIELDS_MAX];
	size_t		 nfields;
	unsigned	 vary;		/* VARY_* */
	bool		 no_credentials;	/* Allow-Origin reflects an Origin
					   that may have no credentials, not
					   even the script's: star_only,
					   would_refuse, or one that
					   credentials_origins does not
					   match */
};

void	policy_decide(const struct policy *, const struct request *,
	    struct answer *);

/* An answer for a request whose path could not be decoded: no CORS header,
 * and the Vary the policy would have used.  Fails closed. */
void	policy_refuse(const struct policy *, const struct request *,
	    enum reason, struct answer *);

/* Prepend mode cannot see the script's own Access-Control-Allow-Credentials:
 * an Allow-Origin reflected for an Origin that may have no credentials
 * (no_credentials) becomes "*", which a browser reads the same way for
 * every request that carries no credentials; so does the
 * Timing-Allow-Origin that mirrors it. */
void	answer_unreflect(struct answer *);

/* Adds the debugging field "X-CORS-Wrap: hit|miss[; reason]; section=S"
 * (debug_header), in the spirit of rack-cors's X-Rack-CORS; "report-only"
 * in place of hit or miss for a would_refuse answer. */
void	answer_debug(struct answer *, const char *section);

/* The Vary tokens of an answer, ", "-joined, into buf; returns length. */
size_t	answer_vary(const struct answer *, char *, size_t);

/* Formats the answer's fields and Vary as header lines ending in eol; a
 * field with an empty value (expose_script with no name of its own) is
 * left out.  Returns the length (0: no field), or -1 if they did not fit. */
ssize_t	answer_format(const struct answer *, const char *eol, char *, size_t);

#endif
