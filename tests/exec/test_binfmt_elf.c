/*
 * The ELF checks (kern/binfmt_elf.c): the host's own /usr/bin/true and
 * its interpreter parse as the kernel sees them; hand-built ELF64 and
 * ELF32 files with one defect each are refused with the kernel's errno
 * and a one-line message naming the file and the defect; and a corpus of
 * mutated binaries (bit flips, hostile field values, truncations of real
 * and synthetic files) runs through the fuzz target, whose invariants
 * abort on any accepted file the loader could not map.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/binfmt_elf.h"
#include "util/error.h"
#include "util/hostalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

/* A minimal valid ELF64 PIE: ehdr, 4 phdrs (PHDR-less: LOAD r-x, LOAD
 * rw- with bss, INTERP, GNU_STACK), the interpreter path, 0x3000 bytes. */
#define IMG_SIZE 0x3000
static size_t build64(uint8_t *b)
{
	uint8_t *ph = b + 64;
	const char *interp = "/lib64/ld-linux-x86-64.so.2";

	memset(b, 0, IMG_SIZE);
	memcpy(b, "\177ELF", 4);
	b[4] = ELFCLASS64;
	b[5] = ELFDATA2LSB;
	b[6] = EV_CURRENT;
	put16(b + 16, ET_DYN);
	put16(b + 18, EM_X86_64);
	put32(b + 20, 1);
	put64(b + 24, 0x1040);		/* e_entry */
	put64(b + 32, 64);		/* e_phoff */
	put16(b + 52, 64);
	put16(b + 54, 56);
	put16(b + 56, 4);
	/* LOAD r-x [0, 0x2000) */
	put32(ph, PT_LOAD); put32(ph + 4, PF_R | PF_X); put64(ph + 8, 0); put64(ph + 16, 0);
	put64(ph + 32, 0x2000); put64(ph + 40, 0x2000); put64(ph + 48, 0x1000);
	ph += 56;
	/* LOAD rw- file 0x2000..0x2100 at 0x3000, memsz 0x1800 */
	put32(ph, PT_LOAD); put32(ph + 4, PF_R | PF_W); put64(ph + 8, 0x2000); put64(ph + 16, 0x3000);
	put64(ph + 32, 0x100); put64(ph + 40, 0x1800); put64(ph + 48, 0x1000);
	ph += 56;
	put32(ph, PT_INTERP); put32(ph + 4, PF_R); put64(ph + 8, 0x400); put64(ph + 16, 0x400);
	put64(ph + 32, strlen(interp) + 1); put64(ph + 40, strlen(interp) + 1);
	memcpy(b + 0x400, interp, strlen(interp) + 1);
	ph += 56;
	put32(ph, PT_GNU_STACK); put32(ph + 4, PF_R | PF_W);
	return IMG_SIZE;
}

/* The same shape as ELF32 / EM_386 (a compat task). */
static size_t build32(uint8_t *b)
{
	uint8_t *ph = b + 52;

	memset(b, 0, IMG_SIZE);
	memcpy(b, "\177ELF", 4);
	b[4] = ELFCLASS32;
	b[5] = ELFDATA2LSB;
	b[6] = EV_CURRENT;
	put16(b + 16, ET_EXEC);
	put16(b + 18, EM_386);
	put32(b + 24, 0x8049000);
	put32(b + 28, 52);
	put16(b + 40, 52);
	put16(b + 42, 32);
	put16(b + 44, 2);
	put32(ph, PT_LOAD); put32(ph + 4, 0); put32(ph + 8, 0x8048000); put32(ph + 16, 0x2000);
	put32(ph + 20, 0x2000); put32(ph + 24, PF_R | PF_X); put32(ph + 28, 0x1000);
	ph += 32;
	put32(ph, PT_GNU_STACK); put32(ph + 24, PF_R | PF_W | PF_X);
	return IMG_SIZE;
}

static int parse(const uint8_t *b, size_t len, struct elf_binary *eb, struct vmsim_error *err)
{
	verr_clear(err);
	return elf_parse(b, len, "prog", 0, NULL, eb, err);
}

