/*
 * Known-answer tests of the address-space calls: where mmap places a
 * mapping (top-down from mmap_base, hint, MAP_FIXED, THP alignment, the
 * stack guard gap), how VMAs merge and split, munmap of any range, mprotect
 * split and merge back, sys_brk growth/shrink/refusal (with the linux-rules.md
 * examples), and the errno of every bad argument; the gap search through
 * the tree's cached gaps against a scan of every VMA over random layouts,
 * and 65000 VMAs placed one below the other.  The checker runs after every
 * call.  MAP_FIXED outside user space is also asked of the host kernel,
 * where that cannot map anything, and must fail the same way.
 */
#include "vma_test.h"
#include "vma/filemap.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "util/err.h"
#include "util/errname.h"

#define PR (PROT_READ)
#define PRW (PROT_READ | PROT_WRITE)
#define ANON_P (MAP_PRIVATE)
/* x86_64 with an 8 MiB stack rlimit: TASK_SIZE - 128 MiB (the minimum gap) */
#define BASE64 0x7ffff7fff000ULL

static void test_mmap_base_and_topdown_placement(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	assert_int_equal(t->mm->mmap_base, BASE64);
	/* the first mapping ends at mmap_base; the next goes right below and,
	 * having the same flags, merges into one VMA */
	assert_int_equal(vt_mmap(t, 0, 8 * KiB, PRW, ANON_P), BASE64 - 0x2000);
	assert_int_equal(vt_mmap(t, 0, 4 * KiB, PRW, ANON_P), BASE64 - 0x3000);
	assert_layout(t->mm, "7ffff7ffc000-7ffff7fff000 rw-");
	assert_int_equal(t->mm->map_count, 1);
	/* different flags: a separate VMA below */
	assert_int_equal(vt_mmap(t, 0, 4 * KiB, PR, ANON_P), BASE64 - 0x4000);
	assert_layout(t->mm, "7ffff7ffb000-7ffff7ffc000 r-- 7ffff7ffc000-7ffff7fff000 rw-");
	assert_int_equal(t->mm->total_vm, 4);
	assert_int_equal(t->mm->data_vm, 3);	/* private writable only */
	/* an unaligned length is rounded up to pages */
	assert_int_equal(vt_mmap(t, 0, 100, PR, ANON_P), BASE64 - 0x5000);
	vmsim_machine_destroy(m);
}

static void test_mmap_hint_fixed_and_noreplace(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a;

	(void)state;
	/* a free hint is honoured */
	assert_int_equal(vt_mmap(t, 0x10000000, 16 * KiB, PRW, ANON_P), 0x10000000);
	/* an occupied hint is not: top-down instead */
	assert_int_equal(vt_mmap(t, 0x10001000, 4 * KiB, PR, ANON_P), BASE64 - 0x1000);
	/* a hint below mmap_min_addr (64 KiB) moves up to it */
	assert_int_equal(vt_mmap(t, 0x1000, 4 * KiB, PR, ANON_P), 0x10000);
	/* MAP_FIXED replaces the middle page: three VMAs, the old page gone */
	assert_int_equal(vt_write(t, 0x10001000, 0x1234), 0);
	assert_int_equal(get_mm_rss(t->mm), 1);
	a = vt_mmap(t, 0x10001000, 4 * KiB, PR, ANON_P | MAP_FIXED);
	assert_int_equal(a, 0x10001000);
	assert_int_equal(get_mm_rss(t->mm), 0);
	assert_int_equal(vt_read_ok(t, 0x10001000), 0);
	assert_layout(t->mm, "10000-11000 r-- 10000000-10001000 rw- 10001000-10002000 r-- "
			     "10002000-10004000 rw- 7ffff7ffe000-7ffff7fff000 r--");
	/* MAP_FIXED_NOREPLACE refuses an occupied range, takes a free one */
	assert_int_equal(vm_mmap(t->mm, NULL, 0x10003000, 8 * KiB, PR,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0), -EEXIST);
	assert_int_equal(vt_mmap(t, 0x10004000, 4 * KiB, PRW, ANON_P | MAP_FIXED_NOREPLACE),
			 0x10004000);
	/* it merged into the rw- VMA before it */
	assert_non_null(vma_lookup(t->mm, 0x10004000));
	assert_int_equal(vma_lookup(t->mm, 0x10004000)->vm_start, 0x10002000);
	vmsim_machine_destroy(m);
}

static void test_mmap_errors_use_kernel_errno(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct mm_struct *mm = t->mm;
	const unsigned long pa = MAP_PRIVATE | MAP_ANONYMOUS;

	(void)state;
	assert_int_equal(vm_mmap(mm, NULL, 0, 0, PR, pa, 0), -EINVAL);
	assert_int_equal(vm_mmap(mm, NULL, 0, 4096, PR, MAP_ANONYMOUS, 0), -EINVAL);
	assert_int_equal(vm_mmap(mm, NULL, 0, 4096, PR, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, 0),
			 -EINVAL);
	assert_int_equal(vm_mmap(mm, NULL, 0x10000800, 4096, PR, pa | MAP_FIXED, 0), -EINVAL);
	assert_int_equal(vm_mmap(mm, NULL, 0, 4096, PR, pa, 123), -EINVAL);
	assert_int_equal(vm_mmap(mm, NULL, 0x1000, 4096, PR, pa | MAP_FIXED, 0), -EPERM);
	assert_int_equal(vm_mmap(mm, NULL, 0, 1ULL << 48, PR, pa, 0), -ENOMEM);
	assert_int_equal(vm_mmap(mm, NULL, 0x7ffffffff000ULL, 8192, PR, pa | MAP_FIXED, 0),
			 -ENOMEM);
	assert_int_equal(vm_mmap(mm, NULL, 0, 4096, PRW, MAP_SHARED | MAP_ANONYMOUS |
				 MAP_GROWSDOWN, 0), -EINVAL);
	assert_int_equal(vm_mmap(mm, NULL, 0, 4096, PR, MAP_PRIVATE, 0) /* no file, no anon */,
			 -EBADF);
	assert_int_equal(mm->map_count, 0);
	assert_int_equal(mm->total_vm, 0);
	/* munmap: unaligned start, zero length */
	assert_int_equal(do_munmap(mm, 0x10000001, 4096), -EINVAL);
	assert_int_equal(do_munmap(mm, 0x10000000, 0), -EINVAL);
	/* munmap of nothing is fine */
	assert_int_equal(do_munmap(mm, 0x10000000, 4096), 0);
	vmsim_machine_destroy(m);
}

