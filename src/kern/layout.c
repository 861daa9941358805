/*
 * The kernel address space (see layout.h): kernel PTE helpers, the
 * x86_32 kernel-half synchronisation, kernel-mode accesses and the region
 * map with its text, JSON and SVG renderings.
 *
 * Invariant: every root on pgd_list (and every CPU's CR3) holds the same
 * kernel-half root entries as init_mm's root once a helper here returns,
 * so a kernel mapping made once is visible from every address space, as
 * arch_sync_kernel_mappings() guarantees in Linux.  x86_64 never needs a
 * copy after boot (kpgtable.c preallocates the vmalloc PUDs and the fixmap
 * shares the kernel image's top entry), so the sync finds nothing to do.
 */
#include "kern/layout.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/fixmap.h"
#include "kern/highmem.h"
#include "kern/task.h"
#include "kern/vmalloc.h"
#include "phys/slab.h"
#include "util/error.h"
#include "util/svg.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* tlb_single_page_flush_ceiling: above this many pages, flush everything */
#define FLUSH_CEILING 33

void kspace_shutdown(struct vmsim_machine *m)
{
	struct kernel_pgd_list *l = m->pgd_list;

	highmem_finish(m);
	vmalloc_finish(m);
	if (!l)
		return;
	if (l->roots)
		host_free(&m->ha, l->roots, sizeof(*l->roots) * l->cap);
	host_free(&m->ha, l, sizeof(*l));
	m->pgd_list = NULL;
}

int kspace_boot(struct vmsim_machine *m, struct vmsim_error *err)
{
	int ret;

	m->pgd_list = host_zalloc(&m->ha, sizeof(*m->pgd_list));
	if (!m->pgd_list)
		return verr(err, -ENOMEM, "out of host memory for pgd_list");
	ret = vmalloc_init(m, err);
	if (!ret)
		ret = highmem_init(m, err);
	if (ret)
		kspace_shutdown(m);
	return ret;
}

int kspace_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct kernel_pgd_list *l = m->pgd_list;
	struct pt_ctx *pt = &m->pt;
	unsigned n = pt_ptrs_per_table(pt->fmt, 0), esz = pt->fmt->entry_size;
	int ret;

	if (!l)
		return 0;
	for (unsigned i = 0; i < l->nr; i++)
		for (unsigned j = pt->kernel_pgd_boundary; j < n; j++)
			if (pt_read(pt, l->roots[i] + (uint64_t)j * esz) !=
			    pt_read(pt, m->vm.kernel_pgd + (uint64_t)j * esz))
				return verr(err, -EFAULT, "pgd_list: root 0x%" PRIx64 " entry %u "
					    "differs from init_mm's kernel half", l->roots[i], j);
	for (struct list_head *p = m->tasks.next; p && p != &m->tasks; p = p->next) {
		struct task_struct *t = list_entry(p, struct task_struct, tasks);

		for (unsigned j = pt->kernel_pgd_boundary; t->mm && j < n; j++)
			if (pt_read(pt, task_pgd(t) + (uint64_t)j * esz) !=
			    pt_read(pt, m->vm.kernel_pgd + (uint64_t)j * esz))
				return verr(err, -EFAULT, "task %s: page-table root entry %u differs "
					    "from init_mm's kernel half", t->comm, j);
	}
	ret = vmalloc_check(m, err);
	if (!ret)
		ret = highmem_check(m, err);
	return ret;
}

int pgd_list_add(struct vmsim_machine *m, uint64_t root)
{
	struct kernel_pgd_list *l = m->pgd_list;

	if (l->nr == l->cap) {
		unsigned nc = l->cap ? 2 * l->cap : 16;
		uint64_t *n = host_realloc(&m->ha, l->roots, sizeof(*n) * l->cap, sizeof(*n) * nc);

		if (!n)
			return -ENOMEM;
		l->roots = n;
		l->cap = nc;
	}
	l->roots[l->nr++] = root;
	/* a root copied before the last kernel-half change catches up now */
	pgd_sync_kernel(&m->pt, root, m->vm.kernel_pgd);
	return 0;
}

void pgd_list_del(struct vmsim_machine *m, uint64_t root)
{
	struct kernel_pgd_list *l = m->pgd_list;

	for (unsigned i = 0; i < l->nr; i++) {
		if (l->roots[i] == root) {
			l->roots[i] = l->roots[--l->nr];
			return;
		}
	}
}

