/*
 * High memory on x86_32: a page written through its kmap (pkmap) address
 * and read back through kmap_atomic (fixmap) of the same page; pkmap slot
 * order, reference counts, the lazy unmap, exhaustion, the wrap that
 * flushes unused slots (and their TLB entries); kmap_local as a per-CPU
 * stack; lowmem pages and x86_64 getting the direct map; page_address();
 * every frame back after kunmap; the checker catching a bad count.
 */
#include "kern_test.h"

#include <string.h>

#include "kern/fixmap.h"
#include "kern/highmem.h"
#include "kern/kpgtable.h"

static struct page *highpage(struct vmsim_machine *m)
{
	struct page *p = alloc_page(&m->pm, GFP_HIGHUSER);

	assert_non_null(p);
	assert_true(PageHighMem(m, p));
	return p;
}

static void test_highmem_kmap_write_kmap_atomic_read(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	unsigned long before = frames_accounted(m);
	struct page *p = highpage(m);
	uint64_t k, a;
	uint32_t code;

	(void)state;
	assert_int_equal(page_address(&m->pm, p), 0);	/* no direct-map address */
	k = kmap(m, p);
	check(m);
	/* last_pkmap_nr starts at 0 and is advanced first: slot 1 */
	assert_int_equal(k, m->cfg.pkmap_base + 4096);
	assert_int_equal(k, 0xff401000);
	assert_int_equal(highmem_page_address(m, p), k);
	assert_int_equal(wr(m, k + 0x10, 4, 7), NO_FAULT);
	assert_int_equal(wr(m, k + 0xff8, 8, 0x0123456789abcdefULL), NO_FAULT);
	a = kmap_atomic(m, 0, p);
	check(m);
	/* FIX_KMAP_BEGIN (68) on cpu 0 */
	assert_int_equal(a, 0xfffbb000);
	assert_int_equal(rd(m, a + 0x10, 4, &code), 7);
	assert_int_equal(rd(m, a + 0xff8, 8, &code), 0x0123456789abcdefULL);
	/* both land in the frame itself */
	assert_int_equal(*(uint32_t *)((uint8_t *)page_host(&m->pm, p) + 0x10), 7);
	assert_int_equal(kunmap_atomic(m, 0, a), 0);
	check(m);
	assert_int_equal(rd(m, a, 4, &code), ~0ULL);	/* flushed and gone */
	assert_int_equal(code, 0);
	assert_int_equal(kunmap(m, p), 0);
	check(m);
	/* lazily unmapped: still mapped, still hashed, until the wrap */
	assert_int_equal(rd(m, k + 0x10, 4, &code), 7);
	assert_int_equal(highmem_page_address(m, p), k);
	__free_page(&m->pm, p);
	/* only the two page tables (pkmap, fixmap) stay */
	assert_int_equal(frames_accounted(m), before);
	check(m);
	vmsim_machine_destroy(m);
}

/* Under PAE: the pkmap (LAST_PKMAP 512) at 0xff600000 and the fixmap's
 * kmap slots, both below the kernel PMD every process shares; the PTEs
 * carry NX. */
static void test_highmem_kmap_under_pae(void **state)
{
	struct vmsim_machine *m = boot("x86_32-pae");
	unsigned long before = frames_accounted(m);
	struct page *p = highpage(m);
	uint64_t k, a, root;
	uint32_t code;
	struct pt_path path;

	(void)state;
	assert_int_equal(page_address(&m->pm, p), 0);
	k = kmap(m, p);
	check(m);
	assert_int_equal(k, 0xff601000);
	assert_int_equal(wr(m, k + 0x10, 4, 7), NO_FAULT);
	pt_lookup(&m->pt, m->vm.kernel_pgd, k, &path);
	assert_int_equal(path.n, 3);
	assert_true(path.leaf);
	assert_true(path.e[2] & _PAGE_NX);
	assert_int_equal(pt_entry_addr(&m->pt, 2, path.e[2]), page_to_phys(&m->pm, p));
	/* a process root made now sees it: the kernel PMD is shared */
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	assert_int_equal(pt_read(&m->pt, root + 24), pt_read(&m->pt, m->vm.kernel_pgd + 24));
	mm_pgd_free(m, root);
	a = kmap_atomic(m, 0, p);
	check(m);
	assert_int_equal(a, 0xfffbb000);
	assert_int_equal(rd(m, a + 0x10, 4, &code), 7);
	assert_int_equal(kunmap_atomic(m, 0, a), 0);
	assert_int_equal(kunmap(m, p), 0);
	__free_page(&m->pm, p);
	assert_int_equal(frames_accounted(m), before);
	check(m);
	vmsim_machine_destroy(m);
}

