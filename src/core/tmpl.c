/*
** tmpl.c — the auto-escaping template engine (syntax and contract: tmpl.h).
**
** Compile (tmpl_add) runs two passes over a private copy of the source:
**   1. parse: the {{…}} syntax becomes a flat array of ops. A container
**      (section, block, layout call) keeps in `end` the index just past its
**      closing tag, so the array is a tree walked without pointers. Dotted
**      names are split once into comps (offset and length in the source, and
**      the array index when the component is a number).
**   2. analyse: a small HTML tokenizer (a subset of the WHATWG state machine:
**      text, tags, attribute names and values, comments, raw text elements)
**      reads the literal text in output order and gives every value the
**      escaping of the place it lands in (ESC_*), or rejects the template.
**      A section body may run 0, 1 or many times, so it must close in the
**      HTML state it opened in. Inside a URL attribute the URL part (start,
**      scheme not yet fixed, path, query) is a set of possibilities; a loop
**      is re-analysed until that set stops growing (at most once per part).
**      Partials, blocks and layout calls stand only in element text, so what
**      they bring is analysed on its own from the text state.
** After compile a template is read-only. tmpl_render walks the ops with the
** context stack and the chain of block overrides as frames on the C stack:
** a render allocates nothing but the output buffer's growth, and a loaded
** set can be shared by any number of threads (nothing may be added then).
** A render runs at most TMPL_MAX_STEPS ops: past that (a runaway loop or
** branching partials) it stops and sets out->err, like a full buffer.
**
** Memory: the set owns its templates; a template owns its name, its source
** copy (text ops and names point into it), its ops, comps and the msgids of
** {{t}}. Cost: compile is linear in the source, apart from the loop fixpoint
** (quadratic in the nesting depth at worst); render is linear in the output,
** plus one hash lookup per partial or layout and a walk of the override
** chain per block.
*/
#include "core/tmpl.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TMPL_MAX_SRC (16u << 20) /* largest source: keeps every offset in 32 bits */
#define TMPL_MAX_NEST 32         /* sections and blocks open at once in a template */
#define TMPL_MAX_DEPTH 32        /* partials and layouts nested in a render (tmpl.h) */
#define TMPL_MAX_COMP 16         /* components of a dotted name */
#define TMPL_MAX_NAME 200        /* bytes in a partial, layout or block name */
#define JSON_MAX_DEPTH 64        /* nesting written in a JSON script; deeper is null */
#define TMPL_MAX_STEPS (1u << 24) /* ops one render may run: a real page runs ~10^4;
                                     a runaway (nested loops, branching partials)
                                     stops there with out->err set */
#define MSG_NAME 60              /* bytes of a template's own text quoted in a message */

/* ------------------------------------------------------------- types */

enum {
  OP_TEXT,     /* literal text: zSrc[off, off+len) */
  OP_VAR,      /* {{a.b}}: a value written with escaping `esc` */
  OP_RAW,      /* {{raw a.b}}: a value written as is */
  OP_T,        /* {{t "…"}}: translated msgid zPool+arg, escaped by `esc` */
  OP_SECTION,  /* {{#a}}…{{/a}} */
  OP_INVERTED, /* {{^a}}…{{/a}} */
  OP_PARTIAL,  /* {{> name}}: name at zSrc[off, off+len) */
  OP_BLOCK,    /* {{$name}}default{{/name}} */
  OP_INHERIT   /* {{< layout}}: its body holds only OP_BLOCK overrides */
};

/* How a value is written: decided by the analysis from the HTML context. */
enum {
  ESC_HTML,      /* element text, quoted attribute, comment: buf_html */
  ESC_RAW,       /* {{raw}}: as is */
  ESC_URL_START, /* first thing in a URL attribute: scheme allow-list, buf_html */
  ESC_URL_HEAD,  /* URL before its scheme is fixed: percent-encode, ':' too */
  ESC_URL_PATH,  /* URL path once the scheme is fixed: percent-encode, keep / : @ … */
  ESC_URL_QUERY, /* URL query or fragment: buf_url */
  ESC_JSON       /* <script type="application/json">: a JSON value */
};

typedef struct op {
  uint8_t kind;  /* OP_* */
  uint8_t esc;   /* ESC_*, for OP_VAR, OP_RAW and OP_T */
  uint8_t url;   /* OP_SECTION: URL parts a loop iteration may start in (U_*) */
  uint8_t npath; /* OP_VAR, OP_RAW, OP_SECTION, OP_INVERTED: comps; 0 is {{.}} */
  uint32_t line; /* 1-based line of the tag, or of the text's first byte */
  uint32_t off;  /* text, or the name as written, in zSrc */
  uint32_t len;  /* bytes at off */
  uint32_t arg;  /* first comp in aComp, or OP_T's msgid offset in zPool */
  uint32_t end;  /* containers: index of the op just past the closing tag */
} op;

typedef struct comp {
  uint32_t off; /* the component's bytes in zSrc */
  uint32_t len; /* its length */
  int32_t idx;  /* its value when all digits (an array index), else -1 */
} comp;

typedef struct tmpl {
  char *zName;    /* owned, NUL-terminated */
  size_t nName;   /* strlen(zName) */
  char *zSrc;     /* owned copy of the source (NUL-terminated) */
  uint32_t nSrc;  /* its length */
  op *aOp;        /* owned: the compiled tree, in document order */
  uint32_t nOp;   /* ops used */
  comp *aComp;    /* owned: components of every dotted name */
  uint32_t nComp; /* comps used */
  char *zPool;    /* owned: NUL-terminated msgids of {{t}}, or NULL */
} tmpl;

struct tmpl_set {
  tmpl **aTmpl;   /* templates in the order they were first added */
  uint32_t nTmpl; /* templates in aTmpl */
  uint32_t nTmplAlloc; /* slots allocated in aTmpl */
  uint32_t *aHash; /* open addressing on the name: 1 + index in aTmpl, 0 empty */
  uint32_t nHash;  /* slots in aHash: 0 or a power of two, at least 2*nTmpl */
  const char *(*translate)(const char *msgid); /* {{t}} hook, NULL: identity */
};

/* ----------------------------------------------------------- helpers */

static int is_ws(int ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}
static int is_alpha(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static int is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static int to_lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch; }

static uint32_t count_nl(const char *z, size_t n) {
  uint32_t k = 0;
  const char *e = z + n;
  while (z < e && (z = memchr(z, '\n', (size_t)(e - z))) != NULL) {
    k++;
    z++;
  }
  return k;
}

/* First two equal bytes ch ch in z[0..n), or NULL: how the parser finds
** "{{" and "}}" without relying on a GNU extension. */
static const char *find2(const char *z, size_t n, char ch) {
  const char *e = z + n;
  while (z + 1 < e && (z = memchr(z, ch, (size_t)(e - z) - 1)) != NULL) {
    if (z[1] == ch) return z;
    z++;
  }
  return NULL;
}

/* Shown length of a piece of template text quoted in a message. */
static int msg_len(size_t n) { return n > MSG_NAME ? MSG_NAME : (int)n; }

static void tmpl_free(tmpl *t) {
  if (!t) return;
  free(t->zName);
  free(t->zSrc);
  free(t->aOp);
  free(t->aComp);
  free(t->zPool);
  free(t);
}

/* ---------------------------------------------------------------- set */

static uint32_t name_hash(const char *z, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)z[i]) * 16777619u;
  return h;
}

/* The hash slot holding name, or the empty slot where it would go.
** Requires nHash > 0. */
static uint32_t *set_slot(const tmpl_set *s, const char *z, size_t n) {
  uint32_t mask = s->nHash - 1, h = name_hash(z, n) & mask;
  while (s->aHash[h]) {
    const tmpl *t = s->aTmpl[s->aHash[h] - 1];
    if (t->nName == n && memcmp(t->zName, z, n) == 0) break;
    h = (h + 1) & mask;
  }
  return &s->aHash[h];
}

