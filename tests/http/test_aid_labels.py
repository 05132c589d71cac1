"""Labelled offers and declared equipment (issue #3, journeys 2 and 3): the
installer's label requests (refused while Mon compte is incomplete, each
field's message), equipment with PDF documents checked by content, the
instructors' work lists and decisions (a refusal needs a reason), the
emails and the history, and who may see what: another organisation gets
404 on every route that takes an id, a non-instructor 403 on /instruction."""
import csv
import html
import io
import os
import re
import zipfile

from harness import PDF, PNG, Server

SERVER_CONFIG = {"login_max_per_ip": 1000, "max_upload": 200000}

NBSP = "\u00a0"

PERSONAL = {"civility": "Mme", "last_name": "Martin", "first_name": "Léa", "phone": "06 12 34 56 78",
            "qualification": "Gérante"}


def company(siret, name):
    return {"siret": siret, "kind": "Entreprise", "name": name, "address": "12 rue du Port", "postcode": "17000",
            "city": "La Rochelle", "contact_email": "contact-%s@exemple.fr" % siret, "contact_phone": "05 46 00 00 00"}


def text_of(r):
    t = html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))
    return re.sub(r"\s+", " ", t.replace(NBSP, " "))


def login(srv, email, *roles):
    srv.add_user(email, *roles)
    c = srv.client()
    c.login(email)
    return c


def installer(srv, email, siret, name="Bornes Atlantique", complete=True):
    """A logged-in installer with a company; complete: personal data, Kbis
    and identity document uploaded too."""
    c = login(srv, email, "applicant", "installer")
    assert c.post("/compte/entreprise", company(siret, name)).status == 303
    if complete:
        assert c.post("/compte/personnel", PERSONAL).status == 303
        c.get("/compte")
        assert c.post("/compte/documents", {"doc_kind": "kbis"}, files={"file": ("k.pdf", PDF, "application/pdf")}).status == 303
        assert c.post("/compte/documents", {"doc_kind": "identity"}, files={"file": ("id.png", PNG, "image/png")}).status == 303
    return c


def good_label(**over):
    f = {"name": "Copro sereine", "departements": "17, 79", "parking": "residentiel_collectif",
         "housing": "collectif", "company": "non", "description": "Pose et pilotage des points."}
    f.update(over)
    return f


def post_new(c, path, fields):
    """Creates an item through its form at path/nouveau; returns its id."""
    c.get(path + "/nouveau")
    r = c.post(path + "/nouveau", fields)
    assert r.status == 303, r
    m = re.match(r"^%s/(\d+)$" % path, r.header("Location"))
    assert m, r.header("Location")
    return int(m.group(1))


def file_label(c, **over):
    return post_new(c, "/aides/labels", good_label(**over))


def good_equipment(**over):
    f = {"brand": "Voltéo", "model": "Wall 22", "reference": "VW22-T2", "power_max": "22", "power_min": "3,7",
         "plug": "t2"}
    f.update(over)
    return f


def new_equipment(c, **over):
    return post_new(c, "/aides/materiels", good_equipment(**over))


def add_doc(c, eid, name="fiche.pdf", data=PDF, ctype="application/pdf"):
    c.get("/aides/materiels/%d" % eid)
    return c.post("/aides/materiels/%d/documents" % eid, {}, files={"file": (name, data, ctype)})


_people = {}


def instructor(srv):
    if "instr" not in _people:
        _people["instr"] = login(srv, "instructrice@exemple.fr", "instructor")
        srv.sql("UPDATE users SET first_name='Inès', last_name='Tructrice' WHERE email='instructrice@exemple.fr'")
    return _people["instr"]


# ------------------------------------------------------------------ labels

