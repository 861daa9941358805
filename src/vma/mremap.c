/*
 * mremap(2) (mm/mremap.c): shrink a mapping in place, grow it in place
 * when the space after it is free, or move it — page tables and all — to
 * an address the caller names (MREMAP_FIXED) or get_unmapped_area() finds
 * (MREMAP_MAYMOVE), optionally leaving the old range mapped and empty
 * (MREMAP_DONTUNMAP).  old_len 0 on a shared mapping maps the same pages a
 * second time.
 *
 * The checks, their order and their errnos are Linux 6.18's, the kernel we
 * compare against: do_mremap() -> check_mremap_params() -> check_prep_vma()
 * (whose growth checks 6.12 called vma_to_resize()) -> mremap_at() or
 * mremap_to() -> move_vma() -> copy_vma() + move_page_tables().  Where 6.12
 * answers differently (a fixed move across several VMAs, a new length above
 * TASK_SIZE without a new address) docs/processes.md says so.
 *
 * A move never copies pages: move_page_tables() relinks whole page tables
 * where source and destination are aligned to the span of a PUD (1 GiB,
 * x86_64) or PMD entry (2 MiB; 4 MiB on x86_32) and the destination has no
 * table there (move_normal_pud, move_normal_pmd), and otherwise moves the
 * PTEs one by one (move_ptes).  A PMD that maps a transparent huge page
 * moves whole where the step covers all of it (move_huge_pmd), its
 * deposited table along, and is split into PTEs first where it does not.
 * Frames, their refcounts and mapcounts and the rss counters stay as they
 * are; the TLB is flushed for the old range.
 *
 * Invariant after every call, failed or not: the VMA list and tree agree,
 * the mm counters equal the sums over the VMAs (locked_vm plus
 * locked_vm_dontunmap), no PTE lies outside a VMA, and every relinked table
 * page records the entry that now links it (pt_set_table()).
 */
#include "vma/mm.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/err.h"
#include "util/errname.h"
#include "vma/filemap.h"
#include "vma/rmap.h"

/* What kind of remap this is (enum mremap_type). */
enum mremap_type {
	MREMAP_INVALID,		/* not decided yet */
	MREMAP_NO_RESIZE,	/* old_len == new_len */
	MREMAP_SHRINK,		/* old_len > new_len */
	MREMAP_EXPAND,		/* old_len < new_len */
};

/* One mremap() call as it goes through the steps (struct vma_remap_struct). */
struct vma_remap_struct {
	struct mm_struct *mm;
	uint64_t addr;			/* the range remapped ... */
	uint64_t old_len;		/* ... and its length (page aligned) */
	uint64_t new_len;		/* the length it gets (page aligned) */
	unsigned long flags;		/* MREMAP_* */
	uint64_t new_addr;		/* where it goes (its own addr when not moved) */

	struct vm_area_struct *vma;	/* the VMA holding addr */
	uint64_t delta;			/* |old_len - new_len| */
	enum mremap_type remap_type;
	bool populate_expand;		/* a VM_LOCKED mapping grew: fault the growth in */
};

/* The source and destination of one move_page_tables() (pagetable_move_control). */
struct pagetable_move_control {
	struct vm_area_struct *old;	/* the VMA the entries leave */
	struct vm_area_struct *new;	/* the VMA they join */
	uint64_t old_addr;		/* the next address to move */
	uint64_t old_end;		/* the end of the range */
	uint64_t new_addr;		/* where old_addr goes */
	uint64_t len_in;		/* the length asked for */
};

/* ---- the page tables ---- */

static unsigned pud_depth(const struct pt_ctx *pt)
{
	return (unsigned)pt->fmt->depth_of[PT_PUD];
}

static unsigned pmd_depth(const struct pt_ctx *pt)
{
	return (unsigned)pt->fmt->depth_of[PT_PMD];
}

/* PMD_SIZE: 2 MiB on x86_64, 4 MiB on x86_32's two levels. */
static uint64_t pmd_size(const struct pt_ctx *pt)
{
	return pt_entry_span(pt->fmt, pmd_depth(pt));
}

/* A PUD level of its own (CONFIG_PGTABLE_LEVELS > 2): x86_64 only. */
static bool has_pud(const struct pt_ctx *pt)
{
	return pt->fmt->levels > 2;
}

/*
 * pgd_offset() .. pXd_offset() of @addr down to table depth @depth: the
 * address of that entry.  The entries above are followed as a changing walk
 * follows them (pXd_none_or_clear_bad()); a missing table gives 0, unless
 * @alloc, which allocates it (p4d_alloc(), pud_alloc(), pmd_alloc()) and
 * gives 0 only when no frame is left.
 */
