// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracker and TIME_WAIT: births, re-arms, expiries, kills, parked cancels. */
/* Also reconciliation, of both states. */
#include <stdlib.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "check.h"
#include "tracker_fixture.h"
#include "sockdiag.h"
#include "tracker_int.h"

/* A timewait socket of pid 9 "curl", client of 443, born at ts in state. */
static void born(struct fixture *f, uint64_t id, uint64_t ts, uint8_t state)
{
	fx_born(f, id, ts, fx_eph(f, (int)(id % 64)), 443, state, 9, "curl");
}

TEST(tracker_tw_expire)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0x600, 1 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "tracked");
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0x600, 61 * S, TCPWT_TIME_WAIT);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "one TIME_WAIT group")) {
		ASSERT_EQ(g->key.pid, 9, "the closer");
		ASSERT_STREQ(g->key.comm, "curl", "its comm");
		ASSERT_EQ(g->key.role, ROLE_CLIENT, "client");
		ASSERT_EQ(g->key.port, 443, "service port");
		ASSERT_EQ(g->expired, 1, "expired");
		ASSERT_EQ(g->killed, 0, "not killed");
		ASSERT_EQ(g->hist.count, 1, "completed");
		ASSERT_EQ(g->hist.min_ns, 60 * S, "60 s");
	}
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "no CLOSE_WAIT");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "forgotten");
	/* A second expiry of the same id is unknown now. */
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0x600, 62 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(g ? g->hist.count : 0, 1, "counted once");
	fx_teardown(&f);
}

TEST(tracker_tw_rearm_then_kill)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0x700, 10 * S, TCPWT_FIN_WAIT2);
	fx_tw(&f, TCPWT_EV_TW_REARM, 0x700, 10 * S + 300 * MS, TCPWT_TIME_WAIT);
	/* A duplicate FIN re-arms again: TIME_WAIT began at the first. */
	fx_tw(&f, TCPWT_EV_TW_REARM, 0x700, 11 * S, TCPWT_TIME_WAIT);
	fx_tw(&f, TCPWT_EV_TW_KILL, 0x700, 12 * S, TCPWT_TIME_WAIT);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->killed, 1, "killed");
		ASSERT_EQ(g->expired, 0, "not expired");
		ASSERT_EQ(g->hist.min_ns, 1700 * MS, "from the re-arm, not the birth");
	}
	fx_teardown(&f);
}

/*
 * When TIME_WAIT began, for a timewait socket born in FIN_WAIT2 at 10 s: the
 * entry_ns of its end (its timer's last arming), or of a re-arm by a
 * segment, which names the entry its timer had before (the move from
 * FIN_WAIT2, 5 ms after the birth, re-armed within the same timer wheel
 * bucket and fired no tracepoint), not the kill's, which is the re-arm's own
 * time. A re-arm whose entry is the birth (within a jiffy, 4 ms here) or
 * before it (a FIN_WAIT2 timeout under 60 s) is the move from FIN_WAIT2
 * itself: from the re-arm. An end's entry before the birth is not believed:
 * from the birth then. One after the record that carries it (jiffy
 * rounding) means that record's time. No entry (0): a re-arm is its own
 * entry, an end counts from birth.
 */
TEST(tracker_tw_entry_from_timer)
{
	static const struct {
		uint64_t rearm_ts, rearm_entry; /* no re-arm when 0 */
		uint8_t end;
		uint64_t end_ts, end_entry, want;
		const char *what;
	} cases[] = {
		{ 0, 0, TCPWT_EV_TW_EXPIRE, 70500 * MS, 10500 * MS, 60 * S, "from entry_ns" },
		{ 0, 0, TCPWT_EV_TW_EXPIRE, 70500 * MS, 9 * S, 60500 * MS, "entry before birth" },
		{ 16 * S, 10005 * MS, TCPWT_EV_TW_KILL, 19 * S, 16 * S, 8995 * MS,
		  "from the entry the re-arm names" },
		{ 16 * S, 9 * S, TCPWT_EV_TW_KILL, 19 * S, 16 * S, 3 * S,
		  "re-arm's entry before birth: the move itself" },
		{ 16 * S, 10003 * MS, TCPWT_EV_TW_KILL, 19 * S, 16 * S, 3 * S,
		  "re-arm's entry within a jiffy of the birth: the move itself" },
		{ 16 * S, 9997 * MS, TCPWT_EV_TW_KILL, 19 * S, 16 * S, 3 * S,
		  "re-arm's entry a jiffy before the birth: the move itself" },
		{ 0, 0, TCPWT_EV_TW_EXPIRE, 70500 * MS, 0, 60500 * MS, "no entry: from birth" },
		{ 0, 0, TCPWT_EV_TW_EXPIRE, 70500 * MS, 10 * S, 60500 * MS, "entry at birth" },
		{ 0, 0, TCPWT_EV_TW_KILL, 19 * S, 19001 * MS, 0, "entry after the end: the end" },
		{ 16 * S, 0, TCPWT_EV_TW_KILL, 19 * S, 16 * S, 3 * S, "re-arm without entry" },
		{ 16 * S, 16001 * MS, TCPWT_EV_TW_KILL, 19 * S, 0, 3 * S,
		  "re-arm's entry after it: the re-arm" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tcpwt_event e = { .id = 0x800, .state = TCPWT_TIME_WAIT };
		struct fixture f;
		struct group *g;

		fx_setup(&f);
		born(&f, e.id, 10 * S, TCPWT_FIN_WAIT2);
		if (cases[i].rearm_ts) {
			e.type = TCPWT_EV_TW_REARM;
			e.ts_ns = cases[i].rearm_ts;
			e.entry_ns = cases[i].rearm_entry;
			fx_feed(&f, &e);
		}
		e.type = cases[i].end;
		e.ts_ns = cases[i].end_ts;
		e.entry_ns = cases[i].end_entry;
		fx_feed(&f, &e);
		g = fx_only(&f, TCPWT_TIME_WAIT);
		if (!ASSERT_EQ(g ? g->hist.min_ns : 0, cases[i].want, "time in TIME_WAIT"))
			printf("    %s\n", cases[i].what);
		fx_teardown(&f);
	}
}

TEST(tracker_tw_fin_wait2_only)
{
	struct fixture f;

	fx_setup(&f);
	born(&f, 0x900, 1 * S, TCPWT_FIN_WAIT2);
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0x900, 61 * S, TCPWT_FIN_WAIT2);
	ASSERT_EQ(tracker__stats(f.t)->fin_wait2_only, 1, "counted apart");
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 0, "no TIME_WAIT duration");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "forgotten");
	fx_teardown(&f);
}

TEST(tracker_tw_parked_cancel)
{
	struct tcpwt_tw_slot slot = { .tw = 0xa00, .ts_ns = 5 * S, .substate = TCPWT_TIME_WAIT };
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0xa00, 1 * S, TCPWT_TIME_WAIT);
	tracker__on_parked_cancel(f.t, &slot, 5 * S + 19 * MS);
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 0, "younger than 20 ms: not yet a kill");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "still tracked");
	slot.tw = 0;
	tracker__on_parked_cancel(f.t, &slot, 9 * S);
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 0, "an empty slot is nothing");
	slot.tw = 0xa00;
	tracker__on_parked_cancel(f.t, &slot, 5 * S + 21 * MS);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "killed from the slot")) {
		ASSERT_EQ(g->killed, 1, "killed");
		ASSERT_EQ(g->hist.min_ns, 4 * S, "duration to the cancel");
	}
	ASSERT_EQ(tracker__stats(f.t)->kills_from_slots, 1, "counted");
	/* The kernel's own report of the same kill, and the slot read again. */
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xa00, 5 * S, TCPWT_TIME_WAIT);
	tracker__on_parked_cancel(f.t, &slot, 6 * S);
	ASSERT_EQ(g ? g->killed : 0, 1, "no double count");
	/* The address reused by a new timewait socket: stale kills must not end it. */
	born(&f, 0xa00, 7 * S, TCPWT_TIME_WAIT);
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xa00, 5 * S, TCPWT_TIME_WAIT);
	tracker__on_parked_cancel(f.t, &slot, 8 * S);
	ASSERT_EQ(g ? g->hist.count : 0, 1, "stale kills ignored");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "the new socket lives on");
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0xa00, 67 * S, TCPWT_TIME_WAIT);
	if (g) {
		ASSERT_EQ(g->expired, 1, "the new one expires");
		ASSERT_EQ(g->hist.max_ns, 60 * S, "its own 60 s");
	}
	fx_teardown(&f);
}

TEST(tracker_tw_born_twice)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0xb00, 1 * S, TCPWT_TIME_WAIT);
	born(&f, 0xb00, 30 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 1, "an end was missed");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "one socket");
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0xb00, 90 * S, TCPWT_TIME_WAIT);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "one group")) {
		/* The first was killed by the time the second took its address. */
		ASSERT_EQ(g->killed, 1, "the first, killed");
		ASSERT_EQ(g->hist.min_ns, 29 * S, "the first, until the second's birth");
		ASSERT_EQ(g->expired, 1, "the second, expired");
		ASSERT_EQ(g->hist.max_ns, 60 * S, "the second measured");
		ASSERT_EQ(g->hist.count, 2, "both counted");
	}
	/* The first one's own report of its kill, late: nothing more. */
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xb00, 20 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(g ? g->hist.count : 0, 2, "not counted twice");
	ASSERT_EQ(tracker__stats(f.t)->tw_unseen_births, 0, "not an unseen birth either");
	fx_teardown(&f);
}

