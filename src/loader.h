/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_LOADER_H
#define TCPWT_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpwaittrace.h"
#include "cli.h"

/* Owns the BPF skeleton: the only module that knows about it. */
struct loader;

typedef int (*loader_event_fn)(void *ctx, void *data, size_t len);

struct loader_counters {
	uint64_t ringbuf_full;
	uint64_t recursion_misses; /* summed over the programs that can lose events */
	/* Misses a twin made up for: nothing was lost. */
	uint64_t recursion_misses_benign;
	/* Timewait sockets killed by their namespace's deletion (not lost). */
	uint64_t tw_netns_purged;
	/* Records that came after a later-stamped one had been handled (merge.h). */
	uint64_t late_events;
	/* Our programs' runs and time in them: counted only while kernel.bpf_stats_enabled=1. */
	uint64_t bpf_runs;
	uint64_t bpf_run_time_ns;
};

/*
 * Opens, configures, loads and attaches, preferring tp_btf and falling back
 * to classic tracepoints. On failure prints one line saying what to do and
 * returns a negative errno.
 */
int loader__start(const struct config *cfg, loader_event_fn fn, void *ctx,
		  struct loader **out);
/*
 * Waits up to timeout_ms for a wakeup, then drains the ring buffers
 * (loader__drain). Events go to the loader__start() callback in time order.
 */
int loader__poll(struct loader *l, int timeout_ms);
/*
 * Reads every CPU's ring buffer and hands on the events that no event still
 * to come can precede; the last few milliseconds' wait for the next drain.
 */
int loader__drain(struct loader *l);
/* Reads them and hands on every event (for a report: now is now). */
int loader__drain_all(struct loader *l);
void loader__counters(struct loader *l, struct loader_counters *c);
/*
 * Hits of the state tracepoint that reached the main state program: its
 * runs on every CPU plus the runs the kernel skipped (recursion misses).
 */
uint64_t loader__state_reached(struct loader *l);
/* Timewait cancels parked on each CPU; returns how many were written. */
int loader__parked_cancels(struct loader *l, struct tcpwt_tw_slot *out, int max);
const char *loader__mode(const struct loader *l);
/* The kernel's CONFIG_HZ as libbpf read it, 0 if unknown. */
int loader__hz(const struct loader *l);
void loader__free(struct loader *l);

#endif