/*
 * MAP_FIXED does no address check of its own (arch_get_unmapped_area_topdown
 * returns the address), so __get_unmapped_area() decides: an address that
 * is an error value comes back as itself, anything past TASK_SIZE - len is
 * ENOMEM (before the alignment check, so an unaligned kernel address is
 * ENOMEM too), and the map type is checked only after the address.  Never
 * a huge address taken for an errno, or the other way round.
 */
static const struct { uint64_t addr, len; unsigned long flags; int64_t want; } fixed_cases[] = {
	{ 0xffff888000000000ULL, 4096, MAP_FIXED, -ENOMEM },		/* the direct map */
	{ 0x8000000000000000ULL, 4096, MAP_FIXED, -ENOMEM },		/* 2^63 */
	{ 0xfffffffffffff000ULL, 4096, MAP_FIXED, -ENOMEM },		/* -4096: not an errno */
	{ 0xfffffffffffff001ULL, 4096, MAP_FIXED, -4095 },		/* -4095: returned as is */
	{ 0xffffffffffffffffULL, 4096, MAP_FIXED, -1 },		/* -1, read as EPERM */
	{ 0xffffffffffffe001ULL, 4096, MAP_FIXED, -ENOMEM },		/* unaligned, kernel half */
	{ 0x0000800000000000ULL, 4096, MAP_FIXED, -ENOMEM },		/* 2^47, past TASK_SIZE */
	{ 0x00007ffffffff000ULL, 4096, MAP_FIXED, -ENOMEM },		/* at TASK_SIZE */
	{ 0x00007fffffffe000ULL, 8192, MAP_FIXED, -ENOMEM },		/* ends past it */
	{ 0xffff888000000000ULL, 4096, MAP_FIXED_NOREPLACE, -ENOMEM },
	{ 0xffff888000000000ULL, 4096, MAP_FIXED | MAP_SHARED_VALIDATE, -ENOMEM }, /* address first */
	{ 0x0000000010000000ULL, 4096, MAP_FIXED | MAP_SHARED_VALIDATE, -EINVAL }, /* then the type */
	{ 0x0000000010000001ULL, 4096, MAP_FIXED, -EINVAL },		/* unaligned, user half */
	{ 0x0000000010000000ULL, ~0ULL, MAP_FIXED, -ENOMEM },		/* the length wraps */
};

static void test_mmap_fixed_outside_user_space_errno(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(fixed_cases) / sizeof(fixed_cases[0]); i++) {
		unsigned long fl = fixed_cases[i].flags;
		int64_t r;

		if (!(fl & MAP_TYPE))
			fl |= MAP_PRIVATE;
		r = vm_mmap(t->mm, NULL, fixed_cases[i].addr, fixed_cases[i].len, PROT_READ,
			    fl | MAP_ANONYMOUS, 0);
		if (r != fixed_cases[i].want)
			fail_msg("case %zu: mmap(%#llx, MAP_FIXED): %lld, want %lld", i,
				 (unsigned long long)fixed_cases[i].addr, (long long)r,
				 (long long)fixed_cases[i].want);
		assert_true(IS_ERR_VALUE(r));
	}
	assert_int_equal(t->mm->map_count, 0);
	/* a hint there is only a hint: the mapping goes top-down */
	assert_int_equal(vt_mmap(t, 0xffff888000000000ULL, 4096, PR, ANON_P), BASE64 - 0x1000);
	assert_int_equal(vt_mmap(t, 0xfffffffffffff001ULL, 4096, PRW, ANON_P), BASE64 - 0x2000);
	/* IS_ERR_VALUE is exactly -4095..-1 */
	assert_false(IS_ERR_VALUE(0xfffffffffffff000ULL));
	assert_true(IS_ERR_VALUE(0xfffffffffffff001ULL));
	assert_true(IS_ERR_VALUE(-1LL));
	assert_false(IS_ERR_VALUE(0x8000000000000000ULL));
	assert_false(IS_ERR_VALUE(0));
	vmsim_machine_destroy(m);
}

/* The same calls on the host: each fails there, so nothing is mapped.  A
 * host whose user space is not 47 bits (LA57 maps 2^47 with MAP_FIXED)
 * or that is not x86_64 has other answers: skipped, saying why. */
