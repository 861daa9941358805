/*
 * The kernel's page tables (init_mm / swapper_pg_dir): built at boot by
 * kernel_mmu_boot(), which also creates the CPUs and loads CR3 of every
 * CPU with the kernel root; then every later edit of them: the 4 KiB
 * kernel PTEs that vmalloc, the pkmap and the fixmap set and clear
 * (set_pte_vaddr()-style), the roots that copy the kernel half (pgd_list)
 * and arch_sync_kernel_mappings() that keeps those copies equal, and the
 * TLB flushes of kernel addresses on every CPU.  Also the direct-map
 * arithmetic: __pa, __va, virt_to_page.
 *
 *   x86_64: direct map of all RAM at page_offset (1 GiB pages, then 2 MiB,
 *           then 4 KiB where alignment forces it), the kernel image at
 *           kernel_map (__START_KERNEL_map maps physical 0; 2 MiB pages over
 *           the image, as cleanup_highmap() leaves it), PUD tables
 *           preallocated for the vmalloc range so the top level of the
 *           kernel half never changes after boot.
 *   x86_32: direct map of lowmem [0, lowmem_end) at page_offset with 4 MiB
 *           PSE pages where aligned (CR4.PSE), 4 KiB for the tail.
 */
#ifndef VMSIM_KERN_KPGTABLE_H
#define VMSIM_KERN_KPGTABLE_H

#include <stdint.h>

#include "kern/machine.h"
#include "mmu/pgtable.h"

/* Roots that hold a copy of the kernel half (Linux: pgd_list).  x86_32
 * only needs it: a new kernel page table there changes a root entry, and
 * every copy must learn it (arch_sync_kernel_mappings()). */
struct kernel_pgd_list {
	uint64_t *roots;
	unsigned nr, cap;
	unsigned long syncs;		/* root entries copied into other roots */
};

/* Create m->cpus and the empty pgd_list, build the kernel tables into
 * m->vm.kernel_pgd and load every CPU's CR3 with it.  On failure nothing
 * stays allocated. */
int kernel_mmu_boot(struct vmsim_machine *m, struct vmsim_error *err);
/* Undo kernel_mmu_boot() (accepts a machine where it never ran). */
void kernel_mmu_shutdown(struct vmsim_machine *m);

/* A new process page-table root sharing the kernel half (pgd_alloc()).
 * The caller frees it with mm_pgd_free().  -ENOMEM. */
int mm_pgd_alloc(struct vmsim_machine *m, uint64_t *root);
void mm_pgd_free(struct vmsim_machine *m, uint64_t root);

/* pgd_list_add()/pgd_list_del(): register a root that belongs to no task
 * (tasks' roots are reached through the task list), so that later
 * kernel-half changes reach it; adding brings it up to date at once.
 * pgd_list_add() fails only for host memory (-ENOMEM). */
int pgd_list_add(struct vmsim_machine *m, uint64_t root);
void pgd_list_del(struct vmsim_machine *m, uint64_t root);

/* arch_sync_kernel_mappings(): copy init_mm's root entries covering
 * [start, end) into every registered root, every task's mm root and every
 * CPU's CR3 root. */
void arch_sync_kernel_mappings(struct vmsim_machine *m, uint64_t start, uint64_t end);

/* Checker: the kernel half of every registered root and every task's root
 * equals init_mm's.  0, or -EFAULT with @err. */
int kernel_pgd_check(struct vmsim_machine *m, struct vmsim_error *err);

/* Map one 4 KiB kernel page at @va to @pa with @prot (PAGE_KERNEL-like
 * _PAGE_* bits) in init_mm, allocating the page table if missing (and, on
 * x86_32, copying the new root entry into every root on pgd_list and every
 * CPU's current root).  No TLB flush: the caller knows whether an old
 * entry was live.  -ENOMEM (no frame for a table), -EEXIST (a large page
 * covers @va). */
int kernel_set_pte(struct vmsim_machine *m, uint64_t va, uint64_t pa, uint64_t prot);
/* Clear the 4 KiB kernel PTE of @va; *old gets its previous value (0 if
 * none).  Page tables stay, as in Linux (kernel tables are never freed). */
void kernel_clear_pte(struct vmsim_machine *m, uint64_t va, uint64_t *old);
/* The kernel PTE value mapping @va (0 if not mapped by a 4 KiB PTE). */
uint64_t kernel_pte(struct vmsim_machine *m, uint64_t va);

/* Flush every CPU's TLBs, global entries included (flush_tlb_all()). */
void flush_tlb_all(struct vmsim_machine *m);
/* TLB maintenance of kernel addresses on every CPU.  A range above
 * tlb_single_page_flush_ceiling (33 pages) flushes everything, as
 * flush_tlb_kernel_range() does.  (Linux's flush_tlb_one_kernel() is
 * local; its fixmap callers run where the slot is used.  vmsim flushes
 * every CPU, which is never less correct.) */
void flush_tlb_one_kernel(struct vmsim_machine *m, uint64_t va);
void flush_tlb_kernel_range(struct vmsim_machine *m, uint64_t start, uint64_t end);

/* __pa(): a direct-map (or, on x86_64, kernel-image) address to physical. */
static inline uint64_t __pa(const struct vmsim_machine *m, uint64_t va)
{
	/* __phys_addr(): above __START_KERNEL_map it is the image mapping */
	if (config_is_64(&m->cfg) && va >= m->cfg.kernel_map)
		return va - m->cfg.kernel_map;
	return va - m->cfg.page_offset;
}

/* __va(): the direct-map address of physical @pa (lowmem only on x86_32). */
static inline uint64_t __va(const struct vmsim_machine *m, uint64_t pa)
{
	return pa + m->cfg.page_offset;
}

static inline struct page *virt_to_page(const struct vmsim_machine *m, uint64_t va)
{
	return pfn_to_page(&m->pm, (unsigned long)(__pa(m, va) >> PAGE_SHIFT));
}

static inline bool virt_addr_valid(const struct vmsim_machine *m, uint64_t va)
{
	return va >= m->cfg.page_offset && va < m->cfg.high_memory;
}

#endif
