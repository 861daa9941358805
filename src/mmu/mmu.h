/*
 * The software MMU of one simulated CPU: control registers, the TLBs and
 * translate(), the hardware's view of a virtual address.
 *
 * translate() = TLB lookup, then (out of line, one function for every
 * format and access) the L2, the paging-structure caches and the page walk
 * over the tables in simulated RAM, then a physical address or a struct
 * vmsim_fault with the x86 #PF error code.  A fault is a result, not an
 * error.
 *
 * TLB model (per CPU; tlb.c):
 *   L1d, L1i   4 KiB arrays     cfg.l1d / cfg.l1i       (entries, ways)
 *   L1d, L1i   large arrays     cfg.l1d_large / l1i_large (2M/4M and 1G)
 *   L2         shared           cfg.l2                  (4K and 2M/4M)
 * Each array is set-associative with a power-of-two number of sets, LRU
 * within a set.  A per-kind direct-mapped "fast table" indexed by
 * vpn & (n - 1) mirrors L1 entries (one slot per 4 KiB page), so a hit is
 * one tag compare, which is also the permission check (struct tlb_fast).
 * The fast table is only ever a copy of an L1 entry that exists, so it
 * changes nothing the model decides (which entries are present, LRU order,
 * evictions).  The L2 also keeps a per-set recency index for its victim
 * (tlb.c).  Invalid slots and entries are all ones.
 *
 * Paging-structure caches (psc.c): per depth above the leaves, a small
 * set-associative cache of table entries (Intel's PML5E, PML4E, PDPTE and
 * PDE caches), cfg.psc_*, consulted by the walk before it reads RAM.
 */
#ifndef VMSIM_MMU_MMU_H
#define VMSIM_MMU_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmu/pgformat.h"
#include "mmu/segment.h"
#include "util/config.h"
#include "util/events.h"
#include "util/hostalloc.h"
#include "vmsim/error.h"

struct phys_mem;

enum mmu_access { MMU_READ, MMU_WRITE, MMU_FETCH, MMU_NR_ACCESSES };
enum mmu_mode { MMU_KERNEL, MMU_USER };	/* CPL 0, CPL 3 */

/* #PF error code bits (arch/x86/include/asm/trap_pf.h) */
#define X86_PF_PROT	0x01	/* 0: not present, 1: protection / reserved */
#define X86_PF_WRITE	0x02
#define X86_PF_USER	0x04
#define X86_PF_RSVD	0x08
#define X86_PF_INSTR	0x10
#define X86_PF_PK	0x20

/* A translation that did not produce an address. */
struct vmsim_fault {
	uint64_t addr;		/* the faulting virtual address (CR2) */
	uint32_t error_code;	/* X86_PF_* */
	int depth;		/* depth of the entry that decided it (0 = root);
				 * -1 for a non-canonical address */
	bool gp;		/* non-canonical address: #GP, not #PF */
};

/* A TLB entry's cached rights: the walk's combined U/S, R/W, NX, and the
 * leaf's D and G.  The permission check is recomputed from these. */
#define TLB_R_W		0x01
#define TLB_R_U		0x02
#define TLB_R_X		0x04
#define TLB_R_D		0x08
#define TLB_R_G		0x10

/* Allowed accesses: bit (mode * 4 + access). */
#define TLB_OK_BIT(acc, mode) ((unsigned)(mode) * 4u + (unsigned)(acc))

#define TLB_TAG_INVALID	(~0ULL)
#define TLB_PCID_SHIFT	52	/* array tags: PCID in bits 63..52 */
#define TLB_PCID_MASK	(0xfffULL << TLB_PCID_SHIFT)

/*
 * Tag of an array entry (one 64-bit compare decides a match):
 *   63..52 PCID (0 for global) | 47 G | 46..45 size (0 4K, 1 2M/4M, 2 1G)
 *   44..0  (va & (2^va_bits - 1)) >> page shift (57-bit addresses: 45 bits)
 * A global entry matches any PCID: a lookup compares with two keys.
 * The va is truncated to va_bits, so a lookup first checks the address is
 * canonical (a non-canonical one never reaches the arrays).
 */
