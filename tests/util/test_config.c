/*
 * Tests of the machine config: built-ins and the Linux derivations (known
 * answers), the shipped configs/ files, every malformed file under
 * tests/configs/bad/ (first line "# expect: <exact message>"), bad --set
 * values, override/arch semantics, the YAML writer round trip, and OOM.
 *
 * Invariant checked throughout: a failing call returns a negative errno and
 * one message line naming the origin; a succeeding one leaves a config that
 * finalizes the same way twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/kern_config.h"
#include "phys/mmzone.h"
#include "util/config.h"
#include "util/config_rule.h"
#include "util/hostalloc.h"
#include "util/yaml.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

_Static_assert(CFG_MAX_ORDER_LIMIT == MAX_ORDER_LIMIT, "config and phys agree on max_order");

/* Compare every value a machine reads (not the bookkeeping). */
static void check_same_values(const struct vmsim_config *a, const struct vmsim_config *b)
{
#define EQ(f) do { if (a->f != b->f) fail_msg("%s: 0x%llx != 0x%llx", #f, \
		(unsigned long long)a->f, (unsigned long long)b->f); } while (0)
	assert_string_equal(a->name, b->name);
	EQ(arch); EQ(mem_size); EQ(nodes); EQ(nr_reserve);
	for (unsigned i = 0; i < a->nr_reserve && i < CFG_MAX_RESERVE; i++) {
		EQ(reserve[i].start); EQ(reserve[i].size);
		assert_string_equal(a->reserve[i].name, b->reserve[i].name);
	}
	EQ(kernel_start); EQ(kernel_size); EQ(zone_dma_end); EQ(zone_dma32_end);
	EQ(max_order); EQ(min_free_kbytes); EQ(pcp); EQ(pcp_high_fraction); EQ(cpu_count); EQ(wp); EQ(nxe); EQ(pcid);
	EQ(pse); EQ(smep); EQ(smap); EQ(phys_bits); EQ(paging);
	EQ(l1d.entries); EQ(l1d.ways); EQ(l1i.entries); EQ(l1i.ways); EQ(l2.entries);
	EQ(l2.ways); EQ(l1d_large.entries); EQ(l1d_large.ways); EQ(l1i_large.entries);
	EQ(l1i_large.ways);
	EQ(task_size); EQ(page_offset); EQ(vmalloc_start); EQ(vmalloc_end); EQ(vmemmap);
	EQ(kernel_map); EQ(modules_start); EQ(modules_end); EQ(fixaddr_top); EQ(last_pkmap);
	EQ(lowmem_end); EQ(high_memory); EQ(pkmap_base); EQ(fixaddr_start);
	EQ(fixaddr_tot_start); EQ(fix_kmap_slots); EQ(cpu_entry_area_base); EQ(ldt_base);
	EQ(maxmem); EQ(vmalloc_reserve);
	EQ(stack_rlimit); EQ(mmap_min_addr); EQ(randomize); EQ(seed); EQ(mmap_base);
	EQ(memlock_rlimit); EQ(cap_ipc_lock);
	EQ(fault_around_bytes); EQ(read_ahead_kb); EQ(max_sectors_kb); EQ(vdso_pages[0]); EQ(vdso_pages[1]); EQ(vdso_pages[2]);
	EQ(swap_size); EQ(swappiness); EQ(page_cluster); EQ(kswapd_interval);
	EQ(thp_enabled); EQ(thp_defrag); EQ(thp_use_zero_page);
#undef EQ
}

static void builtin(struct vmsim_config *c, const char *name)
{
	struct vmsim_error err = { 0 };

	if (config_builtin(c, name, machine_config_rules, &err))
		fail_msg("builtin %s: %s", name, err.msg);
}

static void set_ok(struct vmsim_config *c, const char *key, const char *value)
{
	struct vmsim_error err = { 0 };

	if (config_set(c, key, value, "--set", 0, 0, &err))
		fail_msg("--set %s=%s: %s", key, value, err.msg);
}

static void finalize_ok(struct vmsim_config *c)
{
	struct vmsim_error err = { 0 };

	if (config_finalize(c, machine_config_rules, &err))
		fail_msg("finalize: %s", err.msg);
}

static void load_str_ok(struct vmsim_config *c, const char *text)
{
	struct vmsim_error err = { 0 };

	if (config_load_string(c, "t.yaml", text, strlen(text), &err) || config_finalize(c, machine_config_rules, &err))
		fail_msg("%s\n--- in:\n%s", err.msg, text);
}

/* The message loading/finalizing @text gives ("" when it succeeds). */
static const char *load_str_err(struct vmsim_config *c, const char *text, struct vmsim_error *err)
{
	int ret;

	memset(err, 0, sizeof(*err));
	ret = config_load_string(c, "t.yaml", text, strlen(text), err);
	if (!ret)
		ret = config_finalize(c, machine_config_rules, err);
	if (ret) {
		assert_true(ret < 0);
		assert_int_equal(ret, err->code);
		assert_null(strchr(err->msg, '\n'));
	}
	return err->msg;
}

/* ---- built-ins and derivations ---- */

