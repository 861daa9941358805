/*
 * check_free_lists(): the invariant checker of the buddy allocator, run by
 * the tests after every mutation.  It trusts nothing it checks: lists are
 * walked with a step bound (a cycle is an error, not a hang), and every
 * free frame is marked in a bitmap so overlapping blocks are caught.
 *
 * What holds when it returns 0 (mmzone.h's invariants plus consistency):
 *  - each zone lies inside its node, spanned == present (no holes),
 *    managed <= present;
 *  - every block on free_area[k] is a well-linked list entry, 2^k aligned,
 *    inside its zone, its head PG_buddy with private == k, refcount 0 and
 *    unmapped, no page of it reserved, tail pages not PG_buddy, all pages
 *    linked to this zone and node, no frame in two blocks;
 *  - deferred ranges are max-order aligned, inside the zone, disjoint from
 *    the lists, and their first struct page is still untouched;
 *  - nr_free[k] == list length (+ deferred blocks at max_order), nothing
 *    above max_order, free_pages == sum nr_free[k] << k;
 *  - every initialized PG_buddy page in the zone heads a listed block, and
 *    every initialized page carries this zone's links;
 *  - PG_mlocked pages are in use (not free, referenced) with a non-zero
 *    mlock_count, mapped unless mremap left locks behind (mlock_stale),
 *    and the zone's NR_MLOCK counts them (which mappings hold the locks
 *    is checked a layer up, check_mms() in vma/check.c);
 *  - every page on a per-CPU list heads a block of its list's order,
 *    aligned, inside the zone, not PG_buddy, refcount 0, unmapped, in no
 *    other free block; pcp->count is the pages listed, batch >= 1, and
 *    free_pages + pcp pages <= managed;
 *  - totalram_pages == sum of managed pages.
 */
#include "phys/pcp.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"
#include "util/hostalloc.h"

#define BITS_PER_WORD (8 * sizeof(unsigned long))

static inline bool test_and_set(unsigned long *map, unsigned long bit)
{
	unsigned long m = 1UL << (bit % BITS_PER_WORD);
	bool old = map[bit / BITS_PER_WORD] & m;

	map[bit / BITS_PER_WORD] |= m;
	return old;
}

static inline bool test_bit(const unsigned long *map, unsigned long bit)
{
	return map[bit / BITS_PER_WORD] & (1UL << (bit % BITS_PER_WORD));
}

static bool page_links_ok(const struct page *p, const struct zone *z)
{
	return page_zonenum(p) == z->type && page_to_nid(p) == (unsigned)z->zone_pgdat->node_id;
}

/* The pages of the free block at @p (@pfn, order @k) of @z: unreferenced,
 * unmapped, not reserved, linked to @z, PG_buddy on the head only; with
 * @free, each frame marked there, once. */
static int check_free_pages(const struct zone *z, const struct page *p, unsigned long pfn,
			    unsigned k, unsigned long *free, struct vmsim_error *err)
{
	for (unsigned long i = 0; i < (1UL << k); i++) {
		const struct page *t = &p[i];

		if (free && test_and_set(free, pfn + i))
			return verr(err, -EFAULT, "pfn %#lx in two free blocks", pfn + i);
		if (i && PageBuddy(t))
			return verr(err, -EFAULT, "pfn %#lx: PG_buddy inside the order-%u block at %#lx",
				    pfn + i, k, pfn);
		if (i && t->lru.next)
			return verr(err, -EFAULT, "pfn %#lx inside the free order-%u block at %#lx is "
				    "linked on a list", pfn + i, k, pfn);
		if (t->_refcount != 0 || t->_mapcount != -1 || PageReserved(t))
			return verr(err, -EFAULT, "free pfn %#lx: refcount %d mapcount %d reserved %d",
				    pfn + i, t->_refcount, page_mapcount(t), PageReserved(t));
		if (!page_links_ok(t, z))
			return verr(err, -EFAULT, "free pfn %#lx: links to node %u zone %u, not %d %s",
				    pfn + i, page_to_nid(t), page_zonenum(t), z->zone_pgdat->node_id,
				    z->name);
	}
	return 0;
}

