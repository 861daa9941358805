#ifndef VMSIM_CLI_OPS_H
#define VMSIM_CLI_OPS_H

#include <stddef.h>

#include "scenario.h"

const struct scn_op *scn_find_op(const char *name);
/* Comma-separated names of all ops, for "unknown op" messages. */
void scn_list_ops(char *buf, size_t len);
/* The parts of the `expect` op, @n of them. */
const struct scn_expect_part *const *scn_expect_parts(size_t *n);

#endif
