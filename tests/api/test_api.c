/*
 * Every call of the public API, as an outside program sees it: only
 * <vmsim/vmsim.h>, linked against the shared libvmsim.  Known answers from
 * the kernel's rules: where mmap puts a mapping, the x86 error code of a
 * fault, SIGSEGV's si_code, a statistic against its view, the events of a
 * fault, the auxiliary vector of a real exec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmsim/vmsim.h>

#define KiB 1024ULL
#define MiB (1024 * KiB)
/* mmap_base of an x86-64 task with the 8 MiB stack rlimit, no ASLR:
 * TASK_SIZE - (8 MiB + the 256-page guard gap), clamped to 128 MiB */
#define MMAP_BASE_64 0x7ffff7fff000ULL

static const char *const small[] = { "memory.size=256MiB", NULL };

static struct vmsim_machine *boot(const char *config)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(config, small, &err);

	if (!m)
		fail_msg("%s: %s", config, err.msg);
	return m;
}

static struct vmsim_task *spawn(struct vmsim_machine *m, const char *name)
{
	struct vmsim_spawn_opts o = { .stack_size = 128 * KiB };
	struct vmsim_task *t = NULL;

	assert_int_equal(vmsim_task_spawn(m, name, &o, &t), 0);
	assert_non_null(t);
	return t;
}

static void test_version(void **state)
{
	unsigned maj, min, pat;

	assert_int_equal(sscanf(vmsim_version(), "%u.%u.%u", &maj, &min, &pat), 3);
	assert_int_equal(vmsim_version_number(), maj * 10000 + min * 100 + pat);
}

static void test_create_yaml_and_overrides(void **state)
{
	struct vmsim_error err = { 0 };
	const char *yaml = "arch: x86_32\nmemory:\n  size: 128MiB\n";
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_machine *m = vmsim_machine_create_yaml("mine.yaml", yaml, sets, &err);
	char info[8192];
	uint64_t total;

	assert_non_null(m);
	assert_true(vmsim_view(m, "info", NULL, info, sizeof(info), NULL) > 0);
	assert_non_null(strstr(info, "x86_32"));
	/* the override won: 64 MiB of RAM */
	assert_true(vmsim_view(m, "meminfo", NULL, info, sizeof(info), NULL) > 0);
	assert_int_equal(sscanf(info, "MemTotal: %lu kB", (unsigned long *)&total), 1);
	assert_true(total < 64 * 1024 && total > 16 * 1024);
	assert_int_equal(vmsim_machine_check(m, &err), 0);
	vmsim_machine_destroy(m);

	/* a mistake names the text's name, line and column */
	memset(&err, 0, sizeof(err));
	assert_null(vmsim_machine_create_yaml("bad.yaml", "memory:\n  size: lots\n", NULL, &err));
	assert_true(err.code < 0);
	assert_non_null(strstr(err.msg, "bad.yaml:2"));
	assert_null(vmsim_machine_create_yaml(NULL, NULL, NULL, &err));
	assert_int_equal(err.code, -EINVAL);
}

static void test_tasks(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *a = spawn(m, "a"), *b, *c, *dup;

	assert_ptr_equal(vmsim_task_find(m, "a"), a);
	assert_string_equal(vmsim_task_name(a), "a");
	assert_ptr_equal(vmsim_task_machine(a), m);
	assert_int_equal(vmsim_task_spawn(m, "a", NULL, &dup), -EEXIST);
	assert_null(dup);
	assert_int_equal(vmsim_task_fork(a, "b", 0, &b), 0);
	assert_int_equal(vmsim_task_fork(a, "c", VMSIM_CLONE_VM, &c), 0);
	assert_int_equal(vmsim_task_fork(a, "d", 0x1, &dup), -EINVAL);
	assert_int_equal(vmsim_task_pid(b), vmsim_task_pid(a) + 1);
	assert_int_equal(vmsim_task_switch(m, 0, b), 0);
	assert_ptr_equal(vmsim_task_current(m, 0), b);
	assert_int_equal(vmsim_task_switch(m, 99, b), -EINVAL);
	assert_null(vmsim_task_current(m, 99));
	vmsim_task_exit(b);
	assert_null(vmsim_task_current(m, 0));
	assert_null(vmsim_task_find(m, "b"));
	vmsim_task_exit(c);
	assert_int_equal(vmsim_machine_check(m, NULL), 0);
	vmsim_machine_destroy(m);
}

static void test_mmap_known_answers_and_syscalls(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *a = spawn(m, "a");
	struct vmsim_mm_info mi;
	unsigned char vec[4];
	uint64_t p1, p2, p3, brk0, brk1, moved;

	assert_int_equal(vmsim_task_mm_info(a, &mi), 0);
	assert_int_equal(mi.mmap_base, MMAP_BASE_64);
	/* top-down below mmap_base; a neighbour with the same flags merges */
	assert_int_equal(vmsim_mmap(a, 0, 8 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p1), 0);
	assert_int_equal(p1, MMAP_BASE_64 - 8 * KiB);
	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p2), 0);
	assert_int_equal(p2, p1 - 4 * KiB);
	assert_int_equal(vmsim_task_mm_info(a, &mi), 0);
	assert_int_equal(mi.map_count, 2);	/* the stack, and the merged 12 KiB */
	assert_int_equal(mi.total_vm, 128 / 4 + 3);
	/* a 2 MiB multiple is THP-aligned */
	assert_int_equal(vmsim_mmap(a, 0, 2 * MiB, VMSIM_PROT_READ,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p3), 0);
	assert_int_equal(p3, 0x7ffff7c00000ULL);
	/* Linux's errnos */
	assert_int_equal(vmsim_mmap(a, 0, 0, VMSIM_PROT_READ,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p3), -EINVAL);
	assert_int_equal(vmsim_mmap(a, 0x1000, 4 * KiB, VMSIM_PROT_READ,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_FIXED, NULL, 0,
				    &p3), -EPERM);
	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ, VMSIM_MAP_PRIVATE, NULL, 0, &p3),
			 -EBADF);
	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ, VMSIM_MAP_PRIVATE,
				    "/no/such/file", 0, &p3), -ENOENT);
	assert_int_equal(vmsim_mprotect(a, p1 + 1, 4 * KiB, VMSIM_PROT_READ), -EINVAL);
	assert_int_equal(vmsim_mprotect(a, p1, 4 * KiB, VMSIM_PROT_READ), 0);
	assert_int_equal(vmsim_munmap(a, p1 + 1, 4 * KiB), -EINVAL);
	/* mremap grows in place when the space above is free (it is not:
	 * p1 is right above p2), so it moves with MAYMOVE */
	assert_int_equal(vmsim_mremap(a, p2, 4 * KiB, 8 * KiB, 0, 0, &moved), -ENOMEM);
	assert_int_equal(vmsim_mremap(a, p2, 4 * KiB, 8 * KiB, 1, 0, &moved), 0);
	assert_true(moved != p2);
	assert_int_equal(vmsim_madvise(a, moved, 8 * KiB, 4 /* MADV_DONTNEED */), 0);
	assert_int_equal(vmsim_madvise(a, moved, 8 * KiB, 999), -EINVAL);
	assert_int_equal(vmsim_mlock(a, moved, 4 * KiB), 0);
	assert_int_equal(vmsim_mincore(a, moved, 8 * KiB, vec, 2), 0);
	assert_int_equal(vec[0], 1);	/* mlock faulted it in */
	assert_int_equal(vec[1], 0);
	assert_int_equal(vmsim_mincore(a, moved, 16 * KiB, vec, 4), -ENOMEM);
	assert_int_equal(vmsim_mincore(a, moved, 8 * KiB, vec, 1), -EFAULT);
	assert_int_equal(vmsim_munlock(a, moved, 4 * KiB), 0);
	assert_int_equal(vmsim_mlock2(a, moved, 4 * KiB, 1 /* MLOCK_ONFAULT */), 0);
	assert_int_equal(vmsim_mlockall(a, 0), -EINVAL);
	assert_int_equal(vmsim_mlockall(a, 1 | 4), 0);
	assert_int_equal(vmsim_munlockall(a), 0);
	assert_int_equal(vmsim_msync(a, moved, 8 * KiB, 4 /* MS_SYNC */), 0);
	assert_int_equal(vmsim_msync(a, moved, 8 * KiB, 1 | 4), -EINVAL);
	assert_int_equal(vmsim_munmap(a, moved, 8 * KiB), 0);
	/* brk: the query, a move, and a refusal that keeps the break */
	assert_int_equal(vmsim_brk(a, 0, &brk0), 0);
	assert_int_equal(vmsim_brk(a, brk0 + 3 * KiB, &brk1), 0);
	assert_int_equal(brk1, brk0 + 3 * KiB);
	assert_int_equal(vmsim_brk(a, 0x1000, &brk1), -ENOMEM);
	assert_int_equal(brk1, brk0 + 3 * KiB);
	assert_int_equal(vmsim_machine_check(m, NULL), 0);
	vmsim_machine_destroy(m);
}