static const tmpl *set_find(const tmpl_set *s, const char *z, size_t n) {
  if (!s->nHash) return NULL;
  uint32_t k = *set_slot(s, z, n);
  return k ? s->aTmpl[k - 1] : NULL;
}

static void set_grow(tmpl_set *s) {
  uint32_t nHash = s->nHash ? s->nHash * 2 : 64;
  free(s->aHash);
  s->aHash = xcalloc(nHash, sizeof(uint32_t));
  s->nHash = nHash;
  for (uint32_t i = 0; i < s->nTmpl; i++) {
    const tmpl *t = s->aTmpl[i];
    *set_slot(s, t->zName, t->nName) = i + 1;
  }
}

/* Adds t, replacing (and freeing) a template of the same name. */
static void set_put(tmpl_set *s, tmpl *t) {
  if (2 * (s->nTmpl + 1) > s->nHash) set_grow(s);
  uint32_t *slot = set_slot(s, t->zName, t->nName);
  if (*slot) {
    tmpl_free(s->aTmpl[*slot - 1]);
    s->aTmpl[*slot - 1] = t;
    return;
  }
  if (s->nTmpl == s->nTmplAlloc) {
    s->nTmplAlloc = s->nTmplAlloc ? 2 * s->nTmplAlloc : 32;
    s->aTmpl = xrealloc(s->aTmpl, s->nTmplAlloc * sizeof(tmpl *));
  }
  s->aTmpl[s->nTmpl++] = t;
  *slot = s->nTmpl;
}

tmpl_set *tmpl_set_new(void) { return xcalloc(1, sizeof(tmpl_set)); }

void tmpl_set_free(tmpl_set *s) {
  if (!s) return;
  for (uint32_t i = 0; i < s->nTmpl; i++) tmpl_free(s->aTmpl[i]);
  free(s->aTmpl);
  free(s->aHash);
  free(s);
}

void tmpl_set_translate(tmpl_set *s, const char *(*fn)(const char *msgid)) {
  s->translate = fn;
}

int tmpl_exists(const tmpl_set *s, const char *name) {
  return name && set_find(s, name, strlen(name)) != NULL;
}

/* ------------------------------------------------------------- parse */

typedef struct cctx {
  tmpl *t;             /* template being compiled */
  char *zErr;          /* first error, malloc'ed; NULL while all is well */
  uint32_t nOpAlloc;   /* ops allocated in t->aOp */
  uint32_t nCompAlloc; /* comps allocated in t->aComp */
  buf pool;            /* msgids of {{t}}, each NUL-terminated */
} cctx;

static int cerr(cctx *c, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records "name:line: message" (the first error wins) and returns -1. */
static int cerr(cctx *c, uint32_t line, const char *fmt, ...) {
  if (c->zErr) return -1;
  buf b = {0};
  va_list ap;
  buf_printf(&b, "%s:%u: ", c->t->zName, line);
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  c->zErr = b.z ? b.z : xstrdup("erreur");
  return -1;
}

static op *op_push(cctx *c, int kind, uint32_t line, size_t off, size_t len) {
  tmpl *t = c->t;
  if (t->nOp == c->nOpAlloc) {
    c->nOpAlloc = c->nOpAlloc ? 2 * c->nOpAlloc : 64;
    t->aOp = xrealloc(t->aOp, c->nOpAlloc * sizeof(op));
  }
  op *o = &t->aOp[t->nOp++];
  memset(o, 0, sizeof(*o));
  o->kind = (uint8_t)kind;
  o->line = line;
  o->off = (uint32_t)off;
  o->len = (uint32_t)len;
  return o;
}

/* Checks the dotted name zSrc[off, off+n) and, when o is not NULL, stores its
** components in aComp for o. "." is the current item. */
static int parse_path(cctx *c, op *o, size_t off, size_t n, uint32_t line, const char *zTag) {
  const char *z = c->t->zSrc + off;
  if (n == 1 && z[0] == '.') return 0;
  size_t i = 0;
  unsigned ncomp = 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && z[j] != '.') {
      int ch = (unsigned char)z[j];
      if (!is_alpha(ch) && !is_digit(ch) && ch != '_' && ch != '-')
        return cerr(c, line, "nom invalide « %.*s » dans {{%s…}} : lettres, chiffres, _ et - "
                             "séparés par des points",
                    msg_len(n), z, zTag);
      j++;
    }
    if (j == i)
      return cerr(c, line, "nom invalide « %.*s » dans {{%s…}} : composant vide", msg_len(n), z,
                  zTag);
    if (++ncomp > TMPL_MAX_COMP)
      return cerr(c, line, "nom « %.*s » trop long (%d composants au plus)", msg_len(n), z,
                  TMPL_MAX_COMP);
    if (o) {
      tmpl *t = c->t;
      if (t->nComp == c->nCompAlloc) {
        c->nCompAlloc = c->nCompAlloc ? 2 * c->nCompAlloc : 32;
        t->aComp = xrealloc(t->aComp, c->nCompAlloc * sizeof(comp));
      }
      if (ncomp == 1) o->arg = t->nComp;
      comp *p = &t->aComp[t->nComp++];
      p->off = (uint32_t)(off + i);
      p->len = (uint32_t)(j - i);
      p->idx = -1;
      if (j - i <= 9) {
        int32_t v = 0;
        size_t k;
        for (k = i; k < j && is_digit((unsigned char)z[k]); k++) v = v * 10 + (z[k] - '0');
        if (k == j) p->idx = v;
      }
      o->npath = (uint8_t)ncomp;
    }
    i = j + 1;
  }
  return 0;
}

/* Checks a partial, layout or block name: letters, digits and _ . / - */
static int check_name(cctx *c, const char *z, size_t n, uint32_t line, char sigil) {
  if (n > TMPL_MAX_NAME)
    return cerr(c, line, "nom trop long dans {{%c…}} (%d octets au plus)", sigil, TMPL_MAX_NAME);
  for (size_t i = 0; i < n; i++) {
    int ch = (unsigned char)z[i];
    if (!is_alpha(ch) && !is_digit(ch) && ch != '_' && ch != '-' && ch != '.' && ch != '/')
      return cerr(c, line, "nom invalide « %.*s » dans {{%c…}} : lettres, chiffres, _ . / et -",
                  msg_len(n), z, sigil);
  }
  return 0;
}

/* What the content of an open container becomes. */
enum {
  C_EMIT,    /* compiled */
  C_INHERIT, /* directly inside {{<…}}: blocks are compiled, the rest ignored */
  C_DROP     /* ignored (inside {{<…}} but outside its blocks) */
};

typedef struct opentag {
  uint32_t iOp;  /* its op, or UINT32_MAX when its content is dropped */
  uint32_t off;  /* its name in zSrc, matched against the closing tag */
  uint32_t len;  /* length of the name */
  uint32_t line; /* of the opening tag, for messages */
  char sigil;    /* '#', '^', '$' or '<' */
  uint8_t ctx;   /* C_*: what its content becomes */
} opentag;

/* Parses {{t "…"}} whose opening quote is at z[b]; *pb ends past "}}". */
static int parse_t(cctx *c, size_t *pb, uint32_t line, int emit) {
  const tmpl *t = c->t;
  const char *z = t->zSrc;
  size_t n = t->nSrc, b = *pb + 1;
  size_t start = c->pool.n;
  for (;;) {
    if (b >= n) return cerr(c, line, "texte de {{t \"…\"}} non fermé (guillemet manquant)");
    char ch = z[b];
    if (ch == '"') break;
    if (ch == '\\' && b + 1 < n && (z[b + 1] == '"' || z[b + 1] == '\\')) {
      buf_putc(&c->pool, z[b + 1]);
      b += 2;
      continue;
    }
    if (ch == '\0') return cerr(c, line, "octet nul dans {{t \"…\"}}");
    buf_putc(&c->pool, ch);
    b++;
  }
  if (c->pool.n == start) return cerr(c, line, "texte vide dans {{t \"\"}}");
  buf_putc(&c->pool, '\0');
  b++;
  while (b < n && is_ws((unsigned char)z[b])) b++;
  if (b + 1 >= n || z[b] != '}' || z[b + 1] != '}')
    return cerr(c, line, "« }} » attendu après le texte de {{t \"…\"}}");
  if (emit) {
    op *o = op_push(c, OP_T, line, 0, 0);
    o->arg = (uint32_t)start;
  }
  *pb = b + 2;
  return 0;
}

