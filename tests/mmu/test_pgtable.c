/*
 * Page-table editing: allocation of missing levels, entry construction,
 * map/unmap with page-size choice, freeing empty tables, range walks, and
 * running out of simulated memory.  check_tables() recounts the table
 * pages reachable from a root and compares with what pt_ctx says was
 * allocated and with the PG_table flags, after every mutation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "mmu/mmu.h"

#define URW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)

static struct vmsim_machine *boot(const char *name, const char **sets)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(name, sets, &err);

	if (!m)
		fail_msg("%s", err.msg);
	return m;
}

struct count {
	const struct pt_ctx *pt;
	unsigned long tables, leaves;
	uint64_t last_va;
	bool ordered;
};

static int count_visit(void *arg, uint64_t va, unsigned depth, uint64_t epa, uint64_t e, bool leaf)
{
	struct count *c = arg;

	(void)epa;
	if (leaf) {
		c->leaves++;
		if (c->leaves > 1 && va <= c->last_va)
			c->ordered = false;
		c->last_va = va;
	} else {
		struct page *p = pfn_to_page(c->pt->pm, (unsigned long)(pt_entry_addr(c->pt, depth, e) >> 12));

		if (!PageTable(p))
			fail_msg("table at depth %u for %#llx lacks PG_table", depth + 1,
				 (unsigned long long)va);
		c->tables++;
	}
	return 0;
}

/* Tables reachable from @root in the user half == what pt_ctx counts
 * beyond the kernel's own (@base tables). */
static void check_tables(struct vmsim_machine *m, uint64_t root, unsigned long base)
{
	struct count c = { &m->pt, 0, 0, 0, true };

	pt_walk_range(&m->pt, root, 0, m->cfg.task_size - 1, count_visit, &c);
	assert_true(c.ordered);
	if (c.tables + 1 + base != m->pt.nr_tables)
		fail_msg("%lu user tables + root + %lu kernel != %lu allocated", c.tables, base,
			 m->pt.nr_tables);
}

