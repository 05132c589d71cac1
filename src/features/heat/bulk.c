/*
** bulk.c — bulk eligibility (issue #4, item 7): a CSV of up to 50,000
** addresses in, the same rows out with the cascade's answer for each.
**
**   GET  /eligibilite/en-masse                    the form and the user's files
**   POST /eligibilite/en-masse                    upload: checked, stored, queued
**   GET  /eligibilite/en-masse/:id                progress, then the summary
**   GET  /eligibilite/en-masse/:id/resultat.csv   the result
** Any logged-in account may use them (feature.c says why). A file is seen by
** its uploader only: for anyone else it does not exist (404).
**
** Upload. The route's body cap answers 413 before a byte of a larger file is
** read. The file is read twice in 64 KiB blocks: once to refuse what is not
** CSV text (a spreadsheet, a zip, UTF-16, NUL bytes) and to tell UTF-8 from
** Windows-1252 (anything that is not valid UTF-8), once to store it as UTF-8
** in <data_dir>/heat-bulk/. csvload_each then reads the stored copy: the
** separator, the header (which columns give the place, below) and the rows,
** 50,000 at most. Only then is the row inserted and the job queued, in one
** transaction with the audit entry. One file per account is in progress at
** a time.
**
** Rows. The place comes from "lon" and "lat" when both cells are filled,
** else from "adresse", else from "numero", "voie", "code_postal", "commune"
** (names compared without case, accents or punctuation, some synonyms).
** A row with a wrong number of cells, nothing to locate, unreadable
** coordinates or an address the geocoder does not find (geocode_search must
** answer GEOCODE_FOUND) gets "erreur" and a French message; the others get
** heat_answer_in's answer. The result has every input row in input order:
** its cells, then eligibilite, resultat, distance_m, reseau_id, reseau_nom,
** geocodage_score, geocodage_adresse, erreur; UTF-8 with a BOM (spreadsheets
** read the accents), the input's separator, CRLF.
**
** Job heat.bulk {"id": N}. One run answers at most SLICE_ROWS rows or
** SLICE_MS, appends their lines to <id>-resultat.csv, then records the
** progress (rows done, result size, counts, first errors) in one
** transaction with the job that continues, so that other jobs (mail) run
** between slices and two users' files take turns. A run skips the rows
** already done and first cuts the result back to its recorded size: a crash
** mid-run replays that run only. A database or geo error fails the run (the
** jobs core retries it later); an unreadable stored file fails the whole
** file. The last run tells the user by email.
**
** Progress: the file's page answers with "Refresh: 3" while the file is
** queued or running (the HTTP form of <meta http-equiv="refresh">: no
** script, which the CSP forbids inline, and no change to the shared
** layout), and shows a reload link and a <progress> bar.
**
** Retention: heat.bulk.purge (hourly) deletes the files and rows finished
** more than KEEP_DAYS ago, inputs already answered, files without a row (a
** deleted account) and temporary files left by a crash.
**
** Memory: the pages use the request arena; a job run has its own arena,
** freed at its end, and one buffer for the lines of its slice.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/csvload.h"
#include "core/db.h"
#include "core/form.h"
#include "core/geocode.h"
#include "core/i18n.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/sheet.h"
#include "features/heat/heat_int.h"

#define ROWS_MAX 50000         /* data rows in one file (the issue) */
#define SLICE_ROWS 500         /* rows one job run answers before it yields */
#define SLICE_MS 1000.0        /* … or once it has run this long */
#define ERRORS_KEPT 100        /* rows in error listed on the page (all are in the file) */
#define KEEP_DAYS 7            /* a finished file is kept this long */
#define TMP_MAX_AGE 3600       /* seconds after which a temporary upload is litter */
#define LIST_MAX 20            /* files listed on the form page */
#define FILENAME_MAX_LEN 200   /* bytes of the client's file name kept */
#define REFRESH "3"            /* seconds between reloads of a page in progress */
#define BULK_DIR "heat-bulk"   /* under data_dir */
#define JOB_BULK "heat.bulk"
#define JOB_PURGE "heat.bulk.purge"

/* ------------------------------------------------------------- columns */

/* The columns a row may take its place from. */
enum { C_ADRESSE, C_NUMERO, C_REP, C_VOIE, C_CP, C_COMMUNE, C_LON, C_LAT, NCOL };

/* Header names, as geocode_normalize writes them with the spaces removed. */
static const struct {
  int col;           /* C_* */
  const char *name;  /* "codepostal" matches "Code postal", "code_postal", "CODE-POSTAL" */
} col_names[] = {
    {C_ADRESSE, "adresse"},  {C_ADRESSE, "address"},    {C_ADRESSE, "adressecomplete"},
    {C_NUMERO, "numero"},    {C_NUMERO, "num"},         {C_NUMERO, "numerovoie"},
    {C_REP, "rep"},          {C_REP, "indicerepetition"}, {C_REP, "suffixe"},
    {C_VOIE, "voie"},        {C_VOIE, "nomvoie"},       {C_VOIE, "libellevoie"}, {C_VOIE, "rue"},
    {C_CP, "codepostal"},    {C_CP, "cp"},
    {C_COMMUNE, "commune"},  {C_COMMUNE, "nomcommune"}, {C_COMMUNE, "ville"},
    {C_LON, "lon"},          {C_LON, "lng"},            {C_LON, "longitude"},
    {C_LAT, "lat"},          {C_LAT, "latitude"},
};

