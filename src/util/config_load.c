/*
 * Reading machine configs: YAML files, --set KEY=VALUE and a scenario's
 * `set:` mapping, all through one key table; config_finalize(), which runs
 * the validation rules it is given (util/config_rule.h; the rules live in
 * the layers that own the keys) with the helpers they place their
 * messages with; and the YAML writer.  What the values mean (defaults,
 * Linux derivations) is config.c.
 *
 * Invariants:
 *  - every key a user can write is one row of keys[] (indexed by enum
 *    cfg_key_id); nested (`memory: {size: 1GiB}`) and dotted (`memory.size:
 *    1GiB`) spellings resolve to the same row, so no key is parsed twice.
 *  - a key that was given has its bit in c->given and its position in
 *    c->src; keys not given always hold the defaults of c->arch (setting
 *    `arch` re-bases them), so the order of keys never matters.
 *  - every error is one line naming where it came from ("FILE:LINE:COL: "
 *    or "--set KEY=VALUE: "), and no path leaks: the only host memory here
 *    is the YAML tree, freed on every return.
 */
#include "util/config.h"
#include "util/config_rule.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/parse.h"
#include "util/strbuf.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PAGE 4096ULL

enum ktype {
	KT_STR,		/* name: a string */
	KT_ARCH,	/* x86_32 | x86_64 */
	KT_SIZE,	/* bytes, KiB/MiB/GiB/TiB suffix allowed */
	KT_ADDR,	/* an address: same syntax, written back in hex */
	KT_UINT,	/* a plain count */
	KT_BOOL,
	KT_RLIMIT,	/* a size or `unlimited` */
	KT_RESERVE,	/* sequence of {start, size, name} */
	KT_ENUM,	/* one of the key's names[], stored as its index */
};

#define A32 1u
#define A64 2u
#define AALL (A32 | A64)

struct key_def {
	const char *path;
	enum ktype type;
	size_t off, size;	/* the field in struct vmsim_config */
	uint64_t min, max;	/* accepted by the parser; arch rules come later */
	unsigned arches;	/* where the key means something */
	const char *const *names;	/* KT_ENUM: the values, NULL-terminated */
};

/* memory.contents: the index is the bool struct vmsim_config keeps */
static const char *const contents_names[] = { "none", "stored", NULL };
/* the words of /sys/kernel/mm/transparent_hugepage/{enabled,defrag} */
static const char *const thp_enabled_names[] = { "always", "madvise", "never", NULL };
/* cpu.paging, indexed by enum vmsim_paging */
static const char *const paging_names[] = { "2level", "pae", "4level", "la57", NULL };
static const char *const thp_defrag_names[] = { "always", "defer", "defer+madvise", "madvise",
						"never", NULL };

