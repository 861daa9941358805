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

/* Zero it, then set what differs from the defaults (a kernel read on CPU 0,
 * no callback).  Later versions add fields only where reserved is. */
struct vmsim_translate_opts {
	enum vmsim_access access;
	enum vmsim_mode mode;
	unsigned cpu;
	vmsim_walk_fn walk;	/* called for each level of the walk, in order */
	void *arg;
	uint64_t reserved[6];	/* zero */
};

enum vmsim_fault_kind { VMSIM_FAULT_NONE, VMSIM_FAULT_PF, VMSIM_FAULT_GP };

struct vmsim_translation {
	uint64_t pa;			/* when it translated */
	uint64_t cr3;			/* the root the translation used */
	const char *format;		/* "x86_64", "x86_32", ... */
	enum vmsim_fault_kind fault;	/* #PF, or #GP for a non-canonical address */
	uint32_t error_code;		/* the #PF error code (X86_PF_* bits: P W U RSVD I PK) */
	const char *fault_level;	/* the level whose entry decided the #PF */
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
 * handed to the callback.  0 with @r->pa when it translated; -EFAULT when
 * it faulted (@r says how); -EINVAL for a bad CPU, access or mode, or
 * reserved fields that are not zero.  A fault is not handled: this is the
 * bare MMU (vmsim_access() takes faults as a program would).
 */
VMSIM_API int vmsim_translate(struct vmsim_machine *m, struct vmsim_task *t, uint64_t va,
			      const struct vmsim_translate_opts *o, struct vmsim_translation *r);

#ifdef __cplusplus
}
#endif
#endif