/*
 * Records from different CPUs may come slightly out of order: an end stamped
 * before the re-arm that started TIME_WAIT must not make a negative duration.
 */
TEST(tracker_tw_end_before_rearm)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0xc00, 1 * S, TCPWT_FIN_WAIT2);
	fx_tw(&f, TCPWT_EV_TW_REARM, 0xc00, 3 * S, TCPWT_TIME_WAIT);
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xc00, 2 * S, TCPWT_TIME_WAIT);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	if (g)
		ASSERT_LE(g->hist.max_ns, 1 * S, "no wrapped-around duration (at most its 1 s life)");
	fx_teardown(&f);
}

TEST(tracker_tw_filtered)
{
	struct fixture f;

	fx_setup(&f);
	f.cfg.nports = 1;
	f.cfg.ports[0] = 80;
	born(&f, 0xd00, 1 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "port 443 not tracked");
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0xd00, 61 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(agg__len(f.agg), 0, "no group");
	fx_teardown(&f);

	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 10;
	born(&f, 0xd01, 1 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "pid 9 not tracked");
	fx_teardown(&f);
}

TEST(tracker_tw_open_only_in_time_wait)
{
	struct open_sock oldest[4];
	struct fixture f;
	size_t ncw, ntw;
	struct group *g;

	fx_setup(&f);
	born(&f, 0xe00, 1 * S, TCPWT_FIN_WAIT2);
	tracker__snapshot(f.t, 5 * S, oldest, 2, &ncw, &ntw);
	ASSERT_EQ(ntw, 0, "FIN_WAIT2 is not TIME_WAIT yet");
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 0, "nothing open");
	fx_tw(&f, TCPWT_EV_TW_REARM, 0xe00, 6 * S, TCPWT_TIME_WAIT);
	tracker__snapshot(f.t, 10 * S, oldest, 2, &ncw, &ntw);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	ASSERT_EQ(g ? g->open : 0, 1, "open in TIME_WAIT");
	ASSERT_EQ(g ? g->oldest_open_ns : 0, 4 * S, "since the re-arm");
	if (ASSERT_EQ(ntw, 1, "listed")) {
		ASSERT_EQ(oldest[2].age_ns, 4 * S, "age");
		ASSERT_EQ(oldest[2].pid, 9, "the closer");
		ASSERT_EQ(oldest[2].state, TCPWT_TIME_WAIT, "state");
		/* The birth's tuple (fx_ev): 10.0.0.1 to the peer 10.0.0.2, both ports. */
		ASSERT_EQ(oldest[2].family, AF_INET, "family");
		ASSERT_TRUE(!oldest[2].no_laddr, "its own address kept");
		ASSERT_EQ(oldest[2].laddr[0] << 24 | oldest[2].laddr[3], 10 << 24 | 1, "its own address");
		ASSERT_EQ(oldest[2].lport, fx_eph(&f, 0xe00 % 64), "local port");
		ASSERT_EQ(oldest[2].rport, 443, "peer's port");
		ASSERT_EQ(oldest[2].raddr[0] << 24 | oldest[2].raddr[3], 10 << 24 | 2, "peer");
		ASSERT_EQ(oldest[2].netns, NETNS, "namespace");
	}
	fx_teardown(&f);
}

/* An end as the kernel sends it: no tuple but family and ports. */
static void tw_end_ev(struct fixture *f, uint8_t type, uint64_t id, uint64_t ts,
		      uint16_t lport, uint16_t rport)
{
	struct tcpwt_event e = { .type = type, .id = id, .ts_ns = ts, .state = TCPWT_TIME_WAIT,
				 .family = AF_INET, .lport = lport, .rport = rport };

	fx_feed(f, &e);
}

static uint64_t unseen(struct fixture *f)
{
	return tracker__stats(f->t)->tw_unseen_births;
}

TEST(tracker_tw_unseen_births)
{
	struct tcpwt_tw_slot slot = { .tw = 0xc00, .ts_ns = 5 * S, .substate = TCPWT_TIME_WAIT,
				      .family = AF_INET };
	struct fixture f;

	fx_setup(&f);
	/* Born and ended under our eyes: nothing unseen. */
	born(&f, 0xb00, 1 * S, TCPWT_TIME_WAIT);
	tw_end_ev(&f, TCPWT_EV_TW_EXPIRE, 0xb00, 61 * S, fx_eph(&f, 0), 443);
	ASSERT_EQ(unseen(&f), 0, "a known socket's end");
	/* An end with no birth: a socket the tracker never saw. */
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0xb40, 62 * S, fx_eph(&f, 1), 443);
	ASSERT_EQ(unseen(&f), 1, "an unknown socket's end");
	/* A re-arm says nothing yet. */
	tw_end_ev(&f, TCPWT_EV_TW_REARM, 0xb80, 62 * S, fx_eph(&f, 2), 443);
	ASSERT_EQ(unseen(&f), 1, "re-arm of an unknown socket");
	/* A parked cancel of an unknown socket: counted once however often read. */
	slot.portpair = (uint32_t)fx_eph(&f, 3) << 16 | htons(443);
	tracker__on_parked_cancel(f.t, &slot, 6 * S);
	tracker__on_parked_cancel(f.t, &slot, 7 * S);
	ASSERT_EQ(unseen(&f), 2, "parked cancel of an unknown socket, once");
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0xc00, 8 * S, fx_eph(&f, 3), 443);
	ASSERT_EQ(unseen(&f), 2, "its KILL event is not counted again");
	/*
	 * A known socket killed from its slot, then its KILL, then the slot
	 * again (born() gives 0xd00 and 0xe00 the ephemeral port 0).
	 */
	born(&f, 0xd00, 10 * S, TCPWT_TIME_WAIT);
	slot.tw = 0xd00;
	slot.ts_ns = 20 * S;
	slot.portpair = (uint32_t)fx_eph(&f, 0) << 16 | htons(443);
	tracker__on_parked_cancel(f.t, &slot, 21 * S);
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0xd00, 20 * S, fx_eph(&f, 0), 443);
	tracker__on_parked_cancel(f.t, &slot, 22 * S);
	ASSERT_EQ(unseen(&f), 2, "a kill read from the slot is not an unseen birth");
	/* A new socket at that address: its end is news again. */
	born(&f, 0xd00, 30 * S, TCPWT_TIME_WAIT);
	tw_end_ev(&f, TCPWT_EV_TW_EXPIRE, 0xd00, 90 * S, fx_eph(&f, 0), 443);
	ASSERT_EQ(unseen(&f), 2, "known again");
	tw_end_ev(&f, TCPWT_EV_TW_EXPIRE, 0xd00, 91 * S, fx_eph(&f, 0), 443);
	ASSERT_EQ(unseen(&f), 3, "after its end, the address is unknown again");
	/* Forgotten addresses are purged once no end can come any more. */
	born(&f, 0xe00, 100 * S, TCPWT_TIME_WAIT);
	slot.tw = 0xe00;
	slot.ts_ns = 101 * S;
	tracker__on_parked_cancel(f.t, &slot, 102 * S);
	tracker__reconcile(f.t, 400 * S);
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0xe00, 401 * S, fx_eph(&f, 5), 443);
	ASSERT_EQ(unseen(&f), 4, "a forgotten address is purged after FORGET_NS");
	/* In TIME_WAIT since before tracing began: unlisted, not a miss. */
	tracker__set_start(f.t, 500 * S);
	{
		struct tcpwt_event e = { .type = TCPWT_EV_TW_KILL, .id = 0xf00, .ts_ns = 510 * S,
					 .entry_ns = 470 * S, .state = TCPWT_TIME_WAIT,
					 .family = AF_INET, .lport = fx_eph(&f, 6), .rport = 443 };

		fx_feed(&f, &e);
		ASSERT_EQ(tracker__stats(f.t)->tw_unlisted, 1, "unlisted");
		ASSERT_EQ(unseen(&f), 4, "not an unseen birth");
		e.id = 0xf40;
		e.entry_ns = 505 * S;
		fx_feed(&f, &e);
		ASSERT_EQ(unseen(&f), 5, "born while tracing: unseen");
	}
	fx_teardown(&f);
}

TEST(tracker_tw_unseen_births_filtered)
{
	struct fixture f;

	fx_setup(&f);
	f.cfg.nports = 1;
	f.cfg.ports[0] = 8080;
	/* Not our port: the kernel side never sent its birth. */
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0x100, 1 * S, fx_eph(&f, 0), 443);
	ASSERT_EQ(unseen(&f), 0, "other ports are not ours");
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0x140, 1 * S, fx_eph(&f, 1), 8080);
	ASSERT_EQ(unseen(&f), 1, "our port");
	/*
	 * The kernel side matches either port, the tracker the service port: a
	 * client whose local port is the followed one is sent, then dropped.
	 */
	f.cfg.ports[f.cfg.nports++] = fx_eph(&f, 7);
	fx_born(&f, 0x180, 2 * S, fx_eph(&f, 7), 443, TCPWT_TIME_WAIT, 9, "curl");
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 0, "dropped: service port 443 not followed");
	tw_end_ev(&f, TCPWT_EV_TW_EXPIRE, 0x180, 62 * S, fx_eph(&f, 7), 443);
	ASSERT_EQ(unseen(&f), 1, "the end of a birth we dropped is not news");
	fx_teardown(&f);
	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 9;
	tw_end_ev(&f, TCPWT_EV_TW_KILL, 0x200, 1 * S, fx_eph(&f, 0), 443);
	ASSERT_EQ(unseen(&f), 0, "with -p, an ownerless end cannot be told ours");
	fx_teardown(&f);
}

