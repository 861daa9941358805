/*
 * Transparent huge pages of anonymous memory (mm/huge_memory.c): a fault
 * in a VMA that allows them maps a whole PMD span with one PMD leaf (PS
 * set) to a zeroed compound page of HPAGE_PMD_ORDER, or to the shared
 * huge zero page for a read; fork copies the PMD write-protected; munmap
 * unmaps it whole or splits it; mprotect changes it whole or splits it;
 * a write to a shared one splits it and copies 4 KiB (Linux 6.12 and the
 * 6.18 reference host alike), a write to the huge zero page maps a huge
 * page in its place (6.13 on; 6.12 split it).
 *
 * Invariants (check_huge_pmd() and check_mms() in vma/check.c):
 *   - every huge PMD lies inside one private anonymous VMA and owns one
 *     deposited page table that records the entry and the page it maps;
 *   - a huge page's head counts its PMD mappings in _entire_mapcount and
 *     every mapping (PMD or PTE) in its _refcount; each of its pages
 *     counts the PTEs that map it in _mapcount; rss counts HPAGE_PMD_NR
 *     pages per PMD mapping;
 *   - nr_anon_thps counts the huge pages with at least one PMD mapping;
 *   - an anonymous huge page is one folio on the LRU (its head on the
 *     list, counted as all its pages; its tails never on a list), put
 *     there at once at the fault; reclaim splits it into order-0 pages
 *     (split_folio_to_list()) before swapping them out;
 *   - the huge zero page is never counted in rss and holds
 *     huge_zero_refcount = 1 (the shrinker's) + 1 per mm with
 *     MMF_HUGE_ZERO_PAGE;
 *   - a huge page's lock (PG_mlocked, mlock_count, on the head) is taken
 *     as the kernel takes it: by a fault in a VM_LOCKED VMA
 *     (mlock_new_folio()) and by mlock's walk of a PMD or of a huge page
 *     PTEs map whole; each PMD or run of PTEs a VM_LOCKED VMA unmaps gives
 *     one back (munlock_vma_folio()), so the count may fall short of the
 *     locked mappings -- never above them.  A split keeps the lock (the
 *     reference host's answer).
 *
 * Not modelled: khugepaged's collapse of small pages into huge ones,
 * compaction (defrag only decides the allocation's GFP flags), the
 * deferred split of partly unmapped huge pages (such a page stays whole
 * until its last page is unmapped or reclaim splits it), swap-out of a
 * whole huge page (CONFIG_THP_SWAP), huge pages of other sizes (mTHP),
 * and huge pages of shmem and files.
 */
#include "vma/huge_mm.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "phys/mm_inline.h"
#include "util/error.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vma/swap.h"
#include "vma/tlbflush.h"

static inline struct vm_ctx *vma_vm(const struct vm_area_struct *vma)
{
	return vma->vm_mm->vm;
}

static inline bool thp_flag(const struct vm_ctx *vm, enum transparent_hugepage_flag f)
{
	return (vm->thp.flags >> f) & 1;
}

/* A VMA of private anonymous memory in the kernel's sense
 * (vma_is_anonymous(): no vm_ops -- no file, no shmem, no special
 * mapping). */
static inline bool vma_is_anon_thp(const struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && !vma->vm_ops;
}

/* ---- settings ---- */

void hugepage_init(struct vm_ctx *vm)
{
	struct thp_state *t = &vm->thp;
	const struct pt_format *f = vm->pt->fmt;
	const struct vmsim_config *c = vm->cfg;
	static const unsigned long defrag[] = {
		[THP_DEFRAG_ALWAYS] = 1UL << TRANSPARENT_HUGEPAGE_DEFRAG_DIRECT_FLAG,
		[THP_DEFRAG_DEFER] = 1UL << TRANSPARENT_HUGEPAGE_DEFRAG_KSWAPD_FLAG,
		[THP_DEFRAG_DEFER_MADVISE] = 1UL << TRANSPARENT_HUGEPAGE_DEFRAG_KSWAPD_OR_MADV_FLAG,
		[THP_DEFRAG_MADVISE] = 1UL << TRANSPARENT_HUGEPAGE_DEFRAG_REQ_MADV_FLAG,
		[THP_DEFRAG_NEVER] = 0,
	};

	memset(t, 0, sizeof(*t));
	t->pmd_depth = (unsigned)f->depth_of[PT_PMD];
	t->shift = f->lvl[t->pmd_depth].shift;
	t->order = t->shift - PAGE_SHIFT;
	/* has_transparent_hugepage(): X86_FEATURE_PSE; and a PMD page must
	 * be a block the buddy allocator hands out (the kernel's build-time
	 * HPAGE_PMD_ORDER <= MAX_PAGE_ORDER) */
	if (!c->pse || vm->pm->max_order < t->order) {
		t->flags = 1UL << TRANSPARENT_HUGEPAGE_UNSUPPORTED;
		return;
	}
	if (c->thp_enabled == THP_ENABLED_ALWAYS)
		t->flags |= 1UL << TRANSPARENT_HUGEPAGE_FLAG;
	else if (c->thp_enabled == THP_ENABLED_MADVISE)
		t->flags |= 1UL << TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG;
	if (c->thp_defrag < sizeof(defrag) / sizeof(defrag[0]))
		t->flags |= defrag[c->thp_defrag];
	if (c->thp_use_zero_page)
		t->flags |= 1UL << TRANSPARENT_HUGEPAGE_USE_ZERO_PAGE_FLAG;
}

void hugepage_set_enabled(struct vm_ctx *vm, unsigned enabled)
{
	struct thp_state *t = &vm->thp;

	vm->cfg->thp_enabled = enabled;
	if (thp_flag(vm, TRANSPARENT_HUGEPAGE_UNSUPPORTED))
		return;
	t->flags &= ~((1UL << TRANSPARENT_HUGEPAGE_FLAG) | (1UL << TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG));
	if (enabled == THP_ENABLED_ALWAYS)
		t->flags |= 1UL << TRANSPARENT_HUGEPAGE_FLAG;
	else if (enabled == THP_ENABLED_MADVISE)
		t->flags |= 1UL << TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG;
}

bool hugepage_global_enabled(const struct vm_ctx *vm)
{
	return thp_flag(vm, TRANSPARENT_HUGEPAGE_FLAG) ||
	       thp_flag(vm, TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG);
}

bool hugepage_global_always(const struct vm_ctx *vm)
{
	return thp_flag(vm, TRANSPARENT_HUGEPAGE_FLAG);
}

