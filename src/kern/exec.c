/*
 * execve() of an ELF file or a "#!" script (see exec.h), in
 * load_elf_binary's order:
 *
 *   0  exec_binprm(): a "#!" script hands over to its interpreter
 *      (kern/binfmt_script.c), up to 5 levels deep (the 6th is -ELOOP);
 *      the argv rewriting is applied in step 2, after the strings;
 *   1  read and check the headers of the file and of its PT_INTERP
 *      (kern/binfmt_elf.c); nothing is touched before they pass;
 *   2  a new mm with a one-page stack VMA at STACK_TOP_MAX; the file name,
 *      the environment and argv copied below STACK_TOP_MAX - 8
 *      (__bprm_mm_init, copy_strings);
 *   3  setup_new_exec: mmap_base from the stack rlimit (arch_pick_mmap_layout);
 *   4  setup_arg_pages: the stack moved to STACK_TOP (minus the random
 *      offset) and grown by 128 KiB or to the rlimit;
 *   5  each PT_LOAD mapped (elf_load/elf_map: file part, padzero, the
 *      anonymous bss), ET_DYN placed at ELF_ET_DYN_BASE (PIE) or in the
 *      mmap area (no interpreter), with total_size and maximum_alignment;
 *   6  load_elf_interp: the interpreter top-down below mmap_base;
 *   7  map_vdso: [vvar], [vvar_vclock], [vdso] from get_unmapped_area;
 *   8  create_elf_tables: platform string, AT_RANDOM bytes, auxv, argv,
 *      envp, argc written into the simulated stack pages;
 *   9  the mm fields, brk (moved to ELF_ET_DYN_BASE for a loader run
 *      directly, randomized when asked), and the new mm swapped in.
 *
 * Invariant: the task keeps its old mm until step 9 succeeds; every
 * mapping goes through the process layer's vm_mmap/do_munmap/expand_downwards,
 * so the VMAs, page tables and counters stay what that layer checks.
 */
#include "kern/exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/binfmt_elf.h"
#include "kern/binfmt_script.h"
#include "kern/desc.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "phys/mmzone.h"
#include "util/config.h"
#include "util/err.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/filemap.h"
#include "vma/mm.h"

#define SZ_128M		(128ULL << 20)
#define SZ_32M		(32ULL << 20)
#define SZ_1G		(1ULL << 30)
#define STACK_RND_MASK_64	0x3fffffULL	/* 16 GiB of pages */
#define STACK_RND_MASK_32	0x7ffULL	/* 8 MiB */
#define MMAP_RND_BITS		28
#define MMAP_RND_COMPAT_BITS	8
#define MAX_ARG_STRLEN		(32 * 4096ULL)
#define ARG_MAX			(32 * 4096ULL)
#define STK_LIM			(8ULL << 20)
/* open_exec(): the executable and its interpreter are open read-only */
#define EXEC_FMODE		(FMODE_READ | FMODE_EXEC)
#define STACK_EXPAND		131072ULL	/* setup_arg_pages: 32 pages */
#define COMPAT_TASK_SIZE	0xffffe000ULL	/* IA32_PAGE_OFFSET */
#define BINFMT_MAX_DEPTH	5		/* exec_binprm(): depth > 5 is -ELOOP */
#define BAD_ADDR(x, ts)		((uint64_t)(x) >= (ts))

/* the auxv values the simulated CPU reports (not addresses) */
#define SIM_HWCAP		0x178bfbffULL
#define SIM_HWCAP2		0x2ULL
#define SIM_MINSIGSTKSZ		0xd30ULL
#define SIM_CLKTCK		100
#define SIM_RSEQ_FEATURE_SIZE	28
#define SIM_RSEQ_ALIGN		32
#define VDSO32_VSYSCALL_OFFSET	0x5e0		/* __kernel_vsyscall in the 32-bit image */

/* A "#!" level of the exec: what load_script() puts on the stack in place
 * of argv[0]: the script as the previous level named it (bprm->interp),
 * the line's argument, the interpreter. */
struct script_level {
	char interp[PATH_MAX];
	struct script_line line;
};

/* One exec in progress (Linux: struct linux_binprm plus locals). */
struct binprm {
	struct vmsim_machine *m;
	struct task_struct *t;
	const struct exec_args *a;
	struct exec_result *r;
	struct vmsim_error *err;
	struct mm_struct *mm;		/* the new one */
	struct file *file, *interp_file;
	struct elf_binary elf, interp;
	bool has_interp;
	bool compat;			/* ELFCLASS32 on an x86_64 machine */
	bool native32;			/* the machine is x86_32 */
	bool randomize;			/* PF_RANDOMIZE */
	bool read_implies_exec;
	uint64_t rng;
	uint64_t task_size, stack_top_max;
	uint64_t rlimit;		/* RLIMIT_STACK, CFG_UNLIMITED for infinity */
	uint64_t p;			/* bprm->p */
	uint64_t exec;			/* bprm->exec: AT_EXECFN */
	uint64_t argmin;
	int argc, envc;
	const char *filename;
	/* "#!" levels, outermost first (one more than may run: its interpreter
	 * is opened before the depth check fails) */
	struct script_level scripts[BINFMT_MAX_DEPTH + 1];
	unsigned nscripts;
	/* the strings as they will lie on the stack, built in host memory */
	uint8_t *strbuf;		/* covers [p, stack_top_max) after copy_strings */
	size_t strbuf_len;
	size_t str_used;		/* bytes of strings, argv[0] first (from arg_start) */
};

static int fail(struct binprm *b, int code, const char *fmt, const char *what)
{
	return verr(b->err, code, fmt, b->filename, what);
}

/* ---- randomness: reproducible per config seed and pid ---- */

