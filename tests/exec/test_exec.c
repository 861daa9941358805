/*
 * load_elf_binary in vmsim (kern/exec.c), checked without the host
 * oracle: mmap_base against the kernel's formula for the three rlimits
 * and the compat task; the initial stack read back through the task's
 * own accesses (argc, argv and envp pointers to the right strings, the
 * auxv as reported, AT_EXECFN and AT_PLATFORM strings, 16-byte sp); a
 * failed exec (corrupt file, missing interpreter, argument list too long,
 * 64-bit file on the x86_32 machine) leaves the task's mm untouched;
 * randomization is reproducible per seed, differs between seeds and
 * stays within Linux's entropy; a second exec frees the first image; a
 * 2 GiB binary is read page by page (host memory and page cache grow by
 * a few pages), and a failed read is -EIO.  Under 5-level paging a
 * 64-bit program gets the 4-level layout (below DEFAULT_MAP_WINDOW) in
 * five levels of tables; an i386 program under PAE gets NX on its stack
 * and data and three levels of tables, and none of it under 2-level
 * paging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "util/config.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "vma/filemap.h"
#include "vma/mm.h"

#define TRUE_PATH "/usr/bin/true"

static struct vmsim_machine *boot(const char *arch, const char *s1, const char *s2)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=256MiB", s1, s2, NULL };
	struct vmsim_machine *m = vmsim_machine_create(arch, sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

static struct task_struct *spawn(struct vmsim_machine *m)
{
	struct task_struct *t;

	assert_int_equal(task_spawn(m, "t", NULL, &t), 0);
	return t;
}

/* exec (skipped where the host has no /usr/bin/true) */
static int try_exec(struct task_struct *t, const char *path, const char *const *argv, int argc,
		    const char *const *envp, int envc, uint64_t rlimit, struct exec_result *r,
		    struct vmsim_error *err)
{
	struct exec_args a = { .filename = path, .argv = argv, .argc = argc, .envp = envp,
			       .envc = envc, .stack_rlimit = rlimit };
	int ret;

	if (strcmp(path, TRUE_PATH) == 0 && access(path, R_OK) != 0) {
		print_message("%s not available here\n", path);
		skip();
	}
	verr_clear(err);
	ret = do_execve(t, &a, r, err);
	return ret;
}

static void check_all(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };

	if (task_check_all(m, &err) || page_cache_check(m->vm.page_cache, &err) ||
	    machine_check(m, &err))
		fail_msg("checker: %s", err.msg);
}

static void maps_text(struct vmsim_machine *m, struct strbuf *sb)
{
	struct view_args va = { .task = "t" };

	sb_reset(sb);
	assert_int_equal(view_render(m, "maps", &va, false, sb), 0);
}

static void test_exec_mmap_base_formula(void **state)
{
	const uint64_t ts = 0x7ffffffff000ULL;

	(void)state;
	/* mmap_base(): the clamp to [128 MiB, 5/6 TASK_SIZE] */
	assert_int_equal(exec_mmap_base(ts, 8ULL << 20, 0, 0), 0x7ffff7fff000ULL);
	assert_int_equal(exec_mmap_base(ts, 256ULL << 20, 0, 0), 0x7fffefeff000ULL);
	assert_int_equal(exec_mmap_base(ts, UINT64_MAX, 0, 0), 0x155555556000ULL);
	assert_int_equal(exec_mmap_base(0xffffe000ULL, 8ULL << 20, 0, 0), 0xf7ffe000ULL);
	/* the random pad joins the gap, the random offset comes off the base */
	assert_int_equal(exec_mmap_base(ts, 8ULL << 20, 0x1000, 0x3fffff000ULL),
			 0x7ffffffff000ULL - (8ULL << 20) - 0x100000 - 0x3fffff000ULL - 0x1000);
}

