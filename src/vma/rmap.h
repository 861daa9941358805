/*
 * The reverse map of anonymous memory (include/linux/rmap.h, mm/rmap.c):
 * which VMAs may map an anonymous page.
 *
 * An anonymous page records its anon_vma in page->mapping (tagged with
 * PAGE_MAPPING_ANON) and its linear page index in page->index.  Every VMA
 * that may map pages of an anon_vma is linked to it by an anon_vma_chain
 * (AVC): the AVC sits on the VMA's anon_vma_chain list (same_vma, newest
 * first) and in the anon_vma's tree of AVCs ordered by the VMA's vm_pgoff.
 * fork gives the child VMA AVCs to every anon_vma of the parent's VMA
 * (its pages may still be shared) plus one to a new anon_vma of its own,
 * where the child's copies go; the anon_vmas of one family share a root.
 *
 * Invariants (anon_vma_check() and check_mm() verify them):
 *   - a VMA has an anon_vma iff its chain is not empty, and its anon_vma
 *     is on its chain; every AVC of the chain points back at the VMA and
 *     sits in its anon_vma's tree; all anon_vmas of a chain share a root;
 *   - the tree of an anon_vma is ordered by vm_pgoff (the VMAs' pgoffs
 *     are updated only between anon_vma_interval_tree_pre_update_vma()
 *     and _post_update_vma());
 *   - num_active_vmas counts the VMAs whose ->anon_vma it is, num_children
 *     the anon_vmas with a non-empty tree whose ->parent it is (a root is
 *     its own parent), refcount its own reference while its tree is not
 *     empty plus one per other anon_vma whose ->root it is;
 *   - a mapped anonymous page's anon_vma is on the chain of every VMA
 *     that maps it, at index vm_pgoff + (address - vm_start) / PAGE_SIZE;
 *     the pages of a huge page have their folio's (the head's) anon_vma,
 *     and index head->index + their place in it, whether a PMD maps them
 *     or, after a split, PTEs.
 *
 * Reclaim walks the reverse map from a page to every PTE or PMD that maps
 * it: anonymous pages through their anon_vma's tree, page cache pages
 * through their file's i_mmap, shared anonymous (shmem) pages through the
 * i_mmap of their object; and at each mapping it tests and clears the
 * Accessed bit (folio_referenced()), replaces the PTE (try_to_unmap()), or
 * write-protects and cleans it (folio_mkclean()).  An anonymous page no
 * PTE maps is never walked: its anon_vma may be gone (the kernel's
 * folio_lock_anon_vma_read() checks folio_mapped() first for the same
 * reason).
 */
#ifndef VMSIM_VMA_RMAP_H
#define VMSIM_VMA_RMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/list.h"
#include "util/rbtree.h"
#include "vma/mm_types.h"

struct vmsim_error;
struct vm_ctx;

struct anon_vma {
	struct anon_vma *root;		/* of this family of anon_vmas */
	unsigned long refcount;		/* atomic_t refcount in the kernel */
	unsigned long num_children;	/* anon_vmas with ->parent == this, itself included for a root */
	unsigned long num_active_vmas;	/* VMAs whose ->anon_vma is this */
	struct anon_vma *parent;	/* the anon_vma of the VMA this one was forked from */
	struct rb_root rb_root;		/* the anon_vma_chains, by their VMA's vm_pgoff */
};

struct anon_vma_chain {
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct list_head same_vma;	/* on vma->anon_vma_chain */
	struct rb_node rb;		/* in anon_vma->rb_root */
};

/* The anon_vma of an anonymous page: its folio's ->mapping, anon_vma |
 * PAGE_MAPPING_ANON (a page of a huge page: the head's) */
static inline struct anon_vma *page_anon_vma(const struct page *page)
{
	uintptr_t mapping = (uintptr_t)compound_head((struct page *)page)->mapping;

	if ((mapping & PAGE_MAPPING_FLAGS) != PAGE_MAPPING_ANON)
		return NULL;
	return (struct anon_vma *)(mapping - PAGE_MAPPING_ANON);
}

/* page_pgoff(): the linear page index of @page, its folio's ->index plus
 * its place in the folio. */
static inline uint64_t page_pgoff(const struct page *page)
{
	const struct page *head = compound_head((struct page *)page);

	return head->index + (uint64_t)(page - head);
}

/* The linear page index of @addr in @vma (linear_page_index()). */
static inline uint64_t linear_page_index(const struct vm_area_struct *vma, uint64_t addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* ---- the interval tree of an anon_vma (mm/interval_tree.c) ---- */

void anon_vma_interval_tree_insert(struct anon_vma_chain *avc, struct rb_root *root);
void anon_vma_interval_tree_remove(struct anon_vma_chain *avc, struct rb_root *root);
/* The first AVC whose VMA covers some page index in [first, last], and
 * the next one after @avc; NULL at the end. */
struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct rb_root *root, uint64_t first,
							 uint64_t last);
struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *avc,
							uint64_t first, uint64_t last);
