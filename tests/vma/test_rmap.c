/*
 * The reverse map of anonymous memory (vma/rmap.c): the anon_vma chains
 * fork builds, what the rmap of a page finds, how the chains decide VMA
 * merges, and that everything is given back.
 *
 * The merge expectations are the kernel's own (tools/testing/selftests/mm
 * merge.c: mprotect_unfaulted_*, forked_target_vma, forked_source_vma),
 * each confirmed on a 6.18 host; the chain shapes follow mm/rmap.c
 * (anon_vma_fork, the reuse rule of anon_vma_clone).  The whole-machine
 * checker, which verifies the chains, the anon_vma counters and every
 * anonymous page's anon_vma and index, runs after every step.
 */
#include "vma_test.h"
#include "vma/rmap.h"

#define P 4096ULL
#define PRW (PROT_READ | PROT_WRITE)
#define PRWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/* [start, end) of the VMA holding @va, in pages from @base */
static void span(struct task_struct *t, uint64_t va, uint64_t base, long *s, long *e)
{
	struct vm_area_struct *vma = vma_lookup(t->mm, va);

	assert_non_null(vma);
	*s = (long)((int64_t)(vma->vm_start - base) / (int64_t)P);
	*e = (long)((int64_t)(vma->vm_end - base) / (int64_t)P);
}

#define assert_span(t, va, base, ws, we) do {					\
	long _s, _e;								\
	span(t, va, base, &_s, &_e);						\
	if (_s != (ws) || _e != (we))						\
		fail_msg("VMA at page %ld: [%ld, %ld), want [%ld, %ld)",	\
			 (long)(((va) - (base)) / P), _s, _e, (long)(ws), (long)(we)); \
} while (0)

static unsigned chain_len(const struct vm_area_struct *vma)
{
	const struct anon_vma_chain *avc;
	unsigned n = 0;

	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		n++;
	return n;
}

static struct task_struct *fork_ok(struct task_struct *t, const char *name)
{
	struct task_struct *c = NULL;

	assert_int_equal(do_fork(t, name, 0, &c), 0);
	vt_check(vm_machine(t->mm->vm));
	return c;
}

/* A PROT_NONE carve-out to map over with MAP_FIXED, as merge.c does. */
static uint64_t carveout(struct task_struct *t, unsigned pages)
{
	return vt_mmap(t, 0, pages * P, PROT_NONE, MAP_PRIVATE);
}

static void test_rmap_fork_builds_chains(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0), *c;
	uint64_t a = vt_mmap(t, 0, 4 * P, PRW, MAP_PRIVATE);
	struct vm_area_struct *pv, *cv;
	struct anon_vma *av;

	(void)state;
	assert_int_equal(vt_write(t, a, 1), 0);
	pv = vma_lookup(t->mm, a);
	av = pv->anon_vma;
	assert_non_null(av);
	/* a new root: its own parent and root, its own child (the
	 * self-parent link), one VMA, one chain entry */
	assert_ptr_equal(av->root, av);
	assert_ptr_equal(av->parent, av);
	assert_int_equal(av->num_children, 1);
	assert_int_equal(av->num_active_vmas, 1);
	assert_int_equal(av->refcount, 1);
	assert_int_equal(chain_len(pv), 1);
	/* the page says so: anon_vma | PAGE_MAPPING_ANON, linear index */
	assert_ptr_equal(page_anon_vma(vt_frame_of(t, a)), av);
	assert_int_equal(vt_frame_of(t, a)->index, a >> PAGE_SHIFT);

	c = fork_ok(t, "c");
	cv = vma_lookup(c->mm, a);
	/* the child's VMA: the parent's anon_vma, then one of its own (a
	 * child of it, in its family), newest first */
	assert_int_equal(chain_len(cv), 2);
	assert_ptr_not_equal(cv->anon_vma, av);
	assert_ptr_equal(cv->anon_vma->parent, av);
	assert_ptr_equal(cv->anon_vma->root, av);
	assert_ptr_equal(list_first_entry(&cv->anon_vma_chain, struct anon_vma_chain,
					  same_vma)->anon_vma, cv->anon_vma);
	assert_int_equal(av->num_children, 2);
	assert_int_equal(av->refcount, 2);	/* its own + the child's root reference */
	/* the parent's chain does not change */
	assert_int_equal(chain_len(pv), 1);

	/* the child's copy goes to the child's anon_vma; the parent's page
	 * stays with the parent's, which the child's VMA still links */
	assert_int_equal(vt_write(c, a, 2), 0);
	assert_ptr_equal(page_anon_vma(vt_frame_of(c, a)), cv->anon_vma);
	assert_ptr_equal(page_anon_vma(vt_frame_of(t, a)), av);
	/* a page the child never wrote is still the parent's, in both */
	assert_int_equal(vt_write(t, a + P, 3), 0);	/* after the fork: parent only */
	assert_int_equal(vt_read_ok(c, a + P), 0);

	do_exit(c);
	vt_check(m);
	/* the child's anon_vma went with it and gave its root reference back */
	assert_int_equal(av->num_children, 1);
	assert_int_equal(av->refcount, 1);
	do_exit(t);
	vt_check(m);
	vmsim_machine_destroy(m);
}

