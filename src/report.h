/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_REPORT_H
#define TCPWT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "cli.h"
#include "tracker.h"

/* What one report shows; filled by main, written by the writers below. */
struct report {
	const struct config *cfg;
	double elapsed_s; /* since tracing began */
	time_t wall_start;
	time_t wall_end;
	struct group **groups;
	size_t ngroups;
	const struct open_sock *oldest_cw;
	size_t n_cw;
	const struct open_sock *oldest_tw;
	size_t n_tw;
	/* Where clients' ports go: the destinations holding the most. */
	const struct tw_dest *tw_dests;
	size_t n_dests;
	/* Everything the kernel side could not deliver or track. */
	uint64_t ringbuf_full;
	uint64_t recursion_misses;
	uint64_t recursion_misses_benign;
	uint64_t untracked_sockets;
	/* Not lost: killed with their namespace, reported as one event per namespace. */
	uint64_t tw_netns_purged;
	/* Not lost: handled after a later-stamped event had been (merge.h). */
	uint64_t late_events;
	/*
	 * --verify-delivery: hits of the state tracepoint (perf), and those
	 * that reached no program at all (a lower bound).
	 */
	bool verifying;
	uint64_t state_hits;
	uint64_t undelivered;
	const struct tracker_stats *stats;
	/* The tracer's own cost since tracing began. */
	double tracer_cpu_s; /* user and system CPU of its process */
	/* Its BPF programs' runs and time: the kernel counts them only while bpf_stats is on. */
	uint64_t bpf_runs;
	uint64_t bpf_run_time_ns;
	int bpf_stats_enabled; /* kernel.bpf_stats_enabled now: 0, 1, or -1 unknown */
	bool bpf_stats_all_along; /* on when tracing began and now: the programs' share is known */
	const char *host;
	const char *kernel;
};

#define REPORT_SCHEMA 1

static inline uint64_t report__lost_events(const struct report *r)
{
	return r->ringbuf_full + r->recursion_misses + r->undelivered;
}

/* Whether the BPF programs' run time was measured: bpf_stats is on, or was. */
static inline bool report__bpf_measured(const struct report *r)
{
	return r->bpf_runs || r->bpf_stats_enabled == 1;
}

void report__text(FILE *out, const struct report *r);
int report__json_write(FILE *out, const struct report *r);
/* One JSON document on one line. */
int report__json_line(FILE *out, const struct report *r);
/* "1.50s", "250ms", "42us": short, for tables. */
void report__fmt_duration(char *buf, size_t len, uint64_t ns);
/* Copies a kernel- or user-controlled name with control bytes replaced. */
void report__sanitize(char *dst, const char *src, size_t len);

#endif