/* The owner of a timewait socket: the CLOSER event of the full socket it replaced. */
static uint32_t tw_owner(struct fixture *f)
{
	struct open_sock oldest[2];
	size_t ncw, ntw;
	struct group *g;

	tracker__snapshot(f->t, 10 * S, oldest, 1, &ncw, &ntw);
	g = fx_only(f, TCPWT_TIME_WAIT);

	return g ? g->key.pid : 0xffffffffu;
}

static void closer_ev(struct fixture *f, uint64_t sk, uint64_t ts, uint16_t lport,
		      uint32_t pid)
{
	struct tcpwt_event e = fx_ev(TCPWT_EV_CLOSER, sk, ts, lport, 443);

	fx_feed(f, fx_owned(&e, pid, "curl"));
}

static void birth_of(struct fixture *f, uint64_t tw, uint64_t sk, uint64_t ts, uint16_t lport)
{
	struct tcpwt_event e = fx_ev(TCPWT_EV_TW_BORN, tw, ts, lport, 443);

	e.sk = sk;
	e.state = TCPWT_TIME_WAIT;
	fx_feed(f, &e);
}

TEST(tracker_closers_join)
{
	struct fixture f;
	struct tcpwt_event e;

	fx_setup(&f);
	/* Joined by the full socket's address, and taken out. */
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 1, "pending");
	birth_of(&f, 0xa00, 0x1000, 1 * S + MS, fx_eph(&f, 1));
	ASSERT_EQ(tw_owner(&f), 9, "owner from the closer");
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 0, "taken");
	fx_teardown(&f);

	fx_setup(&f);
	/* Closed for good without a timewait socket (a reset): forgotten. */
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	e = fx_ev(TCPWT_EV_CLOSER_GONE, 0x1000, 2 * S, fx_eph(&f, 1), 443);
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 0, "gone");
	/* The next socket at that address has other ports and nobody's close. */
	closer_ev(&f, 0x1000, 3 * S, fx_eph(&f, 2), 9);
	birth_of(&f, 0xa01, 0x1000, 4 * S, fx_eph(&f, 3));
	ASSERT_EQ(tw_owner(&f), 0, "an earlier socket's closer is not its owner");
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 0, "and is gone with it");
	fx_teardown(&f);

	fx_setup(&f);
	/* A closer whose birth never comes is forgotten after CLOSER_STALE_NS. */
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	closer_ev(&f, 0x2000, 100 * S, fx_eph(&f, 2), 9);
	tracker__reconcile(f.t, 1 * S + CLOSER_STALE_NS + 1);
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 1, "the stale one purged");
	ASSERT_EQ(tracker__stats(f.t)->closers_dropped, 0, "not counted as dropped");
	fx_teardown(&f);
}

/* The TIME_WAIT group of pid (0: no owner) and service port, or NULL. */
static struct group *tw_group(struct fixture *f, uint32_t pid, uint16_t port)
{
	struct group **v, *g = NULL;
	size_t n = agg__sorted(f->agg, &v);

	for (size_t i = 0; i < n; i++)
		if (v[i]->key.state == TCPWT_TIME_WAIT && v[i]->key.pid == pid &&
		    v[i]->key.port == port)
			g = v[i];
	free(v);
	return g;
}

/* A timewait socket's end named by its cookie (0: none), with its timer's entry into TIME_WAIT. */
static void cookie_end(struct fixture *f, uint8_t type, uint64_t tw, uint64_t entry,
		       uint64_t ts, uint16_t lport, uint8_t state, uint64_t cookie)
{
	struct tcpwt_event e = fx_ev(type, tw, ts, lport, 443);

	e.entry_ns = entry;
	e.state = state;
	e.cookie = cookie;
	fx_feed(f, &e);
}

/* An unknown timewait socket's end, with its timer's entry into TIME_WAIT. */
static void unknown_end(struct fixture *f, uint8_t type, uint64_t tw, uint64_t entry,
			uint64_t ts, uint16_t lport, uint8_t state)
{
	cookie_end(f, type, tw, entry, ts, lport, state, 0);
}

static uint64_t recovered(struct fixture *f)
{
	return tracker__stats(f->t)->tw_unseen_recovered;
}

TEST(tracker_tw_unseen_recovered)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	/*
	 * pid 9 closes a socket; its birth reaches no program, and the next
	 * socket at that address closes (its birth seen): the first closer is
	 * an orphan, kept by its ports.
	 */
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	closer_ev(&f, 0x1000, 2 * S, fx_eph(&f, 2), 7);
	birth_of(&f, 0xa00, 0x1000, 2 * S + MS, fx_eph(&f, 2));
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 0, "the second joined its birth");
	/* The first one's timewait socket ends unknown: measured from its timer. */
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xb00, 1 * S + 500 * MS, 31 * S, fx_eph(&f, 1),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(unseen(&f), 1, "an unseen birth");
	ASSERT_EQ(recovered(&f), 1, "recovered");
	g = tw_group(&f, 9, 443);
	ASSERT_TRUE(g != NULL, "charged to the closer's owner");
	if (g) {
		ASSERT_EQ(g->hist.count, 1, "one completed");
		ASSERT_EQ(g->hist.max_ns, 29 * S + 500 * MS, "from the timer's entry to the end");
		ASSERT_EQ(g->killed, 1, "killed");
		ASSERT_EQ(g->key.port, 443, "client of 443");
	}
	/* The orphan is taken: another end with those ports has no owner. */
	unknown_end(&f, TCPWT_EV_TW_EXPIRE, 0xb40, 2 * S, 62 * S, fx_eph(&f, 1),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(unseen(&f), 2, "unseen");
	ASSERT_EQ(recovered(&f), 1, "ownerless: in the figures, still untracked");
	g = tw_group(&f, 0, 443);
	ASSERT_TRUE(g != NULL && g->hist.count == 1 && g->expired == 1, "measured, no owner");
	/* Never in TIME_WAIT: nothing to measure, the owner accounts for it. */
	closer_ev(&f, 0x2000, 70 * S, fx_eph(&f, 3), 9);
	closer_ev(&f, 0x2000, 71 * S, fx_eph(&f, 4), 9);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xb80, 0, 72 * S, fx_eph(&f, 3), TCPWT_FIN_WAIT2);
	ASSERT_EQ(unseen(&f), 3, "unseen");
	ASSERT_EQ(recovered(&f), 2, "accounted for");
	g = tw_group(&f, 9, 443);
	ASSERT_TRUE(g != NULL && g->hist.count == 1, "nothing measured");
	/* An orphan newer than the end is another connection's. */
	closer_ev(&f, 0x3000, 80 * S, fx_eph(&f, 5), 9);
	closer_ev(&f, 0x3000, 81 * S, fx_eph(&f, 6), 9);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xbc0, 60 * S, 75 * S, fx_eph(&f, 5), TCPWT_TIME_WAIT);
	ASSERT_EQ(recovered(&f), 2, "not its owner");
	/*
	 * A segment re-armed one in TIME_WAIT: its end's timer tells of the
	 * re-arm, the re-arm of its entry.
	 */
	closer_ev(&f, 0x2800, 73 * S, fx_eph(&f, 9), 9);
	closer_ev(&f, 0x2800, 73 * S + MS, fx_eph(&f, 10), 9);
	unknown_end(&f, TCPWT_EV_TW_REARM, 0xb90, 74 * S, 76 * S, fx_eph(&f, 9), TCPWT_TIME_WAIT);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xb90, 76 * S, 78 * S, fx_eph(&f, 9), TCPWT_TIME_WAIT);
	ASSERT_EQ(recovered(&f), 3, "recovered");
	g = tw_group(&f, 9, 443);
	ASSERT_TRUE(g != NULL && g->hist.count == 2 && g->hist.max_ns == 29 * S + 500 * MS &&
		    g->hist.min_ns == 4 * S, "from the entry the re-arm told: 4 s, not 2");
	/* Orphans are purged after FORGET_NS. */
	tracker__reconcile(f.t, 80 * S + FORGET_NS + 1);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xc00, 300 * S, 300 * S + FORGET_NS, fx_eph(&f, 5),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(recovered(&f), 3, "purged");
	/* Its namespace and ports tell its role: a server's socket, closed first. */
	{
		struct tcpwt_event l = fx_ev(TCPWT_EV_LISTEN, 0x4000, 400 * S, 8080, 0);

		fx_feed(&f, &l);
		l = fx_ev(TCPWT_EV_CLOSER, 0x5000, 401 * S, 8080, 4000);
		fx_feed(&f, fx_owned(&l, 11, "srv"));
		l.lport = 8080;
		l.rport = 4001;
		l.ts_ns = 402 * S;
		fx_feed(&f, &l);
		l = fx_ev(TCPWT_EV_TW_KILL, 0xd00, 403 * S, 8080, 4000);
		l.entry_ns = 401 * S + MS;
		l.state = TCPWT_TIME_WAIT;
		fx_feed(&f, &l);
		g = tw_group(&f, 11, 8080);
		ASSERT_TRUE(g != NULL && g->key.role == ROLE_SERVER, "server of 8080");
		ASSERT_EQ(recovered(&f), 4, "recovered");
		/* The same ports in a namespace with no listener: a client of 4000. */
		l.id = 0xd40;
		l.netns = NETNS2;
		fx_feed(&f, &l);
		g = tw_group(&f, 0, 4000);
		ASSERT_TRUE(g != NULL && g->key.role == ROLE_CLIENT, "client of 4000");
		ASSERT_EQ(recovered(&f), 4, "ownerless: not recovered");
	}
	fx_teardown(&f);

	/* With -p: recovered when its owner is followed, else not ours. */
	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 9;
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	closer_ev(&f, 0x1000, 2 * S, fx_eph(&f, 2), 9);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xb00, 1 * S + 5 * MS, 10 * S, fx_eph(&f, 1),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(unseen(&f), 1, "pid 9's: counted");
	ASSERT_EQ(recovered(&f), 1, "and recovered");
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xb40, 1 * S + 5 * MS, 10 * S, fx_eph(&f, 3),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(unseen(&f), 1, "ownerless: not ours");
	/* A closer still pending (its address not taken again) names it too. */
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xb80, 2 * S + 5 * MS, 1 * S, fx_eph(&f, 2),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(unseen(&f), 1, "not one that closed after the end");
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xbc0, 2 * S + 5 * MS, 10 * S, fx_eph(&f, 2),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(recovered(&f), 2, "a pending closer's");
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 0, "taken");
	fx_teardown(&f);
}

