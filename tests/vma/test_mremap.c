/*
 * Known-answer tests of mremap(2), each expectation taken from the kernel's
 * own (LTP mremap01-09, selftests/mm mremap_test.c and mremap_dontunmap.c,
 * tools/testing/vma copy_vma/merge_extend) and confirmed on a Linux 6.18
 * host with `setarch -R`: every errno, shrink and growth in place, moves
 * with the data intact and the very same frames (page tables move, pages
 * do not), whole PTE and PMD tables relinked where aligned, the merge
 * shapes at the destination, MREMAP_DONTUNMAP, MREMAP_FIXED over existing
 * mappings and across several VMAs, shared duplicates, locked memory and
 * its limit, VM_ACCOUNT, fork, a stack, glibc's realloc pattern, and a
 * move that runs out of memory halfway.  The whole-machine checker runs
 * after every call.
 */
#include "vma_test.h"

#include <unistd.h>

#include "kern/exec.h"
#include "kern/oom.h"
#include "mmu/pgtable.h"
#include "vma/filemap.h"

#define PRW (PROT_READ | PROT_WRITE)
#define PG 4096ULL
#define MAYMOVE MREMAP_MAYMOVE
#define FIXED (MREMAP_MAYMOVE | MREMAP_FIXED)
#define DONTUNMAP (MREMAP_MAYMOVE | MREMAP_DONTUNMAP)
/* x86_64 with an 8 MiB stack rlimit */
#define BASE64 0x7ffff7fff000ULL

static int64_t mr(struct task_struct *t, uint64_t old, uint64_t old_len, uint64_t new_len,
		  unsigned long flags, uint64_t new_addr)
{
	int64_t r = do_mremap(t->mm, old, old_len, new_len, flags, new_addr);

	vt_check(vm_machine(t->mm->vm));
	return r;
}

static uint64_t map_at(struct task_struct *t, uint64_t addr, uint64_t len, unsigned long prot,
		       unsigned long flags)
{
	return vt_mmap(t, addr, len, prot, flags | MAP_FIXED);
}

/* The word each page of a test pattern holds at its start. */
static uint64_t pattern(uint64_t seed, uint64_t i)
{
	return seed * 0x9e3779b97f4a7c15ULL + i;
}

/* Write page i of [va, va + n pages) with pattern(seed, i), without the
 * per-access checker (the callers check after each system call). */
static void fill(struct task_struct *t, uint64_t va, uint64_t n, uint64_t seed)
{
	struct access_result r;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = pattern(seed, i);

		assert_int_equal(task_access(t, va + i * PG, MMU_WRITE, &v, sizeof(v), &r), 0);
		if (vt_signal(&r))
			fail_msg("write %#llx: signal %#x", (unsigned long long)(va + i * PG),
				 vt_signal(&r));
	}
}

/* Pages [va, va + n pages) hold pattern(seed, first + i). */
static void verify_from(struct task_struct *t, uint64_t va, uint64_t n, uint64_t seed,
			uint64_t first)
{
	struct access_result r;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = 0, want = pattern(seed, first + i);

		assert_int_equal(task_access(t, va + i * PG, MMU_READ, &v, sizeof(v), &r), 0);
		if (vt_signal(&r) || v != want)
			fail_msg("page %llu at %#llx: signal %#x, %#llx instead of %#llx",
				 (unsigned long long)(first + i), (unsigned long long)(va + i * PG),
				 vt_signal(&r), (unsigned long long)v, (unsigned long long)want);
	}
}

static void verify(struct task_struct *t, uint64_t va, uint64_t n, uint64_t seed)
{
	verify_from(t, va, n, seed, 0);
}

/* The frame a present PTE maps at @va, 0 if none. */
static uint64_t pfn_at(struct task_struct *t, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(t->mm, va);

	return pte & _PAGE_PRESENT ? (pte & t->mm->vm->pt->fmt->entry_addr_mask) >> 12 : 0;
}

/* The entry of @va's path at the PMD level (pmd, or the x86_32 pgd). */
static void pmd_of(struct task_struct *t, uint64_t va, uint64_t *epa, uint64_t *e)
{
	struct pt_ctx *pt = t->mm->vm->pt;
	const unsigned d = (unsigned)pt->fmt->depth_of[PT_PMD];
	struct pt_path p;

	pt_lookup(pt, t->mm->pgd, va, &p);
	*epa = p.n > d ? p.epa[d] : 0;
	*e = p.n > d ? p.e[d] : 0;
}

/* The page table that @va's PMD entry links, 0 if none. */
static uint64_t pte_table_of(struct task_struct *t, uint64_t va)
{
	uint64_t epa, e;

	pmd_of(t, va, &epa, &e);
	return e & _PAGE_PRESENT ? e & t->mm->vm->pt->fmt->entry_addr_mask & ~0xfffULL : 0;
}

/* Map @len of private memory at @a, write every page, move it to @b with
 * MREMAP_FIXED and check the data there: did the PTE table of @a + @off
 * move along (now the one of @b + @off)? */
static bool moves_table(struct task_struct *t, uint64_t a, uint64_t b, uint64_t len,
			uint64_t off, uint64_t seed)
{
	uint64_t table;

	map_at(t, a, len, PRW, MAP_PRIVATE);
	fill(t, a, len / PG, seed);
	table = pte_table_of(t, a + off);
	assert_int_equal(mr(t, a, len, len, FIXED, b), b);
	verify(t, b, len / PG, seed);
	return table && pte_table_of(t, b + off) == table;
}

static struct vm_area_struct *vma_at(struct task_struct *t, uint64_t va)
{
	struct vm_area_struct *vma = vma_lookup(t->mm, va);

	assert_non_null(vma);
	return vma;
}

/* ---- errors ---- */

