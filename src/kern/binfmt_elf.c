/*
 * ELF header parsing and checking, in the order and with the errors of
 * fs/binfmt_elf.c (load_elf_binary, load_elf_phdrs, the PT_INTERP and
 * PT_GNU_STACK loops, the per-PT_LOAD BAD_ADDR checks) and of vm_mmap()
 * for the file offsets the loader will ask for.
 *
 * The file is read the way the kernel reads it, in pieces: its first bytes
 * (the ELF header), the program headers, the PT_INTERP path; each is at
 * most a page, so exec never holds a whole binary in host memory (the
 * segments reach memory page by page through the page cache's faults).
 *
 * Invariant: every offset, size and count read from the file is checked
 * against the file size (with overflow-safe arithmetic) before it is
 * read, so no input, however hostile, makes this code read out of bounds;
 * a failure leaves *eb empty and one "NAME: reason" line in the error.
 */
#include "kern/binfmt_elf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/hostalloc.h"

#define EI_NIDENT	16
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6

#define EHDR64_SIZE	64
#define EHDR32_SIZE	52
#define PHDR64_SIZE	56
#define PHDR32_SIZE	32

/* TASK_SIZE of the task each class makes (page_64_types.h, IA32_PAGE_OFFSET) */
#define TASK_SIZE_64	0x7ffffffff000ULL
#define TASK_SIZE_32	0xffffe000ULL

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

const char *elf_pt_name(uint32_t t)
{
	switch (t) {
	case PT_NULL: return "PT_NULL";
	case PT_LOAD: return "PT_LOAD";
	case PT_DYNAMIC: return "PT_DYNAMIC";
	case PT_INTERP: return "PT_INTERP";
	case PT_NOTE: return "PT_NOTE";
	case PT_PHDR: return "PT_PHDR";
	case PT_TLS: return "PT_TLS";
	case PT_GNU_EH_FRAME: return "PT_GNU_EH_FRAME";
	case PT_GNU_STACK: return "PT_GNU_STACK";
	case PT_GNU_RELRO: return "PT_GNU_RELRO";
	case PT_GNU_PROPERTY: return "PT_GNU_PROPERTY";
	}
	return NULL;
}

uint64_t elf_total_mapping_size(const struct elf_phdr *ph, unsigned n)
{
	uint64_t min_addr = UINT64_MAX, max_addr = 0;
	bool pt_load = false;

	/* 6.x takes the extremes over all PT_LOADs rather than first/last,
	 * so headers out of address order still give the whole span. */
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ELF_PAGESTART(ph[i].p_vaddr) < min_addr)
			min_addr = ELF_PAGESTART(ph[i].p_vaddr);
		if (ph[i].p_vaddr + ph[i].p_memsz > max_addr)
			max_addr = ph[i].p_vaddr + ph[i].p_memsz;
		pt_load = true;
	}
	return pt_load ? max_addr - min_addr : 0;
}

uint64_t elf_maximum_alignment(const struct elf_phdr *ph, unsigned n)
{
	uint64_t alignment = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t a = ph[i].p_align;

		if (ph[i].p_type != PT_LOAD)
			continue;
		if (a == 0 || (a & (a - 1)))	/* !is_power_of_2: skipped as invalid */
			continue;
		if (a > alignment)
			alignment = a;
	}
	/* an alignment near 2^64 would wrap to 0 in ELF_PAGEALIGN: keep the
	 * largest page-aligned power of two instead */
	if (alignment > (1ULL << 63))
		alignment = 1ULL << 63;
	return ELF_PAGEALIGN(alignment);
}

static void read_phdr(const uint8_t *p, bool is64, struct elf_phdr *ph)
{
	if (is64) {
		ph->p_type = get32(p);
		ph->p_flags = get32(p + 4);
		ph->p_offset = get64(p + 8);
		ph->p_vaddr = get64(p + 16);
		ph->p_paddr = get64(p + 24);
		ph->p_filesz = get64(p + 32);
		ph->p_memsz = get64(p + 40);
		ph->p_align = get64(p + 48);
	} else {
		ph->p_type = get32(p);
		ph->p_offset = get32(p + 4);
		ph->p_vaddr = get32(p + 8);
		ph->p_paddr = get32(p + 12);
		ph->p_filesz = get32(p + 16);
		ph->p_memsz = get32(p + 20);
		ph->p_flags = get32(p + 24);
		ph->p_align = get32(p + 28);
	}
}

