/*
 * A probe program for the madvise differential test: after the C
 * library's start-up it gives every advice that changes a VMA's flags
 * (and so splits and merges VMAs: DONTFORK/DOFORK, WIPEONFORK/KEEPONFORK,
 * RANDOM/SEQUENTIAL/NORMAL, DONTDUMP/DODUMP, HUGEPAGE/NOHUGEPAGE,
 * MERGEABLE/UNMERGEABLE) over single VMAs, over ranges of several VMAs,
 * over holes and over file and shared mappings; the advice that drops or
 * fills pages (DONTNEED, DONTNEED_LOCKED, FREE, REMOVE, WILLNEED,
 * POPULATE_READ/WRITE, COLD, PAGEOUT) on memory it wrote; and the calls
 * the kernel refuses.  The oracle records each result, the pages the
 * program touched between the calls and the VMAs (with VmFlags) after
 * each; the test replays them in vmsim and compares.
 *
 * Invariant: it makes no call whose answer depends on privileges or on
 * host state the simulation does not have (MADV_HWPOISON, MADV_COLLAPSE,
 * the guard-region advice), and it writes only where the VMA shapes it
 * sets up depend on it (an anon_vma decides whether two VMAs may merge).
 * Every advice comes from <sys/mman.h> (the build skips the probe when
 * the C library's headers are older than MADV_DONTNEED_LOCKED).
 */
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static char *map(char *addr, size_t len, int prot)
{
	return mmap(addr, len, prot, ANON, -1, 0);
}

static void write_pages(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		p[i * PG] = 1;
}

