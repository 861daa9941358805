/*
 * Editing page tables in simulated RAM: what the kernel and the process
 * layer use to map and unmap (Linux: pgd_alloc, pud_alloc, pmd_alloc,
 * pte_alloc, set_pte, pte_clear, free_pgd_range, walk_page_range).
 *
 * Entries are addressed by their physical address ("entry pa"), because
 * they live in the RAM byte array.  Table pages come from the buddy
 * allocator (GFP_KERNEL | __GFP_ZERO, lowmem on x86_32) and carry PG_table.
 * Depth 0 is the root; see pgformat.h for what each depth is called.
 *
 * Nothing here touches a TLB: after changing a live entry the caller
 * flushes (invlpg, flush_tlb_*), as the kernel does.
 *
 * Any entry may hold any bits (a scenario's `pte` op writes them, and RAM
 * is input), so a software walk never follows an entry without asking
 * pt_entry_kind() first: pXd_none(), pXd_leaf(), pXd_bad() as x86 Linux
 * defines them, plus the simulator's own guard that the address names a
 * page-table page linked from that very entry (each table page records
 * the entry that links it, in page->index).  A walk that changes the
 * tables clears a bad entry with pt_clear_bad(), the kernel's
 * pXd_clear_bad(): one report in the kernel's words, then the entry is 0.
 */
#ifndef VMSIM_MMU_PGTABLE_H
#define VMSIM_MMU_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmu/pgformat.h"
#include "phys/gfp.h"
#include "util/config.h"

struct phys_mem;
struct page;

struct pt_ctx {
	struct phys_mem *pm;
	const struct pt_format *fmt;
	/* PTE_PFN_MASK: the bits of an entry that pXd_flags() leaves out
	 * (12..51 on x86_64, 12..43 under PAE, 12..31 on 2-level x86_32),
	 * from the format, kept here because every entry judged needs it */
	uint64_t pfn_mask;
	unsigned phys_bits;
	bool pse;			/* build large x86_32 leaves (CR4.PSE) */
	unsigned kernel_pgd_boundary;	/* first root index of the kernel half */
	unsigned long nr_tables;	/* table pages allocated and not freed */
	bool account_tables;		/* linked tables count in NR_PAGETABLE
					 * (off while the machine boots) */
	uint64_t kernel_root;		/* init_mm's root: every root's kernel half
					 * links the tables that hang from it */
	unsigned long nr_bad;		/* entries reported and cleared as bad */
	FILE *console;			/* where the kernel's reports go (the
					 * CLI's stderr); NULL: kept in bad_msg only */
	char bad_msg[96];		/* the last "bad pmd" report */
	/* PAE: called after an entry of root @root changed, so that CPUs
	 * running it load CR3 again (the PDPTE registers); NULL: none */
	void (*root_changed)(void *arg, uint64_t root);
	void *root_changed_arg;
};

/* page->index of a root table: it hangs from no entry */
#define PT_LINK_ROOT (~0ULL)

void pt_ctx_init(struct pt_ctx *pt, struct phys_mem *pm, const struct vmsim_config *cfg);

/* ---- entries ---- */

uint64_t pt_read(const struct pt_ctx *pt, uint64_t entry_pa);
/* Linux has set_pte/set_pmd/set_pud/set_pgd; the bytes are the same kind.
 * An entry outside RAM, or in a frame of the simulator's own structures
 * (frame_holds_host_structs()), is not written. */
void set_pte(const struct pt_ctx *pt, uint64_t entry_pa, uint64_t val);
static inline void pte_clear(const struct pt_ctx *pt, uint64_t entry_pa)
{
	set_pte(pt, entry_pa, 0);
}

/* Address of the entry for @va in the table at @table_pa of @depth. */
static inline uint64_t pt_offset(const struct pt_ctx *pt, uint64_t table_pa, unsigned depth,
				 uint64_t va)
{
	return table_pa + (uint64_t)pt_index(pt->fmt, depth, va) * pt->fmt->entry_size;
}

