/*
 * The reverse map of anonymous memory (mm/rmap.c, mm/interval_tree.c):
 * anon_vmas, the anon_vma_chains that link them to VMAs, their life cycle
 * through anon_vma_prepare, split and merge (anon_vma_clone), fork
 * (anon_vma_fork) and unmap (unlink_anon_vmas), the rmap of a new or
 * reused anonymous page, the rmap walk, and the checker of all of it.
 *
 * The invariants are listed in rmap.h.  The kernel's tree is an interval
 * tree augmented with each subtree's last page index; here the tree is a
 * red-black tree ordered by the VMA's first page index without the
 * augmentation, so a lookup scans the entries that start at or below the
 * last index asked for (the same answer, found in O(k + entries before
 * it) rather than O(k + log n)).
 *
 * The objects are slab objects in simulated RAM (anon_vma_cachep,
 * anon_vma_chain_cachep), as in the kernel.
 *
 * Reclaim's walks (folio_referenced(), try_to_unmap(), folio_mkclean())
 * visit each candidate VMA and confirm it by reading its PTE: only a
 * present PTE holding the page's frame maps it, so a VMA that merely could
 * map it, or one whose tables changed, is passed over.  What a walk
 * changes it changes in simulated RAM and then flushes from every TLB that
 * may cache it; page->_mapcount and the rss counters move with each PTE
 * taken, and a page's reference with it.
 */
#include "vma/rmap.h"

#include <errno.h>
#include <inttypes.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "phys/mm_inline.h"
#include "mmu/mmu.h"
#include "phys/slab.h"
#include "util/error.h"
#include "util/htab.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vma/writeback.h"

/* ---- the tree of an anon_vma, by the VMA's first page index ---- */

static inline uint64_t avc_start_pgoff(const struct anon_vma_chain *avc)
{
	return avc->vma->vm_pgoff;
}

static inline uint64_t avc_last_pgoff(const struct anon_vma_chain *avc)
{
	return avc->vma->vm_pgoff + vma_pages(avc->vma) - 1;
}

void anon_vma_interval_tree_insert(struct anon_vma_chain *avc, struct rb_root *root)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;
	const uint64_t start = avc_start_pgoff(avc);

	while (*link) {
		parent = *link;
		if (start < avc_start_pgoff(rb_entry(parent, struct anon_vma_chain, rb)))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&avc->rb, parent, link);
	rb_insert_color(&avc->rb, root);
}

void anon_vma_interval_tree_remove(struct anon_vma_chain *avc, struct rb_root *root)
{
	rb_erase(&avc->rb, root);
	RB_CLEAR_NODE(&avc->rb);
}

/* The first AVC at or after @n (in order) covering some of [first, last]. */
static struct anon_vma_chain *avc_scan(struct rb_node *n, uint64_t first, uint64_t last)
{
	for (; n; n = rb_next(n)) {
		struct anon_vma_chain *avc = rb_entry(n, struct anon_vma_chain, rb);

		if (avc_start_pgoff(avc) > last)
			return NULL;	/* ordered by start: none further can */
		if (avc_last_pgoff(avc) >= first)
			return avc;
	}
	return NULL;
}

struct anon_vma_chain *anon_vma_interval_tree_iter_first(struct rb_root *root, uint64_t first,
							 uint64_t last)
{
	return avc_scan(rb_first(root), first, last);
}

struct anon_vma_chain *anon_vma_interval_tree_iter_next(struct anon_vma_chain *avc,
							uint64_t first, uint64_t last)
{
	return avc_scan(rb_next(&avc->rb), first, last);
}

void anon_vma_interval_tree_pre_update_vma(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_interval_tree_remove(avc, &avc->anon_vma->rb_root);
}

void anon_vma_interval_tree_post_update_vma(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_interval_tree_insert(avc, &avc->anon_vma->rb_root);
}

/* ---- objects ---- */

static struct vm_ctx *vma_vm(const struct vm_area_struct *vma)
{
	return vma->vm_mm->vm;
}

/* anon_vma_alloc(): one reference (its own), its own root and parent. */
static struct anon_vma *anon_vma_alloc(struct vm_ctx *vm)
{
	struct anon_vma *anon_vma = kmem_cache_alloc(vm->anon_vma_cachep, GFP_KERNEL | __GFP_ZERO);

