/*
 * Control groups, the part the simulator has (kernel/cgroup/cgroup.c with
 * the memory controller of cgroup v2): a tree of cgroups by path, tasks
 * attached to one each, a new task joining its parent's, and the owner of
 * each mm, whose cgroup its pages are charged to (mm->owner,
 * mm_update_next_owner()).  The cgroups themselves are the memory
 * controller's (vma/memcontrol.h).
 */
#ifndef VMSIM_KERN_CGROUP_H
#define VMSIM_KERN_CGROUP_H

#include <stdbool.h>

struct vmsim_machine;
struct vmsim_error;
struct task_struct;
struct mm_struct;
struct mem_cgroup;

/* Boot: the root cgroup and the memory controller; -ENOMEM. */
int cgroup_init(struct vmsim_machine *m, struct vmsim_error *err);
/* Shutdown, after every task is gone. */
void cgroup_finish(struct vmsim_machine *m);

/*
 * mkdir of the cgroup at @path under the root ("a", "a/b", "/a/b"),
 * with the parents it lacks; an existing one is returned as it is.  Like
 * cgroup v2's "no internal processes" rule, a cgroup that has tasks gets
 * no children: -EBUSY.  -EINVAL for a bad name, -ENOSPC when no memcg id
 * is left, -ENOMEM.
 */
int cgroup_mkdir(struct vmsim_machine *m, const char *path, struct mem_cgroup **out);
/*
 * Write @t's pid to @memcg's cgroup.procs: it moves there (its charges
 * stay where they are, as in cgroup v2).  -EBUSY for a cgroup with
 * children (no internal processes), except the root.
 */
int cgroup_attach_task(struct task_struct *t, struct mem_cgroup *memcg);

/* cgroup_post_fork(): @child joins @parent's cgroup (spawned: the root). */
void cgroup_fork(struct task_struct *child, struct task_struct *parent);
/* cgroup_exit() and mm_update_next_owner(): @t leaves its cgroup, and an
 * mm it owned gets another owner among the tasks still using it. */
void cgroup_exit(struct task_struct *t);

/*
 * The charge checker: every page a task maps, a file caches or a shared
 * memory object holds is charged to a live cgroup; each cgroup's usage is
 * the pages charged to it, plus what the per-CPU stocks hold for it, plus
 * its children's usage; and each node's and cgroup's page statistics
 * (anon, file, mapped, shmem, dirty) equal a recount of those pages.
 * 0, or -EFAULT with the first violation in @err.
 */
int cgroup_check(struct vmsim_machine *m, struct vmsim_error *err);

#endif
