/*
 * Known-answer tests of anonymous transparent huge pages, with the
 * whole-machine checker after every access: the PMD leaf a fault maps and
 * what it costs (deposited table, rss, VmPTE, free pages, one TLB entry),
 * which settings and VMAs allow it, the fallback to 4 KiB pages when no
 * PMD-size block is free, the huge zero page and the write that replaces
 * it, splits by munmap and mprotect (rss, maps, smaps, the pages kept
 * whole until the last one goes), fork and copy-on-write, 4 MiB pages on
 * x86_32, corrupted huge PMDs, madvise (HUGEPAGE/NOHUGEPAGE deciding,
 * DONTNEED/FREE/COLD/PAGEOUT whole or splitting, flag changes splitting
 * where VMA boundaries move), mremap moving huge PMDs whole or splitting
 * them, exit returning every frame, and huge pages in a memory cgroup
 * (charged whole; a charge over memory.max falls back to 4 KiB pages).
 *
 * The answers are those of the reference host (Linux 6.18 with
 * transparent_hugepage=madvise and MADV_HUGEPAGE; see docs/thp.md): after
 * a fork, a child's write to a huge page splits only its PMD and copies
 * 4 KiB (smaps Pss 2050 kB of a 4 MiB region with one shared and one
 * split huge page), a write after the child exited reuses the whole page,
 * a write to the huge zero page maps a huge page (thp_fault_alloc, no
 * thp_split_pmd), munmap of one page splits (smaps: AnonHugePages 0,
 * Rss of the rest) and VmPTE does not change on a split.
 */
#include "vma_test.h"
#include "kern/views.h"
#include "mmu/mmu.h"
#include "mmu/pgtable.h"
#include "kern/cgroup.h"
#include "vma/memcontrol.h"
#include "vma/swap.h"
#include "vma/swapfile.h"

#define PRW (PROT_READ | PROT_WRITE)
#define M2 (2 * MiB)

/* nr_anon_transparent_hugepages: NR_ANON_THPS (pages) in huge pages */
static unsigned long nr_anon_thps(const struct vmsim_machine *m)
{
	return global_node_page_state(&m->pm, NR_ANON_THPS) / HPAGE_PMD_NR(&m->vm);
}

static struct vmsim_machine *boot_thp(const char *arch, const char *mem, const char *enabled,
				      const char *zero_page)
{
	char s0[64], s1[80], s2[80];
	const char *sets[4] = { s0, NULL, NULL, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;
	unsigned n = 1;

	snprintf(s0, sizeof(s0), "memory.size=%s", mem);
	if (enabled) {
		snprintf(s1, sizeof(s1), "transparent_hugepage.enabled=%s", enabled);
		sets[n++] = s1;
	}
	if (zero_page) {
		snprintf(s2, sizeof(s2), "transparent_hugepage.use_zero_page=%s", zero_page);
		sets[n++] = s2;
	}
	m = vmsim_machine_create(arch, sets, &err);
	if (!m)
		fail_msg("boot %s: %s", arch, err.msg);
	return m;
}

static uint64_t pmd_entry_of(struct task_struct *t, uint64_t va, uint64_t *epa)
{
	uint64_t pmd = mm_find_pmd(t->mm, va);

	assert_true(pmd != 0);
	if (epa)
		*epa = pmd;
	return pt_read(t->mm->vm->pt, pmd);
}

/* The huge page the PMD of @va maps, or NULL when it maps none. */
static struct page *huge_folio_of(struct task_struct *t, uint64_t va)
{
	uint64_t epa, e = pmd_entry_of(t, va, &epa);

	return huge_pmd_folio(t->mm, epa, e);
}

static struct page *frame_of(struct task_struct *t, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(t->mm, va);

	if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)))
		return NULL;
	const struct vm_ctx *vm = t->mm->vm;

	return pfn_to_page(vm->pm,
			   (unsigned long)((pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT));
}

/* The value (kB, or the number) of smaps line @field in the block of the
 * VMA that starts at @start. */
static long smaps_field(struct task_struct *t, uint64_t start, const char *field)
{
	struct view_args a = { .task = task_name(t) };
	struct strbuf sb = { 0 };
	const char *p;
	bool in = false;
	long v = -1;
	char head[32];

	assert_int_equal(view_render(vm_machine(t->mm->vm), "smaps", &a, false, &sb), 0);
	snprintf(head, sizeof(head), "%08llx-", (unsigned long long)start);
	for (p = sb_str(&sb); *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (strchr(p, '-') && strchr(p, '-') < strchr(p, ' ') && strncmp(p, "VmFlags", 7))
			in = strncmp(p, head, strlen(head)) == 0;
		else if (in && strncmp(p, field, strlen(field)) == 0 && p[strlen(field)] == ':') {
			v = strtol(p + strlen(field) + 1, NULL, 10);
			break;
		}
	}
	sb_free(&sb);
	if (v < 0)
		fail_msg("smaps: no %s for the VMA at %#llx", field, (unsigned long long)start);
	return v;
}

/* The text of /proc/PID/status line @field. */
static void status_field(struct task_struct *t, const char *field, char *out, size_t len)
{
	struct view_args a = { .task = task_name(t) };
	struct strbuf sb = { 0 };
	const char *p;

	assert_int_equal(view_render(vm_machine(t->mm->vm), "status", &a, false, &sb), 0);
	p = strstr(sb_str(&sb), field);
	assert_non_null(p);
	p += strlen(field) + 2;		/* ":\t" */
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
	sb_free(&sb);
}

static unsigned long free_now(struct vmsim_machine *m)
{
	return nr_free_pages_with_pcp(&m->pm);
}

/* Take every free block of order >= 9 (keeping one of order 3 aside for
 * page tables and slabs, given back at the end): no huge page can be
 * allocated until a block is freed.  Returns how many were taken. */
static unsigned exhaust_huge_blocks(struct vmsim_machine *m, struct page **held, unsigned max)
{
	struct page *reserve = alloc_pages(&m->pm, GFP_KERNEL, 3);
	unsigned n = 0;

	assert_non_null(reserve);
	while (n < max &&
	       (held[n] = alloc_pages(&m->pm, GFP_HIGHUSER_MOVABLE, HPAGE_PMD_ORDER(&m->vm))))
		n++;
	assert_true(n < max);
	__free_pages(&m->pm, reserve, 3);
	return n;
}

/* ---- the fault ---- */

static void test_thp_fault_maps_a_pmd_leaf(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0, 2 * M2, PRW, MAP_PRIVATE), e, walks;
	unsigned long free0 = free_now(m);
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct walk_result wr;
	struct vmsim_fault f;
	struct page *folio;

	(void)state;
	assert_int_equal(a % M2, 0);	/* a 2 MiB multiple is placed aligned */
	assert_int_equal(smaps_field(t, a, "THPeligible"), 1);
	assert_int_equal(vt_write(t, a + 0x1234, 0x5a5a), 0);
	/* one PMD leaf, in the real format: P RW US A D PS NX */
	e = pmd_entry_of(t, a, NULL);
	assert_int_equal(e & 0xfff, _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED |
				     _PAGE_DIRTY | _PAGE_PSE);
	assert_true(e & _PAGE_NX);
	assert_int_equal((e & m->pt.fmt->entry_addr_mask) % M2, 0);
	/* an order-9 compound page, exclusively this PMD's */
	folio = huge_folio_of(t, a);
	assert_non_null(folio);
	assert_true(PageHead(folio) && PageAnon(folio) && PageAnonExclusive(folio));
	assert_int_equal(compound_order(folio), 9);
	assert_int_equal(folio_entire_mapcount(folio), 1);
	assert_int_equal(page_ref_count(folio), 1);
	assert_int_equal(page_mapcount(folio + 100), 1);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 512);
	assert_int_equal(t->fst.demand_zero, 1);
	assert_int_equal(t->fst.min_flt, 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 1);
	assert_int_equal(nr_anon_thps(m), 1);
	/* 512 frames, the PUD and PMD tables, the deposited PTE table and the
	 * slab pages of the anon_vma and its anon_vma_chain; VmPTE counts the
	 * three tables */
	assert_int_equal(free_now(m), free0 - 517);
	assert_int_equal(mm_pgtables_bytes(t->mm), 3 * PAGE_SIZE);
	assert_non_null(pgtable_trans_huge_deposited(&m->pt, mm_find_pmd(t->mm, a)));
	/* zeroed, but for what was written */
	assert_int_equal(vt_read_ok(t, a + 0x1234), 0x5a5a);
	assert_int_equal(vt_read_ok(t, a + M2 - 8), 0);
	/* views */
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 2048);
	assert_int_equal(smaps_field(t, a, "Rss"), 2048);
	assert_int_equal(smaps_field(t, a, "Private_Dirty"), 2048);
	assert_int_equal(smaps_field(t, a, "KernelPageSize"), 4);
	/* one 2 MiB TLB entry serves the whole page: no walk for another
	 * 4 KiB page of it, and the walk's leaf is the PMD */
	walks = cpu->st.walks;
	assert_int_equal(vt_read_ok(t, a + MiB + 40), 0);
	assert_int_equal(cpu->st.walks, walks);
	assert_true(mmu_walk_peek(cpu, t->mm->pgd, a + MiB, MMU_WRITE, MMU_USER, &wr, &f, NULL));
	assert_int_equal(wr.shift, 21);
	assert_int_equal(wr.depth, 2);
	assert_true(wr.rights & TLB_R_U);
	/* the second 2 MiB of the mapping is a second huge page */
	assert_int_equal(vt_write(t, a + M2, 1), 0);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 4096);
	assert_int_equal(nr_anon_thps(m), 2);
	vmsim_machine_destroy(m);
}

/* ---- which settings and VMAs allow one ---- */

static struct vm_area_struct *vma_at(struct task_struct *t, uint64_t va)
{
	struct vm_area_struct *vma = vma_lookup(t->mm, va);

	assert_non_null(vma);
	return vma;
}

/* Under @enabled, an aligned 2 MiB VMA given @advice is not eligible and
 * its first write maps a 4 KiB page. */
static void no_huge_page_after(const char *mem, const char *enabled, int advice)
{
	struct vmsim_machine *m = boot_thp("x86_64", mem, enabled, NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED);

	assert_int_equal(do_madvise(t->mm, a, M2, advice, NULL), 0);
	assert_int_equal(smaps_field(t, a, "THPeligible"), 0);
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(get_mm_rss(t->mm), 1);
	vmsim_machine_destroy(m);
}

