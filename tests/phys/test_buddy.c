/*
 * Tests of the buddy allocator (src/phys/buddy.c, page_alloc.c): known
 * answer sequences of split/merge with the exact nr_free after each step,
 * head vs tail placement seen through allocation order, exhaustion and
 * recovery, refcounts and bad frees, __GFP_ZERO/__GFP_COMP, page
 * poisoning, and a randomized sequence checked against an independent
 * reference model.  check_free_lists() runs after every mutation.
 *
 * The small machine: x86_64, 64 MiB, bios [0, 1M) and kernel [16M, 48M)
 * reserved.  DMA = pfn [0, 4096): free [256, 4096) boots as one order-8
 * block (256), one order-9 (512), three order-10 (1024, 2048, 3072).
 * DMA32 = [4096, 16384): free [12288, 16384) = four order-10 blocks.
 */
#include "phys_test.h"

#include "phys/buddy.h"

static const unsigned long boot_dma[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3 };
static const unsigned long boot_dma32[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4 };

/* An allocation that must return the block at @pfn. */
static struct page *alloc_ok(struct phys_mem *pm, gfp_t gfp, unsigned order, unsigned long pfn)
{
	struct page *p = alloc_checked(pm, gfp, order);

	if (page_to_pfn(pm, p) != pfn)
		fail_msg("alloc order %u: pfn %lu, expected %lu", order, page_to_pfn(pm, p), pfn);
	return p;
}

static void test_buddy_struct_page_size(void **state)
{
	(void)state;
	assert_true(sizeof(struct page) <= 56);
}

static void test_buddy_boot_small_machine(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;

	(void)state;
	assert_lists_ok(pm);
	assert_buddyinfo(pm, ZONE_DMA, boot_dma, "boot");
	assert_buddyinfo(pm, ZONE_DMA32, boot_dma32, "boot");
	/* boot lists ascend: order-8 head 256, order-9 head 512 */
	assert_int_equal(list_head_pfn(pm, ZONE_DMA, 8), 256);
	assert_int_equal(list_head_pfn(pm, ZONE_DMA, 9), 512);
	assert_int_equal(nr_free_pages(pm), 3840 + 4096);
	/* reserved frames: PG_reserved, refcount 1 */
	for (unsigned long pfn = 0; pfn < 256; pfn++) {
		struct page *p = pfn_to_page(pm, pfn);

		if (!PageReserved(p) || page_ref_count(p) != 1)
			fail_msg("pfn %lu not reserved", pfn);
	}
	assert_true(PageReserved(pfn_to_page(pm, 4096)));
	assert_true(PageReserved(pfn_to_page(pm, 12287)));
	assert_false(PageReserved(pfn_to_page(pm, 12288)));
	tm_free(tm);
}

static void zone_starts_at_pfn1(struct vmsim_config *c)
{
	c->reserve[0].size = 4096;	/* only pfn 0 */
	c->kernel_start = 32 * MiB;
	c->kernel_size = 4 * MiB;
}

/* Boot freeing: a zone starting at pfn 1 gets one block of each order
 * 0..9, then order-10 blocks, each list ascending. */
static void test_buddy_boot_orders_from_pfn1(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, zone_starts_at_pfn1);
	struct phys_mem *pm = &tm->pm;
	const unsigned long expect[11] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3 };

	(void)state;
	assert_lists_ok(pm);
	assert_buddyinfo(pm, ZONE_DMA, expect, "boot from pfn 1");
	for (unsigned o = 0; o < 10; o++)
		assert_int_equal(list_head_pfn(pm, ZONE_DMA, o), 1UL << o);
	/* the order-10 blocks hand out in ascending order: 1024, 2048, 3072 */
	for (unsigned long pfn = 1024; pfn < 4096; pfn += 1024)
		alloc_ok(pm, GFP_DMA, 10, pfn);
	tm_free(tm);
}

