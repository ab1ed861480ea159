/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_MERGE_H
#define TCPWT_MERGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads the per-CPU BPF ring buffers and hands their records on in the
 * order of their time stamps. One socket's events are written on different
 * CPUs (its CLOSE_WAIT entered in softirq on one, left by close() on the
 * other), so the rings, read one after the other, do not give them in
 * order.
 *
 * A record is handed on once no record still to come can be stamped before
 * it. The caller knows from when on every record still to
 * come was stamped (for per-CPU batches: the earliest CPU's last flush,
 * less the time a program takes from its clock read to its append): the
 * records stamped before that can all go, oldest first (merge__drain), and
 * the others wait in their ring for the next read. Records are read in place, never copied
 * here: a ring's consumer position moves past what was handed on.
 *
 * A record stamped before a bound already passed came too late for its
 * place (a program held up longer than the margin): it is handed on all
 * the same, and counted (merge__late), except a timewait kill, which its
 * CPU reports at its next timer event by design.
 */
struct merge;

/* The record at data (len bytes), valid until the sink returns. */
typedef int (*merge_sink_fn)(void *ctx, void *data, size_t len);

struct merge *merge__new(unsigned int nrings, merge_sink_fn sink, void *ctx);
void merge__free(struct merge *m);
/*
 * Ring i's memory as the kernel maps it: the consumer position (written
 * here), the producer position, and 'size' bytes of data mapped twice in a
 * row (a record that wraps reads on). For tests: merge__map() does this
 * for a ring buffer map.
 */
void merge__set_ring(struct merge *m, unsigned int i, unsigned long *consumer_pos,
		     const unsigned long *producer_pos, const void *data, size_t size);
/* Maps ring buffer map fd as ring i, and polls it. Returns 0 or a negative errno. */
int merge__map(struct merge *m, unsigned int i, int fd);
/* Waits up to timeout_ms for a mapped ring to wake us: 0, or a negative errno. */
int merge__wait(struct merge *m, int timeout_ms);
/*
 * Hands on, oldest first, every committed record stamped before upto_ns;
 * those stamped later stay in their ring. Returns how many were handed.
 */
size_t merge__drain(struct merge *m, uint64_t upto_ns);
/* Records handed on after a bound they were stamped before had passed. */
uint64_t merge__late(const struct merge *m);

#endif
