/*
** form.c — form values and errors for re-display (see form.h).
*/
#include "core/form.h"

#include <ctype.h>
#include <string.h>

#include "core/i18n.h"

static void decref_cb(void *p) { json_decref(p); }

void form_init(form *f, req *r, const char *const *names) {
  f->r = r;
  f->nerr = 0;
  f->data = json_object();
  arena_defer(r->a, decref_cb, f->data);
  json_t *vals = json_object();
  for (int i = 0; names && names[i]; i++)
    json_object_set_new(vals, names[i], json_string(req_form_trim(r, names[i])));
  json_object_set_new(f->data, "f", vals);
  json_object_set_new(f->data, "err", json_object());
  json_object_set_new(f->data, "errors", json_array());
}

const char *form_get(form *f, const char *name) {
  json_t *v = json_object_get(json_object_get(f->data, "f"), name);
  if (v && json_is_string(v)) return json_string_value(v);
  return req_form_trim(f->r, name);
}

void form_set(form *f, const char *name, const char *value) {
  json_object_set_new(json_object_get(f->data, "f"), name, json_string(value ? value : ""));
}

void form_error(form *f, const char *name, const char *msg) {
  json_t *err = json_object_get(f->data, "err");
  if (json_object_get(err, name)) return;
  json_object_set_new(err, name, json_string(msg));
  json_t *e = json_object();
  json_object_set_new(e, "field", json_string(name));
  json_object_set_new(e, "message", json_string(msg));
  json_array_append_new(json_object_get(f->data, "errors"), e);
  f->nerr++;
}

void form_into(form *f, json_t *data) {
  json_t *vals = json_deep_copy(json_object_get(f->data, "f"));
  const char *k;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(vals, tmp, k, v) {
    if (str_startswith(k, "password")) json_object_del(vals, k);
  }
  json_object_set_new(data, "f", vals);
  json_object_set(data, "err", json_object_get(f->data, "err"));
  json_object_set(data, "errors", json_object_get(f->data, "errors"));
  if (f->nerr) json_object_set_new(data, "has_errors", json_true());
}

int form_required(form *f, const char *name, const char *label) {
  if (*form_get(f, name)) return 1;
  form_error(f, name, arena_printf(f->r->a, _("Renseignez %s."), label));
  return 0;
}

int form_maxlen(form *f, const char *name, size_t max) {
  if (strlen(form_get(f, name)) <= max) return 1;
  form_error(f, name, arena_printf(f->r->a, _("%zu caractères au plus."), max));
  return 0;
}

int form_email(form *f, const char *name) {
  const char *v = form_get(f, name);
  const char *at = strchr(v, '@');
  size_t n = strlen(v);
  int ok = at && at != v && strchr(at + 1, '.') && at[1] != '.' && v[n - 1] != '.' &&
           !strchr(at + 1, '@') && n <= 254;
  for (const char *p = v; ok && *p; p++)
    if (isspace((unsigned char)*p) || *p == '<' || *p == '>' || *p == ',' || *p == ';' ||
        *p == '"' || (unsigned char)*p < 0x20)
      ok = 0;
  if (!ok) form_error(f, name, _("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."));
  return ok;
}

int form_phone(form *f, const char *name) {
  const char *v = form_get(f, name);
  char digits[20];
  size_t n = 0;
  int plus = 0;
  for (const char *p = v; *p; p++) {
    if (isdigit((unsigned char)*p)) {
      if (n < sizeof digits - 1) digits[n++] = *p;
      else n = sizeof digits; /* too long */
    } else if (*p == '+' && p == v) {
      plus = 1;
    } else if (*p != ' ' && *p != '.' && *p != '-') {
      n = 0;
      break;
    }
  }
  int ok = (!plus && n == 10 && digits[0] == '0' && digits[1] != '0') ||
           (plus && n >= 11 && n <= 15);
  if (!ok) form_error(f, name, _("Saisissez un numéro de téléphone valide, par exemple 05 46 00 00 00."));
  return ok;
}

int form_postcode(form *f, const char *name) {
  const char *v = form_get(f, name);
  int ok = strlen(v) == 5 && strspn(v, "0123456789") == 5;
  if (!ok) form_error(f, name, _("Le code postal compte 5 chiffres."));
  return ok;
}

int form_oneof(form *f, const char *name, const char *const *allowed) {
  const char *v = form_get(f, name);
  for (int i = 0; allowed[i]; i++)
    if (!strcmp(v, allowed[i])) return 1;
  form_error(f, name, _("Choisissez une des options proposées."));
  return 0;
}
