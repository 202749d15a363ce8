#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "bounds.h"
#include "log.h"
#include "policy.h"
#include "request.h"
#include "response.h"
#include "token.h"

#define EXPLAIN_VARS_MAX	64
#define EXPLAIN_LINE_MAX	8192

/* The request as CGI variables, which is what the decision reads. */
struct vars {
	char	*v[EXPLAIN_VARS_MAX + 1];
	size_t	 n;
};

static int
var_add(struct vars *vs, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
	char	*s;
	size_t	 i;

	if (vs->n == EXPLAIN_VARS_MAX || (s = malloc(nlen + vlen + 2)) == NULL)
		return -1;
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen);
	s[nlen + vlen + 1] = '\0';
	/* A repeated header is folded as servers do: "a, b". */
	for (i = 0; i < vs->n; i++) {
		if (strncmp(vs->v[i], s, nlen + 1) == 0) {
			size_t	 old = strlen(vs->v[i]);
			char	*m = realloc(vs->v[i], old + vlen + 3);

			free(s);
			if (m == NULL)
				return -1;
			memcpy(m + old, ", ", 2);
			memcpy(m + old + 2, value, vlen);
			m[old + vlen + 2] = '\0';
			vs->v[i] = m;
			return 0;
		}
	}
	vs->v[vs->n++] = s;
	vs->v[vs->n] = NULL;
	return 0;
}

static void
vars_free(struct vars *vs)
{
	size_t	 i;

	for (i = 0; i < vs->n; i++)
		free(vs->v[i]);
	vs->n = 0;
}

/* "Access-Control-Request-Method: PUT" becomes
 * HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT, as a server would pass it. */
static int
header_var(struct vars *vs, const char *line, size_t len, FILE *out)
{
	const char	*colon = memchr(line, ':', len), *v;
	char		 name[256];
	size_t		 i, n, vlen;

	if (colon == NULL || colon == line ||
	    !tok_is_token(line, (size_t)(colon - line)) ||
	    (size_t)(colon - line) + 5 >= sizeof(name)) {
		fprintf(out, "cors-wrap: not a header field: \"%.*s\"\n",
		    (int)len, line);
		return -1;
	}
	n = (size_t)snprintf(name, sizeof(name), "HTTP_");
	for (i = 0; line + i < colon; i++)
		if (line[i] == '-')
			name[n++] = '_';
		else
			name[n++] = tok_upper(line[i]);
	v = colon + 1;
	vlen = len - (size_t)(v - line);
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	return var_add(vs, name, n, v, vlen);
}

static int
request_line(struct vars *vs, const char *method, const char *uri)
{
	return var_add(vs, "REQUEST_METHOD", 14, method, strlen(method)) ||
	    var_add(vs, "REQUEST_URI", 11, uri, strlen(uri));
}

/* "OPTIONS /api/x HTTP/1.1" and header lines up to a blank line. */
static int
read_raw(struct vars *vs, FILE *in, FILE *out)
{
	char	 line[EXPLAIN_LINE_MAX], method[METHOD_MAX + 1], *uri, *sp;
	size_t	 n;
	bool	 first = true;

	while (fgets(line, sizeof(line), in) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (first) {
			first = false;
			if ((sp = strchr(line, ' ')) == NULL ||
			    (size_t)(sp - line) > METHOD_MAX) {
				fprintf(out, "cors-wrap: not a request line: "
				    "\"%s\"\n", line);
				return -1;
			}
			memcpy(method, line, (size_t)(sp - line));
			method[sp - line] = '\0';
			uri = sp + 1;
			if ((sp = strchr(uri, ' ')) != NULL)
				*sp = '\0';
			if (request_line(vs, method, uri) == -1)
				return -1;
			continue;
		}
		if (n == 0)
			break;
		if (header_var(vs, line, n, out) == -1)
			return -1;
	}
	if (first) {
		fprintf(out, "cors-wrap: no request on standard input\n");
		return -1;
	}
	return 0;
}

