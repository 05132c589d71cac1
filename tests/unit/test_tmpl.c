/*
** test_tmpl.c — the template engine through its public API (tmpl.h): every
** escaping context, sections, the context stack, partials, layouts, {{t}},
** {{raw}}, and the French compile errors with their line numbers.
**
** Helpers compile into a fresh set per test and render to a malloc'ed
** string; each test asserts on the exact text a browser would receive.
*/
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "core/tmpl.h"

static tmpl_set *set;

static void setup(void) { set = tmpl_set_new(); }
static void teardown(void) { tmpl_set_free(set); }

TestSuite(tmpl, .init = setup, .fini = teardown);

/* Adds src as template `name`; the test fails on a compile error. */
static void add(const char *name, const char *src) {
  char *err = NULL;
  int rc = tmpl_add(set, name, src, strlen(src), &err);
  cr_assert_eq(rc, 0, "tmpl_add(%s) : %s", name, err ? err : "?");
  cr_assert_null(err);
}

/* Renders `name` with the JSON text data ("" for none); the caller frees. */
static char *render_as(const char *name, const char *data) {
  json_t *v = NULL;
  if (data && *data) {
    json_error_t je;
    v = json_loads(data, 0, &je);
    cr_assert_not_null(v, "JSON de test invalide : %s", je.text);
  }
  buf out = {0};
  cr_assert_eq(tmpl_render(set, name, v, &out), 0, "tmpl_render(%s)", name);
  json_decref(v);
  char *z = strdup(buf_str(&out));
  buf_free(&out);
  return z;
}

/* Compiles src as "t.html" and renders it. */
static char *render(const char *src, const char *data) {
  add("t.html", src);
  return render_as("t.html", data);
}

#define EXPECT(src, data, want)                                                              \
  do {                                                                                       \
    char *got_ = render((src), (data));                                                      \
    cr_assert_str_eq(got_, (want), "modèle : %s\n obtenu : %s\n attendu : %s", (src), got_, (want)); \
    free(got_);                                                                              \
  } while (0)

/* The compile error of src as "t.html"; the caller frees. */
static char *compile_error(const char *src) {
  char *err = NULL;
  int rc = tmpl_add(set, "t.html", src, strlen(src), &err);
  cr_assert_eq(rc, -1, "le modèle aurait dû être refusé : %s", src);
  cr_assert_not_null(err);
  return err;
}

/* src must fail to compile with a message starting "t.html:<line>: " and
** containing `part`. */
static void expect_error(const char *src, int line, const char *part) {
  char *err = compile_error(src);
  char prefix[64];
  snprintf(prefix, sizeof prefix, "t.html:%d: ", line);
  cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "« %s » ne commence pas par « %s »", err,
            prefix);
  cr_assert(strstr(err, part) != NULL, "« %s » ne contient pas « %s »", err, part);
  free(err);
}

/* ------------------------------------------------------------ escaping */

Test(tmpl, text_is_html_escaped) {
  EXPECT("<p>{{x}}</p>", "{\"x\": \"<b>Tom & \\\"Jerry's\\\"</b>\"}",
         "<p>&lt;b&gt;Tom &amp; &quot;Jerry&#39;s&quot;&lt;/b&gt;</p>");
}

Test(tmpl, double_quoted_attribute) {
  EXPECT("<div title=\"{{x}}\">", "{\"x\": \"\\\"><script>alert(1)</script>\"}",
         "<div title=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">");
}

Test(tmpl, single_quoted_attribute) {
  EXPECT("<div title='{{x}}' class=\"a\">", "{\"x\": \"' onmouseover='alert(1)\"}",
         "<div title='&#39; onmouseover&#61;&#39;alert(1)' class=\"a\">");
}

Test(tmpl, url_start_rejects_dangerous_schemes) {
  const char *bad[] = {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                       "vbscript:msgbox", " javascript:alert(1)", "java\\tscript:alert(1)",
                       "ftp://example.org/"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char data[128];
    snprintf(data, sizeof data, "{\"u\": \"%s\"}", bad[i]);
    EXPECT("<a href=\"{{u}}\">lien</a>", data, "<a href=\"#invalid\">lien</a>");
  }
}

Test(tmpl, url_start_allows_safe_urls) {
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"https://exemple.fr/a?b=1&c=2\"}",
         "<a href=\"https://exemple.fr/a?b&#61;1&amp;c&#61;2\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"HTTP://exemple.fr\"}", "<a href=\"HTTP://exemple.fr\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"/communes/75056\"}", "<a href=\"/communes/75056\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"#contenu\"}", "<a href=\"#contenu\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"?page=2\"}", "<a href=\"?page&#61;2\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"fiche.html\"}", "<a href=\"fiche.html\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"mailto:mairie@exemple.fr\"}",
         "<a href=\"mailto:mairie@exemple.fr\">");
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"tel:+33123456789\"}", "<a href=\"tel:+33123456789\">");
  /* A character reference in a value is escaped, so the browser never decodes it. */
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"javascript&#58;x\"}",
         "<a href=\"javascript&amp;#58;x\">");
  /* A colon after the first slash is no scheme. */
  EXPECT("<a href=\"{{u}}\">", "{\"u\": \"/x/javascript:1\"}", "<a href=\"/x/javascript:1\">");
}

