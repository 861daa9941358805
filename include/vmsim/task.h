/*
 * Tasks and their address spaces: spawn, fork, exec, switch and exit a
 * task; the memory system calls of Linux (mmap, munmap, mprotect, brk,
 * mremap, madvise, mlock, munlock, mincore, msync) with Linux's errnos;
 * reads, writes and instruction fetches of user memory that take page
 * faults as the CPU and the kernel's fault handler would.
 *
 * A struct vmsim_task is an opaque handle owned by its machine: it stays
 * valid until vmsim_task_exit() or vmsim_machine_destroy().
 *
 * Every call returns 0 or a negative errno; values come out through
 * pointers.  The flag and protection values are Linux x86's (<sys/mman.h>
 * on a Linux host has the same numbers).
 */
#ifndef VMSIM_TASK_H
#define VMSIM_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "vmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmsim_machine;
struct vmsim_task;

/* prot and flags of mmap(2), as Linux x86 numbers them */
#define VMSIM_PROT_NONE		0x0
#define VMSIM_PROT_READ		0x1
#define VMSIM_PROT_WRITE	0x2
#define VMSIM_PROT_EXEC		0x4
#define VMSIM_MAP_SHARED	0x01
#define VMSIM_MAP_PRIVATE	0x02
#define VMSIM_MAP_FIXED		0x10
#define VMSIM_MAP_ANONYMOUS	0x20
#define VMSIM_MAP_POPULATE	0x8000
#define VMSIM_MAP_FIXED_NOREPLACE 0x100000
#define VMSIM_CLONE_VM		0x00000100
/* open(2)'s access modes, as Linux numbers them */
#define VMSIM_O_RDONLY		0
#define VMSIM_O_WRONLY		1
#define VMSIM_O_RDWR		2

/* ---- life cycle ---- */

/* What a spawned task's empty address space looks like (zero: defaults). */
struct vmsim_spawn_opts {
	uint64_t start_brk;	/* 0: the architecture's ELF_ET_DYN_BASE */
	uint64_t stack_size;	/* 0: no stack VMA; else a [stack] VMA this big */
	uint64_t stack_rlimit;	/* 0: the config's process.stack_rlimit */
};

/*
 * A new task named @name (unique in the machine, up to 47 characters)
 * with an empty mm, as exec leaves it before it maps anything.  @o may be
 * NULL.  On success *@out is the task.  -EEXIST (name taken), -EINVAL,
 * -ENOMEM.
 */
VMSIM_API int vmsim_task_spawn(struct vmsim_machine *m, const char *name,
			       const struct vmsim_spawn_opts *o, struct vmsim_task **out);
/*
 * fork(2) of @parent into a new task named @name: a copy-on-write copy of
 * the address space, or with VMSIM_CLONE_VM in @clone_flags the same mm.
 * -EEXIST, -EINVAL, -ENOMEM.
 */
VMSIM_API int vmsim_task_fork(struct vmsim_task *parent, const char *name,
			      unsigned long clone_flags, struct vmsim_task **out);
/* exit(2): drops the task's mm and frees the task; the handle is gone.
 * Its children are reparented (to init). */
VMSIM_API void vmsim_task_exit(struct vmsim_task *t);
/* Run @t on CPU @cpu (a CR3 load unless the CPU runs its mm already).
 * -EINVAL for a CPU the machine does not have. */
VMSIM_API int vmsim_task_switch(struct vmsim_machine *m, unsigned cpu, struct vmsim_task *t);
/* The task running on @cpu, or NULL (idle, or no such CPU). */
VMSIM_API struct vmsim_task *vmsim_task_current(struct vmsim_machine *m, unsigned cpu);
/* The task named @name, or NULL. */
VMSIM_API struct vmsim_task *vmsim_task_find(struct vmsim_machine *m, const char *name);
/* Its pid, and the name it was created with (the machine owns the string). */
VMSIM_API int vmsim_task_pid(const struct vmsim_task *t);
VMSIM_API const char *vmsim_task_name(const struct vmsim_task *t);
VMSIM_API struct vmsim_machine *vmsim_task_machine(const struct vmsim_task *t);

