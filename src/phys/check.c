/*
 * check_free_lists(): the invariant checker of the buddy allocator, run by
 * the tests after every mutation.  It trusts nothing it checks: lists are
 * walked with a step bound (a cycle is an error, not a hang), and every
 * free frame is marked in a bitmap so overlapping blocks are caught.
 *
 * What holds when it returns 0 (mmzone.h's invariants plus consistency):
 *  - each zone lies inside its node, spanned == present (no holes),
 *    managed <= present;
 *  - every block on free_area[k] is a well-linked list entry, 2^k aligned,
 *    inside its zone, its head PG_buddy with private == k, refcount 0 and
 *    unmapped, no page of it reserved, tail pages not PG_buddy, all pages
 *    linked to this zone and node, no frame in two blocks;
 *  - deferred ranges are max-order aligned, inside the zone, disjoint from
 *    the lists, and their first struct page is still untouched;
 *  - nr_free[k] == list length (+ deferred blocks at max_order), nothing
 *    above max_order, free_pages == sum nr_free[k] << k;
 *  - every initialized PG_buddy page in the zone heads a listed block, and
 *    every initialized page carries this zone's links;
 *  - PG_mlocked pages are in use (not free, referenced) with a non-zero
 *    mlock_count, and the zone's NR_MLOCK counts them (which mappings
 *    hold the locks is checked a layer up, mlock_census_check());
 *  - every page on a per-CPU list heads a block of its list's order,
 *    aligned, inside the zone, not PG_buddy, refcount 0, unmapped, in no
 *    other free block; pcp->count is the pages listed, batch >= 1, and
 *    free_pages + pcp pages <= managed;
 *  - totalram_pages == sum of managed pages.
 */
#include "phys/pcp.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

#define BITS_PER_WORD (8 * sizeof(unsigned long))

static inline bool test_and_set(unsigned long *map, unsigned long bit)
{
	unsigned long m = 1UL << (bit % BITS_PER_WORD);
	bool old = map[bit / BITS_PER_WORD] & m;

	map[bit / BITS_PER_WORD] |= m;
	return old;
}

static inline bool test_bit(const unsigned long *map, unsigned long bit)
{
	return map[bit / BITS_PER_WORD] & (1UL << (bit % BITS_PER_WORD));
}

static bool page_links_ok(const struct page *p, const struct zone *z)
{
	return page_zonenum(p) == z->type && page_to_nid(p) == (unsigned)z->zone_pgdat->node_id;
}

