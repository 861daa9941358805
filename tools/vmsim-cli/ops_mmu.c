/*
 * Scenario ops of the MMU (docs/scenarios.md):
 *   translate { addr, access: read|write|fetch, mode: user|kernel, size, cpu }
 *             the bare MMU on cpu 0 (or cpu): TLB then walk, A/D set like hardware;
 *             outcome pa (value) or fault (x86 error code).  addr may be
 *             a logical SEG:OFFSET (ds:0x1000, 0x2b:0x10): the segment
 *             step first, at the CPU's CPL (mode follows it), whose
 *             #GP/#SS/#NP is the outcome { gp|ss|np: CODE }
 *   pte       { addr, level: pte|pmd|pud|pgd, set: [..], clear: [..],
 *               flush: bool, expect: { set: [..], clear: [..] } }
 *             read or change one entry of addr's walk; bits by name (P RW
 *             US PWT PCD A D PS G NX) or bitN; outcome: the entry's value
 *   cpu       { wp, nxe, pse, smep, smap }   control-register bits, all CPUs
 * With `task`, translate runs on its CPU switched to the task (a CR3 load if
 * it was running something else, as a context switch does) and pte edits
 * the task's tables; without it they use the kernel's page tables.
 * Invariant: an op never changes a table entry unless the scenario asked,
 * and never flushes unless `flush: true`, so stale TLB entries can be
 * shown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "mmu/pgtable.h"
#include "phys/slab.h"
#include "scenario.h"
#include "vma/mm.h"
#include "vmsim/translate.h"
#include "walk_explain.h"

/* The task named by `task`, or NULL when absent (the kernel's tables). */
static int arg_task(struct scn *s, struct scn_step *st, struct task_struct **t)
{
	int ret = scn_arg_task(s, st, "task", false, t);

	return ret == 1 ? 0 : ret;
}

/* The root of the page tables the op works on: the task's or the kernel's. */
static uint64_t op_root(struct scn *s, const struct task_struct *t)
{
	return t ? task_pgd(t) : scn_machine(s)->vm.kernel_pgd;
}

/* `explain: true`: the walk level by level, read before A/D change. */
static void explain_walk(struct scn *s, const struct scn_step *st, const struct walk_levels *w,
			 const struct vmsim_translation *r, uint64_t va, enum vmsim_access acc,
			 enum vmsim_mode mode)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer *jw = scn_output(s);

	if (jw) {
		json_object_begin(jw);
		json_key(jw, "walk");
		walk_explain_json(jw, w);
		json_object_end(jw);
		return;
	}
	sb_printf(&sb, "# step %d: translate %#llx (%s %s), CR3 %#llx\n", st->index,
		  (unsigned long long)va, mode == VMSIM_MODE_USER ? "user" : "kernel",
		  acc == VMSIM_READ ? "read" : acc == VMSIM_WRITE ? "write" : "fetch",
		  (unsigned long long)r->cr3);
	walk_explain(&sb, w, r, va);
	if (!r->walk_ok && r->walk_fault == VMSIM_FAULT_PF)
		sb_printf(&sb, "  -> page fault, error code %#x at the %s\n", r->walk_error_code,
			  r->walk_fault_level);
	scn_print(s, sb_str(&sb));
	sb_free(&sb);
}

/* `addr` as a number or as SEG:OFFSET: 1 with *l when it names a
 * segment, 0 for a plain address, a scn_bad() code otherwise. */
static int arg_logical(struct scn *s, struct scn_step *st, struct logical_addr *l, uint64_t *off)
{
	const struct ynode *n = scn_arg(st, "addr");
	const char *rest;
	struct ynode tmp;
	int ret;

	if (!n)
		return scn_bad(s, st, st->args, "missing argument 'addr'");
	if (n->type != YNODE_SCALAR || n->scalar[0] == '$' ||
	    (ret = logical_prefix(n->scalar, l, &rest)) == 0)
		return scn_node_u64(s, st, n, off);
	if (ret < 0)
		return scn_bad(s, st, n, "'%s': SEG:OFFSET takes es, cs, ss, ds, fs, gs or a 16-bit "
			       "selector", n->scalar);
	tmp = *n;
	tmp.scalar = (char *)rest;
	ret = scn_node_u64(s, st, &tmp, off);
	return ret < 0 ? ret : 1;
}

/* `explain: true` of a logical address: the segment step as the API
 * handed it. */
