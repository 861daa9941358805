/*
 * The address-space map of both built-in machines against the bounds
 * Linux computes from their configs (known answers), the map covering
 * every address exactly once, the 64-CPU x86_32 layout, kernel-mode
 * accesses (direct map, page-crossing, #GP on non-canonical addresses,
 * bad sizes), and the x86_32 kernel half reaching process roots that were
 * copied before a new kernel page table appeared (pgd_list).
 */
#include "kern_test.h"

#include <string.h>

#include "kern/highmem.h"
#include "kern/kpgtable.h"
#include "kern/layout.h"
#include "kern/task.h"
#include "kern/vmalloc.h"
#include "kern/views.h"

static const struct kregion *find(const struct kregion *r, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return &r[i];
	fail_msg("no region '%s'", name);
	return NULL;
}

#define REGION(r, n, name, s, l)                                                   \
	do {                                                                       \
		const struct kregion *x_ = find(r, n, name);                       \
		if (x_->start != (s) || x_->last != (l))                           \
			fail_msg("%s: 0x%llx-0x%llx, expected 0x%llx-0x%llx", name,  \
				 (unsigned long long)x_->start,                    \
				 (unsigned long long)x_->last,                     \
				 (unsigned long long)(s), (unsigned long long)(l)); \
	} while (0)

/* The map starts at 0, ends at the top, and has no gap or overlap. */
static void assert_tiles(const struct kregion *r, unsigned n, uint64_t top)
{
	assert_true(n > 0);
	assert_int_equal(r[0].start, 0);
	for (unsigned i = 1; i < n; i++)
		if (r[i].start != r[i - 1].last + 1)
			fail_msg("gap or overlap at %s (0x%llx)", r[i].name,
				 (unsigned long long)r[i].start);
	assert_int_equal(r[n - 1].last, top);
}

static void test_layout_x86_32_known_answers(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);

	(void)state;
	assert_tiles(r, n, 0xffffffffULL);
	REGION(r, n, "user space", 0, 0xbfffffff);
	/* high_memory = __va(MAXMEM) with 1 GiB of RAM (docs/config.md) */
	REGION(r, n, "direct map (lowmem)", 0xc0000000, 0xf73fdfff);
	REGION(r, n, "VMALLOC_OFFSET gap", 0xf73fe000, 0xf7bfdfff);
	REGION(r, n, "vmalloc", 0xf7bfe000, 0xff3fdfff);
	REGION(r, n, "guard", 0xff3fe000, 0xff3fffff);
	REGION(r, n, "pkmap", 0xff400000, 0xff7fffff);
	REGION(r, n, "LDT remap", 0xff800000, 0xffbfffff);
	REGION(r, n, "fixmap (kmap_local)", 0xfffac000, 0xfffbbfff);
	REGION(r, n, "fixmap (boot slots)", 0xffdaa000, 0xfffaafff);
	assert_non_null(strstr(find(r, n, "direct map (lowmem)")->what, "220 x 4 MiB + 1022 x 4 KiB"));
	vmsim_machine_destroy(m);
}

static void test_layout_x86_32_64_cpus(void **state)
{
	static const char *const sets[] = { "cpu.count=64", NULL };
	struct vmsim_machine *m = boot_with("x86_32", sets);
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);

	(void)state;
	assert_tiles(r, n, 0xffffffffULL);
	/* everything 12 MiB lower: 43 x 64 CPU entry area pages */
	REGION(r, n, "cpu_entry_area", 0xfec00000, 0xfec00000 + (43ULL * 64 + 1) * 4096 - 1);
	REGION(r, n, "pkmap", 0xfe400000, 0xfe7fffff);
	REGION(r, n, "vmalloc", 0xf6bfe000, 0xfe3fdfff);
	REGION(r, n, "direct map (lowmem)", 0xc0000000, 0xc0000000 + 0x363fe000 - 1);
	REGION(r, n, "fixmap (kmap_local)", 0xfffff000 - (68 + 16 * 64 - 1) * 4096ULL,
	       0xfffff000 - 68 * 4096ULL + 4095);
	vmsim_machine_destroy(m);
}

