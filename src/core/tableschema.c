/*
** tableschema.c — Table Schema parsing, header check, row validation and
** typed conversion (see tableschema.h for the contract).
**
** Shape: a schema is an array of fields; each field carries everything its
** cells need, already prepared at parse time (compiled regex, parsed bounds
** and enum values, boolean and missing-value lists), so validating a cell is
** a handful of comparisons and one parser. The hot path allocates nothing:
** values are parsed in place and normalised text goes into the caller's
** ts_value. Issues are formatted only while the report still keeps them.
**
** Memory: the schema's strings live in its arena; regexes, memo and unique
** sets are freed by ts_schema_free. A report owns its issues in its own
** arena.
**
** Cost (sessions shape, 5 fields): ~0.35 µs a row on the reference box —
** two ISO datetimes, a UUID, a number, one class-sequence pattern, UTF-8
** checks.
*/
#include "core/tableschema.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- strset */

/* A set of byte strings, each with an int64 payload: open addressing with
** linear probing over a table that doubles at half load; keys are copied
** into one pool (offsets stay valid when it grows). Used for pattern memos
** (payload: matched or not; pool capped) and for unique checks (payload:
** first line; unbounded, as the spec requires every value be compared). */
typedef struct sslot {
  uint64_t off;  /* key offset in pool */
  uint32_t len;  /* key length */
  uint32_t hash; /* 0: empty slot (hashes are forced non-zero) */
  int64_t val;   /* payload */
} sslot;

typedef struct strset {
  sslot *a;       /* slots, nSlot a power of two (or NULL) */
  size_t nSlot;   /* slots allocated */
  size_t nUsed;   /* slots filled */
  char *pool;     /* keys */
  size_t nPool;   /* pool bytes used */
  size_t capPool; /* pool bytes allocated */
  size_t maxPool; /* 0: unbounded; else adds beyond it are refused */
} strset;

#define MEMO_POOL_MAX (4u << 20) /* bytes of memoised values per pattern */
#define MEMO_VALUE_MAX 256       /* longer values are not memoised */

static uint32_t hash_bytes(const void *p, size_t n) {
  const unsigned char *z = p;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ z[i]) * 16777619u;
  return h ? h : 1;
}

static sslot *strset_slot(strset *s, const void *k, size_t n, uint32_t h) {
  if (!s->a) return NULL;
  size_t mask = s->nSlot - 1;
  for (size_t j = h & mask;; j = (j + 1) & mask) {
    sslot *e = &s->a[j];
    if (!e->hash) return e;
    if (e->hash == h && e->len == n && memcmp(s->pool + e->off, k, n) == 0) return e;
  }
}

/* The payload of k, or NULL. */
static int64_t *strset_find(strset *s, const void *k, size_t n, uint32_t h) {
  sslot *e = strset_slot(s, k, n, h);
  return e && e->hash ? &e->val : NULL;
}

static void strset_grow(strset *s) {
  size_t nold = s->nSlot;
  sslot *old = s->a;
  s->nSlot = nold ? nold * 2 : 1024;
  s->a = xcalloc(s->nSlot, sizeof(sslot));
  size_t mask = s->nSlot - 1;
  for (size_t i = 0; i < nold; i++) {
    if (!old[i].hash) continue;
    size_t j = old[i].hash & mask;
    while (s->a[j].hash) j = (j + 1) & mask;
    s->a[j] = old[i];
  }
  free(old);
}

/* Adds k (absent) with val. -1 when the pool cap refuses it. */
static int strset_add(strset *s, const void *k, size_t n, uint32_t h, int64_t val) {
  if (s->maxPool && s->nPool + n > s->maxPool) return -1;
  if ((s->nUsed + 1) * 2 > s->nSlot) strset_grow(s);
  if (s->nPool + n > s->capPool) {
    size_t cap = s->capPool ? s->capPool : 4096;
    while (cap < s->nPool + n) cap *= 2;
    s->pool = xrealloc(s->pool, cap);
    s->capPool = cap;
  }
  sslot *e = strset_slot(s, k, n, h);
  assert(!e->hash);
  memcpy(s->pool + s->nPool, k, n);
  e->off = s->nPool;
  e->len = (uint32_t)n;
  e->hash = h;
  e->val = val;
  s->nPool += n;
  s->nUsed++;
  return 0;
}

static void strset_free(strset *s) {
  free(s->a);
  free(s->pool);
  size_t max = s->maxPool;
  memset(s, 0, sizeof(*s));
  s->maxPool = max;
}

/* ---------------------------------------------------------------- schema */

enum {
  FMT_DEFAULT, /* the type's default lexical form */
  FMT_ANY,     /* dates and times: a few common forms */
  FMT_PATTERN, /* dates and times: strptime pattern in zFmt */
  FMT_EMAIL,   /* strings */
  FMT_URI,
  FMT_UUID,
  FMT_BINARY, /* base64 */
  FMT_ARRAY,  /* geopoint "[lon, lat]" */
  FMT_OBJECT  /* geopoint {"lon": …, "lat": …} */
};

typedef struct tsfield {
  char *zName;          /* field name */
  ts_type type;         /* its type */
  int fmt;              /* FMT_* */
  char *zFmt;           /* strptime pattern (FMT_PATTERN), else NULL */
  int isoDate;          /* FMT_PATTERN that is exactly ISO: fast path */
  int required;         /* constraints.required or part of primaryKey */
  int unique;           /* constraints.unique */
  int hasMin, hasMax;   /* bounds present */
  int exclMin, exclMax; /* exclusiveMinimum / exclusiveMaximum */
  ts_value vMin, vMax;  /* bounds, parsed as cells of this field */
  char *zMin, *zMax;    /* bounds as written, for messages */
  int64_t minLen;       /* -1: none */
  int64_t maxLen;       /* -1: none */
  int hasRe;            /* re compiled */
  regex_t re;           /* the translated pattern, anchored */
  struct reatom *aAtom; /* the pattern as a class sequence, or NULL */
  int nAtom;            /* atoms in aAtom */
  char *zPattern;       /* the pattern as written, for messages */
  strset memo;          /* pattern result by value: 1 match, 0 not */
  ts_value *aEnum;      /* enum values, parsed */
  int nEnum;            /* 0: no enum */
  char *zEnumList;      /* "a, b, c" for messages */
  char **azTrue;        /* boolean true values */
  int nTrue;
  char **azFalse; /* boolean false values */
  int nFalse;
  char **azMissing; /* missing values (the schema's unless overridden) */
  int nMissing;
  int onlyEmptyMissing; /* azMissing is exactly {""}: fast test */
  char *zDecimal;       /* decimalChar, default "." */
  char *zGroup;         /* groupChar, or NULL */
  int bareNumber;       /* default 1 */
  int plainNumber;      /* decimal ".", no group, bare: parse in place */
  int col;              /* column in the file after the header check, -1 absent */
  strset seen;          /* unique: canonical value → first line */
} tsfield;

struct ts_schema {
  tsfield *aField;  /* fields, in schema order */
  size_t nField;    /* their number */
  char **azMissing; /* table missingValues */
  int nMissing;
  int *aPk;      /* primaryKey field indexes */
  int nPk;       /* 0: none */
  strset pkSeen; /* primaryKey values seen → first line */
  int mapped;    /* ts_header_check has set each field's col */
  size_t nCol;   /* columns in the header */
  buf key;       /* scratch for unique keys */
  arena *pArena; /* the schema's strings */
};

static const char *const azTypeName[] = {[TS_STRING] = "string",       [TS_INTEGER] = "integer",
                                         [TS_NUMBER] = "number",       [TS_BOOLEAN] = "boolean",
                                         [TS_DATE] = "date",           [TS_TIME] = "time",
                                         [TS_DATETIME] = "datetime",   [TS_YEAR] = "year",
                                         [TS_YEARMONTH] = "yearmonth", [TS_DURATION] = "duration",
                                         [TS_GEOPOINT] = "geopoint",   [TS_OBJECT] = "object",
                                         [TS_ARRAY] = "array",         [TS_ANY] = "any"};

const char *ts_type_name(ts_type t) {
  return (size_t)t < ARRAY_SIZE(azTypeName) ? azTypeName[t] : "?";
}

size_t ts_schema_nfield(const ts_schema *s) { return s->nField; }
const char *ts_field_name(const ts_schema *s, size_t i) {
  assert(i < s->nField);
  return s->aField[i].zName;
}
ts_type ts_field_type(const ts_schema *s, size_t i) {
  assert(i < s->nField);
  return s->aField[i].type;
}
int ts_field_required(const ts_schema *s, size_t i) {
  assert(i < s->nField);
  return s->aField[i].required;
}
int ts_field_index(const ts_schema *s, const char *name) {
  for (size_t i = 0; i < s->nField; i++)
    if (strcmp(s->aField[i].zName, name) == 0) return (int)i;
  return -1;
}

/* ------------------------------------------------------------ text helpers */

/* Length in bytes of z if it is valid UTF-8 (no overlongs, no surrogates),
** with its number of characters in *nchar; -1 if it is not. */
static long utf8_len(const char *z, size_t *nchar) {
  const unsigned char *p = (const unsigned char *)z;
  size_t nc = 0;
  while (*p) {
    unsigned c = *p;
    if (c < 0x80) {
      p++;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if ((p[1] & 0xC0) != 0x80) return -1;
      p += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return -1;
      if (c == 0xE0 && p[1] < 0xA0) return -1;
      if (c == 0xED && p[1] >= 0xA0) return -1;
      p += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return -1;
      if (c == 0xF0 && p[1] < 0x90) return -1;
      if (c == 0xF4 && p[1] >= 0x90) return -1;
      p += 4;
    } else {
      return -1;
    }
    nc++;
  }
  *nchar = nc;
  return (long)(p - (const unsigned char *)z);
}

/* Bytes of z[0..n) to keep so that at most max bytes remain, cut before a
** continuation byte (so a valid UTF-8 string stays valid). */
static size_t cut_len(const char *z, size_t n, size_t max) {
  if (n <= max) return n;
  size_t k = max;
  while (k > 0 && ((unsigned char)z[k] & 0xC0) == 0x80) k--;
  return k;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* n decimal digits at z into *v. */
static int digits(const char *z, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(z[i])) return 0;
    x = x * 10 + (z[i] - '0');
  }
  *v = x;
  return 1;
}

