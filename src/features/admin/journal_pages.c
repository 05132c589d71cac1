/*
** journal_pages.c — what the platform wrote down: the audit log (with its
** filters and the chain check of audit_verify) and the mail outbox.
**
** Audit filters, all optional and combined with AND:
**   utilisateur  an e-mail (of an account that still exists), or an id
**                ("12" or "#12", as the list shows deleted accounts; 0 is
**                the system or an anonymous visitor);
**   action       exact name or prefix: "user." and "user" both match
**                "user.login". Matched as a range (action >= p AND action <
**                p || x'FF'), which uses the audit_action index where a
**                LIKE would not;
**   objet        exact ("user:12");
**   du, au       local days, both inclusive: [start of du, start of the day
**                after au). Typed as 2025-03-31 (what <input type=date>
**                sends) or 31/03/2025.
** A filter that cannot be understood comes back with its French error and
** no rows, rather than rows that look filtered but are not.
**
** Reading a message of the outbox is audited ("admin.outbox_read"): bodies
** are personal data and may hold single-use links.
**
** Costs: count + one page of rows (OFFSET, so deep pages cost more); the
** chain check reads the whole log, on demand only.
*/
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/auth.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "features/admin/admin.h"

/* ---------------------------------------------------------------- audit */

/* Adds the user filter to w; records a form error when it names nobody. */
static void audit_user_filter(req *r, form *f, listing_query *w, const char *z) {
  const char *p = z[0] == '#' ? z + 1 : z;
  int64_t uid = -1;
  if (*p && strlen(p) <= 18 && strspn(p, "0123456789") == strlen(p)) {
    uid = strtoll(p, NULL, 10);
  } else {
    char *email = auth_email_norm(arena_strdup(r->a, z));
    uid = db_get_int(-1, "SELECT id FROM users WHERE email=?", "t", email);
    if (uid < 0) {
      form_error(f, "utilisateur", _("Aucun compte n’utilise cette adresse. Pour un compte supprimé, saisissez "
                                     "son numéro (par exemple 12)."));
      return;
    }
  }
  listing_query_and(w, "a.user_id = ?");
  listing_query_int(w, uid);
}

void audit_page(req *r) {
  static const char *const names[] = {"utilisateur", "action", "objet", "du", "au"};
  json_t *d = json_object();
  admin_nav(d, "audit");
  form f;
  form_init(&f, r, NULL);
  const char *v[ARRAY_SIZE(names)];
  for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
    v[i] = req_query_trim(r, names[i]);
    form_set(&f, names[i], v[i]);
    if (strlen(v[i]) > LISTING_FILTER_MAX)
      form_error(&f, names[i], arena_printf(r->a, _("%d caractères au plus."), LISTING_FILTER_MAX));
  }
  const char *zUser = v[0], *zAction = v[1], *zObject = v[2], *zFrom = v[3], *zTo = v[4];
  listing_query w = {0};
  if (!f.nerr) {
    if (*zUser) audit_user_filter(r, &f, &w, zUser);
    if (*zAction) {
      listing_query_and(&w, "a.action >= ? AND a.action < ?");
      listing_query_text(&w, zAction);
      listing_query_text(&w, arena_printf(r->a, "%s\xff", zAction)); /* above every text that starts with it */
    }
    if (*zObject) {
      listing_query_and(&w, "a.object = ?");
      listing_query_text(&w, zObject);
    }
    listing_days(&f, &w, zFrom, zTo, "a.at >= ?", "a.at < ?");
  }
  if (f.nerr) {
    form_into(&f, d);
    res_page(r, 422, "admin/audit", d);
    return;
  }
  int64_t total;
  if (listing_count_or_reply(r, &w, "SELECT count(*) FROM audit a", d, &total)) return;
  const char *keep[] = {"utilisateur", zUser, "action", zAction, "objet", zObject, "du", zFrom, "au", zTo, NULL};
  int64_t page = listing_pager(d, total, listing_page_arg(r), ADMIN_AUDIT_PER_PAGE, keep);
  db_stmt *s = listing_page_prep(&w,
                                "SELECT a.id, a.at, a.user_id, u.email, a.action, coalesce(a.object, ''),"
                                " coalesce(a.ip, ''), coalesce(a.detail, '')"
                                " FROM audit a LEFT JOIN users u ON u.id = a.user_id",
                                "ORDER BY a.id DESC", page, ADMIN_AUDIT_PER_PAGE);
  json_t *list = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *e = json_object();
    int64_t uid = db_int(s, 2);
    json_object_set_new(e, "id", json_integer(db_int(s, 0)));
    json_object_set_new(e, "at", json_string(fmt_datetime(r->a, db_int(s, 1), "")));
    if (db_text(s, 3)) {
      json_object_set_new(e, "uid", json_integer(uid));
      json_object_set_new(e, "who", json_string(db_text(s, 3)));
    } else {
      json_object_set_new(e, "who", json_string(uid ? arena_printf(r->a, "#%lld", (long long)uid) : _("système")));
    }
    json_object_set_new(e, "action", json_string(db_text(s, 4)));
    json_object_set_new(e, "object", json_string(db_text(s, 5)));
    json_object_set_new(e, "ip", json_string(db_text(s, 6)));
    json_object_set_new(e, "detail", json_string(db_text(s, 7)));
    json_array_append_new(list, e);
  }
  db_done(s);
  admin_list_render(r, d, &f, "entries", list, rc, "admin/audit");
}

