/*
 * The buddy free lists of a zone: merge on free (__free_one_page()), split
 * on allocation (__rmqueue_smallest() + expand()), exactly the placement
 * policy of Linux's mm/page_alloc.c (v6.12; see LINUX-RULES.md 3.2).
 *
 * Invariant (zone->lock held in Linux; one thread here): a block of order k
 * on free_area[k].free_list starts at a 2^k-aligned pfn inside its zone,
 * its head page has PG_buddy and private == k, its other pages are neither
 * PG_buddy nor referenced, and nr_free[k] counts the list (plus, at
 * k == max_order, the still-deferred blocks).
 *
 * Deferred struct page init (the idea of CONFIG_DEFERRED_STRUCT_PAGE_INIT):
 * boot does not write the struct pages of whole free max-order blocks.
 * Those blocks stay in zone->deferred[] as ascending pfn ranges, counted in
 * nr_free[max_order], and logically sit at the TAIL of free_area[max_order]
 * in ascending order -- which is exactly where Linux's boot freeing
 * (FPI_TO_TAIL, ascending) leaves them.  Later insertions at max order are
 * always at the head (buddy_merge_likely() is false there and only boot uses
 * FPI_TO_TAIL), so the list is always "real entries, then deferred blocks"
 * and taking the head means: the real list if not empty, otherwise the
 * lowest deferred block, whose 2^max_order struct pages are initialized at
 * that moment.  Merging never looks past a max-order block, so no lookup
 * ever reads a deferred (all-zero) struct page as a buddy.
 */
#include "phys/buddy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
static bool buddy_merge_likely(const struct phys_mem *pm, const struct zone *zone,
			       unsigned long pfn, unsigned long buddy_pfn, unsigned order)
{
	unsigned long higher_page_pfn;

	if (order + 1 >= pm->max_order)
		return false;
	higher_page_pfn = buddy_pfn & pfn;
	return page_is_buddy(pm, zone, higher_page_pfn ^ (1UL << (order + 1)), order + 1);
}

void __free_one_page(struct phys_mem *pm, struct zone *zone, struct page *page,
		     unsigned long pfn, unsigned order, unsigned fpi_flags)
{
	unsigned long buddy_pfn = 0;
	bool to_tail;

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
static void expand(struct zone *zone, struct page *page, unsigned low, unsigned high)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		__add_to_free_list(zone, &page[size], high, false);
		set_buddy_order(&page[size], high);
	}
}

bool pfn_deferred(const struct zone *zone, unsigned long pfn)
{
	for (unsigned i = zone->deferred_first; i < zone->nr_deferred; i++) {
		const struct deferred_range *r = &zone->deferred[i];

		if (pfn >= r->next_pfn && pfn < r->end_pfn)
			return true;
	}
	return false;
}

/*
 * Take the lowest still-deferred max-order block of @zone and give its
 * struct pages their first initialization (memmap_init_range() for one
 * block).  The block leaves the free count like a list removal would.
 * NULL when nothing is deferred.
 */
static struct page *take_deferred_block(struct phys_mem *pm, struct zone *zone)
{
	struct deferred_range *r;
	unsigned long pfn, nr = 1UL << pm->max_order;
	unsigned zt = zone_idx(zone), nid = (unsigned)zone->zone_pgdat->node_id;

	if (zone->deferred_first >= zone->nr_deferred)
		return NULL;
	r = &zone->deferred[zone->deferred_first];
	pfn = r->next_pfn;
	r->next_pfn += nr;
	if (r->next_pfn >= r->end_pfn)
		zone->deferred_first++;
	for (unsigned long i = 0; i < nr; i++)
		__init_single_page(&pm->mem_map[pfn + i], zt, nid, 0);
	zone->nr_deferred_blocks--;
	zone->free_area[pm->max_order].nr_free--;
	pm->vmstat.deferred_init_blocks++;
	return &pm->mem_map[pfn];
}

struct page *__rmqueue_smallest(struct phys_mem *pm, struct zone *zone, unsigned order)
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
		expand(zone, page, order, cur);
		/* the block left, its upper parts came back: net 2^order */
		zone->free_pages -= 1UL << order;
		return page;
	}
	return NULL;
}

int zone_defer_blocks(struct phys_mem *pm, struct zone *zone,
		      unsigned long start, unsigned long end)
{
	unsigned long nr = (end - start) >> pm->max_order;
	struct deferred_range *last;

	if (start >= end)
		return 0;
	last = zone->nr_deferred ? &zone->deferred[zone->nr_deferred - 1] : NULL;
	if (last && last->end_pfn == start) {
		last->end_pfn = end;
	} else {
		if (zone->nr_deferred == MAX_DEFERRED_RANGES)
			return -ENOSPC;
		zone->deferred[zone->nr_deferred++] = (struct deferred_range){ start, end };
	}
	zone->nr_deferred_blocks += nr;
	zone->free_area[pm->max_order].nr_free += nr;
	zone->free_pages += nr << pm->max_order;
	return 0;
}

void bad_page(struct phys_mem *pm, const struct page *page, const char *reason)
{
	unsigned long pfn = page_to_pfn(pm, page);

	pm->vmstat.bad_page++;
	snprintf(pm->bad_page_msg, sizeof(pm->bad_page_msg),
		 "BUG: Bad page state: pfn:%#lx refcount:%d mapcount:%d flags:%#x: %s",
		 pfn, page->_refcount, page_mapcount(page), page->flags, reason);
	if (pm->bad_page_hook)
		pm->bad_page_hook(pm->bad_page_ctx, pm->bad_page_msg);
}
