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
#include "vma/swapfile.h"

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
	vt_check(vm_machine(t->mm->vm));
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
	const struct vm_ctx *vm = t->mm->vm;

	return pfn_to_page(vm->pm,
			   (unsigned long)((pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT));
}

/* The pages charged to @memcg's counter, less what the stocks hold */
static unsigned long charged(const struct vmsim_machine *m, const struct mem_cgroup *memcg)
{
	return memcg->memory.usage - memcg_stock_pages(&m->vm, memcg);
}

/* Anonymous pages: charged on fault in batches, uncharged when freed;
 * page tables and kernel stacks are kernel memory of the same cgroup. */
static void test_memcg_anon_charge_and_uncharge(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0), *child;
	struct mem_cgroup *box = mkdir_ok(m, "box");
	unsigned long root_before = m->vm.memcg->root->memory.usage;
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
	assert_int_equal(memcg_stock_pages(&m->vm, box), MEMCG_CHARGE_BATCH - 4);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 1);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_PAGETABLE), 3);
	assert_int_equal(memcg_page_state(&m->vm, box, MEMCG_KMEM), 3);
	write_pages(t, a, 100);
	assert_int_equal(charged(m, box), 100 + 3);
	assert_int_equal(box->memory.usage, 2 * MEMCG_CHARGE_BATCH);
	/* the root's counter holds its children's charges (memory.current
	 * of the root is not a file, but the counter counts) */
	assert_int_equal(m->vm.memcg->root->memory.usage, root_before + box->memory.usage);
	assert_int_equal(memcg_events(box, PGFAULT), 100);

	/* fork: the child's stack is kernel memory of box; shared pages
	 * stay charged once; a copy-on-write copy is the child's charge */
	assert_int_equal(do_fork(t, "child", 0, &child), 0);
	vt_check(m);
	assert_ptr_equal(child->cgroups, box);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_KERNEL_STACK_KB), 16);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 100);
	assert_int_equal(vt_write(child, a, 0x55), 0);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 101);

	/* munmap gives the pages back, exit the rest */
	assert_int_equal(do_munmap(t->mm, a, PAGES(100)), 0);
	vt_check(m);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 100);
	do_exit(child);
	vt_check(m);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_ANON_MAPPED), 0);
	assert_int_equal(memcg_page_state(&m->vm, box, NR_KERNEL_STACK_KB), 0);
	do_exit(t);
	vt_check(m);
	/* uncharged kernel memory goes back to the stock, not the counter */
	assert_int_equal(charged(m, box), 0);
	assert_int_equal(memcg_page_state(&m->vm, box, MEMCG_KMEM), 0);
	drain_all_stock(&m->vm, m->vm.memcg->root);
	assert_int_equal(box->memory.usage, 0);
	assert_int_equal(m->vm.memcg->root->memory.usage, root_before);
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
	assert_int_equal(memcg_page_state(&m->vm, a, NR_ANON_MAPPED), 10);
	assert_int_equal(memcg_page_state(&m->vm, b, NR_ANON_MAPPED), 10);
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
	assert_ptr_equal(mem_cgroup_lookup(&m->vm, "/p/c"), c);
	mem_cgroup_path(c, path, sizeof(path));
	assert_string_equal(path, "/p/c");
	assert_true(mem_cgroup_is_descendant(c, p));
	assert_false(mem_cgroup_is_descendant(p, c));
	attach_ok(t, m->vm.memcg->root);
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
	memory_max_write(&m->vm, box, 100);
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

