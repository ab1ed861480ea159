// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "cli.h"
#include "export.h"
#include "http.h"

#ifndef TCPWT_VERSION
#define TCPWT_VERSION "dev"
#endif

#define DEFAULT_CLOSERS 65536
#define DEFAULT_TOP 10

enum {
	OPT_BTF = 0x100,
	OPT_TOP,
	OPT_RINGBUF,
	OPT_CLOSERS,
	OPT_CLASSIC,
	OPT_EXPORT,
	OPT_EXPORT_FORMAT,
	OPT_LISTEN,
	OPT_TEXTFILE,
	OPT_NO_PID,
	OPT_MAX_SERIES,
	OPT_VERIFY,
	OPT_FAULT_SKIP,
	OPT_FAULT_BIRTHS,
	OPT_FAULT_PILEUP,
};

static const char doc[] =
	"Measure how long TCP sockets spend in CLOSE_WAIT and TIME_WAIT, per "
	"service port and owning process.\n"
	"\n"
	"USAGE: tcpwaittrace [OPTION...] [INTERVAL [COUNT]]\n"
	"\n"
	"EXAMPLES:\n"
	"    tcpwaittrace              # trace until Ctrl-C, then report\n"
	"    tcpwaittrace -d 30        # trace for 30 seconds\n"
	"    tcpwaittrace 10           # report every 10 seconds\n"
	"    tcpwaittrace 5 3          # 3 reports, 5 seconds apart\n"
	"    tcpwaittrace -p 1234      # only sockets owned by PID 1234\n"
	"    tcpwaittrace -P 8080 -P 443   # only these service ports\n"
	"    tcpwaittrace -6 -o json   # IPv6 only, JSON output\n"
	"\n"
	"CLOSE_WAIT: the peer closed and this process has not called close() "
	"(a leak if it lasts). TIME_WAIT: this side closed first and the port "
	"stays held for 60 s.";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Only sockets owned by this process (repeatable)", 0 },
	{ "port", 'P', "PORT", 0, "Only this service port (repeatable)", 0 },
	{ "ipv4", '4', NULL, 0, "IPv4 only", 0 },
	{ "ipv6", '6', NULL, 0, "IPv6 only", 0 },
	{ "duration", 'd', "SECS", 0, "Stop after SECS seconds, then report", 0 },
	{ "output", 'o', "FORMAT", 0, "text (default) or json", 0 },
	{ "top", OPT_TOP, "N", 0, "List the N oldest open sockets per state, and the N destinations holding the most client ports (default 10)", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use (default /sys/kernel/btf/vmlinux)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "Each CPU's ring buffer size, a power of two (default: 8 MiB shared out among the CPUs, at least 1 MiB each)", 0 },
	{ "max-closers", OPT_CLOSERS, "N", 0, "Sockets closed first, awaiting TIME_WAIT, whose owner is kept at once (default 65536)", 0 },
	{ "export", OPT_EXPORT, "PATH", 0, "Write each report to PATH (.json, .csv or .prom), atomically", 0 },
	{ "export-format", OPT_EXPORT_FORMAT, "FMT", 0, "json, csv or prom, whatever PATH's extension", 0 },
	{ "listen", OPT_LISTEN, "[HOST:]PORT", 0, "Serve Prometheus metrics at http://HOST:PORT/metrics (HOST 127.0.0.1 by default)", 0 },
	{ "textfile", OPT_TEXTFILE, "DIR", 0, "Keep DIR/tcpwaittrace.prom up to date for node_exporter", 0 },
	{ "metrics-no-pid", OPT_NO_PID, NULL, 0, "Leave the pid label out of metrics", 0 },
	{ "max-series", OPT_MAX_SERIES, "N", 0, "At most N label sets in metrics, the rest as comm=\"other\" (default 500)", 0 },
	{ "classic-tracepoints", OPT_CLASSIC, NULL, 0, "Attach classic tracepoints, not tp_btf", 0 },
	{ "verify-delivery", OPT_VERIFY, NULL, 0, "Count the state tracepoint's hits with perf and report those no program saw (costs a perf event per transition)", 0 },
	/* For tests, so hidden: the backup of the state program, exercised at will. */
	{ "fault-skip", OPT_FAULT_SKIP, "MAIN,BACKUP", OPTION_HIDDEN,
	  "Act as if the kernel skipped the state program on every MAIN-th transition softirq makes, and its backup on every BACKUP-th one the program took (0: never)", 0 },
	/* And timewait births reaching no program, as in PID 1's context on some kernels. */
	{ "fault-drop-births", OPT_FAULT_BIRTHS, "N", OPTION_HIDDEN,
	  "Leave every N-th timewait birth on a CPU unreported, as if its hits reached no program (0: never)", 0 },
	/* And softirq piling entries on the backup's stack while a backup is being dispatched. */
	{ "fault-pileup", OPT_FAULT_PILEUP, "N", OPTION_HIDDEN,
	  "Before every N-th run of the state program's backup, push entries on its stack as a burst of interrupting transitions would (0: never)", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf debug output", 0 },
	{ "version", 'V', NULL, 0, "Print the version and exit", 0 },
	{ "help", 'h', NULL, 0, "Show this help", 0 },
	{},
};

