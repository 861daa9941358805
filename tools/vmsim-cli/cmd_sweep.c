/*
 * vmsim-cli sweep: replay traces over the cartesian product of value
 * lists, as independent runs of vmsim-cli itself.
 *
 *   sweep [--set KEY=V1,V2,...]... [--vary OPT=V1,...]... [--frames L]
 *         [--policy L] [-j N] [--out DIR] [--emit parallel|slurm] TRACE...
 *   sweep merge DIR          the jobs' reports as one CSV (or --json) table
 *   sweep job DIR N          run job N of a sweep (what the emitted lists call)
 *
 * A sweep directory holds what the jobs need and what they leave:
 *   jobs.tsv        the table's left columns: job, trace, one per axis
 *   job-N.args      job N's working directory and argv, NUL-separated
 *   job-N.json      its replay report (`--json replay`), when it completed
 *   job-N.err       its standard error, when it said anything
 *   jobs.txt        --emit parallel: one `vmsim-cli sweep job DIR N` a line
 *   sweep.sbatch    --emit slurm: the job-array script
 *
 * Each job is a separate vmsim-cli process (fork and exec of this binary),
 * so its report is exactly what the same replay run alone prints, and -j N
 * keeps N of them running on the local cores.
 *
 * Invariant: a job's report appears whole (written to a temporary and
 * renamed) only when the job ended with status 0 or 1, so merge finds a
 * complete document or none; a sweep never writes into a directory that
 * holds anything.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_oom.h"
#include "sweep.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"

#define MAX_AXES 16
#define MAX_TRACES 256
#define MAX_ARGS (2 * CLI_MAX_SETS + 3 * MAX_AXES + 16)

/* One dimension of the product: a config key (--set) or a replay option. */
struct axis {
	const char *name;	/* "memory.size", or "frames" for --frames */
	bool is_set;		/* config key, else a replay option */
	char *list;		/* the values, split in place */
	const char *vals[64];
	unsigned n;
};

struct sweep {
	struct cli *c;
	struct axis axes[MAX_AXES];
	unsigned nr_axes;
	const char *traces[MAX_TRACES];
	unsigned nr_traces;
	uint64_t jobs;		/* -j */
	const char *out;	/* --out */
	const char *svg;	/* --svg */
	int emit;		/* -1, or EMIT_PARALLEL / EMIT_SLURM */
	char dir[PATH_MAX];	/* the sweep directory, absolute */
	char self[PATH_MAX];	/* this binary */
	char cwd[PATH_MAX];
	uint64_t nr_jobs;
};

enum { EMIT_PARALLEL, EMIT_SLURM };
enum { OPT_SET = 256, OPT_VARY, OPT_FRAMES, OPT_POLICY, OPT_OUT, OPT_EMIT, OPT_SVG,
       OPT_JOBS = 'j' };

static const struct cli_opt sweep_opts[] = {
	{ OPT_SET, "set", ARG_TEXT, "KEY=V1,V2,...",
	  "a config key over values (as the global --set takes one); may be repeated" },
	{ OPT_VARY, "vary", ARG_TEXT, "OPT=V1,V2,...",
	  "a replay option over values (--vary interval=1000,10000); may be repeated" },
	{ OPT_FRAMES, "frames", ARG_TEXT, "N1,N2,...", "replay --frames over values" },
	{ OPT_POLICY, "policy", ARG_TEXT, "P1,P2,...", "replay --policy over values" },
	{ OPT_JOBS, "jobs", ARG_TEXT, "N",
	  "run N jobs at a time (default: the number of online processors)" },
	{ OPT_OUT, "out", ARG_DIR, "DIR",
	  "keep the jobs' files in DIR, a new or empty directory (default: a temporary one, "
	  "removed at the end)" },
	{ OPT_EMIT, "emit", ARG_WORDS, "parallel|slurm",
	  "run nothing: write the job list for GNU parallel, or a Slurm job-array script, to "
	  "standard output and DIR (needs --out)" },
	{ OPT_SVG, "svg", ARG_FILE, "FILE",
	  "also draw the page faults against --frames, a line per policy (and trace), as an "
	  "SVG picture into FILE (needs --frames)" },
	{ 0 },
};

/* ---- the axes and the jobs ---- */