static uint64_t get_random_long(struct binprm *b)
{
	uint64_t z = (b->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t arch_mmap_rnd(struct binprm *b)
{
	unsigned bits = b->compat || b->native32 ? MMAP_RND_COMPAT_BITS : MMAP_RND_BITS;

	if (!b->randomize)
		return 0;
	return (get_random_long(b) & ((1ULL << bits) - 1)) << PAGE_SHIFT;
}

static uint64_t stack_rnd_mask(const struct binprm *b)
{
	return b->compat || b->native32 ? STACK_RND_MASK_32 : STACK_RND_MASK_64;
}

/* randomize_stack_top() */
static uint64_t randomize_stack_top(struct binprm *b, uint64_t stack_top)
{
	uint64_t rnd = 0;

	if (b->randomize)
		rnd = (get_random_long(b) & stack_rnd_mask(b)) << PAGE_SHIFT;
	return PAGE_ALIGN(stack_top) - rnd;
}

/* arch_align_stack(): up to 8 KiB lower when randomizing, 16-byte aligned */
static uint64_t arch_align_stack(struct binprm *b, uint64_t sp)
{
	if (b->randomize)
		sp -= get_random_long(b) % 8192;
	return sp & ~15ULL;
}

/* randomize_page() */
static uint64_t randomize_page(struct binprm *b, uint64_t start, uint64_t range)
{
	if (start > UINT64_MAX - range)
		range = UINT64_MAX - start;
	range >>= PAGE_SHIFT;
	if (!range)
		return start;
	return start + ((get_random_long(b) % range) << PAGE_SHIFT);
}

uint64_t exec_mmap_base(uint64_t task_size, uint64_t rlimit, uint64_t rnd, uint64_t pad_rnd)
{
	const uint64_t pad = pad_rnd + (256ULL << PAGE_SHIFT);	/* + stack_guard_gap */
	uint64_t gap = rlimit;

	/* "Values close to RLIM_INFINITY can overflow." */
	if (gap + pad > gap)
		gap += pad;
	if (gap < SZ_128M)
		gap = SZ_128M;
	else if (gap > task_size / 6 * 5)
		gap = task_size / 6 * 5;
	return PAGE_ALIGN(task_size - gap - rnd);
}

/* ---- user memory of the new mm ---- */

/* copy_to_user() into @mm, which need not be loaded on any CPU: each page
 * is faulted in for writing (get_user_pages(FOLL_WRITE)) and written in
 * simulated RAM.  -EFAULT outside a VMA or when the fault fails. */
static int copy_to_mm(struct mm_struct *mm, uint64_t va, const void *src, size_t len)
{
	struct vmsim_machine *m = vm_machine(mm->vm);
	const uint64_t mask = m->pt.fmt->entry_addr_mask & ~0xfffULL;
	const uint8_t *s = src;

	while (len) {
		uint64_t page = va & PAGE_MASK, pte = 0;
		size_t off = (size_t)(va - page);
		size_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		struct vm_area_struct *vma = vma_lookup(mm, page);
		int tries = 0;

		if (!vma || !(vma->vm_flags & VM_WRITE))
			return -EFAULT;
		for (;;) {
			pte = mm_pte_lookup(mm, page);
			if ((pte & _PAGE_PRESENT) && (pte & _PAGE_RW))
				break;
			if (++tries > 3)
				return -EFAULT;
			unsigned ret = handle_mm_fault(vma, page, FAULT_FLAG_WRITE, NULL);
			if (ret & VM_FAULT_OOM)
				return -ENOMEM;
			if (ret & VM_FAULT_ERROR)
				return -EFAULT;
		}
		{
			uint8_t *dst = phys_to_host_range(&m->pm, (pte & mask) + off, n);

			if (!dst)
				return -EFAULT;	/* a PTE naming memory that is not there */
			memcpy(dst, s, n);
		}
		s += n;
		va += n;
		len -= n;
	}
	return 0;
}

static int put_word(struct binprm *b, uint64_t va, uint64_t v)
{
	uint8_t w[8];
	unsigned size = elf_word(&b->elf);

	for (unsigned i = 0; i < 8; i++)
		w[i] = (uint8_t)(v >> (8 * i));
	return copy_to_mm(b->mm, va, w, size);
}

/* ---- 2: the strings ---- */

/* bprm_stack_limits(): the room argv and envp may take. */
static int bprm_stack_limits(struct binprm *b)
{
	uint64_t limit = STK_LIM / 4 * 3, ptr_size;
	uint64_t rl = b->rlimit == CFG_UNLIMITED ? UINT64_MAX : b->rlimit;

	if (rl / 4 < limit)
		limit = rl / 4;
	if (limit < ARG_MAX)
		limit = ARG_MAX;
	ptr_size = ((uint64_t)b->argc + (uint64_t)b->envc) * sizeof(void *);
	if (limit <= ptr_size)
		return fail(b, -E2BIG, "%s: %sargument list too long", "");
	limit -= ptr_size;
	b->argmin = b->p - limit;
	return 0;
}

/* copy_string_kernel(): one NUL-terminated string just below bprm->p. */
static int copy_string(struct binprm *b, const char *s)
{
	size_t len = strlen(s) + 1;
	size_t used = (size_t)(b->stack_top_max - b->p);

	if (len > MAX_ARG_STRLEN)
		return fail(b, -E2BIG, "%s: %sargument too long", "");
	if (b->p - len < b->argmin || len > b->p)
		return fail(b, -E2BIG, "%s: %sargument list too long", "");
	if (used + len > b->strbuf_len) {
		size_t nl = b->strbuf_len * 2;
		uint8_t *nb;

		while (nl < used + len)
			nl *= 2;
		nb = host_alloc(&b->m->ha, nl);
		if (!nb)
			return fail(b, -ENOMEM, "%s: %sout of memory", "");
		/* the buffer holds the top of the stack: keep it right-aligned */
		memcpy(nb + nl - used, b->strbuf + b->strbuf_len - used, used);
		host_free(&b->m->ha, b->strbuf, b->strbuf_len);
		b->strbuf = nb;
		b->strbuf_len = nl;
	}
	b->p -= len;
	memcpy(b->strbuf + b->strbuf_len - (b->stack_top_max - b->p), s, len);
	return 0;
}

/* copy_strings(): the array from its last element, so that element 0
 * ends up lowest. */
static int copy_strings(struct binprm *b, int n, const char *const *v)
{
	for (int i = n; i-- > 0;) {
		int ret = copy_string(b, v[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* __bprm_mm_init(): the stack VMA, one page below STACK_TOP_MAX, with
 * the stack's final flags (Linux sets VM_STACK_INCOMPLETE_SETUP first
 * and mprotects in setup_arg_pages; the end state is the same). */
static int bprm_mm_init(struct binprm *b)
{
	struct mm_struct *mm = b->mm;
	struct vm_area_struct *vma = vm_area_alloc(mm);
	unsigned long flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			      VM_GROWSDOWN | VM_ACCOUNT | VM_SOFTDIRTY;

	if (!vma)
		return fail(b, -ENOMEM, "%s: %sout of memory", "");
	/* VM_STACK_DEFAULT_FLAGS: exec with READ_IMPLIES_EXEC; then PT_GNU_STACK */
	if (b->read_implies_exec)
		flags |= VM_EXEC;
	if (b->elf.executable_stack == EXSTACK_ENABLE_X)
		flags |= VM_EXEC;
	else if (b->elf.executable_stack == EXSTACK_DISABLE_X)
		flags &= ~VM_EXEC;
	vma->vm_end = b->stack_top_max;
	vma->vm_start = b->stack_top_max - PAGE_SIZE;
	vma->vm_flags = flags;
	vma->vm_page_prot = vm_get_page_prot(mm, flags);
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma_link(mm, vma);
	vm_stat_account(mm, flags, 1);
	b->p = vma->vm_end - sizeof(void *);
	return 0;
}

/* ---- 3, 4: setup_new_exec and setup_arg_pages ---- */

static void setup_new_exec(struct binprm *b)
{
	struct mm_struct *mm = b->mm;
	uint64_t rl = b->rlimit == CFG_UNLIMITED ? UINT64_MAX : b->rlimit;
	uint64_t pad = b->randomize ? stack_rnd_mask(b) << PAGE_SHIFT : 0;
	uint64_t rnd = arch_mmap_rnd(b);

	/* arch_pick_mmap_base(): the bottom-up base is TASK_UNMAPPED_BASE plus
	 * the same random offset (a 32-bit kernel's generic code adds none) */
	/* both below task_size_64bit(0): DEFAULT_MAP_WINDOW, 47 bits even
	 * under 5-level paging */
	const uint64_t window = b->native32 || b->compat ? b->task_size
							: config_map_window(&b->m->cfg);

	mm->mmap_legacy_base = PAGE_ALIGN(window / 3) + (b->native32 ? 0 : rnd);
	if (b->native32) {
		/* a 32-bit kernel: unsigned long is 32 bits wide */
		uint64_t gap = rl > 0xffffffffULL ? 0xffffffffULL : rl;
		uint64_t p32 = pad + (256ULL << PAGE_SHIFT);

		gap = gap + p32 > 0xffffffffULL ? gap : gap + p32;
		if (gap < SZ_128M)
			gap = SZ_128M;
		else if (gap > b->task_size / 6 * 5)
			gap = b->task_size / 6 * 5;
		mm->mmap_base = PAGE_ALIGN(b->task_size - gap - rnd);
	} else {
		mm->mmap_base = exec_mmap_base(window, rl, rnd, pad);
	}
	mm->task_size = b->task_size;
	mm->stack_rlimit = b->rlimit;
}

static int setup_arg_pages(struct binprm *b, uint64_t stack_top)
{
	struct mm_struct *mm = b->mm;
	struct vm_area_struct *vma = vma_lookup(mm, b->stack_top_max - 1);
	uint64_t shift, stack_base, stack_expand, size, rl;

	stack_top = arch_align_stack(b, stack_top);
	stack_top = PAGE_ALIGN(stack_top);
	if (stack_top < mm->mmap_min_addr || vma->vm_end - vma->vm_start >= stack_top - mm->mmap_min_addr)
		return fail(b, -ENOMEM, "%s: %sno room for the stack", "");
	shift = vma->vm_end - stack_top;
	b->p -= shift;
	b->exec -= shift;
	mm->arg_start = b->p;
	if (shift) {
		/* shift_arg_pages(): the VMA moves down; its pages are not
		 * populated yet here (the strings are written after the
		 * move), so moving the range is all there is to it */
		vma_unlink(mm, vma);
		vma->vm_start -= shift;
		vma->vm_end -= shift;
		vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
		vma_link(mm, vma);
		vmacache_invalidate(mm);
	}
	size = vma->vm_end - vma->vm_start;
	rl = (b->rlimit == CFG_UNLIMITED ? UINT64_MAX : b->rlimit) & PAGE_MASK;
	stack_expand = STACK_EXPAND;
	if (size + stack_expand > rl)
		stack_base = vma->vm_end - rl;
	else
		stack_base = vma->vm_start - stack_expand;
	mm->start_stack = b->p;
	if (stack_base < vma->vm_start) {
		int ret = expand_downwards(mm, vma, stack_base);

		if (ret)
			return fail(b, ret == -ENOMEM ? -ENOMEM : -EFAULT,
				    "%s: %sthe stack cannot grow to its initial size", "");
	}
	return 0;
}

/* ---- 5, 6: the segments ---- */

static int make_prot(uint32_t p_flags, bool read_implies_exec)
{
	int prot = 0;

	if (p_flags & PF_R)
		prot |= PROT_READ;
	if (p_flags & PF_W)
		prot |= PROT_WRITE;
	if (p_flags & PF_X)
		prot |= PROT_EXEC;
	/* do_mmap(): READ_IMPLIES_EXEC turns every readable mapping executable */
	if (read_implies_exec && (prot & PROT_READ))
		prot |= PROT_EXEC;
	return prot;
}

/* elf_map(): the file part of one segment; with @total_size (the first
 * segment of an ET_DYN image) the whole image is reserved and the part
 * past this segment's file bytes unmapped again. */
static int64_t elf_map(struct binprm *b, struct file *f, uint64_t addr, const struct elf_phdr *ph,
		       int prot, unsigned long type, uint64_t total_size)
{
	struct mm_struct *mm = b->mm;
	uint64_t size = ph->p_filesz + ELF_PAGEOFFSET(ph->p_vaddr);
	uint64_t off = ph->p_offset - ELF_PAGEOFFSET(ph->p_vaddr);
	int64_t map_addr;

	addr = ELF_PAGESTART(addr);
	size = ELF_PAGEALIGN(size);
	/* "mmap() will return -EINVAL if given a zero size, but a segment
	 * with zero filesize is perfectly valid" */
	if (!size)
		return (int64_t)addr;
	if (total_size) {
		total_size = ELF_PAGEALIGN(total_size);
		map_addr = vm_mmap_fmode(mm, f, EXEC_FMODE, addr, total_size, (unsigned long)prot,
					 type, off);
		if (!BAD_ADDR(map_addr, b->task_size) && total_size > size)
			do_munmap(mm, (uint64_t)map_addr + size, total_size - size);
	} else {
		map_addr = vm_mmap_fmode(mm, f, EXEC_FMODE, addr, size, (unsigned long)prot, type,
					 off);
	}
	return map_addr;
}

/* padzero(): clear the rest of the page after the file bytes. */
static int padzero(struct binprm *b, uint64_t address)
{
	static const uint8_t zeros[PAGE_SIZE];
	uint64_t nbyte = ELF_PAGEOFFSET(address);

	if (!nbyte)
		return 0;
	return copy_to_mm(b->mm, address, zeros, (size_t)(ELF_MIN_ALIGN - nbyte));
}

/* vm_brk_flags(): an anonymous rw(x) mapping, the bss. */
static int vm_brk_flags(struct binprm *b, uint64_t addr, uint64_t len, bool exec)
{
	int prot = PROT_READ | PROT_WRITE | (exec || b->read_implies_exec ? PROT_EXEC : 0);
	int64_t r;

	if (!len)
		return 0;
	r = vm_mmap(b->mm, NULL, addr, len, (unsigned long)prot,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	return IS_ERR_VALUE(r) ? (int)r : 0;
}

/* elf_load(): the file part, the zeroed tail of its last page, the bss. */
static int64_t elf_load(struct binprm *b, struct file *f, uint64_t addr, const struct elf_phdr *ph,
			int prot, unsigned long type, uint64_t total_size)
{
	uint64_t zero_start, zero_end;
	int64_t map_addr;

	if (ph->p_filesz) {
		map_addr = elf_map(b, f, addr, ph, prot, type, total_size);
		if (BAD_ADDR(map_addr, b->task_size))
			return map_addr;
		zero_start = (uint64_t)map_addr + ELF_PAGEOFFSET(ph->p_vaddr) + ph->p_filesz;
		zero_end = (uint64_t)map_addr + ELF_PAGEOFFSET(ph->p_vaddr) + ph->p_memsz;
		/* "Zero the end of the last mapped page but ignore any errors
		 * if the segment isn't writable." */
		if (ph->p_memsz > ph->p_filesz && (prot & PROT_WRITE)) {
			int pz = padzero(b, zero_start);

			/* -EFAULT as clear_user() gives; running out of memory
			 * on the way stays -ENOMEM */
			if (pz)
				return pz == -ENOMEM ? -ENOMEM : -EFAULT;
		} else if (ph->p_memsz > ph->p_filesz) {
			padzero(b, zero_start);
		}
	} else {
		map_addr = (int64_t)(zero_start = ELF_PAGESTART(addr));
		zero_end = zero_start + ELF_PAGEOFFSET(ph->p_vaddr) + ph->p_memsz;
	}
	if (ph->p_memsz > ph->p_filesz) {
		int error;

		zero_start = ELF_PAGEALIGN(zero_start);
		zero_end = ELF_PAGEALIGN(zero_end);
		error = vm_brk_flags(b, zero_start, zero_end - zero_start, prot & PROT_EXEC);
		if (error)
			map_addr = error;
	}
	return map_addr;
}

static int map_error(struct binprm *b, int64_t e, const char *what)
{
	int code = IS_ERR_VALUE(e) ? (int)e : -EINVAL;

	if (code == -EEXIST)
		return verr(b->err, code, "%s: %s collides with an existing mapping", b->filename, what);
	if (code == -ENOMEM)
		return verr(b->err, code, "%s: %s: no room in the address space", b->filename, what);
	if (code == -EPERM)
		return verr(b->err, code, "%s: %s: below mmap_min_addr", b->filename, what);
	return verr(b->err, code, "%s: %s cannot be mapped (%s)", b->filename, what, strerror(-code));
}

/* load_elf_interp(): the interpreter, hint 0 (or -vaddr), total_size,
 * so it lands top-down under mmap_base; later segments MAP_FIXED. */
static int64_t load_elf_interp(struct binprm *b, uint64_t no_base)
{
	const struct elf_binary *ie = &b->interp;
	uint64_t load_addr = 0, total_size = ie->total_size;
	bool load_addr_set = false;

	for (unsigned i = 0; i < ie->e_phnum; i++) {
		const struct elf_phdr *ph = &ie->phdr[i];
		unsigned long type = MAP_PRIVATE;
		int prot;
		uint64_t vaddr, k;
		int64_t map_addr;

		if (ph->p_type != PT_LOAD)
			continue;
		prot = make_prot(ph->p_flags, b->read_implies_exec);
		vaddr = ph->p_vaddr;
		if (ie->e_type == ET_EXEC || load_addr_set)
			type |= MAP_FIXED;
		else if (no_base && ie->e_type == ET_DYN)
			load_addr = 0 - vaddr;
		map_addr = elf_load(b, b->interp_file, load_addr + vaddr, ph, prot, type, total_size);
		total_size = 0;
		if (BAD_ADDR(map_addr, b->task_size))
			return IS_ERR_VALUE(map_addr) ? map_addr : -EINVAL;
		if (!load_addr_set && ie->e_type == ET_DYN) {
			load_addr = (uint64_t)map_addr - ELF_PAGESTART(vaddr);
			load_addr_set = true;
		}
		k = load_addr + ph->p_vaddr;
		if (BAD_ADDR(k, b->task_size) || ph->p_filesz > ph->p_memsz ||
		    ph->p_memsz > b->task_size || b->task_size - ph->p_memsz < k)
			return -ENOMEM;
	}
	return (int64_t)load_addr;
}

/* ---- 7: the vDSO ---- */

static const char *name_vvar(struct vm_area_struct *vma) { (void)vma; return "[vvar]"; }
static const char *name_vclock(struct vm_area_struct *vma) { (void)vma; return "[vvar_vclock]"; }
static const char *name_vdso(struct vm_area_struct *vma) { (void)vma; return "[vdso]"; }
static const struct vm_operations_struct vvar_ops = { .name = name_vvar };
static const struct vm_operations_struct vclock_ops = { .name = name_vclock };
static const struct vm_operations_struct vdso_ops = { .name = name_vdso };

/* _install_special_mapping() */
static int install_special_mapping(struct mm_struct *mm, uint64_t addr, uint64_t len,
				   unsigned long flags, const struct vm_operations_struct *ops)
{
	struct vm_area_struct *vma;

	if (!len)
		return 0;
	vma = vm_area_alloc(mm);
	if (!vma)
		return -ENOMEM;
	flags |= VM_DONTEXPAND | VM_SOFTDIRTY;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = flags;
	vma->vm_page_prot = vm_get_page_prot(mm, flags);
	vma->vm_ops = ops;
	vma_link(mm, vma);
	vm_stat_account(mm, flags, (long)(len >> PAGE_SHIFT));
	return 0;
}

/* map_vdso(): one get_unmapped_area for the whole block, [vvar] lowest. */
static int map_vdso(struct binprm *b)
{
	const unsigned *pages = b->m->cfg.vdso_pages;
	uint64_t vvar = (uint64_t)pages[0] << PAGE_SHIFT, vclock = (uint64_t)pages[1] << PAGE_SHIFT;
	uint64_t vdso = (uint64_t)pages[2] << PAGE_SHIFT;
	int64_t addr;
	int ret;

	if (!vvar && !vclock && !vdso)
		return 0;
	addr = get_unmapped_area(b->mm, NULL, 0, vvar + vclock + vdso, 0, 0);
	if (IS_ERR_VALUE(addr))
		return map_error(b, addr, "the vDSO");
	ret = install_special_mapping(b->mm, (uint64_t)addr, vvar,
				      VM_READ | VM_MAYREAD | VM_IO | VM_DONTDUMP | VM_PFNMAP,
				      &vvar_ops);
	if (!ret)
		ret = install_special_mapping(b->mm, (uint64_t)addr + vvar, vclock,
					      VM_READ | VM_MAYREAD | VM_IO | VM_DONTDUMP |
					      VM_PFNMAP, &vclock_ops);
	if (!ret)
		ret = install_special_mapping(b->mm, (uint64_t)addr + vvar + vclock, vdso,
					      VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE |
					      VM_MAYEXEC, &vdso_ops);
	if (ret)
		return fail(b, ret, "%s: %sout of memory", "");
	b->r->vdso_base = vdso ? (uint64_t)addr + vvar + vclock : 0;
	return 0;
}

/* ---- 8: create_elf_tables ---- */

/* The bytes of the string at @va of the new stack, its NUL included: read
 * from the strings as copy_strings() (and load_script()) left them, which
 * lie from arg_start on (strnlen_user()). */
static uint64_t next_string_len(const struct binprm *b, uint64_t va)
{
	size_t off = (size_t)(va - b->mm->arg_start);
	const char *s = (const char *)b->strbuf + b->strbuf_len - b->str_used + off;

	if (va < b->mm->arg_start || off >= b->str_used)
		return 1;
	return strnlen(s, b->str_used - off) + 1;
}

static void aux(struct exec_result *r, uint64_t type, uint64_t val)
{
	if (r->nr_auxv < EXEC_MAX_AUXV) {
		r->auxv[r->nr_auxv][0] = type;
		r->auxv[r->nr_auxv][1] = val;
		r->nr_auxv++;
	}
}

static int create_elf_tables(struct binprm *b, uint64_t interp_load_addr, uint64_t e_entry,
			     uint64_t phdr_addr)
{
	struct mm_struct *mm = b->mm;
	struct exec_result *r = b->r;
	const unsigned word = elf_word(&b->elf);
	const char *platform = word == 8 ? "x86_64" : "i686";
	uint8_t rand_bytes[16];
	uint64_t p = b->p, u_platform, u_rand, sp, argv, envp, items, ei;
	int ret;

	p = arch_align_stack(b, p);
	p -= strlen(platform) + 1;
	u_platform = p;
	ret = copy_to_mm(mm, u_platform, platform, strlen(platform) + 1);
	for (unsigned i = 0; i < 16; i += 8) {
		uint64_t v = get_random_long(b);

		memcpy(rand_bytes + i, &v, 8);
	}
	p -= sizeof(rand_bytes);
	u_rand = p;
	if (!ret)
		ret = copy_to_mm(mm, u_rand, rand_bytes, sizeof(rand_bytes));
	if (ret)
		return fail(b, ret, "%s: %scannot write the stack", "");

	/* ARCH_DLINFO (x86), then the generic entries, in the kernel's order */
	r->nr_auxv = 0;
	if (word == 4 && r->vdso_base)
		aux(r, AT_SYSINFO, r->vdso_base + VDSO32_VSYSCALL_OFFSET);
	if (r->vdso_base)
		aux(r, AT_SYSINFO_EHDR, r->vdso_base);
	aux(r, AT_MINSIGSTKSZ, SIM_MINSIGSTKSZ);
	aux(r, AT_HWCAP, SIM_HWCAP);
	aux(r, AT_PAGESZ, PAGE_SIZE);
	aux(r, AT_CLKTCK, SIM_CLKTCK);
	aux(r, AT_PHDR, phdr_addr);
	aux(r, AT_PHENT, word == 8 ? 56 : 32);
	aux(r, AT_PHNUM, b->elf.e_phnum);
	aux(r, AT_BASE, interp_load_addr);
	aux(r, AT_FLAGS, 0);
	aux(r, AT_ENTRY, e_entry);
	aux(r, AT_UID, 0);
	aux(r, AT_EUID, 0);
	aux(r, AT_GID, 0);
	aux(r, AT_EGID, 0);
	aux(r, AT_SECURE, 0);
	aux(r, AT_RANDOM, u_rand);
	aux(r, AT_HWCAP2, SIM_HWCAP2);
	aux(r, AT_EXECFN, b->exec);
	aux(r, AT_PLATFORM, u_platform);
	aux(r, AT_RSEQ_FEATURE_SIZE, SIM_RSEQ_FEATURE_SIZE);
	aux(r, AT_RSEQ_ALIGN, SIM_RSEQ_ALIGN);
	ei = 2ULL * r->nr_auxv + 2;		/* + AT_NULL */

	sp = p - ei * word;			/* STACK_ADD(p, ei_index) */
	items = (uint64_t)(b->argc + 1) + (uint64_t)(b->envc + 1) + 1;
	b->p = (sp - items * word) & ~15ULL;	/* STACK_ROUND(sp, items) */
	sp = b->p;
	/* find_extend_vma(): the stack VMA must reach down to sp */
	if (!vma_lookup(mm, sp)) {
		struct vm_area_struct *vma = find_vma(mm, sp);

		if (!vma || !(vma->vm_flags & VM_GROWSDOWN))
			return fail(b, -EFAULT, "%s: %sthe stack cannot hold the arguments", "");
		if ((ret = expand_downwards(mm, vma, sp & PAGE_MASK)))
			return fail(b, ret == -ENOMEM ? -ENOMEM : -EFAULT,
				    "%s: %sthe stack cannot hold the arguments", "");
	}
	if ((ret = put_word(b, sp, (uint64_t)b->argc)))
		return fail(b, ret, "%s: %scannot write the stack", "");
	sp += word;
	argv = sp;
	envp = argv + ((uint64_t)b->argc + 1) * word;
	p = mm->arg_end = mm->arg_start;
	for (int i = 0; i < b->argc; i++) {
		if ((ret = put_word(b, argv + (uint64_t)i * word, p)))
			return fail(b, ret, "%s: %scannot write the stack", "");
		p += next_string_len(b, p);
	}
	if ((ret = put_word(b, argv + (uint64_t)b->argc * word, 0)))
		return fail(b, ret, "%s: %scannot write the stack", "");
	mm->arg_end = mm->env_start = p;
	for (int i = 0; i < b->envc; i++) {
		if ((ret = put_word(b, envp + (uint64_t)i * word, p)))
			return fail(b, ret, "%s: %scannot write the stack", "");
		p += next_string_len(b, p);
	}
	if ((ret = put_word(b, envp + (uint64_t)b->envc * word, 0)))
		return fail(b, ret, "%s: %scannot write the stack", "");
	mm->env_end = p;
	/* the elf_info after envp's NULL */
	sp = envp + ((uint64_t)b->envc + 1) * word;
	for (unsigned i = 0; i < r->nr_auxv; i++) {
		if ((ret = put_word(b, sp, r->auxv[i][0])) ||
		    (ret = put_word(b, sp + word, r->auxv[i][1])))
			return fail(b, ret, "%s: %scannot write the stack", "");
		sp += 2ULL * word;
	}
	if ((ret = put_word(b, sp, AT_NULL)) || (ret = put_word(b, sp + word, 0)))
		return fail(b, ret, "%s: %scannot write the stack", "");
	return 0;
}

/* ---- 1: files ---- */

/* kernel_read() of the headers: through the page cache's view of the
 * file (cached frames, else the backing file), caching nothing. */
static int read_file(void *ctx, uint64_t off, void *buf, size_t len)
{
	return filemap_read(ctx, off, buf, len);
}

/* The ELF headers of @f (opened), or a message naming @shown. */
static int parse_elf(struct binprm *b, const char *shown, struct file **f, struct elf_binary *eb,
		     bool interp)
{
	struct vmsim_error e = { 0 };
	struct elf_source src = { read_file, *f, (*f)->f_mapping.i_size };
	int ret = elf_parse_from(&src, shown, b->native32 ? b->m->cfg.task_size : 0, &b->m->ha,
				 eb, &e);

	if (ret) {
		fput(*f);
		*f = NULL;
		if (interp) {
			/* load_elf_binary: an interpreter that is not an ELF of
			 * this arch is -ELIBBAD; other checks keep their errno */
			if (ret == -ENOEXEC)
				ret = -ELIBBAD;
			return verr(b->err, ret, "%s: bad interpreter: %s", b->filename, e.msg);
		}
		return verr(b->err, ret, "%s", e.msg);
	}
	return 0;
}

/* open_exec(): the file @shown, read from @host, or a file of the page
 * cache by that name (a scenario's) when @cached. */
static int open_exec(struct binprm *b, const char *shown, const char *host, bool cached,
		     struct file **f)
{
	struct page_cache *pc = machine_page_cache(&b->m->vm);
	struct vmsim_error e = { 0 };
	struct file *found;
	int ret;

	if (!pc)
		return verr(b->err, -ENOMEM, "%s: out of memory", shown);
	if (cached && (found = filemap_lookup(pc, shown))) {
		*f = get_file(found);
		return 0;
	}
	ret = filemap_open(pc, host, NULL, f, &e);
	if (ret)
		return verr(b->err, ret, "%s", e.msg);
	return 0;
}

/* An interpreter could not be opened: the message names the executable
 * too ("FILE: interpreter PATH: reason"). */
static int interp_error(struct binprm *b, int ret)
{
	char msg[sizeof(b->err->msg)];

	snprintf(msg, sizeof(msg), "%s", b->err->msg);
	b->err->code = 0;
	return verr(b->err, ret, "%s: interpreter %s", b->filename, msg);
}

/* The ELF interpreter (PT_INTERP) @shown, read from @host. */
static int open_elf_interp(struct binprm *b, const char *shown, const char *host)
{
	int ret = open_exec(b, shown, host, false, &b->interp_file);

	if (ret)
		return interp_error(b, ret);
	return parse_elf(b, shown, &b->interp_file, &b->interp, true);
}

/*
 * exec_binprm()'s loop over search_binary_handler(): b->file (opened) and
 * each "#!" interpreter it names in turn, until a file that is no script.
 * Each level is recorded for the argv rewriting; the interpreter is
 * opened before the depth is checked, as load_script() opens it.  On
 * return b->file is the binary and *@shown its name.  -ENOEXEC for a bad
 * "#!" line, -ELOOP past BINFMT_MAX_DEPTH levels, open errors.
 */
static int exec_binprm(struct binprm *b, const char **shown, char *host, size_t hostlen)
{
	const char *interp = b->a->filename;	/* bprm->interp: the script as named */

	for (unsigned depth = 0;; depth++) {
		uint8_t buf[BINPRM_BUF_SIZE];
		struct script_level lv;
		size_t len;
		int ret;

		if (depth > BINFMT_MAX_DEPTH)
			return verr(b->err, -ELOOP, "%s: more than %d levels of #! interpreters",
				    b->filename, BINFMT_MAX_DEPTH);
		/* prepare_binprm(): the first bytes, the rest of the buffer
		 * NUL for a shorter file */
		len = b->file->f_mapping.i_size < BINPRM_BUF_SIZE ?
		      (size_t)b->file->f_mapping.i_size : BINPRM_BUF_SIZE;
		if ((ret = filemap_read(b->file, 0, buf, len)))
			return verr(b->err, ret, "%s: cannot read %zu bytes at 0x0", *shown, len);
		ret = load_script(buf, len, &lv.line);
		if (ret == 1)
			return 0;	/* not a script: the ELF loader's turn */
		if (ret)
			return verr(b->err, ret, "%s: bad #! line in %s: no interpreter, or its path"
				    " does not end within %d bytes", b->filename, *shown, BINPRM_BUF_SIZE);
		snprintf(lv.interp, sizeof(lv.interp), "%s", interp);
		b->scripts[b->nscripts++] = lv;
		/* bprm_change_interp() and open_exec() of the interpreter */
		fput(b->file);
		b->file = NULL;
		if (b->a->sysroot && lv.line.i_name[0] == '/')
			snprintf(host, hostlen, "%s%s", b->a->sysroot, lv.line.i_name);
		else
			snprintf(host, hostlen, "%s", lv.line.i_name);
		ret = open_exec(b, b->scripts[b->nscripts - 1].line.i_name, host, true, &b->file);
		if (ret)
			return interp_error(b, ret);
		*shown = interp = b->scripts[b->nscripts - 1].line.i_name;
	}
}

/* load_script()'s argv rewriting, once the strings are on the stack: for
 * each level, argv[0] goes (remove_arg_zero) and the interpreter, its
 * argument and the script take its place: "interp [arg] script argv[1..]". */
static int script_args(struct binprm *b)
{
	for (unsigned i = 0; i < b->nscripts; i++) {
		const struct script_level *lv = &b->scripts[i];
		int ret;

		if (b->argc) {
			/* remove_arg_zero(): bprm->p past argv[0] and its NUL */
			const char *s = (const char *)b->strbuf + b->strbuf_len -
					(size_t)(b->stack_top_max - b->p);

			b->p += strlen(s) + 1;
			b->argc--;
		}
		if ((ret = copy_string(b, lv->interp)))
			return ret;
		b->argc++;
		if (lv->line.has_arg) {
			if ((ret = copy_string(b, lv->line.i_arg)))
				return ret;
			b->argc++;
		}
		if ((ret = copy_string(b, lv->line.i_name)))
			return ret;
		b->argc++;
	}
	return 0;
}

static void binprm_free(struct binprm *b)
{
	elf_binary_free(&b->m->ha, &b->elf);
	elf_binary_free(&b->m->ha, &b->interp);
	if (b->strbuf)
		host_free(&b->m->ha, b->strbuf, b->strbuf_len);
	fput(b->file);
	fput(b->interp_file);
	if (b->mm)
		mmput(b->mm);
}

/* exec_mmap(): the task takes the new mm, CPUs running it load its root,
 * the old one is released; start_thread() loads null FS and GS, whose
 * bases a null load clears. */
static void exec_mmap(struct task_struct *t, struct mm_struct *mm)
{
	struct vmsim_machine *m = vm_machine(mm->vm);
	struct mm_struct *old = t->mm;

	t->mm = mm;
	memset(&t->thread, 0, sizeof(t->thread));
	for (unsigned c = 0; c < m->nr_cpus; c++)
		if (m->current[c] == t) {
			context_switch(m, c, t);
			load_task_fsgs(m, c, t);
		}
	if (old)
		mmput(old);
}

static void set_comm(struct task_struct *t, const char *filename)
{
	const char *base = strrchr(filename, '/');

	snprintf(t->comm, sizeof(t->comm), "%s", base ? base + 1 : filename);
}

static int __do_execve(struct task_struct *t, const struct exec_args *a, struct exec_result *r,
		       struct vmsim_error *err)
{
	struct binprm bb = { 0 }, *b = &bb;
	struct vmsim_machine *m;
	struct mm_struct *mm;
	uint64_t load_bias = 0, phdr_addr = 0, elf_brk = 0, e_entry, elf_entry;
	uint64_t start_code = UINT64_MAX, end_code = 0, start_data = 0, end_data = 0;
	uint64_t interp_load_addr = 0;
	bool first_pt_load = true, brk_moved = false;
	char interp_host[PATH_MAX];
	int ret;

	memset(r, 0, sizeof(*r));
	if (!t || !t->mm)
		return verr(err, -EINVAL, "exec: no task");
	if (!t->mm->vm->cfg->contents)
		return verr(err, -EOPNOTSUPP, "exec: the ELF's segments and the stack's strings are "
			    "page contents, and this machine keeps none (memory.contents: none)");
	m = vm_machine(t->mm->vm);
	b->m = m;
	b->t = t;
	b->a = a;
	b->r = r;
	b->err = err;
	b->filename = a->filename;
	b->native32 = !config_is_64(&m->cfg);
	b->randomize = m->cfg.randomize;
	b->rng = m->cfg.seed * 0x9e3779b97f4a7c15ULL + (uint64_t)t->pid;
	b->rlimit = a->stack_rlimit || a->has_stack_rlimit ? a->stack_rlimit : m->cfg.stack_rlimit;

	/* 0, 1: the executable (after any "#!" interpreters) and its ELF
	 * interpreter, checked before anything changes */
	{
		const char *shown = a->filename;

		ret = 0;
		snprintf(interp_host, sizeof(interp_host), "%s", a->host_path ? a->host_path :
			 a->filename);
		if (a->file)
			b->file = get_file(a->file);
		else
			ret = open_exec(b, shown, interp_host, false, &b->file);
		if (!ret)
			ret = exec_binprm(b, &shown, interp_host, sizeof(interp_host));
		if (!ret)
			ret = parse_elf(b, shown, &b->file, &b->elf, false);
		if (ret)
			goto out;
	}
	if (b->native32 && b->elf.ei_class == ELFCLASS64) {
		ret = verr(err, -ENOEXEC, "%s: a 64-bit ELF cannot run on the x86_32 machine",
			   a->filename);
		goto out;
	}
	b->compat = !b->native32 && b->elf.ei_class == ELFCLASS32;
	r->compat = b->compat;
	b->task_size = b->native32 ? m->cfg.task_size : b->compat ? COMPAT_TASK_SIZE :
		       m->cfg.task_size;
	/* STACK_TOP_MAX is the machine's TASK_SIZE: 64-bit even for compat tasks */
	b->stack_top_max = m->cfg.task_size;
	if (b->elf.interp) {
		snprintf(r->interp, sizeof(r->interp), "%s", b->elf.interp);
		if (a->sysroot)
			snprintf(interp_host, sizeof(interp_host), "%s%s", a->sysroot, b->elf.interp);
		else
			snprintf(interp_host, sizeof(interp_host), "%s", b->elf.interp);
		ret = open_elf_interp(b, b->elf.interp, interp_host);
		if (ret)
			goto out;
		if (b->interp.ei_class != b->elf.ei_class) {
			ret = verr(err, -ELIBBAD, "%s: bad interpreter: %s is ELFCLASS%d",
				   a->filename, b->elf.interp, b->interp.ei_class == ELFCLASS64 ? 64 : 32);
			goto out;
		}
		b->has_interp = true;
	}
	/* elf_read_implies_exec(): i386 binaries without PT_GNU_STACK */
	b->read_implies_exec = elf_word(&b->elf) == 4 && b->elf.executable_stack == EXSTACK_DEFAULT;

	/* 2: bprm_mm_init and the strings */
	b->mm = mm = mm_alloc(m);
	if (mm)
		mm->owner = t;	/* mm_alloc(): mm_init_owner(mm, current) */
	if (!mm) {
		ret = verr(err, -ENOMEM, "%s: out of memory", a->filename);
		goto out;
	}
	ret = bprm_mm_init(b);
	if (ret)
		goto out;
	b->argc = a->argc;
	b->envc = a->envc;
	b->strbuf_len = PAGE_SIZE;
	b->strbuf = host_alloc(&m->ha, b->strbuf_len);
	if (!b->strbuf) {
		ret = verr(err, -ENOMEM, "%s: out of memory", a->filename);
		goto out;
	}
	ret = bprm_stack_limits(b);
	if (!ret)
		ret = copy_string(b, a->filename);
	b->exec = b->p;
	if (!ret)
		ret = copy_strings(b, b->envc, a->envp);
	if (!ret)
		ret = copy_strings(b, b->argc, a->argv);
	/* an empty argv gets "" as argv[0] (since 5.18) */
	if (!ret && b->argc == 0) {
		ret = copy_string(b, "");
		b->argc = 1;
		b->a = a;
	}
	if (!ret)
		ret = script_args(b);
	if (ret)
		goto out;
	{
		/* the string pages joined the stack VMA as they were written
		 * (get_arg_page -> expand_downwards) */
		struct vm_area_struct *vma = vma_lookup(mm, b->stack_top_max - 1);
		uint64_t low = b->p & PAGE_MASK;

		if (low < vma->vm_start && expand_downwards(mm, vma, low)) {
			ret = verr(err, -E2BIG, "%s: argument list too long", a->filename);
			goto out;
		}
	}

	/* 3: setup_new_exec */
	setup_new_exec(b);
	/* 4: setup_arg_pages, then the strings into the pages at their place */
	{
		/* the strings, gathered below STACK_TOP_MAX, land below the new top */
		size_t used = (size_t)(b->stack_top_max - b->p);

		b->str_used = used;

		/* STACK_TOP: TASK_SIZE_LOW, the DEFAULT_MAP_WINDOW of a
		 * 64-bit task (below STACK_TOP_MAX under 5-level paging) */
		ret = setup_arg_pages(b, randomize_stack_top(b, b->native32 || b->compat ?
							       b->task_size :
							       config_map_window(&b->m->cfg)));
		if (ret)
			goto out;
		ret = copy_to_mm(mm, b->p, b->strbuf + b->strbuf_len - used, used);
		if (ret) {
			ret = verr(err, ret, "%s: cannot write the arguments", a->filename);
			goto out;
		}
	}

	/* 5: the PT_LOAD segments */
	for (unsigned i = 0; i < b->elf.e_phnum; i++) {
		const struct elf_phdr *ph = &b->elf.phdr[i];
		unsigned long elf_flags = MAP_PRIVATE;
		uint64_t vaddr, k, total_size = 0;
		int elf_prot;
		int64_t error;
		char what[32];

		if (ph->p_type != PT_LOAD)
			continue;
		snprintf(what, sizeof(what), "PT_LOAD %u", i);
		elf_prot = make_prot(ph->p_flags, b->read_implies_exec);
		vaddr = ph->p_vaddr;
		if (!first_pt_load) {
			elf_flags |= MAP_FIXED;
		} else if (b->elf.e_type == ET_EXEC) {
			elf_flags |= MAP_FIXED_NOREPLACE;
		} else {
			uint64_t alignment = b->elf.alignment;

			total_size = b->elf.total_size;
			if (b->has_interp) {
				/* PIE: ELF_ET_DYN_BASE (+ the mmap randomization) */
				load_bias = b->native32 ? 0x400000ULL :
					    b->compat ? PAGE_ALIGN(COMPAT_TASK_SIZE / 3) + 0x1000000 :
					    config_map_window(&m->cfg) / 3 * 2;	/* DEFAULT_MAP_WINDOW */
				load_bias += arch_mmap_rnd(b);
				if (alignment)
					load_bias &= ~(alignment - 1);
				elf_flags |= MAP_FIXED_NOREPLACE;
			} else if (alignment > ELF_MIN_ALIGN) {
				/* a loader with a large p_align: map it where the
				 * mmap allocator says, unmap, align down, map again */
				int64_t lb = elf_load(b, b->file, 0, ph, elf_prot, elf_flags, total_size);

				if (BAD_ADDR(lb, b->task_size)) {
					ret = map_error(b, lb, what);
					goto out;
				}
				do_munmap(mm, (uint64_t)lb, ELF_PAGEALIGN(total_size));
				load_bias = (uint64_t)lb & ~(alignment - 1);
				elf_flags |= MAP_FIXED_NOREPLACE;
			} else {
				load_bias = 0;
			}
			load_bias = ELF_PAGESTART(load_bias - vaddr);
		}
		error = elf_load(b, b->file, load_bias + vaddr, ph, elf_prot, elf_flags, total_size);
		if (BAD_ADDR(error, b->task_size)) {
			ret = map_error(b, error, what);
			goto out;
		}
		if (first_pt_load) {
			first_pt_load = false;
			if (b->elf.e_type == ET_DYN)
				load_bias += (uint64_t)error - ELF_PAGESTART(load_bias + vaddr);
		}
		/* the segment holding the program headers gives AT_PHDR */
		if (ph->p_offset <= b->elf.e_phoff && b->elf.e_phoff < ph->p_offset + ph->p_filesz)
			phdr_addr = b->elf.e_phoff - ph->p_offset + ph->p_vaddr;
		k = ph->p_vaddr;
		if ((ph->p_flags & PF_X) && k < start_code)
			start_code = k;
		if (start_data < k)
			start_data = k;
		k = ph->p_vaddr + ph->p_filesz;
		if ((ph->p_flags & PF_X) && end_code < k)
			end_code = k;
		if (end_data < k)
			end_data = k;
		k = ph->p_vaddr + ph->p_memsz;
		if (k > elf_brk)
			elf_brk = k;
	}
	e_entry = b->elf.e_entry + load_bias;
	phdr_addr += load_bias;
	elf_brk += load_bias;
	start_code += load_bias;
	end_code += load_bias;
	start_data += load_bias;
	end_data += load_bias;
	r->load_bias = load_bias;

	/* 6: the interpreter */
	if (b->has_interp) {
		int64_t ia = load_elf_interp(b, load_bias);

		if (BAD_ADDR(ia, b->task_size)) {
			ret = map_error(b, ia, "the interpreter");
			goto out;
		}
		interp_load_addr = (uint64_t)ia;
		elf_entry = interp_load_addr + b->interp.e_entry;
		if (BAD_ADDR(elf_entry, b->task_size)) {
			ret = verr(err, -EINVAL, "%s: interpreter entry 0x%llx is outside the task",
				   a->filename, (unsigned long long)elf_entry);
			goto out;
		}
	} else {
		elf_entry = e_entry;
		if (BAD_ADDR(elf_entry, b->task_size)) {
			ret = verr(err, -EINVAL, "%s: entry point 0x%llx is outside the task",
				   a->filename, (unsigned long long)elf_entry);
			goto out;
		}
	}
	r->interp_base = interp_load_addr;

	/* 7: ARCH_SETUP_ADDITIONAL_PAGES */
	ret = map_vdso(b);
	if (ret)
		goto out;

	/* 8: the initial stack */
	ret = create_elf_tables(b, interp_load_addr, e_entry, phdr_addr);
	if (ret)
		goto out;

	/* 9: the mm fields and brk */
	mm->end_code = end_code;
	mm->start_code = start_code;
	mm->start_data = start_data;
	mm->end_data = end_data;
	mm->start_stack = b->p;
	/* "brk" handling: a loader run directly has its brk moved out of the
	 * way, to ELF_ET_DYN_BASE, even without randomization */
	if (b->elf.e_type == ET_DYN && !b->has_interp) {
		elf_brk = b->native32 ? 0x400000ULL :
			  b->compat ? PAGE_ALIGN(COMPAT_TASK_SIZE / 3) + 0x1000000 :
			  config_map_window(&m->cfg) / 3 * 2;
		brk_moved = true;
	}
	mm->start_brk = mm->brk = ELF_PAGEALIGN(elf_brk);
	if (b->randomize) {
		if (!brk_moved)
			mm->brk = mm->start_brk = mm->brk + PAGE_SIZE;
		mm->brk = mm->start_brk = randomize_page(b, mm->brk,
							 b->compat || b->native32 ? SZ_32M : SZ_1G);
	}
	update_hiwater_vm(mm);
	r->ip = elf_entry;
	r->sp = b->p;

	exec_mmap(t, mm);
	b->mm = NULL;
	set_comm(t, a->filename);
	ret = 0;
out:
	binprm_free(b);
	return ret;
}

int do_execve(struct task_struct *t, const struct exec_args *a, struct exec_result *r,
	      struct vmsim_error *err)
{
	int ret;

	if (!t || !t->mm)
		return __do_execve(t, a, r, err);
	/* the task's own system call: current, its memory in use */
	task_enter_kernel(t);
	ret = __do_execve(t, a, r, err);
	task_leave_kernel(vm_machine(t->mm->vm));
	return ret;
}

const char *auxv_name(uint64_t type)
{
	switch (type) {
	case AT_NULL: return "AT_NULL";
	case AT_PHDR: return "AT_PHDR";
	case AT_PHENT: return "AT_PHENT";
	case AT_PHNUM: return "AT_PHNUM";
	case AT_PAGESZ: return "AT_PAGESZ";
	case AT_BASE: return "AT_BASE";
	case AT_FLAGS: return "AT_FLAGS";
	case AT_ENTRY: return "AT_ENTRY";
	case AT_UID: return "AT_UID";
	case AT_EUID: return "AT_EUID";
	case AT_GID: return "AT_GID";
	case AT_EGID: return "AT_EGID";
	case AT_PLATFORM: return "AT_PLATFORM";
	case AT_HWCAP: return "AT_HWCAP";
	case AT_CLKTCK: return "AT_CLKTCK";
	case AT_SECURE: return "AT_SECURE";
	case AT_RANDOM: return "AT_RANDOM";
	case AT_HWCAP2: return "AT_HWCAP2";
	case AT_RSEQ_FEATURE_SIZE: return "AT_RSEQ_FEATURE_SIZE";
	case AT_RSEQ_ALIGN: return "AT_RSEQ_ALIGN";
	case AT_EXECFN: return "AT_EXECFN";
	case AT_SYSINFO: return "AT_SYSINFO";
	case AT_SYSINFO_EHDR: return "AT_SYSINFO_EHDR";
	case AT_MINSIGSTKSZ: return "AT_MINSIGSTKSZ";
	}
	return NULL;
}
