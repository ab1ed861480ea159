/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_EXPORT_H
#define TCPWT_EXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

enum export_format { EXPORT_JSON = 1, EXPORT_CSV, EXPORT_PROM };

/* Label cardinality guards for the Prometheus text. */
struct metrics_opts {
	bool no_pid; /* leave the pid label out: groups of one program merge */
	unsigned int max_series; /* groups beyond this many merge into comm="other" */
};

/* From --export-format, else the path's extension; -EINVAL if neither says. */
int export__format(const char *path, const char *name, enum export_format *out);
/* Can a file be created next to path (and renamed over it)? 0 or -errno. */
int export__check_path(const char *path);
/*
 * Writes the report to path atomically: a temporary file in the same
 * directory, flushed to disk, then renamed over path. A failure leaves the
 * previous file as it was. 0 or -errno.
 */
int export__write(const char *path, enum export_format f, const struct report *r,
		  const struct metrics_opts *m);
int export__csv(FILE *out, const struct report *r);
/* Prometheus text exposition format (0.0.4), seconds, cumulative counters. */
int export__prom(FILE *out, const struct report *r, const struct metrics_opts *m);
/* The same into a malloc'd string (for the HTTP endpoint); NULL on ENOMEM. */
char *export__prom_string(const struct report *r, const struct metrics_opts *m, size_t *len);
/*
 * How long to wait before refreshing the metrics again, after a refresh that
 * took cost_ns: a second, or long enough that refreshes take at most 5% of
 * a core (each looks at every tracked socket: ~100 ms at a million).
 */
uint64_t export__refresh_wait_ns(uint64_t cost_ns);

#endif
