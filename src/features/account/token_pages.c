/*
** token_pages.c — "Mon compte › Jetons d'API": a user creates named tokens
** for programs that call /api/v1 on their behalf (an operator's CRM, a
** charging operator's data feed), sees when each was last used, and
** revokes them. The token is shown once, right after it is made; the
** database keeps its hash only (core/auth.c).
**
** GET /api/v1/moi answers who a token (or a session) belongs to, so that
** an integrator can check a token before wiring it in.
*/
#include "core/audit.h"
#include "core/auth.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"

#include "features/account/account.h"

#define TOKEN_NAME_MAX 80   /* characters of a token's name */
#define TOKENS_MAX 20       /* live tokens per user */

/* The page's data: the user's live tokens, newest first. */
static json_t *tokens_data(req *r) {
  json_t *d = json_object(), *list = json_array();
  db_stmt *s = db_query("SELECT id, name, hint, created_at, coalesce(last_used_at, 0) FROM api_tokens"
                        " WHERE user_id=? AND revoked_at IS NULL ORDER BY id DESC",
                        "i", r->me->id);
  while (db_step(s) == DB_ROW) {
    json_t *t = json_object();
    json_object_set_new(t, "id", json_integer(db_int(s, 0)));
    json_object_set_new(t, "name", json_string(db_text(s, 1)));
    json_object_set_new(t, "hint", json_string(db_text(s, 2)));
    json_object_set_new(t, "created", json_string(fmt_datetime(r->a, db_int(s, 3), "")));
    json_object_set_new(t, "used", json_string(fmt_datetime(r->a, db_int(s, 4), _("jamais"))));
    json_array_append_new(list, t);
  }
  db_done(s);
  json_object_set_new(d, "has_tokens", json_boolean(json_array_size(list) > 0));
  json_object_set_new(d, "tokens", list);
  return d;
}

void tokens_page(req *r) { res_page(r, 200, "account/tokens", tokens_data(r)); }

void token_post(req *r) {
  static const char *const fields[] = {"name", NULL};
  form f;
  form_init(&f, r, fields);
  if (form_required(&f, "name", _("le nom du jeton"))) form_maxlen(&f, "name", TOKEN_NAME_MAX);
  if (!f.nerr && db_get_int(0, "SELECT count(*) FROM api_tokens WHERE user_id=? AND revoked_at IS NULL", "i",
                            r->me->id) >= TOKENS_MAX)
    form_error(&f, "name", _("Vous avez déjà 20 jetons actifs : révoquez-en un avant d’en créer un autre."));
  char tok[44];
  int64_t id = f.nerr ? 0 : auth_api_token_create(r->me->id, form_get(&f, "name"), tok);
  json_t *d = tokens_data(r);
  if (f.nerr || id < 0) {
    if (id < 0) form_error(&f, "name", _("Le jeton n’a pas pu être créé : réessayez."));
    form_into(&f, d);
    res_page(r, 422, "account/tokens", d);
    return;
  }
  audit_log(r->me->id, "account.token_create", arena_printf(r->a, "token:%lld", (long long)id), r->ip,
            form_get(&f, "name"));
  json_object_set_new(d, "new_token", json_string(tok));
  json_object_set_new(d, "new_name", json_string(form_get(&f, "name")));
  res_page(r, 201, "account/tokens", d);
}

void token_revoke_post(req *r) {
  int64_t id;
  if (req_id_or_reply(r, "id", &id)) return;
  if (!auth_api_token_revoke(r->me->id, id)) {
    res_error(r, 404, _("Ce jeton n’existe pas ou est déjà révoqué."));
    return;
  }
  audit_log(r->me->id, "account.token_revoke", arena_printf(r->a, "token:%lld", (long long)id), r->ip, "");
  res_flash(r, _("Le jeton est révoqué : les programmes qui l’utilisent n’ont plus accès."));
  res_redirect(r, "/compte/jetons");
}

void me_api(req *r) {
  json_t *d = json_object();
  json_object_set_new(d, "id", json_integer(r->me->id));
  json_object_set_new(d, "email", json_string(r->me->email));
  json_object_set_new(d, "roles", json_string(r->me->roles));
  json_object_set_new(d, "token", json_boolean(r->token_id != 0));
  res_json(r, 200, d);
}
