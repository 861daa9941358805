/*
 * Paging-structure caches with known answers (Intel SDM vol. 3 section
 * 4.10.3): a second miss under the same 2 MiB region reads only its PTE,
 * under the same 1 GiB its PDE and PTE; INVLPG of any address, a CR3 load,
 * INVPCID and a #PF drop them; PCIDs keep them apart; a table entry
 * rewritten in RAM without INVLPG is not seen (the reason for shootdowns);
 * the config sizes them.  Then the formats that are only descriptions, to
 * show the walker needs no code for them, on a CPU switched to them: PAE,
 * whose four PDPTEs are loaded at the CR3 load and have no R/W, U/S or A,
 * and 5-level paging with 57-bit addresses, whose page numbers the TLB
 * tags must hold whole.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "mmu/mmu.h"
#include "mmu/psc.h"
#include "mmu_test.h"
#include "phys/gfp.h"
#include "phys/mmzone.h"

#define URW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)
#define A 0x40000000ULL		/* a 2 MiB region, 1 GiB aligned */

/* Translate @va for a user read: the physical address, or all ones. */
static uint64_t xl(struct rig *r, uint64_t va)
{
	struct vmsim_fault f;
	uint64_t pa;

	return translate(r->cpu, va, MMU_READ, MMU_USER, &pa, &f) ? pa : ~0ULL;
}

/* Entries the walk of a TLB miss of @va reads. */
static uint64_t reads(struct rig *r, uint64_t va)
{
	uint64_t before = r->cpu->st.entries_read;

	xl(r, va);
	return r->cpu->st.entries_read - before;
}

/* Map 4 KiB pages at A + i * 4 KiB for each i in [0, n), and one in the
 * next 2 MiB region of the same 1 GiB. */
static void map_region(struct rig *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pt_map(&r->m->pt, r->root, A + i * 4096ULL, 0x800000 + i * 4096ULL,
					12, URW, _PAGE_TABLE), 0);
	assert_int_equal(pt_map(&r->m->pt, r->root, A + (2 << 20), 0x900000, 12, URW, _PAGE_TABLE), 0);
}

/* A machine with map_region(@n) whose first miss at A walked all 4
 * levels and filled the caches. */
static void warm(struct rig *r, const char **sets, unsigned n)
{
	rig_init(r, "x86_64", sets);
	map_region(r, n);
	assert_int_equal(reads(r, A), 4);
}

static const struct psc *cache(struct rig *r, const char *name)
{
	for (unsigned d = 0; d < PT_MAX_LEVELS; d++)
		if (r->cpu->psc[d].entries && strcmp(r->cpu->psc[d].name, name) == 0)
			return &r->cpu->psc[d];
	fail_msg("no %s", name);
	return NULL;
}

static void test_psc_second_miss_walks_only_below_the_cached_level(void **state)
{
	struct rig r;

	(void)state;
	warm(&r, NULL, 4);
	/* same 2 MiB region: the PDE cache gives the page table */
	assert_int_equal(reads(&r, A + 0x1000), 1);
	assert_int_equal(cache(&r, "pde_cache")->hits, 1);
	assert_int_equal(r.cpu->st.psc_refs_saved, 3);
	/* same 1 GiB: the PDPTE cache gives the page directory */
	assert_int_equal(reads(&r, A + (2 << 20)), 2);
	assert_int_equal(cache(&r, "pdpte_cache")->hits, 1);
	/* the walk's answer is the tables' */
	assert_int_equal(xl(&r, A + 0x2123), 0x802123);
	rig_finish(&r);
}

static void test_psc_invlpg_of_any_address_drops_them(void **state)
{
	struct rig r;

	(void)state;
	warm(&r, NULL, 4);
	assert_int_equal(reads(&r, A + 0x1000), 1);
	/* an address nothing maps, in another PML4 slot: every entry of
	 * the PCID goes (SDM 4.10.4.1), the TLB's entries for A stay */
	invlpg(r.cpu, 0x7f0000000000ULL);
	assert_int_equal(reads(&r, A), 0);	/* a TLB hit */
	assert_int_equal(reads(&r, A + 0x2000), 4);
	rig_finish(&r);
}

/* The valid entries of @c, counted from the tags, which must be what the
 * cache keeps in nvalid (the lookup skips an empty cache by that count). */
static unsigned valid_entries(const struct psc *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->entries; i++)
		n += c->tag[i] != PSC_TAG_INVALID;
	assert_int_equal(c->nvalid, n);
	return n;
}

