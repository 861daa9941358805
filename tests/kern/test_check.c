/*
 * The incremental checker (machine_check_point) and the always-on checks
 * (VM_BUG_ON_*): a corruption made during a step inside what the step
 * touched is caught by that step's point; one outside it passes the point
 * and is caught by the next full pass; a change made by a path that marks
 * nothing is named by the full pass; a randomized run checks after every
 * operation, alternating points and full passes, and must stay clean.
 * The VM_BUG_ON checks report the kernel's way and refuse the operation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/pgtable.h"
#include "phys/buddy.h"
#include "phys/slab.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vmsim/machine.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)

static struct vmsim_machine *boot(const char *arch, unsigned every)
{
	const char *sets[] = { "memory.size=256MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(arch, sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	assert_int_equal(machine_check_start(m, every), 0);
	return m;
}

/* A point (or, @full, a full pass) that must pass (@what NULL) or fail
 * with a message containing @what. */
static void run_check(struct vmsim_machine *m, bool full, const char *what)
{
	struct vmsim_error err = { 0 };
	int ret = full ? machine_check(m, &err) : machine_check_point(m, &err);

	if (!what && ret)
		fail_msg("%s: %s", full ? "full check" : "point", err.msg);
	if (what && !ret)
		fail_msg("%s passed; expected a report of '%s'", full ? "full check" : "point", what);
	if (what && !strstr(err.msg, what))
		fail_msg("%s: '%s', expected '%s'", full ? "full check" : "point", err.msg, what);
}

#define point_ok(m) run_check((m), false, NULL)
#define point_fails(m, what) run_check((m), false, (what))
#define full_ok(m) run_check((m), true, NULL)
#define full_fails(m, what) run_check((m), true, (what))

static struct task_struct *spawn(struct vmsim_machine *m, const char *name)
{
	struct spawn_args a = { .stack_size = 64 * KiB };
	struct task_struct *t = NULL;

	assert_int_equal(task_spawn(m, name, &a, &t), 0);
	return t;
}

static uint64_t map_anon(struct task_struct *t, uint64_t len)
{
	int64_t r = vm_mmap(t->mm, NULL, 0, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, 0);

	assert_true(r > 0);
	return (uint64_t)r;
}

static void write64(struct task_struct *t, uint64_t va, uint64_t v)
{
	struct access_result r;

	assert_int_equal(task_access(t, va, MMU_WRITE, &v, sizeof(v), &r), 0);
	assert_int_equal(r.segv, 0);
}

