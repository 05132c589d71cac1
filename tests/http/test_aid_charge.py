"""Charging data of funded points (issue #3, journey 9): the dossier's
organisation declares its points (IRVE statique CSV) once the dossier is
validated, then uploads sessions (CSV or API); every row is checked against
its Table Schema with a row-by-row report in French, on the page and as a
CSV; valid rows are kept; big files load in the background; summaries per
point, dossier and programme for the applicant and the instructors; other
organisations get 404 on every id route."""
import csv
import gzip
import html
import io
import os
import re
import time

from harness import ROOT

SERVER_CONFIG = {"login_max_per_ip": 1000}

FIX = os.path.join(ROOT, "tests", "fixtures", "irve")
NBSP = "\u00a0"

_orgs = {}
_clients = {}


def text_of(r):
    t = html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))
    return re.sub(r"\s+", " ", t.replace(NBSP, " ").replace("\u202f", " "))


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def org_of(srv, key):
    """An organisation with one member (the e-mail is key@exemple.fr)."""
    if key in _orgs:
        return _orgs[key]
    email = key + "@exemple.fr"
    uid = srv.add_user(email, "installer")
    now = int(time.time())
    siret = "%014d" % (73282932000074 + len(_orgs) * 10)
    srv.sql("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,"
            " created_at, updated_at) VALUES(?, 'Entreprise', ?, '1 quai Duperré', '17000', 'La Rochelle',"
            " ?, '0546000000', ?, ?)", siret, "Société " + key, email, now, now)
    org = srv.sql1("SELECT id FROM organisations WHERE siret=?", siret)
    srv.sql("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?, ?, 'owner', ?)", org, uid, now)
    _orgs[key] = (org, email)
    return _orgs[key]


def client(srv, key):
    c = _clients.get(key)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        email = org_of(srv, key)[1] if "@" not in key else key
        c.login(email)
        _clients[key] = c
    return c


def staff(srv, role):
    email = role + "-charge@exemple.fr"
    if not srv.sql1("SELECT id FROM users WHERE email=?", email):
        srv.add_user(email, role)
    return client(srv, email)


def programme(srv, name="Recharge ouverte au public"):
    pid = srv.sql1("SELECT id FROM aid_programmes WHERE name=?", name)
    if pid:
        return pid
    now = int(time.time())
    srv.sql("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, eligible_costs, opens_on, closes_on,"
            " created_at, updated_at) VALUES(?, 'voirie_publique', 5000, 60000, 'tout', '2024-01-01',"
            " '2099-12-31', ?, ?)", name, now, now)
    return srv.sql1("SELECT id FROM aid_programmes WHERE name=?", name)


_n = [0]


def dossier(srv, key, status="validee", prog=None):
    org = org_of(srv, key)[0]
    _n[0] += 1
    number = "AV-2026-%06d" % (900 + _n[0])
    now = int(time.time())
    srv.sql("INSERT INTO aid_dossiers(number, programme_id, org_id, status, points, cost_cents, amount_cents,"
            " created_at, updated_at) VALUES(?, ?, ?, ?, 10, 1000000, 300000, ?, ?)",
            number, prog or programme(srv), org, status, now, now)
    return srv.sql1("SELECT id FROM aid_dossiers WHERE number=?", number), number


def upload(c, path, data, name="donnees.csv"):
    c.get(path)
    return c.post(path, files={"fichier": (name, data, "text/csv")})


def import_id(r):
    assert r.status == 303, r
    m = re.match(r"^/aides/donnees/imports/(\d+)$", r.header("Location"))
    assert m, r.header("Location")
    return int(m.group(1))


def pdc_rows(n, skip=0, prefix="FX"):
    """The header and n rows of the Charente-Maritime IRVE statique extract,
    the two-letter prefix of their identifiers replaced (each organisation
    of these tests declares its own points; "FR": the real ones)."""
    rows = list(csv.reader(io.StringIO(fixture("pdc-dep17.csv").decode("utf-8"))))
    head = rows[0]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head)
    for row in rows[1 + skip:1 + skip + n]:
        for col in ("id_pdc_itinerance", "id_station_itinerance"):
            i = head.index(col)
            row[i] = prefix + row[i][2:]
        w.writerow(row)
    return out.getvalue().encode()


def pdc_ids(n, skip=0, prefix="FR"):
    rows = list(csv.DictReader(io.StringIO(pdc_rows(n, skip, prefix).decode())))
    return [r["id_pdc_itinerance"] for r in rows]