static uint64_t peek(struct task_struct *t, uint64_t va, unsigned size)
{
	struct access_result r = { 0 };
	uint64_t v = 0;

	assert_int_equal(task_access(t, va, MMU_READ, &v, size, &r), 0);
	assert_int_equal(r.segv, 0);
	return v;
}

static void peek_str(struct task_struct *t, uint64_t va, char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf[i] = (char)peek(t, va + i, 1);
		if (!buf[i])
			return;
	}
	buf[n - 1] = '\0';
}

static uint64_t auxv_get(const struct exec_result *r, uint64_t type)
{
	for (unsigned i = 0; i < r->nr_auxv; i++)
		if (r->auxv[i][0] == type)
			return r->auxv[i][1];
	fail_msg("no auxv entry %llu", (unsigned long long)type);
	return 0;
}

static void test_exec_initial_stack_layout(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	const char *argv[] = { "true", "one", "two words" };
	const char *envp[] = { "HOME=/root", "X=1" };
	struct vmsim_error err = { 0 };
	struct exec_result r;
	char s[64];
	uint64_t sp, p;

	(void)state;
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 3, envp, 2, 0, &r, &err), 0);
	context_switch(m, 0, t);
	sp = r.sp;
	assert_int_equal(sp & 15, 0);
	assert_int_equal(t->mm->start_stack, sp);
	assert_int_equal(peek(t, sp, 8), 3);
	for (int i = 0; i < 3; i++) {
		peek_str(t, peek(t, sp + 8 + 8 * (uint64_t)i, 8), s, sizeof(s));
		assert_string_equal(s, argv[i]);
	}
	assert_int_equal(peek(t, sp + 8 + 8 * 3, 8), 0);
	for (int i = 0; i < 2; i++) {
		peek_str(t, peek(t, sp + 8 * 5 + 8 * (uint64_t)i, 8), s, sizeof(s));
		assert_string_equal(s, envp[i]);
	}
	assert_int_equal(peek(t, sp + 8 * 7, 8), 0);
	/* the auxv follows envp's NULL, as create_elf_tables() writes it */
	p = sp + 8 * 8;
	for (unsigned i = 0; i < r.nr_auxv; i++, p += 16) {
		assert_int_equal(peek(t, p, 8), r.auxv[i][0]);
		assert_int_equal(peek(t, p + 8, 8), r.auxv[i][1]);
	}
	assert_int_equal(peek(t, p, 8), AT_NULL);
	assert_int_equal(r.nr_auxv, 22);
	assert_int_equal(r.auxv[0][0], AT_SYSINFO_EHDR);
	assert_int_equal(r.auxv[21][0], AT_RSEQ_ALIGN);
	peek_str(t, auxv_get(&r, AT_EXECFN), s, sizeof(s));
	assert_string_equal(s, TRUE_PATH);
	peek_str(t, auxv_get(&r, AT_PLATFORM), s, sizeof(s));
	assert_string_equal(s, "x86_64");
	/* the strings: argv from arg_start, env after, the file name last,
	 * 8 bytes below STACK_TOP */
	assert_int_equal(auxv_get(&r, AT_EXECFN) + sizeof(TRUE_PATH), 0x7ffffffff000ULL - 8);
	peek_str(t, t->mm->arg_start, s, sizeof(s));
	assert_string_equal(s, "true");
	peek_str(t, t->mm->env_start, s, sizeof(s));
	assert_string_equal(s, "HOME=/root");
	assert_int_equal(t->mm->env_end, auxv_get(&r, AT_EXECFN));
	/* AT_PHDR points at the program headers as mapped */
	assert_int_equal(peek(t, auxv_get(&r, AT_PHDR), 4), 6 /* PT_PHDR */);
	assert_int_equal(auxv_get(&r, AT_BASE), r.interp_base);
	assert_true(r.ip > r.interp_base && r.ip < t->mm->mmap_base);
	assert_int_equal(r.load_bias, 0x555555554000ULL);
	assert_int_equal(t->mm->start_brk & 0xfff, 0);
	check_all(m);
	vmsim_machine_destroy(m);
}

