/*
** geosvg.c — Lambert-93 features to inline SVG (geosvg.h).
**
** One part at a time: its coordinates go to viewBox units in g->aTmp,
** Douglas–Peucker simplifies them there, then they are rounded into g->aPx
** with repeats dropped, and written as one subpath of relative moves. The
** cost is linear in the source's coordinates plus the Douglas–Peucker
** splits (n log n typically, n² at worst on a pathological zigzag).
*/
#include "core/geosvg.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SIDE_M 1.0      /* a box side under this is degenerate... */
#define WIDEN_SIDE_M 100.0  /* ...and becomes this many metres around its centre */

void geosvg_box_empty(double box[4]) {
  box[0] = box[1] = INFINITY;
  box[2] = box[3] = -INFINITY;
}

void geosvg_box_union(double box[4], const double other[4]) {
  if (other[0] > other[2]) return;
  if (other[0] < box[0]) box[0] = other[0];
  if (other[1] < box[1]) box[1] = other[1];
  if (other[2] > box[2]) box[2] = other[2];
  if (other[3] > box[3]) box[3] = other[3];
}

void geosvg_box_pad(double box[4], double frac, double min_m) {
  double dx = box[2] - box[0], dy = box[3] - box[1];
  box[0] -= dx * frac;
  box[2] += dx * frac;
  box[1] -= dy * frac;
  box[3] += dy * frac;
  for (int i = 0; i < 2; i++) {
    double side = box[i + 2] - box[i];
    if (side < min_m) {
      double c = (box[i] + box[i + 2]) / 2;
      box[i] = c - min_m / 2;
      box[i + 2] = c + min_m / 2;
    }
  }
}

void geosvg_px(const geosvg *g, double x, double y, double *px, double *py) {
  *px = (x - g->box[0]) * g->scale;
  *py = (g->box[3] - y) * g->scale;
}

/* Appends an attribute name="escaped value" when z is set. */
static void attr(buf *b, const char *name, const char *z) {
  if (!z || !*z) return;
  buf_printf(b, " %s=\"", name);
  buf_html(b, z, -1);
  buf_putc(b, '"');
}

static void title_el(buf *b, const char *z) {
  if (!z || !*z) return;
  buf_puts(b, "<title>");
  buf_html(b, z, -1);
  buf_puts(b, "</title>");
}

void geosvg_begin(geosvg *g, const double box[4], int width, const char *zClass, const char *zTitle) {
  memset(g, 0, sizeof *g);
  memcpy(g->box, box, sizeof g->box);
  for (int i = 0; i < 2; i++) {
    if (!(g->box[i + 2] - g->box[i] >= MIN_SIDE_M)) { /* also an empty box (NaN-free: ±inf) */
      double c = isfinite(g->box[i] + g->box[i + 2]) ? (g->box[i] + g->box[i + 2]) / 2 : 0;
      g->box[i] = c - WIDEN_SIDE_M / 2;
      g->box[i + 2] = c + WIDEN_SIDE_M / 2;
    }
  }
  if (width < 1) width = 1;
  if (width > GEOSVG_MAX_SIDE) width = GEOSVG_MAX_SIDE;
  double dx = g->box[2] - g->box[0], dy = g->box[3] - g->box[1];
  g->scale = width / dx;
  if (dy * g->scale > GEOSVG_MAX_SIDE) g->scale = GEOSVG_MAX_SIDE / dy;
  g->width = (int)ceil(dx * g->scale - 1e-9);
  g->height = (int)ceil(dy * g->scale - 1e-9);
  if (g->width < 1) g->width = 1;
  if (g->height < 1) g->height = 1;
  g->tol = GEOSVG_TOL;
  buf_printf(&g->out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"", g->width, g->height);
  attr(&g->out, "class", zClass);
  if (zTitle && *zTitle) {
    buf_puts(&g->out, " role=\"img\">");
    title_el(&g->out, zTitle);
  } else {
    buf_puts(&g->out, " aria-hidden=\"true\">");
  }
}

void geosvg_group_begin(geosvg *g, const char *zClass) {
  buf_puts(&g->out, "<g");
  attr(&g->out, "class", zClass);
  buf_putc(&g->out, '>');
}

void geosvg_group_end(geosvg *g) { buf_puts(&g->out, "</g>"); }

/* ------------------------------------------------------------ simplify */

/* Distance from p to the segment [a, b]. */
static double seg_dist(double px, double py, double ax, double ay, double bx, double by) {
  double dx = bx - ax, dy = by - ay;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  if (t < 0) t = 0;
  if (t > 1) t = 1;
  double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return sqrt(ex * ex + ey * ey);
}

