/*
 * Users and groups by name or number, as the system's name service
 * switch knows them (files, LDAP, sssd, systemd's userdb ...), asked
 * through getent(1).
 *
 * cors-wrap is linked statically, because its CGI path starts a process
 * per request and the dynamic loader is most of that start.  A static
 * glibc cannot use the NSS modules of the glibc installed at run time;
 * getent belongs to that glibc and can.  Only the daemon's start asks.
 */
#ifndef CORS_ACCOUNT_H
#define CORS_ACCOUNT_H

#include <stddef.h>
#include <sys/types.h>

#include "diag.h"

#define ACCOUNT_NAME_MAX	64	/* bytes of a user name, with its NUL */
#define ACCOUNT_GROUPS_MAX	65536	/* Linux's NGROUPS_MAX */

struct account {
	uid_t	 uid;
	gid_t	 gid;			/* the primary group */
	char	 name[ACCOUNT_NAME_MAX];
};

/* key: a user name, or a number getent looks up as a uid.  Returns 1
 * when found, 0 when there is no such user, -1 with the cause in d when
 * the lookup itself failed. */
int	account_user(const char *key, struct account *, struct diag *);

/* The same for a group: its gid. */
int	account_group(const char *key, gid_t *, struct diag *);

/* The groups initgroups(3) would give user with primary group gid: gid
 * first, then the groups that list user as a member.  *groups is
 * malloc(3)ed, *n entries; -1 with the cause in d. */
int	account_groups(const char *user, gid_t gid, gid_t **groups,
	    size_t *n, struct diag *);

#endif
