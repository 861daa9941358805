/*
 * The generic walker on details the permission matrix does not cover: the
 * format descriptions, 1 GiB pages, PSE-36 and MAXPHYADDR, tables outside
 * RAM, the per-level trace that --explain prints, the side-effect-free
 * peek, and entry-bit names; each format's indices at every level worked
 * by hand, PAE's PDPTE registers, 5-level paging's canonical rule and its
 * wide TLB tags, and swap entries in every format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "mmu/mmu.h"

#define URW (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)

static struct vmsim_machine *boot(const char *name, const char **sets)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(name, sets, &err);

	if (!m)
		fail_msg("%s", err.msg);
	return m;
}

static void test_walk_formats_cover_the_address_width(void **state)
{
	const struct pt_format *fs[] = { &pt_format_x86_32, &pt_format_pae, &pt_format_x86_64,
					 &pt_format_la57 };

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		const struct pt_format *f = fs[i];
		unsigned bits = 12;

		for (unsigned d = 0; d < f->levels; d++) {
			bits += f->lvl[d].bits;
			/* each depth's index sits right above the next one's */
			if (d + 1 < f->levels)
				assert_int_equal(f->lvl[d].shift, f->lvl[d + 1].shift + f->lvl[d + 1].bits);
			/* a table is one 4 KiB page, but PAE's PDPT: 32 bytes,
			 * as CR3 bits 31:5 address it */
			assert_int_equal((1u << f->lvl[d].bits) * f->entry_size,
					 d == 0 && f->root_regs ? 32 : 4096);
			if (d == 0 && f->root_regs)
				assert_int_equal(f->root_addr_mask, 0xffffffe0ULL);
		}
		assert_int_equal(bits, f->va_bits);
	}
	assert_ptr_equal(pt_format_by_name("x86_32"), &pt_format_x86_32);
	assert_ptr_equal(pt_format_by_name("pae"), &pt_format_pae);
	assert_ptr_equal(pt_format_by_name("la57"), &pt_format_la57);
	assert_null(pt_format_by_name("x86_16"));
}

