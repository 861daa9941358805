/*
 * Views of a task's address space, in the kernel's text formats
 * (fs/proc/task_mmu.c, fs/proc/array.c) or as JSON:
 *   maps    /proc/PID/maps: one line per VMA, then [vsyscall] on x86_64
 *   smaps   /proc/PID/smaps: the maps line and the per-VMA memory lines
 *   status  /proc/PID/status: Name, Pid, PPid and the Vm* / Rss* lines
 * The task is the view's `task` argument, or the one running on CPU 0.
 * Invariant: a view only reads (no A/D bits, no TLB change, no counters).
 */
#include "kern/views.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "vma/filemap.h"
#include "vma/mm.h"

static struct task_struct *view_task(struct vmsim_machine *m, const struct view_args *a,
				     struct strbuf *sb)
{
	struct task_struct *t;

	if (a && a->task) {
		t = m->tasks.next ? task_find(m, a->task) : NULL;
		if (!t)
			sb_printf(sb, "no task '%s'", a->task);
		return t;
	}
	if (m->current[0])
		return m->current[0];
	if (m->tasks.next && !list_empty(&m->tasks) && m->tasks.next->next == &m->tasks)
		return list_first_entry(&m->tasks, struct task_struct, tasks);
	sb_puts(sb, "which task? give { what: VIEW, task: NAME }");
	return NULL;
}

/* The name column: [heap], [stack], a file, shared anonymous memory, or
 * nothing (show_map_vma()). */
static const char *vma_name(const struct vm_area_struct *vma)
{
	const struct mm_struct *mm = vma->vm_mm;

	if (vma->vm_ops && vma->vm_ops->name)
		return vma->vm_ops->name((struct vm_area_struct *)vma);
	if (vma->vm_file)
		return vma->vm_file->f_path;
	if (vma->shm)
		return "/dev/zero (deleted)";
	if (vma->vm_start < mm->brk && vma->vm_end > mm->start_brk)
		return "[heap]";
	if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)
		return "[stack]";
	return NULL;
}

struct vma_line {
	uint64_t start, end, pgoff, ino;
	char perms[5];
	unsigned major, minor;
	const char *name;
};

static void vma_line_of(const struct vm_area_struct *vma, struct vma_line *l)
{
	unsigned long f = vma->vm_flags;

	l->start = vma->vm_start;
	l->end = vma->vm_end;
	l->perms[0] = f & VM_READ ? 'r' : '-';
	l->perms[1] = f & VM_WRITE ? 'w' : '-';
	l->perms[2] = f & VM_EXEC ? 'x' : '-';
	l->perms[3] = f & VM_MAYSHARE ? 's' : 'p';
	l->perms[4] = '\0';
	/* anonymous memory shows offset 0 (vm_pgoff is only meaningful for
	 * files); shared anonymous memory is a shmem file on device 00:01 */
	l->pgoff = vma->vm_file || vma->shm ? vma->vm_pgoff << PAGE_SHIFT : 0;
	l->major = vma->vm_file ? vma->vm_file->dev_major : 0;
	l->minor = vma->vm_file ? vma->vm_file->dev_minor : vma->shm ? 1 : 0;
	l->ino = vma->vm_file ? vma->vm_file->i_ino : vma->shm ? vma->shm->ino : 0;
	l->name = vma_name(vma);
}

/* show_vma_header_prefix() + the padded name: the name starts at column
 * 25 + 6 * sizeof(void *) of the kernel (73 on x86_64, 49 on x86_32). */
static void maps_line(struct strbuf *sb, const struct vma_line *l, bool is64)
{
	size_t start = sb->len, width = is64 ? 72 : 48;

	sb_printf(sb, "%08" PRIx64 "-%08" PRIx64 " %s %08" PRIx64 " %02x:%02x %" PRIu64 " ",
		  l->start, l->end, l->perms, l->pgoff, l->major, l->minor, l->ino);
	if (l->name) {
		while (sb->len - start < width && !sb->oom)
			sb_putc(sb, ' ');
		sb_putc(sb, ' ');
		sb_puts(sb, l->name);
	}
	sb_putc(sb, '\n');
}

static void json_line(struct strbuf *sb, const struct vma_line *l)
{
	sb_printf(sb, "{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"perms\": \"%s\", "
		  "\"offset\": \"0x%" PRIx64 "\", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64
		  ", \"name\": ", l->start, l->end, l->perms, l->pgoff, l->major, l->minor, l->ino);
	if (l->name)
		sb_json_str(sb, l->name);
	else
		sb_puts(sb, "\"\"");
}

