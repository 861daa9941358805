/*
 * Segmentation as the SDM (vol. 3 ch. 3 and 5, vol. 2 MOV/RET/LLDT)
 * describes it: selector loads that read descriptors from the GDT/LDT in
 * simulated RAM, the checks of each load, and the limit/type checks of
 * each access that turn SEG:OFFSET into a linear address.
 *
 * Invariant: a register's hidden cache only ever changes on a load whose
 * every check passed; a descriptor is input like any RAM byte (a table
 * limit, type, present bit or canonical base that is wrong raises the
 * fault the hardware raises, never more), and reading a table goes through
 * paging as a supervisor access, so an unmapped table is a #PF.
 */
#include "mmu/segment.h"

#include <string.h>

#include "mmu/mmu.h"
#include "phys/mmzone.h"

const char *const seg_reg_name[NR_SREGS] = { "es", "cs", "ss", "ds", "fs", "gs" };

int seg_reg_from_name(const char *name)
{
	for (int i = 0; i < NR_SREGS; i++)
		if (strcmp(name, seg_reg_name[i]) == 0)
			return i;
	return -1;
}

const char *seg_fault_name(unsigned vector)
{
	switch (vector) {
	case X86_TRAP_NP:
		return "#NP";
	case X86_TRAP_SS:
		return "#SS";
	case X86_TRAP_GP:
		return "#GP";
	default:
		return "#PF";
	}
}

unsigned seg_cpl(const struct vmsim_cpu *cpu)
{
	return cpu->seg.sreg[VCPU_SREG_CS].selector & SEGMENT_RPL_MASK;
}

bool seg_64bit_mode(const struct vmsim_cpu *cpu)
{
	return cpu->seg.lma && cpu->seg.sreg[VCPU_SREG_CS].l;
}

static bool canonical(const struct vmsim_cpu *cpu, uint64_t la)
{
	const unsigned sh = (unsigned)__builtin_clzll(cpu->va_mask);	/* 64 - va_bits */

	return (uint64_t)((int64_t)(la << sh) >> sh) == la;
}

/* Raise @vector with @code; always -1. */
static int raise(struct seg_fault *f, unsigned vector, uint32_t code, const char *why)
{
	f->vector = vector;
	f->error_code = code;
	f->cr2 = 0;
	f->why = why;
	return -1;
}

/* The error code of a fault about selector @sel: index and TI, with EXT
 * and IDT clear (the RPL bits are not part of it). */
static uint32_t sel_code(uint16_t sel)
{
	return sel & 0xfffc;
}

/* A flat cache: base 0, 4 GiB, the given type and DPL (what SYSCALL and
 * SYSENTER load, and the boot state). */
static void flat_segment(struct segment *s, uint16_t sel, unsigned type, unsigned dpl, bool l)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = (uint8_t)type;
	s->dpl = (uint8_t)dpl;
	s->s = s->p = s->g = true;
	s->l = l;
	s->db = !l;
}

void seg_reset(struct vmsim_cpu *cpu)
{
	struct seg_state *st = &cpu->seg;

	memset(st, 0, sizeof(*st));
	st->lma = cpu->fmt->va_bits > 32;
	for (int r = 0; r < NR_SREGS; r++)
		flat_segment(&st->sreg[r], 0, r == VCPU_SREG_CS ? 0xb : 0x3, 0,
			     r == VCPU_SREG_CS && st->lma);
	st->ldtr.unusable = true;
}

void seg_lgdt(struct vmsim_cpu *cpu, uint64_t address, uint16_t size)
{
	cpu->seg.gdtr.address = cpu->seg.lma ? address : address & 0xffffffff;
	cpu->seg.gdtr.size = size;
}

/*
 * The physical address of linear @la for a supervisor access, or -1 with
 * a #PF in *f.  A read walks without side effects (no A bits, no TLB
 * fill, no walk statistics): the model keeps descriptor-table reads out
 * of the TLB so that segment loads leave the paging numbers as they
 * were.  A write (the accessed bit) is a real walk that sets A/D.
 */
static int desc_pa(struct vmsim_cpu *cpu, uint64_t la, bool write, uint64_t *pa,
		   struct seg_fault *f)
{
	struct walk_result r;
	struct vmsim_fault pf;
	bool ok;

