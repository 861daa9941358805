/*
 * vmsim-cli convert-trace IN OUT: a trace in any format replay reads
 * (compressed or not) to vmsim's binary format (docs/trace-format.md).  OUT is written through a
 * temporary and renamed into place when complete (util/outfile.c), and it
 * may not be IN (vmsim_trace_convert()): a bad line, a full disk or a refused name leaves any
 * existing OUT, and IN, as they were.
 */
#include "cli.h"
#include "cli_oom.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "vmsim/replay.h"

enum { OPT_FORMAT = 256 };

static const struct cli_opt convert_opts[] = {
	{ OPT_FORMAT, "format", ARG_WORDS, VMSIM_TRACE_FORMATS,
	  "the input's format (default: detected from its content, as replay does)" },
	{ 0 },
};

static int run_convert_trace(struct cli *c, int argc, char **argv)
{
	struct vmsim_error err = { 0 };
	struct cli_getopt g;
	const char *in, *out;
	long long n;
	const char *format = NULL;
	int ret, k;

	cli_getopt_init(&g, &cmd_convert_trace, argc, argv, false);
	while ((k = cli_getopt(&g)) > 0) {
		if (cli_choice(&cmd_convert_trace, k, g.arg) < 0)
			return 2;
		format = g.arg;
	}
	if (k < 0)
		return g.status;
	if (argc - g.next != 2)
		return cli_usage_error(&cmd_convert_trace, "needs the input trace and the output file");
	in = argv[g.next];
	out = argv[g.next + 1];
	cli_input(c, in);
	ret = cli_start(c);
	if (ret)
		return ret;
	n = vmsim_trace_convert(in, format, out, &err);
	if (cli_host_oom())
		return 2;	/* main() says why */
	if (n < 0) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		return 2;
	}
	if (!c->json) {
		printf("%s: %lld accesses written to %s\n", in, n, out);
	} else {
		struct strbuf sb = STRBUF_INIT;
		struct json_writer jw;

		json_init(&jw, &sb);
		json_object_begin(&jw);
		json_key_str(&jw, "trace", in);
		json_key_str(&jw, "output", out);
		json_key_u64(&jw, "accesses", (uint64_t)n);
		json_object_end(&jw);
		ret = json_finish(&jw);
		if (!ret)
			printf("%s\n", sb_str(&sb));
		else if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: convert-trace: the JSON report came out malformed\n");
		sb_free(&sb);
		if (ret)
			return 2;
	}
	return 0;
}

const struct cli_cmd cmd_convert_trace = {
	.name = "convert-trace",
	.operands = "IN OUT",
	.summary = "convert a trace to vmsim's compact binary format",
	.operand_kind = ARG_FILE,
	.about = "IN is a trace in any format replay reads (lackey, vmsim, rw, ls, champsim, pages; "
		 "compressed with gzip, xz or zstd or not), detected from its content unless "
		 "--format says it, or - for standard input; OUT receives 8 bytes per access "
		 "(docs/trace-format.md). OUT appears only when the whole trace converted, and it "
		 "may not be IN.",
	.opts = convert_opts,
	.run = run_convert_trace,
};
