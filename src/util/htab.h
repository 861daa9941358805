/*
 * A hash table of pointers: open addressing with linear probing, the
 * capacity a power of two kept at least twice the number of items (so a
 * lookup examines about two slots), grown and shrunk by rehashing.  Each
 * slot keeps the item's 64-bit hash next to the pointer, so a probe
 * compares hashes before the caller compares keys, and a rehash needs no
 * callback.  Hashes are SipHash under a key from the host (AT_RANDOM,
 * util/siphash.h), so crafted input cannot pile keys into one run of
 * slots.
 *
 * The table does not know what the keys are: the caller hashes its key
 * with htab_hash(), inserts the item under that hash, and on lookup walks
 * the items of equal hash with htab_for_each_possible(), comparing keys
 * itself.  Several items may share a key.  There is deliberately no walk
 * over all items: the slot order depends on the key, and nothing a user
 * sees may depend on it (owners keep their own lists for that).
 *
 * Invariant (htab_check()): every item sits in the run of occupied slots
 * that starts at its home slot (hash & mask), nr counts the items, and
 * nr * 2 <= capacity.
 */
#ifndef VMSIM_UTIL_HTAB_H
#define VMSIM_UTIL_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/siphash.h"

struct host_arena;
struct vmsim_error;

struct htab_slot {
	uint64_t hash;
	void *item;			/* NULL: the slot is free */
};

struct htab {
	struct htab_slot *slots;	/* NULL until the first insert */
	size_t mask;			/* capacity - 1 */
	size_t nr;			/* items */
	struct host_arena *ha;
	siphash_key_t key;
	unsigned long probes;		/* slots examined by lookups and inserts, for the
					 * tests and benchmarks that check the cost */
};

struct htab_iter {
	uint64_t hash;
	size_t pos;
};

/* An empty table whose slots come from @ha (NULL: the default arena). */
void htab_init(struct htab *h, struct host_arena *ha);
/* Free the slots; the items are the caller's.  The table is empty after. */
void htab_destroy(struct htab *h);

/* The table's hash of @len bytes. */
uint64_t htab_hash(const struct htab *h, const void *data, size_t len);

static inline uint64_t htab_hash_str(const struct htab *h, const char *s)
{
	return htab_hash(h, s, strlen(s));
}

static inline uint64_t htab_hash_u64(const struct htab *h, uint64_t v)
{
	return htab_hash(h, &v, sizeof(v));
}

/* Add non-NULL @item under @hash (an equal key may already be there).
 * 0, or -ENOMEM with the table unchanged. */
int htab_insert(struct htab *h, uint64_t hash, void *item);
/* Take @item (the pointer itself) out; false if it is not in the table. */
bool htab_remove(struct htab *h, uint64_t hash, const void *item);

/* The first / next item stored under @hash, NULL after the last.  The
 * table must not change between htab_first() and the last htab_next(). */
void *htab_first(struct htab *h, uint64_t hash, struct htab_iter *it);
void *htab_next(struct htab *h, struct htab_iter *it);

#define htab_for_each_possible(h, hashval, it, item) \
	for ((item) = htab_first((h), (hashval), &(it)); (item); (item) = htab_next((h), &(it)))

/* Structure check (see the invariant above): 0, or -EFAULT with @err. */
int htab_check(const struct htab *h, struct vmsim_error *err);

#endif
