"""Personal data across the features (core/privacy.h): a user with data in
every feature — account, company and documents, API token, aid labels,
equipment, requests with history, documents and messages, charging-data
import, contact form, heat connection requests — downloads a zip holding
each part and the files; the deletion page lists, feature by feature, what
goes and what stays; the deletion removes or pseudonymises each as the page
said, leaves other users' data alone, and the instructor still reads the
request with its contact erased. Also: a company without records goes
whole; a member of a company with colleagues leaves it; the heat retention
job pseudonymises old closed requests only."""
import hashlib
import io
import json
import os
import re
import time
import zipfile

from harness import GOOD_PASSWORD, PDF, PNG, text_of

SERVER_CONFIG = {"login_max_per_ip": 1000, "max_upload": 200000, "heat_retention_months": 12}

ERASED = "Contact effacé (compte supprimé)"

A = "lea.privee@exemple.fr"        # the user who deletes their account
B = "bruno.autre@exemple.fr"       # another company's user: untouched
INSTR = "ines.instruit@exemple.fr"
OPER = "oscar.exploite@exemple.fr"

PERSONAL = {"civility": "Mme", "last_name": "Privée", "first_name": "Léa", "phone": "06 12 34 56 78",
            "qualification": "Gérante"}

# Distinct contents, so that removing one user's files cannot be confused
# with another's (the store shares identical files).
PDF_A_KBIS = PDF + b"%kbis-a\n"
PDF_A_EQUIP = PDF + b"%fiche-a\n"
PDF_A_DRAFT = PDF + b"%devis-brouillon-a\n"
PDF_A_SUBMITTED = PDF + b"%devis-depose-a\n"
PDF_B = PDF + b"%b\n"

_s = {}


def company(siret, name):
    return {"siret": siret, "kind": "Entreprise", "name": name, "address": "12 rue du Port", "postcode": "17000",
            "city": "La Rochelle", "contact_email": "contact-%s@exemple.fr" % siret, "contact_phone": "05 46 00 00 00"}


def installer(srv, email, siret, name, kbis=PDF):
    """A logged-in installer whose Mon compte is complete."""
    srv.add_user(email, "applicant", "installer")
    c = srv.client()
    c.login(email)
    assert c.post("/compte/entreprise", company(siret, name)).status == 303
    assert c.post("/compte/personnel", PERSONAL).status == 303
    c.get("/compte")
    assert c.post("/compte/documents", {"doc_kind": "kbis"}, files={"file": ("kbis.pdf", kbis, "application/pdf")}).status == 303
    assert c.post("/compte/documents", {"doc_kind": "identity"}, files={"file": ("id.png", PNG, "image/png")}).status == 303
    return c


def uid(srv, email):
    return srv.sql1("SELECT id FROM users WHERE email=?", email)


def org_of(srv, email):
    return srv.sql1("SELECT org_id FROM org_members m JOIN users u ON u.id=m.user_id WHERE u.email=?", email)


def stored(srv, data):
    """Puts data into the content store as an upload would; its hash."""
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(srv.dir, "files", h[:2]), exist_ok=True)
    with open(os.path.join(srv.dir, "files", h[:2], h), "wb") as f:
        f.write(data)
    return h


def in_store(srv, h):
    return os.path.exists(os.path.join(srv.dir, "files", h[:2], h))


def new_item(c, path, fields):
    c.get(path + "/nouveau")
    r = c.post(path + "/nouveau", fields)
    assert r.status == 303, r
    return int(r.header("Location").rsplit("/", 1)[1])


def label(c, name="Offre sereine"):
    return new_item(c, "/aides/labels", {"name": name, "departements": "17", "parking": "residentiel_collectif",
                                         "housing": "collectif", "company": "non", "description": "Pose et pilotage."})


def equipment(c, data=PDF, ref="VW22-T2"):
    eid = new_item(c, "/aides/materiels", {"brand": "Voltéo", "model": "Wall 22", "reference": ref, "power_max": "22",
                                           "power_min": "3,7", "plug": "t2"})
    c.get("/aides/materiels/%d" % eid)
    r = c.post("/aides/materiels/%d/documents" % eid, {}, files={"file": ("fiche technique.pdf", data, "application/pdf")})
    assert r.status == 303, r
    return eid


