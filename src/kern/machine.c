/*
 * Machine life cycle: read the config, boot physical memory, the CPUs and
 * the kernel's page tables; tear it all down again.  Invariant: a machine
 * that vmsim_machine_create() returned is fully booted; a failure at any
 * step undoes the steps before it.
 */
#include "kern/machine.h"
#include "kern/cgroup.h"
#include "kern/kern_config.h"
#include "kern/kpgtable.h"
#include "kern/oom.h"
#include "kern/task.h"
#include "kern/desc.h"
#include "kern/highmem.h"
#include "kern/vmalloc.h"
#include "vma/filemap.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vma/workingset.h"
#include "vma/writeback.h"
#include "phys/slab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

/* After the config itself: the YAML mapping @set, the KEY=VALUE @sets,
 * then what Linux derives. */
static int configure_finish(struct vmsim_config *cfg, const struct ynode *set,
			    const char *set_file, const char *const *sets,
			    struct vmsim_error *err)
{
	int ret = 0;

	if (set)
		ret = config_apply_yaml(cfg, set, set_file, err);
	for (size_t i = 0; !ret && sets && sets[i]; i++) {
		const char *eq = strchr(sets[i], '=');
		char key[128];

		if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof(key))
			return verr(err, -EINVAL, "--set %s: expected KEY=VALUE", sets[i]);
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = '\0';
		ret = config_set(cfg, key, eq + 1, "--set", 0, 0, err);
	}
	if (ret)
		return ret;
	return config_finalize(cfg, machine_config_rules, err);
}

int machine_configure(struct vmsim_config *cfg, const char *config,
		      const struct ynode *set, const char *set_file,
		      const char *const *sets, struct vmsim_error *err)
{
	int ret = 0;

	if (!config)
		config = "x86_64";
	if (config_builtin_defaults(cfg, config) == 0)
		;	/* a built-in machine */
	else if (!config_name_is_path(config) && access(config, F_OK) != 0)
		/* a bare word that is no file: most likely a built-in misspelt */
		return verr(err, -ENOENT, "%s: no built-in machine of that name (" CFG_BUILTINS
			    ") and no config file", config);
	else
		ret = config_load_file(cfg, config, err);
	if (ret)
		return ret;
	return configure_finish(cfg, set, set_file, sets, err);
}

int machine_configure_text(struct vmsim_config *cfg, const char *name, const char *text,
			   const char *const *sets, struct vmsim_error *err)
{
	int ret = config_load_string(cfg, name, text, strlen(text), err);

	return ret ? ret : configure_finish(cfg, NULL, NULL, sets, err);
}

/* current->comm of the CPU that allocates, for bad_page() reports. */
static const char *machine_current_comm(const struct phys_mem *pm)
{
	const struct vmsim_machine *m = container_of(pm, struct vmsim_machine, pm);
	const struct task_struct *t = m->current[pm->this_cpu];

	return t ? t->comm : NULL;
}

/* The page allocator's way to the OOM killer (reclaim_hooks.oom). */
static bool machine_oom(struct phys_mem *pm, struct zone *const *zonelist, unsigned order,
			gfp_t gfp)
{
	return oom_page_alloc(container_of(pm, struct vmsim_machine, pm), zonelist, order, gfp);
}

