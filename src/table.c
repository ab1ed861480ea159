// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "table.h"
/* Header-only: XXH3 inlined here, no library to link. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define MIN_CAP 64
/*
 * Steps of a resize on each insert or delete: a step moves one entry or
 * passes one empty slot of the old array. Emptying C slots holding L entries
 * takes (C + L) / 32 operations, well before the next resize can start:
 * after growing from C to 2C slots (L <= 0.7C: C/19 operations), the next
 * one needs 0.7C more inserts or 0.45C deletes; after shrinking from C to
 * C/2 (L < C/8: C/28), 0.225C inserts or C/16 deletes.
 */
#define MOVE_STEPS 32

/* One array of slots: keys, 0 marking an empty slot, and values, inline. */
struct slots {
	size_t cap; /* power of two */
	size_t len;
	uint64_t *keys;
	unsigned char *vals;
};

/*
 * A resize moves the entries from old to cur a few at a time, so that no
 * single operation stalls for the whole table (a million entries took
 * ~110 ms in one go, long enough for the ring buffer to fill behind the
 * reader). Meanwhile an entry is in one of the two; old's slots below
 * 'moved' are all empty, and the entries above it are where lookups find
 * them: deletes shift entries backwards, never past an empty slot.
 */
struct table {
	size_t val_size;
	struct slots cur;
	struct slots old; /* keys == NULL: no resize under way */
	size_t moved;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * XXH3: our keys are 8 to 48 bytes, which it hashes in a few multiplies
 * with full avalanche. FNV-1a, which this was, takes a dependent multiply
 * per byte: 18% of the tracer's CPU under churn.
 */
uint64_t table__hash(const void *data, size_t len)
{
	uint64_t h = XXH3_64bits(data, len);

	return h ? h : 1;
}

static void *val_at(const struct table *t, const struct slots *s, size_t i)
{
	return s->vals + i * t->val_size;
}

/* calloc: large arrays come zeroed from mmap, their pages touched as used. */
static int slots_alloc(struct slots *s, size_t cap, size_t val_size)
{
	s->keys = calloc(cap, sizeof(*s->keys));
	s->vals = calloc(cap, val_size);
	if (!s->keys || !s->vals) {
		free(s->keys);
		free(s->vals);
		s->keys = NULL;
		s->vals = NULL;
		return -1;
	}
	s->cap = cap;
	s->len = 0;
	return 0;
}

static void slots_free(struct slots *s)
{
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

/*
 * Where key is in s (*found), or the empty slot where it would go. The value
 * at its home slot is fetched meanwhile: a large table's key and value are
 * two cache misses, which then overlap.
 */
static size_t slot_of(const struct table *t, const struct slots *s, uint64_t key,
		      bool *found)
{
	size_t mask = s->cap - 1, i = mix(key) & mask;
	const char *v = val_at(t, s, i);

	__builtin_prefetch(v);
	__builtin_prefetch(v + t->val_size - 1);
	while (s->keys[i] && s->keys[i] != key)
		i = (i + 1) & mask;
	*found = s->keys[i] == key;
	return i;
}

void table__prefetch(const struct table *t, uint64_t key)
{
	__builtin_prefetch(&t->cur.keys[mix(key) & (t->cur.cap - 1)]);
	if (t->old.keys)
		__builtin_prefetch(&t->old.keys[mix(key) & (t->old.cap - 1)]);
}

void table__prefetch_value(const struct table *t, uint64_t key)
{
	const struct slots *s = &t->cur;
	const char *v;
	bool found;
	size_t i;

	i = slot_of(t, s, key, &found);
	if (!found && t->old.keys) {
		size_t j = slot_of(t, &t->old, key, &found);

		if (found) {
			s = &t->old;
			i = j;
		}
	}
	v = val_at(t, s, i);
	__builtin_prefetch(v);
	__builtin_prefetch(v + t->val_size - 1);
}

/* Empties slot i: backward-shift deletion, no tombstones, short probe chains. */
static void delete_at(const struct table *t, struct slots *s, size_t i)
{
	size_t mask = s->cap - 1, j;

	for (j = (i + 1) & mask; s->keys[j]; j = (j + 1) & mask) {
		size_t home = mix(s->keys[j]) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->keys[i] = s->keys[j];
			memcpy(val_at(t, s, i), val_at(t, s, j), t->val_size);
			i = j;
		}
	}
	s->keys[i] = 0;
	s->len--;
}

/* Moves up to 'steps' slots' worth of old entries into cur. */
static void move_some(struct table *t, size_t steps)
{
	struct slots *old = &t->old;
	bool found;

	while (old->keys && steps--) {
		size_t j;

		if (t->moved == old->cap) {
			slots_free(old);
			break;
		}
		if (!old->keys[t->moved]) {
			t->moved++;
			continue;
		}
		/* The slot refills when later entries shift back into it. */
		j = slot_of(t, &t->cur, old->keys[t->moved], &found);
		t->cur.keys[j] = old->keys[t->moved];
		memcpy(val_at(t, &t->cur, j), val_at(t, old, t->moved), t->val_size);
		t->cur.len++;
		delete_at(t, old, t->moved);
	}
}

static int start_resize(struct table *t, size_t cap)
{
	struct slots next;

	move_some(t, SIZE_MAX); /* the previous one first (not reached: see MOVE_STEPS) */
	if (slots_alloc(&next, cap, t->val_size))
		return -1;
	t->old = t->cur;
	t->cur = next;
	t->moved = 0;
	return 0;
}

struct table *table__new(size_t val_size)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->val_size = val_size;
	if (slots_alloc(&t->cur, MIN_CAP, val_size)) {
		free(t);
		return NULL;
	}
	return t;
}

