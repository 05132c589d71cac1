/*
** instruction_dossier.c — one dossier as an instructor sees it
** (/instruction/dossiers/:id): everything the applicant filed, the
** programme's rule and envelope, the organisation and its Mon compte
** documents, the dossier's documents, the history with its internal
** events, the private notes, the messages with the applicant, and the
** actions its status allows:
**
**   take / assign         any open dossier (taking a déposée one also puts it
**                         "en instruction", one click from the list)
**   passer en instruction déposée, compléments demandés
**   valider               déposée, en instruction, compléments demandés:
**                         commits the amount on the envelope, or says why not
**   refuser               the same, with a reason the applicant receives
**   demander des pièces   déposée, en instruction: a checklist from the
**                         programme's required documents and a free line,
**                         written as aid_doc_requests and listed in the e-mail
**   marquer versée        versement demandé
**   renvoyer les justificatifs  versement demandé → justificatifs, with a reason
**
** Drafts do not exist for instructors: every route answers 404 for a draft
** as for an unknown id. A failed action re-renders the page with its error
** next to its form and everything typed in every form kept.
**
** Each action is one write transaction: the move (aid_dossier_move joins
** it), the rows that go with it (assignment event, requested documents)
** and the audit entry.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/mail.h"
#include "core/upload.h"
#include "features/aid/aid.h"
#include "features/aid/apply.h"
#include "features/aid/catalog.h"
#include "features/aid/charge.h"
#include "features/aid/dossier.h"
#include "features/aid/instruction.h"

#define REASON_MAX 2000    /* bytes of a refusal or send-back reason */
#define NOTE_MAX 5000      /* bytes of a note or a message */
#define PIECE_MAX 200      /* bytes of a requested document's name */
#define PIECES_MAX 30      /* documents asked for at once (a programme lists 30 at most) */
#define ATTACH_MAX 3       /* files attached to one message */

/* Every field of every form of the page: a failed action shows them all
** again as typed. */
static const char *const fields[] = {"instructeur", "motif_refus", "autre_piece", "motif_renvoi",
                                     "note", "message", NULL};

const char *aid_status_class(const char *st) {
  if (!strcmp(st, "deposee") || !strcmp(st, "en_instruction") || !strcmp(st, "versement")) return "todo";
  if (!strcmp(st, "validee") || !strcmp(st, "justificatifs") || !strcmp(st, "versee")) return "ok";
  if (!strcmp(st, "refusee") || !strcmp(st, "annulee") || !strcmp(st, "expiree")) return "off";
  return "";
}

json_t *aid_instructor_opts(req *r, int64_t selected) {
  json_t *a = json_array();
  db_stmt *s = db_query("SELECT u.id, coalesce(nullif(trim(coalesce(u.first_name, '') || ' ' ||"
                        " coalesce(u.last_name, '')), ''), u.email) AS name FROM users u"
                        " WHERE u.status = 'active' AND u.id IN (SELECT user_id FROM user_roles"
                        " WHERE role = 'instructor' UNION SELECT ?) ORDER BY name",
                        "i", r->me->id);
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(arena_printf(r->a, "%lld", (long long)db_int(s, 0))));
    json_object_set_new(o, "label", json_string(db_int(s, 0) == r->me->id
                                                    ? arena_printf(r->a, _("%s (moi)"), db_text(s, 1))
                                                    : db_text(s, 1)));
    if (db_int(s, 0) == selected) json_object_set_new(o, "selected", json_true());
    json_array_append_new(a, o);
  }
  db_done(s);
  return a;
}

/* The dossier of the path's :id, with its status into st (16 bytes), when
** it exists and is not a draft; else answers 404 and returns -1. */
static int dossier_or_reply(req *r, int64_t *id, char st[16]) {
  if (req_id_or_reply(r, "id", id)) return -1;
  char *z = db_get_text(r->a, "SELECT status FROM aid_dossiers WHERE id = ?", "i", *id);
  if (!z || !strcmp(z, "brouillon")) {
    res_error(r, 404, _("Cette demande n’existe pas."));
    return -1;
  }
  snprintf(st, 16, "%s", z);
  return 0;
}

static void db_failed(req *r) {
  res_error(r, 500, _("La base de données n’a pas répondu : réessayez dans un instant."));
}

/* ------------------------------------------------------------ the page */

static const char *who(req *r, db_stmt *s, int col_first, const char *none) {
  const char *f = db_text(s, col_first), *l = db_text(s, col_first + 1), *e = db_text(s, col_first + 2);
  if (!e) return none;
  if ((f && *f) || (l && *l)) return arena_printf(r->a, "%s %s", f ? f : "", l ? l : "");
  return arena_strdup(r->a, e);
}

