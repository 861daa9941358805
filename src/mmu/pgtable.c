/*
 * Page-table editing in simulated RAM (see pgtable.h).  Invariant: every
 * non-leaf present entry this code writes points at a PG_table page it
 * allocated whose page->index names that entry (the root's: PT_LINK_ROOT),
 * pt->nr_tables counts those pages, and a table is freed only after the
 * entry pointing at it is cleared.  Entries are input: every read and
 * write of one goes through phys_to_host_range(), and a walk follows an
 * entry only when pt_entry_kind() says it is a table.
 */
#include "mmu/pgtable.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "phys/buddy.h"
#include "phys/mm_inline.h"
#include "phys/mmzone.h"
#include "phys/slab.h"
#include "util/events.h"

void pt_ctx_init(struct pt_ctx *pt, struct phys_mem *pm, const struct vmsim_config *cfg)
{
	memset(pt, 0, sizeof(*pt));
	pt->pm = pm;
	pt->fmt = pt_format_of(cfg);
	pt->pfn_mask = pt->fmt->entry_addr_mask & ~0xfffULL &
		       (pt->fmt->kernel_phys_bits >= 64 ? ~0ULL
							: (1ULL << pt->fmt->kernel_phys_bits) - 1);
	pt->phys_bits = cfg->phys_bits;
	pt->pse = cfg->pse;
	pt->console = stderr;	/* the kernel's log, as a console shows it */
	/* x86_64, la57: the upper canonical half starts at root index 256;
	 * x86_32: KERNEL_PGD_BOUNDARY = pgd_index(PAGE_OFFSET) (768, or 3
	 * under PAE) */
	if (config_is_64(cfg))
		pt->kernel_pgd_boundary = 1u << (pt->fmt->lvl[0].bits - 1);
	else
		pt->kernel_pgd_boundary = pt_index(pt->fmt, 0, cfg->page_offset);
}

uint64_t pt_read(const struct pt_ctx *pt, uint64_t epa)
{
	const void *p = phys_to_host_range(pt->pm, epa, pt->fmt->entry_size);

	/* an entry pointing outside RAM (a scenario may set any bit) reads
	 * as the bus does: all ones */
	if (!p)
		return pt->fmt->entry_size == 8 ? ~0ULL : 0xffffffffULL;
	if (pt->fmt->entry_size == 8)
		return *(const uint64_t *)p;
	return *(const uint32_t *)p;
}

static bool pt_in_root(const struct pt_ctx *pt, uint64_t epa);

void set_pte(const struct pt_ctx *pt, uint64_t epa, uint64_t val)
{
	void *p = phys_to_host_range(pt->pm, epa, pt->fmt->entry_size);

	/* no memory there, or the simulator's own structures (an entry
	 * the `pte` op found through a corrupted table): the write goes
	 * nowhere */
	if (!p || frame_holds_host_structs(pt->pm, (unsigned long)(epa >> PAGE_SHIFT)))
		return;
	if (pt->fmt->entry_size == 8)
		*(uint64_t *)p = val;
	else
		*(uint32_t *)p = (uint32_t)val;
	/* PAE: a root entry changed reaches the CPUs only through a CR3
	 * load (pud_populate()'s flush_tlb_mm(), the full flush after
	 * pud_clear() in free_pmd_range()) */
	if (pt->fmt->root_regs && pt->root_changed && pt_in_root(pt, epa))
		pt->root_changed(pt->root_changed_arg, epa & ~(uint64_t)(PAGE_SIZE - 1));
}

/* ---- validating entries ---- */

