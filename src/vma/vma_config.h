/*
 * The machine config's rules for the keys the vma layer owns: swap.size
 * (the swap area swapon'ed at boot) and pagecache.fault_around_bytes.
 * They run from the table in kern/kern_config.c; see util/config_rule.h
 * for what a rule is.
 */
#ifndef VMSIM_VMA_VMA_CONFIG_H
#define VMSIM_VMA_VMA_CONFIG_H

#include "util/config_rule.h"

/* swap.size: 0, or whole pages and at least ten of them (mkswap). */
int swap_config_check(const struct vmsim_config *c, struct vmsim_error *err);
/* pagecache.fault_around_bytes: as fault_around_bytes_set() accepts it. */
int pagecache_config_check(const struct vmsim_config *c, struct vmsim_error *err);

#endif
