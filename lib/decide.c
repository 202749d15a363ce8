#include "decide.h"

#include <string.h>

const struct section *
decide(const struct config *cfg, const struct request *r, struct answer *a)
{
	const struct section	*sec;

	if (!r->path_ok) {
		sec = &cfg->sections[cfg->nsections - 1];
		policy_refuse(&sec->policy, r, REASON_PATH_INVALID, a);
		return sec;
	}
	sec = config_select(cfg, r->path);
	policy_decide(&sec->policy, r, a);
	return sec;
}

void
decide_log(const struct logger *lg, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	const char	*kind = r->preflight ? "preflight" : "request";
	int		 olen = (int)(r->origin_len > 256 ? 256 : r->origin_len);

	if (a->verdict == VERDICT_REFUSED)
		log_msg(lg, LOG_INFO, "refused %s %s %s from origin \"%.*s\" "
		    "[%s]: %s%s%.*s", kind, r->method, r->path, olen,
		    r->origin != NULL ? r->origin : "", sec->name,
		    reason_str(a->reason), a->detail != NULL ? " " : "",
		    (int)a->detail_len, a->detail != NULL ? a->detail : "");
	else
		log_msg(lg, LOG_DEBUG, "%s %s %s from origin \"%.*s\" [%s]: "
		    "%s", kind, r->method, r->path, olen,
		    r->origin != NULL ? r->origin : "", sec->name,
		    reason_str(a->reason));
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
