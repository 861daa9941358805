/*
 * SVG pictures written by hand: escaped text, and line charts (the miss-
 * ratio and TLB-reach curves of `vmsim-cli mrc --svg`): labelled axes with
 * round tick values, a linear or log2 x axis, one polyline per series in a
 * colour of its own, a legend.  Plain SVG 1.1 with no script or external
 * reference, readable by any browser or editor.
 */
#ifndef VMSIM_UTIL_SVG_H
#define VMSIM_UTIL_SVG_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf;

/* <text> at (x, y): @text escaped for XML (control bytes become '?'). */
void svg_text(struct strbuf *sb, double x, double y, const char *anchor, int size,
	      const char *color, const char *text);

struct svg_series {
	const char *name;		/* the legend's words */
	const double *x, *y;
	size_t n;
};

struct svg_chart {
	const char *title, *xlabel, *ylabel;
	bool logx;			/* x on a log2 scale (x >= 1); x values are counts */
	const struct svg_series *series;
	size_t nseries;
};

/* The whole document into @sb. */
void svg_chart(struct strbuf *sb, const struct svg_chart *c);

#endif
