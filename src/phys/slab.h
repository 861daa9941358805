/*
 * The slab allocator (SLUB style, names from mm/slub.c, mm/slab_common.c
 * and include/linux/slab.h) and kmalloc.
 *
 * Slabs are frames from alloc_pages(); the objects and the free pointer
 * chaining the free objects live in those frames, in simulated RAM.  The
 * head struct page of a slab records:
 *
 *   flags    PG_slab (PG_head too when the slab is a compound block)
 *   mapping  the struct kmem_cache (host) the slab belongs to
 *   index    the first free object, as a kernel virtual address (0: none)
 *   private  bits 15..0 inuse | bits 30..16 objects (slab->inuse/objects)
 *   lru      link on the cache's partial or full list
 *
 * A free object holds at cache->offset the kernel virtual address of the
 * next free object (0 ends the list): 8 bytes on x86_64, 4 on x86_32.
 *
 * Addresses: the allocation calls return HOST pointers into the RAM byte
 * array, so C code can use an object directly while its bytes really live
 * in simulated RAM.  ptr_to_kaddr()/kaddr_to_ptr() convert to and from the
 * kernel virtual address of the direct map (PAGE_OFFSET + phys).
 *
 * Errors never corrupt: a double free, a free of a pointer that is not an
 * object start of that cache (or not slab memory at all), a call on a
 * destroyed cache, a corrupted free pointer are refused, counted in
 * slab_state->nr_errors and described in slab_state->err_msg; the calls
 * return -EINVAL.  Nothing aborts.
 *
 * All state is per machine: struct slab_state hangs off struct phys_mem
 * (pm->slab); kmem_cache_init() builds it (machine_boot() calls it).
 */
#ifndef VMSIM_PHYS_SLAB_H
#define VMSIM_PHYS_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phys/gfp.h"
#include "phys/mmzone.h"
#include "phys/page.h"
#include "util/list.h"

typedef unsigned int slab_flags_t;

/* include/linux/slab.h flag values (as before v6.9 turned them into bit
 * numbers); the ones vmsim models.  Others are refused with -EINVAL. */
#define SLAB_POISON		0x00000800U	/* poison free objects, check on alloc */
#define SLAB_KMALLOC		0x00001000U	/* a kmalloc-* cache (internal) */
#define SLAB_HWCACHE_ALIGN	0x00002000U	/* align objects to the cache line */
#define SLAB_CACHE_DMA		0x00004000U	/* slabs from ZONE_DMA */
#define SLAB_CACHE_DMA32	0x00008000U	/* slabs from ZONE_DMA32 */
#define SLAB_PANIC		0x00040000U	/* accepted; failures still return NULL */
#define SLAB_TYPESAFE_BY_RCU	0x00080000U	/* free pointer placed after the object */
#define SLAB_RECLAIM_ACCOUNT	0x00020000U	/* counted as SReclaimable */
#define SLAB_ACCOUNT		0x04000000U	/* accepted (no memcg here) */
/* vmsim's own (internal): the objects are the simulator's C structures
 * (task_struct, mm_struct, vm_area_struct, anon_vma, anon_vma_chain),
 * host pointers included, so no simulated store may change their frames (see
 * frame_holds_host_structs()) */
#define SLAB_HOST_STRUCTS	0x20000000U

/* SLUB's poison bytes (include/linux/poison.h) */
#define POISON_FREE	0x6b
#define POISON_END	0xa5

#define L1_CACHE_BYTES		64
#define ARCH_SLAB_MINALIGN	8	/* __alignof__(unsigned long long) */
#define ARCH_KMALLOC_MINALIGN	8
#define MAX_OBJS_PER_PAGE	32767	/* objects fit in 15 bits of private */
#define SLUB_MAX_ORDER		3	/* slub_max_order = PAGE_ALLOC_COSTLY_ORDER */
#define MIN_PARTIAL		5
#define MAX_PARTIAL		10

