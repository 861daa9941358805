/*
 * The page cache's radix tree and address_space (vma/pagecache_xa.c,
 * vma/filemap.c) without a process: stores and erases against a plain
 * array model with the tree checker after every step, the read of host
 * and in-memory files into frames (zero-filled past EOF, SIGBUS past the
 * last page), pages read from the host file only when asked for (a 2 GiB
 * file opens for the price of its touched pages), a failed host read as
 * -EIO, FIFOs, devices and directories refused, one cached file per host
 * inode, 10^5 files found by name through the hash, dirty accounting,
 * i_mmap, frames returned when the last reference goes, and an OOM sweep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kern/machine.h"
#include "phys/mmzone.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/filemap.h"
#include "vma/mm_types.h"
#include "vma/swap.h"

static struct vmsim_machine *boot(void)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	if (!m)
		fail_msg("boot: %s", err.msg);
	return m;
}

static void xa_ok(struct xarray *xa)
{
	struct vmsim_error err = { 0 };

	if (xa_check(xa, &err))
		fail_msg("%s", err.msg);
}

static void test_xa_store_load_erase_match_model(void **state)
{
	enum { N = 4000 };
	static uintptr_t model[N];
	static const uint64_t far[] = { 0, 63, 64, 4095, 4096, 262143, 1ULL << 30,
					(1ULL << 40) + 5, UINT64_MAX - 1, UINT64_MAX };
	struct xarray xa;
	uint64_t seed = 12345;

	(void)state;
	memset(model, 0, sizeof(model));
	xa_init(&xa, NULL);
	for (int step = 0; step < 20000; step++) {
		uint64_t idx;
		void *old = (void *)1;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		idx = (seed >> 33) % N;
		if ((seed >> 20) & 1) {
			uintptr_t v = (uintptr_t)step * 8 + 8;

			assert_int_equal(xa_store(&xa, idx, (void *)v, &old), 0);
			assert_ptr_equal(old, (void *)model[idx]);
			model[idx] = v;
		} else {
			assert_ptr_equal(xa_erase(&xa, idx), (void *)model[idx]);
			model[idx] = 0;
		}
		if (step % 500 == 0)
			xa_ok(&xa);
	}
	xa_ok(&xa);
	for (uint64_t i = 0; i < N; i++)
		if (xa_load(&xa, i) != (void *)model[i])
			fail_msg("index %llu", (unsigned long long)i);
	/* xa_find walks in index order and sees exactly the model */
	{
		uint64_t idx = 0, prev = 0, seen = 0;
		void *e;
		bool first = true;

		xa_for_each(&xa, idx, e) {
			if (!first && idx <= prev)
				fail_msg("out of order at %llu", (unsigned long long)idx);
			assert_ptr_equal(e, (void *)model[idx]);
			prev = idx;
			first = false;
			seen++;
		}
		assert_int_equal(seen, xa.nr_entries);
	}
	for (uint64_t i = 0; i < N; i++)
		xa_erase(&xa, i);
	xa_ok(&xa);
	assert_null(xa.xa_head);
	assert_int_equal(xa.nr_nodes, 0);
	/* a first entry at a high index makes no empty leaf on the way */
	assert_int_equal(xa_store(&xa, 1000, (void *)8, NULL), 0);
	xa_ok(&xa);
	assert_int_equal(xa.nr_nodes, 2);
	assert_ptr_equal(xa_erase(&xa, 1000), (void *)8);
	xa_ok(&xa);
	assert_int_equal(xa.nr_nodes, 0);
	/* far indices grow and shrink the root */
	for (unsigned i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		assert_int_equal(xa_store(&xa, far[i], (void *)(uintptr_t)(i * 8 + 8), NULL), 0);
		xa_ok(&xa);
	}
	for (unsigned i = 0; i < sizeof(far) / sizeof(far[0]); i++)
		assert_ptr_equal(xa_load(&xa, far[i]), (void *)(uintptr_t)(i * 8 + 8));
	assert_null(xa_load(&xa, 1));
	{
		uint64_t idx = 65;

		assert_ptr_equal(xa_find(&xa, &idx, UINT64_MAX), (void *)(uintptr_t)(3 * 8 + 8));
		assert_int_equal(idx, 4095);
		idx = 65;
		assert_null(xa_find(&xa, &idx, 4094));
	}
	for (unsigned i = sizeof(far) / sizeof(far[0]); i-- > 1;) {
		xa_erase(&xa, far[i]);
		xa_ok(&xa);
	}
	assert_int_equal(xa.xa_head->shift, 0);	/* only index 0 left: one leaf */
	xa_destroy(&xa);
	assert_int_equal(xa.nr_nodes, 0);
}