static void test_config_builtin_x86_64_values(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_64");
	assert_int_equal(c.arch, ARCH_X86_64);
	assert_int_equal(c.mem_size, 4 * GiB);
	assert_int_equal(c.task_size, 0x7ffffffff000ULL);
	assert_int_equal(c.mmap_base, 0x7ffff7fff000ULL);
	assert_int_equal(c.high_memory, 0xffff880000000000ULL + 4 * GiB);
	assert_int_equal(c.lowmem_end, 4 * GiB);
	/* fixmap: VSYSCALL_PAGE is slot 511, then DBGP, EARLYCON, APIC and 128
	 * IO-APICs: 643 permanent slots; the 512 boot slots move up to 1024 so
	 * that they sit in one page table; 1536 slots in all */
	assert_int_equal(c.fixaddr_top, 0xffffffffff7ff000ULL);
	assert_int_equal(c.fixaddr_start, 0xffffffffff7ff000ULL - 643 * 4096ULL);
	assert_int_equal(c.fixaddr_tot_start, 0xffffffffff1ff000ULL);
	assert_int_equal(c.fix_kmap_slots, 0);
	assert_int_equal(c.given[0], 0);
	(void)state;
}

static void test_config_mmap_base_known_answers(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_64");
	/* mmap_base(): 8 MiB -> gap clamped up to 128 MiB */
	assert_int_equal(config_mmap_base(&c, 8 * MiB), 0x7ffff7fff000ULL);
	assert_int_equal(config_mmap_base(&c, 256 * MiB), 0x7fffefeff000ULL);
	/* rlimit + pad overflows: gap = RLIM_INFINITY, clamped to 5/6 */
	assert_int_equal(config_mmap_base(&c, CFG_UNLIMITED), 0x155555556000ULL);
	set_ok(&c, "process.stack_rlimit", "unlimited");
	finalize_ok(&c);
	assert_int_equal(c.mmap_base, 0x155555556000ULL);
	set_ok(&c, "process.stack_rlimit", "256MiB");
	finalize_ok(&c);
	assert_int_equal(c.mmap_base, 0x7fffefeff000ULL);

	builtin(&c, "x86_32");
	assert_int_equal(c.mmap_base, 0xc0000000ULL - 128 * MiB);
	/* 32-bit unsigned long: 4 GiB - 1 (RLIM_INFINITY) overflows too */
	assert_int_equal(config_mmap_base(&c, 0xffffffffULL), 0xc0000000ULL - 0xa0000000ULL);
	assert_int_equal(config_mmap_base(&c, CFG_UNLIMITED), 0x20000000ULL);
	assert_int_equal(config_mmap_base(&c, 1 * GiB), 0xc0000000ULL - 1 * GiB - 1 * MiB);
	(void)state;
}

/* A 32-bit layout worked by hand: the fixmap, the regions stacked below
 * it, MAXMEM, and (all of 1 GiB being more than lowmem) where the direct
 * map and vmalloc end and start. */
struct layout32 {
	uint64_t fixaddr_start, fixaddr_tot_start, cea, ldt, pkmap, vmalloc_end, maxmem,
		 vmalloc_start;
};

static void check_layout32(const struct vmsim_config *c, const struct layout32 *w)
{
	assert_int_equal(c->fix_kmap_slots, 16);
	assert_int_equal(c->fixaddr_start, w->fixaddr_start);
	assert_int_equal(c->fixaddr_tot_start, w->fixaddr_tot_start);
	assert_int_equal(c->cpu_entry_area_base, w->cea);
	assert_int_equal(c->ldt_base, w->ldt);
	assert_int_equal(c->pkmap_base, w->pkmap);
	assert_int_equal(c->vmalloc_end, w->vmalloc_end);
	assert_int_equal(c->maxmem, w->maxmem);
	assert_int_equal(c->lowmem_end, w->maxmem);
	assert_int_equal(c->high_memory, 0xc0000000ULL + w->maxmem);
	assert_int_equal(c->vmalloc_start, w->vmalloc_start);	/* high_memory + 8 MiB */
}

/*
 * x86_32, 1 CPU, 1 GiB, worked by hand from the 6.12 sources (docs/config.md):
 * fixmap: FIX_HOLE, DBGP, EARLYCON, APIC, 64 IO-APICs, 16 kmap, PCIE_MCFG = 85
 * permanent slots; 512 boot slots and FIX_WP_TEST: 598 in all.
 */
static void test_config_x86_32_derivations(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_32");
	/* MAXMEM 883.99 MiB, not 896 */
	check_layout32(&c, &(const struct layout32){ 0xfffff000ULL - 85 * 4096ULL, 0xffda9000ULL,
		0xffc00000ULL, 0xff800000ULL, 0xff400000ULL, 0xff3fe000ULL, 0x373fe000ULL,
		0xf7bfe000ULL });

	/* all RAM fits lowmem: high_memory follows RAM, vmalloc follows it */
	set_ok(&c, "memory.size", "512MiB");
	finalize_ok(&c);
	assert_int_equal(c.lowmem_end, 512 * MiB);
	assert_int_equal(c.high_memory, 0xe0000000ULL);
	assert_int_equal(c.vmalloc_start, 0xe0800000ULL);

	/* 64 CPUs: 69 + 16*64 = 1093 permanent slots, 1606 in all; 43 CPU
	 * entry area pages per CPU push everything down by 12 MiB */
	builtin(&c, "x86_32");
	set_ok(&c, "cpu.count", "64");
	finalize_ok(&c);
	assert_int_equal(c.fixaddr_start, 0xfffff000ULL - 1093 * 4096ULL);
	assert_int_equal(c.fixaddr_tot_start, 0xff9b9000ULL);
	assert_int_equal(c.cpu_entry_area_base, 0xfec00000ULL);
	assert_int_equal(c.pkmap_base, 0xfe400000ULL);
	assert_int_equal(c.vmalloc_end, 0xfe3fe000ULL);
	assert_int_equal(c.maxmem, 0x363fe000ULL);

	/* 30 CPUs: 549 permanent slots; 549 + 511 crosses a page table, so
	 * FIX_BTMAP_END moves up to 1024 (the rounding in fixmap.h) */
	builtin(&c, "x86_32");
	set_ok(&c, "cpu.count", "30");
	finalize_ok(&c);
	assert_int_equal(c.fixaddr_tot_start, 0xfffff000ULL - (1024 + 512 + 1) * 4096ULL);

	/* a smaller vmalloc reserve (the `vmalloc=` parameter) grows lowmem */
	builtin(&c, "x86_32");
	set_ok(&c, "layout.vmalloc_reserve", "64MiB");
	finalize_ok(&c);
	assert_int_equal(c.maxmem, 0x373fe000ULL + 64 * MiB);
	(void)state;
}