def sessions_csv(rows, header="id_pdc_itinerance,start,end,energy"):
    return (header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)).encode()


def consistent(srv):
    """The day tables add up to the sessions, and nothing is twice."""
    n, wh = srv.sql("SELECT count(*), coalesce(sum(energy_wh), 0) FROM aid_charge_sessions")[0]
    pd = srv.sql("SELECT coalesce(sum(sessions), 0), coalesce(sum(energy_wh), 0) FROM aid_charge_point_days")[0]
    dd = srv.sql("SELECT coalesce(sum(sessions), 0), coalesce(sum(energy_wh), 0) FROM aid_charge_dossier_days")[0]
    busy = srv.sql1("SELECT coalesce(sum(end_at - start_at), 0) FROM aid_charge_sessions")
    assert (n, wh) == pd == dd, (n, wh, pd, dd)
    assert srv.sql1("SELECT coalesce(sum(busy_s), 0) FROM aid_charge_point_days") == busy
    assert srv.sql1("SELECT coalesce(sum(busy_s), 0) FROM aid_charge_dossier_days") == busy
    return n


# ------------------------------------------------------------------ points

def test_points_upload_keeps_valid_rows_and_reports_the_others(srv):
    did, number = dossier(srv, "pose")
    c = client(srv, "pose")
    r = c.get("/aides/dossiers/%d/donnees" % did)
    assert r.status == 200 and "Déclarer les points de recharge" in r.text
    assert "Aucun point de recharge n’est encore déclaré" in r.text
    iid = import_id(upload(c, "/aides/dossiers/%d/donnees" % did, pdc_rows(30)))
    r = c.get("/aides/donnees/imports/%d" % iid)
    t = text_of(r)
    assert "Points nouveaux 30" in t and "Lignes refusées 0" in t, t
    assert "Aucune anomalie" in t
    assert srv.sql1("SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", did) == 30
    row = srv.sql("SELECT nom_station, lon, lat, puissance_nominale, prise_type_combo_ccs, date_maj, org_id"
                  " FROM aid_charge_points WHERE id_pdc_itinerance='FXPD1ESPOSSDTTN120021'")[0]
    assert row == ("Sport 2000 - Saint-Sauveur-d'Aunis", -0.872116, 46.226836, 120.0, 1, "2025-03-28",
                   org_of(srv, "pose")[0])
    # The dossier page lists them.
    r = c.get("/aides/dossiers/%d/donnees" % did)
    assert "FXPD1ESPOSSDTTN120021" in r.text and "120 kW" in text_of(r), text_of(r)
    # Uploaded again with one more point: 1 new, 30 updated, nothing twice.
    iid = import_id(upload(c, "/aides/dossiers/%d/donnees" % did, pdc_rows(31)))
    t = text_of(c.get("/aides/donnees/imports/%d" % iid))
    assert "Points nouveaux 1" in t and "Points mis à jour 30" in t, t
    assert srv.sql1("SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", did) == 31


def test_points_report_rule_by_rule(srv):
    did, _ = dossier(srv, "pose")
    c = client(srv, "pose")
    # The official example, row 2 made invalid (separators in the ids, negative power).
    iid = import_id(upload(c, "/aides/dossiers/%d/donnees" % did, fixture("exemple-invalide-statique.csv")))
    r = c.get("/aides/donnees/imports/%d" % iid)
    t = text_of(r)
    assert "Points nouveaux 1" in t and "Lignes refusées 1" in t, t
    assert "ligne 3, champ « id_pdc_itinerance »" in t and "ligne 3, champ « puissance_nominale »" in t
    assert "est inférieur au minimum 0" in t
    # The same point twice in a file; a point of another dossier of the same organisation.
    other, other_number = dossier(srv, "pose")
    rows = pdc_rows(2, skip=100).decode().splitlines(True)
    data = "".join(rows + rows[1:2]).encode()
    iid = import_id(upload(c, "/aides/dossiers/%d/donnees" % other, data))
    t = text_of(c.get("/aides/donnees/imports/%d" % iid))
    assert "ligne 4, champ « id_pdc_itinerance »" in t and "figure déjà à la ligne 2 du fichier" in t, t
    iid = import_id(upload(c, "/aides/dossiers/%d/donnees" % did, pdc_rows(1, skip=100)))
    t = text_of(c.get("/aides/donnees/imports/%d" % iid))
    assert "déjà déclaré dans votre demande N° %s" % other_number in t, t
    # Another organisation's point: refused without naming its dossier.
    d2, _ = dossier(srv, "autre")
    iid = import_id(upload(client(srv, "autre"), "/aides/dossiers/%d/donnees" % d2, pdc_rows(1, skip=100)))
    t = text_of(client(srv, "autre").get("/aides/donnees/imports/%d" % iid))
    assert "déjà déclaré par un autre bénéficiaire" in t and other_number not in t, t
    assert srv.sql1("SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", d2) == 0


