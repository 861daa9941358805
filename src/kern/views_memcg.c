/*
 * Views of the memory cgroups and the OOM killer:
 *   memory.stat            mm/memcontrol.c memory_stat_show() (cgroup v2)
 *   memory.events(.local)  memory_events_show()
 *   memory.current, memory.peak, memory.max, memory.high,
 *   memory.swap.current, memory.swap.peak, memory.swap.max,
 *   memory.swap.events, memory.oom.group      the cgroup's files
 *   cgroups                vmsim's overview: every cgroup, its tasks and
 *                          limits (no kernel file)
 *   oom_score, oom_score_adj                  /proc/PID/oom_score*
 * A cgroup is named by { cgroup: PATH } ("/" or absent: the root); the
 * root has memory.stat only, as on Linux (the other files are
 * CFTYPE_NOT_ON_ROOT).  memory.stat prints the keys whose values the
 * simulator keeps (the same choice as /proc/vmstat's), in the kernel's
 * order and units (bytes for sizes, counts for events).
 */
#include "kern/views.h"

#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/oom.h"
#include "kern/task.h"
#include "kern/vmstat.h"
#include "vma/memcontrol.h"

/* The cgroup the view is of: @a->cgroup, the root when absent; NULL with
 * the reason in @sb.  @root_ok: the file exists on the root too. */
static struct mem_cgroup *view_cgroup(struct vmsim_machine *m, const struct view_args *a,
				      const char *file, bool root_ok, struct strbuf *sb)
{
	const char *path = a->cgroup ? a->cgroup : "/";
	struct mem_cgroup *memcg = mem_cgroup_lookup(&m->vm, path);

	if (!memcg) {
		sb_printf(sb, "no cgroup '%s'", path);
		return NULL;
	}
	if (!root_ok && mem_cgroup_is_root(memcg)) {
		sb_printf(sb, "the root cgroup has no %s (give { what: %s, cgroup: NAME })", file,
			  file);
		return NULL;
	}
	return memcg;
}

/* ---- memory.stat ---- */

struct memory_stat {
	const char *name;
	int idx;
};

/* memory_stats[] of Linux 6.12 with CONFIG_SWAP and THP, without zswap;
 * "slab" follows slab_unreclaimable as memcg_stat_format() prints it */
static const struct memory_stat memory_stats[] = {
	{ "anon", NR_ANON_MAPPED },
	{ "file", NR_FILE_PAGES },
	{ "kernel", MEMCG_KMEM },
	{ "kernel_stack", NR_KERNEL_STACK_KB },
	{ "pagetables", NR_PAGETABLE },
	{ "sec_pagetables", NR_SECONDARY_PAGETABLE },
	{ "percpu", MEMCG_PERCPU_B },
	{ "sock", MEMCG_SOCK },
	{ "vmalloc", MEMCG_VMALLOC },
	{ "shmem", NR_SHMEM },
	{ "file_mapped", NR_FILE_MAPPED },
	{ "file_dirty", NR_FILE_DIRTY },
	{ "file_writeback", NR_WRITEBACK },
	{ "swapcached", NR_SWAPCACHE },
	{ "anon_thp", NR_ANON_THPS },
	{ "file_thp", NR_FILE_THPS },
	{ "shmem_thp", NR_SHMEM_THPS },
	{ "inactive_anon", NR_INACTIVE_ANON },
	{ "active_anon", NR_ACTIVE_ANON },
	{ "inactive_file", NR_INACTIVE_FILE },
	{ "active_file", NR_ACTIVE_FILE },
	{ "unevictable", NR_UNEVICTABLE },
	{ "slab_reclaimable", NR_SLAB_RECLAIMABLE_B },
	{ "slab_unreclaimable", NR_SLAB_UNRECLAIMABLE_B },
	{ "workingset_refault_anon", WORKINGSET_REFAULT_ANON },
	{ "workingset_refault_file", WORKINGSET_REFAULT_FILE },
	{ "workingset_activate_anon", WORKINGSET_ACTIVATE_ANON },
	{ "workingset_activate_file", WORKINGSET_ACTIVATE_FILE },
	{ "workingset_restore_anon", WORKINGSET_RESTORE_ANON },
	{ "workingset_restore_file", WORKINGSET_RESTORE_FILE },
	{ "workingset_nodereclaim", WORKINGSET_NODERECLAIM },
	{ "pgdemote_kswapd", PGDEMOTE_KSWAPD },
	{ "pgdemote_direct", PGDEMOTE_DIRECT },
	{ "pgdemote_khugepaged", PGDEMOTE_KHUGEPAGED },
};

