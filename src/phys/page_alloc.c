/*
 * The page allocator API over the buddy lists: gfp_zone() and zonelists,
 * watermarks and lowmem_reserve as Linux computes them, alloc_pages() with
 * its fast and slow paths, and the reference-counted free side
 * (__free_pages(), put_page()).  Formulas follow Linux v6.12
 * mm/page_alloc.c and mm/mm_init.c; each function names its original.
 *
 * Invariant: a page handed out has refcount 1 on its head and is off every
 * free list; a block returns to the buddy lists only when its head's
 * refcount drops to zero, and a free that would corrupt the lists (double
 * free, reserved page, mapped page, an order other than the block's) is
 * refused and reported through bad_page() instead.  The head of every
 * block handed out records its order (page_alloc_order()) until it is
 * freed.
 *
 * Orders 0..3 (and the THP order on x86_64) go through the per-CPU page
 * lists first (rmqueue_pcplist(), free_unref_page_commit(); sizing, refill
 * and flush in pcp.c), as in Linux; `buddy.pcp: false` sends everything
 * straight to the buddy lists, which zone_pcp_disable() amounts to.
 *
 * The slow path is __alloc_pages_slowpath()'s: wake kswapd, retry at the
 * min watermark, direct reclaim (and a drain of the per-CPU lists), retry
 * while reclaim can still help (should_reclaim_retry()), then the OOM
 * killer; reclaim and the OOM killer live above this layer and come in
 * through pm->reclaim.  A page on an LRU list leaves it when its last
 * reference goes (__page_cache_release()).
 *
 * Not modelled (documented in docs/physical-memory.md): migratetypes
 * (one free list per order), compaction, highatomic reserves and CMA.
 */
#include "phys/mm_inline.h"
#include "phys/mmdebug.h"
#include "phys/pcp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "phys/clear_frame.h"

/* ---- zones ---------------------------------------------------------- */

enum zone_type gfp_zone(const struct phys_mem *pm, gfp_t gfp)
{
	bool is64 = config_is_64(pm->cfg);

	/*
	 * GFP_ZONE_TABLE: __GFP_DMA wins, then __GFP_DMA32 (ZONE_NORMAL on
	 * x86_32, which has no DMA32: OPT_ZONE_DMA32), then __GFP_HIGHMEM
	 * (ZONE_NORMAL on x86_64: OPT_ZONE_HIGHMEM), which with __GFP_MOVABLE
	 * becomes ZONE_MOVABLE.  Linux BUGs on the invalid combinations
	 * (GFP_ZONE_BAD); here they resolve to the most restrictive zone.
	 */
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return is64 ? ZONE_DMA32 : ZONE_NORMAL;
	if (gfp & __GFP_HIGHMEM) {
		if (gfp & __GFP_MOVABLE)
			return ZONE_MOVABLE;
		return is64 ? ZONE_NORMAL : ZONE_HIGHMEM;
	}
	return ZONE_NORMAL;
}

/*
 * build_zonelists(): node order is this node, then the next ones in id
 * order, wrapping (find_next_best_node() with equal distances prefers the
 * nodes after us); within a node, zones from the highest allowed down to
 * DMA, populated ones only.  zonelist[h] is the list a request whose
 * highest zone is h walks (Linux filters one list by zone index).
 */
void build_all_zonelists(struct phys_mem *pm)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		struct pglist_data *pgdat = &pm->node_data[nid];

		for (unsigned h = 0; h < MAX_NR_ZONES; h++) {
			unsigned n = 0;

			for (unsigned k = 0; k < pm->nr_nodes; k++) {
				struct pglist_data *other = &pm->node_data[(nid + k) % pm->nr_nodes];

				for (int t = (int)h; t >= 0; t--) {
					struct zone *z = &other->node_zones[t];

					if (populated_zone(z))
						pgdat->zonelist[h][n++] = z;
				}
			}
			pgdat->zonelist[h][n] = NULL;
		}
	}
}

/* ---- watermarks ----------------------------------------------------- */

/* int_sqrt(): floor of the square root (lib/math/int_sqrt.c). */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long b, m, y = 0;

	if (x <= 1)
		return x;
	m = 1UL << ((63 - __builtin_clzl(x)) & ~1);
	while (m != 0) {
		b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return y;
}

/*
 * nr_free_zone_pages(gfp_zone(GFP_USER)) = nr_free_buffer_pages(): the
 * managed pages above the high watermark of every zone up to Normal on the
 * boot node's zonelist (every node's).  At first boot the watermarks are
 * still zero, as in Linux at init_per_zone_wmark_min() time.
 */
static unsigned long nr_free_buffer_pages(const struct phys_mem *pm)
{
	const struct pglist_data *pgdat = &pm->node_data[0];
	unsigned long sum = 0;

	for (struct zone *const *z = pgdat->zonelist[gfp_zone(pm, GFP_USER)]; *z; z++) {
		unsigned long size = (*z)->managed_pages, high = wmark_pages(*z, WMARK_HIGH);

		if (size > high)
			sum += size - high;
	}
	return sum;
}

/* calculate_min_free_kbytes(): int_sqrt(lowmem_kbytes * 16) clamped to
 * [128, 262144] (v5.7+; 65536 before).  A config value overrides it as
 * the sysctl would (user_min_free_kbytes). */