static void test_access_roundtrip_and_signals(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *a = spawn(m, "a"), *b;
	struct vmsim_outcome o;
	char msg[] = "across a page boundary", back[sizeof(msg)] = { 0 };
	uint64_t p, ro, v = 0;

	assert_int_equal(vmsim_mmap(a, 0, 8 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	assert_int_equal(vmsim_write(a, p + 4 * KiB - 5, msg, sizeof(msg), &o), 0);
	assert_int_equal(o.signal, 0);
	assert_int_equal(o.done, sizeof(msg));
	assert_int_equal(o.faults, 2);	/* two demand-zero faults */
	assert_int_equal(vmsim_read(a, p + 4 * KiB - 5, back, sizeof(back), &o), 0);
	assert_string_equal(back, msg);
	assert_int_equal(o.faults, 0);
	/* copy-on-write: the child sees the old bytes, the parent the new */
	assert_int_equal(vmsim_task_fork(a, "b", 0, &b), 0);
	assert_int_equal(vmsim_write(b, p, "child", 5, &o), 0);
	assert_int_equal(o.faults, 1);
	assert_int_equal(vmsim_read(a, p, back, 5, &o), 0);
	assert_memory_equal(back, "\0\0\0\0\0", 5);
	assert_int_equal(vmsim_read(b, p, back, 5, &o), 0);
	assert_memory_equal(back, "child", 5);
	/* unmapped: SIGSEGV with SEGV_MAPERR at the address */
	assert_int_equal(vmsim_read(a, 0x1000, &v, 8, &o), -EFAULT);
	assert_int_equal(o.signal, SIGSEGV);
	assert_int_equal(o.si_code, 1 /* SEGV_MAPERR */);
	assert_int_equal(o.addr, 0x1000);
	assert_int_equal(o.done, 0);
	/* read-only: a write is SEGV_ACCERR; a read that runs off the end of
	 * a mapping stops where the next page is missing */
	assert_int_equal(vmsim_mmap(a, 0x20000000, 4 * KiB, VMSIM_PROT_READ,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &ro), 0);
	assert_int_equal(vmsim_write(a, ro, &v, 8, &o), -EFAULT);
	assert_int_equal(o.si_code, 2 /* SEGV_ACCERR */);
	assert_int_equal(vmsim_read(a, ro + 4 * KiB - 4, &v, 8, &o), -EFAULT);
	assert_int_equal(o.done, 4);
	assert_int_equal(o.addr, ro + 4 * KiB);
	/* no execute permission */
	assert_int_equal(vmsim_fetch(a, ro, &v, 1, &o), -EFAULT);
	assert_int_equal(o.si_code, 2);
	/* a NULL buffer still takes the access */
	assert_int_equal(vmsim_access(a, VMSIM_WRITE, p + 8, NULL, 8, &o), 0);
	assert_int_equal(vmsim_access(a, 7, p, NULL, 1, &o), -EINVAL);
	assert_int_equal(vmsim_read(a, p, back, 0, &o), -EINVAL);
	assert_int_equal(vmsim_machine_check(m, NULL), 0);
	vmsim_machine_destroy(m);
}

/* Out of memory with no swap: the OOM killer chooses the task that fills
 * RAM (the only one), its write returns -ENOMEM with SIGKILL, and the task
 * is gone: no longer found by name, its memory back. */
static void test_access_oom_kill(void **state)
{
	static const char *const tiny[] = { "memory.size=96MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", tiny, &err);
	struct vmsim_outcome o;
	struct vmsim_task *a;
	uint64_t p, va, before, after;
	int ret = 0;

	if (!m)
		fail_msg("%s", err.msg);
	assert_int_equal(vmsim_stat(m, "nr_free_pages", &before), 0);
	a = spawn(m, "hog");
	assert_int_equal(vmsim_mmap(a, 0, 128 * MiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	for (va = p; va < p + 128 * MiB; va += 4 * KiB)
		if ((ret = vmsim_write(a, va, "x", 1, &o)) != 0)
			break;
	assert_int_equal(ret, -ENOMEM);
	assert_int_equal(o.signal, SIGKILL);
	assert_true(va < p + 96 * MiB);
	assert_null(vmsim_task_find(m, "hog"));
	assert_int_equal(vmsim_stat(m, "oom_kill", &after), 0);
	assert_int_equal(after, 1);
	assert_int_equal(vmsim_stat(m, "nr_free_pages", &after), 0);
	/* the task held some 15,600 pages; all come back but what the
	 * per-CPU lists keep (nr_free_pages does not count those) */
	if (after + 512 <= before)
		fail_msg("%lu free pages before, %lu after", (unsigned long)before, (unsigned long)after);
	assert_int_equal(vmsim_machine_check(m, &err), 0);
	vmsim_machine_destroy(m);
}

static void test_access_without_contents(void **state)
{
	const char *sets[] = { "memory.size=64MiB", "memory.contents=none", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, NULL);
	struct vmsim_task *a = spawn(m, "a");
	uint64_t p, v;

	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	assert_int_equal(vmsim_read(a, p, &v, 8, NULL), -EOPNOTSUPP);
	assert_int_equal(vmsim_read(a, p, NULL, 8, NULL), 0);
	vmsim_machine_destroy(m);
}

struct levels {
	unsigned n;
	struct vmsim_walk_level lv[8];
};

static void collect(const struct vmsim_walk_level *lv, void *arg)
{
	struct levels *l = arg;

	assert_true(l->n < 8);
	l->lv[l->n++] = *lv;
}

static void test_translate(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *a = spawn(m, "a");
	struct vmsim_translation r;
	struct levels l = { 0 };
	struct vmsim_translate_opts o = { .access = VMSIM_READ, .mode = VMSIM_MODE_USER,
					  .walk = collect, .arg = &l };
	uint64_t p, v = 0x1122334455667788ULL;

	/* the kernel's direct map (PAGE_OFFSET 0xffff880000000000) */
	assert_int_equal(vmsim_translate(m, NULL, 0xffff880000123456ULL, NULL, &r), 0);
	assert_int_equal(r.pa, 0x123456);
	assert_string_equal(r.format, "x86_64");
	/* unmapped in the task: #PF, user read of a not-present entry (U) */
	assert_int_equal(vmsim_translate(m, a, 0x1000, &o, &r), -EFAULT);
	assert_int_equal(r.fault, VMSIM_FAULT_PF);
	assert_int_equal(r.error_code, 0x4);
	assert_string_equal(r.fault_level, "pgd");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.lv[0].name, "pgd");
	assert_string_equal(l.lv[0].intel, "PML4E");
	assert_int_equal(l.lv[0].entry, 0);
	assert_int_equal(l.lv[0].table, r.cr3);
	assert_false(r.walk_ok);
	assert_int_equal(r.walk_error_code, 0x4);
	/* a written page: four levels, the leaf present, writable, dirty */
	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	assert_int_equal(vmsim_write(a, p + 8, &v, 8, NULL), 0);
	l.n = 0;
	o.access = VMSIM_WRITE;
	assert_int_equal(vmsim_translate(m, a, p + 8, &o, &r), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.lv[3].name, "pte");
	assert_int_equal(l.lv[3].entry_size, 8);
	assert_int_equal(l.lv[3].index, (p >> 12) & 511);
	assert_int_equal(l.lv[3].entry_addr, l.lv[3].table + 8 * l.lv[3].index);
	assert_non_null(strstr(l.lv[3].flags, "P RW US"));
	assert_non_null(strstr(l.lv[3].flags, " D"));
	assert_true(r.walk_ok);
	assert_int_equal(r.page_shift, 12);
	assert_int_equal(r.pa, r.page_pa + 8);
	/* a user fetch of a non-executable page: P|U|I, decided at the leaf */
	o.access = VMSIM_FETCH;
	o.walk = NULL;
	assert_int_equal(vmsim_translate(m, a, p, &o, &r), -EFAULT);
	assert_int_equal(r.error_code, 0x1 | 0x4 | 0x10);
	assert_string_equal(r.fault_level, "pte");
	/* the next page of the table is empty: not present at the pte */
	o.access = VMSIM_READ;
	assert_int_equal(vmsim_translate(m, a, p - 4096, &o, &r), -EFAULT);
	assert_int_equal(r.error_code, 0x4);
	assert_string_equal(r.fault_level, "pte");
	/* non-canonical: #GP */
	assert_int_equal(vmsim_translate(m, NULL, 0x0000800000000000ULL, NULL, &r), -EFAULT);
	assert_int_equal(r.fault, VMSIM_FAULT_GP);
	/* options checked */
	o.reserved[0] = 1;
	assert_int_equal(vmsim_translate(m, a, p, &o, &r), -EINVAL);
	o.reserved[0] = 0;
	o.cpu = 7;
	assert_int_equal(vmsim_translate(m, a, p, &o, &r), -EINVAL);
	vmsim_machine_destroy(m);
}

static void keep_step(const struct vmsim_seg_step *st, void *arg)
{
	struct vmsim_seg_step *out = arg;

	out->selector_value += 100;	/* counts the calls */
	out->reg = st->reg;
	out->selector = st->selector;
	out->cached = st->cached;
	out->desc_read = st->desc_read;
	out->ok = st->ok;
	out->linear = st->linear;
	out->vector = st->vector;
	out->error_code = st->error_code;
	out->cpl = st->cpl;
}

static void test_translate_segment(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_translation r;
	struct vmsim_seg_step st = { 0 };
	struct vmsim_translate_opts o = { .segment = VMSIM_SEG_DS, .seg = keep_step, .arg = &st };
	const uint64_t va = 0xffff880000123456ULL;

#if UINTPTR_MAX == UINT64_MAX
	/* the segment fields took two of the six reserved words: the size
	 * and the others' offsets are those of the first release */
	_Static_assert(sizeof(struct vmsim_translate_opts) == 80, "size");
	_Static_assert(offsetof(struct vmsim_translate_opts, segment) == 32 &&
		       offsetof(struct vmsim_translate_opts, seg) == 40 &&
		       offsetof(struct vmsim_translate_opts, reserved) == 48, "offsets");
#endif
	/* the flat GDT: DS's base is 0 in 64-bit mode, so linear = offset */
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), 0);
	assert_int_equal(r.pa, 0x123456);
	assert_int_equal(st.selector_value, 100);
	assert_string_equal(st.reg, "ds");
	assert_int_equal(st.cpl, 0);
	assert_true(st.ok);
	assert_int_equal(st.linear, va);
	/* selector 0x80 is index 16, past the 16 entries of the x86-64
	 * GDT: #GP with the selector as the error code, and no walk */
	memset(&st, 0, sizeof(st));
	o.segment = VMSIM_SEG_SELECTOR;
	o.selector = 0x80;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EFAULT);
	assert_int_equal(st.selector_value, 100);
	assert_int_equal(r.fault, VMSIM_FAULT_GP);
	assert_int_equal(r.error_code, 0x80);
	assert_null(r.fault_level);
	assert_false(st.cached);
	assert_false(st.desc_read);
	assert_int_equal(st.vector, 13);
	/* __KERNEL_DS (index 3, 0x18) as a value: read from the GDT, loaded
	 * aside, then the same linear address */
	memset(&st, 0, sizeof(st));
	o.selector = 0x18;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), 0);
	assert_true(st.desc_read && st.cached && st.ok);
	assert_int_equal(r.pa, 0x123456);
	/* refused: user mode at CPL 0, a fetch through DS, a selector
	 * without VMSIM_SEG_SELECTOR, a size over 8, a bad segment */
	o.mode = VMSIM_MODE_USER;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EINVAL);
	o.mode = VMSIM_MODE_KERNEL;
	o.segment = VMSIM_SEG_DS;
	o.selector = 0;
	o.access = VMSIM_FETCH;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EINVAL);
	o.access = VMSIM_READ;
	o.selector = 0x18;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EINVAL);
	o.selector = 0;
	o.size = 9;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EINVAL);
	o.size = 8;
	o.segment = (enum vmsim_segment)(VMSIM_SEG_SELECTOR + 1);
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EINVAL);
	o.segment = VMSIM_SEG_NONE;
	assert_int_equal(vmsim_translate(m, NULL, va, &o, &r), -EINVAL);
	vmsim_machine_destroy(m);
}

