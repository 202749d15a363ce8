/*
 * The script as a child process, the same in CGI and FastCGI mode:
 * starting it, reading its header block as it arrives, stopping it
 * (SIGTERM, then SIGKILL after one grace, wherever a script or what it
 * left behind is stopped), and saying how it ended.  lib/cgi.c drives one
 * child and blocks; the FastCGI loop drives many from its event loop.
 */
#ifndef CORS_CHILD_H
#define CORS_CHILD_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "cgiheader.h"
#include "policy.h"
#include "script.h"

/*
 * A script being stopped gets SIGTERM, then SIGKILL when it is still there
 * KILL_GRACE_MS later: Apache's mod_cgid gives cors-wrap itself 3 s after
 * its SIGTERM before SIGKILL (cleanup_nonchild_process), and a script that
 * ignores SIGTERM must not outlive cors-wrap.  The FastCGI daemon's master
 * gives the scripts of a worker that died the same grace.
 */
#define KILL_GRACE_MS	2000
/* A script that failed before its header block was whole gets this long
 * to exit on its own, so the log says how it ended. */
#define GATEWAY_WAIT_MS	1000

#define SPAWN_PIPE_IN	0x1	/* stdin from a new pipe, else inherited */
#define SPAWN_PIPE_ERR	0x2	/* stderr to a new pipe, else inherited */
#define SPAWN_PGROUP	0x4	/* a process group of its own, to stop
				   the script and whatever it started */
#define SPAWN_WIDE_OUT	0x8	/* stdout on a socket of SPAWN_WIDE_BUF
				   bytes, for a relayed body */
#define SPAWN_WIDE_BUF	(1 << 20)

/*
 * Starts the script with stdout on a new pipe, or a socket with
 * SPAWN_WIDE_OUT (returned in *out; *in and *err likewise when asked
 * for, non-blocking on cors-wrap's side in that case); the parent's
 * signal dispositions and mask are reset to defaults in the child.
 * Returns 0, or an errno value.
 */
int	child_spawn(const struct script *, char *const *envp, unsigned flags,
	    pid_t *, int *in, int *out, int *err);

enum child_header {
	CHILD_HEADER_MORE,	/* no blank line yet: read more */
	CHILD_HEADER_MERGED,	/* the merged block is in out; the body
				   starts at buf + h->block_len */
	CHILD_HEADER_BAD	/* answer 502: cause says why */
};

/*
 * Feeds the script's output so far, buf[0..len) (len at most
 * CGI_HEADER_MAX; eof: there is no more), to the header parser; once the
 * block is whole, merges the answer into out (*outn bytes).
 */
enum child_header	child_header_feed(const char *buf, size_t len,
			    bool eof, struct cgi_headers *,
			    const struct answer *, char *out, size_t outlen,
			    size_t *outn, char *cause, size_t causelen);

/* The stages of stopping a child from an event loop, which cannot wait
 * out the grace. */
enum child_stage {
	CHILD_RUNS,
	CHILD_TERM_SENT,
	CHILD_KILL_SENT
};

/*
 * The next step of stopping a child: returns the signal to send now
 * (SIGTERM from CHILD_RUNS, SIGKILL after that), advances *stage and sets
 * *next to when the step after it is due.
 */
int	child_stop_step(enum child_stage *, long now, long *next);

/* Has pid ended?  Waits up to ms for it, leaving it a zombie (WNOWAIT)
 * so its pid stays ours.  Async-signal-safe. */
bool	child_ended_within(pid_t, long ms);

/*
 * Sends sig to target (the child, or a process group it is in), then
 * SIGKILL to pid when it has not ended KILL_GRACE_MS later; it is left
 * unreaped.  Async-signal-safe: a signal handler may call it.
 */
void	child_stop(pid_t target, int sig, pid_t pid);

/* "exited with status N", "killed by signal N (NAME)", for the log. */
void	child_describe_exit(int status, char *buf, size_t len);

#endif