def programme(srv):
    if "prog" not in _s:
        now = int(time.time())
        srv.sql("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, eligible_costs, opens_on, closes_on,"
                " active, created_at, updated_at) VALUES('Programme vie privée', 'residentiel_collectif', 5000, 100000,"
                " 'tout', '2020-01-01', '2099-12-31', 1, ?, ?)", now, now)
        _s["prog"] = srv.sql1("SELECT id FROM aid_programmes WHERE name='Programme vie privée'")
    return _s["prog"]


def dossier(srv, email, status="deposee", contact=None, beneficiary_email="syndic@mouettes.example"):
    """A request of email's company, created by them, with them as its
    contact (as the applicant's pages write it), and its submission row."""
    now = int(time.time())
    who = uid(srv, email)
    srv.sql("INSERT INTO aid_dossiers(programme_id, org_id, user_id, status, step, site_address, site_postcode,"
            " site_city, departement, points, cost_cents, contact_name, contact_email, contact_phone, beneficiary_kind,"
            " beneficiary_name, beneficiary_email, amount_cents, created_at, updated_at, submitted_at)"
            " VALUES(?, ?, ?, ?, 4, '3 rue des Mouettes', '17000', 'La Rochelle', '17', 2, 400000, ?, ?, '06 12 34 56 78',"
            " 'copropriete', 'Copropriété Les Mouettes', ?, 200000, ?, ?, ?)",
            programme(srv), org_of(srv, email), who, status, contact or "Léa Privée", contact_email(email, contact),
            beneficiary_email, now, now, None if status == "brouillon" else now)
    did = srv.sql1("SELECT max(id) FROM aid_dossiers")
    srv.sql("UPDATE aid_dossiers SET number=printf('AV-2026-%06d', id) WHERE id=?", did)
    if status != "brouillon":
        srv.sql("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status)"
                " VALUES(?, ?, ?, 'status', 'brouillon', 'deposee')", did, now, who)
    return did


def contact_email(email, contact):
    return email if contact is None else contact.lower().replace(" ", ".") + "@exemple.fr"


def dossier_doc(srv, did, email, data, name):
    h = stored(srv, data)
    srv.sql("INSERT INTO aid_dossier_docs(dossier_id, kind, user_id, filename, mime, size, hash, created_at)"
            " VALUES(?, 'Devis signé', ?, ?, 'application/pdf', ?, ?, ?)", did, uid(srv, email), name, len(data), h,
            int(time.time()))
    return h


def network(srv):
    if "net" not in _s:
        now = int(time.time())
        srv.sql("INSERT INTO heat_networks(sncu_id, name, operator_user_id, created_at, updated_at)"
                " VALUES('9901C', 'Réseau Vie Privée', ?, ?, ?)", uid(srv, OPER), now, now)
        _s["net"] = srv.sql1("SELECT id FROM heat_networks WHERE sncu_id='9901C'")
    return _s["net"]


def heat_request(srv, email, status="a_traiter", days_ago=0, last_name="Privée", address="7 rue des Mouettes"):
    t = int(time.time()) - days_ago * 86400
    srv.sql("INSERT INTO heat_requests(created_at, updated_at, address, address_id, commune, lon, lat, profile, energy,"
            " heating_mode, last_name, first_name, email, phone, comment, eligibility, network_id, routed_to, status)"
            " VALUES(?, ?, ?, 42, 'La Rochelle', -1.151234, 46.159876, 'maison', 'gaz', 'individuel', ?, 'Léa', ?,"
            " '06 12 34 56 78', 'Appelez après 18 h', 'tres_proche', ?, ?, ?)",
            t, t, address, last_name, email, network(srv), OPER, status)
    rid = srv.sql1("SELECT max(id) FROM heat_requests")
    srv.sql("INSERT INTO heat_request_history(request_id, at, user_id, old_status, new_status, comment, kind, subject)"
            " VALUES(?, ?, ?, 'a_traiter', 'a_traiter', ?, 'email', 'Votre demande')", rid, t, uid(srv, OPER),
            "Bonjour Léa %s, nous étudions le 7 rue des Mouettes." % last_name)
    return rid


