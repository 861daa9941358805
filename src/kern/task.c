/*
 * Tasks and their address spaces (kernel/fork.c, kernel/exit.c,
 * arch/x86/mm/tlb.c, arch/x86/mm/fault.c): spawn, fork (dup_mmap), exit,
 * the context switch, and user accesses with the page-fault handler that
 * turns a failed translation into handle_mm_fault() or a SIGSEGV.
 *
 * Invariants: each task holds one mm_users reference on its mm (CLONE_VM
 * tasks share one mm); an mm's page-table root is loaded in a CPU's CR3
 * only while a task using it is that CPU's current task; when the last
 * user goes, every frame, table and VMA of the mm returns to where it came
 * from (a test compares the buddy free counts).  Every task is on
 * m->tasks and in the m->task_names hash, and on its parent's children
 * list, so that finding a task and exiting one cost the same however many
 * tasks there are (check_task_index() verifies the three agree).
 */
#include "kern/task.h"
#include "kern/task_access.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kern/cgroup.h"
#include "kern/desc.h"
#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "kern/oom.h"
#include "phys/mm_inline.h"
#include "phys/slab.h"
#include "util/error.h"
#include "util/htab.h"
#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/huge_mm.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vma/mmdebug.h"

#define TASK_NAME_LEN 48

/* task_struct with the scenario's name beside the kernel's 16-byte comm */
struct task_named {
	struct task_struct t;
	char name[TASK_NAME_LEN];
};

#define STACK_GUARD_GAP_PAGES 256

/* ---- objects: from the slab caches of the kernel's names, in simulated RAM ---- */

static struct task_struct *alloc_task_struct(struct vmsim_machine *m)
{
	return kmem_cache_alloc(m->task_struct_cachep, GFP_KERNEL | __GFP_ZERO);
}

static void free_task_struct(struct vmsim_machine *m, struct task_struct *t)
{
	kmem_cache_free(m->task_struct_cachep, t);
}

static struct mm_struct *allocate_mm(struct vmsim_machine *m)
{
	return kmem_cache_alloc(m->mm_cachep, GFP_KERNEL | __GFP_ZERO);
}

static void free_mm(struct vmsim_machine *m, struct mm_struct *mm)
{
	kmem_cache_free(m->mm_cachep, mm);
}

/* account_kernel_stack(): the stack's KiB in NR_KERNEL_STACK_KB of its
 * node, @sign 1 when allocated, -1 when freed. */
static void account_kernel_stack(struct vmsim_machine *m, const struct task_struct *t, long sign)
{
	lruvec_stat_mod_folio(&m->pm, t->stack_page, NR_KERNEL_STACK_KB,
			      sign * (long)((PAGE_SIZE << t->stack_order) >> 10));
}

/* THREAD_SIZE: 16 KiB on x86_64 (order 2), 8 KiB on x86_32 (order 1). */
static int alloc_thread_stack(struct vmsim_machine *m, struct task_struct *t)
{
	t->stack_order = config_thread_size_order(&m->cfg);
	/* THREADINFO_GFP: charged to the memory cgroup of whoever creates it */
	t->stack_page = alloc_pages(&m->pm, GFP_KERNEL_ACCOUNT, t->stack_order);
	if (!t->stack_page)
		return -ENOMEM;
	t->stack = page_address(&m->pm, t->stack_page);
	account_kernel_stack(m, t, 1);
	return 0;
}

/* ---- machine life cycle ---- */

/*
 * proc_caches_init(), vma_state_init(), anon_vma_init(): Linux creates these
 * caches at boot; here the first task creates them, so that a machine that
 * never runs a task keeps the free-page counts of the layers below.
 */
