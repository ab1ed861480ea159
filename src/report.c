// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "jsonw.h"
#include "report.h"

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL

void report__fmt_duration(char *buf, size_t len, uint64_t ns)
{
	/* Unit bounds allow for rounding: 999.96 ms prints as 1.00s, not 1000.0ms. */
	if (ns < NS_PER_MS)
		snprintf(buf, len, "%lluus", (unsigned long long)(ns / NS_PER_US));
	else if (ns < NS_PER_S - NS_PER_MS / 20)
		snprintf(buf, len, "%.1fms", (double)ns / NS_PER_MS);
	else if (ns < 600 * NS_PER_S - NS_PER_S / 200)
		snprintf(buf, len, "%.2fs", (double)ns / NS_PER_S);
	else
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(ns / NS_PER_S / 60),
			 (unsigned long long)(ns / NS_PER_S % 60));
}

void report__sanitize(char *dst, const char *src, size_t len)
{
	size_t i;

	if (!len)
		return;
	for (i = 0; i + 1 < len && src[i]; i++) {
		unsigned char c = src[i];

		dst[i] = c < 0x20 || c >= 0x7f ? '?' : c;
	}
	dst[i] = '\0';
}

static const char *state_name(uint8_t state)
{
	return state == TCPWT_CLOSE_WAIT ? "CLOSE_WAIT" : "TIME_WAIT";
}

static const char *role_name(uint8_t role)
{
	return role == ROLE_SERVER ? "server" : "client";
}

/*
 * The owner's name, sanitized; an unknown one says whether it was there before
 * tracing, shorter in a COMM column (cell).
 */
static void owner_name(char *buf, size_t len, uint32_t pid, const char *comm, bool cell)
{
	char safe[TCPWT_COMM_LEN];

	if (!pid) {
		snprintf(buf, len, "%s", strcmp(comm, TCPWT_PREEXISTING) ? "unknown" :
					 cell ? "(pre-existing)" : "unknown (pre-existing)");
		return;
	}
	report__sanitize(safe, comm, sizeof(safe));
	snprintf(buf, len, "%s", safe);
}

static void fmt_addr(char *buf, size_t len, uint8_t family, const uint8_t *addr,
		     uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, addr, ip, sizeof(ip));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

static void print_group_table(FILE *out, const struct report *r, uint8_t state)
{
	static const double qs[] = { 0.5, 0.99 };
	char name[32], oldest[16], q[6][24];
	bool header = false;
	uint64_t p[2];

	for (size_t i = 0; i < r->ngroups; i++) {
		const struct group *g = r->groups[i];
		const struct hist *h = &g->hist;

		if (g->key.state != state)
			continue;
		if (!header) {
			fprintf(out, "%-7s %-15s %5s %-6s %6s %5s %8s %7s %7s %7s %7s",
				"PID", "COMM", "PORT", "ROLE", "DONE", "OPEN", "OLDEST",
				"MIN", "P50", "P99", "MAX");
			fprintf(out, state == TCPWT_TIME_WAIT ? " %7s %6s\n" : "\n",
				"EXPIRED", "KILLED");
			header = true;
		}
		owner_name(name, sizeof(name), g->key.pid, g->key.comm, true);
		report__fmt_duration(oldest, sizeof(oldest), g->oldest_open_ns);
		report__fmt_duration(q[0], sizeof(q[0]), h->min_ns);
		hist__percentiles(h, qs, 2, p);
		report__fmt_duration(q[1], sizeof(q[1]), p[0]);
		report__fmt_duration(q[2], sizeof(q[2]), p[1]);
		report__fmt_duration(q[3], sizeof(q[3]), h->max_ns);
		if (g->oldest_is_estimate)
			snprintf(q[4], sizeof(q[4]), "~%s", oldest);
		else if (g->oldest_is_lower_bound)
			snprintf(q[4], sizeof(q[4]), ">=%s", oldest);
		else
			snprintf(q[4], sizeof(q[4]), "%s", g->open ? oldest : "-");
		fprintf(out, "%-7u %-15s %5u %-6s %6llu %5llu %8s %7s %7s %7s %7s",
			g->key.pid, name, g->key.port, role_name(g->key.role),
			(unsigned long long)h->count, (unsigned long long)g->open, q[4],
			h->count ? q[0] : "-", h->count ? q[1] : "-",
			h->count ? q[2] : "-", h->count ? q[3] : "-");
		if (state == TCPWT_TIME_WAIT)
			fprintf(out, " %7llu %6llu", (unsigned long long)g->expired,
				(unsigned long long)g->killed);
		fprintf(out, "%s%s\n", g->shared ? "  (socket shared by processes)" : "",
			g->exited ? "  (exited)" : "");
	}
	if (!header)
		fprintf(out, "(none seen)\n");
}

