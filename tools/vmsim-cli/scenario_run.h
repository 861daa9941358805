/* Running a scenario file from the CLI (see scenario.c). */
#ifndef VMSIM_CLI_SCENARIO_RUN_H
#define VMSIM_CLI_SCENARIO_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "scenario.h"
#include "util/events.h"
#include "vmsim/error.h"

struct scenario_opts {
	const char *config;		/* -c, or NULL */
	const char *const *sets;	/* --set KEY=VALUE, NULL ended */
	bool json;
	bool check;			/* check the invariants after every step */
	unsigned check_every;		/* a full check every N steps (0: at the end) */
	bool verbose;			/* -v: a stderr line with every step's result,
					 * not only for steps that fail without an expect */
	struct event_log *events;	/* --trace-events, or NULL */
};

struct scenario_result {
	unsigned steps_run;
	unsigned checked, failed;	/* expectations */
};

/*
 * Run @file.  The scenario's `machine:` wins over o->config; the CLI's
 * --set o->sets apply after the scenario's `set:`.  With o->check, an
 * invariant violated after a step (machine_check_point()) or after the
 * last one (machine_check()) counts as a failed expectation, and so does a
 * kernel report (bad_page(), VM_BUG_ON*()) a step raised, with or without
 * o->check.  In text
 * mode a step that fails, faults, segfaults or is not run without an
 * `expect:` prints "FILE:LINE: step N (op): RESULT" on stderr (o->verbose:
 * every step does); the run goes on.  Returns 0 when the run
 * completed (res->failed says whether expectations held) or a negative
 * errno for bad input, with @err filled ("FILE:LINE:COL: ...").
 */
int scenario_run(const char *file, const struct scenario_opts *o, FILE *out,
		 struct vmsim_error *err, struct scenario_result *res);
/* The same with the scenario's YAML in @text; @name stands for the file
 * (messages), and relative paths in it are from the current directory. */
int scenario_run_string(const char *name, const char *text, const struct scenario_opts *o,
			FILE *out, struct vmsim_error *err, struct scenario_result *res);

#endif
