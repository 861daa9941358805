/*
 * Memory traces and scenarios.  A replay runs accesses through a task as a
 * CPU would (TLB, walk, fault, retry), fed from a trace file (lackey, the
 * course formats, ChampSim, reference strings, vmsim's binary format,
 * compressed or not), one at a time, or in batches.  A scenario is a YAML
 * file (docs/scenarios.md) with its own machine, steps and expectations.
 */
#ifndef VMSIM_REPLAY_H
#define VMSIM_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmsim_machine;
struct vmsim_task;
struct vmsim_replay;

enum vmsim_replay_layout {
	VMSIM_REPLAY_FLAT,	/* memory made on demand wherever the trace goes */
	VMSIM_REPLAY_TASK,	/* the task's own VMAs: outside them is a SIGSEGV */
};

/* The trace formats, '|'-separated, as a format argument names them. */
#define VMSIM_TRACE_FORMATS "lackey|vmsim|rw|ls|champsim|pages"

/* A trace record: an instruction fetch, load, store, or modify (a load
 * then a store) of 1..16383 bytes. */
enum vmsim_rec_type { VMSIM_REC_I, VMSIM_REC_L, VMSIM_REC_S, VMSIM_REC_M };
struct vmsim_rec {
	uint64_t addr;
	uint32_t size;
	enum vmsim_rec_type type;
};

/* Start a replay through @t on CPU 0 (switched to it).  The replay
 * borrows the task: close it before the task exits.  -EINVAL, -ENOMEM. */
VMSIM_API int vmsim_replay_open(struct vmsim_machine *m, struct vmsim_task *t,
				enum vmsim_replay_layout layout, struct vmsim_replay **out);
VMSIM_API void vmsim_replay_close(struct vmsim_replay *rp);
/* One record; a batch of @n records in order.  0; -EINVAL for a bad record
 * (neither it nor, in a batch, the records after it are replayed); -ENOMEM
 * once the machine (or the host) ran out of memory, for this and every
 * later call. */
VMSIM_API int vmsim_replay_access(struct vmsim_replay *rp, uint64_t addr, uint32_t size,
				  enum vmsim_rec_type type);
VMSIM_API int vmsim_replay_batch(struct vmsim_replay *rp, const struct vmsim_rec *recs,
				 size_t n);
/* Every record of the trace file @path ("-": standard input) in @format
 * ("lackey", "vmsim", "rw", "ls", "champsim", "pages"; NULL: detected).
 * 0, or a negative errno with @err naming the file and line. */
VMSIM_API int vmsim_replay_file(struct vmsim_replay *rp, const char *path, const char *format,
				struct vmsim_error *err);

/* The replay's counters so far (the names of `vmsim-cli replay`). */
struct vmsim_replay_counters {
	uint64_t accesses, instructions, page_touches, crossings;
	uint64_t l1d_hits, l1d_misses, l1i_hits, l1i_misses, l2_hits, l2_misses;
	uint64_t walks, entries_read;
	uint64_t min_flt, segv;
	uint64_t regions, region_bytes;	/* memory made on demand (FLAT) */
	uint64_t rss, pt_pages;		/* pages now */
};
VMSIM_API int vmsim_replay_counters(const struct vmsim_replay *rp,
				    struct vmsim_replay_counters *c);

/* ---- page replacement in N frames (`vmsim-cli replay --frames`) ---- */

#define VMSIM_REPLAY_MAX_FRAMES (1ULL << 31)	/* frames a policy may have */

/* A policy and its parameters; start from VMSIM_REPLAY_POLICY_INIT. */
struct vmsim_replay_policy {
	const char *name;	/* "fifo", "lru", "opt", "clock", "enhanced-clock", "nru",
				 * "aging", "lfu", "random", "wsclock", "linux" */
	uint64_t frames;	/* 1..VMSIM_REPLAY_MAX_FRAMES page frames */
	uint64_t refresh;	/* nru, aging: clear the Accessed bits every N references (>= 1) */
	uint64_t tau;		/* wsclock: the working-set window, in references */
	uint64_t seed;		/* random, nru: the generator's seed */
	/* opt and the kernel's policy read the whole trace ahead (its future,
	 * its footprint): the trace file and its format (NULL: detected) */
	const char *trace, *format;
	uint64_t reserved[4];	/* zero */
};
#define VMSIM_REPLAY_POLICY_INIT { .name = "lru", .frames = 0, .refresh = 1000, .tau = 1000, \
				   .seed = 1 }

