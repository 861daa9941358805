/*
 * Page faults and PTE ranges of user memory (mm/memory.c): demand-zero
 * faults, the shared zero page, copy-on-write, shared anonymous pages,
 * unmapping (zap), protection changes, fork's page copy, and the teardown
 * at exit.
 *
 * Invariant: every non-zero user PTE lies inside a VMA and maps a frame
 * (or the zero page) with rights no wider than the VMA's, or holds a swap
 * entry naming a slot in use; every mapped frame other than the zero page
 * has _mapcount + 1 == the number of PTEs mapping it and _refcount ==
 * that plus the references its caches and LRU batches hold; rss_stat
 * counts those PTEs per kind, swap entries in MM_SWAPENTS; a page is
 * PG_mlocked while VM_LOCKED VMAs map it (mlock_vma_page /
 * munlock_vma_page where a mapping is made or goes, as the kernel's rmap
 * does).  A PROT_NONE page keeps its frame in a non-present PTE marked
 * _PAGE_PROTNONE, as on Linux; a swapped-out page is a swap entry in a
 * non-present PTE (do_swap_page() brings it back).  A PMD may instead map
 * a transparent huge page (vma/huge_memory.c), which every walk here hands
 * to that file: unmapped, changed or copied whole when the range covers
 * it, split into PTEs first when it does not.
 *
 * Any allocation here may reclaim, which may unmap pages of this very
 * mm: what was read from a PTE before an allocation is checked again
 * after it, as the kernel does under the PTE lock (pte_same()).
 */
#include "vma/mm.h"

#include <errno.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "phys/mm_inline.h"
#include "phys/buddy.h"
#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vma/writeback.h"
#include "vma/rmap.h"
#include "vma/tlbflush.h"
#include "vma/mmdebug.h"

#define PTE_PFN_MASK(pt) ((pt)->fmt->entry_addr_mask & ~0xfffULL)

static inline struct page *pte_page(struct vm_ctx *vm, uint64_t pte)
{
	unsigned long pfn = (unsigned long)((pte & PTE_PFN_MASK(vm->pt)) >> PAGE_SHIFT);

	return pfn_valid(vm->pm, pfn) ? pfn_to_page(vm->pm, pfn) : NULL;
}

struct page *mm_zero_page(struct vm_ctx *vm)
{
	return vm->zero_page;
}

