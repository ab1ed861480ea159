// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-socket state: turns the kernel's entry and exit events into durations
 * charged to groups, and knows which sockets are still waiting.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "sockdiag.h"
#include "table.h"
#include "tracker.h"
#include "tracker_int.h"

/* Ours, to tell a client's port by: the kernel's default when it cannot be read. */
static void read_port_range(struct tracker *t)
{
	struct sd_port_sysctls ps;

	sockdiag__port_sysctls(sockdiag__own_netns(), &ps);
	t->eph_lo = ps.port_hi ? ps.port_lo : 32768;
	t->eph_hi = ps.port_hi ? ps.port_hi : 60999;
}

struct tracker *tracker__new(const struct config *cfg, struct agg *agg,
			     struct owners *owners)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = cfg;
	t->agg = agg;
	t->owners = owners;
	t->cw = table__new(sizeof(struct cw_rec));
	t->tw = table__new(sizeof(struct tw_rec));
	t->listeners = table__new(sizeof(struct listener));
	t->cw_seeded = table__new(sizeof(struct cw_rec));
	t->tw_seeded = table__new(sizeof(struct tw_rec));
	t->tw_forget = table__new(sizeof(uint64_t));
	t->tw_rearmed = table__new(sizeof(struct rearm_rec));
	t->closers = table__new(sizeof(struct closer_rec));
	t->orphans = table__new(sizeof(struct closer_rec));
	t->laddrs = addr_pool__new();
	if (!t->cw || !t->tw || !t->listeners || !t->cw_seeded || !t->tw_seeded ||
	    !t->tw_forget || !t->tw_rearmed || !t->closers || !t->orphans || !t->laddrs) {
		tracker__free(t);
		return NULL;
	}
	read_port_range(t);
	return t;
}

void tracker__free(struct tracker *t)
{
	if (!t)
		return;
	table__free(t->cw);
	table__free(t->tw);
	table__free(t->listeners);
	table__free(t->cw_seeded);
	table__free(t->tw_seeded);
	free(t->dests);
	table__free(t->tw_forget);
	table__free(t->tw_rearmed);
	table__free(t->closers);
	table__free(t->orphans);
	addr_pool__free(t->laddrs);
	free(t);
}

static uint64_t listener_key(uint32_t netns, uint16_t port)
{
	uint32_t k[2] = { netns, port };

	return table__hash(k, sizeof(k));
}

void tracker__add_listener(struct tracker *t, uint32_t netns, uint16_t port,
			   uint64_t ino)
{
	struct listener *l;
	bool created;

	tracker__flush(t);
	l = table__get(t->listeners, listener_key(netns, port), &created);
	if (l && created)
		l->ino = ino;
}

static void on_listen(struct tracker *t, const struct tcpwt_event *e)
{
	struct listener *l;
	bool created;

	/* Listeners stay known after they close: their accepted sockets live on. */
	l = table__get(t->listeners, listener_key(e->netns, e->lport), &created);
	if (!l)
		return;
	l->ino = e->ino;
	if (e->flags & TCPWT_F_OWNER) {
		l->pid = e->tgid;
		memcpy(l->comm, e->comm, sizeof(l->comm));
	}
}

static bool ephemeral(const struct tracker *t, uint16_t port)
{
	return port >= t->eph_lo && port <= t->eph_hi;
}

/*
 * A socket whose local port has a listener came from accept(); one whose
 * remote port has a listener in its namespace (loopback, or a host calling
 * out to the service it also runs) is a client of it. Port ranges, last:
 * a namespace may have its own ephemeral range.
 */
static uint8_t classify(const struct tracker *t, const struct tuple *tp)
{
	bool eph_l, eph_r;

	if (table__find(t->listeners, listener_key(tp->netns, tp->lport)))
		return ROLE_SERVER;
	if (table__find(t->listeners, listener_key(tp->netns, tp->rport)))
		return ROLE_CLIENT;
	eph_l = ephemeral(t, tp->lport);
	eph_r = ephemeral(t, tp->rport);
	if (eph_l != eph_r)
		return eph_l ? ROLE_CLIENT : ROLE_SERVER;
	return tp->lport <= tp->rport ? ROLE_SERVER : ROLE_CLIENT;
}

uint16_t service_port(uint8_t role, const struct tuple *tp)
{
	return role == ROLE_SERVER ? tp->lport : tp->rport;
}

static void tuple_of(const struct tcpwt_event *e, struct tuple *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->netns = e->netns;
	tp->family = e->family;
	tp->lport = e->lport;
	tp->rport = e->rport;
	memcpy(tp->laddr, e->laddr, sizeof(tp->laddr));
	memcpy(tp->raddr, e->raddr, sizeof(tp->raddr));
}

uint64_t tuple_hash(const struct tuple *tp)
{
	return table__hash(tp, sizeof(*tp));
}

uint64_t tw_diag_key(uint32_t hash, uint16_t lport, uint16_t rport)
{
	return (uint64_t)hash << 32 | (uint32_t)lport << 16 | rport;
}

static void tw_rec_set_tuple(struct tracker *t, struct tw_rec *r, const struct tuple *tp)
{
	addr_pool__put(t->laddrs, r->laddr);
	r->laddr = addr_pool__get(t->laddrs, tp->family, tp->laddr);
	r->hash = (uint32_t)tuple_hash(tp);
	r->netns = tp->netns;
	r->lport = tp->lport;
	r->rport = tp->rport;
	r->family = tp->family;
	memcpy(r->raddr, tp->raddr, sizeof(r->raddr));
}

