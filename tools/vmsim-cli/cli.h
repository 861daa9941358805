/*
 * The CLI's commands as data.  Each command is a struct cli_cmd: its name,
 * a one-line summary, a paragraph, its options (struct cli_opt) and its
 * handler.  `vmsim-cli help`, `CMD --help`, the suggestions for a mistyped
 * name, the man page and the bash completion are all rendered from these
 * tables (cli.c, cli_doc.c), so they cannot disagree.
 *
 * Conventions (getopt_long): global options come before the command, the
 * command's own after it; every option takes `--opt=value` and
 * `--opt value`; `--` ends the options.  Exit status: 0 ok, 1 a scenario
 * expectation failed, 2 bad usage, bad input or an environment failure,
 * with one line on stderr.
 */
#ifndef VMSIM_CLI_CLI_H
#define VMSIM_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/outfile.h"

#define CLI_MAX_SETS 64
#define CLI_MAX_INPUTS 8
#define CLI_MAX_OPTS 16
#define CLI_MAX_VIEWS 48

/* What an option's value is, for the completion. */
enum cli_arg_kind {
	ARG_NONE,	/* a flag */
	ARG_TEXT,	/* anything */
	ARG_FILE,	/* a path */
	ARG_DIR,	/* a directory */
	ARG_WORDS,	/* one of the '|'-separated words of .arg */
	ARG_VIEWS,	/* view names, comma-separated */
	ARG_MACHINE,	/* a built-in machine or a config file */
	ARG_COMMAND,	/* a command's name */
	ARG_OPTIONAL,	/* anything, and optional: only --opt=VALUE gives one
			 * (getopt_long's optional_argument), never the next word */
};

struct cli_opt {
	int key;		/* what cli_getopt() returns: the short letter, or >= 256 */
	const char *name;	/* the long name, without "--" */
	enum cli_arg_kind kind;
	const char *arg;	/* the value's name in the usage ("FILE"), NULL for a flag */
	const char *help;	/* what it does, one sentence */
};

struct cli;

struct cli_cmd {
	const char *name;
	const char *operands;	/* the synopsis after the options: "[--] ELF [ARG]..." */
	const char *summary;	/* one line for the command list */
	const char *about;	/* the description: paragraphs separated by "\n\n" */
	enum cli_arg_kind operand_kind;	/* what the operands are, for the completion */
	const struct cli_opt *opts;	/* ended by a zero key; -h, --help is implied */
	/* argv[0] is the command's name.  Returns the exit status. */
	int (*run)(struct cli *c, int argc, char **argv);
};

/* The @i-th option of @cmd, the implied -h, --help last; NULL after it. */
const struct cli_opt *cli_option(const struct cli_cmd *cmd, size_t i);

/* The command list in help order, NULL-ended; the global options. */
extern const struct cli_cmd *const cli_commands[];
extern const struct cli_cmd cli_global;

/* The keys of the global options (main.c parses them). */
enum cli_global_key {
	GOPT_CONFIG = 'c',
	GOPT_VERBOSE = 'v',
	GOPT_SET = 256,
	GOPT_JSON,
	GOPT_CHECK,
	GOPT_TRACE_EVENTS,
	GOPT_VERSION,
};

/* The commands, one file each (cmd_*.c); help and version in commands.c. */
extern const struct cli_cmd cmd_show, cmd_layout, cmd_translate, cmd_run, cmd_exec, cmd_replay,
	cmd_mrc, cmd_convert_trace, cmd_sweep, cmd_help, cmd_version;

/* The command called @name (a view's name finds `show`), or NULL. */
const struct cli_cmd *cli_find(const char *name);
/* "vmsim-cli: unknown command 'NAME'; did you mean ...?" on stderr; returns 2. */
int cli_unknown_command(const char *name);
/* The view names, split in place in @sb (which the caller frees): their
 * count, at most @max. */
struct strbuf;
size_t cli_view_names(struct strbuf *sb, const char **out, size_t max);
/* The view names, comma-separated, appended to @sb (vmsim_view_names()). */
void cli_view_list(struct strbuf *sb);
/* Is @name a view (a command of its own: `vmsim-cli buddyinfo`)? */
bool cli_is_view(const char *name);

/* The run's state: the global options and the files it reads and writes. */
struct cli {
	const char *config;			/* -c */
	const char *sets[CLI_MAX_SETS + 1];	/* --set, NULL-ended */
	unsigned nr_sets;
	bool json, check, verbose;
	unsigned check_every;			/* --check=N: a full check every N points */
	unsigned long kernel_reports;		/* bad_page() and VM_BUG_ON*() reports of the
						 * command's machine (each one fails it) */
	const char *events_path;		/* --trace-events, or NULL */
	FILE *events;				/* the --trace-events stream, NULL when off */
	struct outfile events_out;		/* when events_path is a file */
	const char *inputs[CLI_MAX_INPUTS + 1];	/* files the run reads, NULL-ended */
	unsigned nr_inputs;
	const struct cli_cmd *cmd;		/* the command running */
};