/* The header of a file, as far as the rows need it. */
typedef struct bulk_cols {
  int at[NCOL];  /* index of each C_* column, -1 if absent (the first of a name wins) */
  size_t ncell;  /* cells in the header: every row must have as many */
} bulk_cols;

static void cols_find(bulk_cols *c, const char *const *cells, size_t ncell) {
  for (int k = 0; k < NCOL; k++) c->at[k] = -1;
  c->ncell = ncell;
  buf key = {0};
  for (size_t i = 0; i < ncell; i++) {
    buf_reset(&key);
    geocode_normalize(&key, cells[i]);
    size_t w = 0;
    for (size_t j = 0; j < key.n; j++)
      if (key.z[j] != ' ') key.z[w++] = key.z[j];
    if (key.z) key.z[w] = 0;
    for (size_t k = 0; k < ARRAY_SIZE(col_names); k++)
      if (key.z && !strcmp(key.z, col_names[k].name) && c->at[col_names[k].col] < 0)
        c->at[col_names[k].col] = (int)i;
  }
  buf_free(&key);
}

static int cols_usable(const bulk_cols *c) {
  return (c->at[C_LON] >= 0 && c->at[C_LAT] >= 0) || c->at[C_ADRESSE] >= 0 || c->at[C_VOIE] >= 0;
}

/* What the rows are read from, for the page: "adresse ; lon et lat". */
static char *cols_describe(const bulk_cols *c) {
  buf b = {0};
  if (c->at[C_ADRESSE] >= 0) buf_puts(&b, _("adresse"));
  if (c->at[C_VOIE] >= 0) {
    if (b.n) buf_puts(&b, " ; ");
    buf_puts(&b, _("numéro, voie, code postal et commune"));
  }
  if (c->at[C_LON] >= 0 && c->at[C_LAT] >= 0) {
    if (b.n) buf_puts(&b, " ; ");
    buf_puts(&b, _("longitude et latitude"));
  }
  return b.z ? b.z : xstrdup("");
}

/* ---------------------------------------------------------------- files */

/* <data_dir>/heat-bulk, created if missing. */
static const char *bulk_dir(arena *a) {
  const char *d = arena_printf(a, "%s/%s", config_str("data_dir"), BULK_DIR);
  mkdir(d, 0700);
  return d;
}

/* The stored input (result = 0) or the result file of bulk id. */
static const char *bulk_path(arena *a, int64_t id, int result) {
  return arena_printf(a, "%s/%s/%lld%s.csv", config_str("data_dir"), BULK_DIR, (long long)id,
                      result ? "-resultat" : "");
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads an uploaded file block by block, in memory or spilled to disk. */
typedef struct upread {
  form_file *f;  /* the upload */
  int fd;        /* its temp file, or -1 while in memory */
  size_t pos;    /* bytes of f->data handed out */
} upread;

static int up_open(upread *u, form_file *f) {
  u->f = f;
  u->pos = 0;
  u->fd = f->data ? -1 : open(f->path, O_RDONLY | O_CLOEXEC);
  return f->data || u->fd >= 0 ? 0 : -1;
}

/* Up to cap bytes: count, 0 at the end, -1 on error. */
static long up_read(upread *u, unsigned char *b, size_t cap) {
  if (u->fd < 0) {
    size_t n = u->f->size - u->pos < cap ? u->f->size - u->pos : cap;
    memcpy(b, u->f->data + u->pos, n);
    u->pos += n;
    return (long)n;
  }
  ssize_t n;
  do n = read(u->fd, b, cap);
  while (n < 0 && errno == EINTR);
  return (long)n;
}

static void up_close(upread *u) {
  if (u->fd >= 0) close(u->fd);
  u->fd = -1;
}

/* UTF-8 validity over a stream of blocks (RFC 3629: no overlongs, no
** surrogates, nothing past U+10FFFF). */
typedef struct u8check {
  int need;              /* continuation bytes still expected */
  unsigned char lo, hi;  /* range of the next continuation byte */
  int bad;               /* an invalid sequence was seen */
} u8check;

static void u8_feed(u8check *u, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n && !u->bad; i++) {
    unsigned char c = p[i];
    if (u->need) {
      if (c < u->lo || c > u->hi) u->bad = 1;
      u->need--;
      u->lo = 0x80;
      u->hi = 0xBF;
      continue;
    }
    if (c < 0x80) continue;
    u->lo = 0x80;
    u->hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) u->need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      u->need = 2;
      if (c == 0xE0) u->lo = 0xA0; /* overlong */
      if (c == 0xED) u->hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      u->need = 3;
      if (c == 0xF0) u->lo = 0x90; /* overlong */
      if (c == 0xF4) u->hi = 0x8F; /* past U+10FFFF */
    } else {
      u->bad = 1;
    }
  }
}

/* Windows-1252 bytes 0x80..0x9F; the five it leaves undefined stand for
** themselves, as in Latin-1, and 0xA0..0xFF are Latin-1. */
static const unsigned short cp1252[32] = {
    0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021, 0x2C6,  0x2030, 0x160,
    0x2039, 0x152,  0x8D,   0x17D,  0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};

static void cp1252_to_utf8(buf *out, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned cp = p[i] < 0x80 ? p[i] : p[i] < 0xA0 ? cp1252[p[i] - 0x80] : p[i];
    if (cp < 0x80) {
      buf_putc(out, (char)cp);
    } else if (cp < 0x800) {
      buf_putc(out, (char)(0xC0 | cp >> 6));
      buf_putc(out, (char)(0x80 | (cp & 0x3F)));
    } else {
      buf_putc(out, (char)(0xE0 | cp >> 12));
      buf_putc(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
      buf_putc(out, (char)(0x80 | (cp & 0x3F)));
    }
  }
}

