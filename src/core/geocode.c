/*
** geocode.c — address import, search, autocomplete and reverse geocoding
** (geocode.h). SQLite backend: FTS5 for text, R*Tree for points.
**
** Shape of the data (migration core/004_addresses.sql). An address is a
** number on a street; the street carries the text (name, postcode, commune)
** and is the unit of the full-text index, so the index has one row per
** street (~15 times fewer than addresses) and a house number is found
** afterwards with one indexed lookup on (street_id, numero). Both sides of
** every comparison go through geocode_normalize, so the FTS5 tokenizer
** (unicode61, remove_diacritics 2, kept as a safety net) only ever sees
** words of [a-z0-9].
**
** Search. The query is normalised; a leading number (and "bis", "ter"…) is
** taken as the house number, stopwords ("de", "la"…) are dropped, and the
** remaining words must all match (FTS5 AND; in autocomplete the last word
** is a prefix, served by the prefix indexes for 1 to 4 letters). The index
** rowid is the street's rank (most numbers first), and candidates are read
** in rowid order with a LIMIT: FTS5 stops after the first CAND_* matches, so
** the cost hardly grows with how common the words are — "rue" matches a
** third of France's streets, yet reading it costs no more than reading the
** first 30 it names. The candidates are then weighed in C: how much of the street's
** name the query covers, bm25 (full search only: it reads every doclist
** whole), whether the commune or postcode was named,
** street size, and whether the asked house number (and suffix) exists.
** Because only the first candidates are weighed, a query made of very common
** words prefers big streets; adding the commune narrows it.
**
** Nothing matched: misspelt words are corrected against the index's words
** (address_words: same first letter, Damerau-Levenshtein 1 or 2), then one
** word at a time is dropped, then the rarest word alone is tried. What is
** found is returned as GEOCODE_SUGGESTIONS.
**
** Reverse. An R*Tree holds the extent of each street's numbers (not each
** number: 15 times fewer inserts, and R*Tree inserts were two thirds of the
** import time). A box around the point grows (×4 from 30 m) until the
** streets that meet it have a number; the nearest of those numbers is
** certain once the box's half-side is at least its distance, else the box is
** grown to that distance once more.
**
** Import. The file is read through zlib (gzread reads plain files too),
** parsed by libcsv in 64 KiB chunks, and written in transactions of
** GEOCODE_IMPORT_BATCH lines with cached prepared statements. An in-memory
** map gives each (commune, postcode, street) its street id, so a street is
** normalised and inserted once (memory: ~120 bytes per street of the file,
** ~10 MB for a département; the whole of France at once would take ~300
** MB, so import it département by département). The first line of a commune deletes what an
** earlier import stored for it. At the end, one transaction ranks the
** streets, rebuilds the FTS index from address_streets, fills the R*Tree
** with the new streets and refreshes address_words. Between batches a
** reader sees the communes being replaced without their addresses; the
** import is meant for a quiet moment. Everything allocated is freed before
** returning.
**
** Dialect: FTS5 (MATCH, bm25, prefix indexes, fts5vocab) and R*Tree are
** SQLite's. A PostgreSQL backend would keep this file's interface and
** replace the candidate query (tsvector with a prefix tsquery, or pg_trgm),
** address_words (pg_trgm similarity) and the box search (GiST, KNN "<->").
*/
#include "core/geocode.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/db.h"

#define TOK_MAX 40       /* bytes kept of one word; longer words are cut */
#define QWORDS_MAX 12    /* words of a query that take part in matching */
#define HITS_MAX 20      /* most hits a search returns */
#define CAND_SEARCH 100  /* streets weighed by geocode_search */
#define CAND_SUGGEST 30  /* streets weighed by geocode_suggest */
#define NUMCHECK 20      /* best streets on which geocode_search looks for the number */
#define NUMERO_MAX 99998 /* BAN numbers go to 5 digits; 99999 marks a lieu-dit */

/* ======================================================================
** Normalisation
** ==================================================================== */

/* U+00C0..U+00FF folded to ASCII; " " for × and ÷. */
static const char *const fold_c0[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  " ", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  " ", "o", "u", "u", "u", "u", "y", "th", "y"};

/* U+0100..U+017F (Latin Extended-A), one letter each; '*' marks the two
** ligatures handled apart (Ĳ ĳ → ij, Œ œ → oe). */
static const char fold_100[] = "aaaaaa" "cccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh"
                               "iiiiiiiiii" "**" "jj" "kkk" "llllllllll" "nnnnnnnnn"
                               "oooooo" "**" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu"
                               "ww" "yyy" "zzzzzz" "s";
_Static_assert(sizeof fold_100 == 129, "one letter per code point U+0100..U+017F");

/* Decodes one UTF-8 sequence at z (z[0] != 0). A byte that does not start a
** valid sequence is taken as a Latin-1 character, so Latin-1 files fold too. */
static unsigned utf8_next(const unsigned char *z, int *len) {
  unsigned c = z[0];
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  int n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0) {
    *len = 1;
    return c;
  }
  unsigned cp = c & (0xFF >> (n + 1));
  for (int i = 1; i < n; i++) {
    if ((z[i] & 0xC0) != 0x80) {
      *len = 1;
      return c;
    }
    cp = (cp << 6) | (z[i] & 0x3F);
  }
  int overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF) {
    *len = 1;
    return c;
  }
  *len = n;
  return cp;
}

/* Marks (accents given apart, as in NFD text) vanish. */
static int is_combining(unsigned cp) {
  return (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF);
}

/* Folds z into out: ASCII lower-case letters and digits, exactly one space
** between words, none at the ends. Every other character becomes a break:
** punctuation and symbols, and letters of other scripts too (French
** addresses are written in Latin letters; Latin ones are folded above). So
** the index and the FTS5 tokenizer only ever see [a-z0-9] words, and a
** quoted query word is always one token (detail=column has no phrases). */
static void fold(buf *out, const char *z) {
  const unsigned char *p = (const unsigned char *)z;
  int space = 1; /* the last thing written was a break (or nothing) */
  while (*p) {
    int len;
    unsigned cp = utf8_next(p, &len);
    p += len;
    const char *s = NULL;
    char one[2] = {0, 0};
    if (cp < 0x80) {
      if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
      if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
        one[0] = (char)cp;
        s = one;
      } else {
        s = " ";
      }
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      s = fold_c0[cp - 0xC0];
    } else if (cp >= 0x100 && cp <= 0x17F) {
      char c = fold_100[cp - 0x100];
      if (c == '*') s = cp < 0x140 ? "ij" : "oe";
      else {
        one[0] = c;
        s = one;
      }
    } else if (cp >= 0x218 && cp <= 0x21B) { /* Romanian ș ț */
      s = cp < 0x21A ? "s" : "t";
    } else if (is_combining(cp)) {
      continue;
    } else {
      s = " ";
    }
    if (s[0] == ' ') {
      if (!space) buf_putc(out, ' ');
      space = 1;
    } else {
      buf_puts(out, s);
      space = 0;
    }
  }
  if (out->n && out->z[out->n - 1] == ' ') out->z[--out->n] = 0;
}

/* Abbreviations of street types, titles and saints, expanded at index and
** at query time. Only whole words. Some are also words ("lot" the river,
** "all"): expanding them on both sides keeps them matching. */
static const struct abbrev {
  const char *abbr, *full;
} abbrevs[] = {
    {"all", "allee"},       {"av", "avenue"},        {"ave", "avenue"},
    {"aven", "avenue"},     {"bd", "boulevard"},     {"bld", "boulevard"},
    {"blvd", "boulevard"},  {"bvd", "boulevard"},    {"boul", "boulevard"},
    {"carref", "carrefour"}, {"cdt", "commandant"},
    {"ch", "chemin"},       {"che", "chemin"},       {"chem", "chemin"},
    {"chs", "chaussee"},    {"cit", "cite"},         {"crs", "cours"},
    {"dr", "docteur"},      {"esp", "esplanade"},    {"fbg", "faubourg"},
    {"fg", "faubourg"},     {"gal", "general"},      {"gen", "general"},
    {"ham", "hameau"},      {"imp", "impasse"},      {"lot", "lotissement"},
    {"lotiss", "lotissement"}, {"mal", "marechal"},  {"mte", "montee"},
    {"nd", "notre dame"},   {"pass", "passage"},     {"pdt", "president"},
    {"pl", "place"},        {"pr", "professeur"},
    {"prom", "promenade"},  {"pte", "porte"},        {"qu", "quai"},
    {"qua", "quai"},        {"r", "rue"},            {"res", "residence"},
    {"rle", "ruelle"},      {"rpt", "rond point"},   {"rte", "route"},
    {"sen", "sentier"},     {"sq", "square"},        {"st", "saint"},
    {"ste", "sainte"},      {"sts", "saints"},       {"tra", "traverse"},
    {"vla", "villa"},       {"zi", "zone industrielle"},
};

static const char *abbrev_full(const char *z, size_t n) {
  for (size_t i = 0; i < ARRAY_SIZE(abbrevs); i++)
    if (strlen(abbrevs[i].abbr) == n && memcmp(abbrevs[i].abbr, z, n) == 0) return abbrevs[i].full;
  return NULL;
}

