/* View registry (see views.h). */
#include "kern/views.h"

#include <errno.h>
#include <string.h>

static const struct view *const tables[] = { views_phys, views_mmu, views_slab, views_kmem,
					      views_mm, views_stats };

int view_render(struct vmsim_machine *m, const char *name, const struct view_args *a,
		bool json, struct strbuf *sb)
{
	static const struct view_args none;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct view *v = tables[t]; v->name; v++)
			if (strcmp(v->name, name) == 0)
				return v->fn(m, a ? a : &none, json, sb);
	return -ENOENT;
}

void view_names(struct strbuf *sb)
{
	bool first = true;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct view *v = tables[t]; v->name; v++) {
			sb_printf(sb, "%s%s", first ? "" : ", ", v->name);
			first = false;
		}
}
