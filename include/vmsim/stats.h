/*
 * What a machine can tell: every statistic by its name (the names of
 * `vmsim-cli stats`), every view (the `show:` views: meminfo, vmstat,
 * buddyinfo, maps, smaps, pagetable, tlb, ...) as text or JSON, and the
 * event stream (what `--trace-events` writes) through a callback.
 */
#ifndef VMSIM_STATS_H
#define VMSIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "vmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmsim_machine;

/* The statistic @name ("nr_free_pages", "cpu0.tlb.l1d.misses", ...) into
 * *@v.  -ENOENT when there is none of that name. */
VMSIM_API int vmsim_stat(struct vmsim_machine *m, const char *name, uint64_t *v);

/* Return non-zero to stop the iteration (vmsim_stats_foreach returns it). */
typedef int (*vmsim_stat_fn)(const char *name, uint64_t value, void *arg);
/* Every statistic, in the order `vmsim-cli stats` lists them.  The name
 * lives only during the call.  0, or what @fn returned to stop. */
VMSIM_API int vmsim_stats_foreach(struct vmsim_machine *m, vmsim_stat_fn fn, void *arg);

/* Options of a view (zero: none). */
struct vmsim_view_opts {
	const char *task;	/* maps, smaps, status, pagetable: whose */
	int has_addr;		/* pagetable: one address's walk */
	uint64_t addr;
	int json;		/* one JSON document instead of the kernel's text */
};

/*
 * Render view @name into @buf (@size bytes, NUL-terminated when @size > 0),
 * as snprintf does: returns the length the whole view needs (not counting
 * the NUL), so a return >= @size means it was cut short; call again with
 * a larger buffer (@buf may be NULL when @size is 0).  -ENOENT for an
 * unknown view, -EINVAL for options the view refuses (with the reason in
 * @err), -ENOMEM.  @o and @err may be NULL.
 */
VMSIM_API long vmsim_view(struct vmsim_machine *m, const char *name,
			  const struct vmsim_view_opts *o, char *buf, size_t size,
			  struct vmsim_error *err);
/* The picture of view @name as an SVG document, snprintf-style as
 * vmsim_view(): the "layout" view (the address-space map) has one;
 * -ENOENT for a view without a picture. */
VMSIM_API long vmsim_view_svg(struct vmsim_machine *m, const char *name, char *buf, size_t size,
			      struct vmsim_error *err);
/* The view names, comma-separated, snprintf-style as vmsim_view(). */
VMSIM_API long vmsim_view_names(char *buf, size_t size);

/*
 * One event: its sequence number, its kind ("page_alloc", "fault",
 * "tlb_fill", "vma_add", ...), the task it ran for (NULL: the kernel) and
 * its fields as "key=value key=value" (docs/output-formats.md lists them).
 * The strings live only during the call.  The callback must not call
 * back into the machine.
 */
typedef void (*vmsim_event_fn)(uint64_t seq, const char *kind, const char *task,
			       const char *fields, void *arg);
/* Send every event of @m to @fn (NULL stops them).  One subscriber per
 * machine: a new one replaces the old.  0 or -ENOMEM. */
VMSIM_API int vmsim_events_subscribe(struct vmsim_machine *m, vmsim_event_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif
