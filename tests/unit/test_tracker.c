// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracker and CLOSE_WAIT: owners, roles, open sockets, filters, bad input. */
#include <stdlib.h>
#include <sys/socket.h>
#include "check.h"
#include "tracker_fixture.h"

TEST(tracker_cw_owner_at_close)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	fx_setup(&f);
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x200, 10 * S, 8080, 40000), &e));
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x200, 10 * S + 250 * MS + 7, 8080, 40000);
	e.state = TCPWT_LAST_ACK;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one CLOSE_WAIT group")) {
		ASSERT_EQ(g->key.pid, 42, "the tgid that closed it");
		ASSERT_STREQ(g->key.comm, "srv", "its comm");
		ASSERT_EQ(g->hist.count, 1, "completed 1");
		ASSERT_EQ(g->hist.min_ns, 250 * MS + 7, "exact duration");
		ASSERT_EQ(g->hist.sum_ns, 250 * MS + 7, "sum");
	}
	ASSERT_EQ(fx_groups(&f, TCPWT_TIME_WAIT), 0, "no TIME_WAIT group");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 0, "forgotten once ended");
	ASSERT_EQ(tracker__stats(f.t)->events, 2, "events");
	/* An exit without its entry: not measured, counted. */
	fx_feed(&f, &e);
	ASSERT_EQ(g ? g->hist.count : 0, 1, "an unknown socket's exit is not measured");
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 1, "it is counted");
	fx_teardown(&f);
}

/* Exits of sockets whose entry was never seen count when the report would show them. */
TEST(tracker_cw_unseen_entries)
{
	static const uint64_t inos[] = { 4321 };
	struct fixture f;
	struct tcpwt_event e;

	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 42;
	fx_process(&f, 42, "srv", inos, 1);
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x1, 1 * S, 8080, fx_eph(&f, 0));
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 1, "closed by the followed pid");
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x2, 1 * S, 8080, fx_eph(&f, 1));
	fx_feed(&f, fx_owned(&e, 43, "other"));
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 1, "closed by another pid: not ours");
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x3, 1 * S, 8080, fx_eph(&f, 2));
	e.ino = 4321;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 2, "reset in softirq, held by the followed pid");
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x4, 1 * S, 8080, fx_eph(&f, 3));
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 2, "owner unknown: not known to be ours");
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "none measured");
	fx_teardown(&f);

	fx_setup(&f);
	f.cfg.nports = 1;
	f.cfg.ports[0] = 443;
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x5, 1 * S, 8080, fx_eph(&f, 0));
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 0, "service port not followed");
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x6, 1 * S, fx_eph(&f, 1), 443);
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 1, "a client of a followed port");
	fx_teardown(&f);
}

TEST(tracker_cw_owner_from_proc)
{
	static const uint64_t inos77[] = { 999, 1234 }, inos78[] = { 5678 };
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	fx_setup(&f);
	fx_process(&f, 77, "leaky", inos77, 2);
	fx_process(&f, 78, "other", inos78, 1);
	e = fx_ev(TCPWT_EV_CW_ENTER, 0x300, 1 * S, fx_eph(&f, 0), 5432);
	e.ino = 1234;
	fx_feed(&f, &e);
	/* Reset by the peer in softirq: neither owner nor inode in the event. */
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x300, 3 * S + 5, fx_eph(&f, 0), 5432);
	e.state = TCPWT_CLOSE;
	fx_feed(&f, &e);
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one group")) {
		ASSERT_EQ(g->key.pid, 77, "the pid holding socket:[1234]");
		ASSERT_STREQ(g->key.comm, "leaky", "comm from <pid>/comm");
		ASSERT_EQ(g->key.role, ROLE_CLIENT, "ephemeral local port: client");
		ASSERT_EQ(g->key.port, 5432, "service port is the remote one");
		ASSERT_EQ(g->hist.min_ns, 2 * S + 5, "duration");
	}
	ASSERT_GE(owners__scans(f.owners), 1, "the fake /proc was read");
	fx_teardown(&f);
}