Test(tmpl, other_url_attributes_are_checked) {
  const char *data = "{\"u\": \"javascript:alert(1)\"}";
  EXPECT("<img src=\"{{u}}\">", data, "<img src=\"#invalid\">");
  EXPECT("<form action='{{u}}'>", data, "<form action='#invalid'>");
  EXPECT("<button formaction=\"{{u}}\">", data, "<button formaction=\"#invalid\">");
  EXPECT("<video poster=\"{{u}}\">", data, "<video poster=\"#invalid\">");
  EXPECT("<q cite=\"{{u}}\">", data, "<q cite=\"#invalid\">");
  EXPECT("<A HREF=\"{{u}}\">", data, "<A HREF=\"#invalid\">");
  /* Not a URL attribute: plain HTML escaping. */
  EXPECT("<a title=\"{{u}}\">", data, "<a title=\"javascript:alert(1)\">");
}

Test(tmpl, url_query_is_percent_encoded) {
  EXPECT("<a href=\"/recherche?q={{q}}&amp;page={{p}}\">",
         "{\"q\": \"a b&c=d/é?#\\\"'<\", \"p\": 2}",
         "<a href=\"/recherche?q=a%20b%26c%3Dd%2F%C3%A9%3F%23%22%27%3C&amp;page=2\">");
  EXPECT("<a href=\"#{{id}}\">", "{\"id\": \"a b\"}", "<a href=\"#a%20b\">");
}

Test(tmpl, url_path_is_percent_encoded) {
  EXPECT("<a href=\"/communes/{{code}}/fiche\">", "{\"code\": \"75 056?x#y&'\"}",
         "<a href=\"/communes/75%20056%3Fx%23y%26%27/fiche\">");
  EXPECT("<a href=\"mailto:{{m}}\">", "{\"m\": \"jean.dupont@exemple.fr\"}",
         "<a href=\"mailto:jean.dupont@exemple.fr\">");
  /* Before the scheme is fixed a value cannot bring a ':'. */
  EXPECT("<a href=\"j{{v}}\">", "{\"v\": \"avascript:alert(1)\"}",
         "<a href=\"javascript%3Aalert(1)\">");
}

Test(tmpl, url_optional_query_in_a_section) {
  const char *src = "<a href=\"/recherche{{#q}}?q={{q}}{{/q}}\">";
  EXPECT(src, "{\"q\": \"a&b\"}", "<a href=\"/recherche?q=a%26b\">");
  EXPECT(src, "{}", "<a href=\"/recherche\">");
}

Test(tmpl, url_scheme_cannot_come_from_a_value) {
  expect_error("<p>\n<a href=\"{{a}}:{{b}}\">", 2, "schéma");
  expect_error("<a href=\"{{a}}&#58;alert(1)\">", 1, "schéma");
  expect_error("<a href=\"{{a}}&colon;alert(1)\">", 1, "schéma");
}

