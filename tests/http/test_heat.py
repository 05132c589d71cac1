"""Heat networks (issue #4): the admin import of traces, zones and figures,
network edits, the eligibility test (page and API) at every level of the
cascade, contact requests (dedupe, routing, emails), the operators' back
office with its scope, and every route's permissions.

Distances are those of tests/fixtures/heat/SOURCES.md, computed with cs2cs
and plain Python, independently of the server."""
import html
import os
import re
import urllib.parse

from harness import ROOT

SERVER_CONFIG = {"login_max_per_ip": 1000}

GEO = os.path.join(ROOT, "tests", "fixtures", "geo")
HEAT = os.path.join(ROOT, "tests", "fixtures", "heat")
AGENCY = "reseaux-chaleur@agence-energie.localhost"

PEOPLE = {
    "applicant": "heat-demandeur@exemple.fr",
    "operator": "heat-exploitant@exemple.fr",     # 1701C
    "operator_b": "heat-exploitant-b@exemple.fr",  # 1704C
    "territory_admin": "heat-territoire@exemple.fr",
}
ROLE = {"operator_b": "operator"}
_ids, _clients = {}, {}

ADDR = {
    "tres_proche": "1 Rue des Essais La Rochelle",
    "proche": "2 Rue des Essais La Rochelle",
    "loin": "3 Rue des Essais La Rochelle",
    "loin_agence": "4 Rue des Essais La Rochelle",
    "dans_commune": "5 Rue des Essais La Rochelle",
    "zone": "1 Rue des Essais Périgny",
    "aucun": "1 Rue des Essais Puilboreau",
}


def as_(srv, who):
    if not _ids:
        for k, email in PEOPLE.items():
            _ids[k] = srv.add_user(email, ROLE.get(k, k))
    c = _clients.get(who)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(PEOPLE[who])
        _clients[who] = c
    return c


def read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


def api(srv, **q):
    return srv.client().get("/api/v1/eligibility?" + urllib.parse.urlencode(q))


def net_id(srv, sncu):
    return srv.sql1("SELECT id FROM heat_networks WHERE sncu_id=?", sncu)


def edit_network(c, srv, sncu, **fields):
    nid = net_id(srv, sncu)
    c.get("/admin/reseaux/%d" % nid)
    form = {"nom": srv.sql1("SELECT name FROM heat_networks WHERE id=?", nid), "ouvert": "oui"}
    form.update(fields)
    form = {k: v for k, v in form.items() if v is not None}
    return c.post("/admin/reseaux/%d" % nid, form)


# ------------------------------------------------------------------ imports

def test_import_traces_through_admin_page(srv):
    c = as_(srv, "territory_admin")
    r = c.get("/admin/reseaux")
    assert r.status == 200 and "Aucun réseau" in r.text
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto", "remplacer": "oui"},
               files={"fichier": ("reseaux.geojson", read(GEO, "reseaux_la_rochelle.geojson"), "application/geo+json")})
    assert r.status == 200, r
    assert "3 importés sur 3" in r.text
    assert "réseau 1701C créé" in r.text
    rows = srv.sql("SELECT sncu_id, name, operator_name, renewable_pct FROM heat_networks ORDER BY sncu_id")
    assert [x[0] for x in rows] == ["1701C", "1703C", "1704C"]
    assert rows[0][1] == "Villeneuve les Salines" and rows[0][2].startswith("SALINES ENERGIES")
    assert rows[2][3] == 96.3
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='heat.networks.import'") == 1


def test_import_lambert93_adds_without_replacing(srv):
    c = as_(srv, "territory_admin")
    before = srv.sql1("SELECT count(*) FROM heat_networks")
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "2154"},
               files={"fichier": ("1703C.geojson", read(HEAT, "reseau-1703C-l93.geojson"), "application/geo+json")})
    assert r.status == 200 and "1 importés sur 1" in r.text, r
    assert srv.sql1("SELECT count(*) FROM heat_networks") == before  # updated, not duplicated
    # Re-import everything, replacing the layer: one trace per network again.
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "4326", "remplacer": "oui"},
               files={"fichier": ("r.geojson", read(GEO, "reseaux_la_rochelle.geojson"), "application/geo+json")})
    assert r.status == 200 and "3 importés sur 3" in r.text


