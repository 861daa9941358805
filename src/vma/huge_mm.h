/*
 * Transparent huge pages of anonymous memory (include/linux/huge_mm.h,
 * mm/huge_memory.c): the settings, the PMD-mapped huge page with its
 * deposited page table, the huge zero page, splitting a huge PMD into
 * PTEs, and what fork, munmap, mprotect and mremap do with one.
 *
 * A huge page is HPAGE_PMD_SIZE: the span of one PMD entry, 2 MiB on
 * x86_64 (order 9) and 4 MiB on 2-level x86_32, whose page-directory entry
 * is the PMD (order 10).  PMD addresses (`pmd`) are the physical addresses
 * of the entries, as everywhere in the process layer.
 */
#ifndef VMSIM_VMA_HUGE_MM_H
#define VMSIM_VMA_HUGE_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/pgformat.h"

struct vm_ctx;
struct mm_struct;
struct vm_area_struct;
struct page;
struct fault_stats;
struct vmsim_error;

/* transparent_hugepage_flags (include/linux/huge_mm.h) */
enum transparent_hugepage_flag {
	TRANSPARENT_HUGEPAGE_UNSUPPORTED,
	TRANSPARENT_HUGEPAGE_FLAG,
	TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG,
	TRANSPARENT_HUGEPAGE_DEFRAG_DIRECT_FLAG,
	TRANSPARENT_HUGEPAGE_DEFRAG_KSWAPD_FLAG,
	TRANSPARENT_HUGEPAGE_DEFRAG_KSWAPD_OR_MADV_FLAG,
	TRANSPARENT_HUGEPAGE_DEFRAG_REQ_MADV_FLAG,
	TRANSPARENT_HUGEPAGE_DEFRAG_KHUGEPAGED_FLAG,
	TRANSPARENT_HUGEPAGE_USE_ZERO_PAGE_FLAG,
};

/* thp_vma_allowable_order() callers */
#define TVA_SMAPS		(1 << 0)	/* the THPeligible line */
#define TVA_IN_PF		(1 << 1)	/* a page fault */
#define TVA_ENFORCE_SYSFS	(1 << 2)	/* obey the enabled setting */

#ifndef VM_FAULT_FALLBACK
#define VM_FAULT_FALLBACK	0x0800		/* no huge page: map small ones */
#endif

/* The machine's THP state: the sysfs flags, the geometry of a PMD page
 * and the huge zero page.  Its statistics are the kernel's vmstat items
 * (NR_ANON_THPS, THP_* events in phys/vmstat.h). */
struct thp_state {
	unsigned long flags;		/* 1 << enum transparent_hugepage_flag */
	unsigned pmd_depth;		/* the PMD level of the page tables */
	unsigned shift;			/* HPAGE_PMD_SHIFT: 21, or 22 on x86_32 */
	unsigned order;			/* HPAGE_PMD_ORDER */
	struct page *huge_zero_folio;	/* NULL until a read fault needs it */
	long huge_zero_refcount;	/* huge_zero_refcount: 1 for the shrinker + 1 per mm */
	/* the locks on huge pages that mremap(MREMAP_DONTUNMAP) left held by
	 * no VM_LOCKED mapping (never decreases: the checker's allowance) */
	unsigned long mlock_stale;
};

#define HPAGE_PMD_SHIFT(vm)	((vm)->thp.shift)
#define HPAGE_PMD_ORDER(vm)	((vm)->thp.order)
#define HPAGE_PMD_NR(vm)		(1UL << (vm)->thp.order)
#define HPAGE_PMD_SIZE(vm)	(1ULL << (vm)->thp.shift)
#define HPAGE_PMD_MASK(vm)	(~(HPAGE_PMD_SIZE(vm) - 1))

/* pmd_trans_huge() of x86: PS set (the kernel has no other test: a huge
 * PMD whose P bit is clear -- PROT_NONE, or during a split -- is one too) */
static inline bool pmd_trans_huge(uint64_t pmd)
{
	return (pmd & _PAGE_PSE) != 0;
}

