/*
 * SVG writing (see svg.h).  A chart's plot area is fixed (720 x 400 px
 * inside margins for the labels); tick values are 1, 2 or 5 times a power
 * of ten on a linear axis and powers of two on a log2 one, so the labels
 * read at a glance.  A series of more points than the plot has pixels is
 * thinned to the points that change the drawing (the first, last, and
 * each column's lowest and highest).
 */
#include "util/svg.h"

#include <math.h>
#include <stdio.h>

#include "util/strbuf.h"

#define W 900
#define H 540
#define L 90		/* plot area: x from L to W - R, y from T to H - B */
#define R 200
#define T 50
#define B 70

static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

void svg_text(struct strbuf *sb, double x, double y, const char *anchor, int size,
	      const char *color, const char *text)
{
	sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\" "
		      "fill=\"%s\">", x, y, size, anchor, color);
	for (const char *p = text; *p; p++) {
		if (*p == '<')
			sb_puts(sb, "&lt;");
		else if (*p == '>')
			sb_puts(sb, "&gt;");
		else if (*p == '&')
			sb_puts(sb, "&amp;");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			sb_putc(sb, '?');	/* not allowed in XML 1.0 */
		else
			sb_putc(sb, *p);
	}
	sb_puts(sb, "</text>\n");
}

/* A round step giving about @want ticks over @span. */
static double nice_step(double span, int want)
{
	double raw = span / want, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (fabs(v) >= 1e6 && fabs(v) < 1e15)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4 && fabs(v) < 1e6)
		snprintf(buf, len, "%.4gk", v / 1e3);
	else
		snprintf(buf, len, "%.4g", v);
}

struct scale {
	double lo, hi;
	bool log;
	double px0, px1;
};

static double map(const struct scale *s, double v)
{
	double a = s->log ? log2(v > 1 ? v : 1) : v, lo = s->log ? log2(s->lo) : s->lo;
	double hi = s->log ? log2(s->hi) : s->hi;

	if (hi <= lo)
		return s->px0;
	return s->px0 + (a - lo) / (hi - lo) * (s->px1 - s->px0);
}

static void series_path(struct strbuf *sb, const struct svg_series *s, const struct scale *sx,
			const struct scale *sy, const char *color)
{
	long col = -1;
	double lo = 0, hi = 0, lx = 0;
	size_t in_col = 0;

	sb_printf(sb, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
	for (size_t i = 0; i < s->n; i++) {
		double px = map(sx, s->x[i]), py = map(sy, s->y[i]);
		long c = lround(px);

		if (isnan(py) || isnan(px))
			continue;
		if (c != col || i + 1 == s->n) {
			if (in_col > 1)	/* the column's extremes, then its last point */
				sb_printf(sb, "%.1f,%.1f %.1f,%.1f ", lx, lo, lx, hi);
			sb_printf(sb, "%.1f,%.1f ", px, py);
			col = c;
			lo = hi = py;
			lx = px;
			in_col = 1;
		} else {
			lo = py < lo ? py : lo;
			hi = py > hi ? py : hi;
			in_col++;
		}
	}
	sb_puts(sb, "\"/>\n");
}

void svg_chart(struct strbuf *sb, const struct svg_chart *c)
{
	struct scale sx = { INFINITY, -INFINITY, c->logx, L, W - R };
	struct scale sy = { 0, -INFINITY, false, H - B, T };
	char buf[32];
	double step;

	for (size_t k = 0; k < c->nseries; k++)
		for (size_t i = 0; i < c->series[k].n; i++) {
			double x = c->series[k].x[i], y = c->series[k].y[i];

			if (isnan(y))
				continue;
			sx.lo = x < sx.lo ? x : sx.lo;
			sx.hi = x > sx.hi ? x : sx.hi;
			sy.hi = y > sy.hi ? y : sy.hi;
		}
	if (!(sx.lo <= sx.hi)) {
		sx.lo = 1;
		sx.hi = 2;
	}
	if (sx.log && sx.lo < 1)
		sx.lo = 1;
	if (sx.hi <= sx.lo)
		sx.hi = sx.lo + 1;
	if (!(sy.hi > 0))
		sy.hi = 1;
	step = nice_step(sy.hi, 5);
	sy.hi = ceil(sy.hi / step) * step;

	sb_printf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
		      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
	svg_text(sb, (L + W - R) / 2.0, 28, "middle", 16, "black", c->title);
	/* y grid and ticks */
	for (double v = 0; v <= sy.hi * (1 + 1e-9); v += step) {
		double y = map(&sy, v);

		sb_printf(sb, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
			  L, y, W - R, y);
		fmt_num(buf, sizeof(buf), v);
		svg_text(sb, L - 8, y + 4, "end", 12, "#333", buf);
	}
	/* x ticks */
	if (sx.log) {
		for (double v = 1; v <= sx.hi * (1 + 1e-9); v *= 2) {
			double x = map(&sx, v);

			if (v < sx.lo)
				continue;
			sb_printf(sb, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n",
				  x, H - B, x, H - B + 5);
			fmt_num(buf, sizeof(buf), v);
			svg_text(sb, x, H - B + 20, "middle", 12, "#333", buf);
		}
	} else {
		/* x values are counts (frames, accesses): no tick between two */
		double xs = fmax(nice_step(sx.hi - sx.lo, 8), 1);

		for (double v = ceil(sx.lo / xs) * xs; v <= sx.hi * (1 + 1e-9); v += xs) {
			double x = map(&sx, v);

			sb_printf(sb, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>\n",
				  x, H - B, x, H - B + 5);
			fmt_num(buf, sizeof(buf), v);
			svg_text(sb, x, H - B + 20, "middle", 12, "#333", buf);
		}
	}
	/* axes and their labels */
	sb_printf(sb, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n"
		      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
		  L, H - B, W - R, H - B, L, T, L, H - B);
	svg_text(sb, (L + W - R) / 2.0, H - 25, "middle", 14, "black", c->xlabel);
	sb_printf(sb, "<g transform=\"translate(24 %.1f) rotate(-90)\">\n", (T + H - B) / 2.0);
	svg_text(sb, 0, 0, "middle", 14, "black", c->ylabel);
	sb_puts(sb, "</g>\n");
	/* the curves and the legend */
	for (size_t k = 0; k < c->nseries; k++) {
		const char *color = colors[k % (sizeof(colors) / sizeof(colors[0]))];
		double ly = T + 10 + 22.0 * (double)k;

		series_path(sb, &c->series[k], &sx, &sy, color);
		sb_printf(sb, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
			      "stroke-width=\"3\"/>\n", W - R + 15, ly, W - R + 40, ly, color);
		svg_text(sb, W - R + 46, ly + 4, "start", 13, "black", c->series[k].name);
	}
	sb_puts(sb, "</svg>\n");
}
