/*
 * The host-kernel oracle's pieces (exec_oracle.c, oracle_trace.c,
 * oracle_mm.c): what the tracer reads of a stopped tracee.  Every
 * function reads the host kernel's own files (/proc/TID/...) or the
 * tracee's memory; nothing is computed.  A failure to read is fatal
 * (exit 1): a partial answer would be compared as if it were whole.
 */
#ifndef VMSIM_TESTS_ORACLE_H
#define VMSIM_TESTS_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Print each line of /proc/@tid/@what as "@prefix LINE" (trailing blanks cut). */
void oracle_print_file_lines(pid_t tid, const char *what, const char *prefix);

/* The anonymous pages of a process that are present, by kind: what the
 * tracee's own stores and loads left in its page tables. */
enum page_kind { PAGE_ABSENT, PAGE_READ, PAGE_WRITTEN };

struct resident {
	uint64_t *addr;		/* page addresses, ascending */
	unsigned char *kind;	/* enum page_kind of each */
	size_t n, cap;
};

/*
 * Read /proc/@tid/pagemap over every private VMA that is not PROT_NONE
 * and not a special mapping ([vdso], [vvar], ...; [heap] and [stack]
 * are read): a present page that is not a page-cache page is WRITTEN
 * when the task maps it exclusively (a private anonymous page: a store
 * made it), READ otherwise (the shared zero page: a load made it).
 */
void resident_read(pid_t tid, struct resident *r);
/* Print "touch ADDR NPAGES w|r" for each run of pages that @now has and
 * @before had not (or had only READ where @now has WRITTEN). */
void resident_print_touches(const struct resident *before, const struct resident *now);
void resident_free(struct resident *r);

/*
 * The shape of the address space: "vma [FLAGS] MAPS-LINE" per VMA, FLAGS
 * being its smaps VmFlags.  Printed after "@header N" when it differs from
 * @last (or always, for @always), else "@header same"; @last is updated.
 */
struct vma_state {
	char *text;
	size_t len, cap;
	unsigned n;
};
void vma_state_print(pid_t tid, const char *header, struct vma_state *last, int always);

/* mincore's vector, read from the tracee: "vec" and one hex digit per
 * page (or "vec -" when it is too long to print). */
void print_mincore_vec(pid_t tid, uint64_t vec, uint64_t len);

/* Run the tracee, stopped at its exec event, to its end (oracle_trace.c):
 * 0, or 1 when ptrace failed. */
int oracle_trace(pid_t pid);

#endif
