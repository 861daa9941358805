/* A page walk explained (see walk_explain.h). */
#include "walk_explain.h"

#include <inttypes.h>
#include <stdio.h>

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
