/*
 * vmsim-cli mrc: miss-ratio curves of a trace in one pass (src/kern/mrc.c):
 * the LRU page faults for every number of frames (or --points of them),
 * optionally OPT's, the SHARDS estimate with its error, and the TLB-reach
 * curve; as text, --json, --csv and an SVG picture.
 *
 * Invariant: the trace streams; host memory is O(distinct pages) (and
 * O(references) with --opt, which keeps the reference string).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/hostalloc.h"
#include "util/json.h"
#include "util/outfile.h"
#include "util/strbuf.h"
#include "util/svg.h"
#include "vmsim/vmsim.h"

#define OPT_BUDGET (1ULL << 34)	/* references x OPT runs: about a minute */

enum { OPT_FORMAT = 256, OPT_SAMPLE, OPT_ERROR, OPT_OPT, OPT_POINTS, OPT_CSV, OPT_CURVE, OPT_SVG };

static const struct cli_opt mrc_opts[] = {
	{ OPT_FORMAT, "format", ARG_WORDS, VMSIM_TRACE_FORMATS,
	  "the trace's format (default: detected, as replay detects it)" },
	{ OPT_SAMPLE, "sample", ARG_TEXT, "R",
	  "follow only the pages whose hash falls in a fraction R (0.01 or 1%) of the hash space "
	  "(SHARDS) and scale the counts by 1/R" },
	{ OPT_ERROR, "error", ARG_NONE, NULL,
	  "with --sample: also compute the exact curve and report the estimate's error" },
	{ OPT_OPT, "opt", ARG_NONE, NULL,
	  "also OPT's faults (Belady's MIN) at each frame count of the table; keeps the reference "
	  "string (8 bytes a reference)" },
	{ OPT_POINTS, "points", ARG_TEXT, "N",
	  "N frame counts spaced evenly on a log scale instead of every count 1..footprint" },
	{ OPT_CSV, "csv", ARG_NONE, NULL, "print the --curve table as CSV" },
	{ OPT_CURVE, "curve", ARG_WORDS, "frames|tlb",
	  "the table --csv and --svg give: faults against frames (default) or TLB misses against "
	  "TLB entries" },
	{ OPT_SVG, "svg", ARG_FILE, "FILE", "also draw the --curve as an SVG picture into FILE" },
	{ 0 },
};

struct mrc_cli {
	struct vmsim_mrc *mc;
	struct vmsim_mrc_info in;	/* after the pass */
	bool exact_too;
	const char *trace;
	const char *fmt;
	bool json, csv, tlb_curve;
	double sample;
	uint64_t points;
	uint64_t *rows;			/* the frame counts of the table */
	uint64_t nrows, nrows_cap;
	uint64_t *opt;			/* --opt: faults per row */
	double secs;
	double mae, maxe;		/* --error: miss-ratio error against exact */
};