/* The programme's required documents (one per line) as checklist items
** [{label, checked}], checked when the form asked for them. */
static json_t *request_checklist(req *r, const char *docs) {
  json_t *a = json_array();
  for (const char *p = docs; *p;) {
    size_t n = strcspn(p, "\n");
    const char *line = arena_strndup(r->a, p, n && p[n - 1] == '\r' ? n - 1 : n);
    p += n + (p[n] == '\n');
    if (!*line) continue;
    json_t *o = json_object();
    json_object_set_new(o, "label", json_string(line));
    json_object_set_new(o, "i", json_integer((json_int_t)json_array_size(a)));
    for (form_field *ff = r->fields; ff; ff = ff->next)
      if (!strcmp(ff->name, "pieces") && !strcmp(ff->value, line)) json_object_set_new(o, "checked", json_true());
    json_array_append_new(a, o);
  }
  return a;
}

/* The programme's extra fields with the dossier's values: [{label, value}]. */
static json_t *extra_fields(const char *fields_json, const char *extra_json) {
  json_t *a = json_array();
  json_t *defs = json_loads(fields_json, 0, NULL), *vals = json_loads(extra_json, 0, NULL);
  size_t i;
  json_t *def;
  if (json_is_array(defs) && json_is_object(vals)) {
    json_array_foreach(defs, i, def) {
      const char *name = json_string_value(json_object_get(def, "name"));
      const char *label = json_string_value(json_object_get(def, "label"));
      json_t *v = name ? json_object_get(vals, name) : NULL;
      if (!label || !v) continue;
      json_t *o = json_object();
      json_object_set_new(o, "label", json_string(label));
      if (json_is_string(v)) json_object_set(o, "value", v);
      else if (json_is_true(v)) json_object_set_new(o, "value", json_string(_("oui")));
      else if (json_is_false(v)) json_object_set_new(o, "value", json_string(_("non")));
      else {
        char *z = json_dumps(v, JSON_ENCODE_ANY);
        json_object_set_new(o, "value", json_string(z ? z : ""));
        free(z);
      }
      json_array_append_new(a, o);
    }
  }
  json_decref(defs);
  json_decref(vals);
  return a;
}

/* The dossier's own columns into o; its programme and organisation ids
** into prog and org. 0, or -1 if it is gone. */
static int dossier_fields(req *r, int64_t id, json_t *o, int64_t *prog, int64_t *org, const char **status) {
  db_stmt *s = db_query(
      "SELECT d.number, d.status, d.programme_id, d.org_id, coalesce(d.label_id, 0), d.site_address, d.site_postcode,"
      " d.site_city, d.departement, d.points, d.cost_cents, d.with_bonus, d.contact_name, d.contact_email,"
      " d.contact_phone, d.beneficiary_kind, d.beneficiary_name, d.beneficiary_siret, d.beneficiary_email,"
      " d.beneficiary_address, d.extra, d.amount_cents, d.granted_cents, d.paid_cents, d.reason,"
      " coalesce(d.proofs_due_on, ''), d.created_at, coalesce(d.submitted_at, 0), coalesce(d.decided_at, 0),"
      " coalesce(d.paid_at, 0), coalesce(d.assignee_id, 0), a.first_name, a.last_name, a.email,"
      " coalesce(rp.id, 0), coalesce(rp.number, ''), coalesce(rb.id, 0), coalesce(rb.number, ''),"
      " c.first_name, c.last_name, c.email, p.fields, d.site_lat, d.site_lon, coalesce(l.name, ''),"
      " coalesce(l.status, ''), coalesce(l.org_id, 0)"
      " FROM aid_dossiers d LEFT JOIN users a ON a.id = d.assignee_id LEFT JOIN users c ON c.id = d.user_id"
      " LEFT JOIN aid_labels l ON l.id = d.label_id"
      " LEFT JOIN aid_dossiers rp ON rp.id = d.replaces_id LEFT JOIN aid_dossiers rb ON rb.id = d.replaced_by_id"
      " LEFT JOIN aid_programmes p ON p.id = d.programme_id WHERE d.id = ?",
      "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return -1;
  }
  /* Text columns copied as they are, by key (NULL: not copied here). */
  static const char *const keys[] = {"number", NULL, NULL, NULL, NULL, "site_address", "site_postcode",
                                     "site_city", "departement", NULL, NULL, NULL, "contact_name", "contact_email",
                                     "contact_phone", NULL, "beneficiary_name", "beneficiary_siret",
                                     "beneficiary_email", "beneficiary_address", NULL, NULL, NULL, NULL, "reason"};
  for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
    if (keys[i]) json_object_set_new(o, keys[i], json_string(db_text(s, (int)i)));
  const char *st = arena_strdup(r->a, db_text(s, 1));
  *status = st;
  json_object_set_new(o, "id", json_integer(id));
  json_object_set_new(o, "status", json_string(aid_dossier_status_label(st)));
  json_object_set_new(o, "status_class", json_string(aid_status_class(st)));
  *prog = db_int(s, 2);
  *org = db_int(s, 3);
  if (db_int(s, 4)) {
    /* The label the applicant chose; flagged when it is no longer a
    ** validated label of the dossier's organisation. */
    json_t *lab = json_object();
    json_object_set_new(lab, "id", json_integer(db_int(s, 4)));
    json_object_set_new(lab, "name", json_string(db_text(s, 44)));
    if (strcmp(db_text(s, 45), "validee") || db_int(s, 46) != db_int(s, 3))
      json_object_set_new(lab, "invalid", json_true());
    json_object_set_new(o, "label", lab);
  }
  json_object_set_new(o, "points", json_integer(db_int(s, 9)));
  json_object_set_new(o, "cost", json_string(aid_euros(r->a, db_int(s, 10))));
  if (db_int(s, 11)) json_object_set_new(o, "with_bonus", json_true());
  json_object_set_new(o, "beneficiary_kind", json_string(apply_beneficiary_label(db_text(s, 15))));
  json_object_set_new(o, "extra", extra_fields(db_text(s, 41) ? db_text(s, 41) : "[]", db_text(s, 20)));
  json_object_set_new(o, "amount", json_string(aid_euros(r->a, db_int(s, 21))));
  if (db_int(s, 22)) json_object_set_new(o, "granted", json_string(aid_euros(r->a, db_int(s, 22))));
  if (db_int(s, 23)) json_object_set_new(o, "paid", json_string(aid_euros(r->a, db_int(s, 23))));
  if (*db_text(s, 25)) {
    char tx[16];
    aid_format_date(tx, sizeof tx, db_text(s, 25));
    json_object_set_new(o, "proofs_due_on", json_string(tx));
  }
  json_object_set_new(o, "created", json_string(fmt_datetime(r->a, db_int(s, 26), "")));
  json_object_set_new(o, "submitted", json_string(fmt_datetime(r->a, db_int(s, 27), "—")));
  if (db_int(s, 28)) json_object_set_new(o, "decided", json_string(fmt_datetime(r->a, db_int(s, 28), "")));
  if (db_int(s, 29)) json_object_set_new(o, "paid_at", json_string(fmt_datetime(r->a, db_int(s, 29), "")));
  if (db_int(s, 30)) {
    json_object_set_new(o, "assignee", json_string(who(r, s, 31, "")));
    if (db_int(s, 30) == r->me->id) json_object_set_new(o, "mine", json_true());
  }
  json_object_set_new(o, "assignee_id", json_integer(db_int(s, 30)));
  if (db_int(s, 34)) {
    json_object_set_new(o, "replaces_id", json_integer(db_int(s, 34)));
    json_object_set_new(o, "replaces", json_string(db_text(s, 35)));
  }
  if (db_int(s, 36)) {
    json_object_set_new(o, "replaced_by_id", json_integer(db_int(s, 36)));
    json_object_set_new(o, "replaced_by", json_string(db_text(s, 37)));
  }
  json_object_set_new(o, "filed_by", json_string(who(r, s, 38, _("compte supprimé"))));
  if (!db_is_null(s, 42) && !db_is_null(s, 43))
    json_object_set_new(o, "coords", json_string(arena_printf(r->a, "%.5f, %.5f", db_double(s, 42), db_double(s, 43))));
  db_done(s);
  return 0;
}