def test_label_refused_while_account_incomplete(srv):
    bare = login(srv, "bare@exemple.fr", "applicant")
    r = bare.get("/aides/labels")
    assert r.status == 200 and "aucune entreprise" in text_of(r) and 'href="/compte#entreprise"' in r.text
    r = bare.get("/aides/labels/nouveau")
    assert r.status == 200
    t = text_of(r)
    assert "Votre compte n’est pas encore complet" in t
    for item, href in (("Vos informations personnelles", "/compte#personnel"),
                       ("Les informations de votre entreprise", "/compte#entreprise"),
                       ("Extrait Kbis", "/compte#documents"), ("Pièce d’identité du dirigeant", "/compte#documents")):
        assert item in t, item
        assert 'href="%s"' % href in r.text, href
    assert 'name="departements"' not in r.text  # no form to fill in for nothing
    r = bare.post("/aides/labels/nouveau", good_label())
    assert r.status == 403 and "Extrait Kbis" in text_of(r)
    # With a company but no documents: only what is missing is listed, and
    # the server still refuses whatever the form sent.
    half = installer(srv, "half@exemple.fr", "35600000000048", complete=False)
    r = half.get("/aides/labels/nouveau")
    t = text_of(r)
    assert "Extrait Kbis" in t and "Les informations de votre entreprise" not in t
    r = half.post("/aides/labels/nouveau", good_label())
    assert r.status == 403
    assert srv.sql1("SELECT count(*) FROM aid_labels") == 0
    # Once complete, the form is there.
    half.post("/compte/personnel", PERSONAL)
    half.get("/compte")
    half.post("/compte/documents", {"doc_kind": "kbis"}, files={"file": ("k.pdf", PDF, "application/pdf")})
    half.post("/compte/documents", {"doc_kind": "identity"}, files={"file": ("i.pdf", PDF, "application/pdf")})
    r = half.get("/aides/labels/nouveau")
    assert 'name="departements"' in r.text and "pas encore complet" not in r.text


def test_label_field_messages_and_values_kept(srv):
    c = installer(srv, "fields@exemple.fr", "44306184100047")
    c.get("/aides/labels/nouveau")
    r = c.post("/aides/labels/nouveau", {"name": "", "departements": "", "parking": "", "housing": "", "company": ""})
    assert r.status == 422
    t = text_of(r)
    assert "Renseignez le nom de l’offre commerciale." in t
    assert "Renseignez la zone géographique : un ou plusieurs départements." in t
    assert "Choisissez le type de stationnement." in t
    assert "Indiquez si l’offre vise une résidence collective ou une maison individuelle." in t
    assert "Indiquez si l’offre s’adresse à une entreprise." in t
    assert "Le formulaire contient des erreurs" in t
    for bad in ("20", "2C", "99", "977", "00", "17 1234", "Charente"):
        r = c.post("/aides/labels/nouveau", good_label(departements=bad, name="Nom gardé"))
        assert r.status == 422, bad
        token = bad.split()[-1]
        assert "« %s » n’est pas un code de département" % token in text_of(r), (bad, text_of(r))
        assert 'value="Nom gardé"' in r.text and ('value="%s"' % html.escape(bad)) in r.text
        assert '<option value="residentiel_collectif" selected>' in r.text
        assert re.search(r'value="collectif" checked', r.text)
    r = c.post("/aides/labels/nouveau", good_label(departements=" , ;"))
    assert r.status == 422 and "Indiquez au moins un code de département" in text_of(r)
    r = c.post("/aides/labels/nouveau", good_label(parking="parking_lune", housing="chateau", company="peut-être"))
    assert r.status == 422
    for field in ("parking", "housing", "company"):
        assert '<p class="error" id="%s-err">Choisissez une des options proposées.</p>' % field in r.text, field
    r = c.post("/aides/labels/nouveau", good_label(name="x" * 201, description="y" * 5001))
    assert r.status == 422 and "200 caractères au plus" in text_of(r) and "5000 caractères au plus" in text_of(r)
    assert srv.sql1("SELECT count(*) FROM aid_labels") == 0
    # Codes are normalised: sorted, distinct, Corsica upper-cased, "9" is "09".
    lid = file_label(c, departements=" 17; 79,2a 974 17\n9", company="oui")
    row = srv.sql("SELECT status, departements, parking, housing, company, name FROM aid_labels WHERE id=?", lid)[0]
    assert row == ("deposee", "09,17,2A,79,974", "residentiel_collectif", "collectif", 1, "Copro sereine")
    r = c.get("/aides/labels/%d" % lid)
    t = text_of(r)
    assert r.status == 200 and "Déposée" in t and "09, 17, 2A, 79, 974" in t and "Résidentiel collectif" in t
    assert "Un instructeur examine votre demande" in t
    r = c.get("/aides/labels")
    assert "Copro sereine" in r.text and 'href="/aides/labels/%d"' % lid in r.text