	if (anon_vma) {
		anon_vma->refcount = 1;
		anon_vma->num_children = 0;
		anon_vma->num_active_vmas = 0;
		anon_vma->parent = anon_vma;
		/* a fork resets the root to the parent's */
		anon_vma->root = anon_vma;
		anon_vma->rb_root = RB_ROOT;
	}
	return anon_vma;
}

static void anon_vma_free(struct vm_ctx *vm, struct anon_vma *anon_vma)
{
	kmem_cache_free(vm->anon_vma_cachep, anon_vma);
}

/* __put_anon_vma(): the last reference went; a non-root also drops the
 * reference it held on its root. */
static void put_anon_vma(struct vm_ctx *vm, struct anon_vma *anon_vma)
{
	struct anon_vma *root = anon_vma->root;

	if (--anon_vma->refcount)
		return;
	anon_vma_free(vm, anon_vma);
	if (root != anon_vma && --root->refcount == 0)
		anon_vma_free(vm, root);
}

static struct anon_vma_chain *anon_vma_chain_alloc(struct vm_ctx *vm)
{
	return kmem_cache_alloc(vm->anon_vma_chain_cachep, GFP_KERNEL);
}

static void anon_vma_chain_free(struct vm_ctx *vm, struct anon_vma_chain *avc)
{
	kmem_cache_free(vm->anon_vma_chain_cachep, avc);
}

static void anon_vma_chain_link(struct vm_area_struct *vma, struct anon_vma_chain *avc,
				struct anon_vma *anon_vma)
{
	avc->vma = vma;
	avc->anon_vma = anon_vma;
	list_add(&avc->same_vma, &vma->anon_vma_chain);
	anon_vma_interval_tree_insert(avc, &anon_vma->rb_root);
}

/* ---- prepare, clone, fork, unlink ---- */

int __anon_vma_prepare(struct vm_area_struct *vma)
{
	struct vm_ctx *vm = vma_vm(vma);
	struct anon_vma_chain *avc = anon_vma_chain_alloc(vm);
	struct anon_vma *anon_vma;

	/* --check: the VMA changes, also on paths that then fail (a stack
	 * that may not grow has its anon_vma all the same) */
	mm_track_dirty(vma->vm_mm);
	if (!avc)
		return -ENOMEM;
	anon_vma = find_mergeable_anon_vma(vma);
	if (!anon_vma) {
		anon_vma = anon_vma_alloc(vm);
		if (!anon_vma) {
			anon_vma_chain_free(vm, avc);
			return -ENOMEM;
		}
		anon_vma->num_children++;	/* self-parent link for new root */
	}
	vma->anon_vma = anon_vma;
	anon_vma_chain_link(vma, avc, anon_vma);
	anon_vma->num_active_vmas++;
	return 0;
}

int anon_vma_clone(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct vm_ctx *vm = vma_vm(src);
	struct anon_vma_chain *avc, *pavc;

	mm_track_dirty(dst->vm_mm);	/* --check: dst's chain changes */
	/* oldest first, each added at the head: the same order as @src's */
	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = pavc->anon_vma;

		avc = anon_vma_chain_alloc(vm);
		if (!avc)
			goto enomem_failure;
		anon_vma_chain_link(dst, avc, anon_vma);
		/*
		 * Reuse existing anon_vma if it has no vma and only one
		 * anon_vma child.  Root anon_vma is never reused: it has
		 * self-parent reference and at least one child.
		 */
		if (!dst->anon_vma && src->anon_vma && anon_vma->num_children < 2 &&
		    anon_vma->num_active_vmas == 0)
			dst->anon_vma = anon_vma;
	}
	if (dst->anon_vma)
		dst->anon_vma->num_active_vmas++;
	return 0;

enomem_failure:
	/* the callers do not use dst->anon_vma after a failure; dropping it
	 * keeps unlink_anon_vmas() from uncounting a VMA never counted */
	dst->anon_vma = NULL;
	unlink_anon_vmas(dst);
	return -ENOMEM;
}

