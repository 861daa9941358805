/*
 * __GFP_ZERO without needless zeroing: a frame that was never handed out
 * nor written since boot is returned as it is (the fresh mapping's zeroes),
 * every other frame is cleared.  These tests write data into frames by
 * every path that can (an allocation then a free, a kernel write through
 * the direct map into a free frame, a compound block) and check that a
 * later __GFP_ZERO allocation of the same frames reads back all zeroes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "kern/maccess.h"
#include "kern/machine.h"

static struct vmsim_machine *boot64(void)
{
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	assert_non_null(m);
	return m;
}

static bool all_zero(struct phys_mem *pm, struct page *p, unsigned order)
{
	const uint8_t *b = page_host(pm, p);

	for (size_t i = 0; i < (PAGE_SIZE << order); i++)
		if (b[i])
			return false;
	return true;
}

static void test_zeroing_fresh_frames_are_zero_and_untouched(void **state)
{
	struct vmsim_machine *m = boot64();
	struct phys_mem *pm = &m->pm;
	struct page *p = alloc_pages(pm, GFP_KERNEL | __GFP_ZERO, 3);

	assert_non_null(p);
	for (unsigned i = 0; i < 8; i++)
		assert_false(frame_touched(pm, page_to_pfn(pm, p) + i));
	assert_true(all_zero(pm, p, 3));
	__free_pages(pm, p, 3);
	/* back on the free lists: it may hold data now */
	for (unsigned i = 0; i < 8; i++)
		assert_true(frame_touched(pm, page_to_pfn(pm, p) + i));
	vmsim_machine_destroy(m);
}

static void test_zeroing_after_free_of_written_frames(void **state)
{
	struct vmsim_machine *m = boot64();
	struct phys_mem *pm = &m->pm;

	for (unsigned order = 0; order <= 4; order++) {
		struct page *p = alloc_pages(pm, GFP_KERNEL | __GFP_DMA, order), *q;

		assert_non_null(p);
		memset(page_host(pm, p), 0xa5, PAGE_SIZE << order);
		__free_pages(pm, p, order);
		/* the head of the list again: the same frames */
		q = alloc_pages(pm, GFP_KERNEL | __GFP_DMA | __GFP_ZERO, order);
		assert_ptr_equal(q, p);
		if (!all_zero(pm, q, order))
			fail_msg("order %u: __GFP_ZERO returned data", order);
		__free_pages(pm, q, order);
	}
	vmsim_machine_destroy(m);
}

static void test_zeroing_after_kernel_write_into_a_free_frame(void **state)
{
	struct vmsim_machine *m = boot64();
	struct phys_mem *pm = &m->pm;
	struct vmsim_fault f;
	struct page *p;
	unsigned long pfn;

	/* find the frame the next DMA allocation will return, free again */
	p = alloc_pages(pm, GFP_KERNEL | __GFP_DMA, 0);
	assert_non_null(p);
	pfn = page_to_pfn(pm, p);
	__free_pages(pm, p, 0);
	/* a fresh machine: take a frame never handed out (the next one up) */
	pfn += 1;
	assert_false(frame_touched(pm, pfn));
	/* a stray kernel write through the direct map into that free frame */
	assert_int_equal(kwrite(m, m->cfg.page_offset + ((uint64_t)pfn << PAGE_SHIFT) + 8, 8,
				0x1122334455667788ULL, &f), 0);
	assert_true(frame_touched(pm, pfn));
	/* allocate until that frame comes out zeroed */
	for (int i = 0; i < 4096; i++) {
		p = alloc_pages(pm, GFP_KERNEL | __GFP_DMA | __GFP_ZERO, 0);
		assert_non_null(p);
		if (page_to_pfn(pm, p) == pfn)
			break;
	}
	assert_int_equal(page_to_pfn(pm, p), pfn);
	assert_true(all_zero(pm, p, 0));
	vmsim_machine_destroy(m);
}

static void test_zeroing_compound_block_with_one_written_frame(void **state)
{
	struct vmsim_machine *m = boot64();
	struct phys_mem *pm = &m->pm;
	struct page *p = alloc_pages(pm, GFP_KERNEL | __GFP_COMP, 2), *q;

	assert_non_null(p);
	memset(page_host(pm, p + 3), 0x5a, PAGE_SIZE);	/* only the last frame */
	__free_pages(pm, p, 2);
	q = alloc_pages(pm, GFP_KERNEL | __GFP_COMP | __GFP_ZERO, 2);
	assert_ptr_equal(q, p);
	assert_true(all_zero(pm, q, 2));
	__free_pages(pm, q, 2);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroing_fresh_frames_are_zero_and_untouched),
		cmocka_unit_test(test_zeroing_after_free_of_written_frames),
		cmocka_unit_test(test_zeroing_after_kernel_write_into_a_free_frame),
		cmocka_unit_test(test_zeroing_compound_block_with_one_written_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