/* Around a change of @vma's vm_pgoff (or vm_start with it): its AVCs
 * leave their trees and come back at the new key. */
void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma);
void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma);

/* ---- anon_vmas and their chains ---- */

/* Give @vma an anon_vma before its first anonymous page: a neighbour's
 * when find_mergeable_anon_vma() finds one, else a new root.  -ENOMEM. */
int __anon_vma_prepare(struct vm_area_struct *vma);
static inline int anon_vma_prepare(struct vm_area_struct *vma)
{
	return vma->anon_vma ? 0 : __anon_vma_prepare(vma);
}
/* Link @dst to every anon_vma of @src's chain (split, merge, fork).  When
 * @dst->anon_vma is NULL and @src has one, an anon_vma of the chain with
 * no VMA and at most one child is reused as @dst's.  -ENOMEM (nothing
 * left linked). */
int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src);
/* fork: @vma (the child's copy of @pvma) gets @pvma's chain and an
 * anon_vma of its own, child of @pvma's, unless clone reused one. */
int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma);
/* Drop @vma's chain; anon_vmas whose tree empties lose their reference
 * (freed with their root's reference when it was the last). */
void unlink_anon_vmas(struct vm_area_struct *vma);

/* __folio_set_anon(): @folio -- a page, or the head of a huge page, whose
 * pages then all count as anonymous -- belongs to @vma's anon_vma at the
 * linear index of @addr, the address of its first page.  A folio not
 * @exclusive to this mapping (a swap entry fork shared) takes the oldest
 * anon_vma, the family's root, whose tree every VMA that may map it is
 * on: the rmap must find them all. */
void __folio_set_anon(struct page *folio, struct vm_area_struct *vma, uint64_t addr,
		      bool exclusive);
/* folio_add_new_anon_rmap(): a new anonymous page at @addr of @vma, mapped
 * by one PTE that owns it exclusively; uptodate and swap-backed.  (A huge
 * page mapped by a PMD: huge_memory.c.) */
void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, uint64_t addr);
/* do_swap_page()'s and swapoff's rmap (folio_add_anon_rmap_pte()): a page
 * read from swap mapped at @addr of @vma (a new anonymous page if it was
 * not yet one: read ahead, never mapped), exclusive to this PTE when the
 * swap PTE said so. */
void page_add_anon_rmap(struct page *page, struct vm_area_struct *vma, uint64_t addr,
			bool exclusive);
/* folio_move_anon_rmap(): a page, or the head of a huge page, that only
 * @vma maps moves to @vma's own anon_vma (write fault reusing it). */
void page_move_anon_rmap(struct page *folio, struct vm_area_struct *vma);

/* rmap_walk_anon(): @fn for each VMA that may map @page (an AVC of its
 * anon_vma covering its index; a page of a huge page: the folio's anon_vma
 * and page_pgoff()), with the address the page would have there.  Stops at the first non-zero return, which it returns. */
typedef int (*rmap_one_fn)(struct vm_area_struct *vma, uint64_t addr, void *arg);
int rmap_walk_anon(struct page *page, rmap_one_fn fn, void *arg);

/* rmap_walk(): @fn for every VMA that may map @page, where it would
 * (anonymous pages only while mapped, as above).  @vm: the mm layer's context. */
int rmap_walk(struct vm_ctx *vm, struct page *page, rmap_one_fn fn, void *arg);

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
int folio_referenced(struct vm_ctx *vm, struct page *page, unsigned long *vm_flags);

/*
 * try_to_unmap(): replace every PTE mapping @page: with a swap entry for
 * an anonymous page (which must be in the swap cache), with nothing for a
 * page cache page (and a clean MADV_FREE page, which is then discarded);
 * a dirty PTE dirties the page.  Stops at an mlocked VMA; the page is
 * still mapped afterwards when it could not unmap everything.
 */
void try_to_unmap(struct vm_ctx *vm, struct page *page);

/* folio_mkclean(): write-protect and clean every shared mapping of a
 * page cache page before it is written; how many PTEs were dirty or
 * writable. */
int folio_mkclean(struct vm_ctx *vm, struct page *page);

/* The anon_vma of a neighbour of @vma that @vma may share so that the two
 * can merge later (mm/vma.c): the next VMA's first, then the previous
 * one's, only if that neighbour's chain is singular. */
struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma);

/* Cross-mm check of every anon_vma reachable from the VMAs of @mms (each
 * mm once): the counters and family links of the header comment.  Linear
 * in the VMAs and AVCs.  0, -EFAULT, or -ENOMEM (out of host memory). */
int anon_vma_check(struct mm_struct *const *mms, size_t n, struct vmsim_error *err);
/* The chain of one VMA and the rmap of the anonymous page @page mapped at
 * @addr in it (NULL page: the chain alone).  0 or -EFAULT. */
int check_vma_rmap(struct vm_area_struct *vma, struct page *page, uint64_t addr,
		   struct vmsim_error *err);

#endif