static void test_psc_empty_caches_count_misses_unsearched(void **state)
{
	static const char *const names[] = { "pml4e_cache", "pdpte_cache", "pde_cache" };
	struct rig r;

	(void)state;
	/* the first walk found each cache empty: a miss in each, and each
	 * then holds the one entry it filled */
	warm(&r, NULL, 4);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(cache(&r, names[i])->misses, 1);
		assert_int_equal(valid_entries(cache(&r, names[i])), 1);
	}
	assert_int_equal(reads(&r, A + (2 << 20)), 2);	/* a PDPTE cache hit */
	assert_int_equal(valid_entries(cache(&r, "pde_cache")), 2);
	/* INVLPG empties them; the next walk reads all four levels and
	 * counts a miss in each empty cache, as a search would have */
	invlpg(r.cpu, A);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(valid_entries(cache(&r, names[i])), 0);
	assert_int_equal(reads(&r, A + 0x3000), 4);
	assert_int_equal(cache(&r, "pml4e_cache")->misses, 2);
	assert_int_equal(cache(&r, "pdpte_cache")->misses, 2);
	assert_int_equal(cache(&r, "pde_cache")->misses, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(valid_entries(cache(&r, names[i])), 1);
	/* a fault drops the address's entries: the counts follow */
	psc_drop_va(r.cpu, A);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(valid_entries(cache(&r, names[i])), 0);
	rig_finish(&r);
}

static void test_psc_cr3_load_and_pcids(void **state)
{
	const char *sets[] = { "cpu.pcid=true", NULL };
	struct rig r;

	(void)state;
	warm(&r, NULL, 4);
	mmu_load_cr3(r.cpu, r.root, 0, false);
	assert_int_equal(reads(&r, A + 0x1000), 4);
	rig_finish(&r);

	rig_init(&r, "x86_64", sets);
	map_region(&r, 8);
	mmu_load_cr3(r.cpu, r.root, 1, false);
	assert_int_equal(reads(&r, A), 4);
	/* PCID 2 does not see PCID 1's entries; PCID 1 keeps them across a
	 * no-flush switch */
	mmu_load_cr3(r.cpu, r.root, 2, true);
	assert_int_equal(reads(&r, A + 0x1000), 4);
	mmu_load_cr3(r.cpu, r.root, 1, true);
	assert_int_equal(reads(&r, A + 0x2000), 1);
	/* INVPCID single-context drops PCID 1's, not PCID 2's */
	assert_int_equal(invpcid(r.cpu, INVPCID_SINGLE, 1, 0), 0);
	assert_int_equal(reads(&r, A + 0x3000), 4);
	mmu_load_cr3(r.cpu, r.root, 2, true);
	assert_int_equal(reads(&r, A + 0x4000), 1);
	/* INVPCID individual-address: all of the PCID's, whatever the address */
	assert_int_equal(invpcid(r.cpu, INVPCID_ADDR, 2, 0x1000), 0);
	assert_int_equal(reads(&r, A + 0x5000), 4);
	/* all contexts */
	mmu_load_cr3(r.cpu, r.root, 1, true);
	assert_int_equal(invpcid(r.cpu, INVPCID_ALL_NONGLOBAL, 0, 0), 0);
	assert_int_equal(reads(&r, A + 0x6000), 4);
	/* the instruction's #GP cases */
	assert_int_equal(invpcid(r.cpu, 4, 1, 0), -EINVAL);
	assert_int_equal(invpcid(r.cpu, INVPCID_ADDR, 4096, 0), -EINVAL);
	assert_int_equal(invpcid(r.cpu, INVPCID_ADDR, 1, 0x800000000000ULL), -EINVAL);
	mmu_load_cr3(r.cpu, r.root, 1, false);
	rig_finish(&r);
}

