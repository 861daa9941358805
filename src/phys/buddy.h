/*
 * Private interface of the phys layer: the buddy free lists (buddy.c) as
 * used by boot (memory.c), the allocation API (page_alloc.c) and the
 * checker (check.c).  Not for other layers: they call mmzone.h.
 */
#ifndef VMSIM_PHYS_BUDDY_H
#define VMSIM_PHYS_BUDDY_H

#include "phys/mmzone.h"

/* fpi_t flags of __free_one_page() (mm/page_alloc.c) */
#define FPI_NONE 0u
#define FPI_TO_TAIL 0x2u	/* boot: keep each list ascending */

static inline unsigned zone_idx(const struct zone *z)
{
	return (unsigned)z->type;
}

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z);
}

/* First-time init of one struct page (__init_single_page()): zone/node
 * links, refcount @ref, not mapped.  Flags other than the links cleared. */
static inline void __init_single_page(struct page *p, unsigned zone, unsigned nid, int ref)
{
	p->flags = 0;
	p->private = 0;
	p->lru.next = p->lru.prev = NULL;
	p->mapping = NULL;
	p->index = 0;
	p->_refcount = ref;
	p->_mapcount = -1;
	set_page_links(p, zone, nid);
}

/* Free 2^order pages at @page into @zone, merging with free buddies
 * (__free_one_page()).  The pages are initialized and not PageBuddy. */
void __free_one_page(struct phys_mem *pm, struct zone *zone, struct page *page,
		     unsigned long pfn, unsigned order, unsigned fpi_flags);

/* Take a free block of >= @order from @zone, split it down to @order and
 * return its first page (__rmqueue_smallest()), or NULL when no list of
 * order >= @order has a block.  Updates nr_free and free_pages. */
struct page *__rmqueue_smallest(struct phys_mem *pm, struct zone *zone, unsigned order);

/* Append [start, end) (max-order aligned, whole blocks) to @zone's
 * deferred pool; the blocks count in nr_free[max_order] from now on.
 * -ENOSPC when the zone has no range slot left (caller frees eagerly). */
int zone_defer_blocks(struct phys_mem *pm, struct zone *zone,
		      unsigned long start, unsigned long end);

/* True when @pfn lies in a block of @zone that is still deferred (its
 * struct pages were never written). */
bool pfn_deferred(const struct zone *zone, unsigned long pfn);

/* Build every node's zonelists (build_all_zonelists()). */
void build_all_zonelists(struct phys_mem *pm);

/* Report a refused free or a corrupted page (bad_page()). */
void bad_page(struct phys_mem *pm, const struct page *page, const char *reason);

#endif
