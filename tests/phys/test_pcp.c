/*
 * Tests of the per-CPU page lists (src/phys/pcp.c and the fast paths in
 * page_alloc.c) against Linux v6.12's rules, with known answers derived by
 * hand in the comments: batch and high sizing, the doubling refills, the
 * LIFO free, the flush at high, the free_high flush of a run of order-1
 * frees, the THP list, drain_all_pages(), the drain before an allocation
 * fails, `buddy.pcp: false`, and a randomized sequence whose every step is
 * followed by the checker (which checks the pcp lists too) and by a
 * conservation check against a model of the live blocks.
 *
 * The default x86_64 machine: 4 GiB, DMA32 = pfn [4096, 1048576), 1036288
 * managed pages, low watermark 3067; GFP_KERNEL is served by DMA32.
 */
#include "phys_test.h"

#include "phys/pcp.h"

static void pcp_on(struct vmsim_config *c)
{
	c->pcp = true;
}

static void pcp_on_2cpus(struct vmsim_config *c)
{
	c->pcp = true;
	c->cpu_count = 2;
}

/* high = managed / 2072 = 500, fixed (high_min == high_max) */
static void pcp_high_500(struct vmsim_config *c)
{
	c->pcp = true;
	c->pcp_high_fraction = 2072;
}

static unsigned long pcp_count(struct phys_mem *pm, enum zone_type t)
{
	return zone_pcp_pages(pm, tz(pm, t));
}

/* zone_batchsize() restated: min(managed/1024, 256)/4, at least 1, rounded
 * down to 2^n - 1 of one and a half times that, at least 1. */
static int expected_batch(unsigned long managed)
{
	unsigned long b = managed >> 10, p = 1;

	if (b > 256)
		b = 256;
	b /= 4;
	if (b < 1)
		b = 1;
	while (p * 2 <= b + b / 2)
		p *= 2;
	return p - 1 < 1 ? 1 : (int)(p - 1);
}

static void assert_pageset(struct phys_mem *pm, enum zone_type t, int batch, int high_min,
			   int high_max)
{
	struct zone *z = tz(pm, t);

	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];

		if (pcp->batch != batch || pcp->high_min != high_min || pcp->high_max != high_max)
			fail_msg("zone %s cpu %u: batch %d high %d..%d, expected %d, %d..%d", z->name, c,
				 pcp->batch, pcp->high_min, pcp->high_max, batch, high_min, high_max);
	}
}

static void test_pcp_sizing_default_machine(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, pcp_on);
	struct phys_mem *pm = &tm->pm;
	struct zone *dma32 = tz(pm, ZONE_DMA32);

	(void)state;
	/* the values /proc/zoneinfo of a 4 GiB Linux 6.12 guest shows */
	assert_int_equal(dma32->managed_pages, 1036288);
	assert_int_equal(wmark_pages(dma32, WMARK_LOW), 3067);
	assert_int_equal(expected_batch(1036288), 63);
	assert_pageset(pm, ZONE_DMA32, 63, 3067, 1036288 / 8);
	/* DMA: 3840 managed -> batch 1; high_min = low 10; high_max 480 */
	assert_int_equal(expected_batch(3840), 1);
	assert_pageset(pm, ZONE_DMA, 1, (int)wmark_pages(tz(pm, ZONE_DMA), WMARK_LOW), 480);
	assert_int_equal(pm->pcp_thp_order, 9);
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 0);
	tm_free(tm);

	/* two CPUs split the shares; a fixed fraction pins high */
	tm = tm_boot("x86_64", 0, pcp_on_2cpus);
	assert_pageset(&tm->pm, ZONE_DMA32, 63, 3067 / 2, 1036288 / 8 / 2);
	tm_free(tm);
	tm = tm_boot("x86_64", 0, pcp_high_500);
	assert_pageset(&tm->pm, ZONE_DMA32, 63, 500, 500);
	tm_free(tm);
	/* off: zone_pcp_disable()'s batch 1, high 0 */
	tm = tm_boot("x86_64", 0, NULL);
	assert_pageset(&tm->pm, ZONE_DMA32, 1, 0, 0);
	tm_free(tm);
}

