// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the ring buffer decoder: arbitrary bytes of any
 * length, one record or many, fed to the tracker as the kernel would. After
 * each input, the pool of local addresses must hold exactly those the
 * timewait records refer to.
 */
#include <stdint.h>
#include <string.h>
#include "tracker_int.h"

static struct config cfg = { .top = 4 };
static struct agg *agg;
static struct owners *owners;
static struct tracker *tracker;

/* The ids of the timewait records' local addresses in recs into seen; false if one names none. */
static bool mark_laddrs(struct table *recs, uint8_t *seen)
{
	const struct tw_rec *r;
	size_t pos = 0;

	while ((r = table__next(recs, &pos, NULL))) {
		if (r->laddr && !addr_pool__addr(tracker->laddrs, r->laddr))
			return false;
		seen[r->laddr / 8] |= 1 << r->laddr % 8;
	}
	return true;
}

/* The pool holds exactly the local addresses the records refer to. */
static void check_laddrs(void)
{
	static uint8_t seen[65536 / 8];
	size_t n = 0;

	memset(seen, 0, sizeof(seen));
	if (!mark_laddrs(tracker->tw, seen) || !mark_laddrs(tracker->tw_seeded, seen))
		__builtin_trap();
	for (size_t id = 1; id < 65536; id++)
		n += seen[id / 8] >> id % 8 & 1;
	if (n != addr_pool__len(tracker->laddrs))
		__builtin_trap();
}

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
	check_laddrs();
	return 0;
}
