/*
 * Views of a task's address space, in the kernel's text formats
 * (fs/proc/task_mmu.c, fs/proc/array.c) or as JSON:
 *   maps    /proc/PID/maps: one line per VMA, then [vsyscall] on x86_64
 *   smaps   /proc/PID/smaps: the maps line and the per-VMA memory lines
 *   status  /proc/PID/status: the lines whose values vmsim knows
 *   swaps   /proc/swaps: the swap areas (mm/swapfile.c swap_show())
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
#include "vma/swapfile.h"

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
	unsigned long referenced, anonymous, anonymous_thp, lazyfree, swap;
	uint64_t pss, pss_dirty, swap_pss;	/* in bytes << PSS_SHIFT */
};

#define PSS_SHIFT 12

struct smaps_walk {
	struct mem_size_stats *mss;
	struct vmsim_machine *m;
};

/* smaps_page_accumulate(): @size bytes whose Pss share is @pss. */
static void smaps_page_accumulate(struct mem_size_stats *mss, unsigned long size, uint64_t pss,
				  bool dirty, bool private)
{
	mss->pss += pss;
	if (dirty) {
		mss->pss_dirty += pss;
		if (private)
			mss->private_dirty += size;
		else
			mss->shared_dirty += size;
	} else {
		if (private)
			mss->private_clean += size;
		else
			mss->shared_clean += size;
	}
}

/*
 * smaps_account(): @nr pages from @page, mapped by one entry (@nr > 1: a
 * huge PMD, @page its head).  A page whose (huge page's) refcount is one
 * is private to this mapping; otherwise each page is shared when mapped
 * more than once, and its Pss share is the size divided by its mapcount
 * (PTEs and PMDs).
 */
static void smaps_account(struct mem_size_stats *mss, struct page *page, unsigned long nr,
			  bool young, bool dirty)
{
	struct page *folio = compound_head(page);
	const unsigned long size = nr * PAGE_SIZE;

	if (PageAnon(folio)) {
		mss->anonymous += size;
		/* MADV_FREE'd and not written since */
		if (!PageSwapBacked(folio) && !dirty && !PageDirty(folio))
			mss->lazyfree += size;
	}
	mss->resident += size;
	if (young || test_page_flag(folio, PG_referenced))
		mss->referenced += size;
	dirty = dirty || PageDirty(folio);
	if (page_ref_count(folio) == 1) {
		smaps_page_accumulate(mss, size, (uint64_t)size << PSS_SHIFT, dirty, true);
		return;
	}
	for (unsigned long i = 0; i < nr; i++) {
		int mapcount = page_mapcount(page + i);
		uint64_t pss = (uint64_t)PAGE_SIZE << PSS_SHIFT;

		if (mapcount >= 2)
			pss /= (unsigned)mapcount;
		smaps_page_accumulate(mss, PAGE_SIZE, pss, dirty, mapcount < 2);
	}
}

static int smaps_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct smaps_walk *w = arg;
	struct vmsim_machine *m = w->m;
	uint64_t pfn = (pte & m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;

	if (is_swap_pte(pte)) {
		/* a swapped-out page: its share of the slot by the slot's
		 * users (swp_swapcount()) */
		swp_entry_t entry = pte_to_swp_entry(m->pt.fmt, pte);
		unsigned users;

		if (non_swap_entry(entry))
			return 0;
		users = swap_swapcount(&m->vm, entry);
		w->mss->swap += PAGE_SIZE;
		w->mss->swap_pss += ((uint64_t)PAGE_SIZE << PSS_SHIFT) / (users >= 2 ? users : 1);
		return 0;
	}
	/* pte_present(): a PROT_NONE page is resident too */
	if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)))
		return 0;
	if (!pfn_valid(&m->pm, (unsigned long)pfn))
		return 0;
	page = pfn_to_page(&m->pm, (unsigned long)pfn);
	/* smaps_pte_entry(): the zero page is a "special" PTE, not counted */
	if (page == m->vm.zero_page)
		return 0;
	smaps_account(w->mss, page, 1, pte & _PAGE_ACCESSED, pte & _PAGE_DIRTY);
	(void)va;
	(void)epa;
	return 0;
}

/* smaps_pmd_entry(): a huge page mapped whole; the huge zero page is a
 * special PMD (vm_normal_page_pmd() finds no page), not counted. */