	if (write)
		ok = mmu_walk(cpu, cpu->cr3, la, MMU_WRITE, MMU_KERNEL, &r, &pf, NULL);
	else
		ok = mmu_walk_peek(cpu, cpu->cr3, la, MMU_READ, MMU_KERNEL, &r, &pf, NULL);
	if (ok) {
		*pa = r.pa;
		return 0;
	}
	if (pf.gp)
		return raise(f, X86_TRAP_GP, 0, "descriptor table at a non-canonical address");
	raise(f, X86_TRAP_PF, pf.error_code, "descriptor table not mapped");
	f->cr2 = la;
	return -1;
}

/* Read the 8 bytes at linear @la (they may straddle a page); bytes past
 * the end of RAM read as ones, as the bus returns them. */
static int read_desc_bytes(struct vmsim_cpu *cpu, uint64_t la, struct desc_struct *d,
			   uint64_t *first_pa, struct seg_fault *f)
{
	uint8_t b[8];
	uint64_t pa = 0;

	for (unsigned i = 0; i < 8; i++) {
		const uint8_t *p;

		if ((i == 0 || ((la + i) & 0xfff) == 0) &&
		    desc_pa(cpu, la + i, false, &pa, f))
			return -1;
		if (i == 0)
			*first_pa = pa;
		else if (((la + i) & 0xfff) != 0)
			pa++;
		p = phys_to_host_range(cpu->pm, pa, 1);
		b[i] = p ? *p : 0xff;
	}
	d->a = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	d->b = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24;
	return 0;
}

/* The linear address of the table entry @index (8-byte units) of @sel's
 * table, or -1 with #GP(sel) when it lies beyond the table's limit. */
static int desc_la(const struct vmsim_cpu *cpu, uint16_t sel, unsigned index, uint64_t *la,
		   uint64_t *table, struct seg_fault *f)
{
	uint64_t base, limit;

	if (sel & SEGMENT_TI_MASK) {
		if (cpu->seg.ldtr.unusable)
			return raise(f, X86_TRAP_GP, sel_code(sel), "LDT selector with no LDT loaded");
		base = cpu->seg.ldtr.base;
		limit = cpu->seg.ldtr.limit;
	} else {
		base = cpu->seg.gdtr.address;
		limit = cpu->seg.gdtr.size;
	}
	if ((uint64_t)index * 8 + 7 > limit)
		return raise(f, X86_TRAP_GP, sel_code(sel), "selector beyond the table's limit");
	*table = base;
	*la = base + (uint64_t)index * 8;
	if (!cpu->seg.lma)
		*la &= 0xffffffff;
	return 0;
}

int seg_read_desc(struct vmsim_cpu *cpu, uint16_t sel, struct desc_struct *d,
		  struct seg_trace *t, struct seg_fault *f)
{
	struct seg_trace tmp;
	uint64_t la, table;

	if (!t)
		t = &tmp;
	memset(t, 0, sizeof(*t));
	if (desc_la(cpu, sel, sel >> SEGMENT_INDEX_SHIFT, &la, &table, f))
		return -1;
	t->table = table;
	t->desc_la = la;
	if (read_desc_bytes(cpu, la, d, &t->desc_pa, f))
		return -1;
	t->read = true;
	t->desc = *d;
	return 0;
}

/* The hidden cache a descriptor loads. */
static void desc_to_segment(const struct desc_struct *d, uint16_t sel, struct segment *s)
{
	uint32_t limit = get_desc_limit(d);

	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = get_desc_base(d);
	s->limit = desc_g(d) ? limit << 12 | 0xfff : limit;
	s->type = (uint8_t)desc_type(d);
	s->dpl = (uint8_t)desc_dpl(d);
	s->s = desc_s(d);
	s->p = desc_p(d);
	s->db = desc_d(d);
	s->l = desc_l(d);
	s->g = desc_g(d);
	s->avl = desc_avl(d);
}

/* The CPU sets a code/data descriptor's accessed bit when it loads it (a
 * locked write of the type byte: a read-only mapping of the table makes
 * it a #PF, which is why Linux's GDT has every accessed bit set). */