static int
read_words(struct vars *vs, char **w, int n, FILE *out)
{
	int	 i = 0;

	/* [METHOD] PATH: a method is a token that is not a path. */
	if (n > 0 && w[0][0] != '/' && strchr(w[0], ':') == NULL) {
		if (n < 2 || w[1][0] != '/') {
			fprintf(out, "cors-wrap: expected [METHOD] PATH "
			    "[\"Name: value\" ...]\n");
			return -1;
		}
		if (request_line(vs, w[0], w[1]) == -1)
			return -1;
		i = 2;
	} else if (n > 0 && w[0][0] == '/') {
		if (request_line(vs, "GET", w[0]) == -1)
			return -1;
		i = 1;
	} else if (request_line(vs, "GET", "/") == -1)
		return -1;
	for (; i < n; i++)
		if (header_var(vs, w[i], strlen(w[i]), out) == -1)
			return -1;
	return 0;
}

/* ACCESS_CONTROL_REQUEST_METHOD=PUT back to its field name, for people. */
static void
print_header(FILE *out, const char *kv, char *esc, size_t esclen)
{
	const char	*eq = strchr(kv, '=');
	size_t		 i, n = (size_t)(eq - kv);
	bool		 start = true;

	fputs("  ", out);
	for (i = 0; i < n; i++) {
		if (kv[i] == '_')
			fputc('-', out);
		else
			fputc(start ? kv[i] : tok_lower(kv[i]), out);
		start = kv[i] == '_';
	}
	fprintf(out, ": %s\n", log_escape(esc, esclen, eq + 1, strlen(eq + 1)));
}

static const char *
kind_of(const struct request *r)
{
	if (r->preflight)
		return "a CORS preflight (OPTIONS with Origin and "
		    "Access-Control-Request-Method)";
	if (strcmp(r->method, "OPTIONS") == 0 && r->origin != NULL)
		return "not a preflight (OPTIONS without "
		    "Access-Control-Request-Method): an actual request, "
		    "which goes to the script";
	if (r->origin == NULL)
		return "not a CORS request (no Origin)";
	return "an actual CORS request (it has an Origin)";
}

static void
explain_section(FILE *out, const struct config *cfg, const struct request *r,
    const struct section *sec)
{
	size_t	 i;

	fprintf(out, "configuration: %s\n", cfg->file != NULL ? cfg->file :
	    "no INI file; CORS_* variables and defaults");
	if (!r->path_ok) {
		fprintf(out, "path: cannot be decoded (a bad %%-escape, a NUL, "
		    "or too long): no section can be chosen, so the answer "
		    "fails closed\n");
		return;
	}
	fprintf(out, "path: %s (percent-decoded, dot segments removed)\n",
	    r->path);
	for (i = 0; i + 1 < cfg->nsections; i++) {
		const struct section	*s = &cfg->sections[i];

		fprintf(out, "  section [%s], path = %s (%s): %s\n", s->name,
		    s->path, s->set[KEY_PATH].source, s == sec ? "matches" :
		    "does not match");
		if (s == sec)
			break;
	}
	if (sec->path == NULL)
		fprintf(out, "section: the global one%s\n", cfg->nsections > 1 ?
		    " (no resource section matches)" : "");
	else
		fprintf(out, "section: [%s], the most specific match\n",
		    sec->name);
}

static void
explain_origin(FILE *out, const struct request *r, const struct section *sec)
{
	const struct policy	*p = &sec->policy;
	const struct setting	*s = &sec->set[KEY_ORIGINS];
	size_t			 i;
	char			 esc[ORIGIN_MAX * 4 + 8];

	fprintf(out, "origins = %s (%s)\n", s->value, s->source);
	if (r->origin == NULL) {
		fprintf(out, "origin: none sent\n");
		return;
	}
	log_escape(esc, sizeof(esc), r->origin, r->origin_len);
	fprintf(out, "origin: \"%s\"", esc);
	if (r->origin_state == RORIGIN_INVALID) {
		fprintf(out, " is not a serialised origin (%s): it is never "
		    "reflected\n", origin_check_str(r->origin_check));
		if (p->origins_any && p->send_wildcard)
			fprintf(out, "  send_wildcard: \"*\" is sent whatever "
			    "the Origin\n");
		return;
	}
	fprintf(out, "%s\n", r->origin_state == RORIGIN_OPAQUE ?
	    " is the opaque origin" : "");
	if (p->origins_any && p->send_wildcard) {
		fprintf(out, "  origins has \"*\" and send_wildcard is on: "
		    "\"*\" is sent whatever the Origin\n");
		return;
	}
	for (i = 0; i < p->norigins; i++) {
		const struct origin_entry	*e = &p->origins[i];
		const struct origin_parts	*parts =
		    r->origin_state == RORIGIN_OPAQUE ? NULL : &r->origin_parts;

		fprintf(out, "  %-30s %s\n", e->text,
		    origin_entry_matches(e, r->origin, r->origin_len, parts) ?
		    "matches" : origin_entry_miss(e, r->origin, r->origin_len,
		    parts));
	}
	if (p->norigins == 0)
		fprintf(out, "  (the list is empty: no origin is allowed)\n");
}

