#include "exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "response.h"

const struct section *
exchange_decide(const struct config *cfg, const struct request *r,
    struct answer *a)
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

enum exchange_next
exchange_begin(struct exchange *x, request_getter g, void *ctx)
{
	const struct policy	*p;

	request_read(x->req, g, ctx);
	x->sec = exchange_decide(x->cfg, x->req, x->ans);
	p = &x->sec->policy;
	exchange_log(x->lg, x->cfg, &x->budget, x->req, x->sec, x->ans);
	if (x->req->preflight && p->automatic_options) {
		x->status = p->preflight_status;
		return EXCHANGE_ANSWER;
	}
	return EXCHANGE_RUN;
}

int
exchange_script(const struct exchange *x, const struct exchange_prog *p,
    request_getter g, void *ctx, struct script *s)
{
	const struct config	*cfg = x->cfg;

	if (p->nprog > 0)
		return script_from_argv(s, p->prog, p->nprog, p->extra,
		    p->nextra);
	if (cfg->exec != NULL)
		return script_from_exec(s, cfg->exec, p->extra, p->nextra);
	if (cfg->script_root != NULL) {
		if (script_from_root(s, cfg->script_root, p->extra, p->nextra,
		    g, ctx) == -1) {
			log_msg(x->lg, s->status == 500 ? LOG_ERROR :
			    LOG_WARN, "%s", s->why);
			return -1;
		}
		return 0;
	}
	memset(s, 0, sizeof(*s));
	s->status = 500;
	log_msg(x->lg, LOG_ERROR, "no program to run: set CORS_EXEC or "
	    "CORS_SCRIPT_ROOT, or name the program as an argument");
	return -1;
}

ssize_t
exchange_format(char *buf, size_t len, int status, const struct answer *a)
{
	ssize_t	 n;

	if ((n = response_format(buf, len, status, a)) == -1)
		n = response_format(buf, len, status, NULL);
	return n;
}

/* The file holding the budget for "refused" lines: one for every
 * cors-wrap CGI process of this user, in the server's TMPDIR when it sets
 * one.  Named only when a line may be logged: an allowed request need not
 * pay for snprintf's code (page faults, bench/run). */
static const char *
budget_file(char *path, size_t len)
{
	const char	*td = getenv("TMPDIR");

	if (td == NULL || td[0] != '/' || strlen(td) > 256)
		td = "/tmp";
	snprintf(path, len, "%s/cors-wrap-%lu.log-budget", td,
	    (unsigned long)geteuid());
	return path;
}

/* May one more line about a refused request be logged at this level?
 * Says how many were not, first. */
static bool
budget_allows(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, enum log_level level)
{
	uint64_t	 dropped = 0;
	char		 path[320];
	bool		 ok;
	struct logger	 note;

	if (level > lg->level)
		return false;
	if (b != NULL && b->bucket != NULL)
		ok = ratelimit_take(b->bucket, cfg->log_rate, clock_ms(),
		    &dropped);
	else if (b != NULL && b->user_file)
		ok = ratelimit_take_file(budget_file(path, sizeof(path)),
		    cfg->log_rate, &dropped);
	else
		ok = true;
	if (!ok)
		return false;
	if (dropped > 0) {
		/* About other requests: a JSON line with this one's event
		 * and origin would count it twice in a pipeline counting
		 * events. */
		note = *lg;
		memset(&note.req, 0, sizeof(note.req));
		log_msg(&note, level, "%llu lines about refused "
		    "requests were not logged (log_rate %u a minute)",
		    (unsigned long long)dropped, cfg->log_rate);
	}
	return true;
}

/* The request's origin in a log line: FROM_FMT's four arguments, "from
 * origin "..."" or "without an Origin" (not an empty origin: a request
 * without one is another case, always_send's). */
#define FROM_FMT	"%s%.*s%s"
#define FROM_ARGS(r, olen) \
	(r)->origin != NULL ? "from origin \"" : "without an Origin", \
	(r)->origin != NULL ? (olen) : 0, \
	(r)->origin != NULL ? (r)->origin : "", \
	(r)->origin != NULL ? "\"" : ""

