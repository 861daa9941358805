/*
 * A simulated machine: create it from a config (a built-in name or a YAML
 * file, plus KEY=VALUE overrides), use it, destroy it.  No global state:
 * a program may hold several machines at once.
 */
#ifndef VMSIM_MACHINE_H
#define VMSIM_MACHINE_H

#include <stdint.h>
#include <stdio.h>

#include "vmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmsim_machine;

/*
 * Boot a machine.  @config is a built-in name ("x86_64", "x86_32") or a path
 * to a YAML config; @sets is NULL or a NULL-terminated array of "KEY=VALUE"
 * overrides.  Returns NULL and fills @err on failure (the message names the
 * file, line and column for config mistakes).  The caller destroys it.
 */
VMSIM_API struct vmsim_machine *vmsim_machine_create(const char *config,
						     const char *const *sets,
						     struct vmsim_error *err);
/* Is @name a built-in machine (vmsim_machine_create() takes it without
 * reading a file)?  0, or -ENOENT with "unknown built-in machine 'NAME'
 * (the built-ins)" in @err. */
VMSIM_API int vmsim_config_builtin(const char *name, struct vmsim_error *err);
/* The same from the YAML text of a config (what a config file holds);
 * @name stands for the file in messages ("FILE:LINE:COL: ..."). */
VMSIM_API struct vmsim_machine *vmsim_machine_create_yaml(const char *name, const char *yaml,
							  const char *const *sets,
							  struct vmsim_error *err);
/* Frees the machine and everything it owns: its tasks, their handles,
 * replays not yet closed are the caller's to close first.  NULL is fine. */
VMSIM_API void vmsim_machine_destroy(struct vmsim_machine *m);
/* Every consistency checker of every layer over the whole machine: 0, or
 * -EFAULT with the first violation in @err (-ENOMEM out of host memory). */
VMSIM_API int vmsim_machine_check(struct vmsim_machine *m, struct vmsim_error *err);

/*
 * --check's incremental form: after vmsim_machine_check_start() every
 * layer tracks what changes, and vmsim_machine_check_point() checks what
 * changed since the last point (and everything every @every points; 0:
 * never), as `vmsim-cli --check` does after each step.  0, -ENOMEM; a
 * point: 0 or -EFAULT with the first violation in @err.
 */
VMSIM_API int vmsim_machine_check_start(struct vmsim_machine *m, unsigned every);
VMSIM_API int vmsim_machine_check_point(struct vmsim_machine *m, struct vmsim_error *err);

/* The kernel's log, a line at a time (no newline). */
enum vmsim_log_level {
	VMSIM_LOG_BUG,	/* a kernel bug report: bad_page(), VM_BUG_ON*(),
			 * print_bad_pte() (the CLI fails a run that had one) */
	VMSIM_LOG_INFO,	/* the rest of the log: the OOM killer's report, ... */
};
typedef void (*vmsim_log_fn)(enum vmsim_log_level level, const char *line, void *arg);
/* Send the log of @m to @fn (NULL stops it; the bug reports are then kept
 * only as the vm_bug statistic).  One subscriber per machine.  0 or -EINVAL. */
VMSIM_API int vmsim_log_subscribe(struct vmsim_machine *m, vmsim_log_fn fn, void *arg);

/* Transparent huge pages: @mode "always", "madvise" or "never" written to
 * /sys/kernel/mm/transparent_hugepage/enabled (enabled_store()): later
 * faults follow it.  0, or -EINVAL for another word. */
VMSIM_API int vmsim_thp_set_enabled(struct vmsim_machine *m, const char *mode);

/* Views in the kernel's own text formats (json = 0), or as JSON (json = 1),
 * written to @out; vmsim_view() (vmsim/stats.h) renders into a buffer. */
VMSIM_API int vmsim_show(struct vmsim_machine *m, const char *what, int json, FILE *out);

/* Page allocator: allocate 2^order frames with GFP zone modifiers given by
 * name ("GFP_KERNEL", "GFP_HIGHUSER", "GFP_DMA32", ...).  On success stores
 * the first frame's number in *pfn. -ENOMEM when memory is exhausted. */
VMSIM_API int vmsim_alloc_pages(struct vmsim_machine *m, const char *gfp,
				unsigned order, uint64_t *pfn);
VMSIM_API int vmsim_free_pages(struct vmsim_machine *m, uint64_t pfn, unsigned order);

#ifdef __cplusplus
}
#endif
#endif
