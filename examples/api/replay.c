/*
 * Trace replay through libvmsim: a Valgrind lackey trace (or any format
 * vmsim reads, compressed or not) replayed through a task's TLB and page
 * tables, then loops of loads fed one by one over more and more pages:
 * the L1 dTLB misses per load as the loop outgrows the TLB's reach.
 *
 * Build against an installed vmsim:
 *     cc replay.c $(pkg-config --cflags --libs vmsim) -o replay
 *     ./replay trace.lackey
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vmsim/vmsim.h>

static void print(const char *what, const struct vmsim_replay_counters *c)
{
	printf("%-26s %10" PRIu64 " accesses  L1d misses %8" PRIu64 "  walks %8" PRIu64
	       "  faults %6" PRIu64 "\n", what, c->accesses, c->l1d_misses, c->walks, c->min_flt);
}

/* @rounds passes over @pages pages, one load a page: the L1d misses. */
static uint64_t loop(struct vmsim_replay *rp, uint64_t pages, unsigned rounds)
{
	struct vmsim_replay_counters before, after;

	vmsim_replay_counters(rp, &before);
	for (unsigned r = 0; r < rounds; r++)
		for (uint64_t p = 0; p < pages; p++)
			if (vmsim_replay_access(rp, 0x10000000 + p * 4096, 8, VMSIM_REC_L))
				return UINT64_MAX;
	vmsim_replay_counters(rp, &after);
	return after.l1d_misses - before.l1d_misses;
}

int main(int argc, char **argv)
{
	const char *sets[] = { "memory.size=512MiB", NULL };
	const char *trace = argc > 1 ? argv[1] : "tests/traces/true-start.lackey";
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct vmsim_replay_counters c;
	struct vmsim_replay *rp;
	struct vmsim_task *t;
	uint64_t misses;
	int ret;

	if (!m) {
		fprintf(stderr, "replay: %s\n", err.msg);
		return 2;
	}
	if ((ret = vmsim_task_spawn(m, "traced", NULL, &t)) ||
	    (ret = vmsim_replay_open(m, t, VMSIM_REPLAY_FLAT, &rp))) {
		fprintf(stderr, "replay: %s\n", strerror(-ret));
		vmsim_machine_destroy(m);
		return 2;
	}
	if (vmsim_replay_file(rp, trace, NULL, &err)) {
		fprintf(stderr, "replay: %s\n", err.msg);
		vmsim_replay_close(rp);
		vmsim_machine_destroy(m);
		return 2;
	}
	vmsim_replay_counters(rp, &c);
	print(trace, &c);
	for (uint64_t pages = 16; pages <= 4096; pages *= 4) {
		misses = loop(rp, pages, 4);
		printf("loop over %4" PRIu64 " pages x4: %6" PRIu64 " L1d misses, %.2f a load\n",
		       pages, misses, (double)misses / (double)(pages * 4));
	}
	vmsim_replay_counters(rp, &c);
	print("in all", &c);
	vmsim_replay_close(rp);
	vmsim_machine_destroy(m);
	return 0;
}
