"""The aid programmes' dashboard (issue #3, journey 10): who may read it,
its figures on a small dataset whose medians and 90th percentiles are
worked out by hand below, the filters, the cache that must notice a new
dossier, the live envelopes, and the CSV and XLSX downloads of each table."""
import csv
import html
import io
import re
import time
import zipfile

from harness import People, text_of
from test_aid_charge import pdc_rows, sessions_csv

SERVER_CONFIG = {"login_max_per_ip": 1000}

PEOPLE = {
    "applicant": "dash-demandeur@exemple.fr",
    "instructor": "dash-instructeur@exemple.fr",
    "territory_admin": "dash-territoire@exemple.fr",
    "superadmin": "dash-super@exemple.fr",
}
people = People(PEOPLE)
DAY = 86400
DASH = "/admin/aides/tableau-de-bord"
EXPORT = DASH + "/export"


def as_(srv, role):
    return people.client(srv, role)


def t(day, hour=12):
    """Unix time of 2025-MM-DD at noon UTC (mid-month: no time-zone doubt)."""
    return int(time.mktime(time.strptime("2025-" + day, "%Y-%m-%d"))) + hour * 3600


_data = {}


def dataset(srv):
    """Two programmes, nine dossiers, their history. Worked out by hand:

    decisions (decided − submitted), days: 10, 20, 4, 12, 6, 8
      sorted 4 6 8 10 12 20 → median 8 + 0.5 × 2 = 9.0, p90 (h = 4.5) 12 + 0.5 × 8 = 16.0
    payments (paid − decided): 30, 10 → median 20.0, p90 10 + 0.9 × 20 = 28.0
    first "compléments" → first validation: 10 (n° 4), 5 (n° 5) → median 7.5, p90 9.5
      (n° 5 is validated again later: that second validation does not count)
    requested (submitted, not replaced): 800 + 1000 + 2000 + 500 + 3000 + 4000 + 1500 = 12,800 €
    committed (committed = 1): 1000 + 2000 + 3000 + 4000 = 10,000 €, 2 + 3 + 5 + 4 = 14 points
    paid: 1000 + 4000 = 5,000 €
    """
    if _data:
        return _data
    as_(srv, "applicant")
    uid = people.id(srv, "applicant")
    now = int(time.time())
    srv.sql("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,"
            " created_at, updated_at) VALUES('73282932000074', 'Entreprise', 'Bornes SA', '1 rue A', '17000',"
            " 'La Rochelle', 'c@exemple.fr', '0546000000', ?, ?)", now, now)
    org = srv.sql1("SELECT id FROM organisations WHERE siret='73282932000074'")
    progs = {}
    for key, name, target, budget in (("A", "Copropriétés — points individuels", "residentiel_collectif", 100000000),
                                      ("B", "Flottes — recharge en entreprise", "entreprises_flottes", None)):
        srv.sql("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, eligible_costs, budget_cents,"
                " opens_on, closes_on, created_at, updated_at) VALUES(?,?,5000,60000,'HT',?,'2025-01-01',"
                " '2027-12-31',?,?)", name, target, budget, now, now)
        progs[key] = srv.sql1("SELECT id FROM aid_programmes WHERE name=?", name)
    srv.sql("UPDATE aid_programmes SET committed_cents=300000, committed_points=5 WHERE id=?", progs["A"])

    def dossier(n, prog, status, submitted, amount, points, decided=None, granted=0, committed=0, paid=None,
                created=None, replaced_by=None, replaces=None):
        srv.sql("INSERT INTO aid_dossiers(id, number, programme_id, org_id, user_id, status, points, cost_cents,"
                " amount_cents, granted_cents, paid_cents, committed, replaces_id, replaced_by_id, created_at,"
                " updated_at, submitted_at, decided_at, paid_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                n, "AV-2025-%06d" % n, progs[prog], org, uid, status, points, amount * 2, amount, granted,
                granted if paid else 0, committed, replaces, replaced_by, created or submitted or now, now,
                submitted, decided, paid)

    def event(n, at, frm, to):
        srv.sql("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status)"
                " VALUES(?,?,?,'status',?,?)", n, at, uid, frm, to)

    s1 = t("03-15")
    dossier(1, "A", "versee", s1, 100000, 2, s1 + 10 * DAY, 100000, 1, s1 + 40 * DAY)
    event(1, s1 + 10 * DAY, "deposee", "validee")
    s2 = t("04-15")
    dossier(2, "A", "validee", s2, 200000, 3, s2 + 20 * DAY, 200000, 1)
    event(2, s2 + 20 * DAY, "en_instruction", "validee")
    dossier(3, "A", "refusee", s2, 50000, 1, s2 + 4 * DAY)
    s4 = t("05-15")
    dossier(4, "B", "validee", s4, 300000, 5, s4 + 12 * DAY, 300000, 1)
    event(4, s4, "brouillon", "deposee")
    event(4, s4 + 2 * DAY, "deposee", "complements")
    event(4, s4 + 7 * DAY, "complements", "en_instruction")
    event(4, s4 + 12 * DAY, "en_instruction", "validee")
    s5 = t("06-15")
    dossier(5, "B", "versee", s5, 400000, 4, s5 + 6 * DAY, 400000, 1, s5 + 16 * DAY)
    event(5, s5 + 1 * DAY, "deposee", "complements")
    event(5, s5 + 6 * DAY, "complements", "validee")
    event(5, s5 + 8 * DAY, "validee", "justificatifs")
    event(5, s5 + 9 * DAY, "justificatifs", "validee")  # sent back: not a second decision
    dossier(6, "A", "annulee", s5, 70000, 1, replaced_by=7)
    dossier(7, "A", "brouillon", None, 0, 1, created=t("06-16"), replaces=6)
    dossier(8, "B", "deposee", t("07-15"), 150000, 2)
    s9 = t("02-15")
    dossier(9, "A", "expiree", s9, 80000, 1, s9 + 8 * DAY, 80000, 0)
    _data.update(progs)
    _data["org"] = org
    return _data


