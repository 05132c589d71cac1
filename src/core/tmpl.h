/*
** tmpl.h — the auto-escaping template engine.
**
** Templates are compiled once at start-up into a read-only set; rendering is
** thread-safe and allocates only in the output buffer. Data comes as a jansson
** value (the same value an /api/v1 handler would return as JSON).
**
** Syntax (mustache-like):
**   {{name}} {{a.b}} {{.}}   a value, escaped for where it stands (below)
**   {{#name}}…{{/name}}      section: array → once per item; object → once
**                            with it pushed; true, non-empty string, non-zero
**                            number → once; false/null/missing/[]/"" → never
**   {{^name}}…{{/name}}      inverted section
**   {{> name}}               partial (another template of the set)
**   {{< layout}}{{$b}}…{{/b}}{{/layout}}   inheritance: render `layout`,
**                            replacing its {{$b}}default{{/b}} blocks
**   {{t "Texte"}}            translated text (set->translate), escaped
**   {{raw name}}             unescaped output: the only way to emit raw HTML,
**                            greppable on purpose (`grep -r '{{raw '`)
**   {{! comment }}
**
** Escaping follows the HTML context the value stands in, worked out at
** compile time: element text and quoted attributes get HTML escaping; a value
** at the start of a URL attribute (href, src, action, formaction) is checked
** for a safe scheme (http, https, mailto, tel, relative) and replaced by
** "#invalid" otherwise; a value inside a URL's query part is percent-encoded;
** inside <script type="application/json"> a value becomes a JSON string.
** Values in unquoted attributes, in other <script> or <style> content, or in
** a tag name are compile errors.
*/
#ifndef GUICHET_TMPL_H
#define GUICHET_TMPL_H

#include <jansson.h>

#include "core/util.h"

typedef struct tmpl_set tmpl_set;

tmpl_set *tmpl_set_new(void);
void tmpl_set_free(tmpl_set *s);

/* Gettext hook for {{t "…"}}; NULL (the default) returns the text as is. */
void tmpl_set_translate(tmpl_set *s, const char *(*fn)(const char *msgid));

/* Compile src[0..n) under name, replacing any template of that name.
** Returns 0, or -1 with *err set to a malloc'ed French message naming the
** template and line ("login.html:12: section {{#a}} non fermée"). */
int tmpl_add(tmpl_set *s, const char *name, const char *src, size_t n, char **err);

/* Every partial and layout referenced exists, and no partial recursion is
** unbounded. Returns 0, or -1 with *err as above. */
int tmpl_check(const tmpl_set *s, char **err);

/* Appends the rendering of template `name` with data to out. Returns 0, or -1
** if the template does not exist (out unchanged). Partials nest 32 deep at
** most; deeper renders nothing more. */
int tmpl_render(const tmpl_set *s, const char *name, json_t *data, buf *out);

int tmpl_exists(const tmpl_set *s, const char *name);

#endif
