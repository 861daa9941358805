/*
 * Swap (include/linux/swap.h, swapops.h, mm/swap.h of Linux v6.12): swap
 * areas and their slots (vma/swapfile.c), the per-CPU slot cache
 * (vma/swap_slots.c), the swap cache (vma/swap_state.c) and the I/O that
 * moves page contents to and from the areas (vma/page_io.c).
 *
 * A swap entry names a slot: the area's type (its index in swap_info[])
 * and the slot's offset in it.  swp_entry_t is the kernel's
 * arch-independent form (type in the bits above SWP_TYPE_SHIFT); the PTE
 * form is the arch's (mmu/pgformat.h: pt_swp_entry_to_pte()).
 *
 * A slot's swap_map byte counts its users: the PTEs (and shmem objects)
 * that hold the entry, in the low bits, plus SWAP_HAS_CACHE while a page
 * for it is in the swap cache or the slot sits in a slot cache.
 */
#ifndef VMSIM_VMA_SWAPFILE_H
#define VMSIM_VMA_SWAPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/pgformat.h"
#include "util/list.h"
#include "vma/pagecache_xa.h"

struct vm_ctx;
struct vmsim_error;
struct vm_area_struct;
struct page;
struct strbuf;
struct json_writer;
struct host_arena;

typedef struct {
	uint64_t val;
} swp_entry_t;

#define MAX_SWAPFILES_SHIFT	5
/* types left after the kernel's special entries (device private 3,
 * migration 3, hwpoison 1, PTE markers 1) take theirs */
#define MAX_SWAPFILES		((1 << MAX_SWAPFILES_SHIFT) - 8)
#define SWP_TYPE_SHIFT		(63 - MAX_SWAPFILES_SHIFT)	/* BITS_PER_XA_VALUE - 5 */
#define SWP_OFFSET_MASK		((1ULL << SWP_TYPE_SHIFT) - 1)

static inline swp_entry_t swp_entry(unsigned type, uint64_t offset)
{
	return (swp_entry_t){ ((uint64_t)type << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK) };
}

static inline unsigned swp_type(swp_entry_t entry)
{
	return (unsigned)(entry.val >> SWP_TYPE_SHIFT);
}

static inline uint64_t swp_offset(swp_entry_t entry)
{
	return entry.val & SWP_OFFSET_MASK;
}

/* pte_to_swp_entry(): the entry a swap PTE (is_swap_pte()) holds, in the
 * format @f of the machine's page tables. */
static inline swp_entry_t pte_to_swp_entry(const struct pt_format *f, uint64_t pte)
{
	return swp_entry(pt_pte_swp_type(f, pte), pt_pte_swp_offset(f, pte));
}

/* non_swap_entry(): a type the kernel keeps for special entries */
static inline bool non_swap_entry(swp_entry_t entry)
{
	return swp_type(entry) >= MAX_SWAPFILES;
}

/* swap_map values */
#define SWAP_HAS_CACHE	0x40	/* a page for the slot is in the swap cache */
#define COUNT_CONTINUED	0x80	/* the count goes on in si->cont_count */
#define SWAP_MAP_MAX	0x3e	/* the most users the byte counts */
#define SWAP_MAP_BAD	0x3f	/* unusable: the header page */
#define SWAP_MAP_SHMEM	0xbf	/* held by a shmem object */

#define SWAPFILE_CLUSTER_THP	512	/* HPAGE_PMD_NR, with CONFIG_THP_SWAP (x86_64) */
#define SWAPFILE_CLUSTER_NOTHP	256
#define SWAP_NR_ORDERS		10	/* PMD_ORDER + 1 */
#define SWAP_NEXT_INVALID	0
#define SWAP_BATCH		64
#define SWAP_SLOTS_CACHE_SIZE	SWAP_BATCH
#define SWAP_ADDRESS_SPACE_SHIFT 14
#define SWAP_ADDRESS_SPACE_PAGES (1 << SWAP_ADDRESS_SPACE_SHIFT)

/* si->flags */
#define SWP_USED	0x01	/* the slot of swap_info[] is in use */
#define SWP_WRITEOK	0x02	/* ok to write to this area */
#define SWP_SOLIDSTATE	0x10	/* no seek cost: cluster allocation */
#define SWP_BLKDEV	0x40	/* a block device, not a file */