/* Which rss counter a mapped page is charged to (mm_counter()). */
static inline int mm_counter(const struct page *page)
{
	if (PageAnon(page))
		return MM_ANONPAGES;
	return test_page_flag(page, PG_swapbacked) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

/* ---- the reverse map's counts (mm/rmap.c) ---- */

void folio_add_file_rmap_pte(struct phys_mem *pm, struct page *page)
{
	/* the first mapping makes it a mapped page-cache or shmem page */
	if (++page->_mapcount == 0)
		lruvec_stat_mod_folio(pm, page, NR_FILE_MAPPED, 1);
}

void folio_remove_rmap_pte(struct phys_mem *pm, struct page *page)
{
	/* a page of a huge page that a PMD still maps stays mapped (the
	 * folio's ENTIRELY_MAPPED share of NR_ANON_MAPPED) */
	if (page->_mapcount-- == 0 && !folio_entire_mapcount(compound_head(page)))
		lruvec_stat_mod_folio(pm, page, PageAnon(page) ? NR_ANON_MAPPED : NR_FILE_MAPPED, -1);
}

/* A swap entry naming no slot in use: the kernel's message on the
 * console (get_swap_device()'s "Bad swap file entry" and friends). */
static void bad_swap_entry(struct mm_struct *mm, uint64_t addr, uint64_t pte, swp_entry_t entry,
			   const char *why)
{
	struct pt_ctx *pt = mm->vm->pt;

	if (!why)
		why = "Unused swap offset entry";
	snprintf(pt->bad_msg, sizeof(pt->bad_msg), "get_swap_device: %s %08llx", why,
		 (unsigned long long)entry.val);
	if (pt->console)
		fprintf(pt->console, "%s\n", pt->bad_msg);
	MM_EV(mm, "bad_swap_pte", "addr=%#llx pte=%#llx", (unsigned long long)addr,
	      (unsigned long long)pte);
}

/* ---- walking the PTE level ---- */

/*
 * The user half is walked the way mm/memory.c walks it: an entry above the
 * PTE level is followed only when pt_entry_kind() says it is a table.  A
 * PMD with PS is a transparent huge page when huge_pmd_folio() recognises
 * it (pmd_trans_huge(), tested before pmd_bad() as the kernel's walkers
 * do); otherwise PS there makes the entry bad, as pmd_bad() finds it.
 *
 * A walk that changes the tables (zap, mprotect, fork, free_pgtables, the
 * fault path) clears a bad entry as pXd_none_or_clear_bad() does.  The
 * kernel then leaks the table that hung from it, with the pages it mapped,
 * and later reports "Bad rss-counter state"; the simulator knows which
 * table hung there (its page records the entry) and gives it back with
 * its pages, as an unmap would, so that no memory is lost -- and likewise
 * the huge page a PMD mapped, which its deposited table records.  A walk
 * that only looks (views, checkers) follows that same table without
 * clearing anything: until a changing walk meets the entry, its pages are
 * still the process's.
 */
static void reclaim_bad(struct mm_struct *mm, unsigned depth, uint64_t epa, uint64_t e,
			uint64_t va);

/*
 * What a walk finds in entry @e at @epa (depth @depth, covering @va):
 * PT_ENTRY_TABLE with the table in *@table; PT_ENTRY_LEAF for a huge PMD,
 * its page in *@folio; PT_ENTRY_NONE; or, for a walk that only looks,
 * PT_ENTRY_BAD with the table the bad entry held in *@table (0 if none).
 * A walk that changes (@clear) clears a bad entry, reclaims what hung from
 * it and finds PT_ENTRY_NONE.
 */
static enum pt_entry_kind user_entry(struct mm_struct *mm, unsigned depth, uint64_t epa,
				     uint64_t e, uint64_t va, bool clear, uint64_t *table,
				     struct page **folio)
{
	struct pt_ctx *pt = mm->vm->pt;

	*table = 0;
	if (depth == mm->vm->thp.pmd_depth && pmd_trans_huge(e) &&
	    (*folio = huge_pmd_folio(mm, epa, e)))
		return PT_ENTRY_LEAF;
	switch (pt_entry_kind(pt, depth, epa, e, false)) {
	case PT_ENTRY_TABLE:
		*table = pt_entry_addr(pt, depth, e);
		return PT_ENTRY_TABLE;
	case PT_ENTRY_BAD:
		if (!clear) {
			*table = pt_owned_table(pt, depth, epa, e);
			return PT_ENTRY_BAD;
		}
		mm_track_dirty(mm);
		pt_clear_bad(pt, depth, epa, e);
		reclaim_bad(mm, depth, epa, e, va);
		return PT_ENTRY_NONE;
	default:
		return PT_ENTRY_NONE;
	}
}

/*
 * A walk's callbacks (struct mm_walk_ops in mm.h).  A walk that only looks
 * hands a huge PMD to @pmd_entry, or without one to @pte_entry one page at
 * a time, as the PTEs a split would make.  A walk that changes hands it to
 * @pmd_entry, which returns 0 when done with it, WALK_SPLIT after
 * splitting it (the walk goes on into the new table), anything else to
 * stop; without @pmd_entry it splits the huge PMD and changes the PTEs
 * (walk_pmd_range() without a pmd_entry).
 */
struct pt_walk {
	pte_visit_fn pte;
	pmd_visit_fn pmd;
	void *arg;
	bool clear;
};

static int walk_huge(struct mm_struct *mm, const struct pt_walk *w, uint64_t va, uint64_t epa,
		     uint64_t e, struct page *folio, uint64_t start, uint64_t end)
{
	int ret;

	if (w->pmd)
		return w->pmd(w->arg, start, end, epa, e, folio);
	if (w->clear) {
		struct vm_area_struct *vma = find_vma(mm, va);

		if (!vma || vma->vm_start > va)
			return 0;
		__split_huge_pmd(vma, epa, start);
		return WALK_SPLIT;
	}
	for (uint64_t a = start; a < end; a += PAGE_SIZE)
		if ((ret = w->pte(w->arg, a, epa, huge_pmd_pte(mm, e, folio, a - va))))
			return ret;
	return 0;
}

/* A look-only walk meets a bad PMD: the huge page its deposited table
 * records is still mapped until a changing walk reclaims it; shown as a
 * huge PMD with the rights its VMA gives, read-only. */
static int walk_bad_huge(struct mm_struct *mm, const struct pt_walk *w, uint64_t va,
			 uint64_t epa, uint64_t start, uint64_t end)
{
	struct page *dep = pgtable_trans_huge_deposited(mm->vm->pt, epa);
	struct vm_area_struct *vma;

	if (!dep || !dep->mapping)
		return 0;
	vma = find_vma(mm, va);
	if (!vma || vma->vm_start > va)
		return 0;
	return walk_huge(mm, w, va, epa,
			 pt_mk_leaf(mm->vm->pt, mm->vm->thp.pmd_depth,
				    page_to_phys(mm->vm->pm, dep->mapping),
				    vma->vm_page_prot & ~_PAGE_RW),
			 dep->mapping, start, end);
}

static int walk_level(struct mm_struct *mm, uint64_t table, unsigned depth, uint64_t base,
		      uint64_t start, uint64_t end, const struct pt_walk *w)
{
	const struct pt_ctx *pt = mm->vm->pt;
	const struct pt_format *f = pt->fmt;
	unsigned shift, n, i;
	uint64_t span;
	int ret;

	if (depth >= PT_MAX_LEVELS)
		return 0;
	shift = f->lvl[depth].shift;
	n = pt_ptrs_per_table(f, depth);
	span = 1ULL << shift;
	i = (unsigned)((start > base ? start - base : 0) >> shift);

	for (; i < n; i++) {
		uint64_t va = base + (uint64_t)i * span;
		uint64_t epa, e, child, s, t;
		struct page *folio = NULL;

		if (va >= end)
			break;
		epa = table + (uint64_t)i * f->entry_size;
		e = pt_read(pt, epa);
		if (depth == f->levels - 1) {
			if (e && (ret = w->pte(w->arg, va, epa, e)))
				return ret;
			continue;
		}
		s = start > va ? start : va;
		t = end < va + span ? end : va + span;
		switch (user_entry(mm, depth, epa, e, va, w->clear, &child, &folio)) {
		case PT_ENTRY_LEAF:
			ret = walk_huge(mm, w, va, epa, e, folio, s, t);
			if (ret != WALK_SPLIT) {
				if (ret)
					return ret;
				continue;
			}
			/* split: the PTEs of the table it left */
			e = pt_read(pt, epa);
			if (user_entry(mm, depth, epa, e, va, w->clear, &child, &folio) !=
			    PT_ENTRY_TABLE)
				continue;
			break;
		case PT_ENTRY_BAD:
			if (depth == mm->vm->thp.pmd_depth &&
			    (ret = walk_bad_huge(mm, w, va, epa, s, t)))
				return ret;
			break;
		case PT_ENTRY_TABLE:
			break;
		default:
			continue;
		}
		if (!child)
			continue;
		ret = walk_level(mm, child, depth + 1, va, s, end, w);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_range(struct mm_struct *mm, uint64_t start, uint64_t end, const struct pt_walk *w)
{
	if (start >= end)
		return 0;
	return walk_level(mm, mm->pgd, 0, 0, start, end, w);
}

int walk_pte_range(struct mm_struct *mm, uint64_t start, uint64_t end, pte_visit_fn fn, void *arg)
{
	const struct pt_walk w = { .pte = fn, .arg = arg };

	return walk_range(mm, start, end, &w);
}

static int no_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	(void)arg;
	(void)va;
	(void)epa;
	(void)pte;
	return 0;
}

static int walk_ops(struct mm_struct *mm, uint64_t start, uint64_t end,
		    const struct mm_walk_ops *ops, void *arg, bool clear)
{
	const struct pt_walk w = { .pte = ops->pte_entry ? ops->pte_entry : no_pte,
				   .pmd = ops->pmd_entry, .arg = arg, .clear = clear };

	return walk_range(mm, start, end, &w);
}

int walk_page_range(struct mm_struct *mm, uint64_t start, uint64_t end,
		    const struct mm_walk_ops *ops, void *arg)
{
	if (start < end)
		mm_track_dirty(mm);	/* --check: the tables change */
	return walk_ops(mm, start, end, ops, arg, true);
}

int walk_page_range_ro(struct mm_struct *mm, uint64_t start, uint64_t end,
		       const struct mm_walk_ops *ops, void *arg)
{
	return walk_ops(mm, start, end, ops, arg, false);
}

/* The walks of this file that change the PTEs: @huge handles the huge
 * PMDs met (NULL: split them). */
static int change_pte_range(struct mm_struct *mm, uint64_t start, uint64_t end, pte_visit_fn fn,
			    pmd_visit_fn huge, void *arg)
{
	const struct mm_walk_ops ops = { .pte_entry = fn, .pmd_entry = huge };

	return walk_page_range(mm, start, end, &ops, arg);
}

struct page *vm_normal_page(struct vm_area_struct *vma, uint64_t pte)
{
	struct page *page;

	if (!(pte & _PAGE_PRESENT))
		return NULL;
	page = pte_page(vma->vm_mm->vm, pte);
	return page == vma->vm_mm->vm->zero_page ? NULL : page;
}

/* The PTE of @addr, or 0 when no PTE table maps it (a bad entry on the
 * way, an empty one, or a huge PMD: see mm_pte_lookup()); *@huge, when
 * given, gets the huge PMD's address in that last case. */
static uint64_t mm_pte_walk(struct mm_struct *mm, uint64_t addr, uint64_t *huge)
{
	/* follow_page(): a bad entry on the way means no page */
	struct pt_ctx *pt = mm->vm->pt;
	const unsigned last = pt->fmt->levels - 1;
	uint64_t table = mm->pgd;

	for (unsigned d = 0; d < last; d++) {
		uint64_t epa = pt_offset(pt, table, d, addr), e = pt_read(pt, epa);

		if (d == mm->vm->thp.pmd_depth && pmd_trans_huge(e) && huge_pmd_folio(mm, epa, e)) {
			if (huge)
				*huge = epa;
			return 0;
		}
		if (pt_entry_kind(pt, d, epa, e, false) != PT_ENTRY_TABLE)
			return 0;
		table = pt_entry_addr(pt, d, e);
	}
	return pt_offset(pt, table, last, addr);
}

uint64_t mm_pte_epa(struct mm_struct *mm, uint64_t addr)
{
	return mm_pte_walk(mm, addr, NULL);
}

uint64_t mm_pte_lookup(struct mm_struct *mm, uint64_t addr)
{
	uint64_t huge = 0, epa = mm_pte_walk(mm, addr, &huge);

	if (huge) {
		/* a huge PMD: the PTE that would map the page */
		const uint64_t e = pt_read(mm->vm->pt, huge);

		return huge_pmd_pte(mm, e, huge_pmd_folio(mm, huge, e),
				    addr & (HPAGE_PMD_SIZE(mm->vm) - 1));
	}
	return epa ? pt_read(mm->vm->pt, epa) : 0;
}

uint64_t mm_user_table(struct mm_struct *mm, unsigned depth, uint64_t epa, uint64_t va)
{
	const uint64_t span = pt_entry_span(mm->vm->pt->fmt, depth);
	uint64_t table;
	struct page *folio;

	/* a huge PMD has no table below it: PT_ENTRY_LEAF, table 0 */
	user_entry(mm, depth, epa, pt_read(mm->vm->pt, epa), va & ~(span - 1), true, &table,
		   &folio);
	return table;
}

/* The fault path's pud_alloc() and pmd_alloc(): the PMD entry of @addr in
 * *@pmd, the tables above it made where missing; a bad entry on the way
 * (the PMD included) is cleared first, what hung from it reclaimed, so
 * that the part is built anew.  -ENOMEM. */
static int fault_pmd_alloc(struct mm_struct *mm, uint64_t addr, uint64_t *pmd)
{
	struct pt_ctx *pt = mm->vm->pt;
	const unsigned pmd_depth = mm->vm->thp.pmd_depth;
	uint64_t table = mm->pgd;

	for (unsigned d = 0;; d++) {
		uint64_t epa = pt_offset(pt, table, d, addr), e = pt_read(pt, epa), next;
		struct page *folio;
		enum pt_entry_kind k;

		k = user_entry(mm, d, epa, e, addr & ~(pt_entry_span(pt->fmt, d) - 1), true, &next,
			       &folio);
		if (d == pmd_depth) {
			*pmd = epa;
			return 0;
		}
		if (k != PT_ENTRY_TABLE) {
			if (pt_alloc_table(pt, GFP_PGTABLE_USER, &next))
				return -ENOMEM;
			pt_set_table(pt, epa, next, _PAGE_TABLE);
		}
		table = next;
	}
}

/* pte_alloc() below the PMD at @pmd (no huge page): the PTE of @addr in
 * *@epa, a table made when the PMD is empty.  -ENOMEM, or -EEXIST for a
 * huge PMD. */
static int fault_pte_alloc(struct mm_struct *mm, uint64_t pmd, uint64_t addr, uint64_t *epa)
{
	struct pt_ctx *pt = mm->vm->pt;
	const unsigned pmd_depth = mm->vm->thp.pmd_depth;
	uint64_t e = pt_read(pt, pmd), table;
	struct page *folio;

	switch (user_entry(mm, pmd_depth, pmd, e, addr & HPAGE_PMD_MASK(mm->vm), true, &table,
			   &folio)) {
	case PT_ENTRY_TABLE:
		break;
	case PT_ENTRY_LEAF:
		return -EEXIST;
	default:
		if (pt_alloc_table(pt, GFP_PGTABLE_USER, &table))
			return -ENOMEM;
		pt_set_table(pt, pmd, table, _PAGE_TABLE);
	}
	*epa = pt_offset(pt, table, pmd_depth + 1, addr);
	return 0;
}

/* ---- TLB ---- */

void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	__flush_tlb_mm_range(mm, start, end, PAGE_SHIFT, false);
}

static inline void flush_tlb_page(struct mm_struct *mm, uint64_t addr)
{
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
}

/* ---- zap, protection, page tables ---- */

void zap_nonpresent_pte(struct mm_struct *mm, uint64_t epa, uint64_t pte, uint64_t va)
{
	struct vm_ctx *vm = mm->vm;
	swp_entry_t entry = pte_to_swp_entry(vm->pt->fmt, pte);
	const char *why = NULL;

	pte_clear(vm->pt, epa);
	if (!non_swap_entry(entry) && get_swap_device(vm, entry, &why) &&
	    free_swap_and_cache(vm, entry))
		mm->rss_stat[MM_SWAPENTS]--;
	else
		bad_swap_entry(mm, va, pte, entry, why);
}

/*
 * zap_pte_range()'s state: the VMA, and where the run of PTEs mapping
 * consecutive pages of one huge page would go on (the page and its
 * address; folio_pte_batch() gives such a run, within one PTE table, to
 * one folio_remove_rmap_ptes(), which gives back one lock).
 */
struct zap_details {
	struct vm_area_struct *vma;
	struct page *run;
	uint64_t run_va;
};

/* zap_present_ptes() of one PTE of @mm at @va; @vma: its VMA, or NULL;
 * @zd: the run it may continue, or NULL.  A file page keeps what the PTE
 * says: dirty dirties it, young marks it accessed; an anonymous page its
 * last mapping leaves is dropped from the swap cache
 * (free_pages_and_swap_cache()). */
static void zap_pte(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t va, uint64_t epa,
		    uint64_t pte, struct zap_details *zd)
{
	struct vm_ctx *vm = mm->vm;
	struct page *page;

	if (is_swap_pte(pte)) {
		zap_nonpresent_pte(mm, epa, pte, va);
		return;
	}
	page = pte_page(vm, pte);
	pte_clear(vm->pt, epa);
	if (!page || page == vm->zero_page)
		return;		/* the zero page is never counted */
	if (page->_mapcount < 0 || page_ref_count(compound_head(page)) <= 0) {
		/* zap_present_folio_ptes(): the entry maps a page nobody maps
		 * (or a free one): reported, and the page left alone; a page of
		 * a huge page has its references in the head */
		print_bad_pte(mm, vma, va, pte, page);
		return;
	}
	if (vma && !PageAnon(page)) {
		/* a page cache or shmem page: a dirty PTE dirties it, a
		 * young one marks it accessed */
		if (pte & _PAGE_DIRTY)
			folio_mark_dirty(vm, page);
		if ((pte & _PAGE_ACCESSED) && vma_has_recency(vma))
			folio_mark_accessed(vm, page);
	}
	if (vma && !(zd && zd->run == page && zd->run_va == va))
		munlock_vma_page(page, vma);	/* folio_remove_rmap_ptes() */
	if (zd) {
		struct page *head = compound_head(page);
		const bool more = PageCompound(page) &&
				  (unsigned long)(page + 1 - head) < 1UL << compound_order(head) &&
				  ((va + PAGE_SIZE) & (HPAGE_PMD_SIZE(vm) - 1));

		zd->run = more ? page + 1 : NULL;
		zd->run_va = va + PAGE_SIZE;
	}
	mm->rss_stat[mm_counter(page)]--;
	folio_remove_rmap_pte(vm->pm, page);
	if (PageAnon(page))
		free_swap_cache(vm, page);	/* the PTE's reference keeps it meanwhile */
	put_page(vm->pm, page);
}

static int zap_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct zap_details *zd = arg;

	zap_pte(zd->vma->vm_mm, zd->vma, va, epa, pte, zd);
	return 0;
}