/* ---- option parsing ---- */

struct cli_getopt {
	const struct cli_cmd *cmd;
	int argc;
	char **argv;
	bool in_order;		/* stop at the first operand (the global options) */
	const char *arg;	/* the value of the option just returned */
	int next;		/* after the end: argv[next] is the first operand */
	int status;		/* after a negative return: the exit status */
};

void cli_getopt_init(struct cli_getopt *g, const struct cli_cmd *cmd, int argc, char **argv,
		     bool in_order);
/*
 * The next option's key (g->arg holds its value); 0 when the options end;
 * -1 when the run should stop with g->status: 0 after printing the
 * command's help for -h/--help, 2 after a one-line error (unknown option,
 * with the nearest name; missing or unexpected value).
 */
int cli_getopt(struct cli_getopt *g);

/* "vmsim-cli CMD: MSG (try 'vmsim-cli CMD --help')" on stderr; returns 2. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Option values that are numbers: a count (decimal, 0x hex, '_' allowed)
 * at least @min, or a size (with KiB/MiB/... units).  Negative or too
 * large values are refused with a usage error (2); 0 on success. */
int cli_count(const struct cli_cmd *cmd, const char *opt, const char *v, uint64_t min,
	      uint64_t *out);
int cli_size(const struct cli_cmd *cmd, const char *opt, const char *v, uint64_t *out);

/* @v as one of the '|'-separated words of option @key's .arg (ARG_WORDS):
 * its index, or -1 after the one-line error (exit status 2). */
int cli_choice(const struct cli_cmd *cmd, int key, const char *v);

/* The candidate nearest to @word by edit distance, close enough to be a
 * likely typo, or NULL. */
const char *cli_nearest(const char *word, const char *const *cands, size_t n);

/* @s as one CSV field (RFC 4180): in double quotes, a quote doubled. */
void cli_csv_str(FILE *f, const char *s);

/* ---- help ---- */

/* The command's usage and options (@cmd NULL or &cli_global: the whole CLI). */
void cli_help(FILE *f, const struct cli_cmd *cmd);
/* "-c, --config=NAME|FILE" as the help and the man page show an option. */
void cli_opt_label(const struct cli_opt *o, char *buf, size_t len);

/* ---- files and the machine ---- */

/* Note a file the command reads, so no output may replace it. */
void cli_input(struct cli *c, const char *path);
/* Open an output file (see util/outfile.h) that is none of the inputs;
 * on failure print "vmsim-cli: PATH: reason" and return 2. */
int cli_output(struct cli *c, struct outfile *o, const char *path);
/* Commit @o; on failure print the one line and return 2. */
int cli_output_commit(struct outfile *o);
/* Open the --trace-events log if asked for: after the command has named
 * its inputs, before it prints anything.  0, or 2 with the message out. */
int cli_start(struct cli *c);

/* -c names a built-in machine or an existing file: 0; else one line and 2:
 * "vmsim-cli: PATH: No such file or directory" for a name that looks like a
 * path (a '/' or a '.'), "vmsim-cli: -c NAME: unknown built-in machine
 * 'NAME' (CFG_BUILTINS), and no such file" for any other. */
int cli_check_machine(const struct cli *c);

struct vmsim_machine;
/* cli_check_machine(), cli_start(), then boot the machine of -c and --set with the event log
 * attached, --check's tracking started, and the kernel's reports printed on stderr and
 * counted in c->kernel_reports (main() turns a run that raised one into exit status 1).
 * NULL (message printed, exit status 2) on failure. */
struct vmsim_machine *cli_boot(struct cli *c);
/* A vmsim_event_fn writing the event to the stream @arg as --trace-events
 * logs it: "SEQ KIND[ task=T] FIELDS". */
void cli_event(uint64_t seq, const char *kind, const char *task, const char *fields, void *arg);

struct vmsim_view_opts;
struct vmsim_error;
/* View @name of @m (@o NULL: its SVG picture, vmsim_view_svg()) rendered
 * whole into *@buf, which the caller hands to cli_view_free(): its length,
 * or a negative errno with @err (-ENOMEM out of host memory).  Rendering
 * twice, to learn the length first, costs less than the boot. */
long cli_view(struct vmsim_machine *m, const char *name, const struct vmsim_view_opts *o,
	      char **buf, struct vmsim_error *err);
void cli_view_free(char *buf, long len);

#endif
