/*
 * Views of a task's address space, in the kernel's text formats
 * (fs/proc/task_mmu.c, fs/proc/array.c) or as JSON:
 *   maps    /proc/PID/maps: one line per VMA, then [vsyscall] on x86_64
 *   smaps   /proc/PID/smaps: the maps line and the per-VMA memory lines
 *   status  /proc/PID/status: Name, Pid, PPid and the Vm* / Rss* lines
 * The task is the view's `task` argument, or the one running on CPU 0.
 * The JSON has the same names with every size in bytes (the text's kB).
 * Invariant: a view only reads (no A/D bits, no TLB change, no counters).
 */
#include "kern/views.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/stats.h"
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

/* The maps fields of one VMA as members of the open JSON object. */
static void json_maps_fields(struct json_writer *jw, const struct vma_line *l)
{
	char dev[16];

	snprintf(dev, sizeof(dev), "%02x:%02x", l->major, l->minor);
	json_key_hex(jw, "start", l->start);
	json_key_hex(jw, "end", l->end);
	json_key_str(jw, "perms", l->perms);
	json_key_u64(jw, "offset", l->pgoff);
	json_key_str(jw, "dev", dev);
	json_key_u64(jw, "inode", l->ino);
	json_key_str(jw, "name", l->name ? l->name : "");
}

static void maps_entry(struct json_writer *jw, struct strbuf *sb, const struct vma_line *l,
		       bool is64)
{
	if (!jw) {
		maps_line(sb, l, is64);
		return;
	}
	json_object_begin(jw);
	json_maps_fields(jw, l);
	json_object_end(jw);
}

