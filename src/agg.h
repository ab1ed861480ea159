/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_AGG_H
#define TCPWT_AGG_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "hist.h"
#include "tcpwaittrace.h"

enum role { ROLE_SERVER, ROLE_CLIENT };

/* TAKEN_OVER: killed by a connect() that took its tuple over (tcp_tw_reuse). */
enum tw_end { TW_END_NONE, TW_END_EXPIRED, TW_END_KILLED, TW_END_TAKEN_OVER };

/* Sockets are grouped by state x owning process x service port x role. */
struct group_key {
	uint8_t state; /* TCPWT_CLOSE_WAIT or TCPWT_TIME_WAIT */
	uint8_t role;
	uint16_t port;
	uint32_t pid; /* 0: unknown owner */
	char comm[TCPWT_COMM_LEN];
};

struct group {
	struct group_key key;
	struct hist hist; /* time spent in the state by sockets that left it */
	uint64_t expired; /* TIME_WAIT that ran its full course */
	uint64_t killed; /* TIME_WAIT ended early: reuse, RST, netns gone */
	uint64_t taken_over; /* of killed: a connect() took the tuple over */
	/* Sockets still in the state, as of the last agg__reset_open(). */
	uint64_t open;
	uint64_t oldest_open_ns;
	uint64_t open_seeded; /* of which existed before tracing began */
	bool oldest_is_lower_bound; /* the oldest one's entry time is unknown */
	bool oldest_is_estimate; /* its age is the kernel's estimate */
	bool shared; /* some socket's file is held by several processes */
	bool exited; /* the owner is gone (its figures are kept) */
	char *cmdline; /* the owner's command line when first seen, or NULL */
};

struct agg;

struct agg *agg__new(void);
void agg__free(struct agg *a);
/*
 * Id of the group with this key (created on first use, *created set), 0 on
 * ENOMEM.
 */
uint64_t agg__group(struct agg *a, const struct group_key *key, bool *created);
struct group *agg__find(struct agg *a, uint64_t id);
int agg__complete(struct agg *a, uint64_t id, uint64_t ns, enum tw_end end);
void agg__reset_open(struct agg *a);
void agg__add_open(struct agg *a, uint64_t id, uint64_t age_ns, bool seeded,
		   bool lower_bound, bool estimate);
/*
 * Groups with anything to show, TIME_WAIT after CLOSE_WAIT, then most
 * sockets first. The array is the caller's to free; the groups are not.
 */
size_t agg__sorted(struct agg *a, struct group ***out);
size_t agg__len(const struct agg *a);

#endif
