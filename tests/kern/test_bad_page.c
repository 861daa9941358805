/*
 * bad_page() reports reach the user: the machine prints each one on stderr
 * as one line naming the running task (current->comm), as the kernel
 * prints it on its console, logs a bad_page event and counts it; the page
 * is left as it was.  stderr and the event log are captured in files.
 */
#include "kern_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kern/task.h"
#include "util/events.h"

/* Run @fn with stderr going to a file; return what it wrote (static). */
static const char *capture_stderr(void (*fn)(void *), void *arg)
{
	static char buf[2048];
	FILE *f = tmpfile();
	int saved;
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), 2) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct bad_free {
	struct vmsim_machine *m;
	struct page *page;
	unsigned order;
};

static void do_bad_free(void *arg)
{
	struct bad_free *b = arg;

	__free_pages(&b->m->pm, b->page, b->order);
}

static void test_bad_page_reaches_stderr_and_event_log(void **state)
{
	struct vmsim_machine *m = boot("x86_64");
	struct spawn_args sa = { 0 };
	struct event_log ev = { .f = tmpfile() };
	struct task_struct *t;
	struct bad_free b = { .m = m, .order = 1 };
	const char *out;
	char want[160], log[1024];
	size_t n;

	(void)state;
	assert_non_null(ev.f);
	assert_int_equal(task_spawn(m, "a", &sa, &t), 0);
	b.page = alloc_pages(&m->pm, GFP_KERNEL, 2);
	assert_non_null(b.page);

	/* no task running: the idle task */
	out = capture_stderr(do_bad_free, &b);
	snprintf(want, sizeof(want), "BUG: Bad page state in process swapper/0  pfn:%05lx: page: ",
		 page_to_pfn(&m->pm, b.page));
	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("stderr: \"%s\"", out);
	assert_non_null(strstr(out, "page dumped because: free of order 1: the block was "
				    "allocated at order 2\n"));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));	/* one line */

	/* a task running on the CPU: its comm, and an event */
	machine_set_event_log(m, &ev);
	context_switch(m, 0, t);
	out = capture_stderr(do_bad_free, &b);
	assert_non_null(strstr(out, "BUG: Bad page state in process a  pfn:"));
	machine_set_event_log(m, NULL);
	rewind(ev.f);
	n = fread(log, 1, sizeof(log) - 1, ev.f);
	log[n] = '\0';
	snprintf(want, sizeof(want), "bad_page task=a pfn=%#lx reason=\"free of order 1: ",
		 page_to_pfn(&m->pm, b.page));
	if (!strstr(log, want))
		fail_msg("event log: \"%s\"", log);
	fclose(ev.f);

	assert_int_equal(m->pm.vmstat.bad_page, 2);
	assert_int_equal(page_ref_count(b.page), 1);	/* left as it was */
	check(m);
	__free_pages(&m->pm, b.page, 2);
	check(m);
	vmsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_page_reaches_stderr_and_event_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