def bulk_file(srv, email):
    """A finished bulk eligibility file of email's, with its stored input."""
    now = int(time.time())
    srv.sql("INSERT INTO heat_bulk(user_id, filename, encoding, sep, columns, rows_total, rows_done, status,"
            " created_at, finished_at) VALUES(?, 'adresses.csv', 'utf-8', ';', 'adresse', 2, 2, 'done', ?, ?)",
            uid(srv, email), now, now)
    bid = srv.sql1("SELECT max(id) FROM heat_bulk")
    path = os.path.join(srv.dir, "heat-bulk", "%d-resultat.csv" % bid)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("adresse;eligibilite\n7 rue des Mouettes;tres_proche\n")
    return path


def setup(srv):
    """A with data everywhere; B (another company) with the same kinds of data."""
    if _s.get("ready"):
        return _s
    srv.add_user(INSTR, "instructor")
    srv.add_user(OPER, "operator")
    a = installer(srv, A, "73282932000074", "Bornes Privées", kbis=PDF_A_KBIS)
    b = installer(srv, B, "55208131766522", "Recharge Autre", kbis=PDF_B)
    _s["a"], _s["b"] = a, b
    _s["token"] = srv.token(A, "CRM de Léa")
    _s["label"] = label(a)
    _s["equip"] = equipment(a, PDF_A_EQUIP)
    label(b, "Offre de Bruno")
    equipment(b, PDF_B, "B-1")
    _s["submitted"] = dossier(srv, A)
    _s["h_submitted"] = dossier_doc(srv, _s["submitted"], A, PDF_A_SUBMITTED, "devis signé.pdf")
    _s["draft"] = dossier(srv, A, status="brouillon")
    _s["h_draft"] = dossier_doc(srv, _s["draft"], A, PDF_A_DRAFT, "devis brouillon.pdf")
    _s["b_dossier"] = dossier(srv, B, beneficiary_email=B)
    srv.sql("INSERT INTO aid_messages(dossier_id, user_id, from_staff, body, created_at)"
            " VALUES(?, ?, 0, 'Bonjour, ici Léa Privée : le devis est joint.', ?)", _s["submitted"], uid(srv, A),
            int(time.time()))
    i = srv.client()
    i.login(INSTR)
    _s["instr"] = i
    i.get("/instruction/dossiers/%d" % _s["submitted"])
    r = i.post("/instruction/dossiers/%d/messages" % _s["submitted"], {"message": "Merci Madame Privée."})
    assert r.status == 303, r
    srv.sql("INSERT INTO aid_charge_imports(org_id, dossier_id, user_id, kind, source, filename, status, rows_read,"
            " rows_loaded, created_at) VALUES(?, ?, ?, 'points', 'csv', 'points-lea.csv', 'done', 3, 3, ?)",
            org_of(srv, A), _s["submitted"], uid(srv, A), int(time.time()))
    a.get("/contact")
    r = a.post("/contact", {"name": "Léa Privée", "email": A.upper(), "subject": "donnees",
                            "message": "Que gardez-vous de mes données ?"})
    assert r.status == 303, r
    srv.sql("INSERT INTO contact_messages(name, email, subject, message, ip, created_at)"
            " VALUES('Bruno', ?, 'autre', 'Une question de Bruno.', '127.0.0.1', ?)", B, int(time.time()))
    _s["heat_a"] = heat_request(srv, A)
    _s["bulk_file"] = bulk_file(srv, A)
    _s["heat_b"] = heat_request(srv, B, last_name="Autre", address="9 rue de Bruno")
    _s["ready"] = True
    return _s


# ------------------------------------------------------------- export