def test_label_review_refuse_needs_reason_then_emails_and_history(srv):
    c = installer(srv, "decide@exemple.fr", "55210055400013", name="Recharge Ouest")
    first = file_label(c, name="Offre A")
    second = file_label(c, name="Offre B")
    ins = instructor(srv)
    # The work list: what is to do, oldest first; search and filters.
    r = ins.get("/instruction/labels")
    assert r.status == 200
    assert r.text.index("label-%d" % first) < r.text.index("label-%d" % second)
    assert "Recharge Ouest" in r.text
    r = ins.get("/instruction/labels?q=552+100+554")  # a SIRET as typed, with spaces
    assert "label-%d" % first in r.text and "label-%d" % second in r.text
    r = ins.get("/instruction/labels?q=offre+b")
    assert "label-%d" % second in r.text and "label-%d" % first not in r.text
    r = ins.get("/instruction/labels?q=%%23%d" % first)  # "#12": a tracking number, nothing else
    assert "label-%d" % first in r.text and "label-%d" % second not in r.text
    r = ins.get("/instruction/labels?q=n%%C2%%B0+%d" % second)  # "n° 13"
    assert "label-%d" % second in r.text and "label-%d" % first not in r.text
    r = ins.get("/instruction/labels?q=100%25")  # LIKE wildcards are searched for, not obeyed
    assert "label-%d" % first not in r.text
    r = ins.get("/instruction/labels?statut=validee")
    assert "label-%d" % first not in r.text and "Aucune demande de label ne correspond" in r.text
    r = ins.get("/instruction/labels?q=" + "x" * 201)
    assert r.status == 422 and "200 caractères au plus" in text_of(r)
    # A refusal without a reason is refused, and nothing moves.
    r = ins.get("/instruction/labels/%d" % first)
    assert r.status == 200 and "Offre A" in r.text and "55210055400013" in r.text
    r = ins.post("/instruction/labels/%d/refuser" % first, {"reason": "   "})
    assert r.status == 422 and "Indiquez le motif du refus" in text_of(r)
    assert srv.sql1("SELECT status FROM aid_labels WHERE id=?", first) == "deposee"
    assert srv.sql1("SELECT count(*) FROM outbox WHERE to_addr='decide@exemple.fr'") == 0
    r = ins.post("/instruction/labels/%d/refuser" % first, {"reason": "La zone 79 n’est pas couverte par vos agences."})
    assert r.status == 303 and r.header("Location") == "/instruction/labels/%d" % first
    row = srv.sql("SELECT status, reason FROM aid_labels WHERE id=?", first)[0]
    assert row == ("refusee", "La zone 79 n’est pas couverte par vos agences.")
    mails = srv.mails("decide@exemple.fr")
    assert mails and mails[0][0] == "Demande de label refusée : Offre A"
    assert "La zone 79 n’est pas couverte par vos agences." in mails[0][1]
    assert "/aides/labels/%d" % first in mails[0][1]
    # Deciding twice: 409, nothing changes.
    assert ins.post("/instruction/labels/%d/valider" % first, {}).status == 409
    assert srv.sql1("SELECT status FROM aid_labels WHERE id=?", first) == "refusee"
    # Validation, with a note.
    r = ins.post("/instruction/labels/%d/valider" % second, {"comment": "Bienvenue dans le programme."})
    assert r.status == 303
    mails = srv.mails("decide@exemple.fr")
    assert len(mails) == 2 and mails[0][0] == "Label validé : Offre B" and "Bienvenue dans le programme." in mails[0][1]
    # The applicant sees the history: who, when, why.
    t = text_of(c.get("/aides/labels/%d" % first))
    assert "Refusée" in t and "Motif du refus : La zone 79 n’est pas couverte" in t
    assert re.search(r"Déposée le \d\d/\d\d/\d{4} \d\d:\d\d, par Léa Martin", t), t
    assert re.search(r"Refusée le \d\d/\d\d/\d{4} \d\d:\d\d, par Inès Tructrice — « La zone 79", t), t
    assert "Validée" in text_of(c.get("/aides/labels/%d" % second))
    assert srv.sql1("SELECT count(*) FROM audit WHERE action IN ('aid.label.refuse', 'aid.label.validate')") == 2
    # The interface the dossiers use: one validated label for that company.
    org = srv.sql1("SELECT id FROM organisations WHERE siret='55210055400013'")
    assert srv.sql("SELECT id, name FROM aid_labels WHERE org_id=? AND status='validee'", org) == [(second, "Offre B")]


