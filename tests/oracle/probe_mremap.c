/*
 * A probe program for the mremap differential test: after the C library's
 * own start-up it makes a fixed series of mremap calls of every shape
 * (growth in place and by moving, THP-aligned moves, shrinking, MREMAP_FIXED
 * over a mapping and across several VMAs, MREMAP_DONTUNMAP, a duplicate
 * of shared memory, a file mapping moved, and the calls the kernel
 * refuses), which the oracle records and the test replays in vmsim,
 * comparing every result and the final maps.
 *
 * Invariant: it never writes to memory it moves, so no anonymous VMA it
 * moves has an anon_vma on the host either (the replay takes no page
 * faults; whether a VMA was written decides its offset after a move and
 * so what it merges with).  It makes no call whose answer depends on
 * privileges (the oracle runs as whatever user runs the tests).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define FIXED (MREMAP_MAYMOVE | MREMAP_FIXED)

static char *map(void *addr, size_t len, int prot, int flags)
{
	return mmap(addr, len, prot, flags, -1, 0);
}

int main(int argc, char **argv)
{
	char *a, *b, *s, *f, *w = (char *)0x10000000;
	int fd;

	(void)argc;
	/* top-down, right below the lowest mapping: growth in place collides */
	a = map(NULL, 4 * PG, RW, ANON);
	mremap(a, 4 * PG, 8 * PG, 0);
	b = mremap(a, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
	b = mremap(b, 8 * PG, 2 * PG, 0);
	/* a 2 MiB multiple is THP-aligned; then it grows in place as far as
	 * the next mapping allows, and moves */
	b = mremap(b, 2 * PG, 4UL << 20, MREMAP_MAYMOVE);
	mremap(b, 2UL << 20, 3UL << 20, 0);		/* ENOMEM: not to its end */
	mremap(b, 4UL << 20, 5UL << 20, 0);
	mremap(b, 5UL << 20, 9UL << 20, MREMAP_MAYMOVE);

	/* a window of our own: VMAs of different rights, holes between */
	map(w, 2 * PG, RW, ANON | MAP_FIXED);
	map(w + 3 * PG, PG, PROT_READ, ANON | MAP_FIXED);
	map(w + 5 * PG, 2 * PG, RW, ANON | MAP_FIXED);
	map(w + 0x100000, 6 * PG, PROT_NONE, ANON | MAP_FIXED);
	/* fixed and the same size: every VMA moves, gaps kept, each clearing
	 * only its own destination */
	mremap(w + PG, 6 * PG, 6 * PG, FIXED, w + 0x100000);
	/* one that starts in a hole (EFAULT), and one that does not */
	mremap(w + 2 * PG, 4 * PG, 4 * PG, FIXED, w + 0x200000);
	mremap(w + 0x100000 + PG, 4 * PG, 4 * PG, FIXED, w + 0x200000);
	/* fixed over a mapping, growing; then shrinking */
	map(w + 0x300000, 8 * PG, PROT_READ, ANON | MAP_FIXED);
	mremap(w + 0x100000, PG, 3 * PG, FIXED, w + 0x300000 + 2 * PG);
	mremap(w + 0x300000 + 2 * PG, 3 * PG, PG, FIXED, w + 0x400000);
	/* moved next to a VMA it can join (never written: its offset follows) */
	map(w + 0x500000, 2 * PG, RW, ANON | MAP_FIXED);
	mremap(w + 0x400000, PG, PG, FIXED, w + 0x500000 + 2 * PG);
	/* DONTUNMAP, with a hint and without */
	mremap(w + 0x500000, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, w + 0x600000);
	mremap(w + 0x600000, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);

	/* shared memory: a second mapping of it, shorter and longer */
	s = map(NULL, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	mremap(s, 0, 2 * PG, MREMAP_MAYMOVE);
	mremap(s + PG, 0, 8 * PG, MREMAP_MAYMOVE);
	mremap(s, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
	/* 2 MiB of shared memory is not THP-aligned */
	s = map(NULL, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	mremap(s, 2 * PG, 2UL << 20, MREMAP_MAYMOVE);

	/* a file mapping: part of it moves and grows, keeping its offset */
	fd = open(argv[0], O_RDONLY);
	if (fd >= 0) {
		f = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f != MAP_FAILED) {
			mremap(f + PG, PG, 4 * PG, MREMAP_MAYMOVE);
			mremap(f, PG, PG, FIXED, w + 0x700000);
		}
		close(fd);
	}

	/* what the kernel refuses */
	mremap(w + 0x700000 + 1, PG, PG, 0);			/* EINVAL: unaligned */
	mremap(w + 0x700000, PG, 0, 0);				/* EINVAL: no length */
	mremap(w + 0x700000, PG, PG, 8);			/* EINVAL: unknown flag */
	mremap(w + 0x700000, PG, PG, MREMAP_FIXED, w);		/* EINVAL: no MAYMOVE */
	mremap(w + 0x500000, 2 * PG, 2 * PG, FIXED, w + 0x500000 + PG);	/* EINVAL: overlap */
	mremap(w + 0x500000, 0, PG, MREMAP_MAYMOVE);		/* EINVAL: private duplicate */
	mremap(w + 0x800000, PG, 2 * PG, MREMAP_MAYMOVE);	/* EFAULT: nothing there */
	mremap(w + 0x500000, 4 * PG, 8 * PG, MREMAP_MAYMOVE);	/* EFAULT: past the VMA */
	return 0;
}
