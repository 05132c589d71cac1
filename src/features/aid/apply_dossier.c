/*
** apply_dossier.c — a dossier's page for its organisation, and what the
** organisation may do with it at each status (see apply.h for who):
**
**   brouillon         continue the form, abandon it;
**   déposée, en       amend it (aid_dossier_amend: cancelled, replaced by a
**   instruction       prefilled draft, both linked), withdraw it;
**   compléments       the same, plus one upload per requested document and
**                     "Transmettre les compléments" once all are in;
**   validée           upload the proofs (signed offer, invoice,
**                     commissioning report), then send them (justificatifs);
**   justificatifs     replace a proof, ask for the payment (versement);
**   every status but brouillon: messages with the instructors, with an
**   attachment;
**   validée and after (charge_dossier_open): a link to the dossier's
**   charging data (charge_pages.c).
**
** The page shows only the actions of the current status; each post checks
** the status again (aid_dossier_move refuses a move the table does not
** allow), so a stale page cannot do what the status no longer permits.
**
** The history shows events not marked internal. Who acted: a member of the
** organisation by name; staff as "Service instructeur" — an instructor's
** name and e-mail are not the applicant's business; a job as "La
** plateforme". Instructors' messages are signed the same way.
*/
#include <stdio.h>
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
#include "features/aid/charge.h"
#include "features/aid/dossier.h"

#define STAFF_NAME N_("Service instructeur")

/* "Camille Durand", else the e-mail, else "compte supprimé". */
static const char *person(req *r, const char *first, const char *last, const char *email) {
  const char *name = arena_printf(r->a, "%s %s", first ? first : "", last ? last : "");
  while (*name == ' ') name++;
  if (*name && strcmp(name, " ")) {
    size_t n = strlen(name);
    while (n && name[n - 1] == ' ') n--;
    return arena_strndup(r->a, name, n);
  }
  return email ? arena_strdup(r->a, email) : _("compte supprimé");
}

/* The history: [{at, who, what, comment}], oldest first. */
static json_t *history(req *r, const dossier *d) {
  json_t *l = json_array();
  db_stmt *s = db_query("SELECT e.at, e.kind, coalesce(e.from_status, ''), coalesce(e.to_status, ''), e.comment,"
                        " e.user_id IS NULL, m.user_id IS NOT NULL, u.first_name, u.last_name, u.email"
                        " FROM aid_dossier_events e LEFT JOIN users u ON u.id=e.user_id"
                        " LEFT JOIN org_members m ON m.user_id=e.user_id AND m.org_id=?"
                        " WHERE e.dossier_id=? AND e.internal=0 ORDER BY e.at, e.id",
                        "ii", d->org_id, d->id);
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    const char *kind = db_text(s, 1), *from = db_text(s, 2), *to = db_text(s, 3);
    json_object_set_new(o, "at", json_string(fmt_datetime(r->a, db_int(s, 0), "")));
    const char *who = db_int(s, 5)   ? _("La plateforme")
                      : db_int(s, 6) ? person(r, db_text(s, 7), db_text(s, 8), db_text(s, 9))
                                     : _(STAFF_NAME);
    json_object_set_new(o, "who", json_string(who));
    const char *what;
    if (!strcmp(kind, "status") || !strcmp(kind, "amend"))
      what = *from ? arena_printf(r->a, "%s → %s", aid_dossier_status_label(from), aid_dossier_status_label(to))
                   : arena_printf(r->a, _("Création : %s"), aid_dossier_status_label(to));
    else if (!strcmp(kind, "request_docs")) what = _("Pièces complémentaires demandées");
    else if (!strcmp(kind, "assign")) what = _("Demande confiée à un instructeur");
    else if (!strcmp(kind, "privacy")) what = _("Compte du contact supprimé"); /* privacy.c */
    else what = kind;
    json_object_set_new(o, "what", json_string(what));
    json_object_set_new(o, "comment", json_string(db_text(s, 4)));
    json_array_append_new(l, o);
  }
  db_done(s);
  return l;
}

