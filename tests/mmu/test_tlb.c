/*
 * The TLB model: geometry from the config, LRU replacement within a set
 * (L1 by stamps, L2 by its recency index),
 * the L2 refill path, global pages across CR3 loads, PCID separation,
 * invlpg of a large page, stale entries after an entry change without a
 * flush, the dirty-bit re-walk, invalidation on a fault, and a randomized
 * run that checks tlb_check() and compares every translation with a fresh
 * side-effect-free walk after each step, and a randomized run that checks
 * the L1d and L2 set by set against a list-per-set LRU model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "mmu/mmu.h"
#include "mmu_test.h"

#define URW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)

static void check(struct rig *r)
{
	char msg[200];

	if (tlb_check(r->cpu, msg, sizeof(msg)))
		fail_msg("tlb_check: %s", msg);
}

static uint64_t xl(struct rig *r, uint64_t va, enum mmu_access a)
{
	struct vmsim_fault f;
	uint64_t pa;

	if (!translate(r->cpu, va, a, MMU_USER, &pa, &f))
		return ~0ULL;
	check(r);
	return pa;
}

/* Map @n user pages @stride pages apart from @base (so they share a TLB
 * set when @stride is the set count) onto consecutive frames from @pa;
 * their addresses go to @va. */
static void map_strided(struct rig *r, uint64_t base, unsigned stride, uint64_t pa, unsigned n,
			uint64_t *va)
{
	for (unsigned i = 0; i < n; i++) {
		va[i] = base + (uint64_t)i * stride * 4096;
		assert_int_equal(pt_map(&r->m->pt, r->root, va[i], pa + i * 4096, 12, URW,
					_PAGE_TABLE), 0);
	}
}

static bool in_l1d(struct rig *r, uint64_t va)
{
	return tlb_array_lookup(&r->cpu->l1[TLB_D], va, r->cpu->pcid) ||
	       tlb_array_lookup(&r->cpu->l1_large[TLB_D], va, r->cpu->pcid);
}

static void test_tlb_geometry_from_config(void **state)
{
	const char *sets[] = { "tlb.l1d.entries=32", "tlb.l1d.ways=2", "tlb.l2.entries=256",
			       "tlb.l2.ways=8", NULL };
	const char *bad[] = { "tlb.l1d.entries=48", "tlb.l1d.ways=4", NULL };
	struct vmsim_error err = { 0 };
	struct tlb_stats st;
	struct rig r;

	(void)state;
	rig_init(&r, "x86_64", sets);
	assert_int_equal(r.cpu->l1[TLB_D].sets, 16);
	assert_int_equal(r.cpu->l1[TLB_D].ways, 2);
	assert_int_equal(r.cpu->l2.sets, 32);
	assert_int_equal(r.cpu->l1[TLB_I].entries, r.m->cfg.l1i.entries);
	assert_int_equal(r.cpu->l1_large[TLB_D].entries, r.m->cfg.l1d_large.entries);
	/* L2 holds 4 KiB and 2 MiB pages; the large L1 2 MiB and 1 GiB */
	assert_int_equal(r.cpu->l2.nshifts, 2);
	assert_int_equal(r.cpu->l1_large[TLB_D].nshifts, 2);
	/* fill every way of one L1d set, then one more */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pt_map(&r.m->pt, r.root, 0x10000000ULL + i * 16 * 4096, 0x100000 + i * 4096,
					12, URW, _PAGE_TABLE), 0);
	for (unsigned i = 0; i < 3; i++)
		xl(&r, 0x10000000ULL + i * 16 * 4096, MMU_READ);
	assert_int_equal(tlb_array_valid(&r.cpu->l1[TLB_D]), 2);
	tlb_get_stats(r.cpu, TLB_D, &st);
	assert_int_equal(st.evictions, 1);
	rig_finish(&r);

	assert_null(vmsim_machine_create("x86_64", bad, &err));
	assert_non_null(strstr(err.msg, "power of two"));
}

