/*
 * vmsim-cli run SCENARIO: run a scenario file (vmsim_scenario_run()) with the global
 * options (-c, --set, --json, --check, --trace-events, --verbose) and turn
 * its outcome into the exit status: 0 every expectation held, 1 one
 * failed, 2 the scenario is bad input (one line "FILE:LINE:COL: ...").
 */
#include <string.h>

#include "cli.h"
#include "cli_oom.h"
#include "vmsim/vmsim.h"

static int run_run(struct cli *c, int argc, char **argv)
{
	struct vmsim_error err = { 0 };
	struct vmsim_scenario_result res;
	struct cli_getopt g;
	int ret;

	cli_getopt_init(&g, &cmd_run, argc, argv, false);
	if (cli_getopt(&g))	/* no options but --help */
		return g.status;
	if (argc - g.next != 1)
		return cli_usage_error(&cmd_run, "%s", argc == g.next ? "which scenario file?" :
				       "one scenario file at a time");
	cli_input(c, argv[g.next]);
	ret = cli_check_machine(c);
	if (!ret)
		ret = cli_start(c);
	if (ret)
		return ret;
	struct vmsim_scenario_opts o = {
		.config = c->config, .sets = c->sets, .json = c->json, .check = c->check,
		.check_every = c->check_every, .verbose = c->verbose,
		.events = c->events ? cli_event : NULL, .events_arg = c->events,
	};

	ret = vmsim_scenario_run(argv[g.next], &o, stdout, &res, &err);
	fflush(stdout);
	if (ret) {
		/* out of host memory: the steps before it are printed, main()
		 * says why */
		if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: %s\n", err.msg[0] ? err.msg : strerror(-ret));
		return 2;
	}
	return res.failed ? 1 : 0;
}

const struct cli_cmd cmd_run = {
	.name = "run",
	.operands = "SCENARIO",
	.summary = "run a scenario file: its steps, shows and expectations, then a summary",
	.operand_kind = ARG_FILE,
	.about = "SCENARIO is a YAML file naming a machine and listing steps (see "
		 "docs/scenarios.md). The scenario's machine: wins over -c; --set applies after "
		 "its set:. With --check the invariants of what each step changed are checked "
		 "after it, and everything every N steps and after the last; a broken invariant "
		 "counts as a failed expectation, and so does a BUG the kernel reported during a "
		 "step, with or without --check. With --verbose every step's result is printed. "
		 "The exit status is 1 when an expectation failed.",
	.run = run_run,
};
