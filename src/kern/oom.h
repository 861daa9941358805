/*
 * The OOM killer (mm/oom_kill.c, include/linux/oom.h): when reclaim
 * cannot free memory for an allocation, choose the task whose death
 * frees the most (oom_badness(): its resident pages, swap entries and page
 * tables, shifted by oom_score_adj), in the whole machine or in the
 * cgroup that reached its limit, and kill it.
 */
#ifndef VMSIM_KERN_OOM_H
#define VMSIM_KERN_OOM_H

#include <limits.h>
#include <stdbool.h>

#include "phys/gfp.h"

struct vmsim_machine;
struct task_struct;
struct mem_cgroup;
struct zone;

enum oom_constraint {
	CONSTRAINT_NONE,
	CONSTRAINT_CPUSET,
	CONSTRAINT_MEMORY_POLICY,
	CONSTRAINT_MEMCG,
};

struct oom_control {
	struct zone *const *zonelist;	/* the allocation's (global OOM), or NULL */
	struct mem_cgroup *memcg;	/* the cgroup at its limit, NULL: global */
	gfp_t gfp_mask;
	int order;
	/* set by out_of_memory() */
	unsigned long totalpages;	/* what badness is a share of */
	struct task_struct *chosen;
	long chosen_points;
	bool abort;			/* a victim is still exiting: kill no other */
	enum oom_constraint constraint;
};

/*
 * oom_badness(): how much killing @p would free, in pages, on the scale of
 * @totalpages (oom_score_adj moves it by adj * totalpages / 1000);
 * LONG_MIN for a task that must not be chosen (oom_score_adj -1000, no
 * mm, or one the OOM killer is already done with).
 */
long oom_badness(struct task_struct *p, unsigned long totalpages);
/* /proc/PID/oom_score: the badness scaled to 0..2000 (0 for -1000). */
unsigned long proc_oom_score(struct task_struct *p);
/* Write /proc/PID/oom_score_adj: -1000..1000, else -EINVAL; the value
 * belongs to the process (signal->oom_score_adj), and so to the tasks that
 * share its mm. */
int oom_score_adj_write(struct task_struct *p, long adj);

/*
 * out_of_memory(): choose a victim (select_bad_process()) and kill it
 * (oom_kill_process()), printing the kernel's report on the console.
 * True when a task was killed, or when the task already dying will free
 * memory; false when no task could be chosen (a global OOM then panics
 * the kernel: "System is deadlocked on memory").  A victim exits at once,
 * its memory returning, unless its mm is in use by a running system call
 * or fault (that task's own, typically): then it exits when that returns
 * (oom_exit_victims()).
 */
bool out_of_memory(struct vmsim_machine *m, struct oom_control *oc);
/* The memory controller's entry (memcg_task_ops.out_of_memory). */
bool mem_cgroup_out_of_memory(struct vmsim_machine *m, struct mem_cgroup *memcg, gfp_t gfp,
			      int order);
/* The page allocator's (reclaim_hooks.oom): true when a victim exited,
 * so that the allocation is worth retrying. */
bool oom_page_alloc(struct vmsim_machine *m, struct zone *const *zonelist, unsigned order,
		    gfp_t gfp);

/* oom_killer_disable() / oom_killer_enable(): while disabled,
 * out_of_memory() kills nothing and the allocation fails (Linux disables
 * it while freezing tasks for suspend; tests that want the allocator's
 * plain failure use it). */
void oom_killer_disable(struct vmsim_machine *m);
void oom_killer_enable(struct vmsim_machine *m);

/* Every task with SIGKILL pending whose mm nothing uses exits (the return
 * to user mode that delivers the signal); the victims' memory returns. */
void oom_exit_victims(struct vmsim_machine *m);

/* panic(): the kernel prints "Kernel panic - not syncing: @msg" and runs
 * nothing more; the machine keeps the message (machine->panic_msg). */
void panic(struct vmsim_machine *m, const char *msg);
bool kernel_panicked(const struct vmsim_machine *m);

#endif