void audit_verify_page(req *r) {
  buf b = {0};
  int problems = audit_verify(&b);
  json_t *d = json_object();
  admin_nav(d, "audit");
  json_object_set_new(d, "entries", json_integer(db_get_int(0, "SELECT count(*) FROM audit", NULL)));
  json_object_set_new(d, "problems", json_integer(problems));
  json_t *lines = json_array();
  for (const char *p = buf_str(&b); *p;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n) json_array_append_new(lines, json_stringn(p, n));
    p += n + (e != NULL);
  }
  buf_free(&b);
  json_object_set_new(d, "lines", lines);
  res_page(r, 200, "admin/audit_verify", d);
}

/* --------------------------------------------------------------- outbox */

static const char *outbox_status(const char *st) {
  if (!strcmp(st, "held")) return _("Retenu (pas de serveur d’envoi configuré)");
  if (!strcmp(st, "sent")) return _("Envoyé");
  if (!strcmp(st, "failed")) return _("Échec du dernier essai");
  return _("En file d’attente");
}

static const char *outbox_class(const char *st) {
  if (!strcmp(st, "sent")) return "ok";
  if (!strcmp(st, "queued")) return "todo";
  if (!strcmp(st, "failed")) return "off";
  return "";
}

void outbox_page(req *r) {
  json_t *d = json_object();
  admin_nav(d, "outbox");
  form f;
  form_init(&f, r, NULL);
  const char *q = req_query_trim(r, "q");
  form_set(&f, "q", q);
  if (strlen(q) > LISTING_FILTER_MAX) {
    form_error(&f, "q", arena_printf(r->a, _("%d caractères au plus."), LISTING_FILTER_MAX));
    form_into(&f, d);
    res_page(r, 422, "admin/outbox", d);
    return;
  }
  listing_query w = {0};
  if (*q) {
    buf b = {0};
    listing_like_contains(&b, q);
    listing_query_and(&w, "o.to_addr LIKE ? ESCAPE '\\'");
    listing_query_text(&w, arena_strdup(r->a, buf_str(&b)));
    buf_free(&b);
  }
  int64_t total;
  if (listing_count_or_reply(r, &w, "SELECT count(*) FROM outbox o", d, &total)) return;
  const char *keep[] = {"q", q, NULL};
  int64_t page = listing_pager(d, total, listing_page_arg(r), ADMIN_OUTBOX_PER_PAGE, keep);
  db_stmt *s = listing_page_prep(&w,
                                "SELECT o.id, o.to_addr, o.subject, o.status, o.created_at, coalesce(o.sent_at, 0)"
                                " FROM outbox o",
                                "ORDER BY o.id DESC", page, ADMIN_OUTBOX_PER_PAGE);
  json_t *list = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    json_t *m = json_object();
    json_object_set_new(m, "id", json_integer(db_int(s, 0)));
    json_object_set_new(m, "to", json_string(db_text(s, 1)));
    json_object_set_new(m, "subject", json_string(db_text(s, 2)));
    json_object_set_new(m, "status_label", json_string(outbox_status(db_text(s, 3))));
    json_object_set_new(m, "status_class", json_string(outbox_class(db_text(s, 3))));
    json_object_set_new(m, "created", json_string(fmt_datetime(r->a, db_int(s, 4), "")));
    json_object_set_new(m, "sent", json_string(fmt_datetime(r->a, db_int(s, 5), "—")));
    json_array_append_new(list, m);
  }
  db_done(s);
  admin_list_render(r, d, &f, "messages", list, rc, "admin/outbox");
}

