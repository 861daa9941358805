/*
 * Known-answer tests of page faults and tasks: demand-zero and the zero
 * page, copy-on-write after fork (the child's write leaves the parent's
 * bytes, refcounts and mapcounts at each step, the last writer reuses its
 * frame), shared anonymous memory across fork, CLONE_VM, stack growth and
 * its limits, SIGSEGV codes, the context switch, and exit returning every
 * frame to the buddy allocator.  The whole-machine checker runs after
 * every access.
 */
#include "vma_test.h"
#include "kern/oom.h"
#include "vma/swap.h"
#include "vma/filemap.h"

#define PRW (PROT_READ | PROT_WRITE)

#define frame_of vt_frame_of

static void test_fault_demand_zero_and_zero_page(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = vt_mmap(t, 0, 16 * KiB, PRW, MAP_PRIVATE);
	unsigned long free0 = nr_free_pages_with_pcp(&m->pm);

	(void)state;
	/* a read maps the shared zero page: no frame, no rss */
	assert_int_equal(vt_read_ok(t, a), 0);
	assert_ptr_equal(frame_of(t, a), m->vm.zero_page);
	assert_false(mm_pte_lookup(t->mm, a) & _PAGE_RW);
	assert_int_equal(get_mm_rss(t->mm), 0);
	assert_int_equal(t->fst.zero_page, 1);
	assert_int_equal(t->fst.min_flt, 1);
	/* the write to it breaks COW from the zero page: a fresh zeroed frame
	 * (plus the PTE table the first fault allocated) */
	assert_int_equal(vt_write(t, a, 0xabcdef), 0);
	assert_ptr_not_equal(frame_of(t, a), m->vm.zero_page);
	assert_int_equal(get_mm_rss(t->mm), 1);
	assert_int_equal(vt_read_ok(t, a), 0xabcdef);
	/* a first write: demand-zero, writable and dirty at once */
	assert_int_equal(vt_write(t, a + 8192, 1), 0);
	assert_true(mm_pte_lookup(t->mm, a + 8192) & _PAGE_DIRTY);
	assert_int_equal(t->fst.demand_zero, 1);
	assert_int_equal(get_mm_rss(t->mm), 2);
	/* the new page waits in this CPU's lru_add batch, which holds a
	 * reference until the batch goes onto the LRU */
	assert_int_equal(page_ref_count(frame_of(t, a + 8192)), 2);
	assert_false(PageLRU(frame_of(t, a + 8192)));
	lru_add_drain(&m->vm);
	assert_int_equal(page_ref_count(frame_of(t, a + 8192)), 1);
	assert_true(PageLRU(frame_of(t, a + 8192)));
	assert_int_equal(page_mapcount(frame_of(t, a + 8192)), 1);
	assert_true(PageAnon(frame_of(t, a + 8192)));
	/* 2 frames + PTE, PMD and PUD tables + the slab pages of the
	 * anon_vma and of the anon_vma_chain that links it to the VMA */
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0 - 7);
	/* the rest of the page reads zero: the frame was zeroed */
	{
		uint64_t v;
		assert_int_equal(vt_read(t, a + 8192 + 8, &v), 0);
		assert_int_equal(v, 0);
	}
	vmsim_machine_destroy(m);
}

