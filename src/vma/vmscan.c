/*
 * Page reclaim with the classic active/inactive LRU (mm/vmscan.c of Linux
 * v6.12 without CONFIG_LRU_GEN): direct reclaim from the allocator's slow
 * path (try_to_free_pages()), kswapd (balance_pgdat()), and the LRU
 * scanning both share (shrink_node() -> shrink_lruvec() ->
 * shrink_active_list() / shrink_inactive_list() -> shrink_folio_list()),
 * with the kernel's decisions: get_scan_count()'s anon/file balance from
 * swappiness and the lists' reclaim costs, inactive_is_low()'s target
 * ratio, folio_check_references()'s second chance, dirty pages written
 * back and rotated, anonymous pages swapped out.
 *
 * Deterministic time: the allocator may wake kswapd at any moment, but
 * kswapd only runs at defined points (kswapd_run(): between scenario
 * steps, every kswapd.interval accesses, and when direct reclaim would be
 * throttled waiting for it); writes complete when a reclaim pass has put
 * its pages back (page-writeback.c).  Everything else happens where the
 * kernel does it.
 *
 * Invariant: between two calls nothing is isolated (NR_ISOLATED_* are 0),
 * no write is pending, and every page reclaim took off a list is back on
 * one or freed.
 */
#include "vma/swap.h"

#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vma/swapfile.h"
#include "vma/workingset.h"
#include "vma/writeback.h"

#define DEACTIVATE_ANON 1
#define DEACTIVATE_FILE 2

struct scan_control {
	unsigned long nr_to_reclaim;
	struct mem_cgroup *target_mem_cgroup;	/* NULL: global reclaim */
	unsigned long anon_cost, file_cost;	/* of the target lruvec */
	unsigned may_deactivate;		/* DEACTIVATE_* */
	bool force_deactivate, skipped_deactivate;
	bool may_writepage, may_unmap, may_swap;
	bool no_cache_trim_mode, cache_trim_mode_failed, cache_trim_mode;
	bool memcg_full_walk;
	bool file_is_tiny;
	bool kswapd;				/* current_is_kswapd() */
	int order, priority;
	enum zone_type reclaim_idx;
	gfp_t gfp_mask;
	unsigned long nr_scanned, nr_reclaimed;
	struct {
		unsigned long dirty, unqueued_dirty, congested, writeback, immediate, file_taken,
			taken;
	} nr;
};

struct reclaim_stat {
	unsigned long nr_dirty, nr_unqueued_dirty, nr_congested, nr_writeback, nr_immediate;
	unsigned long nr_pageout, nr_activate[ANON_AND_FILE], nr_ref_keep, nr_unmap_fail,
		nr_lazyfree_fail;
};

static struct vm_ctx *pm_vm(struct phys_mem *pm)
{
	return pm->hooks_ctx;
}

static int sc_swappiness(const struct vm_ctx *vm, const struct scan_control *sc)
{
	(void)sc;	/* a memory cgroup's memory.swappiness when it has one */
	return (int)vm->cfg->swappiness;
}

static bool cgroup_reclaim(const struct scan_control *sc)
{
	return sc->target_mem_cgroup != NULL;
}

/* can_reclaim_anon_pages(): a free swap slot to take an anon page --
 * for a cgroup's lruvec, one its memory.swap.max (and its ancestors')
 * still allows */
static bool can_reclaim_anon_pages(struct vm_ctx *vm, struct mem_cgroup *memcg)
{
	if (!memcg)
		return vm->pm->nr_swap_pages > 0;
	return mem_cgroup_get_nr_swap_pages(vm, memcg) > 0;
}

/* can_age_anon_pages(): aging anon is worth it only with swap configured */
static bool can_age_anon_pages(const struct vm_ctx *vm)
{
	return vm->pm->total_swap_pages > 0;
}

/* lruvec_lru_size(): the pages of @lru in zones up to @zone_idx */
static unsigned long lruvec_lru_size(const struct lruvec *lruvec, enum lru_list lru,
				     enum zone_type zone_idx)
{
	unsigned long size = 0;

	for (unsigned zid = 0; zid <= (unsigned)zone_idx; zid++) {
		if (!managed_zone(&lruvec->pgdat->node_zones[zid]))
			continue;
		size += lruvec->lru_zone_size[zid][lru];
	}
	return size;
}

/* ---- shrink_folio_list ---- */

enum folio_references {
	FOLIOREF_RECLAIM,
	FOLIOREF_RECLAIM_CLEAN,
	FOLIOREF_KEEP,
	FOLIOREF_ACTIVATE,
};

static const char *const folioref_name[] = { "reclaim", "reclaim_clean", "keep", "activate" };

/*
 * folio_check_references(): a page mapped and used since the last look
 * gets a second trip around the inactive list (PG_referenced set); used
 * again, or by more than one mapping, or an executable file page, it is
 * activated.  An unmapped page referenced through read() is reclaimed
 * only when clean.
 */
static enum folio_references folio_check_references(struct vm_ctx *vm, struct page *page)
{
	unsigned long vm_flags;
	int referenced_ptes = folio_referenced(vm, page, &vm_flags);
	bool referenced_folio = test_clear_page_flag(page, PG_referenced);

	if (vm_flags & VM_LOCKED)
		return FOLIOREF_ACTIVATE;
	if (referenced_ptes) {
		/* mapped pages start with the faulting PTE's reference: look
		 * twice before activating a page used once */
		set_page_flag(page, PG_referenced);
		if (referenced_folio || referenced_ptes > 1)
			return FOLIOREF_ACTIVATE;
		if ((vm_flags & VM_EXEC) && folio_is_file_lru(page))
			return FOLIOREF_ACTIVATE;
		return FOLIOREF_KEEP;
	}
	if (referenced_folio && folio_is_file_lru(page))
		return FOLIOREF_RECLAIM_CLEAN;
	return FOLIOREF_RECLAIM;
}

/* folio_check_dirty_writeback(): anonymous pages (MADV_FREE ones
 * included) are not the flushers' business. */
static void folio_check_dirty_writeback(const struct page *page, bool *dirty, bool *writeback)
{
	if (!folio_is_file_lru(page) || (PageAnon(page) && !PageSwapBacked(page))) {
		*dirty = *writeback = false;
		return;
	}
	*dirty = PageDirty(page);
	*writeback = PageWriteback(page);
}

/* folio_mapping(): what a page belongs to, for pageout() and
 * __remove_mapping(). */
enum mapping_kind { MAPPING_NONE, MAPPING_SWAP, MAPPING_FILE, MAPPING_SHMEM };

static enum mapping_kind folio_mapping(const struct page *page)
{
	if (PageSwapCache(page))
		return MAPPING_SWAP;
	if (PageAnon(page))
		return MAPPING_NONE;
	if (page_file(page))
		return MAPPING_FILE;
	if (PageSwapBacked(page) && page->mapping)
		return MAPPING_SHMEM;
	return MAPPING_NONE;
}

/* may_enter_fs(): __GFP_FS, or __GFP_IO for the swap cache */
static bool may_enter_fs(const struct page *page, gfp_t gfp)
{
	if (gfp & __GFP_FS)
		return true;
	return PageSwapCache(page) && (gfp & __GFP_IO);
}

typedef enum { PAGE_KEEP, PAGE_ACTIVATE, PAGE_SUCCESS, PAGE_CLEAN } pageout_t;

/*
 * pageout(): write a dirty page through its mapping's writepage: the swap
 * area for the swap cache, the file for page cache.  PG_reclaim asks
 * folio_end_writeback() to rotate it to the inactive tail when done.
 */