static void test_thp_settings_and_vmas_decide(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "1GiB", NULL, NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a, b;
	char v[32];

	(void)state;
	/* 1 GiB: the defaults of a big machine, the host's */
	assert_int_equal(m->cfg.thp_enabled, THP_ENABLED_MADVISE);
	assert_int_equal(m->cfg.thp_defrag, THP_DEFRAG_MADVISE);
	assert_true(m->cfg.thp_use_zero_page);
	/* madvise: nothing without VM_HUGEPAGE */
	a = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(smaps_field(t, a, "THPeligible"), 0);
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(get_mm_rss(t->mm), 1);
	/* MADV_HUGEPAGE sets VM_HUGEPAGE, which makes the VMA eligible */
	b = vt_mmap(t, 0x40400000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, b, M2, MADV_HUGEPAGE, NULL), 0);
	assert_true(vma_at(t, b)->vm_flags & VM_HUGEPAGE);
	assert_int_equal(smaps_field(t, b, "THPeligible"), 1);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_non_null(huge_folio_of(t, b));
	/* VM_NOHUGEPAGE always wins (madvise sets one and clears the other:
	 * both at once only by hand) */
	b = vt_mmap(t, 0x40800000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	vma_at(t, b)->vm_flags |= VM_HUGEPAGE | VM_NOHUGEPAGE;
	assert_int_equal(smaps_field(t, b, "THPeligible"), 0);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_null(huge_folio_of(t, b));
	/* prctl(PR_SET_THP_DISABLE): the mm's flag, which status shows */
	status_field(t, "THP_enabled", v, sizeof(v));
	assert_string_equal(v, "1");
	t->mm->flags |= 1UL << MMF_DISABLE_THP;
	b = vt_mmap(t, 0x40c00000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, b, M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(smaps_field(t, b, "THPeligible"), 0);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_null(huge_folio_of(t, b));
	status_field(t, "THP_enabled", v, sizeof(v));
	assert_string_equal(v, "0");
	vmsim_machine_destroy(m);

	/* always: any private anonymous VMA, where an aligned 2 MiB fits */
	m = boot_thp("x86_64", "256MiB", "always", NULL);
	t = vt_spawn(m, "a", 0, 0);
	a = vt_mmap(t, 0x40100000, 3 * MiB, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(smaps_field(t, a, "THPeligible"), 1);
	assert_int_equal(vt_write(t, a, 1), 0);		/* [1 MiB, 2 MiB): no room */
	assert_null(huge_folio_of(t, a));
	assert_int_equal(vt_write(t, 0x40300000, 1), 0);	/* [2 MiB, 4 MiB) fits */
	assert_non_null(huge_folio_of(t, 0x40300000));
	assert_int_equal(get_mm_rss(t->mm), 513);
	/* a VMA smaller than 2 MiB is never eligible */
	b = vt_mmap(t, 0x50000000, MiB, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(smaps_field(t, b, "THPeligible"), 0);
	/* shared anonymous memory is shmem: its own setting, "never" */
	b = vt_mmap(t, 0x60000000, M2, PRW, MAP_SHARED | MAP_FIXED);
	assert_int_equal(smaps_field(t, b, "THPeligible"), 0);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_null(huge_folio_of(t, b));
	vmsim_machine_destroy(m);

	/* always: MADV_NOHUGEPAGE keeps a VMA out; never: no VMA, madvised
	 * or not */
	no_huge_page_after("256MiB", "always", MADV_NOHUGEPAGE);
	no_huge_page_after("1GiB", "never", MADV_HUGEPAGE);
}

/* MAP_STACK sets VM_NOHUGEPAGE: the stack is placed THP-aligned all the
 * same but takes no huge page; MADV_HUGEPAGE trades nh for hg and the next
 * fault in a free span is huge; MADV_NOHUGEPAGE keeps the huge page mapped
 * and only the faults after it small.  Each step's smaps is the host's
 * (6.18, enabled=madvise): Rss 4, 4, 2052, 2052, 8 kB; AnonHugePages 0, 0,
 * 2048, 2048, 0 kB; THPeligible 0, 1, 1, 0, 0. */
static void test_thp_map_stack_and_the_advice(void **state)
{
	static const long rss[] = { 4, 4, 2052, 2052, 8 }, huge[] = { 0, 0, 2048, 2048, 0 };
	static const long eligible[] = { 0, 1, 1, 0, 0 };
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	unsigned step = 0;
	uint64_t c;

	(void)state;
	/* under "always": a stack is never huge, as THPeligible says */
	c = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED | MAP_STACK);
	assert_int_equal(vt_write(t, c + 8, 1), 0);
	assert_null(huge_folio_of(t, c));
	assert_int_equal(smaps_field(t, c, "THPeligible"), 0);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 0);
	vmsim_machine_destroy(m);

	/* the host's setting, madvise: placed aligned all the same */
	m = boot_thp("x86_64", "1GiB", NULL, NULL);
	t = vt_spawn(m, "a", 0, 0);
	c = vt_mmap(t, 0, 2 * M2, PRW, MAP_PRIVATE | MAP_STACK);
	assert_int_equal(c % M2, 0);
#define STEP(hg, nh) do {								\
		assert_int_equal(smaps_field(t, c, "Rss"), rss[step]);			\
		assert_int_equal(smaps_field(t, c, "AnonHugePages"), huge[step]);	\
		assert_int_equal(smaps_field(t, c, "THPeligible"), eligible[step]);	\
		assert_int_equal(!!(vma_at(t, c)->vm_flags & VM_HUGEPAGE), hg);	\
		assert_int_equal(!!(vma_at(t, c)->vm_flags & VM_NOHUGEPAGE), nh);	\
		step++;									\
	} while (0)
	assert_int_equal(vt_write(t, c, 1), 0);
	STEP(0, 1);
	assert_int_equal(do_madvise(t->mm, c, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	STEP(1, 0);
	assert_int_equal(vt_write(t, c + M2, 1), 0);
	assert_non_null(huge_folio_of(t, c + M2));
	STEP(1, 0);
	assert_int_equal(do_madvise(t->mm, c, 2 * M2, MADV_NOHUGEPAGE, NULL), 0);
	assert_non_null(huge_folio_of(t, c + M2));
	STEP(0, 1);
	assert_int_equal(do_madvise(t->mm, c + M2, M2, MADV_DONTNEED, NULL), 0);
	assert_int_equal(vt_write(t, c + M2, 1), 0);
	assert_null(huge_folio_of(t, c + M2));
	STEP(0, 1);
#undef STEP
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 1);
	vmsim_machine_destroy(m);
}

/* hugepage_init(): under 512 MiB every flag starts cleared; a key given
 * stands. */
static void test_thp_defaults_follow_the_machine_size(void **state)
{
	struct vmsim_machine *m;

	(void)state;
	m = boot_thp("x86_64", "256MiB", NULL, NULL);
	assert_int_equal(m->cfg.thp_enabled, THP_ENABLED_NEVER);
	assert_int_equal(m->cfg.thp_defrag, THP_DEFRAG_NEVER);
	assert_false(m->cfg.thp_use_zero_page);
	assert_false(hugepage_global_enabled(&m->vm));
	vmsim_machine_destroy(m);
	/* given: enabled stands, the others stay cleared */
	m = boot_thp("x86_64", "256MiB", "always", NULL);
	assert_true(hugepage_global_always(&m->vm));
	assert_int_equal(m->cfg.thp_defrag, THP_DEFRAG_NEVER);
	assert_false(m->cfg.thp_use_zero_page);
	vmsim_machine_destroy(m);
	/* 544 MiB of RAM less the 1 MiB bios and 32 MiB image: 511 MiB */
	m = boot_thp("x86_64", "544MiB", NULL, NULL);
	assert_int_equal(m->cfg.thp_enabled, THP_ENABLED_NEVER);
	vmsim_machine_destroy(m);
	m = boot_thp("x86_64", "548MiB", NULL, NULL);
	assert_int_equal(m->cfg.thp_enabled, THP_ENABLED_MADVISE);
	vmsim_machine_destroy(m);
	/* x86_32's 1 GiB default: the big machine's settings, 4 MiB pages */
	m = boot_thp("x86_32", "1GiB", NULL, NULL);
	assert_int_equal(m->cfg.thp_enabled, THP_ENABLED_MADVISE);
	assert_int_equal(HPAGE_PMD_ORDER(&m->vm), 10);
	assert_int_equal(HPAGE_PMD_SIZE(&m->vm), 4 * MiB);
	vmsim_machine_destroy(m);
}

/* ---- the fallback ---- */

static void test_thp_falls_back_without_a_free_pmd_block(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "64MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	struct page *held[64];
	unsigned n;

	(void)state;
	n = exhaust_huge_blocks(m, held, 64);
	assert_true(n > 0);
	assert_int_equal(vt_write(t, a, 7), 0);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(get_mm_rss(t->mm), 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_FALLBACK], 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 0);
	/* a block comes back: the next huge range gets it */
	__free_pages(&m->pm, held[--n], 9);
	assert_int_equal(vt_write(t, a + M2, 8), 0);
	assert_non_null(huge_folio_of(t, a + M2));
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 1);
	assert_int_equal(get_mm_rss(t->mm), 513);
	while (n)
		__free_pages(&m->pm, held[--n], 9);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* ---- the huge zero page ---- */

static void test_thp_huge_zero_page_then_write(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", "true");
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *u = vt_spawn(m, "b", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED), e;
	unsigned long free0 = free_now(m);
	struct page *zero;

	(void)state;
	/* a read: the huge zero page, read-only, in no rss, its table
	 * deposited (VmPTE grows by it) */
	assert_int_equal(vt_read_ok(t, a + 100), 0);
	zero = huge_folio_of(t, a);
	assert_non_null(zero);
	assert_true(is_huge_zero_folio(&m->vm, zero));
	e = pmd_entry_of(t, a, NULL);
	assert_true((e & _PAGE_PSE) && !(e & _PAGE_RW));
	assert_int_equal(get_mm_rss(t->mm), 0);
	assert_int_equal(t->fst.zero_page, 1);
	assert_int_equal(m->pm.vmstat.event[THP_ZERO_PAGE_ALLOC], 1);
	assert_int_equal(m->vm.thp.huge_zero_refcount, 2);
	assert_true(t->mm->flags & (1UL << MMF_HUGE_ZERO_PAGE));
	assert_int_equal(mm_pgtables_bytes(t->mm), 3 * PAGE_SIZE);
	assert_int_equal(smaps_field(t, a, "Rss"), 0);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 0);
	/* the page itself, the three tables and the slab pages of the anon_vma
	 * and its chain: a read fault prepares the anon_vma too */
	assert_int_equal(free_now(m), free0 - 512 - 5);
	/* another mm shares it: a reference, no new page */
	vt_mmap(u, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_read_ok(u, 0x40000000), 0);
	assert_ptr_equal(huge_folio_of(u, 0x40000000), zero);
	assert_int_equal(m->pm.vmstat.event[THP_ZERO_PAGE_ALLOC], 1);
	assert_int_equal(m->vm.thp.huge_zero_refcount, 3);
	/* a write maps a huge page in its place: no split, the deposited
	 * table kept (VmPTE unchanged) */
	assert_int_equal(vt_write(t, a + 8, 0x77), 0);
	assert_false(is_huge_zero_folio(&m->vm, huge_folio_of(t, a)));
	assert_true(pmd_entry_of(t, a, NULL) & _PAGE_RW);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 1);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 0);
	assert_int_equal(mm_pgtables_bytes(t->mm), 3 * PAGE_SIZE);
	assert_int_equal(get_mm_rss(t->mm), 512);
	assert_int_equal(t->fst.cow, 1);
	assert_int_equal(vt_read_ok(t, a + 8), 0x77);
	assert_int_equal(vt_read_ok(t, a + 16), 0);
	/* the mm keeps its reference until it goes */
	assert_int_equal(m->vm.thp.huge_zero_refcount, 3);
	do_exit(u);
	assert_int_equal(m->vm.thp.huge_zero_refcount, 2);
	do_exit(t);
	/* the shrinker's reference is left: the page stays until it runs */
	assert_int_equal(m->vm.thp.huge_zero_refcount, 1);
	assert_non_null(m->vm.thp.huge_zero_folio);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* A write to the huge zero page with no huge page free: the PMD splits
 * into PTEs of the small zero page and 4 KiB is copied. */
static void test_thp_huge_zero_write_falls_back_to_a_split(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "64MiB", "always", "true");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	struct page *held[64];
	unsigned n;

	(void)state;
	assert_int_equal(vt_read_ok(t, a + 0x3000), 0);
	assert_true(is_huge_zero_folio(&m->vm, huge_folio_of(t, a)));
	n = exhaust_huge_blocks(m, held, 64);
	assert_int_equal(vt_write(t, a + 0x3000, 5), 0);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_FALLBACK], 1);
	assert_int_equal(get_mm_rss(t->mm), 1);
	assert_ptr_equal(frame_of(t, a), m->vm.zero_page);
	assert_false(mm_pte_lookup(t->mm, a) & _PAGE_RW);
	assert_ptr_not_equal(frame_of(t, a + 0x3000), m->vm.zero_page);
	assert_int_equal(vt_read_ok(t, a + 0x3000), 5);
	/* the deposited table became the PTE table: VmPTE unchanged */
	assert_int_equal(mm_pgtables_bytes(t->mm), 3 * PAGE_SIZE);
	while (n)
		__free_pages(&m->pm, held[--n], 9);
	vmsim_machine_destroy(m);
}

