/*
 * The slab allocator, SLUB style (mm/slub.c, mm/slab_common.c of Linux
 * 6.12), with objects and free lists in simulated RAM, and kmalloc.
 *
 * Invariants (check_slab_caches() verifies them; tests run it after every
 * mutation):
 *  - a slab is 2^order frames from alloc_pages(); its head page has
 *    PG_slab, ->mapping = its cache, ->private = inuse | objects << 16 and
 *    ->index = kernel address of the first free object (0: none);
 *  - the free objects of a slab form one chain through the free pointer
 *    stored at cache->offset inside each free object; the chain stays in
 *    the slab, on object boundaries, and has objects - inuse links;
 *  - a slab with inuse == objects is on node.full, every other one on
 *    node.partial (including up to min_partial empty ones, as SLUB keeps);
 *  - slab_state->alloc_map holds one byte per 8 bytes of lowmem: at the
 *    first byte of every object of every slab OBJ_FREE or OBJ_ALLOC,
 *    OBJ_NONE everywhere else.  That makes double frees, frees of interior
 *    or foreign pointers and free pointers aimed anywhere but at a free
 *    object detectable with one load, at the cost of 1/8 of lowmem in
 *    host address space (mapped lazily: only the map bytes of slab pages
 *    that were used cost host memory, 512 bytes per 4 KiB slab page).
 *
 * What is not modelled (docs/slab.md): per-CPU slabs and per-CPU partial
 * lists (every allocation takes the first partial slab, which is what the
 * CPU slab would be after a refill), one kmem_cache_node per NUMA node
 * (slabs come from node 0), cache merging (every kmem_cache_create makes a
 * cache of its own), constructors, red zones and user tracking, freelist
 * randomization and pointer hardening, the kmalloc-rcl-* and kmalloc-cg-*
 * variants.
 */
#include "phys/slab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* A large kmalloc's head page carries this in ->private, so kfree() can
 * tell its own compound pages from any other page (Linux 6.15 uses the
 * page type PGTY_large_kmalloc for the same purpose). */
#define LARGE_KMALLOC_TAG 0x4b4d4c47u

/* ---- small helpers -------------------------------------------------- */

static unsigned fls_u(unsigned long x)
{
	return x ? (unsigned)(64 - __builtin_clzl(x)) : 0;
}

/* get_order(): smallest order whose block holds @size bytes (capped
 * where the shift would overflow; callers bound sizes far below). */
static unsigned get_order(unsigned long size)
{
	unsigned order = 0;

	while (order < 63 - PAGE_SHIFT && (PAGE_SIZE << order) < size)
		order++;
	return order;
}

static unsigned order_objects(unsigned order, unsigned size)
{
	return (unsigned)((PAGE_SIZE << order) / size);
}

static bool is_power_of_2(unsigned long x)
{
	return x && !(x & (x - 1));
}

static unsigned align_up(unsigned x, unsigned a)
{
	return (x + a - 1) & ~(a - 1);
}

/*
 * Record a refused call or a corruption: one line in the kernel's words
 * ("BUG kmalloc-32: Object already free"), counted per cache and per
 * machine.  Returns -EINVAL for the caller to pass on.
 */
