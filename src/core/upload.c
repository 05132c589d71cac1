/*
** upload.c — content-checked, content-addressed document storage.
** libmagic handles are not thread-safe: each thread opens its own on first
** use and keeps it (the compiled magic database is mapped, not copied).
*/
#include "core/upload.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/db.h"
#include "core/i18n.h"
#include "core/log.h"

const char *const upload_doc_types[] = {"application/pdf", "image/jpeg", "image/png", NULL};
const char *const upload_pdf_types[] = {"application/pdf", NULL};

static _Thread_local magic_t t_magic; /* this thread's libmagic handle */
static pthread_key_t g_key;           /* closes it when the thread ends */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void magic_destructor(void *m) { magic_close(m); }
static void key_init(void) { pthread_key_create(&g_key, magic_destructor); }

static magic_t get_magic(void) {
  if (!t_magic) {
    pthread_once(&g_once, key_init);
    t_magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR);
    if (!t_magic || magic_load(t_magic, NULL) != 0) {
      log_error("upload", "libmagic: %s", t_magic ? magic_error(t_magic) : "open");
      return NULL;
    }
    pthread_setspecific(g_key, t_magic);
  }
  return t_magic;
}

char *upload_path(arena *a, const char *hash) {
  if (!hash || strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64) return NULL;
  return arena_printf(a, "%s/files/%.2s/%s", config_str("data_dir"), hash, hash);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Copies a spilled temp file or in-memory data to dst, hashing on the way. */
static int copy_hash(form_file *f, int dst, unsigned char h[32]) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  if (f->data) {
    crypto_hash_sha256_update(&st, (const unsigned char *)f->data, f->size);
    if (dst >= 0 && write_all(dst, f->data, f->size) != 0) return -1;
  } else {
    int src = open(f->path, O_RDONLY);
    if (src < 0) return -1;
    char blk[65536];
    ssize_t n;
    while ((n = read(src, blk, sizeof blk)) > 0) {
      crypto_hash_sha256_update(&st, (unsigned char *)blk, (size_t)n);
      if (dst >= 0 && write_all(dst, blk, (size_t)n) != 0) {
        close(src);
        return -1;
      }
    }
    close(src);
    if (n < 0) return -1;
  }
  crypto_hash_sha256_final(&st, h);
  return 0;
}

/* The allowed types as a refusal names them, "un PDF, un JPEG ou un PNG",
** in r's arena. */
static const char *types_named(req *r, const char *const *allowed) {
  static const char *const mimes[] = {"application/pdf", "image/jpeg", "image/png", NULL};
  static const char *const names[] = {"PDF", "JPEG", "PNG"};
  int n = 0;
  while (allowed[n]) n++;
  buf b = {0};
  for (int i = 0; i < n; i++) {
    const char *name = allowed[i];
    for (int k = 0; mimes[k]; k++)
      if (!strcmp(allowed[i], mimes[k])) name = names[k];
    if (i) buf_puts(&b, i == n - 1 ? _(" ou ") : ", ");
    buf_printf(&b, _("un %s"), name);
  }
  const char *z = arena_strdup(r->a, buf_str(&b));
  buf_free(&b);
  return z;
}

int upload_store(req *r, form_file *f, const char *const *allowed, size_t max, upload_info *out,
                 const char **err) {
  *err = NULL;
  if (!f || f->size == 0) {
    *err = _("Le fichier est vide.");
    return -1;
  }
  if (f->size > max) {
    *err = arena_printf(r->a, _("Le fichier dépasse la taille maximale de %zu Mo."), max / 1000000);
    return -1;
  }
  magic_t m = get_magic();
  const char *mime = NULL;
  if (m) mime = f->data ? magic_buffer(m, f->data, f->size) : magic_file(m, f->path);
  const char *found = NULL;
  for (int i = 0; mime && allowed[i]; i++)
    if (!strcmp(mime, allowed[i])) found = allowed[i];
  if (!found) {
    *err = arena_printf(r->a, _("Ce type de fichier n’est pas accepté : déposez %s."), types_named(r, allowed));
    return -1;
  }
  char dir[600], tmp[700];
  snprintf(dir, sizeof dir, "%s/files", config_str("data_dir"));
  mkdir(dir, 0700);
  snprintf(tmp, sizeof tmp, "%s/.in-XXXXXX", dir);
  int fd = mkstemp(tmp);
  unsigned char h[32];
  if (fd < 0 || copy_hash(f, fd, h) != 0 || fsync(fd) != 0) {
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    log_error("upload", "store: %s", strerror(errno));
    *err = _("Le fichier n’a pas pu être enregistré : réessayez.");
    return -1;
  }
  close(fd);
  hex_encode(out->hash, h, sizeof h);
  char *final = upload_path(r->a, out->hash);
  snprintf(dir, sizeof dir, "%s/files/%.2s", config_str("data_dir"), out->hash);
  mkdir(dir, 0700);
  if (rename(tmp, final) != 0) {
    unlink(tmp);
    *err = _("Le fichier n’a pas pu être enregistré : réessayez.");
    return -1;
  }
  out->mime = found;
  out->size = f->size;
  return 0;
}

#define UPLOAD_TABLES_MAX 16
static const char *g_tables[UPLOAD_TABLES_MAX]; /* set at start-up, read-only after */
static int g_ntables;

void upload_track(const char *table) {
  assert(g_ntables < UPLOAD_TABLES_MAX);
  for (const char *p = table; *p; p++) assert((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
  for (int i = 0; i < g_ntables; i++)
    if (!strcmp(g_tables[i], table)) return;
  g_tables[g_ntables++] = table;
}

void upload_remove(const char *hash) {
  arena *a = arena_new();
  char *p = upload_path(a, hash);
  int used = 0;
  for (int i = 0; p && !used && i < g_ntables; i++) {
    buf q = {0}; /* the table name is a registered identifier, the hash is bound */
    buf_puts(&q, "SELECT count(*) FROM ");
    buf_puts(&q, g_tables[i]);
    buf_puts(&q, " WHERE hash=?");
    used = db_get_int(1, buf_str(&q), "t", hash) != 0;
    buf_free(&q);
  }
  if (p && !used) unlink(p);
  arena_free(a);
}
