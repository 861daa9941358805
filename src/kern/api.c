/*
 * The exported library calls that are not machine life cycle: the
 * version, views to a stream and the page allocator by name.  Each checks its arguments fully: a library
 * caller gets -EINVAL, never a crash, for a bad pfn or name.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "kern/gfpnames.h"
#include "kern/kern_config.h"
#include "kern/machine.h"
#include "kern/views.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "vma/huge_mm.h"
#include "vmsim-config.h"
#include "vmsim/vmsim.h"

const char *vmsim_version(void)
{
	return VMSIM_VERSION;
}

unsigned vmsim_version_number(void)
{
	unsigned major = 0, minor = 0, patch = 0;

	sscanf(VMSIM_VERSION, "%u.%u.%u", &major, &minor, &patch);
	return major * 10000 + minor * 100 + patch;
}

int vmsim_show(struct vmsim_machine *m, const char *what, int json, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (!m || !what || !out)
		return -EINVAL;
	ret = view_render(m, what, NULL, json != 0, &sb);
	if (!ret && sb.oom)
		ret = -ENOMEM;
	if (!ret)
		fputs(sb_str(&sb), out);
	sb_free(&sb);
	return ret;
}

unsigned long vmsim_host_oom_count(void)
{
	return host_oom_count();
}

int vmsim_alloc_pages(struct vmsim_machine *m, const char *gfps, unsigned order, uint64_t *pfn)
{
	gfp_t gfp = GFP_KERNEL;
	const char *bad;
	struct page *page;

	if (!m || !pfn || order > m->pm.max_order)
		return -EINVAL;
	if (gfps && gfp_parse(gfps, &gfp, &bad))
		return -EINVAL;
	page = alloc_pages(&m->pm, gfp, order);
	if (!page)
		return -ENOMEM;
	*pfn = page_to_pfn(&m->pm, page);
	return 0;
}

int vmsim_free_pages(struct vmsim_machine *m, uint64_t pfn, unsigned order)
{
	/* only the head of a block allocated at @order: anything else would
	 * free pages the caller does not own (bad_page() on Linux) */
	if (!m || pfn > ULONG_MAX || !free_pages_allowed(&m->pm, (unsigned long)pfn, order))
		return -EINVAL;
	__free_pages(&m->pm, pfn_to_page(&m->pm, (unsigned long)pfn), order);
	return 0;
}

int vmsim_thp_set_enabled(struct vmsim_machine *m, const char *mode)
{
	/* the sysfs file's words, in enum thp_enabled_mode's order */
	static const char *const words[] = { [THP_ENABLED_ALWAYS] = "always",
					     [THP_ENABLED_MADVISE] = "madvise",
					     [THP_ENABLED_NEVER] = "never" };

	if (!m || !mode)
		return -EINVAL;
	for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(mode, words[i]) == 0) {
			hugepage_set_enabled(&m->vm, i);
			return 0;
		}
	return -EINVAL;
}

int vmsim_machine_check_start(struct vmsim_machine *m, unsigned every)
{
	return m ? machine_check_start(m, every) : -EINVAL;
}

int vmsim_machine_check_point(struct vmsim_machine *m, struct vmsim_error *err)
{
	if (!m)
		return verr(err, -EINVAL, "no machine");
	return machine_check_point(m, err);
}

/* The hooks of the layers below, as the subscriber's levels. */
static void log_bug(void *ctx, const char *line)
{
	struct vmsim_machine *m = ctx;

	m->api_log(VMSIM_LOG_BUG, line, m->api_log_arg);
}

static void log_info(void *ctx, const char *line)
{
	struct vmsim_machine *m = ctx;

	m->api_log(VMSIM_LOG_INFO, line, m->api_log_arg);
}

int vmsim_log_subscribe(struct vmsim_machine *m, vmsim_log_fn fn, void *arg)
{
	if (!m)
		return -EINVAL;
	m->api_log = fn;
	m->api_log_arg = arg;
	m->pm.bad_page_hook = fn ? log_bug : NULL;
	m->pm.bad_page_ctx = fn ? m : NULL;
	m->console_hook = fn ? log_info : NULL;
	m->console_ctx = fn ? m : NULL;
	return 0;
}

int vmsim_config_builtin(const char *name, struct vmsim_error *err)
{
	struct vmsim_config cfg;

	if (!name)
		return verr(err, -EINVAL, "no machine name");
	return config_builtin(&cfg, name, machine_config_rules, err) == -ENOENT ? -ENOENT : 0;
}