/* memcg_vm_event_stat[] of cgroup v2 (pgpgin and pgpgout are v1's) */
static const enum vm_event_item memcg_vm_event_stat[] = {
	PSWPIN, PSWPOUT, PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSCAN_KHUGEPAGED, PGSTEAL_KSWAPD,
	PGSTEAL_DIRECT, PGSTEAL_KHUGEPAGED, PGFAULT, PGMAJFAULT, PGREFILL, PGACTIVATE,
	PGDEACTIVATE, PGLAZYFREE, PGLAZYFREED, SWPIN_ZERO, SWPOUT_ZERO, THP_FAULT_ALLOC,
	THP_COLLAPSE_ALLOC, THP_SWPOUT, THP_SWPOUT_FALLBACK,
};

/*
 * Does the cgroup keep @idx?  A node item that /proc/vmstat prints, unless
 * it is slab memory (slab objects are not charged to cgroups here); of the
 * cgroup's own items, those that are 0 because the machine has no such
 * memory (sockets, accounted vmalloc).  "kernel" would be the kernel
 * stacks and page tables the cgroup pays for plus its slab objects: with
 * the latter missing it is left out, as is percpu.
 */
static bool memcg_stat_kept(int idx)
{
	switch (idx) {
	case NR_SLAB_RECLAIMABLE_B:
	case NR_SLAB_UNRECLAIMABLE_B:
	case MEMCG_KMEM:
	case MEMCG_PERCPU_B:
		return false;
	case MEMCG_SOCK:
	case MEMCG_VMALLOC:
		return true;
	default:
		return idx < NR_VM_NODE_STAT_ITEMS && node_stat_kept((enum node_stat_item)idx);
	}
}

/* memcg_page_state_output_unit(): bytes, except events counted as such */
static uint64_t memcg_output_unit(int idx)
{
	switch (idx) {
	case WORKINGSET_REFAULT_ANON:
	case WORKINGSET_REFAULT_FILE:
	case WORKINGSET_ACTIVATE_ANON:
	case WORKINGSET_ACTIVATE_FILE:
	case WORKINGSET_RESTORE_ANON:
	case WORKINGSET_RESTORE_FILE:
	case WORKINGSET_NODERECLAIM:
	case PGDEMOTE_KSWAPD:
	case PGDEMOTE_DIRECT:
	case PGDEMOTE_KHUGEPAGED:
		return 1;
	case NR_KERNEL_STACK_KB:
		return 1024;
	case MEMCG_PERCPU_B:
	case MEMCG_ZSWAP_B:
		return 1;
	default:
		return PAGE_SIZE;	/* pages, NR_SLAB_*_B included (kept in pages) */
	}
}

typedef void (*memcg_stat_fn)(void *arg, const char *name, uint64_t value);