/* Under the TIME_WAIT table: which kills were connect() taking the tuple over. */
static void print_taken_over(FILE *out, const struct report *r)
{
	char name[32];
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < r->ngroups; i++) {
		const struct group *g = r->groups[i];

		if (g->key.state != TCPWT_TIME_WAIT || !g->taken_over)
			continue;
		if (shown == 5) {
			more++;
			continue;
		}
		owner_name(name, sizeof(name), g->key.pid, g->key.comm, false);
		fprintf(out, "%s%llu of %s[%u] on port %u", shown ? ", " :
			"KILLED includes timewait sockets a connect() took over (tcp_tw_reuse): ",
			(unsigned long long)g->taken_over, name, g->key.pid, g->key.port);
		shown++;
	}
	if (more)
		fprintf(out, " and %zu more groups (-o json: taken_over)", more);
	if (shown)
		fputs(".\n", out);
}

#define MAX_TEXT_HISTOGRAMS 20

static void print_histograms(FILE *out, const struct report *r)
{
	char name[32], p90[16];
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < r->ngroups; i++) {
		const struct group *g = r->groups[i];

		if (!g->hist.count)
			continue;
		/* Nobody reads thousands of bar charts: the busiest groups. */
		if (shown++ == MAX_TEXT_HISTOGRAMS) {
			more = 1;
			continue;
		}
		if (more) {
			more++;
			continue;
		}
		owner_name(name, sizeof(name), g->key.pid, g->key.comm, false);
		report__fmt_duration(p90, sizeof(p90), hist__percentile(&g->hist, 0.9));
		fprintf(out, "\n%s, %s %u, %s[%u]: %llu sockets, p90 %s\n",
			state_name(g->key.state), role_name(g->key.role), g->key.port,
			name, g->key.pid, (unsigned long long)g->hist.count, p90);
		hist__print_log2(&g->hist, out, "");
	}
	if (more)
		fprintf(out, "\n(%zu more histograms: -o json or --export has them all)\n", more);
}

static void print_oldest(FILE *out, const char *title, const struct open_sock *v,
			 size_t n)
{
	char age[20], name[32], l[64], rm[64];

	if (!n)
		return;
	fprintf(out, "\nOldest sockets still in %s:\n", title);
	fprintf(out, "%-10s %-7s %-15s %5s %-6s %s\n", "AGE", "PID", "COMM", "PORT", "ROLE",
		!v[0].family ? "" : "LOCAL -> REMOTE");
	for (size_t i = 0; i < n; i++) {
		const struct open_sock *s = &v[i];
		char d[16];

		report__fmt_duration(d, sizeof(d), s->age_ns);
		snprintf(age, sizeof(age), "%s%s", s->estimated ? "~" : s->lower_bound ? ">=" : "", d);
		owner_name(name, sizeof(name), s->pid, s->comm, true);
		fprintf(out, "%-10s %-7u %-15s %5u %-6s", age, s->pid, name, s->port,
			role_name(s->role));
		if (s->family) {
			/* A timewait socket whose local address was not kept: its port. */
			if (s->no_laddr)
				snprintf(l, sizeof(l), "*:%u", s->lport);
			else
				fmt_addr(l, sizeof(l), s->family, s->laddr, s->lport);
			fmt_addr(rm, sizeof(rm), s->family, s->raddr, s->rport);
			fprintf(out, " %s -> %s", l, rm);
		}
		fputc('\n', out);
	}
}