/* ---- splits ---- */

static void test_thp_partial_munmap_splits(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	unsigned long free0, tables;
	struct page *folio;

	(void)state;
	for (uint64_t off = 0; off < M2; off += PAGE_SIZE)
		assert_int_equal(vt_write(t, a + off, off | 1), 0);
	folio = huge_folio_of(t, a);
	assert_non_null(folio);
	free0 = free_now(m);
	tables = mm_pgtables_bytes(t->mm);
	/* unmapping one page in the middle splits the PMD */
	assert_int_equal(do_munmap(t->mm, a + MiB, PAGE_SIZE), 0);
	vt_check(m);
	assert_layout(t->mm, "40000000-40100000 rw- 40101000-40400000 rw-");
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(get_mm_rss(t->mm), 511);
	assert_int_equal(nr_anon_thps(m), 0);
	assert_int_equal(smaps_field(t, a, "Rss"), 1024);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 0);
	assert_int_equal(smaps_field(t, a, "THPeligible"), 0);
	assert_int_equal(smaps_field(t, a + MiB + PAGE_SIZE, "Rss"), 1020);
	assert_int_equal(smaps_field(t, a + MiB + PAGE_SIZE, "AnonHugePages"), 0);
	/* the PTEs map the same pages with the PMD's rights */
	assert_ptr_equal(frame_of(t, a + 0x5000), folio + 5);
	assert_true(mm_pte_lookup(t->mm, a + 0x5000) & _PAGE_RW);
	assert_true(mm_pte_lookup(t->mm, a + 0x5000) & _PAGE_DIRTY);
	assert_int_equal(vt_read_ok(t, a + 0x5000), 0x5001);
	assert_int_equal(vt_read_ok(t, a + M2 - PAGE_SIZE), (M2 - PAGE_SIZE) | 1);
	/* the huge page stays whole (its refcount: one per PTE); the deposited
	 * table is the PTE table now */
	assert_int_equal(page_ref_count(folio), 511);
	assert_int_equal(folio_entire_mapcount(folio), 0);
	assert_int_equal(page_mapcount(folio + 256), 0);
	assert_int_equal(page_mapcount(folio + 255), 1);
	assert_int_equal(free_now(m), free0);
	assert_int_equal(mm_pgtables_bytes(t->mm), tables);
	/* the writes of a split page are 4 KiB ones: a page still exclusive
	 * is written in place */
	assert_int_equal(vt_write(t, a + 0x5000, 9), 0);
	assert_int_equal(t->fst.cow, 0);
	/* unmapping the rest frees the whole huge page and the PTE table */
	assert_int_equal(do_munmap(t->mm, a, M2), 0);
	vt_check(m);
	assert_int_equal(get_mm_rss(t->mm), 0);
	assert_int_equal(free_now(m), free0 + 513);
	vmsim_machine_destroy(m);
}

static void test_thp_mprotect_splits_a_half(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED), e;
	unsigned long faults;
	struct access_result r;
	uint64_t v = 1;

	(void)state;
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(vt_write(t, a + M2, 2), 0);
	/* half of the first huge page read-only: split there */
	assert_int_equal(do_mprotect(t->mm, a + MiB, MiB, PROT_READ), 0);
	vt_check(m);
	assert_layout(t->mm, "40000000-40100000 rw- 40100000-40200000 r-- 40200000-40400000 rw-");
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_true(mm_pte_lookup(t->mm, a + 0x1000) & _PAGE_RW);
	assert_false(mm_pte_lookup(t->mm, a + MiB) & _PAGE_RW);
	assert_int_equal(vt_write(t, a + MiB, 1), SEGV_ACCERR);
	/* and back: one VMA again, and the pages, still exclusive, writable
	 * at once (can_change_pte_writable()) without a fault */
	assert_int_equal(do_mprotect(t->mm, a + MiB, MiB, PRW), 0);
	assert_layout(t->mm, "40000000-40400000 rw-");
	assert_true(mm_pte_lookup(t->mm, a + MiB) & _PAGE_RW);
	faults = t->fst.min_flt;
	assert_int_equal(vt_write(t, a + MiB + 8, 3), 0);
	assert_int_equal(t->fst.min_flt, faults);
	assert_int_equal(t->fst.cow, 0);
	/* a whole huge page changes as one PMD, no split */
	assert_int_equal(do_mprotect(t->mm, a + M2, M2, PROT_READ), 0);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	e = pmd_entry_of(t, a + M2, NULL);
	assert_true((e & _PAGE_PSE) && !(e & _PAGE_RW));
	assert_int_equal(do_mprotect(t->mm, a + M2, M2, PRW), 0);
	assert_true(pmd_entry_of(t, a + M2, NULL) & _PAGE_RW);
	/* PROT_NONE keeps the page in a non-present PMD, still resident */
	assert_int_equal(do_mprotect(t->mm, a + M2, M2, PROT_NONE), 0);
	vt_check(m);
	e = pmd_entry_of(t, a + M2, NULL);
	assert_true((e & _PAGE_PSE) && (e & _PAGE_PROTNONE) && !(e & _PAGE_PRESENT));
	assert_int_equal(smaps_field(t, a + M2, "Rss"), 2048);
	assert_int_equal(smaps_field(t, a + M2, "AnonHugePages"), 2048);
	assert_int_equal(task_access(t, a + M2, MMU_READ, &v, sizeof(v), &r), 0);
	assert_int_equal(r.segv, SEGV_ACCERR);
	assert_int_equal(do_mprotect(t->mm, a + M2, M2, PRW), 0);
	assert_int_equal(vt_read_ok(t, a + M2), 2);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	vmsim_machine_destroy(m);
}

/* split_huge_page_test.c's split_pmd_thp() shape: four huge pages filled
 * with a byte pattern, every PMD split (here by a protection change of one
 * page in each and back), every byte the same afterwards, AnonHugePages 0,
 * Rss unchanged. */
static void test_thp_split_keeps_every_byte(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t len = 4 * M2;
	uint64_t a = vt_mmap(t, 0x40000000, len, PRW, MAP_PRIVATE | MAP_FIXED);
	struct access_result r;

	(void)state;
	for (uint64_t off = 0; off < len; off += 8) {
		uint64_t v = 0;

		for (unsigned b = 0; b < 8; b++)
			v |= (uint64_t)(uint8_t)(off + b) << (8 * b);
		assert_int_equal(task_access(t, a + off, MMU_WRITE, &v, 8, &r), 0);
	}
	vt_check(m);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 8192);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(do_mprotect(t->mm, a + i * M2 + 5 * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
		assert_int_equal(do_mprotect(t->mm, a + i * M2 + 5 * PAGE_SIZE, PAGE_SIZE, PRW), 0);
	}
	vt_check(m);
	assert_layout(t->mm, "40000000-40800000 rw-");
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 4);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 0);
	assert_int_equal(smaps_field(t, a, "Rss"), 8192);
	for (uint64_t off = 0; off < len; off += 8) {
		uint64_t v = 0, want = 0;

		for (unsigned b = 0; b < 8; b++)
			want |= (uint64_t)(uint8_t)(off + b) << (8 * b);
		assert_int_equal(task_access(t, a + off, MMU_READ, &v, 8, &r), 0);
		if (v != want)
			fail_msg("byte %#llx corrupted", (unsigned long long)off);
	}
	vmsim_machine_destroy(m);
}

/* A VMA split alone -- no page-table walk, as a flag change such as
 * MADV_NOHUGEPAGE of half a huge page makes it -- splits the huge PMD it
 * would cut (vma_adjust_trans_huge()), so no huge PMD straddles two VMAs. */
static void test_thp_vma_split_splits_the_pmd_it_cuts(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);

	(void)state;
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(vt_write(t, a + M2, 2), 0);
	/* on a 2 MiB boundary: nothing to split */
	assert_int_equal(split_vma(t->mm, vma_at(t, a), a + M2, 0), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 0);
	/* inside the second huge page: that one splits */
	assert_int_equal(split_vma(t->mm, vma_at(t, a + M2), a + M2 + MiB, 1), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_non_null(huge_folio_of(t, a));
	assert_null(huge_folio_of(t, a + M2));
	assert_int_equal(get_mm_rss(t->mm), 1024);
	vmsim_machine_destroy(m);
}

/* ---- fork ---- */

static void test_thp_fork_copy_on_write(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	struct page *folio;

	(void)state;
	assert_int_equal(vt_write(t, a + 0x1000, 0x11), 0);
	assert_int_equal(vt_write(t, a + M2, 0x22), 0);
	folio = huge_folio_of(t, a);
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	vt_check(m);
	/* both PMDs write-protected, the page shared by both */
	assert_false(pmd_entry_of(t, a, NULL) & _PAGE_RW);
	assert_false(pmd_entry_of(c, a, NULL) & _PAGE_RW);
	assert_false(pmd_entry_of(c, a, NULL) & _PAGE_ACCESSED);
	assert_ptr_equal(huge_folio_of(c, a), folio);
	assert_int_equal(page_ref_count(folio), 2);
	assert_int_equal(folio_entire_mapcount(folio), 2);
	assert_false(PageAnonExclusive(folio));
	assert_int_equal(get_mm_rss(c->mm), 1024);
	assert_int_equal(nr_anon_thps(m), 2);
	assert_int_equal(mm_pgtables_bytes(c->mm), 4 * PAGE_SIZE);
	/* the child writes: its PMD splits and 4 KiB is copied */
	assert_int_equal(vt_write(c, a + 0x2000, 0x33), 0);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(c->fst.cow, 1);
	assert_null(huge_folio_of(c, a));
	assert_ptr_equal(huge_folio_of(t, a), folio);
	assert_ptr_equal(frame_of(c, a + 0x3000), folio + 3);
	assert_ptr_not_equal(frame_of(c, a + 0x2000), folio + 2);
	assert_int_equal(vt_read_ok(c, a + 0x1000), 0x11);
	assert_int_equal(vt_read_ok(t, a + 0x2000), 0);
	assert_int_equal(vt_read_ok(c, a + 0x2000), 0x33);
	/* refcount: the parent's PMD and the child's 511 PTEs */
	assert_int_equal(page_ref_count(folio), 512);
	assert_int_equal(page_mapcount(folio + 3), 2);
	assert_int_equal(page_mapcount(folio + 2), 1);
	/* smaps as the host shows it: 511 pages shared by two, one private */
	assert_int_equal(smaps_field(c, a, "AnonHugePages"), 2048);
	assert_int_equal(smaps_field(c, a, "Pss"), 1024 + 1022 + 4);
	assert_int_equal(smaps_field(c, a, "Private_Dirty"), 4);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 4096);
	assert_int_equal(smaps_field(t, a, "Pss"), 1024 + 1022 + 4);
	/* the child goes; the parent's write reuses the whole page */
	do_exit(c);
	vt_check(m);
	assert_int_equal(page_ref_count(folio), 1);
	assert_int_equal(vt_write(t, a + 0x2000, 0x44), 0);
	assert_ptr_equal(huge_folio_of(t, a), folio);
	assert_true(pmd_entry_of(t, a, NULL) & _PAGE_RW);
	assert_true(PageAnonExclusive(folio));
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(t->fst.cow_reuse, 1);
	assert_int_equal(t->fst.cow, 0);
	assert_int_equal(smaps_field(t, a, "Pss"), 4096);
	vmsim_machine_destroy(m);
}

