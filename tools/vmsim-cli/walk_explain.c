/* A page walk explained (see walk_explain.h). */
#include "walk_explain.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/views.h"
#include "util/parse.h"

void fault_bits_str(uint32_t code, char *buf, size_t len)
{
	static const char *const names[] = { "P", "W", "U", "RSVD", "I", "PK" };
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 6; i++)
		if (code >> i & 1)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i]);
}

void fault_json(struct json_writer *jw, const struct pt_format *f, const struct vmsim_fault *fault)
{
	char bits[64];

	json_object_begin(jw);
	if (fault->gp) {
		json_key_str(jw, "vector", "#GP");
		json_key_str(jw, "reason", "non-canonical address");
	} else {
		fault_bits_str(fault->error_code, bits, sizeof(bits));
		json_key_str(jw, "vector", "#PF");
		json_key_u64(jw, "error_code", fault->error_code);
		json_key(jw, "bits");
		json_words(jw, bits);
		json_key_str(jw, "level", f->lvl[fault->depth].name);
	}
	json_object_end(jw);
}

/* A PTE the walk stopped at that holds a swap entry (neither none nor
 * present): do_swap_page() is what the fault will run. */
static bool swap_pte(const struct pt_format *f, unsigned depth, uint64_t e)
{
	return depth == f->levels - 1U && is_swap_pte(e);
}

void walk_explain_json(struct json_writer *jw, const struct pt_format *f,
		       const struct walk_trace *t)
{
	char buf[96];

	json_array_begin(jw);
	for (unsigned i = 0; i < t->n; i++) {
		pt_flags_str(f, t->lv[i].entry, t->lv[i].depth, buf, sizeof(buf));
		json_object_begin(jw);
		json_key_str(jw, "level", f->lvl[t->lv[i].depth].name);
		json_key_hex(jw, "table", t->lv[i].table_pa);
		json_key_u64(jw, "index", t->lv[i].index);
		json_key_hex(jw, "entry_addr", t->lv[i].entry_pa);
		json_key_hex(jw, "entry", t->lv[i].entry);
		json_key(jw, "flags");
		json_words(jw, buf);
		if (swap_pte(f, t->lv[i].depth, t->lv[i].entry)) {
			json_key(jw, "swap");
			json_object_begin(jw);
			json_key_u64(jw, "type", pt_pte_swp_type(f, t->lv[i].entry));
			json_key_u64(jw, "offset", pt_pte_swp_offset(f, t->lv[i].entry));
			json_key_bool(jw, "exclusive", pt_pte_swp_exclusive(f, t->lv[i].entry));
			json_object_end(jw);
		}
		json_object_end(jw);
	}
	json_array_end(jw);
}

void walk_explain(struct strbuf *sb, const struct pt_format *f, const struct walk_trace *t,
		  bool ok, const struct walk_result *wr, uint64_t va)
{
	char buf[96];

	for (unsigned i = 0; i < t->n; i++) {
		const struct pt_level_desc *l = &f->lvl[t->lv[i].depth];

		if (swap_pte(f, t->lv[i].depth, t->lv[i].entry))
			snprintf(buf, sizeof(buf), "(not present: swap entry %u:%#" PRIx64 "%s)",
				 pt_pte_swp_type(f, t->lv[i].entry),
				 pt_pte_swp_offset(f, t->lv[i].entry),
				 pt_pte_swp_exclusive(f, t->lv[i].entry) ? ", exclusive" : "");
		else
			pt_flags_str(f, t->lv[i].entry, t->lv[i].depth, buf, sizeof(buf));
		sb_printf(sb, "  %-3s (%-5s) table %#" PRIx64 " [%3u] entry @%#" PRIx64 " = %0*" PRIx64
			  "  %s\n", l->name, l->intel, t->lv[i].table_pa, t->lv[i].index,
			  t->lv[i].entry_pa, (int)f->entry_size * 2, t->lv[i].entry,
			  buf[0] ? buf : "(not present)");
	}
	if (ok)
		sb_printf(sb, "  %s page at %#" PRIx64 " + offset %#" PRIx64 "\n",
			  wr->shift == 12 ? "4 KiB" : wr->shift == 21 ? "2 MiB" :
			  wr->shift == 22 ? "4 MiB" : "1 GiB", wr->page_pa,
			  (uint64_t)(va & ((1ULL << wr->shift) - 1)));
}

/* ---- the segment step ---- */

int logical_prefix(const char *text, struct logical_addr *l, const char **rest)
{
	const char *colon = strchr(text, ':');
	char seg[16];
	uint64_t v;
	int r;

	*rest = text;
	if (!colon)
		return 0;
	if ((size_t)(colon - text) >= sizeof(seg))
		return -1;
	memcpy(seg, text, (size_t)(colon - text));
	seg[colon - text] = '\0';
	*rest = colon + 1;
	r = seg_reg_from_name(seg);
	if (r >= 0) {
		l->sreg = r;
		l->selector = 0;
		return 1;
	}
	if (parse_u64(seg, &v) || v > 0xffff)
		return -1;
	l->sreg = -1;
	l->selector = (uint16_t)v;
	return 1;
}

void logical_seg_str(const struct logical_addr *l, char *buf, size_t len)
{
	if (l->sreg >= 0)
		snprintf(buf, len, "%s", seg_reg_name[l->sreg]);
	else
		snprintf(buf, len, "%#x", l->selector);
}

