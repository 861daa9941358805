/*
 * The permission matrix: every combination of entry bits at the leaf (PTE)
 * and the level above (PDE) -- P, R/W, U/S, A, D, PS, NX and one reserved
 * bit -- times access (read/write/fetch), mode (user/kernel), CR0.WP and
 * EFER.NXE (and CR4.PSE on x86_32), for every format: 2-level, PAE (whose
 * PDPTE has no rights of its own), 4-level and 5-level.
 * Each case goes through translate() (TLB then walk) and is checked against
 * expect(), an independent statement of the SDM rules written here as the
 * procedure of docs/linux-rules.md section 6: fault or not, the exact error code,
 * the deciding depth, the physical address, and every entry's value after
 * (A on the levels walked and D on the leaf only on success, nothing
 * changed on a fault).  expect() does not call the code under test.
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

/* bit positions, spelled out here rather than taken from pgformat.h */
#define B_P	(1ULL << 0)
#define B_RW	(1ULL << 1)
#define B_US	(1ULL << 2)
#define B_A	(1ULL << 5)
#define B_D	(1ULL << 6)
#define B_PS	(1ULL << 7)
#define B_NX	(1ULL << 63)

/* flags a case sets on an entry */
enum { F_P = 1, F_RW = 2, F_US = 4, F_A = 8, F_D = 16, F_NX = 32, F_RSVD = 64, F_PS = 128 };

struct env {
	bool upper;		/* levels above the PDE that carry rights (64-bit) */
	bool nx_fmt;		/* the format has NX (8-byte entries) */
	bool needs_pse;		/* a PS=1 PDE is a leaf only with CR4.PSE (2-level) */
	bool wp, nxe, pse;
	int acc;		/* 0 read, 1 write, 2 fetch */
	bool user;
};

struct outcome {
	bool fault;
	uint32_t code;
	int depth;		/* deciding entry: 0.. (PDE/PTE depths below) */
	bool pde_leaf;
	/* entries after */
	bool upper_a, pde_a, pde_d, pte_a, pte_d;
};

/*
 * The SDM rules for a walk whose upper levels (64-bit: PML4E, PDPTE) are
 * P|RW|US, then @pde, then @pte.  depth_pde/depth_pte name where those sit.
 */
static struct outcome expect3(const struct env *v, unsigned pdpte, unsigned pde, unsigned pte,
			      int depth_pde)
{
	struct outcome o = { 0 };
	bool write = v->acc == 1, fetch = v->acc == 2;
	uint32_t err = 1;	/* P */
	bool w = true, u = true, x = true;
	bool pde_leaf;

	if (v->user)
		err |= 4;
	if (write)
		err |= 2;
	if (fetch)
		err |= 16;
	o.pde_a = pde & F_A;
	o.pde_d = pde & F_D;
	o.pte_a = pte & F_A;
	o.pte_d = pte & F_D;
	o.upper_a = false;

	/* the PDPTE (64-bit; a table entry here, never a leaf) */
	if (v->upper) {
		o.depth = depth_pde - 1;
		if (!(pdpte & F_P)) {
			err &= ~1u;
			goto fault;
		}
		if ((pdpte & F_RSVD) || ((pdpte & F_NX) && !v->nxe)) {
			err |= 8;
			goto fault;
		}
		w = w && (pdpte & F_RW);
		u = u && (pdpte & F_US);
		x = x && !(pdpte & F_NX);
	}

	/* PDE */
	o.depth = depth_pde;
	if (!(pde & F_P)) {
		err &= ~1u;
		goto fault;
	}
	/* a PS=1 PDE is a leaf in long mode and under PAE, and on 2-level
	 * x86_32 only with CR4.PSE */
	pde_leaf = (pde & F_PS) && (!v->needs_pse || v->pse);
	if ((pde & F_RSVD) || (v->nx_fmt && (pde & F_NX) && !v->nxe)) {
		err |= 8;
		goto fault;
	}
	w = w && (pde & F_RW);
	u = u && (pde & F_US);
	x = x && !(v->nx_fmt && (pde & F_NX));
	o.pde_leaf = pde_leaf;
	if (!pde_leaf) {
		o.depth = depth_pde + 1;
		if (!(pte & F_P)) {
			err &= ~1u;
			goto fault;
		}
		if ((pte & F_RSVD) || (v->nx_fmt && (pte & F_NX) && !v->nxe)) {
			err |= 8;
			goto fault;
		}
		w = w && (pte & F_RW);
		u = u && (pte & F_US);
		x = x && !(v->nx_fmt && (pte & F_NX));
	}
	if (v->user && !u)
		goto fault;
	if (write && !w && (v->user || v->wp))
		goto fault;
	if (fetch && !x)
		goto fault;
	/* success: A everywhere walked, D on the leaf for a write */
	o.upper_a = true;
	o.pde_a = true;
	if (pde_leaf) {
		o.pde_d = o.pde_d || write;
	} else {
		o.pte_a = true;
		o.pte_d = o.pte_d || write;
	}
	return o;
fault:
	if (!v->nxe)
		err &= ~16u;
	o.fault = true;
	o.code = err;
	return o;
}

