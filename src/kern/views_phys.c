/*
 * Views of physical memory in the kernel's own formats:
 *   buddyinfo  mm/vmstat.c frag_show_print()
 *   zoneinfo   mm/vmstat.c zoneinfo_show_print()
 *   meminfo    fs/proc/meminfo.c meminfo_proc_show()
 *   vmstat     mm/vmstat.c vmstat_show()
 *   info       vmsim's machine summary (no kernel file)
 * Each renders either the text or one JSON value with the same numbers.
 * Only quantities the simulator models are printed: a line Linux has but
 * whose value vmsim does not track is left out rather than shown as 0.
 */
#include "kern/views.h"

#include <inttypes.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "kern/vmalloc.h"
#include "phys/slab.h"
#include "vma/swap.h"
#include "util/parse.h"

static unsigned long nr_orders(const struct phys_mem *pm)
{
	return pm->max_order + 1;
}

/* Call @fn for every zone of every node in the arch's zone order (the
 * order /proc walks them), populated ones only if @populated_only. */
static void for_each_zone_in_order(struct phys_mem *pm, bool populated_only,
				   void (*fn)(struct zone *z, void *arg), void *arg)
{
	enum zone_type types[MAX_NR_ZONES];
	unsigned n = arch_zone_types(pm, types);

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned i = 0; i < n; i++) {
			struct zone *z = &pm->node_data[nid].node_zones[types[i]];

			if (!populated_only || populated_zone(z))
				fn(z, arg);
		}
}

struct zone_out {
	struct phys_mem *pm;
	struct json_writer *jw;	/* NULL: text into sb */
	struct strbuf *sb;
};

static void buddyinfo_zone(struct zone *z, void *arg)
{
	struct zone_out *o = arg;
	struct json_writer *jw = o->jw;

	if (jw) {
		json_object_begin(jw);
		json_key_i64(jw, "node", z->zone_pgdat->node_id);
		json_key_str(jw, "zone", z->name);
		json_key(jw, "nr_free");
		json_array_begin(jw);
		for (unsigned k = 0; k < nr_orders(o->pm); k++)
			json_u64(jw, z->free_area[k].nr_free);
		json_array_end(jw);
		json_object_end(jw);
		return;
	}
	sb_printf(o->sb, "Node %d, zone %8s ", z->zone_pgdat->node_id, z->name);
	for (unsigned k = 0; k < nr_orders(o->pm); k++)
		sb_printf(o->sb, "%6lu ", z->free_area[k].nr_free);
	sb_putc(o->sb, '\n');
}

/* The zones as /proc walks them: a JSON array, or text lines. */
static void zones_out(struct phys_mem *pm, bool populated_only, struct json_writer *jw,
		      struct strbuf *sb, void (*fn)(struct zone *z, void *arg))
{
	struct zone_out o = { pm, jw, sb };

	if (jw)
		json_array_begin(jw);
	for_each_zone_in_order(pm, populated_only, fn, &o);
	if (jw)
		json_array_end(jw);
}

static int buddyinfo(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		     struct strbuf *sb)
{
	(void)a;
	zones_out(&m->pm, true, jw, sb, buddyinfo_zone);
	return 0;
}

/* The "pagesets" part of a zone: one per CPU, as zoneinfo_show_print()
 * prints it (its "vm stats threshold" line is left out: vmsim keeps no
 * per-CPU vmstat deltas). */
static void zoneinfo_pagesets(const struct phys_mem *pm, const struct zone *z, struct strbuf *sb)
{
	sb_puts(sb, "\n  pagesets");
	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];

		sb_printf(sb, "\n    cpu: %u"
			      "\n              count:    %d"
			      "\n              high:     %d"
			      "\n              batch:    %d"
			      "\n              high_min: %d"
			      "\n              high_max: %d",
			  c, pcp->count, pcp->high, pcp->batch, pcp->high_min, pcp->high_max);
	}
}

