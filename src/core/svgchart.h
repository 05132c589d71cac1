/*
** svgchart.h — bar charts drawn on the server as inline SVG, for the public
** statistics pages (the beta.gouv /stats rule): no JavaScript, styled by
** CSS classes (.graphe, .barre, .graphe-libelle, .graphe-valeur), the
** numbers also given as text so the chart reads without the bars.
**
** Horizontal bars, one line each: the label on the left, the bar scaled to
** the largest value, the value's text after it. Labels, texts and the title
** are XML-escaped: the result is safe to insert unescaped into a page.
*/
#ifndef GUICHET_SVGCHART_H
#define GUICHET_SVGCHART_H

typedef struct svgchart_bar {
  const char *label;  /* "2026-03", "Réalisé" */
  double value;       /* ≥ 0; the bar's length */
  const char *text;   /* the value as shown ("42", "12,5 %"); NULL: "%g" of value */
} svgchart_bar;

#define SVGCHART_MAX_BARS 400 /* bars drawn at most; the rest are left out */

/* The chart of n bars titled zTitle (role="img", <title>), malloc'ed (the
** caller frees it). n = 0 gives an empty chart with its title. */
char *svgchart_bars(const char *zTitle, const svgchart_bar *a, int n);

#endif