/* Known-answer split/merge sequence in the DMA zone. */
static void test_buddy_split_merge_known_answer(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *a, *b, *c, *d, *e, *f;

	(void)state;
	a = alloc_ok(pm, GFP_DMA, 0, 256);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 3 }, "a");
	/* expand() returned the lowest part and queued the upper halves */
	assert_int_equal(list_head_pfn(pm, ZONE_DMA, 0), 257);
	assert_int_equal(list_head_pfn(pm, ZONE_DMA, 7), 384);
	b = alloc_ok(pm, GFP_DMA, 3, 264);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 3 }, "b");
	c = alloc_ok(pm, GFP_DMA, 9, 512);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 3 }, "c");
	/* order 9 empty: the lowest order-10 block (1024) splits */
	d = alloc_ok(pm, GFP_DMA, 9, 1024);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 2 }, "d");
	/* c's buddy is pfn 0 (reserved): no merge, head of the order-9 list */
	free_checked(pm, c, 9);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 0, 1, 1, 1, 1, 0, 2, 2 }, "free c");
	assert_int_equal(list_head_pfn(pm, ZONE_DMA, 9), 512);
	e = alloc_ok(pm, GFP_DMA, 9, 512);
	/* d merges with 1536 into an order-10 block queued at the head,
	 * ahead of the deferred 2048 and 3072 */
	free_checked(pm, d, 9);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 3 }, "free d");
	f = alloc_ok(pm, GFP_DMA, 10, 1024);
	free_checked(pm, f, 10);
	free_checked(pm, b, 3);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 3 }, "free b");
	/* a merges all the way up to order 8 */
	free_checked(pm, a, 0);
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3 }, "free a");
	free_checked(pm, e, 9);
	assert_buddyinfo(pm, ZONE_DMA, boot_dma, "back to boot");
	assert_buddyinfo(pm, ZONE_DMA32, boot_dma32, "DMA32 untouched");
	assert_int_equal(tz(pm, ZONE_DMA)->pgalloc, 1 + 8 + 512 + 512 + 512 + 1024);
	assert_int_equal(tz(pm, ZONE_DMA)->pgfree, 1 + 8 + 512 + 512 + 512 + 1024);
	tm_free(tm);
}

/*
 * buddy_merge_likely(): a freed block whose order+1 buddy is free goes to
 * the tail; the others to the head.  Seen through allocation order.
 */
static void test_buddy_tail_vs_head_placement(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *p[6];

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		p[i] = alloc_ok(pm, GFP_DMA, 0, 256 + i);
	/* order 0 and 1 lists are empty now: 260 (order 2) splits into
	 * 260 (taken), 261 (order 0), 262 (order 1) */
	p[4] = alloc_ok(pm, GFP_DMA, 0, 260);
	p[5] = alloc_ok(pm, GFP_DMA, 0, 261);
	assert_int_equal(list_head_pfn(pm, ZONE_DMA, 1), 262);
	free_checked(pm, p[0], 0);	/* 256: order-1 buddy 258 busy -> head */
	free_checked(pm, p[3], 0);	/* 259: order-1 buddy 256 not order 1 -> head */
	free_checked(pm, p[5], 0);	/* 261: order-1 buddy 262 free at order 1 -> tail */
	assert_buddyinfo(pm, ZONE_DMA, (unsigned long[]){ 3, 1, 0, 1, 1, 1, 1, 1, 0, 1, 3 }, "3 frees");
	p[0] = alloc_ok(pm, GFP_DMA, 0, 259);
	p[3] = alloc_ok(pm, GFP_DMA, 0, 256);
	p[5] = alloc_ok(pm, GFP_DMA, 0, 261);
	for (unsigned i = 0; i < 6; i++)
		free_checked(pm, p[i], 0);
	assert_buddyinfo(pm, ZONE_DMA, boot_dma, "back to boot");
	tm_free(tm);
}

/*
 * Zone fallback and exhaustion with GFP_DMA32 on the small machine.
 * Watermarks (see test_zones): DMA min/low 86/107, lowmem_reserve[DMA32]
 * 16; DMA32 min/low 91/113.  Fast path (low): DMA32 down to 113, then DMA
 * down to 107 + 16 = 123; slow path (min): DMA32 to 91, DMA to 86 + 16 =
 * 102; GFP_ATOMIC (min/2, then -1/4): DMA32 to 35, DMA to 33 + 16 = 49;
 * __GFP_MEMALLOC: everything.
 */
static void test_buddy_fallback_and_exhaustion(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page **held = calloc(8192, sizeof(*held));
	unsigned n = 0;
	struct page *p;
	struct {
		gfp_t gfp;
		unsigned long dma32_left, dma_left;
	} phases[] = {
		{ GFP_KERNEL | __GFP_DMA32, 91, 102 },
		{ GFP_ATOMIC | __GFP_DMA32, 35, 49 },
		{ GFP_KERNEL | __GFP_DMA32 | __GFP_MEMALLOC, 0, 0 },
	};

	(void)state;
	assert_non_null(held);
	/* the first phase, step by step: DMA32 first, then DMA */
	for (unsigned long i = 0; i < 4096 - 113; i++) {
		held[n++] = p = alloc_pages(pm, GFP_KERNEL | __GFP_DMA32, 0);
		assert_non_null(p);
		assert_int_equal(page_zonenum(p), ZONE_DMA32);
	}
	assert_int_equal(tz(pm, ZONE_DMA32)->free_pages, 113);
	held[n++] = p = alloc_pages(pm, GFP_KERNEL | __GFP_DMA32, 0);
	assert_int_equal(page_zonenum(p), ZONE_DMA);
	assert_lists_ok(pm);
	for (unsigned ph = 0; ph < 3; ph++) {
		while ((p = alloc_pages(pm, phases[ph].gfp, 0)) != NULL) {
			held[n++] = p;
			assert_true(n < 8192);
		}
		assert_lists_ok(pm);
		if (tz(pm, ZONE_DMA32)->free_pages != phases[ph].dma32_left ||
		    tz(pm, ZONE_DMA)->free_pages != phases[ph].dma_left)
			fail_msg("phase %u: DMA32 %lu DMA %lu left, expected %lu %lu", ph,
				 tz(pm, ZONE_DMA32)->free_pages, tz(pm, ZONE_DMA)->free_pages,
				 phases[ph].dma32_left, phases[ph].dma_left);
	}
	assert_int_equal(n, 3840 + 4096);
	assert_int_equal(nr_free_pages(pm), 0);
	assert_true(pm->vmstat.allocfail >= 3);
	assert_true(tz(pm, ZONE_DMA32)->alloc_fail > 0);
	/* nothing left for any order or zone */
	assert_null(alloc_pages(pm, GFP_KERNEL | __GFP_MEMALLOC, 0));
	assert_null(alloc_pages(pm, GFP_DMA | __GFP_MEMALLOC, 3));
	assert_null(alloc_pages(pm, GFP_KERNEL, 11));
	/* freeing everything restores the boot state exactly */
	while (n)
		__free_pages(pm, held[--n], 0);
	assert_lists_ok(pm);
	assert_int_equal(pm->vmstat.bad_page, 0);
	assert_buddyinfo(pm, ZONE_DMA, boot_dma, "after free");
	assert_buddyinfo(pm, ZONE_DMA32, boot_dma32, "after free");
	free(held);
	tm_free(tm);
}

