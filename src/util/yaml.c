/*
 * libyaml event stream -> ynode tree (see yaml.h).  The tree is built with a
 * recursive descent over events; every node is allocated from the host
 * layer so that the OOM tests can fail any one of them.
 *
 * Cost is linear in the input: a mapping's duplicate-key check compares a
 * new key with the earlier ones directly while there are few of them and
 * through a hash set of its keys (util/htab.h) once there are more.  Files
 * are read whole, so a file must be a regular file of at most
 * YDOC_MAX_FILE bytes: a FIFO, a device like /dev/zero or a 2 GiB file is
 * refused before any of it is read (and a FIFO is opened without waiting
 * for a writer).
 *
 * Invariant: a load either returns 0 with the whole tree attached to the
 * doc, or an error with the doc empty (root and file NULL) and nothing left
 * allocated; a partial tree is always owned by exactly one parent node.
 */
#include "util/yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/htab.h"

struct yload {
	yaml_parser_t parser;
	const char *file;
	struct vmsim_error *err;
	int depth;
};

#define YAML_MAX_DEPTH 64
/* up to this many keys a new key is compared with each earlier one; past
 * it the mapping's keys go into a hash set */
#define YAML_SCAN_KEYS 8

static void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < (n->type == YNODE_MAP ? 2 * n->n : n->n); i++)
		ynode_free(n->items[i]);
	free(n->items);
	free(n->scalar);
	free(n);
}

static int parse_event(struct yload *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev)) {
		const yaml_parser_t *p = &l->parser;

		/* libyaml's own allocation failed: not the text's fault */
		if (p->error == YAML_MEMORY_ERROR)
			return verr(l->err, -ENOMEM, "%s: out of host memory", l->file);
		return verr_at(l->err, -EINVAL, l->file, (int)p->problem_mark.line + 1,
			       (int)p->problem_mark.column + 1, "YAML syntax error: %s%s%s",
			       p->problem ? p->problem : "unknown",
			       p->context ? " " : "", p->context ? p->context : "");
	}
	return 0;
}

static struct ynode *node_new(struct yload *l, enum ynode_type t,
			      const yaml_event_t *ev)
{
	struct ynode *n = host_zalloc(NULL, sizeof(*n));

	if (!n) {
		verr(l->err, -ENOMEM, "%s: out of host memory", l->file);
		return NULL;
	}
	n->type = t;
	n->line = (int)ev->start_mark.line + 1;
	n->col = (int)ev->start_mark.column + 1;
	return n;
}

static int push_item(struct yload *l, struct ynode *parent, size_t *cap,
		     size_t used, struct ynode *child)
{
	if (used + 1 > *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct ynode **ni = host_realloc(NULL, parent->items,
						 *cap * sizeof(*ni), nc * sizeof(*ni));
		if (!ni) {
			ynode_free(child);
			return verr(l->err, -ENOMEM, "%s: out of host memory", l->file);
		}
		parent->items = ni;
		*cap = nc;
	}
	parent->items[used] = child;
	return 0;
}

static int parse_node(struct yload *l, yaml_event_t *ev, struct ynode **out);

/* Read one event; if it ends the collection set *end, else parse a node. */
static int parse_child(struct yload *l, struct ynode **child, bool *end)
{
	yaml_event_t ev;
	int ret = parse_event(l, &ev);

	if (ret)
		return ret;
	*end = ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT;
	*child = NULL;
	if (!*end)
		ret = parse_node(l, &ev, child);
	yaml_event_delete(&ev);
	return ret;
}