/* The BAD_ADDR and size checks load_elf_binary makes on each PT_LOAD
 * (-EINVAL there), plus the ones vm_mmap() would make on the file part:
 * an offset that is not page aligned once the page offset of p_vaddr is
 * taken off (-EINVAL), or a file range that wraps (-EOVERFLOW). */
static int check_load(const struct elf_phdr *ph, unsigned idx, uint64_t task_size,
		      uint64_t file_size, const char *name, struct vmsim_error *err)
{
	uint64_t k = ph->p_vaddr;

	if (ph->p_filesz > ph->p_memsz)
		return verr(err, -EINVAL, "%s: PT_LOAD %u: p_filesz 0x%llx is larger than p_memsz 0x%llx",
			    name, idx, (unsigned long long)ph->p_filesz,
			    (unsigned long long)ph->p_memsz);
	if (k >= task_size || ph->p_memsz > task_size || task_size - ph->p_memsz < k)
		return verr(err, -EINVAL,
			    "%s: PT_LOAD %u: [0x%llx, +0x%llx) does not fit below TASK_SIZE 0x%llx",
			    name, idx, (unsigned long long)k, (unsigned long long)ph->p_memsz,
			    (unsigned long long)task_size);
	if (ph->p_filesz == 0)
		return 0;		/* bss only: nothing is read from the file */
	if (ELF_PAGEOFFSET(ph->p_offset) != ELF_PAGEOFFSET(ph->p_vaddr))
		return verr(err, -EINVAL,
			    "%s: PT_LOAD %u: p_offset 0x%llx and p_vaddr 0x%llx differ modulo the page size",
			    name, idx, (unsigned long long)ph->p_offset,
			    (unsigned long long)ph->p_vaddr);
	if (ph->p_offset + ph->p_filesz < ph->p_offset)
		return verr(err, -EOVERFLOW, "%s: PT_LOAD %u: file range wraps around", name, idx);
	/* The kernel would map it and deliver SIGBUS on the first touch past
	 * EOF; vmsim refuses at exec time instead (docs/exec.md). */
	if (ph->p_offset >= file_size)
		return verr(err, -EIO,
			    "%s: PT_LOAD %u: file data at 0x%llx starts past the end of the file (%llu bytes)",
			    name, idx, (unsigned long long)ph->p_offset,
			    (unsigned long long)file_size);
	return 0;
}

/* elf_read(): @len bytes at @off of the file, or -EIO as the kernel's
 * short kernel_read() gives. */
static int elf_read(const struct elf_source *src, uint64_t off, void *buf, size_t len,
		    const char *name, struct vmsim_error *err)
{
	int ret = src->read(src->ctx, off, buf, len);

	if (ret)
		return verr(err, -EIO, "%s: cannot read %zu bytes at 0x%llx", name, len,
			    (unsigned long long)off);
	return 0;
}

int elf_parse_from(const struct elf_source *src, const char *name, uint64_t task_size,
		   struct host_arena *ha, struct elf_binary *eb, struct vmsim_error *err)
{
	const uint64_t len = src->size;
	uint8_t buf[EHDR64_SIZE], *hdrs;
	bool is64;
	unsigned phsize, nr_load = 0;
	uint64_t size;
	int ret;

