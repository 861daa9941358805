/* Scenario ops: spawn, mmap, munmap, mprotect, brk (see scenario.h). */
#include "scenario.h"

const struct scn_op scn_ops_task[] = {
	{ NULL, NULL, NULL },
};

/* Keys of the `expect` op about a task (task, rss, vm, maps, ...). */
static const char *const task_expect_keys[] = { NULL };

static int expect_task(struct scn *s, struct scn_step *st)
{
	return 0;
}

const struct scn_expect_part scn_expect_task = { task_expect_keys, expect_task };