static int __attribute__((format(printf, 3, 4)))
slab_err(struct slab_state *ss, struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (s)
		n = snprintf(ss->err_msg, sizeof(ss->err_msg), "BUG %s: ", s->name);
	if (n < 0 || (size_t)n >= sizeof(ss->err_msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(ss->err_msg + n, sizeof(ss->err_msg) - (size_t)n, fmt, ap);
	va_end(ap);
	ss->nr_errors++;
	if (s)
		s->stat.errors++;
	return -EINVAL;
}

/* ---- addresses, free pointers, the alloc map ------------------------ */

/* Host pointer of kernel address @ka inside a slab: unsigned arithmetic
 * on the precomputed difference, no bounds check (the caller knows). */
static inline uint8_t *ka_host(const struct kmem_cache *s, uint64_t ka)
{
	return (uint8_t *)(uintptr_t)(ka + s->ka_to_host);
}

static inline uint64_t host_ka(const struct kmem_cache *s, const void *p)
{
	return (uint64_t)(uintptr_t)p - s->ka_to_host;
}

/* The free pointer of free object @obj: the next free object's kernel
 * address, pointer-sized and little-endian as the simulated CPU stores it. */
static inline uint64_t get_freepointer(const struct kmem_cache *s, const uint8_t *obj)
{
	if (likely(s->fp_size == 8)) {
		uint64_t v;

		memcpy(&v, obj + s->offset, 8);
		return v;
	} else {
		uint32_t v;

		memcpy(&v, obj + s->offset, 4);
		return v;
	}
}

static inline void set_freepointer(const struct kmem_cache *s, uint8_t *obj, uint64_t fp)
{
	if (likely(s->fp_size == 8)) {
		memcpy(obj + s->offset, &fp, 8);
	} else {
		uint32_t v = (uint32_t)fp;

		memcpy(obj + s->offset, &v, 4);
	}
}

/*
 * The object state of the 8-byte granule at lowmem offset @off: one byte
 * of the alloc map per granule (KASAN's shadow has the same shape).
 */
enum { OBJ_NONE = 0, OBJ_FREE = 1, OBJ_ALLOC = 2 };

static inline unsigned map_state(const uint8_t *map, uint64_t off)
{
	return map[off >> 3];
}

static inline void map_put(uint8_t *map, uint64_t off, unsigned state)
{
	map[off >> 3] = (uint8_t)state;
}

static inline uint64_t slab_base_ka(const struct phys_mem *pm, const struct page *slab)
{
	return pm->cfg->page_offset + page_to_phys(pm, slab);
}

static inline void set_counters(struct page *slab, unsigned inuse, unsigned objects)
{
	slab->private = (uint32_t)inuse | (uint32_t)objects << 16;
}

/*
 * Index of the object at byte offset @off in a slab of @objects objects,
 * or -1 when @off is not an object start.  off * reciprocal >> 32 is the
 * exact quotient here: off < 2^22 (a slab is at most 4 MiB), so the
 * rounding error of the reciprocal never reaches a whole unit.
 */
static inline long obj_index(const struct kmem_cache *s, uint64_t off, unsigned objects)
{
	uint64_t idx;

	if (off >= (uint64_t)objects * s->size)
		return -1;
	idx = (off * s->reciprocal_size) >> 32;
	return idx * s->size == off ? (long)idx : -1;
}

struct page *virt_to_slab(const struct phys_mem *pm, const void *p)
{
	uint64_t off = (uint64_t)((uintptr_t)p - (uintptr_t)pm->ram);
	struct page *page;

	if (off >= ((uint64_t)pm->max_low_pfn << PAGE_SHIFT))
		return NULL;
	page = compound_head(pm->mem_map + (off >> PAGE_SHIFT));
	return PageSlab(page) ? page : NULL;
}

struct kmem_cache *virt_to_cache(const struct phys_mem *pm, const void *p)
{
	struct page *slab = virt_to_slab(pm, p);

	return slab ? slab->mapping : NULL;
}

/* ---- sizes and orders (calculate_sizes(), calculate_order()) -------- */

/*
 * calc_slab_order(): the smallest order in [min_order, max_order] whose
 * leftover after packing objects is at most 1/fract_leftover of the slab;
 * max_order + 1 when none is.
 */
static unsigned calc_slab_order(unsigned size, unsigned min_order, unsigned max_order,
				unsigned fract_leftover)
{
	unsigned order;

	for (order = min_order; order <= max_order; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/*
 * calculate_order(): aim at min_objects = 4 * (fls(nr_cpus) + 1) objects
 * per slab without going above slub_max_order, accepting first 1/16, then
 * 1/8, 1/4 of waste; objects too big for that get get_order(size).
 * Returns -1 when even that is above the buddy allocator's max order.
 */
static int calculate_order(const struct phys_mem *pm, unsigned size)
{
	unsigned slub_max_order = SLUB_MAX_ORDER < pm->max_order ? SLUB_MAX_ORDER : pm->max_order;
	unsigned min_objects = pm->slab->min_objects;
	unsigned max_objects = order_objects(slub_max_order, size);
	unsigned min_order, order;

	if (max_objects < 1)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = get_order((unsigned long)min_objects * size);
	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return (int)get_order((unsigned long)size * MAX_OBJS_PER_PAGE) - 1;
	for (unsigned fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, slub_max_order, fraction);
		if (order <= slub_max_order)
			return (int)order;
	}
	order = get_order(size);
	return order <= pm->max_order ? (int)order : -1;
}

/*
 * calculate_alignment() (slab_common.c): SLAB_HWCACHE_ALIGN asks for the
 * cache line, halved while the object fits twice in it; never below the
 * caller's align or ARCH_SLAB_MINALIGN; a multiple of the word.
 */
static unsigned calculate_alignment(slab_flags_t flags, unsigned align, unsigned size,
				    unsigned word)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned ralign = L1_CACHE_BYTES;

		while (size <= ralign / 2)
			ralign /= 2;
		if (align < ralign)
			align = ralign;
	}
	if (align < ARCH_SLAB_MINALIGN)
		align = ARCH_SLAB_MINALIGN;
	return align_up(align, word);
}

/*
 * calculate_sizes(): round the object to the word; keep the free pointer
 * in the middle of the object (away from the edges that small overflows
 * of a neighbour hit), or after it when the object's bytes must survive
 * the free (SLAB_POISON, SLAB_TYPESAFE_BY_RCU); pad to the alignment;
 * pick the order.  0, or -EINVAL when no order fits the buddy allocator.
 */
static int calculate_sizes(struct phys_mem *pm, struct kmem_cache *s)
{
	unsigned word = s->fp_size;
	unsigned size = align_up(s->object_size, word);
	int order;

	s->inuse = size;
	if (s->flags & (SLAB_POISON | SLAB_TYPESAFE_BY_RCU)) {
		s->offset = size;
		size += word;
	} else {
		s->offset = (s->object_size / 2) & ~(word - 1);
	}
	size = align_up(size, s->align);
	s->size = size;
	s->reciprocal_size = (uint32_t)((((uint64_t)1 << 32) + size - 1) / size);
	order = calculate_order(pm, size);
	if (order < 0 || order_objects((unsigned)order, size) == 0)
		return -EINVAL;
	s->order = (unsigned)order;
	s->objects = order_objects(s->order, size);
	if (s->objects > MAX_OBJS_PER_PAGE)
		s->objects = MAX_OBJS_PER_PAGE;
	s->min_order = get_order(size);
	s->min_objects = order_objects(s->min_order, size);
	s->slab_shift = PAGE_SHIFT + s->order;
	s->min_slab_shift = PAGE_SHIFT + s->min_order;
	s->allocflags = __GFP_COMP;
	if (s->flags & SLAB_CACHE_DMA)
		s->allocflags |= GFP_DMA;
	if (s->flags & SLAB_CACHE_DMA32)
		s->allocflags |= GFP_DMA32;
	return 0;
}

/* set_min_partial(): ilog2(size) / 2 empty-or-partial slabs kept, 5..10. */
static unsigned long min_partial_for(unsigned size)
{
	unsigned long m = (fls_u(size) - 1) / 2;

	if (m < MIN_PARTIAL)
		m = MIN_PARTIAL;
	if (m > MAX_PARTIAL)
		m = MAX_PARTIAL;
	return m;
}

/* ---- slabs ---------------------------------------------------------- */

static unsigned twin_layout(const struct phys_mem *pm, const struct kmem_cache *s, uint8_t *p,
			    uint64_t name_ka);
static void boot_twins(struct phys_mem *pm);

/* Flags a slab allocation may carry to the page allocator: no highmem
 * (slab memory must be direct-mapped), no movable, no zeroing of the
 * whole slab (objects are zeroed one by one). */
static gfp_t slab_gfp(const struct kmem_cache *s, gfp_t gfp)
{
	gfp &= ~(__GFP_HIGHMEM | __GFP_MOVABLE | __GFP_ZERO | __GFP_DMA | __GFP_DMA32);
	return gfp | s->allocflags;
}

static void poison_object(const struct kmem_cache *s, uint8_t *obj)
{
	memset(obj, POISON_FREE, s->object_size - 1);
	obj[s->object_size - 1] = POISON_END;
}

/*
 * allocate_slab() + shuffle-free freelist setup: frames of the preferred
 * order, or the minimum order when those are not available; every object
 * free, chained in address order, the last one's free pointer 0.
 */
/* account_slab() / unaccount_slab(): a slab's pages in its node's
 * NR_SLAB_RECLAIMABLE_B or NR_SLAB_UNRECLAIMABLE_B (the cache's
 * cache_vmstat_idx()), kept in pages as the node counters are. */
static void account_slab(struct phys_mem *pm, const struct kmem_cache *s, const struct page *slab,
			 unsigned order, long sign)
{
	mod_node_page_state(page_pgdat(pm, slab),
			    s->flags & SLAB_RECLAIM_ACCOUNT ? NR_SLAB_RECLAIMABLE_B
							    : NR_SLAB_UNRECLAIMABLE_B,
			    sign * (1L << order));
}

static struct page *new_slab(struct kmem_cache *s, gfp_t gfp)
{
	struct phys_mem *pm = s->pm;
	struct slab_state *ss = pm->slab;
	unsigned order = s->order, objects = s->objects;
	struct page *slab = NULL;
	uint8_t *p;
	uint64_t ka;

	gfp = slab_gfp(s, gfp);
	if (order > s->min_order)
		slab = alloc_pages(pm, (gfp | __GFP_NOWARN | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM, order);
	if (!slab) {
		if (order > s->min_order)
			s->stat.order_fallback++;
		order = s->min_order;
		objects = s->min_objects;
		slab = alloc_pages(pm, gfp, order);
		if (!slab)
			return NULL;
	}
	set_page_flag(slab, PG_slab);
	slab->mapping = s;
	set_counters(slab, 0, objects);
	ka = slab_base_ka(pm, slab);
	slab->index = ka;
	p = ka_host(s, ka);
	memset(ss->alloc_map + ((ka - s->page_offset) >> 3), 0, (PAGE_SIZE << order) >> 3);
	for (unsigned i = 0; i < objects; i++, p += s->size) {
		if (s->flags & SLAB_POISON)
			poison_object(s, p);
		set_freepointer(s, p, i + 1 < objects ? ka + (uint64_t)(i + 1) * s->size : 0);
		map_put(ss->alloc_map, ka - s->page_offset + (uint64_t)i * s->size, OBJ_FREE);
	}
	s->node.nr_slabs++;
	s->node.total_objects += objects;
	s->stat.alloc_slab++;
	ss->nr_slab_pages += 1UL << order;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		ss->nr_slab_reclaimable += 1UL << order;
	account_slab(pm, s, slab, order, 1);
	return slab;
}

/* discard_slab(): off the lists already; the frames go back to the buddy
 * allocator with the slab marks cleared (free_pages_prepare() refuses
 * pages that still look like slab pages). */
static void discard_slab(struct kmem_cache *s, struct page *slab)
{
	struct slab_state *ss = s->pm->slab;
	unsigned order = slab_order(slab);

	s->node.nr_slabs--;
	s->node.total_objects -= slab_objects(slab);
	s->stat.free_slab++;
	ss->nr_slab_pages -= 1UL << order;
	if (s->flags & SLAB_RECLAIM_ACCOUNT)
		ss->nr_slab_reclaimable -= 1UL << order;
	account_slab(s->pm, s, slab, order, -1);
	memset(ss->alloc_map + (page_to_phys(s->pm, slab) >> 3), 0, (PAGE_SIZE << order) >> 3);
	clear_page_flag(slab, PG_slab);
	slab->mapping = NULL;
	slab->private = 0;
	slab->index = 0;
	__free_pages(s->pm, slab, order);
}

/*
 * A corrupted free pointer (written through a stale pointer to a free
 * object): SLUB's on_freelist() fix-up.  The rest of the chain cannot be
 * trusted, so the slab keeps no free object; the objects that were still
 * free are leaked (marked allocated, so the checker and kfree agree).
 */
static void freelist_corrupt(struct kmem_cache *s, struct page *slab, uint64_t bad)
{
	struct slab_state *ss = s->pm->slab;
	uint64_t base = slab_base_ka(s->pm, slab), lowoff = base - s->pm->cfg->page_offset;
	unsigned objects = slab_objects(slab);

	slab_err(ss, s, "Freepointer corrupt: 0x%llx in slab at 0x%llx; freelist cleared",
		 (unsigned long long)bad, (unsigned long long)base);
	for (unsigned i = 0; i < objects; i++)
		map_put(ss->alloc_map, lowoff + (uint64_t)i * s->size, OBJ_ALLOC);
	slab->index = 0;
	set_counters(slab, objects, objects);
}

/* SLAB_POISON: a free object must still be all POISON_FREE ending in
 * POISON_END; anything else is a write after free.  Reported, then
 * handed out anyway (SLUB restores the poison and carries on). */
static void check_poison(struct kmem_cache *s, uint8_t *obj)
{
	for (unsigned i = 0; i < s->object_size; i++) {
		uint8_t want = i + 1 == s->object_size ? POISON_END : POISON_FREE;

		if (obj[i] != want) {
			slab_err(s->pm->slab, s, "Poison overwritten at 0x%llx (byte %u: 0x%02x)",
				 (unsigned long long)host_ka(s, obj), i, obj[i]);
			return;
		}
	}
}

/*
 * Is @next (read from the free object at lowmem offset @lowoff) a
 * believable free pointer for a slab whose counters after this
 * allocation are @counters?  The chain must end exactly when the slab
 * fills, and otherwise stay in the same slab, on the object grid, on an
 * object that is free and not the one being handed out: the checks SLUB's
 * CONFIG_SLAB_FREELIST_HARDENED makes possible, done before use.
 */
static inline bool freeptr_ok(const struct kmem_cache *s, uint64_t lowoff, uint64_t next,
			      uint32_t counters)
{
	unsigned inuse = counters & 0xffffu, objects = counters >> 16;
	unsigned shift = objects == s->objects ? s->slab_shift : s->min_slab_shift;
	uint64_t nlow;

	if (!next)
		return inuse == objects;
	nlow = next - s->page_offset;
	/* OBJ_FREE marks free object starts only (so: on the grid, not
	 * allocated); the one being handed out is still OBJ_FREE, hence the
	 * explicit test; the slab is an aligned block of 1 << shift bytes */
	return inuse != objects && nlow != lowoff && !((nlow ^ lowoff) >> shift) &&
	       (nlow & 7) == 0 && map_state(s->alloc_map, nlow) == OBJ_FREE;
}

/* Everything but the common case: a destroyed cache, no partial slab
 * (boot objects, a new slab), SLAB_POISON, __GFP_ZERO, a corrupted free
 * pointer.  Same result as the fast path would give. */
static __attribute__((noinline)) void *kmem_cache_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	struct kmem_cache_node *n = &s->node;
	struct slab_state *ss = s->ss;
	struct page *slab;
	uint8_t *obj;
	uint64_t next, lowoff;
	uint32_t counters;

	if (unlikely(s->dead)) {
		slab_err(ss, s, "kmem_cache_alloc on a destroyed cache");
		return NULL;
	}
retry:
	if (list_empty(&n->partial)) {
		if (ss->twins_pending) {
			boot_twins(s->pm);
			goto retry;
		}
		slab = new_slab(s, gfp);
		if (!slab) {
			s->stat.alloc_fail++;
			return NULL;
		}
		list_add(&slab->lru, &n->partial);
		n->nr_partial++;
	} else {
		slab = list_first_entry(&n->partial, struct page, lru);
	}
	lowoff = slab->index - s->page_offset;
	obj = s->ram + lowoff;
	next = get_freepointer(s, obj);
	counters = slab->private + 1;
	if (!freeptr_ok(s, lowoff, next, counters)) {
		freelist_corrupt(s, slab, next);
		list_move(&slab->lru, &n->full);
		n->nr_partial--;
		goto retry;
	}
	slab->index = next;
	slab->private = counters;
	if ((counters & 0xffffu) == counters >> 16) {
		list_move(&slab->lru, &n->full);
		n->nr_partial--;
	}
	map_put(ss->alloc_map, lowoff, OBJ_ALLOC);
	phys_track(s->pm, (unsigned long)(lowoff >> PAGE_SHIFT));
	s->stat.alloc++;
	if (s->flags & SLAB_POISON)
		check_poison(s, obj);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	return obj;
}

/* slab_alloc(): the allocation fast path for a cache known to exist. */
static __attribute__((always_inline)) inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct kmem_cache_node *n = &s->node;
	struct page *slab;
	uint8_t *obj;
	uint64_t next, lowoff, nlow;
	uint32_t counters;

	/* the first partial slab plays SLUB's CPU slab: pop its free list */
	if (unlikely(list_empty(&n->partial) || s->slow || (gfp & __GFP_ZERO)))
		return kmem_cache_alloc_slow(s, gfp);
	slab = list_first_entry(&n->partial, struct page, lru);
	lowoff = slab->index - s->page_offset;
	obj = s->ram + lowoff;
	next = get_freepointer(s, obj);
	counters = slab->private + 1;
	/*
	 * freeptr_ok() for the common case, a slab of the preferred order:
	 * a next pointer that is 8-aligned, in this slab, not @obj and
	 * OBJ_FREE in the map is another free object of this slab (a slab
	 * this allocation fills has none: its chain must end here).
	 */
	nlow = next - s->page_offset;
	if (unlikely(!next)) {
		/* the last free object: the slab goes to the full list */
		if (unlikely((counters & 0xffffu) != counters >> 16))
			return kmem_cache_alloc_slow(s, gfp);
		list_move(&slab->lru, &n->full);
		n->nr_partial--;
	} else if (unlikely((counters >> 16) != s->objects || nlow == lowoff ||
			    (((nlow ^ lowoff) >> s->slab_shift) | (nlow & 7)) ||
			    map_state(s->alloc_map, nlow) != OBJ_FREE)) {
		return kmem_cache_alloc_slow(s, gfp);
	}
	map_put(s->alloc_map, lowoff, OBJ_ALLOC);
	slab->index = next;
	slab->private = counters;
	s->stat.alloc++;
	phys_track(s->pm, (unsigned long)(lowoff >> PAGE_SHIFT));
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	if (unlikely(!s))
		return NULL;
	return slab_alloc(s, gfp);
}

