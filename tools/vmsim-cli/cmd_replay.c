/*
 * vmsim-cli replay: arguments, progress and the report around the public
 * replay API (vmsim/replay.h: vmsim_trace_read(), vmsim_replay_batch(),
 * vmsim_replay_set_policy(), vmsim_replay_stats()), which it renders.
 * Output: accesses by type, TLB hits and misses per level, walks and
 * page-table entries read, faults by kind, RSS and page-table pages at the
 * end, time and rate; --json for all of it; --interval N for a time
 * series; a progress line on a terminal.
 *
 * Invariant: the replay streams; host memory stays bounded whatever the
 * trace's length (the reader's buffer, plus the simulated frames touched).
 * The output streams too: interval rows go out as they come, the JSON
 * ones through a streaming json_writer that holds at most one chunk.
 * Out of host memory (cli_oom.h) the replay stops at the failure: no row
 * after it, no summary, no message of its own (main() says why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/errname.h"
#include "util/hostalloc.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/svg.h"
#include "vmsim/vmsim.h"

#define PROGRESS_EVERY (1u << 16)
#define BATCH 256

/*
 * The counters an interval row gives as its deltas since the row before
 * (and the summary as totals), in column order; the last ones only with
 * --frames.
 */
enum { C_ACCESSES, C_INSTRUCTIONS, C_L1D_HITS, C_L1D_MISSES, C_L1I_HITS, C_L1I_MISSES,
       C_L2_HITS, C_L2_MISSES, C_WALKS, C_ENTRIES_READ, C_MIN_FLT, C_DEMAND_ZERO, C_ZERO_PAGE,
       C_COW, C_COW_REUSE, C_STACK_GROW, C_SEGV, C_SIGBUS, C_CYCLES, C_POLICY_FAULTS,
       C_EVICTIONS, C_DIRTY_EVICTIONS, C_DISK_WRITES, NR_COUNTERS };
static const char *const counter_names[NR_COUNTERS] = {
	"accesses", "instructions", "l1d_hits", "l1d_misses", "l1i_hits", "l1i_misses", "l2_hits",
	"l2_misses", "walks", "walk_entries_read", "min_flt", "demand_zero", "zero_page", "cow",
	"cow_reuse", "stack_grow", "segv", "sigbus", "translation_cycles", "faults", "evictions",
	"dirty_evictions", "disk_writes",
};

/* The rates per 1000 instructions a row and the summary give. */
enum { M_L1D, M_L1I, M_L2, M_WALKS, NR_MPKI };
static const char *const mpki_names[NR_MPKI] = { "l1d", "l1i", "l2", "walks" };
static const unsigned mpki_counter[NR_MPKI] = { C_L1D_MISSES, C_L1I_MISSES, C_L2_MISSES, C_WALKS };

/* --svg with --interval: per row, the accesses and some counters' deltas
 * (kept in host memory: 48 bytes a row). */
#define PLOT_SERIES 5
static const unsigned plot_counter[PLOT_SERIES] = { C_L1D_MISSES, C_L2_MISSES, C_WALKS, C_MIN_FLT,
						    C_POLICY_FAULTS };
struct interval_plot {
	const char *path;
	double *x, *y[PLOT_SERIES];
	size_t n, cap;
	bool failed;			/* the host refused: no picture */
};

struct replay_cli {
	struct vmsim_replay *rp;
	struct vmsim_trace *tr;
	uint64_t accesses;		/* the records replayed */
	struct vmsim_replay_policy params;	/* --frames: the policy */
	const char *policy;		/* NULL without --frames */
	uint64_t interval, next_interval;
	uint64_t last[NR_COUNTERS];	/* the counters at the last interval row */
	bool json, csv, quiet, tty;
	struct interval_plot plot;	/* --svg: the rows kept for the picture */
	bool header_done;		/* text, CSV: the rows' header line is out */
	struct strbuf out;		/* JSON: the streaming writer's buffer */
	struct json_writer jw;
	double t0, next_progress;
	uint64_t next_progress_count;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- output ---- */

static unsigned nr_counters(const struct replay_cli *rc)
{
	return rc->policy ? NR_COUNTERS : C_POLICY_FAULTS;
}

/* The TLB counters of level @i (0 l1d, 1 l1i, 2 l2): hits, misses. */
#define TLB_HITS(s, i) ((s)->tlb[i][0].value)
#define TLB_MISSES(s, i) ((s)->tlb[i][1].value)
/* The faults' counters: min_flt demand_zero zero_page cow cow_reuse
 * stack_grow segv sigbus (vmsim_replay_stats' order). */
enum { F_MIN_FLT, F_DEMAND_ZERO, F_ZERO_PAGE, F_COW, F_COW_REUSE, F_STACK_GROW, F_SEGV,
       F_SIGBUS };

/* The counters of @c (and the policy's) in counter_names' order. */
static void counter_values(const struct replay_cli *rc, const struct vmsim_replay_stats *c,
			   uint64_t v[NR_COUNTERS])
{
	_Static_assert(C_SIGBUS - C_MIN_FLT + 1 == VMSIM_FAULT_COUNTS, "the faults' columns");
	v[C_ACCESSES] = c->accesses;
	v[C_INSTRUCTIONS] = c->instructions;
	for (unsigned i = 0; i < 3; i++) {
		v[C_L1D_HITS + 2 * i] = TLB_HITS(c, i);
		v[C_L1D_MISSES + 2 * i] = TLB_MISSES(c, i);
	}
	v[C_WALKS] = c->walks;
	v[C_ENTRIES_READ] = c->entries_read;
	for (unsigned i = 0; i < VMSIM_FAULT_COUNTS; i++)	/* min_flt ... sigbus, our order */
		v[C_MIN_FLT + i] = c->faults[i].value;
	v[C_CYCLES] = c->translation_cycles;
	v[C_POLICY_FAULTS] = rc->policy ? c->faults_policy : 0;
	v[C_EVICTIONS] = rc->policy ? c->evictions : 0;
	v[C_DIRTY_EVICTIONS] = rc->policy ? c->dirty_evictions : 0;
	v[C_DISK_WRITES] = rc->policy ? c->disk_writes : 0;
}

/* The replay's counters now (the API fills them whole). */
static void snapshot(const struct replay_cli *rc, struct vmsim_replay_stats *c)
{
	vmsim_replay_stats(rc->rp, c, sizeof(*c));
}

/* Misses per 1000 instructions: false when there were none (a trace
 * without instruction fetches, or an interval without any). */
static bool mpki(uint64_t misses, uint64_t instructions, double *out)
{
	if (!instructions)
		return false;
	*out = (double)misses * 1000.0 / (double)instructions;
	return true;
}

/* A JSON number, or null when @ok is false (@v is read only after @ok
 * was computed: the callers' "f(&x), x" would read x unordered). */
static void json_number_or_null(struct json_writer *jw, const char *key, bool ok, const double *v)
{
	json_key(jw, key);
	if (ok)
		json_double(jw, *v, 6);
	else
		json_null(jw);
}

/* The cost model's translation cycles per access: false without accesses. */
static bool per_access(uint64_t cycles, uint64_t accesses, double *out)
{
	if (!accesses)
		return false;
	*out = (double)cycles / (double)accesses;
	return true;
}

/* The row's deltas into the plot. */
static void plot_row(struct replay_cli *rc, const uint64_t *d)
{
	struct interval_plot *pl = &rc->plot;

	if (pl->failed)
		return;
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 256, old = pl->cap * sizeof(double);
		double *x = host_realloc(NULL, pl->x, old, cap * sizeof(double));

		pl->failed = !x;
		if (x)
			pl->x = x;
		for (int k = 0; k < PLOT_SERIES && !pl->failed; k++) {
			double *y = host_realloc(NULL, pl->y[k], old, cap * sizeof(double));

			pl->failed = !y;
			if (y)
				pl->y[k] = y;
		}
		if (pl->failed)
			return;
		pl->cap = cap;
	}
	pl->x[pl->n] = (double)rc->accesses;
	for (int k = 0; k < PLOT_SERIES; k++)
		pl->y[k][pl->n] = (double)d[plot_counter[k]];
	pl->n++;
}

