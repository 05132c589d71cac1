/*
** test_heat_compare.c — the cost and CO2 comparison of the heat feature
** (heat.h): which dated parameter row applies, and the figures for known
** cases worked out by hand from the default parameters of migration
** 002_public.sql.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "features/heat/heat.h"

static heat_cost_param row(heat_mode m, const char *from, int64_t price, int64_t eff, int64_t co2) {
  heat_cost_param p;
  memset(&p, 0, sizeof p);
  p.mode = m;
  snprintf(p.valid_from, sizeof p.valid_from, "%s", from);
  p.price_cents_mwh = price;
  p.efficiency_bp = eff;
  p.co2_g_kwh = co2;
  return p;
}

Test(heat_compare, newest_applicable_row_wins) {
  heat_cost_param rows[] = {
      row(HEAT_MODE_GAS, "2024-01-01", 12000, 9000, 227),
      row(HEAT_MODE_GAS, "2025-07-01", 13000, 9000, 227),
      row(HEAT_MODE_GAS, "2030-01-01", 99000, 9000, 227), /* not yet */
      row(HEAT_MODE_OIL, "2026-01-01", 12000, 8500, 324),
  };
  int n = sizeof rows / sizeof rows[0];
  cr_assert_eq(heat_param_pick(rows, n, HEAT_MODE_GAS, "2026-03-15"), &rows[1]);
  cr_assert_eq(heat_param_pick(rows, n, HEAT_MODE_GAS, "2025-07-01"), &rows[1], "from its first day");
  cr_assert_eq(heat_param_pick(rows, n, HEAT_MODE_GAS, "2025-06-30"), &rows[0], "the day before: the older row");
  cr_assert_eq(heat_param_pick(rows, n, HEAT_MODE_GAS, "2030-01-01"), &rows[2]);
  cr_assert_null(heat_param_pick(rows, n, HEAT_MODE_OIL, "2025-12-31"), "nothing applies before the first row");
  cr_assert_null(heat_param_pick(rows, n, HEAT_MODE_WOOD, "2026-01-01"));
}

Test(heat_compare, same_date_later_row_wins) {
  heat_cost_param rows[] = {
      row(HEAT_MODE_WOOD, "2025-01-01", 9000, 8500, 30),
      row(HEAT_MODE_WOOD, "2025-01-01", 9500, 8500, 30),
  };
  cr_assert_eq(heat_param_pick(rows, 2, HEAT_MODE_WOOD, "2025-02-01"), &rows[1]);
}

Test(heat_compare, gas_10000_kwh) {
  /* 10,000 / 0.90 = 11,111.1 kWh; × 0.12 €/kWh = 1,333.33 €; × 0.227 = 2,522 kg. */
  heat_cost_param p = row(HEAT_MODE_GAS, "2024-01-01", 12000, 9000, 227);
  heat_cost c = heat_cost_of(10000, &p, -1);
  cr_assert_eq(c.final_kwh, 11111);
  cr_assert_eq(c.cost_cents, 133333);
  cr_assert_eq(c.co2_kg, 2522);
}

Test(heat_compare, heat_pump_uses_its_cop) {
  /* 10,000 / 2.9 = 3,448.3 kWh of electricity; × 0.25 € = 862.07 €; × 0.079 = 272 kg. */
  heat_cost_param p = row(HEAT_MODE_HEAT_PUMP, "2024-01-01", 25000, 29000, 79);
  heat_cost c = heat_cost_of(10000, &p, -1);
  cr_assert_eq(c.final_kwh, 3448);
  cr_assert_eq(c.cost_cents, 86207);
  cr_assert_eq(c.co2_kg, 272);
}

Test(heat_compare, network_own_content_replaces_the_default) {
  /* 1701C publishes 49 g/kWh: 10,000 / 0.95 = 10,526.3 kWh × 0.049 = 516 kg
  ** (with the 100 g fallback: 1,053 kg). */
  heat_cost_param p = row(HEAT_MODE_NETWORK, "2024-01-01", 11000, 9500, 100);
  heat_cost own = heat_cost_of(10000, &p, 49);
  heat_cost dflt = heat_cost_of(10000, &p, -1);
  cr_assert_eq(own.final_kwh, 10526);
  cr_assert_eq(own.co2_kg, 516);
  cr_assert_eq(dflt.co2_kg, 1053);
  cr_assert_eq(own.cost_cents, dflt.cost_cents, "the content changes emissions, not the price");
  cr_assert_eq(own.cost_cents, 115789);
  heat_cost zero = heat_cost_of(10000, &p, 0);
  cr_assert_eq(zero.co2_kg, 0, "a network with zero published content emits nothing");
}

Test(heat_compare, nothing_needed_costs_nothing) {
  heat_cost_param p = row(HEAT_MODE_OIL, "2024-01-01", 12000, 8500, 324);
  heat_cost c = heat_cost_of(0, &p, -1);
  cr_assert_eq(c.final_kwh, 0);
  cr_assert_eq(c.cost_cents, 0);
  cr_assert_eq(c.co2_kg, 0);
}

Test(heat_compare, need_from_surface_and_codes) {
  cr_assert_eq(heat_need_from_surface(HEAT_BUILDING_HOUSE, 100), 12000);
  cr_assert_eq(heat_need_from_surface(HEAT_BUILDING_FLATS, 2500), 250000);
  cr_assert_eq(heat_need_from_surface(HEAT_BUILDING_TERTIARY, 0), 0);
  cr_assert_eq(heat_building_of("collectif"), HEAT_BUILDING_FLATS);
  cr_assert_eq(heat_building_of("chateau"), -1);
  cr_assert_eq(heat_mode_of("pac"), HEAT_MODE_HEAT_PUMP);
  cr_assert_eq(heat_mode_of(NULL), -1);
  for (int m = 0; m < HEAT_NMODES; m++) cr_assert_eq(heat_mode_of(heat_mode_code(m)), m);
  cr_assert_str_eq(heat_mode_label(HEAT_MODE_NETWORK), "Réseau de chaleur");
}
