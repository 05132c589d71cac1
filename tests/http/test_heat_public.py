"""Public pages of the heat service (issue #4): the map /carte (server SVG,
Leaflet assets, the tile host in the CSP) and its GeoJSON /api/v1/carte, the
statistics /stats and their CSV, the cost and CO2 comparator and its dated
parameters (admin), the map on the admin network page. Every route's
permission, bad input (French errors, the form refilled), and no personal
data on any public page.

Figures: the synthetic addresses of tests/fixtures/heat/SOURCES.md; the
comparator's by hand from the defaults of migration 002_public.sql."""
import csv
import html
import io
import json
import os
import re
import urllib.parse

import harness
from harness import ROOT

TILES = "https://{s}.tuiles.exemple.fr/{z}/{x}/{y}.png"
SERVER_CONFIG = {"login_max_per_ip": 1000, "map_tiles_url": TILES,
                 "map_tiles_attribution": "© Tuiles d’essai <b>gras</b>"}

GEO = os.path.join(ROOT, "tests", "fixtures", "geo")
HEAT = os.path.join(ROOT, "tests", "fixtures", "heat")

PEOPLE = {
    "applicant": "pub-demandeur@exemple.fr",
    "operator": "pub-exploitant@exemple.fr",
    "territory_admin": "pub-territoire@exemple.fr",
}
_ids, _clients = {}, {}

# Requests made in the setup: (address, email, last name, phone).
REQUESTS = [
    ("1 Rue des Essais La Rochelle", "zoe.requete@exemple.fr", "Requetenom", "05 46 00 00 01"),
    ("2 Rue des Essais La Rochelle", "yann.requete@exemple.fr", "Deuxiemenom", "05 46 00 00 02"),
    ("3 Rue des Essais La Rochelle", "xavier.requete@exemple.fr", "Troisiemenom", "05 46 00 00 03"),
    ("1 Rue des Essais Périgny", "wanda.requete@exemple.fr", "Quatriemenom", "05 46 00 00 04"),
]


def as_(srv, who):
    if not _ids:
        for k, email in PEOPLE.items():
            _ids[k] = srv.add_user(email, k)
    c = _clients.get(who)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(PEOPLE[who])
        _clients[who] = c
    return c


def read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


def text(r):
    return html.unescape(r.text)


def csp_nonce(r):
    m = re.search(r"'nonce-([0-9a-f]+)'", r.header("Content-Security-Policy") or "")
    return m and m.group(1)


def csv_rows(srv, table):
    r = srv.client().get("/stats.csv?table=" + table)
    assert r.status == 200, r
    return list(csv.DictReader(io.StringIO(r.text)))


def figure(srv, key):
    return {row["indicateur"]: row["valeur"] for row in csv_rows(srv, "indicateurs")}[key]


def personal_data(srv):
    """Strings that must never appear on a public page."""
    out = []
    for address, email, name, phone in REQUESTS:
        out += [email, name, phone, address, "Rue des Essais", "Claire"]
    for lon, lat in srv.sql("SELECT lon, lat FROM heat_requests"):
        out += ["%.5f" % lon, "%.5f" % lat]
    return out


def assert_no_personal_data(srv, body):
    for s in personal_data(srv):
        assert s not in body, "personal data on a public page: %r" % s


# ------------------------------------------------------------------ setup

def test_setup_territory_networks_and_requests(srv):
    c = as_(srv, "territory_admin")
    c.get("/admin/reseaux")
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto", "remplacer": "oui"},
               files={"fichier": ("r.geojson", read(GEO, "reseaux_la_rochelle.geojson"), "application/geo+json")})
    assert r.status == 200 and "3 importés sur 3" in r.text, r
    r = c.post("/admin/reseaux/chiffres", {},
               files={"fichier": ("a.csv", read(HEAT, "arrete-dpe-2026_extrait-la-rochelle.csv"), "text/csv")})
    assert r.status == 200, r
    for args in (["import", "geojson", "communes", os.path.join(GEO, "communes_la_rochelle.geojson"), "--id", "code"],
                 ["import", "geojson", "heat_zones", os.path.join(HEAT, "zone-prioritaire-essai.geojson")],
                 ["import", "addresses", os.path.join(HEAT, "adresses-essais-la-rochelle.csv")]):
        res = srv.cli(*args)
        assert res.returncode == 0, res.stdout + res.stderr
    for address, email, name, phone in REQUESTS:
        a = srv.client()
        a.get("/eligibilite?adresse=" + urllib.parse.quote(address))
        r = a.post("/eligibilite/demande", {
            "adresse": address, "profil": "copropriete", "energie": "gaz", "mode": "collectif",
            "nom": name, "prenom": "Claire", "email": email, "telephone": phone, "consentement": "oui"})
        assert r.status == 200, r
    assert srv.sql1("SELECT count(*) FROM heat_requests") == len(REQUESTS)