def download(c, path):
    r = c.get(path)
    assert r.status == 200, (path, r)
    return r


def csv_rows(c, query):
    r = download(c, EXPORT + "?" + query)
    assert r.header("Content-Type").startswith("text/csv"), r.headers
    assert "attachment" in r.header("Content-Disposition")
    return list(csv.reader(io.StringIO(r.body.decode("utf-8"))))


# ------------------------------------------------------------ permissions

def test_who_may_read_the_dashboard(srv):
    dataset(srv)
    paths = [DASH, DASH + "?periode=2025", EXPORT + "?tableau=statuts&format=csv",
             EXPORT + "?tableau=mois&format=xlsx"]
    anon = srv.client()
    for p in paths:
        r = anon.get(p)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), (p, r)
    app = as_(srv, "applicant")
    for p in paths:
        assert app.get(p).status == 403, p
    # Instructors read it (the delays are theirs); admins and superadmins too.
    for role in ("instructor", "territory_admin", "superadmin"):
        c = as_(srv, role)
        for p in paths:
            assert c.get(p).status == 200, (role, p)
    # Only those who may read it see the link.
    assert 'href="/admin/aides/tableau-de-bord"' in as_(srv, "instructor").get("/compte").text
    assert 'href="/admin/aides/tableau-de-bord"' not in app.get("/compte").text


# ------------------------------------------------------------ the figures

def test_status_table_counts_every_dossier_by_programme(srv):
    dataset(srv)
    c = as_(srv, "territory_admin")
    rows = csv_rows(c, "tableau=statuts&format=csv")
    assert rows[0] == ["Statut", "Copropriétés", "Flottes", "Total"]
    got = {r[0]: r[1:] for r in rows[1:]}
    assert got["Brouillon"] == ["1", "0", "1"]
    assert got["Déposée"] == ["0", "1", "1"]
    assert got["Validée (offre de prime)"] == ["1", "1", "2"]
    assert got["Versée"] == ["1", "1", "2"]
    assert got["Refusée"] == ["1", "0", "1"]
    assert got["Annulée"] == ["1", "0", "1"]
    assert got["Expirée"] == ["1", "0", "1"]
    assert got["Total"] == ["6", "3", "9"]


def test_delays_median_and_p90_worked_out_by_hand(srv):
    dataset(srv)
    c = as_(srv, "territory_admin")
    rows = csv_rows(c, "tableau=delais&format=csv&periode=2025")
    assert rows[0] == ["Délai", "Médiane (jours)", "90e centile (jours)", "Dossiers"]
    assert rows[1] == ["Du dépôt à la décision", "9.0", "16.0", "6"]
    assert rows[2] == ["De la validation au versement", "20.0", "28.0", "2"]
    assert rows[3] == ["Des compléments demandés à la validation", "7.5", "9.5", "2"]
    page = text_of(c.get(DASH + "?periode=2025"))
    assert "9,0 j médiane · 16,0 j au 90e centile" in page
    assert "7,5 j médiane · 9,5 j au 90e centile" in page
    # One programme: B's decisions took 12 and 6 days → median 9, p90 6 + 0.9 × 6 = 11.4.
    rows = csv_rows(c, "tableau=delais&format=csv&programme=%d" % _data["B"])
    assert rows[1] == ["Du dépôt à la décision", "9.0", "11.4", "2"]


