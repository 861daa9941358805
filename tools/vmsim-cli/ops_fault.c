/* Scenario ops: read, write, fetch, touch, fork, switch, exit (see scenario.h). */
#include "scenario.h"

const struct scn_op scn_ops_fault[] = {
	{ NULL, NULL, NULL },
};
