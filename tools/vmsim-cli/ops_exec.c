/*
 * Scenario ops of exec and the page cache (see scenario.h):
 *   exec  { task, path, argv, env, sysroot, stack_rlimit }   value: the entry ip
 *         path (and sysroot) relative to the scenario's directory unless
 *         absolute, or an in-memory file of that name (a "#!" script's
 *         interpreter too); argv defaults to [path], env to [].  A file
 *         that cannot be executed is an outcome ({ error: ENOEXEC }), not
 *         bad scenario text, so a scenario can expect it.
 *   file  { name, size, contents }   an in-memory file of @size bytes that
 *         starts with @contents (the rest reads as zeros); mmap's `file:`
 *         finds it by name before looking on the host.
 * Invariant: a failed exec leaves the task as it was (kern/exec.c), so the
 * steps after it see the old address space.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "scenario.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vmsim/task.h"

#define MAX_STRINGS 128

/* @key's path resolved against the scenario's directory. */
static void scn_path(struct scn *s, const char *p, char *out, size_t n)
{
	if (p[0] == '/' || !scn_dir(s) || !scn_dir(s)[0])
		snprintf(out, n, "%s", p);
	else
		snprintf(out, n, "%s/%s", scn_dir(s), p);
}

int scn_file(struct scn *s, struct scn_step *st, const char *key, struct file **f)
{
	struct page_cache *pc = machine_page_cache(&scn_machine(s)->vm);
	struct vmsim_error err = { 0 };
	const char *name;
	char host[PATH_MAX];
	struct file *found;
	int ret = scn_arg_str(s, st, key, true, &name);

	*f = NULL;
	if (ret)
		return ret < 0 ? ret : -EINVAL;
	if (!pc)
		return -ENOMEM;
	found = filemap_lookup(pc, name);
	if (found) {
		*f = get_file(found);
		return 0;
	}
	scn_path(s, name, host, sizeof(host));
	if (filemap_open(pc, host, NULL, f, &err))
		return scn_bad(s, st, scn_arg(st, key), "%s", err.msg);
	return 0;
}

/* A list of strings (argv, env). */
static int arg_strings(struct scn *s, struct scn_step *st, const char *key, const char **v,
		       int *n)
{
	const struct ynode *l = scn_arg(st, key);

	*n = 0;
	if (!l)
		return 1;
	if (l->type != YNODE_SEQ)
		return scn_bad(s, st, l, "%s: a list of strings, like [hello, world]", key);
	if (l->n > MAX_STRINGS)
		return scn_bad(s, st, l, "%s: at most %d strings", key, MAX_STRINGS);
	for (size_t i = 0; i < l->n; i++) {
		if (l->items[i]->type != YNODE_SCALAR)
			return scn_bad(s, st, l->items[i], "%s: each item a string", key);
		v[(*n)++] = l->items[i]->scalar;
	}
	return 0;
}

static const char *const exec_keys[] = { "task", "path", "argv", "env", "sysroot",
					  "stack_rlimit", NULL };

static int op_exec(struct scn *s, struct scn_step *st)
{
	const char *argv[MAX_STRINGS + 1], *envp[MAX_STRINGS + 1], *path, *sysroot = NULL;
	char host[PATH_MAX], root[PATH_MAX];
	struct vmsim_exec_opts o = { 0 };
	struct vmsim_exec_info info;
	struct vmsim_error err = { 0 };
	struct task_struct *t;
	uint64_t rlimit = 0;
	int ret, argc, envc;

	if ((ret = scn_arg_task(s, st, "task", true, &t)) ||
	    (ret = scn_arg_str(s, st, "path", true, &path)) ||
	    (ret = scn_arg_str(s, st, "sysroot", false, &sysroot)) < 0)
		return ret < 0 ? ret : -EINVAL;
	{
		const struct ynode *rl = scn_arg(st, "stack_rlimit");

		if (rl && rl->type == YNODE_SCALAR && strcmp(rl->scalar, "unlimited") == 0)
			rlimit = VMSIM_UNLIMITED;
		else if ((ret = scn_arg_u64(s, st, "stack_rlimit", false, &rlimit)) < 0)
			return ret;
	}
	if ((ret = arg_strings(s, st, "argv", argv, &argc)) < 0 ||
	    (ret = arg_strings(s, st, "env", envp, &envc)) < 0)
		return ret;
	argv[argc] = NULL;
	envp[envc] = NULL;
	scn_path(s, path, host, sizeof(host));
	if (sysroot) {
		scn_path(s, sysroot, root, sizeof(root));
		if (path[0] == '/')
			snprintf(host, sizeof(host), "%s%s", root, path);
	}
	/* a file the scenario declared is found by its name (vmsim_task_exec) */
	o.path = path;
	o.host_path = host;
	o.sysroot = sysroot ? root : NULL;
	o.argv = scn_arg(st, "argv") ? argv : NULL;	/* NULL: [path] */
	o.envp = envp;
	o.stack_rlimit = rlimit;			/* 0: the config's */
	ret = vmsim_task_exec((struct vmsim_task *)t, &o, &info, &err);
	if (ret) {
		st->out.kind = OUT_ERROR;
		st->out.err = ret;
		/* the reason goes with the errno on the step's stderr line */
		snprintf(st->why, sizeof(st->why), "%.*s", (int)sizeof(st->why) - 1, err.msg);
		return 0;
	}
	st->out.kind = OUT_VALUE;
	st->out.value = info.ip;
	return 0;
}

static const char *const file_keys[] = { "name", "size", "contents", NULL };

static int op_file(struct scn *s, struct scn_step *st)
{
	struct page_cache *pc = machine_page_cache(&scn_machine(s)->vm);
	struct vmsim_error err = { 0 };
	const char *name, *contents = "";
	uint64_t size;
	struct file *f;
	int ret;

	if ((ret = scn_arg_str(s, st, "name", true, &name)) ||
	    (ret = scn_arg_str(s, st, "contents", false, &contents)) < 0)
		return ret < 0 ? ret : -EINVAL;
	if (scn_arg(st, "size")) {
		if ((ret = scn_arg_u64(s, st, "size", true, &size)))
			return ret < 0 ? ret : -EINVAL;
	} else {
		size = strlen(contents);
	}
	if (!pc)
		return -ENOMEM;
	if (filemap_create(pc, name, contents, strlen(contents), size, &f, &err))
		return scn_bad(s, st, st->args, "file: %s", err.msg);
	/* the scenario holds it until the machine goes: a file stays cached
	 * (and nameable) when nothing maps it */
	(void)f;
	st->out.kind = OUT_VALUE;
	st->out.value = size;
	return 0;
}

const struct scn_op scn_ops_exec[] = {
	{ "exec", op_exec, exec_keys },
	{ "file", op_file, file_keys },
	{ NULL, NULL, NULL },
};
