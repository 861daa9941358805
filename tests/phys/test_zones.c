/*
 * Tests of nodes, zones and the allocator's zone policy (src/phys/memory.c,
 * page_alloc.c): zone spans/present/managed and the boot free lists of
 * both built-in machines, watermarks and lowmem_reserve against the
 * kernel formulas worked by hand here, gfp_zone(), zonelists over two
 * nodes, highmem fallback on x86_32, and phys_init() failures.
 */
#include "phys_test.h"

/* ---- the kernel formulas, written out independently ----------------- */

static unsigned long isqrt(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

struct wm_expect {
	unsigned long min_free_kbytes;
	unsigned long wmark[MAX_NR_ZONES][4];
	unsigned long reserve[MAX_NR_ZONES][MAX_NR_ZONES];
};

/*
 * calculate_min_free_kbytes() + __setup_per_zone_wmarks() +
 * setup_per_zone_lowmem_reserve() (Linux 6.12) for one node whose zones
 * manage @managed[] pages.
 */
static void kernel_formulas(const unsigned long managed[MAX_NR_ZONES], struct wm_expect *w)
{
	static const unsigned long ratio[MAX_NR_ZONES] = { 256, 256, 32, 0, 0 };
	unsigned long lowmem = 0, pages_min, mfk;

	memset(w, 0, sizeof(*w));
	for (int t = ZONE_DMA; t <= ZONE_NORMAL; t++)
		lowmem += managed[t];
	mfk = isqrt(lowmem * 4 * 16);
	mfk = mfk < 128 ? 128 : mfk > 262144 ? 262144 : mfk;
	w->min_free_kbytes = mfk;
	pages_min = mfk / 4;
	for (int t = 0; t < MAX_NR_ZONES; t++) {
		unsigned long tmp = pages_min * managed[t] / lowmem;
		unsigned long scale = managed[t] / 10000 * 10 + managed[t] % 10000 * 10 / 10000;
		unsigned long step = tmp / 4 > scale ? tmp / 4 : scale;

		if (t == ZONE_HIGHMEM || t == ZONE_MOVABLE) {
			unsigned long mp = managed[t] / 1024;

			w->wmark[t][0] = mp < 32 ? 32 : mp > 128 ? 128 : mp;
		} else {
			w->wmark[t][0] = tmp;
		}
		for (int k = 1; k < 4; k++)
			w->wmark[t][k] = w->wmark[t][k - 1] + step;
		for (int j = t + 1; j < MAX_NR_ZONES; j++) {
			unsigned long above = 0;

			for (int u = t + 1; u <= j; u++)
				above += managed[u];
			w->reserve[t][j] = ratio[t] && managed[t] ? above / ratio[t] : 0;
		}
	}
}

static void assert_formulas(struct phys_mem *pm, const unsigned long managed[MAX_NR_ZONES])
{
	struct wm_expect w;

	kernel_formulas(managed, &w);
	assert_int_equal(pm->min_free_kbytes, w.min_free_kbytes);
	for (int t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = tz(pm, (enum zone_type)t);

		assert_int_equal(z->managed_pages, managed[t]);
		for (int k = 0; k < 4; k++)
			if (z->_watermark[k] != w.wmark[t][k])
				fail_msg("zone %s watermark %d: %lu, formula %lu", z->name, k,
					 z->_watermark[k], w.wmark[t][k]);
		for (int j = 0; j < MAX_NR_ZONES; j++)
			if (z->lowmem_reserve[j] != w.reserve[t][j])
				fail_msg("zone %s lowmem_reserve[%d]: %lu, formula %lu", z->name, j,
					 z->lowmem_reserve[j], w.reserve[t][j]);
	}
}

/* The boot rule of __free_pages_memory() for zone [lo, hi) minus reserved frames:
 * blocks of order min(max, __ffs(pfn)) shrunk to fit. */
static void boot_rule(const struct vmsim_config *c, unsigned long lo, unsigned long hi,
		      unsigned long count[11])
{
	unsigned long pfn = lo;

	memset(count, 0, 11 * sizeof(count[0]));
	while (pfn < hi) {
		unsigned long end = pfn;
		bool reserved = false;

		for (unsigned i = 0; i <= c->nr_reserve; i++) {
			uint64_t s = i < c->nr_reserve ? c->reserve[i].start : c->kernel_start;
			uint64_t e = s + (i < c->nr_reserve ? c->reserve[i].size : c->kernel_size);

			if (pfn >= s / PAGE_SIZE && pfn < (e + PAGE_SIZE - 1) / PAGE_SIZE)
				reserved = true;
		}
		if (reserved) {
			pfn++;
			continue;
		}
		/* the free run [pfn, end) */
		while (end < hi) {
			bool r = false;

			for (unsigned i = 0; i <= c->nr_reserve; i++) {
				uint64_t s = i < c->nr_reserve ? c->reserve[i].start : c->kernel_start;
				uint64_t e = s + (i < c->nr_reserve ? c->reserve[i].size : c->kernel_size);

				if (end >= s / PAGE_SIZE && end < (e + PAGE_SIZE - 1) / PAGE_SIZE)
					r = true;
			}
			if (r)
				break;
			end++;
		}
		while (pfn < end) {
			unsigned o = pfn ? (unsigned)__builtin_ctzl(pfn) : 10;

			if (o > 10)
				o = 10;
			while (pfn + (1UL << o) > end)
				o--;
			count[o]++;
			pfn += 1UL << o;
		}
	}
}

static void assert_zone(struct phys_mem *pm, enum zone_type t, unsigned long start,
			unsigned long spanned, unsigned long managed)
{
	struct zone *z = tz(pm, t);
	unsigned long count[11];

	if (z->zone_start_pfn != start || z->spanned_pages != spanned ||
	    z->present_pages != spanned || z->managed_pages != managed)
		fail_msg("zone %s: start %#lx spanned %lu present %lu managed %lu, expected %#lx %lu %lu",
			 z->name, z->zone_start_pfn, z->spanned_pages, z->present_pages,
			 z->managed_pages, start, spanned, managed);
	assert_int_equal(z->free_pages, managed);
	boot_rule(pm->cfg, start, start + spanned, count);
	assert_buddyinfo(pm, t, count, "boot rule");
}

/* ---- tests ---------------------------------------------------------- */

static void test_zones_x86_64_builtin(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 0, NULL);
	struct phys_mem *pm = &tm->pm;
	enum zone_type types[MAX_NR_ZONES];
	const unsigned long managed[MAX_NR_ZONES] = { 3840, 1036288, 0, 0, 0 };

	(void)state;
	assert_lists_ok(pm);
	assert_int_equal(arch_zone_types(pm, types), 4);
	assert_int_equal(types[0], ZONE_DMA);
	assert_int_equal(types[1], ZONE_DMA32);
	assert_int_equal(types[2], ZONE_NORMAL);
	assert_int_equal(types[3], ZONE_MOVABLE);
	/* 4 GiB: DMA [0, 16M), DMA32 [16M, 4G), Normal empty; bios [0, 1M)
	 * and kernel [16M, 48M) reserved */
	assert_zone(pm, ZONE_DMA, 0, 4096, 3840);
	assert_zone(pm, ZONE_DMA32, 4096, 1044480, 1036288);
	assert_int_equal(tz(pm, ZONE_NORMAL)->spanned_pages, 0);
	assert_int_equal(tz(pm, ZONE_MOVABLE)->spanned_pages, 0);
	assert_buddyinfo(pm, ZONE_DMA32, (unsigned long[]){ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1012 }, "DMA32");
	assert_int_equal(pm->totalram_pages, 3840 + 1036288);
	assert_int_equal(pm->reserved_pages, 256 + 8192);
	/* by hand: lowmem 1040128 pages = 4160512 kB; sqrt(66568192) = 8158;
	 * pages_min 2039; DMA min 2039*3840/1040128 = 7, step max(1, 3);
	 * DMA32 min 2031, step max(507, 1036) */
	assert_int_equal(pm->min_free_kbytes, 8158);
	assert_int_equal(wmark_pages(tz(pm, ZONE_DMA), WMARK_MIN), 7);
	assert_int_equal(wmark_pages(tz(pm, ZONE_DMA), WMARK_LOW), 10);
	assert_int_equal(wmark_pages(tz(pm, ZONE_DMA), WMARK_HIGH), 13);
	assert_int_equal(wmark_pages(tz(pm, ZONE_DMA32), WMARK_MIN), 2031);
	assert_int_equal(wmark_pages(tz(pm, ZONE_DMA32), WMARK_LOW), 3067);
	assert_int_equal(wmark_pages(tz(pm, ZONE_DMA32), WMARK_HIGH), 4103);
	assert_int_equal(tz(pm, ZONE_DMA)->lowmem_reserve[ZONE_DMA32], 1036288 / 256);
	assert_int_equal(tz(pm, ZONE_DMA)->lowmem_reserve[ZONE_NORMAL], 1036288 / 256);
	assert_int_equal(tz(pm, ZONE_DMA32)->lowmem_reserve[ZONE_NORMAL], 0);
	assert_formulas(pm, managed);
	tm_free(tm);
}