/*
 * 5-level paging runs /usr/bin/true at the addresses 4-level paging
 * gives it -- STACK_TOP, mmap_base and ELF_ET_DYN_BASE all derive from
 * the 47-bit DEFAULT_MAP_WINDOW -- through five levels of tables.
 */
static void test_exec_la57_keeps_the_47_bit_layout(void **state)
{
	struct vmsim_machine *m = boot("x86_64-la57", NULL, NULL);
	struct task_struct *t = spawn(m);
	const char *argv[] = { "true" };
	struct vmsim_error err = { 0 };
	struct exec_result r;
	struct pt_path p;

	(void)state;
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r, &err), 0);
	context_switch(m, 0, t);
	assert_int_equal(t->mm->task_size, 0x00fffffffffff000ULL);
	assert_int_equal(t->mm->mmap_base, 0x7ffff7fff000ULL);
	assert_int_equal(auxv_get(&r, AT_EXECFN) + sizeof(TRUE_PATH), 0x7ffffffff000ULL - 8);
	assert_int_equal(r.load_bias, 0x555555554000ULL);
	assert_true(r.interp_base < t->mm->mmap_base && r.interp_base > (1ULL << 46));
	pt_lookup(&m->pt, t->mm->pgd, r.sp, &p);
	assert_int_equal(p.n, 5);
	assert_true(p.leaf);
	assert_true(p.e[4] & _PAGE_NX);		/* the stack: not executable */
	pt_lookup(&m->pt, t->mm->pgd, r.ip, &p);
	assert_int_equal(p.n, 5);
	assert_false(p.e[4] & _PAGE_NX);	/* the interpreter's text */
	assert_int_equal(peek(t, r.sp, 8), 1);
	check_all(m);
	vmsim_machine_destroy(m);
}

/* A minimal i386 ET_EXEC: text r-x at 0x8048000 (the headers and "mov
 * eax, 1; int 0x80"), 16 bytes of data rw- at 0x8049000 with a page of
 * bss after them, PT_GNU_STACK rw-.  Its path in @path. */
static const char *write_i386(char *path, size_t n)
{
	static const uint8_t code[] = { 0xb8, 1, 0, 0, 0, 0xcd, 0x80 };
	uint8_t f[0x1010] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
	const uint32_t hdr[] = {
		/* e_type EM_386 | e_version, e_entry, e_phoff, e_shoff, e_flags */
		2 | 3u << 16, 1, 0x8048000 + 52 + 3 * 32, 52, 0, 0,
		/* e_ehsize | e_phentsize, e_phnum | e_shentsize, e_shnum |
		 * e_shstrndx */
		52 | 32u << 16, 3, 0,
		/* PT_LOAD r-x: the first page */
		1, 0, 0x8048000, 0x8048000, 52 + 3 * 32 + sizeof(code),
		52 + 3 * 32 + sizeof(code), 5, 0x1000,
		/* PT_LOAD rw-: data and bss */
		1, 0x1000, 0x8049000, 0x8049000, 0x10, 0x2000, 6, 0x1000,
		/* PT_GNU_STACK rw- */
		0x6474e551, 0, 0, 0, 0, 0, 6, 16,
	};
	FILE *fp;

	for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		for (unsigned b = 0; b < 4; b++)
			f[16 + 4 * i + b] = (uint8_t)(hdr[i] >> (8 * b));
	memcpy(f + 52 + 3 * 32, code, sizeof(code));
	memset(f + 0x1000, 0x5a, 0x10);
	snprintf(path, n, "/tmp/vmsim-i386-pae-%d", (int)getpid());
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f, 1, sizeof(f), fp), sizeof(f));
	fclose(fp);
	return path;
}

