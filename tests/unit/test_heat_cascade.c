/*
** test_heat_cascade.c — the eligibility cascade of the heat feature
** (heat.h): every level, each threshold on, just under and just over, the
** order of the rules, and per-network overrides.
*/
#include <criterion/criterion.h>
#include <string.h>

#include "features/heat/heat.h"

/* A situation with an open network at d metres, default thresholds. */
static heat_situation at(double d) {
  heat_situation s = {.has_network = 1, .dist_m = d, .thr = heat_default_thresholds};
  return s;
}

Test(heat_cascade, defaults_are_fcu_values) {
  cr_assert_eq(heat_default_thresholds.very_close_m, 100);
  cr_assert_eq(heat_default_thresholds.close_m, 200);
  cr_assert_eq(heat_default_thresholds.far_m, 1000);
}

Test(heat_cascade, very_close_threshold) {
  heat_situation s = at(0);
  cr_assert_eq(heat_cascade(&s), HEAT_VERY_CLOSE);
  s = at(99.99);
  cr_assert_eq(heat_cascade(&s), HEAT_VERY_CLOSE);
  s = at(100);
  cr_assert_eq(heat_cascade(&s), HEAT_VERY_CLOSE, "a distance equal to the threshold is within it");
  s = at(100.01);
  cr_assert_eq(heat_cascade(&s), HEAT_CLOSE);
}

Test(heat_cascade, close_threshold) {
  heat_situation s = at(199.99);
  cr_assert_eq(heat_cascade(&s), HEAT_CLOSE);
  s = at(200);
  cr_assert_eq(heat_cascade(&s), HEAT_CLOSE);
  s = at(200.01);
  cr_assert_eq(heat_cascade(&s), HEAT_FAR);
}

Test(heat_cascade, far_threshold) {
  heat_situation s = at(1000);
  cr_assert_eq(heat_cascade(&s), HEAT_FAR);
  s = at(1000.01);
  cr_assert_eq(heat_cascade(&s), HEAT_NONE, "farther than 1 km and not in the commune: none");
  s.network_in_commune = 1;
  cr_assert_eq(heat_cascade(&s), HEAT_IN_COMMUNE);
  s = at(999);
  s.network_in_commune = 1;
  cr_assert_eq(heat_cascade(&s), HEAT_FAR, "distance rules come before the commune rule");
}

Test(heat_cascade, no_network) {
  heat_situation s = {.thr = heat_default_thresholds};
  cr_assert_eq(heat_cascade(&s), HEAT_NONE);
  s.network_in_commune = 1; /* meaningless without a network: ignored */
  cr_assert_eq(heat_cascade(&s), HEAT_NONE);
}

Test(heat_cascade, zone_comes_first) {
  heat_situation s = at(5000);
  s.in_zone = 1;
  cr_assert_eq(heat_cascade(&s), HEAT_IN_ZONE);
  s = at(10);
  s.in_zone = 1;
  cr_assert_eq(heat_cascade(&s), HEAT_IN_ZONE, "in a zone wins over very close");
  heat_situation z = {.in_zone = 1, .thr = heat_default_thresholds};
  cr_assert_eq(heat_cascade(&z), HEAT_IN_ZONE, "a zone without any trace still counts");
}

Test(heat_cascade, outside_comes_before_everything) {
  heat_situation s = at(10);
  s.in_zone = 1;
  s.outside = 1;
  cr_assert_eq(heat_cascade(&s), HEAT_OUTSIDE);
}

Test(heat_cascade, per_network_overrides) {
  heat_situation s = at(80);
  s.thr = heat_thresholds_for(60, 100); /* FCU's Paris networks 7501C and 7511C */
  cr_assert_eq(heat_cascade(&s), HEAT_CLOSE);
  s.dist_m = 60;
  cr_assert_eq(heat_cascade(&s), HEAT_VERY_CLOSE);
  s.dist_m = 100.5;
  cr_assert_eq(heat_cascade(&s), HEAT_FAR);
  heat_thresholds t = heat_thresholds_for(0, 0);
  cr_assert_eq(t.very_close_m, 100);
  cr_assert_eq(t.close_m, 200);
  t = heat_thresholds_for(150, 0);
  cr_assert_eq(t.very_close_m, 150);
  cr_assert_eq(t.close_m, 200);
  t = heat_thresholds_for(300, 0); /* inconsistent overrides are made monotonic */
  cr_assert_eq(t.close_m, 300);
  t = heat_thresholds_for(0, 1500);
  cr_assert_eq(t.far_m, 1500);
}

Test(heat_cascade, eligible_levels) {
  cr_assert(heat_level_eligible(HEAT_IN_ZONE));
  cr_assert(heat_level_eligible(HEAT_VERY_CLOSE));
  cr_assert(heat_level_eligible(HEAT_CLOSE));
  cr_assert_not(heat_level_eligible(HEAT_FAR));
  cr_assert_not(heat_level_eligible(HEAT_IN_COMMUNE));
  cr_assert_not(heat_level_eligible(HEAT_NONE));
  cr_assert_not(heat_level_eligible(HEAT_OUTSIDE));
}

Test(heat_cascade, codes_and_labels) {
  cr_assert_str_eq(heat_level_code(HEAT_VERY_CLOSE), "tres_proche");
  cr_assert_str_eq(heat_level_code(HEAT_CLOSE), "proche");
  cr_assert_str_eq(heat_level_code(HEAT_FAR), "loin");
  cr_assert_str_eq(heat_level_code(HEAT_IN_COMMUNE), "dans_commune");
  cr_assert_str_eq(heat_level_code(HEAT_NONE), "aucun");
  cr_assert_str_eq(heat_level_code(HEAT_OUTSIDE), "hors_territoire");
  cr_assert_str_eq(heat_level_code(HEAT_IN_ZONE), "dans_zone_prioritaire");
  cr_assert(strstr(heat_level_label(HEAT_OUTSIDE), "en dehors du territoire"));
  cr_assert_str_eq(heat_status_label("a_traiter"), "À traiter");
  cr_assert_str_eq(heat_status_label("vote_ag"), "Votée en AG");
  cr_assert_null(heat_status_label("inconnu"));
  cr_assert_null(heat_status_label(NULL));
  cr_assert_eq(heat_nstatuses, 9);
}
