"""Heat networks, the operators' map of their requests (issue #4, journey 4):
/operateur/demandes/carte draws the requests the table lists — the same
filters, the same scope — as points coloured by status over the network
traces and the communes, each linking to its request, with a list under
the map; /operateur/demandes/carte.json gives the same points to Leaflet.
An operator never sees another network's requests there either; visitors
and applicants are refused."""
import html
import re
import time
import urllib.parse

from harness import People
from test_heat import GEO, read, edit_network
from test_heat_ops import net_id

SERVER_CONFIG = {"login_max_per_ip": 1000}

people = People({
    "operator": ("carte-a@exemple.fr", "operator"),        # 1701C, by account
    "operator_b": ("carte-b@exemple.fr", "operator"),      # 1704C, by account
    "operator_org": ("carte-org@exemple.fr", "operator"),  # 1703C, by organisation
    "idle": ("carte-sans@exemple.fr", "operator"),         # an operator without a network
    "territory_admin": "carte-territoire@exemple.fr",
    "applicant": "carte-demandeur@exemple.fr",
})
R = {}  # request ids by name


def as_(srv, who):
    return people.client(srv, who)


def add(srv, name, sncu, status, lon, lat, commune="La Rochelle", days_ago=0, last_name="Durand"):
    """A request row at a point, as the contact form would write it."""
    t = int(time.time()) - days_ago * 86400
    email = "%s@exemple.fr" % name
    srv.sql("INSERT INTO heat_requests(created_at, updated_at, address, commune, lon, lat, profile, energy,"
            " heating_mode, last_name, first_name, email, phone, eligibility, network_id, routed_to, status)"
            " VALUES(?,?,?,?,?,?,'copropriete','gaz','collectif',?,'Jeanne',?,'0600000000','tres_proche',?,?,?)",
            t, t, "%d rue de la Carte (%s)" % (len(R) + 1, name), commune, lon, lat, last_name, email,
            net_id(srv, sncu) if sncu else None, "x@exemple.fr", status)
    R[name] = srv.sql1("SELECT id FROM heat_requests WHERE email=?", email)
    return R[name]


def svg_of(text):
    m = re.search(r'<svg xmlns="http://www.w3.org/2000/svg"[^>]*class="carte-svg carte-demandes".*?</svg>', text, re.S)
    return m.group(0) if m else ""


def points_in(text):
    """{request id: (classes, title)} of the points the SVG map links."""
    out = {}
    for m in re.finditer(r'<a href="/operateur/demandes/(\d+)" tabindex="-1"><circle [^>]*class="([^"]*)">'
                         r'<title>([^<]*)</title></circle></a>', svg_of(text)):
        out[int(m.group(1))] = (m.group(2), html.unescape(m.group(3)))
    return out


def listed(text):
    """Request ids of the list under the map, in order."""
    m = re.search(r'<table aria-labelledby="liste-titre" id="liste">.*?</table>', text, re.S)
    return [int(x) for x in re.findall(r'<a href="/operateur/demandes/(\d+)">', m.group(0))] if m else []


def json_points(r):
    assert r.status == 200, r
    return {f["properties"]["id"]: f["properties"] for f in r.json()["features"]
            if f["properties"]["layer"] == "request"}


# ------------------------------------------------------------------ empty

def test_map_before_any_geography(srv):
    ta = as_(srv, "territory_admin")
    r = ta.get("/operateur/demandes/carte")
    assert r.status == 200, r
    assert "Aucune donnée géographique" in html.unescape(r.text) and not svg_of(r.text)
    assert "Aucune demande." in html.unescape(r.text)
    # A request is a point of its own: the map shows it, on nothing yet.
    rid = add(srv, "avant-geo", None, "a_traiter", -1.15, 46.16)
    r = ta.get("/operateur/demandes/carte")
    assert list(points_in(r.text)) == [rid] and listed(r.text) == [rid]
    assert '<path' not in svg_of(r.text)  # no trace, no commune


# --------------------------------------------------------------- territory

