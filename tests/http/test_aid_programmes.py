"""Aid programmes (issue #3, first slice): the back office that territory
admins use to create, edit and switch off programmes; the public list with
each programme's state and the reason it is closed; a programme's page with
its Markdown specification (raw HTML dropped) and the aid simulator."""
import html
import re
import time

from harness import Server

SERVER_CONFIG = {"login_max_per_ip": 1000}

NBSP = "\u00a0"

PEOPLE = {
    "applicant": "aid-demandeur@exemple.fr",
    "instructor": "aid-instructeur@exemple.fr",
    "territory_admin": "aid-territoire@exemple.fr",
    "superadmin": "aid-super@exemple.fr",
}
_ids = {}
_clients = {}


def as_(srv, role):
    """A logged-in client for one of the four accounts (kept between tests)."""
    if not _ids:
        for r, email in PEOPLE.items():
            _ids[r] = srv.add_user(email, r)
    c = _clients.get(role)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(PEOPLE[role])
        _clients[role] = c
    return c


def text_of(r):
    """A page as a user reads it: tags dropped, entities decoded, no-break
    spaces as spaces."""
    t = html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))
    return re.sub(r"\s+", " ", t.replace(NBSP, " "))


def day(offset_days=0):
    return time.strftime("%Y-%m-%d", time.localtime(time.time() + offset_days * 86400))


def fr_date(iso):
    y, m, d = iso.split("-")
    return "%s/%s/%s" % (d, m, y)


def good(**over):
    f = {"name": "Bornes en copropriété", "target": "residentiel_collectif", "rate": "50", "cap": "960",
         "bonus": "360", "bonus_label": "pilotage intelligent",
         "eligible_costs": "Fourniture et pose HT du point de recharge.", "budget": "12 500", "max_points": "",
         "opens_on": day(-30), "closes_on": day(300), "active": "1", "proofs_months": "12",
         "documents": "Devis signé\n\n  Procès-verbal d’assemblée générale  \r\nRIB",
         "spec": "## Cahier des charges\n\nUn **texte** en Markdown.\n\n<script>alert('x')</script>\n\n"
                 "<b>gras brut</b> et [lien](javascript:alert(1))\n"}
    f.update(over)
    return {k: v for k, v in f.items() if v is not None}


def create(srv, **over):
    c = as_(srv, "territory_admin")
    c.get("/admin/programmes/nouveau")
    r = c.post("/admin/programmes/nouveau", good(**over))
    assert r.status == 303, r
    m = re.match(r"^/admin/programmes/(\d+)$", r.header("Location"))
    assert m, r.header("Location")
    return int(m.group(1))


def public_card(srv, pid):
    """The programme's entry on the public list, as text."""
    r = srv.client().get("/programmes")
    assert r.status == 200
    m = re.search(r'<li id="programme-%d">(.*?)</li>' % pid, r.text, re.S)
    assert m, r.text
    return text_of(m.group(1))


# ------------------------------------------------------------ permissions

def test_every_route_needs_its_capability(srv):
    pid = create(srv)
    gets = ["/admin/programmes", "/admin/programmes/nouveau", "/admin/programmes/%d" % pid]
    posts = [("/admin/programmes/nouveau", good(name="Ne doit pas exister")),
             ("/admin/programmes/%d" % pid, good(name="Ne doit pas changer"))]
    anon = srv.client()
    for path in gets:
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), (path, r)
    anon.get("/connexion")
    for path, fields in posts:
        r = anon.post(path, fields)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), (path, r)
    for role in ("applicant", "instructor"):
        c = as_(srv, role)
        for path in gets:
            assert c.get(path).status == 403, (role, path)
        c.get("/compte")
        for path, fields in posts:
            assert c.post(path, fields).status == 403, (role, path)
    for role in ("territory_admin", "superadmin"):
        c = as_(srv, role)
        for path in gets:
            r = c.get(path)
            assert r.status == 200, (role, path, r)
    assert srv.sql1("SELECT count(*) FROM aid_programmes WHERE name LIKE 'Ne doit%'") == 0
    # The public pages are public.
    anon = srv.client()
    assert anon.get("/programmes").status == 200
    assert anon.get("/programmes/%d" % pid).status == 200
    assert anon.get("/programmes/999999").status == 404
    assert as_(srv, "territory_admin").get("/admin/programmes/999999").status == 404


# ------------------------------------------------------------ creation