/* What the first bytes say a file is, when it is not CSV text: a French
** sentence, or NULL. */
static const char *not_csv(const unsigned char *p, size_t n) {
  if (n >= 4 && !memcmp(p, "PK\x03\x04", 4))
    return _("Ce fichier est un classeur (XLSX, ODS) ou une archive zip : enregistrez-le au format CSV "
             "(« CSV UTF-8 » ou « CSV séparateur point-virgule ») et déposez ce fichier.");
  if (n >= 4 && !memcmp(p, "\xD0\xCF\x11\xE0", 4))
    return _("Ce fichier est un classeur Excel 97-2003 (XLS) : enregistrez-le au format CSV et déposez ce "
             "fichier.");
  if (n >= 2 && p[0] == 0x1F && p[1] == 0x8B)
    return _("Ce fichier est compressé (gzip) : déposez le fichier CSV lui-même.");
  if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
    return _("Ce fichier est encodé en UTF-16 (« texte Unicode ») : enregistrez-le en « CSV UTF-8 ».");
  return NULL;
}

/* Copies the upload to a new temporary file of the bulk directory as UTF-8.
** 0 with *tmp (arena) and *enc set, or -1 with *why in French. */
static int store_utf8(req *r, form_file *f, const char **tmp, const char **enc, const char **why) {
  unsigned char *blk = arena_alloc(r->a, 65536);
  upread u;
  u8check chk = {0};
  long n;
  int first = 1;
  *why = NULL;
  if (up_open(&u, f) != 0) goto unreadable;
  while ((n = up_read(&u, blk, 65536)) > 0 && !*why) {
    if (first && (*why = not_csv(blk, (size_t)n))) break;
    first = 0;
    if (memchr(blk, 0, (size_t)n))
      *why = _("Ce fichier n’est pas du texte (il contient des octets nuls) : déposez un fichier CSV.");
    u8_feed(&chk, blk, (size_t)n);
  }
  up_close(&u);
  if (*why) return -1;
  if (n < 0) goto unreadable;
  int utf8 = !chk.bad && chk.need == 0;
  *enc = utf8 ? "utf-8" : "windows-1252";

  char *path = arena_printf(r->a, "%s/.in-XXXXXX", bulk_dir(r->a));
  int fd = mkstemp(path);
  if (fd < 0) {
    log_error("heat", "bulk: mkstemp %s: %s", path, strerror(errno));
    goto unreadable;
  }
  buf conv = {0};
  int rc = up_open(&u, f);
  while (rc == 0 && (n = up_read(&u, blk, 65536)) > 0) {
    if (utf8) {
      rc = write_all(fd, (const char *)blk, (size_t)n);
    } else {
      buf_reset(&conv);
      cp1252_to_utf8(&conv, blk, (size_t)n);
      rc = write_all(fd, conv.z, conv.n);
    }
  }
  up_close(&u);
  buf_free(&conv);
  if (rc != 0 || n < 0 || close(fd) != 0) {
    unlink(path);
    goto unreadable;
  }
  *tmp = path;
  return 0;
unreadable:
  *why = _("Le fichier n’a pas pu être lu : réessayez.");
  return -1;
}

/* --------------------------------------------------------------- upload */

/* What the upload's reading found. */
typedef struct scan {
  bulk_cols cols;   /* the header's columns */
  int64_t rows;     /* data rows counted (stops past ROWS_MAX) */
  int nocols;       /* the header names no usable column: stopped */
  buf names;        /* the header's cells, for the message */
} scan;

static int scan_record(void *ctx, int64_t line, const char *const *cells, size_t ncell) {
  scan *s = ctx;
  if (line == 1) {
    cols_find(&s->cols, cells, ncell);
    for (size_t i = 0; i < ncell && i < 20; i++) buf_printf(&s->names, "%s« %s »", i ? ", " : "", cells[i]);
    s->nocols = !cols_usable(&s->cols);
    return s->nocols;
  }
  return ++s->rows > ROWS_MAX;
}

/* 1 when the user has a file queued or in progress. */
static int has_unfinished(int64_t uid) {
  return db_get_int(0, "SELECT count(*) FROM heat_bulk WHERE user_id=? AND status IN ('queued', 'running')", "i",
                    uid) > 0;
}

/* French thousands: 50 000 (narrow no-break space). */
static const char *fmt_int(arena *a, int64_t v) {
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
  buf b = {0};
  if (v < 0) buf_putc(&b, '-');
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) buf_puts(&b, "\xE2\x80\xAF");
    buf_putc(&b, digits[i]);
  }
  const char *z = arena_strdup(a, buf_str(&b));
  buf_free(&b);
  return z;
}

static const struct {
  const char *code;   /* heat_bulk.status */
  const char *label;  /* French */
} status_labels[] = {
    {"queued", N_("En attente")},
    {"running", N_("En cours")},
    {"done", N_("Terminé")},
    {"failed", N_("Échec")},
};

static const char *status_label(const char *code) {
  for (size_t i = 0; i < ARRAY_SIZE(status_labels); i++)
    if (str_eq(code, status_labels[i].code)) return _(status_labels[i].label);
  return code;
}