static int add_axis(struct sweep *s, const char *name, size_t name_len, const char *values,
		    bool is_set, const char *opt)
{
	struct axis *a;
	char *p;

	if (s->nr_axes == MAX_AXES)
		return cli_usage_error(&cmd_sweep, "at most %d axes", MAX_AXES);
	a = &s->axes[s->nr_axes];
	a->is_set = is_set;
	a->list = host_strdup(NULL, values);
	a->name = host_alloc(NULL, name_len + 1);
	if (!a->list || !a->name)
		return 2;	/* main() says why */
	memcpy((char *)a->name, name, name_len);
	((char *)a->name)[name_len] = '\0';
	s->nr_axes++;
	if (!name_len)
		return cli_usage_error(&cmd_sweep, "%s takes NAME=V1,V2,..., not '%s'", opt, values);
	for (p = a->list; p;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (!*p || strpbrk(p, "\t\n"))
			return cli_usage_error(&cmd_sweep, "%s %s: an empty value, or a tab or newline "
					       "in one", opt, a->name);
		if (a->n == sizeof(a->vals) / sizeof(a->vals[0]))
			return cli_usage_error(&cmd_sweep, "%s %s: at most %zu values", opt, a->name,
					       sizeof(a->vals) / sizeof(a->vals[0]));
		a->vals[a->n++] = p;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* "NAME=V1,V2": an axis named NAME. */
static int add_named_axis(struct sweep *s, const char *arg, bool is_set, const char *opt)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1] || strcspn(arg, "\t\n") < (size_t)(eq - arg))
		return cli_usage_error(&cmd_sweep, "%s takes NAME=V1,V2,..., not '%s'", opt, arg);
	return add_axis(s, arg, (size_t)(eq - arg), eq + 1, is_set, opt);
}

static void free_axes(struct sweep *s)
{
	for (unsigned i = 0; i < s->nr_axes; i++) {
		struct axis *a = &s->axes[i];

		host_free(NULL, a->list, a->list ? strlen(a->list) + 1 : 0);
		host_free(NULL, (char *)a->name, strlen(a->name) + 1);
	}
}

/* Job @k (from 0): its trace and each axis's value index, the last axis
 * varying fastest, then the trace. */
static const char *job_values(const struct sweep *s, uint64_t k, unsigned *idx)
{
	for (unsigned i = s->nr_axes; i-- > 0;) {
		idx[i] = (unsigned)(k % s->axes[i].n);
		k /= s->axes[i].n;
	}
	return s->traces[k];
}

/* Job @k's argv after the program's name, NULL-ended; @bufs holds the
 * "KEY=V" and "--OPT=V" strings. */
static void job_argv(const struct sweep *s, uint64_t k, const char **argv, struct strbuf *bufs)
{
	unsigned idx[MAX_AXES], n = 0;
	const char *trace = job_values(s, k, idx);
	size_t offs[MAX_AXES];

	sb_reset(bufs);
	if (s->c->check)
		sb_printf(bufs, "--check=%u%c", s->c->check_every, '\0');
	for (unsigned i = 0; i < s->nr_axes; i++) {
		offs[i] = bufs->len;
		sb_printf(bufs, "%s%s=%s%c", s->axes[i].is_set ? "" : "--", s->axes[i].name,
			  s->axes[i].vals[idx[i]], '\0');
	}
	argv[n++] = "-c";
	argv[n++] = s->c->config;
	for (unsigned i = 0; i < s->c->nr_sets; i++) {
		argv[n++] = "--set";
		argv[n++] = s->c->sets[i];
	}
	if (s->c->check)
		argv[n++] = sb_str(bufs);
	for (unsigned i = 0; i < s->nr_axes; i++)
		if (s->axes[i].is_set) {
			argv[n++] = "--set";
			argv[n++] = sb_str(bufs) + offs[i];
		}
	argv[n++] = "--json";
	argv[n++] = "replay";
	argv[n++] = "--quiet";
	for (unsigned i = 0; i < s->nr_axes; i++)
		if (!s->axes[i].is_set)
			argv[n++] = sb_str(bufs) + offs[i];
	argv[n++] = "--";
	argv[n++] = trace;
	argv[n] = NULL;
}

/* ---- the sweep directory ---- */