#define TLB_TAG_VPN_MASK ((1ULL << 45) - 1)
#define TLB_TAG_SIZE_SHIFT 45
#define TLB_TAG_G	(1ULL << 47)

/*
 * LRU stamps are a type of their own (unsigned long long, while addresses
 * are uint64_t = unsigned long): the hit path stores a stamp through a
 * pointer, and a distinct type tells the compiler that store cannot change
 * an address or a table pointer it holds in a register (strict aliasing).
 */
typedef unsigned long long tlb_stamp_t;

/* The data of one way; its tag and LRU stamp sit in parallel arrays so a
 * set scan reads only tags (or stamps). */
struct tlb_entry {
	uint64_t pa;		/* physical base of the page */
	uint16_t pcid;		/* PCID it was filled under */
	uint8_t shift;		/* page size: 12, 21, 22, 30 */
	uint8_t rights;		/* TLB_R_* */
	uint8_t ok;		/* TLB_OK_BIT set, from rights and CR state */
};

struct tlb_stats {
	uint64_t hits, misses, fills, evictions, flushes, invlpg;
};	/* L1: hits is not kept, tlb_get_stats() derives it */

/* One set-associative array; way w of set s is index s * ways + w. */
struct tlb_array {
	const char *name;
	uint64_t *tag;		/* all ones = invalid */
	uint8_t *sig;		/* one-byte hash of each tag, 0 = invalid */
	tlb_stamp_t *lru;	/* last use (tick); 0 = invalid; smallest is evicted */
	uint64_t *order;	/* per set, or NULL: the ways by recency (see tlb.c) */
	uint64_t order_pad;	/* an order word's fields above the ways (all 0xf) */
	struct tlb_entry *e;
	unsigned entries, ways, sets;
	uint64_t set_mask;
	uint64_t va_mask;	/* its cpu's 2^va_bits - 1 (tags hold va & va_mask) */
	uint64_t all_ways;	/* bitmap of a set's ways */
	uint8_t shifts[3];	/* page sizes it holds, probe order */
	unsigned nshifts;
	unsigned nvalid;	/* valid entries (lets lookups skip an empty array) */
	unsigned nlarge;	/* valid entries above 4 KiB (lets a lookup of an
				 * array that also holds 4 KiB skip the large sizes) */
	uint64_t evictions;	/* per array; level totals in struct tlb_stats */
	uint64_t fills;		/* per array: entries written by refills */
};

/*
 * Fast-table slot: a copy of an L1 entry for one 4 KiB page under the
 * current PCID (32 bytes, two per cache line).  A PCID switch clears the
 * fast tables (a global entry's slot is refilled by a slow hit), so a tag
 * needs no PCID.  As in QEMU's TLB a slot has a tag per kind of access --
 * read (or fetch, in the I table) and write -- that holds the page only
 * where the entry allows that access, so the tag compare is the permission
 * check.  A tag also carries the mode of the access that filled the slot
 * (tlb_fast_key()): an access in the other mode misses here, and the slow
 * path's L1 hit refills the slot for it.  The physical address is va +
 * addend (one add).
 *
 * The tag of a fast slot that lets @acc at @mode through to page @vpn:
 * the page itself for a user access, with bit 63 set for a kernel one (a
 * vpn has at most 52 bits).  The user key is then the very value that
 * indexes the table: no instruction at all on the hit path of the mode
 * traces and processes use; a kernel key is one bts.
 */
#define TLB_FAST_KERNEL (1ULL << 63)

static inline uint64_t tlb_fast_key(uint64_t vpn, enum mmu_mode mode)
{
	return mode == MMU_USER ? vpn : vpn | TLB_FAST_KERNEL;
}

struct tlb_fast {
	uint64_t tag[2];	/* [acc == MMU_WRITE]: tlb_fast_key() if allowed, else all ones */
	uint64_t addend;	/* physical 4 KiB page - virtual 4 KiB page (mod 2^64) */
	tlb_stamp_t *lru;	/* the mirrored entry's LRU stamp */
};

enum tlb_kind { TLB_D, TLB_I, TLB_NR_KINDS };