def test_setup_territory(srv):
    c = as_(srv, "territory_admin")
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto", "remplacer": "oui"},
               files={"fichier": ("r.geojson", read(GEO, "reseaux_la_rochelle.geojson"), "application/geo+json")})
    assert r.status == 200 and "3 importés sur 3" in r.text, r
    res = srv.cli("import", "geojson", "communes", GEO + "/communes_la_rochelle.geojson", "--id", "code")
    assert res.returncode == 0, res.stdout + res.stderr
    assert edit_network(c, srv, "1701C", compte_exploitant=people.emails["operator"]).status == 303
    assert edit_network(c, srv, "1704C", compte_exploitant=people.emails["operator_b"]).status == 303
    now = int(time.time())
    srv.sql("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,"
            " created_at, updated_at) VALUES('73282932000074', 'company', 'Dalkia La Rochelle', '1 quai', '17000',"
            " 'La Rochelle', 'contact@dalkia.exemple.fr', '0546000000', ?, ?)", now, now)
    org = srv.sql1("SELECT id FROM organisations WHERE siret='73282932000074'")
    srv.sql("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?, ?, 'member', ?)",
            org, people.id(srv, "operator_org"), now)
    assert edit_network(c, srv, "1703C", siret_exploitant="73282932000074").status == 303
    # Operator A (1701C): four requests in three statuses, two communes, one old.
    add(srv, "a-neuve", "1701C", "a_traiter", -1.1320, 46.1450, last_name="Zéphyr")
    add(srv, "a-etude", "1701C", "etude", -1.1250, 46.1420, commune="Aytré")
    add(srv, "a-vieille", "1701C", "etude", -1.1280, 46.1480, days_ago=40)
    add(srv, "a-faite", "1701C", "realise", -1.1300, 46.1400)
    # Operator B (1704C) and the organisation (1703C): one each; the agency's: none.
    add(srv, "b-seule", "1704C", "a_traiter", -1.1750, 46.1700, commune="Aytré", last_name="Secret")
    add(srv, "org-seule", "1703C", "attente", -1.1100, 46.1300)
    add(srv, "agence", None, "a_traiter", -1.0800, 46.1600, commune="Périgny")


# ----------------------------------------------------------------- the map

def test_the_map_draws_the_operators_requests(srv):
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes/carte")
    assert r.status == 200, r
    pts = points_in(r.text)
    mine = [R["a-neuve"], R["a-etude"], R["a-vieille"], R["a-faite"]]
    assert sorted(pts) == sorted(mine), pts
    # Coloured by status, with a title naming the reference, the address and the status.
    assert pts[R["a-neuve"]][0] == "demande st-a_traiter" and pts[R["a-etude"]][0] == "demande st-etude"
    assert pts[R["a-faite"]][0] == "demande st-realise"
    assert pts[R["a-etude"]][1] == "Demande %d — 3 rue de la Carte (a-etude), Aytré — Étude en cours" % R["a-etude"]
    # Under the points: the traces (A's network highlighted) and the communes.
    svg = svg_of(r.text)
    assert re.findall(r'class="reseau courant"><title>(\w+) ', svg) == ["1701C"]  # A's trace; others greyed if in view
    assert svg.count('class="commune"') >= 1
    assert svg.index('class="reseaux"') < svg.index('class="demandes-points"')  # points on top
    # The legend counts by status; the list repeats the points as links, in the table's order (newest first).
    t = html.unescape(r.text)
    assert "À traiter (1)" in t and "Étude en cours (2)" in t and "Réalisé (1)" in t and "Votée en AG (0)" in t
    assert "4 demande(s)" in t and "Vos réseaux" in t
    assert sorted(listed(r.text)) == sorted(mine) and listed(r.text)[-1] == R["a-vieille"]
    # No name, e-mail or phone on the map page.
    assert "Zéphyr" not in t and "a-neuve@exemple.fr" not in t and "0600000000" not in t


