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

struct vmsim_scenario_opts {
	const char *config;		/* a machine when the scenario names none */
	const char *const *sets;	/* KEY=VALUE applied after the scenario's set: */
	int json;			/* one JSON document on @out */
	int check;			/* the invariants after every step */
	unsigned check_every;		/* with check: a full check every N steps */
	int verbose;			/* a stderr line for every step */
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
