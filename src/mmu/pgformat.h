/*
 * Page-table entry formats: a data description of each x86 paging mode that
 * the one generic walker (walk.c) and the table editor (pgtable.c) read.
 * A paging mode is a struct pt_format, not code: PAE and 5-level paging are
 * two more descriptions read by the same walker and editor.
 *
 * Depth 0 is the root (CR3 points at it); depth levels-1 holds PTEs.
 *
 *   format      depth: 0         1         2        3       4      entry  va bits
 *   x86_32 (2-level)   pgd/PD    pte/PT                            4 B    10/10/12
 *   pae                pgd/PDPT  pmd/PD    pte/PT                  8 B    2/9/9/12
 *   x86_64 (4-level)   pgd/PML4  pud/PDPT  pmd/PD   pte/PT         8 B    9/9/9/9/12
 *   la57 (5-level)     pgd/PML5  p4d/PML4  pud/PDPT pmd/PD  pte/PT 8 B    9/9/9/9/9/12
 *
 * What a format may say about a level, besides its index bits: whether PS
 * makes a leaf there, bits reserved there beyond the common rules
 * (rsvd), bits the level does not have but the walk treats as set
 * (implied: PAE's PDPTEs have no R/W, U/S or A), and for the root whether
 * its entries are loaded into registers at the CR3 load (root_regs, PAE's
 * four PDPTEs) and which CR3 bits hold its address (root_addr_mask, 32-byte
 * aligned under PAE).  A 5-level format is one more level.
 *
 * Entry bits (every format shares the low 12):
 *   0 P | 1 RW | 2 US | 3 PWT | 4 PCD | 5 A | 6 D | 7 PS (PAT in a PTE)
 *   8 G | 11..9 ignored | 12.. address | 63 NX (8-byte entries)
 * A large x86_32 (PSE) PDE keeps physical bits 39..32 in entry bits 20..13
 * (PSE-36); bit 21 is always reserved.
 *
 * PAE's four PDPTEs are not read by the walk: the CPU loads them into
 * registers when CR3 is written (pt_format.root_regs), and a PDPTE has no
 * R/W, U/S, A or NX -- those bits are reserved there (lvl[0].rsvd) and
 * count as set for the walk's combined rights (lvl[0].implied).
 */
#ifndef VMSIM_MMU_PGFORMAT_H
#define VMSIM_MMU_PGFORMAT_H

#include <stdbool.h>
#include <stdint.h>

#define PT_MAX_LEVELS 5	/* LA57 */

/* Entry bits, Linux's names (arch/x86/include/asm/pgtable_types.h). */
#define _PAGE_PRESENT	(1ULL << 0)
#define _PAGE_RW	(1ULL << 1)
#define _PAGE_USER	(1ULL << 2)
#define _PAGE_PWT	(1ULL << 3)
#define _PAGE_PCD	(1ULL << 4)
#define _PAGE_ACCESSED	(1ULL << 5)
#define _PAGE_DIRTY	(1ULL << 6)
#define _PAGE_PSE	(1ULL << 7)
#define _PAGE_GLOBAL	(1ULL << 8)
#define _PAGE_NX	(1ULL << 63)

/* Linux's protection sets (pgtable_types.h), for the kernel's own maps. */
#define _PAGE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define __PAGE_KERNEL	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | \
			 _PAGE_GLOBAL | _PAGE_NX)
#define __PAGE_KERNEL_EXEC (__PAGE_KERNEL & ~_PAGE_NX)
#define __PAGE_KERNEL_LARGE (__PAGE_KERNEL | _PAGE_PSE)
#define __PAGE_KERNEL_LARGE_EXEC (__PAGE_KERNEL_EXEC | _PAGE_PSE)

/* Linux's level names; a level the format lacks folds into the one above
 * (x86_32: p4d, pud and pmd into the pgd; PAE: p4d and pud; x86_64: p4d). */
enum pt_level { PT_PGD, PT_P4D, PT_PUD, PT_PMD, PT_PTE, PT_NR_LEVELS };

/* "pgd" "p4d" "pud" "pmd" "pte" */
extern const char *const pt_level_names[PT_NR_LEVELS];

