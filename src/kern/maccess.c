/*
 * Kernel-mode accesses (see maccess.h): translate() on cpu 0 at CPL 0
 * with its current CR3, then the bytes of simulated RAM.
 *
 * Invariant: an access either happens whole or not at all -- every page
 * it touches is translated, and for a store every frame is checked for
 * the simulator's own structures, before the first byte moves.  A store
 * marks the kernel address space dirty for the incremental checker, since
 * it may land in a page table, a slab or a free list.
 */
#include "kern/maccess.h"

#include <errno.h>

#include "phys/slab.h"

/* Translate every page [va, va+size) touches; pa[] gets each byte's page
 * start. */
static int kaccess(struct vmsim_machine *m, uint64_t va, unsigned size, enum mmu_access acc,
		   uint64_t pa[2], uint64_t *split, struct vmsim_fault *f)
{
	struct vmsim_cpu *cpu = &m->cpus[0];
	uint64_t last = va + size - 1;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (!translate(cpu, va, acc, MMU_KERNEL, &pa[0], f))
		return -EFAULT;
	*split = size;
	if ((last & PAGE_MASK) != (va & PAGE_MASK)) {
		/* the second page, as the CPU checks before it commits */
		*split = (unsigned)(PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		if (!translate(cpu, last & PAGE_MASK, acc, MMU_KERNEL, &pa[1], f))
			return -EFAULT;
	}
	return 0;
}

static uint8_t *ram_byte(struct vmsim_machine *m, uint64_t pa)
{
	return phys_to_host_range(&m->pm, pa, 1);
}

/* The host byte behind byte @i of an access that kaccess() translated to
 * @pa[0] (and, past @split, @pa[1]); NULL where no RAM is. */
static uint8_t *access_byte(struct vmsim_machine *m, const uint64_t pa[2], uint64_t split,
			    unsigned i, uint64_t *phys)
{
	*phys = i < split ? pa[0] + i : pa[1] + (i - split);
	return ram_byte(m, *phys);
}

int kread(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t *val,
	  struct vmsim_fault *f)
{
	uint64_t pa[2] = { 0, 0 }, split, v = 0, p;
	int ret = kaccess(m, va, size, MMU_READ, pa, &split, f);

	if (ret)
		return ret;
	for (unsigned i = 0; i < size; i++) {
		uint8_t *b = access_byte(m, pa, split, i, &p);

		v |= (uint64_t)(b ? *b : 0xff) << (8 * i);
	}
	*val = v;
	return 0;
}

int kwrite(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t val,
	   struct vmsim_fault *f)
{
	uint64_t pa[2] = { 0, 0 }, split, p;
	int ret = kaccess(m, va, size, MMU_WRITE, pa, &split, f);

	if (ret)
		return ret;
	/* a kernel write may land in anything: the frame's own structures
	 * (slab, free lists) and the kernel's tables get checked */
	kspace_mark_dirty(m);
	for (unsigned i = 0; i < size; i++) {
		access_byte(m, pa, split, i, &p);
		if (frame_holds_host_structs(&m->pm, (unsigned long)(p >> PAGE_SHIFT)))
			return -EPERM;
	}
	for (unsigned i = 0; i < size; i++) {
		uint8_t *b = access_byte(m, pa, split, i, &p);

		if (b) {
			*b = (uint8_t)(val >> (8 * i));
			frame_mark_touched(&m->pm, p >> PAGE_SHIFT);
			phys_track(&m->pm, (unsigned long)(p >> PAGE_SHIFT));
		}
	}
	return 0;
}
