/*
 * An output file written safely.  The bytes go to a temporary file in the
 * target's directory (so the same file system) and replace the target by
 * rename() only when every write, the flush, fsync and close succeeded; a
 * failure removes the temporary and leaves the target as it was.  A target
 * that exists and is not a regular file (/dev/null, /dev/full, a FIFO) is
 * written in place: it cannot be replaced, and writing it destroys nothing.
 * A target that is one of the run's input files is refused before anything
 * is created, so `convert-trace T T` cannot eat T.
 *
 * Invariant: the target holds either its old contents or the complete new
 * ones, never a part; the temporaries alive are known to
 * outfile_unlink_temps(), which a fatal-signal handler calls.
 */
#ifndef VMSIM_UTIL_OUTFILE_H
#define VMSIM_UTIL_OUTFILE_H

#include <limits.h>
#include <stdio.h>

#include "vmsim/error.h"

/* An open outfile must stay where it is (its stream points back to it). */
struct outfile {
	FILE *f;		/* write here; NULL when closed */
	int fd;
	int werr;		/* errno of the first failed write, 0 if none */
	const char *path;	/* the target as the user named it (messages) */
	char dest[PATH_MAX];	/* what the temporary replaces: the target, or
				 * the file its symbolic link names */
	char tmp[PATH_MAX];	/* the temporary; "" when writing in place */
};

/*
 * Open @path for writing.  @inputs: NULL-ended paths ("-" is standard
 * input) the output must not be; NULL for none.  0, or a negative errno
 * with "PATH: reason" in @err: -EINVAL (an input), -EISDIR, or what
 * creating the temporary returned (-ENOENT for a missing directory).
 * @path must outlive the outfile.
 */
int outfile_open(struct outfile *o, const char *path, const char *const *inputs,
		 struct vmsim_error *err);

/* A stream over the open descriptor @fd, written in place (standard
 * output), so its writes are checked by the same commit; @name stands for
 * the path in messages.  0, or a negative errno in @err. */
int outfile_fdopen(struct outfile *o, int fd, const char *name, struct vmsim_error *err);

/* Flush, check for any write error, sync, close and rename into place.
 * 0, or a negative errno with "PATH: reason" in @err; either way the
 * outfile is closed and no temporary is left. */
int outfile_commit(struct outfile *o, struct vmsim_error *err);

/* Close and remove the temporary, keeping the target as it was.  Accepts a
 * closed outfile. */
void outfile_abort(struct outfile *o);

/* Remove every live temporary.  Async-signal-safe: for a handler that then
 * lets the signal kill the process. */
void outfile_unlink_temps(void);

#endif
