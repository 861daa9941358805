/*
 * Known-answer tests of madvise(2).  Each expectation comes from the rules
 * of mm/madvise.c (6.12), LTP's madvise01/02/05/10, the kernel selftests
 * madv_populate.c, and was checked on the reference host (6.18) with small
 * programs under setarch -R: the argument checks and their order, gaps in
 * the range (the mapped parts still take the advice), what each advice
 * does to the pages and to the VMAs (split into three, merged back, merged
 * into a neighbour), fork with DONTFORK and WIPEONFORK, hole punching,
 * populate's errors, the Accessed bits COLD clears, readahead, the map
 * count limit, and the VmFlags line of smaps.  The whole-machine checker
 * runs after every call.
 */
#include "vma_test.h"

#include <fcntl.h>
#include <unistd.h>

#include "kern/views.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "vma/filemap.h"
#include "vma/swap.h"

#define P 4096ULL
#define PRW (PROT_READ | PROT_WRITE)
#define WIN 0x10000000ULL

static struct vmsim_machine *boot64(void)
{
	return vt_boot("x86_64", "256MiB");
}

/* madvise() as the task calls it, then the checker */
static int adv(struct task_struct *t, uint64_t addr, uint64_t len, int behavior)
{
	int r = do_madvise(t->mm, addr, len, behavior, &t->fst);

	vt_check(vm_machine(t->mm->vm));
	return r;
}

/* "start-end:letters" of every VMA, the letters being the smaps mnemonics
 * of the flags madvise sets (none: "-") */
static const char *flag_layout(struct mm_struct *mm, char *buf, size_t len)
{
	static const struct { unsigned long f; const char *s; } fl[] = {
		{ VM_SEQ_READ, "sr" }, { VM_RAND_READ, "rr" }, { VM_DONTCOPY, "dc" },
		{ VM_WIPEONFORK, "wf" }, { VM_DONTDUMP, "dd" }, { VM_HUGEPAGE, "hg" },
		{ VM_NOHUGEPAGE, "nh" }, { VM_MERGEABLE, "mg" },
	};
	struct vm_area_struct *vma;
	size_t used = 0;

	buf[0] = '\0';
	for_each_vma(mm, vma) {
		int n = snprintf(buf + used, len - used, "%s%llx-%llx:", used ? " " : "",
				 (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
		bool any = false;

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
		for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
			if ((vma->vm_flags & fl[i].f) && used + 3 < len) {
				used += (size_t)snprintf(buf + used, len - used, "%s", fl[i].s);
				any = true;
			}
		if (!any && used + 2 < len)
			used += (size_t)snprintf(buf + used, len - used, "-");
	}
	return buf;
}

#define assert_flags(mm, want) do {						\
	char _b[4096];								\
	const char *_g = flag_layout(mm, _b, sizeof(_b));			\
	if (strcmp(_g, want) != 0)						\
		fail_msg("VMAs\n  got:  %s\n  want: %s", _g, want);		\
} while (0)

static void wr64(struct task_struct *t, uint64_t va, uint64_t v)
{
	assert_int_equal(vt_write(t, va, v), 0);
}

static struct file *make_file(struct vmsim_machine *m, const char *name, unsigned pages)
{
	static uint8_t data[64 * 4096];
	struct vmsim_error err = { 0 };
	struct file *f;

	assert_true(pages <= 64);
	for (unsigned i = 0; i < pages; i++)
		memset(data + i * P, (int)(i + 1), P);
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), name, data, pages * P,
					pages * P,
					&f, &err), 0);
	return f;
}

static uint64_t map_file(struct task_struct *t, struct file *f, uint64_t addr, uint64_t len,
			 unsigned long prot, unsigned long flags)
{
	int64_t r = vm_mmap(t->mm, f, addr, len, prot, flags | (addr ? MAP_FIXED : 0), 0);

	if (r <= 0)
		fail_msg("mmap of %s: %lld", f->f_path, (long long)r);
	vt_check(vm_machine(t->mm->vm));
	return (uint64_t)r;
}

static bool present(struct task_struct *t, uint64_t va)
{
	return (mm_pte_lookup(t->mm, va) & _PAGE_PRESENT) != 0;
}

/* ---- arguments ---- */