/*
 * A timewait socket killed 1 ms after its birth, its kill parked on its CPU;
 * the next one at its address, of other ports, born unseen (its birth
 * reached no program) and killed: that end is its own, not the first one's.
 * Each is measured once, from its own birth, and charged to its own close.
 */
TEST(tracker_tw_address_reused_unseen)
{
	struct tcpwt_tw_slot slot = { .tw = 0xa00, .ts_ns = 1 * S + 2 * MS,
				      .substate = TCPWT_TIME_WAIT, .family = AF_INET };
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	slot.portpair = (uint32_t)fx_eph(&f, 1) << 16 | htons(443);
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	birth_of(&f, 0xa00, 0x1000, 1 * S + 1 * MS, fx_eph(&f, 1));
	closer_ev(&f, 0x2000, 2 * S, fx_eph(&f, 2), 7);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xa00, 2 * S + 1 * MS, 4 * S, fx_eph(&f, 2),
		    TCPWT_TIME_WAIT);
	ASSERT_EQ(unseen(&f), 1, "the second: an unseen birth");
	ASSERT_EQ(recovered(&f), 1, "recovered");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "the first still tracked");
	g = tw_group(&f, 7, 443);
	ASSERT_TRUE(g != NULL && g->killed == 1 && g->hist.max_ns == 1999 * MS,
		    "the second: its owner's, from its own entry");
	g = tw_group(&f, 9, 443);
	ASSERT_TRUE(g == NULL || g->hist.count == 0, "the first: not ended by it");
	/* The first one's kill, read from its slot, then its own KILL event. */
	tracker__on_parked_cancel(f.t, &slot, 5 * S);
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xa00, 1 * S + 1 * MS, 1 * S + 2 * MS, fx_eph(&f, 1),
		    TCPWT_TIME_WAIT);
	g = tw_group(&f, 9, 443);
	ASSERT_TRUE(g != NULL && g->killed == 1 && g->hist.count == 1 &&
		    g->hist.max_ns == 1 * MS, "the first: 1 ms, once");
	ASSERT_EQ(unseen(&f), 1, "no other unseen birth");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "none left");
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 0, "no end missed");
	fx_teardown(&f);

	/*
	 * The other way round: the first born unseen, its kill parked; the
	 * next one at its address born under our eyes. The slot, read at a
	 * report, names the first: an unseen birth, its own owner's.
	 */
	fx_setup(&f);
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	closer_ev(&f, 0x2000, 2 * S, fx_eph(&f, 2), 7);
	birth_of(&f, 0xa00, 0x2000, 3 * S, fx_eph(&f, 2));
	slot.ts_ns = 2 * S;
	slot.entry_ns = 1 * S + 1 * MS;
	tracker__on_parked_cancel(f.t, &slot, 4 * S);
	ASSERT_EQ(unseen(&f), 1, "the first: an unseen birth");
	ASSERT_EQ(recovered(&f), 1, "recovered");
	g = tw_group(&f, 9, 443);
	ASSERT_TRUE(g != NULL && g->killed == 1 && g->hist.max_ns == 1 * S - 1 * MS,
		    "the first: its owner's, from its entry");
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xa00, 1 * S + 1 * MS, 2 * S, fx_eph(&f, 1),
		    TCPWT_TIME_WAIT);
	tracker__on_parked_cancel(f.t, &slot, 5 * S);
	ASSERT_EQ(unseen(&f), 1, "its KILL event and the slot again: once");
	ASSERT_TRUE(g != NULL && g->hist.count == 1, "measured once");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "the second lives on");
	fx_teardown(&f);

	/*
	 * The first born in FIN_WAIT2; the second, unseen, moved into
	 * TIME_WAIT by the peer's FIN (a re-arm): not the first one's move.
	 */
	fx_setup(&f);
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	{
		struct tcpwt_event e = fx_ev(TCPWT_EV_TW_BORN, 0xa00, 1 * S + 1 * MS,
					     fx_eph(&f, 1), 443);
		struct open_sock oldest[2];
		size_t ncw, ntw;

		e.sk = 0x1000;
		e.state = TCPWT_FIN_WAIT2;
		fx_feed(&f, &e);
		closer_ev(&f, 0x2000, 2 * S, fx_eph(&f, 2), 7);
		unknown_end(&f, TCPWT_EV_TW_REARM, 0xa00, 2 * S + 1 * MS, 3 * S, fx_eph(&f, 2),
			    TCPWT_TIME_WAIT);
		tracker__snapshot(f.t, 3 * S + 500 * MS, oldest, 1, &ncw, &ntw);
		ASSERT_EQ(ntw, 0, "the first still FIN_WAIT2");
	}
	unknown_end(&f, TCPWT_EV_TW_KILL, 0xa00, 3 * S, 4 * S, fx_eph(&f, 2), TCPWT_TIME_WAIT);
	ASSERT_EQ(recovered(&f), 1, "the second recovered");
	g = tw_group(&f, 7, 443);
	ASSERT_TRUE(g != NULL && g->hist.max_ns == 1999 * MS,
		    "the second: from the entry its re-arm told");
	fx_teardown(&f);
}

/* A timewait socket to port 443 as sock_diag lists it at now_ns, its timer armed at armed_ns. */
static struct sd_sock tw_listed(uint16_t lport, uint64_t cookie, uint64_t armed_ns,
				uint64_t now_ns)
{
	struct sd_sock s = fx_sd_sock(TCPWT_TIME_WAIT, lport, 443, cookie);

	s.expires_ms = (uint32_t)((60 * S - (now_ns - armed_ns)) / MS);
	return s;
}

/*
 * A timewait socket whose birth the tracker missed is known only at its end,
 * unless a listing finds it: only when a close waits too long for its birth
 * (or was orphaned) are the host's timewait sockets listed, and those with
 * its family and ports the tracker does not know, their timer armed over 1 s
 * ago, adopted: owned by that close, open from their timer's entry, measured
 * at their end as a recovered unseen birth.
 */
