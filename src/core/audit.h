/*
** audit.h — the append-only, hash-chained audit log.
**
** Each entry holds: id, time (unix seconds), user id (0 = system/anonymous),
** action ("user.login", "account.document.upload", …), object ("user:12"),
** IP, a free-text detail, and hash = SHA-256 over the previous entry's hash
** and this entry's fields (a fixed, length-prefixed serialisation, see
** audit.c). Appends are serialised by taking the write lock, so the chain
** has no forks. The table refuses UPDATE and DELETE (triggers); anyone who
** edits the file anyway is caught by audit_verify.
*/
#ifndef GUICHET_AUDIT_H
#define GUICHET_AUDIT_H

#include <stdint.h>

#include "core/util.h"

/* Appends one entry. Runs inside the caller's write transaction if one is
** open (so the entry commits or rolls back with the change it records),
** otherwise in its own. Returns the entry id, or -1 on a database error. */
int64_t audit_log(int64_t user_id, const char *action, const char *object, const char *ip,
                  const char *detail);

/* The audit object naming a user, "user:ID", allocated in a. */
const char *audit_user(arena *a, int64_t uid);

/* Walks the whole chain. Returns 0 when intact; otherwise the number of
** problems, each described on one line in out (French): "entrée 42 modifiée
** (empreinte attendue …)", "entrée 43 supprimée (les entrées 42 et 44 ne se
** suivent pas)", "entrée 44 : chaînage rompu". */
int audit_verify(buf *out);

#endif
