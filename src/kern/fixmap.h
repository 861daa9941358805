/*
 * The fixmap: compile-time virtual addresses, one page each, counted down
 * from FIXADDR_TOP (arch/x86/include/asm/fixmap.h).  Slot i maps at
 * __fix_to_virt(i) = FIXADDR_TOP - i pages.  Which slots exist depends on
 * the kernel config and NR_CPUS (cpu.count), so enum fixed_addresses is
 * computed per machine into struct fixmap_layout, in the kernel's order:
 *
 *   x86_32: FIX_HOLE, FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE,
 *           FIX_IO_APIC_BASE_0..END (64), FIX_KMAP_BEGIN..END (KM_MAX_IDX
 *           per CPU), FIX_PCIE_MCFG | FIX_BTMAP_END..BEGIN (512), FIX_WP_TEST
 *   x86_64: (511 unnamed slots), VSYSCALL_PAGE, FIX_DBGP_BASE,
 *           FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE, FIX_IO_APIC_BASE_0..END
 *           (128) | FIX_BTMAP_END..BEGIN (512)
 *
 * "|" is __end_of_permanent_fixed_addresses (FIXADDR_START lies that many
 * pages below FIXADDR_TOP); the boot-time slots above it end at
 * __end_of_fixed_addresses (FIXADDR_TOT_START).
 */
#ifndef VMSIM_KERN_FIXMAP_H
#define VMSIM_KERN_FIXMAP_H

#include <stdint.h>

#include "kern/machine.h"

#define FIX_NONE (~0u)	/* a slot this arch does not have */

struct fixmap_layout {
	unsigned fix_hole;			/* x86_32 */
	unsigned vsyscall_page;			/* x86_64 */
	unsigned fix_dbgp_base, fix_earlycon_mem_base, fix_apic_base;
	unsigned fix_io_apic_base_0, fix_io_apic_base_end;
	unsigned fix_kmap_begin, fix_kmap_end;	/* x86_32 (HIGHMEM) */
	unsigned fix_pcie_mcfg;			/* x86_32 */
	unsigned end_of_permanent;		/* __end_of_permanent_fixed_addresses */
	unsigned fix_btmap_end, fix_btmap_begin;
	unsigned fix_wp_test;			/* x86_32 */
	unsigned end_of_fixed;			/* __end_of_fixed_addresses */
	unsigned km_max_idx;			/* kmap_local slots per CPU */
};

/* The enum for @cfg (never fails). */
void fixmap_layout(const struct vmsim_config *cfg, struct fixmap_layout *fl);

static inline uint64_t __fix_to_virt(const struct vmsim_machine *m, unsigned idx)
{
	return m->cfg.fixaddr_top - ((uint64_t)idx << 12);
}

static inline unsigned __virt_to_fix(const struct vmsim_machine *m, uint64_t va)
{
	return (unsigned)((m->cfg.fixaddr_top - (va & ~0xfffULL)) >> 12);
}

/* fix_to_virt() with the kernel's build-time check made at run time:
 * 0 for an index at or past __end_of_fixed_addresses. */
uint64_t fix_to_virt(const struct vmsim_machine *m, unsigned idx);

/* __set_fixmap(): map physical page @phys at slot @idx with @prot and
 * flush that address from every TLB (native_set_fixmap -> set_pte_vaddr).
 * -EINVAL for a bad slot or unaligned @phys, -ENOMEM for a page table. */
int __set_fixmap(struct vmsim_machine *m, unsigned idx, uint64_t phys, uint64_t prot);
static inline int set_fixmap(struct vmsim_machine *m, unsigned idx, uint64_t phys)
{
	return __set_fixmap(m, idx, phys, __PAGE_KERNEL);
}
/* clear_fixmap(): unmap slot @idx and flush it.  -EINVAL for a bad slot. */
int clear_fixmap(struct vmsim_machine *m, unsigned idx);

/* The name of slot @idx ("FIX_APIC_BASE", "FIX_KMAP_BEGIN+3", ...), into
 * @buf; "" for an unnamed slot. */
void fixmap_slot_name(const struct vmsim_machine *m, unsigned idx, char *buf, unsigned len);

#endif
