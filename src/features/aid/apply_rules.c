/*
** apply_rules.c — the extra fields of a programme's request form and the
** département of a postcode. See apply_rules.h. Pure: no database, no
** allocation but the jansson values handed back.
*/
#include "features/aid/apply_rules.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"
#include "features/account/siret.h"
#include "features/aid/aid.h"

const aid_ftype aid_field_types[] = {
    {"text", N_("Texte")},
    {"number", N_("Nombre")},
    {"date", N_("Date")},
    {"choice", N_("Liste de choix")},
    {"yesno", N_("Oui / non")},
    {"file", N_("Fichier (PDF, JPEG, PNG)")},
    {"address", N_("Adresse")},
    {"siret", N_("SIRET")},
};
const int aid_nfield_types = (int)ARRAY_SIZE(aid_field_types);

const char *const aid_fcol_names[] = {"name", "label", "type", "min", "max", "choices"};

#define NUMBER_HINT "par exemple 7,4 ou 12 500"

/* ------------------------------------------------------------ small text */

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* z[0..len) without its leading and trailing blanks: returns the start and
** sets *n to the length left. */
static const char *trim_n(const char *z, size_t len, size_t *n) {
  while (len && is_space(*z)) z++, len--;
  while (len && is_space(z[len - 1])) len--;
  *n = len;
  return z;
}

static const char *trim(const char *z, size_t *n) { return trim_n(z, strlen(z), n); }

/* Copies the trimmed z into out (size cap); 1 when it fitted. */
static int copy_trim(const char *z, char *out, size_t cap) {
  size_t n;
  z = trim(z, &n);
  if (n >= cap) return 0;
  memcpy(out, z, n);
  out[n] = 0;
  return 1;
}

/* Characters (code points) of a UTF-8 string. */
static size_t utf8_len(const char *z) {
  size_t n = 0;
  for (; *z; z++)
    if (((unsigned char)*z & 0xC0) != 0x80) n++;
  return n;
}

/* 1 when z is a field name: a lower-case letter, then letters, digits, '_'. */
static int name_valid(const char *z) {
  if (!(*z >= 'a' && *z <= 'z')) return 0;
  for (; *z; z++)
    if (!((*z >= 'a' && *z <= 'z') || (*z >= '0' && *z <= '9') || *z == '_')) return 0;
  return 1;
}

/* The ASCII letter a Latin-1 letter of French text is written with, or 0:
** "é" → 'e', "Ç" → 'c', "œ" → 'o' (and the 'e' is lost: good enough). */
static char fold(unsigned cp) {
  static const struct {
    unsigned from, to;
    char c;
  } map[] = {{0xC0, 0xC5, 'a'}, {0xC7, 0xC7, 'c'}, {0xC8, 0xCB, 'e'}, {0xCC, 0xCF, 'i'}, {0xD1, 0xD1, 'n'},
             {0xD2, 0xD6, 'o'}, {0xD9, 0xDC, 'u'}, {0xDD, 0xDD, 'y'}, {0xE0, 0xE5, 'a'}, {0xE7, 0xE7, 'c'},
             {0xE8, 0xEB, 'e'}, {0xEC, 0xEF, 'i'}, {0xF1, 0xF1, 'n'}, {0xF2, 0xF6, 'o'}, {0xF9, 0xFC, 'u'},
             {0xFD, 0xFF, 'y'}, {0x152, 0x153, 'o'}};
  for (size_t i = 0; i < ARRAY_SIZE(map); i++)
    if (cp >= map[i].from && cp <= map[i].to) return map[i].c;
  return 0;
}

/* A field name made from a label: lower-case ASCII letters and digits,
** '_' for the rest, at most AID_FIELD_NAME_MAX - 4 bytes (room for "_30")
** and cap - 1.
** "champ" when nothing is left, and a leading digit gets "c_" before it. */
static void slug_of(const char *label, char *out, size_t cap) {
  assert(cap > 3);
  size_t k = 0, lim = cap - 3 < AID_FIELD_NAME_MAX - 4 ? cap - 3 : AID_FIELD_NAME_MAX - 4;
  const unsigned char *p = (const unsigned char *)label;
  while (*p && k < lim) {
    unsigned cp = *p;
    int len = 1;
    if (cp >= 0xC0 && cp < 0xE0 && (p[1] & 0xC0) == 0x80) cp = ((cp & 0x1F) << 6) | (p[1] & 0x3F), len = 2;
    else if (cp >= 0xE0) {
      while ((p[len] & 0xC0) == 0x80) len++;
      cp = 0xFFFF; /* not a letter we fold */
    }
    char c = cp < 0x80 ? (char)cp : fold(cp);
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[k++] = c;
    else if (k && out[k - 1] != '_') out[k++] = '_';
    p += len;
  }
  while (k && out[k - 1] == '_') k--;
  out[k] = 0;
  if (!k) snprintf(out, cap, "champ");
  else if (out[0] >= '0' && out[0] <= '9') { /* room was kept for the prefix */
    memmove(out + 2, out, k + 1);
    out[0] = 'c';
    out[1] = '_';
  }
}