static void test_elf_synthetic_pie_parses(void **state)
{
	static uint8_t b[IMG_SIZE];
	struct vmsim_error err = { 0 };
	struct elf_binary eb;

	(void)state;
	assert_int_equal(parse(b, build64(b), &eb, &err), 0);
	assert_int_equal(eb.e_type, ET_DYN);
	assert_int_equal(eb.nr_load, 2);
	assert_string_equal(eb.interp, "/lib64/ld-linux-x86-64.so.2");
	assert_int_equal(eb.executable_stack, EXSTACK_DISABLE_X);
	assert_int_equal(eb.total_size, 0x4800);
	assert_int_equal(eb.alignment, 0x1000);
	assert_int_equal(elf_word(&eb), 8);
	elf_binary_free(NULL, &eb);
}

static void test_elf_synthetic_i386_parses(void **state)
{
	static uint8_t b[IMG_SIZE];
	struct vmsim_error err = { 0 };
	struct elf_binary eb;

	(void)state;
	assert_int_equal(parse(b, build32(b), &eb, &err), 0);
	assert_int_equal(eb.ei_class, ELFCLASS32);
	assert_int_equal(eb.e_entry, 0x8049000);
	assert_int_equal(eb.phdr[0].p_vaddr, 0x8048000);
	assert_int_equal(eb.phdr[0].p_flags, PF_R | PF_X);
	assert_int_equal(eb.executable_stack, EXSTACK_ENABLE_X);
	assert_null(eb.interp);
	assert_int_equal(elf_word(&eb), 4);
	elf_binary_free(NULL, &eb);
	/* EM_X86_64 in an ELFCLASS32 file is no i386 binary */
	put16(b + 18, EM_X86_64);
	assert_int_equal(parse(b, IMG_SIZE, &eb, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "EM_386"));
	/* a segment above the compat TASK_SIZE */
	build32(b);
	put32(b + 52 + 8, 0xfffff000);
	assert_int_equal(parse(b, IMG_SIZE, &eb, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "TASK_SIZE 0xffffe000"));
}

struct defect {
	const char *what;
	unsigned off;		/* byte offset to patch */
	unsigned width;		/* 1, 2, 4 or 8 */
	uint64_t value;
	size_t len;		/* 0: whole image, else truncate */
	int err;
	const char *msg;	/* substring of the message */
};

#define PH(i, field) (64 + 56 * (i) + (field))

static const struct defect defects[] = {
	{ "magic", 1, 1, 'X', 0, -ENOEXEC, "not an ELF file" },
	{ "class", 4, 1, 3, 0, -ENOEXEC, "unknown ELF class 3" },
	{ "data", 5, 1, 2, 0, -ENOEXEC, "not a little-endian" },
	{ "short header", 0, 0, 0, 40, -ENOEXEC, "truncated ELF header (40 bytes, need 64)" },
	{ "tiny", 0, 0, 0, 3, -ENOEXEC, "not an ELF file" },
	{ "ET_REL", 16, 2, 1, 0, -ENOEXEC, "ELF type 1 is neither ET_EXEC nor ET_DYN" },
	{ "machine", 18, 2, 40, 0, -ENOEXEC, "machine 40 is not EM_X86_64" },
	{ "phentsize", 54, 2, 32, 0, -ENOEXEC, "e_phentsize 32 is not 56" },
	{ "phnum 0", 56, 2, 0, 0, -ENOEXEC, "0 program headers" },
	{ "phnum big", 56, 2, 74, 0, -ENOEXEC, "74 program headers (the kernel reads 1 to 73)" },
	{ "phoff", 32, 8, 0x2fc0, 0, -EIO, "program headers at 0x2fc0 (224 bytes) run past the end" },
	{ "phoff wrap", 32, 8, UINT64_MAX - 8, 0, -EIO, "run past the end" },
	{ "phdrs cut", 0, 0, 0, 200, -EIO, "run past the end of the file (200 bytes)" },
	{ "interp short", PH(2, 32), 8, 1, 0, -ENOEXEC, "PT_INTERP of 1 bytes" },
	{ "interp long", PH(2, 32), 8, 4097, 0, -ENOEXEC, "PT_INTERP of 4097 bytes" },
	{ "interp nul", PH(2, 32), 8, 10, 0, -ENOEXEC, "not NUL-terminated" },
	{ "interp eof", PH(2, 8), 8, 0x2ff0, 0, -EIO, "PT_INTERP at 0x2ff0 runs past the end" },
	{ "filesz>memsz", PH(1, 32), 8, 0x2000, 0, -EINVAL, "PT_LOAD 1: p_filesz 0x2000 is larger than p_memsz 0x1800" },
	{ "vaddr high", PH(1, 16), 8, 0x7ffffffff000ULL, 0, -EINVAL, "does not fit below TASK_SIZE" },
	{ "memsz wrap", PH(1, 40), 8, UINT64_MAX, 0, -EINVAL, "does not fit below TASK_SIZE" },
	{ "offset", PH(1, 8), 8, 0x2010, 0, -EINVAL, "differ modulo the page size" },
	{ "past eof", PH(1, 8), 8, 0x5000, 0, -EIO, "starts past the end of the file" },
	{ "no load", PH(0, 0), 4, PT_NOTE, 0, -EINVAL, NULL },
};

