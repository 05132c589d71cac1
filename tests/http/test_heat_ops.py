"""Heat networks, the operators' tools (issue #4): the feature's
configuration keys (a configured threshold changes the answer, the agency
address), the operators' table (filters, search, sort, pagination) and its
CSV and XLSX exports, e-mails to the applicant from templates, the
reminder job run by `guichet worker --once`, scoping by network and by
organisation, and every new route's permissions.

Time is moved as the other tests move it: by ageing the rows (updated_at,
reminded_at) and the scheduler's next run in the database."""
import csv
import html
import io
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET
import zipfile

from test_heat import ADDR, GEO, HEAT, edit_network, read, request_form

AGENCY = "ale@territoire.exemple.fr"
SERVER_CONFIG = {"login_max_per_ip": 1000, "heat_threshold_very_close_m": 150, "heat_agency_email": AGENCY}

PEOPLE = {
    "operator": ("ops-a@exemple.fr", "operator"),          # 1701C, by account
    "operator_b": ("ops-b@exemple.fr", "operator"),        # 1704C, by account
    "operator_org": ("ops-org@exemple.fr", "operator"),    # 1703C, by organisation
    "org_no_role": ("org-sans-role@exemple.fr", "applicant"),  # same organisation, not an operator
    "territory_admin": ("ops-territoire@exemple.fr", "territory_admin"),
    "applicant": ("ops-demandeur@exemple.fr", "applicant"),
}
_ids, _clients = {}, {}


def as_(srv, who):
    if not _ids:
        for k, (email, role) in PEOPLE.items():
            _ids[k] = srv.add_user(email, role)
    c = _clients.get(who)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(PEOPLE[who][0])
        _clients[who] = c
    return c


def net_id(srv, sncu):
    return srv.sql1("SELECT id FROM heat_networks WHERE sncu_id=?", sncu)


def send(srv, address, **kw):
    c = srv.client()
    c.get("/eligibilite?adresse=" + urllib.parse.quote(address))
    return c.post("/eligibilite/demande", request_form(address, **kw))


def add_request(srv, sncu, email, status="a_traiter", commune="La Rochelle", days_ago=0, address=None,
                last_name="Durand", comment=""):
    """A request row as the form would write it, at a chosen date."""
    t = int(time.time()) - days_ago * 86400
    srv.sql("INSERT INTO heat_requests(created_at, updated_at, address, commune, lon, lat, profile, energy,"
            " heating_mode, last_name, first_name, email, comment, eligibility, network_id, routed_to, status)"
            " VALUES(?,?,?,?,-1.14,46.15,'copropriete','gaz','collectif',?,'Jeanne',?,?,'tres_proche',?,?,?)",
            t, t, address or "%s rue du Test %s" % (email.split("@")[0], commune), commune, last_name, email,
            comment, net_id(srv, sncu) if sncu else None, "x@exemple.fr", status)
    return srv.sql1("SELECT id FROM heat_requests WHERE email=? ORDER BY id DESC LIMIT 1", email)


def ids_in(text):
    """Request ids linked from a table page, in order."""
    return [int(x) for x in re.findall(r'<a href="/operateur/demandes/(\d+)">', text)]