static void test_mmap_fixed_outside_user_space_matches_host(void **state)
{
	(void)state;
#if defined(__x86_64__) && defined(SYS_mmap)
	long probe = syscall(SYS_mmap, 0x800000000000UL, 4096UL, PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0L);

	if (probe != -1) {
		syscall(SYS_munmap, (unsigned long)probe, 4096UL);
		print_message("skipped: the host maps 2^47 (5-level paging), its TASK_SIZE differs\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(fixed_cases) / sizeof(fixed_cases[0]); i++) {
		unsigned long fl = fixed_cases[i].flags;
		long r;

		if (!(fl & MAP_TYPE))
			fl |= MAP_PRIVATE;
		errno = 0;
		r = syscall(SYS_mmap, (unsigned long)fixed_cases[i].addr,
			    (unsigned long)fixed_cases[i].len, PROT_READ, fl | MAP_ANONYMOUS, -1, 0L);
		if (r != -1)
			fail_msg("case %zu: the host mapped %#lx", i, (unsigned long)r);
		if (-errno != fixed_cases[i].want)
			fail_msg("case %zu: mmap(%#llx) on the host: errno %d (%s), we say %lld", i,
				 (unsigned long long)fixed_cases[i].addr, errno, errno_name(errno),
				 (long long)fixed_cases[i].want);
	}
#else
	print_message("skipped: not an x86_64 host\n");
	skip();
#endif
}

static void test_mmap_thp_alignment_for_2mib_multiples(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	/* ask for len + 2 MiB top-down (ends at mmap_base: 7ffff7bff000),
	 * round up to the 2 MiB boundary: 7ffff7c00000 */
	assert_int_equal(vt_mmap(t, 0, 2 * MiB, PRW, ANON_P), 0x7ffff7c00000ULL);
	/* already aligned: the kernel moves it up by 2 MiB instead (top-down):
	 * 7ffff7c00000 - 6 MiB = 7ffff7600000, +2 MiB */
	assert_int_equal(vt_mmap(t, 0, 4 * MiB, PR, ANON_P), 0x7ffff7800000ULL);
	/* not a 2 MiB multiple, or shared: plain top-down */
	assert_int_equal(vt_mmap(t, 0, 3 * MiB, PR, MAP_SHARED), 0x7ffff7500000ULL);
	vmsim_machine_destroy(m);
}

/* A task whose mmap area below mmap_base is free up to @gap_end (the rest
 * up to mmap_base taken by one anonymous mapping), as on the host after
 * ld.so and libc: the placement tests start from the host's gap. */
static struct task_struct *task_with_gap_end(struct vmsim_machine *m, uint64_t gap_end)
{
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	vt_mmap(t, gap_end, BASE64 - gap_end, PROT_NONE, ANON_P | MAP_FIXED);
	return t;
}

static uint64_t file_mmap(struct task_struct *t, struct file *f, uint64_t addr, uint64_t len,
			  unsigned long flags, uint64_t off)
{
	int64_t r = vm_mmap(t->mm, f, addr, len, PROT_READ, flags, off);

	if (r < 0)
		fail_msg("file mmap(%#llx, %#llx, off %#llx): %lld", (unsigned long long)addr,
			 (unsigned long long)len, (unsigned long long)off, (long long)r);
	vt_check(vm_machine(t->mm->vm));
	return (uint64_t)r;
}

static struct file *big_file(struct vmsim_machine *m, uint64_t size)
{
	struct vmsim_error err = { 0 };
	struct file *f = NULL;

	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/big3m", "x", 1, size, &f,
					&err), 0);
	return f;
}

/*
 * thp_get_unmapped_area() of a file on a file system with large folios
 * (ext4 on the host): the answers a 6.18 host gave for this sequence on a
 * 3 MiB ext4 file, below a gap ending at 0x7ffff7dd0000.  The offset must
 * leave a whole aligned 2 MiB of the file in the mapping, and the address
 * then matches the offset modulo 2 MiB (off_sub), or moves 2 MiB up when
 * the padded search already gave an aligned one.
 */
static void test_mmap_file_thp_alignment(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = task_with_gap_end(m, 0x7ffff7dd0000ULL);
	struct file *f = big_file(m, 3 * MiB);

	(void)state;
	/* 3 MiB at offset 0: search 5 MiB, top 0x7ffff78d0000, rounded up */
	assert_int_equal(file_mmap(t, f, 0, 3 * MiB, MAP_PRIVATE, 0), 0x7ffff7a00000ULL);
	/* offset 4 KiB, 2 MiB: no aligned 2 MiB of the file inside: plain */
	assert_int_equal(file_mmap(t, f, 0, 2 * MiB, MAP_PRIVATE, 0x1000), 0x7ffff7800000ULL);
	assert_int_equal(file_mmap(t, f, 0, 2 * MiB, MAP_PRIVATE, 0x100000), 0x7ffff7600000ULL);
	assert_int_equal(file_mmap(t, f, 0, 0x1ff000, MAP_PRIVATE, 0), 0x7ffff7401000ULL);
	assert_int_equal(file_mmap(t, f, 0, 0x201000, MAP_PRIVATE, 0x1000), 0x7ffff7200000ULL);
	/* offset 4 KiB with [2 MiB, 4 MiB) of the file inside: the address
	 * is 4 KiB past a 2 MiB boundary; the padded search's answer already
	 * was, so the mapping goes 2 MiB higher (top-down) */
	assert_int_equal(file_mmap(t, f, 0, 0x3ff000, MAP_PRIVATE, 0x1000), 0x7ffff6e01000ULL);
	/* shared file mappings too */
	assert_int_equal(file_mmap(t, f, 0, 2 * MiB, MAP_SHARED, 0), 0x7ffff6c00000ULL);
	/* shared anonymous memory is shmem, "never" huge: plain */
	assert_int_equal(vt_mmap(t, 0, 2 * MiB, PRW, MAP_SHARED), 0x7ffff6a00000ULL);
	fput(f);
	do_exit(t);
	vmsim_machine_destroy(m);

	/* a file system without large folios: no alignment */
	{
		const char *sets[] = { "memory.size=256MiB", "vfs.large_folios=false", NULL };
		struct vmsim_error err = { 0 };

		m = vmsim_machine_create("x86_64", sets, &err);
		assert_non_null(m);
		t = task_with_gap_end(m, 0x7ffff7dd0000ULL);
		f = big_file(m, 3 * MiB);
		assert_int_equal(file_mmap(t, f, 0, 3 * MiB, MAP_PRIVATE, 0), 0x7ffff7ad0000ULL);
		/* anonymous memory is aligned whatever the file system */
		assert_int_equal(vt_mmap(t, 0, 2 * MiB, PRW, ANON_P), 0x7ffff7800000ULL);
		fput(f);
		vmsim_machine_destroy(m);
	}
}

/* The hint of a THP-aligned placement is tried with the padded length
 * (6.18 host: a hint with room for the file but not for 2 MiB more is not
 * honoured); an anonymous mapping with a hint is never aligned. */
static void test_mmap_thp_hints(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = task_with_gap_end(m, 0x7ffff7f00000ULL);
	struct file *f = big_file(m, 3 * MiB);
	const uint64_t x = 0x7f0000000000ULL;

	(void)state;
	vt_mmap(t, x + 0x400000, 0x1000, PR, ANON_P | MAP_FIXED);
	/* room for 3 MiB at the hint, not for 5: aligned elsewhere */
	assert_int_equal(file_mmap(t, f, x + 0x1000, 3 * MiB, MAP_PRIVATE, 0), 0x7ffff7c00000ULL);
	/* room for 5 MiB: the hint, unaligned */
	assert_int_equal(file_mmap(t, f, x - 0x1000000 + 0x1000, 3 * MiB, MAP_PRIVATE, 0),
			 x - 0x1000000 + 0x1000);
	assert_int_equal(vt_mmap(t, x - 0x2000000 + 0x1000, 2 * MiB, PR, ANON_P),
			 x - 0x2000000 + 0x1000);
	fput(f);
	vmsim_machine_destroy(m);
}

