/*
** test_aid_worklist.c — the instructors' work lists at the target size:
** 70,000 dossiers spread over the statuses as a few years of a programme
** would leave them. For every tab and every order, the page query must read
** the dossiers in order from an index (no sort of the whole tab), the counts
** must be read from an index alone, and a page must cost about a page of
** rows: the query plans are checked with EXPLAIN QUERY PLAN and the first
** pages are timed (loosely: the machine is shared).
*/
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/db.h"
#include "core/http.h"
#include "core/log.h"
#include "core/util.h"
#include "features/aid/instruction.h"
#include "testdb.h"

#define NDOSSIERS 70000
#define NTABS 4  /* a-traiter, mes-dossiers, en-attente, traites (instruction_list.c) */
#define NSORTS 6 /* depot, -depot, -montant, montant, maj, -maj */

static testdb T; /* the test's directory and database */

static void setup(void) {
  cr_assert_geq(sodium_init(), 0);
  testdb_open(&T, "worklist");
  cr_assert_eq(db_begin_write(), 0);
  cr_assert_eq(db_run("INSERT INTO users(id, email, password_hash, status, created_at) VALUES"
                      " (1, 'i1@exemple.fr', 'x', 'active', 0), (2, 'i2@exemple.fr', 'x', 'active', 0),"
                      " (3, 'i3@exemple.fr', 'x', 'active', 0), (4, 'pose@exemple.fr', 'x', 'active', 0)", ""),
               DB_DONE);
  cr_assert_eq(db_run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4)"
                      " INSERT INTO aid_programmes(id, name, target, rate_bp, cap_cents, eligible_costs, opens_on,"
                      " closes_on, created_at, updated_at) SELECT i, 'P' || i, 'autre', 5000, 60000, 'tout',"
                      " '2020-01-01', '2099-12-31', 0, 0 FROM n", ""),
               DB_DONE);
  cr_assert_eq(db_run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)"
                      " INSERT INTO organisations(id, siret, kind, name, address, postcode, city, contact_email,"
                      " contact_phone, created_at, updated_at) SELECT i, CAST(10000000000000 + i AS TEXT),"
                      " 'entreprise', 'Société ' || i, 'rue', '17000', 'La Rochelle', 'c@exemple.fr', '0', 0, 0"
                      " FROM n", ""),
               DB_DONE);
  /* 2 % drafts, then by i % 100: 7 % déposées, 8 % en instruction, 4 %
  ** compléments, 15 % validées, 5 % justificatifs, 3 % versement, 38 %
  ** versées, 10 % refusées, 7 % annulées, 3 % expirées; three instructors. */
  cr_assert_eq(db_run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                      " INSERT INTO aid_dossiers(id, number, programme_id, org_id, user_id, status, departement,"
                      " points, cost_cents, amount_cents, beneficiary_name, beneficiary_siret, assignee_id,"
                      " created_at, updated_at, submitted_at)"
                      " SELECT i, 'AV-2026-' || substr('000000' || i, -6), 1 + i % 4, 1 + (i * 7) % 500, 4,"
                      " CASE WHEN i % 50 = 0 THEN 'brouillon' WHEN i % 100 < 7 THEN 'deposee'"
                      " WHEN i % 100 < 15 THEN 'en_instruction' WHEN i % 100 < 19 THEN 'complements'"
                      " WHEN i % 100 < 34 THEN 'validee' WHEN i % 100 < 39 THEN 'justificatifs'"
                      " WHEN i % 100 < 42 THEN 'versement' WHEN i % 100 < 80 THEN 'versee'"
                      " WHEN i % 100 < 90 THEN 'refusee' WHEN i % 100 < 97 THEN 'annulee' ELSE 'expiree' END,"
                      " substr('0' || (1 + (i * 13) % 95), -2), 1 + i % 20, 100000 + (i * 7919) % 9000000,"
                      " 10000 + (i * 104729) % 5000000, 'Copropriété ' || i, CAST(20000000000000 + i AS TEXT),"
                      " CASE WHEN i % 100 >= 7 THEN 1 + i % 3 END, 1700000000 + i * 600,"
                      " 1700000000 + i * 600 + (i * 31) % 1000000, 1700000000 + i * 600 + 100 FROM n",
                      "i", (int64_t)NDOSSIERS),
               DB_DONE);
  cr_assert_eq(db_commit(), 0);
}

static void teardown(void) {
  testdb_close(&T);
}

TestSuite(worklist, .init = setup, .fini = teardown, .timeout = 120);

/* A list without filters (the arena is what the query builder uses). */
static instr_list list_of(int tab, int sort) {
  instr_list l;
  memset(&l, 0, sizeof l);
  l.tab = tab;
  l.sort = sort;
  l.status = l.dept = l.q = "";
  l.min_cents = l.max_cents = -1;
  return l;
}

/* The plan of the query head + where + tail, one line per step. */
static void plan(const listing_query *w, const char *head, const char *tail, buf *out) {
  buf sql = {0};
  buf_puts(&sql, "EXPLAIN QUERY PLAN ");
  buf_puts(&sql, head);
  db_stmt *s = listing_query_prep(w, buf_str(&sql), tail);
  for (int i = w->nbind + 1; i <= w->nbind + 3; i++) db_bind_int(s, i, 51); /* LIMIT and a cursor, if any */
  while (db_step(s) == DB_ROW) {
    buf_puts(out, db_text(s, 3));
    buf_putc(out, '\n');
  }
  db_done(s);
  buf_free(&sql);
}

