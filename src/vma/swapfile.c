/*
 * Swap areas and their slots (mm/swapfile.c of Linux v6.12): swapon and
 * swapoff, the swap_map use counts, the cluster allocator of a
 * solid-state area, swap_duplicate()/swap_free()/free_swap_and_cache(),
 * try_to_unuse(), /proc/swaps.
 *
 * An area models a swap partition on an SSD (SWP_BLKDEV | SWP_SOLIDSTATE,
 * no discard): slot 0 holds the swap header and is never used; slots are
 * handed out by cluster_alloc_swap_entry(): this CPU's current cluster
 * first, then the first free cluster, then the nonfull and fragmented
 * ones, in the kernel's order, so a scenario can say which slot a page
 * gets.  A cluster is SWAPFILE_CLUSTER slots (512 with THP swap on
 * x86_64, 256 on x86_32).
 *
 * Invariants (swap_check()):
 *   - swap_map[o] & ~SWAP_HAS_CACHE is the number of PTEs and shmem
 *     objects holding (type, o) (beyond SWAP_MAP_MAX: COUNT_CONTINUED
 *     and cont_count[o]); SWAP_HAS_CACHE is set iff the swap cache holds
 *     a page for the slot or a slot cache holds the slot;
 *   - inuse_pages counts the slots with a non-zero map (the header
 *     excluded); pm->nr_swap_pages is the free slots of the writable
 *     areas, pm->total_swap_pages their usable slots;
 *   - each cluster's count is its slots in use, bad ones included, and it
 *     sits on the list its flags name;
 *   - a used slot's contents are a zeromap bit, a stored block, or a page
 *     in the swap cache that holds them; each block is one slot's or
 *     free (swap_blocks_check()).
 */
#include "vma/swapfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vma/swap.h"

#define SWAP_FLAG_PRIO_MASK 0x7fff
#define LATENCY_LIMIT 256

static unsigned swap_count(uint8_t ent)
{
	return ent & ~SWAP_HAS_CACHE;
}

/* The users of slot @offset, continuation included. */
static unsigned slot_users(const struct swap_info_struct *si, uint64_t offset)
{
	uint8_t ent = si->swap_map[offset];

	if (ent == SWAP_MAP_BAD)
		return 0;
	if ((ent & ~SWAP_HAS_CACHE) == SWAP_MAP_SHMEM)
		return 1;	/* one shmem object holds it */
	if (ent & COUNT_CONTINUED)
		return si->cont_count[offset];
	return swap_count(ent);
}

/* ---- life cycle ---- */

int swap_init(struct vm_ctx *vm)
{
	struct swap_state *ss = host_zalloc(vm->ha, sizeof(*ss));

	if (!ss)
		return -ENOMEM;
	ss->least_priority = -1;
	INIT_LIST_HEAD(&ss->mmlist);
	vm->swap = ss;
	return swap_slots_init(vm);
}

static void free_swap_info(struct vm_ctx *vm, struct swap_info_struct *si)
{
	struct host_arena *ha = vm->ha;

	if (si->slot_block)
		host_free(ha, si->slot_block, si->max * sizeof(*si->slot_block));
	swap_blocks_free(si);
	if (si->swap_map)
		host_free(ha, si->swap_map, si->max);
	if (si->cont_count)
		host_free(ha, si->cont_count, si->max * sizeof(*si->cont_count));
	if (si->zeromap)
		host_free(ha, si->zeromap, ((si->max + 63) / 64) * sizeof(*si->zeromap));
	if (si->cluster_info)
		host_free(ha, si->cluster_info, si->nr_clusters * sizeof(*si->cluster_info));
	if (si->percpu_cluster)
		host_free(ha, si->percpu_cluster, vm->nr_cpus * sizeof(*si->percpu_cluster));
	xa_destroy(&si->swap_cache);
	host_free(ha, si, sizeof(*si));
}

void swap_finish(struct vm_ctx *vm)
{
	struct swap_state *ss = vm->swap;

	if (!ss)
		return;
	swap_slots_finish(vm);
	for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = ss->swap_info[t];
		uint64_t index;
		void *entry;

		if (!si)
			continue;
		/* the machine goes: so do the pages its swap caches hold */
		xa_for_each(&si->swap_cache, index, entry) {
			if (xa_is_value(entry)) {
				xa_erase(&si->swap_cache, index);
				continue;
			}
			__delete_from_swap_cache(vm, entry, NULL);
			put_page(vm->pm, entry);
		}
		free_swap_info(vm, si);
	}
	host_free(vm->ha, ss, sizeof(*ss));
	vm->swap = NULL;
}

/* ---- the areas in priority order ---- */

/* The writable areas that have free slots, highest priority first, in
 * plist order among equal priorities (swap_avail_heads). */
static unsigned avail_areas(const struct vm_ctx *vm, struct swap_info_struct **out)
{
	unsigned n = 0;

	for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = vm->swap->swap_info[t];

		if (si && (si->flags & SWP_WRITEOK) && si->highest_bit)
			out[n++] = si;
	}
	/* insertion sort: prio descending, then plist position */
	for (unsigned i = 1; i < n; i++) {
		struct swap_info_struct *x = out[i];
		unsigned j = i;

		for (; j > 0 && (out[j - 1]->prio < x->prio ||
				 (out[j - 1]->prio == x->prio && out[j - 1]->avail_seq > x->avail_seq));
		     j--)
			out[j] = out[j - 1];
		out[j] = x;
	}
	return n;
}

/* plist_requeue(): @si goes behind the areas of its priority. */
static void plist_requeue(struct vm_ctx *vm, struct swap_info_struct *si)
{
	si->avail_seq = ++vm->swap->avail_seq;
}

bool vm_swap_full(const struct vm_ctx *vm)
{
	return vm->pm->nr_swap_pages * 2 < vm->pm->total_swap_pages;
}

void si_swapinfo(const struct vm_ctx *vm, unsigned long *free, unsigned long *total)
{
	long nr = vm->pm->nr_swap_pages, tot = vm->pm->total_swap_pages;

	/* pages taken off writable areas by a swapoff in progress do not
	 * exist here: swapoff completes within one operation */
	*free = nr > 0 ? (unsigned long)nr : 0;
	*total = tot > 0 ? (unsigned long)tot : 0;
}

