/*
 * Miss-ratio curves in one pass over a trace (`vmsim-cli mrc`): the LRU
 * page faults for every number of frames (Mattson's stack algorithm,
 * exact or with SHARDS sampling), OPT's at chosen frame counts, and the
 * TLB-reach curve (the misses of a fully associative LRU TLB against its
 * entries, for 4 KiB and 2 MiB pages).  References are counted as a
 * replay makes them: a record touching k pages is k references, an M
 * record two per page.  No machine is needed.
 */
#ifndef VMSIM_MRC_H
#define VMSIM_MRC_H

#include <stddef.h>
#include <stdint.h>

#include "vmsim/error.h"
#include "vmsim/replay.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmsim_mrc;

struct vmsim_mrc_opts {
	double sample;		/* SHARDS: follow a hashed fraction (0, 1] of the pages;
				 * 0 or 1: every page (exact) */
	int exact_too;		/* with sampling: the exact curve too (vmsim_mrc_error()) */
	int opt;		/* keep the reference string for vmsim_mrc_opt_faults()
				 * (8 bytes a reference, at most 2^32 - 2 of them) */
	uint64_t reserved[4];	/* zero */
};

/* A pass; @o NULL: exact, no OPT.  0, -EINVAL, -ENOMEM (with @err). */
VMSIM_API int vmsim_mrc_open(const struct vmsim_mrc_opts *o, struct vmsim_mrc **out,
			     struct vmsim_error *err);
VMSIM_API void vmsim_mrc_close(struct vmsim_mrc *mc);
/* @n records in order.  0; -EINVAL for a bad record (it and those after
 * it are not counted) or after vmsim_mrc_finish(); -ENOMEM once the host
 * refused memory (the pass stopped: vmsim_mrc_finish() says why). */
VMSIM_API int vmsim_mrc_batch(struct vmsim_mrc *mc, const struct vmsim_rec *recs, size_t n);
/* After the last record, before the queries below: 0; -ENOMEM, or -E2BIG
 * for more references than OPT can keep, with @err. */
VMSIM_API int vmsim_mrc_finish(struct vmsim_mrc *mc, struct vmsim_error *err);

struct vmsim_mrc_info {
	uint64_t records, references, instructions;
	uint64_t footprint;		/* distinct 4 KiB pages (estimated when sampled) */
	uint64_t footprint_huge;	/* distinct 2 MiB pages (the same) */
	double sample_rate;		/* the rate the hash threshold gives (1: exact) */
	uint64_t sampled_references;	/* references of the pages followed */
	uint64_t sampled_pages;		/* 4 KiB pages followed */
	uint64_t host_bytes;		/* host memory the pass holds */
	uint64_t host_bytes_sampled;	/* ... of it, the sampled stacks' (4 KiB, 2 MiB) */
};
VMSIM_API int vmsim_mrc_info(const struct vmsim_mrc *mc, struct vmsim_mrc_info *info);

/* LRU's faults in @frames frames of 4 KiB pages, estimated from the sample
 * (exact without one); -1 before vmsim_mrc_finish(). */
VMSIM_API double vmsim_mrc_lru_faults(const struct vmsim_mrc *mc, uint64_t frames);
/* The misses of a fully associative LRU TLB of @entries entries of 4 KiB
 * pages (@huge: 2 MiB); -1 before vmsim_mrc_finish(). */
VMSIM_API double vmsim_mrc_tlb_misses(const struct vmsim_mrc *mc, uint64_t entries, int huge);
/* OPT's (Belady's MIN) faults in @frames frames: a run over the kept
 * reference string.  0; -EINVAL without opts.opt or before
 * vmsim_mrc_finish(); -ENOMEM. */
VMSIM_API int vmsim_mrc_opt_faults(const struct vmsim_mrc *mc, uint64_t frames, uint64_t *out);
/* The sampled LRU curve against the exact one (opts.exact_too): the mean
 * and the largest absolute miss-ratio error over every frame count from 1
 * to the footprint.  0, or -EINVAL. */
VMSIM_API int vmsim_mrc_error(const struct vmsim_mrc *mc, double *mean, double *max);

#ifdef __cplusplus
}
#endif
#endif
