/*
** contact_pages.c — the contact form (/contact) and the admins' inbox
** (/admin/contact, "aid.admin").
**
** A message is stored in contact_messages (migrations/007_dash.sql) and
** e-mailed to the territory's admins in the same transaction, so either
** both happen or neither. Against abuse:
**   - CSRF, as every form (the dispatcher checks it);
**   - throttling: CONTACT_MAX_PER_HOUR messages an hour from one address IP
**     and as many for one e-mail address; past that, a French message and
**     the form back, filled in (429);
**   - a honeypot: a field hidden from people (CSS off-screen, aria-hidden,
**     out of the tab order) that robots fill in. A form that arrives with it
**     filled gets the same "thank you" as a real one, and nothing is stored
**     or sent, so the robot learns nothing.
** Admins mark messages read and unread; opening a message marks it read,
** as a mailbox does.
*/
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "core/listing.h"
#include "core/log.h"
#include "core/mail.h"
#include "features/aid/aid.h"

#define CONTACT_MAX_PER_HOUR 5   /* messages per hour per IP, and per e-mail address */
#define CONTACT_WINDOW 3600      /* seconds of that hour */
#define CONTACT_NAME_MAX 100     /* bytes */
#define CONTACT_EMAIL_MAX 254    /* bytes: the longest valid address */
#define CONTACT_MESSAGE_MIN 10   /* characters: "Bonjour" alone is not a question */
#define CONTACT_MESSAGE_MAX 5000 /* bytes */
#define CONTACT_PER_PAGE 50      /* rows of the inbox */
#define HONEYPOT "site_web"      /* the field only robots fill in */

static const struct {
  const char *code, *label;
} subjects[] = {
    {"programme", N_("Une question sur un programme d’aide")},
    {"demande", N_("Une demande d’aide en cours")},
    {"label", N_("Les labels et les matériels")},
    {"compte", N_("Mon compte, la connexion")},
    {"donnees", N_("Mes données personnelles")},
    {"accessibilite", N_("Un problème d’accessibilité")},
    {"autre", N_("Un autre sujet")},
};

static const char *subject_label(const char *code) {
  for (size_t i = 0; i < ARRAY_SIZE(subjects); i++)
    if (str_eq(subjects[i].code, code)) return _(subjects[i].label);
  return code;
}

static const char *const fields[] = {"name", "email", "subject", "message", NULL};

/* Page data of the form: values f (stolen), subject choices. */
static void form_page(req *r, int status, json_t *f, form *fm, const char *why) {
  json_t *d = json_object();
  if (fm) form_into(fm, d);
  const char *cur = json_string_value(json_object_get(f, "subject"));
  json_t *opts = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(subjects); i++) {
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(subjects[i].code));
    json_object_set_new(o, "label", json_string(_(subjects[i].label)));
    if (str_eq(cur, subjects[i].code)) json_object_set_new(o, "selected", json_true());
    json_array_append_new(opts, o);
  }
  json_object_set_new(d, "subjects", opts);
  json_object_set_new(d, "f", f);
  if (why) json_object_set_new(d, "throttled", json_string(why));
  json_object_set_new(d, "honeypot", json_string(HONEYPOT));
  res_page(r, status, "aid/contact", d);
}

void contact_page(req *r) {
  json_t *f = json_object();
  if (r->me) { /* a logged-in visitor has nothing to type twice */
    const char *fn = r->me->first_name ? r->me->first_name : "", *ln = r->me->last_name ? r->me->last_name : "";
    json_object_set_new(f, "name", json_string(arena_printf(r->a, "%s%s%s", fn, *fn && *ln ? " " : "", ln)));
    json_object_set_new(f, "email", json_string(r->me->email));
  }
  const char *sub = req_query(r, "sujet");
  if (sub) json_object_set_new(f, "subject", json_string(sub));
  form_page(r, 200, f, NULL, NULL);
}

/* A French sentence when ip or email has sent its share this hour, else NULL. */
static const char *throttled(req *r, const char *email) {
  int64_t since = now_unix() - CONTACT_WINDOW;
  int64_t by_ip = db_get_int(0, "SELECT count(*) FROM contact_messages WHERE ip=? AND created_at>?", "ti", r->ip, since);
  int64_t by_email = *email ? db_get_int(0, "SELECT count(*) FROM contact_messages WHERE email=? AND created_at>?",
                                         "ti", email, since)
                            : 0;
  if (by_ip < CONTACT_MAX_PER_HOUR && by_email < CONTACT_MAX_PER_HOUR) return NULL;
  return arena_printf(r->a,
                      _("Vous nous avez déjà envoyé %d messages en une heure : c’est le maximum. Votre texte est "
                        "conservé ci-dessous ; réessayez dans une heure. Nous répondons à chaque message reçu."),
                      CONTACT_MAX_PER_HOUR);
}

