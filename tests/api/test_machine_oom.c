/*
 * Host out-of-memory, SQLite-style: fail the N-th host allocation for
 * N = 1, 2, ... until an operation runs without meeting a failure, once in
 * each mode (only the N-th fails; every one from the N-th on fails).
 *
 * Machine creation: each failing round returns NULL with -ENOMEM and leaves
 * nothing allocated (the ASan build's leak checker proves the latter); the
 * final round boots.
 *
 * The process paths (mmap and demand faults, fork and copy-on-write, file
 * mappings through the page cache, trace replay, the views), each on a
 * fresh machine per round: a round that met a failure must say so (-ENOMEM,
 * or in one-shot mode a success if the code coped), leave every checker
 * passing, and the machine's teardown must bring the arena to zero live
 * bytes.  Each op is swept cold (the first task also creates the slab
 * caches, which stay) and warm (after one untroubled run and its undo):
 * then a round must give back all it took once its tasks have exited, the
 * arena's live bytes and the free frames exactly as before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "util/hostalloc.h"
#include "util/trace.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vmsim/machine.h"

static void oom_sweep(const char *config)
{
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_machine *m = NULL;
	long n;

	for (n = 1; n < 100000 && !m; n++) {
		struct vmsim_error err = { 0 };

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		m = vmsim_machine_create(config, sets, &err);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (!m && err.code != -ENOMEM)
			fail_msg("round %ld: error %d (%s), expected -ENOMEM", n, err.code, err.msg);
	}
	assert_non_null(m);
	assert_true(n > 1);	/* creation does allocate: the sweep tested something */
	{
		struct vmsim_error err = { 0 };
		assert_int_equal(machine_check(m, &err), 0);
	}
	vmsim_machine_destroy(m);
}

static void test_machine_create_survives_oom_x86_64(void **state)
{
	oom_sweep("x86_64");
}

static void test_machine_create_survives_oom_x86_32(void **state)
{
	oom_sweep("x86_32");
}

static void test_machine_create_survives_oom_config_file(void **state)
{
	oom_sweep("configs/x86_32.yaml");
}

/* ------------------------------------------------- the process paths */

#define NREC 4000

/* What an op needs: made by its setup with injection off. */
struct oom_ctx {
	struct task_struct *parent;	/* fork: a task with memory to copy */
	struct file *file;		/* file: a cached file to map */
	struct trace_rec *recs;		/* replay: the first records of a trace */
	size_t nrec;
};

struct oom_op {
	const char *name;
	void (*setup)(struct vmsim_machine *m, struct oom_ctx *c);
	int (*run)(struct vmsim_machine *m, struct oom_ctx *c);
	void (*undo)(struct vmsim_machine *m, struct oom_ctx *c);
	bool no_host_memory;	/* the op allocates none: the sweep must meet none */
};

static int user_write(struct task_struct *t, uint64_t va, uint64_t v)
{
	struct access_result r = { 0 };
	int ret = task_access(t, va, MMU_WRITE, &v, sizeof(v), &r);

	return ret ? ret : r.segv ? -EFAULT : 0;
}

static int user_read(struct task_struct *t, uint64_t va, uint64_t *v)
{
	struct access_result r = { 0 };
	int ret = task_access(t, va, MMU_READ, v, sizeof(*v), &r);

	return ret ? ret : r.segv ? -EFAULT : 0;
}

static void exit_task(struct vmsim_machine *m, const char *name)
{
	struct task_struct *t = task_find(m, name);

	if (t)
		do_exit(t);
}

/* spawn, private and shared anonymous memory written page by page (demand
 * faults, page tables), mprotect and munmap splitting the VMA */
