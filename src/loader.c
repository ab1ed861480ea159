// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "merge.h"
#include "tracker.h"
#include "tcpwaittrace.skel.h"

/*
 * How long a program may take from its clock read to its record's commit:
 * records stamped later than this before a ring was read may still come
 * (src/merge.h). Microseconds, unless a hypervisor takes the vCPU away.
 */
#define MERGE_HOLD_NS (5 * 1000000ULL)
/*
 * How often each CPU's partial batch is written to its ring before a read:
 * one interrupt on every CPU each time. Between, the reader waits for
 * events stamped after the last flush.
 */
#define FLUSH_EVERY_NS (50 * 1000000ULL)
/* The rings' default: 8 MiB shared out among the CPUs, at least 1 MiB each. */
#define RINGS_DEFAULT_TOTAL (8u << 20)
#define RING_MIN_DEFAULT (1u << 20)


struct loader {
	struct tcpwaittrace_bpf *skel;
	struct merge *merge; /* reads the rings */
	loader_event_fn fn;
	void *ctx;
	int *ring_fds;
	int ncpu, nrings; /* two rings a CPU */
	/* When each CPU's batch was last flushed, and the earliest of those. */
	uint64_t *flushed_ns;
	uint64_t all_flushed_ns, next_flush_ns;
	uint64_t unflushed; /* events the last read could not have flushed: lost */
	bool classic;
};

/* Each CPU's ring size: as asked, or the default. */
static __u32 ring_bytes(const struct config *cfg, int ncpu)
{
	__u32 per = RINGS_DEFAULT_TOTAL / (ncpu > 0 ? ncpu : 1), b = RING_MIN_DEFAULT;

	if (cfg->ringbuf_bytes)
		return cfg->ringbuf_bytes;
	while (b * 2 <= per)
		b *= 2;
	return b;
}

/*
 * Two ring buffers per possible CPU, in the map the programs look theirs up
 * in: its batches, and (an eighth the size) the records of programs that
 * interrupted an append, which are few.
 */
