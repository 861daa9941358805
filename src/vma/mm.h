/*
 * The process-layer API (Linux: mm/mmap.c, mm/vma.c, mm/mprotect.c,
 * mm/memory.c, mm/mlock.c, mm/gup.c, mm/mincore.c, mm/msync.c).  Every
 * call takes the mm it works on; addresses are user
 * virtual addresses.  Actions return 0 or a negative errno, as the system
 * calls do; do_mmap and sys_brk return addresses.
 */
#ifndef VMSIM_VMA_MM_H
#define VMSIM_VMA_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phys/gfp.h"
#include "vma/huge_mm.h"
#include "vma/mm_types.h"

struct vm_ctx;
struct vmsim_error;
struct fault_stats;
struct phys_mem;
struct page;

/* ---- vma.c: VMA objects, the tree and list, lookup, merge, split ---- */

/* A zeroed VMA of @mm (vm_area_cachep); NULL when out of memory. */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
/* A copy of @orig, not linked anywhere (vm_area_dup): file and shm refs
 * taken, the anon_vma pointer copied but no chain (anon_vma_clone() or
 * anon_vma_fork() links it, vma/rmap.h). */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
/* Free an unlinked VMA: its anon_vma chain, shm and file references. */
void vm_area_free(struct vm_area_struct *vma);

/* Insert @vma (not overlapping any) into the tree and the list. */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);
/* Remove @vma from the tree and the list (it is not freed). */
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);
/* @vma's vm_start, or the vm_end of the VMA before it, moved: refresh the
 * gaps the tree caches for get_unmapped_area() (vma_gap_update). */
void vma_gap_update(struct vm_area_struct *vma);
/* The free gap below @vma: from the previous VMA's vm_end_gap() (0 for
 * the first) up to vm_start_gap(@vma), 0 where a guard gap overlaps. */
uint64_t vma_compute_gap(const struct vm_area_struct *vma);
/* --check's dirty set (check.c): every path that changes an mm's VMAs,
 * counters or page tables marks it; a NULL test when checking is off. */
void mm_track_dirty(struct mm_struct *mm);

/* Drop every cached lookup (a VMA moved, shrank or went away). */
static inline void vmacache_invalidate(struct mm_struct *mm)
{
	mm_track_dirty(mm);
	for (unsigned i = 0; i < VMACACHE_SIZE; i++)
		mm->vmacache[i] = NULL;
	mm->vmacache_seqnum++;
}

/* The first VMA with vm_end > @addr, NULL if none (it may not contain addr). */
struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr);
/* find_vma() and the VMA before the result (or the last VMA when none). */
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, uint64_t addr,
				     struct vm_area_struct **pprev);
/* The first VMA overlapping [start, end), NULL if none. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uint64_t start, uint64_t end);
/* The VMA containing @addr, NULL if none. */
static inline struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	return vma && vma->vm_start <= addr ? vma : NULL;
}

/*
 * vma_merge_new_range(): merge a new range [addr, end) that lies in the
 * hole between @prev and @next (either may be NULL; a NULL @prev is not
 * looked up, so brk can keep the bss out) into a neighbour with the same
 * attributes: prev extended, next extended down, or prev swallowing next.
 * @anon_vma: the anon_vma of the memory the range holds (vmg->anon_vma:
 * NULL for new memory, the VMA's own when mremap grows it in place).
 * @copied_from: the VMA whose pages the range takes over (mremap's
 * copy_vma, whose anon_vma is @anon_vma), which must not be a fork child
 * for a neighbour to take its anon_vma, and whose chain the merged VMA
 * then gets; NULL otherwise.  Returns the VMA now covering the range, or
 * NULL when no merge applies (or the anon_vma could not be shared for want
 * of memory).
 */
struct vm_area_struct *vma_merge_new(struct mm_struct *mm, struct vm_area_struct *prev,
				     struct vm_area_struct *next, uint64_t addr, uint64_t end,
				     unsigned long vm_flags, struct anon_vma *anon_vma,
				     struct vm_area_struct *copied_from, struct file *file,
				     uint64_t pgoff, struct shmem_object *shm);