/* A high-order request needs a block of that order even above the mark. */
static void test_buddy_high_order_needs_block(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct zone *dma = tz(pm, ZONE_DMA);

	(void)state;
	assert_true(zone_watermark_ok(dma, 10, 0, ZONE_DMA, 0));
	assert_false(zone_watermark_ok(dma, 10, dma->free_pages, ZONE_DMA, 0));
	/* the (1 << order) - 1 pages beyond the first do not count */
	assert_true(zone_watermark_ok(dma, 0, dma->free_pages - 1, ZONE_DMA, 0));
	assert_false(zone_watermark_ok(dma, 1, dma->free_pages - 1, ZONE_DMA, 0));
	/* lowmem_reserve for a request that could have used DMA32 */
	assert_false(zone_watermark_ok(dma, 0, dma->free_pages - 16, ZONE_DMA32, 0));
	assert_true(zone_watermark_ok(dma, 0, dma->free_pages - 17, ZONE_DMA32, 0));
	/* ALLOC_MIN_RESERVE halves min */
	assert_true(zone_watermark_ok(dma, 0, 2 * (dma->free_pages - 1), ZONE_DMA, ALLOC_MIN_RESERVE));
	/* take all three order-10 blocks: no order-10 block is left */
	for (unsigned long pfn = 1024; pfn < 4096; pfn += 1024)
		alloc_ok(pm, GFP_DMA, 10, pfn);
	assert_false(zone_watermark_ok(dma, 10, 0, ZONE_DMA, 0));
	assert_null(alloc_pages(pm, GFP_DMA | __GFP_MEMALLOC, 10));
	assert_true(zone_watermark_ok(dma, 9, 0, ZONE_DMA, 0));
	tm_free(tm);
}

static void test_buddy_refcount_and_bad_frees(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *p, *q;
	unsigned long free0 = nr_free_pages(pm);

	(void)state;
	p = alloc_ok(pm, GFP_DMA, 0, 256);
	get_page(p);
	assert_int_equal(page_ref_count(p), 2);
	put_page(pm, p);
	assert_int_equal(nr_free_pages(pm), free0 - 1);
	put_page(pm, p);	/* last reference: freed */
	assert_int_equal(nr_free_pages(pm), free0);
	assert_lists_ok(pm);
	/* double free: reported, nothing corrupted */
	__free_pages(pm, p, 0);
	assert_int_equal(pm->vmstat.bad_page, 1);
	assert_non_null(strstr(pm->bad_page_msg, "free"));
	assert_lists_ok(pm);
	assert_int_equal(nr_free_pages(pm), free0);
	/* freeing a reserved page: reported, stays reserved */
	__free_pages(pm, pfn_to_page(pm, 0), 0);
	assert_int_equal(pm->vmstat.bad_page, 2);
	assert_true(PageReserved(pfn_to_page(pm, 0)));
	assert_int_equal(page_ref_count(pfn_to_page(pm, 0)), 1);
	assert_lists_ok(pm);
	/* freeing a still-mapped page: reported and leaked, like Linux */
	p = alloc_ok(pm, GFP_DMA, 0, 256);
	p->_mapcount = 0;
	__free_pages(pm, p, 0);
	assert_int_equal(pm->vmstat.bad_page, 3);
	assert_non_null(strstr(pm->bad_page_msg, "mapcount"));
	assert_lists_ok(pm);
	assert_int_equal(nr_free_pages(pm), free0 - 1);
	/* ___free_pages(): a held head of a non-compound block keeps only
	 * the head; the rest is freed as order-1 + order-0 */
	q = alloc_ok(pm, GFP_DMA, 2, 260);
	get_page(q);
	__free_pages(pm, q, 2);
	assert_int_equal(page_ref_count(q), 1);
	assert_int_equal(nr_free_pages(pm), free0 - 2);
	assert_true(PageBuddy(pfn_to_page(pm, 262)) && buddy_order(pfn_to_page(pm, 262)) == 1);
	assert_true(PageBuddy(pfn_to_page(pm, 261)) && buddy_order(pfn_to_page(pm, 261)) == 0);
	assert_lists_ok(pm);
	__free_pages(pm, q, 0);
	assert_int_equal(nr_free_pages(pm), free0 - 1);
	assert_lists_ok(pm);
	tm_free(tm);
}