/* Pass 1: source → ops. */
static int parse(cctx *c) {
  tmpl *t = c->t;
  const char *z = t->zSrc;
  size_t n = t->nSrc, pos = 0;
  uint32_t line = 1;
  opentag aOpen[TMPL_MAX_NEST];
  int nOpen = 0;

  while (pos < n) {
    int ctx = nOpen ? aOpen[nOpen - 1].ctx : C_EMIT;
    const char *q = find2(z + pos, n - pos, '{');
    size_t qi = q ? (size_t)(q - z) : n;
    if (qi > pos) {
      if (ctx == C_EMIT) op_push(c, OP_TEXT, line, pos, qi - pos);
      line += count_nl(z + pos, qi - pos);
    }
    if (!q) break;
    uint32_t tline = line;
    size_t p = qi + 2;

    if (p < n && z[p] == '!') { /* comment: up to the first "}}" */
      const char *e = find2(z + p, n - p, '}');
      if (!e) return cerr(c, tline, "commentaire {{! non fermé");
      line += count_nl(z + p, (size_t)(e - (z + p)));
      pos = (size_t)(e - z) + 2;
      continue;
    }

    size_t a = p;
    while (a < n && is_ws((unsigned char)z[a])) a++;
    if (a + 1 < n && z[a] == 't' && is_ws((unsigned char)z[a + 1])) { /* {{t "…"}} */
      size_t b = a + 1;
      while (b < n && is_ws((unsigned char)z[b])) b++;
      if (b >= n || z[b] != '"')
        return cerr(c, tline, "{{t}} attend un texte entre guillemets : {{t \"Texte\"}}");
      if (parse_t(c, &b, tline, ctx == C_EMIT)) return -1;
      line += count_nl(z + p, b - p);
      pos = b;
      continue;
    }

    const char *e = find2(z + p, n - p, '}');
    if (!e) return cerr(c, tline, "balise {{ non fermée (« }} » manquant)");
    size_t ei = (size_t)(e - z);
    line += count_nl(z + p, ei - p);
    pos = ei + 2;
    size_t s = p, se = ei;
    while (s < se && is_ws((unsigned char)z[s])) s++;
    while (se > s && is_ws((unsigned char)z[se - 1])) se--;
    if (s == se) return cerr(c, tline, "balise {{}} vide : nom manquant");

    char sig = z[s];
    if (sig == '!') continue; /* "{{ ! comment }}" */
    if (sig == '{' || sig == '&')
      return cerr(c, tline, "{{%c…}} n'existe pas : la sortie sans échappement s'écrit {{raw nom}}",
                  sig);
    if (sig == '=')
      return cerr(c, tline, "le changement de délimiteurs {{=…=}} n'est pas pris en charge");

    if (sig == '#' || sig == '^' || sig == '$' || sig == '<' || sig == '>' || sig == '/') {
      size_t ns = s + 1;
      while (ns < se && is_ws((unsigned char)z[ns])) ns++;
      if (ns == se) return cerr(c, tline, "nom vide dans {{%c}}", sig);
      size_t nn = se - ns;
      char zTag[2] = {sig, 0};

      if (sig == '/') {
        if (nOpen == 0)
          return cerr(c, tline, "{{/%.*s}} ferme une section qui n'est pas ouverte", msg_len(nn),
                      z + ns);
        opentag *ot = &aOpen[--nOpen];
        if (ot->len != nn || memcmp(z + ot->off, z + ns, nn) != 0)
          return cerr(c, tline, "{{/%.*s}} ne ferme pas {{%c%.*s}} ouverte ligne %u", msg_len(nn),
                      z + ns, ot->sigil, msg_len(ot->len), z + ot->off, ot->line);
        if (ot->iOp != UINT32_MAX) t->aOp[ot->iOp].end = t->nOp;
        continue;
      }
      if (sig == '>') {
        if (check_name(c, z + ns, nn, tline, sig)) return -1;
        if (ctx == C_EMIT) op_push(c, OP_PARTIAL, tline, ns, nn);
        continue;
      }
      /* An opening tag. */
      if (sig == '#' || sig == '^') {
        if (parse_path(c, NULL, ns, nn, tline, zTag)) return -1;
      } else if (check_name(c, z + ns, nn, tline, sig)) {
        return -1;
      }
      if (nOpen == TMPL_MAX_NEST)
        return cerr(c, tline, "plus de %d sections ou blocs imbriqués", TMPL_MAX_NEST);
      opentag *ot = &aOpen[nOpen++];
      ot->off = (uint32_t)ns;
      ot->len = (uint32_t)nn;
      ot->line = tline;
      ot->sigil = sig;
      ot->iOp = UINT32_MAX;
      ot->ctx = C_DROP;
      if (sig == '$' ? ctx == C_DROP : ctx != C_EMIT) continue;
      int kind = sig == '#' ? OP_SECTION : sig == '^' ? OP_INVERTED : sig == '$' ? OP_BLOCK : OP_INHERIT;
      ot->iOp = t->nOp;
      ot->ctx = sig == '<' ? C_INHERIT : C_EMIT;
      op *o = op_push(c, kind, tline, ns, nn);
      if (kind == OP_SECTION || kind == OP_INVERTED) parse_path(c, o, ns, nn, tline, zTag);
      continue;
    }

    /* A value: {{name}} or {{raw name}}. */
    int kind = OP_VAR;
    if (se - s > 4 && memcmp(z + s, "raw", 3) == 0 && is_ws((unsigned char)z[s + 3])) {
      kind = OP_RAW;
      s += 4;
      while (s < se && is_ws((unsigned char)z[s])) s++;
    }
    if (parse_path(c, NULL, s, se - s, tline, kind == OP_RAW ? "raw " : "")) return -1;
    if (ctx == C_EMIT) {
      op *o = op_push(c, kind, tline, s, se - s);
      parse_path(c, o, s, se - s, tline, "");
    }
  }
  if (nOpen) {
    const opentag *ot = &aOpen[nOpen - 1];
    const char *what = ot->sigil == '$'   ? "bloc"
                       : ot->sigil == '<' ? "gabarit"
                                          : "section";
    return cerr(c, ot->line, "%s {{%c%.*s}} non fermé%s", what, ot->sigil, msg_len(ot->len),
                z + ot->off, ot->sigil == '#' || ot->sigil == '^' ? "e" : "");
  }
  return 0;
}

/* ----------------------------------------------------------- analyse */

/* Tokenizer states (WHATWG names in comments). */
enum {
  H_TEXT,         /* data */
  H_RAW,          /* RCDATA, RAWTEXT or script data: content of `elem` */
  H_LT,           /* tag open: just after '<' */
  H_TAG_NAME,     /* tag name */
  H_END_LT,       /* end tag open: just after "</" */
  H_MD,           /* markup declaration open: just after "<!" */
  H_MD_DASH,      /* after "<!-" */
  H_COMMENT,      /* comment and its start/end states, told apart by k */
  H_BOGUS,        /* bogus comment or doctype: up to '>' */
  H_TAG,          /* before attribute name */
  H_ATTR_NAME,    /* attribute name */
  H_AFTER_NAME,   /* after attribute name */
  H_BEFORE_VALUE, /* before attribute value */
  H_VALUE_DQ,     /* attribute value (double-quoted) */
  H_VALUE_SQ,     /* attribute value (single-quoted) */
  H_VALUE_UNQ     /* attribute value (unquoted) */
};