/* After @vma's attributes changed (mprotect): merge it with its neighbours
 * where the kernel's rules allow.  Returns the VMA that now holds it. */
struct vm_area_struct *vma_merge_existing(struct mm_struct *mm, struct vm_area_struct *vma);
/*
 * vma_modify_flags(): prepare [start, end) of @vma (inside it) to take
 * @new_flags: merge it into a neighbour that matches with those flags
 * (vma_merge_existing_range), or else split @vma at start and end.
 * *@out is the VMA that holds the range afterwards; the caller sets its
 * flags.  -ENOMEM (a split at the map count limit or out of memory),
 * -EINVAL (a special mapping cannot be split).
 */
int vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start,
		     uint64_t end, unsigned long new_flags, struct vm_area_struct **out);
/* Split @vma at @addr (page aligned, strictly inside).  The new VMA is the
 * lower part if @new_below, else the upper part.  -ENOMEM, or -EINVAL for
 * a special mapping ([vdso], [vvar]), which never splits. */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, int new_below);

/* Account @npages of a mapping with @flags in total_vm/exec_vm/stack_vm/data_vm. */
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages);
/* PTE bits for present pages of a VMA with @vm_flags (vm_get_page_prot):
 * private writable pages start write-protected (COW). */
uint64_t vm_get_page_prot(const struct mm_struct *mm, unsigned long vm_flags);
/* The PTE bits of @vma's pages (vm_page_prot): vm_get_page_prot() of its
 * flags, write-protected for shared file mappings (dirty tracking). */
uint64_t vma_page_prot(const struct vm_area_struct *vma);
/* vm_flags from PROT_* bits. */
unsigned long calc_vm_prot_bits(unsigned long prot);

/* ---- mmap.c ---- */

/* vm.max_map_count: VMAs an mm may have (DEFAULT_MAX_MAP_COUNT) */
#define sysctl_max_map_count 65530

/* A free range of @len bytes: the hint @addr if it is free, otherwise the
 * highest fitting gap below mmap_base (x86-64 top-down).  MAP_FIXED
 * returns @addr.  Errors as negative values: -ENOMEM, -EINVAL, -EPERM. */
int64_t get_unmapped_area(struct mm_struct *mm, struct file *file, uint64_t addr,
			  uint64_t len, uint64_t pgoff, unsigned long flags);
/* mmap(2): the mapped address, or a negative errno.  @f_mode: the mode
 * of the descriptor @file was mapped through (ignored without a file).
 * @populate gets the length to prefault (MAP_POPULATE / MAP_LOCKED),
 * done by vm_mmap(). */
int64_t do_mmap(struct mm_struct *mm, struct file *file, fmode_t f_mode, uint64_t addr,
		uint64_t len, unsigned long prot, unsigned long flags, uint64_t pgoff,
		uint64_t *populate);
/* do_mmap + the prefault (vm_mmap_pgoff), @file open with @f_mode. */
int64_t vm_mmap_fmode(struct mm_struct *mm, struct file *file, fmode_t f_mode, uint64_t addr,
		      uint64_t len, unsigned long prot, unsigned long flags, uint64_t offset);
/* vm_mmap_fmode() of anonymous memory or of a file open read-write
 * (O_RDWR: FMODE_READ|FMODE_WRITE). */
int64_t vm_mmap(struct mm_struct *mm, struct file *file, uint64_t addr, uint64_t len,
		unsigned long prot, unsigned long flags, uint64_t offset);
/* munmap(2) of any range: split, unlink, free frames and empty tables, flush. */
int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len);
/* brk(2): the new break, or the old one when the request is refused. */
uint64_t sys_brk(struct mm_struct *mm, uint64_t brk);
/* mprotect(2). */
int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned long prot);
/* Grow a VM_GROWSDOWN @vma down to @address (page aligned by the caller):
 * 0, or -ENOMEM beyond the rlimit or inside the guard gap of the VMA below. */
int expand_downwards(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t address);

/* ---- mremap.c ---- */

/* mremap(2): the new address of the mapping, or a negative errno
 * (Linux 6.18's checks and errnos; docs/processes.md has the table). */