static uint64_t walk_to(struct mm_struct *mm, uint64_t addr, unsigned depth, bool alloc)
{
	struct pt_ctx *pt = mm->vm->pt;
	uint64_t table = mm->pgd;

	for (unsigned d = 0; d < depth; d++) {
		uint64_t epa = pt_offset(pt, table, d, addr);
		uint64_t next = mm_user_table(mm, d, epa, addr);

		if (!next) {
			if (!alloc || pt_alloc_table(pt, GFP_PGTABLE_USER, &next))
				return 0;
			pt_set_table(pt, epa, next, _PAGE_TABLE);
		}
		table = next;
	}
	return pt_offset(pt, table, depth, addr);
}

/* get_old_pud(): the PUD entry of @addr when it links a PMD table. */
static uint64_t get_old_pud(struct mm_struct *mm, uint64_t addr)
{
	const unsigned d = pud_depth(mm->vm->pt);
	uint64_t epa = walk_to(mm, addr, d, false);

	return epa && mm_user_table(mm, d, epa, addr) ? epa : 0;
}

/* get_old_pmd(): the PMD entry of @addr when it is not empty. */
static uint64_t get_old_pmd(struct mm_struct *mm, uint64_t addr)
{
	uint64_t epa = walk_to(mm, addr, pmd_depth(mm->vm->pt), false);

	return epa && !pt_entry_none(pt_read(mm->vm->pt, epa)) ? epa : 0;
}

/*
 * move_normal_pmd() / move_normal_pud(): an extent that spans a whole PMD
 * (PUD) entry on both sides takes the table below it along: the old entry
 * is cleared, the empty new one populated (pmd_populate()/pud_populate():
 * _PAGE_TABLE), the table page records its new link and the old range is
 * flushed.  Only a table the walk may follow moves; a bad entry is left
 * for move_ptes()'s walk to clear.
 */
static bool move_normal_entry(struct pagetable_move_control *pmc, unsigned depth, uint64_t old_epa,
			      uint64_t new_epa)
{
	struct mm_struct *mm = pmc->old->vm_mm;
	struct pt_ctx *pt = mm->vm->pt;
	uint64_t e = pt_read(pt, old_epa);

	/* "The destination pmd shouldn't be established, free_pgtables()
	 * should have released it" (WARN_ON_ONCE, then not moved) */
	if (!pt_entry_none(pt_read(pt, new_epa)))
		return false;
	if (pt_entry_kind(pt, depth, old_epa, e, false) != PT_ENTRY_TABLE)
		return false;
	pte_clear(pt, old_epa);
	pt_set_table(pt, new_epa, pt_entry_addr(pt, depth, e), _PAGE_TABLE);
	flush_tlb_mm_range(mm, pmc->old_addr, pmc->old_addr + pt_entry_span(pt->fmt, depth));
	return true;
}

/*
 * move_ptes(): the PTEs of [old_addr, old_addr + extent), all in the table
 * below @old_pmd, to the table below @new_pmd.  An empty PTE (A and D
 * aside) stays; a present one, or a PROT_NONE one, moves as it is.  The
 * old range is flushed when a present entry left it.
 */
static void move_ptes(struct pagetable_move_control *pmc, uint64_t extent, uint64_t old_pmd,
		      uint64_t new_pmd)
{
	struct mm_struct *mm = pmc->old->vm_mm;
	struct pt_ctx *pt = mm->vm->pt;
	const unsigned pmd = pmd_depth(pt), leaf = pt->fmt->levels - 1;
	const uint64_t es = pt->fmt->entry_size;
	uint64_t old_pt = mm_user_table(mm, pmd, old_pmd, pmc->old_addr);
	uint64_t new_pt = mm_user_table(mm, pmd, new_pmd, pmc->new_addr);
	uint64_t o, n, e;
	bool force_flush = false;

	if (!old_pt || !new_pt)
		return;		/* a bad PMD entry, now cleared: nothing below it */
	o = pt_offset(pt, old_pt, leaf, pmc->old_addr);
	n = pt_offset(pt, new_pt, leaf, pmc->new_addr);
	for (uint64_t off = 0; off < extent; off += PAGE_SIZE, o += es, n += es) {
		e = pt_read(pt, o);
		if (pt_entry_none(e))
			continue;
		if (e & _PAGE_PRESENT)
			force_flush = true;
		pte_clear(pt, o);
		set_pte(pt, n, e);
	}
	if (force_flush)
		flush_tlb_mm_range(mm, pmc->old_addr, pmc->old_addr + extent);
}

