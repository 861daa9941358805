/*
 * The kernel's page tables (init_mm / swapper_pg_dir) and the direct-map
 * arithmetic: __pa, __va, virt_to_page.  Built at boot by
 * kernel_mmu_boot(), which also creates the CPUs and loads CR3 of every
 * CPU with the kernel root.
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

/* Create m->cpus, build the kernel tables into m->kernel_pgd and load every
 * CPU's CR3 with it.  On failure nothing stays allocated. */
int kernel_mmu_boot(struct vmsim_machine *m, struct vmsim_error *err);
/* Undo kernel_mmu_boot() (accepts a machine where it never ran). */
void kernel_mmu_shutdown(struct vmsim_machine *m);

/* A new process page-table root sharing the kernel half (pgd_alloc()).
 * The caller frees it with mm_pgd_free().  -ENOMEM. */
int mm_pgd_alloc(struct vmsim_machine *m, uint64_t *root);
void mm_pgd_free(struct vmsim_machine *m, uint64_t root);

/* Flush every CPU's TLBs, global entries included (flush_tlb_all();
 * kernel ranges: flush_tlb_kernel_range() in kern/layout.h). */
void flush_tlb_all(struct vmsim_machine *m);

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