static void test_mremap_errors(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = map_at(t, 0x10000000, 4 * PG, PRW, MAP_PRIVATE);
	const uint64_t ts = t->mm->task_size;

	(void)state;
	map_at(t, 0x10006000, PG, PROT_READ, MAP_PRIVATE);
	/* check_mremap_params() (LTP mremap02, mremap05) */
	assert_int_equal(mr(t, a + 1, PG, 2 * PG, 0, 0), -EINVAL);
	assert_int_equal(mr(t, a, PG, 2 * PG, 8, 0), -EINVAL);
	assert_int_equal(mr(t, a, PG, 0, 0, 0), -EINVAL);
	assert_int_equal(mr(t, a, PG, ~0ULL, 0, 0), -EINVAL);	/* aligns to 0 */
	assert_int_equal(mr(t, a, PG, ts + PG, 0, 0), -EINVAL);
	assert_int_equal(mr(t, a, 4 * PG, 4 * PG, MREMAP_FIXED, 0x20000000), -EINVAL);
	assert_int_equal(mr(t, a, 4 * PG, 4 * PG, MREMAP_DONTUNMAP, 0x20000000), -EINVAL);
	assert_int_equal(mr(t, a, 4 * PG, 5 * PG, DONTUNMAP, 0), -EINVAL);
	assert_int_equal(mr(t, a, 4 * PG, 4 * PG, FIXED, a + 2 * PG), -EINVAL);
	assert_int_equal(mr(t, a, 4 * PG, 4 * PG, FIXED, 0x20000001), -EINVAL);
	assert_int_equal(mr(t, a, 2 * PG, 2 * PG, FIXED, ts - PG), -EINVAL);
	/* a private mapping cannot be duplicated */
	assert_int_equal(mr(t, a, 0, 4 * PG, MAYMOVE, 0), -EINVAL);
	/* new_address is not looked at without FIXED or DONTUNMAP */
	assert_int_equal(mr(t, a, 2 * PG, 2 * PG, 0, ~0xfffULL), a);
	assert_int_equal(mr(t, a, 4 * PG, 5 * PG, 0, ~0xfffULL), a);
	/* no VMA at the address (LTP mremap03), or the range leaves it */
	assert_int_equal(mr(t, 0x30000000, PG, 2 * PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(mr(t, a + PG, 6 * PG, 7 * PG, MAYMOVE, 0), -EFAULT);
	/* growth that cannot happen in place without MREMAP_MAYMOVE
	 * (LTP mremap09): blocked by the next VMA, or not at the VMA's end */
	assert_int_equal(mr(t, a, 5 * PG, 7 * PG, 0, 0), -ENOMEM);
	assert_int_equal(mr(t, a, PG, 3 * PG, 0, 0), -ENOMEM);
	/* an unprivileged task may not go below mmap_min_addr */
	assert_int_equal(mr(t, a, PG, PG, FIXED, 0x1000), -EPERM);
	assert_layout(t->mm, "10000000-10005000 rw- 10006000-10007000 r--");
	vmsim_machine_destroy(m);
}

/* ---- in place ---- */

static void test_mremap_shrink_in_place(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = map_at(t, 0x10000000, 8 * PG, PRW, MAP_PRIVATE);

	(void)state;
	fill(t, a, 8, 1);
	assert_int_equal(get_mm_rss(t->mm), 8);
	/* the head stays, the tail and its frames go */
	assert_int_equal(mr(t, a, 8 * PG, 3 * PG, 0, 0), a);
	assert_layout(t->mm, "10000000-10003000 rw-");
	assert_int_equal(get_mm_rss(t->mm), 3);
	assert_int_equal(t->mm->total_vm, 3);
	verify(t, a, 3, 1);
	/* a shrink may cross into the next VMAs: all of the tail goes */
	map_at(t, a + 3 * PG, 2 * PG, PROT_READ, MAP_PRIVATE);
	map_at(t, a + 6 * PG, PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, a, 8 * PG, PG, 0, 0), a);
	assert_layout(t->mm, "10000000-10001000 rw-");
	verify(t, a, 1, 1);
	/* a fixed shrink may cross too, as long as what moves fits in the
	 * first VMA (the host: EFAULT with nothing changed, then a move) */
	map_at(t, 0x30000000, 4 * PG, PRW, MAP_PRIVATE);
	map_at(t, 0x30004000, 4 * PG, PROT_READ, MAP_PRIVATE);
	fill(t, 0x30000000, 2, 24);
	assert_int_equal(mr(t, 0x30000000, 8 * PG, 6 * PG, FIXED, 0x21000000), -EFAULT);
	assert_layout(t->mm, "10000000-10001000 rw- 30000000-30004000 rw- 30004000-30008000 r--");
	assert_int_equal(mr(t, 0x30000000, 8 * PG, 2 * PG, FIXED, 0x20000000), 0x20000000);
	assert_layout(t->mm, "10000000-10001000 rw- 20000000-20002000 rw-");
	verify(t, 0x20000000, 2, 24);
	vmsim_machine_destroy(m);
}

static void test_mremap_grow_in_place(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t a = map_at(t, 0x10000000, 3 * PG, PRW, MAP_PRIVATE);

	(void)state;
	fill(t, a, 3, 2);
	/* "mremap expand merge": the hole refilled, one VMA again */
	assert_int_equal(do_munmap(t->mm, a + PG, PG), 0);
	assert_int_equal(mr(t, a, PG, 2 * PG, 0, 0), a);
	assert_layout(t->mm, "10000000-10003000 rw-");
	assert_int_equal(vt_read_ok(t, a + PG), 0);	/* the new page is empty */
	assert_int_equal(vt_read_ok(t, a + 2 * PG), pattern(2, 2));
	/* "mremap expand merge offset": from the middle to the VMA's end */
	assert_int_equal(do_munmap(t->mm, a + 2 * PG, PG), 0);
	assert_int_equal(mr(t, a + PG, PG, 2 * PG, 0, 0), a + PG);
	assert_layout(t->mm, "10000000-10003000 rw-");
	/* into free space, the frames where they were */
	uint64_t pfn0 = pfn_at(t, a);
	assert_int_equal(mr(t, a, 3 * PG, 16 * PG, 0, 0), a);
	assert_layout(t->mm, "10000000-10010000 rw-");
	assert_int_equal(pfn_at(t, a), pfn0);
	assert_int_equal(t->mm->total_vm, 16);
	assert_int_equal(t->mm->data_vm, 16);
	/* growth stops at the next VMA: without MAYMOVE, ENOMEM */
	map_at(t, a + 20 * PG, PG, PROT_READ, MAP_PRIVATE);
	assert_int_equal(mr(t, a, 16 * PG, 20 * PG, 0, 0), a);
	assert_int_equal(mr(t, a, 20 * PG, 21 * PG, 0, 0), -ENOMEM);
	/* a compatible next VMA that touches is merged into the growth
	 * (vma_merge_extend): [a, a+20) grows to it, then both are one */
	assert_int_equal(do_munmap(t->mm, a + 20 * PG, PG), 0);
	map_at(t, a + 22 * PG, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, a, 20 * PG, 22 * PG, 0, 0), a);
	assert_layout(t->mm, "10000000-10018000 rw-");
	assert_int_equal(t->mm->map_count, 1);
	vmsim_machine_destroy(m);
}

/* ---- moves ---- */

static void test_mremap_grow_moves_pages_not(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = map_at(t, 0x10000000, 4 * PG, PRW, MAP_PRIVATE);
	uint64_t pfn[4], b;
	struct page *page;

	(void)state;
	fill(t, a, 4, 3);
	map_at(t, a + 6 * PG, 2 * PG, PROT_READ, MAP_PRIVATE);
	for (int i = 0; i < 4; i++)
		pfn[i] = pfn_at(t, a + (uint64_t)i * PG);
	/* grows into the 2 free pages, then has to move: top-down from
	 * mmap_base, like the host's 0x7ffff7fb7000 below its other maps */
	assert_int_equal(mr(t, a, 4 * PG, 6 * PG, 0, 0), a);
	b = (uint64_t)mr(t, a, 6 * PG, 9 * PG, MAYMOVE, 0);
	assert_int_equal(b, BASE64 - 9 * PG);
	assert_layout(t->mm, "10006000-10008000 r-- 7ffff7ff6000-7ffff7fff000 rw-");
	verify(t, b, 4, 3);
	for (int i = 0; i < 4; i++) {
		/* the same frames, mapped once, referenced once */
		assert_int_equal(pfn_at(t, b + (uint64_t)i * PG), pfn[i]);
		page = pfn_to_page(&m->pm, (unsigned long)pfn[i]);
		assert_int_equal(page_mapcount(page), 1);
		assert_int_equal(page_ref_count(page), 1);
		/* the page keeps its index: the VMA kept its pgoff */
		assert_int_equal(page->index, (a >> 12) + (uint64_t)i);
	}
	assert_int_equal(vma_at(t, b)->vm_pgoff, a >> 12);
	assert_int_equal(get_mm_rss(t->mm), 4);
	assert_int_equal(t->mm->total_vm, 11);
	assert_int_equal(vt_read_ok(t, b + 8 * PG), 0);
	/* the old range is gone */
	uint64_t v;
	assert_int_equal(vt_read(t, a, &v), SEGV_MAPERR);
	vmsim_machine_destroy(m);
}