static void test_psc_invpcid_address_keeps_globals(void **state)
{
	const char *sets[] = { "cpu.pcid=true", NULL };
	struct rig r;

	(void)state;
	rig_init(&r, "x86_64", sets);
	assert_int_equal(pt_map(&r.m->pt, r.root, A, 0x800000, 12, URW | _PAGE_GLOBAL, _PAGE_TABLE), 0);
	assert_int_equal(pt_map(&r.m->pt, r.root, A + 0x1000, 0x801000, 12, URW, _PAGE_TABLE), 0);
	mmu_load_cr3(r.cpu, r.root, 3, false);
	xl(&r, A);
	xl(&r, A + 0x1000);
	assert_int_equal(invpcid(r.cpu, INVPCID_ADDR, 3, A), 0);
	assert_int_equal(invpcid(r.cpu, INVPCID_ADDR, 3, A + 0x1000), 0);
	assert_non_null(tlb_array_lookup(&r.cpu->l1[TLB_D], A, 3));
	assert_null(tlb_array_lookup(&r.cpu->l1[TLB_D], A + 0x1000, 3));
	assert_int_equal(invpcid(r.cpu, INVPCID_ALL, 0, 0), 0);
	assert_null(tlb_array_lookup(&r.cpu->l1[TLB_D], A, 3));
	mmu_load_cr3(r.cpu, r.root, 3, false);
	rig_finish(&r);
}

static void test_psc_stale_upper_entry_until_invlpg(void **state)
{
	struct rig r;
	struct pt_path p;
	uint64_t pde;

	(void)state;
	warm(&r, NULL, 4);
	/* a second page table, mapping A + 0x3000 elsewhere; then A's PDE
	 * is pointed at it in RAM, without INVLPG */
	assert_int_equal(pt_map(&r.m->pt, r.root, A + (4 << 20) + 0x3000, 0xa03000, 12, URW,
				_PAGE_TABLE), 0);
	pt_lookup(&r.m->pt, r.root, A + (4 << 20), &p);
	pde = p.e[2];
	pt_lookup(&r.m->pt, r.root, A, &p);
	set_pte(&r.m->pt, p.epa[2], pde);
	/* the PDE cache still holds the old page table (the SDM allows it) */
	assert_int_equal(xl(&r, A + 0x3000), 0x803000);
	invlpg(r.cpu, A + 0x3000);
	assert_int_equal(xl(&r, A + 0x3000), 0xa03000);
	set_pte(&r.m->pt, p.epa[2], p.e[2]);
	tlb_flush_all(r.cpu);
	rig_finish(&r);
}

static void test_psc_fault_drops_the_address_entries(void **state)
{
	struct rig r;
	struct pt_path p;

	(void)state;
	warm(&r, NULL, 4);
	pt_lookup(&r.m->pt, r.root, A + 0x1000, &p);
	set_pte(&r.m->pt, p.epa[3], 0);
	/* a PDE-cache hit, then P=0 in the PTE: #PF, which drops what the
	 * address would use: the next miss under it walks from the top */
	assert_int_equal(reads(&r, A + 0x1000), 1);
	assert_int_equal(r.cpu->st.faults, 1);
	assert_int_equal(reads(&r, A + 0x2000), 4);
	rig_finish(&r);
}

static void test_psc_sizes_from_the_config(void **state)
{
	const char *off[] = { "tlb.pml4e_cache.entries=0", "tlb.pdpte_cache.entries=0",
			      "tlb.pde_cache.entries=0", NULL };
	const char *bad[] = { "tlb.pde_cache.entries=48", NULL };
	const char *x32[] = { "tlb.pde_cache.entries=2", "tlb.pde_cache.ways=2", NULL };
	struct vmsim_error err = { 0 };
	struct rig r;

	(void)state;
	warm(&r, off, 2);
	assert_int_equal(reads(&r, A + 0x1000), 4);
	rig_finish(&r);

	assert_null(vmsim_machine_create("x86_64", bad, &err));
	assert_non_null(strstr(err.msg, "tlb.pde_cache"));

	/* 32-bit paging: a PDE cache only, of 4 MiB regions */
	rig_init(&r, "x86_32", x32);
	assert_int_equal(r.cpu->psc[0].entries, 2);
	assert_string_equal(r.cpu->psc[0].name, "pde_cache");
	assert_int_equal(r.cpu->psc[1].entries, 0);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x08048000, 0x500000, 12, URW, _PAGE_TABLE), 0);
	assert_int_equal(pt_map(&r.m->pt, r.root, 0x08049000, 0x501000, 12, URW, _PAGE_TABLE), 0);
	assert_int_equal(reads(&r, 0x08048000), 2);
	assert_int_equal(reads(&r, 0x08049000), 1);
	rig_finish(&r);
}

/* ---- formats as descriptions ---- */

/* A frame of zeroes for hand-made tables; freed by put_frames(). */
static uint64_t frame(struct vmsim_machine *m, struct page **pages, unsigned *n)
{
	struct page *pg = alloc_pages(&m->pm, GFP_KERNEL | __GFP_ZERO, 0);

	assert_non_null(pg);
	pages[(*n)++] = pg;
	return page_to_phys(&m->pm, pg);
}