def test_import_refusals(srv):
    c = as_(srv, "territory_admin")
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto"},
               files={"fichier": ("x.geojson", b"{pas du json", "application/json")})
    assert r.status == 422 and 'class="error" id="fichier-err"' in r.text, r
    r = c.post("/admin/reseaux/import", {"couche": "autre", "epsg": "auto"},
               files={"fichier": ("x.geojson", b"{}", "application/json")})
    assert r.status == 422 and "Choisissez une des options proposées." in r.text
    r = c.post("/admin/reseaux/import", {"couche": "traces", "epsg": "auto"}, files={"vide": ("x", b"", "text/plain")})
    assert r.status == 422 and "Choisissez un fichier GeoJSON" in r.text
    assert srv.sql1("SELECT count(*) FROM heat_networks") == 3


def test_import_figures_csv(srv):
    c = as_(srv, "territory_admin")
    c.get("/admin/reseaux")
    r = c.post("/admin/reseaux/chiffres", {},
               files={"fichier": ("arrete.csv", read(HEAT, "arrete-dpe-2026_extrait-la-rochelle.csv"), "text/csv")})
    assert r.status == 200, r
    assert "3 importés sur 5" in r.text
    assert "réseau 1601C inconnu ici, ignoré" in r.text
    row = srv.sql("SELECT co2_g_kwh, co2_acv_g_kwh, renewable_pct, figures_year FROM heat_networks WHERE sncu_id='1701C'")[0]
    assert round(row[0]) == 49 and round(row[1]) == 84 and row[2] == 73.5 and row[3] == "Moyenne"
    r = c.post("/admin/reseaux/chiffres", {}, files={"fichier": ("x.csv", b"a,b\n1,2\n", "text/csv")})
    assert r.status == 422 and "La colonne « identifiant » manque" in r.text


def test_load_territory(srv):
    res = srv.cli("import", "geojson", "communes", os.path.join(GEO, "communes_la_rochelle.geojson"), "--id", "code")
    assert res.returncode == 0, res.stdout + res.stderr
    res = srv.cli("import", "addresses", os.path.join(HEAT, "adresses-essais-la-rochelle.csv"))
    assert res.returncode == 0, res.stdout + res.stderr
    res = srv.cli("import", "addresses", os.path.join(ROOT, "tests", "fixtures", "adresses", "bondy-extrait.csv"))
    assert res.returncode == 0, res.stdout + res.stderr


# -------------------------------------------------------------- eligibility

def test_api_by_coordinates_at_every_level(srv):
    r = api(srv, lat="46.158759", lon="-1.140582")  # 40 m east of 1701C's first vertex
    assert r.status == 200, r
    j = r.json()
    assert j["eligibility"] == "tres_proche" and j["eligible"] is True
    assert abs(j["distance_m"] - 39.19) < 0.5
    assert j["network"]["id"] == "1701C" and j["network"]["name"] == "Villeneuve les Salines"
    assert j["network"]["operator"].startswith("SALINES ENERGIES")
    assert round(j["network"]["co2_g_kwh"]) == 49 and j["network"]["renewable_pct"] == 73.5
    assert j["commune"] == "Rochelle"
    for lat, lon, level, dist in [("46.158811", "-1.139159", "proche", 146.96),
                                  ("46.159023", "-1.133336", "loin", 420.28),
                                  ("46.140755", "-1.139742", "dans_commune", 1471.06),
                                  ("46.170472", "-1.116029", "aucun", None)]:
        j = api(srv, lat=lat, lon=lon).json()
        assert j["eligibility"] == level, (level, j)
        assert j["eligible"] is (level == "proche")
        if dist:
            assert abs(j["distance_m"] - dist) < 1, j
        else:
            assert j["network"] is None