/* One zone of zoneinfo as JSON: the same numbers under struct zone's and
 * the kernel helpers' names, page counts ending in _pages. */
/* Is @z the first populated zone of its node (where zoneinfo prints the
 * node's statistics)? */
static bool zone_first_populated(const struct zone *z)
{
	const struct pglist_data *pgdat = z->zone_pgdat;

	for (unsigned i = 0; i < MAX_NR_ZONES; i++)
		if (populated_zone(&pgdat->node_zones[i]))
			return &pgdat->node_zones[i] == z;
	return false;
}

static void zoneinfo_zone_json(const struct phys_mem *pm, const struct zone *z,
			       struct json_writer *jw)
{
	enum zone_type types[MAX_NR_ZONES];
	unsigned nzones = arch_zone_types(pm, types);

	json_object_begin(jw);
	json_key_i64(jw, "node", z->zone_pgdat->node_id);
	json_key_str(jw, "zone", z->name);
	json_key_u64(jw, "free_pages", z->free_pages);
	json_key_u64(jw, "min_wmark_pages", wmark_pages(z, WMARK_MIN));
	json_key_u64(jw, "low_wmark_pages", wmark_pages(z, WMARK_LOW));
	json_key_u64(jw, "high_wmark_pages", wmark_pages(z, WMARK_HIGH));
	json_key_u64(jw, "promo_wmark_pages", wmark_pages(z, WMARK_PROMO));
	json_key_u64(jw, "spanned_pages", z->spanned_pages);
	json_key_u64(jw, "present_pages", z->present_pages);
	json_key_u64(jw, "managed_pages", z->managed_pages);
	json_key(jw, "protection_pages");
	json_array_begin(jw);
	for (unsigned i = 0; i < nzones; i++)
		json_u64(jw, z->lowmem_reserve[types[i]]);
	json_array_end(jw);
	json_key_u64(jw, "start_pfn", z->zone_start_pfn);
	json_key_u64(jw, "pgalloc", z->pgalloc);
	json_key_u64(jw, "pgfree", z->pgfree);
	/* the zone's gauges (/proc/vmstat's names), and its node's with its
	 * node's first populated zone, as the text prints them */
	json_key(jw, "vm_stat");
	json_object_begin(jw);
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		json_key_u64(jw, zone_stat_name[i], zone_page_state(z, (enum zone_stat_item)i));
	json_key_u64(jw, "nr_mlock", z->nr_mlock);
	json_object_end(jw);
	if (zone_first_populated(z)) {
		json_key(jw, "node_stats");
		json_object_begin(jw);
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			json_key_u64(jw, node_stat_name[i],
				     node_page_state(z->zone_pgdat, (enum node_stat_item)i));
		json_object_end(jw);
	}
	json_key_bool(jw, "node_unreclaimable",
		      z->zone_pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES);
	/* per-CPU lists exist for populated zones only, as in the text */
	json_key(jw, "pagesets");
	json_array_begin(jw);
	for (unsigned c = 0; populated_zone(z) && c < pm->nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];

		json_object_begin(jw);
		json_key_u64(jw, "cpu", c);
		json_key_i64(jw, "count", pcp->count);
		json_key_i64(jw, "high", pcp->high);
		json_key_i64(jw, "batch", pcp->batch);
		json_key_i64(jw, "high_min", pcp->high_min);
		json_key_i64(jw, "high_max", pcp->high_max);
		json_object_end(jw);
	}
	json_array_end(jw);
	json_object_end(jw);
}