/* The free blocks on @z's lists: mark frames in @free and heads in @head. */
static int check_lists(struct phys_mem *pm, struct zone *z, unsigned long *free,
		       unsigned long *head, unsigned long *npages, struct vmsim_error *err)
{
	const char *zn = z->name;
	int nid = z->zone_pgdat->node_id;

	for (unsigned k = 0; k < NR_ORDERS_LIMIT; k++) {
		struct free_area *area = &z->free_area[k];
		struct list_head *e = area->free_list.next, *prev = &area->free_list;
		unsigned long n = 0, bound = z->spanned_pages + 1;

		if (k > pm->max_order) {
			if (!list_empty(&area->free_list) || area->nr_free)
				return verr(err, -EFAULT, "node %d %s: order %u above max_order %u in use",
					    nid, zn, k, pm->max_order);
			continue;
		}
		for (; e != &area->free_list; prev = e, e = e->next) {
			struct page *p;
			unsigned long pfn;

			if (++n > bound)
				return verr(err, -EFAULT, "node %d %s order %u: list does not end",
					    nid, zn, k);
			if (!e || e->prev != prev)
				return verr(err, -EFAULT, "node %d %s order %u: broken link at entry %lu",
					    nid, zn, k, n);
			p = list_entry(e, struct page, lru);
			if (p < pm->mem_map || p >= pm->mem_map + pm->max_pfn ||
			    (uintptr_t)((char *)p - (char *)pm->mem_map) % sizeof(struct page))
				return verr(err, -EFAULT, "node %d %s order %u: entry %lu is not a struct page",
					    nid, zn, k, n);
			pfn = page_to_pfn(pm, p);
			if (pfn & ((1UL << k) - 1))
				return verr(err, -EFAULT, "pfn %#lx on order-%u list is not aligned", pfn, k);
			if (pfn < z->zone_start_pfn || pfn + (1UL << k) > zone_end_pfn(z))
				return verr(err, -EFAULT, "pfn %#lx order %u outside zone %s [%#lx, %#lx)",
					    pfn, k, zn, z->zone_start_pfn, zone_end_pfn(z));
			if (!PageBuddy(p) || buddy_order(p) != k)
				return verr(err, -EFAULT, "pfn %#lx on order-%u list: PG_buddy %d order %u",
					    pfn, k, PageBuddy(p), buddy_order(p));
			if (pfn_deferred(z, pfn))
				return verr(err, -EFAULT, "pfn %#lx both listed and deferred", pfn);
			test_and_set(head, pfn);
			for (unsigned long i = 0; i < (1UL << k); i++) {
				const struct page *t = &p[i];

				if (test_and_set(free, pfn + i))
					return verr(err, -EFAULT, "pfn %#lx in two free blocks", pfn + i);
				if (i && PageBuddy(t))
					return verr(err, -EFAULT, "pfn %#lx: PG_buddy inside the order-%u block at %#lx",
						    pfn + i, k, pfn);
				if (t->_refcount != 0 || t->_mapcount != -1 || PageReserved(t))
					return verr(err, -EFAULT, "free pfn %#lx: refcount %d mapcount %d reserved %d",
						    pfn + i, t->_refcount, page_mapcount(t), PageReserved(t));
				if (!page_links_ok(t, z))
					return verr(err, -EFAULT, "free pfn %#lx: links to node %u zone %u, not %d %s",
						    pfn + i, page_to_nid(t), page_zonenum(t), nid, zn);
			}
		}
		if (k == pm->max_order)
			n += z->nr_deferred_blocks;
		if (n != area->nr_free)
			return verr(err, -EFAULT, "node %d %s order %u: nr_free %lu, counted %lu",
				    nid, zn, k, area->nr_free, n);
		*npages += (n - (k == pm->max_order ? z->nr_deferred_blocks : 0)) << k;
	}
	return 0;
}

/* The blocks on @z's per-CPU lists: mark their frames in @free. */
static int check_pcp(struct phys_mem *pm, struct zone *z, unsigned long *free,
		     unsigned long *npcp, struct vmsim_error *err)
{
	const char *zn = z->name;

	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];
		unsigned long pages = 0;

		if (pcp->batch < 1 || pcp->count < 0)
			return verr(err, -EFAULT, "zone %s cpu %u: batch %d count %d", zn, c,
				    pcp->batch, pcp->count);
		for (unsigned pi = 0; pi < NR_PCP_LISTS; pi++) {
			const struct list_head *l = &pcp->lists[pi], *e = l->next, *prev = l;
			unsigned order = pindex_to_order(pm, pi);
			unsigned long n = 0, bound = z->spanned_pages + 1;

			for (; e != l; prev = e, e = e->next) {
				const struct page *p;
				unsigned long pfn;

				if (++n > bound || !e || e->prev != prev)
					return verr(err, -EFAULT, "zone %s cpu %u pcp list %u: broken at entry %lu",
						    zn, c, pi, n);
				if (order == PCP_NO_THP)
					return verr(err, -EFAULT, "zone %s cpu %u: THP list used without THP",
						    zn, c);
				p = list_entry(e, struct page, lru);
				if (p < pm->mem_map || p >= pm->mem_map + pm->max_pfn)
					return verr(err, -EFAULT, "zone %s cpu %u pcp list %u: entry %lu is not a struct page",
						    zn, c, pi, n);
				pfn = page_to_pfn(pm, p);
				if (pfn & ((1UL << order) - 1) || pfn < z->zone_start_pfn ||
				    pfn + (1UL << order) > zone_end_pfn(z))
					return verr(err, -EFAULT, "pcp pfn %#lx order %u misaligned or outside zone %s",
						    pfn, order, zn);
				for (unsigned long i = 0; i < (1UL << order); i++) {
					const struct page *t = &p[i];

					if (test_and_set(free, pfn + i))
						return verr(err, -EFAULT, "pcp pfn %#lx also in another free block",
							    pfn + i);
					if (PageBuddy(t) || t->_refcount || t->_mapcount != -1 ||
					    PageReserved(t) || !page_links_ok(t, z))
						return verr(err, -EFAULT, "pcp pfn %#lx: buddy %d refcount %d mapcount %d reserved %d",
							    pfn + i, PageBuddy(t), t->_refcount,
							    page_mapcount(t), PageReserved(t));
				}
				pages += 1UL << order;
			}
		}
		if (pages != (unsigned long)pcp->count)
			return verr(err, -EFAULT, "zone %s cpu %u: pcp count %d, pages listed %lu", zn, c,
				    pcp->count, pages);
		*npcp += pages;
	}
	return 0;
}