/* The free blocks on @z's lists: mark frames in @free and heads in @head. */
static int check_lists(struct phys_mem *pm, struct zone *z, unsigned long *free,
		       unsigned long *head, unsigned long *npages, struct vmsim_error *err)
{
	const char *zn = z->name;
	int nid = z->zone_pgdat->node_id, ret;

	for (unsigned k = 0; k < NR_ORDERS_LIMIT; k++) {
		struct free_area *area = &z->free_area[k];
		struct list_head *e = area->free_list.next, *prev = &area->free_list;
		unsigned long n = 0, bound = z->spanned_pages + 1;

		if (k > pm->max_order) {
			if (!list_empty(&area->free_list) || area->nr_free)
				return verr(err, -EFAULT, "node %d %s: order %u above max_order %u in use",
					    nid, zn, k, pm->max_order);
			continue;
		}
		for (; e != &area->free_list; prev = e, e = e->next) {
			struct page *p;
			unsigned long pfn;

			if (++n > bound)
				return verr(err, -EFAULT, "node %d %s order %u: list does not end",
					    nid, zn, k);
			if (!e || e->prev != prev)
				return verr(err, -EFAULT, "node %d %s order %u: broken link at entry %lu",
					    nid, zn, k, n);
			p = list_entry(e, struct page, lru);
			if (p < pm->mem_map || p >= pm->mem_map + pm->max_pfn ||
			    (uintptr_t)((char *)p - (char *)pm->mem_map) % sizeof(struct page))
				return verr(err, -EFAULT, "node %d %s order %u: entry %lu is not a struct page",
					    nid, zn, k, n);
			pfn = page_to_pfn(pm, p);
			if (pfn & ((1UL << k) - 1))
				return verr(err, -EFAULT, "pfn %#lx on order-%u list is not aligned", pfn, k);
			if (pfn < z->zone_start_pfn || pfn + (1UL << k) > zone_end_pfn(z))
				return verr(err, -EFAULT, "pfn %#lx order %u outside zone %s [%#lx, %#lx)",
					    pfn, k, zn, z->zone_start_pfn, zone_end_pfn(z));
			if (!PageBuddy(p) || buddy_order(p) != k)
				return verr(err, -EFAULT, "pfn %#lx on order-%u list: PG_buddy %d order %u",
					    pfn, k, PageBuddy(p), buddy_order(p));
			if (pfn_deferred(z, pfn))
				return verr(err, -EFAULT, "pfn %#lx both listed and deferred", pfn);
			test_and_set(head, pfn);
			if ((ret = check_free_pages(z, p, pfn, k, free, err)))
				return ret;
		}
		if (k == pm->max_order)
			n += z->nr_deferred_blocks;
		if (n != area->nr_free)
			return verr(err, -EFAULT, "node %d %s order %u: nr_free %lu, counted %lu",
				    nid, zn, k, area->nr_free, n);
		*npages += (n - (k == pm->max_order ? z->nr_deferred_blocks : 0)) << k;
	}
	return 0;
}