def test_the_map_takes_the_tables_filters(srv):
    a = as_(srv, "operator")

    def on_map(**q):
        r = a.get("/operateur/demandes/carte?" + urllib.parse.urlencode(q))
        assert r.status == 200, (q, r)
        assert sorted(points_in(r.text)) == sorted(listed(r.text)), q
        return sorted(points_in(r.text))

    def in_table(**q):
        r = a.get("/operateur/demandes?" + urllib.parse.urlencode(q))
        return sorted(int(x) for x in re.findall(r'<a href="/operateur/demandes/(\d+)">', r.text))

    day = time.strftime("%Y-%m-%d", time.localtime(time.time() - 40 * 86400))
    cases = [{"statut": "etude"}, {"commune": "Aytré"}, {"du": day, "au": day}, {"q": "zéphyr"},
             {"q": "#%d" % R["a-faite"]}, {"reseau": net_id(srv, "1701C"), "statut": "a_traiter"},
             {"reseau": net_id(srv, "1704C")}, {}]
    for q in cases:
        assert on_map(**q) == in_table(**q), q
    assert on_map(statut="etude") == sorted([R["a-etude"], R["a-vieille"]])
    assert on_map(commune="Aytré") == [R["a-etude"]]  # B's request in Aytré is not A's
    assert on_map(reseau=net_id(srv, "1704C")) == []  # another network's id gives nothing
    # Bad filters: the French error next to the field, the values kept, no map and no points.
    for q, msg in [({"du": "2026-02-31"}, "Date invalide"), ({"statut": "perdu"}, "Choisissez un des statuts"),
                   ({"tri": "email"}, "Choisissez un des ordres"), ({"q": "x" * 201}, "200 caractères au plus")]:
        r = a.get("/operateur/demandes/carte?" + urllib.parse.urlencode(q))
        assert r.status == 422 and msg in html.unescape(r.text), (q, r)
        assert not svg_of(r.text) and not points_in(r.text) and not listed(r.text), q
    r = a.get("/operateur/demandes/carte?du=2026-02-31&q=Dupont")
    assert 'id="du-err"' in r.text and 'value="Dupont"' in r.text
    assert 'action="/operateur/demandes/carte"' in r.text


def test_tabs_keep_the_filters_between_table_and_map(srv):
    a = as_(srv, "operator")
    q = "statut=etude&commune=Aytr%C3%A9&tri=adresse&ordre=desc"
    r = a.get("/operateur/demandes?" + q)
    tab = re.search(r'<a id="vue-carte" href="([^"]*)"', r.text).group(1)
    assert html.unescape(tab).startswith("/operateur/demandes/carte?")
    assert re.search(r'<a id="vue-tableau" href="[^"]*" aria-current="page">', r.text)
    r = a.get(html.unescape(tab))
    assert r.status == 200 and sorted(points_in(r.text)) == [R["a-etude"]]
    assert re.search(r'<a id="vue-carte" href="[^"]*" aria-current="page">', r.text)
    back = html.unescape(re.search(r'<a id="vue-tableau" href="([^"]*)"', r.text).group(1))
    parsed = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)
    assert parsed == {"statut": ["etude"], "commune": ["Aytré"], "tri": ["adresse"], "ordre": ["desc"]}, back
    assert 'href="/operateur/demandes?statut=etude&amp;commune=Aytr' in r.text  # the link under the count too
    assert '<select id="statut" name="statut"' in r.text and '<option value="etude" selected>' in r.text


def test_each_operator_sees_only_their_networks_requests(srv):
    b = as_(srv, "operator_b")
    r = b.get("/operateur/demandes/carte")
    assert r.status == 200 and sorted(points_in(r.text)) == [R["b-seule"]], points_in(r.text)
    assert "1 demande(s)" in html.unescape(r.text)
    for name in ("a-neuve", "a-etude", "org-seule", "agence"):
        assert "rue de la Carte (%s)" % name not in r.text, name
    assert re.findall(r'class="reseau courant"><title>(\w+) ', svg_of(r.text)) == ["1704C"]
    # Asking for A's request by reference, or A's network, gives nothing.
    for q in ("q=%23" + str(R["a-neuve"]), "reseau=%d" % net_id(srv, "1701C")):
        r = b.get("/operateur/demandes/carte?" + q)
        assert r.status == 200 and not points_in(r.text) and not listed(r.text), q
    o = as_(srv, "operator_org")
    assert sorted(points_in(o.get("/operateur/demandes/carte").text)) == [R["org-seule"]]
    # An operator without a network: the territory, no point.
    r = as_(srv, "idle").get("/operateur/demandes/carte")
    assert r.status == 200 and svg_of(r.text) and not points_in(r.text) and "Aucune demande." in html.unescape(r.text)
    # The territory administrator sees every request, the agency's included.
    r = as_(srv, "territory_admin").get("/operateur/demandes/carte")
    assert set(R.values()) <= set(points_in(r.text)), points_in(r.text)