int anon_vma_fork(struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	struct vm_ctx *vm = vma_vm(pvma);
	struct anon_vma_chain *avc;
	struct anon_vma *anon_vma;
	int error;

	/* Don't bother if the parent process has no anon_vma here. */
	if (!pvma->anon_vma)
		return 0;
	/* Drop inherited anon_vma, we'll reuse existing or allocate new. */
	vma->anon_vma = NULL;
	/* First the parent's anon_vmas, so that the rmap finds the pages
	 * the child still shares with it. */
	error = anon_vma_clone(vma, pvma);
	if (error)
		return error;
	/* An existing anon_vma has been reused, all done then. */
	if (vma->anon_vma)
		return 0;
	/* Then an anon_vma of its own, where the child's copies go. */
	anon_vma = anon_vma_alloc(vm);
	if (!anon_vma)
		goto out_error;
	anon_vma->num_active_vmas++;
	avc = anon_vma_chain_alloc(vm);
	if (!avc)
		goto out_error_free_anon_vma;
	anon_vma->root = pvma->anon_vma->root;
	anon_vma->parent = pvma->anon_vma;
	/* the root lives as long as any anon_vma of its family */
	anon_vma->root->refcount++;
	vma->anon_vma = anon_vma;
	anon_vma_chain_link(vma, avc, anon_vma);
	anon_vma->parent->num_children++;
	return 0;

out_error_free_anon_vma:
	put_anon_vma(vm, anon_vma);
out_error:
	unlink_anon_vmas(vma);
	return -ENOMEM;
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct vm_ctx *vm = vma_vm(vma);
	struct anon_vma_chain *avc, *next;

	mm_track_dirty(vma->vm_mm);	/* --check: the chain goes */
	/* Unlink each anon_vma chained to the VMA.  This list is ordered
	 * from newest to oldest, ensuring the root anon_vma gets freed last. */
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		anon_vma_interval_tree_remove(avc, &anon_vma->rb_root);
		/* empty anon_vmas stay on the list, freed below */
		if (RB_EMPTY_ROOT(&anon_vma->rb_root)) {
			anon_vma->parent->num_children--;
			continue;
		}
		list_del(&avc->same_vma);
		anon_vma_chain_free(vm, avc);
	}
	if (vma->anon_vma) {
		vma->anon_vma->num_active_vmas--;
		/* a VMA that lives on prepares a new one at its next fault */
		vma->anon_vma = NULL;
	}
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *anon_vma = avc->anon_vma;

		list_del(&avc->same_vma);
		anon_vma_chain_free(vm, avc);
		put_anon_vma(vm, anon_vma);
	}
}

/* ---- the rmap of one page ---- */

void __folio_set_anon(struct page *folio, struct vm_area_struct *vma, uint64_t addr,
		      bool exclusive)
{
	struct anon_vma *anon_vma = exclusive ? vma->anon_vma : vma->anon_vma->root;

	folio->mapping = (void *)((uintptr_t)anon_vma | PAGE_MAPPING_ANON);
	folio->index = linear_page_index(vma, addr);
}

void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, uint64_t addr)
{
	/* swap-backed and exclusive to its one PTE (RMAP_EXCLUSIVE); its
	 * contents are made (the callers' __folio_mark_uptodate()) */
	set_page_flag(page, PG_uptodate);
	set_page_flag(page, PG_swapbacked);
	set_page_flag(page, PG_anon_exclusive);
	__folio_set_anon(page, vma, addr, true);
	page->_mapcount = 0;
	lruvec_stat_mod_folio(vma->vm_mm->vm->pm, page, NR_ANON_MAPPED, 1);
}

void page_add_anon_rmap(struct page *page, struct vm_area_struct *vma, uint64_t addr,
			bool exclusive)
{
	if (!PageAnon(page)) {
		/* read in by readahead or swapoff, mapped for the first time:
		 * folio_add_new_anon_rmap() with RMAP_EXCLUSIVE or not */
		set_page_flag(page, PG_uptodate);
		set_page_flag(page, PG_swapbacked);
		__folio_set_anon(page, vma, addr, exclusive);
		page->_mapcount = 0;
		lruvec_stat_mod_folio(vma->vm_mm->vm->pm, page, NR_ANON_MAPPED, 1);
		if (exclusive)
			set_page_flag(page, PG_anon_exclusive);
		else
			clear_page_flag(page, PG_anon_exclusive);
	} else {
		/* the first mapping of an anonymous page makes it mapped
		 * again (one swapped back in from the swap cache) */
		if (++page->_mapcount == 0)
			lruvec_stat_mod_folio(vma->vm_mm->vm->pm, page, NR_ANON_MAPPED, 1);
		if (exclusive)
			set_page_flag(page, PG_anon_exclusive);
	}
	/* __folio_add_anon_rmap(): mlock_vma_folio(); a page read in for a
	 * VM_LOCKED VMA is locked now too (the kernel leaves that one to
	 * reclaim, whose rmap walk would find the lock) */
	mlock_vma_page(page, vma);
}