static void count_hook(void *ctx, const char *msg)
{
	(void)msg;
	(*(int *)ctx)++;
}

static void test_buddy_bad_page_hook(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	int calls = 0;
	struct page *p;

	(void)state;
	pm->bad_page_hook = count_hook;
	pm->bad_page_ctx = &calls;
	p = alloc_ok(pm, GFP_DMA, 0, 256);
	free_checked(pm, p, 0);
	__free_pages(pm, p, 0);
	put_page(pm, p);
	assert_int_equal(calls, 2);
	assert_int_equal(pm->vmstat.bad_page, 2);
	assert_lists_ok(pm);
	tm_free(tm);
}

static void pcp_on(struct vmsim_config *c)
{
	c->pcp = true;
}

/*
 * A free of the wrong order is refused and reported, whatever surrounds
 * the block: too large (it would free a neighbour, a free buddy or pages
 * on a per-CPU list, whose links it would overwrite), too small (it would
 * leak the rest), of a tail page, or of a compound block at another order.
 * Nothing moves; the right order then frees the block.
 */
static void test_buddy_wrong_order_free_refused(void **state)
{
	for (int pcp = 0; pcp < 2; pcp++) {
		struct test_machine *tm = tm_boot("x86_64", 64 * MiB, pcp ? pcp_on : NULL);
		struct phys_mem *pm = &tm->pm;
		unsigned long free0 = nr_free_pages(pm), bad = 0;
		struct page *a, *b, *c;
		static const struct { int which; unsigned order; const char *why; } wrong[] = {
			{ 0, 3, "free of order 3: the block was allocated at order 2" },
			{ 0, 1, "free of order 1: the block was allocated at order 2" },
			{ 0, 0, "free of order 0: the block was allocated at order 2" },
			{ 1, 0, "put_page on a page with zero refcount" },	/* a tail */
			{ 2, 2, "free of order 2: the block was allocated at order 3" },
		};

		(void)state;
		a = alloc_checked(pm, GFP_KERNEL, 2);
		b = alloc_checked(pm, GFP_KERNEL, 2);
		c = alloc_checked(pm, GFP_KERNEL | __GFP_COMP, 3);
		/* b's pages go back (to a per-CPU list with pcp on), next to a */
		free_checked(pm, b, 2);
		assert_int_equal(page_alloc_order(a), 2);
		assert_int_equal(page_alloc_order(b), -1);
		for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			struct page *p = wrong[i].which == 0 ? a : wrong[i].which == 1 ? a + 1 : c;
			unsigned long before = nr_free_pages_with_pcp(pm);

			assert_false(free_pages_allowed(pm, page_to_pfn(pm, p), wrong[i].order));
			__free_pages(pm, p, wrong[i].order);
			assert_int_equal(pm->vmstat.bad_page, ++bad);
			if (!strstr(pm->bad_page_msg, wrong[i].why))
				fail_msg("pcp %d case %zu: \"%s\"", pcp, i, pm->bad_page_msg);
			assert_int_equal(nr_free_pages_with_pcp(pm), before);
			assert_int_equal(page_ref_count(p == a + 1 ? a : p), 1);
			assert_lists_ok(pm);
		}
		/* the right orders are accepted, and everything comes back */
		assert_true(free_pages_allowed(pm, page_to_pfn(pm, a), 2));
		assert_true(free_pages_allowed(pm, page_to_pfn(pm, c), 3));
		free_checked(pm, a, 2);
		free_checked(pm, c, 3);
		assert_int_equal(nr_free_pages_with_pcp(pm), free0);
		/* freed: the order is gone with the rest of the flags */
		assert_int_equal(page_alloc_order(a), -1);
		assert_false(free_pages_allowed(pm, page_to_pfn(pm, a), 2));
		tm_free(tm);
	}
}

