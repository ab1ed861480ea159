/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_ADDRPOOL_H
#define TCPWT_ADDRPOOL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Addresses many records share, each kept once and named by a 16-bit id:
 * a host's timewait sockets come from a handful of local addresses, so a
 * record keeps 2 bytes instead of 16. Ids are counted references; an
 * address whose last reference goes is forgotten and its id used again.
 * Id 0 names no address: the pool is full (65,535 addresses), out of
 * memory, or another address has the same 64-bit hash.
 */
struct addr_pool;

struct addr_pool *addr_pool__new(void);
void addr_pool__free(struct addr_pool *p);
/* A reference to the address (16 bytes, an IPv4 one in the first 4): its id, or 0. */
uint16_t addr_pool__get(struct addr_pool *p, uint8_t family, const uint8_t *addr);
/* Drops a reference taken by addr_pool__get(); 0 is ignored. */
void addr_pool__put(struct addr_pool *p, uint16_t id);
/* The 16 bytes of the address id names; NULL for 0. */
const uint8_t *addr_pool__addr(const struct addr_pool *p, uint16_t id);
/* Addresses kept now. */
size_t addr_pool__len(const struct addr_pool *p);
size_t addr_pool__bytes(const struct addr_pool *p);

#endif
