/*
 * madvise(2) (mm/madvise.c, Linux 6.12): advice about how a range of the
 * address space will be used.  do_madvise() checks the arguments, then
 * either faults the range in (MADV_POPULATE_*, madvise_populate) or walks
 * the VMAs of the range (madvise_walk_vmas), giving each part to
 * madvise_vma_behavior():
 *
 *   drop pages          DONTNEED, DONTNEED_LOCKED, FREE (madvise_dontneed_free)
 *   punch a hole        REMOVE (shared mappings of a file or shmem)
 *   read ahead          WILLNEED (files; swapped-out anonymous pages)
 *   age pages           COLD, PAGEOUT (madvise_cold_or_pageout)
 *   lazily free pages   FREE (madvise_free_single_vma)
 *   change vm_flags     NORMAL/RANDOM/SEQUENTIAL, DONTFORK/DOFORK,
 *                       WIPEONFORK/KEEPONFORK, DONTDUMP/DODUMP,
 *                       HUGEPAGE/NOHUGEPAGE, MERGEABLE/UNMERGEABLE
 *                       (madvise_update_vma: split and merge the VMAs)
 *
 * A huge PMD (vma/huge_memory.c) that the range covers only in part is
 * split before DONTNEED, FREE, COLD or PAGEOUT act on its pages; a whole
 * one is unmapped whole, or aged whole.  HUGEPAGE/NOHUGEPAGE decide the
 * next faults' huge pages and leave the huge PMDs already there alone.
 *
 * Invariant: the advice reaches every mapped part of the range in address
 * order until one part fails; a gap in the range is remembered and reported
 * as ENOMEM at the end, after the mapped parts took the advice.  A failed
 * part stops the walk with its error and leaves the parts before it advised,
 * as the kernel does.  Flag changes leave the VMAs as vma_modify_flags()
 * shapes them: the range becomes one VMA of its own, or part of a
 * neighbour that already has the new flags.
 *
 * What vmsim has no machinery for, and so does not do: KSM's scanner
 * (MERGEABLE only sets the flag, as with ksmd stopped) and khugepaged
 * (COLLAPSE is refused); shmem pages are never swapped, so WILLNEED of
 * shared anonymous memory finds nothing to read.
 */
#include "vma/mm.h"

#include <errno.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/errname.h"
#include "vma/filemap.h"
#include "vma/swap.h"
#include "vma/swapfile.h"

static const struct {
	int behavior;
	const char *name;
} madv_names[] = {
	{ MADV_NORMAL, "normal" }, { MADV_RANDOM, "random" }, { MADV_SEQUENTIAL, "sequential" },
	{ MADV_WILLNEED, "willneed" }, { MADV_DONTNEED, "dontneed" }, { MADV_FREE, "free" },
	{ MADV_REMOVE, "remove" }, { MADV_DONTFORK, "dontfork" }, { MADV_DOFORK, "dofork" },
	{ MADV_MERGEABLE, "mergeable" }, { MADV_UNMERGEABLE, "unmergeable" },
	{ MADV_HUGEPAGE, "hugepage" }, { MADV_NOHUGEPAGE, "nohugepage" },
	{ MADV_DONTDUMP, "dontdump" }, { MADV_DODUMP, "dodump" },
	{ MADV_WIPEONFORK, "wipeonfork" }, { MADV_KEEPONFORK, "keeponfork" },
	{ MADV_COLD, "cold" }, { MADV_PAGEOUT, "pageout" },
	{ MADV_POPULATE_READ, "populate_read" }, { MADV_POPULATE_WRITE, "populate_write" },
	{ MADV_DONTNEED_LOCKED, "dontneed_locked" }, { MADV_COLLAPSE, "collapse" },
	{ MADV_HWPOISON, "hwpoison" }, { MADV_SOFT_OFFLINE, "soft_offline" },
	{ MADV_GUARD_INSTALL, "guard_install" }, { MADV_GUARD_REMOVE, "guard_remove" },
};

const char *madvise_behavior_name(int behavior)
{
	for (size_t i = 0; i < sizeof(madv_names) / sizeof(madv_names[0]); i++)
		if (madv_names[i].behavior == behavior)
			return madv_names[i].name;
	return NULL;
}

int madvise_behavior_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(madv_names) / sizeof(madv_names[0]); i++)
		if (strcmp(madv_names[i].name, name) == 0)
			return madv_names[i].behavior;
	return -1;
}