static int set_accessed(struct vmsim_cpu *cpu, const struct seg_trace *t, struct seg_fault *f)
{
	uint64_t pa;
	uint8_t *p;

	if (!desc_s(&t->desc) || (desc_type(&t->desc) & SEG_TYPE_ACCESSED))
		return 0;
	if (desc_pa(cpu, t->desc_la + 5, true, &pa, f)) {
		f->error_code |= X86_PF_WRITE;
		return -1;
	}
	p = phys_to_host_range(cpu->pm, pa, 1);
	if (p)
		*p |= SEG_TYPE_ACCESSED;
	return 0;
}

static bool is_null(uint16_t sel)
{
	return (sel & ~SEGMENT_RPL_MASK) == 0;
}

static bool writable_data(const struct desc_struct *d)
{
	return desc_s(d) && !(desc_type(d) & SEG_TYPE_CODE) && (desc_type(d) & SEG_TYPE_WRITABLE);
}

/* The SS checks of a load at privilege @cpl (MOV SS, or the SS of a far
 * return that changes the level). */
static int check_ss(uint16_t sel, const struct desc_struct *d, unsigned cpl, struct seg_fault *f)
{
	if ((sel & SEGMENT_RPL_MASK) != cpl)
		return raise(f, X86_TRAP_GP, sel_code(sel), "SS selector's RPL is not CPL");
	if (!writable_data(d))
		return raise(f, X86_TRAP_GP, sel_code(sel), "SS is not a writable data segment");
	if (desc_dpl(d) != cpl)
		return raise(f, X86_TRAP_GP, sel_code(sel), "SS descriptor's DPL is not CPL");
	if (!desc_p(d))
		return raise(f, X86_TRAP_SS, sel_code(sel), "SS segment not present");
	return 0;
}

int load_segment(struct vmsim_cpu *cpu, enum seg_reg r, uint16_t sel, bool peek,
		 struct segment *out, struct seg_trace *t, struct seg_fault *f)
{
	const unsigned cpl = seg_cpl(cpu), rpl = sel & SEGMENT_RPL_MASK;
	struct seg_trace tmp;
	struct desc_struct d;
	struct segment s;

	if (!t)
		t = &tmp;
	memset(t, 0, sizeof(*t));
	if (r == VCPU_SREG_CS)
		return raise(f, X86_TRAP_GP, 0, "CS is loaded by a far transfer, not MOV");
	if (is_null(sel)) {
		if (r == VCPU_SREG_SS && !(seg_64bit_mode(cpu) && cpl < 3 && rpl == cpl))
			return raise(f, X86_TRAP_GP, 0, "null selector into SS");
		/* usable nowhere but 64-bit mode; base 0 (Intel clears it) */
		memset(&s, 0, sizeof(s));
		s.selector = sel;
		s.unusable = true;
		s.dpl = (uint8_t)cpl;
		goto load;
	}
	if (seg_read_desc(cpu, sel, &d, t, f))
		return -1;
	if (r == VCPU_SREG_SS) {
		if (check_ss(sel, &d, cpl, f))
			return -1;
	} else {
		unsigned type = desc_type(&d);

		if (!desc_s(&d) || ((type & SEG_TYPE_CODE) && !(type & SEG_TYPE_READABLE)))
			return raise(f, X86_TRAP_GP, sel_code(sel),
				     "not a data or readable code segment");
		if ((!(type & SEG_TYPE_CODE) || !(type & SEG_TYPE_CONFORMING)) &&
		    (rpl > desc_dpl(&d) || cpl > desc_dpl(&d)))
			return raise(f, X86_TRAP_GP, sel_code(sel), "RPL or CPL above the DPL");
		if (!desc_p(&d))
			return raise(f, X86_TRAP_NP, sel_code(sel), "segment not present");
	}
	desc_to_segment(&d, sel, &s);
	if (!peek && set_accessed(cpu, t, f))
		return -1;
	s.type |= SEG_TYPE_ACCESSED;
load:
	if (out)
		*out = s;
	else if (!peek)
		cpu->seg.sreg[r] = s;
	return 0;
}

