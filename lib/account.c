#include "account.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_MAX		256	/* bytes of a name given to getent */
#define LINE_MAX_KEPT	4096	/* of a passwd or group line: the fields
				   wanted come first; members may follow */

/* Debian's libc-bin has it in /usr/bin; systems not merged into /usr
 * may have only /bin. */
static const char *const getent_paths[] = { "/usr/bin/getent",
    "/bin/getent" };

/* What reads getent's output: fed each chunk as it comes. */
struct reader {
	int	(*feed)(struct reader *, const char *, size_t);
	char	 line[LINE_MAX_KEPT];	/* first_line: the first line */
	size_t	 len;
	bool	 done;
	gid_t	*groups;		/* group_list: what it found */
	size_t	 n, cap;
	bool	 in_name, in_num;	/* group_list: where it is */
	uint64_t num;
	int	 bad;			/* group_list: a malformed number,
					   or too many */
};

/* A key getent would take for something else: an option, or nothing. */
static bool
key_ok(const char *key)
{
	size_t	 i;

	if (key[0] == '\0' || key[0] == '-')
		return false;
	for (i = 0; key[i] != '\0'; i++)
		if (i == KEY_MAX || (unsigned char)key[i] <= ' ' ||
		    key[i] == ':' || key[i] == 0x7f)
			return false;
	return true;
}

static int
first_line(struct reader *r, const char *p, size_t n)
{
	const char	*nl;
	size_t		 take;

	if (r->done)
		return 0;
	nl = memchr(p, '\n', n);
	take = (nl != NULL ? (size_t)(nl - p) : n);
	if (take > sizeof(r->line) - 1 - r->len) {
		take = sizeof(r->line) - 1 - r->len;
		r->done = true;
	}
	memcpy(r->line + r->len, p, take);
	r->len += take;
	r->line[r->len] = '\0';
	if (nl != NULL)
		r->done = true;
	return 0;
}

static int
add_group(struct reader *r, gid_t gid)
{
	gid_t	*g;
	size_t	 i, cap;

	for (i = 0; i < r->n; i++)
		if (r->groups[i] == gid)
			return 0;
	if (r->n == ACCOUNT_GROUPS_MAX) {
		r->bad = E2BIG;
		return -1;
	}
	if (r->n == r->cap) {
		cap = r->cap == 0 ? 16 : r->cap * 2;
		if ((g = realloc(r->groups, cap * sizeof(*g))) == NULL) {
			r->bad = ENOMEM;
			return -1;
		}
		r->groups = g;
		r->cap = cap;
	}
	r->groups[r->n++] = gid;
	return 0;
}

/* "NAME gid gid ...\n", NAME padded with spaces (getent's initgroups). */
static int
group_list(struct reader *r, const char *p, size_t n)
{
	size_t	 i;
	char	 c;

	for (i = 0; i < n && r->bad == 0; i++) {
		c = p[i];
		if (r->in_name) {
			if (c == ' ' || c == '\n')
				r->in_name = false;
			continue;
		}
		if (c >= '0' && c <= '9') {
			r->num = r->num * 10 + (uint64_t)(c - '0');
			r->in_num = true;
			if (r->num >= (gid_t)-1)
				r->bad = ERANGE;
			continue;
		}
		if (c != ' ' && c != '\n') {
			r->bad = EINVAL;
			break;
		}
		if (r->in_num && add_group(r, (gid_t)r->num) == -1)
			break;
		r->num = 0;
		r->in_num = false;
	}
	return r->bad == 0 ? 0 : -1;
}

static const char *
bad_reason(int bad)
{
	return bad == E2BIG ? "too many groups" : bad == ENOMEM ?
	    "out of memory" : "unexpected output";
}

/*
 * Runs getent DB KEY, feeding its output to r.  1: found (exit 0), 0: not
 * found (exit 2), -1: a failure, described in d.
 */