# -------------------------------------------------------------------- map

def test_map_page_draws_svg_without_javascript(srv):
    r = srv.client().get("/carte")
    assert r.status == 200, r
    t = text(r)
    svg = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 (\d+)" class="carte-svg" role="img">'
                    r'(.*?)</svg>', r.text, re.S)
    assert svg, r.text[:3000]
    body = svg.group(2)
    assert body.count('class="reseau chaleur ouvert"') == 3
    assert "<title>1701C — Villeneuve les Salines (chaleur, ouvert aux raccordements)</title>" in html.unescape(body)
    assert body.count('class="commune"') == 5 and "<title>Aytré</title>" in body
    assert 'class="zone"' in body and "réseau 1701C" in html.unescape(body)
    # Requests counted per commune: 3 in La Rochelle, 1 in Périgny, numbers drawn.
    assert "Rochelle : 3 demande(s) de raccordement" in html.unescape(body)
    assert "Périgny : 1 demande(s) de raccordement" in html.unescape(body)
    assert re.search(r'class="demandes-nombre">3</text>', body)
    # Whole units only, relative paths.
    for d in re.findall(r' d="([^"]*)"', body):
        assert "." not in d and d.startswith("M"), d
    assert len(svg.group(0)) < 20000, "simplified to the pixel"
    # Legend and accessible tables.
    assert "Légende" in t and "Réseau de chaleur fermé aux raccordements" in t and "Zone de développement prioritaire" in t
    assert re.search(r"<td>Rochelle</td><td>3</td>", t) and re.search(r"<td>Périgny</td><td>1</td>", t)
    assert "Villeneuve les Salines" in t and "SALINES ENERGIES" in t
    assert_no_personal_data(srv, t)


def test_map_page_enhancement_and_csp(srv):
    r = srv.client().get("/carte")
    nonce = csp_nonce(r)
    assert nonce
    assert '<script src="/static/vendor/leaflet.js" nonce="%s" defer></script>' % nonce in r.text
    assert '<script src="/static/carte.js" nonce="%s" defer></script>' % nonce in r.text
    assert '<link rel="stylesheet" href="/static/vendor/leaflet.css">' in r.text
    assert "<script>" not in r.text, "no inline script"
    m = re.search(r'data-tiles="([^"]*)" data-attribution="([^"]*)"', r.text)
    assert m and html.unescape(m.group(1)) == TILES
    assert html.unescape(m.group(2)) == "© Tuiles d’essai <b>gras</b>"  # escaped in the page, escaped again by carte.js
    assert "<b>gras</b>" not in r.text
    csp = r.header("Content-Security-Policy")
    assert "img-src 'self' data: https://*.tuiles.exemple.fr;" in csp, csp
    assert "script-src 'self' 'nonce-%s';" % nonce in csp


def test_leaflet_and_script_are_served_from_the_binary(srv):
    c = srv.client()
    r = c.get("/static/vendor/leaflet.js")
    assert r.status == 200 and r.header("Content-Type").startswith("text/javascript")
    assert b"Leaflet" in r.body[:2000] and len(r.body) > 100000
    r = c.get("/static/vendor/leaflet.css")
    assert r.status == 200 and r.header("Content-Type").startswith("text/css") and b".leaflet-container" in r.body
    r = c.get("/static/carte.js")
    assert r.status == 200 and b"data-api" in r.body and b"innerHTML =" not in r.body
    assert c.get("/static/vendor/inexistant.js").status == 404