/* role and port of the one CLOSE_WAIT group left by a socket lport -> rport. */
static bool cw_role(struct fixture *f, uint64_t id, uint32_t netns, uint16_t lport,
		    uint16_t rport, uint8_t *role, uint16_t *port)
{
	struct tcpwt_event e = fx_ev(TCPWT_EV_CW_ENTER, id, 1 * S, lport, rport);
	struct group **v;
	size_t n;

	e.netns = netns;
	fx_feed(f, &e);
	e.type = TCPWT_EV_CW_EXIT;
	e.ts_ns = 2 * S;
	fx_feed(f, fx_owned(&e, 1000 + id, "x"));
	n = agg__sorted(f->agg, &v);
	for (size_t i = 0; i < n; i++)
		if (v[i]->key.pid == 1000 + id) {
			*role = v[i]->key.role;
			*port = v[i]->key.port;
			free(v);
			return true;
		}
	free(v);
	return ASSERT_TRUE(false, "group found");
}

TEST(tracker_role)
{
	struct fixture f;
	struct tcpwt_event e;
	uint16_t port;
	uint8_t role;

	fx_setup(&f);
	fx_feed(&f, fx_owned((e = fx_ev(TCPWT_EV_LISTEN, 0x100, 1, 8080, 0), &e), 42, "srv"));
	/* 8080 -> 80: both below the ephemeral range, the listener decides. */
	if (cw_role(&f, 1, NETNS, 8080, 80, &role, &port)) {
		ASSERT_EQ(role, ROLE_SERVER, "a listener on the local port: server");
		ASSERT_EQ(port, 8080, "server port");
	}
	if (cw_role(&f, 2, NETNS2, 8080, 80, &role, &port)) {
		ASSERT_EQ(role, ROLE_CLIENT, "the listener is in another namespace");
		ASSERT_EQ(port, 80, "the remote port");
	}
	if (cw_role(&f, 3, NETNS, fx_eph(&f, 1), 8080, &role, &port)) {
		ASSERT_EQ(role, ROLE_CLIENT, "no listener, ephemeral local port: client");
		ASSERT_EQ(port, 8080, "client of port 8080");
	}
	if (cw_role(&f, 4, NETNS, 9090, fx_eph(&f, 2), &role, &port)) {
		ASSERT_EQ(role, ROLE_SERVER, "no listener, ephemeral remote port: server");
		ASSERT_EQ(port, 9090, "its own port");
	}
	/* A local port below the range (the namespace's own range), to a listener. */
	if (cw_role(&f, 5, NETNS, 5000, 8080, &role, &port)) {
		ASSERT_EQ(role, ROLE_CLIENT, "a listener on the remote port: client");
		ASSERT_EQ(port, 8080, "client of the listener");
	}
	fx_teardown(&f);
}

TEST(tracker_cw_accept_queue)
{
	static const uint64_t inos[] = { 777 };
	struct open_sock oldest[20];
	struct fixture f;
	struct tcpwt_event e;
	size_t ncw, ntw;
	struct group *g;

	fx_setup(&f);
	fx_feed(&f, fx_owned((e = fx_ev(TCPWT_EV_LISTEN, 0x100, 1, 9000, 0), &e), 5, "api"));
	/* Never accepted: no inode, no owner. */
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x400, 1 * S, 9000, fx_eph(&f, 0)), &e));
	tracker__snapshot(f.t, 5 * S, oldest, 10, &ncw, &ntw);
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one group")) {
		ASSERT_EQ(g->key.pid, 5, "charged to the listener's process");
		ASSERT_STREQ(g->key.comm, "api", "listener's comm");
		ASSERT_EQ(g->key.role, ROLE_SERVER, "server");
		ASSERT_EQ(g->open, 1, "open 1");
		ASSERT_EQ(g->oldest_open_ns, 4 * S, "age");
		ASSERT_EQ(g->hist.count, 0, "nothing completed");
	}
	ASSERT_EQ(ncw, 1, "in the oldest list");
	ASSERT_EQ(ntw, 0, "no TIME_WAIT");
	/* A listener known only from sock_diag: its owner by inode. */
	fx_process(&f, 66, "legacy", inos, 1);
	tracker__add_listener(f.t, NETNS2, 7000, 777);
	e = fx_ev(TCPWT_EV_CW_ENTER, 0x401, 2 * S, 7000, fx_eph(&f, 1));
	e.netns = NETNS2;
	fx_feed(&f, &e);
	tracker__snapshot(f.t, 5 * S, oldest, 10, &ncw, &ntw);
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 2, "two groups");
	if (ASSERT_EQ(ncw, 2, "two open")) {
		ASSERT_EQ(oldest[1].pid, 66, "the listener's holder, from /proc");
		ASSERT_STREQ(oldest[1].comm, "legacy", "its comm");
		ASSERT_EQ(oldest[1].age_ns, 3 * S, "age");
	}
	fx_teardown(&f);
}

