/*
 * Tasks (include/linux/sched.h, kernel/fork.c, kernel/exit.c): a
 * task_struct with its pid, name, kernel stack and mm; creating one with an
 * empty address space (spawn: what exec leaves before it maps anything),
 * fork with or without CLONE_VM, exit, the context switch (CR3 load), and
 * user accesses that fault and retry like a CPU running the task.
 */
#ifndef VMSIM_KERN_TASK_H
#define VMSIM_KERN_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/mmu.h"
#include "util/list.h"
#include "vma/mm_types.h"

struct vmsim_machine;
struct vmsim_error;
struct mem_cgroup;

#define TASK_COMM_LEN 16
#define CLONE_VM 0x00000100

/* SIGSEGV si_code (the same values as <signal.h>, which may define them too) */
#ifndef SEGV_MAPERR
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#endif
#ifndef BUS_ADRERR
#define BUS_ADRERR 2		/* SIGBUS si_code: nonexistent physical address */
#endif
/* do_user_addr_fault()'s SIGBUS (BUS_ADRERR), apart from the SIGSEGV codes */
#define FAULT_SIGBUS 0x100

struct task_struct {
	int pid;
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;
	struct list_head tasks;		/* on machine->tasks */
	struct task_struct *parent;	/* NULL: no parent (spawned, or reparented to init) */
	struct list_head children;	/* the tasks whose parent this is */
	struct list_head sibling;	/* on parent->children */
	struct page *stack_page;	/* kernel stack: THREAD_SIZE from the buddy */
	unsigned stack_order;
	uint64_t stack;			/* its kernel virtual address */
	struct fault_stats fst;		/* min_flt, cow, zero_page, segv, ... */
	unsigned long nvcsw;		/* context switches onto a CPU */
	/* cgroup membership (kern/cgroup.c): Linux's task->cgroups is a
	 * css_set; the memory controller is the only one here, so it names
	 * the memory cgroup itself */
	struct mem_cgroup *cgroups;
	struct list_head cg_list;	/* on cgroups->tasks */
	/* the OOM killer (kern/oom_kill.c) */
	short oom_score_adj;		/* signal->oom_score_adj, -1000..1000 */
	bool sigkill;			/* SIGKILL pending: the task exits when it
					 * next returns to user mode */
	bool oom_victim;		/* tsk_is_oom_victim(): chosen by the OOM killer */
	bool exiting;			/* PF_EXITING: in do_exit() */
};

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000

/* Options of a new task's address space, as exec would set them. */
struct spawn_args {
	uint64_t start_brk;		/* 0: the arch default (ELF_ET_DYN_BASE) */
	uint64_t stack_size;		/* 0: no stack VMA; else a [stack] VMA this big */
	uint64_t stack_rlimit;		/* 0: the config's */
};

/* Called by machine_boot()/machine_shutdown(). */
int task_init(struct vmsim_machine *m, struct vmsim_error *err);
void task_shutdown(struct vmsim_machine *m);

/* The task named @name, or NULL (a hash lookup: m->task_names). */
struct task_struct *task_find(struct vmsim_machine *m, const char *name);
/* The page-table root (physical) of @t's mm, what CR3 holds when it runs. */
uint64_t task_pgd(const struct task_struct *t);

/* A new task with an empty mm.  -EEXIST (name taken), -ENOMEM, -EINVAL. */
int task_spawn(struct vmsim_machine *m, const char *name, const struct spawn_args *a,
	       struct task_struct **out);
/* fork(): a copy of @parent named @name; CLONE_VM in @clone_flags shares the mm. */
int do_fork(struct task_struct *parent, const char *name, unsigned long clone_flags,
	    struct task_struct **out);
/* exit(): release the mm reference, the kernel stack and the task; its
 * children lose their parent (Linux reparents them to init). */
void do_exit(struct task_struct *t);
/* Run @t on CPU @cpu: load its CR3 (switch_mm_irqs_off). */
void context_switch(struct vmsim_machine *m, unsigned cpu, struct task_struct *t);