def test_api_outside_territory_and_bad_input(srv):
    j = api(srv, lat="48.85", lon="2.35").json()
    assert j["eligibility"] == "hors_territoire"
    assert "en dehors du territoire" in j["message"] and j["network"] is None
    r = api(srv, lat="abc", lon="2")
    assert r.status == 400 and "lat et lon" in r.json()["error"]
    r = api(srv, lat="95", lon="2")
    assert r.status == 400
    r = api(srv)
    assert r.status == 400 and "Indiquez une adresse" in r.json()["error"]
    r = api(srv, address="x" * 300)
    assert r.status == 400


def test_api_by_address_and_suggestions(srv):
    j = api(srv, address=ADDR["tres_proche"]).json()
    assert j["eligibility"] == "tres_proche" and j["address"]["label"].startswith("1 Rue des Essais")
    r = api(srv, address="12 rue de la Repubique Bondy")
    assert r.status == 404, r
    j = r.json()
    assert j["suggestions"] and "Bondy" in j["suggestions"][0]["label"]
    assert j["error"]


def test_priority_zone(srv):
    assert api(srv, address=ADDR["zone"]).json()["eligibility"] == "loin"
    res = srv.cli("import", "geojson", "heat_zones", os.path.join(HEAT, "zone-prioritaire-essai.geojson"))
    assert res.returncode == 0, res.stdout + res.stderr
    j = api(srv, address=ADDR["zone"]).json()
    assert j["eligibility"] == "dans_zone_prioritaire" and j["eligible"] is True
    assert j["in_priority_zone"] is True and j["network"]["id"] == "1701C"


def test_page_levels_and_not_found(srv):
    c = srv.client()
    r = c.get("/eligibilite")
    assert r.status == 200 and 'name="adresse"' in r.text and "Envoyer ma demande" not in r.text
    for key, level in [("tres_proche", "tres_proche"), ("proche", "proche"), ("loin", "loin"),
                       ("dans_commune", "dans_commune"), ("aucun", "aucun")]:
        r = c.get("/eligibilite?" + urllib.parse.urlencode({"adresse": ADDR[key]}))
        assert r.status == 200
        assert 'data-eligibilite="%s"' % level in r.text, (key, r.text[:3000])
    r = c.get("/eligibilite?adresse=" + urllib.parse.quote(ADDR["tres_proche"]))
    t = html.unescape(r.text)
    assert "Villeneuve les Salines" in t and "39 m" in t and "73.5 %" in t and "Envoyer ma demande" in t
    r = c.get("/eligibilite?adresse=" + urllib.parse.quote("12 rue de la Repubique Bondy"))
    assert r.status == 200 and 'id="introuvable"' in r.text and "Bondy" in r.text, r
    assert "/eligibilite?adresse=" in r.text  # suggestions are links
    r = c.get("/eligibilite?adresse=" + urllib.parse.quote("3 rue Jean Jaures Bondy"))
    assert "en dehors du territoire" in html.unescape(r.text) and "Envoyer ma demande" not in r.text


def test_network_edit_override_and_closing(srv):
    c = as_(srv, "territory_admin")
    r = edit_network(c, srv, "1701C", seuil_tres_proche="150")
    assert r.status == 303, r
    assert api(srv, address=ADDR["proche"]).json()["eligibility"] == "tres_proche"  # 146.96 m ≤ 150 m
    r = edit_network(c, srv, "1701C", seuil_tres_proche="", ouvert=None)
    assert r.status == 303
    j = api(srv, address=ADDR["tres_proche"]).json()
    assert j["eligibility"] != "tres_proche"  # 1701C closed: the next network is 1704C, far away
    assert (j["network"] or {}).get("id") != "1701C"
    r = edit_network(c, srv, "1701C")
    assert r.status == 303
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='heat.network.update'") == 3