/* cluster flags */
#define CLUSTER_FLAG_NONE	0
#define CLUSTER_FLAG_FREE	1
#define CLUSTER_FLAG_NONFULL	2
#define CLUSTER_FLAG_FRAG	4
#define CLUSTER_FLAG_FULL	8

struct swap_cluster_info {
	unsigned count;			/* slots of the cluster in use (bad ones too) */
	uint8_t flags;
	uint8_t order;			/* of the allocations it serves */
	struct list_head list;		/* on one of the area's cluster lists */
};

/* struct percpu_cluster: where this CPU allocates next, per order */
struct percpu_cluster {
	unsigned next[SWAP_NR_ORDERS];
};

/*
 * The "device" behind an area (vma/page_io.c): 4 KiB blocks of host
 * memory allocated SWAP_BLOCK_CHUNK at a time, a slot naming its block by
 * number (4 bytes a slot where a pointer takes 8).  Block n (1-based)
 * lives in chunks[(n - 1) / SWAP_BLOCK_CHUNK]; a free block holds the
 * number of the next free one in its first 4 bytes.  Blocks are reused,
 * not returned to the host, until the area goes (a device keeps its
 * size).  Zero-filled pages are a bit in si->zeromap and take no block.
 */
#define SWAP_BLOCK_CHUNK 16
struct swap_blocks {
	uint8_t **chunks;		/* [cap] */
	unsigned nr_chunks, cap;
	uint32_t nr_blocks;		/* blocks ever handed out (the chunks' room) */
	uint32_t free_head;		/* first free block, 0: none */
};

struct swap_info_struct {
	struct host_arena *ha;		/* where its maps and copies come from */
	unsigned long flags;		/* SWP_* */
	short prio;			/* higher is used first */
	unsigned type;			/* index in swap_info[] */
	unsigned max;			/* slots, header included */
	unsigned pages;			/* usable slots */
	unsigned inuse_pages;		/* slots in use */
	unsigned lowest_bit, highest_bit;	/* free slots lie in [lowest, highest] */
	unsigned cluster_size;		/* SWAPFILE_CLUSTER */
	uint8_t *swap_map;		/* [max] */
	uint32_t *cont_count;		/* [max], once a count passes SWAP_MAP_MAX */
	unsigned long *zeromap;		/* [max] bits: the slot holds a zero page */
	uint32_t *slot_block;		/* [max]: the block holding what was written, 0: none */
	struct swap_blocks blocks;	/* (page_io.c) */
	unsigned long nr_stored;	/* slots with a block */
	struct swap_cluster_info *cluster_info;
	unsigned nr_clusters;
	struct list_head free_clusters, full_clusters;
	struct list_head nonfull_clusters[SWAP_NR_ORDERS];
	struct list_head frag_clusters[SWAP_NR_ORDERS];
	unsigned frag_cluster_nr[SWAP_NR_ORDERS];
	struct percpu_cluster *percpu_cluster;	/* [nr_cpus] */
	struct xarray swap_cache;	/* offset -> page in the swap cache, or a shadow */
	unsigned long cache_pages;	/* pages in swap_cache */
	char name[64];			/* as /proc/swaps shows it */
	unsigned avail_seq;		/* plist order among equal priorities */
};

/* The machine's swap state (vm->swap). */
struct swap_state {
	struct swap_info_struct *swap_info[MAX_SWAPFILES];
	unsigned nr_swapfiles;		/* types ever used */
	int least_priority;		/* the last default priority handed out */
	unsigned avail_seq;		/* for plist_requeue() among equal priorities */
	/* the per-CPU slot cache (swap_slots.c) */
	struct swap_slots_cache *slots;	/* [nr_cpus] */
	bool swap_slot_cache_enabled, swap_slot_cache_active;
	/* mms that may hold swap entries (init_mm.mmlist) */
	struct list_head mmlist;
};

struct swap_slots_cache {
	unsigned nr, cur;		/* slots[cur..cur+nr) are ready for use */
	swp_entry_t slots[SWAP_SLOTS_CACHE_SIZE];
	unsigned n_ret;			/* freed slots waiting to go back */
	swp_entry_t slots_ret[SWAP_SLOTS_CACHE_SIZE];
};

