/*
 * Page aging and reclaim, the process layer's side (include/linux/swap.h):
 * the per-CPU LRU batches of mm/swap.c (vma/swap.c), reclaim (vma/vmscan.c)
 * and the workingset's shadow entries (vma/workingset.c).  Swap areas and
 * the swap cache are in vma/swapfile.h.
 */
#ifndef VMSIM_VMA_SWAP_H
#define VMSIM_VMA_SWAP_H

#include <stdbool.h>
#include <stdint.h>

#include "phys/mm_inline.h"

struct vm_ctx;
struct vmsim_error;
struct vm_area_struct;

#define SWAP_CLUSTER_MAX 32UL
#define DEF_PRIORITY 12
#define MAX_SWAPPINESS 200
#define PAGEVEC_SIZE 31		/* folios in a folio_batch */

struct folio_batch {
	unsigned nr;
	struct page *folios[PAGEVEC_SIZE];
};

/*
 * struct cpu_fbatches: pages on their way onto, around or off the LRU,
 * gathered so the LRU lock is taken once per batch.  A page in a batch
 * holds a reference for it.  A page in lru_add is on no list and without
 * PG_lru; a page in one of the others is still on its list with PG_lru
 * cleared (taken so no one else moves it) until the batch is applied.
 */
struct cpu_fbatches {
	struct folio_batch lru_add;
	struct folio_batch lru_deactivate_file;
	struct folio_batch lru_deactivate;
	struct folio_batch lru_lazyfree;
	struct folio_batch lru_activate;
	struct folio_batch lru_move_tail;
};

/* ---- swap.c: the LRU batches (mm/swap.c) ---- */

/* The batches of every CPU of @vm (boot and teardown). */
int lru_init(struct vm_ctx *vm);
void lru_finish(struct vm_ctx *vm);

/* A new page (anonymous, page cache, swap cache) goes on the LRU, via
 * this CPU's lru_add batch.  Takes a reference for the batch. */
void folio_add_lru(struct vm_ctx *vm, struct page *page);
/* folio_add_lru() for a page about to be mapped by @vma: an mlocked VMA's
 * pages go to the unevictable list (folio_add_lru_vma()). */
void folio_add_lru_vma(struct vm_ctx *vm, struct page *page, struct vm_area_struct *vma);
/* Apply this CPU's batches (lru_add_drain()), or every CPU's. */
void lru_add_drain(struct vm_ctx *vm);
void lru_add_drain_all(struct vm_ctx *vm);

/* folio_mark_accessed(): a page used through a read or write (not a
 * mapping): referenced, then active on the second use. */
void folio_mark_accessed(struct vm_ctx *vm, struct page *page);
/* Move an inactive page to its active list (folio_activate()). */
void folio_activate(struct vm_ctx *vm, struct page *page);
/* Move an active page to its inactive list (folio_deactivate(),
 * MADV_COLD); an unmapped file page to the inactive tail for reclaim
 * (deactivate_file_folio()). */
void folio_deactivate(struct vm_ctx *vm, struct page *page);
void deactivate_file_folio(struct vm_ctx *vm, struct page *page);
/* MADV_FREE: a clean anonymous page to the inactive file list, no longer
 * swap-backed, freed by reclaim unless written again (folio_mark_lazyfree()). */
void folio_mark_lazyfree(struct vm_ctx *vm, struct page *page);
/* Writeback for reclaim finished: to the inactive tail, reclaimed next
 * (folio_rotate_reclaimable()). */
void folio_rotate_reclaimable(struct vm_ctx *vm, struct page *page);
/* Reclaim cost of @file or anon pages: @nr_io pages of I/O (refaults,
 * writes), @nr_rotated pages rotated (lru_note_cost()). */
void lru_note_cost(struct vm_ctx *vm, struct lruvec *lruvec, bool file, unsigned long nr_io,
		   unsigned long nr_rotated);
void lru_note_cost_refault(struct vm_ctx *vm, struct page *page);

/* Take @page off its LRU list for the caller, with a reference; false
 * when it is on none (folio_isolate_lru()).  folio_putback_lru() returns
 * it (through lru_add) and drops that reference. */
bool folio_isolate_lru(struct vm_ctx *vm, struct page *page);
void folio_putback_lru(struct vm_ctx *vm, struct page *page);

/* ---- vmscan.c: reclaim (mm/vmscan.c) ---- */

/* The allocator's hooks (pm->reclaim), set by reclaim_init() at boot. */
void reclaim_init(struct vm_ctx *vm);
/* Direct reclaim for an allocation of @order on @zonelist: the pages
 * freed. */
unsigned long try_to_free_pages(struct phys_mem *pm, struct zone *const *zonelist, unsigned order,
				gfp_t gfp);
/* try_to_free_mem_cgroup_pages(): a cgroup at its limit reclaims from the
 * lruvecs of its subtree on every node (do_try_to_free_pages() with
 * target_mem_cgroup), anon pages too with MEMCG_RECLAIM_MAY_SWAP; the
 * pages freed. */
struct mem_cgroup;
unsigned long try_to_free_mem_cgroup_pages(struct vm_ctx *vm, struct mem_cgroup *memcg,
					   unsigned long nr_pages, gfp_t gfp_mask,
					   unsigned reclaim_options);
/* A zone fell below its low watermark: wake its node's kswapd, which runs
 * at the next kswapd point. */
void wakeup_kswapd(struct phys_mem *pm, struct zone *zone, gfp_t gfp, unsigned order,
		   enum zone_type highest_zoneidx);
/* A kswapd point: every woken kswapd runs until it sleeps again (its node
 * balanced up to the high watermark, or given up on).  Scenario steps,
 * replay and direct reclaim's throttling call it. */
void kswapd_run(struct vm_ctx *vm);
/* Shrink one lruvec (a node's, or a memory cgroup's on a node) for
 * @nr_to_reclaim pages at priorities DEF_PRIORITY..0, as direct reclaim
 * of that lruvec would; the pages freed.  @may_swap: anon pages too. */
unsigned long reclaim_lruvec(struct vm_ctx *vm, struct lruvec *lruvec,
			     unsigned long nr_to_reclaim, gfp_t gfp, bool may_swap);
/* reclaim_pages(): reclaim the isolated pages on @list now, whatever
 * their references (MADV_PAGEOUT); the ones left go back to the LRU. */
unsigned long reclaim_pages(struct vm_ctx *vm, struct list_head *list);

/* For the checkers: each page in a batch of any CPU, with the batch. */
typedef void (*lru_batch_fn)(void *arg, struct page *page, bool lru_add);
void lru_for_each_batched(struct vm_ctx *vm, lru_batch_fn fn, void *arg);

/* The LRU lists of every node against the pages' flags, the batches and
 * the counters: 0, or -EFAULT with the first problem in @err. */
int lru_check(struct vm_ctx *vm, struct vmsim_error *err);

#endif
