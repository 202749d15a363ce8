#include "cgi.h"

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgiheader.h"
#include "child.h"
#include "config.h"
#include "exchange.h"
#include "io.h"
#include "layout.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "request.h"
#include "script.h"

/*
 * The one piece of process state: a signal handler can reach the script
 * only through it.  When the server gives up on cors-wrap (a timeout, a
 * client gone), the script must not run on alone.  The script is only
 * reaped with the signals below blocked, and then forgotten, so a handler
 * never signals a pid that may have been reused.  -1 is "no script";
 * being initialised puts it in .data, on a page the loader has touched
 * already, not on a page of its own at the end of .bss (see mem below).
 */
static volatile sig_atomic_t	 script_pid = -1;

static void
forward(int sig)
{
	pid_t	 pid = (pid_t)script_pid;

	/* Servers start CGI programs as process group leaders (Apache,
	 * lighttpd): then the script and whatever it started share our group
	 * and all get the signal.  Otherwise the group may be the server's
	 * own, and only the script is ours to signal.  SIGKILL goes to the
	 * script alone: to our group it would end cors-wrap before _exit. */
	if (pid > 0)
		child_stop(getpgrp() == getpid() ? 0 : pid, sig, pid);
	_exit(128 + sig);
}

static void
forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

static void
catch_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	/* One forwarding at a time: the handler waits for the script. */
	forwarded_signals(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	/* A client gone shows as EPIPE on write, handled there. */
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Page faults.  A CGI process lives for one request, and on a virtual
 * machine each page it first touches costs more than the rest of its work
 * (bench/README.md; bench/run counts them).  What keeps the count down is
 * explained here, once:
 * - everything a request writes is the static block mem below, ordered so
 *   that the used parts of its buffers share pages;
 * - buffers a common request never needs are on the stack only of a
 *   function of their own, kept out of line (noinline) so that its frame
 *   is not part of its caller's: path_from_script (lib/request.c), 16 KiB
 *   for a path without REQUEST_URI; copy_rw (lib/io.c), whose buffer in
 *   the splice paths' frames would have stack-clash protection probe it
 *   page by page;
 * - no printf where a request that logs nothing passes (response_format,
 *   budget_file in lib/exchange.c), paths normalised in place, _exit
 *   rather than exit handlers (cors-wrap.c);
 * - the objects a CGI request runs are linked first (Makefile, LIB_SRCS),
 *   and mem goes after libc's small variables (lib/layout.h).
 *
 * Only the first bytes of each buffer of mem are used on a common
 * request, so the block puts the used parts next to each other:
 * - out (the header block cors-wrap writes, in one write(2); the merged
 *   block in merging mode) comes first, so its start shares the page of
 *   the last small variables before it;
 * - ans ends with its decision and req begins with its own, and both lie
 *   in one aligned span of 2 * MEM_NEAR bytes, so never on two pages
 *   whatever the sizes before them: pad puts that span's start on a
 *   multiple of its size, the asserts below hold struct answer and struct
 *   request to it and fail when a field moves (a change of struct answer's
 *   size once put them on two pages);
 * - then what only merging mode uses: the script's header index and the
 *   bytes it was parsed from.
 */

/* What policy_decide writes of every answer is in its last bytes, after
 * the value storage (acah, acam, debug) that only a preflight or
 * debug_header fills; what request_read writes first is at the start of
 * a request. */
#define MEM_NEAR	((size_t)256)
#define MEM_OUT		(CGI_HEADER_MAX + CGIHDR_MERGE_EXTRA)
#define MEM_PAD		(2 * MEM_NEAR - (MEM_OUT + sizeof(struct answer) + \
			    MEM_NEAR) % (2 * MEM_NEAR))

struct cgi_mem {
	char			 out[MEM_OUT];
	char			 pad[MEM_PAD];
	struct answer		 ans;
	struct request		 req;
	struct cgi_headers	 h;
	char			 in[CGI_HEADER_MAX];
};

LATE_BSS_BEGIN
static struct cgi_mem	 mem LATE_BSS __attribute__((aligned(2 * MEM_NEAR)));
LATE_BSS_END

#define ANSWER_TAIL(f)	(sizeof(struct answer) - offsetof(struct answer, f))
_Static_assert(ANSWER_TAIL(preflight) <= MEM_NEAR &&
    ANSWER_TAIL(star_only) <= MEM_NEAR && ANSWER_TAIL(verdict) <= MEM_NEAR &&
    ANSWER_TAIL(reason) <= MEM_NEAR && ANSWER_TAIL(detail) <= MEM_NEAR &&
    ANSWER_TAIL(fields) <= MEM_NEAR && ANSWER_TAIL(nfields) <= MEM_NEAR &&
    ANSWER_TAIL(vary) <= MEM_NEAR,
    "struct answer: the decision's fields must come after its storage "
    "(lib/cgi.c, page faults)");