static void calculate_min_free_kbytes(struct phys_mem *pm)
{
	unsigned long lowmem_kbytes = nr_free_buffer_pages(pm) * (PAGE_SIZE >> 10);
	unsigned long v = int_sqrt(lowmem_kbytes * 16);

	if (pm->cfg->min_free_kbytes) {
		pm->min_free_kbytes = (unsigned long)pm->cfg->min_free_kbytes;
		return;
	}
	if (v < 128)
		v = 128;
	if (v > 262144)
		v = 262144;
	pm->min_free_kbytes = v;
}

/* mult_frac(x, n, d) without overflowing x * n */
static unsigned long mult_frac(unsigned long x, unsigned long n, unsigned long d)
{
	return (x / d) * n + ((x % d) * n) / d;
}

#define SWAP_CLUSTER_MAX 32UL
static const unsigned long watermark_scale_factor = 10;

/*
 * __setup_per_zone_wmarks(): min_free_kbytes shared among the lowmem zones
 * in proportion to their managed pages; HighMem and Movable get a small
 * min of managed/1024 clamped to [32, 128] because __GFP_HIGH and
 * PF_MEMALLOC rarely need them; low/high/promo step up by
 * max(min/4, managed * watermark_scale_factor / 10000).
 */
static void __setup_per_zone_wmarks(struct phys_mem *pm)
{
	unsigned long pages_min = pm->min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &pm->node_data[nid].node_zones[t];

			if (!is_highmem_idx(z->type) && z->type != ZONE_MOVABLE)
				lowmem_pages += z->managed_pages;
		}
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pm->node_data[nid].node_zones[t];
			unsigned long managed = z->managed_pages;
			uint64_t tmp = lowmem_pages ? (uint64_t)pages_min * managed / lowmem_pages : 0;
			uint64_t step;

			if (is_highmem_idx(z->type) || z->type == ZONE_MOVABLE) {
				unsigned long min_pages = managed / 1024;

				if (min_pages < SWAP_CLUSTER_MAX)
					min_pages = SWAP_CLUSTER_MAX;
				if (min_pages > 128)
					min_pages = 128;
				z->_watermark[WMARK_MIN] = min_pages;
			} else {
				z->_watermark[WMARK_MIN] = (unsigned long)tmp;
			}
			step = tmp >> 2;
			if (step < mult_frac(managed, watermark_scale_factor, 10000))
				step = mult_frac(managed, watermark_scale_factor, 10000);
			z->_watermark[WMARK_LOW] = z->_watermark[WMARK_MIN] + (unsigned long)step;
			z->_watermark[WMARK_HIGH] = z->_watermark[WMARK_LOW] + (unsigned long)step;
			z->_watermark[WMARK_PROMO] = z->_watermark[WMARK_HIGH] + (unsigned long)step;
		}
}

/* sysctl_lowmem_reserve_ratio: DMA 256, DMA32 256, Normal 32, rest 0. */
static const unsigned long sysctl_lowmem_reserve_ratio[MAX_NR_ZONES] = {
	[ZONE_DMA] = 256, [ZONE_DMA32] = 256, [ZONE_NORMAL] = 32,
	[ZONE_HIGHMEM] = 0, [ZONE_MOVABLE] = 0,
};

/*
 * setup_per_zone_lowmem_reserve(): zone i keeps (managed pages of the
 * zones above it, up to j) / ratio[i] free against requests that could
 * have used zone j; zero when the ratio is 0 or zone i manages nothing.
 */
static void setup_per_zone_lowmem_reserve(struct phys_mem *pm)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		struct pglist_data *pgdat = &pm->node_data[nid];

		for (unsigned i = 0; i < MAX_NR_ZONES - 1; i++) {
			struct zone *z = &pgdat->node_zones[i];
			unsigned long ratio = sysctl_lowmem_reserve_ratio[i];
			bool clear = !ratio || !z->managed_pages;
			unsigned long managed = 0;

			z->lowmem_reserve[i] = 0;
			for (unsigned j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += pgdat->node_zones[j].managed_pages;
				z->lowmem_reserve[j] = clear ? 0 : managed / ratio;
			}
		}
	}
}

/* calculate_totalreserve_pages(): per zone, the largest lowmem_reserve
 * plus the high watermark, capped at the zone's managed pages. */
static void calculate_totalreserve_pages(struct phys_mem *pm)
{
	unsigned long total = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned i = 0; i < MAX_NR_ZONES; i++) {
			const struct zone *z = &pm->node_data[nid].node_zones[i];
			unsigned long max = 0;

			for (unsigned j = i; j < MAX_NR_ZONES; j++)
				if (z->lowmem_reserve[j] > max)
					max = z->lowmem_reserve[j];
			max += wmark_pages(z, WMARK_HIGH);
			if (max > z->managed_pages)
				max = z->managed_pages;
			total += max;
		}
	pm->totalreserve_pages = total;
}

void init_per_zone_wmark_min(struct phys_mem *pm)
{
	calculate_min_free_kbytes(pm);
	/* setup_per_zone_wmarks(): the watermarks, then the pcp batch and
	 * high limits that derive from them (zone_pcp_update()) */
	__setup_per_zone_wmarks(pm);
	zone_pcp_update_all(pm);
	calculate_totalreserve_pages(pm);
	setup_per_zone_lowmem_reserve(pm);
	calculate_totalreserve_pages(pm);
}

/* __zone_watermark_ok() with the free pages given, inlined into the
 * allocation path. */