/* The rows as a picture into the --svg file: 0, or 2 with the line said. */
static int plot_write(struct cli *c, struct replay_cli *rc, const char *trace)
{
	static const char *const names[PLOT_SERIES] = { "L1d TLB misses", "L2 TLB misses",
							"page walks", "minor faults",
							"page faults (policy)" };
	struct interval_plot *pl = &rc->plot;
	struct svg_series s[PLOT_SERIES];
	struct strbuf sb = STRBUF_INIT, title = STRBUF_INIT, ylabel = STRBUF_INIT;
	struct svg_chart ch = { .xlabel = "accesses" };
	struct outfile o;
	int ret = 2;

	for (int k = 0; k < PLOT_SERIES; k++)
		s[k] = (struct svg_series){ names[k], pl->x, pl->y[k], pl->n };
	sb_printf(&title, "%s: counters per interval", trace);
	sb_printf(&ylabel, "events per %llu accesses", (unsigned long long)rc->interval);
	ch.title = sb_str(&title);
	ch.ylabel = sb_str(&ylabel);
	ch.series = s;
	ch.nseries = rc->policy ? PLOT_SERIES : PLOT_SERIES - 1;
	svg_chart(&sb, &ch);
	if (!pl->failed && !sb.oom && !title.oom && !ylabel.oom && !cli_output(c, &o, pl->path)) {
		fputs(sb_str(&sb), o.f);
		ret = cli_output_commit(&o);
	}
	sb_free(&sb);
	sb_free(&title);
	sb_free(&ylabel);
	return ret;
}

static void plot_free(struct interval_plot *pl)
{
	if (pl->x)
		host_free(NULL, pl->x, pl->cap * sizeof(double));
	for (int k = 0; k < PLOT_SERIES; k++)
		if (pl->y[k])
			host_free(NULL, pl->y[k], pl->cap * sizeof(double));
}

/* Text and CSV rows: the totals the first columns have always given,
 * then each counter's delta (d_NAME), then the interval's MPKI. */
static void row_header(const struct replay_cli *rc, char sep)
{
	const char *totals[] = { "accesses", "l1d_misses", "l1i_misses", "l2_misses", "walks",
				 "min_flt", "rss_pages" };

	if (!rc->csv)
		fputs("# ", stdout);
	for (unsigned i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
		if (i)
			putchar(sep);
		fputs(totals[i], stdout);
	}
	for (unsigned i = 0; i < nr_counters(rc); i++)
		printf("%cd_%s", sep, counter_names[i]);
	for (unsigned i = 0; i < NR_MPKI; i++)
		printf("%c%s_mpki", sep, mpki_names[i]);
	printf("%ccycles_per_access\n", sep);
}

static void interval_row(struct replay_cli *rc)
{
	struct json_writer *jw = &rc->jw;
	struct vmsim_replay_stats c;
	uint64_t v[NR_COUNTERS], d[NR_COUNTERS];
	const unsigned n = nr_counters(rc);
	const char sep = rc->csv ? ',' : ' ';
	double x = 0;

	if (cli_host_oom())
		return;		/* the replay ends at the failure: no more rows */
	snapshot(rc, &c);
	counter_values(rc, &c, v);
	for (unsigned i = 0; i < NR_COUNTERS; i++) {
		d[i] = v[i] - rc->last[i];
		rc->last[i] = v[i];
	}
	/* the picture's y is per N accesses: the partial last interval is
	 * not drawn */
	if (rc->plot.path && d[C_ACCESSES] == rc->interval)
		plot_row(rc, d);
	if (rc->json) {
		json_object_begin(jw);
		json_key_u64(jw, "accesses", c.accesses);
		json_key_u64(jw, "l1d_misses", TLB_MISSES(&c, 0));
		json_key_u64(jw, "l1i_misses", TLB_MISSES(&c, 1));
		json_key_u64(jw, "l2_misses", TLB_MISSES(&c, 2));
		json_key_u64(jw, "walks", c.walks);
		json_key_u64(jw, "min_flt", c.faults[F_MIN_FLT].value);
		json_key_u64(jw, "rss_pages", c.rss);
		json_key(jw, "delta");
		json_object_begin(jw);
		for (unsigned i = 0; i < n; i++)
			json_key_u64(jw, counter_names[i], d[i]);
		json_object_end(jw);
		json_key(jw, "mpki");
		json_object_begin(jw);
		for (unsigned i = 0; i < NR_MPKI; i++) {
			json_key(jw, mpki_names[i]);
			if (mpki(d[mpki_counter[i]], d[C_INSTRUCTIONS], &x))
				json_double(jw, x, 4);
			else
				json_null(jw);
		}
		json_object_end(jw);
		json_number_or_null(jw, "cycles_per_access",
				    per_access(d[C_CYCLES], d[C_ACCESSES], &x), &x);
		json_object_end(jw);
		return;
	}
	if (!rc->header_done) {
		row_header(rc, sep);
		rc->header_done = true;
	}
	printf("%llu%c%llu%c%llu%c%llu%c%llu%c%llu%c%llu", (unsigned long long)c.accesses, sep,
	       (unsigned long long)TLB_MISSES(&c, 0), sep, (unsigned long long)TLB_MISSES(&c, 1),
	       sep, (unsigned long long)TLB_MISSES(&c, 2), sep, (unsigned long long)c.walks, sep,
	       (unsigned long long)c.faults[F_MIN_FLT].value, sep, (unsigned long long)c.rss);
	for (unsigned i = 0; i < n; i++)
		printf("%c%llu", sep, (unsigned long long)d[i]);
	for (unsigned i = 0; i < NR_MPKI; i++) {
		if (mpki(d[mpki_counter[i]], d[C_INSTRUCTIONS], &x))
			printf("%c%.4f", sep, x);
		else
			printf("%c%s", sep, rc->csv ? "" : "-");
	}
	if (per_access(d[C_CYCLES], d[C_ACCESSES], &x))
		printf("%c%.4f\n", sep, x);
	else
		printf("%c%s\n", sep, rc->csv ? "" : "-");
}