/*
 * A charge at memory.max reclaims from the cgroup before its OOM killer
 * runs (try_charge_memcg(), by hand): reclaim, drain the stocks and
 * retry, reclaim again, then MAX_RECLAIM_RETRIES (16) more rounds: 18
 * calls of try_to_free_mem_cgroup_pages() -- which frees nothing: no swap,
 * no page cache -- each raising a max event, then one OOM.  The victim is the
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
	memory_max_write(&m->vm, box, 100);
	a = vt_mmap(t, 0, PAGES(200), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (off = 0; off < PAGES(200) && !r.killed; off += 4096) {
		ret = task_access(t, a + off, MMU_WRITE, &v, sizeof(v), &r);
		assert_int_equal(ret, 0);
		/* no reclaim while the charges fit */
		assert_true(box->memory_events[MEMCG_MAX] == 0 || r.killed);
	}
	assert_true(r.killed);
	/* the 98th page did not fit: 97 pages and the PUD, PMD and PTE
	 * tables (kernel memory of the cgroup) fill its 100 */
	assert_int_equal(off - 4096, PAGES(97));
	assert_int_equal(box->memory_events[MEMCG_MAX], 35);
	assert_int_equal(box->memory_events[MEMCG_OOM], 1);
	assert_int_equal(box->memory_events[MEMCG_OOM_KILL], 1);
	assert_int_equal(box->memory.usage, 100);
	exit_to_user_mode(m);
	assert_null(task_find(m, "t"));
	vt_check(m);
	vmsim_machine_destroy(m);
}

/*
 * A cgroup at memory.max with swap: try_to_free_mem_cgroup_pages() takes
 * the cgroup's own pages from its lruvec to swap (pswpout; the slots
 * charged to it, memory.swap.current), so the task writes 300 pages into
 * 100 with no OOM and no global reclaim (the machine has RAM to spare);
 * read back, each page has its bytes, is charged to the cgroup that
 * swapped it out (mem_cgroup_swapin_charge_folio()), and the slots'
 * charges follow the slots (the checker recounts both after each step).
 */