/* ---- clusters ---- */

static struct swap_cluster_info *offset_to_cluster(struct swap_info_struct *si, uint64_t offset)
{
	return &si->cluster_info[offset / si->cluster_size];
}

static uint64_t cluster_offset(const struct swap_info_struct *si, const struct swap_cluster_info *ci)
{
	return (uint64_t)(ci - si->cluster_info) * si->cluster_size;
}

/* __free_cluster(): onto the free list's tail. */
static void free_cluster(struct swap_info_struct *si, struct swap_cluster_info *ci)
{
	if (ci->flags & CLUSTER_FLAG_FRAG)
		si->frag_cluster_nr[ci->order]--;
	list_move_tail(&ci->list, &si->free_clusters);
	ci->flags = CLUSTER_FLAG_FREE;
	ci->order = 0;
}

/* partial_free_cluster(): a cluster that lost a slot and is not empty is
 * nonfull from now on (it leaves the full or fragmented list). */
static void partial_free_cluster(struct swap_info_struct *si, struct swap_cluster_info *ci)
{
	if (!(ci->flags & CLUSTER_FLAG_NONFULL)) {
		if (ci->flags & CLUSTER_FLAG_FRAG)
			si->frag_cluster_nr[ci->order]--;
		list_move_tail(&ci->list, &si->nonfull_clusters[ci->order]);
		ci->flags = CLUSTER_FLAG_NONFULL;
	}
}

/* swap_range_alloc(): the bookkeeping of @nr slots taken at @offset. */
static void swap_range_alloc(struct swap_info_struct *si, uint64_t offset, unsigned nr)
{
	uint64_t end = offset + nr - 1;

	if (offset == si->lowest_bit)
		si->lowest_bit += nr;
	if (end == si->highest_bit)
		si->highest_bit -= nr;
	si->inuse_pages += nr;
	if (si->inuse_pages == si->pages) {
		/* full: off the available list */
		si->lowest_bit = si->max;
		si->highest_bit = 0;
	}
}

/* swap_range_free(): the slots are free again, their contents and any
 * shadow entry with them. */
static void swap_range_free(struct vm_ctx *vm, struct swap_info_struct *si, uint64_t offset,
			    unsigned nr)
{
	uint64_t end = offset + nr - 1;

	for (uint64_t o = offset; o <= end; o++) {
		si->zeromap[o / 64] &= ~(1UL << (o % 64));
		swap_slot_discard(si, o);
		if (xa_is_value(xa_load(&si->swap_cache, o)))
			xa_erase(&si->swap_cache, o);	/* clear_shadow_from_swap_cache() */
	}
	if (offset < si->lowest_bit)
		si->lowest_bit = (unsigned)offset;
	if (end > si->highest_bit)
		si->highest_bit = (unsigned)end;
	vm->pm->nr_swap_pages += nr;
	si->inuse_pages -= nr;
}

/* cluster_alloc_range(): take [@offset, +2^order) of @ci with @usage. */
static void cluster_alloc_range(struct swap_info_struct *si, struct swap_cluster_info *ci,
				uint64_t offset, uint8_t usage, unsigned order)
{
	unsigned nr_pages = 1u << order;

	if (ci->flags == CLUSTER_FLAG_FREE) {
		if (nr_pages < si->cluster_size) {
			list_move_tail(&ci->list, &si->nonfull_clusters[order]);
			ci->flags = CLUSTER_FLAG_NONFULL;
		}
		ci->order = (uint8_t)order;
	}
	memset(si->swap_map + offset, usage, nr_pages);
	swap_range_alloc(si, offset, nr_pages);
	ci->count += nr_pages;
	if (ci->count == si->cluster_size) {
		if (ci->flags & CLUSTER_FLAG_FRAG)
			si->frag_cluster_nr[ci->order]--;
		list_move_tail(&ci->list, &si->full_clusters);
		ci->flags = CLUSTER_FLAG_FULL;
	}
}

static bool cluster_scan_range(const struct swap_info_struct *si, uint64_t offset, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++)
		if (si->swap_map[offset + i])
			return false;
	return true;
}

/*
 * alloc_swap_scan_cluster(): the first free range of 2^order slots at or
 * after @offset in its cluster; *@foundp gets it.  Returns where this
 * CPU continues next time (SWAP_NEXT_INVALID: the cluster is done).
 */
static uint64_t alloc_swap_scan_cluster(struct swap_info_struct *si, uint64_t offset,
					uint64_t *foundp, unsigned order, uint8_t usage)
{
	uint64_t start = offset & ~(uint64_t)(si->cluster_size - 1);
	uint64_t end = start + si->cluster_size < si->max ? start + si->cluster_size : si->max;
	unsigned nr_pages = 1u << order;
	struct swap_cluster_info *ci = offset_to_cluster(si, offset);

	if (end < nr_pages)
		return SWAP_NEXT_INVALID;
	end -= nr_pages;
	if (ci->count + nr_pages > si->cluster_size)
		return SWAP_NEXT_INVALID;
	while (offset <= end) {
		if (cluster_scan_range(si, offset, nr_pages)) {
			cluster_alloc_range(si, ci, offset, usage, order);
			*foundp = offset;
			if (ci->count == si->cluster_size)
				return SWAP_NEXT_INVALID;
			offset += nr_pages;
			break;
		}
		offset += nr_pages;
	}
	if (offset > end)
		offset = SWAP_NEXT_INVALID;
	return offset;
}

static struct swap_cluster_info *list_first_cluster(struct list_head *head)
{
	return list_empty(head) ? NULL : list_first_entry(head, struct swap_cluster_info, list);
}

/*
 * cluster_alloc_swap_entry(): a slot range of @order from this CPU's
 * cluster, else the first free cluster, else (order 0 and small orders)
 * the nonfull clusters of the order -- each moved to the fragmented list
 * as it is tried -- then the fragmented ones, rotating; order 0 last
 * steals from other orders' clusters.  0 when the area is full.
 */
