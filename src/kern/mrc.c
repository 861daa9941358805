/*
 * Miss-ratio curves (see mrc.h): Mattson's stack distances over a Fenwick
 * tree of last-use times, SHARDS sampling, OPT runs, the TLB-reach curve.
 *
 * Cost per reference: a map lookup and three tree walks of log2(cap)
 * steps, except for a reference to the page referenced just before
 * (distance 1: no lookup), which is most of a trace's references (the M
 * records' second touch, consecutive accesses to one page).  Sampled
 * pages are chosen by a fixed hash, so a run is reproducible.
 */
#include "kern/mrc.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "kern/replace.h"
#include "util/error.h"
#include "util/hostalloc.h"

#define TREE_MIN 4096
#define SAMPLE_BITS 24

/* ---- the Fenwick tree over times 1..cap ---- */

static uint64_t tree_prefix(const struct mattson *ms, uint64_t i)
{
	uint64_t sum = 0;

	for (; i; i &= i - 1)
		sum += ms->tree[i];
	return sum;
}

static void tree_add(struct mattson *ms, uint64_t i, int32_t v)
{
	for (; i <= ms->cap; i += i & -i)
		ms->tree[i] = (uint32_t)((int64_t)ms->tree[i] + v);
}

/* A tree of @cap slots with a 1 at times 1..@live. */
static uint32_t *tree_ones(uint64_t cap, uint64_t live)
{
	uint32_t *t = host_alloc(NULL, (cap + 1) * sizeof(*t));

	if (!t)
		return NULL;
	t[0] = 0;
	for (uint64_t i = 1; i <= cap; i++) {
		uint64_t lo = i - (i & -i);	/* the slot covers (lo, i] */

		t[i] = (uint32_t)(live > lo ? (live < i ? live : i) - lo : 0);
	}
	return t;
}

int mattson_init(struct mattson *ms)
{
	memset(ms, 0, sizeof(*ms));
	ms->cap = TREE_MIN;
	ms->hist_cap = 1024;
	ms->tree = tree_ones(ms->cap, 0);
	ms->hist = host_zalloc(NULL, ms->hist_cap * sizeof(*ms->hist));
	if (!ms->tree || !ms->hist || pagemap_init(&ms->last, 1024)) {
		mattson_destroy(ms);
		return -ENOMEM;
	}
	return 0;
}

void mattson_destroy(struct mattson *ms)
{
	if (ms->tree)
		host_free(NULL, ms->tree, (ms->cap + 1) * sizeof(*ms->tree));
	if (ms->hist)
		host_free(NULL, ms->hist, ms->hist_cap * sizeof(*ms->hist));
	pagemap_destroy(&ms->last);
	ms->tree = NULL;
	ms->hist = NULL;
}

static void renumber(void *arg, uint64_t key, uint64_t *val)
{
	(void)key;
	*val = tree_prefix(arg, *val);	/* its rank among the live times */
}

/* The clock reached the tree's end: number the live times 1..D in their
 * order and size the tree to twice the pages (at least TREE_MIN). */
static int compact(struct mattson *ms)
{
	uint64_t live = ms->last.nr, cap = live * 2 > TREE_MIN ? live * 2 : TREE_MIN;
	uint32_t *t = tree_ones(cap, live);

	if (!t)
		return -ENOMEM;
	pagemap_for_each(&ms->last, renumber, ms);
	host_free(NULL, ms->tree, (ms->cap + 1) * sizeof(*ms->tree));
	ms->tree = t;
	ms->cap = cap;
	ms->now = live;
	return 0;
}

static int grow_hist(struct mattson *ms)
{
	uint64_t cap = ms->hist_cap * 2;
	uint64_t *h = host_realloc(NULL, ms->hist, ms->hist_cap * sizeof(*h), cap * sizeof(*h));

	if (!h)
		return -ENOMEM;
	memset(h + ms->hist_cap, 0, (cap - ms->hist_cap) * sizeof(*h));
	ms->hist = h;
	ms->hist_cap = cap;
	return 0;
}

