// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histograms: percentiles from the fine buckets, log2 buckets for display. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "hist.h"

#define MS 1000000ULL
#define S 1000000000ULL

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The value of rank ceil(q * n) among sorted v, as the histogram defines it. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n);

	if ((double)rank < q * (double)n)
		rank++;

	return sorted[rank ? rank - 1 : 0];
}

/* Every percentile of v within 1.6% of the exact one, p100 the max. */
static void check_quantiles(uint64_t *v, size_t n, const char *what)
{
	static const double qs[] = { 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999 };
	struct hist h;

	hist__init(&h);
	for (size_t i = 0; i < n; i++)
		if (!ASSERT_EQ(hist__add(&h, v[i]), 0, "add"))
			goto out;
	qsort(v, n, sizeof(*v), cmp_u64);
	ASSERT_EQ(h.count, n, what);
	ASSERT_EQ(h.min_ns, v[0], "min exact");
	ASSERT_EQ(h.max_ns, v[n - 1], "max exact");
	ASSERT_EQ(hist__percentile(&h, 1.0), v[n - 1], "p100 is the max");
	uint64_t all[ARRAY_LEN(qs) + 1];
	double qs_max[ARRAY_LEN(qs) + 1];

	memcpy(qs_max, qs, sizeof(qs));
	qs_max[ARRAY_LEN(qs)] = 1.0;
	/* All at once in one pass: the same values as one by one. */
	hist__percentiles(&h, qs_max, ARRAY_LEN(qs_max), all);
	ASSERT_EQ(all[ARRAY_LEN(qs)], v[n - 1], "p100 among several");
	for (size_t i = 0; i < ARRAY_LEN(qs); i++) {
		uint64_t exact = exact_quantile(v, n, qs[i]);

		if (!ASSERT_NEAR(hist__percentile(&h, qs[i]), exact, exact * 0.016, what))
			printf("    q=%g\n", qs[i]);
		ASSERT_EQ(all[i], hist__percentile(&h, qs[i]), "one pass == one by one");
	}
out:
	hist__free(&h);
}

TEST(hist_empty)
{
	struct hist_bucket b[HIST_LOG2_SLOTS];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct hist h;

	hist__init(&h);
	ASSERT_EQ(hist__percentile(&h, 0.5), 0, "p50 of nothing");
	ASSERT_EQ(hist__percentile(&h, 1.0), 0, "p100 of nothing");
	ASSERT_EQ(hist__log2_buckets(&h, b, ARRAY_LEN(b)), 0, "no log2 bucket");
	hist__print_log2(&h, out, "  ");
	fclose(out);
	ASSERT_EQ(len, 0, "nothing printed for an empty histogram");
	free(buf);
	hist__free(&h);
}

TEST(hist_uniform_ms)
{
	uint64_t *v = malloc(10000 * sizeof(*v));

	for (uint64_t i = 0; i < 10000; i++)
		v[i] = (i + 1) * MS;
	check_quantiles(v, 10000, "uniform 1..10000 ms");
	free(v);
}

TEST(hist_log_uniform_random)
{
	size_t n = 20000;
	uint64_t *v = malloc(n * sizeof(*v));

	/* 1 us .. 1000 s, every power of two equally likely. */
	for (size_t i = 0; i < n; i++) {
		uint64_t base = 1000ULL << (rnd() % 30);

		v[i] = base + rnd() % base;
	}
	check_quantiles(v, n, "log-uniform");
	free(v);
}

TEST(hist_constant)
{
	static const double qs[] = { 0.0, 0.01, 0.5, 0.99, 1.0 };
	struct hist h;

	hist__init(&h);
	for (int i = 0; i < 1000; i++)
		hist__add(&h, 500 * MS);
	ASSERT_EQ(h.count, 1000, "count");
	ASSERT_EQ(h.sum_ns, 500000 * MS, "sum");
	ASSERT_EQ(h.min_ns, 500 * MS, "min");
	ASSERT_EQ(h.max_ns, 500 * MS, "max");
	for (size_t i = 0; i < ARRAY_LEN(qs); i++)
		ASSERT_EQ(hist__percentile(&h, qs[i]), 500 * MS, "every percentile is the value");
	hist__free(&h);
}

TEST(hist_two_clusters)
{
	uint64_t v[1000];

	/* 900 around 10 ms, 100 around 60 s: nothing in between. */
	for (int i = 0; i < 1000; i++)
		v[i] = i < 900 ? 10 * MS + i * 1000 : 60 * S + (i - 900) * MS;
	check_quantiles(v, 1000, "two clusters");
	{
		struct hist h;

		hist__init(&h);
		for (int i = 0; i < 1000; i++)
			hist__add(&h, v[i]);
		ASSERT_LE(hist__percentile(&h, 0.9), 11 * MS, "p90 in the low cluster");
		ASSERT_GE(hist__percentile(&h, 0.901), 59 * S, "p90.1 in the high cluster");
		hist__free(&h);
	}
}

