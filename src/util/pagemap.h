/*
 * A map from page numbers to 64-bit values for the replay laboratory's
 * per-page state (the replacement policies' frame slots, the miss-ratio
 * curve's last-use times, OPT's next-use pass): open addressing with
 * linear probing over (key, value) pairs, no pointers, no per-item
 * allocation, 16 bytes a slot.
 *
 * The hash is Fibonacci hashing of the page number's group of 8: the
 * group, xored with a random key drawn from the host's AT_RANDOM bytes
 * (util/siphash.h), times 2^64 / golden ratio, the product's top bits the
 * home group (at most 8 keys share a home group by their low bits).  The
 * golden ratio's multiple spreads any dense range of groups (a program's
 * pages) evenly over the table, so runs stay a slot or two long; a random
 * multiplier (tried before) folded such a range onto a few runs hundreds
 * of slots long for some of its values, and a full mixing function,
 * uniform but no better than random, walked twice the slots of this one on
 * the replay's traces.  The xor key keeps the homes unpredictable; a trace
 * built against the fixed multiplier (pages at strides of a Fibonacci
 * number of groups) can still make long runs, which costs its own replay
 * time and nothing else.  Nothing a user sees depends on the slot order
 * (there is no iteration in key order).
 *
 * Invariant (pagemap_check()): every key sits in the run of occupied slots
 * that starts at its home slot, nr counts them, nr * 2 <= capacity after
 * every insert; removal shifts the run back (no tombstones).  The key
 * PAGEMAP_EMPTY (all ones) is not a page number and cannot be stored.
 */
#ifndef VMSIM_UTIL_PAGEMAP_H
#define VMSIM_UTIL_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmsim_error;

#define PAGEMAP_EMPTY (~0ULL)
#define PAGEMAP_GOLDEN 0x9e3779b97f4a7c15ULL	/* 2^64 / golden ratio, odd */

struct pagemap_slot {
	uint64_t key;		/* PAGEMAP_EMPTY: free */
	uint64_t val;
};

struct pagemap {
	struct pagemap_slot *slots;
	uint64_t mask;		/* capacity - 1 */
	unsigned shift;		/* 64 - log2(capacity) */
	uint64_t xor;		/* the hash's key */
	size_t nr;
};

/* An empty map with room for @hint keys before it grows.  0 or -ENOMEM. */
int pagemap_init(struct pagemap *pm, size_t hint);
void pagemap_destroy(struct pagemap *pm);

/* Pages in one aligned group of 8 keep their order in neighbouring slots
 * (a trace walking through memory then walks through the map, a cache
 * line at a time); the groups are scattered by the keyed hash. */
static inline uint64_t pagemap_home(const struct pagemap *pm, uint64_t key)
{
	uint64_t h = ((key >> 3) ^ pm->xor) * PAGEMAP_GOLDEN;

	return (((h >> (pm->shift + 3)) << 3) | (key & 7)) & pm->mask;
}

/* The slot holding @key, or NULL. */
static inline struct pagemap_slot *pagemap_find(const struct pagemap *pm, uint64_t key)
{
	for (uint64_t i = pagemap_home(pm, key);; i = (i + 1) & pm->mask) {
		struct pagemap_slot *s = &pm->slots[i];

		if (s->key == key)
			return s;
		if (s->key == PAGEMAP_EMPTY)
			return NULL;
	}
}

/*
 * The slot of @key, added with value @val when it was not there (*added
 * true).  NULL when the map had to grow and the host refused (-ENOMEM):
 * the map is unchanged then.  A returned slot stays valid until the next
 * insert or removal.
 */
struct pagemap_slot *pagemap_insert(struct pagemap *pm, uint64_t key, uint64_t val, bool *added);

/* Take @key out; false when it was not there. */
bool pagemap_remove(struct pagemap *pm, uint64_t key);

/* Call @fn on every (key, value), in slot order (callers that show the
 * result must not depend on it). */
void pagemap_for_each(const struct pagemap *pm, void (*fn)(void *arg, uint64_t key, uint64_t *val),
		      void *arg);

/* Host bytes the map holds (the replay lab's bytes per distinct page). */
static inline size_t pagemap_bytes(const struct pagemap *pm)
{
	return pm->slots ? (size_t)(pm->mask + 1) * sizeof(struct pagemap_slot) : 0;
}

/* The invariant above: 0, or -EFAULT with @err. */
int pagemap_check(const struct pagemap *pm, struct vmsim_error *err);

#endif