/* ---- swapfile.c ---- */

int swap_init(struct vm_ctx *vm);
void swap_finish(struct vm_ctx *vm);

/* swapon(2) of an area of @size bytes with priority @prio (-1: the next
 * default, below every earlier one): its type in *@type.  -EINVAL (too
 * small, too large), -EPERM (every type used), -ENOMEM. */
int sys_swapon(struct vm_ctx *vm, uint64_t size, int prio, bool has_prio,
	       unsigned *type, struct vmsim_error *err);
/* swapoff(2): every page on the area comes back into memory
 * (try_to_unuse()); -ENOMEM when memory cannot hold it (the area stays),
 * -EINVAL when @type is no area. */
int sys_swapoff(struct vm_ctx *vm, unsigned type, struct vmsim_error *err);
/* The area of @name (as /proc/swaps shows it), or -1. */
int swap_type_of_name(struct vm_ctx *vm, const char *name);

/* The area an entry names, or NULL when it names none or a slot past its
 * end (get_swap_device(); the kernel's message goes to @why when set). */
struct swap_info_struct *get_swap_device(struct vm_ctx *vm, swp_entry_t entry,
					 const char **why);
/* swap_duplicate(): one more user of @entry (fork, unmap).  0, or
 * -ENOENT when the slot is free or names no area. */
int swap_duplicate(struct vm_ctx *vm, swp_entry_t entry);
/* swap_shmem_alloc(): a shmem object holds the slot (SWAP_MAP_SHMEM). */
void swap_shmem_alloc(struct vm_ctx *vm, swp_entry_t entry);
/* swap_free(): one user fewer; the slot goes when none is left. */
void swap_free(struct vm_ctx *vm, swp_entry_t entry);
/* free_swap_and_cache(): a PTE holding @entry went away: one user fewer,
 * and the swap cache's page dropped when nothing else uses it.  false
 * when the entry names no slot in use (print_bad_pte()'s case). */
bool free_swap_and_cache(struct vm_ctx *vm, swp_entry_t entry);
/* swapcache_prepare(): claim SWAP_HAS_CACHE for a page about to be read;
 * -EEXIST when the swap cache has it already, -ENOENT when unused. */
int swapcache_prepare(struct vm_ctx *vm, swp_entry_t entry);
/* put_swap_folio(): the swap cache's claim on @entry goes. */
void put_swap_folio(struct vm_ctx *vm, swp_entry_t entry);
/* folio_alloc_swap(): a slot for @page, through the slot cache; 0 when
 * every area is full (or there is none). */
swp_entry_t folio_alloc_swap(struct vm_ctx *vm, struct page *page);
/* __swap_count(): the users of @entry (PTEs), SWAP_HAS_CACHE excluded. */
unsigned swap_swapcount(struct vm_ctx *vm, swp_entry_t entry);
/* folio_free_swap(): drop @page's swap-cache copy when no PTE needs its
 * slot any more; true when it did (the page is then dirty). */
bool folio_free_swap(struct vm_ctx *vm, struct page *page);
/* free_swap_cache(): folio_free_swap() for a page no PTE maps. */
void free_swap_cache(struct vm_ctx *vm, struct page *page);
/* vm_swap_full(): more than half of all swap in use. */
bool vm_swap_full(const struct vm_ctx *vm);
/* Pages of the areas in use and in total, for meminfo (si_swapinfo()). */
void si_swapinfo(const struct vm_ctx *vm, unsigned long *free, unsigned long *total);

/* /proc/swaps (swap_show()), text or JSON. */
int swaps_show(struct vm_ctx *vm, struct json_writer *jw, struct strbuf *sb);

/* Every area's swap_map against the PTEs, the shmem objects and the swap
 * cache that use its slots; the clusters; the counters.  0 or -EFAULT. */
int swap_check(struct vm_ctx *vm, struct vmsim_error *err);

/* ---- swap_slots.c ---- */

