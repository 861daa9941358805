/*
 * TLB shootdown across CPUs (vma/tlbflush.c) with known answers: threads
 * of one mm on two CPUs, a munmap on CPU 0 sends CPU 1 one shootdown and
 * its stale entry is gone; a CPU that runs another mm gets none; a lazy
 * CPU is skipped and flushes when it comes back (with and without PCIDs)
 * unless nothing changed; freed page tables reach lazy CPUs; the
 * 33-entry ceiling; mprotect, COW, mremap and reclaim's unmap shoot down
 * too.  The per-CPU counters add up to /proc/vmstat's.
 */
#include "vma_test.h"

#include "vma/tlbflush.h"

#define PRW (PROT_READ | PROT_WRITE)

static struct vmsim_machine *boot2(bool pcid)
{
	const char *sets[] = { "memory.size=256MiB", "cpu.count=2",
			       pcid ? "cpu.pcid=true" : NULL, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

/* CPU @c reads @va as the user: the TLB gets the entry (true), or the
 * translation faults (false). */
static bool cpu_reads(struct vmsim_machine *m, unsigned c, uint64_t va)
{
	struct vmsim_fault f;
	uint64_t pa;

	return translate(&m->cpus[c], va, MMU_READ, MMU_USER, &pa, &f);
}

/* CPU @c's TLB holds an entry for @va under its current PCID. */
static bool cached(struct vmsim_machine *m, unsigned c, uint64_t va)
{
	struct vmsim_cpu *cpu = &m->cpus[c];

	return tlb_array_lookup(&cpu->l1[TLB_D], va, cpu->pcid) ||
	       tlb_array_lookup(&cpu->l2, va, cpu->pcid);
}

/* The per-CPU counters sum to /proc/vmstat's. */
static void check_counts(struct vmsim_machine *m)
{
	unsigned long sum[4] = { 0 };

	for (unsigned c = 0; c < m->nr_cpus; c++) {
		sum[0] += m->vm.cpu_tlbstate[c].nr_tlb_remote_flush;
		sum[1] += m->vm.cpu_tlbstate[c].nr_tlb_remote_flush_received;
		sum[2] += m->vm.cpu_tlbstate[c].nr_tlb_local_flush_all;
		sum[3] += m->vm.cpu_tlbstate[c].nr_tlb_local_flush_one;
	}
	assert_int_equal(sum[0], m->pm.vmstat.event[NR_TLB_REMOTE_FLUSH]);
	assert_int_equal(sum[1], m->pm.vmstat.event[NR_TLB_REMOTE_FLUSH_RECEIVED]);
	assert_int_equal(sum[2], m->pm.vmstat.event[NR_TLB_LOCAL_FLUSH_ALL]);
	assert_int_equal(sum[3], m->pm.vmstat.event[NR_TLB_LOCAL_FLUSH_ONE]);
}

/* a on CPU 0, its thread b on CPU 1, both having read @buf's pages. */
static void two_threads(struct vmsim_machine *m, struct task_struct **a, struct task_struct **b,
			uint64_t *buf, uint64_t len)
{
	*a = vt_spawn(m, "a", 0, 0);
	*buf = vt_mmap(*a, 0, len, PRW, MAP_PRIVATE);
	for (uint64_t o = 0; o < len; o += 4096)
		assert_int_equal(vt_write(*a, *buf + o, o), 0);	/* CPU 0 */
	assert_int_equal(do_fork(*a, "b", CLONE_VM, b), 0);
	context_switch(m, 1, *b);
	for (uint64_t o = 0; o < len; o += 4096)
		assert_true(cpu_reads(m, 1, *buf + o));
	assert_int_equal((*a)->mm->cpu_bitmap, 3);
}

/* two_threads(), then a task c of its own mm run on CPU 1. */
static struct task_struct *other_mm_on_cpu1(struct vmsim_machine *m, struct task_struct **a,
					    struct task_struct **b, uint64_t *buf)
{
	struct task_struct *c;

	two_threads(m, a, b, buf, 8192);
	c = vt_spawn(m, "c", 0, 0);
	context_switch(m, 1, c);
	return c;
}

static void test_tlbflush_munmap_shoots_down_the_other_cpu(void **state)
{
	struct vmsim_machine *m = boot2(false);
	struct tlb_state *t0 = &m->vm.cpu_tlbstate[0], *t1 = &m->vm.cpu_tlbstate[1];
	struct task_struct *a, *b;
	uint64_t buf, gen;

	(void)state;
	two_threads(m, &a, &b, &buf, 8192);
	gen = a->mm->tlb_gen;
	assert_true(cached(m, 1, buf));
	assert_int_equal(do_munmap(a->mm, buf, 4096), 0);
	assert_int_equal(a->mm->tlb_gen, gen + 1);
	assert_int_equal(t0->nr_tlb_remote_flush, 1);
	assert_int_equal(t0->nr_tlb_local_flush_one, 1);
	assert_int_equal(t0->nr_tlb_remote_flush_received, 0);
	assert_int_equal(t1->nr_tlb_remote_flush_received, 1);
	assert_int_equal(t1->irq_tlb_count, 1);
	assert_int_equal(t0->irq_tlb_count, 0);
	assert_int_equal(t1->nr_tlb_local_flush_one, 0);	/* remote flushes are not local */
	/* the stale entry on CPU 1 is gone: its translation faults now */
	assert_false(cached(m, 1, buf));
	assert_false(cpu_reads(m, 1, buf));
	/* the other page kept its entry on both */
	assert_true(cached(m, 1, buf + 4096));
	check_counts(m);
	vt_teardown(m);
}

static void test_tlbflush_other_mm_gets_none(void **state)
{
	struct vmsim_machine *m = boot2(false);
	struct task_struct *a, *b, *c;
	uint64_t buf;

	(void)state;
	c = other_mm_on_cpu1(m, &a, &b, &buf);
	assert_int_equal(a->mm->cpu_bitmap, 1);
	assert_int_equal(c->mm->cpu_bitmap, 2);
	assert_int_equal(do_munmap(a->mm, buf, 4096), 0);
	assert_int_equal(m->vm.cpu_tlbstate[0].nr_tlb_remote_flush, 0);
	assert_int_equal(m->vm.cpu_tlbstate[1].nr_tlb_remote_flush_received, 0);
	assert_int_equal(m->vm.cpu_tlbstate[0].nr_tlb_local_flush_one, 1);
	/* and when b comes back, its old entries went with the CR3 load */
	context_switch(m, 1, b);
	assert_false(cpu_reads(m, 1, buf));
	check_counts(m);
	vt_teardown(m);
}

/* A lazy CPU is skipped; it flushes when it switches back, because its
 * ASID's tlb_gen is behind; with nothing changed it keeps its entries. */
static void lazy_cpu(bool pcid)
{
	struct vmsim_machine *m = boot2(pcid);
	struct tlb_state *t1 = &m->vm.cpu_tlbstate[1];
	struct task_struct *a, *b;
	uint64_t buf;

	two_threads(m, &a, &b, &buf, 8192);
	cpu_idle(m, 1);
	assert_true(t1->is_lazy);
	assert_int_equal(a->mm->cpu_bitmap, 3);	/* still in the mask */
	/* back with nothing changed: no flush, the entries are still there */
	context_switch(m, 1, b);
	assert_true(cached(m, 1, buf));
	cpu_idle(m, 1);
	assert_int_equal(do_munmap(a->mm, buf, 4096), 0);
	/* the shootdown was sent, but the lazy CPU took no IPI */
	assert_int_equal(m->vm.cpu_tlbstate[0].nr_tlb_remote_flush, 1);
	assert_int_equal(t1->nr_tlb_remote_flush_received, 0);
	assert_int_equal(t1->irq_tlb_count, 0);
	assert_true(cached(m, 1, buf));		/* stale, unused while idle */
	assert_true(t1->ctxs[t1->loaded_mm_asid].tlb_gen < a->mm->tlb_gen);
	/* the deferred flush at switch-back */
	context_switch(m, 1, b);
	assert_false(cached(m, 1, buf));
	assert_false(cpu_reads(m, 1, buf));
	assert_int_equal(t1->ctxs[t1->loaded_mm_asid].tlb_gen, a->mm->tlb_gen);
	check_counts(m);
	vt_teardown(m);
}

static void test_tlbflush_lazy_cpu_flushes_at_switch_back(void **state)
{
	(void)state;
	lazy_cpu(false);
}

static void test_tlbflush_lazy_cpu_flushes_at_switch_back_pcid(void **state)
{
	(void)state;
	lazy_cpu(true);
}

/* With PCIDs a CPU that ran another mm keeps the old ASID's entries; an
 * unmap meanwhile makes that ASID's tlb_gen stale, so coming back flushes. */
static void test_tlbflush_pcid_asid_reuse_is_checked(void **state)
{
	struct vmsim_machine *m = boot2(true);
	struct tlb_state *t1 = &m->vm.cpu_tlbstate[1];
	struct task_struct *a, *b, *c;
	uint64_t buf;

	(void)state;
	c = other_mm_on_cpu1(m, &a, &b, &buf);
	context_switch(m, 1, b);
	assert_true(cached(m, 1, buf));	/* same ASID, nothing changed: kept */
	context_switch(m, 1, c);
	assert_int_equal(do_munmap(a->mm, buf, 4096), 0);
	assert_int_equal(t1->nr_tlb_remote_flush_received, 0);
	context_switch(m, 1, b);
	assert_false(cpu_reads(m, 1, buf));
	vt_teardown(m);
}

/* Unmapping a lone page frees its page table: lazy CPUs get the IPI too
 * and leave for init_mm. */
static void test_tlbflush_freed_tables_reach_lazy_cpus(void **state)
{
	struct vmsim_machine *m = boot2(false);
	struct task_struct *a, *b;
	uint64_t lone;

	(void)state;
	a = vt_spawn(m, "a", 0, 0);
	lone = vt_mmap(a, 0x40000000, 4096, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(a, lone, 1), 0);
	assert_int_equal(do_fork(a, "b", CLONE_VM, &b), 0);
	context_switch(m, 1, b);
	assert_true(cpu_reads(m, 1, lone));
	cpu_idle(m, 1);
	assert_int_equal(do_munmap(a->mm, lone, 4096), 0);
	assert_int_equal(m->vm.cpu_tlbstate[1].nr_tlb_remote_flush_received, 1);
	assert_null(m->vm.cpu_tlbstate[1].loaded_mm);
	assert_int_equal(m->cpus[1].cr3, m->vm.kernel_pgd);
	assert_int_equal(a->mm->cpu_bitmap, 1);
	check_counts(m);
	vt_teardown(m);
}

/* tlb_single_page_flush_ceiling: 33 pages one by one, 34 in one flush. */
static void test_tlbflush_ceiling(void **state)
{
	struct vmsim_machine *m = boot2(false);
	struct tlb_state *t0 = &m->vm.cpu_tlbstate[0];
	struct task_struct *a, *b;
	uint64_t buf;

	(void)state;
	two_threads(m, &a, &b, &buf, 80 * 4096);
	assert_int_equal(do_munmap(a->mm, buf, 33 * 4096), 0);
	assert_int_equal(t0->nr_tlb_local_flush_one, 33);
	assert_int_equal(t0->nr_tlb_local_flush_all, 0);
	assert_true(cached(m, 1, buf + 40 * 4096));
	assert_int_equal(do_munmap(a->mm, buf + 33 * 4096, 34 * 4096), 0);
	assert_int_equal(t0->nr_tlb_local_flush_one, 33);
	assert_int_equal(t0->nr_tlb_local_flush_all, 1);
	/* CPU 1 flushed everything of the mm: even the page still mapped */
	assert_false(cached(m, 1, buf + 70 * 4096));
	assert_int_equal(m->vm.cpu_tlbstate[1].nr_tlb_remote_flush_received, 2);
	check_counts(m);
	vt_teardown(m);
}

/* mprotect, COW, mremap and reclaim's unmap each reach CPU 1. */
static void test_tlbflush_mprotect_cow_mremap_reclaim(void **state)
{
	struct vmsim_machine *m = boot2(false);
	struct tlb_state *t1 = &m->vm.cpu_tlbstate[1];
	struct task_struct *a, *b, *child;
	unsigned long n;
	uint64_t buf, shm, moved;

	(void)state;
	two_threads(m, &a, &b, &buf, 4 * 4096);
	n = t1->nr_tlb_remote_flush_received;
	assert_int_equal(do_mprotect(a->mm, buf, 4096, PROT_READ), 0);
	assert_int_equal(t1->nr_tlb_remote_flush_received, ++n);
	assert_false(cached(m, 1, buf));
	/* fork write-protects a's pages (one flush), a's write then copies */
	assert_int_equal(do_fork(a, "child", 0, &child), 0);
	assert_int_equal(t1->nr_tlb_remote_flush_received, ++n);
	assert_true(cpu_reads(m, 1, buf + 4096));
	assert_int_equal(vt_write(a, buf + 4096, 7), 0);	/* wp_page_copy */
	assert_int_equal(t1->nr_tlb_remote_flush_received, ++n);
	assert_false(cached(m, 1, buf + 4096));
	moved = (uint64_t)do_mremap(a->mm, buf + 2 * 4096, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
				     0x50000000);
	assert_int_equal(moved, 0x50000000);
	assert_true(t1->nr_tlb_remote_flush_received > n);
	n = t1->nr_tlb_remote_flush_received;
	/* reclaim: unmapping a shared page through rmap */
	shm = vt_mmap(a, 0, 4096, PRW, MAP_SHARED);
	assert_int_equal(vt_write(a, shm, 9), 0);
	assert_true(cpu_reads(m, 1, shm));
	try_to_unmap(&m->vm, vt_frame_of(a, shm));
	assert_int_equal(t1->nr_tlb_remote_flush_received, n + 1);
	assert_false(cached(m, 1, shm));
	check_counts(m);
	vt_teardown(m);
}

/* ---- randomized: no CPU running an mm ever holds a stale entry ---- */

/* Every CPU that runs an mm (not lazy) caches only what the mm's tables
 * say now: the same page, and W only where a write would pass the walk.
 * (A lazy CPU uses nothing until it switches back.) */
static void check_coherent(struct vmsim_machine *m, uint64_t base, unsigned pages,
			   unsigned step)
{
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		const struct tlb_state *ts = &m->vm.cpu_tlbstate[c];
		struct vmsim_cpu *cpu = &m->cpus[c];

		if (!ts->loaded_mm || ts->is_lazy)
			continue;
		for (unsigned i = 0; i < pages; i++) {
			const uint64_t va = base + i * 4096ULL;
			struct tlb_entry *arrs[2] = { tlb_array_lookup(&cpu->l1[TLB_D], va, cpu->pcid),
						      tlb_array_lookup(&cpu->l2, va, cpu->pcid) };

			for (unsigned k = 0; k < 2; k++) {
				struct walk_result r;
				struct vmsim_fault f;

				if (!arrs[k])
					continue;
				if (!mmu_walk_peek(cpu, ts->loaded_mm->pgd, va, MMU_READ, MMU_USER, &r,
						   &f, NULL) || r.page_pa != arrs[k]->pa)
					fail_msg("step %u: cpu %u caches %#llx -> %#llx, the tables say "
						 "otherwise", step, c, (unsigned long long)va,
						 (unsigned long long)arrs[k]->pa);
				if ((arrs[k]->rights & TLB_R_W) &&
				    !mmu_walk_peek(cpu, ts->loaded_mm->pgd, va, MMU_WRITE, MMU_USER, &r,
						   &f, NULL))
					fail_msg("step %u: cpu %u caches %#llx writable, the page is not",
						 step, c, (unsigned long long)va);
			}
		}
	}
}

static void random_run(bool pcid)
{
	const char *sets[] = { "memory.size=256MiB", "cpu.count=3",
			       pcid ? "cpu.pcid=true" : NULL, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	const uint64_t base = 0x10000000;
	const unsigned pages = 48;
	struct task_struct *t[4];
	uint64_t seed = pcid ? 7 : 3;
	unsigned long sent = 0;

	if (!m)
		fail_msg("boot: %s", err.msg);
	t[0] = vt_spawn(m, "a0", 0, 0);
	vt_mmap(t[0], base, pages * 4096ULL, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_fork(t[0], "a1", CLONE_VM, &t[1]), 0);
	assert_int_equal(do_fork(t[0], "a2", CLONE_VM, &t[2]), 0);
	t[3] = vt_spawn(m, "c", 0, 0);
	vt_mmap(t[3], base, pages * 4096ULL, PRW, MAP_PRIVATE | MAP_FIXED);
	for (unsigned step = 0; step < 3000; step++) {
		unsigned c, op, n, i;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		c = (unsigned)(seed >> 60) % 3;
		op = (unsigned)(seed >> 50) % 10;
		i = (unsigned)(seed >> 20) % pages;
		n = 1 + (unsigned)(seed >> 40) % (op == 9 ? 40 : 3);
		if (i + n > pages)
			n = pages - i;
		switch (op) {
		case 0:		/* a switch: a thread, the other process, or idle */
			if ((seed >> 8) % 4 == 3)
				cpu_idle(m, c);
			else
				context_switch(m, c, t[(seed >> 8) % 4 == 2 ? 3 : (seed >> 8) % 3]);
			break;
		case 1:
		case 2:
		case 3:		/* CPU c reads and writes what its task maps */
			if (m->current[c])
				for (unsigned k = 0; k < n; k++) {
					struct vmsim_fault f;
					uint64_t pa;

					translate(&m->cpus[c], base + (i + k) * 4096ULL,
						  op == 3 ? MMU_WRITE : MMU_READ, MMU_USER, &pa, &f);
				}
			break;
		case 4:		/* a0 touches pages (faulting them in, COW) on CPU 0 */
			for (unsigned k = 0; k < n; k++) {
				uint64_t v = step;
				struct access_result r;

				assert_int_equal(task_access(t[0], base + (i + k) * 4096ULL, MMU_WRITE,
							     &v, 8, &r), 0);
			}
			break;
		case 5:
			assert_int_equal(do_munmap(t[0]->mm, base + i * 4096ULL, n * 4096ULL), 0);
			break;
		case 6:
			vt_mmap(t[0], base + i * 4096ULL, n * 4096ULL, PRW, MAP_PRIVATE | MAP_FIXED);
			break;
		case 7:
			do_mprotect(t[0]->mm, base + i * 4096ULL, n * 4096ULL,
				    (seed >> 4) & 1 ? PROT_READ : PRW);
			break;
		case 8:
			do_madvise(t[0]->mm, base + i * 4096ULL, n * 4096ULL, MADV_DONTNEED, NULL);
			break;
		default:	/* a big unmap: past the ceiling */
			assert_int_equal(do_munmap(t[0]->mm, base + i * 4096ULL, n * 4096ULL), 0);
			break;
		}
		check_coherent(m, base, pages, step);
	}
	for (unsigned c = 0; c < m->nr_cpus; c++)
		sent += m->vm.cpu_tlbstate[c].nr_tlb_remote_flush;
	assert_true(sent > 100);	/* the run did shoot down */
	check_counts(m);
	vt_teardown(m);
}

static void test_tlbflush_random_no_stale_entries(void **state)
{
	(void)state;
	random_run(false);
}

static void test_tlbflush_random_no_stale_entries_pcid(void **state)
{
	(void)state;
	random_run(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlbflush_munmap_shoots_down_the_other_cpu),
		cmocka_unit_test(test_tlbflush_other_mm_gets_none),
		cmocka_unit_test(test_tlbflush_lazy_cpu_flushes_at_switch_back),
		cmocka_unit_test(test_tlbflush_lazy_cpu_flushes_at_switch_back_pcid),
		cmocka_unit_test(test_tlbflush_pcid_asid_reuse_is_checked),
		cmocka_unit_test(test_tlbflush_freed_tables_reach_lazy_cpus),
		cmocka_unit_test(test_tlbflush_ceiling),
		cmocka_unit_test(test_tlbflush_mprotect_cow_mremap_reclaim),
		cmocka_unit_test(test_tlbflush_random_no_stale_entries),
		cmocka_unit_test(test_tlbflush_random_no_stale_entries_pcid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