/* The blocks on @z's per-CPU lists: mark their frames in @free. */
static int check_pcp(struct phys_mem *pm, struct zone *z, unsigned long *free,
		     unsigned long *npcp, struct vmsim_error *err)
{
	const char *zn = z->name;

	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];
		unsigned long pages = 0;

		if (pcp->batch < 1 || pcp->count < 0)
			return verr(err, -EFAULT, "zone %s cpu %u: batch %d count %d", zn, c,
				    pcp->batch, pcp->count);
		for (unsigned pi = 0; pi < NR_PCP_LISTS; pi++) {
			const struct list_head *l = &pcp->lists[pi], *e = l->next, *prev = l;
			unsigned order = pindex_to_order(pm, pi);
			unsigned long n = 0, bound = z->spanned_pages + 1;

			for (; e != l; prev = e, e = e->next) {
				const struct page *p;
				unsigned long pfn;

				if (++n > bound || !e || e->prev != prev)
					return verr(err, -EFAULT, "zone %s cpu %u pcp list %u: broken at entry %lu",
						    zn, c, pi, n);
				if (order == PCP_NO_THP)
					return verr(err, -EFAULT, "zone %s cpu %u: THP list used without THP",
						    zn, c);
				p = list_entry(e, struct page, lru);
				if (p < pm->mem_map || p >= pm->mem_map + pm->max_pfn)
					return verr(err, -EFAULT, "zone %s cpu %u pcp list %u: entry %lu is not a struct page",
						    zn, c, pi, n);
				pfn = page_to_pfn(pm, p);
				if (pfn & ((1UL << order) - 1) || pfn < z->zone_start_pfn ||
				    pfn + (1UL << order) > zone_end_pfn(z))
					return verr(err, -EFAULT, "pcp pfn %#lx order %u misaligned or outside zone %s",
						    pfn, order, zn);
				if (pfn_deferred(z, pfn))
					return verr(err, -EFAULT, "pcp pfn %#lx is in a deferred block", pfn);
				for (unsigned long i = 0; i < (1UL << order); i++) {
					const struct page *t = &p[i];

					if (test_and_set(free, pfn + i))
						return verr(err, -EFAULT, "pcp pfn %#lx also in another free block",
							    pfn + i);
					if (PageBuddy(t) || t->_refcount || t->_mapcount != -1 ||
					    PageReserved(t) || !page_links_ok(t, z))
						return verr(err, -EFAULT, "pcp pfn %#lx: buddy %d refcount %d mapcount %d reserved %d",
							    pfn + i, PageBuddy(t), t->_refcount,
							    page_mapcount(t), PageReserved(t));
				}
				pages += 1UL << order;
			}
		}
		if (pages != (unsigned long)pcp->count)
			return verr(err, -EFAULT, "zone %s cpu %u: pcp count %d, pages listed %lu", zn, c,
				    pcp->count, pages);
		*npcp += pages;
	}
	return 0;
}

/*
 * Every struct page of mem_map[pfn, end) must still be all zero (never
 * initialized).  Only the host pages of mem_map that the host has backed
 * are read: one it never backed holds zeroes by construction, so a
 * machine of many TiB, nearly all deferred, costs what was touched.
 */
static int check_untouched(struct phys_mem *pm, unsigned long pfn, unsigned long end,
			   struct vmsim_error *err)
{
	enum { CHUNK = 4096 };	/* host pages asked about per mincore() */
	static const struct page zero;
	const size_t hp = host_page_size();
	const uintptr_t base = (uintptr_t)pm->mem_map;
	uintptr_t lo = (base + pfn * sizeof(struct page)) & ~(uintptr_t)(hp - 1);
	uintptr_t hi = base + end * sizeof(struct page);
	unsigned char vec[CHUNK];

	for (uintptr_t a = lo; a < hi; a += CHUNK * hp) {
		size_t len = hi - a < CHUNK * hp ? hi - a : CHUNK * hp;
		size_t npages = (len + hp - 1) / hp;
		bool all = host_lazy_backed((const void *)a, len, vec) != 0;

		for (size_t i = 0; i < npages; i++) {
			uintptr_t from, to;
			unsigned long p0, p1;
			uint64_t w;

			if (!all && i % 8 == 0 && i + 8 <= npages &&
			    (memcpy(&w, vec + i, 8), !(w & 0x0101010101010101ULL))) {
				i += 7;		/* eight pages the host never backed */
				continue;
			}
			if (!all && !(vec[i] & 1))
				continue;
			from = a + i * hp;
			to = from + hp;
			p0 = (unsigned long)((from - base) / sizeof(struct page));
			p1 = (unsigned long)((to - base + sizeof(struct page) - 1) / sizeof(struct page));
			for (unsigned long q = p0 < pfn ? pfn : p0; q < p1 && q < end; q++)
				if (memcmp(&pm->mem_map[q], &zero, sizeof(zero)))
					return verr(err, -EFAULT, "deferred pfn %#lx has a written struct page",
						    q);
		}
	}
	return 0;
}