/*
 * An i386 program on the PAE machine: three levels of tables, and NX
 * (bit 63 of a PAE entry) on everything not executable -- the stack, the
 * data, the bss; on the 2-level machine the same program has two levels
 * and no NX bit anywhere, the text and the stack differing only in R/W.
 */
static void test_exec_i386_on_pae_has_nx(void **state)
{
	static const char *const machines[] = { "x86_32-pae", "x86_32" };
	char path[64];

	(void)state;
	write_i386(path, sizeof(path));
	for (unsigned i = 0; i < 2; i++) {
		struct vmsim_machine *m = boot(machines[i], NULL, NULL);
		struct task_struct *t = spawn(m);
		const char *argv[] = { "i386" };
		struct vmsim_error err = { 0 };
		struct exec_result r;
		struct access_result ar;
		struct pt_path p;
		uint64_t v = 7;
		const bool pae = i == 0;
		const unsigned n = pae ? 3 : 2;

		if (try_exec(t, path, argv, 1, NULL, 0, 0, &r, &err))
			fail_msg("%s: %s", machines[i], err.msg);
		context_switch(m, 0, t);
		assert_int_equal(r.ip, 0x8048000 + 52 + 3 * 32);
		assert_true(r.sp < 0xc0000000ULL && r.sp > 0xbf000000ULL);
		assert_int_equal(peek(t, 0x8049000, 1), 0x5a);
		assert_int_equal(task_access(t, 0x804a000, MMU_WRITE, &v, 4, &ar), 0);
		assert_int_equal(ar.segv, 0);
		/* text, once fetched: present, executable */
		assert_int_equal(task_access(t, r.ip, MMU_FETCH, &v, 1, &ar), 0);
		assert_int_equal(ar.segv, 0);
		assert_int_equal(v & 0xff, 0xb8);
		pt_lookup(&m->pt, t->mm->pgd, r.ip, &p);
		assert_int_equal(p.n, n);
		assert_true(p.leaf);
		assert_false(p.e[n - 1] & _PAGE_NX);
		assert_false(p.e[n - 1] & _PAGE_RW);
		/* the bss and the stack: NX under PAE; no such bit without */
		pt_lookup(&m->pt, t->mm->pgd, 0x804a000, &p);
		assert_int_equal(p.n, n);
		assert_true(p.leaf);
		assert_int_equal(!!(p.e[n - 1] & _PAGE_NX), pae);
		assert_true(p.e[n - 1] & _PAGE_RW);
		pt_lookup(&m->pt, t->mm->pgd, r.sp, &p);
		assert_int_equal(p.n, n);
		assert_int_equal(!!(p.e[n - 1] & _PAGE_NX), pae);
		if (!pae)
			assert_int_equal(p.e[n - 1] >> 32, 0);
		/* a fetch from the stack: #PF with I/D under PAE (SIGSEGV);
		 * 2-level paging cannot refuse it */
		assert_int_equal(task_access(t, r.sp, MMU_FETCH, &v, 1, &ar), 0);
		assert_int_equal(ar.segv != 0, pae);
		check_all(m);
		vmsim_machine_destroy(m);
	}
	unlink(path);
}