struct pt_level_desc {
	const char *name;	/* Linux name of this depth: "pgd", "pud", ... */
	const char *intel;	/* Intel name: "PML4E", "PDPTE", "PDE", "PTE" */
	uint8_t shift;		/* lowest va bit this depth's index covers */
	uint8_t bits;		/* index width: 2 (PAE PDPT), 9 or 10 */
	bool large;		/* PS=1 makes a leaf here (format allows it) */
	uint64_t rsvd;		/* bits reserved here beyond MAXPHYADDR, NX and PS
				 * (PAE PDPTE: 2:1, 8:5, 63) */
	uint64_t implied;	/* bits the entry lacks but the walk counts as set
				 * (PAE PDPTE: R/W, U/S and A) */
	uint64_t table_flags;	/* flags a table entry here may carry, 0: any
				 * (PAE PDPTE: P, PWT, PCD -- pud_populate()) */
};

/*
 * Swap entries in non-present PTEs, as the arch encodes them
 * (arch/x86/include/asm/pgtable_64.h, pgtable-3level.h, pgtable-2level.h):
 *
 *   x86_64, la57: | type 63..59 | ~offset 58..9 | 0 (G) | 0 (PS) | X X | E 3 | 2 1 | 0 (P) |
 *   pae:          | type 63..59 | ~offset 58..9 | 0 (G) | E 7 | 6..1 0 | 0 (P) |
 *                 the offset stored inverted (L1TF: its "pfn" points past RAM)
 *   x86_32:       | offset 31..9 | 0 (G) | E 7 | . | type 5..1 | 0 (P) |
 *
 * E is _PAGE_SWP_EXCLUSIVE (PWT on x86_64, PS on 32-bit kernels): the page
 * was exclusive to this PTE when it left (PG_anon_exclusive).  On PAE the
 * PTE field holds 50 offset bits but the 32-bit swp_entry_t keeps only
 * BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT = 26 of them (max_offset_bits).
 */
struct pt_swp_format {
	uint8_t type_shift, type_bits;	/* type = (pte >> type_shift) & mask */
	uint8_t offset_shift, offset_bits;
	bool offset_inverted;
	uint8_t exclusive_bit;
	uint8_t max_offset_bits;	/* swp_entry_t's offset width (SWP_TYPE_SHIFT) */
};

struct pt_format {
	const char *name;		/* "x86_32", "pae", "x86_64", "la57" */
	const char *mode;		/* Linux's name: "2-level paging", "PAE paging", ... */
	unsigned levels;		/* 2 .. PT_MAX_LEVELS */
	unsigned entry_size;		/* 4 or 8 bytes */
	unsigned va_bits;		/* 32, or 48/57 (canonical: sign-extended) */
	unsigned max_phys_bits;		/* 40 (PSE-36) or 52 */
	unsigned kernel_phys_bits;	/* __PHYSICAL_MASK_SHIFT: PTE_PFN_MASK's top */
	uint64_t entry_addr_mask;	/* bits that can hold a table/page address */
	uint64_t root_addr_mask;	/* CR3 bits that hold the root table's address */
	unsigned root_regs;		/* root entries loaded into registers at the
					 * CR3 load (PAE: 4), else 0 */
	uint64_t nx_bit;		/* _PAGE_NX, or 0 when the format has none */
	/* PSE-36: a large leaf's physical bits [hi_dst, hi_dst+hi_bits) come
	 * from entry bits [hi_src, hi_src+hi_bits); 0 bits = none. */
	uint8_t large_hi_src, large_hi_bits, large_hi_dst;
	bool large_needs_pse;		/* PS is honoured only with CR4.PSE (x86_32);
					 * without it PS is ignored, not reserved */
	struct pt_level_desc lvl[PT_MAX_LEVELS];
	int8_t depth_of[PT_NR_LEVELS];	/* enum pt_level -> depth */
	struct pt_swp_format swp;	/* swap entries in non-present PTEs */
};

/* The most root entries a format loads at the CR3 load (PAE's PDPTEs). */
#define PT_ROOT_REGS 4