static void test_madvise_arguments(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const int unknown[] = { 5, 6, 7, 26, 99, MADV_COLLAPSE, MADV_HWPOISON, MADV_SOFT_OFFLINE,
				MADV_GUARD_INSTALL, MADV_GUARD_REMOVE, 1212, -1 };

	(void)state;
	vt_mmap(t, WIN, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		if (adv(t, WIN, P, unknown[i]) != -EINVAL)
			fail_msg("advice %d accepted", unknown[i]);
	/* the advice is checked first, then the start, then the length */
	assert_int_equal(adv(t, WIN, 0, 5), -EINVAL);
	assert_int_equal(adv(t, WIN + 1, 0, MADV_NORMAL), -EINVAL);
	assert_int_equal(adv(t, WIN + 100, P, MADV_NORMAL), -EINVAL);
	/* an empty range succeeds wherever it is */
	assert_int_equal(adv(t, 0x1000, 0, MADV_DONTNEED), 0);
	/* a length that rounds up to zero, and a range that wraps */
	assert_int_equal(adv(t, WIN, (uint64_t)-1, MADV_NORMAL), -EINVAL);
	assert_int_equal(adv(t, WIN, (uint64_t)-4096, MADV_NORMAL), -EINVAL);
	assert_int_equal(adv(t, WIN, (uint64_t)-4097, MADV_NORMAL), -EINVAL);
	assert_int_equal(adv(t, 0xfffffffffffff000ULL, 2 * P, MADV_NORMAL), -EINVAL);
	/* nothing mapped, above TASK_SIZE included: ENOMEM */
	assert_int_equal(adv(t, 0x7ffffffff000ULL, P, MADV_NORMAL), -ENOMEM);
	assert_int_equal(adv(t, 0x800000000000ULL, P, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(adv(t, 0xffff800000000000ULL, P, MADV_NORMAL), -ENOMEM);
	/* a length that is not a page multiple covers the last page too */
	wr64(t, WIN + P, 7);
	assert_int_equal(adv(t, WIN, P + 1, MADV_DONTNEED), 0);
	assert_int_equal(vt_read_ok(t, WIN + P), 0);
	vmsim_machine_destroy(m);
}

/* unsigned long is 32 bits wide in a 32-bit kernel: the same range wraps
 * there and does not in a 64-bit one */
static void test_madvise_arguments_x86_32_wrap(void **state)
{
	struct vmsim_machine *m32 = vt_boot("x86_32", "128MiB"), *m64 = boot64();
	struct task_struct *a = vt_spawn(m32, "a", 0, 0), *b = vt_spawn(m64, "b", 0, 0);

	(void)state;
	assert_int_equal(adv(a, 0xfffff000ULL, 2 * P, MADV_NORMAL), -EINVAL);
	assert_int_equal(adv(b, 0xfffff000ULL, 2 * P, MADV_NORMAL), -ENOMEM);
	assert_int_equal(adv(a, 0x10000000ULL, 0xfffff001ULL, MADV_NORMAL), -EINVAL);
	vmsim_machine_destroy(m32);
	vmsim_machine_destroy(m64);
}

/* ---- gaps ---- */

static void test_madvise_gaps_apply_to_mapped_parts(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	vt_mmap(t, WIN, 10 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned i = 0; i < 10; i++)
		wr64(t, WIN + i * P, i + 1);
	assert_int_equal(do_munmap(t->mm, WIN + 4 * P, P), 0);
	/* both sides of the hole take the advice, then ENOMEM */
	assert_int_equal(adv(t, WIN + 2 * P, 5 * P, MADV_DONTFORK), -ENOMEM);
	assert_flags(t->mm, "10000000-10002000:- 10002000-10004000:dc 10005000-10007000:dc "
			    "10007000-1000a000:-");
	assert_int_equal(adv(t, WIN + 2 * P, 5 * P, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(vt_read_ok(t, WIN + 1 * P), 2);
	assert_int_equal(vt_read_ok(t, WIN + 3 * P), 0);
	assert_int_equal(vt_read_ok(t, WIN + 5 * P), 0);
	assert_int_equal(vt_read_ok(t, WIN + 7 * P), 8);
	/* a hole at the end, at the start, and nothing at all */
	assert_int_equal(adv(t, WIN + 3 * P, 2 * P, MADV_WILLNEED), -ENOMEM);
	assert_int_equal(adv(t, WIN + 4 * P, 2 * P, MADV_WILLNEED), -ENOMEM);
	assert_int_equal(adv(t, WIN + 4 * P, P, MADV_WILLNEED), -ENOMEM);
	assert_int_equal(adv(t, WIN + 8 * P, 4 * P, MADV_WILLNEED), -ENOMEM);
	/* an error in a VMA stops the walk: the part before it took the
	 * advice, the part after did not */
	vt_mmap(t, WIN + 10 * P, 2 * P, PRW, MAP_SHARED | MAP_FIXED);
	vt_mmap(t, WIN + 12 * P, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, WIN + 8 * P, 6 * P, MADV_WIPEONFORK), -EINVAL);
	assert_flags(t->mm, "10000000-10002000:- 10002000-10004000:dc 10005000-10007000:dc "
			    "10007000-10008000:- 10008000-1000a000:wf 1000a000-1000c000:- "
			    "1000c000-1000e000:-");
	vmsim_machine_destroy(m);
}

/* ---- flags: split into three, merge back, merge into neighbours ---- */

struct flag_advice {
	int set, undo;			/* undo: -1 when none clears the flag alone */
	unsigned long flag;
	const char *s;
};

static const struct flag_advice flag_advices[] = {
	{ MADV_DONTFORK, MADV_DOFORK, VM_DONTCOPY, "dc" },
	{ MADV_WIPEONFORK, MADV_KEEPONFORK, VM_WIPEONFORK, "wf" },
	{ MADV_RANDOM, MADV_NORMAL, VM_RAND_READ, "rr" },
	{ MADV_SEQUENTIAL, MADV_NORMAL, VM_SEQ_READ, "sr" },
	{ MADV_DONTDUMP, MADV_DODUMP, VM_DONTDUMP, "dd" },
	{ MADV_MERGEABLE, MADV_UNMERGEABLE, VM_MERGEABLE, "mg" },
	{ MADV_HUGEPAGE, -1, VM_HUGEPAGE, "hg" },
	{ MADV_NOHUGEPAGE, -1, VM_NOHUGEPAGE, "nh" },
};

static void flag_shapes(const struct flag_advice *fa, bool faulted)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	char want[512];

	/* a guard on each side so that nothing else merges */
	vt_mmap(t, WIN - P, P, PROT_NONE, MAP_PRIVATE | MAP_FIXED);
	vt_mmap(t, WIN, 10 * P, PRW, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE);
	vt_mmap(t, WIN + 10 * P, P, PROT_NONE, MAP_PRIVATE | MAP_FIXED);
	if (faulted)
		for (unsigned i = 0; i < 10; i++)
			wr64(t, WIN + i * P, 0x100 + i);

	/* the middle: three VMAs; the same advice again changes nothing */
	assert_int_equal(adv(t, WIN + 3 * P, 3 * P, fa->set), 0);
	snprintf(want, sizeof(want), "ffff000-10000000:- 10000000-10003000:- 10003000-10006000:%s "
		 "10006000-1000a000:- 1000a000-1000b000:-", fa->s);
	assert_flags(t->mm, want);
	assert_int_equal(adv(t, WIN + 3 * P, 3 * P, fa->set), 0);
	assert_int_equal(adv(t, WIN + 4 * P, P, fa->set), 0);
	assert_flags(t->mm, want);
	assert_int_equal(t->mm->map_count, 5);

	/* the right edge of the first VMA: it merges into the flagged one */
	assert_int_equal(adv(t, WIN + 2 * P, P, fa->set), 0);
	snprintf(want, sizeof(want), "ffff000-10000000:- 10000000-10002000:- 10002000-10006000:%s "
		 "10006000-1000a000:- 1000a000-1000b000:-", fa->s);
	assert_flags(t->mm, want);
	/* the left edge of the last: it merges into the flagged one */
	assert_int_equal(adv(t, WIN + 6 * P, 2 * P, fa->set), 0);
	snprintf(want, sizeof(want), "ffff000-10000000:- 10000000-10002000:- 10002000-10008000:%s "
		 "10008000-1000a000:- 1000a000-1000b000:-", fa->s);
	assert_flags(t->mm, want);
	assert_int_equal(t->mm->map_count, 5);

	if (fa->undo >= 0) {
		/* undone in the middle: the three parts of the flagged VMA */
		assert_int_equal(adv(t, WIN + 4 * P, 2 * P, fa->undo), 0);
		snprintf(want, sizeof(want), "ffff000-10000000:- 10000000-10002000:- "
			 "10002000-10004000:%s 10004000-10006000:- 10006000-10008000:%s "
			 "10008000-1000a000:- 1000a000-1000b000:-", fa->s, fa->s);
		assert_flags(t->mm, want);
		/* undone everywhere: one VMA again, merged on both sides */
		assert_int_equal(adv(t, WIN, 10 * P, fa->undo), 0);
		assert_flags(t->mm, "ffff000-10000000:- 10000000-1000a000:- 1000a000-1000b000:-");
	} else {
		/* advised everywhere: one VMA, the whole middle merging with
		 * both neighbours */
		assert_int_equal(adv(t, WIN, 2 * P, fa->set), 0);
		assert_int_equal(adv(t, WIN + 8 * P, 2 * P, fa->set), 0);
		snprintf(want, sizeof(want), "ffff000-10000000:- 10000000-1000a000:%s "
			 "1000a000-1000b000:-", fa->s);
		assert_flags(t->mm, want);
	}
	assert_int_equal(t->mm->total_vm, 12);
	if (faulted)
		for (unsigned i = 0; i < 10; i++)
			assert_int_equal(vt_read_ok(t, WIN + i * P), 0x100 + i);
	vmsim_machine_destroy(m);
}

static void test_madvise_flags_split_and_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(flag_advices) / sizeof(flag_advices[0]); i++) {
		flag_shapes(&flag_advices[i], false);
		flag_shapes(&flag_advices[i], true);
	}
}

/* a whole VMA between two that have the flag: all three become one */
static void test_madvise_flags_merge_both_sides(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	vt_mmap(t, WIN, 9 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	wr64(t, WIN, 1);
	assert_int_equal(adv(t, WIN, 3 * P, MADV_DONTFORK), 0);
	assert_int_equal(adv(t, WIN + 6 * P, 3 * P, MADV_DONTFORK), 0);
	assert_flags(t->mm, "10000000-10003000:dc 10003000-10006000:- 10006000-10009000:dc");
	assert_int_equal(adv(t, WIN + 3 * P, 3 * P, MADV_DONTFORK), 0);
	assert_flags(t->mm, "10000000-10009000:dc");
	assert_int_equal(vt_read_ok(t, WIN), 1);
	/* HUGEPAGE and NOHUGEPAGE exclude each other */
	assert_int_equal(adv(t, WIN, 9 * P, MADV_NOHUGEPAGE), 0);
	assert_int_equal(adv(t, WIN, 9 * P, MADV_HUGEPAGE), 0);
	assert_flags(t->mm, "10000000-10009000:dchg");
	/* KSM leaves shared memory alone: no flag, no split */
	vt_mmap(t, WIN + 16 * P, 4 * P, PRW, MAP_SHARED | MAP_FIXED);
	assert_int_equal(adv(t, WIN + 17 * P, P, MADV_MERGEABLE), 0);
	assert_flags(t->mm, "10000000-10009000:dchg 10010000-10014000:-");
	/* RANDOM and SEQUENTIAL replace each other */
	assert_int_equal(adv(t, WIN + 16 * P, 4 * P, MADV_RANDOM), 0);
	assert_int_equal(adv(t, WIN + 16 * P, 4 * P, MADV_SEQUENTIAL), 0);
	assert_flags(t->mm, "10000000-10009000:dchg 10010000-10014000:sr");
	vmsim_machine_destroy(m);
}

/*
 * A faulted VMA, or part of one, merged into a never-faulted neighbour by
 * a flag change: the neighbour takes its anon_vma and chain
 * (dup_anon_vma), so that the reverse map still finds the pages that now
 * lie in the neighbour; the host merges all three shapes (6.18).
 */
static void test_madvise_merge_takes_anon_vma(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct anon_vma *av;

	(void)state;
	/* the whole VMA into the one before */
	vt_mmap(t, WIN, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	vt_mmap(t, WIN + 2 * P, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, WIN + 2 * P, 2 * P, MADV_DONTDUMP), 0);
	wr64(t, WIN + 2 * P, 1);
	av = find_vma(t->mm, WIN + 2 * P)->anon_vma;
	assert_int_equal(adv(t, WIN + 2 * P, 2 * P, MADV_DODUMP), 0);
	assert_flags(t->mm, "10000000-10004000:-");
	assert_ptr_equal(find_vma(t->mm, WIN)->anon_vma, av);
	/* its lower half into the one before */
	vt_mmap(t, 0x12000000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	vt_mmap(t, 0x12002000, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, 0x12002000, 4 * P, MADV_DONTDUMP), 0);
	for (unsigned i = 0; i < 4; i++)
		wr64(t, 0x12002000 + i * P, 0x20 + i);
	assert_int_equal(adv(t, 0x12002000, 2 * P, MADV_DODUMP), 0);
	/* its upper half into the one after */
	vt_mmap(t, 0x14000000, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, 0x14000000, 4 * P, MADV_DONTDUMP), 0);
	for (unsigned i = 0; i < 4; i++)
		wr64(t, 0x14000000 + i * P, 0x40 + i);
	vt_mmap(t, 0x14004000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, 0x14002000, 2 * P, MADV_DODUMP), 0);
	assert_flags(t->mm, "10000000-10004000:- 12000000-12004000:- 12004000-12006000:dd "
			    "14000000-14002000:dd 14002000-14006000:-");
	assert_ptr_equal(find_vma(t->mm, 0x12000000)->anon_vma,
			 find_vma(t->mm, 0x12004000)->anon_vma);
	assert_ptr_equal(find_vma(t->mm, 0x14000000)->anon_vma,
			 find_vma(t->mm, 0x14004000)->anon_vma);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(vt_read_ok(t, 0x12002000 + i * P), 0x20 + i);
		assert_int_equal(vt_read_ok(t, 0x14000000 + i * P), 0x40 + i);
	}
	vmsim_machine_destroy(m);
}

