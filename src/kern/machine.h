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
#include "vma/vm_ctx.h"
#include "vmsim/machine.h"

struct vmsim_cpu;
struct kernel_pgd_list;
struct vmap_state;
struct highmem_state;
struct task_struct;
struct kmem_cache;
struct machine_checker;

struct vmsim_machine {
	struct vmsim_config cfg;
	struct host_arena ha;
	struct phys_mem pm;
	unsigned nr_cpus;
	struct vmsim_cpu *cpus;		/* MMU layer: cpus[0..nr_cpus) */
	struct page *kernel_pgd_page;	/* init_mm's page table root (vm.kernel_pgd) */
	struct pt_ctx pt;		/* MMU layer: page-table editing context */
	/* the mm layer (src/vma): its own state, and the way to the above,
	 * handed down at boot (machine_boot()) */
	struct vm_ctx vm;
	/* kernel address space (kern/kpgtable.c, vmalloc.c, highmem.c) */
	struct kernel_pgd_list *pgd_list;	/* roots sharing the kernel half */
	struct vmap_state *vmap;		/* vmalloc areas */
	struct highmem_state *highmem;		/* pkmap and kmap_local slots */

	/* process layer (kern/task.c) */
	struct list_head tasks;		/* every task_struct, in creation order */
	struct htab task_names;		/* every task_struct, by its scenario name */
	unsigned long nr_threads;	/* tasks on the list */
	int last_pid;
	struct task_struct *current[CFG_MAX_CPUS];	/* running task per CPU */
	/* the task whose system call or fault runs on each CPU
	 * (task_enter_kernel()), and how deeply such calls nest */
	struct task_struct *in_kernel[CFG_MAX_CPUS];
	unsigned kernel_depth[CFG_MAX_CPUS];
	struct kmem_cache *task_struct_cachep, *mm_cachep;
	/* the OOM killer (kern/oom_kill.c) */
	bool oom_killer_disabled;
	unsigned long oom_exits;		/* victims that have exited */
	/* told of each task the OOM killer sends SIGKILL, while it still
	 * exists (the scenario records which step killed it) */
	void (*oom_killed_hook)(void *ctx, struct task_struct *t);
	void *oom_killed_ctx;
	char panic_msg[96];			/* "Kernel panic - not syncing: ...",
						 * empty while the kernel runs */
	/* where printk() lines go; NULL: the bad_page hook's way */
	void (*console_hook)(void *ctx, const char *line);
	void *console_ctx;

	unsigned kswapd_countdown;	/* user accesses left until the next kswapd point */
	unsigned long nr_dropped_stores;	/* user stores a corrupted mapping aimed at
						 * a page table, the zero page, the huge
						 * zero page or the simulator's own
						 * structures (task_access()) */

	/* --check (kern/check.c): NULL when off */
	struct machine_checker *checker;

	/* the event subscriber of the public API (kern/api_stats.c), or NULL */
	struct event_log *api_events;
	/* the kernel-log subscriber of the public API (kern/api.c), or NULL */
	vmsim_log_fn api_log;
	void *api_log_arg;
};

/* The machine whose mm layer is @vm (every vm_ctx lives in a machine). */
static inline struct vmsim_machine *vm_machine(struct vm_ctx *vm)
{
	return container_of(vm, struct vmsim_machine, vm);
}

/* Read @config (built-in name or file), apply the YAML mapping @set (from
 * @set_file, may be NULL), then the KEY=VALUE @sets; finalize. */
int machine_configure(struct vmsim_config *cfg, const char *config,
		      const struct ynode *set, const char *set_file,
		      const char *const *sets, struct vmsim_error *err);
/* The same from a config's YAML @text (@name for messages) and @sets. */
int machine_configure_text(struct vmsim_config *cfg, const char *name, const char *text,
			   const char *const *sets, struct vmsim_error *err);
/* Boot a machine whose cfg is filled; on failure nothing stays allocated. */
int machine_boot(struct vmsim_machine *m, struct vmsim_error *err);
void machine_shutdown(struct vmsim_machine *m);
/*
 * The consistency checkers (check.c).  machine_check(): every checker of
 * every layer over the whole machine (free lists vs struct page, slabs,
 * kernel tables, every mm and every mapped frame, the page cache, the
 * TLBs): 0, or -EFAULT with the first violation in @err (-ENOMEM when the
 * host runs out).  Its cost grows with RAM and tasks.
 *
 * --check runs the incremental form: machine_check_start() turns on the
 * dirty tracking of every layer; machine_check_point() after each step
 * (scenario step, exec, batch of replayed accesses) checks what changed
 * since the last point, and every @every points (0: never) or when the
 * tracking lost something, runs machine_check() instead.
 */
int machine_check(struct vmsim_machine *m, struct vmsim_error *err);
/* printk(): one line of the kernel's log on the machine's console: the
 * console hook, else the bad_page hook (the CLI's stderr). */
void printk(struct vmsim_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int machine_check_start(struct vmsim_machine *m, unsigned every);	/* 0 or -ENOMEM */
void machine_check_stop(struct vmsim_machine *m);
bool machine_checking(const struct vmsim_machine *m);
int machine_check_point(struct vmsim_machine *m, struct vmsim_error *err);
/* Full and incremental passes run so far (for reports and tests). */
void machine_check_counts(const struct vmsim_machine *m, unsigned long *full,
			  unsigned long *incremental);
/* The kernel address space changed (vmalloc areas, kernel PTEs, pkmap
 * slots, a kernel write): the next incremental pass checks it. */
void kspace_mark_dirty(struct vmsim_machine *m);
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