/* A 2 MiB-aligned source and destination: the PTE table itself moves, its
 * page now recording the new PMD entry; the old PMD entry is empty. */
static void test_mremap_move_relinks_pte_tables(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x40000000, b = 0x40800000;
	uint64_t old_epa, new_epa, e, table;
	unsigned long tables;

	(void)state;
	assert_true(moves_table(t, a, b, 4 * MiB, 2 * MiB, 4));
	pmd_of(t, b + 2 * MiB, &new_epa, &e);
	table = pte_table_of(t, b + 2 * MiB);
	assert_int_equal(pfn_to_page(&m->pm, (unsigned long)(table >> 12))->index, new_epa);
	/* the old entry, in the same PMD table, is empty */
	pmd_of(t, a + 2 * MiB, &old_epa, &e);
	assert_int_not_equal(old_epa, 0);
	assert_int_equal(e, 0);
	assert_int_equal(get_mm_rss(t->mm), 1024);
	/* back again, leaving b mapped: the TLB entries the reads just made
	 * for b must not survive the relink; no table is made or freed (both
	 * ranges lie under the same PMD table) */
	tables = m->pt.nr_tables;
	assert_int_equal(mr(t, b, 4 * MiB, 4 * MiB, FIXED | MREMAP_DONTUNMAP, a), a);
	assert_int_equal(pte_table_of(t, a + 2 * MiB), table);
	assert_int_equal(m->pt.nr_tables, tables);
	verify(t, a, 1024, 4);
	assert_int_equal(vt_read_ok(t, b + 3 * MiB), 0);
	assert_int_equal(get_mm_rss(t->mm), 1024);
	vmsim_machine_destroy(m);
}

/* 1 GiB-aligned source and destination on x86_64: the PMD table moves
 * (move_normal_pud), with every PTE table below it. */
static void test_mremap_move_relinks_pmd_tables(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x40000000, b = 0x100000000;
	struct pt_path p1, p2;

	(void)state;
	map_at(t, a, GiB, PRW, MAP_PRIVATE | MAP_NORESERVE);
	for (uint64_t off = 0; off < GiB; off += 64 * MiB)
		fill(t, a + off, 2, off >> 20);
	pt_lookup(&m->pt, t->mm->pgd, a, &p1);
	assert_int_equal(mr(t, a, GiB, GiB, FIXED, b), b);
	pt_lookup(&m->pt, t->mm->pgd, b, &p2);
	/* the same PMD table (depth 2) hangs from the new PUD entry */
	assert_int_equal(p2.e[1] & m->pt.fmt->entry_addr_mask & ~0xfffULL,
			 p1.e[1] & m->pt.fmt->entry_addr_mask & ~0xfffULL);
	assert_int_equal(pt_read(&m->pt, p1.epa[1]), 0);
	for (uint64_t off = 0; off < GiB; off += 64 * MiB)
		verify(t, b + off, 2, off >> 20);
	vmsim_machine_destroy(m);
}

/* Unaligned moves go PTE by PTE; the emptied old table goes when its
 * span holds no VMA any more, as free_pgtables() decides. */
static void test_mremap_move_ptes_unaligned(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x40001000, b = 0x50003000;
	uint64_t epa, e;

	(void)state;
	map_at(t, a, 600 * PG, PRW, MAP_PRIVATE);
	fill(t, a, 600, 5);
	assert_int_equal(mr(t, a, 600 * PG, 600 * PG, FIXED, b), b);
	verify(t, b, 600, 5);
	/* no VMA left in [0x40000000, 0x40400000): its tables are gone */
	pmd_of(t, a, &epa, &e);
	assert_int_equal(e, 0);
	assert_int_equal(get_mm_rss(t->mm), 600);
	assert_layout(t->mm, "50003000-5025b000 rw-");
	vmsim_machine_destroy(m);
}

/* Source and destination at the same offset in their 2 MiB spans, the range
 * reaching the boundary: the move starts at the boundary below
 * (try_realign_addr), so the first PTE table moves whole too. */
static void test_mremap_realigns_to_pmd(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	assert_true(moves_table(t, 0x40100000, 0x60100000, 3 * MiB, 0, 6));
	/* not when something is mapped below the start in that span */
	map_at(t, 0x70000000, PG, PROT_READ, MAP_PRIVATE);
	assert_false(moves_table(t, 0x70100000, 0x72100000, MiB, 0, 7));
	vmsim_machine_destroy(m);
}

/* The x86_32 page directory entry is the PMD: 4 MiB tables relinked. */
static void test_mremap_x86_32(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_32", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t b = 0x20000000;

	(void)state;
	assert_true(moves_table(t, 0x10000000, b, 8 * MiB, 4 * MiB, 8));
	/* grow with a move, top-down below mmap_base */
	map_at(t, b + 8 * MiB, PG, PROT_READ, MAP_PRIVATE);
	assert_int_equal(mr(t, b, 8 * MiB, 9 * MiB, MAYMOVE, 0), t->mm->mmap_base - 9 * MiB);
	verify(t, t->mm->mmap_base - 9 * MiB, 2048, 8);
	vmsim_machine_destroy(m);
}

/* ---- MREMAP_FIXED ---- */

static void test_mremap_fixed_replaces(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = map_at(t, 0x10000000, 2 * PG, PRW, MAP_PRIVATE);
	const uint64_t d = map_at(t, 0x20000000, 4 * PG, PRW, MAP_PRIVATE);

	(void)state;
	fill(t, a, 2, 9);
	fill(t, d, 4, 10);
	/* LTP mremap08 "move mapping onto an occupied address": what was
	 * there goes, with its frames */
	assert_int_equal(mr(t, a, 2 * PG, 2 * PG, FIXED, d + PG), d + PG);
	verify(t, d + PG, 2, 9);
	assert_int_equal(vt_read_ok(t, d), pattern(10, 0));
	assert_int_equal(vt_read_ok(t, d + 3 * PG), pattern(10, 3));
	assert_int_equal(get_mm_rss(t->mm), 4);
	/* the moved VMA keeps its own offset: three VMAs */
	assert_layout(t->mm, "20000000-20001000 rw- 20001000-20003000 rw- 20003000-20004000 rw-");
	/* a fixed shrink: shrink first, then move what is left */
	assert_int_equal(mr(t, d + PG, 2 * PG, PG, FIXED, 0x30000000), 0x30000000);
	verify(t, 0x30000000, 1, 9);
	assert_int_equal(get_mm_rss(t->mm), 3);
	/* a fixed growth */
	assert_int_equal(mr(t, 0x30000000, PG, 3 * PG, FIXED, 0x31000000), 0x31000000);
	verify(t, 0x31000000, 1, 9);
	assert_int_equal(vt_read_ok(t, 0x31002000), 0);
	vmsim_machine_destroy(m);
}

/* Linux 6.17+: a fixed move of the same size takes every VMA in the range
 * along, gaps kept (the host moved 0x30001000..0x30007000 so). */