bool thp_vma_suitable_order(struct vm_area_struct *vma, uint64_t addr)
{
	const struct vm_ctx *vm = vma_vm(vma);
	const uint64_t size = HPAGE_PMD_SIZE(vm);
	uint64_t haddr;

	/* a file's offset must agree with the address modulo the size */
	if (!vma_is_anon_thp(vma) &&
	    (((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff) & ((size >> PAGE_SHIFT) - 1)))
		return false;
	haddr = addr & ~(size - 1);
	return haddr >= vma->vm_start && haddr + size > haddr && haddr + size <= vma->vm_end;
}

/*
 * thp_vma_allowable_order() and __thp_vma_allowable_orders() for the PMD
 * order.  The PMD size's own sysfs setting is "inherit" (the kernel's
 * default), so the global one decides; the smaller mTHP sizes default to
 * "never" and are not modelled.
 */
bool thp_vma_allowable_order(struct vm_area_struct *vma, unsigned long vm_flags,
			     unsigned long tva_flags)
{
	const struct vm_ctx *vm = vma_vm(vma);
	const bool smaps = tva_flags & TVA_SMAPS, in_pf = tva_flags & TVA_IN_PF;
	const bool enforce_sysfs = tva_flags & TVA_ENFORCE_SYSFS;
	const bool anon = vma_is_anon_thp(vma);

	if (enforce_sysfs && anon &&
	    !(hugepage_global_always(vm) ||
	      ((vm_flags & VM_HUGEPAGE) && hugepage_global_enabled(vm))))
		return false;
	/* thp_disabled_by_hw(), vma_thp_disabled() */
	if (thp_flag(vm, TRANSPARENT_HUGEPAGE_UNSUPPORTED) || (vm_flags & VM_NOHUGEPAGE) ||
	    (vma->vm_mm->flags & (1UL << MMF_DISABLE_THP)))
		return false;
	/* the size, checked here except in a fault (the fault's handler
	 * checks the faulting address) */
	if (!in_pf && (vma->vm_end - vma->vm_start < HPAGE_PMD_SIZE(vm) ||
		       !thp_vma_suitable_order(vma, vma->vm_end - HPAGE_PMD_SIZE(vm))))
		return false;
	if (!anon) {
		if (enforce_sysfs && (!hugepage_global_enabled(vm) ||
				      (!(vm_flags & VM_HUGEPAGE) && !hugepage_global_always(vm))))
			return false;
		/* shmem's own setting (shmem_enabled, default "never"), DAX's
		 * ->huge_fault and khugepaged's collapse of read-only file
		 * text (CONFIG_READ_ONLY_THP_FOR_FS) are not modelled */
		return false;
	}
	/* THPeligible says 1 before the first fault made the anon_vma */
	if (!vma->anon_vma)
		return smaps || in_pf;
	return true;
}

static bool transparent_hugepage_use_zero_page(const struct vm_ctx *vm)
{
	return thp_flag(vm, TRANSPARENT_HUGEPAGE_USE_ZERO_PAGE_FLAG);
}

/*
 * vma_thp_gfp_mask(): how hard a fault tries for a huge page.
 *   always:        stall in direct reclaim/compaction (madvised VMAs retry more)
 *   defer:         wake kswapd, fail at once
 *   defer+madvise: stall for MADV_HUGEPAGE VMAs, else wake kswapd
 *   madvise:       stall for MADV_HUGEPAGE VMAs, else fail at once
 *   never:         never stall
 * vmsim has no compaction and no reclaim yet: a stalling allocation only
 * drains the per-CPU lists before it gives up (the allocator's slow path).
 * The same mask charges the memory cgroup: without __GFP_DIRECT_RECLAIM
 * a charge over memory.max fails at once, with __GFP_NORETRY after one
 * reclaim pass and a drain; a huge page never invokes the OOM killer.
 */
static gfp_t vma_thp_gfp_mask(const struct vm_area_struct *vma)
{
	const struct vm_ctx *vm = vma_vm(vma);
	const bool madvised = vma->vm_flags & VM_HUGEPAGE;

	if (thp_flag(vm, TRANSPARENT_HUGEPAGE_DEFRAG_DIRECT_FLAG))
		return GFP_TRANSHUGE | (madvised ? 0 : __GFP_NORETRY);
	if (thp_flag(vm, TRANSPARENT_HUGEPAGE_DEFRAG_KSWAPD_FLAG))
		return GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM;
	if (thp_flag(vm, TRANSPARENT_HUGEPAGE_DEFRAG_KSWAPD_OR_MADV_FLAG))
		return GFP_TRANSHUGE_LIGHT | (madvised ? __GFP_DIRECT_RECLAIM : __GFP_KSWAPD_RECLAIM);
	if (thp_flag(vm, TRANSPARENT_HUGEPAGE_DEFRAG_REQ_MADV_FLAG))
		return GFP_TRANSHUGE_LIGHT | (madvised ? __GFP_DIRECT_RECLAIM : 0);
	return GFP_TRANSHUGE_LIGHT;
}

/* ---- the huge zero page ---- */

bool is_huge_zero_folio(const struct vm_ctx *vm, const struct page *folio)
{
	return folio && folio == vm->thp.huge_zero_folio;
}

static bool get_huge_zero_page(struct vm_ctx *vm)
{
	struct thp_state *t = &vm->thp;
	struct page *page;

	if (t->huge_zero_refcount) {
		t->huge_zero_refcount++;
		return true;
	}
	page = alloc_pages(vm->pm, (GFP_TRANSHUGE | __GFP_ZERO) & ~__GFP_MOVABLE, t->order);
	if (!page) {
		count_vm_event(vm->pm, THP_ZERO_PAGE_ALLOC_FAILED);
		return false;
	}
	folio_set_entire_mapcount(page, 0);	/* never in any rmap */
	t->huge_zero_folio = page;
	/* one reference more, which the shrinker puts back */
	t->huge_zero_refcount = 2;
	count_vm_event(vm->pm, THP_ZERO_PAGE_ALLOC);
	EV(vm->pm->events, "thp", "what=zero_page_alloc pfn=%#lx", page_to_pfn(vm->pm, page));
	return true;
}

static void put_huge_zero_page(struct vm_ctx *vm)
{
	/* only the shrinker drops the last reference */
	if (vm->thp.huge_zero_refcount > 1)
		vm->thp.huge_zero_refcount--;
}

/* mm_get_huge_zero_folio(): the huge zero page, with a reference for @mm
 * taken the first time; NULL when it cannot be allocated. */
static struct page *mm_get_huge_zero_folio(struct mm_struct *mm)
{
	struct vm_ctx *vm = mm->vm;

	if (mm->flags & (1UL << MMF_HUGE_ZERO_PAGE))
		return vm->thp.huge_zero_folio;
	if (!get_huge_zero_page(vm))
		return NULL;
	mm_track_dirty(mm);
	mm->flags |= 1UL << MMF_HUGE_ZERO_PAGE;
	return vm->thp.huge_zero_folio;
}

void mm_put_huge_zero_folio(struct mm_struct *mm)
{
	if (mm->flags & (1UL << MMF_HUGE_ZERO_PAGE)) {
		mm_track_dirty(mm);
		mm->flags &= ~(1UL << MMF_HUGE_ZERO_PAGE);
		put_huge_zero_page(mm->vm);
	}
}

void hugepage_shutdown(struct vm_ctx *vm)
{
	struct thp_state *t = &vm->thp;

	/* shrink_huge_zero_page_scan(): freed once only its own reference
	 * is left */
	if (t->huge_zero_folio && t->huge_zero_refcount == 1) {
		__free_pages(vm->pm, t->huge_zero_folio, t->order);
		t->huge_zero_folio = NULL;
		t->huge_zero_refcount = 0;
	}
}

/* ---- recognising a huge PMD ---- */

struct page *huge_pmd_folio(struct mm_struct *mm, uint64_t pmd, uint64_t e)
{
	struct vm_ctx *vm = mm->vm;
	struct pt_ctx *pt = vm->pt;
	struct page *dep, *folio;

	if (!pmd_trans_huge(e))
		return NULL;
	dep = pgtable_trans_huge_deposited(pt, pmd);
	if (!dep || !(folio = dep->mapping))
		return NULL;
	/* the entry names the page recorded with it, every address bit
	 * (PSE-36 and reserved ones included) as the kernel wrote it */
	if ((e ^ pt_mk_leaf(pt, vm->thp.pmd_depth, page_to_phys(vm->pm, folio), 0)) &
	    pt->fmt->entry_addr_mask)
		return NULL;
	return folio;
}

uint64_t huge_pmd_pte(struct mm_struct *mm, uint64_t e, struct page *folio, uint64_t offset)
{
	struct vm_ctx *vm = mm->vm;
	uint64_t pa = is_huge_zero_folio(vm, folio) ?
		page_to_phys(vm->pm, vm->zero_page) :
		page_to_phys(vm->pm, folio) + (offset & PAGE_MASK);

	/* PS is the PAT bit of a PTE; the address field is the page's */
	return (e & ~(vm->pt->fmt->entry_addr_mask | _PAGE_PSE)) | pa;
}

uint64_t mm_find_pmd(struct mm_struct *mm, uint64_t address)
{
	const struct pt_ctx *pt = mm->vm->pt;
	const unsigned pmd_depth = mm->vm->thp.pmd_depth;
	uint64_t table = mm->pgd;

	for (unsigned d = 0; d < pmd_depth; d++) {
		uint64_t epa = pt_offset(pt, table, d, address), e = pt_read(pt, epa);

		if (pt_entry_kind(pt, d, epa, e, false) != PT_ENTRY_TABLE)
			return 0;
		table = pt_entry_addr(pt, d, e);
	}
	return pt_offset(pt, table, pmd_depth, address);
}

void flush_pmd_tlb_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	const uint64_t size = HPAGE_PMD_SIZE(mm->vm);

	/* one invlpg per huge page up to the ceiling, then a full flush */
	__flush_tlb_mm_range(mm, start & ~(size - 1), end, (unsigned)__builtin_ctzll(size), false);
}

