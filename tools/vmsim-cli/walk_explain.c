/* A page walk explained (see walk_explain.h). */
#include "walk_explain.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/views.h"
#include "mmu/segment.h"
#include "util/parse.h"

void walk_levels_add(const struct vmsim_walk_level *lv, void *arg)
{
	struct walk_levels *w = arg;

	if (w->n < WALK_MAX_LEVELS)
		w->lv[w->n++] = *lv;
}

void fault_bits_str(uint32_t code, char *buf, size_t len)
{
	static const char *const names[] = { "P", "W", "U", "RSVD", "I", "PK" };
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 6; i++)
		if (code >> i & 1)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", names[i]);
}

void fault_json(struct json_writer *jw, const struct vmsim_translation *r)
{
	char bits[64];

	json_object_begin(jw);
	if (r->fault == VMSIM_FAULT_GP) {
		json_key_str(jw, "vector", "#GP");
		json_key_str(jw, "reason", "non-canonical address");
	} else {
		fault_bits_str(r->error_code, bits, sizeof(bits));
		json_key_str(jw, "vector", "#PF");
		json_key_u64(jw, "error_code", r->error_code);
		json_key(jw, "bits");
		json_words(jw, bits);
		json_key_str(jw, "level", r->fault_level);
	}
	json_object_end(jw);
}

void walk_explain_json(struct json_writer *jw, const struct walk_levels *w)
{
	json_array_begin(jw);
	for (unsigned i = 0; i < w->n; i++) {
		const struct vmsim_walk_level *l = &w->lv[i];

		json_object_begin(jw);
		json_key_str(jw, "level", l->name);
		json_key_hex(jw, "table", l->table);
		json_key_u64(jw, "index", l->index);
		json_key_hex(jw, "entry_addr", l->entry_addr);
		json_key_hex(jw, "entry", l->entry);
		json_key(jw, "flags");
		json_words(jw, l->flags);
		if (l->swap) {
			json_key(jw, "swap");
			json_object_begin(jw);
			json_key_u64(jw, "type", l->swap_type);
			json_key_u64(jw, "offset", l->swap_offset);
			json_key_bool(jw, "exclusive", l->swap_exclusive);
			json_object_end(jw);
		}
		json_object_end(jw);
	}
	json_array_end(jw);
}

void walk_explain(struct strbuf *sb, const struct walk_levels *w,
		  const struct vmsim_translation *r, uint64_t va)
{
	char buf[128];

	for (unsigned i = 0; i < w->n; i++) {
		const struct vmsim_walk_level *l = &w->lv[i];

		if (l->swap)
			snprintf(buf, sizeof(buf), "(not present: swap entry %u:%#" PRIx64 "%s)",
				 l->swap_type, l->swap_offset, l->swap_exclusive ? ", exclusive" : "");
		else
			snprintf(buf, sizeof(buf), "%s", l->flags[0] ? l->flags : "(not present)");
		sb_printf(sb, "  %-3s (%-5s) table %#" PRIx64 " [%3u] entry @%#" PRIx64 " = %0*" PRIx64
			  "  %s\n", l->name, l->intel, l->table, l->index, l->entry_addr,
			  (int)l->entry_size * 2, l->entry, buf);
	}
	if (r->walk_ok)
		sb_printf(sb, "  %s page at %#" PRIx64 " + offset %#" PRIx64 "\n",
			  r->page_shift == 12 ? "4 KiB" : r->page_shift == 21 ? "2 MiB" :
			  r->page_shift == 22 ? "4 MiB" : "1 GiB", r->page_pa,
			  (uint64_t)(va & ((1ULL << r->page_shift) - 1)));
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
		l->seg = (enum vmsim_segment)(VMSIM_SEG_ES + r);
		l->selector = 0;
		return 1;
	}
	if (parse_u64(seg, &v) || v > 0xffff)
		return -1;
	l->seg = VMSIM_SEG_SELECTOR;
	l->selector = (uint16_t)v;
	return 1;
}

void logical_seg_str(const struct logical_addr *l, char *buf, size_t len)
{
	if (l->seg != VMSIM_SEG_SELECTOR)
		snprintf(buf, len, "%s", seg_reg_name[l->seg - VMSIM_SEG_ES]);
	else
		snprintf(buf, len, "%#x", l->selector);
}

void walk_seg_add(const struct vmsim_seg_step *s, void *arg)
{
	struct walk_levels *w = arg;

	w->has_seg = true;
	w->seg = *s;
}

void logical_opts(const struct logical_addr *l, struct vmsim_translate_opts *o,
		  struct walk_levels *w)
{
	o->segment = l->seg;
	o->selector = l->seg == VMSIM_SEG_SELECTOR ? l->selector : 0;
	o->seg = walk_seg_add;
	o->arg = w;
}

