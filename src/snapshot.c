// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reports' view of the tracker: owners and open sockets brought up to date,
 * with what the events did not say asked of sock_diag.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "sockdiag.h"
#include "tracker_int.h"

struct diag_match {
	struct tracker *t;
	/* tuple hash -> sock address; tw_diag_key() -> TIME_WAIT entry */
	struct table *want;
	uint64_t now_ns;
};

/* Sockets that entered CLOSE_WAIT in the accept queue: learn their inode now. */
static int on_cw_diag(const struct sd_sock *s, void *arg)
{
	struct diag_match *m = arg;
	struct tuple tp;
	uint64_t *id;
	struct cw_rec *r;

	tuple_of_diag(s, &tp);
	id = table__find(m->want, tuple_hash(&tp));
	r = id ? table__find(m->t->cw, *id) : NULL;
	if (r && s->ino)
		r->ino = s->ino;
	return 0;
}

/* Timewait sockets in TIME_WAIT substate: when they entered it, from the timer. */
static int on_tw_diag(const struct sd_sock *s, void *arg)
{
	struct diag_match *m = arg;
	struct tuple tp;
	uint64_t *entry, left_ns = (uint64_t)s->expires_ms * 1000000ULL;

	tuple_of_diag(s, &tp);
	entry = table__find(m->want, tw_diag_key((uint32_t)tuple_hash(&tp), tp.lport, tp.rport));
	if (entry && left_ns <= TW_LEN_NS)
		*entry = m->now_ns - (TW_LEN_NS - left_ns);
	return 0;
}

/* Each namespace once: sock_diag dumps are per namespace. */
static void dump_namespaces(struct table *netns_set, uint32_t states, sd_cb cb,
			    struct diag_match *m)
{
	size_t pos = 0;
	uint64_t ns;

	while (table__next(netns_set, &pos, &ns))
		sockdiag__dump((uint32_t)ns, states, 0, cb, m);
}

static void learn_cw_inodes(struct tracker *t)
{
	struct diag_match m = { .t = t };
	struct table *netns_set;
	struct cw_rec *r;
	size_t pos = 0;
	uint64_t id;
	bool created;

	m.want = table__new(sizeof(uint64_t));
	netns_set = table__new(1);
	if (!m.want || !netns_set)
		goto out;
	/* Seeded sockets came with their inode, or are in the accept queue. */
	while ((r = table__next(t->cw, &pos, &id))) {
		uint64_t *slot;

		if (r->ino)
			continue;
		slot = table__get(m.want, tuple_hash(&r->tp), &created);
		if (slot)
			*slot = id;
		table__get(netns_set, (uint64_t)r->tp.netns | 1ULL << 32, &created);
	}
	if (table__len(m.want))
		dump_namespaces(netns_set, SD_STATE(TCPWT_CLOSE_WAIT), on_cw_diag, &m);
out:
	table__free(m.want);
	table__free(netns_set);
}

/*
 * A timewait socket armed in FIN_WAIT2 moves to TIME_WAIT when the peer's
 * FIN comes, often without a timer event. Ask sock_diag which are in
 * TIME_WAIT now, and since when; the others are still FIN_WAIT2.
 */
static void settle_fin_wait2(struct tracker *t, uint64_t now_ns)
{
	struct diag_match m = { .t = t, .now_ns = now_ns };
	struct table *netns_set;
	struct tw_rec *r;
	size_t pos = 0;
	bool created;

	m.want = table__new(sizeof(uint64_t));
	netns_set = table__new(1);
	if (!m.want || !netns_set)
		goto out;
	while ((r = table__next(t->tw, &pos, NULL))) {
		if (r->tw_ns)
			continue;
		table__get(m.want, tw_diag_key(r->hash, r->lport, r->rport), &created);
		table__get(netns_set, (uint64_t)r->netns | 1ULL << 32, &created);
	}
	if (table__len(m.want))
		dump_namespaces(netns_set, SD_STATE(TCPWT_TIME_WAIT), on_tw_diag, &m);
	pos = 0;
	while ((r = table__next(t->tw, &pos, NULL))) {
		uint64_t *entry;

		if (r->tw_ns)
			continue;
		entry = table__find(m.want, tw_diag_key(r->hash, r->lport, r->rport));
		if (entry && *entry)
			r->tw_ns = tw_entry(*entry, r->born_ns, now_ns);
	}
out:
	table__free(m.want);
	table__free(netns_set);
}