bool pt_entry_bad(const struct pt_ctx *pt, unsigned depth, uint64_t e)
{
	const struct pt_format *f = pt->fmt;
	/* pXd_flags(): everything but the PFN field */
	const uint64_t flags = e & ~pt->pfn_mask;

	/* pmd_bad(): exactly a kernel table entry, U/S and A aside; on
	 * x86_32's two levels the page-directory entry is the pmd */
	if ((int)depth == f->depth_of[PT_PMD])
		return (flags & ~(_PAGE_USER | _PAGE_ACCESSED)) !=
		       (_KERNPG_TABLE & ~_PAGE_ACCESSED);
	/* pud_bad(): nothing beyond _KERNPG_TABLE and U/S */
	if ((int)depth == f->depth_of[PT_PUD])
		return (flags & ~(_KERNPG_TABLE | _PAGE_USER)) != 0;
	/* p4d_bad(): the x86_64 root entry too, pgd_bad() being 0 under
	 * 4-level paging (NX allowed: page-table isolation sets it) */
	if ((int)depth == f->depth_of[PT_P4D])
		return (flags & ~(_KERNPG_TABLE | _PAGE_USER | _PAGE_NX)) != 0;
	/* pgd_bad() under 5-level paging: exactly _KERNPG_TABLE, U/S and NX
	 * aside */
	return (flags & ~(_PAGE_USER | _PAGE_NX)) != _KERNPG_TABLE;
}

/* The page of table frame @table, if it is one: in RAM and PG_table. */
static struct page *pt_table_page(const struct pt_ctx *pt, uint64_t table)
{
	unsigned long pfn = (unsigned long)(table >> PAGE_SHIFT);
	struct page *page;

	if (!phys_to_host_range(pt->pm, table, PAGE_SIZE) || !pfn_valid(pt->pm, pfn))
		return NULL;
	page = pfn_to_page(pt->pm, pfn);
	return PageTable(page) ? page : NULL;
}

/* Is @table the table linked from the entry at @epa?  A root's kernel-half
 * entry links the table that hangs from init_mm's root. */
static bool pt_link_ok(const struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t table)
{
	const struct page *page = pt_table_page(pt, table);

	if (!page)
		return false;
	if (page->index == epa)
		return true;
	return depth == 0 && pt->kernel_root &&
	       (epa & (PAGE_SIZE - 1)) >= (uint64_t)pt->kernel_pgd_boundary * pt->fmt->entry_size &&
	       page->index == pt->kernel_root + (epa & (PAGE_SIZE - 1));
}

enum pt_entry_kind pt_entry_kind(const struct pt_ctx *pt, unsigned depth, uint64_t epa,
				 uint64_t e, bool large)
{
	if (pt_entry_none(e))
		return PT_ENTRY_NONE;
	/* pXd_leaf(): present with PS, where the format has large pages */
	if (large && (e & _PAGE_PRESENT) && pt_entry_leaf(pt, depth, e))
		return PT_ENTRY_LEAF;
	/* not bad: no PS, so the address is the table's (pt_entry_addr()
	 * without its large-leaf case) */
	if (pt_entry_bad(pt, depth, e) || !pt_link_ok(pt, depth, epa, e & pt->fmt->entry_addr_mask))
		return PT_ENTRY_BAD;
	return PT_ENTRY_TABLE;
}

void pt_clear_bad(struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t e)
{
	const struct pt_format *f = pt->fmt;

	/* pgd_clear_bad() / p4d_clear_bad() / pud_clear_bad() /
	 * pmd_clear_bad() in mm/pgtable-generic.c (6.12), each printing
	 * through its pXd_ERROR() at that line; the entry at a depth is
	 * judged as the lowest Linux level folded into it.  x86_32's two
	 * levels fold p4d, pud and pmd into the pgd: pmd_clear_bad() prints
	 * pgd_ERROR() of pgtable-2level.h.  x86_64 under 4-level paging
	 * folds the p4d at run time, so its root entry is reported as a p4d.
	 * The kernel's %p is the entry's kernel virtual address, printed
	 * unhashed. */
	static const int line[PT_NR_LEVELS] = { 27, 34, 42, 54, 0 };
	int l = PT_PMD;

	while (l > PT_PGD && f->depth_of[l] != (int)depth)
		l--;
	if (f->levels == 2) {
		snprintf(pt->bad_msg, sizeof(pt->bad_msg),
			 "mm/pgtable-generic.c:54: bad pgd %08" PRIx64 ".", e & (uint64_t)0xffffffff);
	} else {
		snprintf(pt->bad_msg, sizeof(pt->bad_msg),
			 "mm/pgtable-generic.c:%d: bad %s %016" PRIx64 "(%016" PRIx64 ")", line[l],
			 pt_level_names[l], pt->pm->cfg->page_offset + epa, e);
	}
	pt->nr_bad++;
	EV(pt->pm->events, "bad_pgtable", "level=%s entry=%#" PRIx64 " val=%#" PRIx64,
	   f->levels == 2 ? "pgd" : pt_level_names[l], epa, e);
	if (pt->console) {
		/* after what the program printed so far, not inside it */
		fflush(stdout);
		fprintf(pt->console, "%s\n", pt->bad_msg);
		fflush(pt->console);
	}
	set_pte(pt, epa, 0);
}

