/*
 * The page-number map (see pagemap.h).  Growth doubles the capacity when
 * an insert would take the load above one half, rehashing every key under
 * the same hash key.  Removal is Knuth's algorithm R: the slots after the
 * freed one move back when their home is at or before the hole, so a
 * lookup's run never has a gap.
 */
#include "util/pagemap.h"

#include <errno.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/siphash.h"

#define PAGEMAP_MIN 16

static struct pagemap_slot *alloc_slots(size_t cap)
{
	struct pagemap_slot *s = host_alloc(NULL, cap * sizeof(*s));

	if (s)
		for (size_t i = 0; i < cap; i++)
			s[i].key = PAGEMAP_EMPTY;
	return s;
}

static unsigned log2_exact(size_t cap)
{
	return (unsigned)__builtin_ctzll((unsigned long long)cap);
}

int pagemap_init(struct pagemap *pm, size_t hint)
{
	siphash_key_t k;
	size_t cap = PAGEMAP_MIN;

	while (cap < hint * 2 && cap < ((size_t)1 << 40))
		cap <<= 1;
	siphash_host_key(&k);
	*pm = (struct pagemap){ .xor = k.key[0] ^ k.key[1], .mask = cap - 1,
				.shift = 64 - log2_exact(cap) };
	pm->slots = alloc_slots(cap);
	return pm->slots ? 0 : -ENOMEM;
}

void pagemap_destroy(struct pagemap *pm)
{
	if (pm->slots)
		host_free(NULL, pm->slots, (size_t)(pm->mask + 1) * sizeof(*pm->slots));
	pm->slots = NULL;
	pm->nr = 0;
}

static int grow(struct pagemap *pm)
{
	size_t old_cap = (size_t)pm->mask + 1, cap = old_cap * 2;
	struct pagemap_slot *old = pm->slots, *s = alloc_slots(cap);

	if (!s)
		return -ENOMEM;
	pm->slots = s;
	pm->mask = cap - 1;
	pm->shift = 64 - log2_exact(cap);
	for (size_t i = 0; i < old_cap; i++) {
		uint64_t j;

		if (old[i].key == PAGEMAP_EMPTY)
			continue;
		for (j = pagemap_home(pm, old[i].key); s[j].key != PAGEMAP_EMPTY; j = (j + 1) & pm->mask)
			;
		s[j] = old[i];
	}
	host_free(NULL, old, old_cap * sizeof(*old));
	return 0;
}

struct pagemap_slot *pagemap_insert(struct pagemap *pm, uint64_t key, uint64_t val, bool *added)
{
	uint64_t i;

	*added = false;
	for (i = pagemap_home(pm, key);; i = (i + 1) & pm->mask) {
		if (pm->slots[i].key == key)
			return &pm->slots[i];
		if (pm->slots[i].key == PAGEMAP_EMPTY)
			break;
	}
	if ((pm->nr + 1) * 2 > pm->mask + 1) {
		if (grow(pm))
			return NULL;
		for (i = pagemap_home(pm, key); pm->slots[i].key != PAGEMAP_EMPTY; i = (i + 1) & pm->mask)
			;
	}
	pm->slots[i] = (struct pagemap_slot){ key, val };
	pm->nr++;
	*added = true;
	return &pm->slots[i];
}

bool pagemap_remove(struct pagemap *pm, uint64_t key)
{
	struct pagemap_slot *s = pagemap_find(pm, key);
	uint64_t hole, j;

	if (!s)
		return false;
	hole = (uint64_t)(s - pm->slots);
	for (j = (hole + 1) & pm->mask; pm->slots[j].key != PAGEMAP_EMPTY; j = (j + 1) & pm->mask) {
		uint64_t home = pagemap_home(pm, pm->slots[j].key);

		/* the entry at j may fill the hole when its home is not in (hole, j] */
		if (((j - home) & pm->mask) >= ((j - hole) & pm->mask)) {
			pm->slots[hole] = pm->slots[j];
			hole = j;
		}
	}
	pm->slots[hole].key = PAGEMAP_EMPTY;
	pm->nr--;
	return true;
}

void pagemap_for_each(const struct pagemap *pm, void (*fn)(void *arg, uint64_t key, uint64_t *val),
		      void *arg)
{
	for (uint64_t i = 0; pm->slots && i <= pm->mask; i++)
		if (pm->slots[i].key != PAGEMAP_EMPTY)
			fn(arg, pm->slots[i].key, &pm->slots[i].val);
}

int pagemap_check(const struct pagemap *pm, struct vmsim_error *err)
{
	size_t n = 0;

	for (uint64_t i = 0; i <= pm->mask; i++) {
		uint64_t key = pm->slots[i].key;

		if (key == PAGEMAP_EMPTY)
			continue;
		n++;
		for (uint64_t j = pagemap_home(pm, key); j != i; j = (j + 1) & pm->mask)
			if (pm->slots[j].key == PAGEMAP_EMPTY)
				return verr(err, -EFAULT, "pagemap: key %#llx at slot %llu is cut off "
					    "from its home slot %llu by a free slot",
					    (unsigned long long)key, (unsigned long long)i,
					    (unsigned long long)pagemap_home(pm, key));
	}
	if (n != pm->nr || pm->nr * 2 > pm->mask + 1)
		return verr(err, -EFAULT, "pagemap: %zu keys counted, %zu recorded, capacity %llu",
			    n, pm->nr, (unsigned long long)pm->mask + 1);
	return 0;
}
