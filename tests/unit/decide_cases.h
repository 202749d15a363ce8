/*
 * The rows of tests/unit/decide_cases: a configuration, a request, and the
 * answer the documentation (cors-wrap(1) "The answer", cors-wrap.ini(5),
 * README "Differences from Flask-CORS") says it gets.  The expected values
 * are written from those pages, not from what the code printed.
 */
#ifndef DECIDE_CASES_H
#define DECIDE_CASES_H

#include <stdbool.h>
#include <stddef.h>

/* A request as the server passes it; NULL: the variable is not set. */
struct case_request {
	const char	*method;	/* REQUEST_METHOD */
	const char	*origin;	/* Origin */
	const char	*acrm;		/* Access-Control-Request-Method */
	const char	*acrh;		/* Access-Control-Request-Headers */
	const char	*acrpn;		/* Access-Control-Request-Private-Network */
	const char	*uri;		/* REQUEST_URI */
	const char	*script_name;
	const char	*path_info;
};

/* The answer.  A NULL field must be absent; vary lists tokens in any
 * order, NULL for no Vary. */
struct case_answer {
	const char	*outcome;	/* "allowed", "none", "refused REASON",
					   "would-refuse REASON" */
	const char	*acao;		/* Access-Control-Allow-Origin */
	const char	*acac;		/* -Allow-Credentials */
	const char	*aceh;		/* -Expose-Headers */
	const char	*acam;		/* -Allow-Methods */
	const char	*acah;		/* -Allow-Headers */
	const char	*acma;		/* -Max-Age */
	const char	*acapn;		/* -Allow-Private-Network */
	const char	*debug;		/* X-CORS-Wrap */
	const char	*tao;		/* Timing-Allow-Origin */
	const char	*cache_control;	/* Cache-Control (preflights) */
	const char	*vary;
	bool		 star_only;	/* only the "*" entry allowed the origin */
	bool		 no_credentials;	/* the origin may have none, not
					   even the script's (implied by
					   star_only and "would-refuse") */
	const char	*section;	/* NULL: "global" */
};

struct decide_case {
	const char		*name;	/* the behaviour it shows */
	const char		*ini;	/* INI text */
	const char		*env[4];	/* CORS_* overrides */
	struct case_request	 req;
	struct case_answer	 want;
	/* Non-NULL: the code disagrees with the documentation here; the
	 * row keeps the documented answer and says where it is written. */
	const char		*disagrees;
};

/* A configuration the documentation says is an error. */
struct config_case {
	const char	*name;
	const char	*ini;
	const char	*env[4];
	const char	*names;		/* what the error line must name */
};

extern const struct decide_case	 decide_cases[];
extern const size_t		 ndecide_cases;
extern const struct config_case	 config_cases[];
extern const size_t		 nconfig_cases;

/* Fills the rows' overlong inputs; before the first row runs. */
void	decide_table_init(void);

#endif
