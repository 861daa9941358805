/*
 * A placement probe for the exec differential tests: the mmap placements
 * real programs depend on, made on the host under the oracle and replayed
 * in vmsim call by call (tests/oracle/test_exec_diff.c):
 *   - anonymous memory: 2 MiB multiples THP-aligned, others not, a
 *     MAP_STACK mapping (VM_NOHUGEPAGE) next to plain memory, MAP_32BIT;
 *   - the file named by the last argument (3 MiB, on the file
 *     system the test checked): THP-aligned by offset, the hint rules
 *     (the access modes are probe_fmode's);
 *   - built with -DPROBE_FALLBACK (a static program, nothing of its own
 *     below mmap_base but the vDSO): the area below mmap_base filled, so
 *     that the top-down search fails and the bottom-up one from
 *     TASK_UNMAPPED_BASE answers.
 * Its invariant: the same calls on every run; everything it maps depends
 * only on the layout the kernel gave it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB (1UL << 20)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

#ifdef PROBE_FALLBACK
static char maps[1 << 16];

/* [lo, hi) of each mapping (n at most max); the end of [vdso], which the
 * kernel puts right below mmap_base, in *base. */
static int read_maps(unsigned long *lo, unsigned long *hi, int max, unsigned long *base)
{
	FILE *f = fopen("/proc/self/maps", "r");
	size_t n;
	int k = 0;

	if (!f)
		return 0;
	n = fread(maps, 1, sizeof(maps) - 1, f);
	fclose(f);
	maps[n] = '\0';
	for (char *p = maps; *p && k < max;) {
		char *e = strchr(p, '\n');

		if (sscanf(p, "%lx-%lx", &lo[k], &hi[k]) == 2) {
			if (strstr(p, "[vdso]") && (!e || strstr(p, "[vdso]") < e))
				*base = hi[k];
			k++;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return k;
}

/* Leave below mmap_base only [base - 1 MiB, base) free, then ask for more
 * than that. */
static void fallback(void)
{
	unsigned long lo[64], hi[64], base = 0, prev = 0x10000;
	int k = read_maps(lo, hi, 64, &base);

	if (!base)
		return;
	for (int i = 0; i < k; i++)
		if (lo[i] >= base - MiB && hi[i] <= base)
			munmap((void *)lo[i], hi[i] - lo[i]);
	for (int i = 0; i <= k && prev < base - MiB; i++) {
		unsigned long s = i < k && lo[i] < base - MiB ? lo[i] : base - MiB;

		if (s > prev)
			mmap((void *)prev, s - prev, PROT_NONE, ANON | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			     -1, 0);
		if (i < k && hi[i] > prev)
			prev = hi[i];
	}
	mmap(NULL, 3 * MiB, RW, ANON, -1, 0);	/* does not fit below mmap_base */
	mmap(NULL, 4096, RW, ANON, -1, 0);
	mmap(NULL, 2 * MiB, RW, ANON, -1, 0);
}
#endif

int main(int argc, char **argv)
{
	const unsigned long x = 0x7f0000000000UL;
	int fd = argc > 1 ? open(argv[argc - 1], O_RDWR) : -1;

	/* anonymous memory */
	mmap(NULL, 2 * MiB, RW, ANON, -1, 0);
	mmap(NULL, 2 * MiB + 4096, RW, ANON, -1, 0);
	mmap(NULL, 4 * MiB, RW, ANON | MAP_STACK, -1, 0);
	mmap(NULL, 4096, RW, ANON, -1, 0);
	mmap(NULL, 4096, RW, ANON | MAP_STACK, -1, 0);
	mmap(NULL, 4096, RW, ANON, -1, 0);
	mmap(NULL, 2 * MiB, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mmap(NULL, 4096, RW, ANON | MAP_32BIT, -1, 0);
	mmap(NULL, 2 * MiB, RW, ANON | MAP_32BIT, -1, 0);
	mmap((void *)0x50000000, 4096, RW, ANON | MAP_32BIT, -1, 0);
	/* a file */
	if (fd >= 0) {
		mmap(NULL, 3 * MiB, PROT_READ, MAP_PRIVATE, fd, 0);
		mmap(NULL, 2 * MiB, PROT_READ, MAP_PRIVATE, fd, 0x1000);
		mmap(NULL, 2 * MiB, PROT_READ, MAP_PRIVATE, fd, 0x100000);
		mmap(NULL, 0x3ff000, PROT_READ, MAP_PRIVATE, fd, 0x1000);
		mmap(NULL, 2 * MiB, PROT_READ, MAP_SHARED, fd, 0);
		/* hints: room for 3 MiB but not 5, room for 5, anonymous */
		mmap((void *)(x + 0x400000), 4096, PROT_READ, ANON | MAP_FIXED, -1, 0);
		mmap((void *)(x + 0x1000), 3 * MiB, PROT_READ, MAP_PRIVATE, fd, 0);
		mmap((void *)(x - 0x1000000 + 0x1000), 3 * MiB, PROT_READ, MAP_PRIVATE, fd, 0);
		mmap((void *)(x - 0x2000000 + 0x1000), 2 * MiB, PROT_READ, ANON, -1, 0);
		close(fd);
	}
#ifdef PROBE_FALLBACK
	fallback();
#endif
	return 0;
}
