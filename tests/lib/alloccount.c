/*
 * LD_PRELOAD shim for tests/fastcgi.bats: counts heap allocations and
 * process starts of every process that loads it, in two 64-bit counters
 * of the file $ALLOCCOUNT_FILE, mapped shared, so that a test can read
 * them from outside while the daemon serves.  Proves "no allocation, no
 * fork" for preflights answered in process.
 *
 * glibc lets malloc be interposed for its own internal uses too, and
 * exports __libc_malloc and friends, so no dlsym is needed for those
 * (dlsym itself allocates).  In a build with ASan (make SANITIZE=1)
 * malloc is ASan's and must stay so: built with -DSANITIZER_HOOKS, the
 * shim counts through the sanitizer's allocation hooks instead.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long long *counts;	/* [0] allocations, [1] spawns */

static void	count(int);

#ifdef SANITIZER_HOOKS
static void
on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	count(0);
}

static void
on_free(const volatile void *p)
{
	(void)p;
}

static void
hooks_install(void)
{
	int	(*install)(void (*)(const volatile void *, size_t),
		    void (*)(const volatile void *));

	*(void **)&install = dlsym(RTLD_DEFAULT,
	    "__sanitizer_install_malloc_and_free_hooks");
	if (install != NULL)
		install(on_malloc, on_free);
}
#else
void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	*__libc_memalign(size_t, size_t);
#endif

__attribute__((constructor)) static void
alloccount_init(void)
{
	const char	*path = getenv("ALLOCCOUNT_FILE");
	void		*p;
	int		 fd;

	if (path == NULL || (fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	p = mmap(NULL, 2 * sizeof(*counts), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		counts = p;
#ifdef SANITIZER_HOOKS
	hooks_install();
#endif
}

static void
count(int i)
{
	if (counts != NULL)
		__atomic_add_fetch(&counts[i], 1, __ATOMIC_RELAXED);
}

#ifndef SANITIZER_HOOKS
void *
malloc(size_t n)
{
	count(0);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	count(0);
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	count(0);
	return __libc_realloc(p, n);
}

int
posix_memalign(void **p, size_t align, size_t n)
{
	count(0);
	*p = __libc_memalign(align, n);
	return *p == NULL ? 12 /* ENOMEM */ : 0;
}
#endif

int
posix_spawn(pid_t *pid, const char *path,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
    char *const argv[], char *const envp[])
{
	int	(*real)(pid_t *, const char *, const posix_spawn_file_actions_t *,
		    const posix_spawnattr_t *, char *const [], char *const []);

	count(1);
	*(void **)&real = dlsym(RTLD_NEXT, "posix_spawn");
	return real(pid, path, fa, at, argv, envp);
}

pid_t
fork(void)
{
	pid_t	(*real)(void);

	count(1);
	*(void **)&real = dlsym(RTLD_NEXT, "fork");
	return real();
}
