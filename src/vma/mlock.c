/*
 * Locked memory (mm/mlock.c): mlock(2), mlock2(2) with MLOCK_ONFAULT,
 * munlock(2), mlockall(2) and munlockall(2), the RLIMIT_MEMLOCK /
 * CAP_IPC_LOCK rules they share with mmap, brk, stack growth and mremap,
 * and the page side of a lock: PG_mlocked, the folio's mlock_count and the
 * NR_MLOCK counter that meminfo's Mlocked line shows.
 *
 * A call works in two steps, as in the kernel: apply_vma_lock_flags()
 * gives every VMA of the range the new VM_LOCKED / VM_LOCKONFAULT bits
 * (mlock_fixup(): vma_modify_flags() merges with a neighbour that has them
 * or else splits at the ends; locked_vm counted), and then, for mlock and
 * mlockall(MCL_CURRENT) without ONFAULT, __mm_populate() faults every page
 * in.  Pages that VM_LOCKED VMAs map are PG_mlocked: mlock_fixup() walks
 * the pages already there, and the fault and unmap paths call
 * mlock_vma_page() / munlock_vma_page() as the kernel's rmap does.
 *
 * Invariants (check_mm and check_mms in check.c, check_free_lists):
 *   - locked_vm is the number of pages in VM_LOCKED VMAs, plus what
 *     mremap(MREMAP_DONTUNMAP) left counted (mm->locked_vm_dontunmap);
 *   - VM_LOCKONFAULT only with VM_LOCKED, and neither on VM_SPECIAL VMAs;
 *   - every page a VM_LOCKED VMA maps is PG_mlocked; its mlock_count is
 *     the number of such mappings plus the locks MREMAP_DONTUNMAP left on
 *     it (a VMA losing VM_LOCKED without munlocking its pages, as in the
 *     kernel), which all together are phys_mem.mlock_stale; a page is
 *     PG_mlocked only while it holds a lock, and each zone's NR_MLOCK
 *     counts its PG_mlocked pages.  (The kernel's count may undercount
 *     while a page is off the LRU, and lru_add() zeroes it; vmsim keeps
 *     it exact: see page.h.)
 *   - a PG_mlocked page on the LRU is on the unevictable "list" (counted,
 *     not linked): mlock moves it there, the last munlock back to the
 *     inactive list of its kind; reclaim never scans it.
 * Not an invariant: every page of a locked VMA present.  The kernel leaves
 * locked VMAs unpopulated where the prefault stopped (a PROT_NONE VMA, a
 * hole, a page past EOF, no memory) and after mprotect(PROT_NONE ->
 * PROT_READ); vmsim does the same.
 */
#include "vma/mm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/errname.h"
#include "util/error.h"
#include "vma/swap.h"

/* ---- the limits ---- */

bool can_do_mlock(const struct mm_struct *mm)
{
	if (mm->memlock_rlimit != 0)
		return true;
	return mm->cap_ipc_lock;
}

bool mlock_future_ok(const struct mm_struct *mm, unsigned long flags, uint64_t bytes)
{
	uint64_t locked_pages, limit_pages;

	if (!(flags & VM_LOCKED) || mm->cap_ipc_lock)
		return true;
	locked_pages = (bytes >> PAGE_SHIFT) + mm->locked_vm;
	limit_pages = mm->memlock_rlimit >> PAGE_SHIFT;
	return locked_pages <= limit_pages;
}

/* ---- pages ---- */


/*
 * __mlock_folio() of a page becoming mlocked: off the evictable list it is
 * on, onto the unevictable "list" (a count: lru.prev is free to hold the
 * mlock_count then).  A page in a batch is first put on its list (the
 * batches drained); one off every list (isolated) becomes unevictable
 * when it is put back (lru_add()).
 */
static void mlock_lru(struct vm_ctx *vm, struct page *page)
{
	struct lruvec *lruvec;

	if (!PageLRU(page) && vm->cpu_fbatches)
		lru_add_drain_all(vm);
	if (!PageLRU(page) || PageUnevictable(page))
		return;
	lruvec = folio_lruvec(vm->pm, page);
	lruvec_del_folio(lruvec, page);
	clear_page_flag(page, PG_active);
	set_page_flag(page, PG_unevictable);
	lruvec_add_folio(lruvec, page);
	count_vm_events(vm->pm, UNEVICTABLE_PGCULLED, 1UL << compound_order(page));
}