def test_network_edit_errors(srv):
    c = as_(srv, "territory_admin")
    r = edit_network(c, srv, "1701C", nom="", seuil_tres_proche="abc", seuil_proche="50",
                     compte_exploitant=PEOPLE["applicant"], email_exploitant="pas-une-adresse")
    assert r.status == 422
    t = html.unescape(r.text)
    assert 'id="nom-err"' in t and "Saisissez une distance en mètres entre 1 et 5000" in t
    assert "Aucun compte avec le rôle « Exploitant de réseau »" in t
    assert 'id="email_exploitant-err"' in t and 'value="50"' in t
    r = edit_network(c, srv, "1701C", seuil_tres_proche="120", seuil_proche="110")
    assert r.status == 422 and "doit être supérieur ou égal" in html.unescape(r.text)
    assert c.get("/admin/reseaux/99999").status == 404
    assert c.post("/admin/reseaux/99999", {"nom": "x"}).status == 404


def test_assign_operators(srv):
    c = as_(srv, "territory_admin")
    assert edit_network(c, srv, "1701C", compte_exploitant=PEOPLE["operator"]).status == 303
    assert edit_network(c, srv, "1704C", compte_exploitant=PEOPLE["operator_b"]).status == 303
    assert srv.sql1("SELECT operator_user_id FROM heat_networks WHERE sncu_id='1701C'") == _ids["operator"]


# ---------------------------------------------------------- contact requests

def request_form(address, **kw):
    f = {"adresse": address, "profil": "copropriete", "energie": "gaz", "mode": "collectif", "logements": "40",
         "surface": "2500", "nom": "Martin", "prenom": "Claire", "email": "claire.martin@exemple.fr",
         "telephone": "05 46 11 22 33", "commentaire": "Chaudière à remplacer en 2027.", "consentement": "oui"}
    f.update(kw)
    return {k: v for k, v in f.items() if v is not None}


def send(srv, address, **kw):
    c = srv.client()
    c.get("/eligibilite?adresse=" + urllib.parse.quote(address))
    return c.post("/eligibilite/demande", request_form(address, **kw))


def test_request_routed_to_operator_with_emails(srv):
    r = send(srv, ADDR["tres_proche"])
    assert r.status == 200, r
    rid = int(re.search(r'id="reference">(\d+)<', r.text).group(1))
    row = srv.sql("SELECT r.status, r.eligibility, n.sncu_id, r.routed_to, r.dwellings FROM heat_requests r"
                  " LEFT JOIN heat_networks n ON n.id=r.network_id WHERE r.id=?", rid)[0]
    assert row == ("a_traiter", "tres_proche", "1701C", PEOPLE["operator"], 40)
    mails = srv.mails("claire.martin@exemple.fr")
    assert mails and "Votre demande de raccordement" in mails[0][0] and "Villeneuve les Salines" in mails[0][1]
    op = srv.mails(PEOPLE["operator"])
    assert op and "/operateur/demandes/%d" % rid in op[0][1]
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='heat.request.create' AND object=?",
                    "heat_request:%d" % rid) == 1
    assert srv.sql1("SELECT count(*) FROM heat_request_history WHERE request_id=?", rid) == 1


def test_request_dedupe(srv):
    n = srv.sql1("SELECT count(*) FROM heat_requests")
    m = len(srv.mails("claire.martin@exemple.fr"))
    r = send(srv, ADDR["tres_proche"], email="Claire.Martin@exemple.fr")
    assert r.status == 200 and 'id="deja"' in r.text
    assert srv.sql1("SELECT count(*) FROM heat_requests") == n
    assert len(srv.mails("claire.martin@exemple.fr")) == m
    # Older than 30 days: a new request.
    srv.sql("UPDATE heat_requests SET created_at=created_at-31*86400")
    r = send(srv, ADDR["tres_proche"])
    assert r.status == 200 and 'id="deja"' not in r.text
    assert srv.sql1("SELECT count(*) FROM heat_requests") == n + 1