def test_map_api_geojson_without_personal_data(srv):
    r = srv.client().get("/api/v1/carte")
    assert r.status == 200 and r.header("Content-Type") == "application/json"
    j = r.json()
    assert j["type"] == "FeatureCollection"
    by = {}
    for f in j["features"]:
        by.setdefault(f["properties"]["layer"], []).append(f)
    assert sorted(by) == ["commune", "network", "requests", "zone"]
    nets = {f["properties"]["id"]: f for f in by["network"]}
    assert sorted(nets) == ["1701C", "1703C", "1704C"]
    p = nets["1701C"]["properties"]
    assert p["name"] == "Villeneuve les Salines" and p["open"] is True and p["kind"] == "heat"
    assert round(p["co2_g_kwh"]) == 49 and p["renewable_pct"] == 73.5 and p["class"] == "reseau chaleur ouvert"
    g = nets["1701C"]["geometry"]
    assert g["type"] in ("LineString", "MultiLineString")
    lines = g["coordinates"] if g["type"] == "MultiLineString" else [g["coordinates"]]
    for line in lines:
        for lon, lat in line:
            assert -1.2 < lon < -1.05 and 46.1 < lat < 46.2, (lon, lat)  # WGS84, longitude first
    assert {f["properties"]["name"] for f in by["commune"]} == {"Rochelle", "Aytré", "Lagord", "Périgny", "Puilboreau"}
    assert by["zone"][0]["properties"]["network"] == "1701C"
    assert by["zone"][0]["geometry"]["type"] == "Polygon"
    counts = {f["properties"]["commune"]: f["properties"]["requests"] for f in by["requests"]}
    assert counts == {"Rochelle": 3, "Périgny": 1}
    assert j["requests_total"] == 4
    for f in by["requests"]:
        assert sorted(f["properties"]) == ["class", "commune", "layer", "requests"]
    assert_no_personal_data(srv, r.text)
    assert "@" not in r.text


def test_map_shows_closed_and_cold_networks(srv):
    c = as_(srv, "territory_admin")
    nid = srv.sql1("SELECT id FROM heat_networks WHERE sncu_id='1703C'")
    c.get("/admin/reseaux/%d" % nid)
    r = c.post("/admin/reseaux/%d" % nid, {"nom": "Réseau de Aytré"})  # "ouvert" unticked
    assert r.status == 303, r
    srv.sql("UPDATE heat_networks SET kind='cold' WHERE sncu_id='1704C'")
    r = srv.client().get("/carte")
    svg = re.search(r'<svg xmlns=.*?</svg>', r.text, re.S).group(0)
    assert svg.count('class="reseau chaleur ferme"') == 1, re.findall(r'class="reseau[^"]*"', svg)
    assert svg.count('class="reseau froid ouvert"') == 1
    assert "1703C — Réseau de Aytré (chaleur, fermé aux raccordements)" in text(r)
    j = srv.client().get("/api/v1/carte").json()
    kinds = {f["properties"]["id"]: (f["properties"]["kind"], f["properties"]["open"])
             for f in j["features"] if f["properties"]["layer"] == "network"}
    assert kinds == {"1701C": ("heat", True), "1703C": ("heat", False), "1704C": ("cold", True)}
    c.get("/admin/reseaux/%d" % nid)
    assert c.post("/admin/reseaux/%d" % nid, {"nom": "Réseau de Aytré", "ouvert": "oui"}).status == 303
    srv.sql("UPDATE heat_networks SET kind='heat' WHERE sncu_id='1704C'")


def test_tiles_empty_or_unsafe_are_left_out(srv):
    """No tiles, or a value that is not a plain http(s) host: no tile URL on the
    page, nothing added to the CSP (no way to inject a directive)."""
    for url in ("", "https://tiles.example.org; script-src *", "javascript:alert(1)//{z}", "https://h\"ote/{z}"):
        s = harness.Server(map_tiles_url=url)
        try:
            r = s.client().get("/carte")
            assert r.status == 200 and "Aucune donnée géographique" in text(r)
            res = s.cli("import", "geojson", "communes", os.path.join(GEO, "communes_la_rochelle.geojson"))
            assert res.returncode == 0, res.stdout + res.stderr
            r = s.client().get("/carte")
            csp = r.header("Content-Security-Policy")
            assert "img-src 'self' data:;" in csp, (url, csp)
            assert 'data-tiles="" data-attribution=""' in r.text, url
            assert 'class="commune"' in r.text
        finally:
            s.stop()