Test(tmpl, json_script) {
  EXPECT("<script type=\"application/json\" id=\"d\">{\"s\": {{s}}, \"n\": {{n}}, \"o\": {{o}}, "
         "\"m\": {{absent}}}</script><p>{{s}}</p>",
         "{\"s\": \"</script><!--'&\\n\", \"n\": 1.5, \"o\": {\"a\": [1, true, null, \"<\"]}}",
         "<script type=\"application/json\" id=\"d\">{\"s\": "
         "\"\\u003c/script\\u003e\\u003c!--\\u0027\\u0026\\n\", \"n\": 1.5, \"o\": "
         "{\"a\":[1,true,null,\"\\u003c\"]}, \"m\": null}</script><p>&lt;/script&gt;&lt;!--&#39;&amp;\n</p>");
  EXPECT("<SCRIPT TYPE='Application/LD+JSON'>{{x}}</SCRIPT>", "{\"x\": \"a\"}",
         "<SCRIPT TYPE='Application/LD+JSON'>\"a\"</SCRIPT>");
}

Test(tmpl, values_in_code_are_refused) {
  expect_error("<p>\n<script>\nvar x = \"{{x}}\";\n</script>", 3, "{{x}} interdit dans <script>");
  expect_error("<script type=\"module\">{{x}}</script>", 1, "interdit dans <script>");
  expect_error("<script type=\"{{t}}\">{{x}}</script>", 1, "interdit dans <script>");
  expect_error("<style>\np { color: {{c}} }</style>", 2, "interdit dans <style>");
  expect_error("<a onclick=\"go('{{x}}')\">", 1, "l'attribut onclick");
  expect_error("<p style=\"color: {{c}}\">", 1, "l'attribut style");
  expect_error("<iframe srcdoc=\"{{h}}\">", 1, "l'attribut srcdoc");
  expect_error("<script>x = 1; <!-- <script> </script>", 1, "<!--");
  /* Sections are fine in code; only values are not. */
  EXPECT("<script>{{#debug}}console.log(1);{{/debug}}</script>", "{\"debug\": true}",
         "<script>console.log(1);</script>");
  /* Inside <script>, markup is not markup: the script ends only at </script>. */
  EXPECT("<script>if (a<b) document.write('<a href=\"x\">');</script><p>{{v}}</p>",
         "{\"v\": \"<\"}",
         "<script>if (a<b) document.write('<a href=\"x\">');</script><p>&lt;</p>");
}

Test(tmpl, rcdata_and_comments_escape) {
  EXPECT("<textarea name=\"t\">{{x}}</textarea>", "{\"x\": \"</textarea><script>\"}",
         "<textarea name=\"t\">&lt;/textarea&gt;&lt;script&gt;</textarea>");
  EXPECT("<title>{{x}}</title>", "{\"x\": \"</title>\"}", "<title>&lt;/title&gt;</title>");
  EXPECT("<!-- {{x}} --><p>{{x}}</p>", "{\"x\": \"--><b>\"}",
         "<!-- --&gt;&lt;b&gt; --><p>--&gt;&lt;b&gt;</p>");
  /* A URL attribute after a comment is still seen as one. */
  EXPECT("<!-- <a href=\"x\"> --><a href=\"{{u}}\">", "{\"u\": \"javascript:1\"}",
         "<!-- <a href=\"x\"> --><a href=\"#invalid\">");
}

Test(tmpl, svg_title_holds_markup) {
  /* In SVG, <title> is no RCDATA: the link inside is a link. */
  EXPECT("<svg><title><a href=\"{{u}}\">{{u}}</a></title></svg><title>{{u}}</title>",
         "{\"u\": \"javascript:x\"}",
         "<svg><title><a href=\"#invalid\">javascript:x</a></title></svg><title>javascript:x</title>");
  /* A self-closed <svg/> opens nothing. */
  EXPECT("<svg/><title><a href=\"{{u}}\"></title>", "{\"u\": \"javascript:x\"}",
         "<svg/><title><a href=\"javascript:x\"></title>");
  /* <script> stays code in SVG too. */
  expect_error("<svg><script>{{x}}</script></svg>", 1, "interdit dans <script>");
}

Test(tmpl, scalars_render_as_text) {
  EXPECT("{{i}} {{r}} {{big}} {{yes}} {{no}} [{{nul}}] [{{absent}}] [{{obj}}] [{{arr}}]",
         "{\"i\": -42, \"r\": 0.1, \"big\": 1e300, \"yes\": true, \"no\": false, \"nul\": null, "
         "\"obj\": {\"a\": 1}, \"arr\": [1]}",
         "-42 0.1 1e+300 true false [] [] [] []");
}