static struct outcome expect(const struct env *v, unsigned pde, unsigned pte, int depth_pde)
{
	return expect3(v, F_P | F_RW | F_US, pde, pte, depth_pde);
}

struct rig {
	struct vmsim_machine *m;
	struct vmsim_cpu *cpu;
	uint64_t root, va;
	uint64_t upper_epa[3];	/* 64-bit: (PML5E,) PML4E, PDPTE */
	unsigned nupper;
	uint64_t pde_epa, pte_epa;
	uint64_t block;		/* 4 MiB aligned: PTE table at block, page at block + 5 pages */
	struct page *block_page;
	int depth_pde;
	uint64_t rsvd_pde, rsvd_pte;	/* the reserved bit used at each */
	bool rsvd_pde_large_only;	/* 2-level: the PSE-36 bit, reserved in a large PDE only */
};

static void rig_init(struct rig *r, const char *name)
{
	struct vmsim_error err = { 0 };
	/* MAXPHYADDR 46 where the format allows more: bit 51 is reserved */
	const char *sets[] = { "memory.size=128MiB",
			       strcmp(name, "x86_32") ? "cpu.phys_bits=46" : NULL, NULL };
	uint64_t epa;

	r->m = vmsim_machine_create(name, sets, &err);
	if (!r->m)
		fail_msg("%s", err.msg);
	r->cpu = &r->m->cpus[0];
	assert_int_equal(mm_pgd_alloc(r->m, &r->root), 0);
	r->va = 0x40000000ULL + 0x3000 + 0x123;	/* page 3 of a 2/4 MiB region */
	r->depth_pde = r->m->pt.fmt->levels - 2;
	/* a naturally aligned 4 MiB block: PS=1 PDEs can point at it without
	 * setting any of the large-page reserved bits 13..21 */
	r->block_page = alloc_pages(&r->m->pm, GFP_KERNEL | __GFP_ZERO, 10);
	assert_non_null(r->block_page);
	r->block = page_to_phys(&r->m->pm, r->block_page);
	assert_int_equal(r->block & ((4ULL << 20) - 1), 0);
	assert_int_equal(pt_alloc_entry(&r->m->pt, r->root, r->va, (unsigned)r->depth_pde,
					B_P | B_RW | B_US, &epa), 0);
	r->pde_epa = epa;
	r->pte_epa = r->block + pt_index(r->m->pt.fmt, r->depth_pde + 1, r->va) *
				r->m->pt.fmt->entry_size;
	r->nupper = 0;
	r->rsvd_pde_large_only = false;
	if (r->m->pt.fmt->entry_size == 8) {
		struct pt_path p;

		/* every level above the PDE but PAE's PDPTE, which holds no
		 * rights and sits in a register */
		pt_lookup(&r->m->pt, r->root, r->va, &p);
		for (int d = r->m->pt.fmt->root_regs ? 1 : 0; d < r->depth_pde; d++)
			r->upper_epa[r->nupper++] = p.epa[d];
		r->rsvd_pde = r->rsvd_pte = 1ULL << 51;	/* MAXPHYADDR 46 */
	} else {
		r->rsvd_pde = 1ULL << 13;	/* PSE-36 bit above MAXPHYADDR 32 */
		r->rsvd_pde_large_only = true;
		r->rsvd_pte = 0;		/* a 4 KiB x86_32 PTE has none */
	}
	mmu_load_cr3(r->cpu, r->root, 0, false);
}