static void test_highmem_kmap_counts(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct page *p = highpage(m), *q = highpage(m);
	uint64_t k;

	(void)state;
	k = kmap(m, p);
	assert_int_equal(kmap(m, p), k);	/* same slot, second hold */
	assert_int_equal(m->highmem->pkmap_count[1], 3);
	assert_int_equal(kunmap(m, p), 0);
	assert_int_equal(kunmap(m, p), 0);
	assert_int_equal(m->highmem->pkmap_count[1], 1);
	assert_int_equal(kunmap(m, p), -EINVAL);	/* more kunmaps than kmaps */
	assert_int_equal(kunmap(m, q), -EINVAL);	/* never kmapped */
	check(m);
	/* a kunmapped page kmapped again finds its old slot */
	assert_int_equal(kmap(m, p), k);
	/* another page takes the next one */
	assert_int_equal(kmap(m, q), k + 4096);
	check(m);
	vmsim_machine_destroy(m);
}

static void test_highmem_pkmap_exhaustion_wrap_and_flush(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	unsigned n = m->cfg.last_pkmap;
	struct page **pg = test_malloc(sizeof(*pg) * (n + 2));
	uint64_t base = m->cfg.pkmap_base, k;
	uint32_t code;

	(void)state;
	assert_int_equal(n, 1024);
	for (unsigned i = 0; i < n + 2; i++)
		pg[i] = highpage(m);
	*(uint32_t *)page_host(&m->pm, pg[0]) = 0xa0;
	*(uint32_t *)page_host(&m->pm, pg[n]) = 0xb0;
	/* slots 1..1023 */
	for (unsigned i = 0; i < n - 1; i++) {
		if (kmap(m, pg[i]) != base + 4096ULL * (i + 1))
			fail_msg("page %u", i);
		if (i % 64 == 0)
			check(m);
	}
	check(m);
	assert_int_equal(rd(m, base + 4096, 4, &code), 0xa0);	/* in the TLB now */
	/* the search wraps to slot 0: flush_all_zero_pkmaps() finds nothing
	 * to free, slot 0 is still empty and is taken */
	assert_int_equal(kmap(m, pg[n - 1]), base);
	assert_int_equal(m->highmem->nr_flush_all_zero, 1);
	/* every slot held: the kernel would sleep; we refuse */
	assert_int_equal(kmap(m, pg[n]), 0);
	check(m);
	/* release slot 1 (page 0): it stays mapped with count 1 */
	assert_int_equal(kunmap(m, pg[0]), 0);
	assert_int_equal(highmem_page_address(m, pg[0]), base + 4096);
	/* the next kmap searches from slot 0 round again, wraps, flushes
	 * slot 1 and takes it */
	k = kmap(m, pg[n]);
	assert_int_equal(k, base + 4096);
	assert_int_equal(highmem_page_address(m, pg[0]), 0);
	check(m);
	/* the TLB entry for page 0 was flushed: the slot now shows page n */
	assert_int_equal(rd(m, base + 4096, 4, &code), 0xb0);
	for (unsigned i = 1; i <= n; i++)
		assert_int_equal(kunmap(m, pg[i]), 0);
	check(m);
	for (unsigned i = 0; i < n + 2; i++)
		__free_page(&m->pm, pg[i]);
	check(m);
	test_free(pg);
	vmsim_machine_destroy(m);
}