/* Which allowed origins get credentials, when credentials_origins says. */
static void
explain_credentials(FILE *out, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	const struct policy	*p = &sec->policy;
	const struct setting	*s = &sec->set[KEY_CREDENTIALS_ORIGINS];
	const struct origin_parts *parts =
	    r->origin_state == RORIGIN_OPAQUE ? NULL : &r->origin_parts;
	size_t			 i;

	if (p->ncredentials_origins == 0 || a->verdict != VERDICT_ALLOWED ||
	    a->would_refuse)
		return;
	fprintf(out, "credentials_origins = %s (%s)\n", s->value, s->source);
	for (i = 0; i < p->ncredentials_origins; i++) {
		const struct origin_entry	*e = &p->credentials_origins[i];

		fprintf(out, "  %-30s %s\n", e->text,
		    origin_entry_matches(e, r->origin, r->origin_len, parts) ?
		    "matches" : origin_entry_miss(e, r->origin, r->origin_len,
		    parts));
	}
	fprintf(out, "  %s\n", a->star_only ? "only \"*\" allows the origin: "
	    "never with credentials" : a->no_credentials ? "no entry "
	    "matches: an anonymous answer, without "
	    "Access-Control-Allow-Credentials (nor may the script add it)" :
	    "an entry matches: Access-Control-Allow-Credentials: true");
}

static void
explain_preflight(FILE *out, const struct request *r,
    const struct section *sec)
{
	const struct policy	*p = &sec->policy;
	struct tok_iter		 it;
	const char		*name;
	size_t			 len, i;
	int			 e;
	bool			 found = false;

	fprintf(out, "methods = %s (%s)\n", p->methods_any ? "*" :
	    p->methods_value, sec->set[KEY_METHODS].source);
	fprintf(out, "requested method: %s: ", r->acrm);
	len = strlen(r->acrm);
	if (len > METHOD_MAX || !tok_is_token(r->acrm, len))
		fprintf(out, "not a valid method token: refused\n");
	else if (p->methods_any)
		fprintf(out, "allowed by \"*\" and echoed\n");
	else {
		for (i = 0; i < p->nmethods; i++)
			if (tok_eq_nocase(r->acrm, len, p->methods[i],
			    strlen(p->methods[i])))
				found = true;
		fprintf(out, "%s\n", found ? "listed (compared without "
		    "regard to case)" : "not listed: refused");
	}

	fprintf(out, "allow_headers = %s (%s)\n",
	    sec->set[KEY_ALLOW_HEADERS].value,
	    sec->set[KEY_ALLOW_HEADERS].source);
	if (r->acrh == NULL) {
		fprintf(out, "requested headers: none\n");
	} else {
		fprintf(out, "requested headers:\n");
		tok_iter_init(&it, r->acrh, strnlen(r->acrh,
		    REQ_HEADERS_MAX + 1));
		for (i = 0; tok_next_field(&it, &name, &len) && i < 64; i++) {
			if (!tok_is_token(name, len)) {
				fprintf(out, "  %.*s: not a valid header name: "
				    "the preflight is refused\n", (int)len,
				    name);
				continue;
			}
			e = policy_header_entry(p, name, len);
			if (e == POLICY_ANY)
				fprintf(out, "  %.*s: allowed by \"*\"\n",
				    (int)len, name);
			else if (e >= 0)
				fprintf(out, "  %.*s: allowed by %s\n",
				    (int)len, name, p->allow_headers[e].name);
			else
				fprintf(out, "  %.*s: not allowed: left out of "
				    "Access-Control-Allow-Headers, so the "
				    "browser will not send the request\n",
				    (int)len, name);
		}
	}
	if (r->acrpn)
		fprintf(out, "private network access asked: %s "
		    "(allow_private_network, %s)\n", p->allow_private_network ?
		    "allowed" : "not allowed, so no "
		    "Access-Control-Allow-Private-Network",
		    sec->set[KEY_ALLOW_PRIVATE_NETWORK].source);
}