def test_amounts_by_target_and_by_month(srv):
    dataset(srv)
    c = as_(srv, "territory_admin")
    rows = csv_rows(c, "tableau=cibles&format=csv&periode=2025")
    assert rows[0] == ["Cible", "Demandes déposées", "Montant demandé", "Montant engagé", "Points financés",
                       "Montant versé"]
    assert rows[1] == ["Résidentiel collectif", "4", "4300.00", "3000.00", "5", "1000.00"]
    assert rows[2] == ["Entreprises et flottes", "3", "8500.00", "7000.00", "9", "4000.00"]
    assert rows[3] == ["Total", "7", "12800.00", "10000.00", "14", "5000.00"]
    months = {r[0]: r[1:] for r in csv_rows(c, "tableau=mois&format=csv&periode=2025")[1:]}
    assert len(months) == 12 and list(months)[0] == "2025-01" and list(months)[-1] == "2025-12"
    assert months["2025-02"] == ["1", "800.00", "0.00", "0", "0.00"]
    assert months["2025-03"] == ["1", "1000.00", "1000.00", "2", "0.00"]
    assert months["2025-04"] == ["2", "2500.00", "0.00", "0", "1000.00"]
    assert months["2025-05"] == ["1", "3000.00", "5000.00", "8", "0.00"]
    assert months["2025-06"] == ["1", "4000.00", "4000.00", "4", "0.00"]
    assert months["2025-07"] == ["1", "1500.00", "0.00", "0", "4000.00"]
    # Since the start: from the first month with figures to this month.
    months = [r[0] for r in csv_rows(c, "tableau=mois&format=csv")[1:]]
    assert months[0] == "2025-02" and months[-1] == time.strftime("%Y-%m"), months
    page = text_of(c.get(DASH + "?periode=2025"))
    assert "12 800 € demandés" in page and "10 000 € engagés" in page and "5 000 € versés" in page
    assert "14 points de recharge financés" in page
    # This year (the periods offered run from the first submission's year) holds nothing.
    year = time.localtime().tm_year
    assert year > 2025, "the dataset is in 2025: run this test later"
    rows = csv_rows(c, "tableau=cibles&format=csv&periode=%d" % year)
    assert rows[-1] == ["Total", "0", "0.00", "0.00", "0", "0.00"]
    assert "aucun dossier" in text_of(c.get(DASH + "?periode=%d" % year))
    assert '<option value="2024"' not in c.get(DASH).text


def test_envelopes_are_live_and_charts_are_accessible_svg(srv):
    dataset(srv)
    c = as_(srv, "territory_admin")
    rows = csv_rows(c, "tableau=enveloppes&format=csv")
    assert rows[1] == ["Copropriétés — points individuels", "1000000.00", "3000.00", "0.3", "5", ""]
    assert rows[2] == ["Flottes — recharge en entreprise", "", "0.00", "", "0", ""]
    srv.sql("UPDATE aid_programmes SET committed_cents=85000000 WHERE id=?", _data["A"])
    r = c.get(DASH)
    assert "85,0 %" in text_of(r)
    srv.sql("UPDATE aid_programmes SET committed_cents=300000 WHERE id=?", _data["A"])
    # Every chart is an SVG image with a title and a description, beside its table; no script.
    for chart in ("graphe-statuts", "graphe-mois", "graphe-cibles", "graphe-enveloppes"):
        m = re.search(r'<svg class="chart"[^>]*aria-labelledby="%s-titre %s-desc"' % (chart, chart), r.text)
        assert m, chart
        assert 'id="%s-titre"' % chart in r.text and 'id="%s-desc"' % chart in r.text
    for table in ("statuts", "mois", "cibles", "enveloppes", "delais"):
        assert 'id="tableau-%s"' % table in r.text
    assert "<script" not in r.text
    # A bar says what it stands for.
    assert re.search(r"<title>Versée : 2</title>", r.text), r.text


