/*
 * The region map (see layout.h): every range of the machine's virtual
 * address space -- user space, holes, the direct map, vmalloc, vmemmap,
 * pkmap, fixmap, kernel text, modules, vsyscall -- with what maps it,
 * counted live from init_mm's page tables and the vmalloc, pkmap and
 * fixmap state.  The `layout` view renders it (views_kmem.c).
 *
 * Invariant: kernel_layout() returns regions in ascending address order
 * that cover 0 .. the top of the address space exactly once (the gaps
 * filled with "unused" holes), and building them changes nothing: the
 * leaves are counted with pt_walk_range(), which sets no A/D bit and
 * fills no TLB.
 */
#include "kern/layout.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/fixmap.h"
#include "kern/highmem.h"
#include "kern/kpgtable.h"
#include "kern/vmalloc.h"

#define TiB (1ULL << 40)

void layout_size_str(uint64_t size, char *buf, unsigned len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	double v;

	if (size == 0) {
		snprintf(buf, len, "16 EiB");
		return;
	}
	while (u < 6 && size >= (1ULL << (10 * (u + 1))))
		u++;
	if (!(size & ((1ULL << (10 * u)) - 1))) {
		snprintf(buf, len, "%" PRIu64 " %s", size >> (10 * u), unit[u]);
		return;
	}
	/* truncate, so 128 TiB less a page does not print as "128.00" */
	v = floor((double)size / (double)(1ULL << (10 * u)) * 100.0) / 100.0;
	snprintf(buf, len, "%.2f %s", v, unit[u]);
}

struct leaf_count {
	unsigned long n[4];	/* 4 KiB, 2/4 MiB, 1 GiB, other */
	unsigned shifts[4];
};

static int count_leaf(void *arg, uint64_t va, unsigned depth, uint64_t epa, uint64_t e, bool leaf)
{
	struct leaf_count *c = arg;

	(void)va;
	(void)epa;
	(void)e;
	if (!leaf)
		return 0;
	for (unsigned i = 0; i < 3; i++)
		if (c->shifts[i] == depth) {
			c->n[i]++;
			return 0;
		}
	c->n[3]++;
	return 0;
}

/* "N x 1 GiB + M x 4 KiB pages" for the kernel's leaves in [start, last]. */
static void describe_leaves(struct vmsim_machine *m, uint64_t start, uint64_t last, char *buf,
			    size_t len)
{
	const struct pt_format *f = m->pt.fmt;
	struct leaf_count c = { { 0 }, { ~0u, ~0u, ~0u, ~0u } };
	size_t used = 0;
	bool any = false;

	/* depth of each leaf size in this format: 4 KiB, the PMD's 2/4 MiB,
	 * the PUD's 1 GiB */
	c.shifts[0] = f->levels - 1;
	for (unsigned d = 0; d + 1 < f->levels; d++)
		if (f->lvl[d].large)
			c.shifts[f->lvl[d].shift == 30 ? 2 : 1] = d;
	pt_walk_range(&m->pt, m->vm.kernel_pgd, start, last, count_leaf, &c);
	buf[0] = '\0';
	for (int i = 2; i >= 0; i--) {
		char sz[32];

		if (!c.n[i] || c.shifts[i] == ~0u)
			continue;
		layout_size_str(pt_entry_span(f, c.shifts[i]), sz, sizeof(sz));
		used += (size_t)snprintf(buf + used, len > used ? len - used : 0, "%s%lu x %s",
					 any ? " + " : "", c.n[i], sz);
		any = true;
	}
	if (!any)
		snprintf(buf, len, "no kernel PTEs");
	else if (used < len)
		snprintf(buf + used, len - used, " pages");
}

struct lbuild {
	struct kregion *r;
	unsigned n, max;
};

