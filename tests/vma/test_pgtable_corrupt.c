/*
 * Randomized corruption of page tables: between random operations of
 * random tasks (faults, fork, munmap, mprotect, madvise, exit, the views,
 * hardware walks), flip random bits of random entries at every level --
 * the PGD, PUD and PMD of the user half, the PTEs, and at the end the
 * kernel's own root -- as a scenario's `pte` op may.  Checked after every
 * step:
 *   - nothing crashes and nothing trips a sanitizer (the suite runs under
 *     ASan and UBSan);
 *   - machine_check() passes: a bad entry a walk has not met yet still
 *     holds its table, one that a walk cleared gave its table and pages
 *     back;
 *   - every bad entry reported was cleared (it reads 0 afterwards);
 * and at the end, when every task has exited, every frame is free again
 * (the buddy free count of before) and no page-table page is left over.
 * Seeded, so a failure names the seed and step that reproduce it.
 *
 * PTE flips are restricted to bits that change neither the frame nor the
 * rights (A, D, PWT, PCD, G, the ignored bits): a PTE that names another
 * frame breaks the frame accounting in the kernel too ("Bad page map"),
 * and no walk can tell.  Above the PTE level any bit goes, but for the
 * rights of a PMD that maps a transparent huge page (P, RW, US, NX),
 * which is a leaf like a PTE; its PS and address bits do go: such a PMD
 * is no huge PMD any more, and the walks treat it as bad.  No entry is
 * ever redirected to a frame the CPU could walk on through, nor made a
 * leaf over one (a huge PMD's new address, a table entry whose PS is set:
 * every frame of the span it then maps): a page-table page (another
 * table's entries read as the next level's give the task a user-writable
 * mapping of that table, and the hardware writes through it without a
 * fault that would let the kernel see the bad entry), a slab page (the
 * kernel's objects), a free frame (it may become either), or any frame
 * holding a present-looking entry.  Such corruption is undefined on the
 * real machine too; what is tested is everything a fault or a software
 * walk can meet.  Flips are made only on entries of the tables
 * themselves, never through an entry that is already bad.  The runs with
 * transparent huge pages ("always", with the huge zero page) also map
 * whole huge-page slots, so that faults, forks, partial munmaps and
 * mprotects meet huge PMDs, split them and copy them.
 */
#include "vma_test.h"

#include "kern/oom.h"
#include "kern/views.h"
#include "mmu/mmu.h"
#include "mmu/pgtable.h"

#define NTASK 4
#define NOPS 1500
/* where the tasks map: a few PMD spans apart, in two PUD spans (x86_64)
 * or two PDE spans (x86_32), so that corruptions hit shared tables */
#define NSLOTS 8

static unsigned seed;

static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

struct ctx {
	struct vmsim_machine *m;
	bool thp;
	struct task_struct *t[NTASK];
	unsigned spawned;
	const char *arch;
	unsigned seed;		/* the run's seed, for messages */
	unsigned step;
	unsigned long flips, bad_flips, huge_flips;
};

static uint64_t slot_addr(const struct ctx *c, unsigned s)
{
	/* x86_64: 4 slots per 1 GiB, two GiBs apart by 512 GiB (two PGD
	 * entries); x86_32: 4 MiB PDE spans */
	if (config_is_64(&c->m->cfg))
		return (s & 4 ? 0x8000000000ULL : 0) + 0x40000000ULL + (uint64_t)(s & 3) * 0x200000ULL;
	return 0x10000000ULL + (uint64_t)(s & 4 ? 0x400000 : 0) + (uint64_t)(s & 3) * 0x100000ULL;
}

static struct task_struct **pick(struct ctx *c)
{
	unsigned i = rnd(NTASK);

	for (unsigned k = 0; k < NTASK; k++, i = (i + 1) % NTASK)
		if (c->t[i])
			return &c->t[i];
	return NULL;
}

static void check(struct ctx *c, const char *what)
{
	struct vmsim_error err = { 0 };

	if (machine_check(c->m, &err))
		fail_msg("%s seed %u step %u (%s): %s", c->arch, c->seed, c->step, what, err.msg);
}

static void op_spawn(struct ctx *c)
{
	struct spawn_args a = { 0 };
	char name[16];

	for (unsigned i = 0; i < NTASK; i++) {
		if (c->t[i])
			continue;
		snprintf(name, sizeof(name), "t%u", c->spawned++);
		assert_int_equal(task_spawn(c->m, name, &a, &c->t[i]), 0);
		return;
	}
}