/* The frame a task's PTE maps at @va. */
static struct page *frame_at(struct task_struct *t, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(t->mm, va);
	struct vmsim_machine *m = vm_machine(t->mm->vm);

	assert_true(pte & _PAGE_PRESENT);
	return pfn_to_page(&m->pm, (unsigned long)((pte & m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT));
}

/* ---- corruption inside what the step touched: caught by that point ---- */

static void test_check_point_catches_refcount_in_the_step(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct task_struct *a = spawn(m, "a");
	uint64_t buf = map_anon(a, 16 * KiB);
	struct page *p;

	(void)state;
	write64(a, buf, 1);
	point_ok(m);		/* the first point is a full pass */
	/* the step: a fault, and (test hook) a stray reference on the
	 * page it mapped */
	write64(a, buf + 4 * KiB, 2);
	p = frame_at(a, buf + 4 * KiB);
	p->_refcount++;
	point_fails(m, "refcount 3");	/* the PTE's, the lru_add batch's, the stray */
	p->_refcount--;
	point_ok(m);
	vmsim_machine_destroy(m);
}

static void test_check_point_catches_mapcount_of_a_page_left(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct task_struct *a = spawn(m, "a"), *b;
	uint64_t buf = map_anon(a, 8 * KiB);
	struct page *p;

	(void)state;
	write64(a, buf, 1);
	assert_int_equal(do_fork(a, "b", 0, &b), 0);
	point_ok(m);
	/* the step: b goes; the shared page keeps one mapping (a's), but
	 * (test hook) its mapcount is left one too high */
	p = frame_at(a, buf);
	do_exit(b);
	p->_mapcount++;
	p->_refcount++;
	point_fails(m, "mapcount 2");
	p->_mapcount--;
	p->_refcount--;
	point_ok(m);
	vmsim_machine_destroy(m);
}

static void test_check_point_catches_vma_tree_in_the_step(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct task_struct *a = spawn(m, "a");
	uint64_t buf;

	(void)state;
	point_ok(m);
	buf = map_anon(a, 16 * KiB);
	/* test hook: total_vm drifts in the step that mapped */
	a->mm->total_vm++;
	point_fails(m, "counters total");
	a->mm->total_vm--;
	(void)buf;
	point_ok(m);
	vmsim_machine_destroy(m);
}

static void test_check_point_catches_free_block_in_the_step(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct page *p;

	(void)state;
	point_ok(m);
	/* the step: an order-5 block (not a per-CPU order) freed back to
	 * the buddy lists, then (test hook) one of its frames referenced */
	p = alloc_pages(&m->pm, GFP_KERNEL, 5);
	assert_non_null(p);
	__free_pages(&m->pm, p, 5);
	p[7]._refcount = 1;
	point_fails(m, "refcount 1");
	p[7]._refcount = 0;
	point_ok(m);
	vmsim_machine_destroy(m);
}

static void test_check_point_catches_pcp_list_in_the_step(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct list_head *prev;
	struct page *p;

	(void)state;
	point_ok(m);
	/* the step: an order-0 page freed onto this CPU's list, then (test
	 * hook) its back link broken */
	p = alloc_pages(&m->pm, GFP_KERNEL, 0);
	__free_pages(&m->pm, p, 0);
	prev = p->lru.prev;
	p->lru.prev = &p[1].lru;
	point_fails(m, "pcp pfn");
	p->lru.prev = prev;
	point_ok(m);
	vmsim_machine_destroy(m);
}

static void test_check_point_catches_slab_in_the_step(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct page *slab;
	void *obj, *obj2;

	(void)state;
	obj = kmalloc(&m->pm, 100, GFP_KERNEL);
	assert_non_null(obj);
	point_ok(m);
	/* the step: one more object from the same slab (no page allocation:
	 * only the slab's own mark covers it), then (test hook) the slab's
	 * in-use count drifts */
	obj2 = kmalloc(&m->pm, 100, GFP_KERNEL);
	slab = virt_to_slab(&m->pm, obj2);
	assert_ptr_equal(slab, virt_to_slab(&m->pm, obj));
	slab->private++;
	point_fails(m, "slab pfn");
	slab->private--;
	point_ok(m);
	assert_int_equal(kfree(&m->pm, obj), 0);
	assert_int_equal(kfree(&m->pm, obj2), 0);
	point_ok(m);
	vmsim_machine_destroy(m);
}

/* ---- what main-line paths mark: mremap, madvise, the page cache ---- */

struct reports {
	int n;
	char last[768];
};

static void on_report(void *ctx, const char *msg)
{
	struct reports *r = ctx;

	r->n++;
	snprintf(r->last, sizeof(r->last), "%s", msg);
}

static void watch_reports(struct vmsim_machine *m, struct reports *r)
{
	m->pm.bad_page_hook = on_report;
	m->pm.bad_page_ctx = r;
}

/* @n reports so far, the last one holding @text */
static void assert_reported(const struct reports *r, int n, const char *text)
{
	assert_int_equal(r->n, n);
	if (!strstr(r->last, text))
		fail_msg("report lacks '%s':\n%s", text, r->last);
}

/* A fixture: a machine checked with a full pass only when asked, one task
 * "a", the kernel's reports collected. */
struct fixture {
	struct vmsim_machine *m;
	struct task_struct *a;
	struct reports r;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->m = boot("x86_64", 0);
	f->a = spawn(f->m, "a");
	watch_reports(f->m, &f->r);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	vmsim_machine_destroy(f->m);
	free(f);
	return 0;
}

/* Pages 0..@n-1 from @va written with their number plus one. */
static void write_pages(struct task_struct *t, uint64_t va, int n)
{
	for (int i = 0; i < n; i++)
		write64(t, va + (uint64_t)i * 4 * KiB, (uint64_t)i + 1);
}

/* An mremap move of 4 written pages from @from to @to (MAYMOVE|FIXED):
 * its result checked, the pages at their new place. */
static void move_4_pages(struct task_struct *t, uint64_t from, uint64_t to)
{
	assert_int_equal(do_mremap(t->mm, from, 16 * KiB, 16 * KiB, MREMAP_MAYMOVE | MREMAP_FIXED,
				   to), (int64_t)to);
	assert_null(vma_lookup(t->mm, from));
	assert_true(mm_pte_lookup(t->mm, to + 12 * KiB) & _PAGE_PRESENT);
}

/* An mremap move marks its mm: a count the move got wrong (test hook: a
 * moved page's mapcount and refcount one too high, as a move that mapped
 * it twice would leave them) is caught by the point right after it. */
static void test_check_point_catches_a_bad_mremap_move(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a;
	uint64_t buf = map_anon(a, 16 * KiB), to = 0x40000000;
	struct page *p;

	write_pages(a, buf, 4);
	point_ok(m);
	move_4_pages(a, buf, to);
	p = frame_at(a, to + 8 * KiB);
	p->_mapcount++;
	p->_refcount++;
	point_fails(m, "mapcount 2");
	p->_mapcount--;
	p->_refcount--;
	point_ok(m);
	full_ok(m);
}

/* The same for a PTE the move left behind (test hook: the moved entry
 * written back at its old place, a move_ptes() that forgot to clear it). */
static void test_check_point_catches_a_pte_an_mremap_move_left(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a;
	uint64_t buf = map_anon(a, 32 * KiB), to = 0x40000000, pte;
	struct pt_path path;

	write_pages(a, buf, 8);
	/* the old PTE's slot: the half of the VMA that stays keeps its table */
	pt_lookup(&m->pt, a->mm->pgd, buf, &path);
	assert_true(path.leaf);
	point_ok(m);
	move_4_pages(a, buf, to);
	pte = mm_pte_lookup(a->mm, to);
	set_pte(&m->pt, path.epa[path.n - 1], pte);
	point_fails(m, "outside every VMA");
	pte_clear(&m->pt, path.epa[path.n - 1]);
	point_ok(m);
}

/* The records a point keeps follow an mremap move: the next full pass,
 * which compares every mm it was not told about with its record, finds
 * nothing changed behind the checker's back (it would, had the move not
 * marked the mm). */
static void test_check_mremap_moves_keep_the_records_current(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a;
	uint64_t buf = map_anon(a, 16 * KiB);
	/* 2 MiB aligned both ways: the page table moves whole */
	uint64_t big = (uint64_t)vm_mmap(a->mm, NULL, 0x200000000ULL, 2 * MiB,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);

	assert_int_equal(big, 0x200000000ULL);
	write_pages(a, buf, 4);
	write64(a, big, 7);
	write64(a, big + MiB, 8);
	full_ok(m);
	move_4_pages(a, buf, 0x40000000);
	point_ok(m);
	assert_int_equal(do_mremap(a->mm, big, 2 * MiB, 2 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED,
				   0x400000000ULL), 0x400000000LL);
	point_ok(m);
	/* grown in place, then shrunk */
	assert_int_equal(do_mremap(a->mm, 0x40000000, 16 * KiB, 64 * KiB, 0, 0), 0x40000000);
	point_ok(m);
	assert_int_equal(do_mremap(a->mm, 0x40000000, 64 * KiB, 8 * KiB, 0, 0), 0x40000000);
	point_ok(m);
	full_ok(m);
}

/* madvise() that only changes a whole VMA's flags (no split, no merge,
 * no page touched) marks the mm too: the full pass after the point finds
 * every mm as the point recorded it. */
static void test_check_madvise_flags_are_marked(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a;
	uint64_t buf = map_anon(a, 16 * KiB);

	write_pages(a, buf, 2);
	full_ok(m);
	assert_int_equal(do_madvise(a->mm, buf, 16 * KiB, MADV_DONTFORK, NULL), 0);
	assert_true(vma_lookup(a->mm, buf)->vm_flags & VM_DONTCOPY);
	point_ok(m);
	full_ok(m);
	assert_int_equal(do_madvise(a->mm, buf, 16 * KiB, MADV_DOFORK, NULL), 0);
	point_ok(m);
	full_ok(m);
}

/* mlock of a whole VMA (no split, no merge: only its flags, locked_vm
 * and its pages' locks change) marks the mm: the point after it checks
 * the locks, and the full pass finds every mm as the point recorded it. */
static void test_check_mlock_is_marked(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a;
	uint64_t buf = map_anon(a, 16 * KiB);

	write_pages(a, buf, 4);
	full_ok(m);
	assert_int_equal(sys_mlock(a->mm, buf, 16 * KiB, NULL), 0);
	assert_true(PageMlocked(frame_at(a, buf)));
	point_ok(m);
	full_ok(m);
	assert_int_equal(sys_munlock(a->mm, buf, 16 * KiB), 0);
	point_ok(m);
	full_ok(m);
}

/*
 * A lock too many on a page the step touched is caught by that step's
 * point, the locked mappings of mms the step left alone counted from
 * their records: a shared page locked in a and in its child b, unlocked
 * in b (b alone is marked), must keep exactly a's lock.
 */
static void test_check_point_catches_mlock_count_in_the_step(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a, *b;
	int64_t shm = vm_mmap(a->mm, NULL, 0, 8 * KiB, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, 0);
	struct page *p;

	assert_true(shm > 0);
	write_pages(a, (uint64_t)shm, 2);
	assert_int_equal(sys_mlock(a->mm, (uint64_t)shm, 8 * KiB, NULL), 0);
	assert_int_equal(do_fork(a, "b", 0, &b), 0);
	assert_int_equal(sys_mlock(b->mm, (uint64_t)shm, 8 * KiB, NULL), 0);
	p = frame_at(a, (uint64_t)shm);
	assert_int_equal(p->mlock_count, 2);
	full_ok(m);
	/* the step: b's lock goes, and (test hook) the count keeps it */
	assert_int_equal(sys_munlock(b->mm, (uint64_t)shm, 8 * KiB), 0);
	assert_int_equal(p->mlock_count, 1);
	p->mlock_count++;
	point_fails(m, "mlock_count 2, but 1 VM_LOCKED mappings");
	p->mlock_count--;
	full_ok(m);
	/* a lock lost in the step: PG_mlocked cleared behind its back */
	assert_int_equal(sys_mlock(b->mm, (uint64_t)shm, 4 * KiB, NULL), 0);
	clear_page_flag(p, PG_mlocked);
	point_fails(m, "is not PG_mlocked");
	set_page_flag(p, PG_mlocked);
	full_ok(m);
}

/* mremap(MREMAP_DONTUNMAP) of part of a locked VMA leaves its other pages
 * locked with no locked VMA mapping them: points and full passes accept
 * those locks, and no more, until the pages go. */
static void test_check_dontunmap_leaves_locks(void **state)
{
	struct fixture *f = *state;
	struct vmsim_machine *m = f->m;
	struct task_struct *a = f->a;
	uint64_t buf = map_anon(a, 16 * KiB);
	struct page *p;

	write_pages(a, buf, 4);
	assert_int_equal(sys_mlock(a->mm, buf, 16 * KiB, NULL), 0);
	full_ok(m);
	assert_true(do_mremap(a->mm, buf + 4 * KiB, 4 * KiB, 4 * KiB,
			      MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0) > 0);
	assert_int_equal(m->pm.mlock_stale, 3);
	point_ok(m);
	full_ok(m);
	/* one lock more than mremap left: the full pass's sum finds it */
	p = frame_at(a, buf);
	p->mlock_count++;
	full_fails(m, "sum to 5");
	p->mlock_count--;
	assert_int_equal(do_munmap(a->mm, buf, 16 * KiB), 0);
	assert_int_equal(m->pm.mlock_stale, 0);
	point_ok(m);
	full_ok(m);
}

/* Two files of 4 pages in @m's page cache, "/f" and "/g". */
static void make_files(struct vmsim_machine *m, struct file **f, struct file **g)
{
	static uint8_t data[16 * KiB];
	struct vmsim_error err = { 0 };

	memset(data, 0x5a, sizeof(data));
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f", data, sizeof(data),
					sizeof(data), f, &err), 0);
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/g", data, sizeof(data),
					sizeof(data), g, &err), 0);
}