static int check_deferred(struct phys_mem *pm, struct zone *z, unsigned long *free,
			  unsigned long *npages, struct vmsim_error *err)
{
	unsigned long nblocks = 0, prev_end = z->zone_start_pfn, sz = 1UL << pm->max_order;

	if (z->deferred_first > z->nr_deferred || z->nr_deferred > MAX_DEFERRED_RANGES)
		return verr(err, -EFAULT, "zone %s: deferred range indexes %u/%u", z->name,
			    z->deferred_first, z->nr_deferred);
	for (unsigned ri = z->deferred_first; ri < z->nr_deferred; ri++) {
		const struct deferred_range *r = &z->deferred[ri];

		if ((r->next_pfn | r->end_pfn) & (sz - 1) || r->next_pfn > r->end_pfn ||
		    r->next_pfn < prev_end || r->end_pfn > zone_end_pfn(z))
			return verr(err, -EFAULT, "zone %s: bad deferred range [%#lx, %#lx)", z->name,
				    r->next_pfn, r->end_pfn);
		prev_end = r->end_pfn;
		for (unsigned long pfn = r->next_pfn; pfn < r->end_pfn; pfn += sz) {
			const struct page *p = &pm->mem_map[pfn];

			if (p->flags || p->_refcount || p->lru.next)
				return verr(err, -EFAULT, "deferred pfn %#lx has a written struct page", pfn);
			/* one bit per block head is enough: lists never reach in */
			for (unsigned long i = 0; i < sz; i += BITS_PER_WORD) {
				if (test_bit(free, pfn + i))
					return verr(err, -EFAULT, "deferred pfn %#lx also on a list", pfn + i);
				if (sz >= BITS_PER_WORD)
					free[(pfn + i) / BITS_PER_WORD] = ~0UL;
				else
					for (unsigned long j = 0; j < sz; j++)
						test_and_set(free, pfn + j);
			}
			nblocks++;
		}
	}
	if (nblocks != z->nr_deferred_blocks)
		return verr(err, -EFAULT, "zone %s: %lu deferred blocks counted, %lu recorded",
			    z->name, nblocks, z->nr_deferred_blocks);
	*npages += nblocks * sz;
	return 0;
}

/* Every initialized page of @z: links right; PG_buddy only on list heads;
 * PG_mlocked only on pages in use, as many as NR_MLOCK says. */
static int check_mem_map(struct phys_mem *pm, struct zone *z, const unsigned long *free,
			 const unsigned long *head, struct vmsim_error *err)
{
	unsigned long sz = 1UL << pm->max_order, mlocked = 0;

	for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn++) {
		const struct page *p = &pm->mem_map[pfn];

		if (!(pfn & (sz - 1)) && pfn + sz <= zone_end_pfn(z) && pfn_deferred(z, pfn)) {
			pfn += sz - 1;	/* never written: nothing to see */
			continue;
		}
		if (!page_links_ok(p, z))
			return verr(err, -EFAULT, "pfn %#lx: links to node %u zone %u, not %d %s",
				    pfn, page_to_nid(p), page_zonenum(p), z->zone_pgdat->node_id, z->name);
		if (PageBuddy(p) && !test_bit(head, pfn))
			return verr(err, -EFAULT, "pfn %#lx is PG_buddy but on no free list", pfn);
		if (!test_bit(free, pfn) && PageReserved(p) && p->_refcount < 1)
			return verr(err, -EFAULT, "reserved pfn %#lx has refcount %d", pfn, p->_refcount);
		if (PageMlocked(p)) {
			if (test_bit(free, pfn) || p->_refcount < 1 || !p->mlock_count)
				return verr(err, -EFAULT, "pfn %#lx is PG_mlocked but %s", pfn,
					    test_bit(free, pfn) ? "free" : p->_refcount < 1 ?
					    "unreferenced" : "has mlock_count 0");
			mlocked++;
		}
	}
	if (mlocked != z->nr_mlock)
		return verr(err, -EFAULT, "zone %s: NR_MLOCK %lu, %lu pages are PG_mlocked", z->name,
			    z->nr_mlock, mlocked);
	return 0;
}