/* Would a socket of this role, tuple and owner be reported? */
static bool group_followed(const struct tracker *t, uint8_t role, const struct tuple *tp,
			   uint32_t pid)
{
	return cli__port_followed(t->cfg, service_port(role, tp)) &&
	       cli__pid_followed(t->cfg, pid) &&
	       (!t->cfg->family || t->cfg->family == tp->family);
}

/* 0 when the group is filtered out (or on ENOMEM). */
uint64_t group_for(struct tracker *t, uint8_t state, uint8_t role,
			  const struct tuple *tp, uint32_t pid, const char *comm)
{
	struct group_key k = { .state = state, .role = role, .pid = pid };
	bool created;
	uint64_t id;

	if (!group_followed(t, role, tp, pid))
		return 0;
	k.port = service_port(role, tp);
	strncpy(k.comm, comm, sizeof(k.comm) - 1);
	id = agg__group(t->agg, &k, &created);
	/* Read now: clients are often gone by report time. */
	if (created && pid) {
		struct group *g = agg__find(t->agg, id);

		if (g)
			g->cmdline = owners__cmdline(t->owners, pid);
	}
	return id;
}

/* ---- CLOSE_WAIT ---- */

static void on_cw_enter(struct tracker *t, const struct tcpwt_event *e)
{
	struct cw_rec *r;
	bool created;

	r = table__get(t->cw, e->id, &created);
	if (!r)
		return;
	if (!created) {
		/* The socket before at this address: its exit was lost. */
		if (r->gone)
			t->stats.reconciled++;
		else
			t->stats.missed_ends++;
		memset(r, 0, sizeof(*r));
	}
	r->enter_ns = e->ts_ns;
	r->ino = e->ino;
	tuple_of(e, &r->tp);
	r->role = classify(t, &r->tp);
	if (e->flags & TCPWT_F_OWNER) {
		r->pid = e->tgid;
		memcpy(r->comm, e->comm, sizeof(r->comm));
	}
}

/*
 * Who holds the socket: the process with its file descriptor; while it
 * waits in the accept queue, the listener's process.
 */
void resolve_owner(struct tracker *t, const struct cw_rec *r, uint64_t ino,
			  uint32_t *pid, char *comm, bool *shared)
{
	struct owner_info info;
	struct listener *l;

	*shared = false;
	if (ino && owners__lookup(t->owners, ino, &info) == 0) {
		*pid = info.pid;
		memcpy(comm, info.comm, TCPWT_COMM_LEN);
		*shared = info.holders > 1;
		return;
	}
	if (r->pid) {
		*pid = r->pid;
		memcpy(comm, r->comm, TCPWT_COMM_LEN);
		return;
	}
	l = ino ? NULL : table__find(t->listeners, listener_key(r->tp.netns, r->tp.lport));
	if (l && l->pid) {
		*pid = l->pid;
		memcpy(comm, l->comm, TCPWT_COMM_LEN);
		return;
	}
	if (l && l->ino && owners__lookup(t->owners, l->ino, &info) == 0) {
		*pid = info.pid;
		memcpy(comm, info.comm, TCPWT_COMM_LEN);
		return;
	}
	*pid = 0;
	memset(comm, 0, TCPWT_COMM_LEN);
}

/* A socket by its address, else (listed at start-up) by its cookie. */
static void *find_rec(struct table *by_addr, struct table *by_cookie, uint64_t id,
		      uint64_t cookie, struct table **in, uint64_t *key)
{
	void *r = table__find(by_addr, id);

	*in = by_addr;
	*key = id;
	if (r || !cookie)
		return r;
	*in = by_cookie;
	*key = cookie;
	return table__find(by_cookie, cookie);
}

/*
 * The exit of a socket whose entry into CLOSE_WAIT the tracer never saw (a
 * full ring buffer dropped it, or its hit reached no program; the kernel
 * side filters both alike, by family and port, so a filter is not why):
 * counted, unless the report would not have shown the socket anyway (with
 * -p, only a socket whose owner is known and followed counts).
 */
static void unseen_cw_exit(struct tracker *t, const struct tcpwt_event *e)
{
	char comm[TCPWT_COMM_LEN] = "";
	struct cw_rec r = { 0 };
	uint32_t pid = 0;
	uint64_t group;
	bool shared;

	tuple_of(e, &r.tp);
	r.role = classify(t, &r.tp);
	if (e->flags & TCPWT_F_OWNER) {
		pid = e->tgid;
		memcpy(comm, e->comm, sizeof(comm));
	} else {
		resolve_owner(t, &r, e->ino, &pid, comm, &shared);
	}
	if (!group_followed(t, r.role, &r.tp, pid))
		return;
	t->stats.cw_unseen_entries++;
	/*
	 * Measured all the same from when its peer's last ACK came (the FIN's,
	 * unless more came while it sent in CLOSE_WAIT: then at least that
	 * long), if that was while tracing: not a socket from before.
	 */
	if (!e->entry_ns || e->entry_ns > e->ts_ns || e->entry_ns < t->start_ns)
		return;
	group = group_for(t, TCPWT_CLOSE_WAIT, r.role, &r.tp, pid, comm);
	if (!group)
		return;
	agg__complete(t->agg, group, e->ts_ns - e->entry_ns, TW_END_NONE);
	t->stats.cw_unseen_recovered++;
}

