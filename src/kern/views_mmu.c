/*
 * Views of the MMU (see views.h):
 *   pagetable  every present entry of the kernel's tables or a task's,
 *              level by level, runs collapsed: leaves of
 *              one table with the same flags mapping contiguous physical
 *              memory print as one line, and so do table entries whose
 *              tables are empty;
 *   tlb        each CPU's TLB arrays: geometry, statistics, valid entries.
 * Text and JSON.  Invariant: a view only reads (no A/D, no TLB change, no
 * entry cleared): a bad entry (pt_entry_kind()) is shown as it reads but
 * never followed.
 */
#include "kern/views.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "mmu/pgtable.h"

static const char *size_name(unsigned shift)
{
	switch (shift) {
	case 12: return "4K";
	case 21: return "2M";
	case 22: return "4M";
	case 30: return "1G";
	case 39: return "512G";
	default: return "?";
	}
}

struct dump {
	const struct pt_ctx *pt;
	bool json;
	struct strbuf *sb;
	unsigned nitems;
	/* the pending run */
	bool open;
	bool leaf;
	unsigned depth, first, count;
	uint64_t va, pa, next_pa, flags;
};

static uint64_t flag_bits(const struct pt_ctx *pt, uint64_t e)
{
	return e & (0xfffULL | pt->fmt->nx_bit);
}

static bool table_empty(const struct pt_ctx *pt, uint64_t table, unsigned depth)
{
	unsigned n = pt_ptrs_per_table(pt->fmt, depth);

	for (unsigned i = 0; i < n; i++)
		if (pt_read(pt, table + (uint64_t)i * pt->fmt->entry_size) & _PAGE_PRESENT)
			return false;
	return true;
}

static void run_flush(struct dump *d)
{
	const struct pt_format *f = d->pt->fmt;
	unsigned shift = f->lvl[d->depth].shift;
	uint64_t span = (uint64_t)d->count << shift;
	char flags[80];

	if (!d->open)
		return;
	d->open = false;
	pt_flags_str(f, d->flags, d->depth, flags, sizeof(flags));
	if (d->json) {
		sb_printf(d->sb, "%s\n    {\"level\": \"%s\", \"depth\": %u, \"index\": %u, \"count\": %u, "
			  "\"va\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"leaf\": %s, ",
			  d->nitems++ ? "," : "", f->lvl[d->depth].name, d->depth, d->first, d->count,
			  d->va, d->va + span - 1, d->leaf ? "true" : "false");
		if (d->leaf)
			sb_printf(d->sb, "\"size\": \"%s\", \"pa\": \"0x%" PRIx64 "\", ",
				  size_name(shift), d->pa);
		else
			sb_printf(d->sb, "\"table\": \"0x%" PRIx64 "\", \"empty\": %s, ", d->pa,
				  d->count > 1 || d->next_pa == 1 ? "true" : "false");
		sb_printf(d->sb, "\"entry\": \"0x%" PRIx64 "\", \"flags\": ", d->flags);
		sb_json_str(d->sb, flags);
		sb_puts(d->sb, "}");
		return;
	}
	sb_printf(d->sb, "%*s%s[%u", (int)d->depth * 2, "", f->lvl[d->depth].name, d->first);
	if (d->count > 1)
		sb_printf(d->sb, "..%u", d->first + d->count - 1);
	{
		int w = f->va_bits <= 32 ? 8 : 16;

		sb_printf(d->sb, "] %0*" PRIx64 "-%0*" PRIx64 " ", w, d->va, w, d->va + span - 1);
	}
	if (d->leaf) {
		if (d->count > 1)
			sb_printf(d->sb, "%u x %s -> %#" PRIx64 "-%#" PRIx64, d->count,
				  size_name(shift), d->pa, d->pa + span - 1);
		else
			sb_printf(d->sb, "%s -> %#" PRIx64, size_name(shift), d->pa);
	} else if (d->count > 1) {
		sb_printf(d->sb, "%u empty %s tables", d->count, f->lvl[d->depth + 1].name);
	} else {
		sb_printf(d->sb, "-> %s table %#" PRIx64 "%s", f->lvl[d->depth + 1].name, d->pa,
			  d->next_pa == 1 ? " (empty)" : "");
	}
	sb_printf(d->sb, "  %s\n", flags);
}