/* House-number suffixes: what may follow a leading number, and its
** canonical form. Single letters other than these stand for themselves
** ("12 a"), except "r", which is "rue". */
static const struct repword {
  const char *word, *canon;
} repwords[] = {
    {"b", "bis"},         {"bis", "bis"},       {"t", "ter"},
    {"ter", "ter"},       {"q", "quater"},      {"qua", "quater"},
    {"quater", "quater"}, {"quinquies", "quinquies"},
};

/* Canonical suffix of z[0..n), or NULL if it is not one. */
static const char *rep_canon(const char *z, size_t n) {
  for (size_t i = 0; i < ARRAY_SIZE(repwords); i++)
    if (strlen(repwords[i].word) == n && memcmp(repwords[i].word, z, n) == 0)
      return repwords[i].canon;
  if (n == 1 && z[0] >= 'a' && z[0] <= 'z' && z[0] != 'r') {
    static const char letters[] = "a\0b\0c\0d\0e\0f\0g\0h\0i\0j\0k\0l\0m\0"
                                  "n\0o\0p\0q\0r\0s\0t\0u\0v\0w\0x\0y\0z";
    return letters + 2 * (z[0] - 'a'); /* "c": the letter as a string */
  }
  return NULL;
}

/* Words dropped from queries (they are kept in the index). */
static int is_stopword(const char *z, size_t n) {
  static const char *const stop[] = {"a", "au", "aux", "d", "de", "des", "du", "en", "et",
                                     "l", "la", "le", "les", "sous", "sur"};
  for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
    if (strlen(stop[i]) == n && memcmp(stop[i], z, n) == 0) return 1;
  return 0;
}

static int all_digits(const char *z, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (z[i] < '0' || z[i] > '9') return 0;
  return 1;
}

/* One word of normalised output. */
enum { W_WORD, W_NUMBER, W_REP };
typedef struct nword {
  const char *z;   /* normalised word: [a-z0-9]+, not NUL-terminated */
  size_t n;
  const char *raw; /* the folded input word it comes from */
  size_t nraw;
  int kind;        /* W_NUMBER: leading house number; W_REP: its suffix */
  int part;        /* index of this word within a multi-word expansion */
  int final;       /* comes from the last input word */
} nword;
typedef void nword_fn(void *ctx, const nword *w);

/* Splits folded text into words and normalises them: a leading number is
** separated from a suffix glued to it ("12bis"), the suffix after it is put
** in canonical form, and other words have their abbreviation expanded. */
static void normalize_words(const char *f, nword_fn *fn, void *ctx) {
  const char *p = f;
  int index = 0, after_number = 0;
  while (*p) {
    const char *w = p;
    while (*p && *p != ' ') p++;
    size_t n = (size_t)(p - w);
    while (*p == ' ') p++;
    nword o = {w, n, w, n, W_WORD, 0, *p == 0};
    if (index == 0) {
      size_t d = 0;
      while (d < n && w[d] >= '0' && w[d] <= '9') d++;
      const char *canon = d > 0 && d < n ? rep_canon(w + d, n - d) : NULL;
      if (d == n || canon) {
        o.kind = W_NUMBER;
        o.n = d;
        o.final = o.final && !canon;
        fn(ctx, &o);
        after_number = 1;
        if (canon) {
          nword r = {canon, strlen(canon), w + d, n - d, W_REP, 0, *p == 0};
          fn(ctx, &r);
          after_number = 0;
        }
        index++;
        continue;
      }
    }
    if (after_number) {
      after_number = 0;
      const char *canon = rep_canon(w, n);
      if (canon) {
        o.kind = W_REP;
        o.z = canon;
        o.n = strlen(canon);
        fn(ctx, &o);
        index++;
        continue;
      }
    }
    const char *full = abbrev_full(w, n);
    if (!full) {
      fn(ctx, &o);
    } else { /* one word per word of the expansion */
      const char *q = full;
      for (int part = 0; *q; part++) {
        const char *e = strchr(q, ' ');
        size_t len = e ? (size_t)(e - q) : strlen(q);
        nword x = {q, len, w, n, W_WORD, part, o.final};
        fn(ctx, &x);
        q += len;
        while (*q == ' ') q++;
      }
    }
    index++;
  }
}

static void emit_text(void *ctx, const nword *w) {
  buf *out = ctx;
  if (out->n && out->z[out->n - 1] != ' ') buf_putc(out, ' ');
  buf_append(out, w->z, w->n);
}

void geocode_normalize(buf *out, const char *z) {
  buf f = {0};
  fold(&f, z ? z : "");
  size_t start = out->n;
  buf tmp = {0};
  normalize_words(buf_str(&f), emit_text, &tmp);
  /* emit_text separates words by looking at the previous byte: build apart
  ** so that whatever out already holds does not count. */
  if (start && tmp.n) buf_putc(out, ' ');
  buf_append(out, buf_str(&tmp), tmp.n);
  buf_free(&tmp);
  buf_free(&f);
}

/* ======================================================================
** Small helpers
** ==================================================================== */

/* Copies z into dst[cap], cut on a UTF-8 character boundary. */
static void copy_text(char *dst, size_t cap, const char *z) {
  if (!z) z = "";
  size_t n = strlen(z);
  if (n >= cap) {
    n = cap - 1;
    while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80) n--;
  }
  memcpy(dst, z, n);
  dst[n] = 0;
}

/* Lambert-93 (EPSG:2154) from WGS84 — the same as RGF93 at this precision —
** by IGN's closed formulas (note NTG_71): a conic projection of the GRS80
** ellipsoid. Only metropolitan France: -1 elsewhere. */
static int lambert93(double lon, double lat, double *x, double *y) {
  if (lon < -6.0 || lon > 10.5 || lat < 41.0 || lat > 51.5) return -1;
  const double e = 0.08181919106, n = 0.7256077650, c = 11754255.426;
  const double xs = 700000.0, ys = 12655612.050, lon0 = 3.0;
  double phi = lat * M_PI / 180.0, es = e * sin(phi);
  double iso = log(tan(M_PI / 4 + phi / 2) * pow((1 - es) / (1 + es), e / 2));
  double r = c * exp(-n * iso), g = n * (lon - lon0) * M_PI / 180.0;
  *x = xs + r * sin(g);
  *y = ys - r * cos(g);
  return 0;
}

/* Metres between two nearby points (equirectangular: exact enough under a
** few kilometres, which is all reverse geocoding compares). */
static double distance_m(double lon1, double lat1, double lon2, double lat2) {
  double k = M_PI / 180.0 * 6371008.8;
  double dx = (lon2 - lon1) * k * cos((lat1 + lat2) / 2 * M_PI / 180.0);
  double dy = (lat2 - lat1) * k;
  return sqrt(dx * dx + dy * dy);
}

/* Windows-1252 bytes 0x80..0x9F and the code points they decode to. */
static const unsigned cp1252_hi[32] = {
    0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
    0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

static int valid_utf8(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    int len;
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    unsigned cp = utf8_next(p + i, &len);
    if (len == 1 || i + (size_t)len > n) return 0;
    UNUSED(cp);
    i += (size_t)len;
  }
  return 1;
}

/* Text that was UTF-8, read as Windows-1252 and written out as UTF-8 again
** ("RÃ©publique", "lâ€™Est": the Bondy file) is mended: if every character
** of z has a Windows-1252 byte and those bytes are valid UTF-8 with at least
** one accent, appends them to out and returns 1. Else returns 0. Real
** French text never passes: "é" alone becomes the byte 0xE9, not UTF-8. */
static int unmojibake(buf *out, const char *z) {
  if (!strstr(z, "\xC3") && !strstr(z, "\xC2") && !strstr(z, "\xC5") && !strstr(z, "\xE2"))
    return 0;
  buf b = {0};
  const unsigned char *p = (const unsigned char *)z;
  int high = 0, ok = 1;
  while (*p && ok) {
    int len;
    unsigned cp = utf8_next(p, &len);
    if (len == 1 && *p >= 0x80) ok = 0; /* not UTF-8 to begin with */
    p += len;
    int byte = -1;
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) byte = (int)cp;
    else
      for (int i = 0; i < 32; i++)
        if (cp1252_hi[i] == cp) byte = 0x80 + i;
    if (byte < 0) ok = 0;
    else {
      high |= byte >= 0x80;
      buf_putc(&b, (char)byte);
    }
  }
  ok = ok && high && valid_utf8((const unsigned char *)buf_str(&b), b.n);
  if (ok) buf_append(out, buf_str(&b), b.n);
  buf_free(&b);
  return ok;
}

/* ======================================================================
** Queries
** ==================================================================== */

typedef struct qword {
  char z[TOK_MAX + 1];   /* normalised word */
  char raw[TOK_MAX + 1]; /* prefix word only: as typed, if it is an abbreviation
                         ** whose expansion does not start with it ("st" → saint);
                         ** else "" */
  int prefix;            /* unfinished last word: matches the words it starts */
} qword;

typedef struct qry {
  int numero;            /* house number asked; 0 if none */
  char rep[16];          /* its suffix, canonical; "" if none */
  qword w[QWORDS_MAX];   /* words that must match, stopwords dropped */
  int nw;
  int typing;            /* autocomplete with an unfinished last word */
  int fast;              /* autocomplete: no bm25 */
  char stop[48];         /* the stopwords typed, " de la ": they only break ties */
} qry;

static void copy_word(char *dst, const char *z, size_t n) {
  if (n > TOK_MAX) n = TOK_MAX;
  memcpy(dst, z, n);
  dst[n] = 0;
}

