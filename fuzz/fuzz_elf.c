/*
 * Fuzz target for the ELF header checks (kern/binfmt_elf.c): any byte
 * string is parsed as an executable; the invariant is that elf_parse()
 * either accepts it with every PT_LOAD inside TASK_SIZE and the program
 * headers inside the buffer, or refuses it with one non-empty message,
 * and never reads out of bounds or leaks (run under ASan by the tests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kern/binfmt_elf.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	} else if (!err.msg[0] || strchr(err.msg, '\n')) {
		abort();
	}
	free(buf);
	return 0;
}