static void progress(struct replay_cli *rc, bool final)
{
	struct vmsim_trace_info r;
	double t = now(), el = t - rc->t0, rate = el > 0 ? (double)rc->accesses / el : 0;

	if (!rc->tty || rc->quiet)
		return;
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	if (t < rc->next_progress)
		return;
	rc->next_progress = t + 0.25;
	fprintf(stderr, "\r\033[K%llu accesses, %.1f M/s", (unsigned long long)rc->accesses,
		rate / 1e6);
	vmsim_trace_info(rc->tr, &r);
	if (r.total_bytes && r.bytes_read && el > 0) {
		double frac = (double)r.bytes_read / (double)r.total_bytes;
		if (frac > 0.01)
			fprintf(stderr, ", %.0f%%, ETA %.0f s", frac * 100, el / frac - el);
	}
	fflush(stderr);
}

/* JSON: what the document says before any interval row. */
static void json_head(struct replay_cli *rc, const char *trace, const struct vmsim_trace_info *ti,
		      const char *layout)
{
	struct json_writer *jw = &rc->jw;
	struct vmsim_replay_stats c;

	snapshot(rc, &c);
	json_init_stream(jw, &rc->out, stdout);
	json_object_begin(jw);
	json_key_str(jw, "trace", trace);
	json_key_str(jw, "format", ti->format);
	json_key_str(jw, "compression", ti->compression);
	json_key_str(jw, "layout", layout);
	json_key_str(jw, "machine", c.machine);
	if (rc->interval) {
		json_key(jw, "intervals");
		json_array_begin(jw);
	}
}

/* @key: {the @n counters}. */
static void json_group(struct json_writer *jw, const char *key, const struct vmsim_count *f,
		       unsigned n)
{
	json_key(jw, key);
	json_object_begin(jw);
	for (unsigned i = 0; i < n; i++)
		json_key_u64(jw, f[i].name, f[i].value);
	json_object_end(jw);
}

/* JSON: "replacement": the policy, its parameters and its counts. */
static void json_replacement(struct json_writer *jw, const struct vmsim_replay_stats *st)
{
	const struct vmsim_count counts[] = {
		{ "references", st->references }, { "faults", st->faults_policy },
		{ "first_use_faults", st->first_use_faults }, { "evictions", st->evictions },
		{ "dirty_evictions", st->dirty_evictions }, { "disk_writes", st->disk_writes },
		{ "ticks", st->ticks_run }, { "bit_clears", st->bit_clears },
	};

	json_key(jw, "replacement");
	json_object_begin(jw);
	json_key_str(jw, "policy", st->policy);
	json_key_u64(jw, "frames", st->frames);
	if (st->ticks)
		json_key_u64(jw, "refresh", st->refresh);
	if (st->uses_tau)
		json_key_u64(jw, "tau", st->tau);
	if (st->uses_seed)
		json_key_u64(jw, "seed", st->seed);
	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		json_key_u64(jw, counts[i].name, counts[i].value);
	if (st->kernel) {
		/* the kernel's reclaim: the cgroup's counters of the run */
		json_key_u64(jw, "swap_pages", st->swap_pages);
		json_group(jw, "reclaim", st->reclaim, VMSIM_RECLAIM_COUNTS);
	}
	json_object_end(jw);
}

/* Lookups of TLB level @i that missed, of all lookups: false when there
 * were none. */
static bool miss_rate(const struct vmsim_replay_stats *c, unsigned i, double *out)
{
	const uint64_t hits = TLB_HITS(c, i), misses = TLB_MISSES(c, i);

	if (!hits && !misses)
		return false;
	*out = (double)misses / (double)(hits + misses);
	return true;
}

/* The depth of Linux level @l (vmsim_pt_level_name()) in @c's format, or
 * -1 when it folds into the one above. */
static int level_depth(const struct vmsim_replay_stats *c, int l)
{
	for (unsigned d = 0; d < c->levels; d++)
		if (c->level[d].linux_level == l)
			return (int)d;
	return -1;
}

/* The depth whose entries the paging-structure cache @name holds, or -1. */
static int psc_depth(const struct vmsim_replay_stats *c, const char *name)
{
	for (unsigned d = 0; d < c->levels; d++)
		if (c->level[d].psc_name && strcmp(c->level[d].psc_name, name) == 0)
			return (int)d;
	return -1;
}

/* The cost model's line: cycles, per access, the costs, and each cache's
 * hit rate. */
static void text_translation(const struct vmsim_replay_stats *c)
{
	double x = 0;

	printf("cycles    %llu translating", (unsigned long long)c->translation_cycles);
	if (per_access(c->translation_cycles, c->accesses, &x))
		printf(", %.4f per access", x);
	printf(" (L1 lookup %u, L2 lookup %u, walk reference %u); paging-structure caches:",
	       c->cost_l1_hit, c->cost_l2_hit, c->cost_walk_ref);
	for (unsigned d = 0, n = 0; d < c->levels; d++) {
		const uint64_t h = c->level[d].psc_hits, all = h + c->level[d].psc_misses;

		if (!c->level[d].psc_name)
			continue;
		printf("%s %s %llu/%llu hits", n++ ? "," : "", c->level[d].intel_name,
		       (unsigned long long)h, (unsigned long long)all);
	}
	printf("; %llu entries not read\n", (unsigned long long)c->entries_saved);
}

