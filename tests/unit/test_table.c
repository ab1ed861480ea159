// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The open-addressing table, against a plain reference. */
#include <stdlib.h>
#include "check.h"
#include "table.h"

#define N 100000

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void shuffle(size_t *v, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1), tmp = v[i];

		v[i] = v[j];
		v[j] = tmp;
	}
}

/* The reference: a pool of distinct keys, each present or not, with a value. */
struct ref {
	uint64_t key[N];
	uint64_t val[N];
	bool present[N];
	size_t len;
};

static bool table_matches(const struct table *t, const struct ref *r)
{
	size_t pos = 0, seen = 0;
	uint64_t key, *v;

	if (!ASSERT_EQ(table__len(t), r->len, "len"))
		return false;
	for (size_t i = 0; i < N; i++) {
		v = table__find(t, r->key[i]);
		if (!ASSERT_EQ(v != NULL, r->present[i], "membership") ||
		    (v && !ASSERT_EQ(*v, r->val[i], "value")))
			return false;
	}
	while ((v = table__next(t, &pos, &key))) {
		uint64_t *k = bsearch(&key, r->key, N, sizeof(key), cmp_u64);

		if (!ASSERT_TRUE(k && r->present[k - r->key], "iterated key is in the reference") ||
		    !ASSERT_EQ(*v, r->val[k - r->key], "iterated value"))
			return false;
		seen++;
	}
	return ASSERT_EQ(seen, r->len, "iteration visits every entry once");
}

TEST(table_random_against_reference)
{
	struct ref *r = calloc(1, sizeof(*r));
	size_t *order = malloc(N * sizeof(*order));
	struct table *t = table__new(sizeof(uint64_t));
	bool created;

	if (!ASSERT_TRUE(r && order && t, "alloc"))
		goto out;
	for (size_t i = 0; i < N; i++)
		while (!(r->key[i] = rnd()))
			;
	qsort(r->key, N, sizeof(uint64_t), cmp_u64);
	for (size_t i = 1; i < N; i++)
		if (!ASSERT_NEQ(r->key[i], r->key[i - 1], "distinct keys"))
			goto out;
	for (size_t i = 0; i < N; i++)
		order[i] = i;
	shuffle(order, N);
	for (size_t i = 0; i < N; i++) {
		size_t k = order[i];
		uint64_t *v = table__get(t, r->key[k], &created);

		if (!ASSERT_TRUE(v && created, "insert a new key"))
			goto out;
		*v = r->val[k] = rnd();
		r->present[k] = true;
		r->len++;
	}
	if (!table_matches(t, r))
		goto out;
	/* Delete half in random order: backward shifts keep the rest findable. */
	shuffle(order, N);
	for (size_t i = 0; i < N / 2; i++) {
		if (!ASSERT_TRUE(table__delete(t, r->key[order[i]]), "delete"))
			goto out;
		r->present[order[i]] = false;
		r->len--;
	}
	if (!table_matches(t, r))
		goto out;
	/* Churn: random inserts, updates and deletes. */
	for (size_t step = 0; step < 3 * N; step++) {
		size_t k = rnd() % N;
		uint64_t *v;

		if (rnd() % 2) {
			if (!ASSERT_EQ(table__delete(t, r->key[k]), r->present[k], "delete result"))
				goto out;
			r->len -= r->present[k];
			r->present[k] = false;
			continue;
		}
		v = table__get(t, r->key[k], &created);
		if (!ASSERT_TRUE(v, "get") || !ASSERT_EQ(created, !r->present[k], "created flag"))
			goto out;
		if (!created && !ASSERT_EQ(*v, r->val[k], "existing value kept"))
			goto out;
		if (created)
			ASSERT_EQ(*v, 0, "new values are zeroed");
		*v = r->val[k] = rnd();
		r->len += !r->present[k];
		r->present[k] = true;
	}
	if (!table_matches(t, r))
		goto out;
	/*
	 * Drift down to few keys, then up to nearly all: the table shrinks and
	 * grows while random inserts, finds and deletes go on, so each kind
	 * of operation meets entries in both arrays of a resize.
	 */
	for (int up = 0; up < 2; up++) {
		for (size_t step = 1; up ? r->len < N * 9 / 10 : r->len > N / 25; step++) {
			size_t k = rnd() % N;
			/* Mostly inserts going up, deletes going down; never stuck. */
			bool del = r->present[k] ? !up || rnd() % 20 == 0 : !up && rnd() % 50 != 0;
			uint64_t *v;

			if (del) {
				if (!ASSERT_EQ(table__delete(t, r->key[k]), r->present[k], "delete result"))
					goto out;
				r->len -= r->present[k];
				r->present[k] = false;
			} else {
				v = table__get(t, r->key[k], &created);
				if (!ASSERT_TRUE(v, "get") ||
				    !ASSERT_EQ(created, !r->present[k], "created flag") ||
				    (!created && !ASSERT_EQ(*v, r->val[k], "existing value kept")))
					goto out;
				*v = r->val[k] = rnd();
				r->len += !r->present[k];
				r->present[k] = true;
			}
			if (step % 4999 == 0 && !table_matches(t, r))
				goto out;
		}
		if (!table_matches(t, r))
			goto out;
	}
out:
	table__free(t);
	free(order);
	free(r);
}

