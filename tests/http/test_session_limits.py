"""Session expiry, per-IP login throttling and compulsory two-factor login
for staff, on a server configured with short limits."""
import re
import time

from harness import GOOD_PASSWORD, totp

SERVER_CONFIG = {"session_idle": 2, "session_absolute": 4, "login_max_per_ip": 3,
                 "login_max_per_account": 100, "require_2fa_staff": 1, "conn_timeout": 2}


def test_idle_session_expires(srv):
    srv.add_user("idle@exemple.fr", "applicant")
    c = srv.client()
    c.login("idle@exemple.fr")
    assert c.get("/compte").status == 200
    time.sleep(3.2)
    r = c.get("/compte")
    assert r.status == 303 and r.header("Location").startswith("/connexion")
    assert srv.sql1("SELECT count(*) FROM sessions s JOIN users u ON u.id=s.user_id WHERE u.email='idle@exemple.fr'") == 0


def test_absolute_session_expiry(srv):
    srv.add_user("abs@exemple.fr", "applicant")
    c = srv.client()
    c.login("abs@exemple.fr")
    srv.sql("UPDATE sessions SET created_at=created_at-10")
    assert c.get("/compte").status == 303


def test_staff_must_enrol_two_factor(srv):
    srv.add_user("staff@exemple.fr", "instructor")
    c = srv.client()
    c.get("/connexion")
    c.post("/connexion", {"email": "staff@exemple.fr", "password": GOOD_PASSWORD})
    r = c.get("/compte")
    assert r.status == 303 and r.header("Location") == "/compte/2fa"
    r = c.get("/compte/2fa")
    assert r.status == 200 and "connexion en deux étapes" in r.text.lower()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    r = c.post("/compte/2fa", {"code": totp(secret)})
    assert r.status == 200
    assert c.get("/compte").status == 200
    # ...and cannot turn it off.
    r = c.post("/compte/2fa/desactiver", {"password": GOOD_PASSWORD})
    assert r.status == 403
    # An applicant is not forced.
    srv.add_user("plain@exemple.fr", "applicant")
    p = srv.client()
    p.login("plain@exemple.fr")
    assert p.get("/compte").status == 200


def test_throttling_per_ip(srv):
    c = srv.client()
    c.get("/connexion")
    for i in range(3):
        r = c.post("/connexion", {"email": "user%d@exemple.fr" % i, "password": "Wrong-Password-99"})
        assert r.status == 401
    srv.add_user("victim@exemple.fr", "applicant")
    r = c.post("/connexion", {"email": "victim@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 429 and "Trop de tentatives" in r.text


def test_idle_connection_is_closed(srv):
    """A client that connects and sends nothing (or half a request) holds no
    thread and no memory for long: libmicrohttpd closes it after
    conn_timeout seconds (it has no hook to send a 408 first)."""
    import socket
    for first in (b"", b"GET /connexion HTTP/1.1\r\nHost: x\r\n"):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        if first:
            s.sendall(first)
        t0 = time.time()
        data = s.recv(100)
        s.close()
        assert data == b"" and 1.5 < time.time() - t0 < 6, (data, time.time() - t0)