/* Progress fields shared by the list and the file's page, from the columns
** status, rows_total, rows_done at cols st, st+1, st+2 of s. */
static void progress_into(req *r, json_t *o, db_stmt *s, int st) {
  const char *status = db_text(s, st);
  int64_t total = db_int(s, st + 1), done = db_int(s, st + 2);
  json_object_set_new(o, "status", json_string(status));
  json_object_set_new(o, "status_label", json_string(status_label(status)));
  json_object_set_new(o, "total", json_string(fmt_int(r->a, total)));
  json_object_set_new(o, "done", json_string(fmt_int(r->a, done)));
  json_object_set_new(o, "done_n", json_integer(done));
  json_object_set_new(o, "total_n", json_integer(total));
  json_object_set_new(o, "pct", json_integer(total ? done * 100 / total : 0));
  json_object_set_new(o, "in_progress", json_boolean(str_eq(status, "queued") || str_eq(status, "running")));
}

/* The form page with the user's files; f holds the form's errors or NULL. */
static void bulk_render(req *r, int status, form *f) {
  json_t *d = json_object();
  json_t *l = json_array();
  db_stmt *s = db_query("SELECT id, filename, created_at, status, rows_total, rows_done FROM heat_bulk"
                        " WHERE user_id=? ORDER BY id DESC LIMIT ?", "ii", r->me->id, (int64_t)LIST_MAX);
  while (db_step(s) == DB_ROW) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(db_int(s, 0)));
    json_object_set_new(o, "filename", json_string(db_text(s, 1)));
    json_object_set_new(o, "created", json_string(fmt_datetime(r->a, db_int(s, 2), "")));
    progress_into(r, o, s, 3);
    json_array_append_new(l, o);
  }
  db_done(s);
  json_object_set_new(d, "files", l);
  json_object_set_new(d, "rows_max", json_string(fmt_int(r->a, ROWS_MAX)));
  json_object_set_new(d, "keep_days", json_integer(KEEP_DAYS));
  if (f) form_into(f, d);
  res_page(r, status, "heat/bulk", d);
}

void bulk_page(req *r) { bulk_render(r, 200, NULL); }

/* The client's file name, trimmed to a printable, bounded form. */
static const char *display_name(req *r, const char *z) {
  buf b = {0};
  for (const char *p = z ? z : ""; *p && b.n < FILENAME_MAX_LEN; p++)
    if ((unsigned char)*p >= 0x20 && *p != 0x7f) buf_putc(&b, *p);
  const char *out = b.n ? arena_strdup(r->a, buf_str(&b)) : "fichier.csv";
  buf_free(&b);
  return out;
}

void bulk_post(req *r) {
  form f;
  form_init(&f, r, NULL);
  form_file *file = req_file(r, "fichier");
  const char *tmp = NULL, *enc = NULL, *why = NULL;
  if (!file) why = _("Choisissez un fichier CSV à tester.");
  else if (has_unfinished(r->me->id))
    why = _("Un de vos fichiers est encore en cours de traitement : attendez qu’il soit terminé pour en déposer "
            "un autre.");
  else store_utf8(r, file, &tmp, &enc, &why);
  scan sc;
  memset(&sc, 0, sizeof sc);
  csvload_result res;
  memset(&res, 0, sizeof res);
  if (!why) {
    csvload_opts o = {.path = tmp, .ctx = &sc};
    int rc = csvload_each(&o, scan_record, &res);
    if (sc.nocols)
      why = arena_printf(r->a,
                         _("Aucune colonne ne donne l’adresse. Il faut une colonne « adresse », ou les colonnes "
                           "« numero », « voie », « code_postal » et « commune », ou « lon » et « lat » (WGS84). "
                           "Colonnes trouvées : %s."),
                         buf_str(&sc.names));
    else if (sc.rows > ROWS_MAX)
      why = arena_printf(r->a, _("Le fichier compte plus de %s lignes : découpez-le en plusieurs fichiers."),
                         fmt_int(r->a, ROWS_MAX));
    else if (rc != 0)
      why = arena_printf(r->a, _("Le fichier n’a pas pu être lu comme un CSV : %s."), res.error);
    else if (sc.cols.ncell == 0)
      why = _("Le fichier est vide : la première ligne doit nommer les colonnes.");
    else if (sc.rows == 0)
      why = _("Le fichier ne contient aucune ligne après la ligne d’en-tête.");
  }
  buf_free(&sc.names);
  if (why) {
    if (tmp) unlink(tmp);
    csvload_result_free(&res);
    form_error(&f, "fichier", why);
    bulk_render(r, 422, &f);
    return;
  }
  char sep[2] = {res.sep, 0};
  csvload_result_free(&res);
  char *columns = cols_describe(&sc.cols);
  const char *name = display_name(r, file->filename);
  const char *final = NULL;
  int64_t id = -1;
  if (db_begin_write() != 0) goto failed;
  if (has_unfinished(r->me->id)) { /* another upload of this user won the race */
    db_rollback();
    unlink(tmp);
    free(columns);
    form_error(&f, "fichier", _("Un de vos fichiers est encore en cours de traitement : attendez qu’il soit "
                                "terminé pour en déposer un autre."));
    bulk_render(r, 422, &f);
    return;
  }
  id = db_insert("INSERT INTO heat_bulk(user_id, filename, encoding, sep, columns, rows_total, created_at)"
                 " VALUES(?,?,?,?,?,?,?)", NULL, "ittttii", r->me->id, name, enc, sep, columns, sc.rows,
                 now_unix());
  if (id < 0) goto rollback;
  final = bulk_path(r->a, id, 0);
  if (rename(tmp, final) != 0) {
    final = NULL;
    goto rollback;
  }
  json_t *payload = json_pack("{sI}", "id", (json_int_t)id);
  int64_t job = job_enqueue(JOB_BULK, payload, 0);
  json_decref(payload);
  if (job < 0) goto rollback;
  if (audit_log(r->me->id, "heat.bulk.create", arena_printf(r->a, "heat_bulk:%lld", (long long)id), r->ip,
                arena_printf(r->a, "%lld lignes, %s, séparateur « %s », colonnes : %s", (long long)sc.rows, enc,
                             sep, columns)) < 0)
    goto rollback;
  if (db_commit() != 0) goto failed;
  free(columns);
  res_redirect(r, arena_printf(r->a, "/eligibilite/en-masse/%lld", (long long)id));
  return;
rollback:
  db_rollback();
failed:
  unlink(final ? final : tmp);
  free(columns);
  res_error(r, 500, _("Votre fichier n’a pas pu être enregistré : réessayez dans un instant."));
}

