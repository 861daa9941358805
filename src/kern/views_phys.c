/*
 * Views of physical memory in the kernel's own formats:
 *   buddyinfo  mm/vmstat.c frag_show_print()
 *   zoneinfo   mm/vmstat.c zoneinfo_show_print()
 *   meminfo    fs/proc/meminfo.c meminfo_proc_show()
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
#include "kern/vmstat.h"
#include "mmu/pgtable.h"
#include "vma/mm.h"
#include "phys/slab.h"
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
	struct vmsim_machine *m;
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
static void zones_out(struct vmsim_machine *m, bool populated_only, struct json_writer *jw,
		      struct strbuf *sb, void (*fn)(struct zone *z, void *arg))
{
	struct zone_out o = { m, &m->pm, jw, sb };

	if (jw)
		json_array_begin(jw);
	for_each_zone_in_order(&m->pm, populated_only, fn, &o);
	if (jw)
		json_array_end(jw);
}

static int buddyinfo(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		     struct strbuf *sb)
{
	(void)a;
	zones_out(m, true, jw, sb, buddyinfo_zone);
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

/* is_zone_first_populated(): the zone that carries its node's "per-node
 * stats" */
static bool zone_first_populated(const struct zone *z)
{
	const struct pglist_data *pgdat = z->zone_pgdat;

	for (unsigned t = 0; t < MAX_NR_ZONES; t++)
		if (populated_zone(&pgdat->node_zones[t]))
			return &pgdat->node_zones[t] == z;
	return false;
}

static void zoneinfo_stat_json(void *arg, const char *name, unsigned long value)
{
	json_key_u64(arg, name, value);
}

static void zoneinfo_stat_line(void *arg, const char *name, unsigned long value)
{
	sb_printf(arg, "\n      %-12s %lu", name, value);
}

/* One zone of zoneinfo as JSON: the same numbers under struct zone's and
 * the kernel helpers' names, page counts ending in _pages; the counters
 * under their /proc/vmstat names. */
