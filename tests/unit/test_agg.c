// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "check.h"
#include "agg.h"

static uint64_t group(struct agg *a, uint8_t state, uint16_t port, uint32_t pid, const char *comm)
{
	struct group_key k = { .state = state, .role = ROLE_SERVER, .port = port, .pid = pid };
	bool created;

	strncpy(k.comm, comm, sizeof(k.comm) - 1);
	return agg__group(a, &k, &created);
}

TEST(agg_group_identity)
{
	struct agg *a = agg__new();
	uint64_t g1 = group(a, TCPWT_CLOSE_WAIT, 80, 1, "nginx");

	ASSERT_EQ(group(a, TCPWT_CLOSE_WAIT, 80, 1, "nginx"), g1, "same key, same group");
	ASSERT_NEQ(group(a, TCPWT_TIME_WAIT, 80, 1, "nginx"), g1, "state");
	ASSERT_NEQ(group(a, TCPWT_CLOSE_WAIT, 81, 1, "nginx"), g1, "port");
	ASSERT_NEQ(group(a, TCPWT_CLOSE_WAIT, 80, 2, "nginx"), g1, "pid");
	ASSERT_NEQ(group(a, TCPWT_CLOSE_WAIT, 80, 1, "nginy"), g1, "comm");
	ASSERT_EQ(agg__len(a), 5, "groups");
	agg__free(a);
}

TEST(agg_counts_and_open)
{
	struct agg *a = agg__new();
	uint64_t tw = group(a, TCPWT_TIME_WAIT, 443, 7, "curl");
	struct group *g;

	agg__complete(a, tw, 60000000000ULL, TW_END_EXPIRED);
	agg__complete(a, tw, 2000000000ULL, TW_END_KILLED);
	agg__complete(a, tw, 3000000000ULL, TW_END_KILLED);
	agg__reset_open(a);
	agg__add_open(a, tw, 5, false, false, false);
	agg__add_open(a, tw, 9, true, true, true);
	g = agg__find(a, tw);
	ASSERT_EQ(g->hist.count, 3, "completed");
	ASSERT_EQ(g->expired, 1, "expired");
	ASSERT_EQ(g->killed, 2, "killed");
	ASSERT_EQ(g->open, 2, "open");
	ASSERT_EQ(g->open_seeded, 1, "seeded");
	ASSERT_EQ(g->oldest_open_ns, 9, "oldest");
	ASSERT_TRUE(g->oldest_is_lower_bound && g->oldest_is_estimate, "oldest's labels");
	agg__reset_open(a);
	ASSERT_EQ(g->open, 0, "reset");
	agg__free(a);
}

TEST(agg_sorted)
{
	struct agg *a = agg__new();
	uint64_t tw = group(a, TCPWT_TIME_WAIT, 1, 1, "a");
	uint64_t small = group(a, TCPWT_CLOSE_WAIT, 2, 2, "b");
	uint64_t big = group(a, TCPWT_CLOSE_WAIT, 3, 3, "c");
	struct group **v;
	size_t n;

	group(a, TCPWT_CLOSE_WAIT, 4, 4, "empty");
	for (int i = 0; i < 5; i++)
		agg__complete(a, tw, 1, TW_END_EXPIRED);
	agg__complete(a, small, 1, TW_END_NONE);
	agg__complete(a, big, 1, TW_END_NONE);
	agg__complete(a, big, 1, TW_END_NONE);
	n = agg__sorted(a, &v);
	if (ASSERT_EQ(n, 3, "empty groups left out")) {
		ASSERT_EQ(v[0]->key.port, 3, "CLOSE_WAIT, most sockets first");
		ASSERT_EQ(v[1]->key.port, 2, "then the smaller one");
		ASSERT_EQ(v[2]->key.state, TCPWT_TIME_WAIT, "TIME_WAIT last");
	}
	free(v);
	agg__free(a);
}