/*
 * A page mapped at @hint (0: where mmap puts it) and written, then the
 * write's walk as the callback sees it: @n levels named @names and
 * @intel, each entry where its table and index say, each table the one
 * the entry above points to (the root where CR3 & @root_mask does), the
 * leaf present, writable, dirty and not executable, the walk ending at
 * the page; a user fetch from it then faults P|U|I at the pte.  The
 * page's address, with the walk in @l and the write's translation in @r.
 */
static uint64_t walk_written_page(struct vmsim_machine *m, struct vmsim_task *a, uint64_t hint,
				  const char *const *names, const char *const *intel, unsigned n,
				  uint64_t root_mask, struct levels *l, struct vmsim_translation *r)
{
	struct vmsim_translate_opts o = { .access = VMSIM_WRITE, .mode = VMSIM_MODE_USER,
					  .walk = collect, .arg = l };
	struct vmsim_translation fr;
	uint64_t p, v = 0x5a;

	assert_int_equal(vmsim_mmap(a, hint, 4 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	assert_int_equal(vmsim_write(a, p + 8, &v, 8, NULL), 0);
	l->n = 0;
	assert_int_equal(vmsim_translate(m, a, p + 8, &o, r), 0);
	assert_int_equal(l->n, n);
	assert_int_equal(l->lv[0].table, r->cr3 & root_mask);
	for (unsigned i = 0; i < n; i++) {
		assert_string_equal(l->lv[i].name, names[i]);
		assert_string_equal(l->lv[i].intel, intel[i]);
		assert_int_equal(l->lv[i].depth, i);
		assert_int_equal(l->lv[i].entry_size, 8);
		assert_int_equal(l->lv[i].entry_addr, l->lv[i].table + 8 * l->lv[i].index);
		if (i)
			assert_int_equal(l->lv[i].table, l->lv[i - 1].entry & 0x000ffffffffff000ULL);
	}
	assert_int_equal(l->lv[n - 1].index, (p >> 12) & 511);
	assert_non_null(strstr(l->lv[n - 1].flags, "P RW US"));
	assert_non_null(strstr(l->lv[n - 1].flags, " D"));
	assert_non_null(strstr(l->lv[n - 1].flags, "NX"));
	assert_true(r->walk_ok);
	assert_int_equal(r->page_shift, 12);
	assert_int_equal(r->pa, r->page_pa + 8);
	o.access = VMSIM_FETCH;
	o.walk = NULL;
	assert_int_equal(vmsim_translate(m, a, p, &o, &fr), -EFAULT);
	assert_int_equal(fr.error_code, 0x1 | 0x4 | 0x10);
	assert_string_equal(fr.fault_level, names[n - 1]);
	return p;
}

/* 5-level paging: the p4d is a level of its own, the 57-bit addresses
 * above DEFAULT_MAP_WINDOW are reached with a hint, and canonical means
 * bits 63..57 copy bit 56. */
static void test_translate_la57(void **state)
{
	static const char *const names[] = { "pgd", "p4d", "pud", "pmd", "pte" };
	static const char *const intel[] = { "PML5E", "PML4E", "PDPTE", "PDE", "PTE" };
	struct vmsim_machine *m = boot("x86_64-la57");
	struct vmsim_task *a = spawn(m, "a");
	struct vmsim_translation r;
	struct levels l = { 0 };
	struct vmsim_translate_opts o = { .access = VMSIM_READ, .mode = VMSIM_MODE_USER,
					  .walk = collect, .arg = &l };
	uint64_t p;

	/* the direct map at __PAGE_OFFSET_BASE_L5 */
	assert_int_equal(vmsim_translate(m, NULL, 0xff11000000123456ULL, NULL, &r), 0);
	assert_int_equal(r.pa, 0x123456);
	assert_string_equal(r.format, "la57");
	/* a hint above the 47-bit window is honoured (arch_get_unmapped_area) */
	p = walk_written_page(m, a, 1ULL << 52, names, intel, 5, 0x000ffffffffff000ULL, &l, &r);
	assert_int_equal(p, 1ULL << 52);
	assert_int_equal(l.lv[0].index, 16);	/* bits 56..48 */
	assert_int_equal(l.lv[1].index, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_non_null(strstr(l.lv[i].flags, "P RW US"));
	/* the next PML4 slot under the same PML5E: not present at the p4d */
	l.n = 0;
	assert_int_equal(vmsim_translate(m, a, p + (1ULL << 39), &o, &r), -EFAULT);
	assert_int_equal(r.fault, VMSIM_FAULT_PF);
	assert_int_equal(r.error_code, 0x4);
	assert_string_equal(r.fault_level, "p4d");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.lv[1].index, 1);
	assert_int_equal(l.lv[1].entry, 0);
	assert_string_equal(r.walk_fault_level, "p4d");
	/* 4-level's first non-canonical address is an unmapped one here, and
	 * bit 56 set with 63..57 clear is #GP */
	assert_int_equal(vmsim_translate(m, NULL, 0x0000800000000000ULL, NULL, &r), -EFAULT);
	assert_int_equal(r.fault, VMSIM_FAULT_PF);
	assert_int_equal(vmsim_translate(m, NULL, 0x0100000000000000ULL, NULL, &r), -EFAULT);
	assert_int_equal(r.fault, VMSIM_FAULT_GP);
	assert_null(r.fault_level);
	vmsim_machine_destroy(m);
}

/* PAE: three levels of 8-byte entries, the first a PDPTE register loaded
 * with CR3 (only P, PWT and PCD defined), NX at the leaf. */
static void test_translate_pae(void **state)
{
	static const char *const names[] = { "pgd", "pmd", "pte" };
	static const char *const intel[] = { "PDPTE", "PDE", "PTE" };
	struct vmsim_machine *m = boot("x86_32-pae");
	struct vmsim_task *a = spawn(m, "a");
	struct vmsim_translation r;
	struct levels l = { 0 };
	uint64_t p;

	/* PAGE_OFFSET 0xc0000000 */
	assert_int_equal(vmsim_translate(m, NULL, 0xc0123456ULL, NULL, &r), 0);
	assert_int_equal(r.pa, 0x123456);
	assert_string_equal(r.format, "pae");
	/* CR3 bits 31:5 locate the PDPT; a PDPTE has no RW, US or A */
	p = walk_written_page(m, a, 0, names, intel, 3, 0xffffffe0ULL, &l, &r);
	assert_int_equal(l.lv[0].index, p >> 30);
	assert_string_equal(l.lv[0].flags, "P");
	assert_int_equal(l.lv[1].index, (p >> 21) & 511);
	assert_non_null(strstr(l.lv[1].flags, "P RW US"));
	vmsim_machine_destroy(m);
}

static int count_stat(const char *name, uint64_t v, void *arg)
{
	unsigned *n = arg;

	(*n)++;
	return strcmp(name, "pgfree") == 0 ? 42 : 0;
}

/* The value on line "NAME VALUE" or "NAME: VALUE" of @text. */
static uint64_t line_value(const char *text, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\n%s", name);
	p = strstr(text, key);
	if (!p && strncmp(text, name, strlen(name)) == 0)
		p = text - 1;
	assert_non_null(p);
	p += strlen(key);
	while (*p == ' ' || *p == ':')
		p++;
	return strtoull(p, NULL, 10);
}

static void test_stats_and_views(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *a = spawn(m, "a");
	struct vmsim_view_opts vo = { .task = "a" };
	struct vmsim_error err = { 0 };
	char small_buf[8], *big;
	uint64_t freep, p, v = 0;
	unsigned n = 0;
	long len;

	assert_int_equal(vmsim_stat(m, "nr_free_pages", &freep), 0);
	assert_int_equal(vmsim_stat(m, "no_such_counter", &v), -ENOENT);
	/* the same number in the stats view and in /proc/meminfo */
	len = vmsim_view(m, "stats", NULL, NULL, 0, NULL);
	assert_true(len > 0);
	big = malloc((size_t)len + 1);
	assert_int_equal(vmsim_view(m, "stats", NULL, big, (size_t)len + 1, NULL), len);
	assert_int_equal(strlen(big), len);
	assert_int_equal(line_value(big, "nr_free_pages"), freep);
	free(big);
	big = malloc(4096);
	assert_true(vmsim_view(m, "meminfo", NULL, big, 4096, NULL) < 4096);
	assert_int_equal(line_value(big, "MemFree"), freep * 4);
	free(big);
	/* snprintf: cut short, NUL-terminated, the whole length returned */
	len = vmsim_view(m, "buddyinfo", NULL, small_buf, sizeof(small_buf), NULL);
	assert_true(len > (long)sizeof(small_buf));
	assert_int_equal(strlen(small_buf), sizeof(small_buf) - 1);
	/* a task's view, and JSON */
	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	big = malloc(1 << 16);
	assert_true(vmsim_view(m, "maps", &vo, big, 1 << 16, NULL) > 0);
	assert_non_null(strstr(big, "7ffff7ffe000-7ffff7fff000 r--p 00000000 00:00 0"));
	vo.json = 1;
	assert_true(vmsim_view(m, "maps", &vo, big, 1 << 16, NULL) > 0);
	assert_true(big[0] == '[');
	free(big);
	assert_int_equal(vmsim_view(m, "nonsense", NULL, NULL, 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nonsense"));
	vo.task = "nobody";
	assert_true(vmsim_view(m, "maps", &vo, NULL, 0, &err) < 0);
	assert_int_equal(vmsim_view(m, "maps", NULL, NULL, 4, NULL), -EINVAL);
	len = vmsim_view_names(NULL, 0);
	big = malloc((size_t)len + 1);
	assert_int_equal(vmsim_view_names(big, (size_t)len + 1), len);
	assert_non_null(strstr(big, "meminfo"));
	free(big);
	/* every statistic, and a stop */
	assert_int_equal(vmsim_stats_foreach(m, count_stat, &n), 42);
	assert_true(n > 3);
	vmsim_machine_destroy(m);
}

struct seen {
	unsigned faults, allocs;
	uint64_t last_seq;
	char fault_fields[256], task[32];
};

static void on_event(uint64_t seq, const char *kind, const char *task, const char *fields,
		     void *arg)
{
	struct seen *s = arg;

	assert_true(seq > s->last_seq);
	s->last_seq = seq;
	if (strcmp(kind, "fault") == 0) {
		s->faults++;
		snprintf(s->fault_fields, sizeof(s->fault_fields), "%s", fields);
		snprintf(s->task, sizeof(s->task), "%s", task ? task : "");
	}
	if (strcmp(kind, "page_alloc") == 0 || strncmp(kind, "alloc", 5) == 0)
		s->allocs++;
}

static void test_events(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *a = spawn(m, "a");
	struct seen s = { 0 };
	char want[64];
	uint64_t p, v = 7;

	assert_int_equal(vmsim_mmap(a, 0, 4 * KiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	assert_int_equal(vmsim_events_subscribe(m, on_event, &s), 0);
	assert_int_equal(vmsim_write(a, p + 16, &v, 8, NULL), 0);
	assert_int_equal(s.faults, 1);
	/* handle_mm_fault()'s event names the page */
	snprintf(want, sizeof(want), "addr=%#llx kind=demand_zero", (unsigned long long)p);
	assert_non_null(strstr(s.fault_fields, want));
	assert_string_equal(s.task, "a");
	assert_int_equal(vmsim_events_subscribe(m, NULL, NULL), 0);
	assert_int_equal(vmsim_write(a, p + 4 * KiB - 8, &v, 8, NULL), 0);
	assert_int_equal(vmsim_munmap(a, p, 4 * KiB), 0);
	assert_int_equal(s.faults, 1);
	vmsim_machine_destroy(m);
}

static void test_exec(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *t = spawn(m, "e");
	const char *argv[] = { "true", "--version", NULL }, *envp[] = { "A=1", NULL };
	struct vmsim_exec_opts o = { .path = "/usr/bin/true", .argv = argv, .envp = envp };
	struct vmsim_exec_info info;
	struct vmsim_error err = { 0 };
	struct vmsim_mm_info mi;
	unsigned found = 0;
	uint64_t argc = 0, argv0 = 0;
	char arg0[8] = { 0 };

	if (access("/usr/bin/true", R_OK) != 0) {
		printf("no /usr/bin/true on this host: exec not tested\n");
		skip();
	}
	assert_int_equal(vmsim_task_exec(t, &o, &info, &err), 0);
	assert_true(info.ip != 0 && info.sp != 0);
	for (unsigned i = 0; i < info.nr_auxv; i++) {
		if (info.auxv[i][0] == 6 /* AT_PAGESZ */) {
			assert_int_equal(info.auxv[i][1], 4096);
			found++;
		}
		if (info.auxv[i][0] == 9 /* AT_ENTRY */)
			found++;
	}
	assert_int_equal(found, 2);
	assert_string_equal(vmsim_auxv_name(6), "AT_PAGESZ");
	assert_null(vmsim_auxv_name(1000));
	/* the stack holds argc, then argv[0] as the program will read them */
	assert_int_equal(vmsim_read(t, info.sp, &argc, 8, NULL), 0);
	assert_int_equal(argc, 2);
	assert_int_equal(vmsim_read(t, info.sp + 8, &argv0, 8, NULL), 0);
	assert_int_equal(vmsim_read(t, argv0, arg0, 5, NULL), 0);
	assert_string_equal(arg0, "true");
	assert_int_equal(vmsim_task_mm_info(t, &mi), 0);
	assert_true(mi.start_code < mi.end_code && mi.arg_start <= argv0 && argv0 < mi.arg_end);
	/* a failure says why and leaves the task as it was */
	o.path = "/no/such/program";
	assert_int_equal(vmsim_task_exec(t, &o, &info, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/no/such/program"));
	assert_int_equal(vmsim_task_mm_info(t, &mi), 0);
	assert_true(mi.start_code != 0);
	vmsim_machine_destroy(m);
}

static void test_replay(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_task *t = spawn(m, "r");
	struct vmsim_replay *rp;
	struct vmsim_replay_counters c;
	struct vmsim_error err = { 0 };
	struct vmsim_rec recs[64];

	assert_int_equal(vmsim_replay_open(m, t, VMSIM_REPLAY_FLAT, &rp), 0);
	/* one store: three tries, as `vmsim-cli replay` counts them: the
	 * first faults on an empty page table (the region is made), the
	 * second on the empty PTE (demand zero), the third hits memory */
	assert_int_equal(vmsim_replay_access(rp, 0x400000, 8, VMSIM_REC_S), 0);
	assert_int_equal(vmsim_replay_counters(rp, &c), 0);
	assert_int_equal(c.accesses, 1);
	assert_int_equal(c.regions, 1);
	assert_int_equal(c.min_flt, 1);
	assert_int_equal(c.l1d_misses, 3);
	assert_int_equal(c.walks, 3);
	/* 64 loads over 16 pages of that region: each new page misses, faults
	 * (its PTE is empty) and misses again; then 49 hits */
	for (unsigned i = 0; i < 64; i++)
		recs[i] = (struct vmsim_rec){ 0x400000 + (i % 16) * 4096, 4, VMSIM_REC_L };
	assert_int_equal(vmsim_replay_batch(rp, recs, 64), 0);
	assert_int_equal(vmsim_replay_counters(rp, &c), 0);
	assert_int_equal(c.accesses, 65);
	assert_int_equal(c.l1d_misses, 3 + 15 * 2);
	assert_int_equal(c.l1d_hits, 49);
	assert_int_equal(c.min_flt, 16);
	/* an access across a page boundary touches both pages */
	assert_int_equal(vmsim_replay_access(rp, 0x400ffe, 4, VMSIM_REC_L), 0);
	assert_int_equal(vmsim_replay_counters(rp, &c), 0);
	assert_int_equal(c.crossings, 1);
	/* a bad record stops a batch before it; a bad one alone is refused */
	recs[1].size = 0;
	assert_int_equal(vmsim_replay_batch(rp, recs, 3), -EINVAL);
	recs[1].size = 4;
	recs[1].type = 4;
	assert_int_equal(vmsim_replay_batch(rp, recs, 3), -EINVAL);
	assert_int_equal(vmsim_replay_access(rp, 0, 20000, VMSIM_REC_L), -EINVAL);
	assert_int_equal(vmsim_replay_access(rp, 0, 16384, VMSIM_REC_L), -EINVAL);
	assert_int_equal(vmsim_replay_counters(rp, &c), 0);
	assert_int_equal(c.accesses, 68);
	/* a trace file, then its mistakes */
	assert_int_equal(vmsim_replay_file(rp, "tests/traces/true-start.lackey", NULL, &err), 0);
	assert_int_equal(vmsim_replay_counters(rp, &c), 0);
	assert_true(c.accesses > 1000 && c.instructions > 0);
	assert_int_equal(vmsim_replay_file(rp, "tests/traces/true-start.lackey", "nope", &err),
			 -EINVAL);
	memset(&err, 0, sizeof(err));
	assert_int_equal(vmsim_replay_file(rp, "/no/trace", NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/no/trace"));
	vmsim_replay_close(rp);
	assert_int_equal(vmsim_replay_open(m, t, 9, &rp), -EINVAL);
	assert_int_equal(vmsim_machine_check(m, NULL), 0);
	vmsim_machine_destroy(m);
}


/* A flat replay through a new task "r" of @m. */
static struct vmsim_replay *replay_of(struct vmsim_machine *m)
{
	struct vmsim_replay *rp = NULL;

	assert_int_equal(vmsim_replay_open(m, spawn(m, "r"), VMSIM_REPLAY_FLAT, &rp), 0);
	return rp;
}

/* A replay of @trace through a fresh task with @policy in @frames frames;
 * its counters into @st. */
static void replay_policy(const char *trace, const char *policy, uint64_t frames,
			  struct vmsim_replay_stats *st)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_replay *rp = replay_of(m);
	struct vmsim_replay_policy p = VMSIM_REPLAY_POLICY_INIT;
	struct vmsim_error err = { 0 };

	p.name = policy;
	p.frames = frames;
	p.trace = trace;
	if (vmsim_replay_set_policy(rp, &p, &err))
		fail_msg("%s: %s", policy, err.msg);
	assert_int_equal(vmsim_replay_file(rp, trace, NULL, &err), 0);
	assert_int_equal(vmsim_replay_stats(rp, st, sizeof(*st)), 0);
	assert_int_equal(vmsim_replay_check(rp, 1, &err), 0);	/* no --check: nothing to do */
	vmsim_replay_close(rp);
	vmsim_machine_destroy(m);
}

static void test_replay_policy(void **state)
{
	/* Silberschatz's string in 3 frames: FIFO 15 faults, LRU 12, OPT 9 */
	static const struct { const char *policy; uint64_t faults; } want[] = {
		{ "fifo", 15 }, { "lru", 12 }, { "opt", 9 },
	};
	struct vmsim_replay_policy_info pi;
	struct vmsim_replay_stats st;

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		replay_policy("tests/traces/silberschatz.pages", want[i].policy, 3, &st);
		assert_string_equal(st.policy, want[i].policy);
		assert_int_equal(st.frames, 3);
		assert_int_equal(st.references, 20);
		assert_int_equal(st.faults_policy, want[i].faults);
		assert_int_equal(st.first_use_faults, 6);	/* pages 0-4 and 7 */
		/* every fault once the 3 frames are full evicts */
		assert_int_equal(st.evictions, want[i].faults - 3);
		assert_int_equal(st.accesses, 20);
		assert_false(st.kernel);
	}
	assert_int_equal(vmsim_replay_policy_info("opt", &pi), 0);
	assert_true(pi.needs_trace && !pi.ticks && !pi.kernel);
	assert_int_equal(vmsim_replay_policy_info("nru", &pi), 0);
	assert_true(pi.ticks && pi.uses_seed && !pi.uses_tau);
	assert_int_equal(vmsim_replay_policy_info("wsclock", &pi), 0);
	assert_true(pi.uses_tau);
	assert_int_equal(vmsim_replay_policy_info("belady", &pi), -ENOENT);
}

static void test_replay_policy_refused(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_replay *rp = replay_of(m);
	struct vmsim_replay_policy p = VMSIM_REPLAY_POLICY_INIT;
	struct vmsim_error err = { 0 };

	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), -EINVAL);	/* 0 frames */
	p.frames = 4;
	p.name = "lfru";
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), -ENOENT);
	p.name = "opt";
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), -EINVAL);	/* no trace */
	p.name = "lru";
	p.reserved[0] = 1;
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), -EINVAL);
	p.reserved[0] = 0;
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), 0);
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), -EINVAL);	/* once */
	vmsim_replay_close(rp);
	/* not after the first record */
	assert_int_equal(vmsim_replay_open(m, vmsim_task_find(m, "r"), VMSIM_REPLAY_FLAT, &rp), 0);
	assert_int_equal(vmsim_replay_access(rp, 0x400000, 4, VMSIM_REC_L), 0);
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), -EINVAL);
	vmsim_replay_close(rp);
	vmsim_machine_destroy(m);
}

