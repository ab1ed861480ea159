// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Report writers: durations, names, the text report and the JSON one. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "check.h"
#include "report.h"
#include "report_sample.h"

#define MS 1000000ULL
#define S 1000000000ULL

static char *text(const struct report *r)
{
	char *buf = NULL;
	size_t len;
	FILE *out = open_memstream(&buf, &len);

	report__text(out, r);
	fclose(out);
	return buf;
}

TEST(report_fmt_duration)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "0us" },
		{ 999, "0us" },
		{ 42 * 1000, "42us" },
		{ 999 * 1000, "999us" },
		{ 999999, "999us" },
		{ 1 * MS, "1.0ms" },
		{ 250800 * 1000, "250.8ms" },
		{ 1500 * MS, "1.50s" },
		{ 90 * S, "90.00s" },
		{ 599 * S, "599.00s" },
		{ 600 * S, "10m00s" },
		{ 3725 * S, "62m05s" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		report__fmt_duration(buf, sizeof(buf), cases[i].ns);
		if (!ASSERT_STREQ(buf, cases[i].want, "duration"))
			printf("    %llu ns\n", (unsigned long long)cases[i].ns);
	}
	report__fmt_duration(buf, sizeof(buf), UINT64_MAX);
	ASSERT_STREQ(buf, "307445734m33s", "the largest");
	memset(buf, 'x', sizeof(buf));
	report__fmt_duration(buf, 4, 3725 * S);
	ASSERT_STREQ(buf, "62m", "truncated to len");
	ASSERT_EQ(buf[4], 'x', "nothing written past len");
}

TEST(report_sanitize)
{
	char buf[32];

	report__sanitize(buf, "nginx", sizeof(buf));
	ASSERT_STREQ(buf, "nginx", "plain");
	report__sanitize(buf, "a\tb\x1b[31m\x7f\x80\xff", sizeof(buf));
	ASSERT_STREQ(buf, "a?b?[31m???", "control bytes, DEL and high bytes replaced");
	report__sanitize(buf, "caf\xc3\xa9\n", sizeof(buf));
	ASSERT_STREQ(buf, "caf???", "UTF-8 too");
	report__sanitize(buf, " ~!", sizeof(buf));
	ASSERT_STREQ(buf, " ~!", "printable ASCII kept");
	memset(buf, 'x', sizeof(buf));
	report__sanitize(buf, "abcdef", 4);
	ASSERT_STREQ(buf, "abc", "truncated to len");
	ASSERT_EQ(buf[4], 'x', "nothing written past len");
	report__sanitize(buf, "abc", 4);
	ASSERT_STREQ(buf, "abc", "exact fit");
	report__sanitize(buf, "abc", 1);
	ASSERT_STREQ(buf, "", "len 1: empty");
}

