/*
 * execve() of a real ELF file (or a "#!" script, run by its interpreter
 * as fs/binfmt_script.c does) into a task: fs/exec.c (the argument
 * strings, exec_binprm, setup_new_exec, setup_arg_pages) and
 * fs/binfmt_elf.c (load_elf_binary, elf_load/elf_map, load_elf_interp,
 * create_elf_tables) with arch/x86's mmap_base, ELF_ET_DYN_BASE,
 * randomization and map_vdso.
 * docs/linux-rules.md section 1 states the rules; docs/exec.md says what
 * is reproduced exactly and what is not.
 */
#ifndef VMSIM_KERN_EXEC_H
#define VMSIM_KERN_EXEC_H

#include <stdbool.h>
#include <stdint.h>

struct task_struct;
struct file;
struct vmsim_error;

/* include/uapi/linux/auxvec.h and asm/auxvec.h */
#define AT_NULL		0
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_BASE		7
#define AT_FLAGS	8
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_PLATFORM	15
#define AT_HWCAP	16
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_HWCAP2	26
#define AT_RSEQ_FEATURE_SIZE 27
#define AT_RSEQ_ALIGN	28
#define AT_EXECFN	31
#define AT_SYSINFO	32
#define AT_SYSINFO_EHDR	33
#define AT_MINSIGSTKSZ	51

#define EXEC_MAX_AUXV	24

/* What the caller asks for. */
struct exec_args {
	const char *filename;		/* the path given to execve: AT_EXECFN, maps name base */
	const char *host_path;		/* where to read it on the host (NULL: filename) */
	struct file *file;		/* or a file already in the page cache (a
					 * scenario's in-memory file); not consumed */
	const char *sysroot;		/* NULL, or the host directory PT_INTERP is relative to */
	const char *const *argv;	/* argc strings */
	int argc;
	const char *const *envp;	/* envc strings */
	int envc;
	uint64_t stack_rlimit;		/* RLIMIT_STACK; 0: the config's; CFG_UNLIMITED */
	bool has_stack_rlimit;		/* stack_rlimit is the limit even when 0 */
};

/* What load_elf_binary leaves besides the mm: the registers and the
 * auxiliary vector as written to the stack. */
struct exec_result {
	uint64_t ip, sp;
	uint64_t load_bias;		/* of the executable */
	uint64_t interp_base;		/* AT_BASE (0 without PT_INTERP) */
	uint64_t vdso_base;		/* start of [vdso] (0 when not mapped) */
	bool compat;			/* an ELFCLASS32 task on x86_64 */
	unsigned nr_auxv;		/* entries before AT_NULL */
	uint64_t auxv[EXEC_MAX_AUXV][2];
	char interp[256];		/* PT_INTERP path ("" if none) */
};

/*
 * Replace @t's address space by a new one holding @a->filename, built as
 * load_elf_binary builds it.  The new mm is made aside and swapped in only
 * when complete, so on any failure @t is left as it was (Linux kills a
 * task that fails after its point of no return).  Returns 0, or a
 * negative errno with "FILE: reason" in @err: -ENOENT/-EACCES (cannot be
 * read, or a "#!" interpreter missing), -ENOEXEC (not a loadable x86 ELF,
 * or a bad "#!" line), -ELOOP (more than 5 "#!" levels), -ELIBBAD (bad
 * ELF interpreter), -E2BIG (arguments), -EIO, -EINVAL, -ENOMEM, -EEXIST
 * (segments collide).
 */
int do_execve(struct task_struct *t, const struct exec_args *a, struct exec_result *r,
	      struct vmsim_error *err);

/* "AT_PHDR" and friends, or NULL. */
const char *auxv_name(uint64_t type);

/* mmap_base() of arch/x86/mm/mmap.c for a task of @task_size with stack
 * limit @rlimit; @rnd is the random offset (0 without randomization) and
 * @pad_rnd the stack_maxrandom_size() added to the gap. */
uint64_t exec_mmap_base(uint64_t task_size, uint64_t rlimit, uint64_t rnd, uint64_t pad_rnd);

#endif