/* One depth of the walk as the CPU's current state decodes it: the
 * format's level (pgformat.h) with the reserved bits that NXE, PSE and
 * MAXPHYADDR give it (mmu_update_walk_levels()). */
struct walk_level {
	uint64_t stop;		/* P | rsvd | ps_mask: an entry with any of these
				 * differing from a present table entry */
	uint64_t implied;	/* pt_level_desc.implied */
	uint64_t rsvd;		/* reserved bits of a table entry / 4K leaf */
	uint64_t rsvd_large;	/* reserved bits of a large leaf (PS=1) here */
	uint64_t ps_mask;	/* _PAGE_PSE when PS makes a leaf here, else 0 */
	uint64_t entry_mask;	/* the entry's byte offset in its table is
				 * (va >> entry_shift) & entry_mask: the index
				 * bits times the entry size, no multiply */
	uint64_t offset_mask;	/* (1 << shift) - 1: a leaf's offset bits */
	uint8_t shift;
	uint8_t entry_shift;	/* shift - log2(entry size) */
	bool from_regs;		/* the root of a format whose root entries are
				 * registers loaded with CR3 (cpu->root_regs) */
};	/* 64 bytes: cpu->wl[d] is one shift from d */

/* The format's constants the walk reads at every miss, decoded once with
 * cpu->wl[] (mmu_update_walk_levels()) into the CPU, so a walk loads them
 * from one line instead of chasing cpu->fmt. */
struct walk_consts {
	uint64_t addr_mask;	/* pt_format.entry_addr_mask */
	uint64_t root_mask;	/* pt_format.root_addr_mask */
	uint64_t nx_bit;	/* pt_format.nx_bit */
	unsigned esz, last;	/* entry size; depth of the PTEs (levels - 1) */
	uint8_t esz_log2;	/* log2(esz) */
	uint8_t large_hi_src, large_hi_bits, large_hi_dst;	/* PSE-36 */
	/* pt_va_canonical() as two shifts (cpu_va_canonical()): the bits
	 * above va_bits, and whether they copy bit va_bits - 1 (x86_64) or
	 * are zero (x86_32) */
	uint8_t va_pad;
	bool va_sext;
};

/* A paging-structure cache: the entries of one depth (set-associative,
 * LRU), each the next table's address and the rights of the entries down
 * to it, tagged by PCID and the address bits above the depth's shift. */
struct psc_entry {
	uint64_t table;		/* physical address of the table below */
	uint64_t all, any;	/* AND (R/W, U/S, A) and OR (NX) of the entries */
};

struct psc {
	const char *name;	/* "pde_cache", ... */
	uint64_t *tag;		/* PCID << 52 | va >> shift; all ones = invalid */
	tlb_stamp_t *lru;
	struct psc_entry *e;
	unsigned entries, ways, shift;	/* shift: the depth's, the tag's low bit */
	unsigned nvalid;		/* valid entries: an empty cache (after every
					 * flush of the PCID) is neither searched nor
					 * scanned */
	uint64_t set_mask, tick;
	uint64_t hits, misses;	/* lookups by walks */
};

struct mmu_stats {
	uint64_t walks;		/* page walks started */
	uint64_t entries_read;	/* paging-structure entries walks read from memory */
	/* walks by the depth they ended at (0 = root); mapped_at: those
	 * that reached a leaf there (a page of that depth's size).  A walk
	 * read one entry at each depth from where it started (0, or below a
	 * paging-structure cache hit) to where it ended -- from memory, but
	 * for a root entry in a register (root_regs_used). */
	uint64_t ended_at[PT_MAX_LEVELS], mapped_at[PT_MAX_LEVELS];
	uint64_t root_regs_used;	/* walks whose root entry was a register
					 * loaded with CR3 (PAE's PDPTEs) */
	uint64_t psc_refs_saved;	/* entries the PSC hits spared walks reading */
	uint64_t ad_writes;	/* entries written to set A or D */
	uint64_t faults;	/* translations that faulted */
	uint64_t cr3_loads;
};

/* What the miss path returns when the translation faulted (no physical
 * address is all ones: MAXPHYADDR is at most 52). */
#define MMU_FAULTED (~0ULL)