static void on_cw_exit(struct tracker *t, const struct tcpwt_event *e)
{
	char comm[TCPWT_COMM_LEN];
	struct table *in;
	struct cw_rec *r;
	uint64_t group, key;
	uint32_t pid;
	bool shared;

	r = find_rec(t->cw, t->cw_seeded, e->id, e->cookie, &in, &key);
	if (r && !r->seeded) {
		struct tuple tp;

		/*
		 * Another connection's socket at this address: an earlier one,
		 * whose exit was lost, and this one's entry with it (a full
		 * ring buffer drops both). Not to be measured as one; a listing
		 * may have adopted this one.
		 */
		tuple_of(e, &tp);
		if (memcmp(&tp, &r->tp, sizeof(tp))) {
			t->stats.missed_ends++;
			table__delete(in, key);
			in = t->cw_seeded;
			key = e->cookie;
			r = e->cookie ? table__find(in, key) : NULL;
		}
	}
	if (!r || r->adopted) {
		/* Entry missed while tracing (adopted or not): counted, not measured. */
		unseen_cw_exit(t, e);
		if (r)
			table__delete(in, key);
		return;
	}
	if (r->seeded) {
		/* Its entry was never seen: no duration to measure. */
		t->stats.seeded_ended++;
		table__delete(in, key);
		return;
	}
	if (e->flags & TCPWT_F_OWNER) {
		/* close()/shutdown() by the holder: the owner at last. */
		pid = e->tgid;
		memcpy(comm, e->comm, sizeof(comm));
	} else {
		resolve_owner(t, r, e->ino ? e->ino : r->ino, &pid, comm, &shared);
	}
	group = group_for(t, TCPWT_CLOSE_WAIT, r->role, &r->tp, pid, comm);
	if (group && e->ts_ns >= r->enter_ns)
		agg__complete(t->agg, group, e->ts_ns - r->enter_ns, TW_END_NONE);
	table__delete(in, key);
}

/* ---- TIME_WAIT ---- */

static bool tw_end(struct tracker *t, const struct tcpwt_tw_slot *s, enum tw_end how);

/*
 * The end of the timewait socket at this address, when it comes (even more
 * than once), is not news. Until a new socket is born there, or for
 * FORGET_NS.
 */
static void forget_tw(struct tracker *t, uint64_t id, uint64_t ts_ns)
{
	uint64_t *when;
	bool created;

	when = table__get(t->tw_forget, id, &created);
	if (when)
		*when = ts_ns;
}

uint64_t orphan_key(uint8_t family, uint16_t lport, uint16_t rport)
{
	uint32_t k[2] = { family, (uint32_t)lport << 16 | rport };

	return table__hash(k, sizeof(k));
}

/*
 * A closer whose timewait birth never came, though its socket is gone (its
 * address is another's now): the birth reached no program or was dropped.
 * Its timewait socket's end names no owner but the same family and ports.
 */
static void orphan_closer(struct tracker *t, const struct closer_rec *c)
{
	uint64_t key = orphan_key(c->family, c->lport, c->rport);
	struct closer_rec *o;
	bool created;

	if (table__len(t->orphans) >= t->cfg->closers_max && !table__find(t->orphans, key))
		return;
	o = table__get(t->orphans, key, &created);
	if (o)
		*o = *c;
}

/*
 * A closer of those ports before ts_ns still waiting for its birth: its
 * socket's address not taken again yet. Looked for only among a few.
 */
#define CLOSERS_SCANNED 4096

static bool pending_closer(struct tracker *t, uint8_t family, uint16_t lport, uint16_t rport,
			   uint64_t ts_ns, struct closer_rec *out, uint64_t *out_key)
{
	const struct closer_rec *c, *best = NULL;
	size_t pos = 0;
	uint64_t key;

	if (table__len(t->closers) > CLOSERS_SCANNED)
		return false;
	while ((c = table__next(t->closers, &pos, &key)))
		if (c->family == family && c->lport == lport && c->rport == rport &&
		    c->ts_ns <= ts_ns && (!best || c->ts_ns > best->ts_ns)) {
			best = c;
			*out_key = key;
		}
	if (best)
		*out = *best;
	return best;
}

/*
 * The owner of an unseen birth's timewait socket ending at ts_ns: the close
 * of the same family and ports before it, orphaned or still pending. Taken.
 */
static bool orphan_owner(struct tracker *t, uint8_t family, uint16_t lport, uint16_t rport,
			 uint64_t ts_ns, uint32_t *pid, char *comm)
{
	uint64_t key = orphan_key(family, lport, rport);
	struct closer_rec *o = table__find(t->orphans, key), c;

	if (o && o->ts_ns <= ts_ns) {
		c = *o;
		table__delete(t->orphans, key);
	} else if (pending_closer(t, family, lport, rport, ts_ns, &c, &key)) {
		table__delete(t->closers, key);
	} else {
		return false;
	}
	*pid = c.tgid;
	memcpy(comm, c.comm, TCPWT_COMM_LEN);
	return true;
}

/*
 * Its namespace's deletion ended every timewait socket there (and a
 * report of it still parked, as a kill, is not news).
 */
static bool netns_gone(const struct tracker *t, uint32_t netns)
{
	for (size_t i = 0; i < GONE_NETNS; i++)
		if (netns && t->gone_netns[i] == netns)
			return true;
	return false;
}

