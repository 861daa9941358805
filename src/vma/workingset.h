/*
 * Workingset detection (mm/workingset.c): when reclaim evicts a page it
 * leaves a shadow entry in the page's place in the page cache or swap
 * cache, recording the lruvec's nonresident_age at eviction; when the
 * page faults back in, the distance between the two tells whether it
 * would have stayed resident with the memory the workingset has, and
 * if so it refaults straight onto the active list.
 */
#ifndef VMSIM_VMA_WORKINGSET_H
#define VMSIM_VMA_WORKINGSET_H

#include <stdbool.h>

struct vm_ctx;
struct lruvec;
struct page;

/* bucket_order from the machine's RAM (workingset_init()). */
void workingset_init(struct vm_ctx *vm);
/* The clock of the refault distance moves by @nr_pages. */
void workingset_age_nonresident(struct lruvec *lruvec, unsigned long nr_pages);
/* @page (off the LRU, unreferenced) is being evicted: its shadow entry. */
struct mem_cgroup;
void *workingset_eviction(struct vm_ctx *vm, struct page *page,
			  struct mem_cgroup *target_memcg);
/* @page (new, locked, not yet on the LRU) replaces @shadow: count the
 * refault and activate it when its distance says it belongs to the
 * workingset. */
void workingset_refault(struct vm_ctx *vm, struct page *page, void *shadow);
/* folio_mark_accessed() promoted @page: that ages the nonresident pages. */
void workingset_activation(struct vm_ctx *vm, struct page *page);

#endif
