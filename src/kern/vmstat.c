/*
 * The kernel's statistics by name (mm/vmstat.c vmstat_text, Linux 6.12
 * x86) and /proc/vmstat (vmstat_start()/vmstat_show()).
 *
 * Every item of phys/vmstat.h has an entry here, indexed by its enum so
 * that a name cannot drift from its counter.  `kept` says the simulator
 * maintains the counter: either some code moves it, or the machine has
 * no such thing at all, so that the kernel's own value would be 0 too
 * (no bounce buffers, no CMA, no hugetlb pool, no pinned user pages).
 * Counters of parts the simulator does not model (NUMA balancing,
 * compaction, migration) are not in the tables; items that belong to
 * reclaim, swap, mlock and THP are listed and printed once the code
 * that maintains them sets `kept`.  A view prints the kept items only,
 * in the kernel's order, each with the value every other view shows.
 */
#include "kern/vmstat.h"

#include "kern/machine.h"
#include "kern/views.h"

struct vmstat_name {
	const char *name;
	bool kept;
};

#define K(n) { n, true }	/* maintained (or 0 by construction) */
#define U(n) { n, false }	/* not maintained yet */

static const struct vmstat_name zone_names[NR_VM_ZONE_STAT_ITEMS] = {
	[NR_FREE_PAGES] = K("nr_free_pages"),
	[NR_ZONE_INACTIVE_ANON] = U("nr_zone_inactive_anon"),
	[NR_ZONE_ACTIVE_ANON] = U("nr_zone_active_anon"),
	[NR_ZONE_INACTIVE_FILE] = U("nr_zone_inactive_file"),
	[NR_ZONE_ACTIVE_FILE] = U("nr_zone_active_file"),
	[NR_ZONE_UNEVICTABLE] = U("nr_zone_unevictable"),
	[NR_ZONE_WRITE_PENDING] = K("nr_zone_write_pending"),
	[NR_MLOCK] = K("nr_mlock"),
	[NR_BOUNCE] = K("nr_bounce"),
	[NR_FREE_CMA_PAGES] = K("nr_free_cma"),
};

