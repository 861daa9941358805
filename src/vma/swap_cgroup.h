/*
 * The memory cgroup each swap entry is charged to (mm/swap_cgroup.c): one
 * array of cgroup ids per swap type, one id per slot, allocated when the
 * swap area is switched on.  The swap code calls swap_cgroup_swapon() and
 * swap_cgroup_swapoff() around an area's life; the memory controller
 * records and looks up the ids (memcontrol.h's swap functions).
 */
#ifndef VMSIM_VMA_SWAP_CGROUP_H
#define VMSIM_VMA_SWAP_CGROUP_H

#include <stdint.h>

struct vm_ctx;
struct vmsim_error;

/* 1 << MAX_SWAPFILES_SHIFT: every swap type a swap entry can name */
#define SWAP_CGROUP_TYPES 32u

struct swap_cgroup_ctrl {
	unsigned short *map;		/* [offset]: the cgroup id, 0 for none */
	unsigned long length;		/* slots */
};

/* The ids of swap type @type's @max_pages slots, all 0.  0, -EINVAL
 * (type out of range, or already on), -ENOMEM. */
int swap_cgroup_swapon(struct vm_ctx *vm, unsigned type, unsigned long max_pages);
/* The area is gone: its ids too (every entry must be uncharged). */
void swap_cgroup_swapoff(struct vm_ctx *vm, unsigned type);
/* Record @id for @nr slots from (@type, @offset); the id the first one
 * had.  Slots outside an area that is on are ignored (0). */
unsigned short swap_cgroup_record(struct vm_ctx *vm, unsigned type, unsigned long offset,
				  unsigned short id, unsigned nr);
/* The id recorded for (@type, @offset), 0 for none. */
unsigned short lookup_swap_cgroup_id(struct vm_ctx *vm, unsigned type,
				     unsigned long offset);
/* Every area's ids freed (shutdown). */
void swap_cgroup_finish(struct vm_ctx *vm);
/* Swap slots recorded with each id: @counts[id] += ..., @nr_ids ids. */
void swap_cgroup_count(struct vm_ctx *vm, unsigned long *counts, unsigned nr_ids);

#endif
