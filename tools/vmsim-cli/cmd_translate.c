/*
 * vmsim-cli translate [--access read|write|fetch] [--mode user|kernel]
 *                     [--explain] ADDR
 *
 * One translation of ADDR on cpu 0 of a freshly booted machine, so with
 * the kernel's page tables (a task's translations are the scenario op's):
 * TLB, then walk, setting A/D like the hardware.  --explain first shows the walk level by level (table
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
#include "kern/machine.h"
#include "mmu/mmu.h"
#include "util/json.h"
#include "util/parse.h"
#include "util/strbuf.h"
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

/* The report of one translation on cpu 0 of @m: 0, or 2 out of host memory
 * (nothing printed). */
static int translate_one(struct vmsim_machine *m, uint64_t va, enum mmu_access acc,
			 enum mmu_mode mode, bool explain, bool json)
{
	bool ok, pok;
	uint64_t pa = 0;
	struct vmsim_cpu *cpu = &m->cpus[0];
	const struct pt_format *f = cpu->fmt;
	struct walk_trace t;
	struct walk_result wr;
	struct vmsim_fault fault, pf;
	struct strbuf sb = STRBUF_INIT;
	char buf[96];

	/* the walk as the hardware will do it, before A/D change */
	pok = mmu_walk_peek(cpu, cpu->cr3, va, acc, mode, &wr, &pf, &t);
	ok = translate(cpu, va, acc, mode, &pa, &fault);

	if (json) {
		struct json_writer jw;

		json_init(&jw, &sb);
		json_object_begin(&jw);
		json_key_hex(&jw, "addr", va);
		json_key_str(&jw, "access", acc == MMU_READ ? "read" : acc == MMU_WRITE ? "write" : "fetch");
		json_key_str(&jw, "mode", mode == MMU_USER ? "user" : "kernel");
		json_key_str(&jw, "format", f->name);
		json_key_hex(&jw, "cr3", cpu->cr3);
		if (explain) {
			json_key(&jw, "walk");
			walk_explain_json(&jw, f, &t);
		}
		json_key(&jw, "pa");
		if (ok)
			json_hex(&jw, pa);
		else
			json_null(&jw);
		json_key(&jw, "fault");
		if (ok)
			json_null(&jw);
		else
			fault_json(&jw, f, &fault);
		json_object_end(&jw);
		if (json_finish(&jw) == -EINVAL) {
			fprintf(stderr, "vmsim-cli: translate: the JSON report came out malformed\n");
			sb_free(&sb);
			return 2;
		}
		sb_putc(&sb, '\n');
	} else {
		sb_printf(&sb, "%s %s access to %#" PRIx64 " (%s, CR3 %#" PRIx64 ")\n",
			  mode == MMU_USER ? "user" : "kernel",
			  acc == MMU_READ ? "read" : acc == MMU_WRITE ? "write" : "fetch", va, f->name,
			  cpu->cr3);
		if (explain)
			walk_explain(&sb, f, &t, pok, &wr, va);
		if (ok) {
			sb_printf(&sb, "-> pa %#" PRIx64 "\n", pa);
		} else if (fault.gp) {
			sb_puts(&sb, "-> #GP: non-canonical address\n");
		} else {
			fault_bits_str(fault.error_code, buf, sizeof(buf));
			sb_printf(&sb, "-> page fault, error code %#x [%s] at the %s\n", fault.error_code,
				  buf[0] ? buf : "not present, supervisor read", f->lvl[fault.depth].name);
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
	enum mmu_access acc = MMU_READ;
	enum mmu_mode mode = MMU_KERNEL;
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
			acc = i == 0 ? MMU_READ : i == 1 ? MMU_WRITE : MMU_FETCH;
		else
			mode = i == 0 ? MMU_USER : MMU_KERNEL;
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