void mlock_folio(struct vm_ctx *vm, struct page *page)
{
	struct page *head = compound_head(page);
	unsigned long nr = 1UL << compound_order(head);

	if (PageMlocked(head)) {
		/* __mlock_folio(): already unevictable, one more lock */
		head->mlock_count++;
		return;
	}
	mlock_lru(vm, head);
	set_page_flag(head, PG_mlocked);
	head->mlock_count = 1;
	mod_zone_page_state(page_zone(vm->pm, head), NR_MLOCK, (long)nr);
	count_vm_events(vm->pm, UNEVICTABLE_PGMLOCKED, nr);
}

void mlock_new_folio(struct vm_ctx *vm, struct page *page)
{
	struct lruvec *lruvec = folio_lruvec(vm->pm, page);
	const unsigned long nr = folio_nr_pages(page);

	/* __mlock_new_folio(): straight onto the unevictable list, no batch */
	set_page_flag(page, PG_mlocked);
	mod_zone_page_state(page_zone(vm->pm, page), NR_MLOCK, (long)nr);
	count_vm_events(vm->pm, UNEVICTABLE_PGMLOCKED, nr);
	set_page_flag(page, PG_unevictable);
	lruvec_add_folio(lruvec, page);
	set_page_flag(page, PG_lru);
	page->mlock_count = 1;
	count_vm_events(vm->pm, UNEVICTABLE_PGCULLED, nr);
}

void munlock_folio(struct vm_ctx *vm, struct page *page)
{
	struct page *head = compound_head(page);
	unsigned long nr = 1UL << compound_order(head);

	if (!PageMlocked(head))
		return;
	/* __munlock_folio(): the flag goes with the last lock */
	if (head->mlock_count)
		head->mlock_count--;
	if (head->mlock_count)
		return;
	clear_page_flag(head, PG_mlocked);
	mod_zone_page_state(page_zone(vm->pm, head), NR_MLOCK, -(long)nr);
	count_vm_events(vm->pm, UNEVICTABLE_PGMUNLOCKED, nr);
	/* evictable again: back on the inactive list of its kind */
	if (PageLRU(head) && PageUnevictable(head)) {
		struct lruvec *lruvec = folio_lruvec(vm->pm, head);

		lruvec_del_folio(lruvec, head);
		clear_page_flag(head, PG_unevictable);
		lruvec_add_folio(lruvec, head);
		count_vm_events(vm->pm, UNEVICTABLE_PGRESCUED, nr);
	}
}

void mlock_vma_page(struct page *page, struct vm_area_struct *vma)
{
	struct vm_ctx *vm = vma->vm_mm->vm;

	/* VM_SPECIAL never carries VM_LOCKED for long, but ignore it then
	 * (mlock_vma_folio); large folios are mlocked only when mapped whole */
	if ((vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED && page != vm->zero_page &&
	    !PageCompound(page))
		mlock_folio(vm, page);
}

void munlock_vma_page(struct page *page, struct vm_area_struct *vma)
{
	struct vm_ctx *vm = vma->vm_mm->vm;

	if ((vma->vm_flags & VM_LOCKED) && page != vm->zero_page)
		munlock_folio(vm, page);
}

/* The normal page a user PTE maps (vm_normal_folio), or NULL: no frame,
 * the zero page, or a page of a large folio. */
static struct page *pte_normal_page(struct vm_ctx *vm, uint64_t pte)
{
	uint64_t pfn = (pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;

	/* pte_present() is true for PROT_NONE entries too */
	if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) || !pfn_valid(vm->pm, (unsigned long)pfn))
		return NULL;
	page = pfn_to_page(vm->pm, (unsigned long)pfn);
	if (page == vm->zero_page || PageCompound(page))
		return NULL;
	return page;
}

/* mlock_pte_range()'s walk: the VMA, the range, and the end of the run
 * of PTEs of one huge page just handled. */
struct mlock_walk {
	struct vm_area_struct *vma;
	uint64_t start, end, skip_to;
};

/* folio_mlock_step(): how many PTEs from the one at @va (mapping @page)
 * map the pages that follow it in its huge page, up to the range's end and
 * the end of the PTE table (folio_pte_batch()). */