static int view_maps(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		     struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	const bool is64 = config_is_64(&m->cfg);
	struct vm_area_struct *vma;
	struct vma_line l;

	if (!t)
		return -EINVAL;
	if (jw)
		json_array_begin(jw);
	for_each_vma(t->mm, vma) {
		vma_line_of(vma, &l);
		maps_entry(jw, sb, &l, is64);
	}
	if (is64 && t->mm->task_size > (1ULL << 32)) {
		/* the gate VMA (vsyscall=xonly): not in the tree, shown for
		 * every 64-bit task; a 32-bit (compat) task, whose task_size
		 * is below 4 GiB, has none */
		struct vma_line g = { 0xffffffffff600000ULL, 0xffffffffff601000ULL, 0, 0, "--xp",
				      0, 0, "[vsyscall]" };

		maps_entry(jw, sb, &g, is64);
	}
	if (jw)
		json_array_end(jw);
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

/* show_smap_vma_flags(): the two-letter mnemonic of each flag set, in bit
 * order, each followed by a space.  VM_SOFTDIRTY prints "sd" only with
 * CONFIG_MEM_SOFT_DIRTY, which the reference kernel does not have; the
 * protection-key bits print nothing (they have a line of their own). */
static void vm_flags_str(unsigned long f, char *buf, size_t len)
{
	static const struct { unsigned long bit; char s[3]; } names[] = {
		{ VM_READ, "rd" }, { VM_WRITE, "wr" }, { VM_EXEC, "ex" }, { VM_SHARED, "sh" },
		{ VM_MAYREAD, "mr" }, { VM_MAYWRITE, "mw" }, { VM_MAYEXEC, "me" },
		{ VM_MAYSHARE, "ms" }, { VM_GROWSDOWN, "gd" }, { VM_UFFD_MISSING, "um" },
		{ VM_PFNMAP, "pf" }, { VM_UFFD_WP, "uw" }, { VM_LOCKED, "lo" }, { VM_IO, "io" },
		{ VM_SEQ_READ, "sr" }, { VM_RAND_READ, "rr" }, { VM_DONTCOPY, "dc" },
		{ VM_DONTEXPAND, "de" }, { VM_LOCKONFAULT, "lf" }, { VM_ACCOUNT, "ac" },
		{ VM_NORESERVE, "nr" }, { VM_HUGETLB, "ht" }, { VM_SYNC, "sf" }, { VM_ARCH_1, "ar" },
		{ VM_WIPEONFORK, "wf" }, { VM_DONTDUMP, "dd" }, { VM_MIXEDMAP, "mm" },
		{ VM_HUGEPAGE, "hg" }, { VM_NOHUGEPAGE, "nh" }, { VM_MERGEABLE, "mg" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used + 4 < len; i++)
		if (f & names[i].bit)
			used += (size_t)snprintf(buf + used, len - used, "%s ", names[i].s);
}

/* One line of smaps or status: its name and bytes (printed in kB).  The
 * lines Linux prints but vmsim does not model (KSM, swap, hugetlb) are
 * zeros in the text, for readers of the kernel's format, and absent from
 * the JSON, which carries only quantities the simulator knows. */
struct kb_line {
	const char *name;
	uint64_t bytes;
	bool modeled;
};

/* THPeligible: anonymous private memory on x86_64 that can hold an
 * aligned 2 MiB page (thp_vma_allowable_order, THP "always"), unless
 * VM_NOHUGEPAGE forbids it (vma_thp_disabled) */
static bool thp_eligible(const struct vm_area_struct *vma, bool is64)
{
	uint64_t huge = 2ULL << 20;

	return is64 && vma_is_anonymous(vma) && !(vma->vm_flags & (VM_SHARED | VM_NOHUGEPAGE)) &&
	       ((vma->vm_start + huge - 1) & ~(huge - 1)) + huge <= vma->vm_end;
}

static void smaps_vma(struct vmsim_machine *m, struct vm_area_struct *vma, bool is64,
		      struct json_writer *jw, struct strbuf *sb)
{
	struct mem_size_stats mss = { 0 };
	void *arg[2] = { &mss, m };
	struct vma_line l;
	char flags[128];
	uint64_t pss, locked;

	walk_pte_range(vma->vm_mm, vma->vm_start, vma->vm_end, smaps_pte, arg);
	vma_line_of(vma, &l);
	pss = mss.pss >> PSS_SHIFT;
	locked = vma->vm_flags & VM_LOCKED ? pss : 0;
	vm_flags_str(vma->vm_flags, flags, sizeof(flags));
	const struct kb_line lines[] = {
		{ "Size", vma->vm_end - vma->vm_start, true },
		{ "KernelPageSize", PAGE_SIZE, true },
		{ "MMUPageSize", PAGE_SIZE, true },
		{ "Rss", mss.resident, true },
		{ "Pss", pss, true },
		{ "Pss_Dirty", mss.pss_dirty >> PSS_SHIFT, true },
		{ "Shared_Clean", mss.shared_clean, true },
		{ "Shared_Dirty", mss.shared_dirty, true },
		{ "Private_Clean", mss.private_clean, true },
		{ "Private_Dirty", mss.private_dirty, true },
		{ "Referenced", mss.referenced, true },
		{ "Anonymous", mss.anonymous, true },
		{ "KSM", 0, false },
		{ "LazyFree", 0, false },
		{ "AnonHugePages", 0, false },
		{ "ShmemPmdMapped", 0, false },
		{ "FilePmdMapped", 0, false },
		{ "Shared_Hugetlb", 0, false },
		{ "Private_Hugetlb", 0, false },
		{ "Swap", 0, false },
		{ "SwapPss", 0, false },
		{ "Locked", locked, true },
	};
	const size_t n = sizeof(lines) / sizeof(lines[0]);

	if (jw) {
		json_object_begin(jw);
		json_maps_fields(jw, &l);
		for (size_t i = 0; i < n; i++)
			if (lines[i].modeled)
				json_key_u64(jw, lines[i].name, lines[i].bytes);
		json_key_bool(jw, "THPeligible", thp_eligible(vma, is64));
		json_key(jw, "VmFlags");
		json_words(jw, flags);
		json_object_end(jw);
		return;
	}
	maps_line(sb, &l, is64);
	for (size_t i = 0; i < n; i++) {
		char label[24];

		snprintf(label, sizeof(label), "%s:", lines[i].name);
		sb_printf(sb, "%-16s%8llu kB\n", label, (unsigned long long)(lines[i].bytes >> 10));
	}
	sb_printf(sb, "THPeligible:    %8d\n", thp_eligible(vma, is64));
	sb_printf(sb, "VmFlags: %s\n", flags);
}

static int view_smaps(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		      struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	const bool is64 = config_is_64(&m->cfg);
	struct vm_area_struct *vma;

	if (!t)
		return -EINVAL;
	if (jw)
		json_array_begin(jw);
	for_each_vma(t->mm, vma)
		smaps_vma(m, vma, is64, jw, sb);
	if (jw)
		json_array_end(jw);
	return 0;
}

/* ---- status ---- */

static int view_status(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		       struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	struct mm_struct *mm;
	unsigned long hiwater_vm, hiwater_rss, rss;
	uint64_t text, exec;

	if (!t)
		return -EINVAL;
	mm = t->mm;
	rss = get_mm_rss(mm);
	hiwater_vm = mm->hiwater_vm > mm->total_vm ? mm->hiwater_vm : mm->total_vm;
	hiwater_rss = mm->hiwater_rss > rss ? mm->hiwater_rss : rss;
	text = PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK);
	exec = (uint64_t)mm->exec_vm << PAGE_SHIFT;
#define P(pages) ((uint64_t)(pages) << PAGE_SHIFT)
	const struct kb_line lines[] = {
		{ "VmPeak", P(hiwater_vm), true },
		{ "VmSize", P(mm->total_vm), true },
		{ "VmLck", P(mm->locked_vm), true },
		{ "VmPin", P(mm->pinned_vm), true },
		{ "VmHWM", P(hiwater_rss), true },
		{ "VmRSS", P(rss), true },
		{ "RssAnon", P(get_mm_counter(mm, MM_ANONPAGES)), true },
		{ "RssFile", P(get_mm_counter(mm, MM_FILEPAGES)), true },
		{ "RssShmem", P(get_mm_counter(mm, MM_SHMEMPAGES)), true },
		{ "VmData", P(mm->data_vm), true },
		{ "VmStk", P(mm->stack_vm), true },
		{ "VmExe", text, true },
		{ "VmLib", exec > text ? exec - text : 0, true },
		{ "VmPTE", mm_pgtables_bytes(mm), true },
		{ "VmSwap", 0, false },
		{ "HugetlbPages", 0, false },
	};
#undef P
	const size_t n = sizeof(lines) / sizeof(lines[0]);

	if (jw) {
		struct stat_field f[FAULT_STAT_FIELDS];

		fault_stat_fields(&t->fst, f);
		json_object_begin(jw);
		json_key_str(jw, "Name", t->comm);
		json_key_i64(jw, "Pid", t->pid);
		json_key_i64(jw, "PPid", t->parent ? t->parent->pid : 0);
		for (size_t i = 0; i < n; i++)
			if (lines[i].modeled)
				json_key_u64(jw, lines[i].name, lines[i].bytes);
		/* the task's faults, under the statistics' names */
		json_stat_fields(jw, f, FAULT_STAT_FIELDS);
		json_object_end(jw);
		return 0;
	}
	sb_printf(sb, "Name:\t%s\nPid:\t%d\nPPid:\t%d\n", t->comm, t->pid,
		  t->parent ? t->parent->pid : 0);
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%s:\t%8llu kB\n", lines[i].name,
			  (unsigned long long)(lines[i].bytes >> 10));
	return 0;
}

const struct view views_mm[] = {
	{ "maps", view_maps },
	{ "smaps", view_smaps },
	{ "status", view_status },
	{ NULL, NULL },
};
