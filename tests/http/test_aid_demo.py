"""The demo's aid requests (`guichet serve` on an empty database): the demo
company has dossiers in various statuses, made by the real functions, so
that the demo instructor has a work list, the company a history and
charging data, and the dashboard figures."""
from harness import text_of

SERVER_CONFIG = {"login_max_per_ip": 1000, "seed": 1}

COMPANY = "entreprise@guichet.localhost"
INSTRUCTOR = "instructeur@guichet.localhost"


def demo_client(srv, email):
    """A session of a demo account (its password is printed once at start-up:
    the test gives it a known one)."""
    if not srv.sql1("SELECT id FROM users WHERE email='mot-de-passe@exemple.fr'"):
        srv.add_user("mot-de-passe@exemple.fr", "applicant")
    srv.sql("UPDATE users SET password_hash=(SELECT password_hash FROM users WHERE email='mot-de-passe@exemple.fr')"
            " WHERE email=?", email)
    c = srv.client()
    c.login(email)
    return c


def test_demo_dossiers_in_every_early_status(srv):
    org = srv.sql1("SELECT m.org_id FROM org_members m JOIN users u ON u.id=m.user_id WHERE u.email=?", COMPANY)
    rows = srv.sql("SELECT status, count(*) FROM aid_dossiers WHERE org_id=? GROUP BY status ORDER BY status", org)
    assert dict(rows) == {"brouillon": 1, "complements": 1, "deposee": 2, "en_instruction": 1, "validee": 1}, rows
    assert srv.sql1("SELECT count(*) FROM aid_dossiers WHERE number IS NULL") == 0
    # Made by aid_dossier_move: a history row per status change, the envelope committed.
    did, granted, points, pid = srv.sql("SELECT id, granted_cents, points, programme_id FROM aid_dossiers"
                                        " WHERE status='validee'")[0]
    assert granted == 384000
    assert srv.sql("SELECT committed_cents, committed_points FROM aid_programmes WHERE id=?", pid) == [(granted, points)]
    assert srv.sql("SELECT from_status, to_status FROM aid_dossier_events WHERE dossier_id=? AND kind='status'"
                   " ORDER BY id", did) == [("brouillon", "deposee"), ("deposee", "en_instruction"),
                                            ("en_instruction", "validee")]
    # Dated in the past, in order: the dashboard's delays are not all zero.
    sub, dec = srv.sql("SELECT submitted_at, decided_at FROM aid_dossiers WHERE id=?", did)[0]
    assert 0 < sub < dec and dec - sub >= 5 * 86400
    assert srv.sql1("SELECT count(*) FROM outbox WHERE to_addr=?", COMPANY) >= 5
    # The validated dossier's points and sessions, loaded with their day sums.
    assert srv.sql1("SELECT count(*) FROM aid_charge_points WHERE dossier_id=?", did) == points
    n, wh = srv.sql("SELECT count(*), sum(energy_wh) FROM aid_charge_sessions")[0]
    assert n >= 14 * points and wh > 0
    assert srv.sql("SELECT sum(sessions), sum(energy_wh) FROM aid_charge_dossier_days WHERE dossier_id=?",
                   did) == [(n, wh)]
    assert srv.sql1("SELECT count(*) FROM aid_charge_imports WHERE status <> 'done' OR rows_rejected > 0") == 0


def test_demo_instructor_has_a_work_list(srv):
    c = demo_client(srv, INSTRUCTOR)
    t = text_of(c.get("/instruction"))
    assert "AV-" in t and "3 dossier(s)" in t, t[:2000]
    t = text_of(c.get("/instruction?onglet=mes-dossiers"))
    assert "2 dossier(s)" in t
    t = text_of(c.get("/instruction?onglet=en-attente"))
    assert "1 dossier(s)" in t
    did = srv.sql1("SELECT id FROM aid_dossiers WHERE status='complements'")
    t = text_of(c.get("/instruction/dossiers/%d" % did))
    assert "Attestation de vote en assemblée générale" in t and "procès-verbal complet" in t
    r = c.get("/admin/aides/tableau-de-bord")
    assert r.status == 200 and "3 840 € engagés" in text_of(r)


def test_demo_company_sees_its_requests_and_charging_data(srv):
    c = demo_client(srv, COMPANY)
    r = c.get("/aides")
    t = text_of(r)
    assert "6 demande(s)" in t and 'href="/aides/donnees"' in r.text
    did = srv.sql1("SELECT id FROM aid_dossiers WHERE status='validee'")
    r = c.get("/aides/dossiers/%d" % did)
    assert r.status == 200 and 'href="/aides/dossiers/%d/donnees"' % did in r.text
    t = text_of(c.get("/aides/dossiers/%d/donnees" % did))
    assert "FRBATEGABUT11" in t
    did = srv.sql1("SELECT id FROM aid_dossiers WHERE status='complements'")
    t = text_of(c.get("/aides/dossiers/%d" % did))
    assert "Attestation de vote en assemblée générale" in t and "à déposer" in t