/* x86_32: every populated zone sized by the same rules; the THP list
 * holds order 10 (4 MiB, the 2-level PMD), never order 9. */
static void test_pcp_sizing_x86_32(void **state)
{
	struct test_machine *tm = tm_boot("x86_32", 0, pcp_on);
	struct phys_mem *pm = &tm->pm;
	enum zone_type types[] = { ZONE_DMA, ZONE_NORMAL, ZONE_HIGHMEM };

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct zone *z = tz(pm, types[i]);
		int b = expected_batch(z->managed_pages);
		int lo = (int)wmark_pages(z, WMARK_LOW), hi = (int)(z->managed_pages / 8);

		assert_true(populated_zone(z));
		assert_pageset(pm, types[i], b, lo > 4 * b ? lo : 4 * b, hi > 4 * b ? hi : 4 * b);
	}
	assert_int_equal(pm->pcp_thp_order, 10);
	free_checked(pm, alloc_checked(pm, GFP_HIGHUSER, 9), 9);
	assert_int_equal(pcp_count(pm, ZONE_HIGHMEM) + pcp_count(pm, ZONE_NORMAL), 0);
	free_checked(pm, alloc_checked(pm, GFP_HIGHUSER, 10), 10);
	assert_int_equal(pcp_count(pm, ZONE_HIGHMEM) + pcp_count(pm, ZONE_NORMAL), 1024);
	tm_free(tm);
}

/*
 * Order-0 refills on a fresh zone: 63 << alloc_factor pages, alloc_factor
 * growing by one per refill with no free between, up to 5 (2016 pages):
 * 63, 126, 252, 504, 1008, 2016, 2016.  The pages taken leave NR_FREE_PAGES
 * at the refill; the allocations that follow do not touch it.
 */
static void test_pcp_refill_doubles(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, pcp_on);
	struct phys_mem *pm = &tm->pm;
	struct zone *z = tz(pm, ZONE_DMA32);
	static const unsigned long refill[] = { 63, 126, 252, 504, 1008, 2016, 2016 };
	unsigned long free0 = z->free_pages, taken = 0;

	(void)state;
	for (unsigned r = 0; r < sizeof(refill) / sizeof(refill[0]); r++) {
		taken += refill[r];
		for (unsigned long i = 0; i < refill[r]; i++) {
			struct page *p = alloc_pages(pm, GFP_KERNEL, 0);

			assert_non_null(p);
			if (z->free_pages != free0 - taken || pcp_count(pm, ZONE_DMA32) != refill[r] - 1 - i)
				fail_msg("refill %u, allocation %lu: free %lu pcp %lu, expected %lu, %lu", r,
					 i, z->free_pages, pcp_count(pm, ZONE_DMA32), free0 - taken,
					 refill[r] - 1 - i);
		}
		assert_lists_ok(pm);
	}
	assert_int_equal(z->per_cpu_pageset[0].alloc_factor, PCP_BATCH_SCALE_MAX);
	tm_free(tm);
}

/* Frees go to the head: the page freed last is the next one handed out,
 * and the refill hands out ascending pages. */
static void test_pcp_lifo_and_ascending(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, pcp_on);
	struct phys_mem *pm = &tm->pm;
	struct page *a, *b, *c;

	(void)state;
	a = alloc_checked(pm, GFP_KERNEL, 0);
	b = alloc_checked(pm, GFP_KERNEL, 0);
	assert_ptr_equal(b, a + 1);
	free_checked(pm, b, 0);
	free_checked(pm, a, 0);
	c = alloc_checked(pm, GFP_KERNEL, 0);
	assert_ptr_equal(c, a);
	c = alloc_checked(pm, GFP_KERNEL, 0);
	assert_ptr_equal(c, b);
	tm_free(tm);
}