/*
 * An end of a timewait socket the tracker does not know: one whose birth it
 * never saw (it reached no program, or its namespace was out of reach at
 * start-up), unless our own filters would have dropped it anyway. Counted
 * once: the address is forgotten, so a later report of the same end is not
 * news. Born while tracing, it is measured all the same: the end's timer
 * tells when it entered TIME_WAIT (to the jiffy), its namespace and ports
 * its service port, and the close that left its address behind (an orphan)
 * its owner.
 */
static void unknown_tw_end(struct tracker *t, const struct tcpwt_tw_slot *s, enum tw_end how)
{
	uint16_t lport = s->portpair >> 16, rport = ntohs((uint16_t)s->portpair);
	struct tuple tp = { .netns = s->netns, .family = s->family,
			    .lport = lport, .rport = rport };
	const struct config *c = t->cfg;
	char comm[TCPWT_COMM_LEN] = "";
	uint32_t pid = 0;
	uint64_t group;
	uint8_t role;
	uint64_t entry_ns = s->entry_ns;
	struct rearm_rec *rr;
	bool owned;

	if (table__find(t->tw_forget, s->tw) || netns_gone(t, s->netns))
		return;
	/* A segment re-armed it in TIME_WAIT: it entered earlier than its timer says. */
	rr = table__find(t->tw_rearmed, s->tw);
	if (rr) {
		if (entry_ns && rr->entry_ns < entry_ns && rr->entry_ns <= s->ts_ns)
			entry_ns = rr->entry_ns;
		table__delete(t->tw_rearmed, s->tw);
	}
	if (c->family && c->family != s->family)
		return;
	if (c->nports && !cli__port_followed(c, lport) && !cli__port_followed(c, rport))
		return;
	/* In TIME_WAIT since before tracing: not a miss, a socket nobody listed. */
	if (entry_ns && entry_ns < t->start_ns) {
		/* Whose it was is unknown: with -p, it cannot be told ours. */
		if (!c->npids)
			t->stats.tw_unlisted++;
		return;
	}
	owned = orphan_owner(t, s->family, lport, rport, s->ts_ns, &pid, comm);
	/* With -p, one whose owner is unknown cannot be told ours. */
	if (c->npids && !owned)
		return;
	role = classify(t, &tp);
	if (!group_followed(t, role, &tp, pid))
		return;
	t->stats.tw_unseen_births++;
	if (s->substate != TCPWT_TIME_WAIT) {
		/* Never in TIME_WAIT: nothing to measure, as for a known one. */
		t->stats.fin_wait2_only++;
	} else {
		/* No timer to tell since when (CONFIG_HZ unknown): not measured. */
		if (!entry_ns)
			return;
		group = group_for(t, TCPWT_TIME_WAIT, role, &tp, pid, comm);
		if (!group)
			return;
		agg__complete(t->agg, group, s->ts_ns - tw_entry(entry_ns, 0, s->ts_ns), how);
	}
	/* Without its owner it is in the figures, yet still counted untracked. */
	if (owned)
		t->stats.tw_unseen_recovered++;
}

/* A task closed a socket first: the owner of the timewait socket it becomes. */
static void on_closer(struct tracker *t, const struct tcpwt_event *e)
{
	struct closer_rec *c;
	bool created;

	if (!(e->flags & TCPWT_F_OWNER))
		return;
	if (table__len(t->closers) >= t->cfg->closers_max && !table__find(t->closers, e->id)) {
		t->stats.closers_dropped++;
		return;
	}
	/* One there already: an earlier socket at this address, its birth unseen. */
	c = table__get(t->closers, e->id, &created);
	if (!c)
		return;
	if (!created)
		orphan_closer(t, c);
	c->ts_ns = e->ts_ns;
	c->family = e->family;
	c->tgid = e->tgid;
	c->lport = e->lport;
	c->rport = e->rport;
	memcpy(c->comm, e->comm, sizeof(c->comm));
}

/* Who closed the full socket sk first, into pid and comm when known. */
static void take_closer(struct tracker *t, const struct tcpwt_event *e, uint32_t *pid,
			char *comm)
{
	struct closer_rec *c = table__find(t->closers, e->sk);

	if (!c)
		return;
	/* Else an earlier socket at this address, gone, its birth unseen. */
	if (c->lport == e->lport && c->rport == e->rport && c->family == e->family) {
		*pid = c->tgid;
		memcpy(comm, c->comm, TCPWT_COMM_LEN);
	} else {
		orphan_closer(t, c);
	}
	table__delete(t->closers, e->sk);
}

/* A timewait socket of namespace netns tracked: a deletion of it is news again. */
static void netns_tracked(struct tracker *t, uint32_t netns)
{
	for (size_t i = 0; i < GONE_NETNS; i++)
		if (t->gone_netns[i] == netns)
			t->gone_netns[i] = 0;
}