/* hundredths → "7,4", "12500", "0,05" (no grouping: reads back the same). */
static void hundredths_text(int64_t v, char *out, size_t n) {
  const char *sign = v < 0 ? "-" : "";
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  if (u % 100 == 0) snprintf(out, n, "%s%llu", sign, (unsigned long long)(u / 100));
  else if (u % 10 == 0) snprintf(out, n, "%s%llu,%llu", sign, (unsigned long long)(u / 100), (unsigned long long)(u % 100 / 10));
  else snprintf(out, n, "%s%llu,%02llu", sign, (unsigned long long)(u / 100), (unsigned long long)(u % 100));
}

/* A JSON number as hundredths (rounded). */
static int64_t json_hundredths(const json_t *v) {
  if (json_is_integer(v)) return json_integer_value(v) * 100;
  return (int64_t)llround(json_number_value(v) * 100.0);
}

/* Hundredths as the JSON number stored: an integer when whole. */
static json_t *hundredths_json(int64_t v) {
  if (v % 100 == 0) return json_integer(v / 100);
  return json_real((double)v / 100.0);
}

static const char *def_str(const json_t *def, const char *key) {
  const char *z = json_string_value(json_object_get(def, key));
  return z ? z : "";
}

/* ------------------------------------------------------------ definitions */

int aid_field_row_blank(const aid_field_row *row) {
  size_t n;
  const char *const in[] = {row->name, row->label, row->min, row->max, row->choices};
  for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
    trim(in[i], &n);
    if (n) return 0;
  }
  return 1;
}

static int type_known(const char *code) {
  for (int i = 0; i < aid_nfield_types; i++)
    if (!strcmp(aid_field_types[i].code, code)) return 1;
  return 0;
}

/* The errors being written, and room left. */
typedef struct errs {
  aid_field_error *e;
  int n, max;
} errs;

