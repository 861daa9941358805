/* Views: maps, smaps, status (see views.h).  Entries arrive with the code that models them. */
#include "kern/views.h"

const struct view views_mm[] = {
	{ NULL, NULL },
};
