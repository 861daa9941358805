/*
 * The reverse map as reclaim uses it (mm/rmap.c): from a page to every
 * PTE that maps it -- anonymous pages through their VMAs' anon_vmas, page
 * cache pages through their file's i_mmap, shared anonymous (shmem) pages
 * through the VMAs of their object -- and what reclaim does at each PTE:
 * test-and-clear the Accessed bit (folio_referenced()), replace the PTE
 * (try_to_unmap()), write-protect and clean it (folio_mkclean()).
 */
#ifndef VMSIM_VMA_RMAP_H
#define VMSIM_VMA_RMAP_H

#include <stdbool.h>
#include <stdint.h>

struct vmsim_machine;
struct vm_area_struct;
struct page;

/* One VMA that may map the page, at @addr; non-zero stops the walk. */
typedef int (*rmap_one_fn)(struct vm_area_struct *vma, uint64_t addr, void *arg);

/* rmap_walk(): @fn for every VMA that may map @page, where it would. */
int rmap_walk(struct vmsim_machine *m, struct page *page, rmap_one_fn fn, void *arg);

/* page_vma_mapped_walk() for one page: the PTE at @addr of @vma maps
 * @page; *@epa gets its address. */
bool page_vma_mapped(struct vm_area_struct *vma, const struct page *page, uint64_t addr,
		     uint64_t *epa);

/*
 * folio_referenced(): the mappings of @page that accessed it since the
 * last look (each PTE's Accessed bit tested and cleared, its TLB entry
 * flushed); *@vm_flags gets the flags of their VMAs, VM_LOCKED alone
 * (and the walk stops) when one of them is mlocked.
 */
int folio_referenced(struct vmsim_machine *m, struct page *page, unsigned long *vm_flags);

/*
 * try_to_unmap(): replace every PTE mapping @page: with a swap entry for
 * an anonymous page (which must be in the swap cache), with nothing for a
 * page cache page (and a clean MADV_FREE page, which is then discarded);
 * a dirty PTE dirties the page.  Stops at an mlocked VMA; the page is
 * still mapped afterwards when it could not unmap everything.
 */
void try_to_unmap(struct vmsim_machine *m, struct page *page);

/* folio_mkclean(): write-protect and clean every shared mapping of a
 * page cache page before it is written; how many PTEs were dirty or
 * writable. */
int folio_mkclean(struct vmsim_machine *m, struct page *page);

#endif