static int view_maps(struct vmsim_machine *m, const struct view_args *a, bool json,
		     struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	const bool is64 = config_is_64(&m->cfg);
	struct vm_area_struct *vma;
	struct vma_line l;
	bool first = true;

	if (!t)
		return -EINVAL;
	if (json)
		sb_puts(sb, "[");
	for_each_vma(t->mm, vma) {
		vma_line_of(vma, &l);
		if (json) {
			sb_puts(sb, first ? "\n  " : ",\n  ");
			json_line(sb, &l);
			sb_puts(sb, "}");
		} else {
			maps_line(sb, &l, is64);
		}
		first = false;
	}
	if (is64 && t->mm->task_size > (1ULL << 32)) {
		/* the gate VMA (vsyscall=xonly): not in the tree, shown for
		 * every 64-bit task; a 32-bit (compat) task, whose task_size
		 * is below 4 GiB, has none */
		struct vma_line g = { 0xffffffffff600000ULL, 0xffffffffff601000ULL, 0, 0, "--xp",
				      0, 0, "[vsyscall]" };
		if (json) {
			sb_puts(sb, first ? "\n  " : ",\n  ");
			json_line(sb, &g);
			sb_puts(sb, "}");
		} else {
			maps_line(sb, &g, is64);
		}
	}
	if (json)
		sb_puts(sb, "\n]");
	return 0;
}

/* ---- smaps ---- */

struct mem_size_stats {
	unsigned long resident, shared_clean, shared_dirty, private_clean, private_dirty;
	unsigned long referenced, anonymous;
	uint64_t pss, pss_dirty;	/* in bytes << PSS_SHIFT */
	bool zero_page;
};

#define PSS_SHIFT 12

static int smaps_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct mem_size_stats *mss = ((void **)arg)[0];
	struct vmsim_machine *m = ((void **)arg)[1];
	uint64_t pfn = (pte & m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;
	bool dirty = pte & _PAGE_DIRTY, young = pte & _PAGE_ACCESSED;
	int mapcount;

	if (!(pte & _PAGE_PRESENT))
		return 0;	/* PROT_NONE pages are not resident in smaps */
	if (!pfn_valid(&m->pm, (unsigned long)pfn))
		return 0;
	page = pfn_to_page(&m->pm, (unsigned long)pfn);
	/* smaps_pte_entry(): the zero page is a "special" PTE, not counted */
	if (page == m->zero_page)
		return 0;
	mss->resident += PAGE_SIZE;
	if (young || test_page_flag(page, PG_referenced))
		mss->referenced += PAGE_SIZE;
	if (PageAnon(page))
		mss->anonymous += PAGE_SIZE;
	dirty = dirty || PageDirty(page);
	mapcount = page_mapcount(page);
	/* smaps_page_accumulate(): a page mapped more than once is shared and
	 * its Pss share is the size divided by the mapcount */
	if (mapcount >= 2) {
		if (dirty)
			mss->shared_dirty += PAGE_SIZE;
		else
			mss->shared_clean += PAGE_SIZE;
		mss->pss += ((uint64_t)PAGE_SIZE << PSS_SHIFT) / (unsigned)mapcount;
		if (dirty)
			mss->pss_dirty += ((uint64_t)PAGE_SIZE << PSS_SHIFT) / (unsigned)mapcount;
	} else {
		if (dirty)
			mss->private_dirty += PAGE_SIZE;
		else
			mss->private_clean += PAGE_SIZE;
		mss->pss += (uint64_t)PAGE_SIZE << PSS_SHIFT;
		if (dirty)
			mss->pss_dirty += (uint64_t)PAGE_SIZE << PSS_SHIFT;
	}
	(void)va;
	(void)epa;
	return 0;
}

/* show_smap_vma_flags(): the two-letter mnemonics in bit order, each
 * followed by a space.  VM_SOFTDIRTY prints "sd" only with
 * CONFIG_MEM_SOFT_DIRTY, which the reference kernel does not have. */
