/*
 * The public API of tasks (include/vmsim/task.h): life cycle, exec, the
 * memory system calls and user accesses, each a thin shell over the
 * kernel's own call (task_spawn, do_fork, do_execve, vm_mmap, ...).
 * Invariant: a public call checks its arguments before it reaches the
 * kernel's code, which trusts them; errnos are the kernel's, unchanged.
 * A struct vmsim_task * is the task_struct itself, never dereferenced as
 * anything else.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "kern/task_access.h"
#include "util/config.h"
#include "util/err.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vmsim/task.h"

#define MAX_EXEC_STRINGS 4096

static inline struct task_struct *TS(const struct vmsim_task *t)
{
	return (struct task_struct *)(uintptr_t)t;
}

static inline struct vmsim_task *VT(struct task_struct *t)
{
	return (struct vmsim_task *)t;
}

int vmsim_task_spawn(struct vmsim_machine *m, const char *name, const struct vmsim_spawn_opts *o,
		     struct vmsim_task **out)
{
	struct spawn_args a = { 0 };
	struct task_struct *t;
	int ret;

	if (!m || !name || !out)
		return -EINVAL;
	if (o) {
		a.start_brk = o->start_brk;
		a.stack_size = o->stack_size;
		a.stack_rlimit = o->stack_rlimit;
	}
	ret = task_spawn(m, name, &a, &t);
	*out = ret ? NULL : VT(t);
	return ret;
}

int vmsim_task_fork(struct vmsim_task *parent, const char *name, unsigned long clone_flags,
		    struct vmsim_task **out)
{
	struct task_struct *t;
	int ret;

	if (!parent || !name || !out || (clone_flags & ~(unsigned long)CLONE_VM))
		return -EINVAL;
	ret = do_fork(TS(parent), name, clone_flags, &t);
	*out = ret ? NULL : VT(t);
	return ret;
}

void vmsim_task_exit(struct vmsim_task *t)
{
	if (t)
		do_exit(TS(t));
}

int vmsim_task_switch(struct vmsim_machine *m, unsigned cpu, struct vmsim_task *t)
{
	if (!m || !t || cpu >= m->nr_cpus || TS(t)->mm->vm != &m->vm)
		return -EINVAL;
	context_switch(m, cpu, TS(t));
	return 0;
}

struct vmsim_task *vmsim_task_current(struct vmsim_machine *m, unsigned cpu)
{
	return m && cpu < m->nr_cpus ? VT(m->current[cpu]) : NULL;
}

struct vmsim_task *vmsim_task_find(struct vmsim_machine *m, const char *name)
{
	return m && name ? VT(task_find(m, name)) : NULL;
}

int vmsim_task_pid(const struct vmsim_task *t)
{
	return t ? TS(t)->pid : -EINVAL;
}

const char *vmsim_task_name(const struct vmsim_task *t)
{
	return t ? task_name(TS(t)) : NULL;
}

struct vmsim_machine *vmsim_task_machine(const struct vmsim_task *t)
{
	return t ? vm_machine(TS(t)->mm->vm) : NULL;
}

/* The length of a NULL-terminated list, at most MAX_EXEC_STRINGS. */
static int count_strings(const char *const *v)
{
	int n = 0;

	while (v && v[n] && n <= MAX_EXEC_STRINGS)
		n++;
	return n;
}

int vmsim_task_exec(struct vmsim_task *vt, const struct vmsim_exec_opts *o,
		    struct vmsim_exec_info *info, struct vmsim_error *err)
{
	struct task_struct *t = TS(vt);
	struct exec_args a = { 0 };
	struct exec_result r;
	struct page_cache *pc;
	const char *argv0[2];
	int ret;

	if (!t || !o || !o->path)
		return verr(err, -EINVAL, "exec: no task or no path");
	a.argc = count_strings(o->argv);
	a.envc = count_strings(o->envp);
	if (a.argc > MAX_EXEC_STRINGS || a.envc > MAX_EXEC_STRINGS)
		return verr(err, -E2BIG, "%s: more than %d arguments or environment strings",
			    o->path, MAX_EXEC_STRINGS);
	if (!o->argv) {
		argv0[0] = o->path;
		argv0[1] = NULL;
		a.argv = argv0;
		a.argc = 1;
	} else {
		a.argv = o->argv;
	}
	a.envp = o->envp;
	a.filename = o->path;
	a.host_path = o->host_path ? o->host_path : o->path;
	a.sysroot = o->sysroot;
	a.stack_rlimit = o->stack_rlimit == VMSIM_UNLIMITED ? CFG_UNLIMITED : o->stack_rlimit;
	a.has_stack_rlimit = o->has_stack_rlimit != 0;
	/* a file the machine holds by that name (an in-memory file) first */
	pc = machine_page_cache(t->mm->vm);
	if (!pc)
		return verr(err, -ENOMEM, "out of host memory");
	a.file = filemap_lookup(pc, o->path);
	ret = do_execve(t, &a, &r, err);
	if (ret || !info)
		return ret;
	memset(info, 0, sizeof(*info));
	info->ip = r.ip;
	info->sp = r.sp;
	info->load_bias = r.load_bias;
	info->interp_base = r.interp_base;
	info->vdso_base = r.vdso_base;
	info->compat = r.compat;
	info->nr_auxv = r.nr_auxv;
	_Static_assert(VMSIM_EXEC_MAX_AUXV == EXEC_MAX_AUXV, "auxv room");
	memcpy(info->auxv, r.auxv, sizeof(info->auxv));
	_Static_assert(sizeof(info->interp) == sizeof(r.interp), "interp room");
	memcpy(info->interp, r.interp, sizeof(info->interp));
	return 0;
}