static uint64_t cluster_alloc_swap_entry(struct vm_ctx *vm, struct swap_info_struct *si,
					 unsigned order, uint8_t usage)
{
	struct percpu_cluster *cluster = &si->percpu_cluster[vm->pm->this_cpu];
	struct swap_cluster_info *ci;
	uint64_t offset, found = 0;

	offset = cluster->next[order];
	if (offset) {
		offset = alloc_swap_scan_cluster(si, offset, &found, order, usage);
		if (found)
			goto done;
	}
	if ((ci = list_first_cluster(&si->free_clusters))) {
		offset = alloc_swap_scan_cluster(si, cluster_offset(si, ci), &found, order, usage);
		goto done;
	}
	if (order < SWAP_NR_ORDERS - 1) {
		unsigned frags = 0;

		while ((ci = list_first_cluster(&si->nonfull_clusters[order]))) {
			list_move_tail(&ci->list, &si->frag_clusters[order]);
			ci->flags = CLUSTER_FLAG_FRAG;
			si->frag_cluster_nr[order]++;
			offset = alloc_swap_scan_cluster(si, cluster_offset(si, ci), &found, order,
							 usage);
			frags++;
			if (found)
				break;
		}
		if (!found) {
			/* nonfull clusters moved to the frag tail count too */
			while (frags < si->frag_cluster_nr[order]) {
				ci = list_first_cluster(&si->frag_clusters[order]);
				list_move_tail(&ci->list, &si->frag_clusters[order]);
				offset = alloc_swap_scan_cluster(si, cluster_offset(si, ci), &found,
								 order, usage);
				frags++;
				if (found)
					break;
			}
		}
	}
	if (found || order)
		goto done;
	/* order 0 steals from the clusters of higher orders */
	for (unsigned o = 1; o < SWAP_NR_ORDERS && !found; o++) {
		while (!found && (ci = list_first_cluster(&si->frag_clusters[o])))
			offset = alloc_swap_scan_cluster(si, cluster_offset(si, ci), &found, 0, usage);
		while (!found && (ci = list_first_cluster(&si->nonfull_clusters[o])))
			offset = alloc_swap_scan_cluster(si, cluster_offset(si, ci), &found, 0, usage);
	}
done:
	cluster->next[order] = (unsigned)offset;
	return found;
}

int get_swap_pages(struct vm_ctx *vm, int n_goal, swp_entry_t *entries)
{
	struct swap_info_struct *areas[MAX_SWAPFILES];
	long avail_pgs = vm->pm->nr_swap_pages;
	unsigned nr;
	int n_ret = 0;

	if (avail_pgs <= 0)
		return 0;
	if (n_goal > SWAP_BATCH)
		n_goal = SWAP_BATCH;
	if (n_goal > avail_pgs)
		n_goal = (int)avail_pgs;
	vm->pm->nr_swap_pages -= n_goal;
	nr = avail_areas(vm, areas);
	/* the first area of the highest priority with room serves the whole
	 * request, then goes behind its equals (round robin) */
	for (unsigned i = 0; i < nr; i++) {
		struct swap_info_struct *si = areas[i];

		plist_requeue(vm, si);
		while (n_ret < n_goal) {
			uint64_t offset = cluster_alloc_swap_entry(vm, si, 0, SWAP_HAS_CACHE);

			if (!offset)
				break;
			entries[n_ret++] = swp_entry(si->type, offset);
		}
		if (n_ret)
			break;
	}
	if (n_ret < n_goal)
		vm->pm->nr_swap_pages += n_goal - n_ret;
	return n_ret;
}

swp_entry_t folio_alloc_swap(struct vm_ctx *vm, struct page *page)
{
	swp_entry_t entry;

	entry = swap_slots_alloc(vm);
	if (!entry.val && get_swap_pages(vm, 1, &entry) != 1)
		entry.val = 0;
	/* the slot counts against the page's cgroup's memory.swap.max (no
	 * slot at all is the cgroup's swap_fail event) */
	if (mem_cgroup_try_charge_swap(vm, page, swp_type(entry), swp_offset(entry))) {
		put_swap_folio(vm, entry);
		entry.val = 0;
	}
	return entry;
}

/* ---- slots and their counts ---- */

struct swap_info_struct *get_swap_device(struct vm_ctx *vm, swp_entry_t entry,
					 const char **why)
{
	struct swap_info_struct *si;

	if (why)
		*why = NULL;
	if (!entry.val || !vm->swap)
		return NULL;
	if (swp_type(entry) >= MAX_SWAPFILES || !(si = vm->swap->swap_info[swp_type(entry)])) {
		if (why)
			*why = "Bad swap file entry";
		return NULL;
	}
	if (swp_offset(entry) >= si->max) {
		if (why)
			*why = "Bad swap offset entry";
		return NULL;
	}
	return si;
}

/* __swap_entry_free_locked(): drop one @usage (1 for a user, or
 * SWAP_HAS_CACHE) from the slot; what is left.  At zero the map holds
 * SWAP_HAS_CACHE until the slot is freed. */
static uint8_t __swap_entry_free_locked(struct swap_info_struct *si, uint64_t offset,
					uint8_t usage)
{
	uint8_t count = si->swap_map[offset];
	uint8_t has_cache = count & SWAP_HAS_CACHE;

	count &= ~SWAP_HAS_CACHE;
	if (usage == SWAP_HAS_CACHE) {
		has_cache = 0;
	} else if (count == (SWAP_MAP_SHMEM & ~SWAP_HAS_CACHE)) {
		count = 0;
	} else if (count & COUNT_CONTINUED) {
		/* swap_count_continued(): the count lives in cont_count */
		if (--si->cont_count[offset] > SWAP_MAP_MAX)
			count = SWAP_MAP_MAX | COUNT_CONTINUED;
		else
			count = SWAP_MAP_MAX;
	} else if (count) {
		count--;
	}
	usage = count | has_cache;
	si->swap_map[offset] = usage ? usage : SWAP_HAS_CACHE;
	return usage;
}

/* swap_entry_range_free(): the slot's last user went; back to the pool. */
static void swap_entry_range_free(struct vm_ctx *vm, struct swap_info_struct *si,
				  uint64_t offset)
{
	struct swap_cluster_info *ci = offset_to_cluster(si, offset);

	ci->count--;
	si->swap_map[offset] = 0;
	mem_cgroup_uncharge_swap(vm, si->type, offset, 1);
	swap_range_free(vm, si, offset, 1);
	if (!ci->count)
		free_cluster(si, ci);
	else
		partial_free_cluster(si, ci);
}