/* A destination's local address; NULL when not kept. */
static const char *dest_laddr(char *ip, const struct tw_dest *d)
{
	if (d->no_laddr)
		return NULL;
	inet_ntop(d->family, d->laddr, ip, INET6_ADDRSTRLEN);
	return ip;
}

/*
 * "LOCAL -> REMOTE:PORT", or with from "from LOCAL to REMOTE:PORT"; a local
 * address not kept reads "* -> REMOTE:PORT", or "to REMOTE:PORT".
 */
static void fmt_dest(char *buf, size_t len, const struct tw_dest *d, bool from)
{
	char ip[INET6_ADDRSTRLEN], rm[64];
	const char *l = dest_laddr(ip, d);

	fmt_addr(rm, sizeof(rm), d->family, d->raddr, d->rport);
	if (!from)
		snprintf(buf, len, "%s -> %s", l ? l : "*", rm);
	else if (l)
		snprintf(buf, len, "from %s to %s", l, rm);
	else
		snprintf(buf, len, "to %s", rm);
}

/* Where clients' ports go: which owner holds how many from where to which destination. */
static void print_dests(FILE *out, const struct report *r)
{
	char name[32], dest[128], share[16];

	if (!r->n_dests)
		return;
	fprintf(out, "\nClient ports held by timewait sockets "
		"(PORTS: ephemeral range there; REUSE: tcp_tw_reuse applies):\n");
	fprintf(out, "%-7s %-15s %-47s %8s %6s %6s %5s\n", "PID", "COMM", "LOCAL -> DESTINATION",
		"SOCKETS", "PORTS", "SHARE", "REUSE");
	for (size_t i = 0; i < r->n_dests; i++) {
		const struct tw_dest *d = &r->tw_dests[i];
		double s = tw_dest__port_share(d);

		owner_name(name, sizeof(name), d->pid, d->comm, true);
		fmt_dest(dest, sizeof(dest), d, false);
		if (s < 0)
			snprintf(share, sizeof(share), "-");
		else
			snprintf(share, sizeof(share), "%.1f%%", 100 * s);
		fprintf(out, "%-7u %-15s %-47s %8llu %6u %6s %5s\n", d->pid, name, dest,
			(unsigned long long)d->sockets, d->ephemeral_ports, share,
			d->tw_reuse < 0 ? "-" : d->tw_reusable ? "yes" : "no");
	}
}

/* From this share of the ephemeral ports held from one address to one destination, say so first. */
#define PORTS_FINDING_SHARE 0.5

/*
 * The answer first: who holds sockets in CLOSE_WAIT (their bug), who piles up
 * TIME_WAIT (their ports), and whose ports to one destination are running out.
 */
static void print_findings(FILE *out, const struct report *r)
{
	char name[32], age[16];
	int shown = 0;

	for (size_t i = 0; i < r->ngroups && shown < 5; i++) {
		const struct group *g = r->groups[i];

		owner_name(name, sizeof(name), g->key.pid, g->key.comm, false);
		report__fmt_duration(age, sizeof(age), g->oldest_open_ns);
		if (g->key.state == TCPWT_CLOSE_WAIT && g->open) {
			fprintf(out, "* %s[%u] holds %llu %s socket%s on port %u in CLOSE_WAIT, oldest %s%s: "
				"the peer closed and it has not called close()%s.\n",
				name, g->key.pid, (unsigned long long)g->open, role_name(g->key.role),
				g->open > 1 ? "s" : "", g->key.port,
				g->oldest_is_estimate ? "~" : g->oldest_is_lower_bound ? ">=" : "", age,
				g->oldest_open_ns > 10 * NS_PER_S ? " (a leak?)" : "");
			shown++;
		} else if (g->key.state == TCPWT_TIME_WAIT && g->open) {
			fprintf(out, "* %s[%u] closed first: %llu %s socket%s on port %u in TIME_WAIT, "
				"each keeping its port for 60 s.\n",
				name, g->key.pid, (unsigned long long)g->open, role_name(g->key.role),
				g->open > 1 ? "s" : "", g->key.port);
			shown++;
		}
	}
	for (size_t i = 0; i < r->n_dests; i++) {
		const struct tw_dest *d = &r->tw_dests[i];
		char dest[128];

		if (tw_dest__port_share(d) < PORTS_FINDING_SHARE)
			continue;
		owner_name(name, sizeof(name), d->pid, d->comm, false);
		fmt_dest(dest, sizeof(dest), d, true);
		fprintf(out, "* %s[%u] holds %llu client ports %s in timewait sockets, %.0f%% of the "
			"%u ephemeral ports: %s.\n",
			name, d->pid, (unsigned long long)d->sockets, dest, 100 * tw_dest__port_share(d),
			d->ephemeral_ports,
			d->tw_reusable ? "tcp_tw_reuse lets connect() take their ports over once they "
					 "are old enough (1 s by default)"
				       : "new connections there may fail (EADDRNOTAVAIL)");
		shown++;
	}
	if (shown)
		fputc('\n', out);
}

