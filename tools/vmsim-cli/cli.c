/*
 * The machinery every command shares (see cli.h): getopt_long driven by a
 * command's option table, the help text rendered from the same table,
 * the nearest name for a typo, checked numbers, the files a run reads and
 * writes, and the boot.  Invariant: every error here is one line on
 * stderr and exit status 2, printed before the command writes anything.
 */
#include "cli.h"
#include "cli_oom.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/parse.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "vmsim/vmsim.h"

#define HELP_KEY 'h'
#define WIDTH 79
#define OPT_COL 28

static const struct cli_opt help_opt = { HELP_KEY, "help", ARG_NONE, NULL, "print this help" };

const struct cli_opt *cli_option(const struct cli_cmd *cmd, size_t i)
{
	size_t n = 0;

	while (cmd->opts && cmd->opts[n].key)
		n++;
	return i < n ? &cmd->opts[i] : i == n ? &help_opt : NULL;
}

/* ---- option parsing ---- */

static const char *cmd_prefix(const struct cli_cmd *cmd, char *buf, size_t len)
{
	if (!cmd || cmd == &cli_global)
		snprintf(buf, len, "vmsim-cli");
	else
		snprintf(buf, len, "vmsim-cli %s", cmd->name);
	return buf;
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	char pfx[64];
	va_list ap;

	fprintf(stderr, "%s: ", cmd_prefix(cmd, pfx, sizeof(pfx)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s --help')\n", pfx);
	return 2;
}

void cli_getopt_init(struct cli_getopt *g, const struct cli_cmd *cmd, int argc, char **argv,
		     bool in_order)
{
	*g = (struct cli_getopt){ .cmd = cmd, .argc = argc, .argv = argv, .in_order = in_order };
	optind = 0;	/* glibc: start afresh, at argv[1] */
	opterr = 0;	/* the messages are ours, one line each */
}

static const struct cli_opt *opt_by_name(const struct cli_cmd *cmd, const char *name, size_t len)
{
	const struct cli_opt *o;

	for (size_t i = 0; (o = cli_option(cmd, i)); i++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const struct cli_opt *opt_by_key(const struct cli_cmd *cmd, int key)
{
	const struct cli_opt *o;

	for (size_t i = 0; (o = cli_option(cmd, i)); i++)
		if (o->key == key)
			return o;
	return NULL;
}

/* A word that failed: an unknown name, an ambiguous prefix, a flag given a
 * value.  One line, with the nearest option name when there is one. */
static int bad_long_option(struct cli_getopt *g, const char *word)
{
	const struct cli_cmd *cmd = g->cmd;
	const char *name = word + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const char *cands[CLI_MAX_OPTS + 1], *near, *first = NULL;
	size_t n = 0, matches = 0;
	const struct cli_opt *o = opt_by_name(cmd, name, len);
	char buf[128];

	if (o && eq)
		return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
	for (; n < CLI_MAX_OPTS + 1 && (o = cli_option(cmd, n)); n++) {
		cands[n] = o->name;
		if (strncmp(o->name, name, len) == 0 && matches++ == 0)
			first = o->name;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)len, name);
	if (matches > 1)
		return cli_usage_error(cmd, "option '--%s' is ambiguous (--%s, ...)", buf, first);
	if (cmd != &cli_global && opt_by_name(&cli_global, name, len))
		return cli_usage_error(cmd, "'--%s' is a global option: put it before the command",
				       buf);
	near = cli_nearest(buf, cands, n);
	if (near)
		return cli_usage_error(cmd, "unknown option '--%s'; did you mean '--%s'?", buf, near);
	return cli_usage_error(cmd, "unknown option '--%s'", buf);
}

/* Which option a '?' or ':' from getopt_long is about: the long word at
 * argv[optind - 1] when optopt names it (or is 0), else the letter optopt. */
static const char *failed_long_word(struct cli_getopt *g)
{
	const char *w = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : NULL;
	const struct cli_opt *o;

	if (!w || strncmp(w, "--", 2) != 0 || !w[2])
		return NULL;
	if (optopt == 0)
		return w;
	o = opt_by_key(g->cmd, optopt);
	return o && strncmp(w + 2, o->name, strcspn(w + 2, "=")) == 0 ? w : NULL;
}

/* What went wrong with the option getopt_long just refused, in one line. */
static void option_error(struct cli_getopt *g, bool no_value)
{
	const char *word = failed_long_word(g);
	const struct cli_opt *o;
	char label[128];

	if (no_value) {
		o = word ? opt_by_name(g->cmd, word + 2, strcspn(word + 2, "=")) :
			   opt_by_key(g->cmd, optopt);
		cli_opt_label(o, label, sizeof(label));
		cli_usage_error(g->cmd, "option %s needs a value", label);
	} else if (word) {
		bad_long_option(g, word);
	} else if (g->cmd != &cli_global && opt_by_key(&cli_global, optopt)) {
		cli_usage_error(g->cmd, "'-%c' is a global option: put it before the command", optopt);
	} else {
		cli_usage_error(g->cmd, "unknown option '-%c'", optopt);
	}
}

int cli_getopt(struct cli_getopt *g)
{
	struct option lo[CLI_MAX_OPTS + 2];
	char so[3 * CLI_MAX_OPTS + 8], *p = so;
	const struct cli_opt *o;
	size_t n;
	int key;

	/* rebuilt on each call: the tables are small and this keeps no state
	 * but getopt's own */
	if (g->in_order)
		*p++ = '+';
	*p++ = ':';
	for (n = 0; n < CLI_MAX_OPTS + 1 && (o = cli_option(g->cmd, n)); n++) {
		lo[n] = (struct option){ o->name, o->kind == ARG_NONE ? no_argument :
					 o->kind == ARG_OPTIONAL ? optional_argument : required_argument,
					 NULL, o->key };
		if (o->key < 256) {
			*p++ = (char)o->key;
			if (o->kind != ARG_NONE)
				*p++ = ':';
			if (o->kind == ARG_OPTIONAL)
				*p++ = ':';
		}
	}
	*p = '\0';
	lo[n] = (struct option){ 0 };
	key = getopt_long(g->argc, g->argv, so, lo, NULL);
	g->arg = optarg;
	if (key == -1) {
		g->next = optind;
		return 0;
	}
	if (key == HELP_KEY) {
		cli_help(stdout, g->cmd);
		g->status = 0;
		return -1;
	}
	if (key == '?' || key == ':') {
		option_error(g, key == ':');
		g->status = 2;
		return -1;
	}
	return key;
}

/* ---- numbers ---- */

int cli_count(const struct cli_cmd *cmd, const char *opt, const char *v, uint64_t min,
	      uint64_t *out)
{
	int ret = parse_u64(v, out);

	if (ret == -ERANGE)
		return cli_usage_error(cmd, "%s %s: too large (at most %llu)", opt, v,
				       (unsigned long long)UINT64_MAX);
	if (ret || *out < min)
		return cli_usage_error(cmd, "%s takes a count of at least %llu, not '%s'", opt,
				       (unsigned long long)min, v);
	return 0;
}

int cli_size(const struct cli_cmd *cmd, const char *opt, const char *v, uint64_t *out)
{
	int ret = parse_size(v, out);

	if (ret == -ERANGE)
		return cli_usage_error(cmd, "%s %s: too large (at most 16 EiB - 1)", opt, v);
	if (ret)
		return cli_usage_error(cmd, "%s takes a size (4096, 0x1000, 8MiB), not '%s'", opt, v);
	return 0;
}

int cli_choice(const struct cli_cmd *cmd, int key, const char *v)
{
	const struct cli_opt *o = opt_by_key(cmd, key);
	char words[128], *w[16], *save = NULL;
	const char *near;
	int n = 0;

	snprintf(words, sizeof(words), "%s", o && o->arg ? o->arg : "");
	for (char *t = strtok_r(words, "|", &save); t && n < 16; t = strtok_r(NULL, "|", &save))
		w[n++] = t;
	for (int i = 0; i < n; i++)
		if (strcmp(w[i], v) == 0)
			return i;
	near = cli_nearest(v, (const char *const *)w, (size_t)n);
	if (near)
		cli_usage_error(cmd, "--%s %s: did you mean '%s'?", o ? o->name : "?", v, near);
	else
		cli_usage_error(cmd, "--%s takes %s, not '%s'", o ? o->name : "?",
				o && o->arg ? o->arg : "?", v);
	return -1;
}

/* ---- the nearest name ---- */

/* Optimal string alignment distance: edits of one character, and the swap
 * of two neighbours ("transalte"), each cost 1. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[3][64], *pp = d[0], *prev = d[1], *cur = d[2];

	if (la >= 63 || lb >= 63)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < c)
				c = pp[j - 2] + 1;
			cur[j] = c;
		}
		size_t *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *cli_nearest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, wl = strlen(word);
	/* a third of the word, at least one edit: "tlb" -> "tbl", not "info" -> "tlb" */
	size_t limit = wl / 3 > 1 ? wl / 3 : 1;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, cands[i]);

		/* a prefix of a longer name is as good as a near miss */
		if (wl >= 3 && strncmp(cands[i], word, wl) == 0)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

int cli_unknown_command(const char *name)
{
	struct strbuf views = STRBUF_INIT;
	const char *cands[CLI_MAX_VIEWS + 16], *near;
	size_t n = cli_view_names(&views, cands, CLI_MAX_VIEWS);

	if (views.oom) {
		sb_free(&views);
		return 2;	/* main() says why */
	}
	for (size_t i = 0; cli_commands[i] && n < CLI_MAX_VIEWS + 16; i++)
		cands[n++] = cli_commands[i]->name;
	near = cli_nearest(name, cands, n);
	if (near)
		fprintf(stderr, "vmsim-cli: unknown command '%s'; did you mean '%s'? "
			"(try 'vmsim-cli help')\n", name, near);
	else
		fprintf(stderr, "vmsim-cli: unknown command '%s' (try 'vmsim-cli help')\n", name);
	sb_free(&views);
	return 2;
}

/* ---- help ---- */

void cli_opt_label(const struct cli_opt *o, char *buf, size_t len)
{
	char s[8] = "    ";

	if (!o) {
		snprintf(buf, len, "?");
		return;
	}
	if (o->key < 256)
		snprintf(s, sizeof(s), "-%c, ", o->key);
	snprintf(buf, len, "%s--%s%s%s%s%s", s, o->name, o->kind == ARG_OPTIONAL ? "[" : "",
		 o->arg ? "=" : "", o->arg ? o->arg : "", o->kind == ARG_OPTIONAL ? "]" : "");
}

/* @text from column @col, wrapped at WIDTH, continuation lines at @indent. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		size_t w = strcspn(p, " \n");

		if (col > indent && col + 1 + (int)w > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		if (*p == '\n' && p[1] == '\n') {	/* a paragraph break */
			fprintf(f, "\n\n%*s", indent, "");
			col = indent;
		}
		while (*p == ' ' || *p == '\n')
			p++;
	}
	fputc('\n', f);
}