static void check_map_unmap(const char *name)
{
	struct vmsim_machine *m = boot(name, NULL);
	struct pt_ctx *pt = &m->pt;
	unsigned long base = pt->nr_tables, free0 = nr_free_pages_with_pcp(&m->pm);
	unsigned large = config_pmd_shift(&m->cfg);
	uint64_t root, epa, old;
	unsigned long rooted;
	struct pt_path p;

	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	check_tables(m, root, base);
	/* PAE: the root comes with its 3 user PMD tables */
	rooted = pt->nr_tables;
	assert_int_equal(rooted, base + 1 + (pt->fmt->root_regs ? 3 : 0));
	/* 4 KiB page: every missing level allocated once (under PAE only
	 * the page table is missing) */
	assert_int_equal(pt_map(pt, root, 0x8048000, 0x100000, 12, URW, _PAGE_TABLE), 0);
	check_tables(m, root, base);
	assert_int_equal(pt->nr_tables, rooted + pt->fmt->levels - 1 - (pt->fmt->root_regs ? 1 : 0));
	assert_int_equal(pt_map(pt, root, 0x8049000, 0x101000, 12, URW, _PAGE_TABLE), 0);
	assert_int_equal(pt->nr_tables, rooted + pt->fmt->levels - 1 - (pt->fmt->root_regs ? 1 : 0));
	pt_lookup(pt, root, 0x8049000, &p);
	assert_true(p.leaf);
	assert_int_equal(p.n, pt->fmt->levels);
	assert_int_equal(pt_entry_addr(pt, p.n - 1, p.e[p.n - 1]), 0x101000);
	/* a large page where a table of 4 KiB pages is: refused */
	assert_int_equal(pt_map(pt, root, 0x8000000, 0x400000, large, URW, _PAGE_TABLE), -EEXIST);
	/* misaligned or impossible sizes */
	assert_int_equal(pt_map(pt, root, 0x8001000, 0x400000, large, URW, _PAGE_TABLE), -EINVAL);
	assert_int_equal(pt_map(pt, root, 0x8001000, 0x400000, 13, URW, _PAGE_TABLE), -EINVAL);
	/* a large page, then a 4 KiB entry beneath it: refused */
	assert_int_equal(pt_map(pt, root, 0x10000000, 0x400000, large, URW, _PAGE_TABLE), 0);
	check_tables(m, root, base);
	assert_int_equal(pt_alloc_entry(pt, root, 0x10001000, pt->fmt->levels - 1, _PAGE_TABLE, &epa),
			 -EEXIST);
	pt_lookup(pt, root, 0x10001000, &p);
	assert_true(p.leaf);
	assert_int_equal(p.n, pt->fmt->levels - 1);
	assert_int_equal(pt_entry_addr(pt, p.n - 1, p.e[p.n - 1]), 0x400000);
	/* pt_map_range picks large pages where aligned, 4 KiB elsewhere */
	assert_int_equal(pt_map_range(pt, root, 0x20000000 - 0x2000, 0x1000000 - 0x2000,
				      (1ULL << large) + 0x3000, URW, _PAGE_TABLE, large), 0);
	check_tables(m, root, base);
	pt_lookup(pt, root, 0x20000000, &p);
	assert_int_equal(p.n, pt->fmt->levels - 1);
	pt_lookup(pt, root, 0x20000000 - 0x1000, &p);
	assert_int_equal(p.n, pt->fmt->levels);
	pt_lookup(pt, root, 0x20000000 + (1ULL << large), &p);
	assert_int_equal(p.n, pt->fmt->levels);
	assert_true(p.leaf);
	/* unmap and free what became empty; others' tables stay */
	pt_unmap(pt, root, 0x8048000, &old);
	assert_int_equal(pt_entry_addr(pt, pt->fmt->levels - 1, old), 0x100000);
	pt_free_empty(pt, root, 0, m->cfg.task_size - 1);
	check_tables(m, root, base);
	pt_lookup(pt, root, 0x8049000, &p);
	assert_true(p.leaf);
	pt_unmap(pt, root, 0x8049000, &old);
	pt_unmap(pt, root, 0x8049000, &old);
	assert_int_equal(old, 0);
	pt_free_empty(pt, root, 0, m->cfg.task_size - 1);
	check_tables(m, root, base);
	pt_lookup(pt, root, 0x8049000, &p);
	assert_false(p.leaf);
	/* a range that covers a table only in part keeps it */
	pt_unmap(pt, root, 0x10000000, &old);
	pt_free_empty(pt, root, 0x10000000, 0x10000fff);
	check_tables(m, root, base);
	/* pgd_free frees all the user half's tables */
	mm_pgd_free(m, root);
	assert_int_equal(pt->nr_tables, base);
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0);
	vmsim_machine_destroy(m);
}

static void test_pgtable_map_unmap_x86_64(void **state)
{
	(void)state;
	check_map_unmap("x86_64");
}

static void test_pgtable_map_unmap_x86_32(void **state)
{
	(void)state;
	check_map_unmap("x86_32");
	check_map_unmap("x86_32-pae");
	check_map_unmap("x86_64-la57");
}