static int make_rings(struct loader *l, __u32 bytes)
{
	int outer = bpf_map__fd(l->skel->maps.events);

	for (int i = 0; i < l->nrings; i++) {
		__u32 key = i, size = i % 2 ? bytes / 8 : bytes;
		int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "tcpwt_ring", 0, 0,
					size < 4096 ? 4096 : size, NULL);

		if (fd < 0)
			return -errno;
		l->ring_fds[i] = fd;
		if (bpf_map_update_elem(outer, &key, &fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

static bool verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (!verbose)
		return 0; /* our own one-line errors say what went wrong */
	return vfprintf(stderr, fmt, args);
}

static void set_programs(struct tcpwaittrace_bpf *s, bool classic)
{
	bpf_program__set_autoload(s->progs.set_state_btf, !classic);
	bpf_program__set_autoload(s->progs.set_state_bak_btf, !classic);
	bpf_program__set_autoload(s->progs.timer_start_btf, !classic);
	bpf_program__set_autoload(s->progs.timer_cancel_btf, !classic);
	bpf_program__set_autoload(s->progs.timer_expire_btf, !classic);
	bpf_program__set_autoload(s->progs.set_state_tp, classic);
	bpf_program__set_autoload(s->progs.timer_start_tp, classic);
	bpf_program__set_autoload(s->progs.timer_cancel_tp, classic);
	bpf_program__set_autoload(s->progs.timer_expire_tp, classic);
}

static int fill_filters(struct tcpwaittrace_bpf *s, const struct config *cfg)
{
	__u8 one = 1;
	int err;

	for (int i = 0; i < cfg->nports; i++) {
		__u16 port = cfg->ports[i];

		err = bpf_map__update_elem(s->maps.ports, &port, sizeof(port), &one,
					   sizeof(one), BPF_ANY);
		if (err)
			return err;
	}
	for (int i = 0; i < cfg->npids; i++) {
		__u32 pid = cfg->pids[i];

		err = bpf_map__update_elem(s->maps.pids, &pid, sizeof(pid), &one,
					   sizeof(one), BPF_ANY);
		if (err)
			return err;
	}
	return 0;
}

/* Classic tracepoints are found through tracefs. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return;
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

static int try_start(struct loader *l, const struct config *cfg, bool classic,
		     const char **stage)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = cfg->btf_path);
	struct tcpwaittrace_bpf *s;
	int err;

	*stage = "open BPF object";
	s = tcpwaittrace_bpf__open_opts(&opts);
	if (!s)
		return errno ? -errno : -ENOMEM; /* never 0: that is success */
	l->skel = s;
	l->classic = classic;
	set_programs(s, classic);
	s->rodata->targ_family = cfg->family;
	s->rodata->filter_ports = cfg->nports > 0;
	s->rodata->filter_pids = cfg->npids > 0;
	s->rodata->perf_sees_hits = cfg->verify_delivery;
	s->rodata->count_runs = cfg->verify_delivery;
	s->rodata->fault_skip_main = cfg->fault_skip_main;
	s->rodata->fault_skip_backup = cfg->fault_skip_backup;
	s->rodata->fault_drop_births = cfg->fault_drop_births;
	s->rodata->fault_pileup = cfg->fault_pileup;
	/* Wake the reader per batch, not per event: the wakeup is the cost. */
	s->rodata->wakeup_bytes = ring_bytes(cfg, l->ncpu) / 16;
	bpf_map__set_max_entries(s->maps.events, l->nrings);
	/* Run by the reader, attached to nothing. */
	bpf_program__set_autoattach(s->progs.flush_batch, false);
	*stage = "load BPF programs";
	err = tcpwaittrace_bpf__load(s);
	if (err)
		return err;
	*stage = "create the ring buffers";
	err = make_rings(l, ring_bytes(cfg, l->ncpu));
	if (err)
		return err;
	*stage = "set filters";
	err = fill_filters(s, cfg);
	if (err)
		return err;
	if (classic)
		ensure_tracefs();
	*stage = classic ? "attach tracepoints" : "attach tp_btf tracepoints";
	return tcpwaittrace_bpf__attach(s);
}

static void stop(struct loader *l)
{
	merge__free(l->merge);
	l->merge = NULL;
	for (int i = 0; l->ring_fds && i < l->nrings; i++) {
		if (l->ring_fds[i] >= 0)
			close(l->ring_fds[i]);
		l->ring_fds[i] = -1;
	}
	tcpwaittrace_bpf__destroy(l->skel);
	l->skel = NULL;
}

/* Maps the rings the programs write, for the reader that merges them. */
static int open_rings(struct loader *l)
{
	l->merge = merge__new(l->nrings, l->fn, l->ctx);
	if (!l->merge)
		return -ENOMEM;
	for (int i = 0; i < l->nrings; i++) {
		int err = merge__map(l->merge, i, l->ring_fds[i]);

		if (err)
			return err;
	}
	return 0;
}

int loader__start(const struct config *cfg, loader_event_fn fn, void *ctx,
		  struct loader **out)
{
	struct loader *l = calloc(1, sizeof(*l));
	const char *stage;
	int err;

	if (!l)
		return -ENOMEM;
	l->ncpu = libbpf_num_possible_cpus();
	if (l->ncpu <= 0) {
		fprintf(stderr, "tcpwaittrace: cannot count the CPUs: %s\n", strerror(-l->ncpu));
		err = l->ncpu ? l->ncpu : -EINVAL;
		free(l);
		return err;
	}
	l->nrings = 2 * l->ncpu;
	l->fn = fn;
	l->ctx = ctx;
	l->ring_fds = malloc(l->nrings * sizeof(*l->ring_fds));
	l->flushed_ns = calloc(l->ncpu, sizeof(*l->flushed_ns));
	if (!l->ring_fds || !l->flushed_ns) {
		free(l->ring_fds);
		free(l->flushed_ns);
		free(l);
		return -ENOMEM;
	}
	for (int i = 0; i < l->nrings; i++)
		l->ring_fds[i] = -1;
	verbose = cfg->verbose;
	libbpf_set_print(print_fn);
	err = cfg->classic ? -ENOTSUP : try_start(l, cfg, false, &stage);
	if (err) {
		int btf_err = err;
		const char *btf_stage = cfg->classic ? "use tp_btf" : stage;

		stop(l);
		err = try_start(l, cfg, true, &stage);
		if (err) {
			char e1[128], e2[128];

			/* libbpf's own codes (bad BTF, bad ELF...) are beyond strerror(). */
			libbpf_strerror(btf_err, e1, sizeof(e1));
			libbpf_strerror(err, e2, sizeof(e2));
			fprintf(stderr, "tcpwaittrace: failed to %s: %s (classic tracepoints: %s: %s); "
				"run as root on a kernel with BTF, -v shows libbpf's log\n",
				btf_stage, e1, stage, e2);
			loader__free(l);
			return err;
		}
	}
	err = open_rings(l);
	if (err) {
		fprintf(stderr, "tcpwaittrace: failed to open the ring buffers: %s\n", strerror(-err));
		loader__free(l);
		return err;
	}
	*out = l;
	return 0;
}

int loader__poll(struct loader *l, int timeout_ms)
{
	int err = merge__wait(l->merge, timeout_ms);

	if (err)
		return err;
	/* Events submitted without a wakeup are only read by draining. */
	return loader__drain(l);
}

/*
 * Has each CPU write its partial batch to its ring (flush_batch, run there
 * in an interrupt). A CPU whose batch stays (a program was appending to it)
 * keeps the time of its last flush: the reader waits for what it holds.
 * True when every CPU's was written.
 */
static bool flush_batches(struct loader *l, uint64_t now)
{
	int fd = bpf_program__fd(l->skel->progs.flush_batch);
	uint64_t all = now;

	for (int cpu = 0; cpu < l->ncpu; cpu++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);
		int err = bpf_prog_test_run_opts(fd, &o);

		/* An offline CPU runs nothing, and has nothing to flush. */
		if (err ? err == -ENXIO : !o.retval)
			l->flushed_ns[cpu] = now;
		if (l->flushed_ns[cpu] < all)
			all = l->flushed_ns[cpu];
	}
	l->all_flushed_ns = all;
	return all == now;
}

