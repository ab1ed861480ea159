// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Userspace memory per tracked TIME_WAIT socket at sizes the kernel cannot
 * reach on a small machine: N timewait births, as the kernel sends them, go
 * through the tracker; prints its table bytes, the heap and RSS it grew by, and the
 * longest any one event took (the reader's longest stall: while it lasts,
 * events queue in the ring buffer). Then, at that size, the tracker's time
 * per connection under churn: the oldest socket's end and a new birth.
 * Usage: bench-memory N...
 *
 * A timewait socket lives 60 s, so a host holds a million of them only if it
 * opens more than 16,700 connections per second; the benchmark's real-kernel
 * phase measures what this machine reaches, this tool the rest. Kernel maps
 * hold nothing per timewait socket (see bpf/tcpwaittrace.bpf.c).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "tracker.h"

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd; /* arena chunks in use + mmapped blocks */
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The i-th timewait socket's birth, or its expiry, born i us after the
 * first: client sockets closed first by 8 processes, to 16 server ports on
 * many loopback addresses, with ports and addresses as a busy client's.
 */
static void tw_event(struct tcpwt_event *e, uint8_t type, unsigned long i)
{
	uint64_t born_ns = 1000000000ULL + i * 1000;

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->id = 0xffff888100000000ULL + i * 256; /* distinct like timewait addresses */
	e->ts_ns = type == TCPWT_EV_TW_BORN ? born_ns : born_ns + 60000000000ULL;
	e->entry_ns = type == TCPWT_EV_TW_BORN ? 0 : born_ns;
	e->state = TCPWT_TIME_WAIT;
	e->family = AF_INET;
	e->netns = 4026531840U;
	e->lport = 32768 + i % 28000;
	e->rport = 8000 + i % 16;
	if (type != TCPWT_EV_TW_BORN)
		return;
	e->laddr[0] = 127;
	e->laddr[3] = 1;
	e->raddr[0] = 127;
	e->raddr[1] = (i / 28000) >> 8 & 0xff;
	e->raddr[2] = (i / 28000) & 0xff;
	e->raddr[3] = 2;
	e->flags = TCPWT_F_OWNER;
	e->tgid = 1000 + i % 8;
	snprintf(e->comm, sizeof(e->comm), "client-%lu", i % 8);
}

static int run(unsigned long n)
{
	struct config cfg = { .top = 10 };
	struct agg *agg = agg__new();
	struct owners *owners = owners__new("/nonexistent", NULL, 0);
	struct tracker *t = agg && owners ? tracker__new(&cfg, agg, owners) : NULL;
	struct open_sock oldest[20];
	const struct tw_dest *dests;
	struct tcpwt_event e;
	const struct tracker_stats *st;
	size_t ncw, ntw;
	size_t heap0, heap1;
	uint64_t t0, longest = 0;
	unsigned long churn;
	long rss0, rss1;

	if (!t) {
		fprintf(stderr, "bench-memory: out of memory\n");
		return 1;
	}
	heap0 = heap_in_use();
	rss0 = rss_kb();
	for (unsigned long i = 0; i < n; i++) {
		tw_event(&e, TCPWT_EV_TW_BORN, i);
		t0 = mono_ns();
		tracker__on_data(t, &e, sizeof(e));
		t0 = mono_ns() - t0;
		if (t0 > longest)
			longest = t0;
	}
	heap1 = heap_in_use();
	rss1 = rss_kb();
	st = tracker__stats(t);
	printf("%lu TIME_WAIT sockets: %llu tracked, table bytes/socket %.0f, heap growth/socket %.0f B, "
	       "RSS growth/socket %.0f B, kernel map bytes/socket 0; longest event %.3f ms\n",
	       n, (unsigned long long)st->tracked_sockets,
	       st->tracked_sockets ? (double)st->tracked_bytes / st->tracked_sockets : 0,
	       n ? (double)(heap1 - heap0) / n : 0, n ? (rss1 - rss0) * 1024.0 / n : 0,
	       longest / 1e6);
	/*
	 * Another namespace deleted, as each CPU that killed its timewait
	 * sockets reports it: the first report looks at every tracked socket.
	 */
	memset(&e, 0, sizeof(e));
	e.type = TCPWT_EV_NETNS_GONE;
	e.ts_ns = 1000000000ULL + n * 1000;
	e.netns = 4026531841U;
	printf("  a namespace deleted, reported by each CPU:");
	for (int i = 0; i < 3; i++) {
		t0 = mono_ns();
		tracker__on_data(t, &e, sizeof(e));
		printf(" %.3f", (mono_ns() - t0) / 1e6);
	}
	printf(" ms\n");
	/* A report's look at every open socket: counts, oldest list, ports by destination. */
	t0 = mono_ns();
	tracker__snapshot(t, e.ts_ns, oldest, 10, &ncw, &ntw);
	t0 = mono_ns() - t0;
	dests = tracker__tw_destinations(t, &ncw);
	printf("  a report's snapshot of the open sockets: %.3f ms (%zu listed; %zu destinations,"
	       " the first with %llu)\n", t0 / 1e6, ntw, ncw,
	       ncw ? (unsigned long long)dests[0].sockets : 0ULL);
	/*
	 * Churn at this size: each connection the oldest socket's expiry and
	 * a new birth (as many as there are sockets, up to a million).
	 */
	churn = n < 1000000 ? n : 1000000;
	t0 = mono_ns();
	/* Read as the tracer reads the ring: each record's lookups fetched ahead. */
	for (unsigned long i = 0; i < churn; i++) {
		tw_event(&e, TCPWT_EV_TW_EXPIRE, i);
		tracker__on_data_ahead(t, &e, sizeof(e));
		tw_event(&e, TCPWT_EV_TW_BORN, n + i);
		tracker__on_data_ahead(t, &e, sizeof(e));
	}
	tracker__flush(t);
	t0 = mono_ns() - t0;
	printf("  churn at this size, a socket's end and a birth: %.1f ns a connection (%lu; "
	       "%llu tracked after)\n", churn ? (double)t0 / churn : 0, churn,
	       (unsigned long long)tracker__stats(t)->tracked_sockets);
	tracker__free(t);
	owners__free(owners);
	agg__free(agg);
	return 0;
}

int main(int argc, char **argv)
{
	int err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-memory N...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		err |= run(strtoul(argv[i], NULL, 10));
	return err;
}