static void test_memcg_reclaim_swaps_within_the_cgroup(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct mem_cgroup *box = mkdir_ok(m, "box");
	struct vmsim_error err = { 0 };
	unsigned long pswpout, pswpin;
	unsigned type;
	uint64_t a;

	(void)state;
	assert_int_equal(sys_swapon(&m->vm, PAGES(1024), -1, false, &type, &err), 0);
	attach_ok(t, box);
	memory_max_write(&m->vm, box, 100);
	a = vt_mmap(t, 0, PAGES(300), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(t, a, 300);
	vt_check(m);
	assert_int_equal(vmstat_read(&m->pm, "pswpout", &pswpout), 0);
	assert_true(pswpout >= 200);
	assert_true(box->memory.usage <= 100);
	assert_true(box->memory.watermark <= 100);
	assert_true(box->swap.usage >= 200);
	assert_true(box->memory_events[MEMCG_MAX] > 0);
	assert_int_equal(box->memory_events[MEMCG_OOM], 0);
	/* cgroup reclaim: the cgroup's events, not the machine's */
	assert_true(memcg_events(box, PGSTEAL_DIRECT) >= 200);
	assert_int_equal(m->pm.vmstat.event[PGSCAN_DIRECT] + m->pm.vmstat.event[PGSCAN_KSWAPD], 0);
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		assert_int_equal(m->pm.vmstat.event[ALLOCSTALL_DMA + z], 0);
	/* back in, every page with its bytes, charged to the box */
	for (unsigned i = 0; i < 300; i++) {
		assert_int_equal(vt_read_ok(t, a + PAGES(i)), i + 1);
		assert_ptr_equal(folio_memcg(&m->vm, frame_of(t, a + PAGES(i))), box);
	}
	vt_check(m);
	assert_int_equal(vmstat_read(&m->pm, "pswpin", &pswpin), 0);
	assert_true(pswpin >= 200);
	do_exit(t);
	vt_check(m);
	/* a slot freed goes back through the CPU's return cache, its charge
	 * with it (swapcache_free_entries()); swapoff drains the caches */
	assert_true(box->swap.usage <= SWAP_SLOTS_CACHE_SIZE);
	assert_int_equal(sys_swapoff(&m->vm, type, &err), 0);
	assert_int_equal(box->swap.usage, 0);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/*
 * memory.swap.max limits swap-out: with 16 slots allowed, MADV_PAGEOUT of
 * 32 pages swaps out 16 (pswpout 16, memory.swap.current 16); each of the
 * other 16 is refused its slot (a swap_max event each), stays in memory
 * and is activated, as shrink_folio_list() does when add_to_swap() fails.
 * Then at memory.max the cgroup may swap no more: nothing it holds is
 * reclaimable (get_scan_count() leaves anon alone), and its OOM killer
 * takes the task.
 */
static void test_memcg_swap_max_limits_swap_out(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0);
	struct mem_cgroup *box = mkdir_ok(m, "box");
	struct access_result r = { 0 };
	struct vmsim_error err = { 0 };
	unsigned long pswpout;
	uint64_t a, v = 1, off;
	unsigned type;

	(void)state;
	assert_int_equal(sys_swapon(&m->vm, PAGES(1024), -1, false, &type, &err), 0);
	attach_ok(t, box);
	memory_max_write(&m->vm, box, 100);
	swap_max_write(box, 16);
	a = vt_mmap(t, 0, PAGES(300), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(t, a, 32);
	assert_int_equal(do_madvise(t->mm, a, PAGES(32), MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_int_equal(vmstat_read(&m->pm, "pswpout", &pswpout), 0);
	assert_int_equal(pswpout, 16);
	assert_int_equal(box->swap.usage, 16);
	assert_int_equal(box->memory_events[MEMCG_SWAP_MAX], 16);
	assert_int_equal(memcg_events(box, PGACTIVATE), 16);
	for (unsigned i = 0, kept = 0; i < 32; i++) {
		uint64_t pte = mm_pte_lookup(t->mm, a + PAGES(i));

		if (pte & _PAGE_PRESENT) {
			assert_true(PageActive(frame_of(t, a + PAGES(i))));
			kept++;
		}
		if (i == 31)
			assert_int_equal(kept, 16);
	}
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(vt_read_ok(t, a + PAGES(i)), i + 1);
	vt_check(m);
	for (off = PAGES(32); off < PAGES(300) && !r.killed; off += 4096) {
		assert_int_equal(task_access(t, a + off, MMU_WRITE, &v, sizeof(v), &r), 0);
		assert_true(box->swap.usage <= 16);
	}
	assert_true(r.killed);
	assert_int_equal(box->swap.watermark, 16);
	assert_int_equal(box->memory_events[MEMCG_OOM_KILL], 1);
	exit_to_user_mode(m);
	assert_null(task_find(m, "t"));
	vt_check(m);
	assert_int_equal(sys_swapoff(&m->vm, type, &err), 0);
	assert_int_equal(box->swap.usage, 0);
	vmsim_machine_destroy(m);
}

/* Swap charges (cgroup v2): a slot is charged to the swapped page's
 * cgroup and recorded, up to memory.swap.max; freeing the slot gives it
 * back; a page read back is charged to the cgroup that swapped it out.
 * The charges are made by hand on slots of a real area that nothing
 * allocated: the swap code's own charging is the next two tests'. */
static void test_memcg_swap_charges(void **state)
{
	unsigned lines = 0;
	struct vmsim_machine *m = mc_boot(&lines);
	struct task_struct *t = vt_spawn(m, "t", 0, 0), *u = vt_spawn(m, "u", 0, 0);
	struct mem_cgroup *p = mkdir_ok(m, "p"), *box = mkdir_ok(m, "p/box"),
			  *other = mkdir_ok(m, "other");
	struct vmsim_error err = { 0 };
	struct page *pages[4], *in;
	unsigned type;
	uint64_t va;

	(void)state;
	attach_ok(t, box);
	attach_ok(u, other);
	va = vt_mmap(t, 0, PAGES(4), PROT_READ | PROT_WRITE, MAP_PRIVATE);
	write_pages(t, va, 4);
	for (unsigned i = 0; i < 4; i++)
		pages[i] = frame_of(t, va + PAGES(i));
	/* an area of 17 slots, the header and 16 usable; swapon recorded
	 * no cgroup for any of them yet */
	assert_int_equal(sys_swapon(&m->vm, PAGES(17), -1, false, &type, &err), 0);
	assert_int_equal(m->pm.total_swap_pages, 16);
	assert_int_equal(swap_cgroup_swapon(&m->vm, type, 17), -EINVAL);
	swap_max_write(p, 3);
	assert_int_equal(mem_cgroup_get_nr_swap_pages(&m->vm, box), 3);
	assert_false(mem_cgroup_swap_full(&m->vm, pages[0]));

	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(mem_cgroup_try_charge_swap(&m->vm, pages[i], type, 5 + i), 0);
	vt_check(m);
	assert_int_equal(box->swap.usage, 3);
	assert_int_equal(p->swap.usage, 3);
	assert_int_equal(lookup_swap_cgroup_id(&m->vm, type, 6), box->id);
	assert_int_equal(mem_cgroup_get_nr_swap_pages(&m->vm, box), 0);
	assert_true(mem_cgroup_swap_full(&m->vm, pages[0]));
	/* the parent's limit refuses the fourth; the events are the page's
	 * cgroup's (and, memory.swap.events being hierarchical, p's) */
	assert_int_equal(mem_cgroup_try_charge_swap(&m->vm, pages[3], type, 8), -ENOMEM);
	assert_int_equal(box->memory_events[MEMCG_SWAP_MAX], 1);
	assert_int_equal(p->memory_events[MEMCG_SWAP_MAX], 1);
	assert_int_equal(box->memory_events_local[MEMCG_SWAP_MAX], 1);
	assert_int_equal(p->memory_events_local[MEMCG_SWAP_MAX], 0);
	assert_int_equal(box->memory_events[MEMCG_SWAP_FAIL], 1);
	assert_int_equal(p->memory_events[MEMCG_SWAP_FAIL], 1);
	assert_int_equal(lookup_swap_cgroup_id(&m->vm, type, 8), 0);
	/* no slot at all: counted, nothing charged */
	assert_int_equal(mem_cgroup_try_charge_swap(&m->vm, pages[3], 0, 0), 0);
	assert_int_equal(box->memory_events[MEMCG_SWAP_FAIL], 2);
	vt_check(m);

	/* a page read back from slot 6 by u belongs to box, not to u's cgroup */
	in = alloc_page(&m->pm, GFP_HIGHUSER_MOVABLE);
	assert_non_null(in);
	assert_int_equal(mem_cgroup_swapin_charge_folio(&m->vm, in, u->mm, GFP_KERNEL, type, 6), 0);
	assert_ptr_equal(folio_memcg(&m->vm, in), box);
	__free_pages(&m->pm, in, 0);
	/* a slot nobody recorded: the mm's cgroup */
	in = alloc_page(&m->pm, GFP_HIGHUSER_MOVABLE);
	assert_int_equal(mem_cgroup_swapin_charge_folio(&m->vm, in, u->mm, GFP_KERNEL, type, 9), 0);
	assert_ptr_equal(folio_memcg(&m->vm, in), other);
	__free_pages(&m->pm, in, 0);
	vt_check(m);

	/* freeing slots gives their charge back, to whoever holds the record */
	mem_cgroup_uncharge_swap(&m->vm, type, 5, 2);
	assert_int_equal(box->swap.usage, 1);
	assert_int_equal(p->swap.usage, 1);
	vt_check(m);
	/* a drifted counter is caught */
	box->swap.usage++;
	assert_int_not_equal(machine_check(m, &(struct vmsim_error){ 0 }), 0);
	box->swap.usage--;
	mem_cgroup_uncharge_swap(&m->vm, type, 7, 1);
	assert_int_equal(box->swap.usage, 0);
	assert_int_equal(p->swap.usage, 0);
	vt_check(m);
	assert_int_equal(sys_swapoff(&m->vm, type, &err), 0);
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
		cmocka_unit_test(test_memcg_reclaim_swaps_within_the_cgroup),
		cmocka_unit_test(test_memcg_swap_max_limits_swap_out),
		cmocka_unit_test(test_memcg_checker_catches_wrong_charges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