def test_export_holds_every_feature_part_and_the_files(srv):
    s = setup(srv)
    r = s["a"].get("/compte/export")
    assert r.status == 200 and r.header("Content-Type") == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.body))
    raw = z.read("donnees.json").decode()
    data = json.loads(raw)
    assert data["format"] == "guichet-export-2"
    assert "password_hash" not in raw and "token_hash" not in raw and "totp_secret" not in raw
    assert B not in raw and "Bruno" not in raw  # nothing of the other company or person

    acc = data["account"]
    assert acc["user"]["email"] == A and acc["user"]["phone"] == "06 12 34 56 78"
    assert acc["roles"] == ["applicant", "installer"]
    assert acc["organisation"]["name"] == "Bornes Privées"
    assert [t["name"] for t in acc["api_tokens"]] == ["CRM de Léa"]
    assert any("nouveau message" in m["subject"] for m in acc["emails"])
    kbis = [d for d in acc["documents"] if d["kind"] == "kbis"][0]
    assert z.read(kbis["file"]) == PDF_A_KBIS and kbis["file"].startswith("account/documents/")

    aid = data["aid"]
    assert [l["name"] for l in aid["labels"]] == ["Offre sereine"] and aid["labels"][0]["asked_by_me"] == 1
    assert aid["label_history"] and aid["label_history"][0]["label_id"] == s["label"]
    assert [e["reference"] for e in aid["equipment"]] == ["VW22-T2"]
    doc = aid["equipment_documents"][0]
    assert doc["file"] == "aid/materiels/%d/%d-fiche technique.pdf" % (s["equip"], doc["id"])
    assert z.read(doc["file"]) == PDF_A_EQUIP
    assert sorted(d["id"] for d in aid["requests"]) == sorted([s["submitted"], s["draft"]])
    sub = [d for d in aid["requests"] if d["id"] == s["submitted"]][0]
    assert sub["contact_email"] == A and sub["programme"] == "Programme vie privée" and sub["created_by_me"] == 1
    assert any(e["dossier_id"] == s["submitted"] and e["to_status"] == "deposee" for e in aid["request_history"])
    files = {d["filename"]: d["file"] for d in aid["request_documents"]}
    number = srv.sql1("SELECT number FROM aid_dossiers WHERE id=?", s["submitted"])
    assert files["devis signé.pdf"].startswith("aid/demandes/%s/" % number)
    assert z.read(files["devis signé.pdf"]) == PDF_A_SUBMITTED
    assert z.read(files["devis brouillon.pdf"]) == PDF_A_DRAFT
    bodies = [(m["from_staff"], m["body"]) for m in aid["request_messages"]]
    assert (0, "Bonjour, ici Léa Privée : le devis est joint.") in bodies and (1, "Merci Madame Privée.") in bodies
    assert [i["filename"] for i in aid["charge_imports"]] == ["points-lea.csv"]
    assert [m["message"] for m in aid["contact_messages"]] == ["Que gardez-vous de mes données ?"]

    heat = data["heat"]
    assert [h["id"] for h in heat["requests"]] == [s["heat_a"]]
    assert heat["requests"][0]["phone"] == "06 12 34 56 78" and heat["requests"][0]["network"] == "Réseau Vie Privée"
    assert [h["subject"] for h in heat["request_history"]] == ["Votre demande"]
    assert [f["filename"] for f in heat["bulk_files"]] == ["adresses.csv"]
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='user.export' AND user_id=?", uid(srv, A)) >= 1


def test_export_of_an_account_with_nothing_else(srv):
    srv.add_user("vide@exemple.fr", "applicant")
    c = srv.client()
    c.login("vide@exemple.fr")
    r = c.get("/compte/export")
    assert r.status == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(r.body)).read("donnees.json"))
    assert data["account"]["organisation"] is None and data["account"]["documents"] == []
    assert data["aid"]["requests"] == [] and data["heat"]["requests"] == []


# ------------------------------------------------------------- the page

def test_deletion_page_says_feature_by_feature_what_goes_and_stays(srv):
    s = setup(srv)
    r = s["a"].get("/compte/supprimer")
    assert r.status == 200
    t = text_of(r)
    titles = re.findall(r"<h2>([^<]+)</h2>", r.text)
    assert titles == ["Votre compte", "Aides à la recharge", "Formulaire de contact", "Réseaux de chaleur"]
    for line in ("Vos jetons d’API (1)", "Les documents de l’entreprise (2) et ses coordonnées de contact",
                 "L’entreprise elle-même (raison sociale, SIRET, adresse), sans membre",
                 "Les demandes d’aide en brouillon de l’entreprise (1)",
                 "Les labels (1) et matériels (1) de l’entreprise, sur lesquels reposent ses demandes conservées",
                 "dont vous êtes le contact (1) : le nom, l’e-mail et le téléphone du contact, remplacés par « %s »" % ERASED,
                 "pièces administratives d’aides publiques",
                 "Les imports de données de recharge que vous avez faits (1)",
                 "Vos messages envoyés par le formulaire de contact (1)",
                 "Dans vos demandes de raccordement (1)", "Ces demandes, anonymes",
                 "Vos fichiers d’adresses testés en masse (1) et leurs résultats", "journal d’audit"):
        assert line in t, line
    assert "Ce qui sera supprimé" in t and "Ce qui est conservé, et pourquoi" in t