/* free_pages_allowed(): only a referenced block head at its own order. */
static void test_buddy_free_pages_allowed(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *p = alloc_checked(pm, GFP_KERNEL, 1);
	unsigned long pfn = page_to_pfn(pm, p);

	(void)state;
	assert_true(free_pages_allowed(pm, pfn, 1));
	assert_false(free_pages_allowed(pm, pfn, 0));
	assert_false(free_pages_allowed(pm, pfn, 2));
	assert_false(free_pages_allowed(pm, pfn + 1, 0));
	assert_false(free_pages_allowed(pm, pfn, pm->max_order + 1));
	assert_false(free_pages_allowed(pm, pm->max_pfn, 0));
	assert_false(free_pages_allowed(pm, 0, 0));	/* reserved */
	assert_false(free_pages_allowed(pm, ~0UL, 0));
	/* a second reference: still the head at order 1 */
	get_page(p);
	assert_true(free_pages_allowed(pm, pfn, 1));
	/* ___free_pages() keeps the held head as a block of order 0 */
	free_checked(pm, p, 1);
	assert_int_equal(page_alloc_order(p), 0);
	assert_true(free_pages_allowed(pm, pfn, 0));
	assert_false(free_pages_allowed(pm, pfn, 1));
	free_checked(pm, p, 0);
	assert_false(free_pages_allowed(pm, pfn, 0));
	tm_free(tm);
}

static const char *comm_a(const struct phys_mem *pm)
{
	(void)pm;
	return "a";
}

/* The report reads like the kernel's bad_page() + dump_page(), on one
 * line: the running task's comm (the idle task's when none runs), the
 * pfn, the page's fields, the reason. */
static void test_buddy_bad_page_report_format(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *p = alloc_checked(pm, GFP_KERNEL, 0);
	char want[256];

	(void)state;
	free_checked(pm, p, 0);
	__free_pages(pm, p, 0);
	snprintf(want, sizeof(want), "BUG: Bad page state in process swapper/0  pfn:%05lx: page: "
		 "refcount:0 mapcount:0 index:0x0 flags:0x%llx: page dumped because: freeing a free "
		 "page (double free)", page_to_pfn(pm, p), (unsigned long long)p->flags);
	assert_string_equal(pm->bad_page_msg, want);
	pm->bad_page_comm = comm_a;
	__free_pages(pm, pfn_to_page(pm, 0), 0);
	assert_non_null(strstr(pm->bad_page_msg, "BUG: Bad page state in process a  pfn:00000: "));
	assert_non_null(strstr(pm->bad_page_msg, "page dumped because: freeing a reserved page"));
	__free_pages(pm, p, 20);
	assert_non_null(strstr(pm->bad_page_msg, "BUG: Bad page state in process a  pfn:"));
	assert_int_equal(pm->vmstat.bad_page, 3);
	assert_null(strchr(pm->bad_page_msg, '\n'));
	tm_free(tm);
}

static void test_buddy_compound_pages(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	unsigned long free0 = nr_free_pages(pm);
	struct page *p;

	(void)state;
	p = alloc_pages(pm, GFP_DMA | __GFP_COMP, 3);
	assert_non_null(p);
	assert_true(PageHead(p));
	assert_int_equal(compound_order(p), 3);
	for (unsigned i = 1; i < 8; i++) {
		assert_true(PageTail(&p[i]));
		assert_ptr_equal(compound_head(&p[i]), p);
	}
	get_page(&p[5]);	/* a tail reference pins the head */
	assert_int_equal(page_ref_count(p), 2);
	put_page(pm, &p[3]);
	assert_int_equal(nr_free_pages(pm), free0 - 8);
	put_page(pm, &p[7]);	/* last reference: the whole block goes */
	assert_int_equal(nr_free_pages(pm), free0);
	assert_int_equal(pm->vmstat.bad_page, 0);
	assert_false(PageTail(&p[1]));
	assert_lists_ok(pm);
	/* __free_pages with the wrong order on a compound head is refused */
	p = alloc_pages(pm, GFP_DMA | __GFP_COMP, 2);
	__free_pages(pm, p, 1);
	assert_int_equal(pm->vmstat.bad_page, 1);
	assert_lists_ok(pm);
	tm_free(tm);
}

static void test_buddy_gfp_zero_and_no_zero(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *p;
	uint8_t *b;

	(void)state;
	p = alloc_ok(pm, GFP_DMA, 1, 256);
	b = page_host(pm, p);
	memset(b, 0x5c, 2 * PAGE_SIZE);
	free_checked(pm, p, 1);
	/* alloc_pages does not zero: the old bytes are still there */
	p = alloc_ok(pm, GFP_DMA, 1, 256);
	assert_int_equal(b[0], 0x5c);
	assert_int_equal(b[2 * PAGE_SIZE - 1], 0x5c);
	free_checked(pm, p, 1);
	p = alloc_ok(pm, GFP_DMA | __GFP_ZERO, 1, 256);
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		if (b[i])
			fail_msg("byte %zu not zeroed", i);
	free_checked(pm, p, 1);
	/* the kernel-address variants */
	{
		uint64_t va = get_zeroed_page(pm, GFP_DMA);

		assert_int_equal(va, tm->cfg.page_offset + 256 * PAGE_SIZE);
		assert_int_equal(*(uint8_t *)phys_to_host(pm, 256 * PAGE_SIZE), 0);
		free_pages(pm, va, 0);
		assert_int_equal(pm->vmstat.bad_page, 0);
		assert_lists_ok(pm);
	}
	tm_free(tm);
}