/* A key's home slot in an empty 64-slot table: where iteration finds it. */
static size_t home_of(struct table *t, uint64_t key)
{
	size_t pos = 0;
	bool created;

	table__get(t, key, &created);
	table__next(t, &pos, NULL);
	table__delete(t, key);
	return pos - 1;
}

/*
 * Keys forced to collide around the end of the array, so probe chains wrap
 * to its start: every delete order must keep the others findable.
 */
TEST(table_collisions_wrap_around)
{
	static const size_t homes[] = { 60, 61, 62, 63, 0, 1 };
	struct table *t = table__new(sizeof(uint64_t));
	size_t bytes = table__bytes(t), nkeys = 0, idx[36];
	uint64_t keys[36];
	size_t khome[36];
	int per_home[64] = { 0 };
	bool created, wrapped = false;

	for (uint64_t k = 1; nkeys < ARRAY_LEN(keys) && k < 1000000; k++) {
		size_t h = home_of(t, k);

		for (size_t i = 0; i < ARRAY_LEN(homes); i++)
			if (h == homes[i] && per_home[h] < 6) {
				per_home[h]++;
				khome[nkeys] = h;
				keys[nkeys++] = k;
			}
	}
	if (!ASSERT_EQ(nkeys, ARRAY_LEN(keys), "colliding keys found"))
		goto out;
	for (size_t i = 0; i < nkeys; i++)
		idx[i] = i;
	for (int round = 0; round < 3000; round++) {
		bool present[36];
		size_t pos = 0;
		uint64_t key;

		shuffle(idx, nkeys);
		for (size_t i = 0; i < nkeys; i++) {
			*(uint64_t *)table__get(t, keys[idx[i]], &created) = keys[idx[i]] * 3;
			present[idx[i]] = true;
		}
		if (!ASSERT_EQ(table__bytes(t), bytes, "still 64 slots: the keys collide"))
			goto out;
		/* Keys of homes 60..63 pushed past the end sit at the start. */
		while (table__next(t, &pos, &key))
			for (size_t j = 0; j < nkeys; j++)
				if (keys[j] == key && khome[j] >= 60 && pos - 1 < 8)
					wrapped = true;
		shuffle(idx, nkeys);
		for (size_t i = 0; i < nkeys; i++) {
			if (!ASSERT_TRUE(table__delete(t, keys[idx[i]]), "delete"))
				goto out;
			present[idx[i]] = false;
			for (size_t j = 0; j < nkeys; j++) {
				uint64_t *v = table__find(t, keys[j]);

				if (!ASSERT_EQ(v != NULL, present[j], "others findable after a delete") ||
				    (v && !ASSERT_EQ(*v, keys[j] * 3, "value moved with its key")))
					goto out;
			}
			if (!ASSERT_EQ(table__len(t), nkeys - i - 1, "len"))
				goto out;
		}
	}
	ASSERT_TRUE(wrapped, "probe chains wrapped around the end");
out:
	table__free(t);
}

TEST(table_zero_key)
{
	struct table *t = table__new(sizeof(int));
	bool created = true;

	*(int *)table__get(t, 7, &created) = 7;
	ASSERT_TRUE(table__get(t, 0, &created) == NULL, "key 0 refused");
	ASSERT_FALSE(created, "not created");
	ASSERT_TRUE(table__find(t, 0) == NULL, "key 0 never found");
	ASSERT_FALSE(table__delete(t, 0), "key 0 never deleted");
	ASSERT_EQ(table__len(t), 1, "len unchanged");
	ASSERT_FALSE(table__delete(t, 8), "absent key");
	table__free(t);
}