/* What tracing costs the host: the tracer's CPU, and its programs' when the kernel counts it. */
static void print_own_cost(FILE *out, const struct report *r)
{
	double el = r->elapsed_s;

	fprintf(out, "\ntcpwaittrace's own cost: %.3f s of CPU in its process", r->tracer_cpu_s);
	if (el > 0)
		fprintf(out, " (%.1f%% of one CPU)", 100 * r->tracer_cpu_s / el);
	if (!report__bpf_measured(r)) {
		fprintf(out, ";\nits BPF programs' time is not counted: sysctl kernel.bpf_stats_enabled=1 "
			     "counts it.\n");
		return;
	}
	fprintf(out, ";\nits BPF programs %.3f s", r->bpf_run_time_ns / 1e9);
	/* Counted since the start, as the elapsed time is: else only part of it. */
	if (el > 0 && r->bpf_stats_all_along)
		fprintf(out, " (%.1f%% of one CPU)", 100 * r->bpf_run_time_ns / 1e9 / el);
	if (r->bpf_runs)
		fprintf(out, ", %llu runs of %.0f ns", (unsigned long long)r->bpf_runs,
			(double)r->bpf_run_time_ns / r->bpf_runs);
	fprintf(out, "%s.\n", r->bpf_stats_enabled == 1 ? "" : " while bpf_stats was on");
}