static pageout_t pageout(struct vm_ctx *vm, struct page *page, enum mapping_kind mapping)
{
	int res;

	/* is_page_cache_freeable(): the isolation's and the cache's references only */
	if (page_ref_count(page) != 2)
		return PAGE_KEEP;
	if (mapping == MAPPING_NONE)
		return PAGE_KEEP;
	if (!folio_clear_dirty_for_io(vm, page))
		return PAGE_CLEAN;
	set_page_flag(page, PG_reclaim);
	if (mapping == MAPPING_SHMEM)
		res = shmem_writepage(vm, page);	/* to swap, through the swap cache */
	else
		res = mapping == MAPPING_SWAP ? swap_writepage(vm, page) :
						filemap_writepage(vm, page);
	if (res == AOP_WRITEPAGE_ACTIVATE) {
		clear_page_flag(page, PG_reclaim);
		return PAGE_ACTIVATE;
	}
	if (res < 0)
		return PAGE_KEEP;	/* the page stays dirty */
	if (!PageWriteback(page))
		clear_page_flag(page, PG_reclaim);	/* a synchronous write */
	mod_node_page_state(&vm->pm->node_data[page_to_nid(page)], NR_VMSCAN_WRITE, 1);
	MM_EV_M(vm, "pageout", "pfn=%#lx%s", page_to_pfn(vm->pm, page),
		mapping == MAPPING_FILE ? " file" : " swap");
	return PAGE_SUCCESS;
}

/*
 * __remove_mapping(): take the page out of its cache when nobody but the
 * isolation holds it and it is clean, leaving a shadow entry when
 * @reclaimed; the cache's reference is dropped here (the kernel freezes
 * the count instead).
 */
static bool __remove_mapping(struct vm_ctx *vm, enum mapping_kind mapping, struct page *page,
			     bool reclaimed, struct mem_cgroup *target_memcg)
{
	void *shadow = NULL;

	if (page_ref_count(page) != 2 || PageDirty(page))
		return false;
	if (mapping == MAPPING_SWAP) {
		swp_entry_t entry = { page->private };

		if (reclaimed)
			shadow = workingset_eviction(vm, page, target_memcg);
		__delete_from_swap_cache(vm, page, shadow);
		put_swap_folio(vm, entry);
	} else if (mapping == MAPPING_FILE) {
		if (reclaimed && folio_is_file_lru(page))
			shadow = workingset_eviction(vm, page, target_memcg);
		__filemap_remove_folio(vm, page, shadow);
	} else if (mapping == MAPPING_SHMEM) {
		/* clean: never written since it was zeroed, so the
		 * object's next fault makes what it held */
		struct shmem_object *obj = page->mapping;

		obj->pages[page->index] = NULL;
		page->mapping = NULL;
		lruvec_stat_mod_folio(vm->pm, page, NR_FILE_PAGES, -1);
		lruvec_stat_mod_folio(vm->pm, page, NR_SHMEM, -1);
	} else {
		return false;
	}
	page->_refcount--;	/* the cache's */
	return true;
}

static unsigned long shrink_folio_list(struct vm_ctx *vm, struct list_head *folio_list,
				       struct pglist_data *pgdat, struct scan_control *sc,
				       struct reclaim_stat *stat, bool ignore_references)
{
	unsigned long nr_reclaimed = 0;
	LIST_HEAD(ret_folios);

	memset(stat, 0, sizeof(*stat));
	while (!list_empty(folio_list)) {
		struct page *page = lru_to_folio(folio_list);
		enum folio_references references = FOLIOREF_RECLAIM;
		unsigned long nr_pages = folio_nr_pages(page);
		enum mapping_kind mapping;
		bool dirty, writeback;

		list_del(&page->lru);
		set_page_flag(page, PG_locked);
		sc->nr_scanned += nr_pages;
		if (!folio_evictable(page))
			goto activate_locked;
		if (!sc->may_unmap && folio_mapped(page))
			goto keep_locked;
		/* how dirty the tail of the LRU is decides when kswapd
		 * writes file pages itself and when reclaim waits */
		folio_check_dirty_writeback(page, &dirty, &writeback);
		if (dirty || writeback)
			stat->nr_dirty++;
		if (dirty && !writeback)
			stat->nr_unqueued_dirty++;
		if (writeback && PageReclaim(page))
			stat->nr_congested++;
		if (PageWriteback(page)) {
			if (sc->kswapd && PageReclaim(page) && (pgdat->flags & PGDAT_WRITEBACK)) {
				stat->nr_immediate++;
				goto activate_locked;
			}
			/* mark it for immediate reclaim and move on */
			set_page_flag(page, PG_reclaim);
			stat->nr_writeback++;
			goto activate_locked;
		}
		if (!ignore_references)
			references = folio_check_references(vm, page);
		MM_EV_M(vm, "reclaim_check", "pfn=%#lx %s", page_to_pfn(vm->pm, page),
			folioref_name[references]);
		switch (references) {
		case FOLIOREF_ACTIVATE:
			goto activate_locked;
		case FOLIOREF_KEEP:
			stat->nr_ref_keep++;
			goto keep_locked;
		case FOLIOREF_RECLAIM:
		case FOLIOREF_RECLAIM_CLEAN:
			break;
		}
		/* anonymous memory gets a swap slot before it is unmapped */
		if (PageAnon(page) && PageSwapBacked(page) && !PageSwapCache(page)) {
			if (!(sc->gfp_mask & __GFP_IO))
				goto keep_locked;
			if (PageHead(page)) {
				/* a huge page: no swap cluster is ever
				 * allocated for it whole (THP swap-out is not
				 * modelled, as without CONFIG_THP_SWAP), so
				 * add_to_swap() of it fails and it falls back
				 * to 4 KiB pages: split, its tails after it on
				 * the list, each reclaimed on its own pass */
				clear_page_flag(page, PG_locked);
				if (split_folio_to_list(vm, page, folio_list)) {
					set_page_flag(page, PG_locked);
					goto activate_locked;
				}
				set_page_flag(page, PG_locked);
				count_vm_event(vm->pm, THP_SWPOUT_FALLBACK);
				/* the tails are counted when their turn comes */
				sc->nr_scanned -= nr_pages - 1;
				nr_pages = 1;
			}
			if (!add_to_swap(vm, page))
				goto activate_locked;
		} else if (PageHead(page)) {
			/* a huge page reclaim cannot swap out (lazily freed,
			 * or its pages in the swap cache): split first */
			clear_page_flag(page, PG_locked);
			if (split_folio_to_list(vm, page, folio_list)) {
				set_page_flag(page, PG_locked);
				goto activate_locked;
			}
			set_page_flag(page, PG_locked);
			sc->nr_scanned -= nr_pages - 1;
			nr_pages = 1;
		}
		if (page_mapcount(page) > 0) {
			bool was_swapbacked = PageSwapBacked(page);

			try_to_unmap(vm, page);
			if (page_mapcount(page) > 0) {
				stat->nr_unmap_fail++;
				if (!was_swapbacked && PageSwapBacked(page))
					stat->nr_lazyfree_fail++;
				goto activate_locked;
			}
		}
		mapping = folio_mapping(page);
		if (PageDirty(page)) {
			/* only kswapd writes file pages, and only once the
			 * flushers fell behind (PGDAT_DIRTY) and it has seen
			 * the page before (PG_reclaim); else let the
			 * flushers write it and reclaim it when clean */
			if (folio_is_file_lru(page) &&
			    (!sc->kswapd || !PageReclaim(page) || !(pgdat->flags & PGDAT_DIRTY))) {
				mod_node_page_state(pgdat, NR_VMSCAN_IMMEDIATE, 1);
				set_page_flag(page, PG_reclaim);
				goto activate_locked;
			}
			if (references == FOLIOREF_RECLAIM_CLEAN)
				goto keep_locked;
			if (!may_enter_fs(page, sc->gfp_mask))
				goto keep_locked;
			if (!sc->may_writepage)
				goto keep_locked;
			switch (pageout(vm, page, mapping)) {
			case PAGE_KEEP:
				goto keep_locked;
			case PAGE_ACTIVATE:
				goto activate_locked;
			case PAGE_SUCCESS:
				stat->nr_pageout++;
				/* the write unlocked it; a synchronous one (a
				 * zero page to swap) left it ready to free */
				clear_page_flag(page, PG_locked);
				if (PageWriteback(page) || PageDirty(page))
					goto keep;
				set_page_flag(page, PG_locked);
				mapping = folio_mapping(page);
				break;
			case PAGE_CLEAN:
				break;
			}
		}
		if (PageAnon(page) && !PageSwapBacked(page)) {
			/* MADV_FREE, still clean: only the isolation holds it */
			if (page_ref_count(page) != 1)
				goto keep_locked;
			count_vm_events(vm->pm, PGLAZYFREED, nr_pages);
			count_memcg_events(folio_memcg(vm, page), PGLAZYFREED, nr_pages);
		} else if (!__remove_mapping(vm, mapping, page, true, sc->target_mem_cgroup)) {
			goto keep_locked;
		}
		clear_page_flag(page, PG_locked);
		nr_reclaimed++;
		MM_EV_M(vm, "reclaim_free", "pfn=%#lx", page_to_pfn(vm->pm, page));
		put_page(vm->pm, page);		/* the isolation's: frees it */
		continue;
activate_locked:
		/* not a candidate for swapping: give its slot back */
		if (PageSwapCache(page) && (mem_cgroup_swap_full(vm, page) || PageMlocked(page)))
			folio_free_swap(vm, page);
		if (!PageMlocked(page)) {
			set_page_flag(page, PG_active);
			stat->nr_activate[folio_is_file_lru(page)] += nr_pages;
			count_memcg_events(folio_memcg(vm, page), PGACTIVATE, nr_pages);
		}
keep_locked:
		clear_page_flag(page, PG_locked);
keep:
		list_add(&page->lru, &ret_folios);
	}
	list_splice(&ret_folios, folio_list);
	count_vm_events(vm->pm, PGACTIVATE, stat->nr_activate[0] + stat->nr_activate[1]);
	return nr_reclaimed;
}