static void test_xa_store_oom_changes_nothing(void **state)
{
	struct xarray xa;

	(void)state;
	xa_init(&xa, NULL);
	assert_int_equal(xa_store(&xa, 5, (void *)8, NULL), 0);
	for (long n = 1;; n++) {
		int r;

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		r = xa_store(&xa, 1ULL << 36, (void *)16, NULL);
		host_fail_at(0, HOST_FAIL_ONCE);
		xa_ok(&xa);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
		assert_null(xa_load(&xa, 1ULL << 36));
		assert_ptr_equal(xa_load(&xa, 5), (void *)8);
	}
	assert_ptr_equal(xa_load(&xa, 1ULL << 36), (void *)16);
	xa_destroy(&xa);
}

static char tmp_path[64];

static void write_tmp(size_t size, unsigned char fill)
{
	FILE *f;
	unsigned char *b = malloc(size ? size : 1);

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/vmsim-pc-%d", (int)getpid());
	memset(b, fill, size);
	for (size_t i = 0; i < size; i += 4096)
		b[i] = (unsigned char)(i >> 12);
	f = fopen(tmp_path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, size, f), size);
	fclose(f);
	free(b);
}

static void pc_ok(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };

	if (page_cache_check(m->vm.page_cache, &err))
		fail_msg("%s", err.msg);
}

static void test_filemap_reads_pages_zero_filled_past_eof(void **state)
{
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	struct file *f, *again;
	struct page *p, *q;
	unsigned char *b;
	bool major;

	(void)state;
	write_tmp(3 * 4096 + 100, 0xab);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), tmp_path, "/data", &f, &err), 0);
	assert_int_equal(f->f_mapping.i_size, 3 * 4096 + 100);
	assert_int_equal(filemap_get_page(f, 3, &p, &major), 0);
	assert_true(major);
	b = page_host(&m->pm, p);
	assert_int_equal(b[0], 3);
	assert_int_equal(b[99], 0xab);
	for (int i = 100; i < 4096; i++)
		if (b[i])
			fail_msg("byte %d past EOF is %u", i, b[i]);
	/* a second lookup hits the same frame */
	assert_int_equal(filemap_get_page(f, 3, &q, &major), 0);
	assert_false(major);
	assert_ptr_equal(p, q);
	/* the cache's reference and the per-CPU LRU batch's until drained */
	assert_int_equal(page_ref_count(p), 2);
	lru_add_drain(&m->vm);
	assert_int_equal(page_ref_count(p), 1);
	assert_true(PageLRU(p));
	assert_ptr_equal(page_file(p), f);
	assert_int_equal(p->index, 3);
	/* past the last page: SIGBUS */
	assert_int_equal(filemap_get_page(f, 4, &q, &major), -ENXIO);
	/* the same host inode is the same cached file, whatever the name */
	assert_int_equal(filemap_open(m->vm.page_cache, tmp_path, NULL, &again, &err), 0);
	assert_ptr_equal(again, f);
	assert_int_equal(f->f_count, 2);
	fput(again);
	/* dirty accounting */
	set_page_dirty(p);
	set_page_dirty(p);
	assert_int_equal(f->f_mapping.nr_dirty, 1);
	pc_ok(m);
	clear_page_dirty(p);
	assert_int_equal(f->f_mapping.nr_dirty, 0);
	/* filemap_read sees cached frames and the backing bytes alike */
	b[5] = 0x55;
	{
		unsigned char buf[8];

		assert_int_equal(filemap_read(f, 3 * 4096 + 4, buf, 2), 0);
		assert_int_equal(buf[1], 0x55);
		assert_int_equal(filemap_read(f, 4096, buf, 1), 0);
		assert_int_equal(buf[0], 1);
		assert_int_equal(filemap_read(f, 3 * 4096 + 200, buf, 1), 0);
		assert_int_equal(buf[0], 0);
	}
	assert_int_equal(f->f_mapping.nrpages, 1);
	pc_ok(m);
	fput(f);
	/* the last reference took the file and the cache with it */
	assert_null(m->vm.page_cache);
	unlink(tmp_path);
	vmsim_machine_destroy(m);
}

