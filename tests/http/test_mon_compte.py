"""Mon compte: personal and company information, documents (type checked by
content, size cap, owner-only access), members, export and deletion."""
import io
import json
import os
import re
import time
import zipfile

from harness import GOOD_PASSWORD, PDF, PNG

SERVER_CONFIG = {"login_max_per_ip": 1000, "max_upload": 200000}

COMPANY = {"siret": "732 829 320 00074", "kind": "Entreprise", "name": "Bornes Atlantique SARL",
           "address": "12 rue du Port", "postcode": "17000", "city": "La Rochelle",
           "contact_email": "contact@bornes.example", "contact_phone": "05 46 00 00 00"}
PERSONAL = {"civility": "Mme", "last_name": "Martin", "first_name": "Léa", "phone": "06 12 34 56 78",
            "qualification": "Gérante"}


def user_with_company(srv, email, company=None):
    srv.add_user(email, "applicant", "installer")
    c = srv.client()
    c.login(email)
    r = c.post("/compte/entreprise", company or COMPANY)
    assert r.status == 303, r
    return c


def upload(c, kind, name, data, ctype="application/pdf"):
    c.get("/compte")
    return c.post("/compte/documents", {"doc_kind": kind}, files={"file": (name, data, ctype)})


def test_account_page_lists_what_is_missing(srv):
    srv.add_user("new@exemple.fr", "applicant")
    c = srv.client()
    c.login("new@exemple.fr")
    r = c.get("/compte")
    assert r.status == 200
    assert "Votre compte n’est pas encore complet" in r.text
    for item in ("Vos informations personnelles", "Les informations de votre entreprise", "Extrait Kbis",
                 "Pièce d’identité du dirigeant"):
        assert item in r.text, item


def test_personal_information_errors_and_save(srv):
    srv.add_user("perso@exemple.fr", "applicant")
    c = srv.client()
    c.login("perso@exemple.fr")
    r = c.post("/compte/personnel", {"civility": "Dr", "last_name": "", "first_name": "Léa", "phone": "12"})
    assert r.status == 422
    assert "Choisissez une des options proposées" in r.text
    assert "Renseignez votre nom" in r.text
    assert "numéro de téléphone valide" in r.text
    assert 'value="Léa"' in r.text and 'value="12"' in r.text
    r = c.post("/compte/personnel", PERSONAL)
    assert r.status == 303
    row = srv.sql("SELECT civility, last_name, first_name, phone, qualification FROM users WHERE email='perso@exemple.fr'")[0]
    assert row == ("Mme", "Martin", "Léa", "06 12 34 56 78", "Gérante")
    r = c.get("/compte")
    assert "informations personnelles sont enregistrées" in r.text
    assert 'value="Martin"' in r.text


def test_company_siret_checks(srv):
    srv.add_user("siret@exemple.fr", "applicant")
    c = srv.client()
    c.login("siret@exemple.fr")
    bad = dict(COMPANY, siret="73282932000075")
    r = c.post("/compte/entreprise", bad)
    assert r.status == 422 and "n’est pas valide" in r.text
    assert 'value="Bornes Atlantique SARL"' in r.text          # other fields kept
    assert '<option value="Entreprise" selected>' in r.text
    r = c.post("/compte/entreprise", dict(COMPANY, siret="1234", postcode="17", contact_email="x"))
    assert r.status == 422
    assert "14 chiffres" in r.text and "5 chiffres" in r.text and "adresse e-mail valide" in r.text
    assert srv.sql1("SELECT count(*) FROM organisations") == 0
    r = c.post("/compte/entreprise", COMPANY)
    assert r.status == 303
    assert srv.sql1("SELECT siret FROM organisations") == "73282932000074"
    assert srv.sql1("SELECT role FROM org_members m JOIN users u ON u.id=m.user_id WHERE u.email='siret@exemple.fr'") == "owner"
    # Another account cannot take the same company.
    srv.add_user("thief@exemple.fr", "applicant")
    t = srv.client()
    t.login("thief@exemple.fr")
    r = t.post("/compte/entreprise", COMPANY)
    assert r.status == 422 and "déjà inscrite" in r.text