/* kmalloc size classes (include/linux/slab.h, 4 KiB pages) */
#define KMALLOC_SHIFT_LOW	3	/* kmalloc-8 */
#define KMALLOC_SHIFT_HIGH	13	/* kmalloc-8k: PAGE_SHIFT + 1 */
#define KMALLOC_MIN_SIZE	(1U << KMALLOC_SHIFT_LOW)
#define KMALLOC_MAX_CACHE_SIZE	(1U << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE(pm)	((uint64_t)PAGE_SIZE << (pm)->max_order)

enum kmalloc_cache_type {
	KMALLOC_NORMAL,		/* kmalloc-N */
	KMALLOC_DMA,		/* dma-kmalloc-N (GFP_DMA) */
	NR_KMALLOC_TYPES
};

/* One node's lists (struct kmem_cache_node); slabs come from node 0. */
struct kmem_cache_node {
	struct list_head partial;	/* slabs with free and used objects (and
					 * up to min_partial empty ones) */
	struct list_head full;		/* slabs with no free object */
	unsigned long nr_partial;
	unsigned long nr_slabs;		/* partial + full */
	unsigned long total_objects;	/* objects in all slabs */
};

/* Counters of /sys/kernel/slab/<cache>/ (CONFIG_SLUB_STATS names). */
struct kmem_cache_stats {
	unsigned long alloc;		/* objects handed out */
	unsigned long free;		/* objects returned */
	unsigned long alloc_slab;	/* new slabs allocated (ALLOC_SLAB) */
	unsigned long free_slab;	/* slabs given back to the buddy allocator */
	unsigned long alloc_fail;	/* allocations that returned NULL */
	unsigned long order_fallback;	/* slabs allocated at the minimum order */
	unsigned long errors;		/* refused frees and corruption reports */
};

/*
 * A cache.  The host struct holds the bookkeeping; its kernel twin, the
 * object this cache occupies in the "kmem_cache" cache (obj), holds the
 * same description in simulated RAM (see slab.c for its layout), so
 * slabinfo counts every cache as the kernel does.
 */
struct kmem_cache {
	/* read by every allocation and free: copies kept here so the fast
	 * paths follow no pointer chain */
	struct slab_state *ss;		/* pm->slab */
	uint8_t *alloc_map;		/* ss->alloc_map */
	uint8_t *ram;			/* pm->ram */
	uint64_t page_offset;		/* PAGE_OFFSET */
	unsigned int slab_shift;	/* PAGE_SHIFT + order: slabs are aligned
					 * blocks of 1 << slab_shift bytes */
	unsigned int min_slab_shift;	/* PAGE_SHIFT + min_order */
	struct phys_mem *pm;
	unsigned int size;		/* object stride: object + free pointer if
					 * outside, aligned */
	unsigned int object_size;	/* what the user asked for */
	unsigned int offset;		/* free pointer offset in an object */
	unsigned int align;
	unsigned int inuse;		/* object_size rounded to a word */
	unsigned int order;		/* oo: preferred slab order ... */
	unsigned int objects;		/* ... and objects per slab of that order */
	unsigned int min_order;		/* s->min: fallback order when the
					 * preferred order is not available */
	unsigned int min_objects;
	uint32_t reciprocal_size;	/* ceil(2^32 / size): object index by multiply */
	unsigned int fp_size;		/* bytes of a free pointer: 8 or 4 */
	slab_flags_t flags;
	gfp_t allocflags;		/* __GFP_COMP, GFP_DMA, ... */
	unsigned long min_partial;
	bool dead;			/* destroyed: every call on it is refused */
	bool slow;			/* dead or SLAB_POISON: no fast path */
	char *name;
	struct list_head list;		/* slab_state->slab_caches (or dead_caches) */
	struct kmem_cache_node node;
	struct kmem_cache_stats stat;
	void *obj;			/* the kernel twin in simulated RAM */
	void *name_obj;			/* kstrdup'd name in simulated RAM (NULL
					 * for the boot caches) */
	uint64_t ka_to_host;		/* host address - kernel address, mod 2^64 */
};