TEST(report_text)
{
	char *t, *line, *save;
	bool in_tw = false;
	struct sample s;

	sample_build(&s, "java");
	t = text(&s.rep);
	if (!ASSERT_TRUE(t, "rendered"))
		goto out;
	ASSERT_TRUE(strstr(t, "CLOSE_WAIT") != NULL, "CLOSE_WAIT");
	ASSERT_TRUE(strstr(t, "TIME_WAIT") != NULL, "TIME_WAIT");
	ASSERT_TRUE(strstr(t, "java") != NULL, "comm");
	ASSERT_TRUE(strstr(t, "curl") != NULL, "the other comm");
	ASSERT_TRUE(strstr(t, " 8080 ") != NULL, "port");
	ASSERT_TRUE(strstr(t, " 443 ") != NULL, "the other port");
	ASSERT_TRUE(strstr(t, "EXPIRED") != NULL, "EXPIRED column");
	ASSERT_TRUE(strstr(t, "\nKILLED includes timewait sockets a connect() took over "
			      "(tcp_tw_reuse): 1 of curl[11] on port 443.\n") != NULL,
		    "kills that were takeovers, under the table");
	ASSERT_TRUE(strstr(t, "holds 1 server socket on port 8080 in CLOSE_WAIT") != NULL,
		    "the finding first");
	ASSERT_TRUE(strstr(t, "10.0.0.1:8080 -> 10.0.0.2:40000") != NULL, "IPv4 tuple");
	ASSERT_TRUE(strstr(t, "[2001:db8::1]:8080 -> [2001:db8::2]:40000") != NULL, "IPv6 tuple");
	ASSERT_TRUE(strstr(t, " 443 client 10.0.0.4:40001 -> 10.0.0.3:443\n") != NULL,
		    "TIME_WAIT: its own address and port, its peer");
	ASSERT_TRUE(strstr(t, " 443 client *:40002 -> 10.0.0.3:443\n") != NULL,
		    "TIME_WAIT: its own address not kept, its port");
	ASSERT_TRUE(strstr(t, "* curl[9] holds 300 client ports from 10.0.0.4 to 10.0.0.3:443 in "
			      "timewait sockets, "
			      "75% of the 400 ephemeral ports: new connections there may fail") != NULL,
		    "finding: a destination's ports running out");
	ASSERT_TRUE(strstr(t, "* curl[9] holds 250 client ports from 10.0.0.4 to 10.0.0.3:8443 in "
			      "timewait sockets, "
			      "62% of the 400 ephemeral ports: tcp_tw_reuse lets connect() take "
			      "their ports over once they are old enough (1 s by default).\n") != NULL,
		    "finding: ports held where tcp_tw_reuse applies");
	ASSERT_FALSE(strstr(t, "holds 40 client ports"), "no finding at 10%");
	ASSERT_TRUE(strstr(t, "LOCAL -> DESTINATION") != NULL, "destinations listed");
	ASSERT_TRUE(strstr(t, "curl            10.0.0.4 -> 10.0.0.3:443 ") != NULL &&
		    strstr(t, "     300    400  75.0%    no\n") != NULL,
		    "the first: sockets, ports, share, reuse");
	ASSERT_TRUE(strstr(t, "     250    400  62.5%   yes\n") != NULL, "reuse applies");
	ASSERT_TRUE(strstr(t, "2001:db8::4 -> [2001:db8::3]:443") != NULL &&
		    strstr(t, "      40    400  10.0%    no\n") != NULL, "the third");
	ASSERT_TRUE(strstr(t, "* -> 10.0.0.3:443") != NULL &&
		    strstr(t, "       5      0      -     -\n") != NULL,
		    "settings unknown, from an address not kept");
	ASSERT_FALSE(strstr(t, "WARNING"), "no warning without losses");
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* Sentences are not tables; the TIME_WAIT table is 105 wide (README). */
		if (!strncmp(line, "* ", 2) || !strncmp(line, "WARNING", 7))
			continue;
		if (!strncmp(line, "TIME_WAIT: ", 11))
			in_tw = true;
		else if (!strncmp(line, "CLOSE_WAIT, ", 12) || !strncmp(line, "TIME_WAIT, ", 11))
			in_tw = false;
		if (!ASSERT_LE(strlen(line), in_tw ? 105 : 100, "line width"))
			printf("    '%s'\n", line);
	}
	free(t);
out:
	sample_done(&s);
}