static void test_walk_gigabyte_page(void **state)
{
	const char *sets[] = { "memory.size=2GiB", NULL };
	struct vmsim_machine *m = boot("x86_64", sets);
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct walk_result r;
	struct vmsim_fault f;
	uint64_t root, epa;

	(void)state;
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	assert_int_equal(pt_map(&m->pt, root, 0x40000000, 0x40000000, 30, URW, _PAGE_TABLE), 0);
	assert_true(mmu_walk(cpu, root, 0x40000000 + 0x12345678, MMU_WRITE, MMU_USER, &r, &f, NULL));
	assert_int_equal(r.pa, 0x52345678);
	assert_int_equal(r.shift, 30);
	assert_int_equal(r.depth, 1);
	assert_true(r.leaf & _PAGE_DIRTY);
	/* bits 29:13 of a 1 GiB PDPTE are reserved */
	assert_int_equal(pt_alloc_entry(&m->pt, root, 0x40000000, 1, _PAGE_TABLE, &epa), 0);
	set_pte(&m->pt, epa, pt_read(&m->pt, epa) | (1ULL << 20));
	assert_false(mmu_walk(cpu, root, 0x40000000, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(f.error_code, 0xd);
	assert_int_equal(f.depth, 1);
	set_pte(&m->pt, epa, 0);
	pt_free_empty(&m->pt, root, 0, m->cfg.task_size - 1);
	mm_pgd_free(m, root);
	vmsim_machine_destroy(m);
}

static void test_walk_pse36_and_maxphyaddr(void **state)
{
	struct vmsim_machine *m = boot("x86_32", NULL);
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct walk_result r;
	struct vmsim_fault f;
	uint64_t root, epa, e;

	(void)state;
	/* the config keeps x86_32 at MAXPHYADDR 32; the walker implements
	 * PSE-36 for any MAXPHYADDR up to 40, so set the CPU's directly */
	cpu->phys_bits = 36;
	mmu_update_walk_levels(cpu);
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	/* a 4 MiB page above 4 GiB: physical bits 35..32 in entry bits 16..13 */
	e = pt_mk_leaf(&m->pt, 0, 0x340000000ULL, URW);
	assert_int_equal(e, 0x40000000ULL | (3ULL << 13) | URW | _PAGE_PSE);
	assert_int_equal(pt_entry_addr(&m->pt, 0, e), 0x340000000ULL);
	epa = pgd_offset(&m->pt, root, 0x10000000);
	set_pte(&m->pt, epa, e);
	assert_true(mmu_walk(cpu, root, 0x10012345, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(r.pa, 0x340012345ULL);
	/* physical bit 36 is beyond MAXPHYADDR 36: entry bit 17 is reserved,
	 * and bit 21 always is */
	set_pte(&m->pt, epa, e | (1ULL << 17));
	assert_false(mmu_walk(cpu, root, 0x10012345, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(f.error_code, 0xd);
	set_pte(&m->pt, epa, e | (1ULL << 21));
	assert_false(mmu_walk(cpu, root, 0x10012345, MMU_READ, MMU_KERNEL, &r, &f, NULL));
	assert_int_equal(f.error_code, 0x9);
	/* without CR4.PSE the same entry points at a page table, bit 21 is an
	 * address bit, and the table lies outside RAM: reads as all ones,
	 * which on x86_32 is a present, writable, user PTE */
	mmu_set_pse(cpu, false);
	assert_true(mmu_walk(cpu, root, 0x10012345, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(r.pa, 0xfffff345ULL);
	mmu_set_pse(cpu, true);
	set_pte(&m->pt, epa, 0);
	mm_pgd_free(m, root);
	vmsim_machine_destroy(m);

	/* x86_64 with MAXPHYADDR 40: bit 45 of a table entry is reserved */
	{
		const char *sets40[] = { "cpu.phys_bits=40", NULL };

		m = boot("x86_64", sets40);
		cpu = &m->cpus[0];
		assert_int_equal(mm_pgd_alloc(m, &root), 0);
		assert_int_equal(pt_map(&m->pt, root, 0x400000, 0x400000, 12, URW, _PAGE_TABLE), 0);
		assert_true(mmu_walk(cpu, root, 0x400000, MMU_READ, MMU_USER, &r, &f, NULL));
		epa = pgd_offset(&m->pt, root, 0x400000);
		set_pte(&m->pt, epa, pt_read(&m->pt, epa) | (1ULL << 45));
		assert_false(mmu_walk(cpu, root, 0x400000, MMU_READ, MMU_USER, &r, &f, NULL));
		assert_int_equal(f.error_code, 0xd);
		assert_int_equal(f.depth, 0);
		/* a table address inside MAXPHYADDR but outside RAM: the
		 * entries read as all ones, reserved bits set */
		set_pte(&m->pt, epa, (pt_read(&m->pt, epa) & ~(1ULL << 45)) | (1ULL << 38));
		assert_false(mmu_walk(cpu, root, 0x400000, MMU_READ, MMU_USER, &r, &f, NULL));
		assert_int_equal(f.error_code, 0xd);
		assert_int_equal(f.depth, 1);
		set_pte(&m->pt, epa, pt_read(&m->pt, epa) & ~(1ULL << 38));
		pt_free_empty(&m->pt, root, 0, m->cfg.task_size - 1);
		pt_unmap(&m->pt, root, 0x400000, &e);
		pt_free_empty(&m->pt, root, 0, m->cfg.task_size - 1);
		mm_pgd_free(m, root);
		vmsim_machine_destroy(m);
	}
}

static void test_walk_trace_and_peek(void **state)
{
	struct vmsim_machine *m = boot("x86_64", NULL);
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct walk_trace t;
	struct walk_result r;
	struct vmsim_fault f;
	uint64_t root, before[4], old;
	struct pt_path p;

	(void)state;
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	assert_int_equal(pt_map(&m->pt, root, 0x7fffdeadb000ULL, 0x123000, 12, URW, _PAGE_TABLE), 0);
	pt_lookup(&m->pt, root, 0x7fffdeadb000ULL, &p);
	assert_int_equal(p.n, 4);
	memcpy(before, p.e, sizeof(before));
	assert_true(mmu_walk_peek(cpu, root, 0x7fffdeadbeefULL, MMU_WRITE, MMU_USER, &r, &f, &t));
	assert_int_equal(r.pa, 0x123eefULL);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.lv[0].table_pa, root);
	assert_int_equal(t.lv[0].index, 255);
	assert_int_equal(t.lv[3].index, (0x7fffdeadbULL) & 511);
	for (unsigned d = 0; d < 4; d++) {
		assert_int_equal(t.lv[d].entry_pa, p.epa[d]);
		assert_int_equal(t.lv[d].entry, before[d]);
		/* peek changed nothing */
		assert_int_equal(pt_read(&m->pt, p.epa[d]), before[d]);
	}
	uint64_t walks = cpu->st.walks;

	assert_true(mmu_walk(cpu, root, 0x7fffdeadbeefULL, MMU_WRITE, MMU_USER, &r, &f, &t));
	assert_int_equal(cpu->st.walks, walks + 1);
	for (unsigned d = 0; d < 3; d++)	/* A on tables, never D */
		assert_int_equal(pt_read(&m->pt, p.epa[d]), before[d] | _PAGE_ACCESSED);
	assert_int_equal(pt_read(&m->pt, p.epa[3]), before[3] | _PAGE_ACCESSED | _PAGE_DIRTY);
	/* trace of a fault stops at the non-present entry */
	assert_false(mmu_walk_peek(cpu, root, 0x7fffdeadc000ULL, MMU_READ, MMU_USER, &r, &f, &t));
	assert_int_equal(t.n, 4);
	assert_int_equal(t.lv[3].entry, 0);
	assert_int_equal(f.error_code, 0x4);
	assert_int_equal(f.depth, 3);
	assert_false(mmu_walk_peek(cpu, root, 0x100000000000ULL, MMU_READ, MMU_USER, &r, &f, &t));
	assert_int_equal(t.n, 1);
	pt_unmap(&m->pt, root, 0x7fffdeadb000ULL, &old);
	assert_int_equal(old & ~0xfffULL, 0x123000);
	pt_free_empty(&m->pt, root, 0, m->cfg.task_size - 1);
	mm_pgd_free(m, root);
	vmsim_machine_destroy(m);
}

/* One address per format, its index at every level worked by hand from
 * the address bits, walked through a fresh process root. */
static void test_walk_known_indices(void **state)
{
	static const struct {
		const char *machine;
		uint64_t va;
		unsigned n, index[PT_MAX_LEVELS];
		const char *names[PT_MAX_LEVELS];
	} k[] = {
		/* 0x0804a123: 10 bits 0x020, 10 bits 0x04a */
		{ "x86_32", 0x0804a123ULL, 2, { 32, 74 }, { "pgd", "pte" } },
		/* 0xbfffe123: 2 bits 2, 9 bits 0x1ff, 9 bits 0x1fe */
		{ "x86_32-pae", 0xbfffe123ULL, 3, { 2, 511, 510 }, { "pgd", "pmd", "pte" } },
		/* 0x7fffdeadbeef: 0xff, 0x1ff, 0x0f5, 0x0db */
		{ "x86_64", 0x7fffdeadbeefULL, 4, { 255, 511, 245, 219 },
		  { "pgd", "pud", "pmd", "pte" } },
		/* 0x0012345678abcdef: bits 56..48 0x012, 47..39 0x068, 38..30
		 * 0x159, 29..21 0x1c5, 20..12 0x0bc */
		{ "x86_64-la57", 0x0012345678abcdefULL, 5, { 18, 104, 345, 453, 188 },
		  { "pgd", "p4d", "pud", "pmd", "pte" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct vmsim_machine *m = boot(k[i].machine, NULL);
		struct vmsim_cpu *cpu = &m->cpus[0];
		const uint64_t page = k[i].va & ~0xfffULL;
		struct walk_trace t;
		struct walk_result r;
		struct vmsim_fault f;
		uint64_t root, old;

		assert_int_equal(mm_pgd_alloc(m, &root), 0);
		assert_int_equal(pt_map(&m->pt, root, page, 0x345000, 12, URW, _PAGE_TABLE), 0);
		assert_true(mmu_walk_peek(cpu, root, k[i].va, MMU_READ, MMU_USER, &r, &f, &t));
		assert_int_equal(r.pa, 0x345000 | (k[i].va & 0xfff));
		assert_int_equal(t.n, k[i].n);
		assert_int_equal(cpu->fmt->levels, k[i].n);
		for (unsigned d = 0; d < k[i].n; d++) {
			if (t.lv[d].index != k[i].index[d])
				fail_msg("%s depth %u: index %u, want %u", k[i].machine, d,
					 t.lv[d].index, k[i].index[d]);
			assert_string_equal(cpu->fmt->lvl[d].name, k[i].names[d]);
			assert_int_equal(t.lv[d].entry_pa,
					 t.lv[d].table_pa + (uint64_t)k[i].index[d] * cpu->fmt->entry_size);
		}
		assert_int_equal(t.lv[0].table_pa, root);
		pt_unmap(&m->pt, root, page, &old);
		mm_pgd_free(m, root);
		vmsim_machine_destroy(m);
	}
}

/*
 * PAE's PDPTEs (SDM 4.4.1): loaded into registers by a CR3 load, which
 * faults (#GP) on a present one with a reserved bit; the walk uses the
 * registers, not memory, until the next load; they carry no R/W, U/S or
 * A and are never written.  Linux makes them P only, one preallocated PMD
 * per user entry, and NX works in the entries below.
 */
static void test_walk_pae_pdpte_registers(void **state)
{
	struct vmsim_machine *m = boot("x86_32-pae", NULL);
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct walk_result r;
	struct vmsim_fault f;
	uint64_t root, pdpte, old, pa;
	struct pt_path p;

	(void)state;
	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t e = pt_read(&m->pt, root + 8 * i);

		/* pud_populate(): __pa(pmd) | _PAGE_PRESENT */
		assert_int_equal(e & 0xfff, _PAGE_PRESENT);
		assert_int_not_equal(e & ~0xfffULL, 0);
	}
	/* the kernel's entry is shared with init_mm's root */
	assert_int_equal(pt_read(&m->pt, root + 24), pt_read(&m->pt, m->vm.kernel_pgd + 24));
	assert_int_equal(pt_map(&m->pt, root, 0x08048000, 0x345000, 12, URW, _PAGE_TABLE), 0);
	pdpte = pt_read(&m->pt, root);
	assert_true(mmu_load_cr3(cpu, root, 0, false));
	assert_int_equal(cpu->root_regs[0], pdpte);
	/* a user access: U/S and R/W come from the PDE and PTE alone */
	assert_true(translate(cpu, 0x08048123, MMU_WRITE, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x345123);
	/* A is set below the PDPT, never in it */
	assert_int_equal(pt_read(&m->pt, root), pdpte);
	pt_lookup(&m->pt, root, 0x08048000, &p);
	assert_int_equal(p.n, 3);
	assert_true(p.e[1] & _PAGE_ACCESSED);
	assert_true((p.e[2] & (_PAGE_ACCESSED | _PAGE_DIRTY)) == (_PAGE_ACCESSED | _PAGE_DIRTY));

	/* the PDPTE in memory changes without a CR3 load: the register still
	 * holds the old one (written behind set_pte()'s back, as a stray
	 * store would) */
	*(uint64_t *)phys_to_host(&m->pm, root) = 0;
	invlpg(cpu, 0x08048000);
	assert_true(mmu_walk(cpu, root, 0x08048123, MMU_READ, MMU_USER, &r, &f, NULL));
	assert_int_equal(r.pa, 0x345123);
	/* nor does a TLB flush reload them: a miss walks through the register */
	tlb_flush_all(cpu);
	assert_true(translate(cpu, 0x08048123, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(pa, 0x345123);
	/* the next load takes the new one: not present, P=0 at depth 0 */
	assert_true(mmu_load_cr3(cpu, root, 0, false));
	assert_false(translate(cpu, 0x08048123, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, X86_PF_USER);
	assert_int_equal(f.depth, 0);

	/* reserved bits: R/W (bit 1) in a present PDPTE makes the load #GP
	 * and leave CR3 as it was; in a non-present one it is ignored */
	*(uint64_t *)phys_to_host(&m->pm, root) = pdpte | _PAGE_RW;
	assert_true(mmu_load_cr3(cpu, m->vm.kernel_pgd, 0, false));
	assert_false(mmu_load_cr3(cpu, root, 0, false));
	assert_int_equal(cpu->cr3, m->vm.kernel_pgd);
	for (unsigned b = 5; b <= 8; b++) {
		*(uint64_t *)phys_to_host(&m->pm, root) = pdpte | (1ULL << b);
		assert_false(mmu_load_cr3(cpu, root, 0, false));
	}
	*(uint64_t *)phys_to_host(&m->pm, root) = pdpte | _PAGE_NX;
	assert_false(mmu_load_cr3(cpu, root, 0, false));
	/* an address bit at MAXPHYADDR (36) */
	*(uint64_t *)phys_to_host(&m->pm, root) = pdpte | (1ULL << 36);
	assert_false(mmu_load_cr3(cpu, root, 0, false));
	*(uint64_t *)phys_to_host(&m->pm, root) = 0xfffffffffffffffeULL;
	assert_true(mmu_load_cr3(cpu, root, 0, false));
	*(uint64_t *)phys_to_host(&m->pm, root) = pdpte;
	assert_true(mmu_load_cr3(cpu, root, 0, false));

	/* a MOV to CR4 changing PSE or SMEP loads the PDPTEs too (SDM
	 * 4.4.1): it #GPs on a reserved bit, CR4 and the registers as they
	 * were; else the walk sees what RAM holds now.  (SMAP is not among
	 * the bits that reload them.) */
	*(uint64_t *)phys_to_host(&m->pm, root) = pdpte | _PAGE_RW;
	assert_false(mmu_set_pse(cpu, !cpu->pse));
	assert_false(mmu_set_smep(cpu, !cpu->smep));
	assert_int_equal(cpu->root_regs[0], pdpte);
	assert_true(mmu_set_pse(cpu, cpu->pse));	/* no change, no load */
	*(uint64_t *)phys_to_host(&m->pm, root) = 0;
	mmu_set_smap(cpu, !cpu->smap);
	mmu_set_smap(cpu, !cpu->smap);
	assert_int_equal(cpu->root_regs[0], pdpte);
	assert_true(mmu_set_smep(cpu, !cpu->smep));
	assert_int_equal(cpu->root_regs[0], 0);
	assert_false(translate(cpu, 0x08048123, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.depth, 0);
	*(uint64_t *)phys_to_host(&m->pm, root) = pdpte;
	assert_true(mmu_set_smep(cpu, !cpu->smep));
	assert_int_equal(cpu->root_regs[0], pdpte);

	/* NX: a fetch from an NX page faults with I/D; without EFER.NXE bit
	 * 63 is reserved */
	pt_lookup(&m->pt, root, 0x08048000, &p);
	set_pte(&m->pt, p.epa[2], p.e[2] | _PAGE_NX);
	invlpg(cpu, 0x08048000);
	assert_true(translate(cpu, 0x08048123, MMU_READ, MMU_USER, &pa, &f));
	assert_false(translate(cpu, 0x08048123, MMU_FETCH, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, X86_PF_PROT | X86_PF_USER | X86_PF_INSTR);
	mmu_set_nxe(cpu, false);
	assert_false(translate(cpu, 0x08048123, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, X86_PF_PROT | X86_PF_USER | X86_PF_RSVD);
	assert_int_equal(f.depth, 2);
	mmu_set_nxe(cpu, true);

	assert_true(mmu_load_cr3(cpu, m->vm.kernel_pgd, 0, false));
	pt_unmap(&m->pt, root, 0x08048000, &old);
	mm_pgd_free(m, root);
	vmsim_machine_destroy(m);
}

/*
 * 5-level paging: canonical means bits 63..57 copy bit 56, so 2^47 is a
 * user address and 2^56 is #GP; pages that differ only above bit 51 of
 * the address are different TLB entries (a 45-bit page number in the tag).
 */
static void test_walk_la57_canonical_and_tlb_tags(void **state)
{
	struct vmsim_machine *m = boot("x86_64-la57", NULL);
	struct vmsim_machine *m4 = boot("x86_64", NULL);
	struct vmsim_cpu *cpu = &m->cpus[0];
	static const uint64_t vas[] = { 0x1000, 0x0010000000001000ULL, 0x0001000000001000ULL,
					0x0080000000001000ULL };
	struct vmsim_fault f;
	uint64_t root, pa, old;

	(void)state;
	assert_true(pt_va_canonical(cpu->fmt, 1ULL << 47));
	assert_true(pt_va_canonical(cpu->fmt, 0x00ffffffffffffffULL));
	assert_true(pt_va_canonical(cpu->fmt, 0xff00000000000000ULL));
	assert_false(pt_va_canonical(cpu->fmt, 1ULL << 56));
	assert_false(pt_va_canonical(cpu->fmt, 0xfe00000000000000ULL));
	assert_false(pt_va_canonical(m4->cpus[0].fmt, 1ULL << 47));
	assert_int_equal(pt_canonical(cpu->fmt, 0x01ff000000000000ULL), 0xffff000000000000ULL);

	assert_int_equal(mm_pgd_alloc(m, &root), 0);
	for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
		assert_int_equal(pt_map(&m->pt, root, vas[i], 0x400000 + 0x1000 * i, 12, URW,
					_PAGE_TABLE), 0);
	assert_true(mmu_load_cr3(cpu, root, 0, false));
	for (unsigned round = 0; round < 3; round++)	/* misses, then TLB hits */
		for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
			assert_true(translate(cpu, vas[i] + 0x10, MMU_READ, MMU_USER, &pa, &f));
			if (pa != 0x400010 + 0x1000 * i)
				fail_msg("round %u va %#llx: pa %#llx", round,
					 (unsigned long long)vas[i], (unsigned long long)pa);
		}
	{
		char msg[200];

		if (tlb_check(cpu, msg, sizeof(msg)))
			fail_msg("%s", msg);
	}
	/* 2^56 and above (but not the kernel half) is #GP, in either mode */
	assert_false(translate(cpu, 1ULL << 56, MMU_READ, MMU_USER, &pa, &f));
	assert_true(f.gp);
	assert_int_equal(f.depth, -1);
	assert_false(translate(cpu, 0xfe00000000000000ULL, MMU_WRITE, MMU_KERNEL, &pa, &f));
	assert_true(f.gp);
	/* the same address is a plain user address here, #GP under 4-level */
	assert_false(translate(&m4->cpus[0], 1ULL << 47, MMU_READ, MMU_USER, &pa, &f));
	assert_true(f.gp);
	assert_true(mmu_load_cr3(cpu, m->vm.kernel_pgd, 0, false));
	for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
		pt_unmap(&m->pt, root, vas[i], &old);
	mm_pgd_free(m, root);
	vmsim_machine_destroy(m4);
	vmsim_machine_destroy(m);
}

/* Swap entries: encode and decode round trips in every format, the
 * arch's limits, and known PTEs worked from pgtable-3level.h and
 * pgtable_64.h. */
static void test_walk_swap_entries_round_trip(void **state)
{
	const struct pt_format *fs[] = { &pt_format_x86_32, &pt_format_pae, &pt_format_x86_64,
					 &pt_format_la57 };
	static const uint64_t offs[] = { 0, 1, 2, 0x1ff, 0x12345, 0x3ffffff, 0x7fffff };

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		const struct pt_format *f = fs[i];
		const uint64_t max = pt_swp_max_offset(f);

		for (unsigned type = 0; type < 32; type++)
			for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
				for (int ex = 0; ex < 2; ex++) {
					uint64_t off = offs[o] & max;
					uint64_t pte = pt_swp_entry_to_pte(f, type, off, ex);

					/* a 2-level entry of offset 0 can read as
					 * pte_none() (type 16 is A alone): slot 0 is
					 * the area's header, never handed out */
					if (f->swp.offset_inverted || off)
						if (!is_swap_pte(pte))
							fail_msg("%s %u:%#llx ex %d: %#llx", f->name, type, (unsigned long long)off, ex, (unsigned long long)pte);
					assert_false(pte & _PAGE_PRESENT);
					assert_int_equal(pt_pte_swp_type(f, pte), type);
					assert_int_equal(pt_pte_swp_offset(f, pte), off);
					assert_int_equal(pt_pte_swp_exclusive(f, pte), ex);
					if (f->entry_size == 4)
						assert_int_equal(pte >> 32, 0);
				}
	}
	/* 2-level: 23 offset bits; PAE: the 32-bit swp_entry_t's 26 */
	assert_int_equal(pt_swp_max_offset(&pt_format_x86_32), (1ULL << 23) - 1);
	assert_int_equal(pt_swp_max_offset(&pt_format_pae), (1ULL << 26) - 1);
	assert_int_equal(pt_swp_max_offset(&pt_format_la57), (1ULL << 50) - 1);
	/* __swp_pteval_entry(3, 0x12345): ~offset << 14 >> 5 | type << 59,
	 * E in PS (PAE) or PWT (64-bit) */
	assert_int_equal(pt_swp_entry_to_pte(&pt_format_pae, 3, 0x12345, true),
			 0x1ffffffffdb97480ULL);
	assert_int_equal(pt_swp_entry_to_pte(&pt_format_la57, 3, 0x12345, true),
			 0x1ffffffffdb97408ULL);
	assert_int_equal(pt_swp_entry_to_pte(&pt_format_pae, 31, (1ULL << 26) - 1, false),
			 0xfffffff800000000ULL);
	/* offset 0 of type 0 inverts to a "pfn" far above RAM (L1TF) */
	assert_int_equal(pt_swp_entry_to_pte(&pt_format_pae, 0, 0, false), 0x07fffffffffffe00ULL);
}

static void test_walk_flag_names(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "P"), 0);
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "US"), 2);
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "G"), 8);
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "NX"), 63);
	assert_int_equal(pt_flag_bit(&pt_format_x86_32, "NX"), -1);
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "bit51"), 51);
	assert_int_equal(pt_flag_bit(&pt_format_x86_32, "bit51"), -1);
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "bit64"), -1);
	assert_int_equal(pt_flag_bit(&pt_format_x86_64, "XX"), -1);
	pt_flags_str(&pt_format_x86_64, 0x80000000000000e7ULL, 2, buf, sizeof(buf));
	assert_string_equal(buf, "P RW US A D PS NX");
	pt_flags_str(&pt_format_x86_64, 0x80ULL | 1, 3, buf, sizeof(buf));
	assert_string_equal(buf, "P PAT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_formats_cover_the_address_width),
		cmocka_unit_test(test_walk_gigabyte_page),
		cmocka_unit_test(test_walk_pse36_and_maxphyaddr),
		cmocka_unit_test(test_walk_trace_and_peek),
		cmocka_unit_test(test_walk_flag_names),
		cmocka_unit_test(test_walk_known_indices),
		cmocka_unit_test(test_walk_pae_pdpte_registers),
		cmocka_unit_test(test_walk_la57_canonical_and_tlb_tags),
		cmocka_unit_test(test_walk_swap_entries_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