void
exchange_log(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	const char	*kind = r->preflight ? "preflight" : "request";
	int		 olen = (int)(r->origin_len > 256 ? 256 : r->origin_len);
	struct logger	 rl;

	/* What enforce = report is for: at warn, the default log_level,
	 * unless log_refused is more severe. */
	enum log_level	 would = cfg->log_refused < LOG_WARN ?
			    cfg->log_refused : LOG_WARN;

	/* Most requests: allowed, and nothing said below debug. */
	if (!a->would_refuse && a->verdict != VERDICT_REFUSED &&
	    lg->level < LOG_DEBUG)
		return;
	rl = *lg;
	exchange_log_fields(&rl, r, sec, a);	/* for JSON lines */
	lg = &rl;
	if (a->would_refuse) {
		if (!budget_allows(lg, cfg, b, would))
			return;
		log_msg(lg, would, "would refuse %s %s %s " FROM_FMT " "
		    "[%s]: %s%s%.*s; enforce = report answered it", kind,
		    r->method, r->path, FROM_ARGS(r, olen), sec->name,
		    reason_str(a->reason), a->detail != NULL ? " " : "",
		    (int)a->detail_len, a->detail != NULL ? a->detail : "");
	} else if (a->verdict == VERDICT_REFUSED) {
		if (!budget_allows(lg, cfg, b, cfg->log_refused))
			return;
		log_msg(lg, cfg->log_refused, "refused %s %s %s " FROM_FMT
		    " [%s]: %s%s%.*s", kind, r->method, r->path,
		    FROM_ARGS(r, olen), sec->name, reason_str(a->reason),
		    a->detail != NULL ? " " : "", (int)a->detail_len,
		    a->detail != NULL ? a->detail : "");
	} else
		log_msg(lg, LOG_DEBUG, "%s %s %s " FROM_FMT " [%s]: %s", kind,
		    r->method, r->path, FROM_ARGS(r, olen), sec->name,
		    reason_str(a->reason));
}

/* What the script's own fields changed in the answer, not the policy: a
 * refusal, or (refused false) a narrower answer to an allowed request;
 * why says which, within the same budget as the policy's refusals. */
static void
log_script_change(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r, bool refused,
    const char *why)
{
	int		 olen = (int)(r->origin_len > 256 ? 256 : r->origin_len);
	struct logger	 rl = *lg;

	/* A JSON line says so too, whatever the policy decided. */
	if (rl.req.event != NULL && refused)
		rl.req.event = "refused";
	lg = &rl;
	if (!budget_allows(lg, cfg, b, cfg->log_refused))
		return;
	log_msg(lg, cfg->log_refused, "%s %s %s %s " FROM_FMT ": %s",
	    refused ? "refused" : "answered",
	    r->preflight ? "preflight" : "request", r->method, r->path,
	    FROM_ARGS(r, olen), why);
}

bool
exchange_log_merged(const struct logger *lg, const struct config *cfg,
    const struct log_budget *b, const struct request *r,
    const struct cgi_headers *h, const struct answer *a)
{
	bool	 withheld = cgiheader_withholds(h, a);

	if (withheld)
		log_script_change(lg, cfg, b, r, true, a->star_only ?
		    "the script sets Access-Control-Allow-Credentials and "
		    "only \"*\" allows this origin; no "
		    "Access-Control-Allow-Origin sent" :
		    a->would_refuse ? "the script sets "
		    "Access-Control-Allow-Credentials and the policy refuses "
		    "this origin (enforce = report answers it without "
		    "credentials); no Access-Control-Allow-Origin sent" :
		    r->origin == NULL ? "the script sets "
		    "Access-Control-Allow-Credentials and credentials_origins "
		    "does not allow the origin always_send names; no "
		    "Access-Control-Allow-Origin sent" :
		    "the script sets Access-Control-Allow-Credentials and "
		    "credentials_origins does not allow this origin; no "
		    "Access-Control-Allow-Origin sent");
	if (cgiheader_drops_credentials(h))
		log_script_change(lg, cfg, b, r, true, "the script sets "
		    "Access-Control-Allow-Credentials on a local redirect "
		    "without its own Access-Control-Allow-Origin; the field "
		    "dropped");
	if (cgiheader_expose_cut(h, a))
		log_script_change(lg, cfg, b, r, false, "expose_headers *: "
		    "the script's header names take more than "
		    BOUND(EXPOSE_LIST_MAX) " bytes; Access-Control-Expose-"
		    "Headers lists only the configured names");
	return withheld;
}

void
exchange_log_diag(const struct logger *lg, const struct diag *d)
{
	const char	*p = d->text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		log_msg(lg, LOG_ERROR, "configuration: %.*s",
		    (int)(nl != NULL ? nl - p : (long)strlen(p)), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

void
exchange_log_fields(struct logger *lg, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	struct log_fields	*f = &lg->req;

	f->event = a->verdict == VERDICT_REFUSED ? "refused" :
	    a->would_refuse ? "would_refuse" : "decided";
	f->kind = r->preflight ? "preflight" : "request";
	f->method = r->method;
	f->path = r->path;
	f->origin = r->origin;
	f->origin_len = r->origin != NULL ? r->origin_len : 0;
	f->section = sec->name;
	f->reason = reason_str(a->reason);
}