/*
 * Keeps in v[0..*n) the (at most top) heaviest elements of size bytes seen,
 * heaviest first: e goes in if it outweighs the lightest kept.
 */
static void keep_top(void *v, size_t size, size_t top, size_t *n, const void *e,
		     uint64_t (*weight)(const void *))
{
	char *b = v;
	uint64_t w = weight(e);
	size_t i;

	if (!top || (*n == top && weight(b + (top - 1) * size) >= w))
		return;
	i = *n < top ? (*n)++ : top - 1;
	for (; i > 0 && weight(b + (i - 1) * size) < w; i--)
		memcpy(b + i * size, b + (i - 1) * size, size);
	memcpy(b + i * size, e, size);
}

static uint64_t open_sock_age(const void *s)
{
	return ((const struct open_sock *)s)->age_ns;
}

/* Keeps the top oldest of a state, oldest first. */
static void keep_oldest(struct open_sock *v, size_t top, size_t *n, const struct open_sock *s)
{
	keep_top(v, sizeof(*v), top, n, s, open_sock_age);
}

static void snapshot_cw(struct tracker *t, struct table *recs, uint64_t now,
			struct open_sock *oldest, size_t top, size_t *n)
{
	struct cw_rec *r;
	size_t pos = 0;

	while ((r = table__next(recs, &pos, NULL))) {
		struct open_sock s = { .state = TCPWT_CLOSE_WAIT, .role = r->role };
		struct group *g;
		uint64_t group;
		bool shared;

		if (r->gone)
			continue; /* not open: its exit was lost, or is on its way */
		resolve_owner(t, r, r->ino, &s.pid, s.comm, &shared);
		group = group_for(t, TCPWT_CLOSE_WAIT, r->role, &r->tp, s.pid, s.comm);
		if (!group)
			continue;
		s.age_ns = now > r->enter_ns ? now - r->enter_ns : 0;
		/* Adopted while tracing: not from before it, its age a lower bound. */
		s.lower_bound = r->seeded;
		s.seeded = r->seeded && !r->adopted;
		if (r->estimate_ns && r->estimate_ns < now && now - r->estimate_ns > s.age_ns) {
			s.age_ns = now - r->estimate_ns;
			s.estimated = true;
		}
		agg__add_open(t->agg, group, s.age_ns, s.seeded, s.lower_bound, s.estimated);
		g = agg__find(t->agg, group);
		if (g && shared)
			g->shared = true;
		s.family = r->tp.family;
		s.port = service_port(r->role, &r->tp);
		s.lport = r->tp.lport;
		s.rport = r->tp.rport;
		s.netns = r->tp.netns;
		memcpy(s.laddr, r->tp.laddr, sizeof(s.laddr));
		memcpy(s.raddr, r->tp.raddr, sizeof(s.raddr));
		keep_oldest(oldest, top, n, &s);
	}
}

/* Client timewait sockets by owner and destination: the ports they hold. */
struct dest_rec {
	struct tw_dest d;
	uint64_t group;
	uint16_t laddr; /* its id */
};

/* Is destination val the one of timewait socket arg? */
static bool dest_is(const void *val, const void *arg)
{
	const struct dest_rec *dr = val;
	const struct tw_rec *r = arg;

	return dr->group == r->group && dr->laddr == r->laddr && dr->d.netns == r->netns &&
	       dr->d.rport == r->rport && dr->d.family == r->family &&
	       !memcmp(dr->d.raddr, r->raddr, sizeof(r->raddr));
}

/* Word-wise: a byte-wise hash of the 40 bytes took ~50 ns a socket. */
static uint64_t dest_id(const struct tw_rec *r)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t a, b, h;

	memcpy(&a, r->raddr, sizeof(a));
	memcpy(&b, r->raddr + 8, sizeof(b));
	h = (r->group ^ ((uint64_t)r->netns << 32 | (uint32_t)r->rport << 16 | r->family)) * k;
	h = (h ^ r->laddr) * k;
	h = (h ^ a) * k;
	h = (h ^ b) * k;
	return h ^ h >> 29;
}

/* Copies the local address the pool names id to; false when not kept. */
static bool copy_laddr(const struct tracker *t, uint16_t id, uint8_t *to)
{
	const uint8_t *a = addr_pool__addr(t->laddrs, id);

	if (a)
		memcpy(to, a, 16);
	return a;
}