/* ---------------------------------------------------------------- pages */

#define JOB_COLS "status, rows_total, rows_done, id, filename, created_at, finished_at, encoding, sep, columns," \
                 " rows_error, counts, errors, error"

/* The user's file :id, as a statement on its row (JOB_COLS), or NULL after
** answering 404: another user's file does not exist for this one. */
static db_stmt *own_file_or_reply(req *r, int64_t *id) {
  if (req_id_or_reply(r, "id", id)) return NULL;
  db_stmt *s = db_query("SELECT " JOB_COLS " FROM heat_bulk WHERE id=? AND user_id=?", "ii", *id, r->me->id);
  if (db_step(s) == DB_ROW) return s;
  db_done(s);
  res_error(r, 404, _("Ce fichier n’existe pas, ou plus : les résultats sont gardés 7 jours."));
  return NULL;
}

/* Labels of the result's counts, in the cascade's order, then errors. */
static json_t *counts_json(req *r, const char *text) {
  json_t *counts = json_loads(text ? text : "{}", 0, NULL);
  json_t *l = json_array();
  for (int lv = HEAT_OUTSIDE; lv <= HEAT_NONE + 1; lv++) {
    const char *code = lv <= HEAT_NONE ? heat_level_code((heat_level)lv) : "erreur";
    json_int_t n = json_integer_value(json_object_get(counts, code));
    if (!n) continue;
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(code));
    json_object_set_new(o, "label", json_string(lv <= HEAT_NONE ? heat_level_label((heat_level)lv)
                                                                : _("Ligne en erreur (message dans la colonne « erreur »)")));
    json_object_set_new(o, "n", json_string(fmt_int(r->a, n)));
    json_object_set_new(o, "eligible", json_boolean(lv <= HEAT_NONE && heat_level_eligible((heat_level)lv)));
    json_array_append_new(l, o);
  }
  json_decref(counts);
  return l;
}

void bulk_job_page(req *r) {
  int64_t id;
  db_stmt *s = own_file_or_reply(r, &id);
  if (!s) return;
  json_t *d = json_object();
  progress_into(r, d, s, 0);
  json_object_set_new(d, "id", json_integer(id));
  json_object_set_new(d, "filename", json_string(db_text(s, 4)));
  json_object_set_new(d, "created", json_string(fmt_datetime(r->a, db_int(s, 5), "")));
  json_object_set_new(d, "finished", json_string(fmt_datetime(r->a, db_int(s, 6), "")));
  json_object_set_new(d, "encoding", json_string(str_eq(db_text(s, 7), "utf-8") ? "UTF-8" : "Windows-1252"));
  const char *sep = db_text(s, 8);
  json_object_set_new(d, "sep", json_string(str_eq(sep, ";") ? _("point-virgule") : str_eq(sep, ",") ? _("virgule")
                                            : str_eq(sep, "\t") ? _("tabulation") : sep));
  json_object_set_new(d, "columns", json_string(db_text(s, 9)));
  int64_t nerr = db_int(s, 10);
  json_object_set_new(d, "nerrors", json_string(fmt_int(r->a, nerr)));
  json_object_set_new(d, "has_errors_rows", json_boolean(nerr > 0));
  json_object_set_new(d, "counts", counts_json(r, db_text(s, 11)));
  json_t *errors = json_loads(db_text(s, 12) ? db_text(s, 12) : "[]", 0, NULL);
  json_object_set_new(d, "errors", errors ? errors : json_array());
  json_object_set_new(d, "errors_more", nerr > ERRORS_KEPT ? json_string(fmt_int(r->a, nerr - ERRORS_KEPT)) : json_null());
  json_object_set_new(d, "done_ok", json_boolean(str_eq(db_text(s, 0), "done")));
  json_object_set_new(d, "failed", json_boolean(str_eq(db_text(s, 0), "failed")));
  json_object_set_new(d, "error", jstr(db_text(s, 13)));
  json_object_set_new(d, "keep_days", json_integer(KEEP_DAYS));
  int in_progress = json_is_true(json_object_get(d, "in_progress"));
  db_done(s);
  if (in_progress) res_header(r, "Refresh", REFRESH);
  res_page(r, 200, "heat/bulk_job", d);
}