static void explain_segment(struct scn *s, const struct scn_step *st,
			    const struct logical_addr *l, const struct vmsim_seg_step *ss)
{
	struct json_writer *jw = scn_output(s);
	char seg[16];

	if (jw) {
		json_object_begin(jw);
		json_key(jw, "segment");
		seg_explain_json(jw, ss);
		json_object_end(jw);
	} else {
		struct strbuf sb = STRBUF_INIT;

		logical_seg_str(l, seg, sizeof(seg));
		sb_printf(&sb, "# step %d: %s:%#llx, CPL %u\n", st->index, seg,
			  (unsigned long long)ss->offset, ss->cpl);
		seg_explain(&sb, ss);
		scn_print(s, sb_str(&sb));
		sb_free(&sb);
	}
}

/* The access kind or mode named by @key: the index of its word in @words
 * (*out unchanged when the argument is absent). */
static int arg_word(struct scn *s, struct scn_step *st, const char *key,
		    const char *const words[], const char *hint, int *out)
{
	const char *v = NULL;
	int ret = scn_arg_str(s, st, key, false, &v);

	if (ret < 0 || !v)
		return ret < 0 ? ret : 0;
	for (int i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0) {
			*out = i;
			return 0;
		}
	return scn_bad(s, st, scn_arg(st, key), "%s '%s': %s", key, v, hint);
}

static int op_translate(struct scn *s, struct scn_step *st)
{
	static const char *const accs[] = { "read", "write", "fetch", NULL };
	static const char *const modes[] = { "kernel", "user", NULL };
	struct vmsim_machine *m = scn_machine(s);
	struct walk_levels w = { 0 };
	struct vmsim_translate_opts o = { 0 };
	struct vmsim_translation r;
	struct vmsim_cpu *cpu;
	struct logical_addr l;
	struct task_struct *t;
	int ret, acc = 0, mode = -1;
	uint64_t va, size = 1, c = 0;
	bool explain = false, logical;

	_Static_assert(VMSIM_READ == 0 && VMSIM_WRITE == 1 && VMSIM_FETCH == 2 &&
		       VMSIM_MODE_KERNEL == 0 && VMSIM_MODE_USER == 1, "word order");
	if ((ret = scn_arg_bool(s, st, "explain", &explain)) < 0)
		return ret;
	if ((ret = arg_task(s, st, &t)) || (ret = arg_logical(s, st, &l, &va)) < 0)
		return ret < 0 ? ret : -EINVAL;
	logical = ret == 1;
	if ((ret = arg_word(s, st, "access", accs, "read, write or fetch", &acc)) < 0 ||
	    (ret = arg_word(s, st, "mode", modes, "user or kernel", &mode)) < 0 ||
	    (ret = scn_arg_u64(s, st, "size", false, &size)) < 0 ||
	    (ret = scn_arg_u64(s, st, "cpu", false, &c)) < 0)
		return ret;
	if (c >= m->nr_cpus)
		return scn_bad(s, st, scn_arg(st, "cpu"), "cpu %llu: the machine has %u CPU(s)",
			       (unsigned long long)c, m->nr_cpus);
	cpu = &m->cpus[c];
	if (size < 1 || size > 8)
		return scn_bad(s, st, scn_arg(st, "size"), "size %llu: 1 to 8 bytes",
			       (unsigned long long)size);
	if (logical && acc == VMSIM_FETCH && l.seg != VMSIM_SEG_CS && l.seg != VMSIM_SEG_SELECTOR)
		return scn_bad(s, st, scn_arg(st, "addr"), "an instruction fetch goes through cs");
	if (mode < 0)
		/* a logical address is translated at the CPU's privilege */
		mode = logical && seg_cpl(cpu) == 3 ? VMSIM_MODE_USER : VMSIM_MODE_KERNEL;
	else if (logical && (mode == VMSIM_MODE_USER) != (seg_cpl(cpu) == 3))
		return scn_bad(s, st, scn_arg(st, "mode"), "mode %s, but cpu %u runs at CPL %u "
			       "(CS %#x)", modes[mode], cpu->id, seg_cpl(cpu),
			       cpu->seg.sreg[VCPU_SREG_CS].selector);
	o.access = (enum vmsim_access)acc;
	o.mode = (enum vmsim_mode)mode;
	o.cpu = (unsigned)c;
	if (explain) {
		o.walk = walk_levels_add;
		o.arg = &w;
	}
	if (logical) {
		logical_opts(&l, &o, &w);
		o.size = (uint16_t)size;
	}
	/* a task's translation is the CPU running it */
	ret = vmsim_translate(m, (struct vmsim_task *)t, va, &o, &r);
	if (ret && ret != -EFAULT)
		return scn_bad(s, st, scn_arg(st, "addr"), "translate: %s", strerror(-ret));
	if (explain && logical && w.has_seg)
		explain_segment(s, st, &l, &w.seg);
	if (logical && w.has_seg && !w.seg.ok) {
		/* the segment step faulted: no walk */
		if (w.seg.vector == X86_TRAP_PF) {
			st->out.kind = OUT_FAULT;
			st->out.fault_code = w.seg.error_code;
		} else {
			st->out.kind = OUT_EXCEPTION;
			st->out.vector = w.seg.vector;
			st->out.fault_code = w.seg.error_code;
			snprintf(st->why, sizeof(st->why), "%s", w.seg.why);
		}
		return 0;
	}
	if (logical)
		va = w.seg.linear;
	if (explain)
		explain_walk(s, st, &w, &r, va, o.access, o.mode);
	if (!ret) {
		st->out.kind = OUT_VALUE;
		st->out.value = r.pa;
		st->out.has_pa = true;
		st->out.pa = r.pa;
	} else if (r.fault == VMSIM_FAULT_GP) {
		/* a non-canonical address raises #GP, not #PF */
		st->out.kind = OUT_ERROR;
		st->out.err = -EFAULT;
	} else {
		st->out.kind = OUT_FAULT;
		st->out.fault_code = r.error_code;
	}
	return 0;
}

