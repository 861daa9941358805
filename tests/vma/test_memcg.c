/*
 * Memory cgroups: charges and uncharges against the pages themselves.
 * Each test moves memory in and out of cgroups (faults, fork, exit,
 * munmap, moves between cgroups, limits written below the usage) and
 * after every step runs the whole-machine checker, whose cgroup part
 * recounts every charged page; the known numbers are checked too: the
 * batch of the per-CPU stock, the root charged nothing, kernel memory
 * (stacks, page tables) counted as such.  Last, the checker is shown to
 * catch a wrong charge.
 */
#include "vma_test.h"

#include "kern/cgroup.h"
#include "kern/oom.h"
#include "vma/memcontrol.h"

#define PAGES(n) ((uint64_t)(n) * 4096)

/* The console: counted, not printed. */
static void quiet(void *ctx, const char *line)
{
	(void)line;
	++*(unsigned *)ctx;
}

static struct vmsim_machine *mc_boot(unsigned *lines)
{
	struct vmsim_machine *m = vt_boot("x86_64", "64MiB");

	m->console_hook = quiet;
	m->console_ctx = lines;
	return m;
}

static struct mem_cgroup *mkdir_ok(struct vmsim_machine *m, const char *path)
{
	struct mem_cgroup *memcg = NULL;

	assert_int_equal(cgroup_mkdir(m, path, &memcg), 0);
	assert_non_null(memcg);
	vt_check(m);
	return memcg;
}

static void attach_ok(struct task_struct *t, struct mem_cgroup *memcg)
{
	assert_int_equal(cgroup_attach_task(t, memcg), 0);
	vt_check(t->mm->m);
}

static void write_pages(struct task_struct *t, uint64_t a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(vt_write(t, a + PAGES(i), i + 1), 0);
}