/*
 * The advice a kernel like the reference one accepts (x86_64, CONFIG_KSM,
 * CONFIG_TRANSPARENT_HUGEPAGE, no CONFIG_MEMORY_FAILURE).  MADV_COLLAPSE is
 * the one such advice left out: collapsing needs khugepaged's copy of the
 * pages into a huge page, which vmsim does not have.  The guard-region
 * advice came with 6.13.
 */
static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_DOFORK:
	case MADV_DONTFORK:
	case MADV_NORMAL:
	case MADV_SEQUENTIAL:
	case MADV_RANDOM:
	case MADV_REMOVE:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
		return true;
	default:
		return false;
	}
}

/* ---- vm_flags: split and merge ---- */

/*
 * Give [start, end) of @vma the flags @new_flags, splitting or merging as
 * vma_modify_flags() decides.  *@prev becomes the VMA that now holds the
 * range, so that the walk goes on after it.
 */
static int madvise_update_vma(struct mm_struct *mm, struct vm_area_struct *vma,
			      struct vm_area_struct **prev, uint64_t start, uint64_t end,
			      unsigned long new_flags)
{
	int ret;

	if (new_flags == vma->vm_flags) {
		*prev = vma;
		return 0;
	}
	ret = vma_modify_flags(mm, vma, start, end, new_flags, &vma);
	if (ret)
		return ret;
	*prev = vma;
	mm_track_dirty(mm);	/* --check: the flags change in place */
	vma->vm_flags = new_flags;
	return 0;
}

/* vma_ksm_compatible(): KSM leaves shared, special and hugetlb memory
 * alone; MADV_MERGEABLE on it is ignored. */
static bool vma_ksm_compatible(const struct vm_area_struct *vma)
{
	return !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE | VM_PFNMAP | VM_IO | VM_DONTEXPAND |
				  VM_HUGETLB | VM_MIXEDMAP));
}

/* ---- huge pages in an advised range ---- */

/*
 * How madvise_free_huge_pmd() and madvise_cold_or_pageout_pte_range()
 * begin with a huge PMD: the huge zero page and a huge page mapped
 * elsewhere too are left alone (1); part of one is split, the PMD and then
 * the folio, for the walk to go on into its PTEs (WALK_SPLIT); 0 when the
 * range covers it whole.
 */
static int advise_huge_pmd(struct vm_area_struct *vma, uint64_t addr, uint64_t next, uint64_t epa,
			   struct page *folio)
{
	struct vm_ctx *vm = vma->vm_mm->vm;

	if (is_huge_zero_folio(vm, folio) || folio_likely_mapped_shared(folio))
		return 1;
	if (next - addr != HPAGE_PMD_SIZE(vm)) {
		__split_huge_pmd(vma, epa, addr);
		split_folio(vm, folio);
		return WALK_SPLIT;
	}
	return 0;
}

/* A page of a huge page that PTEs map is advised as a page of its own:
 * its folio is split first (vmsim splits it even when the range covers
 * all of it).  false: left alone (mapped elsewhere too, or not split). */
static bool advise_pte_page(struct vm_ctx *vm, struct page *page)
{
	return !PageCompound(page) ||
	       (!folio_likely_mapped_shared(page) && !split_folio(vm, compound_head(page)));
}

/* ---- dropping pages ---- */

struct free_walk {
	struct vm_area_struct *vma;
	bool flush;
};

/*
 * madvise_free_pte_range() for one PTE: a swap entry is dropped (a zero
 * page costs less than a swap-in); a page only this mapping uses gives up
 * its swap slot and its dirtiness, its PTE turns clean and old, and it
 * moves to the inactive file list as a lazily freed page, which reclaim
 * frees unless it is written again first.
 */
static int free_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct free_walk *w = arg;
	struct mm_struct *mm = w->vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct page *page;

	if (is_swap_pte(pte)) {
		if (!non_swap_entry(pte_to_swp_entry(vm->pt->fmt, pte)))
			zap_nonpresent_pte(mm, epa, pte, va);
		return 0;
	}
	page = vm_normal_page(w->vma, pte);
	if (!page)
		return 0;
	if (!advise_pte_page(vm, page))
		return 0;
	if (PageSwapCache(page) || PageDirty(page)) {
		if (page_mapcount(page) != 1)
			return 0;
		if (PageSwapCache(page) && !folio_free_swap(vm, page))
			return 0;
		clear_page_flag(page, PG_dirty);
	}
	if (pte & (_PAGE_ACCESSED | _PAGE_DIRTY)) {
		set_pte(vm->pt, epa, pte & ~(uint64_t)(_PAGE_ACCESSED | _PAGE_DIRTY));
		w->flush = true;
	}
	folio_mark_lazyfree(vm, page);
	return 0;
}