static void test_tlb_lru_replacement(void **state)
{
	struct rig r;
	/* default L1d: 64 entries, 4 ways, 16 sets: a stride of 16 pages
	 * lands in one set */
	uint64_t va[5];

	(void)state;
	rig_init(&r, "x86_64", NULL);
	map_strided(&r, 0x20000000ULL, 16, 0x200000, 5, va);
	for (unsigned i = 0; i < 4; i++)
		xl(&r, va[i], MMU_READ);
	for (unsigned i = 0; i < 4; i++)
		assert_true(in_l1d(&r, va[i]));
	xl(&r, va[0], MMU_READ);	/* va[1] is now the least recently used */
	xl(&r, va[4], MMU_READ);
	assert_true(in_l1d(&r, va[0]));
	assert_false(in_l1d(&r, va[1]));
	assert_true(in_l1d(&r, va[2]) && in_l1d(&r, va[3]) && in_l1d(&r, va[4]));
	/* va[1] comes back from L2 without a walk */
	uint64_t walks = r.cpu->st.walks, l2hits = r.cpu->st_l2.hits;

	assert_int_equal(xl(&r, va[1], MMU_READ), 0x201000);
	assert_int_equal(r.cpu->st.walks, walks);
	assert_int_equal(r.cpu->st_l2.hits, l2hits + 1);
	assert_false(in_l1d(&r, va[2]));	/* the next LRU victim */
	rig_finish(&r);
}

/* The L2 (12 ways, victim from its recency index): a page the L1 lost and
 * the L2 gave back is the most recent of its set again, so the next walk
 * into the set evicts the page used least recently after it, and an
 * invlpg frees a way that the next walk takes before any valid one. */
static void test_tlb_l2_lru_replacement(void **state)
{
	struct rig r;
	/* default L2: 1536 entries, 12 ways, 128 sets: a stride of 128
	 * pages lands in one set (and in one L1d set, which keeps 4) */
	uint64_t va[14];
	const struct tlb_array *l2;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	l2 = &r.cpu->l2;
	assert_int_equal(l2->ways, 12);
	map_strided(&r, 0x30000000ULL, 128, 0x300000, 14, va);
	for (unsigned i = 0; i < 12; i++)
		xl(&r, va[i], MMU_READ);
	for (unsigned i = 0; i < 12; i++)
		assert_non_null(tlb_array_lookup(&r.cpu->l2, va[i], 0));
	uint64_t walks = r.cpu->st.walks;

	xl(&r, va[0], MMU_READ);	/* L1d miss, L2 hit: va[1] is now the L2's LRU */
	assert_int_equal(r.cpu->st.walks, walks);
	xl(&r, va[12], MMU_READ);
	assert_null(tlb_array_lookup(&r.cpu->l2, va[1], 0));
	assert_non_null(tlb_array_lookup(&r.cpu->l2, va[0], 0));
	for (unsigned i = 2; i <= 12; i++)
		assert_non_null(tlb_array_lookup(&r.cpu->l2, va[i], 0));
	/* a free way goes before the LRU one (va[2]) */
	invlpg(r.cpu, va[7]);
	check(&r);
	xl(&r, va[13], MMU_READ);
	assert_non_null(tlb_array_lookup(&r.cpu->l2, va[2], 0));
	assert_non_null(tlb_array_lookup(&r.cpu->l2, va[13], 0));
	assert_null(tlb_array_lookup(&r.cpu->l2, va[7], 0));
	assert_int_equal(tlb_array_valid(l2), 12);
	rig_finish(&r);
}

