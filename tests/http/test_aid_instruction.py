"""The instructors' back office for aid requests (issue #3, journeys 7 and 8):
work lists with tabs, filters, search, sort and pages; taking and assigning
dossiers; a dossier's page with every action its status allows (validate
within the envelope, refuse with a reason, request documents, pay, send the
proofs back); private notes and messages; batch validation with mixed
results; CSV and XLSX exports of exactly the filtered list; and parallel
validations that never commit more than the envelope.

Dossiers are created as the applicant's pages will write them: rows in
aid_dossiers at status 'deposee' with the amount the programme's rule gives
and the history row of the submission. Everything after that goes through
the instructors' routes."""
import csv
import html
import io
import re
import threading
import time
import zipfile

from harness import PDF, PNG, Server  # noqa: F401 (Server: the runner's)

SERVER_CONFIG = {"login_max_per_ip": 1000, "max_conn_per_ip": 200}

NBSP, NNBSP = "\u00a0", "\u202f"

PEOPLE = {
    "instructor": "instr-a@exemple.fr",
    "instructor2": "instr-b@exemple.fr",
    "territory_admin": "instr-territoire@exemple.fr",
    "applicant": "instr-demandeur@exemple.fr",
    "applicant2": "instr-autre@exemple.fr",
    "operator": "instr-exploitant@exemple.fr",
}
ROLES = {"instructor2": "instructor", "applicant2": "applicant"}
_ids = {}
_clients = {}
_org = {}


def setup(srv):
    """The accounts, two organisations (one per applicant) and their members."""
    if _ids:
        return
    for who, email in PEOPLE.items():
        _ids[who] = srv.add_user(email, ROLES.get(who, who))
    now = int(time.time())
    for who, siret, name in [("applicant", "73282932000074", "Bornes Océanes"),
                             ("applicant2", "55208131766522", "Recharge Plus")]:
        srv.sql("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,"
                " created_at, updated_at) VALUES(?, 'entreprise', ?, '1 quai Valin', '17000', 'La Rochelle',"
                " 'contact@exemple.fr', '0546000000', ?, ?)", siret, name, now, now)
        oid = srv.sql1("SELECT id FROM organisations WHERE siret=?", siret)
        srv.sql("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?, ?, 'owner', ?)", oid, _ids[who], now)
        _org[who] = oid


def as_(srv, who):
    setup(srv)
    c = _clients.get(who)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(PEOPLE[who])
        _clients[who] = c
    return c


def text_of(r):
    t = html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))
    return re.sub(r"\s+", " ", t.replace(NBSP, " ").replace(NNBSP, " "))


_prog_n = [0]


def programme(srv, budget=None, max_points=None, docs="Devis signé\nRIB du bénéficiaire\nPlan d’implantation",
              rate=5000, cap=100000):
    """A new open programme (rate 50 %, cap 1 000 € a point by default)."""
    _prog_n[0] += 1
    now = int(time.time())
    name = "Programme d’essai %d" % _prog_n[0]
    srv.sql("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, eligible_costs, budget_cents, max_points,"
            " opens_on, closes_on, active, documents, created_at, updated_at) VALUES(?, 'residentiel_collectif', ?, ?,"
            " 'tout', ?, ?, '2020-01-01', '2099-12-31', 1, ?, ?, ?)",
            name, rate, cap, budget, max_points, docs, now, now)
    return srv.sql1("SELECT id FROM aid_programmes WHERE name=?", name)


