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
	struct phys_mem *pm;
	bool json, first;
	struct strbuf *sb;
};

static void buddyinfo_zone(struct zone *z, void *arg)
{
	struct zone_out *o = arg;

	if (o->json) {
		sb_printf(o->sb, "%s{\"node\":%d,\"zone\":\"%s\",\"nr_free\":[",
			  o->first ? "" : ",", z->zone_pgdat->node_id, z->name);
		for (unsigned k = 0; k < nr_orders(o->pm); k++)
			sb_printf(o->sb, "%s%lu", k ? "," : "", z->free_area[k].nr_free);
		sb_puts(o->sb, "]}");
	} else {
		sb_printf(o->sb, "Node %d, zone %8s ", z->zone_pgdat->node_id, z->name);
		for (unsigned k = 0; k < nr_orders(o->pm); k++)
			sb_printf(o->sb, "%6lu ", z->free_area[k].nr_free);
		sb_putc(o->sb, '\n');
	}
	o->first = false;
}

static int buddyinfo(struct vmsim_machine *m, const struct view_args *a, bool json,
		     struct strbuf *sb)
{
	struct zone_out o = { &m->pm, json, true, sb };

	if (json)
		sb_putc(sb, '[');
	for_each_zone_in_order(&m->pm, true, buddyinfo_zone, &o);
	if (json)
		sb_putc(sb, ']');
	return 0;
}

/* The "pagesets" part of a zone: one per CPU, as zoneinfo_show_print()
 * prints it (its "vm stats threshold" line is left out: vmsim keeps no
 * per-CPU vmstat deltas). */
static void zoneinfo_pagesets(const struct phys_mem *pm, const struct zone *z, bool json,
			      struct strbuf *sb)
{
	sb_puts(sb, json ? ",\"pagesets\":[" : "\n  pagesets");
	for (unsigned c = 0; c < pm->nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->per_cpu_pageset[c];

		if (json)
			sb_printf(sb, "%s{\"cpu\":%u,\"count\":%d,\"high\":%d,\"batch\":%d,"
				  "\"high_min\":%d,\"high_max\":%d}", c ? "," : "", c, pcp->count,
				  pcp->high, pcp->batch, pcp->high_min, pcp->high_max);
		else
			sb_printf(sb, "\n    cpu: %u"
				      "\n              count:    %d"
				      "\n              high:     %d"
				      "\n              batch:    %d"
				      "\n              high_min: %d"
				      "\n              high_max: %d",
				  c, pcp->count, pcp->high, pcp->batch, pcp->high_min, pcp->high_max);
	}
	if (json)
		sb_putc(sb, ']');
}

static void zoneinfo_zone(struct zone *z, void *arg)
{
	struct zone_out *o = arg;
	struct strbuf *sb = o->sb;
	enum zone_type types[MAX_NR_ZONES];
	unsigned nzones = arch_zone_types(o->pm, types);

	if (o->json && !o->first)
		sb_putc(sb, ',');
	o->first = false;
	if (o->json) {
		sb_printf(sb, "{\"node\":%d,\"zone\":\"%s\",\"free\":%lu,\"min\":%lu,\"low\":%lu,"
			  "\"high\":%lu,\"promo\":%lu,\"spanned\":%lu,\"present\":%lu,"
			  "\"managed\":%lu,\"protection\":[",
			  z->zone_pgdat->node_id, z->name, z->free_pages, wmark_pages(z, WMARK_MIN),
			  wmark_pages(z, WMARK_LOW), wmark_pages(z, WMARK_HIGH),
			  wmark_pages(z, WMARK_PROMO), z->spanned_pages, z->present_pages,
			  z->managed_pages);
		for (unsigned i = 0; i < nzones; i++)
			sb_printf(sb, "%s%lu", i ? "," : "", z->lowmem_reserve[types[i]]);
		sb_printf(sb, "],\"start_pfn\":%lu,\"pgalloc\":%lu,\"pgfree\":%lu",
			  z->zone_start_pfn, z->pgalloc, z->pgfree);
		if (populated_zone(z))
			zoneinfo_pagesets(o->pm, z, true, sb);
		sb_putc(sb, '}');
		return;
	}
	sb_printf(sb, "Node %d, zone %8s", z->zone_pgdat->node_id, z->name);
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
	zoneinfo_pagesets(o->pm, z, false, sb);
	sb_printf(sb, "\n  node_unreclaimable:  %u"
		      "\n  start_pfn:           %lu\n", 0u, z->zone_start_pfn);
}