static void op_mmap_touch(struct ctx *c, struct task_struct *t)
{
	uint64_t a = slot_addr(c, rnd(NSLOTS)), len = (1 + rnd(6)) * PAGE_SIZE;
	int64_t r = vm_mmap(t->mm, NULL, a, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	struct access_result res;

	assert_true(r == (int64_t)a);
	for (uint64_t p = 0; p < len; p += PAGE_SIZE) {
		uint64_t v = p;

		if (rnd(3))
			assert_int_equal(task_access(t, a + p, MMU_WRITE, &v, sizeof(v), &res), 0);
	}
}

/* A whole huge page's span (slot-aligned: 2 MiB on x86_64, the 4 MiB
 * of four slots on x86_32), read first (the huge zero page) or written. */
static void op_mmap_huge(struct ctx *c, struct task_struct *t)
{
	const uint64_t size = HPAGE_PMD_SIZE(c->m);
	unsigned s = rnd(NSLOTS);
	uint64_t a = slot_addr(c, config_is_64(&c->m->cfg) ? s : s & 4), v = a;
	int64_t r = vm_mmap(t->mm, NULL, a, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	struct access_result res;

	assert_true(r == (int64_t)a);
	a += rnd(6) * PAGE_SIZE;
	assert_int_equal(task_access(t, a, rnd(2) ? MMU_WRITE : MMU_READ, &v, sizeof(v), &res), 0);
}

static void op_access(struct ctx *c, struct task_struct *t)
{
	uint64_t a = slot_addr(c, rnd(NSLOTS)) + rnd(6) * PAGE_SIZE, v = a;
	struct access_result res;

	assert_int_equal(task_access(t, a, rnd(2) ? MMU_WRITE : MMU_READ, &v, sizeof(v), &res), 0);
}

static void op_munmap(struct ctx *c, struct task_struct *t)
{
	uint64_t a = slot_addr(c, rnd(NSLOTS)) + rnd(4) * PAGE_SIZE;

	assert_int_equal(do_munmap(t->mm, a, (1 + rnd(4)) * PAGE_SIZE), 0);
}

static void op_mprotect(struct ctx *c, struct task_struct *t)
{
	uint64_t a = slot_addr(c, rnd(NSLOTS));
	int r = do_mprotect(t->mm, a, (1 + rnd(4)) * PAGE_SIZE,
			    rnd(2) ? PROT_READ : PROT_READ | PROT_WRITE);

	assert_true(r == 0 || r == -ENOMEM);	/* ENOMEM: a hole in the range */
}

/* The advice that walks or changes the page tables of the range: each
 * meets the bad entries a flip left on its way (and clears them, as the
 * kernel's page walk does).  A hole in the range is ENOMEM; populating a
 * read-only mapping for writing is EINVAL. */
static void op_madvise(struct ctx *c, struct task_struct *t)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_FREE, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE, MADV_WILLNEED, MADV_DONTFORK, MADV_WIPEONFORK,
	};
	uint64_t a = slot_addr(c, rnd(NSLOTS)) + rnd(4) * PAGE_SIZE;
	uint64_t len = (1 + rnd(4)) * PAGE_SIZE;
	int adv = advice[rnd(sizeof(advice) / sizeof(advice[0]))];
	int r = do_madvise(t->mm, a, len, adv, &t->fst);

	if (r && r != -ENOMEM && !(r == -EINVAL && adv == MADV_POPULATE_WRITE))
		fail_msg("%s seed %u step %u: madvise(%#llx, %#llx, %s) = %d", c->arch, c->seed,
			 c->step, (unsigned long long)a, (unsigned long long)len,
			 madvise_behavior_name(adv), r);
}

static void op_fork(struct ctx *c, struct task_struct *t)
{
	char name[16];

	for (unsigned i = 0; i < NTASK; i++) {
		if (c->t[i])
			continue;
		snprintf(name, sizeof(name), "t%u", c->spawned++);
		assert_int_equal(do_fork(t, name, 0, &c->t[i]), 0);
		return;
	}
}

static void op_view(struct ctx *c, struct task_struct *t)
{
	static const char *const names[] = { "pagetable", "smaps", "maps", "status" };
	struct view_args a = { .task = task_name(t) };
	struct strbuf sb = { 0 };

	assert_int_equal(view_render(c->m, names[rnd(4)], &a, rnd(2), &sb), 0);
	assert_false(sb.oom);
	sb_free(&sb);
}