def test_admin_network_page_shows_its_map(srv):
    c = as_(srv, "territory_admin")
    nid = srv.sql1("SELECT id FROM heat_networks WHERE sncu_id='1701C'")
    r = c.get("/admin/reseaux/%d" % nid)
    assert r.status == 200
    m = re.search(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 \d+" class="carte-svg carte-reseau" '
                  r'role="img"><title>Carte du réseau 1701C[^<]*</title>(.*?)</svg>', r.text, re.S)
    assert m, r.text[:4000]
    assert m.group(1).count('class="reseau courant"') == 1
    assert 'class="commune"' in m.group(1)
    # A network without a trace has no map.
    srv.sql("INSERT INTO heat_networks(sncu_id, name, created_at, updated_at) VALUES('9999X', 'Sans tracé', 0, 0)")
    other = srv.sql1("SELECT id FROM heat_networks WHERE sncu_id='9999X'")
    r = c.get("/admin/reseaux/%d" % other)
    assert r.status == 200 and "carte-reseau" not in r.text and "absent" in r.text
    srv.sql("DELETE FROM heat_networks WHERE sncu_id='9999X'")


# ------------------------------------------------------------------ stats

def test_stats_page_live_indicators(srv):
    r = srv.client().get("/stats")
    assert r.status == 200, r
    t = text(r)
    assert "Statistiques du service" in t
    for title in ("Indicateurs clés", "Tests d’éligibilité par mois", "Tests d’éligibilité par résultat",
                  "Demandes de raccordement par mois", "Demandes de raccordement par statut"):
        assert title in t, title
    assert t.count('class="graphe" role="img"') == 4
    assert "/stats.csv?table=tests_par_mois" in t and "/stats.csv?table=demandes_par_statut" in t
    # Requests by status: three eligible (à traiter: 1 and 2 Rue des Essais, and Périgny in the
    # priority zone), one not (3 Rue des Essais, 420 m: non réalisable).
    rows = {row["statut"]: row for row in csv_rows(srv, "demandes_par_statut")}
    assert rows["a_traiter"]["demandes"] == "3" and rows["non_realisable"]["demandes"] == "1"
    assert rows["realise"]["demandes"] == "0" and rows["a_traiter"]["part_pct"] == "75.0"
    assert figure(srv, "demandes_raccordement") == "4" and figure(srv, "conversion_realise_pct") == "0.0"
    assert_no_personal_data(srv, t)


def test_tests_are_counted_by_page_and_api(srv):
    before = {row["resultat"]: int(row["tests"]) for row in csv_rows(srv, "tests_par_resultat")}
    total = int(figure(srv, "tests_eligibilite"))
    assert total == sum(before.values()) and total >= 4  # the page tests of the setup
    c = srv.client()
    assert c.get("/api/v1/eligibility?lat=46.158759&lon=-1.140582").json()["eligibility"] == "tres_proche"
    assert c.get("/api/v1/eligibility?lat=46.170472&lon=-1.116029").json()["eligibility"] == "aucun"
    assert c.get("/api/v1/eligibility?lat=48.85&lon=2.35").json()["eligibility"] == "hors_territoire"
    assert c.get("/eligibilite?adresse=" + urllib.parse.quote("2 Rue des Essais La Rochelle")).status == 200
    # Not counted: bad input, an address not found, a contact request.
    assert c.get("/api/v1/eligibility?lat=abc&lon=2").status == 400
    assert c.get("/eligibilite?adresse=" + urllib.parse.quote("99 avenue Introuvable Nullepart")).status == 200
    after = {row["resultat"]: int(row["tests"]) for row in csv_rows(srv, "tests_par_resultat")}
    assert after["tres_proche"] == before["tres_proche"] + 1
    assert after["aucun"] == before["aucun"] + 1
    assert after["hors_territoire"] == before["hors_territoire"] + 1
    assert after["proche"] == before["proche"] + 1
    assert int(figure(srv, "tests_eligibilite")) == total + 4
    # Share of eligible addresses among tests inside the territory.
    inside = sum(v for k, v in after.items() if k != "hors_territoire")
    eligible = after["dans_zone_prioritaire"] + after["tres_proche"] + after["proche"]
    assert figure(srv, "part_adresses_eligibles_pct") == "%.1f" % (100.0 * eligible / inside)
    # What is stored: day, source, answer, count — nothing else.
    cols = [row[1] for row in srv.sql("PRAGMA table_info(heat_test_counts)")]
    assert cols == ["day", "source", "level", "n"]
    assert srv.sql1("SELECT count(*) FROM heat_test_counts") >= 1  # the first test is written at once
    assert set(x[0] for x in srv.sql("SELECT source FROM heat_test_counts")) <= {"page", "api"}
    month = csv_rows(srv, "tests_par_mois")
    assert len(month) == 1 and int(month[0]["tests"]) == total + 4


