/*
** util.h — the three allocation primitives everything else is built on.
**
** 1. x-allocators: malloc/realloc/strdup that abort on failure (as Fossil and
**    Redis do), so no caller checks for NULL.
** 2. buf: the one growable text buffer. Appends never fail; a buffer that
**    would grow past its cap sets a sticky `err` flag and ignores further
**    appends, so a caller builds the whole text and checks once at the end
**    (SQLite's sqlite3_str). The owner frees `z` with buf_free().
** 3. arena: a bump allocator owned by one request. Everything allocated from
**    it dies in arena_free(), in one place; cleanups registered with
**    arena_defer() run there too (jansson values, temp files).
*/
#ifndef GUICHET_UTIL_H
#define GUICHET_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) ((void)(x))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *z);
char *xstrndup(const char *z, size_t n);

/* Growable text. Zero-initialise (`buf b = {0};`) or use buf_init to cap. */
typedef struct buf {
  char *z;      /* text, always NUL-terminated once anything was appended */
  size_t n;     /* bytes used, not counting the NUL */
  size_t cap;   /* bytes allocated */
  size_t max;   /* 0: no cap; otherwise appends beyond it set err */
  int err;      /* sticky: set when max was hit */
} buf;

void buf_init(buf *b, size_t max);
void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *z);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap);
void buf_reset(buf *b);
void buf_free(buf *b);
const char *buf_str(buf *b); /* never NULL: "" when empty */

/* Escapers append the escaped form of z[0..n) (n<0: strlen). */
void buf_html(buf *b, const char *z, long n);   /* text and quoted attributes */
void buf_url(buf *b, const char *z, long n);    /* one URL component */
void buf_json_str(buf *b, const char *z, long n); /* a JSON string, with quotes */

/* Request arena. */
typedef struct arena arena;
arena *arena_new(void);
void *arena_alloc(arena *a, size_t n);           /* 16-byte aligned, zeroed */
char *arena_strdup(arena *a, const char *z);
char *arena_strndup(arena *a, const char *z, size_t n); /* n bytes of z, which must have them (binary ok) */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_defer(arena *a, void (*fn)(void *), void *p); /* run at arena_free */
size_t arena_used(const arena *a);
void arena_free(arena *a);

/* Small helpers. */
int str_eq(const char *a, const char *b);            /* NULL-safe */
int str_startswith(const char *z, const char *prefix);
int64_t now_unix(void);
/* Today in the server's time zone (the territory's), "2026-11-23". */
void fmt_today(char out[11]);
/* Unix time t as "23/11/2026 16:25" in local time, in a; none when t <= 0. */
const char *fmt_datetime(arena *a, int64_t t, const char *none);
double now_mono_ms(void);
void hex_encode(char *out, const unsigned char *p, size_t n); /* out: 2n+1 */
int ct_streq(const char *a, const char *b);            /* constant time */

#endif
