/*
** util.c — x-allocators, the growable buffer, and the request arena.
** See util.h for the contracts. The arena allocates 16 KiB blocks (or one
** block the size of an oversized request) and never frees piecemeal.
*/
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(size_t n) {
  fprintf(stderr, "guichet: out of memory (%zu bytes)\n", n);
  abort();
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom(n * size);
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *xstrdup(const char *z) { return xstrndup(z, strlen(z)); }

char *xstrndup(const char *z, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, z, n);
  p[n] = 0;
  return p;
}

/* ---------------------------------------------------------------- buf */

void buf_init(buf *b, size_t max) {
  memset(b, 0, sizeof(*b));
  b->max = max;
}

static int buf_grow(buf *b, size_t extra) {
  if (b->err) return 0;
  size_t need = b->n + extra + 1;
  if (b->max && need > b->max + 1) {
    b->err = 1;
    return 0;
  }
  if (need > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < need) cap *= 2;
    b->z = xrealloc(b->z, cap);
    b->cap = cap;
  }
  return 1;
}

void buf_append(buf *b, const void *p, size_t n) {
  if (!buf_grow(b, n)) return;
  if (n) memcpy(b->z + b->n, p, n);
  b->n += n;
  b->z[b->n] = 0;
}

void buf_puts(buf *b, const char *z) { buf_append(b, z, strlen(z)); }

void buf_putc(buf *b, char c) {
  if (!buf_grow(b, 1)) return;
  b->z[b->n++] = c;
  b->z[b->n] = 0;
}

void buf_vprintf(buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || !buf_grow(b, (size_t)n)) return;
  vsnprintf(b->z + b->n, (size_t)n + 1, fmt, ap);
  b->n += (size_t)n;
}

void buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void buf_reset(buf *b) {
  b->n = 0;
  b->err = 0;
  if (b->z) b->z[0] = 0;
}

void buf_free(buf *b) {
  free(b->z);
  size_t max = b->max;
  memset(b, 0, sizeof(*b));
  b->max = max;
}

const char *buf_str(buf *b) { return b->z ? b->z : ""; }

void buf_html(buf *b, const char *z, long n) {
  if (!z) return;
  size_t len = n < 0 ? strlen(z) : (size_t)n;
  size_t i, j = 0;
  for (i = 0; i < len; i++) {
    const char *rep = NULL;
    switch (z[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      case '`': rep = "&#96;"; break;
      case '=': rep = "&#61;"; break;
      default: continue;
    }
    buf_append(b, z + j, i - j);
    buf_puts(b, rep);
    j = i + 1;
  }
  buf_append(b, z + j, len - j);
}

void buf_url(buf *b, const char *z, long n) {
  static const char hex[] = "0123456789ABCDEF";
  if (!z) return;
  size_t len = n < 0 ? strlen(z) : (size_t)n;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)z[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        c == '-' || c == '_' || c == '.' || c == '~') {
      buf_putc(b, (char)c);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      buf_append(b, e, 3);
    }
  }
}

void buf_json_str(buf *b, const char *z, long n) {
  static const char hex[] = "0123456789abcdef";
  buf_putc(b, '"');
  if (z) {
    size_t len = n < 0 ? strlen(z) : (size_t)n;
    for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char)z[i];
      switch (c) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '<': buf_puts(b, "\\u003c"); break; /* never close a <script> */
        case '>': buf_puts(b, "\\u003e"); break;
        case '&': buf_puts(b, "\\u0026"); break;
        case '\'': buf_puts(b, "\\u0027"); break;
        default:
          if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_append(b, e, 6);
          } else {
            buf_putc(b, (char)c);
          }
      }
    }
  }
  buf_putc(b, '"');
}

/* -------------------------------------------------------------- arena */

#define ARENA_BLOCK 16384

typedef struct ablock {
  struct ablock *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
} ablock;

typedef struct adefer {
  struct adefer *next;
  void (*fn)(void *);
  void *p;
} adefer;

struct arena {
  ablock *head;   /* current block first */
  adefer *defers; /* run in reverse order of registration */
  size_t total;   /* bytes handed out, for metrics */
};

arena *arena_new(void) { return xcalloc(1, sizeof(arena)); }

void *arena_alloc(arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  ablock *blk = a->head;
  if (!blk || blk->size - blk->used < n) {
    size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    blk = xmalloc(sizeof(ablock) + size);
    blk->used = 0;
    blk->size = size;
    if (n > ARENA_BLOCK && a->head) {
      /* Keep the current block current: an oversized block is full at once. */
      blk->next = a->head->next;
      a->head->next = blk;
    } else {
      blk->next = a->head;
      a->head = blk;
    }
  }
  void *p = blk->data + blk->used;
  blk->used += n;
  a->total += n;
  memset(p, 0, n);
  return p;
}

char *arena_strndup(arena *a, const char *z, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, z, n);
  p[n] = 0;
  return p;
}

char *arena_strdup(arena *a, const char *z) {
  return z ? arena_strndup(a, z, strlen(z)) : NULL;
}

char *arena_printf(arena *a, const char *fmt, ...) {
  /* Format into a stack buffer first: most results are short. (The NULL
  ** test quiets GCC 12 under -fsanitize, which thinks fmt may be NULL.) */
  if (!fmt) return arena_strdup(a, "");
  char tmp[256];
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *p = arena_alloc(a, (size_t)n + 1);
  if ((size_t)n < sizeof tmp) memcpy(p, tmp, (size_t)n + 1);
  else vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

void arena_defer(arena *a, void (*fn)(void *), void *p) {
  adefer *d = arena_alloc(a, sizeof(*d));
  d->fn = fn;
  d->p = p;
  d->next = a->defers;
  a->defers = d;
}

size_t arena_used(const arena *a) { return a->total; }

void arena_free(arena *a) {
  if (!a) return;
  /* Defers live inside blocks: run them all before freeing any block. */
  for (adefer *d = a->defers; d; d = d->next) d->fn(d->p);
  ablock *blk = a->head;
  while (blk) {
    ablock *next = blk->next;
    free(blk);
    blk = next;
  }
  free(a);
}

/* ------------------------------------------------------------ helpers */

int str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

int str_startswith(const char *z, const char *prefix) {
  return z && strncmp(z, prefix, strlen(prefix)) == 0;
}

int64_t now_unix(void) { return (int64_t)time(NULL); }

void fmt_today(char out[11]) {
  time_t t = time(NULL);
  struct tm tm;
  if (!localtime_r(&t, &tm) || !strftime(out, 11, "%Y-%m-%d", &tm)) out[0] = 0;
}

const char *fmt_datetime(arena *a, int64_t t, const char *none) {
  if (t <= 0) return none;
  time_t tt = (time_t)t;
  struct tm tm;
  char out[32];
  if (!localtime_r(&tt, &tm) || !strftime(out, sizeof out, "%d/%m/%Y %H:%M", &tm)) return none;
  return arena_strdup(a, out);
}

double now_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void hex_encode(char *out, const unsigned char *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[p[i] >> 4];
    out[2 * i + 1] = hex[p[i] & 15];
  }
  out[2 * n] = 0;
}

int ct_streq(const char *a, const char *b) {
  if (!a || !b) return 0;
  size_t na = strlen(a), nb = strlen(b);
  unsigned char d = (unsigned char)(na != nb);
  size_t n = na < nb ? na : nb;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}