/* 1 if z has a control character (a line break in a name, say). */
static int has_control(const char *z) {
  for (; *z; z++)
    if ((unsigned char)*z < 0x20 || *z == 0x7f) return 1;
  return 0;
}

static size_t utf8_chars(const char *z) {
  size_t n = 0;
  for (; *z; z++)
    if (((unsigned char)*z & 0xC0) != 0x80) n++;
  return n;
}

/* Mails the message to every active territory admin (and superadmin);
** joins the caller's transaction. 0, or -1. */
static int mail_admins(int64_t id, const char *name, const char *email, const char *subject, const char *message) {
  const char *label = subject_label(subject);
  buf sub = {0}, body = {0};
  buf_printf(&sub, _("[Contact] %s — %s"), label, name);
  buf_printf(&body,
             _("Un message est arrivé par le formulaire de contact.\n\nDe : %s <%s>\nSujet : %s\n\n%s\n\n"
               "Pour répondre, écrivez à %s.\nLe message dans le back-office : %s/admin/contact/%lld\n\n— %s\n"),
             name, email, label, message, email, http_base_url(), (long long)id, config_str("territory_name"));
  db_stmt *s = db_query("SELECT DISTINCT u.email FROM users u JOIN user_roles r ON r.user_id=u.id"
                        " WHERE r.role IN ('territory_admin', 'superadmin') AND u.status='active' ORDER BY u.email",
                        "");
  int rc = 0;
  while (db_step(s) == DB_ROW)
    if (mail_send(db_text(s, 0), buf_str(&sub), buf_str(&body)) < 0) rc = -1;
  db_done(s);
  buf_free(&sub);
  buf_free(&body);
  return rc;
}