static inline uint64_t pgd_offset(const struct pt_ctx *pt, uint64_t root, uint64_t va)
{
	return pt_offset(pt, root, 0, va);
}

/* Is present entry @e at @depth a leaf (a PTE, or PS=1 where honoured)? */
bool pt_entry_leaf(const struct pt_ctx *pt, unsigned depth, uint64_t e);
/* Physical address in @e: the next table, or the page a leaf maps
 * (PSE-36 high bits included). */
uint64_t pt_entry_addr(const struct pt_ctx *pt, unsigned depth, uint64_t e);

/* ---- validating an entry before following it ---- */

/* pXd_none(): an empty slot.  x86 ignores A and D here
 * (_PAGE_KNL_ERRATUM_MASK: some CPUs set them in not-present entries). */
static inline bool pt_entry_none(uint64_t e)
{
	return (e & ~(_PAGE_ACCESSED | _PAGE_DIRTY)) == 0;
}

/* pXd_bad() of x86 Linux for a non-none entry at table @depth (not the
 * PTE level): flag bits a table entry may not carry.  Address bits are
 * not looked at (the kernel does not either). */
bool pt_entry_bad(const struct pt_ctx *pt, unsigned depth, uint64_t e);

enum pt_entry_kind {
	PT_ENTRY_NONE,		/* pXd_none(): nothing below */
	PT_ENTRY_TABLE,		/* a table the walk may follow */
	PT_ENTRY_LEAF,		/* a large page (only where @large allows it) */
	PT_ENTRY_BAD,		/* pXd_bad(), or its address is not the table
				 * linked from this entry: never followed */
};

/* What a software walk finds in entry @e, read at @epa, of a table at
 * @depth above the PTE level.  @large: PS makes a large page here where
 * the format has them (this layer's walks).  The process layer passes
 * false: there PS is a flag a table entry may not have (pmd_bad()), except
 * in a PMD that maps a transparent huge page, which its walkers recognise
 * first, as the kernel's test pmd_trans_huge() before pmd_bad()
 * (vma/huge_memory.c). */
enum pt_entry_kind pt_entry_kind(const struct pt_ctx *pt, unsigned depth, uint64_t epa,
				 uint64_t e, bool large);

/* pXd_clear_bad(): report @e, read at @epa (depth @depth), as the kernel
 * does (pXd_ERROR(): "mm/pgtable-generic.c:54: bad pmd ADDR(VALUE)" on
 * the console, and a bad_pgtable event), then clear the entry. */
void pt_clear_bad(struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t e);

/* The table page that hangs from the entry at @epa, whatever the entry
 * now says (its address may have been changed): 0 if there is none.  A
 * root's kernel-half entries own nothing (the kernel's tables are shared). */
uint64_t pt_owned_table(const struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t e);

/* The table a process's walk finds held by entry @e at @epa (depth
 * @depth, no large pages): a table entry's, or what a bad entry still owns
 * (pt_owned_table()); 0 for none. */
uint64_t pt_held_table(const struct pt_ctx *pt, unsigned depth, uint64_t epa, uint64_t e);

/* An entry pointing at table @table_pa (_PAGE_TABLE / _KERNPG_TABLE). */
uint64_t pt_mk_table(const struct pt_ctx *pt, uint64_t table_pa, uint64_t flags);
/* A leaf at @depth mapping @pa with @flags (_PAGE_* bits; PS is added for a
 * large leaf, NX dropped where the format has none). */
uint64_t pt_mk_leaf(const struct pt_ctx *pt, unsigned depth, uint64_t pa, uint64_t flags);

/* ---- page tables deposited for huge PMDs (mm/pgtable-generic.c) ---- */