/*
 * The flush at high (high fixed at 500, batch 63).  600 allocations refill
 * 63, 126, 252, then min(504, 500 - 0 - 63) = 437: 878 pages, 278 left.
 * Freeing the 600: each free counts in free_count; when the list reaches
 * 500 a flush gives back clamp(free_count, 63, 500 - 63): 222 at the
 * 222nd free (278 + 222 = 500), 437 at the 444th (free_count 444), leaving
 * 63; the last 156 frees end at 219.
 */
static bool on_pcp_list(struct phys_mem *pm, enum zone_type t, const struct page *p)
{
	const struct list_head *l = &tz(pm, t)->per_cpu_pageset[0].lists[0];

	for (const struct list_head *e = l->next; e != l; e = e->next)
		if (list_entry(e, struct page, lru) == p)
			return true;
	return false;
}

static void test_pcp_flush_at_high(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, pcp_high_500);
	struct phys_mem *pm = &tm->pm;
	struct zone *z = tz(pm, ZONE_DMA32);
	struct page **pages = calloc(600, sizeof(*pages));
	unsigned long managed = z->managed_pages;

	(void)state;
	assert_non_null(pages);
	for (unsigned i = 0; i < 600; i++)
		assert_non_null(pages[i] = alloc_pages(pm, GFP_KERNEL, 0));
	assert_lists_ok(pm);
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 278);
	assert_int_equal(z->free_pages, managed - 878);
	for (unsigned i = 0; i < 600; i++) {
		unsigned long want;

		__free_pages(pm, pages[i], 0);
		if (i < 221)
			want = 278 + i + 1;
		else if (i == 221)
			want = 278;	/* 500 reached: 222 flushed */
		else if (i < 443)
			want = 278 + (i - 221);
		else if (i == 443)
			want = 63;	/* 500 reached again: 437 flushed */
		else
			want = 63 + (i - 443);
		/* a flush takes the coldest pages (the list's tail): the page
		 * just freed stays */
		assert_true(on_pcp_list(pm, ZONE_DMA32, pages[i]));
		if (pcp_count(pm, ZONE_DMA32) != want)
			fail_msg("free %u: pcp %lu, expected %lu", i + 1, pcp_count(pm, ZONE_DMA32), want);
		assert_int_equal(z->free_pages + pcp_count(pm, ZONE_DMA32), managed - (599 - i));
	}
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 219);
	assert_lists_ok(pm);
	free(pages);
	tm_free(tm);
}

/*
 * free_high: a run of order-1 frees with no allocation between.  From the
 * free that sees free_count >= batch (63) with the previous free also of
 * order 1..3 -- the 33rd: 32 frees of 2 pages made free_count 64 -- each
 * such free flushes the whole pageset (up to 2016 pages).
 */
static void test_pcp_free_high_run(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, pcp_on);
	struct phys_mem *pm = &tm->pm;
	struct page *pages[40];

	(void)state;
	for (unsigned i = 0; i < 40; i++)
		pages[i] = alloc_checked(pm, GFP_KERNEL, 1);
	/* order-1 refills: max(63 >> 1, 2) = 31 blocks, twice */
	assert_int_equal(pcp_count(pm, ZONE_DMA32), (62 - 40) * 2);
	for (unsigned i = 0; i < 40; i++) {
		free_checked(pm, pages[i], 1);
		if (i + 1 < 33)
			assert_int_equal(pcp_count(pm, ZONE_DMA32), (22 + i + 1) * 2);
		else
			assert_int_equal(pcp_count(pm, ZONE_DMA32), 0);
	}
	tm_free(tm);
}

/* The THP order (9 on x86_64) has a list of its own: a refill takes
 * max(63 >> 9, 2) = 2 blocks. */
