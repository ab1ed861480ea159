// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "table.h"

#define RECENT 16 /* a power of two */

/* No I/O here: the report writers read the groups. */
struct agg {
	struct table *groups; /* hash of the key (probed on collision) -> group */
	/*
	 * Keys looked up lately and their groups' ids (never removed, so
	 * never stale): most events fall into a few groups, found here with
	 * a compare instead of a hash and a probe.
	 */
	struct {
		struct group_key key;
		uint64_t id; /* 0: empty */
	} recent[RECENT];
};

struct agg *agg__new(void)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->groups = table__new(sizeof(struct group));
	if (!a->groups) {
		free(a);
		return NULL;
	}
	return a;
}

void agg__free(struct agg *a)
{
	struct group *g;
	size_t pos = 0;

	if (!a)
		return;
	while ((g = table__next(a->groups, &pos, NULL))) {
		hist__free(&g->hist);
		free(g->cmdline);
	}
	table__free(a->groups);
	free(a);
}

/* Is group val the one of key arg? */
static bool group_is(const void *val, const void *arg)
{
	const struct group_key *a = &((const struct group *)val)->key, *b = arg;

	return a->state == b->state && a->role == b->role && a->port == b->port &&
	       a->pid == b->pid && !strncmp(a->comm, b->comm, TCPWT_COMM_LEN);
}

uint64_t agg__group(struct agg *a, const struct group_key *key, bool *created)
{
	struct group_key k = *key;
	struct group *g;
	uint64_t id;
	size_t r;

	*created = false;
	/* A name is a string: bytes after its NUL must not make another group. */
	k.comm[TCPWT_COMM_LEN - 1] = '\0';
	memset(k.comm + strlen(k.comm), 0, TCPWT_COMM_LEN - strlen(k.comm));
	r = ((uint64_t)k.pid << 32 | (uint32_t)k.port << 16 | (uint32_t)k.role << 8 | k.state) *
	    0x9e3779b97f4a7c15ULL >> 32 & (RECENT - 1);
	if (a->recent[r].id && !memcmp(&a->recent[r].key, &k, sizeof(k)))
		return a->recent[r].id;
	g = table__get_composite(a->groups, table__hash(&k, sizeof(k)), group_is, &k, &id,
				 created);
	if (!g)
		return 0;
	if (*created) {
		g->key = k;
		hist__init(&g->hist);
	}
	a->recent[r].key = k;
	a->recent[r].id = id;
	return id;
}

struct group *agg__find(struct agg *a, uint64_t id)
{
	return table__find(a->groups, id);
}

int agg__complete(struct agg *a, uint64_t id, uint64_t ns, enum tw_end end)
{
	struct group *g = agg__find(a, id);

	if (!g)
		return -1;
	if (end == TW_END_EXPIRED)
		g->expired++;
	else if (end == TW_END_KILLED || end == TW_END_TAKEN_OVER)
		g->killed++;
	if (end == TW_END_TAKEN_OVER)
		g->taken_over++;
	return hist__add(&g->hist, ns);
}

void agg__reset_open(struct agg *a)
{
	struct group *g;
	size_t pos = 0;

	while ((g = table__next(a->groups, &pos, NULL))) {
		g->open = 0;
		g->open_seeded = 0;
		g->oldest_open_ns = 0;
		g->oldest_is_lower_bound = false;
		g->oldest_is_estimate = false;
	}
}

void agg__add_open(struct agg *a, uint64_t id, uint64_t age_ns, bool seeded,
		   bool lower_bound, bool estimate)
{
	struct group *g = agg__find(a, id);

	if (!g)
		return;
	g->open++;
	if (seeded)
		g->open_seeded++;
	if (age_ns >= g->oldest_open_ns) {
		g->oldest_open_ns = age_ns;
		g->oldest_is_lower_bound = lower_bound;
		g->oldest_is_estimate = estimate;
	}
}

static uint64_t weight(const struct group *g)
{
	return g->hist.count + g->open;
}

static int cmp_groups(const void *pa, const void *pb)
{
	const struct group *a = *(const struct group **)pa;
	const struct group *b = *(const struct group **)pb;

	if (a->key.state != b->key.state)
		return a->key.state == TCPWT_CLOSE_WAIT ? -1 : 1;
	if (weight(a) != weight(b))
		return weight(a) > weight(b) ? -1 : 1;
	if (a->key.port != b->key.port)
		return a->key.port < b->key.port ? -1 : 1;
	return a->key.pid < b->key.pid ? -1 : a->key.pid > b->key.pid;
}

size_t agg__sorted(struct agg *a, struct group ***out)
{
	size_t n = 0, pos = 0;
	struct group **v, *g;

	v = calloc(table__len(a->groups) + 1, sizeof(*v));
	if (!v) {
		*out = NULL;
		return 0;
	}
	while ((g = table__next(a->groups, &pos, NULL)))
		if (weight(g))
			v[n++] = g;
	qsort(v, n, sizeof(*v), cmp_groups);
	*out = v;
	return n;
}

size_t agg__len(const struct agg *a)
{
	return table__len(a->groups);
}