struct slab_state {
	struct list_head slab_caches;	/* live caches, newest first (as Linux) */
	struct list_head dead_caches;	/* destroyed ones, kept to refuse their use */
	struct kmem_cache *kmem_cache;	/* the cache of struct kmem_cache */
	/* [type][index]; 16 columns (indexes 1..13 used) for cheap indexing */
	struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][16];
	unsigned long nr_slab_pages;	/* pages in slabs: NR_SLAB_*_B / PAGE_SIZE */
	unsigned long nr_slab_reclaimable; /* of which SLAB_RECLAIM_ACCOUNT */
	unsigned long nr_large_kmalloc_pages; /* kmalloc_large() pages outstanding */
	unsigned long nr_errors;	/* refused calls, corruption reports */
	char err_msg[200];		/* the last one */
	int last_err;			/* errno of the last failed create */
	uint8_t *alloc_map;		/* a byte per 8 bytes of lowmem: no
					 * object starts here / a free one / an
					 * allocated one (see slab.c) */
	size_t alloc_map_bytes;
	unsigned min_objects;		/* calculate_order()'s from the CPU count */
	bool twins_pending;		/* boot caches still without their object */
};

/* ---- setup ---- */

/* Build pm->slab: the kmem_cache cache (bootstrapped, as Linux's
 * boot_kmem_cache), the kmalloc caches.  0 or -ENOMEM. */
int kmem_cache_init(struct phys_mem *pm);
/* Free every slab page and all host state.  Accepts a pm without slab. */
void kmem_cache_finish(struct phys_mem *pm);

/* ---- caches ---- */

/*
 * A new cache of @size-byte objects aligned to @align (0: ARCH_SLAB_MINALIGN;
 * must be a power of two) with SLAB_* @flags.  @name is copied.  NULL on
 * failure, with the reason in pm->slab->last_err: -EINVAL (bad size, align,
 * flags, empty name), -EEXIST (a live cache has that name), -ENOMEM.
 */
struct kmem_cache *kmem_cache_create(struct phys_mem *pm, const char *name, unsigned int size,
				     unsigned int align, slab_flags_t flags);
/*
 * Free the cache's empty slabs and the cache.  -EBUSY (kernel: "Objects
 * remaining in NAME on __kmem_cache_shutdown()") and the cache stays
 * usable when objects are still allocated; -EINVAL for a destroyed cache.
 */
int kmem_cache_destroy(struct kmem_cache *s);
/* Give the empty slabs back to the buddy allocator; returns how many. */
unsigned long kmem_cache_shrink(struct kmem_cache *s);
/* The live cache named @name, or NULL. */
struct kmem_cache *kmem_cache_find(struct phys_mem *pm, const char *name);
/* A destroyed cache named @name (for "use of a destroyed cache"), or NULL. */
struct kmem_cache *kmem_cache_find_dead(struct phys_mem *pm, const char *name);

/* ---- objects ---- */

/* An object (host pointer into simulated RAM), zeroed with __GFP_ZERO;
 * NULL when the page allocator cannot give a slab or the cache is dead. */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
/* 0, or -EINVAL (reported and counted) when @obj is not an allocated
 * object of @s or @s is destroyed.  NULL is a no-op. */
int kmem_cache_free(struct kmem_cache *s, void *obj);

/* kmalloc-N (dma-kmalloc-N with GFP_DMA) for @size <= 8 KiB, else
 * compound pages from the page allocator (kmalloc_large).  NULL for size
 * 0 (Linux's ZERO_SIZE_PTR is not modelled) or when memory runs out. */
void *kmalloc(struct phys_mem *pm, size_t size, gfp_t gfp);
static inline void *kzalloc(struct phys_mem *pm, size_t size, gfp_t gfp)
{
	return kmalloc(pm, size, gfp | __GFP_ZERO);
}
/* 0, or -EINVAL for a pointer kmalloc did not return (reported and
 * counted; slab objects of any cache are accepted as kfree() does).
 * NULL is a no-op. */
