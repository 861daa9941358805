/*
 * The kernel's always-on sanity checks of the mm (include/linux/mmdebug.h),
 * at the places Linux has them: VM_BUG_ON(), VM_BUG_ON_PAGE(),
 * VM_WARN_ON(), with dump_page() (mm/debug.c).  VM_BUG_ON_VMA() and
 * VM_BUG_ON_MM() are the vma layer's (vma/mmdebug.h).
 *
 * Each is O(1).  Where Linux would BUG() (or warn and go on corrupting),
 * vmsim reports the kernel's way -- the dump, "page dumped because:
 * VM_BUG_ON_PAGE(cond)", "kernel BUG at FILE:LINE!" -- as a vm_bug event
 * and through pm->bad_page_hook, counts it in vmstat.vm_bug, and the macro
 * evaluates to the condition so that the caller refuses the operation:
 *
 *     if (VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page, pm))
 *             return;
 *
 * The simulator never stops its host.  Building with -DVMSIM_NO_VM_DEBUG
 * compiles every check out (only to measure what they cost).
 */
#ifndef VMSIM_PHYS_MMDEBUG_H
#define VMSIM_PHYS_MMDEBUG_H

#include <stdbool.h>
#include <stddef.h>

struct phys_mem;
struct page;

/* dump_page(): "page: refcount:... pfn:...", "flags: ...(names|node=N|zone=Z)",
 * then "page dumped because: @reason" when @reason is given. */
void dump_page(const struct phys_mem *pm, const struct page *page, const char *reason,
	       char *buf, size_t len);

/* What a report is: a BUG ("kernel BUG at FILE:LINE!"), a WARNING
 * ("WARNING: ... at FILE:LINE"), or an alert line the kernel prints as
 * it is ("BUG: Bad rss-counter state ..."). */
enum vm_report { VM_REPORT_BUG, VM_REPORT_WARN, VM_REPORT_ALERT };

/* Report a failed check: @dump (may be NULL) is what was dumped, @what the
 * check ("VM_BUG_ON_PAGE(cond)") or the alert's text.  Returns true, for
 * the macros. */
bool vm_bug_report(struct phys_mem *pm, const char *dump, const char *what, enum vm_report kind,
		   const char *file, int line) __attribute__((cold));
bool vm_bug_page(struct phys_mem *pm, const struct page *page, const char *what,
		 const char *file, int line) __attribute__((cold));

/* IS_ENABLED(CONFIG_DEBUG_VM), for a check written out by hand */
#ifndef VMSIM_NO_VM_DEBUG
#define DEBUG_VM 1
#else
#define DEBUG_VM 0
#endif

#ifndef VMSIM_NO_VM_DEBUG
#define VM_BUG_ON(cond, pm) \
	(__builtin_expect(!!(cond), 0) && \
	 vm_bug_report((pm), NULL, "VM_BUG_ON(" #cond ")", VM_REPORT_BUG, __FILE__, __LINE__))
#define VM_WARN_ON(cond, pm) \
	(__builtin_expect(!!(cond), 0) && \
	 vm_bug_report((pm), NULL, "VM_WARN_ON(" #cond ")", VM_REPORT_WARN, __FILE__, __LINE__))
#define VM_BUG_ON_PAGE(cond, page, pm) \
	(__builtin_expect(!!(cond), 0) && \
	 vm_bug_page((pm), (page), "VM_BUG_ON_PAGE(" #cond ")", __FILE__, __LINE__))
#else
/* sizeof: the condition is compiled (its names count as used), not run */
#define VM_BUG_ON(cond, pm) ((void)sizeof(!!(cond)), (void)(pm), false)
#define VM_WARN_ON(cond, pm) ((void)sizeof(!!(cond)), (void)(pm), false)
#define VM_BUG_ON_PAGE(cond, page, pm) ((void)sizeof(!!(cond)), (void)(page), (void)(pm), false)
#endif

#endif