def xlsx_rows(data):
    """Rows of the first sheet of an XLSX file, as lists of strings."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    z = zipfile.ZipFile(io.BytesIO(data))
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
        shared = ["".join(t.text or "" for t in si.iter("{%s}t" % ns["m"])) for si in root.findall("m:si", ns)]
    root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in root.iter("{%s}row" % ns["m"]):
        cells = []
        for c in row.findall("m:c", ns):
            col = 0
            for ch in re.match(r"[A-Z]+", c.get("r")).group(0):
                col = col * 26 + ord(ch) - 64
            cells += [""] * (col - 1 - len(cells))  # empty cells are not written
            if c.get("t") == "inlineStr":
                cells.append("".join(t.text or "" for t in c.iter("{%s}t" % ns["m"])))
            elif c.get("t") == "s":
                cells.append(shared[int(c.find("m:v", ns).text)])
            else:
                v = c.find("m:v", ns)
                cells.append(v.text if v is not None else "")
        rows.append(cells)
    return rows


# -------------------------------------------------------------- territory

def test_setup_territory(srv):
    c = as_(srv, "territory_admin")
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto", "remplacer": "oui"},
               files={"fichier": ("r.geojson", read(GEO, "reseaux_la_rochelle.geojson"), "application/geo+json")})
    assert r.status == 200 and "3 importés sur 3" in r.text, r
    for args in (("geojson", "communes", GEO + "/communes_la_rochelle.geojson", "--id", "code"),
                 ("addresses", HEAT + "/adresses-essais-la-rochelle.csv")):
        res = srv.cli("import", *args)
        assert res.returncode == 0, res.stdout + res.stderr
    assert edit_network(c, srv, "1701C", compte_exploitant=PEOPLE["operator"][0]).status == 303
    assert edit_network(c, srv, "1704C", compte_exploitant=PEOPLE["operator_b"][0]).status == 303
    # 1703C is run by an organisation: its members with the operator role see its requests.
    now = int(time.time())
    srv.sql("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,"
            " created_at, updated_at) VALUES('73282932000074', 'company', 'Dalkia La Rochelle', '1 quai', '17000',"
            " 'La Rochelle', 'contact@dalkia.exemple.fr', '0546000000', ?, ?)", now, now)
    org = srv.sql1("SELECT id FROM organisations WHERE siret='73282932000074'")
    for who in ("operator_org", "org_no_role"):
        srv.sql("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?, ?, 'member', ?)", org, _ids[who], now)
    r = edit_network(c, srv, "1703C", siret_exploitant="732 829 320 00074")
    assert r.status == 303, r
    assert srv.sql1("SELECT operator_org_id FROM heat_networks WHERE sncu_id='1703C'") == org
    r = c.get("/admin/reseaux/%d" % net_id(srv, "1703C"))
    assert 'value="73282932000074"' in r.text and "Dalkia La Rochelle" in r.text
    r = edit_network(c, srv, "1703C", siret_exploitant="12345678901234")
    assert r.status == 422 and 'id="siret_exploitant-err"' in r.text
    assert srv.sql1("SELECT operator_org_id FROM heat_networks WHERE sncu_id='1703C'") == org


# ---------------------------------------------------------- configuration

def test_configured_threshold_changes_the_answer(srv):
    # 146.96 m from 1701C: "proche" with FCU's 100 m, "très proche" with heat_threshold_very_close_m = 150.
    j = srv.client().get("/api/v1/eligibility?" + urllib.parse.urlencode({"address": ADDR["proche"]})).json()
    assert j["eligibility"] == "tres_proche" and j["eligible"] is True, j
    # The network's own override still wins over the configured default.
    c = as_(srv, "territory_admin")
    r = c.get("/admin/reseaux/%d" % net_id(srv, "1701C"))
    assert "(150 m)" in r.text  # the form shows the configured default
    assert edit_network(c, srv, "1701C", seuil_tres_proche="100", compte_exploitant=PEOPLE["operator"][0]).status == 303
    j = srv.client().get("/api/v1/eligibility?" + urllib.parse.urlencode({"address": ADDR["proche"]})).json()
    assert j["eligibility"] == "proche", j
    assert edit_network(c, srv, "1701C", compte_exploitant=PEOPLE["operator"][0]).status == 303


def test_configured_agency_receives_unrouted_requests(srv):
    r = send(srv, ADDR["loin_agence"], email="agence-ops@exemple.fr")  # 946 m: no network within 500 m
    assert r.status == 200, r
    assert srv.sql1("SELECT routed_to FROM heat_requests WHERE email='agence-ops@exemple.fr'") == AGENCY
    assert any("Rue des Essais" in body for _, body in srv.mails(AGENCY))


def test_bad_configuration_refuses_to_start(srv):
    env = dict(srv.env, GUICHET_HEAT_REMINDER_DAYS="jamais")
    import subprocess
    from harness import BIN, ROOT
    res = subprocess.run([BIN, "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 1 and "heat_reminder_days" in res.stderr, res.stderr


# ------------------------------------------------------- operators' table

def test_table_lists_the_operators_requests(srv):
    r = send(srv, ADDR["tres_proche"], email="table-a@exemple.fr", nom="Zorro")
    assert r.status == 200
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes")
    assert r.status == 200 and rid in ids_in(r.text)
    assert 'id="export-csv"' in r.text and 'aria-sort="descending"' in r.text


def test_filters_search_and_bad_input(srv):
    a = as_(srv, "operator")
    old = add_request(srv, "1701C", "filtre-vieux@exemple.fr", status="etude", commune="Aytré", days_ago=40,
                      last_name="Ancien")
    new = add_request(srv, "1701C", "filtre-neuf@exemple.fr", status="attente", commune="Périgny", last_name="Récent")
    other = add_request(srv, "1704C", "filtre-b@exemple.fr", commune="Aytré")

    def listed(**q):
        r = a.get("/operateur/demandes?" + urllib.parse.urlencode(q))
        assert r.status == 200, (q, r)
        return ids_in(r.text)

    assert listed(statut="etude") == [old]
    assert new in listed(statut="attente") and old not in listed(statut="attente")
    assert listed(commune="Aytré") == [old]  # 1704C's request in Aytré is not the operator's
    assert listed(commune="Périgny") == [new]
    day = time.strftime("%Y-%m-%d", time.localtime(time.time() - 40 * 86400))
    assert listed(du=day, au=day) == [old]
    assert old not in listed(du=time.strftime("%Y-%m-%d"))
    assert listed(q="récent") == [new]  # case-insensitive
    assert listed(q="filtre-vieux@") == [old]
    assert listed(q="#%d" % old) == [old]
    assert new in listed(q=str(new)), listed(q=str(new))
    assert listed(reseau=net_id(srv, "1701C"), statut="etude") == [old]
    assert listed(reseau=net_id(srv, "1704C")) == []  # another network's id gives nothing, not its rows
    assert other not in listed()
    # Bad input: the French error next to the field, the values kept, no rows.
    for q, field, msg in [({"du": "2026-02-31"}, "du", "Date invalide"),
                          ({"du": "2026-03-10", "au": "2026-03-01"}, "au", "La date de fin précède"),
                          ({"statut": "perdu"}, "statut", "Choisissez un des statuts"),
                          ({"reseau": "abc"}, "reseau", "Choisissez un des réseaux"),
                          ({"tri": "email"}, "tri", "Choisissez un des ordres"),
                          ({"q": "x" * 201}, "q", "200 caractères au plus")]:
        r = a.get("/operateur/demandes?" + urllib.parse.urlencode(q))
        assert r.status == 422, (q, r)
        t = html.unescape(r.text)
        assert msg in t and not ids_in(r.text), (q, t[:2000])
    r = a.get("/operateur/demandes?du=2026-02-31&q=Dupont")
    assert 'id="du-err"' in r.text and 'value="Dupont"' in r.text and 'value="2026-02-31"' in r.text


def test_sort_and_pagination(srv):
    a = as_(srv, "operator")
    for i in range(55):
        add_request(srv, "1701C", "page%02d@exemple.fr" % i, address="%02d allée des Pages" % i, commune="Lagord",
                    days_ago=i % 7)
    r = a.get("/operateur/demandes?commune=Lagord")
    assert r.status == 200 and "55 demande(s)" in r.text and "page 1 sur 2" in r.text
    first = ids_in(r.text)
    assert len(first) == 50
    m = re.search(r'href="\?([^"]*page=2)" rel="next"', r.text)
    assert m and "commune=Lagord" in html.unescape(m.group(1)), r.text[-3000:]
    r2 = a.get("/operateur/demandes?" + html.unescape(m.group(1)))
    second = ids_in(r2.text)
    assert len(second) == 5 and not set(first) & set(second)
    # Sorted by address, ascending then descending; the column header says so.
    r = a.get("/operateur/demandes?commune=Lagord&tri=adresse&ordre=asc")
    assert 'aria-sort="ascending"' in r.text
    rows = re.findall(r'>(\d\d) allée des Pages<', r.text)
    assert rows[:3] == ["00", "01", "02"], rows[:5]
    assert "tri=adresse&amp;ordre=desc" in r.text  # the header link flips the order
    r = a.get("/operateur/demandes?commune=Lagord&tri=adresse&ordre=desc")
    assert re.findall(r'>(\d\d) allée des Pages<', r.text)[:2] == ["54", "53"]
    r = a.get("/operateur/demandes?commune=Lagord&tri=adresse&ordre=asc&page=2")
    assert re.findall(r'>(\d\d) allée des Pages<', r.text) == ["50", "51", "52", "53", "54"]
    r = a.get("/operateur/demandes?commune=Lagord&page=99")  # past the end: the last page
    assert r.status == 200 and "page 2 sur 2" in r.text


# ----------------------------------------------------------------- exports

def test_csv_export_is_exactly_the_filtered_list(srv):
    a = as_(srv, "operator")
    evil = add_request(srv, "1701C", "csv-formule@exemple.fr", commune="Lagord", address="99 allée des Pages",
                       last_name="=HYPERLINK(\"http://x\")", comment='Il a dit "bonjour", puis\nest parti')
    r = a.get("/operateur/demandes.csv?commune=Lagord&tri=adresse&ordre=asc")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/csv")
    assert "attachment" in r.header("Content-Disposition") and ".csv" in r.header("Content-Disposition")
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8"), newline="")))
    head, body = rows[0], rows[1:]
    assert head[:4] == ["Référence", "Reçue le", "Statut", "Dernière action"] and "E-mail" in head
    assert len(body) == 56  # every page of the table, not one
    page = a.get("/operateur/demandes?commune=Lagord&tri=adresse&ordre=asc")
    assert [int(x[0]) for x in body[:50]] == ids_in(page.text)  # same rows, same order
    row = [x for x in body if int(x[0]) == evil][0]
    assert row[head.index("Nom")] == "'=HYPERLINK(\"http://x\")"  # not a formula in a spreadsheet
    assert row[head.index("Commentaire")] == 'Il a dit "bonjour", puis\nest parti'
    assert row[head.index("Statut")] == "À traiter" and row[head.index("Réseau")] == "1701C"
    assert srv.sql1("SELECT detail FROM audit WHERE action='heat.requests.export' ORDER BY id DESC LIMIT 1") == \
        "csv, 56 demande(s)"
    # Scope: the other operator's export of the same filter is empty.
    b = as_(srv, "operator_b")
    r = b.get("/operateur/demandes.csv?commune=Lagord")
    assert r.status == 200 and len(list(csv.reader(io.StringIO(r.body.decode("utf-8"))))) == 1
    r = a.get("/operateur/demandes.csv?du=hier")
    assert r.status == 422 and "Date invalide" in html.unescape(r.text)


def test_xlsx_export(srv):
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes.xlsx?commune=Lagord&tri=adresse&ordre=desc")
    assert r.status == 200, r
    assert r.header("Content-Type") == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = xlsx_rows(r.body)
    assert rows[0][0] == "Référence" and len(rows) == 57
    assert rows[1][rows[0].index("Adresse")] == "99 allée des Pages"
    # A string cell, not a formula, with the apostrophe the CSV gives it too (core/sheet.h).
    assert any(x[rows[0].index("Nom")] == '\'=HYPERLINK("http://x")' for x in rows[1:])
    z = zipfile.ZipFile(io.BytesIO(r.body))
    assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    b = as_(srv, "operator_b")
    assert len(xlsx_rows(b.get("/operateur/demandes.xlsx?commune=Lagord").body)) == 1


# ------------------------------------------------- e-mails to the applicant

def test_templated_email_to_the_applicant(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes/%d" % rid)
    assert r.status == 200 and 'name="modele"' in r.text
    for code in ("infos", "contact", "non_realisable"):
        assert 'value="%s"' % code in r.text
    r = a.get("/operateur/demandes/%d?modele=contact" % rid)
    assert '<option value="contact" selected>' in r.text and "Prise de contact" in html.unescape(r.text)
    r = a.get("/operateur/demandes/%d?modele=infos" % rid)
    t = html.unescape(r.text)
    assert r.status == 200 and "Bonjour Claire Zorro" in t and "1 Rue des Essais" in t
    assert "Villeneuve les Salines" in t and "{prenom}" not in t
    before = srv.sql1("SELECT updated_at FROM heat_requests WHERE id=?", rid)
    srv.sql("UPDATE heat_requests SET updated_at=updated_at-86400 WHERE id=?", rid)
    r = a.post("/operateur/demandes/%d/message" % rid,
               {"modele": "infos", "objet": "Votre demande %d : informations" % rid,
                "message": "Bonjour Claire Zorro,\n\nPouvez-vous nous envoyer vos factures ?"})
    assert r.status == 303, r
    mail = srv.mails("table-a@exemple.fr")
    assert mail[0][0] == "Votre demande %d : informations" % rid
    assert "vos factures ?" in mail[0][1] and ("Référence de votre demande de raccordement : %d" % rid) in mail[0][1]
    h = srv.sql("SELECT kind, subject, comment, user_id, old_status, new_status FROM heat_request_history"
                " WHERE request_id=? ORDER BY id DESC LIMIT 1", rid)[0]
    assert h[:2] == ("email", "Votre demande %d : informations" % rid) and "vos factures" in h[2]
    assert h[3] == _ids["operator"] and h[4] == h[5] == "a_traiter"
    assert srv.sql1("SELECT updated_at FROM heat_requests WHERE id=?", rid) >= before  # an action
    assert srv.sql1("SELECT detail FROM audit WHERE action='heat.request.email' ORDER BY id DESC LIMIT 1") == "infos"
    r = a.get("/operateur/demandes/%d" % rid)
    assert "e-mail au demandeur" in html.unescape(r.text) and "vos factures ?" in r.text


def test_templated_email_bad_input(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")
    a = as_(srv, "operator")
    n = len(srv.mails("table-a@exemple.fr"))
    r = a.post("/operateur/demandes/%d/message" % rid, {"objet": "", "message": "", "modele": "inconnu"})
    assert r.status == 422
    for field in ("objet", "message", "modele"):
        assert 'id="%s-err"' % field in r.text, field
    r = a.post("/operateur/demandes/%d/message" % rid, {"objet": "Ligne 1\nBcc: x@y.fr", "message": "Texte gardé"})
    assert r.status == 422 and "tient sur une ligne" in html.unescape(r.text) and "Texte gardé" in r.text
    r = a.post("/operateur/demandes/%d/message" % rid, {"objet": "x" * 201, "message": "y"})
    assert r.status == 422
    r = a.get("/operateur/demandes/%d?modele=inconnu" % rid)
    assert r.status == 422 and 'id="modele-err"' in r.text
    r = a.post("/operateur/demandes/%d/message" % rid, {"objet": "Sans jeton", "message": "x"}, csrf=False)
    assert r.status == 403
    assert len(srv.mails("table-a@exemple.fr")) == n


def test_taking_charge_emails_the_applicant(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")
    a = as_(srv, "operator")
    r = a.post("/operateur/demandes/%d/statut" % rid, {"statut": "prise_en_charge", "commentaire": ""})
    assert r.status == 303, r
    mail = srv.mails("table-a@exemple.fr")[0]
    assert mail[0] == "Votre demande de raccordement a avancé" and "En cours de prise en charge" in mail[1]


# -------------------------------------------------------------- reminders

def run_reminders(srv):
    """The scheduler's next run moved to the past, then one worker pass."""
    srv.sql("UPDATE job_schedule SET next_run=0 WHERE kind='heat.reminders'")
    res = srv.cli("worker", "--once")
    assert res.returncode == 0, res.stderr
    time.sleep(1.5)  # the server's own worker may have taken the job: let it finish