/* The programme: its display values, the amount its rule gives for this
** dossier with how, and the envelope. */
static json_t *programme_json(req *r, int64_t prog, int64_t id, const char **docs) {
  json_t *p = json_object();
  aid_rules ru;
  if (!aid_programme_load(r, prog, &ru, p)) return p;
  *docs = json_string_value(json_object_get(p, "documents_text"));
  db_stmt *s = db_query("SELECT cost_cents, points, with_bonus FROM aid_dossiers WHERE id = ?", "i", id);
  if (db_step(s) == DB_ROW) {
    int64_t cost = db_int(s, 0), points = db_int(s, 1), bonus = db_int(s, 2);
    if (cost <= AID_AMOUNT_MAX && points <= AID_POINTS_MAX) {
      int64_t rule = aid_amount(&ru, cost, points, (int)bonus);
      json_object_set_new(p, "rule_amount", json_string(aid_euros(r->a, rule)));
      /* The request's amount was computed at submission; the programme may
      ** have changed since. */
      if (rule != db_get_int(rule, "SELECT amount_cents FROM aid_dossiers WHERE id = ?", "i", id))
        json_object_set_new(p, "rule_differs", json_true());
      json_object_set_new(p, "rule_rate_part", json_string(aid_euros(r->a, cost * ru.rate_bp / 10000)));
      json_object_set_new(p, "rule_cap_part", json_string(aid_euros(r->a, ru.cap_cents * points)));
      if (bonus && ru.bonus_cents) json_object_set_new(p, "rule_bonus_part", json_string(aid_euros(r->a, ru.bonus_cents * points)));
    }
  }
  db_done(s);
  if (ru.budget_cents) json_object_set_new(p, "committed", json_string(aid_euros(r->a, ru.committed_cents)));
  if (ru.max_points) json_object_set_new(p, "committed_points", json_integer(ru.committed_points));
  return p;
}

