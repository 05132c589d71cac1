/*
** aid_rules.c — the arithmetic and the opening rules of aid programmes (see
** aid.h). Pure functions: no database, no allocation, no clock (today is an
** argument), so tests/unit/test_aid_rules.c pins every edge down.
**
** Amounts are int64_t cents. With amounts bounded by AID_AMOUNT_MAX (1e11)
** and points by AID_POINTS_MAX (1e6), the largest product, cap × points,
** stays below 1e17, well inside int64_t.
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "features/aid/aid.h"

int64_t aid_amount(const aid_rules *p, int64_t cost_cents, int64_t points, int with_bonus) {
  assert(p->rate_bp >= 0 && p->rate_bp <= 10000);
  assert(cost_cents >= 0 && cost_cents <= AID_AMOUNT_MAX);
  assert(points >= 0 && points <= AID_POINTS_MAX);
  assert(p->cap_cents >= 0 && p->cap_cents <= AID_AMOUNT_MAX);
  assert(p->bonus_cents >= 0 && p->bonus_cents <= AID_AMOUNT_MAX);
  if (points == 0 || cost_cents == 0) return 0;
  int64_t by_rate = cost_cents * p->rate_bp / 10000; /* non-negative: division rounds down */
  int64_t by_cap = p->cap_cents * points;
  int64_t amount = by_rate < by_cap ? by_rate : by_cap;
  if (with_bonus) amount += p->bonus_cents * points;
  return amount;
}

aid_state aid_status(const aid_rules *p, const char *today, int64_t amount_cents, int64_t points) {
  assert(amount_cents >= 0 && points >= 0);
  if (!p->active) return AID_INACTIVE;
  if (strcmp(today, p->opens_on) < 0) return AID_NOT_YET;   /* ISO dates sort as text */
  if (strcmp(today, p->closes_on) > 0) return AID_ENDED;
  if (p->budget_cents > 0) {
    if (amount_cents == 0 ? p->committed_cents >= p->budget_cents
                          : p->committed_cents + amount_cents > p->budget_cents)
      return AID_BUDGET;
  }
  if (p->max_points > 0) {
    if (points == 0 ? p->committed_points >= p->max_points : p->committed_points + points > p->max_points)
      return AID_POINTS;
  }
  return AID_OPEN;
}

void aid_state_reason(aid_state st, const aid_rules *p, char *out, size_t n) {
  char d[16];
  switch (st) {
  case AID_OPEN:
    snprintf(out, n, "%s", "");
    break;
  case AID_INACTIVE:
    snprintf(out, n, "%s", "Le programme est clos : il n’accepte plus de demandes.");
    break;
  case AID_NOT_YET:
    aid_format_date(d, sizeof d, p->opens_on);
    snprintf(out, n, "Le programme n’est pas encore ouvert : les demandes seront reçues à partir du %s.", d);
    break;
  case AID_ENDED:
    aid_format_date(d, sizeof d, p->closes_on);
    snprintf(out, n, "Le programme est clos : la date limite de dépôt, le %s, est passée.", d);
    break;
  case AID_BUDGET:
    snprintf(out, n, "%s", p->committed_cents >= p->budget_cents
                               ? "Le programme est clos : l’enveloppe budgétaire est épuisée."
                               : "L’enveloppe budgétaire restante ne couvre pas cette demande.");
    break;
  case AID_POINTS:
    snprintf(out, n, "%s", p->committed_points >= p->max_points
                               ? "Le programme est clos : le nombre maximal de points de recharge est atteint."
                               : "Le nombre de points de recharge restant à financer ne couvre pas cette demande.");
    break;
  }
}

/* Length of the space at z (ASCII space, U+00A0 or U+202F in UTF-8), or 0. */
static int space_len(const char *z) {
  if (z[0] == ' ') return 1;
  if ((unsigned char)z[0] == 0xC2 && (unsigned char)z[1] == 0xA0) return 2;
  if ((unsigned char)z[0] == 0xE2 && (unsigned char)z[1] == 0x80 && (unsigned char)z[2] == 0xAF) return 3;
  return 0;
}