/* get_extent(): how far the move may go from here within one entry of
 * @size on both sides. */
static uint64_t get_extent(const struct pagetable_move_control *pmc, uint64_t size)
{
	uint64_t extent = ((pmc->old_addr + size) & ~(size - 1)) - pmc->old_addr;
	uint64_t to_new = ((pmc->new_addr + size) & ~(size - 1)) - pmc->new_addr;

	if (extent > pmc->old_end - pmc->old_addr)
		extent = pmc->old_end - pmc->old_addr;
	return extent < to_new ? extent : to_new;
}

/* can_align_down(): may the move start at @addr rounded down to @size in
 * @vma?  Only from the VMA's start, and only over addresses no VMA maps. */
static bool can_align_down(struct vm_area_struct *vma, uint64_t addr, uint64_t size)
{
	if (vma->vm_start != addr)
		return false;
	return !find_vma_intersection(vma->vm_mm, addr & ~(size - 1), vma->vm_start);
}

/*
 * try_realign_addr(): when both ends sit at the same offset in a PMD span
 * and the range reaches the next PMD boundary, start the move at the
 * boundary below, so that whole tables move from the first one on (the
 * part below holds no PTEs: no VMA maps it).
 */
static void try_realign_addr(struct pagetable_move_control *pmc, uint64_t size)
{
	const uint64_t old_align = pmc->old_addr & (size - 1);

	if (pmc->len_in < size - old_align || old_align == 0 ||
	    old_align != (pmc->new_addr & (size - 1)))
		return;
	if (!can_align_down(pmc->old, pmc->old_addr, size) ||
	    !can_align_down(pmc->new, pmc->new_addr, size))
		return;
	pmc->old_addr &= ~(size - 1);
	pmc->new_addr &= ~(size - 1);
}

/* The entries of table depth @depth for the next step, with its extent
 * within one entry of @span: the old one (get_old_pud()/get_old_pmd()) and
 * the new one, its tables allocated (alloc_new_pud()/alloc_new_pmd()).
 * 1 when nothing is mapped there (the step is skipped), -ENOMEM. */
static int old_and_new_entry(struct pagetable_move_control *pmc, unsigned depth, uint64_t span,
			     uint64_t *extent, uint64_t *old_epa, uint64_t *new_epa)
{
	struct mm_struct *mm = pmc->old->vm_mm;

	*extent = get_extent(pmc, span);
	*old_epa = depth == pmd_depth(mm->vm->pt) ? get_old_pmd(mm, pmc->old_addr) :
						    get_old_pud(mm, pmc->old_addr);
	if (!*old_epa)
		return 1;
	*new_epa = walk_to(mm, pmc->new_addr, depth, true);
	return *new_epa ? 0 : -ENOMEM;
}

/*
 * move_page_tables(): move the entries of [old_addr, old_addr + len) of
 * pmc->old to new_addr in pmc->new.  Returns the bytes moved, which is
 * less than asked when a table could not be allocated.
 */
static uint64_t move_page_tables(struct pagetable_move_control *pmc)
{
	struct mm_struct *mm = pmc->old->vm_mm;
	struct pt_ctx *pt = mm->vm->pt;
	const unsigned pud = pud_depth(pt), pmd = pmd_depth(pt);
	const uint64_t pmd_span = pmd_size(pt), orig = pmc->old_end - pmc->len_in;
	uint64_t extent, old_e, new_e;
	int r;

	if (!pmc->len_in)
		return 0;
	mm_track_dirty(mm);	/* --check: the page tables change */
	try_realign_addr(pmc, pmd_span);
	for (; pmc->old_addr < pmc->old_end; pmc->old_addr += extent, pmc->new_addr += extent) {
		if (has_pud(pt)) {
			/* a PUD-sized extent moves its PMD table whole */
			const uint64_t pud_span = pt_entry_span(pt->fmt, pud);

			r = old_and_new_entry(pmc, pud, pud_span, &extent, &old_e, &new_e);
			if (r > 0)
				continue;
			if (r < 0)
				break;
			if (extent == pud_span && move_normal_entry(pmc, pud, old_e, new_e))
				continue;
		}
		r = old_and_new_entry(pmc, pmd, pmd_span, &extent, &old_e, &new_e);
		if (r > 0)
			continue;
		if (r < 0)
			break;
		/* a huge PMD moves whole when the extent is all of it, and is
		 * split into PTEs otherwise (vma/huge_memory.c) */
		if (pmd_trans_huge(pt_read(pt, old_e))) {
			if (extent == HPAGE_PMD_SIZE(mm->vm) &&
			    move_huge_pmd(pmc->old, pmc->old_addr, pmc->new_addr, old_e, new_e))
				continue;
			split_huge_pmd(pmc->old, old_e, pmc->old_addr);
		} else if (extent == pmd_span && move_normal_entry(pmc, pmd, old_e, new_e)) {
			continue;
		}
		if (pt_entry_none(pt_read(pt, old_e)))
			continue;
		/* pte_alloc() of the destination */
		if (!walk_to(mm, pmc->new_addr, pt->fmt->levels - 1, true))
			break;
		move_ptes(pmc, extent, old_e, new_e);
	}
	/* a realigned start that failed at once has moved nothing */
	return pmc->old_addr < orig ? 0 : pmc->old_addr - orig;
}