def test_documents_upload_type_size_and_completion(srv):
    c = user_with_company(srv, "docs@exemple.fr", dict(COMPANY, siret="35600000000048"))
    c.post("/compte/personnel", PERSONAL)
    # A PDF renamed .png is still a PDF; an executable named .pdf is refused.
    r = upload(c, "kbis", "kbis.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/pdf")
    assert r.status == 422 and "type de fichier n’est pas accepté" in r.text
    r = upload(c, "kbis", "page.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    assert r.status == 422
    assert srv.sql1("SELECT count(*) FROM documents") == 0
    files_dir = os.path.join(srv.dir, "files")
    stored = [f for _, _, fs in os.walk(files_dir) for f in fs] if os.path.isdir(files_dir) else []
    assert stored == []
    # Too large.
    r = upload(c, "kbis", "big.pdf", PDF + b"0" * 300000)
    assert r.status in (413, 422)
    r = upload(c, "kbis", "kbis-2026.png", PDF, "image/png")
    assert r.status == 303, r
    assert srv.sql1("SELECT mime FROM documents WHERE kind='kbis'") == "application/pdf"
    r = upload(c, "identity", "cni.png", PNG, "image/png")
    assert r.status == 303
    r = c.get("/compte")
    assert "Compte complet" in r.text
    # Stored by content hash, outside any web root, never under the typed name.
    h = srv.sql1("SELECT hash FROM documents WHERE kind='identity'")
    assert os.path.isfile(os.path.join(srv.dir, "files", h[:2], h))
    assert c.get("/static/" + h).status == 404
    # Replacing a document keeps one per kind.
    r = upload(c, "kbis", "kbis-bis.pdf", PDF + b"%more\n")
    assert r.status == 303
    assert srv.sql1("SELECT count(*) FROM documents WHERE kind='kbis'") == 1


def test_documents_only_for_owner_org_and_staff(srv):
    owner = user_with_company(srv, "own@exemple.fr", dict(COMPANY, siret="44306184100047"))
    assert upload(owner, "kbis", "k.pdf", PDF).status == 303
    doc = srv.sql1("SELECT d.id FROM documents d JOIN organisations o ON o.id=d.org_id WHERE o.siret='44306184100047'")
    r = owner.get("/compte/documents/%d" % doc)
    assert r.status == 200 and r.body == PDF
    assert r.header("Content-Disposition").startswith("attachment;")
    assert r.header("Content-Type") == "application/pdf"
    # Another applicant (with their own company): 404, and cannot delete it.
    other = user_with_company(srv, "other@exemple.fr", dict(COMPANY, siret="55210055400013"))
    assert other.get("/compte/documents/%d" % doc).status == 404
    assert other.post("/compte/documents/%d/supprimer" % doc, {}).status == 404
    assert other.get("/compte/documents/999999").status == 404
    assert other.get("/compte/documents/abc").status == 404
    # Anonymous: sent to login.
    assert srv.client().get("/compte/documents/%d" % doc).status == 303
    # Staff can read it, and that read is audited.
    srv.add_user("instr@exemple.fr", "instructor")
    staff = srv.client()
    staff.login("instr@exemple.fr")
    r = staff.get("/compte/documents/%d" % doc)
    assert r.status == 200 and r.body == PDF
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='account.document_staff_read'") == 1
    # Staff cannot delete a company's document.
    assert staff.post("/compte/documents/%d/supprimer" % doc, {}).status == 403
    assert owner.post("/compte/documents/%d/supprimer" % doc, {}).status == 303
    assert srv.sql1("SELECT count(*) FROM documents WHERE id=?", doc) == 0


def test_members(srv):
    owner = user_with_company(srv, "boss@exemple.fr", dict(COMPANY, siret="40483304800022"))
    srv.add_user("emp@exemple.fr", "applicant")
    owner.get("/compte/organisation")
    r = owner.post("/compte/organisation/membres", {"email": "absent@exemple.fr", "role": "member"})
    assert r.status == 422 and "Aucun compte actif" in r.text and 'value="absent@exemple.fr"' in r.text
    r = owner.post("/compte/organisation/membres", {"email": "emp@exemple.fr", "role": "member"})
    assert r.status == 303
    emp = srv.client()
    emp.login("emp@exemple.fr")
    r = emp.get("/compte/organisation")
    assert r.status == 200 and "boss@exemple.fr" in r.text
    # A member sees the company but cannot change it or its members.
    assert emp.post("/compte/entreprise", dict(COMPANY, siret="40483304800022", name="Autre")).status == 403
    boss_id = srv.sql1("SELECT id FROM users WHERE email='boss@exemple.fr'")
    assert emp.post("/compte/organisation/membres/%d/retirer" % boss_id, {}).status == 403
    assert emp.post("/compte/organisation/membres", {"email": "x@exemple.fr", "role": "member"}).status == 403
    # Members upload and read the company's documents.
    assert upload(emp, "kbis", "k.pdf", PDF).status == 303
    doc = srv.sql1("SELECT max(id) FROM documents")
    assert owner.get("/compte/documents/%d" % doc).status == 200
    # The last owner cannot leave.
    r = owner.post("/compte/organisation/membres/%d/retirer" % boss_id, {})
    assert r.status == 409


def test_export_zip(srv):
    c = user_with_company(srv, "exp@exemple.fr", dict(COMPANY, siret="12345678200010"))
    c.post("/compte/personnel", PERSONAL)
    assert upload(c, "kbis", "mon kbis.pdf", PDF).status == 303
    r = c.get("/compte/export")
    assert r.status == 200 and r.header("Content-Type") == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.body))
    data = json.loads(z.read("donnees.json"))
    assert data["format"] == "guichet-export-2"
    mine = data["account"]
    assert mine["user"]["email"] == "exp@exemple.fr"
    assert mine["user"]["last_name"] == "Martin"
    assert mine["organisation"]["siret"] == "12345678200010" and mine["organisation"]["my_role"] == "owner"
    assert any(a["action"] == "account.document_upload" for a in mine["audit"])
    docs = [n for n in z.namelist() if n.startswith("account/documents/")]
    assert len(docs) == 1 and z.read(docs[0]) == PDF
    assert docs[0].endswith("-mon kbis.pdf") and mine["documents"][0]["file"] == docs[0]
    assert "password_hash" not in json.dumps(data)
    # The zip is removed once sent (when the server closes the request).
    deadline = time.time() + 5
    while [f for f in os.listdir(os.path.join(srv.dir, "tmp")) if f.startswith("export-")]:
        assert time.time() < deadline, "export zip left behind"
        time.sleep(0.05)