int cli__parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int bad_value(const char *what, const char *arg, unsigned long min,
		     unsigned long max)
{
	fprintf(stderr, "tcpwaittrace: invalid %s '%s': expected a number from %lu to %lu\n",
		what, arg, min, max);
	return EXIT_BAD_INPUT;
}

static int parse_number(const char *what, const char *arg, unsigned long min,
			unsigned long max, unsigned long *out)
{
	if (cli__parse_uint(arg, min, max, out))
		return bad_value(what, arg, min, max);
	return 0;
}

/* --fault-skip MAIN,BACKUP */
static int parse_fault_skip(struct config *cfg, const char *arg)
{
	const char *comma = strchr(arg, ',');
	unsigned long main_n, backup_n;
	char first[16];

	if (!comma || (size_t)(comma - arg) >= sizeof(first)) {
		fprintf(stderr, "tcpwaittrace: invalid --fault-skip '%s': expected MAIN,BACKUP\n", arg);
		return EXIT_BAD_INPUT;
	}
	memcpy(first, arg, comma - arg);
	first[comma - arg] = '\0';
	if (cli__parse_uint(first, 0, 1000000, &main_n) ||
	    cli__parse_uint(comma + 1, 0, 1000000, &backup_n))
		return bad_value("--fault-skip period", arg, 0, 1000000);
	cfg->fault_skip_main = main_n;
	cfg->fault_skip_backup = backup_n;
	return 0;
}

/* A kernel thread has PF_KTHREAD in the flags of /proc/<pid>/stat. */
static bool is_kernel_thread(unsigned long pid)
{
	unsigned long flags = 0;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%lu/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	/* Field 9 is flags; comm (field 2) may hold spaces, so skip past ')'. */
	n = fscanf(f, "%*[^)]) %*c %*d %*d %*d %*d %*d %lu", &flags);
	fclose(f);
	return n == 1 && (flags & 0x00200000); /* PF_KTHREAD */
}

static int add_pid(struct config *cfg, const char *arg)
{
	unsigned long pid;
	int err = parse_number("PID", arg, 1, 4194304, &pid);

	if (err)
		return err;
	if (kill((pid_t)pid, 0) && errno == ESRCH) {
		fprintf(stderr, "tcpwaittrace: no process with PID %lu\n", pid);
		return EXIT_BAD_INPUT;
	}
	if (is_kernel_thread(pid)) {
		fprintf(stderr, "tcpwaittrace: PID %lu is a kernel thread: it owns no sockets\n", pid);
		return EXIT_BAD_INPUT;
	}
	if (cfg->npids == CLI_MAX_PIDS) {
		fprintf(stderr, "tcpwaittrace: at most %d PIDs can be followed\n", CLI_MAX_PIDS);
		return EXIT_BAD_INPUT;
	}
	cfg->pids[cfg->npids++] = pid;
	return 0;
}

