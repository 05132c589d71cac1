/*
** totp.c — TOTP (RFC 6238), otpauth:// URIs, recovery codes, and QR codes
** as inline SVG.
**
** TOTP: HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch, through
** liboath; these are the parameters every authenticator app assumes when
** the URI says nothing, and the URI says them anyway. liboath needs
** oath_init once per process (pthread_once here); after that its functions
** are thread-safe. Secrets are base32 (RFC 4648) of 20 random bytes, stored
** by the caller; the decoded key lives on the heap only for the duration of
** one call and is wiped before it is freed.
**
** Verification computes the code of every step in the window and compares
** each in constant time, so the answer's timing says nothing about which
** step (or digit) matched. It returns the step number so that the caller can
** store the last step used and refuse a replay within the window.
**
** Recovery codes: 8 characters from a 30-symbol alphabet without look-alikes
** (no i, l, o, 0, 1), about 39 bits each — enough for single-use codes
** behind login rate limiting. Only their SHA-256 is stored; a plain hash
** (not argon2) is sound because the codes are random, not chosen.
**
** QR: libqrencode at ECC level M; the SVG is one <path> in which each
** horizontal run of dark modules is one rectangle, which keeps a typical
** otpauth QR (version 5–7) to a few kilobytes. Output goes to the caller's
** buf; nothing here keeps memory between calls.
*/
#include "core/totp.h"

#include <assert.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTP_STEP 30          /* seconds per step (RFC 6238 default) */
#define TOTP_DIGITS 6         /* code length (RFC 6238 default) */
#define TOTP_KEY_BYTES 20     /* new secrets: 160 bits, RFC 4226's recommendation */
#define TOTP_KEY_MIN 16       /* RFC 4226: a shared secret MUST be >= 128 bits */
#define TOTP_SECRET_MAX 128   /* longest base32 secret we accept to decode */
#define TOTP_WINDOW_MAX 10    /* caps the work per verification */
#define TOTP_CODE_INPUT_MAX 32 /* bytes of typed code, spaces included */
#define RECOVERY_CODE_INPUT_MAX 64 /* bytes of a typed recovery code */
#define QR_QUIET 4            /* quiet zone in modules (ISO/IEC 18004) */
#define QR_TEXT_MAX 2331      /* bytes in 8-bit mode at version 40, level M */

static const char zRecoveryAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;

static void oath_setup(void) {
  if (oath_init() != OATH_OK) {
    fprintf(stderr, "guichet: oath_init failed\n");
    abort();
  }
}

/* Both libraries initialise once; failure means no crypto or randomness. */
static void crypto_ready(void) {
  pthread_once(&oath_once, oath_setup);
  if (sodium_init() < 0) {
    fprintf(stderr, "guichet: sodium_init failed\n");
    abort();
  }
}

void totp_secret_new(char out[TOTP_SECRET_B32]) {
  unsigned char key[TOTP_KEY_BYTES];
  char *z = NULL;
  size_t n = 0;
  crypto_ready();
  randombytes_buf(key, sizeof(key));
  int rc = oath_base32_encode((const char *)key, sizeof(key), &z, &n);
  sodium_memzero(key, sizeof(key));
  if (rc != OATH_OK) { /* only OATH_MALLOC_ERROR is possible here */
    fprintf(stderr, "guichet: oath_base32_encode failed: %d\n", rc);
    abort();
  }
  /* 160 bits are exactly 32 base32 characters: no padding. */
  assert(n == TOTP_SECRET_B32 - 1);
  memcpy(out, z, TOTP_SECRET_B32 - 1);
  out[TOTP_SECRET_B32 - 1] = 0;
  sodium_memzero(z, n);
  free(z);
}

/* Decodes secret_b32 into a malloc'd key of at least TOTP_KEY_MIN bytes;
** 0, or -1 if it is too long, not base32, or too short. */
static int secret_decode(const char *secret_b32, char **pKey, size_t *pnKey) {
  if (!secret_b32) return -1;
  size_t n = strnlen(secret_b32, TOTP_SECRET_MAX + 1);
  if (n > TOTP_SECRET_MAX) return -1;
  if (oath_base32_decode(secret_b32, n, pKey, pnKey) != OATH_OK) return -1;
  if (*pnKey < TOTP_KEY_MIN) {
    sodium_memzero(*pKey, *pnKey);
    free(*pKey);
    return -1;
  }
  return 0;
}

static void key_free(char *key, size_t nKey) {
  sodium_memzero(key, nKey);
  free(key);
}

int totp_code(const char *secret_b32, int64_t t, char out[7]) {
  char *key;
  size_t nKey;
  crypto_ready();
  if (t < 0 || secret_decode(secret_b32, &key, &nKey)) return -1;
  int rc = oath_totp_generate(key, nKey, (time_t)t, TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME,
                              TOTP_DIGITS, out);
  key_free(key, nKey);
  return rc == OATH_OK ? 0 : -1;
}