/*
 * A flag change that would merge with a VMA that existed at fork: only the
 * parent merges (the anon_vma rules of vma_merge_existing_range()).  An
 * unfaulted VMA joining a forked faulted neighbour would take that
 * neighbour's anon_vma, whose chain in the child holds the parent's too;
 * a forked faulted VMA joining an unfaulted neighbour would hand it that
 * chain.  The layouts are the host's (DONTDUMP set before the fork,
 * DODUMP in the child, then in the parent).
 */
static void test_madvise_fork_merge_rules(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c;
	const char *apart = "10000000-10004000:- 10004000-10006000:- 12000000-12004000:- "
			    "12004000-12006000:-";

	(void)state;
	vt_mmap(p, WIN, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	vt_mmap(p, WIN + 4 * P, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(p, WIN + 4 * P, 2 * P, MADV_DONTDUMP), 0);
	vt_mmap(p, 0x12000000, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	vt_mmap(p, 0x12004000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(p, 0x12000000, 4 * P, MADV_DONTDUMP), 0);
	for (unsigned i = 0; i < 4; i++) {
		wr64(p, WIN + i * P, 0x3000 + i);
		wr64(p, 0x12000000 + i * P, 0x4000 + i);
	}
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	/* the unfaulted VMA after the forked one, then the forked one
	 * before the unfaulted one */
	assert_int_equal(adv(c, WIN + 4 * P, 2 * P, MADV_DODUMP), 0);
	assert_int_equal(adv(c, 0x12000000, 4 * P, MADV_DODUMP), 0);
	assert_flags(c->mm, apart);
	assert_int_equal(adv(p, WIN + 4 * P, 2 * P, MADV_DODUMP), 0);
	assert_int_equal(adv(p, 0x12000000, 4 * P, MADV_DODUMP), 0);
	assert_flags(p->mm, "10000000-10006000:- 12000000-12006000:-");
	/* the pages follow the rmap in both: written, read back, checked */
	for (unsigned i = 0; i < 6; i++) {
		wr64(c, WIN + i * P, 0x5000 + i);
		wr64(p, 0x12000000 + i * P, 0x6000 + i);
	}
	vt_check(m);
	assert_int_equal(vt_read_ok(c, 0x12000000), 0x4000);
	assert_int_equal(vt_read_ok(p, WIN + 3 * P), 0x3003);
	do_exit(c);
	vmsim_machine_destroy(m);
}

/*
 * vm.max_map_count: a split past 65530 VMAs fails (ENOMEM, reported as
 * EAGAIN), and nothing changes; a merge needs no split and still works.
 */
static void test_madvise_map_count_limit(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t region = 0x100000000ULL, e = WIN;
	const unsigned long n = 65529;	/* pages: 65529 VMAs once every other one is RW */

	(void)state;
	vt_mmap(t, e, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, e, P, MADV_DONTFORK), 0);
	assert_int_equal(t->mm->map_count, 2);
	assert_true(vm_mmap(t->mm, NULL, region, n * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_FIXED, 0) == (int64_t)region);
	for (unsigned long i = 1; i < n; i += 2)
		assert_int_equal(do_mprotect(t->mm, region + i * P, P, PRW), 0);
	assert_int_equal(t->mm->map_count, 65531);
	assert_int_equal(do_munmap(t->mm, region + (n - 1) * P, P), 0);
	assert_int_equal(t->mm->map_count, sysctl_max_map_count);
	vt_check(m);
	/* the left edge of e's second VMA merges into the first: no split */
	assert_int_equal(adv(t, e + P, P, MADV_DONTFORK), 0);
	assert_int_equal(t->mm->map_count, sysctl_max_map_count);
	assert_int_equal(find_vma(t->mm, e)->vm_end, e + 2 * P);
	/* its last page alone would need a split */
	assert_int_equal(adv(t, e + 3 * P, P, MADV_DONTFORK), -EAGAIN);
	assert_int_equal(adv(t, e + 2 * P, P, MADV_WIPEONFORK), -EAGAIN);
	assert_int_equal(t->mm->map_count, sysctl_max_map_count);
	assert_false(find_vma(t->mm, e + 3 * P)->vm_flags & (VM_DONTCOPY | VM_WIPEONFORK));
	/* advice that changes no flags needs no split */
	assert_int_equal(adv(t, e + 3 * P, P, MADV_DONTNEED), 0);
	vmsim_machine_destroy(m);
}

/* ---- dropping pages ---- */

static void test_madvise_dontneed_by_kind(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct file *f = make_file(m, "/f", 8);
	uint64_t a, pf, sa, sf, l;

	(void)state;
	/* private anonymous: zero pages next time */
	a = vt_mmap(t, WIN, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned i = 0; i < 4; i++)
		wr64(t, a + i * P, 0xaa);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);
	assert_int_equal(adv(t, a + P, 2 * P, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	assert_false(present(t, a + P));
	assert_int_equal(vt_read_ok(t, a + P), 0);
	assert_int_equal(vt_read_ok(t, a), 0xaa);
	/* private file: the private copy goes, the file's page is back */
	pf = map_file(t, f, WIN + 0x100000, 8 * P, PRW, MAP_PRIVATE);
	wr64(t, pf, 0x5555);
	assert_int_equal(vt_read_ok(t, pf) & 0xffff, 0x5555);
	assert_int_equal(adv(t, pf, 8 * P, MADV_DONTNEED), 0);
	assert_int_equal(vt_read_ok(t, pf), 0x0101010101010101ULL);
	/* shared anonymous: the object keeps the page, and the data */
	sa = vt_mmap(t, WIN + 0x200000, 2 * P, PRW, MAP_SHARED | MAP_FIXED);
	wr64(t, sa, 0x77);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 1);
	assert_int_equal(adv(t, sa, 2 * P, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 0);
	assert_int_equal(vt_read_ok(t, sa), 0x77);
	/* shared file: the cache keeps the written page */
	sf = map_file(t, f, WIN + 0x300000, 8 * P, PRW, MAP_SHARED);
	wr64(t, sf + P, 0x99);
	assert_int_equal(adv(t, sf, 8 * P, MADV_DONTNEED), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 1);	/* pf's page */
	assert_int_equal(f->f_mapping.nr_dirty, 1);
	assert_int_equal(vt_read_ok(t, sf + P), 0x99);
	/* locked memory: only MADV_DONTNEED_LOCKED */
	l = vt_mmap(t, WIN + 0x400000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED | MAP_LOCKED);
	assert_int_equal(adv(t, l, 2 * P, MADV_DONTNEED), -EINVAL);
	assert_int_equal(adv(t, l, 2 * P, MADV_FREE), -EINVAL);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);	/* populated by MAP_LOCKED */
	assert_int_equal(adv(t, l, 2 * P, MADV_DONTNEED_LOCKED), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 2);
	fput(f);
	vmsim_machine_destroy(m);
}

static void test_madvise_free(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct file *f = make_file(m, "/f", 4);
	const unsigned long *ev = m->pm.vmstat.event;
	uint64_t a, sa, pf;
	struct page *p0;

	(void)state;
	pf = map_file(t, f, WIN, 4 * P, PRW, MAP_PRIVATE);
	sa = vt_mmap(t, WIN + 0x100000, 4 * P, PRW, MAP_SHARED | MAP_FIXED);
	a = vt_mmap(t, WIN + 0x200000, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, pf, 4 * P, MADV_FREE), -EINVAL);
	assert_int_equal(adv(t, sa, 4 * P, MADV_FREE), -EINVAL);
	wr64(t, a, 3);
	wr64(t, a + P, 5);
	wr64(t, a + 3 * P, 4);
	p0 = vm_normal_page(find_vma(t->mm, a), mm_pte_lookup(t->mm, a));
	/* the pages stay mapped and keep their bytes, but turn clean and
	 * old, and move to the inactive file list as no longer swap-backed */
	assert_int_equal(adv(t, a, 4 * P, MADV_FREE), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 3);
	assert_int_equal(mm_pte_lookup(t->mm, a) & (_PAGE_DIRTY | _PAGE_ACCESSED), 0);
	lru_add_drain(&m->vm);
	assert_int_equal(ev[PGLAZYFREE], 3);
	assert_true(PageLRU(p0));
	assert_false(PageSwapBacked(p0));
	assert_int_equal(folio_lru_list(p0), LRU_INACTIVE_FILE);
	assert_int_equal(vt_read_ok(t, a + 3 * P), 4);
	/* written again: reclaim (MADV_PAGEOUT here) must keep it and make
	 * it swap-backed again; the clean ones are freed, and read as zeros */
	wr64(t, a, 7);
	assert_int_equal(adv(t, a, 4 * P, MADV_PAGEOUT), 0);
	assert_int_equal(ev[PGLAZYFREED], 2);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 1);
	assert_true(PageSwapBacked(p0));
	assert_ptr_equal(vm_normal_page(find_vma(t->mm, a), mm_pte_lookup(t->mm, a)), p0);
	assert_int_equal(vt_read_ok(t, a), 7);
	assert_int_equal(vt_read_ok(t, a + P), 0);
	assert_int_equal(vt_read_ok(t, a + 3 * P), 0);
	vt_check(m);
	fput(f);
	vmsim_machine_destroy(m);
}

