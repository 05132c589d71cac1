/*
** test_sheet.c — CSV fields of core/sheet.c: quoting, and text a
** spreadsheet would run as a formula.
*/
#include <criterion/criterion.h>

#include "core/sheet.h"
#include "core/util.h"

static const char *field(const char *z) {
  static char out[256];
  buf b = {0};
  sheet_csv_field(&b, z);
  snprintf(out, sizeof out, "%s", buf_str(&b));
  buf_free(&b);
  return out;
}

Test(sheet, plain_text_is_written_as_is) {
  cr_assert_str_eq(field("Résidentiel collectif"), "Résidentiel collectif");
  cr_assert_str_eq(field(""), "");
  cr_assert_str_eq(field(NULL), "");
}

Test(sheet, commas_quotes_and_line_ends_are_quoted) {
  cr_assert_str_eq(field("a,b"), "\"a,b\"");
  cr_assert_str_eq(field("dit \"oui\""), "\"dit \"\"oui\"\"\"");
  cr_assert_str_eq(field("deux\nlignes"), "\"deux\nlignes\"");
  cr_assert_str_eq(field("fin\r"), "\"fin\r\"");
}

Test(sheet, formulas_never_run) {
  cr_assert_str_eq(field("=1+1"), "\"'=1+1\"");
  cr_assert_str_eq(field("+33"), "\"'+33\"");
  cr_assert_str_eq(field("-2"), "\"'-2\"");
  cr_assert_str_eq(field("@SUM(A1)"), "\"'@SUM(A1)\"");
  cr_assert_str_eq(field("\tx"), "\"'\tx\"");
  cr_assert_str_eq(field("a=b"), "a=b"); /* only a leading sign is a formula */
}
