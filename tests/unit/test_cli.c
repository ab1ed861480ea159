// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Command line: every valid combination parsed, every bad input refused with 2. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "cli.h"

#define MAX_ARGS 160

/* What the last parse wrote on stderr. */
static char err_text[4096];
static char out_text[16384];
static int err_lines;

/* Points one stdio stream (and its fd) at fd while argp writes to it. */
static int redirect(FILE *f, int fd)
{
	int saved;

	fflush(f);
	saved = dup(fileno(f));
	dup2(fd, fileno(f));
	return saved;
}

static void restore(FILE *f, int saved)
{
	fflush(f);
	dup2(saved, fileno(f));
	close(saved);
}

/* argv is a fresh copy each time: argp may permute it. */
static int parsev(struct config *cfg, int n, const char *const *args)
{
	char *argv[MAX_ARGS + 2] = { "tcpwaittrace" };
	int err_fd, out_fd, ret;
	FILE *err = tmpfile(), *out = tmpfile();
	size_t len;

	for (int i = 0; i < n && i < MAX_ARGS; i++)
		argv[i + 1] = (char *)args[i];
	err_fd = redirect(stderr, fileno(err));
	out_fd = redirect(stdout, fileno(out));
	ret = cli__parse(n + 1, argv, cfg);
	restore(stdout, out_fd);
	restore(stderr, err_fd);
	rewind(out);
	len = fread(out_text, 1, sizeof(out_text) - 1, out);
	out_text[len] = '\0';
	fclose(out);
	rewind(err);
	len = fread(err_text, 1, sizeof(err_text) - 1, err);
	err_text[len] = '\0';
	fclose(err);
	err_lines = 0;
	for (size_t i = 0; i < len; i++)
		err_lines += err_text[i] == '\n';
	return ret;
}

static int parse(struct config *cfg, ...)
{
	const char *args[MAX_ARGS];
	int n = 0;
	va_list ap;

	va_start(ap, cfg);
	while (n < MAX_ARGS && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	return parsev(cfg, n, args);
}

#define PARSE(cfg, ...) parse(cfg, ##__VA_ARGS__, (const char *)NULL)

static const char *self_pid(void)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%d", getpid());
	return buf;
}

TEST(cli_defaults)
{
	struct config c;

	if (!ASSERT_EQ(PARSE(&c), 0, "no options"))
		return;
	ASSERT_EQ(c.npids + c.nports + c.family, 0, "no filter");
	ASSERT_EQ(c.top, 10, "default top");
	ASSERT_EQ(c.interval + c.count + c.duration, 0, "one report at a signal");
	ASSERT_EQ(c.output, OUTPUT_TEXT, "text");
	ASSERT_EQ(c.ringbuf_bytes, 0, "ring buffers sized for the CPUs by the loader");
	ASSERT_EQ(c.closers_max, 65536, "closers");
	ASSERT_FALSE(c.verbose || c.exit_now || c.verify_delivery, "flags");
	ASSERT_EQ(c.fault_skip_main + c.fault_skip_backup, 0, "no fault injected");
}

/* Hidden, for tests: --fault-skip MAIN,BACKUP. */
TEST(cli_fault_skip)
{
	static const char *bad[] = { "3", "3,", ",5", "a,5", "3,b", "3,5,7", "-1,5", "3;5",
				     "1000001,1", "1,1000001", "12345678901234567,1", "" };
	struct config c;

	if (!ASSERT_EQ(PARSE(&c, "--fault-skip", "3,5"), 0, "3,5"))
		return;
	ASSERT_EQ(c.fault_skip_main, 3, "main period");
	ASSERT_EQ(c.fault_skip_backup, 5, "backup period");
	ASSERT_EQ(PARSE(&c, "--fault-skip=0,1000000"), 0, "bounds");
	ASSERT_EQ(c.fault_skip_main, 0, "main never skipped");
	ASSERT_EQ(c.fault_skip_backup, 1000000, "backup bound");
	ASSERT_EQ(PARSE(&c, "--fault-skip"), EXIT_BAD_INPUT, "no value");
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (!ASSERT_EQ(PARSE(&c, "--fault-skip", bad[i]), EXIT_BAD_INPUT, "bad value") ||
		    !ASSERT_EQ(err_lines, 1, "one line on stderr"))
			printf("    '%s': %s", bad[i], err_text);
}