/* The messages, oldest first, each with its attachments. */
static json_t *messages(req *r, const dossier *d) {
  json_t *l = json_array(), *byid = apply_keep(r, json_object());
  db_stmt *s = db_query("SELECT m.id, m.from_staff, m.body, m.created_at, u.first_name, u.last_name, u.email"
                        " FROM aid_messages m LEFT JOIN users u ON u.id=m.user_id WHERE m.dossier_id=?"
                        " ORDER BY m.created_at, m.id", "i", d->id);
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    int staff = (int)db_int(s, 1);
    json_object_set_new(o, "staff", json_boolean(staff));
    json_object_set_new(o, "who", json_string(staff ? _(STAFF_NAME) : person(r, db_text(s, 4), db_text(s, 5), db_text(s, 6))));
    json_object_set_new(o, "body", json_string(db_text(s, 2)));
    json_object_set_new(o, "at", json_string(fmt_datetime(r->a, db_int(s, 3), "")));
    json_object_set_new(o, "files", json_array());
    json_object_set(byid, arena_printf(r->a, "%lld", (long long)db_int(s, 0)), o);
    json_array_append_new(l, o);
  }
  db_done(s);
  s = db_query("SELECT id, message_id, filename, size FROM aid_dossier_docs WHERE dossier_id=? AND message_id IS NOT"
               " NULL ORDER BY id", "i", d->id);
  while (db_step(s) == DB_ROW) {
    json_t *m = json_object_get(byid, arena_printf(r->a, "%lld", (long long)db_int(s, 1)));
    if (m)
      json_array_append_new(json_object_get(m, "files"),
                            apply_doc_json(r, d->id, db_int(s, 0), db_text(s, 2), db_int(s, 3)));
  }
  db_done(s);
  return l;
}

/* The requested documents: [{id, label, at, doc?, open, err?}]; *nopen
** counts those not yet provided. */
static json_t *requests(req *r, const dossier *d, json_t *err, int *nopen) {
  json_t *l = json_array();
  *nopen = 0;
  db_stmt *s = db_query("SELECT q.id, q.label, q.requested_at, q.fulfilled_at IS NULL, q.doc_id, dd.filename, dd.size"
                        " FROM aid_doc_requests q LEFT JOIN aid_dossier_docs dd ON dd.id=q.doc_id"
                        " WHERE q.dossier_id=? ORDER BY q.id", "i", d->id);
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    int64_t id = db_int(s, 0);
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "action", json_string(arena_printf(r->a, "/aides/dossiers/%lld/complements/%lld",
                                                             (long long)d->id, (long long)id)));
    json_object_set_new(o, "label", json_string(db_text(s, 1)));
    json_object_set_new(o, "at", json_string(fmt_datetime(r->a, db_int(s, 2), "")));
    int open = (int)db_int(s, 3);
    json_object_set_new(o, "open", json_boolean(open));
    *nopen += open;
    if (!db_is_null(s, 4) && !db_is_null(s, 5))
      json_object_set_new(o, "doc", apply_doc_json(r, d->id, db_int(s, 4), db_text(s, 5), db_int(s, 6)));
    json_t *e = json_object_get(err, arena_printf(r->a, "req_%lld", (long long)id));
    if (e) json_object_set(o, "err", e);
    json_array_append_new(l, o);
  }
  db_done(s);
  return l;
}

/* The proofs after validation: [{kind, label, doc?, err?}]; *nmissing
** counts those not yet uploaded. */
static json_t *proofs(req *r, const dossier *d, json_t *err, int *nmissing) {
  apply_docset ds;
  apply_docs_load(r, d->id, &ds);
  json_t *l = json_array();
  *nmissing = 0;
  for (int i = 0; i < aid_nproof_kinds; i++) {
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(aid_proof_kinds[i].kind));
    json_object_set_new(o, "label", json_string(_(aid_proof_kinds[i].label)));
    json_t *doc = json_object_get(ds.by_kind, aid_proof_kinds[i].kind);
    if (doc) json_object_set(o, "doc", doc);
    else (*nmissing)++;
    json_t *e = json_object_get(err, arena_printf(r->a, "proof_%s", aid_proof_kinds[i].kind));
    if (e) json_object_set(o, "err", e);
    json_array_append_new(l, o);
  }
  return l;
}