/* Write @len bytes to DIR/@name through an outfile.  0, or 2 after the message. */
static int write_file(const struct sweep *s, const char *name, const char *data, size_t len)
{
	struct vmsim_error err = { 0 };
	struct outfile o;
	char path[PATH_MAX + 64];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	ret = outfile_open(&o, path, NULL, &err);
	if (!ret) {
		if (len && fwrite(data, 1, len, o.f) != len)
			o.werr = errno ? errno : EIO;
		ret = outfile_commit(&o, &err);
	}
	if (ret)
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
	return ret ? 2 : 0;
}

/* --out DIR (created, or empty) or a new temporary directory; its
 * absolute name in s->dir.  0, or 2 after the message. */
static int make_dir(struct sweep *s)
{
	if (!s->out) {
		const char *tmp = getenv("TMPDIR");

		snprintf(s->dir, sizeof(s->dir), "%s/vmsim-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(s->dir)) {
			fprintf(stderr, "vmsim-cli: sweep: %s: %s\n", s->dir, strerror(errno));
			return 2;
		}
		return 0;
	}
	if (mkdir(s->out, 0777) && errno != EEXIST) {
		fprintf(stderr, "vmsim-cli: %s: %s\n", s->out, strerror(errno));
		return 2;
	}
	if (!realpath(s->out, s->dir)) {
		fprintf(stderr, "vmsim-cli: %s: %s\n", s->out, strerror(errno));
		return 2;
	}
	if (!sweep_dir_empty(s->dir)) {
		fprintf(stderr, "vmsim-cli: %s: not an empty directory (a sweep writes into a new "
			"or empty one)\n", s->out);
		return 2;
	}
	return 0;
}

/* jobs.tsv and every job-N.args.  0, or 2 after the message. */
static int write_jobs(struct sweep *s)
{
	struct strbuf tsv = STRBUF_INIT, args = STRBUF_INIT, bufs = STRBUF_INIT;
	const char *argv[MAX_ARGS];
	int ret = 0;

	sb_puts(&tsv, "job\ttrace");
	for (unsigned i = 0; i < s->nr_axes; i++)
		sb_printf(&tsv, "\t%s%s", s->axes[i].is_set ? "" : "--", s->axes[i].name);
	sb_putc(&tsv, '\n');
	for (uint64_t k = 0; k < s->nr_jobs && !ret; k++) {
		unsigned idx[MAX_AXES];
		const char *trace = job_values(s, k, idx);
		char name[64];

		sb_printf(&tsv, "%llu\t%s", (unsigned long long)k + 1, trace);
		for (unsigned i = 0; i < s->nr_axes; i++)
			sb_printf(&tsv, "\t%s", s->axes[i].vals[idx[i]]);
		sb_putc(&tsv, '\n');
		job_argv(s, k, argv, &bufs);
		sb_reset(&args);
		sb_add(&args, s->cwd, strlen(s->cwd) + 1);
		for (unsigned i = 0; argv[i]; i++)
			sb_add(&args, argv[i], strlen(argv[i]) + 1);
		snprintf(name, sizeof(name), "job-%llu.args", (unsigned long long)k + 1);
		if (args.oom || bufs.oom)
			ret = 2;
		else
			ret = write_file(s, name, args.buf, args.len);
	}
	if (!ret)
		ret = tsv.oom ? 2 : write_file(s, "jobs.tsv", tsv.buf, tsv.len);
	sb_free(&tsv);
	sb_free(&args);
	sb_free(&bufs);
	return ret;
}

/* ---- --emit ---- */

/* @s single-quoted for a POSIX shell. */
static void shell_quote(struct strbuf *sb, const char *s)
{
	sb_putc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_puts(sb, "'\\''");
		else
			sb_putc(sb, *s);
	}
	sb_putc(sb, '\'');
}

