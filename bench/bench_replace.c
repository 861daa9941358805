/*
 * bench_replace: page replacement in N frames and miss-ratio curves, each
 * figure beside a reference measured in the same run (only same-run ratios
 * mean anything on these machines).
 *
 *   replay --frames, lru/fifo/clock   vs  a bare simulator of the same policy   (goal <= 1.5x)
 *                                         written here: a hash map + a list or
 *                                         ring, no page tables, no MMU, no kernel
 *   replay --frames, opt (with its    vs  replay --frames, lru                  (goal <= 3x)
 *   next-use pass)
 *   mrc, exact                        vs  10 M references/s                     (goal >= 1x)
 *   mrc, 1% SHARDS sampling           vs  100 M references/s                    (goal >= 1x)
 *
 * The trace: a binary trace of random walks with jumps over a few thousand
 * pages (one page a record), at a frame count where LRU faults on about
 * half the references, as the goal states.  Both sides read the same
 * records from memory; OPT's pass reads the file.  Each figure is the best
 * of 3 runs.  Then the time of a replay is split (perf-like, by timing
 * the pieces) so a missed goal says where the time goes.
 *
 * usage: bench_replace [REFERENCES [mrc]]     (mrc: only the curves)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "kern/machine.h"
#include "kern/mrc.h"
#include "kern/replace.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "util/pagemap.h"
#include "util/trace.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double best(double a, double b)
{
	return a < 0 ? b : (b < a ? b : a);
}

/* ---- the trace ---- */

static struct trace_rec *make_trace(size_t n, unsigned pages, uint64_t seed)
{
	struct trace_rec *t = malloc(n * sizeof(*t));
	uint64_t cur = 0;

	if (!t)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		if (seed % 16 == 0)
			cur = (seed >> 8) % pages;		/* a jump */
		else
			cur = (cur + (seed >> 12) % 3) % pages;	/* a walk */
		t[i].addr = TRACE_PAGES_BASE + (cur << 12) + ((seed >> 30) & 0xff8);
		t[i].size = 8;
		t[i].type = (seed >> 40) % 4 == 0 ? TRACE_S : TRACE_L;
	}
	return t;
}

static void write_trace(const char *path, const struct trace_rec *t, size_t n)
{
	struct vmsim_error err = { 0 };
	struct trace_writer w;

	if (trace_writer_open(&w, path, &err))
		exit(1);
	for (size_t i = 0; i < n; i++)
		if (trace_write(&w, &t[i], &err))
			exit(1);
	if (trace_writer_close(&w, &err))
		exit(1);
}

/* ---- the bare reference simulators: a map and a list or ring ---- */

struct bare {
	struct pagemap map;		/* vpn -> frame */
	uint64_t *vpn;
	uint32_t *prev, *next;		/* lru: recency list */
	uint8_t *ref;			/* clock: reference bits */
	uint32_t head, tail, used, hand, frames;
	uint64_t faults, dirty_evictions;
	uint8_t *dirty;
};

static void bare_unlink(struct bare *b, uint32_t s)
{
	if (b->prev[s] != ~0u)
		b->next[b->prev[s]] = b->next[s];
	else
		b->head = b->next[s];
	if (b->next[s] != ~0u)
		b->prev[b->next[s]] = b->prev[s];
	else
		b->tail = b->prev[s];
}

static void bare_push(struct bare *b, uint32_t s)
{
	b->prev[s] = ~0u;
	b->next[s] = b->head;
	if (b->head != ~0u)
		b->prev[b->head] = s;
	else
		b->tail = s;
	b->head = s;
}