/* The number of dossier id when it belongs to org, else NULL. */
static const char *number_of(req *r, int64_t id, int64_t org) {
  return db_get_text(r->a, "SELECT number FROM aid_dossiers WHERE id=? AND org_id=?", "ii", id, org);
}

/* Renders the dossier's page; with fm, its errors (and the message typed). */
static void dossier_render(req *r, int status, const dossier *d, form *fm) {
  apply_prog pg;
  if (!apply_prog_load(r, d->programme_id, &pg)) {
    res_error(r, 500, _("Le programme de cette demande est introuvable."));
    return;
  }
  json_t *data = json_object();
  if (fm) form_into(fm, data);
  json_t *err = json_object_get(data, "err");
  const char *st = d->status;
  json_object_set_new(data, "nav_aid", json_true());
  json_object_set_new(data, "id", json_integer(d->id));
  json_object_set_new(data, "did", json_integer(d->id)); /* the dossier's id where a section has its own "id" */
  json_object_set_new(data, "number", json_string(d->number));
  json_object_set(data, "p", pg.p);
  json_object_set_new(data, "status_label", json_string(aid_dossier_status_label(st)));
  json_object_set_new(data, "status_class", json_string(apply_status_class(st)));
  json_t *is = json_object();
  json_object_set_new(is, st, json_true());
  json_object_set_new(data, "is", is);
  json_object_set_new(data, "created", json_string(fmt_datetime(r->a, d->created_at, "")));
  json_object_set_new(data, "updated", json_string(fmt_datetime(r->a, d->updated_at, "")));
  if (d->submitted_at) json_object_set_new(data, "submitted", json_string(fmt_datetime(r->a, d->submitted_at, "")));
  if (d->decided_at) json_object_set_new(data, "decided", json_string(fmt_datetime(r->a, d->decided_at, "")));
  if (d->amount_cents) json_object_set_new(data, "amount", json_string(aid_euros(r->a, d->amount_cents)));
  if (d->granted_cents) json_object_set_new(data, "granted", json_string(aid_euros(r->a, d->granted_cents)));
  if (d->paid_cents) json_object_set_new(data, "paid", json_string(aid_euros(r->a, d->paid_cents)));
  if (*d->reason) json_object_set_new(data, "reason", json_string(d->reason));
  if (*d->proofs_due_on && (!strcmp(st, "validee") || !strcmp(st, "justificatifs"))) {
    char due[16];
    aid_format_date(due, sizeof due, d->proofs_due_on);
    json_object_set_new(data, "proofs_due", json_string(due));
  }
  const char *num;
  if (d->replaces_id && (num = number_of(r, d->replaces_id, d->org_id))) {
    json_t *o = json_object();
    json_object_set_new(o, "href", json_string(arena_printf(r->a, "/aides/dossiers/%lld", (long long)d->replaces_id)));
    json_object_set_new(o, "number", json_string(num));
    json_object_set_new(data, "replaces", o);
  }
  if (d->replaced_by_id && (num = number_of(r, d->replaced_by_id, d->org_id))) {
    json_t *o = json_object();
    json_object_set_new(o, "href", json_string(arena_printf(r->a, "/aides/dossiers/%lld", (long long)d->replaced_by_id)));
    json_object_set_new(o, "number", json_string(num));
    json_object_set_new(data, "replaced_by", o);
  }
  json_object_set_new(data, "review", apply_review(r, d, &pg));
  json_object_set_new(data, "edit", json_boolean(!strcmp(st, "brouillon")));
  json_object_set_new(data, "history", history(r, d));
  int draft = !strcmp(st, "brouillon");
  if (draft) {
    int counts[5];
    json_t *missing = apply_missing(r, d, &pg, counts);
    int first = 4;
    for (int i = 3; i >= 1; i--)
      if (counts[i]) first = i;
    json_object_set_new(data, "continue_href",
                        json_string(arena_printf(r->a, "/aides/dossiers/%lld/etape/%d", (long long)d->id, first)));
    json_object_set_new(data, "nmissing", json_integer((json_int_t)json_array_size(missing)));
    json_decref(missing);
  } else {
    json_object_set_new(data, "messages", messages(r, d));
    json_object_set_new(data, "can_message", json_true());
  }
  int nopen = 0, nmissing = 0;
  json_t *reqs = requests(r, d, err, &nopen);
  if (json_array_size(reqs)) json_object_set_new(data, "requests", reqs);
  else json_decref(reqs);
  int complements = !strcmp(st, "complements");
  json_object_set_new(data, "can_upload_requested", json_boolean(complements));
  json_object_set_new(data, "can_send_complements", json_boolean(complements && nopen == 0));
  json_object_set_new(data, "nopen", json_integer(nopen));
  int proofs_open = !strcmp(st, "validee") || !strcmp(st, "justificatifs");
  if (proofs_open || !strcmp(st, "versement") || !strcmp(st, "versee")) {
    json_object_set_new(data, "proofs", proofs(r, d, err, &nmissing));
    json_object_set_new(data, "can_upload_proofs", json_boolean(proofs_open));
    json_object_set_new(data, "can_send_proofs", json_boolean(!strcmp(st, "validee") && nmissing == 0));
    json_object_set_new(data, "can_ask_payment", json_boolean(!strcmp(st, "justificatifs")));
  }
  if (charge_dossier_open(st))
    json_object_set_new(data, "charge_href",
                        json_string(arena_printf(r->a, "/aides/dossiers/%lld/donnees", (long long)d->id)));
  json_object_set_new(data, "can_amend", json_boolean(aid_transition_allowed(st, "annulee", AID_APPLICANT) &&
                                                      strcmp(st, "validee") && !draft));
  json_object_set_new(data, "can_withdraw", json_boolean(aid_transition_allowed(st, "annulee", AID_APPLICANT) && !draft));
  json_object_set_new(data, "can_abandon", json_boolean(draft));
  res_page(r, status, "aid/apply_dossier", data);
}