void report__text(FILE *out, const struct report *r)
{
	char when[32];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&r->wall_end));
	fprintf(out, "tcpwaittrace report at %s, %.1f s traced\n\n", when, r->elapsed_s);
	print_findings(out, r);
	fprintf(out, "CLOSE_WAIT: the peer closed; the owning process has not called close() yet.\n");
	print_group_table(out, r, TCPWT_CLOSE_WAIT);
	fprintf(out, "\nTIME_WAIT: this process closed first; the port stays held for 60 s.\n");
	print_group_table(out, r, TCPWT_TIME_WAIT);
	print_taken_over(out, r);
	print_histograms(out, r);
	print_oldest(out, "CLOSE_WAIT", r->oldest_cw, r->n_cw);
	print_oldest(out, "TIME_WAIT", r->oldest_tw, r->n_tw);
	print_dests(out, r);
	print_own_cost(out, r);
	if (r->verifying)
		fprintf(out, "\nDelivery: %llu hits of sock:inet_sock_set_state counted by perf, "
			"%llu of them reached no BPF program.\n",
			(unsigned long long)r->state_hits, (unsigned long long)r->undelivered);
	if (r->late_events)
		fprintf(out, "\n%llu events came after later ones had been handled (a CPU's ring "
			"buffer read late): their sockets may be measured as if their start was lost.\n",
			(unsigned long long)r->late_events);
	if (r->tw_netns_purged)
		fprintf(out, "\n%llu timewait sockets were killed by the deletion of their network "
			"namespace (the ones tracked are in the killed counts above).\n",
			(unsigned long long)r->tw_netns_purged);
	if (r->stats && r->stats->cw_unseen_recovered)
		fprintf(out, "\n%llu sockets that left CLOSE_WAIT without their entry seen were measured "
			"from when their peer's last ACK came (to the jiffy).\n",
			(unsigned long long)r->stats->cw_unseen_recovered);
	if (r->stats && r->stats->cw_adopted)
		fprintf(out, "\n%llu sockets in CLOSE_WAIT whose entry the tracer did not see were found "
			"there by listing the host's sockets: shown open since, their ages lower "
			"bounds.\n",
			(unsigned long long)r->stats->cw_adopted);
	if (r->stats && r->stats->tw_unseen_recovered)
		fprintf(out, "\n%llu timewait sockets whose birth the tracer did not see were measured "
			"at their end, from their timer (to the jiffy), and given their owner by "
			"their close.\n",
			(unsigned long long)r->stats->tw_unseen_recovered);
	if (r->stats && r->stats->tw_adopted)
		fprintf(out, "\n%llu timewait sockets whose birth the tracer did not see were found in "
			"TIME_WAIT by listing the host's sockets: shown open since, their ages from "
			"their timer, their owner from their close where it was seen.\n",
			(unsigned long long)r->stats->tw_adopted);
	if (report__lost_events(r) || r->untracked_sockets)
		fprintf(out, "\nWARNING: %llu events lost (%llu ring buffer full, %llu BPF recursion misses, "
			"%llu never delivered%s), %llu sockets untracked: figures are incomplete.\n",
			(unsigned long long)report__lost_events(r),
			(unsigned long long)r->ringbuf_full,
			(unsigned long long)r->recursion_misses,
			(unsigned long long)r->undelivered,
			r->verifying ? "" : " (not counted: --verify-delivery)",
			(unsigned long long)r->untracked_sockets);
	fflush(out);
}

static void bucket_obj(const struct hist_bucket *b, void *arg)
{
	struct jsonw *w = arg;

	jsonw_obj_open(w);
	jsonw_key(w, "lo_ns");
	jsonw_u64(w, b->lo_ns);
	jsonw_key(w, "hi_ns");
	jsonw_u64(w, b->hi_ns);
	jsonw_key(w, "count");
	jsonw_u64(w, b->count);
	jsonw_obj_close(w);
}

/* Fine buckets are many: [lo_ns, hi_ns, count] triples, shorter than objects. */
static void bucket_triple(const struct hist_bucket *b, void *arg)
{
	struct jsonw *w = arg;

	jsonw_arr_open(w);
	jsonw_u64(w, b->lo_ns);
	jsonw_u64(w, b->hi_ns);
	jsonw_u64(w, b->count);
	jsonw_arr_close(w);
}

static void key_u64(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_u64(w, v);
}

/* null when the figure was not measured, not 0. */
static void key_u64_or_null(struct jsonw *w, const char *key, bool known, uint64_t v)
{
	jsonw_key(w, key);
	if (known)
		jsonw_u64(w, v);
	else
		jsonw_null(w);
}

static void key_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}

static void key_str(struct jsonw *w, const char *key, const char *v)
{
	jsonw_key(w, key);
	jsonw_str(w, v);
}

/* An unknown owner is null, never PID 0; its name says why it is unknown. */
static void owner_json(struct jsonw *w, uint32_t pid, const char *comm)
{
	char name[32];

	owner_name(name, sizeof(name), pid, comm, false);
	jsonw_key(w, "pid");
	if (pid)
		jsonw_u64(w, pid);
	else
		jsonw_null(w);
	key_str(w, "comm", name);
}