void page_move_anon_rmap(struct page *folio, struct vm_area_struct *vma)
{
	folio->mapping = (void *)((uintptr_t)vma->anon_vma | PAGE_MAPPING_ANON);
}

int rmap_walk_anon(struct page *page, rmap_one_fn fn, void *arg)
{
	struct anon_vma *anon_vma = page_anon_vma(page);
	const uint64_t pgoff = page_pgoff(page);
	/* a huge page: every VMA that may map any of its pages, the address
	 * being its head's there (below vm_start when the VMA begins in it) */
	const uint64_t last = pgoff + folio_nr_pages(page) - 1;
	struct anon_vma_chain *avc;
	int ret;

	if (!anon_vma)
		return 0;
	for (avc = anon_vma_interval_tree_iter_first(&anon_vma->rb_root, pgoff, last); avc;
	     avc = anon_vma_interval_tree_iter_next(avc, pgoff, last)) {
		struct vm_area_struct *vma = avc->vma;
		uint64_t addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);

		if ((ret = fn(vma, addr, arg)))
			return ret;
	}
	return 0;
}

/* ---- reclaim's walks ---- */

/* The address of index @pgoff in @vma, or 0 when it lies outside. */
static uint64_t vma_address(const struct vm_area_struct *vma, uint64_t pgoff)
{
	if (pgoff < vma->vm_pgoff || pgoff - vma->vm_pgoff >= vma_pages(vma))
		return 0;
	return vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
}

/* rmap_walk_file(): the VMAs on an i_mmap list (a file's, or a shmem
 * object's) that cover the page's index. */