/* ---- isolation and putback ---- */

/*
 * isolate_lru_folios(): take up to @nr_to_scan pages from the tail of
 * @lru, each with a reference and PG_lru cleared; pages of zones above
 * the reclaim index are skipped (put back at the head), pages in a batch
 * (no PG_lru) rotated to the head.  *@nr_scanned gets the pages looked at.
 */
static unsigned long isolate_lru_folios(struct vm_ctx *vm, unsigned long nr_to_scan,
					struct lruvec *lruvec, struct list_head *dst,
					unsigned long *nr_scanned, struct scan_control *sc,
					enum lru_list lru)
{
	struct list_head *src = &lruvec->lists[lru];
	unsigned long nr_taken = 0, scan = 0, total_scan = 0;
	unsigned long nr_zone_taken[MAX_NR_ZONES] = { 0 }, nr_skipped[MAX_NR_ZONES] = { 0 };
	LIST_HEAD(folios_skipped);

	while (scan < nr_to_scan && !list_empty(src)) {
		struct page *page = lru_to_folio(src);
		struct list_head *move_to = src;

		total_scan++;
		if (page_zonenum(page) > (unsigned)sc->reclaim_idx) {
			nr_skipped[page_zonenum(page)]++;
			move_to = &folios_skipped;
			goto move;
		}
		scan++;
		if (!PageLRU(page))
			goto move;
		if (!sc->may_unmap && folio_mapped(page))
			goto move;
		get_page(page);
		clear_page_flag(page, PG_lru);
		nr_taken += folio_nr_pages(page);
		nr_zone_taken[page_zonenum(page)] += folio_nr_pages(page);
		move_to = dst;
move:
		list_move(&page->lru, move_to);
	}
	if (!list_empty(&folios_skipped)) {
		list_splice(&folios_skipped, src);
		for (unsigned z = 0; z < MAX_NR_ZONES; z++)
			count_vm_events(vm->pm, (enum vm_event_item)(PGSCAN_SKIP_DMA + z),
					nr_skipped[z]);
	}
	*nr_scanned = total_scan;
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		if (nr_zone_taken[z])
			update_lru_size(lruvec, lru, z, -(long)nr_zone_taken[z]);
	return nr_taken;
}

/*
 * move_folios_to_lru(): back onto the lists their flags name, in the
 * order that keeps the first one reclaim looked at deepest; the
 * isolation's reference goes, freeing a page that was its last.
 */
static unsigned long move_folios_to_lru(struct vm_ctx *vm, struct lruvec *lruvec,
					struct list_head *list)
{
	unsigned long nr_moved = 0;

	while (!list_empty(list)) {
		struct page *page = lru_to_folio(list);

		list_del(&page->lru);
		if (!folio_evictable(page)) {
			folio_putback_lru(vm, page);
			continue;
		}
		if (page_ref_count(page) == 1) {
			/* the last reference: free it (off every list) */
			page->flags &= ~((1ULL << PG_active) | (1ULL << PG_unevictable));
			put_page(vm->pm, page);
			continue;
		}
		page->_refcount--;
		set_page_flag(page, PG_lru);
		lruvec_add_folio(lruvec, page);
		nr_moved += folio_nr_pages(page);
		if (PageActive(page))
			workingset_age_nonresident(lruvec, folio_nr_pages(page));
	}
	return nr_moved;
}

/* ---- the inactive and active lists ---- */

static unsigned long shrink_inactive_list(struct vm_ctx *vm, unsigned long nr_to_scan,
					  struct lruvec *lruvec, struct scan_control *sc,
					  enum lru_list lru)
{
	struct pglist_data *pgdat = lruvec_pgdat(lruvec);
	const bool file = is_file_lru(lru);
	unsigned long nr_scanned, nr_taken, nr_reclaimed;
	struct reclaim_stat stat;
	LIST_HEAD(folio_list);

	lru_add_drain(vm);
	nr_taken = isolate_lru_folios(vm, nr_to_scan, lruvec, &folio_list, &nr_scanned, sc, lru);
	mod_node_page_state(pgdat, (enum node_stat_item)(NR_ISOLATED_ANON + file), (long)nr_taken);
	/* the machine counts global reclaim; the lruvec's cgroup every scan
	 * of its pages */
	if (!cgroup_reclaim(sc))
		count_vm_events(vm->pm, sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, nr_scanned);
	count_memcg_events(lruvec->memcg, sc->kswapd ? PGSCAN_KSWAPD : PGSCAN_DIRECT, nr_scanned);
	count_vm_events(vm->pm, file ? PGSCAN_FILE : PGSCAN_ANON, nr_scanned);
	if (!nr_taken)
		return 0;
	nr_reclaimed = shrink_folio_list(vm, &folio_list, pgdat, sc, &stat, false);
	move_folios_to_lru(vm, lruvec, &folio_list);
	/* the writes this pass queued complete now that its pages are back */
	writeback_io_complete(vm);
	mod_node_page_state(pgdat, (enum node_stat_item)(NR_ISOLATED_ANON + file), -(long)nr_taken);
	if (!cgroup_reclaim(sc))
		count_vm_events(vm->pm, sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, nr_reclaimed);
	count_memcg_events(lruvec->memcg, sc->kswapd ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT, nr_reclaimed);
	count_vm_events(vm->pm, file ? PGSTEAL_FILE : PGSTEAL_ANON, nr_reclaimed);
	lru_note_cost(vm, lruvec, file, stat.nr_pageout, nr_scanned - nr_reclaimed);
	/* dirty pages at the tail not even queued for I/O: the flushers
	 * are behind, wake them */
	if (stat.nr_unqueued_dirty == nr_taken)
		wakeup_flusher_threads(vm);
	sc->nr.dirty += stat.nr_dirty;
	sc->nr.congested += stat.nr_congested;
	sc->nr.unqueued_dirty += stat.nr_unqueued_dirty;
	sc->nr.writeback += stat.nr_writeback;
	sc->nr.immediate += stat.nr_immediate;
	sc->nr.taken += nr_taken;
	if (file)
		sc->nr.file_taken += nr_taken;
	MM_EV_M(vm, "shrink_inactive", "lru=%s priority=%d scanned=%lu taken=%lu reclaimed=%lu "
		"activated=%lu kept=%lu written=%lu", lru_list_name(lru), sc->priority, nr_scanned,
		nr_taken, nr_reclaimed, stat.nr_activate[file], stat.nr_ref_keep, stat.nr_pageout);
	return nr_reclaimed;
}