static void zoneinfo_zone(struct zone *z, void *arg)
{
	struct zone_out *o = arg;
	struct strbuf *sb = o->sb;
	enum zone_type types[MAX_NR_ZONES];
	unsigned nzones = arch_zone_types(o->pm, types);

	if (o->jw) {
		zoneinfo_zone_json(o->pm, z, o->jw);
		return;
	}
	sb_printf(sb, "Node %d, zone %8s", z->zone_pgdat->node_id, z->name);
	if (zone_first_populated(z)) {
		sb_puts(sb, "\n  per-node stats");
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			sb_printf(sb, "\n      %-12s %lu", node_stat_name[i],
				  node_page_state(z->zone_pgdat, (enum node_stat_item)i));
	}
	sb_printf(sb, "\n  pages free     %lu"
		      "\n        boost    %lu"
		      "\n        min      %lu"
		      "\n        low      %lu"
		      "\n        high     %lu"
		      "\n        promo    %lu"
		      "\n        spanned  %lu"
		      "\n        present  %lu"
		      "\n        managed  %lu"
		      "\n        cma      %lu",
		  z->free_pages, 0UL, wmark_pages(z, WMARK_MIN), wmark_pages(z, WMARK_LOW),
		  wmark_pages(z, WMARK_HIGH), wmark_pages(z, WMARK_PROMO), z->spanned_pages,
		  z->present_pages, z->managed_pages, 0UL);
	sb_puts(sb, "\n        protection: (");
	for (unsigned i = 0; i < nzones; i++)
		sb_printf(sb, "%s%lu", i ? ", " : "", z->lowmem_reserve[types[i]]);
	sb_putc(sb, ')');
	if (!populated_zone(z)) {
		sb_putc(sb, '\n');
		return;
	}
	sb_printf(sb, "\n      %-12s %lu", "nr_free_pages", z->free_pages);
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		sb_printf(sb, "\n      %-12s %lu", zone_stat_name[i],
			  zone_page_state(z, (enum zone_stat_item)i));
	sb_printf(sb, "\n      %-12s %lu", "nr_mlock", z->nr_mlock);
	zoneinfo_pagesets(o->pm, z, sb);
	sb_printf(sb, "\n  node_unreclaimable:  %u"
		      "\n  start_pfn:           %lu\n",
		  z->zone_pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES, z->zone_start_pfn);
}

static int zoneinfo(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		    struct strbuf *sb)
{
	(void)a;
	/* zoneinfo lists every zone, populated or not, as the kernel does */
	zones_out(&m->pm, false, jw, sb, zoneinfo_zone);
	return 0;
}

struct meminfo_line {
	const char *name;
	uint64_t bytes;		/* the text prints it in kB */
};

/* Pages on the LRU (lists and batches) that are mapped: anonymous ones
 * (AnonPages, NR_ANON_MAPPED) and page cache or shmem ones (Mapped,
 * NR_FILE_MAPPED).  Every mapped user page is on a list or in a batch. */
struct mapped_count {
	unsigned long anon, file;
};

static void count_mapped(void *arg, struct page *page, bool lru_add)
{
	struct mapped_count *mc = arg;

	(void)lru_add;
	if (page_mapcount(page) <= 0)
		return;
	if (PageAnon(page))
		mc->anon++;
	else
		mc->file++;
}

static void count_mapped_lists(struct vmsim_machine *m, struct mapped_count *mc)
{
	for (unsigned nid = 0; nid < m->pm.nr_nodes; nid++)
		for (enum lru_list lru = 0; lru < LRU_UNEVICTABLE; lru++) {
			struct list_head *head = &m->pm.node_data[nid].__lruvec.lists[lru];
			struct page *page;

			list_for_each_entry(page, head, lru)
				if (PageLRU(page))	/* not the move batches' (counted there) */
					count_mapped(mc, page, false);
		}
	lru_for_each_batched(m, count_mapped, mc);
}

