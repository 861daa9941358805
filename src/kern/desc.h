/*
 * The kernel's GDT (arch/x86/include/asm/segment.h, desc.h,
 * arch/x86/kernel/cpu/common.c): the selector values, the per-CPU
 * gdt_page with Linux's flat-model descriptors, and cpu_init()'s part
 * that loads it and the kernel's segment registers on every CPU.
 */
#ifndef VMSIM_KERN_DESC_H
#define VMSIM_KERN_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/segment.h"

struct vmsim_machine;
struct vmsim_error;

/* x86_64 GDT layout (asm/segment.h, CONFIG_X86_64) */
#define GDT_ENTRY_KERNEL32_CS_64	1
#define GDT_ENTRY_KERNEL_CS_64		2
#define GDT_ENTRY_KERNEL_DS_64		3
#define GDT_ENTRY_DEFAULT_USER32_CS_64	4
#define GDT_ENTRY_DEFAULT_USER_DS_64	5
#define GDT_ENTRY_DEFAULT_USER_CS_64	6
#define GDT_ENTRY_TSS_64		8	/* 16 bytes */
#define GDT_ENTRY_LDT_64		10	/* 16 bytes */
#define GDT_ENTRY_TLS_MIN_64		12
#define GDT_ENTRY_CPUNODE_64		15
#define GDT_ENTRIES_64			16

/* x86_32 GDT layout (asm/segment.h, CONFIG_X86_32) */
#define GDT_ENTRY_TLS_MIN_32		6
#define GDT_ENTRY_KERNEL_CS_32		12
#define GDT_ENTRY_KERNEL_DS_32		13
#define GDT_ENTRY_DEFAULT_USER_CS_32	14
#define GDT_ENTRY_DEFAULT_USER_DS_32	15
#define GDT_ENTRY_TSS_32		16
#define GDT_ENTRY_LDT_32		17
#define GDT_ENTRY_PNPBIOS_CS32		18
#define GDT_ENTRY_PNPBIOS_CS16		19
#define GDT_ENTRY_PNPBIOS_DS		20
#define GDT_ENTRY_PNPBIOS_TS1		21
#define GDT_ENTRY_PNPBIOS_TS2		22
#define GDT_ENTRY_APMBIOS_BASE		23
#define GDT_ENTRY_ESPFIX_SS		26
#define GDT_ENTRY_PERCPU		27
#define GDT_ENTRY_CPUNODE_32		28
#define GDT_ENTRY_DOUBLEFAULT_TSS	31
#define GDT_ENTRIES_32			32

/* The selectors: index * 8 | RPL (the machine's arch decides which) */
struct kernel_selectors {
	uint16_t kernel_cs, kernel_ds, user_cs, user_ds;
	uint16_t user32_cs;		/* x86_64: __USER32_CS; x86_32: 0 */
	uint16_t kernel_percpu;		/* x86_32: __KERNEL_PERCPU; x86_64: 0 */
	unsigned gdt_entries;		/* GDT_ENTRIES */
};

void kernel_selectors(const struct vmsim_machine *m, struct kernel_selectors *ks);

/* The physical address of CPU @cpu's gdt_page (its per-CPU area). */
uint64_t gdt_page_pa(const struct vmsim_machine *m, unsigned cpu);
/* get_cpu_gdt_rw(): its kernel virtual address, what GDTR holds. */
uint64_t get_cpu_gdt_rw(const struct vmsim_machine *m, unsigned cpu);

/*
 * Boot: write each CPU's gdt_page into RAM with the kernel's initializers
 * (and the per-CPU entries: GDT_ENTRY_CPUNODE, and x86_32's
 * GDT_ENTRY_PERCPU base), load GDTR, then CS, SS, DS, ES, FS, GS as the
 * kernel runs with them.  -EINVAL when the kernel image has no room.
 */
int cpu_init_gdt(struct vmsim_machine *m, struct vmsim_error *err);

/* write_gdt_entry(): descriptor @d at @index of CPU @cpu's GDT (8 bytes,
 * straight into RAM).  -EINVAL past GDT_ENTRIES. */
int write_gdt_entry(struct vmsim_machine *m, unsigned cpu, unsigned index,
		    const struct desc_struct *d);
/* The descriptor at @index of CPU @cpu's GDT as RAM holds it. */
struct desc_struct read_gdt_entry(const struct vmsim_machine *m, unsigned cpu, unsigned index);

/* The kernel's name of GDT entry @index ("GDT_ENTRY_KERNEL_CS"), or NULL. */
const char *gdt_entry_name(const struct vmsim_machine *m, unsigned index);

/* ARCH_SET_FS / ARCH_SET_GS / ARCH_GET_FS / ARCH_GET_GS (asm/prctl.h) */
#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

struct task_struct;
/*
 * arch_prctl(@option, @arg2) by @t, as do_arch_prctl_64() does it: SET_FS
 * and SET_GS refuse an address at or above TASK_SIZE_MAX (-EPERM), set the
 * selector to 0 and the base (on the CPU too when @t runs there); GET_*
 * store the base in *@out.  -EINVAL for another option or on x86_32
 * (where the TLS is set_thread_area()'s).
 */
int do_arch_prctl(struct task_struct *t, int option, uint64_t arg2, uint64_t *out);

/* Save CPU @cpu's FS/GS into @t as it leaves (save_fsgs()). */
void save_task_fsgs(struct vmsim_machine *m, unsigned cpu, struct task_struct *t);
/* Load @t's FS/GS state on CPU @cpu (switch_to()'s x86_fsgsbase_load). */
void load_task_fsgs(struct vmsim_machine *m, unsigned cpu, const struct task_struct *t);

#endif
