/*
 * Boot of physical memory: simulated RAM and mem_map as lazy host mappings,
 * NUMA nodes (pglist_data) and their zones, reserved ranges (memblock
 * reservations: the config's ranges and the kernel image), then the boot
 * freeing of everything else into the buddy lists (memblock_free_all()).
 *
 * Invariant after phys_init(): every frame is either PG_reserved with
 * refcount 1 (not managed) or free in its zone's buddy allocator; the
 * struct pages of free whole max-order blocks are not written yet (deferred
 * init, see buddy.c), so a 64 GiB machine boots without touching its
 * 768 MiB mem_map.  Nothing here is allocated except the two mappings.
 */
#include "phys/mm_inline.h"
#include "phys/pcp.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

struct pfn_range {
	unsigned long start, end;
};

unsigned arch_zone_types(const struct phys_mem *pm, enum zone_type out[MAX_NR_ZONES])
{
	unsigned n = 0;

	out[n++] = ZONE_DMA;
	if (config_is_64(pm->cfg)) {
		out[n++] = ZONE_DMA32;
		out[n++] = ZONE_NORMAL;
	} else {
		out[n++] = ZONE_NORMAL;
		out[n++] = ZONE_HIGHMEM;
	}
	out[n++] = ZONE_MOVABLE;
	return n;
}

static const char *const zone_names[MAX_NR_ZONES] = {
	[ZONE_DMA] = "DMA", [ZONE_DMA32] = "DMA32", [ZONE_NORMAL] = "Normal",
	[ZONE_HIGHMEM] = "HighMem", [ZONE_MOVABLE] = "Movable",
};

/*
 * The physical pfn bounds [lo, hi) of zone type @t on this arch
 * (arch/x86/mm/init.c zone_sizes_init(): MAX_DMA_PFN, MAX_DMA32_PFN,
 * max_low_pfn, max_pfn).  Zones the arch lacks get an empty range; Movable
 * is always empty (no movablecore= / kernelcore=).
 */
static struct pfn_range arch_zone_bounds(const struct phys_mem *pm, enum zone_type t)
{
	const struct vmsim_config *c = pm->cfg;
	unsigned long dma = (unsigned long)(c->zone_dma_end >> PAGE_SHIFT);
	unsigned long top = pm->max_pfn;

	if (dma > top)
		dma = top;
	if (config_is_64(c)) {
		unsigned long dma32 = (unsigned long)(c->zone_dma32_end >> PAGE_SHIFT);

		if (dma32 > top)
			dma32 = top;
		if (dma32 < dma)
			dma32 = dma;
		switch (t) {
		case ZONE_DMA: return (struct pfn_range){ 0, dma };
		case ZONE_DMA32: return (struct pfn_range){ dma, dma32 };
		case ZONE_NORMAL: return (struct pfn_range){ dma32, top };
		default: return (struct pfn_range){ top, top };
		}
	}
	switch (t) {
	case ZONE_DMA: return (struct pfn_range){ 0, dma };
	case ZONE_NORMAL: return (struct pfn_range){ dma, pm->max_low_pfn };
	case ZONE_HIGHMEM: return (struct pfn_range){ pm->max_low_pfn, top };
	case ZONE_DMA32: return (struct pfn_range){ dma, dma };
	default: return (struct pfn_range){ top, top };
	}
}