/* The formats' descriptions, as initializers (pgformat.c defines the
 * objects everyone points at). */
#define PT_FORMAT_X86_32_INIT {						\
	.name = "x86_32",						\
	.mode = "2-level paging",					\
	.levels = 2,							\
	.entry_size = 4,						\
	.va_bits = 32,							\
	.max_phys_bits = 40,		/* PSE-36 */			\
	.kernel_phys_bits = 32,						\
	.entry_addr_mask = 0xfffff000ULL,				\
	.root_addr_mask = 0xfffff000ULL,				\
	.nx_bit = 0,							\
	.large_hi_src = 13, .large_hi_bits = 8, .large_hi_dst = 32,	\
	.large_needs_pse = true,					\
	.lvl = {							\
		{ "pgd", "PDE", 22, 10, true, 0, 0, 0 }, /* 4 MiB with CR4.PSE */ \
		{ "pte", "PTE", 12, 10, false, 0, 0, 0 },		\
	},								\
	/* p4d, pud and pmd fold into the pgd, as in pgtable-nopmd.h */ \
	.depth_of = { [PT_PGD] = 0, [PT_P4D] = 0, [PT_PUD] = 0, [PT_PMD] = 0, \
		      [PT_PTE] = 1 },					\
	/* pgtable-2level.h: type at _PAGE_BIT_PRESENT + 1, offset above \
	 * _PAGE_BIT_PROTNONE, E in PS */				\
	.swp = { .type_shift = 1, .type_bits = 5, .offset_shift = 9,	\
		 .offset_bits = 23, .offset_inverted = false, .exclusive_bit = 7, \
		 .max_offset_bits = 26 },				\
}

/* What the three formats with 8-byte entries share: 12..51 address bits
 * in an entry, NX in bit 63, and below the root the PDPTE/PDE/PTE levels
 * of long mode (PAE has the last two); the swap entry of pgtable_64.h and
 * pgtable-3level.h: type in the top 5 bits, the offset inverted from
 * SWP_OFFSET_FIRST_BIT (_PAGE_BIT_PROTNONE + 1). */
#define PT_ENTRY_8_INIT							\
	.entry_size = 8,						\
	.max_phys_bits = 52,						\
	.entry_addr_mask = 0x000ffffffffff000ULL,			\
	.nx_bit = _PAGE_NX
#define PT_LVL_PUD { "pud", "PDPTE", 30, 9, true, 0, 0, 0 }	/* 1 GiB pages */
#define PT_LVL_PMD { "pmd", "PDE", 21, 9, true, 0, 0, 0 }	/* 2 MiB pages */
#define PT_LVL_PTE { "pte", "PTE", 12, 9, false, 0, 0, 0 }
#define PT_SWP_8(excl, max) { .type_shift = 59, .type_bits = 5, .offset_shift = 9, \
			      .offset_bits = 50, .offset_inverted = true,	\
			      .exclusive_bit = (excl), .max_offset_bits = (max) }

/* PAE: the PDPT holds 4 entries of which only P, PWT, PCD and the address
 * are defined (SDM 4.4.1: bits 2:1, 8:5 and 63 reserved); pgtable-3level.h
 * for the rest.  __PHYSICAL_MASK_SHIFT is 44 (page_32_types.h: the pfn
 * must fit an unsigned long). */
#define PT_PDPTE_RSVD ((1ULL << 1) | (1ULL << 2) | (0xfULL << 5) | (1ULL << 63))
#define PT_FORMAT_PAE_INIT {						\
	.name = "pae",							\
	.mode = "PAE paging",						\
	.levels = 3,							\
	.va_bits = 32,							\
	PT_ENTRY_8_INIT,						\
	.kernel_phys_bits = 44,						\
	.root_addr_mask = 0xffffffe0ULL,	/* CR3 31:5 */		\
	.root_regs = 4,			/* the PDPTE registers */	\
	.lvl = {							\
		{ "pgd", "PDPTE", 30, 2, false, PT_PDPTE_RSVD,		\
		  _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED,		\
		  _PAGE_PRESENT | _PAGE_PWT | _PAGE_PCD },		\
		PT_LVL_PMD, PT_LVL_PTE,					\
	},								\
	/* p4d and pud fold into the pgd (pgtable-nop4d.h, -nopud.h) */ \
	.depth_of = { [PT_PGD] = 0, [PT_P4D] = 0, [PT_PUD] = 0, [PT_PMD] = 1, \
		      [PT_PTE] = 2 },					\
	/* E in PS; a 32-bit swp_entry_t keeps 26 offset bits */	\
	.swp = PT_SWP_8(7, 26),						\
}

