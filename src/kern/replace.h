/*
 * Page replacement in N frames: the textbook policies, run on the real
 * page tables of a replayed task (`vmsim-cli replay --frames N --policy P`).
 *
 * The task's pages get N page frames (page tables and kernel memory are not
 * counted, as the textbooks assume).  Every page the task references goes
 * through the MMU and the kernel's fault handler as in any replay; this
 * layer keeps the task's present pages at N at most:
 *
 *   - a fault that maps a page not resident (a first use too: pure demand
 *     paging) is a page fault of the policy; when N pages are resident the
 *     policy picks a victim among them, which is evicted as the kernel
 *     evicts a page: its PTE cleared (zap_page_range), the TLB entry
 *     flushed; a victim whose PTE has the Dirty bit is a write to disk;
 *   - the policies that use reference information read it where the
 *     hardware leaves it: the Accessed and Dirty bits the MMU's walk sets
 *     in the PTE.  Clearing an Accessed bit also flushes that page's TLB
 *     entry, because x86 sets A only when a walk fills the TLB: without the
 *     flush, references that hit the TLB would go unseen (Linux accepts
 *     that inexactness in ptep_clear_flush_young(); the textbooks do not);
 *   - LRU, LFU and OPT need every reference, which no x86 hardware
 *     reports: the replay hands each one to the policy (replace_hit()).
 *
 * Time is counted in page references (a trace record touching k pages is
 * k references, an M record two per page): the refresh interval of nru and
 * aging, wsclock's tau and OPT's next use are all in those units.
 *
 * Invariant (replace_check()): the resident set is exactly the task's
 * present user PTEs; each resident page's frame slot names its vpn and the
 * entry address of its PTE, the map vpn -> slot holds exactly the resident
 * pages, and at most N are resident.
 *
 * A policy is a struct replace_ops.  The textbook ones pick victims here;
 * one that lets the kernel's own reclaim decide (REPLACE_KERNEL: `linux`)
 * only sets the machine up: in its .setup hook a memory cgroup with
 * memory.max = N pages holding the task, kernel memory not charged (as
 * booting with cgroup.memory=nokmem: page tables and stacks are no
 * frames), no swap readahead; in the pass over the trace before the run
 * (REPLACE_FOOTPRINT) a swap area for every page the trace touches.  It
 * has no frame table: replace_fault() counts references and first uses,
 * and replace_stats() takes the faults and evictions from the kernel's
 * counters (major faults, the cgroup's pgsteal, nr_vmscan_write for the
 * dirty ones, pswpout for the writes: a page of zeroes needs none).
 */
#ifndef VMSIM_KERN_REPLACE_H
#define VMSIM_KERN_REPLACE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/pagemap.h"
#include "util/trace.h"
#include "vmsim/error.h"

struct vmsim_machine;
struct task_struct;
struct replace;

/* What a policy needs from the replay. */
#define REPLACE_REFS	0x1	/* every reference (LRU, LFU, OPT) */
#define REPLACE_FUTURE	0x2	/* the next-use pass over the trace (OPT) */
#define REPLACE_TICKS	0x4	/* a tick every --refresh references (nru, aging) */
#define REPLACE_KERNEL	0x8	/* the kernel's reclaim decides, not this layer */
#define REPLACE_FOOTPRINT 0x10	/* a pass over the trace counts its pages first */

struct replace_ops {
	const char *name;
	const char *about;		/* one line, for the help and the docs */
	unsigned flags;			/* REPLACE_* */
	bool available;			/* false: refused, with .missing as the reason */
	const char *missing;
	/* REPLACE_KERNEL: configure the machine for N frames (memory.max). */
	int (*setup)(struct replace *rs, struct vmsim_error *err);
	/* A reference to the resident page in @slot (REPLACE_REFS). */
	void (*reference)(struct replace *rs, uint32_t slot);
	/* The slot whose page goes (N pages resident). */
	uint32_t (*victim)(struct replace *rs);
	/* A page was just loaded into @slot. */
	void (*admit)(struct replace *rs, uint32_t slot);
	/* The refresh tick (REPLACE_TICKS). */
	void (*tick)(struct replace *rs);
};

