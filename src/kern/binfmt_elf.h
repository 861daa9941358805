/*
 * ELF headers as fs/binfmt_elf.c reads and checks them, before anything of
 * the old address space is touched (so a bad file leaves the task as it
 * was).  ELF64 (x86-64) and ELF32 (i386, a compat task) files are both
 * normalised to one in-memory form whose field names are the kernel's
 * (struct elfhdr / struct elf_phdr).
 *
 * elf_parse_from() reads the file through a callback, only the pieces
 * the kernel reads (header, program headers, PT_INTERP), each at most a
 * page; exec passes the page cache.  elf_parse() is the same over a
 * buffer: the fuzz target (fuzz/fuzz_elf.c).  Neither trusts an offset or
 * a count before checking it against the file size.
 */
#ifndef VMSIM_KERN_BINFMT_ELF_H
#define VMSIM_KERN_BINFMT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmsim_error;
struct host_arena;

/* include/uapi/linux/elf.h */
#define ELFCLASS32	1
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define ET_EXEC		2
#define ET_DYN		3
#define EM_386		3
#define EM_X86_64	62

#define PT_NULL		0
#define PT_LOAD		1
#define PT_DYNAMIC	2
#define PT_INTERP	3
#define PT_NOTE		4
#define PT_PHDR		6
#define PT_TLS		7
#define PT_LOPROC	0x70000000
#define PT_HIPROC	0x7fffffff
#define PT_GNU_EH_FRAME	0x6474e550
#define PT_GNU_STACK	0x6474e551
#define PT_GNU_RELRO	0x6474e552
#define PT_GNU_PROPERTY	0x6474e553

#define PF_X		0x1
#define PF_W		0x2
#define PF_R		0x4

/* include/linux/binfmts.h: what PT_GNU_STACK said */
#define EXSTACK_DEFAULT		0	/* no PT_GNU_STACK: arch default */
#define EXSTACK_DISABLE_X	1
#define EXSTACK_ENABLE_X	2

#define ELF_MIN_ALIGN		4096ULL
#define ELF_PAGESTART(v)	((v) & ~(ELF_MIN_ALIGN - 1))
#define ELF_PAGEOFFSET(v)	((v) & (ELF_MIN_ALIGN - 1))
#define ELF_PAGEALIGN(v)	(((v) + ELF_MIN_ALIGN - 1) & ~(ELF_MIN_ALIGN - 1))

/* PATH_MAX: the longest PT_INTERP the kernel reads */
#define ELF_PATH_MAX		4096

/* One program header, widened to 64 bits (struct elf64_phdr's fields). */
struct elf_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* A parsed ELF file: the header fields load_elf_binary uses, its program
 * headers, and what the kernel derives from them before mapping. */
struct elf_binary {
	uint8_t ei_class;		/* ELFCLASS32 (compat task) or ELFCLASS64 */
	uint16_t e_type;		/* ET_EXEC or ET_DYN */
	uint16_t e_machine;		/* EM_X86_64 or EM_386 */
	uint64_t e_entry;
	uint64_t e_phoff;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	struct elf_phdr *phdr;		/* e_phnum entries (host memory) */
	char *interp;			/* PT_INTERP path, NUL-terminated, or NULL */
	int executable_stack;		/* EXSTACK_* from PT_GNU_STACK */
	unsigned nr_load;		/* PT_LOAD count (at least 1) */
	uint64_t total_size;		/* total_mapping_size() */
	uint64_t alignment;		/* maximum_alignment() */
	uint64_t file_size;		/* bytes of the file */
};

/* Word size of the task the binary makes (8 or 4). */
static inline unsigned elf_word(const struct elf_binary *eb)
{
	return eb->ei_class == ELFCLASS32 ? 4 : 8;
}

/* Where elf_parse_from() reads the file: read() copies @len bytes at @off
 * into @buf and returns 0, or a negative errno; @size is the file's size. */
struct elf_source {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size;
};

/*
 * Parse and check @len bytes of an ELF file named @name (for messages).
 * @task_size is the TASK_SIZE of the task it would make (segment bounds
 * are checked against it as the loader's BAD_ADDR checks do; pass 0 to
 * use the class's own: 0x7ffffffff000 or 0xffffe000).  On success @eb
 * owns host memory from @ha (elf_binary_free()); on failure nothing is
 * held and @err reads "NAME: what is wrong".  -ENOEXEC for a file that
 * is not a loadable x86 ELF, -EIO for headers past the end of the file,
 * -EINVAL for segments the loader would refuse, -ENOMEM.
 */
int elf_parse(const uint8_t *buf, size_t len, const char *name, uint64_t task_size,
	      struct host_arena *ha, struct elf_binary *eb, struct vmsim_error *err);
/* The same, reading the file through @src; a failed read is -EIO. */
int elf_parse_from(const struct elf_source *src, const char *name, uint64_t task_size,
		   struct host_arena *ha, struct elf_binary *eb, struct vmsim_error *err);
void elf_binary_free(struct host_arena *ha, struct elf_binary *eb);

/* total_mapping_size(): from the lowest PAGESTART(p_vaddr) to the highest
 * p_vaddr + p_memsz of the PT_LOADs; 0 when there is none. */
uint64_t elf_total_mapping_size(const struct elf_phdr *ph, unsigned n);
/* maximum_alignment(): the largest power-of-two p_align of the PT_LOADs,
 * page aligned (others are skipped as invalid, as the kernel does). */
uint64_t elf_maximum_alignment(const struct elf_phdr *ph, unsigned n);

/* "PT_LOAD", "PT_GNU_STACK", ... or NULL for other types. */
const char *elf_pt_name(uint32_t p_type);

#endif