def test_work_list_pages_keep_the_filters(srv):
    org = srv.sql1("SELECT id FROM organisations WHERE siret='55210055400013'")
    for i in range(60):
        srv.sql("INSERT INTO aid_labels(org_id, status, name, departements, parking, housing, company, created_at,"
                " updated_at) VALUES(?, 'refusee', ?, '17', 'autre', 'aucun', 0, ?, ?)", org, "Lot %02d" % i, i, i)
    ins = instructor(srv)
    r = ins.get("/instruction/labels?statut=refusee&q=Lot")
    t = text_of(r)
    assert "60 demande(s)" in t and "Page 1 sur 2" in t
    assert 'href="?statut=refusee&amp;q=Lot&amp;page=2"' in r.text
    r = ins.get("/instruction/labels?statut=refusee&q=Lot&page=2")
    assert "Page 2 sur 2" in text_of(r) and text_of(r).count("Lot ") == 10
    r = ins.get("/instruction/labels?statut=refusee&q=Lot&page=99")  # past the end: the last page
    assert "Page 2 sur 2" in text_of(r)
    srv.sql("DELETE FROM aid_labels WHERE name LIKE 'Lot %'")


# -------------------------------------------------------------- equipment

def test_equipment_field_messages(srv):
    c = installer(srv, "eqf@exemple.fr", "40483304800022", complete=False)
    c.get("/aides/materiels/nouveau")
    r = c.post("/aides/materiels/nouveau", {k: "" for k in good_equipment()})
    assert r.status == 422
    t = text_of(r)
    for msg in ("Renseignez la marque.", "Renseignez le modèle.", "Renseignez la référence du matériel.",
                "Renseignez la puissance maximale.", "Renseignez la puissance minimale.",
                "Choisissez le type de prise."):
        assert msg in t, msg
    for bad in ("0", "-3", "abc", "7,456", "4001", "22 kW"):
        r = c.post("/aides/materiels/nouveau", good_equipment(power_max=bad, brand="Marque gardée"))
        assert r.status == 422, bad
        assert "Indiquez une puissance en kW supérieure à zéro" in text_of(r), bad
        assert 'value="Marque gardée"' in r.text
    r = c.post("/aides/materiels/nouveau", good_equipment(power_min="50", power_max="22"))
    assert r.status == 422
    assert "La puissance minimale doit être inférieure ou égale à la puissance maximale." in text_of(r)
    r = c.post("/aides/materiels/nouveau", good_equipment(plug="prise-lune"))
    assert r.status == 422 and "Choisissez une des options proposées." in text_of(r)
    r = c.post("/aides/materiels/nouveau", good_equipment(reference="r" * 101))
    assert r.status == 422 and "100 caractères au plus" in text_of(r)
    assert srv.sql1("SELECT count(*) FROM aid_equipment") == 0
    eid = new_equipment(c, power_max="7,4", power_min="7.4")
    assert srv.sql("SELECT status, power_max_w, power_min_w, plug FROM aid_equipment WHERE id=?", eid)[0] == \
        ("brouillon", 7400, 7400, "t2")
    t = text_of(c.get("/aides/materiels/%d" % eid))
    assert "de 7,4 kW à 7,4 kW" in t and "Type 2 (T2)" in t and "Brouillon" in t
    # Without a company there is nothing to declare for.
    loner = login(srv, "loner@exemple.fr", "applicant")
    r = loner.get("/aides/materiels/nouveau")
    assert "aucune entreprise" in text_of(r) and 'name="brand"' not in r.text
    r = loner.post("/aides/materiels/nouveau", good_equipment())
    assert r.status == 403
    assert srv.sql1("SELECT count(*) FROM aid_equipment") == 1


