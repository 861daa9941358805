/* Scenario ops of the MMU: translate, pte, cpu (see scenario.h). */
#include "scenario.h"

const struct scn_op scn_ops_mmu[] = {
	{ NULL, NULL, NULL },
};