static int zoneinfo(struct vmsim_machine *m, const struct view_args *a, bool json,
		    struct strbuf *sb)
{
	struct zone_out o = { &m->pm, json, true, sb };

	/* zoneinfo lists every zone, populated or not, as the kernel does */
	if (json)
		sb_putc(sb, '[');
	for_each_zone_in_order(&m->pm, false, zoneinfo_zone, &o);
	if (json)
		sb_putc(sb, ']');
	return 0;
}

struct meminfo_line {
	const char *name;
	unsigned long kb;
};

static int meminfo(struct vmsim_machine *m, const struct view_args *a, bool json,
		   struct strbuf *sb)
{
	struct phys_mem *pm = &m->pm;
	unsigned long total = 0, free = nr_free_pages(pm), high_total = 0, high_free = 0;
	long avail;
	struct meminfo_line lines[24];
	unsigned long stack_kb = 0, slab = slab_total_pages(pm), slab_rec = slab_reclaimable_pages(pm);
	struct task_struct *t;
	unsigned n = 0;

	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		for (unsigned zt = 0; zt < MAX_NR_ZONES; zt++) {
			struct zone *z = &pm->node_data[nid].node_zones[zt];

			total += z->managed_pages;
			if (is_highmem_idx((enum zone_type)zt)) {
				high_total += z->managed_pages;
				high_free += z->free_pages;
			}
		}
	}
	/* si_mem_available() without page cache or reclaimable slab yet */
	avail = (long)free - (long)pm->totalreserve_pages;
	if (avail < 0)
		avail = 0;
#define KB(pages) ((pages) << (PAGE_SHIFT - 10))
	lines[n++] = (struct meminfo_line){ "MemTotal", KB(total) };
	lines[n++] = (struct meminfo_line){ "MemFree", KB(free) };
	lines[n++] = (struct meminfo_line){ "MemAvailable", KB((unsigned long)avail) };
	lines[n++] = (struct meminfo_line){ "Mlocked", KB(global_zone_page_state(pm, nr_mlock)) };
	if (m->cfg.arch == ARCH_X86_32) {
		lines[n++] = (struct meminfo_line){ "HighTotal", KB(high_total) };
		lines[n++] = (struct meminfo_line){ "HighFree", KB(high_free) };
		lines[n++] = (struct meminfo_line){ "LowTotal", KB(total - high_total) };
		lines[n++] = (struct meminfo_line){ "LowFree", KB(free - high_free) };
	}
	lines[n++] = (struct meminfo_line){ "KReclaimable", KB(slab_rec) };
	lines[n++] = (struct meminfo_line){ "Slab", KB(slab) };
	lines[n++] = (struct meminfo_line){ "SReclaimable", KB(slab_rec) };
	lines[n++] = (struct meminfo_line){ "SUnreclaim", KB(slab - slab_rec) };
	list_for_each_entry(t, &m->tasks, tasks)
		if (t->stack_page)
			stack_kb += KB(1UL << t->stack_order);
	lines[n++] = (struct meminfo_line){ "KernelStack", stack_kb };
	/* VMALLOC_TOTAL = VMALLOC_END - VMALLOC_START, and x86_64's VMALLOC_END
	 * is the last byte (the host shows 34359738367 kB) while x86_32's is
	 * one past the end */
	lines[n++] = (struct meminfo_line){ "VmallocTotal",
		(unsigned long)((m->cfg.vmalloc_end - m->cfg.vmalloc_start -
				 (config_is_64(&m->cfg) ? 1 : 0)) >> 10) };
	lines[n++] = (struct meminfo_line){ "VmallocUsed", KB(vmalloc_used_pages(m)) };
	lines[n++] = (struct meminfo_line){ "VmallocChunk", 0 };	/* always 0 since Linux 5.3 */
	/* vmsim: mem_map lives in host memory, not in simulated RAM */
	lines[n++] = (struct meminfo_line){ "MemMap", pm->mem_map_bytes >> 10 };