TEST(report_text_warning)
{
	struct sample s;
	char *t;

	sample_build(&s, "java");
	s.rep.recursion_misses_benign = 9;
	t = text(&s.rep);
	ASSERT_FALSE(strstr(t, "WARNING"), "benign misses lose nothing");
	free(t);
	s.rep.ringbuf_full = 3;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "WARNING: 3 events lost") != NULL, "ring buffer full");
	free(t);
	s.rep.ringbuf_full = 0;
	s.rep.recursion_misses = 2;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "WARNING: 2 events lost") != NULL, "recursion misses");
	free(t);
	s.rep.recursion_misses = 0;
	s.rep.untracked_sockets = 5;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "WARNING") && strstr(t, "5 sockets untracked"), "untracked");
	ASSERT_TRUE(strstr(t, "(not counted: --verify-delivery)") != NULL,
		    "says undelivered hits were not counted");
	ASSERT_FALSE(strstr(t, "Delivery:"), "no delivery line without the flag");
	free(t);
	s.rep.untracked_sockets = 0;
	s.rep.verifying = true;
	s.rep.state_hits = 1000;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "Delivery: 1000 hits") != NULL, "delivery line when verifying");
	ASSERT_FALSE(strstr(t, "WARNING"), "all delivered: no warning");
	free(t);
	s.rep.undelivered = 6;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "WARNING: 6 events lost") && strstr(t, "6 never delivered)"),
		    "undelivered hits are lost events");
	free(t);
	sample_done(&s);
}

/* Every row of a table as wide as its header: the columns line up. */
TEST(report_text_columns_aligned)
{
	struct group_key pre = { .state = TCPWT_TIME_WAIT, .role = ROLE_CLIENT, .port = 443,
				 .comm = "(pre-existing)" };
	struct group_key big = { .state = TCPWT_CLOSE_WAIT, .role = ROLE_SERVER, .port = 65535,
				 .pid = 4194304, .comm = "fifteen-chars-x" };
	char *t, *line, *save;
	size_t header = 0;
	struct sample s;
	bool created;

	sample_build(&s, "java");
	agg__add_open(s.agg, agg__group(s.agg, &pre, &created), 30 * S, true, false, false);
	agg__complete(s.agg, agg__group(s.agg, &big, &created), 3725 * S, TW_END_NONE);
	free(s.rep.groups);
	s.rep.ngroups = agg__sorted(s.agg, &s.rep.groups);
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "(pre-existing)") != NULL, "pre-existing named");
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "PID ", 4)) {
			header = strlen(line);
			continue;
		}
		if (!header || !strncmp(line, "(none", 5) || !line[0] || !strchr("0123456789", line[0])) {
			header = 0;
			continue;
		}
		if (!ASSERT_EQ(strlen(line), header, "row as wide as its header"))
			printf("    '%s'\n", line);
	}
	free(t);
	sample_done(&s);
}

static bool has_keys(json_t *o, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ASSERT_TRUE(json_object_get(o, keys[i]), keys[i]))
			return false;
	return true;
}

/* The report as the tracer writes it, parsed back. */
static json_t *json_of(const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_error_t err;
	json_t *root = NULL;

	if (!out)
		return NULL;
	if (ASSERT_EQ(report__json_write(out, r), 0, "written")) {
		fclose(out);
		root = json_loads(buf, 0, &err);
		ASSERT_TRUE(root, err.text);
	} else {
		fclose(out);
	}
	free(buf);
	return root;
}

/* obj[a][b], or NULL. */
static json_t *json_object_path(json_t *obj, const char *a, const char *b)
{
	return json_object_get(json_object_get(obj, a), b);
}