static void on_tw_born(struct tracker *t, const struct tcpwt_event *e)
{
	char comm[TCPWT_COMM_LEN] = "";
	struct tuple tp;
	struct tw_rec *r;
	uint64_t group;
	uint32_t pid = 0;
	bool created;

	tuple_of(e, &tp);
	/* A new life at this address: its end will be news. */
	table__delete(t->tw_forget, e->id);
	table__delete(t->tw_rearmed, e->id);
	netns_tracked(t, tp.netns);
	r = table__find(t->tw, e->id);
	if (r && r->born_ns <= e->ts_ns) {
		/*
		 * Two timewait sockets never share an address: the one before
		 * was killed (port reuse), its report still parked on another
		 * CPU. It ended by now at the latest.
		 */
		struct tcpwt_tw_slot s = { .tw = e->id, .ts_ns = e->ts_ns,
					   .substate = r->tw_ns ? TCPWT_TIME_WAIT : TCPWT_FIN_WAIT2 };

		t->stats.missed_ends++;
		tw_end(t, &s, TW_END_KILLED);
		/* Its own report, when it comes, is not news. */
		forget_tw(t, e->id, e->ts_ns);
	}
	if (e->sk)
		take_closer(t, e, &pid, comm);
	group = group_for(t, TCPWT_TIME_WAIT, classify(t, &tp), &tp, pid, comm);
	if (!group) {
		tw_drop(t, t->tw, e->id);
		forget_tw(t, e->id, e->ts_ns);
		return;
	}
	r = table__get(t->tw, e->id, &created);
	if (!r)
		return;
	if (!created)
		t->stats.missed_ends++; /* a birth reported after a later one's */
	r->born_ns = e->ts_ns;
	r->tw_ns = e->state == TCPWT_TIME_WAIT ? e->ts_ns : 0;
	r->group = group;
	tw_rec_set_tuple(t, r, &tp);
}

/*
 * Does a timer event of this family and ports name the socket of record r,
 * found at its address? A freed timewait socket's address is the next
 * one's, and the next one's events can come first: the kill of the one
 * before stays parked on its CPU until that CPU's next timewait timer event
 * or a report reads it. The events of one whose birth was never seen must
 * not end or move the record of the one before. Ends and re-arms tell their
 * family and ports; one that does not (a namespace's deletion, a missed
 * end) goes by the address.
 */
static bool tw_rec_named(const struct tw_rec *r, uint8_t family, uint16_t lport, uint16_t rport)
{
	if (!family || (!lport && !rport))
		return true;
	return r->family == family && r->lport == lport && r->rport == rport;
}

/* The record the end s is about, at its address or by its cookie; NULL if none. */
static struct tw_rec *tw_rec_of(struct tracker *t, const struct tcpwt_tw_slot *s,
				struct table **in, uint64_t *key)
{
	struct tw_rec *r = find_rec(t->tw, t->tw_seeded, s->tw, s->cookie, in, key);

	if (!r || *in != t->tw ||
	    tw_rec_named(r, s->family, s->portpair >> 16, ntohs((uint16_t)s->portpair)))
		return r;
	if (!s->cookie)
		return NULL;
	*in = t->tw_seeded;
	*key = s->cookie;
	return table__find(t->tw_seeded, s->cookie);
}

uint64_t tw_entry(uint64_t entry_ns, uint64_t born_ns, uint64_t ts_ns)
{
	if (entry_ns > ts_ns)
		entry_ns = ts_ns;
	return entry_ns < born_ns ? born_ns : entry_ns;
}

static void on_tw_rearm(struct tracker *t, const struct tcpwt_event *e)
{
	struct tw_rec *r = table__find(t->tw, e->id);

	if (r && !tw_rec_named(r, e->family, e->lport, e->rport))
		r = NULL;

	/*
	 * Into TIME_WAIT at entry_ns, when its timer was last armed: earlier
	 * than now when a segment re-armed a socket whose own move to
	 * TIME_WAIT fired no timer tracepoint (a re-arm within the timer
	 * wheel's bucket). Armed last at its birth in FIN_WAIT2 (within a
	 * jiffy of it, or before it: a FIN_WAIT2 timeout under 60 s), this
	 * re-arm is the move itself: the kernel sets the substate before it
	 * re-arms, so the kernel side cannot tell. Once known, a later re-arm
	 * changes nothing.
	 */
	if (r && !r->tw_ns && e->state == TCPWT_TIME_WAIT) {
		uint64_t entry = e->entry_ns ? e->entry_ns : e->ts_ns;

		if (t->jiffy_ns && entry < r->born_ns + t->jiffy_ns)
			entry = e->ts_ns;
		r->tw_ns = tw_entry(entry, r->born_ns, e->ts_ns);
	}
	/* Unknown (its birth unseen): its end's timer will tell only of this re-arm. */
	if (!r && e->state == TCPWT_TIME_WAIT && e->entry_ns && e->entry_ns < e->ts_ns &&
	    !table__find(t->tw_forget, e->id)) {
		struct rearm_rec *rr;
		bool created;

		rr = table__get(t->tw_rearmed, e->id, &created);
		if (rr && (created || e->entry_ns < rr->entry_ns)) {
			rr->entry_ns = e->entry_ns;
			rr->ts_ns = e->ts_ns;
		}
	}
}

void tw_drop(struct tracker *t, struct table *in, uint64_t key)
{
	struct tw_rec *r = table__find(in, key);

	if (!r)
		return;
	addr_pool__put(t->laddrs, r->laddr);
	table__delete(in, key);
}