static void test_pgtable_entries(void **state)
{
	struct vmsim_machine *m = boot("x86_32", NULL);
	struct pt_ctx *pt = &m->pt;

	(void)state;
	/* NX is dropped where the format has no such bit; PS is added for
	 * large leaves only; entries are 32 bits */
	assert_int_equal(pt_mk_leaf(pt, 1, 0x123000, URW | _PAGE_NX), 0x123000 | URW);
	assert_int_equal(pt_mk_leaf(pt, 0, 0x800000, URW), 0x800000 | URW | _PAGE_PSE);
	assert_int_equal(pt_mk_table(pt, 0x5000, _PAGE_TABLE), 0x5000 | _PAGE_TABLE);
	assert_true(pt_entry_leaf(pt, 0, 0x800000 | URW | _PAGE_PSE));
	assert_false(pt_entry_leaf(pt, 0, 0x800000 | URW));
	assert_int_equal(pt->kernel_pgd_boundary, 768);
	vmsim_machine_destroy(m);

	m = boot("x86_64", NULL);
	pt = &m->pt;
	assert_int_equal(pt_mk_leaf(pt, 3, 0x123000, URW | _PAGE_NX), 0x8000000000123000ULL | URW);
	assert_int_equal(pt_mk_leaf(pt, 1, 0x40000000, URW), 0x40000000 | URW | _PAGE_PSE);
	assert_int_equal(pt_entry_addr(pt, 1, 0x40000000 | URW | _PAGE_PSE | (1ULL << 12)), 0x40000000);
	assert_int_equal(pt_entry_addr(pt, 3, 0x40001000 | URW | _PAGE_PSE), 0x40001000);
	assert_int_equal(pt->kernel_pgd_boundary, 256);
	assert_int_equal(pt_canonical(pt->fmt, 0x0000800000000000ULL), 0xffff800000000000ULL);
	vmsim_machine_destroy(m);
}

static int stop_at_third(void *arg, uint64_t va, unsigned depth, uint64_t epa, uint64_t e, bool leaf)
{
	unsigned *n = arg;

	(void)va;
	(void)depth;
	(void)epa;
	(void)e;
	(void)leaf;
	return ++*n == 3 ? 42 : 0;
}

static void test_pgtable_walk_range_kernel(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL);
	struct count c = { &m->pt, 0, 0, 0, true };
	unsigned n = 0;

	(void)state;
	/* the whole kernel root: 4 direct-map 1 GiB leaves and the image's
	 * 2 MiB leaves, in address order */
	pt_walk_range(&m->pt, m->vm.kernel_pgd, 0, ~0ULL, count_visit, &c);
	assert_true(c.ordered);
	assert_int_equal(c.leaves, 4 + (m->cfg.kernel_size >> 21));
	assert_int_equal(c.tables + 1, m->pt.nr_tables);
	assert_int_equal(pt_walk_range(&m->pt, m->vm.kernel_pgd, 0, ~0ULL, stop_at_third, &n), 42);
	vmsim_machine_destroy(m);
}

static void test_pgtable_out_of_memory(void **state)
{
	const char *sets[] = { "memory.size=16MiB", "kernel_image.start=2MiB", "kernel_image.size=2MiB", NULL };
	struct vmsim_machine *m = boot("x86_64", sets);
	struct pt_ctx *pt = &m->pt;
	unsigned long base = pt->nr_tables, free0;
	uint64_t root, va;
	int ret = 0;

	(void)state;
	free0 = nr_free_pages_with_pcp(&m->pm);
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	/* one PTE table per 2 MiB: map until the buddy allocator gives out */
	for (va = 0; ret == 0 && va < (1ULL << 40); va += 1ULL << 21)
		ret = pt_map(pt, root, va, 0x100000, 12, URW, _PAGE_TABLE);
	assert_int_equal(ret, -ENOMEM);
	check_tables(m, root, base);
	mm_pgd_free(m, root);
	assert_int_equal(pt->nr_tables, base);
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0);
	vmsim_machine_destroy(m);
}

