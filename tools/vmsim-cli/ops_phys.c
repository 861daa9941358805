/* Scenario ops of physical memory: alloc_pages, free_pages, show, expect. */
#include "scenario.h"

const struct scn_op scn_ops_phys[] = {
	{ NULL, NULL, NULL },
};