def dossier(srv, pid, who="applicant", points=2, cost=400000, dept="17", name="Copropriété Les Mouettes",
            siret="", status="deposee", submitted=None, assignee=None, city="La Rochelle"):
    """A submitted dossier, as the applicant's step 4 leaves it (status, the
    amount by the programme's rule, submission time, history row)."""
    setup(srv)
    now = int(time.time())
    rate, cap = srv.sql("SELECT rate_bp, cap_cents FROM aid_programmes WHERE id=?", pid)[0]
    amount = min(cost * rate // 10000, cap * points)
    sub = submitted if submitted is not None else now
    srv.sql("INSERT INTO aid_dossiers(programme_id, org_id, user_id, status, step, site_address, site_postcode,"
            " site_city, departement, points, cost_cents, contact_name, contact_email, beneficiary_kind,"
            " beneficiary_name, beneficiary_siret, amount_cents, assignee_id, created_at, updated_at, submitted_at)"
            " VALUES(?, ?, ?, ?, 4, '3 rue des Mouettes', ?, ?, ?, ?, ?, 'Julie Martin', ?, 'copropriete', ?, ?, ?, ?,"
            " ?, ?, ?)",
            pid, _org[who], _ids[who], status, (dept + "000")[:5], city, dept,
            points, cost, PEOPLE[who], name, siret, amount, assignee, sub, sub, sub if status != "brouillon" else None)
    did = srv.sql1("SELECT max(id) FROM aid_dossiers")
    srv.sql("UPDATE aid_dossiers SET number=printf('AV-2026-%06d', id) WHERE id=?", did)
    if status != "brouillon":
        srv.sql("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status)"
                " VALUES(?, ?, ?, 'status', 'brouillon', 'deposee')", did, sub, _ids[who])
    return did


def number(srv, did):
    return srv.sql1("SELECT number FROM aid_dossiers WHERE id=?", did)


def status(srv, did):
    return srv.sql1("SELECT status FROM aid_dossiers WHERE id=?", did)


def listed(r):
    """Dossier ids of a work-list page, in order."""
    return [int(x) for x in re.findall(r'<tr id="dossier-(\d+)">', r.text)]


def tab_count(r, code):
    m = re.search(r'id="onglet-%s"[^>]*>[^<]*<span class="badge">([^<]+)</span>' % code, r.text)
    return m and m.group(1).replace(NNBSP, " ")


def last_mail(srv, to):
    rows = srv.mails(to)
    return rows[0] if rows else ("", "")


# ------------------------------------------------------------ permissions

def test_every_route_refuses_non_instructors(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    gets = ["/instruction", "/instruction?onglet=traites", "/instruction/export.csv", "/instruction/export.xlsx",
            "/instruction/dossiers/%d" % did, "/instruction/dossiers/%d/documents/1" % did]
    posts = ["/instruction/valider", "/instruction/dossiers/%d/prendre" % did, "/instruction/dossiers/%d/attribuer" % did,
             "/instruction/dossiers/%d/instruire" % did, "/instruction/dossiers/%d/valider" % did,
             "/instruction/dossiers/%d/refuser" % did, "/instruction/dossiers/%d/pieces" % did,
             "/instruction/dossiers/%d/verser" % did, "/instruction/dossiers/%d/renvoyer" % did,
             "/instruction/dossiers/%d/notes" % did, "/instruction/dossiers/%d/messages" % did]
    for who in ["anonymous", "applicant", "operator"]:
        c = srv.client() if who == "anonymous" else as_(srv, who)
        for path in gets:
            r = c.get(path)
            if who == "anonymous":
                assert r.status == 303 and r.header("Location").startswith("/connexion"), (who, path, r)
            else:
                assert r.status == 403, (who, path, r)
        for path in posts:
            c.get("/connexion" if who == "anonymous" else "/compte")
            r = c.post(path, {"ids": str(did), "motif_refus": "non", "note": "piratée", "instructeur": "1"})
            assert r.status in ((303, 401, 403) if who == "anonymous" else (403,)), (who, path, r)
    assert status(srv, did) == "deposee"
    assert srv.sql1("SELECT count(*) FROM aid_notes WHERE dossier_id=?", did) == 0
    assert srv.sql1("SELECT assignee_id FROM aid_dossiers WHERE id=?", did) is None
    # Instructors and territory admins do get in.
    for who in ["instructor", "territory_admin"]:
        assert as_(srv, who).get("/instruction").status == 200
        assert as_(srv, who).get("/instruction/dossiers/%d" % did).status == 200


def test_bad_ids_answer_404(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    draft = dossier(srv, pid, status="brouillon")
    other = dossier(srv, pid)
    c = as_(srv, "instructor")
    for path in ["/instruction/dossiers/999999", "/instruction/dossiers/abc", "/instruction/dossiers/0",
                 "/instruction/dossiers/%d" % draft, "/instruction/dossiers/%d/documents/999999" % did]:
        assert c.get(path).status == 404, path
    c.get("/instruction")
    for action in ["prendre", "valider", "refuser", "notes", "instruire"]:
        assert c.post("/instruction/dossiers/999999/%s" % action, {"motif_refus": "x", "note": "x"}).status == 404
        assert c.post("/instruction/dossiers/%d/%s" % (draft, action), {"motif_refus": "x", "note": "x"}).status == 404
    assert status(srv, draft) == "brouillon"
    # A document of another dossier is not reachable through this one.
    srv.sql("INSERT INTO aid_dossier_docs(dossier_id, kind, filename, mime, size, hash, created_at)"
            " VALUES(?, 'Devis signé', 'devis.pdf', 'application/pdf', 10, ?, 0)", other, "0" * 64)
    doc = srv.sql1("SELECT max(id) FROM aid_dossier_docs")
    assert c.get("/instruction/dossiers/%d/documents/%d" % (did, doc)).status == 404


# ------------------------------------------------------------ work lists

def test_tabs_hold_the_right_dossiers(srv):
    setup(srv)
    pid = programme(srv)
    me, other = _ids["instructor"], _ids["instructor2"]
    new = dossier(srv, pid, name="Tab nouveau")
    mine = dossier(srv, pid, status="en_instruction", assignee=me, name="Tab mien")
    theirs = dossier(srv, pid, status="en_instruction", assignee=other, name="Tab autre")
    waiting = dossier(srv, pid, status="complements", assignee=me, name="Tab attente")
    back = dossier(srv, pid, status="en_instruction", name="Tab retour")
    srv.sql("UPDATE aid_dossiers SET complements_at=? WHERE id=?", int(time.time()) - 60, back)
    paying = dossier(srv, pid, status="versement", name="Tab versement")
    granted = dossier(srv, pid, status="validee", assignee=me, name="Tab validé")
    refused = dossier(srv, pid, status="refusee", name="Tab refusé")
    draft = dossier(srv, pid, status="brouillon", name="Tab brouillon")
    c = as_(srv, "instructor")
    q = "&programme=%d" % pid
    todo = listed(c.get("/instruction?onglet=a-traiter" + q))
    assert set(todo) == {new, mine, back, paying}, todo
    r = c.get("/instruction?onglet=a-traiter" + q)
    assert "compléments reçus" in re.search(r'<tr id="dossier-%d">.*?</tr>' % back, r.text, re.S).group(0)
    assert set(listed(c.get("/instruction?onglet=mes-dossiers" + q))) == {mine, waiting}
    assert set(listed(c.get("/instruction?onglet=en-attente" + q))) == {waiting}
    assert set(listed(c.get("/instruction?onglet=traites" + q))) == {granted, refused}
    for tab in ["a-traiter", "mes-dossiers", "en-attente", "traites"]:
        assert draft not in listed(c.get("/instruction?onglet=%s%s" % (tab, q)))
    # The other instructor sees "theirs" as theirs, and mine not in their to-do list.
    c2 = as_(srv, "instructor2")
    assert set(listed(c2.get("/instruction?onglet=a-traiter" + q))) == {new, theirs, back, paying}
    # Counts per tab (the tab's own set, whatever the filters).
    r = c.get("/instruction")
    n_waiting = srv.sql1("SELECT count(*) FROM aid_dossiers WHERE status='complements'")
    assert tab_count(r, "en-attente") == str(n_waiting)
    n_mine = srv.sql1("SELECT count(*) FROM aid_dossiers WHERE assignee_id=? AND status IN"
                      " ('deposee', 'en_instruction', 'complements', 'versement')", me)
    assert tab_count(r, "mes-dossiers") == str(n_mine)
    # Row actions: "Prendre" where it is not mine, a checkbox where validation is possible.
    r = c.get("/instruction?onglet=a-traiter" + q)
    assert 'id="prendre-%d"' % new in r.text and 'id="prendre-%d"' % mine not in r.text
    assert 'id="sel-%d"' % new in r.text and 'id="sel-%d"' % paying not in r.text
    assert 'id="prendre-%d"' % paying in r.text


def test_filters_search_and_errors(srv):
    p1, p2 = programme(srv), programme(srv)
    day = 86400
    t0 = int(time.mktime(time.strptime("2026-03-10", "%Y-%m-%d"))) + 3600
    a = dossier(srv, p1, dept="17", points=1, cost=100000, name="Résidence Les Salines", submitted=t0)
    b = dossier(srv, p1, dept="79", points=4, cost=800000, name="SCI Niort Gare", siret="73282932000074",
                submitted=t0 + 5 * day)
    c_ = dossier(srv, p2, dept="17", points=10, cost=3000000, name="Copropriété Le Phare", submitted=t0 + 10 * day)
    d = dossier(srv, p2, dept="2A", points=2, cost=300000, name="Ajaccio Bornes", submitted=t0 + 20 * day,
                who="applicant2")
    ours = {a, b, c_, d}
    c = as_(srv, "instructor")

    def ids(query):
        r = c.get("/instruction?" + query.replace(" ", "%20"))
        assert r.status == 200, (query, r)
        return set(listed(r)) & ours

    assert ids("programme=%d" % p1) == {a, b}
    assert ids("programme=%d&departement=17" % p1) == {a}
    assert ids("departement=2a") == {d}
    assert ids("du=2026-03-14&au=2026-03-20") == {b, c_}
    assert ids("du=2026-03-20") >= {c_, d} and a not in ids("du=2026-03-20")
    assert ids("min=1%20000&max=5000") == {b, d}            # 500, 4 000, 10 000 and 1 500 €
    assert ids("min=5000,01") >= {c_} and b not in ids("min=5000,01")
    assert ids("statut=deposee&programme=%d" % p2) == {c_, d}
    assert ids("q=" + number(srv, b)) == {b}
    assert ids("q=" + number(srv, b).lower()) == {b}
    assert ids("q=%d" % c_) == {c_}
    assert b in ids("q=732 829 320 00074") and d not in ids("q=73282932000074")   # beneficiary SIRET
    assert ids("q=55208131766522") == {d}                   # the filing organisation's SIRET
    assert ids("q=salines") == {a}
    assert ids("q=recharge%20plus") == {d}                  # organisation name
    assert ids("q=100%25") == set()                          # LIKE wildcards are literal
    assert ids("instructeur=aucun&programme=%d" % p1) == {a, b}
    # A search looks in every tab: a refused dossier is found from "À traiter".
    srv.sql("UPDATE aid_dossiers SET status='refusee' WHERE id=?", a)
    r = c.get("/instruction?onglet=a-traiter&q=" + number(srv, a))
    assert listed(r) == [a] and 'id="recherche-globale"' in r.text
    assert a not in ids("onglet=a-traiter&programme=%d" % p1)
    srv.sql("UPDATE aid_dossiers SET status='deposee' WHERE id=?", a)
    # Sort by amount, largest first.
    r = c.get("/instruction?tri=-montant&programme=%d" % p2)
    assert listed(r) == [c_, d]
    r = c.get("/instruction?tri=montant&programme=%d" % p2)
    assert listed(r) == [d, c_]
    # Errors: in French, next to the field, values kept, no rows.
    r = c.get("/instruction?programme=abc&departement=ZZ&du=2026-02-30&min=douze&q=" + "x" * 101 +
              "&instructeur=%d&statut=versee&tri=hasard" % _ids["applicant"])
    assert r.status == 422, r
    t = text_of(r)
    for msg in ["Choisissez un programme de la liste.", "Indiquez un numéro de département",
                "Indiquez une date valide, au format AAAA-MM-JJ", "Indiquez un montant en euros",
                "100 caractères au plus.", "Choisissez un instructeur de la liste.",
                "Choisissez un statut de la liste", "Choisissez un ordre de la liste."]:
        assert msg in t, msg
    assert 'value="ZZ"' in r.text and 'value="douze"' in r.text and 'value="2026-02-30"' in r.text
    assert "<tr id=\"dossier-" not in r.text
    r = c.get("/instruction?du=2026-03-20&au=2026-03-10&min=50&max=10")
    assert r.status == 422
    assert "La date de fin précède la date de début." in r.text
    assert "Le montant maximum est inférieur au montant minimum." in r.text


def test_pages_are_keyset_and_complete(srv):
    pid = programme(srv)
    base = int(time.time()) - 10 * 86400
    made = [dossier(srv, pid, submitted=base + i * 60, cost=100000 + i * 1000, name="Page %d" % i)
            for i in range(123)]
    c = as_(srv, "instructor")
    url = "/instruction?programme=%d" % pid
    seen = []
    pages = 0
    r = c.get(url)
    assert "123 dossier(s)" in text_of(r)
    while True:
        pages += 1
        ids = listed(r)
        assert len(ids) == (50 if pages < 3 else 23)
        seen += ids
        m = re.search(r'<a href="([^"]+)" rel="next"', r.text)
        if not m:
            break
        r = c.get(html.unescape(m.group(1)))
        assert r.status == 200
        assert "123 dossier(s)" in text_of(r)
    assert seen == made  # oldest submission first, each exactly once
    # Back one page from the last one.
    m = re.search(r'<a href="([^"]+)" rel="prev"', r.text)
    r = c.get(html.unescape(m.group(1)))
    assert listed(r) == made[50:100]
    assert 'rel="next"' in r.text and 'rel="prev"' in r.text
    # A cursor that does not parse is ignored: the first page.
    assert listed(c.get(url + "&apres=n%27importe")) == made[:50]


def test_dossier_page_shows_what_was_filed(srv):
    pid = programme(srv)
    did = dossier(srv, pid, points=3, cost=500000, name="Résidence Les Salines", siret="55208131766522")
    now = int(time.time())
    for status, name in [("validee", "Offre Sérénité"), ("refusee", "Offre refusée")]:
        srv.sql("INSERT INTO aid_labels(org_id, status, name, departements, parking, housing, company, created_at,"
                " updated_at) VALUES(?, ?, ?, '17', 'residentiel_collectif', 'collectif', 0, ?, ?)",
                _org["applicant"], status, name, now, now)
    good = srv.sql1("SELECT id FROM aid_labels WHERE name='Offre Sérénité'")
    bad = srv.sql1("SELECT id FROM aid_labels WHERE name='Offre refusée'")
    srv.sql("UPDATE aid_dossiers SET label_id=?, extra=? WHERE id=?", good, '{"places": "12"}', did)
    srv.sql("UPDATE aid_programmes SET fields=? WHERE id=?",
            '[{"name": "places", "label": "Places de stationnement", "type": "number"}]', pid)
    srv.sql("INSERT INTO documents(org_id, user_id, kind, filename, mime, size, hash, created_at)"
            " VALUES(?, ?, 'kbis', 'kbis.pdf', 'application/pdf', 10, ?, ?)",
            _org["applicant"], _ids["applicant"], "a" * 64, now)
    c = as_(srv, "instructor")
    r = c.get("/instruction/dossiers/%d" % did)
    assert r.status == 200
    t = text_of(r)
    for want in ["Résidence Les Salines", "55208131766522", "73282932000074", "Bornes Océanes", "3 rue des Mouettes",
                 "Offre Sérénité", "Places de stationnement 12", "Extrait Kbis", "kbis.pdf", "Julie Martin",
                 "2 500,00 €", "Déposée"]:
        assert want in t, want
    assert 'href="/instruction/labels/%d"' % good in r.text and "n’est pas un label validé" not in t
    doc = srv.sql1("SELECT id FROM documents WHERE org_id=?", _org["applicant"])
    assert 'href="/compte/documents/%d"' % doc in r.text
    srv.sql("UPDATE aid_dossiers SET label_id=? WHERE id=?", bad, did)
    assert "n’est pas un label validé de l’organisation" in text_of(c.get("/instruction/dossiers/%d" % did))


# ------------------------------------------------------------ taking and assigning

def test_take_from_the_list(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    c = as_(srv, "instructor")
    back = "/instruction?programme=%d" % pid
    r = c.get(back)
    r = c.post("/instruction/dossiers/%d/prendre" % did, {"retour": back, "ids": str(did)})
    assert r.status == 303 and r.header("Location") == back, r
    assert srv.sql1("SELECT assignee_id FROM aid_dossiers WHERE id=?", did) == _ids["instructor"]
    assert status(srv, did) == "en_instruction"   # taking a new dossier starts its instruction
    ev = srv.sql("SELECT kind, internal, comment FROM aid_dossier_events WHERE dossier_id=? ORDER BY id", did)
    assert ("assign", 1) == ev[1][:2] and "Pris en charge" in ev[1][2]
    assert ev[2][:2] == ("status", 0)
    assert "En instruction" in last_mail(srv, PEOPLE["applicant"])[0]
    r = c.get(back)
    assert "Dossier N° %s : vous l’avez pris en charge." % number(srv, did) in html.unescape(r.text)
    assert did in listed(c.get("/instruction?onglet=mes-dossiers&programme=%d" % pid))
    # A return URL that leaves the work lists is not followed.
    r = c.post("/instruction/dossiers/%d/prendre" % did, {"retour": "https://ailleurs.example/instruction"})
    assert r.header("Location") == "/instruction"
    r = c.post("/instruction/dossiers/%d/prendre" % did, {"retour": "//ailleurs.example/"})
    assert r.header("Location") == "/instruction"


def test_assign_to_an_instructor(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    c = as_(srv, "instructor")
    r = c.get("/instruction/dossiers/%d" % did)
    assert PEOPLE["instructor2"] in r.text and PEOPLE["applicant"] not in re.search(
        r'<select id="instructeur".*?</select>', r.text, re.S).group(0)
    for bad in [str(_ids["applicant"]), "999999", "abc", "-1"]:
        r = c.post("/instruction/dossiers/%d/attribuer" % did, {"instructeur": bad, "note": "gardée"})
        assert r.status == 422, (bad, r)
        assert "Choisissez un instructeur de la liste." in r.text
        assert ">gardée</textarea>" in r.text   # what was typed elsewhere on the page stays
    assert srv.sql1("SELECT assignee_id FROM aid_dossiers WHERE id=?", did) is None
    r = c.post("/instruction/dossiers/%d/attribuer" % did, {"instructeur": str(_ids["instructor2"])})
    assert r.status == 303
    assert srv.sql1("SELECT assignee_id FROM aid_dossiers WHERE id=?", did) == _ids["instructor2"]
    assert status(srv, did) == "deposee"   # assigning is not instructing
    r = c.get("/instruction/dossiers/%d" % did)
    assert "Attribué à" in text_of(r) and "interne" in text_of(r)
    r = c.post("/instruction/dossiers/%d/attribuer" % did, {"instructeur": ""})
    assert r.status == 303 and srv.sql1("SELECT assignee_id FROM aid_dossiers WHERE id=?", did) is None
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.dossier.assign' AND object=?",
                    "aid_dossier:%d" % did) == 2


# ------------------------------------------------------------ decisions

def test_refusal_needs_a_reason(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    c = as_(srv, "instructor")
    c.get("/instruction/dossiers/%d" % did)
    r = c.post("/instruction/dossiers/%d/refuser" % did, {"motif_refus": "  ", "note": "brouillon de note"})
    assert r.status == 422
    assert "Indiquez le motif : il est envoyé au demandeur." in r.text
    assert ">brouillon de note</textarea>" in r.text
    assert status(srv, did) == "deposee"
    r = c.post("/instruction/dossiers/%d/refuser" % did, {"motif_refus": "x" * 2001})
    assert r.status == 422 and status(srv, did) == "deposee"
    r = c.post("/instruction/dossiers/%d/refuser" % did,
               {"motif_refus": "Le devis n’est pas signé.", "retour": "/instruction?onglet=a-traiter"})
    assert r.status == 303 and r.header("Location") == "/instruction?onglet=a-traiter"
    assert status(srv, did) == "refusee"
    assert srv.sql1("SELECT reason FROM aid_dossiers WHERE id=?", did) == "Le devis n’est pas signé."
    subject, body = last_mail(srv, PEOPLE["applicant"])
    assert "Refusée" in subject and "Le devis n’est pas signé." in body
    # Once refused, it cannot be validated: the page says why.
    r = c.post("/instruction/dossiers/%d/valider" % did, {})
    assert r.status == 409 and "ne peut pas passer à" in text_of(r)


def test_request_documents(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    c = as_(srv, "instructor")
    r = c.get("/instruction/dossiers/%d" % did)
    assert 'value="Devis signé"' in r.text and 'value="Plan d’implantation"' in r.text
    r = c.post("/instruction/dossiers/%d/pieces" % did, {"autre_piece": ""})
    assert r.status == 422 and "Cochez au moins une pièce" in r.text
    r = c.post("/instruction/dossiers/%d/pieces" % did, {"pieces": "Passeport du chat", "autre_piece": "gardé"})
    assert r.status == 422 and "Cochez des pièces de la liste du programme" in r.text
    assert 'value="gardé"' in r.text
    assert srv.sql1("SELECT count(*) FROM aid_doc_requests WHERE dossier_id=?", did) == 0
    r = c.post("/instruction/dossiers/%d/pieces" % did,
               {"pieces": ["Devis signé", "RIB du bénéficiaire"], "autre_piece": "Photo du tableau électrique"})
    assert r.status == 303, r
    assert status(srv, did) == "complements"
    assert [x[0] for x in srv.sql("SELECT label FROM aid_doc_requests WHERE dossier_id=? ORDER BY id", did)] == [
        "Devis signé", "RIB du bénéficiaire", "Photo du tableau électrique"]
    subject, body = last_mail(srv, PEOPLE["applicant"])
    assert "Compléments demandés" in subject
    for piece in ["Devis signé", "RIB du bénéficiaire", "Photo du tableau électrique"]:
        assert "  - " + piece in body
    r = c.get("/instruction/dossiers/%d" % did)
    t = text_of(r)
    assert "Pièces demandées : Devis signé ; RIB du bénéficiaire ; Photo du tableau électrique" in t
    assert "attendue" in t
    assert did in listed(c.get("/instruction?onglet=en-attente&programme=%d" % pid))
    # From compléments demandés, no second request: the applicant has the move.
    r = c.post("/instruction/dossiers/%d/pieces" % did, {"pieces": "Devis signé"})
    assert r.status == 409 and "ne peut pas passer à" in text_of(r)
    assert srv.sql1("SELECT count(*) FROM aid_doc_requests WHERE dossier_id=?", did) == 3


def test_validation_and_the_envelope_message(srv):
    pid = programme(srv, budget=150000)   # 1 500 €
    small = dossier(srv, pid, points=1, cost=200000)   # 1 000 €
    big = dossier(srv, pid, points=1, cost=200000)     # 1 000 €: only 500 € left after small
    c = as_(srv, "instructor")
    r = c.get("/instruction/dossiers/%d" % small)
    assert "1 000,00 €" in text_of(r) and "reste 1 500,00 €" in text_of(r)
    r = c.post("/instruction/dossiers/%d/valider" % small, {"retour": "/instruction?onglet=a-traiter"})
    assert r.status == 303 and r.header("Location") == "/instruction?onglet=a-traiter"
    assert status(srv, small) == "validee"
    assert srv.sql1("SELECT committed_cents FROM aid_programmes WHERE id=?", pid) == 100000
    r = c.post("/instruction/dossiers/%d/valider" % big, {})
    assert r.status == 409
    t = text_of(r)
    assert "L’enveloppe du programme ne suffit plus : il reste 500,00 €" in t, t
    assert number(srv, big) in t and 'id="action-erreur"' in r.text
    assert status(srv, big) == "deposee"
    assert srv.sql1("SELECT committed_cents FROM aid_programmes WHERE id=?", pid) == 100000


def test_payment_and_sending_proofs_back(srv):
    pid = programme(srv)
    did = dossier(srv, pid, status="versement")
    srv.sql("UPDATE aid_dossiers SET granted_cents=amount_cents, committed=1 WHERE id=?", did)
    c = as_(srv, "instructor")
    r = c.get("/instruction/dossiers/%d" % did)
    assert 'id="verser"' in r.text and 'id="renvoyer"' in r.text and 'id="valider"' not in r.text
    r = c.post("/instruction/dossiers/%d/renvoyer" % did, {"motif_renvoi": ""})
    assert r.status == 422 and "Indiquez le motif" in r.text and status(srv, did) == "versement"
    r = c.post("/instruction/dossiers/%d/renvoyer" % did, {"motif_renvoi": "La facture est illisible."})
    assert r.status == 303 and status(srv, did) == "justificatifs"
    assert "La facture est illisible." in last_mail(srv, PEOPLE["applicant"])[1]
    r = c.post("/instruction/dossiers/%d/verser" % did, {})
    assert r.status == 409 and status(srv, did) == "justificatifs"
    srv.sql("UPDATE aid_dossiers SET status='versement' WHERE id=?", did)
    r = c.post("/instruction/dossiers/%d/verser" % did, {})
    assert r.status == 303 and status(srv, did) == "versee"
    assert srv.sql1("SELECT paid_cents = granted_cents AND paid_at > 0 FROM aid_dossiers WHERE id=?", did) == 1


# ------------------------------------------------------------ notes and messages

def test_notes_stay_internal_and_messages_reach_the_applicant(srv):
    pid = programme(srv)
    did = dossier(srv, pid)
    c = as_(srv, "instructor")
    c.get("/instruction/dossiers/%d" % did)
    r = c.post("/instruction/dossiers/%d/notes" % did, {"note": ""})
    assert r.status == 422 and "Renseignez la note." in text_of(r)
    r = c.post("/instruction/dossiers/%d/notes" % did, {"note": "Note secrète : vérifier le devis."})
    assert r.status == 303
    r = c.get("/instruction/dossiers/%d" % did)
    assert "Note secrète : vérifier le devis." in r.text
    # Message with a PDF and a PNG; a text file is refused and the text kept.
    r = c.post("/instruction/dossiers/%d/messages" % did, {"message": "Merci de préciser."},
               files={"pieces_jointes": ("notes.txt", b"bonjour", "text/plain")})
    assert r.status == 422 and "type de fichier" in r.text and ">Merci de préciser.</textarea>" in r.text
    r = c.post("/instruction/dossiers/%d/messages" % did, {"message": "  "})
    assert r.status == 422
    r = c.post("/instruction/dossiers/%d/messages" % did, {"message": "Merci d’envoyer le plan signé."},
               files={"pieces_jointes": ("modele.pdf", PDF, "application/pdf")})
    assert r.status == 303, r
    mid = srv.sql1("SELECT id FROM aid_messages WHERE dossier_id=? AND from_staff=1", did)
    doc = srv.sql1("SELECT id FROM aid_dossier_docs WHERE message_id=?", mid)
    r = c.get("/instruction/dossiers/%d" % did)
    assert "Merci d’envoyer le plan signé." in r.text and "modele.pdf" in r.text
    r = c.get("/instruction/dossiers/%d/documents/%d" % (did, doc))
    assert r.status == 200 and r.body == PDF and r.header("Content-Type") == "application/pdf"
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.document_read'") >= 1
    subject, body = last_mail(srv, PEOPLE["applicant"])
    assert "nouveau message" in subject and "Merci d’envoyer le plan signé." in body
    # Nothing the applicant receives or can open carries the note.
    for subj, b in srv.mails(PEOPLE["applicant"]):
        assert "Note secrète" not in b
    a = as_(srv, "applicant")
    for path in ["/instruction/dossiers/%d" % did, "/instruction/dossiers/%d/documents/%d" % (did, doc)]:
        r = a.get(path)
        assert r.status == 403 and "Note secrète" not in r.text


# ------------------------------------------------------------ batch

def test_batch_validation_with_mixed_results(srv):
    pid = programme(srv, budget=250000)   # 2 500 €
    a = dossier(srv, pid, points=1, cost=200000)   # 1 000 €
    b = dossier(srv, pid, points=1, cost=200000)   # 1 000 €
    big = dossier(srv, pid, points=2, cost=400000)  # 2 000 €: does not fit after a and b
    done = dossier(srv, pid, points=1, cost=20000, status="refusee")
    draft = dossier(srv, pid, status="brouillon")
    c = as_(srv, "instructor")
    back = "/instruction?programme=%d" % pid
    c.get(back)
    r = c.post("/instruction/valider", {"ids": [str(a), str(b), str(big), str(done), "999999", str(a)],
                                        "retour": back})
    assert r.status == 200, r
    t = text_of(r)
    assert "2 dossier(s) validé(s), 3 non validé(s)" in t, t
    assert status(srv, a) == status(srv, b) == "validee" and status(srv, big) == "deposee"
    echecs = re.search(r'<ul id="echecs">(.*?)</ul>', r.text, re.S).group(1)
    assert "L’enveloppe du programme ne suffit plus" in html.unescape(echecs)
    assert number(srv, big) in echecs and number(srv, done) in echecs
    assert "Cette demande n’existe pas." in html.unescape(echecs)
    assert 'href="%s">Retour à la liste' % back in html.unescape(r.text)
    assert srv.sql1("SELECT committed_cents FROM aid_programmes WHERE id=?", pid) == 200000
    r = c.post("/instruction/valider", {"ids": [str(draft)]})
    assert "ne peut pas passer à" in text_of(r) and status(srv, draft) == "brouillon"
    r = c.post("/instruction/valider", {"retour": back})
    assert r.status == 303 and r.header("Location") == back
    assert "Cochez au moins un dossier à valider." in c.get(back).text


# ------------------------------------------------------------ exports

def test_exports_are_exactly_the_filtered_list(srv):
    pid = programme(srv)
    base = int(time.time()) - 86400
    rows = [dossier(srv, pid, dept=("17" if i % 3 else "86"), points=1 + i, cost=150000 * (1 + i),
                    name="=Export %d" % i if i == 0 else "Export %d ; « guillemets »" % i, submitted=base + i)
            for i in range(7)]
    c = as_(srv, "instructor")
    query = "programme=%d&departement=17&tri=-montant" % pid
    want = listed(c.get("/instruction?" + query))
    assert want and set(want) == {d for i, d in enumerate(rows) if i % 3}
    r = c.get("/instruction/export.csv?" + query)
    assert r.status == 200 and r.header("Content-Type").startswith("text/csv")
    assert "attachment" in r.header("Content-Disposition") and ".csv" in r.header("Content-Disposition")
    text = r.body.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert table[0][0] == "N° de dossier" and table[0][11] == "Montant demandé (€)"
    assert [x[0] for x in table[1:]] == [number(srv, d) for d in want]
    amounts = {x[0]: x[11] for x in table[1:]}
    first = want[0]
    cents = srv.sql1("SELECT amount_cents FROM aid_dossiers WHERE id=?", first)
    assert amounts[number(srv, first)] == "%d,%02d" % (cents // 100, cents % 100)
    assert all(x[8] == "17" for x in table[1:])
    # A name that starts like a formula is made inert; the whole list when unfiltered.
    r = c.get("/instruction/export.csv?programme=%d" % pid)
    names = [x[6] for x in csv.reader(io.StringIO(r.body.decode("utf-8")[1:]), delimiter=";")][1:]
    assert "'=Export 0" in names and len(names) == 7
    assert "Export 1 ; « guillemets »" in names
    # XLSX: a zip whose sheet holds the same dossiers, amounts as numbers.
    r = c.get("/instruction/export.xlsx?" + query)
    assert r.status == 200 and "spreadsheetml" in r.header("Content-Type")
    z = zipfile.ZipFile(io.BytesIO(r.body))
    sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    strings = z.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in z.namelist() else ""
    for d in want:
        assert number(srv, d) in sheet + strings
    for i, d in enumerate(rows):
        if i % 3 == 0:
            assert number(srv, d) not in sheet + strings
    assert "<v>%s</v>" % ("%g" % (cents / 100)) in sheet
    # Bad filters: nothing exported.
    r = c.get("/instruction/export.csv?departement=ZZ")
    assert r.status == 422 and "Les filtres de la liste contiennent une erreur" in text_of(r)
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.export'") >= 3


# ------------------------------------------------------------ journey 8

def test_parallel_validations_never_exceed_the_envelope(srv):
    setup(srv)
    pid = programme(srv, budget=1000000)   # 10 000 €
    name = srv.sql1("SELECT name FROM aid_programmes WHERE id=?", pid)
    ids = [dossier(srv, pid, points=1, cost=200000) for _ in range(14)]   # 14 × 1 000 €
    clients = [as_(srv, "instructor"), as_(srv, "instructor2"), as_(srv, "territory_admin")]
    for c in clients:
        c.get("/instruction")
    results = {}

    def validate(i, did):
        c = clients[i % len(clients)]
        results[did] = c.post("/instruction/dossiers/%d/valider" % did, {})

    threads = [threading.Thread(target=validate, args=(i, did)) for i, did in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 14
    ok = [d for d in ids if results[d].status == 303]
    refused = [d for d in ids if results[d].status == 409]
    assert len(ok) == 10 and len(refused) == 4, {d: results[d].status for d in ids}
    for d in refused:
        assert "L’enveloppe du programme ne suffit plus : il reste 0,00 €" in text_of(results[d])
        assert status(srv, d) == "deposee"
    assert sorted(ok) == sorted(x[0] for x in srv.sql(
        "SELECT id FROM aid_dossiers WHERE programme_id=? AND status='validee'", pid))
    committed, budget = srv.sql("SELECT committed_cents, budget_cents FROM aid_programmes WHERE id=?", pid)[0]
    assert committed == 1000000 == budget
    assert srv.sql1("SELECT sum(granted_cents) FROM aid_dossiers WHERE programme_id=? AND committed=1", pid) == committed
    # The admins' warnings: once at 80 %, once at 95 % (sent at 100 %).
    subjects = [s for s, _ in srv.mails(PEOPLE["territory_admin"]) if name in s]
    assert len(subjects) == 2, subjects
    assert any("engagée à 80 %" in s for s in subjects) and any("engagée à 100 %" in s for s in subjects)