static void put_digits(char *p, int64_t v, int n) {
  for (int i = n - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---------------------------------------------------------- calendar */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m) {
  static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *py, int *pm, int *pd) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  *py = (int)(y + (m <= 2));
  *pm = (int)m;
  *pd = (int)d;
}

static int valid_date(int y, int m, int d) {
  return y >= 0 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* "YYYY-MM-DD" into v (text norm, key days). */
static void set_date(ts_value *v, int y, int m, int d) {
  v->kind = TS_VTEXT;
  v->z = NULL;
  put_digits(v->norm, y, 4);
  v->norm[4] = '-';
  put_digits(v->norm + 5, m, 2);
  v->norm[7] = '-';
  put_digits(v->norm + 8, d, 2);
  v->norm[10] = 0;
  v->n = 10;
  v->key = days_from_civil(y, (unsigned)m, (unsigned)d);
}

/* Writes ".fff" or ".ffffff" for a non-zero µs fraction; returns bytes. */
static size_t put_frac(char *p, int64_t us) {
  if (!us) return 0;
  p[0] = '.';
  if (us % 1000 == 0) {
    put_digits(p + 1, us / 1000, 3);
    return 4;
  }
  put_digits(p + 1, us, 6);
  return 7;
}

/* Fraction digits after '.' or ',' at *pp into µs (extra digits dropped). */
static int parse_frac(const char **pp, int64_t *us) {
  const char *p = *pp;
  if (*p != '.' && *p != ',') {
    *us = 0;
    return 0;
  }
  p++;
  if (!is_digit(*p)) return -1;
  int64_t f = 0;
  int k = 0;
  for (; is_digit(*p); p++)
    if (k < 6) f = f * 10 + (*p - '0'), k++;
  while (k++ < 6) f *= 10;
  *us = f;
  *pp = p;
  return 0;
}

/* ISO 8601 datetime "YYYY-MM-DD(T| )hh:mm:ss[.f][Z|±hh[:]mm|±hh]" (seconds
** optional when any): µs since the epoch in UTC. No offset means UTC. */
static int parse_datetime_iso(const char *z, int any, int64_t *pus) {
  int y, mo, d, h, mi, s = 0;
  if (!digits(z, 4, &y) || z[4] != '-' || !digits(z + 5, 2, &mo) || z[7] != '-' ||
      !digits(z + 8, 2, &d))
    return -1;
  const char *p = z + 10;
  if (*p != 'T' && *p != 't' && *p != ' ') return -1;
  p++;
  if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi)) return -1;
  p += 5;
  int64_t frac = 0;
  if (*p == ':') {
    if (!digits(p + 1, 2, &s)) return -1;
    p += 3;
    if (parse_frac(&p, &frac)) return -1;
  } else if (!any) {
    return -1;
  }
  int off = 0; /* minutes east of UTC */
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, oh, om = 0;
    if (!digits(p + 1, 2, &oh)) return -1;
    p += 3;
    if (*p == ':') {
      if (!digits(p + 1, 2, &om)) return -1;
      p += 3;
    } else if (is_digit(*p)) {
      if (!digits(p, 2, &om)) return -1;
      p += 2;
    }
    if (oh > 23 || om > 59) return -1;
    off = sign * (oh * 60 + om);
  }
  if (*p) return -1;
  if (!valid_date(y, mo, d) || h > 23 || mi > 59 || s > 59) return -1;
  int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + (int64_t)h * 3600 +
                 (int64_t)mi * 60 + s - (int64_t)off * 60;
  *pus = secs * 1000000 + frac;
  return 0;
}

/* v gets the UTC text "YYYY-MM-DDThh:mm:ss[.f]Z" of us. -1 if the year
** leaves 0000..9999. */
static int set_datetime(ts_value *v, int64_t us) {
  int64_t secs = floor_div(us, 1000000);
  int64_t frac = us - secs * 1000000;
  int64_t days = floor_div(secs, 86400);
  int64_t sod = secs - days * 86400;
  int y, m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999) return -1;
  char *p = v->norm;
  put_digits(p, y, 4);
  p[4] = '-';
  put_digits(p + 5, m, 2);
  p[7] = '-';
  put_digits(p + 8, d, 2);
  p[10] = 'T';
  put_digits(p + 11, sod / 3600, 2);
  p[13] = ':';
  put_digits(p + 14, sod / 60 % 60, 2);
  p[16] = ':';
  put_digits(p + 17, sod % 60, 2);
  size_t n = 19 + put_frac(p + 19, frac);
  p[n++] = 'Z';
  p[n] = 0;
  v->kind = TS_VTEXT;
  v->z = NULL;
  v->n = n;
  v->key = us;
  return 0;
}

static void set_time(ts_value *v, int h, int mi, int s, int64_t frac) {
  char *p = v->norm;
  put_digits(p, h, 2);
  p[2] = ':';
  put_digits(p + 3, mi, 2);
  p[5] = ':';
  put_digits(p + 6, s, 2);
  size_t n = 8 + put_frac(p + 8, frac);
  p[n] = 0;
  v->kind = TS_VTEXT;
  v->z = NULL;
  v->n = n;
  v->key = ((int64_t)h * 3600 + (int64_t)mi * 60 + s) * 1000000 + frac;
}

/* strptime over the whole of z. tm starts at 1900-01-01 00:00:00 UTC. */
static int parse_strptime(const char *z, const char *fmt, struct tm *tm) {
  memset(tm, 0, sizeof(*tm));
  tm->tm_mday = 1;
  const char *e = strptime(z, fmt, tm);
  return e && *e == 0 ? 0 : -1;
}

/* -------------------------------------------------------------- numbers */

static locale_t g_c_locale;
static pthread_once_t g_c_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* An integer "[+-]digits" that fits in int64_t. */
static int parse_int(const char *z, int64_t *out) {
  const char *p = z;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (!is_digit(*p)) return -1;
  uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; is_digit(*p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (lim - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (*p) return -1;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

/* A number: "[+-](digits[.digits]|.digits)([eE][+-]digits)", "NaN", "INF",
** "-INF". Up to 19 significant digits and a small exponent convert exactly
** by one multiplication or division (both operands exact doubles); anything
** else goes to strtod in the C locale. */
static int parse_number(const char *z, double *out) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char *p = z;
  int neg = 0;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (p[0] == 'I' && strcmp(p, "INF") == 0) {
    *out = neg ? -INFINITY : INFINITY;
    return 0;
  }
  if (p == z && strcmp(z, "NaN") == 0) {
    *out = NAN;
    return 0;
  }
  uint64_t m = 0;
  int nsig = 0, exp10 = 0, any = 0;
  for (; is_digit(*p); p++) {
    any = 1;
    if (m || *p != '0') nsig++;
    if (nsig <= 19)
      m = m * 10 + (uint64_t)(*p - '0');
    else
      exp10++;
  }
  if (*p == '.') {
    for (p++; is_digit(*p); p++) {
      any = 1;
      if (m || *p != '0') nsig++;
      if (nsig <= 19) m = m * 10 + (uint64_t)(*p - '0'), exp10--;
    }
  }
  if (!any) return -1;
  if (*p == 'e' || *p == 'E') {
    p++;
    int eneg = 0, e = 0;
    if (*p == '+' || *p == '-') eneg = *p++ == '-';
    if (!is_digit(*p)) return -1;
    for (; is_digit(*p); p++)
      if (e < 100000) e = e * 10 + (*p - '0');
    exp10 += eneg ? -e : e;
  }
  if (*p) return -1;
  double r;
  if (nsig <= 19 && m <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
    r = (double)m;
    r = exp10 < 0 ? r / p10[-exp10] : r * p10[exp10];
  } else {
    pthread_once(&g_c_once, c_locale_init);
    r = strtod_l(z + (z[0] == '+' || z[0] == '-'), NULL, g_c_locale);
  }
  *out = neg ? -r : r;
  return 0;
}

/* The canonical form of a number cell for a field with decimalChar,
** groupChar or bareNumber=false, in out (size nout): NULL if too long. */
static const char *number_plain(const tsfield *f, const char *z, char *out, size_t nout) {
  size_t nd = strlen(f->zDecimal), ng = f->zGroup ? strlen(f->zGroup) : 0;
  const char *end = z + strlen(z);
  if (!f->bareNumber) {
    /* Keep from the first sign, digit or decimal mark to the last digit. */
    while (*z && !is_digit(*z) && *z != '-' && *z != '+' && strncmp(z, f->zDecimal, nd) != 0) z++;
    while (end > z && !is_digit(end[-1])) end--;
  }
  size_t n = 0;
  while (z < end) {
    if (ng && (size_t)(end - z) >= ng && memcmp(z, f->zGroup, ng) == 0) {
      z += ng;
    } else if ((size_t)(end - z) >= nd && memcmp(z, f->zDecimal, nd) == 0) {
      if (n + 1 >= nout) return NULL;
      out[n++] = '.';
      z += nd;
    } else {
      if (n + 1 >= nout || *z == '.') return NULL; /* '.' is not the decimal mark here */
      out[n++] = *z++;
    }
  }
  out[n] = 0;
  return out;
}

/* -------------------------------------------------------- string formats */

static int check_email(const char *z, size_t n) {
  const char *at = memchr(z, '@', n);
  if (!at || at == z || n > 254) return -1;
  const char *dom = at + 1, *end = z + n;
  if (memchr(dom, '@', (size_t)(end - dom))) return -1;
  for (const char *p = z; p < at; p++)
    if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>' || *p == ',') return -1;
  int dots = 0, label = 0;
  for (const char *p = dom; p < end; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '.') {
      if (!label) return -1;
      label = 0;
      dots++;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
               c >= 0x80) {
      label++;
    } else {
      return -1;
    }
  }
  return dots && label ? 0 : -1;
}

static int check_uri(const char *z, size_t n) {
  size_t i = 0;
  if (!((z[0] >= 'a' && z[0] <= 'z') || (z[0] >= 'A' && z[0] <= 'Z'))) return -1;
  for (i = 1; i < n && z[i] != ':'; i++) {
    char c = z[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' || c == '-' ||
          c == '.'))
      return -1;
  }
  if (i >= n - 1) return -1; /* no ':' or nothing after it */
  for (; i < n; i++)
    if ((unsigned char)z[i] <= ' ' || z[i] == 0x7f) return -1;
  return 0;
}

