/* A page walk explained (see walk_explain.h). */
#include "walk_explain.h"

#include <inttypes.h>
#include <stdio.h>

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