static unsigned long folio_mlock_step(struct mm_struct *mm, struct page *page, uint64_t va,
				      uint64_t end)
{
	const struct pt_format *f = mm->vm->pt->fmt;
	struct page *head = compound_head(page);
	const uint64_t table_end = (va | (pt_entry_span(f, f->levels - 2) - 1)) + 1;
	const unsigned long left = (1UL << compound_order(head)) - (unsigned long)(page - head);
	unsigned long n = 1;

	if (end > table_end)
		end = table_end;
	while (n < left && va + n * PAGE_SIZE < end) {
		uint64_t pte = mm_pte_lookup(mm, va + n * PAGE_SIZE);

		if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) ||
		    ((pte & f->entry_addr_mask) >> PAGE_SHIFT) != page_to_pfn(mm->vm->pm, page + n))
			break;
		n++;
	}
	return n;
}

/* folio_within_range(): does the huge page headed by @head lie, by its
 * index, wholly in [start, end) of @vma? */
static bool folio_within_range(const struct page *head, const struct vm_area_struct *vma,
			       uint64_t start, uint64_t end)
{
	const uint64_t pgoff = head->index, size = PAGE_SIZE << compound_order(head);
	uint64_t addr;

	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	if (pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= vma_pages(vma))
		return false;
	addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	return addr >= start && end - addr >= size;
}

static int mlock_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct mlock_walk *w = arg;
	struct vm_area_struct *vma = w->vma;
	struct vm_ctx *vm = vma->vm_mm->vm;
	uint64_t pfn = (pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;
	unsigned long step;

	(void)epa;
	if (va < w->skip_to || !(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) ||
	    !pfn_valid(vm->pm, (unsigned long)pfn))
		return 0;
	page = pfn_to_page(vm->pm, (unsigned long)pfn);
	if (page == vm->zero_page)
		return 0;
	step = PageCompound(page) ? folio_mlock_step(vma->vm_mm, page, va, w->end) : 1;
	w->skip_to = va + step * PAGE_SIZE;
	if (!(vma->vm_flags & VM_LOCKED)) {
		munlock_folio(vm, page);
		return 0;
	}
	/* allow_mlock_munlock(): a huge page is locked only when it lies in
	 * the range whole and these PTEs map all of it */
	if (PageCompound(page) &&
	    (!folio_within_range(compound_head(page), vma, w->start, w->end) ||
	     step != 1UL << compound_order(compound_head(page))))
		return 0;
	mlock_folio(vm, page);
	return 0;
}

static int mlock_pmd(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		     struct page *folio)
{
	struct mlock_walk *w = arg;

	(void)addr;
	(void)next;
	(void)pmd;
	(void)folio;
	mlock_huge_pmd(w->vma, epa);
	return 0;
}

/* mlock_vma_pages_range(): @vma takes @newflags, and the pages already
 * mapped in [start, end) are mlocked or munlocked to match: a huge PMD's
 * page as one, a huge page that PTEs map as one where they map it whole. */
static void mlock_vma_pages_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
				  unsigned long newflags)
{
	const struct mm_walk_ops ops = { .pte_entry = mlock_pte, .pmd_entry = mlock_pmd };
	struct mlock_walk w = { .vma = vma, .start = start, .end = end };

	vma->vm_flags = newflags;
	walk_page_range_ro(vma->vm_mm, start, end, &ops, &w);
}

/* ---- VMAs ---- */

/*
 * mlock_fixup(): give [start, end) of @vma the flags @newflags.  As in
 * Linux 6.12, vma_modify_flags() first merges the range into a neighbour
 * that has those flags, and only then splits @vma at the range's ends.
 * Special mappings (VM_IO, VM_PFNMAP, VM_DONTEXPAND, VM_MIXEDMAP) are
 * skipped and not counted.  *@pvma becomes the VMA holding the range.
 */
