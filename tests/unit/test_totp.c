/*
** test_totp.c — TOTP against RFC 6238's appendix B, verification windows,
** secrets, URIs, recovery codes and the QR SVG, through totp.h.
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/totp.h"

/* RFC 6238 appendix B: the ASCII key "12345678901234567890". */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void check_code(int64_t t, const char *want) {
  char out[7];
  cr_assert_eq(totp_code(RFC_SECRET, t, out), 0, "t=%lld", (long long)t);
  cr_assert_str_eq(out, want, "t=%lld", (long long)t);
}

Test(totp, rfc6238_vectors) {
  check_code(59, "287082");
  check_code(1111111109, "081804");
  check_code(1111111111, "050471");
  check_code(1234567890, "005924");
  check_code(2000000000, "279037");
  check_code(20000000000LL, "353130");
}

Test(totp, lower_case_secret) {
  char out[7];
  cr_assert_eq(totp_code("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 59, out), 0);
  cr_assert_str_eq(out, "287082");
}

Test(totp, bad_secret) {
  char out[7];
  cr_assert_eq(totp_code("not base32!", 59, out), -1);
  cr_assert_eq(totp_code("", 59, out), -1);
  cr_assert_eq(totp_code("GEZDGNBV", 59, out), -1); /* 5 bytes: too short a key */
  cr_assert_eq(totp_verify("not base32!", "287082", 59, 1), -1);
}

Test(totp, verify_exact_step) {
  /* 1111111111 is in step 37037037, whose code is 050471. */
  cr_assert_eq(totp_verify(RFC_SECRET, "050471", 1111111111, 0), 37037037);
  cr_assert_eq(totp_verify(RFC_SECRET, "050471", 1111111111, 1), 37037037);
  cr_assert_eq(totp_verify(RFC_SECRET, "050 471", 1111111111, 1), 37037037);
  cr_assert_eq(totp_verify(RFC_SECRET, "050472", 1111111111, 1), -1);
}

Test(totp, verify_window) {
  int64_t t = 1234567890; /* step 41152263 */
  int64_t step = t / 30;
  char prev[7], next[7], prev2[7], next2[7];
  cr_assert_eq(totp_code(RFC_SECRET, t - 30, prev), 0);
  cr_assert_eq(totp_code(RFC_SECRET, t + 30, next), 0);
  cr_assert_eq(totp_code(RFC_SECRET, t - 60, prev2), 0);
  cr_assert_eq(totp_code(RFC_SECRET, t + 60, next2), 0);
  cr_assert_eq(totp_verify(RFC_SECRET, prev, t, 1), step - 1);
  cr_assert_eq(totp_verify(RFC_SECRET, next, t, 1), step + 1);
  cr_assert_eq(totp_verify(RFC_SECRET, prev2, t, 1), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, next2, t, 1), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, prev, t, 0), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, next2, t, 2), step + 2);
}

Test(totp, malformed_codes) {
  cr_assert_eq(totp_verify(RFC_SECRET, "05047", 1111111111, 1), -1);   /* 5 digits */
  cr_assert_eq(totp_verify(RFC_SECRET, "0504711", 1111111111, 1), -1); /* 7 digits */
  cr_assert_eq(totp_verify(RFC_SECRET, "05O471", 1111111111, 1), -1);  /* letter O */
  cr_assert_eq(totp_verify(RFC_SECRET, "abcdef", 1111111111, 1), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, "050-471", 1111111111, 1), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, "", 1111111111, 1), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, NULL, 1111111111, 1), -1);
  cr_assert_eq(totp_verify(RFC_SECRET, "050471", 1111111111, -1), -1);
}

Test(totp, secret_new) {
  char a[TOTP_SECRET_B32], b[TOTP_SECRET_B32];
  totp_secret_new(a);
  totp_secret_new(b);
  cr_assert_eq(strlen(a), 32);
  cr_assert_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
  cr_assert_str_neq(a, b);
  /* A fresh secret works end to end. */
  char code[7];
  cr_assert_eq(totp_code(a, 1700000000, code), 0);
  cr_assert_eq(totp_verify(a, code, 1700000000, 1), 1700000000 / 30);
}

