// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Report files for other tools: JSON, CSV, Prometheus text. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "export.h"
#include "table.h"

#define NS_PER_S 1e9
/* Prometheus buckets: le = 2^k ms for k in 1..PROM_TOP_SLOT, then +Inf. */
#define PROM_TOP_SLOT 17

int export__format(const char *path, const char *name, enum export_format *out)
{
	const char *ext = name;

	if (!ext) {
		ext = strrchr(path, '.');
		if (!ext || strchr(ext, '/'))
			return -EINVAL;
		ext++;
	}
	if (!strcmp(ext, "json"))
		*out = EXPORT_JSON;
	else if (!strcmp(ext, "csv"))
		*out = EXPORT_CSV;
	else if (!strcmp(ext, "prom"))
		*out = EXPORT_PROM;
	else
		return -EINVAL;
	return 0;
}

static int temp_path(char *buf, size_t len, const char *path)
{
	int n = snprintf(buf, len, "%s.tmp.%d", path, (int)getpid());

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int export__check_path(const char *path)
{
	char tmp[PATH_MAX];
	int fd, err = temp_path(tmp, sizeof(tmp), path);

	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(tmp);
	return 0;
}

int export__write(const char *path, enum export_format f, const struct report *r,
		  const struct metrics_opts *m)
{
	char tmp[PATH_MAX];
	FILE *out;
	int fd, err = temp_path(tmp, sizeof(tmp), path);

	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	out = fdopen(fd, "w");
	if (!out) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (f == EXPORT_JSON) {
		err = report__json_write(out, r);
		fputc('\n', out);
	} else if (f == EXPORT_CSV) {
		err = export__csv(out, r);
	} else {
		err = export__prom(out, r, m);
	}
	if (fflush(out) || fsync(fd) || ferror(out))
		err = -errno ? -errno : -EIO;
	if (fclose(out) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err < 0 ? err : (err ? -EIO : 0);
}

/* ---- CSV (RFC 4180) ---- */

static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

struct csv_ctx {
	FILE *out;
	const struct group *g;
	const char *kind;
};

static void csv_group_prefix(FILE *out, const struct group *g)
{
	char comm[TCPWT_COMM_LEN];

	fprintf(out, "%s,", g->key.state == TCPWT_CLOSE_WAIT ? "CLOSE_WAIT" : "TIME_WAIT");
	if (g->key.pid)
		fprintf(out, "%u", g->key.pid);
	fputc(',', out);
	report__sanitize(comm, g->key.comm, sizeof(comm));
	csv_field(out, g->key.pid ? comm : strcmp(g->key.comm, TCPWT_PREEXISTING) ? "unknown"
										: "unknown (pre-existing)");
	fprintf(out, ",%u,%s,%llu,%llu,%llu,%llu,%llu,%llu,", g->key.port,
		g->key.role == ROLE_SERVER ? "server" : "client",
		(unsigned long long)g->hist.count, (unsigned long long)g->open,
		(unsigned long long)g->oldest_open_ns, (unsigned long long)g->expired,
		(unsigned long long)g->killed, (unsigned long long)g->taken_over);
}

static void csv_bucket(const struct hist_bucket *b, void *arg)
{
	struct csv_ctx *c = arg;

	csv_group_prefix(c->out, c->g);
	fprintf(c->out, "%s,%llu,%llu,%llu\n", c->kind, (unsigned long long)b->lo_ns,
		(unsigned long long)b->hi_ns, (unsigned long long)b->count);
}

int export__csv(FILE *out, const struct report *r)
{
	struct hist_bucket b[HIST_LOG2_SLOTS];

	fputs("state,pid,comm,port,role,completed,open,oldest_open_ns,expired,killed,taken_over,"
	      "bucket_kind,lo_ns,hi_ns,count\n", out);
	for (size_t i = 0; i < r->ngroups; i++) {
		struct csv_ctx c = { .out = out, .g = r->groups[i], .kind = "log2" };
		size_t n = hist__log2_buckets(&c.g->hist, b, HIST_LOG2_SLOTS);

		if (!n) {
			/* Only open sockets: still one row, so the group is there. */
			csv_group_prefix(out, c.g);
			fputs("none,0,0,0\n", out);
			continue;
		}
		for (size_t k = 0; k < n; k++)
			csv_bucket(&b[k], &c);
		c.kind = "fine";
		hist__for_each_fine(&c.g->hist, csv_bucket, &c);
	}
	return ferror(out) ? -EIO : 0;
}

/* ---- Prometheus text ---- */

/* One exported series: groups merged by their label set. */
struct series {
	uint8_t state;
	uint8_t role;
	uint16_t port;
	uint32_t pid;
	char comm[TCPWT_COMM_LEN + 8];
	uint64_t log2[HIST_LOG2_SLOTS];
	uint64_t count;
	uint64_t sum_ns;
	uint64_t open;
	uint64_t oldest_ns;
	uint64_t expired;
	uint64_t killed;
	uint64_t taken_over;
};

static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void labels(FILE *out, const struct series *s, const struct metrics_opts *m,
		   bool with_state)
{
	fputc('{', out);
	if (with_state)
		fprintf(out, "state=\"%s\",", s->state == TCPWT_CLOSE_WAIT ? "close_wait" : "time_wait");
	if (!m->no_pid) {
		if (s->pid)
			fprintf(out, "pid=\"%u\",", s->pid);
		else
			fputs("pid=\"\",", out);
	}
	fputs("comm=\"", out);
	label_value(out, s->comm);
	fprintf(out, "\",port=\"%u\",role=\"%s\"", s->port,
		s->role == ROLE_SERVER ? "server" : "client");
}

/* One sample: NAME{labels EXTRA} V, EXTRA "" or more labels (",le=\"1\""). */
static void sample_u64(FILE *out, const char *name, const struct series *s,
		       const struct metrics_opts *m, bool with_state, const char *extra, uint64_t v)
{
	fputs(name, out);
	labels(out, s, m, with_state);
	fprintf(out, "%s} %llu\n", extra, (unsigned long long)v);
}

static void merge(struct series *s, const struct group *g)
{
	s->count += g->hist.count;
	s->sum_ns += g->hist.sum_ns;
	for (int i = 0; i < HIST_LOG2_SLOTS; i++)
		s->log2[i] += g->hist.log2_ms[i];
	s->open += g->open;
	if (g->oldest_open_ns > s->oldest_ns)
		s->oldest_ns = g->oldest_open_ns;
	s->expired += g->expired;
	s->killed += g->killed;
	s->taken_over += g->taken_over;
}

static struct table *build_series(const struct report *r, const struct metrics_opts *m)
{
	struct table *t = table__new(sizeof(struct series));

	for (size_t i = 0; t && i < r->ngroups; i++) {
		const struct group *g = r->groups[i];
		struct series k = { .state = g->key.state, .role = g->key.role,
				    .port = g->key.port, .pid = m->no_pid ? 0 : g->key.pid };
		struct series *s;
		bool created;

		if (g->key.pid)
			report__sanitize(k.comm, g->key.comm, TCPWT_COMM_LEN);
		else
			snprintf(k.comm, sizeof(k.comm), "%s",
				 strcmp(g->key.comm, TCPWT_PREEXISTING) ? "unknown" : "pre-existing");
		/* Past the cap, everything of a state goes to one "other" series. */
		if (m->max_series && table__len(t) >= m->max_series) {
			memset(&k, 0, sizeof(k));
			k.state = g->key.state;
			strcpy(k.comm, "other");
		}
		s = table__get(t, table__hash(&k, offsetof(struct series, log2)), &created);
		if (!s)
			break;
		if (created)
			memcpy(s, &k, offsetof(struct series, log2));
		merge(s, g);
	}
	return t;
}

static void prom_histogram(FILE *out, struct table *t, uint8_t state, const char *name,
			   const char *help, const struct metrics_opts *m)
{
	char bucket[96], count[96];
	struct series *s;
	size_t pos = 0;

	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(count, sizeof(count), "%s_count", name);
	fprintf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	while ((s = table__next(t, &pos, NULL))) {
		uint64_t cum = 0;

		if (s->state != state)
			continue;
		for (int k = 0; k < PROM_TOP_SLOT; k++) {
			char le[32];

			cum += s->log2[k];
			snprintf(le, sizeof(le), ",le=\"%g\"", (double)(1ULL << (k + 1)) / 1000);
			sample_u64(out, bucket, s, m, false, le, cum);
		}
		sample_u64(out, bucket, s, m, false, ",le=\"+Inf\"", s->count);
		fprintf(out, "%s_sum", name);
		labels(out, s, m, false);
		fprintf(out, "} %.9f\n", s->sum_ns / NS_PER_S);
		sample_u64(out, count, s, m, false, "", s->count);
	}
}

static void prom_gauges(FILE *out, struct table *t, const struct metrics_opts *m)
{
	struct series *s;
	size_t pos = 0;

	fputs("# HELP tcpwaittrace_open_sockets Sockets in the state now.\n"
	      "# TYPE tcpwaittrace_open_sockets gauge\n", out);
	while ((s = table__next(t, &pos, NULL)))
		sample_u64(out, "tcpwaittrace_open_sockets", s, m, true, "", s->open);
	fputs("# HELP tcpwaittrace_oldest_open_seconds Age of the oldest socket in the state now.\n"
	      "# TYPE tcpwaittrace_oldest_open_seconds gauge\n", out);
	pos = 0;
	while ((s = table__next(t, &pos, NULL))) {
		fputs("tcpwaittrace_oldest_open_seconds", out);
		labels(out, s, m, true);
		fprintf(out, "} %.6f\n", s->oldest_ns / NS_PER_S);
	}
	fputs("# HELP tcpwaittrace_time_wait_ended_total TIME_WAIT sockets that ended, by how.\n"
	      "# TYPE tcpwaittrace_time_wait_ended_total counter\n", out);
	pos = 0;
	while ((s = table__next(t, &pos, NULL))) {
		if (s->state != TCPWT_TIME_WAIT)
			continue;
		sample_u64(out, "tcpwaittrace_time_wait_ended_total", s, m, false, ",how=\"expired\"",
			   s->expired);
		sample_u64(out, "tcpwaittrace_time_wait_ended_total", s, m, false, ",how=\"killed\"",
			   s->killed);
	}
	fputs("# HELP tcpwaittrace_time_wait_taken_over_total Of the killed TIME_WAIT sockets, those a connect() took the tuple of (tcp_tw_reuse).\n"
	      "# TYPE tcpwaittrace_time_wait_taken_over_total counter\n", out);
	pos = 0;
	while ((s = table__next(t, &pos, NULL))) {
		if (s->state != TCPWT_TIME_WAIT)
			continue;
		sample_u64(out, "tcpwaittrace_time_wait_taken_over_total", s, m, false, "",
			   s->taken_over);
	}
}

/*
 * For an alert on ports running out (which destination, the report says):
 * where tcp_tw_reuse applies, connect() takes timewait sockets' ports over.
 */
static double port_share_max(const struct report *r)
{
	double max = 0;

	for (size_t i = 0; i < r->n_dests; i++) {
		const struct tw_dest *d = &r->tw_dests[i];

		if (!d->tw_reusable && tw_dest__port_share(d) > max)
			max = tw_dest__port_share(d);
	}
	return max;
}

int export__prom(FILE *out, const struct report *r, const struct metrics_opts *m)
{
	struct table *t = build_series(r, m);

	if (!t)
		return -ENOMEM;
	prom_histogram(out, t, TCPWT_CLOSE_WAIT, "tcpwaittrace_close_wait_seconds",
		       "Time sockets spent in CLOSE_WAIT (the peer closed, the owner had not).", m);
	prom_histogram(out, t, TCPWT_TIME_WAIT, "tcpwaittrace_time_wait_seconds",
		       "Time sockets spent in TIME_WAIT (this side closed first).", m);
	prom_gauges(out, t, m);
	fprintf(out, "# HELP tcpwaittrace_client_port_share_max Highest share of its namespace's ephemeral ports one process's timewait sockets hold from one local address to one destination where tcp_tw_reuse does not apply (of the --top destinations).\n"
		     "# TYPE tcpwaittrace_client_port_share_max gauge\n"
		     "tcpwaittrace_client_port_share_max %.6f\n", port_share_max(r));
	fprintf(out, "# HELP tcpwaittrace_lost_events_total Events the kernel side could not deliver.\n"
		     "# TYPE tcpwaittrace_lost_events_total counter\n"
		     "tcpwaittrace_lost_events_total{reason=\"ringbuf_full\"} %llu\n"
		     "tcpwaittrace_lost_events_total{reason=\"recursion_miss\"} %llu\n",
		(unsigned long long)r->ringbuf_full, (unsigned long long)r->recursion_misses);
	/* Only when measured (--verify-delivery): absent is not zero. */
	if (r->verifying)
		fprintf(out, "tcpwaittrace_lost_events_total{reason=\"undelivered\"} %llu\n",
			(unsigned long long)r->undelivered);
	fprintf(out, "# HELP tcpwaittrace_untracked_sockets_total Sockets the tracer could not follow (start unseen, or a full table).\n"
		     "# TYPE tcpwaittrace_untracked_sockets_total counter\n"
		     "tcpwaittrace_untracked_sockets_total %llu\n",
		(unsigned long long)r->untracked_sockets);
	fprintf(out, "# HELP tcpwaittrace_tw_netns_purged_total Timewait sockets killed by the deletion of their network namespace.\n"
		     "# TYPE tcpwaittrace_tw_netns_purged_total counter\n"
		     "tcpwaittrace_tw_netns_purged_total %llu\n",
		(unsigned long long)r->tw_netns_purged);
	fprintf(out, "# HELP tcpwaittrace_late_events_total Events handled after later-stamped ones (a CPU's ring buffer read late).\n"
		     "# TYPE tcpwaittrace_late_events_total counter\n"
		     "tcpwaittrace_late_events_total %llu\n",
		(unsigned long long)r->late_events);
	fprintf(out, "# HELP tcpwaittrace_tracer_cpu_seconds_total CPU time of the tracer's process since tracing began.\n"
		     "# TYPE tcpwaittrace_tracer_cpu_seconds_total counter\n"
		     "tcpwaittrace_tracer_cpu_seconds_total %.6f\n",
		r->tracer_cpu_s);
	/* Only when the kernel counts them (kernel.bpf_stats_enabled): absent is not zero. */
	if (report__bpf_measured(r))
		fprintf(out, "# HELP tcpwaittrace_bpf_run_seconds_total Time in the tracer's BPF programs while kernel.bpf_stats_enabled=1.\n"
			     "# TYPE tcpwaittrace_bpf_run_seconds_total counter\n"
			     "tcpwaittrace_bpf_run_seconds_total %.9f\n"
			     "# HELP tcpwaittrace_bpf_runs_total Runs of the tracer's BPF programs while kernel.bpf_stats_enabled=1.\n"
			     "# TYPE tcpwaittrace_bpf_runs_total counter\n"
			     "tcpwaittrace_bpf_runs_total %llu\n",
			r->bpf_run_time_ns / 1e9, (unsigned long long)r->bpf_runs);
	table__free(t);
	return ferror(out) ? -EIO : 0;
}

#define REFRESH_NS 1000000000ULL
#define REFRESH_COST_FACTOR 20 /* 5% */

uint64_t export__refresh_wait_ns(uint64_t cost_ns)
{
	if (cost_ns > UINT64_MAX / REFRESH_COST_FACTOR)
		return UINT64_MAX / 2;
	return cost_ns * REFRESH_COST_FACTOR > REFRESH_NS ? cost_ns * REFRESH_COST_FACTOR
							  : REFRESH_NS;
}

char *export__prom_string(const struct report *r, const struct metrics_opts *m, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	if (!out)
		return NULL;
	if (export__prom(out, r, m)) {
		fclose(out);
		free(buf);
		return NULL;
	}
	fclose(out);
	return buf;
}