struct vmsim_cpu {
	/* ---- hot: read by every translate() ---- */
	struct tlb_fast *fast[TLB_NR_KINDS];
	uint32_t fast_mask[TLB_NR_KINDS];
	tlb_stamp_t tick[TLB_NR_KINDS];	/* L1 clock: one per hit or fill (a stamp's
					 * type: storing it cannot change the
					 * table pointers and masks above) */

	/* ---- the rest ---- */
	int id;
	struct phys_mem *pm;
	const struct pt_format *fmt;
	struct host_arena *ha;
	uint64_t cr3;			/* root table physical address */
	uint64_t root_regs[PT_ROOT_REGS];	/* fmt->root_regs entries loaded with CR3 (PAE) */
	unsigned pcid;			/* current PCID (0 without cfg.pcid) */
	bool pcid_enabled;		/* CR4.PCIDE */
	bool wp, nxe, pse, smep, smap;	/* CR0.WP EFER.NXE CR4.PSE/SMEP/SMAP */
	unsigned phys_bits;		/* MAXPHYADDR */
	uint64_t va_mask;		/* 2^va_bits - 1 */
	uint64_t ram_size;
	struct walk_level wl[PT_MAX_LEVELS];
	struct walk_consts wc;
	struct psc psc[PT_MAX_LEVELS];	/* [d]: cache of depth d's entries */
	uint8_t ok_table[32];		/* tlb_ok_mask() of each rights value */

	struct tlb_array l1[TLB_NR_KINDS];	/* 4 KiB */
	struct tlb_array l1_large[TLB_NR_KINDS];
	struct tlb_array l2;
	uint64_t tick_l2;
	struct tlb_stats st_l1[TLB_NR_KINDS], st_l2;
	struct mmu_stats st;
	struct event_log *events;	/* --trace-events, or NULL */
	struct seg_state seg;		/* segment registers, GDTR, LDTR (segment.c) */

	void *fast_mem[TLB_NR_KINDS];	/* unaligned allocations */
	size_t fast_bytes[TLB_NR_KINDS];
};

/* One level of a walk, for --explain and the views. */
struct walk_trace {
	unsigned n;
	struct {
		unsigned depth, index;
		uint64_t table_pa, entry_pa, entry;	/* entry as read, before A/D */
	} lv[PT_MAX_LEVELS];
};

struct walk_result {
	uint64_t pa;		/* translated address */
	uint64_t page_pa;	/* base of the page */
	unsigned shift;		/* page size */
	unsigned depth;		/* leaf depth */
	uint8_t rights;		/* TLB_R_* */
	uint64_t leaf;		/* leaf entry after A/D */
};

/* ---- CPU life cycle and control registers (cpu.c) ---- */

/* Set up CPU @id: TLB arrays sized from @cfg, CR0.WP/EFER.NXE/CR4 bits from
 * cfg.cpu, CR3 = 0.  -EINVAL (with a message) if a TLB geometry is not
 * entries = ways * 2^k, -ENOMEM if the host refuses.  @pm must outlive it. */
int mmu_cpu_init(struct vmsim_cpu *cpu, int id, struct phys_mem *pm,
		 const struct vmsim_config *cfg, struct host_arena *ha,
		 struct vmsim_error *err);
void mmu_cpu_finish(struct vmsim_cpu *cpu);

/* MOV to CR3.  Without PCIDs: non-global TLB entries are flushed.  With
 * PCIDs: @pcid becomes current and, unless @noflush (CR3 bit 63), its
 * non-global entries are flushed.  Under PAE paging the four PDPTEs are
 * loaded too; a present one with a reserved bit set makes the move #GP:
 * false, and nothing changes. */
bool mmu_load_cr3(struct vmsim_cpu *cpu, uint64_t root_pa, unsigned pcid, bool noflush);

/* Control-register bits.  WP/SMEP/SMAP re-derive each TLB entry's allowed
 * accesses from its cached rights (the hardware checks them at use);
 * NXE/PSE change what is reserved or a leaf, so they flush all TLBs;
 * setting SMEP also flushes the current PCID, as the SDM says it does.
 * Under PAE paging a MOV to CR4 that changes PSE or SMEP loads the PDPTEs
 * again from CR3 (SDM vol. 3 section 4.4.1): false, and nothing changes,
 * where a present one has a reserved bit set (the move #GPs). */