TEST(cli_valid)
{
	struct config c;

	if (!ASSERT_EQ(PARSE(&c, "-p", self_pid(), "-P", "8080", "-P", "443", "-4", "-d", "5",
			     "-o", "json", "--top", "3", "--ringbuf-size", "65536",
			     "--max-closers", "10", "--verify-delivery", "-v", "2", "7"),
		       0, "all options"))
		return;
	ASSERT_EQ(err_lines, 0, "nothing on stderr");
	ASSERT_TRUE(c.verify_delivery, "--verify-delivery");
	ASSERT_EQ(c.npids, 1, "one pid");
	ASSERT_EQ(c.pids[0], getpid(), "own pid");
	ASSERT_EQ(c.nports, 2, "two ports");
	ASSERT_EQ(c.ports[0], 8080, "first port");
	ASSERT_EQ(c.ports[1], 443, "second port");
	ASSERT_EQ(c.family, AF_INET, "-4");
	ASSERT_EQ(c.duration, 5, "-d");
	ASSERT_EQ(c.output, OUTPUT_JSON, "-o json");
	ASSERT_EQ(c.top, 3, "--top");
	ASSERT_EQ(c.ringbuf_bytes, 65536, "--ringbuf-size");
	ASSERT_EQ(c.closers_max, 10, "--max-closers");
	ASSERT_TRUE(c.verbose, "-v");
	ASSERT_EQ(c.interval, 2, "INTERVAL");
	ASSERT_EQ(c.count, 7, "COUNT");
	ASSERT_FALSE(c.exit_now, "runs");

	ASSERT_EQ(PARSE(&c, "-6", "10"), 0, "-6 and an interval alone");
	ASSERT_EQ(c.family, AF_INET6, "-6");
	ASSERT_EQ(c.interval, 10, "interval");
	ASSERT_EQ(c.count, 0, "no count: unlimited");
	ASSERT_EQ(c.npids + c.nports, 0, "a fresh config each time");
	ASSERT_EQ(PARSE(&c, "--top=0", "-o", "text", "-4", "-4"), 0, "--top=0, -4 twice");
	ASSERT_EQ(c.top, 0, "top 0 is allowed");
	ASSERT_EQ(c.output, OUTPUT_TEXT, "text");
	ASSERT_EQ(PARSE(&c, "-P", "1", "-P", "65535", "-d", "31536000", "86400", "1000000"), 0,
		  "bounds");
	ASSERT_EQ(c.ports[0] + c.ports[1], 65536, "port bounds");
	ASSERT_EQ(c.count, 1000000, "count bound");
	ASSERT_EQ(PARSE(&c, "--ringbuf-size", "4096"), 0, "smallest ring buffer");
	ASSERT_EQ(PARSE(&c, "--ringbuf-size", "1073741824"), 0, "largest ring buffer");
	ASSERT_EQ(PARSE(&c, "--max-closers", "16777216"), 0, "most closers");
}

struct bad_case {
	const char *opt; /* NULL: the positional itself */
	const char *values[6]; /* zero / out of range, besides the common ones */
};

