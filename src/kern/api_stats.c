/*
 * The public API of what a machine tells (include/vmsim/stats.h): the
 * statistics registry by name, the views into a caller's buffer, the event
 * stream to a callback, and the whole-machine check.
 * Invariant: each call renders through the same code as `vmsim-cli stats`,
 * `show` and `--trace-events`, so a name or a view means one thing.
 */
#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/stats.h"
#include "kern/task.h"
#include "kern/layout.h"
#include "kern/views.h"
#include "util/error.h"
#include "util/events.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "vmsim/stats.h"

struct stat_find {
	const char *name;
	uint64_t v;
};

static int stat_match(const char *name, uint64_t v, void *arg)
{
	struct stat_find *sf = arg;

	if (strcmp(name, sf->name))
		return 0;
	sf->v = v;
	return 1;
}

int vmsim_stat(struct vmsim_machine *m, const char *name, uint64_t *v)
{
	struct stat_find sf = { name, 0 };

	if (!m || !name || !v)
		return -EINVAL;
	if (!stats_foreach(m, stat_match, &sf))
		return -ENOENT;
	*v = sf.v;
	return 0;
}

int vmsim_stats_foreach(struct vmsim_machine *m, vmsim_stat_fn fn, void *arg)
{
	if (!m || !fn)
		return -EINVAL;
	return stats_foreach(m, fn, arg);
}

/* @sb's text into @buf as snprintf would; its length, or -ENOMEM. */
static long copy_out(struct strbuf *sb, char *buf, size_t size)
{
	long len = (long)sb->len;

	if (sb->oom)
		len = -ENOMEM;
	else if (size) {
		size_t n = sb->len < size - 1 ? sb->len : size - 1;

		memcpy(buf, sb_str(sb), n);
		buf[n] = '\0';
	}
	sb_free(sb);
	return len;
}

long vmsim_view(struct vmsim_machine *m, const char *name, const struct vmsim_view_opts *o,
		char *buf, size_t size, struct vmsim_error *err)
{
	struct view_args va = { 0 };
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (!m || !name || (!buf && size))
		return verr(err, -EINVAL, "view: no machine, name or buffer");
	if (o) {
		va.task = o->task;
		va.has_addr = o->has_addr != 0;
		va.addr = o->addr;
	}
	ret = view_render(m, name, &va, o && o->json, &sb);
	if (ret && sb.oom)
		ret = -ENOMEM;
	if (ret == -ENOENT && !sb.len)
		verr(err, ret, "no view '%s'", name);
	else if (ret)
		verr(err, ret, "%s: %s", name, sb.oom ? "out of host memory" : sb_str(&sb));
	if (ret) {
		sb_free(&sb);
		return ret;
	}
	return copy_out(&sb, buf, size);
}

long vmsim_view_svg(struct vmsim_machine *m, const char *name, char *buf, size_t size,
		    struct vmsim_error *err)
{
	struct strbuf sb = STRBUF_INIT;

	if (!m || !name || (!buf && size))
		return verr(err, -EINVAL, "view: no machine, name or buffer");
	if (strcmp(name, "layout") != 0)
		return verr(err, -ENOENT, "no picture of view '%s'", name);
	layout_svg(m, &sb);
	return copy_out(&sb, buf, size);
}

long vmsim_view_names(char *buf, size_t size)
{
	struct strbuf sb = STRBUF_INIT;

	if (!buf && size)
		return -EINVAL;
	view_names(&sb);
	return copy_out(&sb, buf, size);
}

int vmsim_events_subscribe(struct vmsim_machine *m, vmsim_event_fn fn, void *arg)
{
	if (!m)
		return -EINVAL;
	if (!fn) {
		machine_set_event_log(m, NULL);
		return 0;
	}
	if (!m->api_events) {
		m->api_events = host_zalloc(NULL, sizeof(*m->api_events));
		if (!m->api_events)
			return -ENOMEM;
	}
	m->api_events->fn = fn;
	m->api_events->fn_arg = arg;
	/* the task a CPU 0 event runs for, as context_switch() keeps it */
	m->api_events->task = m->current[0] ? task_name(m->current[0]) : NULL;
	machine_set_event_log(m, m->api_events);
	return 0;
}

int vmsim_machine_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	if (!m)
		return verr(err, -EINVAL, "no machine");
	return machine_check(m, err);
}
