/*
 * The machine configuration: every knob of a simulated machine, as a plain
 * data structure that every layer may read (it depends on nothing).
 *
 * Life cycle:  config_defaults(arch)  ->  config_apply_*() / config_set()
 * (keys given by a file, --set or a scenario's `set:`)  ->  config_finalize()
 * (fills every key not given with its arch default, derives what Linux
 * derives, validates with the rules of the layers that own the keys,
 * util/config_rule.h).  Only a finalized config boots a machine.
 *
 * Invariant after config_finalize(): all addresses and sizes are page
 * aligned where the hardware needs it, ranges are ordered and disjoint,
 * zone bounds ascend, and every derived field matches the formula cited
 * next to it.
 */
#ifndef VMSIM_UTIL_CONFIG_H
#define VMSIM_UTIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/yaml.h"
#include "vmsim/error.h"

enum vmsim_arch { ARCH_X86_32, ARCH_X86_64 };

/* cpu.paging: the paging mode the kernel runs (CONFIG_X86_PAE,
 * CONFIG_X86_5LEVEL); x86_32 pages with 2level or pae, x86_64 with 4level
 * or la57.  The order is that of the key's names in config_load.c. */
enum vmsim_paging { PAGING_2LEVEL, PAGING_PAE, PAGING_4LEVEL, PAGING_LA57, PAGING_NR };

#define CFG_MAX_RESERVE 16
#define CFG_MAX_NODES 8
#define CFG_NAME_LEN 64
#define CFG_UNLIMITED UINT64_MAX	/* RLIM_INFINITY for the rlimits */

/*
 * Every key a config can give, in the order of docs/config.md's table.  The id
 * indexes vmsim_config.given and .src; config_load.c holds the table that
 * names, types and range-checks each one.
 */
enum cfg_key_id {
	CFG_NAME, CFG_ARCH,
	CFG_MEM_SIZE, CFG_MEM_NODES, CFG_MEM_CONTENTS, CFG_RESERVE, CFG_KERNEL_START, CFG_KERNEL_SIZE,
	CFG_ZONE_DMA, CFG_ZONE_DMA32, CFG_MAX_ORDER, CFG_MIN_FREE_KBYTES,
	CFG_PCP, CFG_PCP_HIGH_FRACTION,
	CFG_CPU_COUNT, CFG_CPU_WP, CFG_CPU_NXE, CFG_CPU_PCID, CFG_CPU_PSE,
	CFG_CPU_SMEP, CFG_CPU_SMAP, CFG_CPU_PHYS_BITS, CFG_CPU_PAGING,
	CFG_TLB_L1D_ENTRIES, CFG_TLB_L1D_WAYS, CFG_TLB_L1I_ENTRIES, CFG_TLB_L1I_WAYS,
	CFG_TLB_L2_ENTRIES, CFG_TLB_L2_WAYS, CFG_TLB_L1D_LARGE_ENTRIES,
	CFG_TLB_L1D_LARGE_WAYS, CFG_TLB_L1I_LARGE_ENTRIES, CFG_TLB_L1I_LARGE_WAYS,
	CFG_TLB_PML5E_ENTRIES, CFG_TLB_PML5E_WAYS, CFG_TLB_PML4E_ENTRIES, CFG_TLB_PML4E_WAYS,
	CFG_TLB_PDPTE_ENTRIES, CFG_TLB_PDPTE_WAYS, CFG_TLB_PDE_ENTRIES, CFG_TLB_PDE_WAYS,
	CFG_TLB_COST_L1_HIT, CFG_TLB_COST_L2_HIT, CFG_TLB_COST_WALK_REF,
	CFG_TASK_SIZE, CFG_PAGE_OFFSET, CFG_VMALLOC_START, CFG_VMALLOC_END,
	CFG_VMEMMAP, CFG_KERNEL_MAP, CFG_MODULES_START, CFG_MODULES_END,
	CFG_FIXADDR_TOP, CFG_LAST_PKMAP, CFG_VMALLOC_RESERVE,
	CFG_STACK_RLIMIT, CFG_MMAP_MIN_ADDR, CFG_RANDOMIZE, CFG_SEED,
	CFG_MEMLOCK_RLIMIT, CFG_CAP_IPC_LOCK,
	CFG_FAULT_AROUND_BYTES, CFG_READ_AHEAD_KB, CFG_MAX_SECTORS_KB, CFG_VFS_LARGE_FOLIOS,
	CFG_VDSO_VVAR, CFG_VDSO_VVAR_VCLOCK, CFG_VDSO_VDSO,
	CFG_SWAP_SIZE, CFG_VM_SWAPPINESS, CFG_VM_PAGE_CLUSTER, CFG_KSWAPD_INTERVAL,
	CFG_THP_ENABLED, CFG_THP_DEFRAG, CFG_THP_USE_ZERO_PAGE,
	CFG_NR_KEYS
};

