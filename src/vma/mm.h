/*
 * The process-layer API (Linux: mm/mmap.c, mm/vma.c, mm/mprotect.c,
 * mm/memory.c).  Every call takes the mm it works on; addresses are user
 * virtual addresses.  Actions return 0 or a negative errno, as the system
 * calls do; do_mmap and sys_brk return addresses.
 */
#ifndef VMSIM_VMA_MM_H
#define VMSIM_VMA_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "vma/mm_types.h"

struct vmsim_machine;
struct vmsim_error;
struct fault_stats;
struct phys_mem;

/* ---- vma.c: VMA objects, the tree and list, lookup, merge, split ---- */

/* A zeroed VMA of @mm (vm_area_cachep); NULL when out of memory. */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
/* A copy of @orig, not linked anywhere (vm_area_dup); anon_vma/shm refs taken. */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);
/* A zeroed anon_vma (anon_vma_cachep), refcount to be set; NULL on OOM. */
struct anon_vma *anon_vma_alloc(struct vmsim_machine *m);
/* Free an unlinked VMA, dropping its anon_vma and shm references. */
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
/* Drop every cached lookup (a VMA moved, shrank or went away). */
static inline void vmacache_invalidate(struct mm_struct *mm)
{
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
 * Merge a new range [addr, end) that lies in the hole between @prev and
 * @next (either may be NULL; a NULL @prev is not looked up, so brk can
 * keep the bss out) into a neighbour with the same
 * attributes: prev extended, next extended down, or prev swallowing next.
 * Returns the VMA now covering the range, or NULL when no merge applies.
 */
struct vm_area_struct *vma_merge_new(struct mm_struct *mm, struct vm_area_struct *prev,
				     struct vm_area_struct *next, uint64_t addr, uint64_t end, unsigned long vm_flags,
				     struct anon_vma *anon_vma, struct file *file,
				     uint64_t pgoff, struct shmem_object *shm);
/* After @vma's attributes changed (mprotect): merge it with its neighbours
 * where the kernel's rules allow.  Returns the VMA that now holds it. */
struct vm_area_struct *vma_merge_existing(struct mm_struct *mm, struct vm_area_struct *vma);
/* Split @vma at @addr (page aligned, strictly inside).  The new VMA is the
 * lower part if @new_below, else the upper part.  -ENOMEM, or -EINVAL for
 * a special mapping ([vdso], [vvar]), which never splits. */
int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, int new_below);
/* @vma no longer needs its anon_vma (mremap moved every page it had
 * away): drop it; the next anonymous fault prepares one again. */
void unlink_anon_vmas(struct vm_area_struct *vma);

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
/* mmap(2): the mapped address, or a negative errno.  @populate gets the
 * length to prefault (MAP_POPULATE / MAP_LOCKED), done by vm_mmap(). */
int64_t do_mmap(struct mm_struct *mm, struct file *file, uint64_t addr, uint64_t len,
		unsigned long prot, unsigned long flags, uint64_t pgoff, uint64_t *populate);
/* do_mmap + the prefault (vm_mmap_pgoff). */
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
/* RLIMIT_MEMLOCK's default (uapi/linux/resource.h MLOCK_LIMIT) */
#define MLOCK_LIMIT (8ULL << 20)
/* May @bytes more be locked when @flags has VM_LOCKED?  Tasks lack
 * CAP_IPC_LOCK, so locked_vm plus them must stay within RLIMIT_MEMLOCK. */
bool mlock_future_ok(const struct mm_struct *mm, unsigned long flags, uint64_t bytes);

/* ---- mremap.c ---- */

/* mremap(2): the new address of the mapping, or a negative errno
 * (Linux 6.18's checks and errnos; docs/processes.md has the table). */
int64_t do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
		  unsigned long flags, uint64_t new_addr);

/* ---- memory.c: faults, PTE ranges, teardown ---- */

#define FAULT_FLAG_WRITE	0x01
#define FAULT_FLAG_INSTRUCTION	0x02
#define FAULT_FLAG_USER		0x04

#define VM_FAULT_OOM		0x0001
#ifndef VM_FAULT_SIGBUS
#define VM_FAULT_SIGBUS		0x0002
#endif
#define VM_FAULT_SIGSEGV	0x0040

/* Handle a fault at @addr inside @vma (access already checked against
 * the VMA): 0, or VM_FAULT_*.  Statistics go to @st (may be NULL). */
unsigned handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags,
			 struct fault_stats *st);
/* A PTE now maps @page, a page-cache or shmem page (folio_add_file_rmap_pte):
 * its mapcount, and NR_FILE_MAPPED on its first mapping. */
void folio_add_file_rmap_pte(struct phys_mem *pm, struct page *page);
/* A PTE no longer maps @page (folio_remove_rmap_pte): its mapcount, and
 * NR_ANON_MAPPED / NR_FILE_MAPPED when that was the last mapping. */
void folio_remove_rmap_pte(struct phys_mem *pm, struct page *page);
/* Unmap [start, end) of @vma: frames released, rss updated.  No flush. */
void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* Re-derive the protection of present PTEs in [start, end) of @vma. */
void change_protection(struct vm_area_struct *vma, uint64_t start, uint64_t end);
/* Flush [start, end) of @mm from every CPU's TLB (flush_tlb_mm_range). */
void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end);
/* Free page tables that cover nothing but the hole [floor, ceiling). */
void free_pgtables(struct mm_struct *mm, uint64_t floor, uint64_t ceiling);
/* The same, walking only [start, end) (what was just unmapped) inside it. */
void free_pgtables_range(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t floor,
			 uint64_t ceiling);
/* Prefault [start, end) of @vma as writes or reads (MAP_POPULATE). */
int populate_vma_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			    struct fault_stats *st);
/* exit_mmap: every VMA zapped and freed, every user table freed. */
void exit_mmap(struct mm_struct *mm);
/* copy_page_range: duplicate @src's PTEs into @dst for fork; private
 * writable pages become read-only in both.  -ENOMEM. */
int copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src);
/* The PTE value mapping @addr in @mm (0 if none), for checks and views. */
uint64_t mm_pte_lookup(struct mm_struct *mm, uint64_t addr);
/* The table below the user entry at @epa (table depth @depth) that maps
 * @va, or 0 when there is none.  A bad entry is cleared as a walk that
 * changes the tables clears it (pXd_none_or_clear_bad()), the pages below
 * it unmapped. */
uint64_t mm_user_table(struct mm_struct *mm, unsigned depth, uint64_t epa, uint64_t va);

/* Per-page visitor over the PTE level of [start, end): @fn gets each entry
 * that is not zero (present or PROT_NONE). */
typedef int (*pte_visit_fn)(void *arg, uint64_t va, uint64_t epa, uint64_t pte);
int walk_pte_range(struct mm_struct *mm, uint64_t start, uint64_t end, pte_visit_fn fn,
		   void *arg);

/* The shared zero page, and whether a PTE maps it. */
struct page *mm_zero_page(struct vmsim_machine *m);

/* ---- check.c ---- */

/* VMA tree and list, counters, page tables vs VMAs, for one mm.  0, or
 * -EFAULT with the first violation in @err. */
int check_mm(struct mm_struct *mm, struct vmsim_error *err);

/* An event of this mm's machine for the --trace-events log. */
#define MM_EV(mm, kind, ...) EV((mm)->m->pm.events, (kind), __VA_ARGS__)

/* Bytes of page-table pages that map the user half (VmPTE). */
unsigned long mm_pgtables_bytes(const struct mm_struct *mm);

#endif