def test_a_new_dossier_shows_at_once(srv):
    data = dataset(srv)
    c = as_(srv, "territory_admin")
    before = {r[0]: r[-1] for r in csv_rows(c, "tableau=statuts&format=csv")}
    assert "<title>Déposée : %s</title>" % before["Déposée"] in c.get(DASH).text  # the page is cached now
    now = int(time.time())
    srv.sql("INSERT INTO aid_dossiers(number, programme_id, org_id, status, created_at, updated_at,"
            " submitted_at, amount_cents) VALUES('AV-2026-999999', ?, ?, 'deposee', ?, ?, ?, 12300)",
            data["B"], data["org"], now, now, now)
    try:
        after = {r[0]: r[-1] for r in csv_rows(c, "tableau=statuts&format=csv")}
        assert int(after["Déposée"]) == int(before["Déposée"]) + 1
        assert int(after["Total"]) == int(before["Total"]) + 1
        assert "<title>Déposée : %d</title>" % (int(before["Déposée"]) + 1) in c.get(DASH).text
    finally:
        srv.sql("DELETE FROM aid_dossiers WHERE number='AV-2026-999999'")
        srv.sql("DELETE FROM aid_dash_cache")


def test_filters_keep_their_choice_and_ignore_nonsense(srv):
    data = dataset(srv)
    c = as_(srv, "territory_admin")
    r = c.get(DASH + "?programme=%d&periode=2025" % data["A"])
    assert r.status == 200
    assert re.search(r'<option value="%d" selected>' % data["A"], r.text)
    assert '<option value="2025" selected>' in r.text
    rows = csv_rows(c, "tableau=statuts&format=csv&programme=%d" % data["A"])
    assert rows[0] == ["Statut", "Copropriétés", "Total"]
    # Unknown programme or period: everything, not an error.
    r = c.get(DASH + "?programme=999999&periode=1999")
    assert r.status == 200 and '<option value="tout" selected>' in r.text
    assert csv_rows(c, "tableau=statuts&format=csv&programme=abc")[-1] == ["Total", "6", "3", "9"]


# ---------------------------------------------------------- charging data

def load_charge(srv, c, did, csv_data):
    """Uploads a CSV as the applicant would (points of dossier did, or
    sessions when did is None); the small file loads in the request."""
    path = "/aides/dossiers/%d/donnees" % did if did else "/aides/donnees"
    c.get(path)
    r = c.post(path, files={"fichier": ("donnees.csv", csv_data, "text/csv")})
    assert r.status == 303 and "/aides/donnees/imports/" in r.header("Location"), r
    iid = int(r.header("Location").rsplit("/", 1)[1])
    assert srv.sql1("SELECT status || ':' || rows_rejected FROM aid_charge_imports WHERE id=?", iid) == "done:0"


def test_charging_data_after_a_small_load(srv):
    """Three points and four sessions loaded through the applicant's pages;
    worked out by hand:
      A (dossier n° 2): 2 points; 2 + 4 + 1 = 7 h over 10–12 March (3 days × 2 points × 24 h = 144 h)
        → 4.86 %; 10.5 + 20 + 5 = 35.5 kWh (36 in whole kWh)
      B (dossier n° 5): 1 point; 6 h on 10 March (24 h) → 25 %; 30.25 kWh
      all: 3 points, 13 h over 3 days × 3 points × 24 h = 216 h → 6.02 %; 65.75 kWh"""
    data = dataset(srv)
    admin = as_(srv, "territory_admin")
    page = admin.get(DASH)
    assert "Aucun point de recharge n’a encore été déclaré" in text_of(page)  # and the page is cached
    app = as_(srv, "applicant")
    srv.sql("INSERT OR IGNORE INTO org_members(org_id, user_id, role, added_at) VALUES(?, ?, 'owner', 0)",
            data["org"], people.id(srv, "applicant"))
    load_charge(srv, app, 2, pdc_rows(2, prefix="DA"))
    load_charge(srv, app, 5, pdc_rows(1, skip=2, prefix="DB"))
    a1, a2 = [r[0] for r in srv.sql("SELECT id_pdc_itinerance FROM aid_charge_points WHERE dossier_id=2 ORDER BY 1")]
    b1 = srv.sql1("SELECT id_pdc_itinerance FROM aid_charge_points WHERE dossier_id=5")
    load_charge(srv, app, None, sessions_csv([
        (a1, "2025-03-10T10:00:00+01:00", "2025-03-10T12:00:00+01:00", 10.5),
        (a1, "2025-03-11T22:00:00+01:00", "2025-03-12T02:00:00+01:00", 20),
        (a2, "2025-03-12T08:00:00+01:00", "2025-03-12T09:00:00+01:00", 5),
        (b1, "2025-03-10T12:00:00+01:00", "2025-03-10T18:00:00+01:00", 30.25)]))
    # The cached page saw the load (the charging data's marker is in its probe).
    page = admin.get(DASH + "?periode=2025")
    text = text_of(page)
    assert "Aucun point de recharge" not in text
    assert "3 points de recharge déclarés 2 demande(s)" in text, text
    assert "4 sessions de recharge" in text and "66 kWh délivrés" in text and "6,02 % d’occupation" in text
    assert "Données du 10/03/2025 au 12/03/2025" in text
    assert re.search(r"<title>Copropriétés : 36\u00a0kWh, 3 sessions</title>", page.text), page.text
    assert 'href="/instruction/programmes/%d/donnees"' % data["A"] in page.text
    assert 'href="/instruction/programmes/%d/donnees"' % data["B"] in page.text
    rows = csv_rows(admin, "tableau=charge&format=csv")
    assert rows[0] == ["Programme", "Points déclarés", "Demandes avec points", "Sessions", "Énergie (kWh)",
                       "Heures d’occupation", "Occupation (%)", "Premier jour", "Dernier jour"]
    assert rows[1] == ["Copropriétés — points individuels", "2", "1", "3", "36", "7", "4.9", "2025-03-10",
                       "2025-03-12"]
    assert rows[2] == ["Flottes — recharge en entreprise", "1", "1", "1", "30", "6", "25.0", "2025-03-10",
                       "2025-03-10"]
    assert rows[3] == ["Total", "3", "2", "4", "66", "13", "6.0", "2025-03-10", "2025-03-12"]
    # One programme: its own figures, no total.
    text = text_of(admin.get(DASH + "?programme=%d" % data["B"]))
    assert "1 points de recharge déclarés" in text and "25 % d’occupation" in text, text
    assert csv_rows(admin, "tableau=charge&format=csv&programme=%d" % data["B"])[1:] == [rows[2]]
    # A status change renews the dossiers' figures but reuses the charging data's own row.
    built = srv.sql1("SELECT built_at FROM aid_dash_cache WHERE key='charge'")
    srv.sql("INSERT INTO aid_dossier_events(dossier_id, at, kind, from_status, to_status) VALUES(8, ?, 'status',"
            " 'deposee', 'deposee')", int(time.time()))
    try:
        assert "66 kWh délivrés" in text_of(admin.get(DASH))
        assert srv.sql1("SELECT built_at FROM aid_dash_cache WHERE key='charge'") == built
    finally:
        srv.sql("DELETE FROM aid_dossier_events WHERE dossier_id=8 AND from_status='deposee' AND to_status='deposee'")


