/*
 * Segmentation: the kernel's selectors and GDT bytes against Linux's
 * values, selector loads and accesses against the SDM's rules (limits
 * expand-up and expand-down, types, null selectors, #GP versus #SS versus
 * #NP), descriptors that RAM corrupted, 64-bit mode's bases and canonical
 * checks, arch_prctl(ARCH_SET_FS), and a randomized run of DS loads and
 * accesses against an independent model written from the SDM's tables.
 */
#include "../kern/kern_test.h"

#include <stdlib.h>
#include <string.h>

#include "kern/desc.h"
#include "kern/task.h"

static void write_raw(struct vmsim_machine *m, unsigned index, uint64_t v)
{
	struct desc_struct d = { (uint32_t)v, (uint32_t)(v >> 32) };

	assert_int_equal(write_gdt_entry(m, 0, index, &d), 0);
}

/* Make CPU 0 run at @cpl without a far transfer (the tests' shortcut). */
static void set_cpl(struct vmsim_cpu *cpu, unsigned cpl)
{
	cpu->seg.sreg[VCPU_SREG_CS].selector =
		(uint16_t)((cpu->seg.sreg[VCPU_SREG_CS].selector & ~3u) | cpl);
	cpu->seg.sreg[VCPU_SREG_CS].dpl = (uint8_t)cpl;
}

static void test_segment_linux_selectors(void **state)
{
	struct vmsim_machine *m64 = boot("x86_64"), *m32 = boot("x86_32");
	struct kernel_selectors k;

	(void)state;
	kernel_selectors(m64, &k);
	assert_int_equal(k.kernel_cs, 0x10);
	assert_int_equal(k.kernel_ds, 0x18);
	assert_int_equal(k.user_ds, 0x2b);
	assert_int_equal(k.user_cs, 0x33);
	assert_int_equal(k.user32_cs, 0x23);
	assert_int_equal(k.gdt_entries, 16);
	kernel_selectors(m32, &k);
	assert_int_equal(k.kernel_cs, 0x60);
	assert_int_equal(k.kernel_ds, 0x68);
	assert_int_equal(k.user_cs, 0x73);
	assert_int_equal(k.user_ds, 0x7b);
	assert_int_equal(k.kernel_percpu, 0xd8);
	assert_int_equal(k.gdt_entries, 32);
	/* what the CPUs run with after boot */
	assert_int_equal(m64->cpus[0].seg.sreg[VCPU_SREG_CS].selector, 0x10);
	assert_int_equal(m64->cpus[0].seg.sreg[VCPU_SREG_SS].selector, 0x18);
	assert_true(m64->cpus[0].seg.sreg[VCPU_SREG_DS].unusable);
	assert_true(seg_64bit_mode(&m64->cpus[0]));
	assert_int_equal(m32->cpus[0].seg.sreg[VCPU_SREG_CS].selector, 0x60);
	assert_int_equal(m32->cpus[0].seg.sreg[VCPU_SREG_SS].selector, 0x68);
	assert_int_equal(m32->cpus[0].seg.sreg[VCPU_SREG_DS].selector, 0x7b);
	assert_int_equal(m32->cpus[0].seg.sreg[VCPU_SREG_FS].selector, 0xd8);
	/* __KERNEL_PERCPU's base: the CPU's per-CPU area */
	assert_int_equal(m32->cpus[0].seg.sreg[VCPU_SREG_FS].base, get_cpu_gdt_rw(m32, 0));
	assert_false(seg_64bit_mode(&m32->cpus[0]));
	assert_int_equal(m64->cpus[0].seg.gdtr.size, 16 * 8 - 1);
	assert_int_equal(m32->cpus[0].seg.gdtr.size, 32 * 8 - 1);
	vmsim_machine_destroy(m64);
	vmsim_machine_destroy(m32);
}