def test_points_need_a_validated_dossier(srv):
    c = client(srv, "pose")
    for status in ("brouillon", "deposee", "en_instruction", "refusee", "annulee"):
        did, _ = dossier(srv, "pose", status)
        r = c.get("/aides/dossiers/%d/donnees" % did)
        assert r.status == 200 and "une fois la demande validée" in r.text and 'type="file"' not in r.text
        r = upload(c, "/aides/dossiers/%d/donnees" % did, pdc_rows(3, skip=200))
        assert r.status == 409 and "se déclarent une fois la demande validée" in r.text, (status, r)
        assert srv.sql1("SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", did) == 0
    for status in ("justificatifs", "versement", "versee"):
        did, _ = dossier(srv, "pose", status)
        assert import_id(upload(c, "/aides/dossiers/%d/donnees" % did, pdc_rows(1, skip=210 + len(status))))


def test_upload_form_errors(srv):
    did, _ = dossier(srv, "pose")
    c = client(srv, "pose")
    c.get("/aides/dossiers/%d/donnees" % did)
    r = c.post("/aides/dossiers/%d/donnees" % did, {})
    assert r.status == 422 and "Choisissez le fichier CSV" in r.text and 'aria-invalid="true"' in r.text
    r = upload(c, "/aides/dossiers/%d/donnees" % did, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv")
    assert r.status == 422 and "n’est pas un fichier CSV" in r.text
    r = upload(c, "/aides/donnees", b"\x00\x01\x02")
    assert r.status == 422 and "n’est pas un fichier CSV" in r.text
    assert srv.sql1("SELECT count(*) FROM aid_charge_imports WHERE dossier_id=?", did) == 0


# ---------------------------------------------------------------- sessions

def declared(srv, key="flotte", prefix="FR"):
    """An organisation whose validated dossier declares the 270 points."""
    did = srv.sql1("SELECT d.id FROM aid_dossiers d JOIN aid_charge_points p ON p.dossier_id=d.id"
                   " WHERE d.org_id=? GROUP BY d.id HAVING count(*) = 270", org_of(srv, key)[0])
    if not did:
        did, _ = dossier(srv, key)
        import_id(upload(client(srv, key), "/aides/dossiers/%d/donnees" % did, pdc_rows(270, prefix=prefix)))
        assert srv.sql1("SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", did) == 270
    return did


def test_sessions_errors_reported_and_valid_rows_kept(srv):
    declared(srv)
    c = client(srv, "flotte")
    before = srv.sql1("SELECT count(*) FROM aid_charge_sessions")
    iid = import_id(upload(c, "/aides/donnees", fixture("sessions-erreurs.csv"), "sessions-erreurs.csv"))
    r = c.get("/aides/donnees/imports/%d" % iid)
    assert r.status == 200
    t = text_of(r)
    assert "Sessions chargées 3" in t and "Lignes refusées 9" in t, t
    expect = [
        "en-tête : colonne absente : « id » ; ce champ facultatif restera vide",
        "ligne 4, champ « start » : « 2025-02-30T13:39:57Z » n'est pas une date et heure ISO 8601 valide",  # bad date
        "ligne 5, champ « energy » : « -3.5 » est inférieur au minimum 0",  # negative energy
        "ligne 6, champ « id_pdc_itinerance » : le point de recharge « FRZZZE0000000 » n’est déclaré dans aucune"
        " demande de votre organisation",  # unknown point
        "ligne 7, champ « start » : « 02/01/2025 13:39 »",  # not ISO
        "ligne 8, champ « end »",  # missing end
        "ligne 9, champ « id_pdc_itinerance »",  # bad identifier
        "ligne 10, champ « energy » : « douze »",
        "ligne 11 :",  # a missing cell
        "ligne 12, champ « energy » : « 1500 » est supérieur au maximum 1000",
    ]
    for e in expect:
        assert e in t, (e, t)
    # Lines, fields, values and rules in the table too.
    assert re.search(r"<td>6</td><td>id_pdc_itinerance</td><td><code>FRZZZE0000000</code></td>"
                     r"<td>point-inconnu</td>", r.text)
    assert srv.sql1("SELECT count(*) FROM aid_charge_sessions") == before + 3
    # The report as a spreadsheet.
    r = c.get("/aides/donnees/imports/%d/rapport.csv" % iid)
    assert r.status == 200 and r.header("Content-Type").startswith("text/csv")
    assert "attachment" in r.header("Content-Disposition")
    body = r.body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == ["ligne", "champ", "valeur", "règle", "message"]
    assert ["5", "energy", "'-3.5", "minimum"] != rows[3][:4]  # a number is not a formula
    by_line = {row[0]: row for row in rows[1:]}
    assert by_line["5"][1:4] == ["energy", "-3.5", "minimum"]
    assert by_line["6"][3] == "point-inconnu" and "FRZZZE0000000" in by_line["6"][4]
    assert len(rows) == 11
    consistent(srv)


def test_sessions_checks_of_our_own(srv):
    declared(srv)
    c = client(srv, "flotte")
    p = pdc_ids(3)
    rows = [
        (p[0], "2025-03-01T10:00:00+01:00", "2025-03-01T09:00:00+01:00", "5"),   # end before start
        (p[0], "2025-03-01T10:00:00+01:00", "2025-04-15T10:00:00+02:00", "5"),   # 45 days
        (p[0], "2099-01-01T10:00:00Z", "2099-01-01T11:00:00Z", "5"),             # in the future
        (p[1], "2025-03-02T10:00:00+01:00", "2025-03-02T10:30:00+01:00", "7.25"),  # valid
    ]
    iid = import_id(upload(c, "/aides/donnees", sessions_csv(rows)))
    t = text_of(c.get("/aides/donnees/imports/%d" % iid))
    assert "Sessions chargées 1" in t and "Lignes refusées 3" in t, t
    assert "ligne 2, champ « end » : la fin (2025-03-01T08:00:00Z) est antérieure au début (2025-03-01T09:00:00Z)" in t
    assert "ligne 3, champ « end » : la session dure plus de 31 jours" in t
    assert "ligne 4, champ « start » : la session commence dans le futur" in t
    # Missing columns: nothing can load, and the report says which.
    iid = import_id(upload(c, "/aides/donnees", sessions_csv([(p[0], "2025-03-01T10:00:00Z")],
                                                            "id_pdc_itinerance,start")))
    r = c.get("/aides/donnees/imports/%d" % iid)
    t = text_of(r)
    assert "colonnes absentes : « id », « end », « energy » ; « end », « energy » obligatoires" in t, t
    assert "n’a pas pu être lu jusqu’au bout" in t and "Sessions chargées 0" in t
    # A cancelled dossier's points take no more sessions.
    did, number = dossier(srv, "flotte")
    import_id(upload(c, "/aides/dossiers/%d/donnees" % did, pdc_rows(1, prefix="FQ")))
    srv.sql("UPDATE aid_dossiers SET status='annulee' WHERE id=?", did)
    iid = import_id(upload(c, "/aides/donnees", sessions_csv(
        [(pdc_ids(1, prefix="FQ")[0], "2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", "3")])))
    t = text_of(c.get("/aides/donnees/imports/%d" % iid))
    assert "relève de la demande N° %s, « Annulée » : elle ne reçoit plus de données" % number in t, t
    consistent(srv)


def test_same_sessions_twice_count_once(srv):
    declared(srv)
    c = client(srv, "flotte")
    data = fixture("sessions-dep17.csv")
    before = srv.sql1("SELECT count(*) FROM aid_charge_sessions")
    a = import_id(upload(c, "/aides/donnees", data))
    b = import_id(upload(c, "/aides/donnees", data))
    got = {row[0]: row[1:] for row in srv.sql("SELECT id, rows_loaded, rows_known, rows_rejected, status"
                                                 " FROM aid_charge_imports WHERE id IN (?, ?)", a, b)}
    # Its first session came with sessions-erreurs.csv already.
    assert got[a] == (199, 1, 0, "done") and got[b] == (0, 200, 0, "done"), got
    assert srv.sql1("SELECT count(*) FROM aid_charge_sessions") == before + 199
    t = text_of(c.get("/aides/donnees/imports/%d" % b))
    assert "Déjà connues (ignorées) 200" in t
    # The first session of the file, stored as integers.
    pid = srv.sql1("SELECT id FROM aid_charge_points WHERE id_pdc_itinerance='FRIOYE462801'")
    assert srv.sql("SELECT end_at - start_at, energy_wh FROM aid_charge_sessions WHERE point_id=? AND start_at=?",
                   pid, 1735914658) == [(533, 17746)]
    consistent(srv)


def test_big_upload_goes_through_the_job(srv):
    declared(srv)
    c = client(srv, "flotte")
    points = pdc_ids(270)
    rows = []
    t0 = 1735689600  # 2025-01-01T00:00:00Z
    for i in range(20000):
        start = t0 + i * 1800
        rows.append((points[i % 270], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
                     time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + 1500 + i % 7 * 600)),
                     "%d.%03d" % (i % 60, i % 1000)))
    rows.append(("FRZZZE0000000", "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z", "1"))
    data = sessions_csv(rows)
    assert len(data) > 1 << 20
    before = srv.sql1("SELECT count(*) FROM aid_charge_sessions")
    r = upload(c, "/aides/donnees", data, "gros.csv")
    iid = import_id(r)
    deadline = time.time() + 60
    while time.time() < deadline:
        page = c.get("/aides/donnees/imports/%d" % iid)
        assert page.status == 200
        if "en cours" not in page.text and "en attente" not in page.text:
            break
        assert page.header("Refresh") == "2" and "<progress" in page.text
        time.sleep(0.3)
    t = text_of(page)
    assert "Sessions chargées 20000" in t and "Lignes refusées 1" in t, t
    assert "ligne 20002, champ « id_pdc_itinerance »" in t
    assert page.header("Refresh") is None
    assert srv.sql1("SELECT count(*) FROM aid_charge_sessions") == before + 20000
    assert srv.sql1("SELECT status, bytes_read = size FROM aid_charge_imports WHERE id=?", iid) == "done"
    assert not os.path.exists(os.path.join(srv.dir, "charge", "import-%d.csv" % iid))
    consistent(srv)
    # Gzip is read as such.
    gz = gzip.compress(sessions_csv([(points[5], "2025-06-01T08:00:00Z", "2025-06-01T09:00:00Z", "10")]))
    iid = import_id(upload(c, "/aides/donnees", gz, "une.csv.gz"))
    assert srv.sql("SELECT rows_loaded, status FROM aid_charge_imports WHERE id=?", iid) == [(1, "done")]