static void add_err(errs *es, int row, aid_fcol col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add_err(errs *es, int row, aid_fcol col, const char *fmt, ...) {
  for (int i = 0; i < es->n && i < es->max; i++) /* past max, errors are counted, not kept */
    if (es->e[i].row == row && es->e[i].col == col) return; /* one per input */
  if (es->n >= es->max) {
    es->n++; /* still counted: the table is refused */
    return;
  }
  aid_field_error *e = &es->e[es->n++];
  e->row = row;
  e->col = col;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}

/* Splits a list of choices (';' or newline between them) into a JSON array
** of trimmed, non-empty choices; errors go on the row's choices input. */
static json_t *choices_parse(const char *z, int row, const char *who, errs *es) {
  json_t *a = json_array();
  while (*z) {
    size_t len = strcspn(z, ";\n"), n;
    const char *c = trim_n(z, len, &n);
    z += len + (z[len] != 0);
    if (!n) continue;
    if (n > AID_FIELD_CHOICE_MAX) {
      add_err(es, row, AID_FCOL_CHOICES, _("%s : chaque choix tient en %d caractères au plus."), who,
              AID_FIELD_CHOICE_MAX);
      break;
    }
    size_t i;
    json_t *v;
    int dup = 0;
    json_array_foreach(a, i, v) {
      if (strlen(json_string_value(v)) == n && !memcmp(json_string_value(v), c, n)) dup = 1;
    }
    if (dup) {
      add_err(es, row, AID_FCOL_CHOICES, _("%s : le choix « %.*s » est donné deux fois."), who, (int)n, c);
      break;
    }
    json_array_append_new(a, json_stringn(c, n));
  }
  if (json_array_size(a) < 2)
    add_err(es, row, AID_FCOL_CHOICES,
            _("%s : une liste de choix en propose deux au moins, séparés par des points-virgules (par exemple "
              "« souterrain ; aérien »)."),
            who);
  else if (json_array_size(a) > AID_FIELD_CHOICES_MAX)
    add_err(es, row, AID_FCOL_CHOICES, _("%s : %d choix au plus."), who, AID_FIELD_CHOICES_MAX);
  return a;
}

/* Reads a row's min or max into *v (hundredths for numbers, characters for
** text); 1 when given and valid, 0 when empty or refused (error written). */
static int bound_parse(const char *z, const char *type, int row, aid_fcol col, const char *who, errs *es,
                       int64_t *v) {
  size_t n;
  z = trim(z, &n);
  if (!n) return 0;
  const char *what = col == AID_FCOL_MIN ? _("Le minimum") : _("Le maximum");
  char num[40];
  if (n >= sizeof num) n = sizeof num - 1;
  memcpy(num, z, n);
  num[n] = 0;
  if (!strcmp(type, "text")) {
    if (aid_parse_count(num, AID_FIELD_TEXT_MAX, v) != 0) {
      add_err(es, row, col, _("%s : %s d’un texte est un nombre entier de caractères, de 1 à %d."), who, what,
              AID_FIELD_TEXT_MAX);
      return 0;
    }
    return 1;
  }
  if (!strcmp(type, "number")) {
    if (aid_parse_hundredths(num, AID_FIELD_NUMBER_MAX, v) != 0) {
      add_err(es, row, col, _("%s : %s est un nombre positif, avec deux décimales au plus (" NUMBER_HINT ")."), who,
              what);
      return 0;
    }
    return 1;
  }
  add_err(es, row, col,
          _("%s : %s ne s’applique qu’aux types « Texte » (longueur) et « Nombre » (valeur) ; laissez-le vide."),
          who, what);
  return 0;
}

/* 1 when name is taken by a row before `upto` or by an explicit name. */
static int name_taken(json_t *out, size_t from, json_t *explicit_names, const char *name) {
  size_t i;
  json_t *v;
  for (i = from; i < json_array_size(out); i++)
    if (!strcmp(def_str(json_array_get(out, i), "name"), name)) return 1;
  json_array_foreach(explicit_names, i, v) {
    if (!strcmp(json_string_value(v), name)) return 1;
  }
  return 0;
}

int aid_fields_parse(const aid_field_row *rows, int n, json_t *out, aid_field_error *errv, int maxerr) {
  errs es = {errv, 0, maxerr};
  size_t first = json_array_size(out);
  /* The names the admin typed, so that a made-up name never takes one. */
  json_t *explicit_names = json_array();
  for (int i = 0; i < n; i++) {
    char name[AID_FIELD_NAME_MAX + 1];
    if (!aid_field_row_blank(&rows[i]) && copy_trim(rows[i].name, name, sizeof name) && *name)
      json_array_append_new(explicit_names, json_string(name));
  }
  int count = 0;
  for (int i = 0; i < n; i++) {
    const aid_field_row *rw = &rows[i];
    if (aid_field_row_blank(rw)) continue;
    char label[AID_FIELD_LABEL_MAX + 1], type[16], who[AID_FIELD_LABEL_MAX + 40];
    char name[AID_FIELD_NAME_MAX + 16]; /* room for a made-up name's "_N" */
    int label_ok = copy_trim(rw->label, label, sizeof label);
    if (label_ok && *label) snprintf(who, sizeof who, _("Champ %d (« %s »)"), i + 1, label);
    else snprintf(who, sizeof who, _("Champ %d"), i + 1);
    if (++count > AID_FIELDS_MAX) {
      add_err(&es, i, AID_FCOL_LABEL, _("%s : un programme a %d champs complémentaires au plus."), who,
              AID_FIELDS_MAX);
      continue;
    }
    if (!label_ok) {
      add_err(&es, i, AID_FCOL_LABEL, _("%s : le libellé tient en %d caractères au plus."), who,
              AID_FIELD_LABEL_MAX);
      *label = 0;
    } else if (!*label) {
      add_err(&es, i, AID_FCOL_LABEL, _("%s : donnez un libellé, la question que lit le demandeur."), who);
    } else {
      for (size_t k = first; k < json_array_size(out); k++)
        if (!strcmp(def_str(json_array_get(out, k), "label"), label))
          add_err(&es, i, AID_FCOL_LABEL, _("%s : ce libellé est déjà celui d’un autre champ."), who);
    }
    if (!copy_trim(rw->type, type, sizeof type) || !type_known(type)) {
      add_err(&es, i, AID_FCOL_TYPE, _("%s : choisissez un des types proposés."), who);
      *type = 0;
    }
    if (!copy_trim(rw->name, name, AID_FIELD_NAME_MAX + 1)) {
      add_err(&es, i, AID_FCOL_NAME, _("%s : le nom technique tient en %d caractères au plus."), who,
              AID_FIELD_NAME_MAX);
      *name = 0;
    } else if (*name) {
      if (!name_valid(name))
        add_err(&es, i, AID_FCOL_NAME,
                _("%s : le nom technique s’écrit en minuscules sans accents (lettres, chiffres et _), en "
                  "commençant par une lettre, par exemple puissance_kw."),
                who);
      else if (name_taken(out, first, NULL, name))
        add_err(&es, i, AID_FCOL_NAME, _("%s : le nom technique « %s » est déjà celui d’un autre champ."), who,
                name);
    } else if (*label) {
      char base[AID_FIELD_NAME_MAX + 1];
      slug_of(label, base, sizeof base);
      snprintf(name, sizeof name, "%s", base);
      for (int k = 2; name_taken(out, first, explicit_names, name); k++)
        snprintf(name, sizeof name, "%s_%d", base, k);
    }
    int64_t vmin = 0, vmax = 0;
    int has_min = *type && bound_parse(rw->min, type, i, AID_FCOL_MIN, who, &es, &vmin);
    int has_max = *type && bound_parse(rw->max, type, i, AID_FCOL_MAX, who, &es, &vmax);
    if (has_min && has_max && vmin > vmax)
      add_err(&es, i, AID_FCOL_MAX, _("%s : le maximum doit être supérieur ou égal au minimum."), who);
    json_t *choices = NULL;
    size_t nch;
    trim(rw->choices, &nch);
    if (!strcmp(type, "choice")) choices = choices_parse(rw->choices, i, who, &es);
    else if (nch && *type)
      add_err(&es, i, AID_FCOL_CHOICES,
              _("%s : les choix ne s’appliquent qu’au type « Liste de choix » ; laissez-les vides."), who);
    json_t *def = json_object();
    json_object_set_new(def, "name", json_string(name));
    json_object_set_new(def, "label", json_string(label));
    json_object_set_new(def, "type", json_string(type));
    json_object_set_new(def, "required", json_boolean(!strcmp(rw->required, "1")));
    if (has_min) json_object_set_new(def, "min", !strcmp(type, "text") ? json_integer(vmin) : hundredths_json(vmin));
    if (has_max) json_object_set_new(def, "max", !strcmp(type, "text") ? json_integer(vmax) : hundredths_json(vmax));
    if (choices) json_object_set_new(def, "choices", choices);
    json_array_append_new(out, def);
  }
  json_decref(explicit_names);
  return es.n;
}

void aid_field_to_texts(const json_t *def, aid_field_texts *t) {
  snprintf(t->name, sizeof t->name, "%s", def_str(def, "name"));
  snprintf(t->label, sizeof t->label, "%s", def_str(def, "label"));
  snprintf(t->type, sizeof t->type, "%s", def_str(def, "type"));
  snprintf(t->required, sizeof t->required, "%s", json_is_true(json_object_get(def, "required")) ? "1" : "");
  int text = !strcmp(t->type, "text");
  const json_t *bounds[2] = {json_object_get(def, "min"), json_object_get(def, "max")};
  char *dst[2] = {t->min, t->max};
  for (int i = 0; i < 2; i++) {
    *dst[i] = 0;
    if (!json_is_number(bounds[i])) continue;
    if (text) snprintf(dst[i], sizeof t->min, "%lld", (long long)json_integer_value(bounds[i]));
    else hundredths_text(json_hundredths(bounds[i]), dst[i], sizeof t->min);
  }
  buf b = {0};
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(def, "choices"), i, v) {
    if (i) buf_puts(&b, " ; ");
    buf_puts(&b, json_string_value(v));
  }
  snprintf(t->choices, sizeof t->choices, "%s", buf_str(&b));
  buf_free(&b);
}