static void vm_flags_str(unsigned long f, char *buf, size_t len)
{
	static const struct { unsigned long bit; const char *s; } names[] = {
		{ VM_READ, "rd" }, { VM_WRITE, "wr" }, { VM_EXEC, "ex" }, { VM_SHARED, "sh" },
		{ VM_MAYREAD, "mr" }, { VM_MAYWRITE, "mw" }, { VM_MAYEXEC, "me" },
		{ VM_MAYSHARE, "ms" }, { VM_GROWSDOWN, "gd" }, { VM_PFNMAP, "pf" },
		{ VM_LOCKED, "lo" }, { VM_IO, "io" }, { VM_DONTCOPY, "dc" },
		{ VM_DONTEXPAND, "de" }, { VM_LOCKONFAULT, "lf" }, { VM_ACCOUNT, "ac" },
		{ VM_NORESERVE, "nr" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used + 4 < len; i++)
		if (f & names[i].bit)
			used += (size_t)snprintf(buf + used, len - used, "%s ", names[i].s);
}

static int view_smaps(struct vmsim_machine *m, const struct view_args *a, bool json,
		      struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	const bool is64 = config_is_64(&m->cfg);
	struct vm_area_struct *vma;
	bool first = true;

	if (!t)
		return -EINVAL;
	if (json)
		sb_puts(sb, "[");
	for_each_vma(t->mm, vma) {
		struct mem_size_stats mss = { 0 };
		void *arg[2] = { &mss, m };
		struct vma_line l;
		unsigned long locked;
		char flags[64];

		walk_pte_range(t->mm, vma->vm_start, vma->vm_end, smaps_pte, arg);
		vma_line_of(vma, &l);
		locked = vma->vm_flags & VM_LOCKED ? (unsigned long)(mss.pss >> PSS_SHIFT) : 0;
		vm_flags_str(vma->vm_flags, flags, sizeof(flags));
		if (json) {
			sb_puts(sb, first ? "\n  " : ",\n  ");
			json_line(sb, &l);
			sb_printf(sb, ", \"Size\": %" PRIu64 ", \"Rss\": %lu, \"Pss\": %" PRIu64
				  ", \"Pss_Dirty\": %" PRIu64 ", \"Shared_Clean\": %lu, \"Shared_Dirty\": %lu"
				  ", \"Private_Clean\": %lu, \"Private_Dirty\": %lu, \"Referenced\": %lu"
				  ", \"Anonymous\": %lu, \"Locked\": %lu, \"VmFlags\": \"%s\"}",
				  (vma->vm_end - vma->vm_start) >> 10, mss.resident >> 10,
				  mss.pss >> (10 + PSS_SHIFT), mss.pss_dirty >> (10 + PSS_SHIFT),
				  mss.shared_clean >> 10, mss.shared_dirty >> 10, mss.private_clean >> 10,
				  mss.private_dirty >> 10, mss.referenced >> 10, mss.anonymous >> 10,
				  locked >> 10, flags);
			first = false;
			continue;
		}
		maps_line(sb, &l, is64);
#define SMAP(name, kb) sb_printf(sb, "%-16s%8lu kB\n", name ":", (unsigned long)(kb))
		SMAP("Size", (vma->vm_end - vma->vm_start) >> 10);
		SMAP("KernelPageSize", PAGE_SIZE >> 10);
		SMAP("MMUPageSize", PAGE_SIZE >> 10);
		SMAP("Rss", mss.resident >> 10);
		SMAP("Pss", mss.pss >> (10 + PSS_SHIFT));
		SMAP("Pss_Dirty", mss.pss_dirty >> (10 + PSS_SHIFT));
		SMAP("Shared_Clean", mss.shared_clean >> 10);
		SMAP("Shared_Dirty", mss.shared_dirty >> 10);
		SMAP("Private_Clean", mss.private_clean >> 10);
		SMAP("Private_Dirty", mss.private_dirty >> 10);
		SMAP("Referenced", mss.referenced >> 10);
		SMAP("Anonymous", mss.anonymous >> 10);
		SMAP("KSM", 0);
		SMAP("LazyFree", 0);
		SMAP("AnonHugePages", 0);
		SMAP("ShmemPmdMapped", 0);
		SMAP("FilePmdMapped", 0);
		SMAP("Shared_Hugetlb", 0);
		SMAP("Private_Hugetlb", 0);
		SMAP("Swap", 0);
		SMAP("SwapPss", 0);
		SMAP("Locked", locked >> 10);
#undef SMAP
		/* THPeligible: anonymous private memory on x86_64 that can hold
		 * an aligned 2 MiB page (thp_vma_allowable_order, THP "always") */
		sb_printf(sb, "THPeligible:    %8d\n",
			  is64 && vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED) &&
			  ((vma->vm_start + (2ULL << 20) - 1) & ~((2ULL << 20) - 1)) + (2ULL << 20) <=
			  vma->vm_end);
		sb_printf(sb, "VmFlags: %s\n", flags);
	}
	if (json)
		sb_puts(sb, "\n]");
	return 0;
}