int64_t do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
		  unsigned long flags, uint64_t new_addr);

/* ---- madvise.c ---- */

/* MADV_* (uapi/asm-generic/mman-common.h); the host's <sys/mman.h> may
 * define them first, with the same values */
#ifndef MADV_NORMAL
#define MADV_NORMAL		0
#define MADV_RANDOM		1
#define MADV_SEQUENTIAL		2
#define MADV_WILLNEED		3
#define MADV_DONTNEED		4
#endif
#ifndef MADV_FREE
#define MADV_FREE		8
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE		9
#define MADV_DONTFORK		10
#define MADV_DOFORK		11
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE		12
#define MADV_UNMERGEABLE	13
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE		14
#define MADV_NOHUGEPAGE		15
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP		16
#define MADV_DODUMP		17
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK		18
#define MADV_KEEPONFORK		19
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON		100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#define MADV_GUARD_REMOVE	103
#endif

/*
 * madvise(2) of [start, start + len_in) with advice @behavior: 0 or a
 * negative errno.  @st gets the faults MADV_POPULATE_* takes (the calling
 * task's counters; may be NULL).
 */
int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len_in, int behavior,
	       struct fault_stats *st);
/* The kernel's name of an advice without MADV_, in lower case ("dontneed"),
 * or NULL; and back (-1 when unknown). */
const char *madvise_behavior_name(int behavior);
int madvise_behavior_from_name(const char *name);

/* ---- memory.c: faults, PTE ranges, teardown ---- */

#define FAULT_FLAG_WRITE	0x01
#define FAULT_FLAG_INSTRUCTION	0x02
#define FAULT_FLAG_USER		0x04

#define VM_FAULT_OOM		0x0001
#ifndef VM_FAULT_SIGBUS
#define VM_FAULT_SIGBUS		0x0002
#endif
#define VM_FAULT_SIGSEGV	0x0040
#ifndef VM_FAULT_MAJOR
#define VM_FAULT_MAJOR		0x0004	/* the page was read from a file or swap */
#endif
#define VM_FAULT_ERROR		(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

/* Handle a fault at @addr inside @vma (access already checked against
 * the VMA): 0, or VM_FAULT_* (VM_FAULT_MAJOR alone is success: the page
 * had to be read).  Statistics go to @st (may be NULL). */
unsigned handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags,
			 struct fault_stats *st);
/* A PTE now maps @page, a page-cache or shmem page (folio_add_file_rmap_pte):
 * its mapcount, and NR_FILE_MAPPED on its first mapping. */
void folio_add_file_rmap_pte(struct phys_mem *pm, struct page *page);
/* A PTE no longer maps @page (folio_remove_rmap_pte): its mapcount, and
 * NR_ANON_MAPPED / NR_FILE_MAPPED when that was the last mapping. */
void folio_remove_rmap_pte(struct phys_mem *pm, struct page *page);
/* folio_prealloc(): a page for user memory of @mm (@gfp), charged to its
 * cgroup with @charge_gfp (GFP_KERNEL for anonymous pages, the mapping's
 * gfp for shmem); NULL when the allocator or the cgroup has none. */