void seg_fault_str(const struct vmsim_seg_step *s, char *buf, size_t len)
{
	if (s->vector == X86_TRAP_PF)
		snprintf(buf, len, "#PF(%#x) at %#" PRIx64, s->error_code, s->cr2);
	else
		snprintf(buf, len, "%s(%#x)", seg_fault_name(s->vector), s->error_code);
}

void seg_fault_json(struct json_writer *jw, const struct vmsim_seg_step *s)
{
	json_object_begin(jw);
	json_key_str(jw, "vector", seg_fault_name(s->vector));
	json_key_u64(jw, "error_code", s->error_code);
	json_key_str(jw, "reason", s->why);
	json_object_end(jw);
}

/* The step's descriptor cache as the simulator's own (for its printers). */
static struct segment step_cache(const struct vmsim_seg_step *s)
{
	return (struct segment){ .selector = s->selector, .base = s->base, .limit = s->limit,
				 .type = (uint8_t)s->type, .dpl = (uint8_t)s->dpl, .s = s->s,
				 .p = s->p, .db = s->db, .l = s->l, .g = s->g, .avl = s->avl,
				 .unusable = s->unusable };
}

/* "data read/write, expand-down, accessed" */
static void seg_type_str(const struct vmsim_seg_step *s, char *buf, size_t len)
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

void seg_explain(struct strbuf *sb, const struct vmsim_seg_step *s)
{
	const uint16_t sel = s->selector;
	char buf[96];

	if (!s->selector_value)
		sb_printf(sb, "  segment %s = 0x%04x", s->reg, sel);
	else
		sb_printf(sb, "  selector 0x%04x (checked as a load of DS at CPL %u)", sel, s->cpl);
	sb_printf(sb, ": index %u, %s, RPL %u\n", sel >> 3, sel & SEGMENT_TI_MASK ? "LDT" : "GDT",
		  sel & SEGMENT_RPL_MASK);
	if (s->desc_read)
		sb_printf(sb, "    descriptor @%#" PRIx64 " (pa %#" PRIx64 ") = %016" PRIx64 "\n",
			  s->desc_addr, s->desc_pa, s->desc);
	if (!s->cached) {
		/* nothing else to say */
	} else if (s->unusable) {
		sb_puts(sb, "    null selector: unusable\n");
	} else {
		seg_type_str(s, buf, sizeof(buf));
		sb_printf(sb, "    base %#" PRIx64 " limit %#x (G=%d) %s, DPL %u P=%d D/B=%d L=%d AVL=%d\n",
			  s->base, s->limit, s->g, buf, s->dpl, s->p, s->db, s->l, s->avl);
	}
	if (s->cached && s->long_mode)
		sb_printf(sb, "    64-bit mode: %s, no limit check\n",
			  strcmp(s->reg, "fs") == 0 || strcmp(s->reg, "gs") == 0 ? "the MSR base" :
			  "base 0");
	if (s->ok) {
		sb_printf(sb, "    offset %#" PRIx64 " -> linear %#" PRIx64 "\n", s->offset, s->linear);
	} else {
		seg_fault_str(s, buf, sizeof(buf));
		sb_printf(sb, "  -> %s: %s\n", buf, s->why);
	}
}

void seg_explain_json(struct json_writer *jw, const struct vmsim_seg_step *s)
{
	const uint16_t sel = s->selector;

	json_object_begin(jw);
	json_key_str(jw, "register", s->reg);
	json_key_u64(jw, "selector", sel);
	json_key_u64(jw, "index", sel >> 3u);
	json_key_str(jw, "descriptor_table", sel & SEGMENT_TI_MASK ? "LDT" : "GDT");
	json_key_u64(jw, "rpl", sel & SEGMENT_RPL_MASK);
	json_key_u64(jw, "cpl", s->cpl);
	json_key(jw, "descriptor");
	if (s->desc_read) {
		json_object_begin(jw);
		json_key_hex(jw, "desc_addr", s->desc_addr);
		json_key_hex(jw, "pa", s->desc_pa);
		json_key_hex(jw, "value", s->desc);
		json_object_end(jw);
	} else {
		json_null(jw);
	}
	json_key(jw, "cache");
	if (s->cached) {
		struct segment c = step_cache(s);

		segment_json(jw, &c);
	} else {
		json_null(jw);
	}
	json_key_hex(jw, "offset", s->offset);
	json_key(jw, "linear");
	if (s->ok)
		json_hex(jw, s->linear);
	else
		json_null(jw);
	json_key(jw, "fault");
	if (s->ok)
		json_null(jw);
	else
		seg_fault_json(jw, s);
	json_object_end(jw);
}
