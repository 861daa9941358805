/*
 * The kernel's memory statistics (include/linux/mmzone.h node_stat_item
 * and zone_stat_item, include/linux/vm_event_item.h, mm/vmstat.c): gauges
 * per node and per zone, and event counters per machine, each under the
 * name /proc/vmstat prints it (vmstat_name()).
 *
 * Invariant: a gauge equals what it counts at any moment between two
 * operations (the LRU sizes equal the pages on each list, NR_SWAPCACHE the
 * pages in the swap cache, ...); the checkers recount them.  Events only
 * grow.  Items vmsim does not model are left out of the enums rather than
 * printed as zeros.
 */
#ifndef VMSIM_PHYS_VMSTAT_H
#define VMSIM_PHYS_VMSTAT_H

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

/* Per-zone gauges (zone->vm_stat); NR_FREE_PAGES is zone->free_pages. */
enum zone_stat_item {
	NR_ZONE_LRU_BASE,		/* used only for compile-time arithmetic */
	NR_ZONE_INACTIVE_ANON = NR_ZONE_LRU_BASE,
	NR_ZONE_ACTIVE_ANON,
	NR_ZONE_INACTIVE_FILE,
	NR_ZONE_ACTIVE_FILE,
	NR_ZONE_UNEVICTABLE,
	NR_ZONE_WRITE_PENDING,		/* dirty + under writeback */
	NR_VM_ZONE_STAT_ITEMS
};

/* Per-node gauges (pgdat->vm_stat), and per lruvec for those an lruvec
 * counts (the LRU sizes, WORKINGSET_*). */
enum node_stat_item {
	NR_LRU_BASE,
	NR_INACTIVE_ANON = NR_LRU_BASE,	/* must match order of LRU_[IN]ACTIVE */
	NR_ACTIVE_ANON,
	NR_INACTIVE_FILE,
	NR_ACTIVE_FILE,
	NR_UNEVICTABLE,
	NR_ISOLATED_ANON,		/* taken off the LRU by reclaim */
	NR_ISOLATED_FILE,
	WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_ANON = WORKINGSET_REFAULT_BASE,
	WORKINGSET_REFAULT_FILE,
	WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_ANON = WORKINGSET_ACTIVATE_BASE,
	WORKINGSET_ACTIVATE_FILE,
	WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_ANON = WORKINGSET_RESTORE_BASE,
	WORKINGSET_RESTORE_FILE,
	NR_FILE_PAGES,			/* page cache + swap cache + shmem (Cached + ...) */
	NR_FILE_DIRTY,
	NR_WRITEBACK,
	NR_SHMEM,			/* shmem pages (included in NR_FILE_PAGES) */
	NR_VMSCAN_WRITE,		/* pages reclaim wrote out */
	NR_VMSCAN_IMMEDIATE,		/* dirty pages flagged for reclaim once clean */
	NR_DIRTIED,			/* pages that became dirty (ever) */
	NR_WRITTEN,			/* pages written back (ever) */
	NR_SWAPCACHE,
	NR_VM_NODE_STAT_ITEMS
};

/* Events (pm->vmstat.event[]); pgalloc_*, pgfree and the zone-indexed
 * allocstall_* / pgskip_* are kept beside them. */
enum vm_event_item {
	PGPGIN, PGPGOUT, PSWPIN, PSWPOUT,
	PGACTIVATE, PGDEACTIVATE, PGLAZYFREE,
	PGFAULT, PGMAJFAULT, PGLAZYFREED,
	PGREFILL, PGREUSE,
	PGSTEAL_KSWAPD, PGSTEAL_DIRECT,
	PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSCAN_DIRECT_THROTTLE,
	PGSCAN_ANON, PGSCAN_FILE, PGSTEAL_ANON, PGSTEAL_FILE,
	KSWAPD_LOW_WMARK_HIT_QUICKLY, KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	PAGEOUTRUN, PGROTATED,
	DROP_PAGECACHE,
	OOM_KILL,
	UNEVICTABLE_PGCULLED, UNEVICTABLE_PGSCANNED, UNEVICTABLE_PGRESCUED,
	UNEVICTABLE_PGMLOCKED, UNEVICTABLE_PGMUNLOCKED, UNEVICTABLE_PGCLEARED,
	THP_SPLIT_PAGE, THP_SPLIT_PAGE_FAILED, THP_SWPOUT_FALLBACK,
	NR_TLB_REMOTE_FLUSH, NR_TLB_REMOTE_FLUSH_RECEIVED,	/* CONFIG_DEBUG_TLBFLUSH */
	NR_TLB_LOCAL_FLUSH_ALL, NR_TLB_LOCAL_FLUSH_ONE,
	SWAP_RA, SWAP_RA_HIT,
	NR_VM_EVENT_ITEMS
};

/* /proc/vmstat names (mm/vmstat.c vmstat_text). */
extern const char *const zone_stat_name[NR_VM_ZONE_STAT_ITEMS];
extern const char *const node_stat_name[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_name[NR_VM_EVENT_ITEMS];
/* The zone part of pgalloc_dma, allocstall_dma32, ... (TEXTS_FOR_ZONES),
 * indexed by enum zone_type. */
extern const char *const zone_vmstat_name[];

#endif
