/*
 * Workingset detection and thrashing protection (mm/workingset.c of Linux
 * v6.12, the classic LRU's half): shadow entries, refault distances, and
 * the activation of refaulting pages.
 *
 * A shadow packs, as Linux does into an xarray value: the lruvec's
 * nonresident_age at eviction (shifted right by bucket_order), the
 * memory cgroup id, the node id and whether the page was in the
 * workingset (active) when it left.  Invariant: nonresident_age only
 * grows (it ticks on every eviction and activation), so a refault's
 * distance is the number of pages that were evicted or activated since
 * this page left -- the inactive list it would have needed to survive.
 *
 * Not modelled: the shadow node shrinker (workingset_nodes and
 * workingset_nodereclaim): shadow entries stay until their page refaults
 * or the file goes.
 */
#include "vma/workingset.h"

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/pagecache_xa.h"
#include "vma/swap.h"

#define WORKINGSET_SHIFT 1
#define MEM_CGROUP_ID_SHIFT 16
#define NODES_SHIFT 3			/* CFG_MAX_NODES = 8 */

/* EVICTION_SHIFT on a kernel of @bits_per_long: the bits the timestamp
 * loses to the value tag, the workingset flag, the node and the cgroup. */
static unsigned eviction_shift(const struct vm_ctx *vm)
{
	unsigned bits_per_long = config_is_64(vm->cfg) ? 64 : 32;
	unsigned bits_per_xa_value = bits_per_long - 1;

	return (bits_per_long - bits_per_xa_value) + WORKINGSET_SHIFT + NODES_SHIFT +
	       MEM_CGROUP_ID_SHIFT;
}

static unsigned long eviction_mask(const struct vm_ctx *vm)
{
	unsigned bits_per_long = config_is_64(vm->cfg) ? 64 : 32;
	unsigned long mask = bits_per_long == 64 ? ~0UL : 0xffffffffUL;

	return mask >> eviction_shift(vm);
}

void workingset_init(struct vm_ctx *vm)
{
	unsigned bits_per_long = config_is_64(vm->cfg) ? 64 : 32;
	unsigned timestamp_bits = bits_per_long - eviction_shift(vm);
	unsigned long pages = vm->pm->totalram_pages;
	unsigned max_order = pages > 1 ? 64 - (unsigned)__builtin_clzl(pages - 1) : 0;

	/* cover refault distances up to all of memory */
	vm->workingset_bucket_order = max_order > timestamp_bits ? max_order - timestamp_bits : 0;
}

static void *pack_shadow(const struct vm_ctx *vm, int memcgid, int nid,
			 unsigned long eviction, bool workingset)
{
	eviction &= eviction_mask(vm);
	eviction = (eviction << MEM_CGROUP_ID_SHIFT) | (unsigned long)memcgid;
	eviction = (eviction << NODES_SHIFT) | (unsigned long)nid;
	eviction = (eviction << WORKINGSET_SHIFT) | workingset;
	return xa_mk_value(eviction);
}

static void unpack_shadow(const void *shadow, int *memcgid, int *nid, unsigned long *eviction,
			  bool *workingset)
{
	unsigned long entry = xa_to_value(shadow);

	*workingset = entry & ((1UL << WORKINGSET_SHIFT) - 1);
	entry >>= WORKINGSET_SHIFT;
	*nid = (int)(entry & ((1UL << NODES_SHIFT) - 1));
	entry >>= NODES_SHIFT;
	*memcgid = (int)(entry & ((1UL << MEM_CGROUP_ID_SHIFT) - 1));
	entry >>= MEM_CGROUP_ID_SHIFT;
	*eviction = entry;
}

void workingset_age_nonresident(struct lruvec *lruvec, unsigned long nr_pages)
{
	/* a cgroup's ancestors age with it: a page has an LRU position in
	 * each of them */
	do {
		lruvec->nonresident_age += nr_pages;
	} while ((lruvec = parent_lruvec(lruvec)));
}

