/*
 * The kernel's statistics by name (mm/vmstat.c vmstat_text, Linux 6.12
 * x86), indexed by the enums of phys/vmstat.h so that a name cannot drift
 * from its counter, and the lookup of a statistic by that name.
 *
 * `kept` says the simulator maintains the counter: either some code moves
 * it, or the machine has no such thing at all, so that the kernel's own
 * value would be 0 too (no bounce buffers, no CMA, no hugetlb pool, no
 * pinned user pages).  Counters of parts the simulator does not model
 * (NUMA balancing, compaction, migration) are not in the tables; the
 * others are listed and printed once the code that maintains them sets
 * `kept`.  Invariant: one name per item, none missing (the arrays are
 * sized by the enums and a test walks them for NULLs).
 */
#include "phys/vmstat.h"

#include <errno.h>
#include <string.h>

#include "phys/mmzone.h"

struct vmstat_name {
	const char *name;
	bool kept;
};

#define K(n) { n, true }	/* maintained (or 0 by construction) */
#define U(n) { n, false }	/* not maintained yet */

static const struct vmstat_name zone_names[NR_VM_ZONE_STAT_ITEMS] = {
	[NR_FREE_PAGES] = K("nr_free_pages"),
	[NR_ZONE_INACTIVE_ANON] = K("nr_zone_inactive_anon"),
	[NR_ZONE_ACTIVE_ANON] = K("nr_zone_active_anon"),
	[NR_ZONE_INACTIVE_FILE] = K("nr_zone_inactive_file"),
	[NR_ZONE_ACTIVE_FILE] = K("nr_zone_active_file"),
	[NR_ZONE_UNEVICTABLE] = K("nr_zone_unevictable"),
	[NR_ZONE_WRITE_PENDING] = K("nr_zone_write_pending"),
	[NR_MLOCK] = K("nr_mlock"),
	[NR_BOUNCE] = K("nr_bounce"),
	[NR_FREE_CMA_PAGES] = K("nr_free_cma"),
};

static const struct vmstat_name node_names[NR_VM_NODE_STAT_ITEMS] = {
	[NR_INACTIVE_ANON] = K("nr_inactive_anon"),
	[NR_ACTIVE_ANON] = K("nr_active_anon"),
	[NR_INACTIVE_FILE] = K("nr_inactive_file"),
	[NR_ACTIVE_FILE] = K("nr_active_file"),
	[NR_UNEVICTABLE] = K("nr_unevictable"),
	[NR_SLAB_RECLAIMABLE_B] = K("nr_slab_reclaimable"),
	[NR_SLAB_UNRECLAIMABLE_B] = K("nr_slab_unreclaimable"),
	[NR_ISOLATED_ANON] = K("nr_isolated_anon"),
	[NR_ISOLATED_FILE] = K("nr_isolated_file"),
	[WORKINGSET_NODES] = U("workingset_nodes"),
	[WORKINGSET_REFAULT_ANON] = K("workingset_refault_anon"),
	[WORKINGSET_REFAULT_FILE] = K("workingset_refault_file"),
	[WORKINGSET_ACTIVATE_ANON] = K("workingset_activate_anon"),
	[WORKINGSET_ACTIVATE_FILE] = K("workingset_activate_file"),
	[WORKINGSET_RESTORE_ANON] = K("workingset_restore_anon"),
	[WORKINGSET_RESTORE_FILE] = K("workingset_restore_file"),
	[WORKINGSET_NODERECLAIM] = U("workingset_nodereclaim"),
	[NR_ANON_MAPPED] = K("nr_anon_pages"),
	[NR_FILE_MAPPED] = K("nr_mapped"),
	[NR_FILE_PAGES] = K("nr_file_pages"),
	[NR_FILE_DIRTY] = K("nr_dirty"),
	[NR_WRITEBACK] = K("nr_writeback"),
	[NR_WRITEBACK_TEMP] = K("nr_writeback_temp"),
	[NR_SHMEM] = K("nr_shmem"),
	[NR_SHMEM_THPS] = K("nr_shmem_hugepages"),
	[NR_SHMEM_PMDMAPPED] = K("nr_shmem_pmdmapped"),
	[NR_FILE_THPS] = K("nr_file_hugepages"),
	[NR_FILE_PMDMAPPED] = K("nr_file_pmdmapped"),
	[NR_ANON_THPS] = K("nr_anon_transparent_hugepages"),
	[NR_VMSCAN_WRITE] = K("nr_vmscan_write"),
	[NR_VMSCAN_IMMEDIATE] = K("nr_vmscan_immediate_reclaim"),
	[NR_DIRTIED] = K("nr_dirtied"),
	[NR_WRITTEN] = K("nr_written"),
	[NR_THROTTLED_WRITTEN] = U("nr_throttled_written"),
	[NR_KERNEL_MISC_RECLAIMABLE] = K("nr_kernel_misc_reclaimable"),
	[NR_FOLL_PIN_ACQUIRED] = K("nr_foll_pin_acquired"),
	[NR_FOLL_PIN_RELEASED] = K("nr_foll_pin_released"),
	[NR_KERNEL_STACK_KB] = K("nr_kernel_stack"),
	[NR_PAGETABLE] = K("nr_page_table_pages"),
	[NR_SECONDARY_PAGETABLE] = K("nr_sec_page_table_pages"),
	[NR_SWAPCACHE] = K("nr_swapcached"),
	[PGDEMOTE_KSWAPD] = K("pgdemote_kswapd"),
	[PGDEMOTE_DIRECT] = K("pgdemote_direct"),
	[PGDEMOTE_KHUGEPAGED] = K("pgdemote_khugepaged"),
	[NR_HUGETLB] = K("nr_hugetlb"),
};

