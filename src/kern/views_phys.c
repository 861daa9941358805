/* Views of physical memory: buddyinfo, zoneinfo, meminfo, info. */
#include "kern/views.h"

const struct view views_phys[] = {
	{ NULL, NULL },
};