static void sync_root(struct vmsim_machine *m, uint64_t root, uint64_t start, uint64_t end)
{
	struct pt_ctx *pt = &m->pt;
	uint64_t span = pt_entry_span(pt->fmt, 0);

	if (root == m->vm.kernel_pgd || root == 0)
		return;
	for (uint64_t va = start & ~(span - 1); va < end; va += span) {
		uint64_t k = pt_read(pt, pgd_offset(pt, m->vm.kernel_pgd, va));
		uint64_t epa = pgd_offset(pt, root, va);

		if (pt_read(pt, epa) != k) {
			set_pte(pt, epa, k);
			m->pgd_list->syncs++;
		}
		if (va + span < va)
			break;
	}
}

void arch_sync_kernel_mappings(struct vmsim_machine *m, uint64_t start, uint64_t end)
{
	struct kernel_pgd_list *l = m->pgd_list;

	for (unsigned i = 0; i < l->nr; i++)
		sync_root(m, l->roots[i], start, end);
	/* every task's mm: the process layer's own list of roots */
	if (m->tasks.next)
		for (struct list_head *p = m->tasks.next; p != &m->tasks; p = p->next) {
			struct task_struct *t = list_entry(p, struct task_struct, tasks);

			if (t->mm)
				sync_root(m, task_pgd(t), start, end);
		}
	/* roots in use that nobody registered still see the change */
	for (unsigned c = 0; c < m->nr_cpus; c++)
		sync_root(m, m->cpus[c].cr3, start, end);
}

int kernel_set_pte(struct vmsim_machine *m, uint64_t va, uint64_t pa, uint64_t prot)
{
	struct pt_ctx *pt = &m->pt;
	uint64_t top = pgd_offset(pt, m->vm.kernel_pgd, va), before = pt_read(pt, top);
	int ret;

	kspace_mark_dirty(m);
	ret = pt_map(pt, m->vm.kernel_pgd, va, pa, PAGE_SHIFT, prot, _KERNPG_TABLE);
	if (ret)
		return ret;
	/* ARCH_PAGE_TABLE_SYNC_MASK: a new top-level entry must reach every
	 * copy of the kernel half */
	if (pt_read(pt, top) != before)
		arch_sync_kernel_mappings(m, va, va + PAGE_SIZE);
	return 0;
}

void kernel_clear_pte(struct vmsim_machine *m, uint64_t va, uint64_t *old)
{
	struct pt_path p;

	*old = 0;
	kspace_mark_dirty(m);
	pt_lookup(&m->pt, m->vm.kernel_pgd, va, &p);
	if (!p.leaf || p.n != m->pt.fmt->levels)
		return;
	*old = p.e[p.n - 1];
	pte_clear(&m->pt, p.epa[p.n - 1]);
}

uint64_t kernel_pte(struct vmsim_machine *m, uint64_t va)
{
	struct pt_path p;

	pt_lookup(&m->pt, m->vm.kernel_pgd, va, &p);
	if (!p.leaf || p.n != m->pt.fmt->levels)
		return 0;
	return p.e[p.n - 1];
}

void flush_tlb_one_kernel(struct vmsim_machine *m, uint64_t va)
{
	for (unsigned c = 0; c < m->nr_cpus; c++)
		invlpg(&m->cpus[c], va);
}

void flush_tlb_kernel_range(struct vmsim_machine *m, uint64_t start, uint64_t end)
{
	if (end <= start)
		return;
	if ((end - start) >> PAGE_SHIFT > FLUSH_CEILING) {
		for (unsigned c = 0; c < m->nr_cpus; c++)
			tlb_flush_all(&m->cpus[c]);
		return;
	}
	for (uint64_t va = start & PAGE_MASK; va < end; va += PAGE_SIZE)
		flush_tlb_one_kernel(m, va);
}

/* ---- kernel-mode accesses ---- */

/* Translate every page [va, va+size) touches; pa[] gets each byte's page
 * start. */