/* A changing walk's huge PMD at @epa, of which the range covers [addr,
 * next): true when that is all of it, else it is split, for the walk to
 * go on into its PTEs (WALK_SPLIT). */
static bool huge_pmd_whole(struct vm_area_struct *vma, uint64_t addr, uint64_t next, uint64_t epa)
{
	if (next - addr == HPAGE_PMD_SIZE(vma->vm_mm->vm))
		return true;
	__split_huge_pmd(vma, epa, addr);
	return false;
}

/* zap_pmd_range()'s huge PMD: unmapped whole when the range covers it,
 * else split and unmapped page by page. */
static int zap_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		    struct page *folio)
{
	struct vm_area_struct *vma = ((struct zap_details *)arg)->vma;

	(void)pmd;
	(void)folio;
	if (!huge_pmd_whole(vma, addr, next, epa))
		return WALK_SPLIT;
	zap_huge_pmd(vma->vm_mm, vma, epa, addr);
	return 0;
}

/* A PTE below a cleared bad entry: unmapped in whichever VMA it lies. */
static int zap_lost(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct mm_struct *mm = arg;
	struct vm_area_struct *vma = find_vma(mm, va);

	zap_pte(mm, vma && vma->vm_start <= va ? vma : NULL, va, epa, pte, NULL);
	return 0;
}