def test_create_stores_cents_and_audits(srv):
    pid = create(srv, name="Programme créé", rate="37,5", cap="1 660,50", budget="12 500", max_points="40")
    row = srv.sql("SELECT name, target, rate_bp, cap_cents, bonus_cents, bonus_label, budget_cents, max_points,"
                  " active, documents FROM aid_programmes WHERE id=?", pid)[0]
    assert row == ("Programme créé", "residentiel_collectif", 3750, 166050, 36000, "pilotage intelligent",
                   1250000, 40, 1, "Devis signé\nProcès-verbal d’assemblée générale\nRIB"), row
    a = srv.sql("SELECT user_id, object, detail FROM audit WHERE action='aid.programme_create' ORDER BY id DESC"
                " LIMIT 1")[0]
    assert a == (_ids["territory_admin"], "programme:%d" % pid, "Programme créé"), a
    c = as_(srv, "territory_admin")
    r = c.get("/admin/programmes")
    t = text_of(r)
    assert "Programme créé" in t and "37,5 %" in t and "1 660,50 €" in t, t
    # The edit form comes back with the values as typed (no grouping).
    r = c.get("/admin/programmes/%d" % pid)
    assert 'value="1660,50"' in r.text and 'value="12500"' in r.text and 'value="37,5"' in r.text


def test_every_field_has_its_french_error_and_values_are_kept(srv):
    c = as_(srv, "territory_admin")
    c.get("/admin/programmes/nouveau")
    before = srv.sql1("SELECT count(*) FROM aid_programmes")
    cases = [
        ({"name": ""}, "name", "Renseignez le nom du programme."),
        ({"name": "x" * 201}, "name", "200 caractères au plus."),
        ({"target": ""}, "target", "Renseignez la cible du programme."),
        ({"target": "fusées"}, "target", "Choisissez une des options proposées."),
        ({"rate": ""}, "rate", "Renseignez le taux d’aide."),
        ({"rate": "120"}, "rate", "Indiquez un taux entre 0 et 100 %"),
        ({"rate": "cinquante"}, "rate", "Indiquez un taux entre 0 et 100 %"),
        ({"cap": ""}, "cap", "Renseignez le plafond par point de recharge."),
        ({"cap": "0"}, "cap", "Indiquez un montant en euros supérieur à zéro"),
        ({"cap": "12,345"}, "cap", "Indiquez un montant en euros supérieur à zéro"),
        ({"bonus": "beaucoup"}, "bonus", "Indiquez un montant en euros (par exemple 360)"),
        ({"bonus_label": ""}, "bonus_label", "Donnez un libellé au bonus"),
        ({"bonus": ""}, "bonus", "Indiquez le montant du bonus par point, ou effacez son libellé."),
        ({"eligible_costs": ""}, "eligible_costs", "Renseignez les coûts éligibles."),
        ({"budget": "-5"}, "budget", "Indiquez l’enveloppe en euros"),
        ({"budget": "0"}, "budget", "Indiquez l’enveloppe en euros"),
        ({"max_points": "2,5"}, "max_points", "Indiquez un nombre entier de points"),
        ({"opens_on": ""}, "opens_on", "Renseignez la date d’ouverture."),
        ({"opens_on": "2026-02-30"}, "opens_on", "Indiquez une date valide"),
        ({"closes_on": "31/12/2026"}, "closes_on", "Indiquez une date valide"),
        ({"opens_on": "2026-06-02", "closes_on": "2026-06-01"}, "closes_on",
         "La date de clôture doit être égale ou postérieure à la date d’ouverture."),
        ({"active": "oui"}, "active", "Choisissez une des options proposées."),
        ({"documents": "a" * 201}, "documents", "Chaque document tient sur une ligne de 200 caractères au plus."),
        ({"documents": "\n".join("Pièce %d" % i for i in range(31))}, "documents", "30 documents au plus"),
    ]
    for over, field, msg in cases:
        fields = good(name="Saisie gardée", **{k: v for k, v in over.items() if k != "name"})
        if "name" in over:
            fields["name"] = over["name"]
        r = c.post("/admin/programmes/nouveau", fields)
        assert r.status == 422, (over, r)
        m = re.search(r'<p class="error" id="%s-err">([^<]*)</p>' % field, r.text)
        assert m and msg in html.unescape(m.group(1)), (over, field, m and m.group(1))
        assert 'aria-invalid="true" aria-describedby="%s-err"' % field in r.text
        # Every other value comes back as typed.
        assert 'value="%s"' % html.escape(fields["opens_on"]) in r.text
        if field != "name":
            assert 'value="Saisie gardée"' in r.text
        if field != "eligible_costs":
            assert "Fourniture et pose HT du point de recharge." in r.text
        assert html.escape("<script>alert('x')</script>", quote=False) in r.text.replace("&#39;", "'")
    # Several errors at once are all listed in the summary.
    r = c.post("/admin/programmes/nouveau", good(name="", rate="", cap=""))
    t = text_of(r)
    assert r.status == 422 and "Le formulaire contient des erreurs" in t
    assert "Renseignez le nom du programme." in t and "Renseignez le taux d’aide." in t
    assert srv.sql1("SELECT count(*) FROM aid_programmes") == before


