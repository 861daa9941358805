/*
 * Host allocation: every metadata object a machine owns (not simulated RAM)
 * comes from here.  With jemalloc each machine gets its own arena, so all of
 * a machine's host memory is accounted in one place and returned at once;
 * without it, the calls fall through to libc.  Callers still free what they
 * allocate: the arena is a bookkeeping aid, not a garbage collector, so the
 * sanitizer builds (libc malloc) stay leak-free too.
 *
 * host_alloc() and friends return NULL on host exhaustion; callers turn that
 * into -ENOMEM.  Tests can make the N-th allocation fail (host_fail_after).
 */
#ifndef VMSIM_UTIL_HOSTALLOC_H
#define VMSIM_UTIL_HOSTALLOC_H

#include <stddef.h>
#include <stdint.h>

struct host_arena {
	unsigned int arena;	/* jemalloc arena index, 0 = default */
	size_t live;		/* bytes currently allocated through this arena */
};

int host_arena_init(struct host_arena *ha);
void host_arena_finish(struct host_arena *ha);

void *host_alloc(struct host_arena *ha, size_t size);
void *host_zalloc(struct host_arena *ha, size_t size);
void *host_realloc(struct host_arena *ha, void *p, size_t old_size, size_t size);
void host_free(struct host_arena *ha, void *p, size_t size);
char *host_strdup(struct host_arena *ha, const char *s);

/*
 * Fault injection for OOM tests: after @n more successful allocations,
 * every allocation fails until host_fail_after(-1).  Process-wide.
 */
void host_fail_after(long n);

/*
 * Map @size bytes of lazily-backed zero memory (MAP_NORESERVE): untouched
 * pages cost the host nothing.  NULL on failure (fault injection included).
 */
void *host_map_lazy(size_t size);
/* The same, advising the host to back it with huge pages (MADV_HUGEPAGE)
 * so that the host's own TLB does not dominate accesses to it: for the
 * simulated RAM, which is touched in frame-sized pieces all over. */
void *host_map_lazy_huge(size_t size);
void host_unmap_lazy(void *p, size_t size);
/* Which host pages of [p, p + len) of a lazy mapping the host has backed
 * (mincore()): vec[i] bit 0 for the i-th page from p rounded down to a
 * host page.  A page never backed reads as zeroes.  -1 (errno set) when
 * the host cannot tell: the caller must then treat every page as backed. */
int host_lazy_backed(const void *p, size_t len, unsigned char *vec);
/* The host's page size (what host_lazy_backed() counts in). */
size_t host_page_size(void);

#endif
