/*
 * Known-answer tests of mlock, mlock2, munlock, mlockall, munlockall,
 * mincore and msync, from the kernel's own expectations (LTP's
 * syscalls/{mlock,mlock2,munlock,mlockall,mincore,msync}, the selftests
 * mlock2-tests.c and mlock-random-test.c) and from this host's 6.18
 * kernel: VMA splits and merges, locked_vm, the prefault, RLIMIT_MEMLOCK
 * and CAP_IPC_LOCK, PG_mlocked with its mlock_count, mincore's view of
 * the page cache, and msync's writeback.  The whole-machine checker
 * (mlock counts across mms included) runs after every call.
 */
#include "vma_test.h"

#include "vma/swap.h"

#include "vma/filemap.h"
#include "vma/rmap.h"

#define PG 4096ULL
#define PRW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define WIN 0x10000000ULL

static struct vmsim_machine *boot(struct task_struct **t)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");

	*t = vt_spawn(m, "a", 0x20000000, 0);
	return m;
}

/* setrlimit(RLIMIT_MEMLOCK) and dropping CAP_IPC_LOCK, as LTP does with
 * setrlimit() and seteuid(nobody) */
static void unprivileged(struct task_struct *t, uint64_t limit)
{
	t->mm->memlock_rlimit = limit;
	t->mm->cap_ipc_lock = false;
}

static unsigned long lock_flags(struct task_struct *t, uint64_t va)
{
	struct vm_area_struct *vma = vma_lookup(t->mm, va);

	assert_non_null(vma);
	return vma->vm_flags & VM_LOCKED_MASK;
}

static bool present(struct task_struct *t, uint64_t va)
{
	return (mm_pte_lookup(t->mm, va) & _PAGE_PRESENT) != 0;
}

static struct page *page_at(struct task_struct *t, uint64_t va)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	uint64_t pte = mm_pte_lookup(t->mm, va);

	assert_true(pte & _PAGE_PRESENT);
	return pfn_to_page(&m->pm, (unsigned long)((pte & m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT));
}

/* mincore of [va, va+len) as a string of 0 and 1 */
static const char *mincore_str(struct task_struct *t, uint64_t va, uint64_t len, char *buf)
{
	unsigned char vec[64];
	size_t n = (size_t)((len + PG - 1) / PG);

	assert_true(n < sizeof(vec));
	assert_int_equal(sys_mincore(t->mm, va, len, vec, sizeof(vec)), 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('0' + vec[i]);
	buf[n] = '\0';
	return buf;
}

#define assert_mincore(t, va, len, want) do {				\
	char _b[80];							\
	assert_string_equal(mincore_str(t, va, len, _b), want);		\
} while (0)

/* "/f", @pages pages of the page cache, mapped shared, rw and locked at
 * WIN: the mapping's pages are in the cache, each mlocked once. */
static struct file *map_locked_file(struct task_struct *t, uint64_t pages)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	struct vmsim_error err = { 0 };
	struct file *f;

	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f", "x", 1, pages * PG, &f,
					&err), 0);
	assert_int_equal(vm_mmap(t->mm, f, WIN, pages * PG, PRW,
				 MAP_SHARED | MAP_FIXED | MAP_LOCKED, 0), (int64_t)WIN);
	return f;
}

/* mlock of the middle splits a VMA in three and populates what it locks;
 * munlock merges back (the host's answer for this very sequence) */
static void test_mlock_split_merge_and_rounding(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;

	(void)state;
	vt_mmap(t, WIN, 16 * PG, PRW, ANON | MAP_FIXED);
	/* 100 bytes into page 4, four pages long: pages 4..8 */
	assert_int_equal(sys_mlock(mm, WIN + 4 * PG + 100, 4 * PG, &t->fst), 0);
	vt_check(m);
	assert_layout(mm, "10000000-10004000 rw- 10004000-10009000 rw- 10009000-10010000 rw-");
	assert_int_equal(mm->locked_vm, 5);
	assert_int_equal(lock_flags(t, WIN + 4 * PG), VM_LOCKED);
	assert_int_equal(lock_flags(t, WIN), 0);
	/* populated by write faults (private writable: COW broken now), each
	 * counted as the task's minor fault, each page PG_mlocked */
	assert_mincore(t, WIN, 16 * PG, "0000111110000000");
	assert_int_equal(t->fst.min_flt, 5);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 5);
	assert_true(PageMlocked(page_at(t, WIN + 8 * PG)));
	assert_int_equal(page_at(t, WIN + 8 * PG)->mlock_count, 1);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 5);
	/* unlock pages 4..7: they join the unlocked VMA below, page 8 stays */
	assert_int_equal(sys_munlock(mm, WIN + 4 * PG, 4 * PG), 0);
	vt_check(m);
	assert_layout(mm, "10000000-10008000 rw- 10008000-10009000 rw- 10009000-10010000 rw-");
	assert_int_equal(mm->locked_vm, 1);
	assert_false(PageMlocked(page_at(t, WIN + 4 * PG)));
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 1);
	/* the pages stay resident after munlock */
	assert_mincore(t, WIN, 16 * PG, "0000111110000000");
	assert_int_equal(sys_munlock(mm, WIN, 16 * PG), 0);
	assert_layout(mm, "10000000-10010000 rw-");
	assert_int_equal(mm->locked_vm, 0);
	/* a zero length at an unaligned address still covers that page:
	 * len = PAGE_ALIGN(len + offset) */
	assert_int_equal(sys_mlock(mm, WIN + 100, 0, NULL), 0);
	assert_int_equal(mm->locked_vm, 1);
	assert_int_equal(sys_munlock(mm, WIN + 100, 0), 0);
	assert_int_equal(mm->locked_vm, 0);
	/* a length that wraps when aligned is 0 (the host returns 0) */
	assert_int_equal(sys_mlock(mm, WIN, UINT64_MAX, NULL), 0);
	assert_int_equal(mm->locked_vm, 0);
	/* locking what is locked changes nothing */
	assert_int_equal(sys_mlock(mm, WIN, 2 * PG, NULL), 0);
	assert_int_equal(sys_mlock(mm, WIN, 2 * PG, NULL), 0);
	assert_int_equal(mm->locked_vm, 2);
	assert_int_equal(page_at(t, WIN)->mlock_count, 1);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* LTP mlock201: VmLck and the pages present after mlock2, with and
 * without MLOCK_ONFAULT, on an 8-page shared anonymous write-only mapping
 * of which some pages were written first */
static void test_mlock2_onfault_locks_only_what_faults(void **state)
{
	static const struct {
		unsigned populate, lock_pages;
		int offset;
		unsigned locked, present;
		int flags;
	} cases[] = {
		{ 0, 1, 0, 1, 1, 0 },		/* one page, locked and present */
		{ 0, 8, 0, 8, 8, 0 },		/* every page */
		{ 0, 2, 1, 3, 3, 0 },		/* a byte past two pages is three */
		{ 0, 2, -1, 2, 2, 0 },		/* a byte short of two pages is two */
		{ 0, 1, 0, 1, 0, MLOCK_ONFAULT },	/* locked, nothing faulted in */
		{ 4, 8, 0, 8, 4, MLOCK_ONFAULT },	/* only the written half present */
		{ 1, 4, 1, 5, 1, MLOCK_ONFAULT },
		{ 4, 4, -1, 4, 4, MLOCK_ONFAULT },
	};
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t a = vt_mmap(t, 0, 8 * PG, PROT_WRITE, MAP_SHARED);
		unsigned char vec[8];
		unsigned present = 0;

		for (unsigned p = 0; p < cases[i].populate; p++)
			assert_int_equal(vt_write(t, a + p * PG, 0), 0);
		assert_int_equal(sys_mlock2(t->mm, a, cases[i].lock_pages * PG + (uint64_t)cases[i].offset,
					    cases[i].flags, NULL), 0);
		vt_check(m);
		if (t->mm->locked_vm != cases[i].locked)
			fail_msg("case %zu: locked_vm %lu, want %u", i, t->mm->locked_vm,
				 cases[i].locked);
		assert_int_equal(sys_mincore(t->mm, a, 8 * PG, vec, sizeof(vec)), 0);
		for (unsigned p = 0; p < 8; p++)
			present += vec[p];
		if (present != cases[i].present)
			fail_msg("case %zu: %u pages present, want %u", i, present, cases[i].present);
		assert_int_equal(do_munmap(t->mm, a, 8 * PG), 0);
		assert_int_equal(t->mm->locked_vm, 0);
		vt_check(m);
	}
	vmsim_machine_destroy(m);
}