/* ------------------------------------------------------------ values */

static int date_ok(int y, int m, int d) {
  static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > days[m - 1]) return 0;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

/* Reads n digits at z into *v; 1 when they are all digits. */
static int digits(const char *z, int n, int *v) {
  *v = 0;
  for (int i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') return 0;
    *v = *v * 10 + (z[i] - '0');
  }
  return 1;
}

/* "2026-09-01" or "01/09/2026" → "2026-09-01" in out[11]; 1 when a real
** date of 1900 to 2100. */
static int date_parse(const char *z, char out[11]) {
  int y, m, d;
  if (strlen(z) != 10) return 0;
  if (z[4] == '-' && z[7] == '-') {
    if (!digits(z, 4, &y) || !digits(z + 5, 2, &m) || !digits(z + 8, 2, &d)) return 0;
  } else if (z[2] == '/' && z[5] == '/') {
    if (!digits(z, 2, &d) || !digits(z + 3, 2, &m) || !digits(z + 6, 4, &y)) return 0;
  } else {
    return 0;
  }
  if (!date_ok(y, m, d)) return 0;
  /* date_ok bounds the values: 4, 2 and 2 digits (the cast tells the compiler). */
  snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
  return 1;
}

/* 1 when z holds a 5-digit group standing alone (a postcode). */
static int has_postcode(const char *z) {
  for (const char *p = z; *p; p++) {
    if (p > z && p[-1] >= '0' && p[-1] <= '9') continue;
    int n = 0;
    while (p[n] >= '0' && p[n] <= '9') n++;
    if (n == 5) return 1;
  }
  return 0;
}