struct page *alloc_user_page(struct mm_struct *mm, gfp_t gfp, gfp_t charge_gfp);
/* Unmap [start, end) of @vma: frames released, rss updated.  No flush. */
void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* The same for unmap_mapping_range(): only the PTEs that map the file's
 * (or shared object's) own pages; anonymous COW copies stay.  No flush. */
void zap_mapping_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* Re-derive the protection of present PTEs in [start, end) of @vma. */
void change_protection(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* Flush [start, end) of @mm, page by page, from every CPU that may cache
 * it (flush_tlb_range(): __flush_tlb_mm_range() in vma/tlbflush.h with a
 * PAGE_SHIFT stride and no freed tables). */
void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end);
/* Free page tables that cover nothing but the hole [floor, ceiling). */
void free_pgtables(struct mm_struct *mm, uint64_t floor, uint64_t ceiling);
/* The same, walking only [start, end) (what was just unmapped) inside it. */
bool free_pgtables_range(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t floor,
			 uint64_t ceiling);
/* zap_nonpresent_ptes() of one swap PTE of @mm at @va: cleared, the
 * entry's user gone, and with the last one the slot and its swap-cache
 * page; an entry naming no slot in use is reported (print_bad_pte()). */
void zap_nonpresent_pte(struct mm_struct *mm, uint64_t epa, uint64_t pte, uint64_t va);
/* Shared anonymous memory and swap (shmem_writepage(), shmem_unuse()). */
int shmem_writepage(struct vm_ctx *vm, struct page *page);
/* shmem_swapin_folio(): the page of @obj's swap entry at @idx back in the
 * object (from the swap cache, or read: *@major).  0, also when the slot
 * changed meanwhile; -ENOMEM. */
int shmem_swapin(struct vm_ctx *vm, struct shmem_object *obj, unsigned long idx,
		 bool *major);
int shmem_unuse(struct vm_ctx *vm, unsigned type);
/* shmem_undo_range() for one page: page @idx of @obj leaves the object
 * (the page cache gauges follow) and the object's reference goes. */
void shmem_remove_page(struct vm_ctx *vm, struct shmem_object *obj, unsigned long idx);
/* Prefault [start, end) of @vma as writes (private writable, to break
 * COW) or reads: 0, or -EFAULT (a PROT_NONE VMA, a page that cannot be
 * mapped), -ENOMEM (out of memory).  VM_LOCKONFAULT VMAs are left alone.
 * Each fault counts in @st's min_flt, as GUP faults do (may be NULL). */
int populate_vma_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			    struct fault_stats *st);
/* exit_mmap: every VMA zapped and freed, every user table freed. */
void exit_mmap(struct mm_struct *mm);
/* copy_page_range: duplicate @src's PTEs into @dst for fork; private
 * writable pages become read-only in both.  -ENOMEM. */
int copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src);
/* The PTE value mapping @addr in @mm (0 if none), for checks and views. */
uint64_t mm_pte_lookup(struct mm_struct *mm, uint64_t addr);
/* The physical address of that PTE, 0 when no page table holds it (the
 * walk follows only good table entries). */
uint64_t mm_pte_epa(struct mm_struct *mm, uint64_t addr);
/* The table below the user entry at @epa (table depth @depth) that maps
 * @va, or 0 when there is none -- a huge PMD has none either (callers
 * test pmd_trans_huge() first).  A bad entry is cleared as a walk that
 * changes the tables clears it (pXd_none_or_clear_bad()), the pages below
 * it unmapped. */
uint64_t mm_user_table(struct mm_struct *mm, unsigned depth, uint64_t epa, uint64_t va);

/*
 * Page walks over [start, end) of @mm.  A callback's non-zero return stops
 * the walk and is returned (WALK_SPLIT aside).
 *
 * @pte_entry gets each PTE that is not zero (present or PROT_NONE).
 * @pmd_entry gets each huge PMD (at @epa, value @pmd, mapping @folio: the
 * head page of a huge page, or the huge zero page) with [@addr, @next),
 * the part of its span the range covers.
 *
 * walk_page_range() is the kernel's walk, for walks that change what they
 * visit: a bad entry on the way is cleared as the kernel's page walk clears
 * it.  Its @pmd_entry returns 0 when done with the huge PMD, or WALK_SPLIT
 * after splitting it, to have the walk go on into the PTEs it became
 * (ACTION_SUBTREE); without a @pmd_entry every huge PMD met is split and
 * its PTEs walked (walk_pmd_range() without a pmd_entry).
 *
 * walk_page_range_ro() and walk_pte_range() only look (views, checkers): a
 * bad entry is followed, not cleared, and a huge PMD goes whole to
 * @pmd_entry, or without one to @pte_entry as the PTEs that would map its
 * pages (huge_pmd_pte()), @epa being the PMD's.
 */
typedef int (*pte_visit_fn)(void *arg, uint64_t va, uint64_t epa, uint64_t pte);
typedef int (*pmd_visit_fn)(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
			    struct page *folio);
