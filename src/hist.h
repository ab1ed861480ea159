/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_HIST_H
#define TCPWT_HIST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Durations in nanoseconds. Two views of the same samples:
 * - fine: log-linear buckets (32 per power of two, each at most 1/32 of its
 *   value wide), allocated per power of two on first use; percentiles come
 *   from here, within 1.6% of the true value;
 * - log2: one bucket per power of two of milliseconds, for display.
 */
#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_OCTAVES (64 - HIST_SUB_BITS + 1)
#define HIST_LOG2_SLOTS 32

struct hist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint32_t log2_ms[HIST_LOG2_SLOTS];
	uint32_t *octave[HIST_OCTAVES];
};

struct hist_bucket {
	uint64_t lo_ns; /* inclusive */
	uint64_t hi_ns; /* exclusive */
	uint64_t count;
};

void hist__init(struct hist *h);
void hist__free(struct hist *h);
int hist__add(struct hist *h, uint64_t ns);
/* Value at quantile q (0..1], 0 when empty. */
uint64_t hist__percentile(const struct hist *h, double q);
/* Several at once, in one pass: qs ascending, n values written to out. */
void hist__percentiles(const struct hist *h, const double *qs, size_t n, uint64_t *out);
/* Number of non-empty log2 buckets written to out (at most n). */
size_t hist__log2_buckets(const struct hist *h, struct hist_bucket *out, size_t n);
/* Calls fn for every non-empty fine bucket in order. */
void hist__for_each_fine(const struct hist *h,
			 void (*fn)(const struct hist_bucket *b, void *arg), void *arg);
/* bcc-style bars in msecs, at most 80 columns; indent prefixes each line. */
void hist__print_log2(const struct hist *h, FILE *out, const char *indent);

#endif