/*
 * madvise_free_huge_pmd(): the huge zero page and a huge page mapped
 * elsewhere too are left alone; part of one is split first (the PMD, then
 * the folio) and its PTEs in the range go to free_one(); the whole of one
 * loses its dirtiness, its PMD turns clean and old, and the folio moves to
 * the inactive file list as one lazily freed folio.
 */
static int free_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		     struct page *folio)
{
	struct free_walk *w = arg;
	struct vm_ctx *vm = w->vma->vm_mm->vm;
	const int r = advise_huge_pmd(w->vma, addr, next, epa, folio);

	if (r)
		return r == WALK_SPLIT ? WALK_SPLIT : 0;
	clear_page_flag(folio, PG_dirty);
	if (pmd & (_PAGE_ACCESSED | _PAGE_DIRTY)) {
		set_pte(vm->pt, epa, pmd & ~(uint64_t)(_PAGE_ACCESSED | _PAGE_DIRTY));
		w->flush = true;
	}
	folio_mark_lazyfree(vm, folio);
	return 0;
}

/* madvise_free_single_vma(): MADV_FREE of [start, end) of @vma. */
static int madvise_free_single_vma(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	const struct mm_walk_ops ops = { .pte_entry = free_one, .pmd_entry = free_huge };
	struct free_walk w = { vma, false };

	/* MADV_FREE works for only anon vma at the moment */
	if (!vma_is_anonymous(vma))
		return -EINVAL;
	lru_add_drain(vma->vm_mm->vm);
	update_hiwater_rss(vma->vm_mm);
	walk_page_range(vma->vm_mm, start, end, &ops, &w);
	if (w.flush)
		flush_tlb_mm_range(vma->vm_mm, start, end);
	return 0;
}

static int madvise_dontneed_free(struct mm_struct *mm, struct vm_area_struct *vma,
				 struct vm_area_struct **prev, uint64_t start, uint64_t end,
				 int behavior)
{
	unsigned long forbidden = VM_PFNMAP;

	*prev = vma;
	/* madvise_dontneed_free_valid_vma(): locked memory stays, unless the
	 * caller says it knows (MADV_DONTNEED_LOCKED) */
	if (behavior != MADV_DONTNEED_LOCKED)
		forbidden |= VM_LOCKED;
	if (vma->vm_flags & forbidden)
		return -EINVAL;
	if (behavior == MADV_FREE)
		return madvise_free_single_vma(vma, start, end);
	/* DONTNEED: zap_page_range_single() with even_cows, so the next touch
	 * faults a zero page, the file's page or the shared object's page */
	update_hiwater_rss(mm);
	zap_page_range(vma, start, end);
	flush_tlb_mm_range(mm, start, end);
	return 0;
}

/* MADV_REMOVE: punch a hole in what a shared writable mapping maps. */
static int madvise_remove(struct vm_area_struct *vma, struct vm_area_struct **prev,
			  uint64_t start, uint64_t end)
{
	uint64_t offset;

	*prev = NULL;	/* the kernel drops mmap_lock here: look the next VMA up again */
	if (vma->vm_flags & VM_LOCKED)
		return -EINVAL;
	if (!vma->vm_file && !vma->shm)
		return -EINVAL;
	/* vma_is_shared_maywrite() */
	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) != (VM_SHARED | VM_MAYWRITE))
		return -EACCES;
	offset = (start - vma->vm_start) + (vma->vm_pgoff << PAGE_SHIFT);
	return filemap_punch_hole(vma, offset, end - start);
}

/* ---- reading ahead ---- */

struct swapin_walk {
	struct vm_area_struct *vma;
};

/* swapin_walk_pmd_entry() for one PTE: a swap entry's page read into the
 * swap cache (and not mapped: the fault that needs it finds it there). */
static int swapin_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct swapin_walk *sw = arg;
	struct vm_ctx *vm = sw->vma->vm_mm->vm;
	swp_entry_t entry;
	struct page *page;

	(void)va;
	(void)epa;
	if (!is_swap_pte(pte))
		return 0;
	entry = pte_to_swp_entry(vm->pt->fmt, pte);
	if (non_swap_entry(entry) || !get_swap_device(vm, entry, NULL))
		return 0;
	page = read_swap_cache_async(vm, entry);
	if (page)
		put_page(vm->pm, page);
	return 0;
}