/* A huge PMD below a cleared bad entry: the whole table goes, so all of it. */
static int zap_lost_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
			 struct page *folio)
{
	struct mm_struct *mm = arg;
	struct vm_area_struct *vma = find_vma(mm, addr);

	(void)next;
	(void)pmd;
	(void)folio;
	zap_huge_pmd(mm, vma && vma->vm_start <= addr ? vma : NULL, epa,
		     addr & HPAGE_PMD_MASK(mm->vm));
	return 0;
}

/* The table that hung from the bad entry at @epa (now clear), covering
 * @va: its pages unmapped, its tables freed. */
static void reclaim_bad(struct mm_struct *mm, unsigned depth, uint64_t epa, uint64_t e,
			uint64_t va)
{
	struct pt_ctx *pt = mm->vm->pt;
	const uint64_t span = pt_entry_span(pt->fmt, depth);
	const uint64_t end = va + span - 1 > mm->task_size ? mm->task_size : va + span;
	const struct pt_walk w = { .pte = zap_lost, .pmd = zap_lost_huge, .arg = mm, .clear = true };
	uint64_t table = pt_owned_table(pt, depth, epa, e);

	/* a PMD that mapped a huge page: that page and its deposited table */
	if (depth == mm->vm->thp.pmd_depth && zap_bad_huge_pmd(mm, epa, va))
		flush_tlb_mm_range(mm, va, end);
	if (!table)
		return;
	if (depth + 1 < pt->fmt->levels)
		walk_level(mm, table, depth + 1, va, va, va + span - 1, &w);
	pt_free_table_tree(pt, table, depth + 1);
	flush_tlb_mm_range(mm, va, end);
}

void zap_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	/* the pages still in this CPU's LRU batches go onto their lists
	 * first, so that their last reference can free them here */
	struct zap_details zd = { .vma = vma };

	lru_add_drain(vma->vm_mm->vm);
	change_pte_range(vma->vm_mm, start, end, zap_one, zap_huge, &zd);
}

/* should_zap_folio() without even_cows: a private mapping keeps the
 * anonymous copies it made of the object's pages. */
static int zap_mapping_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct zap_details *zd = arg;
	struct page *page = pte_page(zd->vma->vm_mm->vm, pte);

	if (page && PageAnon(page))
		return 0;
	return zap_one(arg, va, epa, pte);
}

void zap_mapping_range(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct zap_details zd = { .vma = vma };

	/* (THP maps only private anonymous memory: no huge PMD here) */
	change_pte_range(vma->vm_mm, start, end, zap_mapping_one, NULL, &zd);
}

/*
 * free_pgd_range() for the unmapped [addr, end): walk only that range and
 * free each table whose whole span lies in the hole [floor, ceiling) that
 * no VMA touches (so every entry in it is already clear), deepest first.
 */
static unsigned free_range(struct mm_struct *mm, uint64_t table, unsigned depth, uint64_t addr,
			   uint64_t end, uint64_t floor, uint64_t ceiling)
{
	struct pt_ctx *pt = mm->vm->pt;
	const struct pt_format *f = pt->fmt;
	const unsigned leaf = f->levels - 1;
	unsigned freed = 0;
	uint64_t span;

	if (depth >= PT_MAX_LEVELS)
		return 0;
	span = 1ULL << f->lvl[depth].shift;
	for (uint64_t a = addr; a < end;) {
		uint64_t es = a & ~(span - 1), next = es + span;
		uint64_t epa = pt_offset(pt, table, depth, a), e = pt_read(pt, epa);
		uint64_t child;
		struct page *folio;

		if (next > end || next < es)
			next = end;
		/* (a huge PMD is no table: only an unmapped range comes here) */
		user_entry(mm, depth, epa, e, es, true, &child, &folio);
		if (child) {
			if (depth + 1 < leaf)
				freed += free_range(mm, child, depth + 1, a, next, floor, ceiling);
			if (es >= floor && es + span <= ceiling && es + span > es) {
				pte_clear(pt, epa);
				pt_free_table(pt, child);
				freed++;
			}
		}
		a = next;
	}
	return freed;
}

/* The top of the user half (USER_PGTABLES_CEILING 0: no limit): 2^47, or
 * 2^56 under 5-level paging; a 32-bit kernel's TASK_SIZE. */
static uint64_t user_half_top(const struct mm_struct *mm)
{
	return config_is_64(mm->vm->cfg) ? 1ULL << (mm->vm->pt->fmt->va_bits - 1) : mm->task_size;
}

void free_pgtables(struct mm_struct *mm, uint64_t floor, uint64_t ceiling)
{
	/* no VMA above: the hole reaches the top of the user half */
	const uint64_t top = user_half_top(mm);

	mm_track_dirty(mm);
	if (ceiling >= mm->task_size)
		ceiling = top;
	if (ceiling > floor)
		free_range(mm, mm->pgd, 0, floor, ceiling, floor, ceiling);
}

/* free_pgtables() for the range [start, end) just unmapped, the hole
 * around it being [floor, ceiling). */
bool free_pgtables_range(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t floor,
			 uint64_t ceiling)
{
	const uint64_t top = user_half_top(mm);

	mm_track_dirty(mm);
	if (ceiling >= mm->task_size)
		ceiling = top;
	return end > start && free_range(mm, mm->pgd, 0, start, end, floor, ceiling) > 0;
}

struct prot_walk {
	struct vm_area_struct *vma;
};

static int change_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct vm_area_struct *vma = ((struct prot_walk *)arg)->vma;
	struct vm_ctx *vm = vma->vm_mm->vm;
	const uint64_t keep = PTE_PFN_MASK(vm->pt) | _PAGE_DIRTY;
	uint64_t prot = vma->vm_page_prot, ent;
	struct page *page;

	if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)))
		return 0;	/* a swap entry keeps its place on swap */
	page = pte_page(vm, pte);
	ent = (pte & keep) | prot;
	/* can_change_pte_writable(): a private page nobody else maps goes
	 * straight to writable instead of taking a COW fault that would
	 * only reuse it */
	if ((prot & _PAGE_PRESENT) && (vma->vm_flags & VM_WRITE) && !(ent & _PAGE_RW) && page &&
	    page != vm->zero_page &&
	    ((vma->vm_flags & VM_SHARED) ? (pte & _PAGE_DIRTY) != 0 :
	     PageAnon(page) && PageAnonExclusive(page)))
		ent |= _PAGE_RW;	/* a shared page already dirty needs no notify */
	set_pte(vm->pt, epa, ent);
	(void)va;
	return 0;
}

/* change_pmd_range()'s huge PMD: changed whole when the range covers
 * it, else split and changed page by page. */
static int change_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		       struct page *folio)
{
	struct vm_area_struct *vma = ((struct prot_walk *)arg)->vma;

	(void)pmd;
	(void)folio;
	if (!huge_pmd_whole(vma, addr, next, epa))
		return WALK_SPLIT;
	change_huge_pmd(vma, epa, addr);
	return 0;
}

void change_protection(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct prot_walk w = { vma };

	change_pte_range(vma->vm_mm, start, end, change_one, change_huge, &w);
}

struct page *alloc_user_page(struct mm_struct *mm, gfp_t gfp, gfp_t charge_gfp)
{
	struct vm_ctx *vm = mm->vm;
	struct page *page = alloc_page(vm->pm, gfp);

	if (page && mem_cgroup_charge(vm, page, mm, charge_gfp)) {
		put_page(vm->pm, page);
		return NULL;
	}
	return page;
}
/* ---- faults ---- */