/*
 * shrink_active_list(): move the pages at the tail of an active list to
 * its inactive list, except referenced executable file pages, which get
 * another trip around the active list.
 */
static void shrink_active_list(struct vm_ctx *vm, unsigned long nr_to_scan,
			       struct lruvec *lruvec, struct scan_control *sc, enum lru_list lru)
{
	struct pglist_data *pgdat = lruvec_pgdat(lruvec);
	const bool file = is_file_lru(lru);
	unsigned long nr_taken, nr_scanned, nr_rotated = 0, nr_activate, nr_deactivate;
	LIST_HEAD(l_hold);
	LIST_HEAD(l_active);
	LIST_HEAD(l_inactive);

	lru_add_drain(vm);
	nr_taken = isolate_lru_folios(vm, nr_to_scan, lruvec, &l_hold, &nr_scanned, sc, lru);
	mod_node_page_state(pgdat, (enum node_stat_item)(NR_ISOLATED_ANON + file), (long)nr_taken);
	if (!cgroup_reclaim(sc))
		count_vm_events(vm->pm, PGREFILL, nr_scanned);
	count_memcg_events(lruvec->memcg, PGREFILL, nr_scanned);
	while (!list_empty(&l_hold)) {
		struct page *page = lru_to_folio(&l_hold);
		unsigned long vm_flags;

		list_del(&page->lru);
		if (!folio_evictable(page)) {
			folio_putback_lru(vm, page);
			continue;
		}
		if (folio_referenced(vm, page, &vm_flags) != 0 && (vm_flags & VM_EXEC) &&
		    folio_is_file_lru(page)) {
			nr_rotated++;
			list_add(&page->lru, &l_active);
			continue;
		}
		clear_page_flag(page, PG_active);	/* we are deactivating */
		set_page_flag(page, PG_workingset);
		list_add(&page->lru, &l_inactive);
	}
	nr_activate = move_folios_to_lru(vm, lruvec, &l_active);
	nr_deactivate = move_folios_to_lru(vm, lruvec, &l_inactive);
	count_vm_events(vm->pm, PGDEACTIVATE, nr_deactivate);
	count_memcg_events(lruvec->memcg, PGDEACTIVATE, nr_deactivate);
	mod_node_page_state(pgdat, (enum node_stat_item)(NR_ISOLATED_ANON + file), -(long)nr_taken);
	if (nr_rotated)
		lru_note_cost(vm, lruvec, file, 0, nr_rotated);
	MM_EV_M(vm, "shrink_active", "lru=%s priority=%d scanned=%lu taken=%lu rotated=%lu "
		"deactivated=%lu", lru_list_name(lru), sc->priority, nr_scanned, nr_taken,
		nr_activate, nr_deactivate);
}

static unsigned long shrink_list(struct vm_ctx *vm, enum lru_list lru,
				 unsigned long nr_to_scan, struct lruvec *lruvec,
				 struct scan_control *sc)
{
	if (is_active_lru(lru)) {
		if (sc->may_deactivate & (1u << is_file_lru(lru)))
			shrink_active_list(vm, nr_to_scan, lruvec, sc, lru);
		else
			sc->skipped_deactivate = true;
		return 0;
	}
	return shrink_inactive_list(vm, nr_to_scan, lruvec, sc, lru);
}

/* int_sqrt() of lib/math/int_sqrt.c */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long b, mm, y = 0;

	if (x <= 1)
		return x;
	mm = 1UL << ((63 - __builtin_clzl(x)) & ~1);
	while (mm) {
		b = y + mm;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += mm;
		}
		mm >>= 2;
	}
	return y;
}

/*
 * inactive_is_low(): the target active:inactive ratio is
 * int_sqrt(10 * size in GiB) (1 below 1 GiB): 3 at 1 GiB, 10 at 10 GiB.
 */
static bool inactive_is_low(const struct vm_ctx *vm, const struct lruvec *lruvec,
			    enum lru_list inactive_lru)
{
	enum lru_list active_lru = (enum lru_list)(inactive_lru + LRU_ACTIVE);
	unsigned long inactive = mem_cgroup_lruvec_state(vm, lruvec,
							 (enum node_stat_item)(NR_LRU_BASE + inactive_lru));
	unsigned long active = mem_cgroup_lruvec_state(vm, lruvec,
						       (enum node_stat_item)(NR_LRU_BASE + active_lru));
	unsigned long gb = (inactive + active) >> (30 - PAGE_SHIFT);
	unsigned long inactive_ratio = gb ? int_sqrt(10 * gb) : 1;

	return inactive * inactive_ratio < active;
}

enum scan_balance { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE };

/*
 * prepare_scan_control(): the costs to balance, which active lists may be
 * deactivated (the inactive one is low, or refaults show a new
 * workingset), cache_trim_mode (plenty of inactive file pages not
 * thrashing: take only those), file_is_tiny (file pages and free memory
 * under the high watermarks while anon has pages to give).
 */
static void prepare_scan_control(struct vm_ctx *vm, struct pglist_data *pgdat,
				 struct scan_control *sc)
{
	struct lruvec *target_lruvec = mem_cgroup_lruvec(vm, sc->target_mem_cgroup, pgdat->node_id);
	unsigned long file, refaults;

	sc->anon_cost = target_lruvec->anon_cost;
	sc->file_cost = target_lruvec->file_cost;
	if (!sc->force_deactivate) {
		refaults = mem_cgroup_lruvec_state(vm, target_lruvec, WORKINGSET_ACTIVATE_ANON);
		if (refaults != target_lruvec->refaults[0] ||
		    inactive_is_low(vm, target_lruvec, LRU_INACTIVE_ANON))
			sc->may_deactivate |= DEACTIVATE_ANON;
		else
			sc->may_deactivate &= ~DEACTIVATE_ANON;
		refaults = mem_cgroup_lruvec_state(vm, target_lruvec, WORKINGSET_ACTIVATE_FILE);
		if (refaults != target_lruvec->refaults[1] ||
		    inactive_is_low(vm, target_lruvec, LRU_INACTIVE_FILE))
			sc->may_deactivate |= DEACTIVATE_FILE;
		else
			sc->may_deactivate &= ~DEACTIVATE_FILE;
	} else {
		sc->may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
	}
	file = mem_cgroup_lruvec_state(vm, target_lruvec, NR_INACTIVE_FILE);
	sc->cache_trim_mode = (file >> sc->priority) && !(sc->may_deactivate & DEACTIVATE_FILE) &&
			      !sc->no_cache_trim_mode;
	if (!cgroup_reclaim(sc)) {
		unsigned long total_high_wmark = 0, free = 0, anon;

		file = node_page_state(pgdat, NR_ACTIVE_FILE) + node_page_state(pgdat, NR_INACTIVE_FILE);
		for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];