def test_request_routing_500m_and_agency(srv):
    r = send(srv, ADDR["loin"], email="loin@exemple.fr")  # 420 m from 1701C: its operator, not eligible
    assert r.status == 200
    row = srv.sql("SELECT status, routed_to, network_id IS NOT NULL FROM heat_requests WHERE email='loin@exemple.fr'")[0]
    assert row == ("non_realisable", PEOPLE["operator"], 1)
    r = send(srv, ADDR["loin_agence"], email="agence@exemple.fr")  # 946 m: the energy agency
    assert r.status == 200 and "agence locale de l’énergie" in html.unescape(r.text)
    row = srv.sql("SELECT routed_to, network_id FROM heat_requests WHERE email='agence@exemple.fr'")[0]
    assert row == (AGENCY, None)
    assert any("agence@exemple.fr" not in b and "Rue des Essais" in b for _, b in srv.mails(AGENCY))


def test_request_professional_and_errors(srv):
    r = send(srv, ADDR["proche"], profil="professionnel", email="pro@exemple.fr")
    assert r.status == 422
    t = html.unescape(r.text)
    assert "le type de votre structure" in t and 'id="structure_nom-err"' in t
    assert 'value="pro@exemple.fr"' in t and "Chaudière à remplacer en 2027." in t  # nothing typed is lost
    r = send(srv, ADDR["proche"], profil="professionnel", structure_type="syndic", structure_nom="Syndic Atlantique",
             email="pro@exemple.fr")
    assert r.status == 200
    assert srv.sql("SELECT structure_type, structure_name FROM heat_requests WHERE email='pro@exemple.fr'")[0] == \
        ("syndic", "Syndic Atlantique")
    r = send(srv, ADDR["proche"], energie="charbon", mode=None, email="x", telephone="12", logements="-3",
             consentement=None, nom="")
    assert r.status == 422
    for field in ("energie", "mode", "email", "telephone", "logements", "consentement", "nom"):
        assert 'id="%s-err"' % field in r.text, field
    r = send(srv, "12 rue de la Repubique Bondy")
    assert r.status == 422 and 'id="adresse-err"' in r.text and "Bondy" in r.text
    r = send(srv, "3 rue Jean Jaures Bondy")
    assert r.status == 422 and "en dehors du territoire" in html.unescape(r.text)
    assert srv.sql1("SELECT count(*) FROM heat_requests WHERE email IN ('x', 'pro@exemple.fr')") == 1


def test_request_csrf(srv):
    c = srv.client()
    n = srv.sql1("SELECT count(*) FROM heat_requests")
    r = c.post("/eligibilite/demande", request_form(ADDR["proche"], email="csrf@exemple.fr"), csrf=False)
    assert r.status == 403
    c.get("/eligibilite")
    r = c.post("/eligibilite/demande", request_form(ADDR["proche"], email="csrf@exemple.fr", _csrf="faux"))
    assert r.status == 403
    assert srv.sql1("SELECT count(*) FROM heat_requests") == n


# ------------------------------------------------------------- back office

def test_operator_scope(srv):
    send(srv, "1 Rue des Essais La Rochelle", email="a-scope@exemple.fr")
    rid_a = srv.sql1("SELECT id FROM heat_requests WHERE email='a-scope@exemple.fr'")
    rid_agency = srv.sql1("SELECT id FROM heat_requests WHERE email='agence@exemple.fr'")
    a, b = as_(srv, "operator"), as_(srv, "operator_b")
    r = a.get("/operateur/demandes")
    assert r.status == 200 and "/operateur/demandes/%d" % rid_a in r.text
    assert "/operateur/demandes/%d\"" % rid_agency not in r.text
    r = b.get("/operateur/demandes")
    assert r.status == 200 and "/operateur/demandes/%d\"" % rid_a not in r.text and "Aucune demande." in r.text
    assert b.get("/operateur/demandes/%d" % rid_a).status == 404
    b.get("/operateur/demandes")
    assert b.post("/operateur/demandes/%d/statut" % rid_a, {"statut": "abandonne"}).status == 404
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid_a) == "a_traiter"
    assert a.get("/operateur/demandes/%d" % rid_agency).status == 404
    assert a.get("/operateur/demandes/999999").status == 404
    ta = as_(srv, "territory_admin")
    assert ta.get("/operateur/demandes/%d" % rid_agency).status == 200
    r = ta.get("/operateur/demandes")
    assert "/operateur/demandes/%d\"" % rid_agency in r.text


