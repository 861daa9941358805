/*
 * The OOM killer (mm/oom_kill.c of Linux 6.12; see oom.h).
 *
 * out_of_memory() walks the candidates (every process for the machine,
 * the tasks of the cgroup's subtree for a cgroup at its limit), scores
 * each with oom_badness() and keeps the highest, the later one on a tie
 * ("points < chosen_points" skips only lower scores); prints the
 * kernel's report on the console ("... invoked oom-killer", the task
 * table, "oom-kill:constraint=...", "Out of memory: Killed process ...");
 * sends SIGKILL to the victim and every process sharing its mm, and to
 * the rest of its cgroup with memory.oom.group.
 *
 * The victims exit then and there (do_exit(), mmput(): their memory comes
 * back, as the kernel's oom_reaper and the victim's own exit bring it
 * back), so that the allocation that failed finds it on its retry --
 * except a victim whose mm a running system call or fault uses (the
 * allocating task itself, typically): that one exits in
 * exit_to_user_mode(), when the call returns, and the allocation that
 * needed the memory fails meanwhile (on Linux it may dip into the
 * reserves first; the task dies either way and its access does not
 * complete).
 *
 * Invariant: a task chosen or sent SIGKILL here is either gone or has
 * sigkill set, and stays until exit_to_user_mode(); the OOM killer never
 * chooses another while one is waiting to exit (the "abort" of
 * oom_evaluate_task()).
 *
 * Not modelled: init and kernel threads (the simulator has neither, so
 * every task is killable; pid 1 is whatever was spawned first), cpusets
 * and memory policies (CONSTRAINT_NONE or CONSTRAINT_MEMCG only), the
 * oom_reaper's asynchronous reaping, the Mem-Info and memory.stat dump
 * and the stack trace of the report (the views show them), ratelimiting,
 * vm.panic_on_oom and vm.oom_kill_allocating_task (both 0).
 */
#include "kern/oom.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kern/gfpnames.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"

static const char *const oom_constraint_text[] = {
	[CONSTRAINT_NONE] = "CONSTRAINT_NONE",
	[CONSTRAINT_CPUSET] = "CONSTRAINT_CPUSET",
	[CONSTRAINT_MEMORY_POLICY] = "CONSTRAINT_MEMORY_POLICY",
	[CONSTRAINT_MEMCG] = "CONSTRAINT_MEMCG",
};

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

static inline bool is_memcg_oom(const struct oom_control *oc)
{
	return oc->memcg != NULL;
}

static unsigned long total_swap_pages(const struct vmsim_machine *m)
{
	return m->pm.total_swap_pages > 0 ? (unsigned long)m->pm.total_swap_pages : 0;
}

/* ---- badness ---- */

long oom_badness(struct task_struct *p, unsigned long totalpages)
{
	struct mm_struct *mm = p->mm;
	long points, adj;

	if (!mm)
		return LONG_MIN;
	/* explicitly unkillable, or already reaped */
	adj = p->oom_score_adj;
	if (adj == OOM_SCORE_ADJ_MIN || (mm->flags & (1UL << MMF_OOM_SKIP)))
		return LONG_MIN;
	/* the proportion of RAM (and swap) its rss, page tables and swap
	 * entries use, in pages */
	points = (long)(get_mm_rss(mm) + get_mm_counter(mm, MM_SWAPENTS) +
			mm_pgtables_bytes(mm) / PAGE_SIZE);
	/* normalized to oom_score_adj units */
	adj *= (long)(totalpages / 1000);
	return points + adj;
}

unsigned long proc_oom_score(struct task_struct *p)
{
	struct vmsim_machine *m = vm_machine(p->mm->vm);
	unsigned long totalpages = m->pm.totalram_pages + total_swap_pages(m);
	long badness = oom_badness(p, totalpages);

	/* OOM_SCORE_ADJ_MIN is 0; the rest scaled into [0, 2000] */
	if (badness == LONG_MIN)
		return 0;
	return (unsigned long)((1000 + badness * 1000 / (long)totalpages) * 2 / 3);
}