/* A file whose pages a step faulted in is checked by that step's point; a
 * file nobody touched waits for the full pass (test hooks: the files'
 * counts drift). */
static void test_check_point_checks_the_files_a_step_touched(void **state)
{
	struct fixture *fx = *state;
	struct vmsim_machine *m = fx->m;
	struct task_struct *a = fx->a;
	struct file *f, *g;
	uint64_t va;
	struct access_result r;
	uint64_t v;

	make_files(m, &f, &g);
	va = (uint64_t)vm_mmap(a->mm, f, 0, 16 * KiB, PROT_READ, MAP_PRIVATE, 0);
	assert_true((int64_t)va > 0);
	point_ok(m);
	/* the step: a read fault of f (the cache reads a page) */
	assert_int_equal(task_access(a, va, MMU_READ, &v, sizeof(v), &r), 0);
	assert_int_equal(r.segv, 0);
	f->f_mapping.nr_dirty++;
	point_fails(m, "/f counts");
	f->f_mapping.nr_dirty--;
	point_ok(m);
	/* g was not touched by the step */
	g->f_mapping.i_mmap_count++;
	point_ok(m);
	full_fails(m, "/g counts 1 mappings, has 0");
	g->f_mapping.i_mmap_count--;
	full_ok(m);
}

/* MADV_REMOVE punches a hole in a file: the file is checked by the point
 * after it (test hook: the hole it recorded left empty). */
