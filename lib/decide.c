#include "decide.h"

#include <string.h>

#include "clock.h"

const struct section *
decide(const struct config *cfg, const struct request *r, struct answer *a)
{
	const struct section	*sec;

	if (!r->path_ok) {
		sec = &cfg->sections[cfg->nsections - 1];
		policy_refuse(&sec->policy, r, REASON_PATH_INVALID, a);
		if (sec->policy.debug_header)
			answer_debug(a, sec->name);
		return sec;
	}
	sec = config_select(cfg, r->path);
	policy_decide(&sec->policy, r, a);
	if (sec->policy.debug_header)
		answer_debug(a, sec->name);
	return sec;
}

/* May one more line about a refused request be logged?  Says how many
 * were not, first. */
static bool
budget_allows(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b)
{
	uint64_t	 dropped = 0;
	bool		 ok;

	if (cfg->log_refused > lg->level)
		return false;
	if (b != NULL && b->bucket != NULL)
		ok = ratelimit_take(b->bucket, cfg->log_rate, clock_ms(),
		    &dropped);
	else if (b != NULL && b->file != NULL)
		ok = ratelimit_take_file(b->file, cfg->log_rate, &dropped);
	else
		ok = true;
	if (!ok)
		return false;
	if (dropped > 0)
		log_msg(lg, cfg->log_refused, "%llu lines about refused "
		    "requests were not logged (log_rate %u a minute)",
		    (unsigned long long)dropped, cfg->log_rate);
	return true;
}

void
decide_log(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	const char	*kind = r->preflight ? "preflight" : "request";
	int		 olen = (int)(r->origin_len > 256 ? 256 : r->origin_len);

	if (a->verdict == VERDICT_REFUSED) {
		if (!budget_allows(lg, cfg, b))
			return;
		log_msg(lg, cfg->log_refused, "refused %s %s %s from origin "
		    "\"%.*s\" [%s]: %s%s%.*s", kind, r->method, r->path, olen,
		    r->origin != NULL ? r->origin : "", sec->name,
		    reason_str(a->reason), a->detail != NULL ? " " : "",
		    (int)a->detail_len, a->detail != NULL ? a->detail : "");
	} else
		log_msg(lg, LOG_DEBUG, "%s %s %s from origin \"%.*s\" [%s]: "
		    "%s", kind, r->method, r->path, olen,
		    r->origin != NULL ? r->origin : "", sec->name,
		    reason_str(a->reason));
}

/* A refusal caused by the script's own fields, not by the policy: why
 * says which, within the same budget as the policy's refusals. */
static void
log_script_refusal(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r, const char *why)
{
	int	 olen = (int)(r->origin_len > 256 ? 256 : r->origin_len);

	if (!budget_allows(lg, cfg, b))
		return;
	log_msg(lg, cfg->log_refused, "refused %s %s %s from origin \"%.*s\": "
	    "%s", r->preflight ? "preflight" : "request", r->method, r->path,
	    olen, r->origin != NULL ? r->origin : "", why);
}

void
decide_log_withheld(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r)
{
	log_script_refusal(lg, cfg, b, r, "the script sets "
	    "Access-Control-Allow-Credentials and only \"*\" allows this "
	    "origin; no Access-Control-Allow-Origin sent");
}

void
decide_log_dropped(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r)
{
	log_script_refusal(lg, cfg, b, r, "the script sets "
	    "Access-Control-Allow-Credentials on a local redirect without its "
	    "own Access-Control-Allow-Origin; the field dropped");
}

void
decide_log_diag(const struct logger *lg, const struct diag *d)
{
	const char	*p = d->text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		log_msg(lg, LOG_ERROR, "configuration: %.*s",
		    (int)(nl != NULL ? nl - p : (long)strlen(p)), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}
