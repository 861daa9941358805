/* Scenario ops: kmalloc, kfree, kmem_cache_create/alloc/free/destroy (see scenario.h). */
#include "scenario.h"

const struct scn_op scn_ops_slab[] = {
	{ NULL, NULL, NULL },
};
