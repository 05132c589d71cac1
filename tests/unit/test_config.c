/*
** test_config.c — configuration (core/config.c): the keys features declare
** in their `config` table are read like core's, from the file and from
** GUICHET_<KEY> variables, and a whole number outside its declared range
** stops the start-up. The heat feature's keys serve as the example: they
** are linked in, as in the real binary. Each test runs in its own process
** (Criterion forks), so the environment and the tables start clean.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/feature.h"

static char g_path[64];

/* Points GUICHET_CONFIG at a file holding text. */
static void conf_file(const char *text) {
  snprintf(g_path, sizeof g_path, "/tmp/guichet-conf-XXXXXX");
  int fd = mkstemp(g_path);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  setenv("GUICHET_CONFIG", g_path, 1);
}

static void cleanup(void) {
  if (*g_path) unlink(g_path);
}

TestSuite(config, .fini = cleanup);

Test(config, feature_key_has_its_default) {
  conf_file("");
  cr_assert_eq(config_load(), 0);
  cr_assert_str_eq(config_str("heat_reminder_days"), "7");
  cr_assert_eq(config_int("heat_threshold_close_m"), 200);
  cr_assert_str_eq(config_str("heat_agency_email"), "reseaux-chaleur@agence-energie.localhost");
}

Test(config, feature_key_from_file_then_environment) {
  conf_file("# thresholds of the territory\nheat_threshold_very_close_m = 60\nheat_threshold_close_m = 120\n");
  setenv("GUICHET_HEAT_THRESHOLD_CLOSE_M", "150", 1);
  cr_assert_eq(config_load(), 0);
  cr_assert_eq(config_int("heat_threshold_very_close_m"), 60, "read from the file");
  cr_assert_eq(config_int("heat_threshold_close_m"), 150, "the environment wins over the file");
  cr_assert_eq(config_int("port"), 8080, "core keys are untouched");
}

Test(config, feature_key_out_of_range_stops_loading) {
  conf_file("heat_reminder_days = 0\n");
  cr_assert_eq(config_load(), -1);
}

Test(config, feature_key_not_a_number_stops_loading) {
  conf_file("");
  setenv("GUICHET_HEAT_ROUTE_MAX_M", "500m", 1);
  cr_assert_eq(config_load(), -1);
}

Test(config, free_text_key_takes_any_value) {
  conf_file("heat_agency_email = ale@territoire.fr\n");
  cr_assert_eq(config_load(), 0);
  cr_assert_str_eq(config_str("heat_agency_email"), "ale@territoire.fr");
}

Test(config, unknown_key_is_still_an_error) {
  conf_file("heat_treshold_close_m = 150\n");
  cr_assert_eq(config_load(), -1);
}

Test(config, every_feature_key_is_prefixed_by_its_feature) {
  for (int i = 0; features[i]; i++)
    for (const struct config_key *c = features[i]->config; c && c->key; c++) {
      cr_assert(!strncmp(c->key, features[i]->name, strlen(features[i]->name)), "%s", c->key);
      cr_assert(c->min <= c->max, "%s", c->key);
    }
}

Test(config, config_set_reaches_feature_keys) {
  config_set("heat_reminder_days", "3");
  cr_assert_eq(config_int("heat_reminder_days"), 3);
}