/* ---- fork ---- */

static void test_madvise_wipeonfork(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c, *g, *c2;
	struct file *f = make_file(m, "/f", 4);
	uint64_t a, pf, sa;

	(void)state;
	pf = map_file(p, f, WIN + 0x100000, 4 * P, PRW, MAP_PRIVATE);
	sa = vt_mmap(p, WIN + 0x200000, 4 * P, PRW, MAP_SHARED | MAP_FIXED);
	assert_int_equal(adv(p, pf, 4 * P, MADV_WIPEONFORK), -EINVAL);
	assert_int_equal(adv(p, sa, 4 * P, MADV_WIPEONFORK), -EINVAL);
	a = vt_mmap(p, WIN, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned i = 0; i < 4; i++)
		wr64(p, a + i * P, 0x1000 + i);
	/* a zero length does nothing */
	assert_int_equal(adv(p, a, 0, MADV_WIPEONFORK), 0);
	assert_flags(p->mm, "10000000-10004000:- 10100000-10104000:- 10200000-10204000:-");
	assert_int_equal(adv(p, a + 2 * P, 2 * P, MADV_WIPEONFORK), 0);
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	vt_check(m);
	/* the child has the VMA, with the flag, and no pages in it */
	assert_flags(c->mm, "10000000-10002000:- 10002000-10004000:wf 10100000-10104000:- "
			    "10200000-10204000:-");
	assert_null(find_vma(c->mm, a + 2 * P)->anon_vma);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 2);
	assert_int_equal(vt_read_ok(c, a + P), 0x1001);
	assert_int_equal(vt_read_ok(c, a + 2 * P), 0);
	assert_int_equal(vt_read_ok(c, a + 3 * P), 0);
	/* the parent's wiped pages were never shared: written without a copy */
	assert_int_equal(page_mapcount(vm_normal_page(find_vma(p->mm, a + 2 * P),
						      mm_pte_lookup(p->mm, a + 2 * P))), 1);
	assert_true(mm_pte_lookup(p->mm, a + 2 * P) & _PAGE_RW);
	wr64(p, a + 2 * P, 5);
	assert_int_equal(p->fst.cow, 0);
	/* the grandchild too */
	wr64(c, a + 2 * P, 9);
	assert_int_equal(do_fork(c, "g", 0, &g), 0);
	vt_check(m);
	assert_int_equal(vt_read_ok(g, a + 2 * P), 0);
	assert_int_equal(vt_read_ok(c, a + 2 * P), 9);
	/* KEEPONFORK undoes it */
	assert_int_equal(adv(p, a, 4 * P, MADV_KEEPONFORK), 0);
	assert_int_equal(p->mm->map_count, 3);
	assert_int_equal(do_fork(p, "c2", 0, &c2), 0);
	vt_check(m);
	assert_int_equal(vt_read_ok(c2, a + 2 * P), 5);
	assert_int_equal(vt_read_ok(c2, a + 3 * P), 0x1003);
	fput(f);
	vmsim_machine_destroy(m);
}

