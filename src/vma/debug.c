/*
 * dump_vma() and dump_mm() of mm/debug.c, and the reports of
 * VM_BUG_ON_VMA() / VM_BUG_ON_MM() (mmdebug.h).
 *
 * Invariant: a dump reads only the object's own fields (never follows a
 * pointer out of it) and is cut to the buffer.
 */
#include "vma/mmdebug.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "vma/mm.h"

/* vmaflag_names[] (include/trace/events/mmflags.h) for the flags vmsim has */
static const struct { unsigned long flag; const char *name; } vmaflag_names[] = {
	{ VM_READ, "read" }, { VM_WRITE, "write" }, { VM_EXEC, "exec" }, { VM_SHARED, "shared" },
	{ VM_MAYREAD, "mayread" }, { VM_MAYWRITE, "maywrite" }, { VM_MAYEXEC, "mayexec" },
	{ VM_MAYSHARE, "mayshare" }, { VM_GROWSDOWN, "growsdown" }, { VM_PFNMAP, "pfnmap" },
	{ VM_LOCKED, "locked" }, { VM_IO, "io" }, { VM_DONTCOPY, "dontcopy" },
	{ VM_DONTEXPAND, "dontexpand" }, { VM_ACCOUNT, "account" }, { VM_NORESERVE, "noreserve" },
	{ VM_SOFTDIRTY, "softdirty" },
};

void dump_vma(const struct vm_area_struct *vma, char *buf, size_t len)
{
	const char *sep = "";
	int n;
	size_t used;

	n = snprintf(buf, len, "vma %016" PRIxPTR " start %016" PRIx64 " end %016" PRIx64
		     " mm %016" PRIxPTR "\n"
		     "prot %" PRIx64 " anon_vma %016" PRIxPTR " vm_ops %016" PRIxPTR "\n"
		     "pgoff %" PRIx64 " file %016" PRIxPTR " private_data %016" PRIxPTR "\n"
		     "flags: 0x%lx(", (uintptr_t)vma, vma->vm_start, vma->vm_end,
		     (uintptr_t)vma->vm_mm, vma->vm_page_prot, (uintptr_t)vma->anon_vma,
		     (uintptr_t)vma->vm_ops, vma->vm_pgoff, (uintptr_t)vma->vm_file,
		     (uintptr_t)vma->shm, vma->vm_flags);
	used = n < 0 ? 0 : (size_t)n;
	for (size_t i = 0; i < sizeof(vmaflag_names) / sizeof(vmaflag_names[0]); i++) {
		if (!(vma->vm_flags & vmaflag_names[i].flag) || used >= len)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", sep, vmaflag_names[i].name);
		used += n < 0 ? 0 : (size_t)n;
		sep = "|";
	}
	if (used < len)
		snprintf(buf + used, len - used, ")\n");
}

void dump_mm(const struct mm_struct *mm, char *buf, size_t len)
{
	snprintf(buf, len, "mm %016" PRIxPTR " task_size %" PRIu64 "\n"
		 "mmap_base %" PRIu64 "\n"
		 "pgd %016" PRIx64 " mm_users %d mm_count %d map_count %d\n"
		 "hiwater_rss %lx hiwater_vm %lx total_vm %lx locked_vm %lx\n"
		 "pinned_vm %lx data_vm %lx exec_vm %lx stack_vm %lx\n"
		 "start_code %" PRIx64 " end_code %" PRIx64 " start_data %" PRIx64
		 " end_data %" PRIx64 "\n"
		 "start_brk %" PRIx64 " brk %" PRIx64 " start_stack %" PRIx64 "\n"
		 "arg_start %" PRIx64 " arg_end %" PRIx64 " env_start %" PRIx64 " env_end %" PRIx64
		 "\n"
		 "def_flags: 0x%lx\n",
		 (uintptr_t)mm, mm->task_size, mm->mmap_base, mm->pgd, mm->mm_users,
		 mm->mm_count, mm->map_count, mm->hiwater_rss, mm->hiwater_vm, mm->total_vm,
		 mm->locked_vm, mm->pinned_vm, mm->data_vm, mm->exec_vm, mm->stack_vm,
		 mm->start_code, mm->end_code, mm->start_data, mm->end_data, mm->start_brk,
		 mm->brk, mm->start_stack, mm->arg_start, mm->arg_end, mm->env_start, mm->env_end,
		 mm->def_flags);
}

bool vm_bug_vma(const struct mm_struct *mm, const struct vm_area_struct *vma, const char *what,
		const char *file, int line)
{
	char dump[512];

	dump_vma(vma, dump, sizeof(dump));
	return vm_bug_report(mm->vm->pm, dump, what, VM_REPORT_BUG, file, line);
}

bool vm_bug_mm(const struct mm_struct *mm, const char *what, const char *file, int line)
{
	char dump[768];

	dump_mm(mm, dump, sizeof(dump));
	return vm_bug_report(mm->vm->pm, dump, what, VM_REPORT_BUG, file, line);
}

void print_bad_pte(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, uint64_t pte,
		   struct page *page)
{
	struct phys_mem *pm = mm->vm->pm;
	char what[128], dump[768];
	size_t n;

	snprintf(what, sizeof(what), "BUG: Bad page map in mm %016" PRIxPTR "  pte:%08" PRIx64,
		 (uintptr_t)mm, pte);
	if (page)
		dump_page(pm, page, "bad pte", dump, sizeof(dump));
	else
		dump[0] = '\0';
	n = strlen(dump);
	if (vma && n < sizeof(dump))
		snprintf(dump + n, sizeof(dump) - n,
			 "addr:%016" PRIx64 " vm_flags:%08lx anon_vma:%016" PRIxPTR
			 " mapping:%016" PRIxPTR " index:%" PRIx64,
			 addr, vma->vm_flags, (uintptr_t)vma->anon_vma, (uintptr_t)vma->vm_file,
			 vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT));
	else if (n < sizeof(dump))
		snprintf(dump + n, sizeof(dump) - n, "addr:%016" PRIx64 " (in no VMA)", addr);
	vm_bug_report(pm, dump, what, VM_REPORT_ALERT, __FILE__, __LINE__);
}

void check_mm_freed(struct mm_struct *mm)
{
	static const char *const resident_page_types[NR_MM_COUNTERS] = {
		"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES",
	};
	struct phys_mem *pm = mm->vm->pm;
	unsigned long bytes;
	char what[128];

	for (int i = 0; i < NR_MM_COUNTERS; i++) {
		if (!mm->rss_stat[i])
			continue;
		snprintf(what, sizeof(what),
			 "BUG: Bad rss-counter state mm:%016" PRIxPTR " type:%s val:%ld",
			 (uintptr_t)mm, resident_page_types[i], mm->rss_stat[i]);
		vm_bug_report(pm, NULL, what, VM_REPORT_ALERT, __FILE__, __LINE__);
	}
	bytes = mm_pgtables_bytes(mm);
	if (bytes) {
		snprintf(what, sizeof(what), "BUG: non-zero pgtables_bytes on freeing mm: %lu", bytes);
		vm_bug_report(pm, NULL, what, VM_REPORT_ALERT, __FILE__, __LINE__);
	}
}
