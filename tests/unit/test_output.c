// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Report writers: text, JSON, CSV, Prometheus text. */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "export.h"

#define MS 1000000ULL

struct sample {
	struct config cfg;
	struct agg *agg;
	struct report rep;
};

static void build(struct sample *s, const char *comm)
{
	struct group_key cw = { .state = TCPWT_CLOSE_WAIT, .role = ROLE_SERVER, .port = 8080, .pid = 10 };
	struct group_key tw = { .state = TCPWT_TIME_WAIT, .role = ROLE_CLIENT, .port = 443, .pid = 11 };
	bool created;
	uint64_t a, b;

	memset(s, 0, sizeof(*s));
	s->cfg.top = 10;
	s->agg = agg__new();
	strncpy(cw.comm, comm, sizeof(cw.comm) - 1);
	strcpy(tw.comm, "curl");
	a = agg__group(s->agg, &cw, &created);
	b = agg__group(s->agg, &tw, &created);
	for (int i = 0; i < 4; i++)
		agg__complete(s->agg, a, (300 + i) * MS, TW_END_NONE);
	agg__complete(s->agg, b, 60000 * MS, TW_END_EXPIRED);
	agg__complete(s->agg, b, 2000 * MS, TW_END_KILLED);
	agg__add_open(s->agg, a, 5000 * MS, false, false, false);
	s->rep.cfg = &s->cfg;
	s->rep.ngroups = agg__sorted(s->agg, &s->rep.groups);
	s->rep.host = "h";
	s->rep.kernel = "k";
}

static void done(struct sample *s)
{
	free(s->rep.groups);
	agg__free(s->agg);
}

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

TEST(report_durations_and_sanitize)
{
	char buf[32];

	report__fmt_duration(buf, sizeof(buf), 0);
	ASSERT_STREQ(buf, "0us", "zero");
	report__fmt_duration(buf, sizeof(buf), 999000);
	ASSERT_STREQ(buf, "999us", "us");
	report__fmt_duration(buf, sizeof(buf), 1500 * MS);
	ASSERT_STREQ(buf, "1.50s", "s");
	report__fmt_duration(buf, sizeof(buf), 3725ULL * 1000 * MS);
	ASSERT_STREQ(buf, "62m05s", "minutes");
	report__sanitize(buf, "a\tb\x1b[31m\xff", sizeof(buf));
	ASSERT_STREQ(buf, "a?b?[31m?", "control and high bytes replaced");
	report__sanitize(buf, "abcdef", 4);
	ASSERT_STREQ(buf, "abc", "truncated");
}

TEST(report_text)
{
	struct sample s;
	char *t, *line, *save;

	build(&s, "java");
	t = render(report__text, &s.rep);
	ASSERT_TRUE(strstr(t, "CLOSE_WAIT") && strstr(t, "java") && strstr(t, "8080") &&
			    strstr(t, "EXPIRED"), "tables");
	ASSERT_TRUE(strstr(t, "holds 1 server socket on port 8080 in CLOSE_WAIT"), "finding");
	ASSERT_FALSE(strstr(t, "WARNING"), "no warning without losses");
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(line, "* "))
			ASSERT_LE(strlen(line), 110, "table width");
	free(t);
	s.rep.ringbuf_full = 3;
	t = render(report__text, &s.rep);
	ASSERT_TRUE(strstr(t, "WARNING: 3 events lost"), "warning with losses");
	free(t);
	done(&s);
}