static void test_filemap_memory_file_and_i_mmap(void **state)
{
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	struct vm_area_struct v1 = { 0 }, v2 = { 0 };
	struct file *f, *g;
	struct page *p;
	bool major;

	(void)state;
	assert_int_equal(filemap_create(machine_page_cache(&m->vm), "data.bin", "hello", 5, 10000,
					&f, &err), 0);
	assert_int_equal(filemap_create(m->vm.page_cache, "data.bin", "x", 1, 1, &g, &err),
			 -EEXIST);
	assert_ptr_equal(filemap_lookup(m->vm.page_cache, "data.bin"), f);
	assert_int_equal(filemap_get_page(f, 2, &p, &major), 0);
	assert_int_equal(((unsigned char *)page_host(&m->pm, p))[0], 0);
	assert_int_equal(filemap_get_page(f, 0, &p, &major), 0);
	assert_memory_equal(page_host(&m->pm, p), "hello", 5);
	assert_int_equal(filemap_get_page(f, 3, &p, &major), -ENXIO);
	v1.vm_file = f;
	v2.vm_file = f;
	i_mmap_insert(&v1);
	i_mmap_insert(&v2);
	assert_true(i_mmap_contains(&v2));
	pc_ok(m);
	i_mmap_remove(&v1);
	assert_false(i_mmap_contains(&v1));
	assert_int_equal(f->f_mapping.i_mmap_count, 1);
	i_mmap_remove(&v2);
	pc_ok(m);
	fput(f);
	assert_null(m->vm.page_cache);
	vmsim_machine_destroy(m);
}

/* Opening reads nothing: a 2 GiB (sparse) file costs only the pages that
 * are asked for, each read from the host file when first needed, so a
 * byte changed on the host after the open is what the page shows. */
static void test_filemap_reads_pages_on_demand(void **state)
{
	const uint64_t size = 2ULL << 30;
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	struct page *p;
	struct file *f;
	size_t live;
	bool major;
	FILE *h;

	(void)state;
	write_tmp(4096, 7);
	assert_int_equal(truncate(tmp_path, (off_t)size), 0);
	live = m->ha.live;
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), tmp_path, NULL, &f, &err), 0);
	assert_int_equal(f->f_mapping.i_size, size);
	assert_true(m->ha.live - live < 64 * 1024);
	/* written on the host after the open */
	h = fopen(tmp_path, "r+b");
	assert_non_null(h);
	assert_int_equal(fseek(h, (long)(size - 4096), SEEK_SET), 0);
	assert_int_equal(fputc(0x5a, h), 0x5a);
	fclose(h);
	assert_int_equal(filemap_get_page(f, size / 4096 - 1, &p, &major), 0);
	assert_true(major);
	assert_int_equal(((unsigned char *)page_host(&m->pm, p))[0], 0x5a);
	assert_int_equal(filemap_get_page(f, 0, &p, &major), 0);
	assert_int_equal(((unsigned char *)page_host(&m->pm, p))[1], 7);
	assert_int_equal(f->pc->reads, 2);
	assert_int_equal(f->f_mapping.nrpages, 2);
	assert_true(m->ha.live - live < 64 * 1024);
	pc_ok(m);
	/* the host file shrinks: a page past its new end reads as zeros
	 * (the cached size stays; a short read is zero-filled) */
	assert_int_equal(truncate(tmp_path, 4096), 0);
	assert_int_equal(filemap_get_page(f, 5, &p, &major), 0);
	for (int i = 0; i < 4096; i++)
		if (((unsigned char *)page_host(&m->pm, p))[i])
			fail_msg("byte %d of a page past the host's EOF", i);
	fput(f);
	unlink(tmp_path);
	vmsim_machine_destroy(m);
}

/* A host read that fails is -EIO (a fault turns it into SIGBUS), and
 * nothing is cached for that page. */
static void test_filemap_read_error_is_eio(void **state)
{
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	unsigned char buf[4];
	struct page *p;
	struct file *f;
	bool major;
	int dir;

	(void)state;
	write_tmp(3 * 4096, 1);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), tmp_path, NULL, &f, &err), 0);
	assert_int_equal(filemap_get_page(f, 0, &p, &major), 0);
	/* the file's descriptor now names a directory: pread() fails */
	dir = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	assert_true(dup2(dir, f->fd) == f->fd);
	close(dir);
	assert_int_equal(filemap_get_page(f, 1, &p, &major), -EIO);
	assert_null(filemap_find_page(f, 1));
	assert_int_equal(filemap_read(f, 4096, buf, sizeof(buf)), -EIO);
	/* what is cached is still read from the frame */
	assert_int_equal(filemap_read(f, 1, buf, 1), 0);
	assert_int_equal(buf[0], 1);
	pc_ok(m);
	fput(f);
	unlink(tmp_path);
	vmsim_machine_destroy(m);
}