# ---------------------------------------------------------------- exports

def test_exports_in_csv_and_xlsx(srv):
    dataset(srv)
    c = as_(srv, "territory_admin")
    r = download(c, EXPORT + "?tableau=cibles&format=xlsx&periode=2025")
    assert r.header("Content-Type") == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="tableau-de-bord-cibles-2025.xlsx"' in r.header("Content-Disposition")
    assert r.body[:2] == b"PK"
    z = zipfile.ZipFile(io.BytesIO(r.body))
    assert "xl/worksheets/sheet1.xml" in z.namelist()
    strings = z.read("xl/sharedStrings.xml").decode()
    sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "Montant engagé" in strings and "Entreprises et flottes" in strings
    assert "<v>12800</v>" in sheet and "<v>14</v>" in sheet  # euros as numbers, points as numbers
    assert "Montants par cible" in z.read("xl/workbook.xml").decode()
    # Every table at once: one sheet each.
    r = download(c, EXPORT + "?tableau=tout&format=xlsx")
    z = zipfile.ZipFile(io.BytesIO(r.body))
    assert len([n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]) == 6
    # Every table the page offers downloads, in both formats.
    page = c.get(DASH).text
    links = set(html.unescape(m) for m in re.findall(r'href="(/admin/aides/tableau-de-bord/export\?[^"]+)"', page))
    assert len(links) == 13, links
    for link in links:
        assert c.get(link).status == 200, link
    # Anything else is a 404 in French.
    for q in ("tableau=inconnu&format=csv", "tableau=statuts&format=pdf", "tableau=tout&format=csv", ""):
        r = c.get(EXPORT + "?" + q)
        assert r.status == 404 and "Ce tableau n’existe pas" in r.text, q


def test_csv_cells_never_run_as_formulas(srv):
    data = dataset(srv)
    c = as_(srv, "territory_admin")
    srv.sql("UPDATE aid_programmes SET name='=HYPERLINK(\"x\"), vraiment' WHERE id=?", data["B"])
    try:
        body = download(c, EXPORT + "?tableau=enveloppes&format=csv").body.decode()
        assert '"\'=HYPERLINK(""x""), vraiment"' in body
    finally:
        srv.sql("UPDATE aid_programmes SET name='Flottes — recharge en entreprise' WHERE id=?", data["B"])