def test_status_change_history_and_email(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='a-scope@exemple.fr'")
    a = as_(srv, "operator")
    r = a.get("/operateur/demandes/%d" % rid)
    assert r.status == 200 and "À traiter" in html.unescape(r.text)
    r = a.post("/operateur/demandes/%d/statut" % rid, {"statut": "etude", "commentaire": "Visite technique le 3 mars."})
    assert r.status == 303, r
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid) == "etude"
    hist = srv.sql("SELECT old_status, new_status, comment, user_id FROM heat_request_history WHERE request_id=?"
                   " ORDER BY id", rid)
    assert hist[-1] == ("a_traiter", "etude", "Visite technique le 3 mars.", _ids["operator"])
    mail = srv.mails("a-scope@exemple.fr")[0]
    assert "Étude en cours" in mail[1] and "Visite technique le 3 mars." in mail[1]
    assert srv.sql1("SELECT detail FROM audit WHERE action='heat.request.status' ORDER BY id DESC LIMIT 1") == \
        "a_traiter → etude"
    r = a.get("/operateur/demandes/%d" % rid)
    t = html.unescape(r.text)
    assert "À traiter → Étude en cours" in t and "« Visite technique le 3 mars. »" in t
    r = a.post("/operateur/demandes/%d/statut" % rid, {"statut": "inconnu"})
    assert r.status == 422 and 'id="statut-err"' in r.text
    r = a.post("/operateur/demandes/%d/statut" % rid, {"statut": "etude"})
    assert r.status == 422 and "déjà ce statut" in html.unescape(r.text)
    r = a.post("/operateur/demandes/%d/statut" % rid, {"statut": "vote_ag"}, csrf=False)
    assert r.status == 403
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid) == "etude"


def test_permissions_every_route(srv):
    rid = srv.sql1("SELECT id FROM heat_requests WHERE email='a-scope@exemple.fr'")
    nid = net_id(srv, "1701C")
    gets = {"/admin/reseaux": "admin", "/admin/reseaux/%d" % nid: "admin",
            "/operateur/demandes": "operate", "/operateur/demandes/%d" % rid: "operate",
            "/eligibilite": "public", "/api/v1/eligibility?lat=46.158759&lon=-1.140582": "public"}
    posts = {"/admin/reseaux/import": "admin", "/admin/reseaux/chiffres": "admin",
             "/admin/reseaux/%d" % nid: "admin", "/operateur/demandes/%d/statut" % rid: "operate"}
    allowed = {"anonymous": {"public"}, "applicant": {"public"}, "operator": {"public", "operate"},
               "territory_admin": {"public", "operate", "admin"}}
    for who, ok in allowed.items():
        c = srv.client() if who == "anonymous" else as_(srv, who)
        for path, need in gets.items():
            st = c.get(path).status
            if need in ok:
                assert st == 200, (who, path, st)
            elif who == "anonymous":
                assert st in (303, 401), (who, path, st)
            else:
                assert st == 403, (who, path, st)
        for path, need in posts.items():
            if need in ok:
                continue  # allowed posts are exercised above
            c.get("/eligibilite")
            st = c.post(path, {"statut": "realise", "nom": "Piraté"}).status
            assert st in ((303, 401) if who == "anonymous" else (403,)), (who, path, st)
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", rid) == "etude"
    assert srv.sql1("SELECT name FROM heat_networks WHERE id=?", nid) != "Piraté"