size_t geosvg_simplify(double *xy, size_t n, double tol) {
  if (n < 3) return n;
  unsigned char *keep = xcalloc(n, 1);
  size_t *stack = xmalloc(2 * n * sizeof(size_t)); /* (first, last) pairs; each split pushes at most 2 */
  size_t top = 0;
  keep[0] = keep[n - 1] = 1;
  stack[top++] = 0;
  stack[top++] = n - 1;
  while (top) {
    size_t last = stack[--top], first = stack[--top];
    double best = -1;
    size_t at = first;
    for (size_t i = first + 1; i < last; i++) {
      double d = seg_dist(xy[2 * i], xy[2 * i + 1], xy[2 * first], xy[2 * first + 1], xy[2 * last], xy[2 * last + 1]);
      if (d > best) {
        best = d;
        at = i;
      }
    }
    if (best > tol) {
      keep[at] = 1;
      assert(top + 4 <= 2 * n);
      if (at - first > 1) {
        stack[top++] = first;
        stack[top++] = at;
      }
      if (last - at > 1) {
        stack[top++] = at;
        stack[top++] = last;
      }
    }
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!keep[i]) continue;
    xy[2 * k] = xy[2 * i];
    xy[2 * k + 1] = xy[2 * i + 1];
    k++;
  }
  free(keep);
  free(stack);
  return k;
}

/* ------------------------------------------------------------ shapes */

static void scratch(geosvg *g, size_t n) {
  if (n <= g->nTmpAlloc) return;
  g->nTmpAlloc = n < 256 ? 256 : n;
  g->aTmp = xrealloc(g->aTmp, g->nTmpAlloc * 2 * sizeof(double));
  g->aPx = xrealloc(g->aPx, g->nTmpAlloc * 2 * sizeof(long));
}

/* One part (n coordinates at xy) in whole viewBox units into g->aPx,
** simplified, without repeats; a ring loses its closing point. Returns the
** count left. */
static size_t part_px(geosvg *g, const double *xy, size_t n, int ring) {
  scratch(g, n);
  for (size_t i = 0; i < n; i++) geosvg_px(g, xy[2 * i], xy[2 * i + 1], &g->aTmp[2 * i], &g->aTmp[2 * i + 1]);
  size_t m = geosvg_simplify(g->aTmp, n, g->tol);
  size_t k = 0;
  for (size_t i = 0; i < m; i++) {
    long px = lround(g->aTmp[2 * i]), py = lround(g->aTmp[2 * i + 1]);
    if (k && g->aPx[2 * k - 2] == px && g->aPx[2 * k - 1] == py) continue;
    g->aPx[2 * k] = px;
    g->aPx[2 * k + 1] = py;
    k++;
  }
  if (ring && k > 1 && g->aPx[0] == g->aPx[2 * k - 2] && g->aPx[1] == g->aPx[2 * k - 1]) k--;
  return k;
}

/* Writes the subpath of the k points in g->aPx. */
static void subpath(geosvg *g, size_t k, int close) {
  buf *b = &g->out;
  buf_printf(b, "M%ld %ld", g->aPx[0], g->aPx[1]);
  if (k == 1) {
    buf_puts(b, "h0");
    return;
  }
  buf_putc(b, 'l');
  for (size_t i = 1; i < k; i++) {
    long dx = g->aPx[2 * i] - g->aPx[2 * i - 2], dy = g->aPx[2 * i + 1] - g->aPx[2 * i - 1];
    /* a minus sign separates numbers by itself */
    buf_printf(b, i > 1 && dx >= 0 ? " %ld" : "%ld", dx);
    buf_printf(b, dy >= 0 ? " %ld" : "%ld", dy);
  }
  if (close) buf_putc(b, 'z');
}

static int box_meets(const double a[4], const double b[4]) {
  return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];
}

static int in_box(const geosvg *g, double x, double y) {
  return x >= g->box[0] && x <= g->box[2] && y >= g->box[1] && y <= g->box[3];
}

/* Ends an element whose attributes are written: its class, then either a
** tooltip child and the closing tag, or "/>". Counts it as drawn. */
static void el_end(geosvg *g, const char *zTag, const char *zClass, const char *zTitle) {
  attr(&g->out, "class", zClass);
  if (zTitle && *zTitle) {
    buf_putc(&g->out, '>');
    title_el(&g->out, zTitle);
    buf_printf(&g->out, "</%s>", zTag);
  } else {
    buf_puts(&g->out, "/>");
  }
  g->nDrawn++;
}

static void circle_el(geosvg *g, double x, double y, double r, const char *zClass, const char *zTitle) {
  double px, py;
  geosvg_px(g, x, y, &px, &py);
  buf_printf(&g->out, "<circle cx=\"%ld\" cy=\"%ld\" r=\"%g\"", lround(px), lround(py), round(r * 10) / 10);
  el_end(g, "circle", zClass, zTitle);
}

