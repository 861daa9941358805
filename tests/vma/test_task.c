/*
 * Tests of the task bookkeeping (kern/task.c): tasks found by name through
 * the hash, parents and children kept as the kernel keeps them
 * (task->children / sibling), exit touching only the exiting task's
 * children, names free again after an exit, a failed hash insert leaving
 * nothing behind, and 10^5 CLONE_VM forks and exits whose lookups cost a
 * constant number of probed slots each.  machine_check() (which verifies
 * that the list, the name hash and the children lists agree) runs after
 * every change in the small cases.
 */
#include "vma_test.h"

#include "util/hostalloc.h"
#include "util/htab.h"

static struct task_struct *fork_ok(struct task_struct *p, const char *name, unsigned long flags)
{
	struct task_struct *c = NULL;

	assert_int_equal(do_fork(p, name, flags, &c), 0);
	vt_check(vm_machine(p->mm->vm));
	return c;
}

static unsigned nr_children(const struct task_struct *t)
{
	const struct task_struct *c;
	unsigned n = 0;

	list_for_each_entry(c, &t->children, sibling) {
		assert_ptr_equal(c->parent, t);
		n++;
	}
	return n;
}

static void test_task_children_and_reparenting(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *a = vt_spawn(m, "a", 0, 0), *b, *c, *d, *e;

	(void)state;
	b = fork_ok(a, "b", 0);
	c = fork_ok(a, "c", CLONE_VM);
	d = fork_ok(b, "d", 0);
	e = fork_ok(b, "e", 0);
	assert_null(a->parent);
	assert_int_equal(nr_children(a), 2);
	assert_int_equal(nr_children(b), 2);
	assert_int_equal(nr_children(d), 0);
	assert_ptr_equal(task_find(m, "d"), d);
	assert_ptr_equal(task_find(m, "c"), c);
	assert_null(task_find(m, "f"));
	assert_int_equal(m->nr_threads, 5);
	/* b exits: d and e lose their parent (init's, in Linux), a keeps c */
	do_exit(b);
	vt_check(m);
	assert_null(task_find(m, "b"));
	assert_null(d->parent);
	assert_null(e->parent);
	assert_int_equal(nr_children(a), 1);
	assert_ptr_equal(list_first_entry(&a->children, struct task_struct, sibling), c);
	/* the name is free again, and the new b is a's child */
	b = fork_ok(a, "b", 0);
	assert_ptr_equal(task_find(m, "b"), b);
	assert_int_equal(nr_children(a), 2);
	assert_int_equal(task_spawn(m, "b", NULL, &e), -EEXIST);
	/* the child exits before its parent: off the parent's list */
	do_exit(c);
	vt_check(m);
	assert_int_equal(nr_children(a), 1);
	do_exit(a);
	vt_check(m);
	assert_null(b->parent);
	assert_int_equal(m->nr_threads, 3);
	vmsim_machine_destroy(m);
}

/* The name hash cannot grow: the fork fails cleanly, the machine is as
 * before (same free pages, same tasks). */
static void test_task_fork_fails_when_the_hash_cannot_grow(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *p = vt_spawn(m, "p", 0, 64 * KiB), *c = NULL;
	char name[16];
	long n;

	(void)state;
	vt_mmap(p, 0, 64 * KiB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	/* p and three children hold 4 of the hash's 8 slots: the fifth task
	 * makes it grow, after every other allocation of the fork; then fail
	 * the n-th host allocation for n = 0, 1, ... until the fork succeeds */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		fork_ok(p, name, 0);
	}
	for (n = 0; n < 1000; n++) {
		struct vt_free before, after;
		unsigned long tasks = m->nr_threads;
		int ret;

		vt_free_snapshot(m, &before);
		host_fail_at(n + 1, HOST_FAIL_PERSISTENT);
		ret = do_fork(p, "late", 0, &c);
		host_fail_at(0, HOST_FAIL_ONCE);
		vt_check(m);
		if (ret == 0)
			break;
		assert_int_equal(ret, -ENOMEM);
		assert_null(task_find(m, "late"));
		assert_int_equal(m->nr_threads, tasks);
		vt_free_snapshot(m, &after);
		assert_int_equal(after.total, before.total);
	}
	assert_ptr_equal(task_find(m, "late"), c);
	vmsim_machine_destroy(m);
}

/*
 * 10^5 CLONE_VM forks of one parent, each name looked up before its fork
 * (as a scenario's fork step does), then the parent exits (one pass over
 * its children) and the children exit.  With the list scans this took
 * minutes; each lookup now probes a few slots of the name hash.
 */
static void test_task_many_forks_cost_constant_probes(void **state)
{
	enum { N = 100000 };
	struct vmsim_machine *m = vt_boot("x86_64", "4GiB");
	struct task_struct *p = vt_spawn(m, "parent", 0, 0), *c;
	struct task_struct **kids = malloc(N * sizeof(*kids));
	char name[16];

	(void)state;
	assert_non_null(kids);
	m->task_names.probes = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		assert_null(task_find(m, name));
		assert_int_equal(do_fork(p, name, CLONE_VM, &kids[i]), 0);
	}
	assert_int_equal(m->nr_threads, N + 1);
	assert_int_equal(nr_children(p), N);
	vt_check(m);
	for (int i = 0; i < N; i += 997) {
		snprintf(name, sizeof(name), "t%d", i);
		assert_ptr_equal(task_find(m, name), kids[i]);
	}
	do_exit(p);
	for (int i = 0; i < N; i++)
		assert_null(kids[i]->parent);
	c = kids[N / 2];
	for (int i = N; i-- > 0;)
		if (kids[i] != c)
			do_exit(kids[i]);
	vt_check(m);
	assert_ptr_equal(task_find(m, task_name(c)), c);
	/* per fork: a miss, the insert and the fork's own miss; per exit:
	 * the removal; a few slots each, and the rehashes on growth */
	if (m->task_names.probes > 20ULL * N)
		fail_msg("%lu probes for %d tasks", m->task_names.probes, N);
	free(kids);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_children_and_reparenting),
		cmocka_unit_test(test_task_fork_fails_when_the_hash_cannot_grow),
		cmocka_unit_test(test_task_many_forks_cost_constant_probes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
