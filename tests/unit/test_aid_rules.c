/*
** test_aid_rules.c — the aid arithmetic and the opening rules (aid.h):
** which of rate and cap binds, zero points, the bonus, rounding down to the
** cent, the dates, an envelope or a point count exactly reached, and the
** French parsing and formatting of amounts.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "features/aid/aid.h"

/* 50 %, 960 € per point, 360 € bonus, open all 2026, no limits. */
static aid_rules base(void) {
  aid_rules p = {.active = 1, .rate_bp = 5000, .cap_cents = 96000, .bonus_cents = 36000,
                 .budget_cents = 0, .max_points = 0, .opens_on = "2026-01-01", .closes_on = "2026-12-31"};
  return p;
}

Test(aid_amount, rate_binds) {
  aid_rules p = base();
  /* 50 % of 1 000 € = 500 € < 960 € × 1. */
  cr_assert_eq(aid_amount(&p, 100000, 1, 0), 50000);
}

Test(aid_amount, cap_binds) {
  aid_rules p = base();
  /* 50 % of 5 000 € = 2 500 € > 960 € × 2 = 1 920 €. */
  cr_assert_eq(aid_amount(&p, 500000, 2, 0), 192000);
}

Test(aid_amount, rate_equals_cap) {
  aid_rules p = base();
  cr_assert_eq(aid_amount(&p, 192000, 1, 0), 96000);
}

Test(aid_amount, zero_points_or_cost) {
  aid_rules p = base();
  cr_assert_eq(aid_amount(&p, 500000, 0, 1), 0); /* no point: no bonus either */
  cr_assert_eq(aid_amount(&p, 0, 3, 1), 0);
}

Test(aid_amount, bonus_added_per_point_beyond_cap) {
  aid_rules p = base();
  /* min(2 500, 1 920) + 360 × 2 = 2 640 €. */
  cr_assert_eq(aid_amount(&p, 500000, 2, 1), 264000);
  /* Rate binding: 500 + 360 = 860 €. */
  cr_assert_eq(aid_amount(&p, 100000, 1, 1), 86000);
  /* A programme without bonus adds nothing even when asked. */
  p.bonus_cents = 0;
  cr_assert_eq(aid_amount(&p, 500000, 2, 1), 192000);
}

Test(aid_amount, rounds_down_to_the_cent) {
  aid_rules p = base();
  p.rate_bp = 3333; /* 33,33 % of 10,01 € = 3,336333 € → 3,33 € */
  cr_assert_eq(aid_amount(&p, 1001, 1, 0), 333);
  p.rate_bp = 5000; /* 50 % of 0,03 € = 0,015 € → 0,01 € */
  cr_assert_eq(aid_amount(&p, 3, 1, 0), 1);
  p.rate_bp = 0;
  cr_assert_eq(aid_amount(&p, 500000, 2, 1), 72000); /* only the bonus */
  p.rate_bp = 10000;
  cr_assert_eq(aid_amount(&p, 50000, 1, 0), 50000);
}

Test(aid_amount, largest_inputs_do_not_overflow) {
  aid_rules p = base();
  p.rate_bp = 10000;
  p.cap_cents = AID_AMOUNT_MAX;
  p.bonus_cents = AID_AMOUNT_MAX;
  cr_assert_eq(aid_amount(&p, AID_AMOUNT_MAX, AID_POINTS_MAX, 1), AID_AMOUNT_MAX + AID_AMOUNT_MAX * AID_POINTS_MAX);
}

Test(aid_status, dates) {
  aid_rules p = base();
  cr_assert_eq(aid_status(&p, "2025-12-31", 0, 0), AID_NOT_YET);
  cr_assert_eq(aid_status(&p, "2026-01-01", 0, 0), AID_OPEN); /* first day included */
  cr_assert_eq(aid_status(&p, "2026-12-31", 0, 0), AID_OPEN); /* last day included */
  cr_assert_eq(aid_status(&p, "2027-01-01", 0, 0), AID_ENDED);
  p.closes_on = "2026-01-01";
  cr_assert_eq(aid_status(&p, "2026-01-01", 0, 0), AID_OPEN); /* a one-day programme */
}

Test(aid_status, inactive_wins) {
  aid_rules p = base();
  p.active = 0;
  cr_assert_eq(aid_status(&p, "2026-06-01", 0, 0), AID_INACTIVE);
  cr_assert_eq(aid_status(&p, "2030-06-01", 0, 0), AID_INACTIVE);
}

Test(aid_status, envelope) {
  aid_rules p = base();
  p.budget_cents = 1000000;
  p.committed_cents = 900000;
  cr_assert_eq(aid_status(&p, "2026-06-01", 100000, 1), AID_OPEN);   /* exactly reached: accepted */
  cr_assert_eq(aid_status(&p, "2026-06-01", 100001, 1), AID_BUDGET); /* one cent over */
  cr_assert_eq(aid_status(&p, "2026-06-01", 0, 0), AID_OPEN);        /* room left */
  p.committed_cents = 999999;
  cr_assert_eq(aid_status(&p, "2026-06-01", 0, 0), AID_OPEN); /* one cent left */
  p.committed_cents = 1000000;
  cr_assert_eq(aid_status(&p, "2026-06-01", 0, 0), AID_BUDGET); /* used up exactly */
  cr_assert_eq(aid_status(&p, "2026-06-01", 1, 1), AID_BUDGET);
  p.budget_cents = 0; /* no envelope: never exhausted */
  cr_assert_eq(aid_status(&p, "2026-06-01", 100000000, 1), AID_OPEN);
}

