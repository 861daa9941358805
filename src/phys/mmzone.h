/*
 * Physical memory of a machine: the RAM byte array, mem_map, NUMA nodes
 * (pglist_data) and their zones with per-order free areas.
 *
 * Invariants (checked by check_free_lists() in tests):
 *  - a free block of order k starts at a pfn aligned to 2^k, lies in one
 *    zone, and its head page has PG_buddy and private == k (except blocks
 *    still in a zone's deferred pool, whose pages are uninitialized);
 *  - zone->free_area[k].nr_free counts the blocks on list k plus deferred
 *    max-order blocks (k == max_order);
 *  - zone->free_pages == sum over k of nr_free[k] << k.
 */
#ifndef VMSIM_PHYS_MMZONE_H
#define VMSIM_PHYS_MMZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phys/gfp.h"
#include "phys/page.h"
#include "phys/vmstat.h"
#include "util/config.h"
#include "util/events.h"
#include "util/hostalloc.h"
#include "util/list.h"

#define MAX_ORDER_LIMIT 12	/* largest max_order a config may ask for */
#define NR_ORDERS_LIMIT (MAX_ORDER_LIMIT + 1)
_Static_assert(MAX_ORDER_LIMIT + 1 <= PAGE_ALLOC_ORDER_MASK, "the allocation order field is too narrow");
#define MAX_NUMNODES CFG_MAX_NODES

enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	ZONE_MOVABLE,
	MAX_NR_ZONES
};

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;
};

/*
 * Max-order blocks not yet given struct pages (deferred struct page init,
 * see buddy.c): [next_pfn, end_pfn) in steps of 2^max_order pages, all
 * free, all logically at the TAIL of free_area[max_order] in ascending
 * address order, handed out lowest first.  Ranges only shrink from the
 * front, so every frame outside them has an initialized struct page.
 */
struct deferred_range {
	unsigned long next_pfn, end_pfn;
};

/*
 * Per-CPU page lists (struct per_cpu_pages, Linux v6.12 include/linux/
 * mmzone.h): each CPU keeps recently freed pages of orders 0..
 * PAGE_ALLOC_COSTLY_ORDER (and, on x86_64, the THP order) of each zone on
 * lists of its own, so most allocations and frees never touch the buddy
 * lists.  Pages on them are out of free_area[] and out of NR_FREE_PAGES
 * (buddyinfo and MemFree do not show them), refcount 0, not PageBuddy.
 * Linux has one list per migratetype and order; vmsim has no migratetypes,
 * so one list per order (see pcp.c).
 */
#define PAGE_ALLOC_COSTLY_ORDER 3
#define NR_LOWORDER_PCP_LISTS (PAGE_ALLOC_COSTLY_ORDER + 1)
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + 1)	/* + the THP list */
#define PCP_BATCH_SCALE_MAX 5	/* CONFIG_PCP_BATCH_SCALE_MAX */

/* pcp->flags */
#define PCPF_PREV_FREE_HIGH_ORDER 0x01	/* the last free was of order 1..3 */
#define PCPF_FREE_HIGH_BATCH 0x02	/* (set by Linux for large L2 caches) */

struct per_cpu_pages {
	int count;		/* pages on the lists */
	int high;		/* above this, free a batch back to the buddy */
	int high_min, high_max;	/* range the auto-tuned high moves in */
	int batch;		/* pages moved to/from the buddy lists at once */
	uint8_t flags;		/* PCPF_* */
	uint8_t alloc_factor;	/* refill batch scaling: grows on allocations */
	short free_count;	/* pages freed since the last allocation (decays) */
	struct list_head lists[NR_PCP_LISTS];
};

/* one range per gap between reserved ranges, +2 for the kernel image and
 * the zone's end */
#define MAX_DEFERRED_RANGES (CFG_MAX_RESERVE + 2)