static int task_caches_init(struct vmsim_machine *m)
{
	/* each one that is missing (a failed attempt may have made some) */
	if (!m->task_struct_cachep)
		m->task_struct_cachep = kmem_cache_create(&m->pm, "task_struct",
							  sizeof(struct task_named), 0,
							  SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT |
							  SLAB_HOST_STRUCTS);
	if (!m->mm_cachep)
		m->mm_cachep = kmem_cache_create(&m->pm, "mm_struct", sizeof(struct mm_struct), 0,
						 SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT | SLAB_HOST_STRUCTS);
	if (!m->vm.vm_area_cachep)
		m->vm.vm_area_cachep = kmem_cache_create(&m->pm, "vm_area_struct",
							 sizeof(struct vm_area_struct), 0,
							 SLAB_ACCOUNT | SLAB_HOST_STRUCTS);
	if (!m->vm.anon_vma_cachep)
		m->vm.anon_vma_cachep = kmem_cache_create(&m->pm, "anon_vma",
							  sizeof(struct anon_vma), 0,
							  SLAB_ACCOUNT | SLAB_HOST_STRUCTS);
	if (!m->vm.anon_vma_chain_cachep)
		m->vm.anon_vma_chain_cachep = kmem_cache_create(&m->pm, "anon_vma_chain",
								sizeof(struct anon_vma_chain), 0,
								SLAB_ACCOUNT | SLAB_HOST_STRUCTS);
	if (!m->task_struct_cachep || !m->mm_cachep || !m->vm.vm_area_cachep ||
	    !m->vm.anon_vma_cachep || !m->vm.anon_vma_chain_cachep)
		return -ENOMEM;
	return 0;
}

int task_init(struct vmsim_machine *m, struct vmsim_error *err)
{
	uint64_t zpa = m->cfg.kernel_start + m->cfg.kernel_size - PAGE_SIZE;

	INIT_LIST_HEAD(&m->tasks);
	INIT_LIST_HEAD(&m->vm.mm_list);
	htab_init(&m->task_names, &m->ha);
	m->nr_threads = 0;
	m->last_pid = 0;
	m->vm.last_ctx_id = 0;
	/* empty_zero_page lives in the kernel image (its .bss) on Linux;
	 * here the image's last frame, reserved at boot and never handed out */
	if (!m->cfg.kernel_size || zpa + PAGE_SIZE > m->pm.ram_size)
		return verr(err, -EINVAL, "no kernel image frame for the zero page");
	m->vm.zero_page = pfn_to_page(&m->pm, (unsigned long)(zpa >> PAGE_SHIFT));
	set_page_flag(m->vm.zero_page, PG_zero);
	memset(phys_to_host(&m->pm, zpa), 0, PAGE_SIZE);
	hugepage_init(&m->vm);
	return 0;
}

void task_shutdown(struct vmsim_machine *m)
{
	while (m->tasks.next && !list_empty(&m->tasks))
		do_exit(list_last_entry(&m->tasks, struct task_struct, tasks));
	htab_destroy(&m->task_names);
	hugepage_shutdown(&m->vm);
	/* kmem_cache_finish() frees whatever is left of them */
	if (m->vm.anon_vma_chain_cachep)
		kmem_cache_destroy(m->vm.anon_vma_chain_cachep);
	if (m->vm.anon_vma_cachep)
		kmem_cache_destroy(m->vm.anon_vma_cachep);
	if (m->vm.vm_area_cachep)
		kmem_cache_destroy(m->vm.vm_area_cachep);
	if (m->mm_cachep)
		kmem_cache_destroy(m->mm_cachep);
	if (m->task_struct_cachep)
		kmem_cache_destroy(m->task_struct_cachep);
	m->vm.anon_vma_chain_cachep = m->vm.anon_vma_cachep = m->vm.vm_area_cachep = NULL;
	m->mm_cachep = m->task_struct_cachep = NULL;
}

const char *task_name(const struct task_struct *t)
{
	return ((const struct task_named *)t)->name;
}

struct task_struct *task_find(struct vmsim_machine *m, const char *name)
{
	struct htab_iter it;
	struct task_named *tn;

	htab_for_each_possible(&m->task_names, htab_hash_str(&m->task_names, name), it, tn)
		if (strcmp(tn->name, name) == 0)
			return &tn->t;
	return NULL;
}

/* Make @t visible: on the task list, in the name hash, under its parent.
 * -ENOMEM (the hash could not grow) leaves it nowhere. */
