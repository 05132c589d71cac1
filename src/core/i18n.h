/*
** i18n.h — user-visible text goes through gettext. The message ids are the
** French texts: French is the interface language, and an English catalogue
** (po/en.po → locale/en/LC_MESSAGES/guichet.mo) can be added without
** touching code. Templates use {{t "Texte"}}, which calls the same hook.
*/
#ifndef GUICHET_I18N_H
#define GUICHET_I18N_H

#include <libintl.h>

#define _(s) i18n_translate(s)
#define N_(s) (s) /* marks a string for extraction, translated later */

/* setlocale + bindtextdomain("guichet", dir); dir NULL = "locale". */
void i18n_init(const char *dir);
/* The translation of msgid, or msgid itself (always when no catalogue
** exists for the requested language: then gettext is never called). */
const char *i18n_translate(const char *msgid) __attribute__((format_arg(1)));

#endif
