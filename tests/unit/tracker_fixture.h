/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A tracker fed synthetic kernel events, with a fake /proc in a temporary directory. */
#ifndef TCPWT_TRACKER_FIXTURE_H
#define TCPWT_TRACKER_FIXTURE_H

#include "tracker.h"

#define MS 1000000ULL
#define S 1000000000ULL
/* No real namespace has these: sock_diag finds nothing for the fake tuples. */
#define NETNS 0xdead0001u
#define NETNS2 0xdead0002u

struct fixture {
	char root[64]; /* the fake /proc */
	struct config cfg;
	struct agg *agg;
	struct owners *owners;
	struct tracker *t;
	uint16_t eph_lo, eph_hi; /* the host's ephemeral port range */
	bool ahead; /* fx_feed() as the tracer reads the ring: tracker__on_data_ahead() */
};

/* cfg is zeroed with top 10, 1000 closers: set filters before the first event. */
void fx_setup(struct fixture *f);
void fx_teardown(struct fixture *f);
/* <root>/<pid>/comm, <root>/<pid>/fd/<3+i> -> socket:[inos[i]], plus a pipe. */
void fx_process(struct fixture *f, uint32_t pid, const char *comm, const uint64_t *inos,
		int n);
/* An IPv4 event in NETNS, 10.0.0.1:lport -> 10.0.0.2:rport. */
struct tcpwt_event fx_ev(uint8_t type, uint64_t id, uint64_t ts, uint16_t lport, uint16_t rport);
struct tcpwt_event *fx_owned(struct tcpwt_event *e, uint32_t pid, const char *comm);
void fx_feed(struct fixture *f, const struct tcpwt_event *e);
/*
 * The full socket FX_SK(id) closed first by pid (no CLOSER event if 0), then
 * the birth of timewait socket id in its place, as the kernel reports them.
 */
#define FX_SK(id) ((id) | 0xffff000000000000ULL)
void fx_born(struct fixture *f, uint64_t id, uint64_t ts, uint16_t lport, uint16_t rport,
	     uint8_t state, uint32_t pid, const char *comm);
/* A TW_* event with a substate. */
void fx_tw(struct fixture *f, uint8_t type, uint64_t id, uint64_t ts, uint8_t state);
/* Groups of a state with anything to show, and the only one (NULL unless one). */
size_t fx_groups(struct fixture *f, uint8_t state);
struct group *fx_only(struct fixture *f, uint8_t state);
/* A socket in state as sock_diag lists it: the tuple of fx_ev(), no tcp_info. */
struct sd_sock fx_sd_sock(uint8_t state, uint16_t lport, uint16_t rport, uint64_t cookie);
/*
 * A fake host listing (an sd_lister): the first fx_n_listed of fx_listed
 * whose state is asked for; fx_listings counts the calls.
 */
#define FX_LISTED_MAX 8
extern struct sd_sock fx_listed[FX_LISTED_MAX];
extern size_t fx_n_listed, fx_listings;
int fx_lister(uint32_t states, int family, sd_cb cb, void *arg);
/* The i-th port of the ephemeral range: a client's local port. */
uint16_t fx_eph(const struct fixture *f, int i);

#endif