def test_counts_kept_in_memory_are_written_at_exit(srv):
    s = harness.Server()
    try:
        c = s.client()
        for _ in range(3):
            assert c.get("/api/v1/eligibility?lat=48.85&lon=2.35").status == 200
        assert s.sql1("SELECT sum(n) FROM heat_test_counts") == 1  # the first at once, then once a minute
        s.proc.terminate()
        assert s.proc.wait(10) == 0
        # No communes layer in this server: a point in Paris has no network near it.
        assert s.sql("SELECT source, level, n FROM heat_test_counts") == [("api", "aucun", 3)]
    finally:
        s.stop()


def test_conversion_to_realise(srv):
    c = as_(srv, "territory_admin")
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email=?", REQUESTS[0][1])
    c.get("/operateur/demandes/%d" % rid)
    r = c.post("/operateur/demandes/%d/statut" % rid, {"statut": "realise"})
    assert r.status == 303, r
    assert figure(srv, "demandes_realisees") == "1"
    assert figure(srv, "conversion_realise_pct") == "25.0"
    rows = csv_rows(srv, "demandes_par_mois")
    assert len(rows) == 1 and rows[0]["demandes"] == "4" and rows[0]["realisees"] == "1"
    assert rows[0]["conversion_pct"] == "25.0"
    t = text(srv.client().get("/stats"))
    assert "25,0 %" in t and "Raccordements réalisés" in t


def test_stats_csv_tables_and_bad_table(srv):
    c = srv.client()
    for table, header in [("indicateurs", "indicateur,valeur"),
                          ("tests_par_mois", "mois,tests,tests_dans_territoire,eligibles,part_eligibles_pct"),
                          ("tests_par_resultat", "resultat,libelle,tests,part_pct"),
                          ("demandes_par_mois", "mois,demandes,realisees,conversion_pct"),
                          ("demandes_par_statut", "statut,libelle,demandes,part_pct")]:
        r = c.get("/stats.csv?table=" + table)
        assert r.status == 200, (table, r)
        assert r.header("Content-Type") == "text/csv; charset=utf-8"
        assert r.header("Content-Disposition").startswith('attachment; filename="stats-%s.csv";' % table)
        assert r.text.split("\r\n")[0] == header, r.text[:200]
        assert_no_personal_data(srv, r.text)
    r = c.get("/stats.csv?table=utilisateurs")
    assert r.status == 404 and "Cette table n’existe pas" in text(r) and "tests_par_mois" in r.text
    r = c.get("/stats.csv")
    assert r.status == 400 and "Précisez la table" in text(r)
    r = c.get("/stats.csv?table=" + urllib.parse.quote("<script>"))
    assert r.status == 404 and "<script>" not in r.text


# ------------------------------------------------------------- comparator

def compare(srv, **q):
    return srv.client().get("/eligibilite/comparateur?" + urllib.parse.urlencode(q))


def line(r, mode):
    m = re.search(r'<tr data-mode="%s"><th scope="row">[^<]*</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>'
                  % mode, r.text)
    assert m, (mode, r.text[:3000])
    return [html.unescape(x).replace("\u202f", " ") for x in m.groups()]