static void test_check_point_checks_a_punched_file(void **state)
{
	struct fixture *fx = *state;
	struct vmsim_machine *m = fx->m;
	struct task_struct *a = fx->a;
	struct file *f, *g;
	uint64_t va, v, first;
	struct access_result r;

	make_files(m, &f, &g);
	va = (uint64_t)vm_mmap(a->mm, f, 0, 16 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	assert_true((int64_t)va > 0);
	assert_int_equal(task_access(a, va + 4 * KiB, MMU_READ, &v, sizeof(v), &r), 0);
	point_ok(m);
	assert_int_equal(do_madvise(a->mm, va + 4 * KiB, 8 * KiB, MADV_REMOVE, NULL), 0);
	assert_int_equal(f->nr_holes, 1);
	first = f->holes[0].first;
	f->holes[0].first = f->holes[0].last + 1;
	point_fails(m, "/f hole 0");
	f->holes[0].first = first;
	point_ok(m);
	full_ok(m);
}

/* ---- corruption outside what was tracked: the next full pass ---- */

static void test_check_untracked_corruption_waits_for_the_full_pass(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 3);
	struct task_struct *a = spawn(m, "a"), *b = spawn(m, "b");
	uint64_t ba = map_anon(a, 8 * KiB), bb = map_anon(b, 8 * KiB);
	unsigned long full, incr, full0;
	struct page *p;

	(void)state;
	write64(a, ba, 1);
	write64(b, bb, 2);
	point_ok(m);		/* full (the first) */
	machine_check_counts(m, &full0, &incr);
	/* the step touches a; b's page is corrupted behind its back */
	write64(a, ba + 4 * KiB, 3);
	p = frame_at(b, bb);
	p->_refcount++;
	point_ok(m);		/* incremental: b was not touched */
	point_ok(m);		/* incremental, nothing touched */
	machine_check_counts(m, &full, &incr);
	assert_int_equal(full, full0);
	assert_int_equal(incr, 2);
	point_fails(m, "refcount 3");	/* the third point is the full pass (the PTE's,
					 * the lru_add batch's and the stray reference) */
	machine_check_counts(m, &full, &incr);
	assert_int_equal(full, full0 + 1);
	p->_refcount--;
	point_ok(m);		/* after a failed pass, full again */
	vmsim_machine_destroy(m);
}