/*
 * The boot caches' kmem_cache objects are allocated when the first slab
 * is needed, not during kmem_cache_init(): a machine that never uses slab
 * memory keeps the page allocator's boot state page for page (examples
 * and tests count free pages after boot).  Oldest cache first, so the
 * objects sit in creation order as they would after Linux's boot.  A
 * cache whose object cannot be had stays pending for the next try.
 */
static void boot_twins(struct phys_mem *pm)
{
	struct slab_state *ss = pm->slab;
	struct kmem_cache *s;

	ss->twins_pending = false;
	for (s = list_last_entry(&ss->slab_caches, struct kmem_cache, list);
	     &s->list != &ss->slab_caches; s = list_entry(s->list.prev, struct kmem_cache, list)) {
		if (s->obj)
			continue;
		s->obj = kmem_cache_alloc(ss->kmem_cache, GFP_KERNEL | __GFP_ZERO);
		if (!s->obj) {
			ss->twins_pending = true;
			return;
		}
		twin_layout(pm, s, s->obj, 0);
	}
}

/* A free the fast path would not take: say what is wrong with it. */
static __attribute__((noinline)) int slab_free_refused(struct kmem_cache *s, struct page *slab,
						       uint64_t lowoff)
{
	uint64_t ka = s->page_offset + lowoff;

	(void)slab;
	if ((lowoff & 7) || map_state(s->alloc_map, lowoff) != OBJ_FREE)
		return slab_err(s->ss, s, "Invalid object pointer 0x%llx", (unsigned long long)ka);
	return slab_err(s->ss, s, "Object already free: 0x%llx (double free)",
			(unsigned long long)ka);
}

