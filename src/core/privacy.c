/*
** privacy.c — the personal-data export and the deletion of an account,
** across the features (contract and order: privacy.h).
**
** The export is a zip built in a temporary file of the request (libzip):
** donnees.json, made of one object per feature, and the stored files the
** features add by reference (read by libzip when the zip is closed, never
** held in memory).
**
** The deletion plan is a list of sections, each of a feature, with its
** lines "goes" and "stays", kept in the arena as short linked lists; the
** page shows the sections in the order of the feature table although the
** plans run in reverse.
*/
#include "core/privacy.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "core/audit.h"
#include "core/upload.h"

#define EXPORT_FORMAT "guichet-export-2" /* 2: one object per feature, typed values */

typedef struct line {
  const char *text;        /* in the arena */
  struct line *next;
} line;

typedef struct section {
  int feat;                /* index in features[]: the page's order */
  const char *title;       /* French */
  line *goes, **goes_end;  /* what the deletion removes */
  line *stays, **stays_end; /* what it keeps, and why */
  struct section *next;
} section;

struct privacy_erasure {
  arena *a;                /* owns this struct and every text */
  int64_t uid;
  const char *email;       /* lower-cased; "" when the account is gone */
  int feat;                /* feature whose plan is running */
  section *sections, **sections_end;
  section *cur;            /* where privacy_goes/stays write */
  const char *refusal;     /* first reason given, or NULL */
  line *kept;              /* "table:id" marks of privacy_keep */
  line *files;             /* hashes for upload_remove after commit */
};

struct privacy_zip {
  req *r;                  /* its arena holds the names */
  zip_t *z;
  const char *feature;     /* name of the feature exporting now: the folder */
};

static int nfeatures(void) {
  int n = 0;
  while (features[n]) n++;
  return n;
}

static void push(arena *a, line ***end, const char *text) {
  line *l = arena_alloc(a, sizeof *l);
  l->text = text;
  **end = l;
  *end = &l->next;
}

/* ------------------------------------------------------------- rows */

json_t *privacy_row(db_stmt *s) {
  json_t *o = json_object();
  for (int i = 0; i < db_cols(s); i++) {
    json_t *v;
    switch (db_type(s, i)) {
      case 'i': v = json_integer(db_int(s, i)); break;
      case 'd': v = json_real(db_double(s, i)); break;
      case 't': v = json_string(db_text(s, i)); break;
      default: v = json_null(); break;
    }
    /* Text that is not UTF-8 (none is written so, but a row is not
    ** trusted) becomes null rather than failing the export. */
    json_object_set_new(o, db_colname(s, i), v ? v : json_null());
  }
  return o;
}

json_t *privacy_rows(db_stmt *s) {
  json_t *a = json_array();
  while (db_step(s) == DB_ROW) json_array_append_new(a, privacy_row(s));
  db_done(s);
  return a;
}

/* ------------------------------------------------------------- export */

const char *privacy_zip_add(privacy_zip *z, const char *hash, const char *dir, int64_t id, const char *filename) {
  char *fp = upload_path(z->r->a, hash);
  if (!fp || access(fp, R_OK) != 0) return NULL;
  char *name = arena_printf(z->r->a, "%s/%s/%lld-%s", z->feature, dir, (long long)id, filename ? filename : "");
  for (char *p = name + strlen(name) - strlen(filename ? filename : ""); *p; p++)
    if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) *p = '_';
  zip_source_t *src = zip_source_file(z->z, fp, 0, -1);
  if (!src) return NULL;
  if (zip_file_add(z->z, name, src, ZIP_FL_ENC_UTF_8) < 0) {
    zip_source_free(src);
    return NULL;
  }
  return name;
}