TEST(cli_bad_values)
{
	static const struct bad_case cases[] = {
		{ "-p", { "0", "4194305" } },
		{ "-P", { "0", "65536", "100000" } },
		{ "-d", { "0", "31536001" } },
		{ "--top", { "100001" } },
		{ "--ringbuf-size", { "0", "2048", "5000", "65537", "2147483648" } },
		{ "--max-closers", { "0", "16777217" } },
	};
	static const char *common[] = { "abc", "12abc", "", "-1", "99999999999999999999",
					"18446744073709551616", " 5", "+5", "5 ", "0x10", "1.5" };
	struct config c;
	char buf[64];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *opt = cases[i].opt;

		if (!ASSERT_EQ(PARSE(&c, opt), EXIT_BAD_INPUT, "missing value at the end") ||
		    !ASSERT_EQ(err_lines, 1, "one line on stderr"))
			printf("    %s: %s", opt, err_text);
		if (!ASSERT_EQ(PARSE(&c, opt, "-v"), EXIT_BAD_INPUT, "an option as the value"))
			printf("    %s\n", opt);
		for (size_t j = 0; j < ARRAY_LEN(common) + ARRAY_LEN(cases[i].values); j++) {
			const char *v = j < ARRAY_LEN(common) ? common[j]
							      : cases[i].values[j - ARRAY_LEN(common)];

			if (!v)
				continue;
			if (!ASSERT_EQ(PARSE(&c, opt, v), EXIT_BAD_INPUT, "bad value") ||
			    !ASSERT_EQ(err_lines, 1, "one line on stderr"))
				printf("    %s '%s': %s", opt, v, err_text);
			if (opt[1] == '-') {
				snprintf(buf, sizeof(buf), "%s=%s", opt, v);
				if (!ASSERT_EQ(PARSE(&c, buf), EXIT_BAD_INPUT, "bad value"))
					printf("    '%s'\n", buf);
			}
		}
	}
	for (size_t j = 0; j < ARRAY_LEN(common); j++) {
		if (!ASSERT_EQ(PARSE(&c, common[j]), EXIT_BAD_INPUT, "bad INTERVAL"))
			printf("    '%s'\n", common[j]);
		if (!ASSERT_EQ(PARSE(&c, "5", common[j]), EXIT_BAD_INPUT, "bad COUNT"))
			printf("    '%s'\n", common[j]);
	}
	ASSERT_EQ(PARSE(&c, "0"), EXIT_BAD_INPUT, "INTERVAL 0");
	ASSERT_EQ(PARSE(&c, "86401"), EXIT_BAD_INPUT, "INTERVAL over a day");
	ASSERT_EQ(PARSE(&c, "5", "0"), EXIT_BAD_INPUT, "COUNT 0");
	ASSERT_EQ(PARSE(&c, "5", "1000001"), EXIT_BAD_INPUT, "COUNT too large");
	ASSERT_EQ(PARSE(&c, "1", "2", "3"), EXIT_BAD_INPUT, "a third positional");
	ASSERT_EQ(err_lines, 1, "one line on stderr");
	ASSERT_EQ(PARSE(&c, "-4", "-6"), EXIT_BAD_INPUT, "-4 with -6");
	ASSERT_EQ(err_lines, 1, "one line on stderr");
	ASSERT_EQ(PARSE(&c, "-6", "-4"), EXIT_BAD_INPUT, "-6 with -4");
	ASSERT_EQ(PARSE(&c, "--bogus"), EXIT_BAD_INPUT, "unknown long option");
	ASSERT_EQ(err_lines, 1, "one line on stderr");
	ASSERT_TRUE(strstr(err_text, "--bogus") != NULL, "naming the option");
	ASSERT_EQ(PARSE(&c, "-Z"), EXIT_BAD_INPUT, "unknown short option");
	ASSERT_EQ(err_lines, 1, "one line on stderr");
	ASSERT_EQ(PARSE(&c, "-o", "xml"), EXIT_BAD_INPUT, "-o xml");
	ASSERT_EQ(PARSE(&c, "-o", ""), EXIT_BAD_INPUT, "-o ''");
	ASSERT_EQ(PARSE(&c, "-o"), EXIT_BAD_INPUT, "-o without a value");
	ASSERT_EQ(PARSE(&c, "-o", "JSON"), EXIT_BAD_INPUT, "formats are lower case");
}