void bulk_result(req *r) {
  int64_t id;
  db_stmt *s = own_file_or_reply(r, &id);
  if (!s) return;
  int done = str_eq(db_text(s, 0), "done");
  const char *name = arena_strdup(r->a, db_text(s, 4));
  db_done(s);
  if (!done) {
    res_error(r, 409, _("Le résultat n’est pas encore prêt : la page du fichier montre l’avancement."));
    return;
  }
  const char *path = bulk_path(r->a, id, 1);
  if (access(path, R_OK) != 0) {
    res_error(r, 404, _("Ce fichier n’existe pas, ou plus : les résultats sont gardés 7 jours."));
    return;
  }
  size_t n = strlen(name);
  if (n > 4 && !strcasecmp(name + n - 4, ".csv")) n -= 4;
  res_file(r, path, "text/csv; charset=utf-8",
           arena_printf(r->a, "%.*s-eligibilite.csv", (int)n, name));
}

/* ------------------------------------------------------------------ job */

/* The columns the result adds after the input's. */
static const char *const out_cols[] = {"eligibilite", "resultat", "distance_m", "reseau_id", "reseau_nom",
                                       "geocodage_score", "geocodage_adresse", "erreur"};
enum { O_CODE, O_LABEL, O_DIST, O_NET_ID, O_NET_NAME, O_SCORE, O_GEO_LABEL, O_ERROR, NOUT };

/* One run of the job over a file. */
typedef struct slice {
  arena *a;          /* this run's allocations */
  bulk_cols cols;    /* the header */
  char sep;          /* the input's separator, used for the result */
  int64_t skip;      /* data rows answered by earlier runs */
  int64_t done;      /* data rows answered, all runs */
  int64_t nerr;      /* of which in error */
  int ran;           /* rows answered by this run */
  double deadline;   /* now_mono_ms() past which the run yields */
  int write_header;  /* the result is empty: this run starts it */
  int failed;        /* a database or geo error: the run is void */
  buf out;           /* the result lines of this run */
  json_t *counts;    /* {code: rows} (owned) */
  json_t *errors;    /* [{line, message}], ERRORS_KEPT at most (owned) */
} slice;

/* One line of the result: the input's cells as they came (they are the
** user's own), then the answer's. An answer cell that a spreadsheet would
** run as a formula (a network's name is typed by an administrator) gets a
** leading apostrophe, by core/sheet.h's rule (numbers stay numbers). */
static void put_line(slice *s, const char *const *cells, size_t ncell, const char *const *res) {
  for (size_t i = 0; i < s->cols.ncell; i++) {
    if (i) buf_putc(&s->out, s->sep);
    csvload_field(&s->out, i < ncell ? cells[i] : "", s->sep);
  }
  for (int k = 0; k < NOUT; k++) {
    if (s->cols.ncell || k) buf_putc(&s->out, s->sep);
    sheet_csv_field(&s->out, res[k], s->sep);
  }
  buf_puts(&s->out, "\r\n");
}

static void count(slice *s, const char *code) {
  json_object_set_new(s->counts, code, json_integer(json_integer_value(json_object_get(s->counts, code)) + 1));
}

static const char *cell(const slice *s, const char *const *cells, int col) {
  int i = s->cols.at[col];
  return i >= 0 ? cells[i] : "";
}

