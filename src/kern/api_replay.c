/*
 * The public API of trace replay (include/vmsim/replay.h): a struct
 * vmsim_replay is the replay engine's struct replay, fed a record at a
 * time, in batches, or from a trace file through the same readers and the
 * same per-record entry (replay_one()) as `vmsim-cli replay`.
 * Invariant: a record is checked before it reaches replay_one(), which
 * trusts it; once the machine ran out of memory nothing more is replayed.
 */
#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/replace.h"
#include "kern/replay.h"
#include "kern/stats.h"
#include "kern/task.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/trace.h"
#include "vma/mm.h"
#include "vmsim/replay.h"

_Static_assert(VMSIM_MAX_LEVELS == PT_MAX_LEVELS, "a level per depth");
_Static_assert(VMSIM_TLB_COUNTS == TLB_STAT_FIELDS, "the TLB's counters");
_Static_assert(VMSIM_FAULT_COUNTS == FAULT_STAT_FIELDS, "the faults' counters");
_Static_assert(VMSIM_RECLAIM_COUNTS == NR_REPLACE_RECLAIM, "the reclaim counters");
_Static_assert(VMSIM_REPLAY_MAX_FRAMES == REPLACE_MAX_FRAMES, "the frames' limit");

/* A policy's state (rp.rs) is allocated apart when one is set: embedded,
 * it moved the replay's counters and bench_api's batch ratio by 10 %. */
struct vmsim_replay {
	struct replay rp;
};

int vmsim_replay_open(struct vmsim_machine *m, struct vmsim_task *vt,
		      enum vmsim_replay_layout layout, struct vmsim_replay **out)
{
	struct task_struct *t = (struct task_struct *)vt;
	struct vmsim_replay *r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!m || !t || t->mm->vm != &m->vm ||
	    (layout != VMSIM_REPLAY_FLAT && layout != VMSIM_REPLAY_TASK))
		return -EINVAL;
	r = host_zalloc(NULL, sizeof(*r));
	if (!r)
		return -ENOMEM;
	replay_init(&r->rp, m, t, layout == VMSIM_REPLAY_FLAT ? REPLAY_FLAT : REPLAY_TASK);
	*out = r;
	return 0;
}

void vmsim_replay_close(struct vmsim_replay *r)
{
	if (!r)
		return;
	if (r->rp.rs) {
		replace_destroy(r->rp.rs);
		host_free(NULL, r->rp.rs, sizeof(*r->rp.rs));
	}
	host_free(NULL, r, sizeof(*r));
}

/* What replay_one() takes: 1..TRACE_MAX_SIZE bytes, a known type. */
static inline bool rec_ok(uint32_t size, unsigned type)
{
	return size >= 1 && size <= TRACE_MAX_SIZE && type <= VMSIM_REC_M;
}

int vmsim_replay_access(struct vmsim_replay *r, uint64_t addr, uint32_t size,
			enum vmsim_rec_type type)
{
	struct trace_rec rec = { addr, size, (enum trace_type)type };

	if (!r || !rec_ok(size, (unsigned)type))
		return -EINVAL;
	if (r->rp.oom)
		return -ENOMEM;
	replay_one(&r->rp, &rec);
	return r->rp.oom ? -ENOMEM : 0;
}

int vmsim_replay_batch(struct vmsim_replay *r, const struct vmsim_rec *recs, size_t n)
{
	if (!r || (!recs && n))
		return -EINVAL;
	/* one pass: each record checked just before it runs */
	for (size_t i = 0; i < n && !r->rp.oom; i++) {
		struct trace_rec rec = { recs[i].addr, recs[i].size, (enum trace_type)recs[i].type };

		if (__builtin_expect(!rec_ok(recs[i].size, (unsigned)recs[i].type), 0))
			return -EINVAL;
		replay_one(&r->rp, &rec);
	}
	return r->rp.oom ? -ENOMEM : 0;
}


int vmsim_replay_file(struct vmsim_replay *r, const char *path, const char *format,
		      struct vmsim_error *err)
{
	enum { BATCH = 256 };
	struct trace_rec recs[BATCH];
	struct trace_reader tr;
	int fmt = -1, ret;
	long got;

	if (!r || !path)
		return verr(err, -EINVAL, "replay: no replay or no trace");
	if (format && (fmt = trace_format_by_name(format)) < 0)
		return verr(err, -EINVAL, "replay: no trace format '%s' (" TRACE_FORMAT_WORDS ")",
			    format);
	if (r->rp.oom)
		return verr(err, -ENOMEM, "replay: the machine ran out of memory before");
	ret = trace_open(&tr, path, fmt, err);
	if (ret)
		return ret;
	while ((got = trace_read_batch(&tr, recs, BATCH, err)) > 0 && !r->rp.oom)
		for (long i = 0; i < got && !r->rp.oom; i++)
			replay_one(&r->rp, &recs[i]);
	trace_close(&tr);
	if (got < 0)
		return (int)got;
	if (r->rp.oom)
		return verr(err, -ENOMEM, "%s: out of %s memory after %llu accesses", path,
			    r->rp.host_oom ? "host" : "simulated",
			    (unsigned long long)r->rp.accesses);
	return 0;
}

