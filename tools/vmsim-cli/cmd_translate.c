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

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/machine.h"
#include "mmu/mmu.h"
#include "util/parse.h"
#include "util/strbuf.h"

static void fault_str(uint32_t code, char *buf, size_t len)
{
	static const char *const names[] = { "P", "W", "U", "RSVD", "I", "PK" };
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 6; i++)
		if (code >> i & 1)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i]);
}

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
			sb_puts(&sb, ", \"walk\": [");
			for (unsigned i = 0; i < t.n; i++) {
				pt_flags_str(f, t.lv[i].entry, t.lv[i].depth, buf, sizeof(buf));
				sb_printf(&sb, "%s{\"level\": \"%s\", \"table\": \"0x%" PRIx64 "\", \"index\": %u, "
					  "\"entry_addr\": \"0x%" PRIx64 "\", \"entry\": \"0x%0*" PRIx64 "\", \"flags\": ",
					  i ? ", " : "", f->lvl[t.lv[i].depth].name, t.lv[i].table_pa,
					  t.lv[i].index, t.lv[i].entry_pa, (int)f->entry_size * 2, t.lv[i].entry);
				sb_json_str(&sb, buf);
				sb_puts(&sb, "}");
			}
			sb_puts(&sb, "]");
		}
		if (ok) {
			sb_printf(&sb, ", \"pa\": \"0x%" PRIx64 "\"}\n", pa);
		} else if (fault.gp) {
			sb_puts(&sb, ", \"fault\": \"#GP\", \"reason\": \"non-canonical address\"}\n");
		} else {
			fault_str(fault.error_code, buf, sizeof(buf));
			sb_printf(&sb, ", \"fault\": {\"error_code\": \"0x%x\", \"bits\": ", fault.error_code);
			sb_json_str(&sb, buf);
			sb_printf(&sb, ", \"level\": \"%s\"}}\n", f->lvl[fault.depth].name);
		}
	} else {
		sb_printf(&sb, "%s %s access to %#" PRIx64 " (%s, CR3 %#" PRIx64 ")\n",
			  mode == MMU_USER ? "user" : "kernel",
			  acc == MMU_READ ? "read" : acc == MMU_WRITE ? "write" : "fetch", va, f->name,
			  cpu->cr3);
		if (explain) {
			for (unsigned i = 0; i < t.n; i++) {
				const struct pt_level_desc *l = &f->lvl[t.lv[i].depth];

				pt_flags_str(f, t.lv[i].entry, t.lv[i].depth, buf, sizeof(buf));
				sb_printf(&sb, "  %-3s (%-5s) table %#" PRIx64 " [%3u] entry @%#" PRIx64
					  " = %0*" PRIx64 "  %s\n", l->name, l->intel, t.lv[i].table_pa,
					  t.lv[i].index, t.lv[i].entry_pa, (int)f->entry_size * 2,
					  t.lv[i].entry, buf[0] ? buf : "(not present)");
			}
			if (pok) {
				/* a success: say where the page offset came from */
				sb_printf(&sb, "  %s page at %#" PRIx64 " + offset %#" PRIx64 "\n",
					  wr.shift == 12 ? "4 KiB" : wr.shift == 21 ? "2 MiB" :
					  wr.shift == 22 ? "4 MiB" : "1 GiB", wr.page_pa,
					  (uint64_t)(va & ((1ULL << wr.shift) - 1)));
			}
		}
		if (ok) {
			sb_printf(&sb, "-> pa %#" PRIx64 "\n", pa);
		} else if (fault.gp) {
			sb_puts(&sb, "-> #GP: non-canonical address\n");
		} else {
			fault_str(fault.error_code, buf, sizeof(buf));
			sb_printf(&sb, "-> page fault, error code %#x [%s] at the %s\n", fault.error_code,
				  buf[0] ? buf : "not present, supervisor read", f->lvl[fault.depth].name);
		}
	}
	fputs(sb_str(&sb), stdout);
	sb_free(&sb);
	return 0;
}