/*
 * x86_32 PAE, 1 CPU, 1 GiB, by hand from pgtable_32_areas.h and fixmap.h
 * with PMD_SIZE 2 MiB and PTRS_PER_PTE 512: the same 85 permanent fixmap
 * slots; 85 + 511 crosses a 512-entry page table, so FIX_BTMAP_END moves
 * to 512: 1025 slots, FIXADDR_TOT_START 0xfffff000 - 1025 pages.
 */
static void test_config_pae_derivations(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_32-pae");
	assert_int_equal(c.arch, ARCH_X86_32);
	assert_int_equal(c.paging, PAGING_PAE);
	assert_true(c.nxe);
	assert_int_equal(c.phys_bits, 36);
	assert_int_equal(c.last_pkmap, 512);
	/* the CPU entry area at (0xffbfe000 - 44 pages) & PMD_MASK, MAXMEM
	 * 0xff5fe000 - 0xc0000000 - 128 MiB */
	check_layout32(&c, &(const struct layout32){ 0xfffff000ULL - 85 * 4096ULL, 0xffbfe000ULL,
		0xffa00000ULL, 0xff800000ULL, 0xff600000ULL, 0xff5fe000ULL, 0x375fe000ULL,
		0xf7dfe000ULL });
	assert_int_equal(c.mmap_base, 0xc0000000ULL - 128 * MiB);
	assert_int_equal(config_pmd_shift(&c), 21);
	/* RAM above 4 GiB: PAE's reason to be, up to MAX_PHYSMEM_BITS 36 */
	set_ok(&c, "memory.size", "8GiB");
	finalize_ok(&c);
	assert_int_equal(c.lowmem_end, 0x375fe000ULL);
	(void)state;
}

/*
 * x86_64 with 5-level paging: the 6.12 bases (page_64_types.h,
 * pgtable_64_types.h, mm.rst) and TASK_SIZE_MAX (1 << 56) - 4096, while
 * mmap_base stays below the 47-bit DEFAULT_MAP_WINDOW.
 */
static void test_config_la57_values(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_64-la57");
	assert_int_equal(c.arch, ARCH_X86_64);
	assert_int_equal(c.paging, PAGING_LA57);
	assert_int_equal(c.phys_bits, 52);
	assert_int_equal(c.task_size, 0x00fffffffffff000ULL);
	assert_int_equal(c.page_offset, 0xff11000000000000ULL);
	assert_int_equal(c.vmalloc_start, 0xffa0000000000000ULL);
	assert_int_equal(c.vmalloc_end - 1, 0xffd1ffffffffffffULL);	/* mm.rst's last byte */
	assert_int_equal(c.vmemmap, 0xffd4000000000000ULL);
	assert_int_equal(config_map_window(&c), 0x7ffffffff000ULL);
	/* the same as 4-level: below the 47-bit window */
	assert_int_equal(c.mmap_base, 0x7ffff7fff000ULL);
	/* a task_size below the window is the window */
	set_ok(&c, "layout.task_size", "0x100000000");
	finalize_ok(&c);
	assert_int_equal(config_map_window(&c), 0x100000000ULL);
	(void)state;
}

static void test_config_paging_key(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err = { 0 };
	static const char pae[] = "arch: x86_32\ncpu: { paging: pae }\n";
	static const char la57_first[] = "cpu: { paging: la57 }\narch: x86_64\n";
	static const char wrong[] = "arch: x86_32\ncpu:\n  paging: la57\n";

	/* the paging key re-bases the keys not given, whatever the order */
	assert_int_equal(config_load_string(&c, "pae.yaml", pae, sizeof(pae) - 1, &err), 0);
	finalize_ok(&c);
	assert_int_equal(c.last_pkmap, 512);
	assert_true(c.nxe);
	assert_int_equal(c.vmalloc_end, 0xff5fe000ULL);
	assert_int_equal(config_load_string(&c, "l5.yaml", la57_first, sizeof(la57_first) - 1,
					    &err), 0);
	finalize_ok(&c);
	assert_int_equal(c.page_offset, 0xff11000000000000ULL);
	/* a mode of the other arch: file:line of the key */
	assert_int_equal(config_load_string(&c, "w.yaml", wrong, sizeof(wrong) - 1, &err), 0);
	assert_int_equal(config_finalize(&c, machine_config_rules, &err), -EINVAL);
	assert_string_equal(err.msg, "w.yaml:3:11: cpu.paging la57 is not an x86_32 paging mode "
			    "(2level, pae)");
	(void)state;
}

