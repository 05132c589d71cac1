/*
** feature.c — the admin feature: user accounts and roles, the audit log and
** the mail outbox, for territory administrators (core grants them
** "admin.users", "admin.audit" and "admin.outbox"; superadmins have all).
**
** This file holds the route table and what every admin page shares: French
** dates, the pager, the menu, and a small builder for WHERE clauses made of
** fixed fragments. The pages are in users_pages.c and journal_pages.c.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/feature.h"
#include "core/i18n.h"
#include "features/admin/admin.h"

#define ADMIN_FORM_BODY (16 * 1024) /* the admin forms are a few checkboxes and a token */

static const struct route routes[] = {
    {"GET", "/admin", "admin.users", 0, 0, admin_home_page},
    {"GET", "/admin/utilisateurs", "admin.users", 0, 0, users_page},
    {"GET", "/admin/utilisateurs/:id", "admin.users", 0, 0, user_page},
    {"POST", "/admin/utilisateurs/:id/roles", "admin.users", 0, ADMIN_FORM_BODY, user_roles_post},
    {"POST", "/admin/utilisateurs/:id/statut", "admin.users", 0, ADMIN_FORM_BODY, user_status_post},
    {"GET", "/admin/audit", "admin.audit", 0, 0, audit_page},
    {"GET", "/admin/audit/verifier", "admin.audit", 0, 0, audit_verify_page},
    {"GET", "/admin/outbox", "admin.outbox", 0, 0, outbox_page},
    {"GET", "/admin/outbox/:id", "admin.outbox", 0, 0, outbox_message_page},
    {0, 0, 0, 0, 0, 0},
};

const struct feature feature_admin = {
    .name = "admin",
    .routes = routes,
    .grants = NULL, /* core grants the admin.* capabilities */
    .init = NULL,
    .seed = NULL,
};

/* ------------------------------------------------------------- helpers */

const char *admin_arg(req *r, const char *name) {
  const char *v = req_query(r, name);
  if (!v) return "";
  while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n')) n--;
  return arena_strndup(r->a, v, n);
}

int64_t admin_page_arg(req *r) {
  const char *v = req_query(r, "page");
  if (!v || !*v || strlen(v) > 9) return 1;
  char *end = NULL;
  long long n = strtoll(v, &end, 10);
  return *end || n < 1 ? 1 : n;
}

int64_t admin_pager(json_t *d, int64_t total, int64_t page, int64_t per, const char *const *keep) {
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

void admin_nav(json_t *d, const char *current) {
  json_t *n = json_object();
  json_object_set_new(n, current, json_true());
  json_object_set_new(d, "nav", n);
}

void admin_db_failed(req *r) {
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
}

void admin_list_render(req *r, json_t *d, form *f, const char *key, json_t *list, int rc,
                       const char *tmpl) {
  json_object_set_new(d, key, list);
  if (rc != DB_DONE) {
    json_decref(d);
    admin_db_failed(r);
    return;
  }
  form_into(f, d);
  res_page(r, 200, tmpl, d);
}

void admin_like_contains(buf *b, const char *z) {
  buf_putc(b, '%');
  for (; *z; z++) {
    if (*z == '%' || *z == '_' || *z == '\\') buf_putc(b, '\\');
    buf_putc(b, *z);
  }
  buf_putc(b, '%');
}

void admin_query_and(admin_query *q, const char *frag) {
  assert(q->nfrag < (int)ARRAY_SIZE(q->frag));
  q->frag[q->nfrag++] = frag;
}

void admin_query_int(admin_query *q, int64_t v) {
  assert(q->nbind < (int)ARRAY_SIZE(q->bind));
  q->bind[q->nbind].text = 0;
  q->bind[q->nbind++].i = v;
}

void admin_query_text(admin_query *q, const char *z) {
  assert(q->nbind < (int)ARRAY_SIZE(q->bind));
  q->bind[q->nbind].text = 1;
  q->bind[q->nbind++].z = z;
}

db_stmt *admin_query_prep(const admin_query *q, const char *head, const char *tail) {
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