const char *vmsim_auxv_name(uint64_t type)
{
	return auxv_name(type);
}

int vmsim_task_mm_info(const struct vmsim_task *vt, struct vmsim_mm_info *i)
{
	const struct mm_struct *mm;

	if (!vt || !i)
		return -EINVAL;
	mm = TS(vt)->mm;
	*i = (struct vmsim_mm_info){
		.start_code = mm->start_code, .end_code = mm->end_code,
		.start_data = mm->start_data, .end_data = mm->end_data,
		.start_brk = mm->start_brk, .brk = mm->brk, .start_stack = mm->start_stack,
		.arg_start = mm->arg_start, .arg_end = mm->arg_end,
		.env_start = mm->env_start, .env_end = mm->env_end,
		.mmap_base = mm->mmap_base, .total_vm = mm->total_vm, .rss = get_mm_rss(mm),
		.map_count = (unsigned)mm->map_count,
	};
	return 0;
}

/* ---- system calls ---- */

/* An address-or-errno (IS_ERR_VALUE) into 0 / -errno and *out. */
static int addr_result(int64_t r, uint64_t *out)
{
	if (IS_ERR_VALUE(r))
		return (int)r;
	if (out)
		*out = (uint64_t)r;
	return 0;
}

int vmsim_mmap_file(struct vmsim_task *vt, uint64_t addr, uint64_t len, int prot, int flags,
		    const char *file, int o_accmode, uint64_t offset, uint64_t *out)
{
	struct task_struct *t = TS(vt);
	struct file *f = NULL;
	int64_t r;

	if (!t || o_accmode < VMSIM_O_RDONLY || o_accmode > VMSIM_O_RDWR)
		return -EINVAL;
	if (file) {
		struct page_cache *pc = machine_page_cache(t->mm->vm);
		struct vmsim_error err = { 0 };
		int ret;

		if (flags & MAP_ANONYMOUS)
			return -EINVAL;
		if (!pc)
			return -ENOMEM;
		f = filemap_lookup(pc, file);
		if (f)
			get_file(f);
		else if ((ret = filemap_open(pc, file, NULL, &f, &err)))
			return ret;
	} else if (!(flags & MAP_ANONYMOUS)) {
		return -EBADF;	/* no file descriptor: mmap(2)'s answer */
	}
	r = vm_mmap_fmode(t->mm, f, OPEN_FMODE(o_accmode), addr, len, (unsigned long)(unsigned)prot,
			  (unsigned long)(unsigned)flags, offset);
	if (f)
		fput(f);	/* the VMA holds its own reference */
	return addr_result(r, out);
}

int vmsim_mmap(struct vmsim_task *t, uint64_t addr, uint64_t len, int prot, int flags,
	       const char *file, uint64_t offset, uint64_t *out)
{
	return vmsim_mmap_file(t, addr, len, prot, flags, file, VMSIM_O_RDWR, offset, out);
}

int vmsim_munmap(struct vmsim_task *t, uint64_t addr, uint64_t len)
{
	return t ? do_munmap(TS(t)->mm, addr, len) : -EINVAL;
}

int vmsim_mprotect(struct vmsim_task *t, uint64_t addr, uint64_t len, int prot)
{
	return t ? do_mprotect(TS(t)->mm, addr, len, (unsigned long)(unsigned)prot) : -EINVAL;
}

int vmsim_brk(struct vmsim_task *t, uint64_t want, uint64_t *out)
{
	uint64_t brk;

	if (!t)
		return -EINVAL;
	brk = sys_brk(TS(t)->mm, want);
	if (out)
		*out = brk;
	/* brk(2) answers with the break; glibc's brk() calls a refusal ENOMEM */
	return want && brk != want ? -ENOMEM : 0;
}

int vmsim_mremap(struct vmsim_task *t, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		 int flags, uint64_t new_addr, uint64_t *out)
{
	if (!t)
		return -EINVAL;
	return addr_result(do_mremap(TS(t)->mm, old_addr, old_len, new_len,
				     (unsigned long)(unsigned)flags, new_addr), out);
}

int vmsim_madvise(struct vmsim_task *t, uint64_t addr, uint64_t len, int advice)
{
	return t ? do_madvise(TS(t)->mm, addr, len, advice, &TS(t)->fst) : -EINVAL;
}

int vmsim_mlock(struct vmsim_task *t, uint64_t addr, uint64_t len)
{
	return t ? sys_mlock(TS(t)->mm, addr, len, &TS(t)->fst) : -EINVAL;
}