static int attach_pid(struct vmsim_machine *m, struct task_struct *t)
{
	struct task_named *tn = (struct task_named *)t;

	if (htab_insert(&m->task_names, htab_hash_str(&m->task_names, tn->name), tn))
		return -ENOMEM;
	list_add_tail(&t->tasks, &m->tasks);
	if (t->parent)
		list_add_tail(&t->sibling, &t->parent->children);
	m->nr_threads++;
	return 0;
}

uint64_t task_pgd(const struct task_struct *t)
{
	return t->mm->pgd;
}

/* ---- mm ---- */

struct mm_struct *mm_alloc(struct vmsim_machine *m)
{
	struct mm_struct *mm = allocate_mm(m);

	if (!mm)
		return NULL;
	mm->vm = &m->vm;
	INIT_LIST_HEAD(&mm->mmap_list);
	INIT_LIST_HEAD(&mm->mmlist);
	mm->mm_rb = RB_ROOT;
	if (mm_pgd_alloc(m, &mm->pgd)) {
		free_mm(m, mm);
		return NULL;
	}
	list_add_tail(&mm->mm_list, &m->vm.mm_list);
	mm->ctx_id = ++m->vm.last_ctx_id;
	mm->task_size = m->cfg.task_size;
	mm->mmap_min_addr = m->cfg.mmap_min_addr;
	mm->stack_rlimit = m->cfg.stack_rlimit;
	mm->memlock_rlimit = m->cfg.memlock_rlimit;
	mm->cap_ipc_lock = m->cfg.cap_ipc_lock;
	mm->mmap_base = m->cfg.mmap_base;
	/* mmap_legacy_base(): TASK_UNMAPPED_BASE, PAGE_ALIGN(TASK_SIZE / 3)
	 * of task_size_64bit(0), the DEFAULT_MAP_WINDOW */
	mm->mmap_legacy_base = PAGE_ALIGN(config_map_window(&m->cfg) / 3);
	mm->stack_guard_gap = (uint64_t)STACK_GUARD_GAP_PAGES << PAGE_SHIFT;
	mm->mm_users = 1;
	mm->mm_count = 1;
	mm_track_dirty(mm);
	return mm;
}

/* Take every CPU off @mm (they run the kernel's tables, as a CPU that
 * switched to init_mm does) so that its root can go. */
static void leave_mm(struct mm_struct *mm)
{
	struct vmsim_machine *m = vm_machine(mm->vm);

	for (unsigned c = 0; c < m->nr_cpus; c++)
		if (m->current[c] && m->current[c]->mm == mm) {
			m->current[c] = NULL;
			if (c == 0 && m->pm.events)
				m->pm.events->task = NULL;
		}
	tlb_leave_mm(mm);
}

static void mmdrop(struct mm_struct *mm)
{
	struct vmsim_machine *m = vm_machine(mm->vm);

	if (--mm->mm_count)
		return;
	leave_mm(mm);
	list_del(&mm->mm_list);
	check_mm_freed(mm);
	mm_track_release(mm);
	mm_pgd_free(m, mm->pgd);
	free_mm(m, mm);
}

void mmput(struct mm_struct *mm)
{
	mm_track_dirty(mm);
	if (VM_BUG_ON_MM(mm->mm_users <= 0, mm))
		return;
	if (--mm->mm_users)
		return;
	exit_mmap(mm);
	if (!list_empty(&mm->mmlist))
		list_del_init(&mm->mmlist);	/* off swapoff's list */
	mmdrop(mm);
}

/* ---- spawn ---- */

static struct task_struct *new_task(struct vmsim_machine *m, const char *name, int *err)
{
	struct task_struct *t;