# ------------------------------------------------------------- deletion

def test_deletion_removes_or_pseudonymises_each_part(srv):
    s = setup(srv)
    a_id, a_org = uid(srv, A), org_of(srv, A)
    b_before = srv.sql("SELECT * FROM aid_dossiers WHERE id=?", s["b_dossier"])
    heat_b_before = srv.sql("SELECT * FROM heat_requests WHERE id=?", s["heat_b"])
    s["a"].get("/compte/supprimer")
    r = s["a"].post("/compte/supprimer", {"password": "faux"})
    assert r.status == 422 and "mot de passe est incorrect" in r.text and "Aides à la recharge" in r.text
    assert uid(srv, A) == a_id
    r = s["a"].post("/compte/supprimer", {"password": GOOD_PASSWORD})
    assert r.status == 303 and r.header("Location") == "/"

    # Account: the user, their token, their mails; the company stays, bare.
    assert uid(srv, A) is None
    assert srv.sql1("SELECT count(*) FROM api_tokens WHERE user_id=?", a_id) == 0
    assert srv.sql1("SELECT count(*) FROM outbox WHERE lower(to_addr)=?", A) == 0
    assert srv.sql("SELECT name, contact_email, contact_phone FROM organisations WHERE id=?", a_org) == \
        [("Bornes Privées", "", "")]
    assert srv.sql1("SELECT count(*) FROM org_members WHERE org_id=?", a_org) == 0
    assert srv.sql1("SELECT count(*) FROM documents WHERE org_id=?", a_org) == 0
    assert not in_store(srv, hashlib.sha256(PDF_A_KBIS).hexdigest())
    assert s["a"].get("/compte").status == 303
    assert srv.api("GET", "/api/v1/moi", s["token"]).status == 401

    # Aid: the draft and its file go; the submitted request stays, contact erased.
    assert srv.sql1("SELECT count(*) FROM aid_dossiers WHERE id=?", s["draft"]) == 0
    assert not in_store(srv, s["h_draft"])
    row = srv.sql("SELECT contact_name, contact_email, contact_phone, user_id, beneficiary_name, status FROM aid_dossiers"
                  " WHERE id=?", s["submitted"])[0]
    assert row == (ERASED, "", "", None, "Copropriété Les Mouettes", "deposee")
    assert srv.sql1("SELECT count(*) FROM aid_dossier_events WHERE dossier_id=? AND kind='privacy'", s["submitted"]) == 1
    assert srv.sql1("SELECT count(*) FROM aid_messages WHERE dossier_id=?", s["submitted"]) == 2
    assert srv.sql1("SELECT count(*) FROM aid_messages WHERE user_id=?", a_id) == 0
    assert in_store(srv, s["h_submitted"])
    assert srv.sql1("SELECT count(*) FROM aid_labels WHERE org_id=? AND user_id IS NULL", a_org) == 1
    assert srv.sql1("SELECT count(*) FROM aid_equipment WHERE org_id=? AND user_id IS NULL", a_org) == 1
    assert in_store(srv, hashlib.sha256(PDF_A_EQUIP).hexdigest())
    assert srv.sql1("SELECT user_id FROM aid_charge_imports WHERE filename='points-lea.csv'") is None
    assert srv.sql1("SELECT count(*) FROM contact_messages WHERE email=?", A) == 0

    # Heat: the request stays, without the person.
    row = srv.sql("SELECT last_name, first_name, email, phone, comment, address, address_id, commune, lon, lat, status"
                  " FROM heat_requests WHERE id=?", s["heat_a"])[0]
    assert row == ("", "", "", "", "", "La Rochelle", None, "La Rochelle", -1.151, 46.16, "a_traiter")
    assert srv.sql1("SELECT comment FROM heat_request_history WHERE request_id=?", s["heat_a"]) == ""
    assert srv.sql1("SELECT count(*) FROM heat_bulk WHERE user_id=?", a_id) == 0
    deadline = time.time() + 10  # the purge job, queued by the deletion, removes the file
    while os.path.exists(s["bulk_file"]):
        assert time.time() < deadline, "bulk file left behind"
        time.sleep(0.1)

    # Nobody else's data moved.
    assert srv.sql("SELECT * FROM aid_dossiers WHERE id=?", s["b_dossier"]) == b_before
    assert srv.sql("SELECT * FROM heat_requests WHERE id=?", s["heat_b"]) == heat_b_before
    assert srv.sql1("SELECT count(*) FROM contact_messages WHERE email=?", B) == 1
    assert srv.sql1("SELECT count(*) FROM aid_labels l JOIN org_members m ON m.org_id=l.org_id"
                    " JOIN users u ON u.id=m.user_id WHERE u.email=?", B) == 1
    assert in_store(srv, hashlib.sha256(PDF_B).hexdigest())
    assert s["b"].get("/compte").status == 200

    assert srv.sql1("SELECT count(*) FROM audit WHERE action='user.delete' AND user_id=?", a_id) == 1
    res = srv.cli("verify-audit")
    assert res.returncode == 0, res.stdout


