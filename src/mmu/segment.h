/*
 * Segmentation: the first step of an x86 translation, logical (SEG:OFFSET)
 * -> linear, before paging makes the linear address physical.
 *
 * Each CPU has six segment registers, a visible 16-bit selector and the
 * hidden descriptor cache the CPU fills when a selector is loaded (SDM
 * vol. 3 3.4.3), and GDTR/LDTR naming the descriptor tables, which live in
 * simulated RAM in the real 8-byte format (16 bytes for a system descriptor
 * in long mode).  Loads and accesses are checked as the SDM says: a fault
 * is a struct seg_fault (#GP, #NP, #SS or a #PF while reading a table), a
 * result, not an error.
 *
 * Linux runs a flat model (base 0, limit 4 GiB, or no limits at all in
 * 64-bit mode), so segmentation is the identity for every ordinary access
 * and translate() never looks at it: these functions are called only when
 * a logical address is asked for.
 */
#ifndef VMSIM_MMU_SEGMENT_H
#define VMSIM_MMU_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

/* The segment registers in the SDM's encoding (the Sreg field). */
enum seg_reg {
	VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS, VCPU_SREG_DS, VCPU_SREG_FS, VCPU_SREG_GS,
	NR_SREGS
};

/*
 * One descriptor as it sits in a table (arch/x86/include/asm/desc_defs.h):
 *   a: 31..16 base 15..0      | 15..0 limit 15..0
 *   b: 31..24 base 31..24 | 23 G | 22 D/B | 21 L | 20 AVL | 19..16 limit
 *      19..16 | 15 P | 14..13 DPL | 12 S | 11..8 type | 7..0 base 23..16
 */
struct desc_struct {
	uint32_t a, b;
};

/* Descriptor flags as GDT_ENTRY_INIT() takes them: the access byte in
 * bits 7..0, AVL L D G in bits 12..15. */
#define _DESC_ACCESSED		0x0001
#define _DESC_DATA_WRITABLE	0x0002
#define _DESC_CODE_READABLE	0x0002
#define _DESC_DATA_EXPAND_DOWN	0x0004
#define _DESC_CODE_CONFORMING	0x0004
#define _DESC_CODE_EXECUTABLE	0x0008
#define _DESC_S			0x0010
#define _DESC_DPL(dpl)		((dpl) << 5)
#define _DESC_PRESENT		0x0080
#define _DESC_LONG_CODE		0x2000
#define _DESC_DB		0x4000
#define _DESC_GRANULARITY_4K	0x8000

#define DESC_DATA16	(_DESC_S | _DESC_PRESENT | _DESC_ACCESSED | _DESC_DATA_WRITABLE)
#define DESC_DATA32	(DESC_DATA16 | _DESC_GRANULARITY_4K | _DESC_DB)
#define DESC_DATA32_BIOS (DESC_DATA16 | _DESC_DB)
#define DESC_USER	(_DESC_DPL(3))
#define DESC_DATA64	(DESC_DATA32)
#define DESC_CODE16	(_DESC_S | _DESC_PRESENT | _DESC_ACCESSED | _DESC_CODE_EXECUTABLE | \
			 _DESC_CODE_READABLE)
#define DESC_CODE32	(DESC_CODE16 | _DESC_GRANULARITY_4K | _DESC_DB)
#define DESC_CODE32_BIOS (DESC_CODE16 | _DESC_DB)
#define DESC_CODE64	(DESC_CODE16 | _DESC_GRANULARITY_4K | _DESC_LONG_CODE)

/* System descriptor types (S = 0) */
#define DESC_LDT	0x2
#define DESC_TSS	0x9	/* available 32/64-bit TSS; 0xb busy */

/* GDT_ENTRY_INIT(flags, base, limit): the kernel's initializer. */
static inline struct desc_struct GDT_ENTRY_INIT(uint32_t flags, uint32_t base, uint32_t limit)
{
	struct desc_struct d = {
		.a = (limit & 0xffff) | (base & 0xffff) << 16,
		.b = (base >> 16 & 0xff) | (flags & 0xf0ff) << 8 | (limit & 0xf0000) |
		     (base & 0xff000000),
	};

	return d;
}

static inline uint64_t desc_u64(const struct desc_struct *d)
{
	return (uint64_t)d->b << 32 | d->a;
}