/* A huge page already split into PTEs: fork shares its pages as any
 * others (each loses PageAnonExclusive), so a write on either side copies
 * 4 KiB and the other side keeps the old bytes. */
static void test_thp_fork_of_a_split_huge_page(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	uint64_t a = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	struct page *folio;

	(void)state;
	assert_int_equal(vt_write(t, a + 0x3000, 0x11), 0);
	folio = huge_folio_of(t, a);
	assert_int_equal(do_munmap(t->mm, a + M2 - 0x1000, 0x1000), 0);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_true(PageAnonExclusive(folio + 3));
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	vt_check(m);
	assert_false(PageAnonExclusive(folio + 3));
	assert_int_equal(vt_write(t, a + 0x3000, 0x22), 0);
	assert_int_equal(t->fst.cow, 1);
	assert_ptr_not_equal(frame_of(t, a + 0x3000), folio + 3);
	assert_int_equal(vt_read_ok(c, a + 0x3000), 0x11);
	assert_int_equal(vt_write(c, a + 0x4000, 0x33), 0);
	assert_int_equal(vt_read_ok(t, a + 0x4000), 0);
	do_exit(c);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* ---- a huge page in each format's PMD ---- */

/* A huge page in @machine's PMD (depth levels - 2: 2 MiB, or 4 MiB on
 * 2-level x86_32, whose PMD is the page directory): its pages, NX in the
 * PMD of an rw- mapping where the format has it, a walk ending there, and
 * a split into the deposited table's PTEs. */
static void maps_pmd_pages(const char *machine, uint64_t addr)
{
	struct vmsim_machine *m = boot_thp(machine, "1GiB", "always", NULL);
	const unsigned shift = config_pmd_shift(&m->cfg), nr = 1u << (shift - 12);
	const uint64_t size = 1ULL << shift;
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, addr, 2 * size, PRW, MAP_PRIVATE | MAP_FIXED), e;
	struct walk_result wr;
	struct vmsim_fault f;
	struct page *folio;

	assert_int_equal(vt_write(t, a + size + 0x10, 0x77), 0);
	e = pmd_entry_of(t, a + size, NULL);
	assert_int_equal(e & 0xfff, _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED |
				     _PAGE_DIRTY | _PAGE_PSE);
	assert_int_equal(!!(e & _PAGE_NX), m->pt.fmt->nx_bit != 0);
	folio = huge_folio_of(t, a + size);
	assert_non_null(folio);
	assert_int_equal(compound_order(folio), shift - 12);
	assert_int_equal(get_mm_rss(t->mm), nr);
	assert_true(mmu_walk_peek(&m->cpus[0], t->mm->pgd, a + size + size / 2, MMU_READ, MMU_USER,
				  &wr, &f, NULL));
	assert_int_equal(wr.shift, shift);
	assert_int_equal(wr.depth, m->pt.fmt->levels - 2);
	assert_int_equal(mmu_walk_peek(&m->cpus[0], t->mm->pgd, a + size, MMU_FETCH, MMU_USER, &wr,
				       &f, NULL), m->pt.fmt->nx_bit == 0);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), size >> 10);
	/* a split: the PTEs of the deposited table */
	assert_int_equal(do_munmap(t->mm, a + size + size / 4, PAGE_SIZE), 0);
	vt_check(m);
	assert_int_equal(get_mm_rss(t->mm), nr - 1);
	assert_ptr_equal(frame_of(t, a + 2 * size - PAGE_SIZE), folio + nr - 1);
	assert_int_equal(vt_read_ok(t, a + size + 0x10), 0x77);
	vmsim_machine_destroy(m);
}

/* ---- x86_32: 4 MiB pages ---- */

static void test_thp_x86_32_maps_4mib_pages(void **state)
{
	struct vmsim_machine *m;
	struct task_struct *t;
	uint64_t a;

	(void)state;
	maps_pmd_pages("x86_32", 0x10000000);

	/* without PSE there is no transparent huge page at all */
	{
		const char *sets[] = { "transparent_hugepage.enabled=always", "cpu.pse=false", NULL };
		struct vmsim_error err = { 0 };

		m = vmsim_machine_create("x86_32", sets, &err);
		assert_non_null(m);
		t = vt_spawn(m, "a", 0, 0);
		a = vt_mmap(t, 0x10000000, 8 * MiB, PRW, MAP_PRIVATE | MAP_FIXED);
		assert_int_equal(smaps_field(t, a, "THPeligible"), 0);
		assert_int_equal(vt_write(t, a, 1), 0);
		assert_int_equal(get_mm_rss(t->mm), 1);
		vmsim_machine_destroy(m);
	}
}

static void test_thp_pae_and_la57_map_2mib_pages(void **state)
{
	(void)state;
	maps_pmd_pages("x86_32-pae", 0x10000000);
	maps_pmd_pages("x86_64-la57", 0x10000000);
	/* above the 47-bit window, under its own PML5 entry */
	maps_pmd_pages("x86_64-la57", 0x0080000000000000ULL);
}

/* ---- corrupted huge PMDs ---- */

/* A huge PMD with PS cleared, an address bit changed or a reserved bit
 * set: no huge PMD any more (pmd_bad()), yet still the process's page for
 * the look-only walks; the munmap that meets it reports it as the kernel
 * does and gives back exactly what a munmap of the intact PMD gives. */
static void test_thp_corrupted_huge_pmd_is_bad_and_reclaimed(void **state)
{
	static const uint64_t flips[] = { 0, _PAGE_PSE, 1ULL << 22, 1ULL << 13, 1ULL << 51 };
	unsigned long freed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
		struct task_struct *t = vt_spawn(m, "a", 0, 0);
		uint64_t a = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED), epa, e;
		unsigned long free0;

		m->pt.console = NULL;
		assert_int_equal(vt_write(t, a, 1), 0);
		free0 = free_now(m);
		if (!flips[i]) {
			/* the intact PMD: what its munmap gives back */
			assert_int_equal(do_munmap(t->mm, a, M2), 0);
			freed = free_now(m) - free0;
			assert_true(freed > 512);
			vmsim_machine_destroy(m);
			continue;
		}
		e = pmd_entry_of(t, a, &epa);
		set_pte(&m->pt, epa, e ^ flips[i]);
		invlpg(&m->cpus[0], a);
		/* a look-only walk: still the process's page (the checker passes,
		 * rss counts it), but no huge PMD */
		assert_null(huge_folio_of(t, a));
		vt_check(m);
		assert_int_equal(smaps_field(t, a, "Rss"), 2048);
		/* munmap clears it with the kernel's report and unmaps the page
		 * its deposited table recorded */
		assert_int_equal(do_munmap(t->mm, a, M2), 0);
		vt_check(m);
		assert_int_equal(m->pt.nr_bad, 1);
		assert_non_null(strstr(m->pt.bad_msg, "bad pmd"));
		assert_int_equal(get_mm_rss(t->mm), 0);
		assert_int_equal(free_now(m), free0 + freed);
		vmsim_machine_destroy(m);
	}
}

/* ---- mremap's helper ---- */

static void test_thp_move_huge_pmd_moves_page_and_table(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED), old, new;
	struct page *folio;

	(void)state;
	assert_int_equal(vt_write(t, a + 8, 0x1234), 0);
	folio = huge_folio_of(t, a);
	old = mm_find_pmd(t->mm, a);
	new = mm_find_pmd(t->mm, a + M2);
	assert_true(move_huge_pmd(vma_at(t, a), a, a + M2, old, new));
	assert_false(move_huge_pmd(vma_at(t, a), a, a + M2, old, new));
	assert_ptr_equal(huge_folio_of(t, a + M2), folio);
	assert_null(pgtable_trans_huge_deposited(&m->pt, old));
	/* within one VMA the page now sits at another linear index than its
	 * folio's (mremap moves it into a VMA whose vm_pgoff keeps it), which
	 * the checker would report: read it without the checker, then move it
	 * back */
	{
		struct access_result r;
		uint64_t v = 0;

		assert_int_equal(task_access(t, a + M2 + 8, MMU_READ, &v, sizeof(v), &r), 0);
		assert_int_equal(v, 0x1234);
	}
	assert_true(move_huge_pmd(vma_at(t, a), a + M2, a, new, old));
	vt_check(m);
	assert_ptr_equal(huge_folio_of(t, a), folio);
	assert_null(pgtable_trans_huge_deposited(&m->pt, new));
	assert_int_equal(vt_read_ok(t, a + 8), 0x1234);
	vmsim_machine_destroy(m);
}

/* ---- madvise ---- */

/* A 1 GiB machine (THP "madvise", the host's setting) with @n huge pages
 * at 0x40000000, mapped after MADV_HUGEPAGE and written. */
static struct task_struct *madvised_huge_pages(struct vmsim_machine **mp, unsigned n)
{
	struct vmsim_machine *m = boot_thp("x86_64", "1GiB", NULL, NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = vt_mmap(t, 0x40000000, n * M2, PRW, MAP_PRIVATE | MAP_FIXED);

	assert_int_equal(do_madvise(t->mm, a, n * M2, MADV_HUGEPAGE, NULL), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(vt_write(t, a + i * M2 + 8, 0x100 + i), 0);
		assert_non_null(huge_folio_of(t, a + i * M2));
	}
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], n);
	*mp = m;
	return t;
}

/* DONTNEED and FREE: a whole huge PMD goes as one entry (the next fault
 * maps a huge page again), part of one splits it first (host: Rss 4092
 * and AnonHugePages 2048 kB of two after DONTNEED of one page). */
static void test_thp_madvise_dontneed_and_free(void **state)
{
	struct vmsim_machine *m;
	struct task_struct *t = madvised_huge_pages(&m, 4);
	const uint64_t a = 0x40000000;
	uint64_t pmd;

	(void)state;
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_DONTNEED, NULL), 0);
	vt_check(m);
	assert_int_equal(pmd_entry_of(t, a, &pmd), 0);
	assert_null(pgtable_trans_huge_deposited(&m->pt, pmd));
	assert_int_equal(get_mm_rss(t->mm), 3 * 512);
	assert_int_equal(nr_anon_thps(m), 3);
	assert_int_equal(vt_read_ok(t, a + 8), 0);	/* the huge zero page */
	assert_int_equal(vt_write(t, a + 8, 1), 0);
	assert_non_null(huge_folio_of(t, a));
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 5);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 0);

	assert_int_equal(do_madvise(t->mm, a + M2 + 0x1000, 0x1000, MADV_DONTNEED, NULL), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_null(huge_folio_of(t, a + M2));
	assert_int_equal(mm_pte_lookup(t->mm, a + M2 + 0x1000), 0);
	assert_int_equal(vt_read_ok(t, a + M2 + 8), 0x101);
	assert_int_equal(smaps_field(t, a, "Rss"), 4 * 2048 - 4);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 3 * 2048);

	/* FREE (madvise_free_huge_pmd()): part of a huge page splits it, the
	 * PMD and then the folio, and that page becomes lazily freed; the
	 * whole of one stays huge, its PMD clean and old, the folio lazily
	 * freed whole (reclaim drops it later unless it is written) */
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PAGE], 0);
	assert_int_equal(do_madvise(t->mm, a + 2 * M2 + 0x1000, 0x1000, MADV_FREE, NULL), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 2);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PAGE], 1);
	assert_int_equal(do_madvise(t->mm, a + 3 * M2, M2, MADV_FREE, NULL), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 2);
	assert_int_equal(nr_anon_thps(m), 2);
	assert_non_null(huge_folio_of(t, a + 3 * M2));
	assert_false(PageSwapBacked(huge_folio_of(t, a + 3 * M2)));
	assert_false(pmd_entry_of(t, a + 3 * M2, NULL) & (_PAGE_ACCESSED | _PAGE_DIRTY));
	assert_int_equal(smaps_field(t, a, "LazyFree"), 2048 + 4);
	assert_int_equal(get_mm_rss(t->mm), 4 * 512 - 1);
	assert_int_equal(vt_read_ok(t, a + 3 * M2 + 8), 0x103);	/* the bytes stay */
	vmsim_machine_destroy(m);
}