static unsigned do_shared_fault(struct vm_area_struct *vma, uint64_t addr, uint64_t epa,
				unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t idx = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	struct shmem_object *obj = vma->shm;
	struct page *page;
	unsigned ret = 0;
	uint64_t ent;

	if (idx >= obj->nr_pages)
		return VM_FAULT_SIGBUS;	/* shmem_fault(): beyond the object */
	if (shmem_is_swap(obj->pages[idx])) {
		bool major = false;

		if (shmem_swapin(vm, obj, idx, &major))
			return VM_FAULT_OOM;
		if (!pt_entry_none(pt_read(vm->pt, epa)))
			return major ? VM_FAULT_MAJOR : 0;	/* filled meanwhile */
		ret = major ? VM_FAULT_MAJOR : 0;
	}
	page = obj->pages[idx];
	if (shmem_is_swap(page))
		return ret;	/* swapped out again while being read: fault again */
	if (!page) {
		/* shmem_get_folio(): a zeroed page that the object keeps,
		 * aging on the anon lists (swap-backed), charged to the
		 * faulting mm's cgroup */
		page = alloc_user_page(mm, GFP_HIGHUSER_MOVABLE | __GFP_ZERO, GFP_HIGHUSER_MOVABLE);
		if (!page)
			return VM_FAULT_OOM;
		if (obj->pages[idx] || !pt_entry_none(pt_read(vm->pt, epa))) {
			/* filled while the allocation reclaimed: retry */
			put_page(vm->pm, page);
			return 0;
		}
		set_page_flag(page, PG_swapbacked);
		set_page_flag(page, PG_uptodate);
		page->mapping = obj;
		page->index = idx;
		obj->pages[idx] = page;
		/* shmem_add_to_page_cache() */
		lruvec_stat_mod_folio(vm->pm, page, NR_FILE_PAGES, 1);
		lruvec_stat_mod_folio(vm->pm, page, NR_SHMEM, 1);
		folio_add_lru(vm, page);
	}
	get_page(page);
	folio_add_file_rmap_pte(vm->pm, page);
	mlock_vma_page(page, vma);
	mm->rss_stat[MM_SHMEMPAGES]++;
	ent = (page_to_phys(vm->pm, page)) | vma->vm_page_prot;
	if (flags & FAULT_FLAG_WRITE)
		ent |= _PAGE_DIRTY;
	set_pte(vm->pt, epa, ent);
	return ret;
}

/*
 * shmem_writepage(): a shmem page reclaim wants to write (unmapped by
 * then, clean of its PTEs' dirty bits): a swap slot, the swap cache in
 * place of the object (the object's slot now holds the swap entry,
 * SWAP_MAP_SHMEM), and the write.  Without a free slot the page stays,
 * dirty, and is activated (AOP_WRITEPAGE_ACTIVATE), as the kernel's
 * redirty path answers.
 */
int shmem_writepage(struct vm_ctx *vm, struct page *page)
{
	struct shmem_object *obj = page->mapping;
	unsigned long idx = page->index;
	swp_entry_t entry;

	if (page_mapcount(page) > 0 || vm->pm->total_swap_pages <= 0)
		goto redirty;
	entry = folio_alloc_swap(vm, page);
	if (!entry.val)
		goto redirty;
	if (add_to_swap_cache(vm, page, entry, NULL)) {
		put_swap_folio(vm, entry);
		goto redirty;
	}
	swap_shmem_alloc(vm, entry);
	/* shmem_delete_from_page_cache(): the object keeps the entry */
	obj->pages[idx] = shmem_swap_slot(entry.val);
	page->mapping = NULL;
	lruvec_stat_mod_folio(vm->pm, page, NR_FILE_PAGES, -1);
	lruvec_stat_mod_folio(vm->pm, page, NR_SHMEM, -1);
	put_page(vm->pm, page);		/* the object's */
	MM_EV_M(vm, "shmem_writepage", "pfn=%#lx ino=%lu index=%#lx type=%u offset=%#llx",
		page_to_pfn(vm->pm, page), obj->ino, idx, swp_type(entry),
		(unsigned long long)swp_offset(entry));
	return swap_writepage(vm, page);
redirty:
	set_page_flag(page, PG_dirty);
	return AOP_WRITEPAGE_ACTIVATE;
}

int shmem_swapin(struct vm_ctx *vm, struct shmem_object *obj, unsigned long idx,
		 bool *major)
{
	struct page *slot = obj->pages[idx], *page;
	swp_entry_t entry = { shmem_swap_val(slot) };

	page = swap_cache_get_folio(vm, entry, NULL, 0);
	if (page) {
		get_page(page);
	} else {
		/* shmem_swapin_cluster() reads around the slot; one page here */
		page = read_swap_cache_async(vm, entry);
		if (!page)
			return -ENOMEM;
		*major = true;
		count_vm_event(vm->pm, PGMAJFAULT);
	}
	if (obj->pages[idx] != slot || !PageSwapCache(page) || page->private != entry.val ||
	    !test_page_flag(page, PG_uptodate)) {
		put_page(vm->pm, page);		/* changed meanwhile, or unreadable */
		return obj->pages[idx] != slot ? 0 : -ENOMEM;
	}
	/* shmem_add_to_page_cache() in the entry's place, then out of the
	 * swap cache and the object's use of the slot dropped; the copy is
	 * gone, so the page is dirty */
	delete_from_swap_cache(vm, page);
	swap_free(vm, entry);
	page->mapping = obj;
	page->index = idx;
	obj->pages[idx] = page;		/* our reference becomes the object's */
	lruvec_stat_mod_folio(vm->pm, page, NR_FILE_PAGES, 1);
	lruvec_stat_mod_folio(vm->pm, page, NR_SHMEM, 1);
	set_page_flag(page, PG_dirty);
	return 0;
}

void shmem_remove_page(struct vm_ctx *vm, struct shmem_object *obj, unsigned long idx)
{
	struct page *page = obj->pages[idx];

	if (shmem_is_swap(page)) {
		/* shmem_free_swap(): the slot goes with the object's use */
		obj->pages[idx] = NULL;
		free_swap_and_cache(vm, (swp_entry_t){ shmem_swap_val(page) });
		return;
	}
	obj->pages[idx] = NULL;
	page->mapping = NULL;
	filemap_unaccount_folio(vm->pm, page);
	put_page(vm->pm, page);
}

/* One object's entries of area @type back in memory. */
static int shmem_unuse_object(struct vm_ctx *vm, struct shmem_object *obj, unsigned type)
{
	for (unsigned long i = 0; i < obj->nr_pages; i++) {
		bool major = false;
		int ret;

		if (!shmem_is_swap(obj->pages[i]) ||
		    swp_type((swp_entry_t){ shmem_swap_val(obj->pages[i]) }) != type)
			continue;
		if ((ret = shmem_swapin(vm, obj, i, &major)))
			return ret;
	}
	return 0;
}

int shmem_unuse(struct vm_ctx *vm, unsigned type)
{
	struct mm_struct *mm;

	/* every object through the VMAs that map it (the first of its
	 * i_mmap, so each once) */
	list_for_each_entry(mm, &vm->mm_list, mm_list) {
		struct vm_area_struct *vma;

		for_each_vma(mm, vma) {
			int ret;

			if (!vma->shm ||
			    list_first_entry(&vma->shm->i_mmap, struct vm_area_struct, shared) != vma)
				continue;
			if ((ret = shmem_unuse_object(vm, vma->shm, type)))
				return ret;
		}
	}
	return 0;
}

