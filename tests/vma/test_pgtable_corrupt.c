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
 *   - every bad entry reported was cleared (it reads 0 afterwards, or
 *     a table built anew; unless the table holding it went back whole);
 * and at the end, when every task has exited, every frame is free again
 * (the buddy free count of before) and no page-table page is left over.
 * Seeded, so a failure names the seed and step that reproduce it; the
 * seeds that once failed run first, as regression cases.
 *
 * Above the PTE level any bit goes, the address bits included: an entry
 * may name a frame beyond RAM, a data page, a slab page or another table,
 * and a table entry whose PS bit is set becomes a leaf over whatever span
 * its address names.  The hardware walk follows such an entry as a CPU
 * would; what it must not do -- store into a page table, the zero page,
 * the huge zero page or the simulator's own structures, by a user write
 * through the mapping or by the walk's A/D bits -- is dropped
 * (test_host_structs, test_wild_table_store, test_huge_pmd_stores), and
 * the software walks clear the entry with the kernel's report.
 *
 * A PMD that maps a transparent huge page is a leaf like a PTE: its
 * rights (P, RW, US, NX) stay, and its PS and address bits go (often
 * chosen): such a PMD is no huge PMD any more, the walks treat it as bad,
 * and the hardware maps the 2 MiB (4 MiB) its new address names, page
 * tables and slab pages included, under the same store rules.  The runs
 * with transparent huge pages ("always", with the huge zero page) also map
 * whole huge-page slots, so that faults, forks, partial munmaps and
 * mprotects meet huge PMDs, split them and copy them.
 *
 * PTE flips are restricted to bits that change neither the frame nor the
 * rights (A, D, PWT, PCD, G, the ignored bits).  A PTE that names another
 * frame, or grants more than its VMA, is wrong in a way no walk can tell
 * (its frame, its rights and the counts all come from it; the kernel's
 * "Bad page map" is as late), so the checker's invariants cannot hold
 * after one, on Linux either; what such a PTE must not do is crash the
 * host or reach the simulator's own memory, which test_host_structs
 * checks with a PTE naming a VMA's frame.  Flips are made only on entries
 * of the tables themselves, never through an entry that is already bad.
 */
#include "vma_test.h"

#include "kern/maccess.h"
#include "kern/oom.h"
#include "kern/views.h"
#include "mmu/mmu.h"
#include "mmu/pgtable.h"
#include "vma/rmap.h"

#define NTASK 4
/* the default run; VMSIM_CORRUPT_SEEDS ("N": 1..N, or "A-B") and
 * VMSIM_CORRUPT_STEPS override it, VMSIM_CORRUPT_ARCH runs one architecture
 * only, VMSIM_CORRUPT_THP ("0", "1") the runs without or with transparent
 * huge pages only, and VMSIM_CORRUPT_SET configures the machine (for sweeps
 * over many seeds and configurations) */
#define NSEEDS 6
#define NOPS 1500
/* where the tasks map: a few PMD spans apart, in two PUD spans (x86_64)
 * or two PDE spans (x86_32), so that corruptions hit shared tables */
#define NSLOTS 8

static unsigned seed;
static bool trace;	/* VMSIM_CORRUPT_TRACE: each step on stderr */
/* VMSIM_CORRUPT_PTE_ANY: PTE flips may hit any bit, frame and rights
 * included.  No invariant can hold then (see above), so only what must
 * hold whatever the entries say is checked: no crash, no sanitizer report,
 * no host memory lost (an exploratory mode, not part of the suite). */
static bool pte_any;

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

/* Every CPU's TLB forgets @va (all of it: @va == ~0). */
static void flush_tlbs(struct vmsim_machine *m, uint64_t va)
{
	for (unsigned i = 0; i < m->nr_cpus; i++)
		if (va == ~0ULL)
			tlb_flush_all(&m->cpus[i]);
		else
			invlpg(&m->cpus[i], va);
}