TEST(tracker_tw_adopted)
{
	struct open_sock oldest[12];
	struct fixture f;
	struct group *g;
	size_t ncw, ntw;

	fx_setup(&f);
	fx_n_listed = 0;
	fx_listings = 0;
	/* Its birth never comes; its timer's entry, to the jiffy, before its close. */
	closer_ev(&f, 0x1000, 1 * S + 3 * MS, fx_eph(&f, 1), 9);
	tracker__adopt_tw(f.t, 1 * S + 500 * MS, 0, false, fx_lister);
	ASSERT_EQ(fx_listings, 0, "no listing while no birth is overdue");
	closer_ev(&f, 0x2000, 1 * S, fx_eph(&f, 2), 9);
	birth_of(&f, 0xa00, 0x2000, 1 * S + MS, fx_eph(&f, 2));
	closer_ev(&f, 0x3000, 19 * S + 500 * MS, fx_eph(&f, 3), 9); /* waits, but not long */
	closer_ev(&f, 0x4000, 2 * S, fx_eph(&f, 4), 9); /* re-armed: its timer is recent */
	/* The same ports to another peer: one seen born, one not. */
	closer_ev(&f, 0x6000, 1 * S, fx_eph(&f, 6), 9);
	closer_ev(&f, 0x5000, 2 * S, fx_eph(&f, 6), 9);
	birth_of(&f, 0xa05, 0x5000, 2 * S + MS, fx_eph(&f, 6));
	fx_listed[0] = tw_listed(fx_eph(&f, 1), 21, 1 * S + 2 * MS, 20 * S);
	fx_listed[1] = tw_listed(fx_eph(&f, 2), 22, 1 * S + MS, 20 * S); /* known */
	fx_listed[2] = tw_listed(fx_eph(&f, 3), 23, 19 * S + 501 * MS, 20 * S);
	fx_listed[3] = tw_listed(fx_eph(&f, 4), 24, 19 * S + 200 * MS, 20 * S);
	fx_listed[4] = tw_listed(fx_eph(&f, 5), 25, 5 * S, 20 * S); /* no close waits for it */
	fx_listed[5] = tw_listed(fx_eph(&f, 6), 26, 2 * S + MS, 20 * S); /* known */
	fx_listed[6] = tw_listed(fx_eph(&f, 6), 27, 1 * S + MS, 20 * S);
	fx_listed[6].raddr[3] = 3;
	fx_n_listed = 7;
	tracker__adopt_tw(f.t, 20 * S, 0, false, fx_lister);
	ASSERT_EQ(fx_listings, 1, "listed");
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 2, "the missed ones adopted, not the known");
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 2, "their closes taken, the others wait");
	tracker__adopt_tw(f.t, 25 * S, 0, false, fx_lister);
	ASSERT_EQ(fx_listings, 1, "not again within 10 s");
	/* The same sockets, 11 s later: the re-armed one's timer is old enough now. */
	fx_listed[0] = tw_listed(fx_eph(&f, 1), 21, 1 * S + 2 * MS, 31 * S);
	fx_listed[1] = tw_listed(fx_eph(&f, 2), 22, 1 * S + MS, 31 * S);
	fx_listed[2] = tw_listed(fx_eph(&f, 3), 23, 30 * S + 501 * MS, 31 * S); /* re-armed */
	fx_listed[3] = tw_listed(fx_eph(&f, 4), 24, 19 * S + 200 * MS, 31 * S);
	fx_listed[4] = tw_listed(fx_eph(&f, 5), 25, 5 * S, 31 * S);
	fx_n_listed = 5;
	tracker__adopt_tw(f.t, 31 * S, 0, false, fx_lister);
	ASSERT_EQ(fx_listings, 2, "again after");
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 3, "the re-armed one, the other not");
	tracker__snapshot(f.t, 31 * S, oldest, 6, &ncw, &ntw);
	g = tw_group(&f, 9, 443);
	if (ASSERT_TRUE(g != NULL, "pid 9's TIME_WAIT group")) {
		ASSERT_EQ(g->open, 5, "open: the adopted ones and the two seen born");
		ASSERT_EQ(g->open_seeded, 0, "none from before tracing");
	}
	ASSERT_EQ(ntw, 5, "listed open");
	for (size_t i = 6, to_peer3 = 0; i < 6 + ntw; i++) {
		if (oldest[i].lport == fx_eph(&f, 1)) {
			ASSERT_EQ(oldest[i].age_ns, 30 * S - 2 * MS, "adopted: from its timer's entry");
			ASSERT_FALSE(oldest[i].seeded, "not from before tracing");
		}
		to_peer3 += oldest[i].raddr[3] == 3;
		if (i == 5 + ntw)
			ASSERT_EQ(to_peer3, 1, "the unknown one of the shared ports adopted");
	}
	/* Its end names its cookie: measured, a recovered unseen birth. */
	cookie_end(&f, TCPWT_EV_TW_KILL, 0xb00, 1 * S + 2 * MS, 41 * S, fx_eph(&f, 1),
		   TCPWT_TIME_WAIT, 21);
	ASSERT_EQ(unseen(&f), 1, "counted an unseen birth");
	ASSERT_EQ(recovered(&f), 1, "recovered");
	g = tw_group(&f, 9, 443);
	if (ASSERT_TRUE(g != NULL, "still pid 9's")) {
		ASSERT_EQ(g->killed, 1, "killed");
		ASSERT_EQ(g->hist.max_ns, 40 * S - 2 * MS, "from its timer's entry");
	}
	fx_teardown(&f);
}

/* Three timewait sockets to port 443 as sock_diag lists them at now_ns: one known, two not. */
static void list_lost_three(struct fixture *f, uint64_t now_ns)
{
	fx_listed[0] = tw_listed(fx_eph(f, 2), 22, 1 * S, now_ns); /* known */
	fx_listed[1] = tw_listed(fx_eph(f, 7), 27, 2 * S, now_ns);
	fx_listed[2] = tw_listed(fx_eph(f, 8), 28, 5 * S + 500 * MS, now_ns);
	fx_n_listed = 3;
}

/*
 * Events lost may have taken a timewait birth and its close together: the
 * listing once the latest loss was seen 1 s before adopts any timewait
 * socket the tracker does not know (from after tracing began), without an
 * owner; not with -p, where one cannot be told ours. One listing covers
 * the loss (at a million timewait sockets a listing takes a second, and the
 * next waits 100 times as long); losses that go on, one every 10 s.
 */
TEST(tracker_tw_adopted_after_loss)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	fx_listings = 0;
	born(&f, 0xa02, 1 * S, TCPWT_TIME_WAIT);
	list_lost_three(&f, 5 * S);
	tracker__adopt_tw(f.t, 5 * S, 0, false, fx_lister);
	ASSERT_EQ(fx_listings, 0, "nothing lost, nobody waits: no listing");
	tracker__adopt_tw(f.t, 6 * S, 3, false, fx_lister);
	ASSERT_EQ(fx_listings, 0, "events lost, just seen: a birth they took may be too recent");
	tracker__adopt_tw(f.t, 6 * S + 900 * MS, 3, false, fx_lister);
	ASSERT_EQ(fx_listings, 0, "not yet 1 s since the loss was seen");
	list_lost_three(&f, 7 * S);
	tracker__adopt_tw(f.t, 7 * S, 3, false, fx_lister);
	ASSERT_EQ(fx_listings, 1, "1 s after: listed");
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 2, "both unknown ones, the later birth too");
	list_lost_three(&f, 17 * S);
	tracker__adopt_tw(f.t, 17 * S, 3, false, fx_lister);
	tracker__adopt_tw(f.t, 28 * S, 3, false, fx_lister);
	ASSERT_EQ(fx_listings, 1, "the loss covered, no more: no listing");
	g = tw_group(&f, 0, 443);
	ASSERT_TRUE(g == NULL || g->hist.count == 0, "nothing measured yet");
	cookie_end(&f, TCPWT_EV_TW_EXPIRE, 0xb07, 2 * S, 62 * S, fx_eph(&f, 7), TCPWT_TIME_WAIT,
		   27);
	ASSERT_EQ(unseen(&f), 1, "an unseen birth");
	ASSERT_EQ(recovered(&f), 0, "without its owner: not recovered");
	g = tw_group(&f, 0, 443);
	if (ASSERT_TRUE(g != NULL, "the ownerless group of 443")) {
		ASSERT_EQ(g->expired, 1, "expired");
		ASSERT_EQ(g->hist.max_ns, 60 * S, "from its timer's entry");
		ASSERT_EQ(g->open, 0, "open counts are a snapshot's");
	}
	fx_teardown(&f);

	/* Losses seen every half second from 30 s on: listed 10 s after the first. */
	fx_setup(&f);
	fx_listings = 0;
	for (uint64_t ns = 30 * S, lost = 1; ns < 40 * S; ns += 500 * MS, lost++) {
		tracker__adopt_tw(f.t, ns, lost, false, fx_lister);
		ASSERT_EQ(fx_listings, 0, "losses going on, under 10 s: no listing yet");
	}
	fx_listed[0] = tw_listed(fx_eph(&f, 7), 27, 29 * S + 500 * MS, 40 * S);
	fx_listed[1] = tw_listed(fx_eph(&f, 8), 28, 39 * S + 500 * MS, 40 * S);
	fx_n_listed = 2;
	tracker__adopt_tw(f.t, 40 * S, 21, false, fx_lister);
	ASSERT_EQ(fx_listings, 1, "10 s after the first: listed though they go on");
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 1, "the one old enough");
	fx_listed[0] = tw_listed(fx_eph(&f, 7), 27, 29 * S + 500 * MS, 50 * S);
	fx_listed[1] = tw_listed(fx_eph(&f, 8), 28, 39 * S + 500 * MS, 50 * S);
	tracker__adopt_tw(f.t, 45 * S, 21, false, fx_lister);
	ASSERT_EQ(fx_listings, 1, "not again within 10 s");
	tracker__adopt_tw(f.t, 50 * S, 21, false, fx_lister);
	ASSERT_EQ(fx_listings, 2, "again: the losses of its last second were not covered");
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 2, "the later one too");
	tracker__adopt_tw(f.t, 61 * S, 21, false, fx_lister);
	ASSERT_EQ(fx_listings, 2, "covered: no more");
	/* The last report lists at once. */
	fx_listed[0] = tw_listed(fx_eph(&f, 9), 29, 61 * S, 62 * S + 500 * MS);
	fx_n_listed = 1;
	tracker__adopt_tw(f.t, 62 * S + 500 * MS, 22, true, fx_lister);
	ASSERT_EQ(fx_listings, 3, "a loss just seen, the run's last report: listed");
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 3, "what is old enough");
	fx_teardown(&f);

	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 9;
	fx_listed[0] = tw_listed(fx_eph(&f, 7), 27, 2 * S, 7 * S);
	fx_n_listed = 1;
	tracker__adopt_tw(f.t, 6 * S, 3, false, fx_lister);
	tracker__adopt_tw(f.t, 7 * S, 3, false, fx_lister);
	ASSERT_EQ(tracker__stats(f.t)->tw_adopted, 0, "with -p, an ownerless one is not ours");
	fx_teardown(&f);
}