/* Ends the socket the report is about; false when the tracker does not know it. */
static bool tw_end(struct tracker *t, const struct tcpwt_tw_slot *s, enum tw_end how)
{
	struct table *in;
	struct tw_rec *r;
	uint64_t start, key;

	r = tw_rec_of(t, s, &in, &key);
	if (!r)
		return false;
	/* A late report about an earlier socket at this address: it came. */
	if (s->ts_ns < r->born_ns) {
		table__delete(t->tw_forget, s->tw);
		return true;
	}
	if (s->substate != TCPWT_TIME_WAIT) {
		t->stats.fin_wait2_only++;
		tw_drop(t, in, key);
		return true;
	}
	start = r->tw_ns;
	/* Unknown till now: from the timer, else from the birth. */
	if (!start)
		start = tw_entry(s->entry_ns ? s->entry_ns : r->born_ns, r->born_ns, s->ts_ns);
	if (r->origin == TW_ADOPTED || r->origin == TW_ADOPTED_UNOWNED) {
		/* Its entry came from its timer too: a re-arm before the listing moved it. */
		struct rearm_rec *rr = table__find(t->tw_rearmed, s->tw);

		if (rr && rr->entry_ns < start)
			start = rr->entry_ns;
		table__delete(t->tw_rearmed, s->tw);
		t->stats.tw_unseen_births++;
		/* Without its owner it is in the figures, yet still counted untracked. */
		if (r->origin == TW_ADOPTED)
			t->stats.tw_unseen_recovered++;
	}
	/* Events of two CPUs can cross: an end stamped before the re-arm is 0 s. */
	if (start > s->ts_ns)
		start = s->ts_ns;
	agg__complete(t->agg, r->group, s->ts_ns - start, how);
	tw_drop(t, in, key);
	return true;
}

static void on_tw_end(struct tracker *t, const struct tcpwt_event *e)
{
	struct tcpwt_tw_slot s = { .tw = e->id, .ts_ns = e->ts_ns, .entry_ns = e->entry_ns,
				   .cookie = e->cookie, .substate = e->state, .family = e->family,
				   .portpair = (uint32_t)e->lport << 16 | htons(e->rport),
				   .netns = e->netns };
	enum tw_end how = TW_END_KILLED;

	if (e->type == TCPWT_EV_TW_EXPIRE)
		how = TW_END_EXPIRED;
	else if (e->flags & TCPWT_F_TAKEN_OVER)
		how = TW_END_TAKEN_OVER;

	if (!tw_end(t, &s, how))
		unknown_tw_end(t, &s, how);
}

/* Ends, as killed at ts_ns, the timewait sockets of namespace netns in table in. */
static void end_netns_tw(struct tracker *t, struct table *in, bool by_cookie, uint32_t netns,
			 uint64_t ts_ns)
{
	struct key_list gone = {};
	const struct tw_rec *r;
	size_t pos = 0;
	uint64_t key;

	/* Any left out (no memory) are dropped by age at a reconciliation. */
	while ((r = table__next(in, &pos, &key)))
		if (r->netns == netns)
			key_push(&gone, key);
	for (size_t i = 0; i < gone.n; i++) {
		/*
		 * Whether one born in FIN_WAIT2 got the peer's FIN is unknown
		 * (no kill says so): taken as TIME_WAIT, from its birth.
		 */
		struct tcpwt_tw_slot s = { .ts_ns = ts_ns, .substate = TCPWT_TIME_WAIT };

		if (by_cookie)
			s.cookie = gone.v[i];
		else
			s.tw = gone.v[i];
		tw_end(t, &s, TW_END_KILLED);
	}
	free(gone.v);
}

/*
 * A namespace is being deleted, which kills every timewait socket in it; the
 * kernel side sends this instead of their KILL events. Each CPU sends one:
 * the later ones would find nothing left, so the tables, up to a million
 * sockets, are scanned again only if a timewait socket was born there since
 * (a new namespace given the same number).
 */
static void on_netns_gone(struct tracker *t, const struct tcpwt_event *e)
{
	if (netns_gone(t, e->netns))
		return;
	end_netns_tw(t, t->tw, false, e->netns, e->ts_ns);
	end_netns_tw(t, t->tw_seeded, true, e->netns, e->ts_ns);
	t->gone_netns[t->gone_next++ % GONE_NETNS] = e->netns;
}

void tracker__on_parked_cancel(struct tracker *t, const struct tcpwt_tw_slot *s,
			       uint64_t now_ns)
{
	struct table *in;
	struct tw_rec *r;
	uint64_t key;

	tracker__flush(t);
	if (!s->tw || now_ns < s->ts_ns + PARKED_CANCEL_NS)
		return;
	r = tw_rec_of(t, s, &in, &key);
	if (!r) {
		/* Read at every report until its KILL event comes: counted once. */
		unknown_tw_end(t, s, s->taken_over ? TW_END_TAKEN_OVER : TW_END_KILLED);
		forget_tw(t, s->tw, s->ts_ns);
		return;
	}
	if (s->ts_ns < r->born_ns)
		return;
	t->stats.kills_from_slots++;
	tw_end(t, s, s->taken_over ? TW_END_TAKEN_OVER : TW_END_KILLED);
	/* Its KILL event is still to come. */
	forget_tw(t, s->tw, s->ts_ns);
}

void tuple_of_diag(const struct sd_sock *s, struct tuple *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->netns = s->netns;
	tp->family = s->family;
	tp->lport = s->lport;
	tp->rport = s->rport;
	memcpy(tp->laddr, s->laddr, sizeof(tp->laddr));
	memcpy(tp->raddr, s->raddr, sizeof(tp->raddr));
}

/*
 * A socket in CLOSE_WAIT that sock_diag listed, its entry not seen: known by
 * its cookie from now on, NULL if it was already (or on ENOMEM).
 */
static struct cw_rec *listed_cw(struct tracker *t, const struct sd_sock *s,
				const struct tuple *tp, uint8_t role, uint64_t enter_ns)
{
	struct cw_rec *r;
	bool created;

	r = table__get(t->cw_seeded, s->cookie, &created);
	if (!r || !created)
		return NULL;
	r->enter_ns = enter_ns;
	r->seeded = true;
	r->ino = s->ino;
	r->tp = *tp;
	r->role = role;
	return r;
}