static void put_frames(struct vmsim_machine *m, struct page **pages, unsigned n)
{
	while (n)
		__free_pages(&m->pm, pages[--n], 0);
}

static void put64(struct vmsim_machine *m, uint64_t pa, uint64_t v)
{
	memcpy(phys_to_host(&m->pm, pa), &v, 8);
}

/* PAE paging, as Intel describes it (SDM vol. 3 section 4.4) and
 * pgformat.h's description says it: 3 levels of 8-byte entries, a 32-byte
 * PDPT of 4 entries loaded at the CR3 load whose R/W, U/S, A, D, PS, G and
 * NX bits are reserved, 2 MiB pages in the PD. */
static const struct pt_format *const pae_fmt = &pt_format_pae;

static void test_psc_pae_as_a_description(void **state)
{
	struct vmsim_machine *m;
	struct vmsim_cpu *cpu;
	struct vmsim_error err = { 0 };
	struct page *pages[8];
	unsigned np = 0;
	uint64_t pdpt, pd, pt, pd2;
	struct walk_result r;
	struct vmsim_fault f;

	(void)state;
	m = vmsim_machine_create("x86_32", NULL, &err);
	assert_non_null(m);
	cpu = &m->cpus[0];
	cpu->fmt = pae_fmt;
	cpu->nxe = true;
	cpu->phys_bits = 36;
	mmu_update_walk_levels(cpu);
	pdpt = frame(m, pages, &np) + 0x40;	/* 32-byte aligned, not page aligned */
	pd = frame(m, pages, &np);
	pt = frame(m, pages, &np);
	pd2 = frame(m, pages, &np);
	put64(m, pdpt + 1 * 8, pd | _PAGE_PRESENT);		/* 1 GiB .. 2 GiB */
	put64(m, pd + 8 * 3, pt | URW | _PAGE_ACCESSED);	/* 0x40600000 */
	put64(m, pt + 8 * 5, 0x1234000ULL | URW | _PAGE_NX);	/* 0x40605000 */
	put64(m, pd + 8 * 4, 0x1800000ULL | URW | _PAGE_PSE);	/* 0x40800000, 2 MiB */
	mmu_load_cr3(cpu, pdpt, 0, false);

	/* the PDPTE lends no rights: user write allowed by the PDE and PTE */
	assert_true(mmu_walk(cpu, cpu->cr3, 0x40605abcULL, MMU_WRITE, MMU_USER, &r, &f, NULL));
	assert_int_equal(r.pa, 0x1234abcULL);
	assert_int_equal(r.depth, 2);
	/* A and D set where the levels have them; the PDPTE untouched */
	assert_int_equal(*(uint64_t *)phys_to_host(&m->pm, pt + 8 * 5) & (_PAGE_ACCESSED | _PAGE_DIRTY),
			 _PAGE_ACCESSED | _PAGE_DIRTY);
	assert_int_equal(*(uint64_t *)phys_to_host(&m->pm, pdpt + 8), pd | _PAGE_PRESENT);
	/* NX in the PTE: a fetch faults, I/D reported */
	assert_false(mmu_walk(cpu, cpu->cr3, 0x40605000ULL, MMU_FETCH, MMU_USER, &r, &f, NULL));
	assert_int_equal(f.error_code, X86_PF_PROT | X86_PF_USER | X86_PF_INSTR);
	/* a 2 MiB page in the PD */
	assert_true(mmu_walk(cpu, cpu->cr3, 0x40923456ULL, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(r.pa, 0x1923456ULL);
	assert_int_equal(r.shift, 21);
	/* the walk uses the PDPTEs loaded with CR3, not RAM's */
	put64(m, pdpt + 1 * 8, pd2 | _PAGE_PRESENT);
	assert_true(mmu_walk(cpu, cpu->cr3, 0x40605000ULL, MMU_READ, MMU_USER, &r, &f, NULL));
	mmu_load_cr3(cpu, pdpt, 0, false);
	assert_false(mmu_walk(cpu, cpu->cr3, 0x40605000ULL, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(f.depth, 1);	/* pd2 is empty */
	/* R/W in a PDPTE is reserved: the MOV to CR3 #GPs (SDM 4.4.1) and
	 * the registers keep what the last load read */
	put64(m, pdpt + 1 * 8, pd | _PAGE_PRESENT | _PAGE_RW);
	assert_false(mmu_load_cr3(cpu, pdpt, 0, false));
	assert_false(mmu_walk(cpu, cpu->cr3, 0x40605000ULL, MMU_READ, MMU_KERNEL, &r, &f, NULL));
	assert_int_equal(f.error_code, 0);
	assert_int_equal(f.depth, 1);
	put64(m, pdpt + 1 * 8, pd2 | _PAGE_PRESENT);
	/* a PDPTE not present: P=0 at depth 0 */
	assert_false(mmu_walk(cpu, cpu->cr3, 0x80000000ULL, MMU_READ, MMU_KERNEL, &r, &f, NULL));
	assert_int_equal(f.error_code, 0);

	mmu_load_cr3(cpu, m->vm.kernel_pgd, 0, false);
	cpu->fmt = &pt_format_x86_32;
	cpu->nxe = false;
	cpu->phys_bits = m->cfg.phys_bits;
	mmu_update_walk_levels(cpu);
	put_frames(m, pages, np);
	vmsim_machine_destroy(m);
}

/*
 * Entries a TLB miss reads from memory, known answers per format with the
 * paging-structure caches off: one per level, except PAE's PDPTE, which
 * the walk takes from the register the CR3 load filled (SDM vol. 3
 * section 4.4.1) -- 2 on PAE as on 2-level paging, 4 on 4-level, 5 on
 * 5-level.  With the caches on, a second miss in the same 2 MiB reads only
 * its PTE everywhere.
 */
static void test_psc_entries_read_per_format(void **state)
{
	static const struct {
		const char *machine;
		uint64_t reads;
	} k[] = { { "x86_32", 2 }, { "x86_32-pae", 2 }, { "x86_64", 4 }, { "x86_64-la57", 5 } };
	const char *off[] = { "tlb.pml5e_cache.entries=0", "tlb.pml4e_cache.entries=0",
			      "tlb.pdpte_cache.entries=0", "tlb.pde_cache.entries=0", NULL };

	(void)state;
	for (unsigned i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		for (unsigned cached = 0; cached < 2; cached++) {
			struct rig r;

			rig_init(&r, k[i].machine, cached ? NULL : off);
			for (unsigned p = 0; p < 2; p++)
				assert_int_equal(pt_map(&r.m->pt, r.root, 0x08048000 + p * 4096ULL,
							0x345000 + p * 4096ULL, 12, URW,
							_PAGE_TABLE), 0);
			mmu_load_cr3(r.cpu, r.root, 0, false);	/* the PDPTEs now */
			assert_int_equal(reads(&r, 0x08048000), k[i].reads);
			assert_int_equal(r.cpu->st.walks, 1);
			assert_int_equal(reads(&r, 0x08049000), cached ? 1 : k[i].reads);
			/* the PDPTE register: used by each walk from the root
			 * (not by one that starts below a PDE-cache hit) */
			assert_int_equal(r.cpu->st.root_regs_used,
					 r.m->pt.fmt->root_regs ? 2 - cached : 0);
			rig_finish(&r);
		}
	}
}

/* 5-level paging (LA57): one more level of 9 bits above the PML4. */
static const struct pt_format *const la57_fmt = &pt_format_la57;

/* Point @cpu at format @f: its walk levels, TLB arrays and caches anew. */
static void use_format(struct vmsim_machine *m, struct vmsim_cpu *cpu, const struct pt_format *f)
{
	struct vmsim_error err = { 0 };

	psc_finish(cpu);
	tlb_finish(cpu);
	cpu->fmt = f;
	mmu_update_walk_levels(cpu);
	assert_int_equal(tlb_init(cpu, &m->cfg, &err), 0);
	assert_int_equal(psc_init(cpu, &m->cfg, &err), 0);
}

/* Map @va to @pa in the hand-made 5-level tables at @root. */
static void map57(struct vmsim_machine *m, uint64_t root, uint64_t va, uint64_t pa,
		  struct page **pages, unsigned *np)
{
	uint64_t table = root;

	for (unsigned d = 0; d < 4; d++) {
		uint64_t epa = table + ((va >> la57_fmt->lvl[d].shift) & 511) * 8, e;

		memcpy(&e, phys_to_host(&m->pm, epa), 8);
		if (!(e & _PAGE_PRESENT)) {
			e = frame(m, pages, np) | URW | _PAGE_ACCESSED;
			put64(m, epa, e);
		}
		table = e & la57_fmt->entry_addr_mask;
	}
	put64(m, table + ((va >> 12) & 511) * 8, pa | URW | _PAGE_ACCESSED | _PAGE_DIRTY);
}

static void test_psc_la57_as_a_description(void **state)
{
	/* two pages whose page numbers differ only in bit 40 (va bit 52):
	 * a 40-bit tag would take one for the other */
	const uint64_t va1 = 0x0012345678abc000ULL, va2 = 0x0002345678abc000ULL;
	struct vmsim_machine *m;
	struct vmsim_cpu *cpu;
	struct vmsim_error err = { 0 };
	struct page *pages[16];
	unsigned np = 0;
	uint64_t root, pa, walks;
	struct walk_trace t;
	struct walk_result r;
	struct vmsim_fault f;

	(void)state;
	m = vmsim_machine_create("x86_64", NULL, &err);
	assert_non_null(m);
	cpu = &m->cpus[0];
	use_format(m, cpu, la57_fmt);
	root = frame(m, pages, &np);
	map57(m, root, va1, 0x1000000, pages, &np);
	map57(m, root, va2, 0x2000000, pages, &np);
	mmu_load_cr3(cpu, root, 0, false);

	assert_true(mmu_walk_peek(cpu, root, va1 + 0x10, MMU_READ, MMU_USER, &r, &f, &t));
	assert_int_equal(t.n, 5);
	assert_int_equal(t.lv[0].index, 0x12);
	assert_true(translate(cpu, va1 + 0x10, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x1000010);
	assert_true(translate(cpu, va2 + 0x20, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x2000020);
	/* both now come from the TLB arrays (the fast tables emptied), each
	 * its own: the tags tell them apart */
	walks = cpu->st.walks;
	tlb_recompute_ok(cpu);
	assert_true(translate(cpu, va1, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x1000000);
	assert_true(translate(cpu, va2, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x2000000);
	assert_int_equal(cpu->st.walks, walks);
	/* the views read the page back from the tag, whole; the checker
	 * finds the tags' size fields intact */
	{
		const struct tlb_entry *e = tlb_array_lookup(&cpu->l1[TLB_D], va1, 0);
		char msg[200];

		assert_non_null(e);
		assert_int_equal(tlb_entry_va(cpu, &cpu->l1[TLB_D], (unsigned)(e - cpu->l1[TLB_D].e)),
				 va1);
		if (tlb_check(cpu, msg, sizeof(msg)))
			fail_msg("tlb_check: %s", msg);
	}
	/* a PML5E cache and the others: a third page beside va1 reads its PTE */
	assert_int_equal(cpu->psc[0].entries, m->cfg.pml5e_cache.entries);
	assert_string_equal(cpu->psc[0].name, "pml5e_cache");
	map57(m, root, va1 + 0x1000, 0x3000000, pages, &np);
	walks = cpu->st.entries_read;
	assert_true(translate(cpu, va1 + 0x1000, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(cpu->st.entries_read - walks, 1);
	/* canonical at 57 bits, not at 48; bit 56 set without 63..57 is not */
	assert_false(translate(cpu, 0x0100000000000000ULL, MMU_READ, MMU_USER, &pa, &f));
	assert_true(f.gp);
	assert_false(translate(cpu, 0x0012345600000000ULL, MMU_READ, MMU_USER, &pa, &f));
	assert_false(f.gp);
	assert_int_equal(f.depth, 2);

	mmu_load_cr3(cpu, m->vm.kernel_pgd, 0, false);
	use_format(m, cpu, &pt_format_x86_64);
	mmu_load_cr3(cpu, m->vm.kernel_pgd, 0, false);
	put_frames(m, pages, np);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psc_second_miss_walks_only_below_the_cached_level),
		cmocka_unit_test(test_psc_invlpg_of_any_address_drops_them),
		cmocka_unit_test(test_psc_empty_caches_count_misses_unsearched),
		cmocka_unit_test(test_psc_cr3_load_and_pcids),
		cmocka_unit_test(test_psc_invpcid_address_keeps_globals),
		cmocka_unit_test(test_psc_stale_upper_entry_until_invlpg),
		cmocka_unit_test(test_psc_fault_drops_the_address_entries),
		cmocka_unit_test(test_psc_sizes_from_the_config),
		cmocka_unit_test(test_psc_pae_as_a_description),
		cmocka_unit_test(test_psc_la57_as_a_description),
		cmocka_unit_test(test_psc_entries_read_per_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