TEST(tracker_closers_full)
{
	struct fixture f;

	fx_setup(&f);
	f.cfg.closers_max = 2;
	for (int i = 0; i < 3; i++)
		closer_ev(&f, 0x1000 + i, 1 * S, fx_eph(&f, i), 9);
	/* The same socket again takes no more room. */
	closer_ev(&f, 0x1001, 1 * S, fx_eph(&f, 1), 9);
	ASSERT_EQ(tracker__stats(f.t)->closers_pending, 2, "room for two");
	ASSERT_EQ(tracker__stats(f.t)->closers_dropped, 1, "the third counted");
	for (int i = 0; i < 3; i++)
		birth_of(&f, 0xa00 + i, 0x1000 + i, 2 * S, fx_eph(&f, i));
	ASSERT_EQ(tw_owner(&f), 0xffffffffu, "not one group");
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 2, "owned and ownerless");
	fx_teardown(&f);
}

TEST(tracker_closers_pid_filter)
{
	struct fixture f;

	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 9;
	/* The kernel sends closers of pid 9 only, and every birth. */
	closer_ev(&f, 0x1000, 1 * S, fx_eph(&f, 1), 9);
	birth_of(&f, 0xa00, 0x1000, 2 * S, fx_eph(&f, 1));
	birth_of(&f, 0xa01, 0x2000, 2 * S, fx_eph(&f, 2));
	ASSERT_EQ(tw_owner(&f), 9, "only pid 9's socket tracked");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "one tracked");
	tw_end_ev(&f, TCPWT_EV_TW_EXPIRE, 0xa01, 62 * S, fx_eph(&f, 2), 443);
	ASSERT_EQ(unseen(&f), 0, "the other one's end is not news");
	fx_teardown(&f);
}

TEST(tracker_reconcile)
{
	struct open_sock oldest[8];
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;
	size_t ncw, ntw;

	fx_setup(&f);
	/* TIME_WAIT whose end was lost: 99 s is past any TIME_WAIT's life. */
	e = fx_ev(TCPWT_EV_TW_BORN, 0xc00, 1 * S, fx_eph(&f, 0), 443);
	e.state = TCPWT_TIME_WAIT;
	fx_feed(&f, &e);
	e = fx_ev(TCPWT_EV_TW_BORN, 0xc01, 50 * S, fx_eph(&f, 1), 443);
	e.state = TCPWT_TIME_WAIT;
	fx_feed(&f, &e);
	/* CLOSE_WAIT in a namespace that is gone, and one too young to ask about. */
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0xd00, 1 * S, 8080, fx_eph(&f, 2)), &e));
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0xd01, 99 * S, 8080, fx_eph(&f, 3)), &e));
	tracker__reconcile(f.t, 100 * S);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 1, "the stale TIME_WAIT dropped");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 3, "the gone CLOSE_WAIT waits a round");
	tracker__snapshot(f.t, 100 * S, oldest, 4, &ncw, &ntw);
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	ASSERT_EQ(g ? g->open : 0, 1, "and is not shown open: only the young one is");
	ASSERT_EQ(ncw, 1, "one CLOSE_WAIT open");
	tracker__reconcile(f.t, 110 * S);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 2, "then dropped: its exit never came");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 2, "the live ones kept");
	fx_teardown(&f);
}

/*
 * A timewait socket born in FIN_WAIT2 lives up to its FIN_WAIT2 timeout (at
 * most 60 s) and then 60 s in TIME_WAIT from the peer's FIN: a late move
 * keeps it well past 75 s from its birth, and it is not to be given up
 * before its TIME_WAIT could have ended.
 */
TEST(tracker_reconcile_fin_wait2_late)
{
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0xc00, 1 * S, TCPWT_FIN_WAIT2);
	fx_tw(&f, TCPWT_EV_TW_REARM, 0xc00, 40 * S, TCPWT_TIME_WAIT);
	/* Still FIN_WAIT2 as far as the tracker knows (its move fired nothing). */
	born(&f, 0xc01, 1 * S, TCPWT_FIN_WAIT2);
	tracker__reconcile(f.t, 90 * S);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 0, "both may still live");
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0xc00, 100 * S, TCPWT_TIME_WAIT);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	ASSERT_EQ(g ? g->hist.max_ns : 0, 60 * S, "measured from its move");
	ASSERT_EQ(unseen(&f), 0, "its end not taken for an unseen birth");
	tracker__reconcile(f.t, 1 * S + 60 * S + 75 * S);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 0, "not past both timeouts and the slack");
	tracker__reconcile(f.t, 1 * S + 60 * S + 75 * S + 1);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 1, "then dropped: its end never came");
	fx_teardown(&f);
}

/* An exit the listing overtook (still in the ring buffer) is measured, not lost. */
TEST(tracker_reconcile_exit_on_its_way)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	fx_setup(&f);
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0xd00, 1 * S, 8080, fx_eph(&f, 0)), &e));
	tracker__reconcile(f.t, 10 * S);
	e.type = TCPWT_EV_CW_EXIT;
	e.ts_ns = 9 * S;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	ASSERT_EQ(g ? g->hist.min_ns : 0, 8 * S, "measured");
	tracker__reconcile(f.t, 20 * S);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 0, "not reconciled");
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 0, "not unseen");
	/* A new socket at a gone one's address: the old one's exit was lost. */
	e.type = TCPWT_EV_CW_ENTER;
	e.ts_ns = 21 * S;
	fx_feed(&f, &e);
	tracker__reconcile(f.t, 30 * S);
	e.ts_ns = 31 * S;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 1, "counted once, as reconciled");
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 0, "not as a missed end too");
	fx_teardown(&f);
}

/* Kills of TIME_WAIT sockets, over all groups. */
static size_t tw_killed(struct fixture *f)
{
	struct group **v;
	size_t n = agg__sorted(f->agg, &v), killed = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i]->key.state == TCPWT_TIME_WAIT)
			killed += v[i]->killed;
	free(v);
	return killed;
}

/*
 * A namespace's deletion kills all its timewait sockets; the kernel side
 * sends NETNS_GONE instead of their kills. Those of that namespace (born
 * while tracing or seeded at start-up) end as killed then; the others stay.
 */
/* A timewait socket sock_diag lists at start-up: 10.0.0.0:40000 -> 10.0.0.0:443, 50 s left. */
static struct sd_sock listed_tw(void)
{
	struct sd_sock s = { .netns = NETNS, .family = AF_INET, .state = TCPWT_TIME_WAIT,
			     .lport = 40000, .rport = 443, .expires_ms = 50000, .cookie = 77 };

	s.laddr[0] = s.raddr[0] = 10;
	return s;
}

/* A fixture with listed_tw() seeded at 20 s, and 0x900 born in TIME_WAIT at 21 s. */
static void setup_seeded(struct fixture *f)
{
	struct sd_sock seed = listed_tw();

	fx_setup(f);
	tracker__seed(f->t, &seed, 20 * S, 20 * S);
	born(f, 0x900, 21 * S, TCPWT_TIME_WAIT);
}

TEST(tracker_tw_netns_gone)
{
	struct sd_sock seed = listed_tw();
	struct tcpwt_event e;
	struct fixture f;

	setup_seeded(&f);
	born(&f, 0x901, 22 * S, TCPWT_FIN_WAIT2);
	/* Another namespace's, same ports. */
	e = fx_ev(TCPWT_EV_TW_BORN, 0x902, 22 * S, fx_eph(&f, 1), 443);
	e.netns = NETNS + 1;
	e.state = TCPWT_TIME_WAIT;
	fx_feed(&f, &e);
	if (!ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 4, "tracked"))
		goto out;
	e = (struct tcpwt_event){ .type = TCPWT_EV_NETNS_GONE, .ts_ns = 30 * S, .netns = NETNS };
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "the other namespace's stays");
	ASSERT_EQ(tracker__stats(f.t)->bad_events, 0, "no family needed");
	/* Each CPU sends one: the second finds nothing left. */
	e.ts_ns = 31 * S;
	fx_feed(&f, &e);
	/* Born in FIN_WAIT2, its re-arm unseen: taken as TIME_WAIT from its birth. */
	ASSERT_EQ(tw_killed(&f), 3, "all three, killed once each");
	ASSERT_EQ(tracker__stats(f.t)->fin_wait2_only, 0, "none FIN_WAIT2 only");
	{
		/* A kill of one of them, parked before the deletion, read after it. */
		struct tcpwt_tw_slot slot = { .tw = 0x900, .ts_ns = 29 * S,
					      .entry_ns = 21 * S, .substate = TCPWT_TIME_WAIT,
					      .family = AF_INET, .netns = NETNS,
					      .portpair = (uint32_t)fx_eph(&f, 0) << 16 | htons(443) };

		tracker__on_parked_cancel(f.t, &slot, 31 * S);
		e.type = TCPWT_EV_TW_KILL;
		e.id = 0x901;
		e.family = AF_INET;
		fx_feed(&f, &e);
		e.type = TCPWT_EV_NETNS_GONE;
		e.id = 0;
		ASSERT_EQ(tw_killed(&f), 3, "their late kills are not news");
		ASSERT_EQ(unseen(&f), 0, "nor unseen births");
	}
	fx_tw(&f, TCPWT_EV_TW_KILL, 0x902, 32 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "the other ends by its own kill");
	/*
	 * A new namespace given the same number: its births are not taken for
	 * the old one's, so its deletion ends them too, even reported twice.
	 */
	born(&f, 0x903, 40 * S, TCPWT_TIME_WAIT);
	e.ts_ns = 45 * S;
	fx_feed(&f, &e);
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "the new namespace's, ended");
	ASSERT_EQ(tw_killed(&f), 5, "killed once");
	/* Listed by sock_diag after a deletion was reported: news too. */
	seed.cookie = 78;
	tracker__seed(f.t, &seed, 50 * S, 20 * S);
	e.ts_ns = 55 * S;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "a socket listed after, ended");
	ASSERT_EQ(tw_killed(&f), 6, "killed");