void swapcache_free_entries(struct vm_ctx *vm, const swp_entry_t *entries, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct swap_info_struct *si = get_swap_device(vm, entries[i], NULL);

		if (si)
			swap_entry_range_free(vm, si, swp_offset(entries[i]));
	}
}

/* __swap_entry_free(): one user fewer; a slot left unused goes (through
 * the return cache).  What is left. */
static uint8_t __swap_entry_free(struct vm_ctx *vm, struct swap_info_struct *si,
				 swp_entry_t entry)
{
	uint8_t usage = __swap_entry_free_locked(si, swp_offset(entry), 1);

	if (!usage)
		free_swap_slot(vm, entry);
	return usage;
}

int swap_duplicate(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);
	uint64_t offset;
	uint8_t count, has_cache;

	if (!si)
		return -ENOENT;
	offset = swp_offset(entry);
	count = si->swap_map[offset];
	if (count == SWAP_MAP_BAD)
		return -ENOENT;
	has_cache = count & SWAP_HAS_CACHE;
	count &= ~SWAP_HAS_CACHE;
	if (!count && !has_cache)
		return -ENOENT;		/* an unused slot */
	if (count & COUNT_CONTINUED) {
		si->cont_count[offset]++;
	} else if (count < SWAP_MAP_MAX) {
		count++;
	} else {
		/* add_swap_count_continuation(): the count goes on elsewhere */
		if (!si->cont_count) {
			si->cont_count = host_zalloc(vm->ha, si->max * sizeof(*si->cont_count));
			if (!si->cont_count)
				return -ENOMEM;
		}
		si->cont_count[offset] = SWAP_MAP_MAX + 1;
		count = SWAP_MAP_MAX | COUNT_CONTINUED;
	}
	si->swap_map[offset] = count | has_cache;
	return 0;
}

void swap_shmem_alloc(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);
	uint64_t offset = swp_offset(entry);

	if (si)
		si->swap_map[offset] = SWAP_MAP_SHMEM | (si->swap_map[offset] & SWAP_HAS_CACHE);
}

void swap_free(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);

	if (si)
		__swap_entry_free(vm, si, entry);
}

unsigned swap_swapcount(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);

	return si ? slot_users(si, swp_offset(entry)) : 0;
}

int swapcache_prepare(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);
	uint64_t offset;
	uint8_t count;

	if (!si)
		return -ENOENT;
	offset = swp_offset(entry);
	count = si->swap_map[offset];
	if (count == SWAP_MAP_BAD || !swap_count(count))
		return -ENOENT;
	if (count & SWAP_HAS_CACHE)
		return -EEXIST;
	si->swap_map[offset] = count | SWAP_HAS_CACHE;
	return 0;
}

void put_swap_folio(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);

	if (si && !__swap_entry_free_locked(si, swp_offset(entry), SWAP_HAS_CACHE))
		free_swap_slot(vm, entry);
}

/* __try_to_reclaim_swap() with TTRS_UNMAPPED | TTRS_FULL: the swap
 * cache's page of a slot nobody else uses goes, when no PTE maps it or
 * swap is more than half full. */
static void try_to_reclaim_swap(struct vm_ctx *vm, struct swap_info_struct *si,
				uint64_t offset)
{
	struct page *page = swap_cache_lookup(vm, swp_entry(si->type, offset));

	if (!page || test_page_flag(page, PG_locked) || PageWriteback(page))
		return;
	if (page_mapcount(page) > 0 && !vm_swap_full(vm))
		return;
	if (si->swap_map[offset] != SWAP_HAS_CACHE)
		return;
	get_page(page);
	delete_from_swap_cache(vm, page);
	set_page_flag(page, PG_dirty);
	put_page(vm->pm, page);
}

bool free_swap_and_cache(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si;
	uint64_t offset;

	if (non_swap_entry(entry))
		return false;
	si = get_swap_device(vm, entry, NULL);
	if (!si)
		return false;
	offset = swp_offset(entry);
	if (!slot_users(si, offset))
		return false;
	if (__swap_entry_free(vm, si, entry) == SWAP_HAS_CACHE)
		try_to_reclaim_swap(vm, si, offset);
	return true;
}

bool folio_free_swap(struct vm_ctx *vm, struct page *page)
{
	swp_entry_t entry = { page->private };

	if (!PageSwapCache(page) || PageWriteback(page))
		return false;
	if (swap_swapcount(vm, entry))
		return false;		/* folio_swapped(): a PTE still needs it */
	delete_from_swap_cache(vm, page);
	set_page_flag(page, PG_dirty);
	return true;
}

void free_swap_cache(struct vm_ctx *vm, struct page *page)
{
	if (PageSwapCache(page) && page_mapcount(page) <= 0 && !test_page_flag(page, PG_locked))
		folio_free_swap(vm, page);
}

/* ---- swapon ---- */

/* The most slots an area may have: the PTE format's offset field (and
 * swp_entry_t's), and where the offset is stored inverted (x86_64, PAE)
 * the L1TF limit of arch_max_swapfile_size(): half the physical address
 * space in pages, shifted up by the 3 offset bits below the pfn's
 * (PAGE_SHIFT - SWP_OFFSET_FIRST_BIT, with more than 2 levels). */
static uint64_t swapfile_maximum_size(const struct vm_ctx *vm)
{
	const struct pt_format *f = vm->pt->fmt;
	uint64_t pages = pt_swp_max_offset(f) + 1;

	if (f->swp.offset_inverted) {
		uint64_t l1tf = 1ULL << (vm->cfg->phys_bits - 1 - PAGE_SHIFT);

		l1tf <<= PAGE_SHIFT - f->swp.offset_shift;
		if (pages > l1tf)
			pages = l1tf;
	}
	if (pages > UINT32_MAX)
		pages = UINT32_MAX;
	return pages;
}

/* setup_clusters(): the header page and the end past the area count as
 * used; clusters then go on the free (or nonfull) list column by column
 * (SWAP_CLUSTER_COLS), as the kernel spreads them over address spaces. */