int swap_slots_init(struct vm_ctx *vm);
void swap_slots_finish(struct vm_ctx *vm);
/* enable_swap_slots_cache() (swapon) / disable, draining every cache
 * (swapoff), then re-enable while usable swap is left. */
void enable_swap_slots_cache(struct vm_ctx *vm);
void disable_swap_slots_cache(struct vm_ctx *vm);
void reenable_swap_slots_cache(struct vm_ctx *vm);
/* free_swap_slot(): a slot whose last user went, into the return cache. */
void free_swap_slot(struct vm_ctx *vm, swp_entry_t entry);
/* Allocation through the cache (folio_alloc_swap()'s order-0 path). */
swp_entry_t swap_slots_alloc(struct vm_ctx *vm);

/* swapfile.c's allocator, for the slot cache: up to @n slots of one area
 * (get_swap_pages()); swapcache_free_entries() gives them back. */
int get_swap_pages(struct vm_ctx *vm, int n, swp_entry_t *entries);
void swapcache_free_entries(struct vm_ctx *vm, const swp_entry_t *entries, unsigned n);

/* ---- swap_state.c: the swap cache ---- */

/* The page in the swap cache for @entry (NULL: none, or a shadow). */
struct page *swap_cache_lookup(struct vm_ctx *vm, swp_entry_t entry);
/* add_to_swap_cache(): @page (locked, not yet in it) becomes the cached
 * copy of @entry, taking a reference; *@shadow gets what was there.
 * -ENOMEM. */
int add_to_swap_cache(struct vm_ctx *vm, struct page *page, swp_entry_t entry,
		      void **shadow);
/* __delete_from_swap_cache(): out of the swap cache, @shadow left behind
 * (may be NULL); the cache's reference is the caller's to drop. */
void __delete_from_swap_cache(struct vm_ctx *vm, struct page *page, void *shadow);
/* delete_from_swap_cache(): out, slot claim dropped, reference dropped. */
void delete_from_swap_cache(struct vm_ctx *vm, struct page *page);
/* add_to_swap(): a slot for @page (anonymous, locked) and its place in
 * the swap cache, marked dirty so that it gets written; false when swap
 * is full. */
bool add_to_swap(struct vm_ctx *vm, struct page *page);
/* swap_cache_get_folio(): the cached page of @entry, counting a
 * readahead hit for @vma's window; NULL when absent. */
struct page *swap_cache_get_folio(struct vm_ctx *vm, swp_entry_t entry,
				  struct vm_area_struct *vma, uint64_t addr);
/* swapin_readahead(): the page for @entry, read with its readahead window
 * (vma-based, as on a solid-state area); a new reference for the caller,
 * or NULL when out of memory.  *@major: it had to be read. */
struct page *swapin_readahead(struct vm_ctx *vm, swp_entry_t entry,
			      struct vm_area_struct *vma, uint64_t addr, bool *major);
/* read_swap_cache_async(): the page for @entry, from the swap cache or
 * read into it, without readahead (MADV_WILLNEED); a new reference for
 * the caller, or NULL when the slot is unused or memory ran out. */
struct page *read_swap_cache_async(struct vm_ctx *vm, swp_entry_t entry);

/* ---- page_io.c ---- */

/* swap_writepage(): @page (in the swap cache, dirty cleared) goes to its
 * slot: a zero page as a zeromap bit, anything else as a copy.  The write
 * is under way on return (PG_writeback) until swap_io_complete(). */
int swap_writepage(struct vm_ctx *vm, struct page *page);
/* swap_read_folio(): fill @page from its slot; 0, or -EIO when the slot
 * holds nothing (it was never written). */
int swap_read_folio(struct vm_ctx *vm, struct page *page);
/* The slot's contents are gone with it (swap_range_free()). */
void swap_slot_discard(struct swap_info_struct *si, uint64_t offset);
/* The 4 KiB a slot holds (checkers, tests), or NULL: none written. */
const uint8_t *swap_slot_copy(const struct swap_info_struct *si, uint64_t offset);
/* Every block handed out is one slot's or on the free chain, once. */
int swap_blocks_check(const struct swap_info_struct *si, struct vmsim_error *err);
/* The area's blocks go back to the host (swapoff, teardown). */
void swap_blocks_free(struct swap_info_struct *si);

#endif