static inline bool watermark_ok(const struct zone *z, unsigned order, unsigned long mark,
				enum zone_type highest_zoneidx, unsigned alloc_flags,
				long free_pages)
{
	long min = (long)mark;

	/* __zone_watermark_unusable_free(): the pages the request takes
	 * beyond the first (no highatomic or CMA pages here). */
	free_pages -= (1L << order) - 1;

	if (alloc_flags & ALLOC_RESERVES) {
		/* __GFP_HIGH: half of the min reserve; non-blocking
		 * (GFP_ATOMIC) another quarter of what is left. */
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + (long)z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (unsigned o = order; o < NR_ORDERS_LIMIT; o++)
		if (z->free_area[o].nr_free)
			return true;
	return false;
}

static inline bool __zone_watermark_ok(const struct zone *z, unsigned order, unsigned long mark,
				       enum zone_type highest_zoneidx, unsigned alloc_flags)
{
	return watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, (long)z->free_pages);
}

bool zone_watermark_ok(const struct zone *z, unsigned order, unsigned long mark,
		       enum zone_type highest_zoneidx, unsigned alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags);
}

bool __zone_watermark_ok_free(const struct zone *z, unsigned order, unsigned long mark,
			      enum zone_type highest_zoneidx, unsigned alloc_flags,
			      long free_pages)
{
	return watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

/* ALLOC_KSWAPD: the slow path may wake kswapd (__GFP_KSWAPD_RECLAIM). */
#define ALLOC_KSWAPD 0x800

/* gfp_to_alloc_flags(): min watermark, __GFP_HIGH -> ALLOC_MIN_RESERVE,
 * no direct reclaim -> ALLOC_NON_BLOCK, __GFP_KSWAPD_RECLAIM ->
 * ALLOC_KSWAPD. */
static unsigned gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned flags = ALLOC_WMARK_MIN;

	if (gfp & __GFP_HIGH)
		flags |= ALLOC_MIN_RESERVE;
	if (!(gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NOMEMALLOC))
		flags |= ALLOC_NON_BLOCK;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		flags |= ALLOC_KSWAPD;
	return flags;
}

#define PAGE_FLAGS_CHECK_AT_FREE \
	((1ULL << PG_lru) | (1ULL << PG_locked) | (1ULL << PG_private) | (1ULL << PG_writeback) | \
	 (1ULL << PG_reserved) | (1ULL << PG_slab) | (1ULL << PG_active) | (1ULL << PG_buddy) | \
	 (1ULL << PG_table) | (1ULL << PG_mlocked))

/* Why a page about to be freed is not in the state a free page must be
 * in (page_bad_reason()), or NULL.  @tail: a tail of the compound block. */
static const char *page_bad_reason(const struct page *p, bool tail, bool not_head)
{
	uint64_t flags = p->flags & ~(tail ? 1ULL << PG_tail : 0);

	if (p->_mapcount != -1)
		return "nonzero mapcount";
	if (p->mapping && !PageAnon(p) && !tail)
		return "non-NULL mapping";
	if (not_head && p->_refcount != 0)
		return "nonzero _refcount";
	if (flags & PAGE_FLAGS_CHECK_AT_FREE)
		return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return NULL;
}

/* ---- allocation ----------------------------------------------------- */

/*
 * check_poison_mem(): a frame freed with page_poison=1 must still hold
 * PAGE_POISON when it is handed out again; anything else is a write after
 * free by whoever held it before.
 */
static void check_poison(struct phys_mem *pm, struct page *page, unsigned order)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		struct page *p = &page[i];
		const uint8_t *b;

		if (!test_page_flag(p, PG_poisoned))
			continue;
		clear_page_flag(p, PG_poisoned);
		b = page_host(pm, p);
		for (size_t k = 0; k < PAGE_SIZE; k++)
			if (b[k] != PAGE_POISON) {
				bad_page(pm, p, "use after free: poison overwritten");
				break;
			}
	}
}

#define PHYS_ALWAYS_INLINE inline __attribute__((always_inline))
#define PHYS_NOINLINE __attribute__((noinline))

/* The rarer parts of prep_new_page(): poison check, zeroing, compound. */
static PHYS_NOINLINE void prep_new_page_slow(struct phys_mem *pm, struct page *page,
					  unsigned order, gfp_t gfp)
{
	if (pm->page_poisoning)
		check_poison(pm, page, order);
	/* a user frame on a machine without contents keeps no bytes to clear */
	if ((gfp & __GFP_ZERO) && (pm->cfg->contents || !(gfp & __GFP_MOVABLE))) {
		/* only frames that may hold data need clearing (frame_touched()) */
		unsigned long pfn = page_to_pfn(pm, page);

		for (unsigned long i = 0; i < (1UL << order); i++)
			if (frame_touched(pm, pfn + i))
				clear_frame(page_host(pm, page + i));
	}
	if (order && (gfp & __GFP_COMP)) {
		set_page_flag(page, PG_head);
		page[1].private = order;
		for (unsigned long i = 1; i < (1UL << order); i++) {
			set_page_flag(&page[i], PG_tail);
			page[i].lru.next = &page->lru;
		}
	}
}

/* post_alloc_hook() + prep_compound_page(): refcount 1 on the head and its
 * allocation order, frames zeroed for __GFP_ZERO, head/tail marks for
 * __GFP_COMP (order > 0).  A free page's order field is clear (freeing
 * and __init_single_page() clear it), so it is or-ed in. */