static void zoneinfo_zone_json(struct vmsim_machine *m, const struct zone *z,
			       struct json_writer *jw)
{
	const struct phys_mem *pm = &m->pm;
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
	if (zone_first_populated(z)) {
		json_key(jw, "per_node_stats");
		json_object_begin(jw);
		vmstat_for_each_node_item(m, z->zone_pgdat, zoneinfo_stat_json, jw);
		json_object_end(jw);
	}
	if (populated_zone(z)) {
		json_key(jw, "stats");
		json_object_begin(jw);
		vmstat_for_each_zone_item(z, zoneinfo_stat_json, jw);
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
		zoneinfo_zone_json(o->m, z, o->jw);
		return;
	}
	sb_printf(sb, "Node %d, zone %8s", z->zone_pgdat->node_id, z->name);
	if (zone_first_populated(z)) {
		sb_puts(sb, "\n  per-node stats");
		vmstat_for_each_node_item(o->m, z->zone_pgdat, zoneinfo_stat_line, sb);
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
	vmstat_for_each_zone_item(z, zoneinfo_stat_line, sb);
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
	zones_out(m, false, jw, sb, zoneinfo_zone);
	return 0;
}

/* A line of /proc/meminfo: its name, its value in bytes (a count for the
 * HugePages_ lines), and how the text prints it. */
enum meminfo_fmt { MI_KB, MI_KB_5, MI_COUNT };

struct meminfo_line {
	const char *name;
	uint64_t value;
	enum meminfo_fmt fmt;
};

/* si_mem_available() (mm/show_mem.c): free pages above the reserves, plus
 * the page cache and reclaimable slab that could be freed without
 * thrashing (all but half of each, or the low watermarks' worth). */
static unsigned long si_mem_available(const struct phys_mem *pm)
{
	unsigned long wmark_low = 0, pagecache, reclaimable;
	long available;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			wmark_low += wmark_pages(&pm->node_data[nid].node_zones[t], WMARK_LOW);
	available = (long)global_zone_page_state(pm, NR_FREE_PAGES) - (long)pm->totalreserve_pages;
	pagecache = global_node_page_state(pm, NR_ACTIVE_FILE) +
		    global_node_page_state(pm, NR_INACTIVE_FILE);
	pagecache -= pagecache / 2 < wmark_low ? pagecache / 2 : wmark_low;
	available += (long)pagecache;
	reclaimable = global_node_page_state(pm, NR_SLAB_RECLAIMABLE_B) +
		      global_node_page_state(pm, NR_KERNEL_MISC_RECLAIMABLE);
	reclaimable -= reclaimable / 2 < wmark_low ? reclaimable / 2 : wmark_low;
	available += (long)reclaimable;
	return available < 0 ? 0 : (unsigned long)available;
}

/* vm_memory_committed(): the pages committed to private writable mappings
 * (VM_ACCOUNT) of every address space, and to shared anonymous memory,
 * charged at mmap time (the simulator sums them instead of keeping the
 * kernel's running counter; the two agree, as both follow the mappings). */
static unsigned long vm_memory_committed(struct vmsim_machine *m)
{
	struct task_struct *t, *u;
	unsigned long pages = 0;

	if (!m->tasks.next)
		return 0;
	list_for_each_entry(t, &m->tasks, tasks) {
		struct vm_area_struct *vma;
		bool counted = false;

		/* a shared mm once: with its first user */
		list_for_each_entry(u, &m->tasks, tasks) {
			if (u == t)
				break;
			if (u->mm == t->mm) {
				counted = true;
				break;
			}
		}
		if (counted)
			continue;
		for_each_vma(t->mm, vma) {
			if (vma->vm_flags & VM_ACCOUNT)
				pages += vma_pages(vma);
			/* shmem_acct_size(): the object's size, unless
			 * MAP_NORESERVE; each object once (its refcount
			 * counts the VMAs sharing it) */
			if (vma->shm && !(vma->vm_flags & VM_NORESERVE))
				pages += vma_pages(vma) * vma->shm->nr_pages / vma->shm->refcount /
					 (vma_pages(vma) ? vma_pages(vma) : 1);
		}
	}
	return pages;
}

/* arch_report_meminfo(): the direct map's leaves by size, walked from the
 * kernel's page tables. */
static void direct_pages_count(struct vmsim_machine *m, unsigned long count[3])
{
	const struct pt_ctx *pt = &m->pt;
	const uint64_t start = m->cfg.page_offset;
	const uint64_t end = start + (config_is_64(&m->cfg) ? m->cfg.mem_size : m->cfg.lowmem_end);

	count[0] = count[1] = count[2] = 0;
	for (uint64_t va = start; va < end && va >= start;) {
		struct pt_path p;
		uint64_t span;
		unsigned d;

		pt_lookup(pt, m->vm.kernel_pgd, va, &p);
		d = p.n - 1;
		span = pt_entry_span(pt->fmt, d);
		if (p.leaf && (p.e[d] & _PAGE_PRESENT)) {
			unsigned level = (unsigned)(pt->fmt->levels - 1 - d);	/* 0: 4k */

			if (level < 3)
				count[level]++;
		}
		va = (va & ~(span - 1)) + span;
	}
}

static int meminfo(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		   struct strbuf *sb)
{
	struct phys_mem *pm = &m->pm;
	const bool x86_64 = config_is_64(&m->cfg);
	unsigned long total = pm->totalram_pages, free = global_zone_page_state(pm, NR_FREE_PAGES);
	unsigned long high_total = 0, high_free = 0, lru[NR_LRU_LISTS], direct[3];
	unsigned long sreclaimable = global_node_page_state(pm, NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_page_state(pm, NR_SLAB_UNRECLAIMABLE_B);
	unsigned long swapcache = global_node_page_state(pm, NR_SWAPCACHE);
	long cached = (long)global_node_page_state(pm, NR_FILE_PAGES) - (long)swapcache;
	unsigned long swap_total = pm->total_swap_pages > 0 ? (unsigned long)pm->total_swap_pages : 0;
	unsigned long swap_free = pm->nr_swap_pages > 0 ? (unsigned long)pm->nr_swap_pages : 0;
	/* the default hstate: a PMD's worth (2 MiB, or 4 MiB without PAE) */
	const uint64_t hpage = 1ULL << config_pmd_shift(&m->cfg);
	struct meminfo_line lines[64];
	unsigned n = 0;
	enum lru_list lru_i;

	(void)a;
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		const struct zone *z = &pm->node_data[nid].node_zones[ZONE_HIGHMEM];

		high_total += z->managed_pages;
		high_free += zone_page_state(z, NR_FREE_PAGES);
	}
	for_each_lru(lru_i)
		lru[lru_i] = global_node_page_state(pm, (enum node_stat_item)(NR_LRU_BASE + lru_i));
	direct_pages_count(m, direct);
#define L(nm, pages) (lines[n++] = (struct meminfo_line){ nm, (uint64_t)(pages) << PAGE_SHIFT, MI_KB })
	L("MemTotal", total);
	L("MemFree", free);
	L("MemAvailable", si_mem_available(pm));
	L("Buffers", 0);		/* no block device: no buffer heads */
	L("Cached", cached > 0 ? cached : 0);
	L("SwapCached", swapcache);
	L("Active", lru[LRU_ACTIVE_ANON] + lru[LRU_ACTIVE_FILE]);
	L("Inactive", lru[LRU_INACTIVE_ANON] + lru[LRU_INACTIVE_FILE]);
	L("Active(anon)", lru[LRU_ACTIVE_ANON]);
	L("Inactive(anon)", lru[LRU_INACTIVE_ANON]);
	L("Active(file)", lru[LRU_ACTIVE_FILE]);
	L("Inactive(file)", lru[LRU_INACTIVE_FILE]);
	L("Unevictable", lru[LRU_UNEVICTABLE]);
	L("Mlocked", global_zone_page_state(pm, NR_MLOCK));
	if (!x86_64) {
		L("HighTotal", high_total);
		L("HighFree", high_free);
		L("LowTotal", total - high_total);
		L("LowFree", free - high_free);
	}
	L("SwapTotal", swap_total);
	L("SwapFree", swap_free);
	L("Dirty", global_node_page_state(pm, NR_FILE_DIRTY));
	L("Writeback", global_node_page_state(pm, NR_WRITEBACK));
	L("AnonPages", global_node_page_state(pm, NR_ANON_MAPPED));
	L("Mapped", global_node_page_state(pm, NR_FILE_MAPPED));
	L("Shmem", global_node_page_state(pm, NR_SHMEM));
	L("KReclaimable", sreclaimable + global_node_page_state(pm, NR_KERNEL_MISC_RECLAIMABLE));
	L("Slab", sreclaimable + sunreclaim);
	L("SReclaimable", sreclaimable);
	L("SUnreclaim", sunreclaim);
	lines[n++] = (struct meminfo_line){ "KernelStack",
		(uint64_t)global_node_page_state(pm, NR_KERNEL_STACK_KB) << 10, MI_KB };
	L("PageTables", global_node_page_state(pm, NR_PAGETABLE));
	L("SecPageTables", global_node_page_state(pm, NR_SECONDARY_PAGETABLE));
	L("NFS_Unstable", 0);
	L("Bounce", global_zone_page_state(pm, NR_BOUNCE));
	L("WritebackTmp", global_node_page_state(pm, NR_WRITEBACK_TEMP));
	/* vm_commit_limit(): vm.overcommit_ratio (50) percent of RAM, plus swap */
	L("CommitLimit", total * 50 / 100 + swap_total);
	L("Committed_AS", vm_memory_committed(m));
	/* VMALLOC_TOTAL = VMALLOC_END - VMALLOC_START, and x86_64's VMALLOC_END
	 * is the last byte (the host shows 34359738367 kB) while x86_32's is
	 * one past the end; the kernel prints it in whole kB, which also
	 * keeps 5-level paging's 12.5 PiB exact as a JSON number */
	lines[n++] = (struct meminfo_line){ "VmallocTotal",
		(m->cfg.vmalloc_end - m->cfg.vmalloc_start - (x86_64 ? 1 : 0)) >> 10 << 10, MI_KB };
	L("VmallocUsed", vmalloc_used_pages(m));
	L("VmallocChunk", 0);	/* always 0 since Linux 5.3 */
	lines[n++] = (struct meminfo_line){ "HardwareCorrupted", 0, MI_KB_5 };
	L("AnonHugePages", global_node_page_state(pm, NR_ANON_THPS));
	L("ShmemHugePages", global_node_page_state(pm, NR_SHMEM_THPS));
	L("ShmemPmdMapped", global_node_page_state(pm, NR_SHMEM_PMDMAPPED));
	L("FileHugePages", global_node_page_state(pm, NR_FILE_THPS));
	L("FilePmdMapped", global_node_page_state(pm, NR_FILE_PMDMAPPED));
	/* hugetlb_report_meminfo(): no huge page pool */
	lines[n++] = (struct meminfo_line){ "HugePages_Total", 0, MI_COUNT };
	lines[n++] = (struct meminfo_line){ "HugePages_Free", 0, MI_COUNT };
	lines[n++] = (struct meminfo_line){ "HugePages_Rsvd", 0, MI_COUNT };
	lines[n++] = (struct meminfo_line){ "HugePages_Surp", 0, MI_COUNT };
	lines[n++] = (struct meminfo_line){ "Hugepagesize", hpage, MI_KB };
	lines[n++] = (struct meminfo_line){ "Hugetlb", 0, MI_KB };
	/* arch_report_meminfo() */
	lines[n++] = (struct meminfo_line){ "DirectMap4k", (uint64_t)direct[0] << 12, MI_KB };
	lines[n++] = (struct meminfo_line){ hpage == 2ULL << 20 ? "DirectMap2M" : "DirectMap4M",
					    (uint64_t)direct[1] * hpage, MI_KB };
	if (x86_64)	/* direct_gbpages */
		lines[n++] = (struct meminfo_line){ "DirectMap1G", (uint64_t)direct[2] << 30, MI_KB };
	/* vmsim: mem_map lives in host memory, not in simulated RAM */
	lines[n++] = (struct meminfo_line){ "MemMap", pm->mem_map_bytes, MI_KB };
#undef L
	if (jw) {
		json_object_begin(jw);
		for (unsigned i = 0; i < n; i++)
			json_key_u64(jw, lines[i].name, lines[i].value);
		json_object_end(jw);
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		char label[32];

		snprintf(label, sizeof(label), "%s:", lines[i].name);
		if (lines[i].fmt == MI_COUNT)
			sb_printf(sb, "%-19s%5llu\n", label, (unsigned long long)lines[i].value);
		else if (lines[i].fmt == MI_KB_5)
			sb_printf(sb, "%s %5llu kB\n", label, (unsigned long long)(lines[i].value >> 10));
		else
			sb_printf(sb, "%-15s %8llu kB\n", label, (unsigned long long)(lines[i].value >> 10));
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
	zones_out(m, true, jw, NULL, info_zone);
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
	zones_out(m, true, NULL, sb, info_zone);
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

const struct view views_phys[] = {
	{ "info", info },
	{ "buddyinfo", buddyinfo },
	{ "zoneinfo", zoneinfo },
	{ "meminfo", meminfo },
	{ NULL, NULL },
};
