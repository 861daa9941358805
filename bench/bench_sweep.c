/*
 * bench_sweep: `vmsim-cli sweep -j 2` against `-j 1` on the same 8 jobs,
 * in the same run: the throughput ratio on a 2-core machine (goal >= 1.8x).
 * Each job replays a 3-million-access binary trace over 8192 pages (TLB
 * misses, walks and faults: real work, not process start-up) on a machine
 * whose memory size is the swept value.  Best of 3 of each.
 *
 * usage: bench_sweep [VMSIM_CLI]   (default build/tools/vmsim-cli/vmsim-cli,
 *                                   run from the source root)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double sweep(const char *cli, const char *trace, int jobs)
{
	char cmd[1024];
	double t0 = bench_now();

	snprintf(cmd, sizeof(cmd), "'%s' sweep -j %d --set memory.size=256MiB,260MiB,264MiB,"
		 "268MiB,272MiB,276MiB,280MiB,284MiB '%s' >/dev/null", cli, jobs, trace);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_sweep: failed: %s\n", cmd);
		exit(1);
	}
	return bench_now() - t0;
}

int main(int argc, char **argv)
{
	const char *cli = argc > 1 ? argv[1] : "build/tools/vmsim-cli/vmsim-cli";
	char dir[] = "/tmp/vmsim-bench-XXXXXX", trace[320];
	double t1 = 1e30, t2 = 1e30;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(trace, sizeof(trace), "%s/t.vmt", dir);
	if (!bench_write_trace(trace, 3000000, 8192)) {
		fprintf(stderr, "bench_sweep: cannot write %s\n", trace);
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		double a = sweep(cli, trace, 1), b = sweep(cli, trace, 2);

		t1 = a < t1 ? a : t1;
		t2 = b < t2 ? b : t2;
	}
	printf("8 jobs of 3 M accesses, %ld online processors\n", cores);
	printf("sweep -j 1   %7.2f s   %5.2f jobs/s\n", t1, 8 / t1);
	printf("sweep -j 2   %7.2f s   %5.2f jobs/s   %.2fx the throughput of -j 1 (goal >= 1.8x)\n",
	       t2, 8 / t2, t1 / t2);
	unlink(trace);
	rmdir(dir);
	return 0;
}
