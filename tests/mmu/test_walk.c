/*
 * The generic walker on details the permission matrix does not cover: the
 * format descriptions, 1 GiB pages, PSE-36 and MAXPHYADDR, tables outside
 * RAM, the per-level trace that --explain prints, the side-effect-free
 * peek, and entry-bit names.
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