/* The LRU moves count a huge page as its 512 pages (folio_nr_pages()),
 * in the machine's counters and its cgroup's, as the kernel's
 * lru_activate(), lru_deactivate() and lru_lazyfree() do. */
static void test_thp_lru_moves_count_every_page(void **state)
{
	struct vmsim_machine *m;
	struct task_struct *t = madvised_huge_pages(&m, 1);
	const uint64_t a = 0x40000000;
	struct page *folio = huge_folio_of(t, a);
	struct mem_cgroup *root = m->vm.memcg->root;
	const unsigned long *ev = m->pm.vmstat.event;

	(void)state;
	lru_add_drain(&m->vm);
	assert_true(PageLRU(folio));
	assert_false(PageActive(folio));
	assert_int_equal(ev[PGACTIVATE] + ev[PGDEACTIVATE] + ev[PGLAZYFREE], 0);
	folio_activate(&m->vm, folio);
	lru_add_drain(&m->vm);
	vt_check(m);
	assert_true(PageActive(folio));
	assert_int_equal(ev[PGACTIVATE], 512);
	assert_int_equal(memcg_events(root, PGACTIVATE), 512);
	/* MADV_COLD of the whole huge page: deactivated whole */
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_COLD, NULL), 0);
	lru_add_drain(&m->vm);
	vt_check(m);
	assert_ptr_equal(huge_folio_of(t, a), folio);
	assert_false(PageActive(folio));
	assert_int_equal(ev[PGDEACTIVATE], 512);
	assert_int_equal(memcg_events(root, PGDEACTIVATE), 512);
	/* MADV_FREE of it: lazily freed whole */
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_FREE, NULL), 0);
	lru_add_drain(&m->vm);
	vt_check(m);
	assert_false(PageSwapBacked(folio));
	assert_int_equal(ev[PGLAZYFREE], 512);
	assert_int_equal(memcg_events(root, PGLAZYFREE), 512);
	vmsim_machine_destroy(m);
}

/* COLD and PAGEOUT, with the host's answers: COLD of a whole huge page
 * makes its PMD old (Referenced 2048 kB less) and leaves it huge; of
 * part of one, splits it and makes that part old (4 kB less); PAGEOUT
 * splits both ways (reclaim, finding no swap, splits the page) and keeps
 * the Accessed bits; a huge page another mm maps too, or the huge zero
 * page, is left alone. */
static void test_thp_madvise_cold_and_pageout(void **state)
{
	struct vmsim_machine *m;
	struct task_struct *t = madvised_huge_pages(&m, 4), *c;
	const uint64_t a = 0x40000000;
	struct page *folio = huge_folio_of(t, a);
	uint64_t z;

	(void)state;
	assert_int_equal(smaps_field(t, a, "Referenced"), 8192);
	set_page_flag(folio, PG_referenced);
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_COLD, NULL), 0);
	vt_check(m);
	assert_ptr_equal(huge_folio_of(t, a), folio);
	assert_false(pmd_entry_of(t, a, NULL) & _PAGE_ACCESSED);
	assert_false(test_page_flag(folio, PG_referenced));
	assert_int_equal(smaps_field(t, a, "Referenced"), 8192 - 2048);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 0);

	assert_int_equal(do_madvise(t->mm, a + M2 + 0x1000, 0x1000, MADV_COLD, NULL), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_null(huge_folio_of(t, a + M2));
	assert_false(mm_pte_lookup(t->mm, a + M2 + 0x1000) & _PAGE_ACCESSED);
	assert_true(mm_pte_lookup(t->mm, a + M2 + 0x2000) & _PAGE_ACCESSED);
	assert_int_equal(smaps_field(t, a, "Referenced"), 8192 - 2048 - 4);

	assert_int_equal(do_madvise(t->mm, a + 2 * M2 + 0x1000, 0x1000, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 2);
	assert_int_equal(do_madvise(t->mm, a + 3 * M2, M2, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 3);
	assert_null(huge_folio_of(t, a + 3 * M2));
	assert_true(mm_pte_lookup(t->mm, a + 3 * M2 + 0x5000) & _PAGE_ACCESSED);
	assert_int_equal(smaps_field(t, a, "Referenced"), 8192 - 2048 - 4);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 2048);
	assert_int_equal(get_mm_rss(t->mm), 4 * 512);

	/* shared with a child: neither aged nor split, whole or in part */
	assert_int_equal(vt_read_ok(t, a + 8), 0x100);	/* young again */
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	vt_check(m);
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_COLD, NULL), 0);
	assert_int_equal(do_madvise(t->mm, a + 0x1000, 0x1000, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_true(pmd_entry_of(t, a, NULL) & _PAGE_ACCESSED);
	assert_ptr_equal(huge_folio_of(t, a), folio);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 3);
	do_exit(c);

	/* the huge zero page: left as it is */
	z = vt_mmap(t, 0x40800000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, z, M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_read_ok(t, z), 0);
	assert_true(is_huge_zero_folio(&m->vm, huge_folio_of(t, z)));
	assert_int_equal(do_madvise(t->mm, z, M2, MADV_COLD, NULL), 0);
	assert_int_equal(do_madvise(t->mm, z + 0x1000, 0x1000, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_true(pmd_entry_of(t, z, NULL) & _PAGE_ACCESSED);
	assert_true(is_huge_zero_folio(&m->vm, huge_folio_of(t, z)));
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 3);
	vmsim_machine_destroy(m);
}

/*
 * Flag advice moves VMA boundaries: wherever one would come to lie inside
 * a huge PMD, by a split or by a merge that moves it, the PMD is split
 * first (the host: a DONTDUMP of [4 KiB, 2 MiB + 4 KiB) that merges into
 * the DONTDUMP page before it, or of [2 MiB - 4 KiB, 4 MiB - 4 KiB) that
 * merges into the one after it, each split the huge page it cuts).
 * MADV_NOHUGEPAGE of a whole range leaves its huge pages mapped.
 */
static void test_thp_madvise_flags_split_at_new_boundaries(void **state)
{
	struct vmsim_machine *m;
	struct task_struct *t = madvised_huge_pages(&m, 2);
	const uint64_t a = 0x40000000;
	struct vm_area_struct *vma;

	(void)state;
	/* a split inside the first huge page */
	assert_int_equal(do_madvise(t->mm, a + 0x1000, 0x1000, MADV_DONTDUMP, NULL), 0);
	vt_check(m);
	assert_int_equal(t->mm->map_count, 3);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_non_null(huge_folio_of(t, a + M2));
	/* NOHUGEPAGE: flags only */
	assert_int_equal(do_madvise(t->mm, a + M2, M2, MADV_NOHUGEPAGE, NULL), 0);
	vt_check(m);
	assert_non_null(huge_folio_of(t, a + M2));
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	vmsim_machine_destroy(m);

	/* merge to the left: the boundary moves from 4 KiB to 2 MiB + 4 KiB */
	m = boot_thp("x86_64", "1GiB", NULL, NULL);
	t = vt_spawn(m, "a", 0, 0);
	vt_mmap(t, a, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_write(t, a + M2, 1), 0);
	assert_int_equal(do_madvise(t->mm, a, 0x1000, MADV_DONTDUMP, NULL), 0);
	assert_non_null(huge_folio_of(t, a + M2));
	assert_int_equal(do_madvise(t->mm, a + 0x1000, M2, MADV_DONTDUMP, NULL), 0);
	vt_check(m);
	vma = vma_at(t, a);
	assert_int_equal(vma->vm_end, a + M2 + 0x1000);
	assert_int_equal(t->mm->map_count, 2);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_null(huge_folio_of(t, a + M2));
	assert_int_equal(vt_read_ok(t, a + M2), 1);
	vmsim_machine_destroy(m);

	/* merge to the right: the boundary moves from 4 MiB - 4 KiB down to
	 * 2 MiB - 4 KiB */
	m = boot_thp("x86_64", "1GiB", NULL, NULL);
	t = vt_spawn(m, "a", 0, 0);
	vt_mmap(t, a, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(do_madvise(t->mm, a + 2 * M2 - 0x1000, 0x1000, MADV_DONTDUMP, NULL), 0);
	assert_non_null(huge_folio_of(t, a));
	assert_int_equal(do_madvise(t->mm, a + M2 - 0x1000, M2, MADV_DONTDUMP, NULL), 0);
	vt_check(m);
	vma = vma_at(t, a);
	assert_int_equal(vma->vm_end, a + M2 - 0x1000);
	assert_int_equal(t->mm->map_count, 2);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(vt_read_ok(t, a), 1);
	vmsim_machine_destroy(m);
}

/* mremap: a move between 2 MiB-aligned addresses takes the huge PMDs
 * whole, deposited tables and all; an unaligned one splits each; a shrink
 * splits the one it cuts (the host: AnonHugePages 4096, 0 and 2048 kB). */
static void test_thp_mremap_moves_whole_or_splits(void **state)
{
	struct vmsim_machine *m;
	struct task_struct *t = madvised_huge_pages(&m, 2);
	const uint64_t a = 0x40000000, b = 0x40c00000;
	struct page *f0 = huge_folio_of(t, a), *f1 = huge_folio_of(t, a + M2);
	const unsigned long tables = m->pt.nr_tables;
	uint64_t old_pmd = mm_find_pmd(t->mm, a);

	(void)state;
	assert_int_equal(do_mremap(t->mm, a, 2 * M2, 2 * M2, MREMAP_MAYMOVE | MREMAP_FIXED, b),
			 (int64_t)b);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 0);
	assert_ptr_equal(huge_folio_of(t, b), f0);
	assert_ptr_equal(huge_folio_of(t, b + M2), f1);
	assert_null(pgtable_trans_huge_deposited(&m->pt, old_pmd));
	assert_non_null(pgtable_trans_huge_deposited(&m->pt, mm_find_pmd(t->mm, b)));
	assert_int_equal(m->pt.nr_tables, tables);
	assert_int_equal(vt_read_ok(t, b + M2 + 8), 0x101);
	assert_int_equal(smaps_field(t, b, "AnonHugePages"), 4096);

	assert_int_equal(do_mremap(t->mm, b, 2 * M2, 2 * M2, MREMAP_MAYMOVE | MREMAP_FIXED,
				   a + 0x1000), (int64_t)(a + 0x1000));
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 2);
	assert_int_equal(smaps_field(t, a + 0x1000, "AnonHugePages"), 0);
	assert_int_equal(get_mm_rss(t->mm), 1024);
	assert_ptr_equal(frame_of(t, a + 0x1000 + M2 + 0x3000), f1 + 3);
	assert_int_equal(vt_read_ok(t, a + 0x1000 + 8), 0x100);
	vmsim_machine_destroy(m);

	t = madvised_huge_pages(&m, 2);
	assert_int_equal(do_mremap(t->mm, a, 2 * M2, 3 * MiB, 0, 0), (int64_t)a);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 2048);
	assert_int_equal(smaps_field(t, a, "Rss"), 3072);
	vmsim_machine_destroy(m);
}

/* ---- exit ---- */

