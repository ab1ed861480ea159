// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpwaittrace: how long TCP sockets spend in CLOSE_WAIT and TIME_WAIT, per
 * service port and owning process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include "agg.h"
#include "cli.h"
#include "export.h"
#include "http.h"
#include "delivery.h"
#include "loader.h"
#include "owner.h"
#include "privs.h"
#include "report.h"
#include "sockdiag.h"
#include "tracker.h"

#define POLL_MS 100
#define MAX_CPUS 1024

#define TRACER_NICE -10
#define RECONCILE_NS (10 * 1000000000ULL) /* open sockets checked against the kernel */

static volatile sig_atomic_t exiting;

struct run {
	struct config cfg;
	struct agg *agg;
	struct owners *owners;
	struct tracker *tracker;
	struct loader *loader;
	struct delivery *delivery; /* --verify-delivery */
	uint64_t start_ns;
	double start_cpu_s; /* this process's CPU when tracing began */
	int start_bpf_stats; /* kernel.bpf_stats_enabled then */
	time_t wall_start;
	struct utsname uts;
	struct metrics_opts metrics;
	struct http *http;
	char textfile[4096];
	uint64_t next_reconcile;
	bool last_report; /* the report being built is the run's last */
};

/* User and system CPU time of this process, all threads, in seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* kernel.bpf_stats_enabled now: 0 or 1; -1 when it cannot be read. */
static int bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void on_signal(int sig)
{
	/* A second Ctrl-C ends at once. */
	if (exiting)
		signal(sig, SIG_DFL);
	exiting = 1;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed stdout shows as EPIPE on write, then a quiet exit. */
	signal(SIGPIPE, SIG_IGN);
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
}

static int check_environment(const struct config *cfg)
{
	if (geteuid() != 0) {
		fprintf(stderr, "tcpwaittrace: must run as root (BPF tracing needs CAP_BPF and CAP_PERFMON); try sudo\n");
		return EXIT_ENV;
	}
	if (access(cfg->btf_path, R_OK)) {
		fprintf(stderr, "tcpwaittrace: no kernel BTF at %s: %s; use a kernel built with CONFIG_DEBUG_INFO_BTF=y or pass --btf FILE\n",
			cfg->btf_path, strerror(errno));
		return EXIT_ENV;
	}
	return 0;
}

/* Handled a few records later: each poll and drain is followed by tracker__flush(). */
static int on_event(void *ctx, void *data, size_t len)
{
	return tracker__on_data_ahead(ctx, data, len);
}

struct seed_ctx {
	struct tracker *tracker;
	uint64_t now_ns;
	uint64_t start_ns;
};

static int on_existing(const struct sd_sock *s, void *arg)
{
	struct seed_ctx *c = arg;

	tracker__seed(c->tracker, s, c->now_ns, c->start_ns);
	return 0;
}

/*
 * After attaching, so that nothing falls in a gap: the listeners, and the
 * sockets already in CLOSE_WAIT or TIME_WAIT, in every network namespace.
 */
static void seed_existing(struct run *r)
{
	struct seed_ctx c = { .tracker = r->tracker, .start_ns = r->start_ns };

	c.now_ns = tracker__now_ns();
	if (sockdiag__dump(0, SD_STATE(TCPWT_LISTEN) | SD_STATE(TCPWT_CLOSE_WAIT) |
				      SD_STATE(TCPWT_TIME_WAIT), r->cfg.family, on_existing, &c) < 0)
		fprintf(stderr, "tcpwaittrace: cannot list existing sockets (sock_diag): "
				"sockets from before the start are not shown\n");
}

/* Resolve the kills parked on CPUs that have seen no timewait timer since. */
static void collect_parked(struct run *r, uint64_t now)
{
	static struct tcpwt_tw_slot slots[MAX_CPUS];
	int n = loader__parked_cancels(r->loader, slots, MAX_CPUS);

	for (int i = 0; i < n; i++)
		tracker__on_parked_cancel(r->tracker, &slots[i], now);
}