struct mm_walk_ops {
	pte_visit_fn pte_entry;
	pmd_visit_fn pmd_entry;
};
#define WALK_SPLIT 0x7fffffff
int walk_page_range(struct mm_struct *mm, uint64_t start, uint64_t end,
		    const struct mm_walk_ops *ops, void *arg);
int walk_page_range_ro(struct mm_struct *mm, uint64_t start, uint64_t end,
		       const struct mm_walk_ops *ops, void *arg);
int walk_pte_range(struct mm_struct *mm, uint64_t start, uint64_t end, pte_visit_fn fn,
		   void *arg);
/* The page a present @pte of @vma maps, NULL for the zero page, a pfn
 * beyond RAM or a non-present entry (the kernel's "special" mappings). */
struct page *vm_normal_page(struct vm_area_struct *vma, uint64_t pte);

/* The shared zero page, and whether a PTE maps it. */
struct page *mm_zero_page(struct vm_ctx *vm);

/* ---- mlock.c: mlock(2) and friends, PG_mlocked (mm/mlock.c) ---- */

/* can_do_mlock(): a non-zero RLIMIT_MEMLOCK, or CAP_IPC_LOCK. */
bool can_do_mlock(const struct mm_struct *mm);
/* mlock_future_ok(): may a mapping with @flags grow locked_vm by @bytes?
 * (mmap, brk, stack growth, mremap growth; always with CAP_IPC_LOCK or
 * without VM_LOCKED) */
bool mlock_future_ok(const struct mm_struct *mm, unsigned long flags, uint64_t bytes);
/*
 * The system calls, on @mm; @st gets the faults of the prefault (may be
 * NULL).  0 or the kernel's negative errno: EINVAL, EPERM (no rlimit and
 * no CAP_IPC_LOCK), ENOMEM (over RLIMIT_MEMLOCK, or a range that is not
 * wholly mapped, or a prefault that could not map a page), EAGAIN (no
 * memory for the prefault).
 */
int sys_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, struct fault_stats *st);
int sys_mlock2(struct mm_struct *mm, uint64_t start, uint64_t len, int flags,
	       struct fault_stats *st);
int sys_munlock(struct mm_struct *mm, uint64_t start, uint64_t len);
int sys_mlockall(struct mm_struct *mm, int flags, struct fault_stats *st);
int sys_munlockall(struct mm_struct *mm);
/*
 * The rmap side (mlock_vma_folio / munlock_vma_folio of mm/internal.h):
 * a PTE of @vma now maps @page, or no longer does.  A page mapped by a
 * VM_LOCKED VMA is PG_mlocked, and its mlock_count is the number of such
 * mappings; large folios are left to whoever maps them whole (PMD).
 */
void mlock_vma_page(struct page *page, struct vm_area_struct *vma);
void munlock_vma_page(struct page *page, struct vm_area_struct *vma);
/* mlock_folio() / munlock_folio(): one more (or one less) VM_LOCKED
 * mapping of the folio headed by @page's head; NR_MLOCK follows. */
void mlock_folio(struct vm_ctx *vm, struct page *page);
/* mlock_new_folio(): a new page of a VM_LOCKED VMA goes straight onto the
 * unevictable list, PG_mlocked with one lock (folio_add_lru_vma()). */
void mlock_new_folio(struct vm_ctx *vm, struct page *page);
void munlock_folio(struct vm_ctx *vm, struct page *page);
/* VM_LOCKED is about to leave the locked @vma without a munlock of its
 * pages (mremap's DONTUNMAP, as Linux does it): the locks its mapped pages
 * keep are counted as stale (phys_mem.mlock_stale) for the checker. */
void mlock_vma_pages_stale(struct vm_area_struct *vma);


/* ---- gup.c ---- */

/* __mm_populate(): fault in every page of [start, start+len) that the
 * VMAs there allow (populate_vma_page_range), skipping VM_IO/VM_PFNMAP.
 * The first error ends it, unless @ignore_errors (then the next VMA goes
 * on).  0 or -ENOMEM / -EFAULT. */
int __mm_populate(struct mm_struct *mm, uint64_t start, uint64_t len, bool ignore_errors,
		  struct fault_stats *st);