static void test_elf_each_defect_has_its_error(void **state)
{
	static uint8_t b[IMG_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(defects) / sizeof(defects[0]); i++) {
		const struct defect *d = &defects[i];
		struct vmsim_error err = { 0 };
		struct elf_binary eb;
		size_t len = build64(b);
		int r;

		if (d->width == 1)
			b[d->off] = (uint8_t)d->value;
		else if (d->width == 2)
			put16(b + d->off, (uint16_t)d->value);
		else if (d->width == 4)
			put32(b + d->off, (uint32_t)d->value);
		else if (d->width == 8)
			put64(b + d->off, d->value);
		if (!strcmp(d->what, "no load"))
			put32(b + PH(1, 0), PT_NOTE);
		if (d->len)
			len = d->len;
		r = parse(b, len, &eb, &err);
		if (r != d->err)
			fail_msg("%s: got %d (%s), want %d", d->what, r, err.msg, d->err);
		if (strncmp(err.msg, "prog: ", 6) != 0 || strchr(err.msg, '\n'))
			fail_msg("%s: message '%s' does not name the file on one line", d->what, err.msg);
		if (d->msg && !strstr(err.msg, d->msg))
			fail_msg("%s: message '%s' lacks '%s'", d->what, err.msg, d->msg);
		assert_null(eb.phdr);
	}
}

static void test_elf_alignment_and_size_rules(void **state)
{
	struct elf_phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_vaddr = 0x1234, .p_memsz = 0x10, .p_align = 0x200000 },
		{ .p_type = PT_LOAD, .p_vaddr = 0x800000, .p_memsz = 0x7a40, .p_align = 0x300000 },
		{ .p_type = PT_TLS, .p_vaddr = 0x900000, .p_memsz = 0x10, .p_align = 1ULL << 40 },
	};

	(void)state;
	/* non-power-of-two p_align is skipped; PT_TLS does not count */
	assert_int_equal(elf_maximum_alignment(ph, 3), 0x200000);
	ph[0].p_align = 0;
	assert_int_equal(elf_maximum_alignment(ph, 3), 0);
	ph[0].p_align = 16;
	assert_int_equal(elf_maximum_alignment(ph, 3), 0x1000);
	/* from PAGESTART of the lowest to the highest end, any order */
	assert_int_equal(elf_total_mapping_size(ph, 3), 0x807a40 - 0x1000);
	assert_int_equal(elf_total_mapping_size(ph + 1, 1), 0x7a40);
	assert_int_equal(elf_total_mapping_size(ph + 2, 1), 0);
}