/* Bits named in sequence @n into *mask. */
static int bit_list(struct scn *s, struct scn_step *st, const struct pt_format *f,
		    const struct ynode *n, uint64_t *mask)
{
	*mask = 0;
	if (!n)
		return 0;
	if (n->type == YNODE_SCALAR) {
		int b = pt_flag_bit(f, n->scalar);

		if (b < 0)
			goto bad;
		*mask = 1ULL << b;
		return 0;
	}
	if (n->type != YNODE_SEQ)
		return scn_bad(s, st, n, "a list of entry bits, e.g. [P, RW, US, NX, bit51]");
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		int b;

		if (it->type != YNODE_SCALAR || (b = pt_flag_bit(f, it->scalar)) < 0) {
			n = it;
			goto bad;
		}
		*mask |= 1ULL << b;
	}
	return 0;
bad:
	return scn_bad(s, st, n, "'%s' is not an entry bit of %s (P RW US PWT PCD A D PS G%s "
		       "or bitN, N < %u)", n->type == YNODE_SCALAR ? n->scalar : "?", f->name,
		       f->nx_bit ? " NX" : "", f->entry_size * 8);
}

static void bits_str(const struct pt_format *f, uint64_t mask, char *buf, size_t len)
{
	static const char *const names[9] = { "P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G" };
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned b = 0; b < f->entry_size * 8 && used < len; b++) {
		char tmp[16];
		const char *n = b < 9 ? names[b] : b == 63 && f->nx_bit ? "NX" : NULL;

		if (!(mask >> b & 1))
			continue;
		if (!n) {
			snprintf(tmp, sizeof(tmp), "bit%u", b);
			n = tmp;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", n);
	}
}

