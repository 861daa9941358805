/*
 * Page-table editing in simulated RAM (see pgtable.h).  Invariant: every
 * non-leaf present entry this code writes points at a PG_table page it
 * allocated, pt->nr_tables counts those pages, and a table is freed only
 * after the entry pointing at it is cleared.
 */
#include "mmu/pgtable.h"

#include <errno.h>
#include <string.h>

#include "phys/mmzone.h"

void pt_ctx_init(struct pt_ctx *pt, struct phys_mem *pm, const struct vmsim_config *cfg)
{
	memset(pt, 0, sizeof(*pt));
	pt->pm = pm;
	pt->fmt = config_is_64(cfg) ? &pt_format_x86_64 : &pt_format_x86_32;
	pt->phys_bits = cfg->phys_bits;
	pt->pse = cfg->pse;
	/* x86_64: the upper canonical half starts at root index 256;
	 * x86_32: KERNEL_PGD_BOUNDARY = pgd_index(PAGE_OFFSET) (768) */
	if (config_is_64(cfg))
		pt->kernel_pgd_boundary = 1u << (pt->fmt->lvl[0].bits - 1);
	else
		pt->kernel_pgd_boundary = pt_index(pt->fmt, 0, cfg->page_offset);
}

uint64_t pt_read(const struct pt_ctx *pt, uint64_t epa)
{
	const void *p;

	/* an entry pointing outside RAM (a scenario may set any bit) reads
	 * as the bus does: all ones */
	if (epa + pt->fmt->entry_size > pt->pm->ram_size)
		return pt->fmt->entry_size == 8 ? ~0ULL : 0xffffffffULL;
	p = phys_to_host(pt->pm, epa);

	if (pt->fmt->entry_size == 8)
		return *(const uint64_t *)p;
	return *(const uint32_t *)p;
}

void set_pte(const struct pt_ctx *pt, uint64_t epa, uint64_t val)
{
	void *p;

	if (epa + pt->fmt->entry_size > pt->pm->ram_size)
		return;
	p = phys_to_host(pt->pm, epa);

	if (pt->fmt->entry_size == 8)
		*(uint64_t *)p = val;
	else
		*(uint32_t *)p = (uint32_t)val;
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

int pt_alloc_table(struct pt_ctx *pt, uint64_t *pa)
{
	/* GFP_KERNEL: lowmem, so the kernel could reach it by __va() */
	struct page *page = alloc_pages(pt->pm, GFP_KERNEL | __GFP_ZERO, 0);

	if (!page)
		return -ENOMEM;
	set_page_flag(page, PG_table);
	pt->nr_tables++;
	*pa = page_to_phys(pt->pm, page);
	return 0;
}

void pt_free_table(struct pt_ctx *pt, uint64_t pa)
{
	struct page *page = pfn_to_page(pt->pm, (unsigned long)(pa >> PAGE_SHIFT));

	clear_page_flag(page, PG_table);
	pt->nr_tables--;
	__free_pages(pt->pm, page, 0);
}

void pgd_sync_kernel(struct pt_ctx *pt, uint64_t root, uint64_t kernel_root)
{
	unsigned esz = pt->fmt->entry_size, n = pt_ptrs_per_table(pt->fmt, 0);
	unsigned b = pt->kernel_pgd_boundary;

	/* clone_pgd_range(): the kernel half is the same entries, so both
	 * roots share the kernel's lower tables */
	memcpy(phys_to_host(pt->pm, root + (uint64_t)b * esz),
	       phys_to_host(pt->pm, kernel_root + (uint64_t)b * esz), (size_t)(n - b) * esz);
}

int pgd_alloc(struct pt_ctx *pt, uint64_t kernel_root, uint64_t *root)
{
	int ret = pt_alloc_table(pt, root);

	if (ret)
		return ret;
	if (kernel_root)
		pgd_sync_kernel(pt, *root, kernel_root);
	return 0;
}

/* Free the tables below the entry @e at @depth (not the mapped pages). */
static void free_subtree(struct pt_ctx *pt, unsigned depth, uint64_t e)
{
	uint64_t table;
	unsigned n;

	if (!(e & _PAGE_PRESENT) || pt_entry_leaf(pt, depth, e))
		return;
	table = pt_entry_addr(pt, depth, e);
	n = pt_ptrs_per_table(pt->fmt, depth + 1);
	if (depth + 1 < pt->fmt->levels - 1)
		for (unsigned i = 0; i < n; i++)
			free_subtree(pt, depth + 1,
				     pt_read(pt, table + (uint64_t)i * pt->fmt->entry_size));
	pt_free_table(pt, table);
}

void pgd_free(struct pt_ctx *pt, uint64_t root)
{
	for (unsigned i = 0; i < pt->kernel_pgd_boundary; i++)
		free_subtree(pt, 0, pt_read(pt, root + (uint64_t)i * pt->fmt->entry_size));
	pt_free_table(pt, root);
}

void pt_free_tree(struct pt_ctx *pt, uint64_t root)
{
	unsigned n = pt_ptrs_per_table(pt->fmt, 0);

	for (unsigned i = 0; i < n; i++)
		free_subtree(pt, 0, pt_read(pt, root + (uint64_t)i * pt->fmt->entry_size));
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
		if (!(e & _PAGE_PRESENT)) {
			ret = pt_alloc_table(pt, &next);
			if (ret)
				return ret;
			set_pte(pt, epa, pt_mk_table(pt, next, table_flags));
		} else if (pt_entry_leaf(pt, d, e)) {
			return -EEXIST;
		} else {
			next = pt_entry_addr(pt, d, e);
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
	if ((old & _PAGE_PRESENT) && !pt_entry_leaf(pt, (unsigned)d, old))
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

		if (!(e & _PAGE_PRESENT))
			continue;
		if (end < start || va > last || pt_entry_leaf(pt, depth, e)) {
			empty = false;
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
		if (!leaf) {
			uint64_t child = pt_entry_addr(pt, depth, e);

			/* a table beyond RAM cannot be read: report it only */
			if (child >= pt->pm->ram_size)
				continue;
			ret = walk_range(pt, child, depth + 1, va, start, last, fn, arg);
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
