/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_TABLE_H
#define TCPWT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Open-addressing hash table from non-zero 64-bit keys to fixed-size values,
 * stored inline: 8 bytes plus the value per entry, at most 70% full. Value
 * pointers stay valid until the next insert or delete. A resize moves the
 * entries to their new array a few per insert or delete, not all at once;
 * meanwhile both arrays count in table__bytes().
 */
struct table;

struct table *table__new(size_t val_size);
void table__free(struct table *t);
void *table__find(const struct table *t, uint64_t key);
/* Finds or inserts (zeroed) the value of key; NULL when out of memory. */
void *table__get(struct table *t, uint64_t key, bool *created);
bool table__delete(struct table *t, uint64_t key);
/*
 * Hints for a lookup of key coming soon, so that its cache misses overlap
 * other work (the table may change meanwhile, at no risk but a wasted
 * fetch): first the keys where its probe starts; later, once those are in
 * cache, the value where it will end (key's, or the free slot an insert
 * would take).
 */
void table__prefetch(const struct table *t, uint64_t key);
void table__prefetch_value(const struct table *t, uint64_t key);
size_t table__len(const struct table *t);
size_t table__bytes(const struct table *t);
/* Iterates: start with *pos = 0; no inserts or deletes meanwhile. */
void *table__next(const struct table *t, size_t *pos, uint64_t *key);

/* 64-bit hash of bytes, never 0, for composite keys. */
uint64_t table__hash(const void *data, size_t len);
/*
 * For values named by more than a 64-bit key (a composite one, hashed):
 * finds the value at hash for which same(value, arg), past others with that
 * hash (the next keys), or inserts it (zeroed, *created) at the first free
 * one. Its key in *key. NULL when out of memory.
 */
void *table__get_composite(struct table *t, uint64_t hash,
			   bool (*same)(const void *val, const void *arg), const void *arg,
			   uint64_t *key, bool *created);

#endif
