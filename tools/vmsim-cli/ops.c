/* The table of every scenario op, gathered from the ops_*.c files. */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static const struct scn_op *const tables[] = {
	scn_ops_phys, scn_ops_mmu, scn_ops_slab, scn_ops_kmem, scn_ops_task, scn_ops_fault,
	scn_ops_exec, scn_ops_madvise, scn_ops_swap, scn_ops_mlock, scn_ops_cgroup,
};

static const struct scn_expect_part *const expect_parts[] = {
	&scn_expect_phys, &scn_expect_task, &scn_expect_reclaim, &scn_expect_cgroup,
};

const struct scn_expect_part *const *scn_expect_parts(size_t *n)
{
	*n = sizeof(expect_parts) / sizeof(expect_parts[0]);
	return expect_parts;
}

const struct scn_op *scn_find_op(const char *name)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct scn_op *op = tables[t]; op->name; op++)
			if (strcmp(op->name, name) == 0)
				return op;
	return NULL;
}

void scn_list_ops(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct scn_op *op = tables[t]; op->name; op++) {
			int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", op->name);
			if (n < 0 || (size_t)n >= len - used)
				return;
			used += (size_t)n;
		}
}