static int meminfo(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		   struct strbuf *sb)
{
	struct phys_mem *pm = &m->pm;
	unsigned long total = 0, free = nr_free_pages(pm), high_total = 0, high_free = 0;
	unsigned long wmark_low = 0, pagecache, reclaimable, file_pages, swapcache;
	long avail;
	struct meminfo_line lines[48];
	unsigned long stack_pages = 0, slab = slab_total_pages(pm), slab_rec = slab_reclaimable_pages(pm);
	unsigned long lru[NR_LRU_LISTS];
	struct mapped_count mc = { 0 };
	struct task_struct *t;
	unsigned n = 0;

	(void)a;
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		for (unsigned zt = 0; zt < MAX_NR_ZONES; zt++) {
			struct zone *z = &pm->node_data[nid].node_zones[zt];

			total += z->managed_pages;
			wmark_low += low_wmark_pages(z);
			if (is_highmem_idx((enum zone_type)zt)) {
				high_total += z->managed_pages;
				high_free += z->free_pages;
			}
		}
	}
	for (enum lru_list l = 0; l < NR_LRU_LISTS; l++)
		lru[l] = global_node_page_state(pm, (enum node_stat_item)(NR_LRU_BASE + l));
	count_mapped_lists(m, &mc);
	/* si_mem_available(): free above the reserves, plus the page cache
	 * and the reclaimable slab, each less what reclaim could not take
	 * without going under the low watermarks */
	avail = (long)free - (long)pm->totalreserve_pages;
	pagecache = lru[LRU_ACTIVE_FILE] + lru[LRU_INACTIVE_FILE];
	pagecache -= pagecache / 2 < wmark_low ? pagecache / 2 : wmark_low;
	avail += (long)pagecache;
	reclaimable = slab_rec;
	reclaimable -= reclaimable / 2 < wmark_low ? reclaimable / 2 : wmark_low;
	avail += (long)reclaimable;
	if (avail < 0)
		avail = 0;
	file_pages = global_node_page_state(pm, NR_FILE_PAGES);
	swapcache = global_node_page_state(pm, NR_SWAPCACHE);
