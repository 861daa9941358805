/*
 * The reverse map walks of reclaim (mm/rmap.c of Linux v6.12): which PTEs
 * map a page, and folio_referenced(), try_to_unmap() and folio_mkclean()
 * over them.
 *
 * An anonymous page's candidates are the anonymous VMAs of every address
 * space at the page's linear index (page->index, which fork, split and
 * mremap keep valid, as the kernel's anon_vma interval tree relies on); a
 * page cache page's are the VMAs on its file's i_mmap; a shmem page's those
 * on its object's i_mmap.  Each candidate is confirmed by reading its PTE:
 * only a present PTE holding the page's frame maps it, so a VMA that
 * merely could map it, or one whose tables changed, is passed over.
 *
 * Invariant: what a walk changes it changes in simulated RAM and then
 * flushes from every TLB that may cache it; page->_mapcount and the rss
 * counters move with each PTE taken, and a page's reference with it.
 */
#include "vma/rmap.h"

#include "kern/machine.h"
#include "mmu/mmu.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vma/writeback.h"

/* ---- the walks ---- */

/* The address of index @pgoff in @vma, or 0 when it lies outside. */
static uint64_t vma_address(const struct vm_area_struct *vma, uint64_t pgoff)
{
	if (pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= vma_pages(vma))
		return 0;
	return vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
}