			free += zone->free_pages;
			if (managed_zone(zone))
				total_high_wmark += high_wmark_pages(zone);
		}
		anon = node_page_state(pgdat, NR_INACTIVE_ANON);
		sc->file_is_tiny = file + free <= total_high_wmark &&
				   !(sc->may_deactivate & DEACTIVATE_ANON) && (anon >> sc->priority);
	}
}

/*
 * get_scan_count(): how many pages of each list to scan this round:
 * size >> priority, then balanced -- file only without swap (or with
 * cache_trim_mode), anon only when file is tiny, both equally at
 * priority 0, else in proportion to swappiness and to the inverse of each
 * type's recent reclaim cost (at least a third of the pressure each).
 */
static void get_scan_count(struct vm_ctx *vm, struct lruvec *lruvec, struct scan_control *sc,
			   unsigned long *nr)
{
	int swappiness = sc_swappiness(vm, sc);
	uint64_t fraction[ANON_AND_FILE] = { 0, 0 }, denominator = 0;
	enum scan_balance scan_balance;
	enum lru_list lru;

	if (!sc->may_swap || !can_reclaim_anon_pages(vm, lruvec->memcg)) {
		scan_balance = SCAN_FILE;
		goto out;
	}
	if (cgroup_reclaim(sc) && !swappiness) {
		scan_balance = SCAN_FILE;
		goto out;
	}
	if (!sc->priority && swappiness) {
		scan_balance = SCAN_EQUAL;
		goto out;
	}
	if (sc->file_is_tiny) {
		scan_balance = SCAN_ANON;
		goto out;
	}
	if (sc->cache_trim_mode) {
		scan_balance = SCAN_FILE;
		goto out;
	}
	scan_balance = SCAN_FRACT;
	{
		uint64_t total_cost = sc->anon_cost + sc->file_cost;
		uint64_t anon_cost = total_cost + sc->anon_cost;
		uint64_t file_cost = total_cost + sc->file_cost;
		uint64_t ap, fp;

		total_cost = anon_cost + file_cost;
		ap = (uint64_t)swappiness * (total_cost + 1);
		ap /= anon_cost + 1;
		fp = (uint64_t)(MAX_SWAPPINESS - swappiness) * (total_cost + 1);
		fp /= file_cost + 1;
		fraction[0] = ap;
		fraction[1] = fp;
		denominator = ap + fp;
	}
out:
	for_each_evictable_lru(lru) {
		const bool file = is_file_lru(lru);
		unsigned long lruvec_size = lruvec_lru_size(lruvec, lru, sc->reclaim_idx);
		unsigned long scan = lruvec_size >> sc->priority;

		switch (scan_balance) {
		case SCAN_EQUAL:
			break;
		case SCAN_FRACT:
			scan = denominator ? (unsigned long)((uint64_t)scan * fraction[file] / denominator) : 0;
			break;
		case SCAN_FILE:
		case SCAN_ANON:
			if ((scan_balance == SCAN_FILE) != file)
				scan = 0;
			break;
		}
		nr[lru] = scan;
	}
	MM_EV_M(vm, "get_scan_count", "priority=%d balance=%s swappiness=%d nr=%lu,%lu,%lu,%lu",
		sc->priority, (const char *[]){ "equal", "fract", "anon", "file" }[scan_balance],
		swappiness, nr[LRU_INACTIVE_ANON], nr[LRU_ACTIVE_ANON], nr[LRU_INACTIVE_FILE],
		nr[LRU_ACTIVE_FILE]);
}

/*
 * shrink_lruvec(): scan the lists in SWAP_CLUSTER_MAX batches, round
 * robin, until get_scan_count()'s targets are done -- or, for kswapd and
 * below the first priority, once enough was reclaimed, scaling the rest
 * down so both types were scanned in proportion; then age anon if its
 * inactive list is low.
 */
static void shrink_lruvec(struct vm_ctx *vm, struct lruvec *lruvec, struct scan_control *sc)
{
	unsigned long nr[NR_LRU_LISTS], targets[NR_LRU_LISTS];
	unsigned long nr_reclaimed = 0, nr_to_reclaim = sc->nr_to_reclaim;
	const bool proportional_reclaim = !cgroup_reclaim(sc) && !sc->kswapd &&
					  sc->priority == DEF_PRIORITY;
	enum lru_list lru;

	get_scan_count(vm, lruvec, sc, nr);
	memcpy(targets, nr, sizeof(nr));
	while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
		unsigned long nr_anon, nr_file, percentage, nr_scanned;

		for_each_evictable_lru(lru) {
			if (nr[lru]) {
				unsigned long nr_to_scan = nr[lru] < SWAP_CLUSTER_MAX ? nr[lru] :
							   SWAP_CLUSTER_MAX;

				nr[lru] -= nr_to_scan;
				nr_reclaimed += shrink_list(vm, lru, nr_to_scan, lruvec, sc);
			}
		}
		if (nr_reclaimed < nr_to_reclaim || proportional_reclaim)
			continue;
		/* reclaimed enough: finish with both types in proportion */
		nr_file = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE];
		nr_anon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON];
		if (!nr_file || !nr_anon)
			break;
		if (nr_file > nr_anon) {
			unsigned long scan_target = targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1;

			lru = LRU_BASE;
			percentage = nr_anon * 100 / scan_target;
		} else {
			unsigned long scan_target = targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1;

			lru = LRU_FILE;
			percentage = nr_file * 100 / scan_target;
		}
		nr[lru] = 0;
		nr[lru + LRU_ACTIVE] = 0;
		lru = lru == LRU_FILE ? LRU_BASE : LRU_FILE;
		nr_scanned = targets[lru] - nr[lru];
		nr[lru] = targets[lru] * (100 - percentage) / 100;
		nr[lru] -= nr[lru] < nr_scanned ? nr[lru] : nr_scanned;
		lru = (enum lru_list)(lru + LRU_ACTIVE);
		nr_scanned = targets[lru] - nr[lru];
		nr[lru] = targets[lru] * (100 - percentage) / 100;
		nr[lru] -= nr[lru] < nr_scanned ? nr[lru] : nr_scanned;
	}
	sc->nr_reclaimed += nr_reclaimed;
	/* rebalance anon's active:inactive even when it was not scanned */
	if (can_age_anon_pages(vm) && inactive_is_low(vm, lruvec, LRU_INACTIVE_ANON))
		shrink_active_list(vm, SWAP_CLUSTER_MAX, lruvec, sc, LRU_ACTIVE_ANON);
}

/* ---- nodes and zones ---- */

/*
 * shrink_node_memcgs(): the lruvec on this node of each cgroup of the
 * target's subtree (the whole tree for global reclaim), in
 * mem_cgroup_iter() order.  Direct reclaimers walk partially: each
 * resumes after the cgroup the last one stopped at and stops once it has
 * reclaimed enough; kswapd, and a retry that must see every cgroup, walk
 * all of them.  memory.min and memory.low are not modelled: no cgroup is
 * protected.
 */
static void shrink_node_memcgs(struct vm_ctx *vm, struct pglist_data *pgdat,
			       struct scan_control *sc)
{
	const unsigned nid = pgdat->node_id;
	struct mem_cgroup *target = sc->target_mem_cgroup, *root, *memcg;
	const bool partial = !sc->kswapd && !sc->memcg_full_walk;

