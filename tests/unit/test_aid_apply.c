/*
** test_aid_apply.c — the pure rules of the applicant's form
** (features/aid/apply_rules.h): the admin's table of extra fields and its
** French errors, names made from labels, a definition shown again and
** parsed back unchanged, each type's value check and display, and the
** département of a postcode.
*/
#include <criterion/criterion.h>
#include <string.h>

#include "features/aid/apply_rules.h"

#define ROW(name, label, type, req, min, max, choices) {name, label, type, req, min, max, choices}

/* Parses rows; returns the definitions (or NULL with the errors in e). */
static json_t *parse(const aid_field_row *rows, int n, aid_field_error *e, int *nerr) {
  json_t *out = json_array();
  *nerr = aid_fields_parse(rows, n, out, e, 16);
  return out;
}

static const char *str(json_t *def, const char *key) { return json_string_value(json_object_get(def, key)); }

Test(fields_parse, every_type_and_blank_rows) {
  aid_field_row rows[] = {
      ROW("puissance_kw", "Puissance installée (kW)", "number", "1", "3,7", "350", ""),
      ROW("", "", "text", "", "", "", ""), /* the blank line at the end of the table */
      ROW("", "Type de parking", "choice", "", "", "", "souterrain ; aérien\nmixte"),
      ROW("", "Commentaire", "text", "", "10", "500", ""),
      ROW("", "Date de mise en service", "date", "1", "", "", ""),
      ROW("", "Pilotage ?", "yesno", "", "", "", ""),
      ROW("", "Plan", "file", "1", "", "", ""),
      ROW("", "Adresse du site", "address", "", "", "", ""),
      ROW("", "SIRET du syndic", "siret", "", "", "", ""),
  };
  aid_field_error e[16];
  int nerr;
  json_t *out = parse(rows, 9, e, &nerr);
  cr_assert_eq(nerr, 0, "%s", nerr ? e[0].msg : "");
  cr_assert_eq(json_array_size(out), 8);
  json_t *p = json_array_get(out, 0);
  cr_assert_str_eq(str(p, "name"), "puissance_kw");
  cr_assert(json_is_true(json_object_get(p, "required")));
  cr_assert(json_is_real(json_object_get(p, "min")));
  cr_assert_float_eq(json_real_value(json_object_get(p, "min")), 3.7, 1e-9);
  cr_assert_eq(json_integer_value(json_object_get(p, "max")), 350);
  json_t *c = json_array_get(out, 1);
  cr_assert_str_eq(str(c, "name"), "type_de_parking");
  cr_assert_eq(json_array_size(json_object_get(c, "choices")), 3);
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "choices"), 1)), "aérien");
  cr_assert(json_is_false(json_object_get(c, "required")));
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(out, 2), "min")), 10);
  cr_assert_str_eq(str(json_array_get(out, 3), "name"), "date_de_mise_en_service");
  cr_assert_str_eq(str(json_array_get(out, 4), "name"), "pilotage");
  json_decref(out);
}

Test(fields_parse, made_up_names_are_unique_and_avoid_typed_ones) {
  aid_field_row rows[] = {
      ROW("", "Équipement", "text", "", "", "", ""),
      ROW("", "équipement", "text", "", "", "", ""),
      ROW("equipement_3", "Autre", "text", "", "", "", ""),
      ROW("", "ÉQUIPEMENT !", "text", "", "", "", ""),
      ROW("", "2e borne", "text", "", "", "", ""),
      ROW("", "€€€", "text", "", "", "", ""),
  };
  aid_field_error e[16];
  int nerr;
  json_t *out = parse(rows, 6, e, &nerr);
  cr_assert_eq(nerr, 0, "%s", nerr ? e[0].msg : "");
  cr_assert_str_eq(str(json_array_get(out, 0), "name"), "equipement");
  cr_assert_str_eq(str(json_array_get(out, 1), "name"), "equipement_2");
  cr_assert_str_eq(str(json_array_get(out, 2), "name"), "equipement_3");
  cr_assert_str_eq(str(json_array_get(out, 3), "name"), "equipement_4"); /* _3 is typed below */
  cr_assert_str_eq(str(json_array_get(out, 4), "name"), "c_2e_borne");
  cr_assert_str_eq(str(json_array_get(out, 5), "name"), "champ");
  json_decref(out);
}