#define PT_FORMAT_X86_64_INIT {						\
	.name = "x86_64",						\
	.mode = "4-level paging",					\
	.levels = 4,							\
	.va_bits = 48,							\
	PT_ENTRY_8_INIT,						\
	.kernel_phys_bits = 52,						\
	.root_addr_mask = 0x000ffffffffff000ULL,			\
	.lvl = {							\
		{ "pgd", "PML4E", 39, 9, false, 0, 0, 0 },		\
		PT_LVL_PUD, PT_LVL_PMD, PT_LVL_PTE,			\
	},								\
	/* the p4d folds into the pgd at run time (pgtable_l5_enabled()) */ \
	.depth_of = { [PT_PGD] = 0, [PT_P4D] = 0, [PT_PUD] = 1, [PT_PMD] = 2, \
		      [PT_PTE] = 3 },					\
	.swp = PT_SWP_8(3, 58),		/* E in PWT */			\
}

/* 5-level paging (CR4.LA57): a PML5 above the PML4, 57-bit addresses
 * canonical when bits 63..57 copy bit 56. */
#define PT_FORMAT_LA57_INIT {						\
	.name = "la57",							\
	.mode = "5-level paging",					\
	.levels = 5,							\
	.va_bits = 57,							\
	PT_ENTRY_8_INIT,						\
	.kernel_phys_bits = 52,						\
	.root_addr_mask = 0x000ffffffffff000ULL,			\
	.lvl = {							\
		{ "pgd", "PML5E", 48, 9, false, 0, 0, 0 },		\
		{ "p4d", "PML4E", 39, 9, false, 0, 0, 0 },		\
		PT_LVL_PUD, PT_LVL_PMD, PT_LVL_PTE,			\
	},								\
	.depth_of = { [PT_PGD] = 0, [PT_P4D] = 1, [PT_PUD] = 2, [PT_PMD] = 3, \
		      [PT_PTE] = 4 },					\
	.swp = PT_SWP_8(3, 58),						\
}

extern const struct pt_format pt_format_x86_32;
extern const struct pt_format pt_format_pae;
extern const struct pt_format pt_format_x86_64;
extern const struct pt_format pt_format_la57;

/* Index of @va in a table at @depth. */
static inline unsigned pt_index(const struct pt_format *f, unsigned depth, uint64_t va)
{
	return (unsigned)(va >> f->lvl[depth].shift) & ((1u << f->lvl[depth].bits) - 1);
}

/* Bytes mapped by one entry at @depth (the page size of a leaf there). */
static inline uint64_t pt_entry_span(const struct pt_format *f, unsigned depth)
{
	return 1ULL << f->lvl[depth].shift;
}

/* Entries in one table. */
static inline unsigned pt_ptrs_per_table(const struct pt_format *f, unsigned depth)
{
	return 1u << f->lvl[depth].bits;
}

/* Is @va representable (x86_32: below 4 GiB; x86_64: canonical)? */
static inline bool pt_va_canonical(const struct pt_format *f, uint64_t va)
{
	if (f->va_bits == 64)
		return true;
	if (f->va_bits == 32)
		return va >> 32 == 0;
	return (uint64_t)((int64_t)(va << (64 - f->va_bits)) >> (64 - f->va_bits)) == va;
}

/* Sign-extend a va built from indexes into canonical form (x86_64);
 * x86_32 keeps 32 bits. */