Test(aid_status, max_points) {
  aid_rules p = base();
  p.max_points = 10;
  p.committed_points = 8;
  cr_assert_eq(aid_status(&p, "2026-06-01", 1000, 2), AID_OPEN);
  cr_assert_eq(aid_status(&p, "2026-06-01", 1000, 3), AID_POINTS);
  p.committed_points = 10;
  cr_assert_eq(aid_status(&p, "2026-06-01", 0, 0), AID_POINTS);
}

Test(aid_status, reasons_in_french) {
  aid_rules p = base();
  char out[256];
  aid_state_reason(AID_OPEN, &p, out, sizeof out);
  cr_assert_str_eq(out, "");
  aid_state_reason(AID_NOT_YET, &p, out, sizeof out);
  cr_assert_str_eq(out, "Le programme n’est pas encore ouvert : les demandes seront reçues à partir du 01/01/2026.");
  aid_state_reason(AID_ENDED, &p, out, sizeof out);
  cr_assert_str_eq(out, "Le programme est clos : la date limite de dépôt, le 31/12/2026, est passée.");
  aid_state_reason(AID_INACTIVE, &p, out, sizeof out);
  cr_assert_str_eq(out, "Le programme est clos : il n’accepte plus de demandes.");
  p.budget_cents = p.committed_cents = 100;
  aid_state_reason(AID_BUDGET, &p, out, sizeof out);
  cr_assert_str_eq(out, "Le programme est clos : l’enveloppe budgétaire est épuisée.");
  p.committed_cents = 50;
  aid_state_reason(AID_BUDGET, &p, out, sizeof out);
  cr_assert_str_eq(out, "L’enveloppe budgétaire restante ne couvre pas cette demande.");
  p.max_points = p.committed_points = 4;
  aid_state_reason(AID_POINTS, &p, out, sizeof out);
  cr_assert_str_eq(out, "Le programme est clos : le nombre maximal de points de recharge est atteint.");
}

Test(aid_parse, hundredths) {
  int64_t v = -1;
  cr_assert_eq(aid_parse_hundredths("960", AID_AMOUNT_MAX, &v), 0);
  cr_assert_eq(v, 96000);
  cr_assert_eq(aid_parse_hundredths("12 500,50", AID_AMOUNT_MAX, &v), 0);
  cr_assert_eq(v, 1250050);
  cr_assert_eq(aid_parse_hundredths("12\xC2\xA0" "500.5 €", AID_AMOUNT_MAX, &v), 0);
  cr_assert_eq(v, 1250050);
  cr_assert_eq(aid_parse_hundredths("37,5", 10000, &v), 0);
  cr_assert_eq(v, 3750);
  cr_assert_eq(aid_parse_hundredths("100", 10000, &v), 0);
  cr_assert_eq(v, 10000);
  cr_assert_eq(aid_parse_hundredths("0", 10000, &v), 0);
  cr_assert_eq(v, 0);
  v = 7;
  cr_assert_eq(aid_parse_hundredths("100,01", 10000, &v), -1); /* above max */
  cr_assert_eq(aid_parse_hundredths("", 10000, &v), -1);
  cr_assert_eq(aid_parse_hundredths("12,", 10000, &v), -1);
  cr_assert_eq(aid_parse_hundredths(",5", 10000, &v), -1);
  cr_assert_eq(aid_parse_hundredths("1,234", AID_AMOUNT_MAX, &v), -1);   /* three decimals */
  cr_assert_eq(aid_parse_hundredths("1,2,3", AID_AMOUNT_MAX, &v), -1);
  cr_assert_eq(aid_parse_hundredths("-5", AID_AMOUNT_MAX, &v), -1);
  cr_assert_eq(aid_parse_hundredths("12abc", AID_AMOUNT_MAX, &v), -1);
  cr_assert_eq(aid_parse_hundredths("€ 12", AID_AMOUNT_MAX, &v), -1);
  cr_assert_eq(aid_parse_hundredths("12 € 3", AID_AMOUNT_MAX, &v), -1);
  cr_assert_eq(aid_parse_hundredths("99999999999999999999999", AID_AMOUNT_MAX, &v), -1);
  cr_assert_eq(v, 7); /* untouched on failure */
}