	memset(eb, 0, sizeof(*eb));
	eb->file_size = len;
	/* prepare_binprm(): the first bytes (BINPRM_BUF_SIZE; the ELF header
	 * is all that is used of them) */
	if (elf_read(src, 0, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf), name, err))
		return -EIO;
	if (len < EI_NIDENT || memcmp(buf, "\177ELF", 4) != 0)
		return verr(err, -ENOEXEC, "%s: not an ELF file (bad magic)", name);
	if (buf[EI_CLASS] != ELFCLASS64 && buf[EI_CLASS] != ELFCLASS32)
		return verr(err, -ENOEXEC, "%s: unknown ELF class %u", name, buf[EI_CLASS]);
	is64 = buf[EI_CLASS] == ELFCLASS64;
	if (buf[EI_DATA] != ELFDATA2LSB)
		return verr(err, -ENOEXEC, "%s: not a little-endian ELF file (EI_DATA %u)", name,
			    buf[EI_DATA]);
	if (len < (is64 ? EHDR64_SIZE : EHDR32_SIZE))
		return verr(err, -ENOEXEC, "%s: truncated ELF header (%llu bytes, need %u)", name,
			    (unsigned long long)len, is64 ? EHDR64_SIZE : EHDR32_SIZE);
	eb->ei_class = buf[EI_CLASS];
	eb->e_type = get16(buf + 16);
	eb->e_machine = get16(buf + 18);
	if (is64) {
		eb->e_entry = get64(buf + 24);
		eb->e_phoff = get64(buf + 32);
		eb->e_phentsize = get16(buf + 54);
		eb->e_phnum = get16(buf + 56);
	} else {
		eb->e_entry = get32(buf + 24);
		eb->e_phoff = get32(buf + 28);
		eb->e_phentsize = get16(buf + 42);
		eb->e_phnum = get16(buf + 44);
	}
	if (!task_size)
		task_size = is64 ? TASK_SIZE_64 : TASK_SIZE_32;

	/* load_elf_binary's first consistency checks, all -ENOEXEC */
	if (eb->e_type != ET_EXEC && eb->e_type != ET_DYN)
		return verr(err, -ENOEXEC, "%s: ELF type %u is neither ET_EXEC nor ET_DYN", name,
			    eb->e_type);
	/* elf_check_arch(): the native handler takes EM_X86_64 in ELFCLASS64,
	 * the compat one EM_386 in ELFCLASS32 */
	if (eb->e_machine != (is64 ? EM_X86_64 : EM_386))
		return verr(err, -ENOEXEC, "%s: machine %u is not %s for an ELFCLASS%d file", name,
			    eb->e_machine, is64 ? "EM_X86_64 (62)" : "EM_386 (3)", is64 ? 64 : 32);

	/* load_elf_phdrs() */
	phsize = is64 ? PHDR64_SIZE : PHDR32_SIZE;
	if (eb->e_phentsize != phsize)
		return verr(err, -ENOEXEC, "%s: e_phentsize %u is not %u", name, eb->e_phentsize,
			    phsize);
	size = (uint64_t)phsize * eb->e_phnum;
	if (size == 0 || size > 65536 || size > ELF_MIN_ALIGN)
		return verr(err, -ENOEXEC, "%s: %u program headers (the kernel reads 1 to %u)", name,
			    eb->e_phnum, (unsigned)(ELF_MIN_ALIGN / phsize));
	if (eb->e_phoff > len || size > len - eb->e_phoff)
		return verr(err, -EIO,
			    "%s: program headers at 0x%llx (%llu bytes) run past the end of the file (%llu bytes)",
			    name, (unsigned long long)eb->e_phoff, (unsigned long long)size,
			    (unsigned long long)len);
	/* one buffer for the program headers, then for the PT_INTERP path:
	 * both are at most a page (checked above, and ELF_PATH_MAX) */
	hdrs = host_alloc(ha, ELF_PATH_MAX);
	if (!hdrs)
		return verr(err, -ENOMEM, "%s: out of memory", name);
	if (elf_read(src, eb->e_phoff, hdrs, (size_t)size, name, err)) {
		host_free(ha, hdrs, ELF_PATH_MAX);
		return -EIO;
	}
	eb->phdr = host_alloc(ha, (size_t)eb->e_phnum * sizeof(*eb->phdr));
	if (!eb->phdr) {
		host_free(ha, hdrs, ELF_PATH_MAX);
		return verr(err, -ENOMEM, "%s: out of memory", name);
	}
	for (unsigned i = 0; i < eb->e_phnum; i++)
		read_phdr(hdrs + (uint64_t)i * phsize, is64, &eb->phdr[i]);

	/* the PT_INTERP loop: the first one counts */
	for (unsigned i = 0; i < eb->e_phnum; i++) {
		const struct elf_phdr *ph = &eb->phdr[i];

		if (ph->p_type != PT_INTERP)
			continue;
		if (ph->p_filesz > ELF_PATH_MAX || ph->p_filesz < 2) {
			ret = verr(err, -ENOEXEC, "%s: PT_INTERP of %llu bytes (the kernel takes 2 to %d)",
				   name, (unsigned long long)ph->p_filesz, ELF_PATH_MAX);
			goto fail;
		}
		if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset) {
			ret = verr(err, -EIO, "%s: PT_INTERP at 0x%llx runs past the end of the file",
				   name, (unsigned long long)ph->p_offset);
			goto fail;
		}
		if (elf_read(src, ph->p_offset, hdrs, (size_t)ph->p_filesz, name, err)) {
			ret = -EIO;
			goto fail;
		}
		if (hdrs[ph->p_filesz - 1] != '\0') {
			ret = verr(err, -ENOEXEC, "%s: PT_INTERP path is not NUL-terminated", name);
			goto fail;
		}
		eb->interp = host_strdup(ha, (const char *)hdrs);
		if (!eb->interp) {
			ret = verr(err, -ENOMEM, "%s: out of memory", name);
			goto fail;
		}
		if (!eb->interp[0]) {
			ret = verr(err, -ENOENT, "%s: PT_INTERP names an empty path", name);
			goto fail;
		}
		break;
	}

	/* the PT_GNU_STACK loop: the last one counts */
	eb->executable_stack = EXSTACK_DEFAULT;
	for (unsigned i = 0; i < eb->e_phnum; i++)
		if (eb->phdr[i].p_type == PT_GNU_STACK)
			eb->executable_stack = eb->phdr[i].p_flags & PF_X ? EXSTACK_ENABLE_X :
									  EXSTACK_DISABLE_X;

	for (unsigned i = 0; i < eb->e_phnum; i++) {
		if (eb->phdr[i].p_type != PT_LOAD)
			continue;
		ret = check_load(&eb->phdr[i], i, task_size, len, name, err);
		if (ret)
			goto fail;
		nr_load++;
	}
	/* ET_DYN: total_mapping_size() == 0 is -EINVAL in the kernel; an
	 * ET_EXEC without PT_LOAD would exec and crash at once, so vmsim
	 * refuses both (docs/exec.md) */
	if (!nr_load) {
		ret = verr(err, -EINVAL, "%s: no PT_LOAD segment", name);
		goto fail;
	}
	eb->nr_load = nr_load;
	eb->total_size = elf_total_mapping_size(eb->phdr, eb->e_phnum);
	eb->alignment = elf_maximum_alignment(eb->phdr, eb->e_phnum);
	if (eb->e_type == ET_DYN && (eb->total_size == 0 || eb->total_size > task_size)) {
		ret = verr(err, -EINVAL, "%s: PT_LOAD segments span 0x%llx bytes", name,
			   (unsigned long long)eb->total_size);
		goto fail;
	}
	host_free(ha, hdrs, ELF_PATH_MAX);
	return 0;
