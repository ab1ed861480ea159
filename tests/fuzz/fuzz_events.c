// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the ring buffer decoder: arbitrary bytes of any
 * length, one record or many, fed to the tracker as the kernel would.
 */
#include <stdint.h>
#include <string.h>
#include "tracker.h"

static struct config cfg = { .top = 4 };
static struct agg *agg;
static struct owners *owners;
static struct tracker *tracker;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct open_sock oldest[8];
	size_t ncw, ntw, rec = sizeof(struct tcpwt_event);

	if (!tracker) {
		agg = agg__new();
		owners = owners__new("/nonexistent", NULL, 0);
		tracker = tracker__new(&cfg, agg, owners);
	}
	/* The first byte picks: one record of any length, or a run of records. */
	if (size && data[0] & 1) {
		for (size_t off = 1; off + rec <= size; off += rec)
			tracker__on_data(tracker, data + off, rec);
	} else {
		tracker__on_data(tracker, data, size);
	}
	if (size && data[0] == 0x80)
		tracker__snapshot(tracker, UINT64_MAX / 2, oldest, 4, &ncw, &ntw);
	return 0;
}