/* hugepage_init(): the flags from the config; unsupported without PSE or
 * when the buddy allocator cannot hand out a PMD page. */
void hugepage_init(struct vm_ctx *vm);
/* At machine teardown, after every task: the huge zero page goes, as the
 * shrinker would free it once nothing maps it. */
void hugepage_shutdown(struct vm_ctx *vm);

/* enabled_store(): the enabled setting (THP_ENABLED_*) as written to sysfs
 * after boot; the other flags stay. */
void hugepage_set_enabled(struct vm_ctx *vm, unsigned enabled);
bool hugepage_global_enabled(const struct vm_ctx *vm);
bool hugepage_global_always(const struct vm_ctx *vm);

/* May @vma (with flags @vm_flags) hold a PMD-size huge page?  @tva_flags:
 * TVA_*.  (thp_vma_allowable_order(vma, vm_flags, tva_flags, PMD_ORDER)) */
bool thp_vma_allowable_order(struct vm_area_struct *vma, unsigned long vm_flags,
			     unsigned long tva_flags);
/* Does the aligned huge page around @addr lie inside @vma? */
bool thp_vma_suitable_order(struct vm_area_struct *vma, uint64_t addr);

/*
 * The huge page the PMD @e, read at @pmd in @mm, maps -- the head page of
 * an anonymous huge page or the huge zero page -- or NULL when @e is no
 * huge PMD this mm made: PS clear, or a value whose page is not the one
 * recorded with the entry's deposited table (a corrupted entry, which the
 * walkers then treat as bad).
 */
struct page *huge_pmd_folio(struct mm_struct *mm, uint64_t pmd, uint64_t e);
bool is_huge_zero_folio(const struct vm_ctx *vm, const struct page *folio);
/* folio_likely_mapped_shared(): is the huge page (or page) @folio mapped
 * more than once -- by another PMD, or by PTEs beside its PMD? */
bool folio_likely_mapped_shared(const struct page *folio);
/* The PTE that would map the page at @offset of huge PMD @e (mapping
 * @folio): for views and checkers that look at pages one by one. */
uint64_t huge_pmd_pte(struct mm_struct *mm, uint64_t e, struct page *folio, uint64_t offset);

/* ---- faults (mm/memory.c __handle_mm_fault() hands these the PMD) ---- */

/* An empty PMD in a VMA that allows a huge page: the huge zero page for a
 * read, else a zeroed huge page; VM_FAULT_FALLBACK when none is free. */
unsigned do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
				    unsigned flags, struct fault_stats *st);
/* A write to a write-protected huge PMD: the huge zero page is replaced
 * by a huge page; a page only this mapping uses is made writable; else the
 * PMD is split and VM_FAULT_FALLBACK lets the PTE path copy 4 KiB. */
unsigned do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
			     uint64_t orig, struct fault_stats *st);
/* A PROT_NONE huge PMD in a VMA that allows access again. */
unsigned do_huge_pmd_numa_page(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
			       uint64_t orig);
/* A fault the PMD already allows: set A (and D for a write). */
void huge_pmd_set_accessed(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
			   uint64_t orig, unsigned flags);

/* ---- walkers ---- */

/* fork: copy the huge PMD at @src_pmd into @dst_pmd (empty), both
 * write-protected.  0 or -ENOMEM. */
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  uint64_t dst_pmd, uint64_t src_pmd, uint64_t addr);
/* Unmap the whole huge PMD at @pmd of @mm, in @vma (NULL: below a bad
 * entry, in no VMA), and free its deposited table.  The caller flushes the
 * TLB. */
int zap_huge_pmd(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t pmd, uint64_t addr);
/* mprotect of a whole huge PMD: the VMA's new protection. */
void change_huge_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t addr);
/* A bad entry at @pmd (covering @addr) was cleared: unmap the huge page
 * recorded with its deposited table and free the table.  false when there
 * was none. */
bool zap_bad_huge_pmd(struct mm_struct *mm, uint64_t pmd, uint64_t addr);
/* mlock_vma_pages_range()'s huge PMD at @pmd of @vma: the huge page it maps
 * (not the huge zero page) gains a lock if @vma is VM_LOCKED, else loses
 * one. */