out:
	fx_teardown(&f);
}

/*
 * A timewait socket listed at start-up ends at the address of one born since
 * (its address freed and taken before its kill was reported): its cookie
 * and ports name it, the other one lives on.
 */
TEST(tracker_tw_seeded_end_at_tracked_address)
{
	struct tcpwt_event e;
	struct fixture f;

	setup_seeded(&f);
	e = fx_ev(TCPWT_EV_TW_KILL, 0x900, 22 * S, 40000, 443);
	e.state = TCPWT_TIME_WAIT;
	e.cookie = 77;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "one left");
	ASSERT_EQ(tracker__stats(f.t)->tw_unseen_births, 0, "not an unseen birth");
	e = fx_ev(TCPWT_EV_TW_EXPIRE, 0x900, 81 * S, fx_eph(&f, 0), 443);
	e.state = TCPWT_TIME_WAIT;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "the one born since: its own end");
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 0, "no end missed");
	fx_teardown(&f);
}

/* A timewait socket of pid, client of rport at peer ...0.peer, in netns. */
/* From 10.0.0.src to 10.0.0.peer:rport. */
static void born_to(struct fixture *f, uint64_t id, uint8_t src, uint16_t rport, uint8_t peer,
		    uint32_t netns, uint8_t state, uint32_t pid)
{
	struct tcpwt_event e = fx_ev(TCPWT_EV_CLOSER, FX_SK(id), 1 * S, fx_eph(f, (int)(id % 64)),
				     rport);

	e.state = TCPWT_FIN_WAIT1;
	fx_feed(f, fx_owned(&e, pid, pid == 9 ? "curl" : "wget"));
	e = fx_ev(TCPWT_EV_TW_BORN, id, 2 * S, fx_eph(f, (int)(id % 64)), rport);
	e.sk = FX_SK(id);
	e.state = state;
	e.netns = netns;
	e.laddr[3] = src;
	e.raddr[3] = peer;
	fx_feed(f, &e);
}

/*
 * Where clients' ports go: timewait sockets (either substate) counted by
 * owner, local address and destination, most first; servers' are not
 * clients' ports. The share is of the socket's own namespace's range.
 */
TEST(tracker_tw_destinations)
{
	uint32_t own = sockdiag__own_netns();
	FILE *pr = fopen("/proc/sys/net/ipv4/tcp_tw_reuse", "r");
	struct open_sock oldest[20];
	int reuse = -1;
	const struct tw_dest *d;
	struct fixture f;
	size_t ncw, ntw, n;

	if (pr) {
		if (fscanf(pr, "%d", &reuse) != 1)
			reuse = -1;
		fclose(pr);
	}
	fx_setup(&f);
	for (uint64_t i = 0; i < 5; i++)
		born_to(&f, 0x100 + i, 1, 443, 2, own, TCPWT_TIME_WAIT, 9);
	born_to(&f, 0x105, 1, 443, 2, own, TCPWT_FIN_WAIT2, 9); /* holds its port too */
	for (uint64_t i = 0; i < 3; i++)
		born_to(&f, 0x110 + i, 1, 443, 3, own, TCPWT_TIME_WAIT, 9); /* another peer */
	for (uint64_t i = 0; i < 2; i++)
		born_to(&f, 0x120 + i, 1, 80, 2, own, TCPWT_TIME_WAIT, 9); /* another port */
	born_to(&f, 0x130, 1, 443, 2, own, TCPWT_TIME_WAIT, 10); /* another owner */
	born_to(&f, 0x140, 1, 443, 2, NETNS2, TCPWT_TIME_WAIT, 9); /* another namespace */
	/* From another local address: connect() has a range of ports there too. */
	born_to(&f, 0x160, 5, 443, 2, own, TCPWT_TIME_WAIT, 9);
	/* A server's timewait socket: its peer's port is its peer's, not its own. */
	fx_born(&f, 0x150, 2 * S, 443, fx_eph(&f, 60), TCPWT_TIME_WAIT, 9, "curl");
	tracker__tw_destinations(f.t, &n);
	ASSERT_EQ(n, 0, "nothing before a snapshot");
	tracker__snapshot(f.t, 5 * S, oldest, 4, &ncw, &ntw);
	d = tracker__tw_destinations(f.t, &n);
	if (ASSERT_EQ(n, 4, "the top 4 of 6 destinations")) {
		ASSERT_EQ(d[0].sockets, 6, "10.0.0.2:443: 5 in TIME_WAIT, 1 in FIN_WAIT2");
		ASSERT_EQ(d[0].rport, 443, "its port");
		ASSERT_EQ(d[0].raddr[3], 2, "its peer");
		ASSERT_TRUE(!d[0].no_laddr && d[0].laddr[0] == 10 && d[0].laddr[3] == 1,
			    "from 10.0.0.1");
		ASSERT_EQ(d[0].pid, 9, "its owner");
		ASSERT_STREQ(d[0].comm, "curl", "its owner's name");
		ASSERT_EQ(d[0].family, AF_INET, "family");
		ASSERT_EQ(d[0].ephemeral_ports, f.eph_hi - f.eph_lo + 1, "this namespace's range");
		ASSERT_EQ(d[0].tw_reuse, reuse, "this namespace's tcp_tw_reuse");
		ASSERT_EQ(d[0].tw_reusable, reuse == 1, "which applies to 10.0.0.2 only if 1");
		ASSERT_EQ(d[1].sockets, 3, "then 10.0.0.3:443");
		ASSERT_EQ(d[1].raddr[3], 3, "the other peer");
		ASSERT_EQ(d[2].sockets, 2, "then 10.0.0.2:80");
		ASSERT_EQ(d[2].rport, 80, "the other port");
		ASSERT_EQ(d[3].sockets, 1, "then a socket alone");
	}
	tracker__snapshot(f.t, 5 * S, oldest, 1, &ncw, &ntw);
	d = tracker__tw_destinations(f.t, &n);
	ASSERT_EQ(n == 1 ? d[0].sockets : 0, 6, "top 1");
	/* The other owner's, the other namespace's and the other address's, apart. */
	tracker__snapshot(f.t, 5 * S, oldest, 10, &ncw, &ntw);
	d = tracker__tw_destinations(f.t, &n);
	ASSERT_EQ(n, 6, "six destinations, the server's socket not one");
	for (size_t i = 3; i < n; i++) {
		ASSERT_EQ(d[i].sockets, 1, "alone");
		if (d[i].netns == NETNS2)
			ASSERT_TRUE(!d[i].ephemeral_ports && d[i].tw_reuse == -1 && !d[i].tw_reusable,
				    "a namespace that cannot be read: unknown");
		else if (d[i].pid == 9)
			ASSERT_TRUE(d[i].laddr[3] == 5 && d[i].raddr[3] == 2 && d[i].rport == 443,
				    "10.0.0.5 -> 10.0.0.2:443, apart from 10.0.0.1's");
		else
			ASSERT_EQ(d[i].pid, 10, "the other owner");
	}
	/* Ended sockets hold no port: counted again at the next snapshot. */
	for (uint64_t i = 0; i < 5; i++)
		fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0x100 + i, 62 * S, TCPWT_TIME_WAIT);
	tracker__snapshot(f.t, 63 * S, oldest, 2, &ncw, &ntw);
	d = tracker__tw_destinations(f.t, &n);
	ASSERT_EQ(n, 2, "as many as the snapshot's top");
	ASSERT_EQ(n ? d[0].sockets : 0, 3, "10.0.0.3:443 first now");
	fx_teardown(&f);
}

/* A timewait birth in NETNS from 10.0.0.src, owned by curl. */
static void born_from(struct fixture *f, uint64_t id, uint64_t ts, uint8_t src)
{
	struct tcpwt_event e = fx_ev(TCPWT_EV_TW_BORN, id, ts, fx_eph(f, (int)(id % 64)), 443);

	e.state = TCPWT_TIME_WAIT;
	e.laddr[3] = src;
	fx_feed(f, &e);
}