/* ---- rmap of a PMD-mapped huge page ---- */

/* folio_add_new_anon_rmap(RMAP_EXCLUSIVE) of a fresh huge page mapped by
 * one PMD at @haddr of @vma. */
static void folio_add_new_anon_rmap_pmd(struct vm_area_struct *vma, struct page *folio,
					uint64_t haddr)
{
	struct vm_ctx *vm = vma_vm(vma);

	/* the head's ->mapping makes every page of it anonymous (PageAnon()),
	 * mapped by the PMD now or by PTEs after a split */
	set_page_flag(folio, PG_uptodate);
	set_page_flag(folio, PG_swapbacked);
	__folio_set_anon(folio, vma, haddr, true);
	folio_set_entire_mapcount(folio, 1);
	set_page_flag(folio, PG_anon_exclusive);
	/* __folio_add_anon_rmap(RMAP_LEVEL_PMD): every page mapped now */
	lruvec_stat_mod_folio(vm->pm, folio, NR_ANON_THPS, (long)HPAGE_PMD_NR(vm));
	lruvec_stat_mod_folio(vm->pm, folio, NR_ANON_MAPPED, (long)HPAGE_PMD_NR(vm));
}

bool folio_likely_mapped_shared(const struct page *folio)
{
	const struct page *head = compound_head((struct page *)folio);
	long mapcount;

	if (!PageCompound(head))
		return page_mapcount(head) > 1;
	/* folio_mapcount(): the PMD mappings and every page's PTE mappings */
	mapcount = folio_entire_mapcount(head);
	for (unsigned long i = 0; i < 1UL << compound_order(head); i++)
		mapcount += head[i]._mapcount + 1;
	if (mapcount <= 1)
		return false;
	/* any page mapped more than once counts as shared; else the
	 * kernel's guess from the first page */
	if (folio_entire_mapcount(head) || page_mapcount(head) > 1)
		return true;
	return head->_mapcount > 0;
}

/* folio_remove_rmap_pmd(): one PMD mapping fewer. */
static void folio_remove_rmap_pmd(struct vm_ctx *vm, struct page *folio)
{
	const unsigned long nr = HPAGE_PMD_NR(vm);
	int n = folio_entire_mapcount(folio) - 1;
	unsigned long ptemapped = 0;

	folio_set_entire_mapcount(folio, n);
	if (n)
		return;
	/* __folio_remove_rmap(RMAP_LEVEL_PMD): the pages no PTE maps are
	 * unmapped now */
	for (unsigned long i = 0; i < nr; i++)
		ptemapped += folio[i]._mapcount >= 0;
	lruvec_stat_mod_folio(vm->pm, folio, NR_ANON_THPS, -(long)nr);
	lruvec_stat_mod_folio(vm->pm, folio, NR_ANON_MAPPED, -(long)(nr - ptemapped));
}

