/*
 * struct vm_ctx: what the memory-management layer (src/vma) works in: the
 * state its subsystems own (the page cache, the LRU batches, swap,
 * transparent huge pages, the memory controller, writeback, per-CPU TLB
 * state, the zero page, the mm list, the slab caches of VMAs and anon_vmas)
 * and the way to the layers below it (the config, host arena, physical
 * memory, page-table context, CPUs).  Every mm_struct points at the one it
 * lives in (mm->vm).  In Linux this is global state of mm/ and
 * arch/x86/mm/; here one simulated machine has one, so that several
 * machines can live in a process.
 *
 * The kern layer embeds it in struct vmsim_machine and hands it down at
 * boot (vm_ctx_init() before anything of this layer runs); nothing in
 * src/vma knows the machine.  What this layer needs from above (the task
 * behind an mm, the OOM killer) reaches it through hook tables kern sets
 * (struct memcg_task_ops, the phys layer's reclaim hooks).
 *
 * Invariant: cfg, ha, pm and pt point into the machine that embeds this
 * context and stay fixed for its life; cpus[0..nr_cpus) are the machine's
 * CPUs from the moment they boot until they are shut down; pm->hooks_ctx
 * is this context.
 */
#ifndef VMSIM_VMA_VM_CTX_H
#define VMSIM_VMA_VM_CTX_H

#include <stdint.h>

#include "phys/mmzone.h"
#include "util/config.h"
#include "util/list.h"
#include "vma/huge_mm.h"
#include "vma/tlbflush.h"

struct host_arena;
struct pt_ctx;
struct vmsim_cpu;
struct page;
struct page_cache;
struct kmem_cache;
struct memcg_state;
struct cpu_fbatches;
struct swap_state;
struct mm_track;

struct vm_ctx {
	/* the layers below, handed down at boot */
	struct vmsim_config *cfg;
	struct host_arena *ha;
	struct phys_mem *pm;
	struct pt_ctx *pt;		/* page-table editing context */
	struct vmsim_cpu *cpus;		/* cpus[0..nr_cpus) */
	unsigned nr_cpus;
	uint64_t kernel_pgd;		/* physical address of init_mm's page table root */

	struct page *zero_page;		/* empty_zero_page (a kernel-image frame) */
	unsigned long last_ctx_id;	/* mm->context.ctx_id source */
	struct list_head mm_list;	/* every mm_struct (reclaim's rmap walks) */
	struct kmem_cache *vm_area_cachep, *anon_vma_cachep, *anon_vma_chain_cachep;
	struct thp_state thp;		/* transparent huge pages (huge_memory.c) */
	struct tlb_state cpu_tlbstate[CFG_MAX_CPUS];	/* per CPU (tlbflush.c) */
	struct page_cache *page_cache;	/* filemap.c: made on first use, gone with its last file */
	struct memcg_state *memcg;	/* memory cgroups (memcontrol.c) */

	/* page aging and reclaim (swap.c, vmscan.c, workingset.c) */
	struct cpu_fbatches *cpu_fbatches;	/* [nr_cpus]: LRU batches */
	unsigned workingset_bucket_order;	/* shadow timestamp granularity */
	struct swap_state *swap;	/* swap areas, slot caches (swapfile.c) */
	struct page **wb_queue;		/* pages under writeback (page-writeback.c) */
	unsigned wb_nr, wb_cap;

	struct mm_track *mm_track;	/* check.c: mms changed since the last check */
};

/* Hand the layers below to @vm (at boot, before anything of this layer
 * runs); the CPUs follow with vm_ctx_set_cpus() once they exist. */
static inline void vm_ctx_init(struct vm_ctx *vm, struct vmsim_config *cfg,
			       struct host_arena *ha, struct phys_mem *pm, struct pt_ctx *pt)
{
	vm->cfg = cfg;
	vm->ha = ha;
	vm->pm = pm;
	vm->pt = pt;
	pm->hooks_ctx = vm;
}

static inline void vm_ctx_set_cpus(struct vm_ctx *vm, struct vmsim_cpu *cpus, unsigned nr_cpus)
{
	vm->cpus = cpus;
	vm->nr_cpus = nr_cpus;
}

#endif