def test_delete_account(srv):
    c = user_with_company(srv, "bye@exemple.fr", dict(COMPANY, siret="13000201600009"))
    assert upload(c, "kbis", "k.pdf", PDF + b"%bye\n").status == 303
    h = srv.sql1("SELECT hash FROM documents ORDER BY id DESC LIMIT 1")
    r = c.get("/compte/supprimer")
    assert r.status == 200
    assert "Ce qui sera supprimé" in r.text and "Ce qui est conservé" in r.text and "journal d’audit" in r.text
    r = c.post("/compte/supprimer", {"password": "wrong"})
    assert r.status == 422 and "mot de passe est incorrect" in r.text
    uid = srv.sql1("SELECT id FROM users WHERE email='bye@exemple.fr'")
    r = c.post("/compte/supprimer", {"password": GOOD_PASSWORD})
    assert r.status == 303
    assert srv.sql1("SELECT count(*) FROM users WHERE email='bye@exemple.fr'") == 0
    assert srv.sql1("SELECT count(*) FROM organisations WHERE siret='13000201600009'") == 0
    assert srv.sql1("SELECT count(*) FROM sessions WHERE user_id=?", uid) == 0
    assert not os.path.exists(os.path.join(srv.dir, "files", h[:2], h))
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='user.delete' AND user_id=?", uid) == 1
    assert c.get("/compte").status == 303
    # The audit chain is still intact after the deletion.
    res = srv.cli("verify-audit")
    assert res.returncode == 0, res.stdout


def test_every_account_route_needs_login(srv):
    anon = srv.client()
    for path in ("/compte", "/compte/organisation", "/compte/mot-de-passe", "/compte/2fa", "/compte/export",
                 "/compte/supprimer", "/compte/documents/1"):
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/connexion?suite="), path
    anon.get("/connexion")
    for path in ("/compte/personnel", "/compte/entreprise", "/compte/documents", "/compte/documents/1/supprimer",
                 "/compte/organisation/membres", "/compte/organisation/membres/1/retirer", "/compte/2fa",
                 "/compte/2fa/desactiver", "/compte/supprimer", "/compte/mot-de-passe", "/deconnexion"):
        r = anon.post(path, {})
        assert r.status == 303 and "/connexion" in r.header("Location"), path
