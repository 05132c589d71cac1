/*
** password.c — argon2id hashing through libsodium, and the password policy.
**
** Hashing: crypto_pwhash_str_alg with Argon2id v1.3, t=2 passes and 19 MiB,
** OWASP's minimum. Each login therefore costs ~19 MiB for a few tens of
** milliseconds; the caller bounds how many run at once. The encoded string
** carries its own parameters and salt, so raising them later only affects
** new hashes, and crypto_pwhash_str_verify still checks the old ones.
**
** Common passwords: a process-wide open-addressing hash set (linear probing,
** FNV-1a, power-of-two capacity kept at most half full) of lower-cased
** strings. It is filled once at start-up by password_common_load and then
** only read, so queries need no lock; a reload frees the previous set and
** must not race with queries. The set owns its strings; they live until the
** next load or process exit. Lower-casing is ASCII only: the list is
** ASCII, and folding other scripts would need tables we do not carry.
**
** Policy (CNIL deliberation 2022-100, "recommendation 1"): at least 12
** characters from at least 3 of the 4 classes, or at least 16 characters of
** any kind (the equivalent-entropy alternative). Characters are UTF-8 code
** points, so "é" counts once; any non-ASCII character counts as a symbol.
** Passwords above 128 bytes are refused before anything else looks at them:
** it caps the work hashing does and is far beyond any memorable passphrase.
*/
#include "core/password.h"

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define PASSWORD_MIN_CHARS 12   /* CNIL: 12 characters with 3 classes */
#define PASSWORD_LONG_CHARS 16  /* CNIL equivalent entropy: any classes */
#define PASSWORD_MIN_CLASSES 3  /* of lower, upper, digit, symbol */
#define PASSWORD_MAX_BYTES 128  /* cap on input to hashing and checks */
#define PWHASH_OPSLIMIT 2ULL                /* Argon2id passes (OWASP) */
#define PWHASH_MEMLIMIT ((size_t)19 << 20)  /* 19 MiB (OWASP) */

static const char zTooShort[] = "Le mot de passe doit contenir au moins 12 caractères.";
static const char zTooLong[] = "Le mot de passe est trop long (128 octets au plus).";
static const char zCommon[] =
    "Ce mot de passe fait partie des plus courants : choisissez-en un autre.";
static const char zClasses[] =
    "Mélangez au moins trois types de caractères parmi minuscules, majuscules, "
    "chiffres et symboles (ou utilisez au moins 16 caractères).";
static const char zEmail[] = "Le mot de passe ne doit pas reprendre votre adresse e-mail.";

/* sodium_init is idempotent and takes its own lock; it only fails when the
** system has no randomness source, which leaves nothing sensible to do. */
static void sodium_ready(void) {
  if (sodium_init() < 0) {
    fprintf(stderr, "guichet: sodium_init failed\n");
    abort();
  }
}

/* One Argon2id computation at a time in the process: each takes 19 MiB for
** 15-20 ms, so overlapping logins on a many-core server would add 19 MiB
** per thread to the peak memory; queued, a burst of logins only waits. */
static pthread_mutex_t g_hash_mu = PTHREAD_MUTEX_INITIALIZER;

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]) {
  sodium_ready();
  pthread_mutex_lock(&g_hash_mu);
  int rc = crypto_pwhash_str_alg(out, pw, strlen(pw), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
                                 crypto_pwhash_ALG_ARGON2ID13);
  pthread_mutex_unlock(&g_hash_mu);
  return rc == 0 ? 0 : -1;
}

int password_verify(const char *hash, const char *pw) {
  if (!hash || !pw) return 0;
  /* A stored hash never exceeds STRBYTES; anything longer is not ours. */
  if (strnlen(hash, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX) return 0;
  sodium_ready();
  pthread_mutex_lock(&g_hash_mu);
  int ok = crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
  pthread_mutex_unlock(&g_hash_mu);
  return ok;
}

/* ------------------------------------------------------ common passwords */

static struct {
  char **aSlot;  /* nSlot entries, NULL when empty; owned strings */
  size_t nSlot;  /* capacity, a power of two, or 0 before any load */
  size_t nUsed;  /* distinct entries stored, at most nSlot/2 */
} common;

static uint64_t fnv1a(const char *z, size_t n) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a 64-bit offset basis */
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)z[i];
    h *= 1099511628211ULL; /* FNV-1a 64-bit prime */
  }
  return h;
}

/* Copies z[0..n) lower-cased (ASCII) into out, NUL-terminated. */
static void ascii_lower(char *out, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
  }
  out[n] = 0;
}

