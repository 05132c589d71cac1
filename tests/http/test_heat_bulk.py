"""Bulk eligibility (issue #4, item 7): a CSV of addresses uploaded at
/eligibilite/en-masse, answered row by row by the heat.bulk job, the result
downloaded as CSV. A good file in each layout (adresse; numero/voie/
code_postal/commune in Windows-1252 with commas; lon/lat), bad rows, refused
files (no address column, too many rows, not CSV, too big), another user's
file, the progress states, a file answered over several job runs, and the
purge of old files.

The territory is test_heat.py's: La Rochelle's networks, communes and the
"Rue des Essais" addresses, whose distances are in tests/fixtures/heat/
SOURCES.md."""
import csv
import html
import io
import os
import re
import time

from harness import ROOT, raw_request

SERVER_CONFIG = {"login_max_per_ip": 1000}

GEO = os.path.join(ROOT, "tests", "fixtures", "geo")
HEAT = os.path.join(ROOT, "tests", "fixtures", "heat")
PRO = "bureau-etudes@exemple.fr"
OTHER = "voisin@exemple.fr"
ADMIN = "bulk-territoire@exemple.fr"
OUT_COLS = ["eligibilite", "resultat", "distance_m", "reseau_id", "reseau_nom", "geocodage_score",
            "geocodage_adresse", "erreur"]
_clients = {}


def as_(srv, email):
    c = _clients.get(email)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(email)
        _clients[email] = c
    return c


def upload(c, data, name="parc.csv", ctype="text/csv"):
    c.get("/eligibilite/en-masse")
    return c.post("/eligibilite/en-masse", {}, files={"fichier": (name, data, ctype)})


def bulk_id(r):
    assert r.status == 303, r
    m = re.search(r"/eligibilite/en-masse/(\d+)$", r.header("Location"))
    assert m, r.header("Location")
    return int(m.group(1))


def wait_done(srv, bid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = srv.sql1("SELECT status FROM heat_bulk WHERE id=?", bid)
        if st in ("done", "failed"):
            return st
        time.sleep(0.1)
    raise AssertionError("file %d not answered in %d s" % (bid, timeout))


def result(c, bid, sep=";"):
    r = c.get("/eligibilite/en-masse/%d/resultat.csv" % bid)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("text/csv")
    assert r.body.startswith(b"\xef\xbb\xbf")  # spreadsheets read the accents
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"), newline=""), delimiter=sep))
    return r, rows


def as_dicts(rows):
    return [dict(zip(rows[0], row)) for row in rows[1:]]


# ------------------------------------------------------------------ set-up

def test_load_territory(srv):
    for email, role in [(PRO, "applicant"), (OTHER, "applicant"), (ADMIN, "territory_admin")]:
        srv.add_user(email, role)
    c = as_(srv, ADMIN)
    c.get("/admin/reseaux")
    with open(os.path.join(GEO, "reseaux_la_rochelle.geojson"), "rb") as f:
        r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto", "remplacer": "oui"},
                   files={"fichier": ("reseaux.geojson", f.read(), "application/geo+json")})
    assert r.status == 200 and "3 importés sur 3" in r.text, r
    res = srv.cli("import", "geojson", "communes", os.path.join(GEO, "communes_la_rochelle.geojson"), "--id", "code")
    assert res.returncode == 0, res.stdout + res.stderr
    res = srv.cli("import", "addresses", os.path.join(HEAT, "adresses-essais-la-rochelle.csv"))
    assert res.returncode == 0, res.stdout + res.stderr


# -------------------------------------------------------------- permissions

def test_needs_an_account(srv):
    c = srv.client()
    r = c.get("/eligibilite/en-masse")
    assert r.status == 303 and "/connexion" in r.header("Location")
    r = c.post("/eligibilite/en-masse", {}, files={"fichier": ("a.csv", b"adresse\n1 Rue des Essais\n", "text/csv")})
    assert r.status in (303, 403), r
    assert srv.sql1("SELECT count(*) FROM heat_bulk") == 0
    # The public page points to it.
    assert 'href="/eligibilite/en-masse"' in c.get("/eligibilite").text


def test_form_page(srv):
    r = as_(srv, PRO).get("/eligibilite/en-masse")
    assert r.status == 200
    t = html.unescape(r.text)
    assert 'type="file"' in r.text and 'enctype="multipart/form-data"' in r.text
    assert "« numero », « voie », « code_postal » et « commune »" in t and "Aucun fichier déposé." in t


# ----------------------------------------------------------------- good files

