/*
 * The swap cache and swap readahead (mm/swap_state.c of Linux v6.12).
 *
 * The swap cache holds, by slot, the page that is on its way to a swap
 * slot (written by reclaim) or back from it (read by a fault or by
 * readahead), so that every PTE holding the entry finds the same page;
 * when a clean cached page is reclaimed its place keeps a workingset
 * shadow.  Each area has one cache (Linux splits it into 64 MiB address
 * spaces; the lookup is the same).
 *
 * Invariant: a page in the swap cache has PG_swapcache, ->private equal
 * to its entry, swap_map[offset] & SWAP_HAS_CACHE, and one reference
 * held by the cache; NR_SWAPCACHE and NR_FILE_PAGES count it.
 *
 * Readahead is vma-based (swap_vma_readahead(), the kernel's choice when
 * no rotational area is on): around the faulting address, within its VMA
 * and page table, a window of up to 2^vm.page-cluster pages that grows
 * while readahead pages get used (hits) and shrinks when they do not.
 */
#include "vma/swapfile.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/swap.h"
#include "vma/workingset.h"

struct page *swap_cache_lookup(struct vm_ctx *vm, swp_entry_t entry)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);
	void *p;

	if (!si)
		return NULL;
	p = xa_load(&si->swap_cache, swp_offset(entry));
	return p && !xa_is_value(p) ? p : NULL;
}

int add_to_swap_cache(struct vm_ctx *vm, struct page *page, swp_entry_t entry,
		      void **shadow)
{
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);
	void *old = NULL;

	if (!si || xa_store(&si->swap_cache, swp_offset(entry), page, &old))
		return -ENOMEM;
	if (shadow)
		*shadow = old && xa_is_value(old) ? old : NULL;
	get_page(page);
	set_page_flag(page, PG_swapcache);
	page->private = entry.val;
	si->cache_pages++;
	lruvec_stat_mod_folio(vm->pm, page, NR_FILE_PAGES, 1);
	lruvec_stat_mod_folio(vm->pm, page, NR_SWAPCACHE, 1);
	return 0;
}

void __delete_from_swap_cache(struct vm_ctx *vm, struct page *page, void *shadow)
{
	swp_entry_t entry = { page->private };
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);

	if (shadow)
		xa_store(&si->swap_cache, swp_offset(entry), shadow, NULL);
	else
		xa_erase(&si->swap_cache, swp_offset(entry));
	clear_page_flag(page, PG_swapcache);
	page->private = 0;
	si->cache_pages--;
	lruvec_stat_mod_folio(vm->pm, page, NR_FILE_PAGES, -1);
	lruvec_stat_mod_folio(vm->pm, page, NR_SWAPCACHE, -1);
}

void delete_from_swap_cache(struct vm_ctx *vm, struct page *page)
{
	swp_entry_t entry = { page->private };

	__delete_from_swap_cache(vm, page, NULL);
	put_swap_folio(vm, entry);
	put_page(vm->pm, page);		/* the cache's reference */
}

bool add_to_swap(struct vm_ctx *vm, struct page *page)
{
	swp_entry_t entry = folio_alloc_swap(vm, page);

	if (!entry.val)
		return false;
	if (add_to_swap_cache(vm, page, entry, NULL)) {
		put_swap_folio(vm, entry);
		return false;
	}
	/* written out whatever its PTEs say (a MADV_FREE page's clean PTE
	 * must not lose the data: folio_mark_dirty()) */
	set_page_flag(page, PG_dirty);
	MM_EV_M(vm, "add_to_swap", "pfn=%#lx type=%u offset=%#llx", page_to_pfn(vm->pm, page),
		swp_type(entry), (unsigned long long)swp_offset(entry));
	return true;
}

/* ---- readahead state of a VMA (vma->swap_readahead_info) ---- */