/* pXd_bad() as x86 Linux 6.12 judges a table entry: flags only. */
static void test_pgtable_bad_flags(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL);
	const struct pt_ctx *pt = &m->pt;
	const uint64_t t = 0x304d000, ok = t | _PAGE_TABLE;

	(void)state;
	/* pmd_bad(): exactly P RW D, with U/S and A optional */
	assert_false(pt_entry_bad(pt, 2, ok));
	assert_false(pt_entry_bad(pt, 2, t | _KERNPG_TABLE));
	assert_false(pt_entry_bad(pt, 2, (t | _KERNPG_TABLE) & ~_PAGE_ACCESSED));
	assert_true(pt_entry_bad(pt, 2, ok & ~_PAGE_DIRTY));
	assert_true(pt_entry_bad(pt, 2, ok & ~_PAGE_RW));
	assert_true(pt_entry_bad(pt, 2, ok & ~_PAGE_PRESENT));
	assert_true(pt_entry_bad(pt, 2, ok | _PAGE_PSE));
	assert_true(pt_entry_bad(pt, 2, ok | _PAGE_NX));
	assert_true(pt_entry_bad(pt, 2, ok | _PAGE_GLOBAL));
	assert_true(pt_entry_bad(pt, 2, ok | 1ULL << 9));
	assert_true(pt_entry_bad(pt, 2, ok | 1ULL << 52));
	/* address bits are the PFN, not flags: bit 51 is not pmd_bad() */
	assert_false(pt_entry_bad(pt, 2, ok | 1ULL << 51));
	/* pud_bad(): nothing beyond _KERNPG_TABLE and U/S, none required */
	assert_false(pt_entry_bad(pt, 1, ok));
	assert_false(pt_entry_bad(pt, 1, ok & ~(_PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY)));
	assert_true(pt_entry_bad(pt, 1, ok | _PAGE_PCD));
	assert_true(pt_entry_bad(pt, 1, ok | _PAGE_NX));
	/* the root: p4d_bad(), which lets NX through (page-table isolation) */
	assert_false(pt_entry_bad(pt, 0, ok | _PAGE_NX));
	assert_true(pt_entry_bad(pt, 0, ok | _PAGE_PSE));
	assert_true(pt_entry_bad(pt, 0, ok | _PAGE_PWT));
	/* pXd_none() ignores A and D */
	assert_true(pt_entry_none(_PAGE_ACCESSED | _PAGE_DIRTY));
	assert_false(pt_entry_none(_PAGE_RW));
	vmsim_machine_destroy(m);

	m = boot("x86_32", NULL);
	pt = &m->pt;
	/* the page-directory entry is the pmd of two-level paging */
	assert_false(pt_entry_bad(pt, 0, 0x0100d067));
	assert_false(pt_entry_bad(pt, 0, 0x8100d067));
	assert_true(pt_entry_bad(pt, 0, 0x0100d065));
	assert_true(pt_entry_bad(pt, 0, 0x0100d0e7));
	assert_true(pt_entry_bad(pt, 0, 0x0100d267));
	vmsim_machine_destroy(m);
}

/* An entry is followed only when it links its own table; a bad one is
 * reported in the kernel's words and cleared; a frame that is no page
 * table is never freed as one. */