static void test_config_finalize_is_idempotent(void **state)
{
	struct vmsim_config a, b;

	builtin(&a, "x86_32");
	b = a;
	finalize_ok(&b);
	check_same_values(&a, &b);
	/* a derived key the user gave is kept */
	set_ok(&b, "layout.vmalloc.start", "0xf8000000");
	finalize_ok(&b);
	finalize_ok(&b);
	assert_int_equal(b.vmalloc_start, 0xf8000000ULL);
	assert_int_equal(b.vmalloc_end, 0xff3fe000ULL);
	(void)state;
}

/* ---- files ---- */

static void check_file_matches_builtin(const char *path, const char *name)
{
	struct vmsim_config f, b;
	struct vmsim_error err = { 0 };

	if (config_load_file(&f, path, &err) || config_finalize(&f, machine_config_rules, &err))
		fail_msg("%s", err.msg);
	builtin(&b, name);
	check_same_values(&f, &b);
	assert_string_equal(f.file, path);
}

static void test_config_shipped_files_match_builtins(void **state)
{
	check_file_matches_builtin("configs/x86_64.yaml", "x86_64");
	check_file_matches_builtin("configs/x86_32.yaml", "x86_32");
	check_file_matches_builtin("configs/x86_64-la57.yaml", "x86_64-la57");
	check_file_matches_builtin("configs/x86_32-pae.yaml", "x86_32-pae");
	(void)state;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_config_bad_files_give_exact_messages(void **state)
{
	const char *dir = "tests/configs/bad";
	char *names[256];
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	assert_true(n >= 25);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[512], line[1024], *nl;
		struct vmsim_config c;
		struct vmsim_error err = { 0 };
		FILE *f;
		int ret;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "r");
		assert_non_null(f);
		if (!fgets(line, sizeof(line), f) || strncmp(line, "# expect: ", 10) != 0)
			fail_msg("%s: first line must be '# expect: MESSAGE'", path);
		fclose(f);
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		ret = config_load_file(&c, path, &err);
		if (!ret)
			ret = config_finalize(&c, machine_config_rules, &err);
		if (ret >= 0)
			fail_msg("%s: loaded without error", path);
		assert_int_equal(ret, err.code);
		if (strcmp(err.msg, line + 10) != 0)
			fail_msg("%s:\n  expected: %s\n  got:      %s", path, line + 10, err.msg);
		free(names[i]);
	}
	(void)state;
}

static void test_config_missing_file(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err = { 0 };

	assert_int_equal(config_load_file(&c, "tests/configs/none.yaml", &err), -ENOENT);
	assert_string_equal(err.msg, "tests/configs/none.yaml: No such file or directory");
	(void)state;
}

/* ---- --set ---- */