# --------------------------------------------------------------- summaries

def test_summaries_for_the_applicant_and_the_instructors(srv):
    did = declared(srv)
    c = client(srv, "flotte")
    r = c.get("/aides/dossiers/%d/donnees" % did)
    assert r.status == 200
    assert "<svg" in r.text and r.text.count('<rect class="bar"') >= 2, r.text[r.text.find("<svg"):][:3000]
    assert "Occupation par semaine" in r.text and "<title>semaine du" in r.text
    t = text_of(r)
    assert re.search(r"Sessions [0-9 ]+ Énergie délivrée [0-9 ]+,[0-9] kWh", t), t
    r = c.get("/aides/dossiers/%d/donnees?par=jour" % did)
    assert "Occupation par jour" in r.text and r.text.count('<rect class="bar"') <= 62
    # One point: 2 sessions of the fixture, whose figures add up.
    pid = srv.sql1("SELECT id FROM aid_charge_points WHERE id_pdc_itinerance='FRIOYE462801'")
    n, wh = srv.sql("SELECT count(*), sum(energy_wh) FROM aid_charge_sessions WHERE point_id=?", pid)[0]
    r = c.get("/aides/dossiers/%d/donnees/points/%d" % (did, pid))
    assert r.status == 200 and "FRIOYE462801" in r.text
    t = text_of(r)
    assert "Sessions %d " % n in t, t
    # Instructors: the dossier, the point, the programme with its dossiers.
    ins = staff(srv, "instructor")
    r = ins.get("/instruction/dossiers/%d/donnees" % did)
    assert r.status == 200 and "Société flotte" in r.text and "<svg" in r.text
    assert ins.get("/instruction/dossiers/%d/donnees/points/%d" % (did, pid)).status == 200
    prog = srv.sql1("SELECT programme_id FROM aid_dossiers WHERE id=?", did)
    r = ins.get("/instruction/programmes/%d/donnees" % prog)
    assert r.status == 200 and 'id="dossier-%d"' % did in r.text and "<svg" in r.text
    sessions = srv.sql1("SELECT sum(dd.sessions) FROM aid_charge_dossier_days dd JOIN aid_dossiers d"
                        " ON d.id=dd.dossier_id WHERE d.programme_id=?", prog)
    assert ("Sessions %s " % format(sessions, ",").replace(",", " ")) in text_of(r)
    # The organisation's page lists the dossier with its figures.
    r = c.get("/aides/donnees")
    assert r.status == 200 and 'id="dossier-%d"' % did in r.text