/* A file @name under /tmp with @text; the path, in @path. */
static const char *write_file(char *path, size_t n, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, n, "/tmp/vmsim-%s-%d", name, (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* @n scripts PREFIX1..PREFIXn, each run by the one before, the first by
 * @interp; their paths in @paths. */
static void write_chain(char paths[][64], int n, const char *prefix, const char *interp)
{
	char text[128];

	snprintf(text, sizeof(text), "#!%.100s\n", interp);
	for (int i = 0; i < n; i++) {
		char name[8];

		snprintf(name, sizeof(name), "%.2s%d", prefix, i + 1);
		write_file(paths[i], 64, name, text);
		snprintf(text, sizeof(text), "#!%.63s\n", paths[i]);
	}
}

/* argv as the new stack holds it, joined by '|' */
static void stack_argv(struct task_struct *t, uint64_t sp, char *out, size_t n)
{
	uint64_t argc = peek(t, sp, 8);
	size_t used = 0;

	out[0] = '\0';
	for (uint64_t i = 0; i < argc && used + 1 < n; i++) {
		char s[300];

		peek_str(t, peek(t, sp + 8 + 8 * i, 8), s, sizeof(s));
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "|" : "", s);
	}
}

/*
 * exec of a "#!" script (fs/binfmt_script.c): the interpreter runs with
 * argv "interp [arg] script argv[1..]" (argv[0] dropped), the nesting as
 * deep as five scripts (a sixth is -ELOOP), AT_EXECFN and comm those of
 * the script; a missing interpreter is -ENOENT, a bad line -ENOEXEC.  The
 * argv each case gives is what a 6.18 host passed to its interpreter.
 */
static void test_exec_script_runs_its_interpreter(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	char s1[64], chain[6][64], dchain[7][64], text[256], got[600], want[600], name[16];
	const char *argv[3];
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	if (access(TRUE_PATH, R_OK) != 0) {
		print_message("skipped: %s not available here\n", TRUE_PATH);
		skip();
	}
	write_file(s1, sizeof(s1), "s1", "#!" TRUE_PATH "  -a  b \t \nexit 1\n");
	argv[0] = "./s1";
	argv[1] = "A";
	argv[2] = "B";
	assert_int_equal(try_exec(t, s1, argv, 3, NULL, 0, 0, &r, &err), 0);
	context_switch(m, 0, t);
	stack_argv(t, r.sp, got, sizeof(got));
	snprintf(want, sizeof(want), "%s|-a  b|%s|A|B", TRUE_PATH, s1);
	assert_string_equal(got, want);
	peek_str(t, auxv_get(&r, AT_EXECFN), text, sizeof(text));
	assert_string_equal(text, s1);
	snprintf(name, sizeof(name), "vmsim-s1-%d", (int)getpid());
	assert_string_equal(t->comm, name);
	/* the interpreter is what is mapped */
	maps_text(m, &sb);
	assert_non_null(strstr(sb_str(&sb), TRUE_PATH));
	assert_null(strstr(sb_str(&sb), s1));
	check_all(m);

	/* scripts whose interpreters are scripts: five levels run */
	write_chain(chain, 6, "c", TRUE_PATH);
	argv[0] = chain[4];
	assert_int_equal(try_exec(t, chain[4], argv, 1, NULL, 0, 0, &r, &err), 0);
	context_switch(m, 0, t);
	stack_argv(t, r.sp, got, sizeof(got));
	snprintf(want, sizeof(want), "%s|%s|%s|%s|%s|%s", TRUE_PATH, chain[0], chain[1], chain[2],
		 chain[3], chain[4]);
	assert_string_equal(got, want);
	/* six is one too many; the task keeps its image */
	maps_text(m, &sb);
	argv[0] = chain[5];
	assert_int_equal(try_exec(t, chain[5], argv, 1, NULL, 0, 0, &r, &err), -ELOOP);
	assert_non_null(strstr(err.msg, chain[5]));
	{
		struct strbuf after = STRBUF_INIT;

		maps_text(m, &after);
		assert_string_equal(sb_str(&after), sb_str(&sb));
		sb_free(&after);
	}
	/* the 6th level's interpreter is opened before the depth is checked:
	 * missing, it is ENOENT (d6); one level more is ELOOP (d7) */
	write_chain(dchain, 7, "d", "/nonexistent/zz");
	argv[0] = dchain[5];
	assert_int_equal(try_exec(t, dchain[5], argv, 1, NULL, 0, 0, &r, &err), -ENOENT);
	argv[0] = dchain[6];
	assert_int_equal(try_exec(t, dchain[6], argv, 1, NULL, 0, 0, &r, &err), -ELOOP);
	for (int i = 0; i < 7; i++)
		unlink(dchain[i]);
	/* an interpreter that is not there, and lines that name none */
	write_file(text, sizeof(text), "s6", "#!/nonexistent/x\n");
	argv[0] = text;
	assert_int_equal(try_exec(t, text, argv, 1, NULL, 0, 0, &r, &err), -ENOENT);
	unlink(text);
	write_file(text, sizeof(text), "s4", "#!   \t\n");
	assert_int_equal(try_exec(t, text, argv, 1, NULL, 0, 0, &r, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "#!"));
	unlink(text);
	check_all(m);
	unlink(s1);
	for (int i = 0; i < 6; i++)
		unlink(chain[i]);
	sb_free(&sb);
	vmsim_machine_destroy(m);
}

static void test_exec_failure_leaves_the_task_alone(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	struct mm_struct *mm = t->mm;
	char path[64], *big;
	const char *argv[1];
	FILE *f;

	(void)state;
	assert_true(vm_mmap(mm, NULL, 0, 0x3000, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, 0) > 0);
	maps_text(m, &before);
	/* a file that is not ELF */
	snprintf(path, sizeof(path), "/tmp/vmsim-exec-%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("echo not elf, and no #! line\n", f);
	fclose(f);
	argv[0] = path;
	assert_int_equal(try_exec(t, path, argv, 1, NULL, 0, 0, &r, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "not an ELF file"));
	unlink(path);
	/* a file that does not exist */
	assert_int_equal(try_exec(t, TRUE_PATH "-missing", argv, 1, NULL, 0, 0, &r, &err), -ENOENT);
	/* an argument longer than MAX_ARG_STRLEN */
	big = malloc(40 * 4096);
	memset(big, 'a', 40 * 4096 - 1);
	big[40 * 4096 - 1] = '\0';
	argv[0] = big;
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r, &err), -E2BIG);
	free(big);
	assert_ptr_equal(t->mm, mm);
	maps_text(m, &after);
	assert_string_equal(sb_str(&before), sb_str(&after));
	check_all(m);
	sb_free(&before);
	sb_free(&after);
	vmsim_machine_destroy(m);
}

