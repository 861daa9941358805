/*
 * Statistics registry (see stats.h).  Invariant: a name is emitted once per
 * render and means the same thing in text and JSON; counters only grow
 * except the nr_* gauges.
 */
#include "kern/stats.h"

#include <stdarg.h>
#include <stdio.h>

#include "kern/machine.h"
#include "kern/views.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "vma/mm_types.h"

void stat_u64(struct stat_sink *s, uint64_t v, const char *fmt, ...)
{
	char name[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (s->json)
		sb_printf(s->sb, "%s\"%s\":%llu", s->first ? "" : ",", name, (unsigned long long)v);
	else
		sb_printf(s->sb, "%s %llu\n", name, (unsigned long long)v);
	s->first = false;
}

/* The page allocator, with /proc/vmstat's names. */
static void stats_phys(struct vmsim_machine *m, struct stat_sink *s)
{
	struct phys_mem *pm = &m->pm;
	static const char *const zname[MAX_NR_ZONES] = {
		[ZONE_DMA] = "dma", [ZONE_DMA32] = "dma32", [ZONE_NORMAL] = "normal",
		[ZONE_HIGHMEM] = "high", [ZONE_MOVABLE] = "movable",
	};
	enum zone_type types[MAX_NR_ZONES];
	unsigned n = arch_zone_types(pm, types);

	stat_u64(s, nr_free_pages(pm), "nr_free_pages");
	stat_u64(s, nr_free_pages_with_pcp(pm) - nr_free_pages(pm), "pcp_pages");
	for (unsigned i = 0; i < n; i++)
		stat_u64(s, pm->vmstat.pgalloc[types[i]], "pgalloc_%s", zname[types[i]]);
	stat_u64(s, pm->vmstat.pgfree, "pgfree");
	stat_u64(s, pm->vmstat.allocfail, "allocfail");
	stat_u64(s, pm->vmstat.bad_page, "bad_page");
	stat_u64(s, pm->vmstat.deferred_init_blocks, "deferred_init_blocks");
	stat_u64(s, global_zone_page_state(pm, nr_mlock), "nr_mlock");
	stat_u64(s, pm->vmstat.unevictable_pgs_mlocked, "unevictable_pgs_mlocked");
	stat_u64(s, pm->vmstat.unevictable_pgs_munlocked, "unevictable_pgs_munlocked");
}

/* Per CPU: the TLB levels and the page walker. */
static void stats_mmu(struct vmsim_machine *m, struct stat_sink *s)
{
	static const char *const lvl[] = { "l1d", "l1i", "l2" };

	for (unsigned c = 0; c < m->nr_cpus; c++) {
		const struct vmsim_cpu *cpu = &m->cpus[c];

		for (unsigned l = 0; l < 3; l++) {
			struct tlb_stats t;

			tlb_get_stats(cpu, l, &t);
			stat_u64(s, t.hits, "cpu%u.tlb.%s.hits", c, lvl[l]);
			stat_u64(s, t.misses, "cpu%u.tlb.%s.misses", c, lvl[l]);
			stat_u64(s, t.fills, "cpu%u.tlb.%s.fills", c, lvl[l]);
			stat_u64(s, t.evictions, "cpu%u.tlb.%s.evictions", c, lvl[l]);
			stat_u64(s, t.flushes, "cpu%u.tlb.%s.flushes", c, lvl[l]);
			stat_u64(s, t.invlpg, "cpu%u.tlb.%s.invlpg", c, lvl[l]);
		}
		stat_u64(s, cpu->st.walks, "cpu%u.walks", c);
		stat_u64(s, cpu->st.entries_read, "cpu%u.walk_entries_read", c);
		stat_u64(s, cpu->st.ad_writes, "cpu%u.ad_writes", c);
		stat_u64(s, cpu->st.faults, "cpu%u.translation_faults", c);
		stat_u64(s, cpu->st.cr3_loads, "cpu%u.cr3_loads", c);
	}
}

/* Per task: its faults and its memory, under task.NAME (the scenario's name). */
static void stats_tasks(struct vmsim_machine *m, struct stat_sink *s)
{
	struct task_struct *t;

	list_for_each_entry(t, &m->tasks, tasks) {
		const struct fault_stats *f = &t->fst;
		const char *name = task_name(t);

		stat_u64(s, f->min_flt, "task.%s.min_flt", name);
		stat_u64(s, f->demand_zero, "task.%s.demand_zero", name);
		stat_u64(s, f->zero_page, "task.%s.zero_page", name);
		stat_u64(s, f->cow, "task.%s.cow", name);
		stat_u64(s, f->cow_reuse, "task.%s.cow_reuse", name);
		stat_u64(s, f->stack_grow, "task.%s.stack_grow", name);
		stat_u64(s, f->segv, "task.%s.segv", name);
		stat_u64(s, t->mm ? get_mm_rss(t->mm) : 0, "task.%s.rss_pages", name);
		stat_u64(s, t->mm ? t->mm->total_vm : 0, "task.%s.vm_pages", name);
	}
}

static const stats_fn registry[] = { stats_phys, stats_mmu, stats_tasks };

void stats_render(struct vmsim_machine *m, bool json, struct strbuf *sb)
{
	struct stat_sink s = { sb, json, true };

	if (json)
		sb_putc(sb, '{');
	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
		registry[i](m, &s);
	if (json)
		sb_putc(sb, '}');
}

static int view_stats(struct vmsim_machine *m, const struct view_args *a, bool json,
		      struct strbuf *sb)
{
	stats_render(m, json, sb);
	return 0;
}

const struct view views_stats[] = {
	{ "stats", view_stats },
	{ NULL, NULL },
};