static void test_check_untracked_free_block_waits_for_the_full_pass(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct zone *z = phys_zone(&m->pm, 0, ZONE_DMA32);
	struct page *p = NULL;

	(void)state;
	point_ok(m);
	/* a free block of order >= 2 nobody touched since the last point */
	for (unsigned k = 2; k <= m->pm.max_order && !p; k++)
		if (!list_empty(&z->free_area[k].free_list))
			p = list_first_entry(&z->free_area[k].free_list, struct page, lru);
	assert_non_null(p);
	p[3]._mapcount = 0;
	point_ok(m);
	full_fails(m, "mapcount 1");
	p[3]._mapcount = -1;
	full_ok(m);
	vmsim_machine_destroy(m);
}

/* A change through a path that marks nothing is named by the full pass. */
static void test_check_full_pass_names_an_unmarked_change(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct task_struct *a = spawn(m, "a");
	uint64_t buf = map_anon(a, 16 * KiB);
	struct vm_area_struct *vma = vma_lookup(a->mm, buf);

	(void)state;
	point_ok(m);
	/* a field check_mm() has no rule for, changed behind the mm's back */
	vma->vm_pgoff += 1;
	point_ok(m);
	full_fails(m, "without being marked");
	full_ok(m);		/* the records start afresh */
	vmsim_machine_destroy(m);
}