/* JSON: the cost model and the caches. */
static void json_translation(struct json_writer *jw, const struct vmsim_replay_stats *c)
{
	double x = 0;

	json_key(jw, "translation");
	json_object_begin(jw);
	json_key_u64(jw, "cycles", c->translation_cycles);
	json_number_or_null(jw, "cycles_per_access",
			    per_access(c->translation_cycles, c->accesses, &x), &x);
	json_key(jw, "cost");
	json_object_begin(jw);
	json_key_u64(jw, "l1_hit", c->cost_l1_hit);
	json_key_u64(jw, "l2_hit", c->cost_l2_hit);
	json_key_u64(jw, "walk_ref", c->cost_walk_ref);
	json_object_end(jw);
	json_key_u64(jw, "walk_entries_saved", c->entries_saved);
	json_key(jw, "paging_structure_caches");
	json_object_begin(jw);
	for (unsigned d = 0; d < c->levels; d++) {
		const uint64_t h = c->level[d].psc_hits, all = h + c->level[d].psc_misses;

		if (!c->level[d].psc_name)
			continue;
		json_key(jw, c->level[d].psc_name);
		json_object_begin(jw);
		json_key_u64(jw, "hits", h);
		json_key_u64(jw, "misses", c->level[d].psc_misses);
		json_number_or_null(jw, "hit_rate", per_access(h, all, &x), &x);
		json_object_end(jw);
	}
	json_object_end(jw);
	json_object_end(jw);
}

/* JSON: the totals after the rows, under the statistics' names; 0, or
 * -errno if the document did not come out whole. */
static int json_tail(struct replay_cli *rc, double secs, double rate)
{
	struct json_writer *jw = &rc->jw;
	struct vmsim_replay_stats c;
	static const char *const lv_names[] = { "l1d", "l1i", "l2" };
	double x = 0;
	int ret;

	if (rc->interval) {
		/* the last, partial interval: the totals below are its sum */
		if (rc->accesses + rc->interval != rc->next_interval)
			interval_row(rc);
		json_array_end(jw);
	}
	snapshot(rc, &c);
	const struct vmsim_count acc[] = {
		{ "total", c.accesses }, { "I", c.by_type[0] }, { "L", c.by_type[1] },
		{ "S", c.by_type[2] }, { "M", c.by_type[3] },
		{ "page_touches", c.page_touches }, { "crossing_pages", c.crossings },
	};
	const struct vmsim_count regions[] = {
		{ "created", c.regions }, { "size", c.region_bytes },
		{ "unmappable_accesses", c.unmappable },
	};
	const struct vmsim_count large[2][2] = {
		{ { "fills", c.l1d_large_fills }, { "evictions", c.l1d_large_evictions } },
		{ { "fills", c.l1i_large_fills }, { "evictions", c.l1i_large_evictions } },
	};

	json_group(jw, "accesses", acc, sizeof(acc) / sizeof(acc[0]));
	json_key(jw, "tlb");
	json_object_begin(jw);
	for (unsigned i = 0; i < 3; i++) {
		json_key(jw, lv_names[i]);
		json_object_begin(jw);
		for (unsigned k = 0; k < VMSIM_TLB_COUNTS; k++)
			json_key_u64(jw, c.tlb[i][k].name, c.tlb[i][k].value);
		json_number_or_null(jw, "miss_rate", miss_rate(&c, i, &x), &x);
		json_number_or_null(jw, "mpki", mpki(TLB_MISSES(&c, i), c.instructions, &x), &x);
		json_object_end(jw);
	}
	json_group(jw, "l1d_large", large[0], 2);
	json_group(jw, "l1i_large", large[1], 2);
	json_object_end(jw);
	json_key_u64(jw, "walks", c.walks);
	json_number_or_null(jw, "walks_mpki", mpki(c.walks, c.instructions, &x), &x);
	json_key_u64(jw, "walk_entries_read", c.entries_read);
	json_key(jw, "walk_levels");
	json_object_begin(jw);
	for (int l = 0; vmsim_pt_level_name((unsigned)l); l++) {
		const int d = level_depth(&c, l);

		if (d < 0)
			continue;
		json_key(jw, vmsim_pt_level_name((unsigned)l));
		json_object_begin(jw);
		json_key_str(jw, "intel_name", c.level[d].intel_name);
		json_key_u64(jw, "entries_read", c.level[d].entries_read);
		if (c.level[d].maps) {
			json_key_u64(jw, "page_size", c.level[d].page_size);
			json_key_u64(jw, "pages_mapped", c.level[d].pages_mapped);
		}
		json_object_end(jw);
	}
	json_object_end(jw);
	json_translation(jw, &c);
	json_group(jw, "faults", c.faults, VMSIM_FAULT_COUNTS);
	json_group(jw, "regions", regions, sizeof(regions) / sizeof(regions[0]));
	if (c.policy)
		json_replacement(jw, &c);
	json_key_u64(jw, "rss_pages", c.rss);
	json_key_u64(jw, "page_table_pages", c.pt_pages);
	json_key(jw, "seconds");
	json_double(jw, secs, 6);
	json_key(jw, "accesses_per_second");
	json_double(jw, rate, 0);
	json_key_bool(jw, "out_of_memory", c.oom);
	json_object_end(jw);
	ret = json_finish(jw);
	if (!ret && (putchar('\n') == EOF || fflush(stdout)))
		ret = -EIO;
	return ret;
}

/* CSV: a number, or an empty field when @ok is false (@v: as for
 * json_number_or_null()). */
static void csv_number(bool ok, const double *v)
{
	if (ok)
		printf(",%.6f", *v);
	else
		putchar(',');
}