/*
 * The deferred ranges: aligned, ordered, inside the zone, their struct
 * pages never written.  They stay out of the free bitmap: a machine of
 * many TiB is nearly all deferred, and a bit per frame of it would cost
 * the checker more host memory than the machine.  The lists and per-CPU
 * lists are kept out of them by pfn_deferred() on each of their blocks.
 */
static int check_deferred(struct phys_mem *pm, struct zone *z, unsigned long *npages,
			  struct vmsim_error *err)
{
	unsigned long nblocks = 0, prev_end = z->zone_start_pfn, sz = 1UL << pm->max_order;
	int ret;

	if (z->deferred_first > z->nr_deferred || z->nr_deferred > MAX_DEFERRED_RANGES)
		return verr(err, -EFAULT, "zone %s: deferred range indexes %u/%u", z->name,
			    z->deferred_first, z->nr_deferred);
	for (unsigned ri = z->deferred_first; ri < z->nr_deferred; ri++) {
		const struct deferred_range *r = &z->deferred[ri];

		if ((r->next_pfn | r->end_pfn) & (sz - 1) || r->next_pfn > r->end_pfn ||
		    r->next_pfn < prev_end || r->end_pfn > zone_end_pfn(z))
			return verr(err, -EFAULT, "zone %s: bad deferred range [%#lx, %#lx)", z->name,
				    r->next_pfn, r->end_pfn);
		prev_end = r->end_pfn;
		if ((ret = check_untouched(pm, r->next_pfn, r->end_pfn, err)))
			return ret;
		nblocks += (r->end_pfn - r->next_pfn) >> pm->max_order;
	}
	if (nblocks != z->nr_deferred_blocks)
		return verr(err, -EFAULT, "zone %s: %lu deferred blocks counted, %lu recorded",
			    z->name, nblocks, z->nr_deferred_blocks);
	*npages += nblocks * sz;
	return 0;
}

/* Every initialized page of @z: links right; PG_buddy only on list heads;
 * PG_mlocked only on pages in use, as many as NR_MLOCK says (a compound
 * block's head standing for all its pages). */
/* @pfn, or past the deferred ranges that start there (@*ri: the next
 * range, sorted by address) */
static unsigned long skip_deferred(const struct zone *z, unsigned *ri, unsigned long pfn)
{
	while (*ri < z->nr_deferred && pfn == z->deferred[*ri].next_pfn)
		pfn = z->deferred[(*ri)++].end_pfn;
	return pfn;
}

static int check_mem_map(struct phys_mem *pm, struct zone *z, const unsigned long *free,
			 const unsigned long *head, struct vmsim_error *err)
{
	unsigned ri = z->deferred_first;	/* check_deferred() found them sorted */
	unsigned long mlocked = 0;

	/* the deferred ranges were never written: check_deferred() looked at
	 * them */
	for (unsigned long pfn = skip_deferred(z, &ri, z->zone_start_pfn); pfn < zone_end_pfn(z);
	     pfn = skip_deferred(z, &ri, pfn + 1)) {
		const struct page *p = &pm->mem_map[pfn];

		if (!page_links_ok(p, z))
			return verr(err, -EFAULT, "pfn %#lx: links to node %u zone %u, not %d %s",
				    pfn, page_to_nid(p), page_zonenum(p), z->zone_pgdat->node_id, z->name);
		if (PageBuddy(p) && !test_bit(head, pfn))
			return verr(err, -EFAULT, "pfn %#lx is PG_buddy but on no free list", pfn);
		if (!test_bit(free, pfn) && PageReserved(p) && p->_refcount < 1)
			return verr(err, -EFAULT, "reserved pfn %#lx has refcount %d", pfn, p->_refcount);
		if (PageMlocked(p)) {
			/* mapped nowhere only with a lock mremap left behind (a
			 * huge page's locks are the process layer's to check) */
			if (test_bit(free, pfn) || p->_refcount < 1 || !p->mlock_count ||
			    (p->_mapcount < 0 && !PageCompound(p) && pm->mlock_stale <= 0))
				return verr(err, -EFAULT, "pfn %#lx is PG_mlocked but %s", pfn,
					    test_bit(free, pfn) ? "free" : p->_refcount < 1 ?
					    "unreferenced" : !p->mlock_count ? "has mlock_count 0" :
					    "mapped nowhere");
			/* a huge page's flag, on its head, counts all its pages */
			mlocked += 1UL << compound_order(p);
		}
	}
	if (mlocked != zone_page_state(z, NR_MLOCK))
		return verr(err, -EFAULT, "zone %s: NR_MLOCK %lu, %lu pages are PG_mlocked", z->name,
			    zone_page_state(z, NR_MLOCK), mlocked);
	return 0;
}