static void count_dest(const struct tracker *t, struct table *dests, const struct group *g,
		       const struct tw_rec *r)
{
	struct dest_rec *dr;
	uint64_t id;
	bool created;

	dr = table__get_composite(dests, dest_id(r), dest_is, r, &id, &created);
	if (!dr)
		return;
	if (created) {
		dr->group = r->group;
		dr->laddr = r->laddr;
		dr->d.no_laddr = !copy_laddr(t, r->laddr, dr->d.laddr);
		dr->d.pid = g->key.pid;
		memcpy(dr->d.comm, g->key.comm, sizeof(dr->d.comm));
		dr->d.family = r->family;
		dr->d.rport = r->rport;
		dr->d.netns = r->netns;
		memcpy(dr->d.raddr, r->raddr, sizeof(dr->d.raddr));
	}
	dr->d.sockets++;
}

static bool is_loopback(uint8_t family, const uint8_t *a)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, v6_lo, 16) || (!memcmp(a, v4_mapped, 12) && a[12] == 127);
}

static uint64_t dest_sockets(const void *d)
{
	return ((const struct tw_dest *)d)->sockets;
}

/* The top destinations of dests in t->dests, most first, with their namespace's settings. */
static void keep_top_dests(struct tracker *t, struct table *dests, size_t top)
{
	struct tw_dest *v = t->n_dests_cap >= top ? t->dests : realloc(t->dests, top * sizeof(*v));
	const struct dest_rec *dr;
	size_t n = 0, pos = 0;

	t->n_dests = 0;
	if (!dests || !v)
		return;
	t->dests = v;
	t->n_dests_cap = top;
	while ((dr = table__next(dests, &pos, NULL)))
		keep_top(v, sizeof(*v), top, &n, &dr->d, dest_sockets);
	/* Each namespace's own settings, read once; the list has few namespaces. */
	for (size_t i = 0; i < n; i++) {
		struct sd_port_sysctls ps;
		size_t j;

		for (j = 0; j < i && v[j].netns != v[i].netns; j++)
			;
		if (j < i) {
			v[i].ephemeral_ports = v[j].ephemeral_ports;
			v[i].tw_reuse = v[j].tw_reuse;
		} else {
			sockdiag__port_sysctls(v[i].netns, &ps);
			v[i].ephemeral_ports = ps.port_hi ? ps.port_hi - ps.port_lo + 1u : 0;
			v[i].tw_reuse = (int8_t)ps.tw_reuse;
		}
		/* 2: for loopback traffic only (a loopback address at either end). */
		v[i].tw_reusable = v[i].tw_reuse == 1 ||
				   (v[i].tw_reuse == 2 && is_loopback(v[i].family, v[i].raddr));
	}
	t->n_dests = n;
}

static void snapshot_tw(struct tracker *t, struct table *recs, struct table *dests,
			uint64_t now, struct open_sock *oldest, size_t top, size_t *n)
{
	const struct group *g = NULL;
	uint64_t last_group = 0;
	struct tw_rec *r;
	size_t pos = 0;

	while ((r = table__next(recs, &pos, NULL))) {
		struct open_sock s = { .state = TCPWT_TIME_WAIT,
				       .seeded = r->origin == TW_SEEDED };

		/* Consecutive sockets of one group share a look-up. */
		if (r->group != last_group) {
			last_group = r->group;
			g = agg__find(t->agg, r->group);
		}
		if (!g)
			continue;
		/* A FIN_WAIT2 timewait socket holds its port too. */
		if (dests && g->key.role == ROLE_CLIENT)
			count_dest(t, dests, g, r);
		if (!r->tw_ns)
			continue; /* still FIN_WAIT2 */
		s.age_ns = now > r->tw_ns ? now - r->tw_ns : 0;
		agg__add_open(t->agg, r->group, s.age_ns, s.seeded, false, false);
		s.role = g->key.role;
		s.port = g->key.port;
		s.pid = g->key.pid;
		memcpy(s.comm, g->key.comm, sizeof(s.comm));
		s.family = r->family;
		s.no_laddr = !copy_laddr(t, r->laddr, s.laddr);
		s.lport = r->lport;
		s.rport = r->rport;
		s.netns = r->netns;
		memcpy(s.raddr, r->raddr, sizeof(s.raddr));
		keep_oldest(oldest, top, n, &s);
	}
}