void apply_dossier_page(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  dossier_render(r, 200, &d, NULL);
}

void apply_doc_get(req *r) {
  dossier d;
  int64_t doc;
  if (apply_dossier_or_reply(r, &d) || req_id_or_reply(r, "doc", &doc)) return;
  db_stmt *s = db_query("SELECT hash, mime, filename FROM aid_dossier_docs WHERE id=? AND dossier_id=?", "ii", doc,
                        d.id);
  char *hash = NULL, *mime = NULL, *name = NULL;
  if (db_step(s) == DB_ROW) {
    hash = arena_strdup(r->a, db_text(s, 0));
    mime = arena_strdup(r->a, db_text(s, 1));
    name = arena_strdup(r->a, db_text(s, 2));
  }
  db_done(s);
  const char *path = hash ? upload_path(r->a, hash) : NULL;
  if (!path) {
    res_error(r, 404, _("Ce document est introuvable."));
    return;
  }
  res_file(r, path, mime, name);
}

/* ------------------------------------------------------------- the moves */

/* Moves dossier d to `to` as its applicant: on success a flash and back to
** its page; otherwise the page again with the refusal (409). */
static void move_and_reply(req *r, const dossier *d, const char *to, const char *reason, const char *done) {
  char msg[512] = "";
  aid_move_result res = aid_dossier_move(d->id, to, AID_APPLICANT, r->me->id, reason, msg, sizeof msg);
  if (res != AID_MOVE_OK) {
    form f;
    form_init(&f, r, NULL);
    form_error(&f, "actions", msg);
    dossier_render(r, res == AID_MOVE_INCOMPLETE ? 422 : 409, d, &f);
    return;
  }
  res_flash(r, done);
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld", (long long)d->id));
}

/* The page again with a refusal (409) when the dossier is not in status
** `want`; 0 when it is. */
static int status_or_reply(req *r, const dossier *d, const char *want, const char *why) {
  if (!strcmp(d->status, want)) return 0;
  form f;
  form_init(&f, r, NULL);
  form_error(&f, "actions", why);
  dossier_render(r, 409, d, &f);
  return -1;
}