static void dump_table(struct dump *d, uint64_t table, unsigned depth, uint64_t base,
		       uint64_t start, uint64_t last)
{
	const struct pt_ctx *pt = d->pt;
	const struct pt_format *f = pt->fmt;
	unsigned n = pt_ptrs_per_table(f, depth), shift = f->lvl[depth].shift;

	for (unsigned i = 0; i < n; i++) {
		uint64_t va = pt_canonical(f, base + ((uint64_t)i << shift));
		uint64_t epa = table + (uint64_t)i * f->entry_size, e, pa, fl;
		bool leaf, follow, empty = false;

		if (va + ((1ULL << shift) - 1) < start || va > last)
			continue;
		e = pt_read(pt, epa);
		if (!(e & _PAGE_PRESENT)) {
			run_flush(d);
			continue;
		}
		leaf = pt_entry_leaf(pt, depth, e);
		pa = pt_entry_addr(pt, depth, e);
		fl = flag_bits(pt, e);
		follow = !leaf && pt_entry_kind(pt, depth, epa, e, true) == PT_ENTRY_TABLE;
		if (follow)
			empty = table_empty(pt, pa, depth + 1);
		/* extend the run: same table, next index, same flags, and for
		 * leaves the next physical page, for tables empty ones */
		if (d->open && d->depth == depth && d->first + d->count == i && d->flags == fl &&
		    d->leaf == leaf &&
		    ((leaf && d->next_pa == pa) || (!leaf && empty && d->next_pa == 1))) {
			d->count++;
			d->next_pa = leaf ? pa + (1ULL << shift) : 1;
			continue;
		}
		run_flush(d);
		d->open = true;
		d->leaf = leaf;
		d->depth = depth;
		d->first = i;
		d->count = 1;
		d->va = va;
		d->pa = pa;
		d->flags = fl;
		d->next_pa = leaf ? pa + (1ULL << shift) : (empty ? 1 : 0);
		if (follow && !empty) {
			run_flush(d);
			dump_table(d, pa, depth + 1, va, start, last);
		}
	}
	run_flush(d);
}

/* Render the tables under @root (for [start, last]). */
static void dump_pagetable(const struct pt_ctx *pt, uint64_t root, const char *owner,
			   uint64_t start, uint64_t last, bool json, struct strbuf *sb)
{
	struct dump d = { .pt = pt, .json = json, .sb = sb };

	if (json) {
		sb_puts(sb, "{\"owner\": ");
		sb_json_str(sb, owner);
		sb_printf(sb, ", \"format\": \"%s\", \"levels\": %u, \"root\": \"0x%" PRIx64
			  "\", \"entries\": [", pt->fmt->name, pt->fmt->levels, root);
	} else {
		sb_printf(sb, "page table of %s: root %#" PRIx64 ", %s %u-level, %u-byte entries\n",
			  owner, root, pt->fmt->name, pt->fmt->levels, pt->fmt->entry_size);
	}
	dump_table(&d, root, 0, 0, start, last);
	if (json)
		sb_puts(sb, "\n]}\n");
}

static int view_pagetable(struct vmsim_machine *m, const struct view_args *a, bool json,
			  struct strbuf *sb)
{
	uint64_t start = 0, last = ~0ULL, root = m->kernel_pgd;
	char owner[64] = "init_mm (kernel)";

	if (a->task) {
		struct task_struct *t = task_find(m, a->task);

		if (!t) {
			sb_printf(sb, "no task '%s'", a->task);
			return -EINVAL;
		}
		root = task_pgd(t);
		snprintf(owner, sizeof(owner), "task %s (pid %d)", t->comm, t->pid);
	}
	if (a->has_addr) {
		start = a->addr & PAGE_MASK;
		last = start + PAGE_SIZE - 1;
	}
	dump_pagetable(&m->pt, root, owner, start, last, json, sb);
	return 0;
}

static const char *const level_names[3] = { "L1d", "L1i", "L2" };

static void tlb_array_dump(const struct vmsim_cpu *cpu, const struct tlb_array *a, bool json,
			   struct strbuf *sb)
{
	bool first = true;