TEST(report_json)
{
	static const char *keys[] = { "state", "pid", "comm", "port", "role", "completed", "open",
				      "oldest_open_ns", "min_ns", "p50_ns", "p90_ns", "p99_ns",
				      "max_ns", "histogram", "fine_histogram", "cmdline" };
	struct sample s;
	json_t *root, *g;
	size_t i;

	build(&s, "ja\"va\n");
	s.rep.ringbuf_full = 2;
	s.rep.recursion_misses = 3;
	s.rep.untracked_sockets = 4;
	root = report__json(&s.rep);
	ASSERT_EQ(json_integer_value(json_object_get(root, "schema")), 1, "schema");
	ASSERT_EQ(json_integer_value(json_object_get(root, "lost_events")), 5, "lost = full + misses");
	ASSERT_EQ(json_integer_value(json_object_get(root, "untracked_sockets")), 4, "untracked");
	json_array_foreach(json_object_get(root, "groups"), i, g) {
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!ASSERT_TRUE(json_object_get(g, keys[k]), keys[k]))
				break;
		if (!strcmp(json_string_value(json_object_get(g, "state")), "TIME_WAIT")) {
			ASSERT_EQ(json_integer_value(json_object_get(g, "expired")), 1, "expired");
			ASSERT_EQ(json_integer_value(json_object_get(g, "killed")), 1, "killed");
		} else {
			ASSERT_STREQ(json_string_value(json_object_get(g, "comm")), "ja\"va?",
				     "comm sanitized");
			ASSERT_NEAR(json_integer_value(json_object_get(g, "p50_ns")), 301 * MS,
				    0.016 * 301 * MS, "p50");
		}
	}
	json_decref(root);
	done(&s);
}

TEST(export_csv_quoting)
{
	struct sample s;
	char *t;
	int rows = 0;

	build(&s, "a,b\"c");
	t = render(csv, &s.rep);
	ASSERT_TRUE(!strncmp(t, "state,pid,comm,port,role,", 25), "header");
	ASSERT_TRUE(strstr(t, "\"a,b\"\"c\""), "RFC 4180 quoting");
	for (char *p = t; (p = strchr(p, '\n')); p++)
		rows++;
	/* header + CLOSE_WAIT (1 log2 + fine rows) + TIME_WAIT (2 log2 + 2 fine) */
	ASSERT_GE(rows, 1 + 2 + 4, "a row per bucket");
	free(t);
	done(&s);
}

TEST(export_prom)
{
	struct metrics_opts m = { .max_series = 500 };
	struct sample s;
	size_t len;
	char *t;

	build(&s, "we\"ird");
	t = export__prom_string(&s.rep, &m, &len);
	if (!ASSERT_TRUE(t, "rendered"))
		goto out;
	ASSERT_TRUE(strstr(t, "# TYPE tcpwaittrace_close_wait_seconds histogram"), "type line");
	ASSERT_TRUE(strstr(t, "tcpwaittrace_close_wait_seconds_bucket{pid=\"10\",comm=\"we\\\"ird\",port=\"8080\",role=\"server\",le=\"0.512\"} 4"),
		    "cumulative bucket, escaped label");
	ASSERT_TRUE(strstr(t, "tcpwaittrace_close_wait_seconds_count{pid=\"10\",comm=\"we\\\"ird\",port=\"8080\",role=\"server\"} 4"),
		    "count");
	ASSERT_TRUE(strstr(t, "how=\"expired\"} 1"), "expired counter");
	ASSERT_TRUE(strstr(t, "tcpwaittrace_open_sockets{state=\"close_wait\",pid=\"10\""), "gauge");
	free(t);
	m.no_pid = true;
	m.max_series = 1;
	t = export__prom_string(&s.rep, &m, &len);
	ASSERT_FALSE(strstr(t, "pid=\""), "no pid label");
	ASSERT_TRUE(strstr(t, "comm=\"other\""), "series past the cap go to other");
	free(t);
out:
	done(&s);
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
	build(&s, "x");
	ASSERT_EQ(export__check_path(path), 0, "writable");
	ASSERT_EQ(export__write(path, EXPORT_JSON, &s.rep, NULL), 0, "write");
	ASSERT_EQ(access(path, R_OK), 0, "file there");
	snprintf(path, sizeof(path), "%s/none/r.json", dir);
	ASSERT_NEQ(export__check_path(path), 0, "missing directory");
	ASSERT_NEQ(export__write(path, EXPORT_JSON, &s.rep, NULL), 0, "write fails cleanly");
	done(&s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path))
		perror("rm");
}