def reminders_to(srv, email):
    return [m for m in srv.sql("SELECT subject, body FROM outbox WHERE to_addr=? ORDER BY id", email)
            if "attend" in m[0]]


def test_reminder_after_seven_days_without_action(srv):
    srv.sql("UPDATE heat_requests SET updated_at=strftime('%s','now'), reminded_at=NULL")  # all fresh
    waiting = add_request(srv, "1701C", "relance@exemple.fr", address="7 rue de la Relance")
    studied = add_request(srv, "1701C", "relance-etude@exemple.fr", status="etude", address="8 rue de la Relance")
    agency = add_request(srv, None, "relance-agence@exemple.fr", address="9 rue de la Relance")
    srv.sql("UPDATE heat_requests SET updated_at=updated_at-6*86400 WHERE id IN (?,?,?)", waiting, studied, agency)
    op = PEOPLE["operator"][0]
    n_op, n_ag = len(reminders_to(srv, op)), len(reminders_to(srv, AGENCY))
    run_reminders(srv)
    assert len(reminders_to(srv, op)) == n_op  # 6 days: not yet
    srv.sql("UPDATE heat_requests SET updated_at=updated_at-2*86400 WHERE id IN (?,?,?)", waiting, studied, agency)
    run_reminders(srv)
    mails = reminders_to(srv, op)
    assert len(mails) == n_op + 1, mails
    body = mails[-1][1]
    assert "/operateur/demandes/%d" % waiting in body and "7 rue de la Relance" in body
    assert "8 rue de la Relance" not in body  # in study: not waiting for the operator
    assert "plus de 7 jours" in body
    assert any("9 rue de la Relance" in b for _, b in reminders_to(srv, AGENCY)[n_ag:])
    assert srv.sql1("SELECT reminded_at IS NOT NULL FROM heat_requests WHERE id=?", waiting) == 1
    assert srv.sql1("SELECT count(*) FROM heat_request_history WHERE request_id=? AND kind='reminder'", waiting) == 1
    # Idempotent: another run in the same period sends nothing.
    run_reminders(srv)
    assert len(reminders_to(srv, op)) == n_op + 1
    # Seven more days without action: one more reminder.
    srv.sql("UPDATE heat_requests SET updated_at=updated_at-7*86400, reminded_at=reminded_at-7*86400 WHERE id=?",
            waiting)
    run_reminders(srv)
    assert len(reminders_to(srv, op)) == n_op + 2
    assert srv.sql1("SELECT count(*) FROM heat_request_history WHERE request_id=? AND kind='reminder'", waiting) == 2
    a = as_(srv, "operator")
    assert "Relance envoyée" in html.unescape(a.get("/operateur/demandes/%d" % waiting).text)
    # An action (a status change) stops the reminders.
    srv.sql("UPDATE heat_requests SET reminded_at=reminded_at-30*86400, updated_at=updated_at-30*86400 WHERE id=?",
            waiting)
    a.get("/operateur/demandes/%d" % waiting)
    assert a.post("/operateur/demandes/%d/statut" % waiting, {"statut": "attente", "commentaire": "On vous rappelle."}).status == 303
    run_reminders(srv)
    assert len(reminders_to(srv, op)) == n_op + 2