int seg_far_return(struct vmsim_cpu *cpu, uint16_t cs, uint16_t ss, struct seg_fault *f)
{
	const unsigned cpl = seg_cpl(cpu), rpl = cs & SEGMENT_RPL_MASK;
	struct seg_trace tc, ts;
	struct desc_struct dc, ds;
	struct segment ncs, nss;
	unsigned type;

	if (is_null(cs))
		return raise(f, X86_TRAP_GP, 0, "null CS selector");
	if (seg_read_desc(cpu, cs, &dc, &tc, f))
		return -1;
	type = desc_type(&dc);
	if (rpl < cpl)
		return raise(f, X86_TRAP_GP, sel_code(cs), "return to an inner privilege level");
	if (!desc_s(&dc) || !(type & SEG_TYPE_CODE))
		return raise(f, X86_TRAP_GP, sel_code(cs), "CS is not a code segment");
	if ((type & SEG_TYPE_CONFORMING) ? desc_dpl(&dc) > rpl : desc_dpl(&dc) != rpl)
		return raise(f, X86_TRAP_GP, sel_code(cs), "CS descriptor's DPL does not match RPL");
	if (cpu->seg.lma && desc_l(&dc) && desc_d(&dc))
		return raise(f, X86_TRAP_GP, sel_code(cs), "CS with both L and D set");
	if (!desc_p(&dc))
		return raise(f, X86_TRAP_NP, sel_code(cs), "CS segment not present");
	desc_to_segment(&dc, cs, &ncs);
	if (rpl > cpl) {
		if (is_null(ss)) {
			/* a 64-bit return below CPL 3 may leave SS null */
			if (!(cpu->seg.lma && ncs.l && rpl < 3 && (ss & SEGMENT_RPL_MASK) == rpl))
				return raise(f, X86_TRAP_GP, 0, "null selector into SS");
			memset(&nss, 0, sizeof(nss));
			nss.selector = ss;
			nss.unusable = true;
			nss.dpl = (uint8_t)rpl;
		} else {
			if (seg_read_desc(cpu, ss, &ds, &ts, f) || check_ss(ss, &ds, rpl, f))
				return -1;
			desc_to_segment(&ds, ss, &nss);
			if (set_accessed(cpu, &ts, f))
				return -1;
			nss.type |= SEG_TYPE_ACCESSED;
		}
	}
	if (set_accessed(cpu, &tc, f))
		return -1;
	ncs.type |= SEG_TYPE_ACCESSED;
	cpu->seg.sreg[VCPU_SREG_CS] = ncs;
	if (rpl > cpl) {
		cpu->seg.sreg[VCPU_SREG_SS] = nss;
		/* data segments the outer level may not use are nulled */
		for (int r = 0; r < NR_SREGS; r++) {
			struct segment *s = &cpu->seg.sreg[r];

			if (r == VCPU_SREG_CS || r == VCPU_SREG_SS || s->unusable)
				continue;
			if ((!(s->type & SEG_TYPE_CODE) || !(s->type & SEG_TYPE_CONFORMING)) &&
			    s->dpl < rpl) {
				s->selector = 0;
				s->unusable = true;
			}
		}
	}
	return 0;
}

void seg_syscall(struct vmsim_cpu *cpu, uint16_t kernel_cs)
{
	struct seg_state *st = &cpu->seg;

	flat_segment(&st->sreg[VCPU_SREG_CS], kernel_cs & 0xfffc, 0xb, 0, st->lma);
	flat_segment(&st->sreg[VCPU_SREG_SS], (kernel_cs + 8) & 0xfffc, 0x3, 0, false);
}

