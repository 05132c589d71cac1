"""Administration: users (search, filters, pages, roles, status), the audit
log (filters, chain check) and the mail outbox — every route for every kind
of visitor, and each rule with its refusal."""
import html
import re
import time
import urllib.parse

from harness import GOOD_PASSWORD

# Every test comes from 127.0.0.1: the per-IP limit is tested on its own.
SERVER_CONFIG = {"login_max_per_ip": 1000}

PEOPLE = {
    "applicant": "adm-demandeur@exemple.fr",
    "instructor": "adm-instructeur@exemple.fr",
    "territory_admin": "adm-territoire@exemple.fr",
    "superadmin": "adm-super@exemple.fr",
}
_ids = {}
_clients = {}


def ids(srv):
    """The four accounts every test may use, created once."""
    if not _ids:
        for role, email in PEOPLE.items():
            _ids[role] = srv.add_user(email, role)
    return _ids


def as_(srv, role):
    """A logged-in client for one of the four accounts (kept between tests)."""
    ids(srv)
    c = _clients.get(role)
    if c is None or c.get("/compte").status != 200:
        c = srv.client()
        c.login(PEOPLE[role])
        _clients[role] = c
    return c


def post_roles(c, uid, roles):
    """Posts the roles form with one "roles" field per ticked box (the
    harness's post() takes one value per name)."""
    if c.csrf is None:
        c.get("/compte")
    pairs = [("_csrf", c.csrf)] + [("roles", r) for r in roles]
    return c.request("POST", "/admin/utilisateurs/%d/roles" % uid, body=urllib.parse.urlencode(pairs).encode(),
                     headers={"Origin": "http://127.0.0.1:%d" % c.server.port,
                              "Content-Type": "application/x-www-form-urlencoded"})


def roles_of(srv, uid):
    return sorted(r for (r,) in srv.sql("SELECT role FROM user_roles WHERE user_id=?", uid))


def last_audit(srv, action):
    rows = srv.sql("SELECT user_id, object, detail FROM audit WHERE action=? ORDER BY id DESC LIMIT 1", action)
    return rows[0] if rows else None


