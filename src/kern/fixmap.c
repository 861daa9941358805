/*
 * Fixmap slots (see fixmap.h): the enum computed from the machine's config
 * and the mapping of a physical page into a slot.
 *
 * Invariant: a slot's PTE lives in init_mm's tables at __fix_to_virt(idx)
 * and nowhere else; set_fixmap()/clear_fixmap() flush that one address from
 * every CPU's TLB, as native_set_fixmap() -> set_pte_vaddr() ->
 * flush_tlb_one_kernel() does, so no CPU can keep using an old slot
 * mapping.
 */
#include "kern/fixmap.h"

#include <errno.h>
#include <stdio.h>

#include "kern/kpgtable.h"

#define VSYSCALL_ADDR 0xffffffffff600000ULL
#define NR_FIX_BTMAPS 64
#define FIX_BTMAPS_SLOTS 8
#define TOTAL_FIX_BTMAPS (NR_FIX_BTMAPS * FIX_BTMAPS_SLOTS)

void fixmap_layout(const struct vmsim_config *cfg, struct fixmap_layout *fl)
{
	unsigned ncpu = cfg->cpu_count ? cfg->cpu_count : 1;
	unsigned i, ptrs_per_pte;

	*fl = (struct fixmap_layout){
		.fix_hole = FIX_NONE, .vsyscall_page = FIX_NONE, .fix_kmap_begin = FIX_NONE,
		.fix_kmap_end = FIX_NONE, .fix_pcie_mcfg = FIX_NONE, .fix_wp_test = FIX_NONE,
	};
	if (config_is_64(cfg)) {
		/* VSYSCALL_PAGE = (FIXADDR_TOP - VSYSCALL_ADDR) >> PAGE_SHIFT:
		 * the slots below it in the enum have no names */
		ptrs_per_pte = 512;
		i = fl->vsyscall_page = (unsigned)((cfg->fixaddr_top - VSYSCALL_ADDR) >> 12);
		fl->fix_dbgp_base = ++i;
		fl->fix_earlycon_mem_base = ++i;
		fl->fix_apic_base = ++i;
		fl->fix_io_apic_base_0 = ++i;
		i = fl->fix_io_apic_base_end = i + 128 - 1;	/* MAX_IO_APICS, 64-bit */
		fl->km_max_idx = 0;
	} else {
		ptrs_per_pte = cfg->paging == PAGING_PAE ? 512 : 1024;	/* PTRS_PER_PTE */
		fl->fix_hole = 0;
		fl->fix_dbgp_base = 1;
		fl->fix_earlycon_mem_base = 2;
		fl->fix_apic_base = 3;
		fl->fix_io_apic_base_0 = 4;
		fl->fix_io_apic_base_end = 4 + 64 - 1;	/* MAX_IO_APICS, 32-bit */
		fl->km_max_idx = 16;			/* KM_MAX_IDX */
		fl->fix_kmap_begin = fl->fix_io_apic_base_end + 1;
		fl->fix_kmap_end = fl->fix_kmap_begin + fl->km_max_idx * ncpu - 1;
		i = fl->fix_pcie_mcfg = fl->fix_kmap_end + 1;
	}
	fl->end_of_permanent = i + 1;
	/* the boot-time slots must not straddle a page table: move them up to
	 * a TOTAL_FIX_BTMAPS boundary if they would (the kernel's expression) */
	unsigned e = fl->end_of_permanent;

	if ((e ^ (e + TOTAL_FIX_BTMAPS - 1)) & ~(ptrs_per_pte - 1))
		fl->fix_btmap_end = e + TOTAL_FIX_BTMAPS - (e & (TOTAL_FIX_BTMAPS - 1));
	else
		fl->fix_btmap_end = e;
	fl->fix_btmap_begin = fl->fix_btmap_end + TOTAL_FIX_BTMAPS - 1;
	i = fl->fix_btmap_begin;
	if (!config_is_64(cfg))
		fl->fix_wp_test = ++i;
	fl->end_of_fixed = i + 1;
}

uint64_t fix_to_virt(const struct vmsim_machine *m, unsigned idx)
{
	struct fixmap_layout fl;

	fixmap_layout(&m->cfg, &fl);
	if (idx >= fl.end_of_fixed)
		return 0;
	return __fix_to_virt(m, idx);
}

int __set_fixmap(struct vmsim_machine *m, unsigned idx, uint64_t phys, uint64_t prot)
{
	uint64_t va = fix_to_virt(m, idx);
	int ret;

	/* the entry format holds only MAXPHYADDR bits (32 without PAE) */
	if (!va || (phys & 0xfff) || (m->cfg.phys_bits < 64 && phys >> m->cfg.phys_bits))
		return -EINVAL;
	ret = kernel_set_pte(m, va, phys, prot);
	if (ret)
		return ret;
	flush_tlb_one_kernel(m, va);
	return 0;
}

int clear_fixmap(struct vmsim_machine *m, unsigned idx)
{
	uint64_t va = fix_to_virt(m, idx), old;

	if (!va)
		return -EINVAL;
	kernel_clear_pte(m, va, &old);
	flush_tlb_one_kernel(m, va);
	return 0;
}

void fixmap_slot_name(const struct vmsim_machine *m, unsigned idx, char *buf, unsigned len)
{
	struct fixmap_layout fl;

	fixmap_layout(&m->cfg, &fl);
	buf[0] = '\0';
#define RANGE(lo, hi, name)                                                           \
	if (lo != FIX_NONE && idx >= lo && idx <= hi) {                               \
		if (idx == lo)                                                        \
			snprintf(buf, len, "%s", name);                               \
		else                                                                  \
			snprintf(buf, len, "%s+%u", name, idx - lo);                  \
		return;                                                               \
	}
	RANGE(fl.fix_hole, fl.fix_hole, "FIX_HOLE")
	RANGE(fl.vsyscall_page, fl.vsyscall_page, "VSYSCALL_PAGE")
	RANGE(fl.fix_dbgp_base, fl.fix_dbgp_base, "FIX_DBGP_BASE")
	RANGE(fl.fix_earlycon_mem_base, fl.fix_earlycon_mem_base, "FIX_EARLYCON_MEM_BASE")
	RANGE(fl.fix_apic_base, fl.fix_apic_base, "FIX_APIC_BASE")
	RANGE(fl.fix_io_apic_base_0, fl.fix_io_apic_base_end, "FIX_IO_APIC_BASE_0")
	RANGE(fl.fix_kmap_begin, fl.fix_kmap_end, "FIX_KMAP_BEGIN")
	RANGE(fl.fix_pcie_mcfg, fl.fix_pcie_mcfg, "FIX_PCIE_MCFG")
	RANGE(fl.fix_btmap_end, fl.fix_btmap_begin, "FIX_BTMAP_END")
	RANGE(fl.fix_wp_test, fl.fix_wp_test, "FIX_WP_TEST")
#undef RANGE
}