static int madvise_willneed(struct vm_area_struct *vma, struct vm_area_struct **prev,
			    uint64_t start, uint64_t end)
{
	struct file *file = vma->vm_file;
	uint64_t offset;

	*prev = vma;
	if (!file && !vma->shm) {
		/* swapin_walk_ops: each swap entry read into the swap cache */
		struct swapin_walk sw = { vma };

		walk_pte_range(vma->vm_mm, start, end, swapin_one, &sw);
		lru_add_drain(vma->vm_mm->vm);	/* push the new pages onto the LRU now */
		return 0;
	}
	/* shmem_swapin_range(): shmem pages are never swapped out here */
	if (!file)
		return 0;
	/* vfs_fadvise(POSIX_FADV_WILLNEED) of the range's bytes in the file:
	 * the pages from the first to the last one touched */
	*prev = NULL;	/* the kernel drops mmap_lock here */
	offset = (start - vma->vm_start) + (vma->vm_pgoff << PAGE_SHIFT);
	force_page_cache_readahead(file, offset >> PAGE_SHIFT,
				   ((offset + (end - start) - 1) >> PAGE_SHIFT) - (offset >> PAGE_SHIFT) + 1);
	return 0;
}

/* ---- ageing pages ---- */

struct cold_walk {
	struct vm_area_struct *vma;
	bool pageout;
	bool flush;
	struct list_head folio_list;	/* MADV_PAGEOUT: the pages isolated */
	uint64_t table;			/* the PTE table they came from */
};

/* What COLD and PAGEOUT do to a page or huge page @folio that the entry
 * @e at @epa maps: below. */
static void cold_folio(struct cold_walk *w, uint64_t epa, uint64_t e, struct page *folio)
{
	struct vm_ctx *vm = w->vma->vm_mm->vm;

	if (!w->pageout && (e & _PAGE_ACCESSED)) {
		set_pte(vm->pt, epa, e & ~(uint64_t)_PAGE_ACCESSED);
		w->flush = true;
	}
	clear_page_flag(folio, PG_referenced);
	if (PageActive(folio))
		set_page_flag(folio, PG_workingset);
	if (!w->pageout) {
		folio_deactivate(vm, folio);
	} else if (folio_isolate_lru(vm, folio)) {
		if (PageUnevictable(folio))
			folio_putback_lru(vm, folio);
		else
			list_add(&folio->lru, &w->folio_list);
	}
}

/*
 * madvise_cold_or_pageout_pte_range() for one PTE: a page on the LRU that
 * only this mapping uses loses its referenced state (and, an active one,
 * becomes part of the workingset); MADV_COLD makes the PTE old and moves
 * the page to the head of its inactive list (folio_deactivate()),
 * MADV_PAGEOUT takes it off the LRU for reclaim_pages(), which ignores
 * the Accessed bit the PTE keeps, once per PTE table.
 */
static int cold_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct cold_walk *w = arg;
	struct vm_ctx *vm = w->vma->vm_mm->vm;
	struct page *page = vm_normal_page(w->vma, pte);
	const uint64_t table = epa & ~(uint64_t)(PAGE_SIZE - 1);

	(void)va;
	if (table != w->table) {
		if (w->pageout)
			reclaim_pages(vm, &w->folio_list);
		w->table = table;
	}
	if (page && !advise_pte_page(vm, page))
		return 0;
	if (!page || !PageLRU(page) || page_mapcount(page) != 1)
		return 0;
	cold_folio(w, epa, pte, page);
	return 0;
}

/*
 * madvise_cold_or_pageout_pte_range() for a huge PMD: the huge zero page
 * and a huge page mapped elsewhere too are left alone; part of one is
 * split first (the PMD, then the folio: split_folio()) and its PTEs in the
 * range go to cold_one(); the whole of one loses its referenced state,
 * and is made old and moved to the head of its inactive list (MADV_COLD)
 * or taken off the LRU for reclaim_pages() (MADV_PAGEOUT), which splits
 * it when it cannot swap it out whole.
 */
static int cold_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		     struct page *folio)
{
	struct cold_walk *w = arg;
	const int r = advise_huge_pmd(w->vma, addr, next, epa, folio);

	if (r)
		return r == WALK_SPLIT ? WALK_SPLIT : 0;
	cold_folio(w, epa, pmd, folio);
	return 0;
}