static void zap_deposited_table(struct mm_struct *mm, uint64_t pmd)
{
	struct pt_ctx *pt = mm->vm->pt;
	uint64_t table = pgtable_trans_huge_withdraw(pt, pmd);

	if (table)
		pt_free_table(pt, table);
}

/* ---- faults ---- */

/* map_anon_folio_pmd(): @folio, zeroed, mapped writable (where the VMA
 * allows) and dirty by the empty PMD at @pmd, with @pgtable deposited. */
static void map_anon_folio_pmd(struct vm_area_struct *vma, struct page *folio, uint64_t pmd,
			       uint64_t haddr, uint64_t pgtable, struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t flags = vma->vm_page_prot | _PAGE_DIRTY;

	if (vma->vm_flags & VM_WRITE)
		flags |= _PAGE_RW;	/* maybe_pmd_mkwrite() */
	mm_track_dirty(mm);
	pgtable_trans_huge_deposit(vm->pt, pmd, pgtable, folio);
	folio_add_new_anon_rmap_pmd(vma, folio, haddr);
	/* one folio on the LRU (at once: a huge page is never left in a
	 * batch); mlock_new_folio() in a locked VMA */
	folio_add_lru_vma(vm, folio, vma);
	set_pte(vm->pt, pmd,
		pt_mk_leaf(vm->pt, vm->thp.pmd_depth, page_to_phys(vm->pm, folio), flags));
	mm->rss_stat[MM_ANONPAGES] += (long)HPAGE_PMD_NR(vm);
	count_vm_event(vm->pm, THP_FAULT_ALLOC);
	count_memcg_event_mm(vm, mm, THP_FAULT_ALLOC);
	if (st)
		st->demand_zero++;
	MM_EV(mm, "fault", "addr=%#" PRIx64 " kind=thp pfn=%#lx", haddr,
	      page_to_pfn(vm->pm, folio));
}

/* vma_alloc_anon_folio_pmd(): a zeroed huge page charged to the memory
 * cgroup of the VMA's mm, or NULL (counted as a fallback: no PMD-size
 * block free, or the cgroup refused the charge). */
static struct page *vma_alloc_anon_folio_pmd(struct vm_area_struct *vma)
{
	struct vm_ctx *vm = vma_vm(vma);
	const gfp_t gfp = vma_thp_gfp_mask(vma);
	struct page *folio = alloc_pages(vm->pm, gfp | __GFP_ZERO, vm->thp.order);

	if (!folio) {
		count_vm_event(vm->pm, THP_FAULT_FALLBACK);
		MM_EV(vma->vm_mm, "thp", "what=fault_fallback");
		return NULL;
	}
	if (mem_cgroup_charge(vm, folio, vma->vm_mm, gfp)) {
		__free_pages(vm->pm, folio, vm->thp.order);	/* folio_put() */
		count_vm_event(vm->pm, THP_FAULT_FALLBACK);
		count_vm_event(vm->pm, THP_FAULT_FALLBACK_CHARGE);
		MM_EV(vma->vm_mm, "thp", "what=fault_fallback_charge");
		return NULL;
	}
	return folio;
}

unsigned do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
				    unsigned flags, struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct pt_ctx *pt = vm->pt;
	const uint64_t haddr = address & HPAGE_PMD_MASK(vm);
	struct page *folio;
	uint64_t pgtable;

	if (!thp_vma_suitable_order(vma, haddr))
		return VM_FAULT_FALLBACK;
	if (anon_vma_prepare(vma))		/* vmf_anon_prepare() */
		return VM_FAULT_OOM;
	if (!(flags & FAULT_FLAG_WRITE) && transparent_hugepage_use_zero_page(vm)) {
		struct page *zero;

		if (pt_alloc_table(pt, GFP_PGTABLE_USER, &pgtable))	/* pte_alloc_one() */
			return VM_FAULT_OOM;
		zero = mm_get_huge_zero_folio(mm);
		if (!zero) {
			pt_free_table(pt, pgtable);
			count_vm_event(vm->pm, THP_FAULT_FALLBACK);
			return VM_FAULT_FALLBACK;
		}
		/* set_huge_zero_folio(): read-only, as vm_page_prot of a
		 * private mapping always is */
		mm_track_dirty(mm);
		pgtable_trans_huge_deposit(pt, pmd, pgtable, zero);
		set_pte(pt, pmd, pt_mk_leaf(pt, vm->thp.pmd_depth, page_to_phys(vm->pm, zero),
					    vma->vm_page_prot & ~_PAGE_RW));
		if (st)
			st->zero_page++;
		MM_EV(mm, "fault", "addr=%#" PRIx64 " kind=huge_zero_page", haddr);
		return 0;
	}
	folio = vma_alloc_anon_folio_pmd(vma);
	if (!folio)
		return VM_FAULT_FALLBACK;
	if (pt_alloc_table(pt, GFP_PGTABLE_USER, &pgtable)) {
		__free_pages(vm->pm, folio, vm->thp.order);
		return VM_FAULT_OOM;
	}
	map_anon_folio_pmd(vma, folio, pmd, haddr, pgtable, st);
	return 0;
}

void huge_pmd_set_accessed(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
			   uint64_t orig, unsigned flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	const uint64_t haddr = address & HPAGE_PMD_MASK(vm);
	/* touch_pmd() */
	uint64_t e = orig | _PAGE_ACCESSED | (flags & FAULT_FLAG_WRITE ? _PAGE_DIRTY : 0);

	if (e != orig) {
		mm_track_dirty(mm);
		set_pte(vm->pt, pmd, e);
	}
	/* the entry allowed the access: a stale TLB entry did not */
	flush_pmd_tlb_range(mm, haddr, haddr + HPAGE_PMD_SIZE(vm));
}

unsigned do_huge_pmd_numa_page(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
			       uint64_t orig)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	const uint64_t haddr = address & HPAGE_PMD_MASK(vm);
	const uint64_t keep = vm->pt->fmt->entry_addr_mask | _PAGE_DIRTY | _PAGE_PSE;

	/* the PMD of a PROT_NONE mapping in a VMA that allows access now
	 * (mprotect keeps PMDs in step, so only a hand-edited one gets
	 * here): the VMA's protection, read-only until a write fault */
	mm_track_dirty(mm);
	set_pte(vm->pt, pmd, (orig & keep) | (vma->vm_page_prot & ~_PAGE_RW) | _PAGE_ACCESSED);
	flush_pmd_tlb_range(mm, haddr, haddr + HPAGE_PMD_SIZE(vm));
	return 0;
}

