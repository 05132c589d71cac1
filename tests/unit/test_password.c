/*
** test_password.c — argon2id hashing and the password policy, through
** password.h. The common-password list is a small file written by the test.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/password.h"

static const char zTooShort[] = "Le mot de passe doit contenir au moins 12 caractères.";
static const char zTooLong[] = "Le mot de passe est trop long (128 octets au plus).";
static const char zCommon[] =
    "Ce mot de passe fait partie des plus courants : choisissez-en un autre.";
static const char zClasses[] =
    "Mélangez au moins trois types de caractères parmi minuscules, majuscules, "
    "chiffres et symboles (ou utilisez au moins 16 caractères).";
static const char zEmail[] = "Le mot de passe ne doit pas reprendre votre adresse e-mail.";

#define EMAIL "jeanne.dupont-martin@example.fr"

/* Writes text to a fresh temporary file and loads it; returns the count. */
static int load_list(const char *text) {
  char path[] = "/tmp/guichet-test-common-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  FILE *f = fdopen(fd, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
  int n = password_common_load(path);
  unlink(path);
  return n;
}

static void expect(const char *pw, const char *want) {
  const char *got = password_policy_check(pw, EMAIL);
  if (want) {
    cr_assert_not_null(got, "'%s' accepted, expected: %s", pw, want);
    cr_assert_str_eq(got, want, "'%s'", pw);
  } else {
    cr_assert_null(got, "'%s' refused: %s", pw, got);
  }
}

Test(password, hash_round_trip) {
  char hash[PASSWORD_HASH_MAX];
  cr_assert_eq(password_hash("Correct-Horse-Battery-9", hash), 0);
  cr_assert(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "%s", hash);
  cr_assert_eq(password_verify(hash, "Correct-Horse-Battery-9"), 1);
  cr_assert_eq(password_verify(hash, "Correct-Horse-Battery-8"), 0);
  cr_assert_eq(password_verify(hash, "correct-horse-battery-9"), 0);
  cr_assert_eq(password_verify(hash, ""), 0);
}

Test(password, hashes_are_salted) {
  char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
  cr_assert_eq(password_hash("Même mot de passe 1", a), 0);
  cr_assert_eq(password_hash("Même mot de passe 1", b), 0);
  cr_assert_str_neq(a, b);
  cr_assert_eq(password_verify(a, "Même mot de passe 1"), 1);
  cr_assert_eq(password_verify(b, "Même mot de passe 1"), 1);
}

Test(password, verify_garbage_hash) {
  cr_assert_eq(password_verify("", "x"), 0);
  cr_assert_eq(password_verify("$argon2id$garbage", "x"), 0);
  cr_assert_eq(password_verify(NULL, "x"), 0);
  cr_assert_eq(password_verify("$argon2id$v=19$m=19456,t=2,p=1$", NULL), 0);
}

Test(policy, too_short) {
  expect("", zTooShort);
  expect("Ab1!", zTooShort);
  expect("Abcdefgh1!x", zTooShort); /* 11 */
  expect(NULL, zTooShort);
}

Test(policy, twelve_chars_three_classes) {
  expect("Abcdefghij1k", NULL); /* lower, upper, digit */
  expect("abcdefghij1!", NULL); /* lower, digit, symbol */
  expect("ABCDEFGHIJ!x", NULL); /* upper, symbol, lower */
}

Test(policy, twelve_chars_two_classes) {
  expect("abcdefghijk1", zClasses);
  expect("Abcdefghijkl", zClasses);
  expect("123456789012", zClasses);
  expect("abcdefghijklmno", zClasses); /* 15: still short of the long rule */
}

Test(policy, long_single_class) {
  expect("abcdefghijklmnop", NULL); /* 16 */
  expect("correct horse battery staple", NULL);
  expect("1234567890123456", NULL);
}

Test(policy, common_password) {
  cr_assert_eq(load_list("motdepasse123\r\nazertyuiop123!\n\nsoleil2024soleil\nmotdepasse123\n"
                         "MotDePasse!2024"),
               4); /* the blank line and the repeat do not count */
  cr_assert_eq(password_is_common("motdepasse123"), 1);
  cr_assert_eq(password_is_common("motdepasse124"), 0);
  cr_assert_eq(password_is_common("motdepasse!2024"), 1); /* stored lower-cased */
  expect("Motdepasse123", zCommon);
  expect("azertyuiop123!", zCommon);
  expect("soleil2024soleil", zCommon); /* would pass the 16-character rule */
  expect("Motdepasse1234", NULL);
}

Test(policy, common_case_insensitive) {
  cr_assert_eq(load_list("azertyuiop123!\n"), 1);
  cr_assert_eq(password_is_common("AZERTYUIOP123!"), 1);
  cr_assert_eq(password_is_common("AzErTyUiOp123!"), 1);
  expect("AZERTYUIOP123!", zCommon);
  expect("AzertyUiop123!", zCommon);
}

Test(policy, common_reload_replaces) {
  cr_assert_eq(load_list("azertyuiop123!\n"), 1);
  cr_assert_eq(load_list("qwertyuiop123!\n"), 1);
  cr_assert_eq(password_is_common("azertyuiop123!"), 0);
  cr_assert_eq(password_is_common("qwertyuiop123!"), 1);
  cr_assert_eq(password_common_load("/nonexistent/common-passwords.txt"), -1);
}

Test(policy, common_many_entries) {
  /* Enough entries to grow the table several times. */
  size_t cap = 5000 * 16;
  char *text = malloc(cap);
  size_t n = 0;
  for (int i = 0; i < 5000; i++) n += (size_t)snprintf(text + n, cap - n, "pass%dword\n", i);
  cr_assert_eq(load_list(text), 5000);
  free(text);
  cr_assert_eq(password_is_common("pass0word"), 1);
  cr_assert_eq(password_is_common("PASS4999WORD"), 1);
  cr_assert_eq(password_is_common("pass5000word"), 0);
}

Test(policy, email_as_password) {
  expect(EMAIL, zEmail);
  expect("Jeanne.Dupont-Martin@Example.fr", zEmail);
  expect("jeanne.dupont-martin", zEmail); /* the local part, 20 characters */
  expect("JEANNE.DUPONT-MARTIN", zEmail);
  expect("jeanne.dupont-martin!", NULL);
}

Test(policy, utf8_counts_code_points) {
  /* 12 characters but 24 bytes, all symbols: the class rule refuses, not
  ** the length rule. */
  expect("éééééééééééé", zClasses);
  expect("ééééééééééé", zTooShort); /* 11 characters, 22 bytes */
  expect("Éléphant été", zClasses); /* 12 chars: upper, lower, symbols (é, space) */
  expect("Éléphant été1", NULL);
  expect("Éléphant1", zTooShort); /* 9 characters */
  expect("àéèùçôîïœ€ëü", zClasses);       /* 12 non-ASCII: one class */
  expect("àéèùçôîïœ€ëüÿæ«»", NULL);       /* 16 characters */
}

Test(policy, too_long) {
  char pw[200];
  memset(pw, 'a', 128);
  pw[128] = 0;
  expect(pw, NULL); /* exactly 128 bytes */
  memset(pw, 'a', 129);
  pw[129] = 0;
  expect(pw, zTooLong);
  memset(pw, 'a', 199);
  pw[199] = 0;
  expect(pw, zTooLong);
  /* 65 two-byte characters: 65 characters but 130 bytes. */
  for (int i = 0; i < 65; i++) memcpy(pw + 2 * i, "é", 2);
  pw[130] = 0;
  expect(pw, zTooLong);
}