static void test_zones_x86_32_builtin(void **state)
{
	struct test_machine *tm = tm_boot("x86_32", 0, NULL);
	struct phys_mem *pm = &tm->pm;
	enum zone_type types[MAX_NR_ZONES];
	unsigned long low = (unsigned long)(tm->cfg.lowmem_end / PAGE_SIZE);
	unsigned long managed[MAX_NR_ZONES] = { 0 };

	(void)state;
	assert_lists_ok(pm);
	assert_int_equal(arch_zone_types(pm, types), 4);
	assert_int_equal(types[1], ZONE_NORMAL);
	assert_int_equal(types[2], ZONE_HIGHMEM);
	/* 1 GiB: DMA [0, 16M) minus bios and the kernel at 1 MiB (8 MiB),
	 * Normal up to the lowmem limit, HighMem above */
	assert_true(low > 4096 && low < 262144);
	managed[ZONE_DMA] = 4096 - 256 - 2048;
	managed[ZONE_NORMAL] = low - 4096;
	managed[ZONE_HIGHMEM] = 262144 - low;
	assert_zone(pm, ZONE_DMA, 0, 4096, managed[ZONE_DMA]);
	assert_zone(pm, ZONE_NORMAL, 4096, low - 4096, managed[ZONE_NORMAL]);
	assert_zone(pm, ZONE_HIGHMEM, low, 262144 - low, managed[ZONE_HIGHMEM]);
	assert_int_equal(tz(pm, ZONE_DMA32)->spanned_pages, 0);
	assert_int_equal(pm->max_low_pfn, low);
	assert_formulas(pm, managed);
	/* Linux 6.12 config derivation puts the limit at pfn 0x373fe; the
	 * numbers for it, by hand: lowmem 223998 pages -> 3786 kB; Normal
	 * min 946*222206/223998 = 938, step max(234, 222); HighMem min
	 * clamp(35842/1024) = 35, step max(151/4, 35) = 37 */
	if (low == 0x373fe) {
		assert_int_equal(pm->min_free_kbytes, 3786);
		assert_int_equal(wmark_pages(tz(pm, ZONE_NORMAL), WMARK_MIN), 938);
		assert_int_equal(wmark_pages(tz(pm, ZONE_NORMAL), WMARK_LOW), 1172);
		assert_int_equal(wmark_pages(tz(pm, ZONE_HIGHMEM), WMARK_MIN), 35);
		assert_int_equal(wmark_pages(tz(pm, ZONE_HIGHMEM), WMARK_LOW), 72);
		assert_int_equal(tz(pm, ZONE_DMA)->lowmem_reserve[ZONE_HIGHMEM], 1008);
		assert_int_equal(tz(pm, ZONE_NORMAL)->lowmem_reserve[ZONE_HIGHMEM], 1120);
	}
	tm_free(tm);
}