static void seed_cw(struct tracker *t, const struct sd_sock *s, uint64_t now_ns,
		    uint64_t start_ns)
{
	struct cw_rec *r;
	struct tuple tp;

	tuple_of_diag(s, &tp);
	r = listed_cw(t, s, &tp, classify(t, &tp), start_ns);
	if (!r)
		return;
	/* Data last came in then; the FIN came with it or after. An estimate. */
	if (s->last_data_recv_ms >= 0 && (uint64_t)s->last_data_recv_ms * 1000000ULL < now_ns)
		r->estimate_ns = now_ns - (uint64_t)s->last_data_recv_ms * 1000000ULL;
}

static void seed_tw(struct tracker *t, const struct sd_sock *s, uint64_t now_ns)
{
	uint64_t left_ns = (uint64_t)s->expires_ms * 1000000ULL, group;
	struct tuple tp;
	struct tw_rec *r;
	bool created;

	tuple_of_diag(s, &tp);
	group = group_for(t, TCPWT_TIME_WAIT, classify(t, &tp), &tp, 0, TCPWT_PREEXISTING);
	if (!group || left_ns > TW_LEN_NS || now_ns < TW_LEN_NS - left_ns)
		return;
	r = table__get(t->tw_seeded, s->cookie, &created);
	if (!r || !created)
		return;
	/* The timer was armed to 60 s when it entered TIME_WAIT. */
	r->born_ns = r->tw_ns = now_ns - (TW_LEN_NS - left_ns);
	r->group = group;
	tw_rec_set_tuple(t, r, &tp);
	r->origin = TW_SEEDED;
	netns_tracked(t, tp.netns);
}

void closers_overdue(struct tracker *t, uint64_t now_ns, uint64_t min_age_ns, struct table *out)
{
	const struct closer_rec *c;
	size_t pos = 0;
	uint64_t key;
	bool created;

	while (table__next(t->orphans, &pos, &key))
		table__get(out, key, &created);
	pos = 0;
	while ((c = table__next(t->closers, &pos, NULL)))
		if (now_ns >= c->ts_ns + min_age_ns)
			table__get(out, orphan_key(c->family, c->lport, c->rport), &created);
}

/*
 * Owned, like an unseen birth's end (unknown_tw_end()), by the close left
 * waiting with its family and ports, which is taken; with -p, only one of a
 * followed process is adopted.
 */
void adopt_tw(struct tracker *t, const struct sd_sock *s, uint64_t entry_ns, uint64_t now_ns,
	      bool any)
{
	const struct config *c = t->cfg;
	char comm[TCPWT_COMM_LEN] = "";
	struct tuple tp;
	struct tw_rec *r;
	uint64_t group;
	uint32_t pid;
	bool created, owned;

	/* In TIME_WAIT since before tracing: listed at start-up, or not a miss. */
	if (entry_ns < t->start_ns || table__find(t->tw_seeded, s->cookie))
		return;
	if (c->nports && !cli__port_followed(c, s->lport) && !cli__port_followed(c, s->rport))
		return;
	/* Its entry is rounded down to the jiffy: its close came before now, not before it. */
	owned = orphan_owner(t, s->family, s->lport, s->rport, now_ns, &pid, comm);
	/* With -p, one whose owner is unknown cannot be told ours: group_for() says 0. */
	if (!owned && !any)
		return;
	tuple_of_diag(s, &tp);
	group = group_for(t, TCPWT_TIME_WAIT, classify(t, &tp), &tp, owned ? pid : 0, comm);
	if (!group)
		return;
	r = table__get(t->tw_seeded, s->cookie, &created);
	if (!r)
		return;
	r->born_ns = r->tw_ns = entry_ns;
	r->group = group;
	tw_rec_set_tuple(t, r, &tp);
	r->origin = owned ? TW_ADOPTED : TW_ADOPTED_UNOWNED;
	netns_tracked(t, tp.netns);
	t->stats.tw_adopted++;
}

void adopt_cw(struct tracker *t, const struct sd_sock *s, uint64_t now_ns, uint64_t age_ns)
{
	const struct config *c = t->cfg;
	struct cw_rec *r;
	struct tuple tp;
	uint8_t role;

	tuple_of_diag(s, &tp);
	role = classify(t, &tp);
	if ((c->family && c->family != tp.family) ||
	    !cli__port_followed(c, service_port(role, &tp)))
		return;
	r = listed_cw(t, s, &tp, role, now_ns > age_ns ? now_ns - age_ns : 0);
	if (!r)
		return;
	r->adopted = true;
	if (c->npids) {
		char comm[TCPWT_COMM_LEN];
		uint32_t pid;
		bool shared;

		/* Counted only when it is a followed process's. */
		resolve_owner(t, r, r->ino, &pid, comm, &shared);
		if (!cli__pid_followed(c, pid))
			return;
	}
	t->stats.cw_adopted++;
}

void tracker__seed(struct tracker *t, const struct sd_sock *s, uint64_t now_ns,
		   uint64_t start_ns)
{
	tracker__flush(t);
	if (t->cfg->family && t->cfg->family != s->family)
		return;
	if (s->state == TCPWT_LISTEN)
		tracker__add_listener(t, s->netns, s->lport, s->ino);
	else if (s->state == TCPWT_CLOSE_WAIT && s->cookie)
		seed_cw(t, s, now_ns, start_ns);
	else if (s->state == TCPWT_TIME_WAIT && s->cookie)
		seed_tw(t, s, now_ns);
}

