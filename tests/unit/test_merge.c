// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-CPU rings' records handed on in time order, read in place from
 * memory laid out as the kernel maps a BPF ring buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include "check.h"
#include "merge.h"
#include "tcpwaittrace.h"

#define MAX_OUT 8192
#define RING_SIZE 8192 /* bytes of data, a power of two */
#define REC ((sizeof(struct tcpwt_event) + BPF_RINGBUF_HDR_SZ + 7) & ~7ul)

/* What the sink was handed: stamps, ids and sizes, in order. */
struct sink {
	uint64_t ts[MAX_OUT];
	uint64_t id[MAX_OUT];
	size_t len[MAX_OUT];
	size_t n;
};

static int to_sink(void *ctx, void *data, size_t len)
{
	struct sink *s = ctx;

	if (s->n < MAX_OUT) {
		s->len[s->n] = len;
		if (len == sizeof(struct tcpwt_event)) {
			const struct tcpwt_event *e = data;

			s->ts[s->n] = e->ts_ns;
			s->id[s->n] = e->id;
		}
	}
	s->n++;
	return 0;
}

/* A ring as the kernel maps it: its data twice in a row. */
struct fake_ring {
	unsigned long cons, prod;
	char data[2 * RING_SIZE];
};

/* Writes a record at the producer position, as committed (or busy, or discarded). */
static void put_raw(struct fake_ring *r, const void *rec, uint32_t len, uint32_t bits)
{
	size_t off = r->prod & (RING_SIZE - 1), total = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
	char buf[512];
	uint32_t hdr = len | bits;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &hdr, 4);
	memcpy(buf + BPF_RINGBUF_HDR_SZ, rec, len);
	/* Both copies, so that a record across the end reads on. */
	for (size_t i = 0; i < total; i++) {
		r->data[(off + i) & (RING_SIZE - 1)] = buf[i];
		r->data[RING_SIZE + ((off + i) & (RING_SIZE - 1))] = buf[i];
	}
	r->prod += total;
}

static void put(struct fake_ring *r, uint8_t type, uint64_t ts, uint64_t id)
{
	struct tcpwt_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.id = id;
	put_raw(r, &e, sizeof(e), 0);
}

/* Each test's sink, n rings and the merge reading them. */
static struct sink *s;
static struct fake_ring *r;
static struct merge *m;

static void setup(unsigned int n)
{
	s = calloc(1, sizeof(*s));
	r = calloc(n, sizeof(*r));
	m = merge__new(n, to_sink, s);
	for (unsigned int i = 0; i < n; i++)
		merge__set_ring(m, i, &r[i].cons, &r[i].prod, r[i].data, RING_SIZE);
}

static void teardown(void)
{
	merge__free(m);
	free(r);
	free(s);
}

static bool sorted(const struct sink *out)
{
	for (size_t i = 1; i < out->n; i++)
		if (out->ts[i] < out->ts[i - 1])
			return false;
	return true;
}

TEST(merge_order)
{
	setup(2);

	/* A CLOSE_WAIT left on CPU 0 (its ring read first) after it was entered on CPU 1. */
	put(&r[0], TCPWT_EV_CW_EXIT, 200, 7);
	put(&r[1], TCPWT_EV_CW_ENTER, 100, 7);
	ASSERT_EQ(merge__drain(m, 1000), 2, "both handed on");
	ASSERT_EQ(s->ts[0], 100, "the entry first");
	ASSERT_EQ(s->ts[1], 200, "then the exit");
	ASSERT_EQ(r[0].cons, r[0].prod, "ring 0 consumed");
	ASSERT_EQ(r[1].cons, REC, "ring 1 consumed");
	ASSERT_EQ(merge__late(m), 0, "none late");
	teardown();
}

TEST(merge_holds_back)
{
	setup(3);

	put(&r[0], TCPWT_EV_CW_ENTER, 10, 1);
	put(&r[2], TCPWT_EV_CW_ENTER, 30, 3);
	put(&r[1], TCPWT_EV_CW_ENTER, 50, 5);
	ASSERT_EQ(merge__drain(m, 30), 1, "only what is stamped before the bound");
	ASSERT_EQ(s->ts[0], 10, "the oldest");
	ASSERT_EQ(r[2].cons, 0, "a record held stays in its ring");
	/* Committed after that read, stamped between: still in its place. */
	put(&r[0], TCPWT_EV_CW_EXIT, 40, 1);
	ASSERT_EQ(merge__drain(m, 51), 3, "the rest");
	ASSERT_EQ(s->ts[1], 30, "in order");
	ASSERT_EQ(s->ts[2], 40, "the one committed later, in its place");
	ASSERT_EQ(s->ts[3], 50, "last");
	ASSERT_EQ(merge__late(m), 0, "none late");
	teardown();
}

TEST(merge_late)
{
	setup(2);

	put(&r[0], TCPWT_EV_CW_ENTER, 100, 1);
	merge__drain(m, 150);
	/* Stamped before a bound passed: late, handed on all the same. */
	put(&r[1], TCPWT_EV_CW_EXIT, 120, 2);
	/* A timewait kill comes late by design (reported at its CPU's next timer event). */
	put(&r[1], TCPWT_EV_TW_KILL, 80, 3);
	ASSERT_EQ(merge__drain(m, 160), 2, "both late ones");
	ASSERT_EQ(merge__late(m), 1, "the late exit counted, not the kill");
	/* The last drain (a final report) hands everything on: its bound is the latest stamp. */
	put(&r[0], TCPWT_EV_CW_ENTER, 500, 4);
	ASSERT_EQ(merge__drain(m, UINT64_MAX), 1, "everything");
	put(&r[1], TCPWT_EV_CW_EXIT, 400, 5);
	merge__drain(m, UINT64_MAX);
	ASSERT_EQ(merge__late(m), 2, "one stamped before the latest handed on");
	teardown();
}

