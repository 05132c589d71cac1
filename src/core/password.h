/*
** password.h — password hashing (argon2id through libsodium) and the
** password policy (CNIL deliberation 2022-100: at least 12 characters mixing
** upper case, lower case, digits and symbols, or an equivalent entropy; plus
** refusal of the 10,000 most common passwords).
*/
#ifndef GUICHET_PASSWORD_H
#define GUICHET_PASSWORD_H

#include <sodium.h>

#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES

/* Argon2id, t=2, m=19 MiB (OWASP's minimum): bounded memory per login.
** Returns 0, or -1 if libsodium failed (out of memory). */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);

/* 1 if pw matches the stored hash, else 0. Constant time in pw. */
int password_verify(const char *hash, const char *pw);

/* Loads the common-password list (one per line, as build/common-passwords.txt)
** into a process-wide set. Returns the number loaded, or -1. Thread-safe to
** query after loading; not to reload while queried. */
int password_common_load(const char *path);
int password_is_common(const char *pw);

/* NULL when pw is acceptable for the account with that email; otherwise a
** static French message saying what to change. Refuses: fewer than 12
** characters; fewer than 3 of the 4 character classes (unless 16 characters
** or more, the equivalent-entropy rule); a common password (case-insensitive);
** the email or its local part as password; more than 128 bytes. */
const char *password_policy_check(const char *pw, const char *email);

#endif