static void test_madvise_dontfork(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c, *c2;
	uint64_t a;

	(void)state;
	a = vt_mmap(p, WIN, 6 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned i = 0; i < 6; i++)
		wr64(p, a + i * P, 0x2000 + i);
	assert_int_equal(adv(p, a + 2 * P, 2 * P, MADV_DONTFORK), 0);
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	vt_check(m);
	/* left out of the child, VMA and pages, and not counted there */
	assert_layout(c->mm, "10000000-10002000 rw- 10004000-10006000 rw-");
	assert_int_equal(c->mm->total_vm, 4);
	assert_int_equal(c->mm->map_count, 2);
	assert_int_equal(get_mm_counter(c->mm, MM_ANONPAGES), 4);
	{
		uint64_t v;

		assert_int_equal(vt_read(c, a + 2 * P, &v), SEGV_MAPERR);
	}
	/* the parent's pages there stay its own and writable */
	assert_true(mm_pte_lookup(p->mm, a + 2 * P) & _PAGE_RW);
	assert_false(mm_pte_lookup(p->mm, a) & _PAGE_RW);	/* COW-shared */
	/* DOFORK: copied again */
	assert_int_equal(adv(p, a, 6 * P, MADV_DOFORK), 0);
	assert_int_equal(p->mm->map_count, 1);
	assert_int_equal(do_fork(p, "c2", 0, &c2), 0);
	vt_check(m);
	assert_int_equal(vt_read_ok(c2, a + 3 * P), 0x2003);
	vmsim_machine_destroy(m);
}

/* ---- punching holes ---- */

static void test_madvise_remove(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c;
	struct file *f = make_file(m, "/f", 8);
	uint64_t a, pf, sf, sa, ro, l;
	uint64_t nr_free;

	(void)state;
	a = vt_mmap(p, WIN, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	pf = map_file(p, f, WIN + 0x100000, 8 * P, PRW, MAP_PRIVATE);
	l = vt_mmap(p, WIN + 0x500000, 2 * P, PRW, MAP_SHARED | MAP_FIXED | MAP_LOCKED);
	assert_int_equal(adv(p, a, 2 * P, MADV_REMOVE), -EINVAL);
	assert_int_equal(adv(p, pf, 8 * P, MADV_REMOVE), -EACCES);
	assert_int_equal(adv(p, l, 2 * P, MADV_REMOVE), -EINVAL);

	/* shared anonymous memory, shared with a child: the pages go for
	 * both, and back to the allocator */
	sa = vt_mmap(p, WIN + 0x200000, 4 * P, PRW, MAP_SHARED | MAP_FIXED);
	for (unsigned i = 0; i < 4; i++)
		wr64(p, sa + i * P, 0x300 + i);
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	assert_int_equal(vt_read_ok(c, sa + P), 0x301);
	assert_int_equal(vt_read_ok(c, sa + 3 * P), 0x303);
	/* the per-CPU LRU batches hold a reference on pages they add */
	lru_add_drain_all(&m->vm);
	drain_all_pages(&m->pm, NULL);
	nr_free = nr_free_pages(&m->pm);
	assert_int_equal(adv(c, sa + P, 2 * P, MADV_REMOVE), 0);
	/* unmapping young PTEs marked the pages accessed, which may batch them */
	lru_add_drain_all(&m->vm);
	drain_all_pages(&m->pm, NULL);
	assert_int_equal(nr_free_pages(&m->pm), nr_free + 2);
	assert_null(find_vma(p->mm, sa)->shm->pages[1]);
	assert_false(present(p, sa + P));
	assert_false(present(c, sa + P));
	assert_int_equal(vt_read_ok(p, sa + P), 0);
	assert_int_equal(vt_read_ok(p, sa), 0x300);
	assert_int_equal(vt_read_ok(c, sa + 3 * P), 0x303);
	assert_int_equal(vt_read_ok(c, sa + 2 * P), 0);

	/* a shared file: the bytes are gone from the cache and the file;
	 * a private mapping keeps its own copy, and sees the hole elsewhere */
	wr64(p, pf + 2 * P, 0xc0c0);			/* a private copy */
	assert_int_equal(vt_read_ok(p, pf + 3 * P), 0x0404040404040404ULL);
	sf = map_file(p, f, WIN + 0x300000, 8 * P, PRW, MAP_SHARED);
	wr64(p, sf + 4 * P, 0xd0d0);
	assert_int_equal(adv(p, sf + 2 * P, 3 * P, MADV_REMOVE), 0);
	assert_null(filemap_find_page(f, 2));
	assert_null(filemap_find_page(f, 4));
	assert_int_equal(f->f_mapping.nr_dirty, 0);
	assert_int_equal(vt_read_ok(p, sf + 3 * P), 0);
	assert_int_equal(vt_read_ok(p, sf + 4 * P), 0);
	assert_int_equal(vt_read_ok(p, sf + 5 * P), 0x0606060606060606ULL);
	assert_int_equal(vt_read_ok(p, pf + 2 * P), 0xc0c0);
	assert_false(present(p, pf + 3 * P));
	assert_int_equal(vt_read_ok(p, pf + 3 * P), 0);
	/* a shared read-only mapping of a file open for writing may punch */
	ro = map_file(p, f, WIN + 0x400000, 8 * P, PROT_READ, MAP_SHARED);
	assert_int_equal(adv(p, ro + 7 * P, P, MADV_REMOVE), 0);
	assert_int_equal(vt_read_ok(p, ro + 7 * P), 0);
	assert_int_equal(vt_read_ok(p, ro + 6 * P), 0x0707070707070707ULL);
	fput(f);
	vmsim_machine_destroy(m);
}

/* Byte @i of page @pg of the host file at @path (read with pread). */
static int host_byte(const char *path, uint64_t pg, unsigned i)
{
	unsigned char b = 0;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)(pg * P + i)), 1);
	close(fd);
	return b;
}

