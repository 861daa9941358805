/*
 * Machine life cycle: read the config, boot physical memory, the CPUs and
 * the kernel's page tables; tear it all down again.  Invariant: a machine
 * that vmsim_machine_create() returned is fully booted; a failure at any
 * step undoes the steps before it.
 */
#include "kern/machine.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

static bool is_builtin(const char *name)
{
	return strcmp(name, "x86_64") == 0 || strcmp(name, "x86_32") == 0;
}

int machine_load_config(struct vmsim_config *cfg, const char *config,
			const char *const *sets, struct vmsim_error *err)
{
	int ret;

	if (!config)
		config = "x86_64";
	if (is_builtin(config)) {
		ret = config_builtin(cfg, config, err);
	} else {
		ret = config_load_file(cfg, config, err);
	}
	if (ret)
		return ret;
	for (size_t i = 0; sets && sets[i]; i++) {
		const char *eq = strchr(sets[i], '=');
		char key[128];

		if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof(key))
			return verr(err, -EINVAL, "--set %s: expected KEY=VALUE", sets[i]);
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = '\0';
		ret = config_set(cfg, key, eq + 1, "--set", 0, 0, err);
		if (ret)
			return ret;
	}
	return config_finalize(cfg, err);
}

int machine_boot(struct vmsim_machine *m, struct vmsim_error *err)
{
	int ret;

	host_arena_init(&m->ha);
	ret = phys_init(&m->pm, &m->cfg, &m->ha, err);
	if (ret)
		return ret;
	return 0;
}

void machine_shutdown(struct vmsim_machine *m)
{
	phys_finish(&m->pm);
	host_arena_finish(&m->ha);
}

struct vmsim_machine *vmsim_machine_create(const char *config, const char *const *sets,
					   struct vmsim_error *err)
{
	struct vmsim_machine *m = host_zalloc(NULL, sizeof(*m));

	if (!m) {
		verr(err, -ENOMEM, "out of host memory");
		return NULL;
	}
	if (machine_load_config(&m->cfg, config, sets, err) || machine_boot(m, err)) {
		host_free(NULL, m, sizeof(*m));
		return NULL;
	}
	return m;
}

void vmsim_machine_destroy(struct vmsim_machine *m)
{
	if (!m)
		return;
	machine_shutdown(m);
	host_free(NULL, m, sizeof(*m));
}
