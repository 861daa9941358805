/*
 * The kernel's GDT and the segment state of tasks.
 *
 * Each CPU has a gdt_page (DEFINE_PER_CPU_PAGE_ALIGNED in
 * arch/x86/kernel/cpu/common.c), written into simulated RAM with the
 * kernel's GDT_ENTRY_INIT() values: the flat model, base 0 and a 4 GiB
 * (0xfffff pages) limit, which 64-bit mode ignores anyway.  Linux's per-CPU
 * areas are memblock memory the buddy allocator never sees; here CPU n's
 * area is the kernel-image frame n + 1 below empty_zero_page, so booting
 * with a GDT changes no free-page count, and GDTR holds its direct-map
 * address (get_cpu_gdt_rw(); Linux then switches GDTR to a read-only alias
 * in the cpu_entry_area, which vmsim does not map).  The TSS and LDT
 * entries stay empty: vmsim models no task-state segment, and a process
 * has no LDT until modify_ldt(), which vmsim does not have.
 *
 * Invariant: after cpu_init_gdt() every CPU runs at CPL 0 with the
 * kernel's selectors loaded from its own GDT (x86_64: CS __KERNEL_CS, SS
 * __KERNEL_DS, DS ES FS GS null; x86_32: CS __KERNEL_CS, SS __KERNEL_DS,
 * DS ES __USER_DS, FS __KERNEL_PERCPU, GS null).
 */
#include "kern/desc.h"

#include <errno.h>
#include <string.h>

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "util/error.h"

void kernel_selectors(const struct vmsim_machine *m, struct kernel_selectors *ks)
{
	memset(ks, 0, sizeof(*ks));
	if (config_is_64(&m->cfg)) {
		ks->kernel_cs = GDT_ENTRY_KERNEL_CS_64 * 8;
		ks->kernel_ds = GDT_ENTRY_KERNEL_DS_64 * 8;
		ks->user_cs = GDT_ENTRY_DEFAULT_USER_CS_64 * 8 + 3;
		ks->user_ds = GDT_ENTRY_DEFAULT_USER_DS_64 * 8 + 3;
		ks->user32_cs = GDT_ENTRY_DEFAULT_USER32_CS_64 * 8 + 3;
		ks->gdt_entries = GDT_ENTRIES_64;
	} else {
		ks->kernel_cs = GDT_ENTRY_KERNEL_CS_32 * 8;
		ks->kernel_ds = GDT_ENTRY_KERNEL_DS_32 * 8;
		ks->user_cs = GDT_ENTRY_DEFAULT_USER_CS_32 * 8 + 3;
		ks->user_ds = GDT_ENTRY_DEFAULT_USER_DS_32 * 8 + 3;
		ks->kernel_percpu = GDT_ENTRY_PERCPU * 8;
		ks->gdt_entries = GDT_ENTRIES_32;
	}
}

uint64_t gdt_page_pa(const struct vmsim_machine *m, unsigned cpu)
{
	/* the image's last frame is empty_zero_page (task.c) */
	return m->cfg.kernel_start + m->cfg.kernel_size - (uint64_t)(cpu + 2) * PAGE_SIZE;
}

uint64_t get_cpu_gdt_rw(const struct vmsim_machine *m, unsigned cpu)
{
	return __va(m, gdt_page_pa(m, cpu));
}

int write_gdt_entry(struct vmsim_machine *m, unsigned cpu, unsigned index,
		    const struct desc_struct *d)
{
	struct kernel_selectors ks;
	uint8_t *p;

	kernel_selectors(m, &ks);
	if (cpu >= m->nr_cpus || index >= ks.gdt_entries)
		return -EINVAL;
	p = phys_to_host_range(&m->pm, gdt_page_pa(m, cpu) + index * 8ULL, 8);
	if (!p)
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++) {
		p[i] = (uint8_t)(d->a >> (8 * i));
		p[4 + i] = (uint8_t)(d->b >> (8 * i));
	}
	return 0;
}

struct desc_struct read_gdt_entry(const struct vmsim_machine *m, unsigned cpu, unsigned index)
{
	const uint8_t *p = phys_to_host_range(&m->pm, gdt_page_pa(m, cpu) + index * 8ULL, 8);
	struct desc_struct d = { ~0u, ~0u };

	if (p) {
		d.a = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[3] << 24;
		d.b = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
		      (uint32_t)p[7] << 24;
	}
	return d;
}