static void rig_finish(struct rig *r)
{
	struct pt_ctx *pt = &r->m->pt;

	/* the PDE points into our block, not at a table pgd_free owns */
	set_pte(pt, r->pde_epa, 0);
	mmu_load_cr3(r->cpu, r->m->vm.kernel_pgd, 0, false);
	mm_pgd_free(r->m, r->root);
	__free_pages(&r->m->pm, r->block_page, 10);
	vmsim_machine_destroy(r->m);
}

static uint64_t mk(const struct rig *r, unsigned fl, uint64_t addr, uint64_t rsvd)
{
	uint64_t e = addr;

	e |= fl & F_P ? B_P : 0;
	e |= fl & F_RW ? B_RW : 0;
	e |= fl & F_US ? B_US : 0;
	e |= fl & F_A ? B_A : 0;
	e |= fl & F_D ? B_D : 0;
	e |= fl & F_PS ? B_PS : 0;
	e |= fl & F_NX ? B_NX : 0;
	e |= fl & F_RSVD ? rsvd : 0;
	if (r->m->pt.fmt->entry_size == 4)
		e &= 0xffffffffULL;
	return e;
}

static void run_matrix(const char *name)
{
	struct rig r;
	unsigned long cases = 0;

	rig_init(&r, name);
	const struct pt_format *fmt = r.m->pt.fmt;
	const bool nx_fmt = fmt->nx_bit != 0, needs_pse = fmt->large_needs_pse;
	const uint64_t page = r.block + 5 * 4096;
	const unsigned pde_bits = 256, pte_bits = 128;

	for (unsigned pde = 0; pde < pde_bits; pde++)
		for (unsigned pte = 0; pte < pte_bits; pte++)
			for (unsigned cr = 0; cr < 8; cr++)
				for (int acc = 0; acc < 3; acc++)
					for (int user = 0; user < 2; user++) {
		struct env v = { r.nupper > 0, nx_fmt, needs_pse, cr & 1, (cr & 2) && nx_fmt, cr & 4,
				 acc, user };
		struct vmsim_fault f;
		uint64_t pa, e;
		bool ok;
		struct outcome o;

		/* skip what the format cannot express (as access.c's
		 * ac_test_legal does): NX on 2-level x86_32, a PTE reserved
		 * bit there, the PSE-36 bit where it is an address bit, and
		 * CR4.PSE where large pages need none (no effect) */
		if (!nx_fmt && ((pde | pte) & F_NX))
			continue;
		if (!r.rsvd_pte && (pte & F_RSVD))
			continue;
		if (r.rsvd_pde_large_only && (pde & F_RSVD) && !((pde & F_PS) && v.pse))
			continue;
		if (!needs_pse && (cr & 4))
			continue;
		if (!nx_fmt && (cr & 2))
			continue;
		/* A PTE under a PS leaf is never read: one PTE value suffices */
		if ((pde & F_PS) && (!needs_pse || v.pse) && pte)
			continue;

		mmu_set_wp(r.cpu, v.wp);
		mmu_set_nxe(r.cpu, v.nxe);
		mmu_set_pse(r.cpu, v.pse);
		for (unsigned i = 0; i < r.nupper; i++)
			set_pte(&r.m->pt, r.upper_epa[i], (pt_read(&r.m->pt, r.upper_epa[i]) &
							   ~0xfffULL) | B_P | B_RW | B_US);
		set_pte(&r.m->pt, r.pde_epa, mk(&r, pde, r.block, r.rsvd_pde));
		set_pte(&r.m->pt, r.pte_epa, mk(&r, pte, page, r.rsvd_pte));
		invlpg(r.cpu, r.va);

		o = expect(&v, pde, pte, r.depth_pde);
		ok = translate(r.cpu, r.va, (enum mmu_access)acc, user ? MMU_USER : MMU_KERNEL,
			       &pa, &f);
		cases++;
		if (ok == o.fault)
			fail_msg("%s pde %#x pte %#x wp %d nxe %d pse %d acc %d user %d: %s, expected %s (code %#x)",
				 name, pde, pte, v.wp, v.nxe, v.pse, acc, user, ok ? "ok" : "fault",
				 o.fault ? "fault" : "ok", ok ? 0 : f.error_code);
		if (o.fault) {
			if (f.error_code != o.code || f.depth != o.depth)
				fail_msg("%s pde %#x pte %#x wp %d nxe %d pse %d acc %d user %d: code %#x depth %d, expected %#x depth %d",
					 name, pde, pte, v.wp, v.nxe, v.pse, acc, user, f.error_code,
					 f.depth, o.code, o.depth);
		} else {
			uint64_t want = o.pde_leaf ? r.block + (r.va & (pt_entry_span(fmt, r.depth_pde) - 1))
						   : page + (r.va & 0xfff);
			if (pa != want)
				fail_msg("%s pde %#x pte %#x: pa %#llx, expected %#llx", name, pde,
					 pte, (unsigned long long)pa, (unsigned long long)want);
		}
		for (unsigned i = 0; i < r.nupper; i++) {
			e = pt_read(&r.m->pt, r.upper_epa[i]);
			if (!!(e & B_A) != o.upper_a || (e & B_D))
				fail_msg("%s pde %#x pte %#x acc %d user %d: upper %u A/D %#llx",
					 name, pde, pte, acc, user, i, (unsigned long long)e);
		}
		e = pt_read(&r.m->pt, r.pde_epa);
		if (!!(e & B_A) != o.pde_a || !!(e & B_D) != o.pde_d)
			fail_msg("%s pde %#x pte %#x wp %d acc %d user %d: PDE after %#llx (A %d D %d expected)",
				 name, pde, pte, v.wp, acc, user, (unsigned long long)e, o.pde_a, o.pde_d);
		e = pt_read(&r.m->pt, r.pte_epa);
		if (!!(e & B_A) != o.pte_a || !!(e & B_D) != o.pte_d)
			fail_msg("%s pde %#x pte %#x wp %d acc %d user %d: PTE after %#llx (A %d D %d expected)",
				 name, pde, pte, v.wp, acc, user, (unsigned long long)e, o.pte_a, o.pte_d);
	}
	print_message("%s: %lu cases\n", name, cases);
	assert_true(cases > 1000);
	rig_finish(&r);
}

