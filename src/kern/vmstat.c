/*
 * The views built from the kernel's statistics (mm/vmstat.c
 * vmstat_start()/vmstat_show(), zoneinfo's counters, the dirty limits):
 * every item phys/vmstat.c names as kept, in the kernel's order, each
 * with the value every other view shows.
 */
#include "kern/vmstat.h"

#include "kern/machine.h"
#include "kern/views.h"

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
		if (zone_stat_kept((enum zone_stat_item)i))
			fn(arg, zone_stat_name((enum zone_stat_item)i), zone_page_state(z, (enum zone_stat_item)i));
}

void vmstat_for_each_node_item(struct vmsim_machine *m, const struct pglist_data *pgdat,
			       vmstat_fn fn, void *arg)
{
	for (unsigned i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_stat_kept((enum node_stat_item)i))
			fn(arg, node_stat_name((enum node_stat_item)i),
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
		if (zone_stat_kept((enum zone_stat_item)i))
			fn(arg, zone_stat_name((enum zone_stat_item)i),
			   global_zone_page_state(pm, (enum zone_stat_item)i));
	for (unsigned i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_stat_kept((enum node_stat_item)i))
			fn(arg, node_stat_name((enum node_stat_item)i),
			   node_page_state_output(m, (enum node_stat_item)i,
						  global_node_page_state(pm, (enum node_stat_item)i)));
	/* enum vm_stat_item: the dirty thresholds (the memmap counters are
	 * left out: mem_map lives in host memory) */
	global_dirty_limits(pm, &bg, &dirty);
	fn(arg, "nr_dirty_threshold", dirty);
	fn(arg, "nr_dirty_background_threshold", bg);
	for (unsigned i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (vm_event_kept((enum vm_event_item)i) && !foreign_zone_event(pm, i))
			fn(arg, vm_event_name((enum vm_event_item)i), pm->vmstat.event[i]);
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
