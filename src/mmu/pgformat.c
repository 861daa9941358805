/*
 * The four page-table formats vmsim implements, as data (see pgformat.h),
 * and the names of entry bits for dumps and scenario ops.  Invariant: the
 * level shifts of a format add up exactly to its virtual-address width
 * (12 + sum of index bits), which test_walk checks.
 */
#include "mmu/pgformat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"

const struct pt_format pt_format_x86_32 = PT_FORMAT_X86_32_INIT;
const struct pt_format pt_format_pae = PT_FORMAT_PAE_INIT;
const struct pt_format pt_format_x86_64 = PT_FORMAT_X86_64_INIT;
const struct pt_format pt_format_la57 = PT_FORMAT_LA57_INIT;

const char *const pt_level_names[PT_NR_LEVELS] = { "pgd", "p4d", "pud", "pmd", "pte" };

static const struct pt_format *const formats[] = {
	&pt_format_x86_32, &pt_format_pae, &pt_format_x86_64, &pt_format_la57,
};

const struct pt_format *pt_format_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i]->name) == 0)
			return formats[i];
	return NULL;
}

const struct pt_format *pt_format_of(const struct vmsim_config *c)
{
	switch (c->paging) {
	case PAGING_PAE:
		return &pt_format_pae;
	case PAGING_4LEVEL:
		return &pt_format_x86_64;
	case PAGING_LA57:
		return &pt_format_la57;
	default:
		return &pt_format_x86_32;
	}
}

static const struct {
	const char *name;
	int bit;
} flag_names[] = {
	{ "P", 0 }, { "RW", 1 }, { "US", 2 }, { "PWT", 3 }, { "PCD", 4 },
	{ "A", 5 }, { "D", 6 }, { "PS", 7 }, { "G", 8 }, { "NX", 63 },
};

int pt_flag_bit(const struct pt_format *f, const char *name)
{
	unsigned width = f->entry_size * 8;

	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (strcmp(name, flag_names[i].name) == 0)
			return (unsigned)flag_names[i].bit < width ? flag_names[i].bit : -1;
	if (strncmp(name, "bit", 3) == 0 && name[3] >= '0' && name[3] <= '9') {
		char *end;
		unsigned long n = strtoul(name + 3, &end, 10);

		if (*end == '\0' && n < width)
			return (int)n;
	}
	return -1;
}

void pt_flags_str(const struct pt_format *f, uint64_t e, unsigned depth, char *buf, unsigned len)
{
	static const char *const low[9] = { "P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G" };
	unsigned used = 0;

	buf[0] = '\0';
	for (unsigned b = 0; b < 9; b++) {
		const char *n = low[b];

		if (!(e >> b & 1))
			continue;
		/* bit 7 of a PTE is PAT, not PS */
		if (b == 7 && depth == f->levels - 1)
			n = "PAT";
		used += (unsigned)snprintf(buf + used, len > used ? len - used : 0, "%s%s",
					   used ? " " : "", n);
	}
	if (f->nx_bit && (e & f->nx_bit))
		used += (unsigned)snprintf(buf + used, len > used ? len - used : 0, "%sNX",
					   used ? " " : "");
	(void)used;
}