/*
 * A PMD that maps a huge page owns a page table allocated with it and kept
 * unlinked until a split fills it with the PTEs of the pages
 * (pgtable_trans_huge_deposit()); VmPTE counts it.  Deposits hang on a
 * list in the page of the table that holds the PMD (Linux: pmd_huge_pte in
 * that table's ptdesc).  Each also records -- the simulator's own guard,
 * as page->index is for linked tables -- the entry it was deposited for
 * (page->index = entry pa | PT_LINK_DEPOSIT, which no linked table's
 * index equals) and the huge page that entry maps (page->mapping), so that
 * a walk can tell a huge PMD from a corrupted entry, and unmap the page of
 * one whose bits were changed.
 */
#define PT_LINK_DEPOSIT 1ULL

/* Deposit table @table for the huge PMD at @pmd_epa, which maps @folio.
 * A table that holds no PMD entry (not a page table) keeps no deposit:
 * the table is freed. */
void pgtable_trans_huge_deposit(struct pt_ctx *pt, uint64_t pmd_epa, uint64_t table,
				struct page *folio);
/* Take back the table deposited for @pmd_epa: its address, or 0. */
uint64_t pgtable_trans_huge_withdraw(struct pt_ctx *pt, uint64_t pmd_epa);
/* The page of the table deposited for @pmd_epa, or NULL; its ->mapping is
 * the huge page recorded with it. */
struct page *pgtable_trans_huge_deposited(const struct pt_ctx *pt, uint64_t pmd_epa);
/* How many tables are deposited in table @table (a PMD table). */
unsigned long pgtable_trans_huge_nr_deposited(const struct pt_ctx *pt, uint64_t table);
/* Call @fn with the address of each table deposited in table @table. */
void pgtable_trans_huge_for_each_deposited(const struct pt_ctx *pt, uint64_t table,
					   void (*fn)(void *arg, uint64_t deposited), void *arg);

/* ---- table pages ---- */

/* The allocation flags of table pages: a process's are charged to the
 * memory cgroup of the task allocating them (__GFP_ACCOUNT), the
 * kernel's (init_mm's) are not. */
#define GFP_PGTABLE_KERNEL	(GFP_KERNEL | __GFP_ZERO)
#define GFP_PGTABLE_USER	(GFP_PGTABLE_KERNEL | __GFP_ACCOUNT)

/* A zeroed table page (@gfp: GFP_PGTABLE_USER or _KERNEL), linked from
 * no entry yet (a root); its physical address in *pa.  -ENOMEM. */
int pt_alloc_table(struct pt_ctx *pt, gfp_t gfp, uint64_t *pa);
/* Free table page @pa, and any table still deposited in it.  A frame that
 * is not a page-table page (no PG_table, or not in RAM) is reported as a
 * bad page and not freed. */
void pt_free_table(struct pt_ctx *pt, uint64_t pa);
/* Point the entry at @epa at table @table (flags @flags) and record the
 * link in the table's page.  A table linked for the first time after boot
 * counts in NR_PAGETABLE until it is freed (pagetable_pte_ctor() and
 * friends; a root never does, as x86's pgd_alloc() pages do not); its
 * page->private is 1 while it counts. */
void pt_set_table(struct pt_ctx *pt, uint64_t epa, uint64_t table, uint64_t flags);
/* Free table @table at @depth and every table below it (not the pages
 * mapped), clearing bad entries on the way. */
void pt_free_table_tree(struct pt_ctx *pt, uint64_t table, unsigned depth);

/* A new root whose kernel half (x86_32: the top quarter from pgd_index(
 * PAGE_OFFSET); x86_64: entries 256..511) is copied from @kernel_root
 * (0: none), the rest empty -- except under PAE, where each user entry
 * gets its PMD table at once, as Linux preallocates them.  -ENOMEM. */
int pgd_alloc(struct pt_ctx *pt, uint64_t kernel_root, uint64_t *root);
/* Re-copy the kernel half into @root (after the kernel changed a root entry
 * of its own half; x86_64 never needs it once all kernel PUDs exist). */