static int mmap_fault_run(struct vmsim_machine *m, struct oom_ctx *c)
{
	struct task_struct *t;
	int64_t priv, shm;
	int ret = task_spawn(m, "t", NULL, &t);

	if (ret)
		return ret;
	priv = vm_mmap(t->mm, NULL, 0, 16 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (priv < 0)
		return (int)priv;
	shm = vm_mmap(t->mm, NULL, 0, 2 * 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, 0);
	if (shm < 0)
		return (int)shm;
	for (unsigned i = 0; i < 16; i++)
		if ((ret = user_write(t, (uint64_t)priv + i * 4096ULL, i + 1)))
			return ret;
	if ((ret = user_write(t, (uint64_t)shm + 4096, 7)))
		return ret;
	if ((ret = do_mprotect(t->mm, (uint64_t)priv + 4 * 4096, 4096, PROT_READ)))
		return ret;
	return do_munmap(t->mm, (uint64_t)priv + 8 * 4096, 2 * 4096);
}

static void mmap_fault_undo(struct vmsim_machine *m, struct oom_ctx *c)
{
	exit_task(m, "t");
}

/* fork with copy-on-write, then a thread sharing the mm.  Everything fork
 * makes (task_struct, mm, VMAs, anon_vma, page tables, kernel stack) comes
 * from simulated memory, so the sweep meets no host allocation: it checks
 * that it stays so, and covers any that appears. */
static void fork_setup(struct vmsim_machine *m, struct oom_ctx *c)
{
	int64_t va;

	assert_int_equal(task_spawn(m, "parent", NULL, &c->parent), 0);
	va = vm_mmap(c->parent->mm, NULL, 0x10000000, 8 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	assert_int_equal(va, 0x10000000);
	assert_true(vm_mmap(c->parent->mm, NULL, 0x20000000, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0) == 0x20000000);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(user_write(c->parent, 0x10000000 + i * 4096ULL, 0xa0 + i), 0);
	assert_int_equal(user_write(c->parent, 0x20000000, 0x55), 0);
}

static int fork_run(struct vmsim_machine *m, struct oom_ctx *c)
{
	struct task_struct *child, *thread;
	uint64_t v = 0;
	int ret = do_fork(c->parent, "child", 0, &child);

	if (ret)
		return ret;
	/* the child's copy, the parent's reuse, the shared page */
	if ((ret = user_write(child, 0x10000000, 0xc0)) ||
	    (ret = user_write(c->parent, 0x10001000, 0xb1)) ||
	    (ret = user_write(child, 0x20000000, 0x77)) ||
	    (ret = user_read(c->parent, 0x20000000, &v)))
		return ret;
	assert_int_equal(v, 0x77);
	if ((ret = do_fork(c->parent, "thread", CLONE_VM, &thread)))
		return ret;
	return user_write(thread, 0x10002000, 0x11);
}

static void fork_undo(struct vmsim_machine *m, struct oom_ctx *c)
{
	exit_task(m, "thread");
	exit_task(m, "child");
}

/* a file mapped private and shared: page-cache reads, fault-around, a
 * private copy, a dirty shared page, i_mmap */
static void file_setup(struct vmsim_machine *m, struct oom_ctx *c)
{
	static uint8_t data[24 * 4096];
	struct vmsim_error err = { 0 };

	for (unsigned i = 0; i < 24; i++)
		memset(data + i * 4096, (int)i + 1, 4096);
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/data", data, sizeof(data),
					sizeof(data), &c->file, &err), 0);
}