/* ---- status ---- */

static int view_status(struct vmsim_machine *m, const struct view_args *a, bool json,
		       struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	struct mm_struct *mm;
	unsigned long text, lib, hiwater_vm, hiwater_rss, rss, pte_kb;
	const unsigned long kb = PAGE_SIZE >> 10;

	if (!t)
		return -EINVAL;
	mm = t->mm;
	rss = get_mm_rss(mm);
	hiwater_vm = mm->hiwater_vm > mm->total_vm ? mm->hiwater_vm : mm->total_vm;
	hiwater_rss = mm->hiwater_rss > rss ? mm->hiwater_rss : rss;
	text = (unsigned long)((PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK)) >> 10);
	lib = mm->exec_vm * kb > text ? mm->exec_vm * kb - text : 0;
	pte_kb = mm_pgtables_bytes(mm) >> 10;
	if (json) {
		sb_puts(sb, "{\"Name\": ");
		sb_json_str(sb, t->comm);
		sb_printf(sb, ", \"Pid\": %d, \"PPid\": %d, \"VmPeak\": %lu, \"VmSize\": %lu, "
			  "\"VmLck\": %lu, \"VmPin\": %lu, \"VmHWM\": %lu, \"VmRSS\": %lu, "
			  "\"RssAnon\": %lu, \"RssFile\": %lu, \"RssShmem\": %lu, \"VmData\": %lu, "
			  "\"VmStk\": %lu, \"VmExe\": %lu, \"VmLib\": %lu, \"VmPTE\": %lu, "
			  "\"VmSwap\": 0, \"min_flt\": %lu, \"cow\": %lu, \"zero_page\": %lu, "
			  "\"segv\": %lu}",
			  t->pid, t->parent ? t->parent->pid : 0, hiwater_vm * kb, mm->total_vm * kb,
			  mm->locked_vm * kb, mm->pinned_vm * kb, hiwater_rss * kb, rss * kb,
			  get_mm_counter(mm, MM_ANONPAGES) * kb, get_mm_counter(mm, MM_FILEPAGES) * kb,
			  get_mm_counter(mm, MM_SHMEMPAGES) * kb, mm->data_vm * kb, mm->stack_vm * kb,
			  text, lib, pte_kb, t->fst.min_flt, t->fst.cow, t->fst.zero_page, t->fst.segv);
		return 0;
	}
	sb_printf(sb, "Name:\t%s\nPid:\t%d\nPPid:\t%d\n", t->comm, t->pid,
		  t->parent ? t->parent->pid : 0);
#define STATUS(name, v) sb_printf(sb, "%s:\t%8lu kB\n", name, (unsigned long)(v))
	STATUS("VmPeak", hiwater_vm * kb);
	STATUS("VmSize", mm->total_vm * kb);
	STATUS("VmLck", mm->locked_vm * kb);
	STATUS("VmPin", mm->pinned_vm * kb);
	STATUS("VmHWM", hiwater_rss * kb);
	STATUS("VmRSS", rss * kb);
	sb_printf(sb, "RssAnon:\t%8lu kB\n", get_mm_counter(mm, MM_ANONPAGES) * kb);
	sb_printf(sb, "RssFile:\t%8lu kB\n", get_mm_counter(mm, MM_FILEPAGES) * kb);
	sb_printf(sb, "RssShmem:\t%8lu kB\n", get_mm_counter(mm, MM_SHMEMPAGES) * kb);
	STATUS("VmData", mm->data_vm * kb);
	STATUS("VmStk", mm->stack_vm * kb);
	STATUS("VmExe", text);
	STATUS("VmLib", lib);
	STATUS("VmPTE", pte_kb);
	STATUS("VmSwap", 0);
#undef STATUS
	sb_printf(sb, "HugetlbPages:\t%8lu kB\n", 0UL);
	return 0;
}

const struct view views_mm[] = {
	{ "maps", view_maps },
	{ "smaps", view_smaps },
	{ "status", view_status },
	{ NULL, NULL },
};