/* What is not a regular file is refused by name, a FIFO without waiting
 * for a writer. */
static void test_filemap_open_refuses_what_is_not_a_file(void **state)
{
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	char fifo[64];
	struct file *f;

	(void)state;
	snprintf(fifo, sizeof(fifo), "/tmp/vmsim-pc-fifo-%d", (int)getpid());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), fifo, NULL, &f, &err), -EACCES);
	assert_non_null(strstr(err.msg, ": not a regular file"));
	verr_clear(&err);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), "/dev/zero", NULL, &f, &err),
			 -EACCES);
	assert_string_equal(err.msg, "/dev/zero: not a regular file");
	verr_clear(&err);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), "/", NULL, &f, &err), -EISDIR);
	assert_string_equal(err.msg, "/: is a directory");
	verr_clear(&err);
	assert_int_equal(filemap_open(machine_page_cache(&m->vm), "/nonexistent/x", NULL, &f, &err),
			 -ENOENT);
	assert_string_equal(err.msg, "/nonexistent/x: No such file or directory");
	assert_null(m->vm.page_cache);
	unlink(fifo);
	vmsim_machine_destroy(m);
}

/* 10^5 files made and found by name, and one host file found by inode
 * among them: a few probed slots per lookup, not a walk over the files. */
static void test_filemap_many_files_found_by_hash(void **state)
{
	enum { N = 100000 };
	struct vmsim_machine *m = boot();
	struct vmsim_error err = { 0 };
	struct file **f = malloc(N * sizeof(*f)), *h, *again;
	struct page_cache *pc;
	char name[32];

	(void)state;
	assert_non_null(f);
	pc = machine_page_cache(&m->vm);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "/d/f%d", i);
		assert_null(filemap_lookup(pc, name));
		assert_int_equal(filemap_create(pc, name, "x", 1, 4096, &f[i], &err), 0);
	}
	write_tmp(4096, 3);
	assert_int_equal(filemap_open(pc, tmp_path, NULL, &h, &err), 0);
	pc_ok(m);
	pc->by_name.probes = pc->by_inode.probes = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "/d/f%d", i);
		assert_ptr_equal(filemap_lookup(pc, name), f[i]);
	}
	assert_int_equal(filemap_open(pc, tmp_path, NULL, &again, &err), 0);
	assert_ptr_equal(again, h);
	if (pc->by_name.probes > 4ULL * N || pc->by_inode.probes > 16)
		fail_msg("%lu probes by name, %lu by inode", pc->by_name.probes,
			 pc->by_inode.probes);
	fput(again);
	fput(h);
	for (int i = 0; i < N; i++)
		fput(f[i]);
	assert_null(m->vm.page_cache);
	unlink(tmp_path);
	free(f);
	vmsim_machine_destroy(m);
}

/* Fail the N-th host allocation for N = 0, 1, ... until open + read
 * succeed; nothing may stay allocated after a failure. */
static void test_filemap_oom_sweep(void **state)
{
	struct vmsim_machine *m = boot();

	(void)state;
	write_tmp(5000, 1);
	for (long n = 1;; n++) {
		struct vmsim_error err = { 0 };
		struct file *f = NULL;
		struct page *p;
		size_t live = m->ha.live;
		bool major;
		int r;

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		r = filemap_open(machine_page_cache(&m->vm), tmp_path, NULL, &f, &err);
		if (!r)
			r = filemap_get_page(f, 1, &p, &major);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (f) {
			pc_ok(m);
			fput(f);
		}
		assert_null(m->vm.page_cache);	/* gone with its last file, or never kept */
		assert_int_equal(m->ha.live, live);
		if (r == 0)
			break;
		assert_int_equal(r, -ENOMEM);
	}
	unlink(tmp_path);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xa_store_load_erase_match_model),
		cmocka_unit_test(test_xa_store_oom_changes_nothing),
		cmocka_unit_test(test_filemap_reads_pages_zero_filled_past_eof),
		cmocka_unit_test(test_filemap_memory_file_and_i_mmap),
		cmocka_unit_test(test_filemap_reads_pages_on_demand),
		cmocka_unit_test(test_filemap_read_error_is_eio),
		cmocka_unit_test(test_filemap_open_refuses_what_is_not_a_file),
		cmocka_unit_test(test_filemap_many_files_found_by_hash),
		cmocka_unit_test(test_filemap_oom_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