Test(totp, uri) {
  buf b = {0};
  totp_uri(&b, "Guichet Mairie", "marie.curie@example.fr", RFC_SECRET);
  cr_assert_str_eq(buf_str(&b),
                   "otpauth://totp/Guichet%20Mairie:marie.curie%40example.fr"
                   "?secret=" RFC_SECRET
                   "&issuer=Guichet%20Mairie&algorithm=SHA1&digits=6&period=30");
  buf_free(&b);
}

Test(totp, uri_escapes_delimiters) {
  buf b = {0};
  totp_uri(&b, "A&B:C", "x?y#z", RFC_SECRET);
  cr_assert_str_eq(buf_str(&b), "otpauth://totp/A%26B%3AC:x%3Fy%23z?secret=" RFC_SECRET
                                "&issuer=A%26B%3AC&algorithm=SHA1&digits=6&period=30");
  buf_free(&b);
}

Test(recovery, codes_format_and_distinct) {
  char codes[RECOVERY_CODES][RECOVERY_CODE_LEN];
  recovery_codes_new(codes);
  for (int i = 0; i < RECOVERY_CODES; i++) {
    const char *c = codes[i];
    cr_assert_eq(strlen(c), 9, "%s", c);
    cr_assert_eq(c[4], '-', "%s", c);
    for (int j = 0; j < 9; j++) {
      if (j == 4) continue;
      cr_assert_neq(strchr("abcdefghjkmnpqrstuvwxyz23456789", c[j]), NULL, "%s", c);
    }
    for (int k = 0; k < i; k++) cr_assert_str_neq(codes[k], c);
  }
}

Test(recovery, hash_normalisation) {
  char a[65], b[65], c[65], d[65];
  recovery_code_hash("ABCD-EFGH", a);
  recovery_code_hash("abcdefgh", b);
  recovery_code_hash(" abcd efgh ", c);
  recovery_code_hash("abcd-efgj", d);
  cr_assert_eq(strlen(a), 64);
  cr_assert_str_eq(a, b);
  cr_assert_str_eq(a, c);
  cr_assert_str_neq(a, d);
  /* SHA-256("abcdefgh"), so stored hashes do not depend on this code. */
  cr_assert_str_eq(b, "9c56cc51b374c3ba189210d5b6d4bf57790d351c96c47c02190ecf1e430635ab");
}

Test(qr, svg) {
  buf b = {0};
  cr_assert_eq(qr_svg(&b, "otpauth://totp/Guichet:a%40b.fr?secret=" RFC_SECRET, "QR <code> & \"x\""), 0);
  const char *z = buf_str(&b);
  cr_assert(str_startswith(z, "<svg"), "%.60s", z);
  cr_assert_neq(strstr(z, "<path"), NULL);
  cr_assert_neq(strstr(z, " d=\"M"), NULL);
  cr_assert_neq(strstr(z, "shape-rendering=\"crispEdges\""), NULL);
  cr_assert_neq(strstr(z, "role=\"img\""), NULL);
  cr_assert_neq(strstr(z, "aria-label=\"QR &lt;code&gt; &amp; &quot;x&quot;\""), NULL);
  cr_assert_eq(strstr(z, "<code>"), NULL);
  cr_assert(b.n > 9 && strcmp(z + b.n - 6, "</svg>") == 0);
  /* The viewBox is the symbol plus 4 modules each side: a version-N symbol
  ** is 17+4N modules wide, so the box is 25+4N. */
  int w = 0;
  cr_assert_eq(sscanf(strstr(z, "viewBox=\"0 0 "), "viewBox=\"0 0 %d", &w), 1);
  cr_assert((w - 25) % 4 == 0 && w >= 29, "viewBox %d", w);
  /* Runs are merged: far fewer rectangles than dark modules would make. */
  cr_assert_lt(b.n, 12000);
  buf_free(&b);
}

Test(qr, first_module_is_finder_corner) {
  /* Every QR has a 7-module finder pattern in the top-left corner, whose
  ** first row is a run of 7 dark modules after the quiet zone. */
  buf b = {0};
  cr_assert_eq(qr_svg(&b, "hello", "x"), 0);
  cr_assert_neq(strstr(buf_str(&b), "d=\"M4 4h7v1h-7z"), NULL, "%s", buf_str(&b));
  buf_free(&b);
}

Test(qr, too_long) {
  char *z = malloc(5001);
  memset(z, 'a', 5000);
  z[5000] = 0;
  buf b = {0};
  cr_assert_eq(qr_svg(&b, z, "x"), -1);
  free(z);
  buf_free(&b);
}