static void test_zones_small_machine_watermarks(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	const unsigned long managed[MAX_NR_ZONES] = { 3840, 4096, 0, 0, 0 };

	(void)state;
	/* by hand: 7936 pages = 31744 kB; sqrt(507904) = 712; pages_min 178;
	 * DMA 178*3840/7936 = 86 (+21 steps), DMA32 91 (+22 steps) */
	assert_int_equal(pm->min_free_kbytes, 712);
	assert_int_equal(tz(pm, ZONE_DMA)->_watermark[WMARK_MIN], 86);
	assert_int_equal(tz(pm, ZONE_DMA)->_watermark[WMARK_LOW], 107);
	assert_int_equal(tz(pm, ZONE_DMA)->_watermark[WMARK_HIGH], 128);
	assert_int_equal(tz(pm, ZONE_DMA)->_watermark[WMARK_PROMO], 149);
	assert_int_equal(tz(pm, ZONE_DMA32)->_watermark[WMARK_MIN], 91);
	assert_int_equal(tz(pm, ZONE_DMA32)->_watermark[WMARK_LOW], 113);
	assert_int_equal(tz(pm, ZONE_DMA32)->_watermark[WMARK_HIGH], 135);
	assert_int_equal(tz(pm, ZONE_DMA)->lowmem_reserve[ZONE_DMA32], 16);
	assert_int_equal(tz(pm, ZONE_DMA)->lowmem_reserve[ZONE_DMA], 0);
	assert_formulas(pm, managed);
	/* calculate_totalreserve_pages(): DMA 16 + 128, DMA32 0 + 135, and
	 * the empty zones' watermarks capped at 0 managed */
	assert_int_equal(pm->totalreserve_pages, 16 + 128 + 135);
	tm_free(tm);
}