struct zone {
	const char *name;		/* "DMA", "DMA32", "Normal", "HighMem", "Movable" */
	enum zone_type type;
	struct pglist_data *zone_pgdat;
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;	/* end - start, holes included */
	unsigned long present_pages;	/* frames that exist */
	unsigned long managed_pages;	/* present minus reserved at boot */
	unsigned long free_pages;	/* NR_FREE_PAGES */
	unsigned long _watermark[NR_WMARK];
	unsigned long lowmem_reserve[MAX_NR_ZONES];
	struct free_area free_area[NR_ORDERS_LIMIT];
	struct deferred_range deferred[MAX_DEFERRED_RANGES];
	unsigned nr_deferred;		/* ranges in deferred[] */
	unsigned deferred_first;	/* first range that is not used up */
	unsigned long nr_deferred_blocks; /* max-order blocks still deferred */
	struct per_cpu_pages *per_cpu_pageset;	/* [cpu], pcp.c */
	int pageset_high_min, pageset_high_max, pageset_batch;
	bool below_high;		/* ZONE_BELOW_HIGH: free pages fell below the
					 * high watermark; pcp->high shrinks */
	/* statistics */
	unsigned long pgalloc, pgfree;	/* pages allocated / freed in this zone */
	unsigned long alloc_fail;	/* requests this zone could not serve */
	long vm_stat[NR_VM_ZONE_STAT_ITEMS];	/* zone_page_state() (vmstat.h);
						 * [NR_FREE_PAGES] unused: free_pages */
};

struct slab_state;
struct mem_cgroup;

/*
 * The LRU lists of one node, or of one memory cgroup on one node (struct
 * lruvec, include/linux/mmzone.h).  Reclaim works on one lruvec at a
 * time; folio_lruvec() (phys/mm_inline.h) says which one a page is on.
 * The unevictable "list" is only a count, as in Linux: its pages sit on
 * no list (their lru.prev holds the mlock count).
 */
struct lruvec {
	struct list_head lists[NR_LRU_LISTS];
	/* how much it cost to reclaim from each type (lru_note_cost) */
	unsigned long anon_cost, file_cost;
	/* evictions and activations: the clock of the refault distance */
	unsigned long nonresident_age;
	/* WORKINGSET_ACTIVATE_* when the last reclaim cycle ended */
	unsigned long refaults[ANON_AND_FILE];
	unsigned long flags;		/* LRUVEC_*_CONGESTED */
	struct pglist_data *pgdat;
	struct mem_cgroup *memcg;	/* NULL: the node's own lruvec */
	struct lruvec *parent;		/* the parent cgroup's on this node (parent_lruvec()) */
	unsigned long lru_zone_size[MAX_NR_ZONES][NR_LRU_LISTS];
	/* lruvec_page_state() of a memory cgroup's lruvec (the node's own
	 * lruvec reads the node's vm_stat instead) */
	long vm_stat[NR_VM_NODE_STAT_ITEMS];
};

/* lruvec->flags */
#define LRUVEC_CGROUP_CONGESTED	0x1
#define LRUVEC_NODE_CONGESTED	0x2

/* pgdat->flags */
#define PGDAT_DIRTY	0x1	/* reclaim scanned many dirty file pages at the tail */
#define PGDAT_WRITEBACK	0x2	/* reclaim scanned many pages under writeback */

/* kswapd_failures at which kswapd gives up on a node (MAX_RECLAIM_RETRIES) */
#define MAX_RECLAIM_RETRIES 16
struct phys_track;

struct pglist_data {
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_spanned_pages;
	unsigned long node_present_pages;
	struct zone node_zones[MAX_NR_ZONES];
	/* fallback order for each highest zone: zone pointers, NULL ended,
	 * this node's zones first, then other nodes' */
	struct zone *zonelist[MAX_NR_ZONES][MAX_NR_ZONES * MAX_NUMNODES + 1];
	/* reclaim (vma/vmscan.c) */
	struct lruvec __lruvec;
	long vm_stat[NR_VM_NODE_STAT_ITEMS];	/* node_page_state() */
	unsigned long flags;		/* PGDAT_* */
	bool kswapd_woken;		/* wakeup_kswapd() found it asleep and woke
					 * it: it runs at the next kswapd point */
	unsigned kswapd_order;
	enum zone_type kswapd_highest_zoneidx;	/* MAX_NR_ZONES: none asked */
	enum zone_type kswapd_last_highest;	/* the last cycle's, reused when none asked */
	unsigned kswapd_failures;	/* balance_pgdat() runs that reclaimed nothing */
};

/* The machine's event counters: the kernel's vm_event_states (enum
 * vm_event_item, /proc/vmstat), and a few of the simulator's own. */