/* What a policy is, before a machine is booted for it. */
struct vmsim_replay_policy_info {
	int available;		/* 0: this build refuses it, @missing says why */
	const char *missing;
	int ticks;		/* uses refresh */
	int uses_tau, uses_seed;
	int needs_trace;	/* reads the trace ahead: set policy.trace */
	int kernel;		/* the kernel's own reclaim (a memory cgroup, swap) */
};
/* -ENOENT for no policy of that name. */
VMSIM_API int vmsim_replay_policy_info(const char *name, struct vmsim_replay_policy_info *info);

/*
 * Give the replay's task @p->frames page frames under policy @p->name,
 * before the first record: its resident pages are unmapped, and a page
 * fault of the policy loads a page, evicting one when all frames are
 * taken (transparent huge pages off: a huge page would map 512 pages in
 * no frame).  0; -EINVAL (bad parameters, records already replayed, a
 * policy already set), -ENOENT (no such policy), -EOPNOTSUPP (not in this
 * build), -ENOMEM, or the trace's errors for a policy that reads it ahead;
 * @err says why.
 */
VMSIM_API int vmsim_replay_set_policy(struct vmsim_replay *rp, const struct vmsim_replay_policy *p,
				      struct vmsim_error *err);

/* ---- everything a replay counted (the numbers of `vmsim-cli replay --json`) ---- */

#define VMSIM_MAX_LEVELS 5
#define VMSIM_TLB_COUNTS 6
#define VMSIM_FAULT_COUNTS 8
#define VMSIM_RECLAIM_COUNTS 15

/* A counter and its name (the names of the JSON report); the name is the
 * library's, valid while it is loaded. */
struct vmsim_count {
	const char *name;
	uint64_t value;
};

struct vmsim_replay_stats {
	uint64_t accesses, by_type[4];		/* records: all, then I L S M */
	uint64_t instructions;			/* I records */
	uint64_t page_touches, crossings;	/* translations; records crossing a page */
	/* the TLB levels l1d, l1i, l2: hits misses fills evictions flushes invlpg */
	struct vmsim_count tlb[3][VMSIM_TLB_COUNTS];
	/* the L1s' large-page arrays: entries filled and evicted */
	uint64_t l1d_large_fills, l1d_large_evictions, l1i_large_fills, l1i_large_evictions;
	uint64_t walks, entries_read;
	/* the page-table format, root first: @levels levels, each with the
	 * Linux level it is (vmsim_pt_level_name(): 0 "pgd" .. 4 "pte"), the
	 * SDM's name, the bytes an entry there maps, whether it may map a
	 * page (the last level, or one of large pages), the entries read
	 * there, the walks that mapped a page there, and the
	 * paging-structure cache of its entries (psc_name NULL: none) */
	const char *format;
	unsigned levels;
	struct {
		int linux_level;
		const char *intel_name;
		uint64_t page_size;
		int maps;
		uint64_t entries_read, pages_mapped;
		const char *psc_name;
		uint64_t psc_hits, psc_misses;
	} level[VMSIM_MAX_LEVELS];
	uint64_t entries_saved;			/* entries the caches' hits spared */
	/* the cost model (config tlb.cost): cycles per L1 lookup, per L2
	 * lookup, per entry a walk reads, and the cycles of all translations */
	unsigned cost_l1_hit, cost_l2_hit, cost_walk_ref;
	uint64_t translation_cycles;
	/* the task's faults: min_flt demand_zero zero_page cow cow_reuse
	 * stack_grow segv sigbus */
	struct vmsim_count faults[VMSIM_FAULT_COUNTS];
	uint64_t segv;				/* SIGSEGV of the replay's accesses */
	uint64_t regions, region_bytes;		/* VMSIM_REPLAY_FLAT: memory made on demand */
	uint64_t unmappable;			/* accesses no user mapping can cover */
	uint64_t rss, pt_pages;			/* pages now */
	int flat;				/* the layout is VMSIM_REPLAY_FLAT */
	int oom;				/* the machine (or the host) ran out of memory */
	const char *machine;			/* the config's name */
	/* with a policy: its name (NULL without), parameters and counts */
	const char *policy;
	uint64_t frames, refresh, tau, seed;
	int ticks, uses_tau, uses_seed, kernel;
	uint64_t references, faults_policy, first_use_faults, evictions, dirty_evictions,
		disk_writes, ticks_run, bit_clears;
	/* kernel: the cgroup's reclaim counters (named also without it) and
	 * the swap pages used */
	uint64_t swap_pages;
	struct vmsim_count reclaim[VMSIM_RECLAIM_COUNTS];
};
/* The counters so far into @s, of which the caller has @size bytes
 * (sizeof(*s) of the header it was built with: a later library fills no
 * more).  0 or -EINVAL. */