static unsigned do_anonymous_page(struct vm_area_struct *vma, uint64_t addr, uint64_t epa,
				  unsigned flags, struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct page *page;
	uint64_t ent;

	if (vma->shm)
		return do_shared_fault(vma, addr, epa, flags);
	if (!(flags & FAULT_FLAG_WRITE)) {
		/* Use the zero-page for reads: no frame, no rss, read-only */
		ent = page_to_phys(vm->pm, vm->zero_page) | (vma->vm_page_prot & ~_PAGE_RW);
		set_pte(vm->pt, epa, ent);
		if (st)
			st->zero_page++;
		MM_EV(mm, "fault", "addr=%#llx kind=zero_page", (unsigned long long)addr);
		return 0;
	}
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	page = alloc_user_page(mm, GFP_HIGHUSER_MOVABLE | __GFP_ZERO, GFP_KERNEL);
	if (!page)
		return VM_FAULT_OOM;
	if (!pt_entry_none(pt_read(vm->pt, epa))) {
		/* vmf_pte_changed(): filled while the allocation reclaimed */
		put_page(vm->pm, page);
		return 0;
	}
	page_add_new_anon_rmap(page, vma, addr);
	folio_add_lru_vma(vm, page, vma);	/* mlock_new_folio() in a VM_LOCKED VMA */
	mm->rss_stat[MM_ANONPAGES]++;
	ent = page_to_phys(vm->pm, page) | vma->vm_page_prot;
	if (vma->vm_flags & VM_WRITE)
		ent |= _PAGE_RW | _PAGE_DIRTY;
	set_pte(vm->pt, epa, ent);
	if (st)
		st->demand_zero++;
	MM_EV(mm, "fault", "addr=%#llx kind=demand_zero pfn=%#lx", (unsigned long long)addr,
	      page_to_pfn(vm->pm, page));
	return 0;
}

/*
 * wp_can_reuse_anon_folio(): may a write fault reuse @page in place?  Only
 * when this PTE holds its only reference: the LRU batches' references are
 * drained first, and a swap-cache copy nobody else needs is dropped.  A
 * page of a huge page never is (only PageAnonExclusive reuses it).
 */
static bool wp_can_reuse_anon_folio(struct vm_ctx *vm, struct page *page)
{
	/* a page of a huge page: its folio's references are not this PTE's
	 * alone (the kernel's folio_test_large() case) */
	if (PageCompound(page))
		return false;
	if (page_ref_count(page) > 3)
		return false;
	if (!PageLRU(page))
		lru_add_drain(vm);
	if (page_ref_count(page) > 1 + PageSwapCache(page))
		return false;
	if (PageSwapCache(page))
		folio_free_swap(vm, page);
	return page_ref_count(page) == 1;
}

/*
 * A write to a present read-only page of a writable VMA (do_wp_page):
 * shared mappings just become writable; a private anonymous page is
 * reused when this PTE is its exclusive owner (PG_anon_exclusive, or
 * wp_can_reuse_anon_folio()), and copied otherwise (the zero page and
 * file pages always are).
 */
static unsigned do_wp_page(struct vm_area_struct *vma, uint64_t addr, uint64_t epa,
			   uint64_t pte, struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct page *old = pte_page(vm, pte), *page;
	uint64_t ent;

	if (old == vm->zero_page)
		old = NULL;	/* vm_normal_page(): not a page of its own */
	if ((vma->vm_flags & VM_SHARED) ||
	    (old && PageAnon(old) &&
	     (PageAnonExclusive(old) || wp_can_reuse_anon_folio(vm, old)))) {
		/* wp_page_reuse(); for a file, wp_page_shared -> page_mkwrite */
		if (old && vma->vm_file && (vma->vm_flags & VM_SHARED))
			filemap_page_mkwrite(vma, old);
		/* wp_can_reuse_anon_folio(): a page only this PTE maps moves to
		 * the VMA's own anon_vma (folio_move_anon_rmap) and is exclusive;
		 * a page of a huge page is reused only as PageAnonExclusive,
		 * which keeps the folio where it is */
		if (!(vma->vm_flags & VM_SHARED) && vma->anon_vma && PageAnon(old) &&
		    !PageCompound(old)) {
			page_move_anon_rmap(old, vma);
			set_page_flag(old, PG_anon_exclusive);
		}
		set_pte(vm->pt, epa, pte | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED);
		flush_tlb_page(mm, addr);
		count_vm_event(vm->pm, PGREUSE);
		if (st && !(vma->vm_flags & VM_SHARED))
			st->cow_reuse++;
		MM_EV(mm, "fault", "addr=%#llx kind=%s", (unsigned long long)addr,
		      vma->vm_flags & VM_SHARED ? "write_shared" : "cow_reuse");
		return 0;
	}
	/* wp_page_copy(): the old page stays referenced while the new one
	 * is allocated, which may reclaim (and unmap the old one) */
	if (old)
		get_page(old);
	if (anon_vma_prepare(vma)) {
		if (old)
			put_page(vm->pm, old);
		return VM_FAULT_OOM;
	}
	page = alloc_user_page(mm, GFP_HIGHUSER_MOVABLE | (old ? 0 : __GFP_ZERO), GFP_KERNEL);
	if (!page) {
		if (old)
			put_page(vm->pm, old);
		return VM_FAULT_OOM;
	}
	if (old && vm->cfg->contents)	/* else the bytes are not kept */
		memcpy(page_host(vm->pm, page), page_host(vm->pm, old), PAGE_SIZE);
	if (pt_read(vm->pt, epa) != pte) {
		/* the PTE changed meanwhile: let the access fault again */
		put_page(vm->pm, page);
		if (old)
			put_page(vm->pm, old);
		return 0;
	}
	page_add_new_anon_rmap(page, vma, addr);
	folio_add_lru_vma(vm, page, vma);	/* mlock_new_folio() in a VM_LOCKED VMA */
	mm->rss_stat[MM_ANONPAGES]++;
	ent = page_to_phys(vm->pm, page) | vma->vm_page_prot | _PAGE_RW | _PAGE_DIRTY;
	set_pte(vm->pt, epa, ent);
	flush_tlb_page(mm, addr);
	if (old) {
		mm->rss_stat[mm_counter(old)]--;
		folio_remove_rmap_pte(vm->pm, old);
		munlock_vma_page(old, vma);
		put_page(vm->pm, old);		/* the PTE's reference */
		free_swap_cache(vm, old);
		put_page(vm->pm, old);		/* ours */
	}
	if (st)
		st->cow++;
	MM_EV(mm, "fault", "addr=%#llx kind=cow pfn=%#lx", (unsigned long long)addr,
	      page_to_pfn(vm->pm, page));
	return 0;
}

/* should_try_to_free_swap(): drop the swap copy of a page just swapped
 * in when swap is filling up, the VMA is mlocked, or a write is about to
 * make the copy stale anyway and this fault holds the only other use. */
static bool should_try_to_free_swap(struct vm_ctx *vm, struct page *page,
				    struct vm_area_struct *vma, unsigned flags)
{
	if (!PageSwapCache(page))
		return false;
	if (mem_cgroup_swap_full(vm, page) || (vma->vm_flags & VM_LOCKED) || PageMlocked(page))
		return true;
	return (flags & FAULT_FLAG_WRITE) && page_ref_count(page) == 2;
}

/*
 * do_swap_page(): a swap entry in the PTE.  The page comes from the swap
 * cache, or is read with its readahead window (a major fault); the PTE
 * maps it again -- writable at once when the entry said it was exclusive
 * -- and the entry's use goes, its slot with it when the cached copy is
 * no longer worth keeping.  A write then takes the COW path.
 */