static void test_fault_segv_codes(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t ro = vt_mmap(t, 0, 4096, PROT_READ, MAP_PRIVATE);
	uint64_t none = vt_mmap(t, 0, 4096, PROT_NONE, MAP_PRIVATE);
	uint64_t rw = vt_mmap(t, 0, 4096, PRW, MAP_PRIVATE);
	struct access_result r;
	uint64_t v = 0;
	uint8_t b;

	(void)state;
	assert_int_equal(vt_read(t, 0, &v), SEGV_MAPERR);
	assert_int_equal(vt_read(t, 0x12345000, &v), SEGV_MAPERR);
	assert_int_equal(vt_write(t, ro, 1), SEGV_ACCERR);
	assert_int_equal(vt_read(t, none, &v), SEGV_ACCERR);
	/* non-canonical: #GP, delivered as SIGSEGV */
	assert_int_equal(vt_read(t, 0x0000900000000000ULL, &v), SEGV_MAPERR);
	/* fetch from a non-executable mapping: the page is faulted in, the
	 * retry hits NX: SEGV_ACCERR */
	assert_int_equal(task_access(t, rw, MMU_FETCH, &b, 1, &r), 0);
	assert_int_equal(r.segv, SEGV_ACCERR);
	assert_int_equal(t->fst.segv, 6);
	/* an executable one fetches */
	uint64_t x = vt_mmap(t, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE);
	assert_int_equal(task_access(t, x, MMU_FETCH, &b, 1, &r), 0);
	assert_int_equal(r.segv, 0);
	vmsim_machine_destroy(m);
}

static void test_fault_cow_after_fork(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *p = vt_spawn(m, "parent", 0, 0), *c;
	uint64_t a = vt_mmap(p, 0, 8 * KiB, PRW, MAP_PRIVATE);
	struct page *pg, *cpg;
	unsigned long free0;

	(void)state;
	assert_int_equal(vt_write(p, a, 0x1111), 0);
	assert_int_equal(vt_write(p, a + 4096, 0x2222), 0);
	pg = frame_of(p, a);
	assert_int_equal(do_fork(p, "child", 0, &c), 0);
	vt_check(m);
	lru_add_drain(&m->vm);	/* the batches' references out of the way */
	/* shared read-only by both, counted twice */
	assert_ptr_equal(frame_of(c, a), pg);
	assert_int_equal(page_ref_count(pg), 2);
	assert_int_equal(page_mapcount(pg), 2);
	assert_false(mm_pte_lookup(p->mm, a) & _PAGE_RW);
	assert_false(mm_pte_lookup(c->mm, a) & _PAGE_RW);
	assert_int_equal(get_mm_rss(c->mm), 2);
	free0 = nr_free_pages_with_pcp(&m->pm);
	/* the child writes: it gets a copy, the parent keeps its bytes */
	assert_int_equal(vt_write(c, a, 0x3333), 0);
	cpg = frame_of(c, a);
	assert_ptr_not_equal(cpg, pg);
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0 - 1);
	assert_int_equal(vt_read_ok(c, a), 0x3333);
	assert_int_equal(vt_read_ok(p, a), 0x1111);
	lru_add_drain(&m->vm);
	assert_int_equal(page_ref_count(pg), 1);
	assert_int_equal(page_mapcount(pg), 1);
	assert_int_equal(c->fst.cow, 1);
	/* the parent is now the only user: its write reuses the frame */
	assert_int_equal(vt_write(p, a, 0x4444), 0);
	assert_ptr_equal(frame_of(p, a), pg);
	assert_int_equal(p->fst.cow_reuse, 1);
	assert_int_equal(p->fst.cow, 0);
	assert_int_equal(nr_free_pages_with_pcp(&m->pm), free0 - 1);
	/* second page: the parent writes first, copies; the child then reuses */
	assert_int_equal(vt_write(p, a + 4096, 0x5555), 0);
	assert_int_equal(vt_write(c, a + 4096, 0x6666), 0);
	assert_int_equal(p->fst.cow, 1);
	assert_int_equal(c->fst.cow_reuse, 1);
	assert_int_equal(vt_read_ok(p, a + 4096), 0x5555);
	assert_int_equal(vt_read_ok(c, a + 4096), 0x6666);
	do_exit(c);
	vt_check(m);
	assert_int_equal(vt_read_ok(p, a), 0x4444);
	vmsim_machine_destroy(m);
}