static void test_tlb_global_survives_cr3_load(void **state)
{
	struct rig r;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x30000000, 0x300000, 12, URW | _PAGE_GLOBAL,
				_PAGE_TABLE), 0);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x30001000, 0x301000, 12, URW, _PAGE_TABLE), 0);
	xl(&r, 0x30000000, MMU_READ);
	xl(&r, 0x30001000, MMU_READ);
	mmu_load_cr3(r.cpu, r.root, 0, false);
	check(&r);
	assert_true(in_l1d(&r, 0x30000000));
	assert_false(in_l1d(&r, 0x30001000));
	assert_non_null(tlb_array_lookup(&r.cpu->l2, 0x30000000, 0));
	assert_null(tlb_array_lookup(&r.cpu->l2, 0x30001000, 0));
	tlb_flush_all(r.cpu);
	assert_false(in_l1d(&r, 0x30000000));
	/* the kernel direct map is global: it survives a switch of roots */
	xl(&r, 0x30000000, MMU_READ);
	{
		struct vmsim_fault f;
		uint64_t pa;

		assert_true(translate(r.cpu, 0xffff880000005000ULL, MMU_READ, MMU_KERNEL, &pa, &f));
		mmu_load_cr3(r.cpu, r.m->vm.kernel_pgd, 0, false);
		assert_non_null(tlb_array_lookup(&r.cpu->l1_large[TLB_D], 0xffff880000005000ULL, 0));
		mmu_load_cr3(r.cpu, r.root, 0, false);
	}
	rig_finish(&r);
}

static void test_tlb_pcid_separation(void **state)
{
	const char *sets[] = { "cpu.pcid=true", NULL };
	struct rig r;
	uint64_t root_b, epa;

	(void)state;
	rig_init(&r, "x86_64", sets);
	assert_int_equal(mm_pgd_alloc(r.m, &root_b), 0);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x40000000, 0xa00000, 12, URW, _PAGE_TABLE), 0);
	assert_int_equal(pt_map(&r.m->pt, root_b, 0x40000000, 0xb00000, 12, URW, _PAGE_TABLE), 0);
	mmu_load_cr3(r.cpu, r.root, 1, false);
	assert_int_equal(xl(&r, 0x40000000, MMU_READ), 0xa00000);
	mmu_load_cr3(r.cpu, root_b, 2, false);
	assert_int_equal(xl(&r, 0x40000000, MMU_READ), 0xb00000);
	/* back to PCID 1 without flush: its entry is still there, so a
	 * change to A's tables without invlpg is not seen */
	assert_int_equal(pt_alloc_entry(&r.m->pt, r.root, 0x40000000, 3, _PAGE_TABLE, &epa), 0);
	set_pte(&r.m->pt, epa, pt_mk_leaf(&r.m->pt, 3, 0xc00000, URW));
	mmu_load_cr3(r.cpu, r.root, 1, true);
	assert_int_equal(xl(&r, 0x40000000, MMU_READ), 0xa00000);
	assert_non_null(tlb_array_lookup(&r.cpu->l1[TLB_D], 0x40000000, 2));
	/* flushing PCID 1 drops only its entries */
	tlb_flush_pcid(r.cpu, 1);
	assert_null(tlb_array_lookup(&r.cpu->l1[TLB_D], 0x40000000, 1));
	assert_non_null(tlb_array_lookup(&r.cpu->l1[TLB_D], 0x40000000, 2));
	assert_int_equal(xl(&r, 0x40000000, MMU_READ), 0xc00000);
	/* a CR3 load without noflush flushes the PCID loaded */
	mmu_load_cr3(r.cpu, root_b, 2, false);
	assert_null(tlb_array_lookup(&r.cpu->l1[TLB_D], 0x40000000, 2));
	assert_non_null(tlb_array_lookup(&r.cpu->l1[TLB_D], 0x40000000, 1));
	mmu_load_cr3(r.cpu, r.root, 1, true);
	pt_free_empty(&r.m->pt, root_b, 0, r.m->cfg.task_size - 1);
	pgd_free(&r.m->pt, root_b);
	rig_finish(&r);
}