static inline uint32_t get_desc_base(const struct desc_struct *d)
{
	return (d->a >> 16) | (d->b & 0xff) << 16 | (d->b & 0xff000000);
}

/* The 20-bit limit field (not scaled by G). */
static inline uint32_t get_desc_limit(const struct desc_struct *d)
{
	return (d->a & 0xffff) | (d->b & 0xf0000);
}

static inline void set_desc_base(struct desc_struct *d, uint32_t base)
{
	d->a = (d->a & 0xffff) | (base & 0xffff) << 16;
	d->b = (d->b & 0x00ffff00) | (base >> 16 & 0xff) | (base & 0xff000000);
}

static inline void set_desc_limit(struct desc_struct *d, uint32_t limit)
{
	d->a = (d->a & 0xffff0000) | (limit & 0xffff);
	d->b = (d->b & ~0xf0000u) | (limit & 0xf0000);
}

static inline unsigned desc_type(const struct desc_struct *d) { return d->b >> 8 & 0xf; }
static inline bool desc_s(const struct desc_struct *d) { return d->b >> 12 & 1; }
static inline unsigned desc_dpl(const struct desc_struct *d) { return d->b >> 13 & 3; }
static inline bool desc_p(const struct desc_struct *d) { return d->b >> 15 & 1; }
static inline bool desc_avl(const struct desc_struct *d) { return d->b >> 20 & 1; }
static inline bool desc_l(const struct desc_struct *d) { return d->b >> 21 & 1; }
static inline bool desc_d(const struct desc_struct *d) { return d->b >> 22 & 1; }
static inline bool desc_g(const struct desc_struct *d) { return d->b >> 23 & 1; }

/* Code/data type bits (S = 1) */
#define SEG_TYPE_ACCESSED	0x1
#define SEG_TYPE_WRITABLE	0x2	/* data */
#define SEG_TYPE_READABLE	0x2	/* code */
#define SEG_TYPE_EXPAND_DOWN	0x4	/* data */
#define SEG_TYPE_CONFORMING	0x4	/* code */
#define SEG_TYPE_CODE		0x8

/* A selector: 15..3 index | 2 TI (1: LDT) | 1..0 RPL */
#define SEGMENT_RPL_MASK	0x3
#define SEGMENT_TI_MASK		0x4
#define SEGMENT_LDT		0x4
#define SEGMENT_GDT		0x0
#define SEGMENT_INDEX_SHIFT	3

/* A segment register: the selector and its hidden descriptor cache, with
 * the limit already scaled by G (the byte limit the checks use). */
struct segment {
	uint16_t selector;
	uint64_t base;		/* 32 bits, but FS/GS in long mode hold 64 */
	uint32_t limit;
	uint8_t type;		/* 4 bits */
	uint8_t dpl;
	bool s, p, db, l, g, avl;
	bool unusable;		/* loaded with a null selector */
};

/* GDTR (struct desc_ptr): the table's linear address and size - 1. */
struct desc_ptr {
	uint16_t size;
	uint64_t address;
};

/* Per-CPU segmentation state: kept in struct vmsim_cpu. */
struct seg_state {
	struct segment sreg[NR_SREGS];
	struct segment ldtr;	/* base/limit of the LDT, unusable when null */
	struct desc_ptr gdtr;
	bool lma;		/* EFER.LMA: long mode (x86_64 machines) */
};

/* The exceptions segmentation raises (arch/x86/include/asm/trapnr.h). */
#define X86_TRAP_NP	11
#define X86_TRAP_SS	12
#define X86_TRAP_GP	13
#define X86_TRAP_PF	14

struct seg_fault {
	unsigned vector;	/* X86_TRAP_* */
	uint32_t error_code;	/* #GP/#NP/#SS: selector & ~3 or 0; #PF: X86_PF_* */
	uint64_t cr2;		/* #PF: the descriptor's linear address */
	const char *why;	/* the SDM condition that raised it */
};

/* What a descriptor fetch read, for --explain. */
struct seg_trace {
	bool read;		/* a descriptor was read from a table */
	uint64_t table;		/* the table's linear base */
	uint64_t desc_la;	/* the descriptor's linear address */
	uint64_t desc_pa;	/* and its physical one */
	struct desc_struct desc;
};

