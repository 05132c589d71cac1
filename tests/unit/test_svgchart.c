/*
** test_svgchart.c — the server-side bar charts of /stats (core/svgchart.h):
** bars scaled to the largest value, texts and titles escaped, empty and
** zero data drawn without dividing by zero.
*/
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/svgchart.h"

Test(svgchart, bars_scale_to_the_largest) {
  svgchart_bar a[] = {{"2026-01", 10, NULL}, {"2026-02", 5, "5 tests"}, {"Réalisé <ok>", 0, NULL}};
  char *z = svgchart_bars("Tests & demandes", a, 3);
  cr_assert(strstr(z, "viewBox=\"0 0 640 80\""), "%s", z);
  cr_assert(strstr(z, "role=\"img\"><title>Tests &amp; demandes</title>"), "%s", z);
  cr_assert(strstr(z, "width=\"330.0\" height=\"16\"><title>2026-01 : 10</title>"), "%s", z);
  cr_assert(strstr(z, "width=\"165.0\" height=\"16\"><title>2026-02 : 5 tests</title>"), "%s", z);
  cr_assert(strstr(z, "width=\"0.0\""), "a zero bar has no length: %s", z);
  cr_assert(strstr(z, ">Réalisé &lt;ok&gt;</text>"), "%s", z);
  cr_assert(!strstr(z, "<ok>"));
  free(z);
}

Test(svgchart, empty_and_all_zero) {
  char *z = svgchart_bars(NULL, NULL, 0);
  cr_assert(strstr(z, "viewBox=\"0 0 640 8\"") && strstr(z, "<title></title>"), "%s", z);
  free(z);
  svgchart_bar a[] = {{"a", 0, NULL}, {"b", 0, NULL}};
  z = svgchart_bars("zéro", a, 2);
  cr_assert(!strstr(z, "=\"nan") && !strstr(z, "=\"-nan") && !strstr(z, "=\"inf"), "%s", z);
  cr_assert(strstr(z, "width=\"0.0\""), "%s", z);
  free(z);
}
