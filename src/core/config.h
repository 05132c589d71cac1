/*
** config.h — configuration: built-in defaults, then the file named by
** $GUICHET_CONFIG (default ./guichet.conf, optional), then environment
** variables GUICHET_<KEY> in upper case (GUICHET_PORT=9000). The file is
** "key = value" lines, '#' comments. Loaded once at start-up, read-only after:
** the strings live for the whole process. Features declare their own keys
** (struct config_key in feature.h); they are read the same way.
*/
#ifndef GUICHET_CONFIG_H
#define GUICHET_CONFIG_H

#include <stdint.h>

/* Returns 0, or -1 with a message on stderr (unknown key, unreadable file,
** a feature's whole number out of its range). */
int config_load(void);
const char *config_str(const char *key);    /* never NULL for a known key */
int64_t config_int(const char *key);
/* Overrides a key (command-line options, tests). */
void config_set(const char *key, const char *value);

#endif
