/*
** test_siret.c — SIRET validation and normalisation, through siret.h.
** The valid numbers pass Luhn (or La Poste's digit-sum rule); each invalid
** one differs from a valid one by the single defect the test names.
*/
#include <criterion/criterion.h>

#include "features/account/siret.h"

Test(siret, valid_luhn) {
  cr_assert_eq(siret_valid("73282932000074"), 1);
  cr_assert_eq(siret_valid("44306184100047"), 1);
  cr_assert_eq(siret_valid("55208131766522"), 1);
  cr_assert_eq(siret_valid("78012998703591"), 1);
  cr_assert_eq(siret_valid("54205118000066"), 1);
  cr_assert_eq(siret_valid("38347481400100"), 1);
}

Test(siret, la_poste) {
  /* Head office: passes Luhn, digit sum 26. */
  cr_assert_eq(siret_valid("35600000000048"), 1);
  /* An establishment: fails Luhn, digit sum 45, a multiple of 5. */
  cr_assert_eq(siret_valid("35600000049837"), 1);
  /* Fails both rules. */
  cr_assert_eq(siret_valid("35600000049838"), 0);
  /* The digit-sum rule is La Poste's only: sum 45, Luhn fails, other SIREN. */
  cr_assert_eq(siret_valid("35600000149836"), 0); /* SIREN 356000001 */
}

Test(siret, invalid_luhn) {
  cr_assert_eq(siret_valid("73282932000075"), 0);
  cr_assert_eq(siret_valid("73282932000047"), 0); /* swapped last two digits */
  cr_assert_eq(siret_valid("44306184100048"), 0);
}

Test(siret, wrong_length) {
  cr_assert_eq(siret_valid("7328293200007"), 0);   /* 13 digits */
  cr_assert_eq(siret_valid("732829320000740"), 0); /* 15 digits, Luhn-valid */
  cr_assert_eq(siret_valid(""), 0);
  cr_assert_eq(siret_valid("732829320"), 0); /* a SIREN is not a SIRET */
  cr_assert_eq(siret_valid(NULL), 0);
}

Test(siret, letters_and_punctuation) {
  cr_assert_eq(siret_valid("7328293200007A"), 0);
  cr_assert_eq(siret_valid("FR73282932000074"), 0);
  cr_assert_eq(siret_valid("732-829-320-00074"), 0);
  cr_assert_eq(siret_valid("732.829.320.00074"), 0);
}

Test(siret, spaces_between_groups) {
  cr_assert_eq(siret_valid("732 829 320 00074"), 1);
  cr_assert_eq(siret_valid(" 73282932000074 "), 1);
  cr_assert_eq(siret_valid("732\xc2\xa0" "829\xc2\xa0" "320\xc2\xa0" "00074"), 1); /* U+00A0 */
  cr_assert_eq(siret_valid("732\xe2\x80\xaf" "829 320 00074"), 1);              /* U+202F */
  cr_assert_eq(siret_valid("732 829 320 00075"), 0);
  cr_assert_eq(siret_valid("732\t829 320 00074"), 0); /* tabs are not accepted */
  cr_assert_eq(siret_valid("732\xc2" "829 320 00074"), 0); /* truncated UTF-8 */
}

Test(siret, normalize) {
  char out[15];
  cr_assert_eq(siret_normalize("732 829 320 00074", out), 0);
  cr_assert_str_eq(out, "73282932000074");
  cr_assert_eq(siret_normalize("73282932000074", out), 0);
  cr_assert_str_eq(out, "73282932000074");
  /* Luhn is not normalize's business. */
  cr_assert_eq(siret_normalize("73282932000075", out), 0);
  cr_assert_str_eq(out, "73282932000075");
  cr_assert_eq(siret_normalize("7328293200007", out), -1);
  cr_assert_eq(siret_normalize("732829320000740", out), -1);
  cr_assert_eq(siret_normalize("7328293200007x", out), -1);
  cr_assert_eq(siret_normalize("", out), -1);
}

Test(siret, overlong_input) {
  char z[200];
  memset(z, ' ', sizeof(z) - 1);
  z[sizeof(z) - 1] = 0;
  memcpy(z + 150, "73282932000074", 14);
  cr_assert_eq(siret_valid(z), 0);
  cr_assert_eq(siret_valid("73282932000074" "                                                  "
                           "                                                  "),
               0);
}