/* H_COMMENT sub-states, in hstate.k. */
enum { CM_BODY, CM_END_DASH, CM_END, CM_END_BANG, CM_START, CM_START_DASH };

/* Elements whose content is not markup (from E_SCRIPT to E_NOFRAMES), and
** the two that open foreign content, where only <script> and <style> stay
** so (an SVG <title> holds markup); E_OTHER is any other. */
enum {
  E_OTHER,
  E_SCRIPT,
  E_STYLE,
  E_TEXTAREA,
  E_TITLE,
  E_XMP,
  E_IFRAME,
  E_NOEMBED,
  E_NOFRAMES,
  E_SVG,
  E_MATH
};
static const char *const azElem[] = {"",       "script",  "style",    "textarea",
                                     "title",  "xmp",     "iframe",   "noembed",
                                     "noframes", "svg",   "math"};

/* How H_RAW content is read. */
enum {
  R_SCRIPT,  /* <script> code: no values */
  R_JSON,    /* <script type="application/json">: values are JSON */
  R_STYLE,   /* <style>: no values */
  R_RCDATA,  /* <textarea>, <title>: values HTML-escaped */
  R_RAWTEXT  /* <xmp>, <iframe>, <noembed>, <noframes>: values HTML-escaped */
};

/* Attribute kinds. */
enum {
  A_NONE,  /* not in an attribute */
  A_PLAIN, /* any other: HTML escaping */
  A_URL,   /* href, src, action…: URL rules */
  A_CODE,  /* on*, style, srcdoc: JavaScript, CSS or markup, no values */
  A_TYPE   /* the first type of a <script>: decides R_JSON */
};

/* URL parts, a bit set in hstate.url. */
#define U_START 1 /* nothing written yet in the attribute value */
#define U_HEADL 2 /* literal text written, no ':' '/' '?' '#' yet */
#define U_HEADV 4 /* a value written, no ':' '/' '?' '#' yet: a ':' now is refused */
#define U_PATH 8  /* scheme fixed (or none): after ':' or '/' */
#define U_QUERY 16 /* after '?' or '#' */

#define NAME_CAP 22 /* bytes of a name kept in hstate.zName */
#define NAME_DYN 255 /* hstate.nName: a <script> type holds a template tag */

typedef struct hstate {
  uint8_t mode;  /* H_* */
  uint8_t elem;  /* E_*: element of the start tag being read, or of H_RAW content */
  uint8_t raw;   /* R_*: how H_RAW content is read */
  uint8_t attr;  /* A_*: attribute being named or valued */
  uint8_t url;   /* U_* set: where in the URL a value may land (A_URL values) */
  uint8_t k;     /* H_RAW: bytes of "</elem" matched; H_COMMENT: CM_* */
  uint8_t bang;  /* H_RAW script: bytes of "<!--" matched */
  uint8_t end;   /* the tag being read is an end tag */
  uint8_t json;  /* <script> tag being read: 0 no type yet, 1 JSON type, 2 other */
  uint8_t nName; /* bytes seen of the name or type (254 at most), or NAME_DYN */
  uint8_t foreign; /* <svg> and <math> elements open (255 at most) */
  char zName[NAME_CAP]; /* lower-cased tag or attribute name, or <script> type; zero tail */
} hstate;

static void name_reset(hstate *h) {
  h->nName = 0;
  memset(h->zName, 0, sizeof(h->zName));
}

static void name_add(hstate *h, int ch) {
  if (h->nName >= 254) return;
  if (h->nName < NAME_CAP) h->zName[h->nName] = (char)to_lower(ch);
  h->nName++;
}

static int name_is(const hstate *h, const char *z) {
  size_t n = strlen(z);
  return h->nName == n && memcmp(h->zName, z, n) == 0;
}

static void tag_name_end(hstate *h) {
  h->elem = E_OTHER;
  for (size_t i = 1; i < ARRAY_SIZE(azElem); i++)
    if (name_is(h, azElem[i])) h->elem = (uint8_t)i;
  h->json = 0;
  name_reset(h);
  h->mode = H_TAG;
}

static void attr_name_end(hstate *h) {
  static const char *const azUrl[] = {"href",     "src",      "action",   "formaction", "poster",
                                      "cite",     "data",     "background", "longdesc", "usemap",
                                      "icon",     "manifest", "codebase", "xlink:href"};
  h->attr = A_PLAIN;
  if (h->nName >= 2 && h->zName[0] == 'o' && h->zName[1] == 'n') {
    h->attr = A_CODE;
  } else if (name_is(h, "style") || name_is(h, "srcdoc")) {
    h->attr = A_CODE;
  } else if (h->elem == E_SCRIPT && !h->end && h->json == 0 && name_is(h, "type")) {
    h->attr = A_TYPE;
  } else {
    for (size_t i = 0; i < ARRAY_SIZE(azUrl); i++)
      if (name_is(h, azUrl[i])) h->attr = A_URL;
  }
}

/* '>' of a tag (selfClose: "/>"): back to text, or into the content of a
** raw text element. */
static void tag_finish(hstate *h, int selfClose) {
  int el = h->elem;
  h->mode = H_TEXT;
  if (el == E_SVG || el == E_MATH) {
    if (h->end && h->foreign) h->foreign--;
    else if (!h->end && !selfClose && h->foreign < 255) h->foreign++;
  } else if (!h->end && el != E_OTHER && (el <= E_STYLE || h->foreign == 0)) {
    h->mode = H_RAW;
    h->raw = el == E_SCRIPT ? (h->json == 1 ? R_JSON : R_SCRIPT)
             : el == E_STYLE ? R_STYLE
             : el <= E_TITLE ? R_RCDATA
                             : R_RAWTEXT;
  }
  if (h->mode == H_TEXT) {
    h->elem = E_OTHER;
    h->raw = 0;
  }
  h->attr = A_NONE;
  h->url = 0;
  h->k = 0;
  h->bang = 0;
  h->end = 0;
  h->json = 0;
  name_reset(h);
}

static void value_begin(hstate *h, int mode) {
  h->mode = (uint8_t)mode;
  if (h->attr == A_URL) h->url = U_START;
  if (h->attr == A_TYPE) name_reset(h);
}

static void value_end(hstate *h) {
  if (h->attr == A_TYPE) {
    int json = 0;
    if (h->nName != NAME_DYN && h->nName <= NAME_CAP) {
      const char *z = h->zName;
      size_t n = h->nName;
      while (n && is_ws((unsigned char)*z)) z++, n--;
      while (n && is_ws((unsigned char)z[n - 1])) n--;
      json = (n == 16 && memcmp(z, "application/json", 16) == 0) ||
             (n == 19 && memcmp(z, "application/ld+json", 19) == 0);
    }
    h->json = json ? 1 : 2;
  }
  h->attr = A_NONE;
  h->url = 0;
  name_reset(h);
  h->mode = H_TAG;
}

/* URL parts after the literal character ch, or -1 when a ':' would let a
** value written before it choose the scheme. */
static int url_lit(int m, int ch) {
  if (ch == '\t' || ch == '\n' || ch == '\r') return m; /* browsers drop them */
  if (ch == '?' || ch == '#') return U_QUERY;
  int r = m & (U_PATH | U_QUERY);
  if (ch == ':') {
    if (m & U_HEADV) return -1;
    if (m & (U_START | U_HEADL)) r |= U_PATH;
  } else if (ch == '/') {
    if (m & (U_START | U_HEADL | U_HEADV)) r |= U_PATH;
  } else {
    r = m & ~U_START;
    if (m & U_START) r |= U_HEADL;
  }
  return r;
}

/* URL parts after a value. */
static int url_val(int m) {
  if (m & (U_START | U_HEADL)) m = (m & ~(U_START | U_HEADL)) | U_HEADV;
  return m;
}