struct replace_params {
	uint64_t frames;		/* N >= 1 */
	uint64_t refresh;		/* nru, aging: references between ticks */
	uint64_t tau;			/* wsclock: working-set window, in references */
	uint64_t seed;			/* random, nru: the generator's seed */
};

/* Defaults when the user gives none. */
#define REPLACE_DEFAULT_REFRESH 1000
#define REPLACE_DEFAULT_TAU 1000
#define REPLACE_DEFAULT_SEED 1
#define REPLACE_MAX_FRAMES (1ULL << 31)

/* One page frame of the N. */
struct replace_frame {
	uint64_t vpn;			/* the resident page */
	uint64_t epa;			/* the physical address of its PTE */
	uint64_t key, key2;		/* the policy's numbers (count, age, next use...) */
	uint32_t prev, next;		/* LRU: the recency list */
	uint32_t heap;			/* LFU, OPT: position in the heap */
};

struct replace_stats {
	uint64_t references;		/* page references that reached a page */
	uint64_t faults;		/* references to a page not resident */
	uint64_t first_faults;		/* ... its first use: no eviction was needed */
	uint64_t evictions;
	uint64_t dirty_evictions;	/* evicted with D set: a write to disk */
	uint64_t disk_writes;		/* dirty evictions + wsclock's cleaning writes */
	uint64_t ticks;			/* refresh ticks */
	uint64_t bit_clears;		/* Accessed (and wsclock's Dirty) bits cleared */
};

/* REPLACE_KERNEL: the kernel's reclaim counters of the run (the cgroup's
 * memory.stat events and the machine's swap I/O), in replace_reclaim_name
 * order. */
enum {
	RR_PGSCAN, RR_PGSTEAL, RR_PGACTIVATE, RR_PGDEACTIVATE, RR_PGREFILL, RR_PSWPIN, RR_PSWPOUT,
	RR_VMSCAN_WRITE, RR_PGMAJFAULT, RR_WS_REFAULT_ANON, RR_WS_REFAULT_FILE, RR_WS_ACTIVATE_ANON,
	RR_WS_ACTIVATE_FILE, RR_WS_RESTORE_ANON, RR_WS_RESTORE_FILE, NR_REPLACE_RECLAIM
};
extern const char *const replace_reclaim_name[NR_REPLACE_RECLAIM];

struct mem_cgroup;

struct replace {
	const struct replace_ops *ops;
	struct vmsim_machine *m;
	struct task_struct *t;
	struct replace_params p;
	struct replace_stats st;
	struct replace_frame *f;	/* p.frames slots */
	uint32_t nr_used;		/* slots 0..nr_used-1 hold pages */
	uint32_t hand;			/* fifo, clock, wsclock: the next slot to look at */
	uint32_t lru_head, lru_tail;	/* most and least recent */
	uint32_t *heap;			/* lfu, opt: a min-heap of slots by (key, key2) */
	uint64_t loads;			/* pages loaded (lfu's tie-break) */
	uint64_t next_tick;		/* references at the next refresh tick */
	uint64_t rng;			/* random, nru: xorshift64* state */
	uint64_t *next_use;		/* opt: per page touch, the next touch of its page */
	uint64_t nr_touches;		/* ... how many */
	uint64_t next_use_cap;		/* ... room for */
	const uint64_t *touch;		/* the replay's page-touch counter */
	struct pagemap map;		/* vpn -> slot of the resident pages */
	uint64_t seen_pages;		/* distinct pages referenced (first_faults) */
	struct pagemap seen;		/* every page referenced once (first use) */
	/* REPLACE_KERNEL */
	struct mem_cgroup *memcg;	/* the cgroup of N frames */
	uint64_t reclaim_base[NR_REPLACE_RECLAIM];	/* the counters at the start */
	uint64_t reclaim[NR_REPLACE_RECLAIM];	/* since the start (replace_stats()) */
	uint64_t swap_pages;		/* the swap area made for the footprint */
};