_Static_assert(offsetof(struct request, path) <= MEM_NEAR,
    "struct request: its path must follow its few other fields "
    "(lib/cgi.c, page faults)");
_Static_assert(offsetof(struct cgi_mem, ans) + sizeof(struct answer) ==
    offsetof(struct cgi_mem, req) &&
    offsetof(struct cgi_mem, req) % (2 * MEM_NEAR) == MEM_NEAR,
    "mem: ans's tail and req's head must fill one aligned span "
    "(lib/cgi.c, page faults)");
#undef ANSWER_TAIL

static int
respond(int status, const struct answer *a)
{
	ssize_t	 n = exchange_format(mem.out, sizeof(mem.out), status, a);

	return n == -1 ? -1 : io_write_all(STDOUT_FILENO, mem.out, (size_t)n);
}

/* Waits for the script to end, then reaps and forgets it (see
 * script_pid).  Returns -1 when it could not be reaped. */
static int
reap(pid_t pid, int *st)
{
	siginfo_t	 si;
	sigset_t	 set, old;
	pid_t		 r;

	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == -1 &&
	    errno == EINTR)
		;
	forwarded_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	while ((r = waitpid(pid, st, WNOHANG)) == -1 && errno == EINTR)
		;
	script_pid = -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r == pid ? 0 : -1;
}

/* SIGTERM, then SIGKILL after KILL_GRACE_MS; then reaps it. */
static int
stop(pid_t pid, int *st)
{
	child_stop(pid, SIGTERM, pid);
	return reap(pid, st);
}

/* The script failed before a valid header block: 502, with the CORS
 * answer when intercept_exceptions is on so the page can see it.  The
 * log line says how the script ended, so the 502 waits for its exit up
 * to GATEWAY_WAIT_MS; one still running then gets the 502 first and is
 * stopped after. */
static int
bad_gateway(const struct logger *lg, const struct policy *p,
    const struct answer *a, pid_t pid, const char *prog, const char *cause)
{
	char	 how[128];
	int	 st;
	bool	 gone = child_ended_within(pid, GATEWAY_WAIT_MS);

	if (!gone)
		snprintf(how, sizeof(how), "did not exit; stopped");
	else if (reap(pid, &st) == 0)
		child_describe_exit(st, how, sizeof(how));
	else
		snprintf(how, sizeof(how), "could not be reaped");
	log_msg(lg, LOG_ERROR, "%s: %s (the script %s)", prog, cause, how);
	respond(502, p->intercept_exceptions ? a : NULL);
	if (!gone) {
		close(STDOUT_FILENO);
		stop(pid, &st);
	}
	return 1;
}

static int
relay(const struct exchange *x, const struct script *s, char **env)
{
	enum child_header	 hr = CHILD_HEADER_MORE;
	const struct policy	*p = &x->sec->policy;
	const struct answer	*a = x->ans;
	const char		*prog = s->argv[0];
	char			 cause[160];
	size_t			 len = 0, n = 0;
	ssize_t			 got;
	pid_t			 pid;
	int			 fd, rc, eof = 0, wfail, st;
	sigset_t		 set, old;

	/* Until script_pid is set, a signal would leave the script alone. */
	forwarded_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	rc = child_spawn(s, env, SPAWN_WIDE_OUT, &pid, NULL, &fd, NULL);
	if (rc == 0)
		script_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_msg(x->lg, LOG_ERROR, "%s: cannot run: %s", prog,
		    strerror(rc));
		respond(502, p->intercept_exceptions ? a : NULL);
		return 1;
	}
	/* The script owns the request body now.  With mod_cgid stdin and
	 * stdout are one socket: the server sees the end of the answer only
	 * when every copy is closed. */
	close(STDIN_FILENO);

	while (hr == CHILD_HEADER_MORE) {
		got = read(fd, mem.in + len, sizeof(mem.in) - len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			eof = 1;
		else
			len += (size_t)got;
		hr = child_header_feed(mem.in, len, eof, &mem.h, a, mem.out,
		    sizeof(mem.out), &n, cause, sizeof(cause));
	}
	if (hr == CHILD_HEADER_BAD) {
		close(fd);
		return bad_gateway(x->lg, p, a, pid, prog, cause);
	}
	(void)exchange_log_merged(x->lg, x->cfg, &x->budget, x->req, &mem.h,
	    a);
	rc = io_write2(STDOUT_FILENO, mem.out, n, mem.in + mem.h.block_len,
	    len - mem.h.block_len);
	if (rc == 0 && !eof)
		rc = io_copy(fd, STDOUT_FILENO, &wfail);
	else
		wfail = rc != 0;
	close(fd);
	if (rc != 0) {
		/* The client or server went away: stop the script too. */
		log_msg(x->lg, wfail ? LOG_INFO : LOG_ERROR, "%s: %s while "
		    "relaying the answer: %s", prog, wfail ? "write failed" :
		    "read failed", strerror(errno));
		close(STDOUT_FILENO);
		stop(pid, &st);
		return 1;
	}
	/* The answer is complete; let the server finish it while the
	 * script exits. */
	close(STDOUT_FILENO);
	if (reap(pid, &st) == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		child_describe_exit(st, cause, sizeof(cause));
		/* A crash cut the answer off, but a CGI answer ends where its
		 * output ends: no server can be told.  The log line and the
		 * exit status say it, to servers that look. */
		if (WIFSIGNALED(st)) {
			log_msg(x->lg, LOG_ERROR, "%s: %s during its answer",
			    prog, cause);
			return 1;
		}
		log_msg(x->lg, LOG_WARN, "%s: %s after its answer", prog,
		    cause);
	}
	return 0;
}

