/*
 * vmsim-cli replay: arguments, progress and the report around the replay
 * engine (src/kern/replay.c).  Output: accesses by type, TLB hits and
 * misses per level, walks and page-table entries read, faults by kind, RSS
 * and page-table pages at the end, time and rate; --json for all of it;
 * --interval N for a time series; a progress line on a terminal.
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
#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "util/errname.h"
#include "util/error.h"
#include "util/trace.h"
#include "kern/replace.h"
#include "kern/replay.h"
#include "kern/stats.h"
#include "util/json.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "util/svg.h"
#include "vma/mm.h"


#define PROGRESS_EVERY (1u << 16)
#define BATCH 256

/* --svg with --interval: per row, the accesses and the counters' deltas
 * since the row before (kept in host memory: 48 bytes a row). */
#define PLOT_SERIES 5
struct interval_plot {
	const char *path;
	double *x, *y[PLOT_SERIES];
	size_t n, cap;
	uint64_t last[PLOT_SERIES];
	bool failed;			/* the host refused: no picture */
};

struct replay_cli {
	struct replay rp;
	struct replace rs;		/* --frames: the policy */
	const struct replace_ops *policy;	/* NULL without --frames */
	struct replace_params params;
	uint64_t interval, next_interval;
	bool json, csv, quiet, tty;
	struct interval_plot plot;	/* --svg: the rows kept for the picture */
	bool header_done;		/* text: the rows' header line is out */
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

/* The row's deltas into the plot. */
static void plot_row(struct replay_cli *rc, const struct replay_counters *c)
{
	struct interval_plot *pl = &rc->plot;
	const uint64_t now_v[PLOT_SERIES] = { c->l1d.misses, c->l2.misses, c->walks,
					      rc->rp.t->fst.min_flt,
					      rc->policy ? rc->rs.st.faults : 0 };

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
	pl->x[pl->n] = (double)rc->rp.accesses;
	for (int k = 0; k < PLOT_SERIES; k++) {
		pl->y[k][pl->n] = (double)(now_v[k] - pl->last[k]);
		pl->last[k] = now_v[k];
	}
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

static void interval_row(struct replay_cli *rc)
{
	struct replay *rp = &rc->rp;
	struct json_writer *jw = &rc->jw;
	struct replay_counters c;

	if (cli_host_oom())
		return;		/* the replay ends at the failure: no more rows */
	replay_snapshot(rp, &c);
	if (rc->plot.path)
		plot_row(rc, &c);
	if (rc->json) {
		json_object_begin(jw);
		json_key_u64(jw, "accesses", rp->accesses);
		json_key_u64(jw, "l1d_misses", c.l1d.misses);
		json_key_u64(jw, "l1i_misses", c.l1i.misses);
		json_key_u64(jw, "l2_misses", c.l2.misses);
		json_key_u64(jw, "walks", c.walks);
		json_key_u64(jw, "min_flt", rp->t->fst.min_flt);
		json_key_u64(jw, "rss_pages", c.rss);
		json_object_end(jw);
		return;
	}
	if (!rc->header_done) {
		printf("# accesses l1d_misses l1i_misses l2_misses walks min_flt rss_pages\n");
		rc->header_done = true;
	}
	printf("%llu %llu %llu %llu %llu %lu %lu\n", (unsigned long long)rp->accesses,
	       (unsigned long long)c.l1d.misses, (unsigned long long)c.l1i.misses,
	       (unsigned long long)c.l2.misses, (unsigned long long)c.walks, rp->t->fst.min_flt,
	       c.rss);
}

static void progress(struct replay_cli *rc, const struct trace_reader *r, bool final)
{
	const struct replay *rp = &rc->rp;
	double t = now(), el = t - rc->t0, rate = el > 0 ? (double)rp->accesses / el : 0;

	if (!rc->tty || rc->quiet)
		return;
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	if (t < rc->next_progress)
		return;
	rc->next_progress = t + 0.25;
	fprintf(stderr, "\r\033[K%llu accesses, %.1f M/s", (unsigned long long)rp->accesses,
		rate / 1e6);
	if (r->total_bytes && r->bytes_read && el > 0) {
		double frac = (double)r->bytes_read / (double)r->total_bytes;
		if (frac > 0.01)
			fprintf(stderr, ", %.0f%%, ETA %.0f s", frac * 100, el / frac - el);
	}
	fflush(stderr);
}

/* JSON: what the document says before any interval row. */
static void json_head(struct replay_cli *rc, const char *trace, enum trace_format fmt,
		      const char *comp, const char *layout)
{
	struct json_writer *jw = &rc->jw;

	json_init_stream(jw, &rc->out, stdout);
	json_object_begin(jw);
	json_key_str(jw, "trace", trace);
	json_key_str(jw, "format", trace_format_name(fmt));
	json_key_str(jw, "compression", comp);
	json_key_str(jw, "layout", layout);
	json_key_str(jw, "machine", rc->rp.m->cfg.name);
	if (rc->interval) {
		json_key(jw, "intervals");
		json_array_begin(jw);
	}
}

/* @key: {the @n fields}. */
static void json_group(struct json_writer *jw, const char *key, const struct stat_field *f,
		       unsigned n)
{
	json_key(jw, key);
	json_object_begin(jw);
	json_stat_fields(jw, f, n);
	json_object_end(jw);
}

/* JSON: "replacement": the policy, its parameters and its counts. */
static void json_replacement(struct replay_cli *rc)
{
	const struct replace_stats *st = &rc->rs.st;
	struct json_writer *jw = &rc->jw;
	const struct stat_field counts[] = {
		{ "references", st->references }, { "faults", st->faults },
		{ "first_use_faults", st->first_faults }, { "evictions", st->evictions },
		{ "dirty_evictions", st->dirty_evictions }, { "disk_writes", st->disk_writes },
		{ "ticks", st->ticks }, { "bit_clears", st->bit_clears },
	};

	json_key(jw, "replacement");
	json_object_begin(jw);
	json_key_str(jw, "policy", rc->policy->name);
	json_key_u64(jw, "frames", rc->params.frames);
	if (rc->policy->flags & REPLACE_TICKS)
		json_key_u64(jw, "refresh", rc->params.refresh);
	if (rc->policy == replace_find("wsclock"))
		json_key_u64(jw, "tau", rc->params.tau);
	if (rc->policy == replace_find("random") || rc->policy == replace_find("nru"))
		json_key_u64(jw, "seed", rc->params.seed);
	json_stat_fields(jw, counts, sizeof(counts) / sizeof(counts[0]));
	json_object_end(jw);
}

/* JSON: the totals after the rows, under the statistics' names; 0, or
 * -errno if the document did not come out whole. */
static int json_tail(struct replay_cli *rc, double secs, double rate)
{
	const struct replay *rp = &rc->rp;
	struct json_writer *jw = &rc->jw;
	struct replay_counters c;
	struct stat_field f[FAULT_STAT_FIELDS];
	static const char *const lv_names[] = { "l1d", "l1i", "l2" };
	int ret;

	replay_snapshot(rp, &c);
	const struct tlb_stats *lv[3] = { &c.l1d, &c.l1i, &c.l2 };
	const struct stat_field acc[] = {
		{ "total", rp->accesses }, { "I", rp->by_type[0] }, { "L", rp->by_type[1] },
		{ "S", rp->by_type[2] }, { "M", rp->by_type[3] },
		{ "page_touches", rp->page_touches }, { "crossing_pages", rp->crossings },
	};
	const struct stat_field regions[] = {
		{ "created", rp->regions }, { "size", rp->region_bytes },
		{ "unmappable_accesses", rp->unmappable },
	};

	if (rc->interval)
		json_array_end(jw);
	json_group(jw, "accesses", acc, sizeof(acc) / sizeof(acc[0]));
	json_key(jw, "tlb");
	json_object_begin(jw);
	for (unsigned i = 0; i < 3; i++) {
		struct stat_field t[TLB_STAT_FIELDS];

		tlb_stat_fields(lv[i], t);
		json_group(jw, lv_names[i], t, TLB_STAT_FIELDS);
	}
	json_object_end(jw);
	json_key_u64(jw, "walks", c.walks);
	json_key_u64(jw, "walk_entries_read", c.entries_read);
	fault_stat_fields(&rp->t->fst, f);
	json_group(jw, "faults", f, FAULT_STAT_FIELDS);
	json_group(jw, "regions", regions, sizeof(regions) / sizeof(regions[0]));
	if (rc->policy)
		json_replacement(rc);
	json_key_u64(jw, "rss_pages", c.rss);
	json_key_u64(jw, "page_table_pages", c.pt_pages);
	json_key(jw, "seconds");
	json_double(jw, secs, 6);
	json_key(jw, "accesses_per_second");
	json_double(jw, rate, 0);
	json_key_bool(jw, "out_of_memory", rp->oom);
	json_object_end(jw);
	ret = json_finish(jw);
	if (!ret && (putchar('\n') == EOF || fflush(stdout)))
		ret = -EIO;
	return ret;
}

/* --csv: a header and one row, the same names as the JSON's. */
static int csv_summary(struct replay_cli *rc, const char *trace, enum trace_format fmt,
		       double secs)
{
	const struct replay *rp = &rc->rp;
	const struct replace_stats *st = &rc->rs.st;
	struct replay_counters c;

	replay_snapshot(rp, &c);
	printf("trace,format,policy,frames,accesses,references,faults,first_use_faults,evictions,"
	       "dirty_evictions,disk_writes,min_flt,walks,l1d_misses,l1i_misses,l2_misses,"
	       "rss_pages,seconds\n");
	cli_csv_str(stdout, trace);
	printf(",%s,%s,", trace_format_name(fmt), rc->policy ? rc->policy->name : "");
	if (rc->policy)
		printf("%llu,", (unsigned long long)rc->params.frames);
	else
		printf(",");
	printf("%llu,", (unsigned long long)rp->accesses);
	if (rc->policy)
		printf("%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)st->references,
		       (unsigned long long)st->faults, (unsigned long long)st->first_faults,
		       (unsigned long long)st->evictions, (unsigned long long)st->dirty_evictions,
		       (unsigned long long)st->disk_writes);
	else
		printf(",,,,,,");
	printf("%lu,%llu,%llu,%llu,%llu,%lu,%.6f\n", rp->t->fst.min_flt,
	       (unsigned long long)c.walks, (unsigned long long)c.l1d.misses,
	       (unsigned long long)c.l1i.misses, (unsigned long long)c.l2.misses, c.rss, secs);
	return fflush(stdout) ? -EIO : 0;
}

/* The report: text, the CSV row or the JSON document's tail.  0 or -errno. */
static int summary(struct replay_cli *rc, const char *trace, enum trace_format fmt,
		   const char *comp, double secs, const char *layout)
{
	const struct replay *rp = &rc->rp;
	const struct fault_stats *fs = &rp->t->fst;
	struct replay_counters c;
	double rate = secs > 0 ? (double)rp->accesses / secs : 0;

	if (rc->json)
		return json_tail(rc, secs, rate);
	if (rc->csv)
		return csv_summary(rc, trace, fmt, secs);
	replay_snapshot(rp, &c);
	printf("replay    %s (%s%s%s), %s layout, machine %s\n", trace, trace_format_label(fmt),
	       comp ? ", " : "", comp ? comp : "", layout, rp->m->cfg.name);
	if (rc->policy) {
		const struct replace_stats *st = &rc->rs.st;

		printf("policy    %s in %llu frame%s: %llu references, %llu page faults (%llu first "
		       "use), %llu evictions, %llu dirty (%llu writes to disk)\n", rc->policy->name,
		       (unsigned long long)rc->params.frames, rc->params.frames == 1 ? "" : "s",
		       (unsigned long long)st->references,
		       (unsigned long long)st->faults, (unsigned long long)st->first_faults,
		       (unsigned long long)st->evictions, (unsigned long long)st->dirty_evictions,
		       (unsigned long long)st->disk_writes);
	}
	printf("accesses  %llu: I %llu, L %llu, S %llu, M %llu; %llu page translations, "
	       "%llu accesses crossing a page\n", (unsigned long long)rp->accesses,
	       (unsigned long long)rp->by_type[0], (unsigned long long)rp->by_type[1],
	       (unsigned long long)rp->by_type[2], (unsigned long long)rp->by_type[3],
	       (unsigned long long)rp->page_touches, (unsigned long long)rp->crossings);
	printf("tlb       L1d %llu hits %llu misses; L1i %llu hits %llu misses; "
	       "L2 %llu hits %llu misses\n",
	       (unsigned long long)c.l1d.hits, (unsigned long long)c.l1d.misses,
	       (unsigned long long)c.l1i.hits, (unsigned long long)c.l1i.misses,
	       (unsigned long long)c.l2.hits, (unsigned long long)c.l2.misses);
	printf("walks     %llu, page-table entries read %llu\n", (unsigned long long)c.walks,
	       (unsigned long long)c.entries_read);
	printf("faults    %lu minor: %lu demand-zero, %lu zero-page, %lu cow (+%lu reused), "
	       "%lu stack growth; %llu SIGSEGV", fs->min_flt, fs->demand_zero, fs->zero_page,
	       fs->cow, fs->cow_reuse, fs->stack_grow, (unsigned long long)rp->segv);
	if (fs->sigbus)
		printf(", %lu SIGBUS", fs->sigbus);	/* a file page past the end of a file */
	printf("\n");
	if (rp->layout == REPLAY_FLAT)
		printf("regions   %llu created on demand (%llu KiB); %llu accesses outside user space\n",
		       (unsigned long long)rp->regions, (unsigned long long)rp->region_bytes >> 10,
		       (unsigned long long)rp->unmappable);
	printf("memory    rss %lu pages (%lu KiB), page tables %lu pages\n", c.rss,
	       c.rss * (PAGE_SIZE >> 10), c.pt_pages);
	printf("time      %.3f s, %.2f M accesses/s\n", secs, rate / 1e6);
	if (rp->oom)
		printf("oom       the simulated machine ran out of memory: the task was killed\n");
	return 0;
}

/* --task-layout exec:ELF: the task execs the binary first (argv[0] = the
 * path, no environment), so the trace meets the kernel's layout of it. */
static int replay_exec(struct vmsim_machine *m, struct task_struct *t, const char *path,
		       struct vmsim_error *err)
{
	const char *argv[] = { path };
	struct exec_args a = { .filename = path, .argv = argv, .argc = 1 };
	struct exec_result r;

	return do_execve(t, &a, &r, err);
}

enum { OPT_FORMAT = 256, OPT_LAYOUT, OPT_INTERVAL, OPT_FRAMES, OPT_POLICY, OPT_REFRESH, OPT_TAU,
       OPT_SEED, OPT_CSV, OPT_SVG, OPT_QUIET = 'q' };

static const struct cli_opt replay_opts[] = {
	{ OPT_FORMAT, "format", ARG_WORDS, TRACE_FORMAT_WORDS,
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
	{ OPT_CSV, "csv", ARG_NONE, NULL, "print the totals as a CSV header and one row" },
	{ OPT_LAYOUT, "task-layout", ARG_TEXT, "flat|exec:ELF",
	  "flat (default): every page the trace touches gets a VMA on demand; exec:ELF: the task "
	  "execs ELF first and the trace meets the kernel's layout of it" },
	{ OPT_INTERVAL, "interval", ARG_TEXT, "N",
	  "print a row of counters every N accesses (a time series)" },
	{ OPT_SVG, "svg", ARG_FILE, "FILE",
	  "with --interval: draw the counters per interval (TLB misses, walks, faults) as an SVG "
	  "picture into FILE" },
	{ OPT_QUIET, "quiet", ARG_NONE, NULL, "no progress line on a terminal" },
	{ 0 },
};

static int run_replay(struct cli *c, int argc, char **argv)
{
	struct replay_cli rc = { .json = c->json, .out = STRBUF_INIT,
				 .params = { .refresh = REPLACE_DEFAULT_REFRESH,
					     .tau = REPLACE_DEFAULT_TAU,
					     .seed = REPLACE_DEFAULT_SEED } };
	const char *policy = NULL;
	bool frames = false;
	const char *trace, *layout = "flat", *exec_elf;
	struct vmsim_machine *m;
	struct spawn_args sa = { 0 };
	struct vmsim_error err = { 0 }, cerr = { 0 };
	struct task_struct *t;
	struct trace_reader r;
	struct trace_rec recs[BATCH];
	struct cli_getopt g;
	long got;
	int fmt = -1, ret, out, status = 0, k, bad = 0;
	double secs;

	cli_getopt_init(&g, &cmd_replay, argc, argv, false);
	while ((k = cli_getopt(&g)) > 0) {
		if (k == OPT_FORMAT) {
			fmt = cli_choice(&cmd_replay, k, g.arg);	/* TRACE_FORMAT_WORDS' order */
			if (fmt < 0)
				return 2;
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
		rc.policy = replace_find(policy ? policy : "lru");
		if (!rc.policy->available) {
			fprintf(stderr, "vmsim-cli: replay: %s\n", rc.policy->missing);
			return 2;
		}
		if (rc.params.frames > REPLACE_MAX_FRAMES)
			return cli_usage_error(&cmd_replay, "--frames is at most %llu",
					       (unsigned long long)REPLACE_MAX_FRAMES);
	}
	if (rc.plot.path && !rc.interval)
		return cli_usage_error(&cmd_replay, "--svg draws the --interval rows: give --interval N");
	if (rc.csv && (rc.json || rc.interval))
		return cli_usage_error(&cmd_replay, "--csv prints one table: not with %s",
				       rc.json ? "--json" : "--interval");
	exec_elf = strncmp(layout, "exec:", 5) == 0 ? layout + 5 : NULL;
	if ((strcmp(layout, "flat") != 0 && !exec_elf) || (exec_elf && !*exec_elf))
		return cli_usage_error(&cmd_replay, "--task-layout is flat or exec:ELF, not '%s'", layout);
	cli_input(c, trace);
	cli_input(c, exec_elf);
	m = cli_boot(c);
	if (!m)
		return 2;
	ret = trace_open(&r, trace, fmt, &err);
	if (ret) {
		if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		vmsim_machine_destroy(m);
		return 2;
	}
	ret = task_spawn(m, "replay", &sa, &t);
	if (!ret && exec_elf)
		ret = replay_exec(m, t, exec_elf, &err);
	else if (ret)
		verr(&err, ret, "replay: cannot create the task: %s", errno_name(ret));
	if (ret) {
		if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		trace_close(&r);
		vmsim_machine_destroy(m);
		return 2;
	}
	replay_init(&rc.rp, m, t, exec_elf ? REPLAY_TASK : REPLAY_FLAT);
	if (rc.policy) {
		ret = replace_init(&rc.rs, rc.policy, &rc.params, m, t, &rc.rp.page_touches, &err);
		if (!ret && (rc.policy->flags & REPLACE_FUTURE))
			ret = replace_opt_prepare(&rc.rs, trace, r.fmt, &err);
		if (ret) {
			if (!cli_host_oom())
				fprintf(stderr, "vmsim-cli: replay: %s\n", err.msg);
			replace_destroy(&rc.rs);
			trace_close(&r);
			vmsim_machine_destroy(m);
			return 2;
		}
		rc.rp.rs = &rc.rs;
	}
	if (rc.json)
		json_head(&rc, trace, r.fmt, trace_compression_name(r.in.comp), layout);
	rc.tty = isatty(2);
	rc.next_interval = rc.interval ? rc.interval : UINT64_MAX;
	rc.t0 = now();
	rc.next_progress = rc.t0 + 0.25;
	while ((got = trace_read_batch(&r, recs, BATCH, &err)) > 0) {
		for (long i = 0; i < got && !rc.rp.oom; i++) {
			replay_one(&rc.rp, &recs[i]);
			if (__builtin_expect(rc.rp.accesses == rc.next_interval, 0)) {
				interval_row(&rc);
				rc.next_interval += rc.interval;
			}
		}
		if (__builtin_expect(rc.rp.oom, 0) || cli_host_oom())
			break;
		if (rc.rp.accesses >= rc.next_progress_count) {
			progress(&rc, &r, false);
			rc.next_progress_count = rc.rp.accesses + PROGRESS_EVERY;
			/* --check: what the accesses since the last point changed */
			if (machine_checking(m) && ((bad = machine_check_point(m, &cerr)) ||
						    (bad = replace_check(&rc.rs, &cerr))))
				break;
		}
	}
	if (!bad && machine_checking(m) && !cli_host_oom() && !(bad = machine_check(m, &cerr)))
		bad = replace_check(&rc.rs, &cerr);
	ret = got < 0 ? (int)got : 0;
	secs = now() - rc.t0;
	progress(&rc, &r, true);
	if (cli_host_oom()) {
		/* no counters: they stop at a failure the trace did not cause
		 * (and main() says why) */
		status = 2;
	} else {
		out = summary(&rc, trace, r.fmt, trace_compression_name(r.in.comp), secs, layout);
		if (ret < 0) {
			/* the counters so far are out; then the line that stopped us */
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
			status = 2;
		} else if (rc.rp.oom) {
			status = 1;
		}
		if (bad) {
			fprintf(stderr, "vmsim-cli: replay: invariant violated after %llu accesses: "
				"%s\n", (unsigned long long)rc.rp.accesses, cerr.msg);
			status = status ? status : 1;
		}
		/* a write error on stdout is main's one line (check_stdout) */
		if (out)
			status = 2;
		if (rc.plot.path && ret == 0 && !cli_host_oom() && plot_write(c, &rc, trace))
			status = 2;
	}
	trace_close(&r);
	sb_free(&rc.out);
	plot_free(&rc.plot);
	replace_destroy(&rc.rs);
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
		 "evictions and dirty evictions (writes to disk).",
	.opts = replay_opts,
	.run = run_replay,
};