def test_reminder_goes_to_the_operator_organisation(srv):
    rid = add_request(srv, "1703C", "relance-org@exemple.fr", address="3 rue de l'Organisation", days_ago=10)
    run_reminders(srv)
    mails = reminders_to(srv, PEOPLE["operator_org"][0])
    assert mails and "/operateur/demandes/%d" % rid in mails[-1][1]
    assert not reminders_to(srv, PEOPLE["org_no_role"][0])  # a member without the operator role is not told


# ------------------------------------------------------------------ scope

def test_scope_by_organisation(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='relance-org@exemple.fr'")
    o = as_(srv, "operator_org")
    assert rid in ids_in(o.get("/operateur/demandes").text)
    assert o.get("/operateur/demandes/%d" % rid).status == 200
    a = as_(srv, "operator")
    assert a.get("/operateur/demandes/%d" % rid).status == 404
    assert rid not in ids_in(a.get("/operateur/demandes?q=%d" % rid).text)
    assert as_(srv, "org_no_role").get("/operateur/demandes/%d" % rid).status == 403


def test_permissions_of_every_new_route(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")  # 1701C
    gets = ["/operateur/demandes.csv", "/operateur/demandes.xlsx", "/operateur/demandes?statut=attente",
            "/operateur/demandes/%d?modele=contact" % rid]
    post = "/operateur/demandes/%d/message" % rid
    n = len(srv.mails("table-a@exemple.fr"))
    anon = srv.client()
    for path in gets:
        assert anon.get(path).status in (303, 401), path
    anon.get("/eligibilite")
    assert anon.post(post, {"objet": "x", "message": "y"}).status in (303, 401)
    ap = as_(srv, "applicant")
    for path in gets:
        assert ap.get(path).status == 403, path
    assert ap.post(post, {"objet": "x", "message": "y"}).status == 403
    b = as_(srv, "operator_b")  # an operator, but of another network
    assert b.get("/operateur/demandes/%d?modele=contact" % rid).status == 404
    b.get("/operateur/demandes")
    assert b.post(post, {"objet": "Piraté", "message": "y"}).status == 404
    assert b.post("/operateur/demandes/999999/message", {"objet": "x", "message": "y"}).status == 404
    ta = as_(srv, "territory_admin")
    for path in gets:
        assert ta.get(path).status == 200, path
    assert len(srv.mails("table-a@exemple.fr")) == n


# -------------------------------------------------------------------- API

def test_api_list_with_cursor_and_filters(srv):
    tok = srv.token(PEOPLE["operator"][0], "CRM")
    mine = set(x for (x,) in srv.sql("SELECT r.id FROM heat_requests r JOIN heat_networks n ON n.id=r.network_id"
                                     " WHERE n.sncu_id='1701C'"))
    seen, cursor, pages = [], None, 0
    while True:
        q = {"limit": 25}
        if cursor:
            q["cursor"] = cursor
        r = srv.api("GET", "/api/v1/heat/requests?" + urllib.parse.urlencode(q), tok)
        assert r.status == 200, r
        j = r.json()
        assert len(j["requests"]) <= 25
        seen += [x["id"] for x in j["requests"]]
        pages += 1
        cursor = j["next_cursor"]
        if not cursor:
            break
    assert pages >= 3 and len(seen) == len(set(seen)) and set(seen) == mine  # every one, once, and only these
    one = r.json()["requests"][-1] if r.json()["requests"] else None
    keys = {"id", "created_at", "updated_at", "status", "status_label", "network", "address", "commune", "applicant",
            "eligibility", "distance_m", "energy", "heating_mode", "dwellings", "comment"}
    assert one is None or keys <= set(one), one
    # Filters.
    r = srv.api("GET", "/api/v1/heat/requests?status=etude&limit=200", tok)
    assert r.status == 200 and r.json()["requests"] and all(x["status"] == "etude" for x in r.json()["requests"])
    r = srv.api("GET", "/api/v1/heat/requests?network=1704C", tok)
    assert r.json()["requests"] == []  # another network: nothing, even asked by name
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")
    srv.sql("UPDATE heat_requests SET updated_at=strftime('%s','now')+100 WHERE id=?", rid)
    since = int(time.time()) + 50
    for value in (str(since), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))):
        r = srv.api("GET", "/api/v1/heat/requests?updated_since=" + value, tok)
        assert [x["id"] for x in r.json()["requests"]] == [rid], (value, r.json())
    for q in ("status=perdu", "updated_since=hier", "limit=0", "limit=201", "cursor=abc", "cursor=12"):
        r = srv.api("GET", "/api/v1/heat/requests?" + q, tok)
        assert r.status == 400 and r.json()["error"], (q, r)