/* The kernel prints bad_page() on its console: here stderr, one line. */
static void machine_bad_page(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

int machine_boot(struct vmsim_machine *m, struct vmsim_error *err)
{
	int ret;

	host_arena_init(&m->ha);
	ret = phys_init(&m->pm, &m->cfg, &m->ha, err);
	if (ret) {
		host_arena_finish(&m->ha);
		return ret;
	}
	/* the mm layer's way down, before anything of it runs */
	vm_ctx_init(&m->vm, &m->cfg, &m->ha, &m->pm, &m->pt);
	m->pm.bad_page_comm = machine_current_comm;
	m->pm.bad_page_hook = machine_bad_page;
	/* CPUs, the kernel's page tables, CR3 (kpgtable.c) */
	ret = kernel_mmu_boot(m, err);
	if (ret) {
		phys_finish(&m->pm);
		host_arena_finish(&m->ha);
		return ret;
	}
	vm_ctx_set_cpus(&m->vm, m->cpus, m->nr_cpus);
	/* cpu_init()'s GDT: gdt_page and the kernel's segments (desc.c) */
	ret = cpu_init_gdt(m, err);
	if (ret) {
		kernel_mmu_shutdown(m);
		phys_finish(&m->pm);
		host_arena_finish(&m->ha);
		return ret;
	}
	/* slab caches and kmalloc, after paging_init() as in mm_core_init() */
	ret = kmem_cache_init(&m->pm);
	if (ret) {
		verr(err, ret, "out of memory setting up the slab caches");
		kernel_mmu_shutdown(m);
		phys_finish(&m->pm);
		host_arena_finish(&m->ha);
		return ret;
	}
	/* vmalloc, pkmap and kmap_local state (vmalloc.c, highmem.c) */
	ret = vmalloc_init(m, err);
	if (!ret)
		ret = highmem_init(m, err);
	if (ret) {
		highmem_finish(m);
		vmalloc_finish(m);
		kmem_cache_finish(&m->pm);
		kernel_mmu_shutdown(m);
		phys_finish(&m->pm);
		host_arena_finish(&m->ha);
		return ret;
	}
	/* the process layer: task list, zero page (task.c) */
	ret = task_init(m, err);
	if (ret) {
		machine_shutdown(m);
		return ret;
	}
	/* the root cgroup and the memory controller (cgroup.c), the OOM
	 * killer for the page allocator */
	ret = cgroup_init(m, err);
	if (ret) {
		machine_shutdown(m);
		return ret;
	}
	m->pm.reclaim.oom = machine_oom;
	/* boot-time tables came from memblock; from now on each counts */
	m->pt.account_tables = true;
	/* page aging and reclaim: the LRU batches, the workingset clock,
	 * swap, and the allocator's way into reclaim (swap.c, workingset.c,
	 * swapfile.c, vmscan.c) */
	if (lru_init(&m->vm) || swap_init(&m->vm)) {
		machine_shutdown(m);
		return verr(err, -ENOMEM, "out of host memory");
	}
	workingset_init(&m->vm);
	reclaim_init(&m->vm);
	m->kswapd_countdown = m->cfg.kswapd_interval;
	if (m->cfg.swap_size) {
		unsigned type;

		ret = sys_swapon(&m->vm, m->cfg.swap_size, -1, false, &type, err);
		if (ret) {
			machine_shutdown(m);
			return ret;
		}
	}
	return 0;
}

void machine_shutdown(struct vmsim_machine *m)
{
	/* teardown is not part of what the user ran: log, check and report
	 * no more (a report's hook may belong to a caller that is done) */
	machine_set_event_log(m, NULL);
	machine_check_stop(m);
	m->pm.bad_page_hook = NULL;
	task_shutdown(m);
	page_cache_destroy(&m->vm);
	/* pages the batches still hold go back (their last reference) */
	writeback_finish(&m->vm);
	if (m->vm.cpu_fbatches)
		lru_add_drain_all(&m->vm);
	swap_finish(&m->vm);
	if (m->vm.cpu_fbatches)
		lru_add_drain_all(&m->vm);
	lru_finish(&m->vm);
	/* the last charged pages went with the tasks and the page cache */
	cgroup_finish(m);
	highmem_finish(m);
	vmalloc_finish(m);
	kmem_cache_finish(&m->pm);
	kernel_mmu_shutdown(m);
	vm_ctx_set_cpus(&m->vm, NULL, 0);
	phys_finish(&m->pm);
	host_arena_finish(&m->ha);
}

void printk(struct vmsim_machine *m, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (m->console_hook)
		m->console_hook(m->console_ctx, line);
	else if (m->pm.bad_page_hook)
		m->pm.bad_page_hook(m->pm.bad_page_ctx, line);
}

void machine_kswapd_point(struct vmsim_machine *m)
{
	kswapd_run(&m->vm);
}

void machine_set_event_log(struct vmsim_machine *m, struct event_log *ev)
{
	m->pm.events = ev;
	for (unsigned c = 0; c < m->nr_cpus; c++)
		m->cpus[c].events = ev;
}

/* A machine from @text (a config's YAML) when given, else from @config. */
static struct vmsim_machine *machine_create(const char *config, const char *text,
					    const char *const *sets, struct vmsim_error *err)
{
	struct vmsim_machine *m = host_zalloc(NULL, sizeof(*m));
	int ret;

	if (!m) {
		verr(err, -ENOMEM, "out of host memory");
		return NULL;
	}
	if (text)
		ret = machine_configure_text(&m->cfg, config, text, sets, err);
	else
		ret = machine_configure(&m->cfg, config, NULL, NULL, sets, err);
	if (ret || machine_boot(m, err)) {
		host_free(NULL, m, sizeof(*m));
		return NULL;
	}
	return m;
}

struct vmsim_machine *vmsim_machine_create(const char *config, const char *const *sets,
					   struct vmsim_error *err)
{
	return machine_create(config, NULL, sets, err);
}

struct vmsim_machine *vmsim_machine_create_yaml(const char *name, const char *yaml,
						const char *const *sets, struct vmsim_error *err)
{
	if (!yaml) {
		verr(err, -EINVAL, "no config text");
		return NULL;
	}
	return machine_create(name ? name : "<config>", yaml, sets, err);
}

void vmsim_machine_destroy(struct vmsim_machine *m)
{
	if (!m)
		return;
	machine_shutdown(m);
	if (m->api_events)
		host_free(NULL, m->api_events, sizeof(*m->api_events));
	host_free(NULL, m, sizeof(*m));
}