/* The http(s) links of a plain-text body, in order, so that the page can
** offer them as links (the <pre> shows them as text). */
static json_t *body_links(const char *body) {
  json_t *l = json_array();
  for (const char *p = body; (p = strstr(p, "http")) != NULL;) {
    size_t skip = str_startswith(p, "https://") ? 8 : str_startswith(p, "http://") ? 7 : 0;
    if (!skip || (p > body && p[-1] != ' ' && p[-1] != '\n' && p[-1] != '\t' && p[-1] != '(' && p[-1] != '<')) {
      p += 4;
      continue;
    }
    size_t n = skip;
    while (p[n] && (unsigned char)p[n] > ' ' && p[n] != '>' && p[n] != ')' && p[n] != '"') n++;
    while (n > skip && (p[n - 1] == '.' || p[n - 1] == ',' || p[n - 1] == ';')) n--;
    if (n > skip && json_array_size(l) < 20) json_array_append_new(l, json_stringn(p, n));
    p += n;
  }
  return l;
}

/* body with every http(s) link replaced by a notice, allocated in a. */
static char *mask_links(arena *a, const char *body) {
  buf b = {0};
  const char *p = body;
  for (const char *q; (q = strstr(p, "http")) != NULL;) {
    if (!str_startswith(q, "http://") && !str_startswith(q, "https://")) {
      buf_append(&b, p, (size_t)(q - p) + 4);
      p = q + 4;
      continue;
    }
    buf_append(&b, p, (size_t)(q - p));
    buf_puts(&b, _("[lien masqué : destinataire aux droits plus étendus que les vôtres]"));
    while (*q && (unsigned char)*q > ' ') q++;
    p = q;
  }
  buf_puts(&b, p);
  char *z = arena_strdup(a, buf_str(&b));
  buf_free(&b);
  return z;
}

void outbox_message_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  db_stmt *s = db_query("SELECT to_addr, subject, body, status, created_at, coalesce(sent_at, 0), coalesce(error, '')"
                        " FROM outbox WHERE id=?",
                        "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    res_error(r, 404, _("Ce message n’existe pas."));
    return;
  }
  json_t *d = json_object();
  admin_nav(d, "outbox");
  json_t *m = json_object();
  json_object_set_new(m, "id", json_integer(id));
  json_object_set_new(m, "to", json_string(db_text(s, 0)));
  json_object_set_new(m, "subject", json_string(db_text(s, 1)));
  /* A message to someone with rights the reader lacks may carry a live
  ** reset or confirmation link: reading it would let a territory admin take
  ** over a superadmin account. Its links are masked. */
  char *roles = db_get_text(r->a, "SELECT group_concat(role, ',') FROM user_roles r JOIN users u ON u.id=r.user_id"
                                  " WHERE u.email=?", "t", db_text(s, 0));
  uint64_t their = auth_caps_of_roles(roles ? roles : "");
  if ((their & ~r->me->caps) != 0) {
    json_object_set_new(m, "body", json_string(mask_links(r->a, db_text(s, 2))));
    json_object_set_new(m, "masked", json_true());
  } else {
    json_object_set_new(m, "body", json_string(db_text(s, 2)));
    json_object_set_new(m, "links", body_links(db_text(s, 2)));
  }
  json_object_set_new(m, "status_label", json_string(outbox_status(db_text(s, 3))));
  json_object_set_new(m, "status_class", json_string(outbox_class(db_text(s, 3))));
  json_object_set_new(m, "created", json_string(fmt_datetime(r->a, db_int(s, 4), "")));
  json_object_set_new(m, "sent", json_string(fmt_datetime(r->a, db_int(s, 5), "—")));
  json_object_set_new(m, "error", json_string(db_text(s, 6)));
  db_done(s);
  json_object_set_new(d, "m", m);
  if (audit_log(r->me->id, "admin.outbox_read", arena_printf(r->a, "outbox:%lld", (long long)id), r->ip, "") < 0) {
    json_decref(d);
    admin_db_failed(r); /* no trace, no reading */
    return;
  }
  res_page(r, 200, "admin/outbox_message", d);
}
