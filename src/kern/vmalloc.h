/*
 * vmalloc: virtually contiguous kernel memory over [VMALLOC_START,
 * VMALLOC_END), backed by order-0 frames (from HIGHMEM where there is one)
 * mapped with 4 KiB PTEs in init_mm's tables, which every process shares
 * (mm/vmalloc.c).
 *
 * Address space: struct vmap_area ranges on three address-sorted lists:
 * busy (in use), free (coalesced holes) and lazy (freed, unmapped, not yet
 * given back: the kernel defers the TLB flush and the reuse of the range
 * until lazy_max_pages() worth has piled up, then purges them all with one
 * flush_tlb_kernel_range()).  Allocation is first fit: the lowest free
 * range that fits, as alloc_vmap_area() / find_vmap_lowest_match() do.
 * Each area has a guard page after it unless VM_NO_GUARD.
 */
#ifndef VMSIM_KERN_VMALLOC_H
#define VMSIM_KERN_VMALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/machine.h"
#include "util/json.h"
#include "util/list.h"
#include "util/strbuf.h"

/* vm_struct flags (include/linux/vmalloc.h) */
#define VM_IOREMAP		0x00000001
#define VM_ALLOC		0x00000002
#define VM_MAP			0x00000004
#define VM_USERMAP		0x00000008
#define VM_DMA_COHERENT		0x00000010
#define VM_UNINITIALIZED	0x00000020
#define VM_NO_GUARD		0x00000040

#define VM_CALLER_LEN 64

struct vm_struct {
	uint64_t addr;			/* first byte */
	uint64_t size;			/* bytes, the guard page included */
	unsigned long flags;		/* VM_* */
	struct page **pages;		/* VM_ALLOC: the frames, owned */
	unsigned int nr_pages;
	uint64_t phys_addr;		/* ioremap only; 0 here */
	char caller[VM_CALLER_LEN];	/* who asked (the kernel prints %pS) */
};

struct vmap_area {
	uint64_t va_start, va_end;	/* [start, end) */
	struct list_head list;		/* on busy, free or lazy, address order */
	struct vm_struct *vm;		/* busy areas only */
};

struct vmap_state {
	struct list_head busy, free, lazy;
	unsigned long nr_busy, nr_free, nr_lazy;	/* areas on each list */
	unsigned long vmap_lazy_nr;	/* pages on the lazy list */
	unsigned long lazy_max;		/* lazy_max_pages() */
	unsigned long nr_vmalloc_pages;	/* frames backing vmalloc areas */
	unsigned long nr_purges;	/* __purge_vmap_area_lazy() runs */
	uint64_t start, end;		/* VMALLOC_START, VMALLOC_END */
};

int vmalloc_init(struct vmsim_machine *m, struct vmsim_error *err);
/* Free every area and frame still held (machine shutdown). */
void vmalloc_finish(struct vmsim_machine *m);

/*
 * __vmalloc_node_range(): @size bytes (rounded up to pages) of virtually
 * contiguous memory in [@start, @end), frames from alloc_pages(@gfp, 0),
 * mapped with @prot.  @caller names the requester in vmallocinfo.
 * Returns the address, or 0: size 0 or above totalram, no room in the
 * range (even after purging lazily freed areas), or no frames (everything
 * taken is given back).
 */
uint64_t __vmalloc_node_range(struct vmsim_machine *m, uint64_t size, uint64_t align,
			      uint64_t start, uint64_t end, gfp_t gfp, uint64_t prot,
			      unsigned long vm_flags, const char *caller);
/* vmalloc(): GFP_KERNEL (| __GFP_HIGHMEM added for the frames), PAGE_KERNEL. */
uint64_t vmalloc(struct vmsim_machine *m, uint64_t size, const char *caller);
/* vzalloc(): the same, zeroed. */
uint64_t vzalloc(struct vmsim_machine *m, uint64_t size, const char *caller);
/*
 * vfree(): unmap the area at @addr (exactly the address vmalloc returned),
 * free its frames, and put the range on the lazy list; the TLB flush and
 * the range's reuse wait for the purge.  vfree(0) does nothing.
 * -EINVAL for an address that starts no vmalloc area (the kernel WARNs
 * "Trying to vfree() nonexistent vm area").
 */
int vfree(struct vmsim_machine *m, uint64_t addr);

/* vmap(): map @count existing pages contiguously (the caller keeps them);
 * vunmap() undoes it.  Same returns as vmalloc()/vfree(). */
uint64_t vmap(struct vmsim_machine *m, struct page **pages, unsigned count,
	      unsigned long flags, uint64_t prot, const char *caller);
int vunmap(struct vmsim_machine *m, uint64_t addr);

/* Purge the lazy list now: one TLB flush over its span, then the ranges
 * return to the free list (purge_vmap_area_lazy / vm_unmap_aliases()). */
void vm_unmap_aliases(struct vmsim_machine *m);

/* The busy area containing @addr (guard page included), or NULL. */
struct vm_struct *find_vm_area(struct vmsim_machine *m, uint64_t addr);
bool is_vmalloc_addr(const struct vmsim_machine *m, uint64_t addr);
/* The page mapped at @addr in the vmalloc range (from the page table),
 * or NULL. */
struct page *vmalloc_to_page(struct vmsim_machine *m, uint64_t addr);

/* For /proc/meminfo's VmallocUsed (vmalloc_nr_pages()). */
unsigned long vmalloc_used_pages(const struct vmsim_machine *m);

/* /proc/vmallocinfo as text into @sb, or with @jw a JSON array of the same. */
void vmallocinfo_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb);

/* Checker: the lists sorted, disjoint and tiling [start, end) exactly;
 * busy areas mapped page by page to their frames; no PTE on a guard page
 * or in a free or lazy range; the counters consistent.  0, or -EFAULT
 * with the first violation in @err. */
int vmalloc_check(struct vmsim_machine *m, struct vmsim_error *err);

#endif