void *workingset_eviction(struct vm_ctx *vm, struct page *page,
			  struct mem_cgroup *target_memcg)
{
	/* the reclaim target's lruvec (the root cgroup's in global
	 * reclaim), whose clock the refault is measured against */
	struct lruvec *lruvec = mem_cgroup_lruvec(vm, target_memcg, page_to_nid(page));
	unsigned long eviction = lruvec->nonresident_age >> vm->workingset_bucket_order;
	int memcgid = lruvec->memcg ? lruvec->memcg->id : 0;

	workingset_age_nonresident(lruvec, folio_nr_pages(page));
	return pack_shadow(vm, memcgid, lruvec->pgdat->node_id, eviction, PageWorkingset(page));
}

/*
 * workingset_test_recent(): would the page have stayed resident?  Its
 * refault distance against the workingset it competes with: the active
 * file list, plus the inactive file list for an anon page, plus the anon
 * lists while swap has room (both of them for a file page).
 */
static bool workingset_test_recent(struct vm_ctx *vm, const void *shadow, bool file,
				   bool *workingset)
{
	unsigned long eviction, refault, refault_distance, workingset_size;
	struct lruvec *lruvec;
	int memcgid, nid;

	unpack_shadow(shadow, &memcgid, &nid, &eviction, workingset);
	if ((unsigned)nid >= vm->pm->nr_nodes)
		return false;
	eviction <<= vm->workingset_bucket_order;
	/* the lruvec the page was evicted from: its cgroup must still exist
	 * (with the controller on, id 0 names none) */
	if (vm->memcg) {
		struct mem_cgroup *eviction_memcg = mem_cgroup_from_id(vm, (unsigned)memcgid);

		if (!eviction_memcg)
			return false;
		lruvec = mem_cgroup_lruvec(vm, eviction_memcg, (unsigned)nid);
	} else {
		lruvec = &vm->pm->node_data[nid].__lruvec;
	}
	refault = lruvec->nonresident_age;
	refault_distance = (refault - eviction) & eviction_mask(vm);
	workingset_size = mem_cgroup_lruvec_state(vm, lruvec, NR_ACTIVE_FILE);
	if (!file)
		workingset_size += mem_cgroup_lruvec_state(vm, lruvec, NR_INACTIVE_FILE);
	if (lruvec->memcg ? mem_cgroup_get_nr_swap_pages(vm, lruvec->memcg) > 0 :
			    vm->pm->nr_swap_pages > 0) {
		workingset_size += mem_cgroup_lruvec_state(vm, lruvec, NR_ACTIVE_ANON);
		if (file)
			workingset_size += mem_cgroup_lruvec_state(vm, lruvec, NR_INACTIVE_ANON);
	}
	MM_EV_M(vm, "workingset_refault", "distance=%lu workingset=%lu%s", refault_distance,
		workingset_size, refault_distance <= workingset_size ? " activate" : "");
	return refault_distance <= workingset_size;
}

void workingset_refault(struct vm_ctx *vm, struct page *page, void *shadow)
{
	const bool file = folio_is_file_lru(page);
	struct lruvec *lruvec = folio_lruvec(vm->pm, page);
	bool workingset;

	mod_lruvec_state(lruvec, (enum node_stat_item)(WORKINGSET_REFAULT_BASE + file), 1);
	if (!workingset_test_recent(vm, shadow, file, &workingset))
		return;
	set_page_flag(page, PG_active);
	workingset_age_nonresident(lruvec, 1);
	mod_lruvec_state(lruvec, (enum node_stat_item)(WORKINGSET_ACTIVATE_BASE + file), 1);
	/* it was active before eviction: thrashing, which costs I/O */
	if (workingset) {
		set_page_flag(page, PG_workingset);
		lru_note_cost_refault(vm, page);
		mod_lruvec_state(lruvec, (enum node_stat_item)(WORKINGSET_RESTORE_BASE + file), 1);
	}
}

void workingset_activation(struct vm_ctx *vm, struct page *page)
{
	workingset_age_nonresident(folio_lruvec(vm->pm, page), 1);
}
