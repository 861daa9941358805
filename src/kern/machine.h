/*
 * struct vmsim_machine: everything one simulated machine owns.  Boot order
 * (machine.c): config -> physical memory (phys_init) -> CPUs and MMU ->
 * kernel page tables.  Destroying the machine frees all of it.
 */
#ifndef VMSIM_KERN_MACHINE_H
#define VMSIM_KERN_MACHINE_H

#include "mmu/pgtable.h"
#include "phys/mmzone.h"
#include "util/config.h"
#include "util/hostalloc.h"
#include "util/htab.h"
#include "vmsim/machine.h"

struct vmsim_cpu;
struct page_cache;
struct kernel_pgd_list;
struct vmap_state;
struct highmem_state;
struct task_struct;
struct kmem_cache;
struct cpu_fbatches;
struct swap_state;

struct vmsim_machine {
	struct vmsim_config cfg;
	struct host_arena ha;
	struct phys_mem pm;
	unsigned nr_cpus;
	struct vmsim_cpu *cpus;		/* MMU layer: cpus[0..nr_cpus) */
	uint64_t kernel_pgd;		/* physical address of init_mm's page table root */
	struct page *kernel_pgd_page;
	struct pt_ctx pt;		/* MMU layer: page-table editing context */
	struct page_cache *page_cache;	/* vma/filemap.c: made on first use, gone with its last file */
	/* kernel address space (kern/layout.c, vmalloc.c, highmem.c) */
	struct kernel_pgd_list *pgd_list;	/* roots sharing the kernel half */
	struct vmap_state *vmap;		/* vmalloc areas */
	struct highmem_state *highmem;		/* pkmap and kmap_local slots */

	/* process layer (kern/task.c) */
	struct list_head tasks;		/* every task_struct, in creation order */
	struct htab task_names;		/* every task_struct, by its scenario name */
	unsigned long nr_threads;	/* tasks on the list */
	int last_pid;
	unsigned long last_ctx_id;	/* mm->context.ctx_id source */
	struct page *zero_page;		/* empty_zero_page (a kernel-image frame) */
	struct task_struct *current[CFG_MAX_CPUS];	/* running task per CPU */
	unsigned long *pcid_owner;	/* with PCIDs: ctx_id each PCID last served */
	struct kmem_cache *task_struct_cachep, *mm_cachep, *vm_area_cachep, *anon_vma_cachep;

	/* page aging and reclaim (vma/swap.c, vmscan.c, workingset.c) */
	struct cpu_fbatches *cpu_fbatches;	/* [nr_cpus]: LRU batches */
	struct list_head mm_list;	/* every mm_struct (reclaim's reverse-map walks) */
	unsigned workingset_bucket_order;	/* shadow timestamp granularity */
	struct swap_state *swap;	/* swap areas, slot caches (vma/swapfile.c) */
	struct page **wb_queue;		/* pages under writeback (vma/page-writeback.c) */
	unsigned wb_nr, wb_cap;
	unsigned kswapd_countdown;	/* user accesses left until the next kswapd point */
};

/* Read @config (built-in name or file), apply the YAML mapping @set (from
 * @set_file, may be NULL), then the KEY=VALUE @sets; finalize. */
int machine_configure(struct vmsim_config *cfg, const char *config,
		      const struct ynode *set, const char *set_file,
		      const char *const *sets, struct vmsim_error *err);
/* Boot a machine whose cfg is filled; on failure nothing stays allocated. */
int machine_boot(struct vmsim_machine *m, struct vmsim_error *err);
void machine_shutdown(struct vmsim_machine *m);
/* Every consistency checker of every layer (free lists vs struct page,
 * page tables, ...): 0, or -EFAULT with the first violation in @err. */
int machine_check(struct vmsim_machine *m, struct vmsim_error *err);
/* Send every layer's events to @ev (NULL turns logging off). */
void machine_set_event_log(struct vmsim_machine *m, struct event_log *ev);

/* A kswapd point (vmscan.c's kswapd_run()): kswapd, when woken, runs
 * until it sleeps.  Between scenario steps, and every kswapd.interval user
 * accesses (task_access(), trace replay) through kswapd_tick(). */
void machine_kswapd_point(struct vmsim_machine *m);

static inline void kswapd_tick(struct vmsim_machine *m)
{
	if (__builtin_expect(m->kswapd_countdown != 0, 1) && --m->kswapd_countdown == 0) {
		m->kswapd_countdown = m->cfg.kswapd_interval;
		machine_kswapd_point(m);
	}
}

#endif
