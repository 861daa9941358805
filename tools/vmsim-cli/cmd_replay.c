/*
 * vmsim-cli replay: arguments, progress and the report around the replay
 * engine (src/kern/replay.c).  Output: accesses by type, TLB hits and
 * misses per level, walks and page-table entries read, faults by kind, RSS
 * and page-table pages at the end, time and rate; --json for all of it;
 * --interval N for a time series; a progress line on a terminal.
 *
 * Invariant: the replay streams; host memory stays bounded whatever the
 * trace's length (the reader's buffer, plus the simulated frames touched).
 */
#include "cmd_replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "util/errname.h"
#include "util/error.h"
#include "util/trace.h"
#include "kern/replay.h"
#include "util/strbuf.h"
#include "vma/mm.h"


#define PROGRESS_EVERY (1u << 16)
#define BATCH 256

struct replay_cli {
	struct replay rp;
	uint64_t interval, next_interval;
	bool json, quiet, tty;
	struct strbuf intervals;	/* JSON rows; text rows are printed at once */
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

static void interval_row(struct replay_cli *rc)
{
	struct replay *rp = &rc->rp;
	struct replay_counters c;

	replay_snapshot(rp, &c);
	if (rc->json) {
		sb_printf(&rc->intervals, "%s{\"accesses\":%llu,\"l1d_misses\":%llu,\"l1i_misses\":%llu,"
			  "\"l2_misses\":%llu,\"walks\":%llu,\"minor_faults\":%lu,\"rss\":%lu}",
			  rc->intervals.len ? "," : "", (unsigned long long)rp->accesses,
			  (unsigned long long)c.l1d.misses, (unsigned long long)c.l1i.misses,
			  (unsigned long long)c.l2.misses, (unsigned long long)c.walks,
			  rp->t->fst.min_flt, c.rss);
		return;
	}
	if (!rc->intervals.len) {
		printf("# accesses l1d_misses l1i_misses l2_misses walks minor_faults rss_pages\n");
		sb_puts(&rc->intervals, "header");
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

static void summary(struct replay_cli *rc, const char *trace, enum trace_format fmt, double secs,
		    const char *layout)
{
	const struct replay *rp = &rc->rp;
	const struct fault_stats *fs = &rp->t->fst;
	struct replay_counters c;
	double rate = secs > 0 ? (double)rp->accesses / secs : 0;

	replay_snapshot(rp, &c);
	if (rc->json) {
		struct strbuf sb = STRBUF_INIT;

		sb_puts(&sb, "{\"trace\":");
		sb_json_str(&sb, trace);
		sb_printf(&sb, ",\"format\":\"%s\",\"layout\":", fmt == TRACE_BINARY ? "vmsim" : "lackey");
		sb_json_str(&sb, layout);
		sb_printf(&sb, ",\"machine\":\"%s\",\"accesses\":{\"total\":%llu,\"I\":%llu,\"L\":%llu,"
			  "\"S\":%llu,\"M\":%llu,\"page_touches\":%llu,\"crossing_pages\":%llu},",
			  rp->m->cfg.name, (unsigned long long)rp->accesses,
			  (unsigned long long)rp->by_type[0], (unsigned long long)rp->by_type[1],
			  (unsigned long long)rp->by_type[2], (unsigned long long)rp->by_type[3],
			  (unsigned long long)rp->page_touches, (unsigned long long)rp->crossings);
		sb_puts(&sb, "\"tlb\":{");
		const struct tlb_stats *lv[3] = { &c.l1d, &c.l1i, &c.l2 };
		const char *ln[3] = { "l1d", "l1i", "l2" };
		for (int i = 0; i < 3; i++)
			sb_printf(&sb, "%s\"%s\":{\"hits\":%llu,\"misses\":%llu,\"evictions\":%llu}",
				  i ? "," : "", ln[i], (unsigned long long)lv[i]->hits,
				  (unsigned long long)lv[i]->misses, (unsigned long long)lv[i]->evictions);
		sb_printf(&sb, "},\"walks\":%llu,\"walk_entries_read\":%llu,"
			  "\"faults\":{\"minor\":%lu,\"demand_zero\":%lu,\"zero_page\":%lu,\"cow\":%lu,"
			  "\"cow_reuse\":%lu,\"stack_grow\":%lu,\"segv\":%llu},"
			  "\"regions\":{\"created\":%llu,\"bytes\":%llu,\"unmappable_accesses\":%llu},"
			  "\"rss_pages\":%lu,\"page_table_pages\":%lu,\"seconds\":%.6f,"
			  "\"accesses_per_second\":%.0f,\"out_of_memory\":%s",
			  (unsigned long long)c.walks, (unsigned long long)c.entries_read, fs->min_flt,
			  fs->demand_zero, fs->zero_page, fs->cow, fs->cow_reuse, fs->stack_grow,
			  (unsigned long long)rp->segv, (unsigned long long)rp->regions,
			  (unsigned long long)rp->region_bytes, (unsigned long long)rp->unmappable,
			  c.rss, c.pt_pages, secs, rate, rp->oom ? "true" : "false");
		if (rc->interval)
			sb_printf(&sb, ",\"intervals\":[%s]", sb_str(&rc->intervals));
		sb_puts(&sb, "}\n");
		fputs(sb_str(&sb), stdout);
		sb_free(&sb);
		return;
	}
	printf("replay    %s (%s), %s layout, machine %s\n", trace,
	       fmt == TRACE_BINARY ? "vmsim binary" : "lackey", layout, rp->m->cfg.name);
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
	       "%lu stack growth; %llu SIGSEGV\n", fs->min_flt, fs->demand_zero, fs->zero_page,
	       fs->cow, fs->cow_reuse, fs->stack_grow, (unsigned long long)rp->segv);
	if (rp->layout == REPLAY_FLAT)
		printf("regions   %llu created on demand (%llu KiB); %llu accesses outside user space\n",
		       (unsigned long long)rp->regions, (unsigned long long)rp->region_bytes >> 10,
		       (unsigned long long)rp->unmappable);
	printf("memory    rss %lu pages (%lu KiB), page tables %lu pages\n", c.rss,
	       c.rss * (PAGE_SIZE >> 10), c.pt_pages);
	printf("time      %.3f s, %.2f M accesses/s\n", secs, rate / 1e6);
	if (rp->oom)
		printf("oom       the simulated machine ran out of memory: the task was killed\n");
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

static void usage(void)
{
	fprintf(stderr, "usage: vmsim-cli replay [--format lackey|vmsim] [--task-layout flat|exec:ELF]\n"
			"                        [--interval N] [-q] TRACE|-\n");
}

int cmd_replay(struct vmsim_machine *m, int argc, char **argv, bool json)
{
	struct replay_cli rc = { .json = json, .intervals = STRBUF_INIT };
	const char *trace = NULL, *layout = "flat";
	struct spawn_args sa = { 0 };
	struct vmsim_error err = { 0 }, cerr = { 0 };
	struct task_struct *t;
	struct trace_reader r;
	struct trace_rec recs[BATCH];
	long got;
	int fmt = -1, ret, status = 0, bad = 0;
	double secs;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "lackey") == 0)
				fmt = TRACE_LACKEY;
			else if (strcmp(argv[i], "vmsim") == 0)
				fmt = TRACE_BINARY;
			else {
				fprintf(stderr, "vmsim-cli: replay: --format lackey or vmsim\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--task-layout") == 0 && i + 1 < argc) {
			layout = argv[++i];
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			char *end;

			rc.interval = strtoull(argv[++i], &end, 10);
			if (*end || rc.interval == 0) {
				fprintf(stderr, "vmsim-cli: replay: --interval takes a positive count\n");
				return 2;
			}
		} else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			rc.quiet = true;
		} else if (!trace && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
			trace = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	if (!trace) {
		usage();
		return 2;
	}
	if (strcmp(layout, "flat") != 0 && strncmp(layout, "exec:", 5) != 0) {
		fprintf(stderr, "vmsim-cli: replay: --task-layout flat or exec:ELF\n");
		return 2;
	}
	ret = trace_open(&r, trace, fmt, &err);
	if (ret) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		return 2;
	}
	ret = task_spawn(m, "replay", &sa, &t);
	if (ret) {
		fprintf(stderr, "vmsim-cli: replay: cannot create the task: %s\n", errno_name(ret));
		trace_close(&r);
		return 1;
	}
	if (strncmp(layout, "exec:", 5) == 0) {
		ret = replay_exec(m, t, layout + 5, &err);
		if (ret) {
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
			trace_close(&r);
			return 2;
		}
	}
	replay_init(&rc.rp, m, t, strcmp(layout, "flat") == 0 ? REPLAY_FLAT : REPLAY_TASK);
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
		if (__builtin_expect(rc.rp.oom, 0))
			break;
		if (rc.rp.accesses >= rc.next_progress_count) {
			progress(&rc, &r, false);
			rc.next_progress_count = rc.rp.accesses + PROGRESS_EVERY;
			/* --check: what the accesses since the last point changed */
			if (machine_checking(m) && (bad = machine_check_point(m, &cerr)))
				break;
		}
	}
	if (!bad && machine_checking(m))
		bad = machine_check(m, &cerr);
	ret = got < 0 ? (int)got : 0;
	secs = now() - rc.t0;
	progress(&rc, &r, true);
	summary(&rc, trace, r.fmt, secs, layout);
	if (ret < 0) {
		/* the counters so far are out; then the line that stopped us */
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		status = 2;
	} else if (rc.rp.oom) {
		status = 1;
	}
	if (bad) {
		fprintf(stderr, "vmsim-cli: replay: invariant violated after %llu accesses: %s\n",
			(unsigned long long)rc.rp.accesses, cerr.msg);
		status = status ? status : 1;
	}
	trace_close(&r);
	sb_free(&rc.intervals);
	return status;
}
