/*
 * File-backed mappings through the page cache, driven by task accesses:
 * read faults map the cache frame read-only and fault-around maps the
 * cached neighbours in the kernel's window; a second process shares the
 * frames; a private write copies (the cache page stays clean, other
 * mappings keep seeing the file); a shared write dirties the cache page
 * and is seen by every mapping that has not copied; smaps tells file from
 * anonymous and clean from dirty; a page past EOF is refused; unmapping
 * empties i_mmap.  Every checker (mm, refcounts against mappings, page
 * cache) runs after each step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "vma/filemap.h"
#include "vma/mm.h"

#define NPAGES 40

static struct vmsim_machine *boot(const char *fault_around)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=128MiB", fault_around, NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

static void check_all(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };

	if (task_check_all(m, &err) || page_cache_check(m->vm.page_cache, &err) ||
	    machine_check(m, &err))
		fail_msg("checker: %s", err.msg);
}

static struct file *make_file(struct vmsim_machine *m)
{
	static uint8_t data[NPAGES * 4096];
	struct vmsim_error err = { 0 };
	struct file *f;

	for (unsigned i = 0; i < NPAGES; i++)
		memset(data + i * 4096, (int)(i + 1), 4096);
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/data.bin", data, sizeof(data),
					sizeof(data), &f, &err), 0);
	return f;
}

static struct task_struct *spawn(struct vmsim_machine *m, const char *name)
{
	struct task_struct *t;

	assert_int_equal(task_spawn(m, name, NULL, &t), 0);
	return t;
}

static uint64_t map(struct task_struct *t, struct file *f, uint64_t len, unsigned long prot,
		    unsigned long flags, uint64_t off)
{
	int64_t r = vm_mmap(t->mm, f, 0, len, prot, flags, off);

	if (r <= 0)
		fail_msg("vm_mmap of %s: %lld", f->f_path, (long long)r);
	return (uint64_t)r;
}

static uint8_t rd(struct task_struct *t, uint64_t va)
{
	struct access_result r = { 0 };
	uint8_t b = 0;

	assert_int_equal(task_access(t, va, MMU_READ, &b, 1, &r), 0);
	assert_int_equal(r.segv, 0);
	return b;
}

static void wr(struct task_struct *t, uint64_t va, uint8_t v)
{
	struct access_result r = { 0 };

	assert_int_equal(task_access(t, va, MMU_WRITE, &v, 1, &r), 0);
	assert_int_equal(r.segv, 0);
}

static uint64_t pfn_of(struct task_struct *t, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(t->mm, va);

	if (!(pte & 1))
		return 0;
	return (pte & t->mm->vm->pt->fmt->entry_addr_mask) >> 12;
}

static unsigned mapped_pages(struct task_struct *t, uint64_t start, unsigned n)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n; i++)
		c += (mm_pte_lookup(t->mm, start + i * 4096ULL) & 1) != 0;
	return c;
}

static void test_filemap_fault_around_maps_cached_neighbours(void **state)
{
	struct vmsim_machine *m = boot("pagecache.fault_around_bytes=64KiB");
	struct file *f = make_file(m);
	struct task_struct *a = spawn(m, "a"), *b = spawn(m, "b");
	uint64_t va = map(a, f, NPAGES * 4096ULL, PROT_READ, MAP_PRIVATE, 0), vb;
	uint64_t first, from, to, pte_off;

	(void)state;
	/* the first read of a page reads it into the cache: nothing else is
	 * cached, so fault-around has nothing to add */
	assert_int_equal(rd(a, va + 5 * 4096), 6);
	assert_int_equal(mapped_pages(a, va, NPAGES), 1);
	assert_int_equal(f->f_mapping.nrpages, 1);
	check_all(m);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(rd(a, va + i * 4096ULL), i + 1);
	assert_int_equal(f->f_mapping.nrpages, NPAGES);
	assert_int_equal(a->mm->rss_stat[MM_FILEPAGES], NPAGES);
	check_all(m);

	/* b maps the cached file: one read fault maps the whole window */
	vb = map(b, f, NPAGES * 4096ULL, PROT_READ, MAP_PRIVATE, 0);
	first = 17;
	assert_int_equal(rd(b, vb + first * 4096), first + 1);
	/* do_fault_around(): 16 PTEs aligned in the page table, within the VMA */
	pte_off = ((vb >> 12) + first) & 511;
	from = pte_off & ~15ULL;
	if (pte_off - from > first)
		from = pte_off - first;
	to = from + 16;
	if (to > 512)
		to = 512;
	if (to > pte_off + (NPAGES - first))
		to = pte_off + (NPAGES - first);
	for (unsigned i = 0; i < NPAGES; i++) {
		uint64_t po = ((vb >> 12) + i) & 511;
		bool in = po >= from && po < to && ((vb >> 12) + i) >> 9 == ((vb >> 12) + first) >> 9;

		if (((mm_pte_lookup(b->mm, vb + i * 4096ULL) & 1) != 0) != in)
			fail_msg("page %u: mapped %d, in the window %d", i,
				 (mm_pte_lookup(b->mm, vb + i * 4096ULL) & 1) != 0, in);
		/* the same frames as a's: one page cache */
		if (in)
			assert_int_equal(pfn_of(b, vb + i * 4096ULL), pfn_of(a, va + i * 4096ULL));
	}
	assert_int_equal(b->mm->rss_stat[MM_FILEPAGES], to - from);
	/* the mapped PTEs are read-only: a private mapping copies on write */
	assert_int_equal(mm_pte_lookup(b->mm, vb + first * 4096) & 2, 0);
	check_all(m);
	fput(f);
	vmsim_machine_destroy(m);
}