int64_t totp_verify(const char *secret_b32, const char *code, int64_t now, int window) {
  char want[TOTP_DIGITS + 1];
  size_t nWant = 0;
  if (!code || now < 0 || window < 0 || window > TOTP_WINDOW_MAX) return -1;
  /* Keep the digits, drop spaces ("123 456"); anything else is malformed. */
  for (size_t i = 0; code[i]; i++) {
    if (i >= TOTP_CODE_INPUT_MAX) return -1;
    if (code[i] == ' ') continue;
    if (code[i] < '0' || code[i] > '9' || nWant == TOTP_DIGITS) return -1;
    want[nWant++] = code[i];
  }
  if (nWant != TOTP_DIGITS) return -1;
  want[nWant] = 0;

  char *key;
  size_t nKey;
  crypto_ready();
  if (secret_decode(secret_b32, &key, &nKey)) return -1;
  int64_t step = now / TOTP_STEP;
  int64_t matched = -1;
  for (int d = -window; d <= window; d++) {
    int64_t s = step + d;
    char got[TOTP_DIGITS + 1];
    if (s < 0) continue;
    if (oath_totp_generate(key, nKey, (time_t)(s * TOTP_STEP), TOTP_STEP,
                           OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS, got) != OATH_OK) {
      continue;
    }
    /* No early exit: every step costs the same whatever matches. The
    ** earliest matching step wins, so a replay check sees the oldest. */
    if (ct_streq(got, want) && matched < 0) matched = s;
  }
  key_free(key, nKey);
  return matched;
}

void totp_uri(buf *out, const char *issuer, const char *account, const char *secret_b32) {
  buf_puts(out, "otpauth://totp/");
  buf_url(out, issuer, -1);
  buf_putc(out, ':');
  buf_url(out, account, -1);
  buf_puts(out, "?secret=");
  buf_url(out, secret_b32, -1);
  buf_puts(out, "&issuer=");
  buf_url(out, issuer, -1);
  buf_puts(out, "&algorithm=SHA1&digits=6&period=30");
}

/* ------------------------------------------------------- recovery codes */

static void recovery_code_one(char out[RECOVERY_CODE_LEN]) {
  const uint32_t nAlpha = (uint32_t)(sizeof(zRecoveryAlphabet) - 1);
  size_t j = 0;
  for (int i = 0; i < 8; i++) {
    if (i == 4) out[j++] = '-';
    out[j++] = zRecoveryAlphabet[randombytes_uniform(nAlpha)]; /* unbiased */
  }
  out[j] = 0;
}

void recovery_codes_new(char codes[RECOVERY_CODES][RECOVERY_CODE_LEN]) {
  crypto_ready();
  for (int i = 0; i < RECOVERY_CODES; i++) {
    /* A repeat (odds ~1e-10) would make one code worth two uses: redraw. */
    int dup;
    do {
      recovery_code_one(codes[i]);
      dup = 0;
      for (int k = 0; k < i; k++) dup |= strcmp(codes[k], codes[i]) == 0;
    } while (dup);
  }
}

void recovery_code_hash(const char *code, char out[65]) {
  crypto_hash_sha256_state st;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_ready();
  crypto_hash_sha256_init(&st);
  /* Normalise as typed: case and separators do not matter. Input beyond the
  ** cap is ignored; no valid code comes close to it. */
  for (size_t i = 0; code && code[i] && i < RECOVERY_CODE_INPUT_MAX; i++) {
    unsigned char c = (unsigned char)code[i];
    if (c == ' ' || c == '-') continue;
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    crypto_hash_sha256_update(&st, &c, 1);
  }
  crypto_hash_sha256_final(&st, h);
  hex_encode(out, h, sizeof(h));
}

/* ------------------------------------------------------------------- QR */

int qr_svg(buf *out, const char *text, const char *label) {
  if (!text || strnlen(text, QR_TEXT_MAX + 1) > QR_TEXT_MAX) return -1;
  /* Case-sensitive 8-bit hint: the URI's base32 and percent-escapes must
  ** survive as written. */
  QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return -1;
  int w = qr->width;
  int size = w + 2 * QR_QUIET;
  buf_printf(out,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"",
             size, size);
  buf_html(out, label ? label : "", -1);
  buf_printf(out, "\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
             size, size);
  for (int y = 0; y < w; y++) {
    const unsigned char *row = qr->data + (size_t)y * (size_t)w;
    for (int x = 0; x < w;) {
      if (!(row[x] & 1)) { /* bit 0 of each module: 1 = dark */
        x++;
        continue;
      }
      int x0 = x;
      while (x < w && (row[x] & 1)) x++;
      buf_printf(out, "M%d %dh%dv1h-%dz", x0 + QR_QUIET, y + QR_QUIET, x - x0, x - x0);
    }
  }
  buf_puts(out, "\"/></svg>");
  QRcode_free(qr);
  return 0;
}