/* Checks every plan; stats says whether ANALYZE has run (for messages). */
static void check_plans(int stats) {
  static const char *const sort_index[NSORTS] = {"aid_dossiers_q_submitted", "aid_dossiers_q_submitted",
                                                  "aid_dossiers_q_amount", "aid_dossiers_q_amount",
                                                  "aid_dossiers_q_updated", "aid_dossiers_q_updated"};
  req r;
  memset(&r, 0, sizeof r);
  r.a = arena_new();
  for (int tab = 0; tab < NTABS; tab++) {
    for (int sort = 0; sort < NSORTS; sort++) {
      for (int cursor = 0; cursor < 2; cursor++) {
        instr_list l = list_of(tab, sort);
        listing_query w = {0};
        instr_list_where(&r, &l, 1, 0, &w);
        if (cursor) listing_query_and(&w, instr_list_cursor(&l, 0)); /* the next page */
        buf b = {0};
        plan(&w, instr_list_select, instr_list_order(&l, 0), &b);
        const char *p = buf_str(&b);
        if (tab == 1) { /* "Mes dossiers": one instructor's open dossiers, a small set sorted */
          cr_assert(strstr(p, "aid_dossiers_assignee") || strstr(p, "aid_dossiers_work"), "stats %d tab %d sort %d cursor %d:\n%s",
                    stats, tab, sort, cursor, p);
        } else {
          cr_assert(strstr(p, sort_index[sort]), "stats %d tab %d sort %d:\n%s", stats, tab, sort, p);
          cr_assert(!strstr(p, "TEMP B-TREE"), "stats %d tab %d sort %d sorts the tab:\n%s", stats, tab, sort, p);
        }
        cr_assert(!strstr(p, "SCAN d"), "stats %d tab %d sort %d reads the table:\n%s", stats, tab, sort, p);
        buf_free(&b);
      }
    }
  }
  /* Counts read an index alone, without a row set. */
  for (int tab = 0; tab < NTABS; tab++) {
    for (int part = 1; part <= 2; part++) {
      instr_list l = list_of(tab, 0);
      listing_query w = {0};
      if (!instr_list_where(&r, &l, 1, part, &w)) continue;
      buf b = {0};
      plan(&w, "SELECT count(*) FROM (SELECT 1 FROM aid_dossiers d", "LIMIT ?)", &b);
      cr_assert(strstr(buf_str(&b), "COVERING INDEX") && !strstr(buf_str(&b), "MULTI-INDEX OR"),
                "count of tab %d part %d:\n%s", tab, part, buf_str(&b));
      buf_free(&b);
    }
  }
  /* A SIRET (the beneficiary's or the filing organisation's), a tracking
  ** number and an id are index lookups, whatever the tab (a search looks
  ** in all of them). */
  static const struct {
    const char *q;         /* the search */
    const char *index;     /* what its plan must use */
  } lookups[] = {
      {"20000000001234", "aid_dossiers_siret"}, {"10000000000042", "aid_dossiers_org"},
      {"AV-2026-001234", "number"},              {"1234", "PRIMARY KEY"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(lookups); i++) {
    for (int tab = 0; tab < NTABS; tab++) {
      for (int part = 0; part <= 2; part++) {
        instr_list l = list_of(tab, 5);
        l.q = lookups[i].q;
        listing_query w = {0};
        if (!instr_list_where(&r, &l, 1, part, &w)) continue;
        buf b = {0};
        if (part) plan(&w, "SELECT count(*) FROM (SELECT 1 FROM aid_dossiers d", "LIMIT ?)", &b);
        else plan(&w, instr_list_select, instr_list_order(&l, 0), &b);
        const char *p = buf_str(&b);
        cr_assert(strstr(p, lookups[i].index) && !strstr(p, "SCAN d") && !strstr(p, "(queue=?)"),
                  "stats %d, search %s, tab %d part %d:\n%s", stats, lookups[i].q, tab, part, p);
        buf_free(&b);
      }
    }
  }
  arena_free(r.a);
}

/* Without statistics, as on a new database, and after ANALYZE (or an
** operator's "PRAGMA optimize"): the plans must not depend on them. */
Test(worklist, pages_read_in_index_order) {
  check_plans(0);
  cr_assert_eq(db_run("ANALYZE", ""), DB_DONE);
  check_plans(1);
}

/* The first page and the counts of each tab, timed: about a millisecond
** each where the target allows a few per request. The best of three runs
** is kept (the test machine is shared, and suites run two at a time), and
** the bound is loose: the plans above are the real check; this one catches
** a page that sorts or counts a whole tab. */
Test(worklist, first_pages_are_cheap) {
  req r;
  memset(&r, 0, sizeof r);
  r.a = arena_new();
  for (int tab = 0; tab < NTABS; tab++) {
    for (int sort = 0; sort < NSORTS; sort++) {
      instr_list l = list_of(tab, sort);
      double best = 1e9;
      for (int run = 0; run < 3; run++) {
        double t0 = now_mono_ms();
        listing_query w = {0};
        instr_list_where(&r, &l, 1, 0, &w);
        db_stmt *s = listing_query_prep(&w, instr_list_select, instr_list_order(&l, 0));
        db_bind_int(s, w.nbind + 1, INSTR_PAGE + 1);
        int n = 0;
        while (db_step(s) == DB_ROW) n++;
        db_done(s);
        int64_t count = instr_list_count(&r, &l, 1, 10000);
        double ms = now_mono_ms() - t0;
        if (ms < best) best = ms;
        cr_assert_eq(n, INSTR_PAGE + 1, "tab %d sort %d: %d rows", tab, sort, n);
        cr_assert_gt(count, INSTR_PAGE);
      }
      cr_assert_lt(best, 40.0, "tab %d sort %d: %.1f ms", tab, sort, best);
    }
  }
  arena_free(r.a);
}