uint64_t pt_owned_table(const struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t e)
{
	const struct page *page;
	uint64_t table = pt_entry_addr(pt, depth, e);

	page = pt_table_page(pt, table);
	if (page && page->index == epa)
		return table;
	/* the entry's address was changed: the table that names this entry
	 * as its link (rare, so a scan of mem_map) */
	for (unsigned long pfn = 0; pfn < pt->pm->max_pfn; pfn++) {
		page = pfn_to_page(pt->pm, pfn);
		if (PageTable(page) && page->index == epa)
			return (uint64_t)pfn << PAGE_SHIFT;
	}
	return 0;
}

uint64_t pt_held_table(const struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t e)
{
	switch (pt_entry_kind(pt, depth, epa, e, false)) {
	case PT_ENTRY_TABLE:
		return pt_entry_addr(pt, depth, e);
	case PT_ENTRY_BAD:
		return pt_owned_table(pt, depth, epa, e);
	default:
		return 0;
	}
}

bool pt_entry_leaf(const struct pt_ctx *pt, unsigned depth, uint64_t e)
{
	const struct pt_format *f = pt->fmt;

	if (depth == f->levels - 1)
		return true;
	return f->lvl[depth].large && (e & _PAGE_PSE) && (!f->large_needs_pse || pt->pse);
}

uint64_t pt_entry_addr(const struct pt_ctx *pt, unsigned depth, uint64_t e)
{
	const struct pt_format *f = pt->fmt;
	uint64_t a = e & f->entry_addr_mask;

	if (depth != f->levels - 1 && pt_entry_leaf(pt, depth, e)) {
		a &= ~(pt_entry_span(f, depth) - 1);
		if (f->large_hi_bits)
			a |= ((e >> f->large_hi_src) & ((1ULL << f->large_hi_bits) - 1))
			     << f->large_hi_dst;
	}
	return a;
}

uint64_t pt_mk_table(const struct pt_ctx *pt, uint64_t table_pa, uint64_t flags)
{
	flags &= ~(_PAGE_PSE | _PAGE_NX);
	return (table_pa & pt->fmt->entry_addr_mask) | (flags & 0xfff);
}

/* Is @epa an entry of a root table (page->index PT_LINK_ROOT)? */
static bool pt_in_root(const struct pt_ctx *pt, uint64_t epa)
{
	const struct page *page = pt_table_page(pt, epa & ~(uint64_t)(PAGE_SIZE - 1));

	return page && page->index == PT_LINK_ROOT &&
	       (epa & (PAGE_SIZE - 1)) < (uint64_t)pt_ptrs_per_table(pt->fmt, 0) * pt->fmt->entry_size;
}

uint64_t pt_mk_leaf(const struct pt_ctx *pt, unsigned depth, uint64_t pa, uint64_t flags)
{
	const struct pt_format *f = pt->fmt;
	uint64_t e;

	flags &= ~_PAGE_PSE;
	if (!f->nx_bit)
		flags &= ~_PAGE_NX;
	if (depth == f->levels - 1) {
		e = (pa & f->entry_addr_mask) | flags;
	} else {
		e = (pa & f->entry_addr_mask & ~(pt_entry_span(f, depth) - 1)) | flags | _PAGE_PSE;
		if (f->large_hi_bits)	/* PSE-36: physical 39..32 into bits 20..13 */
			e |= ((pa >> f->large_hi_dst) & ((1ULL << f->large_hi_bits) - 1))
			     << f->large_hi_src;
	}
	if (f->entry_size == 4)
		e &= 0xffffffffULL;
	return e;
}

