/*
 * mm/debug.c's dump_page() and the reports of the always-on checks
 * (mmdebug.h): a failed VM_BUG_ON*() is told the way the kernel tells it,
 * then refused by its caller instead of halting.
 *
 * Invariant: a report never reads beyond the object it dumps and never
 * fails; the text is cut to the buffer.
 */
#include "phys/mmdebug.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "phys/mmzone.h"

/* pageflag_names[] (include/trace/events/mmflags.h), in enum order; the
 * page types Linux keeps in page_type (buddy, table) are listed too (an
 * anonymous page is told by its mapping: "anon flags") */
static const char *const pageflag_names[__NR_PAGEFLAGS] = {
	[PG_locked] = "locked", [PG_referenced] = "referenced", [PG_uptodate] = "uptodate",
	[PG_dirty] = "dirty", [PG_lru] = "lru", [PG_active] = "active", [PG_slab] = "slab",
	[PG_reserved] = "reserved", [PG_private] = "private", [PG_writeback] = "writeback",
	[PG_head] = "head", [PG_swapbacked] = "swapbacked", [PG_buddy] = "buddy",
	[PG_table] = "table", [PG_zero] = "zero", [PG_guard] = "guard",
	[PG_tail] = "tail", [PG_poisoned] = "poisoned",
};

static size_t add(char *buf, size_t len, size_t used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t add(char *buf, size_t len, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= len)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	return n < 0 ? used : used + (size_t)n;
}

void dump_page(const struct phys_mem *pm, const struct page *page, const char *reason,
	       char *buf, size_t len)
{
	size_t used = 0;
	const char *sep = "";

	if (!len)
		return;
	buf[0] = '\0';
	used = add(buf, len, used, "page: refcount:%d mapcount:%d mapping:%016" PRIxPTR
		   " index:0x%" PRIx64 " pfn:0x%lx\n", page->_refcount, page_mapcount(page),
		   (uintptr_t)page->mapping, page->index, page_to_pfn(pm, page));
	/* __dump_folio(): "anon flags" for an anonymous page */
	used = add(buf, len, used, "%sflags: 0x%" PRIx64 "(", PageAnon(page) ? "anon " : "",
		   page->flags);
	for (unsigned f = 0; f < __NR_PAGEFLAGS; f++)
		if (test_page_flag(page, (enum pageflags)f)) {
			used = add(buf, len, used, "%s%s", sep, pageflag_names[f]);
			sep = "|";
		}
	used = add(buf, len, used, "%snode=%u|zone=%u)\n", sep, page_to_nid(page),
		   page_zonenum(page));
	if (reason)
		add(buf, len, used, "page dumped because: %s\n", reason);
}

bool vm_bug_report(struct phys_mem *pm, const char *dump, const char *what, enum vm_report kind,
		   const char *file, int line)
{
	static const char *const ev[] = { "vm_bug", "vm_warn", "vm_alert" };
	size_t used = 0;

	pm->vmstat.vm_bug++;
	if (kind == VM_REPORT_ALERT)
		used = add(pm->bug_report, sizeof(pm->bug_report), 0, "%s%s", what, dump ? "\n" : "");
	if (dump)
		used = add(pm->bug_report, sizeof(pm->bug_report), used, "%s", dump);
	if (kind == VM_REPORT_WARN)
		add(pm->bug_report, sizeof(pm->bug_report), used,
		    "WARNING: %s at %s:%d", what, file, line);
	else if (kind == VM_REPORT_BUG)
		/* the check's text, unless the dump said it ("page dumped because:") */
		add(pm->bug_report, sizeof(pm->bug_report), used, "%s%skernel BUG at %s:%d!",
		    dump && strstr(dump, what) ? "" : what, dump && strstr(dump, what) ? "" : "\n",
		    file, line);
	else if (used && pm->bug_report[used - 1] == '\n')
		pm->bug_report[used - 1] = '\0';
	if (kind == VM_REPORT_ALERT)
		snprintf(pm->bad_page_msg, sizeof(pm->bad_page_msg), "%s", what);
	else
		snprintf(pm->bad_page_msg, sizeof(pm->bad_page_msg), "%s at %s:%d", what, file, line);
	EV(pm->events, ev[kind], "check=\"%s\" at=%s:%d", what, file, line);
	if (pm->bad_page_hook)
		pm->bad_page_hook(pm->bad_page_ctx, pm->bug_report);
	return true;
}

bool vm_bug_page(struct phys_mem *pm, const struct page *page, const char *what,
		 const char *file, int line)
{
	char dump[512];

	dump_page(pm, page, what, dump, sizeof(dump));
	return vm_bug_report(pm, dump, what, VM_REPORT_BUG, file, line);
}
