/*
 * mm/swap.c, whose name is historical: it holds no swap code (swap areas
 * are vma/swapfile.c) but the batching of LRU moves and the aging hints of
 * Linux v6.12: folio_add_lru(), folio_mark_accessed(), folio_activate(),
 * folio_deactivate(), deactivate_file_folio(), folio_mark_lazyfree(),
 * folio_rotate_reclaimable(), lru_note_cost(), lru_add_drain().
 *
 * Each CPU gathers pages in folio batches of PAGEVEC_SIZE (31) and applies
 * a batch when it fills or when lru_add_drain() runs (reclaim, munmap,
 * exit, readahead, ... call it where Linux does).  Invariant: a page is in
 * at most one batch; the batch holds a reference on it; a page in lru_add
 * is on no list, one in any other batch is still on its list with PG_lru
 * clear until the batch moves it (cpu_fbatches in swap.h).
 */
#include "vma/swap.h"

#include <errno.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/error.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/workingset.h"

int lru_init(struct vm_ctx *vm)
{
	vm->cpu_fbatches = host_zalloc(vm->ha, vm->nr_cpus * sizeof(*vm->cpu_fbatches));
	return vm->cpu_fbatches ? 0 : -ENOMEM;
}

void lru_finish(struct vm_ctx *vm)
{
	if (!vm->cpu_fbatches)
		return;
	host_free(vm->ha, vm->cpu_fbatches, vm->nr_cpus * sizeof(*vm->cpu_fbatches));
	vm->cpu_fbatches = NULL;
}

static struct cpu_fbatches *this_cpu_fbatches(struct vm_ctx *vm)
{
	return &vm->cpu_fbatches[vm->pm->this_cpu];
}

/* folio_batch_add(): the room left after adding, 0 when now full. */
static unsigned folio_batch_add(struct folio_batch *fbatch, struct page *page)
{
	fbatch->folios[fbatch->nr++] = page;
	return PAGEVEC_SIZE - fbatch->nr;
}

typedef void (*move_fn_t)(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page);

/*
 * folio_batch_move_lru(): apply @move_fn to each page, give it PG_lru
 * back, and drop the batch's reference (folios_put(): a page whose last
 * reference that was leaves its list and is freed).
 */
static void folio_batch_move_lru(struct vm_ctx *vm, struct folio_batch *fbatch,
				 move_fn_t move_fn)
{
	for (unsigned i = 0; i < fbatch->nr; i++) {
		struct page *page = fbatch->folios[i];

		move_fn(vm, folio_lruvec(vm->pm, page), page);
		set_page_flag(page, PG_lru);
	}
	for (unsigned i = 0; i < fbatch->nr; i++)
		put_page(vm->pm, fbatch->folios[i]);
	fbatch->nr = 0;
}

/*
 * folio_batch_add_and_move(): hold a reference for the batch; a full
 * batch is applied at once.  A page already on the LRU is taken first
 * (its PG_lru cleared), so that no one else moves it meanwhile; when it
 * is not on the LRU (isolated, or already in a batch) nothing happens.
 */
static void folio_batch_add_and_move(struct vm_ctx *vm, struct folio_batch *fbatch,
				     struct page *page, move_fn_t move_fn, bool on_lru)
{
	if (on_lru && !test_clear_page_flag(page, PG_lru))
		return;
	get_page(page);
	/* a huge page is never left in a batch (the kernel's
	 * folio_test_large() case): its moves are applied at once */
	if (!folio_batch_add(fbatch, page) || PageHead(page))
		folio_batch_move_lru(vm, fbatch, move_fn);
}

