/* GFP flag names ("GFP_KERNEL|__GFP_ZERO") <-> gfp_t, for scenarios, the CLI and the event log. */
#ifndef VMSIM_KERN_GFPNAMES_H
#define VMSIM_KERN_GFPNAMES_H

#include <stddef.h>

#include "phys/gfp.h"

/* Parse names joined by '|' (spaces allowed).  0 or -EINVAL; on error
 * *bad points at the first unknown name. */
int gfp_parse(const char *s, gfp_t *out, const char **bad);
/* "%#x(%pGg)": the value and its names as the kernel's printk writes
 * them (composite names first, in include/trace/events/mmflags.h order),
 * into @buf of @len bytes. */
void gfp_format(gfp_t gfp, char *buf, size_t len);
/* The gfp for a zone name (DMA, DMA32, Normal/NORMAL, HighMem/HIGHMEM). */
int gfp_for_zone(const char *zone, gfp_t *out);

#endif