/* What a zone's own numbers must satisfy: inside its node, no holes,
 * free_pages the sum of its nr_free counts, nothing above max_order, and
 * room in managed for the free and per-CPU pages. */
static int check_zone_counters(struct phys_mem *pm, struct zone *z, unsigned long npcp,
			       struct vmsim_error *err)
{
	const struct pglist_data *pgdat = z->zone_pgdat;
	unsigned long sum = 0;

	if (z->spanned_pages && (z->zone_start_pfn < pgdat->node_start_pfn ||
				 zone_end_pfn(z) > pgdat->node_start_pfn + pgdat->node_spanned_pages))
		return verr(err, -EFAULT, "zone %s outside node %d", z->name, pgdat->node_id);
	if (z->present_pages != z->spanned_pages || z->managed_pages > z->present_pages)
		return verr(err, -EFAULT, "zone %s: spanned %lu present %lu managed %lu", z->name,
			    z->spanned_pages, z->present_pages, z->managed_pages);
	for (unsigned k = 0; k < NR_ORDERS_LIMIT; k++) {
		if (k > pm->max_order && z->free_area[k].nr_free)
			return verr(err, -EFAULT, "node %d %s: order %u above max_order %u in use",
				    pgdat->node_id, z->name, k, pm->max_order);
		sum += z->free_area[k].nr_free << k;
	}
	if (sum != z->free_pages)
		return verr(err, -EFAULT, "zone %s: free_pages %lu, sum of nr_free %lu", z->name,
			    z->free_pages, sum);
	if (z->nr_deferred_blocks > z->free_area[pm->max_order].nr_free)
		return verr(err, -EFAULT, "zone %s: %lu deferred blocks, nr_free[%u] %lu", z->name,
			    z->nr_deferred_blocks, pm->max_order, z->free_area[pm->max_order].nr_free);
	if (z->free_pages + npcp > z->managed_pages)
		return verr(err, -EFAULT, "zone %s: %lu free and %lu on pcp lists of %lu managed",
			    z->name, z->free_pages, npcp, z->managed_pages);
	return 0;
}

static int check_zone(struct phys_mem *pm, struct zone *z, unsigned long *free,
		      unsigned long *head, struct vmsim_error *err)
{
	unsigned long npages = 0, npcp = 0;
	int ret;

	ret = check_deferred(pm, z, &npages, err);
	if (!ret)
		ret = check_lists(pm, z, free, head, &npages, err);
	if (!ret)
		ret = check_pcp(pm, z, free, &npcp, err);
	if (!ret)
		ret = check_zone_counters(pm, z, npcp, err);
	if (ret)
		return ret;
	if (npages != z->free_pages)
		return verr(err, -EFAULT, "zone %s: free_pages %lu, pages listed %lu", z->name,
			    z->free_pages, npages);
	return check_mem_map(pm, z, free, head, err);
}

static int check_totalram(struct phys_mem *pm, struct vmsim_error *err)
{
	unsigned long managed = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			managed += pm->node_data[nid].node_zones[t].managed_pages;
	if (managed != pm->totalram_pages)
		return verr(err, -EFAULT, "totalram_pages %lu, zones manage %lu", pm->totalram_pages,
			    managed);
	return 0;
}

