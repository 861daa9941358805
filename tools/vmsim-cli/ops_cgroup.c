/*
 * Scenario ops of memory cgroups and the OOM killer (see scenario.h):
 *   cgroup        { name, memory.max, memory.high, memory.swap.max,
 *                   memory.oom.group }   mkdir the cgroup (and missing
 *                   parents), then write each file given, in that order
 *   cgroup_attach { task, cgroup }       echo PID > cgroup.procs
 *   oom_score_adj { task, value }        echo VALUE > /proc/PID/oom_score_adj
 * and the cgroup part of `expect`: { cgroup, memory.current, memory.peak,
 * memory.swap.current, memory.events.EVENT, task, oom_score,
 * oom_score_adj }.  Sizes are bytes (suffixes allowed) or "max"; what the
 * kernel refuses (EBUSY, EINVAL) is the step's outcome.  Invariant: the
 * ops change the machine only through kern/cgroup.c, the memory
 * controller's write functions and oom_score_adj_write().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kern/cgroup.h"
#include "kern/machine.h"
#include "kern/oom.h"
#include "kern/task.h"
#include "scenario.h"
#include "vma/memcontrol.h"

/* A tunable: "max", or a size (page_counter_memparse(): rounded down to
 * pages).  0 with *pages set, 1 when absent, else a scn_bad() code. */
static int arg_tunable(struct scn *s, struct scn_step *st, const char *key, unsigned long *pages)
{
	const struct ynode *n = scn_arg(st, key);
	unsigned long max = scn_machine(s)->vm.memcg->page_counter_max;
	uint64_t bytes;
	int ret;

	if (!n)
		return 1;
	if (n->type == YNODE_SCALAR && strcmp(n->scalar, "max") == 0) {
		*pages = max;
		return 0;
	}
	if ((ret = scn_node_u64(s, st, n, &bytes)))
		return ret;
	*pages = (unsigned long)(bytes / PAGE_SIZE);
	if (*pages > max)
		return scn_bad(s, st, n, "%s: at most %lu bytes on this arch, or max", key,
			       max * PAGE_SIZE);
	return 0;
}

/* The cgroup named by @key: NULL after a scn_bad() when there is none. */
static struct mem_cgroup *arg_cgroup(struct scn *s, struct scn_step *st, const char *key)
{
	const char *path;
	struct mem_cgroup *memcg;

	if (scn_arg_str(s, st, key, true, &path))
		return NULL;
	memcg = mem_cgroup_lookup(&scn_machine(s)->vm, path);
	if (!memcg)
		scn_bad(s, st, scn_arg(st, key), "no cgroup '%s' (create it with a cgroup step)",
			path);
	return memcg;
}

static const char *const cgroup_keys[] = { "name", "memory.max", "memory.high",
					   "memory.swap.max", "memory.oom.group", NULL };

static int op_cgroup(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	unsigned long max = 0, high = 0, swap_max = 0;
	int has_max, has_high, has_swap, has_group, ret;
	struct mem_cgroup *memcg;
	const char *name;
	bool group = false;

	if ((ret = scn_arg_str(s, st, "name", true, &name)) ||
	    (has_max = arg_tunable(s, st, "memory.max", &max)) < 0 ||
	    (has_high = arg_tunable(s, st, "memory.high", &high)) < 0 ||
	    (has_swap = arg_tunable(s, st, "memory.swap.max", &swap_max)) < 0 ||
	    (has_group = scn_arg_bool(s, st, "memory.oom.group", &group)) < 0)
		return ret < 0 ? ret : -EINVAL;
	ret = cgroup_mkdir(m, name, &memcg);
	if (ret == -EINVAL)
		return scn_bad(s, st, scn_arg(st, "name"), "cgroup '%s': each part of the path a "
			       "directory name (not '.', '..', nor longer than 255)", name);
	if (ret) {
		scn_error(st, ret);
		return 0;
	}
	if ((has_high == 0 || has_max == 0 || has_swap == 0 || has_group == 0) &&
	    mem_cgroup_is_root(memcg))
		return scn_bad(s, st, st->args, "the root cgroup has no memory.max, memory.high, "
			       "memory.swap.max nor memory.oom.group");
	/* in the order cgroupfs writes would come: a new high first, so
	 * that a max write's reclaim happens with it in place */
	if (has_group == 0)
		memcg->oom_group = group;
	if (has_swap == 0)
		swap_max_write(memcg, swap_max);
	if (has_high == 0)
		memory_high_write(&m->vm, memcg, high);
	if (has_max == 0)
		memory_max_write(&m->vm, memcg, max);
	st->out.kind = OUT_NONE;
	return 0;
}

static const char *const attach_keys[] = { "task", "cgroup", NULL };

static int op_cgroup_attach(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	struct mem_cgroup *memcg;
	int ret;

	if ((ret = scn_arg_task(s, st, "task", true, &t)))
		return ret;
	memcg = arg_cgroup(s, st, "cgroup");
	if (!memcg)
		return -EINVAL;
	ret = cgroup_attach_task(t, memcg);
	st->out.kind = ret ? OUT_ERROR : OUT_NONE;
	st->out.err = ret;
	return 0;
}