/* do_huge_zero_wp_pmd(): a huge page in place of the huge zero page the
 * PMD maps, the deposited table kept; VM_FAULT_FALLBACK when none is free. */
static unsigned do_huge_zero_wp_pmd(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
				    struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct pt_ctx *pt = vm->pt;
	const uint64_t haddr = address & HPAGE_PMD_MASK(vm);
	struct page *folio = vma_alloc_anon_folio_pmd(vma);
	uint64_t pgtable;

	if (!folio)
		return VM_FAULT_FALLBACK;
	mm_track_dirty(mm);
	pte_clear(pt, pmd);			/* pmdp_huge_clear_flush() */
	flush_pmd_tlb_range(mm, haddr, haddr + HPAGE_PMD_SIZE(vm));
	/* the zero PMD's table, recorded anew for the huge page */
	pgtable = pgtable_trans_huge_withdraw(pt, pmd);
	map_anon_folio_pmd(vma, folio, pmd, haddr, pgtable, NULL);
	if (st)
		st->cow++;
	return 0;
}

unsigned do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t address, uint64_t pmd,
			     uint64_t orig, struct fault_stats *st)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	const uint64_t haddr = address & HPAGE_PMD_MASK(vm);
	struct page *folio = huge_pmd_folio(mm, pmd, orig);
	uint64_t e;

	if (!folio)
		return VM_FAULT_FALLBACK;
	if (is_huge_zero_folio(vm, folio)) {
		unsigned ret = do_huge_zero_wp_pmd(vma, address, pmd, st);

		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
		goto fallback;
	}
	if (PageAnonExclusive(folio))
		goto reuse;
	/* reused only without other references: a fork's child may map it */
	if (page_ref_count(folio) > 1)
		goto fallback;
	page_move_anon_rmap(folio, vma);	/* folio_move_anon_rmap() */
	set_page_flag(folio, PG_anon_exclusive);
reuse:
	mm_track_dirty(mm);
	e = orig | _PAGE_ACCESSED | _PAGE_DIRTY;
	if (vma->vm_flags & VM_WRITE)
		e |= _PAGE_RW;
	set_pte(vm->pt, pmd, e);
	flush_pmd_tlb_range(mm, haddr, haddr + HPAGE_PMD_SIZE(vm));
	if (st)
		st->cow_reuse++;
	MM_EV(mm, "fault", "addr=%#" PRIx64 " kind=thp_reuse", haddr);
	return 0;
fallback:
	__split_huge_pmd(vma, pmd, address);
	return VM_FAULT_FALLBACK;
}

/* ---- fork, unmap, protection ---- */

int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  uint64_t dst_pmd, uint64_t src_pmd, uint64_t addr)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	struct vm_ctx *vm = dst_mm->vm;
	struct pt_ctx *pt = vm->pt;
	uint64_t e = pt_read(pt, src_pmd), pgtable;
	struct page *folio = huge_pmd_folio(src_mm, src_pmd, e);

	if (!folio)
		return 0;
	if (pt_alloc_table(pt, GFP_PGTABLE_USER, &pgtable))	/* pte_alloc_one() */
		return -ENOMEM;
	mm_track_dirty(src_mm);
	mm_track_dirty(dst_mm);
	if (is_huge_zero_folio(vm, folio)) {
		/* only a reference: the page exists */
		mm_get_huge_zero_folio(dst_mm);
	} else {
		/* folio_try_dup_anon_rmap_pmd(): shared now, by both */
		get_page(folio);
		folio_set_entire_mapcount(folio, folio_entire_mapcount(folio) + 1);
		clear_page_flag(folio, PG_anon_exclusive);
		dst_mm->rss_stat[MM_ANONPAGES] += (long)HPAGE_PMD_NR(vm);
	}
	pgtable_trans_huge_deposit(pt, dst_pmd, pgtable, folio);
	e &= ~_PAGE_RW;
	set_pte(pt, src_pmd, e);		/* pmdp_set_wrprotect() */
	set_pte(pt, dst_pmd, e & ~_PAGE_ACCESSED);	/* pmd_mkold() */
	(void)addr;
	return 0;
}

int zap_huge_pmd(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t pmd, uint64_t addr)
{
	struct vm_ctx *vm = mm->vm;
	uint64_t e = pt_read(vm->pt, pmd);
	struct page *folio = huge_pmd_folio(mm, pmd, e);

	if (!folio)
		return 0;
	mm_track_dirty(mm);
	pte_clear(vm->pt, pmd);		/* pmdp_huge_get_and_clear_full() */
	zap_deposited_table(mm, pmd);
	if (!is_huge_zero_folio(vm, folio)) {
		if (vma)
			munlock_vma_page(folio, vma);	/* folio_remove_rmap_pmd() */
		folio_remove_rmap_pmd(vm, folio);
		mm->rss_stat[MM_ANONPAGES] -= (long)HPAGE_PMD_NR(vm);
		put_page(vm->pm, folio);
	}
	MM_EV(mm, "thp", "what=zap addr=%#" PRIx64, addr);
	return 1;
}

bool zap_bad_huge_pmd(struct mm_struct *mm, uint64_t pmd, uint64_t addr)
{
	struct vm_ctx *vm = mm->vm;
	struct page *dep = pgtable_trans_huge_deposited(vm->pt, pmd);
	struct page *folio = dep ? dep->mapping : NULL;
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (!dep)
		return false;
	mm_track_dirty(mm);
	zap_deposited_table(mm, pmd);
	if (folio && !is_huge_zero_folio(vm, folio)) {
		/* the mapping's lock goes with it, as a zap's would */
		if (vma && vma->vm_start <= addr)
			munlock_vma_page(folio, vma);
		folio_remove_rmap_pmd(vm, folio);
		mm->rss_stat[MM_ANONPAGES] -= (long)HPAGE_PMD_NR(vm);
		put_page(vm->pm, folio);
	}
	return true;
}

/* can_change_pmd_writable() for a private mapping: a huge page only this
 * PMD maps may become writable without a fault. */
static bool can_change_pmd_writable(struct vm_area_struct *vma, uint64_t e, struct page *folio)
{
	if (!(vma->vm_flags & VM_WRITE) || !(e & _PAGE_PRESENT))
		return false;
	if (vma->vm_flags & VM_SHARED)
		return (e & _PAGE_DIRTY) != 0;
	return !is_huge_zero_folio(vma_vm(vma), folio) && PageAnon(folio) &&
	       PageAnonExclusive(folio);
}