/*
 * The list moves of a free (__slab_free()): a full slab becomes partial
 * (at the tail, as SLUB adds it); an empty one goes back to the page
 * allocator once min_partial slabs are already on the partial list.
 * @counters are the slab's counters after the free.
 */
static __attribute__((noinline)) int slab_free_lists(struct kmem_cache *s, struct page *slab,
						     uint32_t counters)
{
	struct kmem_cache_node *n = &s->node;
	unsigned inuse = counters & 0xffffu, objects = counters >> 16;
	bool was_full = inuse + 1 == objects;

	if (inuse == 0 && n->nr_partial >= s->min_partial) {
		list_del(&slab->lru);
		if (!was_full)
			n->nr_partial--;
		discard_slab(s, slab);
		return 0;
	}
	if (was_full) {
		list_move_tail(&slab->lru, &n->partial);
		n->nr_partial++;
	}
	return 0;
}

/*
 * Free @obj at lowmem offset @lowoff in @slab of @s.  The alloc map
 * decides whether @obj is an allocated object start: objects start on
 * 8-byte boundaries and a granule's bit is set for nothing else, so
 * interior pointers and double frees both fail the one test
 * (slab_free_refused() tells them apart).  Pushes the object on the
 * slab's chain (LIFO, as SLUB does).
 */
static __attribute__((always_inline)) inline int
__slab_free(struct kmem_cache *s, struct page *slab, uint8_t *obj, uint64_t lowoff, uint8_t *map,
	    bool poison)
{
	uint32_t counters;

	if (unlikely((lowoff & 7) || map_state(map, lowoff) != OBJ_ALLOC))
		return slab_free_refused(s, slab, lowoff);
	map_put(map, lowoff, OBJ_FREE);
	phys_track(s->pm, (unsigned long)(lowoff >> PAGE_SHIFT));
	if (poison)
		poison_object(s, obj);
	set_freepointer(s, obj, slab->index);
	slab->index = s->page_offset + lowoff;
	counters = slab->private - 1;
	slab->private = counters;
	s->stat.free++;
	/* a full slab becomes partial, at the tail as SLUB adds it; an
	 * empty one may go back to the page allocator (out of line) */
	if (unlikely((counters & 0xffffu) == 0)) {
		if (s->node.nr_partial >= s->min_partial ||
		    (counters & 0xffffu) + 1 == counters >> 16)
			return slab_free_lists(s, slab, counters);
	} else if (unlikely((counters & 0xffffu) + 1 == counters >> 16)) {
		list_move_tail(&slab->lru, &s->node.partial);
		s->node.nr_partial++;
	}
	return 0;
}

/* SLAB_POISON caches free out of line: the fast path stays call-free. */
static __attribute__((noinline)) int slab_free_poisoned(struct kmem_cache *s, struct page *slab,
							uint8_t *obj, uint64_t lowoff, uint8_t *map)
{
	return __slab_free(s, slab, obj, lowoff, map, true);
}

static inline int slab_free(struct kmem_cache *s, struct page *slab, uint8_t *obj,
			    uint64_t lowoff, uint8_t *map)
{
	if (unlikely(s->flags & SLAB_POISON))
		return slab_free_poisoned(s, slab, obj, lowoff, map);
	return __slab_free(s, slab, obj, lowoff, map, false);
}

/* The head page of the slab holding lowmem offset @lowoff, or NULL. */
static inline struct page *lowoff_to_slab(const struct phys_mem *pm, uint64_t lowoff)
{
	struct page *page;

	if (unlikely(lowoff >= ((uint64_t)pm->max_low_pfn << PAGE_SHIFT)))
		return NULL;
	page = pm->mem_map + (lowoff >> PAGE_SHIFT);
	if (unlikely(PageTail(page)))
		page = compound_head(page);
	return PageSlab(page) ? page : NULL;
}

int kmem_cache_free(struct kmem_cache *s, void *x)
{
	uint64_t lowoff;
	struct page *slab;

	if (unlikely(!x))
		return 0;
	if (unlikely(!s))
		return -EINVAL;
	if (unlikely(s->dead))
		return slab_err(s->ss, s, "kmem_cache_free on a destroyed cache");
	lowoff = (uint64_t)((uintptr_t)x - (uintptr_t)s->ram);
	slab = lowoff_to_slab(s->pm, lowoff);
	if (unlikely(!slab))
		return slab_err(s->ss, s, "kmem_cache_free: object 0x%llx is not slab memory",
				(unsigned long long)(s->page_offset + lowoff));
	if (unlikely(slab->mapping != s))
		return slab_err(s->ss, s, "Wrong slab cache: object 0x%llx is from %s",
				(unsigned long long)(s->page_offset + lowoff),
				((struct kmem_cache *)slab->mapping)->name);
	return slab_free(s, slab, x, lowoff, s->alloc_map);
}

/* ---- caches --------------------------------------------------------- */

/*
 * The kernel twin: each cache's struct kmem_cache as an object of the
 * "kmem_cache" cache in simulated RAM.  Its fields follow the leading
 * part of Linux 6.12's struct kmem_cache (mm/slab.h), each at its natural
 * alignment, W the pointer width (8 on x86_64, 4 on x86_32):
 *
 *   cpu_slab W (0) | flags 4 | min_partial W | size 4 | object_size 4 |
 *   reciprocal_size 4+4 | offset 4 | oo 4 (order << 16 | objects) |
 *   min 4 | allocflags 4 | refcount 4 | ctor W (0) | inuse 4 | align 4 |
 *   red_left_pad 4 (0) | name W (kernel address of the kstrdup'd name,
 *   0 for the boot caches whose names are in .rodata) | list 2W (0) |
 *   node[nr_nodes] W (0: kmem_cache_node is not modelled)
 *
 * Linux's struct has more fields after list (kobj, random, useroffset,
 * ...); x86_64 boots with 256-byte kmem_cache objects, vmsim's are 128.
 */
struct twin_cursor {
	uint8_t *p;
	unsigned off, w;
};

static void twin_put(struct twin_cursor *c, unsigned width, uint64_t v)
{
	c->off = align_up(c->off, width);
	if (c->p) {
		if (width == 8)
			memcpy(c->p + c->off, &v, 8);
		else {
			uint32_t x = (uint32_t)v;
			memcpy(c->p + c->off, &x, 4);
		}
	}
	c->off += width;
}