static int is_hex(int c) { return (unsigned)(c - '0') < 10 || (unsigned)((c | 0x20) - 'a') < 6; }

/* 8-4-4-4-12 hexadecimal digits. */
static int check_uuid(const char *z, size_t n) {
  static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (n != 36) return -1;
  for (size_t i = 0; i < 36; i++)
    if (shape[i] == '-' ? z[i] != '-' : !is_hex((unsigned char)z[i])) return -1;
  return 0;
}

static int check_base64(const char *z, size_t n) {
  if (n % 4) return -1;
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/')
      continue;
    if (c == '=' && (i == n - 1 || (i == n - 2 && z[n - 1] == '='))) continue;
    return -1;
  }
  return 0;
}

/* ISO 8601 duration PnYnMnWnDTnHnMnS (a fraction allowed on any part). */
static int check_duration(const char *z) {
  const char *p = z;
  if (*p++ != 'P') return -1;
  static const char date_units[] = "YMWD", time_units[] = "HMS";
  const char *units = date_units;
  int nparts = 0, intime = 0, tparts = 0;
  while (*p) {
    if (*p == 'T') {
      if (intime) return -1;
      intime = 1;
      units = time_units;
      p++;
      continue;
    }
    if (!is_digit(*p)) return -1;
    while (is_digit(*p)) p++;
    if (*p == '.' || *p == ',') {
      p++;
      if (!is_digit(*p)) return -1;
      while (is_digit(*p)) p++;
    }
    const char *u = *p ? strchr(units, *p) : NULL;
    if (!u) return -1;
    units = u + 1; /* units come in order, each at most once */
    nparts++;
    tparts += intime;
    p++;
  }
  return nparts && (!intime || tparts) ? 0 : -1;
}

/* ------------------------------------------------------------- geopoints */

/* One number token (spaces around allowed) ending at a char in stops. */
static int geo_number(const char **pp, const char *stops, double *out, const char **tok,
                      size_t *ntok) {
  const char *p = *pp;
  while (*p == ' ') p++;
  const char *b = p;
  while (*p && !strchr(stops, *p) && *p != ' ') p++;
  size_t n = (size_t)(p - b);
  while (*p == ' ') p++;
  char tmp[64];
  if (!n || n >= sizeof tmp) return -1;
  memcpy(tmp, b, n);
  tmp[n] = 0;
  if (parse_number(tmp, out) || !isfinite(*out)) return -1;
  *tok = b;
  *ntok = n;
  *pp = p;
  return 0;
}

static int set_geopoint(ts_value *v, double lon, double lat) {
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) return -1;
  v->kind = TS_VTEXT;
  v->z = NULL;
  v->lon = lon;
  v->lat = lat;
  int n = snprintf(v->norm, sizeof v->norm, "%.15g,%.15g", lon, lat);
  if (n < 0 || (size_t)n >= sizeof v->norm) return -1;
  v->n = (size_t)n;
  return 0;
}

static int parse_geopoint(const tsfield *f, const char *z, size_t n, ts_value *v) {
  double lon = 0, lat = 0;
  const char *t;
  size_t nt;
  if (f->fmt == FMT_OBJECT) {
    json_t *j = json_loadb(z, n, 0, NULL);
    int ok = json_is_object(j) && json_is_number(json_object_get(j, "lon")) &&
             json_is_number(json_object_get(j, "lat")) && json_object_size(j) == 2;
    if (ok) {
      lon = json_number_value(json_object_get(j, "lon"));
      lat = json_number_value(json_object_get(j, "lat"));
    }
    json_decref(j);
    return ok ? set_geopoint(v, lon, lat) : -1;
  }
  const char *p = z;
  if (f->fmt == FMT_ARRAY) {
    while (*p == ' ') p++;
    if (*p++ != '[') return -1;
    if (geo_number(&p, ",]", &lon, &t, &nt) || *p++ != ',') return -1;
    if (geo_number(&p, "]", &lat, &t, &nt) || *p++ != ']') return -1;
    while (*p == ' ') p++;
  } else {
    if (geo_number(&p, ",", &lon, &t, &nt) || *p++ != ',') return -1;
    if (geo_number(&p, "", &lat, &t, &nt)) return -1;
  }
  return *p ? -1 : set_geopoint(v, lon, lat);
}

/* ------------------------------------------------------- cell conversion */

static int is_missing(const tsfield *f, const char *z) {
  if (f->onlyEmptyMissing) return z[0] == 0;
  for (int i = 0; i < f->nMissing; i++)
    if (strcmp(z, f->azMissing[i]) == 0) return 1;
  return 0;
}