/* mlock2-tests.c: a lock-on-fault VMA locks the page a write faults in;
 * LTP mlock203: locking it again without ONFAULT counts it once; the
 * selftest's VMA management: munlock of the middle page makes three
 * VMAs, munlock of all makes one again */
static void test_mlock2_onfault_faults_and_vma_management(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;

	(void)state;
	vt_mmap(t, WIN, 3 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock2(mm, WIN, 3 * PG, MLOCK_ONFAULT, NULL), 0);
	assert_int_equal(lock_flags(t, WIN), VM_LOCKED | VM_LOCKONFAULT);
	assert_int_equal(mm->locked_vm, 3);
	assert_int_equal(get_mm_rss(mm), 0);
	assert_int_equal(vt_write(t, WIN, 1), 0);
	assert_true(PageMlocked(page_at(t, WIN)));
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 1);
	assert_int_equal(sys_munlock(mm, WIN + PG, PG), 0);
	vt_check(m);
	assert_int_equal(mm->map_count, 3);
	assert_int_equal(sys_munlock(mm, WIN, 3 * PG), 0);
	assert_int_equal(mm->map_count, 1);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
	/* ONFAULT then a plain mlock: counted once, the page populated now */
	assert_int_equal(sys_mlock2(mm, WIN + PG, PG, MLOCK_ONFAULT, NULL), 0);
	assert_int_equal(mm->locked_vm, 1);
	assert_false(present(t, WIN + PG));
	assert_int_equal(sys_mlock2(mm, WIN + PG, PG, 0, NULL), 0);
	assert_int_equal(mm->locked_vm, 1);
	assert_int_equal(lock_flags(t, WIN + PG), VM_LOCKED);
	assert_true(present(t, WIN + PG));
	/* and back to ONFAULT: still counted once, nothing unlocked */
	assert_int_equal(sys_mlock2(mm, WIN + PG, PG, MLOCK_ONFAULT, NULL), 0);
	assert_int_equal(mm->locked_vm, 1);
	assert_int_equal(page_at(t, WIN + PG)->mlock_count, 1);
	/* unknown mlock2 flags */
	assert_int_equal(sys_mlock2(mm, WIN, PG, 2, NULL), -EINVAL);
	assert_int_equal(sys_mlock2(mm, WIN, PG, -1, NULL), -EINVAL);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* Ranges that are not wholly mapped, PROT_NONE, and what the kernel
 * leaves behind (each seen on the host) */