static int mlock_fixup(struct mm_struct *mm, struct vm_area_struct **pvma, uint64_t start,
		       uint64_t end, unsigned long newflags)
{
	struct vm_area_struct *vma = *pvma;
	const unsigned long oldflags = vma->vm_flags;
	long nr_pages;
	int ret;

	if (newflags == oldflags || (oldflags & VM_SPECIAL))
		return 0;	/* don't set VM_LOCKED or VM_LOCKONFAULT and don't count */
	ret = vma_modify_flags(mm, vma, start, end, newflags, &vma);
	if (ret)
		return ret;
	mm_track_dirty(mm);	/* --check: flags, locked_vm and page locks change */
	/* Keep track of amount of locked VM. */
	nr_pages = (long)((end - start) >> PAGE_SHIFT);
	if (!(newflags & VM_LOCKED))
		nr_pages = -nr_pages;
	else if (oldflags & VM_LOCKED)
		nr_pages = 0;
	mm->locked_vm += (unsigned long)nr_pages;
	/* the merged VMA may be a neighbour already locked: only the pages
	 * of [start, end) change */
	if ((newflags & VM_LOCKED) && (oldflags & VM_LOCKED))
		vma->vm_flags = newflags;	/* no work to do, and mlocking twice would be wrong */
	else
		mlock_vma_pages_range(vma, start, end, newflags);
	*pvma = vma;
	return 0;
}

/* apply_vma_lock_flags(): [start, start+len) (page aligned) takes @flags
 * (0, VM_LOCKED, or VM_LOCKED | VM_LOCKONFAULT) VMA by VMA.  A hole ends
 * it with -ENOMEM, the VMAs before it changed. */
static int apply_vma_lock_flags(struct mm_struct *mm, uint64_t start, uint64_t len,
				unsigned long flags)
{
	const uint64_t end = start + len;
	struct vm_area_struct *vma;
	uint64_t nstart = start;

	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	vma = vma_lookup(mm, start);
	if (!vma)
		return -ENOMEM;
	for (;;) {
		unsigned long newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | flags;
		uint64_t tmp = vma->vm_end < end ? vma->vm_end : end;
		int error = mlock_fixup(mm, &vma, nstart, tmp, newflags);

		if (error)
			return error;
		nstart = tmp;
		if (nstart >= end)
			return 0;
		/* the VMA holding nstart: the next one, or the one just
		 * changed if it merged with it */
		vma = find_vma(mm, nstart);
		if (!vma || vma->vm_start > nstart)
			return -ENOMEM;
	}
}

/* count_mm_mlocked_page_nr(): pages of [start, start+len) already in
 * VM_LOCKED VMAs (ONFAULT ones too), which a new lock does not charge
 * again.  The arithmetic wraps as the kernel's unsigned long does. */
static uint64_t count_mm_mlocked_page_nr(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	uint64_t count = 0, end = UINT64_MAX - len < start ? UINT64_MAX : start + len;
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, start); vma && vma->vm_start < end; vma = vma_next(vma)) {
		if (!(vma->vm_flags & VM_LOCKED))
			continue;
		if (start > vma->vm_start)
			count -= start - vma->vm_start;
		if (end < vma->vm_end) {
			count += end - vma->vm_start;
			break;
		}
		count += vma->vm_end - vma->vm_start;
	}
	return count >> PAGE_SHIFT;
}

/* __mlock_posix_error_return(): what GUP reports, in mlock's terms. */
static int mlock_posix_error(int err)
{
	if (err == -EFAULT)
		return -ENOMEM;
	if (err == -ENOMEM)
		return -EAGAIN;
	return err;
}

static int do_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned long flags,
		    struct fault_stats *st)
{
	uint64_t locked, lock_limit;
	int error = -ENOMEM;

	if (!can_do_mlock(mm))
		return -EPERM;
	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	lock_limit = mm->memlock_rlimit >> PAGE_SHIFT;
	locked = (len >> PAGE_SHIFT) + mm->locked_vm;
	/* pages of the range already locked are not charged twice */
	if (locked > lock_limit && !mm->cap_ipc_lock)
		locked -= count_mm_mlocked_page_nr(mm, start, len);
	if (locked <= lock_limit || mm->cap_ipc_lock)
		error = apply_vma_lock_flags(mm, start, len, flags);
	if (error)
		return error;
	error = __mm_populate(mm, start, len, false, st);
	return error ? mlock_posix_error(error) : 0;
}

static void mlock_event(struct mm_struct *mm, const char *call, uint64_t start, uint64_t len,
			long flags, int r)
{
	MM_EV(mm, call, "start=%#llx len=%#llx flags=%#lx%s%s", (unsigned long long)start,
	      (unsigned long long)len, (unsigned long)flags, r ? " error=" : "",
	      r ? errno_name(r) : "");
}

