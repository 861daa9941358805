/*
 * mmap, a page fault and a SIGSEGV, step by step through libvmsim: spawn a
 * task, map two pages, look at the walk of an address nothing maps yet,
 * write to it (demand paging fills the page table), walk again, make the
 * page read-only and watch the next write fail with SEGV_ACCERR.
 *
 * Build against an installed vmsim:
 *     cc mmap_fault.c $(pkg-config --cflags --libs vmsim) -o mmap_fault
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vmsim/vmsim.h>

static void print_level(const struct vmsim_walk_level *lv, void *arg)
{
	(void)arg;
	printf("    %-3s [%3u] entry @%#" PRIx64 " = %016" PRIx64 "  %s\n", lv->name, lv->index,
	       lv->entry_addr, lv->entry, lv->flags[0] ? lv->flags : "(not present)");
}

/* A user write to @va walked level by level, then its outcome. */
static void explain(struct vmsim_machine *m, struct vmsim_task *t, uint64_t va)
{
	struct vmsim_translate_opts o = { .access = VMSIM_WRITE, .mode = VMSIM_MODE_USER,
					  .walk = print_level };
	struct vmsim_translation r;

	printf("  translate user write %#" PRIx64 ":\n", va);
	if (vmsim_translate(m, t, va, &o, &r) == 0)
		printf("  -> pa %#" PRIx64 " (a %u KiB page)\n", r.pa, (1u << r.page_shift) / 1024);
	else
		printf("  -> page fault, error code %#x at the %s\n", r.error_code, r.fault_level);
}

int main(void)
{
	const char *sets[] = { "memory.size=128MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct vmsim_task *t;
	struct vmsim_outcome o;
	uint64_t addr, word = 0x1122334455667788ULL, back = 0;
	int ret;

	if (!m) {
		fprintf(stderr, "mmap_fault: %s\n", err.msg);
		return 2;
	}
	if ((ret = vmsim_task_spawn(m, "demo", NULL, &t)) ||
	    (ret = vmsim_mmap(t, 0, 8192, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
			      VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &addr))) {
		fprintf(stderr, "mmap_fault: %s\n", strerror(-ret));
		vmsim_machine_destroy(m);
		return 2;
	}
	printf("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS) = %#" PRIx64 "\n",
	       addr);
	printf("1. nothing is mapped yet: the walk stops early\n");
	explain(m, t, addr);

	printf("2. write 8 bytes: the fault handler maps a zeroed page\n");
	ret = vmsim_write(t, addr, &word, sizeof(word), &o);
	printf("  write: %s, %u page fault(s)\n", ret ? strerror(-ret) : "ok", o.faults);
	explain(m, t, addr);
	if (vmsim_read(t, addr, &back, sizeof(back), NULL) || back != word) {
		fprintf(stderr, "mmap_fault: the bytes did not come back\n");
		vmsim_machine_destroy(m);
		return 1;
	}
	printf("  read back %#" PRIx64 "\n", back);

	printf("3. mprotect(PROT_READ), then write again\n");
	vmsim_mprotect(t, addr, 8192, VMSIM_PROT_READ);
	ret = vmsim_write(t, addr, &word, sizeof(word), &o);
	printf("  write: %s, signal %d si_code %d (SEGV_ACCERR) at %#" PRIx64 "\n",
	       ret ? strerror(-ret) : "ok", o.signal, o.si_code, o.addr);
	vmsim_machine_destroy(m);
	return o.si_code == 2 ? 0 : 1;
}
