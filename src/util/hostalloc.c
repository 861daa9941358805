/*
 * Host allocation layer (see hostalloc.h).  Invariants: ha->live equals the
 * bytes handed out through @ha and not yet freed, so a machine can report
 * its own metadata footprint and tests can assert it returns to zero;
 * nr_refused counts every allocation this layer could not satisfy, injected
 * or real, and nothing else.
 *
 * libyaml's allocator is defined here too (the end of this file): libyaml
 * allocates through four exported functions of its own, which a program's
 * definitions replace, so the YAML parser's memory is counted and can be
 * failed like the rest (not in a fully static link: see there).
 */
#include "util/hostalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmsim-config.h"

/*
 * jemalloc's arenas give each machine its own host memory, returned whole
 * when it is destroyed.  The shared library is built without them
 * (VMSIM_HOSTALLOC_LIBC): Debian's libjemalloc keeps its thread-local state
 * in the initial-exec TLS model, which a library loaded by dlopen() (Python's
 * ctypes) cannot have, and a library must not replace its host program's
 * malloc anyway.
 */
#if VMSIM_HAVE_JEMALLOC && !defined(VMSIM_HOSTALLOC_LIBC)
#define USE_JEMALLOC 1
#include <jemalloc/jemalloc.h>
#else
#define USE_JEMALLOC 0
#endif

static atomic_ulong nr_allocs, nr_refused;
/* fault injection: the allocation number (in nr_allocs) that fails first */
static unsigned long fail_at;
static enum host_fail_mode fail_mode;

unsigned long host_oom_count(void)
{
	return atomic_load_explicit(&nr_refused, memory_order_relaxed);
}

unsigned long host_alloc_count(void)
{
	return atomic_load_explicit(&nr_allocs, memory_order_relaxed);
}

void host_fail_at(unsigned long n, enum host_fail_mode mode)
{
	fail_at = n ? host_alloc_count() + n : 0;
	fail_mode = mode;
}

int host_fail_parse(const char *spec)
{
	enum host_fail_mode mode = HOST_FAIL_ONCE;
	unsigned long n;
	char *end;

	if (!spec || spec[0] < '0' || spec[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(spec, &end, 10);
	if (errno || n == 0)
		return -EINVAL;
	if (strcmp(end, ",persistent") == 0)
		mode = HOST_FAIL_PERSISTENT;
	else if (*end)
		return -EINVAL;
	host_fail_at(n, mode);
	return 0;
}

/* Count one allocation; true when the injected failure says no to it. */
static bool injected_failure(void)
{
	unsigned long k = atomic_fetch_add_explicit(&nr_allocs, 1, memory_order_relaxed) + 1;

	return fail_at && (k == fail_at || (k > fail_at && fail_mode == HOST_FAIL_PERSISTENT));
}

/* Every NULL this layer hands out for want of memory goes through here. */
static void *refused(void)
{
	atomic_fetch_add_explicit(&nr_refused, 1, memory_order_relaxed);
	return NULL;
}

int host_arena_init(struct host_arena *ha)
{
	ha->arena = 0;
	ha->live = 0;
#if USE_JEMALLOC
	unsigned int idx;
	size_t sz = sizeof(idx);
	if (mallctl("arenas.create", &idx, &sz, NULL, 0) == 0)
		ha->arena = idx;
#endif
	return 0;
}

void host_arena_finish(struct host_arena *ha)
{
#if USE_JEMALLOC
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

	if (size == 0)
		return NULL;
	if (injected_failure())
		return refused();
#if USE_JEMALLOC
	if (ha && ha->arena)
		p = mallocx(size, MALLOCX_ARENA(ha->arena) | MALLOCX_TCACHE_NONE);
	else
		p = malloc(size);
#else
	p = malloc(size);
#endif
	if (!p)
		return refused();
	if (ha)
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
	if (injected_failure())
		return refused();
#if USE_JEMALLOC
	if (ha && ha->arena)
		n = rallocx(p, size, MALLOCX_ARENA(ha->arena) | MALLOCX_TCACHE_NONE);
	else
		n = realloc(p, size);
#else
	n = realloc(p, size);
#endif
	if (!n)
		return refused();
	if (ha)
		ha->live = ha->live - old_size + size;
	return n;
}

void host_free(struct host_arena *ha, void *p, size_t size)
{
	if (!p)
		return;
#if USE_JEMALLOC
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

	if (injected_failure())
		return refused();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED)
		return p;
	/* EINVAL (a size no mapping can have) is a bad request, not exhaustion */
	return errno == ENOMEM ? refused() : NULL;
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

/*
 * libyaml's allocator.  libyaml (0.1 to 0.2.5) allocates and frees only
 * through yaml_malloc, yaml_realloc, yaml_free and yaml_strdup, which it
 * exports and calls through its PLT; a definition in the program, or in a
 * library loaded before libyaml, takes their place.  They live here, in the
 * file every user of libvmsim links (the CLI statically, any other program
 * through libvmsim.so, which exports them for this reason alone), so that
 * the YAML parser's memory is counted and fault-injected with the rest and
 * a parser that runs out sets YAML_MEMORY_ERROR like a real exhaustion.
 * The behaviour is libyaml's own (zero sizes become one byte; memory from
 * malloc, so libyaml's other callers in the process see no difference).
 *
 * They are weak: a program linked statically against libvmsim.a and
 * libyaml.a gets libyaml's own object with them, whose strong definitions
 * then win instead of clashing (and the parser's memory goes uncounted).
 * The dynamic linker does not tell weak from strong, so with libyaml.so
 * these still take the place of libyaml's.
 */
#define YAML_HOOK __attribute__((weak, visibility("default")))

YAML_HOOK void *yaml_malloc(size_t size);
YAML_HOOK void *yaml_realloc(void *ptr, size_t size);
YAML_HOOK void yaml_free(void *ptr);
YAML_HOOK unsigned char *yaml_strdup(const unsigned char *str);

YAML_HOOK void *yaml_malloc(size_t size)
{
	void *p;

	if (injected_failure())
		return refused();
	p = malloc(size ? size : 1);
	return p ? p : refused();
}

YAML_HOOK void *yaml_realloc(void *ptr, size_t size)
{
	void *p;

	if (!ptr)
		return yaml_malloc(size);
	if (injected_failure())
		return refused();
	p = realloc(ptr, size ? size : 1);
	return p ? p : refused();
}

YAML_HOOK void yaml_free(void *ptr)
{
	free(ptr);
}

YAML_HOOK unsigned char *yaml_strdup(const unsigned char *str)
{
	size_t n;
	unsigned char *d;

	if (!str)
		return NULL;
	n = strlen((const char *)str) + 1;
	d = yaml_malloc(n);
	if (d)
		memcpy(d, str, n);
	return d;
}
