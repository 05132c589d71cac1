"""The operations commands: user add, backup (rotation), verify-audit on an
altered database, migrate."""
import os
import sqlite3
import time

SERVER_CONFIG = {"login_max_per_ip": 1000}


def test_user_add_roles_and_refusals(srv):
    res = srv.cli("user", "add", "ops@exemple.fr", "--role", "territory_admin")
    assert res.returncode == 0 and "password" in res.stdout      # generated and shown once
    assert srv.sql1("SELECT role FROM user_roles r JOIN users u ON u.id=r.user_id WHERE u.email='ops@exemple.fr'") == "territory_admin"
    assert srv.cli("user", "add", "ops@exemple.fr").returncode == 1
    assert srv.cli("user", "add", "x@exemple.fr", "--role", "pirate").returncode == 2
    assert srv.cli("nonsense").returncode == 2


def test_backup_is_consistent_and_rotated(srv):
    srv.add_user("bk@exemple.fr", "applicant")
    bdir = os.path.join(srv.dir, "backups")
    os.makedirs(bdir, exist_ok=True)
    for day in ("2020-01-01", "2020-01-02", "2020-01-03"):
        open(os.path.join(bdir, "guichet-%s.db" % day), "w").close()
    res = srv.cli("backup", "--keep", "2")
    assert res.returncode == 0, res.stderr
    names = sorted(os.listdir(bdir))
    today = time.strftime("%Y-%m-%d")
    assert names == ["guichet-2020-01-03.db", "guichet-%s.db" % today], names
    con = sqlite3.connect(os.path.join(bdir, "guichet-%s.db" % today))
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM users WHERE email='bk@exemple.fr'").fetchone()[0] == 1
    con.close()


def test_verify_audit_finds_an_altered_entry(srv):
    c = srv.client()
    srv.add_user("aud@exemple.fr", "applicant")
    c.login("aud@exemple.fr")
    res = srv.cli("verify-audit")
    assert res.returncode == 0 and "intact" in res.stdout
    # Through the application the log cannot be changed...
    con = sqlite3.connect(srv.db_path)
    try:
        con.execute("UPDATE audit SET action='x' WHERE id=1")
        con.commit()
        assert False, "the audit table accepted an UPDATE"
    except sqlite3.DatabaseError:
        con.rollback()
    # ...and someone who edits the file anyway is caught, with the entry named.
    con.executescript("DROP TRIGGER IF EXISTS audit_no_update;")
    triggers = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'")]
    for t in triggers:
        con.execute("DROP TRIGGER %s" % t)
    target = con.execute("SELECT min(id) FROM audit WHERE action='user.login'").fetchone()[0]
    con.execute("UPDATE audit SET ip='10.9.9.9' WHERE id=?", (target,))
    con.commit()
    con.close()
    res = srv.cli("verify-audit")
    assert res.returncode == 1
    assert ("entrée %d" % target) in res.stdout, res.stdout