#define B(pages) ((uint64_t)(pages) << PAGE_SHIFT)
	lines[n++] = (struct meminfo_line){ "MemTotal", B(total) };
	lines[n++] = (struct meminfo_line){ "MemFree", B(free) };
	lines[n++] = (struct meminfo_line){ "MemAvailable", B(avail) };
	/* no block device: no buffer heads */
	lines[n++] = (struct meminfo_line){ "Buffers", 0 };
	lines[n++] = (struct meminfo_line){ "Cached", B(file_pages - swapcache) };
	lines[n++] = (struct meminfo_line){ "SwapCached", B(swapcache) };
	lines[n++] = (struct meminfo_line){ "Active", B(lru[LRU_ACTIVE_ANON] + lru[LRU_ACTIVE_FILE]) };
	lines[n++] = (struct meminfo_line){ "Inactive",
		B(lru[LRU_INACTIVE_ANON] + lru[LRU_INACTIVE_FILE]) };
	lines[n++] = (struct meminfo_line){ "Active(anon)", B(lru[LRU_ACTIVE_ANON]) };
	lines[n++] = (struct meminfo_line){ "Inactive(anon)", B(lru[LRU_INACTIVE_ANON]) };
	lines[n++] = (struct meminfo_line){ "Active(file)", B(lru[LRU_ACTIVE_FILE]) };
	lines[n++] = (struct meminfo_line){ "Inactive(file)", B(lru[LRU_INACTIVE_FILE]) };
	lines[n++] = (struct meminfo_line){ "Unevictable", B(lru[LRU_UNEVICTABLE]) };
	lines[n++] = (struct meminfo_line){ "Mlocked", B(global_zone_page_state(pm, nr_mlock)) };
	if (m->cfg.arch == ARCH_X86_32) {
		lines[n++] = (struct meminfo_line){ "HighTotal", B(high_total) };
		lines[n++] = (struct meminfo_line){ "HighFree", B(high_free) };
		lines[n++] = (struct meminfo_line){ "LowTotal", B(total - high_total) };
		lines[n++] = (struct meminfo_line){ "LowFree", B(free - high_free) };
	}
	lines[n++] = (struct meminfo_line){ "SwapTotal",
		B(pm->total_swap_pages > 0 ? pm->total_swap_pages : 0) };
	lines[n++] = (struct meminfo_line){ "SwapFree",
		B(pm->nr_swap_pages > 0 ? pm->nr_swap_pages : 0) };
	lines[n++] = (struct meminfo_line){ "Dirty", B(global_node_page_state(pm, NR_FILE_DIRTY)) };
	lines[n++] = (struct meminfo_line){ "Writeback", B(global_node_page_state(pm, NR_WRITEBACK)) };
	lines[n++] = (struct meminfo_line){ "AnonPages", B(mc.anon) };
	lines[n++] = (struct meminfo_line){ "Mapped", B(mc.file) };
	lines[n++] = (struct meminfo_line){ "Shmem", B(global_node_page_state(pm, NR_SHMEM)) };
	lines[n++] = (struct meminfo_line){ "KReclaimable", B(slab_rec) };
	lines[n++] = (struct meminfo_line){ "Slab", B(slab) };
	lines[n++] = (struct meminfo_line){ "SReclaimable", B(slab_rec) };
	lines[n++] = (struct meminfo_line){ "SUnreclaim", B(slab - slab_rec) };
	list_for_each_entry(t, &m->tasks, tasks)
		if (t->stack_page)
			stack_pages += 1UL << t->stack_order;
	lines[n++] = (struct meminfo_line){ "KernelStack", B(stack_pages) };
	/* VMALLOC_TOTAL = VMALLOC_END - VMALLOC_START, and x86_64's VMALLOC_END
	 * is the last byte (the host shows 34359738367 kB) while x86_32's is
	 * one past the end; the kernel prints it in whole kB, which also
	 * keeps 5-level paging's 12.5 PiB exact as a JSON number */
	lines[n++] = (struct meminfo_line){ "VmallocTotal",
		(m->cfg.vmalloc_end - m->cfg.vmalloc_start - (config_is_64(&m->cfg) ? 1 : 0)) >> 10
		<< 10 };
	lines[n++] = (struct meminfo_line){ "VmallocUsed", B(vmalloc_used_pages(m)) };
	lines[n++] = (struct meminfo_line){ "VmallocChunk", 0 };	/* always 0 since Linux 5.3 */
	/* NR_ANON_THPS: the anonymous huge pages a PMD maps */
	lines[n++] = (struct meminfo_line){ "AnonHugePages",
		(uint64_t)m->thp.nr_anon_thps * HPAGE_PMD_SIZE(m) };
	/* vmsim: mem_map lives in host memory, not in simulated RAM */
	lines[n++] = (struct meminfo_line){ "MemMap", pm->mem_map_bytes };
#undef B
	if (jw) {
		json_object_begin(jw);
		for (unsigned i = 0; i < n; i++)
			json_key_u64(jw, lines[i].name, lines[i].bytes);
		json_object_end(jw);
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		char label[32];

		snprintf(label, sizeof(label), "%s:", lines[i].name);
		sb_printf(sb, "%-15s %8llu kB\n", label, (unsigned long long)(lines[i].bytes >> 10));
	}
	return 0;
}

static const char *arch_name(const struct vmsim_config *c)
{
	return c->arch == ARCH_X86_64 ? "x86_64" : "x86_32";
}

static void info_zone(struct zone *z, void *arg)
{
	struct zone_out *o = arg;
	struct json_writer *jw = o->jw;

	if (!jw) {
		sb_printf(o->sb, "          %4d %-8s %12lu %10lu %10lu %10lu %10lu\n",
			  z->zone_pgdat->node_id, z->name, z->zone_start_pfn,
			  z->zone_start_pfn + z->spanned_pages, z->present_pages,
			  z->managed_pages, z->free_pages);
		return;
	}
	json_object_begin(jw);
	json_key_i64(jw, "node", z->zone_pgdat->node_id);
	json_key_str(jw, "zone", z->name);
	json_key_u64(jw, "start_pfn", z->zone_start_pfn);
	json_key_u64(jw, "spanned_pages", z->spanned_pages);
	json_key_u64(jw, "present_pages", z->present_pages);
	json_key_u64(jw, "managed_pages", z->managed_pages);
	json_key_u64(jw, "free_pages", z->free_pages);
	json_object_end(jw);
}

