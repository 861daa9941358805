/*
 * What the benchmark programs share: booting the default x86_64 machine
 * with a given memory size, which a benchmark cannot go on without.
 */
#ifndef VMSIM_BENCH_H
#define VMSIM_BENCH_H

#include <stdio.h>
#include <stdlib.h>

#include "vmsim/machine.h"

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

#endif