int64_t mattson_access(struct mattson *ms, uint64_t page)
{
	struct pagemap_slot *s;
	uint64_t d = 0;
	bool added;

	ms->refs++;
	if (page == ms->last_page && ms->now) {
		ms->hist[1]++;
		return 1;
	}
	if (ms->now == ms->cap && compact(ms))
		return -ENOMEM;
	if (ms->last.nr + 1 >= ms->hist_cap && grow_hist(ms))
		return -ENOMEM;
	s = pagemap_insert(&ms->last, page, 0, &added);
	if (!s)
		return -ENOMEM;
	if (added) {
		ms->cold++;
	} else {
		d = ms->last.nr - tree_prefix(ms, s->val - 1);
		tree_add(ms, s->val, -1);
		ms->hist[d]++;
	}
	s->val = ++ms->now;
	tree_add(ms, ms->now, 1);
	ms->last_page = page;
	return (int64_t)d;
}

void mattson_finish(struct mattson *ms)
{
	if (ms->finished)
		return;
	for (uint64_t d = ms->hist_cap - 1; d > 1; d--)
		ms->hist[d - 1] += ms->hist[d];
	ms->finished = true;
}

double mattson_faults(const struct mattson *ms, uint64_t frames, double rate)
{
	double t = floor((double)frames * rate) + 1;
	uint64_t far = t < (double)ms->hist_cap ? ms->hist[(uint64_t)t] : 0;

	return (double)(ms->cold + far) / rate;
}

uint64_t mattson_bytes(const struct mattson *ms)
{
	return pagemap_bytes(&ms->last) + (ms->cap + 1) * sizeof(*ms->tree) +
	       ms->hist_cap * sizeof(*ms->hist);
}

struct check_arg {
	const struct mattson *ms;
	uint64_t bad, bad_key;
	uint8_t *seen;
};

static void check_time(void *arg, uint64_t key, uint64_t *val)
{
	struct check_arg *ca = arg;
	uint64_t t = *val;

	if (t < 1 || t > ca->ms->now || tree_prefix(ca->ms, t) - tree_prefix(ca->ms, t - 1) != 1 ||
	    ca->seen[t]++) {
		ca->bad++;
		ca->bad_key = key;
	}
}

int mattson_check(const struct mattson *ms, struct vmsim_error *err)
{
	struct check_arg ca = { .ms = ms };

	if (tree_prefix(ms, ms->cap) != ms->last.nr || ms->now > ms->cap)
		return verr(err, -EFAULT, "mattson: %llu ones in the tree, %zu pages, clock %llu of %llu",
			    (unsigned long long)tree_prefix(ms, ms->cap), ms->last.nr,
			    (unsigned long long)ms->now, (unsigned long long)ms->cap);
	ca.seen = host_zalloc(NULL, ms->cap + 1);
	if (!ca.seen)
		return verr(err, -ENOMEM, "out of host memory");
	pagemap_for_each(&ms->last, check_time, &ca);
	host_free(NULL, ca.seen, ms->cap + 1);
	if (ca.bad)
		return verr(err, -EFAULT, "mattson: page %#llx has no time of its own in the tree",
			    (unsigned long long)ca.bad_key);
	return pagemap_check(&ms->last, err);
}

/* ---- the curve over a trace ---- */

