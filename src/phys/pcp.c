/*
 * Per-CPU page lists: the parts off the fast path.  Sizing (zone_batchsize(),
 * zone_highsize(), zone_set_pageset_high_and_batch()), the refill of an
 * empty list (nr_pcp_alloc(), rmqueue_bulk()), the flush of a full one
 * (nr_pcp_free(), free_pcppages_bulk()) and drain_all_pages(), as Linux
 * v6.12 mm/page_alloc.c computes them; each function names its original.
 * The inline fast paths are rmqueue_pcplist() and free_unref_page_commit()
 * in page_alloc.c.
 *
 * Invariant: see pcp.h.  Pages move between a pageset and the buddy lists
 * only here, and only through __rmqueue_smallest() / __free_one_page(), so
 * NR_FREE_PAGES (zone->free_pages) never counts a page on a per-CPU list.
 *
 * Differences from Linux (docs/physical-memory.md): one list per order
 * instead of one per migratetype and order; the vmstat worker that decays
 * pcp->high and drains idle remote CPUs every second does not run (nothing
 * is time-driven here), and PCPF_FREE_HIGH_BATCH is never set (vmsim has
 * no cache topology; Linux sets it when a CPU's share of the LLC holds
 * more than 3 batches).  The CPU that allocates is pm->this_cpu (0: the
 * CPU tasks run on).
 */
#include "phys/pcp.h"

#include <errno.h>

#define SZ_1M (1UL << 20)
#define BOOT_PAGESET_HIGH 0
#define BOOT_PAGESET_BATCH 1
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
/* HPAGE_PMD_ORDER: a PMD page is 2 MiB on x86_64 and under PAE, and 4 MiB
 * on 2-level x86_32, whose page directory is the PMD (PMD_SHIFT 22) */
#define HPAGE_PMD_ORDER_2M 9
#define HPAGE_PMD_ORDER_4M 10

static size_t pagesets_bytes(const struct phys_mem *pm)
{
	return (size_t)pm->nr_nodes * MAX_NR_ZONES * pm->nr_cpus * sizeof(struct per_cpu_pages);
}

/* per_cpu_pages_init(): empty lists and the boot pageset's values, safe
 * for any zone until the real ones are computed. */
static void per_cpu_pages_init(struct per_cpu_pages *pcp)
{
	*pcp = (struct per_cpu_pages){ .high_min = BOOT_PAGESET_HIGH,
				       .high_max = BOOT_PAGESET_HIGH,
				       .batch = BOOT_PAGESET_BATCH };
	for (unsigned i = 0; i < NR_PCP_LISTS; i++)
		INIT_LIST_HEAD(&pcp->lists[i]);
}

int pcp_init(struct phys_mem *pm)
{
	const struct vmsim_config *cfg = pm->cfg;
	struct per_cpu_pages *p;

	pm->nr_cpus = cfg->cpu_count ? cfg->cpu_count : 1;
	pm->this_cpu = 0;
	pm->pcp_enabled = cfg->pcp;
	pm->percpu_pagelist_high_fraction = cfg->pcp_high_fraction;
	/* CONFIG_TRANSPARENT_HUGEPAGE: x86 selects HAVE_ARCH_TRANSPARENT_HUGEPAGE
	 * on 32-bit kernels too, PAE or not; an order the allocator cannot
	 * hand out has no list */
	{
		unsigned order = config_pmd_shift(cfg) == 21 ? HPAGE_PMD_ORDER_2M : HPAGE_PMD_ORDER_4M;

		pm->pcp_thp_order = pm->max_order >= order ? order : PCP_NO_THP;
	}
	p = host_alloc(pm->ha, pagesets_bytes(pm));
	if (!p)
		return -ENOMEM;
	pm->pagesets = p;
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pm->node_data[nid].node_zones[t];

			z->per_cpu_pageset = p;
			for (unsigned c = 0; c < pm->nr_cpus; c++)
				per_cpu_pages_init(p++);
		}
	return 0;
}

void pcp_finish(struct phys_mem *pm)
{
	if (pm->pagesets)
		host_free(pm->ha, pm->pagesets, pagesets_bytes(pm));
	pm->pagesets = NULL;
}

static unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1UL << (63 - __builtin_clzl(n));
}

/*
 * zone_batchsize(): about 0.1% of the zone or 1 MiB, whichever is smaller,
 * divided by 4 (the high limit multiplies it back), then clamped to
 * 2^n - 1 (a power of two aliased badly in the caches).
 */
static int zone_batchsize(const struct zone *zone)
{
	unsigned long batch = zone->managed_pages >> 10;

	if (batch > SZ_1M / PAGE_SIZE)
		batch = SZ_1M / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	return (int)rounddown_pow_of_two(batch + batch / 2) - 1;
}