int kfree(struct phys_mem *pm, const void *obj);
/* Usable size of a kmalloc'ed object (its cache's object_size, or the
 * pages of a large allocation); 0 for a pointer kmalloc did not return. */
size_t ksize(struct phys_mem *pm, const void *obj);
/* The cache kmalloc(@size, @gfp) uses, or NULL (large or 0). */
struct kmem_cache *kmalloc_slab(struct phys_mem *pm, size_t size, gfp_t gfp);

/* ---- addresses ---- */

/* Kernel virtual (direct-map) address of a host pointer into RAM. */
static inline uint64_t ptr_to_kaddr(const struct phys_mem *pm, const void *p)
{
	return pm->cfg->page_offset + (uint64_t)((const uint8_t *)p - pm->ram);
}

/* Host pointer of a direct-map kernel address; NULL outside lowmem. */
static inline void *kaddr_to_ptr(const struct phys_mem *pm, uint64_t kaddr)
{
	uint64_t off = kaddr - pm->cfg->page_offset;

	if (kaddr < pm->cfg->page_offset || off >= ((uint64_t)pm->max_low_pfn << PAGE_SHIFT))
		return NULL;
	return pm->ram + off;
}

/* The head page of the slab holding @p, or NULL if @p is not slab memory. */
struct page *virt_to_slab(const struct phys_mem *pm, const void *p);
/*
 * Does frame @pfn belong to a slab of a SLAB_HOST_STRUCTS cache?  Those
 * bytes are the simulator's own structures: a store the simulated machine
 * makes (a task's write, kwrite, the page walk's A/D bits, an entry the
 * `pte` op edits) never lands there, whatever a corrupted page table or
 * entry says, because the host would follow what it wrote.
 */
static inline bool frame_holds_host_structs(const struct phys_mem *pm, unsigned long pfn)
{
	const struct page *page;

	if (pfn >= pm->max_low_pfn)
		return false;	/* slabs are lowmem */
	page = compound_head(pm->mem_map + pfn);
	return PageSlab(page) &&
	       (((const struct kmem_cache *)page->mapping)->flags & SLAB_HOST_STRUCTS);
}
/* The cache owning @p (any slab object pointer), or NULL. */
struct kmem_cache *virt_to_cache(const struct phys_mem *pm, const void *p);

static inline unsigned slab_inuse(const struct page *slab)
{
	return slab->private & 0xffffu;
}

static inline unsigned slab_objects(const struct page *slab)
{
	return (slab->private >> 16) & 0x7fffu;
}

static inline unsigned slab_order(const struct page *slab)
{
	return compound_order(slab);
}

/* ---- statistics and checks ---- */

/* Pages held by slabs of all caches (/proc/meminfo Slab, in pages). */
unsigned long slab_total_pages(const struct phys_mem *pm);
/* Of those, SLAB_RECLAIM_ACCOUNT caches' (SReclaimable); the rest is
 * SUnreclaim. */
unsigned long slab_reclaimable_pages(const struct phys_mem *pm);

/* slabinfo numbers of one cache (get_slabinfo()). */
struct slabinfo {
	unsigned long active_objs, num_objs, active_slabs, num_slabs;
	unsigned int objsize, objects_per_slab, cache_order;
};
void get_slabinfo(const struct kmem_cache *s, struct slabinfo *si);

/*
 * Consistency of every cache against struct page and simulated RAM: each
 * slab's free chain stays inside the slab on object boundaries, has no
 * cycle, and its length is objects - inuse; the alloc bitmap agrees;
 * partial/full membership matches inuse; node and global counters add up.
 * 0, or -EFAULT with the first violation in @err.  No slab state: 0.
 */
struct vmsim_error;
int check_slab_caches(struct phys_mem *pm, struct vmsim_error *err);
/* The same for the slabs in the blocks phys_track() marked (--check's
 * incremental pass): each whole, on the list its fill level says, of a
 * live cache.  The per-cache and global counters are check_slab_caches()'s. */
int check_slab_tracked(struct phys_mem *pm, struct vmsim_error *err);

#endif
