/*
 * vmsim-cli: the global options, the command, and the end of the run.
 * The commands themselves are tables in cmd_*.c (see cli.h).
 *
 * Exit status: 0 success; 1 a scenario expectation failed (or a replayed
 * machine ran out of memory, --check found a broken invariant, the kernel
 * reported a BUG); 2 bad usage, bad input or an environment
 * failure, with one line on stderr.  Invariant: a run whose output did
 * not all reach stdout and its files exits 2, never 0; a closed pipe on
 * stdout ends it as SIGPIPE ends any filter, quietly, and no temporary
 * file is left behind.  Out of host memory anywhere ends the run with
 * exactly one line, "vmsim-cli: out of host memory", and status 2
 * (cli_oom.h); the environment variable VMSIM_HOST_FAIL=N[,persistent]
 * makes the N-th host allocation fail, to test that
 * (docs/output-formats.md).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/hostalloc.h"
#include "util/parse.h"

#define CHECK_EVERY_DEFAULT 100	/* --check: a full check every 100 points */

/* A fatal signal: remove the temporaries, then die of it. */
static void on_fatal_signal(int sig)
{
	outfile_unlink_temps();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_fatal_signal };
	sigset_t pipe;

	/* a filter dies of a closed pipe even when its parent ignored
	 * SIGPIPE or blocked it: `vmsim-cli ... | head -1` ends quietly */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &pipe, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/* interrupts keep the disposition the parent chose when it ignores them */
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction old;

		if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(fatal[i], &sa, NULL);
	}
}

/* --check[=N]: a full check every N points (default CHECK_EVERY_DEFAULT;
 * 0: only at the end). */
static int parse_check(struct cli *c, const char *v)
{
	uint64_t every = CHECK_EVERY_DEFAULT;

	if (v && (parse_u64(v, &every) || every > UINT_MAX))
		return cli_usage_error(NULL, "--check=N takes a count of checks between full "
				       "ones (0: a full check only at the end), not '%s'", v);
	c->check = true;
	c->check_every = (unsigned)every;
	return 0;
}

static int parse_globals(struct cli *c, int argc, char **argv, int *next)
{
	struct cli_getopt g;
	int k;

	cli_getopt_init(&g, &cli_global, argc, argv, true);
	while ((k = cli_getopt(&g)) > 0) {
		switch (k) {
		case GOPT_CONFIG:
			c->config = g.arg;
			break;
		case GOPT_SET:
			if (c->nr_sets == CLI_MAX_SETS)
				return cli_usage_error(NULL, "at most %d --set options", CLI_MAX_SETS);
			if (!strchr(g.arg, '='))
				return cli_usage_error(NULL, "--set takes KEY=VALUE, not '%s'", g.arg);
			c->sets[c->nr_sets++] = g.arg;
			break;
		case GOPT_JSON:
			c->json = true;
			break;
		case GOPT_CHECK:
			if (parse_check(c, g.arg))
				return 2;
			break;
		case GOPT_TRACE_EVENTS:
			c->events_path = g.arg;
			break;
		case GOPT_VERBOSE:
			c->verbose = true;
			break;
		case GOPT_VERSION:
			*next = -1;
			return 0;
		}
	}
	*next = g.next;
	return k < 0 ? g.status : 0;
}

static int run(struct cli *c, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	int next = 0, ret = parse_globals(c, argc, argv, &next);
	char *version[] = { (char *)"version", NULL };

	if (ret)
		return ret;
	if (next < 0)
		return cmd_version.run(c, 1, version);
	if (next >= argc)
		return cli_usage_error(NULL, "which command?");
	cmd = cli_find(argv[next]);
	/* without host memory to list the views, a view's name finds no
	 * command: not the user's mistake */
	if (!cmd)
		return cli_host_oom() ? 2 : cli_unknown_command(argv[next]);
	c->cmd = cmd;
	cli_input(c, c->config);
	ret = cmd->run(c, argc - next, argv + next);
	/* the kernel reported a BUG (cli_boot() counted it): the run failed */
	return !ret && c->kernel_reports ? 1 : ret;
}

/* stdout through an outfile stream: the first failed write's errno is
 * kept for the message however long before the end it happened. */
static struct outfile out;
static FILE *std_out;

static void wrap_stdout(void)
{
	struct vmsim_error err = { 0 };

	if (outfile_fdopen(&out, STDOUT_FILENO, "standard output", &err) != 0)
		return;		/* out of host memory: plain stdout, checked all the same */
	if (isatty(STDOUT_FILENO))
		setvbuf(out.f, NULL, _IOLBF, 0);
	std_out = stdout;
	stdout = out.f;
}

/* Everything printed reached stdout; 2 (one line) if not.  A closed pipe
 * is no error to report: the reader has what it wanted. */
static int check_stdout(void)
{
	struct vmsim_error err = { 0 };
	int ret;

	if (!std_out) {
		if (fflush(stdout) != EOF && !ferror(stdout))
			return 0;
		ret = errno ? -errno : -EIO;
		snprintf(err.msg, sizeof(err.msg), "standard output: %s", strerror(-ret));
	} else {
		ret = outfile_commit(&out, &err);
		stdout = std_out;
	}
	if (!ret)
		return 0;
	if (ret == -EPIPE) {
		outfile_unlink_temps();
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	fprintf(stderr, "vmsim-cli: %s\n", err.msg);
	return 2;
}

int main(int argc, char **argv)
{
	struct cli c = { .config = "x86_64" };
	const char *fail = getenv("VMSIM_HOST_FAIL");
	int ret;

	/* a testing aid: armed before anything allocates */
	if (fail && *fail && host_fail_parse(fail)) {
		fprintf(stderr, "vmsim-cli: VMSIM_HOST_FAIL='%s': expected N or N,persistent "
			"(N >= 1)\n", fail);
		return 2;
	}
	catch_signals();
	wrap_stdout();
	ret = run(&c, argc, argv);
	if (cli_host_oom())
		ret = 2;	/* no event log of a run the host cut short */
	if (check_stdout())
		ret = 2;
	/* the event log is kept when the run completed (0, 1): a failed
	 * expectation is when it is wanted most */
	if (c.events && c.events != stderr) {
		if (ret <= 1)
			ret = cli_output_commit(&c.events_out) ? 2 : ret;
		else
			outfile_abort(&c.events_out);
	}
	if (cli_host_oom()) {
		/* whatever the command returned: it stopped printing at the
		 * failure, and this is the one line that says why */
		fputs("vmsim-cli: out of host memory\n", stderr);
		return 2;
	}
	return ret;
}