static void test_fault_shared_anon_survives_fork_and_clone_vm(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c, *th;
	uint64_t s = vt_mmap(p, 0, 8 * KiB, PRW, MAP_SHARED);
	uint64_t v;

	(void)state;
	/* nothing faulted yet: the child must still see the same pages */
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	assert_int_equal(vt_write(c, s + 4096, 77), 0);
	assert_int_equal(vt_read_ok(p, s + 4096), 77);
	assert_int_equal(vt_write(p, s, 88), 0);
	assert_int_equal(vt_read_ok(c, s), 88);
	assert_ptr_equal(frame_of(p, s), frame_of(c, s));
	/* one reference per mapping plus the shmem object's own */
	lru_add_drain(&m->vm);
	assert_int_equal(page_ref_count(frame_of(p, s)), 3);
	assert_int_equal(get_mm_counter(p->mm, MM_SHMEMPAGES), 2);
	/* CLONE_VM: the same mm, mm_users counts both */
	assert_int_equal(do_fork(p, "thread", CLONE_VM, &th), 0);
	assert_ptr_equal(th->mm, p->mm);
	assert_int_equal(p->mm->mm_users, 2);
	uint64_t priv = vt_mmap(th, 0, 4096, PRW, MAP_PRIVATE);
	assert_int_equal(vt_write(th, priv, 99), 0);
	assert_int_equal(vt_read_ok(p, priv), 99);
	do_exit(th);
	vt_check(m);
	assert_int_equal(p->mm->mm_users, 1);
	assert_int_equal(vt_read_ok(p, priv), 99);
	do_exit(c);
	assert_int_equal(vt_read(p, s + 4096, &v), 0);
	assert_int_equal(v, 77);
	vmsim_machine_destroy(m);
}

static void test_fault_stack_growth_and_limits(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 132 * KiB);
	const uint64_t top = 0x7ffffffff000ULL, start = top - 132 * KiB;
	struct vm_area_struct *stack = vma_lookup(t->mm, top - 4096);
	uint64_t v;

	(void)state;
	assert_non_null(stack);
	assert_true(stack->vm_flags & VM_GROWSDOWN);
	assert_int_equal(t->mm->stack_vm, 33);
	/* a write a few pages below grows the VMA down to that page */
	assert_int_equal(vt_write(t, start - 3 * 4096 + 8, 1), 0);
	assert_int_equal(stack->vm_start, start - 3 * 4096);
	assert_int_equal(t->mm->stack_vm, 36);
	assert_int_equal(t->fst.stack_grow, 1);
	/* beyond the 8 MiB rlimit: SEGV_MAPERR, nothing changes */
	assert_int_equal(vt_read(t, top - 8 * MiB - 4096, &v), SEGV_MAPERR);
	assert_int_equal(stack->vm_start, start - 3 * 4096);
	/* exactly at the limit is fine */
	assert_int_equal(vt_read(t, top - 8 * MiB, &v), 0);
	assert_int_equal(stack->vm_start, top - 8 * MiB);
	/* an accessible mapping 1 MiB below blocks growth into its guard gap */
	vt_mmap(t, top - 8 * MiB - 2 * MiB, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED);
	vmsim_machine_destroy(m);

	m = vt_boot("x86_64", "256MiB");
	t = vt_spawn(m, "a", 0, 0);
	uint64_t g = vt_mmap(t, 0x40000000, 16 * KiB, PRW, MAP_PRIVATE | MAP_GROWSDOWN | MAP_FIXED);
	vt_mmap(t, g - MiB - 8 * KiB, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED);
	/* 1 MiB + 4 KiB above the other mapping's end: allowed */
	assert_int_equal(vt_write(t, g - 4096, 1), 0);
	/* within the gap: refused */
	assert_int_equal(vt_write(t, g - MiB - 4096 + 8, 1), SEGV_MAPERR);
	vmsim_machine_destroy(m);
}