int vmsim_replay_counters(const struct vmsim_replay *r, struct vmsim_replay_counters *c)
{
	struct replay_counters rc;

	if (!r || !c)
		return -EINVAL;
	replay_snapshot(&r->rp, &rc);
	*c = (struct vmsim_replay_counters){
		.accesses = rc.accesses, .instructions = rc.instructions,
		.page_touches = r->rp.page_touches, .crossings = r->rp.crossings,
		.l1d_hits = rc.l1d.hits, .l1d_misses = rc.l1d.misses,
		.l1i_hits = rc.l1i.hits, .l1i_misses = rc.l1i.misses,
		.l2_hits = rc.l2.hits, .l2_misses = rc.l2.misses,
		.walks = rc.walks, .entries_read = rc.entries_read,
		.min_flt = rc.fst.min_flt, .segv = r->rp.segv,
		.regions = r->rp.regions, .region_bytes = r->rp.region_bytes,
		.rss = rc.rss, .pt_pages = rc.pt_pages,
	};
	return 0;
}

int vmsim_replay_policy_info(const char *name, struct vmsim_replay_policy_info *info)
{
	const struct replace_ops *ops = name ? replace_find(name) : NULL;

	if (!ops)
		return -ENOENT;
	if (info)
		*info = (struct vmsim_replay_policy_info){
			.available = ops->available, .missing = ops->missing,
			.ticks = !!(ops->flags & REPLACE_TICKS),
			.uses_tau = strcmp(ops->name, "wsclock") == 0,
			.uses_seed = strcmp(ops->name, "random") == 0 || strcmp(ops->name, "nru") == 0,
			.needs_trace = !!(ops->flags & (REPLACE_FUTURE | REPLACE_FOOTPRINT)),
			.kernel = !!(ops->flags & REPLACE_KERNEL),
		};
	return 0;
}

int vmsim_replay_set_policy(struct vmsim_replay *r, const struct vmsim_replay_policy *p,
			    struct vmsim_error *err)
{
	const struct replace_ops *ops;
	struct replace_params params;
	struct replace *ap;
	int fmt = -1, ret;

	if (!r || !p || !p->name)
		return verr(err, -EINVAL, "replay: no replay or no policy");
	if (r->rp.rs || r->rp.accesses)
		return verr(err, -EINVAL, "replay: a policy is set before the first record, once");
	for (unsigned i = 0; i < sizeof(p->reserved) / sizeof(p->reserved[0]); i++)
		if (p->reserved[i])
			return verr(err, -EINVAL, "replay: reserved fields of the policy are not zero");
	ops = replace_find(p->name);
	if (!ops)
		return verr(err, -ENOENT, "replay: no replacement policy '%s'", p->name);
	if (!ops->available)
		return verr(err, -EOPNOTSUPP, "%s", ops->missing);
	if (p->frames < 1 || p->frames > REPLACE_MAX_FRAMES || p->refresh < 1)
		return verr(err, -EINVAL, "replay: frames is 1..%llu and refresh at least 1",
			    (unsigned long long)REPLACE_MAX_FRAMES);
	if ((ops->flags & (REPLACE_FUTURE | REPLACE_FOOTPRINT)) && !p->trace)
		return verr(err, -EINVAL, "replay: %s reads the trace ahead: give its file",
			    ops->name);
	if (p->format && (fmt = trace_format_by_name(p->format)) < 0)
		return verr(err, -EINVAL, "replay: no trace format '%s' (" TRACE_FORMAT_WORDS ")",
			    p->format);
	params = (struct replace_params){ p->frames, p->refresh, p->tau, p->seed };
	ap = host_zalloc(NULL, sizeof(*ap));
	if (!ap)
		return verr(err, -ENOMEM, "out of host memory");
	ret = replace_init(ap, ops, &params, r->rp.m, r->rp.t, &r->rp.page_touches, err);
	if (!ret && (ops->flags & REPLACE_FUTURE))
		ret = replace_opt_prepare(ap, p->trace, fmt, err);
	if (!ret && (ops->flags & REPLACE_FOOTPRINT))
		ret = replace_footprint_prepare(ap, p->trace, fmt, err);
	if (ret) {
		replace_destroy(ap);
		host_free(NULL, ap, sizeof(*ap));
		return ret;
	}
	r->rp.rs = ap;
	return 0;
}

/* @f's names and values into @c. */
static void counts_of(const struct stat_field *f, unsigned n, struct vmsim_count *c)
{
	for (unsigned i = 0; i < n; i++)
		c[i] = (struct vmsim_count){ f[i].name, f[i].v };
}