void tracker__snapshot(struct tracker *t, uint64_t now_ns, struct open_sock *oldest,
		       size_t top, size_t *n_cw, size_t *n_tw)
{
	struct table *dests = top ? table__new(sizeof(struct dest_rec)) : NULL;

	tracker__flush(t);
	*n_cw = *n_tw = 0;
	owners__new_generation(t->owners);
	learn_cw_inodes(t);
	settle_fin_wait2(t, now_ns);
	agg__reset_open(t->agg);
	snapshot_cw(t, t->cw, now_ns, oldest, top, n_cw);
	snapshot_cw(t, t->cw_seeded, now_ns, oldest, top, n_cw);
	snapshot_tw(t, t->tw, dests, now_ns, oldest + top, top, n_tw);
	snapshot_tw(t, t->tw_seeded, dests, now_ns, oldest + top, top, n_tw);
	/* As many as destinations (a crawler's): freed at once, the top kept. */
	keep_top_dests(t, dests, top);
	table__free(dests);
}

const struct tw_dest *tracker__tw_destinations(const struct tracker *t, size_t *n)
{
	*n = t->n_dests;
	return t->dests;
}

/* ---- reconciliation ---- */

#define RECONCILE_MIN_AGE_NS (2 * 1000000000ULL)
/* TIME_WAIT lasts TCP_TIMEWAIT_LEN, plus the timer wheel's slack. */
#define TW_MAX_LIFE_NS (TW_LEN_NS + 15 * 1000000000ULL)
/*
 * Before it, a timewait socket born in FIN_WAIT2 waits for the peer's FIN
 * at most its FIN_WAIT2 timeout: the kernel only makes one when that is at
 * most TCP_TIMEWAIT_LEN (the full socket waits out the rest).
 */
#define FW2_MAX_NS TW_LEN_NS

void key_push(struct key_list *l, uint64_t k)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = k;
}

static size_t drop_keys(struct table *t, struct key_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += table__delete(t, l->v[i]);
	l->n = 0;
	return n;
}

static size_t reconcile_tw(struct tracker *t, struct table *recs, uint64_t now)
{
	struct key_list stale = {};
	struct tw_rec *r;
	size_t pos = 0, n;
	uint64_t key;

	while ((r = table__next(recs, &pos, &key)))
		if (now > (r->tw_ns ? r->tw_ns : r->born_ns + FW2_MAX_NS) + TW_MAX_LIFE_NS)
			key_push(&stale, key);
	for (size_t i = 0; i < stale.n; i++)
		tw_drop(t, recs, stale.v[i]);
	n = stale.n;
	free(stale.v);
	return n;
}

static int on_cw_exists(const struct sd_sock *s, void *arg)
{
	struct diag_match *m = arg;
	struct tuple tp;
	uint64_t *found;

	tuple_of_diag(s, &tp);
	found = table__find(m->want, tuple_hash(&tp));
	if (found)
		*found = 1;
	return 0;
}

/*
 * CLOSE_WAIT sockets sock_diag no longer lists: their exit was lost, or is
 * still on its way (the listing can overtake the ring buffer). Marked gone
 * the first time; dropped, and counted, at the next reconciliation unless
 * their exit came in between.
 */
static size_t reconcile_cw(struct tracker *t, struct table *recs, uint64_t now)
{
	struct diag_match m = { .t = t, .now_ns = now };
	struct key_list drop = {};
	struct table *netns_set;
	struct cw_rec *r;
	size_t pos = 0, n;
	uint64_t key, *found;
	bool created;

	m.want = table__new(sizeof(uint64_t));
	netns_set = table__new(1);
	while ((r = table__next(recs, &pos, &key))) {
		if (r->gone) {
			key_push(&drop, key);
			continue;
		}
		if (!m.want || !netns_set || now < r->enter_ns + RECONCILE_MIN_AGE_NS)
			continue;
		table__get(m.want, tuple_hash(&r->tp), &created);
		table__get(netns_set, (uint64_t)r->tp.netns | 1ULL << 32, &created);
	}
	n = drop_keys(recs, &drop);
	if (m.want && netns_set && table__len(m.want)) {
		dump_namespaces(netns_set, SD_STATE(TCPWT_CLOSE_WAIT), on_cw_exists, &m);
		pos = 0;
		while ((r = table__next(recs, &pos, NULL))) {
			found = table__find(m.want, tuple_hash(&r->tp));
			if (found && !*found)
				r->gone = true;
		}
	}
	free(drop.v);
	table__free(m.want);
	table__free(netns_set);
	return n;
}