static void test_buddy_poison_catches_use_after_free(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *p;
	uint8_t *b;

	(void)state;
	pm->page_poisoning = true;
	p = alloc_ok(pm, GFP_DMA, 0, 256);
	b = page_host(pm, p);
	free_checked(pm, p, 0);
	assert_int_equal(b[100], PAGE_POISON);
	p = alloc_ok(pm, GFP_DMA, 0, 256);	/* intact poison: silent */
	assert_int_equal(pm->vmstat.bad_page, 0);
	free_checked(pm, p, 0);
	b[123] = 1;				/* write after free */
	p = alloc_ok(pm, GFP_DMA, 0, 256);
	assert_int_equal(pm->vmstat.bad_page, 1);
	assert_non_null(strstr(pm->bad_page_msg, "poison"));
	free_checked(pm, p, 0);
	tm_free(tm);
}

static void test_buddy_checker_detects_corruption(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct vmsim_error err = { 0 };
	struct page *p = alloc_ok(pm, GFP_DMA, 0, 256);
	struct page *q = pfn_to_page(pm, 257);	/* free, order 0 */

	(void)state;
	q->private = 1;
	assert_int_equal(check_free_lists(pm, &err), -EFAULT);
	q->private = 0;
	err.code = 0;
	tz(pm, ZONE_DMA)->free_area[3].nr_free++;
	assert_int_equal(check_free_lists(pm, &err), -EFAULT);
	tz(pm, ZONE_DMA)->free_area[3].nr_free--;
	err.code = 0;
	set_page_flag(p, PG_buddy);	/* allocated page marked free */
	assert_int_equal(check_free_lists(pm, &err), -EFAULT);
	clear_page_flag(p, PG_buddy);
	err.code = 0;
	tz(pm, ZONE_DMA32)->nr_deferred_blocks--;
	assert_int_equal(check_free_lists(pm, &err), -EFAULT);
	tz(pm, ZONE_DMA32)->nr_deferred_blocks++;
	assert_lists_ok(pm);
	tm_free(tm);
}

/* ---- randomized sequence against a reference model ------------------ */

/*
 * The model knows only which frames are reserved, allocated or free, and
 * the zone bounds.  With eager merging (no two free buddies of one order
 * ever coexist), the free blocks are exactly the maximal aligned fully
 * free regions of at most max_order inside a zone, so the per-order
 * counts follow from the free set alone.
 */
enum { M_FREE, M_ALLOC, M_RESERVED };

struct model {
	struct phys_mem *pm;
	unsigned long n;
	uint8_t *state;
	unsigned long *prefix;	/* prefix[i] = free frames below pfn i */
	unsigned long zlo[MAX_NR_ZONES], zhi[MAX_NR_ZONES];
	unsigned long count[MAX_NR_ZONES][NR_ORDERS_LIMIT];
	unsigned long nfree[MAX_NR_ZONES];
};

static void model_init(struct model *m, struct test_machine *tm)
{
	const struct vmsim_config *c = &tm->cfg;

	m->pm = &tm->pm;
	m->n = (unsigned long)(c->mem_size / PAGE_SIZE);
	m->state = calloc(m->n, 1);
	m->prefix = calloc(m->n + 1, sizeof(unsigned long));
	assert_non_null(m->state);
	assert_non_null(m->prefix);
	for (unsigned i = 0; i <= c->nr_reserve; i++) {
		uint64_t s = i < c->nr_reserve ? c->reserve[i].start : c->kernel_start;
		uint64_t e = s + (i < c->nr_reserve ? c->reserve[i].size : c->kernel_size);

		for (uint64_t pfn = s / PAGE_SIZE; pfn < (e + PAGE_SIZE - 1) / PAGE_SIZE && pfn < m->n; pfn++)
			m->state[pfn] = M_RESERVED;
	}
	memset(m->zlo, 0, sizeof(m->zlo));
	memset(m->zhi, 0, sizeof(m->zhi));
	m->zhi[ZONE_DMA] = (unsigned long)(c->zone_dma_end / PAGE_SIZE);
	m->zlo[ZONE_DMA32] = m->zhi[ZONE_DMA];
	m->zhi[ZONE_DMA32] = (unsigned long)(c->zone_dma32_end / PAGE_SIZE);
	m->zlo[ZONE_NORMAL] = m->zhi[ZONE_DMA32];
	m->zhi[ZONE_NORMAL] = m->n;
	for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
		if (m->zhi[t] > m->n)
			m->zhi[t] = m->n;
		if (m->zlo[t] > m->zhi[t])
			m->zlo[t] = m->zhi[t];
	}
}

