/*
 * Views of segmentation and of TLB shootdowns:
 *   gdt         each CPU's GDTR, LDTR, CPL, segment registers (selector
 *               and hidden cache) and the non-null descriptors of its
 *               gdt_page as RAM holds them, decoded, with the kernel's
 *               GDT_ENTRY_* names
 *   interrupts  /proc/interrupts' "TLB: ... TLB shootdowns" line
 *               (arch_show_interrupts(): irq_tlb_count per CPU)
 * Both read state only; the descriptors are read from RAM each time, so
 * an entry a scenario overwrote shows as written.
 */
#include "kern/views.h"

#include <inttypes.h>

#include "kern/desc.h"
#include "kern/machine.h"
#include "mmu/mmu.h"

void segment_json(struct json_writer *jw, const struct segment *s)
{
	json_object_begin(jw);
	json_key_u64(jw, "selector", s->selector);
	json_key_hex(jw, "seg_base", s->base);
	json_key_u64(jw, "limit", s->limit);
	json_key_u64(jw, "type", s->type);
	json_key_bool(jw, "s", s->s);
	json_key_u64(jw, "dpl", s->dpl);
	json_key_bool(jw, "p", s->p);
	json_key_bool(jw, "db", s->db);
	json_key_bool(jw, "l", s->l);
	json_key_bool(jw, "g", s->g);
	json_key_bool(jw, "unusable", s->unusable);
	json_object_end(jw);
}

/* "P S G D DPL 3 type 0x3": the flags set, the DPL and the type */
static void desc_flags_str(const struct desc_struct *d, struct strbuf *sb)
{
	sb_printf(sb, "%s%s%s%s%s%sDPL %u type %#x", desc_p(d) ? "P " : "", desc_s(d) ? "S " : "",
		  desc_g(d) ? "G " : "", desc_d(d) ? "D " : "", desc_l(d) ? "L " : "",
		  desc_avl(d) ? "AVL " : "", desc_dpl(d), desc_type(d));
}

static int view_gdt(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		    struct strbuf *sb)
{
	struct kernel_selectors ks;

	(void)a;
	kernel_selectors(m, &ks);
	if (jw) {
		json_object_begin(jw);
		json_key(jw, "cpus");
		json_array_begin(jw);
	}
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		const struct seg_state *st = &m->cpus[c].seg;
		const struct vmsim_cpu *cpu = &m->cpus[c];

		if (jw) {
			json_object_begin(jw);
			json_key_u64(jw, "cpu", c);
			json_key_hex(jw, "gdt_base", st->gdtr.address);
			json_key_u64(jw, "gdt_limit", st->gdtr.size);
			json_key_u64(jw, "ldtr", st->ldtr.selector);
			json_key_u64(jw, "cpl", seg_cpl(cpu));
			json_key(jw, "registers");
			json_object_begin(jw);
			for (int r = 0; r < NR_SREGS; r++) {
				json_key(jw, seg_reg_name[r]);
				segment_json(jw, &st->sreg[r]);
			}
			json_object_end(jw);
			json_key(jw, "entries");
			json_array_begin(jw);
		} else {
			sb_printf(sb, "cpu %u: GDTR %#" PRIx64 " limit %#x, LDTR %#x%s, CPL %u\n", c,
				  st->gdtr.address, st->gdtr.size, st->ldtr.selector,
				  st->ldtr.unusable ? " (none)" : "", seg_cpl(cpu));
			for (int r = 0; r < NR_SREGS; r++) {
				const struct segment *s = &st->sreg[r];

				if (s->unusable)
					sb_printf(sb, "  %s 0x%04x (null)\n", seg_reg_name[r], s->selector);
				else
					sb_printf(sb, "  %s 0x%04x base %#" PRIx64 " limit %#x type %#x "
						  "DPL %u%s%s%s\n", seg_reg_name[r], s->selector, s->base,
						  s->limit, s->type, s->dpl, s->db ? " D" : "",
						  s->l ? " L" : "", s->g ? " G" : "");
			}
		}
		for (unsigned i = 0; i < ks.gdt_entries; i++) {
			const struct desc_struct d = read_gdt_entry(m, c, i);
			const char *name = gdt_entry_name(m, i);

			if (!d.a && !d.b)
				continue;
			if (jw) {
				json_object_begin(jw);
				json_key_u64(jw, "index", i);
				json_key_str(jw, "name", name);
				json_key_hex(jw, "value", desc_u64(&d));
				json_key_hex(jw, "seg_base", get_desc_base(&d));
				json_key_u64(jw, "limit", get_desc_limit(&d));
				json_key_u64(jw, "type", desc_type(&d));
				json_key_bool(jw, "s", desc_s(&d));
				json_key_u64(jw, "dpl", desc_dpl(&d));
				json_key_bool(jw, "p", desc_p(&d));
				json_key_bool(jw, "db", desc_d(&d));
				json_key_bool(jw, "l", desc_l(&d));
				json_key_bool(jw, "g", desc_g(&d));
				json_object_end(jw);
				continue;
			}
			sb_printf(sb, "  [%2u] %016" PRIx64 " base %#x limit %#x ", i, desc_u64(&d),
				  get_desc_base(&d), get_desc_limit(&d));
			desc_flags_str(&d, sb);
			sb_printf(sb, "%s%s\n", name ? "  " : "", name ? name : "");
		}
		if (jw) {
			json_array_end(jw);
			json_object_end(jw);
		}
	}
	if (jw) {
		json_array_end(jw);
		json_object_end(jw);
	}
	return 0;
}

static int view_interrupts(struct vmsim_machine *m, const struct view_args *a,
			   struct json_writer *jw, struct strbuf *sb)
{
	const int prec = 3;	/* digits of nr_irqs, at least 3 */

	(void)a;
	if (jw) {
		json_object_begin(jw);
		json_key(jw, "TLB");
		json_array_begin(jw);
		for (unsigned c = 0; c < m->nr_cpus; c++)
			json_u64(jw, m->vm.cpu_tlbstate[c].irq_tlb_count);
		json_array_end(jw);
		json_object_end(jw);
		return 0;
	}
	sb_printf(sb, "%*s", prec + 8, "");
	for (unsigned c = 0; c < m->nr_cpus; c++)
		sb_printf(sb, "CPU%-8u", c);
	sb_putc(sb, '\n');
	sb_printf(sb, "%*s: ", prec, "TLB");
	for (unsigned c = 0; c < m->nr_cpus; c++)
		sb_printf(sb, "%10lu ", m->vm.cpu_tlbstate[c].irq_tlb_count);
	sb_puts(sb, "  TLB shootdowns\n");
	return 0;
}

const struct view views_seg[] = {
	{ "gdt", view_gdt },
	{ "interrupts", view_interrupts },
	{ NULL, NULL },
};
