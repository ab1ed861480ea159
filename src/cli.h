/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_CLI_H
#define TCPWT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_PIDS 64
#define CLI_MAX_PORTS 64

/* Exit codes. */
enum {
	EXIT_BAD_INPUT = 2, /* bad flag or value */
	EXIT_ENV = 1, /* not root, no BTF, a hook that will not load */
};

enum output_format { OUTPUT_TEXT, OUTPUT_JSON };

/* Everything a run is told, from the command line. */
struct config {
	uint32_t pids[CLI_MAX_PIDS];
	int npids;
	uint16_t ports[CLI_MAX_PORTS];
	int nports;
	int family; /* 0 for both, else AF_INET or AF_INET6 */
	unsigned int duration; /* seconds, 0 = until a signal */
	unsigned int interval; /* seconds between reports, 0 = one at the end */
	unsigned int count; /* reports with interval, 0 = unlimited */
	unsigned int top; /* oldest open sockets listed per state */
	enum output_format output;
	bool verbose;
	bool exit_now; /* --help or --version was printed */
	bool classic; /* classic tracepoints even where tp_btf works */
	bool verify_delivery; /* count the state tracepoint's hits with perf */
	/* Tests: act as if the kernel skipped every Nth state program run (0: never). */
	uint32_t fault_skip_main, fault_skip_backup;
	/* Tests: leave every Nth timewait birth unreported (0: never). */
	uint32_t fault_drop_births;
	/* Tests: a burst of stale entries before every Nth backup run (0: never). */
	uint32_t fault_pileup;
	const char *btf_path; /* BTF to check and load against */
	const char *export_path; /* final report (each report with INTERVAL) */
	int export_format; /* enum export_format */
	const char *listen; /* HOST:PORT serving /metrics */
	const char *textfile_dir; /* node_exporter textfile collector */
	bool metrics_no_pid;
	unsigned int max_series;
	uint32_t ringbuf_bytes;
	uint32_t closers_max; /* sockets that closed first, awaiting TIME_WAIT */
	const char *bad_arg; /* the argument getopt stopped on */
};

/*
 * Fills cfg from argv. Returns 0, or EXIT_BAD_INPUT after one line on
 * stderr. Prints --help/--version to stdout and sets cfg->exit_now.
 */
int cli__parse(int argc, char **argv, struct config *cfg);

/* Strict decimal parsing: whole string, no sign, within [min, max]. */
int cli__parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out);

bool cli__pid_followed(const struct config *cfg, uint32_t pid);
bool cli__port_followed(const struct config *cfg, uint16_t port);

#endif