static void json_range(struct json_writer *jw, const char *name, uint64_t start, uint64_t end)
{
	json_object_begin(jw);
	json_key_str(jw, "name", name);
	json_key_hex(jw, "start", start);
	json_key_hex(jw, "end", end);
	json_object_end(jw);
}

static void json_tlb_geometry(struct json_writer *jw, const char *name, const struct cfg_tlb *t)
{
	json_key(jw, name);
	json_object_begin(jw);
	json_key_u64(jw, "entries", t->entries);
	json_key_u64(jw, "ways", t->ways);
	json_object_end(jw);
}

/* The machine summary as JSON: what the text says, as numbers. */
static void info_json(struct vmsim_machine *m, const char *paging, struct json_writer *jw)
{
	const struct vmsim_config *c = &m->cfg;
	struct phys_mem *pm = &m->pm;

	json_object_begin(jw);
	json_key_str(jw, "name", c->name);
	json_key_str(jw, "arch", arch_name(c));
	json_key_str(jw, "paging", paging);
	json_key_u64(jw, "cpus", c->cpu_count);
	json_key_bool(jw, "wp", c->wp);
	json_key_bool(jw, "nxe", c->nxe);
	json_key_bool(jw, "pse", c->pse);
	json_key_bool(jw, "pcid", c->pcid);
	json_key_u64(jw, "phys_bits", c->phys_bits);
	json_key_u64(jw, "ram", c->mem_size);
	json_key_u64(jw, "nodes", c->nodes);
	json_key_u64(jw, "max_pfn", pm->max_pfn);
	json_key_u64(jw, "max_order", c->max_order);
	json_key_u64(jw, "mem_map_size", pm->mem_map_bytes);
	json_key_u64(jw, "struct_page_size", sizeof(struct page));
	json_key_u64(jw, "reserved_pages", pm->reserved_pages);
	json_key(jw, "reserved");
	json_array_begin(jw);
	for (unsigned i = 0; i < c->nr_reserve; i++)
		json_range(jw, c->reserve[i].name, c->reserve[i].start,
			   c->reserve[i].start + c->reserve[i].size);
	json_range(jw, "kernel", c->kernel_start, c->kernel_start + c->kernel_size);
	json_array_end(jw);
	json_key(jw, "zones");
	zones_out(pm, true, jw, NULL, info_zone);
	json_key(jw, "layout");
	json_object_begin(jw);
	json_key_hex(jw, "task_size", c->task_size);
	json_key_hex(jw, "page_offset", c->page_offset);
	json_key_hex(jw, "high_memory", c->high_memory);
	json_key_hex(jw, "vmalloc_start", c->vmalloc_start);
	json_key_hex(jw, "vmalloc_end", c->vmalloc_end);
	if (c->arch == ARCH_X86_32) {
		json_key_hex(jw, "pkmap_base", c->pkmap_base);
		json_key_u64(jw, "last_pkmap", c->last_pkmap);
	}
	json_key_hex(jw, "fixaddr_start", c->fixaddr_start);
	json_key_hex(jw, "fixaddr_end", c->fixaddr_top + PAGE_SIZE);
	json_key_hex(jw, "mmap_base", c->mmap_base);
	json_key(jw, "stack_rlimit");
	if (c->stack_rlimit == CFG_UNLIMITED)
		json_null(jw);
	else
		json_u64(jw, c->stack_rlimit);
	json_object_end(jw);
	json_key(jw, "tlb");
	json_object_begin(jw);
	json_tlb_geometry(jw, "l1d", &c->l1d);
	json_tlb_geometry(jw, "l1i", &c->l1i);
	json_tlb_geometry(jw, "l2", &c->l2);
	json_tlb_geometry(jw, "l1d_large", &c->l1d_large);
	json_tlb_geometry(jw, "l1i_large", &c->l1i_large);
	json_object_end(jw);
	json_object_end(jw);
}

