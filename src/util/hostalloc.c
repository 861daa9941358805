/*
 * Host allocation layer (see hostalloc.h).  Invariant: ha->live equals the
 * bytes handed out through @ha and not yet freed, so a machine can report
 * its own metadata footprint and tests can assert it returns to zero.
 */
#include "util/hostalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmsim-config.h"

#if VMSIM_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

static long fail_countdown = -1;

void host_fail_after(long n)
{
	fail_countdown = n;
}

static int should_fail(void)
{
	if (fail_countdown < 0)
		return 0;
	if (fail_countdown == 0)
		return 1;
	fail_countdown--;
	return 0;
}

int host_arena_init(struct host_arena *ha)
{
	ha->arena = 0;
	ha->live = 0;
#if VMSIM_HAVE_JEMALLOC
	unsigned int idx;
	size_t sz = sizeof(idx);
	if (mallctl("arenas.create", &idx, &sz, NULL, 0) == 0)
		ha->arena = idx;
#endif
	return 0;
}

void host_arena_finish(struct host_arena *ha)
{
#if VMSIM_HAVE_JEMALLOC
	if (ha->arena) {
		char name[64];
		/* Everything should already be freed; destroying the arena
		 * returns its retained extents to the host at once. */
		snprintf(name, sizeof(name), "arena.%u.destroy", ha->arena);
		mallctl(name, NULL, NULL, NULL, 0);
	}
#endif
	ha->arena = 0;
}

void *host_alloc(struct host_arena *ha, size_t size)
{
	void *p;

	if (should_fail() || size == 0)
		return NULL;
#if VMSIM_HAVE_JEMALLOC
	if (ha && ha->arena)
		p = mallocx(size, MALLOCX_ARENA(ha->arena) | MALLOCX_TCACHE_NONE);
	else
		p = malloc(size);
#else
	p = malloc(size);
#endif
	if (p && ha)
		ha->live += size;
	return p;
}

void *host_zalloc(struct host_arena *ha, size_t size)
{
	void *p = host_alloc(ha, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void *host_realloc(struct host_arena *ha, void *p, size_t old_size, size_t size)
{
	void *n;

	if (!p)
		return host_alloc(ha, size);
	if (should_fail())
		return NULL;
#if VMSIM_HAVE_JEMALLOC
	if (ha && ha->arena)
		n = rallocx(p, size, MALLOCX_ARENA(ha->arena) | MALLOCX_TCACHE_NONE);
	else
		n = realloc(p, size);
#else
	n = realloc(p, size);
#endif
	if (n && ha)
		ha->live = ha->live - old_size + size;
	return n;
}

void host_free(struct host_arena *ha, void *p, size_t size)
{
	if (!p)
		return;
#if VMSIM_HAVE_JEMALLOC
	if (ha && ha->arena)
		dallocx(p, MALLOCX_TCACHE_NONE);
	else
		free(p);
#else
	free(p);
#endif
	if (ha)
		ha->live -= size;
}

char *host_strdup(struct host_arena *ha, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = host_alloc(ha, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void *host_map_lazy(size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *host_map_lazy_huge(size_t size)
{
	void *p = host_map_lazy(size);

#ifdef MADV_HUGEPAGE
	/* advice only: without THP the mapping works the same */
	if (p)
		madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

void host_unmap_lazy(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int host_lazy_backed(const void *p, size_t len, unsigned char *vec)
{
	uintptr_t start = (uintptr_t)p & ~(uintptr_t)(host_page_size() - 1);

	return mincore((void *)start, len + ((uintptr_t)p - start), vec);
}

size_t host_page_size(void)
{
	static size_t sz;

	if (!sz) {
		long v = sysconf(_SC_PAGESIZE);
		sz = v > 0 ? (size_t)v : 4096;
	}
	return sz;
}