static int file_run(struct vmsim_machine *m, struct oom_ctx *c)
{
	struct task_struct *t;
	int64_t priv, shared;
	uint64_t v = 0;
	int ret = task_spawn(m, "t", NULL, &t);

	if (ret)
		return ret;
	priv = vm_mmap(t->mm, c->file, 0, 24 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	if (priv < 0)
		return (int)priv;
	shared = vm_mmap(t->mm, c->file, 0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 16 * 4096);
	if (shared < 0)
		return (int)shared;
	for (unsigned i = 0; i < 24; i += 3) {
		if ((ret = user_read(t, (uint64_t)priv + i * 4096ULL, &v)))
			return ret;
		assert_int_equal(v & 0xff, i + 1);
	}
	if ((ret = user_write(t, (uint64_t)priv + 4096, 1)) ||
	    (ret = user_write(t, (uint64_t)shared + 4096, 2)))
		return ret;
	return do_munmap(t->mm, (uint64_t)priv, 4 * 4096);
}

static void file_undo(struct vmsim_machine *m, struct oom_ctx *c)
{
	exit_task(m, "t");
}

/* the first records of a real trace through the replay engine, creating
 * its regions, then accesses to a mapped file, whose faults read through
 * the page cache (host memory for its tree) */
#define FILE_VA 0x300000000ULL

static void replay_setup(struct vmsim_machine *m, struct oom_ctx *c)
{
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	long got;

	file_setup(m, c);
	c->recs = calloc(NREC + 24, sizeof(*c->recs));
	assert_non_null(c->recs);
	assert_int_equal(trace_open(&r, "tests/traces/true-start.lackey", TRACE_LACKEY, &err), 0);
	while (c->nrec < NREC &&
	       (got = trace_read_batch(&r, c->recs + c->nrec, NREC - c->nrec, &err)) > 0)
		c->nrec += (size_t)got;
	trace_close(&r);
	assert_int_equal(c->nrec, NREC);
	for (unsigned i = 0; i < 24; i++)
		c->recs[c->nrec++] = (struct trace_rec){ FILE_VA + i * 4096ULL + 8, 8,
							 i % 3 ? TRACE_L : TRACE_S };
}

static int replay_run(struct vmsim_machine *m, struct oom_ctx *c)
{
	struct spawn_args sa = { 0 };
	struct task_struct *t;
	struct replay rp;
	int64_t va;
	int ret = task_spawn(m, "replay", &sa, &t);

	if (ret)
		return ret;
	va = vm_mmap(t->mm, c->file, FILE_VA, 24 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_FIXED, 0);
	if (va < 0)
		return (int)va;
	replay_init(&rp, m, t, REPLAY_FLAT);
	for (size_t i = 0; i < c->nrec && !rp.oom; i++)
		replay_one(&rp, &c->recs[i]);
	/* the engine tells the host's failure from the machine's */
	assert_int_equal(rp.host_oom, host_oom_count() != rp.host_oom_base);
	return rp.oom ? -ENOMEM : 0;
}

static void replay_undo(struct vmsim_machine *m, struct oom_ctx *c)
{
	exit_task(m, "replay");
}

/* every view, with tasks to show */
static void views_setup(struct vmsim_machine *m, struct oom_ctx *c)
{
	assert_int_equal(mmap_fault_run(m, c), 0);
}

static int views_run(struct vmsim_machine *m, struct oom_ctx *c)
{
	static const char *const views[] = { "info", "buddyinfo", "zoneinfo", "meminfo",
					     "slabinfo", "vmallocinfo", "layout", "pagetable",
					     "tlb", "stats" };
	int ret = 0;

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]) && !ret; i++)
		for (int json = 0; json < 2 && !ret; json++) {
			FILE *f = fopen("/dev/null", "w");

			assert_non_null(f);
			ret = vmsim_show(m, views[i], json, f);
			fclose(f);
		}
	return ret;
}

static void views_undo(struct vmsim_machine *m, struct oom_ctx *c)
{
	/* a view changes nothing */
}

