/*
 * "Nothing is ever lost": a randomized test of reclaim and swap against a
 * model that knows every byte.
 *
 * A machine far too small for its working set (8 MiB of RAM, most of it
 * pinned by the test, so about 1.3 MiB is left for user pages that want
 * several times that) runs thousands of random operations over up to four
 * tasks: writes of random words (zeroes too, so zero-filled pages reach
 * swap), reads through the MMU (which swap pages in, with readahead),
 * fork (swap entries and COW pages shared), exit, mmap, munmap, mremap
 * (moves, growth and shrinking, swap entries moved with their PTEs),
 * shared anonymous memory (a quarter of the mappings: fork shares it, its
 * pages go to swap through their object),
 * MADV_COLD and MADV_PAGEOUT, swapoff of one of two swap areas and swapon
 * again, and kswapd at every step.  The model holds each task's pages,
 * 4 KiB each, as a program would see them.
 *
 * After every operation:
 *   - the whole-machine checker: the incremental pass, and the full one
 *     every 16 operations (frame counts with the page, swap cache and
 *     LRU batch references; the LRU lists against the flags; swap_map
 *     counts against the PTEs and the caches; the anon_vmas);
 *   - every byte of every page of every task, wherever it is now: the
 *     frame a present PTE maps, or the swap slot a swap entry names (its
 *     swap-cache page, its zero bit, or its stored copy), or for shared
 *     memory what its object holds (a page or a swap slot), or zeroes for
 *     a page never written -- read without faulting, so the check
 *     changes nothing.
 * A mismatch names the task, the address, the offset, the step and the
 * seed (VMSIM_SEED=N reruns one; VMSIM_STEPS=N sets the length).
 *
 * Three kinds of run: 4 KiB pages; huge pages (enabled=always); and the
 * tasks in a memory cgroup whose memory.max is below their working set on
 * a machine with RAM to spare, where only the cgroup's own reclaim makes
 * room (swapoff left out: in a full cgroup it would call the cgroup's
 * OOM killer, which the model does not follow).  Each kind runs on
 * x86_64 and again, shorter, under the other page-table formats: PAE
 * (x86_32-pae: 4 KiB pages, the cgroup) and 5-level paging (x86_64-la57:
 * all three), whose PTEs hold the swap entries and whose tables at every
 * level are allocated, charged and freed.
 */
#include "vma_test.h"

#include "kern/cgroup.h"
#include "vma/memcontrol.h"
#include "vma/swapfile.h"

#define NTASK 4
#define MAXPAGES 3072		/* model pages per task, at most */

/* One kind of run: the machine, what is left for the tasks, the swap. */
struct run_cfg {
	const char *name;
	const char *memory;		/* memory.size */
	bool thp;			/* transparent_hugepage.enabled=always */
	unsigned maxpages;		/* model pages per task */
	unsigned maxtotal;		/* model pages of all tasks */
	unsigned free_left;		/* free pages left after the pin */
	uint64_t area_size;		/* each of the two swap areas */
	unsigned steps;			/* the default length */
	const char *machine;		/* the built-in machine */
	unsigned memcg_max;		/* the tasks' cgroup's memory.max in
					 * pages (0: no cgroup, no limit) */
};

static const struct run_cfg small_pages = {
	"4k", "memory.size=8MiB", false, 1024, 1800, 340, 3 * MiB, 3000, "x86_64", 0,
};
/* the same on the other page-table formats: swap entries in PAE's and
 * 5-level paging's PTEs, their tables at every level */
static const struct run_cfg small_pages_pae = {
	"4k-pae", "memory.size=8MiB", false, 1024, 1800, 340, 3 * MiB, 1500, "x86_32-pae", 0,
};
static const struct run_cfg small_pages_la57 = {
	"4k-la57", "memory.size=8MiB", false, 1024, 1800, 340, 3 * MiB, 1500, "x86_64-la57", 0,
};
/* huge pages: whole aligned 2 MiB slots mapped among the small ones, in a
 * machine with room for two or three huge pages at a time */