int check_free_lists(struct phys_mem *pm, struct vmsim_error *err)
{
	size_t words = pm->max_pfn / BITS_PER_WORD + 1;
	/* lazily zeroed: only the words of frames on a list cost host memory */
	unsigned long *free = host_map_lazy(2 * words * sizeof(unsigned long));
	int ret = 0;

	if (!free)
		return verr(err, -ENOMEM, "check_free_lists: no host memory for the bitmap");
	for (unsigned nid = 0; nid < pm->nr_nodes && !ret; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES && !ret; t++)
			ret = check_zone(pm, &pm->node_data[nid].node_zones[t], free, free + words, err);
	if (!ret)
		ret = check_totalram(pm, err);
	host_unmap_lazy(free, 2 * words * sizeof(unsigned long));
	return ret;
}

/* ---- the dirty set (--check) and the incremental pass ---------------- */

struct phys_track {
	unsigned long *map;		/* a bit per max-order block: marked */
	size_t map_bytes;
	unsigned long *blocks;		/* the marked blocks, in marking order */
	size_t n, cap;
	bool lost;			/* a mark was dropped (host memory) */
};

int phys_track_start(struct phys_mem *pm)
{
	struct phys_track *t;

	if (pm->track)
		return 0;
	t = host_zalloc(pm->ha, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->map_bytes = ((pm->max_pfn >> pm->max_order) / BITS_PER_WORD + 1) * sizeof(unsigned long);
	t->map = host_map_lazy(t->map_bytes);
	if (!t->map) {
		host_free(pm->ha, t, sizeof(*t));
		return -ENOMEM;
	}
	pm->track = t;
	return 0;
}

void phys_track_stop(struct phys_mem *pm)
{
	struct phys_track *t = pm->track;

	if (!t)
		return;
	host_unmap_lazy(t->map, t->map_bytes);
	host_free(pm->ha, t->blocks, t->cap * sizeof(t->blocks[0]));
	host_free(pm->ha, t, sizeof(*t));
	pm->track = NULL;
}

void __phys_track(struct phys_mem *pm, unsigned long pfn)
{
	struct phys_track *t = pm->track;
	unsigned long b = pfn >> pm->max_order;

	if (pfn >= pm->max_pfn || test_and_set(t->map, b))
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		unsigned long *nb = host_realloc(pm->ha, t->blocks, t->cap * sizeof(*nb),
						 cap * sizeof(*nb));

		if (!nb) {
			t->lost = true;
			return;
		}
		t->blocks = nb;
		t->cap = cap;
	}
	t->blocks[t->n++] = b;
}

size_t phys_tracked_blocks(const struct phys_mem *pm, const unsigned long **blocks, bool *lost)
{
	const struct phys_track *t = pm->track;

	*blocks = t ? t->blocks : NULL;
	*lost = t && t->lost;
	return t ? t->n : 0;
}

void phys_track_clear(struct phys_mem *pm)
{
	struct phys_track *t = pm->track;

	if (!t)
		return;
	if (t->lost) {
		memset(t->map, 0, t->map_bytes);	/* marks without a list entry */
		t->lost = false;
	} else {
		for (size_t i = 0; i < t->n; i++)
			t->map[t->blocks[i] / BITS_PER_WORD] &= ~(1UL << (t->blocks[i] % BITS_PER_WORD));
	}
	t->n = 0;
}

/* The zone whose span holds @pfn (by the spans: the page's own links are
 * what gets checked), or NULL. */
static struct zone *zone_of_pfn(struct phys_mem *pm, unsigned long pfn)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			struct zone *z = &pm->node_data[nid].node_zones[t];

			if (z->spanned_pages && zone_spans_pfn(z, pfn))
				return z;
		}
	return NULL;
}

struct page *lru_link_page(const struct phys_mem *pm, const struct list_head *e)
{
	/* integer arithmetic: @e may be NULL or anything a corruption left */
	const uintptr_t c = (uintptr_t)e - offsetof(struct page, lru);
	const uintptr_t lo = (uintptr_t)pm->mem_map, hi = (uintptr_t)(pm->mem_map + pm->max_pfn);

	if (!e || c < lo || c >= hi || (c - lo) % sizeof(struct page))
		return NULL;
	return (struct page *)c;
}

/*
 * The free block at @p (@pfn, order @k) is linked into free_area[k] of
 * @z as far as its neighbours tell: each is that list's head or another
 * free block of order k of @z, and each links back.  The neighbours are
 * classified before anything behind them is read.
 */
