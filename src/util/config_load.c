/*
 * Reading machine configs: YAML files, --set KEY=VALUE and scenario `set:`
 * maps, then validation.  (Initial skeleton: built-ins only; the full
 * reader and validator replace this.)
 */
#include "util/config.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

int config_finalize(struct vmsim_config *c, struct vmsim_error *err)
{
	config_derive(c);
	return 0;
}

int config_builtin(struct vmsim_config *c, const char *name, struct vmsim_error *err)
{
	if (strcmp(name, "x86_64") == 0)
		config_defaults(c, ARCH_X86_64);
	else if (strcmp(name, "x86_32") == 0)
		config_defaults(c, ARCH_X86_32);
	else
		return verr(err, -ENOENT, "unknown built-in machine '%s' (x86_32, x86_64)", name);
	return config_finalize(c, err);
}

/* Placeholders until the reader lands (owned by the config work). */
int config_load_file(struct vmsim_config *c, const char *path, struct vmsim_error *err)
{
	return verr(err, -ENOSYS, "%s: config files are not read yet", path);
}

int config_apply_yaml(struct vmsim_config *c, const struct ynode *map,
		      const char *file, struct vmsim_error *err)
{
	return verr(err, -ENOSYS, "%s: config overrides are not read yet", file);
}

int config_set(struct vmsim_config *c, const char *key, const char *value,
	       const char *file, int line, int col, struct vmsim_error *err)
{
	return verr(err, -ENOSYS, "--set is not read yet");
}