/* memcg_stat_format(): @fn gets each key of memory.stat and its value */
static void memcg_stat_format(const struct vmsim_machine *m, const struct mem_cgroup *memcg,
			      memcg_stat_fn fn, void *arg)
{
	static const enum vm_event_item scan[] = { PGSCAN_KSWAPD, PGSCAN_DIRECT, PGSCAN_KHUGEPAGED };
	static const enum vm_event_item steal[] = { PGSTEAL_KSWAPD, PGSTEAL_DIRECT,
						   PGSTEAL_KHUGEPAGED };

	for (size_t i = 0; i < sizeof(memory_stats) / sizeof(memory_stats[0]); i++)
		if (memcg_stat_kept(memory_stats[i].idx))
			fn(arg, memory_stats[i].name,
			   memcg_page_state(&m->vm, memcg, memory_stats[i].idx) *
			   memcg_output_unit(memory_stats[i].idx));
	/* the accumulated events: reclaim's totals, then each one */
	if (vm_event_kept(PGSCAN_KSWAPD)) {
		uint64_t n = 0;

		for (size_t i = 0; i < 3; i++)
			n += memcg_events(memcg, scan[i]);
		fn(arg, "pgscan", n);
	}
	if (vm_event_kept(PGSTEAL_KSWAPD)) {
		uint64_t n = 0;

		for (size_t i = 0; i < 3; i++)
			n += memcg_events(memcg, steal[i]);
		fn(arg, "pgsteal", n);
	}
	for (size_t i = 0; i < sizeof(memcg_vm_event_stat) / sizeof(memcg_vm_event_stat[0]); i++)
		if (vm_event_kept(memcg_vm_event_stat[i]))
			fn(arg, vm_event_name(memcg_vm_event_stat[i]),
			   memcg_events(memcg, memcg_vm_event_stat[i]));
}

struct kv_out {
	struct json_writer *jw;
	struct strbuf *sb;
};

static void kv_line(void *arg, const char *name, uint64_t value)
{
	struct kv_out *o = arg;

	if (o->jw)
		json_key_u64(o->jw, name, value);
	else
		sb_printf(o->sb, "%s %llu\n", name, (unsigned long long)value);
}

static int view_memory_stat(struct vmsim_machine *m, const struct view_args *a,
			    struct json_writer *jw, struct strbuf *sb)
{
	struct mem_cgroup *memcg = view_cgroup(m, a, "memory.stat", true, sb);
	struct kv_out o = { jw, sb };

	if (!memcg)
		return -EINVAL;
	if (jw)
		json_object_begin(jw);
	memcg_stat_format(m, memcg, kv_line, &o);
	if (jw)
		json_object_end(jw);
	return 0;
}

/* ---- memory.events, memory.swap.events ---- */

static int events_view(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		       struct strbuf *sb, const char *file, bool local)
{
	struct mem_cgroup *memcg = view_cgroup(m, a, file, false, sb);
	struct kv_out o = { jw, sb };
	const unsigned long *ev;

	if (!memcg)
		return -EINVAL;
	ev = local ? memcg->memory_events_local : memcg->memory_events;
	if (jw)
		json_object_begin(jw);
	for (unsigned i = MEMCG_LOW; i <= MEMCG_OOM_GROUP_KILL; i++)
		kv_line(&o, memcg_memory_event_names[i], ev[i]);
	if (jw)
		json_object_end(jw);
	return 0;
}

static int view_memory_events(struct vmsim_machine *m, const struct view_args *a,
			      struct json_writer *jw, struct strbuf *sb)
{
	return events_view(m, a, jw, sb, "memory.events", false);
}

static int view_memory_events_local(struct vmsim_machine *m, const struct view_args *a,
				    struct json_writer *jw, struct strbuf *sb)
{
	return events_view(m, a, jw, sb, "memory.events.local", true);
}

static int view_swap_events(struct vmsim_machine *m, const struct view_args *a,
			    struct json_writer *jw, struct strbuf *sb)
{
	struct mem_cgroup *memcg = view_cgroup(m, a, "memory.swap.events", false, sb);
	struct kv_out o = { jw, sb };

	if (!memcg)
		return -EINVAL;
	if (jw)
		json_object_begin(jw);
	kv_line(&o, "high", memcg->memory_events[MEMCG_SWAP_HIGH]);
	kv_line(&o, "max", memcg->memory_events[MEMCG_SWAP_MAX]);
	kv_line(&o, "fail", memcg->memory_events[MEMCG_SWAP_FAIL]);
	if (jw)
		json_object_end(jw);
	return 0;
}

/* ---- the one-value files ---- */

enum memcg_file {
	F_CURRENT, F_PEAK, F_MAX, F_HIGH, F_SWAP_CURRENT, F_SWAP_PEAK, F_SWAP_MAX, F_OOM_GROUP,
};

