/*
 * Prefaulting a range of an address space (mm/gup.c __mm_populate), for
 * MAP_POPULATE, MAP_LOCKED, mlock, mlockall(MCL_CURRENT) and brk under
 * mlockall(MCL_FUTURE): VMA by VMA, each page the VMA allows is faulted in
 * by populate_vma_page_range() (memory.c), which breaks COW in private
 * writable memory and leaves VM_LOCKONFAULT VMAs to their faults.
 *
 * Invariant: nothing here changes a VMA; a populated page is exactly what
 * a user access of the same kind would have mapped.
 */
#include "vma/mm.h"


int __mm_populate(struct mm_struct *mm, uint64_t start, uint64_t len, bool ignore_errors,
		  struct fault_stats *st)
{
	const uint64_t end = start + len;
	uint64_t nstart, nend;
	int ret = 0;

	for (nstart = start; nstart < end; nstart = nend) {
		struct vm_area_struct *vma = find_vma_intersection(mm, nstart, end);

		if (!vma)
			break;
		nend = vma->vm_end < end ? vma->vm_end : end;
		/* no struct pages behind these */
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			continue;
		if (nstart < vma->vm_start)
			nstart = vma->vm_start;
		ret = populate_vma_page_range(vma, nstart, nend, st);
		if (ret < 0) {
			if (ignore_errors) {
				ret = 0;
				continue;	/* continue at next VMA */
			}
			break;
		}
	}
	return ret;
}