/*
 * zone_highsize(): the zone's low watermark (or managed / high_fraction)
 * split across the CPUs local to the zone -- all CPUs sit on node 0 here,
 * and a node without CPUs splits across all online ones, so either way
 * nr_cpus -- and never below 4 batches.
 */
static int zone_highsize(const struct phys_mem *pm, const struct zone *zone, int batch,
			 unsigned high_fraction)
{
	unsigned long total = high_fraction ? zone->managed_pages / high_fraction
					    : wmark_pages(zone, WMARK_LOW);
	long high = (long)(total / pm->nr_cpus);

	return (int)(high > (long)batch << 2 ? high : (long)batch << 2);
}

/*
 * zone_set_pageset_high_and_batch(zone, 0): with the sysctl at 0 high
 * auto-tunes between the low-watermark share and managed/8; with it set,
 * high is fixed at managed/fraction.  pcp off is zone_pcp_disable()'s
 * batch 1 / high 0: every page freed goes straight back.
 */
static void zone_set_pageset_high_and_batch(struct phys_mem *pm, struct zone *zone)
{
	int batch, high_min, high_max;

	if (!pm->pcp_enabled) {
		batch = 1;
		high_min = high_max = 0;
	} else {
		batch = zone_batchsize(zone);
		if (batch < 1)
			batch = 1;
		if (pm->percpu_pagelist_high_fraction) {
			high_min = zone_highsize(pm, zone, batch, pm->percpu_pagelist_high_fraction);
			high_max = high_min;
		} else {
			high_min = zone_highsize(pm, zone, batch, 0);
			high_max = zone_highsize(pm, zone, batch, MIN_PERCPU_PAGELIST_HIGH_FRACTION);
		}
	}
	zone->pageset_batch = batch;
	zone->pageset_high_min = high_min;
	zone->pageset_high_max = high_max;
	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[c];

		/* pageset_update(): pcp->high itself is clamped on next use */
		pcp->batch = batch;
		pcp->high_min = high_min;
		pcp->high_max = high_max;
	}
}

void zone_pcp_update_all(struct phys_mem *pm)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			zone_set_pageset_high_and_batch(pm, &pm->node_data[nid].node_zones[t]);
}

/*
 * nr_pcp_alloc(): how many pages to take from the buddy lists for an empty
 * list.  An order-0 refill doubles (alloc_factor) with each refill that
 * follows another without a free between, up to 2^PCP_BATCH_SCALE_MAX
 * batches, but never so much that pcp->count passes high by more than a
 * batch; while pcp->high may grow (auto-tuning, zone above its high
 * watermark) it grows by the batch first.  Higher orders take batch pages'
 * worth of blocks, at least 2 blocks.
 */
static int nr_pcp_alloc(struct per_cpu_pages *pcp, const struct zone *zone, unsigned order)
{
	int base_batch = pcp->batch, high_min = pcp->high_min, high_max = pcp->high_max;
	int high = pcp->high = clamp_int(pcp->high, high_min, high_max);
	int batch;

	/* pcp disabled, or a boot pageset */
	if (high < base_batch)
		return 1;
	batch = order ? base_batch : base_batch << pcp->alloc_factor;
	if (high_min != high_max && !zone->below_high)
		high = pcp->high = high + batch < high_max ? high + batch : high_max;
	if (!order) {
		int max_nr_alloc = high - pcp->count - base_batch;

		if (max_nr_alloc < base_batch)
			max_nr_alloc = base_batch;
		/* double the next refill while allocations run without frees */
		if (batch <= max_nr_alloc && pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
			pcp->alloc_factor++;
		if (batch > max_nr_alloc)
			batch = max_nr_alloc;
	}
	if (batch > 1) {
		batch >>= order;
		if (batch < 2)
			batch = 2;
	}
	return batch;
}

/*
 * rmqueue_bulk(): @count blocks of @order from the buddy lists, each
 * added at the tail of @list so the list runs in the order the splits
 * produced them (ascending addresses after a split).  Returns how many.
 */
static int rmqueue_bulk(struct phys_mem *pm, struct zone *zone, unsigned order, int count,
			struct list_head *list)
{
	int i;

	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue_smallest(pm, zone, order);

		if (!page)
			break;
		list_add_tail(&page->lru, list);
	}
	return i;
}

bool pcp_refill(struct phys_mem *pm, struct zone *zone, struct per_cpu_pages *pcp,
		unsigned order, struct list_head *list)
{
	int batch = nr_pcp_alloc(pcp, zone, order);
	int alloced = rmqueue_bulk(pm, zone, order, batch, list);

	pcp->count += alloced << order;
	EV(pm->events, "pcp_refill", "zone=%s cpu=%u order=%u blocks=%d count=%d", zone->name,
	   pm->this_cpu, order, alloced, pcp->count);
	return alloced != 0;
}

