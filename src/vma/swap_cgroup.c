/*
 * swap_cgroup (mm/swap_cgroup.c): which memory cgroup each swap slot is
 * charged to, so that the swap charge can be given back when the slot is
 * freed, and a page swapped in is charged to the cgroup that swapped it
 * out.  Linux keeps an array of 16-bit ids per swap type, allocated at
 * swapon; so does vmsim, in host memory.
 *
 * Invariant: map[] has `length` entries, each 0 or the id of a live
 * cgroup (mem_cgroup_check() counts them against the swap counters).
 */
#include "vma/swap_cgroup.h"

#include <errno.h>
#include <stdint.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/hostalloc.h"
#include "vma/memcontrol.h"

static struct swap_cgroup_ctrl *ctrl_of(struct vm_ctx *vm, unsigned type)
{
	if (!vm->memcg || type >= SWAP_CGROUP_TYPES)
		return NULL;
	return &vm->memcg->swap_cgroup[type];
}

int swap_cgroup_swapon(struct vm_ctx *vm, unsigned type, unsigned long max_pages)
{
	struct swap_cgroup_ctrl *ctrl = ctrl_of(vm, type);

	if (!vm->memcg)
		return 0;
	if (!ctrl || ctrl->map)
		return -EINVAL;
	if (!max_pages)
		return 0;
	if (max_pages > SIZE_MAX / sizeof(*ctrl->map))
		return -ENOMEM;
	ctrl->map = host_zalloc(vm->ha, max_pages * sizeof(*ctrl->map));
	if (!ctrl->map)
		return -ENOMEM;
	ctrl->length = max_pages;
	return 0;
}

void swap_cgroup_swapoff(struct vm_ctx *vm, unsigned type)
{
	struct swap_cgroup_ctrl *ctrl = ctrl_of(vm, type);

	if (!ctrl || !ctrl->map)
		return;
	host_free(vm->ha, ctrl->map, ctrl->length * sizeof(*ctrl->map));
	ctrl->map = NULL;
	ctrl->length = 0;
}

unsigned short swap_cgroup_record(struct vm_ctx *vm, unsigned type, unsigned long offset,
				  unsigned short id, unsigned nr)
{
	struct swap_cgroup_ctrl *ctrl = ctrl_of(vm, type);
	unsigned short old;

	if (!ctrl || !ctrl->map || offset >= ctrl->length || nr > ctrl->length - offset)
		return 0;
	old = ctrl->map[offset];
	for (unsigned i = 0; i < nr; i++)
		ctrl->map[offset + i] = id;
	return old;
}

unsigned short lookup_swap_cgroup_id(struct vm_ctx *vm, unsigned type, unsigned long offset)
{
	struct swap_cgroup_ctrl *ctrl = ctrl_of(vm, type);

	if (!ctrl || !ctrl->map || offset >= ctrl->length)
		return 0;
	return ctrl->map[offset];
}

void swap_cgroup_finish(struct vm_ctx *vm)
{
	for (unsigned type = 0; type < SWAP_CGROUP_TYPES; type++)
		swap_cgroup_swapoff(vm, type);
}

void swap_cgroup_count(struct vm_ctx *vm, unsigned long *counts, unsigned nr_ids)
{
	for (unsigned type = 0; type < SWAP_CGROUP_TYPES; type++) {
		const struct swap_cgroup_ctrl *ctrl = ctrl_of(vm, type);

		for (unsigned long i = 0; ctrl && i < ctrl->length; i++)
			if (ctrl->map[i] < nr_ids)
				counts[ctrl->map[i]]++;
	}
}
