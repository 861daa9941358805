/*
 * mincore(2) (mm/mincore.c): which pages of a range are resident.  A page
 * is resident when a PTE maps it (a PROT_NONE page keeps its frame and
 * counts, as pte_present() says), and, where no PTE is, when the page
 * cache of the VMA's file (or the shared-memory object of shared anonymous
 * memory) holds it: mincore reports the page cache, not the mapping, so a
 * file page another task read is resident here too.  Private anonymous
 * memory without a PTE is not resident.  VM_PFNMAP VMAs have no pages to
 * report (walk_page_test treats them as holes).
 *
 * The kernel reports every page of a file the caller could not open for
 * writing as resident (can_do_mincore(), a side-channel guard); a vmsim
 * task may write every simulated file, so it always sees the page cache.
 *
 * Invariant: nothing changes (no fault, no accessed bit, no counter).
 */
#include "vma/mm.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "vma/filemap.h"

/* mincore_unmapped_range() for one page: the page cache, or nothing. */
static unsigned char mincore_unmapped(const struct vm_area_struct *vma, uint64_t addr)
{
	const uint64_t pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

	if (vma->vm_file) {
		/* mincore_page(): cached and up to date */
		struct page *page = filemap_find_page(vma->vm_file, pgoff);

		return page && test_page_flag(page, PG_uptodate);
	}
	if (vma->shm)
		return pgoff < vma->shm->nr_pages && vma->shm->pages[pgoff];
	return 0;
}

/* do_mincore(): the pages from @addr to the end of its VMA (at most
 * @pages of them) into @vec; the number done, or -ENOMEM outside a VMA. */
static long do_mincore(struct mm_struct *mm, uint64_t addr, uint64_t pages, unsigned char *vec)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	uint64_t end, n = 0;

	if (!vma)
		return -ENOMEM;
	end = vma->vm_end - addr < pages << PAGE_SHIFT ? vma->vm_end : addr + (pages << PAGE_SHIFT);
	for (; addr < end; addr += PAGE_SIZE, n++) {
		uint64_t pte = vma->vm_flags & VM_PFNMAP ? 0 : mm_pte_lookup(mm, addr);

		if (pte & (_PAGE_PRESENT | _PAGE_PROTNONE))
			vec[n] = 1;
		else if (!pte)
			vec[n] = mincore_unmapped(vma, addr);
		else
			vec[n] = 0;	/* a swap entry: there is no swap yet */
	}
	return (long)n;
}

int sys_mincore(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned char *vec,
		size_t vec_len)
{
	uint64_t pages, done = 0;

	/* Check the start address: needs to be page-aligned.. */
	if (start & ~PAGE_MASK)
		return -EINVAL;
	/* ..and we need to be passed a valid user-space range */
	if (len > mm->task_size || start > mm->task_size - len)
		return -ENOMEM;
	pages = (len >> PAGE_SHIFT) + ((len & ~PAGE_MASK) != 0);
	while (done < pages) {
		/* at most a page of vector at a time, as the kernel copies it */
		uint64_t chunk = pages - done < PAGE_SIZE ? pages - done : PAGE_SIZE;
		unsigned char tmp[PAGE_SIZE];
		long r = do_mincore(mm, start + (done << PAGE_SHIFT), chunk, tmp);

		if (r < 0)
			return (int)r;
		if (done + (uint64_t)r > vec_len)
			return -EFAULT;	/* copy_to_user() ran off the vector */
		for (long i = 0; i < r; i++)
			vec[done + (uint64_t)i] = tmp[i];
		done += (uint64_t)r;
	}
	return 0;
}