const char *gdt_entry_name(const struct vmsim_machine *m, unsigned index)
{
	static const char *const n64[GDT_ENTRIES_64] = {
		[GDT_ENTRY_KERNEL32_CS_64] = "GDT_ENTRY_KERNEL32_CS",
		[GDT_ENTRY_KERNEL_CS_64] = "GDT_ENTRY_KERNEL_CS",
		[GDT_ENTRY_KERNEL_DS_64] = "GDT_ENTRY_KERNEL_DS",
		[GDT_ENTRY_DEFAULT_USER32_CS_64] = "GDT_ENTRY_DEFAULT_USER32_CS",
		[GDT_ENTRY_DEFAULT_USER_DS_64] = "GDT_ENTRY_DEFAULT_USER_DS",
		[GDT_ENTRY_DEFAULT_USER_CS_64] = "GDT_ENTRY_DEFAULT_USER_CS",
		[GDT_ENTRY_TSS_64] = "GDT_ENTRY_TSS",
		[GDT_ENTRY_LDT_64] = "GDT_ENTRY_LDT",
		[GDT_ENTRY_TLS_MIN_64] = "GDT_ENTRY_TLS_MIN",
		[GDT_ENTRY_CPUNODE_64] = "GDT_ENTRY_CPUNODE",
	};
	static const char *const n32[GDT_ENTRIES_32] = {
		[GDT_ENTRY_TLS_MIN_32] = "GDT_ENTRY_TLS_MIN",
		[GDT_ENTRY_KERNEL_CS_32] = "GDT_ENTRY_KERNEL_CS",
		[GDT_ENTRY_KERNEL_DS_32] = "GDT_ENTRY_KERNEL_DS",
		[GDT_ENTRY_DEFAULT_USER_CS_32] = "GDT_ENTRY_DEFAULT_USER_CS",
		[GDT_ENTRY_DEFAULT_USER_DS_32] = "GDT_ENTRY_DEFAULT_USER_DS",
		[GDT_ENTRY_TSS_32] = "GDT_ENTRY_TSS",
		[GDT_ENTRY_LDT_32] = "GDT_ENTRY_LDT",
		[GDT_ENTRY_PNPBIOS_CS32] = "GDT_ENTRY_PNPBIOS_CS32",
		[GDT_ENTRY_PNPBIOS_CS16] = "GDT_ENTRY_PNPBIOS_CS16",
		[GDT_ENTRY_PNPBIOS_DS] = "GDT_ENTRY_PNPBIOS_DS",
		[GDT_ENTRY_PNPBIOS_TS1] = "GDT_ENTRY_PNPBIOS_TS1",
		[GDT_ENTRY_PNPBIOS_TS2] = "GDT_ENTRY_PNPBIOS_TS2",
		[GDT_ENTRY_APMBIOS_BASE] = "GDT_ENTRY_APMBIOS_BASE",
		[GDT_ENTRY_ESPFIX_SS] = "GDT_ENTRY_ESPFIX_SS",
		[GDT_ENTRY_PERCPU] = "GDT_ENTRY_PERCPU",
		[GDT_ENTRY_CPUNODE_32] = "GDT_ENTRY_CPUNODE",
		[GDT_ENTRY_DOUBLEFAULT_TSS] = "GDT_ENTRY_DOUBLEFAULT_TSS",
	};

	if (config_is_64(&m->cfg))
		return index < GDT_ENTRIES_64 ? n64[index] : NULL;
	return index < GDT_ENTRIES_32 ? n32[index] : NULL;
}