void table__free(struct table *t)
{
	if (!t)
		return;
	slots_free(&t->cur);
	slots_free(&t->old);
	free(t);
}

/* Where key is: in cur or old, at *i; NULL if absent. */
static struct slots *locate(const struct table *t, uint64_t key, size_t *i)
{
	bool found;

	*i = slot_of(t, &t->cur, key, &found);
	if (found)
		return (struct slots *)&t->cur;
	if (!t->old.keys)
		return NULL;
	*i = slot_of(t, &t->old, key, &found);
	return found ? (struct slots *)&t->old : NULL;
}

void *table__find(const struct table *t, uint64_t key)
{
	struct slots *s;
	size_t i;

	if (!key)
		return NULL;
	s = locate(t, key, &i);
	return s ? val_at(t, s, i) : NULL;
}

void *table__get(struct table *t, uint64_t key, bool *created)
{
	struct slots *s;
	bool found;
	size_t i;

	*created = false;
	if (!key)
		return NULL;
	s = locate(t, key, &i);
	if (s)
		return val_at(t, s, i);
	/* Only an insert moves entries: finding one leaves pointers valid. */
	move_some(t, MOVE_STEPS);
	if ((table__len(t) + 1) * 10 > t->cur.cap * 7 && start_resize(t, t->cur.cap * 2))
		return NULL;
	i = slot_of(t, &t->cur, key, &found);
	t->cur.keys[i] = key;
	memset(val_at(t, &t->cur, i), 0, t->val_size);
	t->cur.len++;
	*created = true;
	return val_at(t, &t->cur, i);
}

bool table__delete(struct table *t, uint64_t key)
{
	struct slots *s;
	size_t i;

	if (!key)
		return false;
	move_some(t, MOVE_STEPS);
	s = locate(t, key, &i);
	if (!s)
		return false;
	delete_at(t, s, i);
	/* Give memory back after a burst; a failed shrink just keeps the room. */
	if (!t->old.keys && t->cur.cap > MIN_CAP && t->cur.len * 8 < t->cur.cap)
		start_resize(t, t->cur.cap / 2);
	return true;
}

void *table__get_composite(struct table *t, uint64_t hash,
			   bool (*same)(const void *val, const void *arg), const void *arg,
			   uint64_t *key, bool *created)
{
	for (uint64_t k = hash ? hash : 1;; k = k + 1 ? k + 1 : 1) {
		void *v = table__get(t, k, created);

		if (!v || *created || same(v, arg)) {
			*key = k;
			return v;
		}
	}
}

size_t table__len(const struct table *t)
{
	return t->cur.len + t->old.len;
}

size_t table__bytes(const struct table *t)
{
	return sizeof(*t) + (t->cur.cap + t->old.cap) * (sizeof(uint64_t) + t->val_size);
}

/* Positions run through cur's slots, then old's. */
void *table__next(const struct table *t, size_t *pos, uint64_t *key)
{
	for (; *pos < t->cur.cap + t->old.cap; (*pos)++) {
		const struct slots *s = &t->cur;
		size_t i = *pos;

		if (i >= t->cur.cap) {
			s = &t->old;
			i -= t->cur.cap;
		}
		if (!s->keys[i])
			continue;
		if (key)
			*key = s->keys[i];
		(*pos)++;
		return val_at(t, s, i);
	}
	return NULL;
}