static void group_json(struct jsonw *w, const struct group *g)
{
	struct hist_bucket b[HIST_LOG2_SLOTS];
	const struct hist *h = &g->hist;
	size_t n = hist__log2_buckets(h, b, HIST_LOG2_SLOTS);
	static const double qs[] = { 0.5, 0.9, 0.99 };
	uint64_t p[3];

	hist__percentiles(h, qs, 3, p);
	jsonw_obj_open(w);
	key_str(w, "state", state_name(g->key.state));
	key_u64(w, "port", g->key.port);
	key_str(w, "role", role_name(g->key.role));
	key_u64(w, "completed", h->count);
	key_u64(w, "open", g->open);
	key_u64(w, "oldest_open_ns", g->oldest_open_ns);
	key_bool(w, "oldest_open_is_lower_bound", g->oldest_is_lower_bound);
	key_bool(w, "oldest_open_is_estimate", g->oldest_is_estimate);
	owner_json(w, g->key.pid, g->key.comm);
	key_u64(w, "open_seeded", g->open_seeded);
	key_bool(w, "shared", g->shared);
	key_bool(w, "exited", g->exited);
	key_u64(w, "min_ns", h->min_ns);
	key_u64(w, "p50_ns", p[0]);
	key_u64(w, "p90_ns", p[1]);
	key_u64(w, "p99_ns", p[2]);
	key_u64(w, "max_ns", h->max_ns);
	key_u64(w, "sum_ns", h->sum_ns);
	jsonw_key(w, "histogram");
	jsonw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		bucket_obj(&b[i], w);
	jsonw_arr_close(w);
	jsonw_key(w, "fine_histogram");
	jsonw_arr_open(w);
	hist__for_each_fine(h, bucket_triple, w);
	jsonw_arr_close(w);
	jsonw_key(w, "cmdline");
	if (g->cmdline) {
		char safe[4096];

		report__sanitize(safe, g->cmdline, sizeof(safe));
		jsonw_str(w, safe);
	} else {
		jsonw_null(w);
	}
	if (g->key.state == TCPWT_TIME_WAIT) {
		key_u64(w, "expired", g->expired);
		key_u64(w, "killed", g->killed);
		key_u64(w, "taken_over", g->taken_over);
	}
	jsonw_obj_close(w);
}

/* addr NULL: not known, only the port. */
static void endpoint_json(struct jsonw *w, const char *key, int family, const void *addr,
			  uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	jsonw_key(w, key);
	jsonw_obj_open(w);
	if (addr) {
		inet_ntop(family, addr, ip, sizeof(ip));
		key_str(w, "addr", ip);
	}
	key_u64(w, "port", port);
	jsonw_obj_close(w);
}

static void open_json(struct jsonw *w, const struct open_sock *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct open_sock *s = &v[i];

		jsonw_obj_open(w);
		key_str(w, "state", state_name(s->state));
		key_u64(w, "port", s->port);
		key_str(w, "role", role_name(s->role));
		key_u64(w, "age_ns", s->age_ns);
		key_bool(w, "age_is_lower_bound", s->lower_bound);
		key_bool(w, "age_is_estimate", s->estimated);
		key_bool(w, "seeded", s->seeded);
		owner_json(w, s->pid, s->comm);
		if (s->family) {
			endpoint_json(w, "local", s->family, s->no_laddr ? NULL : s->laddr, s->lport);
			endpoint_json(w, "remote", s->family, s->raddr, s->rport);
			key_u64(w, "netns", s->netns);
		}
		jsonw_obj_close(w);
	}
}

static void dest_json(struct jsonw *w, const struct tw_dest *d)
{
	char ip[INET6_ADDRSTRLEN];

	jsonw_obj_open(w);
	owner_json(w, d->pid, d->comm);
	jsonw_key(w, "local_addr");
	jsonw_str(w, dest_laddr(ip, d));
	endpoint_json(w, "remote", d->family, d->raddr, d->rport);
	key_u64(w, "netns", d->netns);
	key_u64(w, "sockets", d->sockets);
	key_u64(w, "ephemeral_ports", d->ephemeral_ports);
	jsonw_key(w, "tcp_tw_reuse");
	if (d->tw_reuse < 0)
		jsonw_null(w);
	else
		jsonw_u64(w, (uint64_t)d->tw_reuse);
	key_bool(w, "tw_reusable", d->tw_reusable);
	jsonw_key(w, "port_share");
	if (tw_dest__port_share(d) < 0)
		jsonw_null(w);
	else
		jsonw_double(w, tw_dest__port_share(d));
	jsonw_obj_close(w);
}

