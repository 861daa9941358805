/*
 * Page-table entry formats: a data description of each x86 paging mode that
 * the one generic walker (walk.c) and the table editor (pgtable.c) read.
 * Adding PAE or 5-level paging is a new struct pt_format, not new code.
 *
 * Depth 0 is the root (CR3 points at it); depth levels-1 holds PTEs.
 *
 *   format   depth: 0        1        2       3      entry  va bits
 *   x86_32          PGD/PD   PTE/PT                  4 B    10/10/12
 *   x86_64          PGD/PML4 PUD/PDPT PMD/PD  PTE/PT 8 B    9/9/9/9/12
 *
 * Entry bits (both formats share the low 12):
 *   0 P | 1 RW | 2 US | 3 PWT | 4 PCD | 5 A | 6 D | 7 PS (PAT in a PTE)
 *   8 G | 11..9 ignored | 12.. address | 63 NX (x86_64 only)
 * A large x86_32 (PSE) PDE keeps physical bits 39..32 in entry bits 20..13
 * (PSE-36); bit 21 is always reserved.
 */
#ifndef VMSIM_MMU_PGFORMAT_H
#define VMSIM_MMU_PGFORMAT_H

#include <stdbool.h>
#include <stdint.h>

#define PT_MAX_LEVELS 4

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

/* Linux's level names; on x86_32 PUD and PMD fold into the PGD. */
enum pt_level { PT_PGD, PT_PUD, PT_PMD, PT_PTE, PT_NR_LEVELS };

struct pt_level_desc {
	const char *name;	/* Linux name of this depth: "pgd", "pud", ... */
	const char *intel;	/* Intel name: "PML4E", "PDPTE", "PDE", "PTE" */
	uint8_t shift;		/* lowest va bit this depth's index covers */
	uint8_t bits;		/* index width: 9 or 10 */
	bool large;		/* PS=1 makes a leaf here (format allows it) */
};

struct pt_format {
	const char *name;		/* "x86_32", "x86_64" */
	unsigned levels;		/* 2 or 4 */
	unsigned entry_size;		/* 4 or 8 bytes */
	unsigned va_bits;		/* 32, or 48 (canonical: sign-extended) */
	unsigned max_phys_bits;		/* 40 (PSE-36) or 52 */
	uint64_t entry_addr_mask;	/* bits that can hold a table/page address */
	uint64_t nx_bit;		/* _PAGE_NX, or 0 when the format has none */
	/* PSE-36: a large leaf's physical bits [hi_dst, hi_dst+hi_bits) come
	 * from entry bits [hi_src, hi_src+hi_bits); 0 bits = none. */
	uint8_t large_hi_src, large_hi_bits, large_hi_dst;
	bool large_needs_pse;		/* PS is honoured only with CR4.PSE (x86_32);
					 * without it PS is ignored, not reserved */
	struct pt_level_desc lvl[PT_MAX_LEVELS];
	int8_t depth_of[PT_NR_LEVELS];	/* enum pt_level -> depth */
};

/*
 * The two formats' descriptions, as initializers: pgformat.c defines the
 * objects everyone points at, and the walker makes private constant copies
 * so the compiler can fold a format's numbers into its one generic loop.
 */
#define PT_FORMAT_X86_32_INIT {						\
	.name = "x86_32",						\
	.levels = 2,							\
	.entry_size = 4,						\
	.va_bits = 32,							\
	.max_phys_bits = 40,		/* PSE-36 */			\
	.entry_addr_mask = 0xfffff000ULL,				\
	.nx_bit = 0,							\
	.large_hi_src = 13, .large_hi_bits = 8, .large_hi_dst = 32,	\
	.large_needs_pse = true,					\
	.lvl = {							\
		{ "pgd", "PDE", 22, 10, true },	/* 4 MiB with CR4.PSE */ \
		{ "pte", "PTE", 12, 10, false },			\
	},								\
	/* pud and pmd fold into the pgd, as in pgtable-nopmd.h */	\
	.depth_of = { [PT_PGD] = 0, [PT_PUD] = 0, [PT_PMD] = 0, [PT_PTE] = 1 }, \
}

#define PT_FORMAT_X86_64_INIT {						\
	.name = "x86_64",						\
	.levels = 4,							\
	.entry_size = 8,						\
	.va_bits = 48,							\
	.max_phys_bits = 52,						\
	.entry_addr_mask = 0x000ffffffffff000ULL,			\
	.nx_bit = _PAGE_NX,						\
	.lvl = {							\
		{ "pgd", "PML4E", 39, 9, false },			\
		{ "pud", "PDPTE", 30, 9, true },	/* 1 GiB pages */ \
		{ "pmd", "PDE", 21, 9, true },		/* 2 MiB pages */ \
		{ "pte", "PTE", 12, 9, false },				\
	},								\
	.depth_of = { [PT_PGD] = 0, [PT_PUD] = 1, [PT_PMD] = 2, [PT_PTE] = 3 }, \
}

extern const struct pt_format pt_format_x86_32;
extern const struct pt_format pt_format_x86_64;

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

/* The format of @arch-named machine, NULL if none. */
const struct pt_format *pt_format_by_name(const char *name);

#endif