static int check_free_links(struct phys_mem *pm, struct zone *z, struct page *p,
			    unsigned long pfn, unsigned k, struct vmsim_error *err)
{
	const struct list_head *head = &z->free_area[k].free_list;
	struct list_head *nb[2] = { p->lru.next, p->lru.prev };

	for (int i = 0; i < 2; i++) {
		struct page *q = nb[i] == head ? NULL : lru_link_page(pm, nb[i]);

		if (nb[i] != head && !q)
			return verr(err, -EFAULT, "free pfn %#lx order %u: %s link points outside "
				    "mem_map and its list", pfn, k, i ? "prev" : "next");
		if (q && (!PageBuddy(q) || buddy_order(q) != k || !page_links_ok(q, z)))
			return verr(err, -EFAULT, "free pfn %#lx order %u: linked to pfn %#lx, not a "
				    "free block of its list", pfn, k, page_to_pfn(pm, q));
		if ((i ? nb[i]->next : nb[i]->prev) != &p->lru)
			return verr(err, -EFAULT, "free pfn %#lx order %u: its %s does not link back",
				    pfn, k, i ? "prev" : "next");
	}
	return 0;
}

/* One free block found while walking a marked block: the rules of
 * check_lists() that need no list walk. */
static int check_free_block(struct phys_mem *pm, struct zone *z, unsigned long pfn,
			    struct vmsim_error *err)
{
	struct page *p = &pm->mem_map[pfn];
	unsigned k = buddy_order(p);
	int ret;

	if (k > pm->max_order || (pfn & ((1UL << k) - 1)) || pfn + (1UL << k) > zone_end_pfn(z))
		return verr(err, -EFAULT, "pfn %#lx: PG_buddy of order %u misaligned or outside "
			    "zone %s", pfn, k, z->name);
	if ((ret = check_free_pages(z, p, pfn, k, NULL, err)))
		return ret;
	return check_free_links(pm, z, p, pfn, k, err);
}

/* @e is the head of one of @z's per-CPU lists. */
static bool pcp_list_head(const struct phys_mem *pm, const struct zone *z,
			  const struct list_head *e)
{
	for (unsigned c = 0; c < pm->nr_cpus; c++)
		for (unsigned i = 0; i < NR_PCP_LISTS; i++)
			if (e == &z->per_cpu_pageset[c].lists[i])
				return true;
	return false;
}

/*
 * A page on a per-CPU list (unreferenced, not PG_buddy, linked): its
 * neighbours are heads of @z's per-CPU lists or pages like it of @z, each
 * linking back.  The list's length against pcp->count is the full pass's.
 */
static int check_pcp_links(struct phys_mem *pm, struct zone *z, struct page *p,
			   unsigned long pfn, struct vmsim_error *err)
{
	struct list_head *nb[2] = { p->lru.next, p->lru.prev };

	for (int i = 0; i < 2; i++) {
		struct page *q = lru_link_page(pm, nb[i]);

		if (!q && !pcp_list_head(pm, z, nb[i]))
			return verr(err, -EFAULT, "pcp pfn %#lx: %s link points outside mem_map and "
				    "zone %s's per-CPU lists", pfn, i ? "prev" : "next", z->name);
		if (q && (PageBuddy(q) || q->_refcount || !page_links_ok(q, z)))
			return verr(err, -EFAULT, "pcp pfn %#lx: linked to pfn %#lx, not a per-CPU "
				    "page of zone %s", pfn, page_to_pfn(pm, q), z->name);
		if ((i ? nb[i]->next : nb[i]->prev) != &p->lru)
			return verr(err, -EFAULT, "pcp pfn %#lx: its %s does not link back", pfn,
				    i ? "prev" : "next");
	}
	return 0;
}

/* Every frame of max-order block @b: deferred ones untouched, free blocks
 * whole and linked, per-CPU list pages linked, every other page linked to
 * its zone. */
