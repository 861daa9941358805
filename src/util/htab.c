/*
 * The hash table (see htab.h).  Linear probing with deletion by backward
 * shift (Knuth 6.4, algorithm R): removing an item pulls later items of
 * the run back into the hole when their home slot allows it, so there are
 * no tombstones and a lookup stops at the first free slot.
 *
 * Invariant: for every item at slot i with home slot h, every slot from h
 * up to i (cyclically) is occupied; nr is the number of items and
 * 2 * nr <= capacity, so every run ends at a free slot.
 */
#include "util/htab.h"

#include <errno.h>

#include "util/error.h"
#include "util/hostalloc.h"

#define HTAB_MIN_SLOTS 8

void htab_init(struct htab *h, struct host_arena *ha)
{
	memset(h, 0, sizeof(*h));
	h->ha = ha;
	siphash_host_key(&h->key);
}

static size_t capacity(const struct htab *h)
{
	return h->slots ? h->mask + 1 : 0;
}

void htab_destroy(struct htab *h)
{
	if (h->slots)
		host_free(h->ha, h->slots, capacity(h) * sizeof(*h->slots));
	h->slots = NULL;
	h->mask = 0;
	h->nr = 0;
}

uint64_t htab_hash(const struct htab *h, const void *data, size_t len)
{
	return siphash(data, len, &h->key);
}

/* Put @hash/@item in the first free slot of its run (no resize). */
static void place(struct htab_slot *slots, size_t mask, uint64_t hash, void *item,
		  unsigned long *probes)
{
	size_t i = (size_t)hash & mask;

	for (;; i = (i + 1) & mask) {
		(*probes)++;
		if (!slots[i].item)
			break;
	}
	slots[i].hash = hash;
	slots[i].item = item;
}

/* Move every item into a table of @cap slots.  0 or -ENOMEM (unchanged). */
static int rehash(struct htab *h, size_t cap)
{
	struct htab_slot *ns = host_zalloc(h->ha, cap * sizeof(*ns));
	size_t old = capacity(h);

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < old; i++)
		if (h->slots[i].item)
			place(ns, cap - 1, h->slots[i].hash, h->slots[i].item, &h->probes);
	if (h->slots)
		host_free(h->ha, h->slots, old * sizeof(*h->slots));
	h->slots = ns;
	h->mask = cap - 1;
	return 0;
}

int htab_insert(struct htab *h, uint64_t hash, void *item)
{
	size_t cap = capacity(h);

	if ((h->nr + 1) * 2 > cap) {
		int ret = rehash(h, cap ? cap * 2 : HTAB_MIN_SLOTS);

		if (ret)
			return ret;
	}
	place(h->slots, h->mask, hash, item, &h->probes);
	h->nr++;
	return 0;
}

bool htab_remove(struct htab *h, uint64_t hash, const void *item)
{
	size_t i, j, mask = h->mask;

	if (!h->slots)
		return false;
	for (i = (size_t)hash & mask;; i = (i + 1) & mask) {
		h->probes++;
		if (!h->slots[i].item)
			return false;
		if (h->slots[i].item == item)
			break;
	}
	/* backward shift: an item at j may move into the hole at i unless
	 * its home k lies cyclically in (i, j] */
	for (j = (i + 1) & mask; h->slots[j].item; j = (j + 1) & mask) {
		size_t k = (size_t)h->slots[j].hash & mask;

		if (((j - k) & mask) >= ((j - i) & mask)) {
			h->slots[i] = h->slots[j];
			i = j;
		}
	}
	h->slots[i].item = NULL;
	h->slots[i].hash = 0;
	h->nr--;
	/* give memory back when most of it is idle; a failed shrink is
	 * harmless: the table stays as it is */
	if (h->nr == 0)
		htab_destroy(h);
	else if (capacity(h) > HTAB_MIN_SLOTS && h->nr * 8 < capacity(h))
		(void)rehash(h, capacity(h) / 2);
	return true;
}

void *htab_first(struct htab *h, uint64_t hash, struct htab_iter *it)
{
	it->hash = hash;
	it->pos = (size_t)hash & h->mask;
	if (!h->slots)
		return NULL;
	it->pos = (it->pos - 1) & h->mask;
	return htab_next(h, it);
}

void *htab_next(struct htab *h, struct htab_iter *it)
{
	if (!h->slots)
		return NULL;
	for (;;) {
		it->pos = (it->pos + 1) & h->mask;
		h->probes++;
		if (!h->slots[it->pos].item)
			return NULL;
		if (h->slots[it->pos].hash == it->hash)
			return h->slots[it->pos].item;
	}
}

int htab_check(const struct htab *h, struct vmsim_error *err)
{
	size_t cap = capacity(h), n = 0;

	for (size_t i = 0; i < cap; i++) {
		const struct htab_slot *s = &h->slots[i];

		if (!s->item)
			continue;
		n++;
		for (size_t k = (size_t)s->hash & h->mask; k != i; k = (k + 1) & h->mask)
			if (!h->slots[k].item)
				return verr(err, -EFAULT, "htab: the item in slot %zu is cut off from "
					    "its home slot %zu by the free slot %zu", i,
					    (size_t)s->hash & h->mask, k);
	}
	if (n != h->nr)
		return verr(err, -EFAULT, "htab: %zu items counted, %zu in the slots", h->nr, n);
	if (n * 2 > cap)
		return verr(err, -EFAULT, "htab: %zu items in %zu slots", n, cap);
	return 0;
}