static void help_row(FILE *f, const char *label, const char *text)
{
	int col = fprintf(f, "  %s", label);

	if (col >= OPT_COL) {
		fputc('\n', f);
		col = 0;
	}
	fprintf(f, "%*s", OPT_COL - col, "");
	wrap(f, text, OPT_COL, OPT_COL);
}

static void help_opts(FILE *f, const struct cli_cmd *cmd)
{
	const struct cli_opt *o;
	char label[128];

	for (size_t i = 0; (o = cli_option(cmd, i)); i++) {
		cli_opt_label(o, label, sizeof(label));
		help_row(f, label, o->help);
	}
}

void cli_help(FILE *f, const struct cli_cmd *cmd)
{
	if (!cmd || cmd == &cli_global) {
		struct strbuf views = STRBUF_INIT;
		char label[128];

		/* the view list first: without it, no help at all */
		cli_view_list(&views);
		sb_puts(&views, ": the same as show VIEW");
		if (views.oom) {
			sb_free(&views);
			return;
		}
		fprintf(f, "usage: vmsim-cli [GLOBAL OPTION]... COMMAND [OPTION]... [ARG]...\n\n");
		wrap(f, cli_global.about, 0, 0);
		fprintf(f, "\nglobal options (before the command):\n");
		help_opts(f, &cli_global);
		fprintf(f, "\ncommands:\n");
		for (size_t i = 0; cli_commands[i]; i++) {
			snprintf(label, sizeof(label), "%s %s", cli_commands[i]->name,
				 cli_commands[i]->operands);
			help_row(f, label, cli_commands[i]->summary);
		}
		help_row(f, "VIEW", sb_str(&views));
		sb_free(&views);
		fprintf(f, "\n'vmsim-cli help COMMAND' or 'vmsim-cli COMMAND --help' describes a "
			   "command.\nexit status: 0 ok, 1 a scenario expectation or --check failed or the "
			   "kernel reported a BUG,\n2 bad usage, bad input or an environment failure "
			   "(one line on stderr).\n");
		return;
	}
	fprintf(f, "usage: vmsim-cli [GLOBAL OPTION]... %s [OPTION]... %s\n\n", cmd->name,
		cmd->operands);
	wrap(f, cmd->summary, 0, 0);
	if (cmd->about) {
		fputc('\n', f);
		wrap(f, cmd->about, 0, 0);
	}
	fprintf(f, "\noptions:\n");
	help_opts(f, cmd);
}