/* MurmurHash3's finalizer: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static double rate_of(const struct mrc *mc)
{
	return (double)mc->threshold / (double)(1u << SAMPLE_BITS);
}

int mrc_init(struct mrc *mc, const struct mrc_opts *o, struct vmsim_error *err)
{
	memset(mc, 0, sizeof(*mc));
	mc->o = *o;
	if (!(o->sample > 0 && o->sample <= 1))
		return verr(err, -EINVAL, "the sampling rate must be in (0, 1]");
	mc->threshold = (uint64_t)llround(o->sample * (1u << SAMPLE_BITS));
	if (!mc->threshold)
		mc->threshold = 1;
	mc->hkey = 0x5851f42d4c957f2dULL;
	if (mattson_init(&mc->small) || mattson_init(&mc->huge) ||
	    (o->exact_too && mattson_init(&mc->exact)) ||
	    (o->opt && pagemap_init(&mc->dense, 1024))) {
		mrc_destroy(mc);
		return verr(err, -ENOMEM, "out of host memory");
	}
	return 0;
}

void mrc_destroy(struct mrc *mc)
{
	mattson_destroy(&mc->small);
	mattson_destroy(&mc->huge);
	mattson_destroy(&mc->exact);
	pagemap_destroy(&mc->dense);
	if (mc->ids)
		host_free(NULL, mc->ids, mc->ids_cap * sizeof(*mc->ids));
	if (mc->next)
		host_free(NULL, mc->next, mc->ids_cap * sizeof(*mc->next));
	mc->ids = mc->next = NULL;
}

static void note(struct mattson *ms, uint64_t page, int *err)
{
	if (mattson_access(ms, page) < 0)
		*err = -ENOMEM;
}

static void opt_note(struct mrc *mc, uint64_t vpn)
{
	struct pagemap_slot *s;
	bool added;

	if (mc->refs >= UINT32_MAX) {
		mc->err = -E2BIG;
		return;
	}
	if (mc->refs > mc->ids_cap) {
		uint64_t cap = mc->ids_cap ? mc->ids_cap * 2 : 1 << 16;
		uint32_t *n = host_realloc(NULL, mc->ids, mc->ids_cap * sizeof(*n), cap * sizeof(*n));

		if (!n) {
			mc->err = -ENOMEM;
			return;
		}
		mc->ids = n;
		mc->ids_cap = cap;
	}
	s = pagemap_insert(&mc->dense, vpn, mc->dense.nr, &added);
	if (!s) {
		mc->err = -ENOMEM;
		return;
	}
	mc->ids[mc->refs - 1] = (uint32_t)s->val;
}

static void touch(void *arg, uint64_t vpn)
{
	struct mrc *mc = arg;

	mc->refs++;
	if (mc->threshold == 1u << SAMPLE_BITS) {
		note(&mc->small, vpn, &mc->err);
		note(&mc->huge, vpn >> 9, &mc->err);
	} else {
		if ((mix(vpn ^ mc->hkey) >> (64 - SAMPLE_BITS)) < mc->threshold)
			note(&mc->small, vpn, &mc->err);
		if ((mix((vpn >> 9) ^ mc->hkey) >> (64 - SAMPLE_BITS)) < mc->threshold)
			note(&mc->huge, vpn >> 9, &mc->err);
	}
	if (mc->o.exact_too)
		note(&mc->exact, vpn, &mc->err);
	if (mc->o.opt)
		opt_note(mc, vpn);
}

int mrc_record(struct mrc *mc, const struct trace_rec *rec)
{
	mc->records++;
	mc->instructions += rec->type == TRACE_I;
	trace_rec_touches(rec, touch, mc);
	return mc->err;
}

int mrc_finish(struct mrc *mc, struct vmsim_error *err)
{
	if (mc->err == -E2BIG)
		return verr(err, -E2BIG, "--opt keeps every reference: at most %u of them",
			    UINT32_MAX - 1);
	if (mc->err)
		return verr(err, mc->err, "out of host memory");
	mattson_finish(&mc->small);
	mattson_finish(&mc->huge);
	if (mc->o.exact_too)
		mattson_finish(&mc->exact);
	if (mc->o.opt && mc->refs) {
		/* next[i]: the next reference of ids[i]'s page, backwards */
		uint32_t *seen = host_alloc(NULL, mc->dense.nr * sizeof(*seen));

		mc->next = host_alloc(NULL, mc->ids_cap * sizeof(*mc->next));
		if (!seen || !mc->next) {
			if (seen)
				host_free(NULL, seen, mc->dense.nr * sizeof(*seen));
			return verr(err, -ENOMEM, "out of host memory");
		}
		memset(seen, 0xff, mc->dense.nr * sizeof(*seen));
		for (uint64_t i = mc->refs; i-- > 0;) {
			mc->next[i] = seen[mc->ids[i]];
			seen[mc->ids[i]] = (uint32_t)i;
		}
		host_free(NULL, seen, mc->dense.nr * sizeof(*seen));
	}
	return 0;
}