/* ---- VMAs ---- */

/*
 * copy_vma() (mm/vma.c): the VMA that will hold [addr, addr + len) with
 * @pgoff: a neighbour extended over it when they merge
 * (vma_merge_copied_range(): the source is copied_from, so a neighbour
 * that takes its anon_vma also takes its chain), else a copy of *@vmap
 * linked there, on every anon_vma of the source's chain (anon_vma_clone),
 * so that the reverse map finds the pages that move.  Either way the pages
 * keep their index: the offset carries over.  Anonymous memory that never
 * faulted takes the offset of its new place instead (no page depends on
 * the old one), which lets it merge; when that merge swallowed the source
 * VMA itself, *@vmap becomes the merged VMA.  NULL when out of memory.
 */
static struct vm_area_struct *copy_vma(struct vm_area_struct **vmap, uint64_t addr, uint64_t len,
				       uint64_t pgoff)
{
	struct vm_area_struct *vma = *vmap, *new_vma, *prev;
	struct mm_struct *mm = vma->vm_mm;
	const uint64_t vma_start = vma->vm_start;

	if (vma_is_anonymous(vma) && !vma->anon_vma)
		pgoff = addr >> PAGE_SHIFT;
	new_vma = find_vma_prev(mm, addr, &prev);
	if (new_vma && new_vma->vm_start < addr + len)
		return NULL;	/* "should never get here": the range is free */
	new_vma = vma_merge_new(mm, prev, new_vma, addr, addr + len, vma->vm_flags, vma->anon_vma,
				vma, vma->vm_file, pgoff, vma->shm);
	if (new_vma) {
		/* the source may now be part of new_vma (and freed if it
		 * was the one merged away): only its start is looked at */
		if (vma_start >= new_vma->vm_start && vma_start < new_vma->vm_end)
			*vmap = new_vma;
		return new_vma;
	}
	new_vma = vm_area_dup(vma);
	if (!new_vma)
		return NULL;
	new_vma->vm_start = addr;
	new_vma->vm_end = addr + len;
	new_vma->vm_pgoff = pgoff;
	/* the chain is keyed by vm_pgoff: linked once the range is set */
	if (anon_vma_clone(new_vma, vma)) {
		vm_area_free(new_vma);
		return NULL;
	}
	vma_link(mm, new_vma);
	return new_vma;
}

/* vma_merge_extend(): @vma grown by @delta at its end, merged with the next
 * VMA when they now touch and agree (the new range holds @vma's anon_vma
 * but is copied from nothing).  NULL when it cannot take the range. */
static struct vm_area_struct *vma_merge_extend(struct vm_area_struct *vma, uint64_t delta)
{
	return vma_merge_new(vma->vm_mm, vma, vma_next(vma), vma->vm_end, vma->vm_end + delta,
			     vma->vm_flags, vma->anon_vma, NULL, vma->vm_file,
			     vma->vm_pgoff + vma_pages(vma), vma->shm);
}

/* __vm_enough_memory() under the default overcommit heuristic (mode 0):
 * a charge larger than all of RAM and swap together is refused. */
static bool vm_enough_memory(const struct mm_struct *mm, uint64_t pages)
{
	return pages <= mm->vm->pm->totalram_pages + mm->vm->pm->total_swap_pages;
}

/* vrm_calc_charge(): private writable memory (VM_ACCOUNT) is charged for
 * what it gains: the growth, or the whole new range when the old one
 * stays (MREMAP_DONTUNMAP). */
static bool vrm_calc_charge(const struct vma_remap_struct *vrm)
{
	if (!(vrm->vma->vm_flags & VM_ACCOUNT))
		return true;
	return vm_enough_memory(vrm->mm, (vrm->flags & MREMAP_DONTUNMAP ? vrm->new_len :
					  vrm->delta) >> PAGE_SHIFT);
}