static void test_mlock_holes_and_prot_none(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;

	(void)state;
	/* LTP mlock02: an unmapped range */
	assert_int_equal(sys_mlock(mm, WIN, PG, NULL), -ENOMEM);
	assert_int_equal(sys_munlock(mm, WIN, PG), -ENOMEM);
	/* a hole in the middle: the part before it is locked, not populated */
	vt_mmap(t, WIN, 2 * PG, PRW, ANON | MAP_FIXED);
	vt_mmap(t, WIN + 3 * PG, 2 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock(mm, WIN, 5 * PG, NULL), -ENOMEM);
	vt_check(m);
	assert_int_equal(mm->locked_vm, 2);
	assert_int_equal(lock_flags(t, WIN), VM_LOCKED);
	assert_int_equal(lock_flags(t, WIN + 3 * PG), 0);
	assert_mincore(t, WIN, 2 * PG, "00");
	assert_int_equal(sys_munlock(mm, WIN, 5 * PG), -ENOMEM);
	assert_int_equal(mm->locked_vm, 0);
	assert_int_equal(do_munmap(mm, WIN, 5 * PG), 0);
	/* [PROT_NONE][rw-]: both locked, the prefault stops at PROT_NONE
	 * (-EFAULT from GUP, ENOMEM to the caller) and the rw- part stays
	 * empty */
	vt_mmap(t, WIN, 4 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(do_mprotect(mm, WIN, PG, PROT_NONE), 0);
	assert_int_equal(sys_mlock(mm, WIN, 4 * PG, NULL), -ENOMEM);
	vt_check(m);
	assert_int_equal(mm->locked_vm, 4);
	assert_int_equal(lock_flags(t, WIN), VM_LOCKED);
	assert_int_equal(lock_flags(t, WIN + PG), VM_LOCKED);
	assert_mincore(t, WIN, 4 * PG, "0000");
	/* PROT_NONE -> r--: still locked, still empty */
	assert_int_equal(do_mprotect(mm, WIN, PG, PROT_READ), 0);
	assert_mincore(t, WIN, 4 * PG, "0000");
	/* r-- -> rw- on a locked private VMA breaks COW now: that page only */
	assert_int_equal(do_mprotect(mm, WIN, PG, PRW), 0);
	vt_check(m);
	assert_layout(mm, "10000000-10004000 rw-");
	assert_mincore(t, WIN, 4 * PG, "1000");
	/* a locked PROT_NONE page keeps its frame and stays mlocked */
	assert_int_equal(do_mprotect(mm, WIN, PG, PROT_NONE), 0);
	vt_check(m);
	assert_true(PageMlocked(pfn_to_page(&m->pm, (unsigned long)((mm_pte_lookup(mm, WIN) &
		    m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT))));
	assert_mincore(t, WIN, 4 * PG, "1000");
	vmsim_machine_destroy(m);
}

/* RLIMIT_MEMLOCK and CAP_IPC_LOCK (LTP mlock02, mlock202, mlockall02/03,
 * and the host for mmap and brk) */
static void test_mlock_rlimit_and_capability(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;

	(void)state;
	vt_mmap(t, WIN, 8 * PG, PRW, ANON | MAP_FIXED);
	/* a limit of less than a page: ENOMEM */
	unprivileged(t, PG - 1);
	assert_int_equal(sys_mlock(mm, WIN, PG, NULL), -ENOMEM);
	assert_int_equal(sys_mlock2(mm, WIN, PG, MLOCK_ONFAULT, NULL), -ENOMEM);
	/* no limit at all: EPERM, before anything else is looked at */
	unprivileged(t, 0);
	assert_int_equal(sys_mlock(mm, WIN, PG, NULL), -EPERM);
	assert_int_equal(sys_mlock(mm, WIN, 0, NULL), -EPERM);
	assert_int_equal(sys_mlockall(mm, MCL_FUTURE, NULL), -EPERM);
	assert_int_equal(vm_mmap(mm, NULL, 0, PG, PRW, ANON | MAP_LOCKED, 0), -EPERM);
	/* ...and CAP_IPC_LOCK ignores the limit */
	mm->cap_ipc_lock = true;
	assert_int_equal(sys_mlock(mm, WIN, 8 * PG, NULL), 0);
	assert_int_equal(mm->locked_vm, 8);
	assert_int_equal(sys_munlock(mm, WIN, 8 * PG), 0);
	/* a limit of 4 pages */
	unprivileged(t, 4 * PG);
	assert_int_equal(sys_mlock(mm, WIN, 4 * PG, NULL), 0);
	assert_int_equal(sys_mlock(mm, WIN + 4 * PG, PG, NULL), -ENOMEM);
	/* pages already locked are not charged again */
	assert_int_equal(sys_mlock(mm, WIN + 2 * PG, 2 * PG, NULL), 0);
	assert_int_equal(sys_munlock(mm, WIN, PG), 0);
	assert_int_equal(sys_mlock(mm, WIN, 5 * PG, NULL), -ENOMEM);
	assert_int_equal(sys_mlock(mm, WIN + 3 * PG, 2 * PG, NULL), 0);
	assert_int_equal(mm->locked_vm, 4);
	/* munlock needs no permission */
	unprivileged(t, 0);
	assert_int_equal(sys_munlock(mm, WIN, 8 * PG), 0);
	assert_int_equal(mm->locked_vm, 0);
	/* mlockall(MCL_CURRENT) needs total_vm within the limit */
	unprivileged(t, 4 * PG);
	assert_int_equal(sys_mlockall(mm, MCL_CURRENT, NULL), -ENOMEM);
	assert_int_equal(mm->locked_vm, 0);
	/* MCL_FUTURE alone is allowed; later mappings count against it */
	assert_int_equal(sys_mlockall(mm, MCL_FUTURE, NULL), 0);
	assert_int_equal(mm->def_flags, VM_LOCKED);
	assert_int_equal(vm_mmap(mm, NULL, 0, 5 * PG, PRW, ANON, 0), -EAGAIN);
	assert_int_equal(vm_mmap(mm, NULL, 0, 4 * PG, PRW, ANON, 0), 0x7ffff7ffb000);
	assert_int_equal(mm->locked_vm, 4);
	assert_mincore(t, 0x7ffff7ffb000, 4 * PG, "1111");	/* populated */
	/* brk is refused beyond the limit, and locked and populated within */
	assert_int_equal(sys_brk(mm, mm->brk + PG), mm->start_brk);
	assert_int_equal(sys_munlockall(mm), 0);
	assert_int_equal(mm->def_flags, 0);
	assert_int_equal(sys_mlockall(mm, MCL_FUTURE, NULL), 0);
	assert_int_equal(do_munmap(mm, 0x7ffff7ffb000, 4 * PG), 0);
	assert_int_equal(sys_brk(mm, mm->brk + 2 * PG), 0x20002000);
	assert_int_equal(mm->locked_vm, 2);
	assert_mincore(t, 0x20000000, 2 * PG, "11");
	assert_int_equal(sys_brk(mm, mm->brk + 3 * PG), 0x20002000);
	/* MAP_LOCKED without MCL_FUTURE: EAGAIN over the limit */
	assert_int_equal(sys_munlockall(mm), 0);
	assert_int_equal(vm_mmap(mm, NULL, 0, 5 * PG, PRW, ANON | MAP_LOCKED, 0), -EAGAIN);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* A locked stack grows only within RLIMIT_MEMLOCK (acct_stack_growth) */
static void test_mlock_stack_growth_within_limit(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 8 * PG);
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *stack = mm_last_vma(mm);
	uint64_t top = stack->vm_end;

	(void)state;
	unprivileged(t, 9 * PG);
	assert_int_equal(sys_mlock(mm, stack->vm_start, 8 * PG, NULL), 0);
	/* LTP mlock03: locking and unlocking the stack leaves it whole */
	assert_int_equal(sys_munlock(mm, stack->vm_start, 8 * PG), 0);
	assert_int_equal(sys_mlock(mm, stack->vm_start, 8 * PG, NULL), 0);
	stack = mm_last_vma(mm);
	assert_int_equal(top - stack->vm_start, 8 * PG);
	assert_int_equal(mm->map_count, 1);
	/* one page more fits, a second does not: SIGSEGV */
	assert_int_equal(vt_write(t, top - 9 * PG, 1), 0);
	assert_int_equal(mm->locked_vm, 9);
	assert_true(PageMlocked(page_at(t, top - 9 * PG)));
	assert_int_equal(vt_write(t, top - 10 * PG, 1), SEGV_MAPERR);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* mlockall's flags (LTP mlockall01/02, mlock2-tests.c) and what fork
 * inherits (nothing: mlockall(2), fork(2)) */
static void test_mlockall_flags_future_and_fork(void **state)
{
	struct task_struct *t, *c;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	uint64_t a;

	(void)state;
	assert_int_equal(sys_mlockall(mm, 0, NULL), -EINVAL);
	assert_int_equal(sys_mlockall(mm, MCL_ONFAULT, NULL), -EINVAL);
	assert_int_equal(sys_mlockall(mm, 8, NULL), -EINVAL);
	vt_mmap(t, WIN, 2 * PG, PRW, ANON | MAP_FIXED);
	/* MCL_CURRENT | MCL_ONFAULT: locked, not populated */
	assert_int_equal(sys_mlockall(mm, MCL_CURRENT | MCL_ONFAULT, NULL), 0);
	assert_int_equal(lock_flags(t, WIN), VM_LOCKED | VM_LOCKONFAULT);
	assert_int_equal(get_mm_rss(mm), 0);
	assert_int_equal(mm->def_flags, 0);
	assert_int_equal(sys_munlockall(mm), 0);
	assert_int_equal(lock_flags(t, WIN), 0);
	/* MCL_CURRENT | MCL_FUTURE: everything now, and every later mapping */
	assert_int_equal(sys_mlockall(mm, MCL_CURRENT | MCL_FUTURE, NULL), 0);
	assert_int_equal(get_mm_rss(mm), 2);
	a = vt_mmap(t, 0, 2 * PG, PRW, ANON);
	assert_int_equal(lock_flags(t, a), VM_LOCKED);
	assert_true(present(t, a) && present(t, a + PG));
	/* it merges with the locked VMA next to it, not with unlocked ones */
	assert_int_equal(mm->locked_vm, 4);
	/* MCL_FUTURE | MCL_ONFAULT: later mappings lock on fault */
	assert_int_equal(sys_mlockall(mm, MCL_FUTURE | MCL_ONFAULT, NULL), 0);
	assert_int_equal(mm->def_flags, VM_LOCKED | VM_LOCKONFAULT);
	a = vt_mmap(t, 0, 2 * PG, PRW, ANON);
	assert_int_equal(lock_flags(t, a), VM_LOCKED | VM_LOCKONFAULT);
	assert_false(present(t, a));
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_true(PageMlocked(page_at(t, a)));
	/* the child locks nothing and inherits no MCL_FUTURE */
	assert_int_equal(do_fork(t, "c", 0, &c), 0);
	vt_check(m);
	assert_int_equal(c->mm->locked_vm, 0);
	assert_int_equal(c->mm->def_flags, 0);
	assert_int_equal(lock_flags(c, WIN), 0);
	/* the page both map stays mlocked for the parent's mapping only */
	assert_int_equal(page_at(c, WIN)->mlock_count, 1);
	/* the child's write copies; the parent's page keeps its lock */
	assert_int_equal(vt_write(c, WIN, 7), 0);
	assert_false(PageMlocked(page_at(c, WIN)));
	assert_true(PageMlocked(page_at(t, WIN)));
	/* the parent's write to a page the child still shares copies it: the
	 * new page is locked, the old one no longer */
	{
		struct page *old = page_at(t, WIN + PG);

		assert_int_equal(vt_write(t, WIN + PG, 9), 0);
		assert_false(PageMlocked(old));
		assert_true(PageMlocked(page_at(t, WIN + PG)));
	}
	/* mlockall again without MCL_FUTURE clears it */
	assert_int_equal(sys_mlockall(mm, MCL_CURRENT, NULL), 0);
	assert_int_equal(mm->def_flags, 0);
	do_exit(c);
	assert_int_equal(sys_munlockall(mm), 0);
	assert_int_equal(mm->locked_vm, 0);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* One page mapped by two locked VMAs has mlock_count 2; it stays mlocked
 * until the last locked mapping goes, by munlock or munmap */
static void test_mlock_count_of_a_page_mapped_twice(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct file *f = map_locked_file(t, 1);
	struct page *page;

	(void)state;
	assert_int_equal(vm_mmap(mm, f, WIN + 2 * PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED, 0),
			 (int64_t)(WIN + 2 * PG));
	vt_check(m);
	page = filemap_find_page(f, 0);
	assert_non_null(page);
	assert_int_equal(page->mlock_count, 1);
	assert_int_equal(sys_mlock(mm, WIN + 2 * PG, PG, NULL), 0);
	assert_int_equal(page->mlock_count, 2);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 1);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMLOCKED], 1);
	assert_int_equal(sys_munlock(mm, WIN, PG), 0);
	assert_true(PageMlocked(page));
	assert_int_equal(page->mlock_count, 1);
	assert_int_equal(do_munmap(mm, WIN + 2 * PG, PG), 0);
	vt_check(m);
	assert_false(PageMlocked(page));
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED], 1);
	/* the page stays in the cache, unlocked */
	assert_ptr_equal(filemap_find_page(f, 0), page);
	fput(f);
	vmsim_machine_destroy(m);
}