static void parse_word(void *ctx, const nword *w) {
  qry *q = ctx;
  int prefix = q->typing && w->final;
  nword as_word;
  if (w->kind == W_NUMBER && w->n <= 4) { /* five digits are a postcode */
    char num[8];
    copy_word(num, w->z, w->n);
    q->numero = atoi(num);
    return;
  } else if (w->kind == W_REP) {
    /* "12 b" while typing may be "12 bd…": a short suffix still being typed
    ** is read as the start of a word. */
    if (!(prefix && w->nraw < 3)) {
      if (q->numero) copy_word(q->rep, w->z, w->n < 15 ? w->n : 15);
      return;
    }
    as_word = (nword){w->raw, w->nraw, w->raw, w->nraw, W_WORD, 0, 1};
    w = &as_word;
  }
  if (q->nw >= QWORDS_MAX) return;
  if (prefix && w->part > 0) return; /* "zi" typed: its own prefix is enough */
  if (!prefix && is_stopword(w->z, w->n)) {
    size_t len = strlen(q->stop);
    if (len + w->n + 2 < sizeof q->stop) {
      if (len == 0) q->stop[len++] = ' ';
      memcpy(q->stop + len, w->z, w->n);
      memcpy(q->stop + len + w->n, " ", 2);
    }
    return;
  }
  qword *o = &q->w[q->nw++];
  memset(o, 0, sizeof(*o));
  o->prefix = prefix || w->n > TOK_MAX; /* a word cut to TOK_MAX still matches */
  if (prefix && (w->raw != w->z || w->nraw != w->n)) {
    /* An abbreviation being typed: "av" may become "avenue" or "avenir";
    ** the typed letters are the prefix. When the expansion does not start
    ** with them ("st" → "saint"), either form may follow. */
    const char *full = abbrev_full(w->raw, w->nraw);
    int starts = w->n >= w->nraw && memcmp(w->z, w->raw, w->nraw) == 0;
    if ((full && strchr(full, ' ')) || starts) {
      copy_word(o->z, w->raw, w->nraw);
    } else {
      copy_word(o->z, w->z, w->n);
      copy_word(o->raw, w->raw, w->nraw);
    }
  } else {
    copy_word(o->z, w->z, w->n);
  }
}

/* Reads a query. typing: autocomplete, and the text does not end with a
** break, so its last word is unfinished. */
static void query_parse(qry *q, const char *text, int suggest) {
  memset(q, 0, sizeof(*q));
  q->fast = suggest;
  size_t n = strlen(text);
  q->typing = suggest && n > 0 && (((unsigned char)text[n - 1] >= 0x80) ||
                                   (text[n - 1] >= '0' && text[n - 1] <= '9') ||
                                   ((text[n - 1] | 0x20) >= 'a' && (text[n - 1] | 0x20) <= 'z'));
  buf f = {0};
  fold(&f, text);
  normalize_words(buf_str(&f), parse_word, q);
  buf_free(&f);
}

/* The FTS5 expression: every word, AND. Words hold only letters and digits,
** so quoting them needs no escaping; the expression is bound, never pasted
** into SQL. */
static void query_fts(buf *b, const qry *q, int skip) {
  int first = 1;
  for (int i = 0; i < q->nw; i++) {
    if (i == skip) continue;
    const qword *w = &q->w[i];
    if (!first) buf_puts(b, " AND ");
    first = 0;
    if (!w->prefix) buf_printf(b, "\"%s\"", w->z);
    else if (w->raw[0]) buf_printf(b, "(\"%s\"* OR \"%s\"*)", w->raw, w->z);
    else buf_printf(b, "\"%s\"*", w->z);
  }
}

/* Does the query word match the index word d[0..n)? */
static int word_matches(const qword *w, const char *d, size_t n) {
  size_t zn = strlen(w->z);
  if (!w->prefix) return n == zn && memcmp(d, w->z, n) == 0;
  if (n >= zn && memcmp(d, w->z, zn) == 0) return 1;
  size_t rn = strlen(w->raw);
  return rn && n >= rn && memcmp(d, w->raw, rn) == 0;
}

/* ======================================================================
** Candidates and their weight
** ==================================================================== */

/* One row of address_numbers. */
typedef struct numrow {
  int64_t id;             /* address id */
  int numero;             /* house number, 0 for none */
  char rep[16];           /* suffix as stored (lower case) */
  char ban_id[48];        /* source identifier */
  double lon, lat;        /* WGS84 */
  double x, y;            /* projected, when has_xy */
  int has_xy;             /* x, y are known */
} numrow;

/* A street that matched, as it is weighed. */
typedef struct cand {
  int64_t street_id;      /* address_streets.id */
  int64_t rank;           /* its rank (FTS rowid): the tie-breaker */
  int64_t n;              /* numbers on it */
  char voie[160];         /* name as published */
  char norm[200];         /* normalised name */
  char lieu[200];         /* normalised commune, former commune, postcode */
  char code_postal[8], code_insee[8];
  char commune[96], ancienne[96];
  double lon, lat;        /* centroid of its numbers */
  double bm25;            /* FTS5 bm25 (negative, lower is better); 0 in autocomplete */
  double score;           /* 0..1, see weigh_street */
  int num;                /* the asked number here: 2 found with its suffix, 1 with
                          ** another suffix, 0 absent, -1 not looked up */
  numrow nr;              /* that number, when num > 0 */
} cand;

/* bm25 costs a pass over the whole doclist of every word (for its IDF):
** ~1 ms for "rue" over 150,000 streets. The full search pays it; the
** autocomplete does without (its column is 0). */
#define CANDIDATES(RELEVANCE)                                                                \
  "SELECT s.id, s.rank, s.voie, s.norm, s.lieu, s.code_postal, s.code_insee, s.commune,"  \
  " s.ancienne, s.n, s.lon, s.lat, " RELEVANCE                                            \
  " FROM address_fts JOIN address_streets s ON s.rank = address_fts.rowid"                \
  " WHERE address_fts MATCH ?1 ORDER BY address_fts.rowid LIMIT ?2"
static const char *const SQL_CANDIDATES_BM25 = CANDIDATES("bm25(address_fts, 1.0, 0.5)");
static const char *const SQL_CANDIDATES_FAST = CANDIDATES("0");

/* Appends to c[*nc..max) the streets matching q (without word `skip`, -1
** for none) that are not there yet. Returns 0 or -1. */
static int fetch_candidates(const qry *q, int skip, cand *c, int *nc, int max) {
  buf expr = {0};
  query_fts(&expr, q, skip);
  if (expr.n == 0 || *nc >= max) {
    buf_free(&expr);
    return 0;
  }
  db_stmt *s = db_query(q->typing || q->fast ? SQL_CANDIDATES_FAST : SQL_CANDIDATES_BM25, "ti",
                        buf_str(&expr), (int64_t)(max - *nc));
  int rc;
  while ((rc = db_step(s)) == DB_ROW && *nc < max) {
    int64_t id = db_int(s, 0);
    int dup = 0;
    for (int i = 0; i < *nc && !dup; i++) dup = c[i].street_id == id;
    if (dup) continue;
    cand *o = &c[(*nc)++];
    memset(o, 0, sizeof(*o));
    o->street_id = id;
    o->rank = db_int(s, 1);
    copy_text(o->voie, sizeof o->voie, db_text(s, 2));
    copy_text(o->norm, sizeof o->norm, db_text(s, 3));
    copy_text(o->lieu, sizeof o->lieu, db_text(s, 4));
    copy_text(o->code_postal, sizeof o->code_postal, db_text(s, 5));
    copy_text(o->code_insee, sizeof o->code_insee, db_text(s, 6));
    copy_text(o->commune, sizeof o->commune, db_text(s, 7));
    copy_text(o->ancienne, sizeof o->ancienne, db_text(s, 8));
    o->n = db_int(s, 9);
    o->lon = db_double(s, 10);
    o->lat = db_double(s, 11);
    o->bm25 = db_double(s, 12);
    o->num = -1;
  }
  db_done(s);
  buf_free(&expr);
  return rc == DB_ERROR ? -1 : 0;
}

/* The street part of a candidate's weight, up to 0.8 (the house number
** gives the last 0.2):
**   0.50 × the share of the street's own words that the query names (so
**        "rue jean jaures" prefers "Rue Jean Jaurès" to "… Prolongée");
**   0.15 × bm25 mapped to 0..1 (a constant 0.075 in autocomplete);
**   0.10 if a query word names the commune or the postcode;
**   0.05 × street size (log of its numbers), the tie-breaker;
**   -0.002 for each stopword of the name the query did not type;
** all scaled by the share of the query's words the street matches (below 1
** only for suggestions made with fewer words). */
static void weigh_street(const qry *q, cand *c) {
  unsigned used = 0; /* query words that matched something */
  int nv = 0, mv = 0, lieu = 0, untyped = 0;
  for (int pass = 0; pass < 2; pass++) {
    const char *p = pass == 0 ? c->norm : c->lieu;
    while (*p) {
      const char *d = p;
      while (*p && *p != ' ') p++;
      size_t n = (size_t)(p - d);
      while (*p == ' ') p++;
      int counts = pass == 0 && !is_stopword(d, n);
      nv += counts;
      if (pass == 0 && !counts) { /* "Chemin de X" or "Chemin X": the one typed */
        char key[8];
        int fits = n + 3 <= sizeof key;
        if (fits) {
          key[0] = ' ';
          memcpy(key + 1, d, n);
          memcpy(key + 1 + n, " ", 2);
        }
        untyped += !fits || !strstr(q->stop, key);
      }
      int hit = 0;
      for (int i = 0; i < q->nw; i++)
        if (word_matches(&q->w[i], d, n)) {
          used |= 1u << i;
          hit = 1;
        }
      if (hit && counts) mv++;
      if (hit && pass == 1) lieu = 1;
    }
  }
  int nused = 0;
  for (int i = 0; i < q->nw; i++) nused += (used >> i) & 1;
  double cov = nv ? (double)mv / nv : 0;
  double r = q->fast ? 1 : c->bm25 < 0 ? -c->bm25 : 0; /* no bm25: all equal */
  double imp = log10(1.0 + (double)c->n) / 3.0;
  if (imp > 1) imp = 1;
  double s = 0.50 * cov + 0.15 * r / (1 + r) + 0.10 * lieu + 0.05 * imp - 0.002 * untyped;
  c->score = q->nw ? s * nused / q->nw : s;
}