/* The bare hardware walk (translate, --explain): faults or a physical
 * address, never a host access outside RAM. */
static void op_walk(struct ctx *c, struct task_struct *t)
{
	struct vmsim_cpu *cpu = &c->m->cpus[0];
	uint64_t va = slot_addr(c, rnd(NSLOTS)) + rnd(6) * PAGE_SIZE;
	struct walk_result wr;
	struct vmsim_fault f;
	struct walk_trace tr;

	if (mmu_walk_peek(cpu, t->mm->pgd, va, MMU_READ, MMU_USER, &wr, &f, &tr))
		assert_true(tr.n > 0);
	else
		assert_true(f.gp || (f.depth >= 0 && (unsigned)f.depth < tr.n));
}

/* A bit of an entry to flip: any bit above the PTE level but the rights
 * of a huge PMD, and at the PTE level one that changes neither the frame
 * nor the rights. */
static unsigned flip_bit(struct ctx *c, unsigned depth, bool huge)
{
	const struct pt_format *f = c->m->pt.fmt;
	static const unsigned pte_bits[] = { 3, 4, 5, 6, 8, 9, 10, 11, 52, 55, 58, 62 };
	unsigned width = f->entry_size * 8;

	if (huge) {
		unsigned b;

		do
			b = rnd(4) ? 3 + rnd(16) : rnd(width);	/* often PS and the address */
		while (b <= 2 || b == 63 || b >= width);
		return b;
	}
	if (depth == f->levels - 1) {
		unsigned b;

		do
			b = pte_bits[rnd(sizeof(pte_bits) / sizeof(pte_bits[0]))];
		while (b >= width);
		return b;
	}
	switch (rnd(6)) {
	case 0:
		return width == 64 ? 51 : 31;		/* reserved / far beyond RAM */
	case 1:
		return width == 64 ? 40 : 30;		/* beyond RAM */
	case 2:
		return 12 + rnd(14);			/* another frame inside RAM */
	default:
		return rnd(width);
	}
}

/* May an entry above the PTE level point at frame @pa without giving the
 * CPU a path through live kernel memory (see the header)? */
static bool safe_target(struct ctx *c, uint64_t pa)
{
	struct phys_mem *pm = &c->m->pm;
	const unsigned esize = c->m->pt.fmt->entry_size;
	const uint8_t *b;
	struct page *page, *head;

	if (!pfn_valid(pm, (unsigned long)(pa >> PAGE_SHIFT)))
		return true;	/* beyond RAM: the walk faults there */
	page = pfn_to_page(pm, (unsigned long)(pa >> PAGE_SHIFT));
	/* a page of a compound block: the head holds its kind and references */
	head = compound_head(page);
	if (PageTable(page) || PageSlab(head) || PageBuddy(page) || page_ref_count(head) == 0)
		return false;
	b = phys_to_host(pm, pa & ~(uint64_t)(PAGE_SIZE - 1));
	for (unsigned off = 0; off < PAGE_SIZE; off += esize)
		if (b[off] & _PAGE_PRESENT)
			return false;
	return true;
}

/* The same for every frame of [@pa, @pa + @span) that lies in RAM: the
 * frames a leaf entry above the PTE level maps. */
static bool safe_span(struct ctx *c, uint64_t pa, uint64_t span)
{
	for (uint64_t a = pa; a - pa < span; a += PAGE_SIZE)
		if (!safe_target(c, a))
			return false;
	return true;
}

/* Flip a bit of the entry at a random level on a random slot's walk.  The
 * walk ends at a bad entry: below it lies a table that is not this
 * entry's (another level's, or another task's), and a bit flipped there
 * could rename the frame of some PTE, which no walk can tell. */