static void check(struct ctx *c, const char *what)
{
	struct vmsim_error err = { 0 };

	if (!pte_any && machine_check(c->m, &err))
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
	const uint64_t size = HPAGE_PMD_SIZE(&c->m->vm);
	unsigned s = rnd(NSLOTS);
	uint64_t a = slot_addr(c, config_is_64(&c->m->cfg) ? s : s & 4), v = a;
	int64_t r = vm_mmap(t->mm, NULL, a, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	struct access_result res;

	assert_true(r == (int64_t)a);
	a += rnd(6) * PAGE_SIZE;
	assert_int_equal(task_access(t, a, rnd(2) ? MMU_WRITE : MMU_READ, &v, sizeof(v), &res), 0);
}

/* An access to one of a slot's first pages, or with huge pages, as often
 * to any page of the slot's 1 MiB: a huge PMD whose address was changed
 * then stores into every kind of frame of the span it names. */
static void op_access(struct ctx *c, struct task_struct *t)
{
	uint64_t a = slot_addr(c, rnd(NSLOTS)), v;
	struct access_result res;

	a += (c->thp && rnd(2) ? rnd(256) : rnd(6)) * PAGE_SIZE;
	v = a;

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
		unsigned long bugs = c->m->pm.vmstat.vm_bug;
		int r;

		snprintf(name, sizeof(name), "t%u", c->spawned++);
		r = do_fork(t, name, 0, &c->t[i]);
		/* with any PTE bit flipped, a PTE may name a page its counts
		 * say nobody maps: the copy's VM_BUG_ON_PAGE refuses the
		 * fork (ENOMEM, as dup_mmap() fails) */
		if (!(pte_any && r == -ENOMEM && c->m->pm.vmstat.vm_bug > bugs))
			assert_int_equal(r, 0);
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
 * of a huge PMD (@huge), and at the PTE level one that changes neither the
 * frame nor the rights. */
static unsigned flip_bit(struct ctx *c, unsigned depth, bool huge)
{
	const struct pt_format *f = c->m->pt.fmt;
	static const unsigned pte_bits[] = { 3, 4, 5, 6, 8, 9, 10, 11, 52, 55, 58, 62 };
	unsigned width = f->entry_size * 8;

	if ((huge || depth == f->levels - 1) && pte_any)
		return rnd(width);
	if (huge) {
		/* the address bits that name another span inside RAM */
		const unsigned lo = HPAGE_PMD_SHIFT(&c->m->vm);
		const unsigned hi = 64 - (unsigned)__builtin_clzll(c->m->pm.ram_size - 1);
		unsigned b;

		do
			switch (rnd(4)) {
			case 0:
			case 1:
				b = 3 + rnd(16);	/* PS, A, D, PAT, reserved, PSE-36 */
				break;
			case 2:
				b = hi > lo ? lo + rnd(hi - lo) : lo;
				break;
			default:
				b = rnd(width);
			}
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
	if (c->thp && p.leaf && n == p.n && p.n - 1 == c->m->vm.thp.pmd_depth && rnd(2))
		depth = p.n - 1;
	e = p.e[depth];
	/* entries of page tables only: below a bad entry the raw lookup may
	 * have wandered into any frame (a slab's, say), which is not a page
	 * table to corrupt */
	pfn = (unsigned long)(p.epa[depth] >> PAGE_SHIFT);
	if (!e || !pfn_valid(&c->m->pm, pfn) || !test_page_flag(pfn_to_page(&c->m->pm, pfn), PG_table))
		return;
	huge = depth == c->m->vm.thp.pmd_depth && huge_pmd_folio(t->mm, p.epa[depth], e);
	bit = flip_bit(c, depth, huge);
	e ^= 1ULL << bit;
	if (trace)
		fprintf(stderr, "  va %#llx depth %u entry %#llx: %#llx -> %#llx\n",
			(unsigned long long)va, depth, (unsigned long long)p.epa[depth],
			(unsigned long long)p.e[depth], (unsigned long long)e);
	set_pte(pt, p.epa[depth], e);
	flush_tlbs(c->m, va);
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
		uint64_t epa = c->m->vm.kernel_pgd +
			       (uint64_t)(pt->kernel_pgd_boundary + rnd(n - pt->kernel_pgd_boundary)) *
			       pt->fmt->entry_size;
		uint64_t e = pt_read(pt, epa);

		if (e)
			set_pte(pt, epa, e ^ (1ULL << rnd(pt->fmt->entry_size * 8)));
	}
}


/* The depth of page-table page @table, from the links its page and those
 * above it record (page->index: the entry linking it); -1 when the frame
 * is no page table or hangs from nothing. */
static int table_depth(const struct pt_ctx *pt, uint64_t table)
{
	for (int d = 0; d < PT_MAX_LEVELS; d++) {
		unsigned long pfn = (unsigned long)(table >> PAGE_SHIFT);
		const struct page *page;

		if (!pfn_valid(pt->pm, pfn) || !PageTable(page = pfn_to_page(pt->pm, pfn)))
			return -1;
		if (page->index == PT_LINK_ROOT)
			return d;
		table = page->index & PAGE_MASK;
	}
	return -1;
}

/* Is @e, read at @epa, a huge PMD (of whichever task: the entry records
 * its page with the table it deposited)? */
static bool huge_pmd_at(struct ctx *c, uint64_t epa, uint64_t e)
{
	for (unsigned i = 0; i < NTASK; i++)
		if (c->t[i])
			return huge_pmd_folio(c->t[i]->mm, epa, e) != NULL;
	return false;	/* no task: no table either */
}

/* A machine of 64 MiB of @arch, with transparent huge pages ("always",
 * the huge zero page on) when @thp, and the "KEY=VALUE" overrides of @env
 * (a run's VMSIM_CORRUPT_SET, comma-separated:
 * "cpu.pse=false,buddy.max_order=8" runs without large pages and without
 * the allocator's THP order). */
static struct vmsim_machine *boot(const char *arch, bool thp, const char *env)
{
	char buf[256], *sets[16] = { "memory.size=64MiB" }, *save = NULL;
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;
	unsigned n = 1, fixed;

	if (thp) {
		sets[n++] = "transparent_hugepage.enabled=always";
		sets[n++] = "transparent_hugepage.use_zero_page=true";
	}
	fixed = n;
	if (env && strlen(env) >= sizeof(buf))
		fail_msg("VMSIM_CORRUPT_SET: longer than %zu bytes", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", env ? env : "");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n + 1 >= sizeof(sets) / sizeof(sets[0]))
			fail_msg("VMSIM_CORRUPT_SET: more than %zu settings",
				 sizeof(sets) / sizeof(sets[0]) - 1 - fixed);
		sets[n++] = tok;
	}
	m = vmsim_machine_create(arch, (const char *const *)sets, &err);
	if (!m)
		fail_msg("boot %s (VMSIM_CORRUPT_SET '%s'): %s", arch, env ? env : "", err.msg);
	return m;
}

static void run(const char *arch, unsigned s, unsigned nsteps, bool thp)
{
	struct ctx c = { .arch = arch, .seed = s, .thp = thp };
	struct vt_free before, after;
	unsigned long tables0, reported;

	c.m = boot(arch, thp, getenv("VMSIM_CORRUPT_SET"));
	/* thousands of reports: kept, not printed (but traced) */
	c.m->pt.console = trace ? stderr : NULL;
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
	for (c.step = 0; c.step < nsteps; c.step++) {
		struct task_struct **tp = pick(&c);
		unsigned k = rnd(100);
		const char *what;
		char who[16];

		if (!tp) {
			op_spawn(&c);
			continue;
		}
		reported = c.m->pt.nr_bad;
		snprintf(who, sizeof(who), "%s", task_name(*tp));
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
		if (trace)
			fprintf(stderr, "step %u: %s %s%s%s\n", c.step, what, who,
				c.m->pt.nr_bad != reported ? ": " : "",
				c.m->pt.nr_bad != reported ? c.m->pt.bad_msg : "");
		/* a report names the entry it cleared: empty now, or a table
		 * the fault path built anew there (or a huge PMD a fault
		 * mapped there since) -- unless the table holding the entry
		 * went back whole (a bad entry above it was met first), and
		 * its frame is something else by now */
		if (c.m->pt.nr_bad != reported && config_is_64(&c.m->cfg)) {
			unsigned long long va;
			char lvl[8];
			uint64_t epa, e;
			int depth;

			assert_int_equal(sscanf(c.m->pt.bad_msg, "mm/pgtable-generic.c:%*d: bad %7s %llx",
						lvl, &va), 2);
			epa = va - c.m->cfg.page_offset;
			depth = strcmp(lvl, "p4d") == 0 ? 0 : strcmp(lvl, "pud") == 0 ? 1 : 2;
			e = pt_read(&c.m->pt, epa);
			if (e && table_depth(&c.m->pt, epa & PAGE_MASK) == depth &&
			    pt_entry_kind(&c.m->pt, (unsigned)depth, epa, e, false) != PT_ENTRY_TABLE &&
			    !huge_pmd_at(&c, epa, e))
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
	hugepage_shutdown(&c.m->vm);
	vt_free_snapshot(c.m, &after);
	if (!pte_any && (after.total != before.total || c.m->pt.nr_tables != tables0))
		fail_msg("%s seed %u: %lu free pages and %lu tables before, %lu and %lu after", arch, s,
			 before.total, tables0, after.total, c.m->pt.nr_tables);
	/* a run of the usual length did what it is for */
	if (nsteps >= 1000) {
		assert_true(c.bad_flips > 10);
		assert_true(c.m->pt.nr_bad > 10);
		if (thp) {
			/* seeds 1-150 hit a huge PMD 7 times or more */
			assert_true(c.huge_flips > 4);
			assert_true(c.m->pm.vmstat.event[THP_FAULT_ALLOC] > 50 &&
				    c.m->pm.vmstat.event[THP_SPLIT_PMD] > 20);
		}
	}
	corrupt_kernel_root(&c);
	vmsim_machine_destroy(c.m);
}

/* A decimal number from the environment variable @name, or @def. */
static unsigned long env_num(const char *name, const char *text, unsigned long def)
{
	unsigned long v;
	char *end;

	if (!text || !*text)
		return def;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || (*end && *end != '-') || v == 0 || v > 1000000000)
		fail_msg("%s: bad number '%s'", name, text);
	return v;
}

/*
 * Seeds that failed once, each run to just past the step where it failed
 * (a seed's steps do not depend on how many follow):
 *  - a bad root entry met first gives back the whole subtree, the table
 *    holding the entry reported next included, whose frame is a slab page
 *    by the end of the step (the test then read a VMA as the entry);
 *  - a PMD naming another task's PMD table: the hardware walk maps that
 *    task's PTE table as a writable page, and a store wrote PTEs into it.
 */
static const struct {
	const char *arch;
	unsigned seed, steps;
	bool thp;
} regressions[] = {
	{ "x86_64", 24, 110, false },	/* a table freed whole */
	{ "x86_64", 207, 320, false },
	{ "x86_64", 264, 320, false },
	{ "x86_64", 285, 240, false },
	{ "x86_64", 188, 170, false },	/* a store into another task's PTE table */
	{ "x86_64", 256, 580, false },
};

/* The runs of @arch, with transparent huge pages or without (@thp);
 * VMSIM_CORRUPT_THP "0" or "1" keeps the sweep to the one kind. */
static void sweep(const char *arch, bool thp)
{
	const char *only = getenv("VMSIM_CORRUPT_ARCH"), *seeds = getenv("VMSIM_CORRUPT_SEEDS");
	const char *kind = getenv("VMSIM_CORRUPT_THP");
	unsigned long first = 1, last = NSEEDS;
	unsigned nsteps;

	if ((only && *only && strcmp(only, arch) != 0) ||
	    (kind && *kind && strcmp(kind, thp ? "1" : "0") != 0))
		skip();
	trace = getenv("VMSIM_CORRUPT_TRACE") != NULL;
	pte_any = getenv("VMSIM_CORRUPT_PTE_ANY") != NULL;
	nsteps = (unsigned)env_num("VMSIM_CORRUPT_STEPS", getenv("VMSIM_CORRUPT_STEPS"), NOPS);
	if (seeds && *seeds) {
		const char *dash = strchr(seeds, '-');

		last = env_num("VMSIM_CORRUPT_SEEDS", seeds, NSEEDS);
		if (dash) {
			first = last;
			last = env_num("VMSIM_CORRUPT_SEEDS", dash + 1, NSEEDS);
		}
	} else {
		for (size_t i = 0; i < sizeof(regressions) / sizeof(regressions[0]); i++)
			if (strcmp(regressions[i].arch, arch) == 0 && regressions[i].thp == thp)
				run(arch, regressions[i].seed, regressions[i].steps, thp);
	}
	for (unsigned long s = first; s <= last; s++)
		run(arch, (unsigned)s, nsteps, thp);
}

static void pgtable_corrupt(void **state)
{
	sweep(*state, false);
}

static void pgtable_corrupt_thp(void **state)
{
	sweep(*state, true);
}

/* Point @t's PTE for @va at frame @pa (writable, flags otherwise kept), as
 * a corrupted table would, and flush; returns the PTE it replaced. */
static uint64_t remap_pte(struct task_struct *t, uint64_t va, uint64_t pa)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	struct pt_path p;

	pt_lookup(&m->pt, t->mm->pgd, va, &p);
	assert_true(p.leaf);
	set_pte(&m->pt, p.epa[p.n - 1], (pa & PAGE_MASK) | (p.e[p.n - 1] & 0xfff) | _PAGE_RW);
	flush_tlbs(m, va);
	return p.e[p.n - 1];
}

static void restore_pte(struct task_struct *t, uint64_t va, uint64_t pte)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	struct pt_path p;

	pt_lookup(&m->pt, t->mm->pgd, va, &p);
	set_pte(&m->pt, p.epa[p.n - 1], pte);
	flush_tlbs(m, va);
}

/*
 * The simulator's own structures (task_struct, mm_struct, vm_area_struct,
 * anon_vma, anon_vma_chain) live in slab pages of simulated RAM, host pointers included:
 * no store the machine makes reaches them, whatever an entry says.  A
 * kernel store through the direct map is refused (EPERM), an entry write
 * into such a frame goes nowhere, a user store through a PTE naming the
 * frame is dropped and counted, and the walk's A/D writes skip an entry
 * it read from such a frame through a table entry naming it; loads still
 * see the bytes.  So is a user store into the zero page dropped (the
 * checker finds it still all zeroes).
 */
static void host_structs(void **state)
{
	const char *arch = *state;
	struct vmsim_machine *m = vt_boot(arch, "64MiB");
	const unsigned esz = m->pt.fmt->entry_size;
	const uint64_t a = 0x10000000;
	uint64_t v = 0x1122334455667788ULL;
	struct vm_area_struct *vma, saved;
	struct access_result r;
	struct vmsim_fault f;
	struct task_struct *t;
	uint64_t vpa, pte, got;

	m->pt.console = NULL;
	t = vt_spawn(m, "t", 0, 0);
	vt_mmap(t, a, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, a, 1), 0);
	vma = find_vma(t->mm, a);
	vpa = (uint64_t)((uint8_t *)vma - m->pm.ram);
	assert_true(frame_holds_host_structs(&m->pm, (unsigned long)(vpa >> PAGE_SHIFT)));
	saved = *vma;

	assert_int_equal(kwrite(m, m->cfg.page_offset + vpa, 8, v, &f), -EPERM);
	/* the reverse map's links: the anon_vma and its chain entry */
	{
		const struct anon_vma_chain *avc =
			list_first_entry(&vma->anon_vma_chain, struct anon_vma_chain, same_vma);
		const uint64_t apa[] = {
			(uint64_t)((const uint8_t *)vma->anon_vma - m->pm.ram),
			(uint64_t)((const uint8_t *)avc - m->pm.ram),
		};

		for (unsigned i = 0; i < 2; i++)
			assert_int_equal(kwrite(m, m->cfg.page_offset + apa[i], 8, v, &f), -EPERM);
	}
	assert_int_equal(kread(m, m->cfg.page_offset + vpa + offsetof(struct vm_area_struct,
								     vm_start), 4, &got, &f), 0);
	assert_int_equal(got, a & 0xffffffffULL);
	set_pte(&m->pt, vpa & ~(uint64_t)(esz - 1), v);

	pte = remap_pte(t, a, vpa);
	assert_int_equal(task_access(t, a + (vpa & (PAGE_SIZE - 8)), MMU_WRITE, &v, 8, &r), 0);
	assert_int_equal(r.segv, 0);
	assert_int_equal(m->nr_dropped_stores, 1);
	got = 0;
	assert_int_equal(task_access(t, a + (vpa & (PAGE_SIZE - 8)), MMU_READ, &got, 8, &r), 0);
	assert_memory_equal(&got, (uint8_t *)vma - (vpa & 7), 8);
	restore_pte(t, a, pte);
	assert_memory_equal(vma, &saved, sizeof(saved));

	/* a table entry naming the VMA's frame: the walk reads its bytes as
	 * PTEs; one shaped as a present PTE without A (vm_pgoff, set here
	 * by hand) maps a page, and the walk's A bit stays out of it */
	{
		const unsigned dir = m->pt.fmt->levels - 2;
		const uint64_t fpa = vpa + offsetof(struct vm_area_struct, vm_pgoff);
		const uint64_t shaped = (pte & PAGE_MASK) | _PAGE_PRESENT | _PAGE_USER;
		const uint64_t va2 = (a & ~(pt_entry_span(m->pt.fmt, dir) - 1)) +
				     ((fpa & (PAGE_SIZE - 1)) / esz) * PAGE_SIZE;
		const uint64_t pgoff = vma->vm_pgoff;
		struct pt_path p;

		vma->vm_pgoff = shaped;
		pt_lookup(&m->pt, t->mm->pgd, a, &p);
		set_pte(&m->pt, p.epa[dir], (vpa & PAGE_MASK) | (p.e[dir] & 0xfff));
		flush_tlbs(m, ~0ULL);
		assert_int_equal(task_access(t, va2, MMU_READ, &got, 8, &r), 0);
		assert_int_equal(r.segv, 0);
		assert_int_equal(got & 0xff, 1);	/* what t wrote at a */
		assert_int_equal(vma->vm_pgoff, shaped);
		vma->vm_pgoff = pgoff;
		set_pte(&m->pt, p.epa[dir], p.e[dir]);
		flush_tlbs(m, ~0ULL);
		vt_check(m);
	}

	/* the zero page, which every read-only anonymous page shares */
	pte = remap_pte(t, a, page_to_phys(&m->pm, m->vm.zero_page));
	assert_int_equal(task_access(t, a + 16, MMU_WRITE, &v, 8, &r), 0);
	restore_pte(t, a, pte);
	vt_check(m);
	assert_int_equal(m->nr_dropped_stores, 2);
	do_exit(t);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/*
 * A table entry of task a whose address names task b's page directory (a
 * page-table page, but not the one linked from that entry): the hardware
 * walk follows it, so a's PTEs there are b's PMD entries, and one of them
 * maps b's PTE table into a as a writable user page.  a's store there is
 * dropped (on a real machine it would write PTEs into b that no walk can
 * tell from real ones); a's next fault under the entry reports it and
 * clears it, and the checker passes throughout.
 */
static void wild_table_store(void **state)
{
	const char *arch = *state;
	struct vmsim_machine *m = vt_boot(arch, "64MiB");
	const unsigned dir = m->pt.fmt->levels - 2;	/* the PMD, or x86_32's PDE */
	const uint64_t vb = config_is_64(&m->cfg) ? 0x40000000 : 0x10000000;
	/* the address whose PTE index is b's PMD index for vb */
	const uint64_t va = vb + ((uint64_t)pt_index(m->pt.fmt, dir, vb) << PAGE_SHIFT);
	struct task_struct *a, *b;
	struct pt_path pa, pb;
	struct access_result r;
	uint64_t v = 0x1122334455667788ULL, got, bpte;

	m->pt.console = NULL;
	a = vt_spawn(m, "a", 0, 0);
	b = vt_spawn(m, "b", 0, 0);
	vt_mmap(a, vb, 1 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	vt_mmap(b, vb, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(a, vb, 1), 0);
	assert_int_equal(vt_write(b, vb, 2), 0);
	pt_lookup(&m->pt, b->mm->pgd, vb, &pb);
	pt_lookup(&m->pt, a->mm->pgd, vb, &pa);
	assert_true(pa.leaf && pb.leaf);
	bpte = pb.e[dir + 1];
	set_pte(&m->pt, pa.epa[dir], (pb.epa[dir] & PAGE_MASK) | (pa.e[dir] & 0xfff));
	flush_tlbs(m, ~0ULL);
	assert_int_equal(machine_check(m, &(struct vmsim_error){ 0 }), 0);

	assert_int_equal(task_access(a, va, MMU_WRITE, &v, sizeof(v), &r), 0);
	assert_int_equal(r.segv, 0);
	assert_int_equal(pt_read(&m->pt, pb.epa[dir + 1]), bpte);
	assert_int_equal(m->nr_dropped_stores, 1);
	assert_int_equal(task_access(a, va, MMU_READ, &got, sizeof(got), &r), 0);
	if (m->pt.fmt->entry_size == 4)
		got &= 0xffffffffULL;
	assert_int_equal(got, bpte);
	vt_check(m);

	/* the next page under the bad entry is b's next PMD slot, empty: a
	 * fault, which reports and clears the entry (a's pages below it go
	 * back with their table) */
	assert_int_equal(m->pt.nr_bad, 0);
	assert_int_equal(vt_read_ok(a, va + PAGE_SIZE), 0);
	assert_int_equal(m->pt.nr_bad, 1);
	assert_int_equal(vt_read_ok(a, vb), 0);
	assert_int_equal(vt_read_ok(b, vb), 2);
	do_exit(a);
	do_exit(b);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* Re-aim @t's huge PMD for @va at the huge-page span holding @pa (the
 * rights, A, D and the ignored bits kept), and flush. */
static void aim_huge_pmd(struct task_struct *t, uint64_t va, uint64_t pa)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	const uint64_t epa = mm_find_pmd(t->mm, va);

	set_pte(&m->pt, epa, pt_mk_leaf(&m->pt, m->vm.thp.pmd_depth, pa,
					pt_read(&m->pt, epa) & ~m->pt.fmt->entry_addr_mask));
	flush_tlbs(m, ~0ULL);
}

/*
 * A huge PMD whose address bits now name another span: the hardware maps
 * the 2 MiB (4 MiB on x86_32) there whatever it holds, and a user store
 * through it is judged 4 KiB by 4 KiB as through a PTE -- into the
 * simulator's own structures, the page table holding that very PMD, the
 * zero page or the huge zero page it is dropped and counted, and a load
 * reads the bytes.  And on x86_64, a PUD naming a slab frame of those
 * structures, one of whose fields is shaped as a huge PMD without A and
 * D: the walk maps the huge page the field names, and neither a read's A
 * nor a write's D reaches the field.  With the entries restored the
 * checker passes.
 */
static void huge_pmd_stores(void **state)
{
	const char *arch = *state;
	struct vmsim_machine *m = boot(arch, true, NULL);
	const uint64_t hsize = HPAGE_PMD_SIZE(&m->vm);
	const uint64_t a = config_is_64(&m->cfg) ? 0x40000000 : 0x10000000, z = a + hsize;
	uint64_t v = 0x1122334455667788ULL, pmd, epa, got, want;
	struct access_result r;
	struct task_struct *t;
	struct vm_area_struct *vma;
	struct page *folio;

	m->pt.console = NULL;
	t = vt_spawn(m, "t", 0, 0);
	vt_mmap(t, a, 2 * hsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, a, 1), 0);		/* a huge page */
	assert_int_equal(vt_read_ok(t, z), 0);		/* the huge zero page */
	epa = mm_find_pmd(t->mm, a);
	pmd = pt_read(&m->pt, epa);
	folio = huge_pmd_folio(t->mm, epa, pmd);
	assert_non_null(folio);
	assert_true(is_huge_zero_folio(&m->vm, huge_pmd_folio(t->mm, mm_find_pmd(t->mm, z),
							  pt_read(&m->pt, mm_find_pmd(t->mm, z)))));
	vma = find_vma(t->mm, a);

	{
		const uint64_t target[] = {
			(uint64_t)((uint8_t *)vma - m->pm.ram) + offsetof(struct vm_area_struct,
									   vm_start),
			epa,	/* the table holding the PMD */
			page_to_phys(&m->pm, m->vm.zero_page) + 64,
			page_to_phys(&m->pm, m->vm.thp.huge_zero_folio + 3) + 128,
		};

		for (unsigned i = 0; i < sizeof(target) / sizeof(target[0]); i++) {
			const uint64_t pa = target[i] & ~7ULL, va = a + (pa & (hsize - 1));

			aim_huge_pmd(t, a, pa);
			memcpy(&want, m->pm.ram + pa, 8);
			assert_int_equal(task_access(t, va, MMU_WRITE, &v, 8, &r), 0);
			assert_int_equal(r.segv, 0);
			assert_int_equal(m->nr_dropped_stores, i + 1);
			assert_memory_equal(m->pm.ram + pa, &want, 8);
			got = ~want;
			assert_int_equal(task_access(t, va, MMU_READ, &got, 8, &r), 0);
			assert_int_equal(got, want);
			set_pte(&m->pt, epa, pmd);
			flush_tlbs(m, ~0ULL);
			vt_check(m);
		}
	}

	if (config_is_64(&m->cfg)) {
		const unsigned pud = m->vm.thp.pmd_depth - 1;
		const uint64_t vpa = (uint64_t)((uint8_t *)vma - m->pm.ram);
		const uint64_t fpa = vpa + offsetof(struct vm_area_struct, vm_pgoff);
		const uint64_t shaped = pt_mk_leaf(&m->pt, m->vm.thp.pmd_depth,
						   page_to_phys(&m->pm, folio),
						   _PAGE_PRESENT | _PAGE_RW | _PAGE_USER);
		const uint64_t va2 = (a & ~(pt_entry_span(m->pt.fmt, pud) - 1)) +
				     ((fpa & (PAGE_SIZE - 1)) / 8) * hsize + 8;
		const uint64_t pgoff = vma->vm_pgoff;
		struct pt_path p;

		assert_true(frame_holds_host_structs(&m->pm, (unsigned long)(vpa >> PAGE_SHIFT)));
		vma->vm_pgoff = shaped;
		pt_lookup(&m->pt, t->mm->pgd, a, &p);
		set_pte(&m->pt, p.epa[pud], (vpa & PAGE_MASK) | (p.e[pud] & 0xfff));
		flush_tlbs(m, ~0ULL);
		assert_int_equal(task_access(t, va2 - 8, MMU_READ, &got, 8, &r), 0);
		assert_int_equal(r.segv, 0);
		assert_int_equal(got & 0xff, 1);	/* what t wrote at a */
		assert_int_equal(task_access(t, va2, MMU_WRITE, &v, 8, &r), 0);
		assert_int_equal(r.segv, 0);
		assert_int_equal(vma->vm_pgoff, shaped);
		vma->vm_pgoff = pgoff;
		set_pte(&m->pt, p.epa[pud], p.e[pud]);
		flush_tlbs(m, ~0ULL);
		assert_int_equal(vt_read_ok(t, a + 8), v);	/* the huge page's own store */
		assert_int_equal(m->nr_dropped_stores, 4);
	}
	vt_check(m);
	vt_teardown(m);
}

