/*
 * A request's script as a process: started (the script looked up and
 * checked first), its clocks (-t, -T), its exit and what it means for the
 * answer, its release, and the scripts that outlive their request, stopped
 * with SIGTERM then SIGKILL and reaped.
 */
#include "fcgiworker.h"

#include <sys/epoll.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "clock.h"
#include "exchange.h"
#include "metrics.h"
#include "script.h"

/* No script: what fcgichild_start starts from.  Its descriptors, if any,
 * were closed by fcgichild_release. */
void
fcgichild_reset(struct conn *c)
{
	struct fcgi_child *ch = &c->ch;

	ch->pid = -1;
	ch->exited = false;
	ch->wstatus = 0;
	ch->sin = ch->sout = ch->serr = -1;
	ch->ev_in.kind = EV_SIN;
	ch->ev_out.kind = EV_SOUT;
	ch->ev_err.kind = EV_SERR;
	ch->ev_in.c = ch->ev_out.c = ch->ev_err.c = c;
	ch->ev_in.fd = ch->ev_out.fd = ch->ev_err.fd = -1;
	ch->ev_in.events = ch->ev_out.events = ch->ev_err.events = 0;
	ch->header_done = false;
	ch->hlen = 0;
	ch->spool_held = false;
	ch->spool_stall = 0;
	ch->body_in = ch->body_mark = 0;
	ch->deadline = 0;
	ch->life_end = 0;
	ch->end_wait = END_NOW;
	ch->gw_pending = false;
	ch->prog[0] = '\0';
	if (ch->spool_ok)
		spool_reset(&ch->spool);
}

/* The table has room for -j entries and never fills: a lingerer is one of
 * the worker's nscripts until it is reaped, and no script starts while
 * nscripts is -j.  (It held 1,024 once, and past that a worker killed the
 * next script at once, without its SIGTERM, and waited for it to die.) */
static void
linger_add(struct worker *w, pid_t pid, long deadline,
    enum child_stage stage, bool ended)
{
	if (w->nlinger >= w->o->max_scripts) {
		/* Should a later change break the above: a script killed
		 * at once and left unreaped, not a write past the table. */
		kill(-pid, SIGKILL);
		log_msg(&w->lg, LOG_ERROR, "internal: no room to track "
		    "script %ld after its request; killed", (long)pid);
		return;
	}
	w->linger[w->nlinger].pid = pid;
	w->linger[w->nlinger].deadline = deadline;
	w->linger[w->nlinger].stage = stage;
	w->linger[w->nlinger].ended = ended;
	w->nlinger++;
}

/* Has pid exited?  Looks without reaping (see struct lingerer); *st gets
 * the status as waitpid(2) would give it. */
static bool
pid_ended(pid_t pid, int *st)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
	    si.si_pid != pid)
		return false;
	if (si.si_code == CLD_EXITED)
		*st = W_EXITCODE(si.si_status & 0xff, 0);
	else
		*st = W_EXITCODE(0, si.si_status & 0x7f) |
		    (si.si_code == CLD_DUMPED ? WCOREFLAG : 0);
	return true;
}

static void
pid_reap(struct worker *w, pid_t pid)
{
	w->nscripts--;
	while (waitpid(pid, NULL, WNOHANG) == -1 && errno == EINTR)
		;
}

static void
linger_remove(struct worker *w, size_t i)
{
	w->linger[i] = w->linger[--w->nlinger];
}

/* The TERM-then-KILL escalation of the scripts that outlive their
 * request. */
void
fcgichild_linger_timers(struct worker *w, long now, long *next_at)
{
	size_t		 i;
	int		 sig;

	for (i = 0; i < w->nlinger; ) {
		struct lingerer	*l = &w->linger[i];

		if (l->deadline > now) {
			if (*next_at == -1 || l->deadline < *next_at)
				*next_at = l->deadline;
			i++;
			continue;
		}
		/* SIGTERM to the group at the first deadline, SIGKILL at
		 * each one after. */
		sig = child_stop_step(&l->stage, now, &l->deadline);
		kill(-l->pid, sig);
		if (sig == SIGKILL && l->ended) {
			pid_reap(w, l->pid);
			linger_remove(w, i);
			continue;
		}
		i++;	/* after SIGKILL, removed when reaped */
	}
}

/* The worker stops: scripts still running past their answer with it. */
void
fcgichild_linger_stop(struct worker *w)
{
	size_t		 i;

	for (i = 0; i < w->nlinger; i++)
		kill(-w->linger[i].pid, SIGTERM);
}