def test_equipment_documents_filing_and_review(srv):
    c = installer(srv, "eqd@exemple.fr", "12345678200010", name="Watt Charente", complete=False)
    eid = new_equipment(c)
    upload_form = 'action="/aides/materiels/%d/documents" enctype="multipart/form-data"' % eid
    assert upload_form in c.get("/aides/materiels/%d" % eid).text
    # Filing needs a document.
    r = c.post("/aides/materiels/%d/deposer" % eid, {})
    assert r.status == 422 and "Ajoutez au moins un document technique" in text_of(r)
    assert srv.sql1("SELECT status FROM aid_equipment WHERE id=?", eid) == "brouillon"
    # Checked by content: a PNG named .pdf, an executable, HTML are refused.
    r = add_doc(c, eid, "fiche.pdf", PNG, "application/pdf")
    assert r.status == 422 and "Ce type de fichier n’est pas accepté : déposez un PDF." in text_of(r)
    r = add_doc(c, eid, "setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)
    assert r.status == 422 and "déposez un PDF" in text_of(r)
    r = add_doc(c, eid, "page.pdf", b"<html><script>alert(1)</script></html>")
    assert r.status == 422
    r = add_doc(c, eid, "big.pdf", PDF + b"0" * 300000)
    assert r.status in (413, 422)
    if r.status == 422:
        assert "dépasse la taille maximale" in text_of(r)
    r = add_doc(c, eid, "", b"")
    assert r.status == 422 and "Choisissez un fichier PDF à déposer." in text_of(r)
    assert srv.sql1("SELECT count(*) FROM aid_equipment_docs") == 0
    # A PDF renamed .png is a PDF.
    r = add_doc(c, eid, "fiche-technique.png", PDF, "image/png")
    assert r.status == 303, r
    r = add_doc(c, eid, "certificat.pdf", PDF + b"%cert\n")
    assert r.status == 303
    docs = [d for (d,) in srv.sql("SELECT id FROM aid_equipment_docs WHERE equipment_id=? ORDER BY id", eid)]
    assert srv.sql1("SELECT mime FROM aid_equipment_docs WHERE id=?", docs[0]) == "application/pdf"
    r = c.get("/aides/materiels/%d/documents/%d" % (eid, docs[0]))
    assert r.status == 200 and r.body == PDF and r.header("Content-Type") == "application/pdf"
    assert r.header("Content-Disposition").startswith("attachment;")
    # Removing one while a draft.
    assert c.post("/aides/materiels/%d/documents/%d/supprimer" % (eid, docs[1]), {}).status == 303
    assert srv.sql1("SELECT count(*) FROM aid_equipment_docs WHERE equipment_id=?", eid) == 1
    # Drafts are not the instructors' business yet.
    ins = instructor(srv)
    assert ins.get("/instruction/materiels/%d" % eid).status == 404
    assert ins.get("/aides/materiels/%d/documents/%d" % (eid, docs[0])).status == 404
    assert "materiel-%d" % eid not in ins.get("/instruction/materiels?statut=toutes").text
    # Filed: read-only for the applicant.
    r = c.post("/aides/materiels/%d/deposer" % eid, {})
    assert r.status == 303
    assert srv.sql1("SELECT status FROM aid_equipment WHERE id=?", eid) == "deposee"
    page = c.get("/aides/materiels/%d" % eid).text
    assert upload_form not in page and "/deposer" not in page and "/supprimer" not in page
    assert c.get("/aides/materiels/%d/modifier" % eid).status == 409
    assert c.post("/aides/materiels/%d/modifier" % eid, good_equipment(brand="Autre")).status == 409
    assert add_doc(c, eid).status == 409
    assert c.post("/aides/materiels/%d/documents/%d/supprimer" % (eid, docs[0]), {}).status == 409
    assert c.post("/aides/materiels/%d/deposer" % eid, {}).status == 409
    # The instructor sees it, reads its document (audited), refuses it.
    r = ins.get("/instruction/materiels")
    assert "materiel-%d" % eid in r.text and "Watt Charente" in r.text
    r = ins.get("/instruction/materiels/%d" % eid)
    assert r.status == 200 and "VW22-T2" in r.text and "fiche-technique.png" in r.text
    r = ins.get("/aides/materiels/%d/documents/%d" % (eid, docs[0]))
    assert r.status == 200 and r.body == PDF
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.equipment.document_staff_read'") == 1
    assert ins.post("/instruction/materiels/%d/refuser" % eid, {"reason": ""}).status == 422
    r = ins.post("/instruction/materiels/%d/refuser" % eid, {"reason": "Le certificat de conformité manque."})
    assert r.status == 303
    mail = srv.mails("eqd@exemple.fr")[0]
    assert mail[0] == "Matériel refusé : Voltéo Wall 22 (VW22-T2)" and "Le certificat de conformité manque." in mail[1]
    # Refused: the applicant corrects and files again; then validated.
    t = text_of(c.get("/aides/materiels/%d" % eid))
    assert "Motif du refus : Le certificat de conformité manque." in t
    assert add_doc(c, eid, "certificat.pdf", PDF + b"%cert2\n").status == 303
    assert c.post("/aides/materiels/%d/modifier" % eid, good_equipment(power_max="11")).status == 303
    assert c.post("/aides/materiels/%d/deposer" % eid, {}).status == 303
    r = ins.post("/instruction/materiels/%d/valider" % eid, {})
    assert r.status == 303
    assert srv.sql("SELECT status, power_max_w, reason FROM aid_equipment WHERE id=?", eid)[0] == ("validee", 11000, "")
    mail = srv.mails("eqd@exemple.fr")[0]
    assert mail[0] == "Matériel validé : Voltéo Wall 22 (VW22-T2)"
    statuses = [s for (s,) in srv.sql("SELECT status FROM aid_equipment_events WHERE equipment_id=? ORDER BY id", eid)]
    assert statuses == ["brouillon", "deposee", "refusee", "deposee", "validee"]
    t = text_of(c.get("/aides/materiels/%d" % eid))
    assert "Validée" in t and "par Inès Tructrice — « Le certificat de conformité manque. »" in t


# ------------------------------------------------------------ permissions

def test_other_organisation_gets_404_on_every_id(srv):
    owner = installer(srv, "owner@exemple.fr", "13000201600009", name="Propriétaire")
    lid = file_label(owner)
    eid = new_equipment(owner)
    assert add_doc(owner, eid).status == 303
    doc = srv.sql1("SELECT id FROM aid_equipment_docs WHERE equipment_id=?", eid)
    other = installer(srv, "intrus@exemple.fr", "73282932000074", name="Intrus")
    other_eid = new_equipment(other)
    gets = ["/aides/labels/%d" % lid, "/aides/materiels/%d" % eid, "/aides/materiels/%d/modifier" % eid,
            "/aides/materiels/%d/documents/%d" % (eid, doc),
            # the document through an equipment of the intruder's own
            "/aides/materiels/%d/documents/%d" % (other_eid, doc),
            "/aides/labels/999999", "/aides/materiels/999999", "/aides/labels/abc"]
    for path in gets:
        assert other.get(path).status == 404, path
    other.get("/aides/materiels")
    posts = [("/aides/materiels/%d/modifier" % eid, good_equipment(brand="Piraté")),
             ("/aides/materiels/%d/documents/%d/supprimer" % (eid, doc), {}),
             ("/aides/materiels/%d/documents/%d/supprimer" % (other_eid, doc), {}),
             ("/aides/materiels/%d/deposer" % eid, {})]
    for path, fields in posts:
        assert other.post(path, fields).status == 404, path
    r = other.post("/aides/materiels/%d/documents" % eid, {}, files={"file": ("x.pdf", PDF, "application/pdf")})
    assert r.status == 404
    # Nothing of the owner's changed, and the lists show only one's own.
    assert srv.sql1("SELECT brand || status FROM aid_equipment WHERE id=?", eid) == "Voltéobrouillon"
    assert srv.sql1("SELECT count(*) FROM aid_equipment_docs WHERE equipment_id=?", eid) == 1
    assert "Copro sereine" not in other.get("/aides/labels").text
    assert 'href="/aides/materiels/%d"' % eid not in other.get("/aides/materiels").text
    # The owner still has everything.
    assert owner.get("/aides/labels/%d" % lid).status == 200
    assert owner.get("/aides/materiels/%d/documents/%d" % (eid, doc)).status == 200


def test_instruction_needs_aid_review(srv):
    lid = srv.sql1("SELECT max(id) FROM aid_labels")
    eid = srv.sql1("SELECT max(id) FROM aid_equipment WHERE status <> 'brouillon'")
    gets = ["/instruction/labels", "/instruction/labels/%d" % lid, "/instruction/materiels",
            "/instruction/materiels/%d" % eid]
    posts = ["/instruction/labels/%d/valider" % lid, "/instruction/labels/%d/refuser" % lid,
             "/instruction/materiels/%d/valider" % eid, "/instruction/materiels/%d/refuser" % eid]
    anon = srv.client()
    for path in gets:
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), path
    applicant = installer(srv, "nosy@exemple.fr", "80295478500027", name="Curieux")
    for path in gets:
        assert applicant.get(path).status == 403, path
    applicant.get("/compte")
    before = srv.sql("SELECT id, status FROM aid_labels ORDER BY id")
    for path in posts:
        assert applicant.post(path, {"reason": "non"}).status == 403, path
    assert srv.sql("SELECT id, status FROM aid_labels ORDER BY id") == before
    # Territory admins instruct too; the navigation shows it only to them.
    admin = login(srv, "territoire@exemple.fr", "territory_admin")
    for path in gets:
        assert admin.get(path).status == 200, path
    # The menu leads to the instruction home (aid requests), whose sub-menu has the labels.
    assert 'href="/instruction"' in admin.get("/").text
    assert 'href="/instruction/labels"' in admin.get("/instruction").text
    home = applicant.get("/").text
    assert 'href="/instruction"' not in home and 'href="/instruction/labels"' not in home
    assert 'href="/aides/labels"' in home and 'href="/aides/materiels"' in home
    assert 'aria-current="page">Mes labels' in applicant.get("/aides/labels").text