/*
 * When nothing fits below mmap_base, the search goes bottom-up from
 * TASK_UNMAPPED_BASE (mmap_legacy_base), not from mmap_base: a gap that
 * starts below mmap_base and runs above it is used from its start.  The
 * host's answers for this layout (everything below 0x7ffff7f00000 taken,
 * the stack at its top).
 */
static void test_mmap_topdown_falls_back_bottom_up(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0x21000);

	(void)state;
	assert_int_equal(t->mm->mmap_legacy_base, 0x2aaaaaaab000ULL);
	vt_mmap(t, 0x10000, 0x7ffff7f00000ULL - 0x10000, PROT_NONE,
		ANON_P | MAP_FIXED | MAP_NORESERVE);
	/* 3 MiB: 1 MiB - 4 KiB below mmap_base is all there is top-down */
	assert_int_equal(vt_mmap(t, 0, 3 * MiB, PRW, ANON_P), 0x7ffff7f00000ULL);
	/* nothing below mmap_base now: bottom-up, right after it */
	assert_int_equal(vt_mmap(t, 0, 4 * KiB, PRW, ANON_P), 0x7ffff8200000ULL);
	/* bottom-up search of 4 MiB from 0x7ffff8201000, aligned up */
	assert_int_equal(vt_mmap(t, 0, 2 * MiB, PRW, ANON_P), 0x7ffff8400000ULL);
	assert_layout(t->mm, "10000-7ffff7f00000 --- 7ffff7f00000-7ffff8201000 rw- "
			     "7ffff8400000-7ffff8600000 rw- 7ffffffde000-7ffffffff000 rw-");
	vmsim_machine_destroy(m);
}

/* MAP_32BIT: bottom-up in [1 GiB, 2 GiB), a hint kept (host answers). */
static void test_mmap_32bit(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	assert_int_equal(vt_mmap(t, 0, 4 * KiB, PRW, ANON_P | MAP_32BIT), 0x40000000ULL);
	assert_int_equal(vt_mmap(t, 0, 2 * MiB, PRW, ANON_P | MAP_32BIT), 0x40200000ULL);
	assert_int_equal(vt_mmap(t, 0, 12 * KiB, PRW, ANON_P | MAP_32BIT), 0x40001000ULL);
	assert_int_equal(vt_mmap(t, 0x50000000, 4 * KiB, PRW, ANON_P | MAP_32BIT), 0x50000000ULL);
	assert_int_equal(vt_mmap(t, 0, 4 * KiB, PRW, MAP_SHARED | MAP_32BIT), 0x40004000ULL);
	vmsim_machine_destroy(m);
}

/*
 * 5-level paging: the cases of the kernel's selftest
 * tools/testing/selftests/mm/va_high_addr_switch.c (x86_64, no hugetlb),
 * in its order, with the addresses worked by hand from
 * arch_get_unmapped_area_topdown() and mmap_address_hint_valid():
 * DEFAULT_MAP_WINDOW = 2^47 - 4 KiB, mmap_base below it, and a hint
 * above the window raising the search's top by TASK_SIZE_MAX -
 * DEFAULT_MAP_WINDOW.  Each mapping is written to, as the selftest's
 * memset() does, so its page tables at every level get built.
 */
#define SWITCH (1ULL << 47)		/* ADDR_SWITCH_HINT */
#define HIGH (1ULL << 48)		/* HIGH_ADDR */
#define LOW (1ULL << 30)		/* LOW_ADDR */
/* mmap_base + TASK_SIZE_MAX - DEFAULT_MAP_WINDOW */
#define HIGH_BASE (BASE64 + 0x00fffffffffff000ULL - (SWITCH - 4096))

static const struct {
	uint64_t addr, size;
	bool fixed, keep;
	uint64_t want;
} high_switch[] = {
	{ SWITCH - 4096, 4096, false, false, BASE64 - 0x1000 },	/* straddles: low */
	{ SWITCH - 4096, 8192, false, false, BASE64 - 0x2000 },
	{ SWITCH, 4096, false, true, SWITCH },			/* free: exact */
	{ SWITCH, 8192, true, false, SWITCH },
	{ 0, 8192, false, false, BASE64 - 0x2000 },		/* mmap(NULL) */
	{ LOW, 8192, false, false, LOW },
	{ HIGH, 8192, false, true, HIGH },
	{ HIGH, 8192, false, true, HIGH_BASE - 0x2000 },	/* again: top-down, high */
	{ HIGH, 8192, true, false, HIGH },
	{ ~0ULL, 8192, false, true, HIGH_BASE - 0x4000 },	/* mmap(-1) */
	{ ~0ULL, 8192, false, false, HIGH_BASE - 0x6000 },
	{ SWITCH - 4096, 4096, false, false, BASE64 - 0x1000 },
	{ SWITCH - 4096, 8192, false, true, BASE64 - 0x2000 },
	{ SWITCH - 2048, 8192, false, true, BASE64 - 0x4000 },	/* rounded down: straddles */
	{ SWITCH, 4096, false, false, SWITCH },
	{ SWITCH, 8192, true, false, SWITCH },
};

