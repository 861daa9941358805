/*
 * The machine config's rules for the keys the physical-memory layer owns:
 * memory.* (RAM, nodes), reserve, kernel_image (the boot reservations),
 * zones.* and buddy.*.  They run from the table in kern/kern_config.c;
 * see util/config_rule.h for what a rule is.
 */
#ifndef VMSIM_PHYS_PHYS_CONFIG_H
#define VMSIM_PHYS_PHYS_CONFIG_H

#include "util/config_rule.h"

/* RAM: whole pages, addressable by the paging mode, split into nodes of
 * whole max-order blocks; buddy.max_order reaches THREAD_SIZE_ORDER. */
int memory_config_check(const struct vmsim_config *c, struct vmsim_error *err);
/* Reserved ranges: page aligned, inside RAM, disjoint. */
int reserve_config_check(const struct vmsim_config *c, struct vmsim_error *err);
/* The kernel image: aligned, inside RAM and lowmem, clear of reserves. */
int kernel_image_config_check(const struct vmsim_config *c, struct vmsim_error *err);
/* Zone bounds ascend; min_free_kbytes and the pcp high fraction fit. */
int zones_config_check(const struct vmsim_config *c, struct vmsim_error *err);

#endif
