/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_DELIVERY_H
#define TCPWT_DELIVERY_H

#include <stdint.h>

/*
 * Counts the hits of sock:inet_sock_set_state with perf, one counter per
 * CPU, so that they can be set against what reached the state program (its
 * runs plus its recursion misses). The kernel can run no program at all for
 * a hit and count nothing (BENCHMARKS.md); this is how such hits show.
 */
struct delivery;

/* Opens the counters, not yet counting. Returns 0 or a negative errno. */
int delivery__open(struct delivery **out);
/* Starts counting; reached is what reached the program so far. */
int delivery__enable(struct delivery *d, uint64_t reached);
/* Hits since delivery__enable(). */
uint64_t delivery__hits(const struct delivery *d);
/*
 * Hits that reached no program, given what has reached it now. Read the
 * hits first, then reached: every race then lowers the result, so it is a
 * lower bound, never an invention.
 */
uint64_t delivery__undelivered(const struct delivery *d, uint64_t hits, uint64_t reached);
void delivery__free(struct delivery *d);

#endif