	if (!name[0] || strlen(name) >= TASK_NAME_LEN) {
		*err = -EINVAL;
		return NULL;
	}
	if (task_find(m, name)) {
		*err = -EEXIST;
		return NULL;
	}
	t = alloc_task_struct(m);
	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(((struct task_named *)t)->name, TASK_NAME_LEN, "%s", name);
	snprintf(t->comm, sizeof(t->comm), "%s", name);	/* truncated like set_task_comm */
	INIT_LIST_HEAD(&t->tasks);
	INIT_LIST_HEAD(&t->children);
	INIT_LIST_HEAD(&t->sibling);
	INIT_LIST_HEAD(&t->cg_list);
	if (alloc_thread_stack(m, t)) {
		free_task_struct(m, t);
		*err = -ENOMEM;
		return NULL;
	}
	return t;
}

static void free_task(struct vmsim_machine *m, struct task_struct *t)
{
	if (t->stack_page) {
		account_kernel_stack(m, t, -1);
		__free_pages(&m->pm, t->stack_page, t->stack_order);
	}
	free_task_struct(m, t);
}

/* setup_arg_pages(): the stack VMA below STACK_TOP (= TASK_SIZE_LOW, the
 * DEFAULT_MAP_WINDOW, without randomization), growing down, with
 * start_stack inside it. */
static int setup_stack(struct mm_struct *mm, uint64_t size)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);
	const uint64_t top = config_map_window(mm->vm->cfg);

	if (!vma)
		return -ENOMEM;
	size = PAGE_ALIGN(size);
	vma->vm_start = top - size;
	vma->vm_end = top;
	vma->vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			VM_GROWSDOWN | VM_ACCOUNT | VM_SOFTDIRTY;
	vma->vm_page_prot = vm_get_page_prot(mm, vma->vm_flags);
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma_link(mm, vma);
	vm_stat_account(mm, vma->vm_flags, (long)vma_pages(vma));
	update_hiwater_vm(mm);
	mm->start_stack = top - 0x20;
	return 0;
}

static int __task_spawn(struct vmsim_machine *m, const char *name, const struct spawn_args *a,
			struct task_struct **out)
{
	static const struct spawn_args none;
	struct task_struct *t;
	struct mm_struct *mm;
	int ret = 0;

	if (!a)
		a = &none;
	if (task_caches_init(m))
		return -ENOMEM;
	if (a->stack_size && (a->stack_size > m->cfg.task_size / 2 ||
			      (a->stack_rlimit ? a->stack_rlimit : m->cfg.stack_rlimit) <
			      PAGE_ALIGN(a->stack_size)))
		return -EINVAL;
	t = new_task(m, name, &ret);
	if (!t)
		return ret;
	mm = mm_alloc(m);
	if (!mm) {
		free_task(m, t);
		return -ENOMEM;
	}
	if (a->stack_rlimit) {
		/* setup_new_exec(): mmap_base follows the task's rlimit */
		mm->stack_rlimit = a->stack_rlimit;
		mm->mmap_base = config_mmap_base(&m->cfg, a->stack_rlimit);
	}
	/* no image: brk starts where a static-pie's would, ELF_ET_DYN_BASE
	 * (DEFAULT_MAP_WINDOW / 3 * 2) page aligned */
	mm->start_brk = mm->brk = a->start_brk ? PAGE_ALIGN(a->start_brk) :
				  PAGE_ALIGN(config_map_window(&m->cfg) / 3 * 2);
	if (a->stack_size && setup_stack(mm, a->stack_size)) {
		mmput(mm);
		free_task(m, t);
		return -ENOMEM;
	}
	t->mm = mm;
	mm->owner = t;		/* mm_init_owner() */
	if (attach_pid(m, t)) {
		mmput(mm);
		free_task(m, t);
		return -ENOMEM;
	}
	t->pid = ++m->last_pid;
	cgroup_fork(t, NULL);	/* a new process starts in the root cgroup */
	*out = t;
	return 0;
}

int task_spawn(struct vmsim_machine *m, const char *name, const struct spawn_args *a,
	       struct task_struct **out)
{
	int ret;

	/* the new process comes from outside the machine: the kernel makes
	 * it, no task's cgroup pays for its stack and tables */
	kernel_thread_enter(m);
	ret = __task_spawn(m, name, a, out);
	task_leave_kernel(m);
	return ret;
}