/* --csv: a header and one row, the same names as the JSON's. */
static int csv_summary(struct replay_cli *rc, const char *trace, const char *format, double secs)
{
	struct vmsim_replay_stats c;
	double x = 0;

	snapshot(rc, &c);
	printf("trace,format,policy,frames,accesses,references,faults,first_use_faults,evictions,"
	       "dirty_evictions,disk_writes,min_flt,walks,l1d_misses,l1i_misses,l2_misses,"
	       "rss_pages,seconds,instructions,l1d_hits,l1d_miss_rate,l1d_mpki,l1i_hits,"
	       "l1i_miss_rate,l1i_mpki,l2_hits,l2_miss_rate,l2_mpki,l1d_large_fills,"
	       "l1i_large_fills,walks_mpki,walk_entries_read");
	for (unsigned l = 0; vmsim_pt_level_name(l); l++)
		printf(",%s_entries_read", vmsim_pt_level_name(l));
	for (unsigned l = 0; vmsim_pt_level_name(l); l++)
		printf(",%s_pages_mapped", vmsim_pt_level_name(l));
	printf(",demand_zero,zero_page,cow,cow_reuse,stack_grow,segv,sigbus,translation_cycles,"
	       "cycles_per_access,walk_entries_saved");
	for (unsigned i = 0; vmsim_psc_name(i); i++)
		printf(",%s_hits,%s_misses", vmsim_psc_name(i), vmsim_psc_name(i));
	for (unsigned i = 0; i < VMSIM_RECLAIM_COUNTS; i++)
		printf(",%s", c.reclaim[i].name);
	putchar('\n');
	cli_csv_str(stdout, trace);
	printf(",%s,%s,", format, c.policy ? c.policy : "");
	if (c.policy)
		printf("%llu,", (unsigned long long)c.frames);
	else
		printf(",");
	printf("%llu,", (unsigned long long)c.accesses);
	if (c.policy)
		printf("%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)c.references,
		       (unsigned long long)c.faults_policy, (unsigned long long)c.first_use_faults,
		       (unsigned long long)c.evictions, (unsigned long long)c.dirty_evictions,
		       (unsigned long long)c.disk_writes);
	else
		printf(",,,,,,");
	printf("%llu,%llu,%llu,%llu,%llu,%llu,%.6f,%llu",
	       (unsigned long long)c.faults[F_MIN_FLT].value, (unsigned long long)c.walks,
	       (unsigned long long)TLB_MISSES(&c, 0), (unsigned long long)TLB_MISSES(&c, 1),
	       (unsigned long long)TLB_MISSES(&c, 2), (unsigned long long)c.rss, secs,
	       (unsigned long long)c.instructions);
	for (unsigned i = 0; i < 3; i++) {
		printf(",%llu", (unsigned long long)TLB_HITS(&c, i));
		csv_number(miss_rate(&c, i, &x), &x);
		csv_number(mpki(TLB_MISSES(&c, i), c.instructions, &x), &x);
	}
	printf(",%llu,%llu", (unsigned long long)c.l1d_large_fills,
	       (unsigned long long)c.l1i_large_fills);
	csv_number(mpki(c.walks, c.instructions, &x), &x);
	printf(",%llu", (unsigned long long)c.entries_read);
	for (int l = 0; vmsim_pt_level_name((unsigned)l); l++) {
		const int d = level_depth(&c, l);

		if (d < 0)
			putchar(',');
		else
			printf(",%llu", (unsigned long long)c.level[d].entries_read);
	}
	for (int l = 0; vmsim_pt_level_name((unsigned)l); l++) {
		const int d = level_depth(&c, l);

		if (d < 0 || !c.level[d].maps)
			putchar(',');
		else
			printf(",%llu", (unsigned long long)c.level[d].pages_mapped);
	}
	for (unsigned i = F_DEMAND_ZERO; i < VMSIM_FAULT_COUNTS; i++)	/* ... sigbus */
		printf(",%llu", (unsigned long long)c.faults[i].value);
	printf(",%llu", (unsigned long long)c.translation_cycles);
	csv_number(per_access(c.translation_cycles, c.accesses, &x), &x);
	printf(",%llu", (unsigned long long)c.entries_saved);
	for (unsigned i = 0; vmsim_psc_name(i); i++) {
		const int d = psc_depth(&c, vmsim_psc_name(i));

		if (d < 0)
			printf(",,");
		else
			printf(",%llu,%llu", (unsigned long long)c.level[d].psc_hits,
			       (unsigned long long)c.level[d].psc_misses);
	}
	/* the kernel's reclaim counters: --policy linux only */
	for (unsigned i = 0; i < VMSIM_RECLAIM_COUNTS; i++)
		if (c.kernel)
			printf(",%llu", (unsigned long long)c.reclaim[i].value);
		else
			putchar(',');
	putchar('\n');
	return fflush(stdout) ? -EIO : 0;
}

/* Text: "L1d 1.23%, ..." of the three levels' miss rates, then the MPKI
 * line, then the walk's levels after the walks line's start. */
static void text_rates(const struct vmsim_replay_stats *c)
{
	static const char *const names[3] = { "L1d", "L1i", "L2" };
	double x = 0;

	printf("miss rate");
	for (unsigned i = 0; i < 3; i++) {
		if (miss_rate(c, i, &x))
			printf("%s %s %.4f%%", i ? "," : "", names[i], x * 100);
		else
			printf("%s %s -", i ? "," : "", names[i]);
	}
	printf("; large-page arrays: L1d %llu fills %llu evictions, L1i %llu fills %llu "
	       "evictions\n", (unsigned long long)c->l1d_large_fills,
	       (unsigned long long)c->l1d_large_evictions, (unsigned long long)c->l1i_large_fills,
	       (unsigned long long)c->l1i_large_evictions);
	if (!c->instructions) {
		printf("mpki      n/a: the trace has no instruction fetches\n");
		return;
	}
	printf("mpki     ");
	for (unsigned i = 0; i < 3; i++) {
		mpki(TLB_MISSES(c, i), c->instructions, &x);
		printf("%s %s %.4f", i ? "," : "", names[i], x);
	}
	mpki(c->walks, c->instructions, &x);
	printf(", walks %.4f (per 1000 of %llu instruction%s)\n", x,
	       (unsigned long long)c->instructions, c->instructions == 1 ? "" : "s");
}