static inline uint64_t pt_canonical(const struct pt_format *f, uint64_t va)
{
	if (f->va_bits >= 64)
		return va;
	if (f->va_bits == 32)
		return va & 0xffffffffULL;
	return (uint64_t)((int64_t)(va << (64 - f->va_bits)) >> (64 - f->va_bits));
}

/* Name <-> bit of an entry flag: "P" "RW" "US" "PWT" "PCD" "A" "D" "PS" "G"
 * "NX" or "bitN".  Returns the bit number, or -1 if unknown / beyond the
 * entry size. */
int pt_flag_bit(const struct pt_format *f, const char *name);
/* Short flag names of @e, e.g. "P RW US A D" (NX and reserved-looking high
 * bits are named too).  Writes at most @len bytes, NUL included. */
void pt_flags_str(const struct pt_format *f, uint64_t e, unsigned depth, char *buf, unsigned len);

/* ---- swap entries (see struct pt_swp_format) ---- */

/* _PAGE_PROTNONE: a PROT_NONE page's non-present PTE (G's place) */
#define _PAGE_BIT_PROTNONE 8

/* pte_none() / pte_present() as x86 Linux defines them for a PTE. */
static inline bool pte_none_x86(uint64_t pte)
{
	return (pte & ~((1ULL << 5) | (1ULL << 6))) == 0;	/* A and D ignored */
}

static inline bool pte_present_x86(uint64_t pte)
{
	return pte & ((1ULL << 0) | (1ULL << _PAGE_BIT_PROTNONE));
}

/* is_swap_pte(): neither none nor present. */
static inline bool is_swap_pte(uint64_t pte)
{
	return !pte_none_x86(pte) && !pte_present_x86(pte);
}

/* __swp_entry() + swp_entry_to_pte() (+ pte_swp_mkexclusive()). */
static inline uint64_t pt_swp_entry_to_pte(const struct pt_format *f, unsigned type,
					   uint64_t offset, bool exclusive)
{
	const struct pt_swp_format *s = &f->swp;
	uint64_t omask = (1ULL << s->offset_bits) - 1;
	uint64_t off = (s->offset_inverted ? ~offset : offset) & omask;
	uint64_t v = (off << s->offset_shift) |
		     ((uint64_t)(type & ((1u << s->type_bits) - 1)) << s->type_shift);

	return exclusive ? v | (1ULL << s->exclusive_bit) : v;
}

static inline unsigned pt_pte_swp_type(const struct pt_format *f, uint64_t pte)
{
	return (unsigned)((pte >> f->swp.type_shift) & ((1u << f->swp.type_bits) - 1));
}

static inline uint64_t pt_pte_swp_offset(const struct pt_format *f, uint64_t pte)
{
	const struct pt_swp_format *s = &f->swp;
	uint64_t v = (pte >> s->offset_shift) & ((1ULL << s->offset_bits) - 1);

	return s->offset_inverted ? ~v & ((1ULL << s->offset_bits) - 1) : v;
}

static inline bool pt_pte_swp_exclusive(const struct pt_format *f, uint64_t pte)
{
	return (pte >> f->swp.exclusive_bit) & 1;
}

/* The largest offset the format can hold (the swap area limit): the PTE
 * field, or swp_entry_t's offset where that is narrower. */
static inline uint64_t pt_swp_max_offset(const struct pt_format *f)
{
	unsigned b = f->swp.offset_bits < f->swp.max_offset_bits ? f->swp.offset_bits
								   : f->swp.max_offset_bits;

	return (1ULL << b) - 1;
}

/* The format named @name ("x86_32", "pae", "x86_64", "la57"), NULL if none. */
const struct pt_format *pt_format_by_name(const char *name);

/* The format a machine config runs (its arch and cpu.paging). */
struct vmsim_config;
const struct pt_format *pt_format_of(const struct vmsim_config *c);

/* The depth of Linux level @l in @f, or -1 when it folds into the level
 * above (x86_64's p4d, x86_32's pud and pmd). */
static inline int pt_level_depth(const struct pt_format *f, enum pt_level l)
{
	const int d = f->depth_of[l];

	return l == PT_PGD || d != f->depth_of[l - 1] ? d : -1;
}

#endif