/* ---- fork ---- */

/* dup_mmap(): the child gets a copy of every VMA but the VM_DONTCOPY ones
 * (linked to the parent's anon_vmas and to one of its own, anon_vma_fork)
 * and of the PTEs of anonymous memory, write-protected in both for private
 * writable mappings; a VM_WIPEONFORK VMA comes empty, with no anon_vma
 * until its first fault. */
static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *mpnt, *tmp;
	int ret;

	for_each_vma(oldmm, mpnt) {
		if (mpnt->vm_flags & VM_DONTCOPY)
			continue;
		tmp = vm_area_dup(mpnt);
		if (!tmp)
			return -ENOMEM;
		tmp->vm_mm = mm;
		tmp->vm_flags &= ~VM_LOCKED_MASK;	/* mlock is not inherited */
		if (tmp->vm_flags & VM_WIPEONFORK) {
			/* a clean slate in the child: no anon_vma until its
			 * first fault, as no page is copied */
			tmp->anon_vma = NULL;
		} else if (anon_vma_fork(tmp, mpnt)) {
			/* the child's VMA joins the parent's anon_vmas and
			 * gets one of its own for the pages it will copy */
			tmp->anon_vma = NULL;
			vm_area_free(tmp);
			return -ENOMEM;
		}
		vma_link(mm, tmp);
		vm_stat_account(mm, tmp->vm_flags, (long)vma_pages(tmp));
		if (tmp->vm_flags & VM_WIPEONFORK)
			continue;	/* its pages stay the parent's */
		ret = copy_page_range(tmp, mpnt);
		if (ret)
			return ret;
	}
	/* the parent's PTEs lost RW: no stale writable TLB entry may stay */
	flush_tlb_mm_range(oldmm, 0, oldmm->task_size);
	return 0;
}

static struct mm_struct *dup_mm(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_alloc(vm_machine(oldmm->vm));

	if (!mm)
		return NULL;
	mm->task_size = oldmm->task_size;
	mm->mmap_base = oldmm->mmap_base;
	mm->mmap_legacy_base = oldmm->mmap_legacy_base;
	mm->mmap_min_addr = oldmm->mmap_min_addr;
	mm->stack_rlimit = oldmm->stack_rlimit;
	mm->memlock_rlimit = oldmm->memlock_rlimit;
	mm->cap_ipc_lock = oldmm->cap_ipc_lock;
	mm->stack_guard_gap = oldmm->stack_guard_gap;
	mm->start_code = oldmm->start_code;
	mm->end_code = oldmm->end_code;
	mm->start_data = oldmm->start_data;
	mm->end_data = oldmm->end_data;
	mm->start_brk = oldmm->start_brk;
	mm->brk = oldmm->brk;
	mm->start_stack = oldmm->start_stack;
	mm->arg_start = oldmm->arg_start;
	mm->arg_end = oldmm->arg_end;
	mm->env_start = oldmm->env_start;
	mm->env_end = oldmm->env_end;
	/* mm_init(): only VM_INIT_DEF_MASK (VM_NOHUGEPAGE) is inherited, not
	 * the lock of mlockall(MCL_FUTURE) */
	mm->def_flags = oldmm->def_flags & ~VM_LOCKED_MASK;
	mm->flags = oldmm->flags & MMF_INIT_MASK;
	/* dup_mm() memcpy()s the parent: the high-water marks come along */
	mm->hiwater_vm = oldmm->hiwater_vm;
	mm->hiwater_rss = oldmm->hiwater_rss;
	if (dup_mmap(mm, oldmm)) {
		mmput(mm);
		return NULL;
	}
	update_hiwater_vm(mm);
	update_hiwater_rss(mm);
	return mm;
}

static int __do_fork(struct task_struct *parent, const char *name, unsigned long clone_flags,
		     struct task_struct **out)
{
	struct vmsim_machine *m = vm_machine(parent->mm->vm);
	struct task_struct *t;
	int ret = 0;

