/*
 * bench_replay: trace replay speed, each figure beside a reference measured
 * in the same run (these machines drift, so only same-run ratios mean
 * anything).
 *
 *   lackey parse      trace_next() over a lackey file   vs  a bare scan of the
 *                                                           same bytes (fread + memchr per line)
 *   lackey replay     parse + TLB + walks + faults      vs  the parse alone       (goal <= 1.5x)
 *   binary replay     a TLB-resident binary trace        vs  100 M accesses/s      (goal >= 1x)
 *
 * The lackey trace is recorded from a real program: `valgrind --tool=lackey`
 * on `ls -l /usr/bin` when valgrind is installed, else the committed
 * tests/traces/true-start.lackey (run from the source root), or a file named
 * on the command line.  Each figure is the best of 3 runs.
 *
 * usage: bench_replay [LACKEY_TRACE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kern/machine.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "util/trace.h"
#include "bench.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The reference for parsing: read the file and find every line. */
static double bare_scan(const char *path, unsigned long long *lines)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "rb");
	double t0 = now();
	size_t got;

	*lines = 0;
	if (!f)
		return -1;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		const char *p = buf, *end = buf + got, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			(*lines)++;
			p = nl + 1;
		}
	}
	fclose(f);
	return now() - t0;
}

static double parse_only(const char *path, unsigned long long *n)
{
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;
	uint64_t sum = 0;
	double t0 = now();

	*n = 0;
	if (trace_open(&r, path, -1, &err))
		return -1;
	while (trace_next(&r, &rec, &err) == 1) {
		sum += rec.addr ^ rec.size;	/* keep the work */
		(*n)++;
	}
	trace_close(&r);
	if (sum == 42)
		fputc(' ', stderr);
	return now() - t0;
}

static bool record_trace(const char *out)
{
	pid_t pid;
	int status;
	char logopt[320];

	if (access("/usr/bin/valgrind", X_OK) != 0)
		return false;
	snprintf(logopt, sizeof(logopt), "--log-file=%s", out);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/valgrind", "valgrind", "--tool=lackey", "--trace-mem=yes", logopt,
		      "/bin/ls", "-l", "/usr/bin", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static double best(double a, double b)
{
	return a < 0 ? b : (b < a ? b : a);
}

int main(int argc, char **argv)
{
	char tmpdir[] = "/tmp/vmsim-bench-XXXXXX";
	char lackey[300], binary[300];
	const char *trace;
	unsigned long long lines = 0, n = 0, nb = 0;
	uint64_t walks = 0;
	double scan = -1, parse = -1, rep = -1, bin = -1;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(lackey, sizeof(lackey), "%s/ls.lackey", tmpdir);
	snprintf(binary, sizeof(binary), "%s/tlb.vmt", tmpdir);
	if (argc > 1)
		trace = argv[1];
	else if (record_trace(lackey))
		trace = lackey;
	else
		trace = "tests/traces/true-start.lackey";
	for (int round = 0; round < 3; round++) {
		scan = best(scan, bare_scan(trace, &lines));
		parse = best(parse, parse_only(trace, &n));
		rep = best(rep, bench_replay_trace("bench_replay", trace, &n, &walks));
	}
	if (scan < 0 || parse < 0) {
		fprintf(stderr, "bench_replay: cannot read %s\n", trace);
		return 1;
	}
	printf("trace: %s, %llu lines, %llu accesses, %llu walks in the replay\n", trace, lines, n,
	       (unsigned long long)walks);
	printf("%-34s %10.1f M lines/s   reference (fread+memchr) %8.1f M lines/s   ratio %.2fx time\n",
	       "lackey parse (trace_next)", lines / parse / 1e6, lines / scan / 1e6, parse / scan);
	printf("%-34s %10.1f M acc/s     reference (parse alone)  %8.1f M acc/s     ratio %.2fx time (goal <= 1.50)\n",
	       "lackey replay end to end", n / rep / 1e6, n / parse / 1e6, rep / parse);
	if (bench_write_trace(binary, 20000000ULL, 32)) {
		for (int round = 0; round < 3; round++)
			bin = best(bin, bench_replay_trace("bench_replay", binary, &nb, &walks));
		printf("%-34s %10.1f M acc/s     reference (goal)         %8.1f M acc/s     ratio %.2fx rate (goal >= 1.00)\n",
		       "binary replay, 32-page working set", nb / bin / 1e6, 100.0, nb / bin / 1e6 / 100.0);
	}
	unlink(lackey);
	unlink(binary);
	rmdir(tmpdir);
	return 0;
}