/* The character a browser sees for the character reference at z[0] ('&'),
** for the few that matter to URL structure; *pn: bytes it takes. Anything
** else is the '&' itself. */
static int url_charref(const char *z, size_t n, size_t *pn) {
  static const struct {
    const char *z;
    int ch;
  } aNamed[] = {{"colon;", ':'}, {"sol;", '/'},      {"quest;", '?'}, {"num;", '#'},
                {"Tab;", '\t'},  {"NewLine;", '\n'}, {"amp;", '&'}};
  *pn = 1;
  if (n >= 3 && z[1] == '#') {
    int hex = z[2] == 'x' || z[2] == 'X';
    size_t i = hex ? 3 : 2;
    long v = 0;
    size_t start = i;
    while (i < n) {
      int ch = (unsigned char)z[i];
      int d = is_digit(ch) ? ch - '0'
              : hex && to_lower(ch) >= 'a' && to_lower(ch) <= 'f' ? to_lower(ch) - 'a' + 10
                                                                   : -1;
      if (d < 0) break;
      if (v < 0x110000) v = v * (hex ? 16 : 10) + d;
      i++;
    }
    if (i == start) return '&';
    if (i < n && z[i] == ';') i++;
    *pn = i;
    return v < 128 ? (int)v : 'x';
  }
  for (size_t i = 0; i < ARRAY_SIZE(aNamed); i++) {
    size_t k = strlen(aNamed[i].z);
    if (n >= k + 1 && memcmp(z + 1, aNamed[i].z, k) == 0) {
      *pn = k + 1;
      return aNamed[i].ch;
    }
  }
  return '&';
}

/* Feeds the literal byte z[*pi] (and, for a character reference in a URL, the
** bytes after it up to n) to the tokenizer. */
static int lex(cctx *c, hstate *h, const char *z, size_t n, size_t *pi, uint32_t line) {
  size_t i = *pi;
  int ch = (unsigned char)z[i];
  int selfClose = i > 0 && z[i - 1] == '/'; /* for a '>' */
  *pi = i + 1;
again:
  switch (h->mode) {
    case H_TEXT:
      if (ch == '<') h->mode = H_LT;
      return 0;
    case H_LT:
      if (is_alpha(ch)) {
        h->mode = H_TAG_NAME;
        h->end = 0;
        name_reset(h);
        name_add(h, ch);
      } else if (ch == '!') {
        h->mode = H_MD;
      } else if (ch == '/') {
        h->mode = H_END_LT;
      } else if (ch == '?') {
        h->mode = H_BOGUS;
      } else {
        h->mode = H_TEXT;
        goto again;
      }
      return 0;
    case H_END_LT:
      if (is_alpha(ch)) {
        h->mode = H_TAG_NAME;
        h->end = 1;
        name_reset(h);
        name_add(h, ch);
      } else {
        h->mode = ch == '>' ? H_TEXT : H_BOGUS;
      }
      return 0;
    case H_MD:
      if (ch == '-') {
        h->mode = H_MD_DASH;
        return 0;
      }
      h->mode = H_BOGUS;
      goto again;
    case H_MD_DASH:
      if (ch == '-') {
        h->mode = H_COMMENT;
        h->k = CM_START;
        return 0;
      }
      h->mode = H_BOGUS;
      goto again;
    case H_BOGUS:
      if (ch == '>') h->mode = H_TEXT;
      return 0;
    case H_COMMENT:
      switch (h->k) {
        case CM_START:
        case CM_START_DASH:
          if (ch == '-') h->k = h->k == CM_START ? CM_START_DASH : CM_END;
          else if (ch == '>') h->mode = H_TEXT, h->k = 0;
          else h->k = CM_BODY;
          return 0;
        case CM_BODY: h->k = ch == '-' ? CM_END_DASH : CM_BODY; return 0;
        case CM_END_DASH: h->k = ch == '-' ? CM_END : CM_BODY; return 0;
        case CM_END:
          if (ch == '>') h->mode = H_TEXT, h->k = 0;
          else if (ch == '!') h->k = CM_END_BANG;
          else if (ch != '-') h->k = CM_BODY;
          return 0;
        default: /* CM_END_BANG */
          if (ch == '>') h->mode = H_TEXT, h->k = 0;
          else h->k = ch == '-' ? CM_END_DASH : CM_BODY;
          return 0;
      }
    case H_TAG_NAME:
      if (is_ws(ch) || ch == '/') {
        tag_name_end(h);
      } else if (ch == '>') {
        tag_name_end(h);
        tag_finish(h, selfClose);
      } else {
        name_add(h, ch);
      }
      return 0;
    case H_TAG:
      if (is_ws(ch) || ch == '/') return 0;
      if (ch == '>') {
        tag_finish(h, selfClose);
        return 0;
      }
      if (ch == '=') return cerr(c, line, "« = » sans nom d'attribut dans une balise");
      h->mode = H_ATTR_NAME;
      name_reset(h);
      name_add(h, ch);
      return 0;
    case H_ATTR_NAME:
      if (is_ws(ch)) {
        attr_name_end(h);
        h->mode = H_AFTER_NAME;
      } else if (ch == '/') {
        h->attr = A_NONE;
        name_reset(h);
        h->mode = H_TAG;
      } else if (ch == '=') {
        attr_name_end(h);
        h->mode = H_BEFORE_VALUE;
      } else if (ch == '>') {
        tag_finish(h, selfClose);
      } else {
        name_add(h, ch);
      }
      return 0;
    case H_AFTER_NAME:
      if (is_ws(ch)) return 0;
      if (ch == '=') {
        h->mode = H_BEFORE_VALUE;
      } else if (ch == '>') {
        tag_finish(h, selfClose);
      } else {
        h->attr = A_NONE;
        name_reset(h);
        h->mode = H_TAG;
        goto again;
      }
      return 0;
    case H_BEFORE_VALUE:
      if (is_ws(ch)) return 0;
      if (ch == '"') {
        value_begin(h, H_VALUE_DQ);
      } else if (ch == '\'') {
        value_begin(h, H_VALUE_SQ);
      } else if (ch == '>') {
        value_begin(h, H_VALUE_UNQ);
        value_end(h);
        tag_finish(h, selfClose);
      } else {
        value_begin(h, H_VALUE_UNQ);
        goto again;
      }
      return 0;
    case H_VALUE_DQ:
    case H_VALUE_SQ:
    case H_VALUE_UNQ:
      if (h->mode == H_VALUE_UNQ ? is_ws(ch) || ch == '>' : ch == (h->mode == H_VALUE_DQ ? '"' : '\'')) {
        value_end(h);
        if (ch == '>') tag_finish(h, selfClose);
        return 0;
      }
      if (h->attr == A_URL) {
        if (ch == '&') {
          size_t k;
          ch = url_charref(z + i, n - i, &k);
          *pi = i + k;
        }
        int m = url_lit(h->url, ch);
        if (m < 0)
          return cerr(c, line, "« : » après une valeur en tête d'URL : le schéma d'une URL ne "
                               "peut pas venir d'une valeur");
        h->url = (uint8_t)m;
      } else if (h->attr == A_TYPE && h->nName != NAME_DYN) {
        name_add(h, ch);
      }
      return 0;
    default: { /* H_RAW */
      const char *zEl = azElem[h->elem];
      size_t nEl = 2 + strlen(zEl);
      if (h->k == nEl) {
        if (is_ws(ch) || ch == '/' || ch == '>') {
          h->mode = H_TAG;
          h->end = 1;
          h->elem = E_OTHER;
          h->raw = 0;
          h->k = 0;
          h->bang = 0;
          name_reset(h);
          goto again;
        }
        h->k = 0;
      }
      int want = h->k < 2 ? "</"[h->k] : zEl[h->k - 2];
      h->k = (uint8_t)(to_lower(ch) == want ? h->k + 1 : ch == '<');
      if (h->raw == R_SCRIPT || h->raw == R_JSON) {
        h->bang = (uint8_t)(ch == "<!--"[h->bang] ? h->bang + 1 : ch == '<');
        if (h->bang == 4)
          return cerr(c, line, "« <!-- » dans <script> : le navigateur y lirait la suite autrement");
      }
      return 0;
    }
  }
}

