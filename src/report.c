// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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

static void owner_name(char *buf, size_t len, uint32_t pid, const char *comm)
{
	char safe[TCPWT_COMM_LEN];

	if (!pid) {
		snprintf(buf, len, strcmp(comm, TCPWT_PREEXISTING) ? "unknown" : "unknown (pre-existing)");
		return;
	}
	report__sanitize(safe, comm, sizeof(safe));
	snprintf(buf, len, "%s", safe);
}

/* The same, cut to the width of a COMM column. */
static void owner_cell(char *buf, size_t len, uint32_t pid, const char *comm)
{
	char safe[TCPWT_COMM_LEN];

	if (!pid) {
		snprintf(buf, len, strcmp(comm, TCPWT_PREEXISTING) ? "unknown" : "(pre-existing)");
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
	char name[32], oldest[16], q[6][24];
	bool header = false;

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
		owner_cell(name, sizeof(name), g->key.pid, g->key.comm);
		report__fmt_duration(oldest, sizeof(oldest), g->oldest_open_ns);
		report__fmt_duration(q[0], sizeof(q[0]), h->min_ns);
		report__fmt_duration(q[1], sizeof(q[1]), hist__percentile(h, 0.5));
		report__fmt_duration(q[2], sizeof(q[2]), hist__percentile(h, 0.99));
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
		owner_name(name, sizeof(name), g->key.pid, g->key.comm);
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
	fprintf(out, "%-10s %-7s %-15s %5s %-6s %s\n", "AGE", "PID", "COMM", "PORT",
		"ROLE", v[0].family ? "LOCAL -> REMOTE" : "");
	for (size_t i = 0; i < n; i++) {
		const struct open_sock *s = &v[i];
		char d[16];

		report__fmt_duration(d, sizeof(d), s->age_ns);
		snprintf(age, sizeof(age), "%s%s", s->estimated ? "~" : s->lower_bound ? ">=" : "", d);
		owner_cell(name, sizeof(name), s->pid, s->comm);
		fprintf(out, "%-10s %-7u %-15s %5u %-6s", age, s->pid, name, s->port,
			role_name(s->role));
		if (s->family) {
			fmt_addr(l, sizeof(l), s->family, s->laddr, s->lport);
			fmt_addr(rm, sizeof(rm), s->family, s->raddr, s->rport);
			fprintf(out, " %s -> %s", l, rm);
		}
		fputc('\n', out);
	}
}

/*
 * The answer first: who holds sockets in CLOSE_WAIT (their bug), who piles up
 * TIME_WAIT (their ports).
 */
static void print_findings(FILE *out, const struct report *r)
{
	char name[32], age[16];
	int shown = 0;

	for (size_t i = 0; i < r->ngroups && shown < 5; i++) {
		const struct group *g = r->groups[i];

		owner_name(name, sizeof(name), g->key.pid, g->key.comm);
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
	if (shown)
		fputc('\n', out);
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
	print_histograms(out, r);
	print_oldest(out, "CLOSE_WAIT", r->oldest_cw, r->n_cw);
	print_oldest(out, "TIME_WAIT", r->oldest_tw, r->n_tw);
	if (report__lost_events(r) || r->untracked_sockets)
		fprintf(out, "\nWARNING: %llu events lost (%llu ring buffer full, %llu BPF recursion misses), "
			"%llu sockets untracked: figures are incomplete.\n",
			(unsigned long long)report__lost_events(r),
			(unsigned long long)r->ringbuf_full,
			(unsigned long long)r->recursion_misses,
			(unsigned long long)r->untracked_sockets);
	fflush(out);
}

static json_t *bucket_json(const struct hist_bucket *b)
{
	json_t *o = json_object();

	/* Keys are constants: skip the UTF-8 checks of json_pack(). */
	json_object_set_new_nocheck(o, "lo_ns", json_integer(b->lo_ns));
	json_object_set_new_nocheck(o, "hi_ns", json_integer(b->hi_ns));
	json_object_set_new_nocheck(o, "count", json_integer(b->count));
	return o;
}

/* Fine buckets are many: [lo_ns, hi_ns, count] triples, cheaper than objects. */
static void add_fine(const struct hist_bucket *b, void *arg)
{
	json_t *t = json_array();

	json_array_append_new(t, json_integer(b->lo_ns));
	json_array_append_new(t, json_integer(b->hi_ns));
	json_array_append_new(t, json_integer(b->count));
	json_array_append_new(arg, t);
}

static json_t *hist_json(const struct hist *h)
{
	struct hist_bucket b[HIST_LOG2_SLOTS];
	size_t n = hist__log2_buckets(h, b, HIST_LOG2_SLOTS);
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, bucket_json(&b[i]));
	return arr;
}

/* An unknown owner is null, never PID 0; its name says why it is unknown. */
static void set_owner(json_t *o, uint32_t pid, const char *comm)
{
	char name[32];

	owner_name(name, sizeof(name), pid, comm);
	json_object_set_new(o, "pid", pid ? json_integer(pid) : json_null());
	json_object_set_new(o, "comm", json_string(name));
}

static json_t *group_json(const struct group *g)
{
	const struct hist *h = &g->hist;
	json_t *o;

	o = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:b,s:b}",
		      "state", state_name(g->key.state), "port", g->key.port,
		      "role", role_name(g->key.role), "completed", (json_int_t)h->count,
		      "open", (json_int_t)g->open, "oldest_open_ns", (json_int_t)g->oldest_open_ns,
		      "oldest_open_is_lower_bound", g->oldest_is_lower_bound,
		      "oldest_open_is_estimate", g->oldest_is_estimate);
	set_owner(o, g->key.pid, g->key.comm);
	json_object_set_new(o, "open_seeded", json_integer(g->open_seeded));
	json_object_set_new(o, "shared", json_boolean(g->shared));
	json_object_set_new(o, "exited", json_boolean(g->exited));
	json_object_set_new(o, "min_ns", json_integer(h->min_ns));
	json_object_set_new(o, "p50_ns", json_integer(hist__percentile(h, 0.5)));
	json_object_set_new(o, "p90_ns", json_integer(hist__percentile(h, 0.9)));
	json_object_set_new(o, "p99_ns", json_integer(hist__percentile(h, 0.99)));
	json_object_set_new(o, "max_ns", json_integer(h->max_ns));
	json_object_set_new(o, "sum_ns", json_integer(h->sum_ns));
	json_object_set_new(o, "histogram", hist_json(h));
	json_t *fine = json_array();

	hist__for_each_fine(h, add_fine, fine);
	json_object_set_new(o, "fine_histogram", fine);
	if (g->cmdline) {
		char safe[4096];

		report__sanitize(safe, g->cmdline, sizeof(safe));
		json_object_set_new(o, "cmdline", json_string(safe));
	} else {
		json_object_set_new(o, "cmdline", json_null());
	}
	if (g->key.state == TCPWT_TIME_WAIT) {
		json_object_set_new(o, "expired", json_integer(g->expired));
		json_object_set_new(o, "killed", json_integer(g->killed));
	}
	return o;
}

