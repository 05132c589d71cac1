/*
** listing.c — the helpers of filtered, paginated lists (listing.h), first
** written for the admin pages and shared since the heat operators' table.
*/
#include "core/listing.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/i18n.h"

/* n decimal digits at z as a number, or -1. */
static int digits(const char *z, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') return -1;
    v = v * 10 + (z[i] - '0');
  }
  return v;
}

int listing_day(const char *z, int next, int64_t *out) {
  int y, m, d;
  if (strlen(z) != 10) return -1;
  if (z[4] == '-' && z[7] == '-') {
    y = digits(z, 4), m = digits(z + 5, 2), d = digits(z + 8, 2);
  } else if (z[2] == '/' && z[5] == '/') {
    d = digits(z, 2), m = digits(z + 3, 2), y = digits(z + 6, 4);
  } else {
    return -1;
  }
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
  struct tm tm = {0};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  tm.tm_isdst = -1;
  if (mktime(&tm) == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1) return -1; /* 31/02 rolls over */
  struct tm t2 = {0};
  t2.tm_year = y - 1900;
  t2.tm_mon = m - 1;
  t2.tm_mday = d + next; /* mktime carries into the next month or year */
  t2.tm_isdst = -1;
  time_t t = mktime(&t2);
  if (t == (time_t)-1) return -1;
  *out = (int64_t)t;
  return 0;
}

int64_t listing_page_arg(req *r) {
  const char *v = req_query(r, "page");
  if (!v || !*v || strlen(v) > 9) return 1;
  char *end = NULL;
  long long n = strtoll(v, &end, 10);
  return *end || n < 1 ? 1 : n;
}

int64_t listing_pager(json_t *d, int64_t total, int64_t page, int64_t per, const char *const *keep) {
  assert(per > 0);
  int64_t pages = total > 0 ? (total + per - 1) / per : 1;
  if (page > pages) page = pages;
  if (page < 1) page = 1;
  json_t *p = json_object();
  json_object_set_new(p, "page", json_integer(page));
  json_object_set_new(p, "pages", json_integer(pages));
  json_object_set_new(p, "total", json_integer(total));
  if (page > 1) json_object_set_new(p, "prev", json_integer(page - 1));
  if (page < pages) json_object_set_new(p, "next", json_integer(page + 1));
  json_t *k = json_array();
  for (int i = 0; keep && keep[i]; i += 2) {
    if (!keep[i + 1] || !*keep[i + 1]) continue;
    json_t *kv = json_object();
    json_object_set_new(kv, "name", json_string(keep[i]));
    json_object_set_new(kv, "value", json_string(keep[i + 1]));
    json_array_append_new(k, kv);
  }
  json_object_set_new(p, "keep", k);
  json_object_set_new(d, "pager", p);
  return page;
}

void listing_like_contains(buf *b, const char *z) {
  buf_putc(b, '%');
  for (; *z; z++) {
    if (*z == '%' || *z == '_' || *z == '\\') buf_putc(b, '\\');
    buf_putc(b, *z);
  }
  buf_putc(b, '%');
}

void listing_query_and(listing_query *q, const char *frag) {
  assert(q->nfrag < (int)ARRAY_SIZE(q->frag));
  q->frag[q->nfrag++] = frag;
}

void listing_query_int(listing_query *q, int64_t v) {
  assert(q->nbind < (int)ARRAY_SIZE(q->bind));
  q->bind[q->nbind].text = 0;
  q->bind[q->nbind++].i = v;
}

void listing_query_text(listing_query *q, const char *z) {
  assert(q->nbind < (int)ARRAY_SIZE(q->bind));
  q->bind[q->nbind].text = 1;
  q->bind[q->nbind++].z = z;
}

db_stmt *listing_query_prep(const listing_query *q, const char *head, const char *tail) {
  buf b = {0};
  buf_puts(&b, head);
  for (int i = 0; i < q->nfrag; i++) {
    buf_puts(&b, i ? " AND " : " WHERE ");
    buf_puts(&b, q->frag[i]);
  }
  buf_putc(&b, ' ');
  buf_puts(&b, tail);
  db_stmt *s = db_prep(buf_str(&b)); /* the cache keeps its own copy of the text */
  buf_free(&b);
  for (int i = 0; i < q->nbind; i++) {
    if (q->bind[i].text) db_bind_text(s, i + 1, q->bind[i].z);
    else db_bind_int(s, i + 1, q->bind[i].i);
  }
  return s;
}

db_stmt *listing_page_prep(const listing_query *q, const char *head, const char *order, int64_t page, int64_t per) {
  assert(page >= 1 && per > 0);
  buf b = {0};
  buf_puts(&b, order);
  buf_puts(&b, " LIMIT ? OFFSET ?");
  db_stmt *s = listing_query_prep(q, head, buf_str(&b));
  buf_free(&b);
  db_bind_int(s, q->nbind + 1, per);
  db_bind_int(s, q->nbind + 2, (page - 1) * per);
  return s;
}

int listing_count_or_reply(req *r, const listing_query *q, const char *head, json_t *d, int64_t *total) {
  db_stmt *s = listing_query_prep(q, head, "");
  int rc = db_step(s);
  *total = rc == DB_ROW ? db_int(s, 0) : 0;
  db_done(s);
  if (rc == DB_ROW) return 0;
  json_decref(d);
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
  return -1;
}

void listing_days(form *f, listing_query *q, const char *zFrom, const char *zTo, const char *ge_frag,
                  const char *lt_frag) {
  static const char *bad_day = N_("Date invalide : saisissez-la sous la forme aaaa-mm-jj, par exemple 2025-03-31.");
  int64_t from = 0, to = 0;
  if (*zFrom && listing_day(zFrom, 0, &from) != 0) form_error(f, "du", _(bad_day));
  if (*zTo && listing_day(zTo, 1, &to) != 0) form_error(f, "au", _(bad_day));
  if (*zFrom && *zTo && !f->nerr && to <= from) form_error(f, "au", _("La date de fin précède la date de début."));
  if (*zFrom) {
    listing_query_and(q, ge_frag);
    listing_query_int(q, from);
  }
  if (*zTo) {
    listing_query_and(q, lt_frag);
    listing_query_int(q, to);
  }
}
