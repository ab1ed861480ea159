// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "cli.h"

static int parse(struct config *cfg, ...)
{
	char *argv[32] = { "tcpwaittrace" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, cfg);
	while ((a = va_arg(ap, char *)) && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	return cli__parse(argc, argv, cfg);
}

#define PARSE(cfg, ...) parse(cfg, ##__VA_ARGS__, NULL)

TEST(cli_defaults_and_valid)
{
	struct config c;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(PARSE(&c), 0, "no options");
	ASSERT_EQ(c.top, 10, "default top");
	ASSERT_EQ(c.interval, 0, "no interval");
	ASSERT_EQ(PARSE(&c, "-p", pid, "-P", "8080", "-P", "443", "-4", "-d", "5", "-o", "json",
			"--top", "3", "--ringbuf-size", "65536", "--max-closers", "10", "-v", "2", "7"),
		  0, "all options");
	ASSERT_EQ(c.npids, 1, "pid");
	ASSERT_EQ(c.pids[0], getpid(), "pid value");
	ASSERT_EQ(c.nports, 2, "ports");
	ASSERT_TRUE(cli__port_followed(&c, 443) && !cli__port_followed(&c, 80), "port filter");
	ASSERT_TRUE(cli__pid_followed(&c, getpid()) && !cli__pid_followed(&c, 1), "pid filter");
	ASSERT_EQ(c.family, AF_INET, "-4");
	ASSERT_EQ(c.duration, 5, "-d");
	ASSERT_EQ(c.output, OUTPUT_JSON, "-o");
	ASSERT_EQ(c.interval, 2, "interval");
	ASSERT_EQ(c.count, 7, "count");
	ASSERT_EQ(c.ringbuf_bytes, 65536, "ring buffer");
	ASSERT_EQ(PARSE(&c, "-6", "--export", "/tmp/x.csv"), 0, "export by extension");
	ASSERT_EQ(c.family, AF_INET6, "-6");
}

TEST(cli_bad_values)
{
	static const char *opts[] = { "-p", "-P", "-d", "--top", "--ringbuf-size", "--max-closers",
				      "--max-series" };
	static const char *bad[] = { "abc", "12abc", "", "-1", "99999999999999999999", " 5", "+5" };
	struct config c;

	for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
			if (!ASSERT_EQ(PARSE(&c, opts[o], bad[b]), EXIT_BAD_INPUT, opts[o]))
				printf("    value '%s'\n", bad[b]);
		ASSERT_EQ(PARSE(&c, opts[o]), EXIT_BAD_INPUT, "missing value");
	}
	ASSERT_EQ(PARSE(&c, "-P", "0"), EXIT_BAD_INPUT, "port 0");
	ASSERT_EQ(PARSE(&c, "-P", "65536"), EXIT_BAD_INPUT, "port 65536");
	ASSERT_EQ(PARSE(&c, "-P", "65535"), 0, "port 65535");
	ASSERT_EQ(PARSE(&c, "-d", "0"), EXIT_BAD_INPUT, "duration 0");
	ASSERT_EQ(PARSE(&c, "-p", "0"), EXIT_BAD_INPUT, "pid 0");
	ASSERT_EQ(PARSE(&c, "0"), EXIT_BAD_INPUT, "interval 0");
	ASSERT_EQ(PARSE(&c, "1", "0"), EXIT_BAD_INPUT, "count 0");
	ASSERT_EQ(PARSE(&c, "1", "2", "3"), EXIT_BAD_INPUT, "third positional");
	ASSERT_EQ(PARSE(&c, "x"), EXIT_BAD_INPUT, "interval not a number");
	ASSERT_EQ(PARSE(&c, "-4", "-6"), EXIT_BAD_INPUT, "-4 and -6");
	ASSERT_EQ(PARSE(&c, "-o", "xml"), EXIT_BAD_INPUT, "output format");
	ASSERT_EQ(PARSE(&c, "--bogus"), EXIT_BAD_INPUT, "unknown long option");
	ASSERT_EQ(PARSE(&c, "-Z"), EXIT_BAD_INPUT, "unknown short option");
	ASSERT_EQ(PARSE(&c, "--ringbuf-size", "5000"), EXIT_BAD_INPUT, "not a power of two");
	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x.xml"), EXIT_BAD_INPUT, "export extension");
	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x"), EXIT_BAD_INPUT, "export without extension");
	ASSERT_EQ(PARSE(&c, "--export", "/tmp/x", "--export-format", "prom"), 0, "explicit format");
	ASSERT_EQ(PARSE(&c, "--export-format", "yaml"), EXIT_BAD_INPUT, "export format");
	ASSERT_EQ(PARSE(&c, "--listen", "host:"), EXIT_BAD_INPUT, "listen without port");
	ASSERT_EQ(PARSE(&c, "--listen", "127.0.0.1:70000"), EXIT_BAD_INPUT, "listen port range");
	ASSERT_EQ(PARSE(&c, "--listen", "9100"), 0, "listen port only");
}

TEST(cli_pids)
{
	struct config c;
	char buf[16];
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	snprintf(buf, sizeof(buf), "%d", child);
	ASSERT_EQ(PARSE(&c, "-p", buf), EXIT_BAD_INPUT, "a PID that has exited");
	ASSERT_EQ(PARSE(&c, "-p", "4194305"), EXIT_BAD_INPUT, "beyond pid_max");
	if (access("/proc/2/stat", R_OK) == 0)
		ASSERT_EQ(PARSE(&c, "-p", "2"), EXIT_BAD_INPUT, "kthreadd is a kernel thread");
}

TEST(cli_help_version)
{
	struct config c;
	FILE *saved = stdout;

	stdout = fopen("/dev/null", "w");
	ASSERT_EQ(PARSE(&c, "--help"), 0, "--help");
	ASSERT_TRUE(c.exit_now, "--help exits");
	ASSERT_EQ(PARSE(&c, "-V"), 0, "-V");
	ASSERT_TRUE(c.exit_now, "-V exits");
	fclose(stdout);
	stdout = saved;
}

TEST(cli_parse_uint)
{
	unsigned long v = 0;

	ASSERT_EQ(cli__parse_uint("42", 1, 100, &v), 0, "valid");
	ASSERT_EQ(v, 42, "value");
	ASSERT_NEQ(cli__parse_uint("101", 1, 100, &v), 0, "above");
	ASSERT_NEQ(cli__parse_uint("0", 1, 100, &v), 0, "below");
	ASSERT_NEQ(cli__parse_uint(NULL, 1, 100, &v), 0, "NULL");
	ASSERT_NEQ(cli__parse_uint("4 ", 1, 100, &v), 0, "trailing space");
}
