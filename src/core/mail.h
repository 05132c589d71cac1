/*
** mail.h — outgoing mail through an outbox.
**
** mail_send inserts the message into the outbox table and enqueues a
** "mail.send" job. The job sends it through SMTP with libcurl when an SMTP
** URL is configured (config "smtp_url", e.g. smtp://localhost:25 or
** smtps://user:pass@host:465), otherwise it stays in the outbox with status
** 'held', readable by admins at /admin/outbox: that is how tests and the demo
** read confirmation emails. Bodies are plain text UTF-8.
*/
#ifndef GUICHET_MAIL_H
#define GUICHET_MAIL_H

#include <stdint.h>

/* Registers the mail.send job kind; call once before jobs_start. */
void mail_init(void);

/* Queues a message. Joins the caller's transaction if one is open. Returns
** the outbox id or -1. to must be one address. */
int64_t mail_send(const char *to, const char *subject, const char *body);

#endif