struct vm_event_state {
	unsigned long event[NR_VM_EVENT_ITEMS];	/* count_vm_events() */
	unsigned long allocfail;		/* alloc_pages() calls -> NULL */
	unsigned long bad_page;			/* bad_page() reports */
	unsigned long vm_bug;			/* VM_BUG_ON*() / VM_WARN_ON() reports */
	unsigned long deferred_init_blocks;	/* max-order blocks initialized late */
};

/*
 * Kernel reports: the hook is called with the report whenever a free is
 * refused (bad_page(): double free, freeing a reserved page, order
 * mismatch, a free page that was written; one line, the page left as it
 * was, as Linux leaks it) or an always-on check fails (VM_BUG_ON*(),
 * VM_WARN_ON(), print_bad_pte(): phys/mmdebug.h, vma/mmdebug.h; the
 * kernel's lines, the dump first, and the operation refused).  The comm
 * hook names the task running on this CPU for bad_page()'s "in process"
 * (current->comm); NULL, or a NULL answer, is the idle task,
 * "swapper/CPU".  The machine sets both: the report goes to stderr, as
 * the kernel's goes to its console.
 */
struct phys_mem;
typedef void (*bad_page_hook_t)(void *ctx, const char *msg);
typedef const char *(*bad_page_comm_t)(const struct phys_mem *pm);

/*
 * How the allocator's slow path reaches reclaim and the OOM killer, which
 * live above this layer and are handed down at boot by the machine; each
 * may be NULL (a machine without them fails the allocation).
 *   wakeup_kswapd:     a zone fell below its low watermark (wake_all_kswapds)
 *   try_to_free_pages: direct reclaim for @order pages of @zonelist's zones;
 *                      the pages reclaimed
 *   oom:               out_of_memory(): reclaim made no progress; true when
 *                      the OOM killer freed memory, so that a retry may
 *                      succeed (kern/oom_kill.c)
 */
struct reclaim_hooks {
	void (*wakeup_kswapd)(struct phys_mem *pm, struct zone *zone, gfp_t gfp, unsigned order,
			      enum zone_type highest_zoneidx);
	unsigned long (*try_to_free_pages)(struct phys_mem *pm, struct zone *const *zonelist,
					   unsigned order, gfp_t gfp);
	bool (*oom)(struct phys_mem *pm, struct zone *const *zonelist, unsigned order, gfp_t gfp);
};

/*
 * The memory controller's side of a page, handed down at boot
 * (vma/memcontrol.c):
 *   lruvecs: [memcg id] the cgroup's lruvecs, one per node, for
 *            folio_lruvec(); [0] is the root cgroup's, where uncharged
 *            pages are counted as Linux counts them (mem_cgroup_lruvec()
 *            of a NULL memcg).  NULL: no memory controller.
 *   uncharge: mem_cgroup_uncharge() of a page whose last reference went
 *            (__folio_put()), or __memcg_kmem_uncharge_page() of a kernel
 *            page: called for every freed page with a memcg id.
 *   kmem_charge: __memcg_kmem_charge_page(): a __GFP_ACCOUNT page just
 *            allocated is charged to current's cgroup; -ENOMEM when the
 *            cgroup has no room (the allocation then fails).
 */
struct memcg_hooks {
	struct lruvec **lruvecs;
	void (*uncharge)(struct phys_mem *pm, struct page *page, unsigned order);
	int (*kmem_charge)(struct phys_mem *pm, struct page *page, gfp_t gfp, unsigned order);
};

