/*
 * msync(2) (mm/msync.c): flush the changes a task made through shared
 * file mappings.  MS_SYNC writes the dirty page-cache pages of each shared
 * file VMA's part of the range back (vfs_fsync_range), which makes them
 * and their PTEs clean; MS_ASYNC does nothing since Linux 2.6.19 (dirty
 * pages are tracked anyway); MS_INVALIDATE is refused on locked memory
 * and is otherwise a no-op.
 *
 * Errors, in the kernel's order: EINVAL for unknown flags, an unaligned
 * start or MS_ASYNC with MS_SYNC; ENOMEM for a range that wraps, for a
 * hole (immediately when the flags are exactly MS_ASYNC, else after the
 * mapped parts are synced), and for a range beyond the last VMA; EBUSY
 * for MS_INVALIDATE on a VM_LOCKED VMA.  Invariant: only page-cache dirty
 * state and PTE dirty/write bits change; VMAs never do.
 */
#include "vma/mm.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/errname.h"
#include "vma/filemap.h"

static int do_msync(struct mm_struct *mm, uint64_t start, uint64_t len, int flags)
{
	struct vm_area_struct *vma;
	int unmapped_error = 0;
	uint64_t end;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = (len + ~PAGE_MASK) & PAGE_MASK;
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	/* holes are skipped, but make the result -ENOMEM; with MS_ASYNC
	 * alone there is nothing to do, so that is the answer at once */
	vma = find_vma(mm, start);
	for (;;) {
		uint64_t fstart, fend;
		struct file *file;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			if (flags == MS_ASYNC)
				return -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				return -ENOMEM;
			unmapped_error = -ENOMEM;
		}
		if ((flags & MS_INVALIDATE) && (vma->vm_flags & VM_LOCKED))
			return -EBUSY;
		file = vma->vm_file;
		fstart = (start - vma->vm_start) + (vma->vm_pgoff << PAGE_SHIFT);
		fend = fstart + ((end < vma->vm_end ? end : vma->vm_end) - start) - 1;
		start = vma->vm_end;
		if ((flags & MS_SYNC) && file && (vma->vm_flags & VM_SHARED)) {
			int error = filemap_write_and_wait_range(file, fstart, fend);

			if (error)
				return error;
		}
		if (start >= end)
			return unmapped_error;
		vma = find_vma(mm, start);
	}
}

int sys_msync(struct mm_struct *mm, uint64_t start, uint64_t len, int flags)
{
	int r = do_msync(mm, start, len, flags);

	MM_EV(mm, "msync", "start=%#llx len=%#llx flags=%#x%s%s", (unsigned long long)start,
	      (unsigned long long)len, (unsigned)flags, r ? " error=" : "", r ? errno_name(r) : "");
	return r;
}