static int setup_clusters(struct vm_ctx *vm, struct swap_info_struct *si)
{
	unsigned nr = si->nr_clusters, cols = SWAP_ADDRESS_SPACE_PAGES / si->cluster_size;

	if (!cols)
		cols = 1;
	si->cluster_info = host_zalloc(vm->ha, nr * sizeof(*si->cluster_info));
	si->percpu_cluster = host_zalloc(vm->ha, vm->nr_cpus * sizeof(*si->percpu_cluster));
	if (!si->cluster_info || !si->percpu_cluster)
		return -ENOMEM;
	si->cluster_info[0].count++;
	for (uint64_t i = si->max; i < (uint64_t)nr * si->cluster_size; i++)
		si->cluster_info[i / si->cluster_size].count++;
	INIT_LIST_HEAD(&si->free_clusters);
	INIT_LIST_HEAD(&si->full_clusters);
	for (unsigned o = 0; o < SWAP_NR_ORDERS; o++) {
		INIT_LIST_HEAD(&si->nonfull_clusters[o]);
		INIT_LIST_HEAD(&si->frag_clusters[o]);
	}
	for (unsigned j = 0; j < cols; j++)
		for (unsigned i = 0; i < (nr + cols - 1) / cols; i++) {
			unsigned idx = i * cols + j;
			struct swap_cluster_info *ci = &si->cluster_info[idx];

			if (idx >= nr)
				continue;
			if (ci->count) {
				ci->flags = CLUSTER_FLAG_NONFULL;
				list_add_tail(&ci->list, &si->nonfull_clusters[0]);
			} else {
				ci->flags = CLUSTER_FLAG_FREE;
				list_add_tail(&ci->list, &si->free_clusters);
			}
		}
	return 0;
}

int sys_swapon(struct vm_ctx *vm, uint64_t size, int prio, bool has_prio, unsigned *type,
	       struct vmsim_error *err)
{
	struct swap_state *ss = vm->swap;
	struct swap_info_struct *si;
	uint64_t maxpages = size >> PAGE_SHIFT, limit = swapfile_maximum_size(vm);
	unsigned t;

	if (size & ~PAGE_MASK)
		return verr(err, -EINVAL, "swapon: size %#llx is not a whole number of pages",
			    (unsigned long long)size);
	/* mkswap writes no area under 10 pages; swapon reads none */
	if (maxpages < 10)
		return verr(err, -EINVAL, "swapon: %llu bytes is too small (mkswap: at least 40 KiB)",
			    (unsigned long long)size);
	if (has_prio && (prio < 0 || prio > SWAP_FLAG_PRIO_MASK))
		return verr(err, -EINVAL, "swapon: priority %d outside 0..32767", prio);
	for (t = 0; t < MAX_SWAPFILES && ss->swap_info[t]; t++)
		;
	if (t == MAX_SWAPFILES)
		return verr(err, -EPERM, "swapon: every one of the %d swap types is in use",
			    MAX_SWAPFILES);
	if (maxpages > limit) {
		/* read_swap_header(): "Truncating oversized swap area" */
		MM_EV_M(vm, "swapon_truncated", "pages=%llu limit=%llu",
			(unsigned long long)maxpages, (unsigned long long)limit);
		maxpages = limit;
	}
	si = host_zalloc(vm->ha, sizeof(*si));
	if (!si)
		return verr(err, -ENOMEM, "out of host memory");
	si->ha = vm->ha;
	si->type = t;
	si->max = (unsigned)maxpages;
	si->pages = si->max - 1;
	si->lowest_bit = 1;
	si->highest_bit = si->max - 1;
	si->cluster_size = config_is_64(vm->cfg) ? SWAPFILE_CLUSTER_THP : SWAPFILE_CLUSTER_NOTHP;
	si->nr_clusters = (si->max + si->cluster_size - 1) / si->cluster_size;
	xa_init(&si->swap_cache, vm->ha);
	si->swap_map = host_zalloc(vm->ha, si->max);
	si->zeromap = host_zalloc(vm->ha, ((si->max + 63) / 64) * sizeof(*si->zeromap));
	si->slot_block = host_zalloc(vm->ha, si->max * sizeof(*si->slot_block));
	if (!si->swap_map || !si->zeromap || !si->slot_block || setup_clusters(vm, si) ||
	    swap_cgroup_swapon(vm, t, si->max)) {
		free_swap_info(vm, si);
		return verr(err, -ENOMEM, "out of host memory");
	}
	si->swap_map[0] = SWAP_MAP_BAD;
	snprintf(si->name, sizeof(si->name), "/dev/swap%u", t);
	si->prio = (short)(has_prio ? prio : --ss->least_priority);
	si->flags = SWP_USED | SWP_WRITEOK | SWP_BLKDEV | SWP_SOLIDSTATE;
	si->avail_seq = ++ss->avail_seq;
	ss->swap_info[t] = si;
	if (t >= ss->nr_swapfiles)
		ss->nr_swapfiles = t + 1;
	vm->pm->nr_swap_pages += si->pages;
	vm->pm->total_swap_pages += si->pages;
	enable_swap_slots_cache(vm);
	MM_EV_M(vm, "swapon", "type=%u name=%s pages=%u prio=%d", t, si->name, si->pages, si->prio);
	*type = t;
	return 0;
}

int swap_type_of_name(struct vm_ctx *vm, const char *name)
{
	for (unsigned t = 0; vm->swap && t < MAX_SWAPFILES; t++)
		if (vm->swap->swap_info[t] && strcmp(vm->swap->swap_info[t]->name, name) == 0)
			return (int)t;
	return -1;
}

/* ---- swapoff ---- */

struct unuse_walk {
	struct vm_area_struct *vma;
	unsigned type;
	int err;
};

/*
 * unuse_pte(): map the swapped-in @page where the swap entry was, as an
 * old, clean PTE (read-only in a private writable mapping: the next write
 * decides whether to copy), the entry's user dropped.
 */
