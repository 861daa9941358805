/*
 * The process layer's always-on checks (include/linux/mmdebug.h):
 * VM_BUG_ON_VMA() and VM_BUG_ON_MM() with dump_vma() and dump_mm()
 * (mm/debug.c), reported and refused the way phys/mmdebug.h describes:
 * the macro evaluates to the condition, the caller refuses the operation.
 * Like VM_BUG_ON_PAGE(cond, page, pm), they take what the report goes to
 * last: VM_BUG_ON_VMA(cond, vma, mm), mm being the one the caller works
 * on.
 */
#ifndef VMSIM_VMA_MMDEBUG_H
#define VMSIM_VMA_MMDEBUG_H

#include <stdint.h>

#include "phys/mmdebug.h"

struct vm_area_struct;
struct mm_struct;

/* dump_vma(): "vma ... start ... end ... mm ...", prot, anon_vma, pgoff,
 * file, "flags: %#lx(read|write|...)". */
void dump_vma(const struct vm_area_struct *vma, char *buf, size_t len);
/* dump_mm(): the mm's fields in the kernel's order, as far as vmsim has them. */
void dump_mm(const struct mm_struct *mm, char *buf, size_t len);

/* The reports; @mm is the mm the caller works on (its machine takes the
 * report: the VMA's own vm_mm may be what is wrong). */
bool vm_bug_vma(const struct mm_struct *mm, const struct vm_area_struct *vma, const char *what,
		const char *file, int line) __attribute__((cold));
bool vm_bug_mm(const struct mm_struct *mm, const char *what, const char *file, int line)
	__attribute__((cold));

/* print_bad_pte(): "BUG: Bad page map ..." for a PTE of @mm whose page is
 * in a state no mapping can leave it in (@page may be NULL); @vma is the
 * VMA holding @addr, or NULL for a PTE below a cleared bad entry that no
 * VMA covers. */
void print_bad_pte(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, uint64_t pte,
		   struct page *page);
/* kernel/fork.c check_mm() on an mm being freed: every rss counter zero,
 * no page table left ("BUG: Bad rss-counter state ..."). */
void check_mm_freed(struct mm_struct *mm);

#ifndef VMSIM_NO_VM_DEBUG
#define VM_BUG_ON_VMA(cond, vma, mm) \
	(__builtin_expect(!!(cond), 0) && \
	 vm_bug_vma((mm), (vma), "VM_BUG_ON_VMA(" #cond ")", __FILE__, __LINE__))
#define VM_BUG_ON_MM(cond, mm) \
	(__builtin_expect(!!(cond), 0) && \
	 vm_bug_mm((mm), "VM_BUG_ON_MM(" #cond ")", __FILE__, __LINE__))
#else
#define VM_BUG_ON_VMA(cond, vma, mm) ((void)sizeof(!!(cond)), (void)(vma), (void)(mm), false)
#define VM_BUG_ON_MM(cond, mm) ((void)sizeof(!!(cond)), (void)(mm), false)
#endif

#endif