static void model_split(struct model *m, unsigned t, unsigned long pfn, unsigned order)
{
	unsigned long end = pfn + (1UL << order);

	if (end <= m->zlo[t] || pfn >= m->zhi[t])
		return;
	if (pfn >= m->zlo[t] && end <= m->zhi[t] &&
	    m->prefix[end] - m->prefix[pfn] == (1UL << order)) {
		m->count[t][order]++;
		return;
	}
	if (order)
		for (unsigned long h = 0; h < 2; h++)
			model_split(m, t, pfn + (h << (order - 1)), order - 1);
}

static void model_recount(struct model *m)
{
	unsigned max = m->pm->max_order;

	for (unsigned long i = 0; i < m->n; i++)
		m->prefix[i + 1] = m->prefix[i] + (m->state[i] == M_FREE);
	memset(m->count, 0, sizeof(m->count));
	for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
		m->nfree[t] = m->prefix[m->zhi[t]] - m->prefix[m->zlo[t]];
		for (unsigned long b = m->zlo[t] & ~((1UL << max) - 1); b < m->zhi[t]; b += 1UL << max)
			model_split(m, t, b, max);
	}
}

static void model_compare(struct model *m, unsigned long op)
{
	model_recount(m);
	assert_lists_ok(m->pm);
	for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = tz(m->pm, (enum zone_type)t);

		if (z->free_pages != m->nfree[t])
			fail_msg("op %lu zone %s: %lu free, model %lu", op, z->name,
				 z->free_pages, m->nfree[t]);
		for (unsigned o = 0; o <= m->pm->max_order; o++)
			if (z->free_area[o].nr_free != m->count[t][o])
				fail_msg("op %lu zone %s order %u: nr_free %lu, model %lu", op,
					 z->name, o, z->free_area[o].nr_free, m->count[t][o]);
	}
}

/* The zone the model expects to serve the request, or -1 for NULL: the
 * kernel's three passes (low mark; min with the gfp reserves; none for
 * __GFP_MEMALLOC) over zones from the highest allowed down to DMA. */
static int model_pick_zone(struct model *m, gfp_t gfp, unsigned order)
{
	int highest = gfp & __GFP_DMA ? ZONE_DMA : gfp & __GFP_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;

	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2 && !(gfp & __GFP_MEMALLOC))
			break;
		for (int t = highest; t >= 0; t--) {
			struct zone *z = tz(m->pm, (enum zone_type)t);
			long mark = (long)z->_watermark[pass == 0 ? WMARK_LOW : WMARK_MIN];
			long freep = (long)m->nfree[t] - ((1L << order) - 1);
			bool has_block = false;

			if (m->zhi[t] == m->zlo[t])
				continue;
			for (unsigned o = order; o <= m->pm->max_order; o++)
				has_block |= m->count[t][o] != 0;
			if (!has_block)
				continue;
			if (pass == 2)
				return t;
			if (pass == 1 && (gfp & __GFP_HIGH)) {
				mark -= mark / 2;
				if (!(gfp & __GFP_DIRECT_RECLAIM))
					mark -= mark / 4;
			}
			if (freep > mark + (long)z->lowmem_reserve[highest])
				return t;
		}
	}
	return -1;
}

/* Where __rmqueue_smallest() must take the block: the head of the
 * smallest non-empty order, or the lowest deferred block. */
static unsigned long expected_pfn(struct phys_mem *pm, struct zone *z, unsigned order)
{
	for (unsigned o = order; o <= pm->max_order; o++) {
		if (!list_empty(&z->free_area[o].free_list))
			return page_to_pfn(pm, list_first_entry(&z->free_area[o].free_list,
								struct page, lru));
		if (o == pm->max_order && z->nr_deferred_blocks)
			return z->deferred[z->deferred_first].next_pfn;
	}
	return ~0UL;
}

struct held {
	struct page *page;
	unsigned order;
	bool comp;
};

static void odd_machine(struct vmsim_config *c)
{
	c->reserve[0].size = 4096;
	c->reserve[1] = (struct cfg_reserve){ .start = 5 * MiB + 12288, .size = 20480, .name = "acpi" };
	c->nr_reserve = 2;
	c->kernel_start = 20 * MiB;
	c->kernel_size = 3 * MiB + 4096;
}

static void small_order_machine(struct vmsim_config *c)
{
	odd_machine(c);
	c->max_order = 4;
}

