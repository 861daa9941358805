/*
 * The kernel's memory statistics (include/linux/mmzone.h zone_stat_item
 * and node_stat_item, include/linux/vm_event_item.h, include/linux/
 * vmstat.h): per-zone and per-node counters of pages in each state, and
 * machine-wide event counters, under the kernel's enum names and in the
 * kernel's order, so that /proc/vmstat, /proc/zoneinfo, /proc/meminfo,
 * memory.stat and the statistics registry all read the same numbers.
 *
 * The enums list the items of a Linux 6.12 x86 kernel (CONFIG_NUMA,
 * CONFIG_SWAP, CONFIG_TRANSPARENT_HUGEPAGE, CONFIG_HUGETLB_PAGE); which
 * of them the simulator maintains, and so prints, is decided by the
 * table of names in phys/vmstat.c (vmstat_text).  Units are the kernel's: pages, except
 * NR_KERNEL_STACK_KB (KiB); the node items the kernel keeps in bytes
 * (NR_SLAB_*_B) are kept in pages here, as __mod_node_page_state()
 * stores them.
 *
 * Invariant: a gauge (zone or node item) is the number of pages in that
 * state right now, never negative; an event only grows.  NR_FREE_PAGES is
 * zone->free_pages itself (the buddy allocator's count), read through
 * zone_page_state() like every other item.
 */
#ifndef VMSIM_PHYS_VMSTAT_H
#define VMSIM_PHYS_VMSTAT_H

#include <stdbool.h>

/* The LRU lists, in the kernel's order (enum lru_list). */
enum lru_list {
	LRU_INACTIVE_ANON,
	LRU_ACTIVE_ANON,
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	LRU_UNEVICTABLE,
	NR_LRU_LISTS
};

#define LRU_BASE	0
#define LRU_ACTIVE	1
#define LRU_FILE	2
#define ANON_AND_FILE	2

#define for_each_lru(lru) for ((lru) = 0; (lru) < NR_LRU_LISTS; (lru)++)
#define for_each_evictable_lru(lru) for ((lru) = 0; (lru) <= LRU_ACTIVE_FILE; (lru)++)

static inline int is_file_lru(enum lru_list lru)
{
	return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE;
}

static inline int is_active_lru(enum lru_list lru)
{
	return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE;
}

/* "inactive_anon", ... as events and views name the lists. */
static inline const char *lru_list_name(enum lru_list lru)
{
	static const char *const names[NR_LRU_LISTS] = {
		"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
	};

	return (unsigned)lru < NR_LRU_LISTS ? names[lru] : "?";
}

enum zone_stat_item {
	NR_FREE_PAGES,
	NR_ZONE_LRU_BASE,	/* the zone's share of each LRU list */
	NR_ZONE_INACTIVE_ANON = NR_ZONE_LRU_BASE,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,	/* dirty, writeback and unstable pages */
	NR_MLOCK,		/* mlock()ed pages found and moved off LRU */
	NR_BOUNCE,
	NR_FREE_CMA_PAGES,
	NR_VM_ZONE_STAT_ITEMS
};

enum node_stat_item {
	NR_LRU_BASE,
	NR_INACTIVE_ANON = NR_LRU_BASE,	/* in the order of enum lru_list */
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_SLAB_RECLAIMABLE_B,
	NR_SLAB_UNRECLAIMABLE_B,
	NR_ISOLATED_ANON,
	NR_ISOLATED_FILE,
	WORKINGSET_NODES,
	WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_ANON = WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_FILE,
	WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_ANON = WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_FILE,
	WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_ANON = WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_FILE,
	WORKINGSET_NODERECLAIM,
	NR_ANON_MAPPED,		/* mapped anonymous pages */
	NR_FILE_MAPPED,		/* page-cache (and shmem) pages mapped by a PTE */
	NR_FILE_PAGES,		/* page cache, shmem and swap cache */
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_WRITEBACK_TEMP,
	NR_SHMEM,		/* shared anonymous (shmem) pages */
	NR_SHMEM_THPS,
	NR_SHMEM_PMDMAPPED,
	NR_FILE_THPS,
	NR_FILE_PMDMAPPED,
	NR_ANON_THPS,
	NR_VMSCAN_WRITE,
	NR_VMSCAN_IMMEDIATE,
	NR_DIRTIED,		/* page dirtyings since boot */
	NR_WRITTEN,		/* page writings since boot */
	NR_THROTTLED_WRITTEN,
	NR_KERNEL_MISC_RECLAIMABLE,
	NR_FOLL_PIN_ACQUIRED,
	NR_FOLL_PIN_RELEASED,
	NR_KERNEL_STACK_KB,	/* KiB */
	NR_PAGETABLE,		/* page-table pages of processes and the kernel */
	NR_SECONDARY_PAGETABLE,
	NR_SWAPCACHE,
	PGDEMOTE_KSWAPD,
	PGDEMOTE_DIRECT,
	PGDEMOTE_KHUGEPAGED,
	NR_HUGETLB,
	NR_VM_NODE_STAT_ITEMS
};