TEST(tracker_snapshot_open_and_oldest)
{
	struct open_sock oldest[6];
	struct fixture f;
	struct tcpwt_event e;
	size_t ncw, ntw;
	struct group *g;

	fx_setup(&f);
	f.cfg.top = 3;
	/* Five CLOSE_WAIT sockets of one process, entered at 1..5 s, in shuffled order. */
	for (int i = 0; i < 5; i++) {
		int k = (i * 3) % 5;

		e = fx_ev(TCPWT_EV_CW_ENTER, 0x500 + k, (1 + k) * S, 8080, fx_eph(&f, k));
		fx_feed(&f, fx_owned(&e, 9, "app"));
	}
	/* Two TIME_WAIT ones, entered at 2 and 6 s. */
	for (int i = 0; i < 2; i++) {
		fx_born(&f, 0x600 + i, (2 + 4 * i) * S, fx_eph(&f, 10 + i), 443,
			TCPWT_TIME_WAIT, 9, "app");
	}
	tracker__snapshot(f.t, 10 * S, oldest, 3, &ncw, &ntw);
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one CLOSE_WAIT group")) {
		ASSERT_EQ(g->open, 5, "all five open");
		ASSERT_EQ(g->oldest_open_ns, 9 * S, "oldest age = now - enter");
		ASSERT_FALSE(g->oldest_is_lower_bound, "measured");
	}
	if (ASSERT_EQ(ncw, 3, "oldest list limited to top")) {
		for (int i = 0; i < 3; i++) {
			ASSERT_EQ(oldest[i].age_ns, (9 - i) * S, "oldest first");
			ASSERT_EQ(oldest[i].state, TCPWT_CLOSE_WAIT, "state");
			ASSERT_EQ(oldest[i].pid, 9, "pid");
			ASSERT_EQ(oldest[i].lport, 8080, "local port");
			ASSERT_EQ(oldest[i].rport, fx_eph(&f, i), "remote port");
			ASSERT_EQ(oldest[i].netns, NETNS, "netns");
		}
	}
	if (ASSERT_EQ(ntw, 2, "TIME_WAIT list")) {
		ASSERT_EQ(oldest[3].age_ns, 8 * S, "TIME_WAIT oldest first, after top");
		ASSERT_EQ(oldest[4].age_ns, 4 * S, "then the younger");
		ASSERT_EQ(oldest[3].port, 443, "service port");
	}
	g = fx_only(&f, TCPWT_TIME_WAIT);
	ASSERT_EQ(g ? g->open : 0, 2, "TIME_WAIT open");
	/* The oldest leaves: the next snapshot says so. */
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x500, 11 * S, 8080, fx_eph(&f, 0));
	fx_feed(&f, fx_owned(&e, 9, "app"));
	tracker__snapshot(f.t, 12 * S, oldest, 3, &ncw, &ntw);
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->open, 4, "four left");
		ASSERT_EQ(g->oldest_open_ns, 10 * S, "the next oldest");
		ASSERT_EQ(g->hist.count, 1, "one completed");
	}
	tracker__snapshot(f.t, 12 * S, oldest, 0, &ncw, &ntw);
	ASSERT_EQ(ncw + ntw, 0, "top 0: no list");
	ASSERT_EQ(g ? g->open : 0, 4, "still counted");
	fx_teardown(&f);
}

TEST(tracker_filters)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	fx_setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 42;
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x1, 1 * S, 8080, fx_eph(&f, 0)), &e));
	e.type = TCPWT_EV_CW_EXIT;
	fx_feed(&f, fx_owned(&e, 43, "intruder"));
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "another pid: no group");
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x2, 1 * S, 8080, fx_eph(&f, 1)), &e));
	e.type = TCPWT_EV_CW_EXIT;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	ASSERT_TRUE(g && g->key.pid == 42, "the followed pid");
	fx_teardown(&f);

	fx_setup(&f);
	f.cfg.nports = 1;
	f.cfg.ports[0] = 443;
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x3, 1 * S, 8080, fx_eph(&f, 0)), &e));
	e.type = TCPWT_EV_CW_EXIT;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "port 8080 not followed");
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x4, 1 * S, fx_eph(&f, 1), 443), &e));
	e.type = TCPWT_EV_CW_EXIT;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 1, "a client of 443 is followed");
	fx_teardown(&f);

	fx_setup(&f);
	f.cfg.family = AF_INET6;
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x5, 1 * S, 8080, fx_eph(&f, 0)), &e));
	e.type = TCPWT_EV_CW_EXIT;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "-6: IPv4 ignored");
	fx_teardown(&f);
}