/* transparent_hugepage.enabled and .defrag, in the order the kernel's
 * sysfs files list them ("always [madvise] never"). */
enum thp_enabled_mode { THP_ENABLED_ALWAYS, THP_ENABLED_MADVISE, THP_ENABLED_NEVER };
enum thp_defrag_mode {
	THP_DEFRAG_ALWAYS, THP_DEFRAG_DEFER, THP_DEFRAG_DEFER_MADVISE, THP_DEFRAG_MADVISE,
	THP_DEFRAG_NEVER
};

/* Largest buddy.max_order a config may ask for; equals MAX_ORDER_LIMIT in
 * src/phys/mmzone.h (util may not include phys; a test checks they agree). */
#define CFG_MAX_ORDER_LIMIT 12
#define CFG_MAX_CPUS 64

/*
 * Where a key was given, for messages about it after the fact: an index into
 * vmsim_config.origins (0: not given; a default or a derived value) and the
 * position.  line 0 means a command-line origin ("--set KEY=VALUE"), which
 * messages print without a position.
 */
struct cfg_src {
	unsigned origin;
	int line, col;
};

#define CFG_MAX_ORIGINS (CFG_NR_KEYS + 4)	/* one per key can be live, + spare */
#define CFG_ORIGIN_LEN 160

struct cfg_reserve {
	uint64_t start, size;
	char name[32];
	struct cfg_src src;
};

struct cfg_tlb {
	unsigned entries, ways;	/* entries 0 = level absent */
};

struct vmsim_config {
	char name[CFG_NAME_LEN];
	enum vmsim_arch arch;

	/* memory: */
	uint64_t mem_size;		/* bytes of RAM, from physical 0 */
	unsigned nodes;			/* NUMA nodes, RAM split evenly */
	bool contents;			/* memory.contents: stored (true) or none: user
					 * pages' bytes are not kept (metadata-only RAM) */
	struct cfg_reserve reserve[CFG_MAX_RESERVE];
	unsigned nr_reserve;
	uint64_t kernel_start, kernel_size;	/* kernel image, reserved */

	/* zones: upper physical bounds (exclusive).  x86_32 has DMA, Normal
	 * (= lowmem limit, derived from the layout) and HighMem above;
	 * x86_64 has DMA, DMA32 and Normal above. */
	uint64_t zone_dma_end;
	uint64_t zone_dma32_end;	/* x86_64 only */

	/* buddy: */
	unsigned max_order;		/* MAX_PAGE_ORDER: 10 */
	uint64_t min_free_kbytes;	/* 0 = derive as Linux does */
	bool pcp;			/* per-CPU page lists (false: zone_pcp_disable()) */
	unsigned pcp_high_fraction;	/* percpu_pagelist_high_fraction: 0 or >= 8 */

	/* cpu: */
	unsigned cpu_count;
	bool wp, nxe, pcid, pse, smep, smap;
	unsigned phys_bits;		/* MAXPHYADDR: 46 (x86_64), 32 (x86_32) */
	unsigned paging;		/* enum vmsim_paging */

	/* tlb: 4 KiB entries and large-page entries per level */
	struct cfg_tlb l1d, l1i, l2, l1d_large, l1i_large;
	/* paging-structure caches, by the Intel name of the entries they hold */
	struct cfg_tlb pml5e_cache, pml4e_cache, pdpte_cache, pde_cache;
	/* the translation cost model replay reports: cycles of an L1 TLB
	 * hit, of an L2 TLB lookup, and of a page-walk memory reference */
	unsigned cost_l1_hit, cost_l2_hit, cost_walk_ref;

	/* layout: */
	uint64_t task_size;
	uint64_t page_offset;		/* start of the direct map */
	uint64_t vmalloc_start, vmalloc_end;	/* [start, end) */
	uint64_t vmemmap;		/* x86_64 */
	uint64_t kernel_map;		/* x86_64: __START_KERNEL_map */
	uint64_t modules_start, modules_end;	/* x86_64: [start, end) */
	uint64_t fixaddr_top;		/* FIXADDR_TOP: fix_to_virt(i) = top - i pages */
	unsigned last_pkmap;		/* x86_32: LAST_PKMAP */