/* vrm_stat_account(): total_vm and the kind counters (locked_vm too) grow
 * by @bytes of the VMA's kind. */
static void vrm_stat_account(struct vma_remap_struct *vrm, uint64_t bytes)
{
	vm_stat_account(vrm->mm, vrm->vma->vm_flags, (long)(bytes >> PAGE_SHIFT));
}

/* ---- checks ---- */

static bool vrm_implies_new_addr(const struct vma_remap_struct *vrm)
{
	return vrm->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
}

/* vrm_overlaps(): do the old and new ranges share an address? */
static bool vrm_overlaps(const struct vma_remap_struct *vrm)
{
	return vrm->addr + vrm->old_len > vrm->new_addr && vrm->new_addr + vrm->new_len > vrm->addr;
}

/* check_mremap_params(): the arguments alone, before any VMA is looked at. */
static int check_mremap_params(const struct vma_remap_struct *vrm)
{
	const uint64_t task_size = vrm->mm->task_size;

	if (vrm->flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (vrm->addr & ~PAGE_MASK)
		return -EINVAL;
	/* "a zero old-len [is] a special case for DOS-emu 'duplicate shm
	 * area' thing. But a zero new-len is nonsensical." */
	if (!vrm->new_len || vrm->new_len > task_size)
		return -EINVAL;
	if (!vrm_implies_new_addr(vrm))
		return 0;
	if (vrm->new_addr > task_size - vrm->new_len || (vrm->new_addr & ~PAGE_MASK))
		return -EINVAL;
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -EINVAL;		/* a fixed address implies a move */
	if ((vrm->flags & MREMAP_DONTUNMAP) && vrm->old_len != vrm->new_len)
		return -EINVAL;
	if (vrm_overlaps(vrm))
		return -EINVAL;
	/* both ends may split in three: stay clear of the map limit */
	if (vrm->mm->map_count + 2 >= sysctl_max_map_count - 3)
		return -ENOMEM;
	return 0;
}

/*
 * vma_to_resize() (6.18: the growth half of check_prep_vma()): may the
 * range grow or move?  -EINVAL for a private old_len of 0, DONTUNMAP of a
 * VM_DONTEXPAND/VM_PFNMAP mapping or an offset that would wrap; -EFAULT for
 * a range past the VMA's end or growth of a VM_DONTEXPAND/VM_PFNMAP
 * mapping; -EAGAIN beyond RLIMIT_MEMLOCK.
 */
static int vma_to_resize(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	uint64_t old_len = vrm->old_len, pgoff;

	/* duplicating a private mapping would make an unrelated new one */
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if ((vrm->flags & MREMAP_DONTUNMAP) && (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return -EINVAL;
	/* a shrink may unmap across VMAs; what moves is what stays */
	if (vrm->remap_type == MREMAP_SHRINK)
		old_len = vrm->new_len;
	if (old_len > vma->vm_end - vrm->addr)
		return -EFAULT;
	if (vrm->new_len == old_len)
		return 0;
	if (vma->vm_flags & VM_LOCKED)
		vrm->populate_expand = true;
	pgoff = vma->vm_pgoff + ((vrm->addr - vma->vm_start) >> PAGE_SHIFT);
	if (pgoff + (vrm->new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return -EFAULT;
	if (!mlock_future_ok(vrm->mm, vma->vm_flags, vrm->delta))
		return -EAGAIN;
	/* may_expand_vm(): RLIMIT_AS and RLIMIT_DATA are unlimited here (as
	 * mmap assumes), so growth is never refused for them */
	return 0;
}

/* check_prep_vma(): the VMA at addr exists; classify the call and check
 * what growing or moving needs. */
static int check_prep_vma(struct vma_remap_struct *vrm)
{
	if (!vrm->vma)
		return -EFAULT;
	vrm->delta = vrm->old_len > vrm->new_len ? vrm->old_len - vrm->new_len :
						   vrm->new_len - vrm->old_len;
	vrm->remap_type = !vrm->delta ? MREMAP_NO_RESIZE :
			  vrm->old_len > vrm->new_len ? MREMAP_SHRINK : MREMAP_EXPAND;
	if (!vrm_implies_new_addr(vrm))
		vrm->new_addr = vrm->addr;
	if (vrm->remap_type != MREMAP_EXPAND && !vrm_implies_new_addr(vrm))
		return 0;
	return vma_to_resize(vrm);
}

/* ---- moving ---- */

/* prep_move_vma(): room for the splits, and no split of a special mapping
 * ([vdso], [vvar]: special_mapping_split() refuses). */
static int prep_move_vma(const struct vma_remap_struct *vrm)
{
	const struct vm_area_struct *vma = vrm->vma;

	if (vrm->mm->map_count >= sysctl_max_map_count - 3)
		return -ENOMEM;
	if (vma->vm_ops && vma->vm_ops->name &&
	    (vma->vm_start != vrm->addr || vma->vm_end != vrm->addr + vrm->old_len))
		return -EINVAL;
	return 0;
}

/*
 * copy_vma_and_data(): the destination VMA, and the page tables moved
 * into it.  When a table cannot be allocated the entries already moved go
 * back and vrm is turned round, so that the caller unmaps the destination
 * instead of the source.  *new_vma_ptr is NULL when no VMA was made.
 */
static int copy_vma_and_data(struct vma_remap_struct *vrm, struct vm_area_struct **new_vma_ptr)
{
	struct vm_area_struct *vma = vrm->vma, *new_vma;
	const uint64_t new_pgoff = vma->vm_pgoff + ((vrm->addr - vma->vm_start) >> PAGE_SHIFT);
	struct pagetable_move_control pmc;
	uint64_t moved;

	new_vma = copy_vma(&vma, vrm->new_addr, vrm->new_len, new_pgoff);
	*new_vma_ptr = new_vma;
	if (!new_vma)
		return -ENOMEM;
	vrm->vma = vma;
	pmc = (struct pagetable_move_control){ vma, new_vma, vrm->addr, vrm->addr + vrm->old_len,
					       vrm->new_addr, vrm->old_len };
	moved = move_page_tables(&pmc);
	if (moved >= vrm->old_len)
		return 0;
	/* "move entries back from new area to old, which will succeed
	 * since page tables still there" */
	pmc = (struct pagetable_move_control){ new_vma, vma, vrm->new_addr, vrm->new_addr + moved,
					       vrm->addr, moved };
	move_page_tables(&pmc);
	vrm->vma = new_vma;
	vrm->old_len = vrm->new_len;
	vrm->addr = vrm->new_addr;
	return -ENOMEM;
}

/* Give @vma the flags @flags, moving its pages between the counters. */
static void vma_set_flags(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long flags)
{
	vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
	vma->vm_flags = flags;
	vm_stat_account(mm, vma->vm_flags, (long)vma_pages(vma));
}

/*
 * dontunmap_complete(): the source stays mapped but unlocked — the whole
 * VMA, not only the range moved: VM_LOCKED and VM_LOCKONFAULT both go —
 * and without its anon_vma when every page it had went.  locked_vm is not
 * reduced ("because we won't unmap we don't need to touch locked_vm"), so
 * the pages it counted stay counted.  Nor are the pages it still maps
 * outside the range munlocked: they stay PG_mlocked, their mlock_count
 * held by no VM_LOCKED mapping, until they are freed.
 */
static void dontunmap_complete(struct vma_remap_struct *vrm, struct vm_area_struct *new_vma)
{
	struct vm_area_struct *vma = vrm->vma;
	struct mm_struct *mm = vrm->mm;

	if (vma->vm_flags & VM_LOCKED) {
		mlock_vma_pages_stale(vma);
		vma_set_flags(mm, vma, vma->vm_flags & ~VM_LOCKED_MASK);
		mm->locked_vm += vma_pages(vma);
		mm->locked_vm_dontunmap += vma_pages(vma);
	}
	if (new_vma != vma && vrm->addr == vma->vm_start && vrm->addr + vrm->old_len == vma->vm_end)
		unlink_anon_vmas(vma);
}

/*
 * unmap_source_vma(): munmap the range moved from.  VM_ACCOUNT is lifted
 * for the unmap and given back to what is left on either side: the charge
 * went with the pages.  A failed unmap (no memory to split) is left as it
 * is, as in the kernel.
 */
static void unmap_source_vma(struct vma_remap_struct *vrm)
{
	struct mm_struct *mm = vrm->mm;
	struct vm_area_struct *vma = vrm->vma, *prev, *next;
	const uint64_t addr = vrm->addr, end = addr + vrm->old_len;
	const bool accountable = (vma->vm_flags & VM_ACCOUNT) && !(vrm->flags & MREMAP_DONTUNMAP);
	const uint64_t vm_start = vma->vm_start, vm_end = vma->vm_end;

	if (accountable)
		vma->vm_flags &= ~VM_ACCOUNT;
	vrm->vma = NULL;
	if (do_munmap(mm, addr, vrm->old_len) || !accountable)
		return;
	next = find_vma_prev(mm, addr, &prev);
	if (vm_start < addr && prev)
		prev->vm_flags |= VM_ACCOUNT;
	if (vm_end > end && next)
		next->vm_flags |= VM_ACCOUNT;
}

/* move_vma(): the move itself, from vrm->addr to vrm->new_addr. */
static int64_t move_vma(struct vma_remap_struct *vrm)
{
	struct mm_struct *mm = vrm->mm;
	struct vm_area_struct *new_vma;
	unsigned long hiwater_vm;
	int err;

	err = prep_move_vma(vrm);
	if (err)
		return err;
	if (!vrm_calc_charge(vrm))
		return -ENOMEM;
	mm_track_dirty(mm);	/* --check: VMAs, tables and counters change */
	err = copy_vma_and_data(vrm, &new_vma);
	if (err && !new_vma)
		return err;
	/* total_vm counts both ranges for a moment: that is no new peak */
	hiwater_vm = mm->hiwater_vm;
	vrm_stat_account(vrm, vrm->new_len);
	if (!err && (vrm->flags & MREMAP_DONTUNMAP))
		dontunmap_complete(vrm, new_vma);
	else
		unmap_source_vma(vrm);
	mm->hiwater_vm = hiwater_vm;
	update_hiwater_vm(mm);
	return err ? err : (int64_t)vrm->new_addr;
}

/* vrm_set_new_addr(): where the mapping goes: the fixed address, the
 * DONTUNMAP hint if free, or the top-down search (MAP_SHARED for shared
 * memory, which keeps it off the THP alignment of private memory). */
static int vrm_set_new_addr(struct vma_remap_struct *vrm)
{
	const struct vm_area_struct *vma = vrm->vma;
	const uint64_t pgoff = vma->vm_pgoff + ((vrm->addr - vma->vm_start) >> PAGE_SHIFT);
	unsigned long map_flags = 0;
	int64_t r;

	if (vrm->flags & MREMAP_FIXED)
		map_flags |= MAP_FIXED;
	if (vma->vm_flags & VM_MAYSHARE)
		map_flags |= MAP_SHARED;
	r = get_unmapped_area(vrm->mm, vma->vm_file, vrm_implies_new_addr(vrm) ? vrm->new_addr : 0,
			      vrm->new_len, pgoff, map_flags);
	if (r < 0)
		return (int)r;
	vrm->new_addr = (uint64_t)r;
	return 0;
}

/* shrink_vma(): unmap the tail [addr + new_len, addr + old_len). */
static int shrink_vma(struct vma_remap_struct *vrm)
{
	int err = do_munmap(vrm->mm, vrm->addr + vrm->new_len, vrm->delta);

	vrm->vma = err ? NULL : vma_lookup(vrm->mm, vrm->addr);
	if (err)
		return err;
	return vrm->vma ? 0 : -EFAULT;
}

/* mremap_to(): move to the address MREMAP_FIXED names (replacing what is
 * there) or DONTUNMAP finds, after shrinking first when asked to. */
static int64_t mremap_to(struct vma_remap_struct *vrm)
{
	int err;

	if (vrm->flags & MREMAP_FIXED) {
		err = do_munmap(vrm->mm, vrm->new_addr, vrm->new_len);
		if (err)
			return err;
		/* the unmap may have split the source VMA */
		vrm->vma = vma_lookup(vrm->mm, vrm->addr);
		if (!vrm->vma)
			return -EFAULT;
	}
	if (vrm->remap_type == MREMAP_SHRINK) {
		err = shrink_vma(vrm);
		if (err)
			return err;
		vrm->old_len = vrm->new_len;
	}
	/* may_expand_vm() for the pages DONTUNMAP adds: never refused here */
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/* vma_expandable(): nothing between the VMA's end and end + delta, and
 * the whole still a valid place (below TASK_SIZE). */
static bool vma_expandable(struct vm_area_struct *vma, uint64_t delta)
{
	uint64_t end = vma->vm_end + delta;

	if (end < vma->vm_end)
		return false;
	if (find_vma_intersection(vma->vm_mm, vma->vm_end, end))
		return false;
	return get_unmapped_area(vma->vm_mm, NULL, vma->vm_start, end - vma->vm_start, 0,
				 MAP_FIXED) >= 0;
}

/* expand_vma(): grow in place when the range ends at the VMA's end and
 * the space after is free; else move, if allowed. */
static int64_t expand_vma(struct vma_remap_struct *vrm)
{
	struct vm_area_struct *vma = vrm->vma;
	int err;

	if (vma->vm_end - vrm->addr == vrm->old_len && vma_expandable(vma, vrm->delta)) {
		if (!vrm_calc_charge(vrm))
			return -ENOMEM;
		vma = vma_merge_extend(vma, vrm->delta);
		if (!vma)
			return -ENOMEM;
		vrm->vma = vma;
		vrm_stat_account(vrm, vrm->delta);
		update_hiwater_vm(vrm->mm);
		return (int64_t)vrm->addr;
	}
	if (!(vrm->flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	err = vrm_set_new_addr(vrm);
	if (err)
		return err;
	return move_vma(vrm);
}

/* mremap_at(): resize where it is, or move when growth needs it. */
static int64_t mremap_at(struct vma_remap_struct *vrm)
{
	int err;

	switch (vrm->remap_type) {
	case MREMAP_NO_RESIZE:
		return (int64_t)vrm->addr;
	case MREMAP_SHRINK:
		err = do_munmap(vrm->mm, vrm->addr + vrm->new_len, vrm->delta);
		return err ? err : (int64_t)vrm->addr;
	case MREMAP_EXPAND:
		return expand_vma(vrm);
	case MREMAP_INVALID:
		break;
	}
	return -EINVAL;
}

/*
 * remap_move(): MREMAP_FIXED without a change of size moves every VMA of
 * [addr, addr + old_len), splitting the first and last, keeping the gaps
 * between them (Linux 6.17 on; 6.12 answers -EFAULT when the range leaves
 * its first VMA).  The range must start inside a VMA.  A failure midway
 * leaves the VMAs moved so far where they went, as in the kernel.
 */
static int64_t remap_move(struct vma_remap_struct *vrm)
{
	const uint64_t start = vrm->addr, end = start + vrm->old_len;
	uint64_t target = vrm->new_addr, last_end = 0;
	struct vm_area_struct *vma;
	int64_t res = -EFAULT, r;
	bool seen = false;

	for (vma = find_vma(vrm->mm, start); vma && vma->vm_start < end;
	     vma = find_vma(vrm->mm, last_end)) {
		const uint64_t addr = vma->vm_start > start ? vma->vm_start : start;
		const uint64_t len = (vma->vm_end < end ? vma->vm_end : end) - addr;
		const uint64_t offset = seen ? vma->vm_start - last_end : 0;

		if (!seen && start < vma->vm_start)
			return -EFAULT;		/* no gap at the start */
		last_end = vma->vm_end;
		vrm->vma = vma;
		vrm->addr = addr;
		vrm->new_addr = target + offset;
		vrm->old_len = vrm->new_len = len;
		r = check_prep_vma(vrm);
		if (!r)
			r = mremap_to(vrm);
		if (r < 0)
			return r;
		if (!seen)
			res = r;
		seen = true;
		target = (uint64_t)r + len;
	}
	return res;
}

static int64_t __do_mremap(struct vma_remap_struct *vrm)
{
	int64_t res;
	int err;

	err = check_mremap_params(vrm);
	if (err)
		return err;
	if ((vrm->flags & MREMAP_FIXED) && vrm->old_len == vrm->new_len) {
		res = remap_move(vrm);
	} else {
		vrm->vma = vma_lookup(vrm->mm, vrm->addr);
		err = check_prep_vma(vrm);
		if (err)
			return err;
		res = vrm_implies_new_addr(vrm) ? mremap_to(vrm) : mremap_at(vrm);
	}
	/* a locked mapping's growth is faulted in (failures ignored) */
	if (!IS_ERR_VALUE(res) && vrm->populate_expand)
		mm_populate(vrm->mm, vrm->new_addr + vrm->old_len, vrm->delta);
	return res;
}

int64_t do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
		  unsigned long flags, uint64_t new_addr)
{
	struct vma_remap_struct vrm = {
		.mm = mm, .addr = addr, .old_len = PAGE_ALIGN(old_len),
		.new_len = PAGE_ALIGN(new_len), .flags = flags, .new_addr = new_addr,
	};
	int64_t r = __do_mremap(&vrm);

	if (r >= 0)
		MM_EV(mm, "mremap", "addr=%#llx old_len=%#llx new_len=%#llx flags=%#lx new_addr=%#llx",
		      (unsigned long long)addr, (unsigned long long)old_len,
		      (unsigned long long)new_len, flags, (unsigned long long)r);
	else
		MM_EV(mm, "mremap", "addr=%#llx old_len=%#llx new_len=%#llx flags=%#lx error=%s",
		      (unsigned long long)addr, (unsigned long long)old_len,
		      (unsigned long long)new_len, flags, errno_name((int)r));
	return r;
}
