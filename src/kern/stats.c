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
#include "kern/vmstat.h"
#include "mmu/mmu.h"
#include "vma/mm_types.h"

void stat_u64(struct stat_sink *s, uint64_t v, const char *fmt, ...)
{
	char name[128];
	va_list ap;

	if (s->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (s->fn)
		s->stop = s->fn(name, v, s->arg);
	else if (s->jw)
		json_key_u64(s->jw, name, v);
	else
		sb_printf(s->sb, "%s %llu\n", name, (unsigned long long)v);
}

void tlb_stat_fields(const struct tlb_stats *t, struct stat_field f[TLB_STAT_FIELDS])
{
	f[0] = (struct stat_field){ "hits", t->hits };
	f[1] = (struct stat_field){ "misses", t->misses };
	f[2] = (struct stat_field){ "fills", t->fills };
	f[3] = (struct stat_field){ "evictions", t->evictions };
	f[4] = (struct stat_field){ "flushes", t->flushes };
	f[5] = (struct stat_field){ "invlpg", t->invlpg };
}

void fault_stat_fields(const struct fault_stats *fs, struct stat_field f[FAULT_STAT_FIELDS])
{
	f[0] = (struct stat_field){ "min_flt", fs->min_flt };
	f[1] = (struct stat_field){ "demand_zero", fs->demand_zero };
	f[2] = (struct stat_field){ "zero_page", fs->zero_page };
	f[3] = (struct stat_field){ "cow", fs->cow };
	f[4] = (struct stat_field){ "cow_reuse", fs->cow_reuse };
	f[5] = (struct stat_field){ "stack_grow", fs->stack_grow };
	f[6] = (struct stat_field){ "segv", fs->segv };
	f[7] = (struct stat_field){ "sigbus", fs->sigbus };
}

void json_stat_fields(struct json_writer *jw, const struct stat_field *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		json_key_u64(jw, f[i].name, f[i].v);
}

static void stat_vmstat_item(void *arg, const char *name, unsigned long value)
{
	stat_u64(arg, value, "%s", name);
}

/* Every /proc/vmstat counter the simulator keeps, under its name and with
 * its value there, then the page allocator's own. */
static void stats_phys(struct vmsim_machine *m, struct stat_sink *s)
{
	struct phys_mem *pm = &m->pm;

	vmstat_for_each(m, stat_vmstat_item, s);
	stat_u64(s, nr_free_pages_with_pcp(pm) - nr_free_pages(pm), "pcp_pages");
	stat_u64(s, pm->vmstat.allocfail, "allocfail");
	stat_u64(s, pm->vmstat.bad_page, "bad_page");
	stat_u64(s, pm->vmstat.deferred_init_blocks, "deferred_init_blocks");
}

/* Per CPU: the TLB levels and the page walker. */
static void stats_mmu(struct vmsim_machine *m, struct stat_sink *s)
{
	static const char *const lvl[] = { "l1d", "l1i", "l2" };

	for (unsigned c = 0; c < m->nr_cpus; c++) {
		const struct vmsim_cpu *cpu = &m->cpus[c];

		for (unsigned l = 0; l < 3; l++) {
			struct tlb_stats t;
			struct stat_field f[TLB_STAT_FIELDS];

			tlb_get_stats(cpu, l, &t);
			tlb_stat_fields(&t, f);
			for (unsigned i = 0; i < TLB_STAT_FIELDS; i++)
				stat_u64(s, f[i].v, "cpu%u.tlb.%s.%s", c, lvl[l], f[i].name);
		}
		stat_u64(s, cpu->st.walks, "cpu%u.walks", c);
		stat_u64(s, cpu->st.entries_read, "cpu%u.walk_entries_read", c);
		stat_u64(s, cpu->st.ad_writes, "cpu%u.ad_writes", c);
		stat_u64(s, cpu->st.faults, "cpu%u.translation_faults", c);
		stat_u64(s, cpu->st.cr3_loads, "cpu%u.cr3_loads", c);
		for (unsigned d = 0; d < PT_MAX_LEVELS; d++)
			if (cpu->psc[d].entries) {
				stat_u64(s, cpu->psc[d].hits, "cpu%u.tlb.%s.hits", c, cpu->psc[d].name);
				stat_u64(s, cpu->psc[d].misses, "cpu%u.tlb.%s.misses", c,
					 cpu->psc[d].name);
			}
		stat_u64(s, cpu->st.psc_refs_saved, "cpu%u.walk_entries_saved", c);
	}
}

/* Per task: its faults and its memory, under task.NAME (the scenario's name). */
static void stats_tasks(struct vmsim_machine *m, struct stat_sink *s)
{
	struct task_struct *t;

	list_for_each_entry(t, &m->tasks, tasks) {
		struct stat_field f[FAULT_STAT_FIELDS];
		const char *name = task_name(t);

		fault_stat_fields(&t->fst, f);
		for (unsigned i = 0; i < FAULT_STAT_FIELDS; i++)
			stat_u64(s, f[i].v, "task.%s.%s", name, f[i].name);
		stat_u64(s, t->mm ? get_mm_rss(t->mm) : 0, "task.%s.rss_pages", name);
		stat_u64(s, t->mm ? t->mm->total_vm : 0, "task.%s.vm_pages", name);
	}
}

static const stats_fn registry[] = { stats_phys, stats_mmu, stats_tasks };

int stats_foreach(struct vmsim_machine *m, int (*fn)(const char *name, uint64_t v, void *arg),
		  void *arg)
{
	struct stat_sink s = { .fn = fn, .arg = arg };

	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]) && !s.stop; i++)
		registry[i](m, &s);
	return s.stop;
}

void stats_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb)
{
	struct stat_sink s = { .jw = jw, .sb = sb };

	if (jw)
		json_object_begin(jw);
	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
		registry[i](m, &s);
	if (jw)
		json_object_end(jw);
}

static int view_stats(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		      struct strbuf *sb)
{
	(void)a;
	stats_render(m, jw, sb);
	return 0;
}

const struct view views_stats[] = {
	{ "stats", view_stats },
	{ NULL, NULL },
};
