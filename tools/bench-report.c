// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Times the rendering of a report with many groups (text and JSON), as the
 * tracer does at each report. Usage: bench-report [GROUPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agg.h"
#include "report.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

#define RUNS 5

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	struct config cfg = { .top = 10 };
	struct agg *a = agg__new();
	struct report rep = { .cfg = &cfg, .host = "bench", .kernel = "bench" };
	struct timespec t0;
	FILE *null = fopen(getenv("BR_OUT") ? getenv("BR_OUT") : "/dev/null", "w");
	double text_ms[RUNS], json_ms[RUNS];

	if (!a || !null)
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		struct group_key k = { .state = i % 2 ? TCPWT_TIME_WAIT : TCPWT_CLOSE_WAIT,
				       .role = i % 3 ? ROLE_SERVER : ROLE_CLIENT,
				       .port = 1024 + i % 60000, .pid = 1000 + i };
		bool created;
		uint64_t id;

		snprintf(k.comm, sizeof(k.comm), "worker-%lu", i % 97);
		id = agg__group(a, &k, &created);
		for (int s = 0; s < 20; s++)
			agg__complete(a, id, (uint64_t)(s + 1) * 7919 * (i + 1) % 60000000000ULL,
				      s % 2 ? TW_END_EXPIRED : TW_END_KILLED);
		agg__add_open(a, id, i * 1000, false, false, false);
	}
	rep.ngroups = agg__sorted(a, &rep.groups);
	/* Median of RUNS renders: one render on a shared VM is noise. */
	for (int i = 0; i < RUNS; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		report__text(null, &rep);
		text_ms[i] = ms_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		report__json_line(null, &rep);
		json_ms[i] = ms_since(&t0);
	}
	printf("report of %lu groups (median of %d): text %.1f ms, json %.1f ms (target <= 50 ms)\n",
	       n, RUNS, median(text_ms), median(json_ms));
	free(rep.groups);
	agg__free(a);
	fclose(null);
	return 0;
}