/*
 * MADV_COLD / MADV_PAGEOUT: the range's private pages age at once.  COLD
 * deactivates them, so reclaim takes them before other inactive pages
 * once it reaches them; PAGEOUT reclaims them now: clean file pages
 * dropped, dirty ones written back, anonymous ones swapped out (when
 * there is swap; otherwise they go back to their list).
 */
static int madvise_cold_or_pageout(struct vm_area_struct *vma, struct vm_area_struct **prev,
				   uint64_t start, uint64_t end, bool pageout)
{
	const struct mm_walk_ops ops = { .pte_entry = cold_one, .pmd_entry = cold_huge };
	struct vm_ctx *vm = vma->vm_mm->vm;
	struct cold_walk w = { vma, pageout, false, LIST_HEAD_INIT(w.folio_list), 0 };

	*prev = vma;
	/* can_madv_lru_vma() */
	if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
		return -EINVAL;
	/* madvise_pageout(): the shared pages of a file the caller could not
	 * write are left alone; simulated files are open for writing */
	lru_add_drain(vm);
	walk_page_range(vma->vm_mm, start, end, &ops, &w);
	if (w.flush)
		flush_tlb_mm_range(vma->vm_mm, start, end);
	if (pageout)
		reclaim_pages(vm, &w.folio_list);
	return 0;
}

/* ---- one VMA ---- */

/*
 * madvise_vma_behavior(): apply @behavior to [start, end) of @vma (inside
 * it), setting *@prev to the VMA the walk continues after, or NULL when
 * it must look the next one up by address.
 */