TEST(tracker_cw_missed_end)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	fx_setup(&f);
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x9, 1 * S, 8080, fx_eph(&f, 0)), &e));
	e.ts_ns = 5 * S;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 1, "entered twice");
	e.type = TCPWT_EV_CW_EXIT;
	e.ts_ns = 6 * S;
	fx_feed(&f, fx_owned(&e, 1, "a"));
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	ASSERT_EQ(g ? g->hist.min_ns : 0, 1 * S, "measured from the second entry");
	fx_teardown(&f);
}

/*
 * An exit at the address of a socket whose exit was lost, but of another
 * connection (the allocator reuses addresses at once): the earlier one is
 * dropped, the exit counted as one whose entry was not seen; neither is
 * measured.
 */
TEST(tracker_cw_exit_of_another_connection)
{
	struct fixture f;
	struct tcpwt_event e;
	const struct tracker_stats *st;

	fx_setup(&f);
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x9, 1 * S, 8080, fx_eph(&f, 0)), &e));
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x9, 3 * S, 9090, fx_eph(&f, 1));
	fx_feed(&f, fx_owned(&e, 1, "a"));
	st = tracker__stats(f.t);
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "nothing measured");
	ASSERT_EQ(st->cw_unseen_entries, 1, "the exit's entry was not seen");
	ASSERT_EQ(st->missed_ends, 1, "the earlier socket's exit was lost");
	ASSERT_EQ(st->tracked_sockets, 0, "the earlier socket dropped");
	/* Same ports, another address: another connection too. */
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0xa, 1 * S, 8080, fx_eph(&f, 0)), &e));
	e.type = TCPWT_EV_CW_EXIT;
	e.ts_ns = 3 * S;
	e.raddr[3] = 7;
	fx_feed(&f, fx_owned(&e, 1, "a"));
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "still nothing measured");
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 2, "unseen");
	fx_teardown(&f);
}

