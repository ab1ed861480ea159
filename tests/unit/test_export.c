// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Exports: CSV, Prometheus text, atomic files. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "export.h"
#include "report_sample.h"

#define MS 1000000ULL

static char *render(void (*fn)(FILE *, const struct report *), const struct report *r)
{
	char *buf = NULL;
	size_t len;
	FILE *out = open_memstream(&buf, &len);

	fn(out, r);
	fclose(out);
	return buf;
}

static void csv(FILE *out, const struct report *r)
{
	export__csv(out, r);
}

TEST(export_csv_quoting)
{
	struct sample s;
	char *t;
	int rows = 0;

	sample_build(&s, "a,b\"c");
	t = render(csv, &s.rep);
	ASSERT_TRUE(!strncmp(t, "state,pid,comm,port,role,", 25), "header");
	ASSERT_TRUE(strstr(t, "\"a,b\"\"c\""), "RFC 4180 quoting");
	for (char *p = t; (p = strchr(p, '\n')); p++)
		rows++;
	/* header + CLOSE_WAIT (1 log2 + fine rows) + TIME_WAIT (2 log2 + 2 fine) */
	ASSERT_GE(rows, 1 + 2 + 4, "a row per bucket");
	free(t);
	sample_done(&s);
}

TEST(export_prom)
{
	struct metrics_opts m = { .max_series = 500 };
	struct sample s;
	size_t len;
	char *t;

	sample_build(&s, "we\"ird");
	t = export__prom_string(&s.rep, &m, &len);
	if (!ASSERT_TRUE(t, "rendered"))
		goto out;
	ASSERT_TRUE(strstr(t, "# TYPE tcpwaittrace_close_wait_seconds histogram"), "type line");
	ASSERT_TRUE(strstr(t, "tcpwaittrace_close_wait_seconds_bucket{pid=\"10\",comm=\"we\\\"ird\",port=\"8080\",role=\"server\",le=\"0.512\"} 4"),
		    "cumulative bucket, escaped label");
	ASSERT_TRUE(strstr(t, "tcpwaittrace_close_wait_seconds_count{pid=\"10\",comm=\"we\\\"ird\",port=\"8080\",role=\"server\"} 4"),
		    "count");
	ASSERT_TRUE(strstr(t, "how=\"expired\"} 1"), "expired counter");
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_time_wait_taken_over_total{pid=\"11\",comm=\"curl\",port=\"443\",role=\"client\"} 1\n"),
		    "taken over counter");
	ASSERT_TRUE(strstr(t, "tcpwaittrace_open_sockets{state=\"close_wait\",pid=\"10\""), "gauge");
	ASSERT_FALSE(strstr(t, "reason=\"undelivered\""), "undelivered only when measured");
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_client_port_share_max 0.750000\n"),
		    "the highest share of ports to one destination (300 of 400)");
	free(t);
	s.dests[0].tw_reusable = true;
	t = export__prom_string(&s.rep, &m, &len);
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_client_port_share_max 0.100000\n"),
		    "where tcp_tw_reuse applies, not counted (250 and 300: reusable; 40 of 400)");
	free(t);
	s.rep.verifying = true;
	s.rep.undelivered = 7;
	s.rep.tw_netns_purged = 12;
	s.rep.late_events = 5;
	t = export__prom_string(&s.rep, &m, &len);
	ASSERT_TRUE(strstr(t, "tcpwaittrace_lost_events_total{reason=\"undelivered\"} 7"),
		    "undelivered counter when measured");
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_tw_netns_purged_total 12\n"), "purged counter");
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_late_events_total 5\n"), "late counter");
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_tracer_cpu_seconds_total 0.000000\n"), "tracer CPU");
	ASSERT_FALSE(strstr(t, "tcpwaittrace_bpf_run"), "programs' time only when counted");
	free(t);
	s.rep.tracer_cpu_s = 1.25;
	s.rep.bpf_stats_enabled = 1;
	s.rep.bpf_runs = 40;
	s.rep.bpf_run_time_ns = 4000;
	t = export__prom_string(&s.rep, &m, &len);
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_tracer_cpu_seconds_total 1.250000\n"), "tracer CPU");
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_bpf_run_seconds_total 0.000004000\n") &&
		    strstr(t, "\ntcpwaittrace_bpf_runs_total 40\n"), "programs' time when counted");
	free(t);
	s.rep.n_dests = 0;
	t = export__prom_string(&s.rep, &m, &len);
	ASSERT_TRUE(strstr(t, "\ntcpwaittrace_client_port_share_max 0.000000\n"), "none: 0");
	free(t);
	m.no_pid = true;
	m.max_series = 1;
	t = export__prom_string(&s.rep, &m, &len);
	ASSERT_FALSE(strstr(t, "pid=\""), "no pid label");
	ASSERT_TRUE(strstr(t, "comm=\"other\""), "series past the cap go to other");
	free(t);
out:
	sample_done(&s);
}

/* Metrics refresh every second, or at most 5% of a core when a refresh is slow. */
TEST(export_refresh_wait)
{
	static const struct {
		uint64_t cost_ns, want_ns;
	} cases[] = {
		{ 0, 1000000000ULL },
		{ 2000000, 1000000000ULL }, /* 2 ms: a second */
		{ 50000000, 1000000000ULL }, /* 50 ms: 5% at a second */
		{ 100000000, 2000000000ULL }, /* 100 ms, a million sockets: every 2 s */
		{ 3000000000ULL, 60000000000ULL },
		{ UINT64_MAX, UINT64_MAX / 2 }, /* no overflow */
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (!ASSERT_EQ(export__refresh_wait_ns(cases[i].cost_ns), cases[i].want_ns, "wait"))
			printf("    cost %llu ns\n", (unsigned long long)cases[i].cost_ns);
}

TEST(export_format_and_atomic_write)
{
	char dir[] = "/tmp/tcpwt-export.XXXXXX", path[128];
	enum export_format f;
	struct sample s;

	ASSERT_EQ(export__format("/x/r.csv", NULL, &f), 0, "csv");
	ASSERT_EQ(f, EXPORT_CSV, "csv format");
	ASSERT_NEQ(export__format("/x/r", NULL, &f), 0, "no extension");
	ASSERT_NEQ(export__format("/x.d/r", NULL, &f), 0, "dot in the directory only");
	ASSERT_EQ(export__format("/x/r", "prom", &f), 0, "explicit");
	if (!ASSERT_TRUE(mkdtemp(dir), "tmpdir"))
		return;
	snprintf(path, sizeof(path), "%s/r.json", dir);
	sample_build(&s, "x");
	ASSERT_EQ(export__check_path(path), 0, "writable");
	ASSERT_EQ(export__write(path, EXPORT_JSON, &s.rep, NULL), 0, "write");
	ASSERT_EQ(access(path, R_OK), 0, "file there");
	snprintf(path, sizeof(path), "%s/none/r.json", dir);
	ASSERT_NEQ(export__check_path(path), 0, "missing directory");
	ASSERT_NEQ(export__write(path, EXPORT_JSON, &s.rep, NULL), 0, "write fails cleanly");
	sample_done(&s);
	snprintf(path, sizeof(path), "%s/r.json", dir);
	unlink(path);
	ASSERT_EQ(rmdir(dir), 0, "no temporary file left behind");
}
