/*
 * Kernel page tables built at boot, checked by known answers on both
 * built-in machines: direct-map translations, the x86_64 kernel image
 * mapping, page sizes chosen, U/S protection of kernel addresses, the
 * kernel half shared by a new process root, __pa/__va/virt_to_page.
 * Invariant checked: every table page the kernel allocates is returned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "kern/views.h"
#include "mmu/mmu.h"
#include "util/hostalloc.h"

static struct vmsim_machine *boot(const char *name)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(name, NULL, &err);

	if (!m)
		fail_msg("boot %s: %s", name, err.msg);
	return m;
}

/* translate on cpu 0; returns the pa or ~0 with *code = error code */
static uint64_t xlate(struct vmsim_machine *m, uint64_t va, enum mmu_access a, enum mmu_mode md,
		      uint32_t *code)
{
	struct vmsim_fault f;
	uint64_t pa;

	*code = 0xffffffff;
	if (translate(&m->cpus[0], va, a, md, &pa, &f))
		return pa;
	*code = f.error_code;
	return ~0ULL;
}

static unsigned leaf_shift(struct vmsim_machine *m, uint64_t va)
{
	struct pt_path p;

	pt_lookup(&m->pt, m->vm.kernel_pgd, va, &p);
	if (!p.leaf)
		return 0;
	return m->pt.fmt->lvl[p.n - 1].shift;
}