TEST(hist_small_values_exact)
{
	static const uint64_t v[] = { 33, 0, 31, 1, 32 };
	struct hist h;

	hist__init(&h);
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		ASSERT_EQ(hist__add(&h, v[i]), 0, "add");
	ASSERT_EQ(h.min_ns, 0, "min");
	ASSERT_EQ(h.max_ns, 33, "max");
	/* Below 64 every bucket is one nanosecond wide: exact. */
	ASSERT_EQ(hist__percentile(&h, 0.1), 0, "rank 1");
	ASSERT_EQ(hist__percentile(&h, 0.3), 1, "rank 2");
	ASSERT_EQ(hist__percentile(&h, 0.5), 31, "rank 3");
	ASSERT_EQ(hist__percentile(&h, 0.7), 32, "rank 4");
	ASSERT_EQ(hist__percentile(&h, 0.9), 33, "rank 5");
	ASSERT_EQ(hist__percentile(&h, 1.0), 33, "p100");
	hist__free(&h);
}

struct fine_walk {
	struct hist_bucket b[4096];
	size_t n;
};

static void collect(const struct hist_bucket *b, void *arg)
{
	struct fine_walk *w = arg;

	if (w->n < ARRAY_LEN(w->b))
		w->b[w->n] = *b;
	w->n++;
}

/* The fine bucket holding v, by binary search; NULL if none. */
static const struct hist_bucket *fine_of(const struct fine_walk *w, uint64_t v)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v < w->b[mid].lo_ns)
			hi = mid;
		else if (v >= w->b[mid].hi_ns && w->b[mid].hi_ns != UINT64_MAX)
			lo = mid + 1;
		else
			return &w->b[mid];
	}
	return NULL;
}

TEST(hist_huge_values)
{
	static const uint64_t v[] = { UINT64_MAX, UINT64_MAX - 1, 1ULL << 63, (1ULL << 63) - 1,
				      UINT64_MAX / 3, 0 };
	struct fine_walk *w = calloc(1, sizeof(*w));
	struct hist h;
	uint64_t sum = 0;

	hist__init(&h);
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		ASSERT_EQ(hist__add(&h, v[i]), 0, "add");
	ASSERT_EQ(h.count, ARRAY_LEN(v), "count");
	ASSERT_EQ(h.min_ns, 0, "min");
	ASSERT_EQ(h.max_ns, UINT64_MAX, "max");
	ASSERT_EQ(hist__percentile(&h, 1.0), UINT64_MAX, "p100");
	ASSERT_GE(hist__percentile(&h, 0.99), (1ULL << 63), "p99 among the huge ones");
	hist__for_each_fine(&h, collect, w);
	for (size_t i = 0; i < w->n; i++)
		sum += w->b[i].count;
	ASSERT_EQ(sum, ARRAY_LEN(v), "fine buckets hold every value");
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		const struct hist_bucket *b = fine_of(w, v[i]);

		/* The top bucket ends at 2^64, which hi_ns cannot say. */
		if (!ASSERT_TRUE(b && b->lo_ns <= v[i], "value in its fine bucket"))
			printf("    value %llu\n", (unsigned long long)v[i]);
	}
	free(w);
	hist__free(&h);
}

TEST(hist_fine_buckets)
{
	struct fine_walk *w = calloc(1, sizeof(*w));
	uint64_t v[20000], sum = 0, *recount;
	struct hist h;

	hist__init(&h);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		/* Any magnitude from 1 ns to 2^50 ns (13 days). */
		v[i] = rnd() >> (14 + rnd() % 50);
		hist__add(&h, v[i]);
	}
	hist__for_each_fine(&h, collect, w);
	if (!ASSERT_LE(w->n, ARRAY_LEN(w->b), "bucket count"))
		goto out;
	recount = calloc(w->n, sizeof(*recount));
	for (size_t i = 0; i < w->n; i++) {
		const struct hist_bucket *b = &w->b[i];

		sum += b->count;
		if (!ASSERT_TRUE(b->hi_ns > b->lo_ns, "non-empty range") ||
		    !ASSERT_TRUE(b->count > 0, "only non-empty buckets") ||
		    (i && !ASSERT_GE(b->lo_ns, w->b[i - 1].hi_ns, "increasing, disjoint")))
			break;
		if (b->lo_ns >= HIST_SUB &&
		    !ASSERT_LE(b->hi_ns - b->lo_ns, b->lo_ns / HIST_SUB, "at most 1/32 wide"))
			break;
	}
	ASSERT_EQ(sum, h.count, "fine buckets add up to count");
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		const struct hist_bucket *b = fine_of(w, v[i]);

		if (!ASSERT_TRUE(b, "every value falls in a bucket [lo, hi)"))
			break;
		recount[b - w->b]++;
	}
	for (size_t i = 0; i < w->n; i++)
		if (!ASSERT_EQ(recount[i], w->b[i].count, "bucket holds exactly its values"))
			break;
	free(recount);
out:
	free(w);
	hist__free(&h);
}