GOOD = ("\ufeffref;adresse;lon;lat\r\n"
        "B1;1 Rue des Essais La Rochelle;;\r\n"
        "B2;2 rue des essais 17000 la rochelle;;\r\n"
        "B3;3 Rue des Essais La Rochelle;;\r\n"
        "B4;5 Rue des Essais La Rochelle;;\r\n"
        "B5;1 Rue des Essais Puilboreau;;\r\n"
        "B6;;-1,140582;46,158759\r\n"
        "B7;\"Rue des Essais; La Rochelle\";;\r\n")


def test_good_file_semicolons_utf8(srv):
    c = as_(srv, PRO)
    r = upload(c, GOOD.encode("utf-8"), name="Parc 2026.csv")
    bid = bulk_id(r)
    assert srv.sql("SELECT encoding, sep, rows_total, user_id FROM heat_bulk WHERE id=?", bid)[0] == \
        ("utf-8", ";", 7, srv.sql1("SELECT id FROM users WHERE email=?", PRO))
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='heat.bulk.create' AND object=?",
                    "heat_bulk:%d" % bid) == 1
    assert wait_done(srv, bid) == "done"
    r, rows = result(c, bid)
    assert "Parc%202026-eligibilite.csv" in r.header("Content-Disposition")
    assert rows[0] == ["ref", "adresse", "lon", "lat"] + OUT_COLS
    d = as_dicts(rows)
    assert [x["ref"] for x in d] == ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]  # every row, in order
    assert [x["eligibilite"] for x in d] == ["tres_proche", "proche", "loin", "dans_commune", "aucun",
                                             "tres_proche", "loin"]
    b1 = d[0]
    assert b1["distance_m"] == "39" and b1["reseau_id"] == "1701C" and b1["reseau_nom"] == "Villeneuve les Salines"
    assert b1["resultat"].startswith("Un réseau de chaleur passe très près")
    assert b1["geocodage_adresse"].startswith("1 Rue des Essais") and b1["erreur"] == ""
    assert re.fullmatch(r"[01],\d\d", b1["geocodage_score"]), b1  # decimal comma beside ';'
    assert d[1]["distance_m"] == "147" and d[2]["distance_m"] == "420" and d[3]["distance_m"] == "1471"
    assert d[4]["reseau_id"] == ""
    # Coordinates: no geocoding, same answer as the address; the input's cells come back untouched.
    assert d[5]["distance_m"] == "39" and d[5]["geocodage_score"] == "" and d[5]["geocodage_adresse"] == ""
    assert d[5]["lon"] == "-1,140582" and d[5]["lat"] == "46,158759"
    # A street without a number: its centroid; the quoted ';' survived.
    assert d[6]["adresse"] == "Rue des Essais; La Rochelle" and d[6]["distance_m"] == "297"
    # The page: summary, download link, no reload.
    r = c.get("/eligibilite/en-masse/%d" % bid)
    assert r.status == 200 and r.header("Refresh") is None
    t = html.unescape(r.text)
    assert 'data-etat="done"' in r.text and "Terminé" in t and "7 lignes traitées, dont 0 en erreur" in t
    assert 'href="/eligibilite/en-masse/%d/resultat.csv"' % bid in r.text
    assert re.search(r'data-code="tres_proche"><td><strong>[^<]+</strong></td><td>tres_proche</td><td>2<', r.text)
    assert "point-virgule" in t and "UTF-8" in t
    # The list, and the email that says it is ready.
    assert "Parc 2026.csv" in c.get("/eligibilite/en-masse").text
    mails = srv.mails(PRO)
    assert mails and "terminé" in mails[0][0] and "/eligibilite/en-masse/%d" % bid in mails[0][1]


def test_fields_layout_windows1252_commas(srv):
    text = ("numero,rep,voie,code_postal,commune,Référence\r\n"
            "1,,Rue des Essais,17180,Périgny,é-1\r\n"
            "1,,Rue des Essais,17000,La Rochelle,é-2\r\n")
    c = as_(srv, PRO)
    bid = bulk_id(upload(c, text.encode("cp1252"), name="export-excel.csv"))
    assert srv.sql1("SELECT encoding FROM heat_bulk WHERE id=?", bid) == "windows-1252"
    assert wait_done(srv, bid) == "done"
    r, rows = result(c, bid, sep=",")
    assert rows[0] == ["numero", "rep", "voie", "code_postal", "commune", "Référence"] + OUT_COLS  # now UTF-8
    d = as_dicts(rows)
    assert d[0]["commune"] == "Périgny" and d[0]["Référence"] == "é-1"
    assert d[0]["eligibilite"] == "loin" and d[0]["geocodage_adresse"].endswith("Périgny")
    assert d[1]["eligibilite"] == "tres_proche"
    assert re.fullmatch(r"[01]\.\d\d", d[1]["geocodage_score"])  # decimal point beside ','
    t = html.unescape(c.get("/eligibilite/en-masse/%d" % bid).text)
    assert "Windows-1252" in t and "virgule" in t and "numéro, voie, code postal et commune" in t