static void test_tlb_invlpg_large_page(void **state)
{
	struct rig r;
	uint64_t epa;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x60000000, 0x1000000, 21, URW, _PAGE_TABLE), 0);
	assert_int_equal(xl(&r, 0x60012345, MMU_READ), 0x1012345);
	assert_int_equal(xl(&r, 0x60100000, MMU_READ), 0x1100000);
	/* one large entry serves the whole 2 MiB */
	assert_int_equal(tlb_array_valid(&r.cpu->l1_large[TLB_D]), 1);
	assert_int_equal(tlb_array_valid(&r.cpu->l1[TLB_D]), 0);
	assert_int_equal(pt_alloc_entry(&r.m->pt, r.root, 0x60000000, 2, _PAGE_TABLE, &epa), 0);
	set_pte(&r.m->pt, epa, pt_mk_leaf(&r.m->pt, 2, 0x1400000, URW));
	/* stale until invalidated ... */
	assert_int_equal(xl(&r, 0x60012345, MMU_READ), 0x1012345);
	/* ... and invlpg of any address inside the large page drops it */
	invlpg(r.cpu, 0x601ff000);
	check(&r);
	assert_int_equal(xl(&r, 0x60012345, MMU_READ), 0x1412345);
	assert_int_equal(xl(&r, 0x60100000, MMU_READ), 0x1500000);
	rig_finish(&r);
}

static void test_tlb_stale_entry_without_flush(void **state)
{
	struct rig r;
	struct pt_path p;

	(void)state;
	rig_init(&r, "x86_32", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x08048000, 0x500000, 12, URW, _PAGE_TABLE), 0);
	assert_int_equal(xl(&r, 0x08048010, MMU_READ), 0x500010);
	pt_lookup(&r.m->pt, r.root, 0x08048000, &p);
	assert_true(p.leaf);
	/* clear P without a flush: the TLB still translates */
	set_pte(&r.m->pt, p.epa[p.n - 1], 0);
	assert_int_equal(xl(&r, 0x08048010, MMU_READ), 0x500010);
	invlpg(r.cpu, 0x08048000);
	assert_int_equal(xl(&r, 0x08048010, MMU_READ), ~0ULL);
	/* remap to another frame: stale until flushed */
	set_pte(&r.m->pt, p.epa[p.n - 1], pt_mk_leaf(&r.m->pt, 1, 0x600000, URW));
	assert_int_equal(xl(&r, 0x08048010, MMU_READ), 0x600010);
	set_pte(&r.m->pt, p.epa[p.n - 1], pt_mk_leaf(&r.m->pt, 1, 0x700000, URW));
	assert_int_equal(xl(&r, 0x08048010, MMU_READ), 0x600010);
	mmu_load_cr3(r.cpu, r.root, 0, false);
	assert_int_equal(xl(&r, 0x08048010, MMU_READ), 0x700010);
	rig_finish(&r);
}