static PHYS_ALWAYS_INLINE void prep_new_page(struct phys_mem *pm, struct page *page,
					  unsigned order, gfp_t gfp)
{
	page->_refcount = 1;
	page->flags |= (uint64_t)(order + 1) << PAGE_ALLOC_ORDER_SHIFT;
	if (__builtin_expect(pm->page_poisoning || (gfp & (__GFP_ZERO | __GFP_COMP)), 0))
		prep_new_page_slow(pm, page, order, gfp);
}

/*
 * __rmqueue_pcplist() + rmqueue_pcplist(): the hottest page of this CPU's
 * list for @order, refilling an empty list from the buddy lists first.
 * An allocation halves the run of frees that sizes the next flush.
 */
static PHYS_ALWAYS_INLINE struct page *rmqueue_pcplist(struct phys_mem *pm, struct zone *zone,
						    unsigned order)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(pm, zone);
	struct list_head *list = &pcp->lists[order_to_pindex(order)];
	struct page *page;

	pcp->free_count >>= 1;
	if (__builtin_expect(list_empty(list), 0) && !pcp_refill(pm, zone, pcp, order, list))
		return NULL;
	page = list_first_entry(list, struct page, lru);
	list_del(&page->lru);
	pcp->count -= 1 << order;
	return page;
}

/* rmqueue(): the per-CPU list for the orders it serves, else (or when the
 * zone had nothing to refill it with) the buddy lists (rmqueue_buddy()). */
static PHYS_ALWAYS_INLINE struct page *rmqueue(struct phys_mem *pm, struct zone *zone,
					    unsigned order)
{
	if (__builtin_expect(pm->pcp_enabled && pcp_allowed_order(pm, order), 1)) {
		struct page *page = rmqueue_pcplist(pm, zone, order);

		if (page)
			return page;
	}
	return __rmqueue_smallest(pm, zone, order);
}

/*
 * get_page_from_freelist(): the first zone of @zonelist that passes its
 * watermark (unless ALLOC_NO_WATERMARKS) and has a block gives it.  A zone
 * is first checked against its high watermark; failing that marks it
 * ZONE_BELOW_HIGH (which shrinks pcp->high on frees until a flush finds
 * it back above) and skips that check until then.
 * @count_fail: charge refusals to zone->alloc_fail (last pass only).
 */
static PHYS_ALWAYS_INLINE struct page *
get_page_from_freelist(struct phys_mem *pm, struct zone *const *zonelist, unsigned order,
		       enum zone_type highest, unsigned alloc_flags, bool count_fail)
{
	for (struct zone *const *zp = zonelist; *zp; zp++) {
		struct zone *z = *zp;
		struct page *page;

		if (!z->below_high) {
			if (__zone_watermark_ok(z, order, wmark_pages(z, WMARK_HIGH), highest,
						alloc_flags))
				goto try_this_zone;
			z->below_high = true;
		}
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !__zone_watermark_ok(z, order, wmark_pages(z, alloc_flags & ALLOC_WMARK_MASK),
				       highest, alloc_flags)) {
			if (count_fail)
				z->alloc_fail++;
			continue;
		}
try_this_zone:
		page = rmqueue(pm, z, order);
		if (page) {
			z->pgalloc += 1UL << order;
			count_vm_events(pm, PGALLOC_DMA + z->type, 1UL << order);
			return page;
		}
		if (count_fail)
			z->alloc_fail++;
	}
	return NULL;
}

/* wake_all_kswapds(): the kswapd of each node on the zonelist, once. */
static void wake_all_kswapds(struct phys_mem *pm, struct zone *const *zonelist, gfp_t gfp,
			     unsigned order, enum zone_type highest)
{
	const struct pglist_data *last_pgdat = NULL;

	if (!pm->reclaim.wakeup_kswapd)
		return;
	for (struct zone *const *zp = zonelist; *zp; zp++) {
		if (!managed_zone(*zp) || (*zp)->zone_pgdat == last_pgdat)
			continue;
		pm->reclaim.wakeup_kswapd(pm, *zp, gfp, order, highest);
		last_pgdat = (*zp)->zone_pgdat;
	}
}

/*
 * __alloc_pages_direct_reclaim(): reclaim (with PF_MEMALLOC set, so that
 * reclaim's own allocations do not recurse), then retry; pages may be
 * pinned on the per-CPU lists, so drain them and retry once more.
 */
static struct page *__alloc_pages_direct_reclaim(struct phys_mem *pm, struct zone *const *zonelist,
						 gfp_t gfp, unsigned order, enum zone_type highest,
						 unsigned alloc_flags, unsigned long *progress)
{
	struct page *page;

	pm->memalloc = true;
	*progress = pm->reclaim.try_to_free_pages(pm, zonelist, order, gfp);
	pm->memalloc = false;
	if (!*progress)
		return NULL;
	page = get_page_from_freelist(pm, zonelist, order, highest, alloc_flags, false);
	if (!page && pcp_pages_any(pm)) {
		drain_all_pages(pm, NULL);
		page = get_page_from_freelist(pm, zonelist, order, highest, alloc_flags, false);
	}
	return page;
}

/*
 * should_reclaim_retry(): keep reclaiming while some zone could pass its
 * min watermark if every reclaimable page were freed, giving up after
 * MAX_RECLAIM_RETRIES rounds without progress (costly orders count every
 * round as one without progress).
 */