TEST(cli_too_many_filters)
{
	const char *args[MAX_ARGS];
	char ports[CLI_MAX_PORTS + 1][8];
	struct config c;
	int n = 0;

	for (int i = 0; i <= CLI_MAX_PORTS; i++) {
		snprintf(ports[i], sizeof(ports[i]), "%d", 1000 + i);
		args[n++] = "-P";
		args[n++] = ports[i];
	}
	ASSERT_EQ(parsev(&c, n - 2, args), 0, "64 ports");
	ASSERT_EQ(c.nports, CLI_MAX_PORTS, "all kept");
	ASSERT_EQ(parsev(&c, n, args), EXIT_BAD_INPUT, "65 ports");
	n = 0;
	for (int i = 0; i <= CLI_MAX_PIDS; i++) {
		args[n++] = "-p";
		args[n++] = self_pid();
	}
	ASSERT_EQ(parsev(&c, n - 2, args), 0, "64 pids");
	ASSERT_EQ(parsev(&c, n, args), EXIT_BAD_INPUT, "65 pids");
}

/* PID 2 is kthreadd outside PID namespaces. */
static bool is_kthreadd(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strcmp(comm, "kthreadd\n");
}

TEST(cli_pids)
{
	struct config c;
	char buf[16];
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	if (!ASSERT_TRUE(child > 0, "fork"))
		return;
	waitpid(child, NULL, 0);
	snprintf(buf, sizeof(buf), "%d", child);
	ASSERT_EQ(PARSE(&c, "-p", buf), EXIT_BAD_INPUT, "a PID that has exited");
	ASSERT_EQ(err_lines, 1, "one line on stderr");
	ASSERT_EQ(PARSE(&c, "-p", self_pid(), "-p", buf), EXIT_BAD_INPUT, "one of them gone");
	ASSERT_EQ(PARSE(&c, "-p", "1"), 0, "init exists");
	if (is_kthreadd(2))
		ASSERT_EQ(PARSE(&c, "-p", "2"), EXIT_BAD_INPUT, "kthreadd is a kernel thread");
}

TEST(cli_help_and_version)
{
	struct config c;

	ASSERT_EQ(PARSE(&c, "--help"), 0, "--help");
	ASSERT_TRUE(c.exit_now, "--help exits");
	ASSERT_TRUE(strstr(out_text, "Usage:") && strstr(out_text, "--max-closers") &&
		    strstr(out_text, "--classic-tracepoints"), "--help prints the options");
	ASSERT_EQ(PARSE(&c, "--version"), 0, "--version");
	ASSERT_TRUE(strstr(out_text, "tcpwaittrace "), "--version prints the version");
	ASSERT_EQ(PARSE(&c, "-h"), 0, "-h");
	ASSERT_TRUE(c.exit_now, "-h exits");
	ASSERT_EQ(PARSE(&c, "-V"), 0, "-V");
	ASSERT_TRUE(c.exit_now, "-V exits");
	ASSERT_EQ(PARSE(&c, "--version"), 0, "--version");
	ASSERT_TRUE(c.exit_now, "--version exits");
	ASSERT_EQ(PARSE(&c, "-v"), 0, "-v");
	ASSERT_FALSE(c.exit_now, "-v does not exit");
}