static int check_block(struct phys_mem *pm, unsigned long b, struct vmsim_error *err)
{
	unsigned long start = b << pm->max_order, end = start + (1UL << pm->max_order);
	struct zone *z = NULL;
	int ret;

	if (end > pm->max_pfn)
		end = pm->max_pfn;
	for (unsigned long pfn = start; pfn < end;) {
		struct page *p;

		if (!z || !zone_spans_pfn(z, pfn)) {
			z = zone_of_pfn(pm, pfn);
			if (!z) {
				pfn++;
				continue;
			}
			/* deferred ranges are whole max-order blocks */
			if (pfn_deferred(z, pfn))
				return check_untouched(pm, pfn, end, err);
		}
		p = &pm->mem_map[pfn];
		if (!page_links_ok(p, z))
			return verr(err, -EFAULT, "pfn %#lx: links to node %u zone %u, not %d %s", pfn,
				    page_to_nid(p), page_zonenum(p), z->zone_pgdat->node_id, z->name);
		if (PageBuddy(p)) {
			if ((ret = check_free_block(pm, z, pfn, err)))
				return ret;
			pfn += 1UL << buddy_order(p);
			continue;
		}
		if (PageReserved(p) && p->_refcount < 1)
			return verr(err, -EFAULT, "reserved pfn %#lx has refcount %d", pfn, p->_refcount);
		/* unreferenced and linked, not a compound tail (whose lru.next
		 * is its head): on a per-CPU list */
		if (!p->_refcount && !PageTail(p) && p->lru.next &&
		    (ret = check_pcp_links(pm, z, p, pfn, err)))
			return ret;
		pfn++;
	}
	return 0;
}

int check_free_lists_tracked(struct phys_mem *pm, struct vmsim_error *err)
{
	struct zone *zones[MAX_NUMNODES * MAX_NR_ZONES];
	unsigned nzones = 0;
	const unsigned long *blocks;
	bool lost;
	size_t n = phys_tracked_blocks(pm, &blocks, &lost);
	int ret = 0;

	if (lost)
		return check_free_lists(pm, err);
	for (size_t i = 0; i < n && !ret; i++) {
		unsigned long start = blocks[i] << pm->max_order;
		unsigned long end = start + (1UL << pm->max_order);

		ret = check_block(pm, blocks[i], err);
		/* the zones the block overlaps: their counters and pcp lists */
		for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
			for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
				struct zone *z = &pm->node_data[nid].node_zones[t];
				unsigned j;

				if (!z->spanned_pages || zone_end_pfn(z) <= start ||
				    z->zone_start_pfn >= end)
					continue;
				for (j = 0; j < nzones && zones[j] != z; j++)
					;
				if (j == nzones)
					zones[nzones++] = z;
			}
	}
	for (unsigned j = 0; j < nzones && !ret; j++) {
		unsigned long npcp = 0;

		/* the counts, not the lists: those can be long (pcp->high) */
		for (unsigned c = 0; c < pm->nr_cpus && !ret; c++) {
			const struct per_cpu_pages *pcp = &zones[j]->per_cpu_pageset[c];

			if (pcp->batch < 1 || pcp->count < 0)
				ret = verr(err, -EFAULT, "zone %s cpu %u: batch %d count %d",
					   zones[j]->name, c, pcp->batch, pcp->count);
			npcp += pcp->count > 0 ? (unsigned long)pcp->count : 0;
		}
		if (!ret)
			ret = check_zone_counters(pm, zones[j], npcp, err);
	}
	if (!ret)
		ret = check_totalram(pm, err);
	return ret;
}

unsigned long mlock_count_sum(const struct phys_mem *pm)
{
	unsigned long sum = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *z = &pm->node_data[nid].node_zones[t];
			unsigned ri = z->deferred_first;

			for (unsigned long pfn = skip_deferred(z, &ri, z->zone_start_pfn);
			     pfn < zone_end_pfn(z); pfn = skip_deferred(z, &ri, pfn + 1))
				if (PageMlocked(&pm->mem_map[pfn]) &&
				    !PageCompound(&pm->mem_map[pfn]))
					sum += pm->mem_map[pfn].mlock_count;
		}
	}
	return sum;
}
