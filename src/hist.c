// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"

#define NS_PER_MS 1000000ULL
#define BAR_WIDTH 40

static unsigned int msb64(uint64_t v)
{
	return 63 - __builtin_clzll(v);
}

/* Values below HIST_SUB are exact in octave 0; above, 32 buckets per octave. */
static void fine_index(uint64_t v, unsigned int *oct, unsigned int *sub)
{
	unsigned int shift;

	if (v < HIST_SUB) {
		*oct = 0;
		*sub = v;
		return;
	}
	shift = msb64(v) - HIST_SUB_BITS;
	*oct = shift + 1;
	*sub = (v >> shift) & (HIST_SUB - 1);
}

static void fine_bounds(unsigned int oct, unsigned int sub, uint64_t *lo, uint64_t *hi)
{
	unsigned int shift;

	if (oct == 0) {
		*lo = sub;
		*hi = sub + 1;
		return;
	}
	shift = oct - 1;
	*lo = (uint64_t)(HIST_SUB | sub) << shift;
	*hi = *lo + (1ULL << shift);
	if (*hi < *lo) /* the top bucket ends at 2^64 */
		*hi = UINT64_MAX;
}

static unsigned int log2_slot(uint64_t ns)
{
	uint64_t ms = ns / NS_PER_MS;
	unsigned int slot = ms ? msb64(ms) : 0;

	return slot < HIST_LOG2_SLOTS ? slot : HIST_LOG2_SLOTS - 1;
}

void hist__init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist__free(struct hist *h)
{
	for (unsigned int i = 0; i < HIST_OCTAVES; i++)
		free(h->octave[i]);
	hist__init(h);
}

int hist__add(struct hist *h, uint64_t ns)
{
	unsigned int oct, sub;

	fine_index(ns, &oct, &sub);
	if (!h->octave[oct]) {
		h->octave[oct] = calloc(HIST_SUB, sizeof(uint32_t));
		if (!h->octave[oct])
			return -ENOMEM;
	}
	h->octave[oct][sub]++;
	h->log2_ms[log2_slot(ns)]++;
	if (!h->count || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
	return 0;
}

static uint64_t rank_of(const struct hist *h, double q)
{
	uint64_t rank = (uint64_t)(q * (double)h->count);

	if ((double)rank < q * (double)h->count)
		rank++;
	return rank < 1 ? 1 : rank;
}

static uint64_t bucket_value(const struct hist *h, unsigned int oct, unsigned int sub)
{
	uint64_t lo, hi, mid;

	fine_bounds(oct, sub, &lo, &hi);
	mid = lo + (hi - lo) / 2;
	if (mid < h->min_ns)
		return h->min_ns;
	return mid > h->max_ns ? h->max_ns : mid;
}

void hist__percentiles(const struct hist *h, const double *qs, size_t n, uint64_t *out)
{
	uint64_t seen = 0, rank[n ? n : 1];
	size_t k = 0, last = n;

	if (!h->count || !n) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		rank[i] = rank_of(h, qs[i]);
		if (qs[i] >= 1.0 && last == n)
			last = i;
	}
	/* One walk over the buckets serves every quantile below 1, ascending. */
	for (unsigned int o = 0; o < HIST_OCTAVES && k < last; o++) {
		const uint32_t *oct = h->octave[o];
		uint64_t sum = 0;

		if (!oct)
			continue;
		for (unsigned int s = 0; s < HIST_SUB; s++)
			sum += oct[s];
		if (seen + sum < rank[k]) {
			seen += sum;
			continue;
		}
		for (unsigned int s = 0; s < HIST_SUB && k < last; s++) {
			seen += oct[s];
			while (k < last && seen >= rank[k])
				out[k++] = bucket_value(h, o, s);
		}
	}
	for (; k < n; k++)
		out[k] = h->max_ns;
}

uint64_t hist__percentile(const struct hist *h, double q)
{
	uint64_t v;

	hist__percentiles(h, &q, 1, &v);
	return v;
}

static void log2_bounds(unsigned int slot, uint64_t *lo, uint64_t *hi)
{
	*lo = slot ? (1ULL << slot) * NS_PER_MS : 0;
	/* The last slot also holds everything beyond it. */
	*hi = slot == HIST_LOG2_SLOTS - 1 ? UINT64_MAX : (1ULL << (slot + 1)) * NS_PER_MS;
}

size_t hist__log2_buckets(const struct hist *h, struct hist_bucket *out, size_t n)
{
	size_t k = 0;

	for (unsigned int i = 0; i < HIST_LOG2_SLOTS && k < n; i++) {
		if (!h->log2_ms[i])
			continue;
		log2_bounds(i, &out[k].lo_ns, &out[k].hi_ns);
		out[k++].count = h->log2_ms[i];
	}
	return k;
}

void hist__for_each_fine(const struct hist *h,
			 void (*fn)(const struct hist_bucket *b, void *arg), void *arg)
{
	struct hist_bucket b;

	for (unsigned int o = 0; o < HIST_OCTAVES; o++) {
		if (!h->octave[o])
			continue;
		for (unsigned int s = 0; s < HIST_SUB; s++) {
			if (!h->octave[o][s])
				continue;
			fine_bounds(o, s, &b.lo_ns, &b.hi_ns);
			b.count = h->octave[o][s];
			fn(&b, arg);
		}
	}
}

void hist__print_log2(const struct hist *h, FILE *out, const char *indent)
{
	int first = -1, last = -1;
	uint32_t peak = 0;
	char bar[BAR_WIDTH + 1];

	for (int i = 0; i < HIST_LOG2_SLOTS; i++) {
		if (!h->log2_ms[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->log2_ms[i] > peak)
			peak = h->log2_ms[i];
	}
	if (first < 0)
		return;
	fprintf(out, "%s%10s%-14s : count    distribution\n", indent, "msecs", "");
	for (int i = first; i <= last; i++) {
		uint64_t lo = i ? 1ULL << i : 0, hi = (1ULL << (i + 1)) - 1;
		int stars = (int)((uint64_t)h->log2_ms[i] * BAR_WIDTH / peak);

		memset(bar, '*', stars);
		memset(bar + stars, ' ', BAR_WIDTH - stars);
		bar[BAR_WIDTH] = '\0';
		fprintf(out, "%s%10llu -> %-10llu : %-8u |%s|\n", indent,
			(unsigned long long)lo, (unsigned long long)hi,
			h->log2_ms[i], bar);
	}
}