/* The bytes in RAM are GDT_ENTRY_INIT()'s encoding of the kernel's flags. */
static void test_segment_gdt_bytes(void **state)
{
	struct vmsim_machine *m = boot("x86_64"), *m32 = boot("x86_32");
	struct desc_struct d;
	const uint8_t *p;

	(void)state;
	d = GDT_ENTRY_INIT(0xa0fb, 0, 0xfffff);
	assert_int_equal(desc_u64(&d), 0x00affb000000ffffULL);
	/* __USER_CS in the GDT page, read as bytes from RAM */
	p = phys_to_host(&m->pm, gdt_page_pa(m, 0) + 6 * 8);
	assert_memory_equal(p, "\xff\xff\x00\x00\x00\xfb\xaf\x00", 8);
	assert_int_equal(desc_u64(&(struct desc_struct){ read_gdt_entry(m, 0, 2).a,
							 read_gdt_entry(m, 0, 2).b }),
			 0x00af9b000000ffffULL);	/* __KERNEL_CS: 0xa09b */
	d = read_gdt_entry(m, 0, 3);
	assert_int_equal(desc_u64(&d), 0x00cf93000000ffffULL);	/* 0xc093 */
	d = read_gdt_entry(m, 0, 5);
	assert_int_equal(desc_u64(&d), 0x00cff3000000ffffULL);	/* __USER_DS: 0xc0f3 */
	d = read_gdt_entry(m, 0, 4);
	assert_int_equal(desc_u64(&d), 0x00cffb000000ffffULL);	/* __USER32_CS: 0xc0fb */
	d = read_gdt_entry(m, 0, 1);
	assert_int_equal(desc_u64(&d), 0x00cf9b000000ffffULL);	/* KERNEL32_CS: 0xc09b */
	d = read_gdt_entry(m, 0, 15);		/* CPUNODE: cpu 0, node 0, DPL 3 */
	assert_int_equal(desc_u64(&d), 0x0040f50000000000ULL);
	for (unsigned i = 0; i < 16; i++)
		if (i == 0 || (i >= 7 && i < 15)) {
			d = read_gdt_entry(m, 0, i);
			assert_int_equal(desc_u64(&d), 0);
		}
	d = read_gdt_entry(m32, 0, 12);
	assert_int_equal(desc_u64(&d), 0x00cf9b000000ffffULL);
	d = read_gdt_entry(m32, 0, 14);
	assert_int_equal(desc_u64(&d), 0x00cffb000000ffffULL);
	d = read_gdt_entry(m32, 0, 15);
	assert_int_equal(desc_u64(&d), 0x00cff3000000ffffULL);
	d = read_gdt_entry(m32, 0, 28);		/* CPUNODE on x86_32 */
	assert_int_equal(desc_u64(&d), 0x0040f50000000000ULL);
	d = read_gdt_entry(m32, 0, 18);		/* PNPBIOS_CS32: 0x409b, 64 KiB */
	assert_int_equal(desc_u64(&d), 0x00409b000000ffffULL);
	assert_int_equal(get_desc_limit(&d), 0xffff);
	/* the page is RAM the kernel reads through paging too */
	{
		struct vmsim_fault f;
		uint64_t pa;

		assert_true(translate(&m->cpus[0], get_cpu_gdt_rw(m, 0) + 48, MMU_READ, MMU_KERNEL,
				      &pa, &f));
		assert_int_equal(pa, gdt_page_pa(m, 0) + 48);
	}
	set_desc_base(&d, 0x12345678);
	set_desc_limit(&d, 0xabcde);
	assert_int_equal(get_desc_base(&d), 0x12345678);
	assert_int_equal(get_desc_limit(&d), 0xabcde);
	assert_int_equal(desc_type(&d), 0xb);
	vmsim_machine_destroy(m);
	vmsim_machine_destroy(m32);
}

/* A byte-granular data segment [base, base + 0xfff]: the last byte is in,
 * a 2-byte access at it is not; through SS the fault is #SS. */
static void test_segment_limit_gp_vs_ss(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct seg_fault f;
	uint64_t la;
	struct desc_struct d = GDT_ENTRY_INIT(DESC_DATA16 | _DESC_DB, 0x100000, 0xfff);

	(void)state;
	assert_int_equal(write_gdt_entry(m, 0, 6, &d), 0);
	assert_int_equal(load_segment(cpu, VCPU_SREG_ES, 0x30, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0xfff, 1, MMU_READ, &la, &f), 0);
	assert_int_equal(la, 0x100fff);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0xfff, 2, MMU_WRITE, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(f.error_code, 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0x1000, 1, MMU_READ, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	/* the same segment as the stack at CPL 0 */
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x30, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_SS, 0x1000, 4, MMU_WRITE, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_SS);
	assert_int_equal(f.error_code, 0);
	/* G=1 scales the limit: 0xfff pages */
	d = GDT_ENTRY_INIT(DESC_DATA32, 0, 0xfff);
	assert_int_equal(write_gdt_entry(m, 0, 7, &d), 0);
	assert_int_equal(load_segment(cpu, VCPU_SREG_ES, 0x38, false, NULL, NULL, &f), 0);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_ES].limit, 0xffffff);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0xfffffc, 4, MMU_READ, &la, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0xfffffd, 4, MMU_READ, &la, &f), -1);
	/* a base wraps at 4 GiB */
	d = GDT_ENTRY_INIT(DESC_DATA32, 0xfffff000, 0xfffff);
	assert_int_equal(write_gdt_entry(m, 0, 8, &d), 0);
	assert_int_equal(load_segment(cpu, VCPU_SREG_ES, 0x40, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0x2000, 1, MMU_READ, &la, &f), 0);
	assert_int_equal(la, 0x1000);
	vmsim_machine_destroy(m);
}