/*
 * A huge PMD made bad -- PS cleared, or an address bit changed -- when a
 * VMA boundary comes to cut its span (madvise(MADV_DONTFORK) over half of
 * it): the split finds no huge PMD to split, but the page its deposited
 * table records still spans both VMAs, and writing the old bits back
 * would make a huge PMD across them.  So the split reports and clears it
 * as a changing walk clears a bad entry, and the page goes back; the old
 * bits written back later are one more bad entry (the hardware maps the
 * freed frames through it, as a CPU would), which the next changing walk
 * reports and clears.  The checker passes throughout.
 */
static void bad_huge_pmd_split(void **state)
{
	const char *arch = *state;

	for (unsigned k = 0; k < 2; k++) {
		struct vmsim_machine *m = boot(arch, true, NULL);
		const uint64_t hsize = HPAGE_PMD_SIZE(&m->vm);
		const uint64_t a = config_is_64(&m->cfg) ? 0x40000000 : 0x10000000;
		struct task_struct *t;
		uint64_t epa, e;

		m->pt.console = NULL;
		t = vt_spawn(m, "t", 0, 0);
		vt_mmap(t, a, hsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
		assert_int_equal(vt_write(t, a, 1), 0);
		epa = mm_find_pmd(t->mm, a);
		e = pt_read(&m->pt, epa);
		assert_non_null(huge_pmd_folio(t->mm, epa, e));
		assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), (long)HPAGE_PMD_NR(&m->vm));
		set_pte(&m->pt, epa, e ^ (k ? hsize : _PAGE_PSE));
		flush_tlbs(m, ~0ULL);
		vt_check(m);

		assert_int_equal(do_madvise(t->mm, a + hsize / 2, hsize / 2, MADV_DONTFORK, NULL), 0);
		assert_int_equal(m->pt.nr_bad, 1);
		assert_int_equal(pt_read(&m->pt, epa), 0);
		assert_null(pgtable_trans_huge_deposited(&m->pt, epa));
		assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 0);
		vt_check(m);

		set_pte(&m->pt, epa, e);
		flush_tlbs(m, ~0ULL);
		assert_null(huge_pmd_folio(t->mm, epa, e));
		vt_check(m);
		assert_int_equal(do_munmap(t->mm, a, PAGE_SIZE), 0);
		assert_int_equal(m->pt.nr_bad, 2);
		assert_int_equal(pt_read(&m->pt, epa), 0);
		/* the page went back: demand-zero */
		assert_int_equal(vt_read_ok(t, a + PAGE_SIZE), 0);
		vt_check(m);
		vt_teardown(m);
	}
}

