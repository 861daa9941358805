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
#include "kern/replay.h"
#include "kern/task.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/trace.h"
#include "vmsim/replay.h"

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
	if (r)
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

/* --format's words, in enum trace_format's order */
static int format_index(const char *name)
{
	static const char *const words[TRACE_NR_FORMATS] = {
		[TRACE_LACKEY] = "lackey", [TRACE_BINARY] = "vmsim", [TRACE_RW] = "rw",
		[TRACE_LS] = "ls", [TRACE_CHAMPSIM] = "champsim", [TRACE_PAGES] = "pages",
	};

	for (int i = 0; i < TRACE_NR_FORMATS; i++)
		if (strcmp(name, words[i]) == 0)
			return i;
	return -1;
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
	if (format && (fmt = format_index(format)) < 0)
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