static void set_min_free(struct vmsim_config *c)
{
	c->min_free_kbytes = 2048;
}

static void test_zones_min_free_kbytes_from_config(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, set_min_free);
	struct phys_mem *pm = &tm->pm;

	(void)state;
	assert_int_equal(pm->min_free_kbytes, 2048);
	/* 512 pages shared 3840:4096 */
	assert_int_equal(tz(pm, ZONE_DMA)->_watermark[WMARK_MIN], 512 * 3840 / 7936);
	assert_int_equal(tz(pm, ZONE_DMA32)->_watermark[WMARK_MIN], 512 * 4096 / 7936);
	tm_free(tm);
}

static void test_zones_gfp_zone_table(void **state)
{
	struct test_machine *a = tm_boot("x86_64", 64 * MiB, NULL);
	struct test_machine *b = tm_boot("x86_32", 64 * MiB, NULL);

	(void)state;
	assert_int_equal(gfp_zone(&a->pm, GFP_KERNEL), ZONE_NORMAL);
	assert_int_equal(gfp_zone(&a->pm, GFP_DMA), ZONE_DMA);
	assert_int_equal(gfp_zone(&a->pm, GFP_DMA32), ZONE_DMA32);
	assert_int_equal(gfp_zone(&a->pm, GFP_HIGHUSER), ZONE_NORMAL);
	assert_int_equal(gfp_zone(&a->pm, GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
	assert_int_equal(gfp_zone(&a->pm, GFP_KERNEL | __GFP_MOVABLE), ZONE_NORMAL);
	assert_int_equal(gfp_zone(&b->pm, GFP_KERNEL), ZONE_NORMAL);
	assert_int_equal(gfp_zone(&b->pm, GFP_DMA), ZONE_DMA);
	assert_int_equal(gfp_zone(&b->pm, GFP_DMA32), ZONE_NORMAL);
	assert_int_equal(gfp_zone(&b->pm, GFP_HIGHUSER), ZONE_HIGHMEM);
	assert_int_equal(gfp_zone(&b->pm, GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
	tm_free(a);
	tm_free(b);
}

static void test_zones_highmem_fallback_x86_32(void **state)
{
	struct test_machine *tm = tm_boot("x86_32", 0, NULL);
	struct phys_mem *pm = &tm->pm;
	struct zone *hi = tz(pm, ZONE_HIGHMEM);
	unsigned long n = hi->free_pages - wmark_pages(hi, WMARK_LOW);
	struct page **held = calloc(n + 1, sizeof(*held));
	struct page *p;

	(void)state;
	assert_non_null(held);
	for (unsigned long i = 0; i < n; i++) {
		held[i] = p = alloc_pages(pm, GFP_HIGHUSER_MOVABLE, 0);
		assert_non_null(p);
		if (page_zonenum(p) != ZONE_HIGHMEM)
			fail_msg("allocation %lu from zone %u", i, page_zonenum(p));
		/* highmem pages have no direct-map address */
		assert_int_equal(page_address(pm, p), 0);
		/* a full check scans all 262144 struct pages: every 1024th */
		if (!(i & 1023))
			assert_lists_ok(pm);
	}
	/* HighMem at its low watermark: the next one comes from Normal */
	held[n] = p = alloc_pages(pm, GFP_HIGHUSER_MOVABLE, 0);
	assert_non_null(p);
	assert_int_equal(page_zonenum(p), ZONE_NORMAL);
	assert_int_not_equal(page_address(pm, p), 0);
	assert_int_equal(pm->vmstat.event[PGALLOC_HIGH], n);
	assert_int_equal(pm->vmstat.event[PGALLOC_NORMAL], 1);
	/* GFP_KERNEL never reaches HighMem; __get_free_pages is lowmem */
	p = alloc_pages(pm, GFP_KERNEL, 0);
	assert_int_equal(page_zonenum(p), ZONE_NORMAL);
	__free_pages(pm, p, 0);
	assert_true(__get_free_pages(pm, GFP_HIGHUSER, 0) != 0);
	assert_lists_ok(pm);
	for (unsigned long i = 0; i <= n; i++) {
		__free_pages(pm, held[i], 0);
		if (!(i & 1023))
			assert_lists_ok(pm);
	}
	assert_int_equal(hi->free_pages, hi->managed_pages);
	assert_lists_ok(pm);
	free(held);
	tm_free(tm);
}

static void two_nodes(struct vmsim_config *c)
{
	c->nodes = 2;
}

static void test_zones_two_nodes_zonelists(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 8 * GiB, two_nodes);
	struct phys_mem *pm = &tm->pm;
	struct pglist_data *n0 = &pm->node_data[0], *n1 = &pm->node_data[1];
	unsigned long managed_all = 0, lowmem_kb;
	struct page *p;

	(void)state;
	assert_lists_ok(pm);
	assert_int_equal(pm->nr_nodes, 2);
	assert_int_equal(n0->node_start_pfn, 0);
	assert_int_equal(n0->node_spanned_pages, 1UL << 20);
	assert_int_equal(n1->node_start_pfn, 1UL << 20);
	/* node 0 holds DMA and DMA32, node 1 only Normal */
	assert_int_equal(n0->node_zones[ZONE_NORMAL].spanned_pages, 0);
	assert_int_equal(n1->node_zones[ZONE_DMA32].spanned_pages, 0);
	assert_int_equal(n1->node_zones[ZONE_NORMAL].spanned_pages, 1UL << 20);
	/* this node's zones from the highest down, then the other node */
	assert_ptr_equal(n0->zonelist[ZONE_NORMAL][0], &n0->node_zones[ZONE_DMA32]);
	assert_ptr_equal(n0->zonelist[ZONE_NORMAL][1], &n0->node_zones[ZONE_DMA]);
	assert_ptr_equal(n0->zonelist[ZONE_NORMAL][2], &n1->node_zones[ZONE_NORMAL]);
	assert_null(n0->zonelist[ZONE_NORMAL][3]);
	assert_ptr_equal(n1->zonelist[ZONE_NORMAL][0], &n1->node_zones[ZONE_NORMAL]);
	assert_ptr_equal(n1->zonelist[ZONE_NORMAL][1], &n0->node_zones[ZONE_DMA32]);
	assert_ptr_equal(n1->zonelist[ZONE_DMA][0], &n0->node_zones[ZONE_DMA]);
	assert_null(n1->zonelist[ZONE_DMA][1]);
	p = alloc_pages_node(pm, 1, GFP_KERNEL, 0);
	assert_int_equal(page_to_nid(p), 1);
	assert_int_equal(page_zonenum(p), ZONE_NORMAL);
	assert_ptr_equal(page_zone(pm, p), &n1->node_zones[ZONE_NORMAL]);
	__free_pages(pm, p, 0);
	p = alloc_pages(pm, GFP_KERNEL, 0);
	assert_int_equal(page_to_nid(p), 0);
	__free_pages(pm, p, 0);
	assert_null(alloc_pages_node(pm, 2, GFP_KERNEL, 0));
	/* min_free_kbytes counts every node's lowmem zones */
	for (unsigned nid = 0; nid < 2; nid++)
		for (unsigned t = 0; t <= ZONE_NORMAL; t++)
			managed_all += pm->node_data[nid].node_zones[t].managed_pages;
	lowmem_kb = managed_all * 4;
	assert_int_equal(pm->min_free_kbytes, isqrt(lowmem_kb * 16));
	assert_lists_ok(pm);
	tm_free(tm);
}

static void test_zones_free_reserved_page(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	struct page *k = pfn_to_page(pm, 4096);	/* first kernel-image frame */
	unsigned long managed = tz(pm, ZONE_DMA32)->managed_pages;

	(void)state;
	assert_int_equal(free_reserved_page(pm, k), 0);
	assert_false(PageReserved(k));
	assert_true(PageBuddy(k));
	assert_int_equal(tz(pm, ZONE_DMA32)->managed_pages, managed + 1);
	assert_lists_ok(pm);
	assert_int_equal(free_reserved_page(pm, k), -EINVAL);
	tm_free(tm);
}

static void test_zones_phys_init_failure_leaves_nothing(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err = { 0 };
	struct host_arena ha = { 0 };
	struct phys_mem pm;

	(void)state;
	assert_int_equal(config_builtin(&c, "x86_64", machine_config_rules, &err), 0);
	c.max_order = MAX_ORDER_LIMIT + 1;
	assert_int_equal(phys_init(&pm, &c, &ha, &err), -EINVAL);
	assert_null(pm.ram);
	assert_null(pm.mem_map);
	assert_non_null(strstr(err.msg, "max_order"));
	assert_int_equal(config_builtin(&c, "x86_64", machine_config_rules, &err), 0);
	c.nodes = 0;
	err.code = 0;
	assert_int_equal(phys_init(&pm, &c, &ha, &err), -EINVAL);
	assert_null(pm.ram);
	phys_finish(&pm);	/* harmless after a failed init */
	phys_finish(NULL);
	assert_int_equal(ha.live, 0);
}

/* The checker's one host allocation failing is an error, not a crash. */
static void test_zones_checker_host_oom(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct vmsim_error err = { 0 };

	(void)state;
	host_fail_at(1, HOST_FAIL_PERSISTENT);
	assert_int_equal(check_free_lists(&tm->pm, &err), -ENOMEM);
	host_fail_at(0, HOST_FAIL_ONCE);
	assert_lists_ok(&tm->pm);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zones_x86_64_builtin),
		cmocka_unit_test(test_zones_x86_32_builtin),
		cmocka_unit_test(test_zones_small_machine_watermarks),
		cmocka_unit_test(test_zones_min_free_kbytes_from_config),
		cmocka_unit_test(test_zones_gfp_zone_table),
		cmocka_unit_test(test_zones_highmem_fallback_x86_32),
		cmocka_unit_test(test_zones_two_nodes_zonelists),
		cmocka_unit_test(test_zones_free_reserved_page),
		cmocka_unit_test(test_zones_phys_init_failure_leaves_nothing),
		cmocka_unit_test(test_zones_checker_host_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