static void test_exec_64bit_file_on_x86_32_refused(void **state)
{
	struct vmsim_machine *m = boot("x86_32", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	const char *argv[] = { TRUE_PATH };

	(void)state;
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "x86_32"));
	vmsim_machine_destroy(m);
}

struct layout {
	uint64_t mmap_base, start_stack, start_brk, load_bias, vdso, interp;
};

static void exec_random(const char *seed, struct layout *l)
{
	struct vmsim_machine *m = boot("x86_64", "process.randomize=true", seed);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	const char *argv[] = { TRUE_PATH };

	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r, &err), 0);
	l->mmap_base = t->mm->mmap_base;
	l->start_stack = t->mm->start_stack;
	l->start_brk = t->mm->start_brk;
	l->load_bias = r.load_bias;
	l->vdso = r.vdso_base;
	l->interp = r.interp_base;
	check_all(m);
	vmsim_machine_destroy(m);
}

static void test_exec_randomization_per_seed(void **state)
{
	struct layout a, b, c;
	const uint64_t top = 0x7ffffffff000ULL;

	(void)state;
	exec_random("process.seed=7", &a);
	exec_random("process.seed=7", &b);
	exec_random("process.seed=8", &c);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(a.mmap_base != c.mmap_base && a.start_stack != c.start_stack &&
		    a.load_bias != c.load_bias);
	/* Linux's entropy: 28 bits of pages for mmap and the PIE base, the
	 * stack within 16 GiB (+8 KiB) under STACK_TOP, brk within 1 GiB */
	assert_true(a.mmap_base <= top - (128ULL << 20));
	assert_true(a.mmap_base >= top - (128ULL << 20) - (1ULL << 40) - (0x3fffffULL << 12) - 4096);
	assert_true(a.load_bias >= 0x555555554000ULL &&
		    a.load_bias < 0x555555554000ULL + (1ULL << 40));
	assert_true(a.start_stack < top && a.start_stack > top - (0x400000ULL << 12) - 0x10000);
	assert_true(a.start_brk > a.load_bias && a.start_brk < a.load_bias + (1ULL << 30) + 0x100000);
	assert_true(a.interp < a.mmap_base && a.vdso < a.interp);
}