TEST(cli_export_options)
{
	struct config c;

	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x.csv"), 0, "format from the extension");
	ASSERT_STREQ(c.export_path, "/tmp/x.csv", "path");
	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x.xml"), EXIT_BAD_INPUT, "unknown extension");
	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x"), EXIT_BAD_INPUT, "no extension");
	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x", "--export-format", "prom"), 0, "explicit format");
	ASSERT_EQ(PARSE(&c, "--export-format", "yaml"), EXIT_BAD_INPUT, "unknown format");
	ASSERT_EQ(PARSE(&c, "--listen", "9100"), 0, "port only");
	ASSERT_EQ(PARSE(&c, "--listen", "host:"), EXIT_BAD_INPUT, "host without port");
	ASSERT_EQ(PARSE(&c, "--listen", "127.0.0.1:70000"), EXIT_BAD_INPUT, "port range");
	ASSERT_EQ(PARSE(&c, "--max-series", "0"), EXIT_BAD_INPUT, "max series 0");
	ASSERT_EQ(PARSE(&c, "--max-series", "12abc"), EXIT_BAD_INPUT, "max series junk");
	ASSERT_EQ(PARSE(&c, "--max-series", "7", "--metrics-no-pid"), 0, "metrics options");
	ASSERT_EQ(c.max_series, 7, "max series");
	ASSERT_TRUE(c.metrics_no_pid, "no pid label");
}

TEST(cli_parse_uint)
{
	static const char *bad[] = { "", "abc", "12abc", "-1", "-0", "+1", " 1", "1 ", "0x1",
				     "1e3", "1.0", "18446744073709551616",
				     "99999999999999999999" };
	unsigned long v = 0;

	ASSERT_EQ(cli__parse_uint("42", 1, 100, &v), 0, "valid");
	ASSERT_EQ(v, 42, "value");
	ASSERT_EQ(cli__parse_uint("1", 1, 100, &v), 0, "min");
	ASSERT_EQ(cli__parse_uint("100", 1, 100, &v), 0, "max");
	ASSERT_EQ(v, 100, "max value");
	ASSERT_EQ(cli__parse_uint("0", 0, 5, &v), 0, "zero when allowed");
	ASSERT_EQ(v, 0, "zero");
	ASSERT_EQ(cli__parse_uint("007", 0, 10, &v), 0, "leading zeros are decimal");
	ASSERT_EQ(v, 7, "007");
	ASSERT_EQ(cli__parse_uint("18446744073709551615", 0, ULONG_MAX, &v), 0, "ULONG_MAX");
	ASSERT_EQ(v, ULONG_MAX, "ULONG_MAX value");
	v = 777;
	ASSERT_NEQ(cli__parse_uint("101", 1, 100, &v), 0, "above max");
	ASSERT_NEQ(cli__parse_uint("0", 1, 100, &v), 0, "below min");
	ASSERT_NEQ(cli__parse_uint(NULL, 0, 100, &v), 0, "NULL");
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (!ASSERT_NEQ(cli__parse_uint(bad[i], 0, ULONG_MAX, &v), 0, "refused"))
			printf("    '%s'\n", bad[i]);
	ASSERT_EQ(v, 777, "out untouched on error");
}

TEST(cli_followed)
{
	struct config c;

	memset(&c, 0, sizeof(c));
	ASSERT_TRUE(cli__pid_followed(&c, 1) && cli__pid_followed(&c, 0), "no -p: every pid");
	ASSERT_TRUE(cli__port_followed(&c, 80) && cli__port_followed(&c, 0), "no -P: every port");
	c.npids = 2;
	c.pids[0] = 10;
	c.pids[1] = 20;
	c.pids[2] = 30; /* beyond npids */
	ASSERT_TRUE(cli__pid_followed(&c, 10) && cli__pid_followed(&c, 20), "listed pids");
	ASSERT_FALSE(cli__pid_followed(&c, 30), "only the first npids");
	ASSERT_FALSE(cli__pid_followed(&c, 0), "unknown owner not followed");
	c.nports = 1;
	c.ports[0] = 443;
	c.ports[1] = 80;
	ASSERT_TRUE(cli__port_followed(&c, 443), "listed port");
	ASSERT_FALSE(cli__port_followed(&c, 80), "only the first nports");
	ASSERT_FALSE(cli__port_followed(&c, 8080), "other port");
}