static void test_highmem_lowmem_and_x86_64_use_direct_map(void **state)
{
	static const char *const names[] = { "x86_32", "x86_64", "x86_32-pae", "x86_64-la57" };

	(void)state;
	for (unsigned n = 0; n < 4; n++) {
		struct vmsim_machine *m = boot(names[n]);
		unsigned long before = frames_accounted(m);
		struct page *p = alloc_page(&m->pm, n % 2 ? GFP_HIGHUSER : GFP_KERNEL);
		uint64_t va = page_address(&m->pm, p);
		uint32_t code;

		assert_int_not_equal(va, 0);
		assert_false(PageHighMem(m, p));
		assert_int_equal(kmap(m, p), va);
		assert_int_equal(kmap_atomic(m, 0, p), va);
		assert_int_equal(kmap_local_page(m, 0, p), va);
		assert_int_equal(highmem_page_address(m, p), va);
		assert_int_equal(wr(m, va + 4, 4, 99), NO_FAULT);
		assert_int_equal(rd(m, kmap(m, p) + 4, 4, &code), 99);
		assert_int_equal(kunmap_atomic(m, 0, va), 0);
		assert_int_equal(kunmap(m, p), 0);
		check(m);
		__free_page(&m->pm, p);
		/* no slot, no page table: exactly the same frames */
		assert_int_equal(frames_accounted(m), before);
		vmsim_machine_destroy(m);
	}
}

static void test_highmem_kmap_local_stack(void **state)
{
	static const char *const sets[] = { "cpu.count=2", NULL };
	struct vmsim_machine *m = boot_with("x86_32", sets);
	struct fixmap_layout fl;
	struct page *p = highpage(m), *q = highpage(m);
	uint64_t a[17], b, c;
	uint32_t code;

	(void)state;
	fixmap_layout(&m->cfg, &fl);
	a[0] = kmap_local_page(m, 0, p);
	a[1] = kmap_local_page(m, 0, q);
	assert_int_equal(a[0], __fix_to_virt(m, fl.fix_kmap_begin));
	assert_int_equal(a[1], __fix_to_virt(m, fl.fix_kmap_begin + 1));
	assert_int_equal(a[1], a[0] - 4096);
	/* cpu 1's stack starts KM_MAX_IDX slots further */
	b = kmap_local_page(m, 1, q);
	assert_int_equal(b, __fix_to_virt(m, fl.fix_kmap_begin + 16));
	assert_int_equal(b, 0xfffab000);
	check(m);
	/* the same frame through three addresses */
	assert_int_equal(wr(m, b + 40, 2, 0xbeef), NO_FAULT);
	assert_int_equal(rd(m, a[1] + 40, 2, &code), 0xbeef);
	/* out of order: refused, nothing changes */
	assert_int_equal(kunmap_local(m, 0, a[0]), -EINVAL);
	assert_int_equal(kunmap_local(m, 1, a[1]), -EINVAL);
	check(m);
	assert_int_equal(kunmap_local(m, 0, a[1] + 123), 0);	/* any address in the page */
	assert_int_equal(kunmap_local(m, 0, a[0]), 0);
	assert_int_equal(kunmap_local(m, 0, a[0]), -EINVAL);	/* stack empty */
	assert_int_equal(kunmap_local(m, 1, b), 0);
	check(m);
	/* KM_MAX_IDX = 16 nested slots, no more */
	for (unsigned i = 0; i < 16; i++) {
		a[i] = kmap_atomic(m, 0, i & 1 ? p : q);
		assert_int_not_equal(a[i], 0);
	}
	assert_int_equal(kmap_atomic(m, 0, p), 0);
	check(m);
	for (unsigned i = 16; i-- > 0;)
		assert_int_equal(kunmap_atomic(m, 0, a[i]), 0);
	check(m);
	c = kmap_atomic(m, 0, p);
	assert_int_equal(c, a[0]);
	assert_int_equal(kunmap_atomic(m, 0, c), 0);
	vmsim_machine_destroy(m);
}

static void test_highmem_checker_catches_bad_count(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_error err = { 0 };
	struct page *p = highpage(m);

	(void)state;
	kmap(m, p);
	check(m);
	m->highmem->pkmap_count[2] = 2;	/* a held slot with no PTE */
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "pkmap"));
	m->highmem->pkmap_count[2] = 0;
	check(m);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_highmem_kmap_write_kmap_atomic_read),
		cmocka_unit_test(test_highmem_kmap_under_pae),
		cmocka_unit_test(test_highmem_kmap_counts),
		cmocka_unit_test(test_highmem_pkmap_exhaustion_wrap_and_flush),
		cmocka_unit_test(test_highmem_lowmem_and_x86_64_use_direct_map),
		cmocka_unit_test(test_highmem_kmap_local_stack),
		cmocka_unit_test(test_highmem_checker_catches_bad_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