TEST(tracker_malformed_records)
{
	struct fixture f;
	struct tcpwt_event e;
	const struct tracker_stats *st;

	fx_setup(&f);
	e = fx_ev(TCPWT_EV_CW_ENTER, 0x10, 1 * S, 8080, 40000);
	tracker__on_data(f.t, &e, 0);
	tracker__on_data(f.t, &e, 1);
	tracker__on_data(f.t, &e, sizeof(e) - 1);
	e.type = 99;
	fx_feed(&f, &e);
	e.type = 0;
	fx_feed(&f, &e);
	e = fx_ev(TCPWT_EV_CW_ENTER, 0x10, 1 * S, 8080, 40000);
	e.family = 0;
	fx_feed(&f, &e);
	st = tracker__stats(f.t);
	ASSERT_EQ(st->bad_events, 6, "short, unknown type, bad family: counted");
	ASSERT_EQ(st->events, 0, "none decoded");
	ASSERT_EQ(st->tracked_sockets, 0, "none tracked");
	/* A longer record (a newer kernel side) is read for what it has. */
	{
		unsigned char big[sizeof(e) + 8] = { 0 };

		e = fx_ev(TCPWT_EV_CW_ENTER, 0x11, 1 * S, 8080, 40000);
		memcpy(big, &e, sizeof(e));
		tracker__on_data(f.t, big, sizeof(big));
	}
	st = tracker__stats(f.t);
	ASSERT_EQ(st->events, 1, "decoded");
	ASSERT_EQ(st->tracked_sockets, 1, "tracked");
	fx_teardown(&f);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* What the decoder must accept: whole records of a known type and family. */
static bool valid_record(const unsigned char *p, size_t len)
{
	struct tcpwt_event e;

	if (len < sizeof(e))
		return false;
	memcpy(&e, p, sizeof(e));
	if (e.type < TCPWT_EV_CW_ENTER || e.type > TCPWT_EV_NETNS_GONE)
		return false;
	return e.family == AF_INET || e.family == AF_INET6 || e.type == TCPWT_EV_TW_REARM ||
	       e.type == TCPWT_EV_TW_EXPIRE || e.type == TCPWT_EV_TW_KILL ||
	       e.type == TCPWT_EV_NETNS_GONE;
}

TEST(tracker_random_input)
{
	struct open_sock oldest[8];
	unsigned char buf[200];
	uint64_t valid = 0, calls = 0;
	const struct tracker_stats *st;
	struct fixture f;
	size_t ncw, ntw;

	fx_setup(&f);
	for (int i = 0; i < 10000; i++, calls++) {
		size_t len = rnd() % (sizeof(buf) + 1);

		for (size_t k = 0; k < len; k++)
			buf[k] = rnd();
		valid += valid_record(buf, len);
		tracker__on_data(f.t, buf, len);
	}
	/* Plausible records with random fields: the state machine's corners. */
	for (int i = 0; i < 50000; i++, calls++) {
		struct tcpwt_event e = fx_ev(1 + rnd() % 10, 1 + rnd() % 64, rnd() % (100 * S),
					     rnd() % 4 ? fx_eph(&f, rnd() % 8) : 8080,
					     rnd() % 2 ? 443 : fx_eph(&f, 9));

		e.state = rnd() % 12;
		e.ino = rnd() % 3 ? 0 : 1 + rnd() % 16;
		e.entry_ns = rnd() % 2 ? 0 : rnd() % (100 * S);
		e.cookie = rnd() % 4 ? 0 : 1 + rnd() % 8;
		e.family = rnd() % 16 ? AF_INET : rnd() % 2 ? AF_INET6 : rnd();
		if (rnd() % 2)
			fx_owned(&e, 1 + rnd() % 4, "p");
		for (size_t k = 0; k < sizeof(e.comm); k++)
			e.comm[k] = rnd() % 8 ? e.comm[k] : (char)rnd();
		valid += valid_record((const unsigned char *)&e, sizeof(e));
		fx_feed(&f, &e);
		if (i % 5000 == 0) {
			struct tcpwt_tw_slot s = { .tw = 1 + rnd() % 64, .ts_ns = rnd() % (100 * S),
						   .substate = rnd() % 12 };

			tracker__on_parked_cancel(f.t, &s, rnd() % (200 * S));
			tracker__snapshot(f.t, rnd() % (200 * S), oldest, 4, &ncw, &ntw);
			ASSERT_LE(ncw + ntw, 8, "lists within top");
		}
	}
	tracker__reconcile(f.t, 1000 * S);
	st = tracker__stats(f.t);
	ASSERT_EQ(st->events, valid, "exactly the valid records decoded");
	ASSERT_EQ(st->events + st->bad_events, calls, "every record counted once");
	ASSERT_GE(st->bad_events, 1000, "junk refused");
	fx_teardown(&f);
}

/* A socket in CLOSE_WAIT as sock_diag lists it, its peer's FIN's ACK ack_ms old. */
static struct sd_sock cw_listed(uint16_t lport, uint16_t rport, uint64_t cookie, int64_t ack_ms)
{
	struct sd_sock s = fx_sd_sock(TCPWT_CLOSE_WAIT, lport, rport, cookie);

	s.last_ack_recv_ms = ack_ms;
	return s;
}

/*
 * Sockets in CLOSE_WAIT whose entry the tracker missed are adopted from a
 * listing: shown open, their age at least since the ACK of the peer's FIN;
 * at their exit counted as unseen entries. Not the known ones, nor one whose
 * FIN is so recent that its entry may still be on its way.
 */
TEST(tracker_cw_adopted)
{
	struct open_sock oldest[4];
	struct tcpwt_event e;
	struct fixture f;
	size_t ncw, ntw;
	struct group *g;

	fx_setup(&f);
	f.cfg.nports = 1;
	f.cfg.ports[0] = 8080;
	fx_feed(&f, (e = fx_ev(TCPWT_EV_CW_ENTER, 0x100, 10 * S, 8080, fx_eph(&f, 0)), &e));
	fx_listed[0] = cw_listed(8080, fx_eph(&f, 0), 11, 5000); /* known by its entry */
	fx_listed[1] = cw_listed(8080, fx_eph(&f, 1), 12, 3000); /* missed */
	fx_listed[2] = cw_listed(8080, fx_eph(&f, 2), 13, 200); /* too recent */
	fx_listed[3] = cw_listed(9090, fx_eph(&f, 3), 14, 3000); /* port not followed */
	fx_n_listed = 4;
	fx_listings = 0;
	tracker__adopt_cw(f.t, 20 * S, fx_lister);
	ASSERT_EQ(fx_listings, 1, "listed");
	ASSERT_EQ(tracker__stats(f.t)->cw_adopted, 1, "the missed one adopted");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 2, "tracked: it and the known one");
	tracker__adopt_cw(f.t, 25 * S, fx_lister);
	ASSERT_EQ(fx_listings, 1, "not again within 10 s");
	tracker__adopt_cw(f.t, 31 * S, fx_lister);
	ASSERT_EQ(fx_listings, 2, "again after");
	ASSERT_EQ(tracker__stats(f.t)->cw_adopted, 1, "adopted once");
	tracker__snapshot(f.t, 31 * S, oldest, 4, &ncw, &ntw);
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one CLOSE_WAIT group")) {
		ASSERT_EQ(g->open, 2, "both open");
		ASSERT_EQ(g->open_seeded, 0, "neither from before tracing");
		ASSERT_EQ(g->oldest_open_ns, 21 * S, "the known one, measured, is the oldest");
	}
	if (ASSERT_EQ(ncw, 2, "listed open")) {
		ASSERT_EQ(oldest[1].age_ns, 14 * S, "adopted: since the ACK, 3 s before 20 s");
		ASSERT_TRUE(oldest[1].lower_bound, "a lower bound");
		ASSERT_FALSE(oldest[1].seeded, "not from before tracing");
		ASSERT_EQ(oldest[1].rport, fx_eph(&f, 1), "its tuple");
	}
	/* Its exit names its cookie: counted as an unseen entry, not measured. */
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x200, 40 * S, 8080, fx_eph(&f, 1));
	e.cookie = 12;
	fx_feed(&f, fx_owned(&e, 7, "srv"));
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 1, "an unseen entry");
	ASSERT_EQ(tracker__stats(f.t)->seeded_ended, 0, "not one from before tracing");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "forgotten");
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	ASSERT_EQ(g ? g->hist.count : 1, 0, "not measured");
	fx_teardown(&f);
}