int
cgi_serve(const struct cgi_opts *o)
{
	struct logger		 lg = { .level = LOG_WARN, .fd = STDERR_FILENO };
	struct config		 cfg;
	struct diag		 d = { NULL, 0, 0, 0 };
	struct exchange		 x = { &cfg, &lg, { NULL, true }, &mem.req,
				    &mem.ans, NULL, 0 };
	const struct exchange_prog pr = { o->prog, o->nprog, o->extra,
				    o->nextra };
	struct script		 s;
	void			*env = (void *)o->envp;
	const char		*ini, *odd;
	char			**senv;
	ssize_t			 n;
	int			 rc;

	catch_signals();
	ini = o->config != NULL ? o->config : request_env_get(env,
	    "CORS_CONFIG");
	if (config_load(&cfg, ini, o->envp, &d) == -1) {
		/* Fail closed: no CORS header on a broken configuration. */
		exchange_log_diag(&lg, &d);
		diag_free(&d);
		respond(500, NULL);
		return 1;
	}
	lg.level = cfg.log_level;
	lg.format = cfg.log_format;
	if (o->argv_ignored)
		log_msg(&lg, LOG_DEBUG, "arguments that do not name "
		    "SCRIPT_FILENAME were not used to choose the program");
	switch (metrics_asked(o->envp, &odd)) {
	case METRICS_ASKED:
		/* The location meant for the counters: running its script
		 * instead would answer what nobody meant to publish. */
		log_msg(&lg, LOG_ERROR, "CORS_METRICS=1 asks for the FastCGI "
		    "daemon's counters, which CGI mode does not keep (each "
		    "request is a process of its own); no script run");
		respond(500, NULL);
		config_free(&cfg);
		return 1;
	case METRICS_ODD:
		log_msg(&lg, LOG_WARN, METRICS_ODD_LOG, odd);
		break;
	case METRICS_NOT_ASKED:
		break;
	}

	if (exchange_begin(&x, request_env_get, env) == EXCHANGE_ANSWER) {
		rc = respond(x.status, &mem.ans);
		config_free(&cfg);
		return rc == 0 ? 0 : 1;
	}
	exchange_log_fields(&lg, &mem.req, x.sec, &mem.ans);	/* JSON lines */

	if (exchange_script(&x, &pr, request_env_get, env, &s) == -1) {
		respond(s.status != 0 ? s.status : 500, &mem.ans);
		script_free(&s);
		config_free(&cfg);
		return 1;
	}
	if ((senv = script_environ(&s, o->envp)) == NULL) {
		log_msg(&lg, LOG_ERROR, "out of memory");
		respond(500, &mem.ans);
		return 1;
	}

	if (cfg.mode == MODE_PREPEND) {
		/* The answer first, then the script in this very process:
		 * nothing to copy, nothing to wait for. */
		answer_unreflect(&mem.ans);
		n = answer_format(&mem.ans, "\r\n", mem.out, sizeof(mem.out));
		if (n > 0 && io_write_all(STDOUT_FILENO, mem.out, (size_t)n) == -1)
			return 1;
		script_exec(&s, senv);
		log_msg(&lg, LOG_ERROR, "%s: cannot run: %s", s.argv[0],
		    strerror(errno));
		respond(502, NULL);
		return 1;
	}

	rc = relay(&x, &s, senv);
	free(senv);
	script_free(&s);
	config_free(&cfg);
	return rc;
}
