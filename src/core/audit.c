/*
** audit.c — the append-only, hash-chained audit log of audit.h.
**
** Each entry's hash is SHA-256 (libsodium's crypto_hash_sha256), written as
** 64 lower-case hex digits, over this serialisation of eight fields, in this
** order, with nothing between them:
**
**     prev_hash, id, at, user_id, action, object, ip, detail
**
** each field written as a netstring: its length in bytes in decimal, ':',
** the bytes, ','. Integers are first written in decimal ("42", "-1"); a NULL
** text is the two bytes "-," (no length can start with '-', so NULL and ""
** differ). For example, the first entry (prev_hash is 64 zeros), at
** 1700000000 by user 0, action "user.login", object "user:12", no IP, an
** empty detail, hashes the bytes
**
**     64:0000…0000,1:1,10:1700000000,1:0,10:user.login,7:user:12,-,0:,
**
** Invariants:
**   - ids are 1, 2, 3… with no gap: audit_log assigns head + 1;
**   - entry n's prev_hash is entry n-1's hash (64 zeros for entry 1);
**   - audit_head holds the id and hash of the last entry appended, updated
**     in the same transaction as the append.
** The head also fixes what a gap in ids cannot show: deleting the last
** entries leaves ids 1…k perfectly consecutive, and only the head still
** remembers k+1…n. Without it a deleted tail would be undetectable. Ids come
** from the head, not from max(id), so an append after a deleted tail leaves
** a visible gap instead of silently reusing the ids.
**
** Limits: the chain proves the log is consistent with itself. Someone who
** can write the file, drops the triggers, rewrites every hash from the
** altered entry on and updates audit_head is not detected; catching that
** needs the head hash kept somewhere else too (a backup, an email).
**
** Cost: an append is one SHA-256 over a few hundred bytes and three
** statements under the write lock; audit_verify reads the whole table once,
** in one read transaction, in constant memory.
*/
#include "core/audit.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/db.h"
#include "core/log.h"

#define HASH_HEX 64 /* SHA-256 in hex */

static const char zZeroHash[HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* One netstring field; NULL is "-,". */
static void put_text(buf *b, const char *z) {
  if (!z) {
    buf_puts(b, "-,");
    return;
  }
  size_t n = strlen(z);
  buf_printf(b, "%zu:", n);
  buf_append(b, z, n);
  buf_putc(b, ',');
}

static void put_int(buf *b, int64_t v) {
  char t[24]; /* "-9223372036854775808" and the NUL fit */
  snprintf(t, sizeof t, "%lld", (long long)v);
  put_text(b, t);
}

/* out receives the 64 hex digits and a NUL. */
static void entry_hash(char out[HASH_HEX + 1], const char *prev_hash, int64_t id, int64_t at,
                       int64_t user_id, const char *action, const char *object, const char *ip,
                       const char *detail) {
  buf b = {0};
  put_text(&b, prev_hash);
  put_int(&b, id);
  put_int(&b, at);
  put_int(&b, user_id);
  put_text(&b, action);
  put_text(&b, object);
  put_text(&b, ip);
  put_text(&b, detail);
  assert(!b.err); /* no cap was set */
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)b.z, b.n);
  buf_free(&b);
  hex_encode(out, h, sizeof h);
}

/* Reads audit_head. 0, or -1 when the row is missing or malformed. */
static int head_read(int64_t *last_id, char last_hash[HASH_HEX + 1]) {
  db_stmt *s = db_query("SELECT last_id, last_hash FROM audit_head WHERE one = 1", NULL);
  int rc = -1;
  if (db_step(s) == DB_ROW) {
    const char *z = db_text(s, 1);
    if (z && strlen(z) == HASH_HEX) {
      *last_id = db_int(s, 0);
      memcpy(last_hash, z, HASH_HEX + 1);
      rc = 0;
    }
  }
  db_done(s);
  return rc;
}

/* The caller's transaction, when there is one, must hold the write lock
** (db_begin_write): reading the head and appending must not interleave with
** another writer, and a deferred transaction that upgrades late can fail
** with a stale snapshot. */
int64_t audit_log(int64_t user_id, const char *action, const char *object, const char *ip,
                  const char *detail) {
  assert(action && *action && "an audit entry names its action");
  int own = !db_in_transaction();
  if (own && db_begin_write() != 0) return -1;

  int64_t id = -1;
  int64_t last_id;
  char prev[HASH_HEX + 1], hash[HASH_HEX + 1];
  if (head_read(&last_id, prev) != 0) {
    log_error("audit", "tête du journal d'audit absente ou illisible (table audit_head)");
    goto out;
  }
  int64_t at = now_unix();
  entry_hash(hash, prev, last_id + 1, at, user_id, action, object, ip, detail);
  if (db_run("INSERT INTO audit(id, at, user_id, action, object, ip, detail, prev_hash, hash)"
             " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
             "iiitttttt", last_id + 1, at, user_id, action, object, ip, detail, prev,
             hash) != DB_DONE)
    goto out;
  if (db_run("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE one = 1", "it",
             last_id + 1, hash) != DB_DONE ||
      db_changes() != 1)
    goto out;
  id = last_id + 1;

out:
  if (own) {
    if (id < 0) db_rollback();
    else if (db_commit() != 0) id = -1;
  }
  return id;
}