static void test_rmap_walk_finds_every_mapping(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0), *c;
	uint64_t a = vt_mmap(t, 0, 8 * P, PRW, MAP_PRIVATE);
	struct vt_rmap_hits h;
	struct page *page;

	(void)state;
	assert_int_equal(vt_write(t, a + 3 * P, 1), 0);
	/* a split puts the page in the upper VMA at the same index */
	assert_int_equal(do_mprotect(t->mm, a, 2 * P, PROT_READ), 0);
	vt_check(m);
	c = fork_ok(t, "c");
	page = vt_frame_of(t, a + 3 * P);
	assert_ptr_equal(vt_frame_of(c, a + 3 * P), page);
	assert_int_equal(page_mapcount(page), 2);
	/* the walk of the shared page finds the parent's VMA and the child's,
	 * at the page's address in each; not the lower split-off VMAs */
	h = vt_rmap_of(page);
	assert_int_equal(h.n, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(h.addr[i], a + 3 * P);
		assert_int_equal(h.vma[i]->vm_start, a + 2 * P);
	}
	assert_true(h.vma[0]->vm_mm != h.vma[1]->vm_mm);
	/* after the child's COW, the child's copy is found in the child only */
	assert_int_equal(vt_write(c, a + 3 * P, 2), 0);
	h = vt_rmap_of(vt_frame_of(c, a + 3 * P));
	assert_int_equal(h.n, 1);
	assert_ptr_equal(h.vma[0]->vm_mm, c->mm);
	/* and the parent's page, now mapped once, moves to the parent's
	 * anon_vma when the parent writes it (folio_move_anon_rmap) */
	assert_int_equal(page_mapcount(page), 1);
	assert_int_equal(vt_write(t, a + 3 * P, 3), 0);
	assert_ptr_equal(vt_frame_of(t, a + 3 * P), page);
	assert_ptr_equal(page_anon_vma(page), vma_lookup(t->mm, a + 3 * P)->anon_vma);
	vt_teardown(m);
}

/* merge.c mprotect_unfaulted_*: a faulted VMA merges with unfaulted
 * neighbours that now match (6.16 on; 6.12 refused, see linux-rules).
 * Each case maps its pages read-write, makes ranges read-only ('p') and
 * faults a page in ('w') in its order, and must end as one VMA. */