void mmu_set_wp(struct vmsim_cpu *cpu, bool on);
void mmu_set_nxe(struct vmsim_cpu *cpu, bool on);
bool mmu_set_pse(struct vmsim_cpu *cpu, bool on);
bool mmu_set_smep(struct vmsim_cpu *cpu, bool on);
void mmu_set_smap(struct vmsim_cpu *cpu, bool on);

/* ---- TLB maintenance (tlb.c) ---- */

void tlb_flush_all(struct vmsim_cpu *cpu);		/* globals too */
void tlb_flush_nonglobal(struct vmsim_cpu *cpu);	/* CR3 load */
void tlb_flush_pcid(struct vmsim_cpu *cpu, unsigned pcid); /* non-global of @pcid */
/* INVLPG: entries of the current PCID and global entries that map @va,
 * whatever their page size, and every paging-structure cache entry of the
 * current PCID. */
void invlpg(struct vmsim_cpu *cpu, uint64_t va);
/* INVPCID of @type (the SDM's numbers): 0 the non-global entries of @pcid
 * that map @va, 1 all non-global entries of @pcid, 2 everything, 3 every
 * non-global entry; each also drops the paging-structure cache entries of
 * @pcid (types 0, 1) or all of them (2, 3).  -EINVAL where the instruction
 * raises #GP (a type above 3, a PCID above 4095, a non-canonical @va). */
enum { INVPCID_ADDR, INVPCID_SINGLE, INVPCID_ALL, INVPCID_ALL_NONGLOBAL };
int invpcid(struct vmsim_cpu *cpu, unsigned type, unsigned pcid, uint64_t va);
/* Set up / free the TLB arrays of @cpu (cpu.c calls these). */
int tlb_init(struct vmsim_cpu *cpu, const struct vmsim_config *cfg, struct vmsim_error *err);
void tlb_finish(struct vmsim_cpu *cpu);
/* Make @pcid current (a CR3 load with PCIDs): the model's entries stay,
 * the fast tables, which carry no PCID, are cleared if it changes.  The
 * caller flushes @pcid's entries unless CR3 bit 63 was set. */
void tlb_switch_pcid(struct vmsim_cpu *cpu, unsigned pcid);
/* Re-derive every entry's allowed accesses after a CR0.WP/SMEP/SMAP change. */
void tlb_recompute_ok(struct vmsim_cpu *cpu);
/* The entry of @a that maps @va for @pcid (or a global one), NULL if none.
 * No LRU update, no statistics: for tests and views. */
struct tlb_entry *tlb_array_lookup(struct tlb_array *a, uint64_t va, unsigned pcid);
/* The first virtual address entry @i of @a maps (for views). */
uint64_t tlb_entry_va(const struct vmsim_cpu *cpu, const struct tlb_array *a, unsigned i);
/* Consistency checker: fast slots mirror valid L1 entries, entries sit in
 * their set, no tag twice in a set, permission masks current.  0, or -1
 * with a description in @msg. */
int tlb_check(struct vmsim_cpu *cpu, char *msg, size_t len);
/* Statistics of L1d (TLB_D), L1i (TLB_I) or, for kind 2, the L2.  L1 hits
 * are derived: every L1 tick is a hit or a fill. */
void tlb_get_stats(const struct vmsim_cpu *cpu, unsigned level, struct tlb_stats *out);
/* Number of valid entries in an array (for tests and views). */
unsigned tlb_array_valid(const struct tlb_array *a);

/* ---- translation (tlb.c, walk.c) ---- */

/* pt_va_canonical(cpu->fmt, @va) from the decoded constants: no branch on
 * the format's width. */
static inline bool cpu_va_canonical(const struct vmsim_cpu *cpu, uint64_t va)
{
	const unsigned s = cpu->wc.va_pad;
	const uint64_t x = va << s;

	return (cpu->wc.va_sext ? (uint64_t)((int64_t)x >> s) : x >> s) == va;
}