/* "entrée 5 supprimée" or "entrées 5 à 7 supprimées", then the reason. */
static void report_missing(buf *out, int64_t from, int64_t to) {
  if (from == to) buf_printf(out, "entrée %lld supprimée", (long long)from);
  else buf_printf(out, "entrées %lld à %lld supprimées", (long long)from, (long long)to);
}

int audit_verify(buf *out) {
  int own = !db_in_transaction();
  if (own && db_begin() != 0) {
    buf_puts(out, "lecture du journal d'audit impossible\n");
    return 1;
  }
  int problems = 0;
  int64_t expect = 1;  /* id the next entry should have */
  char prev[HASH_HEX + 1]; /* stored hash of the previous entry */
  memcpy(prev, zZeroHash, sizeof prev);

  db_stmt *s = db_query("SELECT id, at, user_id, action, object, ip, detail, prev_hash, hash"
                        " FROM audit ORDER BY id",
                        NULL);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    int64_t id = db_int(s, 0);
    const char *zPrev = db_text(s, 7), *zHash = db_text(s, 8);
    if (!zPrev) zPrev = "";
    if (!zHash) zHash = "";
    if (id < expect) { /* only ids below 1 can get here: ids are unique */
      buf_printf(out, "entrée %lld hors séquence (les identifiants commencent à 1)\n",
                 (long long)id);
      problems++;
      continue;
    }
    int gap = id != expect;
    if (gap) {
      report_missing(out, expect, id - 1);
      if (expect == 1) buf_printf(out, " (le journal commence à l'entrée %lld)\n", (long long)id);
      else
        buf_printf(out, " (les entrées %lld et %lld ne se suivent pas)\n", (long long)expect - 1,
                   (long long)id);
      problems++;
    }
    char calc[HASH_HEX + 1];
    entry_hash(calc, db_text(s, 7), id, db_int(s, 1), db_int(s, 2), db_text(s, 3), db_text(s, 4),
               db_text(s, 5), db_text(s, 6));
    if (strcmp(calc, zHash) != 0) {
      buf_printf(out, "entrée %lld modifiée (empreinte attendue %s, enregistrée %s)\n",
                 (long long)id, calc, zHash);
      problems++;
    } else if (!gap && strcmp(zPrev, prev) != 0) {
      /* After a gap the previous hash is unknown: the gap was reported. */
      buf_printf(out,
                 "entrée %lld : chaînage rompu (empreinte précédente attendue %s, trouvée %s)\n",
                 (long long)id, prev, zPrev);
      problems++;
    }
    snprintf(prev, sizeof prev, "%s", zHash);
    expect = id + 1;
  }
  db_done(s);
  if (rc != DB_DONE) {
    buf_puts(out, "lecture du journal d'audit interrompue (erreur de la base)\n");
    problems++;
  }

  /* The tail: ids 1…expect-1 were seen; the head says how far the log went. */
  int64_t last = expect - 1, head_id;
  char head_hash[HASH_HEX + 1];
  if (head_read(&head_id, head_hash) != 0) {
    buf_puts(out, "tête du journal d'audit absente ou illisible : la fin du journal n'est pas "
                  "vérifiable\n");
    problems++;
  } else if (head_id > last) {
    report_missing(out, last + 1, head_id);
    buf_printf(out, " (d'après la tête du journal, la dernière entrée est la %lld)\n",
               (long long)head_id);
    problems++;
  } else if (head_id < last) {
    if (head_id + 1 == last)
      buf_printf(out, "entrée %lld ajoutée", (long long)last);
    else
      buf_printf(out, "entrées %lld à %lld ajoutées", (long long)head_id + 1, (long long)last);
    buf_printf(out, " hors du journal (d'après sa tête, la dernière entrée est la %lld)\n",
               (long long)head_id);
    problems++;
  } else if (last > 0 && strcmp(head_hash, prev) != 0) {
    buf_printf(out, "entrée %lld modifiée (la tête du journal indique l'empreinte %s, "
                    "enregistrée %s)\n",
               (long long)last, head_hash, prev);
    problems++;
  }
  if (own) db_commit();
  return problems;
}

const char *audit_user(arena *a, int64_t uid) { return arena_printf(a, "user:%lld", (long long)uid); }
