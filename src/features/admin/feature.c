/*
** feature.c — the admin feature: user accounts and roles, the audit log and
** the mail outbox, for territory administrators (core grants them
** "admin.users", "admin.audit" and "admin.outbox"; superadmins have all).
**
** This file holds the route table and what every admin page shares: French
** dates, the menu, and a small builder for WHERE clauses made of
** fixed fragments. The pages are in users_pages.c and journal_pages.c.
*/
#include <assert.h>
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