static int madvise_vma_behavior(struct mm_struct *mm, struct vm_area_struct *vma,
				struct vm_area_struct **prev, uint64_t start, uint64_t end,
				int behavior)
{
	unsigned long new_flags = vma->vm_flags;
	int error;

	switch (behavior) {
	case MADV_REMOVE:
		return madvise_remove(vma, prev, start, end);
	case MADV_WILLNEED:
		return madvise_willneed(vma, prev, start, end);
	case MADV_COLD:
		return madvise_cold_or_pageout(vma, prev, start, end, false);
	case MADV_PAGEOUT:
		return madvise_cold_or_pageout(vma, prev, start, end, true);
	case MADV_FREE:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		return madvise_dontneed_free(mm, vma, prev, start, end, behavior);
	case MADV_NORMAL:
		new_flags &= ~(VM_RAND_READ | VM_SEQ_READ);
		break;
	case MADV_SEQUENTIAL:
		new_flags = (new_flags & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case MADV_RANDOM:
		new_flags = (new_flags & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case MADV_DONTFORK:
		new_flags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		if (vma->vm_flags & VM_IO)
			return -EINVAL;
		new_flags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		/* MADV_WIPEONFORK is only supported on anonymous memory. */
		if (vma->vm_file || vma->shm || (vma->vm_flags & VM_SHARED))
			return -EINVAL;
		new_flags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		new_flags &= ~VM_WIPEONFORK;
		break;
	case MADV_DONTDUMP:
		new_flags |= VM_DONTDUMP;
		break;
	case MADV_DODUMP:
		if (new_flags & VM_SPECIAL)
			return -EINVAL;
		new_flags &= ~VM_DONTDUMP;
		break;
	case MADV_MERGEABLE:
		/* ksm_madvise(); __ksm_enter() would register the mm with
		 * ksmd, which does not run here (as with ksm/run = 0) */
		if (vma_ksm_compatible(vma))
			new_flags |= VM_MERGEABLE;
		break;
	case MADV_UNMERGEABLE:
		/* no page was ever merged, so there is nothing to unmerge */
		new_flags &= ~VM_MERGEABLE;
		break;
	case MADV_HUGEPAGE:
		/* hugepage_madvise() */
		new_flags = (new_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case MADV_NOHUGEPAGE:
		new_flags = (new_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	}
	error = madvise_update_vma(mm, vma, prev, start, end, new_flags);
	/* madvise() returns EAGAIN if kernel resources, such as slab, are
	 * temporarily unavailable */
	return error == -ENOMEM ? -EAGAIN : error;
}

/*
 * madvise_walk_vmas(): every VMA part of [start, end) in order.  Gaps
 * are skipped and reported as ENOMEM once the mapped parts are done; an
 * error from a part ends the walk at once.
 */
static int madvise_walk_vmas(struct mm_struct *mm, uint64_t start, uint64_t end, int behavior)
{
	struct vm_area_struct *vma, *prev;
	int unmapped_error = 0;

	vma = find_vma_prev(mm, start, &prev);
	if (vma && start > vma->vm_start)
		prev = vma;
	for (;;) {
		uint64_t tmp;
		int error;

		/* Still start < end. */
		if (!vma)
			return -ENOMEM;
		/* Here start < (end|vma->vm_end). */
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		/* Here vma->vm_start <= start < (end|vma->vm_end) */
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = madvise_vma_behavior(mm, vma, &prev, start, tmp, behavior);
		if (error)
			return error;
		start = tmp;
		if (prev && start < prev->vm_end)
			start = prev->vm_end;
		if (start >= end)
			break;
		vma = find_vma(mm, prev ? prev->vm_end : start);
	}
	return unmapped_error;
}

/* ---- populating ---- */

/* check_vma_flags() for a GUP without FOLL_FORCE: the access must be one
 * the VMA allows, and its pages must be normal memory. */
static bool gup_vma_allowed(const struct vm_area_struct *vma, bool write)
{
	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return false;
	return (vma->vm_flags & (write ? VM_WRITE : VM_READ)) != 0;
}

/*
 * follow_page_mask() + faultin_page() for one page: fault until the page
 * is present (and writable for a write).  A retried write fault is normal
 * (a private file page is mapped first, then copied); an entry that a
 * handled fault does not cure after a few tries is one someone edited by
 * hand, and is reported as the fault error it is.
 */
static int faultin_page(struct vm_area_struct *vma, uint64_t addr, bool write,
			struct fault_stats *st)
{
	for (int tries = 0;; tries++) {
		uint64_t pte = mm_pte_lookup(vma->vm_mm, addr);
		unsigned ret;

		if ((pte & _PAGE_PRESENT) && (!write || (pte & _PAGE_RW)))
			return 0;
		if (tries == 4)
			return -EFAULT;
		ret = handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0, st);
		/* vm_fault_to_errno() */
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
			return -EFAULT;
		/* mm_account_fault(): a GUP fault counts for the caller */
		if (st)
			st->min_flt++;
	}
}

/*
 * madvise_populate(): fault every page of [start, end) in, readable or
 * writable, as faultin_page_range() (GUP with FOLL_MADV_POPULATE) does.
 * A hole is ENOMEM, a VMA the access is not allowed in EINVAL, a fault that
 * would raise SIGBUS or SIGSEGV EFAULT; the pages before the problem stay
 * populated.
 */
static int madvise_populate(struct mm_struct *mm, uint64_t start, uint64_t end, int behavior,
			    struct fault_stats *st)
{
	const bool write = behavior == MADV_POPULATE_WRITE;
	struct vm_area_struct *vma = NULL;

	for (uint64_t addr = start; addr < end; addr += PAGE_SIZE) {
		int ret;

		if (!vma || addr >= vma->vm_end) {
			vma = vma_lookup(mm, addr);
			if (!vma)
				return -ENOMEM;
			if (!gup_vma_allowed(vma, write))
				return -EINVAL;
		}
		ret = faultin_page(vma, addr, write, st);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the system call ---- */

static int __do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len_in, int behavior,
			struct fault_stats *st)
{
	/* unsigned long and size_t are as wide as the machine's kernel */
	const uint64_t ulong_max = config_is_64(mm->vm->cfg) ? UINT64_MAX : UINT32_MAX;
	uint64_t len, end;

	if (!madvise_behavior_valid(behavior))
		return -EINVAL;
	start &= ulong_max;
	len_in &= ulong_max;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	len = PAGE_ALIGN(len_in) & ulong_max;
	/* Check to see whether len was rounded up from small -ve to zero */
	if (len_in && !len)
		return -EINVAL;
	end = (start + len) & ulong_max;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (behavior == MADV_POPULATE_READ || behavior == MADV_POPULATE_WRITE)
		return madvise_populate(mm, start, end, behavior, st);
	return madvise_walk_vmas(mm, start, end, behavior);
}

int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len_in, int behavior,
	       struct fault_stats *st)
{
	int r = __do_madvise(mm, start, len_in, behavior, st);
	const char *name = madvise_behavior_name(behavior);

	MM_EV(mm, "madvise", "start=%#llx len=%#llx advice=%s%s%s", (unsigned long long)start,
	      (unsigned long long)len_in, name ? name : "?", r ? " error=" : "",
	      r ? errno_name(r) : "");
	return r;
}