static const char *const file_names[] = {
	[F_CURRENT] = "memory.current", [F_PEAK] = "memory.peak", [F_MAX] = "memory.max",
	[F_HIGH] = "memory.high", [F_SWAP_CURRENT] = "memory.swap.current",
	[F_SWAP_PEAK] = "memory.swap.peak", [F_SWAP_MAX] = "memory.swap.max",
	[F_OOM_GROUP] = "memory.oom.group",
};

/* One value: bytes (or "max" for an unlimited tunable, seq_puts_memcg_tunable()),
 * or oom.group's 0/1.  JSON: { "cgroup": PATH, "value": N } with null for max. */
static int file_view(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		     struct strbuf *sb, enum memcg_file f)
{
	struct mem_cgroup *memcg = view_cgroup(m, a, file_names[f], false, sb);
	unsigned long pages = 0;
	bool tunable = false;
	char path[256];

	if (!memcg)
		return -EINVAL;
	switch (f) {
	case F_CURRENT: pages = memcg->memory.usage; break;
	case F_PEAK: pages = memcg->memory.watermark; break;
	case F_MAX: pages = memcg->memory.max; tunable = true; break;
	case F_HIGH: pages = memcg->memory.high; tunable = true; break;
	case F_SWAP_CURRENT: pages = memcg->swap.usage; break;
	case F_SWAP_PEAK: pages = memcg->swap.watermark; break;
	case F_SWAP_MAX: pages = memcg->swap.max; tunable = true; break;
	case F_OOM_GROUP:
		if (jw) {
			mem_cgroup_path(memcg, path, sizeof(path));
			json_object_begin(jw);
			json_key_str(jw, "cgroup", path);
			json_key_bool(jw, file_names[f], memcg->oom_group);
			json_object_end(jw);
		} else {
			sb_printf(sb, "%d\n", memcg->oom_group);
		}
		return 0;
	}
	if (jw) {
		mem_cgroup_path(memcg, path, sizeof(path));
		json_object_begin(jw);
		json_key_str(jw, "cgroup", path);
		json_key(jw, file_names[f]);
		if (tunable && pages == m->vm.memcg->page_counter_max)
			json_null(jw);
		else
			json_u64(jw, (uint64_t)pages * PAGE_SIZE);
		json_object_end(jw);
	} else if (tunable && pages == m->vm.memcg->page_counter_max) {
		sb_puts(sb, "max\n");
	} else {
		sb_printf(sb, "%llu\n", (unsigned long long)pages * PAGE_SIZE);
	}
	return 0;
}

#define FILE_VIEW(fn, f) \
	static int fn(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw, \
		      struct strbuf *sb) \
	{ \
		return file_view(m, a, jw, sb, f); \
	}

FILE_VIEW(view_memory_current, F_CURRENT)
FILE_VIEW(view_memory_peak, F_PEAK)
FILE_VIEW(view_memory_max, F_MAX)
FILE_VIEW(view_memory_high, F_HIGH)
FILE_VIEW(view_swap_current, F_SWAP_CURRENT)
FILE_VIEW(view_swap_peak, F_SWAP_PEAK)
FILE_VIEW(view_swap_max, F_SWAP_MAX)
FILE_VIEW(view_oom_group, F_OOM_GROUP)

/* ---- cgroups: the tree at a glance ---- */

static void json_limit(struct json_writer *jw, const char *key, unsigned long pages,
		       unsigned long max)
{
	json_key(jw, key);
	if (pages == max)
		json_null(jw);
	else
		json_u64(jw, (uint64_t)pages * PAGE_SIZE);
}

static int view_cgroups(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
			struct strbuf *sb)
{
	const unsigned long max = m->vm.memcg->page_counter_max;
	struct mem_cgroup *iter;

