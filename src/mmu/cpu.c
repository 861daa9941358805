/*
 * A simulated CPU's MMU state: CR0.WP, CR3 (with PCID, and the root entries
 * a format loads with it), EFER.NXE and the CR4 paging bits, and what
 * changing each of them does to the TLBs and paging-structure caches.
 * Invariant: cpu->wl[] always matches the current NXE/PSE/MAXPHYADDR,
 * every TLB entry's allowed-access mask matches the current WP/SMEP/SMAP,
 * and under PAE paging cpu->root_regs[] holds the PDPTEs as the last CR3
 * load (or CR4.PSE/SMEP change) read them, each present one free of
 * reserved bits.
 */
#include "mmu/mmu.h"

#include <errno.h>
#include <string.h>

#include "phys/mmzone.h"
#include "util/error.h"

int mmu_cpu_init(struct vmsim_cpu *cpu, int id, struct phys_mem *pm,
		 const struct vmsim_config *cfg, struct host_arena *ha,
		 struct vmsim_error *err)
{
	int ret;

	memset(cpu, 0, sizeof(*cpu));
	cpu->id = id;
	cpu->pm = pm;
	cpu->ha = ha;
	cpu->ram_size = pm->ram_size;
	cpu->fmt = pt_format_of(cfg);
	cpu->wp = cfg->wp;
	cpu->nxe = cfg->nxe && cpu->fmt->nx_bit;	/* no NX without PAE on x86_32 */
	cpu->pse = cfg->pse;
	cpu->smep = cfg->smep;
	cpu->smap = cfg->smap;
	cpu->pcid_enabled = cfg->pcid;
	cpu->phys_bits = cfg->phys_bits;
	if (cpu->phys_bits < 32 || cpu->phys_bits > cpu->fmt->max_phys_bits)
		return verr(err, -EINVAL, "cpu.phys_bits %u: %s supports 32..%u", cfg->phys_bits,
			    cpu->fmt->name, cpu->fmt->max_phys_bits);
	mmu_update_walk_levels(cpu);
	seg_reset(cpu);
	ret = tlb_init(cpu, cfg, err);
	if (ret)
		return ret;
	ret = psc_init(cpu, cfg, err);
	if (ret)
		tlb_finish(cpu);
	return ret;
}

void mmu_cpu_finish(struct vmsim_cpu *cpu)
{
	if (!cpu)
		return;
	psc_finish(cpu);
	tlb_finish(cpu);
}

/* PAE: read the four PDPTEs at @root_pa into @regs (SDM 4.4.1); false if
 * a present one has a reserved bit set (the MOV to CR3 then raises #GP). */
static bool load_pdptes(const struct vmsim_cpu *cpu, uint64_t root_pa, uint64_t *regs)
{
	const struct pt_format *f = cpu->fmt;
	const uint64_t table = root_pa & f->root_addr_mask;

	for (unsigned i = 0; i < f->root_regs; i++) {
		regs[i] = mmu_read_entry(cpu, table + (uint64_t)i * f->entry_size);
		if ((regs[i] & _PAGE_PRESENT) && (regs[i] & cpu->wl[0].rsvd))
			return false;
	}
	return true;
}

/* PAE: read the PDPTEs at @root_pa into the registers the walk uses until
 * the next load (SDM vol. 3 section 4.4.1); false, the registers as they
 * were, where the instruction raises #GP. */
static bool reload_root_regs(struct vmsim_cpu *cpu, uint64_t root_pa)
{
	uint64_t regs[PT_ROOT_REGS];

	if (!load_pdptes(cpu, root_pa, regs))
		return false;
	memcpy(cpu->root_regs, regs, sizeof(regs[0]) * cpu->fmt->root_regs);
	return true;
}

bool mmu_load_cr3(struct vmsim_cpu *cpu, uint64_t root_pa, unsigned pcid, bool noflush)
{
	if (!reload_root_regs(cpu, root_pa))
		return false;
	cpu->st.cr3_loads++;
	cpu->cr3 = root_pa;
	if (!cpu->pcid_enabled) {
		cpu->pcid = 0;
		tlb_flush_nonglobal(cpu);
		return true;
	}
	tlb_switch_pcid(cpu, pcid & 0xfff);
	if (!noflush)
		tlb_flush_pcid(cpu, cpu->pcid);
	return true;
}

void mmu_set_wp(struct vmsim_cpu *cpu, bool on)
{
	if (cpu->wp == on)
		return;
	cpu->wp = on;
	tlb_recompute_ok(cpu);
}

bool mmu_set_smep(struct vmsim_cpu *cpu, bool on)
{
	if (cpu->smep == on)
		return true;
	if (!reload_root_regs(cpu, cpu->cr3))
		return false;
	cpu->smep = on;
	tlb_recompute_ok(cpu);
	/* SDM vol. 3 section 4.10.4.1: a MOV to CR4 that sets SMEP invalidates
	 * the current PCID's TLB and paging-structure-cache entries (the
	 * global ones left are re-judged above) */
	if (on)
		tlb_flush_pcid(cpu, cpu->pcid);
	return true;
}

void mmu_set_smap(struct vmsim_cpu *cpu, bool on)
{
	if (cpu->smap == on)
		return;
	cpu->smap = on;
	tlb_recompute_ok(cpu);
}

void mmu_set_nxe(struct vmsim_cpu *cpu, bool on)
{
	on = on && cpu->fmt->nx_bit;
	if (cpu->nxe == on)
		return;
	cpu->nxe = on;
	mmu_update_walk_levels(cpu);
	tlb_flush_all(cpu);
}

bool mmu_set_pse(struct vmsim_cpu *cpu, bool on)
{
	if (cpu->pse == on)
		return true;
	if (!reload_root_regs(cpu, cpu->cr3))
		return false;
	cpu->pse = on;
	mmu_update_walk_levels(cpu);
	tlb_flush_all(cpu);
	return true;
}
