/*
 * Output files written through a temporary and rename() (see outfile.h).
 * The temporary is ".NAME.XXXXXX" beside the file it replaces, created
 * with O_EXCL (never through a planted link) and mode 0666 so the umask
 * applies as it would to the file itself; a file it replaces keeps its
 * permission bits.  The stream is a cookie stream over the descriptor, so
 * the errno of a failed write is kept for the message even when the write
 * happened long before the commit.  Invariant: live[] lists every
 * temporary that exists.
 */
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"

#define MAX_LIVE 16
#define TMP_TRIES 100
/* room left in a name for ".", ".XXXXXX" within NAME_MAX (255) */
#define TMP_BASE_MAX 240

static const char *volatile live[MAX_LIVE];

static void live_add(const char *tmp)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (!live[i]) {
			live[i] = tmp;
			return;
		}
	/* more at once than a run opens: only the signal clean-up misses it */
}

static void live_remove(const char *tmp)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (live[i] == tmp)
			live[i] = NULL;
}

void outfile_unlink_temps(void)
{
	for (int i = 0; i < MAX_LIVE; i++) {
		const char *p = live[i];

		if (p)
			unlink(p);
	}
}

static int fail(struct outfile *o, struct vmsim_error *err, int e)
{
	return verr(err, -e, "%s: %s", o->path, strerror(e));
}

/* Is the existing regular file @st one of @inputs? */
static const char *which_input(const struct stat *st, const char *const *inputs)
{
	for (size_t i = 0; inputs && inputs[i]; i++) {
		struct stat in;
		int r = strcmp(inputs[i], "-") == 0 ? fstat(STDIN_FILENO, &in) : stat(inputs[i], &in);

		if (r == 0 && in.st_dev == st->st_dev && in.st_ino == st->st_ino)
			return inputs[i];
	}
	return NULL;
}

/* What was written; 0 on error (fopencookie(3): never negative, which
 * glibc's buffer arithmetic would take for a count). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	struct outfile *o = cookie;

	for (size_t done = 0; done < n;) {
		ssize_t w = write(o->fd, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!o->werr)
				o->werr = w < 0 ? errno : EIO;
			return 0;
		}
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static int cookie_close(void *cookie)
{
	struct outfile *o = cookie;
	int ret = close(o->fd);

	if (ret && !o->werr)
		o->werr = errno;
	o->fd = -1;
	return ret;
}

/* The stream over o->fd; on failure o->fd is closed and the errno returned. */
static int open_stream(struct outfile *o)
{
	static const cookie_io_functions_t io = { .write = cookie_write, .close = cookie_close };

	o->werr = 0;
	o->f = fopencookie(o, "w", io);
	if (!o->f) {
		int e = errno;

		close(o->fd);
		o->fd = -1;
		return e;
	}
	return 0;
}

static int open_in_place(struct outfile *o, struct vmsim_error *err)
{
	int e;

	o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o->fd < 0)
		return fail(o, err, errno);
	e = open_stream(o);
	return e ? fail(o, err, e) : 0;
}

/* Six letters that differ between processes and between calls. */
static void tmp_suffix(char *x)
{
	static uint64_t calls;
	struct timespec ts;
	uint64_t v;

	clock_gettime(CLOCK_REALTIME, &ts);
	v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 40) ^
	    ++calls * 0x9e3779b97f4a7c15ULL;
	v ^= v >> 31;
	v *= 0xbf58476d1ce4e5b9ULL;
	v ^= v >> 27;
	for (int i = 0; i < 6; i++, v /= 52)
		x[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[v % 52];
}

static int create_temp(struct outfile *o, const struct stat *old, struct vmsim_error *err)
{
	const char *slash = strrchr(o->dest, '/');
	const char *base = slash ? slash + 1 : o->dest;
	int dirlen = slash ? (int)(slash - o->dest) + 1 : 0;
	int baselen = (int)strlen(base) > TMP_BASE_MAX ? TMP_BASE_MAX : (int)strlen(base);
	int n, e, fd = -1;

	n = snprintf(o->tmp, sizeof(o->tmp), "%.*s.%.*s.XXXXXX", dirlen, o->dest, baselen, base);
	if (n < 0 || (size_t)n >= sizeof(o->tmp)) {
		o->tmp[0] = '\0';
		return fail(o, err, ENAMETOOLONG);
	}
	for (int i = 0; i < TMP_TRIES && fd < 0; i++) {
		tmp_suffix(o->tmp + n - 6);
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		e = errno;
		o->tmp[0] = '\0';
		return fail(o, err, e);
	}
	live_add(o->tmp);
	if (old)
		(void)fchmod(fd, old->st_mode & 07777);	/* best effort, as editors do */
	o->fd = fd;
	e = open_stream(o);
	if (e) {
		outfile_abort(o);
		return fail(o, err, e);
	}
	return 0;
}

int outfile_open(struct outfile *o, const char *path, const char *const *inputs,
		 struct vmsim_error *err)
{
	struct stat st, lst;
	bool exists;
	const char *in;

	o->f = NULL;
	o->fd = -1;
	o->werr = 0;
	o->path = path;
	o->dest[0] = o->tmp[0] = '\0';
	if (!path[0])
		return verr(err, -ENOENT, "an output file needs a name");
	exists = stat(path, &st) == 0;
	if (!exists && errno != ENOENT)
		return fail(o, err, errno);
	if (exists && S_ISDIR(st.st_mode))
		return fail(o, err, EISDIR);
	if (exists && !S_ISREG(st.st_mode))
		return open_in_place(o, err);
	if (exists && (in = which_input(&st, inputs)))
		return verr(err, -EINVAL, "%s: is the input file %s; name another output", path,
			    in);
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		/* replace the file the link names, not the link; a dangling
		 * link is followed by creating its target, in place */
		if (!exists)
			return open_in_place(o, err);
		if (!realpath(path, o->dest))
			return fail(o, err, errno);
	} else if (strlen(path) >= sizeof(o->dest)) {
		return fail(o, err, ENAMETOOLONG);
	} else {
		strcpy(o->dest, path);
	}
	return create_temp(o, exists ? &st : NULL, err);
}

int outfile_fdopen(struct outfile *o, int fd, const char *name, struct vmsim_error *err)
{
	int e;

	o->path = name;
	o->dest[0] = o->tmp[0] = '\0';
	o->fd = fd;
	e = open_stream(o);
	return e ? fail(o, err, e) : 0;
}

int outfile_commit(struct outfile *o, struct vmsim_error *err)
{
	int e = 0;

	if (!o->f)
		return 0;
	if (fflush(o->f) == EOF || ferror(o->f))
		e = o->werr ? o->werr : EIO;
	else if (o->tmp[0] && fsync(o->fd) != 0)
		e = errno;
	if (fclose(o->f) == EOF && !e)
		e = o->werr ? o->werr : EIO;
	o->f = NULL;
	if (!e && o->tmp[0] && rename(o->tmp, o->dest) != 0)
		e = errno;
	if (o->tmp[0]) {
		if (e)
			unlink(o->tmp);
		live_remove(o->tmp);
		o->tmp[0] = '\0';
	}
	return e ? fail(o, err, e) : 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp[0]) {
		unlink(o->tmp);
		live_remove(o->tmp);
		o->tmp[0] = '\0';
	}
}