static void test_segment_expand_down(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct seg_fault f;
	uint64_t la;
	struct desc_struct d = GDT_ENTRY_INIT(DESC_DATA16 | _DESC_DATA_EXPAND_DOWN | _DESC_DB,
					      0x200000, 0xfff);

	(void)state;
	assert_int_equal(write_gdt_entry(m, 0, 6, &d), 0);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x30, false, NULL, NULL, &f), 0);
	/* valid offsets: limit + 1 .. 0xffffffff */
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0xfff, 1, MMU_READ, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0x1000, 1, MMU_READ, &la, &f), 0);
	assert_int_equal(la, 0x201000);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0xfffffffc, 4, MMU_READ, &la, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0xfffffffd, 4, MMU_READ, &la, &f), -1);
	/* B = 0: the upper bound is 0xffff */
	d = GDT_ENTRY_INIT(DESC_DATA16 | _DESC_DATA_EXPAND_DOWN, 0, 0xfff);
	assert_int_equal(write_gdt_entry(m, 0, 7, &d), 0);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x38, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_SS, 0xfffe, 2, MMU_WRITE, &la, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_SS, 0xffff, 2, MMU_WRITE, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_SS);
	vmsim_machine_destroy(m);
}

static void test_segment_null_ds_vs_ss(void **state)
{
	struct vmsim_machine *m = boot("x86_32"), *m64 = boot("x86_64");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct seg_fault f;
	uint64_t la;

	(void)state;
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0, false, NULL, NULL, &f), 0);
	assert_true(cpu->seg.sreg[VCPU_SREG_DS].unusable);
	/* using it is the fault */
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0, 1, MMU_READ, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(f.error_code, 0);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_SS].selector, 0x68);	/* unchanged */
	/* 64-bit mode: a null SS at CPL 0 with RPL 0 is allowed, and DS null works */
	cpu = &m64->cpus[0];
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0x1000, 8, MMU_READ, &la, &f), 0);
	assert_int_equal(la, 0x1000);
	/* ... but not at CPL 3 */
	set_cpl(cpu, 3);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 3, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	vmsim_machine_destroy(m);
	vmsim_machine_destroy(m64);
}

/* Load checks: privilege, type, presence, the table's limit, the LDT. */
static void test_segment_load_checks(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct seg_fault f;
	uint64_t la;

	(void)state;
	set_cpl(cpu, 3);
	/* __KERNEL_DS at CPL 3: DPL 0 < CPL */
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x6b, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(f.error_code, 0x68);
	/* __USER_DS with RPL 3: fine; as SS too */
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x7b, false, NULL, NULL, &f), 0);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x7b, false, NULL, NULL, &f), 0);
	/* SS with RPL != CPL */
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x78, false, NULL, NULL, &f), -1);
	assert_int_equal(f.error_code, 0x78);
	/* a readable code segment may be DS, never SS; writes through it fault */
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x73, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0, 1, MMU_WRITE, &la, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x73, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	/* execute-only code: not even DS */
	write_raw(m, 6, 0x00cff8000000ffffULL);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x33, false, NULL, NULL, &f), -1);
	assert_int_equal(f.error_code, 0x30);
	/* a read-only data segment loads; writes fault */
	write_raw(m, 7, 0x00cff1000000ffffULL);
	assert_int_equal(load_segment(cpu, VCPU_SREG_ES, 0x3b, false, NULL, NULL, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0, 1, MMU_READ, &la, &f), 0);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_ES, 0, 1, MMU_WRITE, &la, &f), -1);
	/* not present: #NP for DS, #SS for SS */
	write_raw(m, 8, 0x00cf73000000ffffULL);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x43, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_NP);
	assert_int_equal(f.error_code, 0x40);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x43, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_SS);
	assert_int_equal(f.error_code, 0x40);
	/* past GDT_ENTRIES: beyond GDTR.limit */
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 32 * 8 + 3, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(f.error_code, 0x100);
	/* an LDT selector with no LDT */
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x7, false, NULL, NULL, &f), -1);
	assert_int_equal(f.error_code, 0x4);
	/* a system descriptor (an LDT) is no data segment */
	write_raw(m, 9, 0x0000e20000000fffULL);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x4b, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	vmsim_machine_destroy(m);
}

