/*
 * The machine config's rules for the keys the kern layer owns -- the
 * kernel's virtual layout (layout.*) and the process defaults (process.*)
 * -- and machine_config_rules[], the one table of every layer's rules
 * that config_finalize() and config_builtin() are given
 * (util/config_rule.h).
 *
 * To add a key: add its row to the key table (util/config_load.c) and its
 * field to struct vmsim_config (util/config.h); if some values of it
 * cannot make a machine, put the check in the rule function of the layer
 * that owns the key (phys/phys_config.c, mmu/mmu_config.c,
 * vma/vma_config.c, or here), or add a rule function there and list it in
 * machine_config_rules[].
 */
#ifndef VMSIM_KERN_KERN_CONFIG_H
#define VMSIM_KERN_KERN_CONFIG_H

#include "util/config_rule.h"

/* layout.*: the x86_64 or x86_32 kernel half, as the kernel would have it. */
int layout_config_check(const struct vmsim_config *c, struct vmsim_error *err);
/* process.*: rlimits a 32-bit task can hold, mmap_min_addr below mmap_base. */
int process_config_check(const struct vmsim_config *c, struct vmsim_error *err);

/* Every layer's rules, in the order their messages take precedence. */
extern const struct config_rule machine_config_rules[];

#endif