static int smaps_pmd(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t pmd,
		     struct page *folio)
{
	struct smaps_walk *w = arg;
	struct vmsim_machine *m = w->m;

	if (is_huge_zero_folio(&m->vm, folio))
		return 0;
	if (PageAnon(folio))
		w->mss->anonymous_thp += HPAGE_PMD_SIZE(&m->vm);
	smaps_account(w->mss, folio, HPAGE_PMD_NR(&m->vm), pmd & _PAGE_ACCESSED, pmd & _PAGE_DIRTY);
	(void)addr;
	(void)next;
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
 * lines Linux prints but vmsim does not model (KSM, hugetlb) are
 * zeros in the text, for readers of the kernel's format, and absent from
 * the JSON, which carries only quantities the simulator knows. */
struct kb_line {
	const char *name;
	uint64_t bytes;
	bool modeled;
};

/* THPeligible: thp_vma_allowable_order(vma, vm_flags, TVA_SMAPS |
 * TVA_ENFORCE_SYSFS, PMD_ORDER) */
static bool thp_eligible(struct vm_area_struct *vma)
{
	return thp_vma_allowable_order(vma, vma->vm_flags, TVA_SMAPS | TVA_ENFORCE_SYSFS);
}

static void smaps_vma(struct vmsim_machine *m, struct vm_area_struct *vma, bool is64,
		      struct json_writer *jw, struct strbuf *sb)
{
	struct mem_size_stats mss = { 0 };
	struct smaps_walk w = { &mss, m };
	const struct mm_walk_ops ops = { .pte_entry = smaps_pte, .pmd_entry = smaps_pmd };
	struct vma_line l;
	char flags[128];
	uint64_t pss, locked;

	walk_page_range_ro(vma->vm_mm, vma->vm_start, vma->vm_end, &ops, &w);
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
		{ "LazyFree", mss.lazyfree, true },
		{ "AnonHugePages", mss.anonymous_thp, true },
		{ "ShmemPmdMapped", 0, false },
		{ "FilePmdMapped", 0, false },
		{ "Shared_Hugetlb", 0, false },
		{ "Private_Hugetlb", 0, false },
		{ "Swap", mss.swap, true },
		{ "SwapPss", mss.swap_pss >> PSS_SHIFT, true },
		{ "Locked", locked, true },
	};
	const size_t n = sizeof(lines) / sizeof(lines[0]);

	if (jw) {
		json_object_begin(jw);
		json_maps_fields(jw, &l);
		for (size_t i = 0; i < n; i++)
			if (lines[i].modeled)
				json_key_u64(jw, lines[i].name, lines[i].bytes);
		json_key_bool(jw, "THPeligible", thp_eligible(vma));
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
	sb_printf(sb, "THPeligible:    %8d\n", thp_eligible(vma));
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

/* cpumask_pr_args() with %*pb: the mask of @n CPUs, all allowed (vmsim
 * has no affinity), as 32-bit hex words, most significant first, the
 * first one only as wide as its bits need. */
static void cpus_allowed(unsigned n, char *buf, size_t len)
{
	unsigned chunk = n % 32 ? n % 32 : 32;
	size_t used = 0;

	buf[0] = '\0';
	for (int i = (int)((n + 31) / 32) - 1; i >= 0 && used < len; i--, chunk = 32)
		used += (size_t)snprintf(buf + used, len - used, "%s%0*llx", used ? "," : "",
					 (int)((chunk + 3) / 4), (1ULL << chunk) - 1);
}

/*
 * /proc/PID/status (fs/proc/array.c proc_pid_status(), task_mem() of
 * fs/proc/task_mmu.c), in the kernel's order, with every line whose
 * value vmsim knows: it has no threads (each task is its own thread group,
 * CLONE_VM or not), no ptrace, NUMA balancing, core dumps, LAM or CPU
 * affinity, so Tgid is the pid, TracerPid and Ngid 0, Threads 1 and every
 * CPU allowed.  The lines of what it does not model (Umask, Uid, Gid,
 * FDSize, Groups, NSpgid, NSsid, signals, capabilities, seccomp,
 * speculation, Mems_allowed, context switches) are left out.  VmSwap and
 * HugetlbPages are printed as 0 in the text but left out of the JSON,
 * like the smaps lines of what is not modelled.
 */
static int view_status(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		       struct strbuf *sb)
{
	struct task_struct *t = view_task(m, a, sb);
	struct mm_struct *mm;
	unsigned long hiwater_vm, hiwater_rss, rss;
	uint64_t text, exec, untag;
	char cpus[CFG_MAX_CPUS / 4 + CFG_MAX_CPUS / 32 + 2], cpu_list[16];
	bool thp_enabled;
	int ppid;

	if (!t)
		return -EINVAL;
	mm = t->mm;
	ppid = t->parent ? t->parent->pid : 0;
	rss = get_mm_rss(mm);
	hiwater_vm = mm->hiwater_vm > mm->total_vm ? mm->hiwater_vm : mm->total_vm;
	hiwater_rss = mm->hiwater_rss > rss ? mm->hiwater_rss : rss;
	/* task_mem(): the executable areas split between text and lib */
	exec = (uint64_t)mm->exec_vm << PAGE_SHIFT;
	text = PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK);
	if (text > exec)
		text = exec;
	/* task_thp_status(): CONFIG_TRANSPARENT_HUGEPAGE and not prctl'd off */
	thp_enabled = !(mm->flags & (1UL << MMF_DISABLE_THP));
	/* mm_untag_mask(): no linear address masking, every bit kept */
	untag = config_is_64(&m->cfg) ? ~0ULL : 0xffffffffULL;
	cpus_allowed(m->cfg.cpu_count, cpus, sizeof(cpus));
	if (m->cfg.cpu_count > 1)
		snprintf(cpu_list, sizeof(cpu_list), "0-%u", m->cfg.cpu_count - 1);
	else
		snprintf(cpu_list, sizeof(cpu_list), "0");
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
		{ "VmLib", exec - text, true },
		{ "VmPTE", mm_pgtables_bytes(mm), true },
		{ "VmSwap", P(get_mm_counter(mm, MM_SWAPENTS)), true },
		{ "HugetlbPages", 0, false },
	};
#undef P
	const size_t n = sizeof(lines) / sizeof(lines[0]);

