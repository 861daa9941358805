/*
 * The region map of the machine's virtual address space: user space,
 * holes, the direct map, vmalloc, vmemmap, pkmap, fixmap, kernel text,
 * modules, vsyscall, each with what maps it, as mm.rst lists them.  The
 * `layout` view and command print it (layout_render() and layout_svg()
 * in views.h).
 */
#ifndef VMSIM_KERN_LAYOUT_H
#define VMSIM_KERN_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

struct vmsim_machine;

enum kregion_kind {
	KR_USER,	/* per-process mappings */
	KR_HOLE,	/* nothing may be mapped (guard, unused, non-canonical) */
	KR_DIRECT,	/* the direct map of RAM */
	KR_VMALLOC,
	KR_VMEMMAP,
	KR_PKMAP,
	KR_FIXMAP,
	KR_TEXT,	/* the kernel image mapping */
	KR_MODULES,
	KR_VSYSCALL,
	KR_OTHER,	/* Linux regions vmsim does not model (LDT, CPU entry area, ...) */
};

struct kregion {
	const char *name;		/* short: "vmalloc", "fixmap (kmap_atomic)" */
	enum kregion_kind kind;
	uint64_t start, last;		/* inclusive, as mm.rst prints them */
	char what[160];			/* what maps it, with live numbers */
	bool noncanonical;		/* x86_64's hole: no address there exists */
};

#define KREGION_MAX 40

/* Fill @r with the machine's regions in ascending address order, covering
 * 0 .. the top of the address space without gaps.  Returns the count. */
unsigned kernel_layout(struct vmsim_machine *m, struct kregion *r, unsigned max);

/* "4 KiB", "883.99 MiB", "128 TiB": sizes the way the layout prints them
 * (@size 0 means 2^64). */
void layout_size_str(uint64_t size, char *buf, unsigned len);

#endif
