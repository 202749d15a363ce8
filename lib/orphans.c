/*
 * The master's orphans (lib/orphans.h): found in /proc, signalled by
 * process group, hunted until none is left.
 */
#include "orphans.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"

#define ORPHAN_RESCAN_MS 100	/* after the grace, until none is left */
#define ORPHAN_HUNT_MS	30000	/* then the master stops looking */

/* Signals every orphan and its process group; returns how many there
 * were (zombies, about to be reaped, not counted). */
static size_t
orphans_signal(const pid_t *workers, unsigned nworkers, int sig)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[64], buf[512], *p, state;
	pid_t		 self = getpid(), own = getpgrp(), pid;
	long		 ppid, pgrp;
	unsigned	 i;
	size_t		 found = 0;
	ssize_t		 n;
	int		 fd;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if ((pid = (pid_t)strtol(de->d_name, &p, 10)) <= 0 ||
		    *p != '\0')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		/* "pid (comm) state ppid pgrp ...": comm may hold anything. */
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' ||
		    p[2] == '\0' || p[3] != ' ')
			continue;
		state = p[2];
		ppid = strtol(p + 4, &p, 10);
		if (*p != ' ' || ppid != self || state == 'Z')
			continue;
		pgrp = strtol(p + 1, &p, 10);
		for (i = 0; i < nworkers && workers[i] != pid; i++)
			;
		if (i < nworkers)
			continue;
		found++;
		kill(pid, sig);
		/* Its group: the script and whatever it started.  Never the
		 * master's own, which holds the workers (and maybe a shell). */
		if (*p == ' ' && pgrp > 1 && pgrp != (long)own)
			kill(-(pid_t)pgrp, sig);
	}
	closedir(d);
	return found;
}

/* A worker died: its scripts are the master's now. */
void
orphans_stop(struct orphans *o, const pid_t *workers, unsigned nworkers)
{
	enum child_stage	 stage = CHILD_RUNS;
	long			 kill_at;
	int			 sig = child_stop_step(&stage, (long)clock_ms(),
				    &kill_at);

	if (orphans_signal(workers, nworkers, sig) == 0 && o->kill_at == 0)
		return;
	o->kill_at = kill_at;
	o->next_scan = o->kill_at;
	o->give_up = o->kill_at + ORPHAN_HUNT_MS;
}

/* Past the grace: SIGKILL to every orphan, again and again, until a scan
 * finds none (processes adopted meanwhile, from groups of their own,
 * included). */
void
orphans_kill(struct orphans *o, const pid_t *workers, unsigned nworkers,
    const struct logger *lg)
{
	long	 now = (long)clock_ms();
	size_t	 n;

	if (o->kill_at == 0 || now < o->next_scan)
		return;
	if ((n = orphans_signal(workers, nworkers, SIGKILL)) == 0) {
		o->kill_at = 0;
		return;
	}
	if (now >= o->give_up) {
		log_msg(lg, LOG_ERROR, "%zu processes left by a dead worker "
		    "survive SIGKILL; no longer trying", n);
		o->kill_at = 0;
		return;
	}
	o->next_scan = now + ORPHAN_RESCAN_MS;
}

int
orphans_wait(const struct orphans *o)
{
	long	 left;

	if (o->kill_at == 0)
		return -1;
	left = o->next_scan - (long)clock_ms();
	return left > 0 ? (int)left : 0;
}

void
orphans_finish(const struct orphans *o)
{
	if (o->kill_at != 0)
		(void)orphans_signal(NULL, 0, SIGKILL);
}
