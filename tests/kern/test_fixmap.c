/*
 * Fixmap: the enum fixed_addresses of both built-in machines against the
 * kernel's values (and against config.c's independent derivation of
 * FIXADDR_START / FIXADDR_TOT_START for several CPU counts), slot address
 * arithmetic, and set_fixmap/clear_fixmap seen through kernel accesses.
 */
#include "kern_test.h"

#include "kern/fixmap.h"

static void test_fixmap_x86_32_enum(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct fixmap_layout fl;

	(void)state;
	fixmap_layout(&m->cfg, &fl);
	assert_int_equal(fl.fix_hole, 0);
	assert_int_equal(fl.fix_apic_base, 3);
	assert_int_equal(fl.fix_io_apic_base_0, 4);
	assert_int_equal(fl.fix_io_apic_base_end, 67);
	assert_int_equal(fl.fix_kmap_begin, 68);
	assert_int_equal(fl.fix_kmap_end, 83);
	assert_int_equal(fl.fix_pcie_mcfg, 84);
	assert_int_equal(fl.end_of_permanent, 85);
	assert_int_equal(fl.fix_btmap_end, 85);	/* 85..596 fit in one page table */
	assert_int_equal(fl.fix_btmap_begin, 596);
	assert_int_equal(fl.fix_wp_test, 597);
	assert_int_equal(fl.end_of_fixed, 598);
	assert_int_equal(fl.vsyscall_page, FIX_NONE);
	assert_int_equal(__fix_to_virt(m, 0), 0xfffff000);
	assert_int_equal(__fix_to_virt(m, fl.fix_kmap_begin), 0xfffbb000);
	/* FIXADDR_START = FIXADDR_TOP - __end_of_permanent_fixed_addresses pages */
	assert_int_equal(m->cfg.fixaddr_top - (uint64_t)fl.end_of_permanent * 4096,
			 m->cfg.fixaddr_start);
	assert_int_equal(m->cfg.fixaddr_start, 0xfffaa000);
	assert_int_equal(m->cfg.fixaddr_top - (uint64_t)fl.end_of_fixed * 4096,
			 m->cfg.fixaddr_tot_start);
	vmsim_machine_destroy(m);
}

static void test_fixmap_x86_64_enum(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct fixmap_layout fl;

	(void)state;
	fixmap_layout(&m->cfg, &fl);
	assert_int_equal(fl.vsyscall_page, 511);
	assert_int_equal(__fix_to_virt(m, fl.vsyscall_page), 0xffffffffff600000ULL);
	assert_int_equal(fl.fix_apic_base, 514);
	assert_int_equal(fl.fix_io_apic_base_end, 642);
	assert_int_equal(fl.end_of_permanent, 643);
	/* 643 + 511 would straddle a 512-entry page table: moved up to 1024 */
	assert_int_equal(fl.fix_btmap_end, 1024);
	assert_int_equal(fl.end_of_fixed, 1536);
	assert_int_equal(fl.fix_kmap_begin, FIX_NONE);
	assert_int_equal(m->cfg.fixaddr_start, 0xffffffffff57c000ULL);
	assert_int_equal(m->cfg.fixaddr_tot_start, 0xffffffffff1ff000ULL);
	assert_int_equal(m->cfg.fixaddr_top - (uint64_t)fl.end_of_fixed * 4096,
			 m->cfg.fixaddr_tot_start);
	vmsim_machine_destroy(m);
}

/* Two derivations (fixmap.c here, config.c for the layout) must agree for
 * any CPU count: the kmap slots grow with NR_CPUS. */
static void test_fixmap_agrees_with_config_per_cpu_count(void **state)
{
	static const char *const counts[] = { "cpu.count=1", "cpu.count=2", "cpu.count=7",
					      "cpu.count=32", "cpu.count=64" };

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		const char *sets[] = { counts[i], NULL };
		struct vmsim_config c;
		struct vmsim_error err = { 0 };
		struct fixmap_layout fl;

		if (machine_configure(&c, "x86_32", NULL, NULL, sets, &err))
			fail_msg("%s: %s", counts[i], err.msg);
		fixmap_layout(&c, &fl);
		if (c.fixaddr_top - (uint64_t)fl.end_of_permanent * 4096 != c.fixaddr_start ||
		    c.fixaddr_top - (uint64_t)fl.end_of_fixed * 4096 != c.fixaddr_tot_start)
			fail_msg("%s: fixmap.c and config.c disagree", counts[i]);
		assert_int_equal(fl.fix_kmap_end - fl.fix_kmap_begin + 1, 16 * c.cpu_count);
	}
}