static json_t *open_json(const struct open_sock *v, size_t n)
{
	json_t *arr = json_array();
	char ip[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct open_sock *s = &v[i];
		json_t *o;

		o = json_pack("{s:s,s:i,s:s,s:I,s:b,s:b,s:b}", "state", state_name(s->state),
			      "port", s->port, "role", role_name(s->role),
			      "age_ns", (json_int_t)s->age_ns, "age_is_lower_bound", s->lower_bound,
			      "age_is_estimate", s->estimated, "seeded", s->seeded);
		set_owner(o, s->pid, s->comm);
		if (s->family) {
			inet_ntop(s->family, s->laddr, ip, sizeof(ip));
			json_object_set_new(o, "local", json_pack("{s:s,s:i}", "addr", ip, "port", s->lport));
			inet_ntop(s->family, s->raddr, ip, sizeof(ip));
			json_object_set_new(o, "remote", json_pack("{s:s,s:i}", "addr", ip, "port", s->rport));
			json_object_set_new(o, "netns", json_integer(s->netns));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *report__json(const struct report *r)
{
	json_t *root = json_object(), *groups = json_array(), *open = json_array();

	for (size_t i = 0; i < r->ngroups; i++)
		json_array_append_new(groups, group_json(r->groups[i]));
	json_t *cw = open_json(r->oldest_cw, r->n_cw), *tw = open_json(r->oldest_tw, r->n_tw);

	json_array_extend(open, cw);
	json_array_extend(open, tw);
	json_decref(cw);
	json_decref(tw);
	json_object_set_new(root, "schema", json_integer(REPORT_SCHEMA));
	json_object_set_new(root, "host", r->host ? json_string(r->host) : json_null());
	json_object_set_new(root, "kernel", r->kernel ? json_string(r->kernel) : json_null());
	json_object_set_new(root, "groups", groups);
	json_object_set_new(root, "oldest_open", open);
	json_object_set_new(root, "elapsed_s", json_real(r->elapsed_s));
	json_object_set_new(root, "start_time", json_integer(r->wall_start));
	json_object_set_new(root, "end_time", json_integer(r->wall_end));
	json_object_set_new(root, "lost_events", json_integer(report__lost_events(r)));
	json_object_set_new(root, "ringbuf_full", json_integer(r->ringbuf_full));
	json_object_set_new(root, "recursion_misses", json_integer(r->recursion_misses));
	json_object_set_new(root, "recursion_misses_benign", json_integer(r->recursion_misses_benign));
	json_object_set_new(root, "untracked_sockets", json_integer(r->untracked_sockets));
	if (r->stats) {
		json_object_set_new(root, "tracked_sockets", json_integer(r->stats->tracked_sockets));
		json_object_set_new(root, "tracked_bytes", json_integer(r->stats->tracked_bytes));
		json_object_set_new(root, "bad_events", json_integer(r->stats->bad_events));
		json_object_set_new(root, "missed_ends", json_integer(r->stats->missed_ends));
		json_object_set_new(root, "reconciled_sockets", json_integer(r->stats->reconciled));
	}
	return root;
}

int report__json_line(FILE *out, const struct report *r)
{
	json_t *root = report__json(r);
	char *text;

	if (!root)
		return -1;
	/* One buffer, one write: json_dumpf() writes token by token. */
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -1;
	fputs(text, out);
	fputc('\n', out);
	free(text);
	fflush(out);
	return 0;
}