/*
 * Timewait sockets keep their local address as a reference into the
 * tracker's pool: every way a socket ends gives it back, so the pool holds
 * exactly the addresses of the sockets tracked.
 */
TEST(tracker_tw_laddr_refs)
{
	struct sd_sock seed = listed_tw();
	struct tcpwt_event e;
	struct fixture f;

	fx_setup(&f);
	born_from(&f, 0xa00, 1 * S, 1);
	born_from(&f, 0xa01, 1 * S, 1);
	born_from(&f, 0xa02, 1 * S, 2);
	born_from(&f, 0xa03, 1 * S, 3);
	fx_born(&f, 0xa04, 1 * S, fx_eph(&f, 4), 443, TCPWT_FIN_WAIT2, 9, "curl"); /* 10.0.0.1 */
	seed.laddr[3] = 4;
	tracker__seed(f.t, &seed, 20 * S, 20 * S); /* in TIME_WAIT since 10 s */
	if (!ASSERT_EQ(addr_pool__len(f.t->laddrs), 4, "10.0.0.1 to .4, each once"))
		goto out;
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0xa00, 61 * S, TCPWT_TIME_WAIT);
	fx_tw(&f, TCPWT_EV_TW_EXPIRE, 0xa04, 61 * S, TCPWT_FIN_WAIT2); /* never TIME_WAIT */
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 4, "10.0.0.1 still held by one");
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xa01, 62 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 3, "10.0.0.1 gone with its last socket");
	/* Born again at the same address, the end of the one before missed. */
	born_from(&f, 0xa02, 63 * S, 5);
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 1, "the one before ended");
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 3, "10.0.0.2 for 10.0.0.5");
	/* A birth reported after a later one's at its address takes the record over. */
	born_from(&f, 0xa07, 63 * S, 8);
	born_from(&f, 0xa07, 62 * S, 9);
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 4, "10.0.0.8 for 10.0.0.9");
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xa07, 63 * S, TCPWT_TIME_WAIT);
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 3, "and gone with it");
	if (ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 3, "three tracked")) {
		struct open_sock oldest[4];
		size_t ncw, ntw;

		tracker__snapshot(f.t, 64 * S, oldest, 2, &ncw, &ntw);
		ASSERT_TRUE(ntw == 2 && oldest[2].laddr[3] == 3 && oldest[3].laddr[3] == 4,
			    "the oldest two, from 10.0.0.3 and 10.0.0.4 (seeded)");
	}
	e = (struct tcpwt_event){ .type = TCPWT_EV_NETNS_GONE, .ts_ns = 65 * S, .netns = NETNS };
	born_from(&f, 0xa05, 64 * S, 6);
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "all ended by the deletion");
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 0, "no address left");
	born_from(&f, 0xa06, 100 * S, 7);
	tracker__reconcile(f.t, 400 * S);
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "past any lifetime: dropped");
	ASSERT_EQ(addr_pool__len(f.t->laddrs), 0, "with its address");
out:
	fx_teardown(&f);
}

/*
 * Kills a connect() made by taking the tuple over (the kernel side flags
 * them), from its KILL event or from the parked cancel's slot, count as
 * killed and as taken over; other kills only as killed.
 */
TEST(tracker_tw_taken_over)
{
	struct tcpwt_tw_slot slot = { .tw = 0xb02, .ts_ns = 5 * S, .substate = TCPWT_TIME_WAIT,
				      .taken_over = 1 };
	struct tcpwt_event e = { .type = TCPWT_EV_TW_KILL, .id = 0xb00, .ts_ns = 3 * S,
				 .state = TCPWT_TIME_WAIT, .flags = TCPWT_F_TAKEN_OVER };
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	born(&f, 0xb00, 1 * S, TCPWT_TIME_WAIT);
	born(&f, 0xb01, 1 * S, TCPWT_TIME_WAIT);
	born(&f, 0xb02, 1 * S, TCPWT_TIME_WAIT);
	born(&f, 0xb03, 1 * S, TCPWT_TIME_WAIT);
	fx_feed(&f, &e);
	fx_tw(&f, TCPWT_EV_TW_KILL, 0xb01, 3 * S, TCPWT_TIME_WAIT);
	tracker__on_parked_cancel(f.t, &slot, 6 * S);
	/* The flag means nothing on an expiry. */
	e = (struct tcpwt_event){ .type = TCPWT_EV_TW_EXPIRE, .id = 0xb03, .ts_ns = 61 * S,
				  .state = TCPWT_TIME_WAIT, .flags = TCPWT_F_TAKEN_OVER };
	fx_feed(&f, &e);
	g = fx_only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->killed, 3, "killed: taken over or not");
		ASSERT_EQ(g->taken_over, 2, "taken over: the flagged event and the flagged slot");
		ASSERT_EQ(g->expired, 1, "expired");
	}
	fx_teardown(&f);
}

/* Sockets of both states, some ended, fed to f. */
static unsigned int feed_mix(struct fixture *f)
{
	struct tcpwt_event e;
	unsigned int fed = 0;

	for (int i = 0; i < 12; i++, fed += 2)
		born(f, 0x1000 + i, (1 + i) * S, TCPWT_TIME_WAIT);
	for (int i = 0; i < 10; i++, fed++)
		fx_tw(f, i < 8 ? TCPWT_EV_TW_EXPIRE : TCPWT_EV_TW_KILL, 0x1000 + i,
		      (61 + i) * S + i * MS, TCPWT_TIME_WAIT);
	for (int i = 0; i < 3; i++, fed++) {
		e = fx_ev(TCPWT_EV_CW_ENTER, 0x2000 + i, (2 + i) * S, 8080, 40000 + i);
		e.state = TCPWT_CLOSE_WAIT;
		fx_feed(f, &e);
	}
	for (int i = 0; i < 2; i++, fed++) {
		e = fx_ev(TCPWT_EV_CW_EXIT, 0x2000 + i, (5 + 3 * i) * S, 8080, 40000 + i);
		e.state = TCPWT_LAST_ACK;
		fx_feed(f, fx_owned(&e, 7, "srv"));
	}
	return fed;
}

/*
 * Records fed as the tracer reads the ring are handled a few records late,
 * in order, all of them once flushed: the same figures as handled at once.
 */
TEST(tracker_events_ahead)
{
	struct fixture now, ahead;
	unsigned int fed;
	struct group *g[2][2];
	struct tcpwt_event e;

	fx_setup(&now);
	fx_setup(&ahead);
	ahead.ahead = true;
	fed = feed_mix(&now);
	ASSERT_EQ(feed_mix(&ahead), fed, "the same records");
	ASSERT_EQ(ahead.t->stats.events, fed - TRACKER_AHEAD, "the last few held back");
	ASSERT_EQ(tracker__stats(ahead.t)->events, fed, "all handled once asked");
	ASSERT_EQ(ahead.t->ahead_n, 0, "none left");
	g[0][0] = fx_only(&now, TCPWT_TIME_WAIT);
	g[0][1] = fx_only(&now, TCPWT_CLOSE_WAIT);
	g[1][0] = fx_only(&ahead, TCPWT_TIME_WAIT);
	g[1][1] = fx_only(&ahead, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g[0][0] && g[0][1] && g[1][0] && g[1][1], "a group of each state")) {
		ASSERT_EQ(g[0][0]->hist.count, 10, "timewait sockets ended");
		ASSERT_EQ(g[0][0]->expired, 8, "expired");
		ASSERT_EQ(g[0][1]->hist.count, 2, "CLOSE_WAIT sockets left");
		for (int s = 0; s < 2; s++) {
			ASSERT_EQ(g[1][s]->hist.count, g[0][s]->hist.count, "as many measured");
			ASSERT_EQ(g[1][s]->hist.sum_ns, g[0][s]->hist.sum_ns, "as long");
			ASSERT_EQ(g[1][s]->expired, g[0][s]->expired, "as many expired");
			ASSERT_EQ(g[1][s]->killed, g[0][s]->killed, "as many killed");
		}
	}
	ASSERT_EQ(tracker__stats(ahead.t)->tracked_sockets, tracker__stats(now.t)->tracked_sockets,
		  "as many open");
	ASSERT_EQ(tracker__stats(ahead.t)->tw_unseen_births, 0, "no end before its birth");
	ASSERT_EQ(tracker__stats(ahead.t)->missed_ends, 0, "no birth after its end");
	fx_teardown(&now);
	/* A record handled at once comes after those held back. */
	born(&ahead, 0x3000, 100 * S, TCPWT_TIME_WAIT);
	e = (struct tcpwt_event){ .type = TCPWT_EV_TW_EXPIRE, .id = 0x3000, .ts_ns = 160 * S,
				  .state = TCPWT_TIME_WAIT };
	tracker__on_data(ahead.t, &e, sizeof(e));
	ASSERT_EQ(ahead.t->stats.tw_unseen_births, 0, "its birth handled first");
	ASSERT_EQ(g[1][0] ? g[1][0]->expired : 0, 9, "and its end then");
	fx_teardown(&ahead);
}
