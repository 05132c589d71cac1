/*
** i18n.c — gettext set-up. LANGUAGE/LANG choose the catalogue; without one,
** gettext returns the French message ids unchanged.
*/
#include "core/i18n.h"

#include <locale.h>

void i18n_init(const char *dir) {
  setlocale(LC_MESSAGES, "");
  setlocale(LC_CTYPE, "C.UTF-8");
  bindtextdomain("guichet", dir ? dir : "locale");
  bind_textdomain_codeset("guichet", "UTF-8");
  textdomain("guichet");
}

const char *i18n_translate(const char *msgid) { return gettext(msgid); }