int pt_alloc_table(struct pt_ctx *pt, gfp_t gfp, uint64_t *pa)
{
	/* GFP_KERNEL: lowmem, so the kernel could reach it by __va() */
	struct page *page = alloc_pages(pt->pm, gfp, 0);

	if (!page)
		return -ENOMEM;
	set_page_flag(page, PG_table);
	page->index = PT_LINK_ROOT;
	INIT_LIST_HEAD(&page->lru);	/* the tables deposited in it */
	pt->nr_tables++;
	*pa = page_to_phys(pt->pm, page);
	return 0;
}

void pt_free_table(struct pt_ctx *pt, uint64_t pa)
{
	struct page *page = pt_table_page(pt, pa);
	struct page *dep;

	if (!page) {
		/* pagetable_free() of a frame that is no page table */
		unsigned long pfn = (unsigned long)(pa >> PAGE_SHIFT);

		if (pfn_valid(pt->pm, pfn))
			bad_page(pt->pm, pfn_to_page(pt->pm, pfn), "freeing a page table that is not one");
		else
			bad_pfn(pt->pm, pfn, "freeing a page table beyond RAM");
		return;
	}
	/* the tables deposited in it go with it (the process layer withdraws
	 * them first; this keeps a mistake from leaking them) */
	while (page->lru.next && !list_empty(&page->lru)) {
		dep = list_first_entry(&page->lru, struct page, lru);
		list_del(&dep->lru);
		INIT_LIST_HEAD(&dep->lru);
		dep->mapping = NULL;
		pt_free_table(pt, page_to_phys(pt->pm, dep));
	}
	clear_page_flag(page, PG_table);
	if (page->private) {
		page->private = 0;
		lruvec_stat_mod_folio(pt->pm, page, NR_PAGETABLE, -1);
	}
	page->index = 0;
	page->mapping = NULL;
	pt->nr_tables--;
	__free_pages(pt->pm, page, 0);
}

/* ---- deposited tables ---- */

void pgtable_trans_huge_deposit(struct pt_ctx *pt, uint64_t pmd_epa, uint64_t table,
				struct page *folio)
{
	struct page *pmd_table = pt_table_page(pt, pmd_epa & ~(uint64_t)(PAGE_SIZE - 1));
	struct page *page = pt_table_page(pt, table);

	if (!page)
		return;
	if (!pmd_table) {
		pt_free_table(pt, table);
		return;
	}
	/* pte_alloc_one()'s pagetable_pte_ctor(): a deposited table is a
	 * process's page table (NR_PAGETABLE, VmPTE) from its allocation on */
	if (page->index == PT_LINK_ROOT && pt->account_tables && !page->private) {
		page->private = 1;
		lruvec_stat_mod_folio(pt->pm, page, NR_PAGETABLE, 1);
	}
	page->index = pmd_epa | PT_LINK_DEPOSIT;
	page->mapping = folio;
	list_add_tail(&page->lru, &pmd_table->lru);
}

struct page *pgtable_trans_huge_deposited(const struct pt_ctx *pt, uint64_t pmd_epa)
{
	struct page *pmd_table = pt_table_page(pt, pmd_epa & ~(uint64_t)(PAGE_SIZE - 1));
	struct page *dep;

	if (!pmd_table || !pmd_table->lru.next)
		return NULL;
	list_for_each_entry(dep, &pmd_table->lru, lru)
		if (dep->index == (pmd_epa | PT_LINK_DEPOSIT))
			return dep;
	return NULL;
}

uint64_t pgtable_trans_huge_withdraw(struct pt_ctx *pt, uint64_t pmd_epa)
{
	struct page *dep = pgtable_trans_huge_deposited(pt, pmd_epa);

	if (!dep)
		return 0;
	list_del(&dep->lru);
	INIT_LIST_HEAD(&dep->lru);
	dep->index = PT_LINK_ROOT;	/* linked from nothing until populated */
	dep->mapping = NULL;
	return page_to_phys(pt->pm, dep);
}

unsigned long pgtable_trans_huge_nr_deposited(const struct pt_ctx *pt, uint64_t table)
{
	const struct page *page = pt_table_page(pt, table);
	const struct list_head *l;
	unsigned long n = 0;

	if (!page || !page->lru.next)
		return 0;
	for (l = page->lru.next; l != &page->lru; l = l->next)
		n++;
	return n;
}