static const struct {
	const char *base, *key, *value, *msg;
} bad_sets[] = {
	{ "x86_64", "memory.size", "lots", "--set memory.size=lots: bad size 'lots' for memory.size "
	  "(a number with an optional KiB/MiB/GiB/TiB suffix)" },
	{ "x86_64", "memory.size", "3GB", "--set memory.size=3GB: bad size '3GB' for memory.size "
	  "(a number with an optional KiB/MiB/GiB/TiB suffix)" },
	{ "x86_64", "memory.sise", "1GiB", "--set memory.sise=1GiB: unknown key 'memory.sise' "
	  "(valid in memory: size, nodes, contents)" },
	{ "x86_64", "memory", "1GiB", "--set memory=1GiB: memory must be a mapping, not a scalar" },
	{ "x86_64", "memory.size", "0", "--set memory.size=0: memory.size 0 is too small (at least 4KiB)" },
	{ "x86_64", "zones.DMA", "8GiB", "--set zones.DMA=8GiB: zones.DMA 8GiB is out of range (4KiB..4GiB)" },
	{ "x86_64", "cpu.count", "0", "--set cpu.count=0: cpu.count 0 is out of range (1..64)" },
	{ "x86_64", "cpu.count", "99999999999999999999", "--set cpu.count=99999999999999999999: "
	  "number '99999999999999999999' for cpu.count does not fit in 64 bits" },
	{ "x86_64", "cpu.wp", "maybe", "--set cpu.wp=maybe: bad boolean 'maybe' for cpu.wp (true or false)" },
	{ "x86_64", "arch", "arm64", "--set arch=arm64: unknown arch 'arm64' (x86_32, x86_64)" },
	{ "x86_64", "buddy.max_order", "13", "--set buddy.max_order=13: buddy.max_order 13 is out of "
	  "range (1..12)" },
	{ "x86_64", "memory.size", "4097MiB", "--set memory.size=4097MiB: memory.size 4097MiB does not "
	  "split into 1 node(s) of whole 4MiB max-order blocks" },
	{ "x86_64", "memory.size", "32MiB", "--set memory.size=32MiB: memory.size 32MiB is smaller than "
	  "the end of the kernel image (48MiB)" },
	{ "x86_64", "zones.DMA32", "8MiB", "--set zones.DMA32=8MiB: zones.DMA 16MiB must be below "
	  "zones.DMA32 8MiB" },
	{ "x86_64", "cpu.phys_bits", "32", "--set cpu.phys_bits=32: cpu.phys_bits 32 is out of range "
	  "for x86_64 (36..52)" },
	{ "x86_64", "memory.size", "128TiB", "--set memory.size=128TiB: memory.size 128TiB is more "
	  "than 46 physical address bits can address (64TiB)" },
	{ "x86_32", "cpu.nxe", "true", "--set cpu.nxe=true: cpu.nxe needs PAE (cpu.paging: pae); 2-level x86_32 page "
	  "tables have no NX bit" },
	{ "x86_32", "zones.DMA32", "4GiB", "--set zones.DMA32=4GiB: zones.DMA32 is only valid on x86_64" },
	{ "x86_32", "memory.size", "5GiB", "--set memory.size=5GiB: memory.size 5GiB is more than "
	  "x86_32 without PAE can address (4GiB)" },
	{ "x86_64", "layout.page_offset", "0x7fff880000000000", "--set layout.page_offset="
	  "0x7fff880000000000: layout.page_offset 0x7fff880000000000 is not canonical (48-bit)" },
	{ "x86_64", "tlb.l2.ways", "7", "--set tlb.l2.ways=7: tlb.l2: 1536 entries is not a multiple "
	  "of 7 ways" },
	{ "x86_64", "reserve", "[{start: 0, size: 1MiB}, {start: 512KiB, size: 1MiB}]",
	  "--set reserve=[{start: 0, size: 1MiB}, {start: 512KiB, size: 1MiB}]: reserve 'reserved' "
	  "overlaps reserve 'reserved' [0, 1MiB)" },
	{ "x86_64", "reserve", "[{start: 0", "--set reserve=[{start: 0: value is not valid YAML flow syntax" },
	{ "x86_64", "reserve", "{start: 0}", "--set reserve={start: 0}: reserve must be a sequence of "
	  "{start, size, name}, not a mapping" },
	{ "x86_64", "process.stack_rlimit", "-1", "--set process.stack_rlimit=-1: "
	  "process.stack_rlimit -1 is negative" },
	/* negative and wrapping values are refused, never wrapped around */
	{ "x86_64", "cpu.count", "-1", "--set cpu.count=-1: cpu.count -1 is negative" },
	{ "x86_64", "layout.task_size", "-0x1000", "--set layout.task_size=-0x1000: "
	  "layout.task_size -0x1000 is negative" },
	{ "x86_64", "memory.size", "0x10000000000000000", "--set memory.size=0x10000000000000000: "
	  "size '0x10000000000000000' for memory.size does not fit in 64 bits" },
	{ "x86_64", "memory.size", "17179869184GiB", "--set memory.size=17179869184GiB: "
	  "size '17179869184GiB' for memory.size does not fit in 64 bits" },
	{ "x86_64", "kernel_image.size", "0xffffffffff000000", "--set kernel_image.size="
	  "0xffffffffff000000: kernel_image.start 0x1000000 + kernel_image.size "
	  "0xffffffffff000000 wraps past 2^64" },
	{ "x86_64", "reserve", "[{start: 0xfffffffffffff000, size: 8KiB}]", "--set reserve=[{start: "
	  "0xfffffffffffff000, size: 8KiB}]: reserve 'reserved' [0xfffffffffffff000, +8KiB) lies "
	  "beyond the end of RAM (4GiB)" },
	/* the smallest block a task needs: THREAD_SIZE */
	{ "x86_64", "buddy.max_order", "1", "--set buddy.max_order=1: buddy.max_order 1 is below "
	  "THREAD_SIZE_ORDER 2: x86_64's 16KiB kernel stacks could never be allocated (at least 2)" },
	{ "x86_64", "name", "a\x1b[2Jb", "--set name=a [2Jb: name holds a control character" },
	{ "x86_64", "cpu", "{count: 2, smap: yes please}", "--set cpu={count: 2, smap: yes please}: "
	  "bad boolean 'yes please' for cpu.smap (true or false)" },
	/* messages stay one line whatever the value holds */
	{ "x86_64", "memory.size", "1\nGiB", "--set memory.size=1 GiB: bad size '1 GiB' for "
	  "memory.size (a number with an optional KiB/MiB/GiB/TiB suffix)" },
	{ "x86_64", "", "1", "--set =1: unknown key '' (valid: name, arch, memory, reserve, "
	  "kernel_image, zones, buddy, cpu, tlb, layout, process, pagecache, vfs, vdso, swap, vm, kswapd, "
	  "transparent_hugepage)" },
	{ "x86_64", "transparent_hugepage.enabled", "yes", "--set transparent_hugepage.enabled=yes: "
	  "bad value 'yes' for transparent_hugepage.enabled (always, madvise, never)" },
	{ "x86_32", "transparent_hugepage", "{defrag: sometimes}", "--set transparent_hugepage={defrag: "
	  "sometimes}: bad value 'sometimes' for transparent_hugepage.defrag (always, defer, "
	  "defer+madvise, madvise, never)" },
};

static void test_config_bad_sets_give_exact_messages(void **state)
{
	for (size_t i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
		struct vmsim_config c;
		struct vmsim_error err = { 0 };
		int ret;

		builtin(&c, bad_sets[i].base);
		ret = config_set(&c, bad_sets[i].key, bad_sets[i].value, "--set", 0, 0, &err);
		if (!ret)
			ret = config_finalize(&c, machine_config_rules, &err);
		if (ret >= 0)
			fail_msg("case %zu (%s=%s) passed", i, bad_sets[i].key, bad_sets[i].value);
		assert_int_equal(ret, err.code);
		if (strcmp(err.msg, bad_sets[i].msg) != 0)
			fail_msg("case %zu:\n  expected: %s\n  got:      %s", i, bad_sets[i].msg, err.msg);
	}
	(void)state;
}