void contact_post(req *r) {
  form f;
  form_init(&f, r, fields);
  const char *thanks = _("Merci : votre message est envoyé. Nous vous répondons par e-mail, en général sous trois "
                         "jours ouvrés.");
  if (*req_form_trim(r, HONEYPOT)) {
    log_info("aid", "[%s] contact form with its honeypot filled in: ignored", r->id);
    res_flash(r, thanks);
    res_redirect(r, "/contact");
    return;
  }
  char *email = arena_strdup(r->a, form_get(&f, "email"));
  for (char *p = email; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
  const char *why = throttled(r, email);
  if (why) {
    form_page(r, 429, json_deep_copy(json_object_get(f.data, "f")), &f, why);
    return;
  }
  if (form_required(&f, "name", _("votre nom")) && form_maxlen(&f, "name", CONTACT_NAME_MAX) &&
      has_control(form_get(&f, "name")))
    form_error(&f, "name", _("Votre nom tient sur une ligne."));
  if (form_required(&f, "email", _("votre adresse e-mail"))) form_email(&f, "email");
  if (form_required(&f, "subject", _("le sujet de votre message"))) {
    int known = 0;
    for (size_t i = 0; i < ARRAY_SIZE(subjects); i++) known |= str_eq(form_get(&f, "subject"), subjects[i].code);
    if (!known) form_error(&f, "subject", _("Choisissez un des sujets proposés."));
  }
  if (form_required(&f, "message", _("votre message")) && form_maxlen(&f, "message", CONTACT_MESSAGE_MAX) &&
      utf8_chars(form_get(&f, "message")) < CONTACT_MESSAGE_MIN)
    form_error(&f, "message", arena_printf(r->a, _("Votre message est trop court : écrivez au moins %d caractères."),
                                           CONTACT_MESSAGE_MIN));
  if (f.nerr) {
    form_page(r, 422, json_deep_copy(json_object_get(f.data, "f")), &f, NULL);
    return;
  }
  const char *name = form_get(&f, "name"), *subject = form_get(&f, "subject"), *message = form_get(&f, "message");
  int64_t id = -1;
  if (db_begin_write() == 0) {
    id = db_insert("INSERT INTO contact_messages(name, email, subject, message, ip, user_id, created_at)"
                   " VALUES(?,?,?,?,?,nullif(?,0),?)",
                   NULL, "tttttii", name, email, subject, message, r->ip, r->me ? r->me->id : 0, now_unix());
    if (id > 0 && mail_admins(id, name, email, subject, message) == 0 && db_commit() == 0) {
      res_flash(r, thanks);
      res_redirect(r, "/contact");
      return;
    }
    db_rollback();
  }
  form_page(r, 503, json_deep_copy(json_object_get(f.data, "f")), &f,
            _("Votre message n’a pas pu être envoyé : le service est momentanément indisponible. Votre texte est "
              "conservé ci-dessous ; réessayez dans un instant."));
}

/* --------------------------------------------------------------- inbox */

static void nav_contact(json_t *d) {
  json_t *nav = json_object();
  json_object_set_new(nav, "contact", json_true());
  json_object_set_new(d, "nav", nav);
}

void contact_admin_page(req *r) {
  int unread_only = str_eq(req_query(r, "statut"), "non-lus");
  int64_t total = db_get_int(0, "SELECT count(*) FROM contact_messages WHERE (? = 0 OR read_at IS NULL)", "i",
                             (int64_t)unread_only);
  json_t *d = json_object(), *list = json_array();
  const char *const keep[] = {"statut", unread_only ? "non-lus" : "", NULL};
  int64_t page = listing_pager(d, total, listing_page_arg(r), CONTACT_PER_PAGE, keep);
  db_stmt *s = db_query("SELECT id, name, email, subject, created_at, read_at IS NULL FROM contact_messages"
                        " WHERE (? = 0 OR read_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                        "iii", (int64_t)unread_only, (int64_t)CONTACT_PER_PAGE, (page - 1) * CONTACT_PER_PAGE);
  while (db_step(s) == DB_ROW) {
    json_t *m = json_object();
    json_object_set_new(m, "id", json_integer(db_int(s, 0)));
    json_object_set_new(m, "name", json_string(db_text(s, 1)));
    json_object_set_new(m, "email", json_string(db_text(s, 2)));
    json_object_set_new(m, "subject", json_string(subject_label(db_text(s, 3))));
    json_object_set_new(m, "at", json_string(fmt_datetime(r->a, db_int(s, 4), "")));
    json_object_set_new(m, "unread", json_boolean(db_int(s, 5)));
    json_array_append_new(list, m);
  }
  db_done(s);
  json_object_set_new(d, "messages", list);
  json_object_set_new(d, "unread", json_integer(db_get_int(0, "SELECT count(*) FROM contact_messages"
                                                              " WHERE read_at IS NULL", "")));
  json_object_set_new(d, "unread_only", json_boolean(unread_only));
  nav_contact(d);
  res_page(r, 200, "aid/contact_admin", d);
}

void contact_message_page(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  db_stmt *s = db_query("SELECT m.name, m.email, m.subject, m.message, m.created_at, m.read_at, m.ip,"
                        " coalesce(u.email, '') FROM contact_messages m LEFT JOIN users u ON u.id=m.user_id"
                        " WHERE m.id=?", "i", id);
  if (db_step(s) != DB_ROW) {
    db_done(s);
    res_error(r, 404, _("Ce message est introuvable."));
    return;
  }
  json_t *d = json_object();
  json_object_set_new(d, "id", json_integer(id));
  json_object_set_new(d, "name", json_string(db_text(s, 0)));
  json_object_set_new(d, "email", json_string(db_text(s, 1)));
  json_object_set_new(d, "subject", json_string(subject_label(db_text(s, 2))));
  json_object_set_new(d, "message", json_string(db_text(s, 3)));
  json_object_set_new(d, "at", json_string(fmt_datetime(r->a, db_int(s, 4), "")));
  int was_unread = db_is_null(s, 5);
  json_object_set_new(d, "account", json_string(db_text(s, 7)));
  json_object_set_new(d, "mailto", json_string(arena_printf(r->a, "mailto:%s", db_text(s, 1))));
  db_done(s);
  /* Opened is read, as in any mailbox; "mark unread" undoes it. */
  if (was_unread &&
      db_run("UPDATE contact_messages SET read_at=?, read_by=? WHERE id=? AND read_at IS NULL", "iii", now_unix(),
             r->me->id, id) != DB_DONE)
    log_error("aid", "[%s] contact message %lld not marked read", r->id, (long long)id);
  nav_contact(d);
  res_page(r, 200, "aid/contact_message", d);
}

void contact_read_post(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  const char *lu = req_form(r, "lu");
  if (!str_eq(lu, "0") && !str_eq(lu, "1")) {
    res_error(r, 400, _("Choisissez « marquer comme lu » ou « marquer comme non lu »."));
    return;
  }
  int rc = str_eq(lu, "1") ? db_run("UPDATE contact_messages SET read_at=coalesce(read_at, ?), read_by=coalesce(read_by, ?)"
                                    " WHERE id=?", "iii", now_unix(), r->me->id, id)
                           : db_run("UPDATE contact_messages SET read_at=NULL, read_by=NULL WHERE id=?", "i", id);
  if (rc != DB_DONE) {
    res_error(r, 500, _("Le message n’a pas pu être mis à jour. Réessayez dans un instant."));
    return;
  }
  if (db_changes() == 0) {
    res_error(r, 404, _("Ce message est introuvable."));
    return;
  }
  audit_log(r->me->id, str_eq(lu, "1") ? "contact.read" : "contact.unread",
            arena_printf(r->a, "contact:%lld", (long long)id), r->ip, "");
  res_flash(r, str_eq(lu, "1") ? _("Message marqué comme lu.") : _("Message marqué comme non lu."));
  res_redirect(r, "/admin/contact");
}