static void test_fault_switch_loads_cr3(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *a = vt_spawn(m, "a", 0, 0), *b = vt_spawn(m, "b", 0, 0);
	uint64_t loads;

	(void)state;
	context_switch(m, 0, a);
	assert_int_equal(m->cpus[0].cr3, task_pgd(a));
	loads = m->cpus[0].st.cr3_loads;
	context_switch(m, 0, b);
	assert_int_equal(m->cpus[0].cr3, task_pgd(b));
	assert_int_equal(m->cpus[0].st.cr3_loads, loads + 1);
	/* the same mm again: no CR3 write */
	context_switch(m, 0, b);
	assert_int_equal(m->cpus[0].st.cr3_loads, loads + 1);
	/* the kernel half is shared: a kernel address translates in b */
	{
		uint64_t pa;
		struct vmsim_fault f;
		assert_true(translate(&m->cpus[0], m->cfg.page_offset + 0x1000, MMU_READ, MMU_KERNEL,
				      &pa, &f));
		assert_int_equal(pa, 0x1000);
	}
	do_exit(b);
	/* the CPU left b's tables before they were freed */
	assert_int_equal(m->cpus[0].cr3, m->vm.kernel_pgd);
	assert_null(task_find(m, "b"));
	vmsim_machine_destroy(m);
}

/* With PCIDs a switch keeps the other task's TLB entries; an munmap while
 * that task is switched out must still drop them (no stale translation
 * when it runs again). */