static int cand_cmp(const void *a, const void *b) {
  const cand *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? 1 : -1;
  return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static void numrow_read(db_stmt *s, numrow *o) {
  o->id = db_int(s, 0);
  o->numero = (int)db_int(s, 1);
  copy_text(o->rep, sizeof o->rep, db_text(s, 2));
  o->lon = db_double(s, 3);
  o->lat = db_double(s, 4);
  o->has_xy = !db_is_null(s, 5);
  o->x = db_double(s, 5);
  o->y = db_double(s, 6);
  copy_text(o->ban_id, sizeof o->ban_id, db_text(s, 7));
}

#define NUM_COLS "id, numero, rep, lon, lat, x, y, ban_id"

/* Is the stored suffix the canonical one wanted? Files write "b" or "bis"
** (lower-cased at import): compared in canonical form. */
static int rep_is(const char *stored, const char *want) {
  size_t n = strlen(stored);
  const char *canon = n ? rep_canon(stored, n) : "";
  return strcmp(canon ? canon : stored, want) == 0;
}

/* Looks the asked number up on c: c->num = 2 (number and suffix), 1 (the
** number with another suffix, the plain one preferred), 0 (absent). */
static int find_number(const qry *q, cand *c) {
  db_stmt *s = db_query("SELECT " NUM_COLS " FROM address_numbers WHERE street_id = ? AND numero = ?"
                        " ORDER BY rep",
                        "ii", c->street_id, (int64_t)q->numero);
  int rc;
  c->num = 0;
  while ((rc = db_step(s)) == DB_ROW) {
    if (rep_is(db_text(s, 2), q->rep)) {
      numrow_read(s, &c->nr);
      c->num = 2;
      break;
    }
    if (c->num == 0) {
      numrow_read(s, &c->nr);
      c->num = 1;
    }
  }
  db_done(s);
  return rc == DB_ERROR ? -1 : 0;
}

/* The hit for candidate c: the address nr if given, else the street. */
static void hit_make(geocode_hit *h, const cand *c, const numrow *nr, double score) {
  memset(h, 0, sizeof(*h));
  h->street_id = c->street_id;
  copy_text(h->voie, sizeof h->voie, c->voie);
  copy_text(h->code_postal, sizeof h->code_postal, c->code_postal);
  copy_text(h->code_insee, sizeof h->code_insee, c->code_insee);
  copy_text(h->commune, sizeof h->commune, c->commune);
  buf l = {0};
  if (nr && nr->numero > 0) {
    h->id = nr->id;
    h->numero = nr->numero;
    copy_text(h->rep, sizeof h->rep, nr->rep);
    copy_text(h->ban_id, sizeof h->ban_id, nr->ban_id);
    buf_printf(&l, "%d%s%s ", nr->numero, h->rep[0] ? " " : "", h->rep);
  }
  if (nr) { /* an address, perhaps a lieu-dit without number */
    h->id = nr->id;
    h->lon = nr->lon;
    h->lat = nr->lat;
  } else {
    h->lon = c->lon;
    h->lat = c->lat;
  }
  if (nr && nr->has_xy) {
    h->x = nr->x;
    h->y = nr->y;
  } else if (lambert93(h->lon, h->lat, &h->x, &h->y) != 0) {
    h->x = h->y = 0;
  }
  buf_puts(&l, c->voie);
  if (c->code_postal[0]) buf_printf(&l, " %s", c->code_postal);
  buf_printf(&l, " %s", c->commune);
  if (c->ancienne[0] && strcmp(c->ancienne, c->commune) != 0) buf_printf(&l, " (%s)", c->ancienne);
  copy_text(h->label, sizeof h->label, buf_str(&l));
  buf_free(&l);
  h->score = score < 0 ? 0 : score > 1 ? 1 : score;
}

/* ======================================================================
** Suggestions when nothing matches
** ==================================================================== */

/* Damerau-Levenshtein distance (optimal string alignment) between a and b,
** or max + 1 once it is known to exceed max. Words are ≤ TOK_MAX bytes. */
static int edit_distance(const char *a, size_t na, const char *b, size_t nb, int max) {
  int d[TOK_MAX + 2][TOK_MAX + 2];
  if (na > TOK_MAX || nb > TOK_MAX) return max + 1;
  if ((na > nb ? na - nb : nb - na) > (size_t)max) return max + 1;
  for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
  for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
  for (size_t i = 1; i <= na; i++) {
    int best = max + 1;
    for (size_t j = 1; j <= nb; j++) {
      int cost = a[i - 1] != b[j - 1];
      int v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
  }
  return d[na][nb];
}

/* The successor of prefix z for range scans: "abc" → "abd". */
static void prefix_end(char *dst, const char *z) {
  size_t n = strlen(z);
  memcpy(dst, z, n + 1);
  if (n) dst[n - 1] = (char)(dst[n - 1] + 1);
}

/* Streets using the word (a prefix word: 1 if any word starts with it).
** A database error (logged by db.c) reads as 0: the word is then dropped. */
static int64_t word_streets(const qword *w) {
  if (!w->prefix) return db_get_int(0, "SELECT n FROM address_words WHERE word = ?", "t", w->z);
  char end[TOK_MAX + 2];
  prefix_end(end, w->z);
  int64_t n = db_get_int(0, "SELECT 1 FROM address_words WHERE word >= ? AND word < ? LIMIT 1", "tt",
                         w->z, end);
  if (n == 0 && w->raw[0]) {
    prefix_end(end, w->raw);
    n = db_get_int(0, "SELECT 1 FROM address_words WHERE word >= ? AND word < ? LIMIT 1", "tt",
                   w->raw, end);
  }
  return n;
}

/* Replaces an unknown word by the most used index word with the same first
** letter within 1 edit (words of 4-5 letters) or 2 (longer). A prefix word
** is compared with the beginning of each index word. 1 if corrected. */
static int word_correct(qword *w) {
  size_t n = strlen(w->z);
  if (n < 4) return 0;
  int max = n < 6 ? 1 : 2;
  char first[2] = {w->z[0], 0}, end[2];
  prefix_end(end, first);
  db_stmt *s = db_query("SELECT word, n FROM address_words WHERE word >= ? AND word < ?", "tt", first, end);
  int best_d = max + 1;
  int64_t best_n = 0;
  char best[TOK_MAX + 1] = "";
  while (db_step(s) == DB_ROW) {
    const char *d = db_text(s, 0);
    size_t dn = strlen(d);
    if (w->prefix && dn > n) dn = n; /* compare with as much as was typed */
    int dist = edit_distance(w->z, n, d, dn, max);
    int64_t cnt = db_int(s, 1);
    if (dist < best_d || (dist == best_d && dist <= max && cnt > best_n)) {
      best_d = dist;
      best_n = cnt;
      copy_word(best, d, dn);
    }
  }
  db_done(s);
  if (best_d > max) return 0;
  memcpy(w->z, best, sizeof best);
  w->raw[0] = 0;
  return 1;
}

/* Nothing matched q: fills c with streets that match a corrected query, or
** all its words but one, or its rarest word. *q is left as the query that
** found them (corrected words, unknown ones removed). */
static int fallback(qry *q, cand *c, int *nc, int max) {
  int changed = 0;
  for (int i = 0; i < q->nw; i++) {
    if (word_streets(&q->w[i]) > 0) continue;
    changed = 1;
    if (!word_correct(&q->w[i])) { /* unknown and nothing close: drop it */
      memmove(&q->w[i], &q->w[i + 1], (size_t)(q->nw - i - 1) * sizeof q->w[0]);
      q->nw--;
      i--;
    }
  }
  if (changed && fetch_candidates(q, -1, c, nc, max) != 0) return -1;
  for (int i = 0; *nc == 0 && q->nw >= 2 && i < q->nw; i++)
    if (fetch_candidates(q, i, c, nc, max) != 0) return -1;
  if (*nc == 0 && q->nw >= 2) { /* the rarest word alone */
    int best = -1;
    int64_t best_n = 0;
    for (int i = 0; i < q->nw; i++) {
      int64_t n = q->w[i].prefix ? INT64_MAX : word_streets(&q->w[i]);
      if (n > 0 && (best < 0 || n < best_n)) {
        best = i;
        best_n = n;
      }
    }
    if (best >= 0) {
      qry one = *q;
      one.w[0] = q->w[best];
      one.nw = 1;
      if (fetch_candidates(&one, -1, c, nc, max) != 0) return -1;
    }
  }
  return 0;
}

/* ======================================================================
** Search, autocomplete, reverse
** ==================================================================== */

/* Writes the neighbours of the asked number on c (same number with other
** suffixes, then the next lower and higher numbers) as suggestions. */
static int suggest_numbers(const qry *q, const cand *c, geocode_hit *out, int *n, int limit) {
  static const char *const sql[3] = {
      "SELECT " NUM_COLS " FROM address_numbers WHERE street_id = ?1 AND numero = ?2 ORDER BY rep",
      "SELECT " NUM_COLS " FROM address_numbers WHERE street_id = ?1 AND numero < ?2"
      " ORDER BY numero DESC, rep LIMIT 1",
      "SELECT " NUM_COLS " FROM address_numbers WHERE street_id = ?1 AND numero > ?2"
      " ORDER BY numero, rep LIMIT 1"};
  for (int k = 0; k < 3 && *n < limit; k++) {
    db_stmt *s = db_query(sql[k], "ii", c->street_id, (int64_t)q->numero);
    int rc = DB_DONE;
    while (*n < limit && (rc = db_step(s)) == DB_ROW) {
      numrow nr;
      numrow_read(s, &nr);
      hit_make(&out[(*n)++], c, &nr, c->score * 0.8);
    }
    db_done(s);
    if (rc == DB_ERROR) return -1;
  }
  return 0;
}

static int search(const char *text, int limit, geocode_hit *out, int *n, int suggest) {
  *n = 0;
  if (!text) text = "";
  if (strlen(text) > GEOCODE_QUERY_MAX) return GEOCODE_BADQUERY;
  if (limit > HITS_MAX) limit = HITS_MAX;
  if (limit < 1) return GEOCODE_NOTHING;
  double lon, lat;
  if (geocode_parse_point(text, &lon, &lat)) {
    int rc = geocode_reverse(lon, lat, out);
    *n = rc == GEOCODE_FOUND;
    return rc;
  }
  qry q;
  query_parse(&q, text, suggest);
  if (q.nw == 0) return GEOCODE_NOTHING;
  int max = suggest ? CAND_SUGGEST : CAND_SEARCH, nc = 0;
  cand *c = xmalloc((size_t)max * sizeof *c);
  int rc = GEOCODE_FOUND;
  if (fetch_candidates(&q, -1, c, &nc, max) != 0) goto fail;
  if (nc == 0) {
    rc = GEOCODE_SUGGESTIONS;
    if (fallback(&q, c, &nc, max) != 0) goto fail;
    if (nc == 0) {
      free(c);
      return GEOCODE_NOTHING;
    }
  }
  for (int i = 0; i < nc; i++) weigh_street(&q, &c[i]);
  qsort(c, (size_t)nc, sizeof *c, cand_cmp);

  if (q.numero == 0) { /* the streets themselves */
    for (int i = 0; i < nc && *n < limit; i++) hit_make(&out[(*n)++], &c[i], NULL, c[i].score + 0.2);
    free(c);
    return rc;
  }
  /* A house number: look it up on the best streets, and weigh it. */
  int check = suggest ? limit : NUMCHECK, exact = 0;
  if (check > nc) check = nc;
  for (int i = 0; i < check; i++) {
    if (find_number(&q, &c[i]) != 0) goto fail;
    c[i].score += c[i].num == 2 ? 0.2 : c[i].num == 1 ? 0.1 : 0;
    exact += c[i].num == 2;
  }
  qsort(c, (size_t)check, sizeof *c, cand_cmp);
  if (suggest || rc == GEOCODE_SUGGESTIONS) {
    /* Autocomplete: the number where it exists (perhaps with another suffix
    ** still to be typed), else the street. */
    for (int i = 0; i < nc && *n < limit; i++)
      hit_make(&out[(*n)++], &c[i], c[i].num > 0 ? &c[i].nr : NULL, c[i].score);
  } else if (exact) {
    for (int i = 0; i < check && *n < limit; i++)
      if (c[i].num == 2) hit_make(&out[(*n)++], &c[i], &c[i].nr, c[i].score);
  } else {
    /* The streets exist, the number does not: its neighbours on the best
    ** street, then the next streets. */
    rc = GEOCODE_SUGGESTIONS;
    if (suggest_numbers(&q, &c[0], out, n, limit) != 0) goto fail;
    for (int i = 1; i < nc && *n < limit; i++)
      hit_make(&out[(*n)++], &c[i], c[i].num > 0 ? &c[i].nr : NULL, c[i].score * 0.8);
  }
  free(c);
  return rc;
fail:
  free(c);
  *n = 0;
  return GEOCODE_ERROR;
}

int geocode_search(const char *query, int limit, geocode_hit *out, int *n) {
  return search(query, limit, out, n, 0);
}

int geocode_suggest(const char *query, int limit, geocode_hit *out, int *n) {
  return search(query, limit, out, n, 1);
}

#define GET_SQL                                                                                  \
  "SELECT a.id, a.numero, a.rep, a.lon, a.lat, a.x, a.y, a.ban_id, s.id, s.voie, s.code_postal," \
  " s.code_insee, s.commune, s.ancienne, s.lon, s.lat"                                           \
  " FROM address_numbers a JOIN address_streets s ON s.id = a.street_id WHERE a.id = ?"

int geocode_get(int64_t id, geocode_hit *out) {
  db_stmt *s = db_query(GET_SQL, "i", id);
  int rc = db_step(s);
  if (rc == DB_ROW) {
    numrow nr;
    cand c;
    memset(&c, 0, sizeof c);
    numrow_read(s, &nr);
    c.street_id = db_int(s, 8);
    copy_text(c.voie, sizeof c.voie, db_text(s, 9));
    copy_text(c.code_postal, sizeof c.code_postal, db_text(s, 10));
    copy_text(c.code_insee, sizeof c.code_insee, db_text(s, 11));
    copy_text(c.commune, sizeof c.commune, db_text(s, 12));
    copy_text(c.ancienne, sizeof c.ancienne, db_text(s, 13));
    c.lon = db_double(s, 14);
    c.lat = db_double(s, 15);
    hit_make(out, &c, &nr, 1.0);
  }
  db_done(s);
  return rc == DB_ROW ? GEOCODE_FOUND : rc == DB_DONE ? GEOCODE_NOTHING : GEOCODE_ERROR;
}

int geocode_reverse(double lon, double lat, geocode_hit *out) {
  if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90)) return GEOCODE_NOTHING;
  double r = 30; /* the box's half-side, metres */
  int64_t best = 0;
  double best_d = 0;
  for (;;) {
    /* The numbers of every street whose extent meets the box. Its width is
    ** taken at its poleward edge, where a degree of longitude is shortest. */
    double dlat = r / 111194.9, coslat = cos(fmin(fabs(lat) + dlat, 89.9) * M_PI / 180.0);
    double dlon = dlat / coslat;
    db_stmt *s = db_query("SELECT a.id, a.lon, a.lat FROM address_streets_rtree r"
                          " JOIN address_numbers a ON a.street_id = r.id"
                          " WHERE r.min_lon <= ?2 AND r.max_lon >= ?1"
                          " AND r.min_lat <= ?4 AND r.max_lat >= ?3",
                          "dddd", lon - dlon, lon + dlon, lat - dlat, lat + dlat);
    int rc;
    best = 0;
    while ((rc = db_step(s)) == DB_ROW) {
      double d = distance_m(lon, lat, db_double(s, 1), db_double(s, 2));
      if (!best || d < best_d) {
        best = db_int(s, 0);
        best_d = d;
      }
    }
    db_done(s);
    if (rc == DB_ERROR) return GEOCODE_ERROR;
    /* Every address within r lies in a street whose extent meets the box:
    ** a best one at d ≤ r is the nearest; one at d > r may have a nearer
    ** rival in a street just outside the box, so look again that far. */
    if (best && best_d <= r) break;
    if (best) r = best_d * 1.000001;
    else if (r >= GEOCODE_REVERSE_MAX_M) return GEOCODE_NOTHING;
    else r = r * 4 > GEOCODE_REVERSE_MAX_M ? GEOCODE_REVERSE_MAX_M : r * 4;
  }
  if (best_d > GEOCODE_REVERSE_MAX_M) return GEOCODE_NOTHING;
  int rc = geocode_get(best, out);
  if (rc == GEOCODE_FOUND) out->distance_m = best_d;
  return rc;
}