static void test_pgtable_clear_bad(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL);
	struct pt_ctx *pt = &m->pt;
	unsigned long base = pt->nr_tables, bad_pages = m->pm.vmstat.bad_page;
	uint64_t root, epa, pmd_epa, pte_table, e, other;
	struct pt_path p;
	struct page *data;

	(void)state;
	pt->console = NULL;
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	assert_int_equal(pt_map(pt, root, 0x10000000, 0x100000, 12, URW, _PAGE_TABLE), 0);
	assert_int_equal(pt_map(pt, root, 0x10200000, 0x101000, 12, URW, _PAGE_TABLE), 0);
	pt_lookup(pt, root, 0x10000000, &p);
	pmd_epa = p.epa[2];
	e = p.e[2];
	pte_table = pt_entry_addr(pt, 2, e);
	assert_int_equal(pt_entry_kind(pt, 2, pmd_epa, e, false), PT_ENTRY_TABLE);
	/* a root's kernel-half entry links the kernel's table */
	epa = pgd_offset(pt, root, m->cfg.page_offset);
	assert_int_equal(pt_entry_kind(pt, 0, epa, pt_read(pt, epa), true), PT_ENTRY_TABLE);
	assert_int_equal(pt_owned_table(pt, 0, epa, pt_read(pt, epa)), 0);
	/* beyond RAM, into a frame that is no table, into another table */
	assert_int_equal(pt_entry_kind(pt, 2, pmd_epa, e | 1ULL << 40, false), PT_ENTRY_BAD);
	data = alloc_pages(&m->pm, GFP_KERNEL, 0);
	assert_non_null(data);
	assert_int_equal(pt_entry_kind(pt, 2, pmd_epa, page_to_phys(&m->pm, data) | _PAGE_TABLE, false),
			 PT_ENTRY_BAD);
	pt_lookup(pt, root, 0x10200000, &p);
	other = p.epa[3] & ~0xfffULL;	/* the other PTE table */
	assert_int_equal(pt_entry_kind(pt, 2, pmd_epa, other | _PAGE_TABLE, false), PT_ENTRY_BAD);
	/* PS: a large page where allowed, bad where it is not */
	assert_int_equal(pt_entry_kind(pt, 2, pmd_epa, e | _PAGE_PSE, true), PT_ENTRY_LEAF);
	assert_int_equal(pt_entry_kind(pt, 2, pmd_epa, e | _PAGE_PSE, false), PT_ENTRY_BAD);
	/* the table that hangs from an entry, whatever the entry says */
	assert_int_equal(pt_owned_table(pt, 2, pmd_epa, e | 1ULL << 51), pte_table);
	assert_int_equal(pt_owned_table(pt, 2, pmd_epa, e ^ _PAGE_RW), pte_table);
	/* the report */
	set_pte(pt, pmd_epa, e | 1ULL << 51);
	pt_clear_bad(pt, 2, pmd_epa, e | 1ULL << 51);
	assert_int_equal(pt_read(pt, pmd_epa), 0);
	assert_int_equal(pt->nr_bad, 1);
	{
		char want[96];

		snprintf(want, sizeof(want), "mm/pgtable-generic.c:54: bad pmd %016llx(%016llx)",
			 (unsigned long long)(m->cfg.page_offset + pmd_epa),
			 (unsigned long long)(e | 1ULL << 51));
		assert_string_equal(pt->bad_msg, want);
	}
	/* freeing a frame that is no page table: refused and reported */
	pt_free_table(pt, page_to_phys(&m->pm, data));
	assert_int_equal(m->pm.vmstat.bad_page, bad_pages + 1);
	assert_int_equal(page_ref_count(data), 1);
	__free_pages(&m->pm, data, 0);
	/* the cleared entry's table is still owned: free it, then the rest */
	pt_free_table_tree(pt, pte_table, 3);
	pt_unmap(pt, root, 0x10200000, &e);
	mm_pgd_free(m, root);
	assert_int_equal(pt->nr_tables, base);
	vmsim_machine_destroy(m);

	m = boot("x86_32", NULL);
	pt = &m->pt;
	pt->console = NULL;
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	assert_int_equal(pt_map(pt, root, 0x10000000, 0x100000, 12, URW, _PAGE_TABLE), 0);
	epa = pgd_offset(pt, root, 0x10000000);
	e = pt_read(pt, epa);
	pte_table = pt_entry_addr(pt, 0, e);
	pt_clear_bad(pt, 0, epa, e | 0x80000000);
	{
		char want[64];

		snprintf(want, sizeof(want), "mm/pgtable-generic.c:54: bad pgd %08llx.",
			 (unsigned long long)(e | 0x80000000));
		assert_string_equal(pt->bad_msg, want);
	}
	assert_int_equal(pt_owned_table(pt, 0, epa, e | 0x80000000), pte_table);
	pt_free_table_tree(pt, pte_table, 1);
	mm_pgd_free(m, root);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pgtable_map_unmap_x86_64),
		cmocka_unit_test(test_pgtable_map_unmap_x86_32),
		cmocka_unit_test(test_pgtable_entries),
		cmocka_unit_test(test_pgtable_walk_range_kernel),
		cmocka_unit_test(test_pgtable_out_of_memory),
		cmocka_unit_test(test_pgtable_bad_flags),
		cmocka_unit_test(test_pgtable_clear_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