static void test_permissions_x86_64_matrix(void **state)
{
	(void)state;
	run_matrix("x86_64");
}

static void test_permissions_pae_matrix(void **state)
{
	(void)state;
	run_matrix("x86_32-pae");
}

static void test_permissions_la57_matrix(void **state)
{
	(void)state;
	run_matrix("x86_64-la57");
}

static void test_permissions_x86_32_matrix(void **state)
{
	(void)state;
	run_matrix("x86_32");
}

/* The level above a 2 MiB leaf (or above the PDE of a 4 KiB page): every
 * combination of P, RW, US, NX and a reserved bit in the PDPTE with every
 * PDE, so that rights combine across three levels. */
static void test_permissions_x86_64_pdpte_matrix(void **state)
{
	struct rig r;
	unsigned long cases = 0;
	uint64_t pd;

	(void)state;
	rig_init(&r, "x86_64");
	pd = pt_read(&r.m->pt, r.upper_epa[1]) & 0x000ffffffffff000ULL;
	const unsigned pte = F_P | F_RW | F_US | F_A;
	const uint64_t page = r.block + 5 * 4096;

	for (unsigned up = 0; up < 32; up++)
		for (unsigned pde = 0; pde < 256; pde++)
			for (unsigned cr = 0; cr < 4; cr++)
				for (int acc = 0; acc < 3; acc++)
					for (int user = 0; user < 2; user++) {
		/* up bits: P RW US NX RSVD */
		unsigned pdpte = (up & 1 ? F_P : 0) | (up & 2 ? F_RW : 0) | (up & 4 ? F_US : 0) |
				 (up & 8 ? F_NX : 0) | (up & 16 ? F_RSVD : 0);
		struct env v = { true, true, false, cr & 1, (cr & 2) != 0, false, acc, user };
		struct outcome o = expect3(&v, pdpte, pde, pte, r.depth_pde);
		struct vmsim_fault f;
		uint64_t pa, e;
		bool ok;

		mmu_set_wp(r.cpu, v.wp);
		mmu_set_nxe(r.cpu, v.nxe);
		set_pte(&r.m->pt, r.upper_epa[0], (pt_read(&r.m->pt, r.upper_epa[0]) & ~0xfffULL) |
						  B_P | B_RW | B_US);
		set_pte(&r.m->pt, r.upper_epa[1], mk(&r, pdpte, pd, 1ULL << 51));
		set_pte(&r.m->pt, r.pde_epa, mk(&r, pde, r.block, 1ULL << 51));
		set_pte(&r.m->pt, r.pte_epa, mk(&r, pte, page, 0));
		invlpg(r.cpu, r.va);
		ok = translate(r.cpu, r.va, (enum mmu_access)acc, user ? MMU_USER : MMU_KERNEL, &pa, &f);
		cases++;
		if (ok == o.fault || (!ok && (f.error_code != o.code || f.depth != o.depth)))
			fail_msg("pdpte %#x pde %#x wp %d nxe %d acc %d user %d: %s %#x depth %d, "
				 "expected %s %#x depth %d", pdpte, pde, v.wp, v.nxe, acc, user,
				 ok ? "ok" : "fault", ok ? 0 : f.error_code, ok ? 0 : f.depth,
				 o.fault ? "fault" : "ok", o.code, o.depth);
		e = pt_read(&r.m->pt, r.upper_epa[1]);
		if (!!(e & B_A) != o.upper_a || (e & B_D))
			fail_msg("pdpte %#x pde %#x acc %d user %d: PDPTE after %#llx", pdpte, pde, acc,
				 user, (unsigned long long)e);
		e = pt_read(&r.m->pt, r.pde_epa);
		if (!!(e & B_A) != o.pde_a || !!(e & B_D) != o.pde_d)
			fail_msg("pdpte %#x pde %#x acc %d user %d: PDE after %#llx", pdpte, pde, acc,
				 user, (unsigned long long)e);
	}
	print_message("x86_64 PDPTE x PDE: %lu cases\n", cases);
	/* the PDPTE pointed at our PD: restore it before freeing */
	set_pte(&r.m->pt, r.upper_epa[1], (pd | B_P | B_RW | B_US));
	rig_finish(&r);
}