/* A whole host file in memory (NULL if it cannot be read). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	*len = b ? (size_t)n : 0;
	fclose(f);
	return b;
}

static void test_elf_host_true_and_ld_so(void **state)
{
	struct vmsim_error err = { 0 };
	struct elf_binary eb;
	size_t len;
	uint8_t *b = slurp("/usr/bin/true", &len);

	(void)state;
	if (!b)
		skip();
	assert_int_equal(elf_parse(b, len, "/usr/bin/true", 0, NULL, &eb, &err), 0);
	assert_int_equal(eb.ei_class, ELFCLASS64);
	assert_non_null(eb.interp);
	assert_true(eb.alignment >= 0x1000);
	assert_true(eb.nr_load >= 2);
	free(b);
	b = slurp(eb.interp, &len);
	elf_binary_free(NULL, &eb);
	assert_non_null(b);
	assert_int_equal(elf_parse(b, len, "ld.so", 0, NULL, &eb, &err), 0);
	assert_int_equal(eb.e_type, ET_DYN);
	assert_null(eb.interp);
	elf_binary_free(NULL, &eb);
	free(b);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Mutate @len bytes of @b: the header and program headers get most of
 * the damage, with values that hit the kernel's boundaries. */
static size_t mutate(uint8_t *b, size_t len, size_t hdr_end)
{
	static const uint64_t hostile[] = { 0, 1, 0xfff, 0x1000, 0x7fffffff, 0xffffffff,
					    0x7ffffffff000ULL, 0x7fffffffffffULL, UINT64_MAX,
					    UINT64_MAX - 0xfff, 0x8000000000000000ULL };
	unsigned n = 1 + (unsigned)(next() % 6);

	for (unsigned i = 0; i < n; i++) {
		size_t span = next() % 4 ? hdr_end : len;
		size_t off = (size_t)(next() % span);

		switch (next() % 4) {
		case 0:
			b[off] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:
			b[off] = (uint8_t)next();
			break;
		default:
			if (off + 8 <= len)
				put64(b + (off & ~(size_t)7), hostile[next() % (sizeof(hostile) / 8)]);
			break;
		}
	}
	if (next() % 8 == 0)
		len = (size_t)(next() % (len + 1));
	return len;
}

static void test_elf_mutated_corpus_never_crashes(void **state)
{
	static uint8_t synth64[IMG_SIZE], synth32[IMG_SIZE];
	const char *hosts[] = { "/usr/bin/true", "/lib64/ld-linux-x86-64.so.2" };
	struct { uint8_t *b; size_t len; } seeds[4];
	unsigned nseeds = 0, accepted = 0, refused = 0;
	uint8_t *work;
	size_t cap = 0;

	(void)state;
	seeds[nseeds].len = build64(synth64);
	seeds[nseeds++].b = synth64;
	seeds[nseeds].len = build32(synth32);
	seeds[nseeds++].b = synth32;
	for (unsigned i = 0; i < 2; i++) {
		size_t len;
		uint8_t *b = slurp(hosts[i], &len);

		if (b) {
			seeds[nseeds].b = b;
			seeds[nseeds++].len = len;
		}
	}
	for (unsigned i = 0; i < nseeds; i++)
		if (seeds[i].len > cap)
			cap = seeds[i].len;
	work = malloc(cap);
	assert_non_null(work);
	for (unsigned round = 0; round < 6000; round++) {
		unsigned s = round % nseeds;
		size_t len = seeds[s].len, hdr_end = len < 1024 ? len : 1024;
		struct vmsim_error err = { 0 };
		struct elf_binary eb;

		memcpy(work, seeds[s].b, len);
		len = mutate(work, len, hdr_end);
		LLVMFuzzerTestOneInput(work, len);
		if (elf_parse(work, len, "m", 0, NULL, &eb, &err) == 0) {
			accepted++;
			elf_binary_free(NULL, &eb);
		} else {
			refused++;
			if (!err.msg[0])
				fail_msg("round %u: refused without a message", round);
		}
	}
	/* both outcomes must occur, or the corpus tests nothing */
	assert_true(accepted > 50);
	assert_true(refused > 50);
	free(work);
	for (unsigned i = 2; i < nseeds; i++)
		free(seeds[i].b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_synthetic_pie_parses),
		cmocka_unit_test(test_elf_synthetic_i386_parses),
		cmocka_unit_test(test_elf_each_defect_has_its_error),
		cmocka_unit_test(test_elf_alignment_and_size_rules),
		cmocka_unit_test(test_elf_host_true_and_ld_so),
		cmocka_unit_test(test_elf_mutated_corpus_never_crashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