def text_of(r):
    """A page (or a piece of one) as a user reads it: tags dropped, entities
    decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))


def today(offset_days=0):
    return time.strftime("%Y-%m-%d", time.localtime(time.time() + offset_days * 86400))


# ------------------------------------------------------------ permissions

def test_every_route_needs_its_capability(srv):
    ids(srv)
    target = srv.add_user("adm-cible@exemple.fr", "applicant")
    c = srv.client()  # a message to look at: a password reset
    c.get("/mot-de-passe-oublie")
    c.post("/mot-de-passe-oublie", {"email": PEOPLE["applicant"]})
    assert srv.mails(PEOPLE["applicant"])
    mid = srv.sql1("SELECT max(id) FROM outbox")
    gets = ["/admin/utilisateurs", "/admin/utilisateurs/%d" % target, "/admin/audit", "/admin/audit/verifier",
            "/admin/outbox", "/admin/outbox/%d" % mid]
    posts = [("/admin/utilisateurs/%d/roles" % target, {"roles": "applicant"}),
             ("/admin/utilisateurs/%d/statut" % target, {"statut": "active"})]
    anon = srv.client()
    for path in gets + ["/admin"]:
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/connexion?suite="), (path, r)
    anon.get("/connexion")
    for path, fields in posts:
        r = anon.post(path, fields)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), (path, r)
    for role in ("applicant", "instructor"):
        c = as_(srv, role)
        for path in gets + ["/admin"]:
            r = c.get(path)
            assert r.status == 403 and "Vous n’avez pas accès à cette page" in r.text, (role, path, r)
        c.get("/compte")
        for path, fields in posts:
            assert c.post(path, fields).status == 403, (role, path)
        assert "/admin/utilisateurs" not in c.get("/compte").text  # no "Administration" link
    for role in ("territory_admin", "superadmin"):
        c = as_(srv, role)
        for path in gets:
            r = c.get(path)
            assert r.status == 200, (role, path, r)
        r = c.get("/admin")
        assert r.status == 303 and r.header("Location") == "/admin/utilisateurs"
        for path, fields in posts:
            r = c.post(path, fields)
            assert r.status == 303 and r.header("Location") == "/admin/utilisateurs/%d" % target, (role, path, r)
        assert 'href="/admin/utilisateurs"' in c.get("/compte").text
    # Nothing changed: the forms re-sent the current state.
    assert roles_of(srv, target) == ["applicant"]
    assert srv.sql1("SELECT status FROM users WHERE id=?", target) == "active"


def test_admin_menu_on_every_page(srv):
    c = as_(srv, "territory_admin")
    for path, current in (("/admin/utilisateurs", "Utilisateurs"), ("/admin/audit", "Journal d’audit"),
                          ("/admin/outbox", "Messages envoyés")):
        r = c.get(path)
        nav = re.search(r'<nav class="admin-nav".*?</nav>', r.text, re.S).group(0)
        assert "Utilisateurs" in nav and "Journal d’audit" in nav and "Messages envoyés" in nav
        assert re.search(r'aria-current="page">' + current, nav), (path, nav)


def test_post_without_csrf_token_is_refused(srv):
    uid = srv.add_user("adm-csrf@exemple.fr", "applicant")
    c = as_(srv, "territory_admin")
    r = c.post("/admin/utilisateurs/%d/roles" % uid, {"roles": "instructor"}, csrf=False)
    assert r.status == 403 and "Le formulaire a expiré" in r.text
    r = c.post("/admin/utilisateurs/%d/statut" % uid, {"statut": "disabled"}, csrf=False)
    assert r.status == 403
    r = c.post("/admin/utilisateurs/%d/statut" % uid, {"statut": "disabled", "_csrf": "x" * 43})
    assert r.status == 403
    assert roles_of(srv, uid) == ["applicant"]
    assert srv.sql1("SELECT status FROM users WHERE id=?", uid) == "active"


# ------------------------------------------------------------------ users

def test_user_list_columns_in_french(srv):
    uid = srv.add_user("adm-colonnes@exemple.fr", "instructor", "advisor")
    srv.sql("UPDATE users SET first_name='Zoé', last_name='Colonne', created_at=1741187220,"
            " last_login_at=NULL WHERE id=?", uid)  # 2025-03-05 15:07 UTC
    c = as_(srv, "territory_admin")
    r = c.get("/admin/utilisateurs?q=adm-colonnes")
    assert r.status == 200
    row = re.search(r"<tr>\s*<td><a href=\"/admin/utilisateurs/%d\">.*?</tr>" % uid, r.text, re.S).group(0)
    t = text_of(row)
    assert "adm-colonnes@exemple.fr" in t and "Zoé Colonne" in t
    assert "Instructeur" in t and "Conseiller" in t            # French labels of the roles
    assert "Actif" in t and "désactivée" in t and "jamais" in t  # status badge, 2FA off, never logged in
    local = time.strftime("%d/%m/%Y %H:%M", time.localtime(1741187220))
    assert local in t
    # Personal text is escaped, never interpreted.
    srv.sql("UPDATE users SET last_name='<script>alert(1)</script>' WHERE id=?", uid)
    r = c.get("/admin/utilisateurs?q=adm-colonnes")
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;" in r.text


def test_user_search_and_filters(srv):
    a = srv.add_user("adm-recherche-un@exemple.fr", "applicant")
    b = srv.add_user("adm-recherche-deux@exemple.fr", "instructor")
    p = srv.add_user("adm-pourcent@exemple.fr", "applicant")
    srv.sql("UPDATE users SET first_name='Jean', last_name='Dupont-Recherche' WHERE id=?", a)
    srv.sql("UPDATE users SET first_name='Aïcha', last_name='Martin' WHERE id=?", b)
    srv.sql("UPDATE users SET first_name='Cent', last_name='Taux 100%_net' WHERE id=?", p)
    c = as_(srv, "territory_admin")

    def emails(query):
        r = c.get("/admin/utilisateurs?" + query)
        assert r.status == 200, r
        return set(re.findall(r'<a href="/admin/utilisateurs/\d+">([^<]+)</a>', r.text))

    assert emails("q=recherche-un") == {"adm-recherche-un@exemple.fr"}           # e-mail
    assert emails("q=dupont") == {"adm-recherche-un@exemple.fr"}                 # nom, any case
    assert emails("q=A%C3%AFcha") == {"adm-recherche-deux@exemple.fr"}           # prénom
    assert emails("q=Jean+Dupont") == {"adm-recherche-un@exemple.fr"}            # prénom nom
    assert emails("q=Martin+A%C3%AFcha") == {"adm-recherche-deux@exemple.fr"}    # nom prénom
    # % and _ are plain characters, not wildcards.
    assert emails("q=%25") == {"adm-pourcent@exemple.fr"}
    assert emails("q=%25_") == {"adm-pourcent@exemple.fr"}
    assert emails("q=_") == {"adm-pourcent@exemple.fr"}
    assert emails("q=x%25y") == set()
    # Role and status filters, alone and with the search.
    assert emails("q=adm-recherche&role=instructor") == {"adm-recherche-deux@exemple.fr"}
    found = emails("role=instructor")
    assert "adm-recherche-deux@exemple.fr" in found and "adm-recherche-un@exemple.fr" not in found
    srv.sql("UPDATE users SET status='disabled' WHERE id=?", a)
    assert emails("q=adm-recherche&statut=disabled") == {"adm-recherche-un@exemple.fr"}
    assert emails("q=adm-recherche&statut=active") == {"adm-recherche-deux@exemple.fr"}
    # The filters come back selected.
    r = c.get("/admin/utilisateurs?q=adm-recherche&role=instructor&statut=active")
    assert 'value="adm-recherche"' in r.text
    assert '<option value="instructor" selected>' in r.text and '<option value="active" selected>' in r.text
    # An over-long search is refused with its message, next to the field.
    r = c.get("/admin/utilisateurs?q=" + "a" * 201)
    assert r.status == 422 and 'id="q-err"' in r.text and "200 caractères au plus" in r.text
    assert 'aria-describedby="q-err"' in r.text


def test_user_pagination_keeps_filters(srv):
    now = int(time.time())
    for n in range(120):
        srv.sql("INSERT INTO users(email, password_hash, status, created_at) VALUES(?, 'x', 'active', ?)",
                "page-%03d@pagination.test" % n, now - 100000 + n)
    c = as_(srv, "territory_admin")
    r = c.get("/admin/utilisateurs?q=pagination.test&statut=active")
    rows = re.findall(r'<a href="/admin/utilisateurs/\d+">(page-\d+)@', r.text)
    assert len(rows) == 50 and rows[0] == "page-119" and rows[-1] == "page-070"   # newest first
    assert "Page 1 sur 3" in text_of(r) and "120 compte(s)" in text_of(r)
    assert 'href="?q=pagination.test&amp;statut=active&amp;page=2" rel="next"' in r.text
    assert 'rel="prev"' not in r.text
    r = c.get("/admin/utilisateurs?q=pagination.test&statut=active&page=2")
    rows = re.findall(r'<a href="/admin/utilisateurs/\d+">(page-\d+)@', r.text)
    assert rows[0] == "page-069" and rows[-1] == "page-020" and "Page 2 sur 3" in text_of(r)
    assert 'href="?q=pagination.test&amp;statut=active&amp;page=1" rel="prev"' in r.text
    r = c.get("/admin/utilisateurs?q=pagination.test&statut=active&page=3")
    rows = re.findall(r'<a href="/admin/utilisateurs/\d+">(page-\d+)@', r.text)
    assert len(rows) == 20 and rows[-1] == "page-000" and 'rel="next"' not in r.text
    # Past the end or nonsense: the nearest real page.
    assert "Page 3 sur 3" in text_of(c.get("/admin/utilisateurs?q=pagination.test&page=99"))
    assert "Page 1 sur 3" in text_of(c.get("/admin/utilisateurs?q=pagination.test&page=-4"))
    assert "Page 1 sur 3" in text_of(c.get("/admin/utilisateurs?q=pagination.test&page=abc"))


def test_user_detail_and_unknown_ids(srv):
    uid = srv.add_user("adm-detail@exemple.fr", "operator")
    c = as_(srv, "territory_admin")
    r = c.get("/admin/utilisateurs/%d" % uid)
    assert r.status == 200 and "adm-detail@exemple.fr" in r.text
    boxes = re.findall(r'<input type="checkbox" name="roles" value="(\w+)"[^>]*>', r.text)
    assert len(boxes) == 9 and "superadmin" in boxes           # every role of the platform
    assert re.search(r'value="operator" id="role-operator" checked', r.text)
    assert not re.search(r'value="applicant" id="role-applicant" checked', r.text)
    assert "Exploitant de réseau" in r.text and "Désactiver le compte" in r.text
    for path in ("/admin/utilisateurs/999999", "/admin/utilisateurs/abc", "/admin/utilisateurs/0"):
        assert c.get(path).status == 404, path
    assert c.post("/admin/utilisateurs/999999/roles", {"roles": "applicant"}).status == 404
    assert c.post("/admin/utilisateurs/999999/statut", {"statut": "disabled"}).status == 404


def test_roles_change_is_saved_and_audited(srv):
    uid = srv.add_user("adm-roles@exemple.fr", "applicant")
    i = ids(srv)
    c = as_(srv, "territory_admin")
    c.get("/admin/utilisateurs/%d" % uid)
    r = post_roles(c, uid, ["applicant", "instructor"])
    assert r.status == 303 and r.header("Location") == "/admin/utilisateurs/%d" % uid
    assert roles_of(srv, uid) == ["applicant", "instructor"]
    assert last_audit(srv, "admin.user_roles") == (i["territory_admin"], "user:%d" % uid,
                                                  "applicant → applicant,instructor")
    r = c.get(r.header("Location"))
    assert "Les rôles sont enregistrés" in r.text
    assert re.search(r'value="instructor" id="role-instructor" checked', r.text)
    # Removing every role is allowed, and audited too.
    r = post_roles(c, uid, [])
    assert r.status == 303 and roles_of(srv, uid) == []
    assert last_audit(srv, "admin.user_roles")[2] == "applicant,instructor → (aucun)"
    # Sending the same roles again changes and audits nothing.
    n = srv.sql1("SELECT count(*) FROM audit WHERE action='admin.user_roles'")
    r = post_roles(c, uid, [])
    assert r.status == 303 and "Aucun changement" in c.get(r.header("Location")).text
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='admin.user_roles'") == n
    # A role that does not exist is refused whole.
    r = post_roles(c, uid, ["applicant", "dieu"])
    assert r.status == 400 and "Ce rôle n’existe pas" in r.text and roles_of(srv, uid) == []


def test_a_role_grant_gives_its_pages(srv):
    uid = srv.add_user("adm-promu@exemple.fr", "applicant")
    promoted = srv.client()
    promoted.login("adm-promu@exemple.fr")
    assert promoted.get("/admin/utilisateurs").status == 403
    c = as_(srv, "superadmin")
    c.get("/admin/utilisateurs/%d" % uid)
    assert post_roles(c, uid, ["territory_admin"]).status == 303
    assert promoted.get("/admin/utilisateurs").status == 200     # same session, new rights


def test_only_superadmin_grants_or_removes_superadmin(srv):
    i = ids(srv)
    uid = srv.add_user("adm-promotion@exemple.fr", "applicant")
    ta = as_(srv, "territory_admin")
    r = ta.get("/admin/utilisateurs/%d" % uid)
    # The box is shown but locked for a territory admin.
    assert re.search(r'value="superadmin" id="role-superadmin" disabled', r.text)
    r = post_roles(ta, uid, ["applicant", "superadmin"])
    assert r.status == 403 and "Seul un super-administrateur" in r.text
    assert roles_of(srv, uid) == ["applicant"]
    # Nor remove it from a superadmin — but other roles of a superadmin can change,
    # the locked box carrying its value in a hidden field.
    sa2 = srv.add_user("adm-super2@exemple.fr", "superadmin")
    r = ta.get("/admin/utilisateurs/%d" % sa2)
    assert '<input type="hidden" name="roles" value="superadmin">' in r.text
    r = post_roles(ta, sa2, ["applicant"])
    assert r.status == 403 and roles_of(srv, sa2) == ["superadmin"]
    r = post_roles(ta, sa2, ["superadmin", "instructor"])
    assert r.status == 303 and roles_of(srv, sa2) == ["instructor", "superadmin"]
    # Nor disable a superadmin's account.
    r = ta.post("/admin/utilisateurs/%d/statut" % sa2, {"statut": "disabled"})
    assert r.status == 403 and srv.sql1("SELECT status FROM users WHERE id=?", sa2) == "active"
    # A superadmin may do all three.
    sa = as_(srv, "superadmin")
    sa.get("/admin/utilisateurs/%d" % uid)
    r = post_roles(sa, uid, ["applicant", "superadmin"])
    assert r.status == 303 and roles_of(srv, uid) == ["applicant", "superadmin"]
    assert last_audit(srv, "admin.user_roles")[0] == i["superadmin"]
    assert post_roles(sa, uid, ["applicant"]).status == 303
    assert roles_of(srv, uid) == ["applicant"]
    assert sa.post("/admin/utilisateurs/%d/statut" % sa2, {"statut": "disabled"}).status == 303
    assert srv.sql1("SELECT status FROM users WHERE id=?", sa2) == "disabled"


def test_admin_cannot_remove_own_admin_role(srv):
    me = srv.add_user("adm-moi@exemple.fr", "territory_admin")
    c = srv.client()
    c.login("adm-moi@exemple.fr")
    r = c.get("/admin/utilisateurs/%d" % me)
    assert "Vous ne pouvez pas désactiver votre propre compte" in r.text
    r = post_roles(c, me, ["instructor"])
    assert r.status == 422
    assert "Vous ne pouvez pas retirer vos propres droits d’administration" in r.text
    assert 'id="roles-err"' in r.text and 'aria-describedby="roles-err"' in r.text
    assert re.search(r'value="instructor" id="role-instructor" checked', r.text)   # what was ticked comes back
    assert roles_of(srv, me) == ["territory_admin"]
    # Adding a role to oneself is fine.
    r = post_roles(c, me, ["territory_admin", "instructor"])
    assert r.status == 303 and roles_of(srv, me) == ["instructor", "territory_admin"]


def test_admin_cannot_disable_self(srv):
    i = ids(srv)
    c = as_(srv, "territory_admin")
    me = i["territory_admin"]
    r = c.post("/admin/utilisateurs/%d/statut" % me, {"statut": "disabled"})
    assert r.status == 422 and "Vous ne pouvez pas désactiver votre propre compte" in r.text
    assert 'id="statut-err"' in r.text
    assert srv.sql1("SELECT status FROM users WHERE id=?", me) == "active"
    assert c.get("/admin/utilisateurs").status == 200            # still logged in
    r = c.post("/admin/utilisateurs/%d/statut" % me, {"statut": "supprime"})
    assert r.status == 422 and 'id="statut-err"' in r.text


def test_disable_ends_sessions_mails_and_audits(srv):
    i = ids(srv)
    uid = srv.add_user("adm-desactive@exemple.fr", "applicant")
    victim = srv.client()
    victim.login("adm-desactive@exemple.fr")
    assert victim.get("/compte").status == 200
    assert srv.sql1("SELECT count(*) FROM sessions WHERE user_id=?", uid) == 1
    c = as_(srv, "territory_admin")
    c.get("/admin/utilisateurs/%d" % uid)
    r = c.post("/admin/utilisateurs/%d/statut" % uid, {"statut": "disabled"})
    assert r.status == 303
    assert srv.sql1("SELECT status FROM users WHERE id=?", uid) == "disabled"
    assert srv.sql1("SELECT count(*) FROM sessions WHERE user_id=?", uid) == 0
    r = victim.get("/compte")
    assert r.status == 303 and r.header("Location").startswith("/connexion")
    victim.get("/connexion")
    r = victim.post("/connexion", {"email": "adm-desactive@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 403
    mail = srv.mails("adm-desactive@exemple.fr")[0]
    assert mail[0] == "Votre compte a été désactivé" and "désactivé par un administrateur" in mail[1]
    assert last_audit(srv, "admin.user_status") == (i["territory_admin"], "user:%d" % uid,
                                                   "active → disabled (sessions fermées : 1)")
    r = c.get("/admin/utilisateurs/%d" % uid)
    assert "Désactivé" in r.text and "Réactiver le compte" in r.text and "ses sessions sont fermées" in r.text
    # Re-enabling: mail, audit, and the person can log in again.
    r = c.post("/admin/utilisateurs/%d/statut" % uid, {"statut": "active"})
    assert r.status == 303 and srv.sql1("SELECT status FROM users WHERE id=?", uid) == "active"
    assert srv.mails("adm-desactive@exemple.fr")[0][0] == "Votre compte a été réactivé"
    assert last_audit(srv, "admin.user_status")[2] == "disabled → active"
    victim.get("/connexion")
    assert victim.post("/connexion", {"email": "adm-desactive@exemple.fr", "password": GOOD_PASSWORD}).status == 303


def test_reenabling_an_unconfirmed_account_keeps_it_pending(srv):
    c = srv.client()
    c.get("/inscription")
    c.post("/inscription", {"email": "adm-attente@exemple.fr", "password": GOOD_PASSWORD,
                            "password2": GOOD_PASSWORD})
    uid = srv.sql1("SELECT id FROM users WHERE email='adm-attente@exemple.fr'")
    a = as_(srv, "superadmin")
    a.get("/admin/utilisateurs/%d" % uid)
    assert "En attente de confirmation" in a.get("/admin/utilisateurs/%d" % uid).text
    assert a.post("/admin/utilisateurs/%d/statut" % uid, {"statut": "disabled"}).status == 303
    assert a.post("/admin/utilisateurs/%d/statut" % uid, {"statut": "active"}).status == 303
    assert srv.sql1("SELECT status FROM users WHERE id=?", uid) == "pending"
    assert last_audit(srv, "admin.user_status")[2] == "disabled → pending"


# ------------------------------------------------------------------ audit

def audit_rows(r):
    """(utilisateur, action, objet) of each row of the audit table."""
    out = []
    for tr in re.findall(r"<tr>\s*<td>.*?</tr>", r.text, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", td)).strip() for td in re.findall(r"<td>(.*?)</td>", tr, re.S)]
        out.append((cells[1], cells[2], cells[3]))
    return out


def test_audit_filters(srv):
    uid = srv.add_user("adm-journal@exemple.fr", "applicant")
    u = srv.client()
    u.login("adm-journal@exemple.fr")
    u.post("/deconnexion", {})
    c = as_(srv, "territory_admin")
    # By user: e-mail, then number.
    r = c.get("/admin/audit?utilisateur=ADM-Journal@exemple.fr")
    rows = audit_rows(r)
    assert r.status == 200 and rows
    assert {w for w, _, _ in rows} == {"adm-journal@exemple.fr"}
    assert {a for _, a, _ in rows} == {"user.login", "user.logout"}
    assert audit_rows(c.get("/admin/audit?utilisateur=%d" % uid)) == rows
    assert audit_rows(c.get("/admin/audit?utilisateur=%23" + str(uid))) == rows
    # By action: exact, and prefix.
    rows = audit_rows(c.get("/admin/audit?utilisateur=%d&action=user.logout" % uid))
    assert [a for _, a, _ in rows] == ["user.logout"]
    rows = audit_rows(c.get("/admin/audit?action=user."))
    actions = {a for _, a, _ in rows}
    assert "user.login" in actions and "user.logout" in actions
    assert all(a.startswith("user.") for a in actions)
    rows = audit_rows(c.get("/admin/audit?action=admin.user_r"))
    assert all(a == "admin.user_roles" for _, a, _ in rows)
    # By object, exact.
    rows = audit_rows(c.get("/admin/audit?objet=user:%d" % uid))
    assert rows and all(o == "user:%d" % uid for _, _, o in rows)
    assert audit_rows(c.get("/admin/audit?objet=user:%d0" % uid)) == []
    # By dates: today is in, yesterday and tomorrow are not; both bounds inclusive.
    base = "/admin/audit?utilisateur=%d" % uid
    assert len(audit_rows(c.get(base + "&du=%s&au=%s" % (today(), today())))) == 2
    assert len(audit_rows(c.get(base + "&du=%s" % today(-1)))) == 2
    assert audit_rows(c.get(base + "&du=%s" % today(1))) == []
    assert audit_rows(c.get(base + "&au=%s" % today(-1))) == []
    fr = time.strftime("%d/%m/%Y", time.localtime())
    assert len(audit_rows(c.get(base + "&du=" + fr))) == 2       # 31/03/2025 is understood too
    # Newest first, with the French date.
    r = c.get(base)
    assert [a for _, a, _ in audit_rows(r)] == ["user.logout", "user.login"]
    assert time.strftime("%d/%m/%Y", time.localtime()) in r.text


def test_audit_filter_errors_keep_the_other_filters(srv):
    c = as_(srv, "territory_admin")
    r = c.get("/admin/audit?action=user.&objet=user:1&du=2025-02-30&au=demain")
    assert r.status == 422
    assert 'id="du-err"' in r.text and 'id="au-err"' in r.text and "Date invalide" in r.text
    assert 'aria-describedby="du-err"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="user."' in r.text and 'value="user:1"' in r.text
    assert 'value="2025-02-30"' in r.text and 'value="demain"' in r.text
    assert "<tbody>" not in r.text                                  # no half-filtered rows
    r = c.get("/admin/audit?du=2025-03-02&au=2025-03-01")
    assert r.status == 422 and "La date de fin précède la date de début" in r.text
    r = c.get("/admin/audit?utilisateur=personne@exemple.fr&action=user.")
    assert r.status == 422 and 'id="utilisateur-err"' in r.text and "Aucun compte n’utilise cette adresse" in r.text
    assert 'value="user."' in r.text


def test_audit_shows_deleted_users_by_number(srv):
    uid = srv.add_user("adm-parti@exemple.fr", "applicant")
    c = srv.client()
    c.login("adm-parti@exemple.fr")
    srv.sql("DELETE FROM users WHERE id=?", uid)
    a = as_(srv, "territory_admin")
    rows = audit_rows(a.get("/admin/audit?utilisateur=%d" % uid))
    assert rows and {w for w, _, _ in rows} == {"#%d" % uid}
    rows = audit_rows(a.get("/admin/audit?utilisateur=0&action=user.create"))
    assert rows and {w for w, _, _ in rows} == {"système"}


def test_audit_pagination(srv):
    c = as_(srv, "superadmin")
    mid = srv.sql1("SELECT max(id) FROM outbox")
    assert mid
    for _ in range(105):  # each reading is one audit entry
        assert c.get("/admin/outbox/%d" % mid).status == 200
    total = srv.sql1("SELECT count(*) FROM audit WHERE action='admin.outbox_read'")
    r = c.get("/admin/audit?action=admin.outbox_read")
    assert len(audit_rows(r)) == 100
    pages = (total + 99) // 100
    assert "Page 1 sur %d" % pages in text_of(r) and "%d entrée(s)" % total in text_of(r)
    assert 'href="?action=admin.outbox_read&amp;page=2" rel="next"' in r.text
    r = c.get("/admin/audit?action=admin.outbox_read&page=2")
    assert len(audit_rows(r)) == min(100, total - 100)
    ids_p1 = re.findall(r"outbox:\d+", c.get("/admin/audit?action=admin.outbox_read").text)
    assert ids_p1
    first = srv.sql1("SELECT max(id) FROM audit WHERE action='admin.outbox_read'")
    assert srv.sql1("SELECT user_id FROM audit WHERE id=?", first) == ids(srv)["superadmin"]


def test_audit_verify(srv):
    c = as_(srv, "territory_admin")
    r = c.get("/admin/audit")
    assert 'href="/admin/audit/verifier"' in r.text
    r = c.get("/admin/audit/verifier")
    assert r.status == 200 and "Journal intact" in r.text
    # Someone edits the file behind the application's back…
    row = srv.sql("SELECT id, detail FROM audit ORDER BY id LIMIT 1")[0]
    srv.sql("DROP TRIGGER audit_no_update")
    try:
        srv.sql("UPDATE audit SET detail='falsifié' WHERE id=?", row[0])
        r = c.get("/admin/audit/verifier")
        assert r.status == 200 and "Journal intact" not in r.text
        assert "entrée %d modifiée" % row[0] in r.text and 'role="alert"' in r.text
    finally:
        srv.sql("UPDATE audit SET detail=? WHERE id=?", row[1], row[0])
        srv.sql("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN "
                "SELECT RAISE(ABORT, 'le journal d''audit ne se modifie pas'); END")
    assert "Journal intact" in c.get("/admin/audit/verifier").text


# ----------------------------------------------------------------- outbox

def test_outbox_shows_the_confirmation_mail(srv):
    c = srv.client()
    c.get("/inscription")
    c.post("/inscription", {"email": "adm-boite@exemple.fr", "password": GOOD_PASSWORD,
                            "password2": GOOD_PASSWORD})
    assert srv.mails("adm-boite@exemple.fr")
    a = as_(srv, "territory_admin")
    r = a.get("/admin/outbox")
    assert r.status == 200
    m = re.search(r'<td>adm-boite@exemple.fr</td>\s*<td><a href="(/admin/outbox/(\d+))">Confirmez votre adresse '
                  r'e-mail</a></td>', r.text)
    assert m, r.text[:3000]
    assert re.findall(r'href="/admin/outbox/(\d+)"', r.text)[0] == str(srv.sql1("SELECT max(id) FROM outbox"))
    r = a.get(m.group(1))
    assert r.status == 200
    body = html.unescape(re.search(r'<pre id="body">(.*?)</pre>', r.text, re.S).group(1))
    stored = srv.sql1("SELECT body FROM outbox WHERE id=?", int(m.group(2)))
    assert body == stored and "/inscription/confirmer/" in body
    link = re.search(r'<li><a href="(https?://[^"]+/inscription/confirmer/[^"]+)">', r.text).group(1)
    # The demo follows that link: the account is confirmed.
    path = "/" + link.split("/", 3)[3]
    assert c.get(path).status == 303
    assert srv.sql1("SELECT status FROM users WHERE email='adm-boite@exemple.fr'") == "active"
    # Reading a message is recorded.
    assert last_audit(srv, "admin.outbox_read")[1] == "outbox:%s" % m.group(2)
    # Filter by recipient, and unknown messages.
    r = a.get("/admin/outbox?q=adm-boite")
    assert set(re.findall(r"<td>([^<]+@[^<]+)</td>", r.text)) == {"adm-boite@exemple.fr"}
    assert a.get("/admin/outbox/999999").status == 404
    assert a.get("/admin/outbox/x").status == 404


def test_outbox_pagination(srv):
    now = int(time.time())
    for n in range(60):
        srv.sql("INSERT INTO outbox(to_addr, subject, body, status, created_at) VALUES(?, ?, 'corps', 'held', ?)",
                "lot-%02d@outbox.test" % n, "Lot %02d" % n, now)
    a = as_(srv, "territory_admin")
    r = a.get("/admin/outbox?q=outbox.test")
    subjects = re.findall(r'">(Lot \d+)</a>', r.text)
    assert len(subjects) == 50 and subjects[0] == "Lot 59" and "Page 1 sur 2" in text_of(r)
    assert "Retenu" in r.text
    r = a.get("/admin/outbox?q=outbox.test&page=2")
    assert re.findall(r'">(Lot \d+)</a>', r.text)[-1] == "Lot 00" and 'href="?q=outbox.test&amp;page=1"' in r.text


def test_outbox_masks_links_to_more_powerful_accounts(srv):
    """A territory admin must not read a superadmin's reset link."""
    srv.add_user("boss-sa@exemple.fr", "superadmin")
    srv.add_user("ta-reader@exemple.fr", "territory_admin")
    anon = srv.client()
    anon.get("/mot-de-passe-oublie")
    assert anon.post("/mot-de-passe-oublie", {"email": "boss-sa@exemple.fr"}).status == 200
    link = srv.link_in_last_mail("boss-sa@exemple.fr", "/mot-de-passe/reinitialiser/")
    mid = srv.sql1("SELECT max(id) FROM outbox WHERE to_addr='boss-sa@exemple.fr'")
    ta = srv.client()
    ta.login("ta-reader@exemple.fr")
    r = ta.get("/admin/outbox/%d" % mid)
    assert r.status == 200 and link not in r.text and "lien masqué" in r.text
    sa = srv.client()
    sa.login("boss-sa@exemple.fr")
    r = sa.get("/admin/outbox/%d" % mid)
    assert r.status == 200 and link in r.text