	if (!vm->memcg) {
		shrink_lruvec(vm, &pgdat->__lruvec, sc);
		return;
	}
	root = target ? target : vm->memcg->root;
	memcg = partial ? mem_cgroup_iter_reclaim(root, NULL, nid) : root;
	do {
		shrink_lruvec(vm, mem_cgroup_lruvec(vm, memcg, nid), sc);
		if (partial && sc->nr_reclaimed >= sc->nr_to_reclaim) {
			mem_cgroup_iter_break(root, memcg, nid);
			break;
		}
	} while ((memcg = partial ? mem_cgroup_iter_reclaim(root, memcg, nid)
				  : mem_cgroup_iter(root, memcg)));
}

/*
 * shrink_node(): one pass over the node's lruvecs (shrink_node_memcgs()),
 * then kswapd's flags from what the pass saw at the tail of the lists.
 */
static void shrink_node(struct vm_ctx *vm, struct pglist_data *pgdat, struct scan_control *sc)
{
	struct lruvec *target_lruvec = mem_cgroup_lruvec(vm, sc->target_mem_cgroup, pgdat->node_id);
	unsigned long nr_reclaimed = sc->nr_reclaimed;

	memset(&sc->nr, 0, sizeof(sc->nr));
	prepare_scan_control(vm, pgdat, sc);
	shrink_node_memcgs(vm, pgdat, sc);
	if (sc->kswapd) {
		/* every page taken was under writeback: flag the node */
		if (sc->nr.writeback && sc->nr.writeback == sc->nr.taken)
			pgdat->flags |= PGDAT_WRITEBACK;
		/* every file page taken (if any) was dirty and unqueued:
		 * kswapd may write file pages itself from now on */
		if (sc->nr.unqueued_dirty == sc->nr.file_taken)
			pgdat->flags |= PGDAT_DIRTY;
	}
	if (sc->nr.dirty && sc->nr.dirty == sc->nr.congested) {
		if (cgroup_reclaim(sc))
			target_lruvec->flags |= LRUVEC_CGROUP_CONGESTED;
		if (sc->kswapd)
			target_lruvec->flags |= LRUVEC_NODE_CONGESTED;
	}
	if (sc->nr_reclaimed - nr_reclaimed)
		pgdat->kswapd_failures = 0;
	else if (sc->cache_trim_mode)
		sc->cache_trim_mode_failed = true;
}

/* snapshot_refaults(): the refault counts of the target's lruvec this
 * reclaim cycle ended at. */
static void snapshot_refaults(struct vm_ctx *vm, struct mem_cgroup *target_memcg,
			      struct pglist_data *pgdat)
{
	struct lruvec *lruvec = mem_cgroup_lruvec(vm, target_memcg, pgdat->node_id);

	lruvec->refaults[0] = mem_cgroup_lruvec_state(vm, lruvec, WORKINGSET_ACTIVATE_ANON);
	lruvec->refaults[1] = mem_cgroup_lruvec_state(vm, lruvec, WORKINGSET_ACTIVATE_FILE);
}

/* shrink_zones(): each node of the zonelist once, through its first
 * zone no higher than the reclaim index. */
static void shrink_zones(struct vm_ctx *vm, struct zone *const *zonelist,
			 struct scan_control *sc)
{
	const struct pglist_data *last_pgdat = NULL;

	for (struct zone *const *zp = zonelist; *zp; zp++) {
		struct zone *zone = *zp;

		if (zone->type > sc->reclaim_idx || zone->zone_pgdat == last_pgdat)
			continue;
		last_pgdat = zone->zone_pgdat;
		shrink_node(vm, zone->zone_pgdat, sc);
	}
}

/*
 * do_try_to_free_pages(): shrink the zonelist's nodes at priorities
 * DEF_PRIORITY down to 0 until nr_to_reclaim pages are free; retried
 * once with every active list deactivatable before giving up.
 */
static unsigned long do_try_to_free_pages(struct vm_ctx *vm, struct zone *const *zonelist,
					  struct scan_control *sc)
{
	const int initial_priority = sc->priority;
	const struct pglist_data *last_pgdat;

retry:
	if (!cgroup_reclaim(sc))
		count_vm_event(vm->pm, (enum vm_event_item)(ALLOCSTALL_DMA + sc->reclaim_idx));
	do {
		sc->nr_scanned = 0;
		shrink_zones(vm, zonelist, sc);
		if (sc->nr_reclaimed >= sc->nr_to_reclaim)
			break;
		if (sc->priority < DEF_PRIORITY - 2)
			sc->may_writepage = true;
	} while (--sc->priority >= 0);
	last_pgdat = NULL;
	for (struct zone *const *zp = zonelist; *zp; zp++) {
		if ((*zp)->type > sc->reclaim_idx || (*zp)->zone_pgdat == last_pgdat)
			continue;
		last_pgdat = (*zp)->zone_pgdat;
		snapshot_refaults(vm, sc->target_mem_cgroup, (*zp)->zone_pgdat);
	}
	if (sc->nr_reclaimed)
		return sc->nr_reclaimed;
	/* the partial cgroup walks found nothing: once more over them all */
	if (!sc->memcg_full_walk) {
		sc->priority = initial_priority;
		sc->memcg_full_walk = true;
		goto retry;
	}
	/* the ratios were off: retry with every active list fair game */
	if (sc->skipped_deactivate) {
		sc->priority = initial_priority;
		sc->force_deactivate = true;
		sc->skipped_deactivate = false;
		goto retry;
	}
	return 0;
}

/*
 * allow_direct_reclaim(): free memory of the lowmem zones above half
 * their min watermarks; otherwise direct reclaimers wait for kswapd.
 */
static bool allow_direct_reclaim(struct vm_ctx *vm, struct pglist_data *pgdat)
{
	unsigned long pfmemalloc_reserve = 0, free_pages = 0;

	if (pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES)
		return true;
	for (unsigned i = 0; i <= ZONE_NORMAL; i++) {
		const struct zone *zone = &pgdat->node_zones[i];

		if (!managed_zone(zone) || !zone_reclaimable_pages(vm->pm, zone))
			continue;
		pfmemalloc_reserve += min_wmark_pages(zone);
		free_pages += zone->free_pages;
	}
	if (!pfmemalloc_reserve)
		return true;
	if (free_pages > pfmemalloc_reserve / 2)
		return true;
	if (!pgdat->kswapd_woken) {
		if (pgdat->kswapd_highest_zoneidx == MAX_NR_ZONES ||
		    pgdat->kswapd_highest_zoneidx > ZONE_NORMAL)
			pgdat->kswapd_highest_zoneidx = ZONE_NORMAL;
		pgdat->kswapd_woken = true;
	}
	return false;
}

/*
 * throttle_direct_reclaim(): below half the min watermarks the reclaimer
 * waits for kswapd (PGSCAN_DIRECT_THROTTLE); kswapd runs now, which is
 * the moment it would have run while the task slept.
 */
static void throttle_direct_reclaim(struct vm_ctx *vm, struct zone *const *zonelist,
				    gfp_t gfp)
{
	const enum zone_type highidx = gfp_zone(vm->pm, gfp);
	struct pglist_data *pgdat = NULL;

	/* the first node with a usable zone up to ZONE_NORMAL */
	for (struct zone *const *zp = zonelist; *zp; zp++)
		if ((*zp)->type <= highidx && (*zp)->type <= ZONE_NORMAL) {
			pgdat = (*zp)->zone_pgdat;
			break;
		}
	if (!pgdat || allow_direct_reclaim(vm, pgdat))
		return;
	count_vm_event(vm->pm, PGSCAN_DIRECT_THROTTLE);
	kswapd_run(vm);
}

