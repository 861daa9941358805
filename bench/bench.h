/*
 * What the benchmark programs share: booting the default x86_64 machine
 * with a given memory size, which a benchmark cannot go on without; a
 * synthetic binary trace; a trace replayed through one task.
 */
#ifndef VMSIM_BENCH_H
#define VMSIM_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kern/machine.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "util/trace.h"
#include "vmsim/machine.h"

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The x86_64 machine with memory.size=@mem; on failure @who says why on
 * stderr and the program exits 1. */
static inline struct vmsim_machine *bench_boot(const char *who, const char *mem)
{
	char set[64];
	const char *sets[] = { set, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;

	snprintf(set, sizeof(set), "memory.size=%s", mem);
	m = vmsim_machine_create("x86_64", sets, &err);
	if (!m) {
		fprintf(stderr, "%s: boot %s: %s\n", who, mem, err.msg);
		exit(1);
	}
	return m;
}

/* A binary trace of @n 8-byte loads and stores (a third stores) at
 * pseudo-random places of @pages pages.  false if it cannot be written. */
static inline bool bench_write_trace(const char *path, unsigned long long n, unsigned pages)
{
	struct vmsim_error err = { 0 };
	struct trace_writer w;
	uint64_t x = 88172645463325252ULL;

	if (trace_writer_open(&w, path, &err))
		return false;
	for (unsigned long long i = 0; i < n; i++) {
		struct trace_rec rec;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		rec.addr = 0x10000000ULL + (x % pages) * 4096 + ((x >> 20) & 0xff8);
		rec.size = 8;
		rec.type = (x >> 40) % 3 == 0 ? TRACE_S : TRACE_L;
		if (trace_write(&w, &rec, &err)) {
			trace_writer_abort(&w);
			return false;
		}
	}
	return trace_writer_close(&w, &err) == 0;
}

/* Seconds to read and replay the trace at @path through a fresh task on a
 * fresh x86_64 machine; its accesses and walks in *n and *walks (either
 * may be NULL).  On failure @who says why and the program exits 1. */
static inline double bench_replay_trace(const char *who, const char *path,
					unsigned long long *n, uint64_t *walks)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", NULL, &err);
	struct spawn_args sa = { 0 };
	struct task_struct *t;
	struct replay rp;
	struct trace_reader r;
	struct trace_rec recs[256];
	double t0, el;
	long got;

	if (!m || task_spawn(m, "bench", &sa, &t) || trace_open(&r, path, -1, &err)) {
		fprintf(stderr, "%s: setup failed: %s\n", who, err.msg);
		exit(1);
	}
	replay_init(&rp, m, t, REPLAY_FLAT);
	t0 = bench_now();
	while ((got = trace_read_batch(&r, recs, 256, &err)) > 0)
		for (long i = 0; i < got; i++)
			replay_one(&rp, &recs[i]);
	el = bench_now() - t0;
	trace_close(&r);
	if (got < 0) {
		fprintf(stderr, "%s: %s\n", who, err.msg);
		exit(1);
	}
	if (n)
		*n = rp.accesses;
	if (walks)
		*walks = rp.cpu->st.walks;
	vmsim_machine_destroy(m);
	return el;
}

#endif