def test_links_to_the_charging_data(srv):
    """The instructor's dossier page links to its charging data when the
    dossier has points or takes them (validated and after); the programme
    pages of the back office link to the programme's."""
    ins = staff(srv, "instructor")

    def dossier_page(did):
        r = ins.get("/instruction/dossiers/%d" % did)
        assert r.status == 200, r
        return r

    waiting, _ = dossier(srv, "liens", status="deposee")
    assert 'id="lien-donnees"' not in dossier_page(waiting).text
    validated, _ = dossier(srv, "liens")
    r = dossier_page(validated)
    assert re.search(r'<a href="/instruction/dossiers/%d/donnees" id="lien-donnees">' % validated, r.text), r.text
    assert "Données de charge (0 point(s) déclaré(s))" in text_of(r)
    assert ins.get("/instruction/dossiers/%d/donnees" % validated).status == 200
    # Cancelled after declaring its points: they stay, and so does the link.
    cancelled, _ = dossier(srv, "liens")
    import_id(upload(client(srv, "liens"), "/aides/dossiers/%d/donnees" % cancelled, pdc_rows(2, prefix="LK")))
    srv.sql("UPDATE aid_dossiers SET status='annulee' WHERE id=?", cancelled)
    r = dossier_page(cancelled)
    assert 'href="/instruction/dossiers/%d/donnees" id="lien-donnees"' % cancelled in r.text
    assert "(2 point(s) déclaré(s))" in text_of(r)
    # The programme, from the dossier page, the filtered work list and the admin pages.
    prog = programme(srv)
    href = 'href="/instruction/programmes/%d/donnees"' % prog
    assert href in r.text
    assert href in ins.get("/instruction?programme=%d" % prog).text
    assert "lien-donnees-programme" not in ins.get("/instruction").text
    admin = staff(srv, "territory_admin")
    assert href in admin.get("/admin/programmes").text
    assert href in admin.get("/admin/programmes/%d" % prog).text
    r = admin.get("/instruction/programmes/%d/donnees" % prog)
    assert r.status == 200 and 'id="dossier-%d"' % cancelled in r.text