Test(aid_parse, count_and_dates) {
  int64_t v = 0;
  cr_assert_eq(aid_parse_count("12", AID_POINTS_MAX, &v), 0);
  cr_assert_eq(v, 12);
  cr_assert_eq(aid_parse_count("0", AID_POINTS_MAX, &v), -1);
  cr_assert_eq(aid_parse_count("1,5", AID_POINTS_MAX, &v), -1);
  cr_assert_eq(aid_parse_count("", AID_POINTS_MAX, &v), -1);
  cr_assert_eq(aid_parse_count("1000001", AID_POINTS_MAX, &v), -1);
  cr_assert_eq(aid_date_valid("2026-02-28"), 1);
  cr_assert_eq(aid_date_valid("2028-02-29"), 1);
  cr_assert_eq(aid_date_valid("2026-02-29"), 0);
  cr_assert_eq(aid_date_valid("2026-04-31"), 0);
  cr_assert_eq(aid_date_valid("2026-13-01"), 0);
  cr_assert_eq(aid_date_valid("26-01-01"), 0);
  cr_assert_eq(aid_date_valid("2026/01/01"), 0);
}

Test(aid_format, euros_rate_date) {
  char out[64];
  aid_format_euros(out, sizeof out, 1250000);
  cr_assert_str_eq(out, "12\xC2\xA0" "500,00\xC2\xA0€");
  aid_format_euros(out, sizeof out, 5);
  cr_assert_str_eq(out, "0,05\xC2\xA0€");
  aid_format_euros(out, sizeof out, 123456789012);
  cr_assert_str_eq(out, "1\xC2\xA0" "234\xC2\xA0" "567\xC2\xA0" "890,12\xC2\xA0€");
  aid_format_euros(out, sizeof out, 99999);
  cr_assert_str_eq(out, "999,99\xC2\xA0€");
  aid_format_rate(out, sizeof out, 5000);
  cr_assert_str_eq(out, "50\xC2\xA0%");
  aid_format_rate(out, sizeof out, 3750);
  cr_assert_str_eq(out, "37,5\xC2\xA0%");
  aid_format_rate(out, sizeof out, 3725);
  cr_assert_str_eq(out, "37,25\xC2\xA0%");
  aid_format_rate(out, sizeof out, 5);
  cr_assert_str_eq(out, "0,05\xC2\xA0%");
  aid_format_date(out, sizeof out, "2026-09-01");
  cr_assert_str_eq(out, "01/09/2026");
}

/* ------------------------------------------------ départements and kW */

static int depts(const char *in, char *out, char *bad) {
  return aid_departements_parse(in, out, AID_DEPTS_TEXT, bad, 32);
}

Test(aid_departements, normalised_sorted_distinct) {
  char out[AID_DEPTS_TEXT], bad[32];
  cr_assert_eq(depts(" 17; 79,2a 974 17\n9\t2B,01", out, bad), 0);
  cr_assert_str_eq(out, "01,09,17,2A,2B,79,974");
  cr_assert_eq(depts("971 972 973 974 975 976 95", out, bad), 0);
  cr_assert_str_eq(out, "95,971,972,973,974,975,976");
}

Test(aid_departements, every_code_fits) {
  char in[1024] = "", out[AID_DEPTS_TEXT], bad[32];
  size_t n = 0;
  for (int d = 1; d <= 95; d++)
    if (d != 20) n += (size_t)snprintf(in + n, sizeof in - n, "%02d ", d);
  n += (size_t)snprintf(in + n, sizeof in - n, "2A 2B 971 972 973 974 975 976");
  cr_assert_eq(depts(in, out, bad), 0);
  cr_assert_eq(strlen(out), 94 * 3 + 2 * 3 + 6 * 4 - 1);
  cr_assert(strncmp(out, "01,02,", 6) == 0);
  cr_assert(strstr(out, ",19,2A,2B,21,") != NULL);
}

Test(aid_departements, refused_with_the_token) {
  char out[AID_DEPTS_TEXT], bad[32];
  static const char *const cases[][2] = {{"17, 20", "20"}, {"2C", "2C"}, {"96", "96"}, {"977", "977"},
                                         {"00", "00"}, {"0", "0"}, {"17 1234", "1234"}, {"Charente", "Charente"},
                                         {"17-79", "17-79"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cr_assert_eq(depts(cases[i][0], out, bad), -1, "%s", cases[i][0]);
    cr_assert_str_eq(bad, cases[i][1]);
  }
  cr_assert_eq(depts(" ,; ", out, bad), -1);
  cr_assert_str_eq(bad, "");
  cr_assert_eq(depts("", out, bad), -1);
  /* A long token is cut to 20 bytes, never inside a character. */
  cr_assert_eq(depts("ééééééééééééééééééééé", out, bad), -1);
  cr_assert_eq(strlen(bad), 20);
  cr_assert_eq(depts("aéééééééééééééééééééé", out, bad), -1);
  cr_assert_eq(strlen(bad), 19);
}

Test(aid_format, kilowatts) {
  char out[32];
  aid_format_kw(out, sizeof out, 22000, 0);
  cr_assert_str_eq(out, "22");
  aid_format_kw(out, sizeof out, 7400, 0);
  cr_assert_str_eq(out, "7,4");
  aid_format_kw(out, sizeof out, 3680, 1);
  cr_assert_str_eq(out, "3,68\xC2\xA0kW");
  aid_format_kw(out, sizeof out, 10, 1);
  cr_assert_str_eq(out, "0,01\xC2\xA0kW");
}