struct phys_mem {
	const struct vmsim_config *cfg;
	struct host_arena *ha;
	uint8_t *ram;			/* simulated RAM: frame pfn at ram + (pfn << 12) */
	uint64_t ram_size;
	struct page *mem_map;		/* mem_map[pfn] */
	size_t mem_map_bytes;
	uint64_t *touched;		/* 1 bit per frame: may hold data (see frame_touched()) */
	size_t touched_bytes;
	unsigned long max_pfn;		/* one past the last frame */
	unsigned long max_low_pfn;	/* one past the last direct-mapped frame */
	unsigned max_order;		/* MAX_PAGE_ORDER */
	unsigned nr_nodes;
	struct pglist_data node_data[MAX_NUMNODES];
	unsigned long min_free_kbytes;
	unsigned long totalram_pages;	/* managed pages of all zones */
	unsigned long reserved_pages;	/* PG_reserved at boot */
	unsigned long totalreserve_pages; /* calculate_totalreserve_pages() */
	struct vm_event_state vmstat;
	/* vmsim's own, for the checker: the part of all mlock_counts that no
	 * VM_LOCKED mapping holds.  mremap(MREMAP_DONTUNMAP) clears VM_LOCKED
	 * from a VMA whose other pages stay mlocked, as Linux does; those
	 * locks go only when their page is freed (put_page()). */
	long mlock_stale;
	bad_page_hook_t bad_page_hook;	/* NULL: message kept in bad_page_msg */
	bad_page_comm_t bad_page_comm;	/* current->comm for the report */
	struct event_log *events;	/* --trace-events, or NULL */
	void *bad_page_ctx;		/* of bad_page_hook */
	char bad_page_msg[256];		/* the last report's headline: bad_page()'s
					 * line, "CHECK at FILE:LINE", the alert */
	char bug_report[768];		/* the last report, whole */
	bool page_poisoning;		/* page_poison=1: fill freed frames with
					 * PAGE_POISON, check on allocation */
	struct slab_state *slab;	/* slab caches and kmalloc (slab.c);
					 * NULL until kmem_cache_init() */
	/* per-CPU page lists (pcp.c) */
	unsigned nr_cpus;		/* pagesets per zone */
	unsigned this_cpu;		/* the CPU allocating (smp_processor_id()) */
	unsigned pcp_thp_order;		/* HPAGE_PMD_ORDER (x86_64 9, x86_32 10), or none (~0u) */
	bool pcp_enabled;		/* buddy.pcp: false = zone_pcp_disable() */
	unsigned percpu_pagelist_high_fraction;	/* vm sysctl: 0 = auto-tuned */
	struct per_cpu_pages *pagesets;	/* nodes * zones * cpus, host memory */
	struct reclaim_hooks reclaim;	/* set by the machine at boot */
	struct memcg_hooks memcg;	/* set by the memory controller */
	void *hooks_ctx;		/* the upper layer's context the reclaim and
					 * memcg hooks work in, handed down at boot */
	long nr_swap_pages;		/* free swap slots of every area (get_nr_swap_pages()) */
	long total_swap_pages;		/* usable slots of every area */
	bool memalloc;			/* PF_MEMALLOC: the CPU is reclaiming, its
					 * own allocations must not reclaim again */
	struct phys_track *track;	/* --check: what changed since the last
					 * check (check.c), NULL when off */
};

#define PAGE_POISON 0xaa

/* Boot: map RAM and mem_map lazily, build nodes and zones, reserve the
 * config's ranges and the kernel image, free the rest into the buddy
 * lists, set watermarks and lowmem_reserve.  -ENOMEM if the host refuses. */
int phys_init(struct phys_mem *pm, const struct vmsim_config *cfg,
	      struct host_arena *ha, struct vmsim_error *err);
void phys_finish(struct phys_mem *pm);

static inline struct page *pfn_to_page(const struct phys_mem *pm, unsigned long pfn)
{
	return pm->mem_map + pfn;
}

static inline unsigned long page_to_pfn(const struct phys_mem *pm, const struct page *p)
{
	return (unsigned long)(p - pm->mem_map);
}

static inline uint64_t page_to_phys(const struct phys_mem *pm, const struct page *p)
{
	return (uint64_t)page_to_pfn(pm, p) << PAGE_SHIFT;
}

static inline bool pfn_valid(const struct phys_mem *pm, unsigned long pfn)
{
	return pfn < pm->max_pfn;
}

/* Host pointer to simulated physical address @pa, for an address the
 * simulator made itself (a frame it allocated, a page's own address).  An
 * address read from simulated memory goes through phys_to_host_range(). */
static inline void *phys_to_host(const struct phys_mem *pm, uint64_t pa)
{
	return pm->ram + pa;
}

/*
 * Host pointer to the @len bytes at simulated physical address @pa, or NULL
 * when any of them lies outside RAM.  Every address that comes from
 * simulated memory (a page-table entry, anything a scenario can write)
 * reaches the host only through here: no host pointer is ever formed from
 * a physical address that is not inside RAM.
 */
static inline void *phys_to_host_range(const struct phys_mem *pm, uint64_t pa, uint64_t len)
{
	if (len > pm->ram_size || pa > pm->ram_size - len)
		return NULL;
	return pm->ram + pa;
}

static inline void *page_host(const struct phys_mem *pm, const struct page *p)
{
	return pm->ram + page_to_phys(pm, p);
}