/* The miss path of any access: the physical address, or MMU_FAULTED. */
uint64_t mmu_translate_slow(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc,
			    enum mmu_mode mode, struct vmsim_fault *f);

/*
 * Translate @va for an access at @mode: true and *pa, or false and *f
 * (*pa is then MMU_FAULTED).  Sets A/D in the tables as the hardware does,
 * fills the TLBs.  The hit is inline: one slot, one tag compare (which is
 * the permission check).
 */
static inline bool translate(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc,
			     enum mmu_mode mode, uint64_t *pa, struct vmsim_fault *f)
{
	const unsigned k = acc == MMU_FETCH;
	const uint64_t vpn = va >> 12;
	const struct tlb_fast *s = &cpu->fast[k][vpn & cpu->fast_mask[k]];

	if (__builtin_expect(s->tag[acc == MMU_WRITE] == tlb_fast_key(vpn, mode), 1)) {
		const tlb_stamp_t t = cpu->tick[k] + 1;

		/* the stamp first, then the clock: the next hit's load of
		 * the clock then follows its store directly, with no store to
		 * an address still being loaded in between (measured: a hit
		 * plus a load 0.95 -> 0.89 ns, `*s->lru = ++cpu->tick[k]`
		 * stores the other way round) */
		*s->lru = t;
		cpu->tick[k] = t;
		*pa = va + s->addend;
		return true;
	}
	{
		/* the address comes back by value: the caller's @pa does not
		 * escape, so its hits can keep it in a register.  (*pa = 0 on
		 * a fault, a cmov, made GCC stop keeping the fast table's
		 * base and mask in registers across a caller's hit loop:
		 * +0.2-0.4 ns a hit.) */
		const uint64_t p = mmu_translate_slow(cpu, va, acc, mode, f);

		*pa = p;
		return p != MMU_FAULTED;
	}
}

/*
 * The page walk from @root for @va, as the hardware does it: checks P,
 * reserved bits and the combined rights, and on success sets A on every
 * entry used and D on the leaf for a write.  On a fault nothing is written.
 * @trace (may be NULL) receives each entry read.  No TLB involvement.
 */
bool mmu_walk(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc,
	      enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
	      struct walk_trace *trace);

/* The same walk with no side effects (no A/D, no statistics): for views and
 * --explain previews. */
bool mmu_walk_peek(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc,
		   enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
		   struct walk_trace *trace);

/* The walk of a TLB miss for a canonical @va: from CR3, through the
 * paging-structure caches (it starts below the deepest one that holds
 * @va's entry and fills them when it succeeds), with the hardware's side
 * effects. */
bool mmu_walk_tlb(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc, enum mmu_mode mode,
		  struct walk_result *r, struct vmsim_fault *f);

/* ---- paging-structure caches (psc.c) ---- */

/* Set up / free the caches of @cpu from cfg->psc_* (by the Intel name of
 * each depth's entries; 0 entries = none). */
int psc_init(struct vmsim_cpu *cpu, const struct vmsim_config *cfg, struct vmsim_error *err);
void psc_finish(struct vmsim_cpu *cpu);
/* Drop the entries of @pcid (INVLPG, INVPCID, MOV to CR3), all of them
 * (psc_flush_all), or those @va would use under the current PCID (#PF). */
void psc_flush_pcid(struct vmsim_cpu *cpu, unsigned pcid);
void psc_flush_all(struct vmsim_cpu *cpu);
void psc_drop_va(struct vmsim_cpu *cpu, uint64_t va);

/* Recompute the per-depth reserved masks from CR state and MAXPHYADDR,
 * and the walk's copy of the format's constants (cpu->wc). */
void mmu_update_walk_levels(struct vmsim_cpu *cpu);

/* Allowed-access mask (TLB_OK_BIT bits) for cached @rights under @cpu's
 * CR0.WP / CR4.SMEP / CR4.SMAP. */
uint8_t tlb_ok_mask(const struct vmsim_cpu *cpu, uint8_t rights);

/* Read one paging-structure entry at physical @pa (all ones beyond RAM, as
 * a read of non-existent memory returns). */
uint64_t mmu_read_entry(const struct vmsim_cpu *cpu, uint64_t pa);

#endif