def test_coordinates_only_tabs(srv):
    text = "id\tlongitude\tlatitude\nP1\t-1.140582\t46.158759\nP2\t2.35\t48.85\n"
    c = as_(srv, PRO)
    bid = bulk_id(upload(c, text.encode(), name="points.tsv"))
    assert wait_done(srv, bid) == "done"
    _, rows = result(c, bid, sep="\t")
    d = as_dicts(rows)
    assert d[0]["eligibilite"] == "tres_proche" and d[1]["eligibilite"] == "hors_territoire"
    assert d[1]["distance_m"] == ""


def test_answer_cells_cannot_run_as_formulas(srv):
    old = srv.sql1("SELECT name FROM heat_networks WHERE sncu_id='1701C'")
    srv.sql("UPDATE heat_networks SET name='=HYPERLINK(\"http://x\")' WHERE sncu_id='1701C'")
    try:
        c = as_(srv, PRO)
        bid = bulk_id(upload(c, b"ref;adresse\n=1+1;1 Rue des Essais La Rochelle\n"))
        assert wait_done(srv, bid) == "done"
        d = as_dicts(result(c, bid)[1])
        assert d[0]["reseau_nom"] == "'=HYPERLINK(\"http://x\")"  # an administrator typed it: defused
        assert d[0]["ref"] == "=1+1"  # the user's own cell: given back as it came
    finally:
        srv.sql("UPDATE heat_networks SET name=? WHERE sncu_id='1701C'", old)


# ------------------------------------------------------------------ bad rows

def test_bad_rows_are_reported_and_good_rows_answered(srv):
    text = ("ref;adresse;lon;lat\n"
            "ok1;1 Rue des Essais La Rochelle;;\n"
            ";;;\n"                                           # 3: empty
            "court;2 Rue des Essais La Rochelle\n"            # 4: a cell short
            "faute;12 rue de la Repubique Bondy;;\n"          # 5: not found
            "coord;;abc;46,1\n"                               # 6: unreadable coordinates
            "demi;;-1,14;\n"                                  # 7: half coordinates
            "long;" + "x" * 250 + ";;\n"                      # 8: too long for the geocoder
            "ok2;;-1.140582;46.158759\n")
    c = as_(srv, PRO)
    bid = bulk_id(upload(c, text.encode()))
    assert wait_done(srv, bid) == "done"
    assert srv.sql("SELECT rows_total, rows_done, rows_error FROM heat_bulk WHERE id=?", bid)[0] == (8, 8, 6)
    _, rows = result(c, bid)
    d = as_dicts(rows)
    assert len(d) == 8
    assert [x["eligibilite"] for x in d] == ["tres_proche"] + ["erreur"] * 6 + ["tres_proche"]
    err = {x["ref"] or "(vide)": x["erreur"] for x in d}
    assert err["(vide)"] == "ligne vide : ni adresse ni coordonnées"
    assert err["court"].startswith("la ligne compte 2 cellule(s) au lieu de 4")
    assert d[2]["adresse"] == "2 Rue des Essais La Rochelle" and d[2]["lat"] == ""  # kept, padded
    assert "Aucune adresse" in err["faute"] or "Vouliez-vous dire" in err["faute"], err["faute"]
    assert err["coord"].startswith("coordonnées illisibles (lon « abc », lat « 46,1 »)")
    assert err["demi"].startswith("coordonnées incomplètes")
    assert err["long"] == "adresse trop longue (200 caractères au plus)"
    assert d[0]["erreur"] == "" and d[7]["erreur"] == ""
    # The summary names each bad row by its line in the file.
    r = c.get("/eligibilite/en-masse/%d" % bid)
    t = html.unescape(r.text)
    assert "8 lignes traitées, dont 6 en erreur" in t
    assert "ligne 3 : ligne vide : ni adresse ni coordonnées" in t
    assert "ligne 4 : la ligne compte 2 cellule(s) au lieu de 4" in t
    assert "ligne 8 : adresse trop longue" in t
    assert re.search(r'data-code="erreur"><td>[^<]+</td><td>erreur</td><td>6<', r.text)