static void test_filemap_fault_around_off_maps_one_page(void **state)
{
	struct vmsim_machine *m = boot("pagecache.fault_around_bytes=4KiB");
	struct file *f = make_file(m);
	struct task_struct *a = spawn(m, "a"), *b = spawn(m, "b");
	uint64_t va = map(a, f, NPAGES * 4096ULL, PROT_READ, MAP_PRIVATE, 0), vb;

	(void)state;
	for (unsigned i = 0; i < NPAGES; i++)
		rd(a, va + i * 4096ULL);
	vb = map(b, f, NPAGES * 4096ULL, PROT_READ, MAP_PRIVATE, 0);
	rd(b, vb + 9 * 4096);
	assert_int_equal(mapped_pages(b, vb, NPAGES), 1);
	check_all(m);
	fput(f);
	vmsim_machine_destroy(m);
}

static void smaps_of(struct vmsim_machine *m, const char *task, struct strbuf *sb)
{
	struct view_args va = { .task = task };

	sb_reset(sb);
	assert_int_equal(view_render(m, "smaps", &va, false, sb), 0);
}

/* The value of smaps line @key in the block of the VMA at @start. */
static unsigned long smaps_kb(const char *text, uint64_t start, const char *key)
{
	char head[32];
	const char *p;
	unsigned long v = ~0UL;

	snprintf(head, sizeof(head), "%llx-", (unsigned long long)start);
	p = strstr(text, head);
	assert_non_null(p);
	p = strstr(p, key);
	assert_non_null(p);
	sscanf(p + strlen(key), ":%lu", &v);
	return v;
}