void change_huge_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t old = pt_read(vm->pt, pmd), e;
	struct page *folio = huge_pmd_folio(mm, pmd, old);
	/* pmd_modify(): the address, A, D and PS stay; the rest is the new
	 * protection */
	const uint64_t keep = vm->pt->fmt->entry_addr_mask | _PAGE_ACCESSED | _PAGE_DIRTY |
			      _PAGE_PSE;

	if (!folio)
		return;
	mm_track_dirty(mm);
	e = (old & keep) | vma->vm_page_prot;
	if (is_huge_zero_folio(vm, folio))
		e &= ~_PAGE_RW;
	else if (!(e & _PAGE_RW) && can_change_pmd_writable(vma, e, folio))
		e |= _PAGE_RW;
	set_pte(vm->pt, pmd, e);
	(void)addr;
}

/* ---- locked memory ---- */

void mlock_huge_pmd(struct vm_area_struct *vma, uint64_t pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *folio = huge_pmd_folio(mm, pmd, pt_read(mm->vm->pt, pmd));

	/* mlock_pte_range(): the huge zero page is never locked */
	if (!folio || is_huge_zero_folio(mm->vm, folio))
		return;
	if (vma->vm_flags & VM_LOCKED)
		mlock_folio(mm->vm, folio);
	else
		munlock_folio(mm->vm, folio);
}

static int stale_huge_pmd(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
			  struct page *folio)
{
	struct vm_ctx *vm = arg;

	if (!is_huge_zero_folio(vm, folio) && PageMlocked(folio))
		vm->thp.mlock_stale++;
	(void)addr;
	(void)next;
	(void)epa;
	(void)pmd;
	return 0;
}

void mlock_huge_pmds_stale(struct vm_area_struct *vma)
{
	const struct mm_walk_ops ops = { .pmd_entry = stale_huge_pmd };

	walk_page_range_ro(vma->vm_mm, vma->vm_start, vma->vm_end, &ops, vma->vm_mm->vm);
}

/* ---- splitting ---- */

/* __split_huge_zero_page_pmd(): PTEs of the small zero page, read-only. */
static void __split_huge_zero_page_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t haddr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct pt_ctx *pt = vm->pt;
	const unsigned leaf = pt->fmt->levels - 1;
	const uint64_t zero = pt_mk_leaf(pt, leaf, page_to_phys(vm->pm, vm->zero_page),
					 vma->vm_page_prot & ~_PAGE_RW);
	uint64_t pgtable;

	pte_clear(pt, pmd);			/* pmdp_huge_clear_flush() */
	flush_pmd_tlb_range(mm, haddr, haddr + HPAGE_PMD_SIZE(vm));
	pgtable = pgtable_trans_huge_withdraw(pt, pmd);
	if (!pgtable)
		return;
	for (unsigned long i = 0; i < HPAGE_PMD_NR(vm); i++)
		set_pte(pt, pgtable + i * pt->fmt->entry_size, zero);
	pt_set_table(pt, pmd, pgtable, _PAGE_TABLE);	/* pmd_populate() */
}

/*
 * __split_huge_pmd_locked(): the PMD leaf of an anonymous huge page
 * becomes the deposited table, its PTEs mapping the pages with the VMA's
 * protection, RW where the PMD had it, A and D as the PMD had them.  The
 * huge page stays one compound page: each page gains a PTE mapping, the
 * head a reference per PTE, and one PMD mapping goes.
 */
static void __split_huge_pmd_locked(struct vm_area_struct *vma, uint64_t pmd, uint64_t haddr,
				    uint64_t old, struct page *folio)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct pt_ctx *pt = vm->pt;
	const unsigned leaf = pt->fmt->levels - 1;
	const unsigned long nr = HPAGE_PMD_NR(vm);
	bool exclusive;
	uint64_t pgtable, flags;

	mm_track_dirty(mm);
	count_vm_event(vm->pm, THP_SPLIT_PMD);
	MM_EV(mm, "thp", "what=split_pmd addr=%#" PRIx64, haddr);
	if (is_huge_zero_folio(vm, folio)) {
		__split_huge_zero_page_pmd(vma, pmd, haddr);
		return;
	}
	pte_clear(pt, pmd);			/* pmdp_invalidate() */
	flush_pmd_tlb_range(mm, haddr, haddr + HPAGE_PMD_SIZE(vm));
	pgtable = pgtable_trans_huge_withdraw(pt, pmd);
	if (!pgtable) {
		/* no table to split into (cannot happen: huge_pmd_folio()
		 * found it): unmap the page instead of losing it */
		folio_remove_rmap_pmd(vm, folio);
		mm->rss_stat[MM_ANONPAGES] -= (long)nr;
		put_page(vm->pm, folio);
		return;
	}
	/* folio_ref_add() + folio_add_anon_rmap_ptes(), exclusive if the
	 * PMD mapping was */
	exclusive = PageAnonExclusive(folio);
	folio->_refcount += (int)(nr - 1);
	for (unsigned long i = 0; i < nr; i++) {
		if (exclusive)
			set_page_flag(&folio[i], PG_anon_exclusive);
		folio[i]._mapcount++;
	}
	flags = vma->vm_page_prot;
	if (old & _PAGE_RW)
		flags |= _PAGE_RW;
	if (!(old & _PAGE_ACCESSED))
		flags &= ~_PAGE_ACCESSED;
	if (old & _PAGE_DIRTY)
		flags |= _PAGE_DIRTY;
	for (unsigned long i = 0; i < nr; i++)
		set_pte(pt, pgtable + i * pt->fmt->entry_size,
			pt_mk_leaf(pt, leaf, page_to_phys(vm->pm, folio + i), flags));
	/* the lock stays: on the reference host (6.18) a huge page mlocked
	 * through its PMD is still PG_mlocked after the split (Mlocked and
	 * unevictable_pgs_munlocked unchanged), until PTEs of it are unmapped */
	folio_remove_rmap_pmd(vm, folio);
	pt_set_table(pt, pmd, pgtable, _PAGE_TABLE);	/* pmd_populate() */
}

