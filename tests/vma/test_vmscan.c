/*
 * Known answers of reclaim (mm/vmscan.c), every number worked out by hand
 * from the kernel's rules, and the LRU and swap checkers catching what
 * they exist to catch.
 *
 * The rules the answers follow (Linux v6.12, classic LRU):
 *   - get_scan_count(): each evictable list is scanned size >> priority
 *     pages at priority 12, 11, ... 0 (SCAN_FILE when there is no swap:
 *     only the file lists); shrink_lruvec() takes them in batches of at
 *     most SWAP_CLUSTER_MAX (32); direct reclaim (nr_to_reclaim = 32)
 *     stops after the first priority that brings the total to 32;
 *   - folio_check_references(): a page whose PTE is young and that was
 *     not yet PG_referenced is kept (marked PG_referenced, rotated to the
 *     head of the inactive list): its second chance; young again and
 *     PG_referenced: activated; an unreferenced clean page is freed.
 */
#include "vma_test.h"

#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/swap.h"
#include "vma/swapfile.h"

static struct vmsim_machine *boot_sets(const char *const *sets)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

static unsigned long vmstat(struct vmsim_machine *m, const char *name)
{
	unsigned long v;

	if (vmstat_read(&m->pm, name, &v))
		fail_msg("no vmstat item %s", name);
	return v;
}

static struct file *make_file(struct vmsim_machine *m, const char *name, uint64_t pages)
{
	struct vmsim_error err = { 0 };
	struct file *f;

	if (filemap_create(machine_page_cache(&m->vm), name, "x", 1, pages * PAGE_SIZE, &f, &err))
		fail_msg("%s: %s", name, err.msg);
	return f;
}

/* The lruvec global reclaim scans on node 0: the root cgroup's, which
 * holds every page no other cgroup was charged for. */
static struct lruvec *node_lruvec(struct vmsim_machine *m)
{
	return mem_cgroup_lruvec(&m->vm, NULL, 0);
}

/*
 * Direct reclaim of 8192 clean, unreferenced page cache pages, no swap:
 * priority 12 scans 8192 >> 12 = 2, 11: 8190 >> 11 = 3, 10: 8187 >> 10
 * = 7, 9: 8180 >> 9 = 15, 8: 8165 >> 8 = 31 (one batch); the total, 58,
 * is the first at or above 32: reclaim stops there.  Every page scanned
 * is freed.  One allocation stalled.
 */
static void test_vmscan_direct_reclaim_scans_size_shifted_by_priority(void **state)
{
	const char *sets[] = { "memory.size=48MiB", "kernel_image.start=2MiB",
			       "kernel_image.size=2MiB", NULL };
	struct vmsim_machine *m = boot_sets(sets);
	struct page **pinned = calloc(16384, sizeof(*pinned));
	unsigned long stalls = 0;
	unsigned n = 0;
	struct file *f;

	(void)state;
	assert_non_null(pinned);
	f = make_file(m, "cache", 8192);
	/* one device request (max_sectors_kb) per call */
	for (uint64_t i = 0; i < 8192;)
		i += force_page_cache_readahead(f, i, 8192 - i);
	lru_add_drain(&m->vm);
	vt_check(m);
	assert_int_equal(vmstat(m, "nr_inactive_file"), 8192);
	assert_int_equal(vmstat(m, "nr_active_file"), 0);
	/* down to the min watermark without reclaiming (GFP_NOWAIT may use
	 * what lies between low and min, and only wakes kswapd, which runs
	 * at kswapd points: none here) */
	while ((pinned[n] = alloc_page(&m->pm, GFP_NOWAIT)))
		n++;
	assert_int_equal(vmstat(m, "pgscan_direct"), 0);
	/* the next allocation that may reclaim does, once */
	pinned[n] = alloc_page(&m->pm, GFP_KERNEL);
	assert_non_null(pinned[n]);
	n++;
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		stalls += m->pm.vmstat.event[ALLOCSTALL_DMA + z];
	assert_int_equal(stalls, 1);
	assert_int_equal(vmstat(m, "pgscan_direct"), 2 + 3 + 7 + 15 + 31);
	assert_int_equal(vmstat(m, "pgsteal_direct"), 58);
	assert_int_equal(vmstat(m, "pgscan_kswapd"), 0);
	assert_int_equal(vmstat(m, "nr_inactive_file"), 8192 - 58);
	vt_check(m);
	while (n)
		__free_pages(&m->pm, pinned[--n], 0);
	free(pinned);
	fput(f);
	vt_teardown(m);
}