static void test_exec_twice_replaces_the_image(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r1, r2;
	const char *argv[] = { TRUE_PATH };
	struct strbuf s1 = STRBUF_INIT, s2 = STRBUF_INIT;

	(void)state;
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r1, &err), 0);
	maps_text(m, &s1);
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r2, &err), 0);
	maps_text(m, &s2);
	/* the same file, the same layout: the old image is gone, not doubled */
	assert_string_equal(sb_str(&s1), sb_str(&s2));
	assert_int_equal(r1.ip, r2.ip);
	assert_string_equal(t->comm, "true");
	check_all(m);
	sb_free(&s1);
	sb_free(&s2);
	vmsim_machine_destroy(m);
}

/* A copy of /usr/bin/true padded to 2 GiB with a hole: 0, or -1 to skip. */
static int padded_true(char *path, size_t len)
{
	FILE *in = fopen(TRUE_PATH, "rb"), *out;
	char buf[4096];
	size_t n;
	int ret = 0;

	if (!in)
		return -1;
	snprintf(path, len, "/tmp/vmsim-exec-big-%d", (int)getpid());
	out = fopen(path, "wb");
	if (!out) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = -1;
	fclose(in);
	if (fclose(out) || ret || truncate(path, (off_t)(2ULL << 30)) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* exec reads the headers and the pages it touches, never the whole file:
 * a 2 GiB binary costs a few pages of host memory and of page cache. */
static void test_exec_reads_the_file_page_by_page(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	char path[64];
	const char *argv[] = { "big" };
	struct exec_args a = { .filename = "/bin/big", .argv = argv, .argc = 1 };
	size_t live = m->ha.live;

	(void)state;
	if (padded_true(path, sizeof(path))) {
		print_message("no %s to copy, or no room for a sparse copy\n", TRUE_PATH);
		vmsim_machine_destroy(m);
		skip();
	}
	a.host_path = path;
	assert_int_equal(do_execve(t, &a, &r, &err), 0);
	check_all(m);
	/* the image's own file pages: a few, read when something needed them */
	assert_true(m->vm.page_cache->reads < 16);
	assert_true(m->ha.live - live < (1u << 20));
	unlink(path);
	vmsim_machine_destroy(m);
}

/* A failed read of the first bytes (prepare_binprm()'s BINPRM_BUF_SIZE,
 * before any binary format looks at them) is -EIO, and the task keeps
 * its mm. */
static void test_exec_read_error_is_eio(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct mm_struct *before = t->mm;
	struct exec_result r;
	struct file *f;
	char path[64];
	const char *argv[] = { "big" };
	struct exec_args a = { .filename = "/bin/big", .argv = argv, .argc = 1 };
	int dir;

	(void)state;
	if (padded_true(path, sizeof(path))) {
		print_message("no %s to copy, or no room for a sparse copy\n", TRUE_PATH);
		vmsim_machine_destroy(m);
		skip();
	}
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), path, NULL, &f, &err), 0);
	dir = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0 && dup2(dir, f->fd) == f->fd);
	close(dir);
	a.file = f;
	assert_int_equal(do_execve(t, &a, &r, &err), -EIO);
	assert_non_null(strstr(err.msg, "/bin/big: cannot read 256 bytes at 0x0"));
	assert_ptr_equal(t->mm, before);
	check_all(m);
	fput(f);
	unlink(path);
	vmsim_machine_destroy(m);
}