/* A decimal number of degrees in [lo, hi] (point or comma); 1 and *out. */
static int parse_deg(const char *z, double lo, double hi, double *out) {
  char tmp[40];
  size_t n = strlen(z);
  if (!n || n >= sizeof tmp) return 0;
  for (size_t i = 0; i <= n; i++) tmp[i] = z[i] == ',' ? '.' : z[i];
  char *end = NULL;
  errno = 0;
  double v = strtod(tmp, &end);
  if (errno || *end || !isfinite(v) || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

/* The address to geocode from a row: the "adresse" cell, else the parts.
** "" when the row gives none; *why set when it gives an unusable one. */
static const char *row_address(slice *s, const char *const *cells, const char **why) {
  const char *q = cell(s, cells, C_ADRESSE);
  if (*q) return q;
  static const int parts[] = {C_NUMERO, C_REP, C_VOIE, C_CP, C_COMMUNE};
  buf b = {0};
  for (size_t k = 0; k < ARRAY_SIZE(parts); k++) {
    const char *v = cell(s, cells, parts[k]);
    if (*v) buf_printf(&b, "%s%s", b.n ? " " : "", v);
  }
  const char *out = arena_strdup(s->a, buf_str(&b));
  buf_free(&b);
  if (*out && !*cell(s, cells, C_VOIE)) *why = _("adresse incomplète : la colonne « voie » est vide");
  return out;
}

/* Answers one data row into s->out. 0, or -1 on a database or geo error. */
static int answer_row(slice *s, int64_t line, const char *const *cells, size_t ncell) {
  const char *res[NOUT] = {0};
  const char *why = NULL;
  double lon = 0, lat = 0;
  geocode_hit hit;
  int have_hit = 0;
  if (!cells) {
    why = _("ligne trop longue (plus de 1 Mo ou de 4 096 cellules)");
  } else if (ncell != s->cols.ncell) {
    why = arena_printf(s->a, _("la ligne compte %zu cellule(s) au lieu de %zu : un séparateur ou un guillemet en "
                               "trop ou en moins ?"), ncell, s->cols.ncell);
  } else {
    const char *zlon = cell(s, cells, C_LON), *zlat = cell(s, cells, C_LAT);
    const char *q = row_address(s, cells, &why);
    if (*zlon && *zlat) {
      if (!parse_deg(zlon, -180, 180, &lon) || !parse_deg(zlat, -90, 90, &lat))
        why = arena_printf(s->a, _("coordonnées illisibles (lon « %s », lat « %s ») : des degrés décimaux en WGS84 "
                                   "sont attendus, par exemple lon -1,1517 et lat 46,1591"), zlon, zlat);
      else
        why = NULL; /* the point is enough, whatever the address cells say */
    } else if (why) {
      /* an incomplete address, said by row_address */
    } else if (*q) {
      geocode_hit hits[3];
      int n = 0;
      int rc = strlen(q) > GEOCODE_QUERY_MAX ? GEOCODE_BADQUERY : geocode_search(q, 3, hits, &n);
      if (rc == GEOCODE_ERROR) return -1;
      if (rc == GEOCODE_BADQUERY) {
        why = arena_printf(s->a, _("adresse trop longue (%d caractères au plus)"), GEOCODE_QUERY_MAX);
      } else if (rc == GEOCODE_FOUND && n > 0) {
        hit = hits[0];
        have_hit = 1;
        lon = hit.lon;
        lat = hit.lat;
      } else {
        buf b = {0};
        geocode_explain(&b, rc, q, hits, n);
        why = arena_strdup(s->a, buf_str(&b));
        buf_free(&b);
      }
    } else if (*zlon || *zlat) {
      why = _("coordonnées incomplètes : renseignez lon et lat, ou une adresse");
    } else {
      why = _("ligne vide : ni adresse ni coordonnées");
    }
  }
  if (why) {
    res[O_CODE] = "erreur";
    res[O_ERROR] = why;
    put_line(s, cells, ncell, res);
    count(s, "erreur");
    s->nerr++;
    if (json_array_size(s->errors) < ERRORS_KEPT)
      json_array_append_new(s->errors, json_pack("{sIss}", "line", (json_int_t)line, "message", why));
    return 0;
  }
  heat_answer a;
  if (heat_answer_in(s->a, lon, lat, &a) != 0) return -1;
  res[O_CODE] = heat_level_code(a.level);
  res[O_LABEL] = heat_level_label(a.level);
  if (a.has_network && a.level != HEAT_OUTSIDE) res[O_DIST] = arena_printf(s->a, "%.0f", a.dist_m);
  if (a.network) {
    res[O_NET_ID] = json_string_value(json_object_get(a.network, "id"));
    res[O_NET_NAME] = json_string_value(json_object_get(a.network, "name"));
  }
  if (have_hit) {
    char *score = arena_printf(s->a, "%.2f", hit.score);
    if (s->sep == ';') *strchr(score, '.') = ','; /* a French spreadsheet reads 0,87 */
    res[O_SCORE] = score;
    res[O_GEO_LABEL] = arena_strdup(s->a, hit.label);
  }
  put_line(s, cells, ncell, res);
  count(s, res[O_CODE]);
  return 0;
}

static int slice_record(void *ctx, int64_t line, const char *const *cells, size_t ncell) {
  slice *s = ctx;
  if (line == 1) {
    cols_find(&s->cols, cells, ncell);
    if (s->write_header) {
      buf_puts(&s->out, "\xEF\xBB\xBF");
      put_line(s, cells, ncell, out_cols);
    }
    return 0;
  }
  if (line - 1 <= s->skip) return 0;
  if (s->ran >= SLICE_ROWS || (s->ran > 0 && now_mono_ms() > s->deadline))
    return 1; /* yield: this row is the next run's */
  if (answer_row(s, line, cells, ncell) != 0) {
    s->failed = 1;
    return 1;
  }
  s->ran++;
  s->done++;
  return 0;
}

/* Marks the file failed, with why in French. */
static void bulk_fail(int64_t id, const char *why) {
  db_run("UPDATE heat_bulk SET status='failed', error=?, finished_at=? WHERE id=?", "tii", why, now_unix(), id);
}

/* Tells the uploader the result is ready (inside the closing transaction). */
static int64_t mail_done(arena *a, int64_t id, int64_t uid, const char *filename, int64_t rows, int64_t nerr) {
  const char *to = db_get_text(a, "SELECT email FROM users WHERE id=?", "i", uid);
  if (!to) return 0; /* the account is gone */
  buf b = {0};
  buf_printf(&b,
             _("Bonjour,\n\nLe test d’éligibilité de votre fichier « %s » est terminé : %lld ligne(s), dont %lld en "
               "erreur.\n\nTéléchargez le résultat : %s/eligibilite/en-masse/%lld\nIl est conservé %d jours.\n\n— %s\n"),
             filename, (long long)rows, (long long)nerr, http_base_url(), (long long)id, KEEP_DAYS,
             config_str("territory_name"));
  int64_t m = mail_send(to, _("Votre test d’éligibilité en masse est terminé"), buf_str(&b));
  buf_free(&b);
  return m;
}

static int bulk_job(json_t *payload, char **err) {
  int64_t id = (int64_t)json_integer_value(json_object_get(payload, "id"));
  slice s;
  memset(&s, 0, sizeof s);
  s.a = arena_new();
  int rc = 0;
  int64_t uid = 0, total = 0, out_bytes = 0;
  const char *status = NULL, *filename = NULL;
  db_stmt *q = db_query("SELECT status, user_id, rows_total, rows_done, rows_error, out_bytes, counts, errors,"
                        " sep, filename FROM heat_bulk WHERE id=?", "i", id);
  if (db_step(q) == DB_ROW) {
    status = arena_strdup(s.a, db_text(q, 0));
    uid = db_int(q, 1);
    total = db_int(q, 2);
    s.skip = s.done = db_int(q, 3);
    s.nerr = db_int(q, 4);
    out_bytes = db_int(q, 5);
    s.counts = json_loads(db_text(q, 6), 0, NULL);
    s.errors = json_loads(db_text(q, 7), 0, NULL);
    s.sep = db_text(q, 8) && *db_text(q, 8) ? db_text(q, 8)[0] : ';';
    filename = arena_strdup(s.a, db_text(q, 9));
  }
  db_done(q);
  if (!status || str_eq(status, "done") || str_eq(status, "failed")) goto out; /* deleted, or replayed */
  if (!json_is_object(s.counts)) {
    json_decref(s.counts);
    s.counts = json_object();
  }
  if (!json_is_array(s.errors)) {
    json_decref(s.errors);
    s.errors = json_array();
  }
  s.write_header = out_bytes == 0;
  s.deadline = now_mono_ms() + SLICE_MS;

  const char *in = bulk_path(s.a, id, 0);
  csvload_opts o = {.path = in, .ctx = &s, .sep = s.sep};
  csvload_result res;
  int read = csvload_each(&o, slice_record, &res);
  int finished = read == 0;
  if (read != 0 && res.status != CSVLOAD_STOPPED) {
    bulk_fail(id, arena_printf(s.a, _("Le fichier déposé n’a pas pu être relu : %s."), res.error));
    csvload_result_free(&res);
    goto out;
  }
  csvload_result_free(&res);
  if (s.failed) {
    *err = xstrdup("erreur de la base de données ou du géocodeur : le lot sera rejoué");
    rc = -1;
    goto out;
  }

  const char *outp = bulk_path(s.a, id, 1);
  int fd = open(outp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)out_bytes) != 0 || lseek(fd, (off_t)out_bytes, SEEK_SET) < 0 ||
      write_all(fd, s.out.z ? s.out.z : "", s.out.n) != 0 || fsync(fd) != 0) {
    if (fd >= 0) close(fd);
    buf b = {0};
    buf_printf(&b, "écriture de %s : %s", outp, strerror(errno));
    *err = b.z;
    rc = -1;
    goto out;
  }
  close(fd);
  out_bytes += (int64_t)s.out.n;

  char *counts = json_dumps(s.counts, JSON_COMPACT), *errors = json_dumps(s.errors, JSON_COMPACT);
  int64_t now = now_unix();
  int ok = db_begin_write() == 0;
  ok = ok && db_run("UPDATE heat_bulk SET status=?, rows_done=?, rows_error=?, out_bytes=?, counts=?, errors=?,"
                    " started_at=coalesce(started_at, ?), finished_at=nullif(?, 0)"
                    " WHERE id=? AND status IN ('queued', 'running')",
                    "tiiittiii", finished ? "done" : "running", s.done, s.nerr, out_bytes, counts, errors, now,
                    finished ? now : 0, id) == DB_DONE;
  if (ok && db_changes() == 1)
    ok = finished ? mail_done(s.a, id, uid, filename, total, s.nerr) >= 0 : job_enqueue(JOB_BULK, payload, 0) >= 0;
  if (ok) ok = db_commit() == 0;
  else if (db_in_transaction()) db_rollback();
  free(counts);
  free(errors);
  if (!ok) {
    *err = xstrdup("avancement non enregistré : le lot sera rejoué");
    rc = -1;
  } else if (finished) {
    unlink(in);
  }
out:
  buf_free(&s.out);
  json_decref(s.counts);
  json_decref(s.errors);
  arena_free(s.a);
  return rc;
}

