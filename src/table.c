// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "table.h"

#define MIN_CAP 64

struct table {
	size_t val_size;
	size_t cap; /* power of two */
	size_t len;
	uint64_t *keys; /* 0 marks an empty slot */
	unsigned char *vals;
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

uint64_t table__hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	h = mix(h);
	return h ? h : 1;
}

static void *val_at(const struct table *t, size_t i)
{
	return t->vals + i * t->val_size;
}

static int alloc_slots(struct table *t, size_t cap)
{
	t->keys = calloc(cap, sizeof(*t->keys));
	t->vals = calloc(cap, t->val_size);
	if (!t->keys || !t->vals) {
		free(t->keys);
		free(t->vals);
		return -1;
	}
	t->cap = cap;
	return 0;
}

struct table *table__new(size_t val_size)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->val_size = val_size;
	if (alloc_slots(t, MIN_CAP)) {
		free(t);
		return NULL;
	}
	return t;
}

void table__free(struct table *t)
{
	if (!t)
		return;
	free(t->keys);
	free(t->vals);
	free(t);
}

static size_t slot_of(const struct table *t, uint64_t key, bool *found)
{
	size_t mask = t->cap - 1, i = mix(key) & mask;

	while (t->keys[i] && t->keys[i] != key)
		i = (i + 1) & mask;
	*found = t->keys[i] == key;
	return i;
}

void *table__find(const struct table *t, uint64_t key)
{
	bool found;
	size_t i;

	if (!key)
		return NULL;
	i = slot_of(t, key, &found);
	return found ? val_at(t, i) : NULL;
}

static int resize(struct table *t, size_t cap)
{
	struct table old = *t;
	bool found;

	if (alloc_slots(t, cap)) {
		*t = old;
		return -1;
	}
	for (size_t i = 0; i < old.cap; i++) {
		size_t j;

		if (!old.keys[i])
			continue;
		j = slot_of(t, old.keys[i], &found);
		t->keys[j] = old.keys[i];
		memcpy(val_at(t, j), val_at(&old, i), t->val_size);
	}
	free(old.keys);
	free(old.vals);
	return 0;
}

void *table__get(struct table *t, uint64_t key, bool *created)
{
	bool found;
	size_t i;

	*created = false;
	if (!key)
		return NULL;
	i = slot_of(t, key, &found);
	if (found)
		return val_at(t, i);
	if ((t->len + 1) * 10 > t->cap * 7) {
		if (resize(t, t->cap * 2))
			return NULL;
		i = slot_of(t, key, &found);
	}
	t->keys[i] = key;
	memset(val_at(t, i), 0, t->val_size);
	t->len++;
	*created = true;
	return val_at(t, i);
}

bool table__delete(struct table *t, uint64_t key)
{
	size_t mask = t->cap - 1, i, j;
	bool found;

	if (!key)
		return false;
	i = slot_of(t, key, &found);
	if (!found)
		return false;
	/* Backward-shift deletion: no tombstones, probe chains stay short. */
	for (j = (i + 1) & mask; t->keys[j]; j = (j + 1) & mask) {
		size_t home = mix(t->keys[j]) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->keys[i] = t->keys[j];
			memcpy(val_at(t, i), val_at(t, j), t->val_size);
			i = j;
		}
	}
	t->keys[i] = 0;
	t->len--;
	/* Give memory back after a burst; a failed shrink just keeps the room. */
	if (t->cap > MIN_CAP && t->len * 8 < t->cap)
		resize(t, t->cap / 2);
	return true;
}

size_t table__len(const struct table *t)
{
	return t->len;
}

size_t table__bytes(const struct table *t)
{
	return sizeof(*t) + t->cap * (sizeof(uint64_t) + t->val_size);
}

void *table__next(const struct table *t, size_t *pos, uint64_t *key)
{
	for (; *pos < t->cap; (*pos)++) {
		if (!t->keys[*pos])
			continue;
		if (key)
			*key = t->keys[*pos];
		return val_at(t, (*pos)++);
	}
	return NULL;
}