static void test_exec_sysroot_finds_the_interpreter_there(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	struct exec_args a = { 0 };
	const char *argv[] = { TRUE_PATH };
	char root[64], dir[96], link[128];
	int ret;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/vmsim-sysroot-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s/lib64", root);
	snprintf(link, sizeof(link), "%s/ld-linux-x86-64.so.2", dir);
	mkdir(root, 0700);
	mkdir(dir, 0700);
	a.filename = TRUE_PATH;
	a.sysroot = root;
	a.argv = argv;
	a.argc = 1;
	/* nothing under the sysroot yet: the interpreter is missing */
	ret = do_execve(t, &a, &r, &err);
	assert_int_equal(ret, -ENOENT);
	assert_non_null(strstr(err.msg, "interpreter"));
	assert_non_null(strstr(err.msg, root));
	/* a sysroot holding it (here a link to the host's loader) */
	if (symlink("/lib64/ld-linux-x86-64.so.2", link) != 0)
		skip();
	verr_clear(&err);
	ret = do_execve(t, &a, &r, &err);
	unlink(link);
	rmdir(dir);
	rmdir(root);
	assert_int_equal(ret, 0);
	assert_string_equal(r.interp, "/lib64/ld-linux-x86-64.so.2");
	assert_true(r.interp_base != 0);
	check_all(m);
	vmsim_machine_destroy(m);
}

/* Fail the N-th host allocation for N = 0, 1, ... until exec succeeds:
 * every failure leaves the old address space and no host memory behind. */
static void test_exec_oom_sweep(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL, NULL);
	struct task_struct *t = spawn(m);
	struct vmsim_error err = { 0 };
	struct exec_result r;
	const char *argv[] = { TRUE_PATH };
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	long n;

	(void)state;
	/* a first exec, then a mapping of its own: the state every failed
	 * exec must leave alone */
	assert_int_equal(try_exec(t, TRUE_PATH, argv, 1, NULL, 0, 0, &r, &err), 0);
	assert_true(vm_mmap(t->mm, NULL, 0, 0x2000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 0) > 0);
	maps_text(m, &before);
	for (n = 1;; n++) {
		struct mm_struct *mm = t->mm;
		size_t live = m->ha.live;
		int ret;

		struct exec_args ea = { .filename = TRUE_PATH, .argv = argv, .argc = 1 };

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		ret = do_execve(t, &ea, &r, &err);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (!ret)
			break;
		if (ret != -ENOMEM)
			fail_msg("allocation %ld failed: %d (%s)", n, ret, err.msg);
		assert_ptr_equal(t->mm, mm);
		maps_text(m, &after);
		assert_string_equal(sb_str(&before), sb_str(&after));
		assert_int_equal(m->ha.live, live);
		check_all(m);
	}
	print_message("exec succeeded after %ld failed allocations\n", n);
	check_all(m);
	sb_free(&before);
	sb_free(&after);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_mmap_base_formula),
		cmocka_unit_test(test_exec_initial_stack_layout),
		cmocka_unit_test(test_exec_failure_leaves_the_task_alone),
		cmocka_unit_test(test_exec_script_runs_its_interpreter),
		cmocka_unit_test(test_exec_64bit_file_on_x86_32_refused),
		cmocka_unit_test(test_exec_la57_keeps_the_47_bit_layout),
		cmocka_unit_test(test_exec_i386_on_pae_has_nx),
		cmocka_unit_test(test_exec_randomization_per_seed),
		cmocka_unit_test(test_exec_twice_replaces_the_image),
		cmocka_unit_test(test_exec_reads_the_file_page_by_page),
		cmocka_unit_test(test_exec_read_error_is_eio),
		cmocka_unit_test(test_exec_sysroot_finds_the_interpreter_there),
		cmocka_unit_test(test_exec_oom_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