static void test_layout_x86_64_known_answers(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);

	(void)state;
	assert_tiles(r, n, ~0ULL);
	REGION(r, n, "user space", 0, 0x7fffffffefffULL);
	REGION(r, n, "guard page", 0x7ffffffff000ULL, 0x7fffffffffffULL);
	REGION(r, n, "non-canonical hole", 0x800000000000ULL, 0xffff7fffffffffffULL);
	assert_true(find(r, n, "non-canonical hole")->noncanonical);
	REGION(r, n, "guard hole", 0xffff800000000000ULL, 0xffff87ffffffffffULL);
	REGION(r, n, "direct map (RAM)", 0xffff880000000000ULL, 0xffff8800ffffffffULL);
	REGION(r, n, "direct map (no RAM)", 0xffff880100000000ULL, 0xffffc7ffffffffffULL);
	REGION(r, n, "vmalloc", 0xffffc90000000000ULL, 0xffffe8ffffffffffULL);
	REGION(r, n, "vmemmap", 0xffffea0000000000ULL, 0xffffeaffffffffffULL);
	REGION(r, n, "kernel text", 0xffffffff80000000ULL, 0xffffffff9fffffffULL);
	REGION(r, n, "modules", 0xffffffffa0000000ULL, 0xfffffffffeffffffULL);
	REGION(r, n, "vsyscall", 0xffffffffff600000ULL, 0xffffffffff600fffULL);
	REGION(r, n, "fixmap", 0xffffffffff57d000ULL, 0xffffffffff5fffffULL);
	assert_non_null(strstr(find(r, n, "direct map (RAM)")->what, "4 x 1 GiB"));
	assert_non_null(strstr(find(r, n, "kernel text")->what, "16 x 2 MiB"));
	vmsim_machine_destroy(m);
}

static void test_layout_live_numbers(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct kregion r[KREGION_MAX];
	struct strbuf sb = STRBUF_INIT;
	struct json_writer jw;
	unsigned n;

	(void)state;
	vmalloc(m, 3 * 4096, "x");
	n = kernel_layout(m, r, KREGION_MAX);
	assert_non_null(strstr(find(r, n, "vmalloc")->what, "1 areas (0 lazily freed), 3 pages; "
							     "3 x 4 KiB pages"));
	layout_render(m, NULL, &sb);
	assert_non_null(strstr(sb_str(&sb), "f7bfe000  ff3fdfff    120 MiB     vmalloc"));
	sb_reset(&sb);
	json_init(&jw, &sb);
	layout_render(m, &jw, &sb);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sb_str(&sb), "{\"name\":\"pkmap\",\"kind\":\"pkmap\",\"start\":\"0xff400000\","
					    "\"last\":\"0xff7fffff\",\"size\":4194304,"));
	sb_reset(&sb);
	layout_svg(m, &sb);
	assert_non_null(strstr(sb_str(&sb), "<svg"));
	assert_non_null(strstr(sb_str(&sb), "pkmap  4 MiB"));
	sb_free(&sb);
	vmsim_machine_destroy(m);
}

static void test_layout_size_strings(void **state)
{
	char b[32];

	(void)state;
	layout_size_str(4096, b, sizeof(b));
	assert_string_equal(b, "4 KiB");
	layout_size_str(0x373fe000, b, sizeof(b));
	assert_string_equal(b, "883.99 MiB");
	layout_size_str(0x7ffffffff000ULL, b, sizeof(b));
	assert_string_equal(b, "127.99 TiB");
	layout_size_str(0xffff000000000000ULL, b, sizeof(b));
	assert_string_equal(b, "15.99 EiB");
	layout_size_str(0x3fffffffffULL, b, sizeof(b));
	assert_string_equal(b, "255.99 GiB");
	layout_size_str(0, b, sizeof(b));
	assert_string_equal(b, "16 EiB");
}

static void test_layout_kernel_accesses(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct page *p = alloc_pages(&m->pm, GFP_KERNEL, 1);
	uint64_t pa = page_to_phys(&m->pm, p), va = __va(m, pa), v;
	struct vmsim_fault f;
	uint32_t code;

	(void)state;
	/* little endian, across the page boundary of two direct-map pages */
	assert_int_equal(wr(m, va + 4094, 4, 0xa1b2c3d4), NO_FAULT);
	assert_int_equal(*(uint8_t *)phys_to_host(&m->pm, pa + 4094), 0xd4);
	assert_int_equal(*(uint8_t *)phys_to_host(&m->pm, pa + 4097), 0xa1);
	assert_int_equal(rd(m, va + 4094, 4, &code), 0xa1b2c3d4);
	assert_int_equal(rd(m, va + 4095, 1, &code), 0xc3);
	assert_int_equal(rd(m, va + 4095, 2, &code), 0xb2c3);
	assert_int_equal(kread(m, va, 3, &v, &f), -EINVAL);
	/* a non-canonical address is a #GP, not a #PF */
	assert_int_equal(kread(m, 0x0000900000000000ULL, 8, &v, &f), -EFAULT);
	assert_true(f.gp);
	/* the user half is empty in init_mm: a not-present kernel read */
	assert_int_equal(rd(m, 0x400000, 8, &code), ~0ULL);
	assert_int_equal(code, 0);
	/* the kernel image is read-only?  No: Linux maps it RW until
	 * mark_rodata_ro(); the direct map of the image is writable too */
	assert_int_equal(wr(m, m->cfg.kernel_map + m->cfg.kernel_start, 1, 1), NO_FAULT);
	__free_pages(&m->pm, p, 1);
	vmsim_machine_destroy(m);
}