#undef KB
	if (json)
		sb_putc(sb, '{');
	for (unsigned i = 0; i < n; i++) {
		if (json) {
			sb_printf(sb, "%s\"%s\":%lu", i ? "," : "", lines[i].name, lines[i].kb);
		} else {
			char label[32];
			snprintf(label, sizeof(label), "%s:", lines[i].name);
			sb_printf(sb, "%-15s %8lu kB\n", label, lines[i].kb);
		}
	}
	if (json)
		sb_putc(sb, '}');
	return 0;
}

static const char *arch_name(const struct vmsim_config *c)
{
	return c->arch == ARCH_X86_64 ? "x86_64" : "x86_32";
}

static void info_zone(struct zone *z, void *arg)
{
	struct zone_out *o = arg;

	if (o->json)
		sb_printf(o->sb, "%s{\"node\":%d,\"zone\":\"%s\",\"start_pfn\":%lu,"
			  "\"spanned\":%lu,\"present\":%lu,\"managed\":%lu,\"free\":%lu}",
			  o->first ? "" : ",", z->zone_pgdat->node_id, z->name, z->zone_start_pfn,
			  z->spanned_pages, z->present_pages, z->managed_pages, z->free_pages);
	else
		sb_printf(o->sb, "          %4d %-8s %12lu %10lu %10lu %10lu %10lu\n",
			  z->zone_pgdat->node_id, z->name, z->zone_start_pfn,
			  z->zone_start_pfn + z->spanned_pages, z->present_pages,
			  z->managed_pages, z->free_pages);
	o->first = false;
}

static int info(struct vmsim_machine *m, const struct view_args *a, bool json,
		struct strbuf *sb)
{
	const struct vmsim_config *c = &m->cfg;
	struct phys_mem *pm = &m->pm;
	char s1[32];
	const char *paging = c->arch == ARCH_X86_64
		? "4-level (PGD/PUD/PMD/PTE 9/9/9/9/12), 8-byte entries, 2 MiB and 1 GiB pages"
		: "2-level (PGD/PTE 10/10/12), 4-byte entries, 4 MiB PSE pages";

	if (json) {
		sb_printf(sb, "{\"name\":");
		sb_json_str(sb, c->name);
		sb_printf(sb, ",\"arch\":\"%s\",\"paging\":", arch_name(c));
		sb_json_str(sb, paging);
		sb_printf(sb, ",\"ram\":%" PRIu64 ",\"nodes\":%u,\"max_order\":%u,"
			  "\"cpus\":%u,\"phys_bits\":%u,\"mem_map_bytes\":%zu,\"zones\":[",
			  c->mem_size, c->nodes, c->max_order, c->cpu_count, c->phys_bits,
			  pm->mem_map_bytes);
		struct zone_out o = { pm, true, true, sb };

		for_each_zone_in_order(pm, true, info_zone, &o);
		sb_printf(sb, "],\"layout\":{\"task_size\":%" PRIu64 ",\"page_offset\":%" PRIu64
			  ",\"high_memory\":%" PRIu64 ",\"vmalloc_start\":%" PRIu64
			  ",\"vmalloc_end\":%" PRIu64 ",\"mmap_base\":%" PRIu64 "}}",
			  c->task_size, c->page_offset, c->high_memory, c->vmalloc_start,
			  c->vmalloc_end, c->mmap_base);
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
	{
		struct zone_out o = { pm, false, true, sb };

		for_each_zone_in_order(pm, true, info_zone, &o);
	}
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