static void test_replay_stats(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_replay *rp = replay_of(m);
	struct vmsim_replay_stats st;
	struct vmsim_replay_counters c;
	uint64_t read = 0;

	assert_int_equal(vmsim_replay_access(rp, 0x400000, 8, VMSIM_REC_S), 0);
	assert_int_equal(vmsim_replay_access(rp, 0x401000, 8, VMSIM_REC_I), 0);
	assert_int_equal(vmsim_replay_stats(rp, &st, sizeof(st)), 0);
	assert_int_equal(vmsim_replay_counters(rp, &c), 0);
	assert_int_equal(st.accesses, 2);
	assert_int_equal(st.by_type[VMSIM_REC_S], 1);
	assert_int_equal(st.by_type[VMSIM_REC_I], 1);
	assert_int_equal(st.instructions, 1);
	assert_string_equal(st.tlb[0][1].name, "misses");
	assert_int_equal(st.tlb[0][1].value, c.l1d_misses);
	assert_int_equal(st.walks, c.walks);
	assert_string_equal(st.faults[0].name, "min_flt");
	assert_int_equal(st.faults[0].value, 2);
	/* the store's page is zeroed for it, the fetch's mapped to the zero page */
	assert_string_equal(st.faults[1].name, "demand_zero");
	assert_int_equal(st.faults[1].value, 1);
	assert_string_equal(st.faults[2].name, "zero_page");
	assert_int_equal(st.faults[2].value, 1);
	assert_true(st.flat && !st.oom && st.policy == NULL);
	/* the reclaim counters are named without the kernel's policy too
	 * (a CSV header lists them), all 0 */
	assert_string_equal(st.reclaim[0].name, "pgscan");
	assert_string_equal(st.reclaim[VMSIM_RECLAIM_COUNTS - 1].name, "workingset_restore_file");
	assert_int_equal(st.reclaim[0].value, 0);
	assert_string_equal(st.machine, "x86_64");
	/* x86-64's four levels, Linux's p4d folded: PML4E PDPTE PDE PTE */
	assert_int_equal(st.levels, 4);
	assert_string_equal(st.level[0].intel_name, "PML4E");
	assert_string_equal(vmsim_pt_level_name((unsigned)st.level[0].linux_level), "pgd");
	assert_string_equal(vmsim_pt_level_name((unsigned)st.level[3].linux_level), "pte");
	assert_int_equal(st.level[3].page_size, 4096);
	assert_true(st.level[3].maps && st.level[2].maps && !st.level[0].maps);
	assert_int_equal(st.level[3].pages_mapped + st.level[2].pages_mapped, 2);
	for (unsigned d = 0; d < st.levels; d++)
		read += st.level[d].entries_read;
	assert_int_equal(read, st.entries_read);
	assert_string_equal(st.level[2].psc_name, "pde_cache");
	assert_null(st.level[3].psc_name);
	assert_string_equal(vmsim_psc_name(3), "pde_cache");
	assert_null(vmsim_psc_name(4));
	assert_null(vmsim_pt_level_name(5));
	/* the cycles of the cost model: every lookup and every entry read */
	assert_int_equal(st.translation_cycles,
			 (st.tlb[0][0].value + st.tlb[0][1].value + st.tlb[1][0].value +
			  st.tlb[1][1].value) * st.cost_l1_hit +
			 (st.tlb[2][0].value + st.tlb[2][1].value) * st.cost_l2_hit +
			 st.entries_read * st.cost_walk_ref);
	/* a caller built with a shorter struct gets only its part */
	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(vmsim_replay_stats(rp, &st, offsetof(struct vmsim_replay_stats, by_type)),
			 0);
	assert_int_equal(st.accesses, 2);
	assert_int_equal(st.by_type[0], 0xa5a5a5a5a5a5a5a5ULL);
	vmsim_replay_close(rp);
	vmsim_machine_destroy(m);
}