static struct vmsim_machine *boot(void)
{
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

static void check(struct vmsim_machine *m, const char *op, long n)
{
	struct vmsim_error err = { 0 };

	if (machine_check(m, &err))
		fail_msg("%s, allocation %ld: %s", op, n, err.msg);
}

/* Tear the machine down and insist that its arena is empty: whatever a
 * failed op left behind is found by the teardown. */
static void destroy_empty(struct vmsim_machine *m, const char *op, long n)
{
	machine_shutdown(m);
	if (m->ha.live != 0)
		fail_msg("%s, allocation %ld: %zu bytes still live after teardown", op, n,
			 m->ha.live);
	host_free(NULL, m, sizeof(*m));
}

static void sweep_op(const struct oom_op *op, enum host_fail_mode mode, bool warm)
{
	long n, failed = 0;

	for (n = 1;; n++) {
		struct vmsim_machine *m = boot();
		struct oom_ctx c = { 0 };
		unsigned long oom0;
		size_t live;
		unsigned long free_pages;
		bool refused;
		int ret;

		if (op->setup)
			op->setup(m, &c);
		if (warm) {
			/* the caches a first run creates, the pages it reads into
			 * the page cache, stay: a warm round starts after them */
			assert_int_equal(op->run(m, &c), 0);
			op->undo(m, &c);
		}
		live = m->ha.live;
		free_pages = nr_free_pages_with_pcp(&m->pm);
		oom0 = host_oom_count();
		host_fail_at((unsigned long)n, mode);
		ret = op->run(m, &c);
		host_fail_at(0, HOST_FAIL_ONCE);
		refused = host_oom_count() != oom0;
		if (!refused && ret)
			fail_msg("%s: %d without a host failure", op->name, ret);
		if (refused && ret != -ENOMEM && (ret || mode == HOST_FAIL_PERSISTENT))
			fail_msg("%s, allocation %ld: %d, expected -ENOMEM", op->name, n, ret);
		check(m, op->name, n);
		op->undo(m, &c);
		check(m, op->name, n);
		if (warm) {
			if (m->ha.live != live)
				fail_msg("%s, allocation %ld: %zu live bytes, %zu before", op->name, n,
					 m->ha.live, live);
			if (nr_free_pages_with_pcp(&m->pm) != free_pages)
				fail_msg("%s, allocation %ld: %lu free frames, %lu before", op->name,
					 n, nr_free_pages_with_pcp(&m->pm), free_pages);
		}
		destroy_empty(m, op->name, n);
		free(c.recs);
		if (!refused)
			break;
		failed++;
	}
	print_message("%s, %s, %s: %ld rounds met a failure\n", op->name, warm ? "warm" : "cold",
		      mode == HOST_FAIL_ONCE ? "once" : "persistent", failed);
	if (op->no_host_memory)
		assert_int_equal(failed, 0);
	else if (!warm)
		assert_true(failed > 0);	/* the op allocates: the sweep tested something */
}

static const struct oom_op ops[] = {
	{ "mmap and faults", NULL, mmap_fault_run, mmap_fault_undo, false },
	{ "fork", fork_setup, fork_run, fork_undo, true },
	{ "file mappings", file_setup, file_run, file_undo, false },
	{ "replay", replay_setup, replay_run, replay_undo, false },
	{ "views", views_setup, views_run, views_undo, false },
};

/* Each op swept cold and warm, in both modes; the op is the test's state. */
static void test_op_survives_oom(void **state)
{
	const struct oom_op *op = *state;

	for (int warm = 0; warm < 2; warm++) {
		sweep_op(op, HOST_FAIL_ONCE, warm);
		sweep_op(op, HOST_FAIL_PERSISTENT, warm);
	}
}

#define OOM_TEST(fn_name, i) { fn_name, test_op_survives_oom, NULL, NULL, (void *)&ops[i] }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_create_survives_oom_x86_64),
		cmocka_unit_test(test_machine_create_survives_oom_x86_32),
		cmocka_unit_test(test_machine_create_survives_oom_config_file),
		OOM_TEST("test_mmap_and_faults_survive_oom", 0),
		OOM_TEST("test_fork_survives_oom", 1),
		OOM_TEST("test_file_mappings_survive_oom", 2),
		OOM_TEST("test_replay_survives_oom", 3),
		OOM_TEST("test_views_survive_oom", 4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