static int duplicate_key(struct yload *l, const struct ynode *key)
{
	char shown[64];

	/* messages are one line: a quoted key may hold '\n' */
	snprintf(shown, sizeof(shown), "%s", key->scalar);
	for (char *p = shown; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return verr_at(l->err, -EINVAL, l->file, key->line, key->col, "duplicate key '%s'", shown);
}

/*
 * Refuse @key if mapping @n already has it, and remember it in @keys.  The
 * first YAML_SCAN_KEYS keys are compared one by one; when the mapping grows
 * past that, they all go into @keys and every later key costs one lookup.
 */
static int check_new_key(struct yload *l, struct ynode *n, struct htab *keys,
			 const struct ynode *key)
{
	struct htab_iter it;
	struct ynode *k;
	uint64_t hash;

	if (n->n < YAML_SCAN_KEYS) {
		for (size_t i = 0; i < n->n; i++)
			if (strcmp(ymap_key(n, i)->scalar, key->scalar) == 0)
				return duplicate_key(l, key);
		return 0;
	}
	if (n->n == YAML_SCAN_KEYS) {
		for (size_t i = 0; i < n->n; i++) {
			k = ymap_key(n, i);
			if (htab_insert(keys, htab_hash_str(keys, k->scalar), k))
				return verr(l->err, -ENOMEM, "%s: out of host memory", l->file);
		}
	}
	hash = htab_hash_str(keys, key->scalar);
	htab_for_each_possible(keys, hash, it, k)
		if (strcmp(k->scalar, key->scalar) == 0)
			return duplicate_key(l, key);
	/* the key is not stored yet: a failed pair leaves it in the set,
	 * which is harmless as the set goes with this mapping's parse */
	if (htab_insert(keys, hash, (void *)key))
		return verr(l->err, -ENOMEM, "%s: out of host memory", l->file);
	return 0;
}

/* Parse the children of a collection whose start event was consumed, with
 * @keys the hash set of a mapping's keys.  On error the partial tree stays
 * attached to @n, which the caller frees. */
static int parse_items(struct yload *l, struct ynode *n, struct htab *keys)
{
	size_t cap = 0;
	struct ynode *key, *val;
	bool end;
	int ret;

	for (;;) {
		ret = parse_child(l, &key, &end);
		if (ret || end)
			return ret;
		if (n->type == YNODE_SEQ) {
			ret = push_item(l, n, &cap, n->n, key);
			if (ret)
				return ret;
			n->n++;
			continue;
		}
		if (key->type != YNODE_SCALAR) {
			ret = verr_at(l->err, -EINVAL, l->file, key->line, key->col,
				      "mapping key must be a scalar, not %s",
				      ynode_type_name(key->type));
			ynode_free(key);
			return ret;
		}
		ret = check_new_key(l, n, keys, key);
		if (ret) {
			ynode_free(key);
			return ret;
		}
		ret = parse_child(l, &val, &end);
		if (ret || end) {
			ynode_free(key);
			return ret;
		}
		ret = push_item(l, n, &cap, 2 * n->n, key);
		if (ret) {
			ynode_free(val);
			return ret;
		}
		ret = push_item(l, n, &cap, 2 * n->n + 1, val);
		if (ret) {
			/* the key is stored but the pair is not counted: free it here */
			ynode_free(key);
			return ret;
		}
		n->n++;
	}
}

static int parse_children(struct yload *l, struct ynode *n)
{
	struct htab keys;
	int ret;

	htab_init(&keys, NULL);
	ret = parse_items(l, n, &keys);
	htab_destroy(&keys);
	return ret;
}

static int parse_node(struct yload *l, yaml_event_t *ev, struct ynode **out)
{
	struct ynode *n;
	int ret;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return verr_at(l->err, -EINVAL, l->file, (int)ev->start_mark.line + 1,
			       (int)ev->start_mark.column + 1,
			       "YAML aliases are not supported");
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor)
			return verr_at(l->err, -EINVAL, l->file, (int)ev->start_mark.line + 1,
				       (int)ev->start_mark.column + 1,
				       "YAML anchors are not supported");
		n = node_new(l, YNODE_SCALAR, ev);
		if (!n)
			return -ENOMEM;
		n->scalar = host_alloc(NULL, ev->data.scalar.length + 1);
		if (!n->scalar) {
			free(n);
			return verr(l->err, -ENOMEM, "%s: out of host memory", l->file);
		}
		memcpy(n->scalar, ev->data.scalar.value, ev->data.scalar.length);
		n->scalar[ev->data.scalar.length] = '\0';
		if (strlen(n->scalar) != ev->data.scalar.length) {
			ynode_free(n);
			return verr_at(l->err, -EINVAL, l->file, (int)ev->start_mark.line + 1,
				       (int)ev->start_mark.column + 1,
				       "NUL byte in a scalar");
		}
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		*out = n;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if ((ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.anchor
							  : ev->data.mapping_start.anchor))
			return verr_at(l->err, -EINVAL, l->file, (int)ev->start_mark.line + 1,
				       (int)ev->start_mark.column + 1,
				       "YAML anchors are not supported");
		if (++l->depth > YAML_MAX_DEPTH)
			return verr_at(l->err, -EINVAL, l->file, (int)ev->start_mark.line + 1,
				       (int)ev->start_mark.column + 1,
				       "nesting deeper than %d levels", YAML_MAX_DEPTH);
		n = node_new(l, ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ, ev);
		if (!n)
			return -ENOMEM;
		ret = parse_children(l, n);
		l->depth--;
		if (ret) {
			ynode_free(n);
			return ret;
		}
		*out = n;
		return 0;
	default:
		return verr_at(l->err, -EINVAL, l->file, (int)ev->start_mark.line + 1,
			       (int)ev->start_mark.column + 1, "unexpected YAML event");
	}
}

