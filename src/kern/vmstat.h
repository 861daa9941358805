/*
 * The views built from the kernel's memory statistics: /proc/vmstat,
 * zoneinfo's per-zone and per-node counters, and the statistics registry.
 * The table in phys/vmstat.c says, for every item of phys/vmstat.h, its
 * name and whether the simulator maintains it; every view prints exactly
 * the maintained ones, in the kernel's order, so that the same quantity
 * has the same value everywhere.
 */
#ifndef VMSIM_KERN_VMSTAT_H
#define VMSIM_KERN_VMSTAT_H

#include <stdbool.h>

#include "phys/mmzone.h"

struct vmsim_machine;

/* @fn gets each item's /proc/vmstat name and value. */
typedef void (*vmstat_fn)(void *arg, const char *name, unsigned long value);

/* Every maintained item of /proc/vmstat, in vmstat_show()'s order, with
 * the machine's values (zone and node items summed over the machine),
 * ending with the deprecated "nr_unstable". */
void vmstat_for_each(struct vmsim_machine *m, vmstat_fn fn, void *arg);
/* zoneinfo: the maintained node items of @pgdat ("per-node stats"), the
 * maintained zone items of @z. */
void vmstat_for_each_node_item(struct vmsim_machine *m, const struct pglist_data *pgdat,
			       vmstat_fn fn, void *arg);
void vmstat_for_each_zone_item(const struct zone *z, vmstat_fn fn, void *arg);

/* A node item in the unit /proc/vmstat prints: pages (bytes items
 * converted), KiB for nr_kernel_stack, huge pages for the THP items. */
unsigned long node_page_state_output(const struct vmsim_machine *m, enum node_stat_item item,
				     unsigned long pages);

/* global_dirty_limits() (mm/page-writeback.c): the dirty-page
 * thresholds vm.dirty_ratio (20) and vm.dirty_background_ratio (10) give
 * on the machine's dirtyable memory now. */
void global_dirty_limits(const struct phys_mem *pm, unsigned long *pbackground,
			 unsigned long *pdirty);

#endif