static int an_text(cctx *c, const op *o, hstate *h) {
  const char *z = c->t->zSrc + o->off;
  size_t n = o->len, i = 0;
  uint32_t line = o->line;
  while (i < n) {
    if (z[i] == '\n') line++;
    if (lex(c, h, z, n, &i, line)) return -1;
  }
  return 0;
}

/* The value tag o as written, for messages: malloc'ed "{{raw a.b}}". */
static char *op_show(const tmpl *t, const op *o) {
  buf b = {0};
  if (o->kind == OP_T) {
    const char *z = t->zPool ? t->zPool + o->arg : "";
    buf_printf(&b, "{{t \"%.*s\"}}", msg_len(strlen(z)), z);
  } else {
    buf_printf(&b, "{{%s%.*s}}", o->kind == OP_RAW ? "raw " : "", msg_len(o->len),
               t->zSrc + o->off);
  }
  return b.z;
}

/* Decides how the value op o is written where h stands, or rejects it. */
static int an_value(cctx *c, op *o, hstate *h) {
  int raw = o->kind == OP_RAW;
  int esc = ESC_HTML;
  const char *zWhy = NULL; /* why o cannot stand here, after the tag in the message */
  if (h->mode == H_AFTER_NAME) { /* <input checked {{raw attrs}}> */
    h->mode = H_TAG;
    h->attr = A_NONE;
    name_reset(h);
  }
  switch (h->mode) {
    case H_TEXT:
    case H_BOGUS: break;
    case H_COMMENT:
    case H_RAW:
      if (h->k || h->bang) {
        zWhy = "au milieu de « <!-- », « --> » ou « </ » : ambigu";
      } else if (h->mode == H_RAW && h->raw == R_JSON) {
        esc = ESC_JSON;
      } else if (h->mode == H_RAW && (h->raw == R_SCRIPT || h->raw == R_STYLE) && !raw) {
        zWhy = h->raw == R_STYLE ? "interdit dans <style>"
                                 : "interdit dans <script> : passer les données par "
                                   "<script type=\"application/json\"> ou un attribut data-";
      }
      break;
    case H_TAG:
      if (!raw)
        zWhy = "dans une balise : une valeur ne peut être que dans un attribut entre guillemets";
      break;
    case H_VALUE_DQ:
    case H_VALUE_SQ:
      if (h->attr == A_CODE && !raw) {
        char *zShow = op_show(c->t, o);
        cerr(c, o->line, "%s interdit dans l'attribut %.*s (JavaScript, CSS ou HTML)", zShow,
             h->nName < NAME_CAP ? (int)h->nName : NAME_CAP, h->zName);
        free(zShow);
        return -1;
      } else if (h->attr == A_TYPE) {
        h->nName = NAME_DYN;
      } else if (h->attr == A_URL) {
        int m = h->url;
        esc = m == U_START                          ? ESC_URL_START
              : (m & U_QUERY)                       ? ESC_URL_QUERY
              : (m & (U_START | U_HEADL | U_HEADV)) ? ESC_URL_HEAD
                                                    : ESC_URL_PATH;
        h->url = (uint8_t)url_val(m);
      }
      break;
    case H_BEFORE_VALUE:
    case H_VALUE_UNQ: zWhy = "dans un attribut sans guillemets : le mettre entre guillemets"; break;
    default: zWhy = "dans un nom de balise ou d'attribut"; break;
  }
  if (zWhy) {
    char *zShow = op_show(c->t, o);
    cerr(c, o->line, "%s %s", zShow, zWhy);
    free(zShow);
    return -1;
  }
  o->esc = (uint8_t)(raw ? ESC_RAW : esc);
  return 0;
}

/* At a section's opening or closing tag: an attribute name ends there; a
** <script> type holding a tag is no JSON type; a tag name cannot hold one. */
static int an_boundary(cctx *c, const op *o, hstate *h) {
  if (h->mode == H_ATTR_NAME || h->mode == H_AFTER_NAME) {
    h->mode = H_TAG;
    h->attr = A_NONE;
    name_reset(h);
  }
  if (h->attr == A_TYPE) h->nName = NAME_DYN;
  switch (h->mode) {
    case H_LT:
    case H_TAG_NAME:
    case H_END_LT:
    case H_MD:
    case H_MD_DASH:
      return cerr(c, o->line, "section {{%c%.*s}} dans un nom de balise",
                  o->kind == OP_SECTION ? '#' : '^', msg_len(o->len), c->t->zSrc + o->off);
    default: return 0;
  }
}

/* Element text (or the plain content of <title>, <textarea>…), where another
** template's output may stand. */
static int text_like(const hstate *h) {
  return h->mode == H_TEXT ||
         (h->mode == H_RAW && (h->raw == R_RCDATA || h->raw == R_RAWTEXT) && h->k == 0);
}

static int an_ops(cctx *c, uint32_t i, uint32_t end, hstate *h);

static int an_section(cctx *c, op *o, uint32_t i, hstate *h) {
  if (an_boundary(c, o, h)) return -1;
  hstate in = *h;
  in.url |= o->url;
  int more;
  for (;;) {
    hstate out = in;
    if (an_ops(c, i + 1, o->end, &out)) return -1;
    if (an_boundary(c, o, &out)) return -1;
    more = out.url & ~in.url;
    out.url = in.url;
    if (memcmp(&in, &out, sizeof(in)) != 0)
      return cerr(c, o->line,
                  "section {{%c%.*s}} : elle doit se fermer dans le contexte HTML où elle s'ouvre "
                  "(balise, attribut ou commentaire laissé ouvert ?)",
                  o->kind == OP_SECTION ? '#' : '^', msg_len(o->len), c->t->zSrc + o->off);
    /* An inverted section runs at most once; a section may loop, and its
    ** next iteration starts where the last one ended. */
    if (!more || o->kind == OP_INVERTED) break;
    in.url |= (uint8_t)more;
  }
  if (o->kind == OP_SECTION) o->url = in.url;
  *h = in;
  h->url |= (uint8_t)more;
  return 0;
}

static int an_ops(cctx *c, uint32_t i, uint32_t end, hstate *h) {
  tmpl *t = c->t;
  while (i < end) {
    op *o = &t->aOp[i];
    switch (o->kind) {
      case OP_TEXT:
        if (an_text(c, o, h)) return -1;
        i++;
        break;
      case OP_VAR:
      case OP_RAW:
      case OP_T:
        if (an_value(c, o, h)) return -1;
        i++;
        break;
      case OP_SECTION:
      case OP_INVERTED:
        if (an_section(c, o, i, h)) return -1;
        i = o->end;
        break;
      case OP_PARTIAL:
        if (!text_like(h))
          return cerr(c, o->line,
                      "{{> %.*s}} doit être dans le texte de la page, pas dans une balise, un "
                      "attribut, un script ou un commentaire",
                      msg_len(o->len), t->zSrc + o->off);
        i++;
        break;
      case OP_BLOCK: {
        if (!text_like(h))
          return cerr(c, o->line,
                      "bloc {{$%.*s}} : il doit être dans le texte de la page, pas dans une "
                      "balise, un attribut, un script ou un commentaire",
                      msg_len(o->len), t->zSrc + o->off);
        hstate b = *h;
        if (an_ops(c, i + 1, o->end, &b)) return -1;
        if (memcmp(&b, h, sizeof(b)) != 0)
          return cerr(c, o->line,
                      "bloc {{$%.*s}} : il doit se fermer dans le contexte HTML où il s'ouvre",
                      msg_len(o->len), t->zSrc + o->off);
        i = o->end;
        break;
      }
      default: /* OP_INHERIT */
        if (h->mode != H_TEXT)
          return cerr(c, o->line, "{{< %.*s}} doit être dans le texte de la page",
                      msg_len(o->len), t->zSrc + o->off);
        for (uint32_t j = i + 1; j < o->end; j = t->aOp[j].end) {
          const op *b = &t->aOp[j];
          hstate hb;
          memset(&hb, 0, sizeof(hb));
          if (an_ops(c, j + 1, b->end, &hb)) return -1;
          if (hb.mode != H_TEXT)
            return cerr(c, b->line,
                        "bloc {{$%.*s}} : il doit se terminer dans le texte de la page "
                        "(balise, attribut, script ou commentaire laissé ouvert ?)",
                        msg_len(b->len), t->zSrc + b->off);
        }
        i = o->end;
        break;
    }
  }
  return 0;
}