static void test_mremap_fixed_several_vmas(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	map_at(t, 0x30000000, 2 * PG, PRW, MAP_PRIVATE);
	map_at(t, 0x30003000, PG, PROT_READ, MAP_PRIVATE);
	map_at(t, 0x30005000, 2 * PG, PRW, MAP_PRIVATE);
	fill(t, 0x30001000, 1, 11);
	fill(t, 0x30006000, 1, 12);
	assert_int_equal(mr(t, 0x30001000, 6 * PG, 6 * PG, FIXED, 0x31000000), 0x31000000);
	assert_layout(t->mm, "30000000-30001000 rw- 31000000-31001000 rw- 31002000-31003000 r-- "
			     "31004000-31006000 rw-");
	verify(t, 0x31000000, 1, 11);
	verify(t, 0x31005000, 1, 12);
	/* a range that starts in a hole is refused */
	assert_int_equal(mr(t, 0x30fff000, 4 * PG, 4 * PG, FIXED, 0x32000000), -EFAULT);
	/* nothing at all in the range */
	assert_int_equal(mr(t, 0x38000000, 4 * PG, 4 * PG, FIXED, 0x32000000), -EFAULT);
	/* without FIXED the same size is no move at all, whatever follows */
	assert_int_equal(mr(t, 0x31000000, 8 * PG, 8 * PG, MAYMOVE, 0), 0x31000000);
	/* with DONTUNMAP too: each VMA moves and leaves its range mapped */
	assert_int_equal(mr(t, 0x31000000, 8 * PG, 8 * PG, FIXED | MREMAP_DONTUNMAP, 0x33000000),
			 0x33000000);
	assert_layout(t->mm, "30000000-30001000 rw- 31000000-31001000 rw- 31002000-31003000 r-- "
			     "31004000-31006000 rw- 33000000-33001000 rw- 33002000-33003000 r-- "
			     "33004000-33006000 rw-");
	verify(t, 0x33000000, 1, 11);
	assert_int_equal(vt_read_ok(t, 0x31000000), 0);
	/* each VMA clears only its own destination: what lies where the
	 * gaps land stays (the host kept the PROT_NONE pages there) */
	map_at(t, 0x34000000, 6 * PG, PROT_NONE, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x31000000, 5 * PG, 5 * PG, FIXED, 0x34000000), 0x34000000);
	assert_layout(t->mm, "30000000-30001000 rw- 31005000-31006000 rw- 33000000-33001000 rw- "
			     "33002000-33003000 r-- 33004000-33006000 rw- 34000000-34001000 rw- "
			     "34001000-34002000 --- 34002000-34003000 r-- 34003000-34004000 --- "
			     "34004000-34005000 rw- 34005000-34006000 ---");
	vmsim_machine_destroy(m);
}

/* ---- MREMAP_DONTUNMAP (selftests/mm/mremap_dontunmap.c) ---- */

static void test_mremap_dontunmap(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t src = map_at(t, 0x10000000, 10 * PG, PRW, MAP_PRIVATE), d;
	struct vm_area_struct *vma;

	(void)state;
	fill(t, src, 10, 13);
	/* mremap_dontunmap_partial_mapping: the last 5 pages move; the first
	 * 5 keep their pages, the last 5 read as zeros */
	d = (uint64_t)mr(t, src + 5 * PG, 5 * PG, 5 * PG, DONTUNMAP, 0);
	assert_int_equal(d, BASE64 - 5 * PG);
	verify_from(t, d, 5, 13, 5);
	verify(t, src, 5, 13);
	for (int i = 5; i < 10; i++)
		assert_int_equal(vt_read_ok(t, src + (uint64_t)i * PG), 0);
	/* the source is one VMA still, with its flags (VM_ACCOUNT too) */
	vma = vma_at(t, src);
	assert_int_equal(vma->vm_end, src + 10 * PG);
	assert_true(vma->vm_flags & VM_ACCOUNT);
	assert_int_equal(t->mm->total_vm, 15);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 10);
	vmsim_machine_destroy(m);
}

/* mremap_dontunmap_simple_fixed / _overwrite: a fixed destination over a
 * part of another mapping; the whole source VMA moved loses its anon_vma. */
static void test_mremap_dontunmap_fixed(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t src = map_at(t, 0x10000000, 5 * PG, PRW, MAP_PRIVATE);
	const uint64_t dst = map_at(t, 0x20000000, 10 * PG, PRW, MAP_PRIVATE);

	(void)state;
	fill(t, src, 5, 14);
	fill(t, dst, 10, 15);
	assert_int_equal(mr(t, src, 5 * PG, 5 * PG, FIXED | MREMAP_DONTUNMAP, dst), dst);
	verify(t, dst, 5, 14);
	verify_from(t, dst + 5 * PG, 5, 15, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vt_read_ok(t, src + (uint64_t)i * PG), 0);
	assert_null(vma_at(t, src)->anon_vma);
	vmsim_machine_destroy(m);
}

/* mremap_dontunmap_simple_shmem: shared memory stays visible at the old
 * address, which faults the same pages in again. */
static void test_mremap_dontunmap_shared(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t s = map_at(t, 0x10000000, 5 * PG, PRW, MAP_SHARED);
	uint64_t d;

	(void)state;
	fill(t, s, 5, 16);
	d = (uint64_t)mr(t, s, 5 * PG, 5 * PG, DONTUNMAP, 0);
	assert_int_equal(d, BASE64 - 5 * PG);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 5);
	verify(t, d, 5, 16);
	verify(t, s, 5, 16);
	assert_int_equal(get_mm_counter(t->mm, MM_SHMEMPAGES), 10);
	assert_int_equal(pfn_at(t, s), pfn_at(t, d));
	vmsim_machine_destroy(m);
}

/* ---- shared memory: old_len 0 duplicates ---- */

static void test_mremap_duplicate_shared(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t s = map_at(t, 0x10000000, 2 * PG, PRW, MAP_SHARED);
	uint64_t d, d2;

	(void)state;
	fill(t, s, 2, 17);
	/* the host: the duplicate sees writes through the original */
	d = (uint64_t)mr(t, s, 0, 2 * PG, MAYMOVE, 0);
	assert_int_equal(d, BASE64 - 2 * PG);
	verify(t, d, 2, 17);
	assert_int_equal(vt_write(t, d + PG, 0x64), 0);
	assert_int_equal(vt_read_ok(t, s + PG), 0x64);
	assert_layout(t->mm, "10000000-10002000 rw- 7ffff7ffd000-7ffff7fff000 rw-");
	/* longer than the object: the host allows it (a touch past the end
	 * of the object is SIGBUS there); the pages inside are shared */
	d2 = (uint64_t)mr(t, s + PG, 0, 4 * PG, MAYMOVE, 0);
	assert_int_equal(d2, BASE64 - 6 * PG);
	assert_int_equal(vt_read_ok(t, d2), 0x64);
	assert_int_equal(vma_at(t, d2)->vm_pgoff, 1);
	{
		uint64_t v;

		assert_int_equal(vt_read(t, d2 + PG, &v), FAULT_SIGBUS);
		assert_int_equal(vt_write(t, d2 + 3 * PG, 1), FAULT_SIGBUS);
		assert_int_equal(t->fst.sigbus, 2);
	}
	/* a shared mapping grown in place past its object, likewise */
	assert_int_equal(mr(t, s, 2 * PG, 3 * PG, 0, 0), s);
	verify(t, s, 1, 17);
	assert_int_equal(t->mm->total_vm, 9);
	vmsim_machine_destroy(m);
}