def test_api_get_one_and_scope(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")  # 1701C
    tok_a = srv.token(PEOPLE["operator"][0])
    tok_b = srv.token(PEOPLE["operator_b"][0])
    r = srv.api("GET", "/api/v1/heat/requests/%d" % rid, tok_a)
    assert r.status == 200, r
    j = r.json()
    assert j["id"] == rid and j["network"] == {"id": "1701C", "name": "Villeneuve les Salines"}
    assert j["applicant"]["email"] == "table-a@exemple.fr" and j["applicant"]["last_name"] == "Zorro"
    assert [h["kind"] for h in j["history"]][:2] == ["status", "email"] and j["history"][0]["old_status"] is None
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", j["created_at"])
    # Operator B's token: 404 for A's request, and A's requests are not in its list.
    assert srv.api("GET", "/api/v1/heat/requests/%d" % rid, tok_b).status == 404
    listed = [x["id"] for x in srv.api("GET", "/api/v1/heat/requests?limit=200", tok_b).json()["requests"]]
    assert rid not in listed and listed
    assert all(srv.sql1("SELECT n.sncu_id FROM heat_requests r JOIN heat_networks n ON n.id=r.network_id"
                        " WHERE r.id=?", x) == "1704C" for x in listed)
    assert srv.api("GET", "/api/v1/heat/requests/999999", tok_a).status == 404
    # The territory administrator's token sees everything, an applicant's nothing.
    assert srv.api("GET", "/api/v1/heat/requests/%d" % rid, srv.token(PEOPLE["territory_admin"][0])).status == 200
    r = srv.api("GET", "/api/v1/heat/requests", srv.token(PEOPLE["applicant"][0]))
    assert r.status == 403 and r.json()["error"]
    for path in ("/api/v1/heat/requests", "/api/v1/heat/requests/%d" % rid):
        r = srv.api("GET", path)
        assert r.status == 401 and r.json()["error"], path


def test_api_status_update(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='table-a@exemple.fr'")
    tok = srv.token(PEOPLE["operator"][0])
    old = srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid)
    n = len(srv.mails("table-a@exemple.fr"))
    r = srv.api("POST", "/api/v1/heat/requests/%d/status" % rid, tok,
                {"status": "etude", "comment": "Étude de faisabilité lancée (CRM)."})
    assert r.status == 200, r
    j = r.json()
    assert j["status"] == "etude" and j["status_label"] == "Étude en cours"
    assert j["history"][-1]["comment"] == "Étude de faisabilité lancée (CRM)." and j["history"][-1]["by"] == PEOPLE["operator"][0]
    assert srv.sql("SELECT old_status, new_status, user_id FROM heat_request_history WHERE request_id=?"
                   " ORDER BY id DESC LIMIT 1", rid)[0] == (old, "etude", _ids["operator"])
    mails = srv.mails("table-a@exemple.fr")
    assert len(mails) == n + 1 and "Étude de faisabilité lancée (CRM)." in mails[0][1]
    assert srv.sql1("SELECT detail FROM audit WHERE action='heat.request.status' ORDER BY id DESC LIMIT 1") == \
        "%s → etude" % old
    # Bad input: JSON errors in French, nothing changed.
    for body, code in [({"status": "perdu"}, 422), ({"status": "etude"}, 422), ({"comment": "x"}, 422),
                       ({"status": "realise", "comment": 3}, 422), ({"status": "realise", "comment": "x" * 2001}, 422),
                       ([1, 2], 400), ("pas du json", 400)]:
        r = srv.api("POST", "/api/v1/heat/requests/%d/status" % rid, tok, body)
        assert r.status == code and r.json()["error"], (body, r)
    r = srv.api("POST", "/api/v1/heat/requests/%d/status" % rid, tok, headers={"Content-Type": "application/json"})
    assert r.status == 400
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid) == "etude"
    # Another network's operator, an applicant, no token: refused, nothing changed.
    r = srv.api("POST", "/api/v1/heat/requests/%d/status" % rid, srv.token(PEOPLE["operator_b"][0]), {"status": "abandonne"})
    assert r.status == 404
    r = srv.api("POST", "/api/v1/heat/requests/%d/status" % rid, srv.token(PEOPLE["applicant"][0]), {"status": "abandonne"})
    assert r.status == 403
    assert srv.api("POST", "/api/v1/heat/requests/%d/status" % rid, None, {"status": "abandonne"}).status == 401
    # A browser session without the form token is refused too (no CSRF by cookie).
    a = as_(srv, "operator")
    r = a.request("POST", "/api/v1/heat/requests/%d/status" % rid, body=b'{"status": "abandonne"}',
                  headers={"Content-Type": "application/json", "Origin": "http://evil.example"})
    assert r.status == 403
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid) == "etude"
    assert len(srv.mails("table-a@exemple.fr")) == n + 1