/* The organisation and its Mon compte documents (links to /compte/documents,
** which instructors may read). */
static json_t *org_json(req *r, int64_t org) {
  json_t *o = json_object();
  db_stmt *s = db_query("SELECT name, siret, address, postcode, city, contact_email, contact_phone FROM organisations"
                        " WHERE id = ?", "i", org);
  if (db_step(s) == DB_ROW) {
    static const char *const keys[] = {"name", "siret", "address", "postcode", "city", "email", "phone"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) json_object_set_new(o, keys[i], json_string(db_text(s, (int)i)));
  }
  db_done(s);
  json_t *a = json_array();
  s = db_query("SELECT id, kind, filename, created_at FROM documents WHERE org_id = ? ORDER BY kind, id", "i", org);
  while (db_step(s) == DB_ROW) {
    json_t *doc = json_object();
    json_object_set_new(doc, "id", json_integer(db_int(s, 0)));
    json_object_set_new(doc, "kind", json_string(!strcmp(db_text(s, 1), "kbis") ? _("Extrait Kbis")
                                                 : !strcmp(db_text(s, 1), "identity") ? _("Pièce d’identité")
                                                                                    : db_text(s, 1)));
    json_object_set_new(doc, "filename", json_string(db_text(s, 2)));
    json_object_set_new(doc, "date", json_string(fmt_datetime(r->a, db_int(s, 3), "")));
    json_array_append_new(a, doc);
  }
  db_done(s);
  json_object_set_new(o, "documents", a);
  return o;
}

/* A document row of aid_dossier_docs for the page. */
static json_t *doc_json(req *r, db_stmt *s, int64_t id) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(db_int(s, 0)));
  json_object_set_new(o, "href", json_string(arena_printf(r->a, "/instruction/dossiers/%lld/documents/%lld",
                                                          (long long)id, (long long)db_int(s, 0))));
  json_object_set_new(o, "kind", json_string(db_text(s, 1)));
  json_object_set_new(o, "filename", json_string(db_text(s, 2)));
  int64_t size = db_int(s, 3);
  json_object_set_new(o, "size", json_string(size >= 1000000 ? arena_printf(r->a, "%.1f Mo", (double)size / 1e6)
                                             : arena_printf(r->a, "%lld ko", (long long)(size + 999) / 1000)));
  json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, 4), "")));
  return o;
}

/* A thread entry: {"date", "by"} from the time at column col_at and the
** author's first name, last name and e-mail from column col_who on. */
static json_t *entry(req *r, db_stmt *s, int col_at, int col_who, const char *none) {
  json_t *o = json_object();
  json_object_set_new(o, "date", json_string(fmt_datetime(r->a, db_int(s, col_at), "")));
  json_object_set_new(o, "by", json_string(who(r, s, col_who, none)));
  return o;
}

/* Documents, requested documents, messages, notes and history into d. */
static void dossier_threads(req *r, int64_t id, json_t *d) {
  json_t *a = json_array();
  db_stmt *s = db_query("SELECT id, kind, filename, size, created_at FROM aid_dossier_docs WHERE dossier_id = ?"
                        " AND message_id IS NULL ORDER BY kind, id", "i", id);
  while (db_step(s) == DB_ROW) json_array_append_new(a, doc_json(r, s, id));
  db_done(s);
  json_object_set_new(d, "documents", a);

  a = json_array();
  s = db_query("SELECT q.label, q.requested_at, coalesce(q.fulfilled_at, 0), coalesce(q.doc_id, 0), u.first_name,"
               " u.last_name, u.email FROM aid_doc_requests q LEFT JOIN users u ON u.id = q.requested_by"
               " WHERE q.dossier_id = ? ORDER BY q.id", "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *o = entry(r, s, 1, 4, "");
    json_object_set_new(o, "label", json_string(db_text(s, 0)));
    /* Every key in every item: inside {{#requests.0}} a missing one would
    ** be read from the first item. */
    json_object_set_new(o, "fulfilled", json_string(fmt_datetime(r->a, db_int(s, 2), "")));
    json_object_set_new(o, "href", json_string(db_int(s, 3) ? arena_printf(r->a, "/instruction/dossiers/%lld/documents/"
                                                                           "%lld", (long long)id, (long long)db_int(s, 3))
                                                            : ""));
    json_array_append_new(a, o);
  }
  db_done(s);
  json_object_set_new(d, "requests", a);

  a = json_array();
  s = db_query("SELECT m.id, m.from_staff, m.body, m.created_at, u.first_name, u.last_name, u.email FROM aid_messages m"
               " LEFT JOIN users u ON u.id = m.user_id WHERE m.dossier_id = ? ORDER BY m.created_at, m.id", "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *o = entry(r, s, 3, 4, _("compte supprimé"));
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "staff", json_boolean(db_int(s, 1)));
    json_object_set_new(o, "body", json_string(db_text(s, 2)));
    json_object_set_new(o, "files", json_array());
    json_array_append_new(a, o);
  }
  db_done(s);
  s = db_query("SELECT id, kind, filename, size, created_at, message_id FROM aid_dossier_docs WHERE dossier_id = ?"
               " AND message_id IS NOT NULL ORDER BY id", "i", id);
  while (db_step(s) == DB_ROW) {
    size_t i;
    json_t *m;
    json_array_foreach(a, i, m) {
      if (json_integer_value(json_object_get(m, "id")) == db_int(s, 5))
        json_array_append_new(json_object_get(m, "files"), doc_json(r, s, id));
    }
  }
  db_done(s);
  json_object_set_new(d, "messages", a);

  a = json_array();
  s = db_query("SELECT n.body, n.created_at, u.first_name, u.last_name, u.email FROM aid_notes n"
               " LEFT JOIN users u ON u.id = n.user_id WHERE n.dossier_id = ? ORDER BY n.id", "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *o = entry(r, s, 1, 2, _("compte supprimé"));
    json_object_set_new(o, "body", json_string(db_text(s, 0)));
    json_array_append_new(a, o);
  }
  db_done(s);
  json_object_set_new(d, "notes", a);

  a = json_array();
  s = db_query("SELECT e.at, e.kind, coalesce(e.from_status, ''), coalesce(e.to_status, ''), e.comment, e.internal,"
               " u.first_name, u.last_name, u.email FROM aid_dossier_events e LEFT JOIN users u ON u.id = e.user_id"
               " WHERE e.dossier_id = ? ORDER BY e.at, e.id", "i", id);
  while (db_step(s) == DB_ROW) {
    json_t *o = entry(r, s, 0, 6, _("la plateforme"));
    const char *from = aid_dossier_status_label(db_text(s, 2)), *to = aid_dossier_status_label(db_text(s, 3));
    if (!strcmp(db_text(s, 1), "status") || !strcmp(db_text(s, 1), "amend")) {
      if (from) json_object_set_new(o, "from", json_string(from));
      if (to) json_object_set_new(o, "to", json_string(to));
    }
    json_object_set_new(o, "comment", json_string(db_text(s, 4)));
    if (db_int(s, 5)) json_object_set_new(o, "internal", json_true());
    json_array_append_new(a, o);
  }
  db_done(s);
  json_object_set_new(d, "history", a);
}