static bool should_reclaim_retry(struct phys_mem *pm, struct zone *const *zonelist,
				 unsigned order, enum zone_type highest, unsigned alloc_flags,
				 bool did_some_progress, int *no_progress_loops)
{
	if (did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (*no_progress_loops > MAX_RECLAIM_RETRIES)
		return false;
	for (struct zone *const *zp = zonelist; *zp; zp++) {
		const struct zone *z = *zp;
		long available = (long)(zone_reclaimable_pages(pm, z) + z->free_pages);

		if (watermark_ok(z, order, min_wmark_pages(z), highest, alloc_flags, available))
			return true;
	}
	return false;
}

/*
 * __alloc_pages_may_oom(): one more try at the high watermark (a victim
 * killed meanwhile may have freed enough), then out_of_memory() unless the
 * request is one the OOM killer does not serve: costly orders, callers
 * that prefer failing (__GFP_RETRY_MAYFAIL) or must stay on one node,
 * lowmem-only requests.  *progress: the OOM killer freed memory.
 */
static struct page *__alloc_pages_may_oom(struct phys_mem *pm, struct zone *const *zonelist,
					  gfp_t gfp, unsigned order, enum zone_type highest,
					  unsigned long *progress)
{
	struct page *page;

	*progress = 0;
	page = get_page_from_freelist(pm, zonelist, order, highest, ALLOC_WMARK_HIGH, false);
	if (page || order > PAGE_ALLOC_COSTLY_ORDER || (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) ||
	    highest < ZONE_NORMAL || !pm->reclaim.oom)
		return page;
	if (pm->reclaim.oom(pm, zonelist, order, gfp))
		*progress = 1;
	return NULL;
}

/*
 * __alloc_pages_slowpath(): wake kswapd, retry at the min watermark with
 * the reserves the gfp flags allow, then, for a caller that may reclaim
 * and is not reclaiming already, direct reclaim and its retries, then the
 * OOM killer while it makes progress; __GFP_MEMALLOC ignores watermarks
 * once the rest failed.
 */
static PHYS_NOINLINE struct page *__alloc_pages_slowpath(struct phys_mem *pm,
						      struct zone *const *zonelist, gfp_t gfp,
						      unsigned order, enum zone_type highest)
{
	const bool can_direct_reclaim = (gfp & __GFP_DIRECT_RECLAIM) && pm->reclaim.try_to_free_pages;
	const bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	bool no_wmarks = (gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC);
	unsigned alloc_flags = gfp_to_alloc_flags(gfp);
	unsigned long did_some_progress = 0;
	int no_progress_loops = 0;
	struct page *page;

	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(pm, zonelist, gfp, order, highest);
	page = get_page_from_freelist(pm, zonelist, order, highest, alloc_flags, !no_wmarks);
	if (page)
		return page;
	if (!can_direct_reclaim && (gfp & __GFP_DIRECT_RECLAIM) && pcp_pages_any(pm)) {
		/* a machine without reclaim: the drain is all the slow path has */
		drain_all_pages(pm, NULL);
		page = get_page_from_freelist(pm, zonelist, order, highest, alloc_flags, !no_wmarks);
		if (page)
			return page;
	}
	for (;;) {
		if (alloc_flags & ALLOC_KSWAPD)
			wake_all_kswapds(pm, zonelist, gfp, order, highest);
		/* __gfp_pfmemalloc_flags(): PF_MEMALLOC (reclaim itself) and
		 * __GFP_MEMALLOC may use what is left below the watermarks */
		if (no_wmarks || (pm->memalloc && !(gfp & __GFP_NOMEMALLOC)))
			page = get_page_from_freelist(pm, zonelist, order, highest,
						      alloc_flags | ALLOC_NO_WATERMARKS, true);
		else
			page = get_page_from_freelist(pm, zonelist, order, highest, alloc_flags, false);
		if (page || !can_direct_reclaim || pm->memalloc)
			return page;
		page = __alloc_pages_direct_reclaim(pm, zonelist, gfp, order, highest, alloc_flags,
						    &did_some_progress);
		if (page)
			return page;
		/* __GFP_NORETRY, and costly orders without
		 * __GFP_RETRY_MAYFAIL, are not retried */
		if ((gfp & __GFP_NORETRY) || (costly_order && !(gfp & __GFP_RETRY_MAYFAIL)))
			return NULL;
		if (should_reclaim_retry(pm, zonelist, order, highest, alloc_flags,
					 did_some_progress > 0, &no_progress_loops))
			continue;
		page = __alloc_pages_may_oom(pm, zonelist, gfp, order, highest, &did_some_progress);
		if (page || !did_some_progress)
			return page;
		no_progress_loops = 0;
	}
}

/*
 * check_new_page(): a block leaving the free lists must look free (head
 * page unreferenced and unmapped: the two counts a stray get_page() or
 * mapping after the free changes; Linux also looks at the mapping and the
 * flags, which here cost the order-0 fast path more than 2%).  One that
 * does not was written after it was freed: bad_page(), and the block is
 * leaked, as Linux's check_new_pages() does.
 */
static inline bool new_page_suspect(const struct page *page)
{
	/* two 4-byte loads: one 8-byte load over both would wait for the
	 * 4-byte stores of the page's free, still in the store buffer when
	 * a page is freed and taken again at once */
	return (page->_refcount | (page->_mapcount + 1)) != 0;
}

static PHYS_NOINLINE bool check_new_page_bad(struct phys_mem *pm, struct page *page)
{
	const char *why = page_bad_reason(page, false, true);

	if (!why && page->mapping)
		why = "non-NULL mapping";
	bad_page(pm, page, why ? why : "PAGE_FLAGS_CHECK_AT_PREP flag(s) set");
	return true;
}

/* __alloc_pages(): the fast path at the low watermark, inlined into both
 * entry points, then the slow path out of line. */
static PHYS_ALWAYS_INLINE struct page *__alloc_pages(struct phys_mem *pm, int nid, gfp_t gfp,
						  unsigned order)
{
	enum zone_type highest = gfp_zone(pm, gfp);
	struct zone *const *zonelist;
	struct page *page;

	if (order > pm->max_order || nid < 0 || (unsigned)nid >= pm->nr_nodes) {
		pm->vmstat.allocfail++;
		return NULL;
	}
	zonelist = pm->node_data[nid].zonelist[highest];
retry:
	page = get_page_from_freelist(pm, zonelist, order, highest, ALLOC_WMARK_LOW, false);
	if (__builtin_expect(!page, 0)) {
		page = __alloc_pages_slowpath(pm, zonelist, gfp, order, highest);
		if (!page) {
			pm->vmstat.allocfail++;
			EV(pm->events, "alloc_fail", "order=%u gfp=%#x", order, gfp);
			return NULL;
		}
	}
	if (DEBUG_VM && __builtin_expect(new_page_suspect(page), 0) && check_new_page_bad(pm, page))
		goto retry;	/* the block stays out: leaked */
	prep_new_page(pm, page, order, gfp);
	phys_track(pm, page_to_pfn(pm, page));
	/* __memcg_kmem_charge_page(): kernel memory a process causes counts
	 * in its cgroup, and fails the allocation when that has no room */
	if (__builtin_expect((gfp & __GFP_ACCOUNT) != 0, 0) && pm->memcg.kmem_charge &&
	    pm->memcg.kmem_charge(pm, page, gfp, order)) {
		__free_pages(pm, page, order);
		pm->vmstat.allocfail++;
		EV(pm->events, "alloc_fail", "order=%u gfp=%#x memcg", order, gfp);
		return NULL;
	}
	EV(pm->events, "alloc_pages", "pfn=%#lx order=%u zone=%s gfp=%#x",
	   page_to_pfn(pm, page), order, page_zone(pm, page)->name, gfp);
	return page;
}

struct page *alloc_pages_node(struct phys_mem *pm, int nid, gfp_t gfp, unsigned order)
{
	return __alloc_pages(pm, nid, gfp, order);
}

struct page *alloc_pages(struct phys_mem *pm, gfp_t gfp, unsigned order)
{
	/* numa_node_id(): the single simulated CPU sits on node 0; order 0
	 * as a constant: the common case's own inlined copy */
	if (order == 0)
		return __alloc_pages(pm, 0, gfp, 0);
	return __alloc_pages(pm, 0, gfp, order);
}

/* ---- freeing -------------------------------------------------------- */

/*
 * free_pages_prepare(): every page of the block must be in the state a
 * free page is expected to be in (page_expected_state()); otherwise
 * bad_page() and the block is not freed (leaked, as Linux does).  Clears
 * the compound marks and every flag but the zone/node links on the way,
 * in the one pass over the block that Linux also makes.
 */
static PHYS_NOINLINE bool free_pages_prepare_slow(struct phys_mem *pm, struct page *page,
					       unsigned order);

static PHYS_ALWAYS_INLINE bool free_pages_prepare(struct phys_mem *pm, struct page *page,
					       unsigned order)
{
	const uint64_t keep = (PAGE_ZONE_MASK << PAGE_ZONE_SHIFT) | (PAGE_NODE_MASK << PAGE_NODE_SHIFT);

	if (__builtin_expect(order == 0 && !pm->page_poisoning && page->_mapcount == -1 &&
			     !(page->flags & PAGE_FLAGS_CHECK_AT_FREE) && !PageHead(page) &&
			     (!page->mapping || PageAnon(page)), 1)) {
		/* the order-0 common case, without the loop */
		page->flags &= keep;
		page->mapping = NULL;
		page->private = 0;
		page->lru.next = page->lru.prev = NULL;
		return true;
	}
	return free_pages_prepare_slow(pm, page, order);
}

static PHYS_NOINLINE bool free_pages_prepare_slow(struct phys_mem *pm, struct page *page,
					       unsigned order)
{
	const uint64_t keep = (PAGE_ZONE_MASK << PAGE_ZONE_SHIFT) | (PAGE_NODE_MASK << PAGE_NODE_SHIFT);
	const uint64_t check = PAGE_FLAGS_CHECK_AT_FREE;
	unsigned long nr = 1UL << order;
	bool compound = PageHead(page);
	bool bad = false;

	if (compound && compound_order(page) != order) {
		bad_page(pm, page, "compound order mismatch on free");
		return false;
	}
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = &page[i];
		bool tail = i && compound;

		/* the common case in one test: unmapped, no mapping, no
		 * reference on a tail, no flag that forbids freeing */
		if (__builtin_expect(p->_mapcount != -1 || (p->flags & check) ||
				     (i && p->_refcount) || (p->mapping && !tail && !PageAnon(p)), 0)) {
			const char *why = page_bad_reason(p, tail, i != 0);

			if (why) {
				bad_page(pm, p, why);
				bad = true;
				continue;
			}
		}
		p->flags &= keep;
		p->mapping = NULL;
		p->private = 0;
		p->lru.next = p->lru.prev = NULL;
	}
	if (bad)
		return false;
	if (pm->page_poisoning) {
		for (unsigned long i = 0; i < nr; i++)
			set_page_flag(&page[i], PG_poisoned);
		memset(page_host(pm, page), PAGE_POISON, PAGE_SIZE << order);
	}
	return true;
}