int vmsim_mlock2(struct vmsim_task *t, uint64_t addr, uint64_t len, int flags)
{
	return t ? sys_mlock2(TS(t)->mm, addr, len, flags, &TS(t)->fst) : -EINVAL;
}

int vmsim_munlock(struct vmsim_task *t, uint64_t addr, uint64_t len)
{
	return t ? sys_munlock(TS(t)->mm, addr, len) : -EINVAL;
}

int vmsim_mlockall(struct vmsim_task *t, int flags)
{
	return t ? sys_mlockall(TS(t)->mm, flags, &TS(t)->fst) : -EINVAL;
}

int vmsim_munlockall(struct vmsim_task *t)
{
	return t ? sys_munlockall(TS(t)->mm) : -EINVAL;
}

int vmsim_mincore(struct vmsim_task *t, uint64_t addr, uint64_t len, unsigned char *vec,
		  size_t vec_len)
{
	if (!t || (!vec && vec_len))
		return -EINVAL;
	return sys_mincore(TS(t)->mm, addr, len, vec, vec_len);
}

int vmsim_msync(struct vmsim_task *t, uint64_t addr, uint64_t len, int flags)
{
	return t ? sys_msync(TS(t)->mm, addr, len, flags) : -EINVAL;
}

/* ---- user accesses ---- */

/* How a signal (or the OOM kill) ended an access, into @o; the errno. */
static int __attribute__((noinline)) access_stopped(int ret, const struct access_result *r,
						    uint64_t va, size_t len, struct vmsim_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->faults = r->faults;
	if (r->killed) {
		o->signal = SIGKILL;	/* the OOM killer chose this task */
		return -ENOMEM;
	}
	if (ret == -ENOMEM)
		o->signal = SIGKILL;	/* what the OOM killer would do */
	if (ret)
		return ret;
	o->signal = r->sigbus ? SIGBUS : SIGSEGV;
	o->si_code = r->sigbus ? r->sigbus : r->segv;
	o->addr = r->segv_addr;
	/* the fault's address is where the access stopped (each page's part
	 * starts at @va or at a page boundary) */
	o->done = r->segv_addr > va && r->segv_addr - va < len ? (size_t)(r->segv_addr - va) : 0;
	return -EFAULT;
}

/*
 * The four access calls in one inline body, each with its @acc constant:
 * they are exported, so with -fPIC they would not inline into each other.
 * The body of task_access() is inlined here (kern/task_access.h), so a
 * public access costs the one call an internal one does; the path of an
 * access that completes writes the outcome field by field (no memset).
 */
static inline __attribute__((always_inline)) int
access_one(struct task_struct *t, enum mmu_access acc, uint64_t va, void *buf, size_t len,
	   struct vmsim_outcome *o)
{
	struct access_result r;
	struct vmsim_outcome dummy;
	int ret;

	if (!o)
		o = &dummy;
	if (__builtin_expect(!t || len == 0 || va + (len - 1) < va, 0)) {
		memset(o, 0, sizeof(*o));
		return -EINVAL;
	}
	ret = task_access_inline(t, va, acc, buf, len, &r);
	if (__builtin_expect(ret || r.segv || r.sigbus || r.killed, 0)) {
		struct vmsim_machine *m = vm_machine(t->mm->vm);

		ret = access_stopped(ret, &r, va, len, o);
		/* the OOM killer's victim dies on its way back to user mode:
		 * @t is freed here */
		if (r.killed)
			exit_to_user_mode(m);
		return ret;
	}
	o->signal = 0;
	o->si_code = 0;
	o->addr = 0;
	o->done = len;
	o->faults = r.faults;
	return 0;
}

int vmsim_access(struct vmsim_task *vt, enum vmsim_access acc, uint64_t va, void *buf,
		 size_t len, struct vmsim_outcome *o)
{
	_Static_assert((int)VMSIM_READ == (int)MMU_READ && (int)VMSIM_WRITE == (int)MMU_WRITE &&
		       (int)VMSIM_FETCH == (int)MMU_FETCH, "access kinds");
	if ((unsigned)acc > VMSIM_FETCH) {
		if (o)
			memset(o, 0, sizeof(*o));
		return -EINVAL;
	}
	return access_one(TS(vt), (enum mmu_access)acc, va, buf, len, o);
}

int vmsim_read(struct vmsim_task *t, uint64_t va, void *buf, size_t len, struct vmsim_outcome *o)
{
	return access_one(TS(t), MMU_READ, va, buf, len, o);
}

int vmsim_write(struct vmsim_task *t, uint64_t va, const void *buf, size_t len,
		struct vmsim_outcome *o)
{
	/* task_access() only reads from the buffer of a write */
	return access_one(TS(t), MMU_WRITE, va, (void *)(uintptr_t)buf, len, o);
}

int vmsim_fetch(struct vmsim_task *t, uint64_t va, void *buf, size_t len, struct vmsim_outcome *o)
{
	return access_one(TS(t), MMU_FETCH, va, buf, len, o);
}