	if (jw) {
		struct stat_field f[FAULT_STAT_FIELDS];

		fault_stat_fields(&t->fst, f);
		json_object_begin(jw);
		json_key_str(jw, "Name", t->comm);
		json_key_str(jw, "State", "R (running)");
		json_key_i64(jw, "Tgid", t->pid);
		json_key_i64(jw, "Ngid", 0);
		json_key_i64(jw, "Pid", t->pid);
		json_key_i64(jw, "PPid", ppid);
		json_key_i64(jw, "TracerPid", 0);
		json_key_i64(jw, "NStgid", t->pid);
		json_key_i64(jw, "NSpid", t->pid);
		json_key_bool(jw, "Kthread", false);
		for (size_t i = 0; i < n; i++)
			if (lines[i].modeled)
				json_key_u64(jw, lines[i].name, lines[i].bytes);
		json_key_bool(jw, "CoreDumping", false);
		json_key_bool(jw, "THP_enabled", thp_enabled);
		json_key_hex(jw, "untag_mask", untag);
		json_key_i64(jw, "Threads", 1);
		json_key_str(jw, "Cpus_allowed", cpus);
		json_key_str(jw, "Cpus_allowed_list", cpu_list);
		/* the task's faults, under the statistics' names */
		json_stat_fields(jw, f, FAULT_STAT_FIELDS);
		json_object_end(jw);
		return 0;
	}
	sb_printf(sb, "Name:\t%s\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		  "PPid:\t%d\nTracerPid:\t0\nNStgid:\t%d\nNSpid:\t%d\nKthread:\t0\n", t->comm,
		  t->pid, t->pid, ppid, t->pid, t->pid);
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%s:\t%8llu kB\n", lines[i].name,
			  (unsigned long long)(lines[i].bytes >> 10));
	sb_printf(sb, "CoreDumping:\t0\nTHP_enabled:\t%d\nuntag_mask:\t%#llx\nThreads:\t1\n"
		  "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", thp_enabled,
		  (unsigned long long)untag, cpus, cpu_list);
	return 0;
}

/* ---- swaps ---- */

static int view_swaps(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		      struct strbuf *sb)
{
	(void)a;
	return swaps_show(&m->vm, jw, sb);
}

const struct view views_mm[] = {
	{ "maps", view_maps },
	{ "smaps", view_smaps },
	{ "status", view_status },
	{ "swaps", view_swaps },
	{ NULL, NULL },
};