/* gdt_page's static initializer of this arch into @gdt[]. */
static void gdt_page_init(const struct vmsim_machine *m, struct desc_struct *gdt)
{
	if (config_is_64(&m->cfg)) {
		gdt[GDT_ENTRY_KERNEL32_CS_64] = GDT_ENTRY_INIT(DESC_CODE32, 0, 0xfffff);
		gdt[GDT_ENTRY_KERNEL_CS_64] = GDT_ENTRY_INIT(DESC_CODE64, 0, 0xfffff);
		gdt[GDT_ENTRY_KERNEL_DS_64] = GDT_ENTRY_INIT(DESC_DATA64, 0, 0xfffff);
		gdt[GDT_ENTRY_DEFAULT_USER32_CS_64] = GDT_ENTRY_INIT(DESC_CODE32 | DESC_USER, 0, 0xfffff);
		gdt[GDT_ENTRY_DEFAULT_USER_DS_64] = GDT_ENTRY_INIT(DESC_DATA64 | DESC_USER, 0, 0xfffff);
		gdt[GDT_ENTRY_DEFAULT_USER_CS_64] = GDT_ENTRY_INIT(DESC_CODE64 | DESC_USER, 0, 0xfffff);
		return;
	}
	gdt[GDT_ENTRY_KERNEL_CS_32] = GDT_ENTRY_INIT(DESC_CODE32, 0, 0xfffff);
	gdt[GDT_ENTRY_KERNEL_DS_32] = GDT_ENTRY_INIT(DESC_DATA32, 0, 0xfffff);
	gdt[GDT_ENTRY_DEFAULT_USER_CS_32] = GDT_ENTRY_INIT(DESC_CODE32 | DESC_USER, 0, 0xfffff);
	gdt[GDT_ENTRY_DEFAULT_USER_DS_32] = GDT_ENTRY_INIT(DESC_DATA32 | DESC_USER, 0, 0xfffff);
	/* PnP BIOS: byte granularity, 64 KiB code and data, the transfer
	 * segments sized at run time */
	gdt[GDT_ENTRY_PNPBIOS_CS32] = GDT_ENTRY_INIT(DESC_CODE32_BIOS, 0, 0xffff);
	gdt[GDT_ENTRY_PNPBIOS_CS16] = GDT_ENTRY_INIT(DESC_CODE16, 0, 0xffff);
	gdt[GDT_ENTRY_PNPBIOS_DS] = GDT_ENTRY_INIT(DESC_DATA16, 0, 0xffff);
	gdt[GDT_ENTRY_PNPBIOS_TS1] = GDT_ENTRY_INIT(DESC_DATA16, 0, 0);
	gdt[GDT_ENTRY_PNPBIOS_TS2] = GDT_ENTRY_INIT(DESC_DATA16, 0, 0);
	/* APM: byte granularity, 64 KiB, bases set at run time */
	gdt[GDT_ENTRY_APMBIOS_BASE] = GDT_ENTRY_INIT(DESC_CODE32_BIOS, 0, 0xffff);
	gdt[GDT_ENTRY_APMBIOS_BASE + 1] = GDT_ENTRY_INIT(DESC_CODE16, 0, 0xffff);
	gdt[GDT_ENTRY_APMBIOS_BASE + 2] = GDT_ENTRY_INIT(DESC_DATA32_BIOS, 0, 0xffff);
	gdt[GDT_ENTRY_ESPFIX_SS] = GDT_ENTRY_INIT(DESC_DATA32, 0, 0xfffff);
	gdt[GDT_ENTRY_PERCPU] = GDT_ENTRY_INIT(DESC_DATA32, 0, 0xfffff);
}

/* Load the kernel's segment registers on @cpu from its new GDT
 * (switch_gdt_and_percpu_base() and the entry code's loads). */
static int load_kernel_segments(struct vmsim_machine *m, struct vmsim_cpu *cpu)
{
	struct kernel_selectors ks;
	struct seg_fault f;
	const bool is64 = config_is_64(&m->cfg);

	kernel_selectors(m, &ks);
	if (seg_far_return(cpu, ks.kernel_cs, 0, &f) ||
	    load_segment(cpu, VCPU_SREG_SS, ks.kernel_ds, false, NULL, NULL, &f) ||
	    load_segment(cpu, VCPU_SREG_DS, is64 ? 0 : ks.user_ds, false, NULL, NULL, &f) ||
	    load_segment(cpu, VCPU_SREG_ES, is64 ? 0 : ks.user_ds, false, NULL, NULL, &f) ||
	    load_segment(cpu, VCPU_SREG_FS, ks.kernel_percpu, false, NULL, NULL, &f) ||
	    load_segment(cpu, VCPU_SREG_GS, 0, false, NULL, NULL, &f))
		return -EINVAL;
	return 0;
}