/* The link to the dossier's charging data (charge_pages.c), when there is
** any or may be: points declared, or a status that takes data (a
** cancelled or expired dossier keeps the points it declared). */
static void charge_link(req *r, int64_t id, const char *st, json_t *d) {
  int64_t n = db_get_int(0, "SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", "i", id);
  if (!n && !charge_dossier_open(st)) return;
  json_t *c = json_object();
  json_object_set_new(c, "href", json_string(arena_printf(r->a, "/instruction/dossiers/%lld/donnees", (long long)id)));
  json_object_set_new(c, "declared", json_integer(n));
  json_object_set_new(d, "charge", c);
}

/* Renders the dossier page with status, the form f (NULL: a fresh page)
** and, when err is set, that message under the action `action`. */
static void page(req *r, int status, int64_t id, form *f, const char *action, const char *err) {
  json_t *d = json_object(), *o = json_object();
  cat_review_nav(d, "dossiers");
  int64_t prog = 0, org = 0;
  const char *st = "";
  if (dossier_fields(r, id, o, &prog, &org, &st) != 0) {
    json_decref(o);
    json_decref(d);
    res_error(r, 404, _("Cette demande n’existe pas."));
    return;
  }
  json_object_set_new(d, "d", o);
  const char *docs = "";
  json_object_set_new(d, "programme", programme_json(r, prog, id, &docs));
  json_object_set_new(d, "org", org_json(r, org));
  dossier_threads(r, id, d);
  charge_link(r, id, st, d);
  int open = !strcmp(st, "deposee") || !strcmp(st, "en_instruction") || !strcmp(st, "complements");
  json_t *can = json_object();
  if (strcmp(st, "deposee") == 0 || strcmp(st, "complements") == 0) json_object_set_new(can, "start", json_true());
  if (open) {
    json_object_set_new(can, "validate", json_true());
    json_object_set_new(can, "refuse", json_true());
  }
  if (!strcmp(st, "deposee") || !strcmp(st, "en_instruction")) json_object_set_new(can, "request", json_true());
  if (!strcmp(st, "versement")) {
    json_object_set_new(can, "pay", json_true());
    json_object_set_new(can, "send_back", json_true());
  }
  if (json_object_size(can)) json_object_set_new(can, "any", json_true());
  json_object_set_new(d, "can", can);
  json_object_set_new(d, "checklist", request_checklist(r, docs ? docs : ""));
  int64_t sel = json_integer_value(json_object_get(o, "assignee_id"));
  if (f && *form_get(f, "instructeur")) sel = strtoll(form_get(f, "instructeur"), NULL, 10);
  json_object_set_new(d, "instructor_opts", aid_instructor_opts(r, sel ? sel : r->me->id));
  json_object_set_new(d, "retour", json_string(instr_return_url(r)));
  if (err) {
    json_t *e = json_object();
    json_object_set_new(e, action, json_string(err));
    json_object_set_new(d, "action_err", e);
    json_object_set_new(d, "action_error", json_string(err));
  }
  if (f) form_into(f, d);
  res_page(r, status, "aid/instr_dossier", d);
}

void instr_dossier_page(req *r) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  page(r, 200, id, NULL, NULL, NULL);
}