static void test_kpgtable_x86_64_direct_map(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	uint32_t code;

	(void)state;
	assert_int_equal(m->nr_cpus, 1);
	assert_int_equal(m->cpus[0].cr3, m->vm.kernel_pgd);
	assert_int_equal(xlate(m, 0xffff880000001000ULL, MMU_READ, MMU_KERNEL, &code), 0x1000);
	assert_int_equal(xlate(m, 0xffff880000001234ULL, MMU_WRITE, MMU_KERNEL, &code), 0x1234);
	assert_int_equal(xlate(m, 0xffff880000000000ULL + m->cfg.mem_size - 1, MMU_READ,
			       MMU_KERNEL, &code), m->cfg.mem_size - 1);
	/* user-mode access to a kernel address: protection, U/S */
	assert_int_equal(xlate(m, 0xffff880000001000ULL, MMU_READ, MMU_USER, &code), ~0ULL);
	assert_int_equal(code, X86_PF_PROT | X86_PF_USER);
	assert_int_equal(xlate(m, 0xffff880000001000ULL, MMU_WRITE, MMU_USER, &code), ~0ULL);
	assert_int_equal(code, 0x7);
	/* the direct map is NX: a kernel fetch faults with I/D */
	assert_int_equal(xlate(m, 0xffff880000002000ULL, MMU_FETCH, MMU_KERNEL, &code), ~0ULL);
	assert_int_equal(code, 0x11);
	/* past the end of RAM: nothing mapped */
	assert_int_equal(xlate(m, 0xffff880000000000ULL + m->cfg.mem_size, MMU_READ, MMU_KERNEL,
			       &code), ~0ULL);
	assert_int_equal(code, 0);
	/* 4 GiB of RAM: 1 GiB pages */
	assert_int_equal(leaf_shift(m, 0xffff880000001000ULL), 30);
	/* user half empty */
	assert_int_equal(xlate(m, 0x400000, MMU_READ, MMU_USER, &code), ~0ULL);
	assert_int_equal(code, X86_PF_USER);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_x86_64_kernel_image(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	uint64_t text = m->cfg.kernel_map + m->cfg.kernel_start;
	uint32_t code;

	(void)state;
	assert_int_equal(xlate(m, text + 0x1234, MMU_FETCH, MMU_KERNEL, &code),
			 m->cfg.kernel_start + 0x1234);
	assert_int_equal(leaf_shift(m, text), 21);
	/* cleanup_highmap(): nothing below _text */
	assert_int_equal(xlate(m, m->cfg.kernel_map, MMU_READ, MMU_KERNEL, &code), ~0ULL);
	assert_int_equal(code, 0);
	assert_int_equal(__pa(m, text), m->cfg.kernel_start);
	assert_int_equal(__pa(m, 0xffff880000345000ULL), 0x345000);
	assert_int_equal(__va(m, 0x345000), 0xffff880000345000ULL);
	assert_ptr_equal(virt_to_page(m, 0xffff880000345678ULL), pfn_to_page(&m->pm, 0x345));
	vmsim_machine_destroy(m);
}

static void test_kpgtable_x86_64_unaligned_ram_uses_smaller_pages(void **state)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=1028MiB", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	uint32_t code;

	(void)state;
	if (!m)
		fail_msg("%s", err.msg);
	assert_int_equal(leaf_shift(m, m->cfg.page_offset), 30);
	assert_int_equal(leaf_shift(m, m->cfg.page_offset + (1ULL << 30)), 21);
	assert_int_equal(xlate(m, m->cfg.page_offset + (1028ULL << 20) - 8, MMU_READ, MMU_KERNEL,
			       &code), (1028ULL << 20) - 8);
	assert_int_equal(xlate(m, m->cfg.page_offset + (1028ULL << 20), MMU_READ, MMU_KERNEL,
			       &code), ~0ULL);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_x86_32_direct_map(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	uint64_t end = m->cfg.lowmem_end;
	uint32_t code;

	(void)state;
	assert_int_equal(xlate(m, 0xC0001000ULL, MMU_READ, MMU_KERNEL, &code), 0x1000);
	assert_int_equal(xlate(m, 0xC0001000ULL, MMU_READ, MMU_USER, &code), ~0ULL);
	assert_int_equal(code, 0x5);
	/* no NX without PAE: a kernel fetch from the direct map works */
	assert_int_equal(xlate(m, 0xC0002000ULL, MMU_FETCH, MMU_KERNEL, &code), 0x2000);
	assert_int_equal(leaf_shift(m, 0xC0000000ULL), 22);
	/* the unaligned tail of lowmem is 4 KiB pages */
	if (end & ((4ULL << 20) - 1)) {
		assert_int_equal(leaf_shift(m, 0xC0000000ULL + end - 4096), 12);
	}
	assert_int_equal(xlate(m, 0xC0000000ULL + end - 4096, MMU_WRITE, MMU_KERNEL, &code),
			 end - 4096);
	/* high memory is not direct-mapped */
	assert_int_equal(xlate(m, 0xC0000000ULL + end, MMU_READ, MMU_KERNEL, &code), ~0ULL);
	assert_int_equal(code, 0);
	assert_int_equal(__pa(m, 0xC0123000ULL), 0x123000);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_x86_32_without_pse_uses_4k(void **state)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "cpu.pse=false", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_32", sets, &err);
	uint32_t code;

	(void)state;
	if (!m)
		fail_msg("%s", err.msg);
	assert_int_equal(leaf_shift(m, 0xC0000000ULL), 12);
	assert_int_equal(xlate(m, 0xC0400000ULL + 0x5678, MMU_READ, MMU_KERNEL, &code),
			 0x400000 + 0x5678);
	vmsim_machine_destroy(m);
}

static void check_shared_kernel_half(const char *name, uint64_t kva, uint64_t kpa)
{
	struct vmsim_machine *m = boot(name);
	unsigned long free_before = nr_free_pages_with_pcp(&m->pm), tables = m->pt.nr_tables;
	uint64_t root, pa;
	struct vmsim_fault f;
	struct pt_path p;

	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	assert_int_not_equal(root, m->vm.kernel_pgd);
	mmu_load_cr3(&m->cpus[0], root, 0, false);
	assert_true(translate(&m->cpus[0], kva, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_int_equal(pa, kpa);
	assert_false(translate(&m->cpus[0], kva, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x5);
	/* a user mapping in the new root does not appear in the kernel's */
	assert_int_equal(pt_map(&m->pt, root, 0x400000, 0x200000, 12,
				_PAGE_PRESENT | _PAGE_RW | _PAGE_USER, _PAGE_TABLE), 0);
	assert_true(translate(&m->cpus[0], 0x400010, MMU_WRITE, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x200010);
	pt_lookup(&m->pt, m->vm.kernel_pgd, 0x400000, &p);
	assert_false(p.leaf);
	mmu_load_cr3(&m->cpus[0], m->vm.kernel_pgd, 0, false);
	mm_pgd_free(m, root);
	assert_int_equal(m->pt.nr_tables, tables);
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free_before);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_new_root_shares_kernel_half(void **state)
{
	(void)state;
	check_shared_kernel_half("x86_64", 0xffff880000001000ULL, 0x1000);
	check_shared_kernel_half("x86_32", 0xC0001000ULL, 0x1000);
}

static void test_kpgtable_vmalloc_puds_preallocated(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct pt_path p;

	(void)state;
	pt_lookup(&m->pt, m->vm.kernel_pgd, m->cfg.vmalloc_start, &p);
	assert_int_equal(p.n, 2);	/* PGD present, PUD entry empty */
	assert_true(p.e[0] & _PAGE_PRESENT);
	pt_lookup(&m->pt, m->vm.kernel_pgd, m->cfg.vmalloc_end - 1, &p);
	assert_true(p.e[0] & _PAGE_PRESENT);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_kernel_flushes(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_cpu *cpu = &m->cpus[0];
	uint64_t va = 0xC0000000ULL + m->cfg.lowmem_end - 3 * 4096, pa;
	struct pt_path p;
	struct vmsim_fault f;

	(void)state;
	/* a 4 KiB kernel page in the lowmem tail: change it, stale until the
	 * range flush */
	assert_true(translate(cpu, va, MMU_READ, MMU_KERNEL, &pa, &f));
	pt_lookup(&m->pt, m->vm.kernel_pgd, va, &p);
	assert_true(p.leaf);
	set_pte(&m->pt, p.epa[p.n - 1], 0);
	assert_true(translate(cpu, va, MMU_READ, MMU_KERNEL, &pa, &f));
	flush_tlb_kernel_range(m, va - 4096, va + 4096);
	assert_false(translate(cpu, va, MMU_READ, MMU_KERNEL, &pa, &f));
	set_pte(&m->pt, p.epa[p.n - 1], p.e[p.n - 1]);
	assert_true(translate(cpu, va, MMU_READ, MMU_KERNEL, &pa, &f));
	set_pte(&m->pt, p.epa[p.n - 1], 0);
	flush_tlb_kernel_range(m, 0xC0000000ULL, 0xC0000000ULL + (64 << 20));	/* > 33 pages */
	assert_false(translate(cpu, va, MMU_READ, MMU_KERNEL, &pa, &f));
	set_pte(&m->pt, p.epa[p.n - 1], p.e[p.n - 1]);
	flush_tlb_one_kernel(m, va);
	assert_true(translate(cpu, va, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_int_equal(pa, m->cfg.lowmem_end - 3 * 4096);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_two_cpus_have_their_own_tlbs(void **state)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "cpu.count=2", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct vmsim_fault f;
	uint64_t pa;

	(void)state;
	if (!m)
		fail_msg("%s", err.msg);
	assert_int_equal(m->nr_cpus, 2);
	assert_int_equal(m->cpus[1].cr3, m->vm.kernel_pgd);
	assert_true(translate(&m->cpus[1], 0xffff880000007000ULL, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_int_equal(pa, 0x7000);
	assert_int_equal(tlb_array_valid(&m->cpus[1].l1_large[TLB_D]), 1);
	assert_int_equal(tlb_array_valid(&m->cpus[0].l1_large[TLB_D]), 0);
	flush_tlb_all(m);
	assert_int_equal(tlb_array_valid(&m->cpus[1].l1_large[TLB_D]), 0);
	vmsim_machine_destroy(m);
}

static void test_kpgtable_views_show_the_tables(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct strbuf sb = STRBUF_INIT;
	struct view_args a = { 0 };

	(void)state;
	assert_int_equal(view_render(m, "pagetable", &a, false, &sb), 0);
	/* the direct map as one run of four 1 GiB leaves, the 64 empty
	 * vmalloc PUD tables as one line, the image as 16 x 2M */
	assert_non_null(strstr(sb_str(&sb), "pgd[272] ffff880000000000-ffff887fffffffff -> pud table"));
	assert_non_null(strstr(sb_str(&sb), "pud[0..3] ffff880000000000-ffff8800ffffffff 4 x 1G -> 0-0xffffffff  P RW A D PS G NX"));
	assert_non_null(strstr(sb_str(&sb), "64 empty pud tables"));
	assert_non_null(strstr(sb_str(&sb), "pmd[8..23] ffffffff81000000-ffffffff82ffffff 16 x 2M -> 0x1000000-0x2ffffff  P RW A D PS G"));
	sb_reset(&sb);
	a.has_addr = true;
	a.addr = 0xffffffff81234567ULL;
	assert_int_equal(view_render(m, "pagetable", &a, true, &sb), 0);
	assert_non_null(strstr(sb_str(&sb), "\"level\":\"pmd\",\"depth\":2,\"index\":9,\"count\":1,"));
	assert_null(strstr(sb_str(&sb), "ffff880000000000"));
	sb_reset(&sb);
	a.has_addr = false;
	a.task = "a";
	assert_int_not_equal(view_render(m, "pagetable", &a, false, &sb), 0);
	sb_reset(&sb);
	a.task = NULL;
	assert_int_equal(view_render(m, "tlb", &a, false, &sb), 0);
	assert_non_null(strstr(sb_str(&sb), "l2          1536 entries 12 ways  128 sets"));
	sb_reset(&sb);
	assert_int_equal(view_render(m, "tlb", &a, true, &sb), 0);
	assert_non_null(strstr(sb_str(&sb), "\"levels\":{\"l1d\":{\"hits\":0,"));
	sb_free(&sb);
	vmsim_machine_destroy(m);
}

/* Fail the N-th host allocation for N = 0, 1, ... until boot succeeds:
 * every failure must undo what was set up (LeakSanitizer checks the
 * sanitizer build), and a bad TLB geometry fails cleanly too. */
static void test_kpgtable_boot_failures_undo(void **state)
{
	struct vmsim_error err;
	struct vmsim_machine *m = NULL;
	long n;

	(void)state;
	for (n = 1; n <= 10000 && !m; n++) {
		memset(&err, 0, sizeof(err));
		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		m = vmsim_machine_create("x86_32", NULL, &err);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (!m)
			assert_int_not_equal(err.code, 0);
	}
	assert_non_null(m);
	assert_true(n > 3);	/* the CPUs' TLB arrays alone take several */
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kpgtable_x86_64_direct_map),
		cmocka_unit_test(test_kpgtable_x86_64_kernel_image),
		cmocka_unit_test(test_kpgtable_x86_64_unaligned_ram_uses_smaller_pages),
		cmocka_unit_test(test_kpgtable_x86_32_direct_map),
		cmocka_unit_test(test_kpgtable_x86_32_without_pse_uses_4k),
		cmocka_unit_test(test_kpgtable_new_root_shares_kernel_half),
		cmocka_unit_test(test_kpgtable_vmalloc_puds_preallocated),
		cmocka_unit_test(test_kpgtable_kernel_flushes),
		cmocka_unit_test(test_kpgtable_two_cpus_have_their_own_tlbs),
		cmocka_unit_test(test_kpgtable_views_show_the_tables),
		cmocka_unit_test(test_kpgtable_boot_failures_undo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