# -------------------------------------------------------------- permissions

def test_every_id_route_is_the_organisations_own(srv):
    did = declared(srv)
    owner = client(srv, "flotte")
    pid = srv.sql1("SELECT id FROM aid_charge_points WHERE dossier_id=? LIMIT 1", did)
    iid = srv.sql1("SELECT max(id) FROM aid_charge_imports WHERE org_id=?", org_of(srv, "flotte")[0])
    gets = ["/aides/dossiers/%d/donnees" % did, "/aides/dossiers/%d/donnees/points/%d" % (did, pid),
            "/aides/donnees/imports/%d" % iid, "/aides/donnees/imports/%d/rapport.csv" % iid]
    for path in gets:
        assert owner.get(path).status == 200, path
    # Another organisation: 404, as for what does not exist.
    other = client(srv, "intrus")
    for path in gets:
        assert other.get(path).status == 404, path
    n = srv.sql1("SELECT count(*) FROM aid_charge_points")
    r = upload(other, "/aides/dossiers/%d/donnees" % did, pdc_rows(1, skip=150))
    assert r.status == 404
    assert srv.sql1("SELECT count(*) FROM aid_charge_points") == n
    # A point of another dossier through one's own dossier: 404.
    own, _ = dossier(srv, "intrus")
    assert other.get("/aides/dossiers/%d/donnees/points/%d" % (own, pid)).status == 404
    # Unknown ids.
    for path in ("/aides/dossiers/999999/donnees", "/aides/donnees/imports/999999",
                 "/aides/dossiers/%d/donnees/points/999999" % did, "/aides/dossiers/abc/donnees"):
        assert owner.get(path).status == 404, path
    # A user without an organisation: no form, and a POST is refused.
    srv.add_user("seul-charge@exemple.fr", "applicant")
    alone = client(srv, "seul-charge@exemple.fr")
    r = alone.get("/aides/donnees")
    assert r.status == 200 and "aucune entreprise" in r.text and 'type="file"' not in r.text
    assert upload(alone, "/aides/donnees", fixture("sessions-dep17.csv")).status == 403
    for path in gets:
        assert alone.get(path).status == 404, path
    # Anonymous visitors go to the login page.
    anon = srv.client()
    for path in gets + ["/aides/donnees"]:
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), path
    # The instructors' pages need aid.review.
    prog = srv.sql1("SELECT programme_id FROM aid_dossiers WHERE id=?", did)
    review = ["/instruction/dossiers/%d/donnees" % did, "/instruction/dossiers/%d/donnees/points/%d" % (did, pid),
              "/instruction/programmes/%d/donnees" % prog]
    for path in review:
        assert owner.get(path).status == 403, path
        assert staff(srv, "instructor").get(path).status == 200, path
        assert staff(srv, "territory_admin").get(path).status == 200, path
    ins = staff(srv, "instructor")
    for path in ("/instruction/dossiers/999999/donnees", "/instruction/programmes/999999/donnees",
                 "/instruction/dossiers/%d/donnees/points/%d" % (own, pid)):
        assert ins.get(path).status == 404, path
    # Without the form token, an upload is refused.
    r = owner.post("/aides/donnees", {"_csrf": "x"}, files={"fichier": ("a.csv", b"a,b\n", "text/csv")})
    assert r.status == 403