void mlock_huge_pmd(struct vm_area_struct *vma, uint64_t pmd);
/* mremap(MREMAP_DONTUNMAP) takes VM_LOCKED from @vma without munlocking:
 * each mlocked huge page a PMD of it maps keeps a lock no VM_LOCKED
 * mapping holds. */
void mlock_huge_pmds_stale(struct vm_area_struct *vma);

/* Split the huge PMD at @pmd (mapping @address) into a table of PTEs that
 * map the same pages with the same rights: __split_huge_pmd() and the
 * split_huge_pmd() that first checks the entry is one. */
void __split_huge_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t address);
void split_huge_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t address);
/* The same, finding the PMD of @address (split_huge_pmd_address()). */
void split_huge_pmd_address(struct vm_area_struct *vma, uint64_t address);
/*
 * split_folio_to_list() (split_huge_page_to_list_to_order(folio, list, 0)):
 * the anonymous huge page @folio becomes order-0 pages.  First every PMD
 * mapping it is split (its PTEs map the same pages), then the block: each
 * page keeps the head's anon_vma with its own index, the head's dirty,
 * age and lock state, and the references of the PTEs that map it; a page
 * nothing maps is freed.  With @list NULL the folio is on the LRU and its
 * pages go on its list beside the head; else it is isolated (off @list,
 * held by the caller) and they go to the tail of @list, each with an
 * isolation reference.  0, or -EBUSY
 * (the huge zero page, a folio in the swap cache or not on the LRU, a
 * PMD the rmap did not reach), counted as thp_split_page or
 * thp_split_page_failed.  split_folio(): with @list NULL.
 */
struct list_head;
int split_folio_to_list(struct vm_ctx *vm, struct page *folio, struct list_head *list);
int split_folio(struct vm_ctx *vm, struct page *folio);
/* __split_vma(): a VMA boundary moving to @start or @end must not cut a
 * huge PMD: split those it would (vma_adjust_trans_huge()). */
void vma_adjust_trans_huge(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			   long adjust_next);
/* mremap's move_page_tables(): move a whole huge PMD from @old_pmd to the
 * empty @new_pmd.  false when @old_pmd is no huge PMD or @new_pmd is set. */
bool move_huge_pmd(struct vm_area_struct *vma, uint64_t old_addr, uint64_t new_addr,
		   uint64_t old_pmd, uint64_t new_pmd);

/* The PMD entry of @address in @mm without allocating (mm_find_pmd()):
 * its physical address, or 0 when a level above has none. */
uint64_t mm_find_pmd(struct mm_struct *mm, uint64_t address);
/* Flush the TLB for [start, end) of @mm in PMD-size strides
 * (flush_pmd_tlb_range()). */
void flush_pmd_tlb_range(struct mm_struct *mm, uint64_t start, uint64_t end);

/* __mmput(): the mm's reference on the huge zero page. */
void mm_put_huge_zero_folio(struct mm_struct *mm);

/* check_mm()'s part, for the huge PMD at @epa (value @e, covering @addr)
 * that a look-only walk showed mapping @folio: it lies inside one
 * private anonymous VMA (unless it, or an entry above it, is corrupted),
 * maps a PMD-mapped anonymous huge page, or the huge zero page read-only
 * under the mm's reference.  0 or -EFAULT. */
int check_huge_pmd(struct mm_struct *mm, uint64_t addr, uint64_t epa, uint64_t e,
		   struct page *folio, struct vmsim_error *err);
/* The machine-wide part: the huge zero page's refcount is the shrinker's
 * plus @mm_refs, the mms with MMF_HUGE_ZERO_PAGE, and (with @contents) it
 * holds only zeroes.  0 or -EFAULT. */
int check_huge_zero_page(struct vm_ctx *vm, long mm_refs, bool contents,
			 struct vmsim_error *err);
/* Only the zeroes: for a check that knows the page's block changed. */
int check_huge_zero_contents(struct vm_ctx *vm, struct vmsim_error *err);

#endif
