/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_TRACKER_H
#define TCPWT_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpwaittrace.h"
#include "agg.h"
#include "cli.h"
#include "owner.h"
#include "sockdiag.h"

/* The owner name of TIME_WAIT sockets that were there before tracing began. */
#define TCPWT_PREEXISTING "(pre-existing)"

/* Oddities the tracker met, for the report's footnotes. */
struct tracker_stats {
	uint64_t events;
	uint64_t bad_events; /* too short or of an unknown type */
	uint64_t missed_ends; /* a socket reappeared before its end was seen */
	uint64_t fin_wait2_only; /* timewait sockets that never reached TIME_WAIT */
	uint64_t kills_from_slots; /* kills read from the per-CPU slots */
	uint64_t seeded_ended; /* listed at start-up, ended unmeasured */
	uint64_t reconciled; /* tracked as open, gone from the kernel: end missed */
	/* Timewait sockets born while tracing that ended unseen: never tracked. */
	uint64_t tw_unseen_births;
	/*
	 * Of those, the ones measured at their end from their timer and given
	 * their owner by their close: in the figures, not untracked.
	 */
	uint64_t tw_unseen_recovered;
	/*
	 * Timewait sockets in TIME_WAIT found by a listing while tracing, their
	 * birth never seen: shown open from then on, owned by their close when
	 * it was seen, and at their end measured and counted in
	 * tw_unseen_births (and tw_unseen_recovered when owned).
	 */
	uint64_t tw_adopted;
	/*
	 * Timewait sockets from before tracing, in namespaces the start-up
	 * listing could not reach, that ended unseen.
	 */
	uint64_t tw_unlisted;
	/*
	 * Sockets that left CLOSE_WAIT while tracing whose entry the tracer
	 * never saw: never tracked.
	 */
	uint64_t cw_unseen_entries;
	/*
	 * Of those, the ones measured at their exit from when their peer's
	 * last ACK came (the kernel's, by the jiffy): not untracked.
	 */
	uint64_t cw_unseen_recovered;
	/*
	 * Sockets found in CLOSE_WAIT by a listing while tracing, their entry
	 * never seen: shown open from then on, and at their exit counted in
	 * cw_unseen_entries.
	 */
	uint64_t cw_adopted;
	/*
	 * Sockets closed first that found the closers table full
	 * (--max-closers): their timewait sockets have no owner.
	 */
	uint64_t closers_dropped;
	uint64_t closers_pending; /* closed first, timewait not yet born */
	uint64_t tracked_bytes; /* userspace memory of the per-socket tables */
	uint64_t tracked_sockets;
};

/* A socket still in CLOSE_WAIT or TIME_WAIT, for the "oldest" lists. */
struct open_sock {
	uint8_t state;
	uint8_t role;
	uint8_t family;
	bool seeded; /* existed before tracing began */
	bool lower_bound; /* age is a lower bound: the entry was not seen */
	bool estimated; /* age is the kernel's estimate (tcp_info), not measured */
	bool no_laddr; /* laddr not kept (a timewait socket's, rarely); lport is */
	uint16_t port;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint32_t netns;
	uint32_t pid;
	char comm[TCPWT_COMM_LEN];
	uint64_t age_ns;
};

struct tracker;

struct tracker *tracker__new(const struct config *cfg, struct agg *agg,
			     struct owners *owners);
void tracker__free(struct tracker *t);
/* Decodes one ring buffer record; malformed ones are counted, not trusted. */
int tracker__on_data(struct tracker *t, const void *data, size_t len);
/*
 * The same, for a stream of records: each is handled a few records later,
 * once the memory its handling reads has been fetched meanwhile. Until
 * tracker__flush() some are held back; the tracker's other functions
 * flush first.
 */
int tracker__on_data_ahead(struct tracker *t, const void *data, size_t len);
void tracker__flush(struct tracker *t);
/* A listener known from sock_diag at start-up (its owner by inode). */
void tracker__add_listener(struct tracker *t, uint32_t netns, uint16_t port,
			   uint64_t ino);
/*
 * A socket sock_diag listed at start-up: a listener, or a socket already in
 * CLOSE_WAIT (its age known only as a lower bound, plus an estimate) or in
 * TIME_WAIT (its entry known from the timer).
 */
void tracker__seed(struct tracker *t, const struct sd_sock *s, uint64_t now_ns,
		   uint64_t start_ns);