/* buddy.max_order may go down to THREAD_SIZE_ORDER and no further: the
 * kernel stack is the largest block a task needs (tests/scenarios/
 * min-max-order-*.yaml spawn, fork and exec at exactly that order). */
static void test_config_max_order_floor_is_thread_size(void **state)
{
	static const struct { const char *arch, *order; int ret; } cases[] = {
		{ "x86_64", "2", 0 }, { "x86_64", "1", -EINVAL },
		{ "x86_32", "1", 0 }, { "x86_32", "2", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmsim_config c;
		struct vmsim_error err = { 0 };
		int ret;

		builtin(&c, cases[i].arch);
		ret = config_set(&c, "buddy.max_order", cases[i].order, "--set", 0, 0, &err);
		if (!ret)
			ret = config_finalize(&c, machine_config_rules, &err);
		if (ret != cases[i].ret)
			fail_msg("%s max_order %s: %d (%s)", cases[i].arch, cases[i].order, ret, err.msg);
		if (!ret)
			assert_true(c.max_order >= config_thread_size_order(&c));
	}
	(void)state;
}

static void test_config_set_with_position(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err = { 0 };

	builtin(&c, "x86_64");
	assert_int_equal(config_set(&c, "cpu.count", "65", "scn.yaml", 3, 7, &err), -ERANGE);
	assert_string_equal(err.msg, "scn.yaml:3:7: cpu.count 65 is out of range (1..64)");
	(void)state;
}

/* ---- override semantics ---- */

static void test_config_arch_override_rebases_keys_not_given(void **state)
{
	struct vmsim_config c, d;

	/* a file with x86_64 and memory.size, then --set arch=x86_32: the
	 * size stays, everything else becomes the x86_32 default */
	load_str_ok(&c, "arch: x86_64\nmemory: { size: 512MiB }\n");
	set_ok(&c, "arch", "x86_32");
	finalize_ok(&c);
	builtin(&d, "x86_32");
	set_ok(&d, "memory.size", "512MiB");
	finalize_ok(&d);
	check_same_values(&c, &d);

	/* and back: nothing of x86_32 stays behind */
	set_ok(&c, "arch", "x86_64");
	finalize_ok(&c);
	builtin(&d, "x86_64");
	set_ok(&d, "memory.size", "512MiB");
	finalize_ok(&d);
	check_same_values(&c, &d);
	(void)state;
}

static void test_config_arch_key_position_does_not_matter(void **state)
{
	struct vmsim_config a, b;

	load_str_ok(&a, "memory.size: 256MiB\ncpu: { count: 2 }\narch: x86_32\n");
	load_str_ok(&b, "arch: x86_32\nmemory.size: 256MiB\ncpu: { count: 2 }\n");
	check_same_values(&a, &b);
	assert_int_equal(a.task_size, 0xc0000000ULL);
	assert_int_equal(a.cpu_count, 2);
	(void)state;
}

static void test_config_dotted_and_nested_keys_agree(void **state)
{
	struct vmsim_config a, b, c;

	load_str_ok(&a, "layout.vmalloc.start: 0xffffc80000000000\ntlb.l2.entries: 2048\n"
			"tlb.l2.ways: 16\n");
	load_str_ok(&b, "layout: { vmalloc: { start: 0xffffc80000000000 } }\n"
			"tlb: { l2: { entries: 2048, ways: 16 } }\n");
	load_str_ok(&c, "layout.vmalloc: { start: 0xffffc80000000000 }\n"
			"tlb.l2: { entries: 2048, ways: 16 }\n");
	check_same_values(&a, &b);
	check_same_values(&a, &c);
	assert_int_equal(a.vmalloc_start, 0xffffc80000000000ULL);
	assert_int_equal(a.l2.entries, 2048);
	(void)state;
}

static void test_config_apply_yaml_mapping(void **state)
{
	const char *text = "memory.size: 256MiB\ncpu: { count: 2, smep: true }\n"
			   "reserve: [ { start: 0, size: 2MiB, name: low } ]\n";
	struct ydoc doc;
	struct vmsim_config c;
	struct vmsim_error err = { 0 };

	assert_int_equal(ydoc_load_string(&doc, "scn.yaml", text, strlen(text), &err), 0);
	builtin(&c, "x86_64");
	assert_int_equal(config_apply_yaml(&c, doc.root, "scn.yaml", &err), 0);
	finalize_ok(&c);
	assert_int_equal(c.mem_size, 256 * MiB);
	assert_int_equal(c.cpu_count, 2);
	assert_true(c.smep);
	assert_int_equal(c.nr_reserve, 1);
	assert_int_equal(c.reserve[0].size, 2 * MiB);
	assert_string_equal(c.reserve[0].name, "low");
	/* a later error about a key points back into the scenario */
	assert_int_equal(config_set(&c, "memory.size", "16MiB", "--set", 0, 0, &err), 0);
	assert_int_equal(config_apply_yaml(&c, doc.root, "scn.yaml", &err), 0);
	assert_int_equal(config_set(&c, "kernel_image.size", "256MiB", "--set", 0, 0, &err), 0);
	assert_int_equal(config_finalize(&c, machine_config_rules, &err), -EINVAL);
	assert_string_equal(err.msg, "scn.yaml:1:14: memory.size 256MiB is smaller than the end of "
			    "the kernel image (272MiB)");
	ydoc_free(&doc);
	(void)state;
}

static void test_config_reserve_replaces_default_list(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_64");
	set_ok(&c, "reserve", "[ {start: 0, size: 640KiB, name: low}, {start: 0xf0000, size: 64KiB} ]");
	finalize_ok(&c);
	assert_int_equal(c.nr_reserve, 2);
	assert_string_equal(c.reserve[0].name, "low");
	assert_int_equal(c.reserve[1].start, 0xf0000);
	assert_string_equal(c.reserve[1].name, "reserved");
	set_ok(&c, "reserve", "[]");
	finalize_ok(&c);
	assert_int_equal(c.nr_reserve, 0);
	(void)state;
}

static void test_config_many_sets_keep_positions(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err = { 0 };
	char v[32];

	/* more --set origins than slots: unused ones are recycled */
	builtin(&c, "x86_64");
	for (int i = 0; i < 500; i++) {
		snprintf(v, sizeof(v), "%d", i + 1);
		set_ok(&c, "process.seed", v);
		set_ok(&c, i % 2 ? "cpu.wp" : "cpu.smep", i % 3 ? "true" : "false");
	}
	finalize_ok(&c);
	assert_int_equal(c.seed, 500);
	set_ok(&c, "tlb.l1d.entries", "48");
	assert_int_equal(config_finalize(&c, machine_config_rules, &err), -EINVAL);
	assert_string_equal(err.msg, "--set tlb.l1d.entries=48: tlb.l1d: 48 entries / 4 ways = 12 "
			    "sets, not a power of two");
	(void)state;
}

static void test_config_empty_and_non_mapping(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err;

	assert_string_equal(load_str_err(&c, "", &err),
			    "t.yaml:1:1: empty config (expected a mapping such as `arch: x86_64`)");
	assert_string_equal(load_str_err(&c, "# nothing\n", &err),
			    "t.yaml:1:1: empty config (expected a mapping such as `arch: x86_64`)");
	assert_string_equal(load_str_err(&c, "- a\n- b\n", &err),
			    "t.yaml:1:1: a config must be a mapping of keys, not a sequence");
	assert_string_equal(load_str_err(&c, "arch: x86_32\n", &err), "");
	/* a folded multi-line scalar quoted in a message stays on one line */
	assert_string_equal(load_str_err(&c, "memory:\n  size: 1M\n\n    iB\n", &err),
			    "t.yaml:2:9: bad size '1M iB' for memory.size (a number with an "
			    "optional KiB/MiB/GiB/TiB suffix)");
	(void)state;
}

/* ---- writer ---- */

static void check_roundtrip(const struct vmsim_config *c)
{
	struct vmsim_config r;
	struct vmsim_error err = { 0 };
	char *text = NULL;

	if (config_dump_yaml(c, &text, &err))
		fail_msg("dump: %s", err.msg);
	if (config_load_string(&r, "dump.yaml", text, strlen(text), &err) ||
	    config_finalize(&r, machine_config_rules, &err))
		fail_msg("reload: %s\n%s", err.msg, text);
	check_same_values(c, &r);
	free(text);
}

static void test_config_dump_roundtrips(void **state)
{
	struct vmsim_config c;

	builtin(&c, "x86_64");
	check_roundtrip(&c);
	builtin(&c, "x86_32");
	check_roundtrip(&c);
	load_str_ok(&c, "name: \"odd \\\"name\\\" \\\\ here\"\narch: x86_32\nmemory: { size: 3GiB }\n"
			"layout.vmalloc.end: 0xff000000\nprocess.stack_rlimit: unlimited\n"
			"reserve: [ {start: 0, size: 4KiB, name: \"zero page\"}, {start: 0x9f000, size: 0x61000} ]\n"
			"buddy: { max_order: 11, min_free_kbytes: 1024 }\n");
	assert_string_equal(c.name, "odd \"name\" \\ here");
	check_roundtrip(&c);
	load_str_ok(&c, "memory: { size: 2GiB, nodes: 2 }\nprocess.stack_rlimit: 12345\ncpu.pcid: true\n");
	check_roundtrip(&c);
	/* transparent_hugepage: given keys written back, derived ones left to
	 * derive again (a 256 MiB machine starts with THP off) */
	load_str_ok(&c, "memory.size: 256MiB\ntransparent_hugepage: { enabled: always, "
			"defrag: defer+madvise }\n");
	assert_int_equal(c.thp_enabled, THP_ENABLED_ALWAYS);
	assert_int_equal(c.thp_defrag, THP_DEFRAG_DEFER_MADVISE);
	assert_false(c.thp_use_zero_page);
	check_roundtrip(&c);
	load_str_ok(&c, "memory.size: 256MiB\n");
	assert_int_equal(c.thp_enabled, THP_ENABLED_NEVER);
	load_str_ok(&c, "process: { memlock_rlimit: unlimited, cap_ipc_lock: true }\n");
	assert_true(c.memlock_rlimit == CFG_UNLIMITED && c.cap_ipc_lock);
	check_roundtrip(&c);
	(void)state;
}

static void test_config_dump_shape(void **state)
{
	struct vmsim_config c;
	struct vmsim_error err = { 0 };
	char *text = NULL;

	builtin(&c, "x86_64");
	assert_int_equal(config_dump_yaml(&c, &text, &err), 0);
	assert_non_null(strstr(text, "\nmemory:\n  size: 4GiB\n  nodes: 1\n"));
	assert_non_null(strstr(text, "\ntlb:\n  l1d:\n    entries: 64\n    ways: 4\n  l1i:\n"));
	assert_non_null(strstr(text, "\n  vmalloc:\n    start: 0xffffc90000000000\n"));
	assert_null(strstr(text, "last_pkmap"));
	assert_null(strstr(text, "transparent_hugepage"));	/* derived, so left out */
	free(text);
	load_str_ok(&c, "transparent_hugepage.use_zero_page: false\n");
	assert_int_equal(config_dump_yaml(&c, &text, &err), 0);
	assert_non_null(strstr(text, "\ntransparent_hugepage:\n  use_zero_page: false\n"));
	free(text);
	builtin(&c, "x86_32");
	assert_int_equal(config_dump_yaml(&c, &text, &err), 0);
	assert_null(strstr(text, "vmalloc:"));	/* derived, so left out */
	assert_null(strstr(text, "DMA32"));
	assert_non_null(strstr(text, "  last_pkmap: 1024\n"));
	free(text);
	(void)state;
}

/* ---- OOM ---- */

static void test_config_load_survives_every_oom(void **state)
{
	long n;

	for (n = 1; n <= 100000; n++) {
		struct vmsim_config c;
		struct vmsim_error err = { 0 };
		char *text = NULL;
		int ret;

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		ret = config_load_file(&c, "configs/x86_64.yaml", &err);
		if (!ret)
			ret = config_set(&c, "reserve", "[{start: 0, size: 1MiB, name: bios}]", "--set",
					 0, 0, &err);
		if (!ret)
			ret = config_finalize(&c, machine_config_rules, &err);
		if (!ret)
			ret = config_dump_yaml(&c, &text, &err);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (!ret) {
			free(text);
			break;
		}
		if (ret != -ENOMEM)
			fail_msg("n=%ld: %d %s", n, ret, err.msg);
	}
	assert_true(n > 3);	/* the loader really allocates */
	(void)state;
}

/* config_finalize() runs exactly the table it is given, after util's own
 * rule: with an empty table a config only the layers' rules refuse is
 * accepted, a key of the other arch is still refused; with the machine's
 * table, a config that breaks rules of two layers reports the one listed
 * first (the CPU before the TLB), at the key that was given. */
static void test_config_rules_come_from_the_table(void **state)
{
	static const struct config_rule none[] = { { NULL, NULL } };
	static const char two[] = "arch: x86_32\ntlb:\n  l1d: { entries: 48, ways: 5 }\n"
				  "cpu:\n  nxe: true\n";
	struct vmsim_config c;
	struct vmsim_error err = { 0 };
	int n = 0;

	assert_int_equal(config_load_string(&c, "two.yaml", two, sizeof(two) - 1, &err), 0);
	assert_int_equal(config_finalize(&c, none, &err), 0);
	assert_int_equal(config_finalize(&c, machine_config_rules, &err), -EINVAL);
	assert_string_equal(err.msg, "two.yaml:5:8: cpu.nxe needs PAE (cpu.paging: pae); 2-level "
			    "x86_32 page tables have no NX bit");
	set_ok(&c, "cpu.nxe", "false");
	memset(&err, 0, sizeof(err));
	assert_int_equal(config_finalize(&c, machine_config_rules, &err), -EINVAL);
	assert_string_equal(err.msg, "two.yaml:3:19: tlb.l1d: 48 entries is not a multiple of 5 ways");
	set_ok(&c, "zones.DMA32", "4GiB");
	memset(&err, 0, sizeof(err));
	assert_int_equal(config_finalize(&c, none, &err), -EINVAL);
	assert_string_equal(err.msg, "--set zones.DMA32=4GiB: zones.DMA32 is only valid on x86_64");
	/* every row names its keys and has a rule */
	for (const struct config_rule *r = machine_config_rules; r->check; r++, n++)
		assert_true(r->name && r->name[0]);
	assert_int_equal(n, 10);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_builtin_x86_64_values),
		cmocka_unit_test(test_config_mmap_base_known_answers),
		cmocka_unit_test(test_config_x86_32_derivations),
		cmocka_unit_test(test_config_pae_derivations),
		cmocka_unit_test(test_config_la57_values),
		cmocka_unit_test(test_config_paging_key),
		cmocka_unit_test(test_config_finalize_is_idempotent),
		cmocka_unit_test(test_config_rules_come_from_the_table),
		cmocka_unit_test(test_config_shipped_files_match_builtins),
		cmocka_unit_test(test_config_bad_files_give_exact_messages),
		cmocka_unit_test(test_config_missing_file),
		cmocka_unit_test(test_config_bad_sets_give_exact_messages),
		cmocka_unit_test(test_config_max_order_floor_is_thread_size),
		cmocka_unit_test(test_config_set_with_position),
		cmocka_unit_test(test_config_arch_override_rebases_keys_not_given),
		cmocka_unit_test(test_config_arch_key_position_does_not_matter),
		cmocka_unit_test(test_config_dotted_and_nested_keys_agree),
		cmocka_unit_test(test_config_apply_yaml_mapping),
		cmocka_unit_test(test_config_reserve_replaces_default_list),
		cmocka_unit_test(test_config_many_sets_keep_positions),
		cmocka_unit_test(test_config_empty_and_non_mapping),
		cmocka_unit_test(test_config_dump_roundtrips),
		cmocka_unit_test(test_config_dump_shape),
		cmocka_unit_test(test_config_load_survives_every_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