static int load(struct ydoc *doc, struct yload *l)
{
	yaml_event_t ev;
	int ret, ndocs = 0;

	doc->root = NULL;
	for (;;) {
		ret = parse_event(l, &ev);
		if (ret)
			return ret;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			/* counted, not "root seen": an empty first document
			 * must not let a second one in */
			if (ndocs++ > 0) {
				int line = (int)ev.start_mark.line + 1;
				yaml_event_delete(&ev);
				return verr_at(l->err, -EINVAL, l->file, line, 1,
					       "only one YAML document per file");
			}
			break;
		case YAML_DOCUMENT_END_EVENT:
			break;
		default:
			ret = parse_node(l, &ev, &doc->root);
			yaml_event_delete(&ev);
			if (ret)
				return ret;
			continue;
		}
		yaml_event_delete(&ev);
	}
}

static int ydoc_init(struct ydoc *doc, const char *name, struct vmsim_error *err)
{
	memset(doc, 0, sizeof(*doc));
	doc->file = host_strdup(NULL, name);
	if (!doc->file)
		return verr(err, -ENOMEM, "%s: out of host memory", name);
	return 0;
}

int ydoc_load_string(struct ydoc *doc, const char *name, const char *text,
		     size_t len, struct vmsim_error *err)
{
	struct yload l = { .file = name, .err = err };
	int ret = ydoc_init(doc, name, err);

	if (ret)
		return ret;
	if (!yaml_parser_initialize(&l.parser)) {
		ydoc_free(doc);
		return verr(err, -ENOMEM, "%s: out of host memory", name);
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)text, len);
	ret = load(doc, &l);
	yaml_parser_delete(&l.parser);
	if (ret) {
		ynode_free(doc->root);
		doc->root = NULL;
		free(doc->file);
		doc->file = NULL;
	}
	return ret;
}

/* What a path that is not a regular file is, for the message. */
static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

int ydoc_load_file(struct ydoc *doc, const char *path, struct vmsim_error *err)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is
	 * refused below like every file that is not a regular one */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf;
	size_t len = 0, cap;
	int ret, e;

	memset(doc, 0, sizeof(*doc));
	if (fd < 0)
		return verr(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return verr(err, -EIO, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return verr(err, -EINVAL, "%s: is %s; a config or scenario must be a regular file",
			    path, file_kind(st.st_mode));
	}
	if ((uint64_t)st.st_size > YDOC_MAX_FILE) {
		close(fd);
		return verr(err, -EFBIG, "%s: %llu bytes; a config or scenario may have at most "
			    "%u MiB", path, (unsigned long long)st.st_size, YDOC_MAX_FILE >> 20);
	}
	/* one byte more than the size says, to see a file that grew since */
	cap = (size_t)st.st_size + 1;
	buf = host_alloc(NULL, cap);
	if (!buf) {
		close(fd);
		return verr(err, -ENOMEM, "%s: out of host memory", path);
	}
	for (;;) {
		ssize_t got = read(fd, buf + len, cap - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			e = errno;
			host_free(NULL, buf, cap);
			close(fd);
			return verr(err, -EIO, "%s: read error: %s", path, strerror(e));
		}
		len += (size_t)got;
		if (got == 0 || len == cap)
			break;
	}
	close(fd);
	if (len == cap) {
		host_free(NULL, buf, cap);
		return verr(err, -EIO, "%s: the file grew while it was read", path);
	}
	ret = ydoc_load_string(doc, path, buf, len, err);
	host_free(NULL, buf, cap);
	return ret;
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	ynode_free(doc->root);
	free(doc->file);
	doc->root = NULL;
	doc->file = NULL;
}

struct ynode *ymap_get(const struct ynode *m, const char *key)
{
	if (!m || m->type != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(ymap_key(m, i)->scalar, key) == 0)
			return ymap_val(m, i);
	return NULL;
}

const char *ynode_type_name(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR: return "a scalar";
	case YNODE_MAP: return "a mapping";
	case YNODE_SEQ: return "a sequence";
	}
	return "?";
}