static void op_corrupt(struct ctx *c, struct task_struct *t)
{
	struct pt_ctx *pt = &c->m->pt;
	uint64_t va = slot_addr(c, rnd(NSLOTS)) + rnd(6) * PAGE_SIZE, e;
	struct pt_path p;
	unsigned depth, bit, n;
	unsigned long pfn;
	bool huge;

	pt_lookup(pt, t->mm->pgd, va, &p);
	/* entry n is this walk's while entry n - 1 links its table */
	for (n = 1; n < p.n &&
	     pt_entry_kind(pt, n - 1, p.epa[n - 1], p.e[n - 1], false) == PT_ENTRY_TABLE; n++)
		;
	depth = rnd(n);
	/* a huge PMD, the leaf of its path, is the entry to hit most */
	if (c->thp && p.leaf && n == p.n && p.n - 1 == c->m->thp.pmd_depth && rnd(2))
		depth = p.n - 1;
	e = p.e[depth];
	/* entries of page tables only: below a bad entry the raw lookup may
	 * have wandered into any frame (a slab's, say), which is not a page
	 * table to corrupt */
	pfn = (unsigned long)(p.epa[depth] >> PAGE_SHIFT);
	if (!e || !pfn_valid(&c->m->pm, pfn) || !test_page_flag(pfn_to_page(&c->m->pm, pfn), PG_table))
		return;
	huge = depth == c->m->thp.pmd_depth && huge_pmd_folio(t->mm, p.epa[depth], e);
	bit = flip_bit(c, depth, huge);
	e ^= 1ULL << bit;
	if (depth < pt->fmt->levels - 1 && (e & _PAGE_PRESENT) &&
	    (pt_entry_addr(pt, depth, e) != pt_entry_addr(pt, depth, p.e[depth]) ||
	     pt_entry_leaf(pt, depth, e) != pt_entry_leaf(pt, depth, p.e[depth])) &&
	    !safe_span(c, pt_entry_addr(pt, depth, e),
		       pt_entry_leaf(pt, depth, e) ? pt_entry_span(pt->fmt, depth) : PAGE_SIZE))
		return;
	set_pte(pt, p.epa[depth], e);
	for (unsigned i = 0; i < c->m->nr_cpus; i++)
		invlpg(&c->m->cpus[i], va);
	c->flips++;
	if (depth < pt->fmt->levels - 1 &&
	    pt_entry_kind(pt, depth, p.epa[depth], e, false) == PT_ENTRY_BAD &&
	    !huge_pmd_folio(t->mm, p.epa[depth], e))
		c->bad_flips++;
	if (huge)
		c->huge_flips++;
}

/* The last step before teardown: the kernel's own root, any bit of any
 * present entry (its large leaves included); shutdown walks it. */
static void corrupt_kernel_root(struct ctx *c)
{
	struct pt_ctx *pt = &c->m->pt;
	const unsigned n = pt_ptrs_per_table(pt->fmt, 0);

	for (unsigned k = 0; k < 8; k++) {
		uint64_t epa = c->m->kernel_pgd +
			       (uint64_t)(pt->kernel_pgd_boundary + rnd(n - pt->kernel_pgd_boundary)) *
			       pt->fmt->entry_size;
		uint64_t e = pt_read(pt, epa);

		if (e)
			set_pte(pt, epa, e ^ (1ULL << rnd(pt->fmt->entry_size * 8)));
	}
}

