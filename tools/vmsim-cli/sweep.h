/*
 * The pieces of `vmsim-cli sweep` (cmd_sweep.c): running one job of a
 * sweep directory (sweep_job.c) and merging the jobs' reports into one
 * table (sweep_merge.c).  The directory's files are described in
 * cmd_sweep.c.
 */
#ifndef VMSIM_CLI_SWEEP_H
#define VMSIM_CLI_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util/outfile.h"
#include "util/strbuf.h"

struct cli;

/* A job being run: its report's outfile and where its stderr goes. */
struct sweep_job {
	uint64_t n;
	char err_path[4096];
	struct outfile out;
	char out_path[4096];
};

/* Start job @n of the sweep in @dir: this program (@self) run with the
 * job's argv in its directory, stdout to DIR/job-N.json (through @j's
 * outfile), stderr to DIR/job-N.err.  0 with *pid set, or 2 after the
 * message.  @j must stay where it is until sweep_job_finish(). */
int sweep_job_start(const char *dir, uint64_t n, const char *self, struct sweep_job *j,
		    pid_t *pid);
/* The job ended with wait() @status: its report is put in place when the
 * status is 0 or 1, else dropped and "job N failed: ..." said.  0, or 2. */
int sweep_job_finish(struct sweep_job *j, int status);

/* `sweep job DIR N` and `sweep merge DIR` (argv[0] is "job"/"merge"). */
int sweep_job_main(struct cli *c, int argc, char **argv);
int sweep_merge_main(struct cli *c, int argc, char **argv);
/* The table of @dir's jobs on @out: CSV, or JSON when c->json; with
 * @svg (or NULL) also the page faults against --frames per policy as an
 * SVG picture into that file.  0, or 2 after the message. */
int sweep_merge_dir(struct cli *c, const char *dir, FILE *out, const char *svg);

/* The whole of @path in *buf (NUL-terminated, host_free'd with *cap).  0
 * or a negative errno with "PATH: reason" in @err. */
struct vmsim_error;
int sweep_read_file(const char *path, char **buf, size_t *len, size_t *cap,
		    struct vmsim_error *err);

bool sweep_dir_empty(const char *dir);
/* Remove what a sweep of @nr_jobs jobs wrote into @dir, then @dir. */
void sweep_dir_remove(const char *dir, uint64_t nr_jobs);

#endif
