/*
** mail.c — the outbox of mail.h and its "mail.send" job.
**
** mail_send checks the message (one bare address; no CR, LF or other
** control character in the address or subject, so nobody can add a header
** or a recipient; size caps), inserts it into outbox as 'queued' and
** enqueues {"id": N}, both in one transaction. The job loads the row and:
**   - smtp_url empty: marks it 'held' (kept for /admin/outbox) and succeeds;
**   - otherwise builds an RFC 5322 message and hands it to libcurl's SMTP
**     client, then marks it 'sent', or records the error with status
**     'failed' and fails the job, which the jobs queue retries with
**     back-off. 'failed' thus means "the last attempt failed"; a later
**     retry may still turn it into 'sent'.
** A row already 'sent' is not sent again (a job replayed after a crash).
**
** The message: Date (the outbox row's creation time), From (smtp_from as
** configured), To, Subject (RFC 2047 =?UTF-8?B?…?= words when it holds
** non-ASCII bytes or "=?", folded so that each word stays under 76
** characters), Message-ID <guichet.ID.CREATED@domain-of-smtp_from> (stable
** across retries, so a receiver can drop a duplicate), MIME-Version,
** Content-Type text/plain UTF-8, 8bit; then the body with line ends turned
** into CRLF. libcurl escapes lines starting with '.'.
**
** Memory: the message is built in one buf per attempt and freed after it.
** Addresses and bodies are personal data: they go to the outbox, never to
** the log.
*/
#include "core/mail.h"

#include <assert.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/db.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/util.h"

#define MAIL_TO_MAX 254            /* bytes: RFC 5321's longest path */
#define MAIL_SUBJECT_MAX 512       /* bytes of UTF-8; folded when encoded */
#define MAIL_BODY_MAX (256 * 1024) /* bytes: our mails are notices, not documents */
#define MAIL_WORD_BYTES 45         /* bytes per encoded word: 60 base64 chars + 12 = 72 */
#define MAIL_TIMEOUT 30            /* seconds for the whole SMTP exchange */

/* 1 if z holds a control character (CR and LF included). */
static int has_ctl(const char *z) {
  for (; *z; z++)
    if ((unsigned char)*z < 0x20 || *z == 0x7f) return 1;
  return 0;
}

/* One bare address: local@domain, no spaces, separators or brackets. */
static int to_valid(const char *to) {
  size_t n = strlen(to);
  if (n < 3 || n > MAIL_TO_MAX || has_ctl(to)) return 0;
  if (strpbrk(to, " ,;<>\"()[]\\")) return 0;
  const char *at = strchr(to, '@');
  return at && at != to && at[1] && !strchr(at + 1, '@');
}

int64_t mail_send(const char *to, const char *subject, const char *body) {
  if (!to || !subject || !body) return -1;
  if (!to_valid(to)) {
    log_error("mail", "message refusé : adresse de destination invalide");
    return -1;
  }
  if (has_ctl(subject) || strlen(subject) > MAIL_SUBJECT_MAX) {
    log_error("mail", "message refusé : sujet invalide (caractère de contrôle ou trop long)");
    return -1;
  }
  if (strlen(body) > MAIL_BODY_MAX) {
    log_error("mail", "message refusé : corps trop long");
    return -1;
  }

  int own = !db_in_transaction();
  if (own && db_begin_write() != 0) return -1;
  int64_t id = db_insert("INSERT INTO outbox(to_addr, subject, body, status, created_at)"
                         " VALUES(?, ?, ?, 'queued', ?)",
                         NULL, "ttti", to, subject, body, now_unix());
  if (id > 0) {
    json_t *payload = json_pack("{sI}", "id", (json_int_t)id);
    if (job_enqueue("mail.send", payload, 0) < 0) id = -1;
    json_decref(payload);
  }
  if (own) {
    if (id < 0) db_rollback();
    else if (db_commit() != 0) id = -1;
  }
  return id;
}

/* ---- building the message ---- */