static int kaccess(struct vmsim_machine *m, uint64_t va, unsigned size, enum mmu_access acc,
		   uint64_t pa[2], uint64_t *split, struct vmsim_fault *f)
{
	struct vmsim_cpu *cpu = &m->cpus[0];
	uint64_t last = va + size - 1;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (!translate(cpu, va, acc, MMU_KERNEL, &pa[0], f))
		return -EFAULT;
	*split = size;
	if ((last & PAGE_MASK) != (va & PAGE_MASK)) {
		/* the second page, as the CPU checks before it commits */
		*split = (unsigned)(PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		if (!translate(cpu, last & PAGE_MASK, acc, MMU_KERNEL, &pa[1], f))
			return -EFAULT;
	}
	return 0;
}

static uint8_t *ram_byte(struct vmsim_machine *m, uint64_t pa)
{
	return phys_to_host_range(&m->pm, pa, 1);
}

/* The host byte behind byte @i of an access that kaccess() translated to
 * @pa[0] (and, past @split, @pa[1]); NULL where no RAM is. */
static uint8_t *access_byte(struct vmsim_machine *m, const uint64_t pa[2], uint64_t split,
			    unsigned i, uint64_t *phys)
{
	*phys = i < split ? pa[0] + i : pa[1] + (i - split);
	return ram_byte(m, *phys);
}

int kread(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t *val,
	  struct vmsim_fault *f)
{
	uint64_t pa[2] = { 0, 0 }, split, v = 0, p;
	int ret = kaccess(m, va, size, MMU_READ, pa, &split, f);

	if (ret)
		return ret;
	for (unsigned i = 0; i < size; i++) {
		uint8_t *b = access_byte(m, pa, split, i, &p);

		v |= (uint64_t)(b ? *b : 0xff) << (8 * i);
	}
	*val = v;
	return 0;
}

int kwrite(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t val,
	   struct vmsim_fault *f)
{
	uint64_t pa[2] = { 0, 0 }, split, p;
	int ret = kaccess(m, va, size, MMU_WRITE, pa, &split, f);

	if (ret)
		return ret;
	/* a kernel write may land in anything: the frame's own structures
	 * (slab, free lists) and the kernel's tables get checked */
	kspace_mark_dirty(m);
	for (unsigned i = 0; i < size; i++) {
		access_byte(m, pa, split, i, &p);
		if (frame_holds_host_structs(&m->pm, (unsigned long)(p >> PAGE_SHIFT)))
			return -EPERM;
	}
	for (unsigned i = 0; i < size; i++) {
		uint8_t *b = access_byte(m, pa, split, i, &p);

		if (b) {
			*b = (uint8_t)(val >> (8 * i));
			frame_mark_touched(&m->pm, p >> PAGE_SHIFT);
			phys_track(&m->pm, (unsigned long)(p >> PAGE_SHIFT));
		}
	}
	return 0;
}

/* ---- the region map ---- */

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

/* ---- renderings ---- */

static const char *kind_name(enum kregion_kind k)
{
	static const char *const names[] = { "user", "hole", "direct", "vmalloc", "vmemmap",
					     "pkmap", "fixmap", "text", "modules", "vsyscall",
					     "other" };
	return names[k];
}

void layout_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb)
{
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);
	int w = config_is_64(&m->cfg) ? 16 : 8;
	char sz[32];

	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "machine", m->cfg.name);
		json_key_str(jw, "arch", config_is_64(&m->cfg) ? "x86_64" : "x86_32");
		json_key_str(jw, "paging", m->pt.fmt->mode);
		json_key(jw, "regions");
		json_array_begin(jw);
		for (unsigned i = 0; i < n; i++) {
			uint64_t size = r[i].last - r[i].start + 1;

			json_object_begin(jw);
			json_key_str(jw, "name", r[i].name);
			json_key_str(jw, "kind", kind_name(r[i].kind));
			json_key_hex(jw, "start", r[i].start);
			json_key_hex(jw, "last", r[i].last);
			json_key(jw, "size");
			if (size)
				json_u64(jw, size);
			else
				json_double(jw, 18446744073709551616.0, 0);	/* all 2^64 bytes */
			json_key_str(jw, "mapped_by", r[i].what);
			json_object_end(jw);
		}
		json_array_end(jw);
		json_object_end(jw);
		return;
	}
	sb_printf(sb, "%s: %s, %s, %u-bit virtual addresses\n", m->cfg.name,
		  config_is_64(&m->cfg) ? "x86_64" : "x86_32", m->pt.fmt->mode, m->pt.fmt->va_bits);
	sb_printf(sb, "%-*s  %-*s  %-11s %-20s %s\n", w, "start", w < 10 ? 10 : w, "end (last)",
		  "size", "region", "mapped by");
	for (unsigned i = 0; i < n; i++) {
		layout_size_str(r[i].last - r[i].start + 1, sz, sizeof(sz));
		sb_printf(sb, "%0*" PRIx64 "  %0*" PRIx64 "%*s  %-11s %-20s %s\n", w, r[i].start, w,
			  r[i].last, w < 10 ? 10 - w : 0, "", sz, r[i].name, r[i].what);
	}
}

