/*
 * The machine config's rules for the keys the MMU layer owns: cpu.* (the
 * paging mode and the features it allows) and tlb.* (the geometry of each
 * TLB level and paging-structure cache).  They run from the table in
 * kern/kern_config.c; see util/config_rule.h for what a rule is.
 */
#ifndef VMSIM_MMU_MMU_CONFIG_H
#define VMSIM_MMU_MMU_CONFIG_H

#include "util/config_rule.h"

/* cpu.paging belongs to the arch; phys_bits, nxe and pcid fit the paging. */
int cpu_config_check(const struct vmsim_config *c, struct vmsim_error *err);
/* Every level present has entries a multiple of ways and power-of-two sets. */
int tlb_config_check(const struct vmsim_config *c, struct vmsim_error *err);

#endif
