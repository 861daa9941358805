/*
 * The per-CPU swap slot cache (mm/swap_slots.c of Linux v6.12): each CPU
 * takes SWAP_SLOTS_CACHE_SIZE (64) slots from the areas at once and hands
 * them out one by one, and gathers freed slots in a return cache that
 * goes back to the areas 64 at a time, so that freed slots coalesce in
 * their clusters.  The cache works only while swap has plenty of room:
 * it turns on above 5 * 64 free slots per CPU and off below 2 * 64,
 * draining itself.
 *
 * Invariant: every slot in a cache has swap_map == SWAP_HAS_CACHE and no
 * other user; a slot in the alloc cache is counted in-use by its area,
 * one in the return cache too (until swapcache_free_entries()).
 */
#include "vma/swapfile.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"

#define THRESHOLD_ACTIVATE_SWAP_SLOTS_CACHE	(5 * SWAP_SLOTS_CACHE_SIZE)
#define THRESHOLD_DEACTIVATE_SWAP_SLOTS_CACHE	(2 * SWAP_SLOTS_CACHE_SIZE)

int swap_slots_init(struct vm_ctx *vm)
{
	vm->swap->slots = host_zalloc(vm->ha, vm->nr_cpus * sizeof(*vm->swap->slots));
	return vm->swap->slots ? 0 : -ENOMEM;
}

void swap_slots_finish(struct vm_ctx *vm)
{
	if (vm->swap->slots)
		host_free(vm->ha, vm->swap->slots, vm->nr_cpus * sizeof(*vm->swap->slots));
	vm->swap->slots = NULL;
}

static bool use_swap_slot_cache(const struct swap_state *ss)
{
	return ss->swap_slot_cache_active && ss->swap_slot_cache_enabled;
}

/* __drain_swap_slots_cache(): every CPU's slots go back to the areas. */
static void drain_swap_slots_cache(struct vm_ctx *vm)
{
	for (unsigned c = 0; c < vm->nr_cpus; c++) {
		struct swap_slots_cache *cache = &vm->swap->slots[c];

		swapcache_free_entries(vm, cache->slots + cache->cur, cache->nr);
		cache->cur = cache->nr = 0;
		swapcache_free_entries(vm, cache->slots_ret, cache->n_ret);
		cache->n_ret = 0;
	}
}

/* has_usable_swap(): some writable area has a free slot. */
static bool has_usable_swap(const struct vm_ctx *vm)
{
	for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
		const struct swap_info_struct *si = vm->swap->swap_info[t];

		if (si && (si->flags & SWP_WRITEOK) && si->highest_bit)
			return true;
	}
	return false;
}

void enable_swap_slots_cache(struct vm_ctx *vm)
{
	vm->swap->swap_slot_cache_enabled = has_usable_swap(vm);
}

void disable_swap_slots_cache(struct vm_ctx *vm)
{
	vm->swap->swap_slot_cache_enabled = false;
	drain_swap_slots_cache(vm);
}

void reenable_swap_slots_cache(struct vm_ctx *vm)
{
	vm->swap->swap_slot_cache_enabled = has_usable_swap(vm);
}

/* check_cache_active(): on with plenty of free slots, off (drained) when
 * they run low. */
static bool check_cache_active(struct vm_ctx *vm)
{
	struct swap_state *ss = vm->swap;
	long pages = vm->pm->nr_swap_pages;

	if (!ss->swap_slot_cache_enabled)
		return false;
	if (!ss->swap_slot_cache_active) {
		if (pages > (long)vm->nr_cpus * THRESHOLD_ACTIVATE_SWAP_SLOTS_CACHE)
			ss->swap_slot_cache_active = true;
		return ss->swap_slot_cache_active;
	}
	if (pages < (long)vm->nr_cpus * THRESHOLD_DEACTIVATE_SWAP_SLOTS_CACHE) {
		ss->swap_slot_cache_active = false;
		drain_swap_slots_cache(vm);
	}
	return ss->swap_slot_cache_active;
}

swp_entry_t swap_slots_alloc(struct vm_ctx *vm)
{
	struct swap_slots_cache *cache = &vm->swap->slots[vm->pm->this_cpu];
	swp_entry_t entry = { 0 };

	if (!check_cache_active(vm))
		return entry;
	if (!cache->nr && use_swap_slot_cache(vm->swap)) {
		/* refill_swap_slots_cache() */
		cache->cur = 0;
		cache->nr = (unsigned)get_swap_pages(vm, SWAP_SLOTS_CACHE_SIZE, cache->slots);
	}
	if (cache->nr) {
		entry = cache->slots[cache->cur];
		cache->slots[cache->cur++].val = 0;
		cache->nr--;
	}
	return entry;
}

void free_swap_slot(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_slots_cache *cache = &vm->swap->slots[vm->pm->this_cpu];

	if (!use_swap_slot_cache(vm->swap)) {
		swapcache_free_entries(vm, &entry, 1);
		return;
	}
	if (cache->n_ret >= SWAP_SLOTS_CACHE_SIZE) {
		/* back to the areas, where they may join their clusters */
		swapcache_free_entries(vm, cache->slots_ret, cache->n_ret);
		cache->n_ret = 0;
	}
	cache->slots_ret[cache->n_ret++] = entry;
}