/* RAM is input: corrupted descriptors and a GDTR aimed at nothing give
 * faults, and the CPU's registers keep what they had. */
static void test_segment_corrupted_gdt(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct segment before = cpu->seg.sreg[VCPU_SREG_SS];
	struct seg_fault f;

	(void)state;
	/* __KERNEL_DS overwritten with all ones: DPL 3 != CPL 0 */
	write_raw(m, 3, ~0ULL);
	assert_int_equal(load_segment(cpu, VCPU_SREG_SS, 0x18, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_memory_equal(&cpu->seg.sreg[VCPU_SREG_SS], &before, sizeof(before));
	/* the GDT moved to an unmapped address: a #PF reading it */
	seg_lgdt(cpu, 0xffffc00000000000ULL, 0xffff);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x2b, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_PF);
	assert_int_equal(f.cr2, 0xffffc00000000028ULL);
	/* ... or to a non-canonical one */
	seg_lgdt(cpu, 0x0000900000000000ULL, 0xffff);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x2b, false, NULL, NULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	/* GDTR's limit shrunk to the null entry: every selector is beyond */
	seg_lgdt(cpu, get_cpu_gdt_rw(m, 0), 7);
	assert_int_equal(load_segment(cpu, VCPU_SREG_DS, 0x2b, false, NULL, NULL, &f), -1);
	assert_int_equal(f.error_code, 0x28);
	vmsim_machine_destroy(m);
}

/* The accessed bit: the CPU writes it into the descriptor in RAM. */
static void test_segment_sets_accessed_bit(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct seg_fault f;

	(void)state;
	write_raw(m, 6, 0x00cf92000000ffffULL);	/* type 2: not accessed */
	assert_int_equal(load_segment(&m->cpus[0], VCPU_SREG_ES, 0x30, false, NULL, NULL, &f), 0);
	assert_int_equal(desc_type(&(struct desc_struct){ read_gdt_entry(m, 0, 6).a,
							  read_gdt_entry(m, 0, 6).b }), 3);
	vmsim_machine_destroy(m);
}

/* A far return to CPL 3 loads __USER_CS/__USER_DS and nulls FS, whose
 * __KERNEL_PERCPU the user may not use; SYSENTER goes back to CPL 0. */
static void test_segment_far_return_and_syscall(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct seg_fault f;

	(void)state;
	assert_int_equal(seg_far_return(cpu, 0x73, 0x68, &f), -1);	/* SS DPL 0 */
	assert_int_equal(f.error_code, 0x68);
	assert_int_equal(seg_cpl(cpu), 0);
	assert_int_equal(seg_far_return(cpu, 0x73, 0x7b, &f), 0);
	assert_int_equal(seg_cpl(cpu), 3);
	assert_true(cpu->seg.sreg[VCPU_SREG_FS].unusable);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_DS].selector, 0x7b);	/* DPL 3: kept */
	/* no way back in by a return */
	assert_int_equal(seg_far_return(cpu, 0x60, 0, &f), -1);
	assert_int_equal(f.error_code, 0x60);
	seg_syscall(cpu, 0x60);
	assert_int_equal(seg_cpl(cpu), 0);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_SS].selector, 0x68);
	vmsim_machine_destroy(m);
}

/* 64-bit mode: FS/GS bases, the canonical check, #SS for the stack,
 * WRMSR's #GP and arch_prctl's EPERM. */