/*
 * -t bounds a script's silence, not its life: an event stream that writes
 * every few seconds runs as long as it writes, as servers time out a quiet
 * upstream (nginx fastcgi_read_timeout, Apache Timeout).  Silence is no
 * byte moving between the script and the server: none read from its
 * stdout or stderr, none of the request arriving or written to it (a
 * record is passed on whole, so its arrival counts), none of its answer
 * taken by the server.  -T, when given, bounds its whole life.
 */
static void
fcgichild_quiet_from(struct conn *c, long now)
{
	long	 at = now + (long)c->w->o->timeout * 1000;

	if (c->ch.life_end != 0 && c->ch.life_end < at)
		at = c->ch.life_end;
	c->ch.deadline = at;
}

static void
fcgichild_clock_start(struct conn *c)
{
	long	 now = (long)clock_ms();

	c->ch.life_end = c->w->o->life == 0 ? 0 :
	    now + (long)c->w->o->life * 1000;
	fcgichild_quiet_from(c, now);
}

/* Bytes moved: the silence starts again.  The short waits for an exit
 * status, which use the same deadline, are not lengthened. */
void
fcgichild_active(struct conn *c)
{
	if (c->ch.pid > 0 && !c->ch.gw_pending && c->ch.end_wait != END_WAITING)
		fcgichild_quiet_from(c, (long)clock_ms());
}

/* Lets go of the script: it is stopped (abort) or left to exit (done),
 * and reaped either way. */
void
fcgichild_release(struct conn *c, bool stop)
{
	struct worker	*w = c->w;
	/* Its output still open after it exited: a process it left behind
	 * holds it (a grandchild), the very thing to stop. */
	bool		 held = c->ch.sout != -1;

	/* What the script wrote to stderr before it ended is in the pipe
	 * still: forward it before the request's records end. */
	if (c->ch.serr != -1)
		fcgipipe_read_stderr(c);
	event_close_fd(w, &c->ch.ev_in, &c->ch.sin);
	event_close_fd(w, &c->ch.ev_out, &c->ch.sout);
	event_close_fd(w, &c->ch.ev_err, &c->ch.serr);
	if (c->ch.pid > 0) {
		if (stop && (!c->ch.exited || held)) {
			enum child_stage	 st = CHILD_RUNS;
			long			 at;

			kill(-c->ch.pid, child_stop_step(&st,
			    (long)clock_ms(), &at));
			linger_add(w, c->ch.pid, at, st, c->ch.exited);
		} else if (c->ch.exited)
			pid_reap(w, c->ch.pid);
		else
			linger_add(w, c->ch.pid, c->ch.deadline, CHILD_RUNS,
			    false);
	}
	c->ch.pid = -1;
}

static bool
has_param(char *const *envp, const char *name)
{
	return request_env_get((void *)envp, name) != NULL;
}

static void
fcgichild_launch(struct conn *c, const struct config *cfg,
    const char *ceiling)
{
	struct worker	*w = c->w;
	struct script	 s;
	char		**env;
	size_t		 n;
	unsigned	 flags = SPAWN_PIPE_IN | SPAWN_PGROUP;
	int		 rc;

	/* A fixed program wins: nginx configurations commonly send
	 * SCRIPT_FILENAME everywhere (Debian's fastcgi.conf does).  It is
	 * held to the ceiling as a SCRIPT_FILENAME would be, and run as
	 * CORS_EXEC. */
	if (cfg->exec != NULL && ceiling != NULL) {
		rc = script_from_filename(&s, cfg->exec, NULL, ceiling);
		if (rc == -1) {
			log_msg(&c->rq.lg, LOG_WARN, "%s", s.why);
			fcgireq_fail(c, s.status != 0 ? s.status : 500, true);
		}
		script_free(&s);
		if (rc == -1)
			return;
	}
	if (cfg->exec != NULL)
		rc = script_from_exec(&s, cfg->exec, NULL, 0);
	else
		rc = script_from_filename(&s, request_env_get(c->rq.envp,
		    "SCRIPT_FILENAME"), cfg->script_root, ceiling);
	if (rc == -1) {
		log_msg(&c->rq.lg, s.status == 500 ? LOG_ERROR : LOG_WARN, "%s",
		    s.why);
		fcgireq_fail(c, s.status != 0 ? s.status : 500, true);
		script_free(&s);
		return;
	}
	snprintf(c->ch.prog, sizeof(c->ch.prog), "%s", s.argv[0]);

	/* The params are the environment, not the daemon's own; PATH is
	 * added when the server sent none. */
	for (n = 0; c->rq.envp[n] != NULL; n++)
		;
	if (!has_param(c->rq.envp, "PATH")) {
		c->rq.envp[n++] = c->w->default_path;
		c->rq.envp[n] = NULL;
	}
	env = script_environ(&s, c->rq.envp);
	if (env == NULL) {
		script_free(&s);
		fcgireq_fail(c, 500, true);
		return;
	}
	if (w->o->stderr_to_server)
		flags |= SPAWN_PIPE_ERR;
	if (!c->ch.spool_ok) {
		if (spool_init(&c->ch.spool, w->o->tmpdir) == -1) {
			free(env);
			script_free(&s);
			fcgireq_fail(c, 500, true);
			return;
		}
		c->ch.spool_ok = true;
		c->ch.spool.total = &w->spooled;
	}
	rc = child_spawn(&s, env, flags, &c->ch.pid, &c->ch.sin, &c->ch.sout,
	    &c->ch.serr);
	free(env);
	script_free(&s);
	if (rc != 0) {
		c->ch.pid = -1;
		log_msg(&c->rq.lg, LOG_ERROR, "%s: cannot run: %s", c->ch.prog,
		    strerror(rc));
		fcgireq_fail(c, 502, c->rq.pol->intercept_exceptions);
		return;
	}
	w->nscripts++;
	metrics_script(w->o->metrics_slot);
	w->spawned++;
	if (!(flags & SPAWN_PIPE_ERR))
		c->ch.serr = -1;
	fcgichild_clock_start(c);
	event_watch(w, &c->ch.ev_out, c->ch.sout, EPOLLIN);
	if (c->ch.serr != -1)
		event_watch(w, &c->ch.ev_err, c->ch.serr, EPOLLIN);
}

