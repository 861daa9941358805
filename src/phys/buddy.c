/*
 * The buddy free lists of a zone, the parts off the hot path: the pool of
 * deferred max-order blocks and bad_page() reports.  The split/merge core
 * (__free_one_page(), expand(), __rmqueue_smallest(), buddy_merge_likely())
 * is inline in buddy.h so that alloc_pages()/__free_pages() inline it; its
 * placement policy is exactly Linux's mm/page_alloc.c (v6.12; see
 * docs/linux-rules.md section 7).
 *
 * Invariant: a block of order k on free_area[k].free_list starts at a
 * 2^k-aligned pfn inside its zone, its head page has PG_buddy and private
 * == k, its other pages are neither PG_buddy nor referenced, and nr_free[k]
 * counts the list (plus, at k == max_order, the still-deferred blocks).
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
 * that moment (take_deferred_block()).  Merging never looks past a
 * max-order block, so no lookup ever reads a deferred (all-zero) struct
 * page as a buddy.
 */
#include "phys/buddy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
struct page *take_deferred_block(struct phys_mem *pm, struct zone *zone)
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

/* current->comm for a report: the running task's, or the idle task's. */
static const char *report_comm(const struct phys_mem *pm, char idle[16])
{
	const char *comm = pm->bad_page_comm ? pm->bad_page_comm(pm) : NULL;

	if (comm)
		return comm;
	snprintf(idle, 16, "swapper/%u", pm->this_cpu);
	return idle;
}

/* Count it, log the event, hand the line to the hook. */
static void report(struct phys_mem *pm, unsigned long pfn, const char *reason)
{
	pm->vmstat.bad_page++;
	snprintf(pm->bug_report, sizeof(pm->bug_report), "%s", pm->bad_page_msg);
	EV(pm->events, "bad_page", "pfn=%#lx reason=\"%s\"", pfn, reason);
	if (pm->bad_page_hook)
		pm->bad_page_hook(pm->bad_page_ctx, pm->bug_report);
}

/*
 * bad_page() prints "BUG: Bad page state in process COMM  pfn:PFN" and
 * dump_page() the page's fields and "page dumped because: REASON": here
 * the same on one line.  A pfn outside mem_map has no fields to show.
 */
void bad_pfn(struct phys_mem *pm, unsigned long pfn, const char *reason)
{
	char idle[16];

	snprintf(pm->bad_page_msg, sizeof(pm->bad_page_msg),
		 "BUG: Bad page state in process %s  pfn:%05lx: page dumped because: %s",
		 report_comm(pm, idle), pfn, reason);
	report(pm, pfn, reason);
}

void bad_page(struct phys_mem *pm, const struct page *page, const char *reason)
{
	unsigned long pfn = page_to_pfn(pm, page);
	char idle[16];

	snprintf(pm->bad_page_msg, sizeof(pm->bad_page_msg),
		 "BUG: Bad page state in process %s  pfn:%05lx: page: refcount:%d mapcount:%d "
		 "index:0x%llx flags:0x%llx: page dumped because: %s", report_comm(pm, idle), pfn,
		 page->_refcount, page_mapcount(page), (unsigned long long)page->index,
		 (unsigned long long)page->flags, reason);
	report(pm, pfn, reason);
}