void pgd_sync_kernel(struct pt_ctx *pt, uint64_t root, uint64_t kernel_root);
/* Free @root and every user-half table below it (not the pages mapped). */
void pgd_free(struct pt_ctx *pt, uint64_t root);
/* Free @root and every table below it, kernel half included (for the
 * kernel's own root at shutdown). */
void pt_free_tree(struct pt_ctx *pt, uint64_t root);

/*
 * The entry at @depth for @va, allocating the missing tables above it
 * (pud_alloc/pmd_alloc/pte_alloc).  New table entries get @table_flags.
 * -EEXIST if a leaf (large page) above @depth maps @va, -ENOMEM.
 */
int pt_alloc_entry(struct pt_ctx *pt, uint64_t root, uint64_t va, unsigned depth,
		   uint64_t table_flags, uint64_t *entry_pa);

static inline int pud_alloc(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t *epa)
{
	return pt_alloc_entry(pt, root, va, (unsigned)pt->fmt->depth_of[PT_PUD], _PAGE_TABLE, epa);
}
static inline int pmd_alloc(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t *epa)
{
	return pt_alloc_entry(pt, root, va, (unsigned)pt->fmt->depth_of[PT_PMD], _PAGE_TABLE, epa);
}
static inline int pte_alloc(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t *epa)
{
	return pt_alloc_entry(pt, root, va, (unsigned)pt->fmt->depth_of[PT_PTE], _PAGE_TABLE, epa);
}

/* The path the hardware walk takes for @va: entries from the root down to
 * the leaf or to the first non-present entry (a table outside RAM reads as
 * all ones, as the bus returns).  n = entries on the path.  Changes
 * nothing: for the `pte` op and the views. */
struct pt_path {
	unsigned n;
	uint64_t epa[PT_MAX_LEVELS];
	uint64_t e[PT_MAX_LEVELS];
	bool leaf;		/* the last entry is a present leaf */
};

void pt_lookup(const struct pt_ctx *pt, uint64_t root, uint64_t va, struct pt_path *p);

/* ---- mapping ---- */

/* Map one page of size 2^shift (a leaf at the depth of that shift) at @va
 * to @pa.  Overwrites a leaf already there.  -EINVAL if misaligned or the
 * size is not a leaf size; -EEXIST if a larger leaf or, for a large page,
 * a table is in the way; -ENOMEM. */
int pt_map(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t pa, unsigned shift,
	   uint64_t flags, uint64_t table_flags);

/* Map [va, va+size) to [pa, ...) with the largest pages up to 2^max_shift
 * that alignment allows (as the kernel's direct map does). */
int pt_map_range(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t pa, uint64_t size,
		 uint64_t flags, uint64_t table_flags, unsigned max_shift);

/* Clear the leaf mapping @va; its old value in *old (0: nothing mapped). */
void pt_unmap(struct pt_ctx *pt, uint64_t root, uint64_t va, uint64_t *old);

/* free_pgd_range: free every table under @root covering only addresses in
 * [start, last] that has no present entry left, and clear the entries that
 * pointed at them.  The root itself stays. */
void pt_free_empty(struct pt_ctx *pt, uint64_t root, uint64_t start, uint64_t last);

/* Visit present entries covering [start, last] (inclusive, so the whole
 * space is 0..~0), top-down, in address order.  @fn gets the first va the
 * entry covers; a non-zero return stops the walk and is returned.  A bad
 * entry is visited (leaf = false) but not followed, nor cleared: the
 * visitors are views and checkers. */
typedef int (*pt_visit_fn)(void *arg, uint64_t va, unsigned depth, uint64_t entry_pa,
			   uint64_t e, bool leaf);
int pt_walk_range(const struct pt_ctx *pt, uint64_t root, uint64_t start, uint64_t last,
		  pt_visit_fn fn, void *arg);

#endif