/* ---- files and the machine ---- */

void cli_input(struct cli *c, const char *path)
{
	if (path && c->nr_inputs < CLI_MAX_INPUTS) {
		c->inputs[c->nr_inputs++] = path;
		c->inputs[c->nr_inputs] = NULL;
	}
}

int cli_output(struct cli *c, struct outfile *o, const char *path)
{
	struct vmsim_error err = { 0 };

	if (outfile_open(o, path, c->inputs, &err)) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		return 2;
	}
	return 0;
}

int cli_output_commit(struct outfile *o)
{
	struct vmsim_error err = { 0 };

	if (outfile_commit(o, &err)) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		return 2;
	}
	return 0;
}

int cli_start(struct cli *c)
{
	int ret;

	if (!c->events_path || c->events)
		return 0;
	if (strcmp(c->events_path, "-") == 0) {
		c->events = stderr;
		return 0;
	}
	ret = cli_output(c, &c->events_out, c->events_path);
	if (!ret)
		c->events = c->events_out.f;
	return ret;
}

int cli_check_machine(const struct cli *c)
{
	struct vmsim_error err = { 0 };
	struct stat st;

	if (stat(c->config, &st) == 0 || errno != ENOENT ||
	    vmsim_config_builtin(c->config, &err) != -ENOENT)
		return 0;
	/* a name with a '/' or a '.' was meant as a file */
	if (strpbrk(c->config, "/."))
		fprintf(stderr, "vmsim-cli: %s: %s\n", c->config, strerror(ENOENT));
	else
		fprintf(stderr, "vmsim-cli: -c %s: %s, and no such file\n", c->config, err.msg);
	return 2;
}