void apply_abandon_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d) ||
      status_or_reply(r, &d, "brouillon", _("Seul un brouillon s’abandonne ; une demande déposée se retire.")))
    return;
  move_and_reply(r, &d, "annulee", _("brouillon abandonné par le demandeur"),
                 arena_printf(r->a, _("Le brouillon N° %s est abandonné."), d.number));
}

void apply_withdraw_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  const char *why = req_form_trim(r, "reason");
  if (strlen(why) > 1000) why = arena_strndup(r->a, why, 1000);
  move_and_reply(r, &d, "annulee",
                 *why ? arena_printf(r->a, _("retirée par le demandeur : %s"), why) : _("retirée par le demandeur"),
                 arena_printf(r->a, _("La demande N° %s est retirée."), d.number));
}

void apply_amend_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  char msg[512] = "";
  int64_t nid = aid_dossier_amend(d.id, r->me->id, msg, sizeof msg);
  if (nid <= 0) {
    form f;
    form_init(&f, r, NULL);
    form_error(&f, "actions", msg);
    dossier_render(r, 409, &d, &f);
    return;
  }
  const char *num = number_of(r, nid, d.org_id);
  res_flash(r, arena_printf(r->a, _("La demande N° %s est annulée et remplacée par le brouillon N° %s, prérempli : "
                                    "modifiez-le puis déposez-le."),
                            d.number, num ? num : ""));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld/etape/1", (long long)nid));
}

/* Tells the dossier's instructor, if one is assigned, that the applicant
** wrote. The mail carries no content: the message stays on the platform. */
static void tell_instructor(const dossier *d) {
  arena *a = arena_new();
  const char *to = db_get_text(a, "SELECT u.email FROM aid_dossiers d JOIN users u ON u.id=d.assignee_id"
                                  " WHERE d.id=? AND u.status='active'", "i", d->id);
  if (to) {
    char subject[200], body[600];
    snprintf(subject, sizeof subject, _("Demande d’aide N° %s : nouveau message du demandeur"), d->number);
    snprintf(body, sizeof body,
             _("Bonjour,\n\nLe demandeur a écrit au sujet de la demande N° %s. Le message est à lire dans le "
               "back-office d’instruction.\n\n— %s\n"),
             d->number, config_str("territory_name"));
    mail_send(to, subject, body);
  }
  arena_free(a);
}

void apply_message_post(req *r) {
  static const char *const names[] = {"body", NULL};
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  form f;
  form_init(&f, r, names);
  if (!strcmp(d.status, "brouillon"))
    form_error(&f, "body", _("Déposez d’abord la demande : les messages s’échangent avec l’instructeur ensuite."));
  if (form_required(&f, "body", _("votre message"))) form_maxlen(&f, "body", APPLY_MESSAGE_MAX);
  form_file *file = req_file(r, "file");
  upload_info info;
  const char *err = NULL;
  if (!f.nerr && file && apply_upload(r, file, &info, &err) != 0) form_error(&f, "file", err);
  if (f.nerr) {
    dossier_render(r, 422, &d, &f);
    return;
  }
  int ok = db_begin_write() == 0;
  int64_t mid = ok ? db_insert("INSERT INTO aid_messages(dossier_id, user_id, from_staff, body, created_at)"
                               " VALUES(?,?,0,?,?)", NULL, "iiti", d.id, r->me->id, form_get(&f, "body"), now_unix())
                   : -1;
  ok = mid > 0 && (!file || apply_doc_add(r, d.id, "message", mid, file, &info) > 0) &&
       db_run("UPDATE aid_dossiers SET updated_at=? WHERE id=?", "ii", now_unix(), d.id) == DB_DONE &&
       audit_log(r->me->id, "aid.dossier.message", arena_printf(r->a, "aid_dossier:%lld", (long long)d.id), r->ip,
                 "") >= 0;
  if (!ok || db_commit() != 0) {
    if (db_in_transaction()) db_rollback();
    res_error(r, 500, _("Le message n’a pas pu être enregistré : réessayez dans un instant."));
    return;
  }
  tell_instructor(&d);
  res_flash(r, _("Votre message est envoyé à l’instructeur."));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld#messages", (long long)d.id));
}

