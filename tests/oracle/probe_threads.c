/*
 * A probe program for the multi-threaded differential test: the main
 * thread starts four threads at once (a barrier), and each allocates the
 * way real programs do through the C library: large blocks (mmap of a
 * chunk above the mmap threshold, which the first free raises), small
 * ones from its own arena (a 64 MiB heap reserved PROT_NONE, the
 * unaligned parts unmapped, grown with mprotect), realloc growth of a
 * large block (mremap), frees (munmap, arena trimming), and at its exit
 * the C library's madvise of its unused stack.  Thread stacks are
 * mmap(MAP_STACK) with an mprotect'ed guard page; one thread has a small
 * stack, one a stack the program mapped itself.  The oracle serializes
 * the threads' calls as the kernel ran them; the test replays that order.
 *
 * Invariant: every thread's calls depend only on its own allocations, so
 * that any order the host picks is a valid one to replay; each thread
 * writes the first and last page of what it allocates (so its VMAs get
 * anon_vmas as real programs' do) and nothing more.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NTHREADS 4
#define PG 4096UL

static pthread_barrier_t start;

static void touch(char *p, size_t len)
{
	p[0] = 1;
	p[len - 1] = 1;
}

static void *worker(void *arg)
{
	const size_t id = (size_t)(uintptr_t)arg;
	const size_t big[3] = { 200 << 10, (600 + 64 * id) << 10, (1536 + 128 * id) << 10 };
	char *b[3], *small[64];

	pthread_barrier_wait(&start);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3; i++) {
			b[i] = malloc(big[i]);
			if (b[i])
				touch(b[i], big[i]);
		}
		for (int i = 0; i < 64; i++) {
			small[i] = malloc(1000 + 700 * (size_t)i);
			if (small[i])
				touch(small[i], 1000 + 700 * (size_t)i);
		}
		/* realloc of a large block: mremap, in place or moved */
		if (b[1]) {
			char *g = realloc(b[1], 2 * big[1] + 5000);

			if (g) {
				b[1] = g;
				touch(g, 2 * big[1] + 5000);
			}
		}
		for (int i = 0; i < 64; i += 2)
			free(small[i]);
		for (int i = 0; i < 3; i++)
			free(b[i]);
		for (int i = 1; i < 64; i += 2)
			free(small[i]);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	pthread_attr_t attr[NTHREADS];
	size_t own_len = 256 * PG;
	char *own, *m;

	pthread_barrier_init(&start, NULL, NTHREADS);
	own = mmap(NULL, own_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	for (size_t i = 0; i < NTHREADS; i++) {
		pthread_attr_init(&attr[i]);
		if (i == 1)
			pthread_attr_setstacksize(&attr[i], 64 * PG);
		if (i == 2 && own != MAP_FAILED)
			pthread_attr_setstack(&attr[i], own, own_len);
		if (pthread_create(&t[i], &attr[i], worker, (void *)(uintptr_t)i))
			return 1;
	}
	for (size_t i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		pthread_attr_destroy(&attr[i]);
	}
	/* the main arena: a large block grown by realloc */
	m = malloc(300 << 10);
	if (m) {
		memset(m, 1, 4096);
		m = realloc(m, 3 << 20);
		free(m);
	}
	return 0;
}