	t = new_task(m, name, &ret);
	if (!t)
		return ret;
	/* copy_thread(): the child starts with the parent's FS/GS, saved
	 * first if the parent is running */
	for (unsigned c = 0; c < m->nr_cpus; c++)
		if (m->current[c] == parent)
			save_task_fsgs(m, c, parent);
	t->thread = parent->thread;
	/* copy_signal(): the OOM score adjustment is the process's */
	t->oom_score_adj = parent->oom_score_adj;
	if (clone_flags & CLONE_VM) {
		t->mm = parent->mm;
		t->mm->mm_users++;
		mm_track_dirty(t->mm);
	} else {
		t->mm = dup_mm(parent->mm);
		if (!t->mm) {
			free_task(m, t);
			return -ENOMEM;
		}
		t->mm->owner = t;	/* mm_init_owner() */
	}
	t->parent = parent;
	if (attach_pid(m, t)) {
		mmput(t->mm);
		free_task(m, t);
		return -ENOMEM;
	}
	t->pid = ++m->last_pid;
	cgroup_fork(t, parent);
	*out = t;
	return 0;
}

int do_fork(struct task_struct *parent, const char *name, unsigned long clone_flags,
	    struct task_struct **out)
{
	int ret;

	/* the parent's system call: its memory may be charged, it may be
	 * chosen by the OOM killer, it stays until the call returns */
	task_enter_kernel(parent);
	ret = __do_fork(parent, name, clone_flags, out);
	task_leave_kernel(vm_machine(parent->mm->vm));
	return ret;
}

/* ---- exit and switch ---- */

void do_exit(struct task_struct *t)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	struct task_struct *o, *tmp;

	t->exiting = true;	/* PF_EXITING */
	for (unsigned c = 0; c < CFG_MAX_CPUS; c++)
		if (m->in_kernel[c] == t)
			m->in_kernel[c] = NULL;	/* its system call ends with it */
	for (unsigned c = 0; c < m->nr_cpus; c++)
		if (m->current[c] == t)
			/* the CPU goes idle keeping the mm lazily; exit_mmap()'s
			 * shootdown of the freed tables takes it to init_mm */
			cpu_idle(m, c);
	/* forget_original_parent(): only the children are touched */
	list_for_each_entry_safe(o, tmp, &t->children, sibling) {
		o->parent = NULL;	/* reparented (to init) */
		list_del_init(&o->sibling);
	}
	if (t->parent)
		list_del_init(&t->sibling);
	htab_remove(&m->task_names, htab_hash_str(&m->task_names, task_name(t)),
		    (struct task_named *)t);
	list_del(&t->tasks);
	m->nr_threads--;
	/* exit_mm(): a new owner for a shared mm, then the cgroup is left */
	cgroup_exit(t);
	mmput(t->mm);
	free_task(m, t);
}

struct task_struct *get_current(struct vmsim_machine *m)
{
	unsigned cpu = m->pm.this_cpu;

	return m->kernel_depth[cpu] ? m->in_kernel[cpu] : m->current[cpu];
}

void kernel_thread_enter(struct vmsim_machine *m)
{
	unsigned cpu = m->pm.this_cpu;

	if (!m->kernel_depth[cpu]++)
		m->in_kernel[cpu] = NULL;
}

void task_enter_kernel(struct task_struct *t)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	unsigned cpu = m->pm.this_cpu;

	/* nested calls are the same task's (a fault inside its system call) */
	if (!m->kernel_depth[cpu]++)
		m->in_kernel[cpu] = t;
}

void task_leave_kernel(struct vmsim_machine *m)
{
	unsigned cpu = m->pm.this_cpu;

	if (m->kernel_depth[cpu] && !--m->kernel_depth[cpu])
		m->in_kernel[cpu] = NULL;
}

bool mm_in_use(struct vmsim_machine *m, const struct mm_struct *mm)
{
	for (unsigned c = 0; c < CFG_MAX_CPUS; c++)
		if (m->in_kernel[c] && m->in_kernel[c]->mm == mm)
			return true;
	return false;
}