void pgtable_trans_huge_for_each_deposited(const struct pt_ctx *pt, uint64_t table,
					   void (*fn)(void *arg, uint64_t deposited), void *arg)
{
	struct page *page = pt_table_page(pt, table);
	struct page *dep;

	if (!page || !page->lru.next)
		return;
	list_for_each_entry(dep, &page->lru, lru)
		fn(arg, page_to_phys(pt->pm, dep));
}

void pt_set_table(struct pt_ctx *pt, uint64_t epa, uint64_t table, uint64_t flags)
{
	struct page *page = pt_table_page(pt, table);

	if (page) {
		if (page->index == PT_LINK_ROOT && pt->account_tables && !page->private) {
			page->private = 1;
			lruvec_stat_mod_folio(pt->pm, page, NR_PAGETABLE, 1);
		}
		page->index = epa;
	}
	/* PAE's PDPTE takes P, PWT and PCD only: "almost everything apart
	 * from _PAGE_PRESENT is reserved at the pmd (PDPT) level"
	 * (pud_populate()) */
	if (pt->fmt->lvl[0].table_flags && pt_in_root(pt, epa))
		flags &= pt->fmt->lvl[0].table_flags;
	set_pte(pt, epa, pt_mk_table(pt, table, flags));
}

void pgd_sync_kernel(struct pt_ctx *pt, uint64_t root, uint64_t kernel_root)
{
	unsigned esz = pt->fmt->entry_size, n = pt_ptrs_per_table(pt->fmt, 0);
	unsigned b = pt->kernel_pgd_boundary;

	/* clone_pgd_range(): the kernel half is the same entries, so both
	 * roots share the kernel's lower tables */
	memcpy(phys_to_host(pt->pm, root + (uint64_t)b * esz),
	       phys_to_host(pt->pm, kernel_root + (uint64_t)b * esz), (size_t)(n - b) * esz);
	/* the tables those entries link hang from init_mm's root */
	pt->kernel_root = kernel_root;
}

int pgd_alloc(struct pt_ctx *pt, uint64_t kernel_root, uint64_t *root)
{
	int ret = pt_alloc_table(pt, GFP_PGTABLE_USER, root);

	if (ret)
		return ret;
	if (kernel_root)
		pgd_sync_kernel(pt, *root, kernel_root);
	/* PAE: preallocate_pmds() + pgd_prepopulate_pmd(): "all 4 top-level
	 * entries are used almost immediately in a new process's life", so
	 * the user ones get their PMD tables now (the kernel's is shared) */
	if (pt->fmt->root_regs && kernel_root)
		for (unsigned i = 0; i < pt->kernel_pgd_boundary; i++) {
			uint64_t pmd;

			ret = pt_alloc_table(pt, GFP_PGTABLE_USER, &pmd);
			if (ret) {
				pgd_free(pt, *root);
				return ret;
			}
			pt_set_table(pt, *root + (uint64_t)i * pt->fmt->entry_size, pmd, _PAGE_TABLE);
		}
	return 0;
}

/*
 * Free the tables below the entry at @epa (depth @depth), not the mapped
 * pages (free_pgd_range()).  A bad entry is reported and cleared
 * (pXd_none_or_clear_bad()), and the table that hung from it is freed
 * all the same: teardown leaves nothing behind.
 */
static void free_subtree(struct pt_ctx *pt, unsigned depth, uint64_t epa)
{
	uint64_t e = pt_read(pt, epa), table;

	switch (pt_entry_kind(pt, depth, epa, e, true)) {
	case PT_ENTRY_TABLE:
		table = pt_entry_addr(pt, depth, e);
		break;
	case PT_ENTRY_BAD:
		pt_clear_bad(pt, depth, epa, e);
		table = pt_owned_table(pt, depth, epa, e);
		break;
	default:
		return;
	}
	if (table)
		pt_free_table_tree(pt, table, depth + 1);
}

void pt_free_table_tree(struct pt_ctx *pt, uint64_t table, unsigned depth)
{
	if (depth < pt->fmt->levels - 1)
		for (unsigned i = 0; i < pt_ptrs_per_table(pt->fmt, depth); i++)
			free_subtree(pt, depth, table + (uint64_t)i * pt->fmt->entry_size);
	pt_free_table(pt, table);
}