/*
 * Frames that were never handed out nor written since boot still hold the
 * zeroes of the fresh host mapping, so __GFP_ZERO needs no memset for them
 * (and never-used frames stay host zero pages).  A frame becomes "touched"
 * when it goes back to the free lists (it was handed out, so it may hold
 * data) and when anything writes it by physical address outside an
 * allocation (kwrite, a task write through a hand-edited PTE).
 */
static inline bool frame_touched(const struct phys_mem *pm, unsigned long pfn)
{
	return (pm->touched[pfn >> 6] >> (pfn & 63)) & 1;
}

static inline void frame_mark_touched(struct phys_mem *pm, unsigned long pfn)
{
	pm->touched[pfn >> 6] |= 1ULL << (pfn & 63);
}

/* Kernel virtual address of a lowmem page: PAGE_OFFSET + phys.  For a
 * highmem page (x86_32) returns 0: it must be kmap()ed. */
uint64_t page_address(const struct phys_mem *pm, const struct page *p);

static inline struct zone *page_zone(struct phys_mem *pm, const struct page *p)
{
	return &pm->node_data[page_to_nid(p)].node_zones[page_zonenum(p)];
}

/* for_each_zone(): every zone of every node, populated or not (@nid is
 * the caller's unsigned counter) */
#define for_each_zone(pm, nid, z)						\
	for ((nid) = 0; (nid) < (pm)->nr_nodes; (nid)++)			\
		for ((z) = (pm)->node_data[nid].node_zones;			\
		     (z) < (pm)->node_data[nid].node_zones + MAX_NR_ZONES; (z)++)


static inline bool populated_zone(const struct zone *z)
{
	return z->present_pages != 0;
}

static inline bool is_highmem_idx(enum zone_type t)
{
	return t == ZONE_HIGHMEM;
}

/* The zone types this arch has, in order (x86_64: DMA DMA32 Normal
 * Movable; x86_32: DMA Normal HighMem Movable).  Returns the count. */
unsigned arch_zone_types(const struct phys_mem *pm, enum zone_type out[MAX_NR_ZONES]);

/* ---- page allocator (buddy.c / page_alloc.c) ---- */

/* Highest zone @gfp allows on this machine (gfp_zone()). */
enum zone_type gfp_zone(const struct phys_mem *pm, gfp_t gfp);

/* 2^order contiguous frames, or NULL when no zone in the fallback list can
 * serve the request above its watermark.  The head page gets refcount 1.
 * __GFP_ZERO zeroes the frames in simulated RAM. */
struct page *alloc_pages(struct phys_mem *pm, gfp_t gfp, unsigned order);
struct page *alloc_pages_node(struct phys_mem *pm, int nid, gfp_t gfp, unsigned order);
static inline struct page *alloc_page(struct phys_mem *pm, gfp_t gfp)
{
	return alloc_pages(pm, gfp, 0);
}

/* Drop a reference; at zero the block returns to the buddy lists.  A free
 * of a page that is not the head of a block allocated at @order is refused
 * and reported through bad_page(). */
void __free_pages(struct phys_mem *pm, struct page *page, unsigned order);
/* Would __free_pages() of @pfn at @order be accepted: a frame that heads a
 * block allocated at exactly that order and still referenced?  For callers
 * that refuse a bad free with -EINVAL instead of a bad_page() report. */
bool free_pages_allowed(const struct phys_mem *pm, unsigned long pfn, unsigned order);
static inline void __free_page(struct phys_mem *pm, struct page *page)
{
	__free_pages(pm, page, 0);
}

/* Kernel virtual address variants (lowmem only), 0 on failure. */
uint64_t __get_free_pages(struct phys_mem *pm, gfp_t gfp, unsigned order);
uint64_t get_zeroed_page(struct phys_mem *pm, gfp_t gfp);
void free_pages(struct phys_mem *pm, uint64_t addr, unsigned order);

void get_page(struct page *page);
/* The compound block headed by @head becomes blocks of order 0, each of
 * its own (__split_huge_page()'s clear_compound_head() and
 * split_page_owner()): head and tail marks go, every page records order 0.
 * The pages' counts and flags are the caller's to distribute. */
void split_compound_page(struct page *head);
/* Drop a reference to an order-0 (or compound head) page; frees at zero,
 * clearing PG_mlocked first if it is still set (__page_cache_release()). */