void exit_to_user_mode(struct vmsim_machine *m)
{
	/* resume_user_mode_work(): memory.high's reclaim, for the task that
	 * ran up the charges on this CPU */
	if (m->vm.memcg)
		mem_cgroup_handle_over_high(&m->vm, GFP_KERNEL);
	/* get_signal(): SIGKILL takes the OOM killer's victims */
	oom_exit_victims(m);
}

void context_switch(struct vmsim_machine *m, unsigned c, struct task_struct *t)
{
	struct task_struct *prev = m->current[c];

	if (prev && prev != t)
		save_task_fsgs(m, c, prev);
	t->nvcsw++;
	m->current[c] = t;
	if (c == 0 && m->pm.events)
		m->pm.events->task = ((struct task_named *)t)->name;	/* "task=NAME" */
	/* same mm (CLONE_VM): no CR3 write, no flush */
	switch_mm_irqs_off(&m->vm, c, t->mm);
	if (prev != t)
		load_task_fsgs(m, c, t);
}

void cpu_idle(struct vmsim_machine *m, unsigned c)
{
	struct task_struct *prev = m->current[c];

	if (prev)
		save_task_fsgs(m, c, prev);
	m->current[c] = NULL;
	if (c == 0 && m->pm.events)
		m->pm.events->task = NULL;
	enter_lazy_tlb(&m->vm, c);
}

/* ---- user accesses and the fault handler ---- */

/*
 * do_user_addr_fault(): 0 when the fault was handled (retry the access),
 * SEGV_MAPERR / SEGV_ACCERR for a SIGSEGV, FAULT_SIGBUS for a SIGBUS,
 * -ENOMEM when out of memory.
 */
int do_user_addr_fault(struct task_struct *t, const struct vmsim_fault *f)
{
	struct mm_struct *mm = t->mm;
	const uint32_t ec = f->error_code;
	struct vm_area_struct *vma;
	unsigned flags = FAULT_FLAG_USER, ret;

	if (f->gp)
		return SEGV_MAPERR;	/* non-canonical: #GP, SIGSEGV (SI_KERNEL) */
	if (ec & X86_PF_RSVD)
		return SEGV_ACCERR;	/* pgtable_bad(): a corrupted table */
	vma = find_vma(mm, f->addr);
	if (!vma)
		return SEGV_MAPERR;
	if (vma->vm_start > f->addr) {
		if (!(vma->vm_flags & VM_GROWSDOWN) || expand_downwards(mm, vma, f->addr))
			return SEGV_MAPERR;
		t->fst.stack_grow++;
	}
	/* access_error() */
	if (ec & X86_PF_WRITE) {
		if (!(vma->vm_flags & VM_WRITE))
			return SEGV_ACCERR;
		flags |= FAULT_FLAG_WRITE;
	} else if (ec & X86_PF_PROT) {
		return SEGV_ACCERR;	/* read or fetch of a present page */
	} else if (!(vma->vm_flags & VM_ACCESS_FLAGS)) {
		return SEGV_ACCERR;
	}
	if (ec & X86_PF_INSTR)
		flags |= FAULT_FLAG_INSTRUCTION;
	ret = handle_mm_fault(vma, f->addr, flags, &t->fst);
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & VM_FAULT_SIGBUS)
		return FAULT_SIGBUS;	/* do_sigbus(): BUS_ADRERR at the address */
	if (ret & VM_FAULT_SIGSEGV)
		return SEGV_MAPERR;
	/* mm_account_fault(): a fault that read from a file or swap is major */
	if (ret & VM_FAULT_MAJOR)
		t->fst.maj_flt++;
	else
		t->fst.min_flt++;
	return 0;
}

/*
 * A user store translated to @pa in a page-table page, the zero page, a
 * page of the huge zero page or a frame of the simulator's own structures:
 * only a corrupted entry (a table entry whose address names another frame,
 * a PS bit set on a table entry, a huge PMD whose address names another
 * span -- each 4 KiB of a large leaf is judged alone --, a hand-edited
 * PTE) maps such a frame into user space writable.  On a real machine the
 * store would corrupt the kernel's memory; here it would turn one bad
 * entry into PTEs no walk can tell from real ones, into non-zero bytes in
 * every zero-page mapping, or rewrite the host's own pointers.  So it is dropped, with one line on the console and
 * a wild_store event.  Returns true when @pa is such a frame.
 */
