"""Accounts: sign-up, confirmation, login, logout, reset, password change,
two-factor login — each with its refusals."""
import re
import time

from harness import GOOD_PASSWORD, totp

# Every test comes from 127.0.0.1: the per-IP limit is tested on its own.
SERVER_CONFIG = {"login_max_per_ip": 1000}


def signup(srv, email, password=GOOD_PASSWORD):
    c = srv.client()
    c.get("/inscription")
    r = c.post("/inscription", {"email": email, "password": password, "password2": password})
    return c, r


def confirmed_user(srv, email):
    c, r = signup(srv, email)
    assert r.status == 200, r
    link = srv.link_in_last_mail(email, "/inscription/confirmer/")
    assert c.get(link).status == 303
    return c


def test_signup_confirm_login_logout(srv):
    c, r = signup(srv, "Alice@Exemple.fr")
    assert r.status == 200 and "Vérifiez votre boîte" in r.text
    assert srv.sql1("SELECT status FROM users WHERE email='alice@exemple.fr'") == "pending"
    # Not confirmed yet: login refused with a clear message, link resent.
    r = c.post("/connexion", {"email": "alice@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 403 and "Confirmez d’abord votre adresse" in r.text
    link = srv.link_in_last_mail("alice@exemple.fr", "/inscription/confirmer/")
    r = c.get(link)
    assert r.status == 303 and r.header("Location") == "/connexion"
    assert srv.sql1("SELECT status FROM users WHERE email='alice@exemple.fr'") == "active"
    # The link is single-use.
    assert c.get(link).status == 410
    r = c.post("/connexion", {"email": "ALICE@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 303 and r.header("Location") == "/compte", r
    r = c.get("/compte")
    assert r.status == 200 and "Mon compte" in r.text and "alice@exemple.fr" in r.text
    r = c.post("/deconnexion", {})
    assert r.status == 303
    assert c.get("/compte").status == 303  # back to the login page
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='user.login'") >= 1


def test_signup_errors_keep_values(srv):
    c = srv.client()
    c.get("/inscription")
    r = c.post("/inscription", {"email": "pas-un-email", "password": "court", "password2": "court"})
    assert r.status == 422
    assert "Saisissez une adresse e-mail valide" in r.text
    assert "au moins 12 caractères" in r.text
    assert 'value="pas-un-email"' in r.text          # what was typed comes back
    assert 'value="court"' not in r.text              # never the password
    assert 'aria-invalid="true"' in r.text
    r = c.post("/inscription", {"email": "b@exemple.fr", "password": "1qaz2wsx3edc", "password2": "1qaz2wsx3edc"})
    assert r.status == 422 and "plus courants" in r.text
    r = c.post("/inscription", {"email": "b@exemple.fr", "password": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x"})
    assert r.status == 422 and "ne sont pas identiques" in r.text
    assert srv.sql1("SELECT count(*) FROM users WHERE email='b@exemple.fr'") == 0


def test_signup_existing_email_reveals_nothing(srv):
    confirmed_user(srv, "deja@exemple.fr")
    c, r = signup(srv, "deja@exemple.fr")
    assert r.status == 200 and "Vérifiez votre boîte" in r.text
    assert srv.mails("deja@exemple.fr")[0][0] == "Vous avez déjà un compte"
    assert srv.sql1("SELECT count(*) FROM users WHERE email='deja@exemple.fr'") == 1


def test_login_wrong_password_and_unknown_email(srv):
    srv.add_user("carol@exemple.fr", "applicant")
    c = srv.client()
    r = c.post("/connexion", {"email": "carol@exemple.fr", "password": "Wrong-Password-99"})
    assert r.status == 401 and "Adresse e-mail ou mot de passe incorrect" in r.text
    assert 'value="carol@exemple.fr"' in r.text
    r = c.post("/connexion", {"email": "nobody@exemple.fr", "password": "Wrong-Password-99"})
    assert r.status == 401 and "Adresse e-mail ou mot de passe incorrect" in r.text
    assert "gsid" not in c.cookies


def test_login_redirects_to_next_but_not_offsite(srv):
    srv.add_user("next@exemple.fr", "applicant")
    c = srv.client()
    r = c.get("/compte/mot-de-passe")
    assert r.status == 303 and r.header("Location").startswith("/connexion?suite=%2Fcompte%2Fmot-de-passe")
    r = c.post("/connexion", {"email": "next@exemple.fr", "password": GOOD_PASSWORD, "suite": "/compte/mot-de-passe"})
    assert r.header("Location") == "/compte/mot-de-passe"
    c2 = srv.client()
    r = c2.post("/connexion", {"email": "next@exemple.fr", "password": GOOD_PASSWORD, "suite": "//evil.example/x"})
    assert r.header("Location") == "/compte"


def test_session_rotates_at_login(srv):
    srv.add_user("rot@exemple.fr", "applicant")
    c = srv.client()
    c.login("rot@exemple.fr")
    first = c.cookies["gsid"]
    c.post("/deconnexion", {})
    c.login("rot@exemple.fr")
    assert c.cookies["gsid"] != first
    # The old token no longer works.
    c2 = srv.client()
    c2.cookies["gsid"] = first
    assert c2.get("/compte").status == 303
    # Only the hash of the token is stored.
    assert srv.sql1("SELECT count(*) FROM sessions WHERE token_hash=?", c.cookies["gsid"]) == 0


def test_forgot_and_reset_password(srv):
    srv.add_user("dan@exemple.fr", "applicant")
    other = srv.client()
    other.login("dan@exemple.fr")
    c = srv.client()
    c.get("/mot-de-passe-oublie")
    r = c.post("/mot-de-passe-oublie", {"email": "dan@exemple.fr"})
    assert r.status == 200 and "Vérifiez votre boîte" in r.text
    # Unknown address: same answer, no mail.
    r = c.post("/mot-de-passe-oublie", {"email": "inconnu@exemple.fr"})
    assert r.status == 200 and not srv.sql("SELECT 1 FROM outbox WHERE to_addr='inconnu@exemple.fr'")
    link = srv.link_in_last_mail("dan@exemple.fr", "/mot-de-passe/reinitialiser/")
    assert c.get(link).status == 200
    r = c.post(link, {"password": "court", "password2": "court"})
    assert r.status == 422 and "au moins 12 caractères" in r.text
    r = c.post(link, {"password": "New-Password-2026!", "password2": "New-Password-2026!"})
    assert r.status == 303
    assert c.get(link).status == 410                         # single use
    assert other.get("/compte").status == 303                # sessions closed
    c.login("dan@exemple.fr", "New-Password-2026!")
    # Expired link.
    r = c.post("/deconnexion", {})
    c.post("/mot-de-passe-oublie", {"email": "dan@exemple.fr"})
    link = srv.link_in_last_mail("dan@exemple.fr", "/mot-de-passe/reinitialiser/")
    srv.sql("UPDATE user_tokens SET expires_at=0 WHERE used_at IS NULL")
    assert c.get(link).status == 410


def test_change_password_closes_other_sessions(srv):
    srv.add_user("erin@exemple.fr", "applicant")
    a, b = srv.client(), srv.client()
    a.login("erin@exemple.fr")
    b.login("erin@exemple.fr")
    a.get("/compte/mot-de-passe")
    r = a.post("/compte/mot-de-passe", {"password_current": "wrong", "password": "Another-Pass-77!", "password2": "Another-Pass-77!"})
    assert r.status == 422 and "mot de passe actuel est incorrect" in r.text
    r = a.post("/compte/mot-de-passe", {"password_current": GOOD_PASSWORD, "password": "Another-Pass-77!", "password2": "Another-Pass-77!"})
    assert r.status == 303
    assert a.get("/compte").status == 200
    assert b.get("/compte").status == 303
    assert srv.mails("erin@exemple.fr")[0][0] == "Votre mot de passe a été changé"


def enable_totp(srv, c):
    r = c.get("/compte/2fa")
    assert r.status == 200 and "<svg" in r.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', r.text).group(1)
    r = c.post("/compte/2fa", {"code": "000000"})
    assert r.status == 422 and "Code incorrect" in r.text
    r = c.post("/compte/2fa", {"code": totp(secret)})
    assert r.status == 200, r
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4})</li>", r.text)
    assert len(codes) == 10
    return secret, codes


def test_totp_enrol_login_and_recovery(srv):
    srv.add_user("fay@exemple.fr", "applicant")
    c = srv.client()
    c.login("fay@exemple.fr")
    secret, codes = enable_totp(srv, c)
    c.post("/deconnexion", {})
    # Password alone is not enough any more.
    c.get("/connexion")
    r = c.post("/connexion", {"email": "fay@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 303 and r.header("Location").startswith("/connexion/2fa")
    assert c.get("/compte").status == 303
    assert c.get("/connexion/2fa").status == 200
    r = c.post("/connexion/2fa", {"code": "123456"})
    assert r.status == 401 and "Code incorrect" in r.text
    # A code already used (the enrolment one) is refused: no replay.
    r = c.post("/connexion/2fa", {"code": totp(secret)})
    if r.status == 401:
        # Same 30 s step as the enrolment: wait for the next step.
        time.sleep(31 - time.time() % 30)
        r = c.post("/connexion/2fa", {"code": totp(secret)})
    assert r.status == 303, r
    assert c.get("/compte").status == 200
    c.post("/deconnexion", {})
    assert "gsid" not in c.cookies
    # A recovery code works once.
    c.get("/connexion")
    c.post("/connexion", {"email": "fay@exemple.fr", "password": GOOD_PASSWORD})
    c.get("/connexion/2fa")
    r = c.post("/connexion/2fa", {"recovery": codes[0].upper()})
    assert r.status == 303, r
    c.get("/compte")
    c.post("/deconnexion", {})
    c.get("/connexion")
    c.post("/connexion", {"email": "fay@exemple.fr", "password": GOOD_PASSWORD})
    c.get("/connexion/2fa")
    r = c.post("/connexion/2fa", {"recovery": codes[0]})
    assert r.status == 401


def test_throttling_per_account(srv):
    srv.add_user("gus@exemple.fr", "applicant")
    c = srv.client()
    for _ in range(5):
        r = c.post("/connexion", {"email": "gus@exemple.fr", "password": "Wrong-Password-99"})
        assert r.status == 401
    r = c.post("/connexion", {"email": "gus@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 429 and "Trop de tentatives" in r.text
    assert "gsid" not in c.cookies


def test_disabled_account_cannot_login(srv):
    uid = srv.add_user("hal@exemple.fr", "applicant")
    c = srv.client()
    c.login("hal@exemple.fr")
    srv.sql("UPDATE users SET status='disabled' WHERE id=?", uid)
    assert c.get("/compte").status == 303       # the open session ends too
    c.get("/connexion")
    r = c.post("/connexion", {"email": "hal@exemple.fr", "password": GOOD_PASSWORD})
    assert r.status == 403 and "désactivé" in r.text