def test_instructor_still_reads_the_request_with_its_contact_erased(srv):
    s = setup(srv)
    assert uid(srv, A) is None, "runs after the deletion"
    r = s["instr"].get("/instruction/dossiers/%d" % s["submitted"])
    assert r.status == 200
    t = text_of(r)
    assert ERASED in t and "Copropriété Les Mouettes" in t and "Bornes Privées" in t
    assert "Coordonnées du contact effacées" in t and "compte supprimé" in t
    assert "Bonjour, ici Léa Privée : le devis est joint." in t  # the record as it was written
    assert A not in r.text and "06 12 34 56 78" not in r.text
    # The request can still be decided; nobody is e-mailed.
    before = srv.sql1("SELECT count(*) FROM outbox")
    r = s["instr"].post("/instruction/dossiers/%d/instruire" % s["submitted"], {})
    assert r.status == 303, r
    assert srv.sql1("SELECT status FROM aid_dossiers WHERE id=?", s["submitted"]) == "en_instruction"
    assert srv.sql1("SELECT count(*) FROM outbox") == before


def test_operator_handles_a_pseudonymised_heat_request(srv):
    s = setup(srv)
    o = srv.client()
    o.login(OPER)
    r = o.get("/operateur/demandes/%d" % s["heat_a"])
    assert r.status == 200 and "Demande anonymisée" in r.text and 'id="ecrire"' not in r.text
    assert "Appelez après 18 h" not in r.text and "rue des Mouettes" not in r.text
    before = srv.sql1("SELECT count(*) FROM outbox")
    r = o.post("/operateur/demandes/%d/statut" % s["heat_a"], {"statut": "etude", "commentaire": "Visite faite."})
    assert r.status == 303, r
    assert srv.sql1("SELECT status FROM heat_requests WHERE id=?", s["heat_a"]) == "etude"
    assert srv.sql1("SELECT count(*) FROM outbox") == before
    r = o.post("/operateur/demandes/%d/message" % s["heat_a"], {"objet": "Bonjour", "message": "Un mot ?"})
    assert r.status == 409 and "anonymisée" in r.text
    # The other applicant's request still has its form.
    r = o.get("/operateur/demandes/%d" % s["heat_b"])
    assert 'id="ecrire"' in r.text and B in r.text


# ------------------------------------------------------------- companies

def test_a_company_without_records_goes_whole(srv):
    c = installer(srv, "seul@exemple.fr", "35600000000048", "Seul SARL", kbis=PDF + b"%seul\n")
    eq_data = PDF + b"%fiche-seul\n"
    eid = equipment(c, eq_data, "SEUL-1")
    label(c, "Offre seule")
    org = org_of(srv, "seul@exemple.fr")
    draft = dossier(srv, "seul@exemple.fr", status="brouillon")
    r = c.get("/compte/supprimer")
    t = text_of(r)
    assert "L’entreprise, dont vous êtes le seul membre, et ses documents (2)" in t
    assert "Les labels (1) et matériels (1) de l’entreprise, avec leurs documents" in t
    assert "sans membre" not in t
    assert c.post("/compte/supprimer", {"password": GOOD_PASSWORD}).status == 303
    assert srv.sql1("SELECT count(*) FROM organisations WHERE id=?", org) == 0
    for table in ("aid_labels", "aid_equipment", "aid_dossiers"):
        assert srv.sql1("SELECT count(*) FROM %s WHERE org_id=?" % table, org) == 0, table
    assert srv.sql1("SELECT count(*) FROM aid_equipment_docs WHERE equipment_id=?", eid) == 0
    assert srv.sql1("SELECT count(*) FROM aid_dossiers WHERE id=?", draft) == 0
    assert not in_store(srv, hashlib.sha256(eq_data).hexdigest())