/* lru_add(): onto the list its flags say; an mlocked page is unevictable. */
static void lru_add(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page)
{
	bool was_unevictable = test_clear_page_flag(page, PG_unevictable);

	if (folio_evictable(page)) {
		if (was_unevictable)
			count_vm_events(vm->pm, UNEVICTABLE_PGRESCUED, folio_nr_pages(page));
	} else {
		/* an mlocked page keeps its mlock_count (lru.prev, unused by a
		 * batch or by the unevictable "list"): the kernel zeroes it
		 * here and lets reclaim recount, vmsim keeps it exact */
		clear_page_flag(page, PG_active);
		set_page_flag(page, PG_unevictable);
		if (!was_unevictable)
			count_vm_events(vm->pm, UNEVICTABLE_PGCULLED, folio_nr_pages(page));
	}
	lruvec_add_folio(lruvec, page);
	MM_EV_M(vm, "lru_add", "pfn=%#lx lru=%s", page_to_pfn(vm->pm, page),
		lru_list_name(folio_lru_list(page)));
}

void folio_add_lru(struct vm_ctx *vm, struct page *page)
{
	folio_batch_add_and_move(vm, &this_cpu_fbatches(vm)->lru_add, page, lru_add, false);
}

void folio_add_lru_vma(struct vm_ctx *vm, struct page *page, struct vm_area_struct *vma)
{
	if ((vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED)
		mlock_new_folio(vm, page);
	else
		folio_add_lru(vm, page);
}

/* lru_move_tail(): to the inactive tail (writeback for reclaim ended). */
static void lru_move_tail(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page)
{
	if (PageUnevictable(page))
		return;
	lruvec_del_folio(lruvec, page);
	clear_page_flag(page, PG_active);
	lruvec_add_folio_tail(lruvec, page);
	count_vm_events(vm->pm, PGROTATED, folio_nr_pages(page));
	MM_EV_M(vm, "lru_rotate", "pfn=%#lx lru=%s", page_to_pfn(vm->pm, page),
		lru_list_name(folio_lru_list(page)));
}

void folio_rotate_reclaimable(struct vm_ctx *vm, struct page *page)
{
	if (test_page_flag(page, PG_locked) || PageDirty(page) || PageUnevictable(page))
		return;
	folio_batch_add_and_move(vm, &this_cpu_fbatches(vm)->lru_move_tail, page, lru_move_tail,
				 true);
}

void lru_note_cost(struct vm_ctx *vm, struct lruvec *lruvec, bool file, unsigned long nr_io,
		   unsigned long nr_rotated)
{
	/* an I/O costs as much as rotating SWAP_CLUSTER_MAX pages */
	const unsigned long cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated;

	do {
		unsigned long lrusize;

		if (file)
			lruvec->file_cost += cost;
		else
			lruvec->anon_cost += cost;
		/* decay: a floating average that weighs recent costs more */
		lrusize = mem_cgroup_lruvec_state(vm, lruvec, NR_INACTIVE_ANON) +
			  mem_cgroup_lruvec_state(vm, lruvec, NR_ACTIVE_ANON) +
			  mem_cgroup_lruvec_state(vm, lruvec, NR_INACTIVE_FILE) +
			  mem_cgroup_lruvec_state(vm, lruvec, NR_ACTIVE_FILE);
		if (lruvec->file_cost + lruvec->anon_cost > lrusize / 4) {
			lruvec->file_cost /= 2;
			lruvec->anon_cost /= 2;
		}
	} while ((lruvec = parent_lruvec(lruvec)));
}

void lru_note_cost_refault(struct vm_ctx *vm, struct page *page)
{
	lru_note_cost(vm, folio_lruvec(vm->pm, page), folio_is_file_lru(page), 1, 0);
}

/* lru_activate(): an inactive page to the head of its active list. */
static void lru_activate(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page)
{
	if (PageActive(page) || PageUnevictable(page))
		return;
	lruvec_del_folio(lruvec, page);
	set_page_flag(page, PG_active);
	lruvec_add_folio(lruvec, page);
	/* a huge page moves as its 512 (1024) pages: folio_nr_pages() */
	count_vm_events(vm->pm, PGACTIVATE, folio_nr_pages(page));
	count_memcg_events(lruvec->memcg, PGACTIVATE, folio_nr_pages(page));
	MM_EV_M(vm, "lru_activate", "pfn=%#lx lru=%s", page_to_pfn(vm->pm, page),
		lru_list_name(folio_lru_list(page)));
}

void folio_activate(struct vm_ctx *vm, struct page *page)
{
	if (PageActive(page) || PageUnevictable(page))
		return;
	folio_batch_add_and_move(vm, &this_cpu_fbatches(vm)->lru_activate, page, lru_activate,
				 true);
}

/* __lru_cache_activate_folio(): a page still in this CPU's lru_add batch
 * goes onto its active list when the batch is applied. */
static void __lru_cache_activate_folio(struct vm_ctx *vm, struct page *page)
{
	struct folio_batch *fbatch = &this_cpu_fbatches(vm)->lru_add;

	for (unsigned i = fbatch->nr; i-- > 0;)
		if (fbatch->folios[i] == page) {
			set_page_flag(page, PG_active);
			break;
		}
}

void folio_mark_accessed(struct vm_ctx *vm, struct page *page)
{
	if (!PageReferenced(page)) {
		set_page_flag(page, PG_referenced);
	} else if (PageUnevictable(page)) {
		/* the unevictable list is never rotated: nothing to do */
	} else if (!PageActive(page)) {
		if (PageLRU(page))
			folio_activate(vm, page);
		else
			__lru_cache_activate_folio(vm, page);
		clear_page_flag(page, PG_referenced);
		workingset_activation(vm, page);
	}
}

/* lru_deactivate_file(): an unmapped file page to the inactive tail, or
 * (dirty, under writeback) to the inactive head marked for reclaim. */
static void lru_deactivate_file(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page)
{
	bool active = PageActive(page);

	if (PageUnevictable(page) || page_mapcount(page) > 0)
		return;
	lruvec_del_folio(lruvec, page);
	clear_page_flag(page, PG_active);
	clear_page_flag(page, PG_referenced);
	if (PageWriteback(page) || PageDirty(page)) {
		lruvec_add_folio(lruvec, page);
		set_page_flag(page, PG_reclaim);
	} else {
		lruvec_add_folio_tail(lruvec, page);
		count_vm_events(vm->pm, PGROTATED, folio_nr_pages(page));
	}
	if (active) {
		count_vm_events(vm->pm, PGDEACTIVATE, folio_nr_pages(page));
		count_memcg_events(lruvec->memcg, PGDEACTIVATE, folio_nr_pages(page));
	}
	MM_EV_M(vm, "lru_deactivate", "pfn=%#lx lru=%s", page_to_pfn(vm->pm, page),
		lru_list_name(folio_lru_list(page)));
}

void deactivate_file_folio(struct vm_ctx *vm, struct page *page)
{
	if (PageUnevictable(page))
		return;
	folio_batch_add_and_move(vm, &this_cpu_fbatches(vm)->lru_deactivate_file, page,
				 lru_deactivate_file, true);
}

/* lru_deactivate(): an active page to the head of its inactive list. */
static void lru_deactivate(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page)
{
	if (PageUnevictable(page) || !PageActive(page))
		return;
	lruvec_del_folio(lruvec, page);
	clear_page_flag(page, PG_active);
	clear_page_flag(page, PG_referenced);
	lruvec_add_folio(lruvec, page);
	count_vm_events(vm->pm, PGDEACTIVATE, folio_nr_pages(page));
	count_memcg_events(lruvec->memcg, PGDEACTIVATE, folio_nr_pages(page));
	MM_EV_M(vm, "lru_deactivate", "pfn=%#lx lru=%s", page_to_pfn(vm->pm, page),
		lru_list_name(folio_lru_list(page)));
}

void folio_deactivate(struct vm_ctx *vm, struct page *page)
{
	if (PageUnevictable(page) || !PageActive(page))
		return;
	folio_batch_add_and_move(vm, &this_cpu_fbatches(vm)->lru_deactivate, page, lru_deactivate,
				 true);
}

/* lru_lazyfree(): a clean anonymous page becomes a file-LRU page that
 * reclaim may drop without writing it anywhere. */
static void lru_lazyfree(struct vm_ctx *vm, struct lruvec *lruvec, struct page *page)
{
	if (!PageAnon(page) || !PageSwapBacked(page) || PageSwapCache(page) ||
	    PageUnevictable(page))
		return;
	lruvec_del_folio(lruvec, page);
	clear_page_flag(page, PG_active);
	clear_page_flag(page, PG_referenced);
	clear_page_flag(page, PG_swapbacked);
	lruvec_add_folio(lruvec, page);
	count_vm_events(vm->pm, PGLAZYFREE, folio_nr_pages(page));
	count_memcg_events(lruvec->memcg, PGLAZYFREE, folio_nr_pages(page));
	MM_EV_M(vm, "lru_lazyfree", "pfn=%#lx lru=%s", page_to_pfn(vm->pm, page),
		lru_list_name(folio_lru_list(page)));
}

void folio_mark_lazyfree(struct vm_ctx *vm, struct page *page)
{
	if (!PageAnon(page) || !PageSwapBacked(page) || PageSwapCache(page) ||
	    PageUnevictable(page))
		return;
	folio_batch_add_and_move(vm, &this_cpu_fbatches(vm)->lru_lazyfree, page, lru_lazyfree,
				 true);
}

/* lru_add_drain_cpu(), in the kernel's order. */
static void lru_add_drain_cpu(struct vm_ctx *vm, unsigned cpu)
{
	struct cpu_fbatches *fb = &vm->cpu_fbatches[cpu];

	if (fb->lru_add.nr)
		folio_batch_move_lru(vm, &fb->lru_add, lru_add);
	if (fb->lru_move_tail.nr)
		folio_batch_move_lru(vm, &fb->lru_move_tail, lru_move_tail);
	if (fb->lru_deactivate_file.nr)
		folio_batch_move_lru(vm, &fb->lru_deactivate_file, lru_deactivate_file);
	if (fb->lru_deactivate.nr)
		folio_batch_move_lru(vm, &fb->lru_deactivate, lru_deactivate);
	if (fb->lru_lazyfree.nr)
		folio_batch_move_lru(vm, &fb->lru_lazyfree, lru_lazyfree);
	if (fb->lru_activate.nr)
		folio_batch_move_lru(vm, &fb->lru_activate, lru_activate);
}

void lru_add_drain(struct vm_ctx *vm)
{
	lru_add_drain_cpu(vm, vm->pm->this_cpu);
}

void lru_add_drain_all(struct vm_ctx *vm)
{
	for (unsigned c = 0; c < vm->nr_cpus; c++)
		lru_add_drain_cpu(vm, c);
}

bool folio_isolate_lru(struct vm_ctx *vm, struct page *page)
{
	if (!test_clear_page_flag(page, PG_lru))
		return false;
	get_page(page);
	lruvec_del_folio(folio_lruvec(vm->pm, page), page);
	return true;
}

void folio_putback_lru(struct vm_ctx *vm, struct page *page)
{
	folio_add_lru(vm, page);
	put_page(vm->pm, page);		/* the isolation's reference */
}

void lru_for_each_batched(struct vm_ctx *vm, lru_batch_fn fn, void *arg)
{
	for (unsigned c = 0; vm->cpu_fbatches && c < vm->nr_cpus; c++) {
		struct cpu_fbatches *fb = &vm->cpu_fbatches[c];
		struct folio_batch *const moves[] = {
			&fb->lru_move_tail, &fb->lru_deactivate_file, &fb->lru_deactivate,
			&fb->lru_lazyfree, &fb->lru_activate,
		};

		for (unsigned i = 0; i < fb->lru_add.nr; i++)
			fn(arg, fb->lru_add.folios[i], true);
		for (unsigned b = 0; b < sizeof(moves) / sizeof(moves[0]); b++)
			for (unsigned i = 0; i < moves[b]->nr; i++)
				fn(arg, moves[b]->folios[i], false);
	}
}