int aid_parse_hundredths(const char *z, int64_t max, int64_t *out) {
  int64_t v = 0;
  int digits = 0, decimals = -1; /* -1: no decimal mark seen yet */
  const char *p = z;
  while (*p) {
    int sp = space_len(p);
    if (*p >= '0' && *p <= '9') {
      if (decimals >= 2) return -1;
      v = v * 10 + (*p - '0');
      if (v > max * 10) return -1; /* stops growth before it can overflow */
      digits++;
      if (decimals >= 0) decimals++;
      p++;
    } else if ((*p == ',' || *p == '.') && decimals < 0 && digits > 0) {
      decimals = 0;
      p++;
    } else if (sp && digits > 0 && decimals < 0) {
      p += sp; /* a thousands separator */
    } else if (sp || !strncmp(p, "€", strlen("€"))) {
      /* Only spaces and one "€" may close the number. */
      while (*p && space_len(p)) p += space_len(p);
      if (!strncmp(p, "€", strlen("€"))) p += strlen("€");
      while (*p && space_len(p)) p += space_len(p);
      if (*p) return -1;
    } else {
      return -1;
    }
  }
  if (!digits || decimals == 0) return -1; /* "" or "12," */
  for (int i = decimals < 0 ? 0 : decimals; i < 2; i++) v *= 10;
  if (v > max) return -1;
  *out = v;
  return 0;
}

int aid_parse_count(const char *z, int64_t max, int64_t *out) {
  int64_t v = 0;
  if (!*z) return -1;
  for (const char *p = z; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
    if (v > max) return -1;
  }
  if (v < 1) return -1;
  *out = v;
  return 0;
}

int aid_date_valid(const char *z) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (strlen(z) != 10 || z[4] != '-' || z[7] != '-') return 0;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (z[i] < '0' || z[i] > '9')) return 0;
  int y = (z[0] - '0') * 1000 + (z[1] - '0') * 100 + (z[2] - '0') * 10 + (z[3] - '0');
  int m = (z[5] - '0') * 10 + (z[6] - '0');
  int d = (z[8] - '0') * 10 + (z[9] - '0');
  if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return 0;
  if (m == 2 && d == 29 && y % 4 != 0) return 0; /* 2000 is a leap year; 2100 is out of range */
  return 1;
}

#define NBSP "\xC2\xA0" /* U+00A0: keeps "12 500,00 €" on one line */

void aid_format_euros(char *out, size_t n, int64_t cents) {
  char digits[24];
  int neg = cents < 0;
  uint64_t u = neg ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
  snprintf(digits, sizeof digits, "%llu", (unsigned long long)(u / 100));
  char grouped[48];
  size_t k = 0, len = strlen(digits);
  for (size_t i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0) {
      memcpy(grouped + k, NBSP, 2);
      k += 2;
    }
    grouped[k++] = digits[i];
  }
  grouped[k] = 0;
  snprintf(out, n, "%s%s,%02u" NBSP "€", neg ? "-" : "", grouped, (unsigned)(u % 100));
}

void aid_format_rate(char *out, size_t n, int64_t rate_bp) {
  int64_t whole = rate_bp / 100, frac = rate_bp % 100;
  if (frac == 0) snprintf(out, n, "%lld" NBSP "%%", (long long)whole);
  else if (frac % 10 == 0) snprintf(out, n, "%lld,%lld" NBSP "%%", (long long)whole, (long long)(frac / 10));
  else snprintf(out, n, "%lld,%02lld" NBSP "%%", (long long)whole, (long long)frac);
}

void aid_format_date(char *out, size_t n, const char *z) {
  if (!aid_date_valid(z)) snprintf(out, n, "%s", z);
  else snprintf(out, n, "%.2s/%.2s/%.4s", z + 8, z + 5, z);
}

