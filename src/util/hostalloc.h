/*
 * Host allocation: every metadata object a machine owns (not simulated RAM)
 * comes from here.  With jemalloc each machine gets its own arena, so all of
 * a machine's host memory is accounted in one place and returned at once;
 * without it, the calls fall through to libc.  Callers still free what they
 * allocate: the arena is a bookkeeping aid, not a garbage collector, so the
 * sanitizer builds (libc malloc) stay leak-free too.
 *
 * host_alloc() and friends return NULL on host exhaustion; callers turn that
 * into -ENOMEM.
 *
 * Host exhaustion versus simulated exhaustion
 * -------------------------------------------
 * Inside the library -ENOMEM means one of two things.  Either the simulated
 * kernel ran out of simulated memory: an outcome the caller observes and
 * the simulation goes on (mmap fails, a fault ends in the OOM killer, a
 * scenario step `expect: { error: ENOMEM }` holds).  Or the host refused an
 * allocation: the simulation cannot go on faithfully and the command using
 * it must end ("vmsim-cli: out of host memory", exit status 2).
 *
 * The return codes do not tell the two apart, and are not made to: a host
 * allocation failing deep in a fault or an mmap returns -ENOMEM up the same
 * path the kernel's own allocation failure takes, and a few paths cope with
 * it and carry on.  The signal is separate instead: every refused host
 * allocation (host_alloc and friends, host_map_lazy, and libyaml's own
 * allocations, which come through this layer too) adds one to
 * host_oom_count().  Whoever must decide reads the count before an
 * operation and compares after it -- the scenario runner around each step,
 * the replay engine around each fault, the CLI before it prints anything --
 * and if it moved, whatever the operation returned, the host ran out and
 * the command ends.  The count is process-wide because host memory is: a
 * program holding several machines cannot trust one of them when the host
 * refused memory to another.
 *
 * Fault injection (host_fail_at, and the CLI's VMSIM_HOST_FAIL) counts and
 * fails exactly the allocations host_oom_count() counts, so a sweep over N
 * reaches every place the host can say no.
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

/* Host allocations refused since the process started (see above).  Thread
 * safe: a relaxed atomic read. */
unsigned long host_oom_count(void);
/* Host allocations asked for since the process started, refused or not:
 * what a fault-injection sweep counts.  Zero-byte requests do not count. */
unsigned long host_alloc_count(void);

/*
 * Fault injection, as SQLite's malloc tests do it: allocation number @n
 * after this call (1 = the next one) fails.  HOST_FAIL_ONCE fails only that
 * one, so the code must recover from a transient failure and the
 * allocations after it succeed; HOST_FAIL_PERSISTENT fails it and every
 * one after it, so the failure path itself must need no host memory.
 * n = 0 disarms.  Process-wide, a testing aid: not for concurrent use.
 */
enum host_fail_mode { HOST_FAIL_ONCE, HOST_FAIL_PERSISTENT };
void host_fail_at(unsigned long n, enum host_fail_mode mode);
/* Arm it from text, "N" (one-shot) or "N,persistent" with N >= 1: the
 * CLI's VMSIM_HOST_FAIL.  -EINVAL, and nothing armed, for anything else. */
int host_fail_parse(const char *spec);

/*
 * Map @size bytes of lazily-backed zero memory (MAP_NORESERVE): untouched
 * pages cost the host nothing.  NULL on failure (counted as host OOM).
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