unsigned long try_to_free_pages(struct phys_mem *pm, struct zone *const *zonelist, unsigned order,
				gfp_t gfp)
{
	struct vm_ctx *vm = pm_vm(pm);
	struct scan_control sc = {
		.nr_to_reclaim = SWAP_CLUSTER_MAX,
		.gfp_mask = gfp,
		.reclaim_idx = gfp_zone(pm, gfp),
		.order = (int)order,
		.priority = DEF_PRIORITY,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = true,
	};
	unsigned long nr_reclaimed;

	throttle_direct_reclaim(vm, zonelist, gfp);
	MM_EV_M(vm, "direct_reclaim_begin", "order=%u gfp=%#x", order, gfp);
	nr_reclaimed = do_try_to_free_pages(vm, zonelist, &sc);
	MM_EV_M(vm, "direct_reclaim_end", "reclaimed=%lu", nr_reclaimed);
	return nr_reclaimed;
}

unsigned long try_to_free_mem_cgroup_pages(struct vm_ctx *vm, struct mem_cgroup *memcg,
					   unsigned long nr_pages, gfp_t gfp_mask,
					   unsigned reclaim_options)
{
	/* GFP_RECLAIM_MASK of the caller's mask, the rest GFP_HIGHUSER_MOVABLE's */
	const gfp_t reclaim_mask = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_HIGH |
				   __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL |
				   __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC;
	struct scan_control sc = {
		.nr_to_reclaim = nr_pages > SWAP_CLUSTER_MAX ? nr_pages : SWAP_CLUSTER_MAX,
		.gfp_mask = (gfp_mask & reclaim_mask) | (GFP_HIGHUSER_MOVABLE & ~reclaim_mask),
		.reclaim_idx = MAX_NR_ZONES - 1,
		.target_mem_cgroup = memcg,
		.priority = DEF_PRIORITY,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = (reclaim_options & MEMCG_RECLAIM_MAY_SWAP) != 0,
	};
	/* the fallback zonelist of the running CPU's node (numa_node_id():
	 * node 0, as alloc_pages() has it) puts equal pressure on every node */
	struct zone *const *zonelist = vm->pm->node_data[0].zonelist[gfp_zone(vm->pm, sc.gfp_mask)];
	unsigned long nr_reclaimed;
	bool was = vm->pm->memalloc;

	vm->pm->memalloc = true;
	MM_EV_M(vm, "memcg_reclaim_begin", "memcg=%u nr_to_reclaim=%lu gfp=%#x", memcg->id,
		nr_pages, sc.gfp_mask);
	nr_reclaimed = do_try_to_free_pages(vm, zonelist, &sc);
	MM_EV_M(vm, "memcg_reclaim_end", "memcg=%u reclaimed=%lu", memcg->id, nr_reclaimed);
	vm->pm->memalloc = was;
	return nr_reclaimed;
}

unsigned long reclaim_lruvec(struct vm_ctx *vm, struct lruvec *lruvec,
			     unsigned long nr_to_reclaim, gfp_t gfp, bool may_swap)
{
	struct scan_control sc = {
		.nr_to_reclaim = nr_to_reclaim > SWAP_CLUSTER_MAX ? nr_to_reclaim : SWAP_CLUSTER_MAX,
		/* the root cgroup's lruvec holds what global reclaim scans */
		.target_mem_cgroup = lruvec->memcg && !mem_cgroup_is_root(lruvec->memcg) ?
				     lruvec->memcg : NULL,
		.gfp_mask = gfp,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.priority = DEF_PRIORITY,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = may_swap,
	};
	bool was = vm->pm->memalloc;

	vm->pm->memalloc = true;
	do {
		memset(&sc.nr, 0, sizeof(sc.nr));
		prepare_scan_control(vm, lruvec->pgdat, &sc);
		shrink_lruvec(vm, lruvec, &sc);
	} while (sc.nr_reclaimed < sc.nr_to_reclaim && --sc.priority >= 0);
	vm->pm->memalloc = was;
	return sc.nr_reclaimed;
}

/* ---- kswapd ---- */

/* pgdat_balanced(): some zone up to @highest_zoneidx is above its high
 * watermark for @order (a node with no such zone needs nothing). */
static bool pgdat_balanced(struct pglist_data *pgdat, int order, enum zone_type highest_zoneidx)
{
	bool any = false;

	for (unsigned i = 0; i <= (unsigned)highest_zoneidx && i < MAX_NR_ZONES; i++) {
		const struct zone *zone = &pgdat->node_zones[i];

		if (!managed_zone(zone))
			continue;
		any = true;
		if (zone_watermark_ok(zone, (unsigned)order, high_wmark_pages(zone), highest_zoneidx, 0))
			return true;
	}
	return !any;
}

static void clear_pgdat_congested(struct vm_ctx *vm, struct pglist_data *pgdat)
{
	mem_cgroup_lruvec(vm, NULL, pgdat->node_id)->flags &=
		~(LRUVEC_NODE_CONGESTED | LRUVEC_CGROUP_CONGESTED);
	pgdat->flags &= ~(PGDAT_DIRTY | PGDAT_WRITEBACK);
}

static bool prepare_kswapd_sleep(struct vm_ctx *vm, struct pglist_data *pgdat, int order,
				 enum zone_type highest_zoneidx)
{
	if (pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES)
		return true;	/* hopeless: leave it to direct reclaim */
	if (pgdat_balanced(pgdat, order, highest_zoneidx)) {
		clear_pgdat_congested(vm, pgdat);
		return true;
	}
	return false;
}

/* kswapd_age_node(): deactivate anon ahead of need when its inactive
 * list is low. */
static void kswapd_age_node(struct vm_ctx *vm, struct pglist_data *pgdat,
			    struct scan_control *sc)
{
	struct mem_cgroup *memcg = NULL;

	if (!can_age_anon_pages(vm) ||
	    !inactive_is_low(vm, mem_cgroup_lruvec(vm, NULL, pgdat->node_id), LRU_INACTIVE_ANON))
		return;
	/* every cgroup's lruvec on the node */
	if (!vm->memcg) {
		shrink_active_list(vm, SWAP_CLUSTER_MAX, &pgdat->__lruvec, sc, LRU_ACTIVE_ANON);
		return;
	}
	while ((memcg = mem_cgroup_iter(vm->memcg->root, memcg)))
		shrink_active_list(vm, SWAP_CLUSTER_MAX, mem_cgroup_lruvec(vm, memcg, pgdat->node_id),
				   sc, LRU_ACTIVE_ANON);
}

/* kswapd_shrink_node(): one pass aiming at the high watermarks; true
 * when it scanned enough that raising the priority is not needed. */
static bool kswapd_shrink_node(struct vm_ctx *vm, struct pglist_data *pgdat,
			       struct scan_control *sc)
{
	unsigned long nr_reclaimed = sc->nr_reclaimed, progress;

	sc->nr_to_reclaim = 0;
	for (unsigned z = 0; z <= (unsigned)sc->reclaim_idx; z++) {
		const struct zone *zone = &pgdat->node_zones[z];

		if (!managed_zone(zone))
			continue;
		sc->nr_to_reclaim += high_wmark_pages(zone) > SWAP_CLUSTER_MAX ?
				     high_wmark_pages(zone) : SWAP_CLUSTER_MAX;
	}
	shrink_node(vm, pgdat, sc);
	/* compact_gap(order) = 2 << order: then settle for order-0 */
	if (sc->order && sc->nr_reclaimed >= (2UL << sc->order))
		sc->order = 0;
	progress = sc->nr_reclaimed - nr_reclaimed;
	return (sc->nr_scanned > progress ? sc->nr_scanned : progress) >= sc->nr_to_reclaim;
}

/*
 * balance_pgdat(): reclaim from the node, priority DEF_PRIORITY down to
 * 1, until a zone up to @highest_zoneidx is above its high watermark;
 * the priority rises when a pass scanned too little or freed nothing.
 * Returns the order it finished at.
 */