/*
 * The daemon's own script_root is a ceiling no request's CORS_* params can
 * lift (params may also name CORS_EXEC and CORS_SCRIPT_ROOT).  It is the
 * configuration of a request without CORS_* params, cached and reloaded as
 * any other (SIGHUP, a changed INI file): the one read at the start stayed
 * until a restart, and a script_root moved by a reload refused every
 * script with 403.
 */
void
fcgichild_start(struct conn *c, const struct config *cfg)
{
	static char *const	 no_params[] = { NULL };
	struct confcache_entry	*own;
	const struct config	*oc;
	struct diag		 d = { 0 };

	if ((own = confcache_get(&c->w->cache, no_params, &d)) == NULL) {
		log_msg(&c->rq.lg, LOG_ERROR, "cannot load the daemon's "
		    "configuration: %s", diag_text(&d));
		diag_free(&d);
		fcgireq_fail(c, 500, false);
		return;
	}
	if ((oc = confcache_config(own, &d)) == NULL) {
		exchange_log_diag(&c->rq.lg, &d);
		diag_free(&d);
		fcgireq_fail(c, 500, false);
	} else
		fcgichild_launch(c, cfg, oc->script_root);
	confcache_release(own);
}

/*
 * The end of a script's output ends its answer unless the script died of
 * a signal: a crash cuts the answer off.  Its exit follows the close of
 * its output at once, so the answer's end waits for it, up to
 * GATEWAY_WAIT_MS; a script that closes its output and runs on ends its
 * answer then.
 */
static bool
fcgichild_await_exit(struct conn *c)
{
	if (c->ch.exited || c->ch.end_wait == END_WAITED)
		return false;
	if (c->ch.end_wait == END_NOW) {
		c->ch.end_wait = END_WAITING;
		c->ch.deadline = (long)clock_ms() + GATEWAY_WAIT_MS;
	}
	return true;
}

static void
fcgichild_cut_off(struct conn *c)
{
	char	 how[128];

	child_describe_exit(c->ch.wstatus, how, sizeof(how));
	log_msg(&c->rq.lg, LOG_ERROR, "%s: %s during its answer; cutting it "
	    "off", c->ch.prog, how);
	fcgichild_release(c, true);
	fcgireq_abandon(c);
}

void
fcgichild_finish(struct conn *c)
{
	uint32_t	 app = 0;

	if (!c->rq.active || c->ch.pid <= 0 || !c->ch.header_done ||
	    c->ch.sout != -1 || !c->rq.stdin_eof ||
	    spool_size(&c->ch.spool) > 0 || fcgichild_await_exit(c))
		return;
	if (c->ch.exited && WIFSIGNALED(c->ch.wstatus)) {
		fcgichild_cut_off(c);
		return;
	}
	if (c->ch.exited && WIFEXITED(c->ch.wstatus))
		app = (uint32_t)WEXITSTATUS(c->ch.wstatus);
	if (c->ch.exited && !(WIFEXITED(c->ch.wstatus) && app == 0)) {
		char	 how[128];

		child_describe_exit(c->ch.wstatus, how, sizeof(how));
		log_msg(&c->rq.lg, LOG_WARN, "%s: %s after its answer",
		    c->ch.prog, how);
	}
	fcgireq_end(c, app);
}

/* The script failed before a valid header block.  The log names the exit
 * status, so this waits (briefly) for it. */
