/*
 * spawn [-p loops] rounds program ...: what a CGI process costs, without a
 * server.  Each round starts every program once, in an order shuffled
 * each round (seeded), with this process's own environment, stdin and
 * stdout on /dev/null, and times it to its exit; -p runs that many loops
 * at once, as a server's concurrent requests share the cores.  Prints,
 * for each program of each loop, the median wall time and the median of
 * its paired ratios to the first program (same round).
 *
 * A process per request is what rows 1 and 2 of bench/run measure through
 * Apache; this isolates it from the server's own noise, to see what a
 * change to cors-wrap's start-up costs (bench/README.md).  Usage there.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROGS_MAX	16

extern char **environ;

static double
now_us(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
loop(int rounds, char **progs, int n, unsigned seed)
{
	posix_spawn_file_actions_t	 fa;
	double				*t, *col;
	int				 order[PROGS_MAX];
	int				 r, i, j, k, st, devnull;
	pid_t				 pid;

	if ((devnull = open("/dev/null", O_RDWR)) == -1 ||
	    (t = calloc((size_t)rounds * (size_t)n, sizeof(*t))) == NULL ||
	    (col = calloc((size_t)rounds, sizeof(*col))) == NULL) {
		perror("spawn");
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
	srand(seed);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n - 1; i > 0; i--) {
			k = rand() % (i + 1);
			j = order[i], order[i] = order[k], order[k] = j;
		}
		for (i = 0; i < n; i++) {
			char	*argv[] = { progs[order[i]], NULL };
			double	 t0 = now_us();

			if ((errno = posix_spawn(&pid, argv[0], &fa, NULL, argv,
			    environ)) != 0) {
				perror(argv[0]);
				return 1;
			}
			while (waitpid(pid, &st, 0) == -1)
				;
			t[order[i] * rounds + r] = now_us() - t0;
		}
	}
	for (i = 0; i < n; i++) {
		double	 wall, ratio;

		for (r = 0; r < rounds; r++)
			col[r] = t[i * rounds + r];
		wall = median(col, rounds);
		for (r = 0; r < rounds; r++)
			col[r] = t[i * rounds + r] / t[r];
		ratio = median(col, rounds);
		printf("loop %u  %-44s %8.1f us  %.4f\n", seed, progs[i], wall,
		    ratio);
	}
	fflush(stdout);
	return 0;
}

int
main(int argc, char *argv[])
{
	int	 loops = 1, rounds, n, i, st, rc = 0, ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p' || (loops = atoi(optarg)) < 1 || loops > 64) {
			fprintf(stderr, "usage: spawn [-p loops] rounds "
			    "program ...\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || (rounds = atoi(argv[0])) < 1 ||
	    (n = argc - 1) > PROGS_MAX) {
		fprintf(stderr, "usage: spawn [-p loops] rounds program ... "
		    "(at most %d programs)\n", PROGS_MAX);
		return 2;
	}
	printf("loop  program %38s  median wall  median ratio to the first\n",
	    "");
	fflush(stdout);
	for (i = 0; i < loops; i++) {
		switch (fork()) {
		case -1:
			perror("fork");
			return 1;
		case 0:
			_exit(loop(rounds, argv + 1, n, (unsigned)i + 1));
		default:
			break;
		}
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	return rc;
}