/*
 * A listed socket in CLOSE_WAIT is adopted once the ACK its peer's FIN
 * carried came this long ago: its entry event, had there been one, has
 * been read by then (reports drain the ring buffer first).
 */
#define ADOPT_MIN_AGE_MS 1000
/* Listings at most this often, and taking at most 1/ADOPT_COST_SHARE of the time. */
#define ADOPT_EVERY_NS (10 * 1000000000ULL)
#define ADOPT_COST_SHARE 100

struct cw_listing {
	struct tracker *t;
	struct table *known; /* tuple hashes of the CLOSE_WAIT sockets tracked by address */
	uint64_t now_ns;
};

static int on_cw_listed(const struct sd_sock *s, void *arg)
{
	struct cw_listing *l = arg;
	struct tuple tp;

	if (s->state != TCPWT_CLOSE_WAIT || !s->cookie || s->last_ack_recv_ms < ADOPT_MIN_AGE_MS ||
	    table__find(l->t->cw_seeded, s->cookie))
		return 0;
	tuple_of_diag(s, &tp);
	if (table__find(l->known, tuple_hash(&tp)))
		return 0;
	/* The ACK came with the FIN or after: in CLOSE_WAIT at least since. */
	adopt_cw(l->t, s, l->now_ns, (uint64_t)s->last_ack_recv_ms * 1000000ULL);
	return 0;
}

static int sockdiag_lister(uint32_t states, int family, sd_cb cb, void *arg)
{
	return sockdiag__dump(0, states, family, cb, arg);
}

/* The clock of bpf_ktime_get_ns(), which stamps the events. */
uint64_t tracker__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A listing begun at t0 for now_ns is done: the next one is due at *next. */
static void listed_at(uint64_t *next, uint64_t now_ns, uint64_t t0)
{
	uint64_t cost_ns = tracker__now_ns() - t0;

	*next = now_ns + (cost_ns * ADOPT_COST_SHARE > ADOPT_EVERY_NS ?
				  cost_ns * ADOPT_COST_SHARE : ADOPT_EVERY_NS);
}

void tracker__adopt_cw(struct tracker *t, uint64_t now_ns, sd_lister list)
{
	struct cw_listing l = { .t = t, .now_ns = now_ns };
	const struct cw_rec *r;
	size_t pos = 0;
	uint64_t t0;
	bool created;

	tracker__flush(t);
	if (now_ns < t->next_adopt_ns)
		return;
	t0 = tracker__now_ns();
	l.known = table__new(1);
	if (!l.known)
		return;
	while ((r = table__next(t->cw, &pos, NULL)))
		table__get(l.known, tuple_hash(&r->tp), &created);
	(list ? list : sockdiag_lister)(SD_STATE(TCPWT_CLOSE_WAIT), t->cfg->family, on_cw_listed, &l);
	table__free(l.known);
	listed_at(&t->next_adopt_ns, now_ns, t0);
}

struct tw_listing {
	struct tracker *t;
	struct table *overdue; /* orphan_key()s of closes whose birth is overdue */
	/* tw_diag_key()s of tracked timewait sockets: with those ports, or all */
	struct table *known;
	bool any; /* events were lost: any unknown socket may be a missed birth */
	uint64_t now_ns;
};

static int on_tw_listed(const struct sd_sock *s, void *arg)
{
	struct tw_listing *l = arg;
	uint64_t left_ns = (uint64_t)s->expires_ms * 1000000ULL;
	struct tuple tp;

	/*
	 * Its timer armed (in TIME_WAIT) this long ago: a birth, had it been
	 * seen, has been read by then (reports drain the ring buffer first).
	 */
	if (s->state != TCPWT_TIME_WAIT || !s->cookie ||
	    left_ns + ADOPT_MIN_AGE_MS * 1000000ULL > TW_LEN_NS ||
	    l->now_ns < TW_LEN_NS - left_ns ||
	    (!l->any && !table__find(l->overdue, orphan_key(s->family, s->lport, s->rport))))
		return 0;
	tuple_of_diag(s, &tp);
	if (!table__find(l->known, tw_diag_key((uint32_t)tuple_hash(&tp), tp.lport, tp.rport)))
		adopt_tw(l->t, s, l->now_ns - (TW_LEN_NS - left_ns), l->now_ns, l->any);
	return 0;
}

