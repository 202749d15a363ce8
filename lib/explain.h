/*
 * cors-wrap --explain: the decision for one request, step by step, in
 * plain words: which section applied and where its values come from,
 * which origin entry matched or why none did, which requested method or
 * headers were refused, and the exact header fields of the answer.
 */
#ifndef CORS_EXPLAIN_H
#define CORS_EXPLAIN_H

#include <stdio.h>

#include "config.h"

/*
 * Builds the request from words (METHOD PATH "Name: value"...), or from a
 * raw HTTP request read from in when words is just "-", decides it
 * against cfg, and prints the explanation to out.  Returns 0, or -1 with
 * a message on out when the request cannot be read.
 */
int	explain(FILE *out, FILE *in, const struct config *cfg, char **words,
	    int nwords);

#endif