/* A decimal number with a decimal point; *end after it. */
static int read_decimal(const char *p, const char **end, double *v) {
  const char *q = p;
  if (*q == '-' || *q == '+') q++;
  int digits = 0, dot = 0;
  while ((*q >= '0' && *q <= '9') || (*q == '.' && !dot)) {
    if (*q == '.') dot = 1;
    else digits++;
    q++;
  }
  if (!digits || !dot) return 0;
  char tmp[40];
  size_t n = (size_t)(q - p);
  if (n >= sizeof tmp) return 0;
  memcpy(tmp, p, n);
  tmp[n] = 0;
  *v = strtod(tmp, NULL);
  *end = q;
  return 1;
}

static int in_france(double lon, double lat) { return lat >= 41 && lat <= 51.5 && lon >= -5.5 && lon <= 10; }

int geocode_parse_point(const char *z, double *lon, double *lat) {
  double a, b;
  const char *p = z;
  while (*p == ' ') p++;
  if (!read_decimal(p, &p, &a)) return 0;
  while (*p == ' ') p++;
  if (*p == ',' || *p == ';') p++;
  while (*p == ' ') p++;
  if (!read_decimal(p, &p, &b)) return 0;
  while (*p == ' ') p++;
  if (*p) return 0;
  int lat_first = 1; /* "lat, lon", as map sites copy it */
  if (fabs(a) > 90) lat_first = 0;
  else if (fabs(b) > 90) lat_first = 1;
  else if (!in_france(b, a) && in_france(a, b)) lat_first = 0;
  *lat = lat_first ? a : b;
  *lon = lat_first ? b : a;
  return fabs(*lat) <= 90 && fabs(*lon) <= 180;
}