	/* layout, derived by config_finalize(): */
	uint64_t lowmem_end;		/* physical end of the direct-mapped RAM */
	uint64_t high_memory;		/* __va(lowmem_end) */
	uint64_t pkmap_base;		/* x86_32 */
	uint64_t fixaddr_start;		/* FIXADDR_START (permanent slots) */
	uint64_t fixaddr_tot_start;	/* FIXADDR_TOT_START (with boot slots) */
	unsigned fix_kmap_slots;	/* KM_MAX_IDX per cpu */

	/* process: */
	uint64_t stack_rlimit;		/* CFG_UNLIMITED for unlimited */
	uint64_t mmap_min_addr;
	bool randomize;
	uint64_t seed;
	uint64_t memlock_rlimit;	/* RLIMIT_MEMLOCK, CFG_UNLIMITED for unlimited */
	bool cap_ipc_lock;		/* tasks hold CAP_IPC_LOCK (privileged) */
	uint64_t mmap_base;		/* derived: arch_pick_mmap_layout() */
	uint64_t fault_around_bytes;	/* page cache fault-around, 64 KiB */
	unsigned read_ahead_kb;		/* the file's device: bdi->ra_pages in KiB */
	unsigned max_sectors_kb;	/* the device's largest request: bdi->io_pages in KiB */
	bool large_folios;		/* files on a file system with large folios:
					 * f_op->get_unmapped_area is
					 * thp_get_unmapped_area (ext4, xfs) */
	unsigned vdso_pages[3];		/* [vvar], [vvar_vclock], [vdso] */

	/* memory pressure: */
	uint64_t swap_size;		/* the swap area swapon'ed at boot; 0: none */
	unsigned swappiness;		/* vm.swappiness: 0..200 */
	unsigned page_cluster;		/* vm.page-cluster: log2 of the swap readahead window */
	unsigned kswapd_interval;	/* accesses between kswapd points; 0: steps only */

	/* transparent_hugepage: the sysfs knobs of
	 * /sys/kernel/mm/transparent_hugepage, derived when not given (see
	 * config_derive(): never on a machine under 512 MiB) */
	unsigned thp_enabled;		/* enum thp_enabled_mode */
	unsigned thp_defrag;		/* enum thp_defrag_mode */
	bool thp_use_zero_page;

	/* derived by config_finalize() (x86_32, see config.c): */
	uint64_t cpu_entry_area_base;	/* CPU_ENTRY_AREA_BASE */
	uint64_t ldt_base;		/* LDT_BASE_ADDR */
	uint64_t maxmem;		/* MAXMEM: the most RAM the direct map can hold */
	uint64_t vmalloc_reserve;	/* __VMALLOC_RESERVE (x86_32 `vmalloc=`) */

	/* bookkeeping for messages: where each key was given */
	char file[256];			/* the config file, "" for built-ins */
	uint64_t given[(CFG_NR_KEYS + 63) / 64];	/* bit per enum cfg_key_id */
	struct cfg_src src[CFG_NR_KEYS];
	char origins[CFG_MAX_ORIGINS][CFG_ORIGIN_LEN];	/* [0] unused */
};

/* Defaults of @arch with its usual paging (2level, 4level); nothing is
 * marked given.  Never fails. */
void config_defaults(struct vmsim_config *c, enum vmsim_arch arch);
/* Defaults of @arch paging with @paging (which must belong to @arch). */
void config_defaults_paging(struct vmsim_config *c, enum vmsim_arch arch, unsigned paging);
/* The paging an @arch machine runs unless cpu.paging says otherwise. */
static inline unsigned config_default_paging(enum vmsim_arch arch)
{
	return arch == ARCH_X86_64 ? PAGING_4LEVEL : PAGING_2LEVEL;
}

/* The arch whose kernel runs @paging. */
static inline enum vmsim_arch config_paging_arch(unsigned paging)
{
	return paging == PAGING_4LEVEL || paging == PAGING_LA57 ? ARCH_X86_64 : ARCH_X86_32;
}

/* A table of validation rules (util/config_rule.h). */
struct config_rule;

/* The built-in machines' names, for messages. */
#define CFG_BUILTINS "x86_32, x86_32-pae, x86_64, x86_64-la57"
/* The same as words, for shell completion. */
#define CFG_BUILTIN_WORDS "x86_64 x86_64-la57 x86_32 x86_32-pae"