static void test_mmap_la57_high_address_switch(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64-la57", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	assert_int_equal(t->mm->task_size, 0x00fffffffffff000ULL);
	assert_int_equal(t->mm->mmap_base, BASE64);
	for (size_t i = 0; i < sizeof(high_switch) / sizeof(high_switch[0]); i++) {
		uint64_t a = vt_mmap(t, high_switch[i].addr, high_switch[i].size, PRW,
				     ANON_P | (high_switch[i].fixed ? MAP_FIXED : 0));

		if (a != high_switch[i].want)
			fail_msg("case %zu: mmap(%#llx, %#llx) = %#llx, want %#llx", i,
				 (unsigned long long)high_switch[i].addr,
				 (unsigned long long)high_switch[i].size, (unsigned long long)a,
				 (unsigned long long)high_switch[i].want);
		for (uint64_t p = a; p < a + high_switch[i].size; p += 4096)
			assert_int_equal(vt_write(t, p, i), 0);
		if (!high_switch[i].keep)
			assert_int_equal(do_munmap(t->mm, a, high_switch[i].size), 0);
		vt_check(m);
	}
	/* above the window too, unmapping frees the tables: free_pgtables()
	 * reaches the top of the 56-bit user half */
	{
		struct task_struct *b = vt_spawn(m, "b", 0, 0);

		assert_int_equal(vt_mmap(b, HIGH, 4096, PRW, ANON_P), HIGH);
		assert_int_equal(vt_write(b, HIGH, 1), 0);
		assert_int_equal(mm_pgtables_bytes(b->mm), 4 * 4096);	/* P4D PUD PMD PTE */
		assert_int_equal(do_munmap(b->mm, HIGH, 4096), 0);
		assert_int_equal(mm_pgtables_bytes(b->mm), 0);
	}
	/* the top of user space: MAP_FIXED up to TASK_SIZE_MAX, not past it */
	assert_int_equal(vt_mmap(t, 0x00fffffffffff000ULL - 4096, 4096, PRW, ANON_P | MAP_FIXED),
			 0x00ffffffffffe000ULL);
	assert_int_equal(vt_write(t, 0x00ffffffffffe000ULL, 1), 0);
	assert_int_equal(vm_mmap(t->mm, NULL, 0x00fffffffffff000ULL, 4096, PRW,
				 ANON_P | MAP_ANONYMOUS | MAP_FIXED, 0), -ENOMEM);
	vt_teardown(m);
}

/* The same hints under 4-level paging: nothing lies above 47 bits, so a
 * high hint is just a bad hint. */
static void test_mmap_4level_high_hints_stay_low(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	assert_int_equal(vt_mmap(t, HIGH, 8192, PRW, ANON_P), BASE64 - 0x2000);
	assert_int_equal(vt_mmap(t, ~0ULL, 8192, PRW, ANON_P), BASE64 - 0x4000);
	assert_int_equal(vm_mmap(t->mm, NULL, SWITCH, 4096, PRW,
				 ANON_P | MAP_ANONYMOUS | MAP_FIXED, 0), -ENOMEM);
	vt_teardown(m);
}

/* MAP_STACK sets VM_NOHUGEPAGE (6.7 on): a thread stack does not merge
 * with plain anonymous memory next to it (host: three VMAs). */
static void test_mmap_stack_is_nohugepage(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t d, e, f, c;

	(void)state;
	d = vt_mmap(t, 0, 4 * KiB, PRW, ANON_P);
	e = vt_mmap(t, 0, 4 * KiB, PRW, ANON_P | MAP_STACK);
	f = vt_mmap(t, 0, 4 * KiB, PRW, ANON_P);
	assert_int_equal(e, d - 0x1000);
	assert_int_equal(f, e - 0x1000);
	assert_int_equal(t->mm->map_count, 3);
	assert_true(vma_lookup(t->mm, e)->vm_flags & VM_NOHUGEPAGE);
	assert_false(vma_lookup(t->mm, d)->vm_flags & VM_NOHUGEPAGE);
	/* two stacks side by side merge; placement ignores the flag: a 4 MiB
	 * stack is THP-aligned like any 2 MiB multiple */
	assert_int_equal(vt_mmap(t, 0, 4 * KiB, PRW, ANON_P | MAP_STACK), f - 0x1000);
	assert_int_equal(t->mm->map_count, 4);
	c = vt_mmap(t, 0, 4 * MiB, PRW, ANON_P | MAP_STACK);
	assert_int_equal(c & (2 * MiB - 1), 0);
	vmsim_machine_destroy(m);

	/* x86 builds transparent huge pages into 32-bit kernels too, PAE or
	 * not (HAVE_ARCH_TRANSPARENT_HUGEPAGE): the flag is set there as well,
	 * and even where the CPU cannot map a huge page (no PSE) */
	for (int pse = 1; pse >= 0; pse--) {
		const char *sets[] = { "memory.size=256MiB", pse ? NULL : "cpu.pse=false", NULL };
		struct vmsim_error err = { 0 };

		m = vmsim_machine_create("x86_32", sets, &err);
		assert_non_null(m);
		t = vt_spawn(m, "a", 0, 0);
		d = vt_mmap(t, 0, 4 * KiB, PRW, ANON_P);
		e = vt_mmap(t, 0, 4 * KiB, PRW, ANON_P | MAP_STACK);
		assert_int_equal(e, d - 0x1000);
		assert_int_equal(t->mm->map_count, 2);
		assert_true(vma_lookup(t->mm, e)->vm_flags & VM_NOHUGEPAGE);
		vmsim_machine_destroy(m);
	}
}

static void test_mmap_stack_guard_gap_keeps_mappings_away(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t s, b;

	(void)state;
	s = vt_mmap(t, 0, 64 * KiB, PRW, ANON_P | MAP_GROWSDOWN);
	assert_int_equal(s, BASE64 - 64 * KiB);
	/* the next mapping ends 256 pages (1 MiB) below the stack's start */
	b = vt_mmap(t, 0, 4 * KiB, PRW, ANON_P);
	assert_int_equal(b, s - MiB - 4 * KiB);
	assert_int_equal(t->mm->stack_vm, 16);
	/* a hint inside the gap is not honoured */
	assert_int_not_equal(vt_mmap(t, s - 8 * KiB, 4 * KiB, PR, ANON_P), s - 8 * KiB);
	vmsim_machine_destroy(m);
}

