/*
 * Tests of deferred struct page init (src/phys/buddy.c): a 64 GiB x86_64
 * machine boots fast and small, shows Linux's buddyinfo, hands its
 * max-order blocks out lowest first, and allocating then freeing every
 * page restores the boot counts.
 */
#include "phys_test.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const unsigned long boot_dma[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3 };
static const unsigned long boot_dma32[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1012 };
static const unsigned long boot_normal[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15360 };

/* Resident set size of this process in bytes (/proc/self/statm). */
static unsigned long rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (unsigned long)sysconf(_SC_PAGESIZE);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void assert_boot_counts(struct phys_mem *pm, const char *step)
{
	assert_buddyinfo(pm, ZONE_DMA, boot_dma, step);
	assert_buddyinfo(pm, ZONE_DMA32, boot_dma32, step);
	assert_buddyinfo(pm, ZONE_NORMAL, boot_normal, step);
}

static void test_deferred_64g_boot_and_full_cycle(void **state)
{
	unsigned long rss0 = rss_bytes();
	double t0 = now();
	struct test_machine *tm = tm_try_boot("x86_64", 64 * GiB, NULL);
	double boot = now() - t0;
	unsigned long rss1 = rss_bytes();
	struct phys_mem *pm;
	unsigned long total, got = 0, n = 0, cap = 1UL << 16;
	struct { struct page *p; unsigned order; } *held;

	(void)state;
	if (!tm) {
		/* 64 GiB of address space refused (valgrind): nothing to test */
		print_message("host refused 64 GiB of address space: skipped\n");
		skip();
	}
	pm = &tm->pm;
	total = nr_free_pages(pm);
	held = calloc(cap, sizeof(*held));
	assert_non_null(held);
	print_message("64 GiB boot: %.3f s, RSS +%lu KiB\n", boot, (rss1 - rss0) >> 10);
	assert_true(boot < 5.0);	/* the bench holds the 1 s goal in release */
	assert_true(rss1 - rss0 <= 16 * MiB);
	assert_boot_counts(pm, "boot");
	assert_int_equal(tz(pm, ZONE_NORMAL)->nr_deferred_blocks, 15360);
	assert_int_equal(pm->vmstat.deferred_init_blocks, 0);
	assert_int_equal(total, 3840 + 1036288 + 15728640);
	assert_lists_ok(pm);

	/* GFP_KERNEL starts in Normal at its lowest block: 4 GiB */
	held[n].p = alloc_pages(pm, GFP_KERNEL, 0);
	assert_int_equal(page_to_pfn(pm, held[n].p), 1UL << 20);
	assert_int_equal(page_zonenum(held[n].p), ZONE_NORMAL);
	assert_int_equal(pm->vmstat.deferred_init_blocks, 1);
	held[n++].order = 0;
	got = 1;
	assert_lists_ok(pm);
	/* and the next max-order block is the one above it */
	held[n].p = alloc_pages(pm, GFP_KERNEL, 10);
	assert_int_equal(page_to_pfn(pm, held[n].p), (1UL << 20) + 1024);
	held[n++].order = 10;
	got += 1024;

	/* everything, largest blocks first, ignoring watermarks */
	for (int order = 10; order >= 0; order--) {
		struct page *p;

		while ((p = alloc_pages(pm, GFP_KERNEL | __GFP_MEMALLOC, (unsigned)order)) != NULL) {
			assert_true(n < cap);
			held[n].p = p;
			held[n++].order = (unsigned)order;
			got += 1UL << order;
			/* a full check walks 16M struct pages: every 4096th */
			if (!(n & 4095))
				assert_lists_ok(pm);
		}
	}
	assert_int_equal(got, total);
	assert_int_equal(nr_free_pages(pm), 0);
	assert_int_equal(pm->vmstat.deferred_init_blocks, 3 + 1012 + 15360);
	assert_lists_ok(pm);
	while (n--) {
		__free_pages(pm, held[n].p, held[n].order);
		if (!(n & 4095))
			assert_lists_ok(pm);
	}
	assert_int_equal(pm->vmstat.bad_page, 0);
	assert_boot_counts(pm, "after freeing everything");
	assert_int_equal(nr_free_pages(pm), total);
	assert_lists_ok(pm);
	free(held);
	tm_free(tm);
}

/* Initialized blocks freed back sit ahead of the still-deferred ones. */
static void test_deferred_freed_block_goes_first(void **state)
{
	struct test_machine *tm = tm_try_boot("x86_64", 8 * GiB, NULL);
	struct phys_mem *pm;
	struct page *a, *b, *c;

	(void)state;
	if (!tm)
		skip();
	pm = &tm->pm;
	a = alloc_pages(pm, GFP_KERNEL, 10);
	b = alloc_pages(pm, GFP_KERNEL, 10);
	assert_int_equal(page_to_pfn(pm, a), 1UL << 20);
	assert_int_equal(page_to_pfn(pm, b), (1UL << 20) + 1024);
	__free_pages(pm, b, 10);
	assert_lists_ok(pm);
	c = alloc_pages(pm, GFP_KERNEL, 10);
	assert_ptr_equal(c, b);		/* head of the list, not the deferred 4G+8M */
	assert_int_equal(pm->vmstat.deferred_init_blocks, 2);
	__free_pages(pm, c, 10);
	__free_pages(pm, a, 10);
	assert_lists_ok(pm);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred_64g_boot_and_full_cycle),
		cmocka_unit_test(test_deferred_freed_block_goes_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