/*
 * FOR_ALL_ZONES(): one event per zone type.  vmsim's zone_type enum has
 * every type for both arches (x86_64 has no HighMem, x86_32 no DMA32), so
 * item + zone index is the zone's counter; /proc/vmstat names only the
 * arch's zones (arch_zone_types()).
 */
#define FOR_ALL_ZONES(xx) xx##_DMA, xx##_DMA32, xx##_NORMAL, xx##_HIGH, xx##_MOVABLE

enum vm_event_item {
	PGPGIN, PGPGOUT, PSWPIN, PSWPOUT,
	FOR_ALL_ZONES(PGALLOC),
	FOR_ALL_ZONES(ALLOCSTALL),
	FOR_ALL_ZONES(PGSCAN_SKIP),
	PGFREE, PGACTIVATE, PGDEACTIVATE, PGLAZYFREE,
	PGFAULT, PGMAJFAULT,
	PGLAZYFREED,
	PGREFILL,
	PGREUSE,
	PGSTEAL_KSWAPD,
	PGSTEAL_DIRECT,
	PGSTEAL_KHUGEPAGED,
	PGSCAN_KSWAPD,
	PGSCAN_DIRECT,
	PGSCAN_KHUGEPAGED,
	PGSCAN_DIRECT_THROTTLE,
	PGSCAN_ANON,
	PGSCAN_FILE,
	PGSTEAL_ANON,
	PGSTEAL_FILE,
	PGSCAN_ZONE_RECLAIM_SUCCESS,
	PGSCAN_ZONE_RECLAIM_FAILED,
	PGINODESTEAL, SLABS_SCANNED, KSWAPD_INODESTEAL,
	KSWAPD_LOW_WMARK_HIT_QUICKLY, KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	PAGEOUTRUN, PGROTATED,
	DROP_PAGECACHE, DROP_SLAB,
	OOM_KILL,
	UNEVICTABLE_PGCULLED,
	UNEVICTABLE_PGSCANNED,
	UNEVICTABLE_PGRESCUED,
	UNEVICTABLE_PGMLOCKED,
	UNEVICTABLE_PGMUNLOCKED,
	UNEVICTABLE_PGCLEARED,
	UNEVICTABLE_PGSTRANDED,
	THP_FAULT_ALLOC,
	THP_FAULT_FALLBACK,
	THP_FAULT_FALLBACK_CHARGE,
	THP_COLLAPSE_ALLOC,
	THP_COLLAPSE_ALLOC_FAILED,
	THP_FILE_ALLOC,
	THP_FILE_FALLBACK,
	THP_FILE_FALLBACK_CHARGE,
	THP_FILE_MAPPED,
	THP_SPLIT_PAGE,
	THP_SPLIT_PAGE_FAILED,
	THP_DEFERRED_SPLIT_PAGE,
	THP_UNDERUSED_SPLIT_PAGE,
	THP_SPLIT_PMD,
	THP_SCAN_EXCEED_NONE_PTE,
	THP_SCAN_EXCEED_SWAP_PTE,
	THP_SCAN_EXCEED_SHARED_PTE,
	THP_SPLIT_PUD,
	THP_ZERO_PAGE_ALLOC,
	THP_ZERO_PAGE_ALLOC_FAILED,
	THP_SWPOUT,
	THP_SWPOUT_FALLBACK,
	SWAP_RA,
	SWAP_RA_HIT,
	SWPIN_ZERO,
	SWPOUT_ZERO,
	NR_VM_EVENT_ITEMS
};

/*
 * The names /proc/vmstat prints (mm/vmstat.c vmstat_text), one per item,
 * and whether the simulator maintains the item (a view prints only the
 * kept ones).  The per-zone events (pgalloc_dma, allocstall_normal, ...)
 * are named whole.
 */
const char *zone_stat_name(enum zone_stat_item item);
const char *node_stat_name(enum node_stat_item item);
const char *vm_event_name(enum vm_event_item item);
bool zone_stat_kept(enum zone_stat_item item);
bool node_stat_kept(enum node_stat_item item);
bool vm_event_kept(enum vm_event_item item);

#endif