# ------------------------------------------------------------- refused files

def test_refused_files(srv):
    c = as_(srv, PRO)
    before = srv.sql1("SELECT count(*) FROM heat_bulk")
    cases = [
        (None, "Choisissez un fichier CSV"),
        (b"ref;nom\nA;B\n", "Aucune colonne ne donne l’adresse"),
        (b"adresse\n", "aucune ligne après la ligne d’en-tête"),
        (b"PK\x03\x04" + b"\x00" * 100, "classeur (XLSX, ODS)"),
        (b"\xff\xfea\x00d\x00", "UTF-16"),
        (b"adresse\n1 rue\x00\n", "octets nuls"),
        (("adresse\n" + "1 Rue des Essais La Rochelle\n" * 50001).encode(), "plus de 50"),
    ]
    for data, message in cases:
        if data is None:
            c.get("/eligibilite/en-masse")
            r = c.post("/eligibilite/en-masse", {}, files={"autre": ("x.csv", b"x", "text/csv")})
        else:
            r = upload(c, data)
        t = html.unescape(r.text)
        assert r.status == 422, (message, r)
        assert 'id="fichier-err"' in r.text and message in t, (message, t[:2000])
        assert "Le formulaire contient des erreurs" in t
    assert "Colonnes trouvées : « ref », « nom »" in html.unescape(upload(c, b"ref;nom\nA;B\n").text)
    assert srv.sql1("SELECT count(*) FROM heat_bulk") == before
    # Nothing is left behind in the bulk directory.
    left = [n for n in os.listdir(os.path.join(srv.dir, "heat-bulk")) if n.startswith(".in-")]
    assert left == []


def test_too_big_is_refused_before_reading(srv):
    c = as_(srv, PRO)
    c.get("/eligibilite/en-masse")
    cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
    head = ("POST /eligibilite/en-masse HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n"
            % (cookie, 17 * 1024 * 1024)).encode()
    raw = raw_request(srv.port, head + b"--b\r\n")  # 17 MB announced, 5 bytes sent
    assert raw.startswith(b"HTTP/1.1 413"), raw[:200]
    assert "trop volumineuse".encode() in raw
    # The same for someone not logged in: refused on the headers alone.
    raw = raw_request(srv.port, head.replace(cookie.encode(), b"x=y") + b"--b\r\n")
    assert raw.startswith(b"HTTP/1.1 413"), raw[:200]


# ------------------------------------------------------------ another user

def test_other_users_get_404(srv):
    bid = srv.sql1("SELECT max(id) FROM heat_bulk WHERE status='done'")
    other = as_(srv, OTHER)
    for path in ("/eligibilite/en-masse/%d" % bid, "/eligibilite/en-masse/%d/resultat.csv" % bid):
        r = other.get(path)
        assert r.status == 404, (path, r)
        assert "Ce fichier n’existe pas" in html.unescape(r.text)
    assert "Aucun fichier déposé." in html.unescape(other.get("/eligibilite/en-masse").text)
    # Even an administrator: the file is its uploader's.
    assert as_(srv, ADMIN).get("/eligibilite/en-masse/%d" % bid).status == 404
    # And ids that do not exist, or are not ids.
    pro = as_(srv, PRO)
    assert pro.get("/eligibilite/en-masse/999999").status == 404
    assert pro.get("/eligibilite/en-masse/abc").status == 404
    assert pro.get("/eligibilite/en-masse/%d" % bid).status == 200


# ------------------------------------------------------------ progress states