static void test_layout_x86_32_kernel_half_reaches_old_roots(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	uint64_t listed, stale, running, v;
	uint32_t code;

	(void)state;
	/* three process roots copied before vmalloc needs its page table */
	assert_int_equal(mm_pgd_alloc(m, &listed), 0);
	assert_int_equal(mm_pgd_alloc(m, &stale), 0);
	assert_int_equal(mm_pgd_alloc(m, &running), 0);
	assert_int_equal(pgd_list_add(m, listed), 0);
	mmu_load_cr3(&m->cpus[0], running, 0, false);
	v = vmalloc(m, 4096, "sync");
	assert_int_not_equal(v, 0);
	/* running root (CR3) and listed root got the new directory entry */
	assert_int_equal(wr(m, v, 4, 42), NO_FAULT);
	mmu_load_cr3(&m->cpus[0], listed, 0, false);
	assert_int_equal(rd(m, v, 4, &code), 42);
	/* an unregistered root that was not running missed it (the global
	 * TLB entry would hide that: flush it) ... */
	mmu_load_cr3(&m->cpus[0], stale, 0, false);
	tlb_flush_all(&m->cpus[0]);
	assert_int_equal(rd(m, v, 4, &code), ~0ULL);
	assert_int_equal(code, 0);
	/* ... until it joins pgd_list */
	assert_int_equal(pgd_list_add(m, stale), 0);
	assert_int_equal(rd(m, v, 4, &code), 42);
	check(m);
	mmu_load_cr3(&m->cpus[0], m->vm.kernel_pgd, 0, false);
	pgd_list_del(m, listed);
	pgd_list_del(m, stale);
	mm_pgd_free(m, listed);
	mm_pgd_free(m, stale);
	mm_pgd_free(m, running);
	check(m);
	vmsim_machine_destroy(m);
}

/* Tasks spawned before the kernel needed a new page table see the kernel
 * mapping made while another task ran, with no TLB to help them. */
static void test_layout_x86_32_tasks_share_new_kernel_tables(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct task_struct *a, *b;
	struct page *p;
	uint64_t v, k;
	uint32_t code;

	(void)state;
	assert_int_equal(task_spawn(m, "a", NULL, &a), 0);
	assert_int_equal(task_spawn(m, "b", NULL, &b), 0);
	context_switch(m, 0, a);
	v = vmalloc(m, 4096, "while a runs");
	p = alloc_page(&m->pm, GFP_HIGHUSER);
	k = kmap(m, p);
	assert_int_equal(wr(m, v, 4, 5), NO_FAULT);
	assert_int_equal(wr(m, k, 4, 6), NO_FAULT);
	check(m);
	context_switch(m, 0, b);
	tlb_flush_all(&m->cpus[0]);	/* no global TLB entry may help */
	assert_int_equal(rd(m, v, 4, &code), 5);
	assert_int_equal(rd(m, k, 4, &code), 6);
	check(m);
	/* the checker notices a task whose kernel half went stale */
	{
		struct vmsim_error err = { 0 };
		uint64_t epa = pgd_offset(&m->pt, task_pgd(b), v), e = pt_read(&m->pt, epa);

		pte_clear(&m->pt, epa);
		assert_int_equal(machine_check(m, &err), -EFAULT);
		assert_non_null(strstr(err.msg, "kernel half"));
		set_pte(&m->pt, epa, e);
		check(m);
	}
	kunmap(m, p);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_x86_32_known_answers),
		cmocka_unit_test(test_layout_x86_32_64_cpus),
		cmocka_unit_test(test_layout_x86_64_known_answers),
		cmocka_unit_test(test_layout_live_numbers),
		cmocka_unit_test(test_layout_size_strings),
		cmocka_unit_test(test_layout_kernel_accesses),
		cmocka_unit_test(test_layout_x86_32_kernel_half_reaches_old_roots),
		cmocka_unit_test(test_layout_x86_32_tasks_share_new_kernel_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