static struct page *frame_of(struct task_struct *t, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(t->mm, va);

	assert_true(pte & _PAGE_PRESENT);
	return pfn_to_page(&t->mm->m->pm,
			   (unsigned long)((pte & t->mm->m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT));
}

/* The pages charged to @memcg's counter, less what the stocks hold */
static unsigned long charged(const struct vmsim_machine *m, const struct mem_cgroup *memcg)
{
	return memcg->memory.usage - memcg_stock_pages(m, memcg);
}

/* Anonymous pages: charged on fault in batches, uncharged when freed;
 * page tables and kernel stacks are kernel memory of the same cgroup. */
static void test_memcg_anon_charge_and_uncharge(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0), *child;
	struct mem_cgroup *box = mkdir_ok(m, "box");
	unsigned long root_before = m->memcg->root->memory.usage;
	uint64_t a;

	(void)state;
	attach_ok(t, box);
	/* moving charges nothing: the stack stays with the root (v2) */
	assert_int_equal(box->memory.usage, 0);
	a = vt_mmap(t, 0, PAGES(100), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(box->memory.usage, 0);
	write_pages(t, a, 1);
	/* one page and its PUD, PMD and PTE tables: a batch of 64 charged,
	 * 60 left in the stock */
	assert_int_equal(box->memory.usage, MEMCG_CHARGE_BATCH);
	assert_int_equal(memcg_stock_pages(m, box), MEMCG_CHARGE_BATCH - 4);
	assert_int_equal(memcg_page_state(m, box, NR_ANON_MAPPED), 1);
	assert_int_equal(memcg_page_state(m, box, NR_PAGETABLE), 3);
	assert_int_equal(memcg_page_state(m, box, MEMCG_KMEM), 3);
	write_pages(t, a, 100);
	assert_int_equal(charged(m, box), 100 + 3);
	assert_int_equal(box->memory.usage, 2 * MEMCG_CHARGE_BATCH);
	/* the root's counter holds its children's charges (memory.current
	 * of the root is not a file, but the counter counts) */
	assert_int_equal(m->memcg->root->memory.usage, root_before + box->memory.usage);
	assert_int_equal(memcg_events(box, PGFAULT), 100);

	/* fork: the child's stack is kernel memory of box; shared pages
	 * stay charged once; a copy-on-write copy is the child's charge */
	assert_int_equal(do_fork(t, "child", 0, &child), 0);
	vt_check(m);
	assert_ptr_equal(child->cgroups, box);
	assert_int_equal(memcg_page_state(m, box, NR_KERNEL_STACK_KB), 16);
	assert_int_equal(memcg_page_state(m, box, NR_ANON_MAPPED), 100);
	assert_int_equal(vt_write(child, a, 0x55), 0);
	assert_int_equal(memcg_page_state(m, box, NR_ANON_MAPPED), 101);

	/* munmap gives the pages back, exit the rest */
	assert_int_equal(do_munmap(t->mm, a, PAGES(100)), 0);
	vt_check(m);
	assert_int_equal(memcg_page_state(m, box, NR_ANON_MAPPED), 100);
	do_exit(child);
	vt_check(m);
	assert_int_equal(memcg_page_state(m, box, NR_ANON_MAPPED), 0);
	assert_int_equal(memcg_page_state(m, box, NR_KERNEL_STACK_KB), 0);
	do_exit(t);
	vt_check(m);
	/* uncharged kernel memory goes back to the stock, not the counter */
	assert_int_equal(charged(m, box), 0);
	assert_int_equal(memcg_page_state(m, box, MEMCG_KMEM), 0);
	drain_all_stock(m, m->memcg->root);
	assert_int_equal(box->memory.usage, 0);
	assert_int_equal(m->memcg->root->memory.usage, root_before);
	vt_check(m);
	assert_int_equal(lines, 0);
	vmsim_machine_destroy(m);
}

/* A task moved after faulting: its old pages stay charged where they
 * were, new ones go to its new cgroup; a page's cgroup is the one that
 * paid for it until it is freed. */
static void test_memcg_move_keeps_old_charges(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct mem_cgroup *a = mkdir_ok(m, "a"), *b = mkdir_ok(m, "b");
	uint64_t va;

	(void)state;
	attach_ok(t, a);
	va = vt_mmap(t, 0, PAGES(20), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(t, va, 10);
	attach_ok(t, b);
	for (unsigned i = 10; i < 20; i++)
		assert_int_equal(vt_write(t, va + PAGES(i), i), 0);
	assert_int_equal(memcg_page_state(m, a, NR_ANON_MAPPED), 10);
	assert_int_equal(memcg_page_state(m, b, NR_ANON_MAPPED), 10);
	assert_int_equal(charged(m, a), 10 + 3);	/* with the tables */
	assert_int_equal(charged(m, b), 10);
	/* the cgroup a page was charged to, whoever maps it now */
	do_exit(t);
	vt_check(m);
	assert_int_equal(charged(m, a), 0);
	assert_int_equal(charged(m, b), 0);
	vmsim_machine_destroy(m);
}

/* cgroup v2's rules: a cgroup with tasks gets no children, a cgroup with
 * children takes no tasks (the root excepted), names are single path
 * components. */
static void test_memcg_tree_rules(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct mem_cgroup *p = mkdir_ok(m, "p"), *c = mkdir_ok(m, "p/c"), *x = NULL;
	char path[64];

	(void)state;
	assert_int_equal(cgroup_attach_task(t, p), -EBUSY);
	attach_ok(t, c);
	assert_int_equal(cgroup_mkdir(m, "p/c/d", &x), -EBUSY);
	assert_int_equal(cgroup_mkdir(m, "p/../q", &x), -EINVAL);
	assert_ptr_equal(mem_cgroup_lookup(m, "/p/c"), c);
	mem_cgroup_path(c, path, sizeof(path));
	assert_string_equal(path, "/p/c");
	assert_true(mem_cgroup_is_descendant(c, p));
	assert_false(mem_cgroup_is_descendant(p, c));
	attach_ok(t, m->memcg->root);
	do_exit(t);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* memory.max written below the usage: drain, reclaim (nothing to
 * reclaim here), then the cgroup's OOM killer until it fits; a victim
 * not running exits at once. */
static void test_memcg_max_below_usage_kills(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *small = vt_spawn(m, "small", 0, 0), *big = vt_spawn(m, "big", 0, 0);
	struct mem_cgroup *box = mkdir_ok(m, "box");
	uint64_t a;

	(void)state;
	attach_ok(small, box);
	attach_ok(big, box);
	a = vt_mmap(small, 0, PAGES(50), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(small, a, 50);
	a = vt_mmap(big, 0, PAGES(200), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(big, a, 200);
	memory_max_write(m, box, 100);
	vt_check(m);
	assert_null(task_find(m, "big"));
	assert_ptr_equal(task_find(m, "small"), small);
	assert_int_equal(box->memory_events[MEMCG_OOM], 1);
	assert_int_equal(box->memory_events[MEMCG_OOM_KILL], 1);
	assert_int_equal(m->pm.vmstat.event[OOM_KILL], 1);
	assert_true(box->memory.usage <= 100);
	assert_true(lines > 0);	/* the kernel said so on its console */
	/* now small is alone under the limit: a charge past it fails once
	 * small is unkillable */
	assert_int_equal(oom_score_adj_write(small, OOM_SCORE_ADJ_MIN), 0);
	a = vt_mmap(small, 0, PAGES(100), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	{
		struct access_result r;
		uint64_t off, v = 1;
		int ret = 0;

		for (off = 0; off < PAGES(100); off += 4096) {
			ret = task_access(small, a + off, MMU_WRITE, &v, sizeof(v), &r);
			if (ret)
				break;
			vt_check(m);
		}
		assert_int_equal(ret, -ENOMEM);
		assert_false(r.killed);
	}
	assert_true(box->memory.usage <= 100);
	assert_int_equal(box->memory_events[MEMCG_OOM], 2);
	assert_int_equal(box->memory_events[MEMCG_OOM_KILL], 1);
	vt_check(m);
	do_exit(small);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* What reclaim was asked for: a stand-in for mm/vmscan.c that frees
 * nothing, so that try_charge_memcg()'s loop is seen call by call. */
static struct {
	unsigned calls, bad;
	struct mem_cgroup *memcg;
} reclaim_log;

static unsigned long reclaim_nothing(struct mem_cgroup *memcg, unsigned long nr_pages,
				     gfp_t gfp_mask, unsigned reclaim_options)
{
	reclaim_log.calls++;
	if (memcg != reclaim_log.memcg || nr_pages != 1 || gfp_mask != GFP_KERNEL ||
	    reclaim_options != MEMCG_RECLAIM_MAY_SWAP)
		reclaim_log.bad++;
	return 0;
}

/*
 * A charge at memory.max reclaims from the cgroup before its OOM killer
 * runs (try_charge_memcg(), by hand): reclaim, drain the stocks and
 * retry, reclaim again, then MAX_RECLAIM_RETRIES (16) more rounds: 18
 * calls, each raising a max event, then one OOM.  The victim is the
 * faulting task itself: it dies only when it returns to user mode, so its
 * memory is still charged, and the loop runs again (17 calls) until the
 * dying task gives up the charge: 35 calls in all, and the write never
 * completes.
 */
static void test_memcg_reclaims_before_oom(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct mem_cgroup *box = mkdir_ok(m, "box");
	struct access_result r = { 0 };
	uint64_t a, v = 1, off;
	int ret;

	(void)state;
	attach_ok(t, box);
	memory_max_write(m, box, 100);
	reclaim_log.memcg = box;
	m->memcg->try_to_free_mem_cgroup_pages = reclaim_nothing;
	a = vt_mmap(t, 0, PAGES(200), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (off = 0; off < PAGES(200) && !r.killed; off += 4096) {
		ret = task_access(t, a + off, MMU_WRITE, &v, sizeof(v), &r);
		assert_int_equal(ret, 0);
		/* no reclaim while the charges fit */
		assert_true(reclaim_log.calls == 0 || r.killed);
	}
	assert_true(r.killed);
	/* the 98th page did not fit: 97 pages and the PUD, PMD and PTE
	 * tables (kernel memory of the cgroup) fill its 100 */
	assert_int_equal(off - 4096, PAGES(97));
	assert_int_equal(reclaim_log.calls, 35);
	assert_int_equal(reclaim_log.bad, 0);
	assert_int_equal(box->memory_events[MEMCG_MAX], 35);
	assert_int_equal(box->memory_events[MEMCG_OOM], 1);
	assert_int_equal(box->memory_events[MEMCG_OOM_KILL], 1);
	assert_int_equal(box->memory.usage, 100);
	m->memcg->try_to_free_mem_cgroup_pages = NULL;
	exit_to_user_mode(m);
	assert_null(task_find(m, "t"));
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* Swap charges (cgroup v2): a slot is charged to the swapped page's
 * cgroup and recorded, up to memory.swap.max; freeing the slot gives it
 * back; a page read back is charged to the cgroup that swapped it out.
 * The swap code is not involved: the slots are numbers here, and the
 * machine's swap space is set by hand. */
static void test_memcg_swap_charges(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0), *u = vt_spawn(m, "u", 0, 0);
	struct mem_cgroup *p = mkdir_ok(m, "p"), *box = mkdir_ok(m, "p/box"),
			  *other = mkdir_ok(m, "other");
	struct page *pages[4], *in;
	uint64_t va;

	(void)state;
	attach_ok(t, box);
	attach_ok(u, other);
	va = vt_mmap(t, 0, PAGES(4), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(t, va, 4);
	for (unsigned i = 0; i < 4; i++)
		pages[i] = frame_of(t, va + PAGES(i));
	m->pm.total_swap_pages = m->pm.nr_swap_pages = 16;
	assert_int_equal(swap_cgroup_swapon(m, 1, 16), 0);
	assert_int_equal(swap_cgroup_swapon(m, 1, 16), -EINVAL);
	swap_max_write(p, 3);
	assert_int_equal(mem_cgroup_get_nr_swap_pages(m, box), 3);
	assert_false(mem_cgroup_swap_full(m, pages[0]));

	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(mem_cgroup_try_charge_swap(m, pages[i], 1, 5 + i), 0);
	vt_check(m);
	assert_int_equal(box->swap.usage, 3);
	assert_int_equal(p->swap.usage, 3);
	assert_int_equal(lookup_swap_cgroup_id(m, 1, 6), box->id);
	assert_int_equal(mem_cgroup_get_nr_swap_pages(m, box), 0);
	assert_true(mem_cgroup_swap_full(m, pages[0]));
	/* the parent's limit refuses the fourth; the events are the page's
	 * cgroup's (and, memory.swap.events being hierarchical, p's) */
	assert_int_equal(mem_cgroup_try_charge_swap(m, pages[3], 1, 8), -ENOMEM);
	assert_int_equal(box->memory_events[MEMCG_SWAP_MAX], 1);
	assert_int_equal(p->memory_events[MEMCG_SWAP_MAX], 1);
	assert_int_equal(box->memory_events_local[MEMCG_SWAP_MAX], 1);
	assert_int_equal(p->memory_events_local[MEMCG_SWAP_MAX], 0);
	assert_int_equal(box->memory_events[MEMCG_SWAP_FAIL], 1);
	assert_int_equal(p->memory_events[MEMCG_SWAP_FAIL], 1);
	assert_int_equal(lookup_swap_cgroup_id(m, 1, 8), 0);
	/* no slot at all: counted, nothing charged */
	assert_int_equal(mem_cgroup_try_charge_swap(m, pages[3], 0, 0), 0);
	assert_int_equal(box->memory_events[MEMCG_SWAP_FAIL], 2);
	vt_check(m);

	/* a page read back from slot 6 by u belongs to box, not to u's cgroup */
	in = alloc_page(&m->pm, GFP_HIGHUSER_MOVABLE);
	assert_non_null(in);
	assert_int_equal(mem_cgroup_swapin_charge_folio(m, in, u->mm, GFP_KERNEL, 1, 6), 0);
	assert_ptr_equal(folio_memcg(m, in), box);
	__free_pages(&m->pm, in, 0);
	/* a slot nobody recorded: the mm's cgroup */
	in = alloc_page(&m->pm, GFP_HIGHUSER_MOVABLE);
	assert_int_equal(mem_cgroup_swapin_charge_folio(m, in, u->mm, GFP_KERNEL, 1, 9), 0);
	assert_ptr_equal(folio_memcg(m, in), other);
	__free_pages(&m->pm, in, 0);
	vt_check(m);

	/* freeing slots gives their charge back, to whoever holds the record */
	mem_cgroup_uncharge_swap(m, 1, 5, 2);
	assert_int_equal(box->swap.usage, 1);
	assert_int_equal(p->swap.usage, 1);
	vt_check(m);
	/* a drifted counter is caught */
	box->swap.usage++;
	assert_int_not_equal(machine_check(m, &(struct vmsim_error){ 0 }), 0);
	box->swap.usage--;
	mem_cgroup_uncharge_swap(m, 1, 7, 1);
	assert_int_equal(box->swap.usage, 0);
	assert_int_equal(p->swap.usage, 0);
	vt_check(m);
	swap_cgroup_swapoff(m, 1);
	m->pm.total_swap_pages = m->pm.nr_swap_pages = 0;
	do_exit(t);
	do_exit(u);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* The checker catches a page charged to the wrong cgroup and a counter
 * that drifted. */
static void test_memcg_checker_catches_wrong_charges(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct mem_cgroup *a = mkdir_ok(m, "a"), *b = mkdir_ok(m, "b");
	struct vmsim_error err = { 0 };
	struct page *page;
	uint64_t va;

	(void)state;
	attach_ok(t, a);
	va = vt_mmap(t, 0, PAGES(4), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(t, va, 4);
	page = frame_of(t, va);
	assert_int_equal(page_memcg_id(page), a->id);

	/* the page says b, the counters say a */
	set_page_memcg_id(page, b->id);
	assert_int_not_equal(machine_check(m, &err), 0);
	assert_non_null(strstr(err.msg, "/a"));
	set_page_memcg_id(page, a->id);
	vt_check(m);

	/* a counter one page off */
	a->memory.usage++;
	assert_int_not_equal(machine_check(m, &(struct vmsim_error){ 0 }), 0);
	a->memory.usage--;
	vt_check(m);

	/* a statistic one page off */
	a->lruvecs[0].vm_stat[NR_ANON_MAPPED]++;
	assert_int_not_equal(machine_check(m, &(struct vmsim_error){ 0 }), 0);
	a->lruvecs[0].vm_stat[NR_ANON_MAPPED]--;
	vt_check(m);
	do_exit(t);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcg_anon_charge_and_uncharge),
		cmocka_unit_test(test_memcg_move_keeps_old_charges),
		cmocka_unit_test(test_memcg_tree_rules),
		cmocka_unit_test(test_memcg_max_below_usage_kills),
		cmocka_unit_test(test_memcg_reclaims_before_oom),
		cmocka_unit_test(test_memcg_swap_charges),
		cmocka_unit_test(test_memcg_checker_catches_wrong_charges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