def test_demo_company_has_a_validated_label_and_equipment(srv):
    demo = Server(login_max_per_ip=1000, seed=1)
    try:
        org = demo.sql1("SELECT m.org_id FROM org_members m JOIN users u ON u.id=m.user_id"
                        " WHERE u.email='entreprise@guichet.localhost'")
        assert demo.sql1("SELECT count(*) FROM aid_labels WHERE org_id=? AND status='validee'", org) == 1
        assert demo.sql1("SELECT count(*) FROM aid_equipment WHERE org_id=? AND status='validee'", org) == 1
        assert demo.sql1("SELECT role FROM user_roles r JOIN users u ON u.id=r.user_id"
                         " WHERE u.email='instructeur@guichet.localhost'") == "instructor"
        assert demo.sql1("SELECT count(*) FROM aid_label_events") == 2
    finally:
        demo.stop()


def test_a_file_shared_by_two_features_stays_until_its_last_use(srv):
    """The same PDF as Mon compte's Kbis and as an equipment sheet is one
    stored file: removing it from one place keeps it for the other."""
    c = installer(srv, "partage@exemple.fr", "51804110500009", "Partage Énergie")
    mine = PDF + b"% Partage Energie\n"  # bytes no other test uploads
    c.get("/compte")
    assert c.post("/compte/documents", {"doc_kind": "kbis"},
                  files={"file": ("kbis.pdf", mine, "application/pdf")}).status == 303
    eid = new_equipment(c, reference="PARTAGE-1")
    assert add_doc(c, eid, "kbis-aussi.pdf", data=mine).status == 303
    doc = srv.sql1("SELECT id FROM aid_equipment_docs WHERE equipment_id=?", eid)
    h = srv.sql1("SELECT hash FROM aid_equipment_docs WHERE id=?", doc)
    assert srv.sql1("SELECT count(*) FROM documents WHERE hash=?", h) >= 1
    path = os.path.join(srv.dir, "files", h[:2], h)
    assert os.path.exists(path)
    c.get("/aides/materiels/%d" % eid)
    assert c.post("/aides/materiels/%d/documents/%d/supprimer" % (eid, doc)).status == 303
    assert os.path.exists(path), "the Kbis of Mon compte lost its file"
    kbis = srv.sql1("SELECT d.id FROM documents d JOIN org_members m ON m.org_id=d.org_id JOIN users u"
                    " ON u.id=m.user_id WHERE u.email='partage@exemple.fr' AND d.kind='kbis'")
    r = c.get("/compte/documents/%d" % kbis)
    assert r.status == 200 and r.body == mine
    # Removing the last use removes the file.
    c.get("/compte")
    assert c.post("/compte/documents/%d/supprimer" % kbis).status == 303
    assert not os.path.exists(path)


