/* Running a scenario file from the CLI (see scenario.c). */
#ifndef VMSIM_CLI_SCENARIO_RUN_H
#define VMSIM_CLI_SCENARIO_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "scenario.h"
#include "vmsim/error.h"

struct scenario_result {
	unsigned steps_run;
	unsigned checked, failed;	/* expectations */
};

/*
 * Run @file.  The scenario's `machine:` wins over @cli_config; the CLI's
 * --set @sets apply after the scenario's `set:`.  Returns 0 when the run
 * completed (res->failed says whether expectations held) or a negative
 * errno for bad input, with @err filled ("FILE:LINE:COL: ...").
 */
int scenario_run(const char *file, const char *cli_config, bool cli_config_given,
		 const char *const *sets, bool json, FILE *out, struct vmsim_error *err,
		 struct scenario_result *res);

#endif