	(void)a;
	if (jw)
		json_array_begin(jw);
	else
		sb_puts(sb, "cgroup                 id     current         max        high  oom_kill tasks\n");
	for_each_mem_cgroup_tree(iter, m->vm.memcg->root) {
		struct task_struct *t;
		char path[256], lim[2][24];

		mem_cgroup_path(iter, path, sizeof(path));
		if (jw) {
			json_object_begin(jw);
			json_key_str(jw, "cgroup", path);
			json_key_u64(jw, "id", iter->id);
			json_key_u64(jw, "current", (uint64_t)iter->memory.usage * PAGE_SIZE);
			json_limit(jw, "max", iter->memory.max, max);
			json_limit(jw, "high", iter->memory.high, max);
			json_key_u64(jw, "oom_kill", iter->memory_events[MEMCG_OOM_KILL]);
			json_key(jw, "tasks");
			json_array_begin(jw);
			list_for_each_entry(t, &iter->tasks, cg_list)
				json_str(jw, task_name(t));
			json_array_end(jw);
			json_object_end(jw);
			continue;
		}
		for (int k = 0; k < 2; k++) {
			unsigned long v = k ? iter->memory.high : iter->memory.max;

			if (v == max)
				snprintf(lim[k], sizeof(lim[k]), "max");
			else
				snprintf(lim[k], sizeof(lim[k]), "%llu", (unsigned long long)v * PAGE_SIZE);
		}
		sb_printf(sb, "%-20s %4u %11llu %11s %11s %9lu", path, iter->id,
			  (unsigned long long)iter->memory.usage * PAGE_SIZE, lim[0], lim[1],
			  iter->memory_events[MEMCG_OOM_KILL]);
		list_for_each_entry(t, &iter->tasks, cg_list)
			sb_printf(sb, " %s", task_name(t));
		sb_putc(sb, '\n');
	}
	if (jw)
		json_array_end(jw);
	return 0;
}

/* ---- /proc/PID/oom_score, oom_score_adj ---- */

static struct task_struct *named_task(struct vmsim_machine *m, const struct view_args *a,
				      struct strbuf *sb)
{
	struct task_struct *t;

	if (!a->task) {
		sb_puts(sb, "which task? give { what: VIEW, task: NAME }");
		return NULL;
	}
	t = m->tasks.next ? task_find(m, a->task) : NULL;
	if (!t)
		sb_printf(sb, "no task '%s'", a->task);
	return t;
}

/* /proc/PID/oom_score or, @adj, oom_score_adj: the file's one number;
 * both in JSON. */
static int show_oom_file(struct vmsim_machine *m, const struct view_args *a,
			 struct json_writer *jw, struct strbuf *sb, bool adj)
{
	struct task_struct *t = named_task(m, a, sb);

	if (!t)
		return -EINVAL;
	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "task", task_name(t));
		json_key_i64(jw, "pid", t->pid);
		json_key_u64(jw, "oom_score", proc_oom_score(t));
		json_key_i64(jw, "oom_score_adj", t->oom_score_adj);
		json_object_end(jw);
	} else if (adj) {
		sb_printf(sb, "%d\n", t->oom_score_adj);
	} else {
		sb_printf(sb, "%lu\n", proc_oom_score(t));
	}
	return 0;
}

static int view_oom_score(struct vmsim_machine *m, const struct view_args *a,
			  struct json_writer *jw, struct strbuf *sb)
{
	return show_oom_file(m, a, jw, sb, false);
}

static int view_oom_score_adj(struct vmsim_machine *m, const struct view_args *a,
			      struct json_writer *jw, struct strbuf *sb)
{
	return show_oom_file(m, a, jw, sb, true);
}

const struct view views_memcg[] = {
	{ "memory.stat", view_memory_stat },
	{ "memory.events", view_memory_events },
	{ "memory.events.local", view_memory_events_local },
	{ "memory.current", view_memory_current },
	{ "memory.peak", view_memory_peak },
	{ "memory.max", view_memory_max },
	{ "memory.high", view_memory_high },
	{ "memory.swap.current", view_swap_current },
	{ "memory.swap.peak", view_swap_peak },
	{ "memory.swap.max", view_swap_max },
	{ "memory.swap.events", view_swap_events },
	{ "memory.oom.group", view_oom_group },
	{ "cgroups", view_cgroups },
	{ "oom_score", view_oom_score },
	{ "oom_score_adj", view_oom_score_adj },
	{ NULL, NULL },
};