/* Pass 2: the whole template, from and back to element text. */
static int analyse(cctx *c) {
  hstate h;
  memset(&h, 0, sizeof(h));
  if (an_ops(c, 0, c->t->nOp, &h)) return -1;
  if (h.mode == H_TEXT) return 0;
  uint32_t line = 1 + count_nl(c->t->zSrc, c->t->nSrc);
  const char *where = "à l'intérieur d'une balise";
  if (h.mode == H_RAW) {
    return cerr(c, line, "le modèle se termine dans <%s> (balise </%s> manquante)",
                azElem[h.elem], azElem[h.elem]);
  }
  if (h.mode == H_COMMENT || h.mode == H_BOGUS || h.mode == H_MD || h.mode == H_MD_DASH)
    where = "dans un commentaire";
  return cerr(c, line, "le modèle se termine %s", where);
}

int tmpl_add(tmpl_set *s, const char *name, const char *src, size_t n, char **err) {
  if (err) *err = NULL;
  tmpl *t = xcalloc(1, sizeof(tmpl));
  t->zName = xstrdup(name ? name : "");
  t->nName = strlen(t->zName);
  cctx c;
  memset(&c, 0, sizeof(c));
  c.t = t;
  if (!name || !*name) {
    cerr(&c, 1, "modèle sans nom");
  } else if (n > TMPL_MAX_SRC) {
    cerr(&c, 1, "modèle trop gros (%u octets au plus)", TMPL_MAX_SRC);
  } else {
    t->zSrc = xstrndup(src ? src : "", src ? n : 0);
    t->nSrc = (uint32_t)(src ? n : 0);
    int rc = parse(&c);
    t->zPool = c.pool.z; /* ownership moves to t: messages of analyse quote it */
    if (rc == 0) analyse(&c);
  }
  if (c.zErr) {
    tmpl_free(t);
    if (err) *err = c.zErr;
    else free(c.zErr);
    return -1;
  }
  set_put(s, t);
  return 0;
}

/* ------------------------------------------------------------- check */

/* Error "template:line: message" for tmpl_check. */
static int check_err(char **err, const tmpl *t, const op *o, const char *what) {
  if (err) {
    buf b = {0};
    buf_printf(&b, "%s:%u: %s {{%c %.*s}}", t->zName, o->line, what,
               o->kind == OP_PARTIAL ? '>' : '<', msg_len(o->len), t->zSrc + o->off);
    *err = b.z;
  }
  return -1;
}

/* Depth-first walk of the references made whatever the data (outside any
** section); aColor: 0 unseen, 1 on the current path, 2 done. */
static int check_walk(const tmpl_set *s, uint32_t k, uint8_t *aColor, char **err) {
  const tmpl *t = s->aTmpl[k];
  aColor[k] = 1;
  uint32_t i = 0;
  while (i < t->nOp) {
    const op *o = &t->aOp[i];
    if (o->kind == OP_SECTION || o->kind == OP_INVERTED) {
      i = o->end;
      continue;
    }
    i++;
    if (o->kind != OP_PARTIAL && o->kind != OP_INHERIT) continue;
    uint32_t slot = *set_slot(s, t->zSrc + o->off, o->len);
    if (!slot) continue;
    if (aColor[slot - 1] == 1)
      return check_err(err, t, o, "inclusion sans fin (aucune section ne l'arrête) :");
    if (aColor[slot - 1] == 0 && check_walk(s, slot - 1, aColor, err)) return -1;
  }
  aColor[k] = 2;
  return 0;
}

int tmpl_check(const tmpl_set *s, char **err) {
  if (err) *err = NULL;
  for (uint32_t k = 0; k < s->nTmpl; k++) {
    const tmpl *t = s->aTmpl[k];
    for (uint32_t i = 0; i < t->nOp; i++) {
      const op *o = &t->aOp[i];
      if (o->kind != OP_PARTIAL && o->kind != OP_INHERIT) continue;
      if (!set_find(s, t->zSrc + o->off, o->len))
        return check_err(err, t, o,
                         o->kind == OP_PARTIAL ? "partiel introuvable :" : "gabarit introuvable :");
    }
  }
  uint8_t *aColor = xcalloc(s->nTmpl ? s->nTmpl : 1, 1);
  int rc = 0;
  for (uint32_t k = 0; k < s->nTmpl && rc == 0; k++)
    if (aColor[k] == 0) rc = check_walk(s, k, aColor, err);
  free(aColor);
  return rc;
}

/* ------------------------------------------------------------ render */

typedef struct frame {
  json_t *v;              /* a context: the data, a section's item or value */
  const struct frame *up; /* the enclosing one; NULL past the data */
} frame;

typedef struct scope {
  const tmpl *t;          /* template holding a {{< layout}} call being rendered */
  uint32_t iOp;           /* index of its OP_INHERIT: its body lists the overrides */
  const struct scope *up; /* the call that rendered this one: its overrides win */
} scope;

typedef struct rctx {
  const tmpl_set *s; /* the set, for partials and layouts */
  buf *out;          /* where the text goes */
  uint32_t steps;    /* ops left before the render is cut (TMPL_MAX_STEPS) */
} rctx;

/* The value of o's dotted name: first component up the context stack, the
** rest down from there. NULL when missing. */
static json_t *lookup(const tmpl *t, const op *o, const frame *f) {
  if (o->npath == 0) return f ? f->v : NULL;
  const comp *p = &t->aComp[o->arg];
  json_t *v = NULL;
  for (; f; f = f->up) {
    if (json_is_object(f->v) && (v = json_object_getn(f->v, t->zSrc + p->off, p->len)) != NULL)
      break;
  }
  for (unsigned i = 1; v && i < o->npath; i++) {
    p++;
    if (json_is_object(v)) v = json_object_getn(v, t->zSrc + p->off, p->len);
    else if (json_is_array(v) && p->idx >= 0) v = json_array_get(v, (size_t)p->idx);
    else v = NULL;
  }
  return v;
}

static int truthy(const json_t *v) {
  if (!v) return 0;
  switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_TRUE: return 1;
    case JSON_ARRAY: return json_array_size(v) > 0;
    case JSON_STRING: return json_string_length(v) > 0;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    default: return 0;
  }
}

/* Shortest "%g" text of d that reads back the same, with a '.' whatever
** the locale. z holds 32 bytes. */
static size_t fmt_real(char *z, double d) {
  int n = snprintf(z, 32, "%.15g", d);
  if (strtod(z, NULL) != d) n = snprintf(z, 32, "%.17g", d);
  if (n < 0) n = 0;
  for (int i = 0; i < n; i++)
    if (z[i] == ',') z[i] = '.';
  return (size_t)n;
}