static int rmap_walk_anon(struct vmsim_machine *m, struct page *page, rmap_one_fn fn, void *arg)
{
	struct mm_struct *mm;

	list_for_each_entry(mm, &m->mm_list, mm_list) {
		struct vm_area_struct *vma;

		for_each_vma(mm, vma) {
			uint64_t addr;
			int ret;

			if (!vma->anon_vma || !(addr = vma_address(vma, page->index)))
				continue;
			ret = fn(vma, addr, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* rmap_walk_file(): the VMAs on an i_mmap list (a file's, or a shmem
 * object's) that cover the page's index. */
static int rmap_walk_file(struct list_head *i_mmap, struct page *page, rmap_one_fn fn, void *arg)
{
	struct vm_area_struct *vma, *tmp;

	list_for_each_entry_safe(vma, tmp, i_mmap, shared) {
		uint64_t addr = vma_address(vma, page->index);
		int ret;

		if (!addr)
			continue;
		ret = fn(vma, addr, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int rmap_walk(struct vmsim_machine *m, struct page *page, rmap_one_fn fn, void *arg)
{
	struct file *f;

	if (PageAnon(page))
		return rmap_walk_anon(m, page, fn, arg);
	if ((f = page_file(page)))
		return rmap_walk_file(&f->f_mapping.i_mmap, page, fn, arg);
	if (PageSwapBacked(page) && page->mapping && !PageSwapCache(page))
		return rmap_walk_file(&((struct shmem_object *)page->mapping)->i_mmap, page, fn,
				      arg);
	return 0;
}

bool page_vma_mapped(struct vm_area_struct *vma, const struct page *page, uint64_t addr,
		     uint64_t *epa)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vmsim_machine *m = mm->m;
	uint64_t e = mm_pte_epa(mm, addr), pte;

	if (!e)
		return false;
	pte = pt_read(&m->pt, e);
	if (!(pte & _PAGE_PRESENT))
		return false;
	if (((pte & m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT) != page_to_pfn(&m->pm, page))
		return false;
	*epa = e;
	return true;
}

/* ---- folio_referenced ---- */

struct folio_referenced_arg {
	struct page *page;
	int mapcount;
	int referenced;
	unsigned long vm_flags;
};

static int folio_referenced_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct folio_referenced_arg *pra = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct vmsim_machine *m = mm->m;
	uint64_t epa, pte;

	/* invalid_folio_referenced_vma(): references without recency are
	 * not counted (the mapping is skipped, as if not there) */
	if (!vma_has_recency(vma))
		return 0;
	if (!page_vma_mapped(vma, pra->page, addr, &epa))
		return 0;
	if (vma->vm_flags & VM_LOCKED) {
		/* (the mlock that should have made it unevictable) */
		pra->vm_flags |= VM_LOCKED;
		return 1;
	}
	pte = pt_read(&m->pt, epa);
	if (pte & _PAGE_ACCESSED) {
		/* ptep_clear_flush_young(): x86 Linux skips the flush as
		 * an optimisation; here the next access must set A again */
		set_pte(&m->pt, epa, pte & ~(uint64_t)_PAGE_ACCESSED);
		flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
		pra->referenced++;
		pra->vm_flags |= vma->vm_flags & ~VM_LOCKED;
	}
	return --pra->mapcount ? 0 : 1;
}

int folio_referenced(struct vmsim_machine *m, struct page *page, unsigned long *vm_flags)
{
	struct folio_referenced_arg pra = { .page = page, .mapcount = page_mapcount(page) };

	*vm_flags = 0;
	if (!pra.mapcount)
		return 0;
	rmap_walk(m, page, folio_referenced_one, &pra);
	*vm_flags = pra.vm_flags;
	return pra.referenced;
}

/* ---- try_to_unmap ---- */

struct unmap_arg {
	struct page *page;
	bool abort;
};

static int try_to_unmap_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct unmap_arg *ua = arg;
	struct page *page = ua->page;
	struct mm_struct *mm = vma->vm_mm;
	struct vmsim_machine *m = mm->m;
	uint64_t epa, pteval;

	if (!page_vma_mapped(vma, page, addr, &epa))
		return 0;
	if (vma->vm_flags & VM_LOCKED) {
		ua->abort = true;	/* mlocked: never unmapped by reclaim */
		return 1;
	}
	pteval = pt_read(&m->pt, epa);
	pte_clear(&m->pt, epa);
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
	if (pteval & _PAGE_DIRTY)
		folio_mark_dirty(m, page);
	update_hiwater_rss(mm);
	if (PageAnon(page)) {
		swp_entry_t entry = { page->private };
		bool anon_exclusive = PageAnonExclusive(page);

		if (PageSwapBacked(page) != PageSwapCache(page))
			goto restore;
		if (!PageSwapBacked(page)) {
			/* MADV_FREE: only the isolation's reference and the
			 * mappings' left, and still clean: drop it */
			if (page_ref_count(page) == 1 + page_mapcount(page) && !PageDirty(page)) {
				mm->rss_stat[MM_ANONPAGES]--;
				goto discard;
			}
			/* written again since: it must be kept */
			set_page_flag(page, PG_swapbacked);
			goto restore;
		}
		if (swap_duplicate(m, entry) < 0)
			goto restore;
		/* folio_try_share_anon_rmap_pte(): exclusivity moves to the
		 * swap PTE */
		if (anon_exclusive)
			clear_page_flag(page, PG_anon_exclusive);
		if (list_empty(&mm->mmlist))
			list_add(&mm->mmlist, &m->swap->mmlist);
		mm->rss_stat[MM_ANONPAGES]--;
		mm->rss_stat[MM_SWAPENTS]++;
		set_pte(&m->pt, epa, pt_swp_entry_to_pte(m->pt.fmt, swp_type(entry), swp_offset(entry),
							 anon_exclusive));
		MM_EV(mm, "unmap", "addr=%#llx pfn=%#lx swap=%u:%#llx", (unsigned long long)addr,
		      page_to_pfn(&m->pm, page), swp_type(entry),
		      (unsigned long long)swp_offset(entry));
	} else {
		mm->rss_stat[PageSwapBacked(page) ? MM_SHMEMPAGES : MM_FILEPAGES]--;
		MM_EV(mm, "unmap", "addr=%#llx pfn=%#lx", (unsigned long long)addr,
		      page_to_pfn(&m->pm, page));
	}
discard:
	page->_mapcount--;
	put_page(&m->pm, page);		/* the PTE's reference */
	return 0;
restore:
	set_pte(&m->pt, epa, pteval);
	ua->abort = true;
	return 1;
}

void try_to_unmap(struct vmsim_machine *m, struct page *page)
{
	struct unmap_arg ua = { .page = page };

	if (page_mapcount(page) > 0)
		rmap_walk(m, page, try_to_unmap_one, &ua);
}

/* ---- folio_mkclean ---- */

struct mkclean_arg {
	struct page *page;
	int cleaned;
};

static int page_mkclean_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct mkclean_arg *ma = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct vmsim_machine *m = mm->m;
	uint64_t epa, pte;

	if (!(vma->vm_flags & VM_SHARED) || !page_vma_mapped(vma, ma->page, addr, &epa))
		return 0;
	pte = pt_read(&m->pt, epa);
	if (pte & (_PAGE_DIRTY | _PAGE_RW)) {
		set_pte(&m->pt, epa, pte & ~(uint64_t)(_PAGE_DIRTY | _PAGE_RW));
		flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
		ma->cleaned++;
	}
	return 0;
}

int folio_mkclean(struct vmsim_machine *m, struct page *page)
{
	struct mkclean_arg ma = { .page = page };

	if (page_mapcount(page) > 0)
		rmap_walk(m, page, page_mkclean_one, &ma);
	return ma.cleaned;
}