/* LTP mlock04: a shared file mapping that is only writable is locked and
 * faulted in by reads (FOLL_FORCE), dirtying nothing */
static void test_mlock_write_only_shared_file(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct vmsim_error err = { 0 };
	struct file *f;
	uint64_t a;

	(void)state;
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f", NULL, 0, 40960, &f, &err),
			 0);
	for (int round = 0; round < 3; round++) {
		a = (uint64_t)vm_mmap(mm, f, 0, 40960, PROT_WRITE, MAP_SHARED, 0);
		assert_int_equal(sys_mlock(mm, a, 40960, &t->fst), 0);
		vt_check(m);
		assert_mincore(t, a, 40960, "1111111111");
		assert_int_equal(get_mm_counter(mm, MM_FILEPAGES), 10);
		assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 10);
		assert_int_equal(f->f_mapping.nr_dirty, 0);
		assert_int_equal(sys_munlock(mm, a, 40960), 0);
		assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
		assert_int_equal(do_munmap(mm, a, 40960), 0);
		vt_check(m);
	}
	fput(f);
	vmsim_machine_destroy(m);
}

/* mincore (LTP mincore01..04, the host): what is resident, and errors */
static void test_mincore_reports_ptes_and_the_page_cache(void **state)
{
	struct task_struct *t, *c;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct vmsim_error err = { 0 };
	unsigned char vec[8];
	struct file *f;
	uint64_t fa, fb, v;

	(void)state;
	vt_mmap(t, WIN, 4 * PG, PRW, ANON | MAP_FIXED);
	/* untouched: nothing; written: a frame; read: the zero page */
	assert_mincore(t, WIN, 4 * PG, "0000");
	assert_int_equal(vt_write(t, WIN, 1), 0);
	assert_int_equal(vt_read(t, WIN + PG, &v), 0);
	assert_mincore(t, WIN, 4 * PG, "1100");
	/* PROT_NONE keeps the frame, and mincore counts it */
	assert_int_equal(do_mprotect(mm, WIN, 4 * PG, PROT_NONE), 0);
	assert_mincore(t, WIN, 4 * PG, "1100");
	/* a length that is not a multiple of pages covers the last page */
	assert_mincore(t, WIN, 3 * PG + 1, "1100");
	assert_int_equal(sys_mincore(mm, WIN, 0, vec, 0), 0);
	/* errors: unaligned, unmapped, a hole, beyond TASK_SIZE, the vector */
	assert_int_equal(sys_mincore(mm, WIN + 1, PG, vec, 8), -EINVAL);
	assert_int_equal(sys_mincore(mm, WIN + 4 * PG, PG, vec, 8), -ENOMEM);
	assert_int_equal(sys_mincore(mm, WIN, 5 * PG, vec, 8), -ENOMEM);
	assert_int_equal(sys_mincore(mm, mm->task_size - PG, 2 * PG, vec, 8), -ENOMEM);
	assert_int_equal(sys_mincore(mm, WIN, 4 * PG, vec, 2), -EFAULT);
	/* a file of three pages, mapped four pages long by two tasks: the
	 * page cache decides, whoever faulted the page in; the page past EOF
	 * is never resident */
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f", "abc", 3, 3 * PG, &f,
					&err), 0);
	fa = (uint64_t)vm_mmap(mm, f, 0, 4 * PG, PROT_READ, MAP_PRIVATE, 0);
	assert_int_equal(do_fork(t, "c", 0, &c), 0);
	fb = (uint64_t)vm_mmap(c->mm, f, 0, 4 * PG, PROT_READ, MAP_SHARED, 0);
	assert_mincore(t, fa, 4 * PG, "0000");
	/* the child's read pulls page 1 into the cache (fault-around maps
	 * only pages already cached) */
	assert_int_equal(vt_read(c, fb + PG, &v), 0);
	assert_mincore(t, fa, 4 * PG, "0100");
	assert_mincore(c, fb, 4 * PG, "0100");
	/* LTP mincore04: a child that mlocks a private file mapping reads
	 * every page in: the parent sees them all */
	assert_int_equal(sys_mlock(c->mm, fb, 3 * PG, NULL), 0);
	assert_mincore(t, fa, 4 * PG, "1110");
	/* past EOF the prefault fails: mlock says ENOMEM */
	assert_int_equal(sys_mlock(c->mm, fb, 4 * PG, NULL), -ENOMEM);
	vt_check(m);
	do_exit(c);
	fput(f);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* msync (LTP msync01..04, the host): errors in the kernel's order, and
 * MS_SYNC writing dirty pages back */
