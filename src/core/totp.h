/*
** totp.h — two-factor login: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s
** steps, through liboath), its otpauth:// URI, single-use recovery codes,
** and the QR code of the URI rendered as inline SVG (libqrencode).
*/
#ifndef GUICHET_TOTP_H
#define GUICHET_TOTP_H

#include <stdint.h>

#include "core/util.h"

#define TOTP_SECRET_B32 33  /* 20 random bytes = 32 base32 characters + NUL */
#define RECOVERY_CODES 10
#define RECOVERY_CODE_LEN 12 /* "xxxx-xxxx" lower-case + NUL, from [a-z2-9] */

/* A new random secret, base32 (RFC 4648, no padding). */
void totp_secret_new(char out[TOTP_SECRET_B32]);

/* The 6-digit code for secret at unix time t (for tests and the demo). */
int totp_code(const char *secret_b32, int64_t t, char out[7]);

/* Checks code against secret at time now, accepting `window` steps either
** side (1 = ±30 s). Returns the matched step number (t/30) so the caller can
** refuse a step already used, or -1 if no match or malformed input. Spaces
** in code are ignored. */
int64_t totp_verify(const char *secret_b32, const char *code, int64_t now, int window);

/* otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
** appended to out, with issuer and account percent-encoded. */
void totp_uri(buf *out, const char *issuer, const char *account, const char *secret_b32);

/* Ten fresh recovery codes. Store only their hashes (recovery_code_hash). */
void recovery_codes_new(char codes[RECOVERY_CODES][RECOVERY_CODE_LEN]);

/* Hex SHA-256 of the code after normalisation (lower case, no spaces or
** dashes): the form stored in the database. out: 65 bytes. */
void recovery_code_hash(const char *code, char out[65]);

/* Appends <svg …>…</svg> of text as a QR code (ECC level M, 4-module quiet
** zone), with role="img" and aria-label. Returns 0, or -1 if text cannot be
** encoded (too long). */
int qr_svg(buf *out, const char *text, const char *label);

#endif
