/*
** svgchart.c — horizontal bar charts as inline SVG (svgchart.h).
**
** Layout in viewBox units: a 640-wide drawing, one 24-unit line per bar;
** labels take the left 230 units (text-anchor end at 224: about 32
** characters at 13 units), bars start at 230 and the longest is 330, its
** value's text follows 6 units after it.
** Numbers are written with one decimal at most.
*/
#include "core/svgchart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"

#define W 640          /* viewBox width */
#define LINE 24        /* height of one bar's line */
#define BAR 16         /* bar thickness */
#define LABEL_END 224  /* labels end here (right-aligned) */
#define BAR_X 230      /* bars start here */
#define BAR_MAX 330    /* the longest bar */
#define PAD 4          /* top and bottom margin */

char *svgchart_bars(const char *zTitle, const svgchart_bar *a, int n) {
  if (n < 0) n = 0;
  if (n > SVGCHART_MAX_BARS) n = SVGCHART_MAX_BARS;
  double max = 0;
  for (int i = 0; i < n; i++)
    if (a[i].value > max) max = a[i].value;
  buf b = {0};
  buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" class=\"graphe\" role=\"img\">",
             W, n * LINE + 2 * PAD);
  buf_puts(&b, "<title>");
  buf_html(&b, zTitle ? zTitle : "", -1);
  buf_puts(&b, "</title>");
  for (int i = 0; i < n; i++) {
    double v = a[i].value > 0 && isfinite(a[i].value) ? a[i].value : 0;
    double len = max > 0 ? v / max * BAR_MAX : 0;
    int y = PAD + i * LINE;
    char num[32];
    const char *text = a[i].text;
    if (!text) {
      snprintf(num, sizeof num, "%g", round(v * 10) / 10);
      text = num;
    }
    buf_printf(&b, "<text class=\"graphe-libelle\" x=\"%d\" y=\"%d\" text-anchor=\"end\" dominant-baseline=\"central\">",
               LABEL_END, y + LINE / 2);
    buf_html(&b, a[i].label ? a[i].label : "", -1);
    buf_printf(&b, "</text><rect class=\"barre\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"><title>", BAR_X,
               y + (LINE - BAR) / 2, len, BAR);
    buf_html(&b, a[i].label ? a[i].label : "", -1);
    buf_puts(&b, " : ");
    buf_html(&b, text, -1);
    buf_printf(&b, "</title></rect><text class=\"graphe-valeur\" x=\"%.1f\" y=\"%d\" dominant-baseline=\"central\">",
               BAR_X + len + 6, y + LINE / 2);
    buf_html(&b, text, -1);
    buf_puts(&b, "</text>");
  }
  buf_puts(&b, "</svg>");
  char *z = xstrdup(buf_str(&b));
  buf_free(&b);
  return z;
}