/*
 * Reads every ring, then hands on, in time order, what can no longer be
 * overtaken: every event still to come was stamped after the last flush of
 * its CPU's batch began, less a program's run.
 */
int loader__drain(struct loader *l)
{
	/* bpf_ktime_get_ns()'s clock; read before the rings. */
	uint64_t start = tracker__now_ns();

	if (start >= l->next_flush_ns) {
		flush_batches(l, start);
		l->next_flush_ns = start + FLUSH_EVERY_NS;
	}
	merge__drain(l->merge, l->all_flushed_ns > MERGE_HOLD_NS ?
				       l->all_flushed_ns - MERGE_HOLD_NS : 0);
	return 0;
}

/* Events still in the CPUs' batches, counted as lost. */
static void count_unflushed(struct loader *l)
{
	struct tcpwt_batch *vals = calloc(l->ncpu, sizeof(*vals));
	__u32 zero = 0;

	if (!vals)
		return;
	if (bpf_map__lookup_elem(l->skel->maps.batches, &zero, sizeof(zero), vals,
				 l->ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < l->ncpu; i++)
			l->unflushed += vals[i].n;
	free(vals);
}

int loader__drain_all(struct loader *l)
{
	int i;

	/* A batch being appended to is so for nanoseconds: try again, or count it lost. */
	for (i = 0; i < 100 && !flush_batches(l, tracker__now_ns()); i++)
		;
	if (i == 100)
		count_unflushed(l);
	merge__drain(l->merge, UINT64_MAX);
	return 0;
}

/* The kernel's counters of program p, zeroed when it has none. */
static void prog_info(struct bpf_program *p, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);
	int fd = bpf_program__fd(p);

	memset(info, 0, sizeof(*info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, info, &len))
		memset(info, 0, sizeof(*info));
}

static uint64_t prog_misses(struct bpf_program *p)
{
	struct bpf_prog_info info;

	prog_info(p, &info);
	return info.recursion_misses;
}

