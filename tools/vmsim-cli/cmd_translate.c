/*
 * vmsim-cli translate [--access read|write|fetch] [--mode user|kernel]
 *                     [--explain] ADDR
 *
 * One translation of ADDR on cpu 0 of a freshly booted machine, so with
 * the kernel's page tables (a task's translations are the scenario op's),
 * through vmsim_translate(): TLB, then walk, setting A/D like the hardware.  --explain first shows the walk level by level (table
 * physical address, index, entry address, entry value, decoded flags),
 * read before the translation changes any A/D bit.  A fault is an answer,
 * not an error: exit status 0 either way, 2 for bad usage.  Out of host
 * memory, nothing is printed (main() says why).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/json.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "vmsim/vmsim.h"
#include "walk_explain.h"

enum { OPT_ACCESS = 256, OPT_MODE, OPT_EXPLAIN };

static const struct cli_opt translate_opts[] = {
	{ OPT_ACCESS, "access", ARG_WORDS, "read|write|fetch", "the kind of access (default read)" },
	{ OPT_MODE, "mode", ARG_WORDS, "user|kernel", "the privilege of the access (default kernel)" },
	{ OPT_EXPLAIN, "explain", ARG_NONE, NULL,
	  "show the walk level by level: each table's physical address, the index, the entry's "
	  "address and value and its decoded flags" },
	{ 0 },
};

static const char *access_name(enum vmsim_access acc)
{
	return acc == VMSIM_READ ? "read" : acc == VMSIM_WRITE ? "write" : "fetch";
}

/* The report of one translation on cpu 0 of @m: 0, or 2 out of host memory
 * (nothing printed). */
static int translate_one(struct vmsim_machine *m, uint64_t va, enum vmsim_access acc,
			 enum vmsim_mode mode, bool explain, bool json)
{
	struct walk_levels w = { 0 };
	struct vmsim_translate_opts o = { .access = acc, .mode = mode };
	struct vmsim_translation r;
	struct strbuf sb = STRBUF_INIT;
	char buf[96];
	bool ok;

	/* the walk as the hardware will do it, before A/D change */
	if (explain) {
		o.walk = walk_levels_add;
		o.arg = &w;
	}
	ok = vmsim_translate(m, NULL, va, &o, &r) == 0;

	if (json) {
		struct json_writer jw;

		json_init(&jw, &sb);
		json_object_begin(&jw);
		json_key_hex(&jw, "addr", va);
		json_key_str(&jw, "access", access_name(acc));
		json_key_str(&jw, "mode", mode == VMSIM_MODE_USER ? "user" : "kernel");
		json_key_str(&jw, "format", r.format);
		json_key_hex(&jw, "cr3", r.cr3);
		if (explain) {
			json_key(&jw, "walk");
			walk_explain_json(&jw, &w);
		}
		json_key(&jw, "pa");
		if (ok)
			json_hex(&jw, r.pa);
		else
			json_null(&jw);
		json_key(&jw, "fault");
		if (ok)
			json_null(&jw);
		else
			fault_json(&jw, &r);
		json_object_end(&jw);
		if (json_finish(&jw) == -EINVAL) {
			fprintf(stderr, "vmsim-cli: translate: the JSON report came out malformed\n");
			sb_free(&sb);
			return 2;
		}
		sb_putc(&sb, '\n');
	} else {
		sb_printf(&sb, "%s %s access to %#" PRIx64 " (%s, CR3 %#" PRIx64 ")\n",
			  mode == VMSIM_MODE_USER ? "user" : "kernel", access_name(acc), va, r.format,
			  r.cr3);
		if (explain)
			walk_explain(&sb, &w, &r, va);
		if (ok) {
			sb_printf(&sb, "-> pa %#" PRIx64 "\n", r.pa);
		} else if (r.fault == VMSIM_FAULT_GP) {
			sb_puts(&sb, "-> #GP: non-canonical address\n");
		} else {
			fault_bits_str(r.error_code, buf, sizeof(buf));
			sb_printf(&sb, "-> page fault, error code %#x [%s] at the %s\n", r.error_code,
				  buf[0] ? buf : "not present, supervisor read", r.fault_level);
		}
	}
	/* the walk and the report are whole, or nothing is printed */
	if (sb.oom || cli_host_oom()) {
		sb_free(&sb);
		return 2;
	}
	fputs(sb_str(&sb), stdout);
	sb_free(&sb);
	return 0;
}

static int run_translate(struct cli *c, int argc, char **argv)
{
	enum vmsim_access acc = VMSIM_READ;
	enum vmsim_mode mode = VMSIM_MODE_KERNEL;
	bool explain = false;
	struct vmsim_machine *m;
	struct cli_getopt g;
	uint64_t va;
	int k;

	cli_getopt_init(&g, &cmd_translate, argc, argv, false);
	while ((k = cli_getopt(&g)) > 0) {
		int i = k == OPT_EXPLAIN ? 0 : cli_choice(&cmd_translate, k, g.arg);

		if (i < 0)
			return 2;
		if (k == OPT_EXPLAIN)
			explain = true;
		else if (k == OPT_ACCESS)
			acc = i == 0 ? VMSIM_READ : i == 1 ? VMSIM_WRITE : VMSIM_FETCH;
		else
			mode = i == 0 ? VMSIM_MODE_USER : VMSIM_MODE_KERNEL;
	}
	if (k < 0)
		return g.status;
	if (argc - g.next != 1)
		return cli_usage_error(&cmd_translate, "%s", argc == g.next ? "which address?" :
				       "one address only");
	if (parse_u64(argv[g.next], &va))
		return cli_usage_error(&cmd_translate, "'%s' is not an address (0x hex or decimal, "
				       "below 2^64)", argv[g.next]);
	m = cli_boot(c);
	if (!m)
		return 2;
	k = translate_one(m, va, acc, mode, explain, c->json);
	vmsim_machine_destroy(m);
	return k;
}

const struct cli_cmd cmd_translate = {
	.name = "translate",
	.operands = "ADDR",
	.summary = "translate one virtual address through the kernel's page tables",
	.operand_kind = ARG_TEXT,
	.about = "One translation of ADDR on cpu 0 of a freshly booted machine, so with the "
		 "kernel's page tables: the TLB, then the walk, setting Accessed and Dirty as the "
		 "hardware does. A fault is an answer, not an error: its x86 error code and the "
		 "level it stopped at are printed and the exit status is 0. A task's translations "
		 "are the scenario op translate's (task:).",
	.opts = translate_opts,
	.run = run_translate,
};
