/*
 * A token bucket for log lines about refused requests: anyone can send
 * requests from a refused origin, and one line each would let a flood
 * fill the disk.  Lines past the budget are counted, and the count is
 * logged with the next line allowed.
 */
#ifndef CORS_RATELIMIT_H
#define CORS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	int64_t		 tokens_milli;	/* thousandths of a line */
	int64_t		 last_ms;
	uint64_t	 suppressed;
};

/*
 * Takes one line from the bucket (capacity and refill: per_minute lines
 * a minute; 0 means no limit).  On true, *suppressed is how many lines
 * were dropped since the last one allowed (and is reset).
 */
bool	ratelimit_take(struct ratelimit *, unsigned per_minute, int64_t now_ms,
	    uint64_t *suppressed);

/*
 * The same, with the bucket in a small file shared by every CGI process
 * of one user (locked with fcntl).  A file that cannot be used safely
 * (not ours, not a regular file) allows the line.
 */
bool	ratelimit_take_file(const char *path, unsigned per_minute,
	    uint64_t *suppressed);


#endif