/*
 * The second chance.  A 64-page file, read ahead (inactive, in index
 * order: page 0 at the tail), page 0 mapped by a task that read it (its
 * PTE young).  Reclaim of the node's lruvec for 32 pages, no swap:
 *   priorities 12..7 scan 64 >> p = 0;
 *   6: 1 page, page 0: young, not PG_referenced: kept, PG_referenced,
 *      rotated to the head, its Accessed bit cleared;
 *   5: 2 (pages 1-2 freed), 4: 62 >> 4 = 3 (3-5), 3: 59 >> 3 = 7 (6-12),
 *   2: 52 >> 2 = 13 (13-25), 1: 39 >> 1 = 19 (26-44): 44 freed of 45
 *      scanned, at least 32: done.
 * Left: pages 45..63 and page 0 at the head.  The task reads page 0
 * again; the next reclaim: 4: 20 >> 4 = 1 (45), 3: 19 >> 3 = 2 (46-47),
 * 2: 17 >> 2 = 4 (48-51), 1: 13 >> 1 = 6 (52-57), 0: 7 (58-63 freed,
 * then page 0: young and PG_referenced: activated): 19 freed of 20.
 */
static void test_vmscan_referenced_page_gets_a_second_chance_then_activates(void **state)
{
	const char *sets[] = { "pagecache.fault_around_bytes=4KiB", NULL };
	struct vmsim_machine *m = boot_sets(sets);
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	unsigned long scanned0;
	struct page *p0;
	struct file *f;
	int64_t addr;
	uint64_t v;

	(void)state;
	f = make_file(m, "data", 64);
	assert_int_equal(force_page_cache_readahead(f, 0, 64), 64);
	lru_add_drain(&m->vm);
	addr = vm_mmap(t->mm, f, 0, 64 * PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	assert_true(addr > 0);
	v = vt_read_ok(t, (uint64_t)addr);
	assert_int_equal(v & 0xff, 'x');
	assert_int_equal(t->mm->rss_stat[MM_FILEPAGES], 1);	/* page 0 only */
	p0 = vt_frame_of(t, (uint64_t)addr);
	assert_ptr_equal(p0, filemap_find_page(f, 0));
	assert_int_equal(vmstat(m, "nr_inactive_file"), 64);

	scanned0 = vmstat(m, "pgscan_direct");
	assert_int_equal(reclaim_lruvec(&m->vm, node_lruvec(m), 32, GFP_KERNEL, false), 44);
	assert_int_equal(vmstat(m, "pgscan_direct") - scanned0, 45);
	vt_check(m);
	for (uint64_t i = 1; i < 64; i++)
		if ((filemap_find_page(f, i) != NULL) != (i >= 45))
			fail_msg("page %llu is %s", (unsigned long long)i,
				 filemap_find_page(f, i) ? "cached" : "gone");
	assert_ptr_equal(filemap_find_page(f, 0), p0);
	assert_true(PageReferenced(p0));
	assert_false(PageActive(p0));
	assert_false(mm_pte_lookup(t->mm, (uint64_t)addr) & _PAGE_ACCESSED);
	assert_ptr_equal(list_first_entry(&node_lruvec(m)->lists[LRU_INACTIVE_FILE], struct page,
					  lru), p0);

	v = vt_read_ok(t, (uint64_t)addr);
	assert_int_equal(reclaim_lruvec(&m->vm, node_lruvec(m), 32, GFP_KERNEL, false), 19);
	assert_int_equal(vmstat(m, "pgscan_direct") - scanned0, 45 + 20);
	assert_int_equal(vmstat(m, "pgactivate"), 1);
	assert_ptr_equal(filemap_find_page(f, 0), p0);
	assert_true(PageActive(p0));
	assert_int_equal(vmstat(m, "nr_inactive_file"), 0);
	assert_int_equal(vmstat(m, "nr_active_file"), 1);
	vt_check(m);
	fput(f);
	vt_teardown(m);
}

/* ---- the checkers ---- */

static void check_fails(struct vmsim_machine *m, const char *what)
{
	struct vmsim_error err = { 0 };

	if (!machine_check(m, &err))
		fail_msg("the checker missed: %s", what);
	if (!strstr(err.msg, what))
		fail_msg("the checker said '%s', not '%s'", err.msg, what);
}

/* A task with @n written anonymous pages, drained onto the LRU. */
static struct task_struct *anon_task(struct vmsim_machine *m, uint64_t *addr, unsigned n)
{
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	*addr = vt_mmap(t, 0, n * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(vt_write(t, *addr + i * PAGE_SIZE, i + 1), 0);
	lru_add_drain(&m->vm);
	vt_check(m);
	return t;
}

static void test_vmscan_checker_catches_flags_of_another_list(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "64MiB");
	uint64_t addr;
	struct task_struct *t = anon_task(m, &addr, 4);
	struct page *p = vt_frame_of(t, addr + PAGE_SIZE);

	(void)state;
	assert_true(PageLRU(p) && !PageActive(p));
	set_page_flag(p, PG_active);
	check_fails(m, "flags name active_anon");
	clear_page_flag(p, PG_active);
	vt_check(m);
	vt_teardown(m);
}

static void test_vmscan_checker_catches_a_page_off_its_list(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "64MiB");
	uint64_t addr;
	struct task_struct *t = anon_task(m, &addr, 4);
	struct page *p = vt_frame_of(t, addr + 2 * PAGE_SIZE);
	struct list_head *prev = p->lru.prev;

	(void)state;
	list_del(&p->lru);
	check_fails(m, "link");
	list_add(&p->lru, prev);
	vt_check(m);
	/* off every list and every batch, without PG_lru: isolated and
	 * forgotten, as a leak of the isolation would leave it */
	list_del(&p->lru);
	clear_page_flag(p, PG_lru);
	node_lruvec(m)->lru_zone_size[page_zonenum(p)][LRU_INACTIVE_ANON]--;
	m->pm.node_data[0].node_zones[page_zonenum(p)].vm_stat[NR_ZONE_INACTIVE_ANON]--;
	m->pm.node_data[0].vm_stat[NR_INACTIVE_ANON]--;
	check_fails(m, "is on no LRU list and in no batch");
	node_lruvec(m)->lru_zone_size[page_zonenum(p)][LRU_INACTIVE_ANON]++;
	m->pm.node_data[0].node_zones[page_zonenum(p)].vm_stat[NR_ZONE_INACTIVE_ANON]++;
	m->pm.node_data[0].vm_stat[NR_INACTIVE_ANON]++;
	set_page_flag(p, PG_lru);
	list_add(&p->lru, prev);
	vt_check(m);
	vt_teardown(m);
}