static void test_msync_errors_and_writeback(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct vmsim_error err = { 0 };
	struct file *f;
	struct page *p0, *p1;
	uint64_t a;

	(void)state;
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f", "abc", 3, 2 * PG, &f,
					&err), 0);
	a = (uint64_t)vm_mmap(mm, f, 0, 2 * PG, PRW, MAP_SHARED, 0);
	assert_int_equal(sys_msync(mm, a, PG, MS_ASYNC | MS_SYNC), -EINVAL);
	assert_int_equal(sys_msync(mm, a + 1, PG, MS_SYNC), -EINVAL);
	assert_int_equal(sys_msync(mm, a, PG, 8), -EINVAL);
	assert_int_equal(sys_msync(mm, a, PG, -1), -EINVAL);
	assert_int_equal(sys_msync(mm, a, 0, MS_SYNC), 0);
	assert_int_equal(sys_msync(mm, a, UINT64_MAX, MS_SYNC), 0);	/* wraps to 0 */
	assert_int_equal(sys_msync(mm, a, PG, 0), 0);
	/* unmapped, and a hole: MS_ASYNC answers at once, the others after */
	assert_int_equal(sys_msync(mm, WIN, PG, MS_SYNC), -ENOMEM);
	assert_int_equal(sys_msync(mm, mm->task_size, PG, MS_ASYNC), -ENOMEM);
	assert_int_equal(sys_msync(mm, a - PG, 2 * PG, MS_ASYNC), -ENOMEM);
	assert_int_equal(sys_msync(mm, a, 3 * PG, MS_SYNC), -ENOMEM);
	/* MS_INVALIDATE on locked memory: EBUSY, even after a hole */
	assert_int_equal(sys_mlock(mm, a + PG, PG, NULL), 0);
	assert_int_equal(sys_msync(mm, a + PG, PG, MS_INVALIDATE), -EBUSY);
	assert_int_equal(sys_msync(mm, a, 2 * PG, MS_SYNC | MS_INVALIDATE), -EBUSY);
	assert_int_equal(sys_msync(mm, a, PG, MS_INVALIDATE), 0);
	assert_int_equal(sys_msync(mm, a + PG, PG, MS_SYNC), 0);
	assert_int_equal(sys_munlock(mm, a, 2 * PG), 0);
	/* writes dirty the cache pages and their PTEs */
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(vt_write(t, a + PG, 2), 0);
	p0 = filemap_find_page(f, 0);
	p1 = filemap_find_page(f, 1);
	assert_true(PageDirty(p0) && PageDirty(p1));
	assert_true(mm_pte_lookup(mm, a) & _PAGE_DIRTY);
	/* MS_ASYNC starts nothing since 2.6.19 */
	assert_int_equal(sys_msync(mm, a, 2 * PG, MS_ASYNC), 0);
	assert_true(PageDirty(p0));
	/* MS_SYNC of the first page: it and its PTE are clean and read-only */
	assert_int_equal(sys_msync(mm, a, PG, MS_SYNC), 0);
	vt_check(m);
	assert_false(PageDirty(p0));
	assert_true(PageDirty(p1));
	assert_int_equal(mm_pte_lookup(mm, a) & (_PAGE_DIRTY | _PAGE_RW), 0);
	assert_int_equal(f->f_mapping.nr_dirty, 1);
	/* the next write faults and dirties it again */
	t->fst.min_flt = 0;
	assert_int_equal(vt_write(t, a, 3), 0);
	assert_int_equal(t->fst.min_flt, 1);
	assert_true(PageDirty(p0));
	assert_true(mm_pte_lookup(mm, a) & _PAGE_DIRTY);
	/* the bytes are still the ones written */
	{
		char buf[1];

		filemap_read(f, PG, buf, 1);
		assert_int_equal(buf[0], 2);
	}
	assert_int_equal(sys_msync(mm, a, 2 * PG, MS_SYNC), 0);
	assert_int_equal(f->f_mapping.nr_dirty, 0);
	vt_check(m);
	fput(f);
	vmsim_machine_destroy(m);
}

/*
 * mlock-random-test.c, with a model: random mlock / mlock2(ONFAULT) /
 * munlock ranges inside a mapping larger than RLIMIT_MEMLOCK (three
 * 128 KiB chunks against a two-chunk limit).  A bitmap predicts each
 * call's result (EPERM, ENOMEM over the limit after subtracting what the
 * range already holds, or success) and locked_vm after it; the selftest's
 * two claims follow: inside a chunk below the limit every call succeeds,
 * and a request longer than the limit always fails and locks nothing.
 */
static void test_mlock_random_against_limit(void **state)
{
	enum { CHUNK = 32, NPG = 3 * CHUNK, LIMIT = 2 * CHUNK };
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	bool locked[NPG] = { false }, onfault[NPG] = { false };
	unsigned seed = 12345;

	(void)state;
	vt_mmap(t, WIN, NPG * PG, PRW, ANON | MAP_FIXED);
	unprivileged(t, LIMIT * PG);
	/* phase 0: ranges inside the first chunk; phase 1: anywhere */
	for (int i = 0; i < 4000; i++) {
		const bool within = i < 1000;
		unsigned kind, start, pages, held = 0, total = 0;
		uint64_t off, r, bytes;
		int want, got;

		if (i == 1000) {
			assert_int_equal(sys_munlock(mm, WIN, NPG * PG), 0);
			memset(locked, 0, sizeof(locked));
			memset(onfault, 0, sizeof(onfault));
		}
		seed = seed * 1103515245u + 12345u;
		kind = (seed >> 8) % 3;
		pages = 1 + (seed >> 16) % (within ? CHUNK : NPG);
		start = (seed >> 4) % ((within ? CHUNK : NPG) - pages + 1);
		/* an address inside the first page and a length that still
		 * ends in the last: the kernel rounds out to whole pages */
		off = (seed >> 20) % 3 == 0 ? (seed >> 2) % PG : 0;
		r = (seed >> 11) % PG;
		if (off + r >= (uint64_t)pages * PG)
			r = 0;
		bytes = (uint64_t)pages * PG - off - r;
		for (unsigned p = 0; p < NPG; p++)
			total += locked[p];
		for (unsigned p = start; p < start + pages; p++)
			held += locked[p];
		want = kind == 2 || total + pages - held <= LIMIT ? 0 : -ENOMEM;
		if (kind == 0)
			got = sys_mlock(mm, WIN + start * PG + off, bytes, NULL);
		else if (kind == 1)
			got = sys_mlock2(mm, WIN + start * PG + off, bytes, MLOCK_ONFAULT, NULL);
		else
			got = sys_munlock(mm, WIN + start * PG + off, bytes);
		if (got != want)
			fail_msg("step %d: kind %u pages %u..%u: %d, want %d (locked %u, held %u)", i,
				 kind, start, start + pages, got, want, total, held);
		/* the selftest's two claims */
		if (within)
			assert_int_equal(got, 0);
		if (pages > LIMIT && kind != 2)
			assert_int_equal(got, -ENOMEM);
		if (!got)
			for (unsigned p = start; p < start + pages; p++) {
				locked[p] = kind != 2;
				onfault[p] = kind == 1;
			}
		total = 0;
		for (unsigned p = 0; p < NPG; p++) {
			unsigned long f = lock_flags(t, WIN + p * PG);

			total += locked[p];
			if (!!(f & VM_LOCKED) != locked[p] || !!(f & VM_LOCKONFAULT) != onfault[p])
				fail_msg("step %d: page %u lock flags %#lx, model %d/%d", i, p, f,
					 locked[p], onfault[p]);
			/* a page locked without ONFAULT was faulted in */
			if (locked[p] && !onfault[p] && !present(t, WIN + p * PG))
				fail_msg("step %d: locked page %u not present", i, p);
		}
		assert_int_equal(mm->locked_vm, total);
		if (i % 16 == 0)
			vt_check(m);
	}
	vt_check(m);
	vmsim_machine_destroy(m);
}

/*
 * mremap(MREMAP_DONTUNMAP) of part of a locked VMA: the whole source VMA
 * loses VM_LOCKED but not its locked_vm, and the pages it keeps stay
 * mlocked, with a lock no VM_LOCKED mapping holds (mlock_stale), until
 * they are freed (unevictable_pgs_cleared).  The host's answers for the
 * same calls (tests/scenarios/mremap-dontunmap-mlock.yaml).
 */