int aid_field_check(const json_t *def, const char *in, json_t **out, char *err, size_t n) {
  const char *type = def_str(def, "type"), *label = def_str(def, "label");
  *out = NULL;
  size_t len;
  const char *z0 = trim(in, &len);
  char z[AID_FIELD_TEXT_MAX * 4 + 1];
  if (len >= sizeof z) {
    snprintf(err, n, _("« %s » : %d caractères au plus."), label, AID_FIELD_TEXT_MAX);
    return -1;
  }
  memcpy(z, z0, len);
  z[len] = 0;
  if (!*z) {
    if (!json_is_true(json_object_get(def, "required"))) return 0;
    if (!strcmp(type, "yesno")) snprintf(err, n, _("Répondez à « %s »."), label);
    else if (!strcmp(type, "choice")) snprintf(err, n, _("Choisissez une réponse pour « %s »."), label);
    else snprintf(err, n, _("Renseignez « %s »."), label);
    return -1;
  }
  const json_t *jmin = json_object_get(def, "min"), *jmax = json_object_get(def, "max");
  if (!strcmp(type, "text")) {
    size_t chars = utf8_len(z);
    int64_t max = json_is_number(jmax) ? json_integer_value(jmax) : AID_FIELD_TEXT_MAX;
    if (json_is_number(jmin) && (int64_t)chars < json_integer_value(jmin)) {
      snprintf(err, n, _("« %s » : %lld caractères au moins (vous en avez écrit %zu)."), label,
               (long long)json_integer_value(jmin), chars);
      return -1;
    }
    if ((int64_t)chars > max) {
      snprintf(err, n, _("« %s » : %lld caractères au plus (vous en avez écrit %zu)."), label, (long long)max, chars);
      return -1;
    }
    *out = json_string(z);
  } else if (!strcmp(type, "address")) {
    if (len > AID_FIELD_ADDRESS_MAX) {
      snprintf(err, n, _("« %s » : %d caractères au plus."), label, AID_FIELD_ADDRESS_MAX);
      return -1;
    }
    if (!has_postcode(z)) {
      snprintf(err, n,
               _("« %s » : indiquez l’adresse complète avec son code postal, par exemple « 2 quai Valin, 17000 "
                 "La Rochelle »."),
               label);
      return -1;
    }
    *out = json_string(z);
  } else if (!strcmp(type, "number")) {
    int64_t v;
    if (aid_parse_hundredths(z, AID_FIELD_NUMBER_MAX, &v) != 0) {
      snprintf(err, n, _("« %s » : indiquez un nombre positif, avec deux décimales au plus (" NUMBER_HINT ")."),
               label);
      return -1;
    }
    int has_min = json_is_number(jmin), has_max = json_is_number(jmax);
    int64_t lo = has_min ? json_hundredths(jmin) : 0, hi = has_max ? json_hundredths(jmax) : 0;
    if ((has_min && v < lo) || (has_max && v > hi)) {
      char a[32], b[32];
      hundredths_text(lo, a, sizeof a);
      hundredths_text(hi, b, sizeof b);
      if (has_min && has_max) snprintf(err, n, _("« %s » : indiquez un nombre entre %s et %s."), label, a, b);
      else if (has_min) snprintf(err, n, _("« %s » : indiquez un nombre supérieur ou égal à %s."), label, a);
      else snprintf(err, n, _("« %s » : indiquez un nombre inférieur ou égal à %s."), label, b);
      return -1;
    }
    *out = hundredths_json(v);
  } else if (!strcmp(type, "date")) {
    char iso[11];
    if (!date_parse(z, iso)) {
      snprintf(err, n, _("« %s » : indiquez une date valide, par exemple 15/09/2026."), label);
      return -1;
    }
    *out = json_string(iso);
  } else if (!strcmp(type, "choice")) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(def, "choices"), i, c) {
      if (!strcmp(json_string_value(c), z)) *out = json_string(z);
    }
    if (!*out) {
      snprintf(err, n, _("« %s » : choisissez une des réponses proposées."), label);
      return -1;
    }
  } else if (!strcmp(type, "yesno")) {
    if (!strcmp(z, "oui")) *out = json_true();
    else if (!strcmp(z, "non")) *out = json_false();
    else {
      snprintf(err, n, _("« %s » : répondez par oui ou par non."), label);
      return -1;
    }
  } else if (!strcmp(type, "siret")) {
    char d[15];
    if (siret_normalize(z, d) != 0) {
      snprintf(err, n, _("« %s » : le SIRET compte 14 chiffres (9 du SIREN puis 5 de l’établissement)."), label);
      return -1;
    }
    if (!siret_valid(d)) {
      snprintf(err, n, _("« %s » : ce numéro SIRET n’est pas valide ; vérifiez les chiffres (clé de contrôle "
                         "incorrecte)."), label);
      return -1;
    }
    *out = json_string(d);
  } else {
    /* file: the pages store the document; an unknown type cannot be saved. */
    snprintf(err, n, _("« %s » : ce champ ne se remplit pas ainsi."), label);
    return -1;
  }
  return 0;
}