def test_map_json_same_points_same_scope(srv):
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes/carte.json")
    pts = json_points(r)
    assert sorted(pts) == sorted([R["a-neuve"], R["a-etude"], R["a-vieille"], R["a-faite"]])
    p = pts[R["a-etude"]]
    assert p["class"] == "demande st-etude" and p["status"] == "etude" and p["href"] == "/operateur/demandes/%d" % R["a-etude"]
    assert p["network"] == "1701C" and p["commune"] == "Aytré"
    assert set(p) == {"layer", "class", "id", "title", "address", "commune", "status", "network", "href"}  # no name
    f = [x for x in r.json()["features"] if x["properties"]["layer"] == "request" and x["properties"]["id"] == R["a-etude"]][0]
    assert f["geometry"] == {"type": "Point", "coordinates": [-1.125, 46.142]}
    layers = {x["properties"]["layer"] for x in r.json()["features"]}
    assert {"commune", "network", "request"} <= layers
    nets = {x["properties"]["id"]: x["properties"]["class"] for x in r.json()["features"]
            if x["properties"]["layer"] == "network"}
    assert nets["1701C"] == "reseau courant" and nets["1704C"] == "reseau autre"
    assert r.json()["requests_total"] == 4 and r.json()["requests_drawn"] == 4
    assert sorted(json_points(a.get("/operateur/demandes/carte.json?statut=etude"))) == sorted([R["a-etude"], R["a-vieille"]])
    r = a.get("/operateur/demandes/carte.json?du=hier")
    assert r.status == 422 and "Date invalide" in r.json()["error"]
    # Operator B: only B's; asking for A's network gives nothing.
    b = as_(srv, "operator_b")
    assert sorted(json_points(b.get("/operateur/demandes/carte.json"))) == [R["b-seule"]]
    assert json_points(b.get("/operateur/demandes/carte.json?reseau=%d" % net_id(srv, "1701C"))) == {}
    assert "a-neuve" not in b.get("/operateur/demandes/carte.json").text
    # With an API token, the same scope.
    tok = srv.token(people.emails["operator_b"])
    assert sorted(json_points(srv.api("GET", "/operateur/demandes/carte.json", tok))) == [R["b-seule"]]


def test_visitors_and_applicants_are_refused(srv):
    anon = srv.client()
    r = anon.get("/operateur/demandes/carte")
    assert r.status == 303 and r.header("Location").startswith("/connexion"), r
    r = anon.get("/operateur/demandes/carte.json")
    assert r.status == 401 and r.json()["error"]
    ap = as_(srv, "applicant")
    r = ap.get("/operateur/demandes/carte")
    assert r.status == 403 and "rue de la Carte" not in r.text
    r = ap.get("/operateur/demandes/carte.json")
    assert r.status == 403 and "rue de la Carte" not in r.text
    assert srv.api("GET", "/operateur/demandes/carte.json", srv.token(people.emails["applicant"])).status == 403
    # The request pages the map links to keep their own scope.
    assert as_(srv, "operator_b").get("/operateur/demandes/%d" % R["a-neuve"]).status == 404


def test_points_past_the_cap_are_counted_not_drawn(srv):
    srv.sql("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1001)"
            " INSERT INTO heat_requests(created_at, updated_at, address, commune, lon, lat, profile, energy,"
            " heating_mode, last_name, first_name, email, eligibility, network_id, routed_to, status)"
            " SELECT strftime('%s','now') - i, strftime('%s','now') - i, i || ' allée du Plafond', 'Lagord',"
            " -1.15 + i * 0.00001, 46.18, 'maison', 'gaz', 'individuel', 'Plafond', 'P', 'plafond' || i || '@exemple.fr',"
            " 'loin', ?, 'x@exemple.fr', 'attente' FROM k", net_id(srv, "1701C"))
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes/carte?commune=Lagord")
    assert r.status == 200, r
    t = html.unescape(r.text)
    assert "1001 demande(s)" in t and "1000 premières sont sur la carte" in t and "1 n’y sont pas" in t, t[:3000]
    assert len(points_in(r.text)) == 1000 and len(listed(r.text)) == 1000
    newest = srv.sql1("SELECT id FROM heat_requests WHERE email='plafond1@exemple.fr'")
    oldest = srv.sql1("SELECT id FROM heat_requests WHERE email='plafond1001@exemple.fr'")
    assert newest in points_in(r.text) and oldest not in points_in(r.text)  # the table's first rows
    assert "En attente de prise en charge (1001)" in t
    j = a.get("/operateur/demandes/carte.json?commune=Lagord").json()
    assert j["requests_total"] == 1001 and j["requests_drawn"] == 1000