/* ---- exec ---- */

#define VMSIM_UNLIMITED (~0ULL)	/* RLIM_INFINITY, for stack_rlimit */

struct vmsim_exec_opts {
	const char *path;		/* the path given to execve (AT_EXECFN); a file
					 * of that name in the machine's page cache is
					 * used first */
	const char *host_path;		/* where to read it on the host; NULL: path */
	const char *sysroot;		/* NULL, or the host folder PT_INTERP is under */
	const char *const *argv;	/* NULL-terminated; NULL: { path } */
	const char *const *envp;	/* NULL-terminated; NULL: empty */
	uint64_t stack_rlimit;		/* RLIMIT_STACK, VMSIM_UNLIMITED for none */
	int has_stack_rlimit;		/* 0: the config's process.stack_rlimit */
};

#define VMSIM_EXEC_MAX_AUXV 24

/* What load_elf_binary leaves besides the mm. */
struct vmsim_exec_info {
	uint64_t ip, sp;		/* initial instruction and stack pointers */
	uint64_t load_bias;		/* of the executable */
	uint64_t interp_base;		/* AT_BASE (0 without PT_INTERP) */
	uint64_t vdso_base;		/* start of [vdso] (0: not mapped) */
	int compat;			/* an ELFCLASS32 task on x86_64 */
	unsigned nr_auxv;		/* auxv entries before AT_NULL */
	uint64_t auxv[VMSIM_EXEC_MAX_AUXV][2];	/* type, value */
	char interp[256];		/* PT_INTERP ("" if none) */
};

/*
 * execve(2) of a real ELF file (or a "#!" script) into @t, built as Linux's
 * load_elf_binary builds it.  On failure @t keeps its old address space
 * and @err says why ("FILE: reason"): -ENOENT, -EACCES, -ENOEXEC, -ELOOP,
 * -ELIBBAD, -E2BIG (the strings do not fit the stack's limit, or more than
 * 4096 of them), -EIO, -EINVAL, -ENOMEM, -EEXIST.  @info may be NULL.
 */
VMSIM_API int vmsim_task_exec(struct vmsim_task *t, const struct vmsim_exec_opts *o,
			      struct vmsim_exec_info *info, struct vmsim_error *err);
/* "AT_PHDR" and the other auxv type names, or NULL. */
VMSIM_API const char *vmsim_auxv_name(uint64_t type);

/* The mm fields /proc/PID/stat shows, and a few more. */
struct vmsim_mm_info {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t mmap_base;
	uint64_t total_vm;		/* pages mapped (VmSize / 4 KiB) */
	uint64_t rss;			/* pages resident (VmRSS / 4 KiB) */
	unsigned map_count;		/* VMAs */
};
VMSIM_API int vmsim_task_mm_info(const struct vmsim_task *t, struct vmsim_mm_info *info);

/* ---- memory system calls: 0 or -errno, as Linux returns them ---- */

/* mmap(2).  @file: NULL for an anonymous mapping, else a file of the
 * machine's page cache by name or a host path.  *@out: the address. */
VMSIM_API int vmsim_mmap(struct vmsim_task *t, uint64_t addr, uint64_t len, int prot,
			 int flags, const char *file, uint64_t offset, uint64_t *out);
/* mmap(2) of @file through a descriptor opened with the access mode
 * @o_accmode (VMSIM_O_RDONLY, VMSIM_O_WRONLY or VMSIM_O_RDWR, else
 * -EINVAL); vmsim_mmap() maps files as VMSIM_O_RDWR. */
VMSIM_API int vmsim_mmap_file(struct vmsim_task *t, uint64_t addr, uint64_t len, int prot,
			      int flags, const char *file, int o_accmode, uint64_t offset,
			      uint64_t *out);
VMSIM_API int vmsim_munmap(struct vmsim_task *t, uint64_t addr, uint64_t len);
VMSIM_API int vmsim_mprotect(struct vmsim_task *t, uint64_t addr, uint64_t len, int prot);
/* brk(2): *@out gets the break after the call (@want 0 asks for it);
 * -ENOMEM when a non-zero @want was refused (the break stays). */
