/*
 * vmsim_translate() (include/vmsim/translate.h): one translation on a CPU
 * through a task's page tables or the kernel's, with the walk handed level
 * by level to a callback -- the one implementation behind `vmsim-cli
 * translate` and the scenario op translate.  A logical address first goes
 * through the segment step on the CPU's segment registers, handed whole
 * to its callback.
 * Invariant: the callback's walk is read with mmu_walk_peek(), which
 * changes nothing (no A/D bit, no TLB entry), before the translation
 * itself runs, so it shows the tables as the hardware found them.
 */
#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "mmu/segment.h"
#include "vmsim/translate.h"

static void level_of(const struct pt_format *f, const struct walk_trace *t, unsigned i,
		     struct vmsim_walk_level *lv)
{
	uint64_t e = t->lv[i].entry;
	unsigned depth = t->lv[i].depth;

	memset(lv, 0, sizeof(*lv));
	lv->depth = depth;
	lv->name = f->lvl[depth].name;
	lv->intel = f->lvl[depth].intel;
	lv->table = t->lv[i].table_pa;
	lv->index = t->lv[i].index;
	lv->entry_addr = t->lv[i].entry_pa;
	lv->entry = e;
	lv->entry_size = f->entry_size;
	pt_flags_str(f, e, depth, lv->flags, sizeof(lv->flags));
	/* a PTE the walk stopped at that holds a swap entry (neither none
	 * nor present): do_swap_page() is what the fault will run */
	if (depth == f->levels - 1U && is_swap_pte(e)) {
		lv->swap = 1;
		lv->swap_type = pt_pte_swp_type(f, e);
		lv->swap_offset = pt_pte_swp_offset(f, e);
		lv->swap_exclusive = pt_pte_swp_exclusive(f, e);
	}
}

static void fault_of(const struct pt_format *f, const struct vmsim_fault *pf,
		     enum vmsim_fault_kind *kind, uint32_t *code, const char **level)
{
	*kind = pf->gp ? VMSIM_FAULT_GP : VMSIM_FAULT_PF;
	*code = pf->gp ? 0 : pf->error_code;
	*level = pf->gp || pf->depth < 0 ? NULL : f->lvl[pf->depth].name;
}

/* The segment step of logical address @o->segment:@off on @cpu into @st
 * (the register's cache, or a selector value's descriptor loaded aside as
 * DS would load it): true with st->linear, or false with the fault. */
static bool segment_step(struct vmsim_cpu *cpu, const struct vmsim_translate_opts *o,
			 uint64_t off, struct vmsim_seg_step *st)
{
	struct segment seg;
	struct seg_trace tr = { 0 };
	struct seg_fault f = { 0 };
	enum seg_reg r;
	bool cached = true;

	memset(st, 0, sizeof(*st));
	st->offset = off;
	st->cpl = seg_cpl(cpu);
	st->long_mode = seg_64bit_mode(cpu);
	if (o->segment != VMSIM_SEG_SELECTOR) {
		r = (enum seg_reg)(o->segment - VMSIM_SEG_ES);
		seg = cpu->seg.sreg[r];
		st->selector = seg.selector;
	} else {
		/* a selector value's checks are those of the register the
		 * access would go through */
		r = o->access == VMSIM_FETCH ? VCPU_SREG_CS : VCPU_SREG_DS;
		st->selector_value = 1;
		st->selector = o->selector;
		cached = !load_segment(cpu, VCPU_SREG_DS, o->selector, true, &seg, &tr, &f);
	}
	st->reg = seg_reg_name[r];
	if (tr.read) {
		st->desc_read = 1;
		st->desc_addr = tr.desc_la;
		st->desc_pa = tr.desc_pa;
		st->desc = desc_u64(&tr.desc);
	}
	if (cached) {
		st->cached = 1;
		st->unusable = seg.unusable;
		st->base = seg.base;
		st->limit = seg.limit;
		st->type = seg.type;
		st->dpl = seg.dpl;
		st->s = seg.s;
		st->p = seg.p;
		st->db = seg.db;
		st->l = seg.l;
		st->g = seg.g;
		st->avl = seg.avl;
		st->ok = !seg_check_access(cpu, &seg, r, off, o->size ? o->size : 1U,
					   (int)o->access, &st->linear, &f);
	}
	if (!st->ok) {
		st->vector = f.vector;
		st->error_code = f.error_code;
		st->cr2 = f.cr2;
		st->why = f.why;
	}
	return st->ok;
}

/* The segment step's fault as the translation's. */
static void seg_fault_of(const struct vmsim_seg_step *st, struct vmsim_translation *r)
{
	r->fault = st->vector == X86_TRAP_PF ? VMSIM_FAULT_PF :
		   st->vector == X86_TRAP_SS ? VMSIM_FAULT_SS :
		   st->vector == X86_TRAP_NP ? VMSIM_FAULT_NP : VMSIM_FAULT_GP;
	r->error_code = st->error_code;
	r->fault_level = NULL;
}

