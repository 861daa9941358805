/* GFP names (see gfpnames.h); the table mirrors include/linux/gfp_types.h. */
#include "kern/gfpnames.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name; gfp_t gfp; } names[] = {
	{ "GFP_KERNEL", GFP_KERNEL }, { "GFP_ATOMIC", GFP_ATOMIC },
	{ "GFP_NOWAIT", GFP_NOWAIT }, { "GFP_NOIO", GFP_NOIO },
	{ "GFP_USER", GFP_USER }, { "GFP_DMA", GFP_DMA }, { "GFP_DMA32", GFP_DMA32 },
	{ "GFP_HIGHUSER", GFP_HIGHUSER }, { "GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER_MOVABLE },
	{ "GFP_KERNEL_ACCOUNT", GFP_KERNEL_ACCOUNT },
	{ "__GFP_DMA", __GFP_DMA }, { "__GFP_HIGHMEM", __GFP_HIGHMEM },
	{ "__GFP_DMA32", __GFP_DMA32 }, { "__GFP_MOVABLE", __GFP_MOVABLE },
	{ "__GFP_RECLAIMABLE", __GFP_RECLAIMABLE }, { "__GFP_HIGH", __GFP_HIGH },
	{ "__GFP_IO", __GFP_IO }, { "__GFP_FS", __GFP_FS }, { "__GFP_ZERO", __GFP_ZERO },
	{ "__GFP_DIRECT_RECLAIM", __GFP_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", __GFP_KSWAPD_RECLAIM }, { "__GFP_NOWARN", __GFP_NOWARN },
	{ "__GFP_COMP", __GFP_COMP }, { "__GFP_MEMALLOC", __GFP_MEMALLOC },
	{ "__GFP_NOMEMALLOC", __GFP_NOMEMALLOC }, { "__GFP_HARDWALL", __GFP_HARDWALL },
	{ "__GFP_ACCOUNT", __GFP_ACCOUNT }, { "__GFP_RETRY_MAYFAIL", __GFP_RETRY_MAYFAIL },
	{ "__GFP_NOFAIL", __GFP_NOFAIL }, { "__GFP_NORETRY", __GFP_NORETRY },
	{ "__GFP_THISNODE", __GFP_THISNODE },
};

int gfp_parse(const char *s, gfp_t *out, const char **bad)
{
	gfp_t g = 0;

	*bad = NULL;
	while (*s) {
		size_t len;
		size_t i;

		while (*s == ' ' || *s == '|')
			s++;
		len = strcspn(s, " |");
		if (len == 0)
			break;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && strncmp(names[i].name, s, len) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			*bad = s;
			return -EINVAL;
		}
		g |= names[i].gfp;
		s += len;
	}
	*out = g;
	return 0;
}

/* __def_gfpflag_names: the order %pGg tries the names in */
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_TRANSHUGE_LIGHT \
	((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE (GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

static const struct { const char *name; gfp_t mask; } print_names[] = {
	{ "GFP_TRANSHUGE", GFP_TRANSHUGE }, { "GFP_TRANSHUGE_LIGHT", GFP_TRANSHUGE_LIGHT },
	{ "GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER_MOVABLE }, { "GFP_HIGHUSER", GFP_HIGHUSER },
	{ "GFP_USER", GFP_USER }, { "GFP_KERNEL_ACCOUNT", GFP_KERNEL_ACCOUNT },
	{ "GFP_KERNEL", GFP_KERNEL }, { "GFP_NOFS", GFP_NOFS }, { "GFP_ATOMIC", GFP_ATOMIC },
	{ "GFP_NOIO", GFP_NOIO }, { "GFP_NOWAIT", GFP_NOWAIT }, { "GFP_DMA", GFP_DMA },
	{ "__GFP_HIGHMEM", __GFP_HIGHMEM }, { "GFP_DMA32", GFP_DMA32 }, { "__GFP_HIGH", __GFP_HIGH },
	{ "__GFP_IO", __GFP_IO }, { "__GFP_FS", __GFP_FS }, { "__GFP_NOWARN", __GFP_NOWARN },
	{ "__GFP_RETRY_MAYFAIL", __GFP_RETRY_MAYFAIL }, { "__GFP_NOFAIL", __GFP_NOFAIL },
	{ "__GFP_NORETRY", __GFP_NORETRY }, { "__GFP_COMP", __GFP_COMP }, { "__GFP_ZERO", __GFP_ZERO },
	{ "__GFP_NOMEMALLOC", __GFP_NOMEMALLOC }, { "__GFP_MEMALLOC", __GFP_MEMALLOC },
	{ "__GFP_HARDWALL", __GFP_HARDWALL }, { "__GFP_THISNODE", __GFP_THISNODE },
	{ "__GFP_RECLAIMABLE", __GFP_RECLAIMABLE }, { "__GFP_MOVABLE", __GFP_MOVABLE },
	{ "__GFP_ACCOUNT", __GFP_ACCOUNT }, { "__GFP_RECLAIM", __GFP_RECLAIM },
	{ "__GFP_DIRECT_RECLAIM", __GFP_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", __GFP_KSWAPD_RECLAIM },
};

void gfp_format(gfp_t gfp, char *buf, size_t len)
{
	/* format_flags(): each name whose bits are all set, taking them away;
	 * what no name covers follows in hex */
	size_t used = (size_t)snprintf(buf, len, "%#x(", gfp);
	gfp_t left = gfp;

	for (size_t i = 0; left && i < sizeof(print_names) / sizeof(print_names[0]); i++) {
		if ((left & print_names[i].mask) != print_names[i].mask)
			continue;
		left &= ~print_names[i].mask;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", print_names[i].name,
						 left ? "|" : "");
	}
	if (left && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%#x", left);
	if (used < len)
		snprintf(buf + used, len - used, ")");
}

int gfp_for_zone(const char *zone, gfp_t *out)
{
	if (strcasecmp(zone, "DMA") == 0)
		*out = GFP_KERNEL | __GFP_DMA;
	else if (strcasecmp(zone, "DMA32") == 0)
		*out = GFP_KERNEL | __GFP_DMA32;
	else if (strcasecmp(zone, "Normal") == 0)
		*out = GFP_KERNEL;
	else if (strcasecmp(zone, "HighMem") == 0)
		*out = GFP_HIGHUSER;
	else
		return -EINVAL;
	return 0;
}