/* Spot values from docs/linux-rules.md's table, through the same rig, in
 * each format with 8-byte entries (NX and reserved PTE bits). */
static void typical_codes(const char *name)
{
	struct rig r;
	struct vmsim_fault f;
	uint64_t pa;
	const unsigned ok_pde = F_P | F_RW | F_US;

	rig_init(&r, name);
	set_pte(&r.m->pt, r.pde_epa, mk(&r, ok_pde, r.block, 0));
	/* user read, not present: 0x4; user write not present 0x6 */
	set_pte(&r.m->pt, r.pte_epa, 0);
	invlpg(r.cpu, r.va);
	assert_false(translate(r.cpu, r.va, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x4);
	assert_false(translate(r.cpu, r.va, MMU_WRITE, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x6);
	/* user write to read-only: 0x7; kernel write with WP: 0x3 */
	set_pte(&r.m->pt, r.pte_epa, mk(&r, F_P | F_US, r.block + 4096, 0));
	assert_false(translate(r.cpu, r.va, MMU_WRITE, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x7);
	set_pte(&r.m->pt, r.pte_epa, mk(&r, F_P, r.block + 4096, 0));
	assert_false(translate(r.cpu, r.va, MMU_WRITE, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x3);
	/* kernel fetch from NX: 0x11, user fetch from NX: 0x15 */
	set_pte(&r.m->pt, r.pte_epa, mk(&r, F_P | F_US | F_NX, r.block + 4096, 0));
	assert_false(translate(r.cpu, r.va, MMU_FETCH, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x15);
	set_pte(&r.m->pt, r.pte_epa, mk(&r, F_P | F_NX, r.block + 4096, 0));
	assert_false(translate(r.cpu, r.va, MMU_FETCH, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x11);
	/* reserved bit: 0x9 (read), 0xf (user write) */
	set_pte(&r.m->pt, r.pte_epa, mk(&r, F_P | F_RW | F_US | F_RSVD, r.block + 4096, 1ULL << 51));
	assert_false(translate(r.cpu, r.va, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x9);
	assert_false(translate(r.cpu, r.va, MMU_WRITE, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0xf);
	/* a reserved bit in a non-leaf PDE faults before the PTE is read,
	 * even when the PTE is not present */
	set_pte(&r.m->pt, r.pte_epa, 0);
	set_pte(&r.m->pt, r.pde_epa, mk(&r, ok_pde | F_RSVD, r.block, 1ULL << 51));
	assert_false(translate(r.cpu, r.va, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0xd);
	assert_int_equal(f.depth, r.depth_pde);
	/* PS in a PML4E (and a PML5E) is reserved */
	set_pte(&r.m->pt, r.pde_epa, mk(&r, ok_pde, r.block, 0));
	for (unsigned i = 0; i + 1 < r.nupper; i++) {
		set_pte(&r.m->pt, r.upper_epa[i], pt_read(&r.m->pt, r.upper_epa[i]) | B_PS);
		invlpg(r.cpu, r.va);
		assert_false(translate(r.cpu, r.va, MMU_READ, MMU_KERNEL, &pa, &f));
		assert_int_equal(f.error_code, 0x9);
		assert_int_equal(f.depth, (int)i);
		set_pte(&r.m->pt, r.upper_epa[i], pt_read(&r.m->pt, r.upper_epa[i]) & ~B_PS);
	}
	/* non-canonical: #GP, not #PF (above 4 GiB on 32-bit, past 2^47 or
	 * 2^56 on 64-bit) */
	assert_false(translate(r.cpu, r.m->pt.fmt->va_bits == 32 ? 1ULL << 32 :
				      1ULL << (r.m->pt.fmt->va_bits - 1), MMU_READ, MMU_KERNEL, &pa, &f));
	assert_true(f.gp);
	rig_finish(&r);
}

static void test_permissions_typical_codes(void **state)
{
	(void)state;
	typical_codes("x86_64");
	typical_codes("x86_32-pae");
	typical_codes("x86_64-la57");
}

/* SMEP and SMAP in every format: they judge U/S as the walk combined it. */
static void smep_smap(const char *name)
{
	struct rig r;
	struct vmsim_fault f;
	uint64_t pa;

	rig_init(&r, name);
	set_pte(&r.m->pt, r.pde_epa, mk(&r, F_P | F_RW | F_US, r.block, 0));
	set_pte(&r.m->pt, r.pte_epa, mk(&r, F_P | F_RW | F_US, r.block + 4096, 0));
	invlpg(r.cpu, r.va);
	assert_true(translate(r.cpu, r.va, MMU_FETCH, MMU_KERNEL, &pa, &f));
	assert_true(translate(r.cpu, r.va, MMU_READ, MMU_KERNEL, &pa, &f));
	/* setting SMEP invalidates the PCID's entries (SDM 4.10.4.1): the
	 * next access walks again, and the new rights refuse the fetch */
	uint64_t walks = r.cpu->st.walks;
	mmu_set_smep(r.cpu, true);
	assert_true(translate(r.cpu, r.va, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_int_equal(r.cpu->st.walks, walks + 1);
	assert_false(translate(r.cpu, r.va, MMU_FETCH, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x11);
	/* SMAP invalidates nothing: the entry (back after the #PF dropped
	 * it) is re-judged where it is */
	assert_true(translate(r.cpu, r.va, MMU_READ, MMU_USER, &pa, &f));
	walks = r.cpu->st.walks;
	mmu_set_smap(r.cpu, true);
	assert_true(translate(r.cpu, r.va, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(r.cpu->st.walks, walks);
	assert_false(translate(r.cpu, r.va, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x1);
	assert_true(translate(r.cpu, r.va, MMU_READ, MMU_USER, &pa, &f));
	/* SMEP reports I/D even without NXE */
	mmu_set_nxe(r.cpu, false);
	assert_false(translate(r.cpu, r.va, MMU_FETCH, MMU_KERNEL, &pa, &f));
	assert_int_equal(f.error_code, 0x11);
	/* a supervisor PDE makes the page supervisor: SMAP/SMEP let the
	 * kernel in, the user is refused */
	set_pte(&r.m->pt, r.pde_epa, mk(&r, F_P | F_RW, r.block, 0));
	invlpg(r.cpu, r.va);
	assert_true(translate(r.cpu, r.va, MMU_READ, MMU_KERNEL, &pa, &f));
	assert_true(translate(r.cpu, r.va, MMU_FETCH, MMU_KERNEL, &pa, &f));
	assert_false(translate(r.cpu, r.va, MMU_READ, MMU_USER, &pa, &f));
	assert_int_equal(f.error_code, 0x5);
	rig_finish(&r);
}

static void test_permissions_smep_smap(void **state)
{
	(void)state;
	smep_smap("x86_64");
	smep_smap("x86_32");
	smep_smap("x86_32-pae");
	smep_smap("x86_64-la57");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permissions_x86_64_matrix),
		cmocka_unit_test(test_permissions_x86_32_matrix),
		cmocka_unit_test(test_permissions_pae_matrix),
		cmocka_unit_test(test_permissions_la57_matrix),
		cmocka_unit_test(test_permissions_x86_64_pdpte_matrix),
		cmocka_unit_test(test_permissions_typical_codes),
		cmocka_unit_test(test_permissions_smep_smap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
