/*
 * `vmsim-cli sweep merge DIR`: the jobs' replay reports as one table, a
 * row per job in job order.  The left columns are jobs.tsv's (job, trace,
 * one per axis); then every scalar of the reports under its dotted JSON
 * path, in the order the reports first show them (arrays, the interval
 * rows, are no columns).  CSV (RFC 4180) by default, with --json an array
 * of one object per row whose numbers stay numbers.
 *
 * Invariant: the table comes out only when every job's report was there
 * and parsed; otherwise one line names the first job that is missing or
 * bad, and the exit status is 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sweep.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/json.h"
#include "util/json_flat.h"
#include "util/strbuf.h"
#include "util/svg.h"

/* A growable list of strings, each with a column and a kind: the
 * columns' names, or one row's cells. */
struct cell_info {
	size_t off;			/* where its text starts in text */
	unsigned col;
	enum json_kind kind;
};

struct cells {
	struct strbuf text;		/* the strings, each NUL-ended */
	struct cell_info *c;
	size_t n, cap;
	bool oom;
};

static void cells_free(struct cells *c)
{
	sb_free(&c->text);
	host_free(NULL, c->c, c->cap * sizeof(*c->c));
	memset(c, 0, sizeof(*c));
}

static void cells_add(struct cells *c, const char *s, size_t len, unsigned col,
		      enum json_kind kind)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct cell_info *ni = host_realloc(NULL, c->c, c->cap * sizeof(*ni),
						    nc * sizeof(*ni));

		if (!ni) {
			c->oom = true;
			return;
		}
		c->c = ni;
		c->cap = nc;
	}
	c->c[c->n] = (struct cell_info){ c->text.len, col, kind };
	sb_add(&c->text, s, len);
	sb_putc(&c->text, '\0');
	c->oom |= c->text.oom;
	c->n++;
}

static const char *cell(const struct cells *c, size_t i)
{
	return c->text.buf + c->c[i].off;
}

struct merge {
	struct cells cols;		/* every column's name */
	unsigned nr_fixed;		/* jobs.tsv's columns come first */
	struct cells *row;		/* the row being filled */
};

static unsigned column(struct merge *m, const char *name)
{
	for (size_t i = 0; i < m->cols.n; i++)
		if (strcmp(cell(&m->cols, i), name) == 0)
			return (unsigned)i;
	cells_add(&m->cols, name, strlen(name), 0, JSON_STRING);
	return (unsigned)m->cols.n - 1;
}

static int on_scalar(void *ctx, const char *path, enum json_kind kind, const char *text)
{
	struct merge *m = ctx;
	unsigned col = column(m, path);

	if (col < m->nr_fixed)
		return 0;	/* "trace": the job's own column says it */
	cells_add(m->row, text, strlen(text), col, kind);
	return m->row->oom || m->cols.oom ? -ENOMEM : 0;
}

static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* A number's text as a JSON number of the same value. */
static void json_number_text(struct json_writer *jw, const char *t)
{
	const char *dot = strchr(t, '.');

	if (!dot && !strpbrk(t, "eE")) {
		if (*t == '-')
			json_i64(jw, strtoll(t, NULL, 10));
		else
			json_u64(jw, strtoull(t, NULL, 10));
	} else {
		json_double(jw, strtod(t, NULL), dot ? (int)strcspn(dot + 1, "eE") : 6);
	}
}

static void json_cell(struct json_writer *jw, enum json_kind kind, const char *t)
{
	switch (kind) {
	case JSON_NUMBER: json_number_text(jw, t); break;
	case JSON_TRUE: json_bool(jw, true); break;
	case JSON_FALSE: json_bool(jw, false); break;
	case JSON_NULL: json_null(jw); break;
	default: json_str(jw, t); break;
	}
}

/* Split jobs.tsv's line [p, end) at tabs into @out (as cells). */
static void split_tsv(struct cells *out, const char *p, const char *end)
{
	unsigned col = 0;

	for (;;) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *e = tab ? tab : end;

		cells_add(out, p, (size_t)(e - p), col++, JSON_STRING);
		if (!tab)
			return;
		p = tab + 1;
	}
}

static int print_table(struct cli *c, struct merge *m, struct cells *rows, size_t nr_rows,
		       FILE *out)
{
	if (c->json) {
		struct strbuf sb = STRBUF_INIT;
		struct json_writer jw;
		int ret;

		json_init_stream(&jw, &sb, out);
		json_array_begin(&jw);
		for (size_t r = 0; r < nr_rows; r++) {
			json_object_begin(&jw);
			for (size_t i = 0; i < rows[r].n; i++) {
				const char *name = cell(&m->cols, rows[r].c[i].col);

				json_key(&jw, name);
				if (rows[r].c[i].col == 0)	/* the job number */
					json_number_text(&jw, cell(&rows[r], i));
				else
					json_cell(&jw, rows[r].c[i].kind, cell(&rows[r], i));
			}
			json_object_end(&jw);
		}
		json_array_end(&jw);
		ret = json_finish(&jw);
		sb_free(&sb);
		if (!ret)
			fputc('\n', out);
		return ret ? 2 : 0;
	}
	for (size_t i = 0; i < m->cols.n; i++) {
		if (i)
			fputc(',', out);
		csv_field(out, cell(&m->cols, i));
	}
	fputc('\n', out);
	for (size_t r = 0; r < nr_rows; r++) {
		/* a report may lack a column another has: place cells by column */
		for (unsigned col = 0, k = 0; col < m->cols.n; col++) {
			if (col)
				fputc(',', out);
			for (k = 0; k < rows[r].n && rows[r].c[k].col != col; k++)
				;
			if (k < rows[r].n)
				csv_field(out, cell(&rows[r], k));
		}
		fputc('\n', out);
	}
	return 0;
}