/* The kernel's log: on stderr as the kernel logs it; its bug reports
 * (bad_page(), VM_BUG_ON*(), print_bad_pte()) are counted, each fails
 * the run; the rest (the OOM killer's report) is not a failure. */
static void cli_kernel_log(enum vmsim_log_level level, const char *line, void *arg)
{
	struct cli *c = arg;

	if (level == VMSIM_LOG_BUG)
		c->kernel_reports++;
	fprintf(stderr, "%s\n", line);
}

void cli_event(uint64_t seq, const char *kind, const char *task, const char *fields, void *arg)
{
	FILE *f = arg;

	fprintf(f, "%llu %s", (unsigned long long)seq, kind);
	if (task)
		fprintf(f, " task=%s", task);
	fprintf(f, " %s\n", fields);
}

struct vmsim_machine *cli_boot(struct cli *c)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;

	if (cli_check_machine(c) || cli_start(c))
		return NULL;
	m = vmsim_machine_create(c->config, c->sets, &err);
	if (!m && cli_host_oom())
		return NULL;	/* main() says why */
	if (!m) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg[0] ? err.msg : "cannot boot the machine");
		return NULL;
	}
	if ((c->events && vmsim_events_subscribe(m, cli_event, c->events)) ||
	    (c->check && vmsim_machine_check_start(m, c->check_every))) {
		vmsim_machine_destroy(m);
		return NULL;	/* the host refused: main() says why */
	}
	vmsim_log_subscribe(m, cli_kernel_log, c);
	return m;
}

long cli_view(struct vmsim_machine *m, const char *name, const struct vmsim_view_opts *o,
	      char **buf, struct vmsim_error *err)
{
	long len = o ? vmsim_view(m, name, o, NULL, 0, err) : vmsim_view_svg(m, name, NULL, 0, err);

	*buf = NULL;
	if (len < 0)
		return len;
	*buf = host_alloc(NULL, (size_t)len + 1);
	if (!*buf)
		return -ENOMEM;
	/* the host may refuse the second rendering too */
	if ((o ? vmsim_view(m, name, o, *buf, (size_t)len + 1, err)
	       : vmsim_view_svg(m, name, *buf, (size_t)len + 1, err)) == len)
		return len;
	host_free(NULL, *buf, (size_t)len + 1);
	*buf = NULL;
	return -ENOMEM;
}

void cli_view_free(char *buf, long len)
{
	if (buf)
		host_free(NULL, buf, (size_t)len + 1);
}

void cli_csv_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}