/* Writes the twin at @p (NULL: only measures); returns its size. */
static unsigned twin_layout(const struct phys_mem *pm, const struct kmem_cache *s, uint8_t *p,
			    uint64_t name_ka)
{
	struct twin_cursor c = { p, 0, config_is_64(pm->cfg) ? 8u : 4u };

	twin_put(&c, c.w, 0);
	twin_put(&c, 4, s ? s->flags : 0);
	twin_put(&c, c.w, s ? s->min_partial : 0);
	twin_put(&c, 4, s ? s->size : 0);
	twin_put(&c, 4, s ? s->object_size : 0);
	twin_put(&c, 4, s ? s->reciprocal_size : 0);
	twin_put(&c, 4, 0);
	twin_put(&c, 4, s ? s->offset : 0);
	twin_put(&c, 4, s ? (uint64_t)s->order << 16 | s->objects : 0);
	twin_put(&c, 4, s ? (uint64_t)s->min_order << 16 | s->min_objects : 0);
	twin_put(&c, 4, s ? s->allocflags : 0);
	twin_put(&c, 4, 1);
	twin_put(&c, c.w, 0);
	twin_put(&c, 4, s ? s->inuse : 0);
	twin_put(&c, 4, s ? s->align : 0);
	twin_put(&c, 4, 0);
	twin_put(&c, c.w, name_ka);
	twin_put(&c, c.w, 0);
	twin_put(&c, c.w, 0);
	for (unsigned i = 0; i < pm->nr_nodes; i++)
		twin_put(&c, c.w, 0);
	return c.off;
}

static bool valid_flags(slab_flags_t flags)
{
	const slab_flags_t ok = SLAB_POISON | SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA |
				SLAB_CACHE_DMA32 | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU |
				SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT | SLAB_HOST_STRUCTS;

	return !(flags & ~ok) && (flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32)) !=
					 (SLAB_CACHE_DMA | SLAB_CACHE_DMA32);
}

/* The host half of a cache, sized and ordered; not yet on any list and
 * without its twin.  NULL with ss->last_err set on failure. */
static struct kmem_cache *cache_new(struct phys_mem *pm, const char *name, unsigned size,
				    unsigned align, slab_flags_t flags)
{
	struct slab_state *ss = pm->slab;
	struct kmem_cache *s;

	s = host_zalloc(pm->ha, sizeof(*s));
	if (!s) {
		ss->last_err = -ENOMEM;
		return NULL;
	}
	s->name = host_strdup(pm->ha, name);
	if (!s->name) {
		host_free(pm->ha, s, sizeof(*s));
		ss->last_err = -ENOMEM;
		return NULL;
	}
	s->pm = pm;
	s->ss = ss;
	s->alloc_map = ss->alloc_map;
	s->ram = pm->ram;
	s->page_offset = pm->cfg->page_offset;
	s->ka_to_host = (uint64_t)(uintptr_t)pm->ram - pm->cfg->page_offset;
	s->fp_size = config_is_64(pm->cfg) ? 8 : 4;
	s->object_size = size;
	s->flags = flags;
	s->align = calculate_alignment(flags, align, size, s->fp_size);
	INIT_LIST_HEAD(&s->node.partial);
	INIT_LIST_HEAD(&s->node.full);
	INIT_LIST_HEAD(&s->list);
	s->slow = (flags & SLAB_POISON) != 0;
	if (calculate_sizes(pm, s)) {
		host_free(pm->ha, s->name, strlen(s->name) + 1);
		host_free(pm->ha, s, sizeof(*s));
		ss->last_err = -EINVAL;
		return NULL;
	}
	s->min_partial = min_partial_for(s->size);
	return s;
}

static void cache_free_host(struct phys_mem *pm, struct kmem_cache *s)
{
	host_free(pm->ha, s->name, strlen(s->name) + 1);
	host_free(pm->ha, s, sizeof(*s));
}

/* Give @s its twin (and the kstrdup'd name when @dup_name) and put it on
 * slab_caches.  -ENOMEM when simulated memory is exhausted. */
static int cache_register(struct phys_mem *pm, struct kmem_cache *s, bool dup_name)
{
	struct slab_state *ss = pm->slab;
	uint64_t name_ka = 0;

	if (dup_name) {
		size_t len = strlen(s->name) + 1;

		s->name_obj = kmalloc(pm, len, GFP_KERNEL);
		if (!s->name_obj)
			return -ENOMEM;
		memcpy(s->name_obj, s->name, len);
		name_ka = ptr_to_kaddr(pm, s->name_obj);
	}
	if (!dup_name) {
		/* a boot cache: its object comes with the first slab (boot_twins()) */
		ss->twins_pending = true;
		list_add(&s->list, &ss->slab_caches);
		return 0;
	}
	s->obj = kmem_cache_alloc(ss->kmem_cache, GFP_KERNEL | __GFP_ZERO);
	if (!s->obj) {
		kfree(pm, s->name_obj);
		s->name_obj = NULL;
		return -ENOMEM;
	}
	twin_layout(pm, s, s->obj, name_ka);
	list_add(&s->list, &ss->slab_caches);
	return 0;
}

struct kmem_cache *kmem_cache_find(struct phys_mem *pm, const char *name)
{
	struct kmem_cache *s;

	if (!pm->slab || !name)
		return NULL;
	list_for_each_entry(s, &pm->slab->slab_caches, list)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

struct kmem_cache *kmem_cache_find_dead(struct phys_mem *pm, const char *name)
{
	struct kmem_cache *s;

	if (!pm->slab || !name)
		return NULL;
	list_for_each_entry(s, &pm->slab->dead_caches, list)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

struct kmem_cache *kmem_cache_create(struct phys_mem *pm, const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags)
{
	struct slab_state *ss = pm->slab;
	struct kmem_cache *s, *dead;