/*
 * free_unref_page_commit(): onto the head of this CPU's list (the hottest
 * page is the next one handed out), then, once the list holds @high
 * pages, flush a batch or more back to the buddy lists (pcp_flush()).  A
 * run of order 1..3 frees with no allocation between (free_high) flushes
 * everything: such pages fragment memory if they linger.
 */
static PHYS_ALWAYS_INLINE void free_unref_page_commit(struct phys_mem *pm, struct zone *zone,
						   struct page *page, unsigned order)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(pm, zone);
	unsigned pindex = order_to_pindex(order);
	int batch = pcp->batch, high;
	bool free_high = false;

	pcp->alloc_factor >>= 1;
	list_add(&page->lru, &pcp->lists[pindex]);
	pcp->count += 1 << order;
	if (order && order <= PAGE_ALLOC_COSTLY_ORDER) {
		free_high = pcp->free_count >= batch && (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
			    (!(pcp->flags & PCPF_FREE_HIGH_BATCH) || pcp->count >= batch);
		pcp->flags |= PCPF_PREV_FREE_HIGH_ORDER;
	} else if (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) {
		pcp->flags &= ~PCPF_PREV_FREE_HIGH_ORDER;
	}
	if (pcp->free_count < batch << PCP_BATCH_SCALE_MAX)
		pcp->free_count += 1 << order;
	high = nr_pcp_high(pcp, zone, batch, free_high);
	if (pcp->count >= high)
		pcp_flush(pm, zone, pcp, batch, high, free_high, pindex);
}