void pgd_free(struct pt_ctx *pt, uint64_t root)
{
	for (unsigned i = 0; i < pt->kernel_pgd_boundary; i++)
		free_subtree(pt, 0, root + (uint64_t)i * pt->fmt->entry_size);
	pt_free_table(pt, root);
}

void pt_free_tree(struct pt_ctx *pt, uint64_t root)
{
	unsigned n = pt_ptrs_per_table(pt->fmt, 0);

	for (unsigned i = 0; i < n; i++)
		free_subtree(pt, 0, root + (uint64_t)i * pt->fmt->entry_size);
	pt_free_table(pt, root);
}

void pt_lookup(const struct pt_ctx *pt, uint64_t root, uint64_t va, struct pt_path *p)
{
	uint64_t table = root;

	p->n = 0;
	p->leaf = false;
	for (unsigned d = 0; d < pt->fmt->levels; d++) {
		uint64_t epa = pt_offset(pt, table, d, va), e = pt_read(pt, epa);

		p->epa[d] = epa;
		p->e[d] = e;
		p->n = d + 1;
		if (!(e & _PAGE_PRESENT))
			return;
		if (pt_entry_leaf(pt, d, e)) {
			p->leaf = true;
			return;
		}
		table = pt_entry_addr(pt, d, e);
	}
}

int pt_alloc_entry(struct pt_ctx *pt, uint64_t root, uint64_t va, unsigned depth,
		   uint64_t table_flags, uint64_t *entry_pa)
{
	uint64_t table = root;

	for (unsigned d = 0;; d++) {
		uint64_t epa = pt_offset(pt, table, d, va), e, next;
		int ret;

		if (d == depth) {
			*entry_pa = epa;
			return 0;
		}
		e = pt_read(pt, epa);
		switch (pt_entry_kind(pt, d, epa, e, true)) {
		case PT_ENTRY_LEAF:
			return -EEXIST;
		case PT_ENTRY_TABLE:
			next = pt_entry_addr(pt, d, e);
			break;
		case PT_ENTRY_BAD:
			/* __pte_alloc() after pmd_clear_bad(): what hung
			 * from it is lost, as in the kernel (the process
			 * layer reclaims a user entry before it gets here) */
			pt_clear_bad(pt, d, epa, e);
			/* fall through */
		default:
			/* pmd_alloc_one() and friends: GFP_PGTABLE_USER for a
			 * process's half, _KERNEL for init_mm's */
			ret = pt_alloc_table(pt, ((va >> pt->fmt->lvl[0].shift) &
						  (pt_ptrs_per_table(pt->fmt, 0) - 1)) <
						 pt->kernel_pgd_boundary ? GFP_PGTABLE_USER
									 : GFP_PGTABLE_KERNEL,
					     &next);
			if (ret)
				return ret;
			pt_set_table(pt, epa, next, table_flags);
			break;
		}
		table = next;
	}
}

/* Depth whose leaves are 2^shift bytes, or -1. */
static int depth_of_shift(const struct pt_ctx *pt, unsigned shift)
{
	const struct pt_format *f = pt->fmt;

	for (unsigned d = 0; d < f->levels; d++)
		if (f->lvl[d].shift == shift &&
		    (d == f->levels - 1 || (f->lvl[d].large && (!f->large_needs_pse || pt->pse))))
			return (int)d;
	return -1;
}

int pt_map(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t pa, unsigned shift,
	   uint64_t flags, uint64_t table_flags)
{
	int d = depth_of_shift(pt, shift), ret;
	uint64_t epa, old;

	if (d < 0 || ((va | pa) & ((1ULL << shift) - 1)))
		return -EINVAL;
	ret = pt_alloc_entry(pt, root, va, (unsigned)d, table_flags, &epa);
	if (ret)
		return ret;
	old = pt_read(pt, epa);
	if (d < (int)pt->fmt->levels - 1 &&
	    pt_entry_kind(pt, (unsigned)d, epa, old, true) == PT_ENTRY_TABLE)
		return -EEXIST;		/* a table of smaller pages is there */
	set_pte(pt, epa, pt_mk_leaf(pt, (unsigned)d, pa, flags));
	return 0;
}