/* The policy's part of @s. */
static void policy_stats(struct vmsim_replay *r, struct vmsim_replay_stats *s)
{
	struct replace *rs = r->rp.rs;
	const struct replace_stats *st = replace_stats(rs);
	struct vmsim_replay_policy_info pi;

	vmsim_replay_policy_info(rs->ops->name, &pi);
	s->policy = rs->ops->name;
	s->frames = rs->p.frames;
	s->refresh = rs->p.refresh;
	s->tau = rs->p.tau;
	s->seed = rs->p.seed;
	s->ticks = pi.ticks;
	s->uses_tau = pi.uses_tau;
	s->uses_seed = pi.uses_seed;
	s->kernel = pi.kernel;
	s->references = st->references;
	s->faults_policy = st->faults;
	s->first_use_faults = st->first_faults;
	s->evictions = st->evictions;
	s->dirty_evictions = st->dirty_evictions;
	s->disk_writes = st->disk_writes;
	s->ticks_run = st->ticks;
	s->bit_clears = st->bit_clears;
	s->swap_pages = rs->swap_pages;
	for (unsigned i = 0; i < NR_REPLACE_RECLAIM; i++)
		s->reclaim[i].value = rs->reclaim[i];
}

int vmsim_replay_stats(struct vmsim_replay *r, struct vmsim_replay_stats *out, size_t size)
{
	const struct replay *rp = r ? &r->rp : NULL;
	struct vmsim_replay_stats s = { 0 };
	struct replay_counters c;
	struct stat_field f[TLB_STAT_FIELDS > FAULT_STAT_FIELDS ? TLB_STAT_FIELDS
								: FAULT_STAT_FIELDS];
	const struct tlb_stats *lv[3] = { &c.l1d, &c.l1i, &c.l2 };
	const struct pt_format *fmt;

	if (!r || !out)
		return -EINVAL;
	fmt = rp->cpu->fmt;
	replay_snapshot(rp, &c);
	s.accesses = rp->accesses;
	memcpy(s.by_type, rp->by_type, sizeof(s.by_type));
	s.instructions = c.instructions;
	s.page_touches = rp->page_touches;
	s.crossings = rp->crossings;
	for (unsigned i = 0; i < 3; i++) {
		tlb_stat_fields(lv[i], f);
		counts_of(f, TLB_STAT_FIELDS, s.tlb[i]);
	}
	s.l1d_large_fills = c.l1d_large_fills;
	s.l1d_large_evictions = c.l1d_large_evictions;
	s.l1i_large_fills = c.l1i_large_fills;
	s.l1i_large_evictions = c.l1i_large_evictions;
	s.walks = c.walks;
	s.entries_read = c.entries_read;
	s.format = fmt->name;
	s.levels = fmt->levels;
	for (unsigned d = 0; d < fmt->levels; d++) {
		const struct psc *psc = &rp->cpu->psc[d];

		s.level[d].linux_level = -1;
		for (int l = 0; l < PT_NR_LEVELS; l++)
			if (pt_level_depth(fmt, (enum pt_level)l) == (int)d)
				s.level[d].linux_level = l;
		s.level[d].intel_name = fmt->lvl[d].intel;
		s.level[d].page_size = pt_entry_span(fmt, d);
		s.level[d].maps = d == fmt->levels - 1 || fmt->lvl[d].large;
		s.level[d].entries_read = c.read_at[d];
		s.level[d].pages_mapped = c.mapped_at[d];
		s.level[d].psc_name = psc->entries ? psc->name : NULL;
		s.level[d].psc_hits = c.psc_hits[d];
		s.level[d].psc_misses = c.psc_misses[d];
	}
	s.entries_saved = c.entries_saved;
	s.cost_l1_hit = rp->m->cfg.cost_l1_hit;
	s.cost_l2_hit = rp->m->cfg.cost_l2_hit;
	s.cost_walk_ref = rp->m->cfg.cost_walk_ref;
	s.translation_cycles = c.translation_cycles;
	fault_stat_fields(&c.fst, f);
	counts_of(f, FAULT_STAT_FIELDS, s.faults);
	s.segv = rp->segv;
	s.regions = rp->regions;
	s.region_bytes = rp->region_bytes;
	s.unmappable = rp->unmappable;
	s.rss = c.rss;
	s.pt_pages = c.pt_pages;
	s.flat = rp->layout == REPLAY_FLAT;
	s.oom = rp->oom;
	s.machine = rp->m->cfg.name;
	for (unsigned i = 0; i < NR_REPLACE_RECLAIM; i++)	/* named with or without a policy */
		s.reclaim[i].name = replace_reclaim_name[i];
	if (rp->rs)
		policy_stats(r, &s);
	memcpy(out, &s, size < sizeof(s) ? size : sizeof(s));
	return 0;
}

const char *vmsim_pt_level_name(unsigned l)
{
	return l < PT_NR_LEVELS ? pt_level_names[l] : NULL;
}

const char *vmsim_psc_name(unsigned i)
{
	/* root first, as the SDM lists the caches */
	static const char *const names[] = { "pml5e_cache", "pml4e_cache", "pdpte_cache",
					     "pde_cache" };

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

int vmsim_replay_check(struct vmsim_replay *r, int full, struct vmsim_error *err)
{
	int ret;

	if (!r)
		return verr(err, -EINVAL, "replay: no replay");
	if (!machine_checking(r->rp.m))
		return 0;
	ret = full ? machine_check(r->rp.m, err) : machine_check_point(r->rp.m, err);
	if (!ret && r->rp.rs)
		ret = replace_check(r->rp.rs, err);
	return ret;
}