VMSIM_API int vmsim_replay_stats(struct vmsim_replay *rp, struct vmsim_replay_stats *s,
				 size_t size);
/* Linux's page-table levels, root first: 0 "pgd", "p4d", "pud", "pmd",
 * 4 "pte" (@l past them: NULL). */
VMSIM_API const char *vmsim_pt_level_name(unsigned l);
/* The paging-structure caches, root first: 0 "pml5e_cache",
 * "pml4e_cache", "pdpte_cache", 3 "pde_cache" (@i past them: NULL). */
VMSIM_API const char *vmsim_psc_name(unsigned i);

/* With the machine's --check tracking on (vmsim_machine_check_start()):
 * the invariants of what the records since the last call changed, and the
 * policy's.  0, or -EFAULT with the violation in @err. */
VMSIM_API int vmsim_replay_check(struct vmsim_replay *rp, int full, struct vmsim_error *err);

/* ---- trace files ---- */

struct vmsim_trace;

/* Open the trace @path ("-": standard input) in @format (NULL: detected
 * from the content), its first record read: a file that is not a trace
 * fails here with its first bad line.  0 or -errno with @err. */
VMSIM_API int vmsim_trace_open(const char *path, const char *format, struct vmsim_trace **out,
			       struct vmsim_error *err);
VMSIM_API void vmsim_trace_close(struct vmsim_trace *tr);
/* Up to @n records into @recs: their count, 0 at the end, or -errno with
 * @err ("TRACE:LINE: message"). */
VMSIM_API long vmsim_trace_read(struct vmsim_trace *tr, struct vmsim_rec *recs, size_t n,
				struct vmsim_error *err);
struct vmsim_trace_info {
	const char *format;		/* "lackey", ... */
	const char *label;		/* the format as a report names it */
	const char *compression;	/* "gzip", "xz", "zstd", or NULL */
	uint64_t bytes_read;		/* of the file as stored (compressed) */
	uint64_t total_bytes;		/* its size, 0 when unknown (a pipe) */
};
VMSIM_API int vmsim_trace_info(const struct vmsim_trace *tr, struct vmsim_trace_info *info);
/* The trace @in to vmsim's binary format in @out (written whole, through a
 * temporary, or not at all; never over @in): the records written, or
 * -errno with @err. */
VMSIM_API long long vmsim_trace_convert(const char *in, const char *format, const char *out,
					struct vmsim_error *err);

struct vmsim_scenario_opts {
	const char *config;		/* a machine when the scenario names none */
	const char *const *sets;	/* KEY=VALUE applied after the scenario's set: */
	int json;			/* one JSON document on @out */
	int check;			/* the invariants after every step */
	unsigned check_every;		/* with check: a full check every N steps */
	int verbose;			/* a stderr line for every step */
	/* every event of the scenario's machine (vmsim_events_subscribe(),
	 * vmsim/stats.h), or NULL */
	void (*events)(uint64_t seq, const char *kind, const char *task, const char *fields,
		       void *arg);
	void *events_arg;
	uint64_t reserved[4];		/* zero */
};
struct vmsim_scenario_result {
	unsigned steps_run, checked, failed;	/* steps; expectations checked, failed */
};
/*
 * Run the scenario file @path, printing its shows and summary on @out as
 * `vmsim-cli run` does.  0 when it ran to the end (@res->failed says
 * whether every expectation held), or a negative errno for bad input
 * with @err ("FILE:LINE:COL: ...").  @o may be NULL.
 */
VMSIM_API int vmsim_scenario_run(const char *path, const struct vmsim_scenario_opts *o,
				 FILE *out, struct vmsim_scenario_result *res,
				 struct vmsim_error *err);
/* The same from the YAML text @yaml; @name stands for the file in messages,
 * and relative paths in it are from the current directory. */
VMSIM_API int vmsim_scenario_run_string(const char *name, const char *yaml,
					const struct vmsim_scenario_opts *o, FILE *out,
					struct vmsim_scenario_result *res,
					struct vmsim_error *err);

#ifdef __cplusplus
}
#endif
#endif