	if (!ss)
		return NULL;
	if (!name || !*name || size == 0 || (uint64_t)size > KMALLOC_MAX_SIZE(pm) ||
	    (align && !is_power_of_2(align)) || align > PAGE_SIZE || !valid_flags(flags)) {
		ss->last_err = -EINVAL;
		return NULL;
	}
	if (kmem_cache_find(pm, name)) {
		ss->last_err = -EEXIST;
		return NULL;
	}
	s = cache_new(pm, name, size, align, flags);
	if (!s)
		return NULL;
	if (cache_register(pm, s, true)) {
		cache_free_host(pm, s);
		ss->last_err = -ENOMEM;
		return NULL;
	}
	/* a new cache of a destroyed name: the name is usable again */
	dead = kmem_cache_find_dead(pm, name);
	if (dead) {
		list_del(&dead->list);
		cache_free_host(pm, dead);
	}
	ss->last_err = 0;
	return s;
}

/* free_partial(): discard the empty slabs of @s; returns how many. */
static unsigned long discard_empty(struct kmem_cache *s)
{
	struct page *slab, *tmp;
	unsigned long n = 0;

	list_for_each_entry_safe(slab, tmp, &s->node.partial, lru) {
		if (slab_inuse(slab))
			continue;
		list_del(&slab->lru);
		s->node.nr_partial--;
		discard_slab(s, slab);
		n++;
	}
	return n;
}

unsigned long kmem_cache_shrink(struct kmem_cache *s)
{
	if (!s || s->dead)
		return 0;
	return discard_empty(s);
}

static bool is_boot_cache(const struct slab_state *ss, const struct kmem_cache *s)
{
	return s == ss->kmem_cache || (s->flags & SLAB_KMALLOC);
}

int kmem_cache_destroy(struct kmem_cache *s)
{
	struct phys_mem *pm;
	struct slab_state *ss;

	if (!s)
		return 0;
	pm = s->pm;
	ss = pm->slab;
	if (s->dead)
		return slab_err(ss, s, "kmem_cache_destroy of a destroyed cache");
	if (is_boot_cache(ss, s))
		return slab_err(ss, s, "kmem_cache_destroy of a boot cache");
	discard_empty(s);
	if (s->node.nr_slabs) {
		unsigned long live = 0;
		struct page *slab;

		list_for_each_entry(slab, &s->node.partial, lru)
			live += slab_inuse(slab);
		list_for_each_entry(slab, &s->node.full, lru)
			live += slab_inuse(slab);
		slab_err(ss, s, "Objects remaining in %s on __kmem_cache_shutdown() (%lu)",
			 s->name, live);
		return -EBUSY;
	}
	kmem_cache_free(ss->kmem_cache, s->obj);
	kfree(pm, s->name_obj);
	s->obj = s->name_obj = NULL;
	s->dead = true;
	s->slow = true;
	list_move(&s->list, &ss->dead_caches);
	return 0;
}

/* ---- kmalloc -------------------------------------------------------- */

/* size_index[] of mm/slab_common.c: the kmalloc cache index of sizes up
 * to 192 in steps of 8, which is where kmalloc-96 and kmalloc-192 (index
 * 1 and 2) take the sizes between the powers of two. */
static const uint8_t size_index[24] = {
	3, 4, 5, 5, 6, 6, 6, 6,	/* 8 16 24 32 40 48 56 64 */
	1, 1, 1, 1, 7, 7, 7, 7,	/* 72 80 88 96 104 112 120 128 */
	2, 2, 2, 2, 2, 2, 2, 2,	/* 136 ... 192 */
};

static inline unsigned kmalloc_index(size_t size)
{
	if (size <= 192)
		return size_index[(size - 1) / 8];
	return fls_u(size - 1);
}

static const char *const kmalloc_prefix[NR_KMALLOC_TYPES] = { "kmalloc-", "dma-kmalloc-" };

/* kmalloc_type(): __GFP_DMA is bit 0, so the flag is the type index */
_Static_assert(__GFP_DMA == 1 && KMALLOC_DMA == 1, "kmalloc type from __GFP_DMA");

/* kmalloc_info[].name: 8 .. 512 in bytes, 1k .. 8k in KiB. */
static void kmalloc_name(char *buf, size_t len, enum kmalloc_cache_type type, unsigned idx)
{
	unsigned size = idx == 1 ? 96 : idx == 2 ? 192 : 1u << idx;

	if (size >= 1024)
		snprintf(buf, len, "%s%uk", kmalloc_prefix[type], size / 1024);
	else
		snprintf(buf, len, "%s%u", kmalloc_prefix[type], size);
}

struct kmem_cache *kmalloc_slab(struct phys_mem *pm, size_t size, gfp_t gfp)
{
	if (!pm->slab || size == 0 || size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	return pm->slab->kmalloc_caches[gfp & __GFP_DMA][kmalloc_index(size)];
}

/* kmalloc_large(): a compound block of get_order(size), tagged so kfree()
 * recognizes it. */
static void *kmalloc_large(struct phys_mem *pm, size_t size, gfp_t gfp)
{
	unsigned order;
	struct page *page;

	/* before get_order(): its loop must not meet a size near 2^64 */
	if ((uint64_t)size > KMALLOC_MAX_SIZE(pm))
		return NULL;
	order = get_order(size);
	page = alloc_pages(pm, (gfp & ~(__GFP_HIGHMEM | __GFP_MOVABLE)) | __GFP_COMP, order);
	if (!page)
		return NULL;
	page->private = LARGE_KMALLOC_TAG;
	pm->slab->nr_large_kmalloc_pages += 1UL << order;
	/* ___kmalloc_large_node(): counted as unreclaimable slab */
	mod_node_page_state(page_pgdat(pm, page), NR_SLAB_UNRECLAIMABLE_B, 1L << order);
	return page_host(pm, page);
}

/* kmalloc() for what the fast test leaves: size 0, large sizes, no slab
 * state. */
static __attribute__((noinline)) void *kmalloc_other(struct phys_mem *pm, size_t size, gfp_t gfp)
{
	if (!pm->slab || size == 0)
		return NULL;
	return kmalloc_large(pm, size, gfp);
}

void *kmalloc(struct phys_mem *pm, size_t size, gfp_t gfp)
{
	struct slab_state *ss = pm->slab;

	/* one unsigned compare excludes both 0 and the large sizes */
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE && ss))
		return slab_alloc(ss->kmalloc_caches[gfp & __GFP_DMA][kmalloc_index(size)], gfp);
	return kmalloc_other(pm, size, gfp);
}

/* The head page of a live kmalloc_large() block starting at @p, or NULL. */
static struct page *large_kmalloc_page(const struct phys_mem *pm, const void *p)
{
	uint64_t off = (uint64_t)((uintptr_t)p - (uintptr_t)pm->ram);
	struct page *page;

	if (off >= ((uint64_t)pm->max_low_pfn << PAGE_SHIFT) || (off & (PAGE_SIZE - 1)))
		return NULL;
	page = pm->mem_map + (off >> PAGE_SHIFT);
	if (!PageHead(page) || PageSlab(page) || page->private != LARGE_KMALLOC_TAG ||
	    page_ref_count(page) != 1)
		return NULL;
	return page;
}

/* kfree() of anything but a slab object: NULL, a large kmalloc, or a
 * pointer kmalloc never returned. */
static __attribute__((noinline)) int kfree_other(struct phys_mem *pm, const void *obj)
{
	struct slab_state *ss = pm->slab;
	uint64_t off = (uint64_t)((uintptr_t)obj - (uintptr_t)pm->ram);
	struct page *page;
	unsigned order;

	if (!obj)
		return 0;
	if (!ss)
		return -EINVAL;
	page = large_kmalloc_page(pm, obj);
	if (!page) {
		if (off < ((uint64_t)pm->max_low_pfn << PAGE_SHIFT))
			return slab_err(ss, NULL, "kfree: 0x%llx is not a kmalloc'ed object",
					(unsigned long long)(pm->cfg->page_offset + off));
		return slab_err(ss, NULL, "kfree: host pointer %p is not in the direct map", obj);
	}
	order = compound_order(page);
	page->private = 0;
	ss->nr_large_kmalloc_pages -= 1UL << order;
	mod_node_page_state(page_pgdat(pm, page), NR_SLAB_UNRECLAIMABLE_B, -(1L << order));
	__free_pages(pm, page, order);
	return 0;
}

int kfree(struct phys_mem *pm, const void *obj)
{
	struct slab_state *ss = pm->slab;
	uint64_t lowoff = (uint64_t)((uintptr_t)obj - (uintptr_t)pm->ram);
	struct page *slab;

	/* NULL, no slab state and pointers outside lowmem all fail the
	 * bounds test (NULL is far below the RAM mapping) */
	if (unlikely(!ss || lowoff >= ((uint64_t)pm->max_low_pfn << PAGE_SHIFT)))
		return kfree_other(pm, obj);
	slab = pm->mem_map + (lowoff >> PAGE_SHIFT);
	if (unlikely(PageTail(slab)))
		slab = compound_head(slab);
	if (unlikely(!PageSlab(slab)))
		return kfree_other(pm, obj);
	return slab_free(slab->mapping, slab, (uint8_t *)(uintptr_t)obj, lowoff, ss->alloc_map);
}

size_t ksize(struct phys_mem *pm, const void *obj)
{
	struct page *slab, *page;

	if (!obj || !pm->slab)
		return 0;
	slab = virt_to_slab(pm, obj);
	if (slab) {
		struct kmem_cache *s = slab->mapping;
		uint64_t ka = ptr_to_kaddr(pm, obj);

		if (obj_index(s, ka - slab_base_ka(pm, slab), slab_objects(slab)) < 0 ||
		    map_state(pm->slab->alloc_map, ka - pm->cfg->page_offset) != OBJ_ALLOC)
			return 0;
		return s->object_size;
	}
	page = large_kmalloc_page(pm, obj);
	return page ? PAGE_SIZE << compound_order(page) : 0;
}

/* ---- boot and teardown ---------------------------------------------- */

/* create_kmalloc_caches(): 96 and 192 first, then the powers of two, for
 * each type, so slabinfo (newest first) lists them as Linux does. */
static int create_kmalloc_caches(struct phys_mem *pm)
{
	struct slab_state *ss = pm->slab;

	for (unsigned type = 0; type < NR_KMALLOC_TYPES; type++) {
		static const unsigned order[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };

		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			unsigned idx = order[k];
			unsigned size = idx == 1 ? 96 : idx == 2 ? 192 : 1u << idx;
			/* create_boot_cache(): natural alignment for powers of two */
			unsigned align = is_power_of_2(size) ? size : ARCH_KMALLOC_MINALIGN;
			slab_flags_t flags = SLAB_KMALLOC | (type == KMALLOC_DMA ? SLAB_CACHE_DMA : 0);
			struct kmem_cache *s;
			char name[32];

			kmalloc_name(name, sizeof(name), (enum kmalloc_cache_type)type, idx);
			s = cache_new(pm, name, size, align, flags);
			if (!s)
				return -ENOMEM;
			if (cache_register(pm, s, false)) {
				cache_free_host(pm, s);
				return -ENOMEM;
			}
			ss->kmalloc_caches[type][idx] = s;
		}
	}
	return 0;
}