/* "4-level (PGD/PUD/PMD/PTE 9/9/9/9/12), 8-byte entries, 2 MiB and 1 GiB
 * pages": the format's levels, index widths and large pages. */
static void paging_str(const struct pt_format *f, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "%.*s (", (int)strcspn(f->mode, " "), f->mode);
	unsigned nlarge = 0;

#define OUT(...) (used += (size_t)snprintf(buf + (used < len ? used : len), \
					   used < len ? len - used : 0, __VA_ARGS__))
	for (unsigned d = 0; d < f->levels; d++) {
		const char *n = f->lvl[d].name;

		OUT("%s%c%c%c", d ? "/" : "", n[0] - 32, n[1] >= 'a' ? n[1] - 32 : n[1], n[2] - 32);
	}
	for (unsigned d = 0; d < f->levels; d++)
		OUT("%s%u", d ? "/" : " ", f->lvl[d].bits);
	OUT("/12), %u-byte entries, ", f->entry_size);
	for (unsigned d = f->levels - 1; d-- > 0;)
		if (f->lvl[d].large)
			OUT("%s%u %ciB", nlarge++ ? " and " : "",
			    1u << ((f->lvl[d].shift % 10)), f->lvl[d].shift >= 30 ? 'G' : 'M');
	OUT("%s pages", f->large_needs_pse ? " PSE" : "");
#undef OUT
}

static int info(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		struct strbuf *sb)
{
	const struct vmsim_config *c = &m->cfg;
	struct phys_mem *pm = &m->pm;
	char s1[32], paging[128];

	paging_str(m->pt.fmt, paging, sizeof(paging));

	(void)a;
	if (jw) {
		info_json(m, paging, jw);
		return 0;
	}
	sb_printf(sb, "machine   %s (%s)\n", c->name, arch_name(c));
	sb_printf(sb, "paging    %s\n", paging);
	sb_printf(sb, "cpus      %u  CR0.WP=%d EFER.NXE=%d CR4.PSE=%d PCID=%d  MAXPHYADDR %u\n",
		  c->cpu_count, c->wp, c->nxe, c->pse, c->pcid, c->phys_bits);
	sb_printf(sb, "ram       %s in %u node(s), %lu frames of 4 KiB, buddy orders 0..%u\n",
		  fmt_size(c->mem_size, s1), c->nodes, pm->max_pfn, c->max_order);
	sb_printf(sb, "mem_map   %zu bytes of host memory (%zu per struct page), not in simulated RAM\n",
		  pm->mem_map_bytes, sizeof(struct page));
	sb_printf(sb, "reserved  %lu frames at boot:", pm->reserved_pages);
	for (unsigned i = 0; i < c->nr_reserve; i++)
		sb_printf(sb, " %s [%#" PRIx64 "-%#" PRIx64 ")", c->reserve[i].name,
			  c->reserve[i].start, c->reserve[i].start + c->reserve[i].size);
	sb_printf(sb, " kernel [%#" PRIx64 "-%#" PRIx64 ")\n", c->kernel_start,
		  c->kernel_start + c->kernel_size);
	sb_puts(sb, "zones     node zone        start_pfn    end_pfn    present    managed       free\n");
	zones_out(pm, true, NULL, sb, info_zone);
	sb_printf(sb, "layout    user      0x%016" PRIx64 "-0x%016" PRIx64 "  (TASK_SIZE)\n", (uint64_t)0,
		  c->task_size);
	sb_printf(sb, "          lowmem    0x%016" PRIx64 "-0x%016" PRIx64 "  (PAGE_OFFSET..high_memory)\n",
		  c->page_offset, c->high_memory);
	sb_printf(sb, "          vmalloc   0x%016" PRIx64 "-0x%016" PRIx64 "\n", c->vmalloc_start,
		  c->vmalloc_end);
	if (c->arch == ARCH_X86_32)
		sb_printf(sb, "          pkmap     0x%016" PRIx64 "-0x%016" PRIx64 "  (LAST_PKMAP %u)\n",
			  c->pkmap_base, c->pkmap_base + (uint64_t)c->last_pkmap * PAGE_SIZE,
			  c->last_pkmap);
	sb_printf(sb, "          fixmap    0x%016" PRIx64 "-0x%016" PRIx64 "\n", c->fixaddr_start,
		  c->fixaddr_top + PAGE_SIZE);
	sb_printf(sb, "          mmap_base 0x%016" PRIx64 "  (stack rlimit %s)\n", c->mmap_base,
		  c->stack_rlimit == CFG_UNLIMITED ? "unlimited" : fmt_size(c->stack_rlimit, s1));
	sb_printf(sb, "tlb       L1d %u/%u-way  L1i %u/%u-way  L2 %u/%u-way  (entries/ways; large: L1d %u, L1i %u)\n",
		  c->l1d.entries, c->l1d.ways, c->l1i.entries, c->l1i.ways, c->l2.entries, c->l2.ways,
		  c->l1d_large.entries, c->l1i_large.entries);
	return 0;
}