static int emit(struct sweep *s)
{
	struct strbuf sb = STRBUF_INIT, cmd = STRBUF_INIT;
	int ret;

	shell_quote(&cmd, s->self);
	sb_puts(&cmd, " sweep job ");
	shell_quote(&cmd, s->dir);
	if (s->emit == EMIT_PARALLEL) {
		for (uint64_t k = 1; k <= s->nr_jobs; k++)
			sb_printf(&sb, "%s %llu\n", sb_str(&cmd), (unsigned long long)k);
	} else {
		sb_printf(&sb, "#!/bin/bash\n"
			  "# vmsim-cli sweep: %llu jobs, one array task each; afterwards\n"
			  "#   vmsim-cli sweep merge ", (unsigned long long)s->nr_jobs);
		shell_quote(&sb, s->dir);
		sb_printf(&sb, "\n#SBATCH --job-name=vmsim-sweep\n"
			  "#SBATCH --array=1-%llu\n"
			  "#SBATCH --ntasks=1\n"
			  "#SBATCH --cpus-per-task=1\n"
			  "#SBATCH --output=%s/slurm-%%a.out\n"
			  "exec %s \"$SLURM_ARRAY_TASK_ID\"\n",
			  (unsigned long long)s->nr_jobs, s->dir, sb_str(&cmd));
	}
	if (sb.oom || cmd.oom) {
		ret = 2;
	} else {
		ret = write_file(s, s->emit == EMIT_PARALLEL ? "jobs.txt" : "sweep.sbatch", sb.buf,
				 sb.len);
		if (!ret)
			fputs(sb.buf, stdout);
	}
	sb_free(&sb);
	sb_free(&cmd);
	return ret;
}

/* ---- running jobs here ---- */

struct running {
	pid_t pid;
	uint64_t job;
	struct sweep_job j;
};