static void test_fault_pcid_switch_and_stale_entries(void **state)
{
	const char *sets[] = { "memory.size=256MiB", "cpu.pcid=true", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct task_struct *a, *b;
	uint64_t pa_addr, walks, v;

	(void)state;
	if (!m)
		fail_msg("boot: %s", err.msg);
	a = vt_spawn(m, "a", 0, 0);
	b = vt_spawn(m, "b", 0, 0);
	pa_addr = vt_mmap(a, 0, 4096, PRW, MAP_PRIVATE);
	assert_int_equal(vt_write(a, pa_addr, 5), 0);
	context_switch(m, 0, b);
	context_switch(m, 0, a);
	/* a's entry survived the two CR3 loads: no walk for this read */
	walks = m->cpus[0].st.walks;
	assert_int_equal(vt_read_ok(a, pa_addr), 5);
	assert_int_equal(m->cpus[0].st.walks, walks);
	/* unmap while b runs: a's PCID entries are flushed */
	context_switch(m, 0, b);
	assert_int_equal(do_munmap(a->mm, pa_addr, 4096), 0);
	vt_check(m);
	assert_int_equal(vt_read(a, pa_addr, &v), SEGV_MAPERR);
	vmsim_machine_destroy(m);
}

/* Spawn, map, fault, fork, COW, brk, exit: the buddy free counts, order
 * by order, are back where they were. */
static void exit_returns_every_frame(const char *arch)
{
	struct vmsim_machine *m = vt_boot(arch, "256MiB");
	struct task_struct *t, *c;
	struct vt_free before, after;

	/* the first task creates the slab caches; measure after that */
	t = vt_spawn(m, "warmup", 0, 0);
	do_exit(t);
	vt_free_snapshot(m, &before);
	t = vt_spawn(m, "a", 0, 64 * KiB);
	uint64_t a = vt_mmap(t, 0, 1 * MiB, PRW, MAP_PRIVATE);
	uint64_t s = vt_mmap(t, 0, 64 * KiB, PRW, MAP_SHARED);
	for (uint64_t off = 0; off < 1 * MiB; off += 4096)
		assert_int_equal(vt_write(t, a + off, off), 0);
	assert_int_equal(vt_write(t, s, 1), 0);
	uint64_t nb = t->mm->brk + 40 * KiB;
	assert_int_equal(sys_brk(t->mm, nb), nb);
	assert_int_equal(vt_write(t, t->mm->start_brk, 3), 0);
	assert_int_equal(do_fork(t, "c", 0, &c), 0);
	for (uint64_t off = 0; off < 512 * KiB; off += 4096)
		assert_int_equal(vt_write(c, a + off, 7), 0);
	assert_int_equal(do_mprotect(t->mm, a, 64 * KiB, PROT_READ), 0);
	assert_int_equal(do_munmap(t->mm, a + 128 * KiB, 64 * KiB), 0);
	vt_check(m);
	do_exit(t);
	vt_check(m);
	do_exit(c);
	vt_check(m);
	vt_free_snapshot(m, &after);
	assert_int_equal(after.total, before.total);
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		for (unsigned o = 0; o <= m->pm.max_order; o++)
			if (after.nr[z][o] != before.nr[z][o])
				fail_msg("%s zone %u order %u: %lu free blocks, %lu before", arch, z, o,
					 after.nr[z][o], before.nr[z][o]);
	vmsim_machine_destroy(m);
}

static void test_exit_returns_every_frame_x86_64(void **state)
{
	(void)state;
	exit_returns_every_frame("x86_64");
}

/* VmPTE counts the user half's tables of every level: one page touched at
 * 0x08049000 needs a PTE table (2-level), + the 3 PMD tables PAE
 * preallocates, + a PUD and a PMD table (4-level), + a P4D table
 * (5-level); a page 1 GiB away adds its PMD and PTE tables (one PTE
 * table under PAE, whose PMD for it is preallocated), and the teardown
 * leaves none. */
static void test_fault_vmpte_counts_every_level(void **state)
{
	static const struct { const char *machine; unsigned long one, two; } k[] = {
		{ "x86_32", 1, 2 }, { "x86_32-pae", 4, 5 }, { "x86_64", 3, 5 },
		{ "x86_64-la57", 4, 6 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct vmsim_machine *m = vt_boot(k[i].machine, "256MiB");
		struct task_struct *t = vt_spawn(m, "a", 0, 0);

		assert_int_equal(vt_mmap(t, 0x08048000, 8 * KiB, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_FIXED), 0x08048000);
		assert_int_equal(vt_mmap(t, 0x48048000, 8 * KiB, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_FIXED), 0x48048000);
		assert_int_equal(vt_write(t, 0x08049000, 1), 0);
		if (mm_pgtables_bytes(t->mm) != k[i].one * PAGE_SIZE)
			fail_msg("%s: VmPTE %lu kB, want %lu", k[i].machine,
				 mm_pgtables_bytes(t->mm) >> 10, k[i].one * 4);
		assert_int_equal(vt_write(t, 0x48049000, 1), 0);
		if (mm_pgtables_bytes(t->mm) != k[i].two * PAGE_SIZE)
			fail_msg("%s: VmPTE %lu kB, want %lu", k[i].machine,
				 mm_pgtables_bytes(t->mm) >> 10, k[i].two * 4);
		vt_teardown(m);
	}
}

/* PAE: unmapping all of a GiB frees its PMD table and clears its PDPTE
 * (free_pmd_range()'s pud_clear()), mapping there again makes a new one
 * (pud_populate()); each time the CPU running the mm loads CR3 again, so
 * its PDPTE registers follow. */
static void test_fault_pae_pdpte_reload(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_32-pae", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	struct vmsim_cpu *cpu = &m->cpus[0];
	uint64_t pdpte;

	(void)state;
	assert_int_equal(vt_mmap(t, 0x40000000, 4 * KiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_FIXED), 0x40000000);
	assert_int_equal(vt_write(t, 0x40000000, 5), 0);
	assert_int_equal(cpu->cr3, t->mm->pgd);
	pdpte = pt_read(&m->pt, t->mm->pgd + 8);
	assert_int_equal(cpu->root_regs[1], pdpte);
	assert_int_equal(do_munmap(t->mm, 0x40000000, 4 * KiB), 0);
	vt_check(m);
	assert_int_equal(pt_read(&m->pt, t->mm->pgd + 8), 0);
	assert_int_equal(cpu->root_regs[1], 0);
	assert_int_equal(vt_mmap(t, 0x40200000, 4 * KiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_FIXED), 0x40200000);
	assert_int_equal(vt_write(t, 0x40200000, 6), 0);
	assert_int_equal(vt_read_ok(t, 0x40200000), 6);
	assert_int_equal(pt_read(&m->pt, t->mm->pgd + 8) & 0xfff, _PAGE_PRESENT);
	assert_int_equal(cpu->root_regs[1], pt_read(&m->pt, t->mm->pgd + 8));
	vt_teardown(m);
}

static void test_exit_returns_every_frame_x86_32(void **state)
{
	(void)state;
	exit_returns_every_frame("x86_32");
	exit_returns_every_frame("x86_32-pae");
	exit_returns_every_frame("x86_64-la57");
}

static void test_fault_x86_32_highmem_frames(void **state)
{
	/* 1 GiB on x86_32: user frames may come from HighMem */
	struct vmsim_machine *m = vt_boot("x86_32", "1GiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	uint64_t a = vt_mmap(t, 0, 64 * KiB, PRW, MAP_PRIVATE);

	(void)state;
	for (int i = 0; i < 16; i++)
		assert_int_equal(vt_write(t, a + (uint64_t)i * 4096, (uint64_t)i * 3), 0);
	assert_int_equal(do_fork(t, "c", 0, &c), 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(vt_write(c, a + (uint64_t)i * 4096, 1000), 0);
		assert_int_equal(vt_read_ok(t, a + (uint64_t)i * 4096), (uint64_t)i * 3);
	}
	assert_int_equal(page_zonenum(frame_of(t, a)), ZONE_HIGHMEM);
	vmsim_machine_destroy(m);
}

static void test_fault_file_mappings_private_and_shared(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0), *c;
	struct vmsim_error err = { 0 };
	struct file *f;
	struct page *cache;
	uint64_t p, sh, v;
	char buf[16];

	(void)state;
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/data.bin", "0123456789abcdef",
					16,
					8192, &f, &err), 0);
	p = (uint64_t)vm_mmap(t->mm, f, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	sh = (uint64_t)vm_mmap(t->mm, f, 0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	fput(f);
	vt_check(m);
	/* different offsets of one file do not merge, the same file does not
	 * merge across private and shared */
	assert_int_equal(t->mm->map_count, 2);
	/* a private read maps the page-cache page read-only: RssFile */
	assert_int_equal(vt_read_ok(t, p), 0x3736353433323130ULL);
	cache = filemap_find_page(vma_lookup(t->mm, p)->vm_file, 0);
	assert_non_null(cache);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 1);
	/* a private write copies it: the cache keeps the file's bytes */
	assert_int_equal(vt_write(t, p, 0x4141414141414141ULL), 0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 1);
	assert_int_equal(get_mm_counter(t->mm, MM_FILEPAGES), 0);
	assert_int_equal(filemap_read(vma_lookup(t->mm, p)->vm_file, 0, buf, 8), 0);
	assert_memory_equal(buf, "01234567", 8);
	/* a shared write goes to the cache page itself and dirties it */
	assert_int_equal(vt_write(t, sh + 8, 0x5a5a5a5a5a5a5a5aULL), 0);
	assert_true(test_page_flag(cache, PG_dirty));
	assert_int_equal(filemap_read(vma_lookup(t->mm, sh)->vm_file, 8, buf, 8), 0);
	assert_memory_equal(buf, "ZZZZZZZZ", 8);
	/* fork: the child sees the shared write and its own private copy */
	assert_int_equal(do_fork(t, "c", 0, &c), 0);
	assert_int_equal(vt_read(c, sh + 8, &v), 0);
	assert_int_equal(v, 0x5a5a5a5a5a5a5a5aULL);
	assert_int_equal(vt_read_ok(c, p), 0x4141414141414141ULL);
	/* unmapping drops the mappings, the cache keeps its pages */
	assert_int_equal(do_munmap(t->mm, p, 8192), 0);
	vt_check(m);
	do_exit(c);
	do_exit(t);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* Running out of simulated RAM with the OOM killer disabled: the fault
 * reports -ENOMEM, nothing half-done stays behind, and exit still returns
 * every frame. */
static void test_fault_out_of_memory_is_clean(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "80MiB");
	struct task_struct *t = vt_spawn(m, "warm", 0, 0), *c;
	struct vt_free before, after;
	struct access_result r;
	uint64_t a, off;
	uint8_t one = 1;
	int ret = 0;

	(void)state;
	oom_killer_disable(m);
	do_exit(t);
	vt_free_snapshot(m, &before);
	t = vt_spawn(m, "a", 0, 0);
	a = vt_mmap(t, 0, 64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (off = 0; off < 64 * MiB; off += 4096) {
		ret = task_access(t, a + off, MMU_WRITE, &one, 1, &r);
		if (ret)
			break;
	}
	assert_int_equal(ret, -ENOMEM);
	assert_false(r.killed);
	vt_check(m);
	assert_int_equal(get_mm_rss(t->mm), off / 4096);
	/* fork needs frames for tables: it fails cleanly or succeeds */
	ret = do_fork(t, "c", 0, &c);
	vt_check(m);
	if (ret == 0)
		do_exit(c);
	else
		assert_int_equal(ret, -ENOMEM);
	assert_null(task_find(m, "c"));
	do_exit(t);
	vt_check(m);
	vt_free_snapshot(m, &after);
	assert_int_equal(after.total, before.total);
	vmsim_machine_destroy(m);
}

/* The same with the OOM killer: the task filling memory is the biggest,
 * so its own fault chooses it; its access does not complete, it exits on
 * the way back to user mode and every frame it held comes back, while a
 * small task beside it is untouched. */
static void test_fault_oom_kills_the_biggest(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "80MiB");
	struct task_struct *t = vt_spawn(m, "warm", 0, 0), *small;
	struct vt_free before, after;
	struct access_result r = { 0 };
	uint64_t a, off;
	uint8_t one = 1;
	int ret = 0;

	(void)state;
	do_exit(t);
	small = vt_spawn(m, "small", 0, 0);
	a = vt_mmap(small, 0, 64 * KiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (off = 0; off < 64 * KiB; off += 4096)
		assert_int_equal(vt_write(small, a + off, 7), 0);
	vt_free_snapshot(m, &before);
	t = vt_spawn(m, "big", 0, 0);
	a = vt_mmap(t, 0, 64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (off = 0; off < 64 * MiB; off += 4096) {
		ret = task_access(t, a + off, MMU_WRITE, &one, 1, &r);
		if (ret || r.killed)
			break;
	}
	assert_int_equal(ret, 0);
	assert_true(r.killed);
	assert_true(off < 64 * MiB);
	assert_int_equal(m->pm.vmstat.event[OOM_KILL], 1);
	/* chosen, still there until it returns to user mode */
	assert_ptr_equal(task_find(m, "big"), t);
	exit_to_user_mode(m);
	assert_null(task_find(m, "big"));
	assert_ptr_equal(task_find(m, "small"), small);
	assert_int_equal(get_mm_rss(small->mm), 16);
	vt_check(m);
	vt_free_snapshot(m, &after);
	/* every frame of the victim is back (spawn's own frames included) */
	assert_int_equal(after.total, before.total);
	do_exit(small);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_demand_zero_and_zero_page),
		cmocka_unit_test(test_fault_segv_codes),
		cmocka_unit_test(test_fault_cow_after_fork),
		cmocka_unit_test(test_fault_shared_anon_survives_fork_and_clone_vm),
		cmocka_unit_test(test_fault_stack_growth_and_limits),
		cmocka_unit_test(test_fault_switch_loads_cr3),
		cmocka_unit_test(test_fault_pcid_switch_and_stale_entries),
		cmocka_unit_test(test_exit_returns_every_frame_x86_64),
		cmocka_unit_test(test_exit_returns_every_frame_x86_32),
		cmocka_unit_test(test_fault_vmpte_counts_every_level),
		cmocka_unit_test(test_fault_pae_pdpte_reload),
		cmocka_unit_test(test_fault_x86_32_highmem_frames),
		cmocka_unit_test(test_fault_file_mappings_private_and_shared),
		cmocka_unit_test(test_fault_out_of_memory_is_clean),
		cmocka_unit_test(test_fault_oom_kills_the_biggest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