TEST(report_json)
{
	static const char *const keys[] = { "state", "pid", "comm", "port", "role", "completed",
					    "open", "oldest_open_ns", "min_ns", "p50_ns", "p90_ns",
					    "p99_ns", "max_ns", "histogram" };
	static const char *const tw_keys[] = { "expired", "killed", "taken_over" };
	json_t *root, *groups, *g, *b;
	size_t i, j, ncw = 0, ntw = 0;
	struct sample s;

	sample_build(&s, "ja\"va\n");
	s.rep.ringbuf_full = 2;
	s.rep.recursion_misses = 3;
	s.rep.recursion_misses_benign = 7;
	s.rep.untracked_sockets = 4;
	root = json_of(&s.rep);
	if (!ASSERT_TRUE(json_is_object(root), "an object"))
		goto out;
	ASSERT_EQ(json_integer_value(json_object_get(root, "lost_events")), 5,
		  "lost_events = ringbuf_full + recursion_misses");
	ASSERT_EQ(json_integer_value(json_object_get(root, "untracked_sockets")), 4, "untracked");
	ASSERT_EQ(json_integer_value(json_object_get(root, "schema")), REPORT_SCHEMA, "schema");
	ASSERT_TRUE(json_is_null(json_object_get(root, "state_hits")) &&
		    json_is_null(json_object_get(root, "undelivered_events")),
		    "delivery not measured: null, not 0");
	groups = json_object_get(root, "groups");
	if (!ASSERT_TRUE(json_is_array(groups), "groups array") ||
	    !ASSERT_EQ(json_array_size(groups), 2, "two groups"))
		goto out;
	json_array_foreach(groups, i, g) {
		const char *state = json_string_value(json_object_get(g, "state"));
		json_int_t sum = 0;

		if (!has_keys(g, keys, ARRAY_LEN(keys)) || !ASSERT_TRUE(state, "state string"))
			continue;
		ASSERT_TRUE(json_is_integer(json_object_get(g, "pid")), "pid known");
		json_array_foreach(json_object_get(g, "histogram"), j, b)
			sum += json_integer_value(json_object_get(b, "count"));
		ASSERT_EQ(sum, json_integer_value(json_object_get(g, "completed")),
			  "histogram adds up");
		if (!strcmp(state, "TIME_WAIT")) {
			ntw++;
			has_keys(g, tw_keys, ARRAY_LEN(tw_keys));
			ASSERT_EQ(json_integer_value(json_object_get(g, "expired")), 1, "expired");
			ASSERT_EQ(json_integer_value(json_object_get(g, "killed")), 1, "killed");
			ASSERT_EQ(json_integer_value(json_object_get(g, "taken_over")), 1,
				  "taken over (of killed)");
			ASSERT_STREQ(json_string_value(json_object_get(g, "role")), "client", "role");
			ASSERT_EQ(json_integer_value(json_object_get(g, "max_ns")), 60 * S, "max");
		} else {
			ncw++;
			ASSERT_FALSE(json_object_get(g, "expired") || json_object_get(g, "killed") ||
				     json_object_get(g, "taken_over"),
				     "CLOSE_WAIT has neither");
			ASSERT_STREQ(json_string_value(json_object_get(g, "comm")), "ja\"va?",
				     "comm sanitized");
			ASSERT_EQ(json_integer_value(json_object_get(g, "port")), 8080, "port");
			ASSERT_EQ(json_integer_value(json_object_get(g, "pid")), 10, "pid");
			ASSERT_EQ(json_integer_value(json_object_get(g, "completed")), 4, "completed");
			ASSERT_EQ(json_integer_value(json_object_get(g, "open")), 1, "open");
			ASSERT_EQ(json_integer_value(json_object_get(g, "oldest_open_ns")), 5 * S,
				  "oldest");
			ASSERT_EQ(json_integer_value(json_object_get(g, "min_ns")), 300 * MS, "min");
			ASSERT_NEAR(json_integer_value(json_object_get(g, "p50_ns")), 301 * MS,
				    0.016 * 301 * MS, "p50");
		}
	}
	ASSERT_TRUE(ncw == 1 && ntw == 1, "one group of each state");
	g = json_object_get(root, "oldest_open");
	if (ASSERT_EQ(json_array_size(g), 4, "four open sockets listed")) {
		json_t *cw = json_array_get(g, 0), *tw = json_array_get(g, 2);

		ASSERT_STREQ(json_string_value(json_object_path(cw, "local", "addr")), "10.0.0.1",
			     "CLOSE_WAIT: its own address");
		ASSERT_STREQ(json_string_value(json_object_get(tw, "state")), "TIME_WAIT", "then");
		ASSERT_STREQ(json_string_value(json_object_path(tw, "local", "addr")), "10.0.0.4",
			     "TIME_WAIT: its own address");
		ASSERT_FALSE(json_object_path(json_array_get(g, 3), "local", "addr"),
			     "TIME_WAIT: its own address not kept: none, rather than a wrong one");
		ASSERT_EQ(json_integer_value(json_object_path(tw, "local", "port")), 40001,
			  "TIME_WAIT: its own port");
		ASSERT_STREQ(json_string_value(json_object_path(tw, "remote", "addr")), "10.0.0.3",
			     "TIME_WAIT: its peer");
		ASSERT_EQ(json_integer_value(json_object_path(tw, "remote", "port")), 443,
			  "TIME_WAIT: the peer's port");
	}
	g = json_object_get(root, "tw_destinations");
	if (ASSERT_EQ(json_array_size(g), 4, "four destinations")) {
		json_t *d0 = json_array_get(g, 0), *d1 = json_array_get(g, 1);
		json_t *d3 = json_array_get(g, 3);

		ASSERT_EQ(json_integer_value(json_object_get(d0, "pid")), 9, "owner");
		ASSERT_STREQ(json_string_value(json_object_get(d0, "comm")), "curl", "its name");
		ASSERT_STREQ(json_string_value(json_object_path(d0, "remote", "addr")), "10.0.0.3",
			     "destination");
		ASSERT_EQ(json_integer_value(json_object_path(d0, "remote", "port")), 443, "its port");
		ASSERT_STREQ(json_string_value(json_object_get(d0, "local_addr")), "10.0.0.4",
			     "from");
		ASSERT_TRUE(json_is_null(json_object_get(d3, "local_addr")), "from an address not kept");
		ASSERT_EQ(json_integer_value(json_object_get(d0, "sockets")), 300, "sockets");
		ASSERT_EQ(json_integer_value(json_object_get(d0, "ephemeral_ports")), 400, "range");
		ASSERT_NEAR(json_real_value(json_object_get(d0, "port_share")), 0.75, 1e-9, "share");
		ASSERT_EQ(json_integer_value(json_object_get(d0, "tcp_tw_reuse")), 0, "reuse off");
		ASSERT_TRUE(json_is_false(json_object_get(d0, "tw_reusable")), "not reusable");
		ASSERT_EQ(json_integer_value(json_object_get(d1, "tcp_tw_reuse")), 1, "reuse on");
		ASSERT_TRUE(json_is_true(json_object_get(d1, "tw_reusable")), "reusable");
		ASSERT_TRUE(json_is_null(json_object_get(d3, "port_share")),
			    "range unknown: null, not 0");
		ASSERT_TRUE(json_is_null(json_object_get(d3, "tcp_tw_reuse")),
			    "reuse unknown: null");
	}
out:
	json_decref(root);
	sample_done(&s);
}