static void test_rmap_mprotect_merges_unfaulted_neighbours(void **state)
{
	static const struct {
		const char *name;
		unsigned pages;
		struct { char op; unsigned first, n; } step[4];
	} cases[] = {
		{ "unfaulted_left", 10, { { 'p', 0, 5 }, { 'w', 5, 1 }, { 'p', 5, 5 } } },
		{ "unfaulted_right", 10, { { 'p', 5, 5 }, { 'w', 0, 1 }, { 'p', 0, 5 } } },
		{ "unfaulted_both", 9, { { 'p', 0, 3 }, { 'p', 6, 3 }, { 'w', 3, 1 }, { 'p', 3, 3 } } },
		{ "faulted_left_unfaulted_right", 9,
		  { { 'p', 6, 3 }, { 'w', 0, 1 }, { 'p', 0, 3 }, { 'p', 3, 3 } } },
		{ "unfaulted_left_faulted_right", 9,
		  { { 'p', 0, 3 }, { 'w', 3, 1 }, { 'p', 6, 3 }, { 'p', 3, 3 } } },
	};
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0);
	uint64_t co = carveout(t, 120);

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t p = vt_mmap(t, co + (1 + 20 * i) * P, cases[i].pages * P, PRW,
				     MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE);

		for (unsigned k = 0; k < 4 && cases[i].step[k].op; k++) {
			uint64_t at = p + cases[i].step[k].first * P;

			if (cases[i].step[k].op == 'w')
				assert_int_equal(vt_write(t, at, 'x'), 0);
			else
				assert_int_equal(do_mprotect(t->mm, at, cases[i].step[k].n * P,
							     PROT_READ), 0);
			vt_check(m);
		}
		print_message("%s\n", cases[i].name);
		assert_span(t, p, p, 0, (long)cases[i].pages);
	}
	vt_teardown(m);
}

/* merge.c forked_target_vma and forked_source_vma, in the child and in
 * the parent; checked on the host. */
