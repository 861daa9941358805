/*
 * The names /proc/vmstat prints for each statistic (mm/vmstat.c
 * vmstat_text), indexed by the enums of phys/vmstat.h, and the lookup of a
 * statistic by that name.  Invariant: one name per item, none missing (the
 * arrays are sized by the enums and a test walks them for NULLs).
 */
#include "phys/vmstat.h"

#include <errno.h>
#include <string.h>

#include "phys/mmzone.h"

const char *const zone_stat_name[NR_VM_ZONE_STAT_ITEMS] = {
	[NR_ZONE_INACTIVE_ANON] = "nr_zone_inactive_anon",
	[NR_ZONE_ACTIVE_ANON] = "nr_zone_active_anon",
	[NR_ZONE_INACTIVE_FILE] = "nr_zone_inactive_file",
	[NR_ZONE_ACTIVE_FILE] = "nr_zone_active_file",
	[NR_ZONE_UNEVICTABLE] = "nr_zone_unevictable",
	[NR_ZONE_WRITE_PENDING] = "nr_zone_write_pending",
};

const char *const node_stat_name[NR_VM_NODE_STAT_ITEMS] = {
	[NR_INACTIVE_ANON] = "nr_inactive_anon",
	[NR_ACTIVE_ANON] = "nr_active_anon",
	[NR_INACTIVE_FILE] = "nr_inactive_file",
	[NR_ACTIVE_FILE] = "nr_active_file",
	[NR_UNEVICTABLE] = "nr_unevictable",
	[NR_ISOLATED_ANON] = "nr_isolated_anon",
	[NR_ISOLATED_FILE] = "nr_isolated_file",
	[WORKINGSET_REFAULT_ANON] = "workingset_refault_anon",
	[WORKINGSET_REFAULT_FILE] = "workingset_refault_file",
	[WORKINGSET_ACTIVATE_ANON] = "workingset_activate_anon",
	[WORKINGSET_ACTIVATE_FILE] = "workingset_activate_file",
	[WORKINGSET_RESTORE_ANON] = "workingset_restore_anon",
	[WORKINGSET_RESTORE_FILE] = "workingset_restore_file",
	[NR_FILE_PAGES] = "nr_file_pages",
	[NR_FILE_DIRTY] = "nr_dirty",
	[NR_WRITEBACK] = "nr_writeback",
	[NR_SHMEM] = "nr_shmem",
	[NR_VMSCAN_WRITE] = "nr_vmscan_write",
	[NR_VMSCAN_IMMEDIATE] = "nr_vmscan_immediate_reclaim",
	[NR_DIRTIED] = "nr_dirtied",
	[NR_WRITTEN] = "nr_written",
	[NR_SWAPCACHE] = "nr_swapcached",
};