static void unuse_pte(struct vm_area_struct *vma, uint64_t addr, uint64_t epa, uint64_t old_pte,
		      swp_entry_t entry, struct page *page)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	bool exclusive = pt_pte_swp_exclusive(vm->pt->fmt, old_pte);

	mm_track_dirty(mm);	/* --check: the tables change */
	mm->rss_stat[MM_SWAPENTS]--;
	mm->rss_stat[MM_ANONPAGES]++;
	get_page(page);
	page_add_anon_rmap(page, vma, addr, exclusive);
	set_pte(vm->pt, epa, page_to_phys(vm->pm, page) |
			     (vma->vm_page_prot & ~(uint64_t)_PAGE_ACCESSED));
	swap_free(vm, entry);
}

static int unuse_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct unuse_walk *w = arg;
	struct vm_area_struct *vma = w->vma;
	struct vm_ctx *vm = vma->vm_mm->vm;
	swp_entry_t entry;
	struct page *page;

	if (!is_swap_pte(pte) || pt_pte_swp_type(vm->pt->fmt, pte) != w->type)
		return 0;
	entry = swp_entry(w->type, pt_pte_swp_offset(vm->pt->fmt, pte));
	page = swap_cache_get_folio(vm, entry, vma, va);
	if (page) {
		get_page(page);
	} else {
		bool major;

		page = swapin_readahead(vm, entry, vma, va, &major);
	}
	if (!page) {
		if (!swap_swapcount(vm, entry))
			return 0;	/* freed meanwhile */
		w->err = -ENOMEM;
		return 1;
	}
	set_page_flag(page, PG_locked);
	/* the allocation may have reclaimed: is the entry still there? */
	if (pt_read(vm->pt, epa) == pte)
		unuse_pte(vma, va, epa, pte, entry, page);
	folio_free_swap(vm, page);
	clear_page_flag(page, PG_locked);
	put_page(vm->pm, page);
	return 0;
}

/* unuse_mm(): every swap entry of @type in @mm's anonymous VMAs. */
static int unuse_mm(struct mm_struct *mm, unsigned type)
{
	struct vm_area_struct *vma;

	for_each_vma(mm, vma) {
		struct unuse_walk w = { vma, type, 0 };

		if (!vma->anon_vma)
			continue;
		walk_pte_range(mm, vma->vm_start, vma->vm_end, unuse_one, &w);
		if (w.err)
			return w.err;
	}
	return 0;
}

static unsigned find_next_to_unuse(const struct swap_info_struct *si, unsigned prev)
{
	for (unsigned i = prev + 1; i < si->max; i++) {
		uint8_t count = si->swap_map[i];

		if (count && swap_count(count) != SWAP_MAP_BAD)
			return i;
	}
	return 0;
}

/*
 * try_to_unuse(): bring every page of the area back: the shmem objects'
 * pages, then each mm on the swap mmlist, then whatever is left in the
 * swap cache.  The kernel retries until nothing is in use.  Under memory
 * pressure reclaim may take a page back before its last user was
 * unused (a page fork shared keeps its slot while one PTE still names
 * it, and goes back to that slot); the kernel then loops until its OOM
 * killer picks swapoff itself (-EINTR).  Here a whole pass that frees
 * nothing ends it: -ENOMEM, memory cannot hold the area's pages.
 */
static int try_to_unuse(struct vm_ctx *vm, unsigned type, struct vmsim_error *err)
{
	struct swap_info_struct *si = vm->swap->swap_info[type];
	unsigned before;
	int ret;

	while (si->inuse_pages) {
		struct mm_struct *mm;

		before = si->inuse_pages;
		ret = shmem_unuse(vm, type);
		if (ret)
			return verr(err, ret, "swapoff: out of memory bringing %s back",
				    si->name);
		list_for_each_entry(mm, &vm->swap->mmlist, mmlist) {
			if (!si->inuse_pages)
				break;
			ret = unuse_mm(mm, type);
			if (ret)
				return verr(err, ret, "swapoff: out of memory bringing %s back",
					    si->name);
		}
		for (unsigned i = 0; si->inuse_pages && (i = find_next_to_unuse(si, i)) != 0;) {
			struct page *page = swap_cache_lookup(vm, swp_entry(type, i));

			if (!page)
				continue;
			get_page(page);
			folio_free_swap(vm, page);
			put_page(vm->pm, page);
		}
		if (si->inuse_pages && si->inuse_pages == before)
			return verr(err, -ENOMEM, "swapoff: memory cannot hold the pages of %s "
				    "(%u slots stay in use)", si->name, si->inuse_pages);
	}
	return 0;
}

int sys_swapoff(struct vm_ctx *vm, unsigned type, struct vmsim_error *err)
{
	struct swap_state *ss = vm->swap;
	struct swap_info_struct *si = type < MAX_SWAPFILES ? ss->swap_info[type] : NULL;
	int ret;

	if (!si)
		return verr(err, -EINVAL, "swapoff: no swap area of type %u", type);
	/* the area takes no new slots and none of its slots count: each one
	 * try_to_unuse() frees gives one back, as swap_range_free() does,
	 * so its free ones end up subtracted */
	si->flags &= ~SWP_WRITEOK;
	vm->pm->nr_swap_pages -= si->pages;
	vm->pm->total_swap_pages -= si->pages;
	disable_swap_slots_cache(vm);
	ret = try_to_unuse(vm, type, err);
	if (ret) {
		/* reinsert_swap_info() */
		si->flags |= SWP_WRITEOK;
		vm->pm->nr_swap_pages += si->pages;
		vm->pm->total_swap_pages += si->pages;
		reenable_swap_slots_cache(vm);
		return ret;
	}
	/* the areas of lower default priority move up by one */
	if (si->prio < 0) {
		for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
			struct swap_info_struct *o = ss->swap_info[t];

			if (o && o != si && o->prio < si->prio)
				o->prio++;
		}
		ss->least_priority++;
	}
	MM_EV_M(vm, "swapoff", "type=%u name=%s", type, si->name);
	ss->swap_info[type] = NULL;
	swap_cgroup_swapoff(vm, type);
	free_swap_info(vm, si);
	reenable_swap_slots_cache(vm);
	return 0;
}

/* ---- /proc/swaps ---- */

