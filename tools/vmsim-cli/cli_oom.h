/*
 * Host exhaustion in the CLI (the signal is util/hostalloc.h's
 * host_oom_count()).  Once the host has refused an allocation, the command
 * in progress prints nothing more -- no partial output, not even its own
 * error line -- and returns 2; main() then ends the run with the one line
 * "vmsim-cli: out of host memory".  A run is one command, so any refusal
 * since the process started counts.
 */
#ifndef VMSIM_CLI_CLI_OOM_H
#define VMSIM_CLI_CLI_OOM_H

#include <stdbool.h>

#include "util/hostalloc.h"

static inline bool cli_host_oom(void)
{
	return host_oom_count() != 0;
}

#endif
