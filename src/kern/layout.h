/*
 * The kernel's virtual address space as a whole:
 *
 *  - the helpers every kernel mapping goes through (set_pte_vaddr-style
 *    edits of init_mm's tables, arch_sync_kernel_mappings() for x86_32's
 *    per-process copies of the kernel half, flush_tlb_one_kernel() and
 *    flush_tlb_kernel_range() on every CPU);
 *  - kernel-mode accesses (kread/kwrite): loads and stores at CPL 0
 *    through the MMU of cpu 0 with its current CR3;
 *  - the region map of the machine (user space, holes, direct map,
 *    vmalloc, vmemmap, pkmap, fixmap, kernel text, modules, vsyscall) that
 *    the `layout` view and command print.
 */
#ifndef VMSIM_KERN_LAYOUT_H
#define VMSIM_KERN_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/machine.h"
#include "mmu/mmu.h"
#include "util/json.h"
#include "util/strbuf.h"

/* Roots that hold a copy of the kernel half (Linux: pgd_list).  x86_32
 * only needs it: a new kernel page table there changes a root entry, and
 * every copy must learn it (arch_sync_kernel_mappings()). */
struct kernel_pgd_list {
	uint64_t *roots;
	unsigned nr, cap;
	unsigned long syncs;		/* root entries copied into other roots */
};

/* Machine boot/shutdown of the kernel address space state: pgd_list,
 * vmalloc, pkmap and kmap_local.  On a boot failure nothing stays. */
int kspace_boot(struct vmsim_machine *m, struct vmsim_error *err);
void kspace_shutdown(struct vmsim_machine *m);
/* Checker: vmalloc_check(), highmem_check(), and the kernel half of every
 * registered root and every task's root equal to init_mm's.  0, or
 * -EFAULT with @err. */
int kspace_check(struct vmsim_machine *m, struct vmsim_error *err);

/* pgd_list_add()/pgd_list_del(): the process layer registers every root
 * it gets from mm_pgd_alloc() so later kernel-half changes reach it. */
int pgd_list_add(struct vmsim_machine *m, uint64_t root);
void pgd_list_del(struct vmsim_machine *m, uint64_t root);

/* Map one 4 KiB kernel page at @va to @pa with @prot (PAGE_KERNEL-like
 * _PAGE_* bits) in init_mm, allocating the page table if missing (and, on
 * x86_32, copying the new root entry into every root on pgd_list and every
 * CPU's current root).  No TLB flush: the caller knows whether an old
 * entry was live.  -ENOMEM (no frame for a table), -EEXIST (a large page
 * covers @va). */
int kernel_set_pte(struct vmsim_machine *m, uint64_t va, uint64_t pa, uint64_t prot);
/* Clear the 4 KiB kernel PTE of @va; *old gets its previous value (0 if
 * none).  Page tables stay, as in Linux (kernel tables are never freed). */
void kernel_clear_pte(struct vmsim_machine *m, uint64_t va, uint64_t *old);
/* The kernel PTE value mapping @va (0 if not mapped by a 4 KiB PTE). */
uint64_t kernel_pte(struct vmsim_machine *m, uint64_t va);

/* arch_sync_kernel_mappings(): copy init_mm's root entries covering
 * [start, end) into every registered root, every task's mm root and every
 * CPU's CR3 root. */
void arch_sync_kernel_mappings(struct vmsim_machine *m, uint64_t start, uint64_t end);

/* TLB maintenance of kernel addresses on every CPU.  A range above
 * tlb_single_page_flush_ceiling (33 pages) flushes everything, as
 * flush_tlb_kernel_range() does.  (Linux's flush_tlb_one_kernel() is
 * local; its fixmap callers run where the slot is used.  vmsim flushes
 * every CPU, which is never less correct.) */
void flush_tlb_one_kernel(struct vmsim_machine *m, uint64_t va);
void flush_tlb_kernel_range(struct vmsim_machine *m, uint64_t start, uint64_t end);

/*
 * Kernel-mode load/store of 1, 2, 4 or 8 bytes (little endian) at @va:
 * translate() on cpu 0, CPL 0, with its current CR3, as a kernel
 * instruction would.  An access that crosses a page translates both pages
 * before touching memory.  Physical addresses beyond RAM read as all ones
 * and ignore writes.  A store into a slab page of the simulator's own
 * structures (task_struct, mm_struct, vm_area_struct, anon_vma,
 * anon_vma_chain: C structures with host pointers) is refused whole with -EPERM: they can
 * be read, never written by the simulated machine.
 * Returns 0, -EFAULT with *f filled (a #PF; f->gp for a non-canonical
 * address: #GP), -EPERM, or -EINVAL for a bad size.  No fault handling:
 * in the kernel a fault here is an oops.
 */
int kread(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t *val,
	  struct vmsim_fault *f);
int kwrite(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t val,
	   struct vmsim_fault *f);

/* ---- the region map ---- */

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

/* The layout as text (mm.rst-style table) or JSON, and as an SVG picture. */
void layout_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb);
void layout_svg(struct vmsim_machine *m, struct strbuf *sb);

#endif
