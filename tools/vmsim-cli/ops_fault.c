/*
 * Scenario ops of a running task (see scenario.h):
 *   read   { task, addr, size }          value: the bytes read (little endian)
 *   write  { task, addr, size, value }
 *   fetch  { task, addr }                an instruction fetch of one byte
 *   touch  { task, addr, length, stride, access }   value: page faults taken
 *   fork   { task, child, share_vm }     value: the child's pid
 *   switch { task, cpu }
 *   exit   { task }
 * Accesses run on CPU 0 as the task (switching to it first), translate,
 * fault and retry like the CPU; a SIGSEGV is the outcome OUT_SEGV with
 * segv_code 1 (SEGV_MAPERR) or 2 (SEGV_ACCERR), a SIGBUS (a file page past
 * its end) OUT_SIGBUS.  Invariant: the bytes a
 * task reads are those in simulated RAM behind its translation; nothing
 * here touches page tables or frames except through task_access(),
 * do_fork(), do_exit() and context_switch().
 */
#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "scenario.h"

static int arg_task(struct scn *s, struct scn_step *st, struct task_struct **t)
{
	return scn_arg_task(s, st, "task", true, t);
}

/* Turn an access result into the step's outcome (0: stop there).  A task
 * the OOM killer chose stops; the core makes the outcome `killed`.  An
 * -ENOMEM that reaches here is an allocation nothing could be found for. */
static int access_outcome(struct scn_step *st, int ret, const struct access_result *r)
{
	if (r->killed) {
		st->out.kind = OUT_NONE;
		return 0;
	}
	if (ret) {
		st->out.kind = OUT_ERROR;
		st->out.err = ret;
		return 0;
	}
	if (r->segv) {
		st->out.kind = OUT_SEGV;
		st->out.segv_code = r->segv;
		st->out.value = r->segv_addr;
		return 0;
	}
	if (r->sigbus) {
		st->out.kind = OUT_SIGBUS;
		st->out.value = r->segv_addr;
		return 0;
	}
	return 1;
}

/* A step that moves bytes, on a machine that keeps none: refused. */
static int needs_contents(struct scn *s, struct scn_step *st, const struct task_struct *t)
{
	if (t->mm->vm->cfg->contents)
		return 0;
	return scn_bad(s, st, NULL, "the bytes it moves are page contents, and this machine "
		       "keeps none (memory.contents: none)");
}

static int arg_size(struct scn *s, struct scn_step *st, uint64_t *size)
{
	int ret = scn_arg_u64(s, st, "size", false, size);

	if (ret < 0)
		return ret;
	if (ret == 1)
		*size = 8;
	if (*size < 1 || *size > 8)
		return scn_bad(s, st, scn_arg(st, "size"), "size: 1 to 8 bytes");
	return 0;
}

static const char *const read_keys[] = { "task", "addr", "size", NULL };

static int op_read(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	struct access_result r;
	uint64_t addr, size;
	uint8_t buf[8] = { 0 };
	int ret;

	if ((ret = arg_task(s, st, &t)) || (ret = scn_arg_u64(s, st, "addr", true, &addr)) ||
	    (ret = arg_size(s, st, &size)) || (ret = needs_contents(s, st, t)))
		return ret < 0 ? ret : -EINVAL;
	ret = task_access(t, addr, MMU_READ, buf, (size_t)size, &r);
	if (access_outcome(st, ret, &r)) {
		uint64_t v = 0;

		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)buf[i] << (8 * i);
		st->out.kind = OUT_VALUE;
		st->out.value = v;
	}
	return 0;
}

static const char *const write_keys[] = { "task", "addr", "size", "value", NULL };

static int op_write(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	struct access_result r;
	uint64_t addr, size, value;
	uint8_t buf[8];
	int ret;

	if ((ret = arg_task(s, st, &t)) || (ret = scn_arg_u64(s, st, "addr", true, &addr)) ||
	    (ret = arg_size(s, st, &size)) || (ret = scn_arg_u64(s, st, "value", true, &value)) ||
	    (ret = needs_contents(s, st, t)))
		return ret < 0 ? ret : -EINVAL;
	for (unsigned i = 0; i < 8; i++)
		buf[i] = (uint8_t)(value >> (8 * i));
	ret = task_access(t, addr, MMU_WRITE, buf, (size_t)size, &r);
	if (access_outcome(st, ret, &r))
		st->out.kind = OUT_NONE;
	return 0;
}

static const char *const fetch_keys[] = { "task", "addr", NULL };

static int op_fetch(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	struct access_result r;
	uint64_t addr;
	uint8_t b;
	int ret;

	if ((ret = arg_task(s, st, &t)) || (ret = scn_arg_u64(s, st, "addr", true, &addr)))
		return ret < 0 ? ret : -EINVAL;
	/* the byte is not shown: a machine without contents fetches none */
	ret = task_access(t, addr, MMU_FETCH, t->mm->vm->cfg->contents ? &b : NULL, 1, &r);
	if (access_outcome(st, ret, &r))
		st->out.kind = OUT_NONE;
	return 0;
}

static const char *const touch_keys[] = { "task", "addr", "length", "stride", "access", "value",
					   NULL };