/* ---------------------------------------------------------------- purge */

/* 1 when a file of the bulk directory is still needed: its row exists and,
** for an input, is not finished. */
static int file_needed(const char *name) {
  char *end = NULL;
  long long id = strtoll(name, &end, 10);
  if (id <= 0 || !end) return 0;
  const char *status = NULL;
  arena *a = arena_new();
  status = db_get_text(a, "SELECT status FROM heat_bulk WHERE id=?", "i", (int64_t)id);
  int needed = status && (!strcmp(end, "-resultat.csv") ||
                          (!strcmp(end, ".csv") && (!strcmp(status, "queued") || !strcmp(status, "running"))));
  arena_free(a);
  return needed;
}

static int bulk_purge_job(json_t *payload, char **err) {
  UNUSED(payload);
  UNUSED(err);
  int64_t now = now_unix();
  if (db_run("DELETE FROM heat_bulk WHERE status IN ('done', 'failed') AND coalesce(finished_at, created_at) < ?",
             "i", now - (int64_t)KEEP_DAYS * 86400) != DB_DONE)
    return 0; /* logged; the next hour tries again */
  arena *a = arena_new();
  const char *dir = bulk_dir(a);
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' && strncmp(e->d_name, ".in-", 4) != 0) continue; /* . and .. */
    const char *path = arena_printf(a, "%s/%s", dir, e->d_name);
    struct stat st;
    if (!strncmp(e->d_name, ".in-", 4)) {
      if (stat(path, &st) == 0 && st.st_mtime < now - TMP_MAX_AGE) unlink(path);
    } else if (!file_needed(e->d_name)) {
      unlink(path);
    }
  }
  if (d) closedir(d);
  arena_free(a);
  return 0;
}

void heat_bulk_init(void) {
  job_register(JOB_BULK, bulk_job);
  job_register(JOB_PURGE, bulk_purge_job);
  job_every(JOB_PURGE, 3600);
}