static int rmap_walk_file(struct list_head *i_mmap, struct page *page, rmap_one_fn fn, void *arg)
{
	struct vm_area_struct *vma, *tmp;

	list_for_each_entry_safe(vma, tmp, i_mmap, shared) {
		uint64_t addr = vma_address(vma, page->index);
		int ret;

		if (!addr)
			continue;
		ret = fn(vma, addr, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int rmap_walk(struct vm_ctx *vm, struct page *page, rmap_one_fn fn, void *arg)
{
	struct file *f;

	if (PageAnon(page))
		return folio_mapped(page) ? rmap_walk_anon(page, fn, arg) : 0;
	if ((f = page_file(page)))
		return rmap_walk_file(&f->f_mapping.i_mmap, page, fn, arg);
	if (PageSwapBacked(page) && page->mapping && !PageSwapCache(page))
		return rmap_walk_file(&((struct shmem_object *)page->mapping)->i_mmap, page, fn,
				      arg);
	return 0;
}

bool page_vma_mapped(struct vm_area_struct *vma, const struct page *page, uint64_t addr,
		     uint64_t *epa)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t e = mm_pte_epa(mm, addr), pte;

	if (!e)
		return false;
	pte = pt_read(vm->pt, e);
	if (!(pte & _PAGE_PRESENT))
		return false;
	if (((pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT) != page_to_pfn(vm->pm, page))
		return false;
	*epa = e;
	return true;
}

/* ---- folio_referenced ---- */

struct folio_referenced_arg {
	struct page *page;
	int mapcount;
	int referenced;
	unsigned long vm_flags;
};

/*
 * ptep_clear_flush_young() of the PTE at @epa mapping @addr: whether its
 * Accessed bit was set, clearing it.  x86 Linux skips the flush as an
 * optimisation; here the next access must set A again, so the TLB entry
 * goes.
 */
static bool ptep_clear_flush_young(struct vm_area_struct *vma, uint64_t addr, uint64_t epa)
{
	struct mm_struct *mm = vma->vm_mm;
	const uint64_t pte = pt_read(mm->vm->pt, epa);

	if (!(pte & _PAGE_ACCESSED))
		return false;
	set_pte(mm->vm->pt, epa, pte & ~(uint64_t)_PAGE_ACCESSED);
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
	return true;
}

/*
 * folio_referenced_one() of a huge page at @addr (its head's address) of
 * @vma: a PMD mapping it whole has its Accessed bit tested and cleared
 * (pmdp_clear_flush_young()), as one reference; else each PTE of @vma
 * mapping one of its pages is, one reference each.
 */
static int folio_referenced_huge(struct vm_area_struct *vma, uint64_t addr,
				 struct folio_referenced_arg *pra)
{
	struct page *folio = pra->page;
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	const uint64_t size = HPAGE_PMD_SIZE(vm);
	uint64_t pmd = 0, e = 0, epa;

	if (!(addr & (size - 1)) && addr >= vma->vm_start && addr + size <= vma->vm_end &&
	    (pmd = mm_find_pmd(mm, addr)) && pmd_trans_huge(e = pt_read(vm->pt, pmd)) &&
	    huge_pmd_folio(mm, pmd, e) == folio) {
		if (vma->vm_flags & VM_LOCKED) {
			pra->vm_flags |= VM_LOCKED;
			return 1;
		}
		if (e & _PAGE_ACCESSED) {
			set_pte(vm->pt, pmd, e & ~(uint64_t)_PAGE_ACCESSED);
			flush_pmd_tlb_range(mm, addr, addr + size);
			pra->referenced++;
			pra->vm_flags |= vma->vm_flags;
		}
		return --pra->mapcount > 0 ? 0 : 1;
	}
	for (unsigned long i = 0; i < folio_nr_pages(folio); i++) {
		const uint64_t a = addr + i * PAGE_SIZE;

		if (a < vma->vm_start || a >= vma->vm_end || !page_vma_mapped(vma, folio + i, a, &epa))
			continue;
		if (vma->vm_flags & VM_LOCKED) {
			pra->vm_flags |= VM_LOCKED;
			return 1;
		}
		if (ptep_clear_flush_young(vma, a, epa)) {
			pra->referenced++;
			pra->vm_flags |= vma->vm_flags;
		}
		if (--pra->mapcount <= 0)
			return 1;
	}
	return 0;
}

static int folio_referenced_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct folio_referenced_arg *pra = arg;
	uint64_t epa;

	/* invalid_folio_referenced_vma(): references without recency are
	 * not counted (the mapping is skipped, as if not there) */
	if (!vma_has_recency(vma))
		return 0;
	if (PageHead(pra->page))
		return folio_referenced_huge(vma, addr, pra);
	if (!page_vma_mapped(vma, pra->page, addr, &epa))
		return 0;
	if (vma->vm_flags & VM_LOCKED) {
		/* (the mlock that should have made it unevictable) */
		pra->vm_flags |= VM_LOCKED;
		return 1;
	}
	if (ptep_clear_flush_young(vma, addr, epa)) {
		pra->referenced++;
		pra->vm_flags |= vma->vm_flags & ~VM_LOCKED;
	}
	return --pra->mapcount ? 0 : 1;
}

int folio_referenced(struct vm_ctx *vm, struct page *page, unsigned long *vm_flags)
{
	struct folio_referenced_arg pra = { .page = page, .mapcount = page_mapcount(page) };

	/* folio_mapcount(): a huge page's PMD and PTE mappings */
	if (PageHead(page)) {
		pra.mapcount = folio_entire_mapcount(page);
		for (unsigned long i = 0; i < folio_nr_pages(page); i++)
			pra.mapcount += page[i]._mapcount + 1;
	}

	*vm_flags = 0;
	if (!pra.mapcount)
		return 0;
	rmap_walk(vm, page, folio_referenced_one, &pra);
	*vm_flags = pra.vm_flags;
	return pra.referenced;
}

/* ---- try_to_unmap ---- */

struct unmap_arg {
	struct page *page;
	bool abort;
};

static int try_to_unmap_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct unmap_arg *ua = arg;
	struct page *page = ua->page;
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t epa, pteval;

	if (!page_vma_mapped(vma, page, addr, &epa))
		return 0;
	if (vma->vm_flags & VM_LOCKED) {
		ua->abort = true;	/* mlocked: never unmapped by reclaim */
		return 1;
	}
	mm_track_dirty(mm);	/* --check: the tables change */
	pteval = pt_read(vm->pt, epa);
	pte_clear(vm->pt, epa);
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
	if (pteval & _PAGE_DIRTY)
		folio_mark_dirty(vm, page);
	update_hiwater_rss(mm);
	if (PageAnon(page)) {
		swp_entry_t entry = { page->private };
		bool anon_exclusive = PageAnonExclusive(page);

		if (PageSwapBacked(page) != PageSwapCache(page))
			goto restore;
		if (!PageSwapBacked(page)) {
			/* MADV_FREE: only the isolation's reference and the
			 * mappings' left, and still clean: drop it */
			if (page_ref_count(page) == 1 + page_mapcount(page) && !PageDirty(page)) {
				mm->rss_stat[MM_ANONPAGES]--;
				goto discard;
			}
			/* written again since: it must be kept */
			set_page_flag(page, PG_swapbacked);
			goto restore;
		}
		if (swap_duplicate(vm, entry) < 0)
			goto restore;
		/* folio_try_share_anon_rmap_pte(): exclusivity moves to the
		 * swap PTE */
		if (anon_exclusive)
			clear_page_flag(page, PG_anon_exclusive);
		if (list_empty(&mm->mmlist))
			list_add(&mm->mmlist, &vm->swap->mmlist);
		mm->rss_stat[MM_ANONPAGES]--;
		mm->rss_stat[MM_SWAPENTS]++;
		set_pte(vm->pt, epa, pt_swp_entry_to_pte(vm->pt->fmt, swp_type(entry),
							 swp_offset(entry), anon_exclusive));
		MM_EV(mm, "unmap", "addr=%#llx pfn=%#lx swap=%u:%#llx", (unsigned long long)addr,
		      page_to_pfn(vm->pm, page), swp_type(entry),
		      (unsigned long long)swp_offset(entry));
	} else {
		mm->rss_stat[PageSwapBacked(page) ? MM_SHMEMPAGES : MM_FILEPAGES]--;
		MM_EV(mm, "unmap", "addr=%#llx pfn=%#lx", (unsigned long long)addr,
		      page_to_pfn(vm->pm, page));
	}
discard:
	folio_remove_rmap_pte(vm->pm, page);
	put_page(vm->pm, page);		/* the PTE's reference */
	return 0;
restore:
	set_pte(vm->pt, epa, pteval);
	ua->abort = true;
	return 1;
}

void try_to_unmap(struct vm_ctx *vm, struct page *page)
{
	struct unmap_arg ua = { .page = page };

	if (page_mapcount(page) > 0)
		rmap_walk(vm, page, try_to_unmap_one, &ua);
}

/* ---- folio_mkclean ---- */

struct mkclean_arg {
	struct page *page;
	int cleaned;
};

static int page_mkclean_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct mkclean_arg *ma = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t epa, pte;

	if (!(vma->vm_flags & VM_SHARED) || !page_vma_mapped(vma, ma->page, addr, &epa))
		return 0;
	pte = pt_read(vm->pt, epa);
	if (pte & (_PAGE_DIRTY | _PAGE_RW)) {
		set_pte(vm->pt, epa, pte & ~(uint64_t)(_PAGE_DIRTY | _PAGE_RW));
		flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
		ma->cleaned++;
	}
	return 0;
}

