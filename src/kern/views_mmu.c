/*
 * Views of the MMU (see views.h):
 *   pagetable  every present entry of the kernel's tables or a task's,
 *              level by level, runs collapsed: leaves of
 *              one table with the same flags mapping contiguous physical
 *              memory print as one line, and so do table entries whose
 *              tables are empty; a swap entry in a PTE is decoded (type,
 *              offset, exclusive), consecutive slots of one area as a run;
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
#include "kern/stats.h"
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
	case 48: return "256T";
	default: return "?";
	}
}

struct dump {
	const struct pt_ctx *pt;
	struct json_writer *jw;	/* NULL: text into sb */
	struct strbuf *sb;
	/* the pending run */
	bool open;
	bool leaf;
	bool swap;		/* swap entries: pa is the first offset, flags the type */
	unsigned depth, first, count;
	uint64_t va, pa, next_pa, flags;
	uint64_t table, entry;	/* the table holding the run, its first entry */
};

static uint64_t flag_bits(const struct pt_ctx *pt, uint64_t e)
{
	return e & (0xfffULL | pt->fmt->nx_bit);
}

/* A PTE holding a swap entry (pte_none() and pte_present() both false). */
static bool swap_entry_at(const struct pt_format *f, unsigned depth, uint64_t e)
{
	return depth == f->levels - 1U && is_swap_pte(e);
}

static bool table_empty(const struct pt_ctx *pt, uint64_t table, unsigned depth)
{
	unsigned n = pt_ptrs_per_table(pt->fmt, depth);

	for (unsigned i = 0; i < n; i++) {
		uint64_t e = pt_read(pt, table + (uint64_t)i * pt->fmt->entry_size);

		if ((e & _PAGE_PRESENT) || swap_entry_at(pt->fmt, depth, e))
			return false;
	}
	return true;
}

/* A run's JSON object opened with where its entries are and the first
 * one's value (entries of @shift bits of address each). */
static void run_json_head(const struct dump *d, unsigned shift)
{
	const struct pt_format *f = d->pt->fmt;
	struct json_writer *jw = d->jw;

	json_object_begin(jw);
	json_key_str(jw, "level", f->lvl[d->depth].name);
	json_key_u64(jw, "depth", d->depth);
	json_key_u64(jw, "index", d->first);
	json_key_u64(jw, "count", d->count);
	json_key_hex(jw, "start", d->va);
	json_key_hex(jw, "last", d->va + ((uint64_t)d->count << shift) - 1);
	json_key_hex(jw, "table", d->table);
	json_key_hex(jw, "entry_addr", d->table + (uint64_t)d->first * f->entry_size);
	json_key_hex(jw, "entry", d->entry);
}

/* A run of swap entries: one area, consecutive offsets, the same
 * exclusive bit. */
static void swap_run_flush(const struct dump *d)
{
	const struct pt_format *f = d->pt->fmt;
	const bool exclusive = pt_pte_swp_exclusive(f, d->entry);
	int w = f->va_bits <= 32 ? 8 : 16;

	if (d->jw) {
		struct json_writer *jw = d->jw;

		run_json_head(d, PAGE_SHIFT);
		json_key(jw, "swap");
		json_object_begin(jw);
		json_key_u64(jw, "type", d->flags);
		json_key_u64(jw, "offset", d->pa);
		json_key_bool(jw, "exclusive", exclusive);
		json_object_end(jw);
		json_object_end(jw);
		return;
	}
	sb_printf(d->sb, "%*s%s[%u", (int)d->depth * 2, "", f->lvl[d->depth].name, d->first);
	if (d->count > 1)
		sb_printf(d->sb, "..%u", d->first + d->count - 1);
	sb_printf(d->sb, "] %0*" PRIx64 "-%0*" PRIx64 " ", w, d->va, w,
		  d->va + ((uint64_t)d->count << PAGE_SHIFT) - 1);
	if (d->count > 1)
		sb_printf(d->sb, "%u x swap %" PRIu64 ":%#" PRIx64 "-%#" PRIx64, d->count, d->flags,
			  d->pa, d->pa + d->count - 1);
	else
		sb_printf(d->sb, "swap %" PRIu64 ":%#" PRIx64, d->flags, d->pa);
	sb_printf(d->sb, "  not present%s\n", exclusive ? " exclusive" : "");
}

/* A run as JSON: where its entries are, the first one's value (as in
 * translate's walk), and what they map. */