struct vmsim_cpu;

/* "es" .. "gs" -> the register, or -1. */
int seg_reg_from_name(const char *name);
extern const char *const seg_reg_name[NR_SREGS];

/* Current privilege level: CS.RPL. */
unsigned seg_cpl(const struct vmsim_cpu *cpu);
/* 64-bit mode: long mode with a CS whose L bit is set. */
bool seg_64bit_mode(const struct vmsim_cpu *cpu);

/* Boot state: GDTR empty, LDTR null, every register flat with selector 0
 * at CPL 0 (what the kernel replaces while it sets its GDT up). */
void seg_reset(struct vmsim_cpu *cpu);

/* LGDT.  (The size is the table's limit, bytes - 1.) */
void seg_lgdt(struct vmsim_cpu *cpu, uint64_t address, uint16_t size);

/*
 * Fetch descriptor @sel from the GDT or LDT through paging (a supervisor
 * read, walked without side effects) into *d: 0, or -1 with *f (#GP(sel)
 * beyond the table's limit or for an LDT selector with no LDT, #PF if the
 * table is not mapped).
 */
int seg_read_desc(struct vmsim_cpu *cpu, uint16_t sel, struct desc_struct *d,
		  struct seg_trace *t, struct seg_fault *f);

/*
 * MOV/POP to DS, ES, FS, GS or SS: the SDM's checks, then the selector and
 * descriptor cache are loaded (and the descriptor's accessed bit set in
 * RAM).  A null selector makes DS..GS unusable; SS refuses it except in
 * 64-bit mode at CPL < 3 with RPL = CPL.  0, or -1 with *f and the
 * register unchanged.  @t (may be NULL) records the descriptor read.
 * With @out the cache goes there and the register stays; @peek: the checks
 * only (no accessed-bit write, nothing loaded), for --explain.
 */
int load_segment(struct vmsim_cpu *cpu, enum seg_reg r, uint16_t sel, bool peek,
		 struct segment *out, struct seg_trace *t, struct seg_fault *f);

/*
 * A far return (RET far / IRET) to @cs at the same or an outer privilege
 * level, with @ss loaded from the stack when the level changes: CPL
 * becomes @cs's RPL, and DS/ES/FS/GS that the new level may not use are
 * nulled.  0, or -1 with *f and nothing changed.
 */
int seg_far_return(struct vmsim_cpu *cpu, uint16_t cs, uint16_t ss, struct seg_fault *f);

/* SYSCALL (x86_64) / SYSENTER (x86_32) into the kernel: CS = @kernel_cs,
 * SS = @kernel_cs + 8, with the fixed flat caches the instruction loads
 * (no table read), CPL 0. */
void seg_syscall(struct vmsim_cpu *cpu, uint16_t kernel_cs);

/* LLDT: null makes the LDT unusable; otherwise a present LDT descriptor
 * (16 bytes in long mode) of the GDT.  0, or -1 with *f. */
int seg_lldt(struct vmsim_cpu *cpu, uint16_t sel, struct seg_fault *f);

/* WRMSR MSR_FS_BASE / MSR_GS_BASE: #GP(0) for a non-canonical base (and on
 * a machine without long mode). */
int seg_write_base_msr(struct vmsim_cpu *cpu, enum seg_reg r, uint64_t base,
		       struct seg_fault *f);

/*
 * The access checks of @size bytes at @off through segment @s held in
 * register @r: the linear address in *la, or -1 with *f (#GP(0), or
 * #SS(0) for SS).  Protected and compatibility mode: usable, type (write to
 * code or read-only data, read of execute-only code), limit (expand-up or
 * expand-down), 32-bit wrap.  64-bit mode: base 0 except FS/GS, no limit,
 * a canonical check.
 */
int seg_check_access(const struct vmsim_cpu *cpu, const struct segment *s, enum seg_reg r,
		     uint64_t off, unsigned size, int acc, uint64_t *la, struct seg_fault *f);

/* The checks above with register @r's own cache. */
int seg_translate(const struct vmsim_cpu *cpu, enum seg_reg r, uint64_t off, unsigned size,
		  int acc, uint64_t *la, struct seg_fault *f);

/* "#GP", "#SS", "#NP", "#PF". */
const char *seg_fault_name(unsigned vector);

#endif
