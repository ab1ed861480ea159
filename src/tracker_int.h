/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The tracker's insides, shared by tracker.c (events) and snapshot.c (reports). */
#ifndef TCPWT_TRACKER_INT_H
#define TCPWT_TRACKER_INT_H

#include "addrpool.h"
#include "sockdiag.h"
#include "table.h"
#include "tracker.h"

#define PARKED_CANCEL_NS (20 * 1000000ULL)
#define TW_LEN_NS (60 * 1000000000ULL) /* TCP_TIMEWAIT_LEN */
#define GONE_NETNS 4 /* deleted namespaces remembered */

struct tuple {
	uint32_t netns;
	uint8_t family;
	uint8_t pad;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[16];
	uint8_t raddr[16];
};

/* A socket in CLOSE_WAIT, keyed by its struct sock address. */
struct cw_rec {
	uint64_t enter_ns;
	uint64_t ino;
	struct tuple tp;
	uint32_t pid; /* seen acting on it in process context, 0 if not */
	uint8_t role;
	bool seeded; /* listed at start-up: enter_ns is only when tracing began */
	/*
	 * sock_diag no longer lists it: dropped at the next reconciliation
	 * unless its exit, still on its way then, comes first.
	 */
	bool gone;
	/*
	 * Found by a listing while tracing, its entry never seen (seeded too:
	 * known by its cookie, enter_ns a lower bound).
	 */
	bool adopted;
	char comm[TCPWT_COMM_LEN];
	uint64_t estimate_ns; /* seeded: entry estimated from tcp_info, 0 if none */
};

/* How the tracker came to know a timewait socket. */
enum tw_origin {
	TW_BORN_SEEN = 0, /* its birth event */
	TW_SEEDED, /* listed at start-up: from before tracing, known by its cookie */
	TW_ADOPTED, /* listed while tracing, its birth missed: known by its cookie */
	TW_ADOPTED_UNOWNED, /* the same, its close missed too */
};

/*
 * A timewait socket, keyed by its address. Kept small: a host can have a
 * million of them. Of its tuple it keeps the peer, the ports and, in what
 * would be padding, its local address's id in the tracker's pool: a host's
 * timewait sockets share a few local addresses, which would cost 16 bytes
 * each in every record.
 */
struct tw_rec {
	uint64_t born_ns;
	uint64_t tw_ns; /* entered TIME_WAIT; 0 while it may still be FIN_WAIT2 */
	uint64_t group;
	uint8_t raddr[16];
	uint32_t hash; /* tuple_hash()'s low half: tw_diag_key() */
	uint32_t netns;
	uint16_t lport;
	uint16_t rport;
	uint8_t family;
	uint8_t origin; /* enum tw_origin */
	uint16_t laddr; /* in t->laddrs; 0: not kept */
};
_Static_assert(sizeof(struct tw_rec) == 56, "a timewait record is 56 bytes: a million of them");

/*
 * A socket a task closed first (or shut down), keyed by its struct sock
 * address, until its timewait socket is born (or it closes without one).
 */
struct closer_rec {
	uint64_t ts_ns;
	uint32_t tgid;
	uint16_t lport;
	uint16_t rport;
	char comm[TCPWT_COMM_LEN];
	uint8_t family;
};

/*
 * A closer older than this is forgotten: its birth or its end was lost, or
 * it stays in FIN_WAIT for longer (half-closed): its timewait socket, if
 * one comes, is then tracked without an owner.
 */
#define CLOSER_STALE_NS (120 * 1000000000ULL)

struct rearm_rec {
	uint64_t entry_ns;
	uint64_t ts_ns; /* of the re-arm: purged after FORGET_NS */
};

struct listener {
	uint32_t pid;
	uint64_t ino;
	char comm[TCPWT_COMM_LEN];
};

/* A timewait socket lives at most tcp_fin_timeout (<= 120 s) then 60 s. */
#define FORGET_NS (200 * 1000000000ULL)

/*
 * Events held back by tracker__on_data_ahead(): enough to cover a cache
 * miss (~100-300 ns with its page walk) with the handling of those before.
 */
#define TRACKER_AHEAD 8