void geocode_explain(buf *out, int rc, const char *query, const geocode_hit *hits, int n) {
  char q[96];
  copy_text(q, sizeof q, query ? query : "");
  switch (rc) {
    case GEOCODE_FOUND: return;
    case GEOCODE_SUGGESTIONS:
      buf_printf(out, "Aucune adresse trouvée pour « %s ». Vouliez-vous dire : ", q);
      for (int i = 0; i < n; i++) buf_printf(out, "%s%s", i ? " ; " : "", hits[i].label);
      buf_puts(out, " ?");
      return;
    case GEOCODE_NOTHING:
      if (!db_get_int(0, "SELECT EXISTS (SELECT 1 FROM address_numbers)", "")) {
        buf_puts(out, "Aucune adresse n'est encore chargée : un administrateur doit lancer "
                      "« guichet import addresses FICHIER ». En attendant, choisissez le point "
                      "sur la carte.");
        return;
      }
      buf_printf(out, "Aucune adresse trouvée pour « %s ». Vérifiez l'orthographe, ajoutez la "
                      "commune ou le code postal, ou choisissez le point sur la carte.", q);
      return;
    case GEOCODE_BADQUERY:
      buf_printf(out, "L'adresse saisie est trop longue (%d caractères au plus).", GEOCODE_QUERY_MAX);
      return;
    default:
      buf_puts(out, "La recherche d'adresse est momentanément indisponible. Réessayez dans un instant.");
  }
}

int64_t geocode_count(void) { return db_get_int(0, "SELECT count(*) FROM address_numbers", ""); }

/* ======================================================================
** Import
** ==================================================================== */

#define CHUNK (64 * 1024)      /* bytes handed to libcsv at a time */
#define FIELDS_MAX 64          /* fields kept per line (BAN has 23) */
#define FIELD_MAX 1024         /* bytes of one field; longer refuses the line */
#define STALE_MAX (1 << 20)    /* bytes without a line end: not a CSV file */
#define VOIE_MAX 150           /* longest street name accepted (BAN: ~100) */
#define COMMUNE_MAX 90         /* longest commune name accepted */

/* Columns the importer reads. */
enum { C_ID, C_NUMERO, C_REP, C_VOIE, C_CP, C_INSEE, C_COMMUNE, C_ANCIENNE, C_X, C_Y, C_LON, C_LAT, NCOL };
static const char *const col_names[NCOL] = {"id", "numero", "rep", "nom_voie", "code_postal", "code_insee",
                                            "nom_commune", "nom_ancienne_commune", "x", "y", "lon", "lat"};
static const unsigned char col_required[NCOL] = {0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1};
/* BANO has no header: id, numero, voie, code_post, nom_comm, source, lat, lon. */
static const int bano_cols[NCOL] = {0, 1, -1, 2, 3, -1, 4, -1, -1, -1, 7, 6};

static const char *format_name(geocode_format f) {
  switch (f) {
    case GEOCODE_FMT_BAN: return "BAN national (adresses-XX.csv)";
    case GEOCODE_FMT_BONDY: return "BAN réenregistré par R (variante Bondy)";
    case GEOCODE_FMT_BANO: return "BANO (OpenStreetMap)";
    default: return "inconnu";
  }
}

/* Open-addressing map from a key string (in the importer's arena). */
typedef struct ment {
  const char *key;  /* NULL: empty slot */
  int64_t id;       /* street id (0 in the map of communes) */
} ment;
typedef struct map {
  ment *e;
  size_t cap, used; /* cap is a power of two, used ≤ cap / 2 */
} map;

static uint64_t hash_key(const char *z, size_t n) {
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)z[i]) * 1099511628211u;
  return h;
}