/* A record into e; false (counted) when malformed. */
static bool decode(struct tracker *t, const void *data, size_t len, struct tcpwt_event *e)
{
	if (len < sizeof(*e)) {
		t->stats.bad_events++;
		return false;
	}
	memcpy(e, data, sizeof(*e));
	if (e->family != AF_INET && e->family != AF_INET6 &&
	    e->type != TCPWT_EV_TW_REARM && e->type != TCPWT_EV_TW_EXPIRE &&
	    e->type != TCPWT_EV_TW_KILL && e->type != TCPWT_EV_NETNS_GONE) {
		t->stats.bad_events++;
		return false;
	}
	e->comm[TCPWT_COMM_LEN - 1] = '\0';
	return true;
}

static void handle(struct tracker *t, const struct tcpwt_event *e)
{
	t->stats.events++;
	switch (e->type) {
	case TCPWT_EV_CW_ENTER:
		on_cw_enter(t, e);
		break;
	case TCPWT_EV_CW_EXIT:
		on_cw_exit(t, e);
		break;
	case TCPWT_EV_TW_BORN:
		on_tw_born(t, e);
		break;
	case TCPWT_EV_TW_REARM:
		on_tw_rearm(t, e);
		break;
	case TCPWT_EV_TW_EXPIRE:
	case TCPWT_EV_TW_KILL:
		on_tw_end(t, e);
		break;
	case TCPWT_EV_LISTEN:
		on_listen(t, e);
		break;
	case TCPWT_EV_CLOSER:
		on_closer(t, e);
		break;
	case TCPWT_EV_CLOSER_GONE:
		table__delete(t->closers, e->id);
		break;
	case TCPWT_EV_NETNS_GONE:
		on_netns_gone(t, e);
		break;
	default:
		t->stats.events--;
		t->stats.bad_events++;
	}
}

int tracker__on_data(struct tracker *t, const void *data, size_t len)
{
	struct tcpwt_event e;

	tracker__flush(t);
	if (decode(t, data, len, &e))
		handle(t, &e);
	return 0;
}

/*
 * The table an event's handler looks up first, when it is one that grows
 * with the sockets tracked (timewait sockets, CLOSE_WAIT ones): at a
 * million sockets each lookup is a cache miss or two (key, then value), the
 * most of the tracer's time; fetched while the events before it are handled,
 * they overlap.
 */
static const struct table *table_for(const struct tracker *t, const struct tcpwt_event *e)
{
	switch (e->type) {
	case TCPWT_EV_TW_BORN:
	case TCPWT_EV_TW_REARM:
	case TCPWT_EV_TW_EXPIRE:
	case TCPWT_EV_TW_KILL:
		return t->tw;
	case TCPWT_EV_CW_ENTER:
	case TCPWT_EV_CW_EXIT:
		return t->cw;
	}
	return NULL;
}

/* The i-th event held back, oldest first. */
static struct tcpwt_event *ahead_at(struct tracker *t, unsigned int i)
{
	return &t->ahead[(t->ahead_first + i) % TRACKER_AHEAD];
}

/*
 * An event is handled TRACKER_AHEAD records after it came; its key's slot
 * is fetched as it comes, its value half way.
 */
int tracker__on_data_ahead(struct tracker *t, const void *data, size_t len)
{
	const struct table *in;
	struct tcpwt_event *e;

	if (t->ahead_n == TRACKER_AHEAD) {
		handle(t, ahead_at(t, 0));
		t->ahead_first = (t->ahead_first + 1) % TRACKER_AHEAD;
		t->ahead_n--;
	}
	e = ahead_at(t, t->ahead_n);
	if (!decode(t, data, len, e))
		return 0;
	t->ahead_n++;
	in = table_for(t, e);
	if (in)
		table__prefetch(in, e->id);
	if (t->ahead_n > TRACKER_AHEAD / 2) {
		e = ahead_at(t, t->ahead_n - 1 - TRACKER_AHEAD / 2);
		in = table_for(t, e);
		if (in)
			table__prefetch_value(in, e->id);
	}
	return 0;
}

void tracker__flush(struct tracker *t)
{
	while (t->ahead_n) {
		handle(t, ahead_at(t, 0));
		t->ahead_first = (t->ahead_first + 1) % TRACKER_AHEAD;
		t->ahead_n--;
	}
}

void tracker__set_start(struct tracker *t, uint64_t start_ns)
{
	t->start_ns = start_ns;
}

void tracker__set_jiffy(struct tracker *t, uint64_t jiffy_ns)
{
	t->jiffy_ns = jiffy_ns;
}

const struct tracker_stats *tracker__stats(struct tracker *t)
{
	tracker__flush(t);
	t->stats.tracked_sockets = table__len(t->cw) + table__len(t->tw) +
				   table__len(t->cw_seeded) + table__len(t->tw_seeded);
	t->stats.tracked_bytes = table__bytes(t->cw) + table__bytes(t->tw) +
				 table__bytes(t->cw_seeded) + table__bytes(t->tw_seeded) +
				 table__bytes(t->tw_forget) + table__bytes(t->tw_rearmed) +
				 table__bytes(t->closers) +
				 table__bytes(t->orphans) +
				 addr_pool__bytes(t->laddrs);
	t->stats.closers_pending = table__len(t->closers);
	return &t->stats;
}