struct tracker {
	const struct config *cfg;
	struct agg *agg;
	struct owners *owners;
	struct table *cw; /* sock address -> struct cw_rec */
	struct table *tw; /* timewait address -> struct tw_rec */
	/* Listed by sock_diag at start-up, known by cookie until they end. */
	struct table *cw_seeded; /* cookie -> struct cw_rec */
	struct table *tw_seeded; /* cookie -> struct tw_rec */
	/*
	 * Timewait addresses whose end is to be ignored when it comes: births
	 * our filters dropped, and sockets ended early from a parked cancel.
	 * Any other end of an unknown timewait socket is one whose birth the
	 * tracer never saw.
	 */
	struct table *tw_forget; /* timewait address -> when (ns) */
	/*
	 * Timewait sockets unknown to the tracker (birth unseen) whose timer a
	 * segment re-armed in TIME_WAIT: when they entered it, as the re-arm
	 * said, for their end (whose timer tells only of the re-arm).
	 */
	struct table *tw_rearmed; /* timewait address -> struct rearm_rec */
	struct table *listeners; /* hash(netns, port) -> struct listener */
	struct table *closers; /* sock address -> struct closer_rec */
	/*
	 * Closers whose socket's address came back in another's CLOSER (or
	 * birth) before their own birth was seen: that birth reached no program
	 * or was dropped. Kept by family and ports for their timewait socket's
	 * end, which names no owner, for FORGET_NS.
	 */
	struct table *orphans; /* orphan_key() -> struct closer_rec */
	struct addr_pool *laddrs; /* timewait sockets' local addresses */
	uint64_t next_adopt_ns; /* the next listing of unknown CLOSE_WAIT sockets */
	uint64_t next_adopt_tw_ns; /* the next listing of unknown timewait sockets */
	/*
	 * Events lost as of the last look at the count; when a loss no listing
	 * covers yet was first seen (0: none), and when the latest was.
	 */
	uint64_t lost_listed, lost_ns, lost_last_ns;
	/* The destinations holding the most client ports, at the last snapshot. */
	struct tw_dest *dests;
	size_t n_dests, n_dests_cap;
	/*
	 * Namespaces whose deletion ended their timewait sockets, with no
	 * timewait birth there since: the same deletion's report from another
	 * CPU has nothing left to end, so the tables are not scanned again.
	 */
	uint32_t gone_netns[GONE_NETNS];
	unsigned int gone_next;
	uint16_t eph_lo, eph_hi; /* ephemeral port range */
	uint64_t start_ns; /* tracing began (CLOCK_MONOTONIC) */
	uint64_t jiffy_ns; /* the kernel's jiffy, 0 if unknown */
	struct tracker_stats stats;
	/* Events read, not yet handled (tracker__on_data_ahead), oldest first. */
	struct tcpwt_event ahead[TRACKER_AHEAD];
	unsigned int ahead_first, ahead_n;
};

/* Keys collected while iterating a table, to act on after: zero it to start. */
struct key_list {
	uint64_t *v;
	size_t n, cap;
};

/* Deletes the timewait socket at key in table in, with its reference to its address. */
void tw_drop(struct tracker *t, struct table *in, uint64_t key);
/* Appends k; out of memory, k is left out. */
void key_push(struct key_list *l, uint64_t k);
/*
 * When a timewait socket born at born_ns and seen at ts_ns entered TIME_WAIT,
 * given entry_ns from its timer: not before its birth, not after it was seen
 * (a timer's entry is rounded to jiffies). The birth wins when the two cross.
 */
uint64_t tw_entry(uint64_t entry_ns, uint64_t born_ns, uint64_t ts_ns);
uint16_t service_port(uint8_t role, const struct tuple *tp);
uint64_t tuple_hash(const struct tuple *tp);
/* How a timewait socket is found in sock_diag's lists: its tuple's hash, its ports. */
uint64_t tw_diag_key(uint32_t hash, uint16_t lport, uint16_t rport);
void tuple_of_diag(const struct sd_sock *s, struct tuple *tp);
/* 0 when the group is filtered out (or on ENOMEM). */
uint64_t group_for(struct tracker *t, uint8_t state, uint8_t role, const struct tuple *tp,
		   uint32_t pid, const char *comm);
void resolve_owner(struct tracker *t, const struct cw_rec *r, uint64_t ino, uint32_t *pid,
		   char *comm, bool *shared);
/* A socket in CLOSE_WAIT since at least age_ns, its entry missed: known by its cookie. */
void adopt_cw(struct tracker *t, const struct sd_sock *s, uint64_t now_ns, uint64_t age_ns);
/* How closers are matched to timewait sockets whose birth was missed: family and ports. */
uint64_t orphan_key(uint8_t family, uint16_t lport, uint16_t rport);
/*
 * Into out (a table of orphan_key()s): the closers whose birth is overdue,
 * orphans and those waiting since over min_age_ns before now.
 */
void closers_overdue(struct tracker *t, uint64_t now_ns, uint64_t min_age_ns, struct table *out);
/*
 * A timewait socket in TIME_WAIT since entry_ns that a listing at now_ns found, its
 * birth missed: known by its cookie, owned by the close of its family and
 * ports that waits for it; without one, only if any may be adopted.
 */
void adopt_tw(struct tracker *t, const struct sd_sock *s, uint64_t entry_ns, uint64_t now_ns,
	      bool any);

#endif