/* Everything but the kernel-tables translation without a callback. */
static int __attribute__((noinline))
translate_full(struct vmsim_machine *m, struct task_struct *t, uint64_t va,
	       const struct vmsim_translate_opts *o, struct vmsim_translation *r)
{
	struct vmsim_cpu *cpu = &m->cpus[o->cpu];
	struct vmsim_fault pf;
	uint64_t root, pa = 0;
	bool ok;

	memset(r, 0, sizeof(*r));
	/* a task's translation is the CPU running it */
	if (t)
		context_switch(m, o->cpu, t);
	root = t ? task_pgd(t) : m->vm.kernel_pgd;
	r->cr3 = root;
	r->format = cpu->fmt->name;
	if (o->segment) {
		struct vmsim_seg_step st;
		bool sok = segment_step(cpu, o, va, &st);

		if (o->seg)
			o->seg(&st, o->arg);
		if (!sok) {
			seg_fault_of(&st, r);
			return -EFAULT;
		}
		va = st.linear;
	}
	if (o->walk) {
		struct walk_trace wt;
		struct walk_result wr;
		struct vmsim_walk_level lv;

		r->walk_ok = mmu_walk_peek(cpu, root, va, (enum mmu_access)o->access,
					   (enum mmu_mode)o->mode, &wr, &pf, &wt);
		for (unsigned i = 0; i < wt.n; i++) {
			level_of(cpu->fmt, &wt, i, &lv);
			o->walk(&lv, o->arg);
		}
		if (r->walk_ok) {
			r->page_pa = wr.page_pa;
			r->page_shift = wr.shift;
		} else {
			fault_of(cpu->fmt, &pf, &r->walk_fault, &r->walk_error_code,
				 &r->walk_fault_level);
		}
	}
	if (cpu->cr3 == root) {
		ok = translate(cpu, va, (enum mmu_access)o->access, (enum mmu_mode)o->mode, &pa, &pf);
	} else {
		/* the CPU runs other tables: walk these ones without its TLB */
		struct walk_result wr;

		ok = mmu_walk(cpu, root, va, (enum mmu_access)o->access, (enum mmu_mode)o->mode,
			      &wr, &pf, NULL);
		pa = wr.pa;
	}
	if (ok) {
		r->pa = pa;
		return 0;
	}
	fault_of(cpu->fmt, &pf, &r->fault, &r->error_code, &r->fault_level);
	return -EFAULT;
}

int vmsim_translate(struct vmsim_machine *m, struct vmsim_task *vt, uint64_t va,
		    const struct vmsim_translate_opts *o, struct vmsim_translation *r)
{
	static const struct vmsim_translate_opts defaults;
	struct task_struct *t = (struct task_struct *)vt;
	const uint64_t *z;
	struct vmsim_cpu *cpu;
	struct vmsim_fault pf;
	uint64_t pa;

	_Static_assert((int)VMSIM_MODE_KERNEL == (int)MMU_KERNEL &&
		       (int)VMSIM_MODE_USER == (int)MMU_USER, "modes");
	if (!o)
		o = &defaults;
	z = o->reserved;
	if (__builtin_expect(!m || !r || o->cpu >= m->nr_cpus || (unsigned)o->access > VMSIM_FETCH ||
			     (unsigned)o->mode > VMSIM_MODE_USER || (t && t->mm->vm != &m->vm) ||
			     (z[0] | z[1] | z[2] | z[3]), 0))
		return -EINVAL;
	_Static_assert(sizeof(o->reserved) == 4 * sizeof(uint64_t), "reserved words");
	_Static_assert(sizeof(o->seg_word) == sizeof(uint64_t), "the callback's word");
	cpu = &m->cpus[o->cpu];
	if (__builtin_expect(o->segment || o->selector || o->size || o->seg_word, 0)) {
		/* a logical address: at the CPL, one access of 1 to 8 bytes,
		 * an instruction fetch only through CS */
		if ((unsigned)o->segment > VMSIM_SEG_SELECTOR || o->size > 8 ||
		    (o->selector && o->segment != VMSIM_SEG_SELECTOR) ||
		    (o->segment == VMSIM_SEG_NONE) ||
		    (o->access == VMSIM_FETCH && o->segment != VMSIM_SEG_CS &&
		     o->segment != VMSIM_SEG_SELECTOR) ||
		    (o->mode == VMSIM_MODE_USER) != (seg_cpl(cpu) == 3))
			return -EINVAL;
		_Static_assert(VMSIM_SEG_CS - VMSIM_SEG_ES == VCPU_SREG_CS &&
			       VMSIM_SEG_GS - VMSIM_SEG_ES == VCPU_SREG_GS, "segment registers");
		return translate_full(m, t, va, o, r);
	}
	if (__builtin_expect(t || o->walk || cpu->cr3 != m->vm.kernel_pgd, 0))
		return translate_full(m, t, va, o, r);
	/* the kernel's tables on the CPU that runs them, no callback: the
	 * TLB hit path, the result written field by field */
	if (__builtin_expect(translate(cpu, va, (enum mmu_access)o->access, (enum mmu_mode)o->mode,
				       &pa, &pf), 1)) {
		*r = (struct vmsim_translation){ .pa = pa, .cr3 = cpu->cr3,
						 .format = cpu->fmt->name };
		return 0;
	}
	*r = (struct vmsim_translation){ .cr3 = cpu->cr3, .format = cpu->fmt->name };
	fault_of(cpu->fmt, &pf, &r->fault, &r->error_code, &r->fault_level);
	return -EFAULT;
}
