/*
 * Private interface of the per-CPU page lists (pcp.c): the parts the
 * allocation and free fast paths in page_alloc.c inline, and the slower
 * refill/flush/sizing functions they call.  Linux v6.12 mm/page_alloc.c.
 *
 * Invariant (pcp->lock held in Linux; one thread here): a page on
 * lists[pindex] of a zone's pageset is the head of a free block of
 * pindex_to_order(pindex) pages inside that zone, aligned to its order,
 * refcount 0, unmapped, not PageBuddy, in no free_area; pcp->count is the
 * number of pages (not blocks) on all lists of that pageset.
 */
#ifndef VMSIM_PHYS_PCP_H
#define VMSIM_PHYS_PCP_H

#include "phys/buddy.h"

#define PCP_NO_THP (~0u)	/* pm->pcp_thp_order when THP is not configured */

/* pcp_allowed_order(): orders 0..3, and the THP order, go through the
 * per-CPU lists; every other order goes straight to the buddy lists. */
static inline bool pcp_allowed_order(const struct phys_mem *pm, unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER || order == pm->pcp_thp_order;
}

/* order_to_pindex() without migratetypes: one list per order, the THP
 * list last. */
static inline unsigned order_to_pindex(unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER ? order : NR_LOWORDER_PCP_LISTS;
}

static inline unsigned pindex_to_order(const struct phys_mem *pm, unsigned pindex)
{
	return pindex < NR_LOWORDER_PCP_LISTS ? pindex : pm->pcp_thp_order;
}

/* this_cpu_ptr(zone->per_cpu_pageset) */
static inline struct per_cpu_pages *this_cpu_pcp(const struct phys_mem *pm,
						 const struct zone *zone)
{
	return &zone->per_cpu_pageset[pm->this_cpu];
}

/* Linux's clamp(): min(max(v, lo), hi), so hi wins when lo > hi (a small
 * zone's low-watermark share can exceed its managed/8 share). */
static inline int clamp_int(int v, int lo, int hi)
{
	int m = v > lo ? v : lo;

	return m < hi ? m : hi;
}

/*
 * nr_pcp_high(): the count above which a free flushes pages back to the
 * buddy lists, auto-tuning pcp->high between high_min and high_max on the
 * way: it shrinks while the zone is below its high watermark and grows
 * to hold a run of frees otherwise.  0 for a flush of everything freeable
 * (free_high: a run of order 1..3 frees with no allocation between).
 * ZONE_RECLAIM_ACTIVE is never set: vmsim does not reclaim.
 */
static inline int nr_pcp_high(struct per_cpu_pages *pcp, const struct zone *zone, int batch,
			      bool free_high)
{
	int high_min = pcp->high_min, high_max = pcp->high_max;
	int high = pcp->high = clamp_int(pcp->high, high_min, high_max);

	if (__builtin_expect(!high, 0))
		return 0;
	if (__builtin_expect(free_high, 0)) {
		int h = high - (batch << PCP_BATCH_SCALE_MAX);

		pcp->high = h > high_min ? h : high_min;
		return 0;
	}
	if (high_min == high_max)
		return high;
	if (zone->below_high) {
		int free_count = pcp->free_count > batch ? pcp->free_count : batch;
		int h = high - free_count;

		pcp->high = h > high_min ? h : high_min;
		high = pcp->count > high_min ? pcp->count : high_min;
	} else if (pcp->count >= high) {
		int need_high = pcp->free_count + batch;

		/* pcp->high should be large enough to hold batch freed pages */
		if (pcp->high < need_high)
			pcp->high = clamp_int(need_high, high_min, high_max);
	}
	return high;
}

/* Allocate and initialize every zone's pagesets with the boot values
 * (per_cpu_pages_init()).  -ENOMEM when the host refuses. */
int pcp_init(struct phys_mem *pm);
void pcp_finish(struct phys_mem *pm);

/* zone_pcp_update(zone, 0) for every zone: batch and high_min/high_max
 * from the managed pages and the low watermark (or the config's
 * percpu_pagelist_high_fraction); batch 1, high 0 when pcp is off. */
void zone_pcp_update_all(struct phys_mem *pm);

/* True when some CPU's list of some zone holds a page. */
bool pcp_pages_any(const struct phys_mem *pm);

/* The refill of an empty list (__rmqueue_pcplist()'s slow part):
 * nr_pcp_alloc() pages' worth of blocks from the buddy lists onto @list.
 * False when the zone had none to give. */
bool pcp_refill(struct phys_mem *pm, struct zone *zone, struct per_cpu_pages *pcp,
		unsigned order, struct list_head *list);

/* The flush of free_unref_page_commit() once pcp->count >= @high:
 * nr_pcp_free() pages back to the buddy lists, list @pindex first, then
 * ZONE_BELOW_HIGH cleared if the zone is back above its high watermark. */
void pcp_flush(struct phys_mem *pm, struct zone *zone, struct per_cpu_pages *pcp, int batch,
	       int high, bool free_high, unsigned pindex);

#endif
