/*
 * vmalloc on both built-in machines: placement (first fit from
 * VMALLOC_START, a guard page after each area), frames from HighMem on
 * x86_32, data through the mapping, guard-page faults, /proc/vmallocinfo
 * lines, the lazy free (no reuse and a stale TLB entry until the purge,
 * as in Linux), reuse after the purge, the automatic purge past
 * lazy_max_pages, exhaustion of the range and of the frames, vmap, host
 * OOM, and the checker catching a corrupted mapping.  Every frame comes
 * back after vfree.
 */
#include "kern_test.h"

#include <string.h>

#include "kern/vmalloc.h"

static void vinfo(struct vmsim_machine *m, char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	vmallocinfo_render(m, NULL, &sb);
	snprintf(buf, len, "%s", sb_str(&sb));
	sb_free(&sb);
}

static void test_vmalloc_placement_and_guard(void **state)
{
	static const char *const names[] = { "x86_32", "x86_64", "x86_32-pae", "x86_64-la57" };

	(void)state;
	for (unsigned n = 0; n < 4; n++) {
		struct vmsim_machine *m = boot(names[n]);
		uint64_t start = m->cfg.vmalloc_start, a, b, c;
		uint32_t code;

		a = vmalloc(m, 20 * 1024, "a");
		check(m);
		b = vmalloc(m, 1, "b");
		check(m);
		c = vmalloc(m, 8192, "c");
		check(m);
		assert_int_equal(a, start);
		/* 5 pages + guard, then 1 page + guard */
		assert_int_equal(b, start + 6 * 4096);
		assert_int_equal(c, start + 8 * 4096);
		assert_int_equal(find_vm_area(m, a)->size, 6 * 4096);
		assert_int_equal(find_vm_area(m, b)->size, 2 * 4096);
		assert_int_equal(vmalloc_used_pages(m), 8);
		/* the last byte works, the guard page after it faults:
		 * not present, supervisor (error code 0, or W for a write) */
		assert_int_equal(wr(m, a + 5 * 4096 - 1, 1, 0x5a), NO_FAULT);
		assert_int_equal(rd(m, a + 5 * 4096, 1, &code), ~0ULL);
		assert_int_equal(code, 0);
		assert_int_equal(wr(m, a + 5 * 4096, 4, 1), X86_PF_WRITE);
		/* an access straddling into the guard faults before writing */
		assert_int_equal(wr(m, a + 5 * 4096 - 2, 4, 0xffffffff), X86_PF_WRITE);
		assert_int_equal(rd(m, a + 5 * 4096 - 1, 1, &code), 0x5a);
		/* user mode may not touch it */
		{
			struct vmsim_fault f;
			uint64_t pa;

			assert_false(translate(&m->cpus[0], a, MMU_READ, MMU_USER, &pa, &f));
			assert_int_equal(f.error_code, X86_PF_PROT | X86_PF_USER);
		}
		vmsim_machine_destroy(m);
	}
}