static const char *const adj_keys[] = { "task", "value", NULL };

/* A signed decimal for oom_score_adj (kstrtoint() of what is written). */
static int arg_adj(struct scn *s, struct scn_step *st, long *v)
{
	const struct ynode *n = scn_arg(st, "value");
	char *end;

	if (!n)
		return scn_bad(s, st, st->args, "missing argument 'value' (-1000..1000)");
	if (n->type != YNODE_SCALAR || !n->scalar[0])
		return scn_bad(s, st, n, "value: a number -1000..1000");
	errno = 0;
	*v = strtol(n->scalar, &end, 10);
	if (*end || errno)
		return scn_bad(s, st, n, "value '%s': a number -1000..1000", n->scalar);
	return 0;
}

static int op_oom_score_adj(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	long v = 0;
	int ret;

	if ((ret = scn_arg_task(s, st, "task", true, &t)) || (ret = arg_adj(s, st, &v)))
		return ret;
	ret = oom_score_adj_write(t, v);
	st->out.kind = ret ? OUT_ERROR : OUT_NONE;
	st->out.err = ret;
	return 0;
}

const struct scn_op scn_ops_cgroup[] = {
	{ "cgroup", op_cgroup, cgroup_keys },
	{ "cgroup_attach", op_cgroup_attach, attach_keys },
	{ "oom_score_adj", op_oom_score_adj, adj_keys },
	{ NULL, NULL, NULL },
};

/* ---- expect ---- */

static const char *const expect_keys[] = {
	"cgroup", "memory.current", "memory.peak", "memory.swap.current", "memory.events.low",
	"memory.events.high", "memory.events.max", "memory.events.oom", "memory.events.oom_kill",
	"memory.events.oom_group_kill", "oom_score", "oom_score_adj", NULL
};

static void expect_value(struct scn *s, struct scn_step *st, const char *what, uint64_t want,
			 uint64_t got)
{
	char w[128];

	scn_checked(s);
	if (want != got) {
		snprintf(w, sizeof(w), "%s %" PRIu64, what, want);
		scn_mismatch(s, st, w, "%" PRIu64, got);
	}
}

static int expect_cgroup(struct scn *s, struct scn_step *st)
{
	static const char *const files[] = { "memory.current", "memory.peak", "memory.swap.current" };
	struct mem_cgroup *memcg = NULL;
	struct task_struct *t;
	uint64_t want;
	int ret;

	if (scn_arg(st, "cgroup")) {
		memcg = arg_cgroup(s, st, "cgroup");
		if (!memcg)
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const struct page_counter *pc;

		if (!scn_arg(st, files[i]))
			continue;
		if (!memcg || mem_cgroup_is_root(memcg))
			return scn_bad(s, st, scn_arg(st, files[i]), "%s: of which cgroup? (a child of "
				       "the root: the root has none)", files[i]);
		if ((ret = scn_arg_u64(s, st, files[i], true, &want)))
			return ret;
		pc = i == 2 ? &memcg->swap : &memcg->memory;
		expect_value(s, st, files[i], want,
			     (uint64_t)(i == 1 ? pc->watermark : pc->usage) * PAGE_SIZE);
	}
	for (unsigned e = MEMCG_LOW; e <= MEMCG_OOM_GROUP_KILL; e++) {
		char key[64];

		snprintf(key, sizeof(key), "memory.events.%s", memcg_memory_event_names[e]);
		if (!scn_arg(st, key))
			continue;
		if (!memcg || mem_cgroup_is_root(memcg))
			return scn_bad(s, st, scn_arg(st, key), "%s: of which cgroup? (a child of the "
				       "root: the root has none)", key);
		if ((ret = scn_arg_u64(s, st, key, true, &want)))
			return ret;
		expect_value(s, st, key, want, memcg->memory_events[e]);
	}
	if (!scn_arg(st, "oom_score") && !scn_arg(st, "oom_score_adj"))
		return 0;
	if ((ret = scn_arg_task(s, st, "task", true, &t)))
		return ret;
	if (scn_arg(st, "oom_score")) {
		if ((ret = scn_arg_u64(s, st, "oom_score", true, &want)))
			return ret;
		expect_value(s, st, "oom_score", want, proc_oom_score(t));
	}
	if (scn_arg(st, "oom_score_adj")) {
		long v;
		char w[64];

		if (scn_arg(st, "oom_score_adj")->type != YNODE_SCALAR)
			return scn_bad(s, st, scn_arg(st, "oom_score_adj"), "oom_score_adj: a number");
		v = strtol(scn_arg(st, "oom_score_adj")->scalar, NULL, 10);
		scn_checked(s);
		if (v != t->oom_score_adj) {
			snprintf(w, sizeof(w), "oom_score_adj %ld", v);
			scn_mismatch(s, st, w, "%d", t->oom_score_adj);
		}
	}
	return 0;
}

const struct scn_expect_part scn_expect_cgroup = { expect_keys, expect_cgroup };