/* A program interrupted by another on its CPU commits after it: a ring a step out of order. */
TEST(merge_ring_out_of_order)
{
	setup(1);

	put(&r[0], TCPWT_EV_CW_ENTER, 5, 1);
	put(&r[0], TCPWT_EV_CW_ENTER, 30, 2);
	put(&r[0], TCPWT_EV_CLOSER, 10, 3);
	ASSERT_EQ(merge__drain(m, 20), 1, "a ring is read in order: up to the first past the bound");
	ASSERT_EQ(merge__drain(m, UINT64_MAX), 2, "the rest");
	ASSERT_EQ(s->id[2], 3, "in the ring's order");
	teardown();
}

/* What the kernel leaves in a ring besides committed records. */
TEST(merge_busy_discarded)
{
	setup(1);
	struct tcpwt_event e;
	unsigned long busy_at;
	char junk[7] = { 0 };

	memset(&e, 0, sizeof(e));
	put(&r[0], TCPWT_EV_CW_ENTER, 5, 1);
	e.ts_ns = 6;
	put_raw(&r[0], &e, sizeof(e), BPF_RINGBUF_DISCARD_BIT);
	put_raw(&r[0], junk, sizeof(junk), 0);
	busy_at = r[0].prod;
	put_raw(&r[0], &e, sizeof(e), BPF_RINGBUF_BUSY_BIT);
	put(&r[0], TCPWT_EV_CW_ENTER, 8, 2);
	ASSERT_EQ(merge__drain(m, UINT64_MAX), 2, "up to the record still being written");
	ASSERT_EQ(s->id[0], 1, "the first");
	ASSERT_EQ(s->len[1], sizeof(junk), "one of another size as it is (the sink counts it)");
	ASSERT_EQ(r[0].cons, busy_at, "the discarded one passed, the busy one not");
	/* Committed now. */
	memcpy(&r[0].data[busy_at & (RING_SIZE - 1)], &(uint32_t){ sizeof(e) }, 4);
	ASSERT_EQ(merge__drain(m, UINT64_MAX), 2, "then the rest");
	ASSERT_EQ(r[0].cons, r[0].prod, "all consumed");
	teardown();
}

/* Many records over four rings and many drains, wrapping round each ring. */
TEST(merge_many)
{
	setup(4);
	uint64_t next[4] = { 0 }, rng = 12345;
	size_t added = 0;

	for (int round = 0; round < 40; round++) {
		for (int k = 0; k < 100; k++) {
			unsigned int i;

			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			i = (rng >> 33) % 4;
			/* Room: what is held plus this one within the ring. */
			if (r[i].prod + REC - r[i].cons > RING_SIZE)
				continue;
			if (next[i] < 1000ULL * round)
				next[i] = 1000ULL * round;
			next[i] += 1 + (rng >> 40) % 50;
			put(&r[i], TCPWT_EV_CW_ENTER, next[i], added++);
		}
		merge__drain(m, 1000ULL * round + 500);
	}
	merge__drain(m, UINT64_MAX);
	ASSERT_EQ(s->n, added, "every record handed on once");
	ASSERT_TRUE(sorted(s), "in time order");
	ASSERT_EQ(merge__late(m), 0, "none late");
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(r[i].cons, r[i].prod, "consumed");
	teardown();
}

/* A batch: several events in one record, handed on one by one, in place. */
TEST(merge_batch)
{
	setup(2);
	struct tcpwt_event ev[3];

	memset(ev, 0, sizeof(ev));
	for (int i = 0; i < 3; i++) {
		ev[i].type = TCPWT_EV_CW_ENTER;
		ev[i].ts_ns = 10 + 20 * i; /* 10, 30, 50 */
		ev[i].id = i;
	}
	put_raw(&r[0], ev, sizeof(ev), 0);
	put(&r[1], TCPWT_EV_CW_EXIT, 20, 9);
	ASSERT_EQ(merge__drain(m, 40), 3, "up to the bound, into the batch");
	ASSERT_EQ(s->ts[0], 10, "the batch's first");
	ASSERT_EQ(s->ts[1], 20, "the other ring's, between");
	ASSERT_EQ(s->ts[2], 30, "the batch's second");
	ASSERT_EQ(r[0].cons, 0, "a batch not handed on in full stays in its ring");
	ASSERT_EQ(merge__drain(m, 100), 1, "the rest of it, not again what was handed");
	ASSERT_EQ(s->ts[3], 50, "the batch's last");
	ASSERT_EQ(r[0].cons, r[0].prod, "consumed");
	put(&r[0], TCPWT_EV_CW_EXIT, 160, 0);
	ASSERT_EQ(merge__drain(m, 200), 1, "the next record from its start");
	ASSERT_EQ(s->id[4], 0, "itself");
	ASSERT_EQ(merge__late(m), 0, "none late");
	teardown();
}
