"""API tokens: created in Mon compte (shown once) or with `guichet token add`,
used as "Authorization: Bearer" on /api/v1 routes only, revocable; a token
never opens an HTML page, never works once revoked or once its owner is
disabled, and needs no CSRF token (a browser never sends it on its own)."""
import re

SERVER_CONFIG = {"login_max_per_ip": 1000}


def test_token_from_the_account_page(srv):
    srv.add_user("crm@exemple.fr", "operator")
    c = srv.client()
    c.login("crm@exemple.fr")
    r = c.get("/compte/jetons")
    assert r.status == 200 and "Aucun jeton actif" in r.text
    r = c.post("/compte/jetons", {"name": "Logiciel de suivi"})
    assert r.status == 201, r
    tok = re.search(r'id="new-token">([A-Za-z0-9_-]{43})<', r.text).group(1)
    assert "ne sera plus affiché" in r.text
    # Stored hashed only: the token itself is nowhere in the database.
    assert srv.sql1("SELECT count(*) FROM api_tokens WHERE token_hash=?", tok) == 0
    assert srv.sql1("SELECT hint FROM api_tokens") == tok[:6]
    me = srv.api("GET", "/api/v1/moi", tok)
    assert me.status == 200, me
    assert me.json()["email"] == "crm@exemple.fr" and me.json()["token"] is True
    assert "operator" in me.json()["roles"]
    # Shown once: the list shows the first characters only.
    r = c.get("/compte/jetons")
    assert tok not in r.text and tok[:6] + "…" in r.text and "jamais" not in r.text
    # Revoked: refused at once.
    tid = srv.sql1("SELECT id FROM api_tokens")
    r = c.post("/compte/jetons/%d/revoquer" % tid)
    assert r.status == 303
    assert srv.api("GET", "/api/v1/moi", tok).status == 401
    assert c.post("/compte/jetons/%d/revoquer" % tid).status == 404


def test_token_name_errors_and_limits(srv):
    srv.add_user("n@exemple.fr")
    c = srv.client()
    c.login("n@exemple.fr")
    r = c.post("/compte/jetons", {"name": "  "})
    assert r.status == 422 and "le nom du jeton" in r.text.lower()
    r = c.post("/compte/jetons", {"name": "x" * 81})
    assert r.status == 422 and 'value="' + "x" * 81 + '"' in r.text
    for i in range(20):
        assert c.post("/compte/jetons", {"name": "jeton %d" % i}).status == 201
    r = c.post("/compte/jetons", {"name": "un de trop"})
    assert r.status == 422 and "20 jetons actifs" in r.text
    # Without the CSRF token, the page's form is refused like any other.
    assert c.post("/compte/jetons", {"name": "csrf"}, csrf=False).status == 403


def test_cli_token_and_what_a_token_cannot_do(srv):
    srv.add_user("a@exemple.fr")
    srv.add_user("b@exemple.fr")
    tok = srv.token("a@exemple.fr")
    assert srv.api("GET", "/api/v1/moi", tok).json()["email"] == "a@exemple.fr"
    # No token, a bad one, a malformed header: 401 in JSON.
    for t in (None, "x" * 43, "court"):
        r = srv.api("GET", "/api/v1/moi", t)
        assert r.status == 401 and "error" in r.json(), r
    r = srv.api("GET", "/api/v1/moi", headers={"Authorization": "Basic YTpi"})
    assert r.status == 401
    # A token does not open the HTML pages (they need a session).
    r = srv.api("GET", "/compte", tok)
    assert r.status == 303 and "/connexion" in r.header("Location")
    # Another user's token cannot revoke this one (and there is no API for it).
    other = srv.client()
    other.login("b@exemple.fr")
    tid = srv.sql1("SELECT id FROM api_tokens")
    assert other.post("/compte/jetons/%d/revoquer" % tid).status == 404
    assert srv.api("GET", "/api/v1/moi", tok).status == 200
    # Disabled owner: the token stops working.
    srv.sql("UPDATE users SET status='disabled' WHERE email='a@exemple.fr'")
    assert srv.api("GET", "/api/v1/moi", tok).status == 401
    res = srv.cli("token", "add", "personne@exemple.fr")
    assert res.returncode == 1 and "no active account" in res.stderr
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='account.token_create' AND ip='cli'") == 1