/*
 * The report as one compact JSON object, streamed by our writer: 10k groups
 * are a million values, and building them as a tree first (jansson) took
 * 0.6 s per report.
 */
int report__json_write(FILE *out, const struct report *r)
{
	struct jsonw w;

	jsonw_init(&w, out);
	jsonw_obj_open(&w);
	key_u64(&w, "schema", REPORT_SCHEMA);
	key_str(&w, "host", r->host);
	key_str(&w, "kernel", r->kernel);
	jsonw_key(&w, "groups");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < r->ngroups; i++)
		group_json(&w, r->groups[i]);
	jsonw_arr_close(&w);
	jsonw_key(&w, "oldest_open");
	jsonw_arr_open(&w);
	open_json(&w, r->oldest_cw, r->n_cw);
	open_json(&w, r->oldest_tw, r->n_tw);
	jsonw_arr_close(&w);
	jsonw_key(&w, "tw_destinations");
	jsonw_arr_open(&w);
	for (size_t i = 0; i < r->n_dests; i++)
		dest_json(&w, &r->tw_dests[i]);
	jsonw_arr_close(&w);
	jsonw_key(&w, "elapsed_s");
	jsonw_double(&w, r->elapsed_s);
	key_u64(&w, "start_time", r->wall_start);
	key_u64(&w, "end_time", r->wall_end);
	key_u64(&w, "lost_events", report__lost_events(r));
	key_u64(&w, "ringbuf_full", r->ringbuf_full);
	key_u64(&w, "recursion_misses", r->recursion_misses);
	key_u64(&w, "recursion_misses_benign", r->recursion_misses_benign);
	key_u64(&w, "untracked_sockets", r->untracked_sockets);
	key_u64(&w, "tw_netns_purged", r->tw_netns_purged);
	key_u64(&w, "late_events", r->late_events);
	key_u64_or_null(&w, "state_hits", r->verifying, r->state_hits);
	key_u64_or_null(&w, "undelivered_events", r->verifying, r->undelivered);
	jsonw_key(&w, "tracer_cpu_s");
	jsonw_double(&w, r->tracer_cpu_s);
	key_u64_or_null(&w, "bpf_runs", report__bpf_measured(r), r->bpf_runs);
	key_u64_or_null(&w, "bpf_run_time_ns", report__bpf_measured(r), r->bpf_run_time_ns);
	jsonw_key(&w, "bpf_stats_enabled");
	if (r->bpf_stats_enabled < 0)
		jsonw_null(&w);
	else
		jsonw_bool(&w, r->bpf_stats_enabled == 1);
	if (r->stats) {
		key_u64(&w, "tracked_sockets", r->stats->tracked_sockets);
		key_u64(&w, "tracked_bytes", r->stats->tracked_bytes);
		key_u64(&w, "bad_events", r->stats->bad_events);
		key_u64(&w, "missed_ends", r->stats->missed_ends);
		key_u64(&w, "reconciled_sockets", r->stats->reconciled);
		key_u64(&w, "tw_unseen_births", r->stats->tw_unseen_births);
		key_u64(&w, "tw_unseen_recovered", r->stats->tw_unseen_recovered);
		key_u64(&w, "tw_adopted", r->stats->tw_adopted);
		key_u64(&w, "tw_unlisted", r->stats->tw_unlisted);
		key_u64(&w, "cw_unseen_entries", r->stats->cw_unseen_entries);
		key_u64(&w, "cw_unseen_recovered", r->stats->cw_unseen_recovered);
		key_u64(&w, "cw_adopted", r->stats->cw_adopted);
		key_u64(&w, "closers_dropped", r->stats->closers_dropped);
		key_u64(&w, "closers_pending", r->stats->closers_pending);
	}
	jsonw_obj_close(&w);
	return jsonw_finish(&w);
}

int report__json_line(FILE *out, const struct report *r)
{
	int err = report__json_write(out, r);

	fputc('\n', out);
	fflush(out);
	return err;
}