/* Parses a non-missing cell z (n bytes) as f's type into v. 0 or -1. */
static int parse_cell(const tsfield *f, const char *z, size_t n, ts_value *v) {
  v->kind = TS_VTEXT;
  v->z = z;
  v->n = n;
  switch (f->type) {
    case TS_STRING:
      switch (f->fmt) {
        case FMT_EMAIL:
          return check_email(z, n);
        case FMT_URI:
          return check_uri(z, n);
        case FMT_UUID:
          return check_uuid(z, n);
        case FMT_BINARY:
          return check_base64(z, n);
        default:
          return 0;
      }
    case TS_ANY:
      return 0;
    case TS_INTEGER:
    case TS_NUMBER: {
      char tmp[128];
      const char *p = f->plainNumber ? z : number_plain(f, z, tmp, sizeof tmp);
      if (!p) return -1;
      if (f->type == TS_INTEGER) {
        v->kind = TS_VINT;
        return parse_int(p, &v->i);
      }
      v->kind = TS_VREAL;
      return parse_number(p, &v->r);
    }
    case TS_BOOLEAN:
      v->kind = TS_VINT;
      for (int i = 0; i < f->nTrue; i++)
        if (strcmp(z, f->azTrue[i]) == 0) return v->i = 1, 0;
      for (int i = 0; i < f->nFalse; i++)
        if (strcmp(z, f->azFalse[i]) == 0) return v->i = 0, 0;
      return -1;
    case TS_DATE: {
      int y, m, d;
      if (f->fmt == FMT_DEFAULT || f->fmt == FMT_ANY || f->isoDate) {
        if (n == 10 && digits(z, 4, &y) && z[4] == '-' && digits(z + 5, 2, &m) && z[7] == '-' &&
            digits(z + 8, 2, &d)) {
          if (!valid_date(y, m, d)) return -1;
          v->key = days_from_civil(y, (unsigned)m, (unsigned)d);
          return 0; /* already "YYYY-MM-DD": keep the cell */
        }
        if (f->fmt != FMT_ANY || n != 10) return -1;
        /* "any": also dd/mm/yyyy (the French order) and yyyy/mm/dd. */
        int dmy = z[2] == '/' && z[5] == '/' && digits(z, 2, &d) && digits(z + 3, 2, &m) &&
                  digits(z + 6, 4, &y);
        int ymd = !dmy && z[4] == '/' && z[7] == '/' && digits(z, 4, &y) &&
                  digits(z + 5, 2, &m) && digits(z + 8, 2, &d);
        if (!dmy && !ymd) return -1;
      } else {
        struct tm tm;
        if (parse_strptime(z, f->zFmt, &tm)) return -1;
        y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
      }
      if (!valid_date(y, m, d)) return -1;
      set_date(v, y, m, d);
      return 0;
    }
    case TS_TIME: {
      int h, mi, s = 0;
      int64_t frac = 0;
      if (f->fmt == FMT_PATTERN) {
        struct tm tm;
        if (parse_strptime(z, f->zFmt, &tm)) return -1;
        h = tm.tm_hour, mi = tm.tm_min, s = tm.tm_sec;
      } else {
        if (!digits(z, 2, &h) || z[2] != ':' || !digits(z + 3, 2, &mi)) return -1;
        const char *p = z + 5;
        if (*p == ':') {
          if (!digits(p + 1, 2, &s)) return -1;
          p += 3;
          if (parse_frac(&p, &frac)) return -1;
        } else if (f->fmt != FMT_ANY) {
          return -1;
        }
        if (*p) return -1;
      }
      if (h > 23 || mi > 59 || s > 59) return -1;
      set_time(v, h, mi, s, frac);
      return 0;
    }
    case TS_DATETIME: {
      int64_t us;
      if (f->fmt == FMT_PATTERN) {
        struct tm tm;
        if (parse_strptime(z, f->zFmt, &tm)) return -1;
        int y = tm.tm_year + 1900, m = tm.tm_mon + 1;
        if (!valid_date(y, m, tm.tm_mday) || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
          return -1;
        us = (days_from_civil(y, (unsigned)m, (unsigned)tm.tm_mday) * 86400 +
              (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec - tm.tm_gmtoff) *
             1000000;
      } else if (parse_datetime_iso(z, f->fmt == FMT_ANY, &us)) {
        return -1;
      }
      return set_datetime(v, us);
    }
    case TS_YEAR: {
      int y;
      if (n != 4 || !digits(z, 4, &y)) return -1;
      v->kind = TS_VINT;
      v->i = v->key = y;
      return 0;
    }
    case TS_YEARMONTH: {
      int y, m;
      if (n != 7 || !digits(z, 4, &y) || z[4] != '-' || !digits(z + 5, 2, &m) || m < 1 || m > 12)
        return -1;
      v->key = (int64_t)y * 12 + m - 1;
      return 0;
    }
    case TS_DURATION:
      return check_duration(z);
    case TS_GEOPOINT:
      return parse_geopoint(f, z, n, v);
    case TS_OBJECT:
    case TS_ARRAY: {
      json_t *j = json_loadb(z, n, 0, NULL);
      int ok = f->type == TS_OBJECT ? json_is_object(j) : json_is_array(j);
      if (ok) v->i = (int64_t)(json_is_object(j) ? json_object_size(j) : json_array_size(j));
      json_decref(j);
      return ok ? 0 : -1;
    }
  }
  return -1;
}

int ts_cell_value(const ts_schema *s, size_t i, const char *cell, ts_value *out) {
  assert(i < s->nField);
  const tsfield *f = &s->aField[i];
  memset(out, 0, sizeof(*out));
  if (!cell || is_missing(f, cell)) {
    out->kind = TS_VNULL;
    return 0;
  }
  return parse_cell(f, cell, strlen(cell), out);
}

/* --------------------------------------------------------------- report */

void ts_report_init(ts_report *r, size_t max) {
  memset(r, 0, sizeof(*r));
  r->nMax = max ? max : TS_REPORT_MAX;
}

void ts_report_free(ts_report *r) {
  free(r->aIssue);
  if (r->pArena) arena_free(r->pArena);
  size_t max = r->nMax;
  memset(r, 0, sizeof(*r));
  r->nMax = max;
}

/* prefix: 0 "ligne L[, champ « F »] : ", 1 "en-tête : ", 2 none. */
/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if invalid
** (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (!len || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  if (c == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
  if (c == 0xED && p[1] > 0x9F) return 0; /* surrogate */
  if (c == 0xF0 && p[1] < 0x90) return 0; /* overlong */
  if (c == 0xF4 && p[1] > 0x8F) return 0; /* past U+10FFFF */
  return len;
}

/* A copy of z[0..n) in a with every invalid UTF-8 byte replaced by U+FFFD:
** report strings quote the input and go out as JSON, which must be UTF-8. */
static char *utf8_clean(arena *a, const char *z, size_t n) {
  buf b = {0};
  const unsigned char *p = (const unsigned char *)z;
  size_t i = 0;
  while (i < n) {
    size_t k = utf8_seq(p + i, n - i);
    if (k) {
      buf_append(&b, p + i, k);
      i += k;
    } else {
      buf_puts(&b, "\xEF\xBF\xBD");
      i++;
    }
  }
  char *out = arena_strndup(a, buf_str(&b), b.n);
  buf_free(&b);
  return out;
}

static void report_vadd(ts_report *r, int64_t line, const char *field, const char *value,
                        const char *rule, int prefix, const char *fmt, va_list ap) {
  r->nTotal++;
  if (r->nIssue >= (r->nMax ? r->nMax : TS_REPORT_MAX)) return;
  if (!r->pArena) r->pArena = arena_new();
  if (r->nIssue == r->nAlloc) {
    r->nAlloc = r->nAlloc ? r->nAlloc * 2 : 16;
    r->aIssue = xrealloc(r->aIssue, r->nAlloc * sizeof(ts_issue));
  }
  buf m = {0};
  if (prefix == 1) {
    buf_puts(&m, "en-tête : ");
  } else if (prefix == 0 && line > 0) {
    buf_printf(&m, "ligne %lld", (long long)line);
    if (field) buf_printf(&m, ", champ « %s »", field);
    buf_puts(&m, " : ");
  }
  buf_vprintf(&m, fmt, ap);
  ts_issue *e = &r->aIssue[r->nIssue++];
  e->line = line;
  e->field = field ? utf8_clean(r->pArena, field, strlen(field)) : NULL;
  e->value = value ? utf8_clean(r->pArena, value, cut_len(value, strlen(value), TS_VALUE_MAX)) : NULL;
  e->rule = utf8_clean(r->pArena, rule, strlen(rule));
  e->message = utf8_clean(r->pArena, buf_str(&m), m.n);
  buf_free(&m);
}

void ts_report_add(ts_report *r, int64_t line, const char *field, const char *value,
                   const char *rule, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_vadd(r, line, field, value, rule, 0, fmt, ap);
  va_end(ap);
}

static void header_issue(ts_report *r, const char *value, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void header_issue(ts_report *r, const char *value, const char *rule, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report_vadd(r, 1, NULL, value, rule, 1, fmt, ap);
  va_end(ap);
}

void ts_report_json(const ts_report *r, buf *out) {
  buf_printf(out, "{\"total\":%lld,\"kept\":%zu,\"issues\":[", (long long)r->nTotal, r->nIssue);
  for (size_t i = 0; i < r->nIssue; i++) {
    const ts_issue *e = &r->aIssue[i];
    buf_printf(out, "%s{\"line\":%lld,\"field\":", i ? "," : "", (long long)e->line);
    if (e->field)
      buf_json_str(out, e->field, -1);
    else
      buf_puts(out, "null");
    buf_puts(out, ",\"value\":");
    if (e->value)
      buf_json_str(out, e->value, -1);
    else
      buf_puts(out, "null");
    buf_puts(out, ",\"rule\":");
    buf_json_str(out, e->rule, -1);
    buf_puts(out, ",\"message\":");
    buf_json_str(out, e->message, -1);
    buf_putc(out, '}');
  }
  buf_puts(out, "]}");
}

/* A value for a message: at most TS_VALUE_MAX bytes, "…" when cut. */
typedef struct shown {
  char z[TS_VALUE_MAX + 4]; /* the value, cut, plus "…" and a NUL */
} shown;

static const char *show(shown *s, const char *z) {
  size_t n = strlen(z), k = cut_len(z, n, TS_VALUE_MAX);
  memcpy(s->z, z, k);
  if (k < n) memcpy(s->z + k, "…", 3), k += 3;
  s->z[k] = 0;
  return s->z;
}

/* ------------------------------------------------------------ validation */

/* Class sequences. Most identifier patterns ("^[A-Z]{2}[A-Z0-9]{4,33}$",
** "^\\d{9}$") are a concatenation of character classes with counts. Those
** are matched here directly on ASCII values, by tracking the set of
** positions reachable after each atom (no backtracking blow-up): ~30 ns,
** where glibc's regexec takes ~0.5 µs, and ~4 µs in a UTF-8 locale. Other
** patterns, and non-ASCII values, go to regexec. */
typedef struct reatom {
  uint8_t set[32]; /* bytes the atom accepts (bitmap over 0..255) */
  unsigned min;    /* repeat count bounds */
  unsigned max;    /* UINT32_MAX: unbounded */
} reatom;

#define SEQ_VALUE_MAX 256 /* longer values go to regexec */

static void set_add(reatom *a, unsigned lo, unsigned hi) {
  for (unsigned c = lo; c <= hi; c++) a->set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

/* Parses the bracket expression of a translated ERE at *pp ('['). */
static int seq_bracket(const char **pp, reatom *a) {
  const char *p = *pp + 1;
  int neg = 0;
  uint8_t tmp[32];
  if (*p == '^') neg = 1, p++;
  int first = 1;
  while (*p && (*p != ']' || first)) {
    first = 0;
    unsigned lo, hi;
    if (p[0] == '[' && p[1] == '.' && p[2] && p[3] == '.' && p[4] == ']')
      lo = (unsigned char)p[2], p += 5;
    else if (p[0] == '[' && (p[1] == ':' || p[1] == '='))
      return -1;
    else
      lo = (unsigned char)*p++;
    hi = lo;
    if (*p == '-' && p[1] && p[1] != ']') {
      p++;
      if (p[0] == '[' && p[1] == '.' && p[2] && p[3] == '.' && p[4] == ']')
        hi = (unsigned char)p[2], p += 5;
      else if (p[0] == '[')
        return -1;
      else
        hi = (unsigned char)*p++;
    }
    if (lo >= 0x80 || hi >= 0x80 || hi < lo) return -1;
    set_add(a, lo, hi);
  }
  if (*p != ']') return -1;
  if (neg) {
    memcpy(tmp, a->set, 32);
    memset(a->set, 0, 32);
    set_add(a, 1, 0x7f);
    for (int i = 0; i < 32; i++) a->set[i] &= (uint8_t)~tmp[i];
  }
  *pp = p + 1;
  return 0;
}

/* Compiles a translated ERE "^(X)$" to atoms if X is a class sequence
** (optionally anchored by its own ^ and $). 0, or -1: use regexec. */
static int seq_compile(arena *ar, const char *ere, reatom **paAtom, int *pnAtom) {
  size_t n = strlen(ere);
  if (n < 4 || strncmp(ere, "^(", 2) != 0 || strcmp(ere + n - 2, ")$") != 0) return -1;
  char *x = arena_strndup(ar, ere + 2, n - 4);
  size_t nx = strlen(x);
  if (x[0] == '^') x++, nx--;
  if (nx && x[nx - 1] == '$' && (nx < 2 || x[nx - 2] != '\\')) x[--nx] = 0;
  reatom *aAtom = arena_alloc(ar, (nx + 1) * sizeof(reatom));
  int na = 0;
  for (const char *p = x; *p;) {
    reatom *a = &aAtom[na];
    memset(a, 0, sizeof(*a));
    unsigned char c = (unsigned char)*p;
    if (c == '[') {
      if (seq_bracket(&p, a)) return -1;
    } else if (c == '\\' && p[1] && (unsigned char)p[1] < 0x80) {
      set_add(a, (unsigned char)p[1], (unsigned char)p[1]);
      p += 2;
    } else if (c == '.') {
      set_add(a, 1, 0x7f);
      p++;
    } else if (c >= 0x80 || strchr("()|^$*+?{}\\", c)) {
      return -1;
    } else {
      set_add(a, c, c);
      p++;
    }
    a->min = a->max = 1;
    if (*p == '*')
      a->min = 0, a->max = UINT32_MAX, p++;
    else if (*p == '+')
      a->max = UINT32_MAX, p++;
    else if (*p == '?')
      a->min = 0, p++;
    else if (*p == '{') {
      char *e;
      unsigned long lo = strtoul(p + 1, &e, 10), hi = lo;
      if (e == p + 1) return -1;
      if (*e == ',') {
        const char *h = e + 1;
        hi = *h == '}' ? UINT32_MAX : strtoul(h, &e, 10);
        if (*h != '}' && e == h) return -1;
        if (*h == '}') e = (char *)h;
      }
      /* Values past SEQ_VALUE_MAX go to regexec, so a bound above it
      ** behaves as unbounded here. */
      if (*e != '}' || hi < lo || lo > 1000) return -1;
      a->min = (unsigned)lo;
      a->max = hi > 1000 ? UINT32_MAX : (unsigned)hi;
      p = e + 1;
    }
    if (*p == '*' || *p == '+' || *p == '?' || *p == '{') return -1;
    na++;
  }
  *paAtom = aAtom;
  *pnAtom = na;
  return 0;
}

/* 1 if the ASCII value z[0..n) (n ≤ SEQ_VALUE_MAX) matches the atoms. */
static int seq_match(const reatom *aAtom, int nAtom, const char *z, size_t n) {
  uint8_t reach[2][SEQ_VALUE_MAX + 1];
  uint8_t *cur = reach[0], *nxt = reach[1];
  memset(cur, 0, n + 1);
  cur[0] = 1;
  for (int i = 0; i < nAtom; i++) {
    const reatom *a = &aAtom[i];
    int any = 0;
    memset(nxt, 0, n + 1);
    for (size_t p = 0; p <= n; p++) {
      if (!cur[p]) continue;
      if (a->min == 0) nxt[p] = 1, any = 1;
      unsigned k = 0;
      for (size_t q = p; q < n && k < a->max; q++) {
        unsigned char c = (unsigned char)z[q];
        if (!(a->set[c >> 3] & (1u << (c & 7)))) break;
        if (++k >= a->min) nxt[q + 1] = 1, any = 1;
      }
    }
    if (!any) return 0;
    uint8_t *t = cur;
    cur = nxt;
    nxt = t;
  }
  return cur[n];
}

static int is_ascii(const char *z, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)z[i] >= 0x80) return 0;
  return 1;
}

static int pattern_match(tsfield *f, const char *z, size_t n) {
  if (f->aAtom && n <= SEQ_VALUE_MAX && is_ascii(z, n)) return seq_match(f->aAtom, f->nAtom, z, n);
  uint32_t h = 0;
  if (n <= MEMO_VALUE_MAX) {
    h = hash_bytes(z, n);
    int64_t *hit = strset_find(&f->memo, z, n, h);
    if (hit) return (int)*hit;
  }
  int ok = regexec(&f->re, z, 0, NULL, 0) == 0;
  if (n <= MEMO_VALUE_MAX) strset_add(&f->memo, z, n, h, ok);
  return ok;
}

static int value_eq(const tsfield *f, const ts_value *a, const ts_value *b) {
  switch (f->type) {
    case TS_INTEGER:
    case TS_BOOLEAN:
    case TS_YEAR:
      return a->i == b->i;
    case TS_NUMBER:
      return a->r == b->r;
    case TS_DATE:
    case TS_TIME:
    case TS_DATETIME:
    case TS_YEARMONTH:
      return a->key == b->key;
    case TS_GEOPOINT:
      return a->lon == b->lon && a->lat == b->lat;
    default:
      return a->n == b->n && memcmp(ts_text(a), ts_text(b), a->n) == 0;
  }
}

/* <0, 0, >0; only for types with bounds (checked at parse time). */
static int value_cmp(const tsfield *f, const ts_value *a, const ts_value *b) {
  switch (f->type) {
    case TS_INTEGER:
    case TS_YEAR:
      return (a->i > b->i) - (a->i < b->i);
    case TS_NUMBER:
      return (a->r > b->r) - (a->r < b->r);
    default:
      return (a->key > b->key) - (a->key < b->key);
  }
}

static const char *type_expect(const tsfield *f) {
  switch (f->type) {
    case TS_STRING:
      switch (f->fmt) {
        case FMT_EMAIL:
          return "n'est pas une adresse électronique valide";
        case FMT_URI:
          return "n'est pas une URI valide";
        case FMT_UUID:
          return "n'est pas un UUID valide (8-4-4-4-12 chiffres hexadécimaux)";
        default:
          return "n'est pas du base64 valide";
      }
    case TS_INTEGER:
      return "n'est pas un nombre entier";
    case TS_NUMBER:
      return "n'est pas un nombre";
    case TS_BOOLEAN:
      return "n'est pas une valeur booléenne admise";
    case TS_DATE:
      return f->fmt == FMT_DEFAULT ? "n'est pas une date valide (format attendu AAAA-MM-JJ)"
                                   : "n'est pas une date valide";
    case TS_TIME:
      return "n'est pas une heure valide (format attendu hh:mm:ss)";
    case TS_DATETIME:
      return f->fmt == FMT_PATTERN
                 ? "n'est pas une date et heure valide"
                 : "n'est pas une date et heure ISO 8601 valide (ex. 2024-12-10T17:28:16+01:00)";
    case TS_YEAR:
      return "n'est pas une année valide (AAAA)";
    case TS_YEARMONTH:
      return "n'est pas un mois valide (AAAA-MM)";
    case TS_DURATION:
      return "n'est pas une durée ISO 8601 valide (ex. PT2H30M)";
    case TS_GEOPOINT:
      return f->fmt == FMT_ARRAY ? "n'est pas un point valide (format attendu [lon, lat])"
             : f->fmt == FMT_OBJECT
                 ? "n'est pas un point valide (format attendu {\"lon\": …, \"lat\": …})"
                 : "n'est pas un point valide (format attendu « lon, lat »)";
    case TS_OBJECT:
      return "n'est pas un objet JSON";
    case TS_ARRAY:
      return "n'est pas un tableau JSON";
    case TS_ANY:
      break;
  }
  return "n'est pas du type attendu";
}

static void type_issue(const tsfield *f, const char *z, int64_t line, ts_report *rep) {
  if (rep->nIssue >= rep->nMax && rep->nMax) {
    rep->nTotal++;
    return;
  }
  shown sv;
  const char *rule = f->type == TS_STRING ? "format" : "type";
  if (f->type == TS_BOOLEAN) {
    buf l = {0};
    for (int i = 0; i < f->nTrue + f->nFalse; i++)
      buf_printf(&l, "%s%s", i ? ", " : "", i < f->nTrue ? f->azTrue[i] : f->azFalse[i - f->nTrue]);
    ts_report_add(rep, line, f->zName, z, rule, "« %s » %s (%s)", show(&sv, z), type_expect(f),
                  buf_str(&l));
    buf_free(&l);
  } else if ((f->type == TS_DATE || f->type == TS_TIME || f->type == TS_DATETIME) &&
             f->fmt == FMT_PATTERN) {
    ts_report_add(rep, line, f->zName, z, rule, "« %s » %s (format attendu %s)", show(&sv, z),
                  type_expect(f), f->zFmt);
  } else {
    ts_report_add(rep, line, f->zName, z, rule, "« %s » %s", show(&sv, z), type_expect(f));
  }
}

/* Validates one present cell. 0 valid, 1 an issue was reported. */
static int check_cell(tsfield *f, const char *z, int64_t line, ts_report *rep, ts_value *v) {
  size_t nchar;
  shown sv;
  long n = utf8_len(z, &nchar);
  if (n < 0) {
    ts_report_add(rep, line, f->zName, NULL, "encoding",
                  "la valeur n'est pas du texte UTF-8 valide (enregistrez le fichier en UTF-8)");
    return 1;
  }
  if (is_missing(f, z)) {
    v->kind = TS_VNULL;
    if (!f->required) return 0;
    ts_report_add(rep, line, f->zName, z, "required", "valeur obligatoire manquante");
    return 1;
  }
  if (parse_cell(f, z, (size_t)n, v)) {
    type_issue(f, z, line, rep);
    return 1;
  }
  int bad = 0;
  if (f->hasRe && !pattern_match(f, z, (size_t)n)) {
    ts_report_add(rep, line, f->zName, z, "pattern", "« %s » ne respecte pas le motif %s",
                  show(&sv, z), f->zPattern);
    bad = 1;
  }
  if (f->nEnum) {
    int k = 0;
    while (k < f->nEnum && !value_eq(f, v, &f->aEnum[k])) k++;
    if (k == f->nEnum) {
      ts_report_add(rep, line, f->zName, z, "enum",
                    "« %s » n'est pas une valeur admise (valeurs admises : %s)", show(&sv, z),
                    f->zEnumList);
      bad = 1;
    }
  }
  if (f->hasMin) {
    int c = value_cmp(f, v, &f->vMin);
    if (c < 0 || (c == 0 && f->exclMin)) {
      ts_report_add(rep, line, f->zName, z, "minimum", "« %s » est inférieur %s %s", show(&sv, z),
                    f->exclMin ? "ou égal au minimum exclu" : "au minimum", f->zMin);
      bad = 1;
    }
  }
  if (f->hasMax) {
    int c = value_cmp(f, v, &f->vMax);
    if (c > 0 || (c == 0 && f->exclMax)) {
      ts_report_add(rep, line, f->zName, z, "maximum", "« %s » est supérieur %s %s", show(&sv, z),
                    f->exclMax ? "ou égal au maximum exclu" : "au maximum", f->zMax);
      bad = 1;
    }
  }
  if (f->minLen >= 0 || f->maxLen >= 0) {
    int64_t len = (f->type == TS_OBJECT || f->type == TS_ARRAY) ? v->i : (int64_t)nchar;
    const char *unit = (f->type == TS_OBJECT || f->type == TS_ARRAY) ? "éléments" : "caractères";
    if (f->minLen >= 0 && len < f->minLen) {
      ts_report_add(rep, line, f->zName, z, "minLength",
                    "« %s » compte %lld %s, moins que le minimum %lld", show(&sv, z),
                    (long long)len, unit, (long long)f->minLen);
      bad = 1;
    }
    if (f->maxLen >= 0 && len > f->maxLen) {
      ts_report_add(rep, line, f->zName, z, "maxLength",
                    "« %s » compte %lld %s, plus que le maximum %lld", show(&sv, z), (long long)len,
                    unit, (long long)f->maxLen);
      bad = 1;
    }
  }
  return bad;
}

/* Appends to s->key the canonical bytes of v (equal values, equal bytes). */
static void key_append(ts_schema *s, const tsfield *f, const ts_value *v) {
  char tag;
  int64_t k[2];
  size_t nk = 8;
  switch (f->type) {
    case TS_INTEGER:
    case TS_BOOLEAN:
    case TS_YEAR:
      tag = 'i', k[0] = v->i;
      break;
    case TS_NUMBER: {
      double r = v->r == 0 ? 0 : v->r; /* -0 == 0 */
      tag = 'r';
      memcpy(k, &r, 8);
      break;
    }
    case TS_DATE:
    case TS_TIME:
    case TS_DATETIME:
    case TS_YEARMONTH:
      tag = 'k', k[0] = v->key;
      break;
    case TS_GEOPOINT:
      tag = 'g';
      memcpy(&k[0], &v->lon, 8);
      memcpy(&k[1], &v->lat, 8);
      nk = 16;
      break;
    default: {
      uint32_t n = (uint32_t)v->n;
      buf_putc(&s->key, 't');
      buf_append(&s->key, &n, 4);
      buf_append(&s->key, ts_text(v), v->n);
      return;
    }
  }
  buf_putc(&s->key, tag);
  buf_append(&s->key, k, nk);
}

/* unique and primaryKey, on a row whose cells are all valid. */
static int check_unique(ts_schema *s, int64_t line, ts_report *rep, const ts_value *vals) {
  int bad = 0;
  shown sv;
  for (size_t i = 0; i < s->nField; i++) {
    tsfield *f = &s->aField[i];
    if (!f->unique || vals[i].kind == TS_VNULL) continue;
    buf_reset(&s->key);
    key_append(s, f, &vals[i]);
    uint32_t h = hash_bytes(s->key.z, s->key.n);
    int64_t *first = strset_find(&f->seen, s->key.z, s->key.n, h);
    if (first) {
      const char *z = vals[i].kind == TS_VTEXT ? ts_text(&vals[i]) : NULL;
      char num[32];
      if (!z) {
        if (vals[i].kind == TS_VINT)
          snprintf(num, sizeof num, "%lld", (long long)vals[i].i);
        else
          snprintf(num, sizeof num, "%.15g", vals[i].r);
        z = num;
      }
      ts_report_add(rep, line, f->zName, z, "unique", "« %s » est en double (déjà vu ligne %lld)",
                    show(&sv, z), (long long)*first);
      bad = 1;
    } else {
      strset_add(&f->seen, s->key.z, s->key.n, h, line);
    }
  }
  if (s->nPk && !bad) {
    buf_reset(&s->key);
    for (int k = 0; k < s->nPk; k++) key_append(s, &s->aField[s->aPk[k]], &vals[s->aPk[k]]);
    uint32_t h = hash_bytes(s->key.z, s->key.n);
    int64_t *first = strset_find(&s->pkSeen, s->key.z, s->key.n, h);
    if (first) {
      buf names = {0};
      for (int k = 0; k < s->nPk; k++)
        buf_printf(&names, "%s%s", k ? ", " : "", s->aField[s->aPk[k]].zName);
      ts_report_add(rep, line, NULL, NULL, "primaryKey",
                    "clé primaire (%s) en double (déjà vue ligne %lld)", buf_str(&names),
                    (long long)*first);
      buf_free(&names);
      bad = 1;
    } else {
      strset_add(&s->pkSeen, s->key.z, s->key.n, h, line);
    }
  }
  return bad;
}

int ts_validate_row_values(ts_schema *s, const char *const *cells, size_t ncell, int64_t line,
                           ts_report *rep, ts_value *out) {
  ts_value local[64];
  ts_value *vals = out;
  if (!vals) vals = s->nField <= ARRAY_SIZE(local) ? local : xmalloc(s->nField * sizeof(ts_value));
  size_t expect = s->mapped ? s->nCol : s->nField;
  int bad = 0;
  if (ncell != expect) {
    ts_report_add(rep, line, NULL, NULL, "row-length", "%zu cellule%s au lieu de %zu", ncell,
                  ncell > 1 ? "s" : "", expect);
    bad = 1;
  }
  for (size_t i = 0; i < s->nField; i++) {
    tsfield *f = &s->aField[i];
    int col = s->mapped ? f->col : (int)i;
    vals[i].kind = TS_VNULL;
    if (col < 0 || (size_t)col >= ncell || !cells[col]) {
      /* Absent column (reported by the header check), short row (reported
      ** above) or a NULL cell: a missing value. */
      if (col >= 0 && (size_t)col < ncell && f->required) {
        ts_report_add(rep, line, f->zName, NULL, "required", "valeur obligatoire manquante");
        bad = 1;
      }
      continue;
    }
    bad |= check_cell(f, cells[col], line, rep, &vals[i]);
  }
  if (!bad) bad = check_unique(s, line, rep, vals);
  if (vals != out && vals != local) free(vals);
  return bad;
}

int ts_validate_row(ts_schema *s, const char *const *cells, size_t ncell, int64_t line,
                    ts_report *rep) {
  return ts_validate_row_values(s, cells, ncell, line, rep, NULL);
}

/* ---------------------------------------------------------------- header */

int ts_header_check(ts_schema *s, const char *const *cells, size_t ncell, ts_report *rep) {
  for (size_t i = 0; i < s->nField; i++) s->aField[i].col = -1;
  buf extra = {0}, dup = {0}, got = {0};
  int nextra = 0, ndup = 0;
  for (size_t j = 0; j < ncell; j++) {
    const char *name = cells[j] ? cells[j] : "";
    if (j == 0 && str_startswith(name, "\xEF\xBB\xBF")) name += 3; /* UTF-8 BOM */
    int i = name[0] ? ts_field_index(s, name) : -1;
    shown sv;
    if (i < 0) {
      if (name[0])
        buf_printf(&extra, "%s« %s »", nextra ? ", " : "", show(&sv, name));
      else
        buf_printf(&extra, "%scolonne %zu sans nom", nextra ? ", " : "", j + 1);
      nextra++;
    } else if (s->aField[i].col >= 0) {
      buf_printf(&dup, "%s« %s »", ndup ? ", " : "", name);
      ndup++;
    } else {
      s->aField[i].col = (int)j;
    }
  }
  buf miss = {0}, req = {0};
  int nmiss = 0, nreq = 0, ordered = 1, last = -1;
  for (size_t i = 0; i < s->nField; i++) {
    tsfield *f = &s->aField[i];
    if (f->col < 0) {
      buf_printf(&miss, "%s« %s »", nmiss ? ", " : "", f->zName);
      nmiss++;
      if (f->required) buf_printf(&req, "%s« %s »", nreq++ ? ", " : "", f->zName);
    } else {
      if (f->col < last) ordered = 0;
      last = f->col;
    }
  }
  if (nmiss) {
    if (nreq)
      header_issue(rep, buf_str(&miss), "missing-label",
                   "%s : %s ; %s obligatoire%s, aucune ligne ne peut être chargée",
                   nmiss > 1 ? "colonnes absentes" : "colonne absente", buf_str(&miss),
                   buf_str(&req), nreq > 1 ? "s" : "");
    else
      header_issue(rep, buf_str(&miss), "missing-label", "%s : %s ; %s vide%s",
                   nmiss > 1 ? "colonnes absentes" : "colonne absente", buf_str(&miss),
                   nmiss > 1 ? "ces champs facultatifs resteront" : "ce champ facultatif restera",
                   nmiss > 1 ? "s" : "");
  }
  if (nextra)
    header_issue(rep, buf_str(&extra), "extra-label", "%s : %s",
                 nextra > 1 ? "colonnes inconnues du schéma, ignorées"
                            : "colonne inconnue du schéma, ignorée",
                 buf_str(&extra));
  if (ndup)
    header_issue(rep, buf_str(&dup), "duplicate-label", "%s, seule la première est lue : %s",
                 ndup > 1 ? "colonnes en double" : "colonne en double", buf_str(&dup));
  if (!ordered) {
    buf want = {0};
    int k = 0;
    for (size_t i = 0; i < s->nField; i++)
      if (s->aField[i].col >= 0) buf_printf(&want, "%s%s", k++ ? ", " : "", s->aField[i].zName);
    k = 0;
    for (size_t j = 0; j < ncell; j++) {
      const char *name = cells[j] ? cells[j] : "";
      if (j == 0 && str_startswith(name, "\xEF\xBB\xBF")) name += 3;
      int i = ts_field_index(s, name);
      if (i >= 0 && s->aField[i].col == (int)j) buf_printf(&got, "%s%s", k++ ? ", " : "", name);
    }
    header_issue(rep, buf_str(&got), "label-order",
                 "colonnes dans un autre ordre que le schéma (attendu : %s ; reçu : %s), "
                 "reconnues par leur nom",
                 buf_str(&want), buf_str(&got));
    buf_free(&want);
  }
  buf_free(&extra);
  buf_free(&dup);
  buf_free(&got);
  buf_free(&miss);
  buf_free(&req);
  s->mapped = 1;
  s->nCol = ncell;
  return nreq ? -1 : 0;
}

/* ------------------------------------------------------ pattern translation */

static void re_literal(buf *o, unsigned c) {
  if (strchr(".[]()*+?{}|^$\\", (int)c) && c) buf_putc(o, '\\');
  buf_putc(o, (char)c);
}

static void put_utf8(buf *o, unsigned cp) {
  if (cp < 0x80) {
    buf_putc(o, (char)cp);
  } else if (cp < 0x800) {
    buf_putc(o, (char)(0xC0 | cp >> 6));
    buf_putc(o, (char)(0x80 | (cp & 0x3F)));
  } else {
    buf_putc(o, (char)(0xE0 | cp >> 12));
    buf_putc(o, (char)(0x80 | (cp >> 6 & 0x3F)));
    buf_putc(o, (char)(0x80 | (cp & 0x3F)));
  }
}

/* \uXXXX or \xXX at p (p points after the backslash): code point, or -1. */
static long re_hex_escape(const char *p, int *used) {
  int n = p[0] == 'u' ? 4 : 2;
  long v = 0;
  for (int i = 1; i <= n; i++) {
    if (!is_hex(p[i])) return -1;
    v = v * 16 + (is_digit(p[i]) ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
  }
  *used = n + 1;
  return v;
}

/* One bracket expression starting at *pp ('['), rewritten for POSIX, where
** a backslash is literal inside brackets: escapes become plain members, and
** ']', '^', '-' are moved where POSIX reads them literally. */
static int re_bracket(const char **pp, buf *o, buf *err) {
  const char *p = *pp + 1;
  int neg = 0, close = 0, caret = 0, dash = 0;
  buf items = {0};
  if (*p == '^') neg = 1, p++;
  int first = 1;
  while (*p && (*p != ']' || first)) {
    first = 0;
    unsigned lo;
    if (*p == '[' && p[1] == ':') { /* POSIX class, copied as is */
      const char *e = strstr(p + 2, ":]");
      if (!e) break;
      buf_append(&items, p, (size_t)(e + 2 - p));
      p = e + 2;
      continue;
    }
    if (*p == '\\') {
      char c = p[1];
      int used = 0;
      long cp;
      if (c == 'd') {
        buf_puts(&items, "0-9");
        p += 2;
        continue;
      }
      if (c == 'w') {
        buf_puts(&items, "A-Za-z0-9_");
        p += 2;
        continue;
      }
      if (c == 's') {
        buf_puts(&items, " \t\n\r\f\v");
        p += 2;
        continue;
      }
      if (c == 'n' || c == 't' || c == 'r' || c == 'f' || c == 'v') {
        lo = (unsigned char)(c == 'n'   ? '\n'
                             : c == 't' ? '\t'
                             : c == 'r' ? '\r'
                             : c == 'f' ? '\f'
                                        : '\v');
        p += 2;
      } else if ((c == 'u' || c == 'x') && (cp = re_hex_escape(p + 1, &used)) > 0) {
        if (cp >= 0x80) { /* a multibyte member: fine in a UTF-8 locale */
          put_utf8(&items, (unsigned)cp);
          p += 1 + used;
          continue;
        }
        lo = (unsigned)cp;
        p += 1 + used;
      } else if (c && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))) {
        lo = (unsigned char)c;
        p += 2;
      } else {
        buf_printf(err, "séquence \\%c non prise en charge dans une classe de caractères", c);
        buf_free(&items);
        return -1;
      }
    } else {
      lo = (unsigned char)*p++;
    }
    if (*p == '-' && p[1] && p[1] != ']') { /* a range lo-hi */
      unsigned hi = (unsigned char)p[1];
      p += 2;
      if (hi == '\\' && *p) hi = (unsigned char)*p++;
      const char *special = "]^-[";
      if (strchr(special, (int)lo))
        buf_printf(&items, "[.%c.]", (char)lo);
      else
        buf_putc(&items, (char)lo);
      buf_putc(&items, '-');
      if (strchr(special, (int)hi))
        buf_printf(&items, "[.%c.]", (char)hi);
      else
        buf_putc(&items, (char)hi);
      continue;
    }
    if (lo == ']')
      close = 1;
    else if (lo == '^')
      caret = 1;
    else if (lo == '-')
      dash = 1;
    else
      buf_putc(&items, (char)lo);
  }
  if (*p != ']') {
    buf_puts(err, "classe de caractères non fermée");
    buf_free(&items);
    return -1;
  }
  *pp = p + 1;
  if (!close && !items.n && !dash && caret && !neg) { /* just "^" */
    buf_puts(o, "\\^");
  } else {
    buf_putc(o, '[');
    if (neg) buf_putc(o, '^');
    if (close) buf_putc(o, ']');
    if (!close && !items.n && caret) { /* "-^" or "^" after a negation */
      if (dash) buf_putc(o, '-'), dash = 0;
      buf_putc(o, '^');
      caret = 0;
    }
    buf_append(o, items.z ? items.z : "", items.n);
    if (caret) buf_putc(o, '^');
    if (dash) buf_putc(o, '-');
    buf_putc(o, ']');
  }
  buf_free(&items);
  return 0;
}

/* Translates an XML-Schema/JavaScript pattern to an anchored POSIX ERE. */
static int re_translate(const char *pat, buf *o, buf *err) {
  buf_puts(o, "^(");
  for (const char *p = pat; *p;) {
    char c = *p;
    if (c == '\\') {
      char e = p[1];
      int used = 0;
      long cp;
      switch (e) {
        case 'd':
          buf_puts(o, "[0-9]");
          break;
        case 'D':
          buf_puts(o, "[^0-9]");
          break;
        case 'w':
          buf_puts(o, "[A-Za-z0-9_]");
          break;
        case 'W':
          buf_puts(o, "[^A-Za-z0-9_]");
          break;
        case 's':
          buf_puts(o, "[ \t\n\r\f\v]");
          break;
        case 'S':
          buf_puts(o, "[^ \t\n\r\f\v]");
          break;
        case 'n':
          buf_putc(o, '\n');
          break;
        case 't':
          buf_putc(o, '\t');
          break;
        case 'r':
          buf_putc(o, '\r');
          break;
        case 'f':
          buf_putc(o, '\f');
          break;
        case 'v':
          buf_putc(o, '\v');
          break;
        case 'u':
        case 'x':
          cp = re_hex_escape(p + 1, &used);
          if (cp <= 0) {
            buf_printf(err, "séquence \\%c invalide", e);
            return -1;
          }
          if (cp < 0x80)
            re_literal(o, (unsigned)cp);
          else
            put_utf8(o, (unsigned)cp);
          p += 1 + used;
          continue;
        default:
          if (!e || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || is_digit(e)) {
            buf_printf(err,
                       "séquence \\%c non prise en charge (références arrière, classes "
                       "Unicode et limites de mot ne sont pas traduisibles)",
                       e ? e : ' ');
            return -1;
          }
          re_literal(o, (unsigned char)e);
      }
      p += 2;
    } else if (c == '[') {
      if (re_bracket(&p, o, err)) return -1;
    } else if (c == '(' && p[1] == '?') {
      if (p[2] != ':') {
        buf_puts(err, "groupes spéciaux (?=, (?!, (?<… non pris en charge");
        return -1;
      }
      buf_putc(o, '(');
      p += 3;
    } else if ((c == '*' || c == '+' || c == '?' || c == '}') && p[1] == '?') {
      buf_putc(o, c); /* lazy quantifier: same language for a whole-value match */
      p += 2;
    } else if (c == '{' && p[1] == ',') {
      buf_puts(o, "{0,");
      p += 2;
    } else {
      buf_putc(o, c);
      p++;
    }
  }
  buf_puts(o, ")$");
  return 0;
}

/* ---------------------------------------------------------- schema parse */

static int json_strlist(arena *a, json_t *j, char ***paz, int *pn) {
  if (!json_is_array(j)) return -1;
  size_t n = json_array_size(j);
  char **az = arena_alloc(a, (n + 1) * sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(j, i);
    if (!json_is_string(e)) return -1;
    az[i] = arena_strdup(a, json_string_value(e));
  }
  *paz = az;
  *pn = (int)n;
  return 0;
}

/* The text of a scalar JSON value (for bounds and enum members). */
static char *json_scalar_text(arena *a, json_t *j) {
  if (json_is_string(j)) return arena_strdup(a, json_string_value(j));
  if (json_is_integer(j)) return arena_printf(a, "%lld", (long long)json_integer_value(j));
  if (json_is_real(j)) return arena_printf(a, "%.17g", json_real_value(j));
  if (json_is_true(j)) return arena_strdup(a, "true");
  if (json_is_false(j)) return arena_strdup(a, "false");
  return NULL;
}

/* A bound or enum member, as a value of field f. Numbers written as JSON
** numbers are read as such, whatever the field's decimalChar. */
static int parse_const(arena *a, tsfield *f, json_t *j, ts_value *v, char **ptext) {
  char *z = json_scalar_text(a, j);
  if (!z) return -1;
  *ptext = z;
  memset(v, 0, sizeof(*v));
  if (f->type == TS_BOOLEAN && json_is_boolean(j)) {
    v->kind = TS_VINT;
    v->i = json_is_true(j);
    return 0;
  }
  if ((f->type == TS_INTEGER || f->type == TS_NUMBER) && json_is_number(j)) {
    if (f->type == TS_INTEGER) {
      v->kind = TS_VINT;
      return json_is_integer(j) ? (v->i = json_integer_value(j), 0) : -1;
    }
    v->kind = TS_VREAL;
    v->r = json_number_value(j);
    return 0;
  }
  if (f->type == TS_YEAR && json_is_integer(j)) {
    v->kind = TS_VINT;
    v->i = v->key = json_integer_value(j);
    return 0;
  }
  return parse_cell(f, z, strlen(z), v); /* v->z, if set, is z: in the arena */
}

static ts_type type_from_name(const char *z) {
  for (size_t i = 0; i < ARRAY_SIZE(azTypeName); i++)
    if (strcmp(z, azTypeName[i]) == 0) return (ts_type)i;
  return (ts_type)-1;
}

static int parse_field(ts_schema *s, tsfield *f, json_t *jf, buf *err) {
  arena *a = s->pArena;
  json_t *j = json_object_get(jf, "name");
  if (!json_is_string(j) || !json_string_length(j)) {
    buf_puts(err, "un champ n'a pas de nom (« name »)");
    return -1;
  }
  f->zName = arena_strdup(a, json_string_value(j));
  const char *zf = f->zName;
  j = json_object_get(jf, "type");
  f->type = TS_STRING;
  if (j) {
    if (!json_is_string(j) || (int)(f->type = type_from_name(json_string_value(j))) < 0) {
      buf_printf(err, "champ « %s » : type inconnu", zf);
      return -1;
    }
  }
  /* format */
  const char *fmt = json_string_value(json_object_get(jf, "format"));
  f->fmt = FMT_DEFAULT;
  if (fmt && strcmp(fmt, "default") != 0) {
    int ok = 0;
    switch (f->type) {
      case TS_STRING:
        if (strcmp(fmt, "email") == 0)
          f->fmt = FMT_EMAIL, ok = 1;
        else if (strcmp(fmt, "uri") == 0)
          f->fmt = FMT_URI, ok = 1;
        else if (strcmp(fmt, "uuid") == 0)
          f->fmt = FMT_UUID, ok = 1;
        else if (strcmp(fmt, "binary") == 0)
          f->fmt = FMT_BINARY, ok = 1;
        break;
      case TS_DATE:
      case TS_TIME:
      case TS_DATETIME:
        if (strcmp(fmt, "any") == 0) {
          f->fmt = FMT_ANY, ok = 1;
        } else if (strchr(fmt, '%')) {
          if (str_startswith(fmt, "fmt:")) fmt += 4;
          f->fmt = FMT_PATTERN, ok = 1;
          f->zFmt = arena_strdup(a, fmt);
          f->isoDate = f->type == TS_DATE && strcmp(fmt, "%Y-%m-%d") == 0;
        }
        break;
      case TS_GEOPOINT:
        if (strcmp(fmt, "array") == 0)
          f->fmt = FMT_ARRAY, ok = 1;
        else if (strcmp(fmt, "object") == 0)
          f->fmt = FMT_OBJECT, ok = 1;
        break;
      default:
        break;
    }
    if (!ok) {
      buf_printf(err, "champ « %s » : format « %s » non pris en charge pour le type %s", zf, fmt,
                 ts_type_name(f->type));
      return -1;
    }
  }
  /* lexical options */
  static char *const dflt_true[] = {"true", "True", "TRUE", "1"};
  static char *const dflt_false[] = {"false", "False", "FALSE", "0"};
  f->azTrue = (char **)dflt_true;
  f->nTrue = 4;
  f->azFalse = (char **)dflt_false;
  f->nFalse = 4;
  if ((j = json_object_get(jf, "trueValues")) && json_strlist(a, j, &f->azTrue, &f->nTrue)) {
    buf_printf(err, "champ « %s » : trueValues doit être une liste de textes", zf);
    return -1;
  }
  if ((j = json_object_get(jf, "falseValues")) && json_strlist(a, j, &f->azFalse, &f->nFalse)) {
    buf_printf(err, "champ « %s » : falseValues doit être une liste de textes", zf);
    return -1;
  }
  f->azMissing = s->azMissing;
  f->nMissing = s->nMissing;
  if ((j = json_object_get(jf, "missingValues")) &&
      json_strlist(a, j, &f->azMissing, &f->nMissing)) {
    buf_printf(err, "champ « %s » : missingValues doit être une liste de textes", zf);
    return -1;
  }
  f->onlyEmptyMissing = f->nMissing == 1 && f->azMissing[0][0] == 0;
  f->zDecimal = ".";
  if ((j = json_object_get(jf, "decimalChar"))) {
    if (!json_is_string(j) || !json_string_length(j)) {
      buf_printf(err, "champ « %s » : decimalChar invalide", zf);
      return -1;
    }
    f->zDecimal = arena_strdup(a, json_string_value(j));
  }
  if ((j = json_object_get(jf, "groupChar"))) {
    if (!json_is_string(j)) {
      buf_printf(err, "champ « %s » : groupChar invalide", zf);
      return -1;
    }
    if (json_string_length(j)) f->zGroup = arena_strdup(a, json_string_value(j));
  }
  f->bareNumber = 1;
  if ((j = json_object_get(jf, "bareNumber"))) f->bareNumber = json_is_true(j);
  f->plainNumber = strcmp(f->zDecimal, ".") == 0 && !f->zGroup && f->bareNumber;
  f->minLen = f->maxLen = -1;
  f->col = -1;
  f->memo.maxPool = MEMO_POOL_MAX;

  /* constraints */
  json_t *jc = json_object_get(jf, "constraints");
  if (!jc) return 0;
  if (!json_is_object(jc)) {
    buf_printf(err, "champ « %s » : constraints doit être un objet", zf);
    return -1;
  }
  const char *key;
  json_t *jv;
  json_object_foreach(jc, key, jv) {
    if (strcmp(key, "required") == 0) {
      f->required = json_is_true(jv);
    } else if (strcmp(key, "unique") == 0) {
      f->unique = json_is_true(jv);
    } else if (strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0 ||
               strcmp(key, "exclusiveMinimum") == 0 || strcmp(key, "exclusiveMaximum") == 0) {
      int isMin = strstr(key, "inimum") != NULL;
      switch (f->type) {
        case TS_INTEGER:
        case TS_NUMBER:
        case TS_DATE:
        case TS_TIME:
        case TS_DATETIME:
        case TS_YEAR:
        case TS_YEARMONTH:
          break;
        default:
          buf_printf(err, "champ « %s » : contrainte %s non applicable au type %s", zf, key,
                     ts_type_name(f->type));
          return -1;
      }
      ts_value *v = isMin ? &f->vMin : &f->vMax;
      char **pz = isMin ? &f->zMin : &f->zMax;
      if (parse_const(a, f, jv, v, pz)) {
        buf_printf(err, "champ « %s » : %s n'est pas une valeur du type %s", zf, key,
                   ts_type_name(f->type));
        return -1;
      }
      if (isMin)
        f->hasMin = 1, f->exclMin = key[0] == 'e';
      else
        f->hasMax = 1, f->exclMax = key[0] == 'e';
    } else if (strcmp(key, "minLength") == 0 || strcmp(key, "maxLength") == 0) {
      if (!json_is_integer(jv) || json_integer_value(jv) < 0) {
        buf_printf(err, "champ « %s » : %s doit être un entier positif", zf, key);
        return -1;
      }
      if (key[1] == 'i')
        f->minLen = json_integer_value(jv);
      else
        f->maxLen = json_integer_value(jv);
    } else if (strcmp(key, "pattern") == 0) {
      if (!json_is_string(jv)) {
        buf_printf(err, "champ « %s » : pattern doit être un texte", zf);
        return -1;
      }
      f->zPattern = arena_strdup(a, json_string_value(jv));
      buf re = {0}, why = {0};
      int rc = re_translate(f->zPattern, &re, &why);
      if (rc == 0) {
        rc = regcomp(&f->re, buf_str(&re), REG_EXTENDED | REG_NOSUB);
        if (rc) {
          char msg[200];
          regerror(rc, &f->re, msg, sizeof msg);
          buf_printf(&why, "%s", msg);
          rc = -1;
        } else {
          f->hasRe = 1;
          if (seq_compile(a, buf_str(&re), &f->aAtom, &f->nAtom)) f->aAtom = NULL, f->nAtom = 0;
        }
      }
      if (rc)
        buf_printf(err, "champ « %s » : motif %s non pris en charge : %s", zf, f->zPattern,
                   buf_str(&why));
      buf_free(&re);
      buf_free(&why);
      if (rc) return -1;
    } else if (strcmp(key, "enum") == 0) {
      if (!json_is_array(jv) || !json_array_size(jv)) {
        buf_printf(err, "champ « %s » : enum doit être une liste non vide", zf);
        return -1;
      }
      f->nEnum = (int)json_array_size(jv);
      f->aEnum = arena_alloc(a, (size_t)f->nEnum * sizeof(ts_value));
      buf l = {0};
      for (int k = 0; k < f->nEnum; k++) {
        char *zt;
        if (parse_const(a, f, json_array_get(jv, (size_t)k), &f->aEnum[k], &zt)) {
          buf_printf(err, "champ « %s » : la valeur %d de enum n'est pas du type %s", zf, k + 1,
                     ts_type_name(f->type));
          buf_free(&l);
          return -1;
        }
        if (l.n < 400)
          buf_printf(&l, "%s%s", k ? ", " : "", zt);
        else if (k == f->nEnum - 1)
          buf_puts(&l, ", …");
      }
      f->zEnumList = arena_strdup(a, buf_str(&l));
      buf_free(&l);
    } else {
      buf_printf(err, "champ « %s » : contrainte « %s » non prise en charge", zf, key);
      return -1;
    }
  }
  return 0;
}

static void field_free(tsfield *f) {
  if (f->hasRe) regfree(&f->re);
  f->hasRe = 0;
  strset_free(&f->memo);
  strset_free(&f->seen);
}

void ts_schema_free(ts_schema *s) {
  if (!s) return;
  for (size_t i = 0; i < s->nField; i++) field_free(&s->aField[i]);
  free(s->aField);
  strset_free(&s->pkSeen);
  buf_free(&s->key);
  arena_free(s->pArena);
  free(s);
}

void ts_schema_reset(ts_schema *s) {
  for (size_t i = 0; i < s->nField; i++) {
    strset_free(&s->aField[i].seen);
    s->aField[i].col = -1;
  }
  strset_free(&s->pkSeen);
  s->mapped = 0;
  s->nCol = 0;
}

ts_schema *ts_schema_parse(const char *json, size_t n, buf *err) {
  buf ignore = {0};
  if (!err) err = &ignore;
  json_error_t je;
  json_t *root = json_loadb(json, n, 0, &je);
  if (!root) {
    buf_printf(err, "schéma : JSON invalide, ligne %d : %s", je.line, je.text);
    return NULL;
  }
  ts_schema *s = xcalloc(1, sizeof(*s));
  s->pArena = arena_new();
  json_t *j;
  if (!json_is_object(root)) {
    buf_puts(err, "schéma : un objet JSON est attendu");
    goto fail;
  }
  static char *const dflt_missing[] = {""};
  s->azMissing = (char **)dflt_missing;
  s->nMissing = 1;
  if ((j = json_object_get(root, "missingValues")) &&
      json_strlist(s->pArena, j, &s->azMissing, &s->nMissing)) {
    buf_puts(err, "schéma : missingValues doit être une liste de textes");
    goto fail;
  }
  j = json_object_get(root, "fields");
  if (!json_is_array(j) || !json_array_size(j)) {
    buf_puts(err, "schéma : la liste « fields » manque ou est vide");
    goto fail;
  }
  s->nField = json_array_size(j);
  s->aField = xcalloc(s->nField, sizeof(tsfield));
  for (size_t i = 0; i < s->nField; i++) {
    json_t *jf = json_array_get(j, i);
    if (!json_is_object(jf)) {
      buf_printf(err, "schéma : le champ %zu n'est pas un objet", i + 1);
      goto fail;
    }
    if (parse_field(s, &s->aField[i], jf, err)) goto fail;
    for (size_t k = 0; k < i; k++)
      if (strcmp(s->aField[k].zName, s->aField[i].zName) == 0) {
        buf_printf(err, "schéma : le champ « %s » est défini deux fois", s->aField[i].zName);
        goto fail;
      }
  }
  if ((j = json_object_get(root, "primaryKey"))) {
    json_t *one = json_is_string(j) ? json_pack("[O]", j) : json_incref(j);
    if (!json_is_array(one) || !json_array_size(one)) {
      json_decref(one);
      buf_puts(err, "schéma : primaryKey doit nommer un ou plusieurs champs");
      goto fail;
    }
    s->nPk = (int)json_array_size(one);
    s->aPk = arena_alloc(s->pArena, (size_t)s->nPk * sizeof(int));
    for (int k = 0; k < s->nPk; k++) {
      const char *name = json_string_value(json_array_get(one, (size_t)k));
      int i = name ? ts_field_index(s, name) : -1;
      if (i < 0) {
        buf_printf(err, "schéma : primaryKey nomme un champ inconnu « %s »", name ? name : "?");
        json_decref(one);
        goto fail;
      }
      s->aPk[k] = i;
      s->aField[i].required = 1;
    }
    json_decref(one);
  }
  json_decref(root);
  buf_free(&ignore);
  return s;
fail:
  json_decref(root);
  buf_free(&ignore);
  ts_schema_free(s);
  return NULL;
}

ts_schema *ts_schema_load(const char *path, buf *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (err) buf_printf(err, "schéma %s illisible : %s", path, strerror(errno));
    return NULL;
  }
  buf b = {0};
  buf_init(&b, 16u << 20); /* a schema is a few KiB; refuse anything huge */
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(&b, chunk, n);
  int rerr = ferror(f);
  fclose(f);
  ts_schema *s = NULL;
  if (rerr || b.err) {
    if (err) buf_printf(err, "schéma %s illisible ou trop grand", path);
  } else {
    s = ts_schema_parse(buf_str(&b), b.n, err);
  }
  buf_free(&b);
  return s;
}