static void test_vmalloc_frames_and_data(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	unsigned long before = frames_accounted(m);
	uint64_t v = vzalloc(m, 3 * 4096 + 100, "data");
	uint32_t code;

	(void)state;
	check(m);
	for (unsigned i = 0; i < 4; i++) {
		struct page *p = vmalloc_to_page(m, v + i * 4096);

		assert_non_null(p);
		/* GFP_KERNEL | __GFP_HIGHMEM: HighMem while it has frames */
		assert_int_equal(page_zonenum(p), ZONE_HIGHMEM);
		assert_ptr_equal(p, find_vm_area(m, v)->pages[i]);
		assert_int_equal(rd(m, v + i * 4096 + 8, 8, &code), 0);	/* vzalloc */
	}
	assert_null(vmalloc_to_page(m, v + 4 * 4096));	/* the guard */
	/* a write lands in the frame the page table names, across pages */
	assert_int_equal(wr(m, v + 4096 - 4, 8, 0x1122334455667788ULL), NO_FAULT);
	assert_int_equal(*(uint32_t *)phys_to_host(&m->pm, page_to_phys(&m->pm,
				 vmalloc_to_page(m, v)) + 4092), 0x55667788);
	assert_int_equal(*(uint32_t *)phys_to_host(&m->pm, page_to_phys(&m->pm,
				 vmalloc_to_page(m, v + 4096))), 0x11223344);
	assert_int_equal(rd(m, v + 4096 - 4, 8, &code), 0x1122334455667788ULL);
	assert_int_equal(vfree(m, v), 0);
	check(m);
	vm_unmap_aliases(m);
	check(m);
	assert_int_equal(frames_accounted(m), before);
	assert_int_equal(vmalloc_used_pages(m), 0);
	vmsim_machine_destroy(m);

	/* x86_64 has no HighMem: the frames come from the highest zone */
	m = boot("x86_64");
	v = vmalloc(m, 4096, "x");
	assert_int_not_equal(page_zonenum(vmalloc_to_page(m, v)), ZONE_HIGHMEM);
	check(m);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_vmallocinfo_lines(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	char buf[1024];
	uint64_t a, b;

	(void)state;
	a = vmalloc(m, 20 * 1024, "alloc_large_system_hash+0x15c/0x250");
	b = vmalloc(m, 4096, "step9");
	vinfo(m, buf, sizeof(buf));
	assert_string_equal(buf,
		"0xf7bfe000-0xf7c04000   24576 alloc_large_system_hash+0x15c/0x250 pages=5 vmalloc\n"
		"0xf7c04000-0xf7c06000    8192 step9 pages=1 vmalloc\n");
	assert_int_equal(vfree(m, a), 0);
	vinfo(m, buf, sizeof(buf));
	/* show_purge_info(): the lazily freed range is listed last */
	assert_string_equal(buf, "0xf7c04000-0xf7c06000    8192 step9 pages=1 vmalloc\n"
				 "0xf7bfe000-0xf7c04000   24576 unpurged vm_area\n");
	vm_unmap_aliases(m);
	assert_int_equal(vfree(m, b), 0);
	vm_unmap_aliases(m);
	vinfo(m, buf, sizeof(buf));
	assert_string_equal(buf, "");
	vmsim_machine_destroy(m);

	/* x86_64: 16-digit pointers and the NUMA counts */
	m = boot("x86_64");
	vmalloc(m, 12 * 1024, "kernel_clone+0x94/0x3e0");
	vinfo(m, buf, sizeof(buf));
	assert_string_equal(buf, "0xffffc90000000000-0xffffc90000004000   16384 "
				 "kernel_clone+0x94/0x3e0 pages=3 vmalloc N0=3\n");
	vmsim_machine_destroy(m);
}

static void test_vmalloc_lazy_free_then_reuse(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	uint64_t start = m->cfg.vmalloc_start, a, b, c;
	uint32_t code;

	(void)state;
	a = vmalloc(m, 4096, "a");
	assert_int_equal(wr(m, a, 4, 0xabcd), NO_FAULT);	/* now in the TLB */
	assert_int_equal(vfree(m, a), 0);
	check(m);
	/* the PTE is gone but the TLB was not flushed: the kernel defers it,
	 * and this read still hits the stale entry (use after vfree) */
	assert_int_equal(kernel_pte(m, a), 0);
	assert_int_equal(rd(m, a, 4, &code), 0xabcd);
	/* the range is not reused before the purge */
	b = vmalloc(m, 4096, "b");
	assert_int_equal(b, start + 2 * 4096);
	assert_int_equal(vfree(m, b), 0);
	vm_unmap_aliases(m);	/* one flush for both */
	check(m);
	assert_int_equal(rd(m, a, 4, &code), ~0ULL);
	assert_int_equal(code, 0);
	c = vmalloc(m, 8192, "c");	/* first fit again from the start */
	assert_int_equal(c, start);
	assert_int_equal(m->vmap->nr_purges, 1);
	check(m);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_purge_after_lazy_max(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	unsigned long before = frames_accounted(m), lazy_max = m->vmap->lazy_max;
	unsigned long freed = 0;

	(void)state;
	/* fls(1 CPU) * 32 MiB of pages */
	assert_int_equal(lazy_max, 8192);
	while (m->vmap->nr_purges == 0) {
		uint64_t v = vmalloc(m, 64 * 1024, "loop");

		assert_int_not_equal(v, 0);
		check(m);
		assert_int_equal(vfree(m, v), 0);
		check(m);
		freed += 17;	/* 16 pages + guard */
		if (freed > lazy_max + 17)
			fail_msg("no purge after %lu lazy pages", freed);
	}
	/* the drain ran on the free that crossed the limit */
	assert_true(freed > lazy_max);
	assert_int_equal(m->vmap->vmap_lazy_nr, 0);
	assert_int_equal(m->vmap->nr_free, 1);
	check(m);
	assert_int_equal(frames_accounted(m), before);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_first_fit_fills_holes(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	uint64_t start = m->cfg.vmalloc_start, a, b, c, d, e, f;

	(void)state;
	a = vmalloc(m, 4 * 4096, "a");		/* [0, 5) pages with guard */
	b = vmalloc(m, 7 * 4096, "b");		/* [5, 13) */
	c = vmalloc(m, 2 * 4096, "c");		/* [13, 16) */
	assert_int_equal(b, start + 5 * 4096);
	assert_int_equal(c, start + 13 * 4096);
	assert_int_equal(vfree(m, b), 0);
	vm_unmap_aliases(m);
	check(m);
	/* the 8-page hole: too small for 8 pages + guard, so that goes past c */
	d = vmalloc(m, 8 * 4096, "d");
	assert_int_equal(d, start + 16 * 4096);
	/* 2 pages + guard fit at the hole's start (left fit) ... */
	e = vmalloc(m, 2 * 4096, "e");
	assert_int_equal(e, start + 5 * 4096);
	/* ... and 4 + guard fill the rest exactly (full fit) */
	f = vmalloc(m, 4 * 4096, "f");
	assert_int_equal(f, start + 8 * 4096);
	check(m);
	assert_int_equal(m->vmap->nr_free, 1);	/* only the tail of the range */
	for (uint64_t v = start; v < start + 25 * 4096; v += 4096)
		if (!find_vm_area(m, v))
			fail_msg("0x%llx is in no area", (unsigned long long)v);
	assert_int_equal(vfree(m, a), 0);
	assert_int_equal(vfree(m, c), 0);
	assert_int_equal(vfree(m, e), 0);
	vm_unmap_aliases(m);
	check(m);
	/* freed neighbours merge: a (5) + e (3) = 8 pages at the start, and
	 * c's 3 pages stand alone between f and d */
	assert_int_equal(m->vmap->nr_free, 3);
	assert_int_equal(vmalloc(m, 7 * 4096, "g"), start);
	check(m);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_free_errors(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	uint64_t a = vmalloc(m, 3 * 4096, "a");

	(void)state;
	assert_int_equal(vfree(m, 0), 0);
	assert_int_equal(vfree(m, a + 1), -EINVAL);			/* not page aligned */
	assert_int_equal(vfree(m, a + 5 * 4096), -EINVAL);		/* past the area */
	assert_int_equal(vfree(m, m->cfg.page_offset), -EINVAL);	/* not vmalloc */
	check(m);
	/* __find_vmap_area() finds the area containing the address */
	assert_int_equal(vfree(m, a + 2 * 4096), 0);
	assert_int_equal(vfree(m, a), -EINVAL);			/* double vfree */
	check(m);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_range_exhaustion(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	uint64_t range = m->cfg.vmalloc_end - m->cfg.vmalloc_start, a, b;
	unsigned long before = frames_accounted(m);

	(void)state;
	assert_int_equal(range, 120ULL << 20);
	/* the whole range would need one more page for the guard */
	assert_int_equal(vmalloc(m, range, "too big"), 0);
	check(m);
	a = vmalloc(m, range - 4096, "all");
	assert_int_equal(a, m->cfg.vmalloc_start);
	assert_int_equal(vmalloc(m, 4096, "none left"), 0);
	assert_int_equal(vfree(m, a), 0);
	/* no room, so alloc_vmap_area() purges the lazy list and retries */
	b = vmalloc(m, 4096, "after purge");
	assert_int_equal(b, m->cfg.vmalloc_start);
	assert_int_equal(vfree(m, b), 0);
	vm_unmap_aliases(m);
	check(m);
	assert_int_equal(frames_accounted(m), before);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_out_of_frames_gives_all_back(void **state)
{
	static const char *const sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_machine *m = boot_with("x86_32", sets);
	unsigned long before = frames_accounted(m);

	(void)state;
	/* more than RAM: refused outright */
	assert_int_equal(vmalloc(m, 65ULL << 20, "huge"), 0);
	/* less than RAM, more than is free: fails part way, frees all */
	assert_int_equal(vmalloc(m, 63ULL << 20, "big"), 0);
	check(m);
	assert_int_equal(vmalloc_used_pages(m), 0);
	vm_unmap_aliases(m);
	check(m);
	assert_int_equal(frames_accounted(m), before);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_vmap_keeps_pages(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct page *pages[2];
	char buf[512];
	uint64_t v;
	uint32_t code;

	(void)state;
	pages[0] = alloc_page(&m->pm, GFP_HIGHUSER);
	pages[1] = alloc_page(&m->pm, GFP_KERNEL);
	*(uint32_t *)page_host(&m->pm, pages[1]) = 77;
	v = vmap(m, pages, 2, VM_MAP, __PAGE_KERNEL, "vmap_test");
	assert_int_equal(v, m->cfg.vmalloc_start);
	check(m);
	assert_int_equal(rd(m, v + 4096, 4, &code), 77);
	vinfo(m, buf, sizeof(buf));
	assert_string_equal(buf, "0xf7bfe000-0xf7c01000   12288 vmap_test vmap\n");
	assert_int_equal(vmalloc_used_pages(m), 0);
	assert_int_equal(vunmap(m, v), 0);
	check(m);
	assert_int_equal(page_ref_count(pages[0]), 1);	/* still the caller's */
	__free_page(&m->pm, pages[0]);
	__free_page(&m->pm, pages[1]);
	check(m);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_host_oom(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	size_t live = m->ha.live;
	uint64_t v = 0;

	(void)state;
	for (long n = 1; n <= 64 && !v; n++) {
		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		v = vmalloc(m, 5 * 4096, "oom");
		host_fail_at(0, HOST_FAIL_ONCE);
		check(m);
		vm_unmap_aliases(m);
		if (!v && m->ha.live != live)
			fail_msg("n=%ld: %zu host bytes leaked", n, m->ha.live - live);
	}
	assert_int_not_equal(v, 0);
	assert_int_equal(vfree(m, v), 0);
	vm_unmap_aliases(m);
	assert_int_equal(m->ha.live, live);
	vmsim_machine_destroy(m);
}

static void test_vmalloc_checker_catches_corruption(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_error err = { 0 };
	uint64_t v = vmalloc(m, 2 * 4096, "victim"), old;

	(void)state;
	check(m);
	/* a PTE cleared behind vmalloc's back */
	kernel_clear_pte(m, v + 4096, &old);
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "vmalloc"));
	/* and a mapped guard page */
	assert_int_equal(kernel_set_pte(m, v + 4096, old & ~0xfffULL, __PAGE_KERNEL), 0);
	check(m);
	assert_int_equal(kernel_set_pte(m, v + 2 * 4096, old & ~0xfffULL, __PAGE_KERNEL), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "guard"));
	kernel_clear_pte(m, v + 2 * 4096, &old);
	check(m);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmalloc_placement_and_guard),
		cmocka_unit_test(test_vmalloc_frames_and_data),
		cmocka_unit_test(test_vmalloc_vmallocinfo_lines),
		cmocka_unit_test(test_vmalloc_lazy_free_then_reuse),
		cmocka_unit_test(test_vmalloc_purge_after_lazy_max),
		cmocka_unit_test(test_vmalloc_first_fit_fills_holes),
		cmocka_unit_test(test_vmalloc_free_errors),
		cmocka_unit_test(test_vmalloc_range_exhaustion),
		cmocka_unit_test(test_vmalloc_out_of_frames_gives_all_back),
		cmocka_unit_test(test_vmalloc_vmap_keeps_pages),
		cmocka_unit_test(test_vmalloc_host_oom),
		cmocka_unit_test(test_vmalloc_checker_catches_corruption),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
