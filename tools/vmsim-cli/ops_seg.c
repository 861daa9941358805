/*
 * Scenario ops of segmentation (docs/scenarios.md, docs/mmu.md):
 *   segment    { cpu, load: REG, selector }     MOV to DS/ES/FS/GS/SS
 *              { cpu, far_return: CS, ss }      RET far / IRET (SS when
 *                                               the level changes)
 *              { cpu, syscall: true }           SYSCALL/SYSENTER: CPL 0
 *              { cpu, lldt: SEL }               LLDT
 *              value: the selector loaded; a fault is the outcome
 *              { gp|ss|np: CODE } (a #PF reading a table: fault: [...])
 *   descriptor { cpu, index, value } or { cpu, index, flags, base, limit }
 *              write GDT entry @index of the CPU's gdt_page in RAM, raw or
 *              as GDT_ENTRY_INIT(flags, base, limit); value: the 8 bytes
 *   arch_prctl { task, option: ARCH_SET_FS|ARCH_SET_GS|ARCH_GET_FS|
 *                ARCH_GET_GS, addr }            value: 0 or the base;
 *              error EPERM (not below TASK_SIZE_MAX), EINVAL
 * Invariant: a segment op changes the CPU's registers only when every
 * check passed; a descriptor op writes exactly the 8 bytes of one entry
 * and loads nothing (a register keeps its cache until reloaded, as on
 * the hardware).
 */
#include <errno.h>
#include <string.h>

#include "kern/desc.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "ops.h"
#include "scenario.h"

static int arg_cpu(struct scn *s, struct scn_step *st, struct vmsim_cpu **cpu)
{
	struct vmsim_machine *m = scn_machine(s);
	uint64_t c = 0;
	int ret = scn_arg_u64(s, st, "cpu", false, &c);

	if (ret < 0)
		return ret;
	if (c >= m->nr_cpus)
		return scn_bad(s, st, scn_arg(st, "cpu"), "cpu %llu: the machine has %u CPU(s)",
			       (unsigned long long)c, m->nr_cpus);
	*cpu = &m->cpus[c];
	return 0;
}

static int arg_selector(struct scn *s, struct scn_step *st, const char *key, bool required,
			uint16_t *sel)
{
	uint64_t v = 0;
	int ret = scn_arg_u64(s, st, key, required, &v);

	if (ret < 0)
		return ret;
	if (v > 0xffff)
		return scn_bad(s, st, scn_arg(st, key), "%s %#llx: a selector has 16 bits", key,
			       (unsigned long long)v);
	*sel = (uint16_t)v;
	return 0;
}

/* The outcome of a load: the selector, or the fault. */
static void seg_outcome(struct scn_step *st, int ret, uint16_t sel, const struct seg_fault *f)
{
	if (!ret) {
		scn_value(st, sel);
	} else if (f->vector == X86_TRAP_PF) {
		st->out.kind = OUT_FAULT;
		st->out.fault_code = f->error_code;
	} else {
		st->out.kind = OUT_EXCEPTION;
		st->out.vector = f->vector;
		st->out.fault_code = f->error_code;
		snprintf(st->why, sizeof(st->why), "%s", f->why);
	}
}

static const char *const segment_keys[] = { "cpu", "load", "selector", "far_return", "ss",
					     "syscall", "lldt", NULL };

static int op_segment(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	struct vmsim_cpu *cpu;
	struct kernel_selectors ks;
	struct seg_fault f = { 0 };
	const char *reg = NULL;
	bool syscall = false;
	uint16_t sel = 0, ss = 0;
	unsigned given = 0;
	int ret;

	if (st->args->type != YNODE_MAP)
		return scn_bad(s, st, st->args, "segment takes a mapping: load, far_return, "
			       "syscall or lldt");
	if ((ret = arg_cpu(s, st, &cpu)) || (ret = scn_arg_str(s, st, "load", false, &reg)) < 0 ||
	    (ret = scn_arg_bool(s, st, "syscall", &syscall)) < 0)
		return ret < 0 ? ret : -EINVAL;
	given = (reg != NULL) + (scn_arg(st, "far_return") != NULL) + (scn_arg(st, "syscall") != NULL) +
		(scn_arg(st, "lldt") != NULL);
	if (given != 1)
		return scn_bad(s, st, st->args, "segment does one of load, far_return, syscall, lldt");
	kernel_selectors(m, &ks);
	if (reg) {
		int r = seg_reg_from_name(reg);

		if (r < 0 || r == VCPU_SREG_CS)
			return scn_bad(s, st, scn_arg(st, "load"), "load '%s': ds, es, fs, gs or ss (CS "
				       "changes by far_return or syscall)", reg);
		if ((ret = arg_selector(s, st, "selector", true, &sel)))
			return ret;
		ret = load_segment(cpu, (enum seg_reg)r, sel, false, NULL, NULL, &f);
	} else if (scn_arg(st, "far_return")) {
		if ((ret = arg_selector(s, st, "far_return", true, &sel)) ||
		    (ret = arg_selector(s, st, "ss", false, &ss)))
			return ret;
		ret = seg_far_return(cpu, sel, ss, &f);
	} else if (scn_arg(st, "lldt")) {
		if ((ret = arg_selector(s, st, "lldt", true, &sel)))
			return ret;
		ret = seg_lldt(cpu, sel, &f);
	} else {
		if (!syscall)
			return scn_bad(s, st, scn_arg(st, "syscall"), "syscall: true, or no syscall key");
		seg_syscall(cpu, ks.kernel_cs);
		sel = ks.kernel_cs;
		ret = 0;
	}
	seg_outcome(st, ret, sel, &f);
	return 0;
}