/* /proc/vmstat: the zone gauges, the node gauges, then the events, with
 * the per-zone pgalloc_, allocstall_ and pgskip_ after pswpout as the
 * kernel orders them (zones of the arch's configuration only). */
static void vmstat_line(struct json_writer *jw, struct strbuf *sb, const char *name,
			unsigned long v)
{
	if (jw)
		json_key_u64(jw, name, v);
	else
		sb_printf(sb, "%s %lu\n", name, v);
}

static int vmstat(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		  struct strbuf *sb)
{
	static const char *const per_zone[] = { "pgalloc_", "allocstall_", "pgskip_" };
	const struct phys_mem *pm = &m->pm;
	unsigned long v;

	(void)a;
	if (jw)
		json_object_begin(jw);
	vmstat_line(jw, sb, "nr_free_pages", nr_free_pages(pm));
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		if (!vmstat_read(pm, zone_stat_name[i], &v))
			vmstat_line(jw, sb, zone_stat_name[i], v);
	vmstat_line(jw, sb, "nr_mlock", global_zone_page_state(pm, nr_mlock));
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		vmstat_line(jw, sb, node_stat_name[i],
			    global_node_page_state(pm, (enum node_stat_item)i));
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++) {
		vmstat_line(jw, sb, vm_event_name[i], pm->vmstat.event[i]);
		if (i != PSWPOUT)
			continue;
		for (unsigned k = 0; k < sizeof(per_zone) / sizeof(per_zone[0]); k++)
			for (int z = 0; z < MAX_NR_ZONES; z++) {
				char name[32];

				/* x86_64 has no HIGHMEM, x86_32 no DMA32 */
				if ((z == ZONE_HIGHMEM && config_is_64(&m->cfg)) ||
				    (z == ZONE_DMA32 && !config_is_64(&m->cfg)))
					continue;
				snprintf(name, sizeof(name), "%s%s", per_zone[k], zone_vmstat_name[z]);
				if (!vmstat_read(pm, name, &v))
					vmstat_line(jw, sb, name, v);
			}
		vmstat_line(jw, sb, "pgfree", pm->vmstat.pgfree);
	}
	if (jw)
		json_object_end(jw);
	return 0;
}

const struct view views_phys[] = {
	{ "info", info },
	{ "buddyinfo", buddyinfo },
	{ "zoneinfo", zoneinfo },
	{ "meminfo", meminfo },
	{ "vmstat", vmstat },
	{ NULL, NULL },
};