int kmem_cache_init(struct phys_mem *pm)
{
	struct slab_state *ss;
	struct kmem_cache *kc;
	unsigned cpus;

	ss = host_zalloc(pm->ha, sizeof(*ss));
	if (!ss)
		return -ENOMEM;
	INIT_LIST_HEAD(&ss->slab_caches);
	INIT_LIST_HEAD(&ss->dead_caches);
	ss->alloc_map_bytes = (size_t)(((uint64_t)pm->max_low_pfn << PAGE_SHIFT) >> 3);
	ss->alloc_map = host_map_lazy(ss->alloc_map_bytes ? ss->alloc_map_bytes : 1);
	if (!ss->alloc_map) {
		host_free(pm->ha, ss, sizeof(*ss));
		return -ENOMEM;
	}
	/* calculate_order(): nr_cpu_ids, at least 1 */
	cpus = pm->cfg->cpu_count ? pm->cfg->cpu_count : 1;
	ss->min_objects = 4 * (fls_u(cpus) + 1);
	pm->slab = ss;
	/*
	 * Bootstrap (kmem_cache_init(): boot_kmem_cache): the cache of
	 * caches exists on the host first, then allocates its own twin from
	 * itself; every later cache's twin comes from it.
	 */
	kc = cache_new(pm, "kmem_cache", twin_layout(pm, NULL, NULL, 0), 0, SLAB_HWCACHE_ALIGN);
	if (!kc)
		goto fail;
	ss->kmem_cache = kc;
	if (cache_register(pm, kc, false)) {
		ss->kmem_cache = NULL;
		cache_free_host(pm, kc);
		goto fail;
	}
	if (create_kmalloc_caches(pm))
		goto fail;
	return 0;
fail:
	kmem_cache_finish(pm);
	return -ENOMEM;
}

/* Every slab back to the buddy allocator (so the page allocator's own
 * accounting stays right until phys_finish()), every host struct freed. */
static void cache_teardown(struct phys_mem *pm, struct kmem_cache *s)
{
	struct page *slab, *tmp;

	list_for_each_entry_safe(slab, tmp, &s->node.partial, lru) {
		list_del(&slab->lru);
		discard_slab(s, slab);
	}
	list_for_each_entry_safe(slab, tmp, &s->node.full, lru) {
		list_del(&slab->lru);
		discard_slab(s, slab);
	}
	s->node.nr_partial = 0;
}

void kmem_cache_finish(struct phys_mem *pm)
{
	struct slab_state *ss = pm ? pm->slab : NULL;
	struct kmem_cache *s, *tmp;

	if (!ss)
		return;
	/* the kmem_cache cache last: the others' twins live in its slabs */
	list_for_each_entry(s, &ss->slab_caches, list)
		if (s != ss->kmem_cache)
			cache_teardown(pm, s);
	if (ss->kmem_cache)
		cache_teardown(pm, ss->kmem_cache);
	list_for_each_entry_safe(s, tmp, &ss->slab_caches, list)
		cache_free_host(pm, s);
	list_for_each_entry_safe(s, tmp, &ss->dead_caches, list)
		cache_free_host(pm, s);
	host_unmap_lazy(ss->alloc_map, ss->alloc_map_bytes ? ss->alloc_map_bytes : 1);
	host_free(pm->ha, ss, sizeof(*ss));
	pm->slab = NULL;
}

/* ---- statistics ----------------------------------------------------- */

unsigned long slab_total_pages(const struct phys_mem *pm)
{
	return pm->slab ? pm->slab->nr_slab_pages : 0;
}

unsigned long slab_reclaimable_pages(const struct phys_mem *pm)
{
	return pm->slab ? pm->slab->nr_slab_reclaimable : 0;
}

/* get_slabinfo(): free objects counted over the partial list, as
 * count_partial(count_free) does; full slabs have none. */
void get_slabinfo(const struct kmem_cache *s, struct slabinfo *si)
{
	const struct page *slab;
	unsigned long nr_free = 0;

	list_for_each_entry(slab, &s->node.partial, lru)
		nr_free += slab_objects(slab) - slab_inuse(slab);
	si->num_objs = s->node.total_objects;
	si->active_objs = si->num_objs - nr_free;
	si->num_slabs = si->active_slabs = s->node.nr_slabs;
	si->objsize = s->size;
	si->objects_per_slab = s->objects;
	si->cache_order = s->order;
}

/* ---- checker -------------------------------------------------------- */

static int check_slab(struct phys_mem *pm, struct kmem_cache *s, struct page *slab,
		      bool on_full, unsigned long *objects_sum, struct vmsim_error *err)
{
	struct slab_state *ss = pm->slab;
	uint64_t base = slab_base_ka(pm, slab), lowbase = base - pm->cfg->page_offset;
	unsigned inuse = slab_inuse(slab), objects = slab_objects(slab);
	unsigned order = slab_order(slab), nfree = 0, nset = 0;
	unsigned long pfn = page_to_pfn(pm, slab);
	uint64_t fp;

	if (!PageSlab(slab) || slab->mapping != s)
		return verr(err, -EFAULT, "%s: slab pfn %lu: PG_slab %d, mapping %s", s->name, pfn,
			    PageSlab(slab), slab->mapping == s ? "ok" : "wrong");
	if (PageTail(slab) || pfn + (1UL << order) > pm->max_low_pfn || (pfn & ((1UL << order) - 1)))
		return verr(err, -EFAULT, "%s: slab pfn %lu order %u misplaced", s->name, pfn, order);
	if (page_ref_count(slab) != 1)
		return verr(err, -EFAULT, "%s: slab pfn %lu refcount %d", s->name, pfn,
			    page_ref_count(slab));
	if (!((order == s->order && objects == s->objects) ||
	      (order == s->min_order && objects == s->min_objects)))
		return verr(err, -EFAULT, "%s: slab pfn %lu order %u objects %u", s->name, pfn, order,
			    objects);
	if (inuse > objects)
		return verr(err, -EFAULT, "%s: slab pfn %lu inuse %u > objects %u", s->name, pfn,
			    inuse, objects);
	if (on_full != (inuse == objects))
		return verr(err, -EFAULT, "%s: slab pfn %lu inuse %u/%u on the %s list", s->name, pfn,
			    inuse, objects, on_full ? "full" : "partial");
	if ((slab->index == 0) != (inuse == objects))
		return verr(err, -EFAULT, "%s: slab pfn %lu freelist %s with inuse %u/%u", s->name,
			    pfn, slab->index ? "set" : "empty", inuse, objects);
	for (fp = slab->index; fp; fp = get_freepointer(s, ka_host(s, fp))) {
		if (obj_index(s, fp - base, objects) < 0)
			return verr(err, -EFAULT, "%s: slab pfn %lu: free pointer 0x%llx off the "
				    "object grid", s->name, pfn, (unsigned long long)fp);
		if (map_state(ss->alloc_map, fp - pm->cfg->page_offset) != OBJ_FREE)
			return verr(err, -EFAULT, "%s: slab pfn %lu: object 0x%llx on the freelist is "
				    "not marked free", s->name, pfn, (unsigned long long)fp);
		if (++nfree > objects - inuse)
			return verr(err, -EFAULT, "%s: slab pfn %lu: freelist longer than %u (cycle?)",
				    s->name, pfn, objects - inuse);
	}
	if (nfree != objects - inuse)
		return verr(err, -EFAULT, "%s: slab pfn %lu: %u free objects chained, %u expected",
			    s->name, pfn, nfree, objects - inuse);
	for (unsigned i = 0; i < objects; i++) {
		unsigned st = map_state(ss->alloc_map, lowbase + (uint64_t)i * s->size);

		if (st != OBJ_FREE && st != OBJ_ALLOC)
			return verr(err, -EFAULT, "%s: slab pfn %lu: object %u has no state", s->name,
				    pfn, i);
		nset += st == OBJ_ALLOC;
	}
	if (nset != inuse)
		return verr(err, -EFAULT, "%s: slab pfn %lu: %u objects marked allocated, inuse %u",
			    s->name, pfn, nset, inuse);
	for (unsigned long i = 1; i < (1UL << order); i++)
		if (PageSlab(slab + i) || compound_head(slab + i) != slab)
			return verr(err, -EFAULT, "%s: slab pfn %lu: tail %lu not part of it", s->name,
				    pfn, i);
	*objects_sum += objects;
	return 0;
}