#define F(field) offsetof(struct vmsim_config, field), sizeof(((struct vmsim_config *)0)->field)
#define TLB(lvl, ENT, WAYS)							\
	[ENT] = { "tlb." #lvl ".entries", KT_UINT, F(lvl.entries), 0, 65536, AALL },	\
	[WAYS] = { "tlb." #lvl ".ways", KT_UINT, F(lvl.ways), 0, 65536, AALL }

static const struct key_def keys[CFG_NR_KEYS] = {
	[CFG_NAME] = { "name", KT_STR, F(name), 1, CFG_NAME_LEN - 1, AALL },
	[CFG_ARCH] = { "arch", KT_ARCH, F(arch), 0, 0, AALL },
	[CFG_MEM_SIZE] = { "memory.size", KT_SIZE, F(mem_size), PAGE, UINT64_MAX, AALL },
	[CFG_MEM_NODES] = { "memory.nodes", KT_UINT, F(nodes), 1, CFG_MAX_NODES, AALL },
	[CFG_MEM_CONTENTS] = { "memory.contents", KT_ENUM, F(contents), 0, 0, AALL,
				contents_names },
	[CFG_RESERVE] = { "reserve", KT_RESERVE, F(reserve), 0, 0, AALL },
	[CFG_KERNEL_START] = { "kernel_image.start", KT_ADDR, F(kernel_start), 0, UINT64_MAX, AALL },
	[CFG_KERNEL_SIZE] = { "kernel_image.size", KT_SIZE, F(kernel_size), PAGE, UINT64_MAX, AALL },
	[CFG_ZONE_DMA] = { "zones.DMA", KT_SIZE, F(zone_dma_end), PAGE, 4 * GiB, AALL },
	[CFG_ZONE_DMA32] = { "zones.DMA32", KT_SIZE, F(zone_dma32_end), PAGE, 4 * GiB, A64 },
	[CFG_MAX_ORDER] = { "buddy.max_order", KT_UINT, F(max_order), 1, CFG_MAX_ORDER_LIMIT, AALL },
	[CFG_MIN_FREE_KBYTES] = { "buddy.min_free_kbytes", KT_UINT, F(min_free_kbytes), 0, 1ULL << 40, AALL },
	[CFG_PCP] = { "buddy.pcp", KT_BOOL, F(pcp), 0, 1, AALL },
	[CFG_PCP_HIGH_FRACTION] = { "buddy.percpu_pagelist_high_fraction", KT_UINT, F(pcp_high_fraction), 0, 1ULL << 31, AALL },
	[CFG_CPU_COUNT] = { "cpu.count", KT_UINT, F(cpu_count), 1, CFG_MAX_CPUS, AALL },
	[CFG_CPU_WP] = { "cpu.wp", KT_BOOL, F(wp), 0, 1, AALL },
	[CFG_CPU_NXE] = { "cpu.nxe", KT_BOOL, F(nxe), 0, 1, AALL },
	[CFG_CPU_PCID] = { "cpu.pcid", KT_BOOL, F(pcid), 0, 1, AALL },
	[CFG_CPU_PSE] = { "cpu.pse", KT_BOOL, F(pse), 0, 1, AALL },
	[CFG_CPU_SMEP] = { "cpu.smep", KT_BOOL, F(smep), 0, 1, AALL },
	[CFG_CPU_SMAP] = { "cpu.smap", KT_BOOL, F(smap), 0, 1, AALL },
	[CFG_CPU_PHYS_BITS] = { "cpu.phys_bits", KT_UINT, F(phys_bits), 32, 52, AALL },
	[CFG_CPU_PAGING] = { "cpu.paging", KT_ENUM, F(paging), 0, 0, AALL, paging_names },
	TLB(l1d, CFG_TLB_L1D_ENTRIES, CFG_TLB_L1D_WAYS),
	TLB(l1i, CFG_TLB_L1I_ENTRIES, CFG_TLB_L1I_WAYS),
	TLB(l2, CFG_TLB_L2_ENTRIES, CFG_TLB_L2_WAYS),
	TLB(l1d_large, CFG_TLB_L1D_LARGE_ENTRIES, CFG_TLB_L1D_LARGE_WAYS),
	TLB(l1i_large, CFG_TLB_L1I_LARGE_ENTRIES, CFG_TLB_L1I_LARGE_WAYS),
	TLB(pml5e_cache, CFG_TLB_PML5E_ENTRIES, CFG_TLB_PML5E_WAYS),
	TLB(pml4e_cache, CFG_TLB_PML4E_ENTRIES, CFG_TLB_PML4E_WAYS),
	TLB(pdpte_cache, CFG_TLB_PDPTE_ENTRIES, CFG_TLB_PDPTE_WAYS),
	TLB(pde_cache, CFG_TLB_PDE_ENTRIES, CFG_TLB_PDE_WAYS),
	[CFG_TLB_COST_L1_HIT] = { "tlb.cost.l1_hit", KT_UINT, F(cost_l1_hit), 0, 1000000, AALL },
	[CFG_TLB_COST_L2_HIT] = { "tlb.cost.l2_hit", KT_UINT, F(cost_l2_hit), 0, 1000000, AALL },
	[CFG_TLB_COST_WALK_REF] = { "tlb.cost.walk_ref", KT_UINT, F(cost_walk_ref), 0, 1000000, AALL },
	[CFG_TASK_SIZE] = { "layout.task_size", KT_ADDR, F(task_size), PAGE, UINT64_MAX, AALL },
	[CFG_PAGE_OFFSET] = { "layout.page_offset", KT_ADDR, F(page_offset), 0, UINT64_MAX, AALL },
	[CFG_VMALLOC_START] = { "layout.vmalloc.start", KT_ADDR, F(vmalloc_start), 0, UINT64_MAX, AALL },
	[CFG_VMALLOC_END] = { "layout.vmalloc.end", KT_ADDR, F(vmalloc_end), 0, UINT64_MAX, AALL },
	[CFG_VMEMMAP] = { "layout.vmemmap", KT_ADDR, F(vmemmap), 0, UINT64_MAX, A64 },
	[CFG_KERNEL_MAP] = { "layout.kernel_map", KT_ADDR, F(kernel_map), 0, UINT64_MAX, A64 },
	[CFG_MODULES_START] = { "layout.modules.start", KT_ADDR, F(modules_start), 0, UINT64_MAX, A64 },
	[CFG_MODULES_END] = { "layout.modules.end", KT_ADDR, F(modules_end), 0, UINT64_MAX, A64 },
	[CFG_FIXADDR_TOP] = { "layout.fixaddr_top", KT_ADDR, F(fixaddr_top), 0, UINT64_MAX, AALL },
	[CFG_LAST_PKMAP] = { "layout.last_pkmap", KT_UINT, F(last_pkmap), 1, 1024, A32 },
	[CFG_VMALLOC_RESERVE] = { "layout.vmalloc_reserve", KT_SIZE, F(vmalloc_reserve), 0, 4 * GiB, A32 },
	[CFG_STACK_RLIMIT] = { "process.stack_rlimit", KT_RLIMIT, F(stack_rlimit), 0, UINT64_MAX, AALL },
	[CFG_MMAP_MIN_ADDR] = { "process.mmap_min_addr", KT_SIZE, F(mmap_min_addr), 0, UINT64_MAX, AALL },
	[CFG_RANDOMIZE] = { "process.randomize", KT_BOOL, F(randomize), 0, 1, AALL },
	[CFG_SEED] = { "process.seed", KT_UINT, F(seed), 0, UINT64_MAX, AALL },
	[CFG_MEMLOCK_RLIMIT] = { "process.memlock_rlimit", KT_RLIMIT, F(memlock_rlimit), 0, UINT64_MAX, AALL },
	[CFG_CAP_IPC_LOCK] = { "process.cap_ipc_lock", KT_BOOL, F(cap_ipc_lock), 0, 1, AALL },
	[CFG_FAULT_AROUND_BYTES] = { "pagecache.fault_around_bytes", KT_SIZE, F(fault_around_bytes), 0, 4 * MiB, AALL },
	[CFG_READ_AHEAD_KB] = { "pagecache.read_ahead_kb", KT_UINT, F(read_ahead_kb), 0, 1U << 22, AALL },
	[CFG_MAX_SECTORS_KB] = { "pagecache.max_sectors_kb", KT_UINT, F(max_sectors_kb), 4, 1U << 22, AALL },
	[CFG_VFS_LARGE_FOLIOS] = { "vfs.large_folios", KT_BOOL, F(large_folios), 0, 1, AALL },
	[CFG_VDSO_VVAR] = { "vdso.vvar", KT_UINT, F(vdso_pages[0]), 0, 64, AALL },
	[CFG_VDSO_VVAR_VCLOCK] = { "vdso.vvar_vclock", KT_UINT, F(vdso_pages[1]), 0, 64, AALL },
	[CFG_VDSO_VDSO] = { "vdso.vdso", KT_UINT, F(vdso_pages[2]), 0, 64, AALL },
	[CFG_SWAP_SIZE] = { "swap.size", KT_SIZE, F(swap_size), 0, UINT64_MAX, AALL },
	[CFG_VM_SWAPPINESS] = { "vm.swappiness", KT_UINT, F(swappiness), 0, 200, AALL },
	[CFG_VM_PAGE_CLUSTER] = { "vm.page-cluster", KT_UINT, F(page_cluster), 0, 31, AALL },
	[CFG_KSWAPD_INTERVAL] = { "kswapd.interval", KT_UINT, F(kswapd_interval), 0, 1ULL << 31, AALL },
	[CFG_THP_ENABLED] = { "transparent_hugepage.enabled", KT_ENUM, F(thp_enabled), 0, 0, AALL,
			      thp_enabled_names },
	[CFG_THP_DEFRAG] = { "transparent_hugepage.defrag", KT_ENUM, F(thp_defrag), 0, 0, AALL,
			     thp_defrag_names },
	[CFG_THP_USE_ZERO_PAGE] = { "transparent_hugepage.use_zero_page", KT_BOOL,
				    F(thp_use_zero_page), 0, 1, AALL },
};

const char *config_arch_name(enum vmsim_arch a)
{
	return a == ARCH_X86_32 ? "x86_32" : "x86_64";
}

const char *config_paging_name(unsigned paging)
{
	return paging < PAGING_NR ? paging_names[paging] : "?";
}

static uint64_t get_val(const struct vmsim_config *c, const struct key_def *k)
{
	const char *p = (const char *)c + k->off;

	switch (k->size) {
	case sizeof(uint64_t): { uint64_t v; memcpy(&v, p, sizeof(v)); return v; }
	case sizeof(unsigned): { unsigned v; memcpy(&v, p, sizeof(v)); return v; }
	default: { bool v; memcpy(&v, p, sizeof(v)); return v; }
	}
}

static void put_val(struct vmsim_config *c, const struct key_def *k, uint64_t v)
{
	char *p = (char *)c + k->off;

	switch (k->size) {
	case sizeof(uint64_t): memcpy(p, &v, sizeof(v)); break;
	case sizeof(unsigned): { unsigned u = (unsigned)v; memcpy(p, &u, sizeof(u)); break; }
	default: { bool b = v != 0; memcpy(p, &b, sizeof(b)); break; }
	}
}

_Static_assert(sizeof(bool) != sizeof(unsigned) && sizeof(unsigned) != sizeof(uint64_t),
	       "get_val/put_val tell field types apart by size");

static int find_key(const char *path)
{
	for (int i = 0; i < CFG_NR_KEYS; i++)
		if (strcmp(keys[i].path, path) == 0)
			return i;
	return -1;
}

/* Is @path a group ("memory", "tlb.l1d", "layout.vmalloc")? */
static bool is_group(const char *path)
{
	size_t n = strlen(path);

	for (int i = 0; i < CFG_NR_KEYS; i++)
		if (strncmp(keys[i].path, path, n) == 0 && keys[i].path[n] == '.')
			return true;
	return false;
}

/* "size, nodes": the names one level below @group ("" for the top). */
static void list_children(const char *group, char *buf, size_t len)
{
	size_t gl = strlen(group), used = 0;

	buf[0] = '\0';
	for (int i = 0; i < CFG_NR_KEYS; i++) {
		const char *p = keys[i].path, *end;
		char name[64];
		size_t nl;

		if (gl && (strncmp(p, group, gl) != 0 || p[gl] != '.'))
			continue;
		p += gl ? gl + 1 : 0;
		end = strchr(p, '.');
		nl = end ? (size_t)(end - p) : strlen(p);
		if (nl >= sizeof(name))
			continue;
		memcpy(name, p, nl);
		name[nl] = '\0';
		/* already listed?  (names are whole words between ", ") */
		bool dup = false;
		for (const char *q = buf; (q = strstr(q, name)) != NULL; q += nl) {
			if ((q == buf || q[-1] == ' ') && (q[nl] == ',' || q[nl] == '\0')) {
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

/* ---- origins: where keys came from, kept inside the struct ---- */

static bool origin_live(const struct vmsim_config *c, unsigned o)
{
	for (int i = 0; i < CFG_NR_KEYS; i++)
		if (config_given(c, (enum cfg_key_id)i) && c->src[i].origin == o)
			return true;
	for (unsigned i = 0; i < c->nr_reserve; i++)
		if (c->reserve[i].src.origin == o)
			return true;
	return false;
}

/* Index of @text in c->origins, adding it if new.  There are more slots
 * than keys, and only origins some key still refers to are kept, so a free
 * slot always exists. */
static unsigned intern_origin(struct vmsim_config *c, const char *text)
{
	char t[CFG_ORIGIN_LEN];
	unsigned i;

	snprintf(t, sizeof(t), "%s", text);
	for (i = 1; i < CFG_MAX_ORIGINS; i++)
		if (c->origins[i][0] && strcmp(c->origins[i], t) == 0)
			return i;
	for (i = 1; i < CFG_MAX_ORIGINS; i++)
		if (!c->origins[i][0] || !origin_live(c, i))
			break;
	if (i == CFG_MAX_ORIGINS)	/* cannot happen: see above */
		i = CFG_MAX_ORIGINS - 1;
	memcpy(c->origins[i], t, sizeof(t));
	return i;
}

/* Messages are one line even when they quote a folded multi-line scalar
 * or a --set value with a newline in it: control characters become ' '. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* An error about a position already recorded in @src. */
static int verr_src(const struct vmsim_config *c, struct vmsim_error *err, int code,
		    const struct cfg_src *src, char *msg)
{
	one_line(msg);
	if (src && src->origin && src->origin < CFG_MAX_ORIGINS) {
		char o[CFG_ORIGIN_LEN];
		snprintf(o, sizeof(o), "%s", c->origins[src->origin]);
		one_line(o);
		if (src->line > 0)
			return verr_at(err, code, o, src->line, src->col, "%s", msg);
		return verr(err, code, "%s: %s", o, msg);
	}
	if (c->file[0])
		return verr(err, code, "%s: %s", c->file, msg);
	return verr(err, code, "%s", msg);
}

int config_error3(const struct vmsim_config *c, struct vmsim_error *err, int a, int b, int k3,
		  const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	const int ids[3] = { a, b, k3 };
	const struct cfg_src *src = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (int i = 0; i < 3 && !src; i++)
		if (ids[i] >= 0 && config_given(c, (enum cfg_key_id)ids[i]))
			src = &c->src[ids[i]];
	return verr_src(c, err, -EINVAL, src, msg);
}

int config_error_at(const struct vmsim_config *c, struct vmsim_error *err,
		    const struct cfg_src *src, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return verr_src(c, err, -EINVAL, src, msg);
}

/* ---- applying keys ---- */

struct applier {
	struct vmsim_config *c;
	struct vmsim_error *err;
	const char *file;	/* for FILE:LINE:COL */
	const char *cmdline;	/* "--set KEY=VALUE": positions are not printed */
	unsigned origin;
	uint64_t seen[(CFG_NR_KEYS + 63) / 64];	/* keys set by this pass */
};

static int __attribute__((format(printf, 4, 5)))
aerr(struct applier *a, const struct ynode *n, int code, const char *fmt, ...)
{
	char msg[sizeof(a->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line(msg);
	if (a->cmdline || !n) {
		char o[sizeof(a->err->msg) / 2];
		snprintf(o, sizeof(o), "%s", a->cmdline ? a->cmdline : a->file);
		one_line(o);
		return verr(a->err, code, "%s: %s", o, msg);
	}
	return verr_at(a->err, code, a->file, n->line, n->col, "%s", msg);
}

/* Keys not given take the defaults of the (new) arch and paging.  A
 * paging given for the other arch keeps the arch's defaults (validation
 * reports it). */
static void rebase(struct vmsim_config *c)
{
	struct vmsim_config d;
	unsigned paging = config_given(c, CFG_CPU_PAGING) ? c->paging
							   : config_default_paging(c->arch);

	if (config_paging_arch(paging) != c->arch)
		paging = config_default_paging(c->arch);
	config_defaults_paging(&d, c->arch, paging);
	for (int i = 0; i < CFG_NR_KEYS; i++) {
		if (i == CFG_ARCH || config_given(c, (enum cfg_key_id)i))
			continue;
		if (i == CFG_RESERVE) {
			memcpy(c->reserve, d.reserve, sizeof(c->reserve));
			c->nr_reserve = d.nr_reserve;
		} else {
			memcpy((char *)c + keys[i].off, (char *)&d + keys[i].off, keys[i].size);
		}
	}
}

static void mark_given(struct applier *a, int id, const struct ynode *v)
{
	struct vmsim_config *c = a->c;

	c->given[id / 64] |= 1ULL << (id % 64);
	a->seen[id / 64] |= 1ULL << (id % 64);
	c->src[id].origin = a->origin;
	c->src[id].line = a->cmdline ? 0 : v->line;
	c->src[id].col = a->cmdline ? 0 : v->col;
}

static const char *size_hint = "a number with an optional KiB/MiB/GiB/TiB suffix";

/* Parse scalar @v for key @k into *out, with range checks. */
static int parse_scalar(struct applier *a, const struct key_def *k, const struct ynode *v,
			uint64_t *out)
{
	const char *s = v->scalar;
	char b1[32], b2[32];
	bool bv;
	int ret;

	switch (k->type) {
	case KT_BOOL:
		if (parse_bool(s, &bv))
			return aerr(a, v, -EINVAL, "bad boolean '%s' for %s (true or false)", s, k->path);
		*out = bv;
		return 0;
	case KT_ARCH:
		if (strcmp(s, "x86_32") == 0)
			*out = ARCH_X86_32;
		else if (strcmp(s, "x86_64") == 0)
			*out = ARCH_X86_64;
		else
			return aerr(a, v, -EINVAL, "unknown arch '%s' (x86_32, x86_64)", s);
		return 0;
	case KT_ENUM: {
		char list[128];
		size_t used = 0;

		for (unsigned i = 0; k->names[i]; i++) {
			if (strcmp(s, k->names[i]) == 0) {
				*out = i;
				return 0;
			}
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", k->names[i]);
			if (used >= sizeof(list))
				used = sizeof(list) - 1;
		}
		return aerr(a, v, -EINVAL, "bad value '%s' for %s (%s)", s, k->path, list);
	}
	case KT_UINT:
		if (s[0] == '-')
			return aerr(a, v, -ERANGE, "%s %s is negative", k->path, s);
		ret = parse_u64(s, out);
		if (ret == -ERANGE)
			return aerr(a, v, -ERANGE, "number '%s' for %s does not fit in 64 bits", s, k->path);
		if (ret)
			return aerr(a, v, -EINVAL, "bad number '%s' for %s", s, k->path);
		if (*out < k->min || *out > k->max)
			return aerr(a, v, -ERANGE, "%s %s is out of range (%" PRIu64 "..%" PRIu64 ")",
				    k->path, s, k->min, k->max);
		return 0;
	case KT_RLIMIT:
		if (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0) {
			*out = CFG_UNLIMITED;
			return 0;
		}
		/* fall through */
	case KT_SIZE:
	case KT_ADDR:
		if (s[0] == '-')
			return aerr(a, v, -ERANGE, "%s %s is negative", k->path, s);
		ret = parse_size(s, out);
		if (ret == -ERANGE)
			return aerr(a, v, -ERANGE, "size '%s' for %s does not fit in 64 bits", s, k->path);
		if (ret)
			return aerr(a, v, -EINVAL, "bad %s '%s' for %s (%s%s)",
				    k->type == KT_ADDR ? "address" : "size", s, k->path, size_hint,
				    k->type == KT_RLIMIT ? ", or unlimited" : "");
		if (k->type == KT_RLIMIT && *out == CFG_UNLIMITED)
			return 0;
		if (*out < k->min && k->max == UINT64_MAX)
			return aerr(a, v, -ERANGE, "%s %s is too small (at least %s)", k->path, s,
				    fmt_size(k->min, b1));
		if (*out < k->min || *out > k->max)
			return aerr(a, v, -ERANGE, "%s %s is out of range (%s..%s)", k->path, s,
				    fmt_size(k->min, b1), fmt_size(k->max, b2));
		return 0;
	default:
		return -EINVAL;
	}
}

static int apply_reserve(struct applier *a, const struct ynode *v)
{
	struct cfg_reserve r[CFG_MAX_RESERVE];
	size_t n = 0;

	if (v->type != YNODE_SEQ)
		return aerr(a, v, -EINVAL, "reserve must be a sequence of {start, size, name}, not %s",
			    ynode_type_name(v->type));
	if (v->n > CFG_MAX_RESERVE)
		return aerr(a, v->items[CFG_MAX_RESERVE], -E2BIG,
			    "too many reserve entries (at most %d)", CFG_MAX_RESERVE);
	memset(r, 0, sizeof(r));
	for (n = 0; n < v->n; n++) {
		const struct ynode *e = v->items[n];
		bool have_start = false, have_size = false;

		if (e->type != YNODE_MAP)
			return aerr(a, e, -EINVAL, "a reserve entry must be a mapping {start, size, name}, not %s",
				    ynode_type_name(e->type));
		snprintf(r[n].name, sizeof(r[n].name), "reserved");
		for (size_t i = 0; i < e->n; i++) {
			const struct ynode *kn = ymap_key(e, i), *vn = ymap_val(e, i);
			const char *key = kn->scalar;
			struct key_def kd = { "reserve.start", KT_ADDR, 0, 0, 0, UINT64_MAX, AALL, NULL };
			int ret;

			if (strcmp(key, "start") && strcmp(key, "size") && strcmp(key, "name"))
				return aerr(a, kn, -EINVAL,
					    "unknown key '%s' in a reserve entry (valid: start, size, name)", key);
			if (vn->type != YNODE_SCALAR)
				return aerr(a, vn, -EINVAL, "reserve %s must be a scalar, not %s", key,
					    ynode_type_name(vn->type));
			if (strcmp(key, "name") == 0) {
				if (!vn->scalar[0] || strlen(vn->scalar) >= sizeof(r[n].name))
					return aerr(a, vn, -EINVAL, "reserve name must be 1..%zu characters",
						    sizeof(r[n].name) - 1);
				if (has_control_char(vn->scalar))
					return aerr(a, vn, -EINVAL,
						    "reserve name holds a control character");
				memcpy(r[n].name, vn->scalar, strlen(vn->scalar) + 1);
				continue;
			}
			if (strcmp(key, "size") == 0) {
				kd.path = "reserve.size";
				kd.type = KT_SIZE;
				kd.min = PAGE;
			}
			ret = parse_scalar(a, &kd, vn, strcmp(key, "size") == 0 ? &r[n].size : &r[n].start);
			if (ret)
				return ret;
			*(strcmp(key, "size") == 0 ? &have_size : &have_start) = true;
		}
		if (!have_start || !have_size)
			return aerr(a, e, -EINVAL, "reserve entry needs %s", have_start ? "size" : "start");
		r[n].src.origin = a->origin;
		r[n].src.line = a->cmdline ? 0 : e->line;
		r[n].src.col = a->cmdline ? 0 : e->col;
	}
	memcpy(a->c->reserve, r, sizeof(r));
	a->c->nr_reserve = (unsigned)n;
	return 0;
}

static int apply_leaf(struct applier *a, int id, const struct ynode *kn, const struct ynode *v)
{
	const struct key_def *k = &keys[id];
	struct vmsim_config *c = a->c;
	uint64_t val;
	int ret;

	if ((a->seen[id / 64] >> (id % 64)) & 1) {
		if (a->cmdline)
			return aerr(a, kn, -EINVAL, "%s is given twice", k->path);
		return aerr(a, kn, -EINVAL, "%s is given twice (first at line %d)", k->path,
			    c->src[id].line);
	}
	if (k->type == KT_RESERVE) {
		ret = apply_reserve(a, v);
		if (ret)
			return ret;
		mark_given(a, id, v);
		return 0;
	}
	if (v->type != YNODE_SCALAR)
		return aerr(a, v, -EINVAL, "%s must be a scalar, not %s", k->path,
			    ynode_type_name(v->type));
	if (k->type == KT_STR) {
		size_t n = strlen(v->scalar);
		if (n < k->min || n > k->max)
			return aerr(a, v, -EINVAL, "%s must be %" PRIu64 "..%" PRIu64 " characters",
				    k->path, k->min, k->max);
		if (has_control_char(v->scalar))
			return aerr(a, v, -EINVAL, "%s holds a control character", k->path);
		memcpy(c->name, v->scalar, n + 1);
		mark_given(a, id, v);
		return 0;
	}
	ret = parse_scalar(a, k, v, &val);
	if (ret)
		return ret;
	if (k->type == KT_ARCH) {
		mark_given(a, id, v);
		c->arch = (enum vmsim_arch)val;
		rebase(c);
		return 0;
	}
	put_val(c, k, val);
	mark_given(a, id, v);
	if (id == CFG_CPU_PAGING)
		rebase(c);	/* the paging mode has defaults of its own */
	return 0;
}

static int apply_map(struct applier *a, const struct ynode *map, const char *prefix);

/* Key @kn (full dotted @path) with value @v: a leaf, a group, or a mistake. */
static int apply_pair(struct applier *a, const struct ynode *kn, const char *path,
		      const struct ynode *v)
{
	char valid[400], group[128];
	int id = find_key(path);
	const char *dot;

	if (id >= 0)
		return apply_leaf(a, id, kn, v);
	if (is_group(path)) {
		if (v->type != YNODE_MAP)
			return aerr(a, v, -EINVAL, "%s must be a mapping, not %s", path,
				    ynode_type_name(v->type));
		return apply_map(a, v, path);
	}
	/* name the innermost group the path is in, and what it holds */
	snprintf(group, sizeof(group), "%s", path);
	for (;;) {
		dot = strrchr(group, '.');
		if (!dot) {
			group[0] = '\0';
			break;
		}
		group[dot - group] = '\0';
		if (is_group(group))
			break;
	}
	list_children(group, valid, sizeof(valid));
	if (group[0])
		return aerr(a, kn, -EINVAL, "unknown key '%s' (valid in %s: %s)", path, group, valid);
	return aerr(a, kn, -EINVAL, "unknown key '%s' (valid: %s)", path, valid);
}

static int apply_map(struct applier *a, const struct ynode *map, const char *prefix)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kn = ymap_key(map, i);
		char path[128];
		int n = snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "",
				 kn->scalar);
		int ret;

		if (n < 0 || (size_t)n >= sizeof(path) || !kn->scalar[0])
			return aerr(a, kn, -EINVAL, "unknown key '%.60s'", kn->scalar);
		ret = apply_pair(a, kn, path, ymap_val(map, i));
		if (ret)
			return ret;
	}
	return 0;
}

static void applier_init(struct applier *a, struct vmsim_config *c, const char *file,
			 const char *cmdline, struct vmsim_error *err)
{
	memset(a, 0, sizeof(*a));
	a->c = c;
	a->err = err;
	a->file = file;
	a->cmdline = cmdline;
	a->origin = intern_origin(c, cmdline ? cmdline : file);
}

int config_apply_yaml(struct vmsim_config *c, const struct ynode *map,
		      const char *file, struct vmsim_error *err)
{
	struct applier a;

	if (!file)
		file = "set";
	applier_init(&a, c, file, NULL, err);
	if (!map)
		return 0;
	if (map->type != YNODE_MAP)
		return aerr(&a, map, -EINVAL, "config overrides must be a mapping, not %s",
			    ynode_type_name(map->type));
	return apply_map(&a, map, "");
}

static int load_doc(struct vmsim_config *c, struct ydoc *doc, const char *name,
		    struct vmsim_error *err)
{
	struct applier a;
	int ret;

	config_defaults(c, ARCH_X86_64);
	snprintf(c->file, sizeof(c->file), "%s", name);
	applier_init(&a, c, name, NULL, err);
	if (!doc->root)
		ret = verr_at(err, -EINVAL, name, 1, 1,
			      "empty config (expected a mapping such as `arch: x86_64`)");
	else if (doc->root->type != YNODE_MAP)
		ret = aerr(&a, doc->root, -EINVAL, "a config must be a mapping of keys, not %s",
			   ynode_type_name(doc->root->type));
	else
		ret = apply_map(&a, doc->root, "");
	ydoc_free(doc);
	return ret;
}

int config_load_string(struct vmsim_config *c, const char *name, const char *text,
		       size_t len, struct vmsim_error *err)
{
	struct ydoc doc;
	int ret = ydoc_load_string(&doc, name, text, len, err);

	if (ret) {
		config_defaults(c, ARCH_X86_64);
		return ret;
	}
	return load_doc(c, &doc, name, err);
}

int config_load_file(struct vmsim_config *c, const char *path, struct vmsim_error *err)
{
	struct ydoc doc;
	int ret = ydoc_load_file(&doc, path, err);

	if (ret) {
		config_defaults(c, ARCH_X86_64);
		return ret;
	}
	return load_doc(c, &doc, path, err);
}

int config_set(struct vmsim_config *c, const char *key, const char *value,
	       const char *file, int line, int col, struct vmsim_error *err)
{
	char cmd[sizeof(err->msg) / 2];
	struct applier a;
	struct ynode kn = { .type = YNODE_SCALAR, .line = line, .col = col, .scalar = (char *)key };
	struct ynode vn = { .type = YNODE_SCALAR, .line = line, .col = col, .scalar = (char *)value };
	struct ydoc doc;
	int id, ret;

	if (!file)
		file = "--set";
	snprintf(cmd, sizeof(cmd), "%s %s=%s", file, key, value);
	applier_init(&a, c, file, line > 0 ? NULL : cmd, err);
	id = find_key(key);
	if (id >= 0 && keys[id].type != KT_RESERVE)
		return apply_leaf(&a, id, &kn, &vn);
	if (id < 0 && !is_group(key))
		return apply_pair(&a, &kn, key, &vn);
	/* `reserve` and groups take a YAML flow value: [ {start: 0, ...} ] */
	ret = ydoc_load_string(&doc, file, value, strlen(value), NULL);
	if (ret == -ENOMEM)
		return aerr(&a, &vn, ret, "out of host memory");
	if (ret)
		return aerr(&a, &vn, -EINVAL, "value is not valid YAML flow syntax");
	if (!doc.root)
		ret = aerr(&a, &vn, -EINVAL, "%s needs a value", key);
	else	/* positions inside the value are not meaningful: use the key's */
		ret = apply_pair(&a, &kn, key, doc.root);
	ydoc_free(&doc);
	return ret;
}

/* ---- validation: the key table's own rule, then the layers' ---- */

int config_check_align(const struct vmsim_config *c, struct vmsim_error *err, int id,
		       uint64_t align, const char *why)
{
	uint64_t v = get_val(c, &keys[id]);
	char b[32];

	if (v & (align - 1))
		return config_error(c, err, id, -1, "%s 0x%" PRIx64 " is not aligned to %s%s",
				    keys[id].path, v, fmt_size(align, b), why);
	return 0;
}

const char *config_key_path(int id)
{
	return keys[id].path;
}

uint64_t config_key_value(const struct vmsim_config *c, int id)
{
	return get_val(c, &keys[id]);
}

/* A key given for the other arch (keys[].arches) means nothing there. */
static int validate_arch_keys(const struct vmsim_config *c, struct vmsim_error *err)
{
	unsigned bit = config_is_64(c) ? A64 : A32;

	for (int i = 0; i < CFG_NR_KEYS; i++)
		if (config_given(c, (enum cfg_key_id)i) && !(keys[i].arches & bit))
			return config_error(c, err, i, -1, "%s is only valid on %s", keys[i].path,
					    config_arch_name(config_is_64(c) ? ARCH_X86_32
									     : ARCH_X86_64));
	return 0;
}

int config_finalize(struct vmsim_config *c, const struct config_rule *rules,
		    struct vmsim_error *err)
{
	int ret;

	config_derive(c);
	ret = validate_arch_keys(c, err);
	for (const struct config_rule *r = rules; !ret && r->check; r++)
		ret = r->check(c, err);
	return ret;
}

bool config_name_is_path(const char *name)
{
	size_t len = strlen(name);

	return strchr(name, '/') || (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

/* The built-in machines: an arch and its paging, named as CFG_BUILTINS. */
static const struct {
	const char *name;
	enum vmsim_arch arch;
	unsigned paging;
} builtins[] = {
	{ "x86_32", ARCH_X86_32, PAGING_2LEVEL },
	{ "x86_32-pae", ARCH_X86_32, PAGING_PAE },
	{ "x86_64", ARCH_X86_64, PAGING_4LEVEL },
	{ "x86_64-la57", ARCH_X86_64, PAGING_LA57 },
};

int config_builtin_defaults(struct vmsim_config *c, const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(name, builtins[i].name) == 0) {
			config_defaults_paging(c, builtins[i].arch, builtins[i].paging);
			return 0;
		}
	return -ENOENT;
}

bool config_is_builtin(const char *name)
{
	struct vmsim_config c;

	return config_builtin_defaults(&c, name) == 0;
}

int config_builtin(struct vmsim_config *c, const char *name, const struct config_rule *rules,
		   struct vmsim_error *err)
{
	if (config_builtin_defaults(c, name))
		return verr(err, -ENOENT, "unknown built-in machine '%s' (" CFG_BUILTINS ")", name);
	return config_finalize(c, rules, err);
}

/* ---- writing ---- */

static void put_quoted(struct strbuf *sb, const char *s)
{
	sb_putc(sb, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			sb_printf(sb, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sb_printf(sb, "\\x%02x", ch);
		else
			sb_putc(sb, (char)ch);
	}
	sb_putc(sb, '"');
}

static void put_value(struct strbuf *sb, const struct vmsim_config *c, int id)
{
	const struct key_def *k = &keys[id];
	uint64_t v;
	char b[32];

	switch (k->type) {
	case KT_STR:
		put_quoted(sb, c->name);
		return;
	case KT_ARCH:
		sb_puts(sb, config_arch_name(c->arch));
		return;
	case KT_RESERVE:
		sb_puts(sb, "[");
		for (unsigned i = 0; i < c->nr_reserve; i++) {
			sb_printf(sb, "%s{ start: 0x%" PRIx64 ", size: %s, name: ", i ? ", " : " ",
				  c->reserve[i].start, fmt_size(c->reserve[i].size, b));
			put_quoted(sb, c->reserve[i].name);
			sb_puts(sb, " }");
		}
		sb_puts(sb, c->nr_reserve ? " ]" : "]");
		return;
	default:
		break;
	}
	v = get_val(c, k);
	switch (k->type) {
	case KT_BOOL:
		sb_puts(sb, v ? "true" : "false");
		break;
	case KT_ENUM:
		sb_puts(sb, k->names[v]);
		break;
	case KT_UINT:
		sb_printf(sb, "%" PRIu64, v);
		break;
	case KT_ADDR:
		sb_printf(sb, "0x%" PRIx64, v);
		break;
	case KT_RLIMIT:
		if (v == CFG_UNLIMITED) {
			sb_puts(sb, "unlimited");
			break;
		}
		/* fall through */
	default:
		sb_puts(sb, fmt_size(v, b));
		break;
	}
}

int config_dump_yaml(const struct vmsim_config *c, char **out, struct vmsim_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned bit = config_is_64(c) ? A64 : A32;
	const char *prev = "";

	*out = NULL;
	sb_printf(&sb, "# vmsim machine config (%s)\n", config_arch_name(c->arch));
	for (int i = 0; i < CFG_NR_KEYS; i++) {
		const char *p = keys[i].path, *q = prev, *comp, *dot;
		int depth = 0;

		if (!(keys[i].arches & bit))
			continue;
		/* derived unless given: leave them out so they derive again */
		if (!config_is_64(c) && (i == CFG_VMALLOC_START || i == CFG_VMALLOC_END) &&
		    !config_given(c, (enum cfg_key_id)i))
			continue;
		if ((i == CFG_THP_ENABLED || i == CFG_THP_DEFRAG || i == CFG_THP_USE_ZERO_PAGE) &&
		    !config_given(c, (enum cfg_key_id)i))
			continue;
		/* skip the groups this key shares with the previous one */
		for (;;) {
			const char *pd = strchr(p, '.'), *qd = strchr(q, '.');
			size_t pl = pd ? (size_t)(pd - p) : strlen(p);
			if (!pd || !qd || (size_t)(qd - q) != pl || strncmp(p, q, pl) != 0)
				break;
			p = pd + 1;
			q = qd + 1;
			depth++;
		}
		/* open the new groups, then the leaf */
		for (comp = p; (dot = strchr(comp, '.')) != NULL; comp = dot + 1, depth++) {
			char group[64];
			snprintf(group, sizeof(group), "%.*s", (int)(dot - comp), comp);
			sb_printf(&sb, "%*s%s:\n", 2 * depth, "", group);
		}
		sb_printf(&sb, "%*s%s: ", 2 * depth, "", comp);
		put_value(&sb, c, i);
		sb_putc(&sb, '\n');
		prev = keys[i].path;
	}
	if (sb.oom) {
		sb_free(&sb);
		return verr(err, -ENOMEM, "out of host memory");
	}
	*out = sb.buf;
	return 0;
}
