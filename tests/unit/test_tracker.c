// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracker driven by synthetic kernel events, with a fake /proc. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "tracker.h"

#define MS 1000000ULL
#define S 1000000000ULL
#define NETNS 4026531840u

struct fixture {
	char root[64];
	struct config cfg;
	struct agg *agg;
	struct owners *owners;
	struct tracker *t;
};

/* <root>/<pid>/comm and <root>/<pid>/fd/3 -> socket:[ino] */
static void fake_process(struct fixture *f, uint32_t pid, const char *comm, uint64_t ino)
{
	char path[256], target[64];
	int fd;

	snprintf(path, sizeof(path), "%s/%u", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd/3", f->root, pid);
	snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)ino);
	if (symlink(target, path))
		perror("symlink");
	snprintf(path, sizeof(path), "%s/%u/comm", f->root, pid);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, comm, strlen(comm)) < 0 || write(fd, "\n", 1) < 0)
			perror("write");
		close(fd);
	}
}

static void setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->root, "/tmp/tcpwt-unit.XXXXXX");
	if (!mkdtemp(f->root))
		abort();
	f->cfg.top = 10;
	f->agg = agg__new();
	f->owners = owners__new(f->root, NULL, 0);
	f->t = tracker__new(&f->cfg, f->agg, f->owners);
}

static void teardown(struct fixture *f)
{
	char cmd[128];

	tracker__free(f->t);
	owners__free(f->owners);
	agg__free(f->agg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	if (system(cmd))
		perror("rm");
}

static struct tcpwt_event ev(uint8_t type, uint64_t id, uint64_t ts, uint16_t lport,
			     uint16_t rport)
{
	struct tcpwt_event e = { .type = type, .id = id, .ts_ns = ts, .family = AF_INET,
				 .netns = NETNS, .lport = lport, .rport = rport };

	e.laddr[0] = e.raddr[0] = 127;
	e.laddr[3] = e.raddr[3] = 1;
	return e;
}

static void owned(struct tcpwt_event *e, uint32_t pid, const char *comm)
{
	e->flags |= TCPWT_F_OWNER;
	e->tgid = pid;
	strncpy(e->comm, comm, sizeof(e->comm) - 1);
}

static void feed(struct fixture *f, const struct tcpwt_event *e)
{
	tracker__on_data(f->t, e, sizeof(*e));
}

/* The only group of a state, or NULL. */
static struct group *only(struct fixture *f, uint8_t state)
{
	struct group **v, *g = NULL;
	size_t n = agg__sorted(f->agg, &v);

	for (size_t i = 0; i < n; i++)
		if (v[i]->key.state == state)
			g = g ? NULL : v[i];
	free(v);
	return g;
}

static void snapshot(struct fixture *f, uint64_t now, struct open_sock *oldest, size_t *ncw,
		     size_t *ntw)
{
	tracker__snapshot(f->t, now, oldest, f->cfg.top, ncw, ntw);
}

TEST(tracker_cw_owner_at_close)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	setup(&f);
	feed(&f, (e = ev(TCPWT_EV_LISTEN, 0x100, 1, 8080, 0), owned(&e, 42, "srv"), &e));
	feed(&f, (e = ev(TCPWT_EV_CW_ENTER, 0x200, 10 * S, 8080, 40000), &e));
	e = ev(TCPWT_EV_CW_EXIT, 0x200, 10 * S + 250 * MS, 8080, 40000);
	owned(&e, 42, "srv");
	e.state = TCPWT_LAST_ACK;
	feed(&f, &e);
	g = only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "one CLOSE_WAIT group")) {
		ASSERT_EQ(g->key.pid, 42, "owner");
		ASSERT_STREQ(g->key.comm, "srv", "comm");
		ASSERT_EQ(g->key.role, ROLE_SERVER, "role from the listener");
		ASSERT_EQ(g->key.port, 8080, "local port");
		ASSERT_EQ(g->hist.count, 1, "completed");
		ASSERT_EQ(g->hist.min_ns, 250 * MS, "exact duration");
	}
	teardown(&f);
}

