// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "check.h"
#include "hist.h"

#define MS 1000000ULL

TEST(hist_empty)
{
	struct hist h;

	hist__init(&h);
	ASSERT_EQ(hist__percentile(&h, 0.5), 0, "p50 of nothing");
	ASSERT_EQ(hist__percentile(&h, 1.0), 0, "max of nothing");
	hist__free(&h);
}

TEST(hist_constant)
{
	struct hist h;

	hist__init(&h);
	for (int i = 0; i < 100; i++)
		hist__add(&h, 500 * MS);
	ASSERT_EQ(h.count, 100, "count");
	ASSERT_EQ(h.min_ns, 500 * MS, "min exact");
	ASSERT_EQ(h.max_ns, 500 * MS, "max exact");
	ASSERT_EQ(hist__percentile(&h, 0.5), 500 * MS, "p50 clamped to the only value");
	hist__free(&h);
}

/* Uniform 1..10000 ms: every percentile within 1.6% of the exact one. */
TEST(hist_percentiles_accuracy)
{
	static const double qs[] = { 0.01, 0.1, 0.5, 0.9, 0.99, 0.999 };
	struct hist h;

	hist__init(&h);
	for (uint64_t ms = 1; ms <= 10000; ms++)
		hist__add(&h, ms * MS + 123);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = qs[i] * 10000 * MS;

		ASSERT_NEAR(hist__percentile(&h, qs[i]), exact, exact * 0.016 + MS, "percentile");
	}
	ASSERT_EQ(hist__percentile(&h, 1.0), 10000 * MS + 123, "p100 is the max");
	hist__free(&h);
}

TEST(hist_two_clusters)
{
	struct hist h;

	hist__init(&h);
	for (int i = 0; i < 90; i++)
		hist__add(&h, 10 * MS);
	for (int i = 0; i < 10; i++)
		hist__add(&h, 60000 * MS);
	ASSERT_NEAR(hist__percentile(&h, 0.5), 10 * MS, 0.016 * 10 * MS, "p50 in the low cluster");
	ASSERT_NEAR(hist__percentile(&h, 0.95), 60000 * MS, 0.016 * 60000 * MS, "p95 in the high one");
	hist__free(&h);
}

TEST(hist_extremes)
{
	static const uint64_t v[] = { 0, 1, 31, 32, 33, 63, 64, UINT64_MAX - 1, UINT64_MAX };
	struct hist h;

	hist__init(&h);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ASSERT_EQ(hist__add(&h, v[i]), 0, "add");
	ASSERT_EQ(h.min_ns, 0, "min");
	ASSERT_EQ(h.max_ns, UINT64_MAX, "max");
	ASSERT_EQ(hist__percentile(&h, 0.2), 1, "small values are exact");
	hist__free(&h);
}

struct fine_check {
	uint64_t sum, last_hi;
	bool ordered;
};

static void on_fine(const struct hist_bucket *b, void *arg)
{
	struct fine_check *c = arg;

	if (b->lo_ns < c->last_hi || b->hi_ns <= b->lo_ns)
		c->ordered = false;
	c->last_hi = b->hi_ns;
	c->sum += b->count;
}

TEST(hist_fine_buckets)
{
	struct fine_check c = { .ordered = true };
	struct hist h;

	hist__init(&h);
	srand(7);
	for (int i = 0; i < 5000; i++)
		hist__add(&h, (uint64_t)rand() * 1000);
	hist__for_each_fine(&h, on_fine, &c);
	ASSERT_EQ(c.sum, 5000, "fine buckets add up");
	ASSERT_TRUE(c.ordered, "fine buckets ordered and disjoint");
	hist__free(&h);
}

TEST(hist_log2_buckets)
{
	struct hist_bucket b[HIST_LOG2_SLOTS];
	struct hist h;
	size_t n;

	hist__init(&h);
	hist__add(&h, 0);
	hist__add(&h, 1 * MS + 5);
	hist__add(&h, 300 * MS);
	hist__add(&h, 511 * MS);
	hist__add(&h, 512 * MS);
	n = hist__log2_buckets(&h, b, HIST_LOG2_SLOTS);
	if (!ASSERT_EQ(n, 3, "non-empty buckets"))
		goto out;
	ASSERT_EQ(b[0].lo_ns, 0, "slot 0 from 0");
	ASSERT_EQ(b[0].hi_ns, 2 * MS, "slot 0 to 2 ms");
	ASSERT_EQ(b[0].count, 2, "slot 0 count");
	ASSERT_EQ(b[1].lo_ns, 256 * MS, "256 ms slot");
	ASSERT_EQ(b[1].count, 2, "256..511 ms");
	ASSERT_EQ(b[2].lo_ns, 512 * MS, "512 ms slot");
out:
	hist__free(&h);
}

TEST(hist_print_80_columns)
{
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct hist h;
	int lines = 0, full = 0;

	hist__init(&h);
	hist__print_log2(&h, out, "");
	fflush(out);
	ASSERT_EQ(len, 0, "nothing for an empty histogram");
	for (int i = 0; i < 40; i++)
		hist__add(&h, 300 * MS);
	for (int i = 0; i < 10; i++)
		hist__add(&h, 70000 * MS);
	hist__print_log2(&h, out, "");
	fclose(out);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		ASSERT_LE(strlen(line), 80, "line width");
		if (strstr(line, "|****************************************|"))
			full++;
	}
	ASSERT_GE(lines, 3, "header and rows");
	ASSERT_EQ(full, 1, "the largest bucket has the full 40-star bar");
	free(buf);
	hist__free(&h);
}
