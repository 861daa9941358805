/*
 * Config rules of the MMU layer (see mmu_config.h): what the CPU model can
 * be built from.  The paging mode decides the entry format, so it decides
 * which features exist (NX needs 64-bit entries, PCID needs IA-32e paging)
 * and how many physical address bits an entry can hold; a TLB is a
 * power-of-two array of sets (tlb.c indexes it by vpn & (sets - 1)).
 *
 * Invariant: a config these rules accept gives mmu_cpu_init() a paging
 * mode of its own arch, a phys_bits its entry format can hold, and TLB
 * levels it can index without a remainder.
 */
#include "mmu/mmu_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int cpu_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	if (config_paging_arch(c->paging) != c->arch)
		return config_error(c, err, CFG_CPU_PAGING, CFG_ARCH,
				    "cpu.paging %s is not an %s paging mode (%s)",
				    config_paging_name(c->paging), config_arch_name(c->arch),
				    config_is_64(c) ? "4level, la57" : "2level, pae");
	if (c->paging == PAGING_PAE) {
		/* PAE paging: 64-bit entries with NX; CPUs with PAE have at
		 * least 36 physical address bits */
		if (c->phys_bits < 36)
			return config_error(c, err, CFG_CPU_PHYS_BITS, CFG_CPU_PAGING,
					    "cpu.phys_bits %u is out of range for PAE paging (36..52)",
					    c->phys_bits);
		if (c->pcid)
			return config_error(c, err, CFG_CPU_PCID, CFG_ARCH,
					    "cpu.pcid needs IA-32e paging (x86_64)");
	} else if (!config_is_64(c)) {
		if (c->phys_bits != 32)
			return config_error(c, err, CFG_CPU_PHYS_BITS, CFG_ARCH,
					    "cpu.phys_bits %u needs PAE (cpu.paging: pae); x86_32 here "
					    "is 2-level paging (32 bits)",
					    c->phys_bits);
		if (c->nxe)
			return config_error(c, err, CFG_CPU_NXE, CFG_ARCH,
					    "cpu.nxe needs PAE (cpu.paging: pae); 2-level x86_32 page "
					    "tables have no NX bit");
		if (c->pcid)
			return config_error(c, err, CFG_CPU_PCID, CFG_ARCH,
					    "cpu.pcid needs IA-32e paging (x86_64)");
	} else if (c->phys_bits < 36) {
		return config_error(c, err, CFG_CPU_PHYS_BITS, CFG_ARCH,
				    "cpu.phys_bits %u is out of range for x86_64 (36..52)", c->phys_bits);
	}
	return 0;
}

int tlb_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	/* each level's entries key; its ways key follows it in enum cfg_key_id */
	static const int ids[] = { CFG_TLB_L1D_ENTRIES, CFG_TLB_L1I_ENTRIES, CFG_TLB_L2_ENTRIES,
				   CFG_TLB_L1D_LARGE_ENTRIES, CFG_TLB_L1I_LARGE_ENTRIES,
				   CFG_TLB_PML5E_ENTRIES, CFG_TLB_PML4E_ENTRIES,
				   CFG_TLB_PDPTE_ENTRIES, CFG_TLB_PDE_ENTRIES };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int e = ids[i], w = ids[i] + 1;
		uint64_t entries = config_key_value(c, e), ways = config_key_value(c, w);
		const char *path = config_key_path(e);
		char lvl[32];

		/* "tlb.l1d.entries" -> "tlb.l1d" */
		snprintf(lvl, sizeof(lvl), "%.*s", (int)(strlen(path) - 8), path);
		if (!entries)
			continue;	/* level absent */
		if (!ways || entries % ways)
			return config_error(c, err, e, w, "%s: %" PRIu64 " entries is not a multiple of %"
					    PRIu64 " ways", lvl, entries, ways);
		if (!config_is_pow2(entries / ways))
			return config_error(c, err, e, w, "%s: %" PRIu64 " entries / %" PRIu64 " ways = %"
					    PRIu64 " sets, not a power of two", lvl, entries, ways,
					    entries / ways);
	}
	return 0;
}