#define SWAP_RA_WIN_SHIFT	(PAGE_SHIFT / 2)
#define SWAP_RA_HITS_MASK	((1UL << SWAP_RA_WIN_SHIFT) - 1)
#define SWAP_RA_HITS_MAX	SWAP_RA_HITS_MASK
#define SWAP_RA_WIN_MASK	(~PAGE_MASK & ~SWAP_RA_HITS_MASK)
#define SWAP_RA_HITS(v)		((v) & SWAP_RA_HITS_MASK)
#define SWAP_RA_WIN(v)		(((v) & SWAP_RA_WIN_MASK) >> SWAP_RA_WIN_SHIFT)
#define SWAP_RA_ADDR(v)		((v) & PAGE_MASK)
#define SWAP_RA_VAL(addr, win, hits) \
	(((addr) & PAGE_MASK) | (((win) << SWAP_RA_WIN_SHIFT) & SWAP_RA_WIN_MASK) | \
	 ((hits) & SWAP_RA_HITS_MASK))

/* GET_SWAP_RA_VAL(): 4 hits before the first fault, for a small window */
static unsigned long get_swap_ra_val(const struct vm_area_struct *vma)
{
	return vma->swap_readahead_info ? vma->swap_readahead_info : 4;
}

struct page *swap_cache_get_folio(struct vm_ctx *vm, swp_entry_t entry,
				  struct vm_area_struct *vma, uint64_t addr)
{
	struct page *page = swap_cache_lookup(vm, entry);
	bool readahead;

	if (!page)
		return NULL;
	readahead = test_clear_page_flag(page, PG_readahead);
	if (vma) {
		unsigned long ra_val = get_swap_ra_val(vma);
		unsigned long win = SWAP_RA_WIN(ra_val), hits = SWAP_RA_HITS(ra_val);

		if (readahead && hits < SWAP_RA_HITS_MAX)
			hits++;
		vma->swap_readahead_info = SWAP_RA_VAL(addr, win, hits);
	}
	if (readahead)
		count_vm_event(vm->pm, SWAP_RA_HIT);
	return page;
}

/*
 * __swapin_nr_pages(): the next window: hits + 2 pages rounded up to a
 * power of two, at least 4; without hits, 2 pages only when this fault
 * is next to the last one; never more than @max_pages nor less than
 * half the last window.
 */
static unsigned __swapin_nr_pages(unsigned long prev_offset, unsigned long offset,
				  unsigned long hits, unsigned max_pages, unsigned prev_win)
{
	unsigned pages = (unsigned)hits + 2, last_ra;

	if (pages == 2) {
		if (offset != prev_offset + 1 && offset != prev_offset - 1)
			pages = 1;
	} else {
		unsigned roundup = 4;

		while (roundup < pages)
			roundup <<= 1;
		pages = roundup;
	}
	if (pages > max_pages)
		pages = max_pages;
	last_ra = prev_win / 2;
	if (pages < last_ra)
		pages = last_ra;
	return pages;
}

/* swap_vma_ra_win(): the window for a fault at @faddr: [*start, *end)
 * inside the VMA and the page table of @faddr, ahead of a sequential
 * fault, around any other.  1 means no readahead. */
static unsigned swap_vma_ra_win(struct vm_ctx *vm, struct vm_area_struct *vma,
				uint64_t faddr, uint64_t *start, uint64_t *end)
{
	const struct pt_format *f = vm->pt->fmt;
	const uint64_t pmd_size = pt_entry_span(f, f->levels - 2), pmd_mask = ~(pmd_size - 1);
	const unsigned ceiling = config_is_64(vm->cfg) ? 5 : 3;	/* SWAP_RA_ORDER_CEILING */
	unsigned page_cluster = vm->cfg->page_cluster < ceiling ? vm->cfg->page_cluster : ceiling;
	unsigned max_win = 1u << page_cluster, win, prev_win;
	unsigned long ra_val, prev_faddr, hits;
	uint64_t left, right;

	if (max_win == 1)
		return 1;
	ra_val = get_swap_ra_val(vma);
	prev_faddr = SWAP_RA_ADDR(ra_val);
	prev_win = (unsigned)SWAP_RA_WIN(ra_val);
	hits = SWAP_RA_HITS(ra_val);
	win = __swapin_nr_pages(prev_faddr >> PAGE_SHIFT, faddr >> PAGE_SHIFT, hits, max_win,
				prev_win);
	vma->swap_readahead_info = SWAP_RA_VAL(faddr, win, 0);
	if (win == 1)
		return 1;
	if (faddr == prev_faddr + PAGE_SIZE)
		left = faddr;
	else if (prev_faddr == faddr + PAGE_SIZE)
		left = faddr - ((uint64_t)win << PAGE_SHIFT) + PAGE_SIZE;
	else
		left = faddr - ((uint64_t)((win - 1) / 2) << PAGE_SHIFT);
	right = left + ((uint64_t)win << PAGE_SHIFT);
	if ((int64_t)left < 0)
		left = 0;
	*start = left;
	if (*start < vma->vm_start)
		*start = vma->vm_start;
	if (*start < (faddr & pmd_mask))
		*start = faddr & pmd_mask;
	*end = right;
	if (*end > vma->vm_end)
		*end = vma->vm_end;
	if (*end > (faddr & pmd_mask) + pmd_size)
		*end = (faddr & pmd_mask) + pmd_size;
	return win;
}