/* mm_populate(): MAP_POPULATE, MAP_LOCKED, mlockall, brk under MCL_FUTURE. */
static inline void mm_populate(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	__mm_populate(mm, start, len, true, NULL);
}

/* ---- mincore.c ---- */

/*
 * mincore(2): vec[i] = 1 when page i of [start, start+len) is resident:
 * mapped by a PTE (PROT_NONE ones too), or, where no PTE is, in the page
 * cache of the VMA's file or shared-memory object.  @vec holds @vec_len
 * bytes: writing beyond them is -EFAULT, as a vector that runs into
 * unmapped memory is.  -EINVAL (unaligned start), -ENOMEM (beyond
 * TASK_SIZE, or a page not in a VMA).
 */
int sys_mincore(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned char *vec,
		size_t vec_len);

/* ---- msync.c ---- */

/* msync(2): MS_SYNC writes the dirty page-cache pages of shared file
 * mappings back (they and their PTEs become clean); MS_ASYNC and
 * MS_INVALIDATE check only.  -EINVAL, -ENOMEM (a hole), -EBUSY
 * (MS_INVALIDATE on locked memory). */
int sys_msync(struct mm_struct *mm, uint64_t start, uint64_t len, int flags);

/* ---- check.c ---- */

/* VMA tree and list, counters, page tables vs VMAs, for one mm.  0, or
 * -EFAULT with the first violation in @err. */
int check_mm(struct mm_struct *mm, struct vmsim_error *err);
/* The page references the LRU batches (and the writeback queue) hold,
 * collected once for a checker's pass: page_pins() of a page is how many
 * it holds.  NULL when out of host memory; page_pins_free() takes NULL. */
struct page_pins;
struct page_pins *page_pins_collect(struct vm_ctx *vm);
unsigned page_pins(const struct page_pins *pins, const struct page *page);
void page_pins_free(struct page_pins *pins);
/* A user page's place on the LRU: on the list its flags name, linked to
 * neighbours of that list (or its head) that link back, or, without
 * PG_lru, in a batch (@pins may be NULL: none).  Constant time.  0 or
 * -EFAULT. */
int check_page_lru(struct vm_ctx *vm, struct page *page, const struct page_pins *pins,
		   struct vmsim_error *err);

/* The full pass over the machine's @n distinct mms, @users[i] the tasks
 * using mms[i]: check_mm() of each, mm_users, and every mapped frame's
 * mapcount and refcount against the PTEs and shared-memory objects of all
 * of them.  With tracking on, each mm that was not marked must also be
 * as the last check recorded it (else a path changed it unmarked), and
 * the records start afresh from this pass. */
int check_mms(struct vm_ctx *vm, struct mm_struct *const *mms, const int *users, size_t n,
	      struct vmsim_error *err);

/* Tracking for the incremental pass (machine_check_start()).  The first
 * pass after mm_track_start() must be check_mms(): nothing is recorded. */
int mm_track_start(struct vm_ctx *vm);	/* 0 or -ENOMEM */
void mm_track_stop(struct vm_ctx *vm);
/* The mm is about to be freed (its frames leave the counts). */
void mm_track_release(struct mm_struct *mm);
/* One task uses @mm (call for every task before check_mms_tracked()). */
void mm_track_note_user(struct mm_struct *mm);
/* True when a mark or record was lost (host memory, a failed pass): only
 * check_mms() is sound until it ran. */
bool mm_track_lost(const struct vm_ctx *vm);
/* The incremental pass: check_mm() and mm_users of every marked mm, and
 * the frame rule over every frame a marked or released mm maps or mapped
 * at the last check.  Clears the marks. */
int check_mms_tracked(struct vm_ctx *vm, struct vmsim_error *err);

/* An event of this mm's machine for the --trace-events log. */
#define MM_EV(mm, kind, ...) EV((mm)->vm->pm->events, (kind), __VA_ARGS__)
/* The same for @vm. */
#define MM_EV_M(vm, kind, ...) EV((vm)->pm->events, (kind), __VA_ARGS__)

/* Bytes of page-table pages that map the user half (VmPTE). */
unsigned long mm_pgtables_bytes(const struct mm_struct *mm);

#endif
