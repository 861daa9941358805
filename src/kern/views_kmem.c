/*
 * Views of the kernel address space:
 *   vmallocinfo  /proc/vmallocinfo (mm/vmalloc.c vmalloc_info_show())
 *   layout       the machine's virtual address map (vmsim; after
 *                Documentation/arch/x86/x86_64/mm.rst and the seeds'
 *                32-bit drawing): the region map of layout.c as an
 *                mm.rst-style table, one JSON value, or an SVG picture
 *                (`vmsim-cli layout --svg`)
 * Each renders the kernel's text or one JSON value with the same numbers.
 * Invariant: a view only reads; showing it changes no state (no TLB fill,
 * no A/D bit: the layout counts leaves with pt_walk_range()).
 */
#include "kern/views.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "kern/layout.h"
#include "kern/machine.h"
#include "kern/vmalloc.h"
#include "util/svg.h"

#define TiB (1ULL << 40)

static const char *kind_name(enum kregion_kind k)
{
	static const char *const names[] = { "user", "hole", "direct", "vmalloc", "vmemmap",
					     "pkmap", "fixmap", "text", "modules", "vsyscall",
					     "other" };
	return names[k];
}

void layout_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb)
{
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);
	int w = config_is_64(&m->cfg) ? 16 : 8;
	char sz[32];

	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "machine", m->cfg.name);
		json_key_str(jw, "arch", config_is_64(&m->cfg) ? "x86_64" : "x86_32");
		json_key_str(jw, "paging", m->pt.fmt->mode);
		json_key(jw, "regions");
		json_array_begin(jw);
		for (unsigned i = 0; i < n; i++) {
			uint64_t size = r[i].last - r[i].start + 1;

			json_object_begin(jw);
			json_key_str(jw, "name", r[i].name);
			json_key_str(jw, "kind", kind_name(r[i].kind));
			json_key_hex(jw, "start", r[i].start);
			json_key_hex(jw, "last", r[i].last);
			json_key(jw, "size");
			if (size)
				json_u64(jw, size);
			else
				json_double(jw, 18446744073709551616.0, 0);	/* all 2^64 bytes */
			json_key_str(jw, "mapped_by", r[i].what);
			json_object_end(jw);
		}
		json_array_end(jw);
		json_object_end(jw);
		return;
	}
	sb_printf(sb, "%s: %s, %s, %u-bit virtual addresses\n", m->cfg.name,
		  config_is_64(&m->cfg) ? "x86_64" : "x86_32", m->pt.fmt->mode, m->pt.fmt->va_bits);
	sb_printf(sb, "%-*s  %-*s  %-11s %-20s %s\n", w, "start", w < 10 ? 10 : w, "end (last)",
		  "size", "region", "mapped by");
	for (unsigned i = 0; i < n; i++) {
		layout_size_str(r[i].last - r[i].start + 1, sz, sizeof(sz));
		sb_printf(sb, "%0*" PRIx64 "  %0*" PRIx64 "%*s  %-11s %-20s %s\n", w, r[i].start, w,
			  r[i].last, w < 10 ? 10 - w : 0, "", sz, r[i].name, r[i].what);
	}
}

static const char *kind_fill(enum kregion_kind k)
{
	static const char *const fill[] = {
		"#cfe8cf", "#f2f2f2", "#bcd7f5", "#f7d9a8", "#e3d0f2", "#f5b7b1",
		"#f9e79f", "#d5dbdb", "#d6eaf8", "#fadbd8", "#e8e8e8",
	};
	return fill[k];
}

/*
 * The map as a picture, high addresses at the top as the seeds draw it.
 * Region heights grow with log2 of the size (a 4 KiB page and a 128 TiB
 * user space cannot share a linear scale); holes of 1 TiB or more are
 * drawn as a fixed-height break.
 */
void layout_svg(struct vmsim_machine *m, struct strbuf *sb)
{
	struct kregion r[KREGION_MAX];
	unsigned n = kernel_layout(m, r, KREGION_MAX);
	int w = config_is_64(&m->cfg) ? 16 : 8;
	const double bar_x = 200, bar_w = 250, width = 1180;
	double h[KREGION_MAX], total = 0, y;
	char buf[256], sz[32];

	for (unsigned i = 0; i < n; i++) {
		uint64_t size = r[i].last - r[i].start + 1;
		double lg = size ? log2((double)size) : 64.0;

		if (r[i].kind == KR_HOLE && (size == 0 || size >= TiB))
			h[i] = 42;
		else
			h[i] = 20 + 5.0 * (lg > 12 ? lg - 12 : 0);
		total += h[i];
	}
	sb_printf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		      "font-family=\"DejaVu Sans Mono, monospace\">\n"
		      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", width, total + 110);
	snprintf(buf, sizeof(buf), "Virtual address space of machine '%s' (%s, %s)", m->cfg.name,
		 config_is_64(&m->cfg) ? "x86_64" : "x86_32", m->pt.fmt->mode);
	svg_text(sb, 20, 28, "start", 18, "#000", buf);
	svg_text(sb, 20, 48, "start", 11, "#555",
		 "heights grow with log2(size); zigzag = hole of 1 TiB or more, not to scale");
	y = 70;
	for (unsigned i = n; i-- > 0;) {
		uint64_t size = r[i].last - r[i].start + 1;
		bool brk = r[i].kind == KR_HOLE && (size == 0 || size >= TiB);
		double mid = y + h[i] / 2 + 4;

		sb_printf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			      "stroke=\"#444\" stroke-width=\"0.8\"/>\n", bar_x, y, bar_w, h[i],
			  kind_fill(r[i].kind));
		if (brk) {
			/* two zigzag lines: the break */
			for (int k = 0; k < 2; k++) {
				double zy = y + 24 + 10 * k;

				sb_printf(sb, "<polyline fill=\"none\" stroke=\"#888\" points=\"");
				for (int s = 0; s <= 10; s++)
					sb_printf(sb, "%.1f,%.1f ", bar_x + bar_w * s / 10,
						  zy + ((s & 1) ? -4 : 4));
				sb_puts(sb, "\"/>\n");
			}
		}
		layout_size_str(size, sz, sizeof(sz));
		snprintf(buf, sizeof(buf), "%s  %s", r[i].name, sz);
		svg_text(sb, bar_x + bar_w / 2, brk ? y + 13 : mid, "middle", 12, "#000", buf);
		svg_text(sb, bar_x + bar_w + 12, mid, "start", 11, "#333", r[i].what);
		/* the region's first address at its lower edge */
		snprintf(buf, sizeof(buf), "0x%0*" PRIx64, w, r[i].start);
		svg_text(sb, bar_x - 8, y + h[i] + 4, "end", 11, "#000", buf);
		if (i == n - 1) {
			snprintf(buf, sizeof(buf), "0x%0*" PRIx64, w, r[i].last);
			svg_text(sb, bar_x - 8, y + 4, "end", 11, "#000", buf);
		}
		y += h[i];
	}
	sb_puts(sb, "</svg>\n");
}

static int vmallocinfo(struct vmsim_machine *m, const struct view_args *a,
		       struct json_writer *jw, struct strbuf *sb)
{
	(void)a;
	vmallocinfo_render(m, jw, sb);
	return 0;
}

static int layout(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		  struct strbuf *sb)
{
	(void)a;
	layout_render(m, jw, sb);
	return 0;
}

const struct view views_kmem[] = {
	{ "vmallocinfo", vmallocinfo },
	{ "layout", layout },
	{ NULL, NULL },
};
