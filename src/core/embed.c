/*
** embed.c — lookup in the table of files compiled into the binary. The table
** is small (tens of files) and looked up at start-up, so a linear scan does.
*/
#include "core/embed.h"

#include <string.h>

const struct embedded_file *embed_find(const char *name) {
  for (int i = 0; i < embedded_count; i++)
    if (strcmp(embedded_files[i].name, name) == 0) return &embedded_files[i];
  return NULL;
}
