/* Views: vmallocinfo, layout (see views.h).  Entries arrive with the code that models them. */
#include "kern/views.h"

const struct view views_kmem[] = {
	{ NULL, NULL },
};