int swaps_show(struct vm_ctx *vm, struct json_writer *jw, struct strbuf *sb)
{
	if (jw)
		json_array_begin(jw);
	else
		sb_printf(sb, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	for (unsigned t = 0; vm->swap && t < MAX_SWAPFILES; t++) {
		const struct swap_info_struct *si = vm->swap->swap_info[t];
		unsigned long bytes, inuse;
		size_t len;

		if (!si)
			continue;
		bytes = (unsigned long)si->pages << (PAGE_SHIFT - 10);
		inuse = (unsigned long)si->inuse_pages << (PAGE_SHIFT - 10);
		if (jw) {
			json_object_begin(jw);
			json_key_str(jw, "Filename", si->name);
			json_key_str(jw, "Type", "partition");
			json_key_u64(jw, "Size", (uint64_t)bytes << 10);
			json_key_u64(jw, "Used", (uint64_t)inuse << 10);
			json_key_i64(jw, "Priority", si->prio);
			json_object_end(jw);
			continue;
		}
		len = strlen(si->name);
		sb_printf(sb, "%s%*s%s\t%lu\t%s%lu\t%s%d\n", si->name, len < 40 ? (int)(40 - len) : 1,
			  " ", "partition", bytes, bytes < 10000000 ? "\t" : "", inuse,
			  inuse < 10000000 ? "\t" : "", si->prio);
	}
	if (jw)
		json_array_end(jw);
	return 0;
}

/* ---- the checker ---- */

struct swap_census {
	struct vm_ctx *vm;
	uint32_t *users[MAX_SWAPFILES];	/* PTEs holding each slot */
	const char *err;
	uint64_t bad_pte;
};

static int census_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct swap_census *sc = arg;
	const struct pt_format *f = sc->vm->pt->fmt;
	unsigned type;
	uint64_t offset;

	(void)va;
	(void)epa;
	if (!is_swap_pte(pte))
		return 0;
	type = pt_pte_swp_type(f, pte);
	offset = pt_pte_swp_offset(f, pte);
	if (type >= MAX_SWAPFILES || !sc->users[type] ||
	    offset >= sc->vm->swap->swap_info[type]->max) {
		sc->err = "names no slot of any area";
		sc->bad_pte = pte;
		return 1;
	}
	sc->users[type][offset]++;
	return 0;
}

static bool cluster_on(const struct list_head *head, const struct swap_cluster_info *ci,
		       unsigned long bound)
{
	const struct list_head *pos = head->next;

	for (unsigned long n = 0; pos != head && n <= bound; pos = pos->next, n++)
		if (pos == &ci->list)
			return true;
	return false;
}

/* The clusters of @si against the slots in use. */
static int check_clusters(const struct swap_info_struct *si, struct vmsim_error *err)
{
	unsigned frags[SWAP_NR_ORDERS] = { 0 };

	for (unsigned c = 0; c < si->nr_clusters; c++) {
		const struct swap_cluster_info *ci = &si->cluster_info[c];
		unsigned used = 0;
		const struct list_head *list;

		for (unsigned i = 0; i < si->cluster_size; i++) {
			uint64_t o = (uint64_t)c * si->cluster_size + i;

			used += o >= si->max || si->swap_map[o] != 0;
		}
		if (used != ci->count)
			return verr(err, -EFAULT, "swap %s: cluster %u counts %u slots, %u are used",
				    si->name, c, ci->count, used);
		switch (ci->flags) {
		case CLUSTER_FLAG_FREE:
			list = &si->free_clusters;
			if (used)
				return verr(err, -EFAULT, "swap %s: free cluster %u has %u slots used",
					    si->name, c, used);
			break;
		case CLUSTER_FLAG_FULL:
			list = &si->full_clusters;
			if (used != si->cluster_size)
				return verr(err, -EFAULT, "swap %s: full cluster %u has %u slots used",
					    si->name, c, used);
			break;
		case CLUSTER_FLAG_NONFULL:
			list = &si->nonfull_clusters[ci->order];
			break;
		case CLUSTER_FLAG_FRAG:
			list = &si->frag_clusters[ci->order];
			frags[ci->order]++;
			break;
		default:
			return verr(err, -EFAULT, "swap %s: cluster %u has flags %#x", si->name, c,
				    ci->flags);
		}
		if ((ci->flags == CLUSTER_FLAG_NONFULL || ci->flags == CLUSTER_FLAG_FRAG) &&
		    (!used || used == si->cluster_size))
			return verr(err, -EFAULT, "swap %s: cluster %u is %s with %u slots used",
				    si->name, c, ci->flags == CLUSTER_FLAG_FRAG ? "fragmented" : "nonfull",
				    used);
		if (!cluster_on(list, ci, si->nr_clusters))
			return verr(err, -EFAULT, "swap %s: cluster %u is not on the list of its flags",
				    si->name, c);
	}
	for (unsigned o = 0; o < SWAP_NR_ORDERS; o++)
		if (frags[o] != si->frag_cluster_nr[o])
			return verr(err, -EFAULT, "swap %s: %u fragmented clusters of order %u, "
				    "counted %u", si->name, frags[o], o, si->frag_cluster_nr[o]);
	return 0;
}

