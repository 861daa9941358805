/*
 * mprotect(2) (mm/mprotect.c): change the access rights of a range that
 * is fully mapped.  VMAs are split where the range starts or ends inside
 * them, take the new flags, and merge back with neighbours that now match;
 * present PTEs are rewritten to the new protection and the TLB flushed.
 *
 * Invariant: after a successful call every VMA in the range has exactly the
 * requested VM_READ/WRITE/EXEC, no PTE grants more than its VMA, and the
 * vm counters moved with the flags (vm_stat_account out and back in).  As
 * in the kernel, a hole found midway leaves the VMAs before it changed and
 * returns -ENOMEM.
 */
#include "vma/mm.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/errname.h"

/* mprotect_fixup(): give [start, end) of @vma the flags @newflags.
 * *@pvma becomes the VMA holding the range afterwards. */
static int mprotect_fixup(struct mm_struct *mm, struct vm_area_struct **pvma, uint64_t start,
			  uint64_t end, unsigned long newflags)
{
	struct vm_area_struct *vma = *pvma;
	unsigned long oldflags = vma->vm_flags;
	long nrpages = (long)((end - start) >> PAGE_SHIFT);
	int ret;

	if (newflags == oldflags)
		return 0;
	/* private memory that becomes writable is charged (VM_ACCOUNT) and
	 * stays charged when it becomes read-only again */
	if ((newflags & VM_WRITE) &&
	    !(oldflags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE)))
		newflags |= VM_ACCOUNT;
	if (start > vma->vm_start) {
		ret = split_vma(mm, vma, start, 1);
		if (ret)
			return ret;
	}
	if (end < vma->vm_end) {
		ret = split_vma(mm, vma, end, 0);
		if (ret)
			return ret;
	}
	vma->vm_flags = newflags;
	vma->vm_page_prot = vma_page_prot(vma);
	change_protection(vma, start, end);
	vm_stat_account(mm, oldflags, -nrpages);
	vm_stat_account(mm, newflags, nrpages);
	*pvma = vma_merge_existing(mm, vma);
	/* a private VM_LOCKED VMA becoming writable breaks COW now */
	if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
		populate_vma_page_range(*pvma, start, end, NULL);
	return 0;
}

static int __do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned long prot)
{
	struct vm_area_struct *vma;
	uint64_t end, tmp, nstart;
	int error = 0;

	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;	/* arch_validate_prot() */
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return -ENOMEM;
	if (vma->vm_start > start)
		return -ENOMEM;
	nstart = start;
	for (;;) {
		unsigned long newflags;

		if (vma->vm_start > nstart) {
			error = -ENOMEM;	/* a hole in the range */
			break;
		}
		newflags = calc_vm_prot_bits(prot) | (vma->vm_flags & ~VM_ACCESS_FLAGS);
		/* newflags >> 4 puts VM_MAY* where VM_* is: nothing the
		 * mapping may never have */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -EACCES;
			break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mprotect_fixup(mm, &vma, nstart, tmp, newflags);
		if (error)
			break;
		nstart = tmp;
		if (nstart >= end)
			break;
		/* the VMA holding the next address (merging may have made it
		 * the one just changed) */
		vma = find_vma(mm, nstart);
		if (!vma) {
			error = -ENOMEM;
			break;
		}
	}
	if (!error && nstart < end)
		error = -ENOMEM;
	flush_tlb_mm_range(mm, start, end);
	return error;
}

int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned long prot)
{
	int r = __do_mprotect(mm, start, len, prot);

	MM_EV(mm, "mprotect", "start=%#llx end=%#llx prot=%#lx%s%s", (unsigned long long)start,
	      (unsigned long long)(start + PAGE_ALIGN(len)), prot, r ? " error=" : "",
	      r ? errno_name(r) : "");
	return r;
}