	if (json)
		sb_printf(sb, "{\"name\": \"%s\", \"entries\": %u, \"ways\": %u, \"sets\": %u, "
			  "\"valid\": %u, \"evictions\": %" PRIu64 ", \"contents\": [",
			  a->name, a->entries, a->ways, a->sets, tlb_array_valid(a), a->evictions);
	else if (a->entries)
		sb_printf(sb, "  %-10s %5u entries %2u ways %4u sets, %u valid, %" PRIu64
			  " evictions\n", a->name, a->entries, a->ways, a->sets, tlb_array_valid(a),
			  a->evictions);
	else
		sb_printf(sb, "  %-10s absent\n", a->name);
	for (unsigned j = 0; j < a->entries; j++) {
		const struct tlb_entry *e = &a->e[j];
		uint64_t va;
		char r[16];

		if (a->tag[j] == TLB_TAG_INVALID)
			continue;
		va = tlb_entry_va(cpu, a, j);
		snprintf(r, sizeof(r), "%s%s%s%s%s", e->rights & TLB_R_W ? "W" : "-",
			 e->rights & TLB_R_U ? "U" : "-", e->rights & TLB_R_X ? "X" : "-",
			 e->rights & TLB_R_D ? "D" : "-", e->rights & TLB_R_G ? "G" : "-");
		if (json) {
			sb_printf(sb, "%s{\"set\": %u, \"way\": %u, \"va\": \"0x%" PRIx64 "\", \"pa\": \"0x%"
				  PRIx64 "\", \"size\": \"%s\", \"pcid\": %u, \"rights\": \"%s\", \"lru\": %"
				  PRIu64 "}", first ? "" : ", ", j / a->ways, j % a->ways, va, e->pa,
				  size_name(e->shift), e->pcid, r, (uint64_t)a->lru[j]);
			first = false;
		} else {
			sb_printf(sb, "    set %4u way %2u  %016" PRIx64 " -> %#-12" PRIx64 " %s pcid %u %s\n",
				  j / a->ways, j % a->ways, va, e->pa, size_name(e->shift), e->pcid, r);
		}
	}
	if (json)
		sb_puts(sb, "]}");
}

static int view_tlb(struct vmsim_machine *m, const struct view_args *a, bool json,
		    struct strbuf *sb)
{
	(void)a;
	if (json)
		sb_puts(sb, "{\"cpus\": [");
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct vmsim_cpu *cpu = &m->cpus[c];
		const struct tlb_array *arrs[5] = { &cpu->l1[TLB_D], &cpu->l1_large[TLB_D],
						    &cpu->l1[TLB_I], &cpu->l1_large[TLB_I], &cpu->l2 };

		if (json) {
			sb_printf(sb, "%s{\"cpu\": %u, \"cr3\": \"0x%" PRIx64 "\", \"pcid\": %u, "
				  "\"wp\": %s, \"nxe\": %s, \"pse\": %s, \"smep\": %s, \"smap\": %s, "
				  "\"walks\": %" PRIu64 ", \"entries_read\": %" PRIu64 ", \"ad_writes\": %"
				  PRIu64 ", \"faults\": %" PRIu64 ", \"levels\": {",
				  c ? ", " : "", c, cpu->cr3, cpu->pcid, cpu->wp ? "true" : "false",
				  cpu->nxe ? "true" : "false", cpu->pse ? "true" : "false",
				  cpu->smep ? "true" : "false", cpu->smap ? "true" : "false",
				  cpu->st.walks, cpu->st.entries_read, cpu->st.ad_writes, cpu->st.faults);
		} else {
			sb_printf(sb, "cpu %u: cr3 %#" PRIx64 " pcid %u  CR0.WP=%d EFER.NXE=%d CR4.PSE=%d "
				  "SMEP=%d SMAP=%d PCIDE=%d\n", c, cpu->cr3, cpu->pcid, cpu->wp, cpu->nxe,
				  cpu->pse, cpu->smep, cpu->smap, cpu->pcid_enabled);
			sb_printf(sb, "  %-4s %12s %12s %12s %12s %10s %8s\n", "", "hits", "misses",
				  "fills", "evictions", "flushes", "invlpg");
		}
		for (unsigned l = 0; l < 3; l++) {
			struct tlb_stats st;

			tlb_get_stats(cpu, l, &st);
			if (json)
				sb_printf(sb, "%s\"%s\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64
					  ", \"fills\": %" PRIu64 ", \"evictions\": %" PRIu64
					  ", \"flushes\": %" PRIu64 ", \"invlpg\": %" PRIu64 "}",
					  l ? ", " : "", level_names[l], st.hits, st.misses, st.fills,
					  st.evictions, st.flushes, st.invlpg);
			else
				sb_printf(sb, "  %-4s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
					  " %10" PRIu64 " %8" PRIu64 "\n", level_names[l], st.hits,
					  st.misses, st.fills, st.evictions, st.flushes, st.invlpg);
		}
		if (json) {
			sb_puts(sb, "}, \"arrays\": [");
		} else {
			sb_printf(sb, "  walks %" PRIu64 ", entries read %" PRIu64 ", A/D writes %" PRIu64
				  ", faults %" PRIu64 "\n", cpu->st.walks, cpu->st.entries_read,
				  cpu->st.ad_writes, cpu->st.faults);
		}
		for (unsigned i = 0; i < 5; i++) {
			if (json && i)
				sb_puts(sb, ", ");
			tlb_array_dump(cpu, arrs[i], json, sb);
		}
		if (json)
			sb_puts(sb, "]}");
	}
	if (json)
		sb_puts(sb, "]}\n");
	return 0;
}

const struct view views_mmu[] = {
	{ "pagetable", view_pagetable },
	{ "tlb", view_tlb },
	{ NULL, NULL },
};
