/*
 * A probe program for the open-mode differential test: the file named by
 * its last argument (16 KiB, a scratch file) opened O_RDONLY, O_WRONLY
 * and O_RDWR, and mapped through each descriptor shared and private with
 * the protections do_mmap() judges by the descriptor's mode; then the
 * calls that look at what that left (VM_SHARED, VM_MAYWRITE): mprotect to
 * PROT_WRITE, MADV_REMOVE, msync and mremap.  The oracle records every
 * call with the descriptor's mode and the test replays them in vmsim,
 * comparing each result and the VMAs with their VmFlags after it.
 *
 * Invariant: the same calls on every run; the only store is to a private
 * copy (an anonymous page the oracle sees).  It makes no call whose answer
 * depends on privileges.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL
#define RW (PROT_READ | PROT_WRITE)

int main(int argc, char **argv)
{
	int ro, wo, rw;
	char *p, *q, *r;

	if (argc < 2)
		return 2;
	ro = open(argv[argc - 1], O_RDONLY);
	wo = open(argv[argc - 1], O_WRONLY);
	rw = open(argv[argc - 1], O_RDWR);
	if (ro < 0 || wo < 0 || rw < 0)
		return 2;

	/* read-only, shared: no PROT_WRITE now (EACCES), and none later:
	 * the VMA has neither VM_SHARED nor VM_MAYWRITE */
	mmap(NULL, PG, RW, MAP_SHARED, ro, 0);
	mmap(NULL, PG, PROT_WRITE, MAP_SHARED_VALIDATE, ro, 0);
	/* an unknown flag (LTP mmap20's) is refused before the mode is
	 * looked at */
	mmap(NULL, PG, RW, MAP_SHARED_VALIDATE | 0x400, ro, 0);
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, ro, 0);
	if (p != MAP_FAILED) {
		mprotect(p, PG, RW);
		mprotect(p, PG, PROT_READ | PROT_EXEC);
		mprotect(p, 2 * PG, PROT_READ);
		madvise(p, PG, MADV_REMOVE);
		msync(p, 2 * PG, MS_SYNC);
		p = mremap(p, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
		if (p != MAP_FAILED)
			munmap(p, 4 * PG);
	}
	mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE, ro, 0);

	/* read-only, private: a copy on write, any protection */
	q = mmap(NULL, 2 * PG, RW, MAP_PRIVATE, ro, 0);
	if (q != MAP_FAILED) {
		q[0] = 1;
		mprotect(q, PG, PROT_READ);
		mprotect(q, 2 * PG, RW | PROT_EXEC);
		madvise(q, PG, MADV_REMOVE);
	}

	/* write-only: no mapping at all reads the file */
	mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0);
	mmap(NULL, PG, PROT_WRITE, MAP_SHARED, wo, 0);
	mmap(NULL, PG, PROT_NONE, MAP_SHARED, wo, 0);

	/* read-write, shared: VM_SHARED and VM_MAYWRITE, hole punching */
	r = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, rw, PG);
	if (r != MAP_FAILED) {
		mprotect(r, PG, RW);
		madvise(r, PG, MADV_REMOVE);
		mremap(r, 2 * PG, PG, 0);
	}
	close(ro);
	close(wo);
	close(rw);
	return 0;
}