TEST(table_next_each_once)
{
	struct table *t = table__new(sizeof(uint32_t));
	uint8_t *seen = calloc(N + 1, 1);
	size_t pos = 0, n = 0;
	uint32_t *v;
	uint64_t key;
	bool created;

	for (uint32_t i = 1; i <= N; i++)
		*(uint32_t *)table__get(t, (uint64_t)i << 20, &created) = i;
	while ((v = table__next(t, &pos, &key))) {
		if (!ASSERT_EQ(key, (uint64_t)*v << 20, "key matches its value") ||
		    !ASSERT_TRUE(table__find(t, key) == v, "same value pointer as find"))
			break;
		seen[*v]++;
		n++;
	}
	ASSERT_EQ(n, N, "entries visited");
	for (uint32_t i = 1; i <= N; i++)
		if (!ASSERT_EQ(seen[i], 1, "each entry once"))
			break;
	pos = 0;
	ASSERT_TRUE(table__next(t, &pos, NULL) != NULL, "key pointer is optional");
	free(seen);
	table__free(t);
	t = table__new(8);
	pos = 0;
	ASSERT_TRUE(table__next(t, &pos, &key) == NULL, "empty table: nothing");
	table__free(t);
}

TEST(table_hash)
{
	struct table *seen = table__new(1);
	bool created;
	uint64_t h;

	for (uint32_t i = 0; i < N; i++) {
		h = table__hash(&i, sizeof(i));
		if (!ASSERT_NEQ(h, 0, "never 0"))
			break;
		table__get(seen, h, &created);
		if (!ASSERT_TRUE(created, "different inputs, different hashes"))
			break;
	}
	ASSERT_NEQ(table__hash("", 0), 0, "empty input");
	ASSERT_NEQ(table__hash("a", 1), table__hash("b", 1), "one byte");
	ASSERT_NEQ(table__hash("a", 1), table__hash("a\0", 2), "length counts");
	ASSERT_NEQ(table__hash("ab", 2), table__hash("ba", 2), "order counts");
	ASSERT_EQ(table__hash("abc", 3), table__hash("abc", 3), "deterministic");
	table__free(seen);
}

/* Bytes of the slots, without the table's fixed header: for 8-byte values. */
#define SLOT_BYTES (sizeof(uint64_t) + sizeof(uint64_t))

/* Every key in keys[0..n) is in the table with its value, and no other. */
static bool holds_exactly(const struct table *t, const uint64_t *keys, size_t n)
{
	size_t pos = 0, seen = 0;
	uint64_t key, *v;

	if (!ASSERT_EQ(table__len(t), n, "len"))
		return false;
	for (size_t i = 0; i < n; i++) {
		v = table__find(t, keys[i]);
		if (!ASSERT_TRUE(v && *v == ~keys[i], "each key found with its value"))
			return false;
	}
	while ((v = table__next(t, &pos, &key))) {
		if (!ASSERT_EQ(*v, ~key, "iterated value is its key's"))
			return false;
		seen++;
	}
	return ASSERT_EQ(seen, n, "iteration visits every entry once");
}

/*
 * A table grown to a million slots and emptied again (shrinking back to its
 * smallest arrays) holds the right entries all the way, and its memory count
 * is still its slots'.
 */
TEST(table_large_arrays)
{
	enum { LARGE = 600000 }; /* 1M slots of 8 + 8 bytes */
	struct table *t = table__new(sizeof(uint64_t));
	uint64_t *keys = malloc(LARGE * sizeof(*keys));
	bool created;
	size_t n;

	if (!ASSERT_TRUE(t && keys, "allocated"))
		goto out;
	for (n = 0; n < LARGE; n++) {
		uint64_t *v;

		keys[n] = rnd() | 1;
		v = table__get(t, keys[n], &created);
		if (!ASSERT_TRUE(v && created, "inserted"))
			goto out;
		*v = ~keys[n];
	}
	if (!holds_exactly(t, keys, n) ||
	    !ASSERT_GE(table__bytes(t), (size_t)(LARGE * 10 / 7) * SLOT_BYTES, "counts its slots"))
		goto out;
	while (n > 10) {
		if (!ASSERT_TRUE(table__delete(t, keys[--n]), "deleted"))
			goto out;
		if (n % 100000 == 0 && !holds_exactly(t, keys, n))
			goto out;
	}
	holds_exactly(t, keys, n);
	ASSERT_LE(table__bytes(t), (size_t)4096, "shrunk back to small arrays");
out:
	free(keys);
	table__free(t);
}

/*
 * A resize keeps both arrays and moves the entries a few per insert or
 * delete: right after the insert that grows a table of C slots, both the old
 * (C) and the new (2C) arrays are held, everything stays findable while the
 * entries move, and the old array goes within (C + L) / 32 more operations
 * for the L entries it held. The same for shrinking, from C to C/2 slots.
 */
