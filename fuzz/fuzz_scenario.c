/*
 * Fuzz target: any bytes as a scenario file, run on its machine with the
 * consistency checkers after every step.  Bad input must end in a clean
 * error (or a completed run); a crash, a sanitizer report or a violated
 * invariant after a step is a bug.  Machines are capped at 256 MiB so that
 * one input cannot ask for a huge boot.  (Invariant violations count as
 * failed expectations here; run the corpus through `vmsim-cli --check run`
 * to see them.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "scenario_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/vmsim-fuzz-XXXXXX.yaml";
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct scenario_opts o = { .config = "x86_64", .sets = sets, .check = true };
	struct vmsim_error err = { 0 };
	struct scenario_result res;
	FILE *devnull;

	if (!fuzz_tmpfile(path, 5, data, size))
		return 0;
	devnull = fopen("/dev/null", "w");
	if (devnull) {
		/* the CLI's --set applies last, so the cap holds whatever the
		 * input sets; expectation failures are fine, a crash is not */
		scenario_run(path, &o, devnull, &err, &res);
		fclose(devnull);
	}
	unlink(path);
	return 0;
}