TEST(report_json_line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_error_t err;
	struct sample s;
	json_t *root;

	sample_build(&s, "x");
	s.rep.ringbuf_full = 1;
	s.rep.verifying = true;
	s.rep.state_hits = 500;
	s.rep.undelivered = 2;
	ASSERT_EQ(report__json_line(out, &s.rep), 0, "written");
	fclose(out);
	ASSERT_TRUE(len && buf[len - 1] == '\n' && !memchr(buf, '\n', len - 1), "one line");
	root = json_loads(buf, 0, &err);
	if (ASSERT_TRUE(root, "parses back")) {
		ASSERT_EQ(json_integer_value(json_object_get(root, "lost_events")), 3,
			  "lost = ring buffer + undelivered");
		ASSERT_EQ(json_integer_value(json_object_get(root, "state_hits")), 500, "hits");
		ASSERT_EQ(json_integer_value(json_object_get(root, "undelivered_events")), 2,
			  "undelivered");
	}
	json_decref(root);
	free(buf);
	sample_done(&s);
}

/* The tracer's own cost: its CPU always, its programs' only when the kernel counted them. */
TEST(report_own_cost)
{
	struct sample s;
	json_t *root;
	char *t;

	sample_build(&s, "java");
	s.rep.tracer_cpu_s = 0.12;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "own cost: 0.120 s of CPU in its process (2.0% of one CPU);") != NULL,
		    "CPU and its share of the 6 s traced");
	ASSERT_TRUE(strstr(t, "BPF programs' time is not counted: sysctl kernel.bpf_stats_enabled=1") != NULL,
		    "says how to count the programs' time");
	free(t);
	root = json_of(&s.rep);
	ASSERT_TRUE(json_real_value(json_object_get(root, "tracer_cpu_s")) == 0.12, "tracer_cpu_s");
	ASSERT_TRUE(json_is_null(json_object_get(root, "bpf_runs")) &&
		    json_is_null(json_object_get(root, "bpf_run_time_ns")),
		    "programs' time not counted: null, not 0");
	ASSERT_TRUE(json_is_false(json_object_get(root, "bpf_stats_enabled")), "bpf_stats off");
	json_decref(root);
	s.rep.bpf_stats_enabled = 1;
	s.rep.bpf_stats_all_along = true;
	s.rep.bpf_runs = 3000000;
	s.rep.bpf_run_time_ns = 300000000;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "its BPF programs 0.300 s (5.0% of one CPU), 3000000 runs of 100 ns.\n") != NULL,
		    "programs' time, share and time a run");
	free(t);
	root = json_of(&s.rep);
	ASSERT_EQ(json_integer_value(json_object_get(root, "bpf_runs")), 3000000, "bpf_runs");
	ASSERT_EQ(json_integer_value(json_object_get(root, "bpf_run_time_ns")), 300000000,
		  "bpf_run_time_ns");
	ASSERT_TRUE(json_is_true(json_object_get(root, "bpf_stats_enabled")), "bpf_stats on");
	json_decref(root);
	s.rep.bpf_stats_all_along = false;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "its BPF programs 0.300 s, 3000000 runs of 100 ns.\n") != NULL,
		    "turned on after tracing began: no share of the time traced");
	free(t);
	s.rep.bpf_stats_enabled = 0;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "3000000 runs of 100 ns while bpf_stats was on.\n") != NULL,
		    "counted earlier, off now: says so");
	free(t);
	s.rep.bpf_stats_enabled = -1;
	root = json_of(&s.rep);
	ASSERT_TRUE(json_is_null(json_object_get(root, "bpf_stats_enabled")), "unreadable: null");
	json_decref(root);
	sample_done(&s);
}