static const char *const descriptor_keys[] = { "cpu", "index", "value", "flags", "base", "limit",
						NULL };

static int op_descriptor(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	struct vmsim_cpu *cpu;
	struct kernel_selectors ks;
	struct desc_struct d;
	uint64_t index, value = 0, flags = 0, base = 0, limit = 0;
	int ret;

	if ((ret = arg_cpu(s, st, &cpu)) || (ret = scn_arg_u64(s, st, "index", true, &index)) < 0)
		return ret < 0 ? ret : -EINVAL;
	kernel_selectors(m, &ks);
	if (index >= ks.gdt_entries)
		return scn_bad(s, st, scn_arg(st, "index"), "index %llu: the GDT has %u entries",
			       (unsigned long long)index, ks.gdt_entries);
	if (scn_arg(st, "value")) {
		if (scn_arg(st, "flags") || scn_arg(st, "base") || scn_arg(st, "limit"))
			return scn_bad(s, st, scn_arg(st, "value"), "value, or flags/base/limit, not both");
		if ((ret = scn_arg_u64(s, st, "value", true, &value)) < 0)
			return ret;
		d.a = (uint32_t)value;
		d.b = (uint32_t)(value >> 32);
	} else {
		if ((ret = scn_arg_u64(s, st, "flags", true, &flags)) < 0 ||
		    (ret = scn_arg_u64(s, st, "base", false, &base)) < 0 ||
		    (ret = scn_arg_u64(s, st, "limit", false, &limit)) < 0)
			return ret;
		if (flags > 0xffff || base > 0xffffffff || limit > 0xfffff)
			return scn_bad(s, st, st->args, "GDT_ENTRY_INIT takes 16-bit flags, a 32-bit "
				       "base and a 20-bit limit");
		d = GDT_ENTRY_INIT((uint32_t)flags, (uint32_t)base, (uint32_t)limit);
	}
	write_gdt_entry(m, (unsigned)cpu->id, (unsigned)index, &d);
	scn_value(st, desc_u64(&d));
	return 0;
}

static const char *const arch_prctl_keys[] = { "task", "option", "addr", NULL };

static int op_arch_prctl(struct scn *s, struct scn_step *st)
{
	static const struct { const char *name; int code; } opts[] = {
		{ "ARCH_SET_GS", ARCH_SET_GS }, { "ARCH_SET_FS", ARCH_SET_FS },
		{ "ARCH_GET_FS", ARCH_GET_FS }, { "ARCH_GET_GS", ARCH_GET_GS },
	};
	struct task_struct *t;
	const char *opt;
	uint64_t addr = 0, out = 0;
	int code = -1, ret;

	if ((ret = scn_arg_task(s, st, "task", true, &t)) ||
	    (ret = scn_arg_str(s, st, "option", true, &opt)) < 0 ||
	    (ret = scn_arg_u64(s, st, "addr", false, &addr)) < 0)
		return ret < 0 ? ret : -EINVAL;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(opt, opts[i].name) == 0)
			code = opts[i].code;
	if (code < 0)
		return scn_bad(s, st, scn_arg(st, "option"), "option '%s': ARCH_SET_FS, ARCH_SET_GS, "
			       "ARCH_GET_FS or ARCH_GET_GS", opt);
	ret = do_arch_prctl(t, code, addr, &out);
	if (ret)
		scn_error(st, ret);
	else
		scn_value(st, out);
	return 0;
}

const struct scn_op scn_ops_seg[] = {
	{ "segment", op_segment, segment_keys },
	{ "descriptor", op_descriptor, descriptor_keys },
	{ "arch_prctl", op_arch_prctl, arch_prctl_keys },
	{ NULL, NULL, NULL },
};
