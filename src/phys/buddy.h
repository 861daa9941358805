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
/* The same for a pfn whose struct page must not be read (out of range). */
void bad_pfn(struct phys_mem *pm, unsigned long pfn, const char *reason);

/* Take the lowest still-deferred max-order block of @zone, initializing
 * its struct pages (buddy.c); NULL when none is left. */
struct page *take_deferred_block(struct phys_mem *pm, struct zone *zone);

/*
 * ---- the split/merge core, inline for the allocation fast path ----
 *
 * Linux's placement policy (mm/page_alloc.c v6.12, docs/linux-rules.md 7).
 * Invariant (zone->lock held in Linux; one thread here): a block of order
 * k on free_area[k].free_list starts at a 2^k-aligned pfn inside its zone,
 * its head page has PG_buddy and private == k, its other pages are neither
 * PG_buddy nor referenced.  They live here rather than in buddy.c so the
 * compiler can inline them into alloc_pages()/__free_pages() (no LTO).
 */

static inline void set_buddy_order(struct page *page, unsigned order)
{
	page->private = order;
	set_page_flag(page, PG_buddy);
}

/*
 * List primitives.  They keep nr_free; the callers account free_pages once
 * per operation (as Linux's account_freepages() does), since a merge chain
 * or a split changes it only by the pages entering or leaving the zone.
 */
static inline void __add_to_free_list(struct zone *zone, struct page *page,
				      unsigned order, bool tail)
{
	struct free_area *area = &zone->free_area[order];

	if (tail)
		list_add_tail(&page->lru, &area->free_list);
	else
		list_add(&page->lru, &area->free_list);
	area->nr_free++;
}

static inline void del_page_from_free_list(struct zone *zone, struct page *page,
					   unsigned order)
{
	list_del(&page->lru);
	clear_page_flag(page, PG_buddy);
	page->private = 0;
	zone->free_area[order].nr_free--;
}

/*
 * page_is_buddy(): @buddy (at @buddy_pfn) can merge with a block of
 * @order when it exists, lies in the same zone, and is the head of a free
 * block of exactly @order.  Reading its struct page is safe: the caller
 * only asks inside an initialized max-order block.
 */
static inline bool page_is_buddy(const struct phys_mem *pm, const struct zone *zone,
				 unsigned long buddy_pfn, unsigned order)
{
	const struct page *buddy;

	if (buddy_pfn >= pm->max_pfn || !zone_spans_pfn(zone, buddy_pfn))
		return false;
	buddy = &pm->mem_map[buddy_pfn];
	return PageBuddy(buddy) && buddy_order(buddy) == order;
}

/*
 * buddy_merge_likely(): true when the order+1 block that @pfn's block is
 * about to join has its own buddy free at order+1, so the block is likely
 * to merge further soon: Linux then queues it at the tail, keeping it
 * free longer.  Never at or just below max order.
 */
static inline bool buddy_merge_likely(const struct phys_mem *pm, const struct zone *zone,
			       unsigned long pfn, unsigned long buddy_pfn, unsigned order)
{
	unsigned long higher_page_pfn;

	if (order + 1 >= pm->max_order)
		return false;
	higher_page_pfn = buddy_pfn & pfn;
	return page_is_buddy(pm, zone, higher_page_pfn ^ (1UL << (order + 1)), order + 1);
}

/*
 * __free_one_page(): free 2^order pages at @page (pfn @pfn) into @zone,
 * merging with free buddies, then queue the block at the head, or at the
 * tail for FPI_TO_TAIL (boot) or when buddy_merge_likely().  The pages are
 * initialized, unreferenced and not PageBuddy.
 *
 * Linux's VM_BUG_ON_PAGE()s here and in expand() (alignment, bad_range())
 * are left out: __free_pages() checks the block against mem_map and its
 * order (bad_pfn()) before anything reaches a list, and each of them cost
 * the order-0 pair without per-CPU lists 3% of its instructions
 * (bench_buddy, cachegrind), more than all the other checks together.
 */
static inline void __free_one_page(struct phys_mem *pm, struct zone *zone, struct page *page,
				   unsigned long pfn, unsigned order, unsigned fpi_flags)
{
	unsigned long buddy_pfn = 0;
	bool to_tail;

	phys_track(pm, pfn);	/* merges stay inside this max-order block */
	zone->free_pages += 1UL << order;
	while (order < pm->max_order) {
		buddy_pfn = pfn ^ (1UL << order);
		if (!page_is_buddy(pm, zone, buddy_pfn, order))
			break;
		del_page_from_free_list(zone, &pm->mem_map[buddy_pfn], order);
		pfn &= buddy_pfn;
		page = &pm->mem_map[pfn];
		order++;
	}
	set_buddy_order(page, order);
	if (fpi_flags & FPI_TO_TAIL)
		to_tail = true;
	else if (order < pm->max_order)
		to_tail = buddy_merge_likely(pm, zone, pfn, buddy_pfn, order);
	else
		to_tail = false;
	__add_to_free_list(zone, page, order, to_tail);
}

/*
 * expand(): split the 2^high block at @page down to 2^low, putting each
 * upper half at the head of the list one order down; the caller keeps the
 * lowest 2^low pages.
 */
static inline void expand(struct zone *zone, struct page *page, unsigned low, unsigned high)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		__add_to_free_list(zone, &page[size], high, false);
		set_buddy_order(&page[size], high);
	}
}

/*
 * __rmqueue_smallest(): take a free block of >= @order from @zone, split it
 * down to @order and return its first page, or NULL when no list of order
 * >= @order has a block.  At max order an empty list falls through to the
 * deferred blocks, which sit logically at its tail.
 */
static inline struct page *__rmqueue_smallest(struct phys_mem *pm, struct zone *zone,
					       unsigned order)
{
	for (unsigned cur = order; cur <= pm->max_order; cur++) {
		struct free_area *area = &zone->free_area[cur];
		struct page *page;

		if (!list_empty(&area->free_list)) {
			page = list_first_entry(&area->free_list, struct page, lru);
			del_page_from_free_list(zone, page, cur);
		} else if (cur == pm->max_order && zone->nr_deferred_blocks) {
			page = take_deferred_block(pm, zone);
		} else {
			continue;
		}
		phys_track(pm, page_to_pfn(pm, page));
		expand(zone, page, order, cur);
		/* the block left, its upper parts came back: net 2^order */
		zone->free_pages -= 1UL << order;
		return page;
	}
	return NULL;
}

#endif