/* The one error line, unless the host refused memory (main() says so). */
static void say(const char *msg)
{
	if (!cli_host_oom())
		fprintf(stderr, "vmsim-cli: %s\n", msg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "0.01", "1%": a rate in (0, 1]; -1 when it is not one. */
static double parse_rate(const char *v)
{
	char *end;
	double r = strtod(v, &end);

	if (end == v)
		return -1;
	if (*end == '%') {
		r /= 100;
		end++;
	}
	return *end || !(r > 0 && r <= 1) ? -1 : r;
}

/* The table's frame counts: every one, or @points on a log scale. */
static int choose_rows(struct mrc_cli *mcl, uint64_t footprint)
{
	uint64_t n = footprint ? footprint : 1, k = 0;

	if (mcl->points && mcl->points < n)
		n = mcl->points;
	mcl->rows = host_zalloc(NULL, n * sizeof(*mcl->rows));
	if (!mcl->rows)
		return -ENOMEM;
	mcl->nrows_cap = n;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t f = n == footprint || n == 1 ? i + 1
			   : (uint64_t)llround(pow((double)footprint, (double)i / (double)(n - 1)));

		if (f < 1)
			f = 1;
		if (!k || f > mcl->rows[k - 1])
			mcl->rows[k++] = f;
	}
	mcl->nrows = k;
	return 0;
}

/* The TLB sizes: powers of two up to the first that holds the footprint. */
static unsigned tlb_rows(const struct mrc_cli *mcl)
{
	unsigned k = 1;

	while (k < 31 && (1ULL << (k - 1)) < mcl->in.footprint)
		k++;
	return k;
}

static double per_kilo(const struct mrc_cli *mcl, double misses)
{
	return mcl->in.instructions ? misses * 1000 / (double)mcl->in.instructions : NAN;
}

/* ---- output ---- */

/* A per-kilo column: "-" (text) or nothing (CSV) without instructions
 * to count by. */
static void print_kilo(double v, bool csv, const char *end)
{
	if (!isnan(v))
		printf(csv ? "%.4f" : "%9.3f", v);
	else if (!csv)
		printf("%9s", "-");
	fputs(end, stdout);
}

/* The frames table, as text columns or CSV. */
static void print_curve(const struct mrc_cli *mcl, bool csv)
{
	const struct vmsim_mrc_info *in = &mcl->in;

	if (csv)
		printf("frames,lru_faults,lru_miss_ratio%s\n", mcl->opt ? ",opt_faults" : "");
	else
		printf("\n%8s %12s %10s%s\n", "frames", "lru_faults", "miss_ratio",
		       mcl->opt ? "   opt_faults" : "");
	for (uint64_t i = 0; i < mcl->nrows; i++) {
		double f = vmsim_mrc_lru_faults(mcl->mc, mcl->rows[i]);

		printf(csv ? "%llu,%lld,%.8f" : "%8llu %12lld %10.6f", (unsigned long long)mcl->rows[i],
		       llround(f), in->references ? f / (double)in->references : 0);
		if (mcl->opt)
			printf(csv ? ",%llu" : " %12llu", (unsigned long long)mcl->opt[i]);
		printf("\n");
	}
}

/* The TLB-reach table, as text columns or CSV. */
static void print_tlb(const struct mrc_cli *mcl, bool csv)
{
	if (csv)
		printf("entries,misses_4k,mpki_4k,misses_2m,mpki_2m\n");
	else
		printf("\n%11s %12s %9s %12s %9s\n", "tlb_entries", "misses_4k", "mpki_4k",
		       "misses_2m", "mpki_2m");
	for (unsigned k = 0; k < tlb_rows(mcl); k++) {
		double a = vmsim_mrc_tlb_misses(mcl->mc, 1ULL << k, 0), b = vmsim_mrc_tlb_misses(mcl->mc, 1ULL << k, 1);

		printf(csv ? "%llu,%lld," : "%11llu %12lld ", 1ULL << k, llround(a));
		print_kilo(per_kilo(mcl, a), csv, csv ? "," : " ");
		printf(csv ? "%lld," : "%12lld ", llround(b));
		print_kilo(per_kilo(mcl, b), csv, "\n");
	}
}

static void print_text(struct mrc_cli *mcl)
{
	const struct vmsim_mrc_info *in = &mcl->in;

	printf("mrc       %s (%s): %llu references (%llu records, %llu instructions), footprint "
	       "%llu pages of 4 KiB, %llu of 2 MiB\n", mcl->trace, mcl->fmt,
	       (unsigned long long)in->references, (unsigned long long)in->records,
	       (unsigned long long)in->instructions, (unsigned long long)in->footprint,
	       (unsigned long long)in->footprint_huge);
	if (mcl->sample < 1) {
		printf("sample    SHARDS at rate %g: %llu references of %llu pages followed",
		       in->sample_rate, (unsigned long long)in->sampled_references,
		       (unsigned long long)in->sampled_pages);
		if (mcl->exact_too)
			printf("; miss-ratio error against the exact curve: mean %.5f, max %.5f",
			       mcl->mae, mcl->maxe);
		printf("\n");
	}
	print_curve(mcl, false);
	print_tlb(mcl, false);
	printf("\ntime      %.3f s, %.2f M references/s; host memory %llu bytes, %.1f per distinct "
	       "page\n", mcl->secs, mcl->secs > 0 ? (double)in->references / mcl->secs / 1e6 : 0,
	       (unsigned long long)in->host_bytes,
	       in->sampled_pages ? (double)in->host_bytes_sampled / (double)in->sampled_pages : 0.0);
}

static void json_num_or_null(struct json_writer *jw, const char *key, double v, int decimals)
{
	json_key(jw, key);
	if (isnan(v))
		json_null(jw);
	else
		json_double(jw, v, decimals);
}

/* The JSON document into @sb (printed once everything is ready).  0, or
 * -errno when it did not come out whole. */
static int render_json(struct mrc_cli *mcl, struct strbuf *sb)
{
	const struct vmsim_mrc_info *in = &mcl->in;
	struct json_writer jw;

	json_init(&jw, sb);
	json_object_begin(&jw);
	json_key_str(&jw, "trace", mcl->trace);
	json_key_str(&jw, "format", mcl->fmt);
	json_key_u64(&jw, "records", in->records);
	json_key_u64(&jw, "references", in->references);
	json_key_u64(&jw, "instructions", in->instructions);
	json_key_u64(&jw, "footprint_pages", in->footprint);
	json_key_u64(&jw, "footprint_2m_pages", in->footprint_huge);
	json_key(&jw, "sample_rate");
	json_double(&jw, in->sample_rate, 8);
	if (mcl->exact_too) {
		json_key(&jw, "error");
		json_object_begin(&jw);
		json_key(&jw, "mean_abs_miss_ratio");
		json_double(&jw, mcl->mae, 8);
		json_key(&jw, "max_abs_miss_ratio");
		json_double(&jw, mcl->maxe, 8);
		json_object_end(&jw);
	}
	json_key(&jw, "curve");
	json_array_begin(&jw);
	for (uint64_t i = 0; i < mcl->nrows; i++) {
		double f = vmsim_mrc_lru_faults(mcl->mc, mcl->rows[i]);

		json_object_begin(&jw);
		json_key_u64(&jw, "frames", mcl->rows[i]);
		json_key_u64(&jw, "lru_faults", (uint64_t)llround(f));
		json_key(&jw, "lru_miss_ratio");
		json_double(&jw, in->references ? f / (double)in->references : 0, 8);
		if (mcl->opt)
			json_key_u64(&jw, "opt_faults", mcl->opt[i]);
		json_object_end(&jw);
	}
	json_array_end(&jw);
	json_key(&jw, "tlb_reach");
	json_array_begin(&jw);
	for (unsigned k = 0; k < tlb_rows(mcl); k++) {
		double a = vmsim_mrc_tlb_misses(mcl->mc, 1ULL << k, 0), b = vmsim_mrc_tlb_misses(mcl->mc, 1ULL << k, 1);

		json_object_begin(&jw);
		json_key_u64(&jw, "entries", 1ULL << k);
		json_key_u64(&jw, "misses_4k", (uint64_t)llround(a));
		json_num_or_null(&jw, "mpki_4k", per_kilo(mcl, a), 4);
		json_key_u64(&jw, "misses_2m", (uint64_t)llround(b));
		json_num_or_null(&jw, "mpki_2m", per_kilo(mcl, b), 4);
		json_object_end(&jw);
	}
	json_array_end(&jw);
	json_key_u64(&jw, "host_bytes", in->host_bytes);
	json_key(&jw, "seconds");
	json_double(&jw, mcl->secs, 6);
	json_key(&jw, "references_per_second");
	json_double(&jw, mcl->secs > 0 ? (double)in->references / mcl->secs : 0, 0);
	json_object_end(&jw);
	return json_finish(&jw);
}

/* The --curve as a picture, into @sb.  0, or -ENOMEM. */
static int render_svg(struct mrc_cli *mcl, struct strbuf *sb)
{
	const struct vmsim_mrc_info *in = &mcl->in;
	uint64_t n = mcl->tlb_curve ? tlb_rows(mcl) : mcl->nrows;
	double *x = host_zalloc(NULL, 3 * (n + 1) * sizeof(double)), *y[2];
	struct svg_series s[2];
	struct svg_chart ch = { 0 };
	struct strbuf title = STRBUF_INIT;
	int ret = -ENOMEM;

	if (!x)
		return ret;
	y[0] = x + n + 1;
	y[1] = y[0] + n + 1;
	for (uint64_t i = 0; i < n; i++) {
		if (mcl->tlb_curve) {
			double a = vmsim_mrc_tlb_misses(mcl->mc, 1ULL << i, 0);
			double b = vmsim_mrc_tlb_misses(mcl->mc, 1ULL << i, 1);

			x[i] = (double)(1ULL << i);
			y[0][i] = in->instructions ? per_kilo(mcl, a) : a;
			y[1][i] = in->instructions ? per_kilo(mcl, b) : b;
		} else {
			x[i] = (double)mcl->rows[i];
			y[0][i] = vmsim_mrc_lru_faults(mcl->mc, mcl->rows[i]);
			y[1][i] = mcl->opt ? (double)mcl->opt[i] : NAN;
		}
	}
	s[0] = (struct svg_series){ mcl->tlb_curve ? "4 KiB pages" : "LRU", x, y[0], n };
	s[1] = (struct svg_series){ mcl->tlb_curve ? "2 MiB pages" : "OPT", x, y[1], n };
	sb_printf(&title, "%s: %s", mcl->trace, mcl->tlb_curve ? "TLB reach" : "page faults");
	if (mcl->sample < 1)
		sb_printf(&title, " (SHARDS, rate %g)", in->sample_rate);
	ch.title = sb_str(&title);
	ch.xlabel = mcl->tlb_curve ? "TLB entries (fully associative, LRU)" : "frames";
	ch.ylabel = mcl->tlb_curve ? (in->instructions ? "misses per 1000 instructions" : "misses")
				   : "page faults";
	ch.logx = mcl->tlb_curve || (mcl->points && mcl->nrows > 1);
	ch.series = s;
	ch.nseries = mcl->tlb_curve || mcl->opt ? 2 : 1;
	if (!title.oom) {
		svg_chart(sb, &ch);
		ret = sb->oom ? -ENOMEM : 0;
	}
	host_free(NULL, x, 3 * (n + 1) * sizeof(double));
	sb_free(&title);
	return ret;
}

static int run_mrc(struct cli *c, int argc, char **argv)
{
	struct mrc_cli mcl = { .json = c->json, .sample = 1 };
	struct vmsim_mrc_opts mo = { .sample = 1 };
	struct vmsim_error err = { 0 };
	struct cli_getopt g;
	struct vmsim_trace *tr;
	struct vmsim_trace_info ti;
	struct vmsim_rec recs[256];
	const char *svg = NULL, *format = NULL;
	struct strbuf doc = STRBUF_INIT, pic = STRBUF_INIT;
	int k, ret, status = 0;
	long got;
	double t0;

	cli_getopt_init(&g, &cmd_mrc, argc, argv, false);
	while ((k = cli_getopt(&g)) > 0) {
		if (k == OPT_FORMAT) {
			if (cli_choice(&cmd_mrc, k, g.arg) < 0)
				return 2;
			format = g.arg;
		} else if (k == OPT_SAMPLE) {
			mcl.sample = parse_rate(g.arg);
			if (mcl.sample < 0)
				return cli_usage_error(&cmd_mrc, "--sample takes a rate in (0, 1] "
						       "(0.01 or 1%%), not '%s'", g.arg);
		} else if (k == OPT_ERROR) {
			mo.exact_too = true;
		} else if (k == OPT_OPT) {
			mo.opt = true;
		} else if (k == OPT_POINTS) {
			if (cli_count(&cmd_mrc, "--points", g.arg, 1, &mcl.points))
				return 2;
		} else if (k == OPT_CSV) {
			mcl.csv = true;
		} else if (k == OPT_CURVE) {
			int v = cli_choice(&cmd_mrc, k, g.arg);

			if (v < 0)
				return 2;
			mcl.tlb_curve = v == 1;
		} else if (k == OPT_SVG) {
			if (svg)
				return cli_usage_error(&cmd_mrc, "one --svg only");
			svg = g.arg;
		}
	}
	if (k < 0)
		return g.status;
	if (argc - g.next != 1)
		return cli_usage_error(&cmd_mrc, "%s", argc == g.next ? "which trace? (- for "
				       "standard input)" : "one trace at a time");
	if (mcl.csv && mcl.json)
		return cli_usage_error(&cmd_mrc, "--csv and --json: one at a time");
	if (mo.exact_too && mcl.sample == 1)
		return cli_usage_error(&cmd_mrc, "--error compares --sample R with the exact curve: "
				       "give --sample");
	mcl.trace = argv[g.next];
	mo.sample = mcl.sample;
	mcl.exact_too = mo.exact_too;
	cli_input(c, mcl.trace);
	if (cli_start(c))
		return 2;
	ret = vmsim_trace_open(mcl.trace, format, &tr, &err);
	if (ret) {
		say(err.msg);
		return 2;
	}
	vmsim_trace_info(tr, &ti);
	mcl.fmt = ti.format;
	if (vmsim_mrc_open(&mo, &mcl.mc, &err)) {
		vmsim_trace_close(tr);
		say(err.msg);
		return 2;
	}
	t0 = now();
	while ((got = vmsim_trace_read(tr, recs, 256, &err)) > 0)
		if (vmsim_mrc_batch(mcl.mc, recs, (size_t)got))
			break;	/* the host refused: vmsim_mrc_finish() says so */
	vmsim_trace_close(tr);
	if (got < 0) {
		/* a bad record: no curve from part of a trace */
		say(err.msg);
		status = 2;
		goto out;
	}
	if (vmsim_mrc_finish(mcl.mc, &err)) {
		say(err.msg);
		status = 2;
		goto out;
	}
	vmsim_mrc_info(mcl.mc, &mcl.in);
	if (choose_rows(&mcl, mcl.in.footprint)) {
		say("out of host memory");
		status = 2;
		goto out;
	}
	if (mo.opt) {
		if ((double)mcl.nrows * (double)mcl.in.references > (double)OPT_BUDGET) {
			fprintf(stderr, "vmsim-cli: mrc: --opt at %llu frame counts over %llu references "
				"is too long a computation: give --points N\n",
				(unsigned long long)mcl.nrows, (unsigned long long)mcl.in.references);
			status = 2;
			goto out;
		}
		mcl.opt = host_zalloc(NULL, mcl.nrows * sizeof(*mcl.opt));
		bool failed = !mcl.opt;

		for (uint64_t i = 0; !failed && i < mcl.nrows; i++)
			failed = vmsim_mrc_opt_faults(mcl.mc, mcl.rows[i], &mcl.opt[i]) != 0;
		if (failed) {
			say("out of host memory");
			status = 2;
			goto out;
		}
	}
	if (mo.exact_too)
		vmsim_mrc_error(mcl.mc, &mcl.mae, &mcl.maxe);
	mcl.secs = now() - t0;
	/* everything that needs host memory first: out of it, no output at all */
	if ((mcl.json && render_json(&mcl, &doc)) || (svg && render_svg(&mcl, &pic)) ||
	    cli_host_oom()) {
		say("out of host memory");
		status = 2;
		goto out;
	}
	if (svg) {
		struct outfile o;

		status = cli_output(c, &o, svg);
		if (!status) {
			fputs(sb_str(&pic), o.f);
			status = cli_output_commit(&o);
		}
		if (status)
			goto out;
	}
	if (mcl.json) {
		fputs(sb_str(&doc), stdout);
		putchar('\n');
	} else if (mcl.csv) {
		if (mcl.tlb_curve)
			print_tlb(&mcl, true);
		else
			print_curve(&mcl, true);
	} else {
		print_text(&mcl);
	}
out:
	sb_free(&doc);
	sb_free(&pic);
	if (mcl.rows)
		host_free(NULL, mcl.rows, mcl.nrows_cap * sizeof(*mcl.rows));
	if (mcl.opt)
		host_free(NULL, mcl.opt, mcl.nrows * sizeof(*mcl.opt));
	vmsim_mrc_close(mcl.mc);
	return status;
}

const struct cli_cmd cmd_mrc = {
	.name = "mrc",
	.operands = "TRACE|-",
	.summary = "miss-ratio curves of a trace: LRU (and OPT) faults for every frame count, TLB reach",
	.operand_kind = ARG_FILE,
	.about = "One pass over TRACE (any format replay reads) gives the LRU page faults for every "
		 "number of frames from 1 to the footprint, by Mattson's stack algorithm: a "
		 "reference whose stack distance is d faults in fewer than d frames. The same pass "
		 "gives the TLB-reach curve: the misses of a fully associative LRU TLB against its "
		 "entries, for 4 KiB and 2 MiB pages, per 1000 instructions when the trace has "
		 "instruction fetches. References are counted as replay counts them: a record "
		 "touching k pages is k references, an M record two per page, so the LRU curve at N "
		 "frames is what replay --frames N --policy lru reports. --sample R follows a "
		 "hashed fraction R of the pages (SHARDS) for big traces; --error measures what "
		 "that costs. The text output has both tables; --csv and --svg the one --curve "
		 "names.",
	.opts = mrc_opts,
	.run = run_mrc,
};
