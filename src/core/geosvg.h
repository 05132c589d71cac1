/*
** geosvg.h — maps drawn on the server: Lambert-93 features rendered into one
** inline <svg> element that needs no JavaScript, for any service's pages
** (the heat networks' public map and admin pages first).
**
** Geometry. The drawing has a fixed viewBox "0 0 W H": the caller picks W,
** the number of units the map is simplified for (about its width in CSS
** pixels); H follows from the box's aspect. Lambert-93 y grows northwards
** and SVG y downwards, so y is flipped. Lines and rings are first
** simplified (Douglas–Peucker) to `tol` units, then every coordinate is
** rounded to a whole unit and repeats are dropped: the text grows with what
** can be seen, not with the source's detail. Paths use relative moves
** ("M12 40l3-4 5 6z"), SVG's shortest form. A ring left with fewer than
** three distinct points is not drawn (with its holes, if it was exterior);
** a line that shrinks to one point is drawn as a dot ("h0", visible with
** round line caps).
**
** Styling is CSS: each element gets the classes the caller names (the SVG
** carries no colours). Polygons get fill-rule="evenodd" so holes stay
** holes. Class names, titles and texts are XML-escaped here, so the text is
** safe to insert unescaped into an HTML page (templates list it in
** tools/raw-allowed.txt).
**
** Memory: a geosvg owns its text buffer and scratch arrays; geosvg_end hands
** the text over (malloc'ed) and frees the rest; geosvg_free drops it all.
** One geosvg per request; nothing is shared between threads.
*/
#ifndef GUICHET_GEOSVG_H
#define GUICHET_GEOSVG_H

#include <stddef.h>

#include "core/geo.h"
#include "core/util.h"

#define GEOSVG_MAX_SIDE 4096   /* largest viewBox side: past it the scale shrinks */
#define GEOSVG_TOL 0.5         /* default simplification tolerance, viewBox units */
#define GEOSVG_POINT_R 3.0     /* radius of a point feature's dot, viewBox units */

typedef struct geosvg {
  double box[4];          /* area drawn: minx, miny, maxx, maxy, Lambert-93 metres */
  double scale;           /* viewBox units per metre */
  int width, height;      /* the viewBox */
  double tol;             /* simplification tolerance, viewBox units (GEOSVG_TOL) */
  buf out;                /* the SVG text so far */
  double *aTmp;           /* scratch: one part's coordinates */
  long *aPx;              /* scratch: the same, rounded to viewBox units */
  size_t nTmpAlloc;       /* capacity of both, in coordinates */
  long nDrawn;            /* elements drawn so far (paths, circles, texts) */
} geosvg;

/* Starts a drawing of box (minx, miny, maxx, maxy; a side under 1 m is
** widened to 100 m around its centre) `width` units wide (1 to
** GEOSVG_MAX_SIDE). Writes the <svg> opening tag with the viewBox,
** role="img", class zClass (may be NULL) and a <title> (zTitle, may be
** NULL: then aria-hidden, for a drawing described elsewhere). */
void geosvg_begin(geosvg *g, const double box[4], int width, const char *zClass, const char *zTitle);

/* <g class="…"> … </g>: one per layer, so CSS styles a layer at once. */
void geosvg_group_begin(geosvg *g, const char *zClass);
void geosvg_group_end(geosvg *g);

/* Draws one feature with class zClass and a tooltip zTitle (both may be
** NULL). Returns 1 when something was drawn, 0 when nothing is visible (out
** of the box, or smaller than the tolerance). */
int geosvg_shape(geosvg *g, const geo_shape *s, const char *zClass, const char *zTitle);

/* A circle of radius r viewBox units at (x, y) Lambert-93, and a text
** centred there. Nothing is drawn outside the box. */
void geosvg_circle(geosvg *g, double x, double y, double r, const char *zClass, const char *zTitle);
void geosvg_text(geosvg *g, double x, double y, const char *zClass, const char *zText);

/* Makes what is drawn until geosvg_link_end a link to zHref (an <a>
** element: links in an inline SVG work without JavaScript). zHref is
** escaped, not checked: the caller builds it. The drawing is one image to
** assistive technology (role="img" makes its content presentational), so
** its links are kept out of the tab order too (tabindex="-1"): a page that
** links from a map lists the same links in its text. Links do not nest. */
void geosvg_link_begin(geosvg *g, const char *zHref);
void geosvg_link_end(geosvg *g);

/* Decides how a feature of a layer is drawn: 0 skips it, 1 draws it with
** *zClass and *zTitle (strings that outlive the call, NULL allowed). */
typedef int (*geosvg_style_fn)(void *arg, const geo_shape *s, const char **zClass, const char **zTitle);

/* Draws the features of `layer` that meet the box, styled by style (NULL:
** all, no class, no title). Returns the number drawn, or -1 on error. */
long geosvg_layer(geosvg *g, const char *layer, geosvg_style_fn style, void *arg);

/* Closes the drawing and returns its text (malloc'ed: the caller frees it);
** g is emptied. */
char *geosvg_end(geosvg *g);
/* Drops a drawing without taking its text. */
void geosvg_free(geosvg *g);

/* (x, y) Lambert-93 in viewBox units, unrounded. */
void geosvg_px(const geosvg *g, double x, double y, double *px, double *py);

/* Boxes are double[4] minx, miny, maxx, maxy. An empty box has
** minx > maxx (geosvg_box_empty sets one). */
void geosvg_box_empty(double box[4]);
void geosvg_box_union(double box[4], const double other[4]);
/* Widens box by frac of its size on each side, then to at least min_m
** metres a side. */
void geosvg_box_pad(double box[4], double frac, double min_m);

/* Douglas–Peucker on the n points xy[0..2n) in place: keeps the first and
** the last, and every point farther than tol from the simplified line.
** Returns how many are kept (at the front of xy). Allocates scratch and
** frees it. */
size_t geosvg_simplify(double *xy, size_t n, double tol);

#endif
