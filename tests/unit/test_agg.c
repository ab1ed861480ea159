// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Groups: state x process x port x role, their counts and open sockets. */
#include <stdlib.h>
#include "check.h"
#include "agg.h"

#define S 1000000000ULL

static struct group_key key(uint8_t state, uint8_t role, uint16_t port, uint32_t pid,
			    const char *comm)
{
	struct group_key k = { .state = state, .role = role, .port = port, .pid = pid };

	memcpy(k.comm, comm, strnlen(comm, sizeof(k.comm) - 1));
	return k;
}

static uint64_t group(struct agg *a, uint8_t state, uint16_t port, uint32_t pid,
		      const char *comm)
{
	struct group_key k = key(state, ROLE_SERVER, port, pid, comm);
	bool created;

	return agg__group(a, &k, &created);
}

TEST(agg_group_identity)
{
	struct agg *a = agg__new();
	struct group_key k = key(TCPWT_CLOSE_WAIT, ROLE_SERVER, 80, 1, "nginx");
	uint64_t ids[7];
	bool created;
	struct group *g;

	ids[0] = agg__group(a, &k, &created);
	ASSERT_TRUE(created, "created on first use");
	ASSERT_NEQ(ids[0], 0, "id");
	ASSERT_EQ(agg__group(a, &k, &created), ids[0], "same key, same id");
	ASSERT_FALSE(created, "not created again");
	ids[1] = group(a, TCPWT_TIME_WAIT, 80, 1, "nginx");
	ids[2] = group(a, TCPWT_CLOSE_WAIT, 81, 1, "nginx");
	ids[3] = group(a, TCPWT_CLOSE_WAIT, 80, 2, "nginx");
	ids[4] = group(a, TCPWT_CLOSE_WAIT, 80, 1, "nginy");
	ids[5] = group(a, TCPWT_CLOSE_WAIT, 80, 0, "nginx");
	k.role = ROLE_CLIENT;
	ids[6] = agg__group(a, &k, &created);
	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		for (size_t j = 0; j < i; j++)
			if (!ASSERT_NEQ(ids[i], ids[j], "state, port, pid, comm, role: each its group"))
				printf("    groups %zu and %zu\n", j, i);
	ASSERT_EQ(agg__len(a), 7, "groups");
	g = agg__find(a, ids[6]);
	if (ASSERT_TRUE(g, "find")) {
		ASSERT_EQ(g->key.role, ROLE_CLIENT, "key kept");
		ASSERT_STREQ(g->key.comm, "nginx", "comm kept");
		ASSERT_EQ(g->hist.count, 0, "empty histogram");
	}
	ASSERT_TRUE(agg__find(a, 12345) == NULL, "unknown id");
	agg__free(a);
}

/* comm is a string of at most 15 bytes: what follows its end is no part of it. */
TEST(agg_comm_is_a_string)
{
	struct agg *a = agg__new();
	struct group_key k1 = key(TCPWT_CLOSE_WAIT, ROLE_SERVER, 80, 1, "abcdefghijklmno");
	struct group_key k2 = k1, k3 = key(TCPWT_CLOSE_WAIT, ROLE_SERVER, 80, 1, "nginx");
	struct group_key k4 = k3;
	bool created;
	uint64_t id1, id3;

	k1.comm[15] = 'p';
	k2.comm[15] = 'q';
	id1 = agg__group(a, &k1, &created);
	ASSERT_EQ(agg__group(a, &k2, &created), id1, "only the first 15 bytes count");
	ASSERT_EQ(strlen(agg__find(a, id1)->key.comm), 15, "stored terminated");
	id3 = agg__group(a, &k3, &created);
	/* "nginx\0" then stale bytes, as a reused buffer may hold. */
	memcpy(k4.comm + 6, "stale", 5);
	ASSERT_EQ(agg__group(a, &k4, &created), id3, "bytes after the NUL ignored");
	ASSERT_EQ(agg__len(a), 2, "no duplicate group for the same name");
	agg__free(a);
}

TEST(agg_many_groups)
{
	struct agg *a = agg__new();
	uint64_t *ids = calloc(20000, sizeof(*ids));
	char comm[16];

	for (int i = 0; i < 20000; i++) {
		snprintf(comm, sizeof(comm), "p%d", i % 7);
		ids[i] = group(a, i % 2 ? TCPWT_CLOSE_WAIT : TCPWT_TIME_WAIT, i % 1000, i / 2,
			       comm);
		if (!ASSERT_NEQ(ids[i], 0, "id"))
			goto out;
	}
	ASSERT_EQ(agg__len(a), 20000, "every key its group");
	for (int i = 0; i < 20000; i++) {
		struct group *g = agg__find(a, ids[i]);

		snprintf(comm, sizeof(comm), "p%d", i % 7);
		if (!ASSERT_TRUE(g && g->key.pid == (uint32_t)i / 2 && g->key.port == i % 1000 &&
					 !strcmp(g->key.comm, comm),
				 "find by id gives that key") ||
		    !ASSERT_EQ(group(a, i % 2 ? TCPWT_CLOSE_WAIT : TCPWT_TIME_WAIT, i % 1000, i / 2,
				     comm),
			       ids[i], "stable id"))
			break;
	}
out:
	free(ids);
	agg__free(a);
}