/* ------------------------------------------------------------- actions */

/* HTTP status for a refused move. */
static int move_status(aid_move_result res) {
  return res == AID_MOVE_DB ? 503 : res == AID_MOVE_NOT_FOUND ? 404 : res == AID_MOVE_REASON ? 422 : 409;
}

/* After a successful action: the flash, naming the dossier (the list may
** be where it lands), then back to the list the form came from, or to the
** dossier. */
static void done(req *r, int64_t id, const char *msg) {
  char *number = db_get_text(r->a, "SELECT number FROM aid_dossiers WHERE id = ?", "i", id);
  res_flash(r, arena_printf(r->a, _("Dossier N° %s : %s"), number ? number : "", msg));
  const char *back = req_form_trim(r, "retour");
  res_redirect(r, *back ? instr_return_url(r) : arena_printf(r->a, "/instruction/dossiers/%lld", (long long)id));
}

/* Sets the assignee of dossier id to uid (0: nobody) with an internal
** history row, inside the caller's transaction. 0 or -1. */
static int assign(req *r, int64_t id, int64_t uid) {
  const char *name = uid ? db_get_text(r->a, "SELECT coalesce(nullif(trim(coalesce(first_name, '') || ' ' ||"
                                             " coalesce(last_name, '')), ''), email) FROM users WHERE id = ?", "i", uid)
                         : NULL;
  const char *comment = !uid ? _("Attribution retirée")
                        : uid == r->me->id ? arena_printf(r->a, _("Pris en charge par %s"), name ? name : "")
                                           : arena_printf(r->a, _("Attribué à %s"), name ? name : "");
  int64_t now = now_unix();
  return db_run("UPDATE aid_dossiers SET assignee_id = nullif(?, 0), updated_at = ? WHERE id = ?", "iii", uid, now,
                id) == DB_DONE &&
                 db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, comment, internal)"
                           " VALUES(?, ?, ?, 'assign', ?, 1)", NULL, "iiit", id, now, r->me->id, comment) > 0 &&
                 audit_log(r->me->id, "aid.dossier.assign", arena_printf(r->a, "aid_dossier:%lld", (long long)id),
                           r->ip, arena_printf(r->a, "user:%lld", (long long)uid)) >= 0
             ? 0
             : -1;
}

void instr_take_post(req *r) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  if (db_begin_write() != 0) {
    db_failed(r);
    return;
  }
  char msg[512] = "";
  int ok = assign(r, id, r->me->id) == 0;
  /* Taking a new dossier starts its instruction (and tells the applicant). */
  if (ok && !strcmp(st, "deposee") &&
      aid_dossier_move(id, "en_instruction", AID_INSTRUCTOR, r->me->id, "", msg, sizeof msg) != AID_MOVE_OK)
    ok = 0;
  if (!ok || db_commit() != 0) {
    db_rollback();
    res_error(r, 503, *msg ? msg : _("Le dossier n’a pas pu être pris en charge : réessayez dans un instant."));
    return;
  }
  done(r, id, _("vous l’avez pris en charge."));
}

void instr_assign_post(req *r) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  form f;
  form_init(&f, r, fields);
  const char *z = form_get(&f, "instructeur");
  int64_t uid = 0;
  if (*z) {
    char *end;
    uid = strtoll(z, &end, 10);
    if (*end || uid <= 0 ||
        (uid != r->me->id && db_get_int(0, "SELECT 1 FROM users u JOIN user_roles ur ON ur.user_id = u.id"
                                           " WHERE u.id = ? AND ur.role = 'instructor' AND u.status = 'active'",
                                           "i", uid) != 1))
      form_error(&f, "instructeur", _("Choisissez un instructeur de la liste."));
  }
  if (f.nerr) {
    page(r, 422, id, &f, "assign", NULL);
    return;
  }
  if (db_begin_write() != 0 || assign(r, id, uid) != 0 || db_commit() != 0) {
    db_rollback();
    db_failed(r);
    return;
  }
  done(r, id, uid ? _("il est attribué.") : _("il n’est plus attribué."));
}

/* A move with an optional reason field (required when need_reason): on
** refusal the page comes back with the message under `action`. */
static void move_action(req *r, const char *to, const char *reason_field, const char *action, const char *ok_msg) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  form f;
  form_init(&f, r, fields);
  const char *reason = "";
  if (reason_field) {
    reason = form_get(&f, reason_field);
    if (!*reason)
      form_error(&f, reason_field, _("Indiquez le motif : il est envoyé au demandeur."));
    else
      form_maxlen(&f, reason_field, REASON_MAX);
    if (f.nerr) {
      page(r, 422, id, &f, action, NULL);
      return;
    }
  }
  char msg[512] = "";
  aid_move_result res = aid_dossier_move(id, to, AID_INSTRUCTOR, r->me->id, reason, msg, sizeof msg);
  if (res != AID_MOVE_OK) {
    page(r, move_status(res), id, &f, action, msg);
    return;
  }
  done(r, id, ok_msg);
}

void instr_start_post(req *r) {
  move_action(r, "en_instruction", NULL, "start", _("en instruction ; le demandeur est prévenu."));
}

