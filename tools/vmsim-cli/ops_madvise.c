/*
 * Scenario op of madvise(2) (see scenario.h):
 *   madvise { task, addr, length, advice }
 * advice is the kernel's name without MADV_, in lower case (dontneed,
 * free, willneed, dontfork, wipeonfork, hugepage, populate_write, ...), or
 * a number, so that a scenario can ask for an advice the kernel does not
 * know.  The call's failure is the outcome (OUT_ERROR with the kernel's
 * errno); success has no value.  Invariant: the op changes the machine only
 * through do_madvise(), with the task's fault counters for the faults
 * MADV_POPULATE_* takes.
 */
#include <errno.h>
#include <string.h>

#include "kern/task.h"
#include "scenario.h"
#include "vma/mm.h"

static const char *const madvise_keys[] = { "task", "addr", "length", "advice", NULL };

static int arg_advice(struct scn *s, struct scn_step *st, int *behavior)
{
	const struct ynode *n = scn_arg(st, "advice");
	uint64_t v;

	if (!n || n->type != YNODE_SCALAR)
		return scn_bad(s, st, n ? n : st->args, "advice: a name like dontneed, free, "
			       "willneed, dontfork, wipeonfork, hugepage or populate_write, or a number");
	*behavior = madvise_behavior_from_name(n->scalar);
	if (*behavior >= 0)
		return 0;
	if (n->scalar[0] < '0' || n->scalar[0] > '9')
		return scn_bad(s, st, n, "unknown advice '%s' (the kernel's MADV_ name in lower "
			       "case without MADV_, e.g. dontneed, or a number)", n->scalar);
	if (scn_node_u64(s, st, n, &v))
		return -EINVAL;
	if (v > 0x7fffffff)
		return scn_bad(s, st, n, "advice %s does not fit in an int", n->scalar);
	*behavior = (int)v;
	return 0;
}

static int op_madvise(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	uint64_t addr, len;
	int behavior = 0, ret;

	if ((ret = scn_arg_task(s, st, "task", true, &t)) ||
	    (ret = scn_arg_u64(s, st, "addr", true, &addr)) ||
	    (ret = scn_arg_u64(s, st, "length", true, &len)) || (ret = arg_advice(s, st, &behavior)))
		return ret < 0 ? ret : -EINVAL;
	ret = do_madvise(t->mm, addr, len, behavior, &t->fst);
	st->out.kind = ret ? OUT_ERROR : OUT_NONE;
	st->out.err = ret;
	return 0;
}

const struct scn_op scn_ops_madvise[] = {
	{ "madvise", op_madvise, madvise_keys },
	{ NULL, NULL, NULL },
};