static int
getent(const char *db, const char *key, struct reader *r, struct diag *d)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 sa;
	sigset_t			 none;
	char				 buf[4096];
	char *const			 argv[] = { "getent", "--",
					     (char *)db, (char *)key, NULL };
	char *const			 envp[] = { NULL };
	pid_t				 pid = -1;
	ssize_t				 got;
	size_t				 i;
	int				 fds[2], e = 0, st, rc = -1;

	if (!key_ok(key)) {
		diag_add(d, "not a %s name: %s",
		    strcmp(db, "group") == 0 ? "group" : "user", key);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) == -1) {
		diag_add(d, "looking up %s: pipe: %s", key,
		    strerror(errno));
		return -1;
	}
	sigemptyset(&none);
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawnattr_init(&sa) != 0) {
		diag_add(d, "looking up %s: out of memory", key);
		(void)close(fds[0]);
		(void)close(fds[1]);
		return -1;
	}
	if ((e = posix_spawn_file_actions_adddup2(&fa, fds[1], 1)) == 0 &&
	    (e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) == 0 &&
	    (e = posix_spawnattr_setsigmask(&sa, &none)) == 0 &&
	    (e = posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK)) == 0)
		for (i = 0; i < sizeof(getent_paths) / sizeof(*getent_paths);
		    i++)
			if ((e = posix_spawn(&pid, getent_paths[i], &fa, &sa,
			    argv, envp)) != ENOENT)
				break;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	(void)close(fds[1]);
	if (e != 0) {
		diag_add(d, "looking up %s: %s: %s", key,
		    getent_paths[0], strerror(e));
		(void)close(fds[0]);
		return -1;
	}
	/* Read to the end, whatever r keeps: getent must not die of
	 * SIGPIPE before it has said whether the key exists. */
	while ((got = read(fds[0], buf, sizeof(buf))) != 0)
		if (got == -1 && errno != EINTR) {
			e = errno;
			break;
		} else if (got > 0 && r->feed(r, buf, (size_t)got) == -1)
			break;
	(void)close(fds[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			diag_add(d, "looking up %s: waitpid: %s",
			    key, strerror(errno));
			return -1;
		}
	if (r->bad != 0)
		diag_add(d, "looking up %s: getent %s: %s", key,
		    db, bad_reason(r->bad));
	else if (e != 0)
		diag_add(d, "looking up %s: reading from getent: "
		    "%s", key, strerror(e));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		rc = 1;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 2)
		rc = 0;
	else if (WIFEXITED(st))
		diag_add(d, "looking up %s: getent %s failed "
		    "(exit status %d)", key, db, WEXITSTATUS(st));
	else
		diag_add(d, "looking up %s: getent %s killed by "
		    "signal %d", key, db, WTERMSIG(st));
	return rc;
}

/* The n-th (from 0) ':'-separated field of line, as an id. */
static int
id_field(const char *line, unsigned n, uint32_t *id)
{
	const char	*p = line;
	uint64_t	 v = 0;

	while (n-- > 0)
		if ((p = strchr(p, ':')) == NULL)
			return -1;
		else
			p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (uint64_t)(*p - '0')) >= UINT32_MAX)
			return -1;
	if (*p != ':' && *p != '\0')
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* getent DB KEY's first line into r->line, and its field n (from 0) as
 * an id; returns like getent. */
static int
getent_id(const char *db, const char *key, struct reader *r, unsigned n,
    uint32_t *id, struct diag *d)
{
	int	 rc;

	memset(r, 0, sizeof(*r));
	r->feed = first_line;
	if ((rc = getent(db, key, r, d)) != 1)
		return rc;
	if (id_field(r->line, n, id) == -1) {
		diag_add(d, "looking up %s: getent %s: %s", key, db,
		    bad_reason(EINVAL));
		return -1;
	}
	return 1;
}

int
account_user(const char *key, struct account *a, struct diag *d)
{
	struct reader	 r;
	uint32_t	 uid, gid;
	size_t		 len;
	int		 rc;

	if ((rc = getent_id("passwd", key, &r, 2, &uid, d)) != 1)
		return rc;
	len = strcspn(r.line, ":");
	if (id_field(r.line, 3, &gid) == -1 || len == 0) {
		diag_add(d, "looking up %s: getent passwd: %s", key,
		    bad_reason(EINVAL));
		return -1;
	}
	if (len >= sizeof(a->name)) {
		diag_add(d, "%s: user name too long", key);
		return -1;
	}
	a->uid = uid;
	a->gid = gid;
	memcpy(a->name, r.line, len);
	a->name[len] = '\0';
	return 1;
}

int
account_group(const char *key, gid_t *gid, struct diag *d)
{
	struct reader	 r;
	uint32_t	 id;
	int		 rc;

	if ((rc = getent_id("group", key, &r, 2, &id, d)) == 1)
		*gid = id;
	return rc;
}

int
account_groups(const char *user, gid_t gid, gid_t **groups, size_t *n,
    struct diag *d)
{
	struct reader	 r;
	int		 rc = -1;

	memset(&r, 0, sizeof(r));
	r.feed = group_list;
	r.in_name = true;
	if (add_group(&r, gid) == -1)
		diag_add(d, "looking up %s: out of memory", user);
	else if ((rc = getent("initgroups", user, &r, d)) == 0)
		diag_add(d, "%s: no such user", user);
	else if (rc == 1 && group_list(&r, "\n", 1) == -1)
		diag_add(d, "looking up %s: getent initgroups: %s",
		    user, bad_reason(r.bad));
	if (rc != 1 || r.bad != 0) {
		free(r.groups);
		return -1;
	}
	*groups = r.groups;
	*n = r.n;
	return 0;
}