static int op_pte(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	const struct pt_ctx *pt = &m->pt;
	const struct pt_format *f = pt->fmt;
	const char *level = NULL;
	uint64_t va, set = 0, clear = 0, e, epa;
	bool flush = false;
	struct task_struct *t;
	struct pt_path p;
	unsigned depth;
	int ret;

	if ((ret = arg_task(s, st, &t)) ||
	    (ret = scn_arg_u64(s, st, "addr", true, &va)) < 0 ||
	    (ret = scn_arg_str(s, st, "level", false, &level)) < 0 ||
	    (ret = scn_arg_bool(s, st, "flush", &flush)) < 0 ||
	    (ret = bit_list(s, st, f, scn_arg(st, "set"), &set)) ||
	    (ret = bit_list(s, st, f, scn_arg(st, "clear"), &clear)))
		return ret < 0 ? ret : -EINVAL;
	if (set & clear)
		return scn_bad(s, st, scn_arg(st, "clear"), "a bit cannot be both set and cleared");

	pt_lookup(pt, op_root(s, t), va, &p);
	if (level) {
		int l = -1;

		for (int i = 0; i < PT_NR_LEVELS; i++)
			if (strcmp(level, pt_level_names[i]) == 0)
				l = i;
		if (l < 0)
			return scn_bad(s, st, scn_arg(st, "level"),
				       "level '%s': pte, pmd, pud, p4d or pgd", level);
		depth = (unsigned)f->depth_of[l];
		if (depth >= p.n) {
			/* the walk for addr stops above that level */
			st->out.kind = OUT_ERROR;
			st->out.err = -ENOENT;
			if (st->expect && st->expect->type == YNODE_MAP &&
			    (ymap_get(st->expect, "set") || ymap_get(st->expect, "clear"))) {
				scn_checked(s);
				scn_mismatch(s, st, "an entry", "no %s entry: the walk stops at the %s (%s)",
					     level, f->lvl[p.n - 1].name,
					     p.leaf ? "a large page" : "not present");
				st->expect_done = true;
			}
			return 0;
		}
	} else {
		depth = p.n - 1;	/* the leaf, or the entry where the walk stops */
	}
	epa = p.epa[depth];
	e = p.e[depth];
	if (set || clear) {
		if (frame_holds_host_structs(&m->pm, (unsigned long)(epa >> PAGE_SHIFT))) {
			/* a corrupted entry above made the walk read the
			 * simulator's own structures as a table: never written */
			scn_error(st, -EPERM);
			return 0;
		}
		e = (e | set) & ~clear;
		set_pte(pt, epa, e);
		/* an edited entry is a change --check must look at */
		if (t)
			mm_track_dirty(t->mm);
		kspace_mark_dirty(m);
		if (flush)
			for (unsigned c = 0; c < m->nr_cpus; c++)
				invlpg(&m->cpus[c], va);
	}
	st->out.kind = OUT_VALUE;
	st->out.value = e;

	/* expect: { set: [...], clear: [...] } is checked here */
	if (st->expect && st->expect->type == YNODE_MAP &&
	    (ymap_get(st->expect, "set") || ymap_get(st->expect, "clear"))) {
		uint64_t want_set = 0, want_clear = 0;
		char a[160], b[160], got[160];

		for (size_t i = 0; i < st->expect->n; i++) {
			const char *k = ymap_key(st->expect, i)->scalar;

			if (strcmp(k, "set") && strcmp(k, "clear"))
				return scn_bad(s, st, ymap_key(st->expect, i),
					       "pte expect takes set: and clear:, not '%s'", k);
		}
		if ((ret = bit_list(s, st, f, ymap_get(st->expect, "set"), &want_set)) ||
		    (ret = bit_list(s, st, f, ymap_get(st->expect, "clear"), &want_clear)))
			return ret;
		st->expect_done = true;
		scn_checked(s);
		if ((e & want_set) != want_set || (e & want_clear)) {
			bits_str(f, want_set, a, sizeof(a));
			bits_str(f, want_clear, b, sizeof(b));
			pt_flags_str(f, e, depth, got, sizeof(got));
			{
				char want[340];

				snprintf(want, sizeof(want), "set [%s] clear [%s]", a, b);
				scn_mismatch(s, st, want, "%s entry 0x%0*" PRIx64 " [%s]",
					     f->lvl[depth].name, (int)f->entry_size * 2, e, got);
			}
		}
	}
	return 0;
}

static int op_cpu(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	static const char *const keys[] = { "wp", "nxe", "pse", "smep", "smap" };
	bool v[5], given[5];
	int ret;

	if (st->args->type != YNODE_MAP || st->args->n == 0)
		return scn_bad(s, st, st->args, "cpu takes a mapping of wp, nxe, pse, smep, smap");
	for (unsigned i = 0; i < 5; i++) {
		ret = scn_arg_bool(s, st, keys[i], &v[i]);
		if (ret < 0)
			return ret;
		given[i] = ret == 0;
	}
	if (given[1] && v[1] && !m->cpus[0].fmt->nx_bit)
		return scn_bad(s, st, scn_arg(st, "nxe"), "x86_32 without PAE has no NX bit");
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct vmsim_cpu *cpu = &m->cpus[c];

		if (given[0])
			mmu_set_wp(cpu, v[0]);
		if (given[1])
			mmu_set_nxe(cpu, v[1]);
		if (given[2])
			mmu_set_pse(cpu, v[2]);
		if (given[3])
			mmu_set_smep(cpu, v[3]);
		if (given[4])
			mmu_set_smap(cpu, v[4]);
	}
	st->out.kind = OUT_NONE;
	return 0;
}

static const char *const translate_keys[] = { "task", "addr", "access", "mode", "explain", "size",
					       "cpu", NULL };
static const char *const pte_keys[] = { "task", "addr", "level", "set", "clear", "flush", NULL };
static const char *const cpu_keys[] = { "wp", "nxe", "pse", "smep", "smap", NULL };

const struct scn_op scn_ops_mmu[] = {
	{ "translate", op_translate, translate_keys },
	{ "pte", op_pte, pte_keys },
	{ "cpu", op_cpu, cpu_keys },
	{ NULL, NULL, NULL },
};