/*
 * An exit whose entry was never seen is measured from when the peer's last
 * ACK came (the kernel's time of it, in the exit event), if that was while
 * tracing; counted in cw_unseen_entries either way.
 */
TEST(tracker_cw_unseen_recovered)
{
	struct tcpwt_event e;
	struct fixture f;
	struct group *g;

	fx_setup(&f);
	tracker__set_start(f.t, 5 * S);
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x1, 10 * S, 8080, fx_eph(&f, 0));
	e.entry_ns = 7 * S + 4 * MS;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 1, "an unseen entry");
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_recovered, 1, "measured");
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one CLOSE_WAIT group")) {
		ASSERT_EQ(g->key.pid, 42, "the process that closed it");
		ASSERT_EQ(g->hist.count, 1, "one completed");
		ASSERT_EQ(g->hist.max_ns, 3 * S - 4 * MS, "since the ACK");
	}
	/* The ACK came before tracing began: a socket from before, not measured. */
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x2, 10 * S, 8080, fx_eph(&f, 1));
	e.entry_ns = 4 * S;
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_entries, 2, "counted");
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_recovered, 1, "not measured");
	/* No time given: not measured. */
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x3, 10 * S, 8080, fx_eph(&f, 2));
	fx_feed(&f, fx_owned(&e, 42, "srv"));
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_recovered, 1, "no ACK time");
	g = fx_only(&f, TCPWT_CLOSE_WAIT);
	ASSERT_EQ(g ? g->hist.count : 0, 1, "still one completed");
	fx_teardown(&f);

	fx_setup(&f);
	f.cfg.nports = 1;
	f.cfg.ports[0] = 443;
	e = fx_ev(TCPWT_EV_CW_EXIT, 0x1, 10 * S, 8080, fx_eph(&f, 0));
	e.entry_ns = 9 * S;
	fx_feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->cw_unseen_recovered, 0, "port not followed");
	ASSERT_EQ(fx_groups(&f, TCPWT_CLOSE_WAIT), 0, "no group");
	fx_teardown(&f);
}