__attribute__((format(printf, 6, 7)))
static void add(struct lbuild *b, const char *name, enum kregion_kind kind, uint64_t start,
		uint64_t last, const char *fmt, ...)
{
	va_list ap;
	struct kregion *r;

	if (b->n >= b->max || last < start)
		return;
	r = &b->r[b->n++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->kind = kind;
	r->start = start;
	r->last = last;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
}

/* Add a region only where it fits in a hole between the others. */
static bool free_range(struct lbuild *b, uint64_t start, uint64_t last)
{
	for (unsigned i = 0; i < b->n; i++)
		if (!(last < b->r[i].start || start > b->r[i].last))
			return false;
	return true;
}

static int cmp_region(const void *a, const void *b)
{
	const struct kregion *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void vmalloc_what(struct vmsim_machine *m, char *buf, size_t len)
{
	struct vmap_state *s = m->vmap;
	char leaves[96];

	describe_leaves(m, s->start, s->end - 1, leaves, sizeof(leaves));
	snprintf(buf, len, "init_mm PTEs on demand: %lu areas (%lu lazily freed), %lu pages; %s",
		 s->nr_busy, s->nr_lazy, s->nr_vmalloc_pages, leaves);
}

/* Fixmap slots in [lo, hi] (indices) that have a PTE. */
static unsigned fix_mapped(struct vmsim_machine *m, unsigned lo, unsigned hi)
{
	unsigned n = 0;

	for (unsigned i = lo; i <= hi; i++)
		if (kernel_pte(m, __fix_to_virt(m, i)) & _PAGE_PRESENT)
			n++;
	return n;
}

static void layout_64(struct vmsim_machine *m, struct lbuild *b)
{
	const struct vmsim_config *c = &m->cfg;
	const unsigned va_bits = m->pt.fmt->va_bits;
	const uint64_t canon_lo_end = 1ULL << (va_bits - 1), canon_hi = ~(canon_lo_end - 1);
	const uint64_t vsyscall = 0xffffffffff600000ULL;
	/* MAX_PHYSMEM_BITS: 52 under 5-level paging, else 46 */
	const unsigned physmem_bits = va_bits > 48 ? 52 : 46;
	struct fixmap_layout fl;
	char w[128], room[32];
	uint64_t dm_max = c->page_offset + (1ULL << physmem_bits);
	uint64_t vmemmap_end = c->vmemmap + TiB;

	fixmap_layout(c, &fl);
	add(b, "user space", KR_USER, 0, c->task_size - 1,
	    "process page tables (one per mm); empty in init_mm");
	if (c->task_size == canon_lo_end - PAGE_SIZE)
		add(b, "guard page", KR_HOLE, c->task_size, canon_lo_end - 1,
		    "never mapped: TASK_SIZE stops a page short of the hole");
	else if (c->task_size < canon_lo_end)
		add(b, "above TASK_SIZE", KR_HOLE, c->task_size, canon_lo_end - 1,
		    "never mapped: past this machine's TASK_SIZE");
	add(b, "non-canonical hole", KR_HOLE, canon_lo_end, canon_hi - 1,
	    "no such addresses: bits 63..%u must copy bit %u (#GP)", va_bits, va_bits - 1);
	b->r[b->n - 1].noncanonical = true;
	if (c->page_offset > canon_hi)
		add(b, "guard hole", KR_HOLE, canon_hi, c->page_offset - 1,
		    "unused (reserved for a hypervisor)");
	describe_leaves(m, c->page_offset, c->high_memory - 1, w, sizeof(w));
	add(b, "direct map (RAM)", KR_DIRECT, c->page_offset, c->high_memory - 1,
	    "kernel PGD, all RAM from physical 0: %s", w);
	if (dm_max > c->vmalloc_start || dm_max < c->page_offset)
		dm_max = c->vmalloc_start;
	layout_size_str(1ULL << physmem_bits, room, sizeof(room));
	add(b, "direct map (no RAM)", KR_HOLE, c->high_memory, dm_max - 1,
	    "room for up to %s of RAM (MAX_PHYSMEM_BITS %u), nothing mapped", room, physmem_bits);
	{
		char v[200];
		vmalloc_what(m, v, sizeof(v));
		add(b, "vmalloc", KR_VMALLOC, c->vmalloc_start, c->vmalloc_end - 1, "%s", v);
	}
	if (vmemmap_end > c->kernel_map || vmemmap_end < c->vmemmap)
		vmemmap_end = c->kernel_map;
	add(b, "vmemmap", KR_VMEMMAP, c->vmemmap, vmemmap_end - 1,
	    "struct page array: %lu pages x 64 B; vmsim keeps mem_map in host memory, unmapped",
	    m->pm.max_pfn);
	/* Linux regions vmsim does not model, where they fit */
	if (free_range(b, 0xfffffe0000000000ULL, 0xfffffe7fffffffffULL) &&
	    0xfffffe0000000000ULL > vmemmap_end && 0xfffffe7fffffffffULL < c->kernel_map)
		add(b, "cpu_entry_area", KR_OTHER, 0xfffffe0000000000ULL, 0xfffffe7fffffffffULL,
		    "GDT, TSS and entry stacks per CPU (not modeled)");
	if (free_range(b, 0xffffff0000000000ULL, 0xffffff7fffffffffULL) &&
	    0xffffff0000000000ULL > vmemmap_end && 0xffffff7fffffffffULL < c->kernel_map)
		add(b, "%esp fixup stacks", KR_OTHER, 0xffffff0000000000ULL, 0xffffff7fffffffffULL,
		    "espfix64 (not modeled)");
	if (free_range(b, 0xffffffef00000000ULL, 0xfffffffeffffffffULL) &&
	    0xffffffef00000000ULL > vmemmap_end && 0xfffffffeffffffffULL < c->kernel_map)
		add(b, "EFI runtime", KR_OTHER, 0xffffffef00000000ULL, 0xfffffffeffffffffULL,
		    "EFI region mapping space (not modeled)");
	describe_leaves(m, c->kernel_map, c->modules_start - 1, w, sizeof(w));
	add(b, "kernel text", KR_TEXT, c->kernel_map, c->modules_start - 1,
	    "__START_KERNEL_map = physical 0: image at 0x%" PRIx64 ", %s", c->kernel_start, w);
	add(b, "modules", KR_MODULES, c->modules_start, c->modules_end - 1,
	    "module mapping space (no modules in vmsim)");
	add(b, "fixmap (boot slots)", KR_FIXMAP, __fix_to_virt(m, fl.end_of_fixed - 1),
	    __fix_to_virt(m, fl.fix_btmap_end) + PAGE_SIZE - 1,
	    "FIX_BTMAP_END..BEGIN: early_ioremap at boot, %u mapped",
	    fix_mapped(m, fl.fix_btmap_end, fl.end_of_fixed - 1));
	add(b, "fixmap", KR_FIXMAP, __fix_to_virt(m, fl.end_of_permanent - 1), vsyscall - 1,
	    "FIX_DBGP_BASE .. FIX_IO_APIC_BASE_END: %u of %u slots mapped",
	    fix_mapped(m, fl.fix_dbgp_base, fl.end_of_permanent - 1),
	    fl.end_of_permanent - fl.fix_dbgp_base);
	add(b, "vsyscall", KR_VSYSCALL, vsyscall, vsyscall + PAGE_SIZE - 1,
	    "fixmap VSYSCALL_PAGE, the legacy vsyscall ABI (%s)",
	    (kernel_pte(m, vsyscall) & _PAGE_PRESENT) ? "mapped" : "not mapped here");
	add(b, "fixmap (unnamed)", KR_FIXMAP, vsyscall + PAGE_SIZE, c->fixaddr_top + PAGE_SIZE - 1,
	    "slots %u..0 below VSYSCALL_PAGE in the enum, unused", fl.vsyscall_page - 1);
}

static void layout_32(struct vmsim_machine *m, struct lbuild *b)
{
	const struct vmsim_config *c = &m->cfg;
	struct fixmap_layout fl;
	char w[128];
	unsigned ncpu = m->nr_cpus ? m->nr_cpus : 1, used = 0, held = 0;
	uint64_t pk_end = c->pkmap_base + (uint64_t)c->last_pkmap * PAGE_SIZE;

	fixmap_layout(c, &fl);
	add(b, "user space", KR_USER, 0, c->task_size - 1,
	    "process page tables (one per mm); empty in init_mm");
	describe_leaves(m, c->page_offset, c->high_memory - 1, w, sizeof(w));
	add(b, "direct map (lowmem)", KR_DIRECT, c->page_offset, c->high_memory - 1,
	    "%s, physical 0..0x%" PRIx64 ": %s",
	    m->pt.fmt->root_regs ? "the kernel PMD every PDPT shares" : "kernel page directory",
	    c->lowmem_end, w);
	add(b, "VMALLOC_OFFSET gap", KR_HOLE, c->high_memory, c->vmalloc_start - 1,
	    "never mapped: an overrun of the direct map faults here");
	{
		char v[200];
		vmalloc_what(m, v, sizeof(v));
		add(b, "vmalloc", KR_VMALLOC, c->vmalloc_start, c->vmalloc_end - 1, "%s", v);
	}
	add(b, "guard", KR_HOLE, c->vmalloc_end, c->pkmap_base - 1,
	    "two unmapped pages between vmalloc and the pkmap");
	for (unsigned i = 0; m->highmem && i < m->highmem->last_pkmap; i++) {
		used += m->highmem->pkmap_count[i] > 0;
		held += m->highmem->pkmap_count[i] > 1;
	}
	add(b, "pkmap", KR_PKMAP, c->pkmap_base, pk_end - 1,
	    "kmap(): %u of %u slots mapped (%u held), one page table", used, c->last_pkmap,
	    held);
	add(b, "LDT remap", KR_OTHER, c->ldt_base,
	    c->ldt_base + (1ULL << config_pmd_shift(c)) - 1,
	    "PTI's per-mm LDT mapping (not modeled)");
	add(b, "cpu_entry_area", KR_OTHER, c->cpu_entry_area_base,
	    c->cpu_entry_area_base + (43ULL * ncpu + 1) * PAGE_SIZE - 1,
	    "GDT, TSS and entry stacks, 43 pages per CPU + IDT (not modeled)");
	add(b, "fixmap (boot slots)", KR_FIXMAP, __fix_to_virt(m, fl.end_of_fixed - 1),
	    __fix_to_virt(m, fl.fix_btmap_end) + PAGE_SIZE - 1,
	    "FIX_BTMAP_END..BEGIN + FIX_WP_TEST: early_ioremap at boot, %u mapped",
	    fix_mapped(m, fl.fix_btmap_end, fl.end_of_fixed - 1));
	add(b, "fixmap", KR_FIXMAP, __fix_to_virt(m, fl.fix_pcie_mcfg),
	    __fix_to_virt(m, fl.fix_kmap_end) - 1, "FIX_PCIE_MCFG (%s)",
	    fix_mapped(m, fl.fix_pcie_mcfg, fl.fix_pcie_mcfg) ? "mapped" : "not mapped");
	add(b, "fixmap (kmap_local)", KR_FIXMAP, __fix_to_virt(m, fl.fix_kmap_end),
	    __fix_to_virt(m, fl.fix_kmap_begin) + PAGE_SIZE - 1,
	    "kmap_atomic/kmap_local: %u per CPU x %u CPU(s), %u mapped", fl.km_max_idx, ncpu,
	    fix_mapped(m, fl.fix_kmap_begin, fl.fix_kmap_end));
	add(b, "fixmap", KR_FIXMAP, __fix_to_virt(m, fl.fix_io_apic_base_end),
	    c->fixaddr_top + PAGE_SIZE - 1,
	    "FIX_HOLE, DBGP, EARLYCON, APIC, 64 IO-APIC slots: %u mapped",
	    fix_mapped(m, 0, fl.fix_io_apic_base_end));
}

unsigned kernel_layout(struct vmsim_machine *m, struct kregion *r, unsigned max)
{
	struct kregion tmp[KREGION_MAX];
	struct lbuild b = { tmp, 0, KREGION_MAX };
	uint64_t top = config_is_64(&m->cfg) ? ~0ULL : 0xffffffffULL, at = 0;
	unsigned n = 0;
	bool reached_top = false;

	if (config_is_64(&m->cfg))
		layout_64(m, &b);
	else
		layout_32(m, &b);
	qsort(tmp, b.n, sizeof(tmp[0]), cmp_region);
	/* fill the gaps with holes so the map covers every address once */
	for (unsigned i = 0; i < b.n && !reached_top && n < max; i++) {
		if (tmp[i].start < at)
			continue;	/* overlaps what came before: keep the first */
		if (tmp[i].start > at) {
			r[n] = (struct kregion){ .name = "unused", .kind = KR_HOLE, .start = at,
						 .last = tmp[i].start - 1 };
			snprintf(r[n].what, sizeof(r[n].what), "nothing mapped");
			if (++n >= max)
				break;
		}
		r[n++] = tmp[i];
		if (tmp[i].last >= top)
			reached_top = true;
		else
			at = tmp[i].last + 1;
	}
	if (!reached_top && n < max) {
		r[n] = (struct kregion){ .name = "unused", .kind = KR_HOLE, .start = at, .last = top };
		snprintf(r[n].what, sizeof(r[n].what), "nothing mapped");
		n++;
	}
	return n;
}