/* The column named @name, or -1. */
static int find_column(const struct merge *m, const char *name)
{
	for (size_t i = 0; i < m->cols.n; i++)
		if (strcmp(cell(&m->cols, i), name) == 0)
			return (int)i;
	return -1;
}

/* Row @r's cell of column @col, or NULL. */
static const char *row_cell(const struct cells *r, int col)
{
	for (size_t k = 0; col >= 0 && k < r->n; k++)
		if (r->c[k].col == (unsigned)col)
			return cell(r, k);
	return NULL;
}

/*
 * --svg: replacement.faults against --frames, a line per policy (and per
 * trace when there are several), each line's points in frame order.
 * Rows without those cells (a job without --frames) are no points.  0, or
 * 2 after the message.
 */
static int plot_faults(struct cli *c, const struct merge *m, const struct cells *rows,
		       size_t nr_rows, const char *path)
{
	const int fcol = find_column(m, "--frames"), ycol = find_column(m, "replacement.faults");
	const int pcol = find_column(m, "--policy"), tcol = find_column(m, "trace");
	size_t *key = host_alloc(NULL, nr_rows * sizeof(*key));	/* each row's line */
	double *x = host_alloc(NULL, nr_rows * sizeof(*x)), *y = host_alloc(NULL, nr_rows * sizeof(*y));
	struct svg_series *ser = host_alloc(NULL, nr_rows * sizeof(*ser));
	struct strbuf names = STRBUF_INIT, sb = STRBUF_INIT;
	size_t *name_off = host_alloc(NULL, nr_rows * sizeof(*name_off));
	size_t nser = 0, npts = 0;
	bool many_traces = false;
	struct outfile o;
	int ret = 2;

	if (fcol < 0 || ycol < 0) {
		fprintf(stderr, "vmsim-cli: sweep: --svg draws page faults against --frames: the "
			"jobs have no --frames\n");
		goto out;
	}
	if (!key || !x || !y || !ser || !name_off)
		goto out;	/* out of host memory: main() says so */
	for (size_t r = 1; r < nr_rows && tcol >= 0; r++)
		many_traces |= strcmp(row_cell(&rows[r], tcol) ? row_cell(&rows[r], tcol) : "",
				      row_cell(&rows[0], tcol) ? row_cell(&rows[0], tcol) : "") != 0;
	/* each row's line: its policy (and trace), numbered in first-seen order */
	for (size_t r = 0; r < nr_rows; r++) {
		const char *pol = row_cell(&rows[r], pcol), *tr = row_cell(&rows[r], tcol);
		struct strbuf nm = STRBUF_INIT;
		size_t k;

		sb_printf(&nm, "%s%s%s", pol ? pol : "page faults", many_traces && tr ? " " : "",
			  many_traces && tr ? tr : "");
		for (k = 0; k < nser && strcmp(names.buf + name_off[k], sb_str(&nm)) != 0; k++)
			;
		if (k == nser) {
			name_off[nser++] = names.len;
			sb_add(&names, sb_str(&nm), nm.len);
			sb_putc(&names, '\0');
		}
		key[r] = k;
		sb_free(&nm);
	}
	if (names.oom)
		goto out;
	/* the points grouped by line, each line by frames (insertion: a
	 * sweep's rows come nearly sorted) */
	for (size_t k = 0; k < nser; k++) {
		size_t first = npts;

		for (size_t r = 0; r < nr_rows; r++) {
			const char *fx = row_cell(&rows[r], fcol), *fy = row_cell(&rows[r], ycol);
			size_t i;

			if (key[r] != k || !fx || !fy || !*fx || !*fy)
				continue;
			for (i = npts; i > first && x[i - 1] > strtod(fx, NULL); i--) {
				x[i] = x[i - 1];
				y[i] = y[i - 1];
			}
			x[i] = strtod(fx, NULL);
			y[i] = strtod(fy, NULL);
			npts++;
		}
		ser[k] = (struct svg_series){ names.buf + name_off[k], x + first, y + first,
					      npts - first };
	}
	svg_chart(&sb, &(struct svg_chart){ .title = "page faults against frames",
					    .xlabel = "frames", .ylabel = "page faults",
					    .series = ser, .nseries = nser });
	if (!sb.oom && !cli_output(c, &o, path)) {
		fputs(sb_str(&sb), o.f);
		ret = cli_output_commit(&o);
	}
out:
	sb_free(&sb);
	sb_free(&names);
	host_free(NULL, key, nr_rows * sizeof(*key));
	host_free(NULL, x, nr_rows * sizeof(*x));
	host_free(NULL, y, nr_rows * sizeof(*y));
	host_free(NULL, ser, nr_rows * sizeof(*ser));
	host_free(NULL, name_off, nr_rows * sizeof(*name_off));
	return ret;
}