/* Run every job, @jobs at a time.  0, or 2 after the failed jobs' lines. */
static int run_jobs(struct sweep *s)
{
	struct running *run = host_zalloc(NULL, s->jobs * sizeof(*run));
	uint64_t next = 1, done = 0, active = 0;
	int ret = 0, status;
	bool tty = isatty(2);

	if (!run)
		return 2;
	while (done < s->nr_jobs) {
		while (!ret && active < s->jobs && next <= s->nr_jobs) {
			struct running *r = NULL;

			for (uint64_t i = 0; i < s->jobs && !r; i++)
				if (!run[i].pid)
					r = &run[i];
			r->job = next;
			if (sweep_job_start(s->dir, next, s->self, &r->j, &r->pid)) {
				ret = 2;
				break;
			}
			next++;
			active++;
		}
		if (!active)
			break;
		pid_t pid = wait(&status);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (uint64_t i = 0; i < s->jobs; i++) {
			if (run[i].pid != pid)
				continue;
			run[i].pid = 0;
			active--;
			done++;
			if (sweep_job_finish(&run[i].j, status))
				ret = 2;	/* launch no more; the running ones finish */
			if (tty)
				fprintf(stderr, "\r\033[Ksweep: %llu of %llu jobs done",
					(unsigned long long)done, (unsigned long long)s->nr_jobs);
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	host_free(NULL, run, s->jobs * sizeof(*run));
	return ret;
}

static bool sweep_has_frames(const struct sweep *s)
{
	for (unsigned i = 0; i < s->nr_axes; i++)
		if (strcmp(s->axes[i].name, "frames") == 0)
			return true;
	return false;
}

static int run_sweep(struct cli *c, int argc, char **argv)
{
	struct sweep s = { .c = c, .emit = -1 };
	struct cli_getopt g;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t total = 1;
	int k, ret = 0;

	s.jobs = nproc > 0 ? (uint64_t)nproc : 1;
	if (argc >= 2 && strcmp(argv[1], "merge") == 0)
		return sweep_merge_main(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "job") == 0)
		return sweep_job_main(c, argc - 1, argv + 1);
	cli_getopt_init(&g, &cmd_sweep, argc, argv, false);
	while (!ret && (k = cli_getopt(&g)) > 0) {
		switch (k) {
		case OPT_SET:
			ret = add_named_axis(&s, g.arg, true, "--set");
			break;
		case OPT_VARY:
			ret = add_named_axis(&s, g.arg, false, "--vary");
			break;
		case OPT_FRAMES:
		case OPT_POLICY: {
			const char *name = k == OPT_FRAMES ? "frames" : "policy";

			ret = add_axis(&s, name, strlen(name), g.arg, false, k == OPT_FRAMES ?
				       "--frames" : "--policy");
			break;
		}
		case OPT_JOBS:
			ret = cli_count(&cmd_sweep, "--jobs", g.arg, 1, &s.jobs);
			if (!ret && s.jobs > 4096)
				ret = cli_usage_error(&cmd_sweep, "--jobs: at most 4096");
			break;
		case OPT_OUT:
			s.out = g.arg;
			break;
		case OPT_EMIT:
			s.emit = cli_choice(&cmd_sweep, k, g.arg);
			ret = s.emit < 0 ? 2 : 0;
			break;
		case OPT_SVG:
			s.svg = g.arg;
			break;
		}
	}
	if (ret || k < 0) {
		free_axes(&s);
		return ret ? ret : g.status;
	}
	for (int i = g.next; i < argc && !ret; i++) {
		if (strcmp(argv[i], "-") == 0)
			ret = cli_usage_error(&cmd_sweep, "a sweep reads its traces many times: name "
					      "files, not standard input");
		else if (strpbrk(argv[i], "\t\n"))
			ret = cli_usage_error(&cmd_sweep, "a trace's name with a tab or a newline "
					      "cannot be a table's field: rename it");
		else if (s.nr_traces == MAX_TRACES)
			ret = cli_usage_error(&cmd_sweep, "at most %d traces", MAX_TRACES);
		else if (access(argv[i], R_OK))
			ret = (fprintf(stderr, "vmsim-cli: %s: %s\n", argv[i], strerror(errno)), 2);
		else
			s.traces[s.nr_traces++] = argv[i];
	}
	if (!ret && !s.nr_traces)
		ret = cli_usage_error(&cmd_sweep, "which traces?");
	if (!ret && c->events_path)
		ret = cli_usage_error(&cmd_sweep, "--trace-events is one file: give it to a single "
				      "replay, not a sweep");
	if (!ret && s.emit >= 0 && !s.out)
		ret = cli_usage_error(&cmd_sweep, "--emit writes the jobs' files: it needs --out DIR");
	if (!ret && s.svg && s.emit >= 0)
		ret = cli_usage_error(&cmd_sweep, "--emit runs nothing: draw with sweep merge --svg "
				      "FILE DIR when the jobs are done");
	if (!ret && s.svg && !sweep_has_frames(&s))
		ret = cli_usage_error(&cmd_sweep, "--svg draws page faults against --frames: give "
				      "--frames N1,N2,...");
	for (unsigned i = 0; i < s.nr_axes && !ret; i++) {
		total *= s.axes[i].n;
		if (total > 1000000)
			ret = cli_usage_error(&cmd_sweep, "more than a million jobs");
	}
	s.nr_jobs = total * s.nr_traces;
	if (!ret) {
		ssize_t n = readlink("/proc/self/exe", s.self, sizeof(s.self) - 1);

		if (n <= 0 || !getcwd(s.cwd, sizeof(s.cwd))) {
			fprintf(stderr, "vmsim-cli: sweep: cannot find this program or the current "
				"directory: %s\n", strerror(errno));
			ret = 2;
		} else {
			s.self[n] = '\0';
		}
	}
	if (!ret && cli_check_machine(c))
		ret = 2;
	if (!ret)
		ret = make_dir(&s);
	if (ret) {
		free_axes(&s);
		return ret;
	}
	ret = write_jobs(&s);
	if (!ret && s.emit >= 0)
		ret = emit(&s);
	else if (!ret)
		ret = run_jobs(&s);
	if (!ret && s.emit < 0)
		ret = sweep_merge_dir(c, s.dir, stdout, s.svg);
	if (!s.out)
		sweep_dir_remove(s.dir, s.nr_jobs);
	free_axes(&s);
	return cli_host_oom() ? 2 : ret;
}

const struct cli_cmd cmd_sweep = {
	.name = "sweep",
	.operands = "TRACE... | merge DIR | job DIR N",
	.summary = "replay traces over every combination of config values and replay options",
	.operand_kind = ARG_FILE,
	.about = "Each job replays one TRACE with one value of every --set, --vary, --frames and "
		 "--policy list (their cartesian product, for every TRACE) as its own `vmsim-cli "
		 "--json replay` process, -j at a time; the global options (-c, --set, --check) "
		 "apply to every job. The result is one table, a row per job: its number, trace and "
		 "values, then every number of the replay report under its dotted JSON path "
		 "(tlb.l1d.misses), as CSV, or JSON with --json.\n\n"
		 "--emit parallel|slurm runs nothing and writes the job list instead: commands for "
		 "GNU parallel (vmsim-cli sweep --emit parallel --out DIR ... | parallel), or a Slurm "
		 "job-array script (| sbatch); each job is `vmsim-cli sweep job DIR N`, and "
		 "`vmsim-cli sweep merge DIR` makes the table when they are done. The exit status is "
		 "2 when a job failed (its standard error is in DIR/job-N.err), else 0.",
	.opts = sweep_opts,
	.run = run_sweep,
};