int sys_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, struct fault_stats *st)
{
	int r = do_mlock(mm, start, len, VM_LOCKED, st);

	mlock_event(mm, "mlock", start, len, 0, r);
	return r;
}

int sys_mlock2(struct mm_struct *mm, uint64_t start, uint64_t len, int flags,
	       struct fault_stats *st)
{
	int r;

	if (flags & ~MLOCK_ONFAULT)
		r = -EINVAL;
	else
		r = do_mlock(mm, start, len,
			     VM_LOCKED | (flags & MLOCK_ONFAULT ? VM_LOCKONFAULT : 0), st);
	mlock_event(mm, "mlock", start, len, flags, r);
	return r;
}

int sys_munlock(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	uint64_t s = start & PAGE_MASK;
	int r = apply_vma_lock_flags(mm, s, PAGE_ALIGN(len + (start & ~PAGE_MASK)), 0);

	mlock_event(mm, "munlock", start, len, 0, r);
	return r;
}

/*
 * apply_mlockall_flags(): MCL_FUTURE sets mm->def_flags (later mmaps and
 * brk are locked), MCL_CURRENT locks every VMA now; calling it again
 * without MCL_FUTURE clears def_flags.  @flags 0 is munlockall().
 * Errors of single VMAs are ignored.
 */
static void apply_mlockall_flags(struct mm_struct *mm, int flags)
{
	unsigned long to_add = 0;
	struct vm_area_struct *vma;
	uint64_t addr = 0;

	mm->def_flags &= ~VM_LOCKED_MASK;
	if (flags & MCL_FUTURE) {
		mm->def_flags |= VM_LOCKED;
		if (flags & MCL_ONFAULT)
			mm->def_flags |= VM_LOCKONFAULT;
		if (!(flags & MCL_CURRENT))
			return;
	}
	if (flags & MCL_CURRENT) {
		to_add |= VM_LOCKED;
		if (flags & MCL_ONFAULT)
			to_add |= VM_LOCKONFAULT;
	}
	while ((vma = find_vma(mm, addr))) {
		unsigned long newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | to_add;

		mlock_fixup(mm, &vma, vma->vm_start, vma->vm_end, newflags);
		addr = vma->vm_end;
	}
}

int sys_mlockall(struct mm_struct *mm, int flags, struct fault_stats *st)
{
	int ret = -ENOMEM;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT) {
		ret = -EINVAL;
	} else if (!can_do_mlock(mm)) {
		ret = -EPERM;
	} else if (!(flags & MCL_CURRENT) || mm->total_vm <= mm->memlock_rlimit >> PAGE_SHIFT ||
		   mm->cap_ipc_lock) {
		apply_mlockall_flags(mm, flags);
		ret = 0;
		if (flags & MCL_CURRENT)
			__mm_populate(mm, 0, mm->task_size, true, st);
	}
	mlock_event(mm, "mlockall", 0, 0, flags, ret);
	return ret;
}

int sys_munlockall(struct mm_struct *mm)
{
	apply_mlockall_flags(mm, 0);
	mlock_event(mm, "munlockall", 0, 0, 0, 0);
	return 0;
}

/* ---- mlocks no VM_LOCKED mapping holds ---- */

static int stale_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct vm_area_struct *vma = arg;
	struct vm_ctx *vm = vma->vm_mm->vm;
	uint64_t pfn = (pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT;

	if (pte_normal_page(vm, pte))
		vm->pm->mlock_stale++;
	else if ((pte & (_PAGE_PRESENT | _PAGE_PROTNONE)) &&
		 pfn_valid(vm->pm, (unsigned long)pfn) &&
		 PageMlocked(compound_head(pfn_to_page(vm->pm, (unsigned long)pfn))))
		vm->thp.mlock_stale++;	/* a page of a locked huge page: an allowance */
	(void)va;
	(void)epa;
	return 0;
}

void mlock_vma_pages_stale(struct vm_area_struct *vma)
{
	if ((vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED) {
		walk_pte_range(vma->vm_mm, vma->vm_start, vma->vm_end, stale_pte, vma);
		mlock_huge_pmds_stale(vma);
	}
}