static void run_random(void (*tweak)(struct vmsim_config *), uint64_t seed, unsigned long ops)
{
	struct test_machine *tm = tm_boot("x86_64", 48 * MiB, tweak);
	struct phys_mem *pm = &tm->pm;
	static const gfp_t gfps[] = {
		GFP_KERNEL, GFP_KERNEL, GFP_DMA, GFP_DMA32, GFP_ATOMIC,
		GFP_KERNEL | __GFP_MEMALLOC, GFP_KERNEL | __GFP_COMP, GFP_NOWAIT,
	};
	struct held *held = calloc(ops, sizeof(*held));
	unsigned long nheld = 0, nnull = 0;
	struct model m;

	assert_non_null(held);
	model_init(&m, tm);
	model_compare(&m, 0);
	for (unsigned long op = 1; op <= ops; op++) {
		uint64_t r = rng_next(&seed);

		if (nheld && (r % 100) < 35) {
			unsigned long i = (unsigned long)(rng_next(&seed) % nheld);
			struct held h = held[i];
			unsigned long pfn = page_to_pfn(pm, h.page);

			held[i] = held[--nheld];
			if (h.comp)
				put_page(pm, h.page);
			else
				__free_pages(pm, h.page, h.order);
			for (unsigned long k = 0; k < (1UL << h.order); k++)
				m.state[pfn + k] = M_FREE;
		} else {
			unsigned pick = (unsigned)(rng_next(&seed) % 100);
			unsigned order = pick < 50 ? 0 : pick < 70 ? 1 + pick % 2 : pick < 90 ? 3 + pick % 4
										: 7 + pick % 4;
			gfp_t gfp = gfps[rng_next(&seed) % (sizeof(gfps) / sizeof(gfps[0]))];
			int want;
			unsigned long want_pfn = ~0UL, pfn;
			struct page *p;

			if (order > pm->max_order)
				order = pm->max_order;
			want = model_pick_zone(&m, gfp, order);
			if (want >= 0)
				want_pfn = expected_pfn(pm, tz(pm, (enum zone_type)want), order);
			p = alloc_pages(pm, gfp, order);
			if (!p) {
				if (want >= 0)
					fail_msg("op %lu: order %u gfp %#x NULL, model expects zone %d",
						 op, order, gfp, want);
				nnull++;
			} else {
				pfn = page_to_pfn(pm, p);
				if (want < 0 || (int)page_zonenum(p) != want || pfn != want_pfn)
					fail_msg("op %lu: order %u gfp %#x got pfn %#lx zone %u, model zone %d pfn %#lx",
						 op, order, gfp, pfn, page_zonenum(p), want, want_pfn);
				if (pfn & ((1UL << order) - 1))
					fail_msg("op %lu: pfn %#lx unaligned for order %u", op, pfn, order);
				for (unsigned long k = 0; k < (1UL << order); k++) {
					if (m.state[pfn + k] != M_FREE)
						fail_msg("op %lu: pfn %#lx handed out twice", op, pfn + k);
					m.state[pfn + k] = M_ALLOC;
				}
				held[nheld++] = (struct held){ p, order, (gfp & __GFP_COMP) && order };
			}
		}
		model_compare(&m, op);
		assert_int_equal(pm->vmstat.bad_page, 0);
	}
	print_message("seed run: %lu held, %lu free, %lu NULL\n", nheld, nr_free_pages(pm), nnull);
	/* all NULLs came from real exhaustion, and some happened */
	assert_true(nnull > 0);
	while (nheld) {
		struct held h = held[--nheld];

		if (h.comp)
			put_page(pm, h.page);
		else
			__free_pages(pm, h.page, h.order);
		for (unsigned long k = 0; k < (1UL << h.order); k++)
			m.state[page_to_pfn(pm, h.page) + k] = M_FREE;
	}
	model_compare(&m, ops + 1);
	free(m.state);
	free(m.prefix);
	free(held);
	tm_free(tm);
}

static void test_buddy_random_vs_model(void **state)
{
	(void)state;
	run_random(odd_machine, 0x9e3779b97f4a7c15ULL, 2500);
	run_random(odd_machine, 12345, 2500);
	run_random(small_order_machine, 777, 8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddy_struct_page_size),
		cmocka_unit_test(test_buddy_boot_small_machine),
		cmocka_unit_test(test_buddy_boot_orders_from_pfn1),
		cmocka_unit_test(test_buddy_split_merge_known_answer),
		cmocka_unit_test(test_buddy_tail_vs_head_placement),
		cmocka_unit_test(test_buddy_fallback_and_exhaustion),
		cmocka_unit_test(test_buddy_high_order_needs_block),
		cmocka_unit_test(test_buddy_refcount_and_bad_frees),
		cmocka_unit_test(test_buddy_bad_page_hook),
		cmocka_unit_test(test_buddy_wrong_order_free_refused),
		cmocka_unit_test(test_buddy_free_pages_allowed),
		cmocka_unit_test(test_buddy_bad_page_report_format),
		cmocka_unit_test(test_buddy_compound_pages),
		cmocka_unit_test(test_buddy_gfp_zero_and_no_zero),
		cmocka_unit_test(test_buddy_poison_catches_use_after_free),
		cmocka_unit_test(test_buddy_checker_detects_corruption),
		cmocka_unit_test(test_buddy_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