static int op_touch(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	struct access_result r;
	uint64_t addr, len, stride = 4096, faults = 0, value = 0;
	const char *acc_name = "write";
	enum mmu_access acc;
	int ret, has_value;

	if ((ret = arg_task(s, st, &t)) || (ret = scn_arg_u64(s, st, "addr", true, &addr)) ||
	    (ret = scn_arg_u64(s, st, "length", true, &len)) ||
	    (ret = scn_arg_u64(s, st, "stride", false, &stride)) < 0 ||
	    (ret = scn_arg_str(s, st, "access", false, &acc_name)) < 0)
		return ret < 0 ? ret : -EINVAL;
	if ((has_value = scn_arg_u64(s, st, "value", false, &value)) < 0)
		return has_value;
	if (!strcmp(acc_name, "read"))
		acc = MMU_READ;
	else if (!strcmp(acc_name, "write"))
		acc = MMU_WRITE;
	else if (!strcmp(acc_name, "fetch"))
		acc = MMU_FETCH;
	else
		return scn_bad(s, st, scn_arg(st, "access"), "access: read, write or fetch");
	if (stride == 0)
		return scn_bad(s, st, scn_arg(st, "stride"), "stride must be at least 1");
	if (has_value == 0 && (acc != MMU_WRITE || stride < 8))
		return scn_bad(s, st, scn_arg(st, "value"), "value: only with access: write and a "
			       "stride of at least 8");
	for (uint64_t off = 0; off < len; off += stride) {
		/* a write is a read-modify-write storing what it finds, so
		 * touching never changes the memory's contents; with a value,
		 * it stores those 8 bytes at each address */
		uint8_t b = 0;

		if (has_value == 0)
			ret = task_access(t, addr + off, acc, &value, 8, &r);
		else
			ret = task_access(t, addr + off, acc,
					  acc == MMU_WRITE || !t->mm->vm->cfg->contents ? NULL : &b,
					  1, &r);
		if (!access_outcome(st, ret, &r))
			return 0;
		faults += r.faults;
	}
	st->out.kind = OUT_VALUE;
	st->out.value = faults;
	return 0;
}

static const char *const fork_keys[] = { "task", "child", "share_vm", NULL };

static int op_fork(struct scn *s, struct scn_step *st)
{
	struct task_struct *t, *c;
	const char *child;
	bool share = false;
	int ret;

	if ((ret = arg_task(s, st, &t)) || (ret = scn_arg_str(s, st, "child", true, &child)) ||
	    (ret = scn_arg_bool(s, st, "share_vm", &share)) < 0)
		return ret < 0 ? ret : -EINVAL;
	if (task_find(scn_machine(s), child))
		return scn_bad(s, st, scn_arg(st, "child"), "task '%s' exists already", child);
	ret = do_fork(t, child, share ? CLONE_VM : 0, &c);
	if (ret == -EINVAL)
		return scn_bad(s, st, scn_arg(st, "child"), "a task name up to 47 characters");
	if (ret) {
		st->out.kind = OUT_ERROR;
		st->out.err = ret;
		scn_note_lost(s, st, SCN_TASK, child);	/* later steps naming it are not run */
	} else {
		st->out.kind = OUT_VALUE;
		st->out.value = (uint64_t)c->pid;
	}
	return 0;
}

static const char *const switch_keys[] = { "task", "cpu", "idle", NULL };

/* switch { task, cpu } runs the task there; switch { idle: true, cpu }
 * leaves the CPU idle, its last mm kept in lazy TLB mode. */
static int op_switch(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	struct task_struct *t = NULL;
	uint64_t cpu = 0;
	bool idle = false;
	int ret;

	if ((ret = scn_arg_bool(s, st, "idle", &idle)) < 0)
		return ret;
	if (idle && scn_arg(st, "task"))
		return scn_bad(s, st, scn_arg(st, "task"), "switch to a task or idle, not both");
	if ((!idle && (ret = arg_task(s, st, &t))) ||
	    (ret = scn_arg_u64(s, st, "cpu", false, &cpu)) < 0)
		return ret < 0 ? ret : -EINVAL;
	if (cpu >= m->nr_cpus)
		return scn_bad(s, st, scn_arg(st, "cpu"), "cpu %llu: the machine has %u CPU(s)",
			       (unsigned long long)cpu, m->nr_cpus);
	if (idle)
		cpu_idle(m, (unsigned)cpu);
	else
		context_switch(m, (unsigned)cpu, t);
	st->out.kind = OUT_NONE;
	return 0;
}

static const char *const exit_keys[] = { "task", NULL };

static int op_exit(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	int ret;

	if ((ret = arg_task(s, st, &t)))
		return ret;
	/* its name now says that it exited, should a later step use it */
	scn_note_gone(s, st, SCN_TASK, task_name(t));
	do_exit(t);
	st->out.kind = OUT_NONE;
	return 0;
}

const struct scn_op scn_ops_fault[] = {
	{ "read", op_read, read_keys },
	{ "write", op_write, write_keys },
	{ "fetch", op_fetch, fetch_keys },
	{ "touch", op_touch, touch_keys },
	{ "fork", op_fork, fork_keys },
	{ "switch", op_switch, switch_keys },
	{ "exit", op_exit, exit_keys },
	{ NULL, NULL, NULL },
};