static int add_port(struct config *cfg, const char *arg)
{
	unsigned long port;
	int err = parse_number("port", arg, 1, 65535, &port);

	if (err)
		return err;
	if (cfg->nports == CLI_MAX_PORTS) {
		fprintf(stderr, "tcpwaittrace: at most %d ports can be followed\n", CLI_MAX_PORTS);
		return EXIT_BAD_INPUT;
	}
	cfg->ports[cfg->nports++] = port;
	return 0;
}

static int set_family(struct config *cfg, int family)
{
	if (cfg->family && cfg->family != family) {
		fprintf(stderr, "tcpwaittrace: -4 and -6 exclude each other\n");
		return EXIT_BAD_INPUT;
	}
	cfg->family = family;
	return 0;
}

static int parse_positional(struct config *cfg, struct argp_state *state, const char *arg)
{
	unsigned long v;
	int err;

	if (state->arg_num == 0) {
		err = parse_number("interval", arg, 1, 86400, &v);
		if (!err)
			cfg->interval = v;
	} else if (state->arg_num == 1) {
		err = parse_number("count", arg, 1, 1000000, &v);
		if (!err)
			cfg->count = v;
	} else {
		fprintf(stderr, "tcpwaittrace: unexpected argument '%s'\n", arg);
		err = EXIT_BAD_INPUT;
	}
	return err;
}