static void test_munmap_middle_and_across_vmas(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x20000000;
	unsigned long free0;

	(void)state;
	vt_mmap(t, a, 16 * KiB, PRW, ANON_P | MAP_FIXED);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vt_write(t, a + (uint64_t)i * 4096, (uint64_t)i + 1), 0);
	free0 = nr_free_pages_with_pcp(&m->pm);
	/* the middle two pages: one VMA becomes two, two frames come back */
	assert_int_equal(do_munmap(t->mm, a + 4096, 8192), 0);
	vt_check(m);
	assert_layout(t->mm, "20000000-20001000 rw- 20003000-20004000 rw-");
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0 + 2);
	assert_int_equal(get_mm_rss(t->mm), 2);
	assert_int_equal(vt_read_ok(t, a), 1);
	assert_int_equal(vt_read_ok(t, a + 3 * 4096), 4);
	{
		uint64_t v;
		assert_int_equal(vt_read(t, a + 4096, &v), SEGV_MAPERR);
	}
	/* across both VMAs and the hole between: all gone, and the page
	 * tables that became empty too */
	vt_mmap(t, a + 64 * KiB, 4 * KiB, PR, ANON_P | MAP_FIXED);
	assert_int_equal(do_munmap(t->mm, a + 2048 * 0, 128 * KiB), 0);
	vt_check(m);
	assert_int_equal(t->mm->map_count, 0);
	assert_int_equal(t->mm->total_vm, 0);
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0 + 4 + 3);	/* frames + PTE/PMD/PUD tables */
	vmsim_machine_destroy(m);
}

static void test_mprotect_split_and_merge_back(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x30000000;
	uint64_t v;

	(void)state;
	vt_mmap(t, a, 12 * KiB, PRW, ANON_P | MAP_FIXED);
	assert_int_equal(vt_write(t, a + 4096, 42), 0);
	assert_int_equal(do_mprotect(t->mm, a + 4096, 4096, PROT_READ), 0);
	vt_check(m);
	assert_layout(t->mm, "30000000-30001000 rw- 30001000-30002000 r-- 30002000-30003000 rw-");
	assert_int_equal(t->mm->data_vm, 2);
	assert_int_equal(vt_write(t, a + 4096, 1), SEGV_ACCERR);
	assert_int_equal(vt_read_ok(t, a + 4096), 42);
	/* back to rw: one VMA again, and the page is writable without a
	 * fault (it is this mapping's own) */
	assert_int_equal(do_mprotect(t->mm, a + 4096, 4096, PRW), 0);
	vt_check(m);
	assert_layout(t->mm, "30000000-30003000 rw-");
	assert_true(mm_pte_lookup(t->mm, a + 4096) & _PAGE_RW);
	/* PROT_NONE keeps the frame (not present, _PAGE_PROTNONE) */
	assert_int_equal(do_mprotect(t->mm, a, 12 * KiB, PROT_NONE), 0);
	vt_check(m);
	assert_int_equal(vt_read(t, a + 4096, &v), SEGV_ACCERR);
	assert_int_equal(get_mm_rss(t->mm), 1);
	assert_int_equal(do_mprotect(t->mm, a, 12 * KiB, PROT_READ), 0);
	assert_int_equal(vt_read_ok(t, a + 4096), 42);
	/* a hole: -ENOMEM, the part before the hole is changed anyway */
	vt_mmap(t, a + 16 * KiB, 4 * KiB, PR, ANON_P | MAP_FIXED);
	assert_int_equal(do_mprotect(t->mm, a, 20 * KiB, PRW), -ENOMEM);
	vt_check(m);
	assert_layout(t->mm, "30000000-30003000 rw- 30004000-30005000 r--");
	assert_int_equal(do_mprotect(t->mm, a + 1, 4096, PR), -EINVAL);
	assert_int_equal(do_mprotect(t->mm, a, 4096, 0x10), -EINVAL);
	assert_int_equal(do_mprotect(t->mm, 0x40000000, 4096, PR), -ENOMEM);
	vmsim_machine_destroy(m);
}

static void test_brk_grow_shrink_refuse(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0x555555559000ULL, 0);
	struct mm_struct *mm = t->mm;
	const uint64_t b0 = 0x555555559000ULL;

	(void)state;
	assert_int_equal(mm->start_brk, b0);
	assert_int_equal(sys_brk(mm, 0), b0);		/* the query */
	assert_int_equal(mm->map_count, 0);		/* no [heap] before growth */
	/* the kernel: brk(0x55555557a000) gives 555555559000-55555557a000 */
	assert_int_equal(sys_brk(mm, 0x55555557a000ULL), 0x55555557a000ULL);
	vt_check(m);
	assert_layout(mm, "555555559000-55555557a000 rw-");
	/* unaligned: the kernel returns the unaligned value, maps whole pages */
	assert_int_equal(sys_brk(mm, 0x55555557a123ULL), 0x55555557a123ULL);
	assert_layout(mm, "555555559000-55555557b000 rw-");
	assert_int_equal(vt_write(t, 0x55555557a000ULL, 5), 0);
	/* same page: only the value changes */
	assert_int_equal(sys_brk(mm, 0x55555557a800ULL), 0x55555557a800ULL);
	assert_layout(mm, "555555559000-55555557b000 rw-");
	/* shrinking is always allowed and frees the frames */
	assert_int_equal(sys_brk(mm, b0 + 4096), b0 + 4096);
	vt_check(m);
	assert_layout(mm, "555555559000-55555555a000 rw-");
	assert_int_equal(get_mm_rss(mm), 0);
	/* below start_brk: refused, the old break comes back */
	assert_int_equal(sys_brk(mm, b0 - 4096), b0 + 4096);
	/* growth that would come within one page of the next VMA is refused */
	vt_mmap(t, b0 + 64 * KiB, 4096, PR, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(sys_brk(mm, b0 + 60 * KiB), b0 + 60 * KiB);
	assert_int_equal(sys_brk(mm, b0 + 60 * KiB + 1), b0 + 60 * KiB);
	assert_int_equal(sys_brk(mm, b0 + 64 * KiB), b0 + 60 * KiB);
	vt_check(m);
	assert_int_equal(mm->brk, b0 + 60 * KiB);
	vmsim_machine_destroy(m);
}