/*
 * A host file is read page by page and never written: a punched hole is a
 * record of pages that read as zeros, for faults and for the header reads
 * (filemap_read) alike, joined with the holes it touches; a page written
 * in a hole afterwards is the cache's and wins over the record.  A punch
 * that cannot record its hole (out of host memory) is ENOMEM and changes
 * nothing.
 */
static void test_madvise_remove_host_file(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct vmsim_error err = { 0 };
	unsigned char page[4096];
	char path[64];
	struct file *f;
	uint64_t a;
	uint8_t b;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vmsim-madv-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < 6; i++) {
		memset(page, (int)(i + 1), sizeof(page));
		assert_int_equal(write(fd, page, sizeof(page)), (ssize_t)sizeof(page));
	}
	close(fd);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), path, "/data", &f, &err), 0);
	/* 8 pages mapped over 6 of file: the last two are past EOF */
	a = map_file(t, f, WIN, 8 * P, PRW, MAP_SHARED);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(vt_read_ok(t, a + i * P), 0x0101010101010101ULL * (i + 1));
	wr64(t, a + 2 * P, 0xd0d0);

	/* out of host memory: the hole cannot be recorded, nothing changes */
	host_fail_at(1, HOST_FAIL_PERSISTENT);
	assert_int_equal(do_madvise(t->mm, a + P, 2 * P, MADV_REMOVE, &t->fst), -ENOMEM);
	host_fail_at(0, HOST_FAIL_ONCE);
	vt_check(m);
	assert_int_equal(f->nr_holes, 0);
	assert_true(present(t, a + 2 * P));
	assert_int_equal(vt_read_ok(t, a + 2 * P), 0xd0d0);

	assert_int_equal(adv(t, a + P, 2 * P, MADV_REMOVE), 0);
	assert_int_equal(f->nr_holes, 1);
	assert_false(present(t, a + P));
	assert_null(filemap_find_page(f, 2));
	assert_int_equal(f->f_mapping.nr_dirty, 0);
	/* the header-read path sees the hole, and the bytes around it */
	assert_int_equal(filemap_read(f, 2 * P - 1, &b, 1), 0);
	assert_int_equal(b, 0);
	assert_int_equal(filemap_read(f, 3 * P, &b, 1), 0);
	assert_int_equal(b, 4);
	assert_int_equal(vt_read_ok(t, a + P), 0);
	assert_int_equal(vt_read_ok(t, a + 2 * P), 0);
	assert_int_equal(vt_read_ok(t, a + 3 * P), 0x0404040404040404ULL);
	/* the host's bytes are untouched */
	assert_int_equal(host_byte(path, 1, 0), 2);
	assert_int_equal(host_byte(path, 2, 8), 3);

	/* holes that touch become one; past EOF nothing is recorded */
	assert_int_equal(adv(t, a + 4 * P, P, MADV_REMOVE), 0);
	assert_int_equal(f->nr_holes, 2);
	assert_int_equal(adv(t, a + 3 * P, P, MADV_REMOVE), 0);
	assert_int_equal(f->nr_holes, 1);
	assert_int_equal(f->holes[0].first, 1);
	assert_int_equal(f->holes[0].last, 4);
	assert_int_equal(adv(t, a + 5 * P, 3 * P, MADV_REMOVE), 0);
	assert_int_equal(f->nr_holes, 1);
	assert_int_equal(f->holes[0].last, 5);
	assert_int_equal(vt_read_ok(t, a + 5 * P), 0);
	assert_int_equal(vt_read_ok(t, a), 0x0101010101010101ULL);

	/* written after the punch: the cached page is the file's now */
	wr64(t, a + 3 * P, 0xe0e0);
	assert_int_equal(adv(t, a + 3 * P, P, MADV_DONTNEED), 0);
	assert_false(present(t, a + 3 * P));
	assert_int_equal(vt_read_ok(t, a + 3 * P), 0xe0e0);
	assert_int_equal(host_byte(path, 3, 0), 4);
	fput(f);
	vmsim_machine_destroy(m);
	unlink(path);
}

/* ---- populating ---- */