def test_a_member_leaves_the_company_and_its_requests_to_colleagues(srv):
    boss = installer(srv, "patronne@exemple.fr", "13000201600009", "Équipe SAS")
    srv.add_user("collegue@exemple.fr", "applicant")
    boss.get("/compte/organisation")
    assert boss.post("/compte/organisation/membres", {"email": "collegue@exemple.fr", "role": "member"}).status == 303
    org = org_of(srv, "patronne@exemple.fr")
    assert org_of(srv, "collegue@exemple.fr") == org
    mine = dossier(srv, "collegue@exemple.fr")
    draft = dossier(srv, "collegue@exemple.fr", status="brouillon")
    theirs = dossier(srv, "patronne@exemple.fr")
    c = srv.client()
    c.login("collegue@exemple.fr")
    t = text_of(c.get("/compte/supprimer"))
    assert "Votre appartenance à l’entreprise" in t and "qui restent à ses autres membres" in t
    assert "dont vous êtes le contact (2)" in t
    # The only owner cannot leave colleagues without one.
    t = text_of(boss.get("/compte/supprimer"))
    assert "Vous êtes le seul responsable de l’entreprise" in t
    r = boss.post("/compte/supprimer", {"password": GOOD_PASSWORD})
    assert r.status == 422 and "désignez un autre responsable" in r.text
    assert uid(srv, "patronne@exemple.fr")

    assert c.post("/compte/supprimer", {"password": GOOD_PASSWORD}).status == 303
    assert srv.sql1("SELECT count(*) FROM org_members WHERE org_id=?", org) == 1
    assert srv.sql1("SELECT count(*) FROM documents WHERE org_id=?", org) == 2
    for did in (mine, draft):  # the draft stays with the company, without its contact
        assert srv.sql("SELECT contact_name, contact_email, user_id FROM aid_dossiers WHERE id=?", did) == \
            [(ERASED, "", None)]
    r = boss.get("/aides/dossiers/%d" % mine)
    assert r.status == 200 and "Compte du contact supprimé" in text_of(r) and ERASED in text_of(r)
    assert srv.sql("SELECT contact_name, contact_email FROM aid_dossiers WHERE id=?", theirs) == \
        [("Léa Privée", "patronne@exemple.fr")]


# ------------------------------------------------------------- retention

def test_retention_pseudonymises_old_closed_heat_requests_only(srv):
    setup(srv)
    old_done = heat_request(srv, "ancien@exemple.fr", status="realise", days_ago=400)
    old_dropped = heat_request(srv, "abandon@exemple.fr", status="abandonne", days_ago=400)
    old_open = heat_request(srv, "encours@exemple.fr", status="etude", days_ago=400)
    recent_done = heat_request(srv, "recent@exemple.fr", status="realise", days_ago=300)
    srv.sql("UPDATE job_schedule SET next_run=0 WHERE kind='heat.retention'")
    res = srv.cli("worker", "--once")
    assert res.returncode == 0, res.stderr
    time.sleep(1.5)  # the server's own worker may have taken the job: let it finish
    for rid in (old_done, old_dropped):
        assert srv.sql("SELECT email, last_name, address FROM heat_requests WHERE id=?", rid) == [("", "", "La Rochelle")]
        assert srv.sql1("SELECT comment FROM heat_request_history WHERE request_id=?", rid) == ""
    for rid, email in ((old_open, "encours@exemple.fr"), (recent_done, "recent@exemple.fr")):
        assert srv.sql1("SELECT email FROM heat_requests WHERE id=?", rid) == email
    assert srv.sql1("SELECT detail FROM audit WHERE action='heat.retention' ORDER BY id DESC LIMIT 1") == \
        "2 demande(s) anonymisée(s)"