int main(int argc, char **argv)
{
	char *w = (char *)0x20000000, *f, *s;
	int fd;

	(void)argc;
	/* one VMA: each flag splits it, the neighbour with the same flag
	 * absorbs the next range, and the opposite advice merges it back */
	map(w, 16 * PG, RW);
	madvise(w + 2 * PG, 2 * PG, MADV_DONTFORK);
	madvise(w + 4 * PG, 2 * PG, MADV_DONTFORK);
	madvise(w + 2 * PG, 4 * PG, MADV_DOFORK);
	madvise(w + 8 * PG, 2 * PG, MADV_WIPEONFORK);
	madvise(w + 9 * PG, 2 * PG, MADV_KEEPONFORK);
	madvise(w + 8 * PG, PG, MADV_KEEPONFORK);
	madvise(w, PG, MADV_RANDOM);
	madvise(w + PG, PG, MADV_SEQUENTIAL);
	madvise(w, 2 * PG, MADV_NORMAL);
	madvise(w + 10 * PG, 3 * PG, MADV_DONTDUMP);
	madvise(w + 11 * PG, PG, MADV_DODUMP);
	madvise(w + 10 * PG, 3 * PG, MADV_DODUMP);
	madvise(w + 12 * PG, 4 * PG, MADV_HUGEPAGE);
	madvise(w + 14 * PG, 2 * PG, MADV_NOHUGEPAGE);
	madvise(w + 12 * PG, 2 * PG, MADV_NOHUGEPAGE);
	madvise(w + 13 * PG, 2 * PG, MADV_HUGEPAGE);
	/* KSM's flag, where the host kernel has KSM */
	if (access("/sys/kernel/mm/ksm", F_OK) == 0) {
		madvise(w + 6 * PG, 2 * PG, MADV_MERGEABLE);
		madvise(w + 6 * PG, 2 * PG, MADV_UNMERGEABLE);
	}

	/* a range over three VMAs of different rights: both ends split */
	w += 0x100000;
	map(w, 3 * PG, RW);
	map(w + 3 * PG, 3 * PG, PROT_READ);
	map(w + 6 * PG, 3 * PG, RW);
	madvise(w + PG, 7 * PG, MADV_DONTFORK);
	madvise(w, 9 * PG, MADV_DOFORK);
	madvise(w + 2 * PG, 5 * PG, MADV_HUGEPAGE);

	/* holes: the mapped parts take the advice, then ENOMEM */
	w += 0x100000;
	map(w, 2 * PG, RW);
	map(w + 3 * PG, 2 * PG, RW);
	madvise(w, 5 * PG, MADV_DONTFORK);
	madvise(w, 5 * PG, MADV_WILLNEED);
	madvise(w + 5 * PG, 4 * PG, MADV_NORMAL);

	/* two VMAs written apart have anon_vmas of their own: the same
	 * flags do not make them one */
	w += 0x100000;
	map(w, 2 * PG, RW);
	madvise(w, 2 * PG, MADV_DONTFORK);
	write_pages(w, 2);
	map(w + 2 * PG, 2 * PG, RW);
	write_pages(w + 2 * PG, 2);
	madvise(w, 2 * PG, MADV_DOFORK);
	/* ... but one that was never written joins the written one */
	map(w + 4 * PG, 2 * PG, RW);
	madvise(w + 4 * PG, 2 * PG, MADV_DONTFORK);
	madvise(w + 4 * PG, 2 * PG, MADV_DOFORK);

	/* pages dropped and filled */
	w += 0x100000;
	map(w, 16 * PG, RW);
	write_pages(w, 8);
	madvise(w + 2 * PG, 2 * PG, MADV_DONTNEED);
	w[2 * PG] = 2;
	madvise(w + 4 * PG, 2 * PG, MADV_DONTNEED_LOCKED);
	madvise(w + 6 * PG, 2 * PG, MADV_FREE);
	madvise(w + 8 * PG, 2 * PG, MADV_POPULATE_WRITE);
	madvise(w + 10 * PG, 2 * PG, MADV_POPULATE_READ);
	madvise(w, 4 * PG, MADV_COLD);
	madvise(w, 4 * PG, MADV_PAGEOUT);
	madvise(w, 16 * PG, MADV_WILLNEED);
	map(w + 0x10000, 2 * PG, PROT_READ);
	madvise(w + 0x10000, 2 * PG, MADV_POPULATE_WRITE);	/* not writable */
	madvise(w + 0x10000, 2 * PG, MADV_POPULATE_READ);
	map(w + 0x20000, 2 * PG, PROT_NONE);
	madvise(w + 0x20000, 2 * PG, MADV_POPULATE_READ);	/* no access */
	madvise(w + 0x20000, 2 * PG, MADV_DONTNEED);
	madvise(w + 0x30000, 2 * PG, MADV_POPULATE_WRITE);	/* nothing there */

	/* a huge page where the advice allows one (the host faults 2 MiB) */
	w = (char *)0x40000000;
	map(w, 4UL << 20, RW);
	madvise(w, 4UL << 20, MADV_HUGEPAGE);
	w[0] = 1;
	madvise(w + (1UL << 20), 1UL << 20, MADV_NOHUGEPAGE);
	madvise(w, 4 * PG, MADV_DONTNEED);

	/* a file mapping: offsets kept across the splits, merged back */
	fd = open(argv[0], O_RDONLY);
	if (fd >= 0) {
		f = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f != MAP_FAILED) {
			madvise(f + PG, PG, MADV_RANDOM);
			madvise(f, PG, MADV_SEQUENTIAL);
			madvise(f, 3 * PG, MADV_NORMAL);
			madvise(f, 3 * PG, MADV_WILLNEED);
			madvise(f, PG, MADV_DONTFORK);
			madvise(f, PG, MADV_WIPEONFORK);	/* EINVAL: not anonymous */
			madvise(f, PG, MADV_FREE);		/* EINVAL: not anonymous */
			madvise(f, PG, MADV_REMOVE);		/* EINVAL: not shared */
			madvise(f + PG, 2 * PG, MADV_DONTNEED);
		}
		close(fd);
	}

	/* shared anonymous memory */
	s = mmap(NULL, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s != MAP_FAILED) {
		memset(s, 1, 4 * PG);
		madvise(s + PG, PG, MADV_REMOVE);
		madvise(s, PG, MADV_WIPEONFORK);		/* EINVAL */
		madvise(s, PG, MADV_FREE);			/* EINVAL */
		madvise(s + 2 * PG, PG, MADV_DONTFORK);
		madvise(s, 4 * PG, MADV_POPULATE_WRITE);
	}

	/* what the kernel refuses */
	w = (char *)0x20000000;
	madvise(w + 1, PG, MADV_DONTFORK);			/* EINVAL: unaligned */
	madvise(w, 0, MADV_DONTFORK);				/* 0: nothing to do */
	madvise(w, (size_t)-PG, MADV_DONTFORK);			/* EINVAL: wraps */
	madvise(w, PG, 99);					/* EINVAL: no such advice */
	madvise(w + 0x10000000, PG, MADV_DONTNEED);		/* ENOMEM: nothing mapped */
	madvise(w, (size_t)1 << 47, MADV_NORMAL);		/* ENOMEM: holes up to the top */
	return 0;
}