int sweep_merge_dir(struct cli *c, const char *dir, FILE *out, const char *svg)
{
	struct vmsim_error err = { 0 };
	struct merge m = { 0 };
	struct cells *rows = NULL;
	size_t nr_rows = 0, len, cap, rows_cap = 0;
	char path[4096], *tsv;
	const char *p, *end;
	bool said = false;
	int ret;

	snprintf(path, sizeof(path), "%s/jobs.tsv", dir);
	ret = sweep_read_file(path, &tsv, &len, &cap, &err);
	if (ret) {
		fprintf(stderr, "vmsim-cli: sweep merge: %s%s\n", err.msg, ret == -ENOENT ?
			" (not a sweep's directory)" : "");
		return 2;
	}
	p = tsv;
	end = tsv + len;
	for (unsigned line = 1; p < end && !ret; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (line == 1) {
			struct cells hdr = { 0 };

			split_tsv(&hdr, p, e);
			for (size_t i = 0; i < hdr.n; i++)
				column(&m, cell(&hdr, i));
			m.nr_fixed = (unsigned)hdr.n;
			ret = hdr.oom || m.cols.oom ? -ENOMEM : 0;
			cells_free(&hdr);
		} else {
			char *json, *jend;
			size_t jlen, jcap;

			if (nr_rows == rows_cap) {
				size_t nc = rows_cap ? rows_cap * 2 : 16;
				struct cells *nr = host_realloc(NULL, rows, rows_cap * sizeof(*rows),
								nc * sizeof(*rows));

				if (!nr) {
					ret = -ENOMEM;
					break;
				}
				memset(nr + rows_cap, 0, (nc - rows_cap) * sizeof(*rows));
				rows = nr;
				rows_cap = nc;
			}
			m.row = &rows[nr_rows++];
			split_tsv(m.row, p, e);
			if (m.row->n != m.nr_fixed || strtoull(cell(m.row, 0), &jend, 10) != line - 1 ||
			    *jend) {
				ret = verr(&err, -EINVAL, "%s:%u: not a job's line", path, line);
				break;
			}
			snprintf(path, sizeof(path), "%s/job-%u.json", dir, line - 1);
			ret = sweep_read_file(path, &json, &jlen, &jcap, &err);
			if (ret == -ENOENT) {
				fprintf(stderr, "vmsim-cli: sweep merge: %s: missing: job %u did not "
					"complete (its errors, if any, are in job-%u.err)\n", path, line - 1,
					line - 1);
				said = true;
			}
			if (!ret) {
				ret = json_flatten(path, json, jlen, on_scalar, &m, &err);
				host_free(NULL, json, jcap);
			}
			snprintf(path, sizeof(path), "%s/jobs.tsv", dir);
		}
		p = nl ? nl + 1 : end;
	}
	host_free(NULL, tsv, cap);
	if (!ret && !nr_rows)
		ret = verr(&err, -EINVAL, "%s: no jobs", path);
	if (!ret) {
		ret = print_table(c, &m, rows, nr_rows, out);
		if (!ret && svg)
			ret = plot_faults(c, &m, rows, nr_rows, svg);
	} else if (ret == -ENOMEM || said || !err.msg[0])
		ret = 2;	/* out of host memory: main() says so */
	else
		ret = (fprintf(stderr, "vmsim-cli: sweep merge: %s\n", err.msg), 2);
	for (size_t r = 0; r < nr_rows; r++)
		cells_free(&rows[r]);
	host_free(NULL, rows, rows_cap * sizeof(*rows));
	cells_free(&m.cols);
	return ret;
}

int sweep_merge_main(struct cli *c, int argc, char **argv)
{
	const char *svg = NULL;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cli_help(stdout, &cmd_sweep);
		return 0;
	}
	/* sweep merge [--svg FILE | --svg=FILE] DIR */
	if (argc == 4 && strcmp(argv[1], "--svg") == 0) {
		svg = argv[2];
		argv += 2;
		argc -= 2;
	} else if (argc == 3 && strncmp(argv[1], "--svg=", 6) == 0) {
		svg = argv[1] + 6;
		argv++;
		argc--;
	}
	if (argc != 2 || (svg && !*svg))
		return cli_usage_error(&cmd_sweep, "sweep merge takes [--svg FILE] and the sweep's "
				       "directory");
	return sweep_merge_dir(c, argv[1], stdout, svg);
}