static int check_zone(struct phys_mem *pm, struct zone *z, unsigned long *free,
		      unsigned long *head, struct vmsim_error *err)
{
	const struct pglist_data *pgdat = z->zone_pgdat;
	unsigned long npages = 0, npcp = 0;
	unsigned long sum = 0;
	int ret;

	if (z->spanned_pages && (z->zone_start_pfn < pgdat->node_start_pfn ||
				 zone_end_pfn(z) > pgdat->node_start_pfn + pgdat->node_spanned_pages))
		return verr(err, -EFAULT, "zone %s outside node %d", z->name, pgdat->node_id);
	if (z->present_pages != z->spanned_pages || z->managed_pages > z->present_pages)
		return verr(err, -EFAULT, "zone %s: spanned %lu present %lu managed %lu", z->name,
			    z->spanned_pages, z->present_pages, z->managed_pages);
	ret = check_deferred(pm, z, free, &npages, err);
	if (!ret)
		ret = check_lists(pm, z, free, head, &npages, err);
	if (!ret)
		ret = check_pcp(pm, z, free, &npcp, err);
	if (ret)
		return ret;
	for (unsigned k = 0; k <= pm->max_order; k++)
		sum += z->free_area[k].nr_free << k;
	if (sum != z->free_pages || npages != z->free_pages)
		return verr(err, -EFAULT, "zone %s: free_pages %lu, sum of nr_free %lu, pages listed %lu",
			    z->name, z->free_pages, sum, npages);
	if (z->free_pages + npcp > z->managed_pages)
		return verr(err, -EFAULT, "zone %s: %lu free and %lu on pcp lists of %lu managed",
			    z->name, z->free_pages, npcp, z->managed_pages);
	return check_mem_map(pm, z, free, head, err);
}

int check_free_lists(struct phys_mem *pm, struct vmsim_error *err)
{
	size_t words = pm->max_pfn / BITS_PER_WORD + 1;
	unsigned long *free = host_zalloc(NULL, 2 * words * sizeof(unsigned long));
	unsigned long managed = 0;
	int ret = 0;

	if (!free)
		return verr(err, -ENOMEM, "check_free_lists: no host memory for the bitmap");
	for (unsigned nid = 0; nid < pm->nr_nodes && !ret; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES && !ret; t++) {
			struct zone *z = &pm->node_data[nid].node_zones[t];

			managed += z->managed_pages;
			ret = check_zone(pm, z, free, free + words, err);
		}
	if (!ret && managed != pm->totalram_pages)
		ret = verr(err, -EFAULT, "totalram_pages %lu, zones manage %lu", pm->totalram_pages,
			   managed);
	host_free(NULL, free, 2 * words * sizeof(unsigned long));
	return ret;
}

unsigned long mlock_count_sum(const struct phys_mem *pm)
{
	const unsigned long sz = 1UL << pm->max_order;
	unsigned long sum = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &pm->node_data[nid].node_zones[t];

			for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z); pfn++) {
				const struct page *p = &pm->mem_map[pfn];

				if (!(pfn & (sz - 1)) && pfn + sz <= zone_end_pfn(z) &&
				    pfn_deferred(z, pfn)) {
					pfn += sz - 1;	/* never initialized */
					continue;
				}
				if (PageMlocked(p))
					sum += p->mlock_count;
			}
		}
	}
	return sum;
}