/* Everything one report needs, brought up to date now. */
static int build_report(struct run *r, struct report *rep, struct open_sock **oldest)
{
	size_t top = r->cfg.top, n_cw, n_tw;
	struct loader_counters c;
	uint64_t now;

	*oldest = calloc(2 * top + 1, sizeof(**oldest));
	if (!*oldest)
		return -ENOMEM;
	memset(rep, 0, sizeof(*rep));
	loader__drain(r->loader);
	tracker__flush(r->tracker);
	now = tracker__now_ns();
	collect_parked(r, now);
	if (now >= r->next_reconcile) {
		tracker__reconcile(r->tracker, now);
		r->next_reconcile = now + RECONCILE_NS;
	}
	loader__counters(r->loader, &c);
	tracker__adopt_cw(r->tracker, now, NULL);
	/* A lost event may have been a timewait birth, its close with it. */
	tracker__adopt_tw(r->tracker, now, c.ringbuf_full + c.recursion_misses, r->last_report,
			  NULL);
	tracker__snapshot(r->tracker, now, *oldest, top, &n_cw, &n_tw);
	rep->tw_dests = tracker__tw_destinations(r->tracker, &rep->n_dests);
	if (r->delivery) {
		/* Hits first, then what reached the program: see delivery.h. */
		rep->state_hits = delivery__hits(r->delivery);
		rep->undelivered = delivery__undelivered(r->delivery, rep->state_hits,
							 loader__state_reached(r->loader));
		rep->verifying = true;
	}
	rep->cfg = &r->cfg;
	rep->wall_start = r->wall_start;
	rep->elapsed_s = (now - r->start_ns) / 1e9;
	rep->wall_end = time(NULL);
	rep->ngroups = agg__sorted(r->agg, &rep->groups);
	for (size_t i = 0; i < rep->ngroups; i++) {
		struct group *g = rep->groups[i];

		g->exited = g->key.pid && !owners__alive(r->owners, g->key.pid);
	}
	rep->oldest_cw = *oldest;
	rep->n_cw = n_cw;
	rep->oldest_tw = *oldest + top;
	rep->n_tw = n_tw;
	rep->ringbuf_full = c.ringbuf_full;
	rep->recursion_misses = c.recursion_misses;
	rep->recursion_misses_benign = c.recursion_misses_benign;
	rep->late_events = c.late_events;
	rep->tw_netns_purged = c.tw_netns_purged;
	rep->tracer_cpu_s = cpu_seconds() - r->start_cpu_s;
	rep->bpf_runs = c.bpf_runs;
	rep->bpf_run_time_ns = c.bpf_run_time_ns;
	rep->bpf_stats_enabled = bpf_stats_enabled();
	rep->bpf_stats_all_along = r->start_bpf_stats == 1 && rep->bpf_stats_enabled == 1;
	rep->stats = tracker__stats(r->tracker);
	rep->untracked_sockets = rep->stats->closers_dropped + rep->stats->tw_unseen_births -
				 rep->stats->tw_unseen_recovered + rep->stats->cw_unseen_entries -
				 rep->stats->cw_unseen_recovered;
	rep->host = r->uts.nodename;
	rep->kernel = r->uts.release;
	return 0;
}

static void free_report(struct report *rep, struct open_sock *oldest)
{
	free(rep->groups);
	free(oldest);
}

static void publish_metrics(struct run *r, const struct report *rep)
{
	size_t len;
	char *text;
	int err;

	if (r->textfile[0]) {
		err = export__write(r->textfile, EXPORT_PROM, rep, &r->metrics);
		if (err)
			fprintf(stderr, "tcpwaittrace: cannot write %s: %s\n", r->textfile, strerror(-err));
	}
	if (r->http) {
		text = export__prom_string(rep, &r->metrics, &len);
		if (text)
			http__publish(r->http, text, len);
	}
}

/*
 * Metrics for scrapers between reports; counters are cumulative since start.
 * Returns when to refresh them next.
 */
static uint64_t refresh_metrics(struct run *r, uint64_t now)
{
	struct open_sock *oldest;
	struct report rep;
	uint64_t cost;

	if (!r->http && !r->textfile[0])
		return now + export__refresh_wait_ns(0);
	if (!build_report(r, &rep, &oldest)) {
		publish_metrics(r, &rep);
		free_report(&rep, oldest);
	}
	cost = tracker__now_ns() - now;
	return now + export__refresh_wait_ns(cost);
}

static int print_report(struct run *r)
{
	struct open_sock *oldest;
	struct report rep;
	int err;

	err = build_report(r, &rep, &oldest);
	if (err)
		return err;
	if (r->cfg.output == OUTPUT_JSON)
		report__json_line(stdout, &rep);
	else
		report__text(stdout, &rep);
	err = ferror(stdout) ? -EPIPE : 0;
	if (r->cfg.export_path) {
		int e = export__write(r->cfg.export_path, r->cfg.export_format, &rep, &r->metrics);

		if (e)
			fprintf(stderr, "tcpwaittrace: cannot write %s: %s (the previous file is kept)\n",
				r->cfg.export_path, strerror(-e));
	}
	publish_metrics(r, &rep);
	free_report(&rep, oldest);
	return err;
}