TEST(agg_complete)
{
	struct agg *a = agg__new();
	uint64_t tw = group(a, TCPWT_TIME_WAIT, 443, 7, "curl");
	uint64_t cw = group(a, TCPWT_CLOSE_WAIT, 80, 7, "curl");
	struct group *g;

	ASSERT_EQ(agg__complete(a, tw, 60 * S, TW_END_EXPIRED), 0, "complete");
	agg__complete(a, tw, 61 * S, TW_END_EXPIRED);
	agg__complete(a, tw, 2 * S, TW_END_KILLED);
	agg__complete(a, tw, 4 * S, TW_END_TAKEN_OVER);
	agg__complete(a, tw, 3 * S, TW_END_NONE);
	agg__complete(a, cw, 5 * S, TW_END_NONE);
	ASSERT_NEQ(agg__complete(a, 424242, 1, TW_END_KILLED), 0, "unknown id refused");
	g = agg__find(a, tw);
	ASSERT_EQ(g->hist.count, 5, "completed");
	ASSERT_EQ(g->expired, 2, "expired");
	ASSERT_EQ(g->killed, 2, "killed, taken over or not");
	ASSERT_EQ(g->taken_over, 1, "taken over");
	ASSERT_EQ(g->hist.min_ns, 2 * S, "min");
	ASSERT_EQ(g->hist.max_ns, 61 * S, "max");
	g = agg__find(a, cw);
	ASSERT_EQ(g->hist.count, 1, "CLOSE_WAIT completed");
	ASSERT_EQ(g->expired + g->killed + g->taken_over, 0, "no TIME_WAIT end");
	agg__free(a);
}

TEST(agg_open)
{
	struct agg *a = agg__new();
	uint64_t id = group(a, TCPWT_CLOSE_WAIT, 8080, 5, "java");
	struct group *g = agg__find(a, id);

	agg__reset_open(a);
	ASSERT_EQ(g->open, 0, "nothing open");
	agg__add_open(a, id, 5 * S, false, false, false);
	ASSERT_EQ(g->open, 1, "one");
	ASSERT_EQ(g->oldest_open_ns, 5 * S, "oldest");
	ASSERT_FALSE(g->oldest_is_lower_bound, "measured");
	agg__add_open(a, id, 9 * S, true, true, false);
	ASSERT_EQ(g->oldest_open_ns, 9 * S, "older one");
	ASSERT_TRUE(g->oldest_is_lower_bound, "the oldest's age is a lower bound");
	ASSERT_EQ(g->open_seeded, 1, "seeded");
	agg__add_open(a, id, 7 * S, false, false, false);
	ASSERT_EQ(g->oldest_open_ns, 9 * S, "a younger one changes nothing");
	ASSERT_TRUE(g->oldest_is_lower_bound, "flag stays the oldest's");
	agg__add_open(a, id, 12 * S, false, false, true);
	ASSERT_EQ(g->open, 4, "four");
	ASSERT_EQ(g->oldest_open_ns, 12 * S, "oldest");
	ASSERT_FALSE(g->oldest_is_lower_bound, "the new oldest is measured");
	ASSERT_TRUE(g->oldest_is_estimate, "and estimated");
	agg__add_open(a, 98765, 100 * S, false, false, false); /* unknown: ignored */
	agg__reset_open(a);
	ASSERT_EQ(g->open, 0, "reset");
	ASSERT_EQ(g->open_seeded, 0, "reset seeded");
	ASSERT_EQ(g->oldest_open_ns, 0, "reset oldest");
	ASSERT_FALSE(g->oldest_is_lower_bound || g->oldest_is_estimate, "reset flags");
	agg__free(a);
}

TEST(agg_sorted)
{
	struct agg *a = agg__new();
	uint64_t tw_big = group(a, TCPWT_TIME_WAIT, 1, 1, "a");
	uint64_t tw_small = group(a, TCPWT_TIME_WAIT, 9, 9, "z");
	uint64_t cw_small = group(a, TCPWT_CLOSE_WAIT, 2, 2, "b");
	uint64_t cw_big = group(a, TCPWT_CLOSE_WAIT, 3, 3, "c");
	uint64_t cw_open = group(a, TCPWT_CLOSE_WAIT, 5, 5, "d");
	struct group **v;
	size_t n;

	group(a, TCPWT_CLOSE_WAIT, 4, 4, "empty");
	group(a, TCPWT_TIME_WAIT, 4, 4, "empty");
	for (int i = 0; i < 50; i++)
		agg__complete(a, tw_big, S, TW_END_EXPIRED);
	agg__complete(a, tw_small, S, TW_END_KILLED);
	agg__complete(a, cw_small, S, TW_END_NONE);
	for (int i = 0; i < 3; i++)
		agg__complete(a, cw_big, S, TW_END_NONE);
	agg__complete(a, cw_open, S, TW_END_NONE);
	agg__add_open(a, cw_open, S, false, false, false);
	agg__add_open(a, cw_open, S, false, false, false);
	n = agg__sorted(a, &v);
	if (ASSERT_EQ(n, 5, "empty groups left out")) {
		ASSERT_EQ(v[0]->key.port, 3, "CLOSE_WAIT first, most sockets first (3 done)");
		ASSERT_EQ(v[1]->key.port, 5, "open ones count (1 done + 2 open)");
		ASSERT_EQ(v[2]->key.port, 2, "then 1");
		ASSERT_EQ(v[3]->key.port, 1, "TIME_WAIT after all CLOSE_WAIT, 50 first");
		ASSERT_EQ(v[4]->key.port, 9, "then 1");
		for (size_t i = 0; i < n; i++)
			ASSERT_NEQ(strcmp(v[i]->key.comm, "empty"), 0, "no empty group");
	}
	free(v);
	agg__free(a);
	a = agg__new();
	n = agg__sorted(a, &v);
	ASSERT_EQ(n, 0, "nothing to sort");
	ASSERT_TRUE(v != NULL, "an array still, to free");
	free(v);
	agg__free(a);
}