/*
 * free_pcppages_bulk(): give @count pages back to the buddy lists, from
 * the tail of each list (the coldest pages), list by list round-robin
 * starting at @pindex.  A block counts whole, so a high-order list may
 * overshoot @count by part of a block.
 */
static void free_pcppages_bulk(struct phys_mem *pm, struct zone *zone, int count,
			       struct per_cpu_pages *pcp, unsigned pindex)
{
	int freed = 0;

	if (count > pcp->count)
		count = pcp->count;
	pindex = pindex ? pindex - 1 : NR_PCP_LISTS - 1;
	while (count > 0) {
		struct list_head *list;
		unsigned order;
		int nr_pages;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
			list = &pcp->lists[pindex];
		} while (list_empty(list));
		order = pindex_to_order(pm, pindex);
		nr_pages = 1 << order;
		do {
			struct page *page = list_last_entry(list, struct page, lru);

			list_del(&page->lru);
			count -= nr_pages;
			pcp->count -= nr_pages;
			freed += nr_pages;
			__free_one_page(pm, zone, page, page_to_pfn(pm, page), order, FPI_NONE);
		} while (count > 0 && !list_empty(list));
	}
	EV(pm->events, "pcp_free", "zone=%s cpu=%u pages=%d count=%d", zone->name, pm->this_cpu,
	   freed, pcp->count);
}

/*
 * nr_pcp_free(): how many pages a flush gives back -- everything up to
 * 2^PCP_BATCH_SCALE_MAX batches for a free_high run, else the run of
 * consecutive frees so far, at least a batch, leaving at least a batch.
 */
static int nr_pcp_free(const struct per_cpu_pages *pcp, int batch, int high, bool free_high)
{
	if (free_high)
		return pcp->count < batch << PCP_BATCH_SCALE_MAX ? pcp->count
								 : batch << PCP_BATCH_SCALE_MAX;
	/* pcp disabled, or a boot pageset */
	if (high < batch)
		return 1;
	return clamp_int(pcp->free_count, batch, high - batch);
}

void pcp_flush(struct phys_mem *pm, struct zone *zone, struct per_cpu_pages *pcp, int batch,
	       int high, bool free_high, unsigned pindex)
{
	free_pcppages_bulk(pm, zone, nr_pcp_free(pcp, batch, high, free_high), pcp, pindex);
	if (zone->below_high &&
	    zone_watermark_ok(zone, 0, wmark_pages(zone, WMARK_HIGH), ZONE_MOVABLE, 0))
		zone->below_high = false;
}

/* drain_pages_zone(): everything, in chunks of at most 32 batches. */
static void drain_pages_zone(struct phys_mem *pm, unsigned cpu, struct zone *zone)
{
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
	unsigned saved = pm->this_cpu;

	pm->this_cpu = cpu;	/* for the events: the pages are @cpu's */
	while (pcp->count) {
		int to_drain = pcp->batch << PCP_BATCH_SCALE_MAX;

		free_pcppages_bulk(pm, zone, pcp->count < to_drain ? pcp->count : to_drain, pcp, 0);
	}
	pm->this_cpu = saved;
}

void drain_all_pages(struct phys_mem *pm, struct zone *zone)
{
	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		if (zone) {
			drain_pages_zone(pm, c, zone);
			continue;
		}
		for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
			for (unsigned t = 0; t < MAX_NR_ZONES; t++)
				drain_pages_zone(pm, c, &pm->node_data[nid].node_zones[t]);
	}
}

unsigned long nr_free_pages_with_pcp(const struct phys_mem *pm)
{
	size_t n = (size_t)pm->nr_nodes * MAX_NR_ZONES * pm->nr_cpus;
	unsigned long sum = nr_free_pages(pm);

	for (size_t i = 0; i < n; i++)
		sum += (unsigned long)pm->pagesets[i].count;
	return sum;
}

bool pcp_pages_any(const struct phys_mem *pm)
{
	size_t n = (size_t)pm->nr_nodes * MAX_NR_ZONES * pm->nr_cpus;

	for (size_t i = 0; i < n; i++)
		if (pm->pagesets[i].count)
			return true;
	return false;
}

unsigned long zone_pcp_pages(const struct phys_mem *pm, const struct zone *zone)
{
	unsigned long n = 0;

	for (unsigned c = 0; c < pm->nr_cpus; c++)
		n += (unsigned long)zone->per_cpu_pageset[c].count;
	return n;
}
