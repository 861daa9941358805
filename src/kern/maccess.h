/*
 * Kernel-mode loads and stores (kread/kwrite): what a kernel instruction
 * touching a virtual address does, through the MMU of cpu 0 at CPL 0.
 * The file is named after the kernel's home of checked kernel accesses,
 * mm/maccess.c (copy_from_kernel_nofault(), copy_to_kernel_nofault()):
 * as there, a fault comes back to the caller (-EFAULT, with the #PF
 * described) instead of being handled.
 */
#ifndef VMSIM_KERN_MACCESS_H
#define VMSIM_KERN_MACCESS_H

#include <stdint.h>

#include "kern/machine.h"
#include "mmu/mmu.h"

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

#endif