def test_comparator_blank_form_and_link_from_eligibility(srv):
    r = srv.client().get("/eligibilite/comparateur")
    assert r.status == 200 and 'name="surface"' in r.text and 'id="comparaison"' not in r.text
    assert 'value="1701C"' in r.text and "Villeneuve les Salines" in r.text
    r = srv.client().get("/eligibilite?adresse=" + urllib.parse.quote("1 Rue des Essais La Rochelle"))
    assert 'href="/eligibilite/comparateur?reseau=1701C"' in r.text


def test_comparator_figures(srv):
    r = compare(srv, type="collectif", besoin="10000")
    assert r.status == 200, r
    # 10,000 kWh: gas 11,111 kWh, 1,333 €, 2,522 kg; heat pump 3,448 kWh, 862 €, 272 kg;
    # network without a chosen network: 10,526 kWh, 1,158 €, 1,053 kg (100 g fallback).
    assert line(r, "gaz") == ["11 111", "1 333 €", "2 522"]
    assert line(r, "pac") == ["3 448", "862 €", "272"]
    assert line(r, "fioul") == ["11 765", "1 412 €", "3 812"]
    assert line(r, "bois") == ["11 765", "1 059 €", "353"]
    assert line(r, "reseau") == ["10 526", "1 158 €", "1 053"]
    assert "contenu CO2 de repli" in text(r)
    assert text(r).count('class="graphe" role="img"') == 2
    assert "méthode DPE (0,227 kgCO2e/kWh)" in text(r)
    # The network's own content: 1701C, 49 g/kWh → 516 kg.
    r = compare(srv, type="collectif", besoin="10 000", reseau="1701C")
    assert r.status == 200
    assert line(r, "reseau") == ["10 526", "1 158 €", "516"]
    assert "contenu CO2 du réseau 1701C : 49 g/kWh" in text(r)
    # From the surface: a house of 100 m² needs 12,000 kWh.
    r = compare(srv, type="maison", surface="100")
    assert "12 000" in text(r).replace("\u202f", " ") and "100 m² × 120 kWh/m²" in text(r)
    assert line(r, "gaz") == ["13 333", "1 600 €", "3 027"]


def test_comparator_bad_input(srv):
    r = compare(srv, type="chateau", surface="abc", besoin="-5", reseau="1701C")
    assert r.status == 422
    t = text(r)
    assert 'id="type-err"' in t and "Choisissez une des options proposées." in t
    assert 'id="surface-err"' in t and "Saisissez un nombre entier entre 1 et 1 000 000." in t.replace("\u202f", " ")
    assert 'id="besoin-err"' in t
    assert 'value="abc"' in t and 'value="-5"' in t  # nothing typed is lost
    assert '<option value="1701C" selected>' in t
    assert 'id="comparaison"' not in t
    r = compare(srv, type="maison")
    assert r.status == 422 and "Indiquez la surface chauffée ou la consommation annuelle" in text(r)
    r = compare(srv, type="maison", surface="80", reseau="9999Z")
    assert r.status == 422 and "Ce réseau n’est pas connu" in text(r) and 'id="comparaison"' not in r.text
    r = compare(srv, surface="80")
    assert r.status == 422 and "le type de bâtiment" in text(r)
    r = compare(srv, type="maison", surface="2000000")
    assert r.status == 422 and 'value="2000000"' in r.text


# ------------------------------------------------------ admin: parameters

def test_parameters_page_lists_defaults(srv):
    c = as_(srv, "territory_admin")
    r = c.get("/admin/reseaux/parametres")
    assert r.status == 200, r
    t = text(r)
    assert t.count("en vigueur") >= 5 and "Chaudière au gaz" in t and "0,227" in t and "290" in t
    assert "méthode DPE" in t
    assert '/admin/reseaux/parametres' in text(c.get("/admin/reseaux"))