/* pgalloc_*, allocstall_*, pgskip_*: one name per zone type; only the
 * arch's zones are printed */
#define ZONE_EVENTS(E, n, kept) \
	[E##_DMA] = { n "_dma", kept }, [E##_DMA32] = { n "_dma32", kept }, \
	[E##_NORMAL] = { n "_normal", kept }, [E##_HIGH] = { n "_high", kept }, \
	[E##_MOVABLE] = { n "_movable", kept }

static const struct vmstat_name event_names[NR_VM_EVENT_ITEMS] = {
	[PGPGIN] = K("pgpgin"),
	[PGPGOUT] = K("pgpgout"),
	[PSWPIN] = K("pswpin"),
	[PSWPOUT] = K("pswpout"),
	ZONE_EVENTS(PGALLOC, "pgalloc", true),
	ZONE_EVENTS(ALLOCSTALL, "allocstall", true),
	ZONE_EVENTS(PGSCAN_SKIP, "pgskip", true),
	[PGFREE] = K("pgfree"),
	[PGACTIVATE] = K("pgactivate"),
	[PGDEACTIVATE] = K("pgdeactivate"),
	[PGLAZYFREE] = K("pglazyfree"),
	[PGFAULT] = K("pgfault"),
	[PGMAJFAULT] = K("pgmajfault"),
	[PGLAZYFREED] = K("pglazyfreed"),
	[PGREFILL] = K("pgrefill"),
	[PGREUSE] = K("pgreuse"),
	[PGSTEAL_KSWAPD] = K("pgsteal_kswapd"),
	[PGSTEAL_DIRECT] = K("pgsteal_direct"),
	[PGSTEAL_KHUGEPAGED] = U("pgsteal_khugepaged"),
	[PGSCAN_KSWAPD] = K("pgscan_kswapd"),
	[PGSCAN_DIRECT] = K("pgscan_direct"),
	[PGSCAN_KHUGEPAGED] = U("pgscan_khugepaged"),
	[PGSCAN_DIRECT_THROTTLE] = K("pgscan_direct_throttle"),
	[PGSCAN_ANON] = K("pgscan_anon"),
	[PGSCAN_FILE] = K("pgscan_file"),
	[PGSTEAL_ANON] = K("pgsteal_anon"),
	[PGSTEAL_FILE] = K("pgsteal_file"),
	[PGSCAN_ZONE_RECLAIM_SUCCESS] = U("zone_reclaim_success"),
	[PGSCAN_ZONE_RECLAIM_FAILED] = U("zone_reclaim_failed"),
	[PGINODESTEAL] = U("pginodesteal"),
	[SLABS_SCANNED] = U("slabs_scanned"),
	[KSWAPD_INODESTEAL] = U("kswapd_inodesteal"),
	[KSWAPD_LOW_WMARK_HIT_QUICKLY] = K("kswapd_low_wmark_hit_quickly"),
	[KSWAPD_HIGH_WMARK_HIT_QUICKLY] = K("kswapd_high_wmark_hit_quickly"),
	[PAGEOUTRUN] = K("pageoutrun"),
	[PGROTATED] = K("pgrotated"),
	[DROP_PAGECACHE] = K("drop_pagecache"),
	[DROP_SLAB] = U("drop_slab"),
	[OOM_KILL] = K("oom_kill"),
	[UNEVICTABLE_PGCULLED] = K("unevictable_pgs_culled"),
	[UNEVICTABLE_PGSCANNED] = K("unevictable_pgs_scanned"),
	[UNEVICTABLE_PGRESCUED] = K("unevictable_pgs_rescued"),
	[UNEVICTABLE_PGMLOCKED] = K("unevictable_pgs_mlocked"),
	[UNEVICTABLE_PGMUNLOCKED] = K("unevictable_pgs_munlocked"),
	[UNEVICTABLE_PGCLEARED] = K("unevictable_pgs_cleared"),
	[UNEVICTABLE_PGSTRANDED] = U("unevictable_pgs_stranded"),
	[THP_FAULT_ALLOC] = K("thp_fault_alloc"),
	[THP_FAULT_FALLBACK] = K("thp_fault_fallback"),
	[THP_FAULT_FALLBACK_CHARGE] = K("thp_fault_fallback_charge"),
	[THP_COLLAPSE_ALLOC] = U("thp_collapse_alloc"),
	[THP_COLLAPSE_ALLOC_FAILED] = U("thp_collapse_alloc_failed"),
	[THP_FILE_ALLOC] = U("thp_file_alloc"),
	[THP_FILE_FALLBACK] = U("thp_file_fallback"),
	[THP_FILE_FALLBACK_CHARGE] = U("thp_file_fallback_charge"),
	[THP_FILE_MAPPED] = U("thp_file_mapped"),
	[THP_SPLIT_PAGE] = K("thp_split_page"),
	[THP_SPLIT_PAGE_FAILED] = K("thp_split_page_failed"),
	[THP_DEFERRED_SPLIT_PAGE] = U("thp_deferred_split_page"),
	[THP_UNDERUSED_SPLIT_PAGE] = U("thp_underused_split_page"),
	[THP_SPLIT_PMD] = K("thp_split_pmd"),
	[THP_SCAN_EXCEED_NONE_PTE] = U("thp_scan_exceed_none_pte"),
	[THP_SCAN_EXCEED_SWAP_PTE] = U("thp_scan_exceed_swap_pte"),
	[THP_SCAN_EXCEED_SHARED_PTE] = U("thp_scan_exceed_share_pte"),
	[THP_SPLIT_PUD] = U("thp_split_pud"),
	[THP_ZERO_PAGE_ALLOC] = K("thp_zero_page_alloc"),
	[THP_ZERO_PAGE_ALLOC_FAILED] = K("thp_zero_page_alloc_failed"),
	[THP_SWPOUT] = U("thp_swpout"),
	[THP_SWPOUT_FALLBACK] = K("thp_swpout_fallback"),
	[SWAP_RA] = K("swap_ra"),
	[SWAP_RA_HIT] = K("swap_ra_hit"),
	[SWPIN_ZERO] = U("swpin_zero"),
	[SWPOUT_ZERO] = U("swpout_zero"),
};


#undef K
#undef U

const char *zone_stat_name(enum zone_stat_item item)
{
	return zone_names[item].name;
}

const char *node_stat_name(enum node_stat_item item)
{
	return node_names[item].name;
}

const char *vm_event_name(enum vm_event_item item)
{
	return event_names[item].name;
}

bool zone_stat_kept(enum zone_stat_item item)
{
	return zone_names[item].kept;
}

bool node_stat_kept(enum node_stat_item item)
{
	return node_names[item].kept;
}

bool vm_event_kept(enum vm_event_item item)
{
	return event_names[item].kept;
}

int vmstat_read(const struct phys_mem *pm, const char *name, unsigned long *out)
{
	for (unsigned i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (zone_names[i].kept && strcmp(name, zone_names[i].name) == 0) {
			*out = global_zone_page_state(pm, (enum zone_stat_item)i);
			return 0;
		}
	for (unsigned i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_names[i].kept && strcmp(name, node_names[i].name) == 0) {
			*out = global_node_page_state(pm, (enum node_stat_item)i);
			return 0;
		}
	for (unsigned i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (event_names[i].kept && strcmp(name, event_names[i].name) == 0) {
			*out = pm->vmstat.event[i];
			return 0;
		}
	return -ENOENT;
}