int seg_lldt(struct vmsim_cpu *cpu, uint16_t sel, struct seg_fault *f)
{
	struct desc_struct d, hi;
	struct seg_trace t;
	struct segment s;

	if (seg_cpl(cpu) != 0)
		return raise(f, X86_TRAP_GP, 0, "LLDT at CPL > 0");
	if (is_null(sel)) {
		memset(&cpu->seg.ldtr, 0, sizeof(cpu->seg.ldtr));
		cpu->seg.ldtr.selector = sel;
		cpu->seg.ldtr.unusable = true;
		return 0;
	}
	if (sel & SEGMENT_TI_MASK)
		return raise(f, X86_TRAP_GP, sel_code(sel), "LDT selector must name the GDT");
	if (seg_read_desc(cpu, sel, &d, &t, f))
		return -1;
	if (desc_s(&d) || desc_type(&d) != DESC_LDT)
		return raise(f, X86_TRAP_GP, sel_code(sel), "not an LDT descriptor");
	if (!desc_p(&d))
		return raise(f, X86_TRAP_NP, sel_code(sel), "LDT segment not present");
	desc_to_segment(&d, sel, &s);
	if (cpu->seg.lma) {
		/* struct ldttss_desc: base 63..32 in the next 8 bytes, whose
		 * type field must be 0 */
		uint64_t la, table, pa;

		if (desc_la(cpu, sel, (sel >> SEGMENT_INDEX_SHIFT) + 1u, &la, &table, f) ||
		    read_desc_bytes(cpu, la, &hi, &pa, f))
			return -1;
		if (hi.b >> 8 & 0x1f)
			return raise(f, X86_TRAP_GP, sel_code(sel),
				     "upper half of a 16-byte descriptor has a type");
		s.base |= (uint64_t)hi.a << 32;
		if (!canonical(cpu, s.base))
			return raise(f, X86_TRAP_GP, sel_code(sel), "LDT base not canonical");
	}
	cpu->seg.ldtr = s;
	return 0;
}

int seg_write_base_msr(struct vmsim_cpu *cpu, enum seg_reg r, uint64_t base,
		       struct seg_fault *f)
{
	if (!cpu->seg.lma || (r != VCPU_SREG_FS && r != VCPU_SREG_GS))
		return raise(f, X86_TRAP_GP, 0, "no such MSR outside long mode");
	if (!canonical(cpu, base))
		return raise(f, X86_TRAP_GP, 0, "WRMSR of a non-canonical base");
	cpu->seg.sreg[r].base = base;
	return 0;
}

int seg_check_access(const struct vmsim_cpu *cpu, const struct segment *s, enum seg_reg r,
		     uint64_t off, unsigned size, int acc, uint64_t *la, struct seg_fault *f)
{
	const unsigned vec = r == VCPU_SREG_SS ? X86_TRAP_SS : X86_TRAP_GP;
	const uint64_t last = off + (size ? size : 1) - 1;
	const unsigned type = s->type;

	if (seg_64bit_mode(cpu)) {
		/* no limit or type checks; only FS and GS have a base */
		*la = off + (r == VCPU_SREG_FS || r == VCPU_SREG_GS ? s->base : 0);
		if (!canonical(cpu, *la) || !canonical(cpu, *la + (last - off)))
			return raise(f, vec, 0, "non-canonical linear address");
		return 0;
	}
	if (off > 0xffffffff)
		return raise(f, vec, 0, "offset wider than 32 bits");
	if (s->unusable)
		return raise(f, vec, 0, "access through a null selector");
	if (acc == MMU_WRITE && ((type & SEG_TYPE_CODE) || !(type & SEG_TYPE_WRITABLE)))
		return raise(f, vec, 0, (type & SEG_TYPE_CODE) ? "write to a code segment"
							      : "write to a read-only data segment");
	if (acc == MMU_READ && (type & SEG_TYPE_CODE) && !(type & SEG_TYPE_READABLE))
		return raise(f, vec, 0, "read of an execute-only code segment");
	if (acc == MMU_FETCH && !(type & SEG_TYPE_CODE))
		return raise(f, vec, 0, "fetch from a data segment");
	if (!(type & SEG_TYPE_CODE) && (type & SEG_TYPE_EXPAND_DOWN)) {
		/* valid offsets: limit + 1 .. 0xffff (B = 0) or 0xffffffff */
		const uint64_t upper = s->db ? 0xffffffff : 0xffff;

		if (off <= s->limit || last > upper)
			return raise(f, vec, 0, "outside an expand-down segment's range");
	} else if (last > s->limit) {
		return raise(f, vec, 0, "beyond the segment limit");
	}
	*la = (s->base + off) & 0xffffffff;
	return 0;
}

int seg_translate(const struct vmsim_cpu *cpu, enum seg_reg r, uint64_t off, unsigned size,
		  int acc, uint64_t *la, struct seg_fault *f)
{
	return seg_check_access(cpu, &cpu->seg.sreg[r], r, off, size, acc, la, f);
}