static const struct run_cfg huge_pages = {
	"thp", "memory.size=24MiB", true, 3072, 4600, 1600, 10 * MiB, 800, "x86_64", 0,
};
static const struct run_cfg huge_pages_la57 = {
	"thp-la57", "memory.size=24MiB", true, 3072, 4600, 1600, 10 * MiB, 800, "x86_64-la57", 0,
};
/* a memory cgroup: plenty of free RAM, but the tasks' cgroup may hold 500
 * pages (its page tables and stacks included) of a working set of up to
 * 1200: reclaim runs from the cgroup's own lruvec when a charge hits
 * memory.max, never from the machine's watermarks.  Both swap areas stay
 * on (1536 slots): swapoff inside a full cgroup would be the cgroup's
 * OOM killer's business, which the model does not follow. */
static const struct run_cfg in_memcg = {
	"memcg", "memory.size=32MiB", false, 1024, 1200, ~0u, 3 * MiB, 3000, "x86_64", 500,
};
/* the cgroup's page tables charged at PAE's and 5-level paging's levels */
static const struct run_cfg in_memcg_pae = {
	"memcg-pae", "memory.size=32MiB", false, 1024, 1200, ~0u, 3 * MiB, 1500, "x86_32-pae", 500,
};
static const struct run_cfg in_memcg_la57 = {
	"memcg-la57", "memory.size=32MiB", false, 1024, 1200, ~0u, 3 * MiB, 1500, "x86_64-la57", 500,
};
static const struct run_cfg *cfg;
#define MAXTOTAL (cfg->maxtotal)
#define FREE_LEFT (cfg->free_left)
#define AREA_SIZE (cfg->area_size)
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif

struct mpage {
	uint64_t va;
	uint8_t *data;		/* PAGE_SIZE bytes, host memory */
	unsigned *refs;		/* shared memory: the tasks' pages sharing data */
};

struct mtask {
	struct task_struct *t;
	char name[16];
	struct mpage *p;	/* [MAXPAGES] */
	unsigned n;
};

static struct mtask tasks[NTASK];
static unsigned ntasks, total_pages, step, names;
static uint64_t seed, seed0;
static bool area_on[2];
static unsigned nr_swapoff, nr_fork, nr_mremap_moved, max_pages;
static struct mem_cgroup *box;		/* the tasks' cgroup (cfg->memcg_max) */
static unsigned long shmem_swapped_seen;	/* shared pages found in a swap slot */

static uint64_t rnd64(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rnd64() % n);
}