static void test_replay_check(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_replay_policy p = VMSIM_REPLAY_POLICY_INIT;
	struct vmsim_replay *rp;
	struct vmsim_error err = { 0 };

	assert_int_equal(vmsim_machine_check_start(m, 4), 0);
	rp = replay_of(m);
	p.frames = 2;
	assert_int_equal(vmsim_replay_set_policy(rp, &p, &err), 0);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(vmsim_replay_access(rp, 0x400000 + i * 4096, 4, VMSIM_REC_S), 0);
		assert_int_equal(vmsim_replay_check(rp, 0, &err), 0);
		assert_int_equal(vmsim_machine_check_point(m, &err), 0);
	}
	assert_int_equal(vmsim_replay_check(rp, 1, &err), 0);
	vmsim_replay_close(rp);
	assert_int_equal(vmsim_machine_check_point(NULL, &err), -EINVAL);
	assert_int_equal(vmsim_machine_check_start(NULL, 0), -EINVAL);
	vmsim_machine_destroy(m);
}

static void test_trace_files(void **state)
{
	struct vmsim_trace *tr;
	struct vmsim_trace_info ti;
	struct vmsim_error err = { 0 };
	struct vmsim_rec recs[32];
	char out[] = "/tmp/vmsim-api-trace-XXXXXX";
	long got, total = 0;
	int fd = mkstemp(out);

	assert_true(fd >= 0);
	close(fd);
	/* the reference string: page N is TRACE_PAGES_BASE + N pages, a load */
	assert_int_equal(vmsim_trace_open("tests/traces/silberschatz.pages", NULL, &tr, &err), 0);
	assert_int_equal(vmsim_trace_info(tr, &ti), 0);
	assert_string_equal(ti.format, "pages");
	assert_null(ti.compression);
	got = vmsim_trace_read(tr, recs, 32, &err);
	assert_int_equal(got, 20);
	assert_int_equal(recs[1].addr - recs[2].addr, (uint64_t)-4096);	/* 0 then 1 */
	assert_int_equal(recs[0].addr - recs[1].addr, 7 * 4096);
	assert_int_equal(recs[0].type, VMSIM_REC_L);
	assert_int_equal(vmsim_trace_read(tr, recs, 32, &err), 0);
	vmsim_trace_close(tr);
	/* compressed, converted, read back */
	assert_int_equal(vmsim_trace_open("tests/traces/course.rw.gz", "rw", &tr, &err), 0);
	assert_int_equal(vmsim_trace_info(tr, &ti), 0);
	assert_string_equal(ti.compression, "gzip");
	while ((got = vmsim_trace_read(tr, recs, 32, &err)) > 0)
		total += got;
	assert_int_equal(got, 0);
	vmsim_trace_close(tr);
	assert_int_equal(vmsim_trace_convert("tests/traces/course.rw.gz", NULL, out, &err), total);
	assert_int_equal(vmsim_trace_open(out, NULL, &tr, &err), 0);
	assert_int_equal(vmsim_trace_info(tr, &ti), 0);
	assert_string_equal(ti.format, "vmsim");
	assert_int_equal(vmsim_trace_read(tr, recs, 32, &err), total < 32 ? total : 32);
	vmsim_trace_close(tr);
	unlink(out);
	/* mistakes */
	assert_int_equal(vmsim_trace_open("tests/traces/course.rw", "nope", &tr, &err), -EINVAL);
	assert_null(tr);
	memset(&err, 0, sizeof(err));	/* the first error stays until cleared */
	assert_int_equal(vmsim_trace_open("/no/trace", NULL, &tr, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/no/trace"));
	assert_true(vmsim_trace_convert("/no/trace", NULL, out, &err) < 0);
	assert_int_equal(access(out, F_OK), -1);	/* nothing written */
}

static void test_mrc(void **state)
{
	struct vmsim_mrc_opts o = { .opt = 1 };
	struct vmsim_mrc_info mi;
	struct vmsim_mrc *mc;
	struct vmsim_trace *tr;
	struct vmsim_error err = { 0 };
	struct vmsim_rec recs[32];
	uint64_t opt;
	double mean, max;
	long got;

	assert_int_equal(vmsim_mrc_open(&o, &mc, &err), 0);
	assert_int_equal(vmsim_trace_open("tests/traces/silberschatz.pages", NULL, &tr, &err), 0);
	got = vmsim_trace_read(tr, recs, 32, &err);
	vmsim_trace_close(tr);
	assert_int_equal(vmsim_mrc_batch(mc, recs, (size_t)got), 0);
	assert_true(vmsim_mrc_lru_faults(mc, 3) < 0);		/* not finished */
	assert_int_equal(vmsim_mrc_opt_faults(mc, 3, &opt), -EINVAL);
	assert_int_equal(vmsim_mrc_finish(mc, &err), 0);
	assert_int_equal(vmsim_mrc_batch(mc, recs, 1), -EINVAL);	/* after the end */
	assert_int_equal(vmsim_mrc_info(mc, &mi), 0);
	assert_int_equal(mi.references, 20);
	assert_int_equal(mi.records, 20);
	assert_int_equal(mi.footprint, 6);
	assert_true(mi.sample_rate == 1.0);
	/* Silberschatz in 3 frames: LRU 12, OPT 9; in 6 only the first uses */
	assert_true(vmsim_mrc_lru_faults(mc, 3) == 12.0);
	assert_true(vmsim_mrc_lru_faults(mc, 6) == 6.0);
	assert_int_equal(vmsim_mrc_opt_faults(mc, 3, &opt), 0);
	assert_int_equal(opt, 9);
	/* a 1-entry TLB misses whenever the page changes: every reference here */
	assert_true(vmsim_mrc_tlb_misses(mc, 1, 0) == 20.0);
	assert_int_equal(vmsim_mrc_error(mc, &mean, &max), -EINVAL);	/* no exact_too */
	vmsim_mrc_close(mc);
	/* sampled at rate 1 with the error: none */
	o = (struct vmsim_mrc_opts){ .sample = 1, .exact_too = 1 };
	assert_int_equal(vmsim_mrc_open(&o, &mc, &err), 0);
	assert_int_equal(vmsim_mrc_batch(mc, recs, (size_t)got), 0);
	recs[0].size = 0;
	assert_int_equal(vmsim_mrc_batch(mc, recs, 1), -EINVAL);
	assert_int_equal(vmsim_mrc_finish(mc, &err), 0);
	assert_int_equal(vmsim_mrc_error(mc, &mean, &max), -EINVAL);	/* rate 1: exact */
	vmsim_mrc_close(mc);
	o.sample = 2;
	assert_int_equal(vmsim_mrc_open(&o, &mc, &err), -EINVAL);
	o = (struct vmsim_mrc_opts){ .sample = 0.5, .exact_too = 1 };
	assert_int_equal(vmsim_mrc_open(&o, &mc, &err), 0);
	assert_int_equal(vmsim_mrc_finish(mc, &err), 0);
	assert_int_equal(vmsim_mrc_error(mc, &mean, &max), 0);
	assert_true(mean == 0 && max == 0);	/* no references */
	vmsim_mrc_close(mc);
}

/* The kernel's log as the subscriber saw it. */
struct log_seen {
	unsigned bugs, info;
};

static void on_log(enum vmsim_log_level level, const char *line, void *arg)
{
	struct log_seen *ls = arg;

	if (level == VMSIM_LOG_BUG)
		ls->bugs++;
	else
		ls->info++;
	assert_non_null(line);
}

static void test_machine_log_and_knobs(void **state)
{
	static const char *const tiny[] = { "memory.size=96MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", tiny, &err);
	struct vmsim_task *t;
	struct log_seen ls = { 0 };
	char buf[64];
	uint64_t p, va;
	long len;

	if (!m)
		fail_msg("%s", err.msg);
	/* the OOM killer's report goes to the log, and it is no bug */
	t = spawn(m, "hog");
	assert_int_equal(vmsim_log_subscribe(m, on_log, &ls), 0);
	assert_int_equal(vmsim_mmap(t, 0, 128 * MiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &p), 0);
	for (va = p; va < p + 128 * MiB; va += 4 * KiB)
		if (vmsim_write(t, va, "x", 1, NULL) != 0)
			break;
	assert_null(vmsim_task_find(m, "hog"));
	assert_true(ls.info >= 3);	/* the invocation, the task table, the kill */
	assert_int_equal(ls.bugs, 0);
	assert_int_equal(vmsim_log_subscribe(m, NULL, NULL), 0);
	assert_int_equal(vmsim_log_subscribe(NULL, on_log, &ls), -EINVAL);
	vmsim_machine_destroy(m);
	m = boot("x86_64");
	t = spawn(m, "a");
	/* THP: always backs an aligned 2 MiB anonymous region with one page */
	assert_int_equal(vmsim_thp_set_enabled(m, "sometimes"), -EINVAL);
	assert_int_equal(vmsim_thp_set_enabled(m, "always"), 0);
	assert_int_equal(vmsim_mmap(t, 0x40000000, 2 * MiB, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
				    VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS | VMSIM_MAP_FIXED, NULL,
				    0, &p), 0);
	assert_int_equal(vmsim_write(t, p, "x", 1, NULL), 0);
	len = vmsim_view(m, "meminfo", NULL, NULL, 0, &err);
	assert_true(len > 0);
	assert_int_equal(vmsim_stat(m, "thp_fault_alloc", &p), 0);
	assert_int_equal(p, 1);
	/* the layout's picture */
	len = vmsim_view_svg(m, "layout", buf, sizeof(buf), &err);
	assert_true(len > (long)sizeof(buf));
	assert_non_null(strstr(buf, "<svg"));	/* after the XML declaration */
	assert_int_equal(vmsim_view_svg(m, "meminfo", NULL, 0, &err), -ENOENT);
	/* the built-ins */
	memset(&err, 0, sizeof(err));
	assert_int_equal(vmsim_config_builtin("x86_32-pae", &err), 0);
	assert_int_equal(vmsim_config_builtin("x86_65", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "x86_65"));
	vmsim_machine_destroy(m);
}

static void test_scenario(void **state)
{
	const char *yaml =
		"machine: x86_64\n"
		"set: { memory.size: 64MiB }\n"
		"steps:\n"
		"  - spawn: { task: a }\n"
		"  - mmap: { task: a, length: 8KiB, prot: rw-, flags: [private, anonymous],"
		" expect: 0x7ffff7ffd000 }\n"
		"  - mmap: { task: a, length: 4KiB, prot: rw-, flags: [private, anonymous],"
		" expect: 0x1234 }\n";
	struct vmsim_scenario_result res;
	struct vmsim_error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_int_equal(vmsim_scenario_run_string("inline.yaml", yaml, NULL, out, &res, &err), 0);
	fclose(out);
	assert_int_equal(res.steps_run, 3);
	assert_int_equal(res.checked, 2);
	assert_int_equal(res.failed, 1);
	assert_non_null(strstr(text, "inline.yaml: 3 steps, 2 expectations checked, 1 failed"));
	free(text);
	out = open_memstream(&text, &len);
	assert_int_equal(vmsim_scenario_run("examples/mmap-placement.yaml", NULL, out, &res, &err),
			 0);
	fclose(out);
	assert_int_equal(res.failed, 0);
	assert_true(res.checked > 5);
	free(text);
	assert_true(vmsim_scenario_run_string("bad.yaml", "steps: 3\n", NULL, stdout, &res, &err) < 0);
	assert_non_null(strstr(err.msg, "bad.yaml:1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_create_yaml_and_overrides),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_mmap_known_answers_and_syscalls),
		cmocka_unit_test(test_access_roundtrip_and_signals),
		cmocka_unit_test(test_access_oom_kill),
		cmocka_unit_test(test_access_without_contents),
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_translate_segment),
		cmocka_unit_test(test_translate_la57),
		cmocka_unit_test(test_translate_pae),
		cmocka_unit_test(test_stats_and_views),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_policy),
		cmocka_unit_test(test_replay_policy_refused),
		cmocka_unit_test(test_replay_stats),
		cmocka_unit_test(test_replay_check),
		cmocka_unit_test(test_trace_files),
		cmocka_unit_test(test_mrc),
		cmocka_unit_test(test_machine_log_and_knobs),
		cmocka_unit_test(test_scenario),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