/* A sampled estimate, bounded as the count it stands for is: a reference
 * faults (or misses) at most once.  On a few pages the sampled ones stand
 * for more references than there were. */
static double at_most_refs(const struct mrc *mc, double est)
{
	return est > (double)mc->refs ? (double)mc->refs : est;
}

double mrc_lru_faults(const struct mrc *mc, uint64_t frames)
{
	return at_most_refs(mc, mattson_faults(&mc->small, frames, rate_of(mc)));
}

uint64_t mrc_lru_faults_exact(const struct mrc *mc, uint64_t frames)
{
	return (uint64_t)mattson_faults(mc->o.exact_too ? &mc->exact : &mc->small, frames, 1);
}

uint64_t mrc_footprint(const struct mrc *mc)
{
	if (mc->o.exact_too)
		return mattson_footprint(&mc->exact);
	return (uint64_t)llround((double)mattson_footprint(&mc->small) / rate_of(mc));
}

uint64_t mrc_footprint_huge(const struct mrc *mc)
{
	return (uint64_t)llround((double)mattson_footprint(&mc->huge) / rate_of(mc));
}

double mrc_tlb_misses(const struct mrc *mc, uint64_t entries, bool huge)
{
	return at_most_refs(mc, mattson_faults(huge ? &mc->huge : &mc->small, entries,
						rate_of(mc)));
}

/* ---- OPT: Belady's MIN in @frames frames, a max-heap by next use ---- */

struct opt_run {
	uint32_t *heap, *pos, *key;	/* pos: UINT32_MAX when not resident */
	uint32_t n;
};

static void opt_set(struct opt_run *o, uint32_t i, uint32_t id)
{
	o->heap[i] = id;
	o->pos[id] = i;
}

static void opt_up(struct opt_run *o, uint32_t i)
{
	uint32_t id = o->heap[i];

	while (i > 0 && o->key[o->heap[(i - 1) / 2]] < o->key[id]) {
		opt_set(o, i, o->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	opt_set(o, i, id);
}

static void opt_down(struct opt_run *o, uint32_t i)
{
	uint32_t id = o->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= o->n)
			break;
		if (c + 1 < o->n && o->key[o->heap[c + 1]] > o->key[o->heap[c]])
			c++;
		if (o->key[o->heap[c]] <= o->key[id])
			break;
		opt_set(o, i, o->heap[c]);
		i = c;
	}
	opt_set(o, i, id);
}

uint64_t mrc_opt_faults(const struct mrc *mc, uint64_t frames)
{
	uint64_t pages = mc->dense.nr, faults = 0;
	struct opt_run o = { 0 };

	if (!mc->o.opt || !mc->refs)
		return 0;
	if (frames >= pages)
		return pages;		/* only the first references fault */
	o.heap = host_alloc(NULL, frames * sizeof(*o.heap));
	o.pos = host_alloc(NULL, pages * sizeof(*o.pos));
	o.key = host_alloc(NULL, pages * sizeof(*o.key));
	if (!o.heap || !o.pos || !o.key) {
		faults = UINT64_MAX;
		goto out;
	}
	memset(o.pos, 0xff, pages * sizeof(*o.pos));
	for (uint64_t i = 0; i < mc->refs; i++) {
		uint32_t id = mc->ids[i];

		o.key[id] = mc->next[i];	/* UINT32_MAX: never again, the first to go */
		if (o.pos[id] != UINT32_MAX) {
			opt_up(&o, o.pos[id]);	/* the next use only moves later */
			continue;
		}
		faults++;
		if (o.n < frames) {
			opt_set(&o, o.n++, id);
			opt_up(&o, o.n - 1);
		} else {
			o.pos[o.heap[0]] = UINT32_MAX;
			opt_set(&o, 0, id);
			opt_down(&o, 0);
		}
	}
out:
	if (o.heap)
		host_free(NULL, o.heap, frames * sizeof(*o.heap));
	if (o.pos)
		host_free(NULL, o.pos, pages * sizeof(*o.pos));
	if (o.key)
		host_free(NULL, o.key, pages * sizeof(*o.key));
	return faults;
}