int folio_mkclean(struct vm_ctx *vm, struct page *page)
{
	struct mkclean_arg ma = { .page = page };

	if (page_mapcount(page) > 0)
		rmap_walk(vm, page, page_mkclean_one, &ma);
	return ma.cleaned;
}

/* ---- checkers ---- */

/* Is @anon_vma on @vma's chain? */
static bool chain_has(const struct vm_area_struct *vma, const struct anon_vma *anon_vma)
{
	const struct anon_vma_chain *avc;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		if (avc->anon_vma == anon_vma)
			return true;
	return false;
}

/* Is @avc a node of the tree @root?  Its parents lead to the root node
 * within the height of any red-black tree that fits in memory. */
static bool tree_has(const struct rb_root *root, const struct anon_vma_chain *avc)
{
	const struct rb_node *n = &avc->rb;

	for (unsigned depth = 0; n && depth < 128; depth++) {
		if (n == root->rb_node)
			return true;
		n = rb_parent(n);
	}
	return false;
}

int check_vma_rmap(struct vm_area_struct *vma, struct page *page, uint64_t addr,
		   struct vmsim_error *err)
{
	const struct anon_vma_chain *avc;
	struct anon_vma *anon_vma;
	unsigned long n = 0;

	if (!page) {
		if (!vma->anon_vma != list_empty(&vma->anon_vma_chain))
			return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 " has %s anon_vma but %s chain",
				    vma->vm_start, vma->anon_vma ? "an" : "no",
				    list_empty(&vma->anon_vma_chain) ? "an empty" : "a");
		if (vma->anon_vma && !chain_has(vma, vma->anon_vma))
			return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 ": its anon_vma is not on its chain",
				    vma->vm_start);
		list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
			if (++n > 1000000)
				return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 ": chain does not end",
					    vma->vm_start);
			if (avc->vma != vma)
				return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 ": an AVC points at another VMA",
					    vma->vm_start);
			if (virt_to_cache(vma->vm_mm->vm->pm, avc->anon_vma) !=
			    vma->vm_mm->vm->anon_vma_cachep)
				return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 ": an AVC points outside"
					    " the anon_vma cache", vma->vm_start);
			if (RB_EMPTY_NODE(&avc->rb) || !tree_has(&avc->anon_vma->rb_root, avc))
				return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 ": an AVC is not in its"
					    " anon_vma's tree", vma->vm_start);
			if (avc->anon_vma->root != vma->anon_vma->root ||
			    !chain_has(vma, avc->anon_vma->parent) || !chain_has(vma, avc->anon_vma->root))
				return verr(err, -EFAULT, "rmap: VMA %#" PRIx64 ": its chain lacks an"
					    " anon_vma's parent or root, or mixes families", vma->vm_start);
		}
		return 0;
	}
	anon_vma = page_anon_vma(page);
	if (!anon_vma)
		return verr(err, -EFAULT, "rmap: anonymous page at %#" PRIx64 " without an anon_vma",
			    addr);
	if (!chain_has(vma, anon_vma))
		return verr(err, -EFAULT, "rmap: page at %#" PRIx64 ": its anon_vma is not on the"
			    " VMA's chain", addr);
	if (page_pgoff(page) != linear_page_index(vma, addr))
		return verr(err, -EFAULT, "rmap: page at %#" PRIx64 " has index %#" PRIx64
			    ", the VMA puts it at %#" PRIx64, addr, page_pgoff(page),
			    linear_page_index(vma, addr));
	return 0;
}

