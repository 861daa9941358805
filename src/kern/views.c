/* View registry (see views.h). */
#include "kern/views.h"

#include <errno.h>
#include <string.h>

static const struct view *const tables[] = { views_phys, views_mmu, views_slab, views_kmem,
					      views_mm, views_stats, views_vmstat, views_memcg };

static const struct view *view_find(const char *name)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct view *v = tables[t]; v->name; v++)
			if (strcmp(v->name, name) == 0)
				return v;
	return NULL;
}

int view_json(struct vmsim_machine *m, const char *name, const struct view_args *a,
	      struct json_writer *jw, struct strbuf *msg)
{
	static const struct view_args none;
	const struct view *v = view_find(name);

	return v ? v->fn(m, a ? a : &none, jw, msg) : -ENOENT;
}

int view_render(struct vmsim_machine *m, const char *name, const struct view_args *a,
		bool json, struct strbuf *sb)
{
	static const struct view_args none;
	const struct view *v = view_find(name);
	struct strbuf out = STRBUF_INIT;
	struct json_writer jw;
	int ret;

	if (!v)
		return -ENOENT;
	if (!json)
		return v->fn(m, a ? a : &none, NULL, sb);
	/* the document is built apart, so that a failure leaves only the reason */
	json_init(&jw, &out);
	ret = v->fn(m, a ? a : &none, &jw, sb);
	if (!ret) {
		ret = json_finish(&jw);
		if (ret == -ENOMEM) {
			sb->oom = true;
		} else if (ret) {
			sb_reset(sb);
			sb_printf(sb, "view %s wrote malformed JSON", name);
		} else {
			sb_add(sb, sb_str(&out), out.len);
		}
	}
	sb_free(&out);
	return ret;
}

void view_names(struct strbuf *sb)
{
	bool first = true;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct view *v = tables[t]; v->name; v++) {
			sb_printf(sb, "%s%s", first ? "" : ", ", v->name);
			first = false;
		}
}