static double bare_run(const char *policy, const struct trace_rec *t, size_t n, uint32_t frames,
		       uint64_t *faults)
{
	struct bare b = { .frames = frames, .head = ~0u, .tail = ~0u };
	bool lru = !strcmp(policy, "lru"), clock = !strcmp(policy, "clock");
	double t0;

	pagemap_init(&b.map, frames);
	b.vpn = calloc(frames, sizeof(*b.vpn));
	b.prev = calloc(frames, sizeof(*b.prev));
	b.next = calloc(frames, sizeof(*b.next));
	b.ref = calloc(frames, 1);
	b.dirty = calloc(frames, 1);
	t0 = now();
	for (size_t i = 0; i < n; i++) {
		uint64_t vpn = t[i].addr >> 12;
		struct pagemap_slot *ms = pagemap_find(&b.map, vpn);
		uint32_t s;
		bool added;

		if (ms) {
			s = (uint32_t)ms->val;
			if (lru && b.head != s) {
				bare_unlink(&b, s);
				bare_push(&b, s);
			}
			b.ref[s] = 1;
			b.dirty[s] |= t[i].type == TRACE_S;
			continue;
		}
		b.faults++;
		if (b.used < frames) {
			s = b.used++;
		} else {
			if (lru) {
				s = b.tail;
				bare_unlink(&b, s);
			} else if (clock) {
				while (b.ref[b.hand]) {
					b.ref[b.hand] = 0;
					b.hand = b.hand + 1 == frames ? 0 : b.hand + 1;
				}
				s = b.hand;
				b.hand = b.hand + 1 == frames ? 0 : b.hand + 1;
			} else {
				s = b.hand;
				b.hand = b.hand + 1 == frames ? 0 : b.hand + 1;
			}
			b.dirty_evictions += b.dirty[s];
			pagemap_remove(&b.map, b.vpn[s]);
		}
		b.vpn[s] = vpn;
		b.ref[s] = 1;
		b.dirty[s] = t[i].type == TRACE_S;
		pagemap_insert(&b.map, vpn, s, &added);
		if (lru)
			bare_push(&b, s);
	}
	t0 = now() - t0;
	*faults = b.faults;
	pagemap_destroy(&b.map);
	free(b.vpn);
	free(b.prev);
	free(b.next);
	free(b.ref);
	free(b.dirty);
	return t0;
}

/* ---- the replay ---- */