static unsigned long clampul(unsigned long v, unsigned long lo, unsigned long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Append the byte range [s, s + size) as pages, clipped to RAM. */
static void add_reserved(const struct phys_mem *pm, struct pfn_range *tmp, unsigned *n,
			 uint64_t s, uint64_t size)
{
	uint64_t e = s + size;

	if (size == 0 || s >= pm->ram_size)
		return;
	if (e > pm->ram_size || e < s)
		e = pm->ram_size;
	tmp[(*n)++] = (struct pfn_range){ (unsigned long)(s >> PAGE_SHIFT),
					  (unsigned long)(PAGE_ALIGN(e) >> PAGE_SHIFT) };
}

/* Reserved pfn ranges (cfg.reserve[] and the kernel image; a partly
 * reserved page is reserved, as memblock does), sorted and merged.
 * Returns the count. */
static unsigned reserved_ranges(const struct phys_mem *pm, struct pfn_range *out)
{
	const struct vmsim_config *c = pm->cfg;
	struct pfn_range tmp[CFG_MAX_RESERVE + 1];
	unsigned n = 0, m = 0;

	for (unsigned i = 0; i < c->nr_reserve && i < CFG_MAX_RESERVE; i++)
		add_reserved(pm, tmp, &n, c->reserve[i].start, c->reserve[i].size);
	add_reserved(pm, tmp, &n, c->kernel_start, c->kernel_size);
	/* insertion sort by start: at most 17 entries */
	for (unsigned i = 1; i < n; i++) {
		struct pfn_range r = tmp[i];
		unsigned j = i;

		while (j > 0 && tmp[j - 1].start > r.start) {
			tmp[j] = tmp[j - 1];
			j--;
		}
		tmp[j] = r;
	}
	for (unsigned i = 0; i < n; i++) {
		if (m && tmp[i].start <= out[m - 1].end) {
			if (tmp[i].end > out[m - 1].end)
				out[m - 1].end = tmp[i].end;
		} else {
			out[m++] = tmp[i];
		}
	}
	return m;
}

static int check_config(const struct vmsim_config *c, struct vmsim_error *err)
{
	if (c->max_order > MAX_ORDER_LIMIT)
		return verr(err, -EINVAL, "buddy.max_order %u: at most %d", c->max_order,
			    MAX_ORDER_LIMIT);
	if (c->mem_size == 0 || c->mem_size % PAGE_SIZE)
		return verr(err, -EINVAL, "memory.size %#llx: must be a non-zero multiple of 4 KiB",
			    (unsigned long long)c->mem_size);
	if (c->nodes == 0 || c->nodes > MAX_NUMNODES)
		return verr(err, -EINVAL, "memory.nodes %u: must be 1..%d", c->nodes, MAX_NUMNODES);
	if ((c->mem_size >> PAGE_SHIFT) < c->nodes)
		return verr(err, -EINVAL, "memory.nodes %u: more nodes than frames", c->nodes);
	if (!config_is_64(c) && c->mem_size > (64ULL << 30))
		return verr(err, -EINVAL, "memory.size: x86_32 addresses at most 64 GiB");
	if (sizeof(unsigned long) < 8 && c->mem_size > (1ULL << 31))
		return verr(err, -EINVAL, "memory.size: too large for a 32-bit host");
	return 0;
}

/* Node @nid's pfn span: RAM split evenly, boundaries rounded down to a
 * max-order block so no free block straddles two nodes; the last node
 * takes the remainder. */
static struct pfn_range node_span(const struct phys_mem *pm, unsigned nid)
{
	unsigned long per = pm->max_pfn / pm->nr_nodes;
	unsigned long align = 1UL << pm->max_order;

	if (per >= align)
		per &= ~(align - 1);
	return (struct pfn_range){ per * nid,
				   nid + 1 == pm->nr_nodes ? pm->max_pfn : per * (nid + 1) };
}

/*
 * free_area_init_core() for one node: spans and present pages (no holes:
 * RAM is contiguous from 0), empty free lists, empty LRU lists
 * (pgdat_init_internals()), kswapd asleep with nothing asked of it.
 */
static void init_node(struct phys_mem *pm, unsigned nid)
{
	struct pglist_data *pgdat = &pm->node_data[nid];
	struct pfn_range span = node_span(pm, nid);

	pgdat->node_id = (int)nid;
	pgdat->node_start_pfn = span.start;
	pgdat->node_spanned_pages = span.end - span.start;
	pgdat->node_present_pages = span.end - span.start;
	for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = &pgdat->node_zones[t];
		struct pfn_range b = arch_zone_bounds(pm, (enum zone_type)t);
		unsigned long s = clampul(b.start, span.start, span.end);
		unsigned long e = clampul(b.end, span.start, span.end);

		memset(z, 0, sizeof(*z));
		z->name = zone_names[t];
		z->type = (enum zone_type)t;
		z->zone_pgdat = pgdat;
		z->zone_start_pfn = s;
		z->spanned_pages = e > s ? e - s : 0;
		z->present_pages = z->spanned_pages;
		for (unsigned o = 0; o < NR_ORDERS_LIMIT; o++)
			INIT_LIST_HEAD(&z->free_area[o].free_list);
	}
	lruvec_init(&pgdat->__lruvec, pgdat, NULL);
	memset(pgdat->vm_stat, 0, sizeof(pgdat->vm_stat));
	pgdat->kswapd_highest_zoneidx = MAX_NR_ZONES;
	pgdat->kswapd_last_highest = MAX_NR_ZONES - 1;
}