/* The one error of a single row, on column col. */
static const char *one_error(aid_field_row row, aid_fcol col) {
  static aid_field_error e[16];
  int nerr;
  json_t *out = parse(&row, 1, e, &nerr);
  json_decref(out);
  cr_assert_eq(nerr, 1, "expected one error, got %d (%s)", nerr, nerr ? e[0].msg : "");
  cr_assert_eq(e[0].row, 0);
  cr_assert_eq(e[0].col, col, "column %d: %s", e[0].col, e[0].msg);
  return e[0].msg;
}

Test(fields_parse, each_error_in_french_on_its_input) {
  static const struct {
    aid_field_row row;
    aid_fcol col;
    const char *says;
  } cases[] = {
      {ROW("x", "", "text", "", "", "", ""), AID_FCOL_LABEL, "donnez un libellé"},
      {ROW("", "A", "texte", "", "", "", ""), AID_FCOL_TYPE, "types proposés"},
      {ROW("Puissance", "A", "text", "", "", "", ""), AID_FCOL_NAME, "minuscules sans accents"},
      {ROW("", "A", "number", "", "abc", "", ""), AID_FCOL_MIN, "Le minimum est un nombre positif"},
      {ROW("", "A", "number", "", "1,234", "", ""), AID_FCOL_MIN, "deux décimales"},
      {ROW("", "A", "text", "", "", "0", ""), AID_FCOL_MAX, "nombre entier de caractères"},
      {ROW("", "A", "number", "", "10", "5", ""), AID_FCOL_MAX, "supérieur ou égal au minimum"},
      {ROW("", "A", "date", "", "1", "", ""), AID_FCOL_MIN, "ne s’applique qu’aux types"},
      {ROW("", "A", "choice", "", "", "", "seul"), AID_FCOL_CHOICES, "deux au moins"},
      {ROW("", "A", "choice", "", "", "", "a;b;a"), AID_FCOL_CHOICES, "« a » est donné deux fois"},
      {ROW("", "A", "text", "", "", "", "a;b"), AID_FCOL_CHOICES, "Liste de choix"},
      /* The message names the row and its label. */
      {ROW("", "Puissance", "number", "", "x", "", ""), AID_FCOL_MIN, "Champ 1 (« Puissance »)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *msg = one_error(cases[i].row, cases[i].col);
    cr_assert(strstr(msg, cases[i].says), "case %zu: %s", i, msg);
  }
}

Test(fields_parse, duplicate_name_and_too_many_fields) {
  aid_field_row rows[AID_FIELDS_MAX + 2];
  char labels[AID_FIELDS_MAX + 2][24];
  for (int i = 0; i < AID_FIELDS_MAX + 2; i++) {
    snprintf(labels[i], sizeof labels[i], "Champ %d", i);
    rows[i] = (aid_field_row)ROW("", labels[i], "text", "", "", "", "");
  }
  rows[1].name = "champ_0";
  rows[2].name = "champ_0";
  aid_field_error e[16];
  int nerr;
  json_t *out = parse(rows, AID_FIELDS_MAX + 2, e, &nerr);
  json_decref(out);
  cr_assert_eq(nerr, 3);
  cr_assert_eq(e[0].row, 2);
  cr_assert(strstr(e[0].msg, "déjà celui d’un autre champ"), "%s", e[0].msg);
  cr_assert_eq(e[1].row, AID_FIELDS_MAX);
  cr_assert(strstr(e[1].msg, "30 champs complémentaires au plus"), "%s", e[1].msg);
}

Test(fields_parse, stored_definition_reads_back_unchanged) {
  aid_field_row rows[] = {
      ROW("p", "Puissance", "number", "1", "0,05", "22,5", ""),
      ROW("c", "Choix", "choice", "", "", "", "un ; deux ; trois"),
      ROW("t", "Texte", "text", "1", "2", "40", ""),
  };
  aid_field_error e[16];
  int nerr;
  json_t *out = parse(rows, 3, e, &nerr);
  cr_assert_eq(nerr, 0);
  aid_field_texts t[3];
  aid_field_row back[3];
  for (int i = 0; i < 3; i++) {
    aid_field_to_texts(json_array_get(out, i), &t[i]);
    back[i] = (aid_field_row){t[i].name, t[i].label, t[i].type, t[i].required, t[i].min, t[i].max, t[i].choices};
  }
  cr_assert_str_eq(t[0].min, "0,05");
  cr_assert_str_eq(t[0].max, "22,5");
  cr_assert_str_eq(t[1].choices, "un ; deux ; trois");
  json_t *again = parse(back, 3, e, &nerr);
  cr_assert_eq(nerr, 0);
  cr_assert(json_equal(out, again));
  json_decref(out);
  json_decref(again);
}

/* ------------------------------------------------------------ values */

static json_t *def_of(const char *json) {
  json_error_t je;
  json_t *d = json_loads(json, 0, &je);
  cr_assert_not_null(d, "%s", je.text);
  return d;
}

/* Checks in against def: returns the error ("" when accepted), the value in *v. */
static const char *check(json_t *def, const char *in, json_t **v) {
  static char err[AID_FIELD_ERR];
  err[0] = 0;
  json_t *out = NULL;
  int rc = aid_field_check(def, in, &out, err, sizeof err);
  cr_assert(rc == 0 ? err[0] == 0 : err[0] != 0);
  if (v) *v = out;
  else json_decref(out);
  return err;
}

Test(field_check, required_and_optional_empty) {
  json_t *d = def_of("{\"name\":\"a\",\"label\":\"Surface\",\"type\":\"text\",\"required\":true}");
  cr_assert_str_eq(check(d, "   ", NULL), "Renseignez « Surface ».");
  json_object_set_new(d, "required", json_false());
  json_t *v = (json_t *)1;
  cr_assert_str_eq(check(d, "", &v), "");
  cr_assert_null(v);
  json_decref(d);
  d = def_of("{\"name\":\"a\",\"label\":\"Piloté\",\"type\":\"yesno\",\"required\":true}");
  cr_assert_str_eq(check(d, "", NULL), "Répondez à « Piloté ».");
  json_decref(d);
  d = def_of("{\"name\":\"a\",\"label\":\"Parking\",\"type\":\"choice\",\"required\":true,\"choices\":[\"a\",\"b\"]}");
  cr_assert_str_eq(check(d, "", NULL), "Choisissez une réponse pour « Parking ».");
  json_decref(d);
}

Test(field_check, text_length_in_characters) {
  json_t *d = def_of("{\"name\":\"a\",\"label\":\"Nom\",\"type\":\"text\",\"min\":3,\"max\":5}");
  cr_assert_str_eq(check(d, "éé", NULL), "« Nom » : 3 caractères au moins (vous en avez écrit 2).");
  cr_assert_str_eq(check(d, "ééééé", NULL), ""); /* 5 characters, 10 bytes */
  cr_assert_str_eq(check(d, "abcdef", NULL), "« Nom » : 5 caractères au plus (vous en avez écrit 6).");
  json_t *v;
  check(d, "  abc ", &v);
  cr_assert_str_eq(json_string_value(v), "abc");
  json_decref(v);
  json_decref(d);
}

Test(field_check, number_bounds_and_french_decimals) {
  json_t *d = def_of("{\"name\":\"p\",\"label\":\"Puissance\",\"type\":\"number\",\"min\":3.7,\"max\":22}");
  json_t *v;
  cr_assert_str_eq(check(d, "7,4", &v), "");
  cr_assert_float_eq(json_real_value(v), 7.4, 1e-9);
  json_decref(v);
  cr_assert_str_eq(check(d, "22", &v), "");
  cr_assert(json_is_integer(v));
  json_decref(v);
  cr_assert_str_eq(check(d, "3", NULL), "« Puissance » : indiquez un nombre entre 3,7 et 22.");
  cr_assert_str_eq(check(d, "sept", NULL),
                   "« Puissance » : indiquez un nombre positif, avec deux décimales au plus (par exemple 7,4 ou 12 500).");
  cr_assert_str_eq(check(d, "-4", NULL),
                   "« Puissance » : indiquez un nombre positif, avec deux décimales au plus (par exemple 7,4 ou 12 500).");
  json_object_del(d, "max");
  cr_assert_str_eq(check(d, "1", NULL), "« Puissance » : indiquez un nombre supérieur ou égal à 3,7.");
  json_object_del(d, "min");
  json_object_set_new(d, "max", json_integer(10));
  cr_assert_str_eq(check(d, "10,01", NULL), "« Puissance » : indiquez un nombre inférieur ou égal à 10.");
  json_decref(d);
}

Test(field_check, date_iso_or_french) {
  json_t *d = def_of("{\"name\":\"d\",\"label\":\"Mise en service\",\"type\":\"date\"}");
  json_t *v;
  cr_assert_str_eq(check(d, "15/09/2026", &v), "");
  cr_assert_str_eq(json_string_value(v), "2026-09-15");
  json_decref(v);
  cr_assert_str_eq(check(d, "1975-02-28", NULL), "");
  cr_assert_str_eq(check(d, "2024-02-29", NULL), "");
  cr_assert_str_eq(check(d, "2100-02-29", NULL), "« Mise en service » : indiquez une date valide, par exemple 15/09/2026.");
  cr_assert_str_eq(check(d, "2026-13-01", NULL), "« Mise en service » : indiquez une date valide, par exemple 15/09/2026.");
  cr_assert_str_eq(check(d, "demain", NULL), "« Mise en service » : indiquez une date valide, par exemple 15/09/2026.");
  json_decref(d);
}

Test(field_check, choice_yesno_address_siret) {
  json_t *d = def_of("{\"name\":\"c\",\"label\":\"Parking\",\"type\":\"choice\",\"choices\":[\"souterrain\",\"aérien\"]}");
  cr_assert_str_eq(check(d, "aérien", NULL), "");
  cr_assert_str_eq(check(d, "mixte", NULL), "« Parking » : choisissez une des réponses proposées.");
  json_decref(d);
  d = def_of("{\"name\":\"y\",\"label\":\"Piloté\",\"type\":\"yesno\"}");
  json_t *v;
  check(d, "non", &v);
  cr_assert(json_is_false(v));
  cr_assert_str_eq(check(d, "peut-être", NULL), "« Piloté » : répondez par oui ou par non.");
  json_decref(d);
  d = def_of("{\"name\":\"a\",\"label\":\"Adresse\",\"type\":\"address\"}");
  cr_assert_str_eq(check(d, "2 quai Valin, 17000 La Rochelle", NULL), "");
  cr_assert(strstr(check(d, "2 quai Valin La Rochelle", NULL), "avec son code postal"));
  cr_assert(strstr(check(d, "123456 rue", NULL), "avec son code postal"));
  json_decref(d);
  d = def_of("{\"name\":\"s\",\"label\":\"SIRET\",\"type\":\"siret\"}");
  check(d, "732 829 320 00074", &v);
  cr_assert_str_eq(json_string_value(v), "73282932000074");
  json_decref(v);
  cr_assert_str_eq(check(d, "73282932000075", NULL),
                   "« SIRET » : ce numéro SIRET n’est pas valide ; vérifiez les chiffres (clé de contrôle incorrecte).");
  cr_assert_str_eq(check(d, "7328293200007", NULL),
                   "« SIRET » : le SIRET compte 14 chiffres (9 du SIREN puis 5 de l’établissement).");
  json_decref(d);
}

Test(field_check, input_and_display) {
  char out[64];
  json_t *num = def_of("{\"name\":\"p\",\"label\":\"P\",\"type\":\"number\"}");
  json_t *v = json_real(7.4);
  aid_field_input(num, v, out, sizeof out);
  cr_assert_str_eq(out, "7,4");
  json_decref(v);
  json_t *date = def_of("{\"name\":\"d\",\"label\":\"D\",\"type\":\"date\"}");
  v = json_string("2026-09-15");
  aid_field_display(date, v, out, sizeof out);
  cr_assert_str_eq(out, "15/09/2026");
  aid_field_input(date, v, out, sizeof out);
  cr_assert_str_eq(out, "2026-09-15");
  json_decref(v);
  json_t *yn = def_of("{\"name\":\"y\",\"label\":\"Y\",\"type\":\"yesno\"}");
  aid_field_display(yn, json_true(), out, sizeof out);
  cr_assert_str_eq(out, "Oui");
  aid_field_input(yn, json_false(), out, sizeof out);
  cr_assert_str_eq(out, "non");
  aid_field_input(yn, NULL, out, sizeof out);
  cr_assert_str_eq(out, "");
  json_t *s = def_of("{\"name\":\"s\",\"label\":\"S\",\"type\":\"siret\"}");
  v = json_string("73282932000074");
  aid_field_display(s, v, out, sizeof out);
  cr_assert_str_eq(out, "732 829 320 00074");
  json_decref(v);
  json_decref(num);
  json_decref(date);
  json_decref(yn);
  json_decref(s);
}

/* ------------------------------------------------------------ départements */

Test(departement, of_postcodes) {
  char d[4];
  const struct {
    const char *pc, *dep;
  } ok[] = {{"17000", "17"}, {"01000", "01"}, {"95000", "95"}, {"20000", "2A"}, {"20190", "2A"},
            {"20200", "2B"}, {"20600", "2B"}, {"97400", "974"}, {"97100", "971"}, {"97600", "976"}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    cr_assert_eq(aid_departement_of(ok[i].pc, d, sizeof d), 0, "%s", ok[i].pc);
    cr_assert_str_eq(d, ok[i].dep, "%s", ok[i].pc);
  }
  const char *bad[] = {"00100", "96000", "99000", "98000", "97700", "20700", "1700", "170000", "17a00", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(aid_departement_of(bad[i], d, sizeof d), -1, "%s", bad[i]);
}

Test(fields_parse, more_errors_than_room) {
  aid_field_row rows[6];
  for (int i = 0; i < 6; i++) rows[i] = (aid_field_row)ROW("Bad Name", "", "?", "", "x", "y", "z");
  aid_field_error e[2];
  json_t *out = json_array();
  int nerr = aid_fields_parse(rows, 6, out, e, 2); /* found by fuzz_aid_fields: read past e[1] */
  json_decref(out);
  cr_assert_gt(nerr, 2);
  cr_assert_eq(e[0].row, 0);
}

Test(fields_parse, same_label_twice) {
  aid_field_row rows[] = {ROW("a", "Plan", "file", "", "", "", ""), ROW("b", " Plan ", "file", "", "", "", "")};
  aid_field_error e[4];
  int nerr;
  json_t *out = parse(rows, 2, e, &nerr);
  json_decref(out);
  cr_assert_eq(nerr, 1);
  cr_assert_eq(e[0].row, 1);
  cr_assert_eq(e[0].col, AID_FCOL_LABEL);
  cr_assert_str_eq(e[0].msg, "Champ 2 (« Plan ») : ce libellé est déjà celui d’un autre champ.");
}