int oom_score_adj_write(struct task_struct *p, long adj)
{
	struct vmsim_machine *m = vm_machine(p->mm->vm);
	struct task_struct *t;

	if (adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
		return -EINVAL;
	/* __set_oom_adj(): processes sharing the mm get the same value */
	list_for_each_entry(t, &m->tasks, tasks)
		if (t == p || t->mm == p->mm)
			t->oom_score_adj = (short)adj;
	return 0;
}

/* ---- choosing ---- */

/* __task_will_free_mem(): the task is dying (SIGKILL or exiting). */
static bool __task_will_free_mem(const struct task_struct *t)
{
	return t->sigkill || t->exiting;
}

/* task_will_free_mem(): @t is dying, so are all that share its mm, and
 * the OOM killer is not done with that mm yet. */
static bool task_will_free_mem(struct vmsim_machine *m, struct task_struct *t)
{
	struct task_struct *p;

	if (!t->mm || !__task_will_free_mem(t) || (t->mm->flags & (1UL << MMF_OOM_SKIP)))
		return false;
	if (t->mm->mm_users <= 1)
		return true;
	list_for_each_entry(p, &m->tasks, tasks)
		if (p != t && p->mm == t->mm && !__task_will_free_mem(p))
			return false;
	return true;
}

/* oom_evaluate_task(): 1 to stop the walk (a victim is still exiting). */
static int oom_evaluate_task(struct task_struct *task, struct oom_control *oc)
{
	long points;

	if (!task->mm)
		return 0;
	/* a victim that has not freed its memory yet: kill no other */
	if (task->oom_victim) {
		if (task->mm->flags & (1UL << MMF_OOM_SKIP))
			return 0;
		oc->chosen = NULL;
		oc->abort = true;
		return 1;
	}
	points = oom_badness(task, oc->totalpages);
	if (points == LONG_MIN || points < oc->chosen_points)
		return 0;
	oc->chosen = task;
	oc->chosen_points = points;
	return 0;
}

static void select_bad_process(struct vmsim_machine *m, struct oom_control *oc)
{
	struct task_struct *p;

	oc->chosen_points = LONG_MIN;
	if (is_memcg_oom(oc)) {
		/* mem_cgroup_scan_tasks(): the subtree in pre-order, each
		 * cgroup's tasks in the order they joined */
		struct mem_cgroup *iter;

		for_each_mem_cgroup_tree(iter, oc->memcg)
			list_for_each_entry(p, &iter->tasks, cg_list)
				if (oom_evaluate_task(p, oc))
					return;
		return;
	}
	list_for_each_entry(p, &m->tasks, tasks)
		if (oom_evaluate_task(p, oc))
			return;
}

/* ---- the report ---- */

static const char *current_comm(struct vmsim_machine *m, char idle[16])
{
	struct task_struct *cur = get_current(m);

	if (cur)
		return cur->comm;
	snprintf(idle, 16, "swapper/%u", m->pm.this_cpu);
	return idle;
}

static void dump_task(struct vmsim_machine *m, struct task_struct *p)
{
	struct mm_struct *mm = p->mm;

	if (!mm)
		return;
	printk(m, "[%7d] %5d %5d %8lu %8lu %8lu %8lu %9lu %8lu %8lu         %5hd %s", p->pid, 0,
	       p->pid, mm->total_vm, get_mm_rss(mm), get_mm_counter(mm, MM_ANONPAGES),
	       get_mm_counter(mm, MM_FILEPAGES), get_mm_counter(mm, MM_SHMEMPAGES),
	       mm_pgtables_bytes(mm), get_mm_counter(mm, MM_SWAPENTS), p->oom_score_adj,
	       p->comm);
}

/* dump_tasks(): the candidates' memory, in pages */
static void dump_tasks(struct vmsim_machine *m, struct oom_control *oc)
{
	struct task_struct *p;

	printk(m, "Tasks state (memory values in pages):");
	printk(m, "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem "
		  "pgtables_bytes swapents oom_score_adj name");
	if (is_memcg_oom(oc)) {
		struct mem_cgroup *iter;

		for_each_mem_cgroup_tree(iter, oc->memcg)
			list_for_each_entry(p, &iter->tasks, cg_list)
				dump_task(m, p);
		return;
	}
	list_for_each_entry(p, &m->tasks, tasks)
		dump_task(m, p);
}

static void dump_header(struct vmsim_machine *m, struct oom_control *oc)
{
	struct task_struct *cur = get_current(m);
	char gfp[160], idle[16];

	gfp_format(oc->gfp_mask, gfp, sizeof(gfp));
	printk(m, "%s invoked oom-killer: gfp_mask=%s, order=%d, oom_score_adj=%hd",
	       current_comm(m, idle), gfp, oc->order, cur ? cur->oom_score_adj : (short)0);
	if (is_memcg_oom(oc)) {
		/* mem_cgroup_print_oom_meminfo(), without the memory.stat dump */
		const struct mem_cgroup *mc = oc->memcg;

		printk(m, "memory: usage %lukB, limit %lukB, failcnt %lu", K(mc->memory.usage),
		       K(mc->memory.max), mc->memory.failcnt);
		printk(m, "swap: usage %lukB, limit %lukB, failcnt %lu", K(mc->swap.usage),
		       K(mc->swap.max), mc->swap.failcnt);
	}
	dump_tasks(m, oc);
}

/* "%*pbl" of the machine's nodes: "0", "0-1", ... */
static void mems_allowed(const struct vmsim_machine *m, char *buf, size_t len)
{
	if (m->pm.nr_nodes == 1)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "0-%u", m->pm.nr_nodes - 1);
}