/*
 * __free_pages_memory() for the free range [start, end) of @zone: blocks of
 * order min(max_order, __ffs(pfn)) shrunk to fit, freed with FPI_TO_TAIL.
 * Whole max-order blocks go to the deferred pool unwritten (they would be
 * tail-inserted in ascending order anyway); the others get their struct
 * pages now and go through __free_one_page() as Linux's do.
 */
static int free_range_to_zone(struct phys_mem *pm, struct zone *zone,
			      unsigned long start, unsigned long end)
{
	unsigned zt = zone_idx(zone), nid = (unsigned)zone->zone_pgdat->node_id;

	while (start < end) {
		unsigned order = start ? (unsigned)__builtin_ctzl(start) : pm->max_order;

		if (order > pm->max_order)
			order = pm->max_order;
		while (start + (1UL << order) > end)
			order--;
		if (order == pm->max_order) {
			unsigned long run = start;
			int ret;

			while (run + (1UL << order) <= end)
				run += 1UL << order;
			ret = zone_defer_blocks(pm, zone, start, run);
			if (ret)
				return ret;
			start = run;
			continue;
		}
		for (unsigned long i = 0; i < (1UL << order); i++)
			__init_single_page(&pm->mem_map[start + i], zt, nid, 0);
		__free_one_page(pm, zone, &pm->mem_map[start], start, order, FPI_TO_TAIL);
		start += 1UL << order;
	}
	return 0;
}

/* Mark [start, end) of @zone reserved (reserve_bootmem_region()). */
static void reserve_range(struct phys_mem *pm, struct zone *zone,
			  unsigned long start, unsigned long end)
{
	unsigned zt = zone_idx(zone), nid = (unsigned)zone->zone_pgdat->node_id;

	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct page *p = &pm->mem_map[pfn];

		__init_single_page(p, zt, nid, 1);
		set_page_flag(p, PG_reserved);
	}
	zone->managed_pages -= end - start;
	pm->reserved_pages += end - start;
}

/* memblock_free_all(): walk each zone once, reserving and freeing the
 * ranges between reservations in ascending pfn order. */
static int memblock_free_all(struct phys_mem *pm)
{
	struct pfn_range res[CFG_MAX_RESERVE + 1];
	unsigned nres = reserved_ranges(pm, res);

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pm->node_data[nid].node_zones[t];
			unsigned long pos = z->zone_start_pfn, zend = zone_end_pfn(z);
			int ret;

			z->managed_pages = z->present_pages;
			if (!z->spanned_pages)
				continue;
			for (unsigned i = 0; i < nres && pos < zend; i++) {
				unsigned long rs = clampul(res[i].start, pos, zend);
				unsigned long re = clampul(res[i].end, pos, zend);

				if (re <= rs)
					continue;
				ret = free_range_to_zone(pm, z, pos, rs);
				if (ret)
					return ret;
				reserve_range(pm, z, rs, re);
				pos = re;
			}
			ret = free_range_to_zone(pm, z, pos, zend);
			if (ret)
				return ret;
			pm->totalram_pages += z->managed_pages;
		}
	}
	return 0;
}