/* The slot holding z (lower case, length n), or the empty slot where it
** would go. The table is never full, so the probe ends. */
static size_t set_find(char **aSlot, size_t nSlot, const char *z, size_t n) {
  size_t mask = nSlot - 1;
  size_t i = (size_t)fnv1a(z, n) & mask;
  while (aSlot[i] && !(strlen(aSlot[i]) == n && memcmp(aSlot[i], z, n) == 0)) {
    i = (i + 1) & mask;
  }
  return i;
}

static void set_grow(void) {
  size_t nNew = common.nSlot ? common.nSlot * 2 : 1024;
  char **aNew = xcalloc(nNew, sizeof(char *));
  for (size_t i = 0; i < common.nSlot; i++) {
    char *z = common.aSlot[i];
    if (z) aNew[set_find(aNew, nNew, z, strlen(z))] = z;
  }
  free(common.aSlot);
  common.aSlot = aNew;
  common.nSlot = nNew;
}

static void set_clear(void) {
  for (size_t i = 0; i < common.nSlot; i++) free(common.aSlot[i]);
  free(common.aSlot);
  memset(&common, 0, sizeof(common));
}

/* Adds the lower-cased z; 1 if it was new, 0 if already present. */
static int set_add(const char *z, size_t n) {
  char low[PASSWORD_MAX_BYTES + 1];
  assert(n <= PASSWORD_MAX_BYTES);
  ascii_lower(low, z, n);
  if ((common.nUsed + 1) * 2 > common.nSlot) set_grow();
  size_t i = set_find(common.aSlot, common.nSlot, low, n);
  if (common.aSlot[i]) return 0;
  common.aSlot[i] = xstrndup(low, n);
  common.nUsed++;
  return 1;
}

int password_common_load(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  set_clear();
  char line[512]; /* longer lines are skipped: no password that long passes */
  int nLoaded = 0;
  int skipping = 0; /* inside the tail of an overlong line */
  while (fgets(line, sizeof(line), f)) {
    size_t n = strlen(line);
    int complete = n > 0 && line[n - 1] == '\n';
    if (skipping) { /* the rest of an overlong line */
      skipping = !complete;
      continue;
    }
    if (!complete && !feof(f)) { /* an overlong line: drop it whole */
      skipping = 1;
      continue;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    if (n == 0 || n > PASSWORD_MAX_BYTES) continue;
    nLoaded += set_add(line, n);
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    set_clear();
    return -1;
  }
  return nLoaded;
}

int password_is_common(const char *pw) {
  if (!pw || common.nSlot == 0) return 0;
  size_t n = strnlen(pw, PASSWORD_MAX_BYTES + 1);
  if (n > PASSWORD_MAX_BYTES) return 0; /* nothing that long is stored */
  char low[PASSWORD_MAX_BYTES + 1];
  ascii_lower(low, pw, n);
  return common.aSlot[set_find(common.aSlot, common.nSlot, low, n)] != NULL;
}

/* ---------------------------------------------------------------- policy */

/* Case-insensitive (ASCII) equality of z[0..n) and the NUL-terminated w. */
static int ascii_eq_n(const char *z, size_t n, const char *w) {
  if (strlen(w) != n) return 0;
  for (size_t i = 0; i < n; i++) {
    char a = z[i], b = w[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    if (a != b) return 0;
  }
  return 1;
}

const char *password_policy_check(const char *pw, const char *email) {
  if (!pw) pw = "";
  size_t nByte = strnlen(pw, PASSWORD_MAX_BYTES + 1);
  if (nByte > PASSWORD_MAX_BYTES) return zTooLong;

  size_t nChar = 0;
  int hasLower = 0, hasUpper = 0, hasDigit = 0, hasSymbol = 0;
  for (size_t i = 0; i < nByte; i++) {
    unsigned char c = (unsigned char)pw[i];
    if ((c & 0xC0) == 0x80) continue; /* UTF-8 continuation byte */
    nChar++;
    if (c >= 'a' && c <= 'z') hasLower = 1;
    else if (c >= 'A' && c <= 'Z') hasUpper = 1;
    else if (c >= '0' && c <= '9') hasDigit = 1;
    else hasSymbol = 1; /* punctuation, space, and every non-ASCII letter */
  }
  if (nChar < PASSWORD_MIN_CHARS) return zTooShort;

  if (email && *email) {
    const char *at = strrchr(email, '@');
    size_t nLocal = at ? (size_t)(at - email) : strlen(email);
    if (ascii_eq_n(pw, nByte, email) || (nLocal > 0 && ascii_eq_n(email, nLocal, pw))) {
      return zEmail;
    }
  }

  if (password_is_common(pw)) return zCommon;

  int nClass = hasLower + hasUpper + hasDigit + hasSymbol;
  if (nClass < PASSWORD_MIN_CLASSES && nChar < PASSWORD_LONG_CHARS) return zClasses;
  return NULL;
}