/* dump_oom_victim(): the one-line summary of the OOM context */
static void dump_oom_victim(struct vmsim_machine *m, struct oom_control *oc,
			    struct task_struct *victim)
{
	char mems[32], oom_memcg[300] = ",global_oom", task_memcg[280];

	mems_allowed(m, mems, sizeof(mems));
	if (is_memcg_oom(oc)) {
		char path[256];

		mem_cgroup_path(oc->memcg, path, sizeof(path));
		snprintf(oom_memcg, sizeof(oom_memcg), ",oom_memcg=%s", path);
	}
	mem_cgroup_path(victim->cgroups, task_memcg, sizeof(task_memcg));
	printk(m, "oom-kill:constraint=%s,nodemask=(null),cpuset=/,mems_allowed=%s%s,task_memcg=%s,"
		  "task=%s,pid=%d,uid=%d", oom_constraint_text[oc->constraint], mems, oom_memcg,
	       task_memcg, victim->comm, victim->pid, 0);
}

/* ---- killing ---- */

/* do_send_sig_info(SIGKILL): the task dies when it next returns to user
 * mode; whoever records the machine's story is told now. */
static void send_sigkill(struct vmsim_machine *m, struct task_struct *t)
{
	if (t->sigkill)
		return;
	t->sigkill = true;
	if (m->oom_killed_hook)
		m->oom_killed_hook(m->oom_killed_ctx, t);
}

static void mark_oom_victim(struct task_struct *t)
{
	t->oom_victim = true;
}

static void __oom_kill_process(struct vmsim_machine *m, struct task_struct *victim,
			       const char *message)
{
	struct mm_struct *mm = victim->mm;
	struct task_struct *p;

	if (!mm) {
		printk(m, "%s: OOM victim %d (%s) is already exiting. Skip killing the task", message,
		       victim->pid, victim->comm);
		return;
	}
	/* the event before the signal: the reaper must see it */
	count_vm_event(&m->pm, OOM_KILL);
	memcg_memory_event_mm(&m->vm, mm, MEMCG_OOM_KILL);
	send_sigkill(m, victim);
	mark_oom_victim(victim);
	printk(m, "%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, "
		  "shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd", message, victim->pid,
	       victim->comm, K(mm->total_vm), K(get_mm_counter(mm, MM_ANONPAGES)),
	       K(get_mm_counter(mm, MM_FILEPAGES)), K(get_mm_counter(mm, MM_SHMEMPAGES)), 0u,
	       mm_pgtables_bytes(mm) >> 10, victim->oom_score_adj);
	EV(m->pm.events, "oom_kill", "pid=%d comm=%s total_vm=%lu rss=%lu oom_score_adj=%d",
	   victim->pid, victim->comm, mm->total_vm, get_mm_rss(mm), victim->oom_score_adj);
	/* every process sharing the mm dies too, or it would pin the memory */
	list_for_each_entry(p, &m->tasks, tasks)
		if (p != victim && p->mm == mm)
			send_sigkill(m, p);
}

static void oom_kill_process(struct vmsim_machine *m, struct oom_control *oc, const char *message)
{
	struct task_struct *victim = oc->chosen, *p;
	struct mem_cgroup *oom_group;

	/* already dying: let it go without alarming anyone */
	if (task_will_free_mem(m, victim)) {
		mark_oom_victim(victim);
		return;
	}
	dump_header(m, oc);
	dump_oom_victim(m, oc, victim);
	/* the victim's cgroup (or an ancestor up to the one that ran out)
	 * with memory.oom.group dies whole: decided before the kill */
	oom_group = mem_cgroup_get_oom_group(&m->vm, victim, oc->memcg);
	__oom_kill_process(m, victim, message);
	if (oom_group) {
		struct mem_cgroup *iter;
		char path[256];

		memcg_memory_event(oom_group, MEMCG_OOM_GROUP_KILL);
		mem_cgroup_path(oom_group, path, sizeof(path));
		printk(m, "Tasks in %s are going to be killed due to memory.oom.group set", path);
		/* oom_kill_memcg_member(): all but the unkillable */
		for_each_mem_cgroup_tree(iter, oom_group)
			list_for_each_entry(p, &iter->tasks, cg_list)
				if (p->oom_score_adj != OOM_SCORE_ADJ_MIN && !p->sigkill)
					__oom_kill_process(m, p, message);
	}
}