static void test_mremap_dontunmap_leaves_locked_pages(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct page *kept, *moved;

	(void)state;
	vt_mmap(t, WIN, 8 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock(mm, WIN, 8 * PG, NULL), 0);
	kept = page_at(t, WIN);
	moved = page_at(t, WIN + 2 * PG);
	assert_int_equal(do_mremap(mm, WIN + 2 * PG, 2 * PG, 2 * PG,
				   MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, 0x20000000),
			 0x20000000);
	vt_check(m);
	assert_int_equal(lock_flags(t, WIN), 0);
	assert_int_equal(lock_flags(t, 0x20000000), VM_LOCKED);
	assert_int_equal(mm->locked_vm, 10);
	assert_true(PageMlocked(kept) && kept->mlock_count == 1);
	assert_true(PageMlocked(moved) && moved->mlock_count == 1);
	assert_ptr_equal(page_at(t, 0x20000000), moved);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 8);
	assert_int_equal(m->pm.mlock_stale, 6);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED], 0);
	/* locked again, each page kept holds two locks; unlocked, one */
	assert_int_equal(sys_mlock(mm, WIN, 8 * PG, NULL), 0);
	assert_int_equal(kept->mlock_count, 2);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 10);
	assert_int_equal(sys_munlock(mm, WIN, 8 * PG), 0);
	vt_check(m);
	assert_true(PageMlocked(kept) && kept->mlock_count == 1);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 8);
	assert_int_equal(mm->locked_vm, 10);
	/* the pages kept go, and their locks with them */
	assert_int_equal(do_munmap(mm, WIN, 8 * PG), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGCLEARED], 6);
	assert_int_equal(m->pm.mlock_stale, 0);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 2);
	assert_int_equal(mm->locked_vm, 10);
	assert_int_equal(do_munmap(mm, 0x20000000, 2 * PG), 0);
	vt_check(m);
	assert_int_equal(mm->locked_vm, 8);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGCLEARED], 6);
	vmsim_machine_destroy(m);
}

/* The same for a shared file: a page left mlocked stays so in the page
 * cache after its last mapping goes, until a hole punched through another
 * mapping drops it from the cache. */
static void test_mremap_dontunmap_locked_file_page(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct file *f = map_locked_file(t, 4);
	struct page *page;

	(void)state;
	assert_int_equal(vm_mmap(mm, f, WIN + 8 * PG, 4 * PG, PRW, MAP_SHARED | MAP_FIXED, 0),
			 (int64_t)(WIN + 8 * PG));
	page = filemap_find_page(f, 0);
	assert_true(page && PageMlocked(page));
	assert_int_equal(do_mremap(mm, WIN + 3 * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
				   0), 0x7ffff7ffe000);
	vt_check(m);
	assert_int_equal(m->pm.mlock_stale, 3);
	assert_int_equal(do_munmap(mm, WIN, 4 * PG), 0);
	vt_check(m);
	/* cached, unmapped, still mlocked */
	assert_true(PageMlocked(page) && page_mapcount(page) == 0);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 4);
	assert_int_equal(do_madvise(mm, WIN + 8 * PG, 3 * PG, MADV_REMOVE, NULL), 0);
	vt_check(m);
	assert_null(filemap_find_page(f, 0));
	assert_int_equal(m->pm.mlock_stale, 0);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGCLEARED], 3);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 1);
	fput(f);
	vmsim_machine_destroy(m);
}

/* mremap growth of a locked mapping faults the new pages in, mlocked; of
 * one locked on fault, it does not (the host's answers) */
static void test_mremap_grows_locked_mapping(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;

	(void)state;
	vt_mmap(t, WIN, 4 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock(mm, WIN, 4 * PG, NULL), 0);
	assert_int_equal(do_mremap(mm, WIN, 4 * PG, 6 * PG, 0, 0), (int64_t)WIN);
	vt_check(m);
	assert_mincore(t, WIN, 6 * PG, "111111");
	assert_true(PageMlocked(page_at(t, WIN + 5 * PG)));
	assert_int_equal(mm->locked_vm, 6);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 6);
	vt_mmap(t, WIN + 16 * PG, 2 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock2(mm, WIN + 16 * PG, 2 * PG, MLOCK_ONFAULT, NULL), 0);
	assert_int_equal(do_mremap(mm, WIN + 16 * PG, 2 * PG, 4 * PG, 0, 0), (int64_t)(WIN + 16 * PG));
	vt_check(m);
	assert_mincore(t, WIN + 16 * PG, 4 * PG, "0000");
	assert_int_equal(lock_flags(t, WIN + 19 * PG), VM_LOCKED | VM_LOCKONFAULT);
	assert_int_equal(mm->locked_vm, 10);
	/* and a move keeps the pages and their locks */
	assert_int_equal(do_mremap(mm, WIN, 6 * PG, 6 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
				   0x20000000), 0x20000000);
	vt_check(m);
	assert_int_equal(mm->locked_vm, 10);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 6);
	assert_true(PageMlocked(page_at(t, 0x20000000)));
	/* DONTUNMAP takes both lock flags from the whole source VMA */
	assert_true(do_mremap(mm, WIN + 16 * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0) > 0);
	vt_check(m);
	assert_int_equal(lock_flags(t, WIN + 19 * PG), 0);
	assert_int_equal(mm->locked_vm, 11);
	assert_int_equal(do_munmap(mm, WIN + 16 * PG, 4 * PG), 0);
	assert_int_equal(mm->locked_vm, 11);
	vmsim_machine_destroy(m);
}

/* madvise on locked memory (host answers): pages are not dropped, except
 * by MADV_DONTNEED_LOCKED, which munlocks them; populating memory locked
 * on fault mlocks what it faults in */
static void test_madvise_on_locked_memory(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	static const int refused[] = { MADV_DONTNEED, MADV_FREE, MADV_COLD, MADV_PAGEOUT,
				       MADV_REMOVE };

	(void)state;
	vt_mmap(t, WIN, 4 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock(mm, WIN, 4 * PG, NULL), 0);
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(do_madvise(mm, WIN, PG, refused[i], NULL), -EINVAL);
	assert_mincore(t, WIN, 4 * PG, "1111");
	assert_int_equal(do_madvise(mm, WIN, PG, MADV_DONTNEED_LOCKED, NULL), 0);
	vt_check(m);
	assert_mincore(t, WIN, 4 * PG, "0111");
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 3);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED], 1);
	assert_int_equal(lock_flags(t, WIN), VM_LOCKED);
	assert_int_equal(do_madvise(mm, WIN, PG, MADV_POPULATE_WRITE, NULL), 0);
	vt_check(m);
	assert_mincore(t, WIN, 4 * PG, "1111");
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 4);
	/* shared memory refuses MADV_REMOVE while locked */
	assert_int_equal(vm_mmap(mm, NULL, WIN + 8 * PG, 2 * PG, PRW,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0), (int64_t)(WIN + 8 * PG));
	assert_int_equal(sys_mlock(mm, WIN + 8 * PG, 2 * PG, NULL), 0);
	assert_int_equal(do_madvise(mm, WIN + 8 * PG, PG, MADV_REMOVE, NULL), -EINVAL);
	/* locked on fault: MADV_POPULATE_WRITE faults in, and the pages are
	 * mlocked as they come */
	vt_mmap(t, WIN + 16 * PG, 4 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock2(mm, WIN + 16 * PG, 4 * PG, MLOCK_ONFAULT, NULL), 0);
	assert_mincore(t, WIN + 16 * PG, 4 * PG, "0000");
	assert_int_equal(do_madvise(mm, WIN + 16 * PG, 4 * PG, MADV_POPULATE_WRITE, NULL), 0);
	vt_check(m);
	assert_mincore(t, WIN + 16 * PG, 4 * PG, "1111");
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 10);
	vmsim_machine_destroy(m);
}

