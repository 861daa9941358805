/*
 * bench_swap: what swapping costs, each figure beside a reference measured
 * in the same run.
 *
 *   cycle        one dirty 4 KiB page swapped out and back in: MADV_PAGEOUT
 *                (reclaim: a slot, the swap cache, unmap, the 4 KiB write,
 *                which completes as the pass ends), reclaim's next pass
 *                over that page (clean, it leaves the swap cache and is
 *                freed), then a write to it (the fault: the 4 KiB read,
 *                map, dirty again), over 8192 pages in turn so nothing is
 *                in the CPU's caches; against two copies of 4 KiB between
 *                cold buffers, the physical floor (the bytes move twice).
 *                Target: at most 3x.
 *   file         reclaim of clean page cache pages (the node's lruvec, no
 *                swap: file only), per page, against the host kernel
 *                dropping the same amount of its own clean page cache
 *                (a file written, synced and read just before; `echo 1 >
 *                /proc/sys/vm/drop_caches`), which needs root: skipped,
 *                with the reason, otherwise.  Target: no slower per page.
 *   host bytes   the host memory the machine holds per swapped-out page
 *                (the swap area's per-slot maps included), for pages of
 *                data and for pages of zeroes.  Target: 4 KiB + 16 B and
 *                16 B.
 *
 * Not a test: nothing is asserted; MISSED marks a target not met.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kern/machine.h"
#include "vma/memcontrol.h"
#include "kern/task.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vmsim/machine.h"

#define PAGES 8192
#define POOL (64u << 20)	/* the cold copies' buffers */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct vmsim_machine *boot(const char *const *sets)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);

	if (!m) {
		fprintf(stderr, "bench_swap: boot: %s\n", err.msg);
		exit(1);
	}
	return m;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_swap: %s\n", what);
	exit(1);
}

/* ---- the swap cycle ---- */

/* The page swapped out at @va was written; the write completed as the
 * reclaim pass ended, leaving it clean in the swap cache at the tail of
 * its list (PG_reclaim).  Reclaim's next pass frees it: that pass, for
 * this page alone. */
static void free_written(struct vmsim_machine *m, struct mm_struct *mm, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(mm, va);
	struct page *page;
	LIST_HEAD(list);

	if (!is_swap_pte(pte))
		die("MADV_PAGEOUT left the page mapped");
	page = swap_cache_lookup(&m->vm, pte_to_swp_entry(m->pt.fmt, pte));
	if (!page)
		return;
	lru_add_drain(&m->vm);	/* the rotation waits in a batch, as reclaim finds it */
	if (!folio_isolate_lru(&m->vm, page))
		die("the written page is on no list");
	list_add(&page->lru, &list);
	reclaim_pages(&m->vm, &list);
}

static double sim_cycle(unsigned rounds)
{
	const char *sets[] = { "memory.size=256MiB", "swap.size=64MiB", NULL };
	struct vmsim_machine *m = boot(sets);
	struct access_result ar;
	struct task_struct *t;
	uint64_t base, v = 1;
	unsigned long out0, in0, out, in;
	double t0, dt;

	if (task_spawn(m, "bench", NULL, &t))
		die("spawn");
	base = (uint64_t)vm_mmap(t->mm, NULL, 0, (uint64_t)PAGES << 12, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0);
	for (unsigned i = 0; i < PAGES; i++)
		task_access(t, base + ((uint64_t)i << 12), MMU_WRITE, &v, 8, &ar);
	lru_add_drain(&m->vm);
	vmstat_read(&m->pm, "pswpout", &out0);
	vmstat_read(&m->pm, "pswpin", &in0);
	t0 = now();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < PAGES; i++) {
			uint64_t va = base + ((uint64_t)i << 12);

			v++;
			do_madvise(t->mm, va, 4096, MADV_PAGEOUT, NULL);
			free_written(m, t->mm, va);
			task_access(t, va, MMU_WRITE, &v, 8, &ar);
		}
	dt = now() - t0;
	vmstat_read(&m->pm, "pswpout", &out);
	vmstat_read(&m->pm, "pswpin", &in);
	if (out - out0 != (unsigned long)rounds * PAGES || in - in0 != (unsigned long)rounds * PAGES)
		die("the cycle did not write and read every page");
	vmsim_machine_destroy(m);
	return dt / ((double)rounds * PAGES);
}

static double cold_copies(unsigned rounds)
{
	uint8_t *src = aligned_alloc(4096, POOL), *dst = aligned_alloc(4096, POOL);
	const unsigned n = POOL / 4096;
	volatile uint8_t sink = 0;
	double t0, dt;

	if (!src || !dst)
		die("out of host memory");
	memset(src, 1, POOL);
	memset(dst, 2, POOL);
	t0 = now();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < PAGES; i++) {
			/* a stride through 64 MiB: each page is cold when used */
			unsigned a = (i * 2654435761u + r) % n, b = (i * 40503u + 7 * r + 1) % n;

			memcpy(dst + (size_t)a * 4096, src + (size_t)b * 4096, 4096);
			memcpy(src + (size_t)b * 4096, dst + (size_t)a * 4096 + 0, 4096);
			sink ^= dst[(size_t)a * 4096];
		}
	dt = now() - t0;
	(void)sink;
	free(src);
	free(dst);
	return dt / ((double)rounds * PAGES);	/* per pair of copies */
}

/* ---- clean page cache reclaim ---- */