void panic(struct vmsim_machine *m, const char *msg)
{
	if (kernel_panicked(m))
		return;
	snprintf(m->panic_msg, sizeof(m->panic_msg), "%s", msg);
	printk(m, "Kernel panic - not syncing: %s", msg);
	EV(m->pm.events, "panic", "msg=\"%s\"", msg);
}

bool kernel_panicked(const struct vmsim_machine *m)
{
	return m->panic_msg[0] != '\0';
}

void oom_killer_disable(struct vmsim_machine *m)
{
	m->oom_killer_disabled = true;
}

void oom_killer_enable(struct vmsim_machine *m)
{
	m->oom_killer_disabled = false;
}

bool out_of_memory(struct vmsim_machine *m, struct oom_control *oc)
{
	struct task_struct *cur = get_current(m);

	if (m->oom_killer_disabled || kernel_panicked(m))
		return false;
	/* a dying current is chosen by itself: it will free its memory */
	if (cur && task_will_free_mem(m, cur)) {
		mark_oom_victim(cur);
		return true;
	}
	/* the OOM killer does not compensate for IO-less reclaim (but a
	 * cgroup's must run even for GFP_NOFS) */
	if (!(oc->gfp_mask & __GFP_FS) && !is_memcg_oom(oc))
		return true;
	/* constrained_alloc(): no cpusets nor memory policies here */
	if (is_memcg_oom(oc)) {
		oc->constraint = CONSTRAINT_MEMCG;
		oc->totalpages = mem_cgroup_get_max(&m->vm, oc->memcg);
		if (!oc->totalpages)
			oc->totalpages = 1;
	} else {
		oc->constraint = CONSTRAINT_NONE;
		oc->totalpages = m->pm.totalram_pages + total_swap_pages(m);
	}
	select_bad_process(m, oc);
	EV(m->pm.events, "oom", "constraint=%s order=%d chosen=%d points=%ld",
	   oom_constraint_text[oc->constraint], oc->order, oc->chosen ? oc->chosen->pid : -1,
	   oc->chosen ? oc->chosen_points : 0L);
	if (!oc->chosen && !oc->abort) {
		dump_header(m, oc);
		printk(m, "Out of memory and no killable processes...");
		/* an allocation at the system level cannot be met: the
		 * allocator would loop for ever */
		if (!is_memcg_oom(oc))
			panic(m, "System is deadlocked on memory");
	}
	if (oc->chosen) {
		oom_kill_process(m, oc, is_memcg_oom(oc) ? "Memory cgroup out of memory"
							 : "Out of memory");
		oom_exit_victims(m);
	}
	return oc->chosen || oc->abort;
}

bool mem_cgroup_out_of_memory(struct vmsim_machine *m, struct mem_cgroup *memcg, gfp_t gfp,
			      int order)
{
	struct oom_control oc = { .memcg = memcg, .gfp_mask = gfp, .order = order };

	return out_of_memory(m, &oc);
}

bool oom_page_alloc(struct vmsim_machine *m, struct zone *const *zonelist, unsigned order,
		    gfp_t gfp)
{
	struct oom_control oc = { .zonelist = zonelist, .gfp_mask = gfp, .order = (int)order };
	unsigned long exits = m->oom_exits;

	/* the allocator retries for as long as this says memory came back:
	 * only a victim that exited gave some */
	return out_of_memory(m, &oc) && m->oom_exits != exits;
}

void oom_exit_victims(struct vmsim_machine *m)
{
	struct task_struct *t, *tmp;

	list_for_each_entry_safe(t, tmp, &m->tasks, tasks) {
		if (!t->sigkill || mm_in_use(m, t->mm))
			continue;
		/* exit_mmap() of a victim's mm: the OOM killer is done with it */
		if (t->oom_victim)
			t->mm->flags |= 1UL << MMF_OOM_SKIP;
		do_exit(t);
		m->oom_exits++;
		/* a task the exit took away with it cannot be @tmp: do_exit()
		 * frees only @t */
	}
}