static unsigned do_swap_page(struct vm_area_struct *vma, uint64_t addr, uint64_t epa,
			     uint64_t orig_pte, unsigned flags, struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	swp_entry_t entry = pte_to_swp_entry(vm->pt->fmt, orig_pte);
	const char *why = NULL;
	bool exclusive, major = false;
	struct page *page;
	unsigned ret = 0;
	uint64_t pte;

	if (non_swap_entry(entry)) {
		bad_swap_entry(mm, addr, orig_pte, entry, "Bad swap file entry");
		return VM_FAULT_SIGBUS;
	}
	if (!get_swap_device(vm, entry, &why)) {
		bad_swap_entry(mm, addr, orig_pte, entry, why);
		return 0;	/* the access faults again */
	}
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	page = swap_cache_get_folio(vm, entry, vma, addr);
	if (page) {
		get_page(page);
	} else {
		page = swapin_readahead(vm, entry, vma, addr, &major);
		if (!page)
			return pt_read(vm->pt, epa) == orig_pte ? VM_FAULT_OOM : 0;
		/* had to read it from the swap area */
		ret = VM_FAULT_MAJOR;
		count_vm_event(vm->pm, PGMAJFAULT);
		count_memcg_event_mm(vm, mm, PGMAJFAULT);
	}
	set_page_flag(page, PG_locked);
	/* still the cached copy of this entry, and the entry still there? */
	if (!PageSwapCache(page) || page->private != entry.val ||
	    pt_read(vm->pt, epa) != orig_pte)
		goto out_page;
	if (!test_page_flag(page, PG_uptodate)) {
		ret = VM_FAULT_SIGBUS;
		goto out_page;
	}
	/* a write needs the LRU batches' references gone to see the
	 * page's own count */
	if ((flags & FAULT_FLAG_WRITE) && !PageLRU(page))
		lru_add_drain(vm);
	exclusive = pt_pte_swp_exclusive(vm->pt->fmt, orig_pte);
	swap_free(vm, entry);
	if (should_try_to_free_swap(vm, page, vma, flags))
		folio_free_swap(vm, page);
	mm->rss_stat[MM_ANONPAGES]++;
	mm->rss_stat[MM_SWAPENTS]--;
	pte = page_to_phys(vm->pm, page) | vma->vm_page_prot;
	if (exclusive || page_ref_count(page) == 1) {
		if (vma->vm_flags & VM_WRITE) {
			pte |= _PAGE_RW;
			if (flags & FAULT_FLAG_WRITE) {
				pte |= _PAGE_DIRTY;
				flags &= ~FAULT_FLAG_WRITE;
			}
		}
		exclusive = true;
	}
	/* the lookup's reference is the PTE's from now on */
	page_add_anon_rmap(page, vma, addr, exclusive);
	set_pte(vm->pt, epa, pte);
	clear_page_flag(page, PG_locked);
	MM_EV(mm, "swap_in", "addr=%#llx pfn=%#lx swap=%u:%#llx%s", (unsigned long long)addr,
	      page_to_pfn(vm->pm, page), swp_type(entry), (unsigned long long)swp_offset(entry),
	      major ? " major" : "");
	if (flags & FAULT_FLAG_WRITE) {
		unsigned wp = do_wp_page(vma, addr, epa, pte, st);

		if (wp & VM_FAULT_ERROR)
			return wp & VM_FAULT_ERROR;
	}
	return ret;
out_page:
	clear_page_flag(page, PG_locked);
	put_page(vm->pm, page);
	return ret;
}

static unsigned __handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags,
				  struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t epa, pte, pmd, orig;
	unsigned ret;

	addr &= PAGE_MASK;
	count_vm_event(vm->pm, PGFAULT);
	mm_track_dirty(mm);
	/* folio_add_new_anon_rmap()'s VM_BUG_ON_VMA, before anything is made */
	if (VM_BUG_ON_VMA(addr < vma->vm_start || addr >= vma->vm_end, vma, mm))
		return VM_FAULT_SIGSEGV;
	/* __handle_mm_fault(): the PMD first -- an empty one may take a
	 * huge page, a huge one is handled at its level or split */
	if (fault_pmd_alloc(mm, addr, &pmd))
		return VM_FAULT_OOM;
	orig = pt_read(vm->pt, pmd);
	if (pt_entry_none(orig)) {
		if (thp_vma_allowable_order(vma, vma->vm_flags, TVA_IN_PF | TVA_ENFORCE_SYSFS)) {
			ret = do_huge_pmd_anonymous_page(vma, addr, pmd, flags, st);
			if (!(ret & VM_FAULT_FALLBACK)) {
				if (!ret)
					update_hiwater_rss(mm);
				return ret;
			}
		}
	} else if (pmd_trans_huge(orig) && huge_pmd_folio(mm, pmd, orig)) {
		if (!(orig & _PAGE_PRESENT) && (orig & _PAGE_PROTNONE))
			return do_huge_pmd_numa_page(vma, addr, pmd, orig);
		if (!(flags & FAULT_FLAG_WRITE) || (orig & _PAGE_RW)) {
			huge_pmd_set_accessed(vma, addr, pmd, orig, flags);
			return 0;
		}
		ret = do_huge_pmd_wp_page(vma, addr, pmd, orig, st);
		if (!(ret & VM_FAULT_FALLBACK)) {
			if (!ret)
				update_hiwater_rss(mm);
			return ret;
		}
		/* split: the PTE path copies the page */
	}
	if (fault_pte_alloc(mm, pmd, addr, &epa))
		return VM_FAULT_OOM;
	pte = pt_read(vm->pt, epa);
	if (is_swap_pte(pte)) {
		ret = do_swap_page(vma, addr, epa, pte, flags, st);
		if (!(ret & VM_FAULT_ERROR))
			update_hiwater_rss(mm);
		return ret;
	}
	if (!(pte & _PAGE_PRESENT)) {
		if (pte & _PAGE_PROTNONE) {
			/* the VMA allows the access now (mprotect keeps PTEs
			 * in step, so only a hand-edited PTE gets here):
			 * re-derive it from the VMA */
			set_pte(vm->pt, epa, (pte & (PTE_PFN_MASK(vm->pt) | _PAGE_DIRTY)) |
					      (vma->vm_page_prot & ~(uint64_t)_PAGE_RW));
			return 0;
		}
		if (vma->vm_file) {
			/* do_fault(): through the page cache */
			struct vm_fault vmf = {
				.vma = vma, .address = addr, .flags = flags, .epa = epa, .st = st,
				.pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT),
			};
			return do_fault(&vmf);
		}
		ret = do_anonymous_page(vma, addr, epa, flags, st);
		if (!(ret & VM_FAULT_ERROR))
			update_hiwater_rss(mm);
		return ret;
	}
	if ((flags & FAULT_FLAG_WRITE) && !(pte & _PAGE_RW)) {
		ret = do_wp_page(vma, addr, epa, pte, st);
		if (!(ret & VM_FAULT_ERROR))
			update_hiwater_rss(mm);
		return ret;
	}
	/* spurious: the PTE already allows it, a stale TLB entry did not */
	flush_tlb_page(mm, addr);
	return 0;
}

unsigned handle_mm_fault(struct vm_area_struct *vma, uint64_t addr, unsigned flags,
			 struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned ret = __handle_mm_fault(vma, addr, flags, st);

	/* mm_account_fault(): PGFAULT counts failed faults too */
	count_vm_event(mm->vm->pm, PGFAULT);
	count_memcg_event_mm(mm->vm, mm, PGFAULT);
	return ret;
}

int populate_vma_page_range(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			    struct fault_stats *st)
{
	/* FOLL_WRITE for private writable memory, to break COW now */
	const bool write = (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
	struct mm_struct *mm = vma->vm_mm;

	if (VM_BUG_ON_VMA(start < vma->vm_start, vma, mm) ||
	    VM_BUG_ON_VMA(end > vma->vm_end, vma, mm))
		return -EFAULT;
	/* the VM_LOCKONFAULT case has never faulted pages in, nor PROT_NONE */
	if (vma->vm_flags & VM_LOCKONFAULT)
		return 0;
	if (!(vma->vm_flags & VM_ACCESS_FLAGS))
		return -EFAULT;
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		/* __get_user_pages(): fault until the page is there (a
		 * fault that backed out is retried) */
		for (int tries = 0;; tries++) {
			uint64_t pte = mm_pte_lookup(mm, a);
			unsigned ret;

			if ((pte & _PAGE_PRESENT) && (!write || (pte & _PAGE_RW)))
				break;
			if (tries == 4)
				return -EFAULT;	/* a PTE no fault mends */
			ret = handle_mm_fault(vma, a, write ? FAULT_FLAG_WRITE : 0, st);
			if (ret & VM_FAULT_ERROR)
				return ret & VM_FAULT_OOM ? -ENOMEM : -EFAULT;
			/* GUP faults count for the task (mm_account_fault) */
			if (st && (ret & VM_FAULT_MAJOR))
				st->maj_flt++;
			else if (st)
				st->min_flt++;
		}
	}
	return 0;
}