static void
explain_answer(FILE *out, const struct config *cfg, const struct request *r,
    const struct section *sec, const struct answer *a)
{
	const struct policy	*p = &sec->policy;
	char			 buf[RESPONSE_MAX];
	ssize_t			 n;
	size_t			 i;

	if (a->would_refuse)
		fprintf(out, "decision: report-only: the policy refuses it "
		    "(%s), and enforce = report (%s) answers as a permissive "
		    "policy would, without credentials%s; a \"would refuse\" "
		    "line is logged\n", reason_str(a->reason),
		    sec->set[KEY_ENFORCE].source, r->preflight ? ", allowing "
		    "the requested method and header names, with no Max-Age" :
		    "");
	else
		fprintf(out, "decision: %s (%s)\n", a->verdict ==
		    VERDICT_ALLOWED ? "allowed" : a->verdict ==
		    VERDICT_REFUSED ? "refused: no CORS header" :
		    "not a CORS request", reason_str(a->reason));
	if (a->verdict == VERDICT_NONE && a->nfields > 0)
		fprintf(out, "  always_send is on: the answer carries "
		    "Access-Control-Allow-Origin anyway\n");
	if (a->verdict == VERDICT_NONE && a->no_credentials)
		fprintf(out, "  no credentials_origins entry matches that "
		    "origin: the script's own Access-Control-Allow-Credentials "
		    "would withhold it\n");
	if (r->preflight && p->automatic_options) {
		fprintf(out, "cors-wrap answers the preflight itself, without "
		    "running the script:\n");
		n = response_format(buf, sizeof(buf), p->preflight_status, a);
	} else {
		fprintf(out, "the script runs; cors-wrap adds these fields to "
		    "its answer (unless the script sets "
		    "Access-Control-Allow-Origin itself)%s:\n",
		    cfg->mode == MODE_PREPEND ? ", writing them before the "
		    "script's own" : "");
		n = answer_format(a, "\n", buf, sizeof(buf));
	}
	if (n == 0 && a->nfields == 0 && a->vary == 0) {
		fprintf(out, "  (no header field)\n");
		return;
	}
	/* The bytes on the wire end lines with CRLF; a terminal wants LF. */
	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (buf[i] != '\r')
			fputc(buf[i], out);
	if (a->expose_script && !(r->preflight && p->automatic_options))
		fprintf(out, "expose_headers *: beside credentials a browser "
		    "reads \"*\" as a name; %s\n", cfg->mode == MODE_PREPEND ?
		    "prepend mode cannot see the script's fields: only the "
		    "other names of expose_headers are sent" : "the script's "
		    "header names are listed instead, but for those a browser "
		    "exposes or hides anyway");
}

int
explain(FILE *out, FILE *in, const struct config *cfg, char **words,
    int nwords)
{
	struct vars		 vs;
	struct request		 req;
	struct answer		*a;
	const struct section	*sec;
	char			 esc[256];
	size_t			 i;
	int			 rc;

	vs.n = 0;
	vs.v[0] = NULL;
	if (nwords == 1 && strcmp(words[0], "-") == 0)
		rc = read_raw(&vs, in, out);
	else
		rc = read_words(&vs, words, nwords, out);
	if (rc == -1 || (a = malloc(sizeof(*a))) == NULL) {
		vars_free(&vs);
		return -1;
	}
	request_read(&req, request_env_get, vs.v);
	sec = exchange_decide(cfg, &req, a);

	fprintf(out, "request: %s %s\n", req.method,
	    request_env_get(vs.v, "REQUEST_URI"));
	for (i = 0; i < vs.n; i++)
		if (strncmp(vs.v[i], "HTTP_", 5) == 0)
			print_header(out, vs.v[i] + 5, esc, sizeof(esc));
	fprintf(out, "kind: %s\n", kind_of(&req));
	explain_section(out, cfg, &req, sec);
	if (req.path_ok) {
		explain_origin(out, &req, sec);
		if (req.preflight && a->reason != REASON_ORIGIN_NOT_ALLOWED &&
		    a->reason != REASON_ORIGIN_INVALID)
			explain_preflight(out, &req, sec);
		explain_credentials(out, &req, sec, a);
	}
	explain_answer(out, cfg, &req, sec, a);
	free(a);
	vars_free(&vs);
	return 0;
}