static void exit_frees_everything(const char *arch, const char *mem)
{
	struct vmsim_machine *m = boot_thp(arch, mem, "always", "true");
	const uint64_t size = HPAGE_PMD_SIZE(&m->vm), base = 0x10000000;
	struct task_struct *t, *c;
	struct vt_free before, after;
	unsigned long tables0;

	/* the slab caches of tasks exist from the first spawn on */
	do_exit(vt_spawn(m, "warm", 0, 0));
	vt_free_snapshot(m, &before);
	tables0 = m->pt.nr_tables;
	t = vt_spawn(m, "a", 0, 0);
	vt_mmap(t, base, 4 * size, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, base, 1), 0);		/* a huge page */
	assert_int_equal(vt_read_ok(t, base + size), 0);	/* the huge zero page */
	assert_int_equal(vt_write(t, base + 2 * size + 8, 2), 0);
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	assert_int_equal(vt_write(c, base + 4096, 3), 0);	/* split in the child */
	assert_int_equal(vt_write(t, base + size, 4), 0);	/* zero -> huge page */
	assert_int_equal(do_munmap(t->mm, base + 2 * size + 4096, 4096), 0);
	assert_int_equal(do_mprotect(c->mm, base + 2 * size, size / 2, PROT_READ), 0);
	vt_check(m);
	do_exit(t);
	vt_check(m);
	do_exit(c);
	vt_check(m);
	/* everything is back but the huge zero page, which the shrinker frees */
	vt_free_snapshot(m, &after);
	assert_int_equal(after.total, before.total - HPAGE_PMD_NR(&m->vm));
	assert_int_equal(m->pt.nr_tables, tables0);
	assert_int_equal(m->vm.thp.huge_zero_refcount, 1);
	assert_int_equal(nr_anon_thps(m), 0);
	hugepage_shutdown(&m->vm);
	vt_free_snapshot(m, &after);
	assert_memory_equal(&after, &before, sizeof(before));
	vmsim_machine_destroy(m);
}

static void test_thp_exit_frees_everything(void **state)
{
	(void)state;
	exit_frees_everything("x86_64", "256MiB");
	exit_frees_everything("x86_32", "512MiB");
	exit_frees_everything("x86_32-pae", "512MiB");
	exit_frees_everything("x86_64-la57", "256MiB");
}

/* ---- the reverse map ---- */

/* A huge page is in the anon_vma reverse map as a small page is: the fault
 * prepares the anon_vma (for the huge zero page too), the head records it
 * and the index of its first page, every page of it is anonymous through
 * the head and found by the rmap walk at its own address, PMD-mapped, after
 * fork in both mms, and PTE-mapped after a split. */
static void test_thp_rmap_of_a_huge_page(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", "true");
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	const uint64_t a = vt_mmap(t, 0x40000000, 3 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	struct vm_area_struct *vma = vma_at(t, a);
	struct page *folio, *zero, *copy;
	struct anon_vma *av;
	struct vt_rmap_hits h;

	(void)state;
	assert_null(vma->anon_vma);
	/* the huge zero page: the anon_vma is made, the page is in no rmap */
	assert_int_equal(vt_read_ok(t, a), 0);
	zero = huge_folio_of(t, a);
	assert_true(is_huge_zero_folio(&m->vm, zero));
	av = vma->anon_vma;
	assert_non_null(av);
	assert_false(PageAnon(zero));
	assert_null(page_anon_vma(zero));
	/* a huge page: the head holds the anon_vma and the first page's index */
	assert_int_equal(vt_write(t, a + M2 + 0x7008, 0x77), 0);
	folio = huge_folio_of(t, a + M2);
	assert_ptr_equal(page_anon_vma(folio), av);
	assert_int_equal(folio->index, linear_page_index(vma, a + M2));
	assert_true(PageAnon(folio + 7) && PageAnon(folio + 511));
	assert_null(folio[7].mapping);
	assert_ptr_equal(page_anon_vma(folio + 7), av);
	assert_int_equal(page_pgoff(folio + 7), linear_page_index(vma, a + M2 + 0x7000));
	h = vt_rmap_of(folio + 7);
	assert_int_equal(h.n, 1);
	assert_ptr_equal(h.vma[0], vma);
	assert_int_equal(h.addr[0], a + M2 + 0x7000);
	/* fork: the child's VMA is on the parent's anon_vma, so the walk of a
	 * page the two share finds both, at the same address */
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	vt_check(m);
	assert_ptr_equal(huge_folio_of(c, a + M2), folio);
	h = vt_rmap_of(folio + 7);
	assert_int_equal(h.n, 2);
	assert_true(h.vma[0]->vm_mm != h.vma[1]->vm_mm);
	assert_int_equal(h.addr[0], a + M2 + 0x7000);
	assert_int_equal(h.addr[1], a + M2 + 0x7000);
	/* the child's write splits its PMD: the PTE-mapped pages keep the
	 * folio's rmap, and the 4 KiB copy is the child's own anon_vma's */
	assert_int_equal(vt_write(c, a + M2 + 0x2000, 0x22), 0);
	assert_null(huge_folio_of(c, a + M2));
	assert_ptr_equal(frame_of(c, a + M2 + 0x7000), folio + 7);
	h = vt_rmap_of(folio + 7);
	assert_int_equal(h.n, 2);
	copy = frame_of(c, a + M2 + 0x2000);
	assert_false(PageCompound(copy));
	assert_ptr_equal(page_anon_vma(copy), vma_at(c, a)->anon_vma);
	assert_true(vma_at(c, a)->anon_vma != av);
	h = vt_rmap_of(copy);
	assert_int_equal(h.n, 1);
	assert_ptr_equal(h.vma[0]->vm_mm, c->mm);
	/* the child's write to the huge zero page maps a huge page of its own
	 * anon_vma, which only the child finds */
	assert_int_equal(vt_write(c, a + 8, 0x33), 0);
	assert_ptr_equal(page_anon_vma(huge_folio_of(c, a)), vma_at(c, a)->anon_vma);
	h = vt_rmap_of(huge_folio_of(c, a) + 100);
	assert_int_equal(h.n, 1);
	assert_ptr_equal(h.vma[0]->vm_mm, c->mm);
	assert_int_equal(h.addr[0], a + 100 * PAGE_SIZE);
	vt_check(m);
	do_exit(c);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* A write that reuses a huge page nothing else maps any more moves it to
 * the writer's own anon_vma (folio_move_anon_rmap()); a write-protected
 * PTE of an exclusive page of a split one is made writable and leaves the
 * folio, and its pages' ->mapping, as they are. */
static void test_thp_reuse_moves_the_folio_to_the_vma_anon_vma(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "256MiB", "always", NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	const uint64_t a = vt_mmap(t, 0x40000000, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	struct anon_vma *pav;
	struct page *folio;
	struct pt_path path;
	struct vt_rmap_hits h;
	uint64_t pte;

	(void)state;
	assert_int_equal(vt_write(t, a + 8, 0x11), 0);
	folio = huge_folio_of(t, a);
	pav = vma_at(t, a)->anon_vma;
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	do_exit(t);
	vt_check(m);
	/* the child alone maps it, still through the parent's anon_vma */
	assert_ptr_equal(page_anon_vma(folio), pav);
	assert_true(vma_at(c, a)->anon_vma != pav);
	assert_false(PageAnonExclusive(folio));
	assert_int_equal(vt_write(c, a + 16, 0x22), 0);
	assert_ptr_equal(huge_folio_of(c, a), folio);
	assert_int_equal(c->fst.cow_reuse, 1);
	assert_true(PageAnonExclusive(folio));
	assert_ptr_equal(page_anon_vma(folio), vma_at(c, a)->anon_vma);
	h = vt_rmap_of(folio + 3);
	assert_int_equal(h.n, 1);
	assert_ptr_equal(h.vma[0]->vm_mm, c->mm);
	/* split it (its pages stay exclusive), write-protect one PTE by hand
	 * and write there: reused in place */
	assert_int_equal(do_munmap(c->mm, a + M2 - PAGE_SIZE, PAGE_SIZE), 0);
	assert_true(PageAnonExclusive(folio + 5));
	pt_lookup(&m->pt, c->mm->pgd, a + 5 * PAGE_SIZE, &path);
	assert_true(path.leaf && path.n == m->pt.fmt->levels);
	pte = path.e[path.n - 1];
	assert_true(pte & _PAGE_RW);
	set_pte(&m->pt, path.epa[path.n - 1], pte & ~(uint64_t)_PAGE_RW);
	flush_tlb_mm_range(c->mm, a + 5 * PAGE_SIZE, a + 6 * PAGE_SIZE);
	assert_int_equal(vt_write(c, a + 5 * PAGE_SIZE, 0x55), 0);
	assert_int_equal(c->fst.cow_reuse, 2);
	assert_ptr_equal(frame_of(c, a + 5 * PAGE_SIZE), folio + 5);
	assert_null(folio[5].mapping);
	assert_ptr_equal(page_anon_vma(folio + 5), vma_at(c, a)->anon_vma);
	vt_check(m);
	do_exit(c);
	vmsim_machine_destroy(m);
}

/* ---- locked memory ---- */

static unsigned long nr_mlock(struct vmsim_machine *m)
{
	return global_zone_page_state(&m->pm, NR_MLOCK);
}

/* mincore's vector of [a, a + len): how many pages are resident. */
static unsigned resident(struct task_struct *t, uint64_t a, uint64_t len)
{
	unsigned char vec[1024];
	unsigned n = 0;

	assert_true(len / PAGE_SIZE <= sizeof(vec));
	assert_int_equal(sys_mincore(t->mm, a, len, vec, sizeof(vec)), 0);
	for (uint64_t i = 0; i < len / PAGE_SIZE; i++)
		n += vec[i] & 1;
	return n;
}

/*
 * mlock, mincore and huge pages, each answer the reference host's (6.18,
 * enabled=madvise, MADV_HUGEPAGE; meminfo Mlocked, vmstat
 * unevictable_pgs_*, smaps, mincore):
 *   - mlock of 4 MiB populates two huge pages, mlocked whole: Mlocked
 *     4096 kB, 1024 pages mlocked; mincore 1024 of 1024; munlock gives
 *     them back;
 *   - mlock of two pages inside a huge PMD splits it (thp_split_pmd + 1),
 *     leaves three VMAs (Locked 8 kB in the middle one) and locks nothing:
 *     the huge page lies across three VMAs; mlock of the other huge PMD
 *     whole locks it (2048 kB); munlock of all merges the VMAs again
 *     (AnonHugePages 2048 of Rss 4096 kB); mlock of the split huge page's
 *     whole span locks it too, its PTEs mapping all of it (2048 kB);
 *   - mlock of a read-only region maps the huge zero page: Rss 0, mincore
 *     512 of 512, nothing mlocked, no huge page allocated;
 *   - MLOCK_ONFAULT populates nothing (mincore 0); the first write maps a
 *     huge page, mlocked (Locked and Mlocked 2048 kB); munmap munlocks it.
 */
static void test_thp_mlock_and_mincore(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "1GiB", NULL, NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x40000000, b = 0x40800000, c = 0x41000000, d = 0x41400000;
	unsigned long mlocked0;

	(void)state;
	vt_mmap(t, a, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(resident(t, a, 2 * M2), 0);
	assert_int_equal(sys_mlock(t->mm, a, 2 * M2, &t->fst), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 2);
	assert_int_equal(smaps_field(t, a, "AnonHugePages"), 4096);
	assert_int_equal(smaps_field(t, a, "Locked"), 4096);
	assert_int_equal(nr_mlock(m), 1024);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMLOCKED], 1024);
	assert_true(PageMlocked(huge_folio_of(t, a)) && huge_folio_of(t, a)->mlock_count == 1);
	assert_int_equal(resident(t, a, 2 * M2), 1024);
	assert_int_equal(sys_munlock(t->mm, a, 2 * M2), 0);
	vt_check(m);
	assert_int_equal(nr_mlock(m), 0);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED], 1024);
	assert_int_equal(do_munmap(t->mm, a, 2 * M2), 0);

	/* two pages inside a huge PMD */
	vt_mmap(t, b, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, b, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_int_equal(vt_write(t, b + M2, 1), 0);
	mlocked0 = m->pm.vmstat.event[UNEVICTABLE_PGMLOCKED];
	assert_int_equal(sys_mlock(t->mm, b + PAGE_SIZE, 2 * PAGE_SIZE, &t->fst), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(t->mm->map_count, 3);
	assert_int_equal(smaps_field(t, b, "Rss"), 4);
	assert_int_equal(smaps_field(t, b + PAGE_SIZE, "Locked"), 8);
	assert_int_equal(smaps_field(t, b + PAGE_SIZE, "AnonHugePages"), 0);
	assert_int_equal(smaps_field(t, b + 3 * PAGE_SIZE, "Rss"), 4084);
	assert_int_equal(smaps_field(t, b + 3 * PAGE_SIZE, "AnonHugePages"), 2048);
	assert_int_equal(nr_mlock(m), 0);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMLOCKED], mlocked0);
	assert_int_equal(resident(t, b, 2 * M2), 1024);
	assert_int_equal(sys_mlock(t->mm, b + M2, M2, &t->fst), 0);
	vt_check(m);
	assert_int_equal(nr_mlock(m), 512);
	assert_int_equal(sys_munlock(t->mm, b, 2 * M2), 0);
	vt_check(m);
	assert_int_equal(nr_mlock(m), 0);
	assert_int_equal(t->mm->map_count, 1);
	assert_int_equal(smaps_field(t, b, "Rss"), 4096);
	assert_int_equal(smaps_field(t, b, "AnonHugePages"), 2048);
	assert_int_equal(sys_mlock(t->mm, b, M2, &t->fst), 0);
	vt_check(m);
	assert_int_equal(nr_mlock(m), 512);
	assert_true(PageMlocked(frame_of(t, b + 5 * PAGE_SIZE) - 5));
	assert_int_equal(sys_munlock(t->mm, b, M2), 0);
	vt_check(m);
	assert_int_equal(nr_mlock(m), 0);

	/* read-only: the huge zero page */
	vt_mmap(t, c, M2, PROT_READ, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, c, M2, MADV_HUGEPAGE, NULL), 0);
	mlocked0 = m->pm.vmstat.event[THP_FAULT_ALLOC];
	assert_int_equal(sys_mlock(t->mm, c, M2, &t->fst), 0);
	vt_check(m);
	assert_true(is_huge_zero_folio(&m->vm, huge_folio_of(t, c)));
	assert_int_equal(smaps_field(t, c, "Rss"), 0);
	assert_int_equal(smaps_field(t, c, "Locked"), 0);
	assert_int_equal(resident(t, c, M2), 512);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], mlocked0);
	assert_int_equal(nr_mlock(m), 0);

	/* MLOCK_ONFAULT */
	vt_mmap(t, d, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, d, M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(sys_mlock2(t->mm, d, M2, MLOCK_ONFAULT, &t->fst), 0);
	assert_int_equal(smaps_field(t, d, "Rss"), 0);
	assert_int_equal(resident(t, d, M2), 0);
	assert_int_equal(vt_write(t, d + 5, 1), 0);
	assert_non_null(huge_folio_of(t, d));
	assert_int_equal(smaps_field(t, d, "Locked"), 2048);
	assert_int_equal(nr_mlock(m), 512);
	assert_int_equal(resident(t, d, M2), 512);
	mlocked0 = m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED];
	assert_int_equal(do_munmap(t->mm, d, M2), 0);
	vt_check(m);
	assert_int_equal(nr_mlock(m), 0);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED], mlocked0 + 512);
	vmsim_machine_destroy(m);
}