static void test_segment_64bit_fs_base_and_arch_prctl(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct vmsim_cpu *cpu = &m->cpus[0];
	struct spawn_args sa = { 0 };
	struct task_struct *a, *b;
	struct seg_fault f;
	uint64_t la, out;

	(void)state;
	assert_int_equal(seg_translate(cpu, VCPU_SREG_SS, 0x800000000000ULL, 1, MMU_READ, &la, &f),
			 -1);
	assert_int_equal(f.vector, X86_TRAP_SS);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0x7ffffffffffcULL, 8, MMU_READ, &la, &f),
			 -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(seg_write_base_msr(cpu, VCPU_SREG_FS, 0x800000000000ULL, &f), -1);
	assert_int_equal(f.vector, X86_TRAP_GP);
	assert_int_equal(task_spawn(m, "a", &sa, &a), 0);
	assert_int_equal(task_spawn(m, "b", &sa, &b), 0);
	context_switch(m, 0, a);
	/* TASK_SIZE_MAX = 2^47 - 4096 */
	assert_int_equal(do_arch_prctl(a, ARCH_SET_FS, 0x7ffffffff000ULL, &out), -EPERM);
	assert_int_equal(do_arch_prctl(a, ARCH_SET_FS, 0x7fffffffe000ULL, &out), 0);
	assert_int_equal(do_arch_prctl(a, 0x9999, 0, &out), -EINVAL);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_FS].base, 0x7fffffffe000ULL);
	assert_int_equal(seg_translate(cpu, VCPU_SREG_FS, 0x10, 8, MMU_READ, &la, &f), 0);
	assert_int_equal(la, 0x7fffffffe010ULL);
	/* DS has no base in 64-bit mode, whatever its descriptor says */
	assert_int_equal(seg_translate(cpu, VCPU_SREG_DS, 0x10, 8, MMU_READ, &la, &f), 0);
	assert_int_equal(la, 0x10);
	/* a switch saves a's and loads b's; back again */
	context_switch(m, 0, b);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_FS].base, 0);
	context_switch(m, 0, a);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_FS].base, 0x7fffffffe000ULL);
	assert_int_equal(do_arch_prctl(a, ARCH_GET_FS, 0, &out), 0);
	assert_int_equal(out, 0x7fffffffe000ULL);
	/* a child inherits it; GS is separate */
	assert_int_equal(do_fork(a, "c", 0, &b), 0);
	assert_int_equal(b->thread.fsbase, 0x7fffffffe000ULL);
	assert_int_equal(do_arch_prctl(a, ARCH_SET_GS, 0x1000, &out), 0);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_GS].base, 0x1000);
	assert_int_equal(cpu->seg.sreg[VCPU_SREG_FS].base, 0x7fffffffe000ULL);
	vmsim_machine_destroy(m);
	/* x86_32 has no ARCH_SET_FS */
	m = boot("x86_32");
	assert_int_equal(task_spawn(m, "a", &sa, &a), 0);
	assert_int_equal(do_arch_prctl(a, ARCH_SET_FS, 0x1000, &out), -EINVAL);
	vmsim_machine_destroy(m);
}

/* ---- randomized: DS loads and accesses against a model ---- */

struct model_res {
	int vector;		/* 0: ok */
	uint32_t code;
	uint64_t la;
};

/* The SDM's MOV DS checks and access checks, from the raw 64 bits. */
static struct model_res model(uint64_t desc, uint16_t sel, unsigned cpl, uint64_t off,
			      unsigned size, int acc, bool in_table)
{
	struct model_res r = { 0, 0, 0 };
	const unsigned type = (unsigned)(desc >> 40) & 0xf, dpl = (unsigned)(desc >> 45) & 3;
	const bool s = desc >> 44 & 1, p = desc >> 47 & 1, g = desc >> 55 & 1, b = desc >> 54 & 1;
	const bool code = type & 8;
	uint64_t limit = (desc & 0xffff) | ((desc >> 32) & 0xf0000);
	const uint64_t base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000);
	const uint64_t last = off + size - 1;

	if ((sel & ~3u) == 0) {
		r.vector = X86_TRAP_GP;	/* the access through it */
		return r;
	}
	if (!in_table) {
		r.vector = X86_TRAP_GP;
		r.code = sel & ~3u;
		return r;
	}
	if (!s || (code && !(type & 2)) ||
	    ((!code || !(type & 4)) && ((sel & 3u) > dpl || cpl > dpl))) {
		r.vector = X86_TRAP_GP;
		r.code = sel & ~3u;
		return r;
	}
	if (!p) {
		r.vector = X86_TRAP_NP;
		r.code = sel & ~3u;
		return r;
	}
	if (g)
		limit = limit << 12 | 0xfff;
	if ((acc == MMU_WRITE && (code || !(type & 2))) ||
	    (!code && (type & 4) ? off <= limit || last > (b ? 0xffffffffULL : 0xffff)
				 : last > limit)) {
		r.vector = X86_TRAP_GP;
		return r;
	}
	r.la = (base + off) & 0xffffffff;
	return r;
}