static const struct vmstat_name node_names[NR_VM_NODE_STAT_ITEMS] = {
	[NR_INACTIVE_ANON] = U("nr_inactive_anon"),
	[NR_ACTIVE_ANON] = U("nr_active_anon"),
	[NR_INACTIVE_FILE] = U("nr_inactive_file"),
	[NR_ACTIVE_FILE] = U("nr_active_file"),
	[NR_UNEVICTABLE] = U("nr_unevictable"),
	[NR_SLAB_RECLAIMABLE_B] = K("nr_slab_reclaimable"),
	[NR_SLAB_UNRECLAIMABLE_B] = K("nr_slab_unreclaimable"),
	[NR_ISOLATED_ANON] = U("nr_isolated_anon"),
	[NR_ISOLATED_FILE] = U("nr_isolated_file"),
	[WORKINGSET_NODES] = U("workingset_nodes"),
	[WORKINGSET_REFAULT_ANON] = U("workingset_refault_anon"),
	[WORKINGSET_REFAULT_FILE] = U("workingset_refault_file"),
	[WORKINGSET_ACTIVATE_ANON] = U("workingset_activate_anon"),
	[WORKINGSET_ACTIVATE_FILE] = U("workingset_activate_file"),
	[WORKINGSET_RESTORE_ANON] = U("workingset_restore_anon"),
	[WORKINGSET_RESTORE_FILE] = U("workingset_restore_file"),
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
	[NR_VMSCAN_WRITE] = U("nr_vmscan_write"),
	[NR_VMSCAN_IMMEDIATE] = U("nr_vmscan_immediate_reclaim"),
	[NR_DIRTIED] = K("nr_dirtied"),
	[NR_WRITTEN] = U("nr_written"),
	[NR_THROTTLED_WRITTEN] = U("nr_throttled_written"),
	[NR_KERNEL_MISC_RECLAIMABLE] = K("nr_kernel_misc_reclaimable"),
	[NR_FOLL_PIN_ACQUIRED] = K("nr_foll_pin_acquired"),
	[NR_FOLL_PIN_RELEASED] = K("nr_foll_pin_released"),
	[NR_KERNEL_STACK_KB] = K("nr_kernel_stack"),
	[NR_PAGETABLE] = K("nr_page_table_pages"),
	[NR_SECONDARY_PAGETABLE] = K("nr_sec_page_table_pages"),
	[NR_SWAPCACHE] = U("nr_swapcached"),
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
	[PGPGIN] = U("pgpgin"),
	[PGPGOUT] = U("pgpgout"),
	[PSWPIN] = U("pswpin"),
	[PSWPOUT] = U("pswpout"),
	ZONE_EVENTS(PGALLOC, "pgalloc", true),
	ZONE_EVENTS(ALLOCSTALL, "allocstall", false),
	ZONE_EVENTS(PGSCAN_SKIP, "pgskip", false),
	[PGFREE] = K("pgfree"),
	[PGACTIVATE] = U("pgactivate"),
	[PGDEACTIVATE] = U("pgdeactivate"),
	[PGLAZYFREE] = U("pglazyfree"),
	[PGFAULT] = K("pgfault"),
	[PGMAJFAULT] = K("pgmajfault"),
	[PGLAZYFREED] = U("pglazyfreed"),
	[PGREFILL] = U("pgrefill"),
	[PGREUSE] = K("pgreuse"),
	[PGSTEAL_KSWAPD] = U("pgsteal_kswapd"),
	[PGSTEAL_DIRECT] = U("pgsteal_direct"),
	[PGSTEAL_KHUGEPAGED] = U("pgsteal_khugepaged"),
	[PGSCAN_KSWAPD] = U("pgscan_kswapd"),
	[PGSCAN_DIRECT] = U("pgscan_direct"),
	[PGSCAN_KHUGEPAGED] = U("pgscan_khugepaged"),
	[PGSCAN_DIRECT_THROTTLE] = U("pgscan_direct_throttle"),
	[PGSCAN_ANON] = U("pgscan_anon"),
	[PGSCAN_FILE] = U("pgscan_file"),
	[PGSTEAL_ANON] = U("pgsteal_anon"),
	[PGSTEAL_FILE] = U("pgsteal_file"),
	[PGSCAN_ZONE_RECLAIM_SUCCESS] = U("zone_reclaim_success"),
	[PGSCAN_ZONE_RECLAIM_FAILED] = U("zone_reclaim_failed"),
	[PGINODESTEAL] = U("pginodesteal"),
	[SLABS_SCANNED] = U("slabs_scanned"),
	[KSWAPD_INODESTEAL] = U("kswapd_inodesteal"),
	[KSWAPD_LOW_WMARK_HIT_QUICKLY] = U("kswapd_low_wmark_hit_quickly"),
	[KSWAPD_HIGH_WMARK_HIT_QUICKLY] = U("kswapd_high_wmark_hit_quickly"),
	[PAGEOUTRUN] = U("pageoutrun"),
	[PGROTATED] = U("pgrotated"),
	[DROP_PAGECACHE] = U("drop_pagecache"),
	[DROP_SLAB] = U("drop_slab"),
	[OOM_KILL] = K("oom_kill"),
	[UNEVICTABLE_PGCULLED] = U("unevictable_pgs_culled"),
	[UNEVICTABLE_PGSCANNED] = U("unevictable_pgs_scanned"),
	[UNEVICTABLE_PGRESCUED] = U("unevictable_pgs_rescued"),
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
	[THP_SPLIT_PAGE] = U("thp_split_page"),
	[THP_SPLIT_PAGE_FAILED] = U("thp_split_page_failed"),
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
	[THP_SWPOUT_FALLBACK] = U("thp_swpout_fallback"),
	[SWAP_RA] = U("swap_ra"),
	[SWAP_RA_HIT] = U("swap_ra_hit"),
	[SWPIN_ZERO] = U("swpin_zero"),
	[SWPOUT_ZERO] = U("swpout_zero"),
};

#undef K
#undef U

bool node_stat_kept(enum node_stat_item item)
{
	return node_names[item].kept;
}

bool vm_event_kept(enum vm_event_item item)
{
	return event_names[item].kept;
}

const char *vm_event_name(enum vm_event_item item)
{
	return event_names[item].name;
}

const char *node_stat_name(enum node_stat_item item)
{
	return node_names[item].name;
}

/* vmstat_item_print_in_thp(): these node items count huge pages */
static bool print_in_thp(enum node_stat_item item)
{
	return item == NR_ANON_THPS || item == NR_SHMEM_THPS || item == NR_SHMEM_PMDMAPPED ||
	       item == NR_FILE_THPS || item == NR_FILE_PMDMAPPED;
}

unsigned long node_page_state_output(const struct vmsim_machine *m, enum node_stat_item item,
				     unsigned long pages)
{
	/* HPAGE_PMD_NR: a PMD maps 2 MiB on x86_64, 4 MiB on 2-level x86_32 */
	if (print_in_thp(item))
		return pages / (config_is_64(&m->cfg) ? 512 : 1024);
	return pages;
}

/* highmem_dirtyable_memory(): free pages above the high watermark plus
 * file LRU pages of the HighMem zones, at most @total. */
static unsigned long highmem_dirtyable_memory(const struct phys_mem *pm, unsigned long total)
{
	unsigned long x = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		const struct zone *z = &pm->node_data[nid].node_zones[ZONE_HIGHMEM];
		unsigned long nr;

		if (!populated_zone(z))
			continue;
		nr = zone_page_state(z, NR_FREE_PAGES);
		nr -= nr < wmark_pages(z, WMARK_HIGH) ? nr : wmark_pages(z, WMARK_HIGH);
		nr += zone_page_state(z, NR_ZONE_INACTIVE_FILE);
		nr += zone_page_state(z, NR_ZONE_ACTIVE_FILE);
		x += nr;
	}
	return x < total ? x : total;
}