static void test_pcp_thp_list(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, pcp_on);
	struct phys_mem *pm = &tm->pm;
	struct zone *z = tz(pm, ZONE_DMA32);
	unsigned long free0 = z->free_pages;
	struct page *p = alloc_checked(pm, GFP_KERNEL, 9);

	(void)state;
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 512);
	assert_int_equal(z->free_pages, free0 - 1024);
	free_checked(pm, p, 9);
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 1024);
	/* order 4 is not a pcp order: straight from and to the buddy lists */
	p = alloc_checked(pm, GFP_KERNEL, 4);
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 1024);
	free_checked(pm, p, 4);
	assert_int_equal(z->free_pages, free0 - 1024);
	drain_all_pages(pm, NULL);
	assert_lists_ok(pm);
	assert_int_equal(z->free_pages, free0);
	assert_int_equal(pcp_count(pm, ZONE_DMA32), 0);
	tm_free(tm);
}

/* After a drain every block merged back: buddyinfo equals the boot's. */
static void test_pcp_drain_restores_buddyinfo(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, pcp_on);
	struct phys_mem *pm = &tm->pm;
	unsigned long boot[11], now[11];
	struct page *p[50];

	(void)state;
	for (unsigned o = 0; o <= 10; o++)
		boot[o] = tz(pm, ZONE_DMA32)->free_area[o].nr_free;
	for (unsigned i = 0; i < 50; i++)
		p[i] = alloc_checked(pm, GFP_DMA32, i % 4);
	for (unsigned i = 0; i < 50; i++)
		free_checked(pm, p[i], i % 4);
	drain_all_pages(pm, tz(pm, ZONE_DMA32));
	assert_lists_ok(pm);
	for (unsigned o = 0; o <= 10; o++)
		now[o] = tz(pm, ZONE_DMA32)->free_area[o].nr_free;
	assert_memory_equal(now, boot, sizeof(boot));
	tm_free(tm);
}

/*
 * Exhaust the 64 MiB machine, then free 3 pages: they go to the per-CPU
 * lists, not to NR_FREE_PAGES.  GFP_NOWAIT cannot reclaim, so it fails as
 * Linux's would; GFP_KERNEL's slow path drains the lists and succeeds.
 */
static void test_pcp_drained_before_failing(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, pcp_on);
	struct phys_mem *pm = &tm->pm;
	struct page **held = calloc(20000, sizeof(*held));
	unsigned long n = 0, free_at_oom;
	struct page *p;

	(void)state;
	assert_non_null(held);
	while ((p = alloc_pages(pm, GFP_KERNEL, 0)) != NULL) {
		assert_true(n < 20000);
		held[n++] = p;
	}
	assert_lists_ok(pm);
	/* the failed allocation drained: nothing is left on any list */
	assert_int_equal(pcp_count(pm, ZONE_DMA) + pcp_count(pm, ZONE_DMA32), 0);
	free_at_oom = nr_free_pages(pm);
	for (unsigned i = 0; i < 3; i++)
		free_checked(pm, held[--n], 0);
	assert_int_equal(nr_free_pages(pm), free_at_oom);
	assert_int_equal(nr_free_pages_with_pcp(pm), free_at_oom + 3);
	assert_null(alloc_pages(pm, GFP_NOWAIT, 0));
	held[n++] = alloc_checked(pm, GFP_KERNEL, 0);
	assert_int_equal(nr_free_pages_with_pcp(pm), free_at_oom + 2);
	while (n)
		free_checked(pm, held[--n], 0);
	drain_all_pages(pm, NULL);
	assert_int_equal(nr_free_pages(pm), pm->totalram_pages);
	free(held);
	tm_free(tm);
}