void put_page(struct phys_mem *pm, struct page *page);

/* Linux's alloc_flags (mm/internal.h), for zone_watermark_ok(). */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10
#define ALLOC_MIN_RESERVE	0x20	/* == __GFP_HIGH, as in Linux */
#define ALLOC_HIGHATOMIC	0x200
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

/* Per-zone watermark check (zone_watermark_ok()): true when @z keeps more
 * than @mark (lowered per @alloc_flags) plus lowmem_reserve[highest_zoneidx]
 * free pages after taking 2^order, and has a free block of >= @order. */
bool zone_watermark_ok(const struct zone *z, unsigned order, unsigned long mark,
		       enum zone_type highest_zoneidx, unsigned alloc_flags);

static inline unsigned long wmark_pages(const struct zone *z, enum zone_watermarks w)
{
	return z->_watermark[w];
}

/* ---- statistics (vmstat.h; mm/vmstat.c) ---- */

static inline struct pglist_data *page_pgdat(struct phys_mem *pm, const struct page *p)
{
	return &pm->node_data[page_to_nid(p)];
}

/* A zone item: pages of @z in state @item. */
static inline unsigned long zone_page_state(const struct zone *z, enum zone_stat_item item)
{
	long x = item == NR_FREE_PAGES ? (long)z->free_pages : z->vm_stat[item];

	return x < 0 ? 0 : (unsigned long)x;
}

/* Add @delta pages to zone item @item (never NR_FREE_PAGES: the buddy
 * allocator keeps that one). */
static inline void mod_zone_page_state(struct zone *z, enum zone_stat_item item, long delta)
{
	z->vm_stat[item] += delta;
}

static inline unsigned long node_page_state(const struct pglist_data *pgdat,
					    enum node_stat_item item)
{
	long x = pgdat->vm_stat[item];

	return x < 0 ? 0 : (unsigned long)x;
}

static inline void mod_node_page_state(struct pglist_data *pgdat, enum node_stat_item item,
				       long delta)
{
	pgdat->vm_stat[item] += delta;
}

static inline void count_vm_events(struct phys_mem *pm, enum vm_event_item item, unsigned long n)
{
	pm->vmstat.event[item] += n;
}

static inline void count_vm_event(struct phys_mem *pm, enum vm_event_item item)
{
	pm->vmstat.event[item]++;
}

static inline struct pglist_data *lruvec_pgdat(const struct lruvec *lruvec)
{
	return lruvec->pgdat;
}

/* A gauge as @lruvec sees it: the node's for the node's own lruvec, the
 * memory cgroup's share for a cgroup's. */
static inline unsigned long lruvec_page_state(const struct lruvec *lruvec,
					      enum node_stat_item item)
{
	const long v = lruvec == &lruvec->pgdat->__lruvec ? lruvec->pgdat->vm_stat[item]
							   : lruvec->vm_stat[item];

	return v > 0 ? (unsigned long)v : 0;
}

/* __mod_lruvec_state(): the node's gauge, and a cgroup lruvec's own. */
static inline void mod_lruvec_state(struct lruvec *lruvec, enum node_stat_item item, long delta)
{
	lruvec->pgdat->vm_stat[item] += delta;
	if (lruvec != &lruvec->pgdat->__lruvec)
		lruvec->vm_stat[item] += delta;
}

/* Sums over every zone / node of the machine (global_*_page_state()). */
unsigned long global_zone_page_state(const struct phys_mem *pm, enum zone_stat_item item);
unsigned long global_node_page_state(const struct phys_mem *pm, enum node_stat_item item);

/* Sum of free pages over all zones (NR_FREE_PAGES: pcp pages excluded). */
unsigned long nr_free_pages(const struct phys_mem *pm);

/* NR_FREE_PAGES plus the pages on every per-CPU list: every page the
 * allocator could hand out (what a conservation check compares). */
unsigned long nr_free_pages_with_pcp(const struct phys_mem *pm);

/* Pages on @zone's per-CPU lists, all CPUs (Linux's zoneinfo "count"). */
unsigned long zone_pcp_pages(const struct phys_mem *pm, const struct zone *zone);

/* Give every per-CPU list page of @zone (NULL: of every zone) back to the
 * buddy lists (drain_all_pages()). */
void drain_all_pages(struct phys_mem *pm, struct zone *zone);