Test(tmpl, raw_is_not_escaped) {
  EXPECT("<div>{{raw html}}</div><input {{raw attrs}}>",
         "{\"html\": \"<b>gras</b>\", \"attrs\": \"checked disabled\"}",
         "<div><b>gras</b></div><input checked disabled>");
}

Test(tmpl, values_where_html_is_structure_are_refused) {
  expect_error("<p>\n\n\n<a href={{u}}>", 4, "{{u}} dans un attribut sans guillemets");
  expect_error("<a title=x{{u}}>", 1, "sans guillemets");
  expect_error("<{{tag}}>", 1, "nom de balise");
  expect_error("<a {{name}}=\"1\">", 1, "dans une balise");
  expect_error("<a data-{{name}}=\"1\">", 1, "nom de balise ou d'attribut");
  expect_error("<a\n{{#x}}href{{/x}}=\"{{u}}\">", 2, "« = » sans nom d'attribut");
}

Test(tmpl, boolean_attributes_in_sections) {
  const char *src = "<option value=\"{{v}}\"{{#sel}} selected{{/sel}}>{{v}}</option>";
  EXPECT(src, "{\"v\": 3, \"sel\": true}", "<option value=\"3\" selected>3</option>");
  EXPECT(src, "{\"v\": 3}", "<option value=\"3\">3</option>");
  EXPECT("<input type=\"checkbox\" {{#c}}checked{{/c}}>", "{\"c\": 1}",
         "<input type=\"checkbox\" checked>");
}

/* ------------------------------------------------------------ sections */