int cpu_init_gdt(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct kernel_selectors ks;

	kernel_selectors(m, &ks);
	if (m->cfg.kernel_size < (uint64_t)(m->nr_cpus + 1) * PAGE_SIZE)
		return verr(err, -EINVAL, "kernel_image: %u CPUs need %u pages for their GDTs and "
			    "the zero page", m->nr_cpus, m->nr_cpus + 1);
	for (unsigned c = 0; c < m->nr_cpus; c++) {
		struct desc_struct gdt[GDT_ENTRIES_32];
		struct vmsim_cpu *cpu = &m->cpus[c];
		uint8_t *page = phys_to_host_range(&m->pm, gdt_page_pa(m, c), PAGE_SIZE);

		if (!page)
			return verr(err, -EINVAL, "kernel_image lies beyond RAM");
		memset(page, 0, PAGE_SIZE);
		memset(gdt, 0, sizeof(gdt));
		gdt_page_init(m, gdt);
		/* setup_getcpu(): vdso_encode_cpunode(cpu, node 0) in the limit
		 * of a read-only expand-down DPL 3 segment, for LSL */
		gdt[config_is_64(&m->cfg) ? GDT_ENTRY_CPUNODE_64 : GDT_ENTRY_CPUNODE_32] =
			GDT_ENTRY_INIT(_DESC_S | _DESC_PRESENT | DESC_USER | _DESC_DB |
				       _DESC_ACCESSED | _DESC_DATA_EXPAND_DOWN, 0, c);
		if (!config_is_64(&m->cfg))
			/* setup_percpu_segment(): the per-CPU area's address */
			gdt[GDT_ENTRY_PERCPU] = GDT_ENTRY_INIT(DESC_DATA32,
							       (uint32_t)get_cpu_gdt_rw(m, c), 0xfffff);
		for (unsigned i = 0; i < ks.gdt_entries; i++)
			write_gdt_entry(m, c, i, &gdt[i]);
		/* load_direct_gdt(): GDT_SIZE - 1 */
		seg_lgdt(cpu, get_cpu_gdt_rw(m, c), (uint16_t)(ks.gdt_entries * 8 - 1));
		if (load_kernel_segments(m, cpu))
			return verr(err, -EINVAL, "cpu %u: the kernel's segments do not load", c);
	}
	return 0;
}

int do_arch_prctl(struct task_struct *t, int option, uint64_t arg2, uint64_t *out)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	const struct vmsim_cpu *cpu0 = &m->cpus[0];
	/* TASK_SIZE_MAX: the top of the lower canonical half less a page */
	const uint64_t task_size_max = (cpu0->va_mask >> 1) + 1 - PAGE_SIZE;

	if (!config_is_64(&m->cfg))
		return -EINVAL;
	switch (option) {
	case ARCH_SET_GS:
	case ARCH_SET_FS: {
		const enum seg_reg r = option == ARCH_SET_FS ? VCPU_SREG_FS : VCPU_SREG_GS;

		if (arg2 >= task_size_max)
			return -EPERM;
		if (r == VCPU_SREG_FS) {
			t->thread.fsindex = 0;
			t->thread.fsbase = arg2;
		} else {
			t->thread.gsindex = 0;
			t->thread.gsbase = arg2;
		}
		for (unsigned c = 0; c < m->nr_cpus; c++)
			if (m->current[c] == t)
				load_task_fsgs(m, c, t);
		return 0;
	}
	case ARCH_GET_FS:
		*out = t->thread.fsbase;
		return 0;
	case ARCH_GET_GS:
		*out = t->thread.gsbase;
		return 0;
	default:
		return -EINVAL;
	}
}

/* load_seg_legacy(): a selector, or null and the base. */
static void load_one(struct vmsim_cpu *cpu, enum seg_reg r, uint16_t index, uint64_t base)
{
	struct seg_fault f;

	if (index > 3 && !load_segment(cpu, r, index, false, NULL, NULL, &f))
		return;
	/* null (the kernel's fixup also loads null when the selector faults) */
	load_segment(cpu, r, 0, false, NULL, NULL, &f);
	seg_write_base_msr(cpu, r, base, &f);
}

void load_task_fsgs(struct vmsim_machine *m, unsigned cpu, const struct task_struct *t)
{
	if (!config_is_64(&m->cfg))
		return;
	load_one(&m->cpus[cpu], VCPU_SREG_FS, t->thread.fsindex, t->thread.fsbase);
	load_one(&m->cpus[cpu], VCPU_SREG_GS, t->thread.gsindex, t->thread.gsbase);
}

void save_task_fsgs(struct vmsim_machine *m, unsigned cpu, struct task_struct *t)
{
	const struct seg_state *st = &m->cpus[cpu].seg;

	if (!config_is_64(&m->cfg))
		return;
	t->thread.fsindex = st->sreg[VCPU_SREG_FS].selector;
	t->thread.fsbase = st->sreg[VCPU_SREG_FS].base;
	t->thread.gsindex = st->sreg[VCPU_SREG_GS].selector;
	t->thread.gsbase = st->sreg[VCPU_SREG_GS].base;
}