static void test_tlb_write_through_clean_entry_rewalks(void **state)
{
	struct rig r;
	struct pt_path p;
	struct vmsim_fault f;
	uint64_t pa, walks;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x70000000, 0x800000, 12, URW, _PAGE_TABLE), 0);
	pt_lookup(&r.m->pt, r.root, 0x70000000, &p);
	xl(&r, 0x70000000, MMU_READ);
	assert_true(p.e[3] == pt_read(&r.m->pt, p.epa[3]) - _PAGE_ACCESSED);
	walks = r.cpu->st.walks;
	xl(&r, 0x70000000, MMU_READ);
	assert_int_equal(r.cpu->st.walks, walks);	/* a hit */
	assert_int_equal(xl(&r, 0x70000008, MMU_WRITE), 0x800008);
	assert_int_equal(r.cpu->st.walks, walks + 1);	/* the write re-walked */
	assert_true(pt_read(&r.m->pt, p.epa[3]) & _PAGE_DIRTY);
	xl(&r, 0x70000010, MMU_WRITE);
	assert_int_equal(r.cpu->st.walks, walks + 1);	/* now dirty in the TLB */

	/* a clean entry whose PTE became read-only: the write re-walks and
	 * faults, and the fault drops the stale entry */
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x70001000, 0x801000, 12, URW, _PAGE_TABLE), 0);
	xl(&r, 0x70001000, MMU_READ);
	pt_lookup(&r.m->pt, r.root, 0x70001000, &p);
	set_pte(&r.m->pt, p.epa[3], p.e[3] & ~_PAGE_RW);
	assert_false(translate(r.cpu, 0x70001000, MMU_WRITE, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x7);
	assert_false(in_l1d(&r, 0x70001000));
	assert_null(tlb_array_lookup(&r.cpu->l2, 0x70001000, 0));
	assert_false(pt_read(&r.m->pt, p.epa[3]) & _PAGE_DIRTY);
	/* a dirty entry whose PTE became read-only: the stale entry allows
	 * the write, as the hardware does */
	set_pte(&r.m->pt, p.epa[3], p.e[3] | _PAGE_DIRTY);
	xl(&r, 0x70001000, MMU_WRITE);
	set_pte(&r.m->pt, p.epa[3], (p.e[3] | _PAGE_DIRTY) & ~_PAGE_RW);
	assert_int_equal(xl(&r, 0x70001000, MMU_WRITE), 0x801000);
	rig_finish(&r);
}

static void test_tlb_wp_change_rejudges_entries(void **state)
{
	struct rig r;
	struct vmsim_fault f;
	uint64_t pa;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x71000000, 0x900000, 12,
				_PAGE_PRESENT | _PAGE_DIRTY, _PAGE_TABLE), 0);
	assert_false(translate(r.cpu, 0x71000000, MMU_WRITE, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x3);
	mmu_set_wp(r.cpu, false);
	assert_true(translate(r.cpu, 0x71000000, MMU_WRITE, MMU_KERNEL, &pa, &f));
	check(&r);
	mmu_set_wp(r.cpu, true);
	check(&r);
	assert_false(translate(r.cpu, 0x71000000, MMU_WRITE, MMU_KERNEL, &pa, &f));
	rig_finish(&r);
}

static void test_tlb_fetch_uses_l1i(void **state)
{
	struct rig r;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x72000000, 0xa00000, 12, URW, _PAGE_TABLE), 0);
	xl(&r, 0x72000000, MMU_FETCH);
	assert_non_null(tlb_array_lookup(&r.cpu->l1[TLB_I], 0x72000000, 0));
	assert_false(in_l1d(&r, 0x72000000));
	assert_int_equal(r.cpu->st_l1[TLB_I].misses, 1);
	rig_finish(&r);
}

static void test_tlb_statistics_count(void **state)
{
	struct rig r;
	struct tlb_stats d, l2;

	(void)state;
	rig_init(&r, "x86_64", NULL);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x73000000, 0xb00000, 12, URW, _PAGE_TABLE), 0);
	for (unsigned i = 0; i < 10; i++)
		xl(&r, 0x73000000 + i * 8, MMU_READ);
	tlb_get_stats(r.cpu, TLB_D, &d);
	tlb_get_stats(r.cpu, 2, &l2);
	assert_int_equal(d.misses, 1);
	assert_int_equal(d.hits, 9);
	assert_int_equal(d.fills, 1);
	assert_int_equal(l2.misses, 1);
	assert_int_equal(l2.hits, 0);
	assert_int_equal(l2.fills, 1);
	assert_int_equal(r.cpu->st.walks, 1);
	assert_int_equal(r.cpu->st.entries_read, 4);
	/* _PAGE_TABLE entries carry A already (as Linux makes them): only
	 * the PTE gets A */
	assert_int_equal(r.cpu->st.ad_writes, 1);
	/* one write: a clean entry, so a second walk, which sets D */
	xl(&r, 0x73000000, MMU_WRITE);
	tlb_get_stats(r.cpu, TLB_D, &d);
	assert_int_equal(d.misses, 2);
	assert_int_equal(r.cpu->st.walks, 2);
	assert_int_equal(r.cpu->st.ad_writes, 2);
	invlpg(r.cpu, 0x73000000);
	tlb_flush_all(r.cpu);
	tlb_get_stats(r.cpu, TLB_D, &d);
	assert_int_equal(d.invlpg, 1);
	assert_int_equal(d.flushes, 3);	/* CR3 loads at boot and in rig_init, and this */
	rig_finish(&r);
}