/* __free_frozen_pages(): refcount already zero; onto this CPU's list for
 * the orders it keeps (free_unref_page()), else back to the buddy lists. */
static PHYS_ALWAYS_INLINE void free_frozen_pages(struct phys_mem *pm, struct page *page,
					     unsigned long pfn, unsigned order)
{
	struct zone *zone;

	/* __folio_put()'s mem_cgroup_uncharge(), free_pages_prepare()'s
	 * __memcg_kmem_uncharge_page(): a charged page gives its charge back
	 * before it is checked and freed */
	if (__builtin_expect(page_memcg_id(page) != 0, 0) && pm->memcg.uncharge)
		pm->memcg.uncharge(pm, page, order);
	if (!free_pages_prepare(pm, page, order))
		return;
	/* test first: a frame that recurs is marked already (a load, no store) */
	for (unsigned long i = 0; i < (1UL << order); i++)
		if (__builtin_expect(!frame_touched(pm, pfn + i), 0))
			frame_mark_touched(pm, pfn + i);
	zone = page_zone(pm, page);
	phys_track(pm, pfn);
	EV(pm->events, "free_pages", "pfn=%#lx order=%u zone=%s", pfn, order, zone->name);
	zone->pgfree += 1UL << order;
	count_vm_events(pm, PGFREE, 1UL << order);
	if (__builtin_expect(pm->pcp_enabled && pcp_allowed_order(pm, order), 1))
		free_unref_page_commit(pm, zone, page, order);
	else
		__free_one_page(pm, zone, page, pfn, order, FPI_NONE);
}

/*
 * put_page_testzero() with the checks Linux makes under DEBUG_VM: a page
 * whose refcount is already zero (free, or a tail of a non-compound block)
 * or a reserved page losing its last reference is reported and left as is.
 * Returns 1 when the reference dropped was the last one, 0 when others
 * remain, -1 when the put was refused.
 */
static PHYS_ALWAYS_INLINE int put_page_testzero(struct phys_mem *pm, struct page *page)
{
	if (page->_refcount <= 0) {
		bad_page(pm, page, PageBuddy(page) ? "freeing a free page (double free)"
						   : "put_page on a page with zero refcount");
		return -1;
	}
	if (page->_refcount == 1 && PageReserved(page)) {
		bad_page(pm, page, "freeing a reserved page");
		return -1;
	}
	return --page->_refcount == 0;
}

/* A free of @order at @page, whose head records another order: refused. */
static PHYS_NOINLINE void bad_free_order(struct phys_mem *pm, struct page *page, unsigned order)
{
	char why[96];
	int was = page_alloc_order(page);

	if (was < 0)
		snprintf(why, sizeof(why), "free of order %u: not the head of an allocated block",
			 order);
	else
		snprintf(why, sizeof(why), "free of order %u: the block was allocated at order %d",
			 order, was);
	bad_page(pm, page, why);
}