void __split_huge_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t address)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t e = pt_read(mm->vm->pt, pmd);
	struct page *folio = huge_pmd_folio(mm, pmd, e);

	if (folio)	/* split_huge_pmd_locked(): only what is a huge PMD */
		__split_huge_pmd_locked(vma, pmd, address & HPAGE_PMD_MASK(mm->vm), e, folio);
	else if (pgtable_trans_huge_deposited(mm->vm->pt, pmd))
		/* a huge PMD made bad (PS cleared, address changed): the
		 * page its deposit records would still span what the caller
		 * cuts (a VMA boundary, a range), and a later write of the
		 * old bits would make it a huge PMD across two VMAs; cleared
		 * and its page unmapped, as a walk that changes the tables
		 * clears a bad entry */
		mm_user_table(mm, mm->vm->thp.pmd_depth, pmd, address);
}

void split_huge_pmd(struct vm_area_struct *vma, uint64_t pmd, uint64_t address)
{
	if (pmd_trans_huge(pt_read(vma->vm_mm->vm->pt, pmd)))
		__split_huge_pmd(vma, pmd, address);
}

void split_huge_pmd_address(struct vm_area_struct *vma, uint64_t address)
{
	uint64_t pmd = mm_find_pmd(vma->vm_mm, address);

	if (pmd)
		__split_huge_pmd(vma, pmd, address);
}

/* ---- splitting a huge page (split_huge_page_to_list_to_order()) ---- */

/* unmap_folio() with TTU_SPLIT_HUGE_PMD, for one VMA the rmap names: the
 * PMD mapping @arg's folio there is split.  (The kernel then replaces
 * the PTEs by migration entries and back; here they keep mapping the same
 * pages, which is what remap_page() leaves.)  Stops once no PMD maps it. */
static int split_folio_pmd_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct page *folio = arg;
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t pmd;

	if ((addr & ~HPAGE_PMD_MASK(vm)) || addr < vma->vm_start ||
	    addr + HPAGE_PMD_SIZE(vm) > vma->vm_end)
		return 0;
	pmd = mm_find_pmd(mm, addr);
	if (pmd && huge_pmd_folio(mm, pmd, pt_read(vm->pt, pmd)) == folio)
		__split_huge_pmd(vma, pmd, addr);
	return folio_entire_mapcount(folio) ? 0 : 1;
}

/* One VM_LOCKED PTE mapping the page @arg points at, counted. */
struct locked_count {
	struct page *page;
	unsigned count;
};

static int count_locked_one(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct locked_count *lc = arg;
	uint64_t epa;

	if ((vma->vm_flags & VM_LOCKED) && addr >= vma->vm_start && addr < vma->vm_end &&
	    page_vma_mapped(vma, lc->page, addr, &epa))
		lc->count++;
	return 0;
}

/*
 * __split_huge_page_tail(): page @i of the block @folio headed becomes a
 * page of its own with the head's flags that describe contents and age
 * (__split_huge_page_tail() copies the same ones), its anon_vma and its
 * index; its references are its PTEs' (@refs).
 */
static void split_huge_page_tail(struct page *folio, unsigned long i, uint64_t flags, int refs)
{
	struct page *page = folio + i;

	page->flags |= flags;
	page->mapping = folio->mapping;
	page->index = folio->index + i;
	page->private = 0;
	page->_refcount = refs;
}

int split_folio_to_list(struct vm_ctx *vm, struct page *folio, struct list_head *list)
{
	const unsigned long nr = folio_nr_pages(folio);
	const uint64_t keep = (1ULL << PG_referenced) | (1ULL << PG_swapbacked) |
			      (1ULL << PG_mlocked) | (1ULL << PG_uptodate) | (1ULL << PG_active) |
			      (1ULL << PG_workingset) | (1ULL << PG_unevictable) | (1ULL << PG_dirty);
	const bool mlocked = PageMlocked(folio);
	struct lruvec *lruvec = folio_lruvec(vm->pm, folio);
	struct list_head *pos = NULL;
	bool on_lru;
	long maps = 0;
	int extra;

	if (!PageHead(folio) || is_huge_zero_folio(vm, folio) || !PageAnon(folio) ||
	    PageSwapCache(folio))
		goto fail;
	/* unmap_folio(): every PMD mapping becomes PTEs of the same pages */
	if (folio_entire_mapcount(folio))
		rmap_walk_anon(folio, split_folio_pmd_one, folio);
	if (folio_entire_mapcount(folio))
		goto fail;
	/* the folio is on its list, or isolated on @list by the caller; a
	 * huge page is never left in a batch, but one being added may be */
	if (!list && !PageLRU(folio))
		lru_add_drain_all(vm);
	on_lru = !list && PageLRU(folio);
	if (!list && !on_lru)
		goto fail;
	for (unsigned long i = 0; i < nr; i++)
		maps += folio[i]._mapcount + 1;
	/* what is not a mapping's: the caller's, the isolation's */
	extra = page_ref_count(folio) - (int)maps;
	if (extra < 0)
		goto fail;
	if (on_lru) {
		/* off its list whole, back page by page where it was; an
		 * unevictable one is on no list (lru.prev is its mlock_count) */
		if (!PageUnevictable(folio))
			pos = folio->lru.prev;
		lruvec_del_folio(lruvec, folio);
	}
	split_compound_page(folio);
	for (unsigned long i = nr; i-- > 0;) {
		struct page *page = folio + i;
		const int refs = page->_mapcount + 1 + (i ? 0 : extra);

		if (i)
			split_huge_page_tail(folio, i, folio->flags & keep, refs);
		else
			folio->_refcount = refs;
		if (refs == 0) {
			/* a page nothing maps any more (part of the huge page
			 * was unmapped): freed (free_page_and_swap_cache()),
			 * its lock with it */
			page->flags &= ~((1ULL << PG_active) | (1ULL << PG_unevictable) |
					 (1ULL << PG_lru));
			if (PageMlocked(page))
				page->mlock_count = 0;	/* a huge page's lock */
			page->_refcount = 1;
			put_page(vm->pm, page);
			continue;
		}
		if (on_lru) {
			/* lru_add_split_folio(): beside the head, in order */
			set_page_flag(page, PG_lru);
			update_lru_size(lruvec, folio_lru_list(page), page_zonenum(page), 1);
			if (!PageUnevictable(page))
				list_add(&page->lru, pos);
		} else if (i) {
			/* isolated with the head (which the caller holds):
			 * at the tail of @list, where reclaim takes its next
			 * page, with a reference of their own for the
			 * isolation (lru_add_split_folio()) */
			page->_refcount++;
			list_add_tail(&page->lru, list);
		}
	}
	if (mlocked) {
		/* each page keeps the lock, counted by the VM_LOCKED PTEs that
		 * map it (the kernel zeroes mlock_count and lets reclaim's
		 * rmap walk find the locks; vmsim keeps them exact) */
		for (unsigned long i = 0; i < nr; i++) {
			struct locked_count lc = { folio + i, 0 };

			if (!PageMlocked(folio + i) || page_ref_count(folio + i) <= 0)
				continue;
			if (page_mapcount(folio + i) > 0)
				rmap_walk_anon(folio + i, count_locked_one, &lc);
			folio[i].mlock_count = lc.count;
		}
	}
	count_vm_event(vm->pm, THP_SPLIT_PAGE);
	MM_EV_M(vm, "thp", "what=split_page pfn=%#lx", page_to_pfn(vm->pm, folio));
	return 0;
fail:
	count_vm_event(vm->pm, THP_SPLIT_PAGE_FAILED);
	return -EBUSY;
}