/* Timewait sockets measured or adopted though their birth was unseen: said in text, counted in JSON. */
TEST(report_tw_unseen_recovered)
{
	struct tracker_stats st = { .tw_unseen_births = 5, .tw_unseen_recovered = 3,
				    .tw_adopted = 2 };
	struct sample s;
	json_t *root;
	char *t;

	sample_build(&s, "java");
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "measured at their end") == NULL, "no stats: no line");
	free(t);
	s.rep.stats = &st;
	t = text(&s.rep);
	ASSERT_TRUE(strstr(t, "\n3 timewait sockets whose birth the tracer did not see were measured "
			      "at their end, from their timer (to the jiffy), and given their owner "
			      "by their close.\n") != NULL,
		    "the recovered ones");
	ASSERT_TRUE(strstr(t, "\n2 timewait sockets whose birth the tracer did not see were found "
			      "in TIME_WAIT by listing the host's sockets: shown open since, their "
			      "ages from their timer, their owner from their close where it was "
			      "seen.\n") != NULL,
		    "the adopted ones");
	free(t);
	root = json_of(&s.rep);
	ASSERT_EQ(json_integer_value(json_object_get(root, "tw_unseen_births")), 5, "unseen");
	ASSERT_EQ(json_integer_value(json_object_get(root, "tw_unseen_recovered")), 3, "recovered");
	ASSERT_EQ(json_integer_value(json_object_get(root, "tw_adopted")), 2, "adopted");
	json_decref(root);
	s.rep.stats = NULL;
	sample_done(&s);
}