/* ---- merges at the destination (copy_vma) ---- */

static void test_mremap_destination_merges(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	/* never-faulted memory takes its new place's offset and merges
	 * (the host joined 0x20000000 and the VMA moved after it) */
	map_at(t, 0x20000000, 2 * PG, PRW, MAP_PRIVATE);
	map_at(t, 0x30000000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x30000000, 2 * PG, 2 * PG, FIXED, 0x20002000), 0x20002000);
	assert_layout(t->mm, "20000000-20004000 rw-");
	assert_int_equal(vma_at(t, 0x20000000)->vm_pgoff, 0x20000);
	/* faulted memory keeps its offset: no merge with a faulted
	 * neighbour (the host kept 40000000-40002000 and 40002000-40004000) */
	map_at(t, 0x40000000, 2 * PG, PRW, MAP_PRIVATE);
	map_at(t, 0x50000000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(vt_write(t, 0x40000000, 1), 0);
	assert_int_equal(vt_write(t, 0x50000000, 2), 0);
	assert_int_equal(mr(t, 0x50000000, 2 * PG, 2 * PG, FIXED, 0x40002000), 0x40002000);
	assert_int_equal(t->mm->map_count, 3);
	/* moved back where its offset fits, it merges with a never-faulted
	 * new neighbour (the host: 50000000-50004000) */
	assert_int_equal(mr(t, 0x40002000, 2 * PG, 2 * PG, FIXED, 0x50000000), 0x50000000);
	map_at(t, 0x50002000, 2 * PG, PRW, MAP_PRIVATE);
	assert_layout(t->mm, "20000000-20004000 rw- 40000000-40002000 rw- 50000000-50004000 rw-");
	assert_int_equal(vt_read_ok(t, 0x50000000), 2);
	/* half moved away and back: linear again, the same anon_vma: one VMA */
	map_at(t, 0x60000000, 4 * PG, PRW, MAP_PRIVATE);
	fill(t, 0x60000000, 4, 18);
	assert_int_equal(mr(t, 0x60002000, 2 * PG, 2 * PG, FIXED, 0x61000000), 0x61000000);
	assert_int_equal(mr(t, 0x61000000, 2 * PG, 2 * PG, FIXED, 0x60002000), 0x60002000);
	assert_non_null(vma_at(t, 0x60000000));
	assert_int_equal(vma_at(t, 0x60000000)->vm_end, 0x60004000);
	verify(t, 0x60000000, 4, 18);
	vmsim_machine_destroy(m);
}

/* tools/testing/vma test_copy_vma: a move next to its own old place. */
static void test_mremap_self_merge(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	/* forwards, adjacent to itself: the VMA grows over the new range,
	 * then loses the old one */
	map_at(t, 0x10001000, PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x10001000, PG, PG, FIXED, 0x10002000), 0x10002000);
	assert_layout(t->mm, "10002000-10003000 rw-");
	assert_int_equal(vma_at(t, 0x10002000)->vm_pgoff, 0x10002);
	/* backwards */
	assert_int_equal(mr(t, 0x10002000, PG, PG, FIXED, 0x10001000), 0x10001000);
	assert_layout(t->mm, "10001000-10002000 rw-");
	assert_int_equal(vma_at(t, 0x10001000)->vm_pgoff, 0x10001);
	/* merged with both neighbours, the source swallowed: prev, the
	 * moved range and next (the source) become one, then the source's
	 * old range is cut out again */
	map_at(t, 0x20000000, PG, PRW, MAP_PRIVATE);
	map_at(t, 0x20002000, PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x20002000, PG, PG, FIXED, 0x20001000), 0x20001000);
	assert_layout(t->mm, "10001000-10002000 rw- 20000000-20002000 rw-");
	vmsim_machine_destroy(m);
}

/* LTP mremap06 (7e7757876f25, "fix vm_pgoff in vma_merge() case 3"): the
 * middle page of a shared file mapping moved out and back merges again
 * where the flags allow, and every page reads its own data. */
static void test_mremap_file_page_back(void **state)
{
	const unsigned long incompatible[] = { 0, 3, 1 };

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
		struct task_struct *t = vt_spawn(m, "a", 0, 0);
		struct vmsim_error err = { 0 };
		char data[4 * 4096];
		struct file *f;
		int64_t buf;

		memset(data, 0, sizeof(data));
		for (int i = 0; i < 4; i++)
			data[i * 4096] = (char)(0x30 + i);
		assert_int_equal(filemap_create(machine_page_cache(&m->vm), "testfile", data,
						sizeof(data),
						sizeof(data), &f, &err), 0);
		buf = vm_mmap(t->mm, f, 0, 4 * PG, PRW, MAP_SHARED, 0);
		assert_true(buf > 0);
		assert_int_equal(mr(t, (uint64_t)buf + PG, PG, PG, FIXED, (uint64_t)buf + 3 * PG),
				 buf + 3 * (int64_t)PG);
		if (incompatible[k])
			assert_int_equal(do_mprotect(t->mm, (uint64_t)buf + (incompatible[k] - 1) * PG,
						     PG, PROT_READ), 0);
		assert_int_equal(mr(t, (uint64_t)buf + 3 * PG, PG, PG, FIXED, (uint64_t)buf + PG),
				 buf + (int64_t)PG);
		for (int i = 0; i < 3; i++) {
			uint8_t v;
			struct access_result r;

			assert_int_equal(task_access(t, (uint64_t)buf + (uint64_t)i * PG, MMU_READ,
						     &v, 1, &r), 0);
			assert_int_equal(r.segv, 0);
			assert_int_equal(v, 0x30 + i);
		}
		/* all compatible: one VMA over the three pages */
		if (!incompatible[k])
			assert_int_equal(t->mm->map_count, 1);
		fput(f);
		vmsim_machine_destroy(m);
	}
}

/* ---- locked memory ---- */

static void test_mremap_locked(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	int64_t a;

	(void)state;
	a = vm_mmap(t->mm, NULL, 0x10000000, 4 * PG, PRW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
		    MAP_LOCKED, 0);
	assert_int_equal(a, 0x10000000);
	assert_int_equal(t->mm->locked_vm, 4);
	/* growth in place is faulted in (the host: Rss 24 kB of 24 kB) */
	assert_int_equal(mr(t, 0x10000000, 4 * PG, 6 * PG, 0, 0), 0x10000000);
	assert_int_equal(t->mm->locked_vm, 6);
	assert_int_equal(get_mm_rss(t->mm), 6);
	/* a move keeps the count */
	assert_int_equal(mr(t, 0x10000000, 6 * PG, 6 * PG, FIXED, 0x11000000), 0x11000000);
	assert_int_equal(t->mm->locked_vm, 6);
	/* DONTUNMAP unlocks the whole source VMA without unaccounting it:
	 * the host went from VmLck 24 kB to 48 kB, then 56 kB */
	assert_int_equal(mr(t, 0x11000000, 6 * PG, 6 * PG, FIXED | MREMAP_DONTUNMAP, 0x12000000),
			 0x12000000);
	assert_int_equal(t->mm->locked_vm, 12);
	assert_false(vma_at(t, 0x11000000)->vm_flags & VM_LOCKED);
	assert_true(vma_at(t, 0x12000000)->vm_flags & VM_LOCKED);
	assert_int_equal(do_munmap(t->mm, 0x11000000, 6 * PG), 0);
	assert_int_equal(t->mm->locked_vm, 12);
	assert_int_equal(mr(t, 0x12000000, 2 * PG, 2 * PG, FIXED | MREMAP_DONTUNMAP, 0x13000000),
			 0x13000000);
	assert_int_equal(t->mm->locked_vm, 14);
	assert_false(vma_at(t, 0x12000000)->vm_flags & VM_LOCKED);
	assert_int_equal(vma_at(t, 0x12000000)->vm_end, 0x12006000);
	vmsim_machine_destroy(m);
}