/* global_dirtyable_memory(): free pages not held back for the kernel,
 * plus the file LRU, minus highmem (vm.highmem_is_dirtyable is 0). */
static unsigned long global_dirtyable_memory(const struct phys_mem *pm)
{
	unsigned long x = global_zone_page_state(pm, NR_FREE_PAGES);

	x -= x < pm->totalreserve_pages ? x : pm->totalreserve_pages;
	x += global_node_page_state(pm, NR_INACTIVE_FILE);
	x += global_node_page_state(pm, NR_ACTIVE_FILE);
	x -= highmem_dirtyable_memory(pm, x);
	return x + 1;	/* never 0 */
}

void global_dirty_limits(const struct phys_mem *pm, unsigned long *pbackground,
			 unsigned long *pdirty)
{
	/* domain_dirty_limits(): the ratios in per-PAGE_SIZE units for
	 * precision; no vm.dirty_bytes, and the reader is no RT task */
	const unsigned long ratio = (20 * PAGE_SIZE) / 100, bg_ratio = (10 * PAGE_SIZE) / 100;
	unsigned long avail = global_dirtyable_memory(pm);
	unsigned long thresh = (ratio * avail) / PAGE_SIZE;
	unsigned long bg_thresh = (bg_ratio * avail) / PAGE_SIZE;

	if (thresh > 0xffffffffUL)
		thresh = 0xffffffffUL;
	if (bg_thresh >= thresh)
		bg_thresh = thresh / 2;
	*pbackground = bg_thresh;
	*pdirty = thresh;
}

void vmstat_for_each_zone_item(const struct zone *z, vmstat_fn fn, void *arg)
{
	for (unsigned i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (zone_names[i].kept)
			fn(arg, zone_names[i].name, zone_page_state(z, (enum zone_stat_item)i));
}

void vmstat_for_each_node_item(struct vmsim_machine *m, const struct pglist_data *pgdat,
			       vmstat_fn fn, void *arg)
{
	for (unsigned i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_names[i].kept)
			fn(arg, node_names[i].name,
			   node_page_state_output(m, (enum node_stat_item)i,
						  node_page_state(pgdat, (enum node_stat_item)i)));
}

/* Is event @i a per-zone event of a zone type this arch does not have? */
static bool foreign_zone_event(const struct phys_mem *pm, unsigned i)
{
	static const enum vm_event_item bases[] = { PGALLOC_DMA, ALLOCSTALL_DMA, PGSCAN_SKIP_DMA };
	enum zone_type types[MAX_NR_ZONES];
	unsigned n = arch_zone_types(pm, types);

	for (unsigned b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		if (i < bases[b] || i >= bases[b] + MAX_NR_ZONES)
			continue;
		for (unsigned k = 0; k < n; k++)
			if (types[k] == i - bases[b])
				return false;
		return true;
	}
	return false;
}

void vmstat_for_each(struct vmsim_machine *m, vmstat_fn fn, void *arg)
{
	struct phys_mem *pm = &m->pm;
	unsigned long bg, dirty;

	for (unsigned i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (zone_names[i].kept)
			fn(arg, zone_names[i].name,
			   global_zone_page_state(pm, (enum zone_stat_item)i));
	for (unsigned i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_names[i].kept)
			fn(arg, node_names[i].name,
			   node_page_state_output(m, (enum node_stat_item)i,
						  global_node_page_state(pm, (enum node_stat_item)i)));
	/* enum vm_stat_item: the dirty thresholds (the memmap counters are
	 * left out: mem_map lives in host memory) */
	global_dirty_limits(pm, &bg, &dirty);
	fn(arg, "nr_dirty_threshold", dirty);
	fn(arg, "nr_dirty_background_threshold", bg);
	for (unsigned i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (event_names[i].kept && !foreign_zone_event(pm, i))
			fn(arg, event_names[i].name, pm->vmstat.event[i]);
	/* vmstat_show(): deprecated counters kept for userspace */
	fn(arg, "nr_unstable", 0);
}

/* ---- /proc/vmstat ---- */

struct vmstat_out {
	struct json_writer *jw;
	struct strbuf *sb;
};

static void vmstat_line(void *arg, const char *name, unsigned long value)
{
	struct vmstat_out *o = arg;

	if (o->jw)
		json_key_u64(o->jw, name, value);
	else
		sb_printf(o->sb, "%s %lu\n", name, value);
}

static int view_vmstat(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		       struct strbuf *sb)
{
	struct vmstat_out o = { jw, sb };

	(void)a;
	if (jw)
		json_object_begin(jw);
	vmstat_for_each(m, vmstat_line, &o);
	if (jw)
		json_object_end(jw);
	return 0;
}

const struct view views_vmstat[] = {
	{ "vmstat", view_vmstat },
	{ NULL, NULL },
};