/* Text of a scalar (num: 32 bytes of scratch), or NULL for null, missing,
** objects and arrays, which write nothing outside JSON. */
static const char *value_text(const json_t *v, char *num, size_t *pn) {
  if (!v) return NULL;
  switch (json_typeof(v)) {
    case JSON_STRING: *pn = json_string_length(v); return json_string_value(v);
    case JSON_INTEGER: {
      int n = snprintf(num, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
      *pn = n > 0 ? (size_t)n : 0;
      return num;
    }
    case JSON_REAL: *pn = fmt_real(num, json_real_value(v)); return num;
    case JSON_TRUE: *pn = 4; return "true";
    case JSON_FALSE: *pn = 5; return "false";
    default: return NULL;
  }
}

/* 1 when a URL that begins with z[0..n) has an allowed scheme or none. */
static int url_scheme_ok(const char *z, size_t n) {
  static const char *const azOk[] = {"http", "https", "mailto", "tel"};
  size_t i = 0;
  while (i < n && z[i] != ':' && z[i] != '/' && z[i] != '?' && z[i] != '#') i++;
  if (i == n || z[i] != ':') return 1; /* relative */
  for (size_t k = 0; k < ARRAY_SIZE(azOk); k++) {
    size_t nk = strlen(azOk[k]);
    if (i != nk) continue;
    size_t j = 0;
    while (j < nk && to_lower((unsigned char)z[j]) == azOk[k][j]) j++;
    if (j == nk) return 1;
  }
  return 0;
}

/* Percent-encodes z[0..n) for a URL path: unreserved bytes and the harmless
** sub-delimiters stay, and ':' too when keepColon (the scheme is fixed). The
** result needs no HTML escaping inside a quoted attribute. */
static void url_path(buf *out, const char *z, size_t n, int keepColon) {
  static const char hex[] = "0123456789ABCDEF";
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)z[i];
    if (is_alpha(ch) || is_digit(ch) || (ch && strchr("-_.~/!$()*+,;=@", ch)) ||
        (ch == ':' && keepColon))
      continue;
    buf_append(out, z + j, i - j);
    char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
    buf_append(out, e, 3);
    j = i + 1;
  }
  buf_append(out, z + j, n - j);
}

static void emit_text(buf *out, int esc, const char *z, size_t n) {
  switch (esc) {
    case ESC_RAW: buf_append(out, z, n); break;
    case ESC_URL_START:
      if (url_scheme_ok(z, n)) buf_html(out, z, (long)n);
      else buf_puts(out, "#invalid");
      break;
    case ESC_URL_HEAD: url_path(out, z, n, 0); break;
    case ESC_URL_PATH: url_path(out, z, n, 1); break;
    case ESC_URL_QUERY: buf_url(out, z, (long)n); break;
    case ESC_JSON: buf_json_str(out, z, (long)n); break;
    default: buf_html(out, z, (long)n); break;
  }
}

/* Writes v as JSON (missing: null), safe inside <script>: strings go through
** buf_json_str, which escapes < > & and '. */
static void json_write(buf *out, json_t *v, int depth) {
  if (!v || depth > JSON_MAX_DEPTH) {
    buf_puts(out, "null");
    return;
  }
  switch (json_typeof(v)) {
    case JSON_OBJECT: {
      int first = 1;
      buf_putc(out, '{');
      for (void *it = json_object_iter(v); it && !out->err; it = json_object_iter_next(v, it)) {
        if (!first) buf_putc(out, ',');
        first = 0;
        buf_json_str(out, json_object_iter_key(it), (long)json_object_iter_key_len(it));
        buf_putc(out, ':');
        json_write(out, json_object_iter_value(it), depth + 1);
      }
      buf_putc(out, '}');
      break;
    }
    case JSON_ARRAY:
      buf_putc(out, '[');
      for (size_t i = 0; i < json_array_size(v) && !out->err; i++) {
        if (i) buf_putc(out, ',');
        json_write(out, json_array_get(v, i), depth + 1);
      }
      buf_putc(out, ']');
      break;
    case JSON_STRING: buf_json_str(out, json_string_value(v), (long)json_string_length(v)); break;
    case JSON_NULL: buf_puts(out, "null"); break;
    default: { /* numbers and booleans */
      char num[32];
      size_t n = 0;
      const char *z = value_text(v, num, &n);
      if (z) buf_append(out, z, n);
      break;
    }
  }
}

static void emit_value(buf *out, int esc, json_t *v) {
  char num[32];
  size_t n = 0;
  if (esc == ESC_JSON) {
    json_write(out, v, 0);
    return;
  }
  const char *z = value_text(v, num, &n);
  if (z) emit_text(out, esc, z, n);
}

/* The outermost override of block name z[0..n) in the chain, or NULL;
** *piBlock: the overriding OP_BLOCK in the returned scope's template. */
static const scope *block_find(const scope *sc, const char *z, uint32_t n, uint32_t *piBlock) {
  const scope *found = NULL;
  for (; sc; sc = sc->up) {
    const op *a = sc->t->aOp;
    for (uint32_t j = sc->iOp + 1; j < a[sc->iOp].end; j = a[j].end) {
      assert(a[j].kind == OP_BLOCK); /* parse keeps nothing else in {{<…}} */
      if (a[j].len == n && memcmp(sc->t->zSrc + a[j].off, z, n) == 0) {
        found = sc;
        *piBlock = j;
        break;
      }
    }
  }
  return found;
}

/* Renders ops [i, end) of t. depth: partials and layouts entered so far. */
static void render(rctx *r, const tmpl *t, uint32_t i, uint32_t end, const frame *f,
                   const scope *sc, int depth) {
  buf *out = r->out;
  if (r->steps-- == 0) { /* one step per call: an empty loop body costs too */
    out->err = 1;
    return;
  }
  while (i < end && !out->err) {
    const op *o = &t->aOp[i];
    if (r->steps-- == 0) {
      out->err = 1;
      return;
    }
    switch (o->kind) {
      case OP_TEXT:
        buf_append(out, t->zSrc + o->off, o->len);
        i++;
        break;
      case OP_VAR:
      case OP_RAW:
        emit_value(out, o->esc, lookup(t, o, f));
        i++;
        break;
      case OP_T: {
        assert(t->zPool != NULL); /* parse_t stored the msgid there */
        const char *zId = t->zPool + o->arg;
        const char *zTr = r->s->translate ? r->s->translate(zId) : zId;
        if (!zTr) zTr = zId;
        emit_text(out, o->esc, zTr, strlen(zTr));
        i++;
        break;
      }
      case OP_SECTION: {
        json_t *v = lookup(t, o, f);
        if (json_is_array(v)) {
          for (size_t k = 0; k < json_array_size(v) && !out->err; k++) {
            frame item = {json_array_get(v, k), f};
            render(r, t, i + 1, o->end, &item, sc, depth);
          }
        } else if (truthy(v)) {
          frame item = {v, f};
          render(r, t, i + 1, o->end, &item, sc, depth);
        }
        i = o->end;
        break;
      }
      case OP_INVERTED:
        if (!truthy(lookup(t, o, f))) render(r, t, i + 1, o->end, f, sc, depth);
        i = o->end;
        break;
      case OP_PARTIAL: {
        const tmpl *p = depth < TMPL_MAX_DEPTH ? set_find(r->s, t->zSrc + o->off, o->len) : NULL;
        if (p) render(r, p, 0, p->nOp, f, sc, depth + 1);
        i++;
        break;
      }
      case OP_BLOCK: {
        uint32_t iBlock = 0;
        const scope *s = block_find(sc, t->zSrc + o->off, o->len, &iBlock);
        if (s) {
          /* Its own blocks are looked up only in calls further out, so an
          ** override cannot bring itself back. */
          render(r, s->t, iBlock + 1, s->t->aOp[iBlock].end, f, s->up, depth);
        } else {
          render(r, t, i + 1, o->end, f, sc, depth);
        }
        i = o->end;
        break;
      }
      default: { /* OP_INHERIT */
        const tmpl *p = depth < TMPL_MAX_DEPTH ? set_find(r->s, t->zSrc + o->off, o->len) : NULL;
        if (p) {
          scope call = {t, i, sc};
          render(r, p, 0, p->nOp, f, &call, depth + 1);
        }
        i = o->end;
        break;
      }
    }
  }
}

int tmpl_render(const tmpl_set *s, const char *name, json_t *data, buf *out) {
  const tmpl *t = name ? set_find(s, name, strlen(name)) : NULL;
  if (!t) return -1;
  rctx r = {s, out, TMPL_MAX_STEPS};
  frame root = {data, NULL};
  render(&r, t, 0, t->nOp, &root, NULL, 0);
  return 0;
}