/* pcp off: nothing ever sits on a list; each free merges at once. */
static void test_pcp_off_goes_straight_to_buddy(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	unsigned long free0 = nr_free_pages(pm);
	struct page *p = alloc_checked(pm, GFP_KERNEL, 0);

	(void)state;
	assert_int_equal(nr_free_pages(pm), free0 - 1);
	free_checked(pm, p, 0);
	assert_int_equal(nr_free_pages(pm), free0);
	assert_int_equal(nr_free_pages_with_pcp(pm), free0);
	tm_free(tm);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t xrand(void)
{
	return rng_next(&rng);
}

/*
 * 4000 random allocations and frees of orders 0-3, 4 and 9 on a 256 MiB
 * machine with pcp on, the checker after each, against a model of the
 * live blocks: no frame handed out twice, and live + free + pcp pages ==
 * managed at every step.  At the end everything is freed and drained and
 * buddyinfo equals the boot's.
 */
static void test_pcp_random_vs_model(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 256 * MiB, pcp_on);
	struct phys_mem *pm = &tm->pm;
	static const unsigned orders[] = { 0, 0, 0, 0, 1, 2, 3, 4, 9 };
	struct { struct page *p; unsigned order; } live[256];
	unsigned nlive = 0;
	unsigned long live_pages = 0, boot[NR_ORDERS_LIMIT][MAX_NR_ZONES];
	uint8_t *used = calloc(pm->max_pfn, 1);

	(void)state;
	assert_non_null(used);
	for (unsigned o = 0; o <= pm->max_order; o++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			boot[o][t] = tz(pm, t)->free_area[o].nr_free;
	for (unsigned step = 0; step < 4000; step++) {
		bool do_alloc = nlive == 0 || (nlive < 256 && xrand() % 100 < 55);

		if (do_alloc) {
			unsigned order = orders[xrand() % (sizeof(orders) / sizeof(orders[0]))];
			struct page *p = alloc_pages(pm, xrand() % 2 ? GFP_KERNEL : GFP_DMA32, order);
			unsigned long pfn;

			if (!p)
				continue;
			pfn = page_to_pfn(pm, p);
			assert_int_equal(pfn & ((1UL << order) - 1), 0);
			for (unsigned long i = 0; i < (1UL << order); i++) {
				if (used[pfn + i])
					fail_msg("step %u: pfn %#lx handed out twice", step, pfn + i);
				used[pfn + i] = 1;
			}
			live[nlive].p = p;
			live[nlive++].order = order;
			live_pages += 1UL << order;
		} else {
			unsigned k = (unsigned)(xrand() % nlive);
			unsigned long pfn = page_to_pfn(pm, live[k].p);

			for (unsigned long i = 0; i < (1UL << live[k].order); i++)
				used[pfn + i] = 0;
			__free_pages(pm, live[k].p, live[k].order);
			live_pages -= 1UL << live[k].order;
			live[k] = live[--nlive];
		}
		assert_lists_ok(pm);
		if (nr_free_pages_with_pcp(pm) + live_pages != pm->totalram_pages)
			fail_msg("step %u: free %lu + pcp + live %lu != managed %lu", step,
				 nr_free_pages(pm), live_pages, pm->totalram_pages);
	}
	while (nlive) {
		nlive--;
		__free_pages(pm, live[nlive].p, live[nlive].order);
	}
	drain_all_pages(pm, NULL);
	assert_lists_ok(pm);
	assert_int_equal(pm->vmstat.bad_page, 0);
	for (unsigned o = 0; o <= pm->max_order; o++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			assert_int_equal(tz(pm, t)->free_area[o].nr_free, boot[o][t]);
	free(used);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcp_sizing_default_machine),
		cmocka_unit_test(test_pcp_sizing_x86_32),
		cmocka_unit_test(test_pcp_refill_doubles),
		cmocka_unit_test(test_pcp_lifo_and_ascending),
		cmocka_unit_test(test_pcp_flush_at_high),
		cmocka_unit_test(test_pcp_free_high_run),
		cmocka_unit_test(test_pcp_thp_list),
		cmocka_unit_test(test_pcp_drain_restores_buddyinfo),
		cmocka_unit_test(test_pcp_drained_before_failing),
		cmocka_unit_test(test_pcp_off_goes_straight_to_buddy),
		cmocka_unit_test(test_pcp_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