void instr_validate_post(req *r) {
  move_action(r, "validee", NULL, "validate",
              _("validé ; le montant est engagé sur l’enveloppe et le demandeur a reçu l’offre."));
}

void instr_refuse_post(req *r) {
  move_action(r, "refusee", "motif_refus", "refuse", _("refusé ; le demandeur a reçu le motif."));
}

void instr_paid_post(req *r) {
  move_action(r, "versee", NULL, "pay", _("marqué versé ; le demandeur est prévenu."));
}

void instr_proofs_back_post(req *r) {
  move_action(r, "justificatifs", "motif_renvoi", "send_back",
              _("justificatifs renvoyés au demandeur avec le motif."));
}

/* 1 if line is one of the programme's required documents (one per line). */
static int in_docs(const char *docs, const char *line) {
  size_t n = strlen(line);
  for (const char *p = docs; *p;) {
    size_t len = strcspn(p, "\n");
    size_t l2 = len && p[len - 1] == '\r' ? len - 1 : len;
    if (l2 == n && !strncmp(p, line, n)) return 1;
    p += len + (p[len] == '\n');
  }
  return 0;
}

void instr_request_post(req *r) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  form f;
  form_init(&f, r, fields);
  char *docs = db_get_text(r->a, "SELECT p.documents FROM aid_programmes p JOIN aid_dossiers d"
                                 " ON d.programme_id = p.id WHERE d.id = ?", "i", id);
  const char *pieces[PIECES_MAX + 1];
  int np = 0;
  for (form_field *ff = r->fields; ff; ff = ff->next) {
    if (strcmp(ff->name, "pieces") || !*ff->value) continue;
    if (!docs || !in_docs(docs, ff->value)) {
      form_error(&f, "pieces", _("Cochez des pièces de la liste du programme, ou décrivez la pièce sur la ligne libre."));
      break;
    }
    int dup = 0;
    for (int i = 0; i < np; i++) dup |= !strcmp(pieces[i], ff->value);
    if (!dup && np < PIECES_MAX) pieces[np++] = ff->value;
  }
  const char *other = form_get(&f, "autre_piece");
  if (form_maxlen(&f, "autre_piece", PIECE_MAX) && *other) pieces[np++] = other;
  if (!np && !f.nerr) form_error(&f, "pieces", _("Cochez au moins une pièce, ou décrivez-la sur la ligne libre."));
  if (f.nerr) {
    page(r, 422, id, &f, "request", NULL);
    return;
  }
  if (db_begin_write() != 0) {
    db_failed(r);
    return;
  }
  int64_t now = now_unix();
  buf list = {0};
  int ok = 1;
  for (int i = 0; ok && i < np; i++) {
    ok = db_insert("INSERT INTO aid_doc_requests(dossier_id, label, requested_by, requested_at) VALUES(?, ?, ?, ?)",
                   NULL, "itii", id, pieces[i], r->me->id, now) > 0;
    buf_puts(&list, i ? " ; " : "");
    buf_puts(&list, pieces[i]);
  }
  const char *comment = arena_printf(r->a, _("Pièces demandées : %s"), buf_str(&list));
  buf_free(&list);
  char msg[512] = "";
  aid_move_result res = AID_MOVE_DB;
  ok = ok && db_insert("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, comment) VALUES(?, ?, ?,"
                       " 'request_docs', ?)", NULL, "iiit", id, now, r->me->id, comment) > 0 &&
       (res = aid_dossier_move(id, "complements", AID_INSTRUCTOR, r->me->id, "", msg, sizeof msg)) == AID_MOVE_OK;
  if (!ok || db_commit() != 0) {
    db_rollback();
    if (res == AID_MOVE_OK || !*msg) snprintf(msg, sizeof msg, "%s", _("La demande de pièces n’a pas pu être "
                                                                     "enregistrée : réessayez dans un instant."));
    page(r, res == AID_MOVE_OK ? 503 : move_status(res), id, &f, "request", msg);
    return;
  }
  done(r, id, np > 1 ? arena_printf(r->a, _("%d pièces demandées au demandeur, par e-mail."), np)
                     : _("pièce demandée au demandeur, par e-mail."));
}

void instr_note_post(req *r) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  form f;
  form_init(&f, r, fields);
  if (form_required(&f, "note", _("la note"))) form_maxlen(&f, "note", NOTE_MAX);
  if (f.nerr) {
    page(r, 422, id, &f, "note", NULL);
    return;
  }
  if (db_insert("INSERT INTO aid_notes(dossier_id, user_id, body, created_at) VALUES(?, ?, ?, ?)", NULL, "iiti", id,
                r->me->id, form_get(&f, "note"), now_unix()) <= 0) {
    db_failed(r);
    return;
  }
  res_flash(r, _("La note est enregistrée. Le demandeur ne la voit pas."));
  res_redirect(r, arena_printf(r->a, "/instruction/dossiers/%lld#notes", (long long)id));
}