static void text_walks(const struct vmsim_replay_stats *c)
{
	uint64_t mapped = 0;

	printf("walks     %llu, page-table entries read %llu:", (unsigned long long)c->walks,
	       (unsigned long long)c->entries_read);
	for (unsigned d = 0; d < c->levels; d++)
		printf("%s %s %llu", d ? "," : "", c->level[d].intel_name,
		       (unsigned long long)c->level[d].entries_read);
	printf("; mapped");
	for (int d = (int)c->levels - 1; d >= 0; d--) {
		if (!c->level[d].maps)
			continue;
		const uint64_t sz = c->level[d].page_size;

		printf(" %llu %llu %s,", (unsigned long long)c->level[d].pages_mapped,
		       (unsigned long long)(sz >= 1ULL << 30 ? sz >> 30 : sz >= 1ULL << 20 ? sz >> 20
										 : sz >> 10),
		       sz >= 1ULL << 30 ? "GiB" : sz >= 1ULL << 20 ? "MiB" : "KiB");
		mapped += c->level[d].pages_mapped;
	}
	printf(" %llu faulted\n", (unsigned long long)(c->walks - mapped));
}

/* The report: text, the CSV row or the JSON document's tail.  0 or -errno. */
static int summary(struct replay_cli *rc, const char *trace, const struct vmsim_trace_info *ti,
		   double secs, const char *layout)
{
	struct vmsim_replay_stats c;
	double rate = secs > 0 ? (double)rc->accesses / secs : 0;

	if (rc->json)
		return json_tail(rc, secs, rate);
	/* the last, partial interval (after a bad line too: the counters so far) */
	if (rc->interval && rc->accesses + rc->interval != rc->next_interval)
		interval_row(rc);
	if (rc->csv && rc->interval)
		return fflush(stdout) ? -EIO : 0;	/* the rows are the table */
	if (rc->csv)
		return csv_summary(rc, trace, ti->format, secs);
	snapshot(rc, &c);
	printf("replay    %s (%s%s%s), %s layout, machine %s\n", trace, ti->label,
	       ti->compression ? ", " : "", ti->compression ? ti->compression : "", layout,
	       c.machine);
	if (c.policy) {
		printf("policy    %s in %llu frame%s: %llu references, %llu page faults (%llu first "
		       "use), %llu evictions, %llu dirty (%llu writes to disk)\n", c.policy,
		       (unsigned long long)c.frames, c.frames == 1 ? "" : "s",
		       (unsigned long long)c.references,
		       (unsigned long long)c.faults_policy, (unsigned long long)c.first_use_faults,
		       (unsigned long long)c.evictions, (unsigned long long)c.dirty_evictions,
		       (unsigned long long)c.disk_writes);
		if (c.kernel) {
			printf("reclaim  ");
			for (unsigned i = 0; i < VMSIM_RECLAIM_COUNTS; i++)
				printf(" %s %llu%s", c.reclaim[i].name,
				       (unsigned long long)c.reclaim[i].value,
				       i + 1 < VMSIM_RECLAIM_COUNTS ? "," : "\n");
		}
	}
	printf("accesses  %llu: I %llu, L %llu, S %llu, M %llu; %llu page translations, "
	       "%llu accesses crossing a page\n", (unsigned long long)c.accesses,
	       (unsigned long long)c.by_type[0], (unsigned long long)c.by_type[1],
	       (unsigned long long)c.by_type[2], (unsigned long long)c.by_type[3],
	       (unsigned long long)c.page_touches, (unsigned long long)c.crossings);
	printf("tlb       L1d %llu hits %llu misses; L1i %llu hits %llu misses; "
	       "L2 %llu hits %llu misses\n",
	       (unsigned long long)TLB_HITS(&c, 0), (unsigned long long)TLB_MISSES(&c, 0),
	       (unsigned long long)TLB_HITS(&c, 1), (unsigned long long)TLB_MISSES(&c, 1),
	       (unsigned long long)TLB_HITS(&c, 2), (unsigned long long)TLB_MISSES(&c, 2));
	text_rates(&c);
	text_walks(&c);
	text_translation(&c);
	printf("faults    %llu minor: %llu demand-zero, %llu zero-page, %llu cow (+%llu reused), "
	       "%llu stack growth; %llu SIGSEGV", (unsigned long long)c.faults[F_MIN_FLT].value,
	       (unsigned long long)c.faults[F_DEMAND_ZERO].value,
	       (unsigned long long)c.faults[F_ZERO_PAGE].value,
	       (unsigned long long)c.faults[F_COW].value,
	       (unsigned long long)c.faults[F_COW_REUSE].value,
	       (unsigned long long)c.faults[F_STACK_GROW].value, (unsigned long long)c.segv);
	if (c.faults[F_SIGBUS].value)	/* a file page past the end of a file */
		printf(", %llu SIGBUS", (unsigned long long)c.faults[F_SIGBUS].value);
	printf("\n");
	if (c.flat)
		printf("regions   %llu created on demand (%llu KiB); %llu accesses outside user space\n",
		       (unsigned long long)c.regions, (unsigned long long)c.region_bytes >> 10,
		       (unsigned long long)c.unmappable);
	printf("memory    rss %llu pages (%llu KiB), page tables %llu pages\n",
	       (unsigned long long)c.rss, (unsigned long long)c.rss * 4, (unsigned long long)c.pt_pages);
	printf("time      %.3f s, %.2f M accesses/s\n", secs, rate / 1e6);
	if (c.oom)
		printf("oom       the simulated machine ran out of memory: the task was killed\n");
	return 0;
}

/* The replay's task: "replay", spawned empty; with --task-layout exec:ELF
 * it execs the binary first (argv[0] = the path, no environment), so the
 * trace meets the kernel's layout of it.  NULL after the line is out
 * (none out of host memory: main() says why). */
static struct vmsim_task *replay_task(struct vmsim_machine *m, const char *exec_elf)
{
	struct vmsim_exec_opts eo = { .path = exec_elf };
	struct vmsim_error err = { 0 };
	struct vmsim_task *t;
	int ret = vmsim_task_spawn(m, "replay", NULL, &t);

	if (ret)
		snprintf(err.msg, sizeof(err.msg), "replay: cannot create the task: %s",
			 errno_name(ret));
	else if (exec_elf)
		ret = vmsim_task_exec(t, &eo, NULL, &err);
	if (!ret)
		return t;
	if (!cli_host_oom())
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
	return NULL;
}

/* Feed @n records to the replay, an interval row at each --interval
 * boundary.  false once the machine ran out of memory. */