void aid_field_input(const json_t *def, const json_t *v, char *out, size_t n) {
  const char *type = def_str(def, "type");
  if (!v || json_is_null(v) || !strcmp(type, "file")) snprintf(out, n, "%s", "");
  else if (json_is_boolean(v)) snprintf(out, n, "%s", json_is_true(v) ? "oui" : "non");
  else if (json_is_number(v)) hundredths_text(json_hundredths(v), out, n);
  else snprintf(out, n, "%s", json_string_value(v) ? json_string_value(v) : "");
}

void aid_field_display(const json_t *def, const json_t *v, char *out, size_t n) {
  const char *type = def_str(def, "type");
  const char *z = json_string_value(v);
  if (json_is_boolean(v)) snprintf(out, n, "%s", json_is_true(v) ? _("Oui") : _("Non"));
  else if (!strcmp(type, "date") && z && strlen(z) == 10) snprintf(out, n, "%.2s/%.2s/%.4s", z + 8, z + 5, z);
  else if (!strcmp(type, "siret") && z && strlen(z) == 14) snprintf(out, n, "%.3s %.3s %.3s %.5s", z, z + 3, z + 6, z + 9);
  else aid_field_input(def, v, out, n);
}

/* ------------------------------------------------------------ départements */

int aid_departement_of(const char *postcode, char *out, size_t n) {
  int v;
  if (!postcode || strlen(postcode) != 5 || !digits(postcode, 5, &v) || n < 4) return -1;
  int two = v / 1000, three = v / 100;
  if (two == 20) { /* Corsica: 200xx-201xx Corse-du-Sud, 202xx-206xx Haute-Corse */
    if (three <= 201) snprintf(out, n, "2A");
    else if (three <= 206) snprintf(out, n, "2B");
    else return -1;
  } else if (two == 97) { /* overseas: 971 Guadeloupe … 976 Mayotte */
    if (three < 971 || three > 976) return -1;
    snprintf(out, n, "%d", three);
  } else if (two >= 1 && two <= 95) {
    snprintf(out, n, "%02d", two);
  } else {
    return -1;
  }
  return 0;
}