/* The lock of a huge page, the reference host's answers (6.18, meminfo
 * Mlocked, vmstat thp_split_pmd and unevictable_pgs_munlocked): a split in
 * a locked VMA keeps it (mprotect of one page: split + 1, Mlocked 4096 kB
 * still), unmapping any of its pages then gives it back (Mlocked 2048 kB,
 * munlocked + 512), and so does a munmap that splits (2048 kB less); a
 * huge page that PTEs map is locked by mlock only when the call's range
 * holds all of it ([4K, 2M): nothing; [0, 2M): 2048 kB) and they map every
 * page of it. */
static void test_thp_mlock_split_and_unmap(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "1GiB", NULL, NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x40000000;
	unsigned long munlocked0;
	struct page *folio;

	(void)state;
	vt_mmap(t, a, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(sys_mlock(t->mm, a, 2 * M2, &t->fst), 0);
	folio = huge_folio_of(t, a);
	munlocked0 = m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED];
	assert_int_equal(do_mprotect(t->mm, a, PAGE_SIZE, PROT_READ), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_null(huge_folio_of(t, a));
	assert_true(PageMlocked(folio));
	assert_int_equal(nr_mlock(m), 1024);
	assert_int_equal(do_munmap(t->mm, a + 20 * PAGE_SIZE, PAGE_SIZE), 0);
	vt_check(m);
	assert_false(PageMlocked(folio));
	assert_int_equal(nr_mlock(m), 512);
	assert_int_equal(m->pm.vmstat.event[UNEVICTABLE_PGMUNLOCKED], munlocked0 + 512);
	assert_int_equal(do_munmap(t->mm, a + M2 + 8 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 2);
	assert_int_equal(nr_mlock(m), 0);
	assert_int_equal(do_munmap(t->mm, a, 2 * M2), 0);

	/* a huge page PTEs map, locked only by a range that holds it whole */
	vt_mmap(t, a, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_write(t, a, 1), 0);
	folio = huge_folio_of(t, a);
	assert_int_equal(do_mprotect(t->mm, a, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(do_mprotect(t->mm, a, PAGE_SIZE, PRW), 0);
	assert_int_equal(t->mm->map_count, 1);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(sys_mlock(t->mm, a + PAGE_SIZE, M2 - PAGE_SIZE, &t->fst), 0);
	vt_check(m);
	assert_false(PageMlocked(folio));
	assert_int_equal(sys_munlock(t->mm, a, 2 * M2), 0);
	assert_int_equal(sys_mlock(t->mm, a, M2, &t->fst), 0);
	vt_check(m);
	assert_true(PageMlocked(folio) && folio->mlock_count == 1);
	assert_int_equal(nr_mlock(m), 512);
	assert_int_equal(do_munmap(t->mm, a + 8 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	vt_check(m);
	assert_false(PageMlocked(folio));
	assert_int_equal(nr_mlock(m), 0);
	/* with two pages zapped, not even a range that holds it locks it (host:
	 * KPF_MLOCKED clear): its PTEs do not map all of it when mlock walks
	 * them, before the populate fills the two with small pages, mlocked */
	assert_int_equal(do_munmap(t->mm, a, 2 * M2), 0);
	vt_mmap(t, a, 2 * M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, 2 * M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_write(t, a, 1), 0);
	folio = huge_folio_of(t, a);
	assert_int_equal(do_madvise(t->mm, a + 8 * PAGE_SIZE, 2 * PAGE_SIZE, MADV_DONTNEED, NULL), 0);
	assert_int_equal(sys_mlock(t->mm, a, M2, &t->fst), 0);
	vt_check(m);
	assert_false(PageMlocked(folio));
	assert_false(PageCompound(frame_of(t, a + 8 * PAGE_SIZE)));
	assert_true(PageMlocked(frame_of(t, a + 8 * PAGE_SIZE)));
	assert_int_equal(nr_mlock(m), 2);
	vmsim_machine_destroy(m);
}

/* Locks a fork's child takes on the parent's huge page, as the reference
 * host's /proc/kpageflags shows them (KPF_MLOCKED of the head): the
 * child's MLOCK_ONFAULT walk locks the page through its PMD (mlock_count
 * 2); unmapping a run of two of its pages gives back one lock, the next
 * page the other, and the parent's lock is gone with it.  A child's plain
 * mlock copies every page (populate breaks COW) and each copy gives a lock
 * back: the parent's page ends unlocked too. */
static void test_thp_mlock_in_a_fork_child(void **state)
{
	struct vmsim_machine *m = boot_thp("x86_64", "1GiB", NULL, NULL);
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	const uint64_t a = 0x40000000;
	struct page *folio;

	(void)state;
	vt_mmap(t, a, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(sys_mlock(t->mm, a, M2, &t->fst), 0);
	folio = huge_folio_of(t, a);
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	assert_false(vma_at(c, a)->vm_flags & VM_LOCKED);
	assert_int_equal(sys_mlock2(c->mm, a, M2, MLOCK_ONFAULT, &c->fst), 0);
	vt_check(m);
	assert_true(PageMlocked(folio) && folio->mlock_count == 2);
	assert_int_equal(do_munmap(c->mm, a + 8 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	vt_check(m);
	assert_true(PageMlocked(folio) && folio->mlock_count == 1);
	assert_int_equal(do_munmap(c->mm, a + 16 * PAGE_SIZE, PAGE_SIZE), 0);
	vt_check(m);
	assert_false(PageMlocked(folio));
	do_exit(c);
	vt_check(m);
	assert_false(PageMlocked(folio));
	assert_int_equal(nr_mlock(m), 0);

	assert_int_equal(do_munmap(t->mm, a, M2), 0);
	vt_mmap(t, a, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_madvise(t->mm, a, M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(sys_mlock(t->mm, a, M2, &t->fst), 0);
	folio = huge_folio_of(t, a);
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	assert_int_equal(sys_mlock(c->mm, a, M2, &c->fst), 0);
	vt_check(m);
	assert_ptr_not_equal(frame_of(c, a), folio);
	assert_false(PageMlocked(folio));
	assert_ptr_equal(huge_folio_of(t, a), folio);
	do_exit(c);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* ---- memory cgroups ---- */

/*
 * A huge page is charged whole to the faulting task's cgroup
 * (mem_cgroup_charge() of the folio: 512 pages; memory.stat anon_thp and
 * anon, thp_fault_alloc); when memory.max leaves less than 2 MiB the
 * charge is refused and the fault maps a 4 KiB page instead, counting
 * thp_fault_fallback and thp_fault_fallback_charge (mm/huge_memory.c),
 * and never the OOM killer (an order-9 charge skips it).  How hard the
 * charge tries is the fault's gfp mask (vma_thp_gfp_mask()): under the
 * default defrag=madvise a VMA without MADV_HUGEPAGE charges without
 * __GFP_DIRECT_RECLAIM -- refused at once, no max event -- a madvised one
 * with it: reclaim, a drain of the stocks, reclaim again and 16 retries
 * (MAX_RECLAIM_RETRIES), 18 max events; under defrag=always an unmadvised
 * VMA adds __GFP_NORETRY: 2.  Each max event is one
 * try_to_free_mem_cgroup_pages(), which finds nothing to free: the
 * machine has no swap and the cgroup no page cache.  Unmapping the huge
 * page's first page splits it; the charge stays whole until the last
 * page goes.
 */
static struct vmsim_machine *boot_thp_cgroup(const char *defrag, struct task_struct **t,
					     struct mem_cgroup **box)
{
	char d[80];
	const char *sets[] = { "memory.size=256MiB", "transparent_hugepage.enabled=always", d,
			       NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;

	snprintf(d, sizeof(d), "transparent_hugepage.defrag=%s", defrag);
	m = vmsim_machine_create("x86_64", sets, &err);
	if (!m)
		fail_msg("boot: %s", err.msg);
	*t = vt_spawn(m, "a", 0, 0);
	assert_int_equal(cgroup_mkdir(m, "box", box), 0);
	assert_int_equal(cgroup_attach_task(*t, *box), 0);
	/* 600 pages: one huge page and its tables fit, a second does not */
	memory_max_write(&m->vm, *box, 600);
	return m;
}

static void test_thp_memcg_charge_and_fallback(void **state)
{
	struct task_struct *t;
	struct mem_cgroup *box;
	struct vmsim_machine *m = boot_thp_cgroup("madvise", &t, &box);
	uint64_t a, b;
	unsigned long usage;

	(void)state;
	a = vt_mmap(t, 0, 4 * M2, PRW, MAP_PRIVATE);
	assert_int_equal(a % M2, 0);

	/* the first 2 MiB: a huge page, 512 pages of the cgroup; the PUD
	 * and PMD tables took a batch of 64 (the deposited table is in it) */
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_non_null(huge_folio_of(t, a));
	assert_int_equal(box->memory.usage, 64 + 512);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_THPS), 512);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 512);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_PAGETABLE), 3);
	assert_int_equal(memcg_events(box, THP_FAULT_ALLOC), 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 1);
	assert_int_equal(nr_anon_thps(m), 1);

	/* the next 2 MiB: 512 more would pass 600: refused without reclaim,
	 * a 4 KiB page */
	assert_int_equal(vt_write(t, a + M2, 2), 0);
	assert_null(huge_folio_of(t, a + M2));
	assert_non_null(frame_of(t, a + M2));
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_FALLBACK], 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_FALLBACK_CHARGE], 1);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_ALLOC], 1);
	assert_int_equal(box->memory_events[MEMCG_MAX], 0);
	assert_int_equal(box->memory_events[MEMCG_OOM], 0);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_THPS), 512);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 513);
	assert_int_equal(get_mm_rss(t->mm), 513);
	assert_int_equal(vt_read_ok(t, a + M2), 2);

	/* MADV_HUGEPAGE: the charge reclaims and retries, still no OOM */
	assert_int_equal(do_madvise(t->mm, a + 2 * M2, M2, MADV_HUGEPAGE, NULL), 0);
	assert_int_equal(vt_write(t, a + 2 * M2, 3), 0);
	assert_null(huge_folio_of(t, a + 2 * M2));
	assert_int_equal(box->memory_events[MEMCG_MAX], 18);
	assert_int_equal(box->memory_events[MEMCG_OOM], 0);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_FALLBACK_CHARGE], 2);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 514);

	/* unmap the huge page's head: the PMD splits, the 511 other pages
	 * stay mapped, the charge stays whole (the checker recounts it
	 * from the tail pages) */
	usage = box->memory.usage;
	assert_int_equal(do_munmap(t->mm, a, PAGE_SIZE), 0);
	vt_check(m);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_THPS), 0);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 511 + 2);
	assert_int_equal(box->memory.usage, usage);
	/* the last page of it: 512 uncharged (kept in no stock) */
	assert_int_equal(do_munmap(t->mm, a + PAGE_SIZE, M2 - PAGE_SIZE), 0);
	vt_check(m);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 2);
	assert_int_equal(box->memory.usage, usage - 512);

	/* with the room back, the next fault is huge again */
	b = vt_mmap(t, 0, 2 * M2, PRW, MAP_PRIVATE);
	assert_int_equal(vt_write(t, b + M2, 4), 0);
	assert_non_null(huge_folio_of(t, b + M2));
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_THPS), 512);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* defrag=always: an unmadvised VMA's charge reclaims once, drains, and
 * reclaims again (__GFP_NORETRY): 2 max events, then the fallback. */