/* ---- randomized: every operation, alternately a point and a full pass ---- */

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_check_random_points_and_full_passes_agree(void **state)
{
	struct vmsim_machine *m = boot("x86_64", 0);
	struct task_struct *tasks[6] = { spawn(m, "t0") };
	unsigned ntasks = 1, serial = 1;
	uint64_t s = 0x9e3779b97f4a7c15ULL;

	(void)state;
	point_ok(m);
	for (int i = 0; i < 600; i++) {
		struct task_struct *t = tasks[rng(&s) % ntasks];
		uint64_t base = 0x10000000ULL + (rng(&s) % 16) * 0x4000;
		unsigned op = (unsigned)(rng(&s) % 11);
		struct vmsim_error err = { 0 };
		char name[16];

		switch (op) {
		case 0:
			vm_mmap(t->mm, NULL, base, 16 * KiB, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
			break;
		case 1:
			do_munmap(t->mm, base + (rng(&s) % 4) * 4 * KiB, 4 * KiB);
			break;
		case 2:
			do_mprotect(t->mm, base, 8 * KiB, rng(&s) & 1 ? PROT_READ : PROT_READ | PROT_WRITE);
			break;
		case 3:
		case 4: {
			uint64_t v = rng(&s);
			struct access_result r;

			task_access(t, base + (rng(&s) % 16) * 1024, op == 3 ? MMU_WRITE : MMU_READ,
				    &v, sizeof(v), &r);
			break;
		}
		case 5:
			if (ntasks < 6) {
				snprintf(name, sizeof(name), "t%u", serial++);
				if (do_fork(t, name, rng(&s) % 4 ? 0 : CLONE_VM, &tasks[ntasks]) == 0)
					ntasks++;
			}
			break;
		case 6:
			if (ntasks > 1) {
				unsigned k = (unsigned)(rng(&s) % ntasks);

				do_exit(tasks[k]);
				tasks[k] = tasks[--ntasks];
			}
			break;
		case 7:
			sys_brk(t->mm, t->mm->brk + (rng(&s) % 3) * 4 * KiB);
			break;
		case 8: {
			/* mremap: moved elsewhere in the area, grown or shrunk */
			uint64_t to = 0x10000000ULL + (rng(&s) % 16) * 0x4000;
			uint64_t len = (1 + rng(&s) % 4) * 4 * KiB;

			do_mremap(t->mm, base, 8 * KiB, len,
				  rng(&s) & 1 ? MREMAP_MAYMOVE | MREMAP_FIXED : MREMAP_MAYMOVE, to);
			break;
		}
		case 9:
			/* locks: mlock, mlock2 on fault, munlock, mlockall, munlockall */
			switch (rng(&s) % 5) {
			case 0: sys_mlock(t->mm, base, 8 * KiB, NULL); break;
			case 1: sys_mlock2(t->mm, base, 8 * KiB, MLOCK_ONFAULT, NULL); break;
			case 2: sys_munlock(t->mm, base + 4 * KiB, 8 * KiB); break;
			case 3: sys_mlockall(t->mm, MCL_CURRENT, NULL); break;
			default: sys_munlockall(t->mm); break;
			}
			break;
		case 10:
			/* DONTUNMAP: a locked source keeps its other pages locked */
			do_mremap(t->mm, base + (rng(&s) % 2) * 4 * KiB, 4 * KiB, 4 * KiB,
				  MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
			break;
		}
		if (i & 1 ? machine_check(m, &err) : machine_check_point(m, &err))
			fail_msg("op %d (%u) %s: %s", i, op, i & 1 ? "full" : "point", err.msg);
	}
	vmsim_machine_destroy(m);
}

/* The same with transparent huge pages ("always", the huge zero page)
 * over 2 MiB slots: huge faults, the huge zero page, splits by munmap,
 * mprotect, madvise and VMA boundaries, fork's copies, mremap moving
 * huge PMDs whole or splitting them; each path marks what it changes and
 * the points' shadow counts follow PMD mappings as the full pass counts
 * them. */
static void test_check_random_thp_points_and_full_passes_agree(void **state)
{
	const char *sets[] = { "memory.size=256MiB", "transparent_hugepage.enabled=always",
			       "transparent_hugepage.use_zero_page=true", NULL };
	static const int advice[] = { MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT, MADV_HUGEPAGE,
				      MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_FREE };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct task_struct *tasks[4];
	unsigned ntasks = 1, serial = 1;
	uint64_t s = 0x2545f4914f6cdd1dULL;

	(void)state;
	if (!m)
		fail_msg("boot: %s", err.msg);
	assert_int_equal(machine_check_start(m, 0), 0);
	tasks[0] = spawn(m, "t0");
	point_ok(m);
	for (int i = 0; i < 600; i++) {
		struct task_struct *t = tasks[rng(&s) % ntasks];
		uint64_t base = 0x40000000ULL + (rng(&s) % 4) * 2 * MiB;
		uint64_t off = (rng(&s) % 512) * 4 * KiB;
		unsigned op = (unsigned)(rng(&s) % 11);
		char name[16];

		switch (op) {
		case 9:
		case 10: {
			/* a fresh slot's first touch maps a huge page or the
			 * huge zero page */
			uint64_t v = rng(&s);
			struct access_result r;

			vm_mmap(t->mm, NULL, base, 2 * MiB, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
			task_access(t, base + off, op == 9 ? MMU_WRITE : MMU_READ, &v, sizeof(v), &r);
			break;
		}
		case 0:
			vm_mmap(t->mm, NULL, base, 2 * MiB << (rng(&s) & 1), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
			break;
		case 1:
			do_munmap(t->mm, base + (rng(&s) & 1 ? off : 0),
				  rng(&s) & 1 ? 4 * KiB : 2 * MiB);
			break;
		case 2:
			do_mprotect(t->mm, base + (rng(&s) & 1 ? MiB : 0), MiB,
				    rng(&s) & 1 ? PROT_READ : PROT_READ | PROT_WRITE);
			break;
		case 3:
		case 4: {
			uint64_t v = rng(&s);
			struct access_result r;

			task_access(t, base + off, op == 3 ? MMU_WRITE : MMU_READ, &v, sizeof(v), &r);
			break;
		}
		case 5:
			if (ntasks < 4) {
				snprintf(name, sizeof(name), "t%u", serial++);
				if (do_fork(t, name, 0, &tasks[ntasks]) == 0)
					ntasks++;
			} else {
				unsigned k = (unsigned)(rng(&s) % ntasks);

				do_exit(tasks[k]);
				tasks[k] = tasks[--ntasks];
			}
			break;
		case 6:
		case 7:
			do_madvise(t->mm, base + (rng(&s) & 1 ? off : 0), rng(&s) & 1 ? 4 * KiB : 2 * MiB,
				   advice[rng(&s) % (sizeof(advice) / sizeof(advice[0]))], NULL);
			break;
		case 8:
			/* moved whole to another slot, or a page off its alignment */
			do_mremap(t->mm, base, 2 * MiB, 2 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED,
				  0x40000000ULL + (rng(&s) % 4) * 2 * MiB + 0x10000000ULL +
				  (rng(&s) & 1 ? 4 * KiB : 0));
			break;
		}
		if (i & 1 ? machine_check(m, &err) : machine_check_point(m, &err))
			fail_msg("op %d (%u) %s: %s", i, op, i & 1 ? "full" : "point", err.msg);
	}
	/* the run met what it is about */
	assert_true(m->pm.vmstat.event[THP_FAULT_ALLOC] > 20);
	assert_true(m->pm.vmstat.event[THP_SPLIT_PMD] > 20);
	assert_true(m->pm.vmstat.event[THP_ZERO_PAGE_ALLOC] > 0);
	vmsim_machine_destroy(m);
}

/* ---- the always-on checks ---- */

static void test_vm_bug_vma_link_refuses_an_overlap(void **state)
{
	struct fixture *f = *state;
	struct mm_struct *mm = f->a->mm;
	uint64_t buf = map_anon(f->a, 16 * KiB);
	struct vm_area_struct *vma = vm_area_alloc(mm);
	int count = mm->map_count;

	vma->vm_start = buf + 4 * KiB;
	vma->vm_end = buf + 8 * KiB;
	vma_link(mm, vma);
	assert_reported(&f->r, 1, "VM_BUG_ON_VMA(prev && prev->vm_end > vma->vm_start)");
	assert_int_equal(mm->map_count, count);
	assert_non_null(strstr(f->r.last, "kernel BUG at"));
	assert_non_null(strstr(f->r.last, "flags: 0x0()"));
	/* empty, then unlinking one that is in no tree: refused too */
	vma->vm_start = vma->vm_end = 0x1000;
	vma_link(mm, vma);
	vma_unlink(mm, vma);
	assert_reported(&f->r, 3, "RB_EMPTY_NODE");
	assert_int_equal(f->m->pm.vmstat.vm_bug, 3);
	vm_area_free(vma);
	full_ok(f->m);
}

static void test_vm_bug_mmput_underflow_is_refused(void **state)
{
	struct fixture *f = *state;

	f->a->mm->mm_users = 0;
	mmput(f->a->mm);
	assert_reported(&f->r, 1, "VM_BUG_ON_MM(mm->mm_users <= 0)");
	assert_non_null(strstr(f->r.last, "mm_users 0"));
	f->a->mm->mm_users = 1;
	full_ok(f->m);
}

static void test_vm_bug_new_page_written_after_free(void **state)
{
	struct fixture *f = *state;
	struct phys_mem *pm = &f->m->pm;
	struct page *p = alloc_pages(pm, GFP_KERNEL, 0), *q;

	__free_pages(pm, p, 0);		/* onto this CPU's list, next out */
	p->_refcount = 1;		/* a write after free */
	q = alloc_pages(pm, GFP_KERNEL, 0);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);	/* the bad page was skipped (leaked) */
	assert_reported(&f->r, 1, "BUG: Bad page state");
	assert_non_null(strstr(f->r.last, "page dumped because: nonzero _refcount"));
	__free_pages(pm, q, 0);
	full_ok(f->m);
}

/* A page of @f's task, written, whose mapcount then says it is not mapped. */
static struct page *unmapped_mapped_page(struct fixture *f, uint64_t *buf)
{
	struct page *p;

	*buf = map_anon(f->a, 4 * KiB);
	write64(f->a, *buf, 1);
	p = frame_at(f->a, *buf);
	p->_mapcount = -1;
	return p;
}

static void test_vm_bug_fork_of_a_page_without_mapcount(void **state)
{
	struct fixture *f = *state;
	struct task_struct *b = NULL;
	uint64_t buf;
	struct page *p = unmapped_mapped_page(f, &buf);

	/* dup_mm() fails, and fork says ENOMEM */
	assert_int_equal(do_fork(f->a, "b", 0, &b), -ENOMEM);
	assert_reported(&f->r, 1,
			"VM_BUG_ON_PAGE(page_mapcount(page) <= 0 || page_ref_count(folio) <= 0)");
	assert_non_null(strstr(f->r.last, "kernel BUG at"));
	assert_int_equal(page_ref_count(p), 1);	/* nothing was taken for the child */
	p->_mapcount = 0;
	full_ok(f->m);
}

static void test_vm_bug_zap_of_an_unmapped_page(void **state)
{
	struct fixture *f = *state;
	uint64_t buf;
	struct page *p = unmapped_mapped_page(f, &buf);

	assert_int_equal(do_munmap(f->a->mm, buf, 4 * KiB), 0);
	assert_reported(&f->r, 1, "BUG: Bad page map in mm");
	assert_non_null(strstr(f->r.last, "page dumped because: bad pte"));
	assert_int_equal(page_ref_count(p), 1);	/* not put: leaked, not freed twice */
}

static void test_vm_bug_rss_counter_at_mm_free(void **state)
{
	struct fixture *f = *state;

	f->a->mm->rss_stat[MM_ANONPAGES] = 2;
	do_exit(f->a);
	assert_reported(&f->r, 1, "BUG: Bad rss-counter state mm:");
	assert_non_null(strstr(f->r.last, "type:MM_ANONPAGES val:2"));
	full_ok(f->m);
}

#define FIXTURE_TEST(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_point_catches_refcount_in_the_step),
		cmocka_unit_test(test_check_point_catches_mapcount_of_a_page_left),
		cmocka_unit_test(test_check_point_catches_vma_tree_in_the_step),
		cmocka_unit_test(test_check_point_catches_free_block_in_the_step),
		cmocka_unit_test(test_check_point_catches_pcp_list_in_the_step),
		cmocka_unit_test(test_check_point_catches_slab_in_the_step),
		FIXTURE_TEST(test_check_point_catches_a_bad_mremap_move),
		FIXTURE_TEST(test_check_point_catches_a_pte_an_mremap_move_left),
		FIXTURE_TEST(test_check_mremap_moves_keep_the_records_current),
		FIXTURE_TEST(test_check_madvise_flags_are_marked),
		FIXTURE_TEST(test_check_mlock_is_marked),
		FIXTURE_TEST(test_check_point_catches_mlock_count_in_the_step),
		FIXTURE_TEST(test_check_dontunmap_leaves_locks),
		FIXTURE_TEST(test_check_point_checks_the_files_a_step_touched),
		FIXTURE_TEST(test_check_point_checks_a_punched_file),
		cmocka_unit_test(test_check_untracked_corruption_waits_for_the_full_pass),
		cmocka_unit_test(test_check_untracked_free_block_waits_for_the_full_pass),
		cmocka_unit_test(test_check_full_pass_names_an_unmarked_change),
		cmocka_unit_test(test_check_random_points_and_full_passes_agree),
		cmocka_unit_test(test_check_random_thp_points_and_full_passes_agree),
		FIXTURE_TEST(test_vm_bug_vma_link_refuses_an_overlap),
		FIXTURE_TEST(test_vm_bug_mmput_underflow_is_refused),
		FIXTURE_TEST(test_vm_bug_new_page_written_after_free),
		FIXTURE_TEST(test_vm_bug_fork_of_a_page_without_mapcount),
		FIXTURE_TEST(test_vm_bug_zap_of_an_unmapped_page),
		FIXTURE_TEST(test_vm_bug_rss_counter_at_mm_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