/* RLIMIT_MEMLOCK (8 MiB) without CAP_IPC_LOCK: growth past it is EAGAIN,
 * a move of the same size is not checked (the host, under setpriv). */
static void test_mremap_locked_limit(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = 0x10000000;

	(void)state;
	assert_int_equal(vm_mmap(t->mm, NULL, a, 4 * MiB, PRW, MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_FIXED | MAP_LOCKED, 0), a);
	assert_int_equal(mr(t, a, 4 * MiB, 8 * MiB, 0, 0), a);
	assert_int_equal(mr(t, a, 8 * MiB, 8 * MiB + PG, 0, 0), -EAGAIN);
	assert_int_equal(mr(t, a, 8 * MiB, 8 * MiB + PG, MAYMOVE, 0), -EAGAIN);
	/* THP-aligned, from the top of the highest gap: the host, whose
	 * lowest library ends the gap at 0x7ffff7dd0000, got 0x7ffff7400000
	 * and 0x7ffff7000000; here the gap ends at mmap_base */
	assert_int_equal(mr(t, a, 8 * MiB, 8 * MiB, DONTUNMAP, 0), 0x7ffff7600000);
	assert_int_equal(t->mm->locked_vm * PG, 16 * MiB);
	assert_int_equal(mr(t, a, 4 * MiB, 4 * MiB, DONTUNMAP, 0), 0x7ffff7200000);
	assert_int_equal(t->mm->locked_vm * PG, 16 * MiB);
	vmsim_machine_destroy(m);
}

/* ---- VM_ACCOUNT and the overcommit heuristic ---- */

static void test_mremap_accounting(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const uint64_t a = map_at(t, 0x10000000, 6 * PG, PRW, MAP_PRIVATE);

	(void)state;
	/* the middle moves: both pieces left keep VM_ACCOUNT */
	assert_int_equal(mr(t, a + 2 * PG, 2 * PG, 2 * PG, FIXED, 0x20000000), 0x20000000);
	assert_true(vma_at(t, a)->vm_flags & VM_ACCOUNT);
	assert_true(vma_at(t, a + 4 * PG)->vm_flags & VM_ACCOUNT);
	assert_true(vma_at(t, 0x20000000)->vm_flags & VM_ACCOUNT);
	/* more than all of RAM: refused for charged memory only (the host,
	 * 64 GiB on 25 GiB) */
	assert_int_equal(mr(t, a, 2 * PG, 512 * MiB, MAYMOVE, 0), -ENOMEM);
	map_at(t, 0x30000000, PG, PROT_READ, MAP_PRIVATE);
	assert_true(mr(t, 0x30000000, PG, 512 * MiB, MAYMOVE, 0) > 0);
	map_at(t, 0x60000000, PG, PRW, MAP_PRIVATE | MAP_NORESERVE);
	assert_true(mr(t, 0x60000000, PG, 512 * MiB, MAYMOVE, 0) > 0);
	vmsim_machine_destroy(m);
}

/* ---- placement ---- */

/* Where a move goes: private memory of a 2 MiB multiple on a 2 MiB
 * boundary (anonymous memory counts as offset 0 for that, wherever it
 * came from), shared memory not.  The host, whose highest gap ended at
 * its lowest library (0x7ffff7dd0000), put the first two at
 * 0x7ffff7800000 and 0x7ffff7600000 and the shared one unaligned; here
 * the highest gap ends at mmap_base. */
static void test_mremap_placement(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);

	(void)state;
	map_at(t, 0x10001000, 2 * MiB, PRW, MAP_PRIVATE);
	map_at(t, 0x10201000, PG, 0, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x10001000, 2 * MiB, 4 * MiB, MAYMOVE, 0), 0x7ffff7a00000);
	map_at(t, 0x20003000, 2 * PG, PRW, MAP_PRIVATE);
	map_at(t, 0x20005000, PG, 0, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x20003000, 2 * PG, 2 * MiB, MAYMOVE, 0), 0x7ffff7800000);
	map_at(t, 0x30000000, 2 * PG, PRW, MAP_SHARED);
	map_at(t, 0x30002000, PG, 0, MAP_PRIVATE);
	/* the 0x1ff000 bytes above the first are too few: below the second */
	assert_int_equal(mr(t, 0x30000000, 2 * PG, 2 * MiB, MAYMOVE, 0), 0x7ffff7600000);
	/* a DONTUNMAP hint is honoured when free */
	map_at(t, 0x40000000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x40000000, 2 * PG, 2 * PG, DONTUNMAP, 0x41000000), 0x41000000);
	vmsim_machine_destroy(m);
}

/* ---- special mappings ---- */

/* The special mapping called @name, after an exec. */
static struct vm_area_struct *special(struct task_struct *t, const char *name)
{
	struct vm_area_struct *vma;

	for_each_vma(t->mm, vma)
		if (vma->vm_ops && vma->vm_ops->name && strcmp(vma->vm_ops->name(vma), name) == 0)
			return vma;
	fail_msg("no %s", name);
	return NULL;
}

/* [vdso] (VM_DONTEXPAND) and [vvar] (VM_PFNMAP): no growth (EFAULT), no
 * DONTUNMAP (EINVAL), no split (EINVAL), a whole move is fine (the host,
 * on its own [vvar] and [vdso]). */
