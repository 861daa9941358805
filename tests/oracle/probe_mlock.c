/*
 * A probe program for the mlock, mincore and msync differential test:
 * after the C library's start-up it locks and unlocks ranges of one
 * anonymous VMA (each call splits or merges it: the lo and lf VmFlags),
 * with MLOCK_ONFAULT, over holes and past RLIMIT_MEMLOCK; mlockall with
 * MCL_FUTURE (a later mmap comes locked) and MCL_CURRENT | MCL_ONFAULT;
 * reads mincore's vector over pages it wrote, locked and never touched;
 * and gives msync every flag, over holes and over locked memory.  The
 * oracle runs it with RLIMIT_MEMLOCK at 8 MiB and without CAP_IPC_LOCK,
 * as vmsim's tasks are; the test replays each call and compares.
 *
 * Invariant: every call's answer depends only on what the probe mapped
 * and on that limit: no file pages in a mincore range (the host's page
 * cache holds what other programs read), no MAP_SHARED of a read-only
 * descriptor.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static void write_pages(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		p[i * PG] = 1;
}

int main(void)
{
	char *w = (char *)0x20000000, *big = (char *)0x30000000;
	static unsigned char vec[64];

	mmap(w, 16 * PG, RW, ANON, -1, 0);
	write_pages(w, 4);

	/* splits and merges: the locked part populated, the on-fault part not */
	mlock(w + 2 * PG, 4 * PG);
	mlock(w + 4 * PG, 4 * PG);
	munlock(w + 2 * PG, 2 * PG);
	mlock2(w + 10 * PG, 2 * PG, MLOCK_ONFAULT);
	mlock(w + 11 * PG, 2 * PG);
	mlock(w + PG + 1, PG);				/* start rounded down */
	mincore(w, 16 * PG, vec);

	/* refused: a bad flag, a hole, more than RLIMIT_MEMLOCK */
	mlock2(w, PG, 4);				/* EINVAL */
	mlock(w + 15 * PG, 4 * PG);			/* ENOMEM: runs into a hole */
	mmap(big, 16UL << 20, RW, ANON, -1, 0);
	mlock(big, 16UL << 20);				/* ENOMEM: over the limit */
	mlock2(big, 16UL << 20, MLOCK_ONFAULT);		/* ENOMEM too */
	munmap(big, 16UL << 20);
	munlock(w, 16 * PG);				/* all one VMA again */

	/* mincore: written, never touched, then what it refuses */
	mincore(w, 16 * PG, vec);
	mincore(w + 1, PG, vec);			/* EINVAL: unaligned */
	mincore(w + 0x100000, PG, vec);			/* ENOMEM: nothing mapped */
	mincore(w + 15 * PG, 2 * PG, vec);		/* ENOMEM: runs into a hole */

	/* msync: anonymous memory is accepted; the checks are msync's own */
	msync(w, 16 * PG, MS_SYNC);
	msync(w, 16 * PG, MS_ASYNC);
	msync(w, PG, MS_SYNC | MS_ASYNC);		/* EINVAL */
	msync(w + 1, PG, MS_SYNC);			/* EINVAL: unaligned */
	msync(w, PG, 8);				/* EINVAL: no such flag */
	msync(w + 0x100000, PG, MS_SYNC);		/* ENOMEM: nothing mapped */
	mlock(w, 2 * PG);
	msync(w, 4 * PG, MS_INVALIDATE);		/* EBUSY: locked */
	msync(w + 2 * PG, 2 * PG, MS_INVALIDATE);
	munlock(w, 2 * PG);

	/* mlockall: a later mapping comes locked and populated; then every
	 * VMA locked on fault; each undone by munlockall */
	mlockall(0);					/* EINVAL */
	mlockall(MCL_ONFAULT);				/* EINVAL: needs one of the others */
	mlockall(MCL_FUTURE);
	mmap(w + 0x100000, 4 * PG, RW, ANON, -1, 0);
	mincore(w + 0x100000, 4 * PG, vec);
	munlockall();
	mlockall(MCL_CURRENT | MCL_ONFAULT);
	mmap(w + 0x200000, 4 * PG, RW, ANON, -1, 0);	/* not locked: no MCL_FUTURE */
	write_pages(w + 6 * PG, 2);
	munlockall();
	return 0;
}
