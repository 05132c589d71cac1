/*
** listing.c — pager and search patterns of list pages (see listing.h).
*/
#include "core/listing.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

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