/* The e-mail to the applicant about a new message. 0 or -1. */
static int mail_message(req *r, int64_t id, const char *body, int nfiles) {
  db_stmt *s = db_query("SELECT d.number, coalesce(nullif(d.contact_email, ''), u.email, '') FROM aid_dossiers d"
                        " LEFT JOIN users u ON u.id = d.user_id WHERE d.id = ?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    return -1;
  }
  const char *number = arena_strdup(r->a, db_text(s, 0)), *to = arena_strdup(r->a, db_text(s, 1));
  db_done(s);
  if (!*to) return 0;
  buf b = {0};
  buf_printf(&b, _("Bonjour,\n\nL’instructeur de votre demande d’aide N° %s vous écrit :\n\n%s\n"), number, body);
  if (nfiles) buf_printf(&b, _("\n%d pièce(s) jointe(s) à consulter sur la page de la demande.\n"), nfiles);
  buf_printf(&b, _("\nRépondre depuis la page de la demande : %s/aides/dossiers/%lld\n\n— %s\n"), http_base_url(),
             (long long)id, config_str("territory_name"));
  int rc = mail_send(to, arena_printf(r->a, _("Votre demande d’aide N° %s : nouveau message"), number), buf_str(&b)) < 0
               ? -1
               : 0;
  buf_free(&b);
  return rc;
}

/* Files stored for a message that was not saved: removed from the store
** unless another row names them (upload_remove checks). */
static void forget(const upload_info *up, int n) {
  for (int i = 0; i < n; i++) upload_remove(up[i].hash);
}

void instr_message_post(req *r) {
  int64_t id;
  char st[16];
  if (dossier_or_reply(r, &id, st)) return;
  form f;
  form_init(&f, r, fields);
  if (form_required(&f, "message", _("le message"))) form_maxlen(&f, "message", NOTE_MAX);
  upload_info up[ATTACH_MAX];
  const char *names[ATTACH_MAX];
  int nup = 0;
  for (form_file *ff = r->files; ff && !f.nerr; ff = ff->next) {
    if (strcmp(ff->name, "pieces_jointes") || ff->size == 0) continue;
    const char *err = NULL;
    if (nup == ATTACH_MAX)
      form_error(&f, "pieces_jointes", arena_printf(r->a, _("%d pièces jointes au plus par message."), ATTACH_MAX));
    else if (upload_store(r, ff, upload_doc_types, (size_t)config_int("max_upload"), &up[nup], &err) != 0)
      form_error(&f, "pieces_jointes", arena_printf(r->a, _("%s (%s) Joignez-la de nouveau."), err, ff->filename));
    else
      names[nup++] = ff->filename;
  }
  if (f.nerr) {
    forget(up, nup);
    page(r, 422, id, &f, "message", NULL);
    return;
  }
  int64_t now = now_unix();
  if (db_begin_write() != 0) {
    forget(up, nup);
    db_failed(r);
    return;
  }
  const char *body = form_get(&f, "message");
  int64_t mid = db_insert("INSERT INTO aid_messages(dossier_id, user_id, from_staff, body, created_at)"
                          " VALUES(?, ?, 1, ?, ?)", NULL, "iiti", id, r->me->id, body, now);
  int ok = mid > 0;
  for (int i = 0; ok && i < nup; i++)
    ok = db_insert("INSERT INTO aid_dossier_docs(dossier_id, kind, message_id, user_id, filename, mime, size, hash,"
                   " created_at) VALUES(?, 'message', ?, ?, ?, ?, ?, ?, ?)", NULL, "iiittiti", id, mid, r->me->id,
                   names[i], up[i].mime, (int64_t)up[i].size, up[i].hash, now) > 0;
  ok = ok && db_run("UPDATE aid_dossiers SET updated_at = ? WHERE id = ?", "ii", now, id) == DB_DONE &&
       mail_message(r, id, body, nup) == 0 && db_commit() == 0;
  if (!ok) {
    db_rollback();
    forget(up, nup);
    db_failed(r);
    return;
  }
  res_flash(r, _("Le message est envoyé au demandeur."));
  res_redirect(r, arena_printf(r->a, "/instruction/dossiers/%lld#messages", (long long)id));
}

void instr_doc_get(req *r) {
  int64_t id, doc;
  char st[16];
  if (dossier_or_reply(r, &id, st) || req_id_or_reply(r, "doc", &doc)) return;
  db_stmt *s = db_query("SELECT hash, mime, filename FROM aid_dossier_docs WHERE id = ? AND dossier_id = ?", "ii",
                        doc, id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    res_error(r, 404, _("Ce document est introuvable."));
    return;
  }
  char *path = upload_path(r->a, db_text(s, 0));
  const char *mime = arena_strdup(r->a, db_text(s, 1)), *name = arena_strdup(r->a, db_text(s, 2));
  db_done(s);
  if (!path) {
    res_error(r, 404, _("Ce document est introuvable."));
    return;
  }
  audit_log(r->me->id, "aid.document_read", arena_printf(r->a, "aid_dossier_doc:%lld", (long long)doc), r->ip, "");
  res_file(r, path, mime, name);
}