static void test_brk_not_merged_with_bss_below_start_brk(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0x4ac000, 0);
	struct mm_struct *mm = t->mm;

	(void)state;
	/* the static program of docs/linux-rules.md 3: an anonymous bss VMA ends
	 * exactly at start_brk, with the same rw-p flags */
	vt_mmap(t, 0x4a7000, 0x5000, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(sys_brk(mm, 0x4acd00), 0x4acd00);
	assert_int_equal(sys_brk(mm, 0x4ce000), 0x4ce000);
	vt_check(m);
	/* the heap is its own VMA: brk only extends a VMA above start_brk */
	assert_layout(mm, "4a7000-4ac000 rw- 4ac000-4ce000 rw-");
	/* and it does extend the heap itself */
	assert_int_equal(sys_brk(mm, 0x4d0000), 0x4d0000);
	assert_layout(mm, "4a7000-4ac000 rw- 4ac000-4d0000 rw-");
	vmsim_machine_destroy(m);
}

static void test_mmap_x86_32_layout(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_32", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	/* TASK_SIZE 0xc0000000 - 128 MiB */
	assert_int_equal(t->mm->mmap_base, 0xb8000000);
	assert_int_equal(vt_mmap(t, 0, 4096, PRW, ANON_P), 0xb7fff000);
	/* no THP on 32-bit: a 2 MiB mapping is placed plainly */
	assert_int_equal(vt_mmap(t, 0, 2 * MiB, PRW, ANON_P), 0xb7dff000);
	assert_int_equal(t->mm->start_brk, 0x80000000);
	assert_int_equal(vt_write(t, 0xb7dff000, 9), 0);
	assert_int_equal(vt_read_ok(t, 0xb7dff000), 9);
	vmsim_machine_destroy(m);
}

/* ---- the gap search against a scan of every VMA ---- */

/* The search as a walk over every gap, top-down from high (what
 * unmapped_area_topdown did before the tree kept gaps). */
static int64_t ref_topdown(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high,
			   uint64_t align_mask)
{
	uint64_t length = len + align_mask, gap_start, gap_end, addr;
	struct vm_area_struct *next, *prev;

	if (length < len || high < low)
		return -ENOMEM;
	next = find_vma(mm, high);
	prev = next ? vma_prev(next) : mm_last_vma(mm);
	for (;;) {
		gap_end = next && vm_start_gap(next) < high ? vm_start_gap(next) : high;
		gap_start = prev ? vm_end_gap(prev) : 0;
		if (gap_start < low)
			gap_start = low;
		if (gap_end > gap_start && gap_end - gap_start >= length) {
			addr = gap_end - len;
			return (int64_t)(addr - (addr & align_mask));
		}
		if (!prev || prev->vm_start <= low)
			return -ENOMEM;
		next = prev;
		prev = vma_prev(prev);
	}
}

static int64_t ref_bottomup(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area_struct *vma;
	uint64_t start = low;

	for_each_vma(mm, vma) {
		if (vm_start_gap(vma) > start && vm_start_gap(vma) - start >= len &&
		    start + len <= high)
			return (int64_t)start;
		if (vm_end_gap(vma) > start)
			start = vm_end_gap(vma);
	}
	return start + len <= high && start + len > start ? (int64_t)start : -ENOMEM;
}

static int64_t ref_arch(struct mm_struct *mm, uint64_t len)
{
	uint64_t low = mm->mmap_min_addr > PAGE_SIZE ? mm->mmap_min_addr : PAGE_SIZE;
	int64_t r;

	if (len > mm->task_size)
		return -ENOMEM;
	r = ref_topdown(mm, len, low, mm->mmap_base, 0);
	if (r >= 0)
		return r;
	/* the fallback: bottom-up from mmap_legacy_base */
	return ref_bottomup(mm, len, mm->mmap_legacy_base > low ? mm->mmap_legacy_base : low,
			    mm->task_size);
}