static bool feed(struct replay_cli *rc, const struct vmsim_rec *recs, size_t n)
{
	while (n) {
		uint64_t k = rc->next_interval - rc->accesses;

		k = k < n ? k : n;
		if (vmsim_replay_batch(rc->rp, recs, (size_t)k)) {
			/* out of memory: the record that ran out was replayed */
			struct vmsim_replay_counters cc;

			vmsim_replay_counters(rc->rp, &cc);
			rc->accesses = cc.accesses;
			if (rc->accesses == rc->next_interval) {
				interval_row(rc);
				rc->next_interval += rc->interval;
			}
			return false;
		}
		rc->accesses += k;
		recs += k;
		n -= (size_t)k;
		if (__builtin_expect(rc->accesses == rc->next_interval, 0)) {
			interval_row(rc);
			rc->next_interval += rc->interval;
		}
	}
	return true;
}

enum { OPT_FORMAT = 256, OPT_LAYOUT, OPT_INTERVAL, OPT_FRAMES, OPT_POLICY, OPT_REFRESH, OPT_TAU,
       OPT_SEED, OPT_CSV, OPT_SVG, OPT_THP, OPT_QUIET = 'q' };

static const struct cli_opt replay_opts[] = {
	{ OPT_FORMAT, "format", ARG_WORDS, VMSIM_TRACE_FORMATS,
	  "the trace's format (default: detected from its content, docs/trace-format.md)" },
	{ OPT_FRAMES, "frames", ARG_TEXT, "N",
	  "give the task's pages N page frames: a page fault of the policy loads a page, evicting "
	  "one when N are resident (pure demand paging; page tables not counted)" },
	{ OPT_POLICY, "policy", ARG_WORDS,
	  "fifo|lru|opt|clock|enhanced-clock|nru|aging|lfu|random|wsclock|linux",
	  "the replacement policy with --frames (default lru)" },
	{ OPT_REFRESH, "refresh", ARG_TEXT, "N",
	  "nru, aging: clear the Accessed bits every N references, as an OS tick would "
	  "(default 1000)" },
	{ OPT_TAU, "tau", ARG_TEXT, "N", "wsclock: the working-set window, in references (default 1000)" },
	{ OPT_SEED, "seed", ARG_TEXT, "N", "random, nru: the random generator's seed (default 1)" },
	{ OPT_CSV, "csv", ARG_NONE, NULL,
	  "print the totals as a CSV header and one row; with --interval, the rows as CSV" },
	{ OPT_LAYOUT, "task-layout", ARG_TEXT, "flat|exec:ELF",
	  "flat (default): every page the trace touches gets a VMA on demand; exec:ELF: the task "
	  "execs ELF first and the trace meets the kernel's layout of it" },
	{ OPT_INTERVAL, "interval", ARG_TEXT, "N",
	  "print a row of counters every N accesses (a time series): the totals so far, each "
	  "counter's change over the interval and its MPKI; the last, partial interval too" },
	{ OPT_SVG, "svg", ARG_FILE, "FILE",
	  "with --interval: draw the counters per interval (TLB misses, walks, faults) as an SVG "
	  "picture into FILE" },
	{ OPT_THP, "thp", ARG_WORDS, "always|madvise|never",
	  "transparent huge pages, as written to /sys/kernel/mm/transparent_hugepage/enabled "
	  "(default: the config's): always backs the flat layout's regions with 2 MiB pages "
	  "where aligned" },
	{ OPT_QUIET, "quiet", ARG_NONE, NULL, "no progress line on a terminal" },
	{ 0 },
};