/*
 * __read_swap_cache_async(): the swap cache's page for @entry, or a new
 * one claimed for it (*@allocated), not yet read; a reference for the
 * caller.  NULL when the slot is unused or memory ran out.
 */
static struct page *__read_swap_cache_async(struct vm_ctx *vm, swp_entry_t entry,
					    bool *allocated)
{
	struct page *page, *new_page = NULL;
	void *shadow = NULL;

	*allocated = false;
	for (;;) {
		int err;

		page = swap_cache_lookup(vm, entry);
		if (page) {
			get_page(page);
			if (new_page)
				put_page(vm->pm, new_page);
			return page;
		}
		/* skip readahead of an unused slot */
		if (!swap_swapcount(vm, entry))
			goto fail;
		if (!new_page) {
			/* may reclaim: look again afterwards */
			new_page = alloc_page(vm->pm, GFP_HIGHUSER_MOVABLE);
			if (!new_page)
				return NULL;
			continue;
		}
		err = swapcache_prepare(vm, entry);
		if (!err)
			break;
		goto fail;	/* -ENOENT, or -EEXIST with no page to find */
	}
	/* charged, before it counts anywhere, to the cgroup that swapped it
	 * out (current's when that one is gone) */
	if (mem_cgroup_swapin_charge_folio(vm, new_page, NULL, GFP_HIGHUSER_MOVABLE,
					   swp_type(entry), swp_offset(entry))) {
		put_swap_folio(vm, entry);
		goto fail;
	}
	set_page_flag(new_page, PG_swapbacked);
	if (add_to_swap_cache(vm, new_page, entry, &shadow)) {
		put_swap_folio(vm, entry);
		goto fail;
	}
	if (shadow)
		workingset_refault(vm, new_page, shadow);
	folio_add_lru(vm, new_page);
	*allocated = true;
	return new_page;
fail:
	if (new_page)
		put_page(vm->pm, new_page);
	return NULL;
}

/* A page just claimed is read; a failed read leaves it not uptodate. */
static void read_new(struct vm_ctx *vm, struct page *page)
{
	if (swap_read_folio(vm, page) == 0)
		set_page_flag(page, PG_uptodate);
}

struct page *read_swap_cache_async(struct vm_ctx *vm, swp_entry_t entry)
{
	bool allocated;
	struct page *page = __read_swap_cache_async(vm, entry, &allocated);

	if (page && allocated)
		read_new(vm, page);
	return page;
}

struct page *swapin_readahead(struct vm_ctx *vm, swp_entry_t entry,
			      struct vm_area_struct *vma, uint64_t addr, bool *major)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t start = 0, end = 0;
	struct page *page;
	bool allocated;

	*major = true;
	if (swap_vma_ra_win(vm, vma, addr, &start, &end) > 1) {
		for (uint64_t a = start; a < end; a += PAGE_SIZE) {
			uint64_t pte = mm_pte_lookup(mm, a);
			swp_entry_t e;

			if (!is_swap_pte(pte))
				continue;
			e = pte_to_swp_entry(vm->pt->fmt, pte);
			if (non_swap_entry(e) || !get_swap_device(vm, e, NULL))
				continue;
			page = __read_swap_cache_async(vm, e, &allocated);
			if (!page)
				continue;
			if (allocated) {
				read_new(vm, page);
				if (a != addr) {
					set_page_flag(page, PG_readahead);
					count_vm_event(vm->pm, SWAP_RA);
				}
			}
			put_page(vm->pm, page);
		}
		lru_add_drain(vm);
	}
	page = __read_swap_cache_async(vm, entry, &allocated);
	if (page && allocated)
		read_new(vm, page);
	return page;
}