TEST(hist_log2_buckets)
{
	static const struct {
		uint64_t ns;
		unsigned int slot;
	} v[] = {
		{ 0, 0 }, { 1 * MS, 0 }, { 2 * MS - 1, 0 }, { 2 * MS, 1 }, { 4 * MS - 1, 1 },
		{ 4 * MS, 2 }, { 1000 * MS, 9 }, { 1024 * MS, 10 }, { 60 * S, 15 },
		{ 60 * S, 15 }, { 60 * S, 15 },
	};
	struct hist_bucket b[HIST_LOG2_SLOTS];
	uint32_t want[HIST_LOG2_SLOTS] = { 0 };
	struct hist h;
	size_t n, k = 0;

	hist__init(&h);
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		hist__add(&h, v[i].ns);
		want[v[i].slot]++;
	}
	n = hist__log2_buckets(&h, b, ARRAY_LEN(b));
	ASSERT_EQ(n, 6, "non-empty slots");
	for (unsigned int s = 0; s < HIST_LOG2_SLOTS && k < n; s++) {
		if (!want[s])
			continue;
		ASSERT_EQ(b[k].lo_ns, s ? (1ULL << s) * MS : 0, "lo = 2^k ms (0 for slot 0)");
		ASSERT_EQ(b[k].hi_ns, (1ULL << (s + 1)) * MS, "hi = 2^(k+1) ms");
		ASSERT_EQ(b[k].count, want[s], "count");
		k++;
	}
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		for (size_t j = 0; j < n; j++)
			if (v[i].ns >= b[j].lo_ns && v[i].ns < b[j].hi_ns)
				ASSERT_EQ(v[i].slot, b[j].lo_ns ? __builtin_ctzll(b[j].lo_ns / MS) : 0,
					  "value within its bucket's bounds");
	ASSERT_EQ(hist__log2_buckets(&h, b, 2), 2, "at most n written");
	ASSERT_EQ(b[1].lo_ns, 2 * MS, "the first n, in order");
	hist__free(&h);
}

/* 2^32 ms is 49.7 days: what lands in the last slot must be within its bounds. */
TEST(hist_log2_last_slot_holds_its_values)
{
	static const uint64_t v[] = { (1ULL << 31) * MS, (1ULL << 33) * MS, UINT64_MAX };
	struct hist_bucket b[HIST_LOG2_SLOTS];
	struct hist h;
	size_t n;

	hist__init(&h);
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		hist__add(&h, v[i]);
	n = hist__log2_buckets(&h, b, ARRAY_LEN(b));
	if (!ASSERT_EQ(n, 1, "one slot"))
		goto out;
	ASSERT_EQ(b[0].count, 3, "all three");
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		if (!ASSERT_TRUE(v[i] >= b[0].lo_ns && (v[i] < b[0].hi_ns || b[0].hi_ns == UINT64_MAX),
				 "value within [lo_ns, hi_ns) of its bucket"))
			printf("    value %llu ns, bucket [%llu, %llu)\n", (unsigned long long)v[i],
			       (unsigned long long)b[0].lo_ns, (unsigned long long)b[0].hi_ns);
out:
	hist__free(&h);
}

TEST(hist_print_log2)
{
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	unsigned long long lo, hi;
	unsigned int count, rows = 0, full = 0, ten = 0;
	struct hist h;

	hist__init(&h);
	for (int i = 0; i < 400; i++)
		hist__add(&h, 300 * MS);
	for (int i = 0; i < 100; i++)
		hist__add(&h, 70 * S);
	hist__add(&h, (1ULL << 31) * MS); /* the widest labels */
	hist__print_log2(&h, out, "");
	fclose(out);
	if (!ASSERT_TRUE(buf && len, "printed"))
		goto out;
	ASSERT_TRUE(strstr(buf, "msecs") != NULL, "header");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *bar = strchr(line, '|');
		size_t stars = 0;

		ASSERT_LE(strlen(line), 80, "at most 80 columns");
		if (sscanf(line, "%llu -> %llu : %u", &lo, &hi, &count) != 3)
			continue;
		rows++;
		if (!ASSERT_TRUE(bar && strchr(bar + 1, '|'), "bar"))
			continue;
		for (const char *p = bar + 1; *p == '*'; p++)
			stars++;
		ASSERT_EQ(stars, (size_t)count * 40 / 400, "bar proportional to the count");
		full += stars == 40;
		ten += stars == 10;
		if (lo == 256)
			ASSERT_EQ(count, 400, "256 -> 511 count");
	}
	/* From the first non-empty slot (8) to the last (31), empty ones included. */
	ASSERT_EQ(rows, 31 - 8 + 1, "one row per slot from first to last");
	ASSERT_EQ(full, 1, "the largest bucket has 40 stars");
	ASSERT_EQ(ten, 1, "a quarter of it has 10");
out:
	free(buf);
	hist__free(&h);
}

TEST(hist_print_indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct hist h;

	hist__init(&h);
	hist__add(&h, 5 * MS);
	hist__print_log2(&h, out, ">>");
	fclose(out);
	ASSERT_TRUE(buf && !strncmp(buf, ">>", 2), "first line indented");
	ASSERT_TRUE(buf && strstr(buf, "\n>>") != NULL, "rows indented");
	free(buf);
	hist__free(&h);
}