/* Random operations; after each, every mapped page must translate as a
 * fresh walk says (tables never change behind the TLB's back here). */
static void random_run(const char *name, const char **sets)
{
	struct rig r;
	const unsigned npages = 3000;
	uint64_t base = 0x10000000;

	rig_init(&r, name, sets);
	srand(7);
	for (unsigned i = 0; i < npages; i++) {
		/* a mix of 4 KiB and 2/4 MiB pages, some global */
		uint64_t va = base + (uint64_t)i * 4096;
		uint64_t fl = URW | (i % 7 == 0 ? _PAGE_GLOBAL : 0) | (i % 5 == 0 ? 0 : _PAGE_DIRTY);

		assert_int_equal(pt_map(&r.m->pt, r.root, va, 0x2000000 + (uint64_t)(i * 7919 % 4096) * 4096,
					12, fl, _PAGE_TABLE), 0);
	}
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x40000000, 0x400000, config_pmd_shift(&r.m->cfg),
				URW, _PAGE_TABLE), 0);
	for (unsigned step = 0; step < 200000; step++) {
		unsigned op = (unsigned)rand() % 1000;
		uint64_t va = rand() % 8 ? base + ((uint64_t)rand() % npages) * 4096 + (unsigned)rand() % 4096
					 : 0x40000000 + (uint64_t)rand() % (2u << 20);
		enum mmu_access a = (enum mmu_access)(rand() % 3);
		struct walk_result w;
		struct vmsim_fault f1, f2;
		uint64_t pa;
		bool ok1, ok2;

		if (op < 3)
			invlpg(r.cpu, va);
		else if (op < 4)
			mmu_load_cr3(r.cpu, r.root, 0, false);
		else if (op < 5)
			tlb_flush_all(r.cpu);
		ok2 = mmu_walk_peek(r.cpu, r.root, va, a, MMU_USER, &w, &f2, NULL);
		ok1 = translate(r.cpu, va, a, MMU_USER, &pa, &f1);
		if (ok1 != ok2 || (ok1 && pa != w.pa) || (!ok1 && f1.error_code != f2.error_code))
			fail_msg("%s step %u va %#llx acc %d: tlb %d %#llx, walk %d %#llx", name, step,
				 (unsigned long long)va, a, ok1, (unsigned long long)pa, ok2,
				 (unsigned long long)w.pa);
		if (step % 97 == 0)
			check(&r);
	}
	check(&r);
	struct tlb_stats st;

	tlb_get_stats(r.cpu, TLB_D, &st);
	print_message("%s: L1d hits %llu misses %llu evictions %llu\n", name, (unsigned long long)st.hits, (unsigned long long)st.misses, (unsigned long long)st.evictions);
	assert_true(st.hits > 1000 && st.evictions > 0 && st.misses > 0);
	if (r.cpu->l2.entries)
		assert_true(r.cpu->st_l2.hits > 0);
	rig_finish(&r);
}

static void test_tlb_random_matches_walk(void **state)
{
	const char *pcid[] = { "cpu.pcid=true", NULL };
	const char *small[] = { "tlb.l2.entries=0", "tlb.l1d_large.entries=0", NULL };
	/* a 4-way L1i: fetches take the usual miss path too (the default
	 * 8-way L1i sends them down the general one) */
	const char *l1i4[] = { "tlb.l1i.entries=64", "tlb.l1i.ways=4", NULL };

	(void)state;
	random_run("x86_64", NULL);
	random_run("x86_32", NULL);
	random_run("x86_64", pcid);
	random_run("x86_64", small);
	random_run("x86_64", l1i4);
	random_run("x86_32", l1i4);
	random_run("x86_32-pae", NULL);
	random_run("x86_64-la57", NULL);
	random_run("x86_64-la57", pcid);
}