/*
 * A PTE naming a free frame (written by hand, or found through a
 * corrupted table) at fork: taking a reference on a page nobody holds
 * would free it a second time later, onto a free list it is already on
 * (the host then walks a corrupted list).  The copy reports the page and
 * leaves the child without that entry; the rest of the range is copied.
 */
static void fork_free_frame(void **state)
{
	const char *arch = *state;
	struct vmsim_machine *m = vt_boot(arch, "64MiB");
	const uint64_t a = 0x10000000;
	struct task_struct *t, *child;
	unsigned long bad;
	struct page *pg;
	uint64_t pte;

	m->pt.console = NULL;
	t = vt_spawn(m, "t", 0, 0);
	vt_mmap(t, a, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(vt_write(t, a + PAGE_SIZE, 2), 0);
	/* a frame in the middle of a large free block, which the fork's own
	 * few allocations leave alone */
	pg = alloc_pages(&m->pm, GFP_KERNEL, 10);
	assert_non_null(pg);
	__free_pages(&m->pm, pg, 10);
	pg += 512;
	pte = remap_pte(t, a, page_to_phys(&m->pm, pg));
	bad = m->pm.vmstat.bad_page;
	assert_int_equal(do_fork(t, "c", 0, &child), 0);
	assert_int_equal(m->pm.vmstat.bad_page, bad + 1);
	assert_int_equal(page_ref_count(pg), 0);
	assert_int_equal(mm_pte_lookup(child->mm, a), 0);
	restore_pte(t, a, pte);
	vt_check(m);
	assert_int_equal(vt_read_ok(child, a + PAGE_SIZE), 2);
	assert_int_equal(vt_read_ok(child, a), 0);	/* demand-zero, as never written */
	do_exit(child);
	do_exit(t);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* Each case on both formats: the state is the architecture's name. */
#define BOTH(fn)                                                        \
	{ #fn "_x86_64", fn, NULL, NULL, (void *)(uintptr_t) "x86_64" }, \
	{ #fn "_x86_32", fn, NULL, NULL, (void *)(uintptr_t) "x86_32" }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(pgtable_corrupt),
		BOTH(pgtable_corrupt_thp),
		BOTH(host_structs),
		BOTH(wild_table_store),
		BOTH(huge_pmd_stores),
		BOTH(bad_huge_pmd_split),
		BOTH(fork_free_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