static void test_mremap_special_mappings(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	const char *const argv[] = { "/usr/bin/true" };
	struct exec_args a = { .filename = "/usr/bin/true", .argv = argv, .argc = 1 };
	struct vmsim_error err = { 0 };
	struct exec_result r;
	uint64_t vs, ve, ds, de;

	(void)state;
	if (access(a.filename, R_OK) != 0) {
		print_message("%s not available here\n", a.filename);
		vmsim_machine_destroy(m);
		skip();
	}
	assert_int_equal(do_execve(t, &a, &r, &err), 0);
	vs = special(t, "[vvar]")->vm_start;
	ve = special(t, "[vvar]")->vm_end;
	ds = special(t, "[vdso]")->vm_start;
	de = special(t, "[vdso]")->vm_end;
	assert_int_equal(mr(t, ds, de - ds, de - ds + PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(mr(t, ds, de - ds, de - ds, DONTUNMAP, 0), -EINVAL);
	assert_int_equal(mr(t, vs, ve - vs, ve - vs + PG, MAYMOVE, 0), -EFAULT);
	assert_int_equal(mr(t, vs, ve - vs, ve - vs, DONTUNMAP, 0), -EINVAL);
	assert_int_equal(mr(t, vs, PG, PG, FIXED, 0x20000000), -EINVAL);
	assert_int_equal(mr(t, ds, PG, PG, FIXED, 0x20000000), -EINVAL);
	assert_int_equal(mr(t, ds, de - ds, PG, MAYMOVE, 0), -EINVAL);
	assert_int_equal(mr(t, vs, ve - vs, ve - vs, FIXED, 0x21000000), 0x21000000);
	assert_int_equal(mr(t, ds, de - ds, de - ds, FIXED, 0x22000000), 0x22000000);
	assert_int_equal(special(t, "[vvar]")->vm_start, 0x21000000);
	assert_int_equal(special(t, "[vdso]")->vm_end, 0x22000000 + de - ds);
	vmsim_machine_destroy(m);
}

/* ---- fork ---- */

/* The parent moves pages it shares with its child: nothing is copied,
 * the child keeps seeing its data, and the first write after the move
 * copies the page for the parent only. */
static void test_mremap_after_fork(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c;
	const uint64_t a = map_at(p, 0x10000000, 4 * PG, PRW, MAP_PRIVATE);
	uint64_t pfn;

	(void)state;
	fill(p, a, 4, 19);
	map_at(p, 0x11000000, 4 * PG, PRW, MAP_PRIVATE);
	fill(p, 0x11000000, 4, 20);
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	pfn = pfn_at(p, a);
	assert_int_equal(mr(p, a, 4 * PG, 8 * PG, MAYMOVE | MREMAP_FIXED, 0x20000000), 0x20000000);
	assert_int_equal(pfn_at(p, 0x20000000), pfn);
	assert_int_equal(page_mapcount(pfn_to_page(&m->pm, (unsigned long)pfn)), 2);
	verify(p, 0x20000000, 4, 19);
	verify(c, a, 4, 19);
	assert_int_equal(vt_write(p, 0x20000000, 0xdead), 0);
	assert_int_not_equal(pfn_at(p, 0x20000000), pfn);
	assert_int_equal(vt_read_ok(c, a), pattern(19, 0));
	/* in both, half of a VMA that existed at fork moved away and back
	 * merges again: both halves have the same anon_vma (the host) */
	assert_int_equal(mr(p, 0x11002000, 2 * PG, 2 * PG, FIXED, 0x12000000), 0x12000000);
	assert_int_equal(mr(p, 0x12000000, 2 * PG, 2 * PG, FIXED, 0x11002000), 0x11002000);
	assert_int_equal(vma_at(p, 0x11000000)->vm_end, 0x11004000);
	assert_int_equal(mr(c, 0x11002000, 2 * PG, 2 * PG, FIXED, 0x12000000), 0x12000000);
	assert_int_equal(mr(c, 0x12000000, 2 * PG, 2 * PG, FIXED, 0x11002000), 0x11002000);
	assert_int_equal(vma_at(c, 0x11000000)->vm_end, 0x11004000);
	verify(c, 0x11000000, 4, 20);
	verify(p, 0x11000000, 4, 20);
	/* in the parent, a never-faulted VMA moved right after one that
	 * existed at fork merges with it (the host: 10000000-10006000 in the
	 * parent; in the child, whose VMA has a two-entry anon_vma chain,
	 * the host keeps them apart) */
	map_at(p, 0x30000000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(p, 0x30000000, 2 * PG, 2 * PG, FIXED, 0x11004000), 0x11004000);
	assert_int_equal(vma_at(p, 0x11000000)->vm_end, 0x11006000);
	do_exit(c);
	vmsim_machine_destroy(m);
}

/*
 * The merge rules for VMAs that existed at a fork (is_mergeable_anon_vma):
 * the parent's chains hold their own anon_vma alone, the child's also the
 * parent's, so only the parent merges
 *   - a never-faulted VMA moved right after one that existed at fork (the
 *     target has the anon_vma: vma_had_uncowed_parents(target));
 *   - a faulted VMA that existed at fork moved back right before, or
 *     right after, a never-faulted one (the target takes the source's
 *     anon_vma, refused when the VMA copied from was forked:
 *     copied_from, 6.18.y);
 * while both grow a VMA that existed at fork in place up to a never-faulted
 * VMA and merge with it (vma_merge_extend: the new range holds the VMA's
 * anon_vma but is copied from nothing).
 * Each layout is the host's (Linux 6.18, the same calls in a forked child
 * and then in the parent).  The reverse map stays right in both: the
 * checker finds every page's anon_vma on its VMA's chain at its index.
 */
static void mremap_fork_merges(struct task_struct *t, const char *want)
{
	map_at(t, 0x30000000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x30000000, 2 * PG, 2 * PG, FIXED, 0x11004000), 0x11004000);
	assert_int_equal(mr(t, 0x13000000, 4 * PG, 4 * PG, FIXED, 0x12000000), 0x12000000);
	map_at(t, 0x13004000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x12000000, 4 * PG, 4 * PG, FIXED, 0x13000000), 0x13000000);
	assert_int_equal(mr(t, 0x15000000, 4 * PG, 4 * PG, FIXED, 0x16000000), 0x16000000);
	map_at(t, 0x14ffe000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x16000000, 4 * PG, 4 * PG, FIXED, 0x15000000), 0x15000000);
	map_at(t, 0x17006000, 2 * PG, PRW, MAP_PRIVATE);
	assert_int_equal(mr(t, 0x17000000, 4 * PG, 6 * PG, 0, 0), 0x17000000);
	assert_layout(t->mm, want);
	verify(t, 0x17000000, 4, 27);
	verify(t, 0x11000000, 4, 24);
	verify(t, 0x13000000, 4, 25);
	verify(t, 0x15000000, 4, 26);
	/* the merged range faults into the anon_vma it now shares */
	assert_int_equal(vt_write(t, 0x11004000, 1), 0);
	assert_int_equal(vt_write(t, 0x13004000, 2), 0);
	assert_int_equal(vt_write(t, 0x14ffe000, 3), 0);
	assert_int_equal(vt_write(t, 0x17006000, 4), 0);
	vt_check(vm_machine(t->mm->vm));
}

static void test_mremap_merges_after_fork(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *p = vt_spawn(m, "p", 0, 0), *c;

	(void)state;
	map_at(p, 0x11000000, 4 * PG, PRW, MAP_PRIVATE);
	fill(p, 0x11000000, 4, 24);
	map_at(p, 0x13000000, 4 * PG, PRW, MAP_PRIVATE);
	fill(p, 0x13000000, 4, 25);
	map_at(p, 0x15000000, 4 * PG, PRW, MAP_PRIVATE);
	fill(p, 0x15000000, 4, 26);
	map_at(p, 0x17000000, 4 * PG, PRW, MAP_PRIVATE);
	fill(p, 0x17000000, 4, 27);
	assert_int_equal(do_fork(p, "c", 0, &c), 0);
	mremap_fork_merges(c, "11000000-11004000 rw- 11004000-11006000 rw- "
			   "13000000-13004000 rw- 13004000-13006000 rw- "
			   "14ffe000-15000000 rw- 15000000-15004000 rw- 17000000-17008000 rw-");
	mremap_fork_merges(p, "11000000-11006000 rw- 13000000-13006000 rw- 14ffe000-15004000 rw- "
			   "17000000-17008000 rw-");
	/* the child's pages are still the parent's until written */
	verify(c, 0x11000000, 4, 24);
	verify(c, 0x13000000, 4, 25);
	verify(c, 0x15000000, 4, 26);
	do_exit(c);
	vt_check(m);
	vmsim_machine_destroy(m);
}

/* ---- a stack ---- */