static int trace(struct run *r)
{
	uint64_t next_report = 0, deadline = 0, next_metrics;
	unsigned int reports = 0;
	int err;

	if (r->cfg.interval)
		next_report = r->start_ns + r->cfg.interval * 1000000000ULL;
	if (r->cfg.duration)
		deadline = r->start_ns + r->cfg.duration * 1000000000ULL;
	next_metrics = r->start_ns;
	while (!exiting) {
		uint64_t now;

		err = loader__poll(r->loader, POLL_MS);
		tracker__flush(r->tracker);
		if (err) {
			fprintf(stderr, "tcpwaittrace: reading events failed: %s\n", strerror(-err));
			return err;
		}
		now = tracker__now_ns();
		if (deadline && now >= deadline)
			break;
		if (next_report && now >= next_report) {
			r->last_report = r->cfg.count && reports + 1 >= r->cfg.count;
			if (print_report(r))
				return 0; /* stdout closed: nobody to report to */
			reports++;
			if (r->cfg.count && reports >= r->cfg.count)
				return 0;
			next_report += r->cfg.interval * 1000000000ULL;
		}
		if (now >= next_metrics)
			next_metrics = refresh_metrics(r, now);
	}
	/* The last events too: none will come after them that matters now. */
	loader__drain_all(r->loader);
	r->last_report = true;
	/* A closed stdout (EPIPE) is a quiet end, not an error. */
	print_report(r);
	return 0;
}

/* Outputs that can fail are tried before any tracing. */
static int open_outputs(struct run *r)
{
	int err;

	if (r->cfg.export_path) {
		err = export__check_path(r->cfg.export_path);
		if (err) {
			fprintf(stderr, "tcpwaittrace: cannot write export file %s: %s\n",
				r->cfg.export_path, strerror(-err));
			return EXIT_BAD_INPUT;
		}
	}
	if (r->cfg.textfile_dir) {
		snprintf(r->textfile, sizeof(r->textfile), "%s/tcpwaittrace.prom", r->cfg.textfile_dir);
		err = export__check_path(r->textfile);
		if (err) {
			fprintf(stderr, "tcpwaittrace: cannot write %s: %s\n", r->textfile, strerror(-err));
			return EXIT_BAD_INPUT;
		}
	}
	if (r->cfg.listen) {
		err = http__start(r->cfg.listen, &r->http);
		if (err) {
			fprintf(stderr, "tcpwaittrace: cannot listen on %s: %s\n", r->cfg.listen,
				strerror(-err));
			return EXIT_ENV;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct run r = {};
	int err, hz;

	err = cli__parse(argc, argv, &r.cfg);
	if (err || r.cfg.exit_now)
		return err;
	err = check_environment(&r.cfg);
	if (err)
		return err;
	uname(&r.uts);
	r.metrics.no_pid = r.cfg.metrics_no_pid;
	r.metrics.max_series = r.cfg.max_series;
	err = open_outputs(&r);
	if (err)
		goto cleanup;
	setup_signals();
	/*
	 * On a saturated host a fair share of the CPU is not enough to drain
	 * the ring buffer: events would be dropped (and counted). Ask for more.
	 */
	if (setpriority(PRIO_PROCESS, 0, TRACER_NICE) && r.cfg.verbose)
		fprintf(stderr, "tcpwaittrace: cannot raise priority: %s\n", strerror(errno));
	r.agg = agg__new();
	r.owners = owners__new("/proc", r.cfg.pids, r.cfg.npids);
	r.tracker = r.agg && r.owners ? tracker__new(&r.cfg, r.agg, r.owners) : NULL;
	if (!r.tracker) {
		fprintf(stderr, "tcpwaittrace: out of memory\n");
		err = EXIT_ENV;
		goto cleanup;
	}
	if (loader__start(&r.cfg, on_event, r.tracker, &r.loader)) {
		err = EXIT_ENV;
		goto cleanup;
	}
	if (r.cfg.verify_delivery) {
		err = delivery__open(&r.delivery);
		if (!err)
			err = delivery__enable(r.delivery, loader__state_reached(r.loader));
		if (err) {
			fprintf(stderr, "tcpwaittrace: --verify-delivery: cannot count "
				"sock:inet_sock_set_state with perf: %s\n",
				err == -ENOENT ? "its id is not in tracefs (mount -t tracefs "
						 "nodev /sys/kernel/tracing)"
					       : strerror(-err));
			err = EXIT_ENV;
			goto cleanup;
		}
	}
	r.start_ns = tracker__now_ns();
	r.start_cpu_s = cpu_seconds();
	r.start_bpf_stats = bpf_stats_enabled();
	tracker__set_start(r.tracker, r.start_ns);
	hz = loader__hz(r.loader);
	if (hz > 0)
		tracker__set_jiffy(r.tracker, 1000000000ULL / (unsigned int)hz);
	r.wall_start = time(NULL);
	seed_existing(&r);
	err = privs__drop(r.cfg.export_path || r.cfg.textfile_dir);
	if (err) {
		fprintf(stderr, "tcpwaittrace: cannot drop capabilities: %s\n", strerror(-err));
		err = EXIT_ENV;
		goto cleanup;
	}
	fprintf(stderr, "Tracing CLOSE_WAIT and TIME_WAIT (%s)... Hit Ctrl-C to end.\n",
		loader__mode(r.loader));
	err = trace(&r) ? EXIT_ENV : 0;
cleanup:
	http__stop(r.http);
	delivery__free(r.delivery);
	loader__free(r.loader);
	tracker__free(r.tracker);
	owners__free(r.owners);
	agg__free(r.agg);
	return err;
}