/* get_unmapped_area() of anonymous private memory without a hint. */
static int64_t ref_get_unmapped_area(struct mm_struct *mm, uint64_t len)
{
	const uint64_t pmd = 2 * MiB;
	int64_t r;

	if (len > mm->task_size)
		return -ENOMEM;
	if (mm->task_size > (1ULL << 32) && len % pmd == 0) {
		r = ref_arch(mm, len + pmd);
		if (r >= 0) {
			uint64_t off = (0 - (uint64_t)r) & (pmd - 1);
			r = (int64_t)(off ? (uint64_t)r + off : (uint64_t)r + pmd);
		} else {
			r = ref_arch(mm, len);
		}
	} else {
		r = ref_arch(mm, len);
	}
	if (r < 0)
		return r;
	if ((uint64_t)r > mm->task_size - len)
		return -ENOMEM;
	return (uint64_t)r < mm->mmap_min_addr ? -EPERM : r;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/*
 * Random fixed mappings (mixed protections, some growing down), munmaps,
 * mprotects, hint-less mmaps (which merge), stack growth, in a window
 * around a lowered mmap_base so that top-down searches fail and fall back
 * to bottom-up.  After each change the checker (which recomputes every
 * cached subtree gap) runs, and searches of many lengths give what the
 * scan over every VMA gives.
 */
static void gap_search_vs_scan(const char *arch, uint64_t base)
{
	static const unsigned long prots[] = { PR, PRW, PROT_NONE, PROT_READ | PROT_EXEC };
	struct vmsim_machine *m = vt_boot(arch, "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct mm_struct *mm = t->mm;
	const uint64_t win = 96 * MiB;

	/* both bases in the window: the bottom-up fallback starts where the
	 * top-down search ends */
	mm->mmap_base = mm->mmap_legacy_base = base;
	for (int op = 0; op < 3000; op++) {
		uint64_t a = mm->mmap_min_addr + rnd(win / PAGE_SIZE) * PAGE_SIZE;
		uint64_t len = (1 + rnd(rnd(8) ? 16 : 1024)) * PAGE_SIZE;
		unsigned long prot = prots[rnd(4)];
		struct access_result r;
		uint64_t v = 0;

		switch (rnd(6)) {
		case 0:
		case 1:
			vm_mmap(mm, NULL, a, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
				(rnd(8) ? 0 : MAP_GROWSDOWN), 0);
			break;
		case 2:
			do_munmap(mm, a, len);
			break;
		case 3:
			do_mprotect(mm, a, len, prot);
			break;
		case 4:
			vm_mmap(mm, NULL, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, 0);
			break;
		case 5:
			/* a read just below some VMA grows it if it is a stack */
			task_access(t, a, MMU_READ, &v, sizeof(v), &r);
			break;
		}
		vt_check(m);
		for (int q = 0; q < 8; q++) {
			uint64_t l = rnd(4) ? (1 + rnd(64)) * PAGE_SIZE : (1 + rnd(4)) * 2 * MiB;
			int64_t got = get_unmapped_area(mm, NULL, 0, l, 0, MAP_PRIVATE | MAP_ANONYMOUS);
			int64_t want = ref_get_unmapped_area(mm, l);

			if (got != want)
				fail_msg("%s op %d: length %#llx at %#llx, the scan says %#llx", arch, op,
					 (unsigned long long)l, (long long)got, (long long)want);
		}
	}
	vmsim_machine_destroy(m);
}

/* One-page VMAs of alternating protections over [lo, hi): a deep tree
 * with no gap at all. */
static void fill(struct task_struct *t, uint64_t lo, uint64_t hi)
{
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE)
		if (vm_mmap(t->mm, NULL, a, PAGE_SIZE, (a >> PAGE_SHIFT) & 1 ? PR : PRW,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) != (int64_t)a)
			fail_msg("fill at %#llx", (unsigned long long)a);
}

/* The only gap that fits sits exactly at an edge of [low, high): the
 * descent must not prune the subtree that holds it. */
static void test_mmap_gap_search_edges(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t min = t->mm->mmap_min_addr, base = 8 * MiB, l = 4 * PAGE_SIZE;

	(void)state;
	/* the bottom-up fallback starts at mmap_legacy_base: here base too */
	t->mm->mmap_base = t->mm->mmap_legacy_base = base;
	/* at the bottom: [min, min + l) free, everything above full */
	fill(t, min + l, base + 64 * PAGE_SIZE);
	vt_check(m);
	assert_int_equal(get_unmapped_area(t->mm, NULL, 0, l, 0, MAP_PRIVATE), min);
	assert_int_equal(get_unmapped_area(t->mm, NULL, 0, l + PAGE_SIZE, 0, MAP_PRIVATE),
			 base + 64 * PAGE_SIZE);
	/* at the top: [base - l, base) free below the mappings above base */
	assert_int_equal(do_munmap(t->mm, base - l, l), 0);
	fill(t, min, min + l);
	vt_check(m);
	assert_int_equal(get_unmapped_area(t->mm, NULL, 0, l, 0, MAP_PRIVATE), base - l);
	/* bottom-up above base: the first hole that fits */
	assert_int_equal(do_munmap(t->mm, base + 40 * PAGE_SIZE, 2 * l), 0);
	assert_int_equal(get_unmapped_area(t->mm, NULL, 0, 2 * l, 0, MAP_PRIVATE),
			 base + 40 * PAGE_SIZE);
	assert_int_equal(do_munmap(t->mm, base + 10 * PAGE_SIZE, 2 * l), 0);
	assert_int_equal(get_unmapped_area(t->mm, NULL, 0, 2 * l, 0, MAP_PRIVATE),
			 base + 10 * PAGE_SIZE);
	vmsim_machine_destroy(m);
}

static void test_mmap_gap_search_matches_a_scan(void **state)
{
	(void)state;
	gap_search_vs_scan("x86_64", 64 * MiB);
	gap_search_vs_scan("x86_32", 48 * MiB);
}

/* 65000 one-page mappings without a hint, alternating protections so that
 * none merge: each lands right below the last, found through the tree in
 * a few steps rather than after passing every VMA above (which made this
 * quadratic); 65530 is the kernel's max_map_count. */
static void test_mmap_many_vmas_place_in_log_time(void **state)
{
	enum { N = 65000 };
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t expect = BASE64;

	(void)state;
	for (int i = 0; i < N; i++) {
		int64_t a = vm_mmap(t->mm, NULL, 0, PAGE_SIZE, i & 1 ? PR : PRW,
				    MAP_PRIVATE | MAP_ANONYMOUS, 0);

		expect -= PAGE_SIZE;
		if (a != (int64_t)expect)
			fail_msg("mapping %d at %#llx, expected %#llx", i, (long long)a,
				 (unsigned long long)expect);
	}
	assert_int_equal(t->mm->map_count, N);
	vt_check(m);
	/* a hole in the middle is found again from the top */
	assert_int_equal(do_munmap(t->mm, expect + (N / 2) * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	assert_int_equal(vt_mmap(t, 0, 2 * PAGE_SIZE, PROT_EXEC, ANON_P),
			 expect + (N / 2) * PAGE_SIZE);
	assert_int_equal(do_munmap(t->mm, expect, N * PAGE_SIZE), 0);
	assert_int_equal(t->mm->map_count, 0);
	vt_check(m);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_base_and_topdown_placement),
		cmocka_unit_test(test_mmap_hint_fixed_and_noreplace),
		cmocka_unit_test(test_mmap_errors_use_kernel_errno),
		cmocka_unit_test(test_mmap_fixed_outside_user_space_errno),
		cmocka_unit_test(test_mmap_fixed_outside_user_space_matches_host),
		cmocka_unit_test(test_mmap_thp_alignment_for_2mib_multiples),
		cmocka_unit_test(test_mmap_file_thp_alignment),
		cmocka_unit_test(test_mmap_thp_hints),
		cmocka_unit_test(test_mmap_topdown_falls_back_bottom_up),
		cmocka_unit_test(test_mmap_32bit),
		cmocka_unit_test(test_mmap_la57_high_address_switch),
		cmocka_unit_test(test_mmap_4level_high_hints_stay_low),
		cmocka_unit_test(test_mmap_stack_is_nohugepage),
		cmocka_unit_test(test_mmap_stack_guard_gap_keeps_mappings_away),
		cmocka_unit_test(test_munmap_middle_and_across_vmas),
		cmocka_unit_test(test_mprotect_split_and_merge_back),
		cmocka_unit_test(test_brk_grow_shrink_refuse),
		cmocka_unit_test(test_brk_not_merged_with_bss_below_start_brk),
		cmocka_unit_test(test_mmap_x86_32_layout),
		cmocka_unit_test(test_mmap_gap_search_edges),
		cmocka_unit_test(test_mmap_gap_search_matches_a_scan),
		cmocka_unit_test(test_mmap_many_vmas_place_in_log_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