TEST(tracker_cw_owner_from_proc)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	setup(&f);
	fake_process(&f, 77, "leaky", 1234);
	e = ev(TCPWT_EV_CW_ENTER, 0x300, 1 * S, 45000, 5432);
	e.ino = 1234;
	feed(&f, &e);
	/* Reset by the peer in softirq: no owner in the event. */
	e = ev(TCPWT_EV_CW_EXIT, 0x300, 3 * S, 45000, 5432);
	e.state = TCPWT_CLOSE;
	feed(&f, &e);
	g = only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->key.pid, 77, "owner from /proc/<pid>/fd");
		ASSERT_STREQ(g->key.comm, "leaky", "comm from /proc/<pid>/comm");
		ASSERT_EQ(g->key.role, ROLE_CLIENT, "ephemeral local port: client");
		ASSERT_EQ(g->key.port, 5432, "remote port");
		ASSERT_EQ(g->hist.min_ns, 2 * S, "duration");
	}
	teardown(&f);
}

TEST(tracker_cw_open_in_accept_queue)
{
	struct fixture f;
	struct open_sock oldest[20];
	struct tcpwt_event e;
	size_t ncw, ntw;
	struct group *g;

	setup(&f);
	feed(&f, (e = ev(TCPWT_EV_LISTEN, 0x100, 1, 9000, 0), owned(&e, 5, "api"), &e));
	feed(&f, (e = ev(TCPWT_EV_CW_ENTER, 0x400, 1 * S, 9000, 50001), &e));
	feed(&f, (e = ev(TCPWT_EV_CW_ENTER, 0x500, 2 * S, 9000, 50002), &e));
	snapshot(&f, 5 * S, oldest, &ncw, &ntw);
	g = only(&f, TCPWT_CLOSE_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->key.pid, 5, "the listener's process");
		ASSERT_EQ(g->open, 2, "open");
		ASSERT_EQ(g->oldest_open_ns, 4 * S, "oldest age");
		ASSERT_FALSE(g->oldest_is_lower_bound, "measured");
	}
	if (ASSERT_EQ(ncw, 2, "oldest list")) {
		ASSERT_EQ(oldest[0].age_ns, 4 * S, "oldest first");
		ASSERT_EQ(oldest[1].age_ns, 3 * S, "then the next");
	}
	teardown(&f);
}

TEST(tracker_tw_expire)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0x600, 1 * S, 40001, 443);
	e.state = TCPWT_TIME_WAIT;
	owned(&e, 9, "curl");
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_EXPIRE, 0x600, 61 * S, 0, 0);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	g = only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->key.pid, 9, "closer");
		ASSERT_EQ(g->key.port, 443, "remote port");
		ASSERT_EQ(g->expired, 1, "expired");
		ASSERT_EQ(g->hist.min_ns, 60 * S, "60 s");
	}
	teardown(&f);
}

TEST(tracker_tw_fin_wait2_then_rearm_then_kill)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0x700, 10 * S, 40002, 443);
	e.state = TCPWT_FIN_WAIT2;
	owned(&e, 9, "curl");
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_REARM, 0x700, 10 * S + 300 * MS, 0, 0);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_KILL, 0x700, 12 * S, 0, 0);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	g = only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->killed, 1, "killed");
		ASSERT_EQ(g->hist.min_ns, 1700 * MS, "from the re-arm, not the birth");
	}
	teardown(&f);
}

TEST(tracker_tw_entry_from_timer)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group *g;

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0x800, 10 * S, 40003, 443);
	e.state = TCPWT_FIN_WAIT2;
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_EXPIRE, 0x800, 71 * S, 0, 0);
	e.state = TCPWT_TIME_WAIT;
	e.entry_ns = 10 * S + 500 * MS;
	feed(&f, &e);
	g = only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->hist.min_ns, 60500 * MS, "from the timer's entry");
		ASSERT_EQ(g->key.pid, 0, "closer unknown");
	}
	teardown(&f);
}

TEST(tracker_tw_never_time_wait)
{
	struct fixture f;
	struct tcpwt_event e;

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0x900, 1 * S, 40004, 443);
	e.state = TCPWT_FIN_WAIT2;
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_EXPIRE, 0x900, 61 * S, 0, 0);
	e.state = TCPWT_FIN_WAIT2;
	feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->fin_wait2_only, 1, "counted apart");
	{
		struct group **v;
		size_t n = agg__sorted(f.agg, &v);

		ASSERT_EQ(n, 0, "no TIME_WAIT duration recorded");
		free(v);
	}
	teardown(&f);
}

