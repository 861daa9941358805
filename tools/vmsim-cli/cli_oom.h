/*
 * Host exhaustion in the CLI (the signal is vmsim_host_oom_count(),
 * vmsim/error.h).  Once the host has refused an allocation, the command
 * in progress prints nothing more -- no partial output, not even its own
 * error line -- and returns 2; main() then ends the run with the one line
 * "vmsim-cli: out of host memory".  A run is one command, so any refusal
 * since the process started counts.
 */
#ifndef VMSIM_CLI_CLI_OOM_H
#define VMSIM_CLI_CLI_OOM_H

#include <stdbool.h>

#include "vmsim/error.h"

static inline bool cli_host_oom(void)
{
	return vmsim_host_oom_count() != 0;
}

#endif
