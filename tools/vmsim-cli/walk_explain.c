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

void walk_explain(struct strbuf *sb, const struct pt_format *f, const struct walk_trace *t,
		  bool ok, const struct walk_result *wr, uint64_t va, bool json)
{
	char buf[96];

	if (json) {
		sb_puts(sb, "[");
		for (unsigned i = 0; i < t->n; i++) {
			pt_flags_str(f, t->lv[i].entry, t->lv[i].depth, buf, sizeof(buf));
			sb_printf(sb, "%s{\"level\": \"%s\", \"table\": \"0x%" PRIx64 "\", \"index\": %u, "
				  "\"entry_addr\": \"0x%" PRIx64 "\", \"entry\": \"0x%0*" PRIx64 "\", \"flags\": ",
				  i ? ", " : "", f->lvl[t->lv[i].depth].name, t->lv[i].table_pa,
				  t->lv[i].index, t->lv[i].entry_pa, (int)f->entry_size * 2, t->lv[i].entry);
			sb_json_str(sb, buf);
			sb_puts(sb, "}");
		}
		sb_puts(sb, "]");
		return;
	}
	for (unsigned i = 0; i < t->n; i++) {
		const struct pt_level_desc *l = &f->lvl[t->lv[i].depth];

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
