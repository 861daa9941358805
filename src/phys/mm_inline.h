/*
 * Which lruvec a page belongs to (include/linux/mm_inline.h,
 * include/linux/memcontrol.h): folio_lruvec(), and the per-page statistics
 * that follow the page into its lruvec (__lruvec_stat_mod_folio()).
 *
 * Invariant: a page's memory cgroup (its memcg id, page.h) does not change
 * while the page counts in any lruvec statistic: it is charged before it
 * is counted anywhere and uncharged only when it is freed, after every
 * count it took is given back.  So a statistic added through
 * lruvec_stat_mod_folio() is taken away from the same lruvec.
 */
#ifndef VMSIM_PHYS_MM_INLINE_H
#define VMSIM_PHYS_MM_INLINE_H

#include <string.h>

#include "phys/mmzone.h"

/* The empty lists of a fresh lruvec of @pgdat (lruvec_init()). */
static inline void lruvec_init(struct lruvec *lruvec, struct pglist_data *pgdat,
			       struct mem_cgroup *memcg)
{
	enum lru_list lru;

	*lruvec = (struct lruvec){ .pgdat = pgdat, .memcg = memcg };
	for_each_lru(lru)
		INIT_LIST_HEAD(&lruvec->lists[lru]);
}

/*
 * folio_lruvec(): the lruvec @page is (or would be) on: its memory
 * cgroup's lruvec on the page's node (mem_cgroup_lruvec()), the root
 * cgroup's for a page charged to none; the node's own lruvec on a machine
 * without the memory controller.
 */
static inline struct lruvec *folio_lruvec(struct phys_mem *pm, const struct page *page)
{
	struct lruvec **memcg = pm->memcg.lruvecs;
	unsigned nid = page_to_nid(page);

	if (memcg) {
		/* a huge page's charge is its head's (folio_memcg()) */
		unsigned id = page_memcg_id(compound_head((struct page *)page));

		return &(memcg[id] ? memcg[id] : memcg[0])[nid];
	}
	return &pm->node_data[nid].__lruvec;
}

/* __lruvec_stat_mod_folio(): @delta pages of @page in state @item, on its
 * node and in its memory cgroup. */
static inline void lruvec_stat_mod_folio(struct phys_mem *pm, const struct page *page,
					 enum node_stat_item item, long delta)
{
	mod_lruvec_state(folio_lruvec(pm, page), item, delta);
}

#endif