void
fcgichild_bad_gateway(struct conn *c, const char *cause)
{
	char	 how[128];

	if (!c->ch.exited && c->ch.pid > 0 && !c->ch.gw_pending) {
		c->ch.gw_pending = true;
		snprintf(c->ch.gw_cause, sizeof(c->ch.gw_cause), "%s", cause);
		c->ch.deadline = (long)clock_ms() + GATEWAY_WAIT_MS;
		event_close_fd(c->w, &c->ch.ev_out, &c->ch.sout);
		return;
	}
	if (c->ch.exited)
		child_describe_exit(c->ch.wstatus, how, sizeof(how));
	else
		snprintf(how, sizeof(how), "did not exit; stopped");
	log_msg(&c->rq.lg, LOG_ERROR, "%s: %s (the script %s)", c->ch.prog,
	    c->ch.gw_pending ? c->ch.gw_cause : cause, how);
	c->ch.gw_pending = false;
	fcgichild_release(c, true);
	if (c->rq.sent_any) {
		fcgireq_abandon(c);
		return;
	}
	spool_reset(&c->ch.spool);
	fcgireq_fail(c, 502, c->rq.pol->intercept_exceptions);
}

void
fcgichild_reap(struct worker *w)
{
	struct conn	*c, *next;
	size_t		 i;
	int		 st;

	/* Each script is asked by its pid: reaping any child (waitpid(-1))
	 * would free pids whose groups may still have to be stopped.  One
	 * pass: handling c may close c (its next then points into the spare
	 * list), never another connection, so next is taken first; starting
	 * over after each exit cost k passes over n connections for k exits. */
	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->ch.pid <= 0 || c->ch.exited ||
		    !pid_ended(c->ch.pid, &st))
			continue;
		c->ch.exited = true;
		c->ch.wstatus = st;
		if (c->ch.gw_pending)
			fcgichild_bad_gateway(c, c->ch.gw_cause);
		else
			fcgichild_finish(c);
		if (c->fd != -1 && conn_out_pending(c) > 0)
			conn_flush(c);
		conn_resume(c);
	}
	for (i = 0; i < w->nlinger; ) {
		struct lingerer	*l = &w->linger[i];

		if (l->ended || !pid_ended(l->pid, &st)) {
			i++;
			continue;
		}
		if (l->stage == CHILD_TERM_SENT) {
			/* The rest of its group gets its SIGKILL still. */
			l->ended = true;
			i++;
			continue;
		}
		pid_reap(w, l->pid);
		linger_remove(w, i);
	}
}

static void
fcgichild_timed_out(struct conn *c, long now)
{
	char	 how[128], why[64];

	if (c->ch.life_end != 0 && c->ch.life_end <= now)
		snprintf(why, sizeof(why), "ran for %u s (-T)",
		    c->w->o->life);
	else
		snprintf(why, sizeof(why), "silent for %u s",
		    c->w->o->timeout);
	if (c->ch.exited && c->ch.sout != -1) {
		child_describe_exit(c->ch.wstatus, how, sizeof(how));
		log_msg(&c->rq.lg, LOG_ERROR, "%s: timed out, %s: the script "
		    "%s, but a process it left holds its output; stopping it",
		    c->ch.prog, why, how);
	} else
		log_msg(&c->rq.lg, LOG_ERROR, "%s: timed out, %s; stopping it",
		    c->ch.prog, why);
	fcgichild_release(c, true);
	if (c->rq.sent_any) {
		fcgireq_abandon(c);
		conn_flush(c);
		return;
	}
	spool_reset(&c->ch.spool);
	fcgireq_fail(c, 504, c->rq.pol->intercept_exceptions);
	conn_flush(c);
}

/* A script closed its output and runs on: its answer ends without its
 * exit status, and it may run on while it is not silent for -t. */
static void
fcgichild_end_unwaited(struct conn *c, long now)
{
	c->ch.end_wait = END_WAITED;
	fcgichild_quiet_from(c, now);
	fcgichild_finish(c);
	if (c->fd != -1)
		conn_flush(c);
}

/* A script's deadline: -t, -T, or the short wait for an exit status. */
void
fcgichild_deadline(struct conn *c, long now, long *next_at)
{
	if (!c->rq.active || c->ch.pid <= 0 || c->ch.deadline == 0)
		return;
	if (c->ch.deadline <= now) {
		if (c->ch.gw_pending) {
			fcgichild_bad_gateway(c, c->ch.gw_cause);
			if (c->fd != -1)
				conn_flush(c);
		} else if (c->ch.end_wait == END_WAITING)
			fcgichild_end_unwaited(c, now);
		else
			fcgichild_timed_out(c, now);
		return;
	}
	if (*next_at == -1 || c->ch.deadline < *next_at)
		*next_at = c->ch.deadline;
}