static int points_draw(geosvg *g, const geo_shape *s, const char *zClass, const char *zTitle) {
  const double *xy = s->aXY;
  int n = 0;
  for (int i = 0; i < s->nPart; i++) {
    if (s->aPartLen[i] >= 1 && in_box(g, xy[0], xy[1])) n++;
    xy += 2 * (size_t)s->aPartLen[i];
  }
  if (!n) return 0;
  if (n > 1) {
    geosvg_group_begin(g, zClass);
    title_el(&g->out, zTitle);
  }
  xy = s->aXY;
  for (int i = 0; i < s->nPart; i++) {
    if (s->aPartLen[i] >= 1 && in_box(g, xy[0], xy[1]))
      circle_el(g, xy[0], xy[1], GEOSVG_POINT_R, n > 1 ? NULL : zClass, n > 1 ? NULL : zTitle);
    xy += 2 * (size_t)s->aPartLen[i];
  }
  if (n > 1) geosvg_group_end(g);
  return 1;
}

int geosvg_shape(geosvg *g, const geo_shape *s, const char *zClass, const char *zTitle) {
  if (!s->nPart || !box_meets(s->box, g->box)) return 0;
  if (s->kind == GEO_POINT) return points_draw(g, s, zClass, zTitle);
  int poly = s->kind == GEO_POLYGON;
  size_t start = g->out.n;
  buf_puts(&g->out, "<path d=\"");
  size_t path_at = g->out.n;
  const double *xy = s->aXY;
  int skip_holes = 0;
  for (int i = 0; i < s->nPart; i++) {
    size_t n = (size_t)s->aPartLen[i];
    const double *part = xy;
    xy += 2 * n;
    if (!n) continue;
    if (poly && !s->aOuter[i] && skip_holes) continue;
    size_t k = part_px(g, part, n, poly);
    if (poly && k < 3) {
      if (s->aOuter[i]) skip_holes = 1;
      continue;
    }
    if (poly && s->aOuter[i]) skip_holes = 0;
    subpath(g, k, poly);
  }
  if (g->out.n == path_at) { /* nothing visible: take the opening back */
    g->out.n = start;
    if (g->out.z) g->out.z[start] = 0;
    return 0;
  }
  buf_putc(&g->out, '"');
  if (poly) buf_puts(&g->out, " fill-rule=\"evenodd\"");
  el_end(g, "path", zClass, zTitle);
  return 1;
}

void geosvg_circle(geosvg *g, double x, double y, double r, const char *zClass, const char *zTitle) {
  if (in_box(g, x, y)) circle_el(g, x, y, r, zClass, zTitle);
}

void geosvg_text(geosvg *g, double x, double y, const char *zClass, const char *zText) {
  if (!in_box(g, x, y) || !zText) return;
  double px, py;
  geosvg_px(g, x, y, &px, &py);
  buf_printf(&g->out, "<text x=\"%ld\" y=\"%ld\" text-anchor=\"middle\" dominant-baseline=\"central\"",
             lround(px), lround(py));
  attr(&g->out, "class", zClass);
  buf_putc(&g->out, '>');
  buf_html(&g->out, zText, -1);
  buf_puts(&g->out, "</text>");
  g->nDrawn++;
}

void geosvg_link_begin(geosvg *g, const char *zHref) {
  buf_puts(&g->out, "<a");
  attr(&g->out, "href", zHref);
  buf_puts(&g->out, " tabindex=\"-1\">");
}

void geosvg_link_end(geosvg *g) { buf_puts(&g->out, "</a>"); }

/* ------------------------------------------------------------ layers */

typedef struct layer_ctx {
  geosvg *g;               /* the drawing */
  geosvg_style_fn style;   /* the caller's choice, or NULL */
  void *arg;               /* its argument */
  long n;                  /* features drawn */
} layer_ctx;

static int layer_cb(void *arg, const geo_shape *s) {
  layer_ctx *c = arg;
  const char *zClass = NULL, *zTitle = NULL;
  if (c->style && !c->style(c->arg, s, &zClass, &zTitle)) return 0;
  c->n += geosvg_shape(c->g, s, zClass, zTitle);
  return 0;
}

long geosvg_layer(geosvg *g, const char *layer, geosvg_style_fn style, void *arg) {
  layer_ctx c = {g, style, arg, 0};
  return geo_layer_each(layer, g->box, layer_cb, &c) < 0 ? -1 : c.n;
}

/* ------------------------------------------------------------ end */

char *geosvg_end(geosvg *g) {
  buf_puts(&g->out, "</svg>");
  char *z = xstrdup(buf_str(&g->out));
  geosvg_free(g);
  return z;
}

void geosvg_free(geosvg *g) {
  buf_free(&g->out);
  free(g->aTmp);
  free(g->aPx);
  memset(g, 0, sizeof *g);
}