Test(tmpl, section_over_array_of_objects) {
  EXPECT("<ul>{{#items}}<li>{{name}}</li>{{/items}}</ul>",
         "{\"items\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}",
         "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
}

Test(tmpl, section_over_array_of_scalars) {
  EXPECT("{{#n}}{{.}},{{/n}}", "{\"n\": [1, \"deux\", 3.5, true]}", "1,deux,3.5,true,");
}

Test(tmpl, section_over_object_pushes_it) {
  EXPECT("{{#user}}{{name}} ({{city}}){{/user}}",
         "{\"user\": {\"name\": \"Léa\"}, \"city\": \"Lyon\"}", "Léa (Lyon)");
  /* An empty object is still an object: rendered once. */
  EXPECT("{{#o}}oui{{/o}}", "{\"o\": {}}", "oui");
}

Test(tmpl, section_truthiness) {
  const char *src = "[{{#v}}oui:{{.}}{{/v}}]";
  EXPECT(src, "{\"v\": true}", "[oui:true]");
  EXPECT(src, "{\"v\": \"x\"}", "[oui:x]");
  EXPECT(src, "{\"v\": 7}", "[oui:7]");
  EXPECT(src, "{\"v\": false}", "[]");
  EXPECT(src, "{\"v\": null}", "[]");
  EXPECT(src, "{\"v\": []}", "[]");
  EXPECT(src, "{\"v\": \"\"}", "[]");
  EXPECT(src, "{\"v\": 0}", "[]");
  EXPECT(src, "{\"v\": 0.0}", "[]");
  EXPECT(src, "{}", "[]");
  EXPECT(src, "", "[]");
}

Test(tmpl, inverted_section) {
  const char *src = "{{^items}}Aucun résultat{{/items}}{{#items}}{{.}}{{/items}}";
  EXPECT(src, "{\"items\": []}", "Aucun résultat");
  EXPECT(src, "{}", "Aucun résultat");
  EXPECT(src, "{\"items\": [1, 2]}", "12");
  EXPECT("{{^f}}non{{/f}}", "{\"f\": false}", "non");
  EXPECT("{{^o}}non{{/o}}", "{\"o\": {}}", "");
}

Test(tmpl, dotted_names) {
  EXPECT("{{a.b.c}}|{{a.x.c}}|{{items.1.n}}|{{items.9.n}}",
         "{\"a\": {\"b\": {\"c\": \"abc\"}}, \"items\": [{\"n\": 0}, {\"n\": 1}]}", "abc||1|");
  EXPECT("{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": {\"c\": 5}}}", "5");
}

Test(tmpl, context_stack_lookup) {
  const char *data = "{\"name\": \"racine\", \"user\": {\"name\": \"globale\"}, "
                     "\"items\": [{\"name\": \"un\"}, {\"id\": 2}, {\"user\": {}}]}";
  /* Innermost first, then outwards. */
  EXPECT("{{#items}}{{name}};{{/items}}", data, "un;racine;racine;");
  /* The first component is looked up through the stack, the rest below it
  ** only: items[2].user exists, so its missing name is not looked up outside. */
  EXPECT("{{#items}}{{user.name}};{{/items}}", data, "globale;globale;;");
  EXPECT("{{#user}}{{#items}}{{.}}{{/items}}{{/user}}", "{\"user\": {}, \"items\": [1, 2]}",
         "12");
  /* A key found holding null stops the search. */
  EXPECT("{{#o}}[{{name}}]{{/o}}", "{\"name\": \"dehors\", \"o\": {\"name\": null}}", "[]");
}

/* ------------------------------------------------------------ partials */

Test(tmpl, partial_uses_the_context) {
  add("carte.html", "<li>{{nom}}</li>");
  EXPECT("<ul>{{#communes}}{{> carte.html}}{{/communes}}</ul>",
         "{\"communes\": [{\"nom\": \"Lyon\"}, {\"nom\": \"<Metz>\"}]}",
         "<ul><li>Lyon</li><li>&lt;Metz&gt;</li></ul>");
  cr_assert_eq(tmpl_check(set, NULL), 0);
}

Test(tmpl, partial_resolved_at_render_time) {
  add("t.html", "[{{> p}}]");
  char *z = render_as("t.html", "");
  cr_assert_str_eq(z, "[]"); /* missing: nothing */
  free(z);
  add("p", "un");
  z = render_as("t.html", "");
  cr_assert_str_eq(z, "[un]");
  free(z);
  add("p", "deux"); /* replacing a template */
  z = render_as("t.html", "");
  cr_assert_str_eq(z, "[deux]");
  free(z);
}

Test(tmpl, unknown_partial_caught_by_check) {
  add("t.html", "<p>\n\n{{> absent}}</p>");
  char *err = NULL;
  cr_assert_eq(tmpl_check(set, &err), -1);
  cr_assert_not_null(err);
  cr_assert(strstr(err, "t.html:3:") == err, "%s", err);
  cr_assert(strstr(err, "introuvable") && strstr(err, "absent"), "%s", err);
  free(err);
}

Test(tmpl, deep_partial_recursion_terminates) {
  /* Recursion guarded by a section is legal (trees), and capped at render. */
  add("r", "x{{#more}}{{> r}}{{/more}}");
  cr_assert_eq(tmpl_check(set, NULL), 0);
  char *z = render_as("r", "{\"more\": true}");
  size_t n = strlen(z);
  cr_assert_eq(n, 33, "%zu", n); /* the template, then 32 nested partials */
  for (size_t i = 0; i < n; i++) cr_assert_eq(z[i], 'x');
  free(z);
}

Test(tmpl, recursive_tree) {
  /* Leaves say "enfants": [] — a missing key would be looked up in the
  ** parent's context (Mustache), and recurse until the depth cap. */
  add("noeud", "<li>{{nom}}{{#enfants}}<ul>{{> noeud}}</ul>{{/enfants}}</li>");
  cr_assert_eq(tmpl_check(set, NULL), 0);
  char *z = render_as("noeud", "{\"nom\": \"a\", \"enfants\": [{\"nom\": \"b\", \"enfants\": "
                               "[{\"nom\": \"c\", \"enfants\": []}]}, {\"nom\": \"d\", "
                               "\"enfants\": []}]}");
  cr_assert_str_eq(z, "<li>a<ul><li>b<ul><li>c</li></ul></li></ul><ul><li>d</li></ul></li>");
  free(z);
}

Test(tmpl, unconditional_recursion_caught_by_check) {
  add("a", "{{> b}}");
  add("b", "<p>\n{{> a}}</p>");
  char *err = NULL;
  cr_assert_eq(tmpl_check(set, &err), -1);
  cr_assert(strstr(err, "b:2:") == err || strstr(err, "a:1:") == err, "%s", err);
  cr_assert(strstr(err, "sans fin"), "%s", err);
  free(err);
  /* Rendering it anyway terminates. */
  buf out = {0};
  cr_assert_eq(tmpl_render(set, "a", NULL, &out), 0);
  buf_free(&out);
}

Test(tmpl, partial_in_an_attribute_is_refused) {
  expect_error("<a title=\"{{> p}}\">", 1, "{{> p}}");
}

/* ------------------------------------------------------------- layouts */

static const char *LAYOUT = "<title>{{$title}}Guichet{{/title}}</title>\n"
                            "<main>{{$main}}<p>vide</p>{{/main}}</main>\n"
                            "<footer>{{site}}</footer>";

Test(tmpl, layout_with_override_and_default) {
  add("layout", LAYOUT);
  add("page", "{{< layout}}\nignoré {{x}}\n{{$main}}<h1>{{x}}</h1>{{/main}}\n{{/layout}}");
  cr_assert_eq(tmpl_check(set, NULL), 0);
  char *z = render_as("page", "{\"x\": \"<Bonjour>\", \"site\": \"Mairie\"}");
  cr_assert_str_eq(z, "<title>Guichet</title>\n<main><h1>&lt;Bonjour&gt;</h1></main>\n"
                      "<footer>Mairie</footer>");
  free(z);
  /* Rendered alone, the layout uses its defaults. */
  z = render_as("layout", "{\"site\": \"M\"}");
  cr_assert_str_eq(z, "<title>Guichet</title>\n<main><p>vide</p></main>\n<footer>M</footer>");
  free(z);
}

Test(tmpl, layout_block_in_title_is_escaped) {
  add("layout", LAYOUT);
  add("page", "{{< layout}}{{$title}}{{t}} — Guichet{{/title}}{{/layout}}");
  char *z = render_as("page", "{\"t\": \"</title><script>\"}");
  cr_assert_str_eq(z, "<title>&lt;/title&gt;&lt;script&gt; — Guichet</title>\n"
                      "<main><p>vide</p></main>\n<footer></footer>");
  free(z);
}

Test(tmpl, multilevel_layouts_outer_override_wins) {
  add("base", "[{{$a}}a-base{{/a}}|{{$b}}b-base{{/b}}|{{$c}}c-base{{/c}}]");
  add("section", "{{< base}}{{$a}}a-section{{/a}}{{$b}}b-section{{/b}}{{/base}}");
  add("page", "{{< section}}{{$a}}a-page{{/a}}{{/section}}");
  cr_assert_eq(tmpl_check(set, NULL), 0);
  char *z = render_as("page", "");
  cr_assert_str_eq(z, "[a-page|b-section|c-base]");
  free(z);
}

Test(tmpl, override_may_use_the_overridden_name) {
  /* Inside an override, its own block name falls back to the layout default:
  ** no infinite loop. */
  add("l", "{{$a}}défaut{{/a}}");
  add("p", "{{< l}}{{$a}}[{{$a}}interne{{/a}}]{{/a}}{{/l}}");
  char *z = render_as("p", "");
  cr_assert_str_eq(z, "[interne]");
  free(z);
}

Test(tmpl, unknown_layout_and_self_layout) {
  add("p", "\n{{< absent}}{{$a}}x{{/a}}{{/absent}}");
  char *err = NULL;
  cr_assert_eq(tmpl_check(set, &err), -1);
  cr_assert(strstr(err, "p:2:") == err && strstr(err, "absent"), "%s", err);
  free(err);
  add("p", "x{{< p}}{{/p}}");
  cr_assert_eq(tmpl_check(set, &err), -1);
  free(err);
  char *z = render_as("p", "");
  cr_assert_eq(strlen(z), 33);
  free(z);
}

Test(tmpl, layout_override_ending_inside_a_tag_is_refused) {
  expect_error("{{< l}}\n{{$a}}<a href=\"{{/a}}\n{{/l}}", 2, "bloc {{$a}}");
}

/* ------------------------------------------------------ {{t}} and misc */

static const char *tr_test(const char *msgid) {
  if (!strcmp(msgid, "Bonjour")) return "Bonjour <le \"monde\">";
  if (!strcmp(msgid, "dit \"oui\"")) return "a dit « oui »";
  if (!strcmp(msgid, "/aide")) return "javascript:alert(1)";
  return NULL;
}

Test(tmpl, translate_hook_then_escape) {
  tmpl_set_translate(set, tr_test);
  EXPECT("<p title=\"{{t \"Bonjour\"}}\">{{t \"Bonjour\"}} {{ t \"Inconnu\" }}</p>", "",
         "<p title=\"Bonjour &lt;le &quot;monde&quot;&gt;\">Bonjour &lt;le &quot;monde&quot;&gt; "
         "Inconnu</p>");
  EXPECT("{{t \"dit \\\"oui\\\"\"}}", "", "a dit « oui »");
  EXPECT("<script type=\"application/json\">{{t \"Bonjour\"}}</script>", "",
         "<script type=\"application/json\">\"Bonjour \\u003cle \\\"monde\\\"\\u003e\"</script>");
  /* A translation is checked like a value where it stands. */
  EXPECT("<a href=\"{{t \"/aide\"}}\">", "", "<a href=\"#invalid\">");
  EXPECT("<a href=\"/x?q={{t \"Bonjour\"}}\">", "",
         "<a href=\"/x?q=Bonjour%20%3Cle%20%22monde%22%3E\">");
  expect_error("<script>\nalert(\"{{t \"Bonjour\"}}\")</script>", 2,
               "{{t \"Bonjour\"}} interdit dans <script>");
  /* "}}" inside the text does not end the tag. */
  EXPECT("{{t \"a }} b\"}}", "", "a }} b");
}

Test(tmpl, translate_without_hook) {
  EXPECT("{{t \"Se connecter & partir\"}}", "", "Se connecter &amp; partir");
  expect_error("\n{{t Texte}}", 2, "guillemets");
  expect_error("{{t \"non fermé}}", 1, "non fermé");
}

Test(tmpl, comments_are_dropped) {
  EXPECT("a{{! un commentaire }}b{{!\nsur deux\nlignes }}c{{ ! espacé }}d", "", "abcd");
  /* Lines inside a comment still count. */
  expect_error("{{!\n\n}}\n{{#a}}", 4, "section {{#a}} non fermée");
  /* A comment may split literal markup: the tokenizer still sees it whole. */
  EXPECT("<a hr{{! x }}ef=\"{{u}}\">", "{\"u\": \"javascript:x\"}", "<a href=\"#invalid\">");
}

Test(tmpl, render_unknown_template) {
  buf out = {0};
  buf_puts(&out, "avant");
  cr_assert_eq(tmpl_render(set, "absent", NULL, &out), -1);
  cr_assert_str_eq(buf_str(&out), "avant");
  cr_assert_eq(tmpl_exists(set, "absent"), 0);
  buf_free(&out);
}

Test(tmpl, render_respects_the_buffer_cap) {
  add("t.html", "{{#n}}0123456789{{/n}}");
  json_t *v = json_pack("{s:[iiiiiiiiii]}", "n", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
  buf out;
  buf_init(&out, 25);
  cr_assert_eq(tmpl_render(set, "t.html", v, &out), 0);
  cr_assert(out.err);
  cr_assert(out.n <= 25);
  buf_free(&out);
  json_decref(v);
}

Test(tmpl, runaway_render_is_cut) {
  /* 100^4 iterations: the render stops at its step budget, flagged like a
  ** full buffer, instead of running for minutes. */
  add("t.html", "{{#p}}{{#p}}{{#p}}{{#p}}{{/p}}{{/p}}{{/p}}{{/p}}");
  json_t *a = json_array();
  for (int i = 0; i < 100; i++) json_array_append_new(a, json_integer(i));
  json_t *v = json_pack("{s:o}", "p", a);
  buf out = {0};
  cr_assert_eq(tmpl_render(set, "t.html", v, &out), 0);
  cr_assert(out.err);
  buf_free(&out);
  json_decref(v);
}

/* ---------------------------------------------------------- malformed */

Test(tmpl, unclosed_section) {
  char *err = compile_error("<p>\n\n{{#a}}\n</p>");
  cr_assert_str_eq(err, "t.html:3: section {{#a}} non fermée");
  free(err);
  expect_error("{{^vide}}", 1, "section {{^vide}} non fermée");
  expect_error("\n{{$b}}", 2, "bloc {{$b}} non fermé");
  expect_error("{{< l}}", 1, "gabarit {{<l}} non fermé");
}

Test(tmpl, mismatched_close) {
  expect_error("{{#a}}\n{{#b}}\n{{/a}}", 3, "{{/a}} ne ferme pas {{#b}} ouverte ligne 2");
  expect_error("x\n{{/a}}", 2, "{{/a}} ferme une section qui n'est pas ouverte");
}

Test(tmpl, unclosed_tag) {
  expect_error("<p>\n{{name</p>", 2, "balise {{ non fermée");
  expect_error("{{! commentaire", 1, "commentaire {{! non fermé");
}

Test(tmpl, empty_or_invalid_names) {
  expect_error("\n{{}}", 2, "vide");
  expect_error("{{  }}", 1, "vide");
  expect_error("{{#}}{{/}}", 1, "nom vide dans {{#}}");
  expect_error("{{> }}", 1, "nom vide dans {{>}}");
  expect_error("{{a..b}}", 1, "composant vide");
  expect_error("{{a b}}", 1, "nom invalide");
  expect_error("{{.a}}", 1, "composant vide");
  expect_error("{{{html}}}", 1, "{{raw nom}}");
  expect_error("{{&html}}", 1, "{{raw nom}}");
  expect_error("{{=<% %>=}}", 1, "délimiteurs");
}

Test(tmpl, section_must_close_in_its_context) {
  expect_error("<p>\n{{#a}}<a href=\"{{/a}}\">", 2, "section {{#a}}");
  expect_error("{{#a}}<!--{{/a}}-->", 1, "section {{#a}}");
}

Test(tmpl, template_must_end_in_text) {
  expect_error("<p>\n<a href=\"x", 2, "à l'intérieur d'une balise");
  expect_error("<script>\n", 2, "<script>");
  expect_error("<!-- ", 1, "commentaire");
}

Test(tmpl, nesting_is_capped) {
  char src[33 * 6 + 1];
  for (int i = 0; i < 33; i++) memcpy(src + 6 * i, "{{#a}}", 6);
  src[33 * 6] = 0;
  expect_error(src, 1, "imbriqués");
}

Test(tmpl, failed_add_keeps_the_previous_template) {
  add("t.html", "ancien");
  char *err = NULL;
  cr_assert_eq(tmpl_add(set, "t.html", "{{#x}}", 6, &err), -1);
  free(err);
  char *z = render_as("t.html", "");
  cr_assert_str_eq(z, "ancien");
  free(z);
}

Test(tmpl, source_with_nul_bytes_and_length) {
  char *err = NULL;
  cr_assert_eq(tmpl_add(set, "n", "a\0b{{x}}IGNORED", 8, &err), 0);
  buf out = {0};
  json_t *v = json_pack("{s:s}", "x", "<");
  cr_assert_eq(tmpl_render(set, "n", v, &out), 0);
  cr_assert_eq(out.n, 7);
  cr_assert(memcmp(out.z, "a\0b&lt;", 7) == 0);
  json_decref(v);
  buf_free(&out);
}

/* ------------------------------------------------------- concurrency */

typedef struct job {
  json_t *v;
  const char *want;
  int bad;
} job;

static void *render_many(void *p) {
  job *j = p;
  for (int i = 0; i < 500; i++) {
    buf out = {0};
    tmpl_render(set, "page", j->v, &out);
    if (strcmp(buf_str(&out), j->want) != 0) j->bad++;
    buf_free(&out);
  }
  return NULL;
}

Test(tmpl, concurrent_renders_share_the_set) {
  add("layout", LAYOUT);
  add("item", "<li><a href=\"/c/{{id}}?q={{q}}\">{{nom}}</a></li>");
  add("page", "{{< layout}}{{$main}}<ul>{{#items}}{{> item}}{{/items}}</ul>{{/main}}{{/layout}}");
  json_t *v = json_loads("{\"site\": \"S\", \"items\": [{\"id\": 1, \"q\": \"a b\", \"nom\": \"<x>\"}]}",
                         0, NULL);
  const char *want = "<title>Guichet</title>\n<main><ul><li><a href=\"/c/1?q=a%20b\">&lt;x&gt;</a>"
                     "</li></ul></main>\n<footer>S</footer>";
  pthread_t th[4];
  job jobs[4];
  for (int i = 0; i < 4; i++) {
    jobs[i] = (job){v, want, 0};
    pthread_create(&th[i], NULL, render_many, &jobs[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    cr_assert_eq(jobs[i].bad, 0);
  }
  json_decref(v);
}