static void test_vmscan_checker_catches_list_sizes(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "64MiB");
	uint64_t addr;
	struct task_struct *t = anon_task(m, &addr, 4);
	unsigned z = page_zonenum(vt_frame_of(t, addr));

	(void)state;
	node_lruvec(m)->lru_zone_size[z][LRU_INACTIVE_ANON]++;
	check_fails(m, "holds");
	node_lruvec(m)->lru_zone_size[z][LRU_INACTIVE_ANON]--;
	vt_check(m);
	vt_teardown(m);
}

static void test_vmscan_checker_catches_swap_map_counts(void **state)
{
	const char *sets[] = { "memory.size=64MiB", "swap.size=1MiB", NULL };
	struct vmsim_machine *m = boot_sets(sets);
	uint64_t addr, pte;
	struct task_struct *t = anon_task(m, &addr, 2);
	struct swap_info_struct *si;
	swp_entry_t e;

	(void)state;
	assert_int_equal(do_madvise(t->mm, addr, PAGE_SIZE, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	pte = mm_pte_lookup(t->mm, addr);
	assert_true(is_swap_pte(pte));
	e = pte_to_swp_entry(m->pt.fmt, pte);
	si = get_swap_device(&m->vm, e, NULL);
	assert_non_null(si);
	si->swap_map[swp_offset(e)]++;
	check_fails(m, "counts 2 users, 1 PTEs hold it");
	si->swap_map[swp_offset(e)]--;
	vt_check(m);
	assert_int_equal(vt_read_ok(t, addr), 1);
	vt_teardown(m);
}

/*
 * Shared anonymous memory goes to swap through the swap cache
 * (shmem_writepage()): the object keeps the swap entry, nobody's PTE
 * does; a fault reads the page back into the object (a major fault); a
 * never-written page is dropped, not written; swapoff brings the entries
 * back; the object's end frees its slots.
 */
static void test_vmscan_shmem_pages_swap_out_and_back(void **state)
{
	const char *sets[] = { "memory.size=64MiB", "swap.size=1MiB", NULL };
	struct vmsim_machine *m = boot_sets(sets);
	struct task_struct *a = vt_spawn(m, "a", 0, 0), *b;
	struct vmsim_error err = { 0 };
	struct shmem_object *obj;
	uint64_t addr, v;
	unsigned long out0;

	(void)state;
	addr = vt_mmap(a, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(vt_write(a, addr + i * PAGE_SIZE, 0x100 + i), 0);
	v = vt_read_ok(a, addr + 3 * PAGE_SIZE);	/* read only: stays zero */
	assert_int_equal(v, 0);
	assert_int_equal(do_fork(a, "b", 0, &b), 0);
	obj = find_vma(a->mm, addr)->shm;
	lru_add_drain(&m->vm);
	vt_check(m);
	out0 = vmstat(m, "pswpout");
	/* fork copied no PTE of the shared mapping (b faults them in when
	 * it needs them): a maps each page once, and MADV_PAGEOUT takes them */
	assert_int_equal(do_madvise(a->mm, addr, 4 * PAGE_SIZE, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_int_equal(vmstat(m, "pswpout") - out0, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_true(shmem_is_swap(obj->pages[i]));
	assert_null(obj->pages[3]);		/* clean: dropped, not written */
	assert_int_equal(a->mm->rss_stat[MM_SHMEMPAGES] + b->mm->rss_stat[MM_SHMEMPAGES], 0);
	assert_int_equal(a->mm->rss_stat[MM_SWAPENTS], 0);	/* no PTE holds an entry */
	assert_int_equal(vmstat(m, "nr_shmem"), 0);

	/* b reads page 1 back: a major fault into the object, a sees it */
	assert_int_equal(vt_read_ok(b, addr + PAGE_SIZE), 0x101);
	assert_false(shmem_is_swap(obj->pages[1]));
	assert_int_equal(vt_read_ok(a, addr + PAGE_SIZE), 0x101);
	assert_int_equal(vt_write(a, addr + PAGE_SIZE, 0x201), 0);
	assert_int_equal(vt_read_ok(b, addr + PAGE_SIZE), 0x201);
	assert_int_equal(vt_read_ok(a, addr + 3 * PAGE_SIZE), 0);

	/* swapoff brings pages 0 and 2 back into the object */
	assert_int_equal(sys_swapoff(&m->vm, 0, &err), 0);
	vt_check(m);
	assert_false(shmem_is_swap(obj->pages[0]) || shmem_is_swap(obj->pages[2]));
	assert_int_equal(vt_read_ok(b, addr), 0x100);
	assert_int_equal(vt_read_ok(b, addr + 2 * PAGE_SIZE), 0x102);

	/* out again to a new area (the pages only b maps: MADV_PAGEOUT
	 * leaves a page two tasks map), then the object goes with its users */
	assert_int_equal(sys_swapon(&m->vm, 1 * MiB, 0, false, (unsigned *)&v, &err), 0);
	assert_int_equal(do_madvise(a->mm, addr, 4 * PAGE_SIZE, MADV_PAGEOUT, NULL), 0);
	assert_int_equal(do_madvise(b->mm, addr, 4 * PAGE_SIZE, MADV_PAGEOUT, NULL), 0);
	vt_check(m);
	assert_true(shmem_is_swap(obj->pages[0]));
	do_exit(b);
	vt_check(m);
	assert_int_equal(vt_read_ok(a, addr + 2 * PAGE_SIZE), 0x102);
	assert_int_equal(do_munmap(a->mm, addr, 4 * PAGE_SIZE), 0);
	vt_check(m);
	{
		unsigned long free, total;

		si_swapinfo(&m->vm, &free, &total);
		/* every slot free but those this CPU's slot cache holds */
		assert_true(total - free <= 64);
		assert_int_equal(m->vm.swap->swap_info[0]->inuse_pages, total - free);
	}
	vt_teardown(m);
}

/* mlocked pages live on the unevictable list and are never reclaimed;
 * the last munlock puts them back on the inactive list of their kind. */
static void test_vmscan_mlocked_pages_are_unevictable(void **state)
{
	const char *sets[] = { "memory.size=64MiB", "swap.size=1MiB", NULL };
	struct vmsim_machine *m = boot_sets(sets);
	uint64_t addr;
	struct task_struct *t = anon_task(m, &addr, 4);
	unsigned long anon0 = vmstat(m, "nr_inactive_anon");

	(void)state;
	assert_int_equal(sys_mlock(t->mm, addr, 4 * PAGE_SIZE, NULL), 0);
	vt_check(m);
	assert_int_equal(vmstat(m, "nr_unevictable"), 4);
	assert_int_equal(vmstat(m, "nr_inactive_anon"), anon0 - 4);
	assert_int_equal(vmstat(m, "unevictable_pgs_culled"), 4);
	assert_int_equal(vmstat(m, "unevictable_pgs_mlocked"), 4);
	for (unsigned i = 0; i < 4; i++) {
		struct page *p = vt_frame_of(t, addr + i * PAGE_SIZE);

		assert_true(PageMlocked(p) && PageUnevictable(p) && PageLRU(p));
		assert_int_equal(p->mlock_count, 1);
	}
	/* reclaim as hard as it goes: nothing locked is taken */
	reclaim_lruvec(&m->vm, node_lruvec(m), 1024, GFP_KERNEL, true);
	vt_check(m);
	assert_int_equal(t->mm->rss_stat[MM_ANONPAGES], 4);
	assert_int_equal(vmstat(m, "pswpout"), 0);
	assert_int_equal(do_madvise(t->mm, addr, 4 * PAGE_SIZE, MADV_PAGEOUT, NULL), -EINVAL);
	/* the last lock of two pages goes: back to the inactive list */
	assert_int_equal(sys_munlock(t->mm, addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	vt_check(m);
	assert_int_equal(vmstat(m, "nr_unevictable"), 2);
	assert_int_equal(vmstat(m, "unevictable_pgs_rescued"), 2);
	assert_int_equal(vmstat(m, "unevictable_pgs_munlocked"), 2);
	assert_int_equal(do_madvise(t->mm, addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE, MADV_PAGEOUT, NULL),
			 0);
	vt_check(m);
	assert_int_equal(t->mm->rss_stat[MM_SWAPENTS], 2);
	assert_int_equal(vt_read_ok(t, addr + 3 * PAGE_SIZE), 4);
	assert_int_equal(vt_read_ok(t, addr), 1);
	vt_teardown(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmscan_direct_reclaim_scans_size_shifted_by_priority),
		cmocka_unit_test(test_vmscan_referenced_page_gets_a_second_chance_then_activates),
		cmocka_unit_test(test_vmscan_checker_catches_flags_of_another_list),
		cmocka_unit_test(test_vmscan_checker_catches_a_page_off_its_list),
		cmocka_unit_test(test_vmscan_checker_catches_list_sizes),
		cmocka_unit_test(test_vmscan_checker_catches_swap_map_counts),
		cmocka_unit_test(test_vmscan_shmem_pages_swap_out_and_back),
		cmocka_unit_test(test_vmscan_mlocked_pages_are_unevictable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