static void run_json(const struct dump *d, const char *flags)
{
	const struct pt_format *f = d->pt->fmt;
	struct json_writer *jw = d->jw;
	unsigned shift = f->lvl[d->depth].shift;

	run_json_head(d, shift);
	json_key(jw, "flags");
	json_words(jw, flags);
	json_key_bool(jw, "leaf", d->leaf);
	json_key_hex(jw, "pa", d->pa);
	if (d->leaf)
		json_key_u64(jw, "page_size", 1ULL << shift);
	else
		json_key_bool(jw, "empty", d->count > 1 || d->next_pa == 1);
	json_object_end(jw);
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
	if (d->swap) {
		swap_run_flush(d);
		return;
	}
	pt_flags_str(f, d->flags, d->depth, flags, sizeof(flags));
	if (d->jw) {
		run_json(d, flags);
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
		if (swap_entry_at(f, depth, e)) {
			uint64_t type = pt_pte_swp_type(f, e), offset = pt_pte_swp_offset(f, e);

			if (d->open && d->swap && d->first + d->count == i && d->flags == type &&
			    d->next_pa == offset &&
			    pt_pte_swp_exclusive(f, d->entry) == pt_pte_swp_exclusive(f, e)) {
				d->count++;
				d->next_pa++;
				continue;
			}
			run_flush(d);
			*d = (struct dump){ .pt = d->pt, .jw = d->jw, .sb = d->sb, .open = true,
					    .swap = true, .depth = depth, .first = i, .count = 1,
					    .va = va, .pa = offset, .next_pa = offset + 1,
					    .flags = type, .table = table, .entry = e };
			continue;
		}
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
		d->swap = false;
		d->leaf = leaf;
		d->depth = depth;
		d->first = i;
		d->count = 1;
		d->va = va;
		d->pa = pa;
		d->flags = fl;
		d->table = table;
		d->entry = e;
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
			   uint64_t start, uint64_t last, struct json_writer *jw, struct strbuf *sb)
{
	struct dump d = { .pt = pt, .jw = jw, .sb = sb };

	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "owner", owner);
		json_key_str(jw, "format", pt->fmt->name);
		json_key_u64(jw, "levels", pt->fmt->levels);
		json_key_u64(jw, "entry_size", pt->fmt->entry_size);
		json_key_hex(jw, "root", root);
		json_key(jw, "entries");
		json_array_begin(jw);
	} else {
		sb_printf(sb, "page table of %s: root %#" PRIx64 ", %s %u-level, %u-byte entries\n",
			  owner, root, pt->fmt->name, pt->fmt->levels, pt->fmt->entry_size);
	}
	dump_table(&d, root, 0, 0, start, last);
	if (jw) {
		json_array_end(jw);
		json_object_end(jw);
	}
}

static int view_pagetable(struct vmsim_machine *m, const struct view_args *a,
			  struct json_writer *jw, struct strbuf *sb)
{
	uint64_t start = 0, last = ~0ULL, root = m->vm.kernel_pgd;
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
	dump_pagetable(&m->pt, root, owner, start, last, jw, sb);
	return 0;
}

static const char *const level_names[3] = { "L1d", "L1i", "L2" };
static const char *const level_keys[3] = { "l1d", "l1i", "l2" };

/* One TLB array: its geometry, then its valid entries. */
static void tlb_array_show(const struct vmsim_cpu *cpu, const struct tlb_array *a,
			   struct json_writer *jw, struct strbuf *sb)
{
	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "name", a->name);
		json_key_u64(jw, "entries", a->entries);
		json_key_u64(jw, "ways", a->ways);
		json_key_u64(jw, "sets", a->sets);
		json_key_u64(jw, "valid", tlb_array_valid(a));
		json_key_u64(jw, "evictions", a->evictions);
		json_key(jw, "contents");
		json_array_begin(jw);
	} else if (a->entries) {
		sb_printf(sb, "  %-10s %5u entries %2u ways %4u sets, %u valid, %" PRIu64
			  " evictions\n", a->name, a->entries, a->ways, a->sets, tlb_array_valid(a),
			  a->evictions);
	} else {
		sb_printf(sb, "  %-10s absent\n", a->name);
	}
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
		if (!jw) {
			sb_printf(sb, "    set %4u way %2u  %016" PRIx64 " -> %#-12" PRIx64 " %s pcid %u %s\n",
				  j / a->ways, j % a->ways, va, e->pa, size_name(e->shift), e->pcid, r);
			continue;
		}
		json_object_begin(jw);
		json_key_u64(jw, "set", j / a->ways);
		json_key_u64(jw, "way", j % a->ways);
		json_key_hex(jw, "va", va);
		json_key_hex(jw, "pa", e->pa);
		json_key_u64(jw, "page_size", 1ULL << e->shift);
		json_key_u64(jw, "pcid", e->pcid);
		json_key_str(jw, "rights", r);
		json_key_u64(jw, "lru", a->lru[j]);
		json_object_end(jw);
	}
	if (jw) {
		json_array_end(jw);
		json_object_end(jw);
	}
}