static void test_rmap_forked_vmas_do_not_merge(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0), *c;
	uint64_t co = carveout(t, 60), q, r;

	(void)state;
	q = vt_mmap(t, co + 40 * P, 5 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, q, 'x'), 0);
	c = fork_ok(t, "c");
	/* forked_target_vma: unCOWing everything does not cause the AVC to
	 * go away, and the adjacent new VMA stays apart */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(vt_write(c, q + i * P, 'x'), 0);
	vt_mmap(c, q + 5 * P, 5 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_span(c, q, q, 0, 5);
	/* forked_source_vma: the forked VMA made RWX next to an RWX one */
	assert_int_equal(do_munmap(c->mm, q + 5 * P, 5 * P), 0);
	vt_mmap(c, q + 5 * P, 5 * P, PRWX, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(do_mprotect(c->mm, q, 5 * P, PRWX), 0);
	vt_check(m);
	assert_span(c, q + 5 * P, q, 5, 10);
	/* a split of the forked VMA merges back: both halves have the same
	 * anon_vma */
	assert_int_equal(do_mprotect(c->mm, q, 2 * P, PROT_READ), 0);
	assert_int_equal(do_mprotect(c->mm, q, 2 * P, PRWX), 0);
	vt_check(m);
	assert_span(c, q, q, 0, 5);
	/* memory the child maps and faults itself merges as usual */
	r = vt_mmap(c, co + 50 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(c, r, 1), 0);
	vt_mmap(c, r + 3 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_span(c, r, r, 0, 6);
	/* the parent's VMA keeps a chain of one: it still merges */
	assert_int_equal(chain_len(vma_lookup(t->mm, q)), 1);
	vt_mmap(t, q + 5 * P, 5 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_span(t, q, q, 0, 10);
	vt_teardown(m);
}

/* tools/testing/vma's test_anon_vma_non_mergeable: a range filling the hole
 * between two VMAs with different anon_vmas merges with the one before
 * only; with one of them unfaulted, all three become one and the merged
 * VMA takes the anon_vma (and chain) of the faulted one (dup_anon_vma). */
static void test_rmap_hole_between_different_anon_vmas(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0);
	uint64_t co = carveout(t, 40), a, b;
	struct anon_vma *av;

	(void)state;
	a = vt_mmap(t, co + P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	b = vt_mmap(t, co + 7 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_ptr_not_equal(vma_lookup(t->mm, a)->anon_vma, vma_lookup(t->mm, b)->anon_vma);
	vt_mmap(t, co + 4 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_span(t, a, co, 1, 7);
	assert_span(t, b, co, 7, 10);
	/* the same through mprotect: the middle made RW again joins prev */
	assert_int_equal(do_mprotect(t->mm, co + 4 * P, 3 * P, PROT_READ), 0);
	assert_span(t, co + 4 * P, co, 4, 7);
	assert_int_equal(do_mprotect(t->mm, co + 4 * P, 3 * P, PRW), 0);
	vt_check(m);
	assert_span(t, a, co, 1, 7);
	assert_span(t, b, co, 7, 10);

	/* only the one after is faulted: one VMA, with its anon_vma */
	a = vt_mmap(t, co + 20 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	b = vt_mmap(t, co + 26 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	assert_int_equal(vt_write(t, b + 2 * P, 1), 0);
	av = vma_lookup(t->mm, b)->anon_vma;
	vt_mmap(t, co + 23 * P, 3 * P, PRW, MAP_PRIVATE | MAP_FIXED);
	vt_check(m);
	assert_span(t, a, co, 20, 29);
	assert_ptr_equal(vma_lookup(t->mm, a)->anon_vma, av);
	assert_int_equal(chain_len(vma_lookup(t->mm, a)), 1);
	assert_int_equal(av->num_active_vmas, 1);
	vt_teardown(m);
}

/* anon_vma_clone() reuses an anon_vma that no VMA uses and that has one
 * child: a chain of forks whose middle process exited does not grow the
 * family by one anon_vma per generation. */
static void test_rmap_fork_reuses_orphaned_anon_vma(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c1, *c2, *c3;
	uint64_t a = vt_mmap(p, 0, 2 * P, PRW, MAP_PRIVATE);
	struct anon_vma *root, *av_c1, *av_c2;

	(void)state;
	assert_int_equal(vt_write(p, a, 1), 0);
	root = vma_lookup(p->mm, a)->anon_vma;
	c1 = fork_ok(p, "c1");
	av_c1 = vma_lookup(c1->mm, a)->anon_vma;
	c2 = fork_ok(c1, "c2");
	av_c2 = vma_lookup(c2->mm, a)->anon_vma;
	assert_ptr_equal(av_c2->parent, av_c1);
	assert_int_equal(chain_len(vma_lookup(c2->mm, a)), 3);
	/* c1 and p go: their anon_vmas stay (c2's VMA links them) but have
	 * no VMA */
	do_exit(c1);
	do_exit(p);
	vt_check(m);
	assert_int_equal(av_c1->num_active_vmas, 0);
	assert_int_equal(av_c1->num_children, 1);
	assert_int_equal(root->num_active_vmas, 0);
	/* the root is never reused: it is its own child, so with av_c1 it
	 * has two */
	assert_int_equal(root->num_children, 2);
	/* c2's fork: the chain offers the root first (skipped), then av_c1
	 * (no VMA, one child): reused */
	c3 = fork_ok(c2, "c3");
	assert_ptr_equal(vma_lookup(c3->mm, a)->anon_vma, av_c1);
	assert_int_equal(av_c1->num_active_vmas, 1);
	assert_int_equal(chain_len(vma_lookup(c3->mm, a)), 3);
	vt_teardown(m);
}

/* The checker fails on a page whose rmap is wrong (so that its passing
 * means something). */
static void test_rmap_checker_catches_wrong_index_and_anon_vma(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0);
	uint64_t a = vt_mmap(t, 0, 2 * P, PRW, MAP_PRIVATE);
	uint64_t b = vt_mmap(t, 0, 2 * P, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE);
	uint64_t d = vt_mmap(t, 0, 2 * P, PRW, MAP_PRIVATE | MAP_NORESERVE);
	struct vmsim_error err = { 0 };
	struct page *page;
	void *mapping;

	(void)state;
	assert_int_equal(vt_write(t, a, 1), 0);
	assert_int_equal(vt_write(t, b, 1), 0);
	assert_int_equal(vt_write(t, d, 1), 0);
	/* find_mergeable_anon_vma(): b, below a and alike but for its access
	 * bits, shares a's anon_vma (so that an mprotect can merge them);
	 * d, without VM_ACCOUNT, does not */
	assert_ptr_equal(vma_lookup(t->mm, b)->anon_vma, vma_lookup(t->mm, a)->anon_vma);
	assert_ptr_not_equal(vma_lookup(t->mm, d)->anon_vma, vma_lookup(t->mm, a)->anon_vma);
	page = vt_frame_of(t, a);
	page->index++;
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "index"));
	page->index--;
	vt_check(m);
	/* another VMA's anon_vma, not on this VMA's chain */
	mapping = page->mapping;
	page->mapping = vt_frame_of(t, d)->mapping;
	memset(&err, 0, sizeof(err));
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "chain"));
	page->mapping = mapping;
	/* a counter off by one */
	vma_lookup(t->mm, a)->anon_vma->num_active_vmas++;
	memset(&err, 0, sizeof(err));
	assert_int_equal(machine_check(m, &err), -EFAULT);
	assert_non_null(strstr(err.msg, "num_active_vmas"));
	vma_lookup(t->mm, a)->anon_vma->num_active_vmas--;
	vt_check(m);
	vt_teardown(m);
}

/* A growing stack prepares its anon_vma and moves in the anon_vma's tree
 * with its vm_pgoff (expand_downwards). */
static void test_rmap_stack_growth_keeps_tree_order(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 64 * KiB), *c;
	struct vm_area_struct *stack = mm_last_vma(t->mm);
	uint64_t top = stack->vm_start;

	(void)state;
	assert_int_equal(vt_write(t, top, 1), 0);
	c = fork_ok(t, "c");	/* the parent's anon_vma tree holds both stacks */
	for (uint64_t a = top - P; a >= top - 16 * P; a -= P)
		assert_int_equal(vt_write(t, a, a), 0);
	assert_int_equal(vt_write(c, top - 40 * P, 1), 0);
	vt_check(m);
	assert_int_equal(vma_lookup(t->mm, top)->vm_pgoff, (top - 16 * P) >> PAGE_SHIFT);
	vt_teardown(m);
}

/* Every anon_vma and chain is given back (the slab caches empty again). */
static void test_rmap_exit_frees_every_object(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "p", 0, 0), *c[3];
	struct vt_free before;
	uint64_t a;

	(void)state;
	do_exit(t);
	vt_free_snapshot(m, &before);
	t = vt_spawn(m, "p", 0, 0);
	a = vt_mmap(t, 0, 32 * P, PRW, MAP_PRIVATE);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(vt_write(t, a + i * P, i), 0);
	c[0] = fork_ok(t, "c0");
	assert_int_equal(do_mprotect(c[0]->mm, a + 4 * P, 4 * P, PROT_READ), 0);
	c[1] = fork_ok(c[0], "c1");
	assert_int_equal(do_munmap(c[1]->mm, a + 10 * P, P), 0);
	assert_int_equal(vt_write(c[1], a + 20 * P, 1), 0);
	c[2] = fork_ok(t, "c2");
	do_exit(t);
	vt_check(m);
	for (unsigned i = 0; i < 3; i++) {
		do_exit(c[i]);
		vt_check(m);
	}
	vt_destroy_all_freed(m, &before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rmap_fork_builds_chains),
		cmocka_unit_test(test_rmap_walk_finds_every_mapping),
		cmocka_unit_test(test_rmap_mprotect_merges_unfaulted_neighbours),
		cmocka_unit_test(test_rmap_forked_vmas_do_not_merge),
		cmocka_unit_test(test_rmap_hole_between_different_anon_vmas),
		cmocka_unit_test(test_rmap_fork_reuses_orphaned_anon_vma),
		cmocka_unit_test(test_rmap_checker_catches_wrong_index_and_anon_vma),
		cmocka_unit_test(test_rmap_stack_growth_keeps_tree_order),
		cmocka_unit_test(test_rmap_exit_frees_every_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