static void test_madvise_populate(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct file *f = make_file(m, "/f", 1);
	uint64_t ro, wo, no, rw, pe;
	unsigned long flt;

	(void)state;
	ro = vt_mmap(t, WIN, 4 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED);
	wo = vt_mmap(t, WIN + 0x100000, 4 * P, PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	no = vt_mmap(t, WIN + 0x200000, 4 * P, PROT_NONE, MAP_PRIVATE | MAP_FIXED);
	/* the access must be one the VMA allows (madv_populate.c) */
	assert_int_equal(adv(t, ro, 4 * P, MADV_POPULATE_READ), 0);
	assert_int_equal(adv(t, ro, 4 * P, MADV_POPULATE_WRITE), -EINVAL);
	assert_int_equal(adv(t, wo, 4 * P, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(adv(t, wo, 4 * P, MADV_POPULATE_WRITE), 0);
	assert_int_equal(adv(t, no, 4 * P, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(adv(t, no, 4 * P, MADV_POPULATE_WRITE), -EINVAL);

	/* reads map the zero page, writes frames; each fault counts */
	rw = vt_mmap(t, WIN + 0x300000, 16 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	flt = t->fst.min_flt;
	assert_int_equal(adv(t, rw, 8 * P, MADV_POPULATE_READ), 0);
	assert_int_equal(t->fst.min_flt - flt, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_true(present(t, rw + i * P));
	assert_false(present(t, rw + 8 * P));
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 4);	/* wo's */
	assert_int_equal(adv(t, rw, 16 * P, MADV_POPULATE_WRITE), 0);
	assert_int_equal(t->fst.min_flt - flt, 24);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 20);
	/* populated again: nothing to do */
	assert_int_equal(adv(t, rw, 16 * P, MADV_POPULATE_WRITE), 0);
	assert_int_equal(t->fst.min_flt - flt, 24);

	/* holes: in the middle, at the end, at the start; the pages before
	 * the hole are populated */
	assert_int_equal(do_munmap(t->mm, ro + P, P), 0);
	assert_int_equal(do_munmap(t->mm, rw + 12 * P, 4 * P), 0);
	assert_int_equal(adv(t, rw + 8 * P, 8 * P, MADV_POPULATE_READ), -ENOMEM);
	assert_int_equal(adv(t, ro + P, P, MADV_POPULATE_READ), -ENOMEM);
	assert_int_equal(adv(t, ro, 4 * P, MADV_POPULATE_READ), -ENOMEM);
	no = vt_mmap(t, WIN + 0x400000, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_munmap(t->mm, no + 2 * P, P), 0);
	assert_int_equal(adv(t, no, 4 * P, MADV_POPULATE_WRITE), -ENOMEM);
	assert_true(present(t, no + P));
	assert_false(present(t, no + 3 * P));

	/* a file page wholly past the end: EFAULT (the SIGBUS the access
	 * would raise); the page holding the end is fine */
	pe = map_file(t, f, WIN + 0x500000, 4 * P, PRW, MAP_SHARED);
	assert_int_equal(adv(t, pe, 4 * P, MADV_POPULATE_READ), -EFAULT);
	assert_int_equal(adv(t, pe, 4 * P, MADV_POPULATE_WRITE), -EFAULT);
	assert_int_equal(adv(t, pe, P, MADV_POPULATE_READ), 0);
	/* a private file mapping written through populate: copies */
	pe = map_file(t, f, WIN + 0x600000, P, PRW, MAP_PRIVATE);
	assert_int_equal(adv(t, pe, P, MADV_POPULATE_WRITE), 0);
	assert_true(PageAnon(vm_normal_page(find_vma(t->mm, pe), mm_pte_lookup(t->mm, pe))));
	fput(f);
	vmsim_machine_destroy(m);
}

/* ---- ageing ---- */

static bool young(struct task_struct *t, uint64_t va)
{
	return (mm_pte_lookup(t->mm, va) & _PAGE_ACCESSED) != 0;
}

static void test_madvise_cold_and_pageout(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c;
	uint64_t a, z, l;

	(void)state;
	a = vt_mmap(p, WIN, 8 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned i = 0; i < 8; i++)
		wr64(p, a + i * P, i);
	/* PAGEOUT leaves the Accessed bits (reclaim ignores them) */
	assert_int_equal(adv(p, a, 8 * P, MADV_PAGEOUT), 0);
	assert_true(young(p, a));
	assert_int_equal(get_mm_counter(p->mm, MM_ANONPAGES), 8);
	/* COLD clears them, and the TLB forgets the entries: the next access
	 * sets the bit again */
	assert_int_equal(adv(p, a, 8 * P, MADV_COLD), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_false(young(p, a + i * P));
	assert_int_equal(vt_read_ok(p, a + P), 1);
	assert_true(young(p, a + P));
	assert_false(young(p, a + 2 * P));
	/* pages shared with a child are left alone, and so is the zero page */
	vt_read_ok(p, a + 3 * P);
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	vt_read_ok(p, a + 4 * P);
	assert_int_equal(adv(p, a, 8 * P, MADV_COLD), 0);
	assert_true(young(p, a + 4 * P));
	z = vt_mmap(p, WIN + 0x100000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	vt_read_ok(p, z);
	assert_int_equal(adv(p, z, 2 * P, MADV_COLD), 0);
	assert_true(young(p, z));
	/* locked memory: EINVAL */
	l = vt_mmap(p, WIN + 0x200000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED | MAP_LOCKED);
	assert_int_equal(adv(p, l, 2 * P, MADV_COLD), -EINVAL);
	assert_int_equal(adv(p, l, 2 * P, MADV_PAGEOUT), -EINVAL);
	vmsim_machine_destroy(m);
}

/* ---- reading ahead ---- */

static void test_madvise_willneed(void **state)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=256MiB", "pagecache.read_ahead_kb=16",
			       "pagecache.max_sectors_kb=24", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct task_struct *t;
	struct file *f;
	uint64_t a, no, sa, fm;
	unsigned long reads;

	(void)state;
	if (!m)
		fail_msg("boot: %s", err.msg);
	t = vt_spawn(m, "a", 0, 0);
	f = make_file(m, "/f", 20);
	/* anonymous memory, even PROT_NONE, and shared anonymous memory:
	 * nothing is swapped out, so nothing to do (LTP madvise05) */
	a = vt_mmap(t, WIN, 4 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	no = vt_mmap(t, WIN + 0x100000, 4 * P, PROT_NONE, MAP_PRIVATE | MAP_FIXED);
	sa = vt_mmap(t, WIN + 0x200000, 4 * P, PRW, MAP_SHARED | MAP_FIXED);
	assert_int_equal(adv(t, a, 4 * P, MADV_WILLNEED), 0);
	assert_int_equal(adv(t, no, 4 * P, MADV_WILLNEED), 0);
	assert_int_equal(adv(t, sa, 4 * P, MADV_WILLNEED), 0);
	assert_int_equal(get_mm_rss(t->mm), 0);

	/* a file: the pages come into the cache, nothing is mapped */
	fm = map_file(t, f, WIN + 0x300000, 24 * P, PROT_READ, MAP_SHARED);
	assert_int_equal(adv(t, fm + 8 * P, 4 * P, MADV_WILLNEED), 0);
	assert_int_equal(f->f_mapping.nrpages, 4);
	for (unsigned i = 8; i < 12; i++)
		assert_non_null(filemap_find_page(f, i));
	assert_int_equal(get_mm_rss(t->mm), 0);
	/* the next read fault maps what fault-around finds cached */
	reads = f->pc->reads;
	assert_int_equal(vt_read_ok(t, fm + 9 * P), 0x0a0a0a0a0a0a0a0aULL);
	assert_int_equal(f->pc->reads, reads);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 4);
	/* cached pages are not read again */
	assert_int_equal(adv(t, fm + 6 * P, 6 * P, MADV_WILLNEED), 0);
	assert_int_equal(f->f_mapping.nrpages, 6);
	assert_int_equal(f->pc->reads, reads + 2);
	/* at most max(read_ahead_kb, max_sectors_kb) per call: 6 pages */
	assert_int_equal(adv(t, fm, 24 * P, MADV_WILLNEED), 0);
	assert_int_equal(f->f_mapping.nrpages, 12);
	assert_int_equal(f->pc->reads, reads + 8);
	assert_null(filemap_find_page(f, 12));
	/* and never past the end of the file */
	assert_int_equal(adv(t, fm + 16 * P, 8 * P, MADV_WILLNEED), 0);
	assert_int_equal(f->f_mapping.nrpages, 16);
	assert_non_null(filemap_find_page(f, 19));
	assert_null(filemap_find_page(f, 20));
	fput(f);
	vmsim_machine_destroy(m);
}

/* ---- special mappings ---- */

static const char *name_special(struct vm_area_struct *vma)
{
	(void)vma;
	return "[special]";
}

static const struct vm_operations_struct special_ops = { .name = name_special };

/* a special mapping as _install_special_mapping() makes the vDSO's */
static void install_special(struct task_struct *t, uint64_t addr, uint64_t len,
			    unsigned long flags)
{
	struct vm_area_struct *vma = vm_area_alloc(t->mm);

	assert_non_null(vma);
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = flags | VM_DONTEXPAND | VM_SOFTDIRTY;
	vma->vm_page_prot = vm_get_page_prot(t->mm, vma->vm_flags);
	vma->vm_ops = &special_ops;
	vma_link(t->mm, vma);
	vm_stat_account(t->mm, vma->vm_flags, (long)vma_pages(vma));
	update_hiwater_vm(t->mm);
	vt_check(vm_machine(t->mm->vm));
}

/* what the host answers for [vvar] (VM_IO | VM_PFNMAP) and [vdso] */
static void test_madvise_special_mappings(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t vvar = WIN, vdso = WIN + 0x10000;

	(void)state;
	install_special(t, vvar, 4 * P, VM_READ | VM_MAYREAD | VM_IO | VM_PFNMAP);
	install_special(t, vdso, 2 * P, VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
	assert_int_equal(adv(t, vvar, 4 * P, MADV_DONTNEED), -EINVAL);
	assert_int_equal(adv(t, vvar, 4 * P, MADV_FREE), -EINVAL);
	assert_int_equal(adv(t, vvar, 4 * P, MADV_WILLNEED), 0);
	assert_int_equal(adv(t, vvar, 4 * P, MADV_COLD), -EINVAL);
	assert_int_equal(adv(t, vvar, 4 * P, MADV_POPULATE_READ), -EINVAL);
	assert_int_equal(adv(t, vvar, P, MADV_DONTFORK), -EINVAL);	/* no split */
	assert_int_equal(adv(t, vvar, 4 * P, MADV_DODUMP), -EINVAL);
	assert_int_equal(adv(t, vvar, 4 * P, MADV_DOFORK), -EINVAL);	/* VM_IO */
	assert_int_equal(adv(t, vvar, 4 * P, MADV_MERGEABLE), 0);
	assert_int_equal(adv(t, vdso, 2 * P, MADV_DONTNEED), 0);
	assert_int_equal(adv(t, vdso, 2 * P, MADV_FREE), -EINVAL);
	assert_int_equal(adv(t, vdso, 2 * P, MADV_COLD), 0);
	assert_int_equal(adv(t, vdso, P, MADV_DONTFORK), -EINVAL);
	assert_int_equal(adv(t, vdso, 2 * P, MADV_DODUMP), -EINVAL);
	assert_int_equal(adv(t, vdso, 2 * P, MADV_WIPEONFORK), 0);
	/* a whole special mapping takes a flag, and merges with nothing */
	assert_flags(t->mm, "10000000-10004000:- 10010000-10012000:wf");
	/* munmap and mprotect cannot split one either */
	assert_int_equal(do_munmap(t->mm, vvar, P), -EINVAL);
	assert_int_equal(do_mprotect(t->mm, vdso, P, PROT_READ), -EINVAL);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* ---- smaps ---- */

static const char *vmflags_line(struct vmsim_machine *m, uint64_t addr, char *buf, size_t len)
{
	struct view_args va = { .task = "a" };
	struct strbuf sb = STRBUF_INIT;
	char head[32];
	const char *p, *l;
	size_t n;

	assert_int_equal(view_render(m, "smaps", &va, false, &sb), 0);
	snprintf(head, sizeof(head), "%08llx-", (unsigned long long)addr);
	p = strstr(sb_str(&sb), head);
	assert_non_null(p);
	l = strstr(p, "VmFlags: ");
	assert_non_null(l);
	n = strcspn(l, "\n");
	snprintf(buf, len, "%.*s", (int)n, l);
	sb_free(&sb);
	return buf;
}

/* show_smap_vma_flags(): every mnemonic in bit order, as the host prints */
static void test_madvise_smaps_vmflags(void **state)
{
	struct vmsim_machine *m = boot64();
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	char buf[256];

	(void)state;
	vt_mmap(t, WIN, 10 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(adv(t, WIN, 2 * P, MADV_RANDOM), 0);
	assert_int_equal(adv(t, WIN + 2 * P, P, MADV_WIPEONFORK), 0);
	assert_int_equal(adv(t, WIN + 3 * P, P, MADV_HUGEPAGE), 0);
	assert_int_equal(adv(t, WIN + 4 * P, P, MADV_NOHUGEPAGE), 0);
	assert_int_equal(adv(t, WIN + 5 * P, P, MADV_DONTDUMP), 0);
	assert_int_equal(adv(t, WIN + 6 * P, P, MADV_MERGEABLE), 0);
	assert_int_equal(adv(t, WIN + 8 * P, 2 * P, MADV_SEQUENTIAL), 0);
	assert_string_equal(vmflags_line(m, WIN, buf, sizeof(buf)), "VmFlags: rd wr mr mw me rr ac ");
	assert_string_equal(vmflags_line(m, WIN + 2 * P, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me ac wf ");
	assert_string_equal(vmflags_line(m, WIN + 3 * P, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me ac hg ");
	assert_string_equal(vmflags_line(m, WIN + 4 * P, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me ac nh ");
	assert_string_equal(vmflags_line(m, WIN + 5 * P, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me ac dd ");
	assert_string_equal(vmflags_line(m, WIN + 6 * P, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me ac mg ");
	assert_string_equal(vmflags_line(m, WIN + 8 * P, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me sr ac ");
	/* all of them on one VMA, in bit order */
	vt_mmap(t, WIN + 0x100000, 2 * P, PRW, MAP_PRIVATE | MAP_FIXED | MAP_LOCKED);
	assert_int_equal(adv(t, WIN + 0x100000, 2 * P, MADV_DONTFORK), 0);
	assert_int_equal(adv(t, WIN + 0x100000, 2 * P, MADV_RANDOM), 0);
	assert_int_equal(adv(t, WIN + 0x100000, 2 * P, MADV_WIPEONFORK), 0);
	assert_int_equal(adv(t, WIN + 0x100000, 2 * P, MADV_DONTDUMP), 0);
	assert_int_equal(adv(t, WIN + 0x100000, 2 * P, MADV_HUGEPAGE), 0);
	assert_int_equal(adv(t, WIN + 0x100000, 2 * P, MADV_MERGEABLE), 0);
	assert_string_equal(vmflags_line(m, WIN + 0x100000, buf, sizeof(buf)),
			    "VmFlags: rd wr mr mw me lo rr dc ac wf dd hg mg ");
	/* every mnemonic show_smap_vma_flags() has on x86_64 without
	 * CONFIG_MEM_SOFT_DIRTY, on a VMA given every flag for the view only */
	{
		struct vm_area_struct *vma = find_vma(t->mm, WIN);
		unsigned long saved = vma->vm_flags;

		vma->vm_flags = 0xffffffffUL;
		vmflags_line(m, WIN, buf, sizeof(buf));
		vma->vm_flags = saved;
		assert_string_equal(buf, "VmFlags: rd wr ex sh mr mw me ms gd um pf uw lo io sr rr dc de "
				    "lf ac nr ht sf ar wf dd mm hg nh mg ");
	}
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madvise_arguments),
		cmocka_unit_test(test_madvise_arguments_x86_32_wrap),
		cmocka_unit_test(test_madvise_gaps_apply_to_mapped_parts),
		cmocka_unit_test(test_madvise_flags_split_and_merge),
		cmocka_unit_test(test_madvise_flags_merge_both_sides),
		cmocka_unit_test(test_madvise_merge_takes_anon_vma),
		cmocka_unit_test(test_madvise_fork_merge_rules),
		cmocka_unit_test(test_madvise_map_count_limit),
		cmocka_unit_test(test_madvise_dontneed_by_kind),
		cmocka_unit_test(test_madvise_free),
		cmocka_unit_test(test_madvise_wipeonfork),
		cmocka_unit_test(test_madvise_dontfork),
		cmocka_unit_test(test_madvise_remove),
		cmocka_unit_test(test_madvise_remove_host_file),
		cmocka_unit_test(test_madvise_populate),
		cmocka_unit_test(test_madvise_cold_and_pageout),
		cmocka_unit_test(test_madvise_willneed),
		cmocka_unit_test(test_madvise_special_mappings),
		cmocka_unit_test(test_madvise_smaps_vmflags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