/*
 * Exact LRU against a model: a random stream of reads (and some invlpgs)
 * over more pages than the L2 holds, under geometries that take each way
 * of choosing a victim (4-way tournament, the general pass over stamps,
 * the L2's recency index, an L2 too wide for one), and after every step
 * the L1d and L2 sets the page maps to hold exactly what a list-per-set
 * LRU model says.  The model: an L1 hit renews the L1 entry only; an L1
 * miss that hits the L2 renews the L2 entry and fills the L1; a miss in
 * both fills the L2 then the L1; a fill evicts a set's least recent entry
 * only when the set is full; invlpg removes the page from both.
 */
struct lru_model {
	unsigned ways, sets;
	uint64_t *vpn;		/* per set, ways slots, most recent first */
	unsigned *n;		/* per set: slots in use */
};

static void model_init(struct lru_model *m, const struct tlb_array *a)
{
	m->ways = a->ways;
	m->sets = a->sets;
	m->vpn = calloc((size_t)a->entries + 1, sizeof(*m->vpn));
	m->n = calloc((size_t)a->sets + 1, sizeof(*m->n));
	assert_non_null(m->vpn);
	assert_non_null(m->n);
}

static void model_finish(struct lru_model *m)
{
	free(m->vpn);
	free(m->n);
}

/* Index of @vpn in its set, or -1. */
static int model_find(const struct lru_model *m, uint64_t vpn)
{
	unsigned s = (unsigned)(vpn & (m->sets - 1));

	for (unsigned i = 0; i < m->n[s]; i++)
		if (m->vpn[s * m->ways + i] == vpn)
			return (int)i;
	return -1;
}

static void model_remove(struct lru_model *m, uint64_t vpn)
{
	unsigned s = (unsigned)(vpn & (m->sets - 1));
	int i = model_find(m, vpn);

	if (i < 0)
		return;
	memmove(&m->vpn[s * m->ways + (unsigned)i], &m->vpn[s * m->ways + (unsigned)i + 1],
		(m->n[s] - (unsigned)i - 1) * sizeof(*m->vpn));
	m->n[s]--;
}

/* Make @vpn the most recent of its set, evicting the least recent if it
 * is new and the set full.  Returns whether it was there. */
static bool model_use(struct lru_model *m, uint64_t vpn)
{
	unsigned s = (unsigned)(vpn & (m->sets - 1));
	bool had = model_find(m, vpn) >= 0;
	uint64_t *set = &m->vpn[s * m->ways];

	if (had)
		model_remove(m, vpn);
	else if (m->n[s] == m->ways)
		m->n[s]--;	/* the least recent goes */
	memmove(&set[1], &set[0], m->n[s] * sizeof(*set));
	set[0] = vpn;
	m->n[s]++;
	return had;
}

/* The set of @a that @vpn maps to holds exactly the model's pages. */
static void model_check(const struct lru_model *m, const struct tlb_array *a, uint64_t vpn,
			const char *what, unsigned step)
{
	unsigned s = (unsigned)(vpn & (m->sets - 1)), valid = 0;

	for (unsigned w = 0; w < a->ways; w++)
		valid += a->tag[s * a->ways + w] != TLB_TAG_INVALID;
	if (valid != m->n[s])
		fail_msg("step %u: %s set %u holds %u pages, the model %u", step, what, s, valid,
			 m->n[s]);
	for (unsigned i = 0; i < m->n[s]; i++)
		if (!tlb_array_lookup((struct tlb_array *)a, m->vpn[s * m->ways + i] << 12, 0))
			fail_msg("step %u: %s set %u lost page %#llx (model rank %u)", step, what,
				 s, (unsigned long long)m->vpn[s * m->ways + i], i);
}

