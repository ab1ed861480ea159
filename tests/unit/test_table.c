// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "check.h"
#include "table.h"

#define N 100000

static uint64_t key_of(int i)
{
	return (uint64_t)i * 0x9e3779b97f4a7c15ULL | 1;
}

TEST(table_insert_find_delete)
{
	struct table *t = table__new(sizeof(uint64_t));
	bool created;
	int *order = malloc(N * sizeof(int));

	if (!ASSERT_TRUE(t && order, "alloc"))
		goto out;
	for (int i = 0; i < N; i++) {
		uint64_t *v = table__get(t, key_of(i), &created);

		if (!ASSERT_TRUE(v && created, "insert"))
			goto out;
		*v = i;
	}
	ASSERT_EQ(table__len(t), N, "len");
	for (int i = 0; i < N; i++)
		order[i] = i;
	srand(3);
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	/* Delete half in random order: backward shifts must keep the rest findable. */
	for (int i = 0; i < N / 2; i++)
		ASSERT_TRUE(table__delete(t, key_of(order[i])), "delete");
	for (int i = 0; i < N; i++) {
		uint64_t *v = table__find(t, key_of(order[i]));

		if (i < N / 2) {
			if (!ASSERT_TRUE(!v, "deleted key gone"))
				break;
		} else if (!ASSERT_TRUE(v && *v == (uint64_t)order[i], "kept key and value")) {
			break;
		}
	}
	ASSERT_EQ(table__len(t), N / 2, "len after deletes");
	ASSERT_FALSE(table__delete(t, key_of(order[0])), "second delete");
out:
	free(order);
	table__free(t);
}

TEST(table_churn_small)
{
	struct table *t = table__new(sizeof(int));
	int present[512] = { 0 };
	bool created;

	srand(11);
	for (int step = 0; step < 200000; step++) {
		int k = rand() % 512;

		if (present[k]) {
			ASSERT_TRUE(table__delete(t, k + 1), "delete present");
			present[k] = 0;
		} else {
			int *v = table__get(t, k + 1, &created);

			ASSERT_TRUE(v && created, "insert absent");
			*v = k;
			present[k] = 1;
		}
	}
	for (int k = 0; k < 512; k++) {
		int *v = table__find(t, k + 1);

		if (!ASSERT_EQ(v != NULL, present[k], "membership"))
			break;
		if (v && !ASSERT_EQ(*v, k, "value"))
			break;
	}
	table__free(t);
}

TEST(table_zero_key_and_iteration)
{
	struct table *t = table__new(sizeof(int));
	size_t pos = 0, seen = 0;
	uint64_t key, sum = 0;
	bool created;

	ASSERT_TRUE(!table__get(t, 0, &created), "key 0 refused");
	for (int i = 1; i <= 1000; i++)
		*(int *)table__get(t, i, &created) = i;
	while (table__next(t, &pos, &key)) {
		seen++;
		sum += key;
	}
	ASSERT_EQ(seen, 1000, "each entry once");
	ASSERT_EQ(sum, 500500, "every key");
	ASSERT_NEQ(table__hash("a", 1), table__hash("b", 1), "hash differs");
	ASSERT_NEQ(table__hash("", 0), 0, "hash never 0");
	table__free(t);
}