/* ---- fork and exit ---- */

struct copy_walk {
	struct vm_area_struct *dst, *src;
	int err;
};

static int copy_one(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct copy_walk *w = arg;
	struct mm_struct *dst_mm = w->dst->vm_mm;
	struct vm_ctx *vm = dst_mm->vm;
	struct page *page;
	uint64_t depa;

	if (pte_alloc(vm->pt, dst_mm->pgd, va, &depa)) {
		w->err = -ENOMEM;
		return 1;
	}
	/* the table's allocation may have reclaimed: read the entry again */
	pte = pt_read(vm->pt, epa);
	if (pt_entry_none(pte))
		return 0;
	if (is_swap_pte(pte)) {
		/* copy_nonpresent_pte(): both hold the entry, shared now */
		swp_entry_t entry = pte_to_swp_entry(vm->pt->fmt, pte);
		int err = non_swap_entry(entry) ? -ENOENT : swap_duplicate(vm, entry);

		if (err == -ENOMEM) {
			w->err = err;
			return 1;
		}
		if (err) {
			bad_swap_entry(w->src->vm_mm, va, pte, entry, NULL);
		} else {
			if (list_empty(&dst_mm->mmlist))
				list_add(&dst_mm->mmlist, &vm->swap->mmlist);
			if (pt_pte_swp_exclusive(vm->pt->fmt, pte)) {
				pte &= ~(1ULL << vm->pt->fmt->swp.exclusive_bit);
				set_pte(vm->pt, epa, pte);
			}
			dst_mm->rss_stat[MM_SWAPENTS]++;
		}
		set_pte(vm->pt, depa, pte);
		return 0;
	}
	page = pte_page(vm, pte);
	if (page && page != vm->zero_page && page_ref_count(compound_head(page)) <= 0) {
		/* a PTE naming a free frame (written by hand, or through a
		 * corrupted table): folio_get() of a page nobody holds is
		 * the kernel's VM_BUG_ON_FOLIO; a reference taken here would
		 * later free the frame a second time, onto a list it is
		 * already on.  Reported; the child does not get the entry. */
		bad_page(vm->pm, page, "fork: a PTE maps a page with zero refcount");
		return 0;
	}
	if (page && page != vm->zero_page) {
		/* the references of a page of a huge page are the head's */
		struct page *folio = compound_head(page);

		/* a page the parent maps is mapped and referenced: anything
		 * else is a count gone wrong, not to be copied into the child */
		if (VM_BUG_ON_PAGE(page_mapcount(page) <= 0 || page_ref_count(folio) <= 0, page,
				   vm->pm)) {
			w->err = -EFAULT;
			return 1;
		}
		get_page(page);
		page->_mapcount++;
		dst_mm->rss_stat[mm_counter(page)]++;
		/* folio_try_dup_anon_rmap_pte(): shared from now on */
		if (PageAnon(page))
			clear_page_flag(page, PG_anon_exclusive);
	}
	/* copy_present_pte(): a private writable page is shared read-only
	 * by both until one of them writes */
	if (is_cow_mapping(w->src->vm_flags) && (pte & _PAGE_RW)) {
		pte &= ~_PAGE_RW;
		set_pte(vm->pt, epa, pte);
	}
	if (w->src->vm_flags & VM_SHARED)
		pte &= ~_PAGE_DIRTY;
	/* the child's copy starts old (pte_mkold) */
	set_pte(vm->pt, depa, pte & _PAGE_PRESENT ? pte & ~_PAGE_ACCESSED : pte);
	return 0;
}

/* copy_pmd_range()'s huge PMD: copied whole (it lies inside the VMA). */
static int copy_huge(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		     struct page *folio)
{
	struct copy_walk *w = arg;
	struct mm_struct *dst_mm = w->dst->vm_mm;
	const uint64_t haddr = addr & HPAGE_PMD_MASK(dst_mm->vm);
	uint64_t dpmd;

	(void)next;
	(void)pmd;
	(void)folio;
	if (pmd_alloc(dst_mm->vm->pt, dst_mm->pgd, haddr, &dpmd) ||
	    copy_huge_pmd(w->dst, w->src, dpmd, epa, haddr)) {
		w->err = -ENOMEM;
		return 1;
	}
	return 0;
}

int copy_page_range(struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct copy_walk w = { dst, src, 0 };

	/* vma_needs_copy(): memory without anon pages (shared anonymous,
	 * or never written) is faulted in again by the child */
	if (!src->anon_vma)
		return 0;
	mm_track_dirty(dst->vm_mm);	/* the source: walk_page_range() */
	change_pte_range(src->vm_mm, src->vm_start, src->vm_end, copy_one, copy_huge, &w);
	update_hiwater_rss(dst->vm_mm);
	return w.err;
}

void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *tmp;
	int count = 0, map_count = mm->map_count;

	list_for_each_entry_safe(vma, tmp, &mm->mmap_list, vm_list) {
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		vma_unlink(mm, vma);
		vm_area_free(vma);
		count++;
	}
	/* BUG_ON(count != mm->map_count) */
	(void)VM_BUG_ON_MM(count != map_count, mm);
	free_pgtables(mm, 0, mm->task_size);
	__flush_tlb_mm_range(mm, 0, TLB_FLUSH_ALL, PAGE_SHIFT, true);
	mm_put_huge_zero_folio(mm);
}

/* Page-table pages below @table that map [base, limit), the tables
 * deposited for huge PMDs included (mm_inc_nr_ptes() counts them). */
static unsigned long count_tables(struct mm_struct *mm, uint64_t table, unsigned depth,
				  uint64_t base, uint64_t limit)
{
	const struct pt_ctx *pt = mm->vm->pt;
	const struct pt_format *f = pt->fmt;
	unsigned long n = 0;

	if (depth >= f->levels)
		return 0;
	if (depth == mm->vm->thp.pmd_depth)
		n += pgtable_trans_huge_nr_deposited(pt, table);
	for (unsigned i = 0; i < pt_ptrs_per_table(f, depth); i++) {
		uint64_t va = base + ((uint64_t)i << f->lvl[depth].shift);
		uint64_t epa, e, child;

		if (va >= limit)
			break;
		if (depth + 1 >= f->levels)
			continue;
		epa = table + (uint64_t)i * f->entry_size;
		e = pt_read(pt, epa);
		if (depth == mm->vm->thp.pmd_depth && pmd_trans_huge(e) &&
		    huge_pmd_folio(mm, epa, e))
			continue;	/* a huge page: its table is the deposit */
		/* the tables the mm holds, a bad entry's own included */
		child = pt_held_table(pt, depth, epa, e);
		if (child)
			n += 1 + count_tables(mm, child, depth + 1, va, limit);
	}
	return n;
}

unsigned long mm_pgtables_bytes(const struct mm_struct *mm)
{
	/* every table below the root of the user half (VmPTE): counted from
	 * the tables themselves, so it cannot drift from them */
	return count_tables((struct mm_struct *)mm, mm->pgd, 0, 0, mm->task_size) * PAGE_SIZE;
}