static double replay_run(const char *policy, const struct trace_rec *t, size_t n, uint32_t frames,
			 const char *path, uint64_t *faults)
{
	struct vmsim_machine *m = bench_boot("bench_replace", "1GiB");
	struct replace_params p = { .frames = frames, .refresh = 1000, .tau = 1000, .seed = 1 };
	struct vmsim_error err = { 0 };
	struct spawn_args sa = { 0 };
	struct task_struct *tk;
	struct replay rp;
	struct replace rs;
	double t0;

	if (task_spawn(m, "bench", &sa, &tk))
		exit(1);
	replay_init(&rp, m, tk, REPLAY_FLAT);
	if (replace_init(&rs, replace_find(policy), &p, m, tk, &rp.page_touches, &err)) {
		fprintf(stderr, "bench_replace: %s\n", err.msg);
		exit(1);
	}
	rp.rs = &rs;
	t0 = now();
	if ((replace_find(policy)->flags & REPLACE_FUTURE) &&
	    replace_opt_prepare(&rs, path, TRACE_BINARY, &err)) {
		fprintf(stderr, "bench_replace: %s\n", err.msg);
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		replay_one(&rp, &t[i]);
	t0 = now() - t0;
	*faults = rs.st.faults;
	replace_destroy(&rs);
	vmsim_machine_destroy(m);
	return t0;
}

/* The replay without a policy at all, on a task whose pages all fit:
 * the cost of the MMU alone (TLB, walks) on the same records. */
static double mmu_only(const struct trace_rec *t, size_t n)
{
	struct vmsim_machine *m = bench_boot("bench_replace", "1GiB");
	struct spawn_args sa = { 0 };
	struct task_struct *tk;
	struct replay rp;
	double t0;

	if (task_spawn(m, "bench", &sa, &tk))
		exit(1);
	replay_init(&rp, m, tk, REPLAY_FLAT);
	for (size_t i = 0; i < n; i++)	/* warm: every page mapped */
		replay_one(&rp, &t[i]);
	t0 = now();
	for (size_t i = 0; i < n; i++)
		replay_one(&rp, &t[i]);
	t0 = now() - t0;
	vmsim_machine_destroy(m);
	return t0;
}

static double mrc_run(const struct trace_rec *t, size_t n, double rate, uint64_t *refs,
		      uint64_t *bytes, uint64_t *footprint)
{
	struct mrc_opts o = { .sample = rate };
	struct vmsim_error err = { 0 };
	struct mrc mc;
	double t0;

	if (mrc_init(&mc, &o, &err))
		exit(1);
	t0 = now();
	for (size_t i = 0; i < n; i++)
		mrc_record(&mc, &t[i]);
	mrc_finish(&mc, &err);
	t0 = now() - t0;
	*refs = mc.refs;
	*bytes = mattson_bytes(&mc.small) + mattson_bytes(&mc.huge);
	*footprint = mattson_footprint(&mc.small);
	mrc_destroy(&mc);
	return t0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
	unsigned pages = 4096;
	struct trace_rec *t = make_trace(n, pages, 88172645463325252ULL), *big;
	char path[] = "/tmp/vmsim-bench-replace-XXXXXX";
	static const char *const pol[] = { "lru", "fifo", "clock" };
	struct mrc_opts o = { .sample = 1 };
	struct vmsim_error err = { 0 };
	struct mrc mc;
	uint32_t frames = 1;
	uint64_t f1 = 0, f2 = 0, refs, bytes, fp;
	double lru_time = -1, opt_time = -1, mmu = -1;
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	write_trace(path, t, n);
	/* the frame count where LRU faults on about half the references */
	mrc_init(&mc, &o, &err);
	for (size_t i = 0; i < n; i++)
		mrc_record(&mc, &t[i]);
	mrc_finish(&mc, &err);
	while (frames < pages && mrc_lru_faults(&mc, frames) > 0.5 * (double)n)
		frames++;
	printf("trace: %zu references over %u pages; %u frames: LRU faults on %.1f%%\n", n, pages,
	       frames, 100 * mrc_lru_faults(&mc, frames) / (double)n);
	mrc_destroy(&mc);

	for (size_t k = 0; k < 3 && !(argc > 2 && !strcmp(argv[2], "mrc")); k++) {
		double bare = -1, rep = -1;

		for (int round = 0; round < 3; round++) {
			bare = best(bare, bare_run(pol[k], t, n, frames, &f1));
			rep = best(rep, replay_run(pol[k], t, n, frames, path, &f2));
		}
		if (f1 != f2)
			printf("  (%s: %llu faults in the replay, %llu in the bare simulator)\n", pol[k],
			       (unsigned long long)f2, (unsigned long long)f1);
		printf("%-30s %8.1f M ref/s   bare %-5s simulator %8.1f M ref/s   ratio %.2fx time "
		       "(goal <= 1.50)\n", pol[k], (double)n / rep / 1e6, pol[k], (double)n / bare / 1e6,
		       rep / bare);
		if (k == 0)
			lru_time = rep;
	}
	if (argc > 2 && !strcmp(argv[2], "mrc"))
		goto curves;
	for (int round = 0; round < 3; round++)
		opt_time = best(opt_time, replay_run("opt", t, n, frames, path, &f2));
	printf("%-30s %8.1f M ref/s   replay lru            %8.1f M ref/s   ratio %.2fx time "
	       "(goal <= 3.00)\n", "opt (with the next-use pass)", (double)n / opt_time / 1e6,
	       (double)n / lru_time / 1e6, opt_time / lru_time);
	for (int round = 0; round < 3; round++)
		mmu = best(mmu, mmu_only(t, n));
	printf("  where the replay's time goes (lru): MMU alone (TLB, walks; every page resident) "
	       "%.0f ns/ref; faults, evictions and the policy %.0f ns/ref\n", mmu / (double)n * 1e9,
	       (lru_time - mmu) / (double)n * 1e9);

curves:
	/* mrc on a bigger footprint */
	big = make_trace(n * 5, 1u << 18, 12345);
	for (int k = 0; k < 2; k++) {
		double rate = k ? 0.01 : 1, el = -1, goal = k ? 100e6 : 10e6;

		for (int round = 0; round < 3; round++)
			el = best(el, mrc_run(big, n * 5, rate, &refs, &bytes, &fp));
		printf("%-30s %8.1f M ref/s   goal                  %8.1f M ref/s   ratio %.2fx rate "
		       "(goal >= 1.00); %.1f bytes per distinct page followed\n",
		       k ? "mrc, 1% SHARDS" : "mrc, exact", (double)refs / el / 1e6, goal / 1e6,
		       (double)refs / el / goal, fp ? (double)bytes / (double)fp : 0.0);
	}
	unlink(path);
	free(t);
	free(big);
	return 0;
}