bool task_store_refused(struct vmsim_machine *m, const struct task_struct *t, uint64_t va,
			uint64_t pa)
{
	const unsigned long pfn = (unsigned long)(pa >> PAGE_SHIFT);
	const char *what;

	if (frame_holds_host_structs(&m->pm, pfn))
		what = "a slab page of the simulator's own structures";
	else if (pfn_valid(&m->pm, pfn) && PageTable(pfn_to_page(&m->pm, pfn)))
		what = "a page-table page";
	else if (pfn_valid(&m->pm, pfn) && pfn_to_page(&m->pm, pfn) == m->vm.zero_page)
		what = "the zero page";
	else if (pfn_valid(&m->pm, pfn) &&
		 is_huge_zero_folio(&m->vm, compound_head(pfn_to_page(&m->pm, pfn))))
		what = "the huge zero page";
	else
		return false;
	m->nr_dropped_stores++;
	EV(m->pm.events, "wild_store", "task=%s va=%#" PRIx64 " pa=%#" PRIx64, task_name(t), va,
	   pa);
	if (m->pt.console) {
		fflush(stdout);
		fprintf(m->pt.console, "vmsim: %s[%d]: store to %#" PRIx64 " lands in %s (pa %#" PRIx64
			"), through a corrupted mapping: dropped\n", t->comm, t->pid, va, what, pa);
		fflush(m->pt.console);
	}
	return true;
}

int task_access(struct task_struct *t, uint64_t va, enum mmu_access acc, void *buf,
		size_t size, struct access_result *r)
{
	return task_access_inline(t, va, acc, buf, size, r);
}

/* ---- the task index, for the checker ---- */

int check_task_index(struct vmsim_machine *m, struct mm_struct **mms, int *users, size_t *nr,
		     struct vmsim_error *err)
{
	unsigned long tasks = 0, with_parent = 0, children = 0;
	struct task_struct *t, *c;
	struct htab by_mm;	/* mm -> its index in @mms */
	int ret = 0;

	*nr = 0;
	htab_init(&by_mm, &m->ha);
	list_for_each_entry(t, &m->tasks, tasks) {
		uint64_t hash = htab_hash_u64(&by_mm, (uint64_t)(uintptr_t)t->mm);
		struct mm_struct **u = NULL, **x;
		struct htab_iter it;

		if (++tasks > m->nr_threads)
			break;
		if (task_find(m, task_name(t)) != t) {
			ret = verr(err, -EFAULT, "task %s: not found under its name", task_name(t));
			break;
		}
		htab_for_each_possible(&by_mm, hash, it, x)
			if (*x == t->mm)
				u = x;
		if (!u) {
			u = &mms[*nr];
			*u = t->mm;
			users[(*nr)++] = 0;
			if (htab_insert(&by_mm, hash, u)) {
				ret = verr(err, -ENOMEM, "out of host memory");
				break;
			}
		}
		users[u - mms]++;
		with_parent += t->parent != NULL;
		list_for_each_entry(c, &t->children, sibling) {
			if (c->parent != t) {
				ret = verr(err, -EFAULT, "task %s: on the children of %s, whose child it "
					   "is not", task_name(c), task_name(t));
				break;
			}
			children++;
		}
		if (ret)
			break;
	}
	htab_destroy(&by_mm);
	if (ret)
		return ret;
	if (tasks != m->nr_threads || m->task_names.nr != m->nr_threads)
		return verr(err, -EFAULT, "tasks: nr_threads %lu, %lu%s on the list, %zu by name",
			    m->nr_threads, tasks, tasks > m->nr_threads ? " or more" : "",
			    m->task_names.nr);
	if (with_parent != children)
		return verr(err, -EFAULT, "tasks: %lu have a parent, %lu are on children lists",
			    with_parent, children);
	return 0;
}