/*
 * The census of anon_vma_check(): every anon_vma on some VMA's chain, with
 * what the VMAs and the other anon_vmas say its counters must be.  A chain
 * holds the parent and root of each of its anon_vmas (check_vma_rmap), so
 * these are every anon_vma still in use.  Found by address in a hash table:
 * the check is linear in the VMAs and AVCs.
 */
struct av_count {
	struct anon_vma *av;
	unsigned long active;		/* VMAs whose ->anon_vma it is */
	unsigned long linked;		/* AVCs on the chains that point at it */
	unsigned long children;		/* anon_vmas in use whose ->parent it is */
	unsigned long refs;		/* its own (tree not empty) + the family's */
};

struct av_set {
	struct htab index;		/* items: position in v[] + 1 */
	struct av_count *v;
	size_t n, cap;
	struct host_arena *ha;
};

/* The census entry of @a, NULL when it is not on any chain. */
static struct av_count *av_find(struct av_set *s, const struct anon_vma *a)
{
	uint64_t hash = htab_hash_u64(&s->index, (uint64_t)(uintptr_t)a);
	struct htab_iter it;
	void *item;

	htab_for_each_possible(&s->index, hash, it, item)
		if (s->v[(uintptr_t)item - 1].av == a)
			return &s->v[(uintptr_t)item - 1];
	return NULL;
}

/* The census entry of @a, added when new.  NULL when out of host memory. */
static struct av_count *av_get(struct av_set *s, struct anon_vma *a)
{
	struct av_count *c = av_find(s, a);

