/*
 * vmsim-cli translate [--access read|write|fetch] [--mode user|kernel]
 *                     [--explain] [--task T] ADDR
 *
 * One translation of ADDR on cpu 0 of a freshly booted machine, so with
 * the kernel's page tables (a task's translations are the scenario op's):
 * TLB, then walk, setting A/D like the hardware.  --explain first shows the walk level by level (table
 * physical address, index, entry address, entry value, decoded flags),
 * read before the translation changes any A/D bit.  A fault is an answer,
 * not an error: exit status 0 either way, 2 for bad usage.
 */
#include "cmd_translate.h"
#include "cli_oom.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/machine.h"
#include "mmu/mmu.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "walk_explain.h"

static int usage(const char *msg)
{
	fprintf(stderr, "vmsim-cli translate: %s\n"
		"usage: vmsim-cli translate [--access read|write|fetch] [--mode user|kernel] "
		"[--explain] ADDR\n", msg);
	return 2;
}

int cmd_translate(struct vmsim_machine *m, int argc, char **argv, bool json)
{
	enum mmu_access acc = MMU_READ;
	enum mmu_mode mode = MMU_KERNEL;
	bool explain = false, have_addr = false, ok, pok;
	uint64_t va = 0, pa = 0;
	struct vmsim_cpu *cpu = &m->cpus[0];
	const struct pt_format *f = cpu->fmt;
	struct walk_trace t;
	struct walk_result wr;
	struct vmsim_fault fault, pf;
	struct strbuf sb = STRBUF_INIT;
	char buf[96];

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--explain") == 0) {
			explain = true;
		} else if (strcmp(a, "--access") == 0 || strcmp(a, "--mode") == 0 ||
			   strcmp(a, "--task") == 0) {
			const char *v = i + 1 < argc ? argv[++i] : NULL;

			if (!v)
				return usage("option needs a value");
			if (a[2] == 't')
				return usage("--task: this command boots a fresh machine, which has no "
					     "tasks; use a scenario's translate op with task:");
			if (a[2] == 'a') {
				if (strcmp(v, "read") == 0)
					acc = MMU_READ;
				else if (strcmp(v, "write") == 0)
					acc = MMU_WRITE;
				else if (strcmp(v, "fetch") == 0)
					acc = MMU_FETCH;
				else
					return usage("--access is read, write or fetch");
			} else {
				if (strcmp(v, "user") == 0)
					mode = MMU_USER;
				else if (strcmp(v, "kernel") == 0)
					mode = MMU_KERNEL;
				else
					return usage("--mode is user or kernel");
			}
		} else if (a[0] == '-' && a[1] == '-') {
			snprintf(buf, sizeof(buf), "unknown option %s", a);
			return usage(buf);
		} else if (have_addr) {
			return usage("one address only");
		} else if (parse_u64(a, &va)) {
			snprintf(buf, sizeof(buf), "'%s' is not an address", a);
			return usage(buf);
		} else {
			have_addr = true;
		}
	}
	if (!have_addr)
		return usage("missing ADDR");

	/* the walk as the hardware will do it, before A/D change */
	pok = mmu_walk_peek(cpu, cpu->cr3, va, acc, mode, &wr, &pf, &t);
	ok = translate(cpu, va, acc, mode, &pa, &fault);

	if (json) {
		sb_printf(&sb, "{\"addr\": \"0x%" PRIx64 "\", \"access\": \"%s\", \"mode\": \"%s\", "
			  "\"format\": \"%s\", \"cr3\": \"0x%" PRIx64 "\"", va,
			  acc == MMU_READ ? "read" : acc == MMU_WRITE ? "write" : "fetch",
			  mode == MMU_USER ? "user" : "kernel", f->name, cpu->cr3);
		if (explain) {
			sb_puts(&sb, ", \"walk\": ");
			walk_explain(&sb, f, &t, pok, &wr, va, true);
		}
		if (ok) {
			sb_printf(&sb, ", \"pa\": \"0x%" PRIx64 "\"}\n", pa);
		} else if (fault.gp) {
			sb_puts(&sb, ", \"fault\": \"#GP\", \"reason\": \"non-canonical address\"}\n");
		} else {
			fault_bits_str(fault.error_code, buf, sizeof(buf));
			sb_printf(&sb, ", \"fault\": {\"error_code\": \"0x%x\", \"bits\": ", fault.error_code);
			sb_json_str(&sb, buf);
			sb_printf(&sb, ", \"level\": \"%s\"}}\n", f->lvl[fault.depth].name);
		}
	} else {
		sb_printf(&sb, "%s %s access to %#" PRIx64 " (%s, CR3 %#" PRIx64 ")\n",
			  mode == MMU_USER ? "user" : "kernel",
			  acc == MMU_READ ? "read" : acc == MMU_WRITE ? "write" : "fetch", va, f->name,
			  cpu->cr3);
		if (explain)
			walk_explain(&sb, f, &t, pok, &wr, va, false);
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
	if (cli_host_oom()) {
		sb_free(&sb);
		return 2;
	}
	fputs(sb_str(&sb), stdout);
	sb_free(&sb);
	return 0;
}
