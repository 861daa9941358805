/* Scenario ops: vmalloc, vfree, kmap, kunmap, kmap_atomic, kread, kwrite (see scenario.h). */
#include "scenario.h"

const struct scn_op scn_ops_kmem[] = {
	{ NULL, NULL, NULL },
};