/* The entry for key[0..n), created (id 0) if absent, key copied into a. */
static ment *map_get(map *m, arena *a, const char *key, size_t n, int *created) {
  if ((m->used + 1) * 2 > m->cap) {
    map old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->e = xcalloc(m->cap, sizeof *m->e);
    m->used = 0;
    for (size_t i = 0; i < old.cap; i++) {
      if (!old.e[i].key) continue;
      size_t j = hash_key(old.e[i].key, strlen(old.e[i].key)) & (m->cap - 1);
      while (m->e[j].key) j = (j + 1) & (m->cap - 1);
      m->e[j] = old.e[i];
      m->used++;
    }
    free(old.e);
  }
  size_t j = hash_key(key, n) & (m->cap - 1);
  while (m->e[j].key) {
    if (strncmp(m->e[j].key, key, n) == 0 && m->e[j].key[n] == 0) {
      *created = 0;
      return &m->e[j];
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->e[j].key = arena_strndup(a, key, n);
  m->used++;
  *created = 1;
  return &m->e[j];
}

typedef struct importer {
  geocode_format fmt;
  int col[NCOL];            /* field index of each column, -1 if absent */
  int need;                 /* fields a line must have */
  int header_pending;       /* the next line is the header */
  int na_blank;             /* "NA" means empty (R's output) */
  buf row;                  /* the current line's fields, each NUL-terminated */
  size_t off[FIELDS_MAX];   /* where each field starts in row */
  int nf;                   /* fields in the current line */
  int overlong;             /* a field was longer than FIELD_MAX */
  int64_t line;             /* lines seen, header included */
  int ended;                /* lines that ended in the current chunk */
  map streets;              /* "insee cp ancienne voie" → street of this import */
  map communes;             /* communes this import replaced */
  arena *keys;              /* the maps' key strings */
  buf key, norm, lieu;      /* scratch */
  int64_t batch;            /* lines in the open transaction */
  int in_tx;                /* a write transaction is open */
  int failed;               /* stop: database error (st->error set) */
  geocode_import_stats *st;
  geocode_reject_fn *on_reject;
  void *ctx;
} importer;

static const char *field(importer *im, int c) {
  int i = im->col[c];
  if (i < 0 || i >= im->nf) return "";
  const char *z = im->row.z + im->off[i];
  if (im->na_blank && strcmp(z, "NA") == 0) return "";
  return z;
}

static void reject(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reject(importer *im, const char *fmt, ...) {
  im->st->rejected++;
  if (!im->on_reject) return;
  buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  im->on_reject(im->ctx, im->line, buf_str(&b));
  buf_free(&b);
}

static void fail(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(importer *im, const char *fmt, ...) {
  if (im->failed) return;
  im->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(im->st->error, sizeof im->st->error, fmt, ap);
  va_end(ap);
}

/* The whole field z parsed as a finite number. */
static int parse_double(const char *z, double *v) {
  if (!*z) return 0;
  char *end;
  errno = 0;
  *v = strtod(z, &end);
  return *end == 0 && errno == 0 && isfinite(*v);
}

/* An R-saved file drops leading zeros from codes read as numbers: "1000"
** was "01000". */
static const char *pad_code(char out[8], const char *z) {
  size_t n = strlen(z);
  if (n == 4 && all_digits(z, 4)) {
    out[0] = '0';
    memcpy(out + 1, z, 5);
    return out;
  }
  return z;
}

/* Text of a field, mended if it is doubly encoded (see unmojibake). */
static const char *mended(buf *scratch, const char *z) {
  buf_reset(scratch);
  return unmojibake(scratch, z) ? buf_str(scratch) : z;
}

/* Deletes what earlier imports stored for a commune. */
static int commune_clear(const char *insee, const char *commune) {
  static const char *const sql[3] = {
      "DELETE FROM address_streets_rtree WHERE id IN (SELECT id FROM address_streets"
      " WHERE code_insee = ?1 AND (?1 <> '' OR commune = ?2))",
      "DELETE FROM address_numbers WHERE street_id IN (SELECT id FROM address_streets"
      " WHERE code_insee = ?1 AND (?1 <> '' OR commune = ?2))",
      "DELETE FROM address_streets WHERE code_insee = ?1 AND (?1 <> '' OR commune = ?2)"};
  for (int i = 0; i < 3; i++)
    if (db_run(sql[i], "tt", insee, commune) != DB_DONE) return -1;
  return 0;
}

static void header_line(importer *im) {
  for (int c = 0; c < NCOL; c++) im->col[c] = -1;
  for (int i = 0; i < im->nf; i++) {
    const char *z = im->row.z + im->off[i];
    if (i == 0 && strncmp(z, "\xEF\xBB\xBF", 3) == 0) z += 3;
    for (int c = 0; c < NCOL; c++)
      if (strcmp(z, col_names[c]) == 0 && im->col[c] < 0) im->col[c] = i;
  }
  im->need = 0;
  for (int c = 0; c < NCOL; c++) {
    if (col_required[c] && im->col[c] < 0) {
      fail(im, "en-tête incomplet : la colonne « %s » est absente (format %s)", col_names[c],
           format_name(im->fmt));
      return;
    }
    if (im->col[c] + 1 > im->need) im->need = im->col[c] + 1;
  }
}

static void data_line(importer *im) {
  geocode_import_stats *st = im->st;
  st->lines++;
  if (im->overlong) return reject(im, "champ de plus de %d octets", FIELD_MAX);
  if (im->nf < im->need)
    return reject(im, "%d champ%s au lieu de %d au moins", im->nf, im->nf > 1 ? "s" : "", im->need);

  /* Coordinates first: the commonest defect. */
  const char *zlon = field(im, C_LON), *zlat = field(im, C_LAT);
  double lon, lat, x = 0, y = 0;
  if (!*zlon || !*zlat) return reject(im, "coordonnées absentes");
  if (!parse_double(zlon, &lon) || !parse_double(zlat, &lat))
    return reject(im, "coordonnées illisibles (lon « %.40s », lat « %.40s »)", zlon, zlat);
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90 || (lon == 0 && lat == 0))
    return reject(im, "coordonnées hors limites (lon %s, lat %s)", zlon, zlat);
  int has_xy = parse_double(field(im, C_X), &x) && parse_double(field(im, C_Y), &y);
  if (!has_xy) has_xy = lambert93(lon, lat, &x, &y) == 0;

  /* House number: "12" with the suffix apart (BAN), or "12BIS" (BANO). */
  const char *znum = field(im, C_NUMERO);
  char rep[16] = "";
  size_t d = 0;
  while (znum[d] >= '0' && znum[d] <= '9') d++;
  const char *suffix = znum[d] ? znum + d : field(im, C_REP);
  while (*suffix == ' ') suffix++;
  size_t nrep = strlen(suffix);
  int rep_ok = nrep < sizeof rep;
  for (size_t i = 0; rep_ok && i < nrep; i++) {
    char ch = suffix[i];
    rep_ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    rep[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  if (d == 0 || d > 5) return reject(im, "numéro illisible « %.40s »", znum);
  if (!rep_ok) return reject(im, "suffixe de numéro illisible « %.20s »", suffix);
  rep[nrep] = 0;
  int numero = atoi(znum);
  if (numero > NUMERO_MAX) numero = 0; /* 99999: a lieu-dit without number */

  const char *voie = field(im, C_VOIE), *commune = field(im, C_COMMUNE);
  if (!*voie) return reject(im, "nom de voie absent");
  if (!*commune) return reject(im, "commune absente");
  if (strlen(voie) > VOIE_MAX) return reject(im, "nom de voie de plus de %d octets", VOIE_MAX);
  if (strlen(commune) > COMMUNE_MAX)
    return reject(im, "nom de commune de plus de %d octets", COMMUNE_MAX);
  char cpbuf[8], inseebuf[8];
  const char *cp = pad_code(cpbuf, field(im, C_CP)), *insee = pad_code(inseebuf, field(im, C_INSEE));
  const char *ancienne = field(im, C_ANCIENNE), *ban_id = field(im, C_ID);
  if (!*insee && im->fmt == GEOCODE_FMT_BANO && strlen(ban_id) >= 5) { /* "190050001T-10" */
    memcpy(inseebuf, ban_id, 5);
    inseebuf[5] = 0;
    int ok = all_digits(inseebuf + 2, 3) && (all_digits(inseebuf, 2) || !strncmp(inseebuf, "2A", 2) ||
                                             !strncmp(inseebuf, "2B", 2));
    insee = ok ? inseebuf : "";
  }
  if (strlen(cp) > 6 || strlen(insee) > 6) return reject(im, "code postal ou INSEE illisible");
  if (strlen(ban_id) >= 48) ban_id = "";
  if (strlen(ancienne) > COMMUNE_MAX) ancienne = "";

  if (!im->in_tx) {
    if (db_begin_write() != 0) return fail(im, "la base est occupée ou en erreur");
    im->in_tx = 1;
  }

  /* First line of a commune: it replaces what was loaded before. */
  int created;
  buf_reset(&im->key);
  buf_printf(&im->key, "%s\x1f%s", insee, *insee ? "" : commune);
  map_get(&im->communes, im->keys, im->key.z, im->key.n, &created);
  if (created) {
    st->communes++;
    if (commune_clear(insee, commune) != 0)
      return fail(im, "erreur de la base en effaçant la commune %s %.60s", insee, commune);
  }

  /* The street, created on its first number. */
  buf_reset(&im->key);
  buf_printf(&im->key, "%s\x1f%s\x1f%s\x1f%s\x1f%s", insee, commune, cp, ancienne, voie);
  ment *e = map_get(&im->streets, im->keys, im->key.z, im->key.n, &created);
  if (created) {
    buf fixv = {0}, fixc = {0}, fixa = {0};
    const char *v = mended(&fixv, voie), *c = mended(&fixc, commune), *a = mended(&fixa, ancienne);
    buf_reset(&im->norm);
    geocode_normalize(&im->norm, v);
    buf_reset(&im->lieu);
    geocode_normalize(&im->lieu, c);
    if (*a && strcmp(a, c) != 0) geocode_normalize(&im->lieu, a);
    geocode_normalize(&im->lieu, cp);
    int rc;
    e->id = db_insert("INSERT INTO address_streets(voie, code_postal, code_insee, commune, ancienne,"
                      " norm, lieu) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      &rc, "ttttttt", v, cp, insee, c, a, buf_str(&im->norm), buf_str(&im->lieu));
    buf_free(&fixv);
    buf_free(&fixc);
    buf_free(&fixa);
    if (e->id < 0) return fail(im, "erreur de la base en créant la voie « %.60s »", voie);
  }

  int rc;
  int64_t id =
      has_xy ? db_insert("INSERT INTO address_numbers(street_id, ban_id, numero, rep, lon, lat, x, y)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         &rc, "ititdddd", e->id, ban_id, (int64_t)numero, rep, lon, lat, x, y)
             : db_insert("INSERT INTO address_numbers(street_id, ban_id, numero, rep, lon, lat, x, y)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         &rc, "ititddnn", e->id, ban_id, (int64_t)numero, rep, lon, lat);
  if (id < 0) return fail(im, "erreur de la base en enregistrant la ligne %lld", (long long)im->line);
  st->imported++;
}

/* libcsv: one field. */
static void on_field(void *s, size_t len, void *data) {
  importer *im = data;
  if (im->nf >= FIELDS_MAX) return;
  if (len > FIELD_MAX) {
    im->overlong = 1;
    len = 0;
  }
  im->off[im->nf++] = im->row.n;
  buf_append(&im->row, s ? s : "", len);
  buf_putc(&im->row, 0);
}

/* libcsv: end of a line. */
static void on_row(int c, void *data) {
  UNUSED(c);
  importer *im = data;
  im->line++;
  im->ended++;
  if (!im->failed) {
    if (im->header_pending) {
      im->header_pending = 0;
      header_line(im);
    } else if (im->nf == 1 && im->row.z[im->off[0]] == 0) {
      /* a blank line */
    } else {
      data_line(im);
      if (im->in_tx && ++im->batch >= GEOCODE_IMPORT_BATCH) {
        im->in_tx = 0;
        im->batch = 0;
        if (db_commit() != 0)
          fail(im, "erreur de la base à la validation du lot finissant ligne %lld", (long long)im->line);
      }
    }
  }
  buf_reset(&im->row);
  im->nf = 0;
  im->overlong = 0;
}

/* The format of a file from its first line (p[0..n), at least a line or the
** whole file). *quoted: the header has quotes. */
static geocode_format detect_format(const char *p, size_t n, int *quoted) {
  if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
    p += 3;
    n -= 3;
  }
  const char *nl = memchr(p, '\n', n);
  size_t len = nl ? (size_t)(nl - p) : n;
  char line[2048];
  if (len >= sizeof line) len = sizeof line - 1;
  memcpy(line, p, len);
  line[len] = 0;
  *quoted = strchr(line, '"') != NULL;
  if (strstr(line, "nom_voie")) return strchr(line, ';') ? GEOCODE_FMT_BAN : GEOCODE_FMT_BONDY;
  char *cr = strchr(line, '\r');
  if (cr) *cr = 0;
  /* BANO: 8 fields, the last two are latitude and longitude. */
  char *f[8];
  int nf = 0;
  f[nf++] = line;
  for (char *q = line; *q && nf <= 8; q++)
    if (*q == ',') {
      *q = 0;
      if (nf < 8) f[nf] = q + 1;
      nf++;
    }
  double v;
  if (nf == 8 && parse_double(f[6], &v) && parse_double(f[7], &v)) return GEOCODE_FMT_BANO;
  return GEOCODE_FMT_AUTO;
}

/* Indexes what the import stored, in one transaction: the streets created
** since the last index (rank NULL) get their count, centroid and extent
** (read back from address_numbers, so a batch rolled back by a failure
** counts for nothing), streets left without numbers go, every street is
** ranked (most numbers first), and the FTS index and the word list are
** rebuilt in that order. */
static int import_finish(importer *im) {
  static const char *const sql[] = {
      "DELETE FROM address_streets_rtree WHERE id IN (SELECT id FROM address_streets s"
      " WHERE NOT EXISTS (SELECT 1 FROM address_numbers a WHERE a.street_id = s.id))",
      "DELETE FROM address_streets WHERE NOT EXISTS"
      " (SELECT 1 FROM address_numbers a WHERE a.street_id = address_streets.id)",
      "UPDATE address_streets SET (n, lon, lat) = (SELECT count(*), avg(a.lon), avg(a.lat)"
      " FROM address_numbers a WHERE a.street_id = address_streets.id) WHERE rank IS NULL",
      "INSERT OR REPLACE INTO address_streets_rtree(id, min_lon, max_lon, min_lat, max_lat)"
      " SELECT s.id, min(a.lon), max(a.lon), min(a.lat), max(a.lat)"
      " FROM address_streets s JOIN address_numbers a ON a.street_id = s.id"
      " WHERE s.rank IS NULL GROUP BY s.id",
      "UPDATE address_streets SET rank = NULL WHERE rank IS NOT NULL",
      "UPDATE address_streets SET rank = r.k FROM"
      " (SELECT id, row_number() OVER (ORDER BY n DESC, id) AS k FROM address_streets) AS r"
      " WHERE r.id = address_streets.id",
      "INSERT INTO address_fts(address_fts) VALUES ('delete-all')",
      "INSERT INTO address_fts(rowid, voie, lieu)"
      " SELECT rank, norm, lieu FROM address_streets ORDER BY rank",
      "INSERT INTO address_fts(address_fts) VALUES ('optimize')",
      "DELETE FROM address_words",
      "INSERT INTO address_words(word, n) SELECT term, doc FROM address_fts_vocab"};
  if (db_begin_write() != 0) return -1;
  for (size_t i = 0; i < ARRAY_SIZE(sql); i++)
    if (db_run(sql[i], "") != DB_DONE) {
      db_rollback();
      return -1;
    }
  im->st->streets = db_get_int(0, "SELECT count(*) FROM address_streets", "");
  return db_commit();
}

int geocode_import_file(const char *path, geocode_format fmt, geocode_reject_fn *on_reject, void *ctx,
                        geocode_import_stats *st) {
  assert(!db_in_transaction() && "the import commits its own batches");
  memset(st, 0, sizeof *st);
  double t0 = now_mono_ms();
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    snprintf(st->error, sizeof st->error, "impossible d'ouvrir %s : %s", path, strerror(errno));
    return -1;
  }
  gzbuffer(gz, 128 * 1024);
  char *chunk = xmalloc(CHUNK);
  int n = gzread(gz, chunk, CHUNK);
  st->gzip = !gzdirect(gz);
  if (n < 0) {
    int zerr;
    snprintf(st->error, sizeof st->error, "lecture de %s impossible : %s", path, gzerror(gz, &zerr));
    free(chunk);
    gzclose(gz);
    return -1;
  }
  int quoted;
  geocode_format found = detect_format(chunk, (size_t)n, &quoted);
  if (fmt == GEOCODE_FMT_AUTO) fmt = found;
  if (fmt == GEOCODE_FMT_AUTO || (found != GEOCODE_FMT_AUTO && found != fmt)) {
    if (found == GEOCODE_FMT_AUTO)
      snprintf(st->error, sizeof st->error,
               "format non reconnu : la première ligne n'est ni un en-tête BAN (« nom_voie ») ni une "
               "ligne BANO (8 champs finissant par la latitude et la longitude)");
    else
      snprintf(st->error, sizeof st->error, "le fichier est au format %s, pas %s", format_name(found),
               format_name(fmt));
    free(chunk);
    gzclose(gz);
    return -1;
  }
  st->format = fmt;

  importer im;
  memset(&im, 0, sizeof im);
  im.fmt = fmt;
  im.st = st;
  im.on_reject = on_reject;
  im.ctx = ctx;
  im.keys = arena_new();
  im.header_pending = fmt != GEOCODE_FMT_BANO;
  im.na_blank = fmt == GEOCODE_FMT_BONDY;
  if (fmt == GEOCODE_FMT_BANO) {
    memcpy(im.col, bano_cols, sizeof im.col);
    im.need = 8;
  }
  struct csv_parser p;
  csv_init(&p, 0);
  csv_set_delim(&p, fmt == GEOCODE_FMT_BAN ? ';' : ',');
  if (fmt == GEOCODE_FMT_BAN && !quoted) csv_set_quote(&p, 0); /* a '"' in a name is a character */
  size_t stale = 0;
  while (n > 0 && !im.failed) {
    im.ended = 0;
    if (csv_parse(&p, chunk, (size_t)n, on_field, on_row, &im) != (size_t)n) {
      fail(&im, "CSV illisible vers la ligne %lld : %s", (long long)im.line + 1, csv_strerror(csv_error(&p)));
      break;
    }
    stale = im.ended ? 0 : stale + (size_t)n;
    if (stale > STALE_MAX) {
      fail(&im, "ligne %lld de plus d'un Mo : ce n'est pas un fichier d'adresses", (long long)im.line + 1);
      break;
    }
    n = gzread(gz, chunk, CHUNK);
    if (n < 0) {
      int zerr;
      fail(&im, "lecture interrompue vers la ligne %lld : %s", (long long)im.line + 1, gzerror(gz, &zerr));
    }
  }
  if (!im.failed) csv_fini(&p, on_field, on_row, &im);
  if (!im.failed && im.header_pending) fail(&im, "fichier vide");
  csv_free(&p);
  gzclose(gz);
  free(chunk);
  if (im.in_tx) {
    if (im.failed) db_rollback();
    else if (db_commit() != 0) fail(&im, "erreur de la base à la validation du dernier lot");
  }
  /* Index what was committed, even after a failure: the tables and the
  ** search index never disagree. */
  if ((st->imported > 0 || st->communes > 0) && import_finish(&im) != 0)
    fail(&im, "erreur de la base en reconstruisant l'index de recherche");
  free(im.streets.e);
  free(im.communes.e);
  arena_free(im.keys);
  buf_free(&im.row);
  buf_free(&im.key);
  buf_free(&im.norm);
  buf_free(&im.lieu);
  st->seconds = (now_mono_ms() - t0) / 1000.0;
  return im.failed ? -1 : 0;
}

/* ======================================================================
** Command line
** ==================================================================== */

#define CLI_REJECTS_SHOWN 20 /* refused lines printed one by one */

/* "1 234 567" */
static const char *thousands(char out[32], int64_t v) {
  char tmp[24];
  int n = snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v)), o = 0;
  if (v < 0) out[o++] = '-';
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) out[o++] = ' ';
    out[o++] = tmp[i];
  }
  out[o] = 0;
  return out;
}

static void cli_reject(void *ctx, int64_t line, const char *reason) {
  int *shown = ctx;
  if (*shown == 0) printf("Lignes refusées :\n");
  if (*shown < CLI_REJECTS_SHOWN) printf("  ligne %lld : %s\n", (long long)line, reason);
  ++*shown;
}

int geocode_cli_import(int argc, char **argv) {
  geocode_format fmt = GEOCODE_FMT_AUTO;
  const char *path = NULL;
  int usage = argc < 2 || strcmp(argv[0], "addresses") != 0;
  for (int i = 1; i < argc && !usage; i++) {
    if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
      const char *f = argv[++i];
      fmt = !strcmp(f, "ban") ? GEOCODE_FMT_BAN : !strcmp(f, "bondy") ? GEOCODE_FMT_BONDY
          : !strcmp(f, "bano") ? GEOCODE_FMT_BANO : GEOCODE_FMT_AUTO;
      usage = fmt == GEOCODE_FMT_AUTO;
    } else if (!path && argv[i][0] != '-') {
      path = argv[i];
    } else {
      usage = 1;
    }
  }
  if (usage || !path) {
    fprintf(stderr, "usage : guichet import addresses FICHIER[.gz] [--format ban|bondy|bano]\n");
    return 2;
  }
  int shown = 0;
  geocode_import_stats st;
  int rc = geocode_import_file(path, fmt, cli_reject, &shown, &st);
  if (shown > CLI_REJECTS_SHOWN) printf("  … et %d autres\n", shown - CLI_REJECTS_SHOWN);
  if (st.format != GEOCODE_FMT_AUTO) {
    char a[32], b[32], c[32], d[32], e[32];
    printf("Import des adresses de %s\n"
           "  format               %s%s\n"
           "  lignes lues          %s\n"
           "  adresses importées   %s\n"
           "  lignes refusées      %s\n"
           "  communes remplacées  %s\n"
           "  voies dans l'index   %s\n"
           "  durée                %.1f s (%.0f lignes/s)\n",
           path, format_name(st.format), st.gzip ? ", compressé (gzip)" : "", thousands(a, st.lines),
           thousands(b, st.imported), thousands(c, st.rejected), thousands(d, st.communes),
           thousands(e, st.streets), st.seconds, st.seconds > 0 ? (double)st.lines / st.seconds : 0.0);
  }
  if (rc != 0) {
    fprintf(stderr, "guichet import addresses : %s\n", st.error);
    if (st.imported > 0)
      fprintf(stderr, "Les lignes lues avant l'erreur sont enregistrées et indexées ; relancer l'import "
                      "du même fichier remplace ses communes sans doublon.\n");
    return 1;
  }
  return 0;
}
