// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "delivery.h"

struct delivery {
	int ncpu;
	int *fds; /* -1 for a CPU that is not online */
	uint64_t reached0;
};

static const char *const id_paths[] = {
	"/sys/kernel/tracing/events/sock/inet_sock_set_state/id",
	"/sys/kernel/debug/tracing/events/sock/inet_sock_set_state/id",
};

static int tracepoint_id(__u64 *id)
{
	for (size_t i = 0; i < sizeof(id_paths) / sizeof(id_paths[0]); i++) {
		FILE *f = fopen(id_paths[i], "re");
		unsigned long long v;
		int n;

		if (!f)
			continue;
		n = fscanf(f, "%llu", &v);
		fclose(f);
		if (n == 1) {
			*id = v;
			return 0;
		}
	}
	return -ENOENT;
}

int delivery__open(struct delivery **out)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.disabled = 1,
	};
	struct delivery *d;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int opened = 0, fail = 0, err;

	if (ncpu < 1)
		return -EINVAL;
	err = tracepoint_id(&attr.config);
	if (err)
		return err;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ncpu = (int)ncpu;
	d->fds = calloc(ncpu, sizeof(*d->fds));
	if (!d->fds) {
		free(d);
		return -ENOMEM;
	}
	for (int cpu = 0; cpu < d->ncpu; cpu++) {
		d->fds[cpu] = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
					   PERF_FLAG_FD_CLOEXEC);
		if (d->fds[cpu] >= 0)
			opened++;
		else if (errno != ENODEV) /* ENODEV: that CPU is offline */
			fail = -errno;
	}
	if (!opened || fail) {
		delivery__free(d);
		return fail ? fail : -ENODEV;
	}
	*out = d;
	return 0;
}

int delivery__enable(struct delivery *d, uint64_t reached)
{
	d->reached0 = reached;
	for (int cpu = 0; cpu < d->ncpu; cpu++)
		if (d->fds[cpu] >= 0 && ioctl(d->fds[cpu], PERF_EVENT_IOC_ENABLE, 0))
			return -errno;
	return 0;
}

uint64_t delivery__hits(const struct delivery *d)
{
	uint64_t sum = 0;

	for (int cpu = 0; cpu < d->ncpu; cpu++) {
		uint64_t v;

		if (d->fds[cpu] >= 0 && read(d->fds[cpu], &v, sizeof(v)) == sizeof(v))
			sum += v;
	}
	return sum;
}

uint64_t delivery__undelivered(const struct delivery *d, uint64_t hits, uint64_t reached)
{
	uint64_t seen = reached - d->reached0;

	return hits > seen ? hits - seen : 0;
}

void delivery__free(struct delivery *d)
{
	if (!d)
		return;
	for (int cpu = 0; cpu < d->ncpu; cpu++)
		if (d->fds[cpu] >= 0)
			close(d->fds[cpu]);
	free(d->fds);
	free(d);
}