/*
 * vm.max_map_count: mlock_fixup() merges before it splits (vma_modify_flags,
 * as 6.12): at the limit, locking the edge of a VMA next to a locked one
 * still works, while a lock that needs a split fails with ENOMEM and
 * changes nothing (the host's answers with 65530 VMAs).
 */
static void test_mlock_at_map_count_limit(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	const uint64_t region = 0x100000000ULL;
	unsigned long n;

	(void)state;
	vt_mmap(t, WIN, 4 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock(mm, WIN, PG, NULL), 0);
	n = (unsigned long)(sysctl_max_map_count - mm->map_count);
	assert_true(vm_mmap(mm, NULL, region, n * PG, PROT_READ, ANON | MAP_FIXED, 0) ==
		    (int64_t)region);
	for (unsigned long i = 1; i < n; i += 2)
		assert_int_equal(do_mprotect(mm, region + i * PG, PG, PRW), 0);
	assert_int_equal(mm->map_count, sysctl_max_map_count);
	vt_check(m);
	assert_int_equal(sys_mlock(mm, WIN + PG, PG, NULL), 0);
	assert_int_equal(mm->map_count, sysctl_max_map_count);
	assert_int_equal(find_vma(mm, WIN)->vm_end, WIN + 2 * PG);
	assert_int_equal(sys_mlock(mm, WIN + 3 * PG, PG, NULL), -ENOMEM);
	assert_int_equal(lock_flags(t, WIN + 3 * PG), 0);
	assert_int_equal(mm->locked_vm, 2);
	/* munlock of the locked VMA's last page needs no split either: it
	 * joins the unlocked VMA after it */
	assert_int_equal(sys_munlock(mm, WIN + PG, PG), 0);
	assert_int_equal(mm->map_count, sysctl_max_map_count);
	assert_int_equal(mm->locked_vm, 1);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/*
 * A lock on a private file mapping (the host's answers): writable, the
 * prefault writes, so every page is copied at once (do_cow_fault) and the
 * copies are what is locked, anonymous and PG_mlocked, while the page cache
 * pages stay unlocked and later writes to the file are not seen; the same
 * for mmap(MAP_LOCKED); read-only, the cache pages themselves are mapped
 * and locked.
 */
static void test_mlock_private_file_copies(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct vmsim_error err = { 0 };
	const uint64_t p = WIN, q = WIN + 8 * PG, r = WIN + 16 * PG, s = WIN + 24 * PG;
	struct file *f;

	(void)state;
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f", "h", 1, 4 * PG, &f, &err),
			 0);
	assert_int_equal(vm_mmap(mm, f, p, 4 * PG, PRW, MAP_PRIVATE | MAP_FIXED, 0), (int64_t)p);
	assert_int_equal(sys_mlock(mm, p, 4 * PG, &t->fst), 0);
	vt_check(m);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 4);
	assert_int_equal(get_mm_counter(mm, MM_FILEPAGES), 0);
	for (unsigned i = 0; i < 4; i++) {
		struct page *copy = page_at(t, p + i * PG);

		assert_true(PageAnon(copy) && PageMlocked(copy));
		assert_int_equal(copy->mlock_count, 1);
		assert_false(PageMlocked(filemap_find_page(f, i)));
	}
	assert_int_equal(vm_mmap(mm, f, q, 4 * PG, PRW, MAP_PRIVATE | MAP_LOCKED | MAP_FIXED, 0),
			 (int64_t)q);
	vt_check(m);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 8);
	assert_true(PageAnon(page_at(t, q + 3 * PG)) && PageMlocked(page_at(t, q + 3 * PG)));
	assert_int_equal(vm_mmap(mm, f, r, 4 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, 0),
			 (int64_t)r);
	assert_int_equal(sys_mlock(mm, r, 4 * PG, &t->fst), 0);
	vt_check(m);
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), 8);
	assert_int_equal(get_mm_counter(mm, MM_FILEPAGES), 4);
	assert_ptr_equal(page_at(t, r), filemap_find_page(f, 0));
	assert_true(PageMlocked(filemap_find_page(f, 0)));
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 12);
	/* a write through a shared mapping reaches the cache and the
	 * read-only mapping, not the locked copies */
	assert_int_equal(vm_mmap(mm, f, s, PG, PRW, MAP_SHARED | MAP_FIXED, 0), (int64_t)s);
	assert_int_equal(vt_write(t, s, 'H'), 0);
	assert_int_equal(vt_read_ok(t, r) & 0xff, 'H');
	assert_int_equal(vt_read_ok(t, p) & 0xff, 'h');
	assert_int_equal(vt_read_ok(t, q) & 0xff, 'h');
	assert_int_equal(do_munmap(mm, p, 32 * PG), 0);
	vt_check(m);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
	assert_int_equal(mm->locked_vm, 0);
	fput(f);
	vmsim_machine_destroy(m);
}

/* The VMAs meeting [WIN, WIN + 16 pages) as the host's smaps shows them,
 * in pages from WIN: "[0,1) [1,3)lo [3,4)" ("lolf": locked on fault). */
static const char *lock_layout(struct task_struct *t, char *buf, size_t size)
{
	struct vm_area_struct *vma;
	size_t n = 0;

	buf[0] = '\0';
	for (vma = find_vma(t->mm, WIN); vma && vma->vm_start < WIN + 16 * PG; vma = vma_next(vma))
		n += (size_t)snprintf(buf + n, size - n, "%s[%llu,%llu)%s%s", n ? " " : "",
				      (unsigned long long)((vma->vm_start - WIN) / PG),
				      (unsigned long long)((vma->vm_end - WIN) / PG),
				      vma->vm_flags & VM_LOCKED ? "lo" : "",
				      vma->vm_flags & VM_LOCKONFAULT ? "lf" : "");
	return buf;
}

/*
 * mlock and munlock of VMAs that existed at a fork, in the child and in the
 * parent (is_mergeable_anon_vma() with vma_had_uncowed_parents()).  Four
 * faulted pages X at WIN are forked; each task then runs the steps below
 * and, after each, has the VMAs and VmLck this host's 6.18 showed for the
 * same program (the parent's answers are the same whether the child still
 * lives or not).  A split of X merges back in both: its parts share one
 * anon_vma.  New memory Y after X: the parent's X (a chain of one) takes it
 * in at mmap, and Y locked or unlocked with X stays one VMA; the child's X
 * (a chain of two: the parent's anon_vma and its own) never merges with
 * Y, neither at mmap nor when a lock makes their flags equal, and Y,
 * faulted by the lock, gets an anon_vma of its own (the child's X may not
 * lend its anon_vma either).  With X never faulted before the fork, the
 * child's X has no chain and the child behaves as the parent.
 */
struct fork_lock_step {
	enum { FL_MLOCK, FL_MLOCK2_ONFAULT, FL_MUNLOCK, FL_MMAP } op;
	unsigned first, pages;
	const char *child, *parent;
	unsigned long vmlck_kb;
};