static void put_date(buf *b, int64_t t) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int needs_encoding(const char *z) {
  for (const char *p = z; *p; p++)
    if ((unsigned char)*p >= 0x80) return 1;
  return strstr(z, "=?") != NULL;
}

/* The subject as is when plain ASCII, else as encoded words of at most
** MAIL_WORD_BYTES bytes each, cut between UTF-8 characters, one per folded
** line. */
static void put_subject(buf *b, const char *z) {
  if (!needs_encoding(z)) {
    buf_puts(b, z);
    return;
  }
  size_t n = strlen(z), i = 0;
  while (i < n) {
    size_t len = n - i < MAIL_WORD_BYTES ? n - i : MAIL_WORD_BYTES;
    while (i + len < n && len > 1 && ((unsigned char)z[i + len] & 0xC0) == 0x80) len--;
    char b64[sodium_base64_ENCODED_LEN(MAIL_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)z + i, len,
                      sodium_base64_VARIANT_ORIGINAL);
    if (i > 0) buf_puts(b, "\r\n ");
    buf_printf(b, "=?UTF-8?B?%s?=", b64);
    i += len;
  }
}

/* The body with every line end (LF, CR or CRLF) as CRLF, ending with one. */
static void put_body(buf *b, const char *z) {
  const char *p = z;
  while (*p) {
    size_t k = strcspn(p, "\r\n");
    buf_append(b, p, k);
    buf_puts(b, "\r\n");
    p += k;
    if (*p == '\r' && p[1] == '\n') p += 2;
    else if (*p) p++;
  }
}

/* The address inside "Name <addr>", or the whole of z; malloc'ed. */
static char *addr_of(const char *z) {
  const char *lt = strchr(z, '<');
  const char *gt = lt ? strchr(lt, '>') : NULL;
  if (lt && gt) return xstrndup(lt + 1, (size_t)(gt - lt - 1));
  return xstrdup(z);
}

static void mail_build(buf *b, int64_t id, int64_t created_at, const char *from,
                       const char *from_addr, const char *to, const char *subject,
                       const char *body) {
  const char *at = strrchr(from_addr, '@');
  const char *domain = at && at[1] ? at + 1 : "localhost";
  buf_puts(b, "Date: ");
  put_date(b, created_at);
  buf_printf(b, "\r\nFrom: %s\r\nTo: %s\r\nSubject: ", from, to);
  put_subject(b, subject);
  buf_printf(b, "\r\nMessage-ID: <guichet.%lld.%lld@%s>\r\n", (long long)id,
             (long long)created_at, domain);
  buf_puts(b, "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n"
              "\r\n");
  put_body(b, body);
}

/* ---- SMTP ---- */

typedef struct mail_src {
  const char *z; /* the whole message (borrowed) */
  size_t n;      /* its length */
  size_t off;    /* bytes already handed to libcurl */
} mail_src;

static size_t mail_read(char *dst, size_t size, size_t nmemb, void *arg) {
  mail_src *m = arg;
  size_t room = size * nmemb, left = m->n - m->off;
  size_t k = left < room ? left : room;
  memcpy(dst, m->z + m->off, k);
  m->off += k;
  return k;
}

/* Sends msg to one recipient. 0, or -1 with *err malloc'ed. */
static int smtp_deliver(const char *url, const char *from_addr, const char *to, const buf *msg,
                        char **err) {
  CURL *c = curl_easy_init();
  if (!c) {
    *err = xstrdup("envoi SMTP impossible : libcurl indisponible");
    return -1;
  }
  char errbuf[CURL_ERROR_SIZE] = "";
  buf from = {0}, rcpt = {0};
  buf_printf(&from, "<%s>", from_addr);
  buf_printf(&rcpt, "<%s>", to);
  struct curl_slist *rcpts = curl_slist_append(NULL, buf_str(&rcpt));
  mail_src src = {msg->z, msg->n, 0};

  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, buf_str(&from));
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
  curl_easy_setopt(c, CURLOPT_READDATA, &src);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->n);
  curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)MAIL_TIMEOUT);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we are in a worker thread */
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  CURLcode rc = !rcpts ? CURLE_OUT_OF_MEMORY : curl_easy_perform(c);
  if (rc != CURLE_OK) {
    buf e = {0};
    buf_printf(&e, "envoi SMTP impossible : %s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    *err = e.z;
  }
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(c);
  buf_free(&from);
  buf_free(&rcpt);
  return rc == CURLE_OK ? 0 : -1;
}