int check_slab_caches(struct phys_mem *pm, struct vmsim_error *err)
{
	struct slab_state *ss = pm->slab;
	unsigned long pages = 0, reclaimable = 0;
	struct kmem_cache *s;
	int ret;

	if (!ss)
		return 0;
	list_for_each_entry(s, &ss->slab_caches, list) {
		unsigned long nr_partial = 0, nr_slabs = 0, objs = 0;
		struct page *slab;

		if (s->dead || s->pm != pm)
			return verr(err, -EFAULT, "%s: dead or foreign cache on slab_caches", s->name);
		if (s->obj ? virt_to_cache(pm, s->obj) != ss->kmem_cache : !ss->twins_pending)
			return verr(err, -EFAULT, "%s: its kmem_cache object is not in the kmem_cache "
				    "cache", s->name);
		list_for_each_entry(slab, &s->node.partial, lru) {
			if ((ret = check_slab(pm, s, slab, false, &objs, err)))
				return ret;
			nr_partial++;
			nr_slabs++;
			pages += 1UL << slab_order(slab);
			if (s->flags & SLAB_RECLAIM_ACCOUNT)
				reclaimable += 1UL << slab_order(slab);
		}
		list_for_each_entry(slab, &s->node.full, lru) {
			if ((ret = check_slab(pm, s, slab, true, &objs, err)))
				return ret;
			nr_slabs++;
			pages += 1UL << slab_order(slab);
			if (s->flags & SLAB_RECLAIM_ACCOUNT)
				reclaimable += 1UL << slab_order(slab);
		}
		if (nr_partial != s->node.nr_partial || nr_slabs != s->node.nr_slabs ||
		    objs != s->node.total_objects)
			return verr(err, -EFAULT, "%s: counters nr_partial %lu/%lu nr_slabs %lu/%lu "
				    "objects %lu/%lu (kept/found)", s->name, s->node.nr_partial,
				    nr_partial, s->node.nr_slabs, nr_slabs, s->node.total_objects, objs);
	}
	list_for_each_entry(s, &ss->dead_caches, list)
		if (!s->dead || s->node.nr_slabs || s->obj)
			return verr(err, -EFAULT, "%s: destroyed cache still holds slabs", s->name);
	if (pages != ss->nr_slab_pages || reclaimable != ss->nr_slab_reclaimable)
		return verr(err, -EFAULT, "slab pages %lu (reclaimable %lu) counted, %lu (%lu) found",
			    ss->nr_slab_pages, ss->nr_slab_reclaimable, pages, reclaimable);
	return 0;
}

/* @mapping as a live cache of @ss (a slab's ->mapping is only followed
 * once it is known to be one), or NULL. */
static struct kmem_cache *live_cache(struct slab_state *ss, const void *mapping)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &ss->slab_caches, list)
		if (s == mapping)
			return s;
	return NULL;
}

/* @slab's neighbours on its cache's lists: the head of the list its fill
 * level puts it on, or slabs of the same cache and fill level, each
 * linking back.  Classified before anything behind them is read. */
static int check_slab_links(struct phys_mem *pm, struct kmem_cache *s, struct page *slab,
			    struct vmsim_error *err)
{
	bool full = slab_inuse(slab) == slab_objects(slab);
	const struct list_head *head = full ? &s->node.full : &s->node.partial;
	struct list_head *nb[2] = { slab->lru.next, slab->lru.prev };
	unsigned long pfn = page_to_pfn(pm, slab);

	for (int i = 0; i < 2; i++) {
		const char *c = (const char *)nb[i] - offsetof(struct page, lru);
		const char *lo = (const char *)pm->mem_map, *hi = (const char *)(pm->mem_map + pm->max_pfn);
		const struct page *q = (const struct page *)c;

		if (nb[i] == head)
			continue;
		if (c < lo || c >= hi || (uintptr_t)(c - lo) % sizeof(struct page))
			return verr(err, -EFAULT, "%s: slab pfn %lu: %s link points outside mem_map and "
				    "its list", s->name, pfn, i ? "prev" : "next");
		if (!PageSlab(q) || q->mapping != s ||
		    (slab_inuse(q) == slab_objects(q)) != full)
			return verr(err, -EFAULT, "%s: slab pfn %lu on the %s list next to pfn %lu, "
				    "not a %s slab of it", s->name, pfn, full ? "full" : "partial",
				    page_to_pfn(pm, q), full ? "full" : "partial");
		if ((i ? nb[i]->next : nb[i]->prev) != &slab->lru)
			return verr(err, -EFAULT, "%s: slab pfn %lu: its %s does not link back", s->name,
				    pfn, i ? "prev" : "next");
	}
	return 0;
}

int check_slab_tracked(struct phys_mem *pm, struct vmsim_error *err)
{
	struct slab_state *ss = pm->slab;
	const unsigned long *blocks;
	bool lost;
	size_t n = phys_tracked_blocks(pm, &blocks, &lost);
	int ret;

	if (!ss)
		return 0;
	if (lost)
		return check_slab_caches(pm, err);
	for (size_t i = 0; i < n; i++) {
		unsigned long start = blocks[i] << pm->max_order;
		unsigned long end = start + (1UL << pm->max_order);

		/* slabs are lowmem; a block past it holds none */
		if (end > pm->max_low_pfn)
			end = pm->max_low_pfn;
		for (unsigned long pfn = start; pfn < end; pfn++) {
			struct page *slab = &pm->mem_map[pfn];
			unsigned long objs = 0;
			struct kmem_cache *s;

			if (!PageSlab(slab) || PageTail(slab))
				continue;
			s = live_cache(ss, slab->mapping);
			if (!s)
				return verr(err, -EFAULT, "slab pfn %lu: its cache is not a live cache", pfn);
			if ((ret = check_slab(pm, s, slab, slab_inuse(slab) == slab_objects(slab), &objs,
					      err)) ||
			    (ret = check_slab_links(pm, s, slab, err)))
				return ret;
			pfn += (1UL << slab_order(slab)) - 1;
		}
	}
	return 0;
}
