/*
 * Putting pages on and off the LRU lists of an lruvec, with the sizes kept
 * (include/linux/mm_inline.h), folio_lruvec(), the one place that says
 * which lruvec a page belongs to (include/linux/memcontrol.h), and the
 * per-page statistics that follow the page into its lruvec
 * (__lruvec_stat_mod_folio()).
 *
 * Invariant: a page with PG_lru is on exactly the list folio_lru_list()
 * names for its flags (PG_unevictable: on no list, only counted), of the
 * lruvec folio_lruvec() names, and counted once in that list's
 * lru_zone_size[its zone], its node's NR_LRU_BASE + lru and its zone's
 * NR_ZONE_LRU_BASE + lru, by its number of pages (a huge page is one
 * folio on the list, its head, counted 512 times; its tails never are).
 * Flags that pick the list (PG_active, PG_unevictable, PG_swapbacked)
 * change only while the page is off the list (isolated, or between
 * lruvec_del_folio() and lruvec_add_folio()).  A page's memory cgroup
 * (its memcg id, page.h) does not change while the page counts in any
 * lruvec statistic: it is charged before it is counted anywhere and
 * uncharged only when it is freed, after every count it took is given
 * back, so a statistic added through lruvec_stat_mod_folio() is taken
 * away from the same lruvec.
 */
#ifndef VMSIM_PHYS_MM_INLINE_H
#define VMSIM_PHYS_MM_INLINE_H

#include "phys/mmzone.h"

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

/*
 * parent_lruvec(): the lruvec of @lruvec's parent cgroup on the same node,
 * which reclaim costs and the nonresident age propagate to; NULL at the
 * root cgroup and for the node's own lruvec.
 */
static inline struct lruvec *parent_lruvec(struct lruvec *lruvec)
{
	return lruvec->parent;
}

/* __lruvec_stat_mod_folio(): @delta pages of @page in state @item, on its
 * node and in its memory cgroup. */
static inline void lruvec_stat_mod_folio(struct phys_mem *pm, const struct page *page,
					 enum node_stat_item item, long delta)
{
	mod_lruvec_state(folio_lruvec(pm, page), item, delta);
}

/* folio_is_file_lru(): page cache and MADV_FREE'd anonymous pages (not
 * swap-backed) age on the file lists; anonymous and shmem pages on the
 * anon lists.  1 or 0, an index into ANON_AND_FILE arrays. */
static inline int folio_is_file_lru(const struct page *page)
{
	return !PageSwapBacked(page);
}

/* folio_evictable(): mlocked pages never leave memory. */
static inline bool folio_evictable(const struct page *page)
{
	return !PageMlocked(page);
}

/* The list @page belongs on, from its flags (folio_lru_list()). */
static inline enum lru_list folio_lru_list(const struct page *page)
{
	enum lru_list lru;

	if (PageUnevictable(page))
		return LRU_UNEVICTABLE;
	lru = folio_is_file_lru(page) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
	if (PageActive(page))
		lru = (enum lru_list)(lru + LRU_ACTIVE);
	return lru;
}

/* The base list of @page's type, inactive (folio_lru_base_type()). */
static inline enum lru_list folio_lru_base_type(const struct page *page)
{
	return folio_is_file_lru(page) ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
}

static inline void update_lru_size(struct lruvec *lruvec, enum lru_list lru, unsigned zid,
				   long nr)
{
	struct pglist_data *pgdat = lruvec->pgdat;

	mod_lruvec_state(lruvec, (enum node_stat_item)(NR_LRU_BASE + lru), nr);
	mod_zone_page_state(&pgdat->node_zones[zid], (enum zone_stat_item)(NR_ZONE_LRU_BASE + lru),
			    nr);
	lruvec->lru_zone_size[zid][lru] = (unsigned long)((long)lruvec->lru_zone_size[zid][lru] + nr);
}

/* lruvec_add_folio(): at the head of its list, the most recently added. */
static inline void lruvec_add_folio(struct lruvec *lruvec, struct page *page)
{
	enum lru_list lru = folio_lru_list(page);

	update_lru_size(lruvec, lru, page_zonenum(page), (long)folio_nr_pages(page));
	if (lru != LRU_UNEVICTABLE)
		list_add(&page->lru, &lruvec->lists[lru]);
}

/* lruvec_add_folio_tail(): at the tail, the next reclaim looks at first. */
static inline void lruvec_add_folio_tail(struct lruvec *lruvec, struct page *page)
{
	enum lru_list lru = folio_lru_list(page);

	update_lru_size(lruvec, lru, page_zonenum(page), (long)folio_nr_pages(page));
	if (lru != LRU_UNEVICTABLE)
		list_add_tail(&page->lru, &lruvec->lists[lru]);
}

static inline void lruvec_del_folio(struct lruvec *lruvec, struct page *page)
{
	enum lru_list lru = folio_lru_list(page);

	if (lru != LRU_UNEVICTABLE)
		list_del(&page->lru);
	update_lru_size(lruvec, lru, page_zonenum(page), -(long)folio_nr_pages(page));
}

/* The page at the tail of @head (lru_to_folio()): the oldest. */
static inline struct page *lru_to_folio(struct list_head *head)
{
	return list_entry(head->prev, struct page, lru);
}

/* The empty lists of a fresh lruvec of @pgdat (lruvec_init()). */
static inline void lruvec_init(struct lruvec *lruvec, struct pglist_data *pgdat,
			       struct mem_cgroup *memcg)
{
	enum lru_list lru;

	*lruvec = (struct lruvec){ .pgdat = pgdat, .memcg = memcg };
	for_each_lru(lru)
		INIT_LIST_HEAD(&lruvec->lists[lru]);
}

#endif