/* ---- the job ---- */

typedef struct outbox_row {
  char *to;           /* to_addr, malloc'ed */
  char *subject;      /* malloc'ed */
  char *body;         /* malloc'ed */
  char *status;       /* malloc'ed */
  int64_t created_at; /* unix seconds */
} outbox_row;

static char *dup_or_empty(const char *z) { return xstrdup(z ? z : ""); }

/* 1: loaded, 0: no such row, -1: database error. */
static int outbox_load(int64_t id, outbox_row *r) {
  db_stmt *s = db_query("SELECT to_addr, subject, body, status, created_at FROM outbox"
                        " WHERE id = ?",
                        "i", id);
  int step = db_step(s), rc = step == DB_ROW ? 1 : step == DB_DONE ? 0 : -1;
  if (rc == 1) {
    r->to = dup_or_empty(db_text(s, 0));
    r->subject = dup_or_empty(db_text(s, 1));
    r->body = dup_or_empty(db_text(s, 2));
    r->status = dup_or_empty(db_text(s, 3));
    r->created_at = db_int(s, 4);
  }
  db_done(s);
  return rc;
}

static void outbox_free(outbox_row *r) {
  free(r->to);
  free(r->subject);
  free(r->body);
  free(r->status);
}

static int mail_send_job(json_t *payload, char **err) {
  json_int_t id = json_integer_value(json_object_get(payload, "id"));
  if (id <= 0) {
    *err = xstrdup("tâche mail.send sans identifiant de message");
    return -1;
  }
  outbox_row r = {0};
  int rc = outbox_load(id, &r);
  if (rc < 0) {
    *err = xstrdup("lecture de l'outbox impossible");
    return -1;
  }
  if (rc == 0) { /* removed from the outbox meanwhile: nothing to send */
    log_info("mail", "message %lld absent de l'outbox", (long long)id);
    return 0;
  }
  rc = 0;
  const char *url = config_str("smtp_url");
  const char *from = config_str("smtp_from");
  if (str_eq(r.status, "sent")) {
    /* already delivered: a replay after a crash */
  } else if (!*url) {
    if (db_run("UPDATE outbox SET status = 'held' WHERE id = ?", "i", (int64_t)id) != DB_DONE) {
      *err = xstrdup("mise en attente du message impossible");
      rc = -1;
    }
  } else if (has_ctl(from) || !*from) {
    *err = xstrdup("smtp_from invalide (vide ou caractère de contrôle)");
    rc = -1;
  } else {
    char *from_addr = addr_of(from);
    buf msg = {0};
    mail_build(&msg, id, r.created_at, from, from_addr, r.to, r.subject, r.body);
    rc = smtp_deliver(url, from_addr, r.to, &msg, err);
    buf_free(&msg);
    free(from_addr);
    /* Marking failure after a delivery is only logged: failing the job
    ** would send the message again. */
    if (rc == 0 &&
        db_run("UPDATE outbox SET status = 'sent', sent_at = ?, error = NULL WHERE id = ?", "ii",
               now_unix(), (int64_t)id) != DB_DONE)
      log_error("mail", "message %lld envoyé mais non marqué", (long long)id);
  }
  if (rc != 0)
    db_run("UPDATE outbox SET status = 'failed', error = ? WHERE id = ?", "ti", *err, (int64_t)id);
  outbox_free(&r);
  return rc;
}

void mail_init(void) {
  static int inited; /* curl_global_init is not thread-safe: once, here */
  if (!inited) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    inited = 1;
  }
  job_register("mail.send", mail_send_job);
}
