/*
** embed.h — files compiled into the binary by tools/embed.c: templates
** (src/<owner>/templates/NAME.html), migrations (src/<owner>/migrations/
** NNN_name.sql) and static assets (assets/NAME). Names are paths relative to
** src/ ("core/templates/layout.html"), or to the repository for assets
** ("assets/guichet.css").
** The table is read-only and lives for the whole process.
*/
#ifndef GUICHET_EMBED_H
#define GUICHET_EMBED_H
#include <stddef.h>

struct embedded_file {
  const char *name; /* e.g. "features/account/templates/login.html" */
  const char *data; /* NUL-terminated */
  size_t size;      /* without the NUL */
};

extern const struct embedded_file embedded_files[];
extern const int embedded_count;

/* The file called name, or NULL. */
const struct embedded_file *embed_find(const char *name);

#endif