void __free_pages(struct phys_mem *pm, struct page *page, unsigned order)
{
	unsigned long pfn;
	bool head;
	int last;

	if (!page)
		return;
	pfn = page_to_pfn(pm, page);
	if (pfn >= pm->max_pfn || order > pm->max_order ||
	    (pfn & ((1UL << order) - 1)) || pfn + (1UL << order) > pm->max_pfn) {
		bad_pfn(pm, pfn, "free of a page outside mem_map or of an impossible order");
		return;
	}
	/* a referenced page that is not the head of a block of this order
	 * would free pages it does not own (a neighbour's, a free block's,
	 * one on a per-CPU list) or leak its own; a free page or a reserved
	 * one is put_page_testzero()'s to report */
	if (__builtin_expect(page_alloc_order(page) != (int)order, 0) && page->_refcount > 0 &&
	    !PageReserved(page)) {
		bad_free_order(pm, page, order);
		return;
	}
	head = PageHead(page);
	last = put_page_testzero(pm, page);
	if (last == 1) {
		/* order 0 as a constant: the common case's own inlined copy */
		if (order == 0)
			free_frozen_pages(pm, page, pfn, 0);
		else
			free_frozen_pages(pm, page, pfn, order);
	} else if (last == 0 && !head) {
		/* ___free_pages(): someone else still holds the first page of
		 * a non-compound block; free the rest, halving down.  The head
		 * stays, a block of order 0 from now on. */
		if (order)
			set_page_alloc_order(page, 0);
		while (order-- > 0)
			free_frozen_pages(pm, page + (1UL << order), pfn + (1UL << order), order);
	}
}

bool free_pages_allowed(const struct phys_mem *pm, unsigned long pfn, unsigned order)
{
	const struct page *page;

	if (!pfn_valid(pm, pfn) || order > pm->max_order || (pfn & ((1UL << order) - 1)))
		return false;
	page = &pm->mem_map[pfn];
	return page_alloc_order(page) == (int)order && page->_refcount > 0 && !PageReserved(page);
}

void split_compound_page(struct page *head)
{
	const unsigned long nr = 1UL << compound_order(head);

	for (unsigned long i = 1; i < nr; i++) {
		clear_page_flag(&head[i], PG_tail);
		head[i].lru.next = NULL;
		head[i].lru.prev = NULL;
		set_page_alloc_order(&head[i], 0);
	}
	head[1].private = 0;
	clear_page_flag(head, PG_head);
	set_page_alloc_order(head, 0);
}

void get_page(struct page *page)
{
	page = compound_head(page);
	page->_refcount++;
}

/*
 * __page_cache_release(): a page whose last reference went leaves its LRU
 * list (and the flags that said which list) before it is freed; one
 * still PG_mlocked loses the flag here rather than in a bad-page report.
 * The kernel expects that after a race of truncation with munlock; here
 * it is a page whose VMA mremap(MREMAP_DONTUNMAP) unlocked without
 * munlocking it.  The locks its mlock_count still held go with it.
 */
static PHYS_NOINLINE void __page_cache_release(struct phys_mem *pm, struct page *page)
{
	unsigned long nr = 1UL << compound_order(page);

	if (PageLRU(page)) {
		lruvec_del_folio(folio_lruvec(pm, page), page);
		page->flags &= ~((1ULL << PG_lru) | (1ULL << PG_active) | (1ULL << PG_unevictable));
	}
	if (!PageMlocked(page))
		return;
	clear_page_flag(page, PG_mlocked);
	mod_zone_page_state(page_zone(pm, page), NR_MLOCK, -(long)nr);
	count_vm_events(pm, UNEVICTABLE_PGCLEARED, nr);
	/* (a huge page's locks are outside the exact small-page sum) */
	if (!PageCompound(page))
		pm->mlock_stale -= page->mlock_count;
}

void put_page(struct phys_mem *pm, struct page *page)
{
	page = compound_head(page);
	if (put_page_testzero(pm, page) == 1) {
		if (__builtin_expect(PageLRU(page) || PageMlocked(page), 0))
			__page_cache_release(pm, page);
		free_frozen_pages(pm, page, page_to_pfn(pm, page), compound_order(page));
	}
}

int free_reserved_page(struct phys_mem *pm, struct page *page)
{
	struct zone *zone;

	if (!PageReserved(page) || page->_refcount != 1)
		return -EINVAL;
	clear_page_flag(page, PG_reserved);
	page->_refcount = 0;
	zone = page_zone(pm, page);
	zone->managed_pages++;
	pm->totalram_pages++;
	pm->reserved_pages--;
	free_frozen_pages(pm, page, page_to_pfn(pm, page), 0);
	return 0;
}

uint64_t __get_free_pages(struct phys_mem *pm, gfp_t gfp, unsigned order)
{
	struct page *page = alloc_pages(pm, gfp & ~__GFP_HIGHMEM, order);

	return page ? page_address(pm, page) : 0;
}

uint64_t get_zeroed_page(struct phys_mem *pm, gfp_t gfp)
{
	return __get_free_pages(pm, gfp | __GFP_ZERO, 0);
}

void free_pages(struct phys_mem *pm, uint64_t addr, unsigned order)
{
	uint64_t off;

	if (addr == 0)
		return;
	off = addr - pm->cfg->page_offset;
	if (addr < pm->cfg->page_offset || (off >> PAGE_SHIFT) >= pm->max_low_pfn) {
		bad_pfn(pm, (unsigned long)(off >> PAGE_SHIFT), "free_pages() of an address outside the direct map");
		return;
	}
	__free_pages(pm, pfn_to_page(pm, (unsigned long)(off >> PAGE_SHIFT)), order);
}

unsigned long global_zone_page_state(const struct phys_mem *pm, enum zone_stat_item item)
{
	unsigned long sum = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			sum += zone_page_state(&pm->node_data[nid].node_zones[t], item);
	return sum;
}

unsigned long global_node_page_state(const struct phys_mem *pm, enum node_stat_item item)
{
	unsigned long sum = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		sum += node_page_state(&pm->node_data[nid], item);
	return sum;
}

unsigned long nr_free_pages(const struct phys_mem *pm)
{
	return global_zone_page_state(pm, NR_FREE_PAGES);
}