static int balance_pgdat(struct vm_ctx *vm, struct pglist_data *pgdat, int order,
			 enum zone_type highest_zoneidx)
{
	struct scan_control sc = {
		.gfp_mask = GFP_KERNEL,
		.order = order,
		.may_unmap = true,
		.kswapd = true,
	};

	count_vm_event(vm->pm, PAGEOUTRUN);
restart:
	sc.priority = DEF_PRIORITY;
	do {
		unsigned long nr_reclaimed = sc.nr_reclaimed;
		bool raise_priority = true;

		sc.reclaim_idx = highest_zoneidx;
		if (pgdat_balanced(pgdat, sc.order, highest_zoneidx))
			goto out;
		sc.may_writepage = true;
		sc.may_swap = true;
		kswapd_age_node(vm, pgdat, &sc);
		sc.nr_scanned = 0;
		if (kswapd_shrink_node(vm, pgdat, &sc))
			raise_priority = false;
		nr_reclaimed = sc.nr_reclaimed - nr_reclaimed;
		if (raise_priority || !nr_reclaimed)
			sc.priority--;
	} while (sc.priority >= 1);
	/* cache_trim_mode found nothing to trim all the way down: retry
	 * without it */
	if (!sc.nr_reclaimed && sc.priority < 1 && !sc.no_cache_trim_mode &&
	    sc.cache_trim_mode_failed) {
		sc.no_cache_trim_mode = true;
		goto restart;
	}
	if (!sc.nr_reclaimed)
		pgdat->kswapd_failures++;
out:
	snapshot_refaults(vm, NULL, pgdat);
	MM_EV_M(vm, "kswapd_balance", "node=%d order=%d highest_zone=%u reclaimed=%lu failures=%u",
		pgdat->node_id, order, (unsigned)highest_zoneidx, sc.nr_reclaimed,
		pgdat->kswapd_failures);
	return sc.order;
}

/* kswapd_highest_zoneidx(): MAX_NR_ZONES means nobody asked since the
 * last run: keep the previous cycle's index. */
static enum zone_type kswapd_highest_zoneidx(const struct pglist_data *pgdat, enum zone_type prev)
{
	return pgdat->kswapd_highest_zoneidx == MAX_NR_ZONES ? prev : pgdat->kswapd_highest_zoneidx;
}

/*
 * kswapd(): a woken node's daemon, from its wakeup to its next sleep:
 * balance the node, then kswapd_try_to_sleep(): balanced (or given up
 * on), it naps and, woken by nobody (no allocation runs while kswapd
 * does here), sleeps; not balanced, it counts a high watermark hit
 * quickly and balances again.  A high-order request it fell back from
 * is judged at the order it reached.
 */
static void kswapd_node(struct vm_ctx *vm, struct pglist_data *pgdat)
{
	enum zone_type highest_zoneidx = pgdat->kswapd_last_highest;
	int alloc_order, reclaim_order;
	unsigned rounds = 0;

	goto woken;	/* from the sleep in kswapd_try_to_sleep() */
	for (;;) {
		alloc_order = reclaim_order = (int)pgdat->kswapd_order;
		highest_zoneidx = kswapd_highest_zoneidx(pgdat, highest_zoneidx);
try_sleep:
		/* bounded: a node that cannot be balanced fails each round
		 * and is given up on after MAX_RECLAIM_RETRIES */
		if (prepare_kswapd_sleep(vm, pgdat, reclaim_order, highest_zoneidx) ||
		    ++rounds > 4 * MAX_RECLAIM_RETRIES + 1000) {
			pgdat->kswapd_woken = false;
			pgdat->kswapd_last_highest = highest_zoneidx;
			MM_EV_M(vm, "kswapd_sleep", "node=%d", pgdat->node_id);
			return;
		}
		count_vm_event(vm->pm, KSWAPD_HIGH_WMARK_HIT_QUICKLY);
woken:
		alloc_order = (int)pgdat->kswapd_order;
		highest_zoneidx = kswapd_highest_zoneidx(pgdat, highest_zoneidx);
		pgdat->kswapd_order = 0;
		pgdat->kswapd_highest_zoneidx = MAX_NR_ZONES;
		MM_EV_M(vm, "kswapd_wake", "node=%d order=%d highest_zone=%u", pgdat->node_id,
			alloc_order, (unsigned)highest_zoneidx);
		reclaim_order = balance_pgdat(vm, pgdat, alloc_order, highest_zoneidx);
		if (reclaim_order < alloc_order)
			goto try_sleep;
	}
}

void kswapd_run(struct vm_ctx *vm)
{
	bool was = vm->pm->memalloc;

	/* kswapd is PF_MEMALLOC: its own allocations do not reclaim */
	vm->pm->memalloc = true;
	for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++) {
		struct pglist_data *pgdat = &vm->pm->node_data[nid];

		if (pgdat->kswapd_woken)
			kswapd_node(vm, pgdat);
	}
	vm->pm->memalloc = was;
}

void wakeup_kswapd(struct phys_mem *pm, struct zone *zone, gfp_t gfp, unsigned order,
		   enum zone_type highest_zoneidx)
{
	struct pglist_data *pgdat = zone->zone_pgdat;
	enum zone_type curr_idx = pgdat->kswapd_highest_zoneidx;

	if (!managed_zone(zone))
		return;
	if (curr_idx == MAX_NR_ZONES || curr_idx < highest_zoneidx)
		pgdat->kswapd_highest_zoneidx = highest_zoneidx;
	if (pgdat->kswapd_order < order)
		pgdat->kswapd_order = order;
	if (pgdat->kswapd_woken)
		return;		/* awake already: it sees the new request */
	if (pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES ||
	    pgdat_balanced(pgdat, (int)order, highest_zoneidx))
		return;
	pgdat->kswapd_woken = true;
	EV(pm->events, "kswapd_wakeup", "node=%d zone=%s order=%u gfp=%#x", pgdat->node_id,
	   zone->name, order, gfp);
}

/* ---- MADV_PAGEOUT ---- */

unsigned long reclaim_pages(struct vm_ctx *vm, struct list_head *list)
{
	struct scan_control sc = {
		.gfp_mask = GFP_KERNEL,
		.reclaim_idx = MAX_NR_ZONES - 1,
		.may_writepage = true,
		.may_unmap = true,
		.may_swap = true,
	};
	struct reclaim_stat stat;
	unsigned long nr_reclaimed = 0;
	bool was = vm->pm->memalloc;

	vm->pm->memalloc = true;
	/* reclaim_folio_list() node by node (one node's pages at a time) */
	while (!list_empty(list)) {
		const unsigned nid = page_to_nid(lru_to_folio(list));
		struct pglist_data *pgdat = &vm->pm->node_data[nid];
		struct page *page;
		LIST_HEAD(node_list);

		while (!list_empty(list) && page_to_nid(page = lru_to_folio(list)) == nid) {
			clear_page_flag(page, PG_active);
			list_move(&page->lru, &node_list);
		}
		nr_reclaimed += shrink_folio_list(vm, &node_list, pgdat, &sc, &stat, true);
		while (!list_empty(&node_list)) {
			page = lru_to_folio(&node_list);
			list_del(&page->lru);
			folio_putback_lru(vm, page);
		}
		writeback_io_complete(vm);
	}
	vm->pm->memalloc = was;
	return nr_reclaimed;
}

void reclaim_init(struct vm_ctx *vm)
{
	vm->pm->reclaim.wakeup_kswapd = wakeup_kswapd;
	vm->pm->reclaim.try_to_free_pages = try_to_free_pages;
}