# ---------------------------------------------------------------- exports

def csv_rows(r):
    """The rows of a French CSV download (BOM, ';'), header first."""
    assert r.status == 200 and r.header("Content-Type").startswith("text/csv"), r
    assert "attachment" in r.header("Content-Disposition") and ".csv" in r.header("Content-Disposition")
    text = r.body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def xlsx_text(r):
    """The first sheet of an XLSX download with its shared strings."""
    assert r.status == 200 and "spreadsheetml" in r.header("Content-Type"), r
    z = zipfile.ZipFile(io.BytesIO(r.body))
    sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    strings = z.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in z.namelist() else ""
    return html.unescape(sheet + strings)


def hrefs(r, link_id):
    """The target of the link with that id, as the browser follows it."""
    m = re.search(r'id="%s" href="([^"]*)"' % link_id, r.text)
    assert m, link_id
    return html.unescape(m.group(1))


def test_work_list_exports_are_exactly_the_filtered_list(srv):
    org = srv.sql1("SELECT id FROM organisations WHERE siret='55210055400013'")
    for i in range(70):  # more than one page of the list
        srv.sql("INSERT INTO aid_labels(org_id, status, name, departements, parking, housing, company, created_at,"
                " updated_at, reason) VALUES(?, ?, ?, '17,79', 'parking_public', 'aucun', 0, ?, ?, ?)", org,
                "refusee" if i % 2 else "validee", ("=Expo %02d" if i == 0 else "Expo %02d") % i, 1000 + i, 1000 + i,
                "Pièces manquantes" if i % 2 else "")
    ins = instructor(srv)
    r = ins.get("/instruction/labels?statut=refusee&q=Expo")
    assert "35 demande(s)" in text_of(r) and "Exporter la liste :" in text_of(r)
    assert hrefs(r, "export-csv") == "/instruction/labels/export.csv?statut=refusee&q=Expo"
    assert hrefs(r, "export-xlsx") == "/instruction/labels/export.xlsx?statut=refusee&q=Expo"
    table = csv_rows(ins.get("/instruction/labels/export.csv?statut=refusee&q=Expo"))
    assert table[0][:4] == ["N°", "Entreprise", "SIRET", "Offre"] and "Statut" in table[0]
    want = [row[0] for row in srv.sql("SELECT id FROM aid_labels WHERE status='refusee' AND name LIKE '%Expo%'"
                                      " ORDER BY created_at DESC, id")]
    assert [int(x[0]) for x in table[1:]] == want and len(want) == 35  # all pages, newest first as the list
    st = table[0].index("Statut")
    assert {x[st] for x in table[1:]} == {"Refusée"}
    assert {x[4] for x in table[1:]} == {"17, 79"} and {x[5] for x in table[1:]} == {"Parking ouvert au public"}
    assert {x[2] for x in table[1:]} == {"55210055400013"}
    assert "Pièces manquantes" in table[1]
    # Every filed label when "toutes"; a name starting like a formula is made inert.
    table = csv_rows(ins.get("/instruction/labels/export.csv?statut=toutes&q=Expo"))
    assert len(table) == 71 and "'=Expo 00" in [x[3] for x in table]
    # XLSX: a zip with a sheet holding the same rows.
    t = xlsx_text(ins.get("/instruction/labels/export.xlsx?statut=validee&q=Expo"))
    assert "Expo 02" in t and "Expo 68" in t and "Expo 01" not in t and "Validée" in t
    # A search too long: nothing exported; the audit log has the exports.
    r = ins.get("/instruction/labels/export.csv?q=" + "x" * 201)
    assert r.status == 422 and "Les filtres de la liste contiennent une erreur" in text_of(r)
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.label.export'") == 3
    srv.sql("DELETE FROM aid_labels WHERE name LIKE '%Expo %'")

    # Equipment: drafts never, brand/model/reference, powers in kW, the plug in French.
    for i, (status, plug) in enumerate([("deposee", "t2"), ("deposee", "ccs2"), ("brouillon", "t2"),
                                        ("validee", "t2")]):
        srv.sql("INSERT INTO aid_equipment(org_id, status, brand, model, reference, power_max_w, power_min_w, plug,"
                " created_at, updated_at) VALUES(?, ?, 'Exporta', ?, ?, 22000, 3700, ?, ?, ?)", org, status,
                "M%d" % i, "REF-%d" % i, plug, 2000 + i, 2000 + i)
    r = ins.get("/instruction/materiels?q=Exporta")
    assert hrefs(r, "export-csv") == "/instruction/materiels/export.csv?statut=deposee&q=Exporta"
    table = csv_rows(ins.get("/instruction/materiels/export.csv?statut=deposee&q=Exporta"))
    assert table[0][:6] == ["N°", "Entreprise", "SIRET", "Marque", "Modèle", "Référence"]
    assert [x[4] for x in table[1:]] == ["M0", "M1"]  # the work to do: oldest first
    pmin, pmax, plug = (table[0].index(h) for h in ("Puissance minimale (kW)", "Puissance maximale (kW)", "Prise"))
    assert table[1][pmin] == "3,7" and table[1][pmax] == "22,0" and table[1][5] == "REF-0"
    assert table[1][plug] == "Type 2 (T2)" and table[2][plug] == "CCS Combo 2"
    table = csv_rows(ins.get("/instruction/materiels/export.csv?statut=toutes&q=Exporta"))
    assert sorted(x[4] for x in table[1:]) == ["M0", "M1", "M3"]  # the draft is the applicant's own
    t = xlsx_text(ins.get("/instruction/materiels/export.xlsx?statut=validee&q=Exporta"))
    assert "M3" in t and "REF-0" not in t and "Exporta" in t
    srv.sql("DELETE FROM aid_equipment WHERE brand='Exporta'")

    # Applicants and anonymous visitors get nothing.
    paths = ["/instruction/labels/export.csv", "/instruction/labels/export.xlsx", "/instruction/materiels/export.csv",
             "/instruction/materiels/export.xlsx"]
    applicant = installer(srv, "export-nosy@exemple.fr", "80295478500001", name="Curieux Export")
    anon = srv.client()
    for path in paths:
        assert applicant.get(path + "?statut=toutes").status == 403, path
        r = anon.get(path)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), path
