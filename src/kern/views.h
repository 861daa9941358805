/*
 * The kernel's views (/proc files and dumps) by name.  Each view renders
 * into a strbuf, as the kernel's text or as one JSON value.  Tables of
 * views live next to the code that knows the data (views_phys.c,
 * views_mmu.c, ...) and are gathered in views.c.
 */
#ifndef VMSIM_KERN_VIEWS_H
#define VMSIM_KERN_VIEWS_H

#include <stdbool.h>

#include "util/strbuf.h"

struct vmsim_machine;

/* Options a view may take (a task, an address); 0/NULL when absent. */
struct view_args {
	const char *task;
	bool has_addr;
	unsigned long long addr;
};

typedef int (*view_fn)(struct vmsim_machine *m, const struct view_args *a,
		       bool json, struct strbuf *sb);

struct view {
	const char *name;	/* "buddyinfo", "tlb", ... */
	view_fn fn;
};

extern const struct view views_phys[];	/* buddyinfo zoneinfo meminfo info */
extern const struct view views_mmu[];	/* pagetable tlb */
extern const struct view views_slab[];	/* slabinfo */
extern const struct view views_kmem[];	/* vmallocinfo layout */
extern const struct view views_mm[];	/* maps smaps status */
extern const struct view views_stats[];	/* stats */

/* Render view @name; -ENOENT if no such view. */
int view_render(struct vmsim_machine *m, const char *name, const struct view_args *a,
		bool json, struct strbuf *sb);
/* Comma-separated list of view names. */
void view_names(struct strbuf *sb);

#endif