/* Give a PG_reserved page to the buddy allocator (free_reserved_page()):
 * clears PG_reserved, counts it as managed and frees it.  -EINVAL if the
 * page is not reserved or still has other references. */
int free_reserved_page(struct phys_mem *pm, struct page *page);

/* Zone by index (node @nid); NULL when out of range. */
struct zone *phys_zone(struct phys_mem *pm, int nid, enum zone_type t);

/* Recompute min_free_kbytes, watermarks and lowmem_reserve from the
 * managed pages (init_per_zone_wmark_min()).  Called by phys_init(). */
void init_per_zone_wmark_min(struct phys_mem *pm);

/* Consistency checker for tests: free lists vs struct page vs counters.
 * Returns 0, or -EFAULT with a description of the first violation in @err. */
int check_free_lists(struct phys_mem *pm, struct vmsim_error *err);
/* @e as the lru link of a struct page of mem_map, or NULL when it points
 * anywhere else (pointer arithmetic only: nothing behind @e is read). */
struct page *lru_link_page(const struct phys_mem *pm, const struct list_head *e);
/* The mlock_count of every PG_mlocked page, summed (for the checker of
 * mlock counts against mappings, a layer up, when mremap left locks no
 * mapping holds). */
unsigned long mlock_count_sum(const struct phys_mem *pm);

/* The statistic /proc/vmstat calls @name (phys/vmstat.c), summed over the
 * zones or nodes that keep it: 0, or -ENOENT for a name vmsim does not
 * keep. */
int vmstat_read(const struct phys_mem *pm, const char *name, unsigned long *out);

static inline bool managed_zone(const struct zone *z)
{
	return z->managed_pages != 0;
}

static inline unsigned long min_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_MIN];
}

static inline unsigned long low_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_LOW];
}

static inline unsigned long high_wmark_pages(const struct zone *z)
{
	return z->_watermark[WMARK_HIGH];
}

/*
 * zone_reclaimable_pages(): the file LRU pages of @z, plus the anon ones
 * when some swap slot is free to take them.
 */
static inline unsigned long zone_reclaimable_pages(const struct phys_mem *pm, const struct zone *z)
{
	unsigned long nr = zone_page_state(z, NR_ZONE_INACTIVE_FILE) +
			   zone_page_state(z, NR_ZONE_ACTIVE_FILE);

	if (pm->nr_swap_pages > 0)
		nr += zone_page_state(z, NR_ZONE_INACTIVE_ANON) +
		      zone_page_state(z, NR_ZONE_ACTIVE_ANON);
	return nr;
}

/* __zone_watermark_ok() against @free_pages instead of the zone's own
 * count: would the allocation pass if that many pages were free? */
bool __zone_watermark_ok_free(const struct zone *z, unsigned order, unsigned long mark,
			      enum zone_type highest_zoneidx, unsigned alloc_flags,
			      long free_pages);
/*
 * The dirty set of the incremental checker (--check): the max-order
 * blocks whose frames or struct pages an allocation, a free, a slab
 * object or a kernel write changed since the last check.  phys_track()
 * is what the mutating code calls; it costs a NULL test when tracking is
 * off.  A block is the unit because every buddy merge, split and per-CPU
 * list move stays inside the max-order block it started in.
 */
int phys_track_start(struct phys_mem *pm);	/* 0 or -ENOMEM */
void phys_track_stop(struct phys_mem *pm);
void __phys_track(struct phys_mem *pm, unsigned long pfn);
static inline void phys_track(struct phys_mem *pm, unsigned long pfn)
{
	if (__builtin_expect(pm->track != NULL, 0))
		__phys_track(pm, pfn);
}
/* The marked blocks (block index = pfn >> max_order); *lost is true when a
 * mark could not be kept (host memory), so only a full check is sound. */
size_t phys_tracked_blocks(const struct phys_mem *pm, const unsigned long **blocks, bool *lost);
/* Forget the marks (after a check covered them). */
void phys_track_clear(struct phys_mem *pm);
/* check_free_lists() restricted to the marked blocks and their zones:
 * the blocks' struct pages and free-list links, the zones' counters and
 * per-CPU lists.  What only a whole-zone walk sees (nr_free against the
 * list lengths, a listed block that lost PG_buddy outside the marked
 * blocks) is left to check_free_lists(). */
int check_free_lists_tracked(struct phys_mem *pm, struct vmsim_error *err);

#endif