static void test_filemap_private_cow_and_shared_dirty(void **state)
{
	struct vmsim_machine *m = boot("pagecache.fault_around_bytes=64KiB");
	struct file *f = make_file(m);
	struct task_struct *a = spawn(m, "a"), *b = spawn(m, "b"), *c = spawn(m, "c");
	uint64_t va = map(a, f, NPAGES * 4096ULL, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	uint64_t vb = map(b, f, NPAGES * 4096ULL, PROT_READ, MAP_PRIVATE, 0);
	uint64_t vc = map(c, f, NPAGES * 4096ULL, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	struct strbuf sb = STRBUF_INIT;
	uint8_t byte;
	uint64_t cache_pfn;

	(void)state;
	/* a private write: a copy, the cache page untouched */
	assert_int_equal(rd(a, va + 3 * 4096), 4);
	cache_pfn = pfn_of(a, va + 3 * 4096);
	wr(a, va + 3 * 4096, 0xaa);
	assert_int_not_equal(pfn_of(a, va + 3 * 4096), cache_pfn);
	assert_int_equal(rd(a, va + 3 * 4096), 0xaa);
	assert_int_equal(rd(b, vb + 3 * 4096), 4);
	assert_int_equal(pfn_of(b, vb + 3 * 4096), cache_pfn);
	assert_int_equal(filemap_read(f, 3 * 4096, &byte, 1), 0);
	assert_int_equal(byte, 4);
	assert_int_equal(f->f_mapping.nr_dirty, 0);
	assert_int_equal(a->mm->rss_stat[MM_ANONPAGES], 1);
	check_all(m);

	/* a shared write lands in the cache page and dirties it; b, which
	 * has not copied, sees it; a's copy does not */
	wr(c, vc + 3 * 4096, 0x55);
	assert_int_equal(pfn_of(c, vc + 3 * 4096), cache_pfn);
	assert_int_equal(f->f_mapping.nr_dirty, 1);
	assert_int_equal(rd(b, vb + 3 * 4096), 0x55);
	assert_int_equal(rd(a, va + 3 * 4096), 0xaa);
	assert_int_equal(filemap_read(f, 3 * 4096, &byte, 1), 0);
	assert_int_equal(byte, 0x55);
	/* a read then a write through the shared mapping: the first write to
	 * the write-protected page is seen (page_mkwrite) and dirties it */
	assert_int_equal(rd(c, vc + 30 * 4096), 31);
	assert_int_equal(mm_pte_lookup(c->mm, vc + 30 * 4096) & 2, 0);
	wr(c, vc + 30 * 4096, 0x77);
	assert_int_equal(f->f_mapping.nr_dirty, 2);
	check_all(m);

	/* smaps: a has one anonymous (copied) dirty page among file pages */
	smaps_of(m, "a", &sb);
	assert_int_equal(smaps_kb(sb_str(&sb), va, "Anonymous"), 4);
	assert_int_equal(smaps_kb(sb_str(&sb), va, "Rss"), 4);	/* only the copied page */
	smaps_of(m, "c", &sb);
	assert_int_equal(smaps_kb(sb_str(&sb), vc, "Anonymous"), 0);
	assert_int_equal(smaps_kb(sb_str(&sb), vc, "Shared_Dirty") +
			 smaps_kb(sb_str(&sb), vc, "Private_Dirty"), 8);
	smaps_of(m, "b", &sb);
	assert_int_equal(smaps_kb(sb_str(&sb), vb, "Private_Dirty") +
			 smaps_kb(sb_str(&sb), vb, "Anonymous"), 0);
	sb_free(&sb);

	/* unmapping takes the VMAs off i_mmap; the cache keeps the pages */
	assert_int_equal(f->f_mapping.i_mmap_count, 3);
	assert_int_equal(do_munmap(a->mm, va, NPAGES * 4096ULL), 0);
	assert_int_equal(do_munmap(b->mm, vb, NPAGES * 4096ULL), 0);
	assert_int_equal(do_munmap(c->mm, vc, NPAGES * 4096ULL), 0);
	assert_int_equal(f->f_mapping.i_mmap_count, 0);
	assert_int_equal(f->f_mapping.nr_dirty, 2);
	check_all(m);
	fput(f);
	vmsim_machine_destroy(m);
}

static void test_filemap_split_and_offset_keep_i_mmap(void **state)
{
	struct vmsim_machine *m = boot("pagecache.fault_around_bytes=64KiB");
	struct file *f = make_file(m);
	struct task_struct *a = spawn(m, "a");
	uint64_t va = map(a, f, 8 * 4096ULL, PROT_READ, MAP_PRIVATE, 4 * 4096);

	(void)state;
	/* offset 4 pages: the first mapped page is file page 4 */
	assert_int_equal(rd(a, va), 5);
	assert_int_equal(do_mprotect(a->mm, va + 2 * 4096, 4096, PROT_NONE), 0);
	assert_int_equal(a->mm->map_count, 3);
	assert_int_equal(f->f_mapping.i_mmap_count, 3);
	assert_int_equal(rd(a, va + 7 * 4096), 12);
	check_all(m);
	assert_int_equal(do_munmap(a->mm, va, 8 * 4096ULL), 0);
	assert_int_equal(f->f_mapping.i_mmap_count, 0);
	check_all(m);
	fput(f);
	vmsim_machine_destroy(m);
}

/*
 * do_cow_fault(): the first write fault of a private file page copies it
 * in that one fault; MAP_POPULATE of a writable private mapping copies
 * every page at once.  So a later write through a shared mapping of the
 * file is not seen through the populated private mapping, while a private
 * mapping that only read (or a read-only populated one) still maps the
 * cache page and sees it (the 6.18 host: 'A', 'Z', 'Z').
 */
static void test_filemap_private_write_copies_at_first_fault(void **state)
{
	struct vmsim_machine *m = boot("pagecache.fault_around_bytes=64KiB");
	struct file *f = make_file(m);
	struct task_struct *a = spawn(m, "a");
	uint64_t s = map(a, f, 2 * 4096ULL, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	uint64_t q = map(a, f, 2 * 4096ULL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, 0);
	uint64_t r = map(a, f, 2 * 4096ULL, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	uint64_t ro = map(a, f, 2 * 4096ULL, PROT_READ, MAP_PRIVATE | MAP_POPULATE, 0);
	uint64_t w = map(a, f, 2 * 4096ULL, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	struct access_result res;
	uint8_t z = 'Z', v = 9;

	(void)state;
	/* the populated private pages are anonymous copies, writable at once */
	assert_int_equal(a->mm->rss_stat[MM_ANONPAGES], 2);
	assert_true(mm_pte_lookup(a->mm, q) & _PAGE_RW);
	assert_int_equal(rd(a, r), 1);			/* a read maps the cache page */
	wr(a, s, z);
	assert_int_equal(rd(a, q), 1);
	assert_int_equal(rd(a, r), 'Z');
	assert_int_equal(rd(a, ro), 'Z');
	/* a first write: one fault, a copy, dirty and writable */
	assert_int_equal(task_access(a, w + 4096, MMU_WRITE, &v, 1, &res), 0);
	assert_int_equal(res.faults, 1);
	/* (MAP_POPULATE's faults are the kernel's, not the task's: uncounted,
	 * as mm_account_fault() leaves faults without registers) */
	assert_int_equal(a->fst.cow, 1);
	assert_int_equal(mm_pte_lookup(a->mm, w + 4096) & (_PAGE_RW | _PAGE_DIRTY),
			 _PAGE_RW | _PAGE_DIRTY);
	assert_int_equal(rd(a, w + 4096), 9);
	assert_int_equal(f->f_mapping.nr_dirty, 1);	/* only the shared write */
	check_all(m);
	fput(f);
	vmsim_machine_destroy(m);
}

/* A touch of a page wholly past the end of the file is SIGBUS (BUS_ADRERR)
 * at the address, read or write, private or shared; the page that holds
 * the end of the file is readable and zero past it (a 6.18 host, for a
 * 5000-byte file: page 1 reads its bytes and zeros, page 2 is SIGBUS). */
static void test_filemap_page_past_eof_is_sigbus(void **state)
{
	struct vmsim_machine *m = boot("pagecache.fault_around_bytes=64KiB");
	struct vmsim_error err = { 0 };
	struct task_struct *a = spawn(m, "a");
	struct access_result r = { 0 };
	uint8_t data[5000];
	struct file *f;
	uint64_t va, vw, vs;
	uint8_t b = 1;

	(void)state;
	memset(data, 'A', sizeof(data));
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "/f5000", data, sizeof(data),
					sizeof(data), &f, &err), 0);
	va = map(a, f, 4 * 4096ULL, PROT_READ, MAP_PRIVATE, 0);
	assert_int_equal(rd(a, va), 'A');
	assert_int_equal(rd(a, va + 4096 + 100), 'A');
	assert_int_equal(rd(a, va + 4096 + 2000), 0);	/* past EOF, in EOF's page */
	assert_int_equal(task_access(a, va + 2 * 4096, MMU_READ, &b, 1, &r), 0);
	assert_int_equal(r.segv, 0);
	assert_int_equal(r.sigbus, BUS_ADRERR);
	assert_int_equal(r.segv_addr, va + 2 * 4096);
	assert_int_equal(task_access(a, va + 3 * 4096 + 4095, MMU_READ, &b, 1, &r), 0);
	assert_int_equal(r.sigbus, BUS_ADRERR);
	assert_int_equal(a->fst.sigbus, 2);
	assert_int_equal(a->fst.segv, 0);
	/* a write: the private copy (do_cow_fault) and the shared page alike */
	vw = map(a, f, 4 * 4096ULL, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	assert_int_equal(task_access(a, vw + 2 * 4096, MMU_WRITE, &b, 1, &r), 0);
	assert_int_equal(r.sigbus, BUS_ADRERR);
	vs = map(a, f, 4 * 4096ULL, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	assert_int_equal(task_access(a, vs + 3 * 4096, MMU_WRITE, &b, 1, &r), 0);
	assert_int_equal(r.sigbus, BUS_ADRERR);
	/* what SIGBUS left: no page mapped there, none cached past EOF */
	assert_int_equal(mm_pte_lookup(a->mm, vw + 2 * 4096) & _PAGE_PRESENT, 0);
	assert_null(filemap_find_page(f, 2));
	check_all(m);
	fput(f);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filemap_fault_around_maps_cached_neighbours),
		cmocka_unit_test(test_filemap_fault_around_off_maps_one_page),
		cmocka_unit_test(test_filemap_private_cow_and_shared_dirty),
		cmocka_unit_test(test_filemap_split_and_offset_keep_i_mmap),
		cmocka_unit_test(test_filemap_page_past_eof_is_sigbus),
		cmocka_unit_test(test_filemap_private_write_copies_at_first_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