static void test_segment_random_vs_model(void **state)
{
	struct vmsim_machine *m = boot("x86_32");
	struct vmsim_cpu *cpu = &m->cpus[0];
	uint64_t seed = 0x5eed;
	unsigned seen[16] = { 0 };

	(void)state;
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t desc, off, la = 0;
		uint16_t sel;
		unsigned cpl, size;
		int acc, ret;
		struct seg_fault f = { 0 };
		struct model_res want;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		desc = seed ^ (seed >> 29) * 0x9e3779b97f4a7c15ULL;
		desc |= 1ULL << 40;	/* accessed: no RAM write to compare */
		if (i & 1)	/* half present DPL 3 code/data: mostly loadable */
			desc = (desc & ~(0xffULL << 40)) | (0xf1ULL | ((seed >> 8) & 0xe)) << 40;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		sel = (uint16_t)((seed >> 20) % 4 == 0 ? (seed >> 8) & 3 :
				 (seed >> 24) % 8 == 0 ? 0x100 | ((seed >> 8) & 3) : 0x30 | ((seed >> 8) & 3));
		cpl = (unsigned)(seed >> 40) & 3;
		off = (seed >> 33) & 1 ? (seed >> 12) & 0xffffffff : (seed >> 12) & 0x1ffff;
		size = 1u << ((seed >> 50) & 3);
		acc = (seed >> 53) & 1 ? MMU_WRITE : MMU_READ;
		write_raw(m, 6, desc);
		set_cpl(cpu, cpl);
		want = model(desc, sel, cpl, off, size, acc, (sel & ~3u) < 32 * 8);
		ret = load_segment(cpu, VCPU_SREG_ES, sel, false, NULL, NULL, &f);
		if (!ret)
			ret = seg_translate(cpu, VCPU_SREG_ES, off, size, acc, &la, &f);
		if ((ret != 0) != (want.vector != 0) || (ret && (f.vector != (unsigned)want.vector ||
								f.error_code != want.code)) ||
		    (!ret && la != want.la))
			fail_msg("#%u desc %016llx sel %#x cpl %u off %#llx size %u %s: got %d vec %u "
				 "code %#x la %#llx, model vec %d code %#x la %#llx", i,
				 (unsigned long long)desc, sel, cpl, (unsigned long long)off, size,
				 acc == MMU_WRITE ? "write" : "read", ret, f.vector, f.error_code,
				 (unsigned long long)la, want.vector, want.code,
				 (unsigned long long)want.la);
		seen[want.vector == 0 ? 0 : want.code ? want.vector : want.vector + 1]++;
	}
	/* every outcome came up: ok, #GP(sel), #GP(0), #NP(sel) */
	if (seen[0] < 500 || seen[X86_TRAP_GP] < 500 || seen[X86_TRAP_GP + 1] < 500 ||
	    seen[X86_TRAP_NP] < 500)
		fail_msg("outcomes: ok %u, #GP(sel) %u, #GP(0) %u, #NP %u", seen[0],
			 seen[X86_TRAP_GP], seen[X86_TRAP_GP + 1], seen[X86_TRAP_NP]);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_linux_selectors),
		cmocka_unit_test(test_segment_gdt_bytes),
		cmocka_unit_test(test_segment_limit_gp_vs_ss),
		cmocka_unit_test(test_segment_expand_down),
		cmocka_unit_test(test_segment_null_ds_vs_ss),
		cmocka_unit_test(test_segment_load_checks),
		cmocka_unit_test(test_segment_corrupted_gdt),
		cmocka_unit_test(test_segment_sets_accessed_bit),
		cmocka_unit_test(test_segment_far_return_and_syscall),
		cmocka_unit_test(test_segment_64bit_fs_base_and_arch_prctl),
		cmocka_unit_test(test_segment_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
