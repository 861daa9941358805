/*
 * The MMU by hand: translate one virtual address as a CPU does (TLB, then
 * the page walk over the tables in simulated RAM, setting Accessed and
 * Dirty), with an optional callback that sees the walk level by level as
 * the hardware reads it (the data behind `vmsim-cli translate --explain`).
 */
#ifndef VMSIM_TRANSLATE_H
#define VMSIM_TRANSLATE_H

#include <stdint.h>

#include "vmsim/error.h"
#include "vmsim/task.h"

#ifdef __cplusplus
extern "C" {
#endif

enum vmsim_mode { VMSIM_MODE_KERNEL, VMSIM_MODE_USER };	/* CPL 0, CPL 3 */

/* One paging-structure entry of a walk, as read before any A/D update. */
struct vmsim_walk_level {
	unsigned depth;		/* 0 = the root */
	const char *name;	/* the kernel's name: "pgd", "p4d", "pud", "pmd", "pte" */
	const char *intel;	/* the SDM's: "PML5E", "PML4E", "PDPTE", "PDE", "PTE" */
	uint64_t table;		/* physical address of the table */
	unsigned index;		/* the entry's index in it */
	uint64_t entry_addr;	/* physical address of the entry */
	uint64_t entry;		/* its value */
	unsigned entry_size;	/* 4 or 8 bytes */
	char flags[96];		/* its set bits decoded: "P RW US A D PS G NX" */
	int swap;		/* a not-present PTE holding a swap entry: */
	unsigned swap_type;	/*   its swap area */
	uint64_t swap_offset;	/*   and slot */
	int swap_exclusive;
};

typedef void (*vmsim_walk_fn)(const struct vmsim_walk_level *lv, void *arg);

/* The segment of a logical address SEG:OFFSET (o->segment). */
enum vmsim_segment {
	VMSIM_SEG_NONE,		/* va is a linear address: no segment step */
	VMSIM_SEG_ES, VMSIM_SEG_CS, VMSIM_SEG_SS, VMSIM_SEG_DS, VMSIM_SEG_FS, VMSIM_SEG_GS,
	VMSIM_SEG_SELECTOR,	/* o->selector's descriptor, checked as a load of DS
				 * would check it (nothing is loaded) */
};

/* The segment step of a logical address, as the hardware did it. */
struct vmsim_seg_step {
	const char *reg;	/* the register whose checks apply: "ds", "cs", ... */
	int selector_value;	/* VMSIM_SEG_SELECTOR: a value, not a register */
	uint16_t selector;	/* the register's selector, or o->selector */
	unsigned cpl;		/* the CPU's privilege level (CS.RPL) */
	int long_mode;		/* 64-bit mode: no limit check, base 0 but for FS/GS */
	int desc_read;		/* a descriptor was read from the GDT or LDT: */
	uint64_t desc_addr;	/*   its linear address */
	uint64_t desc_pa;	/*   its physical address */
	uint64_t desc;		/*   its value */
	int cached;		/* the descriptor cache below is valid */
	int unusable;		/* it holds a null selector */
	uint64_t base;
	uint32_t limit;		/* in bytes, G applied */
	unsigned type, dpl;	/* the descriptor's 4-bit type and its DPL */
	int s, p, db, l, g, avl;
	uint64_t offset;	/* the logical address's offset */
	int ok;
	uint64_t linear;	/* when ok: base + offset */
	unsigned vector;	/* when not: 13 #GP, 12 #SS, 11 #NP, or 14 #PF
				 * reading the descriptor */
	uint32_t error_code;	/* the selector with its RPL bits clear, or 0;
				 * for #PF its X86_PF_* bits */
	uint64_t cr2;		/* #PF: the descriptor's linear address */
	const char *why;	/* the SDM's condition that raised it */
};

typedef void (*vmsim_seg_fn)(const struct vmsim_seg_step *s, void *arg);

/* Zero it, then set what differs from the defaults (a kernel read on CPU 0,
 * no callback, a linear address).  Later versions add fields only where
 * reserved is; each field replaces whole reserved words, so the size and
 * the other fields' offsets do not move. */
struct vmsim_translate_opts {
	enum vmsim_access access;
	enum vmsim_mode mode;
	unsigned cpu;
	vmsim_walk_fn walk;	/* called for each level of the walk, in order */
	void *arg;
	/* a logical address: @va is the offset in this segment, translated
	 * at the CPU's CPL (mode must agree: user at CPL 3) */
	enum vmsim_segment segment;
	uint16_t selector;	/* VMSIM_SEG_SELECTOR: the selector value */
	uint16_t size;		/* the access's bytes for the limit check (0: 1) */
	union {
		vmsim_seg_fn seg;	/* called once with the segment step */
		uint64_t seg_word;	/* (the word it takes on every host) */
	};
	uint64_t reserved[4];	/* zero */
};

/* A fault of the segment step (a #GP, #SS or #NP) or of the walk (a #PF,
 * or #GP for a non-canonical linear address). */
enum vmsim_fault_kind {
	VMSIM_FAULT_NONE, VMSIM_FAULT_PF, VMSIM_FAULT_GP, VMSIM_FAULT_SS, VMSIM_FAULT_NP
};

struct vmsim_translation {
	uint64_t pa;			/* when it translated */
	uint64_t cr3;			/* the root the translation used */
	const char *format;		/* "x86_64", "x86_32", ... */
	enum vmsim_fault_kind fault;	/* #PF, #GP, #SS, #NP */
	uint32_t error_code;		/* the #PF error code (X86_PF_* bits: P W U RSVD I PK),
					 * or the segment step's */
	const char *fault_level;	/* the level whose entry decided the #PF (NULL when
					 * the segment step faulted) */
	/* the walk the callback saw (filled only with a callback): where it
	 * ended; it may differ from the translation when the TLB holds a
	 * stale entry */
	int walk_ok;
	uint64_t page_pa;		/* the page it reached */
	unsigned page_shift;		/* 12, 21, 22 or 30 */
	enum vmsim_fault_kind walk_fault;
	uint32_t walk_error_code;
	const char *walk_fault_level;
};

/*
 * Translate @va on CPU @o->cpu (NULL @o: the defaults).  With a task, the
 * CPU is switched to it first (a CR3 load, as a context switch does) and
 * its page tables are used; with @t NULL, the kernel's (init_mm's): when
 * the CPU runs other tables they are walked without its TLB.  With
 * @o->walk, the walk is first read level by level (changing nothing) and
 * handed to the callback.  With @o->segment, @va is a logical address's
 * offset: the segment step runs first on the CPU's segment registers (after
 * the task switch) and is handed to @o->seg; its linear address is then
 * translated.  0 with @r->pa when it translated; -EFAULT when it faulted
 * (@r says how); -EINVAL for a bad CPU, access, mode, segment or size (1
 * to 8; a fetch only through CS or a selector value; the mode not the
 * CPL's), or reserved fields that are not zero.  A fault is not handled: this is the
 * bare MMU (vmsim_access() takes faults as a program would).
 */
VMSIM_API int vmsim_translate(struct vmsim_machine *m, struct vmsim_task *t, uint64_t va,
			      const struct vmsim_translate_opts *o, struct vmsim_translation *r);

#ifdef __cplusplus
}
#endif
#endif
