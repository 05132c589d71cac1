/*
** siret.c — SIRET validation (INSEE): 9 digits of SIREN (the company) and
** 5 of NIC (the establishment), with a Luhn check over all 14.
**
** La Poste is the one exception: its establishments share SIREN 356000000
** and were numbered past what Luhn allows, so INSEE checks instead that the
** sum of the 14 digits is a multiple of 5. The head office (35600000000048)
** passes Luhn, so a La Poste SIRET is accepted when either rule holds.
**
** Separators: people paste SIRETs as printed, "732 829 320 00074", with
** ordinary or (from word processors) no-break spaces, U+00A0 and U+202F.
** Any of these is ignored; any other character makes the input invalid.
** Nothing is allocated; input is read until the 15th digit at most, or
** SIRET_INPUT_MAX bytes.
*/
#include "features/account/siret.h"

#include <string.h>

#define SIRET_DIGITS 14
#define SIRET_INPUT_MAX 64  /* 14 digits and generous separators */
#define LA_POSTE_SIREN "356000000"

/* Length in bytes of the separator at z, or 0 if there is none. */
static size_t separator_len(const unsigned char *z) {
  if (z[0] == ' ') return 1;
  if (z[0] == 0xC2 && z[1] == 0xA0) return 2;                 /* U+00A0 */
  if (z[0] == 0xE2 && z[1] == 0x80 && z[2] == 0xAF) return 3; /* U+202F */
  return 0;
}

int siret_normalize(const char *z, char out[15]) {
  if (!z) return -1;
  const unsigned char *p = (const unsigned char *)z;
  size_t n = 0, i = 0;
  while (p[i]) {
    if (i >= SIRET_INPUT_MAX) return -1;
    size_t sep = separator_len(p + i);
    if (sep) {
      i += sep;
      continue;
    }
    if (p[i] < '0' || p[i] > '9' || n == SIRET_DIGITS) return -1;
    out[n++] = (char)p[i++];
  }
  if (n != SIRET_DIGITS) return -1;
  out[n] = 0;
  return 0;
}

int siret_valid(const char *z) {
  char d[SIRET_DIGITS + 1];
  if (siret_normalize(z, d)) return 0;
  int luhn = 0, sum = 0;
  for (int i = 0; i < SIRET_DIGITS; i++) {
    int v = d[i] - '0';
    sum += v;
    /* Luhn doubles every second digit from the right; with 14 digits those
    ** are the even positions from the left. */
    if (i % 2 == 0) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    luhn += v;
  }
  if (luhn % 10 == 0) return 1;
  return memcmp(d, LA_POSTE_SIREN, 9) == 0 && sum % 5 == 0;
}