/*
 * A timewait birth the tracker missed leaves its close waiting (or orphaned),
 * unless events were lost, which can take the close with it: only then are
 * the host's timewait sockets listed, and only those with the ports of such
 * a close looked at, or, after a loss, all. A birth a loss took was stamped
 * before the loss was seen, and is adopted once 1 s old: so the listing
 * after a loss waits until the latest one was seen 1 s before, and covers
 * them all at once (at a million timewait sockets a listing takes about a
 * second, and the next one waits 100 times as long). Losses that go on are
 * covered up to 1 s before each listing, one at least every 10 s.
 */
void tracker__adopt_tw(struct tracker *t, uint64_t now_ns, uint64_t lost, bool last,
		       sd_lister list)
{
	const uint64_t min_age = ADOPT_MIN_AGE_MS * 1000000ULL;
	struct tw_listing l = { .t = t, .now_ns = now_ns };
	const struct tw_rec *r;
	size_t pos = 0;
	uint64_t t0;
	bool created;

	tracker__flush(t);
	if (lost > t->lost_listed) {
		t->lost_listed = lost;
		t->lost_last_ns = now_ns;
		if (!t->lost_ns)
			t->lost_ns = now_ns;
	}
	if (now_ns < t->next_adopt_tw_ns)
		return;
	/* Closes overdue wait for it too: one listing for both, soon. */
	if (t->lost_ns && !last && now_ns < t->lost_last_ns + min_age &&
	    now_ns < t->lost_ns + ADOPT_EVERY_NS)
		return;
	t0 = tracker__now_ns();
	l.overdue = table__new(1);
	l.known = table__new(1);
	if (!l.overdue || !l.known)
		goto out;
	closers_overdue(t, now_ns, min_age, l.overdue);
	l.any = t->lost_ns;
	if (!l.any && !table__len(l.overdue))
		goto out;
	/* Births since 1 s before now are left to the next listing. */
	if (l.any)
		t->lost_ns = now_ns >= t->lost_last_ns + min_age ? 0 : t->lost_last_ns;
	while ((r = table__next(t->tw, &pos, NULL)))
		if (l.any || table__find(l.overdue, orphan_key(r->family, r->lport, r->rport)))
			table__get(l.known, tw_diag_key(r->hash, r->lport, r->rport), &created);
	(list ? list : sockdiag_lister)(SD_STATE(TCPWT_TIME_WAIT), t->cfg->family, on_tw_listed, &l);
	listed_at(&t->next_adopt_tw_ns, now_ns, t0);
out:
	table__free(l.overdue);
	table__free(l.known);
}

/*
 * Drops the records of table in whose time, a uint64_t at offset ts_off in
 * each, is more than max_ns before now: forgotten timewait addresses,
 * closers whose birth has had its time, orphans and unknown re-arms whose
 * end has.
 */
static void purge_older(struct table *in, size_t ts_off, uint64_t now, uint64_t max_ns)
{
	struct key_list old = {};
	const char *rec;
	size_t pos = 0;
	uint64_t key, ts;

	while ((rec = table__next(in, &pos, &key))) {
		memcpy(&ts, rec + ts_off, sizeof(ts));
		if (now > ts + max_ns)
			key_push(&old, key);
	}
	drop_keys(in, &old);
	free(old.v);
}

void tracker__reconcile(struct tracker *t, uint64_t now_ns)
{
	tracker__flush(t);
	purge_older(t->tw_forget, 0, now_ns, FORGET_NS);
	purge_older(t->tw_rearmed, offsetof(struct rearm_rec, ts_ns), now_ns, FORGET_NS);
	purge_older(t->closers, offsetof(struct closer_rec, ts_ns), now_ns, CLOSER_STALE_NS);
	purge_older(t->orphans, offsetof(struct closer_rec, ts_ns), now_ns, FORGET_NS);
	t->stats.reconciled += reconcile_tw(t, t->tw, now_ns) + reconcile_tw(t, t->tw_seeded, now_ns);
	t->stats.reconciled += reconcile_cw(t, t->cw, now_ns) + reconcile_cw(t, t->cw_seeded, now_ns);
}
