/*
 * Fuzz target for exec (kern/binfmt_elf.c, kern/exec.c): any byte string
 * is parsed as an executable, and what elf_parse() accepts is exec'd in a
 * small machine from an in-memory file.  The invariants: elf_parse()
 * either accepts with every PT_LOAD inside TASK_SIZE and the program
 * headers inside the buffer, or refuses with one non-empty line; exec
 * either succeeds or fails with a message and leaves the task's old mm;
 * every checker passes afterwards; nothing reads out of bounds or leaks
 * (run under ASan by the tests).  PT_INTERP is looked up under a sysroot
 * that does not exist, so no host file is opened.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kern/binfmt_elf.h"
#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "util/error.h"
#include "vma/filemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_exec(const uint8_t *data, size_t size)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	const char *argv[] = { "/fuzz" };
	struct exec_args a = { .filename = "/fuzz", .sysroot = "/nonexistent-vmsim-sysroot",
			       .argv = argv, .argc = 1 };
	struct exec_result r;
	struct task_struct *t;
	struct mm_struct *old;
	struct file *f;

	if (!m)
		abort();
	if (task_spawn(m, "fuzz", NULL, &t) ||
	    filemap_create(machine_page_cache(&m->vm), "/fuzz", data, size, size, &f, &err))
		abort();
	old = t->mm;
	a.file = f;
	if (do_execve(t, &a, &r, &err) != 0) {
		if (!err.msg[0] || t->mm != old)
			abort();
	}
	verr_clear(&err);
	if (task_check_all(m, &err) || machine_check(m, &err))
		abort();
	fput(f);
	vmsim_machine_destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmsim_error err = { 0 };
	struct elf_binary eb;
	/* a private copy so ASan sees the exact bounds of the input */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	if (elf_parse(buf, size, "fuzz", 0, NULL, &eb, &err) == 0) {
		uint64_t task_size = eb.ei_class == ELFCLASS64 ? 0x7ffffffff000ULL : 0xffffe000ULL;

		for (unsigned i = 0; i < eb.e_phnum; i++) {
			const struct elf_phdr *ph = &eb.phdr[i];

			if (ph->p_type == PT_LOAD &&
			    (ph->p_vaddr >= task_size || ph->p_memsz > task_size - ph->p_vaddr ||
			     ph->p_filesz > ph->p_memsz))
				abort();
		}
		if (eb.e_phoff + (uint64_t)eb.e_phnum * eb.e_phentsize > size || !eb.nr_load)
			abort();
		elf_binary_free(NULL, &eb);
		try_exec(buf, size);
	} else if (!err.msg[0] || strchr(err.msg, '\n')) {
		abort();
	}
	free(buf);
	return 0;
}