/* One area's slots against @users and the caches. */
static int check_area(struct vm_ctx *vm, const struct swap_info_struct *si,
		      const uint32_t *users, const uint8_t *in_slot_cache,
		      const struct page_pins *pins, struct vmsim_error *err)
{
	unsigned long inuse = 0, stored = 0, cached = 0;
	int ret;

	if (si->swap_map[0] != SWAP_MAP_BAD)
		return verr(err, -EFAULT, "swap %s: the header slot is not SWAP_MAP_BAD", si->name);
	for (unsigned o = 1; o < si->max; o++) {
		uint8_t map = si->swap_map[o];
		void *p = xa_load(&si->swap_cache, o);
		struct page *page = p && !xa_is_value(p) ? p : NULL;
		bool zero = (si->zeromap[o / 64] >> (o % 64)) & 1;
		unsigned count = slot_users(si, o);

		stored += si->slot_block[o] != 0;
		cached += page != NULL;
		if (count != users[o])
			return verr(err, -EFAULT, "swap %s: slot %#x counts %u users, %u PTEs hold it",
				    si->name, o, count, users[o]);
		if (!!(map & SWAP_HAS_CACHE) != (page || in_slot_cache[o]) || (page && in_slot_cache[o]))
			return verr(err, -EFAULT, "swap %s: slot %#x: SWAP_HAS_CACHE %s, swap cache %s, "
				    "slot cache %s", si->name, o, map & SWAP_HAS_CACHE ? "set" : "clear",
				    page ? "holds a page" : "holds none", in_slot_cache[o] ? "has it" : "not");
		if (!map) {
			if (zero || si->slot_block[o])
				return verr(err, -EFAULT, "swap %s: free slot %#x keeps contents",
					    si->name, o);
			continue;
		}
		inuse++;
		if (count && !zero && !si->slot_block[o] && !page)
			return verr(err, -EFAULT, "swap %s: slot %#x has users but no contents",
				    si->name, o);
		if (page && (!PageSwapCache(page) || page->private != swp_entry(si->type, o).val))
			return verr(err, -EFAULT, "swap %s: the swap cache's page of slot %#x "
				    "does not know it", si->name, o);
		/* the swap cache's reference, the mappings' and the batches' */
		if (page && page_ref_count(page) != page_mapcount(page) + 1 + (int)page_pins(pins, page))
			return verr(err, -EFAULT, "swap %s: the swap cache's page of slot %#x: "
				    "refcount %d, mapcount %d, %u in LRU batches", si->name, o,
				    page_ref_count(page), page_mapcount(page), page_pins(pins, page));
		if (page && check_page_lru(vm, page, pins, err))
			return -EFAULT;
	}
	if (inuse != si->inuse_pages || stored != si->nr_stored || cached != si->cache_pages)
		return verr(err, -EFAULT, "swap %s: %lu slots used (inuse_pages %u), %lu copies "
			    "(counted %lu), %lu cached pages (counted %lu)", si->name, inuse,
			    si->inuse_pages, stored, si->nr_stored, cached, si->cache_pages);
	if ((ret = swap_blocks_check(si, err)))
		return ret;
	return check_clusters(si, err);
}

int swap_check(struct vm_ctx *vm, struct vmsim_error *err)
{
	struct swap_state *ss = vm->swap;
	struct swap_census sc = { .vm = vm };
	uint8_t *in_slot_cache[MAX_SWAPFILES] = { 0 };
	long free = 0, total = 0, cached = 0;
	struct page_pins *pins;
	struct mm_struct *mm;
	int ret = 0;

	if (!ss)
		return 0;
	if (!(pins = page_pins_collect(vm)))
		return verr(err, -ENOMEM, "out of host memory");
	for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = ss->swap_info[t];

		if (!si)
			continue;
		sc.users[t] = host_zalloc(vm->ha, si->max * sizeof(uint32_t));
		in_slot_cache[t] = host_zalloc(vm->ha, si->max);
		if (!sc.users[t] || !in_slot_cache[t]) {
			ret = verr(err, -ENOMEM, "out of host memory");
			goto out;
		}
	}
	list_for_each_entry(mm, &vm->mm_list, mm_list) {
		struct vm_area_struct *vma;

		if (walk_pte_range(mm, 0, mm->task_size, census_pte, &sc)) {
			ret = verr(err, -EFAULT, "swap: PTE %#llx %s", (unsigned long long)sc.bad_pte,
				   sc.err);
			goto out;
		}
		/* a shmem object's swapped pages: one user each, counted
		 * through the first VMA on its i_mmap only */
		for_each_vma(mm, vma) {
			const struct shmem_object *obj = vma->shm;

			if (!obj || list_first_entry(&obj->i_mmap, struct vm_area_struct, shared) != vma)
				continue;
			for (unsigned long i = 0; i < obj->nr_pages; i++) {
				swp_entry_t e;

				if (!shmem_is_swap(obj->pages[i]))
					continue;
				e.val = shmem_swap_val(obj->pages[i]);
				if (!get_swap_device(vm, e, NULL) || !sc.users[swp_type(e)] ||
				    swp_offset(e) >= ss->swap_info[swp_type(e)]->max) {
					ret = verr(err, -EFAULT, "swap: a shmem object holds %#llx, a slot "
						   "of no area", (unsigned long long)e.val);
					goto out;
				}
				sc.users[swp_type(e)][swp_offset(e)]++;
			}
		}
	}
	for (unsigned c = 0; c < vm->nr_cpus; c++) {
		const struct swap_slots_cache *cache = &ss->slots[c];
		const swp_entry_t *lists[2] = { cache->slots + cache->cur, cache->slots_ret };
		unsigned nr[2] = { cache->nr, cache->n_ret };

		for (unsigned l = 0; l < 2; l++)
			for (unsigned i = 0; i < nr[l]; i++) {
				swp_entry_t e = lists[l][i];

				if (!get_swap_device(vm, e, NULL) ||
				    ss->swap_info[swp_type(e)]->swap_map[swp_offset(e)] != SWAP_HAS_CACHE) {
					ret = verr(err, -EFAULT, "swap: a slot cache holds %#llx, which "
						   "is not a cached free slot", (unsigned long long)e.val);
					goto out;
				}
				in_slot_cache[swp_type(e)][swp_offset(e)] = 1;
			}
	}
	for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = ss->swap_info[t];

		if (!si)
			continue;
		if ((ret = check_area(vm, si, sc.users[t], in_slot_cache[t], pins, err)))
			goto out;
		cached += si->cache_pages;
		if (si->flags & SWP_WRITEOK) {
			free += si->pages - si->inuse_pages;
			total += si->pages;
		}
	}
	if (free != vm->pm->nr_swap_pages || total != vm->pm->total_swap_pages ||
	    cached != (long)global_node_page_state(vm->pm, NR_SWAPCACHE))
		ret = verr(err, -EFAULT, "swap: %ld free of %ld slots and %ld cached pages; the "
			   "counters say %ld, %ld, %lu", free, total, cached, vm->pm->nr_swap_pages,
			   vm->pm->total_swap_pages, global_node_page_state(vm->pm, NR_SWAPCACHE));
out:
	page_pins_free(pins);
	for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
		if (sc.users[t])
			host_free(vm->ha, sc.users[t], ss->swap_info[t]->max * sizeof(uint32_t));
		if (in_slot_cache[t])
			host_free(vm->ha, in_slot_cache[t], ss->swap_info[t]->max);
	}
	return ret;
}
