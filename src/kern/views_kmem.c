/*
 * Views of the kernel address space:
 *   vmallocinfo  /proc/vmallocinfo (mm/vmalloc.c vmalloc_info_show())
 *   layout       the machine's virtual address map (vmsim; after
 *                Documentation/arch/x86/x86_64/mm.rst and the seeds'
 *                32-bit drawing)
 * Both render the kernel's text or one JSON value with the same numbers.
 * Invariant: a view only reads; showing it changes no state (no TLB fill,
 * no A/D bit: the layout counts leaves with pt_walk_range()).
 */
#include "kern/views.h"

#include "kern/layout.h"
#include "kern/vmalloc.h"

static int vmallocinfo(struct vmsim_machine *m, const struct view_args *a,
		       struct json_writer *jw, struct strbuf *sb)
{
	(void)a;
	vmallocinfo_render(m, jw, sb);
	return 0;
}

static int layout(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		  struct strbuf *sb)
{
	(void)a;
	layout_render(m, jw, sb);
	return 0;
}

const struct view views_kmem[] = {
	{ "vmallocinfo", vmallocinfo },
	{ "layout", layout },
	{ NULL, NULL },
};
