"""Core HTTP behaviour: security headers, errors, CSRF, limits, static
files, health and metrics."""
import gzip
import re
import socket
import time

from harness import GOOD_PASSWORD, PNG, raw_request

SERVER_CONFIG = {"max_conn_per_ip": 6, "login_max_per_ip": 1000}


def test_security_headers(srv):
    r = srv.client().get("/connexion")
    assert r.status == 200
    csp = r.header("Content-Security-Policy")
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and re.search(r"script-src 'self' 'nonce-[0-9a-f]{32}'", csp)
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert r.header("Referrer-Policy") == "same-origin"
    assert r.header("X-Frame-Options") == "DENY"
    assert re.fullmatch(r"[0-9a-f]{16}", r.header("X-Request-Id"))
    assert r.header("Cache-Control") == "no-store"
    # No inline script anywhere in a page.
    assert "<script" not in r.text
    assert '<html lang="fr">' in r.text


def test_nonce_differs_per_request(srv):
    c = srv.client()
    a = c.get("/connexion").header("Content-Security-Policy")
    b = c.get("/connexion").header("Content-Security-Policy")
    assert a != b


def test_not_found_and_method_not_allowed(srv):
    c = srv.client()
    r = c.get("/nulle-part")
    assert r.status == 404 and "Cette page n’existe pas" in r.text
    r = c.request("PUT", "/connexion", body=b"", headers={"Content-Length": "0"})
    assert r.status == 405
    r = c.request("HEAD", "/connexion")
    assert r.status == 200 and r.body == b""


def test_csrf_missing_wrong_or_foreign_origin(srv):
    srv.add_user("csrf@exemple.fr", "applicant")
    c = srv.client()
    c.get("/connexion")
    r = c.post("/connexion", {"email": "csrf@exemple.fr", "password": GOOD_PASSWORD}, csrf=False)
    assert r.status == 403 and "formulaire a expiré" in r.text
    r = c.post("/connexion", {"email": "csrf@exemple.fr", "password": GOOD_PASSWORD, "_csrf": "0" * 64})
    assert r.status == 403
    r = c.post("/connexion", {"email": "csrf@exemple.fr", "password": GOOD_PASSWORD},
               headers={"Origin": "http://evil.example"})
    assert r.status == 403
    # A token from another visitor's cookie does not work either.
    other = srv.client()
    other.get("/connexion")
    r = c.post("/connexion", {"email": "csrf@exemple.fr", "password": GOOD_PASSWORD, "_csrf": other.csrf})
    assert r.status == 403
    assert "gsid" not in c.cookies
    # Logged in: the session token is required, the anonymous one refused.
    c.login("csrf@exemple.fr")
    r = c.post("/compte/personnel", {"civility": "Mme", "_csrf": other.csrf})
    assert r.status == 403
    r = c.post("/deconnexion", {}, csrf=False)
    assert r.status == 403
    assert c.get("/compte").status == 200


def test_body_too_large_is_refused_early(srv):
    # A body over the cap (64 KiB by default) is answered 413 in French.
    raw = raw_request(srv.port, b"POST /connexion HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                b"Content-Length: 200000\r\n\r\nemail=" + b"a" * 1000)
    assert raw.startswith(b"HTTP/1.1 413") and "trop volumineuse".encode() in raw, raw[:100]
    # Announced length alone is enough: nothing is read.
    raw = raw_request(srv.port, b"POST /connexion HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                b"Content-Length: 999999999\r\n\r\nemail=a")
    assert raw.startswith(b"HTTP/1.1 413"), raw[:100]


def test_chunked_body_past_cap_is_cut(srv):
    chunk = b"email=" + b"a" * 70000
    raw = raw_request(srv.port, b"POST /connexion HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\n" + (b"%x\r\n" % len(chunk)) + chunk + b"\r\n0\r\n\r\n")
    assert raw == b"" or raw.startswith(b"HTTP/1.1 413"), raw[:100]
    assert srv.client().get("/healthz").status == 200


def test_headers_too_large(srv):
    raw = raw_request(srv.port, b"GET /connexion HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
    assert raw.split(b"\r\n", 1)[0] in (b"HTTP/1.1 431 Request Header Fields Too Large",
                                        b"HTTP/1.1 413 Request Entity Too Large"), raw[:100]


def test_malformed_multipart_and_wrong_type(srv):
    srv.add_user("mp@exemple.fr", "applicant")
    c = srv.client()
    c.login("mp@exemple.fr")
    origin = {"Origin": "http://127.0.0.1:%d" % srv.port}
    # multipart without a boundary
    r = c.request("POST", "/compte/documents", body=b"xx", headers=dict(origin, **{"Content-Type": "multipart/form-data"}))
    assert r.status == 400 and "mal formé" in r.text
    # a body that is not a form
    r = c.request("POST", "/compte/personnel", body=b"{}", headers=dict(origin, **{"Content-Type": "application/json"}))
    assert r.status == 415
    # a file sent to a form that takes none
    from harness import multipart
    body, ctype = multipart({"_csrf": c.csrf}, {"file": ("a.png", PNG, "image/png")})
    r = c.request("POST", "/compte/personnel", body=body, headers=dict(origin, **{"Content-Type": ctype}))
    assert r.status == 400


def test_static_files_cache_and_gzip(srv):
    c = srv.client()
    page = c.get("/connexion").text
    href = re.search(r'href="(/static/guichet\.css\?v=[0-9a-f]+)"', page).group(1)
    r = c.get(href, headers={"Accept-Encoding": "gzip"})
    assert r.status == 200 and r.header("Content-Encoding") == "gzip"
    css = gzip.decompress(r.body).decode()
    assert ":root" in css
    assert "immutable" in r.header("Cache-Control")
    etag = r.header("ETag")
    r = c.get(href, headers={"If-None-Match": etag})
    assert r.status == 304 and r.body == b""
    r = c.get("/static/guichet.css")
    assert r.status == 200 and r.header("Content-Encoding") is None and ":root" in r.text
    assert c.get("/static/../guichet.db").status == 404
    assert c.get("/static/nope.css").status == 404


def test_theme_css_from_configuration(srv):
    r = srv.client().get("/theme.css")
    assert r.status == 200 and "--primary:#0b5d4b" in r.text
    assert r.header("Content-Type").startswith("text/css")


def test_healthz_and_metrics(srv):
    c = srv.client()
    r = c.get("/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}
    r = c.get("/metrics")
    assert r.status == 200
    assert 'guichet_requests_total{route="GET /healthz",status="2xx"}' in r.text
    assert "guichet_request_duration_ms_bucket" in r.text
    assert "guichet_jobs_queued" in r.text


def test_connections_per_ip_limit(srv):
    # Hold connections open with an unfinished request line.
    held = []
    try:
        for _ in range(7):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            held.append(s)
        time.sleep(0.2)
        raw = raw_request(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 429") and "Trop de connexions".encode() in raw, raw[:100]
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert srv.client().get("/healthz").status == 200


def test_request_id_in_error_log(srv):
    c = srv.client()
    r = c.get("/healthz")
    assert r.header("X-Request-Id")


def test_migrations_recorded(srv):
    names = [r[0] for r in srv.sql("SELECT name FROM schema_migrations ORDER BY name")]
    assert "core/migrations/001_accounts.sql" in names
    assert "features/account/migrations/001_account.sql" in names
    # A second start applies nothing new and keeps the data.
    res = srv.cli("migrate")
    assert res.returncode == 0
