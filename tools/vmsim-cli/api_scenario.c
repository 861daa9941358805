/*
 * vmsim_scenario_run() and vmsim_scenario_run_string()
 * (include/vmsim/replay.h): the scenario engine of scenario.c behind the
 * public API, with the options `vmsim-cli run` gives it.  Built into
 * libvmsim with the engine and its ops.
 */
#include <errno.h>
#include <string.h>

#include "scenario_run.h"
#include "util/error.h"
#include "vmsim/replay.h"

/* @o as the engine takes it; @ev the event log of o->events.  0, or
 * -EINVAL for reserved fields that are not zero. */
static int opts_of(const struct vmsim_scenario_opts *o, struct scenario_opts *so,
		   struct event_log *ev)
{
	memset(so, 0, sizeof(*so));
	if (!o)
		return 0;
	for (unsigned i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return -EINVAL;
	so->config = o->config;
	so->sets = o->sets;
	so->json = o->json != 0;
	so->check = o->check != 0;
	so->check_every = o->check_every;
	so->verbose = o->verbose != 0;
	if (o->events) {
		*ev = (struct event_log){ .fn = o->events, .fn_arg = o->events_arg };
		so->events = ev;
	}
	return 0;
}

static void result_of(const struct scenario_result *r, struct vmsim_scenario_result *res)
{
	if (res)
		*res = (struct vmsim_scenario_result){ r->steps_run, r->checked, r->failed };
}

/* The scenario @name, read from @yaml when given, else from the file. */
static int run(const char *name, const char *yaml, const struct vmsim_scenario_opts *o,
	       FILE *out, struct vmsim_scenario_result *res, struct vmsim_error *err)
{
	struct scenario_opts so;
	struct scenario_result r = { 0 };
	struct event_log ev;
	int ret;

	if (opts_of(o, &so, &ev))
		return verr(err, -EINVAL, "scenario: reserved options are not zero");
	ret = yaml ? scenario_run_string(name, yaml, &so, out, err, &r)
		   : scenario_run(name, &so, out, err, &r);
	result_of(&r, res);
	return ret;
}

int vmsim_scenario_run(const char *path, const struct vmsim_scenario_opts *o, FILE *out,
		       struct vmsim_scenario_result *res, struct vmsim_error *err)
{
	if (!path || !out)
		return verr(err, -EINVAL, "scenario: no file or no output");
	return run(path, NULL, o, out, res, err);
}

int vmsim_scenario_run_string(const char *name, const char *yaml,
			      const struct vmsim_scenario_opts *o, FILE *out,
			      struct vmsim_scenario_result *res, struct vmsim_error *err)
{
	if (!yaml || !out)
		return verr(err, -EINVAL, "scenario: no text or no output");
	return run(name ? name : "<scenario>", yaml, o, out, res, err);
}