static void test_mremap_stack(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 128 * KiB);
	struct vm_area_struct *st = mm_last_vma(t->mm);
	const uint64_t top = st->vm_end, low = st->vm_start;

	(void)state;
	assert_true(st->vm_flags & VM_GROWSDOWN);
	assert_int_equal(t->mm->stack_vm, 32);
	/* the stack's lowest page cannot grow up into the stack */
	assert_int_equal(mr(t, low, PG, 256 * PG, 0, 0), -ENOMEM);
	fill(t, low, 32, 21);
	/* a shrink keeps the low part: the top of the stack goes */
	assert_int_equal(mr(t, low, 32 * PG, 16 * PG, 0, 0), low);
	st = mm_last_vma(t->mm);
	assert_int_equal(st->vm_end, low + 16 * PG);
	assert_true(st->vm_flags & VM_GROWSDOWN);
	assert_int_equal(t->mm->stack_vm, 16);
	verify(t, low, 16, 21);
	uint64_t v;
	assert_int_equal(vt_read(t, top - PG, &v), SEGV_MAPERR);
	/* moved, it still grows down on a touch below it */
	assert_int_equal(mr(t, low, 16 * PG, 16 * PG, FIXED, 0x40000000), 0x40000000);
	assert_int_equal(vt_write(t, 0x40000000 - PG, 1), 0);
	assert_int_equal(vma_at(t, 0x40000000 - PG)->vm_start, 0x40000000 - PG);
	verify(t, 0x40000000, 16, 21);
	vmsim_machine_destroy(m);
}

/* ---- glibc's realloc of a large block ---- */

/* realloc() of an mmapped chunk is mremap(MREMAP_MAYMOVE): grow 1 MiB to
 * 64 MiB a MiB at a time, something mapped after the block now and then
 * so that it has to move; the data and the frames follow. */
static void test_mremap_realloc_pattern(void **state)
{
	struct vmsim_machine *m = vt_boot("x86_64", "256MiB");
	struct task_struct *t = vt_spawn(m, "a", 0, 0);
	uint64_t blk = (uint64_t)vt_mmap(t, 0, MiB, PRW, MAP_PRIVATE), size = MiB, pfn0;
	unsigned moves = 0;

	(void)state;
	fill(t, blk, MiB / PG, 22);
	pfn0 = pfn_at(t, blk);
	while (size < 64 * MiB) {
		int64_t r;

		if ((size >> 20) % 4 == 1) {
			/* another allocation lands right after the block */
			int64_t o = vm_mmap(t->mm, NULL, blk + size, PG, PROT_READ,
					    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);
			(void)o;
		}
		r = mr(t, blk, size, size + MiB, MAYMOVE, 0);
		assert_true(r > 0);
		moves += (uint64_t)r != blk;
		blk = (uint64_t)r;
		fill(t, blk + size, MiB / PG, 22 + (size >> 20));
		size += MiB;
		assert_int_equal(vma_at(t, blk)->vm_start, blk);
		assert_int_equal(vma_at(t, blk)->vm_end, blk + size);
	}
	assert_true(moves >= 10);
	/* every page where it belongs, and the first frame never copied */
	verify(t, blk, MiB / PG, 22);
	for (uint64_t mib = 1; mib < 64; mib++)
		verify(t, blk + mib * MiB, MiB / PG, 22 + mib);
	assert_int_equal(pfn_at(t, blk), pfn0);
	assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 64 * MiB / PG);
	vmsim_machine_destroy(m);
}

/* ---- out of memory halfway ---- */

/* Leave k free frames and move 4 MiB PTE by PTE into fresh page tables:
 * either the move succeeds, or it fails with ENOMEM and every entry already
 * moved has come back (copy_vma_and_data's revert); the data is intact
 * either way and the checker agrees. */
static void test_mremap_oom_reverts(void **state)
{
	bool reverted = false, succeeded = false;

	(void)state;
	for (unsigned k = 0; k < 12 && !succeeded; k++) {
		struct vmsim_machine *m = vt_boot("x86_64", "64MiB");
		struct task_struct *t;
		const uint64_t a = 0x40001000, b = 0x7000000000;
		struct page *hold[20000];
		unsigned n = 0;
		int64_t r;

		/* the allocator's failure is the subject: no OOM killer taking
		 * the task's memory back */
		oom_killer_disable(m);
		t = vt_spawn(m, "a", 0, 0);
		map_at(t, a, 4 * MiB, PRW, MAP_PRIVATE);
		fill(t, a, 1024, 23);
		/* every free frame taken, then k given back */
		while (n < 20000 && (hold[n] = alloc_pages(&m->pm, GFP_KERNEL, 0)))
			n++;
		assert_true(n < 20000 && n > k);
		for (unsigned i = 0; i < k; i++)
			__free_pages(&m->pm, hold[--n], 0);
		/* the frames given back sit on the per-CPU lists, which the
		 * watermarks do not count, and direct reclaim, finding nothing
		 * to reclaim, does not drain them: drain them here */
		drain_all_pages(&m->pm, NULL);
		r = mr(t, a, 4 * MiB, 4 * MiB, FIXED, b);
		if (r == (int64_t)b) {
			succeeded = true;
			verify(t, b, 1024, 23);
		} else {
			assert_int_equal(r, -ENOMEM);
			verify(t, a, 1024, 23);
			assert_layout(t->mm, "40001000-40401000 rw-");
			reverted = true;
		}
		assert_int_equal(get_mm_counter(t->mm, MM_ANONPAGES), 1024);
		while (n)
			__free_pages(&m->pm, hold[--n], 0);
		vt_check(m);
		vmsim_machine_destroy(m);
	}
	assert_true(reverted);
	assert_true(succeeded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mremap_errors),
		cmocka_unit_test(test_mremap_shrink_in_place),
		cmocka_unit_test(test_mremap_grow_in_place),
		cmocka_unit_test(test_mremap_grow_moves_pages_not),
		cmocka_unit_test(test_mremap_move_relinks_pte_tables),
		cmocka_unit_test(test_mremap_move_relinks_pmd_tables),
		cmocka_unit_test(test_mremap_move_ptes_unaligned),
		cmocka_unit_test(test_mremap_realigns_to_pmd),
		cmocka_unit_test(test_mremap_x86_32),
		cmocka_unit_test(test_mremap_fixed_replaces),
		cmocka_unit_test(test_mremap_fixed_several_vmas),
		cmocka_unit_test(test_mremap_dontunmap),
		cmocka_unit_test(test_mremap_dontunmap_fixed),
		cmocka_unit_test(test_mremap_dontunmap_shared),
		cmocka_unit_test(test_mremap_duplicate_shared),
		cmocka_unit_test(test_mremap_destination_merges),
		cmocka_unit_test(test_mremap_self_merge),
		cmocka_unit_test(test_mremap_file_page_back),
		cmocka_unit_test(test_mremap_locked),
		cmocka_unit_test(test_mremap_locked_limit),
		cmocka_unit_test(test_mremap_accounting),
		cmocka_unit_test(test_mremap_placement),
		cmocka_unit_test(test_mremap_special_mappings),
		cmocka_unit_test(test_mremap_after_fork),
		cmocka_unit_test(test_mremap_merges_after_fork),
		cmocka_unit_test(test_mremap_stack),
		cmocka_unit_test(test_mremap_realloc_pattern),
		cmocka_unit_test(test_mremap_oom_reverts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