/* ------------------------------------------------ labels and equipment */

/* Sort key of a valid code: the number × 10, Corsica's 2A and 2B between
** 19 and 21 (as the INSEE list orders them). */
static int dept_key(const char *code) {
  if (code[0] == '2' && (code[1] == 'A' || code[1] == 'B')) return 200 + (code[1] - 'A' + 1);
  int v = 0;
  for (const char *c = code; *c; c++) v = v * 10 + (*c - '0');
  return v * 10;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Normalises the token t[0..n) into code (upper case, two digits at least);
** 1 if it names a département, else 0. */
static int dept_code(const char *t, size_t n, char code[4]) {
  memset(code, 0, 4);
  if (n == 1 && is_digit(t[0]) && t[0] != '0') { /* "9" typed for "09" */
    code[0] = '0';
    code[1] = t[0];
    return 1;
  }
  if (n == 2 && t[0] == '2' && (t[1] == 'a' || t[1] == 'A' || t[1] == 'b' || t[1] == 'B')) {
    code[0] = '2';
    code[1] = (char)(t[1] & ~0x20); /* upper case */
    return 1;
  }
  if (n == 2 && is_digit(t[0]) && is_digit(t[1])) {
    int v = (t[0] - '0') * 10 + (t[1] - '0');
    memcpy(code, t, 2);
    return v >= 1 && v <= 95 && v != 20; /* 20 was split into 2A and 2B in 1976 */
  }
  if (n == 3 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2])) {
    int v = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
    memcpy(code, t, 3);
    return v >= 971 && v <= 976;
  }
  return 0;
}

int aid_departements_parse(const char *z, char *out, size_t n, char *bad, size_t nbad) {
  static const char seps[] = " \t\r\n,;";
  assert(n >= AID_DEPTS_TEXT);
  int keys[AID_DEPTS_MAX], nkey = 0;
  char codes[AID_DEPTS_MAX][4];
  *out = 0;
  if (nbad) *bad = 0;
  for (const char *p = z; *p;) {
    size_t len = strcspn(p, seps);
    if (!len) {
      p++;
      continue;
    }
    char code[4];
    if (len > 3 || !dept_code(p, len, code)) {
      size_t show = len > 20 ? 20 : len;
      while (show < len && show > 0 && ((unsigned char)p[show] & 0xC0) == 0x80) show--; /* whole characters */
      snprintf(bad, nbad, "%.*s", (int)show, p);
      return -1;
    }
    int k = dept_key(code), at = 0;
    while (at < nkey && keys[at] < k) at++;
    if (at == nkey || keys[at] != k) { /* a code typed twice counts once */
      assert(nkey < AID_DEPTS_MAX);     /* every valid code fits, distinct */
      memmove(keys + at + 1, keys + at, (size_t)(nkey - at) * sizeof keys[0]);
      memmove(codes + at + 1, codes + at, (size_t)(nkey - at) * sizeof codes[0]);
      keys[at] = k;
      memcpy(codes[at], code, 4);
      nkey++;
    }
    p += len;
  }
  if (!nkey) return -1;
  size_t used = 0;
  for (int i = 0; i < nkey; i++)
    used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", codes[i]);
  return 0;
}

void aid_format_kw(char *out, size_t n, int64_t watts, int unit) {
  int64_t whole = watts / 1000, hundredths = watts % 1000 / 10;
  const char *u = unit ? NBSP "kW" : "";
  if (hundredths == 0) snprintf(out, n, "%lld%s", (long long)whole, u);
  else if (hundredths % 10 == 0) snprintf(out, n, "%lld,%lld%s", (long long)whole, (long long)(hundredths / 10), u);
  else snprintf(out, n, "%lld,%02lld%s", (long long)whole, (long long)hundredths, u);
}