static void test_thp_memcg_charge_noretry(void **state)
{
	struct task_struct *t;
	struct mem_cgroup *box;
	struct vmsim_machine *m = boot_thp_cgroup("always", &t, &box);
	uint64_t a = vt_mmap(t, 0, 2 * M2, PRW, MAP_PRIVATE);

	(void)state;
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_non_null(huge_folio_of(t, a));
	assert_int_equal(vt_write(t, a + M2, 2), 0);
	assert_null(huge_folio_of(t, a + M2));
	assert_int_equal(box->memory_events[MEMCG_MAX], 2);
	assert_int_equal(box->memory_events[MEMCG_OOM], 0);
	assert_int_equal(m->pm.vmstat.event[THP_FAULT_FALLBACK_CHARGE], 1);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* Reclaim of a PMD-mapped huge page with swap (shrink_folio_list()): no
 * swap cluster is allocated for it whole, so it falls back to 4 KiB pages
 * -- the PMD split, then the folio (thp_split_page, thp_swpout_fallback)
 * -- and each of the 512 pages goes to swap (pswpout 512, 512 swap
 * entries, rss 0); reading them back brings the bytes each page held. */
static void test_thp_reclaim_splits_and_swaps_512_pages(void **state)
{
	const char *sets[] = { "memory.size=64MiB", "swap.size=4MiB",
			       "transparent_hugepage.enabled=always", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct task_struct *t;
	struct page *folio;
	unsigned long pswpout, pswpin, lru_before, lru_after;
	uint64_t a;

	(void)state;
	if (!m)
		fail_msg("boot: %s", err.msg);
	t = vt_spawn(m, "a", 0, 0);
	a = vt_mmap(t, 0x40000000, M2, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned i = 0; i < 512; i++)
		for (unsigned w = 0; w < 4; w++)
			assert_int_equal(vt_write(t, a + i * PAGE_SIZE + w * 1024,
						  0x5a00000000ULL + i * 16 + w), 0);
	folio = huge_folio_of(t, a);
	assert_non_null(folio);
	/* one folio on the LRU, its 512 pages counted once each */
	lru_add_drain(&m->vm);
	assert_true(PageLRU(folio));
	for (unsigned i = 1; i < 512; i++)
		assert_false(PageLRU(folio + i));
	lru_before = node_page_state(&m->pm.node_data[0], NR_INACTIVE_ANON) +
		     node_page_state(&m->pm.node_data[0], NR_ACTIVE_ANON);
	assert_true(lru_before >= 512);
	vt_check(m);
	/* the checker: a tail page with LRU flags is refused */
	{
		set_page_flag(folio + 7, PG_lru);
		assert_int_not_equal(machine_check(m, &err), 0);
		assert_non_null(strstr(err.msg, "a tail page"));
		clear_page_flag(folio + 7, PG_lru);
		assert_int_equal(machine_check(m, &err), 0);
	}
	/* folio_referenced(): the PMD's Accessed bit, tested and cleared
	 * (pmdp_clear_flush_young()), one reference for the whole folio */
	{
		unsigned long vm_flags;

		assert_true(pmd_entry_of(t, a, NULL) & _PAGE_ACCESSED);
		assert_int_equal(folio_referenced(&m->vm, folio, &vm_flags), 1);
		assert_false(pmd_entry_of(t, a, NULL) & _PAGE_ACCESSED);
		assert_int_equal(folio_referenced(&m->vm, folio, &vm_flags), 0);
		assert_int_equal(vt_read_ok(t, a + 5 * PAGE_SIZE), 0x5a00000000ULL + 5 * 16);
		assert_int_equal(folio_referenced(&m->vm, folio, &vm_flags), 1);
	}

	assert_int_equal(do_madvise(t->mm, a, M2, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_null(huge_folio_of(t, a));
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PMD], 1);
	assert_int_equal(nr_anon_thps(m), 0);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PAGE], 1);
	assert_int_equal(m->pm.vmstat.event[THP_SWPOUT_FALLBACK], 1);
	assert_int_equal(m->pm.vmstat.event[THP_SPLIT_PAGE_FAILED], 0);
	assert_int_equal(vmstat_read(&m->pm, "pswpout", &pswpout), 0);
	assert_int_equal(pswpout, 512);
	assert_int_equal(get_mm_counter(t->mm, MM_SWAPENTS), 512);
	assert_int_equal(get_mm_rss(t->mm), 0);
	for (unsigned i = 0; i < 512; i++)
		assert_true(is_swap_pte(mm_pte_lookup(t->mm, a + i * PAGE_SIZE)));
	/* written asynchronously: the pages wait in the swap cache, 4 KiB
	 * pages on the anon lists now, until reclaim frees them */
	lru_after = node_page_state(&m->pm.node_data[0], NR_INACTIVE_ANON) +
		    node_page_state(&m->pm.node_data[0], NR_ACTIVE_ANON);
	assert_true(lru_after <= lru_before);
	for (unsigned i = 0; i < 512; i++) {
		struct page *p = swap_cache_lookup(&m->vm, pte_to_swp_entry(m->pt.fmt,
						   mm_pte_lookup(t->mm, a + i * PAGE_SIZE)));

		assert_true(!p || (!PageCompound(p) && PageSwapCache(p)));
	}

	/* reclaim frees them, written: the swap slots alone hold the bytes */
	reclaim_lruvec(&m->vm, mem_cgroup_lruvec(&m->vm, NULL, 0), 512, GFP_KERNEL, true);
	vt_check(m);
	for (unsigned i = 0; i < 512; i++)
		assert_null(swap_cache_lookup(&m->vm, pte_to_swp_entry(m->pt.fmt,
						 mm_pte_lookup(t->mm, a + i * PAGE_SIZE))));

	/* back, page by page, with their bytes */
	for (unsigned i = 0; i < 512; i++)
		for (unsigned w = 0; w < 4; w++)
			assert_int_equal(vt_read_ok(t, a + i * PAGE_SIZE + w * 1024),
					 0x5a00000000ULL + i * 16 + w);
	vt_check(m);
	assert_int_equal(vmstat_read(&m->pm, "pswpin", &pswpin), 0);
	assert_int_equal(pswpin, 512);
	assert_int_equal(get_mm_counter(t->mm, MM_SWAPENTS), 0);
	assert_int_equal(get_mm_rss(t->mm), 512);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thp_fault_maps_a_pmd_leaf),
		cmocka_unit_test(test_thp_settings_and_vmas_decide),
		cmocka_unit_test(test_thp_map_stack_and_the_advice),
		cmocka_unit_test(test_thp_defaults_follow_the_machine_size),
		cmocka_unit_test(test_thp_falls_back_without_a_free_pmd_block),
		cmocka_unit_test(test_thp_huge_zero_page_then_write),
		cmocka_unit_test(test_thp_huge_zero_write_falls_back_to_a_split),
		cmocka_unit_test(test_thp_partial_munmap_splits),
		cmocka_unit_test(test_thp_mprotect_splits_a_half),
		cmocka_unit_test(test_thp_vma_split_splits_the_pmd_it_cuts),
		cmocka_unit_test(test_thp_split_keeps_every_byte),
		cmocka_unit_test(test_thp_fork_copy_on_write),
		cmocka_unit_test(test_thp_fork_of_a_split_huge_page),
		cmocka_unit_test(test_thp_x86_32_maps_4mib_pages),
		cmocka_unit_test(test_thp_pae_and_la57_map_2mib_pages),
		cmocka_unit_test(test_thp_corrupted_huge_pmd_is_bad_and_reclaimed),
		cmocka_unit_test(test_thp_move_huge_pmd_moves_page_and_table),
		cmocka_unit_test(test_thp_madvise_dontneed_and_free),
		cmocka_unit_test(test_thp_madvise_cold_and_pageout),
		cmocka_unit_test(test_thp_lru_moves_count_every_page),
		cmocka_unit_test(test_thp_reclaim_splits_and_swaps_512_pages),
		cmocka_unit_test(test_thp_madvise_flags_split_at_new_boundaries),
		cmocka_unit_test(test_thp_mremap_moves_whole_or_splits),
		cmocka_unit_test(test_thp_exit_frees_everything),
		cmocka_unit_test(test_thp_rmap_of_a_huge_page),
		cmocka_unit_test(test_thp_reuse_moves_the_folio_to_the_vma_anon_vma),
		cmocka_unit_test(test_thp_mlock_and_mincore),
		cmocka_unit_test(test_thp_mlock_split_and_unmap),
		cmocka_unit_test(test_thp_mlock_in_a_fork_child),
		cmocka_unit_test(test_thp_memcg_charge_and_fallback),
		cmocka_unit_test(test_thp_memcg_charge_noretry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
