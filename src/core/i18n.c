/*
** i18n.c — gettext set-up. LANGUAGE/LC_ALL/LC_MESSAGES/LANG choose the
** catalogue; the message ids are French, so French needs no catalogue.
**
** Cost matters: glibc's gettext looks the catalogue up on every call (and
** with a relative directory calls getcwd each time), which made it a third
** of an authenticated page's CPU time. So: when no catalogue exists for the
** chosen languages, translation is the identity and gettext is never
** called; when one does, the directory is made absolute once.
*/
#include "core/i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_identity = 1; /* no catalogue for the requested languages */

/* 1 if dir/LANG/LC_MESSAGES/guichet.mo exists for one of the languages. */
static int catalogue_exists(const char *dir) {
  const char *env[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
  for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
    const char *v = getenv(env[i]);
    if (!v || !*v) continue;
    char list[256];
    snprintf(list, sizeof list, "%s", v);
    char *save = NULL;
    for (char *lang = strtok_r(list, ":", &save); lang; lang = strtok_r(NULL, ":", &save)) {
      /* "en_GB.UTF-8" → try "en_GB", then "en". */
      lang[strcspn(lang, ".@")] = 0;
      for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) lang[strcspn(lang, "_")] = 0;
        if (!*lang || !strcmp(lang, "C") || !strcmp(lang, "POSIX") || !strcmp(lang, "fr")) continue;
        char path[PATH_MAX + 320];
        snprintf(path, sizeof path, "%s/%.256s/LC_MESSAGES/guichet.mo", dir, lang);
        if (access(path, R_OK) == 0) return 1;
      }
    }
    if (strcmp(env[i], "LANGUAGE") != 0) break; /* the first locale variable set decides */
  }
  return 0;
}

void i18n_init(const char *dir) {
  setlocale(LC_MESSAGES, "");
  setlocale(LC_CTYPE, "C.UTF-8");
  char abs[PATH_MAX];
  if (!realpath(dir ? dir : "locale", abs)) {
    g_identity = 1;
    return;
  }
  g_identity = !catalogue_exists(abs);
  if (g_identity) return;
  bindtextdomain("guichet", abs);
  bind_textdomain_codeset("guichet", "UTF-8");
  textdomain("guichet");
}

const char *i18n_translate(const char *msgid) { return g_identity ? msgid : gettext(msgid); }