int split_folio(struct vm_ctx *vm, struct page *folio)
{
	return split_folio_to_list(vm, folio, NULL);
}

/* split_huge_pmd_if_needed(): @address cuts a huge PMD of @vma only when
 * it is not aligned and the huge page around it lies in the VMA. */
static void split_huge_pmd_if_needed(struct vm_area_struct *vma, uint64_t address)
{
	const uint64_t size = HPAGE_PMD_SIZE(vma_vm(vma));
	const uint64_t down = address & ~(size - 1);

	if ((address & (size - 1)) && down >= vma->vm_start && down + size <= vma->vm_end)
		split_huge_pmd_address(vma, address);
}

void vma_adjust_trans_huge(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			   long adjust_next)
{
	split_huge_pmd_if_needed(vma, start);
	split_huge_pmd_if_needed(vma, end);
	if (adjust_next > 0) {
		struct vm_area_struct *next = vma_next(vma);

		if (next)
			split_huge_pmd_if_needed(next, next->vm_start + (uint64_t)adjust_next);
	}
}

bool move_huge_pmd(struct vm_area_struct *vma, uint64_t old_addr, uint64_t new_addr,
		   uint64_t old_pmd, uint64_t new_pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct pt_ctx *pt = vm->pt;
	uint64_t e = pt_read(pt, old_pmd), pgtable;
	struct page *folio;

	if (!pt_entry_none(pt_read(pt, new_pmd)))
		return false;
	folio = huge_pmd_folio(mm, old_pmd, e);
	if (!folio)
		return false;
	mm_track_dirty(mm);
	pte_clear(pt, old_pmd);			/* pmdp_huge_get_and_clear() */
	pgtable = pgtable_trans_huge_withdraw(pt, old_pmd);
	pgtable_trans_huge_deposit(pt, new_pmd, pgtable, folio);
	set_pte(pt, new_pmd, e);
	flush_pmd_tlb_range(mm, old_addr, old_addr + HPAGE_PMD_SIZE(vm));
	(void)new_addr;
	return true;
}

/* ---- checks ---- */

int check_huge_pmd(struct mm_struct *mm, uint64_t addr, uint64_t epa, uint64_t e,
		   struct page *folio, struct vmsim_error *err)
{
	struct vm_ctx *vm = mm->vm;
	const uint64_t size = HPAGE_PMD_SIZE(vm), va = addr & ~(size - 1);
	struct vm_area_struct *vma = find_vma(mm, va);
	/* a corrupted entry, or one below a corrupted entry, which a look-only
	 * walk shows (with the huge page the deposited table records) until a
	 * changing walk reclaims it: no split of the VMAs reaches it, as none
	 * follows a bad entry, so it may lie across a boundary made since */
	const bool bad = mm_find_pmd(mm, va) != epa ||
			 huge_pmd_folio(mm, epa, pt_read(vm->pt, epa)) != folio;

	if (!bad && (!vma || vma->vm_start > va || va + size > vma->vm_end))
		return verr(err, -EFAULT, "mm: huge PMD at %#" PRIx64 " not inside one VMA", va);
	if (!bad && (!vma_is_anon_thp(vma) || (vma->vm_flags & VM_SHARED)))
		return verr(err, -EFAULT, "mm: huge PMD at %#" PRIx64
			    " in a VMA that is not private anonymous memory", va);
	if (is_huge_zero_folio(vm, folio)) {
		if (e & _PAGE_RW)
			return verr(err, -EFAULT, "mm: huge zero page mapped writable at %#" PRIx64, va);
		if (!(mm->flags & (1UL << MMF_HUGE_ZERO_PAGE)))
			return verr(err, -EFAULT, "mm: huge zero page mapped at %#" PRIx64
				    " without the mm's reference", va);
		return 0;
	}
	if (!PageHead(folio) || compound_order(folio) != vm->thp.order || !PageAnon(folio) ||
	    folio_entire_mapcount(folio) < 1)
		return verr(err, -EFAULT, "mm: huge PMD at %#" PRIx64 " maps pfn %#lx, which is"
			    " no PMD-mapped anonymous huge page", va, page_to_pfn(vm->pm, folio));
	return 0;
}

int check_huge_zero_contents(struct vm_ctx *vm, struct vmsim_error *err)
{
	const struct thp_state *t = &vm->thp;
	const uint64_t *z;

	if (!t->huge_zero_folio)
		return 0;
	z = page_host(vm->pm, t->huge_zero_folio);
	for (uint64_t i = 0; i < HPAGE_PMD_SIZE(vm) / sizeof(*z); i++)
		if (z[i])
			return verr(err, -EFAULT, "thp: the huge zero page holds a non-zero byte at %#"
				    PRIx64, i * sizeof(*z) + (unsigned)__builtin_ctzll(z[i]) / 8);
	return 0;
}

int check_huge_zero_page(struct vm_ctx *vm, long mm_refs, bool contents,
			 struct vmsim_error *err)
{
	const struct thp_state *t = &vm->thp;
	int ret;

	if (!t->huge_zero_folio) {
		if (t->huge_zero_refcount || mm_refs)
			return verr(err, -EFAULT, "thp: huge zero refcount %ld, %ld mm references,"
				    " but no huge zero page", t->huge_zero_refcount, mm_refs);
		return 0;
	}
	if (contents && (ret = check_huge_zero_contents(vm, err)))
		return ret;
	if (t->huge_zero_refcount != 1 + mm_refs)
		return verr(err, -EFAULT, "thp: huge zero refcount %ld, but the shrinker and %ld mm"
			    " references", t->huge_zero_refcount, mm_refs);
	return 0;
}