const char *const vm_event_name[NR_VM_EVENT_ITEMS] = {
	[PGPGIN] = "pgpgin",
	[PGPGOUT] = "pgpgout",
	[PSWPIN] = "pswpin",
	[PSWPOUT] = "pswpout",
	[PGACTIVATE] = "pgactivate",
	[PGDEACTIVATE] = "pgdeactivate",
	[PGLAZYFREE] = "pglazyfree",
	[PGFAULT] = "pgfault",
	[PGMAJFAULT] = "pgmajfault",
	[PGLAZYFREED] = "pglazyfreed",
	[PGREFILL] = "pgrefill",
	[PGREUSE] = "pgreuse",
	[PGSTEAL_KSWAPD] = "pgsteal_kswapd",
	[PGSTEAL_DIRECT] = "pgsteal_direct",
	[PGSCAN_KSWAPD] = "pgscan_kswapd",
	[PGSCAN_DIRECT] = "pgscan_direct",
	[PGSCAN_DIRECT_THROTTLE] = "pgscan_direct_throttle",
	[PGSCAN_ANON] = "pgscan_anon",
	[PGSCAN_FILE] = "pgscan_file",
	[PGSTEAL_ANON] = "pgsteal_anon",
	[PGSTEAL_FILE] = "pgsteal_file",
	[KSWAPD_LOW_WMARK_HIT_QUICKLY] = "kswapd_low_wmark_hit_quickly",
	[KSWAPD_HIGH_WMARK_HIT_QUICKLY] = "kswapd_high_wmark_hit_quickly",
	[PAGEOUTRUN] = "pageoutrun",
	[PGROTATED] = "pgrotated",
	[DROP_PAGECACHE] = "drop_pagecache",
	[OOM_KILL] = "oom_kill",
	[UNEVICTABLE_PGCULLED] = "unevictable_pgs_culled",
	[UNEVICTABLE_PGSCANNED] = "unevictable_pgs_scanned",
	[UNEVICTABLE_PGRESCUED] = "unevictable_pgs_rescued",
	[UNEVICTABLE_PGMLOCKED] = "unevictable_pgs_mlocked",
	[UNEVICTABLE_PGMUNLOCKED] = "unevictable_pgs_munlocked",
	[UNEVICTABLE_PGCLEARED] = "unevictable_pgs_cleared",
	[THP_SPLIT_PAGE] = "thp_split_page",
	[THP_SPLIT_PAGE_FAILED] = "thp_split_page_failed",
	[THP_SWPOUT_FALLBACK] = "thp_swpout_fallback",
	[SWAP_RA] = "swap_ra",
	[SWAP_RA_HIT] = "swap_ra_hit",
	[NR_TLB_REMOTE_FLUSH] = "nr_tlb_remote_flush",
	[NR_TLB_REMOTE_FLUSH_RECEIVED] = "nr_tlb_remote_flush_received",
	[NR_TLB_LOCAL_FLUSH_ALL] = "nr_tlb_local_flush_all",
	[NR_TLB_LOCAL_FLUSH_ONE] = "nr_tlb_local_flush_one",
};

/* The zone part of pgalloc_*, allocstall_*, pgskip_* (TEXTS_FOR_ZONES). */
const char *const zone_vmstat_name[MAX_NR_ZONES] = {
	[ZONE_DMA] = "dma", [ZONE_DMA32] = "dma32", [ZONE_NORMAL] = "normal",
	[ZONE_HIGHMEM] = "high", [ZONE_MOVABLE] = "movable",
};

/* @name is @prefix followed by a zone's vmstat name: that zone's index. */
static int zone_suffix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n))
		return -1;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (strcmp(name + n, zone_vmstat_name[z]) == 0)
			return z;
	return -1;
}

int vmstat_read(const struct phys_mem *pm, const char *name, unsigned long *out)
{
	int z;

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++) {
		long sum = 0;

		if (strcmp(name, zone_stat_name[i]))
			continue;
		for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
			for (int t = 0; t < MAX_NR_ZONES; t++)
				sum += pm->node_data[nid].node_zones[t].vm_stat[i];
		*out = sum > 0 ? (unsigned long)sum : 0;
		return 0;
	}
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (strcmp(name, node_stat_name[i]) == 0) {
			*out = global_node_page_state(pm, (enum node_stat_item)i);
			return 0;
		}
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (strcmp(name, vm_event_name[i]) == 0) {
			*out = pm->vmstat.event[i];
			return 0;
		}
	if (strcmp(name, "nr_free_pages") == 0) {
		*out = nr_free_pages(pm);
		return 0;
	}
	if (strcmp(name, "pgfree") == 0) {
		*out = pm->vmstat.pgfree;
		return 0;
	}
	if ((z = zone_suffix(name, "pgalloc_")) >= 0) {
		*out = pm->vmstat.pgalloc[z];
		return 0;
	}
	if ((z = zone_suffix(name, "allocstall_")) >= 0) {
		*out = pm->vmstat.allocstall[z];
		return 0;
	}
	if ((z = zone_suffix(name, "pgskip_")) >= 0) {
		*out = pm->vmstat.pgskip[z];
		return 0;
	}
	return -ENOENT;
}
