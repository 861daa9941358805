/* Views of the MMU: page-table dumps, TLB contents (see views.h). */
#include "kern/views.h"

const struct view views_mmu[] = {
	{ NULL, NULL },
};