def test_csrf_refused(srv):
    c = as_(srv, "territory_admin")
    pid = create(srv, name="Programme CSRF")
    before = srv.sql1("SELECT count(*) FROM aid_programmes")
    r = c.post("/admin/programmes/nouveau", good(name="Sans jeton"), csrf=False)
    assert r.status == 403, r
    r = c.post("/admin/programmes/nouveau", dict(good(name="Mauvais jeton"), _csrf="x" * 43))
    assert r.status == 403, r
    r = c.post("/admin/programmes/%d" % pid, good(name="Autre origine"),
               headers={"Origin": "https://evil.example"})
    assert r.status == 403, r
    assert srv.sql1("SELECT count(*) FROM aid_programmes") == before
    assert srv.sql1("SELECT name FROM aid_programmes WHERE id=?", pid) == "Programme CSRF"


# ------------------------------------------------------------ edition

def test_edit_audits_changed_fields(srv):
    pid = create(srv, name="Avant")
    c = as_(srv, "superadmin")
    c.get("/admin/programmes/%d" % pid)
    r = c.post("/admin/programmes/%d" % pid, good(name="Après", cap="1 200"))
    assert r.status == 303 and r.header("Location") == "/admin/programmes/%d" % pid, r
    assert srv.sql("SELECT name, cap_cents FROM aid_programmes WHERE id=?", pid)[0] == ("Après", 120000)
    a = srv.sql("SELECT user_id, object, detail FROM audit WHERE action='aid.programme_update' ORDER BY id DESC"
                " LIMIT 1")[0]
    assert a == (_ids["superadmin"], "programme:%d" % pid, "name, cap"), a
    r = c.get("/admin/programmes/%d" % pid)
    assert "Le programme est enregistré." in text_of(r) and 'value="Après"' in r.text
    # The same values again change nothing and write no audit row.
    n = srv.sql1("SELECT count(*) FROM audit WHERE action='aid.programme_update'")
    r = c.post("/admin/programmes/%d" % pid, good(name="Après", cap="1200,00"))
    assert r.status == 303
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.programme_update'") == n
    # An invalid edit keeps what was typed and changes nothing.
    r = c.post("/admin/programmes/%d" % pid, good(name="Tapé", closes_on=day(-40)))
    assert r.status == 422 and 'value="Tapé"' in r.text
    assert "La date de clôture doit être égale ou postérieure" in text_of(r)
    assert srv.sql1("SELECT name FROM aid_programmes WHERE id=?", pid) == "Après"


def test_deactivate_shows_closed_with_reason(srv):
    pid = create(srv, name="Programme à désactiver")
    assert "Ouvert" in public_card(srv, pid)
    c = as_(srv, "territory_admin")
    c.get("/admin/programmes/%d" % pid)
    r = c.post("/admin/programmes/%d" % pid, good(name="Programme à désactiver", active=None))
    assert r.status == 303, r
    assert srv.sql1("SELECT active FROM aid_programmes WHERE id=?", pid) == 0
    a = srv.sql("SELECT object, detail FROM audit WHERE action='aid.programme_update' ORDER BY id DESC LIMIT 1")[0]
    assert a == ("programme:%d" % pid, "active (programme désactivé)"), a
    card = public_card(srv, pid)
    assert "Clos" in card and "Le programme est clos : il n’accepte plus de demandes." in card, card
    assert "Ouvert" not in card
    r = c.get("/admin/programmes/%d" % pid)
    assert 'name="active" value="1">' in r.text  # unchecked
    # Reactivation.
    r = c.post("/admin/programmes/%d" % pid, good(name="Programme à désactiver"))
    assert "Ouvert" in public_card(srv, pid)


def test_future_and_past_dates_close_with_reason(srv):
    future = create(srv, name="Programme à venir", opens_on=day(10), closes_on=day(100))
    card = public_card(srv, future)
    assert "Clos" in card
    assert ("Le programme n’est pas encore ouvert : les demandes seront reçues à partir du %s."
            % fr_date(day(10))) in card, card
    past = create(srv, name="Programme passé", opens_on=day(-100), closes_on=day(-1))
    card = public_card(srv, past)
    assert "Le programme est clos : la date limite de dépôt, le %s, est passée." % fr_date(day(-1)) in card, card
    today = create(srv, name="Dernier jour", opens_on=day(-100), closes_on=day(0))
    assert "Ouvert" in public_card(srv, today)


