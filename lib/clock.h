/*
 * Milliseconds of the monotonic clock: deadlines and rate limits must not
 * jump with the wall clock.
 */
#ifndef CORS_CLOCK_H
#define CORS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
