/*
 * A probe program for the exec differential tests: built several ways
 * (PIE, non-PIE, static, static-pie, executable stack, 2 MiB p_align) so
 * that each of load_elf_binary's placements is exercised on the host.
 * When run it makes a few memory system calls (brk growth, anonymous and
 * file mmaps, an mprotect split, a munmap) that the oracle records and
 * the tests replay in vmsim.  Its invariant: it does the same calls on
 * every run, whatever the build.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *b = sbrk(0);
	char *p, *q;
	int fd;

	(void)argc;
	if (brk(b + 0x21000) == 0)
		b[0x20000] = 1;
	p = mmap(NULL, 0x5000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
		p[0] = 1;
		mprotect(p + 0x1000, 0x1000, PROT_READ);
		munmap(p + 0x3000, 0x1000);
	}
	fd = open(argv[0], O_RDONLY);
	if (fd >= 0) {
		q = mmap(NULL, 0x2000, PROT_READ, MAP_PRIVATE, fd, 0);
		if (q != MAP_FAILED)
			munmap(q, 0x1000);
		close(fd);
	}
	/* a 2 MiB anonymous mapping: THP alignment of a hintless request */
	p = mmap(NULL, 0x200000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	(void)p;
	return 0;
}