int privacy_export(req *r, int64_t uid, const char **path) {
  int fd = req_tmpfile(r, "export", path);
  if (fd < 0) return -1;
  close(fd);
  int zerr = 0;
  zip_t *z = zip_open(*path, ZIP_TRUNCATE, &zerr);
  if (!z) return -1;
  privacy_zip pz = {.r = r, .z = z};
  json_t *all = json_object();
  json_object_set_new(all, "format", json_string(EXPORT_FORMAT));
  json_object_set_new(all, "generated_at", json_integer(now_unix()));
  json_object_set_new(all, "times", json_string("secondes Unix (UTC) ; les fichiers sont dans le zip, au chemin "
                                                "indiqué par « file »"));
  int ok = db_begin() == 0; /* one snapshot: the parts agree with each other */
  for (int i = 0; ok && features[i]; i++) {
    if (!features[i]->export_user) continue;
    json_t *o = json_object();
    pz.feature = features[i]->name;
    ok = features[i]->export_user(uid, o, &pz) == 0;
    json_object_set_new(all, features[i]->name, o);
  }
  db_rollback(); /* read only: nothing to commit (a no-op if BEGIN failed) */
  char *json = ok ? json_dumps(all, JSON_INDENT(2)) : NULL;
  json_decref(all);
  ok = json != NULL;
  if (ok) {
    zip_source_t *src = zip_source_buffer(z, json, strlen(json), 0);
    ok = src && zip_file_add(z, "donnees.json", src, ZIP_FL_ENC_UTF_8) >= 0;
    if (src && !ok) zip_source_free(src);
  }
  if (!ok) zip_discard(z);
  else if (zip_close(z) != 0) {
    zip_discard(z);
    ok = 0;
  }
  free(json); /* the buffer source is read by zip_close, not copied */
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------- plan */

void privacy_section(privacy_erasure *e, const char *title) {
  section *s = arena_alloc(e->a, sizeof *s);
  s->feat = e->feat;
  s->title = arena_strdup(e->a, title);
  s->goes_end = &s->goes;
  s->stays_end = &s->stays;
  *e->sections_end = s;
  e->sections_end = &s->next;
  e->cur = s;
}

/* Appends the formatted line to the current section's goes or stays. */
static void vline(privacy_erasure *e, int stays, const char *fmt, va_list ap) {
  assert(e->cur && "privacy_section first");
  buf b = {0};
  buf_vprintf(&b, fmt, ap);
  push(e->a, stays ? &e->cur->stays_end : &e->cur->goes_end, arena_strdup(e->a, buf_str(&b)));
  buf_free(&b);
}

void privacy_goes(privacy_erasure *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline(e, 0, fmt, ap);
  va_end(ap);
}

void privacy_stays(privacy_erasure *e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vline(e, 1, fmt, ap);
  va_end(ap);
}

void privacy_refuse(privacy_erasure *e, const char *reason) {
  if (!e->refusal) e->refusal = arena_strdup(e->a, reason);
}

void privacy_keep(privacy_erasure *e, const char *table, int64_t id) {
  line **end = &e->kept;
  while (*end) end = &(*end)->next;
  push(e->a, &end, arena_printf(e->a, "%s:%lld", table, (long long)id));
}

int privacy_kept(const privacy_erasure *e, const char *table, int64_t id) {
  char key[96];
  snprintf(key, sizeof key, "%s:%lld", table, (long long)id);
  for (const line *l = e->kept; l; l = l->next)
    if (!strcmp(l->text, key)) return 1;
  return 0;
}

void privacy_remove_file(privacy_erasure *e, const char *hash) {
  line *l = arena_alloc(e->a, sizeof *l);
  l->text = arena_strdup(e->a, hash);
  l->next = e->files;
  e->files = l;
}

const char *privacy_email(const privacy_erasure *e) { return e->email; }

privacy_erasure *privacy_plan(arena *a, int64_t uid) {
  privacy_erasure *e = arena_alloc(a, sizeof *e);
  e->a = a;
  e->uid = uid;
  e->sections_end = &e->sections;
  e->email = db_get_text(a, "SELECT email FROM users WHERE id = ?", "i", uid);
  if (!e->email) e->email = "";
  for (int i = nfeatures() - 1; i >= 0; i--) {
    if (!features[i]->erase_plan) continue;
    e->feat = i;
    e->cur = NULL;
    features[i]->erase_plan(uid, e);
  }
  return e;
}

static json_t *lines_json(const line *l) {
  json_t *a = json_array();
  for (; l; l = l->next) json_array_append_new(a, json_string(l->text));
  return a;
}

json_t *privacy_plan_json(const privacy_erasure *e) {
  json_t *all = json_array();
  int n = nfeatures();
  for (int f = 0; f < n; f++)
    for (const section *s = e->sections; s; s = s->next) {
      if (s->feat != f || (!s->goes && !s->stays)) continue;
      json_t *o = json_object();
      json_object_set_new(o, "title", json_string(s->title));
      json_object_set_new(o, "goes", lines_json(s->goes));
      json_object_set_new(o, "stays", lines_json(s->stays));
      json_array_append_new(all, o);
    }
  json_t *d = json_object();
  json_object_set_new(d, "sections", all);
  return d;
}

const char *privacy_refusal(const privacy_erasure *e) { return e->refusal; }

/* ------------------------------------------------------------- erase */

int privacy_erase(arena *a, int64_t uid, const char *ip, const char **refusal) {
  if (db_begin_write() != 0) return -1;
  privacy_erasure *e = privacy_plan(a, uid);
  if (e->refusal) {
    db_rollback();
    *refusal = e->refusal;
    return 1;
  }
  int ok = 1;
  for (int i = nfeatures() - 1; ok && i >= 0; i--) {
    if (!features[i]->erase_user) continue;
    e->feat = i;
    ok = features[i]->erase_user(uid, e) == 0;
  }
  ok = ok && db_run("DELETE FROM users WHERE id = ?", "i", uid) == DB_DONE &&
       audit_log(uid, "user.delete", audit_user(a, uid), ip, "") >= 0;
  if (!ok) {
    db_rollback();
    return -1;
  }
  if (db_commit() != 0) return -1;
  for (const line *l = e->files; l; l = l->next) upload_remove(l->text);
  return 0;
}