static double sim_file(unsigned long pages)
{
	const char *sets[] = { "memory.size=512MiB", NULL };
	struct vmsim_machine *m = boot(sets);
	struct vmsim_error err = { 0 };
	unsigned long got = 0;
	struct file *f;
	double t0, dt;

	if (filemap_create(machine_page_cache(&m->vm), "cache", "x", 1, (uint64_t)pages << 12, &f,
			   &err))
		die(err.msg);
	for (uint64_t i = 0; i < pages;)
		i += force_page_cache_readahead(f, i, pages - i);
	lru_add_drain(&m->vm);
	t0 = now();
	while (got < pages) {
		unsigned long r = reclaim_lruvec(&m->vm, mem_cgroup_lruvec(&m->vm, NULL, 0),
						 pages - got, GFP_KERNEL, false);

		if (!r)
			break;
		got += r;
	}
	dt = now() - t0;
	if (got != pages)
		die("file reclaim left pages behind");
	fput(f);
	vmsim_machine_destroy(m);
	return dt / (double)pages;
}

/* The host: drop_caches after a file of @pages pages was read; per page,
 * or < 0 with *why set. */
static double host_file(unsigned long pages, const char **why)
{
	char path[] = "/tmp/bench_swapXXXXXX", buf[1 << 16];
	size_t bytes = pages << 12;
	int fd = mkstemp(path), dc;
	double t0, dt;

	if (fd < 0) {
		*why = "no temporary file";
		return -1;
	}
	memset(buf, 0x5a, sizeof(buf));
	for (size_t off = 0; off < bytes; off += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			*why = "cannot write the temporary file";
			goto fail;
		}
	fsync(fd);
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dc < 0 || write(dc, "1", 1) != 1) {
		*why = "needs root (writing /proc/sys/vm/drop_caches was refused)";
		if (dc >= 0)
			close(dc);
		goto fail;
	}
	/* the file's pages in the cache again, clean */
	lseek(fd, 0, SEEK_SET);
	for (size_t off = 0; off < bytes; off += sizeof(buf))
		if (read(fd, buf, sizeof(buf)) <= 0)
			break;
	t0 = now();
	if (write(dc, "1", 1) != 1) {
		*why = "drop_caches failed";
		close(dc);
		goto fail;
	}
	dt = now() - t0;
	close(dc);
	close(fd);
	unlink(path);
	return dt / (double)pages;
fail:
	close(fd);
	unlink(path);
	return -1;
}

/* ---- host bytes per swapped-out page ---- */

static double host_bytes(bool zero, unsigned long *pages_out)
{
	const char *sets[] = { "memory.size=256MiB", NULL };
	struct vmsim_machine *m = boot(sets);
	struct vmsim_error err = { 0 };
	const unsigned long slots = 16384;	/* a 64 MiB area: its header is one */
	struct access_result ar;
	struct task_struct *t;
	unsigned long out;
	size_t live0;
	uint64_t base;
	unsigned type;

	if (task_spawn(m, "bench", NULL, &t))
		die("spawn");
	base = (uint64_t)vm_mmap(t->mm, NULL, 0, (slots - 1) << 12, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0);
	for (unsigned long i = 0; i < slots - 1; i++) {
		uint64_t v = zero ? 0 : i + 1;

		task_access(t, base + (i << 12), MMU_WRITE, &v, 8, &ar);
	}
	lru_add_drain(&m->vm);
	live0 = m->ha.live;
	if (sys_swapon(&m->vm, slots << 12, 0, false, &type, &err))
		die(err.msg);
	do_madvise(t->mm, base, (slots - 1) << 12, MADV_PAGEOUT, NULL);
	out = get_mm_counter(t->mm, MM_SWAPENTS);
	*pages_out = out;
	{
		double per = (double)(m->ha.live - live0) / (double)out;

		vmsim_machine_destroy(m);
		return per;
	}
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
	double cyc, cp, sf, hf, zb, db;
	unsigned long zp, dp;
	const char *why = NULL;

	if (!rounds)
		rounds = 1;
	printf("bench_swap: %u rounds over %u pages\n", rounds, PAGES);
	cp = cold_copies(rounds);
	cyc = sim_cycle(rounds);
	printf("cycle       swap-out + swap-in of a dirty 4 KiB page %8.0f ns   two cold 4 KiB "
	       "copies %6.0f ns   ratio %.2f (target <= 3)%s\n", cyc * 1e9, cp * 1e9, cyc / cp,
	       cyc / cp <= 3 ? "" : "  MISSED");
	sf = sim_file(65536);
	hf = host_file(65536, &why);
	if (hf < 0)
		printf("file        clean page cache reclaim %8.0f ns/page   host drop_caches: skipped, "
		       "%s\n", sf * 1e9, why);
	else
		printf("file        clean page cache reclaim %8.0f ns/page   host drop_caches %6.0f "
		       "ns/page   ratio %.2f (target <= 1)%s\n", sf * 1e9, hf * 1e9, sf / hf,
		       sf / hf <= 1 ? "" : "  MISSED");
	db = host_bytes(false, &dp);
	zb = host_bytes(true, &zp);
	printf("host bytes  per swapped-out page %8.1f B (%lu pages; target <= %d)%s   per "
	       "swapped-out zero page %5.1f B (%lu pages; target <= 16)%s\n", db, dp, 4096 + 16,
	       db <= 4096 + 16 ? "" : "  MISSED", zb, zp, zb <= 16 ? "" : "  MISSED");
	return 0;
}