static const char *kind_fill(enum kregion_kind k)
{
	static const char *const fill[] = {
		"#cfe8cf", "#f2f2f2", "#bcd7f5", "#f7d9a8", "#e3d0f2", "#f5b7b1",
		"#f9e79f", "#d5dbdb", "#d6eaf8", "#fadbd8", "#e8e8e8",
	};
	return fill[k];
}

/*
 * The map as a picture, high addresses at the top as the seeds draw it.
 * Region heights grow with log2 of the size (a 4 KiB page and a 128 TiB
 * user space cannot share a linear scale); holes of 1 TiB or more are
 * drawn as a fixed-height break.
 */
void layout_svg(struct vmsim_machine *m, struct strbuf *sb)
{
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);
	int w = config_is_64(&m->cfg) ? 16 : 8;
	const double bar_x = 200, bar_w = 250, width = 1180;
	double h[KREGION_MAX], total = 0, y;
	char buf[256], sz[32];

	for (unsigned i = 0; i < n; i++) {
		uint64_t size = r[i].last - r[i].start + 1;
		double lg = size ? log2((double)size) : 64.0;

		if (r[i].kind == KR_HOLE && (size == 0 || size >= TiB))
			h[i] = 42;
		else
			h[i] = 20 + 5.0 * (lg > 12 ? lg - 12 : 0);
		total += h[i];
	}
	sb_printf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		      "font-family=\"DejaVu Sans Mono, monospace\">\n"
		      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", width, total + 110);
	snprintf(buf, sizeof(buf), "Virtual address space of machine '%s' (%s, %s)", m->cfg.name,
		 config_is_64(&m->cfg) ? "x86_64" : "x86_32", m->pt.fmt->mode);
	svg_text(sb, 20, 28, "start", 18, "#000", buf);
	svg_text(sb, 20, 48, "start", 11, "#555",
		 "heights grow with log2(size); zigzag = hole of 1 TiB or more, not to scale");
	y = 70;
	for (unsigned i = n; i-- > 0;) {
		uint64_t size = r[i].last - r[i].start + 1;
		bool brk = r[i].kind == KR_HOLE && (size == 0 || size >= TiB);
		double mid = y + h[i] / 2 + 4;

		sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			      "stroke=\"#444\" stroke-width=\"0.8\"/>\n", bar_x, y, bar_w, h[i],
			  kind_fill(r[i].kind));
		if (brk) {
			/* two zigzag lines: the break */
			for (int k = 0; k < 2; k++) {
				double zy = y + 24 + 10 * k;

				sb_printf(sb, "<polyline fill=\"none\" stroke=\"#888\" points=\"");
				for (int s = 0; s <= 10; s++)
					sb_printf(sb, "%.1f,%.1f ", bar_x + bar_w * s / 10,
						  zy + ((s & 1) ? -4 : 4));
				sb_puts(sb, "\"/>\n");
			}
		}
		layout_size_str(size, sz, sizeof(sz));
		snprintf(buf, sizeof(buf), "%s  %s", r[i].name, sz);
		svg_text(sb, bar_x + bar_w / 2, brk ? y + 13 : mid, "middle", 12, "#000", buf);
		svg_text(sb, bar_x + bar_w + 12, mid, "start", 11, "#333", r[i].what);
		/* the region's first address at its lower edge */
		snprintf(buf, sizeof(buf), "0x%0*" PRIx64, w, r[i].start);
		svg_text(sb, bar_x - 8, y + h[i] + 4, "end", 11, "#000", buf);
		if (i == n - 1) {
			snprintf(buf, sizeof(buf), "0x%0*" PRIx64, w, r[i].last);
			svg_text(sb, bar_x - 8, y + 4, "end", 11, "#000", buf);
		}
		y += h[i];
	}
	sb_puts(sb, "</svg>\n");
}