int pt_map_range(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t pa, uint64_t size,
		 uint64_t flags, uint64_t table_flags, unsigned max_shift)
{
	const struct pt_format *f = pt->fmt;

	while (size) {
		unsigned shift = 12;

		/* the largest leaf that fits here, as the direct map does */
		for (unsigned d = 0; d < f->levels - 1; d++) {
			unsigned s = f->lvl[d].shift;
			uint64_t span = 1ULL << s;

			if (s <= max_shift && depth_of_shift(pt, s) >= 0 &&
			    !((va | pa) & (span - 1)) && size >= span) {
				shift = s;
				break;
			}
		}
		int ret = pt_map(pt, root, va, pa, shift, flags, table_flags);

		if (ret)
			return ret;
		va += 1ULL << shift;
		pa += 1ULL << shift;
		size -= 1ULL << shift;
	}
	return 0;
}

void pt_unmap(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t *old)
{
	struct pt_path p;

	pt_lookup(pt, root, va, &p);
	*old = 0;
	if (!p.leaf)
		return;
	*old = p.e[p.n - 1];
	pte_clear(pt, p.epa[p.n - 1]);
}

/* Returns true if the table at @table (@depth) has no present entry left. */
static bool free_empty(struct pt_ctx *pt, uint64_t table, unsigned depth, uint64_t base,
		       uint64_t start, uint64_t last)
{
	const struct pt_format *f = pt->fmt;
	unsigned n = pt_ptrs_per_table(f, depth);
	uint64_t span = pt_entry_span(f, depth);
	bool empty = true;

	for (unsigned i = 0; i < n; i++) {
		uint64_t va = pt_canonical(f, base + (uint64_t)i * span);
		uint64_t end = va + span - 1;
		uint64_t epa = table + (uint64_t)i * f->entry_size, e = pt_read(pt, epa);
		enum pt_entry_kind k;

		if (depth == f->levels - 1) {
			empty &= !(e & _PAGE_PRESENT);
			continue;
		}
		k = pt_entry_kind(pt, depth, epa, e, true);
		if (k == PT_ENTRY_NONE)
			continue;
		if (end < start || va > last || k == PT_ENTRY_LEAF) {
			empty = false;
			continue;
		}
		if (k == PT_ENTRY_BAD) {
			uint64_t owned = pt_owned_table(pt, depth, epa, e);

			pt_clear_bad(pt, depth, epa, e);
			if (owned)
				pt_free_table_tree(pt, owned, depth + 1);
			continue;
		}
		uint64_t child = pt_entry_addr(pt, depth, e);

		if (free_empty(pt, child, depth + 1, va, start, last) && va >= start && end <= last) {
			pte_clear(pt, epa);
			pt_free_table(pt, child);
		} else {
			empty = false;
		}
	}
	return empty;
}

void pt_free_empty(struct pt_ctx *pt, uint64_t root, uint64_t start, uint64_t last)
{
	free_empty(pt, root, 0, 0, start, last);
}

static int walk_range(const struct pt_ctx *pt, uint64_t table, unsigned depth, uint64_t base,
		      uint64_t start, uint64_t last, pt_visit_fn fn, void *arg)
{
	const struct pt_format *f = pt->fmt;
	unsigned n = pt_ptrs_per_table(f, depth);
	uint64_t span = pt_entry_span(f, depth);

	for (unsigned i = 0; i < n; i++) {
		uint64_t va = pt_canonical(f, base + (uint64_t)i * span);
		uint64_t epa, e;
		bool leaf;
		int ret;

		if (va + span - 1 < start || va > last)
			continue;
		epa = table + (uint64_t)i * f->entry_size;
		e = pt_read(pt, epa);
		if (!(e & _PAGE_PRESENT))
			continue;
		leaf = pt_entry_leaf(pt, depth, e);
		ret = fn(arg, va, depth, epa, e, leaf);
		if (ret)
			return ret;
		/* a bad entry is shown, never followed */
		if (!leaf && pt_entry_kind(pt, depth, epa, e, true) == PT_ENTRY_TABLE) {
			ret = walk_range(pt, pt_entry_addr(pt, depth, e), depth + 1, va, start, last,
					 fn, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int pt_walk_range(const struct pt_ctx *pt, uint64_t root, uint64_t start, uint64_t last,
		  pt_visit_fn fn, void *arg)
{
	return walk_range(pt, root, 0, 0, start, last, fn, arg);
}