/*
 * A timewait timer cancelled on some CPU with nothing after it: a kill once
 * it is old enough that an expiry or re-arm would have followed.
 */
void tracker__on_parked_cancel(struct tracker *t, const struct tcpwt_tw_slot *s,
			       uint64_t now_ns);
/*
 * Brings owners and open counts up to date at now_ns: resets and fills the
 * groups' open figures, and the n oldest open sockets per state into
 * oldest[0..top) (CLOSE_WAIT) and oldest[top..2*top) (TIME_WAIT).
 */
void tracker__snapshot(struct tracker *t, uint64_t now_ns, struct open_sock *oldest,
		       size_t top, size_t *n_cw, size_t *n_tw);
/*
 * Timewait sockets (either substate) one process closed first as a client,
 * from one local address to one destination: each holds one of the
 * ephemeral ports connect() can give that pair.
 */
struct tw_dest {
	uint32_t pid;
	char comm[TCPWT_COMM_LEN];
	uint8_t family;
	uint16_t rport;
	uint8_t raddr[16];
	uint8_t laddr[16]; /* connect() draws a port per local and remote address */
	bool no_laddr; /* the local address was not kept */
	uint32_t netns;
	uint32_t ephemeral_ports; /* ip_local_port_range's in netns; 0 if unknown */
	int8_t tw_reuse; /* tcp_tw_reuse in netns; -1 if unknown */
	/*
	 * tcp_tw_reuse applies: connect() takes over the ports of timewait
	 * sockets old enough (tcp_tw_reuse_delay, 1 s by default)
	 */
	bool tw_reusable;
	uint64_t sockets;
};

/*
 * The destinations holding the most client ports in timewait sockets at the
 * last tracker__snapshot() (its top of them), most first, *n of them; valid
 * until the next snapshot.
 */
const struct tw_dest *tracker__tw_destinations(const struct tracker *t, size_t *n);

/* Of its namespace's ephemeral ports, the share d holds; negative when unknown. */
static inline double tw_dest__port_share(const struct tw_dest *d)
{
	return d->ephemeral_ports ? (double)d->sockets / d->ephemeral_ports : -1;
}
/*
 * Forgets sockets whose end was missed (a lost event): TIME_WAIT ones past
 * any possible lifetime, CLOSE_WAIT ones sock_diag no longer lists.
 */
void tracker__reconcile(struct tracker *t, uint64_t now_ns);
/* Lists the host's sockets in states (SD_STATE mask), as sockdiag__dump(0, ...). */
typedef int (*sd_lister)(uint32_t states, int family, sd_cb cb, void *arg);
/*
 * Adopts the sockets in CLOSE_WAIT the tracker does not know, whose entry
 * it missed (a full ring buffer, a hit no program saw), from a listing of
 * the host's (list NULL: sock_diag). At most once per 10 s, and less often
 * when a listing takes long (~1% of a CPU at most).
 */
void tracker__adopt_cw(struct tracker *t, uint64_t now_ns, sd_lister list);
/*
 * Adopts the timewait sockets in TIME_WAIT whose birth the tracker missed,
 * from a listing of the host's timewait sockets, when there is a sign of one:
 * a socket closed first over 1 s ago whose birth never came (then only those
 * of its family and ports, and it is their owner), or events lost since the
 * last listing (lost: the count of those so far; then any it does not know,
 * their owner unknown unless such a close names it). As often as
 * tracker__adopt_cw() at most, on its own schedule. After a loss, one
 * listing once the latest loss was seen 1 s before (every birth it can have
 * taken is old enough then to be told from one still on its way), or 10 s
 * after the first while losses go on; last: the final report's, at once.
 */
void tracker__adopt_tw(struct tracker *t, uint64_t now_ns, uint64_t lost, bool last,
		       sd_lister list);
/* Now, by the clock of the events (CLOCK_MONOTONIC, bpf_ktime_get_ns()). */
uint64_t tracker__now_ns(void);
/* When tracing began: older timewait sockets are not misses when they end. */
void tracker__set_start(struct tracker *t, uint64_t start_ns);
/* The kernel's jiffy (1 s / CONFIG_HZ), which rounds its timers' times; 0 if unknown. */
void tracker__set_jiffy(struct tracker *t, uint64_t jiffy_ns);
const struct tracker_stats *tracker__stats(struct tracker *t);

#endif