static int run_replay(struct cli *c, int argc, char **argv)
{
	struct replay_cli rc = { .json = c->json, .out = STRBUF_INIT,
				 .params = VMSIM_REPLAY_POLICY_INIT };
	const char *policy = NULL, *format = NULL, *thp = NULL;
	bool frames = false, oom = false;
	const char *trace, *layout = "flat", *exec_elf;
	struct vmsim_replay_policy_info pi;
	struct vmsim_trace_info ti;
	struct vmsim_machine *m;
	struct vmsim_error err = { 0 }, cerr = { 0 };
	struct vmsim_task *t;
	struct vmsim_rec recs[BATCH];
	struct cli_getopt g;
	long got;
	int ret, out, status = 0, k, bad = 0;
	double secs;

	cli_getopt_init(&g, &cmd_replay, argc, argv, false);
	while ((k = cli_getopt(&g)) > 0) {
		if (k == OPT_FORMAT) {
			if (cli_choice(&cmd_replay, k, g.arg) < 0)
				return 2;
			format = g.arg;
		} else if (k == OPT_FRAMES) {
			if (cli_count(&cmd_replay, "--frames", g.arg, 1, &rc.params.frames))
				return 2;
			frames = true;
		} else if (k == OPT_POLICY) {
			if (cli_choice(&cmd_replay, k, g.arg) < 0)
				return 2;
			policy = g.arg;
		} else if (k == OPT_REFRESH) {
			if (cli_count(&cmd_replay, "--refresh", g.arg, 1, &rc.params.refresh))
				return 2;
		} else if (k == OPT_TAU) {
			if (cli_count(&cmd_replay, "--tau", g.arg, 0, &rc.params.tau))
				return 2;
		} else if (k == OPT_SEED) {
			if (cli_count(&cmd_replay, "--seed", g.arg, 0, &rc.params.seed))
				return 2;
		} else if (k == OPT_THP) {
			if (cli_choice(&cmd_replay, k, g.arg) < 0)
				return 2;
			thp = g.arg;
		} else if (k == OPT_CSV) {
			rc.csv = true;
		} else if (k == OPT_SVG) {
			if (rc.plot.path)
				return cli_usage_error(&cmd_replay, "one --svg only");
			rc.plot.path = g.arg;
		} else if (k == OPT_LAYOUT) {
			layout = g.arg;
		} else if (k == OPT_INTERVAL) {
			if (cli_count(&cmd_replay, "--interval", g.arg, 1, &rc.interval))
				return 2;
		} else {
			rc.quiet = true;
		}
	}
	if (k < 0)
		return g.status;
	if (argc - g.next != 1)
		return cli_usage_error(&cmd_replay, "%s", argc == g.next ? "which trace? (- for "
				       "standard input)" : "one trace at a time");
	trace = argv[g.next];
	if (policy && !frames)
		return cli_usage_error(&cmd_replay, "--policy needs --frames N");
	if (frames) {
		rc.policy = rc.params.name = policy ? policy : "lru";
		vmsim_replay_policy_info(rc.policy, &pi);	/* a word of the option's list */
		if (!pi.available) {
			fprintf(stderr, "vmsim-cli: replay: %s\n", pi.missing);
			return 2;
		}
		if (rc.params.frames > VMSIM_REPLAY_MAX_FRAMES)
			return cli_usage_error(&cmd_replay, "--frames is at most %llu",
					       (unsigned long long)VMSIM_REPLAY_MAX_FRAMES);
	}
	if (frames && thp && strcmp(thp, "never") != 0)
		return cli_usage_error(&cmd_replay, "--frames turns transparent huge pages off (a huge "
				       "page would map 512 pages in no frame): not with --thp %s",
				       thp);
	if (rc.plot.path && !rc.interval)
		return cli_usage_error(&cmd_replay, "--svg draws the --interval rows: give --interval N");
	if (rc.csv && rc.json)
		return cli_usage_error(&cmd_replay, "--csv prints one table: not with --json");
	exec_elf = strncmp(layout, "exec:", 5) == 0 ? layout + 5 : NULL;
	if ((strcmp(layout, "flat") != 0 && !exec_elf) || (exec_elf && !*exec_elf))
		return cli_usage_error(&cmd_replay, "--task-layout is flat or exec:ELF, not '%s'", layout);
	cli_input(c, trace);
	cli_input(c, exec_elf);
	m = cli_boot(c);
	if (!m)
		return 2;
	if (thp)
		vmsim_thp_set_enabled(m, thp);
	ret = vmsim_trace_open(trace, format, &rc.tr, &err);
	if (ret) {
		if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		vmsim_machine_destroy(m);
		return 2;
	}
	vmsim_trace_info(rc.tr, &ti);
	t = replay_task(m, exec_elf);
	ret = t ? vmsim_replay_open(m, t, exec_elf ? VMSIM_REPLAY_TASK : VMSIM_REPLAY_FLAT, &rc.rp)
		: -1;
	if (rc.policy && !ret) {
		/* the policies that read the trace ahead read it as detected */
		rc.params.trace = trace;
		rc.params.format = ti.format;
		ret = vmsim_replay_set_policy(rc.rp, &rc.params, &err);
		if (ret && !cli_host_oom())
			fprintf(stderr, "vmsim-cli: replay: %s\n", err.msg);
	}
	if (ret) {
		vmsim_replay_close(rc.rp);
		vmsim_trace_close(rc.tr);
		vmsim_machine_destroy(m);
		return 2;
	}
	if (rc.json)
		json_head(&rc, trace, &ti, layout);
	rc.tty = isatty(2);
	rc.next_interval = rc.interval ? rc.interval : UINT64_MAX;
	rc.t0 = now();
	rc.next_progress = rc.t0 + 0.25;
	while ((got = vmsim_trace_read(rc.tr, recs, BATCH, &err)) > 0) {
		oom = !feed(&rc, recs, (size_t)got);
		if (__builtin_expect(oom, 0) || cli_host_oom())
			break;
		if (rc.accesses >= rc.next_progress_count) {
			progress(&rc, false);
			rc.next_progress_count = rc.accesses + PROGRESS_EVERY;
			/* --check: what the accesses since the last point changed */
			if ((bad = vmsim_replay_check(rc.rp, 0, &cerr)))
				break;
		}
	}
	if (!bad && !cli_host_oom())
		bad = vmsim_replay_check(rc.rp, 1, &cerr);
	ret = got < 0 ? (int)got : 0;
	secs = now() - rc.t0;
	progress(&rc, true);
	if (cli_host_oom()) {
		/* no counters: they stop at a failure the trace did not cause
		 * (and main() says why) */
		status = 2;
	} else {
		vmsim_trace_info(rc.tr, &ti);
		out = summary(&rc, trace, &ti, secs, layout);
		if (ret < 0) {
			/* the counters so far are out; then the line that stopped us */
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
			status = 2;
		} else if (oom) {
			status = 1;
		}
		if (bad) {
			fprintf(stderr, "vmsim-cli: replay: invariant violated after %llu accesses: "
				"%s\n", (unsigned long long)rc.accesses, cerr.msg);
			status = status ? status : 1;
		}
		/* a write error on stdout is main's one line (check_stdout) */
		if (out)
			status = 2;
		if (rc.plot.path && ret == 0 && !cli_host_oom() && plot_write(c, &rc, trace))
			status = 2;
	}
	vmsim_trace_close(rc.tr);
	sb_free(&rc.out);
	plot_free(&rc.plot);
	vmsim_replay_close(rc.rp);
	vmsim_machine_destroy(m);
	return status;
}

const struct cli_cmd cmd_replay = {
	.name = "replay",
	.operands = "TRACE|-",
	.summary = "replay a memory trace through the TLB, page walks and faults",
	.operand_kind = ARG_FILE,
	.about = "TRACE is a Valgrind lackey trace (valgrind --tool=lackey --trace-mem=yes), "
		 "vmsim's binary format (convert-trace), a course trace (ADDR R|W or l|s ADDR lines), "
		 "a ChampSim trace or a reference string of page numbers (7 0 1 2 0 3 ...), detected "
		 "from its content, and may be compressed with gzip, xz or zstd; - for standard input. "
		 "It is streamed, so any length replays in bounded host memory. Every access goes "
		 "through the TLB, "
		 "the walk and the fault handler of one task. The report counts accesses by type, "
		 "TLB hits and misses per level, walks, faults by kind, RSS and page-table pages, "
		 "time and rate. With --check the invariants are checked every 65536 accesses and at "
		 "the end. The exit status is 1 when the simulated machine ran out of memory, "
		 "--check found a broken invariant (the replay stops there) or the kernel reported a "
		 "BUG, 2 at a bad trace line (the counters so far are printed first).\n\n"
		 "With --frames N the task's pages get N page frames and --policy chooses which "
		 "page a page fault evicts: the textbook policies, run on the real page tables "
		 "(the Accessed and Dirty bits the MMU sets, evictions that clear the PTE and flush "
		 "the TLB). The report adds the references, page faults (first uses included), "
		 "evictions and dirty evictions (writes to disk). --policy linux lets the kernel's "
		 "own reclaim decide, in a memory cgroup of N pages with a swap area, and adds its "
		 "reclaim counters.",
	.opts = replay_opts,
	.run = run_replay,
};
