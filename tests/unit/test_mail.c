/*
** test_mail.c — the outbox and the mail.send job, through mail.h and
** jobs.h, on a fresh database per test. SMTP delivery goes to a tiny fake
** server on 127.0.0.1 run in a thread: it answers just enough SMTP for
** libcurl and keeps the envelope and the message (dot-unstuffed, as a real
** server would store it).
*/
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/db.h"
#include "core/jobs.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/util.h"
#include "testdb.h"

static testdb T; /* the test's directory and database */

static void setup(void) {
  cr_assert_geq(sodium_init(), 0);
  testdb_open(&T, "mail");
  config_set("smtp_url", "");
  mail_init();
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(mail, .init = setup, .fini = teardown);

/* ---- the fake SMTP server ---- */

typedef struct smtp_fake {
  int lfd;             /* listening socket */
  int port;            /* its port on 127.0.0.1 */
  pthread_t th;        /* the serving thread */
  char mail_from[256]; /* MAIL FROM argument */
  char rcpt_to[256];   /* RCPT TO argument */
  buf data;            /* the message after DATA, dot-unstuffed */
  int quit;            /* QUIT was received */
} smtp_fake;

static void reply(int fd, const char *line) {
  size_t n = strlen(line);
  cr_assert_eq(write(fd, line, n), (ssize_t)n);
}

static void arg_copy(char *dst, size_t size, const char *line, size_t skip) {
  size_t n = strcspn(line + skip, "\r\n");
  if (n >= size) n = size - 1;
  memcpy(dst, line + skip, n);
  dst[n] = 0;
}

static void *smtp_main(void *arg) {
  smtp_fake *f = arg;
  int fd = accept(f->lfd, NULL, NULL);
  if (fd < 0) return NULL;
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  FILE *in = fdopen(dup(fd), "r");
  reply(fd, "220 fake.example ESMTP\r\n");
  char line[4096];
  int in_data = 0;
  while (fgets(line, sizeof line, in)) {
    if (in_data) {
      if (strcmp(line, ".\r\n") == 0) {
        in_data = 0;
        reply(fd, "250 2.0.0 queued\r\n");
      } else {
        buf_puts(&f->data, line[0] == '.' ? line + 1 : line);
      }
    } else if (!strncasecmp(line, "EHLO", 4) || !strncasecmp(line, "HELO", 4)) {
      reply(fd, "250 fake.example\r\n");
    } else if (!strncasecmp(line, "MAIL FROM:", 10)) {
      arg_copy(f->mail_from, sizeof f->mail_from, line, 10);
      reply(fd, "250 2.1.0 ok\r\n");
    } else if (!strncasecmp(line, "RCPT TO:", 8)) {
      arg_copy(f->rcpt_to, sizeof f->rcpt_to, line, 8);
      reply(fd, "250 2.1.5 ok\r\n");
    } else if (!strncasecmp(line, "DATA", 4)) {
      in_data = 1;
      reply(fd, "354 go ahead\r\n");
    } else if (!strncasecmp(line, "QUIT", 4)) {
      f->quit = 1;
      reply(fd, "221 bye\r\n");
      break;
    } else {
      reply(fd, "502 5.5.2 not implemented\r\n");
    }
  }
  fclose(in);
  close(fd);
  return NULL;
}

/* A listening socket on 127.0.0.1, any port. */
static int listen_local(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, 4), 0);
  socklen_t n = sizeof a;
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static void smtp_start(smtp_fake *f) {
  memset(f, 0, sizeof(*f));
  f->lfd = listen_local(&f->port);
  struct timeval tv = {10, 0}; /* accept gives up if no client comes */
  setsockopt(f->lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  cr_assert_eq(pthread_create(&f->th, NULL, smtp_main, f), 0);
  char url[64];
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", f->port);
  config_set("smtp_url", url);
}

static void smtp_join(smtp_fake *f) {
  pthread_join(f->th, NULL);
  close(f->lfd);
}

/* ---- helpers ---- */

static char *outbox_text(int64_t id, const char *sql) {
  db_stmt *s = db_query(sql, "i", id);
  char *z = NULL;
  if (db_step(s) == DB_ROW && db_text(s, 0)) z = xstrdup(db_text(s, 0));
  db_done(s);
  return z;
}

static void expect_outbox(int64_t id, const char *sql, const char *want) {
  char *z = outbox_text(id, sql);
  cr_assert_not_null(z, "%s: NULL", sql);
  cr_assert_str_eq(z, want, "%s", sql);
  free(z);
}

static int64_t count(const char *sql) { return db_get_int(-1, sql, NULL); }

#define TO "jeanne.dupont@example.fr"
#define BODY "Bonjour Jeanne,\n\nVotre dossier n° 42 a été reçu.\n.signature\nLe guichet\n"

/* ---- tests ---- */

Test(mail, held_without_smtp) {
  int64_t id = mail_send(TO, "Confirmez votre adresse", BODY);
  cr_assert_gt(id, 0);
  expect_outbox(id, "SELECT status FROM outbox WHERE id = ?", "queued");
  cr_assert_eq(jobs_run_due(), 1);
  expect_outbox(id, "SELECT status FROM outbox WHERE id = ?", "held");
  expect_outbox(id, "SELECT to_addr FROM outbox WHERE id = ?", TO);
  expect_outbox(id, "SELECT subject FROM outbox WHERE id = ?", "Confirmez votre adresse");
  expect_outbox(id, "SELECT body FROM outbox WHERE id = ?", BODY);
  cr_assert_eq(count("SELECT count(*) FROM jobs WHERE kind = 'mail.send' AND status = 'done'"), 1);
}

Test(mail, header_injection_refused) {
  cr_assert_eq(mail_send(TO, "Bonjour\r\nBcc: espion@example.org", BODY), -1);
  cr_assert_eq(mail_send(TO, "Bonjour\nBcc: espion@example.org", BODY), -1);
  cr_assert_eq(mail_send(TO, "Bonjour\r", BODY), -1);
  cr_assert_eq(mail_send(TO "\r\nBcc: espion@example.org", "Bonjour", BODY), -1);
  cr_assert_eq(mail_send(TO "\n", "Bonjour", BODY), -1);
  cr_assert_eq(mail_send(TO ", espion@example.org", "Bonjour", BODY), -1);
  cr_assert_eq(mail_send("pas-une-adresse", "Bonjour", BODY), -1);
  cr_assert_eq(mail_send("", "Bonjour", BODY), -1);
  cr_assert_eq(count("SELECT count(*) FROM outbox"), 0);
  cr_assert_eq(count("SELECT count(*) FROM jobs"), 0);
}

Test(mail, rolled_back_transaction_sends_nothing) {
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_gt(mail_send(TO, "Bonjour", BODY), 0);
  db_rollback();
  cr_assert_eq(count("SELECT count(*) FROM outbox"), 0);
  cr_assert_eq(count("SELECT count(*) FROM jobs"), 0);
}

Test(mail, sent_through_smtp) {
  smtp_fake f;
  smtp_start(&f);
  int64_t id = mail_send(TO, "Votre dossier a été reçu", BODY);
  cr_assert_gt(id, 0);
  cr_assert_eq(jobs_run_due(), 1);
  smtp_join(&f);

  expect_outbox(id, "SELECT status FROM outbox WHERE id = ?", "sent");
  cr_assert_null(outbox_text(id, "SELECT error FROM outbox WHERE id = ?"));
  cr_assert_gt(db_get_int(0, "SELECT sent_at FROM outbox WHERE id = ?", "i", id), 0);

  cr_assert_str_eq(f.mail_from, "<guichet@localhost>");
  cr_assert_str_eq(f.rcpt_to, "<" TO ">");
  cr_assert(f.quit);
  const char *m = buf_str(&f.data);
  /* base64 of the UTF-8 "Votre dossier a été reçu" */
  cr_assert_not_null(strstr(m, "\r\nSubject: =?UTF-8?B?Vm90cmUgZG9zc2llciBhIMOpdMOpIHJlw6d1?=\r\n"),
                     "%s", m);
  cr_assert_not_null(strstr(m, "\r\nFrom: guichet@localhost\r\n"), "%s", m);
  cr_assert_not_null(strstr(m, "\r\nTo: " TO "\r\n"), "%s", m);
  cr_assert_eq(strncmp(m, "Date: ", 6), 0, "%s", m);
  cr_assert_not_null(strstr(m, "\r\nMessage-ID: <guichet."), "%s", m);
  cr_assert_not_null(strstr(m, "@localhost>\r\n"), "%s", m);
  cr_assert_not_null(strstr(m, "\r\nMIME-Version: 1.0\r\n"), "%s", m);
  cr_assert_not_null(strstr(m, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"), "%s", m);
  cr_assert_not_null(strstr(m, "\r\nContent-Transfer-Encoding: 8bit\r\n"), "%s", m);
  const char *body = strstr(m, "\r\n\r\n");
  cr_assert_not_null(body, "%s", m);
  cr_assert_str_eq(body + 4, "Bonjour Jeanne,\r\n\r\nVotre dossier n° 42 a été reçu.\r\n"
                             ".signature\r\nLe guichet\r\n");
  buf_free(&f.data);
}

Test(mail, ascii_subject_is_not_encoded) {
  smtp_fake f;
  smtp_start(&f);
  int64_t id = mail_send(TO, "Confirmez votre adresse", "Bonjour");
  cr_assert_eq(jobs_run_due(), 1);
  smtp_join(&f);
  expect_outbox(id, "SELECT status FROM outbox WHERE id = ?", "sent");
  cr_assert_not_null(strstr(buf_str(&f.data), "\r\nSubject: Confirmez votre adresse\r\n"), "%s",
                     buf_str(&f.data));
  cr_assert(str_eq(strstr(buf_str(&f.data), "\r\n\r\n"), "\r\n\r\nBonjour\r\n"));
  buf_free(&f.data);
}

/* A long accented subject is folded into encoded words of at most 75
** characters, each holding whole UTF-8 characters, that decode back. */
Test(mail, long_subject_is_folded) {
  buf subject = {0};
  for (int i = 0; i < 12; i++) buf_puts(&subject, "Préfecture – dossier ");
  smtp_fake f;
  smtp_start(&f);
  cr_assert_gt(mail_send(TO, buf_str(&subject), "corps"), 0);
  cr_assert_eq(jobs_run_due(), 1);
  smtp_join(&f);

  const char *m = buf_str(&f.data);
  const char *p = strstr(m, "\r\nSubject: ");
  cr_assert_not_null(p, "%s", m);
  p += strlen("\r\nSubject: ");
  buf decoded = {0};
  int words = 0;
  for (;;) {
    cr_assert_eq(strncmp(p, "=?UTF-8?B?", 10), 0, "%s", p);
    const char *end = strstr(p, "?=");
    cr_assert_not_null(end);
    cr_assert_leq(end + 2 - p, 75, "encoded word too long");
    unsigned char bin[128];
    size_t n;
    cr_assert_eq(sodium_base642bin(bin, sizeof bin, p + 10, (size_t)(end - p - 10), NULL, &n,
                                   NULL, sodium_base64_VARIANT_ORIGINAL),
                 0);
    cr_assert(n == 0 || (bin[0] & 0xC0) != 0x80, "word %d starts inside a character", words);
    buf_append(&decoded, bin, n);
    words++;
    p = end + 2;
    if (strncmp(p, "\r\n ", 3) != 0) break;
    p += 3;
  }
  cr_assert_eq(strncmp(p, "\r\n", 2), 0);
  cr_assert_gt(words, 1);
  cr_assert_str_eq(buf_str(&decoded), buf_str(&subject));
  buf_free(&decoded);
  buf_free(&subject);
  buf_free(&f.data);
}

Test(mail, smtp_failure_is_recorded_and_retried) {
  int port;
  int fd = listen_local(&port);
  close(fd); /* nothing listens there now: connection refused */
  char url[64];
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
  config_set("smtp_url", url);

  int64_t id = mail_send(TO, "Bonjour", BODY);
  cr_assert_eq(jobs_run_due(), 1);
  expect_outbox(id, "SELECT status FROM outbox WHERE id = ?", "failed");
  char *err = outbox_text(id, "SELECT error FROM outbox WHERE id = ?");
  cr_assert_not_null(err);
  cr_assert_not_null(strstr(err, "envoi SMTP impossible"), "%s", err);
  free(err);
  cr_assert_eq(count("SELECT count(*) FROM jobs WHERE kind = 'mail.send' AND status = 'queued'"
                     " AND attempts = 1 AND last_error LIKE 'envoi SMTP impossible%'"),
               1);

  /* The server comes back; the retry delivers. */
  smtp_fake f;
  smtp_start(&f);
  db_run("UPDATE jobs SET run_at = 0", NULL);
  cr_assert_eq(jobs_run_due(), 1);
  smtp_join(&f);
  expect_outbox(id, "SELECT status FROM outbox WHERE id = ?", "sent");
  cr_assert_null(outbox_text(id, "SELECT error FROM outbox WHERE id = ?"));
  cr_assert_eq(count("SELECT count(*) FROM jobs WHERE status = 'done'"), 1);
  buf_free(&f.data);
}