/* One CPU's TLBs and walker as JSON, with the statistics' names. */
static void tlb_cpu_json(unsigned c, const struct vmsim_cpu *cpu,
			 const struct tlb_array *const arrs[5], struct json_writer *jw)
{
	json_object_begin(jw);
	json_key_u64(jw, "cpu", c);
	json_key_hex(jw, "cr3", cpu->cr3);
	json_key_u64(jw, "pcid", cpu->pcid);
	json_key_bool(jw, "wp", cpu->wp);
	json_key_bool(jw, "nxe", cpu->nxe);
	json_key_bool(jw, "pse", cpu->pse);
	json_key_bool(jw, "smep", cpu->smep);
	json_key_bool(jw, "smap", cpu->smap);
	json_key_bool(jw, "pcide", cpu->pcid_enabled);
	json_key_u64(jw, "walks", cpu->st.walks);
	json_key_u64(jw, "walk_entries_read", cpu->st.entries_read);
	json_key_u64(jw, "ad_writes", cpu->st.ad_writes);
	json_key_u64(jw, "translation_faults", cpu->st.faults);
	json_key_u64(jw, "cr3_loads", cpu->st.cr3_loads);
	json_key_u64(jw, "walk_entries_saved", cpu->st.psc_refs_saved);
	json_key(jw, "paging_structure_caches");
	json_object_begin(jw);
	for (unsigned d = 0; d < PT_MAX_LEVELS; d++)
		if (cpu->psc[d].entries) {
			json_key(jw, cpu->psc[d].name);
			json_object_begin(jw);
			json_key_u64(jw, "entries", cpu->psc[d].entries);
			json_key_u64(jw, "ways", cpu->psc[d].ways);
			json_key_u64(jw, "hits", cpu->psc[d].hits);
			json_key_u64(jw, "misses", cpu->psc[d].misses);
			json_object_end(jw);
		}
	json_object_end(jw);
	json_key(jw, "levels");
	json_object_begin(jw);
	for (unsigned l = 0; l < 3; l++) {
		struct tlb_stats st;
		struct stat_field f[TLB_STAT_FIELDS];

		tlb_get_stats(cpu, l, &st);
		tlb_stat_fields(&st, f);
		json_key(jw, level_keys[l]);
		json_object_begin(jw);
		json_stat_fields(jw, f, TLB_STAT_FIELDS);
		json_object_end(jw);
	}
	json_object_end(jw);
	json_key(jw, "arrays");
	json_array_begin(jw);
	for (unsigned i = 0; i < 5; i++)
		tlb_array_show(cpu, arrs[i], jw, NULL);
	json_array_end(jw);
	json_object_end(jw);
}

static int view_tlb(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		    struct strbuf *sb)
{
	(void)a;
	if (jw) {
		json_object_begin(jw);
		json_key(jw, "cpus");
		json_array_begin(jw);
	}
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct vmsim_cpu *cpu = &m->cpus[c];
		const struct tlb_array *const arrs[5] = { &cpu->l1[TLB_D], &cpu->l1_large[TLB_D],
							  &cpu->l1[TLB_I], &cpu->l1_large[TLB_I],
							  &cpu->l2 };

		if (jw) {
			tlb_cpu_json(c, cpu, arrs, jw);
			continue;
		}
		sb_printf(sb, "cpu %u: cr3 %#" PRIx64 " pcid %u  CR0.WP=%d EFER.NXE=%d CR4.PSE=%d "
			  "SMEP=%d SMAP=%d PCIDE=%d\n", c, cpu->cr3, cpu->pcid, cpu->wp, cpu->nxe,
			  cpu->pse, cpu->smep, cpu->smap, cpu->pcid_enabled);
		sb_printf(sb, "  %-4s %12s %12s %12s %12s %10s %8s\n", "", "hits", "misses",
			  "fills", "evictions", "flushes", "invlpg");
		for (unsigned l = 0; l < 3; l++) {
			struct tlb_stats st;

			tlb_get_stats(cpu, l, &st);
			sb_printf(sb, "  %-4s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
				  " %10" PRIu64 " %8" PRIu64 "\n", level_names[l], st.hits,
				  st.misses, st.fills, st.evictions, st.flushes, st.invlpg);
		}
		sb_printf(sb, "  walks %" PRIu64 ", entries read %" PRIu64 ", A/D writes %" PRIu64
			  ", faults %" PRIu64 "\n", cpu->st.walks, cpu->st.entries_read,
			  cpu->st.ad_writes, cpu->st.faults);
		for (unsigned d = 0; d < PT_MAX_LEVELS; d++)
			if (cpu->psc[d].entries)
				sb_printf(sb, "  %-11s %3u entries %2u ways: hits %" PRIu64 ", misses %"
					  PRIu64 "\n", cpu->psc[d].name, cpu->psc[d].entries,
					  cpu->psc[d].ways, cpu->psc[d].hits, cpu->psc[d].misses);
		sb_printf(sb, "  entries the paging-structure caches spared walks: %" PRIu64 "\n",
			  cpu->st.psc_refs_saved);
		for (unsigned i = 0; i < 5; i++)
			tlb_array_show(cpu, arrs[i], NULL, sb);
	}
	if (jw) {
		json_array_end(jw);
		json_object_end(jw);
	}
	return 0;
}

const struct view views_mmu[] = {
	{ "pagetable", view_pagetable },
	{ "tlb", view_tlb },
	{ NULL, NULL },
};