/* Does @name read as a config file (a '/' in it, or a .yaml/.yml ending)
 * rather than a built-in's name?  Only for choosing the message when it
 * is neither. */
bool config_name_is_path(const char *name);

/* The defaults of built-in machine @name (not finalized), -ENOENT if no
 * built-in has that name. */
int config_builtin_defaults(struct vmsim_config *c, const char *name);
bool config_is_builtin(const char *name);

/* A built-in machine (CFG_BUILTINS), finalized with @rules.  -ENOENT if
 * unknown. */
int config_builtin(struct vmsim_config *c, const char *name, const struct config_rule *rules,
		   struct vmsim_error *err);

/* Load a YAML config file (defaults from its `arch:` key), not finalized. */
int config_load_file(struct vmsim_config *c, const char *path, struct vmsim_error *err);

/* Same from memory (@name is used in messages); for tests and fuzzing. */
int config_load_string(struct vmsim_config *c, const char *name, const char *text,
		       size_t len, struct vmsim_error *err);

/* Apply a mapping of overrides: nested (`memory: {size: 1GiB}`) or dotted
 * (`memory.size: 1GiB`) keys; positions come from the nodes. */
int config_apply_yaml(struct vmsim_config *c, const struct ynode *map,
		      const char *file, struct vmsim_error *err);

/* Set one dotted key from text (for --set KEY=VALUE).  @file/@line name the
 * origin in messages: with @line 0 (the command line) a message reads
 * "FILE KEY=VALUE: ..." ("--set memory.size=1GiB: ..."), else
 * "FILE:LINE:COL: ...".  `reserve` and whole groups (`--set cpu={wp: false}`)
 * take a YAML flow value. */
int config_set(struct vmsim_config *c, const char *key, const char *value,
	       const char *file, int line, int col, struct vmsim_error *err);

/* Fill defaults for keys not given, derive, validate: first the key
 * table's own rule (no key given for the other arch), then each rule of
 * @rules in order; the first that fails gives the error.  The layers'
 * table is machine_config_rules[] (kern/kern_config.h).  Idempotent:
 * keys not given are re-derived each time, so overrides may follow a
 * finalize. */
int config_finalize(struct vmsim_config *c, const struct config_rule *rules,
		    struct vmsim_error *err);

/* Compute the derived fields from the others (no validation). */
void config_derive(struct vmsim_config *c);

/* Derivations Linux makes (exposed for tests and the layout view). */
uint64_t config_mmap_base(const struct vmsim_config *c, uint64_t stack_rlimit);

/* Write @c (finalized) as a YAML config that loads back to the same values:
 * every key except the derived ones not given.  *@out is NUL-terminated and
 * the caller free()s it. */
int config_dump_yaml(const struct vmsim_config *c, char **out, struct vmsim_error *err);

static inline bool config_given(const struct vmsim_config *c, enum cfg_key_id id)
{
	return (c->given[id / 64] >> (id % 64)) & 1;
}

static inline bool config_is_64(const struct vmsim_config *c)
{
	return c->arch == ARCH_X86_64;
}

/* PMD_SHIFT: 22 under 2-level paging (a PDE maps 4 MiB), else 21. */
static inline unsigned config_pmd_shift(const struct vmsim_config *c)
{
	return c->paging == PAGING_2LEVEL ? 22 : 21;
}

/* DEFAULT_MAP_WINDOW: the top of the user addresses mmap() and the stack
 * use unless a hint asks for more -- TASK_SIZE, except under 5-level
 * paging, where it stays at 47 bits ((1 << 47) - PAGE_SIZE,
 * arch/x86/include/asm/page_64.h) and TASK_SIZE_MAX is (1 << 56) - PAGE_SIZE. */
static inline uint64_t config_map_window(const struct vmsim_config *c)
{
	const uint64_t w = (1ULL << 47) - 4096;

	return c->paging == PAGING_LA57 && c->task_size > w ? w : c->task_size;
}

/*
 * THREAD_SIZE_ORDER: every task's kernel stack is one buddy block of this
 * order, 16 KiB on x86_64 (order 2, page_64_types.h) and 8 KiB on x86_32
 * (order 1, page_32_types.h).  It is the largest block spawning, forking
 * or exec'ing a task needs (page tables and slabs fit in smaller ones), so
 * buddy.max_order must reach it.
 */
static inline unsigned config_thread_size_order(const struct vmsim_config *c)
{
	return config_is_64(c) ? 2 : 1;
}

#endif