fail:
	host_free(ha, hdrs, ELF_PATH_MAX);
	elf_binary_free(ha, eb);
	return ret;
}

struct mem_source {
	const uint8_t *buf;
	size_t len;
};

static int mem_read(void *ctx, uint64_t off, void *dst, size_t n)
{
	const struct mem_source *m = ctx;

	/* elf_parse_from() checks every range against the size first */
	if (off > m->len || n > m->len - off)
		return -EIO;
	memcpy(dst, m->buf + off, n);
	return 0;
}

int elf_parse(const uint8_t *buf, size_t len, const char *name, uint64_t task_size,
	      struct host_arena *ha, struct elf_binary *eb, struct vmsim_error *err)
{
	struct mem_source m = { buf, len };
	struct elf_source src = { mem_read, &m, len };

	return elf_parse_from(&src, name, task_size, ha, eb, err);
}

void elf_binary_free(struct host_arena *ha, struct elf_binary *eb)
{
	if (!eb)
		return;
	if (eb->phdr)
		host_free(ha, eb->phdr, (size_t)eb->e_phnum * sizeof(*eb->phdr));
	if (eb->interp)
		host_free(ha, eb->interp, strlen(eb->interp) + 1);
	eb->phdr = NULL;
	eb->interp = NULL;
}