TEST(table_resizes_in_steps)
{
	enum { KEYS = 200000 };
	uint64_t *keys = malloc(KEYS * sizeof(*keys));
	struct table *t = table__new(sizeof(uint64_t));
	size_t n = 0, grows = 0, shrinks = 0;
	bool created;

	if (!ASSERT_TRUE(keys && t, "alloc"))
		goto out;
	for (size_t i = 0; i < KEYS; i++)
		while (!(keys[i] = rnd()))
			;
	/* Grow: insert until the table holds KEYS. */
	while (n < KEYS) {
		size_t before = table__bytes(t), cap, ops = 0, held = n;

		*(uint64_t *)table__get(t, keys[n], &created) = ~keys[n];
		n++;
		if (table__bytes(t) == before)
			continue;
		cap = (table__bytes(t) - before) / (2 * SLOT_BYTES);
		if (!ASSERT_EQ(table__bytes(t) - before, 2 * cap * SLOT_BYTES,
			       "growing holds the old array and a new one of twice its slots") ||
		    !ASSERT_TRUE(cap >= 64 && !(cap & (cap - 1)), "old array: a power of two"))
			goto out;
		grows++;
		/* Keep inserting until the old array is freed. */
		while (table__bytes(t) != before + cap * SLOT_BYTES && n < KEYS) {
			*(uint64_t *)table__get(t, keys[n], &created) = ~keys[n];
			n++;
			ops++;
			if (ops == cap / 64 && !holds_exactly(t, keys, n))
				goto out; /* halfway through the move */
		}
		if (!ASSERT_TRUE(ops <= (cap + held) / 32 + 1, "the old array goes within (C + L) / 32 inserts") ||
		    !ASSERT_TRUE(ops >= cap / 64, "entries move in steps, not all at once"))
			goto out;
	}
	if (!holds_exactly(t, keys, n) || !ASSERT_TRUE(grows >= 10, "grew many times"))
		goto out;
	/* Shrink: delete from the end until one key is left. */
	while (n > 1) {
		size_t before = table__bytes(t), cap, ops = 0, held;

		if (!ASSERT_TRUE(table__delete(t, keys[--n]), "delete"))
			goto out;
		if (table__bytes(t) == before)
			continue;
		cap = (table__bytes(t) - before) / SLOT_BYTES * 2;
		held = n;
		if (!ASSERT_TRUE(table__bytes(t) > before, "shrinking first holds both arrays") ||
		    !ASSERT_TRUE(cap >= 128 && !(cap & (cap - 1)), "old array: a power of two"))
			goto out;
		shrinks++;
		while (table__bytes(t) != before - cap * SLOT_BYTES / 2 && n > 1) {
			/* Deleted keys stay gone while the rest move. */
			if (!ASSERT_TRUE(table__find(t, keys[n]) == NULL, "deleted key absent") ||
			    !ASSERT_TRUE(table__delete(t, keys[--n]), "delete while moving"))
				goto out;
			ops++;
			if (ops == cap / 64 && !holds_exactly(t, keys, n))
				goto out;
		}
		if (n > 1 && !ASSERT_TRUE(ops <= (cap + held) / 32 + 1,
					  "the old array goes within (C + L) / 32 deletes"))
			goto out;
	}
	if (holds_exactly(t, keys, n))
		ASSERT_TRUE(shrinks >= 8, "shrank many times");
out:
	free(keys);
	table__free(t);
}

static bool same_name(const void *val, const void *arg)
{
	return *(const uint64_t *)val == *(const uint64_t *)arg;
}

/* Values named by more than their hash: those sharing one take the next keys. */
TEST(table_get_composite)
{
	struct table *t = table__new(sizeof(uint64_t));
	uint64_t names[] = { 11, 22, 33 }, keys[3], key, *v;
	bool created;

	if (!ASSERT_TRUE(t, "table"))
		return;
	/* All three hash to UINT64_MAX: the keys after it wrap to 1, never 0. */
	for (int i = 0; i < 3; i++) {
		v = table__get_composite(t, UINT64_MAX, same_name, &names[i], &keys[i], &created);
		if (!ASSERT_TRUE(v && created, "inserted"))
			goto out;
		*v = names[i];
	}
	ASSERT_EQ(keys[0], UINT64_MAX, "the first at its hash");
	ASSERT_EQ(keys[1], 1, "the next past the wrap, not 0");
	ASSERT_EQ(keys[2], 2, "then the one after");
	for (int i = 2; i >= 0; i--) {
		v = table__get_composite(t, UINT64_MAX, same_name, &names[i], &key, &created);
		ASSERT_TRUE(v && !created && *v == names[i] && key == keys[i], "found again, each its own");
	}
	v = table__get_composite(t, 0, same_name, &names[0], &key, &created);
	ASSERT_TRUE(v && created && key == 3, "a hash of 0 starts at 1: past the taken 1 and 2");
	ASSERT_EQ(table__len(t), 4, "four values");
out:
	table__free(t);
}