static void test_fixmap_virt_to_fix_round_trip(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct fixmap_layout fl;

	(void)state;
	fixmap_layout(&m->cfg, &fl);
	for (unsigned i = 0; i < fl.end_of_fixed; i++) {
		if (__virt_to_fix(m, __fix_to_virt(m, i)) != i ||
		    __virt_to_fix(m, __fix_to_virt(m, i) + 0x123) != i)
			fail_msg("slot %u", i);
	}
	assert_int_equal(fix_to_virt(m, fl.end_of_fixed - 1), m->cfg.fixaddr_tot_start + 4096);
	assert_int_equal(fix_to_virt(m, fl.end_of_fixed), 0);
	vmsim_machine_destroy(m);
}

static void test_fixmap_set_and_clear(void **state)
{
	static const char *const names[] = { "x86_32", "x86_64", "x86_32-pae", "x86_64-la57" };

	(void)state;
	for (unsigned n = 0; n < 4; n++) {
		struct vmsim_machine *m = boot(names[n]);
		struct fixmap_layout fl;
		struct page *page = alloc_page(&m->pm, GFP_KERNEL);
		uint64_t pa = page_to_phys(&m->pm, page), va;
		unsigned long before = frames_accounted(m);
		uint32_t code;
		char name[48];

		fixmap_layout(&m->cfg, &fl);
		va = __fix_to_virt(m, fl.fix_dbgp_base);
		*(uint32_t *)phys_to_host(&m->pm, pa + 8) = 0xcafef00d;
		/* nothing there yet: a not-present kernel read */
		assert_int_equal(rd(m, va + 8, 4, &code), ~0ULL);
		assert_int_equal(code, 0);
		assert_int_equal(set_fixmap(m, fl.fix_dbgp_base, pa), 0);
		check(m);
		assert_int_equal(rd(m, va + 8, 4, &code), 0xcafef00d);
		assert_int_equal(wr(m, va + 12, 4, 0x1234), NO_FAULT);
		assert_int_equal(*(uint32_t *)phys_to_host(&m->pm, pa + 12), 0x1234);
		/* the slot can be re-pointed: the old translation is flushed */
		struct page *p2 = alloc_page(&m->pm, GFP_KERNEL | __GFP_ZERO);
		assert_int_equal(set_fixmap(m, fl.fix_dbgp_base, page_to_phys(&m->pm, p2)), 0);
		assert_int_equal(rd(m, va + 8, 4, &code), 0);
		assert_int_equal(clear_fixmap(m, fl.fix_dbgp_base), 0);
		check(m);
		assert_int_equal(rd(m, va + 8, 4, &code), ~0ULL);
		assert_int_equal(code, 0);
		assert_int_equal(set_fixmap(m, fl.end_of_fixed, pa), -EINVAL);
		assert_int_equal(set_fixmap(m, fl.fix_dbgp_base, pa + 1), -EINVAL);
		assert_int_equal(set_fixmap(m, fl.fix_dbgp_base, 1ULL << m->cfg.phys_bits), -EINVAL);
		fixmap_slot_name(m, fl.fix_io_apic_base_0 + 2, name, sizeof(name));
		assert_string_equal(name, "FIX_IO_APIC_BASE_0+2");
		__free_page(&m->pm, p2);
		/* the page tables the slot needed stay (counted); the frames
		 * come back */
		assert_int_equal(frames_accounted(m), before);
		__free_page(&m->pm, page);
		assert_int_equal(frames_accounted(m), before + 1);
		check(m);
		vmsim_machine_destroy(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixmap_x86_32_enum),
		cmocka_unit_test(test_fixmap_x86_64_enum),
		cmocka_unit_test(test_fixmap_agrees_with_config_per_cpu_count),
		cmocka_unit_test(test_fixmap_virt_to_fix_round_trip),
		cmocka_unit_test(test_fixmap_set_and_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
