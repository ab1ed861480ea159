// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pool of shared addresses: counted ids, used again once forgotten. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include "addrpool.h"
#include "check.h"

static void v4(uint8_t *a, uint32_t host_order)
{
	uint32_t n = htonl(host_order);

	memset(a, 0, 16);
	memcpy(a, &n, 4);
}

TEST(addrpool_refs)
{
	struct addr_pool *p = addr_pool__new();
	uint8_t a[16], b[16];
	uint16_t ia, ia2, ib, i6;

	if (!ASSERT_TRUE(p, "pool"))
		return;
	v4(a, 0x7f000001);
	v4(b, 0x0a000001);
	ia = addr_pool__get(p, AF_INET, a);
	ia2 = addr_pool__get(p, AF_INET, a);
	ib = addr_pool__get(p, AF_INET, b);
	/* The same 16 bytes as another family: another address. */
	i6 = addr_pool__get(p, AF_INET6, a);
	ASSERT_TRUE(ia && ib && i6, "ids given");
	ASSERT_EQ(ia2, ia, "the same address, the same id");
	ASSERT_TRUE(ib != ia && i6 != ia && i6 != ib, "other addresses, other ids");
	ASSERT_EQ(addr_pool__len(p), 3, "three kept");
	ASSERT_TRUE(addr_pool__addr(p, ib) && !memcmp(addr_pool__addr(p, ib), b, 16),
		    "its bytes");
	ASSERT_TRUE(!addr_pool__addr(p, 0), "0 names none");
	addr_pool__put(p, 0);
	addr_pool__put(p, ia);
	ASSERT_EQ(addr_pool__len(p), 3, "kept while referenced");
	ASSERT_TRUE(addr_pool__addr(p, ia) != NULL, "still there");
	addr_pool__put(p, ia);
	ASSERT_EQ(addr_pool__len(p), 2, "forgotten with its last reference");
	ASSERT_TRUE(!addr_pool__addr(p, ia), "its id names nothing");
	addr_pool__put(p, ia); /* one too many: ignored */
	ASSERT_EQ(addr_pool__len(p), 2, "an extra put changes nothing");
	/* Asked for again once forgotten: kept again, as new. */
	ia2 = addr_pool__get(p, AF_INET, a);
	ASSERT_EQ(addr_pool__len(p), 3, "kept again");
	addr_pool__put(p, ia2);
	ASSERT_EQ(addr_pool__len(p), 2, "and forgotten again");
	v4(b, 0x7f000002);
	ASSERT_EQ(addr_pool__get(p, AF_INET, b), ia2, "a new address takes the freed id");
	ASSERT_TRUE(!memcmp(addr_pool__addr(p, ia2), b, 16), "with its own bytes");
	/* The first address, whose id another holds now, gets another. */
	ia = addr_pool__get(p, AF_INET, a);
	ASSERT_TRUE(ia && ia != ia2, "another id");
	ASSERT_TRUE(!memcmp(addr_pool__addr(p, ia), a, 16), "its bytes");
	ASSERT_TRUE(!memcmp(addr_pool__addr(p, ia2), b, 16), "the other's unchanged");
	addr_pool__free(p);
}

/* 65,535 addresses at most; past that, 0 until one is forgotten. */
TEST(addrpool_full)
{
	struct addr_pool *p = addr_pool__new();
	uint8_t a[16];
	uint16_t id = 0, last = 0;
	bool all = true;

	if (!ASSERT_TRUE(p, "pool"))
		return;
	for (uint32_t i = 0; i < UINT16_MAX; i++) {
		v4(a, 0x0a000000 + i);
		id = addr_pool__get(p, AF_INET, a);
		all = all && id == i + 1;
		last = id;
	}
	ASSERT_TRUE(all, "ids 1 to 65535, in order");
	ASSERT_EQ(addr_pool__len(p), UINT16_MAX, "all kept");
	v4(a, 0x0b000000);
	ASSERT_EQ(addr_pool__get(p, AF_INET, a), 0, "full: not kept");
	ASSERT_EQ(addr_pool__len(p), UINT16_MAX, "nothing added");
	v4(a, 0x0a000000 + 7);
	ASSERT_EQ(addr_pool__get(p, AF_INET, a), 8, "one already kept is still found");
	addr_pool__put(p, 8);
	addr_pool__put(p, last);
	v4(a, 0x0b000000);
	ASSERT_EQ(addr_pool__get(p, AF_INET, a), last, "a freed id serves again");
	ASSERT_TRUE(addr_pool__bytes(p) < 8u << 20, "a full pool stays under 8 MB");
	addr_pool__free(p);
}
