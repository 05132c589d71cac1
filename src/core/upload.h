/*
** upload.h — storing uploaded documents.
**
** A file is accepted by its content (libmagic), never by its name or the
** type the browser claims. Accepted files are stored under
** <data_dir>/files/<h[0..2]>/<h> where h is the SHA-256 hex of the contents:
** identical files are stored once, and no path ever comes from user input.
** Metadata rows (owner, name, kind) belong to the feature that asked.
*/
#ifndef GUICHET_UPLOAD_H
#define GUICHET_UPLOAD_H

#include "core/http.h"

typedef struct upload_info {
  char hash[65];             /* SHA-256 hex of the contents */
  const char *mime;          /* detected type, e.g. "application/pdf" (static) */
  size_t size;               /* bytes */
} upload_info;

/* Allowed types for company documents: PDF, JPEG, PNG. */
extern const char *const upload_doc_types[];
/* PDF only: technical documents, certificates. */
extern const char *const upload_pdf_types[];

/* Checks f against allowed (NULL-terminated MIME list) and max bytes, then
** stores it. Returns 0, or -1 with *err a French message for the user
** (type refused — naming the allowed types —, too large, empty) and
** nothing stored. */
int upload_store(req *r, form_file *f, const char *const *allowed, size_t max, upload_info *out,
                 const char **err);

/* Path of a stored file, allocated in a; NULL if hash is not 64 hex chars. */
char *upload_path(arena *a, const char *hash);

/* Files are shared by content: a Kbis uploaded in Mon compte and attached
** to an aid request is one file. Every table that names stored files in a
** `hash` column is registered once at start-up (a feature's init), and
** upload_remove deletes the file only when no registered table still has a
** row naming it. table: a constant identifier ([a-z0-9_]). */
void upload_track(const char *table);
/* Deletes the stored file unless a tracked table still names it. Call it
** after the rows are deleted and committed. */
void upload_remove(const char *hash);

#endif