int phys_init(struct phys_mem *pm, const struct vmsim_config *cfg,
	      struct host_arena *ha, struct vmsim_error *err)
{
	int ret;

	memset(pm, 0, sizeof(*pm));
	ret = check_config(cfg, err);
	if (ret)
		return ret;
	pm->cfg = cfg;
	pm->ha = ha;
	pm->ram_size = cfg->mem_size;
	pm->max_pfn = (unsigned long)(cfg->mem_size >> PAGE_SHIFT);
	pm->max_low_pfn = (unsigned long)(cfg->lowmem_end >> PAGE_SHIFT);
	if (config_is_64(cfg) || pm->max_low_pfn > pm->max_pfn || pm->max_low_pfn == 0)
		pm->max_low_pfn = pm->max_pfn;
	pm->max_order = cfg->max_order;
	pm->nr_nodes = cfg->nodes;
#ifndef __OPTIMIZE__
	/* debug (-O0) builds poison freed frames: not where frames keep no bytes */
	pm->page_poisoning = cfg->contents;
#endif

	/* memory.contents none: only kernel frames (page tables, slabs) are
	 * ever written, a few scattered among the user frames; huge host
	 * pages would back each one with 2 MiB */
	pm->ram = cfg->contents ? host_map_lazy_huge(pm->ram_size) : host_map_lazy(pm->ram_size);
	if (!pm->ram) {
		ret = verr(err, -ENOMEM, "cannot map %llu bytes of simulated RAM",
			   (unsigned long long)pm->ram_size);
		goto fail;
	}
	pm->mem_map_bytes = PAGE_ALIGN(pm->max_pfn * sizeof(struct page));
	pm->mem_map = host_map_lazy(pm->mem_map_bytes);
	if (!pm->mem_map) {
		ret = verr(err, -ENOMEM, "cannot map %zu bytes of mem_map", pm->mem_map_bytes);
		goto fail;
	}
	pm->touched_bytes = PAGE_ALIGN(((pm->max_pfn + 63) / 64) * 8);
	pm->touched = host_map_lazy(pm->touched_bytes);
	if (!pm->touched) {
		ret = verr(err, -ENOMEM, "cannot map %zu bytes of the touched-frame map",
			   pm->touched_bytes);
		goto fail;
	}
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		init_node(pm, nid);
	ret = memblock_free_all(pm);
	if (ret) {
		verr(err, ret, "too many reserved ranges in one zone");
		goto fail;
	}
	build_all_zonelists(pm);
	ret = pcp_init(pm);
	if (ret) {
		verr(err, ret, "cannot allocate the per-CPU page lists");
		goto fail;
	}
	init_per_zone_wmark_min(pm);
	return 0;
fail:
	phys_finish(pm);
	return ret;
}

void phys_finish(struct phys_mem *pm)
{
	if (!pm)
		return;
	host_unmap_lazy(pm->mem_map, pm->mem_map_bytes);
	host_unmap_lazy(pm->ram, pm->ram_size);
	host_unmap_lazy(pm->touched, pm->touched_bytes);
	pcp_finish(pm);
	pm->touched = NULL;
	pm->touched_bytes = 0;
	pm->mem_map = NULL;
	pm->ram = NULL;
	pm->mem_map_bytes = 0;
	pm->ram_size = 0;
}

struct zone *phys_zone(struct phys_mem *pm, int nid, enum zone_type t)
{
	if (nid < 0 || (unsigned)nid >= pm->nr_nodes || (unsigned)t >= MAX_NR_ZONES)
		return NULL;
	return &pm->node_data[nid].node_zones[t];
}

uint64_t page_address(const struct phys_mem *pm, const struct page *p)
{
	unsigned long pfn = page_to_pfn(pm, p);

	if (pfn >= pm->max_low_pfn)
		return 0;
	return pm->cfg->page_offset + ((uint64_t)pfn << PAGE_SHIFT);
}
