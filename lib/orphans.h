/*
 * The FastCGI master's orphans: the scripts of a worker that died (a
 * crash, the OOM killer, kill -9), and whatever they started.  The master
 * is the child subreaper (PR_SET_CHILD_SUBREAPER), so they become its
 * children, and so do their own children once their parent is gone:
 * every child of the master that is not a worker is an orphan.  The
 * master keeps no list of them (a list has a size, and a killed script's
 * children, adopted in turn, once filled it before every script was
 * seen): they are found in /proc each time.  SIGTERM to each one's
 * process group (each script leads its own) when the worker dies, then,
 * after the grace, SIGKILL to every orphan and group found, scanning
 * again until a scan finds none.
 */
#ifndef CORS_ORPHANS_H
#define CORS_ORPHANS_H

#include <sys/types.h>

#include <stddef.h>

#include "log.h"

struct orphans {
	long	 kill_at;		/* ms; 0: nothing pending */
	long	 next_scan;		/* ms, once past kill_at */
	long	 give_up;
};

/* A worker died: SIGTERM to its scripts, SIGKILL after the grace.
 * workers: the pids of the live workers (0 for none). */
void	orphans_stop(struct orphans *, const pid_t *workers, unsigned n);

/* Past the grace: SIGKILL to every orphan, again at each call until a
 * scan finds none or the hunt's time is up (then a line in lg). */
void	orphans_kill(struct orphans *, const pid_t *workers, unsigned n,
	    const struct logger *lg);

/* ms until orphans_kill has something to do, for poll(2); -1: never. */
int	orphans_wait(const struct orphans *);

/* The master stops: SIGKILL to what is left, at once. */
void	orphans_finish(const struct orphans *);

#endif