def test_parameters_new_row_applies_from_its_date(srv):
    c = as_(srv, "territory_admin")
    c.get("/admin/reseaux/parametres")
    r = c.post("/admin/reseaux/parametres", {"mode": "gaz", "depuis": "2025-06-01", "prix": "0,15",
                                             "rendement": "90", "facteur": "0.227", "source": "Tarif local 2025"})
    assert r.status == 303 and r.header("Location") == "/admin/reseaux/parametres", r
    row = srv.sql("SELECT price_cents_mwh, efficiency_bp, co2_g_kwh, source, created_by FROM heat_cost_params"
                  " WHERE mode='gaz' AND valid_from='2025-06-01'")[0]
    assert row == (15000, 9000, 227, "Tarif local 2025", _ids["territory_admin"])
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='heat.params.add'") == 1
    # 10,000 / 0.9 × 0.15 = 1,666.67 €.
    assert line(compare(srv, type="maison", besoin="10000"), "gaz")[1] == "1 667 €"
    # A row in the future does not apply yet.
    r = c.post("/admin/reseaux/parametres", {"mode": "gaz", "depuis": "2099-01-01", "prix": "9",
                                             "rendement": "90", "facteur": "0,227"})
    assert r.status == 303
    assert line(compare(srv, type="maison", besoin="10000"), "gaz")[1] == "1 667 €"
    t = text(c.get("/admin/reseaux/parametres"))
    assert "à venir" in t and "remplacée" in t and "Tarif local 2025" in t


def test_parameters_bad_input(srv):
    c = as_(srv, "territory_admin")
    c.get("/admin/reseaux/parametres")
    n = srv.sql1("SELECT count(*) FROM heat_cost_params")
    r = c.post("/admin/reseaux/parametres", {"mode": "charbon", "depuis": "2025-02-30", "prix": "0,1234567",
                                             "rendement": "0", "facteur": "abc", "source": "x" * 501})
    assert r.status == 422
    t = text(r)
    for field in ("mode", "depuis", "prix", "rendement", "facteur", "source"):
        assert 'id="%s-err"' % field in t, field
    assert "Saisissez une date réelle" in t and "5 décimales au plus" in t and "entre 1 et 1000" in t
    assert 'value="0,1234567"' in t and 'value="abc"' in t and 'value="2025-02-30"' in t
    r = c.post("/admin/reseaux/parametres", {"mode": "gaz", "depuis": "2025-06-01", "prix": "0,2",
                                             "rendement": "90", "facteur": "0,227"})
    assert r.status == 422 and "existent déjà pour ce mode à cette date" in text(r)
    r = c.post("/admin/reseaux/parametres", {"mode": "", "depuis": "", "prix": "", "rendement": "", "facteur": ""})
    assert r.status == 422 and "le mode de chauffage" in text(r)
    assert srv.sql1("SELECT count(*) FROM heat_cost_params") == n


def test_parameters_permissions(srv):
    n = srv.sql1("SELECT count(*) FROM heat_cost_params")
    form = {"mode": "bois", "depuis": "2025-09-01", "prix": "0,01", "rendement": "90", "facteur": "0"}
    anon = srv.client()
    r = anon.get("/admin/reseaux/parametres")
    assert r.status == 303 and r.header("Location").startswith("/connexion"), r
    anon.get("/eligibilite")
    assert anon.post("/admin/reseaux/parametres", form).status in (303, 401)
    for who in ("applicant", "operator"):
        c = as_(srv, who)
        assert c.get("/admin/reseaux/parametres").status == 403, who
        assert c.post("/admin/reseaux/parametres", form).status == 403, who
    ta = as_(srv, "territory_admin")
    assert ta.post("/admin/reseaux/parametres", form, csrf=False).status == 403
    assert srv.sql1("SELECT count(*) FROM heat_cost_params") == n


def test_public_routes_need_no_account(srv):
    c = srv.client()
    for path in ("/carte", "/api/v1/carte", "/stats", "/stats.csv?table=indicateurs", "/eligibilite/comparateur",
                 "/eligibilite/comparateur?type=maison&surface=90"):
        assert c.get(path).status == 200, path
    assert "/carte" in c.get("/").text and "/stats" in c.get("/").text  # linked from every page's footer
    for path in ("/carte", "/api/v1/carte", "/stats"):
        assert c.request("POST", path, body=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
                         ).status == 405, path