bool seg_step_run(struct vmsim_cpu *cpu, const struct logical_addr *l, uint64_t off,
		  unsigned size, enum mmu_access acc, struct seg_step *out)
{
	memset(out, 0, sizeof(*out));
	out->in = *l;
	out->off = off;
	if (l->sreg >= 0) {
		out->r = (enum seg_reg)l->sreg;
		out->seg = cpu->seg.sreg[out->r];
	} else {
		out->r = acc == MMU_FETCH ? VCPU_SREG_CS : VCPU_SREG_DS;
		if (load_segment(cpu, VCPU_SREG_DS, l->selector, true, &out->seg, &out->trace,
				 &out->fault))
			return false;
	}
	out->cached = true;
	out->ok = !seg_check_access(cpu, &out->seg, out->r, off, size, (int)acc, &out->linear,
				    &out->fault);
	return out->ok;
}

void seg_fault_str(const struct seg_fault *f, char *buf, size_t len)
{
	if (f->vector == X86_TRAP_PF)
		snprintf(buf, len, "#PF(%#x) at %#" PRIx64, f->error_code, f->cr2);
	else
		snprintf(buf, len, "%s(%#x)", seg_fault_name(f->vector), f->error_code);
}

void seg_fault_json(struct json_writer *jw, const struct seg_fault *f)
{
	json_object_begin(jw);
	json_key_str(jw, "vector", seg_fault_name(f->vector));
	json_key_u64(jw, "error_code", f->error_code);
	json_key_str(jw, "reason", f->why);
	json_object_end(jw);
}

/* "data read/write, expand-down, accessed" */
static void seg_type_str(const struct segment *s, char *buf, size_t len)
{
	const unsigned t = s->type;

	if (!s->s)
		snprintf(buf, len, "system type %#x", t);
	else if (t & SEG_TYPE_CODE)
		snprintf(buf, len, "code %s%s%s", t & SEG_TYPE_READABLE ? "execute/read" : "execute-only",
			 t & SEG_TYPE_CONFORMING ? ", conforming" : "",
			 t & SEG_TYPE_ACCESSED ? ", accessed" : "");
	else
		snprintf(buf, len, "data %s%s%s", t & SEG_TYPE_WRITABLE ? "read/write" : "read-only",
			 t & SEG_TYPE_EXPAND_DOWN ? ", expand-down" : "",
			 t & SEG_TYPE_ACCESSED ? ", accessed" : "");
}

void seg_explain(struct strbuf *sb, const struct vmsim_cpu *cpu, const struct seg_step *s)
{
	const struct segment *c = &s->seg;
	const uint16_t sel = s->in.sreg >= 0 ? c->selector : s->in.selector;
	char buf[96];

	if (s->in.sreg >= 0)
		sb_printf(sb, "  segment %s = 0x%04x", seg_reg_name[s->r], sel);
	else
		sb_printf(sb, "  selector 0x%04x (checked as a load of DS at CPL %u)", sel, seg_cpl(cpu));
	sb_printf(sb, ": index %u, %s, RPL %u\n", sel >> 3, sel & SEGMENT_TI_MASK ? "LDT" : "GDT",
		  sel & SEGMENT_RPL_MASK);
	if (s->trace.read)
		sb_printf(sb, "    descriptor @%#" PRIx64 " (pa %#" PRIx64 ") = %016" PRIx64 "\n",
			  s->trace.desc_la, s->trace.desc_pa, desc_u64(&s->trace.desc));
	if (!s->cached) {
		/* nothing else to say */
	} else if (c->unusable) {
		sb_puts(sb, "    null selector: unusable\n");
	} else {
		seg_type_str(c, buf, sizeof(buf));
		sb_printf(sb, "    base %#" PRIx64 " limit %#x (G=%d) %s, DPL %u P=%d D/B=%d L=%d AVL=%d\n",
			  c->base, c->limit, c->g, buf, c->dpl, c->p, c->db, c->l, c->avl);
	}
	if (s->cached && seg_64bit_mode(cpu))
		sb_printf(sb, "    64-bit mode: %s, no limit check\n",
			  s->r == VCPU_SREG_FS || s->r == VCPU_SREG_GS ? "the MSR base" : "base 0");
	if (s->ok) {
		sb_printf(sb, "    offset %#" PRIx64 " -> linear %#" PRIx64 "\n", s->off, s->linear);
	} else {
		seg_fault_str(&s->fault, buf, sizeof(buf));
		sb_printf(sb, "  -> %s: %s\n", buf, s->fault.why);
	}
}

void seg_explain_json(struct json_writer *jw, const struct vmsim_cpu *cpu, const struct seg_step *s)
{
	const struct segment *c = &s->seg;
	const uint16_t sel = s->in.sreg >= 0 ? c->selector : s->in.selector;

	json_object_begin(jw);
	json_key_str(jw, "register", seg_reg_name[s->r]);
	json_key_u64(jw, "selector", sel);
	json_key_u64(jw, "index", sel >> 3u);
	json_key_str(jw, "descriptor_table", sel & SEGMENT_TI_MASK ? "LDT" : "GDT");
	json_key_u64(jw, "rpl", sel & SEGMENT_RPL_MASK);
	json_key_u64(jw, "cpl", seg_cpl(cpu));
	json_key(jw, "descriptor");
	if (s->trace.read) {
		json_object_begin(jw);
		json_key_hex(jw, "desc_addr", s->trace.desc_la);
		json_key_hex(jw, "pa", s->trace.desc_pa);
		json_key_hex(jw, "value", desc_u64(&s->trace.desc));
		json_object_end(jw);
	} else {
		json_null(jw);
	}
	json_key(jw, "cache");
	if (s->cached)
		segment_json(jw, c);
	else
		json_null(jw);
	json_key_hex(jw, "offset", s->off);
	json_key(jw, "linear");
	if (s->ok)
		json_hex(jw, s->linear);
	else
		json_null(jw);
	json_key(jw, "fault");
	if (s->ok)
		json_null(jw);
	else
		seg_fault_json(jw, &s->fault);
	json_object_end(jw);
}