static int parse_size(struct config *cfg, int key, const char *arg)
{
	unsigned long v;
	int err;

	if (key == OPT_RINGBUF) {
		err = parse_number("ring buffer size", arg, 4096, 1ul << 30, &v);
		if (!err && (v & (v - 1))) {
			fprintf(stderr, "tcpwaittrace: invalid ring buffer size '%s': must be a power of two\n", arg);
			err = EXIT_BAD_INPUT;
		}
		if (!err)
			cfg->ringbuf_bytes = v;
	} else {
		err = parse_number("max closers", arg, 1, 1ul << 24, &v);
		if (!err)
			cfg->closers_max = v;
	}
	return err;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct config *cfg = state->input;
	unsigned long v;
	int err = 0;

	switch (key) {
	case 'p':
		return add_pid(cfg, arg);
	case 'P':
		return add_port(cfg, arg);
	case '4':
		return set_family(cfg, AF_INET);
	case '6':
		return set_family(cfg, AF_INET6);
	case 'd':
		err = parse_number("duration", arg, 1, 31536000, &v);
		if (!err)
			cfg->duration = v;
		return err;
	case 'o':
		if (!strcmp(arg, "text"))
			cfg->output = OUTPUT_TEXT;
		else if (!strcmp(arg, "json"))
			cfg->output = OUTPUT_JSON;
		else {
			fprintf(stderr, "tcpwaittrace: invalid output format '%s': expected text or json\n", arg);
			return EXIT_BAD_INPUT;
		}
		return 0;
	case OPT_TOP:
		err = parse_number("top", arg, 0, 100000, &v);
		if (!err)
			cfg->top = v;
		return err;
	case OPT_BTF:
		cfg->btf_path = arg;
		return 0;
	case OPT_RINGBUF:
	case OPT_CLOSERS:
		return parse_size(cfg, key, arg);
	case OPT_CLASSIC:
		cfg->classic = true;
		return 0;
	case OPT_VERIFY:
		cfg->verify_delivery = true;
		return 0;
	case OPT_FAULT_SKIP:
		return parse_fault_skip(cfg, arg);
	case OPT_FAULT_BIRTHS:
		if (parse_number("--fault-drop-births", arg, 0, 1000000, &v))
			return EXIT_BAD_INPUT;
		cfg->fault_drop_births = v;
		return 0;
	case OPT_FAULT_PILEUP:
		if (parse_number("--fault-pileup", arg, 0, 1000000, &v))
			return EXIT_BAD_INPUT;
		cfg->fault_pileup = v;
		return 0;
	case OPT_EXPORT:
		cfg->export_path = arg;
		return 0;
	case OPT_EXPORT_FORMAT:
		if (export__format(NULL, arg, (enum export_format *)&cfg->export_format)) {
			fprintf(stderr, "tcpwaittrace: invalid export format '%s': expected json, csv or prom\n", arg);
			return EXIT_BAD_INPUT;
		}
		return 0;
	case OPT_LISTEN: {
		char host[64];
		unsigned int port;

		if (http__parse_addr(arg, host, sizeof(host), &port)) {
			fprintf(stderr, "tcpwaittrace: invalid listen address '%s': expected [HOST:]PORT\n", arg);
			return EXIT_BAD_INPUT;
		}
		cfg->listen = arg;
		return 0;
	}
	case OPT_TEXTFILE:
		cfg->textfile_dir = arg;
		return 0;
	case OPT_NO_PID:
		cfg->metrics_no_pid = true;
		return 0;
	case OPT_MAX_SERIES:
		err = parse_number("max series", arg, 1, 1000000, &v);
		if (!err)
			cfg->max_series = v;
		return err;
	case 'v':
		cfg->verbose = true;
		return 0;
	case 'V':
		printf("tcpwaittrace %s\n", TCPWT_VERSION);
		cfg->exit_now = true;
		return 0;
	case 'h':
		/* Not argp_state_help(): with ARGP_NO_ERRS it prints nothing. */
		argp_help(state->root_argp, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK,
			  state->name);
		cfg->exit_now = true;
		return 0;
	case ARGP_KEY_ARG:
		return parse_positional(cfg, state, arg);
	case ARGP_KEY_ERROR:
		/* getopt stopped on an unknown option or a missing value. */
		if (state->next > 0 && state->next <= state->argc)
			cfg->bad_arg = state->argv[state->next - 1];
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

int cli__parse(int argc, char **argv, struct config *cfg)
{
	static const struct argp argp = {
		.options = opts,
		.args_doc = "[INTERVAL [COUNT]]",
		.parser = parse_opt,
		.doc = doc,
	};
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->top = DEFAULT_TOP;
	cfg->ringbuf_bytes = 0; /* the loader sizes them for the CPUs */
	cfg->closers_max = DEFAULT_CLOSERS;
	cfg->btf_path = "/sys/kernel/btf/vmlinux";
	cfg->max_series = 500;
	/* No argp messages: they take two lines; ours says the same in one. */
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_NO_ERRS, NULL, cfg);
	if (err == EXIT_BAD_INPUT)
		return err;
	if (err) {
		fprintf(stderr, "tcpwaittrace: unknown option or missing value: '%s' (see --help)\n",
			cfg->bad_arg ? cfg->bad_arg : "?");
		return EXIT_BAD_INPUT;
	}
	if (!err && cfg->export_path && !cfg->export_format &&
	    export__format(cfg->export_path, NULL, (enum export_format *)&cfg->export_format)) {
		fprintf(stderr, "tcpwaittrace: cannot tell the format of '%s': use .json, .csv or .prom, or --export-format\n",
			cfg->export_path);
		return EXIT_BAD_INPUT;
	}
	/* argp printed its own one-line error (unknown option, missing value). */
	return err ? EXIT_BAD_INPUT : 0;
}

bool cli__pid_followed(const struct config *cfg, uint32_t pid)
{
	if (!cfg->npids)
		return true;
	for (int i = 0; i < cfg->npids; i++)
		if (cfg->pids[i] == pid)
			return true;
	return false;
}

bool cli__port_followed(const struct config *cfg, uint16_t port)
{
	if (!cfg->nports)
		return true;
	for (int i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == port)
			return true;
	return false;
}
