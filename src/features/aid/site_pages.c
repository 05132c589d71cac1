/*
** site_pages.c — the public pages whose text the territory's admins edit
** ("aid.admin"): the FAQ (/aides/faq) and the legal notice
** (/mentions-legales). Their Markdown is in the `pages` table
** (migrations/007_dash.sql, which seeds a French text for each) and is
** rendered by cmark in safe mode, like the programmes' specifications:
** raw HTML is dropped and javascript: links are neutralised, so what an
** admin types cannot run in a visitor's browser.
**
** The pages are a fixed list in code: an admin edits them, never creates
** one, so every URL is known at build time and the route table says who
** may reach it.
*/
#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/db.h"
#include "core/form.h"
#include "core/i18n.h"
#include "features/aid/aid.h"

#define PAGE_TITLE_MAX 200       /* bytes of a page title */
#define PAGE_BODY_MAX 65536      /* bytes of Markdown (the route's body cap is above it) */

static const struct {
  const char *slug;          /* pages.slug */
  const char *url;           /* its public address */
} site_pages[] = {
    {"faq", "/aides/faq"},
    {"mentions-legales", "/mentions-legales"},
};

static const char *page_url(const char *slug) {
  for (size_t i = 0; i < ARRAY_SIZE(site_pages); i++)
    if (!strcmp(site_pages[i].slug, slug)) return site_pages[i].url;
  return NULL;
}

/* Markdown → HTML in safe mode, copied into a. */
static const char *markdown_html(arena *a, const char *md) {
  char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_SAFE); /* malloc'ed by cmark */
  const char *z = arena_strdup(a, html);
  free(html);
  return z;
}

/* Loads page slug into d: slug, url, title, body_md, updated. 1, or 0 if absent. */
static int page_load(req *r, const char *slug, json_t *d) {
  db_stmt *s = db_query("SELECT title, body_md, updated_at FROM pages WHERE slug=?", "t", slug);
  int found = db_step(s) == DB_ROW;
  if (found) {
    json_object_set_new(d, "slug", json_string(slug));
    json_object_set_new(d, "url", json_string(page_url(slug)));
    json_object_set_new(d, "title", json_string(db_text(s, 0)));
    json_object_set_new(d, "body_md", json_string(db_text(s, 1)));
    if (db_int(s, 2) > 0) json_object_set_new(d, "updated", json_string(fmt_datetime(r->a, db_int(s, 2), "")));
  }
  db_done(s);
  return found;
}

static void page_show(req *r, const char *slug) {
  json_t *d = json_object();
  if (!page_load(r, slug, d)) {
    json_decref(d);
    res_error(r, 404, _("Cette page est introuvable."));
    return;
  }
  json_object_set_new(d, "html", json_string(markdown_html(r->a, json_string_value(json_object_get(d, "body_md")))));
  res_page(r, 200, "aid/page", d);
}

void faq_page(req *r) { page_show(r, "faq"); }

void legal_page(req *r) { page_show(r, "mentions-legales"); }

/* ---------------------------------------------------------- back office */

static void nav_pages(json_t *d) {
  json_t *nav = json_object();
  json_object_set_new(nav, "pages", json_true());
  json_object_set_new(d, "nav", nav);
}

void pages_admin_page(req *r) {
  json_t *d = json_object(), *list = json_array();
  for (size_t i = 0; i < ARRAY_SIZE(site_pages); i++) {
    json_t *p = json_object();
    if (page_load(r, site_pages[i].slug, p)) json_array_append(list, p);
    json_decref(p);
  }
  json_object_set_new(d, "pages", list);
  nav_pages(d);
  res_page(r, 200, "aid/pages_admin", d);
}

/* The slug of the path, or NULL after answering 404. */
static const char *slug_or_reply(req *r) {
  const char *slug = req_param(r, "slug");
  if (!slug || !page_url(slug)) {
    res_error(r, 404, _("Cette page est introuvable."));
    return NULL;
  }
  return slug;
}

static void form_page(req *r, int status, const char *slug, json_t *f, form *fm, const char *preview) {
  json_t *d = json_object();
  if (fm) form_into(fm, d);
  json_object_set_new(d, "f", f);
  json_object_set_new(d, "slug", json_string(slug));
  json_object_set_new(d, "url", json_string(page_url(slug)));
  if (preview) json_object_set_new(d, "preview", json_string(preview));
  nav_pages(d);
  res_page(r, status, "aid/page_form", d);
}

void page_edit_page(req *r) {
  const char *slug = slug_or_reply(r);
  if (!slug) return;
  json_t *p = json_object();
  if (!page_load(r, slug, p)) {
    json_decref(p);
    res_error(r, 404, _("Cette page est introuvable."));
    return;
  }
  json_t *f = json_object();
  json_object_set(f, "title", json_object_get(p, "title"));
  json_object_set(f, "body", json_object_get(p, "body_md"));
  json_decref(p);
  form_page(r, 200, slug, f, NULL, NULL);
}

void page_edit_post(req *r) {
  const char *slug = slug_or_reply(r);
  if (!slug) return;
  static const char *const fields[] = {"title", "body", NULL};
  form f;
  form_init(&f, r, fields);
  if (form_required(&f, "title", _("le titre de la page"))) form_maxlen(&f, "title", PAGE_TITLE_MAX);
  if (form_required(&f, "body", _("le texte de la page"))) form_maxlen(&f, "body", PAGE_BODY_MAX);
  json_t *values = json_deep_copy(json_object_get(f.data, "f"));
  if (f.nerr) {
    form_page(r, 422, slug, values, &f, NULL);
    return;
  }
  const char *title = form_get(&f, "title"), *body = form_get(&f, "body");
  if (str_eq(req_form(r, "action"), "apercu")) { /* look before saving: nothing is written */
    form_page(r, 200, slug, values, &f, markdown_html(r->a, body));
    return;
  }
  json_decref(values);
  if (db_begin_write() != 0) {
    res_error(r, 503, _("Le service est momentanément indisponible : réessayez dans un instant."));
    return;
  }
  if (db_run("UPDATE pages SET title=?, body_md=?, updated_at=?, updated_by=? WHERE slug=?", "ttiit", title, body,
             now_unix(), r->me->id, slug) != DB_DONE ||
      audit_log(r->me->id, "page.update", arena_printf(r->a, "page:%s", slug), r->ip, title) < 0) {
    db_rollback();
    res_error(r, 500, _("La page n’a pas pu être enregistrée. Réessayez dans un instant."));
    return;
  }
  db_commit();
  res_flash(r, _("La page est enregistrée : elle est en ligne."));
  res_redirect(r, arena_printf(r->a, "/admin/pages/%s", slug));
}
