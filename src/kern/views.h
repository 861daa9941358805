/*
 * The kernel's views (/proc files and dumps) by name.  Each view renders
 * the kernel's text into a strbuf, or writes one JSON value through a
 * json_writer (util/json.h), which may sit inside a larger document (a
 * scenario's step, exec's report).  Tables of views live next to the code
 * that knows the data (views_phys.c, views_mmu.c, ...) and are gathered
 * in views.c.  The JSON keys are listed in docs/output-formats.md and
 * checked against docs/schema/.
 */
#ifndef VMSIM_KERN_VIEWS_H
#define VMSIM_KERN_VIEWS_H

#include <stdbool.h>

#include "util/json.h"
#include "util/strbuf.h"

struct vmsim_machine;

/* Options a view may take (a task, an address); 0/NULL when absent. */
struct view_args {
	const char *task;
	const char *cgroup;		/* a cgroup's path: memory.* views */
	bool has_addr;
	unsigned long long addr;
};

/* With @jw, one JSON value goes to @jw; without, the text goes to @sb.
 * On failure (-errno) @sb holds the reason and nothing went to @jw. */
typedef int (*view_fn)(struct vmsim_machine *m, const struct view_args *a,
		       struct json_writer *jw, struct strbuf *sb);

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
extern const struct view views_vmstat[];	/* vmstat */
extern const struct view views_memcg[];	/* memory.* cgroups oom_score oom_score_adj */
extern const struct view views_seg[];	/* gdt interrupts */

/* Render view @name into @sb: its text, or with @json one complete JSON
 * document.  -ENOENT if no such view; on any failure @sb holds only the
 * reason (and sb->oom is set when it is host memory). */
int view_render(struct vmsim_machine *m, const char *name, const struct view_args *a,
		bool json, struct strbuf *sb);
/* Write view @name as one JSON value through @jw (inside a document the
 * caller builds); -ENOENT if no such view, else as view_fn. */
int view_json(struct vmsim_machine *m, const char *name, const struct view_args *a,
	      struct json_writer *jw, struct strbuf *msg);
struct segment;
/* A segment register's hidden cache as the gdt view writes it:
 * {selector, seg_base, limit, type, s, dpl, p, db, l, g, unusable}. */
void segment_json(struct json_writer *jw, const struct segment *s);

/* The region map (layout.h) as text (an mm.rst-style table) or, with
 * @jw, one JSON value; and as an SVG picture (views_kmem.c). */
void layout_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb);
void layout_svg(struct vmsim_machine *m, struct strbuf *sb);

/* Comma-separated list of view names. */
void view_names(struct strbuf *sb);

#endif