/*
 * Runs and run time of all our programs (the kernel counts them only while
 * kernel.bpf_stats_enabled=1), and recursion misses: the kernel skipped a
 * program that was already running on that CPU. Which of them lost an event:
 * - the state program: those its backup did not handle (classic tracepoint
 *   programs have no backup: all of them are skipped together);
 * - its backup: only when the main program was skipped too, counted above;
 * - a timer program (no backup: they cannot nest): every one.
 * Skips injected by --fault-skip count as the kernel's own.
 */
static void count_programs(struct tcpwaittrace_bpf *s, struct loader_counters *c)
{
	uint64_t handled = __atomic_load_n(&s->bss->state_backups_handled, __ATOMIC_RELAXED);
	uint64_t fault_main = __atomic_load_n(&s->bss->fault_main_skips, __ATOMIC_RELAXED);
	uint64_t fault_backup = __atomic_load_n(&s->bss->fault_backup_skips, __ATOMIC_RELAXED);
	uint64_t total = fault_main + fault_backup, lossy = 0, state = fault_main;
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj) {
		struct bpf_prog_info info;
		uint64_t m;

		if (!bpf_program__autoload(p))
			continue;
		prog_info(p, &info);
		c->bpf_runs += info.run_cnt;
		c->bpf_run_time_ns += info.run_time_ns;
		m = info.recursion_misses;
		total += m;
		if (p == s->progs.set_state_btf || p == s->progs.set_state_tp)
			state += m;
		else if (p != s->progs.set_state_bak_btf)
			lossy += m;
	}
	lossy += state > handled ? state - handled : 0;
	c->recursion_misses = lossy;
	c->recursion_misses_benign = total - lossy;
}

void loader__counters(struct loader *l, struct loader_counters *c)
{
	struct tcpwaittrace_bpf *s = l->skel;

	memset(c, 0, sizeof(*c));
	c->ringbuf_full = __atomic_load_n(&s->bss->lost_events, __ATOMIC_RELAXED) + l->unflushed;
	c->late_events = merge__late(l->merge);
	c->tw_netns_purged = __atomic_load_n(&s->bss->tw_netns_purged, __ATOMIC_RELAXED);
	count_programs(s, c);
}

uint64_t loader__state_reached(struct loader *l)
{
	struct tcpwaittrace_bpf *s = l->skel;
	struct bpf_program *main_prog = l->classic ? s->progs.set_state_tp : s->progs.set_state_btf;
	int ncpu = libbpf_num_possible_cpus();
	struct tcpwt_active *vals;
	uint64_t sum;
	__u32 zero = 0;

	/* Skipped runs reached the program too (injected ones included), and are counted. */
	sum = prog_misses(main_prog) + __atomic_load_n(&s->bss->fault_main_skips, __ATOMIC_RELAXED);
	if (ncpu <= 0)
		return sum;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return sum;
	if (bpf_map__lookup_elem(s->maps.active, &zero, sizeof(zero), vals,
				 ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i].state_runs;
	free(vals);
	return sum;
}

int loader__parked_cancels(struct loader *l, struct tcpwt_tw_slot *out, int max)
{
	int ncpu = libbpf_num_possible_cpus(), n = 0;
	struct tcpwt_cpu_state *vals;
	__u32 zero = 0;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (bpf_map__lookup_elem(l->skel->maps.cpu_state, &zero, sizeof(zero), vals,
				 ncpu * sizeof(*vals), 0) == 0) {
		for (int i = 0; i < ncpu && n < max; i++)
			if (vals[i].cancel.tw)
				out[n++] = vals[i].cancel;
	}
	free(vals);
	return n;
}

int loader__hz(const struct loader *l)
{
	return l->skel->kconfig ? l->skel->kconfig->CONFIG_HZ : 0;
}

const char *loader__mode(const struct loader *l)
{
	return l->classic ? "tracepoint" : "tp_btf";
}

void loader__free(struct loader *l)
{
	if (!l)
		return;
	stop(l);
	free(l->ring_fds);
	free(l->flushed_ns);
	free(l);
}
