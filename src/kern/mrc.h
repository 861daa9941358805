/*
 * Miss-ratio curves in one pass (`vmsim-cli mrc`): the LRU fault count for
 * every number of frames, from Mattson's stack algorithm, exact or with
 * SHARDS spatial sampling; the OPT fault count at chosen frame counts; and
 * the TLB-reach curve (misses of a fully associative LRU TLB against its
 * entries, for 4 KiB and 2 MiB pages), all over the page references of a
 * trace as the replay makes them (trace_rec_touches()).
 *
 * Mattson et al. (1970): LRU is a stack algorithm, so a reference whose
 * stack distance is d (the number of distinct pages referenced since the
 * page's previous reference, itself included) hits in every memory of d
 * frames or more and faults in every smaller one; a first reference
 * faults everywhere.  One histogram of distances gives every frame count.
 * The distance is counted with a Fenwick tree over last-use times: a 1 at
 * each page's latest reference time, the distance the number of 1s from
 * the page's previous time on.  Times are renumbered (compacted) when the
 * tree is full, so the tree has at most 4 slots per distinct page: host
 * memory is O(distinct pages), not O(references).
 *
 * SHARDS (Waldspurger et al., FAST 2015): only pages whose hash falls
 * below R * 2^24 are followed; a distance measured among them stands for
 * d / R, and each counted fault for 1 / R faults (the "adj" correction:
 * the estimate is the sampled faults over R, whatever the sample's size),
 * at most the references counted (a trace of a few pages can sample its
 * hottest ones).
 *
 * Invariant (mattson_check()): the tree holds exactly one 1 per page in
 * the map, at its last-use time, and no time is past the clock.
 */
#ifndef VMSIM_KERN_MRC_H
#define VMSIM_KERN_MRC_H

#include <stdbool.h>
#include <stdint.h>

#include "util/pagemap.h"
#include "util/trace.h"
#include "vmsim/error.h"

struct mattson {
	struct pagemap last;		/* page -> its last-use time (1-based) */
	uint32_t *tree;			/* Fenwick tree over times 1..cap */
	uint64_t cap, now;		/* tree size, the latest time used */
	uint64_t last_page;		/* the page of time `now` (distance 1 fast path) */
	uint64_t *hist;			/* hist[d]: references at distance d (1..);
					 * after mattson_finish(): the suffix sums */
	uint64_t hist_cap;
	uint64_t cold;			/* first references */
	uint64_t refs;
	bool finished;
};

/* 0 or -ENOMEM. */
int mattson_init(struct mattson *ms);
void mattson_destroy(struct mattson *ms);
/* One reference: its distance (0 for a first reference), or -ENOMEM
 * when the host refused memory (the pass stops). */
int64_t mattson_access(struct mattson *ms, uint64_t page);
/* After the last reference: the histogram becomes its suffix sums. */
void mattson_finish(struct mattson *ms);
/* Faults in @frames frames when each counted reference stands for 1 / @rate
 * (1: exact): first references plus those farther than @frames * @rate. */
double mattson_faults(const struct mattson *ms, uint64_t frames, double rate);
/* Distinct pages seen (the footprint). */
static inline uint64_t mattson_footprint(const struct mattson *ms)
{
	return ms->last.nr;
}
/* Host bytes held (for the bytes-per-page statement). */
uint64_t mattson_bytes(const struct mattson *ms);
int mattson_check(const struct mattson *ms, struct vmsim_error *err);

struct mrc_opts {
	double sample;			/* SHARDS rate in (0, 1]; 1 = exact */
	bool exact_too;			/* with sampling: the exact curve too (the error) */
	bool opt;			/* keep what OPT needs (mrc_opt_faults()) */
};

struct mrc {
	struct mrc_opts o;
	struct mattson small, huge;	/* 4 KiB and 2 MiB pages, sampled at o.sample */
	struct mattson exact;		/* o.exact_too: 4 KiB pages, every one */
	uint64_t threshold;		/* sampled: hash >> 40 below this */
	uint64_t hkey;			/* the sampling hash's key (fixed: reproducible) */
	uint64_t refs, instructions, records;
	/* OPT: the references as dense page ids, then their next uses */
	uint32_t *ids, *next;
	uint64_t ids_cap;
	struct pagemap dense;		/* page -> id */
	int err;			/* -ENOMEM: the pass stopped */
};

int mrc_init(struct mrc *mc, const struct mrc_opts *o, struct vmsim_error *err);
void mrc_destroy(struct mrc *mc);
/* One trace record.  0, or -ENOMEM. */
int mrc_record(struct mrc *mc, const struct trace_rec *rec);
/* After the last record.  0, or -ENOMEM / -E2BIG with @err. */
int mrc_finish(struct mrc *mc, struct vmsim_error *err);

/* LRU faults in @frames frames of 4 KiB pages: estimated from the sample
 * (exact at rate 1), and exact (o.exact_too or rate 1). */
double mrc_lru_faults(const struct mrc *mc, uint64_t frames);
uint64_t mrc_lru_faults_exact(const struct mrc *mc, uint64_t frames);
/* OPT's faults in @frames frames (o.opt): a run of Belady's MIN. */
uint64_t mrc_opt_faults(const struct mrc *mc, uint64_t frames);
/* The footprint in 4 KiB pages (estimated from the sample) and 2 MiB ones. */
uint64_t mrc_footprint(const struct mrc *mc);
uint64_t mrc_footprint_huge(const struct mrc *mc);
/* Misses of a fully associative LRU TLB with @entries entries of 4 KiB
 * (@huge: 2 MiB) pages. */
double mrc_tlb_misses(const struct mrc *mc, uint64_t entries, bool huge);

#endif