# ---------------------------------------------------------------------- API

def test_api_sessions_and_points_with_a_token(srv):
    did = declared(srv, "api", "FA")
    number = srv.sql1("SELECT number FROM aid_dossiers WHERE id=?", did)
    tok = srv.token(org_of(srv, "api")[1])
    p = pdc_ids(2, prefix="FA")
    body = [
        {"id_pdc_itinerance": p[0], "start": "2025-05-01T08:00:00+02:00", "end": "2025-05-01T09:30:00+02:00",
         "energy": 21.5},
        {"id_pdc_itinerance": p[1], "start": "2025-05-01T23:00:00Z", "end": "2025-05-02T01:00:00Z", "energy": 12},
    ]
    before = srv.sql1("SELECT count(*) FROM aid_charge_sessions")
    r = srv.api("POST", "/api/v1/aides/sessions", tok, body)
    assert r.status == 200, r
    j = r.json()
    assert (j["rows"], j["loaded"], j["known"], j["rejected"], j["issues"]) == (2, 2, 0, 0, [])
    assert srv.sql1("SELECT count(*) FROM aid_charge_sessions") == before + 2
    assert srv.sql1("SELECT source FROM aid_charge_imports WHERE id=?", j["import"]) == "api"
    # Again, with errors: the same validation, indexes instead of lines.
    body2 = body + [
        {"id_pdc_itinerance": p[0], "start": "2025-05-03T08:00:00Z", "end": "2025-05-03T07:00:00Z", "energy": 3},
        {"id_pdc_itinerance": p[0], "start": "2025-05-04T08:00:00Z", "end": "2025-05-04T09:00:00Z", "energy": -1},
        {"id_pdc_itinerance": "FRZZZE0000000", "start": "2025-05-04T08:00:00Z", "end": "2025-05-04T09:00:00Z",
         "energy": 1},
        {"id_pdc_itinerance": p[1], "start": "hier", "end": "2025-05-04T09:00:00Z", "energy": 1, "energie": 2},
        "pas un objet",
        {"id_pdc_itinerance": p[1], "start": "2025-05-05T08:00:00Z", "end": "2025-05-05T09:00:00Z", "energy": 4},
    ]
    r = srv.api("POST", "/api/v1/aides/sessions", tok, body2)
    assert r.status == 422, r
    j = r.json()
    assert (j["rows"], j["loaded"], j["known"], j["rejected"]) == (8, 1, 2, 5), j
    by = {}
    for e in j["issues"]:
        by.setdefault(e["index"], []).append(e)
    assert by[2][0]["rule"] == "fin-avant-debut" and by[2][0]["message"].startswith("élément 2, champ « end »")
    assert by[3][0]["rule"] == "minimum" and by[3][0]["field"] == "energy"
    assert by[4][0]["rule"] == "point-inconnu"
    assert by[5][0]["field"] == "start" and by[5][0]["value"] == "hier"
    assert {e["rule"] for e in by[6]} == {"required"}
    assert any(e["rule"] == "extra-label" and "energie" in e["value"] for e in by[None]), by[None]
    # Another organisation's token: every session refused, nothing loaded.
    n = srv.sql1("SELECT count(*) FROM aid_charge_sessions")
    intrus = srv.token(org_of(srv, "intrus-api")[1])
    r = srv.api("POST", "/api/v1/aides/sessions", intrus, [dict(body[0], start="2025-06-01T08:00:00Z")])
    assert r.status == 422 and r.json()["loaded"] == 0 and r.json()["issues"][0]["rule"] == "point-inconnu"
    assert srv.sql1("SELECT count(*) FROM aid_charge_sessions") == n
    # Points: only on one's own dossier.
    rows = list(csv.DictReader(io.StringIO(pdc_rows(2, skip=0, prefix="FA").decode())))
    point = {k: v for k, v in rows[0].items() if v != ""}
    point["coordonneesXY"] = [-0.872116, 46.226836]
    point["puissance_nominale"] = 150
    for k in ("prise_type_ef", "prise_type_2", "prise_type_chademo", "prise_type_autre", "reservation",
              "station_deux_roues", "gratuit", "paiement_cb"):
        if k in point:
            point[k] = point[k] == "True"
    r = srv.api("POST", "/api/v1/aides/dossiers/%s/points" % number, tok, [point])
    assert r.status == 200 and r.json()["known"] == 1, r
    assert srv.sql1("SELECT puissance_nominale FROM aid_charge_points WHERE id_pdc_itinerance=?",
                    point["id_pdc_itinerance"]) == 150.0
    r = srv.api("POST", "/api/v1/aides/dossiers/%s/points" % number, intrus, [point])
    assert r.status == 404 and "error" in r.json()
    assert srv.api("POST", "/api/v1/aides/dossiers/AV-0000-000000/points", tok, [point]).status == 404
    closed, closed_number = dossier(srv, "api", "deposee")
    r = srv.api("POST", "/api/v1/aides/dossiers/%s/points" % closed_number, tok, [point])
    assert r.status == 409 and "Déposée" in r.json()["error"]
    # Malformed or oversized bodies.
    assert srv.api("POST", "/api/v1/aides/sessions", tok, {"pas": "un tableau"}).status == 400
    assert srv.api("POST", "/api/v1/aides/sessions", tok, b"[{").status == 400
    r = srv.api("POST", "/api/v1/aides/sessions", tok, [{}] * 10001)
    assert r.status == 413
    assert srv.api("POST", "/api/v1/aides/sessions", None, body).status == 401
    consistent(srv)