void apply_complement_post(req *r) {
  dossier d;
  int64_t rid;
  if (apply_dossier_or_reply(r, &d) || req_id_or_reply(r, "rid", &rid)) return;
  const char *label = db_get_text(r->a, "SELECT label FROM aid_doc_requests WHERE id=? AND dossier_id=?", "ii", rid,
                                  d.id);
  if (!label) {
    res_error(r, 404, _("Cette pièce n’est pas demandée pour cette demande."));
    return;
  }
  form f;
  form_init(&f, r, NULL);
  const char *in = arena_printf(r->a, "req_%lld", (long long)rid), *err = NULL;
  form_file *file = req_file(r, "file");
  upload_info info;
  if (strcmp(d.status, "complements") != 0)
    form_error(&f, in, _("Les pièces demandées se déposent quand la demande est en « Compléments demandés »."));
  else if (!file) form_error(&f, in, _("Choisissez le fichier à déposer."));
  else if (apply_upload(r, file, &info, &err) != 0) form_error(&f, in, err);
  if (f.nerr) {
    dossier_render(r, 422, &d, &f);
    return;
  }
  int64_t now = now_unix(), doc = -1;
  if (db_begin_write() == 0) {
    doc = apply_doc_add(r, d.id, label, 0, file, &info);
    if (doc <= 0 || db_run("UPDATE aid_doc_requests SET doc_id=?, fulfilled_at=? WHERE id=?", "iii", doc, now, rid) != DB_DONE ||
        db_run("UPDATE aid_dossiers SET updated_at=? WHERE id=?", "ii", now, d.id) != DB_DONE || db_commit() != 0) {
      db_rollback();
      doc = -1;
    }
  }
  if (doc <= 0) {
    res_error(r, 500, _("Le document n’a pas pu être enregistré : réessayez dans un instant."));
    return;
  }
  res_flash(r, arena_printf(r->a, _("« %s » est déposé."), label));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld#complements", (long long)d.id));
}

void apply_complements_send_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  move_and_reply(r, &d, "en_instruction", _("compléments transmis par le demandeur"),
                 _("Les compléments sont transmis : la demande est de nouveau en instruction."));
}

void apply_proof_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  const char *kind = req_form_trim(r, "kind"), *label = NULL;
  for (int i = 0; i < aid_nproof_kinds; i++)
    if (!strcmp(kind, aid_proof_kinds[i].kind)) label = _(aid_proof_kinds[i].label);
  form f;
  form_init(&f, r, NULL);
  const char *in = label ? arena_printf(r->a, "proof_%s", kind) : "actions", *err = NULL;
  form_file *file = req_file(r, "file");
  if (!label) form_error(&f, in, _("Choisissez un des justificatifs proposés."));
  else if (strcmp(d.status, "validee") && strcmp(d.status, "justificatifs"))
    form_error(&f, in, _("Les justificatifs se déposent une fois la demande validée, avant la demande de versement."));
  else if (!file) form_error(&f, in, _("Choisissez le fichier à déposer."));
  else if (apply_store_doc(r, d.id, kind, file, 1, &err) < 0) form_error(&f, in, err);
  if (f.nerr) {
    dossier_render(r, 422, &d, &f);
    return;
  }
  db_run("UPDATE aid_dossiers SET updated_at=? WHERE id=?", "ii", now_unix(), d.id);
  res_flash(r, arena_printf(r->a, _("« %s » est déposé."), label));
  res_redirect(r, arena_printf(r->a, "/aides/dossiers/%lld#justificatifs", (long long)d.id));
}

void apply_proofs_send_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  move_and_reply(r, &d, "justificatifs", "",
                 _("Les justificatifs sont déposés : demandez le versement quand vous êtes prêt."));
}

void apply_payment_post(req *r) {
  dossier d;
  if (apply_dossier_or_reply(r, &d)) return;
  move_and_reply(r, &d, "versement", "", _("Le versement de la prime est demandé."));
}