/* The result of a user access. */
struct access_result {
	int segv;			/* 0, SEGV_MAPERR or SEGV_ACCERR */
	int sigbus;			/* 0 or BUS_ADRERR: a SIGBUS instead */
	uint64_t segv_addr;		/* the address of either signal (si_addr) */
	unsigned faults;		/* page faults taken on the way */
	bool killed;			/* the task got SIGKILL (the OOM killer chose
					 * it) during the access, which did not
					 * complete; it exits at exit_to_user_mode() */
};

/*
 * The page fault a user access of @t took (@f from translate()), as
 * arch/x86/mm/fault.c do_user_addr_fault() handles it: find the VMA, grow
 * the stack, check the access, handle_mm_fault().  0 when the access can
 * be retried, SEGV_MAPERR/SEGV_ACCERR for a SIGSEGV, FAULT_SIGBUS for a
 * SIGBUS (mm_fault_error() of VM_FAULT_SIGBUS: a file page wholly past the
 * end of the file), -ENOMEM when the kernel ran out of memory.
 */
int do_user_addr_fault(struct task_struct *t, const struct vmsim_fault *f);

/*
 * current (include/asm-generic/current.h): the task whose system call or
 * page fault is running on the allocating CPU (task_enter_kernel()), else
 * the task running on that CPU, else NULL (the kernel itself).
 */
struct task_struct *get_current(struct vmsim_machine *m);

/*
 * A system call or page fault of @t starts (the caller is about to act on
 * its mm for it) or ends.  While it runs, @t is current and its mm is in
 * use: the OOM killer may choose @t (or a task sharing its mm), but that
 * memory comes back only after exit_to_user_mode(), as the kernel's victim
 * exits on its way back to user mode.  Calls nest.
 */
void task_enter_kernel(struct task_struct *t);
/* The same for the kernel's own work (a kernel thread: current is NULL). */
void kernel_thread_enter(struct vmsim_machine *m);
void task_leave_kernel(struct vmsim_machine *m);
/* Is a system call or fault of a task using @mm running? */
bool mm_in_use(struct vmsim_machine *m, const struct mm_struct *mm);
/*
 * exit_to_user_mode(): the tasks return to user mode.  Charges that took
 * a cgroup above memory.high are paid by reclaim
 * (mem_cgroup_handle_over_high()), and every task with SIGKILL pending
 * whose mm no running call uses exits (do_exit()): the OOM victims'
 * memory returns.  The outermost caller calls it after a step (a
 * scenario's op, an access of a replay, an exec); a task pointer held
 * across it may be gone.
 */
void exit_to_user_mode(struct vmsim_machine *m);

/* The name a scenario gave the task (comm changes at exec; this does not). */
const char *task_name(const struct task_struct *t);

/*
 * An access of @size bytes (1..8, may cross a page) at @va by @t on CPU 0
 * (switched to first if needed): translate, take the page fault, retry, as
 * the CPU and do_user_addr_fault() would.  @buf is read from (write) or
 * written to (read, fetch); a NULL @buf makes a write store nothing (a
 * read-modify-write that keeps the bytes, a read or fetch that moves none).
 * 0, or -ENOMEM when the kernel ran out of memory, or -EOPNOTSUPP for a
 * @buf on a machine that keeps no page contents (memory.contents: none); a
 * SIGSEGV is a result in @r, not an error.
 */
int task_access(struct task_struct *t, uint64_t va, enum mmu_access acc, void *buf,
		size_t size, struct access_result *r);

/* Every mm's check_mm(), plus refcounts and mapcounts of every mapped
 * frame against the mappings of all tasks (kern/check.c). */
int task_check_all(struct vmsim_machine *m, struct vmsim_error *err);
/* The task list, the name hash and the children lists agree, and
 * nr_threads counts the tasks; each mm the tasks use goes once into @mms
 * (room for nr_threads), in the order of its first task, with the number
 * of tasks using it in @users; *nr gets the number of mms.  Linear in the
 * tasks.  0, or -EFAULT / -ENOMEM with @err. */
int check_task_index(struct vmsim_machine *m, struct mm_struct **mms, int *users, size_t *nr,
		     struct vmsim_error *err);

/* mm life cycle (kernel/fork.c) */
struct mm_struct *mm_alloc(struct vmsim_machine *m);
void mmput(struct mm_struct *mm);

#endif
