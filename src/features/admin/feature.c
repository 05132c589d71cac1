/*
** feature.c — the admin feature: user accounts and roles, the audit log and
** the mail outbox, for territory administrators (core grants them
** "admin.users", "admin.audit" and "admin.outbox"; superadmins have all).
**
** This file holds the route table and what every admin page shares: the
** menu, the end of a list page (the pager and the WHERE builder are
** core/listing.h). The pages are in users_pages.c and journal_pages.c.
*/
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
