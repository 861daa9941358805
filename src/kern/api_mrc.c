/*
 * The public API of miss-ratio curves (include/vmsim/mrc.h): a struct
 * vmsim_mrc is kern/mrc.c's struct mrc, fed records checked as a replay
 * checks them.  Invariant: no query reads the stacks before mrc_finish()
 * turned their histograms into suffix sums (finished).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "kern/mrc.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vmsim/mrc.h"

struct vmsim_mrc {
	struct mrc mc;
	bool finished;
};

void vmsim_mrc_close(struct vmsim_mrc *m)
{
	if (m) {
		mrc_destroy(&m->mc);
		host_free(NULL, m, sizeof(*m));
	}
}

int vmsim_mrc_open(const struct vmsim_mrc_opts *o, struct vmsim_mrc **out,
		   struct vmsim_error *err)
{
	struct mrc_opts mo = { .sample = 1 };
	struct vmsim_mrc *m;
	int ret;

	if (!out)
		return verr(err, -EINVAL, "mrc: nowhere to put it");
	*out = NULL;
	if (o) {
		for (unsigned i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
			if (o->reserved[i])
				return verr(err, -EINVAL, "mrc: reserved options are not zero");
		if (!(o->sample >= 0 && o->sample <= 1))
			return verr(err, -EINVAL, "mrc: the sample rate is in (0, 1]");
		mo.sample = o->sample > 0 ? o->sample : 1;
		mo.exact_too = o->exact_too && mo.sample < 1;
		mo.opt = o->opt != 0;
	}
	m = host_zalloc(NULL, sizeof(*m));
	if (!m)
		return verr(err, -ENOMEM, "out of host memory");
	ret = mrc_init(&m->mc, &mo, err);
	if (ret)
		vmsim_mrc_close(m);	/* mrc_destroy() takes what a failed init left */
	else
		*out = m;
	return ret;
}

int vmsim_mrc_batch(struct vmsim_mrc *m, const struct vmsim_rec *recs, size_t n)
{
	if (!m || (!recs && n) || m->finished)
		return -EINVAL;
	for (size_t i = 0; i < n && !m->mc.err; i++) {
		const struct trace_rec rec = { recs[i].addr, recs[i].size,
					       (enum trace_type)recs[i].type };

		if (recs[i].size < 1 || recs[i].size > TRACE_MAX_SIZE ||
		    (unsigned)recs[i].type > VMSIM_REC_M)
			return -EINVAL;
		mrc_record(&m->mc, &rec);
	}
	return m->mc.err ? -ENOMEM : 0;
}

int vmsim_mrc_finish(struct vmsim_mrc *m, struct vmsim_error *err)
{
	int ret;

	if (!m || m->finished)
		return verr(err, -EINVAL, "mrc: no pass, or finished already");
	ret = mrc_finish(&m->mc, err);
	m->finished = !ret;
	return ret;
}

int vmsim_mrc_info(const struct vmsim_mrc *m, struct vmsim_mrc_info *info)
{
	const struct mrc *mc;

	if (!m || !info)
		return -EINVAL;
	mc = &m->mc;
	*info = (struct vmsim_mrc_info){
		.records = mc->records, .references = mc->refs, .instructions = mc->instructions,
		.footprint = mrc_footprint(mc), .footprint_huge = mrc_footprint_huge(mc),
		.sample_rate = (double)mc->threshold / (1 << 24),
		.sampled_references = mc->small.refs,
		.sampled_pages = mattson_footprint(&mc->small),
		.host_bytes_sampled = mattson_bytes(&mc->small) + mattson_bytes(&mc->huge),
	};
	info->host_bytes = info->host_bytes_sampled + mattson_bytes(&mc->exact);
	return 0;
}

double vmsim_mrc_lru_faults(const struct vmsim_mrc *m, uint64_t frames)
{
	return m && m->finished ? mrc_lru_faults(&m->mc, frames) : -1;
}

double vmsim_mrc_tlb_misses(const struct vmsim_mrc *m, uint64_t entries, int huge)
{
	return m && m->finished ? mrc_tlb_misses(&m->mc, entries, huge != 0) : -1;
}

int vmsim_mrc_opt_faults(const struct vmsim_mrc *m, uint64_t frames, uint64_t *out)
{
	uint64_t f;

	if (!m || !out || !m->finished || !m->mc.o.opt)
		return -EINVAL;
	f = mrc_opt_faults(&m->mc, frames);
	if (f == UINT64_MAX)
		return -ENOMEM;
	*out = f;
	return 0;
}

int vmsim_mrc_error(const struct vmsim_mrc *m, double *mean, double *max)
{
	const struct mrc *mc;
	uint64_t fp;
	double mae = 0, maxe = 0;

	if (!m || !mean || !max || !m->finished || !m->mc.o.exact_too)
		return -EINVAL;
	mc = &m->mc;
	fp = mattson_footprint(&mc->exact);
	for (uint64_t f = 1; f <= fp && mc->refs; f++) {
		double e = fabs(mrc_lru_faults(mc, f) - (double)mrc_lru_faults_exact(mc, f)) /
			   (double)mc->refs;

		mae += e;
		maxe = e > maxe ? e : maxe;
	}
	*mean = fp ? mae / (double)fp : 0;
	*max = maxe;
	return 0;
}
