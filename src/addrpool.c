// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Shared addresses, each kept once, named by counted 16-bit ids. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "addrpool.h"
#include "table.h"

#define MAX_IDS UINT16_MAX
#define RECENT 16 /* a power of two */

struct pooled {
	uint8_t addr[16];
	uint64_t key; /* in ids */
	uint32_t refs; /* 0: free, its id on the free list */
	uint8_t family;
};

struct addr_pool {
	struct table *ids; /* hash of (family, address) -> uint16_t id */
	struct pooled *v; /* v[id - 1] */
	uint16_t *free_ids; /* ids of forgotten addresses, used again first */
	size_t n; /* ids handed out so far */
	size_t n_free;
	size_t cap; /* of v and free_ids */
	/*
	 * Ids of addresses asked for lately, checked against v before use:
	 * a host's sockets share a few local addresses, found here with a
	 * compare instead of a hash and a probe.
	 */
	uint16_t recent[RECENT];
};

struct addr_pool *addr_pool__new(void)
{
	struct addr_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ids = table__new(sizeof(uint16_t));
	if (!p->ids) {
		free(p);
		return NULL;
	}
	return p;
}

void addr_pool__free(struct addr_pool *p)
{
	if (!p)
		return;
	table__free(p->ids);
	free(p->v);
	free(p->free_ids);
	free(p);
}

static uint64_t addr_key(uint8_t family, const uint8_t *addr)
{
	uint8_t k[17];

	memcpy(k, addr, 16);
	k[16] = family;
	return table__hash(k, sizeof(k));
}

/* Room for one more id; false when out of ids or memory. */
static bool grow(struct addr_pool *p)
{
	size_t cap = p->cap ? p->cap * 2 : 16;
	struct pooled *v;
	uint16_t *f;

	if (p->n < p->cap)
		return true;
	if (p->n >= MAX_IDS)
		return false;
	if (cap > MAX_IDS)
		cap = MAX_IDS;
	v = realloc(p->v, cap * sizeof(*v));
	if (!v)
		return false;
	p->v = v;
	f = realloc(p->free_ids, cap * sizeof(*f));
	if (!f)
		return false;
	p->free_ids = f;
	p->cap = cap;
	return true;
}

/* Where addr's id may be in recent: a mix of its words. */
static size_t recent_slot(uint8_t family, const uint8_t *addr)
{
	uint64_t a, b;

	memcpy(&a, addr, sizeof(a));
	memcpy(&b, addr + 8, sizeof(b));
	return ((a ^ b ^ family) * 0x9e3779b97f4a7c15ULL) >> 32 & (RECENT - 1);
}

uint16_t addr_pool__get(struct addr_pool *p, uint8_t family, const uint8_t *addr)
{
	size_t r = recent_slot(family, addr);
	uint64_t key;
	struct pooled *e;
	uint16_t *slot, id = p->recent[r];
	bool created;

	if (id && id <= p->n) {
		e = &p->v[id - 1];
		if (e->refs && e->family == family && !memcmp(e->addr, addr, sizeof(e->addr))) {
			e->refs++;
			return id;
		}
	}
	key = addr_key(family, addr);
	slot = table__get(p->ids, key, &created);
	if (!slot)
		return 0;
	if (!created) {
		e = &p->v[*slot - 1];
		/* Another address with this hash holds the key: not kept. */
		if (e->family != family || memcmp(e->addr, addr, sizeof(e->addr)))
			return 0;
		e->refs++;
		p->recent[r] = *slot;
		return *slot;
	}
	if (p->n_free) {
		id = p->free_ids[--p->n_free];
	} else if (grow(p)) {
		id = (uint16_t)++p->n;
	} else {
		table__delete(p->ids, key);
		return 0;
	}
	*slot = id;
	e = &p->v[id - 1];
	memcpy(e->addr, addr, sizeof(e->addr));
	e->family = family;
	e->key = key;
	e->refs = 1;
	p->recent[r] = id;
	return id;
}

void addr_pool__put(struct addr_pool *p, uint16_t id)
{
	struct pooled *e;

	if (!id || id > p->n)
		return;
	e = &p->v[id - 1];
	if (!e->refs || --e->refs)
		return;
	table__delete(p->ids, e->key);
	p->free_ids[p->n_free++] = id;
}

const uint8_t *addr_pool__addr(const struct addr_pool *p, uint16_t id)
{
	if (!id || id > p->n || !p->v[id - 1].refs)
		return NULL;
	return p->v[id - 1].addr;
}

size_t addr_pool__len(const struct addr_pool *p)
{
	return table__len(p->ids);
}

size_t addr_pool__bytes(const struct addr_pool *p)
{
	return sizeof(*p) + table__bytes(p->ids) +
	       p->cap * (sizeof(*p->v) + sizeof(*p->free_ids));
}