TEST(tracker_parked_cancel)
{
	struct fixture f;
	struct tcpwt_tw_slot slot = { .tw = 0xa00, .ts_ns = 5 * S, .substate = TCPWT_TIME_WAIT };
	struct tcpwt_event e;
	struct group *g;

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0xa00, 1 * S, 40005, 443);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	tracker__on_parked_cancel(f.t, &slot, 5 * S + 5 * MS);
	g = only(&f, TCPWT_TIME_WAIT);
	ASSERT_EQ(g ? g->hist.count : 0, 0, "too young to be a kill");
	tracker__on_parked_cancel(f.t, &slot, 5 * S + 50 * MS);
	g = only(&f, TCPWT_TIME_WAIT);
	if (ASSERT_TRUE(g, "group")) {
		ASSERT_EQ(g->killed, 1, "killed from the parked slot");
		ASSERT_EQ(g->hist.min_ns, 4 * S, "duration to the cancel");
	}
	/* The kernel's own late report of the same kill changes nothing. */
	e = ev(TCPWT_EV_TW_KILL, 0xa00, 5 * S, 0, 0);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	/* Address reused by a new timewait socket: a stale kill must not end it. */
	e = ev(TCPWT_EV_TW_BORN, 0xa00, 6 * S, 40006, 443);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_KILL, 0xa00, 5 * S, 0, 0);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	g = only(&f, TCPWT_TIME_WAIT);
	if (g) {
		ASSERT_EQ(g->killed, 1, "no double count");
		ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "the new socket is still tracked");
	}
	teardown(&f);
}

TEST(tracker_missed_end_and_bad_input)
{
	struct fixture f;
	struct tcpwt_event e;
	unsigned char junk[200];

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0xb00, 1 * S, 40007, 443);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->missed_ends, 1, "born twice");
	tracker__on_data(f.t, &e, 0);
	tracker__on_data(f.t, &e, 1);
	tracker__on_data(f.t, &e, sizeof(e) - 1);
	e.type = 99;
	feed(&f, &e);
	ASSERT_EQ(tracker__stats(f.t)->bad_events, 4, "malformed records counted");
	srand(5);
	for (int i = 0; i < 10000; i++) {
		size_t len = rand() % sizeof(junk);

		for (size_t k = 0; k < len; k++)
			junk[k] = rand();
		tracker__on_data(f.t, junk, len);
	}
	ASSERT_GE(tracker__stats(f.t)->bad_events, 4, "junk survived");
	teardown(&f);
}

TEST(tracker_filters)
{
	struct fixture f;
	struct tcpwt_event e;
	struct group **v;
	size_t n;

	setup(&f);
	f.cfg.npids = 1;
	f.cfg.pids[0] = 42;
	f.cfg.nports = 1;
	f.cfg.ports[0] = 8080;
	feed(&f, (e = ev(TCPWT_EV_LISTEN, 0x100, 1, 8080, 0), owned(&e, 42, "srv"), &e));
	feed(&f, (e = ev(TCPWT_EV_LISTEN, 0x101, 1, 9090, 0), owned(&e, 42, "srv"), &e));
	for (int i = 0; i < 3; i++) {
		uint16_t port = i == 2 ? 9090 : 8080;
		uint32_t pid = i == 1 ? 43 : 42;

		feed(&f, (e = ev(TCPWT_EV_CW_ENTER, 0x200 + i, 1 * S, port, 40000 + i), &e));
		e = ev(TCPWT_EV_CW_EXIT, 0x200 + i, 2 * S, port, 40000 + i);
		owned(&e, pid, "srv");
		feed(&f, &e);
	}
	n = agg__sorted(f.agg, &v);
	if (ASSERT_EQ(n, 1, "only pid 42 on port 8080"))
		ASSERT_TRUE(v[0]->key.pid == 42 && v[0]->key.port == 8080, "the followed one");
	free(v);
	teardown(&f);
}

TEST(tracker_reconcile_stale_time_wait)
{
	struct fixture f;
	struct tcpwt_event e;

	setup(&f);
	e = ev(TCPWT_EV_TW_BORN, 0xc00, 1 * S, 40008, 443);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	e = ev(TCPWT_EV_TW_BORN, 0xc01, 50 * S, 40009, 443);
	e.state = TCPWT_TIME_WAIT;
	feed(&f, &e);
	/* The first one's end was lost: 99 s is past any TIME_WAIT's life. */
	tracker__reconcile(f.t, 100 * S);
	ASSERT_EQ(tracker__stats(f.t)->reconciled, 1, "the stale one dropped");
	ASSERT_EQ(tracker__stats(f.t)->tracked_sockets, 1, "the live one kept");
	teardown(&f);
}