VMSIM_API int vmsim_brk(struct vmsim_task *t, uint64_t want, uint64_t *out);
/* mremap(2); flags MREMAP_MAYMOVE 1, MREMAP_FIXED 2, MREMAP_DONTUNMAP 4. */
VMSIM_API int vmsim_mremap(struct vmsim_task *t, uint64_t old_addr, uint64_t old_len,
			   uint64_t new_len, int flags, uint64_t new_addr, uint64_t *out);
/* madvise(2) with Linux's MADV_* value. */
VMSIM_API int vmsim_madvise(struct vmsim_task *t, uint64_t addr, uint64_t len, int advice);
/* mlock(2), mlock2(2) (MLOCK_ONFAULT 1), munlock(2), mlockall(2) (MCL_CURRENT
 * 1, MCL_FUTURE 2, MCL_ONFAULT 4), munlockall(2). */
VMSIM_API int vmsim_mlock(struct vmsim_task *t, uint64_t addr, uint64_t len);
VMSIM_API int vmsim_mlock2(struct vmsim_task *t, uint64_t addr, uint64_t len, int flags);
VMSIM_API int vmsim_munlock(struct vmsim_task *t, uint64_t addr, uint64_t len);
VMSIM_API int vmsim_mlockall(struct vmsim_task *t, int flags);
VMSIM_API int vmsim_munlockall(struct vmsim_task *t);
/* mincore(2): @vec (@vec_len bytes) gets one byte per page, 1 when resident;
 * -EFAULT if it is too short. */
VMSIM_API int vmsim_mincore(struct vmsim_task *t, uint64_t addr, uint64_t len,
			    unsigned char *vec, size_t vec_len);
/* msync(2): MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4. */
VMSIM_API int vmsim_msync(struct vmsim_task *t, uint64_t addr, uint64_t len, int flags);

/* ---- user accesses ---- */

enum vmsim_access { VMSIM_READ, VMSIM_WRITE, VMSIM_FETCH };

/* How an access ended. */
struct vmsim_outcome {
	int signal;		/* 0; SIGSEGV 11, SIGBUS 7, or SIGKILL 9 (out of memory) */
	int si_code;		/* SEGV_MAPERR 1, SEGV_ACCERR 2, BUS_ADRERR 2; 0 */
	uint64_t addr;		/* si_addr of the signal */
	size_t done;		/* bytes accessed before it */
	unsigned faults;	/* page faults taken on the way */
};

/*
 * Access @len bytes at @va as @t running in user mode on CPU 0 (switched to
 * it first if needed): the TLB, the page walk, the page fault and its
 * retry, as the CPU and do_user_addr_fault() run them.  A read or fetch
 * copies into @buf, a write copies from it; a NULL @buf moves no bytes (the
 * access still happens).  0 when all of it was accessed; -EFAULT when a
 * signal stopped it (SIGSEGV or SIGBUS in @o); -ENOMEM when the kernel ran
 * out of memory and the OOM killer chose @t (SIGKILL in @o): @t has exited
 * and the handle is gone.  The OOM killer may choose another task, which
 * exits as well: find tasks again by name after an OOM; -EOPNOTSUPP for a
 * @buf on a machine without page contents (memory.contents: none);
 * -EINVAL.  @o may be NULL.
 */
VMSIM_API int vmsim_access(struct vmsim_task *t, enum vmsim_access acc, uint64_t va,
			   void *buf, size_t len, struct vmsim_outcome *o);
VMSIM_API int vmsim_read(struct vmsim_task *t, uint64_t va, void *buf, size_t len,
			 struct vmsim_outcome *o);
VMSIM_API int vmsim_write(struct vmsim_task *t, uint64_t va, const void *buf, size_t len,
			  struct vmsim_outcome *o);
VMSIM_API int vmsim_fetch(struct vmsim_task *t, uint64_t va, void *buf, size_t len,
			  struct vmsim_outcome *o);

#ifdef __cplusplus
}
#endif
#endif