def test_envelope_and_points_reached_close(srv):
    pid = create(srv, name="Enveloppe", budget="10 000", max_points="20")
    srv.sql("UPDATE aid_programmes SET committed_cents=999999 WHERE id=?", pid)
    assert "Ouvert" in public_card(srv, pid)  # one cent left
    srv.sql("UPDATE aid_programmes SET committed_cents=1000000 WHERE id=?", pid)
    card = public_card(srv, pid)
    assert "Clos" in card and "Le programme est clos : l’enveloppe budgétaire est épuisée." in card, card
    srv.sql("UPDATE aid_programmes SET committed_cents=0, committed_points=20 WHERE id=?", pid)
    card = public_card(srv, pid)
    assert "Le programme est clos : le nombre maximal de points de recharge est atteint." in card, card


# ------------------------------------------------------------ public page

def test_markdown_rendered_without_raw_html(srv):
    pid = create(srv, name="Programme Markdown")
    r = srv.client().get("/programmes/%d" % pid)
    assert r.status == 200
    m = re.search(r'<div class="markdown" id="cahier">(.*?)</div>', r.text, re.S)
    assert m, r.text
    spec = m.group(1)
    assert "<h2>Cahier des charges</h2>" in spec and "<strong>texte</strong>" in spec, spec
    assert "<script" not in r.text and "alert('x')" not in r.text
    assert "<b>" not in spec and "javascript:" not in r.text
    t = text_of(r)
    assert "Devis signé" in t and "Procès-verbal d’assemblée générale" in t and "RIB" in t
    assert re.search(r'<ul id="documents"><li>Devis signé</li><li>Procès-verbal d’assemblée générale</li>'
                     r'<li>RIB</li></ul>', r.text), r.text
    assert "50 % du coût éligible HT" in t and "960,00 € par point de recharge" in t
    assert "12 500,00 €" in t  # the envelope


def test_simulator(srv):
    pid = create(srv, name="Simulateur", budget="", max_points="")
    c = srv.client()
    # Rate binds: 50 % of 1 000 € = 500 € < 960 €.
    r = c.get("/programmes/%d?cout=1000&points=1" % pid)
    assert r.status == 200
    m = re.search(r'<span id="montant">([^<]*)</span>', r.text)
    assert m and m.group(1).replace(NBSP, " ") == "500,00 €", m and m.group(1)
    # Cap binds, with the bonus: min(2 500, 1 920) + 2 × 360 = 2 640 €.
    r = c.get("/programmes/%d?cout=5+000&points=2&bonus=1" % pid)
    t = text_of(r)
    assert "Aide estimée : 2 640,00 €" in t and "le plafond s’applique" in t, t
    assert 'value="5 000"' in r.text and 'name="bonus" value="1" checked' in r.text
    # Rounded down to the cent: 50 % of 0,05 € = 0,025 €.
    r = c.get("/programmes/%d?cout=0,05&points=1" % pid)
    assert "Aide estimée : 0,02 €" in text_of(r)
    # Errors next to the fields, values kept.
    r = c.get("/programmes/%d?cout=mille&points=0" % pid)
    assert r.status == 422
    assert re.search(r'<p class="error" id="cout-err">Indiquez le coût éligible HT en euros', r.text)
    assert re.search(r'<p class="error" id="points-err">Indiquez un nombre entier de points de recharge, au moins 1.',
                     r.text)
    assert 'value="mille"' in r.text and "montant" not in r.text.split('id="simulateur"')[1].split("Cahier")[0]
    r = c.get("/programmes/%d?cout=&points=" % pid)
    assert r.status == 422
    assert "Renseignez le coût éligible HT du projet, en euros." in text_of(r)
    assert "Renseignez le nombre de points de recharge." in text_of(r)
    r = c.get("/programmes/%d?cout=%s&points=1" % (pid, "9" * 60))
    assert r.status == 422 and "Indiquez le coût éligible HT en euros" in text_of(r)
    # No query: no result, no error.
    r = c.get("/programmes/%d" % pid)
    assert r.status == 200 and 'id="resultat"' not in r.text and 'class="error"' not in r.text
    # A request larger than what is left of the envelope is flagged.
    small = create(srv, name="Petite enveloppe", budget="1 000")
    r = c.get("/programmes/%d?cout=5000&points=2" % small)
    assert "L’enveloppe budgétaire restante ne couvre pas cette demande." in text_of(r)


def test_seeded_demo_programmes(srv):
    demo = Server(login_max_per_ip=1000, seed=1)
    try:
        r = demo.client().get("/programmes")
        t = text_of(r)
        assert r.status == 200
        for target in ("Résidentiel collectif", "Entreprises et flottes", "Voirie publique", "Poids lourds"):
            assert target in t, target
        assert demo.sql1("SELECT count(*) FROM aid_programmes WHERE active=1") == 4
        pid = demo.sql1("SELECT id FROM aid_programmes WHERE target='voirie_publique'")
        r = demo.client().get("/programmes/%d" % pid)
        assert "Montants de démonstration, à adapter" in text_of(r)
        assert t.count("Ouvert") == 4, t
    finally:
        demo.stop()
