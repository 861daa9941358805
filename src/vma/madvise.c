/*
 * madvise(2) (mm/madvise.c, Linux 6.12): advice about how a range of the
 * address space will be used.  do_madvise() checks the arguments, then
 * either faults the range in (MADV_POPULATE_*, madvise_populate) or walks
 * the VMAs of the range (madvise_walk_vmas), giving each part to
 * madvise_vma_behavior():
 *
 *   drop pages          DONTNEED, DONTNEED_LOCKED, FREE (madvise_dontneed_free)
 *   punch a hole        REMOVE (shared mappings of a file or shmem)
 *   read ahead          WILLNEED (files; anonymous memory has no swap here)
 *   age pages           COLD, PAGEOUT (madvise_cold_or_pageout)
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
 * What vmsim has no machinery for yet, and so does not do: reclaim (FREE
 * drops the pages at once, as DONTNEED does, instead of waiting for reclaim
 * to find them clean; PAGEOUT only ages them), swap (WILLNEED of anonymous
 * memory finds no swap entries), KSM's scanner (MERGEABLE only sets the
 * flag, as with ksmd stopped) and khugepaged (COLLAPSE is refused).
 */
#include "vma/mm.h"

#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "util/errname.h"
#include "vma/filemap.h"

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

/* ---- dropping pages ---- */

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
	/* madvise_free_single_vma(): MADV_FREE works for only anon vma */
	if (behavior == MADV_FREE && !vma_is_anonymous(vma))
		return -EINVAL;
	/*
	 * DONTNEED: zap_page_range_single() with even_cows, so the next touch
	 * faults a zero page, the file's page or the shared object's page.
	 * FREE: the kernel only marks the pages lazily freeable (clean, on
	 * the lazyfree list) and reclaim drops those still clean when memory
	 * runs short; with no reclaim here, they are dropped now.  A program
	 * may not rely on either outcome, so both are correct for it.
	 */
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

static int madvise_willneed(struct vm_area_struct *vma, struct vm_area_struct **prev,
			    uint64_t start, uint64_t end)
{
	struct file *file = vma->vm_file;
	uint64_t offset;

	*prev = vma;
	/* anonymous and shmem memory: swap-in readahead, and nothing is
	 * swapped out here */
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
};

/* madvise_cold_or_pageout_pte_range() for one PTE: a page only this
 * mapping uses loses its referenced state; MADV_COLD also makes the PTE
 * old (MADV_PAGEOUT leaves the Accessed bit, as reclaim_pages() ignores
 * references). */
static int cold_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct cold_walk *w = arg;
	struct page *page = vm_normal_page(w->vma, pte);

	(void)va;
	if (!page || page_mapcount(page) != 1)
		return 0;
	if (!w->pageout && (pte & _PAGE_ACCESSED)) {
		set_pte(&w->vma->vm_mm->m->pt, epa, pte & ~(uint64_t)_PAGE_ACCESSED);
		w->flush = true;
	}
	clear_page_flag(page, PG_referenced);
	return 0;
}

/*
 * madvise_cold_or_pageout_pte_range() for a huge PMD: the huge zero page
 * and a huge page mapped elsewhere too are left alone; part of one is
 * split first and its PTEs in the range go to cold_one() (the kernel
 * splits the folio itself, which vmsim leaves whole: the PTEs are the
 * same); the whole of one loses its referenced state and is made old
 * (MADV_COLD), or handed to reclaim (MADV_PAGEOUT, reclaim_pages()),
 * which finds no swap to write it to and so splits it into 4 KiB pages
 * and keeps them (shrink_folio_list(); the reference host does so).
 */
static int cold_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		     struct page *folio)
{
	struct cold_walk *w = arg;
	struct vmsim_machine *m = w->vma->vm_mm->m;

	if (is_huge_zero_folio(m, folio) || folio_likely_mapped_shared(folio))
		return 0;
	if (next - addr != HPAGE_PMD_SIZE(m)) {
		__split_huge_pmd(w->vma, epa, addr);
		return WALK_SPLIT;
	}
	if (!w->pageout && (pmd & _PAGE_ACCESSED)) {
		set_pte(&m->pt, epa, pmd & ~(uint64_t)_PAGE_ACCESSED);
		w->flush = true;
	}
	clear_page_flag(folio, PG_referenced);
	if (w->pageout)
		__split_huge_pmd(w->vma, epa, addr);
	return 0;
}

/*
 * MADV_COLD / MADV_PAGEOUT.  Both move the pages to the end of the
 * inactive list (deactivate) or hand them to reclaim; the lists and
 * reclaim come later, so what remains is the part a program can see in
 * smaps: Referenced drops to zero for pages only this mapping uses.
 * Pages stay resident (for PAGEOUT the kernel would drop clean file pages
 * and, with swap, swap anonymous ones out).
 */
static int madvise_cold_or_pageout(struct vm_area_struct *vma, struct vm_area_struct **prev,
				   uint64_t start, uint64_t end, bool pageout)
{
	const struct mm_walk_ops ops = { .pte_entry = cold_one, .pmd_entry = cold_huge };
	struct cold_walk w = { vma, pageout, false };

	*prev = vma;
	/* can_madv_lru_vma() */
	if (vma->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
		return -EINVAL;
	/* madvise_pageout(): the shared pages of a file the caller could not
	 * write are left alone; simulated files are open for writing */
	walk_page_range(vma->vm_mm, start, end, &ops, &w);
	if (w.flush)
		flush_tlb_mm_range(vma->vm_mm, start, end);
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
	const uint64_t ulong_max = config_is_64(&mm->m->cfg) ? UINT64_MAX : UINT32_MAX;
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