static struct vmsim_machine *boot(void)
{
	char swap[48];
	const char *sets[] = { cfg->memory, "kernel_image.start=2MiB", "kernel_image.size=2MiB",
			       swap, "transparent_hugepage.use_zero_page=true", "transparent_hugepage.defrag=always",
			       cfg->thp ? "transparent_hugepage.enabled=always" :
					  "transparent_hugepage.enabled=never", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;

	snprintf(swap, sizeof(swap), "swap.size=%lluKiB", (unsigned long long)(AREA_SIZE >> 10));
	m = vmsim_machine_create(cfg->machine, sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

static void check(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };

	if (machine_check_point(m, &err))
		fail_msg("step %u (seed %#llx): checker: %s", step, (unsigned long long)seed0, err.msg);
}

/* ---- the bytes a page holds now, read without faulting ---- */

static const uint8_t zeroes[PAGE_SIZE];

static const uint8_t *peek(struct mm_struct *mm, uint64_t va)
{
	struct vmsim_machine *m = vm_machine(mm->vm);
	uint64_t pte = mm_pte_lookup(mm, va);
	struct swap_info_struct *si;
	struct page *page;
	swp_entry_t entry;
	uint64_t o;

	if (!pte) {
		struct vm_area_struct *vma = find_vma(mm, va);
		struct shmem_object *obj;
		struct page *slot;
		uint64_t idx;

		if (!vma || !(obj = vma->shm))
			return zeroes;		/* never written */
		/* shared memory: what its object holds */
		idx = vma->vm_pgoff + ((va - vma->vm_start) >> PAGE_SHIFT);
		slot = idx < obj->nr_pages ? obj->pages[idx] : NULL;
		if (!slot)
			return zeroes;		/* never written (or dropped clean) */
		if (!shmem_is_swap(slot))
			return page_host(&m->pm, slot);
		pte = 0;
		entry.val = shmem_swap_val(slot);
		shmem_swapped_seen++;
		goto swapped;
	}
	if (pte & _PAGE_PRESENT) {
		page = pfn_to_page(&m->pm, (unsigned long)((pte & m->pt.fmt->entry_addr_mask) >>
							   PAGE_SHIFT));
		return page_host(&m->pm, page);
	}
	if (!is_swap_pte(pte))
		fail_msg("step %u: PTE %#llx at %#llx is neither present nor a swap entry", step,
			 (unsigned long long)pte, (unsigned long long)va);
	entry = pte_to_swp_entry(m->pt.fmt, pte);
swapped:
	si = get_swap_device(&m->vm, entry, NULL);
	if (!si)
		fail_msg("step %u: swap entry %#llx at %#llx names no area", step,
			 (unsigned long long)entry.val, (unsigned long long)va);
	if ((page = swap_cache_lookup(&m->vm, entry)))
		return page_host(&m->pm, page);
	o = swp_offset(entry);
	if ((si->zeromap[o / 64] >> (o % 64)) & 1)
		return zeroes;
	if (!swap_slot_copy(si, o))
		fail_msg("step %u: slot %u:%#llx of %#llx holds nothing", step, swp_type(entry),
			 (unsigned long long)o, (unsigned long long)va);
	return swap_slot_copy(si, o);
}

static void verify_all(void)
{
	for (unsigned i = 0; i < ntasks; i++) {
		struct mtask *mt = &tasks[i];

		for (unsigned j = 0; j < mt->n; j++) {
			const uint8_t *got = peek(mt->t->mm, mt->p[j].va);

			if (memcmp(got, mt->p[j].data, PAGE_SIZE)) {
				unsigned off = 0;

				while (got[off] == mt->p[j].data[off])
					off++;
				fail_msg("step %u (seed %#llx): %s %#llx byte %u is %#x, last written %#x",
					 step, (unsigned long long)seed0, mt->name,
					 (unsigned long long)mt->p[j].va, off, got[off],
					 mt->p[j].data[off]);
			}
		}
	}
}

/* ---- the model ---- */

static struct mpage *mfind(struct mtask *mt, uint64_t va)
{
	for (unsigned j = 0; j < mt->n; j++)
		if (mt->p[j].va == va)
			return &mt->p[j];
	return NULL;
}

/* A page of the task at @va: private and zero, or shared memory whose
 * bytes @share (another task's page) holds, or new shared zeroes. */
static struct mpage *madd_page(struct mtask *mt, uint64_t va, bool shared,
			       const struct mpage *share)
{
	struct mpage *mp = &mt->p[mt->n];

	assert_true(mt->n < cfg->maxpages);
	mp->va = va;
	if (share) {
		mp->data = share->data;
		mp->refs = share->refs;
		++*mp->refs;
	} else {
		mp->data = calloc(1, PAGE_SIZE);
		assert_non_null(mp->data);
		mp->refs = NULL;
		if (shared) {
			mp->refs = calloc(1, sizeof(*mp->refs));
			assert_non_null(mp->refs);
			*mp->refs = 1;
		}
	}
	mt->n++;
	total_pages++;
	return mp;
}

static void madd(struct mtask *mt, uint64_t va)
{
	madd_page(mt, va, false, NULL);
}

static void mput(struct mpage *mp)
{
	if (mp->refs && --*mp->refs)
		return;
	free(mp->refs);
	free(mp->data);
}

static void mremove(struct mtask *mt, uint64_t start, uint64_t end)
{
	for (unsigned j = 0; j < mt->n;)
		if (mt->p[j].va >= start && mt->p[j].va < end) {
			mput(&mt->p[j]);
			mt->p[j] = mt->p[--mt->n];
			total_pages--;
		} else {
			j++;
		}
}

static struct mtask *pick_task(void)
{
	return &tasks[rnd(ntasks)];
}

/* ---- the operations ---- */

static void op_mmap(struct mtask *mt)
{
	uint64_t n = 1 + rnd(48);
	bool shared = !rnd(4);	/* shared anonymous memory: a shmem object */
	int64_t r;

	if (total_pages + n > MAXTOTAL || mt->n + n > cfg->maxpages)
		return;
	r = vm_mmap(mt->t->mm, NULL, 0, n * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, 0);
	if (r < 0)
		fail_msg("step %u: mmap of %llu pages: %lld", step, (unsigned long long)n,
			 (long long)r);
	for (uint64_t i = 0; i < n; i++)
		madd_page(mt, (uint64_t)r + i * PAGE_SIZE, shared, NULL);
}

/* Huge-page runs: a mapping of one or two whole PMD spans, which the
 * kernel's placement aligns (thp_get_unmapped_area()), so that the first
 * write faults a huge page and a first read maps the huge zero page. */
static void op_mmap_huge(struct mtask *mt)
{
	const uint64_t n = (1 + rnd(2)) * 512;
	int64_t r;

	if (total_pages + n > MAXTOTAL || mt->n + n > cfg->maxpages)
		return;
	r = vm_mmap(mt->t->mm, NULL, 0, n * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (r < 0)
		fail_msg("step %u: mmap of %llu pages: %lld", step, (unsigned long long)n,
			 (long long)r);
	if ((uint64_t)r & (2 * MiB - 1))
		fail_msg("step %u: a %llu-page mapping at %#llx is not PMD-aligned", step,
			 (unsigned long long)n, (long long)r);
	for (uint64_t i = 0; i < n; i++)
		madd(mt, (uint64_t)r + i * PAGE_SIZE);
}

static void op_write(struct mtask *mt)
{
	struct mpage *mp;
	unsigned words = 1 + rnd(rnd(8) ? 8 : 64);
	bool zero = !rnd(10);

	if (!mt->n)
		return;
	mp = &mt->p[rnd(mt->n)];
	for (unsigned w = 0; w < words; w++) {
		unsigned off = rnd(PAGE_SIZE / 8) * 8;
		uint64_t v = zero ? 0 : rnd64();
		struct access_result r;

		assert_int_equal(task_access(mt->t, mp->va + off, MMU_WRITE, &v, 8, &r), 0);
		if (vt_signal(&r))
			fail_msg("step %u: write to %#llx: signal %d", step,
				 (unsigned long long)mp->va + off, vt_signal(&r));
		memcpy(mp->data + off, &v, 8);
	}
}

/* Write a few words to each page of a run of up to 32 pages of one VMA:
 * what makes the working set outgrow memory. */
static void op_fill(struct mtask *mt)
{
	struct vm_area_struct *vma;
	uint64_t va;

	if (!mt->n)
		return;
	vma = find_vma(mt->t->mm, mt->p[rnd(mt->n)].va);
	assert_non_null(vma);
	va = vma->vm_start + rnd((unsigned)vma_pages(vma)) * PAGE_SIZE;
	for (unsigned i = rnd(32) + 1; i && va < vma->vm_end; i--, va += PAGE_SIZE) {
		struct mpage *mp = mfind(mt, va);

		assert_non_null(mp);
		for (unsigned w = 0; w < 4; w++) {
			unsigned off = rnd(PAGE_SIZE / 8) * 8;
			uint64_t v = rnd64();
			struct access_result r;

			assert_int_equal(task_access(mt->t, va + off, MMU_WRITE, &v, 8, &r), 0);
			if (vt_signal(&r))
				fail_msg("step %u: write to %#llx: signal %d", step,
					 (unsigned long long)va + off, vt_signal(&r));
			memcpy(mp->data + off, &v, 8);
		}
	}
}

static void op_read(struct mtask *mt)
{
	struct mpage *mp;
	unsigned off;
	struct access_result r;
	uint64_t v = 0, want;

	if (!mt->n)
		return;
	mp = &mt->p[rnd(mt->n)];
	off = rnd(PAGE_SIZE / 8) * 8;
	assert_int_equal(task_access(mt->t, mp->va + off, MMU_READ, &v, 8, &r), 0);
	if (vt_signal(&r))
		fail_msg("step %u: read of %#llx: signal %d", step, (unsigned long long)mp->va + off,
			 vt_signal(&r));
	memcpy(&want, mp->data + off, 8);
	if (v != want)
		fail_msg("step %u (seed %#llx): %s read %#llx at %#llx, last written %#llx", step,
			 (unsigned long long)seed0, mt->name, (unsigned long long)v,
			 (unsigned long long)mp->va + off, (unsigned long long)want);
}

static void op_fork(struct mtask *mt)
{
	struct mtask *c;

	if (ntasks == NTASK || total_pages + mt->n > MAXTOTAL)
		return;
	c = &tasks[ntasks];
	snprintf(c->name, sizeof(c->name), "t%u", names++);
	if (do_fork(mt->t, c->name, 0, &c->t))
		return;		/* out of memory for the copy: nothing changed */
	nr_fork++;
	c->n = 0;
	for (unsigned j = 0; j < mt->n; j++) {
		if (mt->p[j].refs) {
			madd_page(c, mt->p[j].va, true, &mt->p[j]);	/* the same object */
			continue;
		}
		madd(c, mt->p[j].va);
		memcpy(c->p[j].data, mt->p[j].data, PAGE_SIZE);
	}
	ntasks++;
}

static void op_exit(struct mtask *mt)
{
	if (ntasks == 1)
		return;
	do_exit(mt->t);
	mremove(mt, 0, UINT64_MAX);
	free(mt->p);
	*mt = tasks[--ntasks];
	tasks[ntasks] = (struct mtask){ 0 };
	tasks[ntasks].p = calloc(cfg->maxpages, sizeof(struct mpage));
	assert_non_null(tasks[ntasks].p);
}

static void op_munmap(struct mtask *mt)
{
	uint64_t start, len;

	if (!mt->n)
		return;
	start = mt->p[rnd(mt->n)].va;
	len = (1 + rnd(8)) * PAGE_SIZE;
	assert_int_equal(do_munmap(mt->t->mm, start, len), 0);
	mremove(mt, start, start + len);
}

static void op_mremap(struct mtask *mt)
{
	struct vm_area_struct *vma;
	uint64_t a, ol, nl, va;
	int64_t r;

	if (!mt->n)
		return;
	va = mt->p[rnd(mt->n)].va;
	vma = find_vma(mt->t->mm, va);
	assert_non_null(vma);
	a = vma->vm_start + rnd((unsigned)vma_pages(vma)) * PAGE_SIZE;
	ol = (1 + rnd((unsigned)((vma->vm_end - a) / PAGE_SIZE))) * PAGE_SIZE;
	nl = (1 + rnd(2 * (unsigned)(ol / PAGE_SIZE))) * PAGE_SIZE;
	if (vma->shm && nl > ol)
		nl = ol;	/* past the object's end would be SIGBUS */
	if (nl > ol && (total_pages + (nl - ol) / PAGE_SIZE > MAXTOTAL ||
			mt->n + (nl - ol) / PAGE_SIZE > cfg->maxpages))
		nl = ol;
	r = do_mremap(mt->t->mm, a, ol, nl, MREMAP_MAYMOVE, 0);
	if (r == -ENOMEM)
		return;		/* no room, or no memory: nothing moved */
	if (r < 0)
		fail_msg("step %u: mremap(%#llx, %#llx, %#llx): %lld", step, (unsigned long long)a,
			 (unsigned long long)ol, (unsigned long long)nl, (long long)r);
	if ((uint64_t)r != a)
		nr_mremap_moved++;
	if (nl < ol)
		mremove(mt, a + nl, a + ol);
	for (unsigned j = 0; j < mt->n; j++)
		if (mt->p[j].va >= a && mt->p[j].va < a + ol)
			mt->p[j].va = (uint64_t)r + (mt->p[j].va - a);
	for (uint64_t off = ol; off < nl; off += PAGE_SIZE)
		madd(mt, (uint64_t)r + off);
}

static void op_madvise(struct mtask *mt)
{
	uint64_t start, len;
	int ret;

	if (!mt->n)
		return;
	start = mt->p[rnd(mt->n)].va;
	len = (1 + rnd(16)) * PAGE_SIZE;
	if (cfg->thp && rnd(2)) {
		/* the whole PMD span around it: a huge page there is aged or
		 * reclaimed whole (split for swap-out) */
		start &= ~(2 * MiB - 1);
		len = 2 * MiB;
	}
	ret = do_madvise(mt->t->mm, start, len, rnd(2) ? MADV_PAGEOUT : MADV_COLD, NULL);
	/* a hole in the range is ENOMEM after the rest was advised */
	if (ret && ret != -ENOMEM)
		fail_msg("step %u: madvise: %d", step, ret);
}

static void op_swap(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };
	unsigned type;
	int t = rnd(2);

	if (area_on[t] && area_on[!t]) {
		int ret = sys_swapoff(&m->vm, (unsigned)t, &err);

		/* the pages must fit in memory and the other area */
		if (ret && ret != -ENOMEM)
			fail_msg("step %u: swapoff %d: %d %s", step, t, ret, err.msg);
		if (!ret) {
			area_on[t] = false;
			nr_swapoff++;
		}
	} else if (!area_on[t]) {
		if (sys_swapon(&m->vm, AREA_SIZE, 0, false, &type, &err))
			fail_msg("step %u: swapon: %s", step, err.msg);
		assert_int_equal(type, t);
		area_on[t] = true;
	}
}

static void run(uint64_t s, unsigned steps)
{
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	struct page **pinned = calloc(4096, sizeof(*pinned));
	unsigned npinned = 0, type;
	const unsigned pin_order = cfg->thp ? 9 : 0;
	struct spawn_args a = { 0 };

	seed = seed0 = s;
	step = 0;
	nr_swapoff = nr_fork = nr_mremap_moved = max_pages = 0;
	shmem_swapped_seen = 0;
	names = 1;
	assert_non_null(pinned);
	/* pin kernel pages until little is left for the tasks; for huge
	 * pages, whole PMD blocks, so that what is left holds some */
	while (FREE_LEFT != ~0u && nr_free_pages(&m->pm) > FREE_LEFT + (1u << pin_order) &&
	       npinned < 4096)
		assert_non_null(pinned[npinned++] = alloc_pages(&m->pm, GFP_KERNEL, pin_order));
	area_on[0] = true;
	assert_int_equal(sys_swapon(&m->vm, AREA_SIZE, 0, false, &type, &err), 0);
	area_on[1] = true;
	assert_int_equal(machine_check_start(m, 16), 0);
	for (unsigned i = 0; i < NTASK; i++) {
		tasks[i] = (struct mtask){ 0 };
		tasks[i].p = calloc(cfg->maxpages, sizeof(struct mpage));
		assert_non_null(tasks[i].p);
	}
	snprintf(tasks[0].name, sizeof(tasks[0].name), "t0");
	assert_int_equal(task_spawn(m, "t0", &a, &tasks[0].t), 0);
	box = NULL;
	if (cfg->memcg_max) {
		/* t0 and every task forked from it in the box */
		assert_int_equal(cgroup_mkdir(m, "box", &box), 0);
		assert_int_equal(cgroup_attach_task(tasks[0].t, box), 0);
		memory_max_write(&m->vm, box, cfg->memcg_max);
	}
	ntasks = 1;
	total_pages = 0;
	for (step = 1; step <= steps; step++) {
		struct mtask *mt = pick_task();
		unsigned op = rnd(100);

		if (op < 25)
			op_write(mt);
		else if (op < 40)
			op_fill(mt);
		else if (op < 60)
			op_read(mt);
		else if (op < 70)
			cfg->thp && rnd(2) ? op_mmap_huge(mt) : op_mmap(mt);
		else if (op < 75)
			op_munmap(mt);
		else if (op < 82)
			op_mremap(mt);
		else if (op < 87)
			op_fork(mt);
		else if (op < 90)
			op_exit(mt);
		else if (op < 96)
			op_madvise(mt);
		else if (!box)
			op_swap(m);
		else
			op_write(mt);
		/* a kswapd point, as between scenario steps */
		machine_kswapd_point(m);
		if (total_pages > max_pages)
			max_pages = total_pages;
		check(m);
		verify_all();
	}
	if (machine_check(m, &err))
		fail_msg("final full check (seed %#llx): %s", (unsigned long long)seed0, err.msg);
	/* every page read back through the MMU after the machine swapped */
	for (unsigned i = 0; i < ntasks; i++)
		for (unsigned j = 0; j < tasks[i].n; j++)
			for (unsigned off = 0; off < PAGE_SIZE; off += 8) {
				struct access_result r;
				uint64_t v, want;

				assert_int_equal(task_access(tasks[i].t, tasks[i].p[j].va + off, MMU_READ,
							     &v, 8, &r), 0);
				memcpy(&want, tasks[i].p[j].data + off, 8);
				if (vt_signal(&r) || v != want)
					fail_msg("read-back (seed %#llx): %s %#llx: %#llx, want %#llx",
						 (unsigned long long)seed0, tasks[i].name,
						 (unsigned long long)tasks[i].p[j].va + off,
						 (unsigned long long)v, (unsigned long long)want);
			}
	{
		unsigned long pswpin, pswpout;

		assert_int_equal(vmstat_read(&m->pm, "pswpin", &pswpin), 0);
		assert_int_equal(vmstat_read(&m->pm, "pswpout", &pswpout), 0);
		printf("seed %#llx: %u steps, up to %u pages in %u free, %u forks, %u mremap moves, "
		       "%u swapoffs, pswpin %lu, pswpout %lu, shared pages seen in swap %lu\n",
		       (unsigned long long)seed0, steps, max_pages,
		       FREE_LEFT == ~0u ? (unsigned)nr_free_pages(&m->pm) : FREE_LEFT, nr_fork,
		       nr_mremap_moved, nr_swapoff, pswpin, pswpout, shmem_swapped_seen);
		/* the run must have swapped both ways, or it tested nothing */
		if (!pswpin || !pswpout || (!nr_swapoff && !box) || !nr_fork || !nr_mremap_moved ||
		    !shmem_swapped_seen)
			fail_msg("seed %#llx: pswpin %lu pswpout %lu: no swapping happened",
				 (unsigned long long)seed0, pswpin, pswpout);
		if (box) {
			const unsigned long *ev = m->pm.vmstat.event;

			printf("  cgroup: peak %lu of %u pages, %lu max events, scanned %lu, "
			       "reclaimed %lu, %lu oom kills\n", box->memory.watermark, cfg->memcg_max,
			       box->memory_events[MEMCG_MAX], memcg_events(box, PGSCAN_DIRECT),
			       memcg_events(box, PGSTEAL_DIRECT), box->memory_events[MEMCG_OOM_KILL]);
			/* the cgroup's limit, not the machine's watermarks,
			 * made the pages go: no global reclaim at all */
			for (unsigned z = 0; z < MAX_NR_ZONES; z++)
				assert_int_equal(ev[ALLOCSTALL_DMA + z], 0);
			assert_int_equal(ev[PGSCAN_KSWAPD] + ev[PGSCAN_DIRECT], 0);
			assert_true(box->memory.watermark <= cfg->memcg_max);
			assert_true(box->memory_events[MEMCG_MAX] > 0);
			assert_true(memcg_events(box, PGSTEAL_DIRECT) > 0);
			assert_int_equal(box->memory_events[MEMCG_OOM], 0);
		}
		if (cfg->thp) {
			const unsigned long *ev = m->pm.vmstat.event;

			printf("  huge pages: %lu faulted, %lu PMD splits, %lu split into pages "
			       "(%lu for swap-out), %lu split failures\n", ev[THP_FAULT_ALLOC],
			       ev[THP_SPLIT_PMD], ev[THP_SPLIT_PAGE], ev[THP_SWPOUT_FALLBACK],
			       ev[THP_SPLIT_PAGE_FAILED]);
			/* huge pages must have been made, split and swapped out */
			if (!ev[THP_FAULT_ALLOC] || !ev[THP_SPLIT_PMD] || !ev[THP_SWPOUT_FALLBACK])
				fail_msg("seed %#llx: no huge page was swapped out",
					 (unsigned long long)seed0);
		}
	}
	for (unsigned i = 0; i < NTASK; i++) {
		mremove(&tasks[i], 0, UINT64_MAX);
		free(tasks[i].p);
		tasks[i].p = NULL;
	}
	while (npinned)
		__free_pages(&m->pm, pinned[--npinned], pin_order);
	free(pinned);
	vt_teardown(m);
}

static unsigned env_u(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static void run_all(const struct run_cfg *c)
{
	unsigned steps;
	const char *one = getenv("VMSIM_SEED");

	cfg = c;
	steps = env_u("VMSIM_STEPS", c->steps);
	if (one && *one) {
		run(strtoull(one, NULL, 0), steps);
		return;
	}
	for (uint64_t s = 1; s <= 3; s++)
		run(s * 0x9e3779b97f4a7c15ULL, steps);
}

static void test_swap_random_nothing_is_lost(void **state)
{
	(void)state;
	run_all(&small_pages);
	run_all(&small_pages_pae);
	run_all(&small_pages_la57);
}

/* The same under transparent_hugepage.enabled=always: huge pages faulted,
 * split by reclaim and swapped out 4 KiB at a time, forked, copied on
 * write, moved by mremap and partly unmapped, every byte checked. */
static void test_swap_random_huge_pages(void **state)
{
	(void)state;
	run_all(&huge_pages);
	run_all(&huge_pages_la57);
}

/* The same in a memory cgroup whose memory.max is below the working
 * set: the cgroup reclaims from its own lruvec (try_to_free_mem_cgroup_pages)
 * and its swap charges follow the slots, every byte checked. */
static void test_swap_random_in_a_memcg(void **state)
{
	(void)state;
	run_all(&in_memcg);
	run_all(&in_memcg_pae);
	run_all(&in_memcg_la57);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swap_random_nothing_is_lost),
		cmocka_unit_test(test_swap_random_huge_pages),
		cmocka_unit_test(test_swap_random_in_a_memcg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