#define REPLACE_NONE (~0u)

/* The policy called @name, or NULL.  The list for help texts: every
 * name, '|'-separated, into @buf. */
const struct replace_ops *replace_find(const char *name);
extern const struct replace_ops *const replace_policies[];

/*
 * Set @rs up for @ops with @p, for task @t of @m (whose present pages are
 * all unmapped first: the run starts with no page resident).  @touch
 * counts the replay's page touches (OPT's clock).  0, or -errno with @err
 * filled: -ENOSYS for a policy this build does not have, -ENOMEM.
 */
int replace_init(struct replace *rs, const struct replace_ops *ops,
		 const struct replace_params *p, struct vmsim_machine *m, struct task_struct *t,
		 const uint64_t *touch, struct vmsim_error *err);
void replace_destroy(struct replace *rs);

/*
 * OPT's pass over the future: read @path (format @fmt, as trace_open())
 * and note for every page touch the next touch of the same page.  Needs a
 * file that can be read twice (not standard input).  0 or -errno with @err.
 */
int replace_opt_prepare(struct replace *rs, const char *path, int fmt, struct vmsim_error *err);
/*
 * REPLACE_FOOTPRINT (linux): read @path once, count the distinct pages
 * it touches and swapon an area that holds them all.  0 or -errno with
 * @err (a file is needed, as for OPT).
 */
int replace_footprint_prepare(struct replace *rs, const char *path, int fmt,
			      struct vmsim_error *err);

/* The counts so far; for REPLACE_KERNEL, with the kernel's counters read
 * now into the faults, evictions and rs->reclaim. */
const struct replace_stats *replace_stats(struct replace *rs);

/* The page touches of one trace record, in replay_one()'s order: @fn on
 * each page's vpn, twice per page for an M record. */
static inline void trace_rec_touches(const struct trace_rec *rec,
				     void (*fn)(void *arg, uint64_t vpn), void *arg)
{
	uint64_t last = (rec->addr + rec->size - 1) >> 12;

	for (uint64_t vpn = rec->addr >> 12;; vpn = (vpn + 1) & ((1ULL << 52) - 1)) {
		fn(arg, vpn);
		if (rec->type == TRACE_M)
			fn(arg, vpn);
		if (vpn == (last & ((1ULL << 52) - 1)))
			break;
	}
}

/* The seeded generator of random and nru (xorshift64*, Vigna): the next
 * number from *@state (non-zero), and one uniform in [0, @n). */
uint64_t replace_random(uint64_t *state);
uint32_t replace_random_below(uint64_t *state, uint32_t n);

/* The slow halves of replace_hit() (replace.c). */
void replace_reference(struct replace *rs, uint64_t vpn);
void replace_do_tick(struct replace *rs);

/* A reference that the MMU translated without a fault. */
static inline void replace_hit(struct replace *rs, uint64_t va)
{
	rs->st.references++;
	if (rs->ops->flags & REPLACE_REFS)
		replace_reference(rs, va >> 12);
	if (__builtin_expect(rs->st.references == rs->next_tick, 0))
		replace_do_tick(rs);
}

/*
 * A reference that faulted and that the kernel's fault handler resolved
 * (the retried translation succeeded): a page fault of the policy when
 * the page was not resident (it is loaded, a victim evicted first if N
 * are resident), else a reference like replace_hit() (a write to a page
 * mapped read-only, a copy-on-write).  0, or -ENOMEM when the host
 * refused memory (the replay stops).
 */
int replace_fault(struct replace *rs, uint64_t va);

/* The invariant above; 0 or -EFAULT with @err. */
int replace_check(struct replace *rs, struct vmsim_error *err);

#endif