def test_progress_states(srv):
    c = as_(srv, PRO)
    bid = bulk_id(upload(c, GOOD.encode()))
    assert wait_done(srv, bid) == "done"
    try:
        # Queued: nothing done yet; the page reloads itself.
        srv.sql("UPDATE heat_bulk SET status='queued', rows_done=0, counts='{}', finished_at=NULL WHERE id=?", bid)
        r = c.get("/eligibilite/en-masse/%d" % bid)
        assert r.status == 200 and r.header("Refresh") == "3"
        t = html.unescape(r.text)
        assert 'data-etat="queued"' in r.text and "En attente" in t and "0 / 7 lignes traitées (0 %)" in t
        assert '<progress id="avancement" max="7" value="0">' in r.text
        assert 'href="/eligibilite/en-masse/%d">Actualiser maintenant' % bid in r.text
        assert "resultat.csv" not in r.text
        assert c.get("/eligibilite/en-masse/%d/resultat.csv" % bid).status == 409
        # Running: rows done so far, and their counts.
        srv.sql("UPDATE heat_bulk SET status='running', rows_done=3, counts='{\"tres_proche\":1,\"proche\":2}'"
                " WHERE id=?", bid)
        r = c.get("/eligibilite/en-masse/%d" % bid)
        t = html.unescape(r.text)
        assert r.header("Refresh") == "3" and "En cours" in t and "3 / 7 lignes traitées (42 %)" in t
        assert '<progress id="avancement" max="7" value="3">' in r.text and "(lignes déjà traitées)" in t
        # One file at a time per account.
        r = upload(c, GOOD.encode())
        assert r.status == 422 and "encore en cours de traitement" in html.unescape(r.text)
        # Another account is not held up by it.
        assert upload(as_(srv, OTHER), GOOD.encode()).status == 303
        # Failed: the reason, no reload.
        srv.sql("UPDATE heat_bulk SET status='failed', error='Le fichier déposé n’a pas pu être relu.' WHERE id=?", bid)
        r = c.get("/eligibilite/en-masse/%d" % bid)
        assert r.header("Refresh") is None and "Échec" in html.unescape(r.text)
        assert "n’a pas pu être relu" in html.unescape(r.text)
    finally:
        srv.sql("UPDATE heat_bulk SET status='done', rows_done=rows_total, finished_at=strftime('%s','now')"
                " WHERE id=?", bid)
    wait_done(srv, srv.sql1("SELECT max(id) FROM heat_bulk"))


def test_a_large_file_is_answered_in_several_runs(srv):
    n = 1200  # the job answers 500 rows per run, then lets other jobs through
    lines = ["ref;adresse"] + ["R%d;%d Rue des Essais La Rochelle" % (i, i % 5 + 1) for i in range(n)]
    c = as_(srv, PRO)
    jobs_before = srv.sql1("SELECT count(*) FROM jobs WHERE kind='heat.bulk'")
    bid = bulk_id(upload(c, ("\n".join(lines) + "\n").encode()))
    assert wait_done(srv, bid, timeout=120) == "done"
    assert srv.sql1("SELECT count(*) FROM jobs WHERE kind='heat.bulk'") - jobs_before >= 3
    assert srv.sql1("SELECT count(*) FROM jobs WHERE kind='heat.bulk' AND status<>'done'") == 0
    _, rows = result(c, bid)
    assert len(rows) == n + 1 and rows[0][:2] == ["ref", "adresse"]
    assert [r[0] for r in rows[1:]] == ["R%d" % i for i in range(n)]  # each row once, in order
    levels = {"1": "tres_proche", "2": "proche", "3": "loin", "4": "loin", "5": "dans_commune"}
    assert all(r[2] == levels[r[1].split()[0]] for r in rows[1:])
    assert srv.sql1("SELECT out_bytes FROM heat_bulk WHERE id=?", bid) == \
        os.path.getsize(os.path.join(srv.dir, "heat-bulk", "%d-resultat.csv" % bid))
    # The input is not kept once answered.
    assert not os.path.exists(os.path.join(srv.dir, "heat-bulk", "%d.csv" % bid))


# --------------------------------------------------------------------- purge

def test_old_files_are_purged(srv):
    old = srv.sql1("SELECT min(id) FROM heat_bulk WHERE status='done'")
    keep = srv.sql1("SELECT max(id) FROM heat_bulk WHERE status='done'")
    d = os.path.join(srv.dir, "heat-bulk")
    assert os.path.exists(os.path.join(d, "%d-resultat.csv" % old))
    srv.sql("UPDATE heat_bulk SET finished_at=strftime('%s','now')-8*86400 WHERE id=?", old)
    with open(os.path.join(d, "424242-resultat.csv"), "w") as f:  # a deleted account's file
        f.write("x")
    srv.sql("UPDATE job_schedule SET next_run=0 WHERE kind='heat.bulk.purge'")
    deadline = time.time() + 10
    while time.time() < deadline and os.path.exists(os.path.join(d, "424242-resultat.csv")):
        time.sleep(0.1)
    assert not os.path.exists(os.path.join(d, "424242-resultat.csv"))
    assert not os.path.exists(os.path.join(d, "%d-resultat.csv" % old))
    assert srv.sql1("SELECT count(*) FROM heat_bulk WHERE id=?", old) == 0
    assert os.path.exists(os.path.join(d, "%d-resultat.csv" % keep))
    assert as_(srv, PRO).get("/eligibilite/en-masse/%d" % old).status == 404