static const struct fork_lock_step fork_lock_steps[] = {
	{ FL_MLOCK, 1, 2, "[0,1) [1,3)lo [3,4)", "[0,1) [1,3)lo [3,4)", 8 },
	{ FL_MUNLOCK, 1, 2, "[0,4)", "[0,4)", 0 },
	{ FL_MMAP, 4, 2, "[0,4) [4,6)", "[0,6)", 0 },
	{ FL_MLOCK, 3, 3, "[0,3) [3,4)lo [4,6)lo", "[0,3) [3,6)lo", 12 },
	{ FL_MUNLOCK, 0, 6, "[0,4) [4,6)", "[0,6)", 0 },
	{ FL_MLOCK2_ONFAULT, 1, 4, "[0,1) [1,4)lolf [4,5)lolf [5,6)", "[0,1) [1,5)lolf [5,6)", 16 },
	{ FL_MLOCK, 0, 6, "[0,4)lo [4,6)lo", "[0,6)lo", 24 },
	{ FL_MUNLOCK, 2, 2, "[0,2)lo [2,4) [4,6)lo", "[0,2)lo [2,4) [4,6)lo", 16 },
	{ FL_MUNLOCK, 0, 6, "[0,4) [4,6)", "[0,6)", 0 },
};

static void fork_lock_step(struct task_struct *t, const struct fork_lock_step *st, bool child)
{
	struct mm_struct *mm = t->mm;
	const uint64_t a = WIN + st->first * PG, len = st->pages * PG;
	const char *want = child ? st->child : st->parent;
	char got[256];

	switch (st->op) {
	case FL_MLOCK:
		assert_int_equal(sys_mlock(mm, a, len, &t->fst), 0);
		break;
	case FL_MLOCK2_ONFAULT:
		assert_int_equal(sys_mlock2(mm, a, len, MLOCK_ONFAULT, &t->fst), 0);
		break;
	case FL_MUNLOCK:
		assert_int_equal(sys_munlock(mm, a, len), 0);
		break;
	case FL_MMAP:
		assert_int_equal(vm_mmap(mm, NULL, a, len, PRW, ANON | MAP_FIXED, 0), (int64_t)a);
		break;
	}
	vt_check(vm_machine(mm->vm));
	lock_layout(t, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s, step %u [%u,%u): got %s, want %s", child ? "child" : "parent",
			 (unsigned)(st - fork_lock_steps), st->first, st->first + st->pages, got,
			 want);
	assert_int_equal(mm->locked_vm * (PG / 1024), st->vmlck_kb);
}

static void run_fork_lock_steps(bool faulted)
{
	struct task_struct *t, *c;
	struct vmsim_machine *m = boot(&t);
	struct vm_area_struct *x, *y;

	vt_mmap(t, WIN, 4 * PG, PRW, ANON | MAP_FIXED);
	for (unsigned i = 0; faulted && i < 4; i++)
		assert_int_equal(vt_write(t, WIN + i * PG, i + 1), 0);
	assert_int_equal(do_fork(t, "c", 0, &c), 0);
	vt_check(m);
	for (size_t i = 0; i < sizeof(fork_lock_steps) / sizeof(fork_lock_steps[0]); i++) {
		fork_lock_step(c, &fork_lock_steps[i], faulted);
		fork_lock_step(t, &fork_lock_steps[i], false);
		if (i != 3)
			continue;
		/* the lock populated Y in both: the child's Y has an anon_vma
		 * of its own, not X's; the parent's Y is part of X */
		x = vma_lookup(c->mm, WIN);
		y = vma_lookup(c->mm, WIN + 4 * PG);
		assert_non_null(y->anon_vma);
		if (faulted) {
			assert_ptr_not_equal(y->anon_vma, x->anon_vma);
			assert_ptr_equal(y->anon_vma->root, y->anon_vma);
			assert_true(list_is_singular(&y->anon_vma_chain));
			assert_false(list_is_singular(&x->anon_vma_chain));
		} else {
			assert_ptr_equal(y, vma_lookup(c->mm, WIN + 3 * PG));
		}
		assert_ptr_equal(vma_lookup(t->mm, WIN + 4 * PG), vma_lookup(t->mm, WIN + 3 * PG));
	}
	/* the child's copies, made by the lock's write faults, kept the
	 * contents the fork shared */
	for (unsigned i = 0; faulted && i < 4; i++)
		assert_int_equal(vt_read_ok(c, WIN + i * PG), i + 1);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
	vt_teardown(m);
}

static void test_mlock_merges_after_fork(void **state)
{
	(void)state;
	run_fork_lock_steps(true);
	run_fork_lock_steps(false);
}

/*
 * The checker's own rules on locks (each a mutation it must see): a lock
 * left on a page no VMA maps, without mremap having left any, is "mapped
 * nowhere"; one lock more than the locked mappings is an error unless
 * mremap left that many.
 */
static void test_checker_sees_stray_locks(void **state)
{
	struct task_struct *t;
	struct vmsim_machine *m = boot(&t);
	struct mm_struct *mm = t->mm;
	struct file *f = map_locked_file(t, 1);
	struct vmsim_error err = { 0 };
	struct page *page;

	(void)state;
	page = filemap_find_page(f, 0);
	assert_int_equal(do_munmap(mm, WIN, PG), 0);
	vt_check(m);
	/* a munlock that did not happen: cached, unmapped, still locked (and
	 * so on the unevictable "list", where mlock_count may live) */
	lru_add_drain(&m->vm);
	lruvec_del_folio(folio_lruvec(&m->pm, page), page);
	set_page_flag(page, PG_unevictable);
	clear_page_flag(page, PG_active);
	lruvec_add_folio(folio_lruvec(&m->pm, page), page);
	set_page_flag(page, PG_mlocked);
	page->mlock_count = 1;
	mod_zone_page_state(page_zone(&m->pm, page), NR_MLOCK, 1);
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "mapped nowhere"));
	clear_page_flag(page, PG_mlocked);
	mod_zone_page_state(page_zone(&m->pm, page), NR_MLOCK, -1);
	lruvec_del_folio(folio_lruvec(&m->pm, page), page);
	clear_page_flag(page, PG_unevictable);
	lruvec_add_folio(folio_lruvec(&m->pm, page), page);
	vt_check(m);
	/* a lock too many on a mapped page */
	vt_mmap(t, WIN + 4 * PG, 2 * PG, PRW, ANON | MAP_FIXED);
	assert_int_equal(sys_mlock(mm, WIN + 4 * PG, 2 * PG, NULL), 0);
	page_at(t, WIN + 4 * PG)->mlock_count++;
	err = (struct vmsim_error){ 0 };
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "mlock_count 2, but 1 VM_LOCKED"));
	page_at(t, WIN + 4 * PG)->mlock_count--;
	vt_check(m);
	fput(f);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlock_split_merge_and_rounding),
		cmocka_unit_test(test_mlock2_onfault_locks_only_what_faults),
		cmocka_unit_test(test_mlock2_onfault_faults_and_vma_management),
		cmocka_unit_test(test_mlock_holes_and_prot_none),
		cmocka_unit_test(test_mlock_rlimit_and_capability),
		cmocka_unit_test(test_mlock_stack_growth_within_limit),
		cmocka_unit_test(test_mlockall_flags_future_and_fork),
		cmocka_unit_test(test_mlock_count_of_a_page_mapped_twice),
		cmocka_unit_test(test_mlock_write_only_shared_file),
		cmocka_unit_test(test_mincore_reports_ptes_and_the_page_cache),
		cmocka_unit_test(test_msync_errors_and_writeback),
		cmocka_unit_test(test_mlock_random_against_limit),
		cmocka_unit_test(test_mremap_dontunmap_leaves_locked_pages),
		cmocka_unit_test(test_mremap_dontunmap_locked_file_page),
		cmocka_unit_test(test_mremap_grows_locked_mapping),
		cmocka_unit_test(test_madvise_on_locked_memory),
		cmocka_unit_test(test_mlock_at_map_count_limit),
		cmocka_unit_test(test_checker_sees_stray_locks),
		cmocka_unit_test(test_mlock_merges_after_fork),
		cmocka_unit_test(test_mlock_private_file_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