static void lru_run(const char **sets, unsigned steps)
{
	struct rig r;
	struct lru_model l1, l2;
	const uint64_t base = 0x40000000ULL;
	unsigned npages, seed = 12345;
	bool has_l2;

	rig_init(&r, "x86_64", sets);
	has_l2 = r.cpu->l2.entries != 0;
	npages = 2 * (has_l2 ? r.cpu->l2.entries : r.cpu->l1[TLB_D].entries);
	for (unsigned i = 0; i < npages; i++)
		assert_int_equal(pt_map(&r.m->pt, r.root, base + (uint64_t)i * 4096,
					0x1000000 + (uint64_t)i * 4096, 12, URW, _PAGE_TABLE), 0);
	model_init(&l1, &r.cpu->l1[TLB_D]);
	if (has_l2)
		model_init(&l2, &r.cpu->l2);
	for (unsigned step = 0; step < steps; step++) {
		unsigned x, page;
		uint64_t vpn;

		seed = seed * 1103515245u + 12345u;
		x = seed >> 8;
		/* mostly a small hot set (L1 hits), else anywhere */
		page = x % 4 ? x % (r.cpu->l1[TLB_D].entries * 2) : x % npages;
		vpn = (base >> 12) + page;
		if (x % 97 == 0) {
			invlpg(r.cpu, vpn << 12);
			model_remove(&l1, vpn);
			if (has_l2)
				model_remove(&l2, vpn);
		} else {
			assert_int_equal(xl(&r, vpn << 12, MMU_READ), 0x1000000 + (uint64_t)page * 4096);
			if (!model_use(&l1, vpn) && has_l2)
				model_use(&l2, vpn);
		}
		model_check(&l1, &r.cpu->l1[TLB_D], vpn, "L1d", step);
		if (has_l2)
			model_check(&l2, &r.cpu->l2, vpn, "L2", step);
	}
	model_finish(&l1);
	if (has_l2)
		model_finish(&l2);
	rig_finish(&r);
}

static void test_tlb_random_lru_matches_model(void **state)
{
	/* L1d 4-way (tournament), L2 12-way (recency index) */
	const char *dflt[] = { NULL };
	/* 2-way and 8-way L1d (the general pass), an L2 of 32 ways (too
	 * wide for a recency index: stamps) */
	const char *two[] = { "tlb.l1d.entries=32", "tlb.l1d.ways=2", "tlb.l2.entries=256",
			      "tlb.l2.ways=8", NULL };
	const char *wide[] = { "tlb.l1d.entries=64", "tlb.l1d.ways=8", "tlb.l2.entries=512",
			       "tlb.l2.ways=32", NULL };
	/* a fully associative L1d and no L2 */
	const char *full[] = { "tlb.l1d.entries=16", "tlb.l1d.ways=16", "tlb.l2.entries=0", NULL };

	(void)state;
	lru_run(dflt, 20000);
	lru_run(two, 20000);
	lru_run(wide, 20000);
	lru_run(full, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlb_geometry_from_config),
		cmocka_unit_test(test_tlb_lru_replacement),
		cmocka_unit_test(test_tlb_l2_lru_replacement),
		cmocka_unit_test(test_tlb_global_survives_cr3_load),
		cmocka_unit_test(test_tlb_pcid_separation),
		cmocka_unit_test(test_tlb_invlpg_large_page),
		cmocka_unit_test(test_tlb_stale_entry_without_flush),
		cmocka_unit_test(test_tlb_write_through_clean_entry_rewalks),
		cmocka_unit_test(test_tlb_wp_change_rejudges_entries),
		cmocka_unit_test(test_tlb_fetch_uses_l1i),
		cmocka_unit_test(test_tlb_statistics_count),
		cmocka_unit_test(test_tlb_random_matches_walk),
		cmocka_unit_test(test_tlb_random_lru_matches_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