static void run(const char *arch, unsigned s, bool thp)
{
	struct ctx c = { .arch = arch, .seed = s, .thp = thp };
	struct vt_free before, after;
	unsigned long tables0, reported;

	if (thp) {
		const char *sets[] = { "memory.size=64MiB", "transparent_hugepage.enabled=always",
				       "transparent_hugepage.use_zero_page=true", NULL };
		struct vmsim_error err = { 0 };

		c.m = vmsim_machine_create(arch, sets, &err);
		if (!c.m)
			fail_msg("boot %s: %s", arch, err.msg);
	} else {
		c.m = vt_boot(arch, "64MiB");
	}
	c.m->pt.console = NULL;		/* thousands of reports: kept, not printed */
	/* the tasks are the test's: when memory runs out, calls fail rather
	 * than the OOM killer ending a task the test still holds */
	oom_killer_disable(c.m);
	seed = s;
	/* the slab caches of tasks exist from the first spawn on */
	op_spawn(&c);
	do_exit(c.t[0]);
	c.t[0] = NULL;
	vt_free_snapshot(c.m, &before);
	tables0 = c.m->pt.nr_tables;
	op_spawn(&c);
	for (c.step = 0; c.step < NOPS; c.step++) {
		struct task_struct **tp = pick(&c);
		unsigned k = rnd(100);
		const char *what;

		if (!tp) {
			op_spawn(&c);
			continue;
		}
		reported = c.m->pt.nr_bad;
		if (k < 22) {
			what = "mmap";
			if (thp && rnd(3) == 0)
				op_mmap_huge(&c, *tp);
			else
				op_mmap_touch(&c, *tp);
		} else if (k < 35) {
			what = "access";
			op_access(&c, *tp);
		} else if (k < 40) {
			what = "madvise";
			op_madvise(&c, *tp);
		} else if (k < 48) {
			what = "munmap";
			op_munmap(&c, *tp);
		} else if (k < 53) {
			what = "mprotect";
			op_mprotect(&c, *tp);
		} else if (k < 58) {
			what = "fork";
			op_fork(&c, *tp);
		} else if (k < 61) {
			what = "exit";
			do_exit(*tp);
			*tp = NULL;
		} else if (k < 68) {
			what = "view";
			op_view(&c, *tp);
		} else if (k < 73) {
			what = "walk";
			op_walk(&c, *tp);
		} else if (k < 75) {
			what = "spawn";
			op_spawn(&c);
		} else {
			what = "corrupt";
			op_corrupt(&c, *tp);
		}
		/* a report names the entry it cleared: empty now, or a table
		 * the fault path built anew there */
		if (c.m->pt.nr_bad != reported && config_is_64(&c.m->cfg)) {
			unsigned long long va;
			char lvl[8];
			uint64_t epa, e;

			assert_int_equal(sscanf(c.m->pt.bad_msg, "mm/pgtable-generic.c:%*d: bad %7s %llx",
						lvl, &va), 2);
			epa = va - c.m->cfg.page_offset;
			e = pt_read(&c.m->pt, epa);
			/* unless the table that held it went too (it hung from
			 * a bad entry above, reclaimed in the same step), and
			 * its frame may now be anything (or a huge PMD a fault
			 * mapped there since) */
			if (!PageTable(pfn_to_page(&c.m->pm, (unsigned long)(epa >> PAGE_SHIFT))))
				e = 0;
			if (e && pt_entry_kind(&c.m->pt, strcmp(lvl, "p4d") == 0 ? 0 :
					       strcmp(lvl, "pud") == 0 ? 1 : 2, epa, e, false) !=
				 PT_ENTRY_TABLE && !(c.thp && strcmp(lvl, "pmd") == 0))
				fail_msg("%s seed %u step %u: %s still set", arch, s, c.step,
					 c.m->pt.bad_msg);
		}
		check(&c, what);
	}
	for (unsigned i = 0; i < NTASK; i++)
		if (c.t[i])
			do_exit(c.t[i]);
	check(&c, "exit all");
	/* the huge zero page stays until its shrinker runs: run it */
	hugepage_shutdown(c.m);
	vt_free_snapshot(c.m, &after);
	if (after.total != before.total || c.m->pt.nr_tables != tables0)
		fail_msg("%s seed %u: %lu free pages and %lu tables before, %lu and %lu after", arch, s,
			 before.total, tables0, after.total, c.m->pt.nr_tables);
	/* the run did what it is for */
	assert_true(c.bad_flips > 10);
	assert_true(c.m->pt.nr_bad > 10);
	if (thp) {
		assert_true(c.huge_flips > 10);
		assert_true(c.m->pm.vmstat.event[THP_FAULT_ALLOC] > 50 && c.m->pm.vmstat.event[THP_SPLIT_PMD] > 20);
	}
	corrupt_kernel_root(&c);
	vmsim_machine_destroy(c.m);
}

static void test_pgtable_corrupt_x86_64(void **state)
{
	(void)state;
	for (unsigned s = 1; s <= 4; s++)
		run("x86_64", s, false);
}

static void test_pgtable_corrupt_x86_32(void **state)
{
	(void)state;
	for (unsigned s = 1; s <= 4; s++)
		run("x86_32", s, false);
}

static void test_pgtable_corrupt_thp_x86_64(void **state)
{
	(void)state;
	for (unsigned s = 1; s <= 4; s++)
		run("x86_64", s, true);
}

static void test_pgtable_corrupt_thp_x86_32(void **state)
{
	(void)state;
	for (unsigned s = 1; s <= 4; s++)
		run("x86_32", s, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pgtable_corrupt_x86_64),
		cmocka_unit_test(test_pgtable_corrupt_x86_32),
		cmocka_unit_test(test_pgtable_corrupt_thp_x86_64),
		cmocka_unit_test(test_pgtable_corrupt_thp_x86_32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