def test_programme_page_lists_its_dossiers_by_pages(srv):
    """A programme with thousands of funded dossiers: its charging page shows
    them 100 at a time, not all at once."""
    prog = programme(srv, "Programme à pages")
    org = org_of(srv, "flotte")[0]
    now = int(time.time())
    ids = []
    for i in range(101):
        did, _ = dossier(srv, "flotte", prog=prog)
        ids.append(did)
        srv.sql("INSERT INTO aid_charge_points(id_pdc_itinerance, dossier_id, org_id, id_station_itinerance,"
                " nom_station, contact_operateur, nom_enseigne, implantation_station, adresse_station, lon, lat,"
                " nbre_pdc, puissance_nominale, prise_type_ef, prise_type_2, prise_type_combo_ccs,"
                " prise_type_chademo, prise_type_autre, paiement_acte, condition_acces, reservation, horaires,"
                " accessibilite_pmr, date_maj, created_at, updated_at) VALUES(?, ?, ?, 'FRPAGE', 'Station',"
                " 'c@exemple.fr', 'Enseigne', 'Voirie', '1 rue', -1.15, 46.16, 1, 22, 0, 1, 0, 0, 0, 1,"
                " 'Accès libre', 0, '24/7', 'Accessible mais non réservé PMR', '2026-01-01', ?, ?)",
                "FRPAGEE%05d" % i, did, org, now, now)
    c = staff(srv, "instructor")
    r = c.get("/instruction/programmes/%d/donnees" % prog)
    assert r.status == 200, r
    assert r.text.count('id="dossier-') == 100 and "Page 1 sur 2" in text_of(r)
    assert 'id="dossier-%d"' % ids[0] in r.text and 'id="dossier-%d"' % ids[-1] not in r.text
    r = c.get("/instruction/programmes/%d/donnees?page=2" % prog)
    assert r.text.count('id="dossier-') == 1 and 'id="dossier-%d"' % ids[-1] in r.text