	if (c)
		return c;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct av_count *v = host_realloc(s->ha, s->v, s->cap * sizeof(*v), cap * sizeof(*v));

		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	if (htab_insert(&s->index, htab_hash_u64(&s->index, (uint64_t)(uintptr_t)a),
			(void *)(uintptr_t)(s->n + 1)))
		return NULL;
	s->v[s->n] = (struct av_count){ .av = a };
	return &s->v[s->n++];
}

/* The tree of @a: a red-black tree in vm_pgoff order. */
static int check_av_tree(struct anon_vma *a, unsigned long *nodes, struct vmsim_error *err)
{
	uint64_t key = 0;
	char msg[96];
	long n = rb_check(&a->rb_root, msg, sizeof(msg));

	if (n < 0)
		return verr(err, -EFAULT, "rmap: anon_vma tree: %s", msg);
	for (struct rb_node *rb = rb_first(&a->rb_root); rb; rb = rb_next(rb)) {
		uint64_t k = avc_start_pgoff(rb_entry(rb, struct anon_vma_chain, rb));

		if (k < key)
			return verr(err, -EFAULT, "rmap: anon_vma tree out of vm_pgoff order (a VMA"
				    " moved without leaving the tree)");
		key = k;
	}
	*nodes = (unsigned long)n;
	return 0;
}

static int anon_vma_check_set(struct av_set *s, struct vmsim_error *err)
{
	int ret;

	/* what each anon_vma in use says of its parent and root */
	for (size_t i = 0; i < s->n; i++) {
		struct anon_vma *a = s->v[i].av;
		struct av_count *parent = av_find(s, a->parent), *root = av_find(s, a->root);

		if (!parent || !root)
			return verr(err, -EFAULT, "rmap: an anon_vma's parent or root is on no chain");
		if (a->root->root != a->root || a->root->parent != a->root)
			return verr(err, -EFAULT, "rmap: an anon_vma's root is not its family's top");
		if (!RB_EMPTY_ROOT(&a->rb_root)) {
			s->v[i].refs++;
			parent->children++;
		}
		if (root->av != a)
			root->refs++;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct av_count *c = &s->v[i];
		struct anon_vma *a = c->av;
		unsigned long nodes = 0;

		if ((ret = check_av_tree(a, &nodes, err)))
			return ret;
		if (nodes != c->linked)
			return verr(err, -EFAULT, "rmap: anon_vma tree holds %lu AVCs, the chains %lu",
				    nodes, c->linked);
		if (c->active != a->num_active_vmas || c->children != a->num_children ||
		    c->refs != a->refcount)
			return verr(err, -EFAULT, "rmap: anon_vma num_active_vmas/num_children/refcount"
				    " %lu/%lu/%lu, the VMAs and anon_vmas say %lu/%lu/%lu",
				    a->num_active_vmas, a->num_children, a->refcount, c->active,
				    c->children, c->refs);
	}
	return 0;
}

/* Count @mm's VMAs and AVCs into @s, each chain checked first.  0, -EFAULT
 * (with @err) or -ENOMEM. */
static int av_census_mm(struct av_set *s, struct mm_struct *mm, struct vmsim_error *err)
{
	struct vm_area_struct *vma;
	int ret;

	for_each_vma(mm, vma) {
		struct anon_vma_chain *avc;
		struct av_count *c;

		if ((ret = check_vma_rmap(vma, NULL, 0, err)))
			return ret;
		list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
			if (!(c = av_get(s, avc->anon_vma)))
				return -ENOMEM;
			c->linked++;
			/* the chain holds the VMA's own anon_vma */
			c->active += avc->anon_vma == vma->anon_vma;
		}
	}
	return 0;
}

int anon_vma_check(struct mm_struct *const *mms, size_t n, struct vmsim_error *err)
{
	struct av_set s = { 0 };
	int ret = 0;

	if (!n)
		return 0;
	s.ha = mms[0]->vm->ha;
	htab_init(&s.index, s.ha);
	for (size_t j = 0; j < n && !ret; j++)
		ret = av_census_mm(&s, mms[j], err);
	if (ret == -ENOMEM)
		ret = verr(err, -ENOMEM, "out of host memory");
	else if (!ret)
		ret = anon_vma_check_set(&s, err);
	htab_destroy(&s.index);
	host_free(s.ha, s.v, s.cap * sizeof(*s.v));
	return ret;
}
