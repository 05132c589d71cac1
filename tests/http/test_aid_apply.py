"""Aid requests, the applicant's side (issue #3, journeys 1, 4, 5, 6): the
programme's extra fields in the back office, the home page "Mes demandes",
starting a request (refused on a closed or switched-off programme, without a
validated label, without a company), the four steps with their French
errors and the draft kept across visits, the amount of the programme's rule
shown then submitted with its e-mail, the dossier's page (history, documents,
messages, requested documents, proofs, payment), the amendment that links
two dossiers, and the 404 every other organisation gets."""
import re
import time

from harness import PDF, PNG, text_of

SERVER_CONFIG = {"login_max_per_ip": 1000, "max_upload": 200000}

_n = [0]


def day(offset_days=0):
    return time.strftime("%Y-%m-%d", time.localtime(time.time() + offset_days * 86400))


def siret(n):
    """A valid SIRET (Luhn) made from a number."""
    base = "%013d" % (732829320 * 10000 + n)
    for last in range(10):
        s = base + str(last)
        tot = 0
        for i, ch in enumerate(s):
            v = int(ch)
            if i % 2 == 0:
                v *= 2
                if v > 9:
                    v -= 9
            tot += v
        if tot % 10 == 0:
            return s
    raise AssertionError


def company(srv, tag, complete=True, label="validee", role="installer"):
    """A logged-in member of a new company (complete account, a label with
    the given status, or none). Returns (client, user id, org id, label id)."""
    _n[0] += 1
    email = "%s-%d@exemple.fr" % (tag, _n[0])
    uid = srv.add_user(email, role)
    now = int(time.time())
    srv.sql("UPDATE users SET civility='Mme', last_name='Durand', first_name='Camille', phone='05 46 00 00 00'"
            " WHERE id=?", uid)
    srv.sql("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email, contact_phone,"
            " created_at, updated_at) VALUES(?, 'Entreprise', ?, '2 quai Valin', '17000', 'La Rochelle',"
            " 'contact@exemple.fr', '05 46 00 00 01', ?, ?)", siret(_n[0]), "Bornes " + tag, now, now)
    org = srv.sql1("SELECT id FROM organisations WHERE siret=?", siret(_n[0]))
    srv.sql("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?,?,'owner',?)", org, uid, now)
    if complete:
        for kind in ("kbis", "identity"):
            srv.sql("INSERT INTO documents(org_id, user_id, kind, filename, mime, size, hash, created_at)"
                    " VALUES(?,?,?,'k.pdf','application/pdf',10,?,?)", org, uid, kind, "a" * 64, now)
    lid = None
    if label:
        srv.sql("INSERT INTO aid_labels(org_id, user_id, status, name, departements, parking, housing, company,"
                " created_at, updated_at) VALUES(?,?,?,?,'17','residentiel_collectif','collectif',0,?,?)",
                org, uid, label, "Offre Recharge " + tag, now, now)
        lid = srv.sql1("SELECT max(id) FROM aid_labels WHERE org_id=?", org)
    c = srv.client()
    c.login(email)
    c.email = email
    return c, uid, org, lid


def programme(srv, name="Copropriétés", active=1, opens=-30, closes=300, docs="Devis signé\nRIB",
              fields="[]", bonus=36000, budget=None, rate=5000, cap=60000):
    now = int(time.time())
    srv.sql("INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, bonus_cents, bonus_label, eligible_costs,"
            " budget_cents, opens_on, closes_on, active, documents, fields, created_at, updated_at)"
            " VALUES(?, 'residentiel_collectif', ?, ?, ?, ?, 'Fourniture et pose HT', ?, ?, ?, ?, ?, ?, ?, ?)",
            name, rate, cap, bonus, "pilotage" if bonus else "", budget, day(opens), day(closes), active, docs,
            fields, now, now)
    return srv.sql1("SELECT max(id) FROM aid_programmes")


def start(c, pid):
    """Starts a request on programme pid; returns the dossier id."""
    r = c.get("/aides/dossiers/nouveau?programme=%d" % pid)
    assert r.status == 200, r
    r = c.post("/aides/dossiers/nouveau", {"programme": pid})
    assert r.status == 303, r
    m = re.match(r"^/aides/dossiers/(\d+)/etape/1$", r.header("Location"))
    assert m, r.header("Location")
    return int(m.group(1))


STEP1 = {"site_address": "12 rue des Bornes", "site_postcode": "17000", "site_city": "La Rochelle",
         "points": "4", "cost": "10 000,50", "with_bonus": "1"}
STEP2 = {"contact_name": "Camille Durand", "contact_email": "camille@exemple.fr", "contact_phone": "05 46 00 00 00",
         "beneficiary_kind": "copropriete", "beneficiary_name": "Syndicat Les Mouettes",
         "beneficiary_siret": "", "beneficiary_email": "syndic@exemple.fr",
         "beneficiary_address": "3 rue du Port, 17000 La Rochelle"}


def fill(c, did, lid, docs=("Devis signé", "RIB"), extra=None):
    """Fills steps 1 to 3 with valid values."""
    r = c.post("/aides/dossiers/%d/etape/1" % did, dict(STEP1, label_id=lid, action="continuer"))
    assert r.status == 303 and r.header("Location").endswith("/etape/2"), r
    r = c.post("/aides/dossiers/%d/etape/2" % did, dict(STEP2, action="continuer"))
    assert r.status == 303 and r.header("Location").endswith("/etape/3"), r
    files = {"doc_%d" % i: ("piece%d.pdf" % i, PDF, "application/pdf") for i in range(len(docs))}
    r = c.post("/aides/dossiers/%d/etape/3" % did, dict(extra or {}, action="continuer"), files=files)
    assert r.status == 303 and r.header("Location").endswith("/etape/4"), r


def submitted(srv, c, pid, lid, **kw):
    did = start(c, pid)
    fill(c, did, lid, **kw)
    c.get("/aides/dossiers/%d/etape/4" % did)
    r = c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"})
    assert r.status == 303, r
    assert srv.sql1("SELECT status FROM aid_dossiers WHERE id=?", did) == "deposee"
    return did


def status(srv, did):
    return srv.sql1("SELECT status FROM aid_dossiers WHERE id=?", did)


def move(srv, did, to, **cols):
    """What the instructors' back office does, written directly."""
    sets = ", ".join(["status=?"] + ["%s=?" % k for k in cols])
    srv.sql("UPDATE aid_dossiers SET %s WHERE id=?" % sets, to, *cols.values(), did)


# ------------------------------------------------------------ the home page

def test_home_without_company_says_to_complete_the_account(srv):
    srv.add_user("sans-entreprise@exemple.fr", "applicant")
    c = srv.client()
    c.login("sans-entreprise@exemple.fr")
    r = c.get("/aides")
    assert r.status == 200
    t = text_of(r)
    assert "Complétez votre compte pour déposer une demande" in t
    assert 'href="/compte"' in r.text
    assert 'href="/aides"' in r.text and "Mes demandes d’aide" in t  # the menu
    pid = programme(srv, name="Programme sans entreprise")
    r = c.get("/aides/dossiers/nouveau?programme=%d" % pid)
    assert r.status == 403
    assert "renseignez d’abord votre entreprise" in text_of(r)
    r = c.post("/aides/dossiers/nouveau", {"programme": pid})
    assert r.status == 403
    assert srv.sql1("SELECT count(*) FROM aid_dossiers WHERE programme_id=?", pid) == 0


def test_home_lists_missing_label_and_account(srv):
    c, uid, org, lid = company(srv, "incomplet", complete=False, label="deposee")
    r = c.get("/aides")
    assert r.status == 200
    t = text_of(r)
    assert "Mon compte : Extrait Kbis." in t and "Mon compte : Pièce d’identité du dirigeant." in t
    assert 'href="/compte#documents"' in r.text
    assert "n’a pas d’offre labellisée validée" in t
    assert 'href="/aides/labels"' in r.text
    assert "Aucune demande pour l’instant" in t
    assert "Déposer une demande" not in t


# ------------------------------------------------------------ starting a request

def test_new_request_refused_on_closed_or_switched_off_programme(srv):
    c, uid, org, lid = company(srv, "clos")
    cases = [
        (programme(srv, name="Éteint", active=0), "il n’accepte plus de demandes"),
        (programme(srv, name="Fini", opens=-60, closes=-1), "la date limite de dépôt"),
        (programme(srv, name="Futur", opens=10, closes=100), "pas encore ouvert"),
        (programme(srv, name="Épuisé", budget=100000), "l’enveloppe budgétaire est épuisée"),
    ]
    srv.sql("UPDATE aid_programmes SET committed_cents=100000 WHERE name='Épuisé'")
    for pid, why in cases:
        r = c.get("/aides/dossiers/nouveau?programme=%d" % pid)
        assert r.status == 409, (pid, r)
        assert why in text_of(r), (why, text_of(r))
        assert "Commencer la demande" not in r.text
        r = c.post("/aides/dossiers/nouveau", {"programme": pid})
        assert r.status == 409, (pid, r)
        assert why in text_of(r)
        assert srv.sql1("SELECT count(*) FROM aid_dossiers WHERE programme_id=?", pid) == 0
    # The closed programmes are not offered on the home page.
    t = text_of(c.get("/aides"))
    for name in ("Éteint", "Fini", "Futur", "Épuisé"):
        assert name not in t
    assert c.get("/aides/dossiers/nouveau?programme=999999").status == 404
    assert c.get("/aides/dossiers/nouveau?programme=abc").status == 404
    assert c.post("/aides/dossiers/nouveau", {"programme": "999999"}).status == 404


def test_new_request_refused_without_validated_label(srv):
    pid = programme(srv, name="Programme label")
    for st in ("deposee", "refusee", None):
        c, uid, org, lid = company(srv, "label-" + str(st), label=st)
        r = c.get("/aides/dossiers/nouveau?programme=%d" % pid)
        assert r.status == 403, r
        assert "pas encore d’offre labellisée validée" in text_of(r)
        assert 'href="/aides/labels"' in r.text
        r = c.post("/aides/dossiers/nouveau", {"programme": pid})
        assert r.status == 403
        assert srv.sql1("SELECT count(*) FROM aid_dossiers WHERE org_id=?", org) == 0


def test_new_request_creates_a_draft_with_its_number(srv):
    c, uid, org, lid = company(srv, "nouveau")
    pid = programme(srv, name="Programme ouvert", docs="Devis signé\nRIB")
    r = c.get("/aides")
    assert 'href="/aides/dossiers/nouveau?programme=%d"' % pid in r.text
    r = c.get("/aides/dossiers/nouveau?programme=%d" % pid)
    t = text_of(r)
    assert "Devis signé" in t and "RIB" in t and "Commencer la demande" in t
    did = start(c, pid)
    row = srv.sql("SELECT status, org_id, user_id, programme_id, number FROM aid_dossiers WHERE id=?", did)[0]
    assert row[:4] == ("brouillon", org, uid, pid)
    assert re.match(r"^AV-\d{4}-%06d$" % did, row[4])
    r = c.get("/aides")
    assert row[4] in r.text and "Brouillon" in text_of(r)
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='aid.dossier.create' AND object=?",
                    "aid_dossier:%d" % did) == 1


# ------------------------------------------------------------ the steps

def test_step1_each_field_has_its_french_error_and_valid_ones_are_saved(srv):
    c, uid, org, lid = company(srv, "etape1")
    other, _, _, other_lid = company(srv, "autre-label")
    pid = programme(srv, name="Programme étape 1")
    did = start(c, pid)
    r = c.post("/aides/dossiers/%d/etape/1" % did,
               {"label_id": other_lid, "site_address": "", "site_postcode": "1700", "site_city": "La Rochelle",
                "points": "0", "cost": "douze mille", "action": "continuer"})
    assert r.status == 422, r
    t = text_of(r)
    assert "Choisissez une des offres labellisées et validées de votre entreprise." in t
    assert "Renseignez l’adresse du site." in t
    assert "Le code postal compte 5 chiffres." in t
    assert "Indiquez un nombre entier de points de recharge, au moins 1" in t
    assert "Indiquez le coût éligible HT en euros, supérieur à zéro" in t
    assert "Les champs sans erreur sont enregistrés" in t
    # Typed values come back, errors sit next to their field.
    assert 'value="douze mille"' in r.text and 'value="1700"' in r.text and 'value="0"' in r.text
    assert 'id="cost-err"' in r.text and 'aria-describedby="cost-err"' in r.text
    assert srv.sql1("SELECT site_city FROM aid_dossiers WHERE id=?", did) == "La Rochelle"
    assert srv.sql1("SELECT coalesce(label_id, 0) FROM aid_dossiers WHERE id=?", did) == 0
    r = c.post("/aides/dossiers/%d/etape/1" % did, dict(STEP1, site_postcode="96000", label_id=lid,
                                                        action="continuer"))
    assert r.status == 422
    assert "Le code postal 96000 ne correspond à aucun département." in text_of(r)
    r = c.post("/aides/dossiers/%d/etape/1" % did, dict(STEP1, site_postcode="20090", label_id=lid,
                                                        action="continuer"))
    assert r.status == 303 and r.header("Location") == "/aides/dossiers/%d/etape/2" % did
    row = srv.sql("SELECT label_id, site_postcode, departement, points, cost_cents, with_bonus, step"
                  " FROM aid_dossiers WHERE id=?", did)[0]
    assert row == (lid, "20090", "2A", 4, 1000050, 1, 1)


def test_draft_is_kept_across_visits(srv):
    c, uid, org, lid = company(srv, "brouillon")
    pid = programme(srv, name="Programme brouillon")
    did = start(c, pid)
    # Saving a partial draft is allowed: no "Renseignez…" for what is empty.
    r = c.post("/aides/dossiers/%d/etape/1" % did,
               {"label_id": lid, "site_address": "5 allée des Bornes", "site_postcode": "", "site_city": "",
                "points": "3", "cost": "", "action": "enregistrer"})
    assert r.status == 303 and r.header("Location") == "/aides/dossiers/%d/etape/1" % did, r
    r = c.get(r.header("Location"))
    assert "Brouillon enregistré" in text_of(r)
    # Another session, another day: everything is still there.
    again = srv.client()
    again.login(c.email)
    r = again.get("/aides/dossiers/%d/etape/1" % did)
    assert r.status == 200
    assert 'value="5 allée des Bornes"' in r.text and 'value="3"' in r.text
    assert re.search(r'<option value="%d" selected>' % lid, r.text)
    # Step 2 comes prefilled from Mon compte.
    r = again.get("/aides/dossiers/%d/etape/2" % did)
    assert 'value="Camille Durand"' in r.text and 'value="%s"' % c.email in r.text
    assert 'value="05 46 00 00 00"' in r.text
    # Steps are navigable; step 4 lists what is missing, with links.
    r = again.get("/aides/dossiers/%d/etape/4" % did)
    t = text_of(r)
    assert "Il manque encore" in t
    assert "Indiquez le code postal du site." in t and "Indiquez le coût éligible HT." in t
    assert 'href="/aides/dossiers/%d/etape/1#cost"' % did in r.text
    assert 'href="/aides/dossiers/%d/etape/3#doc_1"' % did in r.text
    assert "Déposez « RIB »." in t
    assert re.search(r"<button type=\"submit\" disabled>", r.text)
    # The dossier's page offers to go on where something is missing.
    r = again.get("/aides/dossiers/%d" % did)
    assert 'href="/aides/dossiers/%d/etape/1"' % did in r.text and "Continuer la saisie" in text_of(r)


def test_step2_errors_and_siret(srv):
    c, uid, org, lid = company(srv, "etape2")
    did = start(c, programme(srv, name="Programme étape 2"))
    bad = dict(STEP2, contact_email="camille", contact_phone="12", beneficiary_kind="martien",
               beneficiary_siret="732 829 320 00075", action="continuer")
    r = c.post("/aides/dossiers/%d/etape/2" % did, bad)
    assert r.status == 422
    t = text_of(r)
    assert "Saisissez une adresse e-mail valide" in t
    assert "Saisissez un numéro de téléphone valide" in t
    assert "Choisissez une des options proposées." in t
    assert "Ce numéro SIRET n’est pas valide : vérifiez les chiffres (clé de contrôle incorrecte)." in t
    r = c.post("/aides/dossiers/%d/etape/2" % did, dict(STEP2, beneficiary_siret="1234", action="continuer"))
    assert "Le SIRET compte 14 chiffres" in text_of(r)
    r = c.post("/aides/dossiers/%d/etape/2" % did, dict(STEP2, beneficiary_kind="entreprise", beneficiary_siret="",
                                                        action="continuer"))
    assert r.status == 422 and "Renseignez le SIRET de l’entreprise bénéficiaire." in text_of(r)
    r = c.post("/aides/dossiers/%d/etape/2" % did, dict(STEP2, beneficiary_kind="entreprise",
                                                        beneficiary_siret="732 829 320 00074", action="continuer"))
    assert r.status == 303
    assert srv.sql1("SELECT beneficiary_siret FROM aid_dossiers WHERE id=?", did) == "73282932000074"


def test_step3_documents_checked_by_content_and_size(srv):
    c, uid, org, lid = company(srv, "etape3")
    did = start(c, programme(srv, name="Programme étape 3", docs="Devis signé\nRIB"))
    r = c.post("/aides/dossiers/%d/etape/3" % did, {"action": "continuer"},
               files={"doc_0": ("devis.pdf", b"#!/bin/sh\necho pas un pdf\n", "application/pdf"),
                      "doc_1": ("rib.png", PNG + b"\0" * 250000, "image/png")})
    assert r.status == 422
    t = text_of(r)
    assert "Ce type de fichier n’est pas accepté : déposez un PDF, un JPEG ou un PNG." in t
    assert "Le fichier dépasse la taille maximale" in t
    assert srv.sql1("SELECT count(*) FROM aid_dossier_docs WHERE dossier_id=?", did) == 0
    r = c.post("/aides/dossiers/%d/etape/3" % did, {"action": "continuer"},
               files={"doc_0": ("devis.pdf", PDF, "application/pdf")})
    assert r.status == 422
    assert "Déposez « RIB »." in text_of(r)
    assert "devis.pdf" in r.text  # saved at once, shown with its link
    r = c.post("/aides/dossiers/%d/etape/3" % did, {"action": "continuer"},
               files={"doc_1": ("rib.png", PNG, "image/png")})
    assert r.status == 303
    rows = srv.sql("SELECT kind, mime FROM aid_dossier_docs WHERE dossier_id=? ORDER BY kind", did)
    assert rows == [("Devis signé", "application/pdf"), ("RIB", "image/png")]
    # A new file replaces the previous one of its kind.
    r = c.post("/aides/dossiers/%d/etape/3" % did, {"action": "enregistrer"},
               files={"doc_1": ("rib2.pdf", PDF, "application/pdf")})
    assert r.status == 303
    assert srv.sql("SELECT filename FROM aid_dossier_docs WHERE dossier_id=? AND kind='RIB'", did) == [("rib2.pdf",)]


# ------------------------------------------------------------ review and submission

def test_amount_shown_is_the_rule_and_submission_sends_the_mail(srv):
    c, uid, org, lid = company(srv, "depot")
    pid = programme(srv, name="Programme dépôt", rate=5000, cap=60000, bonus=36000)
    did = start(c, pid)
    fill(c, did, lid)
    r = c.get("/aides/dossiers/%d/etape/4" % did)
    assert r.status == 200
    t = text_of(r)
    # min(50 % × 10 000,50 €, 600 € × 4) + 360 € × 4 = 2 400 € + 1 440 € = 3 840 €.
    assert "Aide calculée : 3 840,00 €" in t
    assert "Plafond (600,00 € × 4 point(s)) : 2 400,00 € — retenu, le plafond s’applique" in t
    assert "Bonus pilotage (360,00 € × 4) : + 1 440,00 €" in t
    assert "Il manque encore" not in t
    assert "Syndicat Les Mouettes" in t and "Offre Recharge depot" in t and "piece0.pdf" in t
    # The attestation is required.
    r = c.post("/aides/dossiers/%d/deposer" % did, {})
    assert r.status == 422 and "Cochez l’attestation pour déposer la demande." in text_of(r)
    assert status(srv, did) == "brouillon"
    r = c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"})
    assert r.status == 303 and r.header("Location") == "/aides/dossiers/%d" % did
    number = srv.sql1("SELECT number FROM aid_dossiers WHERE id=?", did)
    assert status(srv, did) == "deposee"
    assert srv.sql1("SELECT amount_cents FROM aid_dossiers WHERE id=?", did) == 384000
    mails = srv.mails("camille@exemple.fr")
    assert mails and number in mails[0][0] and "Déposée" in mails[0][0]
    assert "/aides/dossiers/%d" % did in mails[0][1]
    r = c.get("/aides/dossiers/%d" % did)
    t = text_of(r)
    assert "Votre demande N° %s est déposée" % number in t
    assert "Montant demandé 3 840,00 €" in t
    assert "Brouillon → Déposée" in t and "Camille Durand" in t
    # Steps no longer edit it.
    r = c.get("/aides/dossiers/%d/etape/1" % did)
    assert r.status == 303 and r.header("Location") == "/aides/dossiers/%d" % did
    r = c.post("/aides/dossiers/%d/etape/1" % did, dict(STEP1, label_id=lid, action="continuer"))
    assert r.status == 303 and status(srv, did) == "deposee"
    assert c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"}).status == 303
    assert srv.sql1("SELECT count(*) FROM aid_dossier_events WHERE dossier_id=? AND to_status='deposee'", did) == 1


def test_submission_refused_when_incomplete_or_programme_closed(srv):
    c, uid, org, lid = company(srv, "refus-depot")
    pid = programme(srv, name="Programme fermé ensuite")
    did = start(c, pid)
    r = c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"})
    assert r.status == 422
    assert "La demande est incomplète" in text_of(r)
    fill(c, did, lid)
    srv.sql("UPDATE aid_programmes SET active=0 WHERE id=?", pid)
    r = c.get("/aides/dossiers/%d/etape/4" % did)
    assert "Le programme est clos : il n’accepte plus de demandes." in text_of(r)
    r = c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"})
    assert r.status == 409
    assert "La demande n’a pas été déposée. Le programme est clos" in text_of(r)
    assert status(srv, did) == "brouillon"
    # A label withdrawn since step 1 is listed as missing.
    srv.sql("UPDATE aid_programmes SET active=1 WHERE id=?", pid)
    srv.sql("UPDATE aid_labels SET status='refusee' WHERE id=?", lid)
    r = c.get("/aides/dossiers/%d/etape/4" % did)
    assert "L’offre choisie n’est plus labellisée" in text_of(r)
    assert c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"}).status == 422
    # An incomplete account too.
    srv.sql("UPDATE aid_labels SET status='validee' WHERE id=?", lid)
    srv.sql("DELETE FROM documents WHERE org_id=? AND kind='kbis'", org)
    r = c.get("/aides/dossiers/%d/etape/4" % did)
    t = text_of(r)
    assert "Votre compte n’est pas complet : Extrait Kbis." in t and 'href="/compte#documents"' in r.text
    assert c.post("/aides/dossiers/%d/deposer" % did, {"attest": "1"}).status == 422
    assert status(srv, did) == "brouillon"


# ------------------------------------------------------------ the programme's extra fields

def admin_programme_form(**over):
    f = {"name": "Programme à champs", "target": "residentiel_collectif", "rate": "50", "cap": "600", "bonus": "",
         "bonus_label": "", "eligible_costs": "Fourniture et pose HT.", "budget": "", "max_points": "",
         "opens_on": day(-1), "closes_on": day(100), "active": "1", "documents": "", "spec": "",
         "proofs_months": "18"}
    f.update(over)
    return f


FIELD_ROWS = {
    "fd_n": "8",
    "fd_label_0": "Puissance installée (kW)", "fd_name_0": "puissance_kw", "fd_type_0": "number",
    "fd_req_0": "1", "fd_min_0": "3,7", "fd_max_0": "350",
    "fd_label_1": "Type de parking", "fd_type_1": "choice", "fd_req_1": "1",
    "fd_choices_1": "souterrain ; aérien ; mixte",
    "fd_label_2": "Date de mise en service prévue", "fd_type_2": "date", "fd_req_2": "1",
    "fd_label_3": "Pilotage énergétique", "fd_type_3": "yesno", "fd_req_3": "1",
    "fd_label_4": "SIRET du syndic", "fd_type_4": "siret",
    "fd_label_5": "Adresse du tableau électrique", "fd_type_5": "address",
    "fd_label_6": "Description du projet", "fd_type_6": "text", "fd_min_6": "10", "fd_max_6": "200",
    "fd_label_7": "Plan de masse", "fd_type_7": "file", "fd_req_7": "1",
}


def test_admin_edits_extra_fields_and_proofs_delay(srv):
    srv.add_user("admin-champs@exemple.fr", "territory_admin")
    a = srv.client()
    a.login("admin-champs@exemple.fr")
    r = a.get("/admin/programmes/nouveau")
    assert r.status == 200
    assert 'name="fd_label_0"' in r.text and "Nouveau champ" in text_of(r) and 'name="proofs_months"' in r.text
    # Errors, each on its input, and everything typed comes back.
    bad = {"fd_n": "3", "fd_label_0": "Puissance", "fd_type_0": "number", "fd_min_0": "beaucoup",
           "fd_label_1": "Parking", "fd_type_1": "choice", "fd_choices_1": "souterrain",
           "fd_label_2": "", "fd_name_2": "Nom Invalide", "fd_type_2": "text"}
    r = a.post("/admin/programmes/nouveau", admin_programme_form(proofs_months="0", **bad))
    assert r.status == 422
    t = text_of(r)
    assert "Champ 1 (« Puissance ») : Le minimum est un nombre positif" in t
    assert "Champ 2 (« Parking ») : une liste de choix en propose deux au moins" in t
    assert "Champ 3 : donnez un libellé" in t
    assert "Champ 3 : le nom technique s’écrit en minuscules sans accents" in t
    assert "Indiquez un nombre entier de mois, de 1 à 120" in t
    assert 'id="fd_min_0-err"' in r.text and 'value="beaucoup"' in r.text and 'value="Nom Invalide"' in r.text
    assert srv.sql1("SELECT count(*) FROM aid_programmes WHERE name='Programme à champs'") == 0
    r = a.post("/admin/programmes/nouveau", admin_programme_form(documents="Devis\nPlan de masse", **FIELD_ROWS))
    assert r.status == 422
    assert "« Plan de masse » est à la fois une pièce demandée et un champ de type fichier" in text_of(r)
    r = a.post("/admin/programmes/nouveau", admin_programme_form(**FIELD_ROWS))
    assert r.status == 303, text_of(r)[:3000]
    pid = int(r.header("Location").rsplit("/", 1)[1])
    import json
    fields = json.loads(srv.sql1("SELECT fields FROM aid_programmes WHERE id=?", pid))
    assert [f["name"] for f in fields] == ["puissance_kw", "type_de_parking", "date_de_mise_en_service_prevue",
                                           "pilotage_energetique", "siret_du_syndic",
                                           "adresse_du_tableau_electrique", "description_du_projet", "plan_de_masse"]
    assert fields[0] == {"name": "puissance_kw", "label": "Puissance installée (kW)", "type": "number",
                         "required": True, "min": 3.7, "max": 350}
    assert fields[1]["choices"] == ["souterrain", "aérien", "mixte"]
    assert srv.sql1("SELECT proofs_months FROM aid_programmes WHERE id=?", pid) == 18
    # The edit page shows them again, then one more blank group; deleting one works.
    r = a.get("/admin/programmes/%d" % pid)
    assert 'value="puissance_kw"' in r.text and 'value="souterrain ; aérien ; mixte"' in r.text
    assert 'name="fd_label_8"' in r.text and 'name="fd_del_7"' in r.text
    form = dict(admin_programme_form(**FIELD_ROWS))
    form.update({"fd_name_%d" % i: f["name"] for i, f in enumerate(fields)})
    form.update({"fd_saved_%d" % i: "1" for i in range(8)})
    form.update({"fd_del_6": "1", "fd_n": "9", "fd_label_8": "", "fd_type_8": "text"})
    r = a.post("/admin/programmes/%d" % pid, form)
    assert r.status == 303, text_of(r)[:2000]
    fields2 = json.loads(srv.sql1("SELECT fields FROM aid_programmes WHERE id=?", pid))
    assert [f["name"] for f in fields2] == [f["name"] for f in fields if f["name"] != "description_du_projet"]
    assert "extra_fields" in srv.sql1("SELECT detail FROM audit WHERE action='aid.programme_update'"
                                      " ORDER BY id DESC LIMIT 1")


def test_extra_field_values_are_checked_by_type(srv):
    import json
    defs = [
        {"name": "puissance_kw", "label": "Puissance installée (kW)", "type": "number", "required": True,
         "min": 3.7, "max": 350},
        {"name": "parking", "label": "Type de parking", "type": "choice", "required": True,
         "choices": ["souterrain", "aérien"]},
        {"name": "mes", "label": "Date de mise en service", "type": "date", "required": True},
        {"name": "pilote", "label": "Pilotage", "type": "yesno", "required": True},
        {"name": "syndic", "label": "SIRET du syndic", "type": "siret", "required": False},
        {"name": "tableau", "label": "Adresse du tableau", "type": "address", "required": False},
        {"name": "desc", "label": "Description", "type": "text", "required": False, "min": 10, "max": 20},
        {"name": "plan", "label": "Plan de masse", "type": "file", "required": True},
    ]
    c, uid, org, lid = company(srv, "champs")
    pid = programme(srv, name="Programme champs", docs="", fields=json.dumps(defs))
    did = start(c, pid)
    r = c.get("/aides/dossiers/%d/etape/3" % did)
    assert r.status == 200
    for f in defs:
        assert f["label"] in text_of(r)
    assert '<input type="date" id="x_mes"' in r.text and '<option value="aérien">' in r.text
    bad = {"x_puissance_kw": "400", "x_parking": "mixte", "x_mes": "31/02/2026", "x_pilote": "",
           "x_syndic": "73282932000075", "x_tableau": "rue sans code", "x_desc": "court", "action": "continuer"}
    r = c.post("/aides/dossiers/%d/etape/3" % did, bad)
    assert r.status == 422
    t = text_of(r)
    assert "« Puissance installée (kW) » : indiquez un nombre entre 3,7 et 350." in t
    assert "« Type de parking » : choisissez une des réponses proposées." in t
    assert "« Date de mise en service » : indiquez une date valide, par exemple 15/09/2026." in t
    assert "Répondez à « Pilotage »." in t
    assert "« SIRET du syndic » : ce numéro SIRET n’est pas valide" in t
    assert "« Adresse du tableau » : indiquez l’adresse complète avec son code postal" in t
    assert "« Description » : 10 caractères au moins (vous en avez écrit 5)." in t
    assert "Déposez « Plan de masse »." in t
    assert 'value="400"' in r.text and 'value="rue sans code"' in r.text
    good = {"x_puissance_kw": "7,4", "x_parking": "aérien", "x_mes": "15/09/2026", "x_pilote": "oui",
            "x_syndic": "732 829 320 00074", "x_tableau": "1 rue du Port, 17000 La Rochelle",
            "x_desc": "Dix bornes et plus", "action": "continuer"}
    r = c.post("/aides/dossiers/%d/etape/3" % did, good, files={"x_plan": ("plan.pdf", PDF, "application/pdf")})
    assert r.status == 303, text_of(r)[:2000]
    extra = json.loads(srv.sql1("SELECT extra FROM aid_dossiers WHERE id=?", did))
    plan = srv.sql1("SELECT id FROM aid_dossier_docs WHERE dossier_id=? AND kind='Plan de masse'", did)
    assert extra == {"puissance_kw": 7.4, "parking": "aérien", "mes": "2026-09-15", "pilote": True,
                     "syndic": "73282932000074", "tableau": "1 rue du Port, 17000 La Rochelle",
                     "desc": "Dix bornes et plus", "plan": plan}
    r = c.get("/aides/dossiers/%d/etape/3" % did)
    assert 'value="7,4"' in r.text and 'value="2026-09-15"' in r.text and "plan.pdf" in r.text
    assert re.search(r'value="oui" checked', r.text)
    r = c.get("/aides/dossiers/%d/etape/4" % did)
    t = text_of(r)
    assert "Date de mise en service 15/09/2026" in t and "Pilotage Oui" in t and "SIRET du syndic 732 829 320 00074" in t
    # Emptying an optional answer in a draft removes it.
    r = c.post("/aides/dossiers/%d/etape/3" % did, dict(good, x_desc="", action="enregistrer"))
    assert r.status == 303
    assert "desc" not in json.loads(srv.sql1("SELECT extra FROM aid_dossiers WHERE id=?", did))


# ------------------------------------------------------------ the dossier's page

def staff(srv, email="instructrice@exemple.fr"):
    uid = srv.sql1("SELECT id FROM users WHERE email=?", email)
    if not uid:
        uid = srv.add_user(email, "instructor")
        srv.sql("UPDATE users SET first_name='Inès', last_name='Tructrice' WHERE id=?", uid)
    return uid


def test_amendment_cancels_and_links_both_dossiers(srv):
    c, uid, org, lid = company(srv, "modif")
    did = submitted(srv, c, programme(srv, name="Programme modification"), lid)
    old = srv.sql1("SELECT number FROM aid_dossiers WHERE id=?", did)
    r = c.get("/aides/dossiers/%d" % did)
    assert "Modifier la demande" in text_of(r) and "Abandonner" not in text_of(r)
    r = c.post("/aides/dossiers/%d/modifier" % did, {})
    assert r.status == 303
    m = re.match(r"^/aides/dossiers/(\d+)/etape/1$", r.header("Location"))
    assert m, r.header("Location")
    nid = int(m.group(1))
    new = srv.sql1("SELECT number FROM aid_dossiers WHERE id=?", nid)
    assert status(srv, did) == "annulee" and status(srv, nid) == "brouillon"
    assert srv.sql1("SELECT replaced_by_id FROM aid_dossiers WHERE id=?", did) == nid
    assert srv.sql1("SELECT replaces_id FROM aid_dossiers WHERE id=?", nid) == did
    r = c.get(r.header("Location"))
    assert "La demande N° %s est annulée et remplacée par le brouillon N° %s" % (old, new) in text_of(r)
    assert 'value="12 rue des Bornes"' in r.text  # prefilled
    t = text_of(c.get("/aides/dossiers/%d" % did))
    assert "Annulée – remplacée par la demande N° %s" % new in t
    assert "annulée – remplacée par N° %s" % new in t  # the history's reason
    assert "Modifier la demande" not in t
    r = c.get("/aides/dossiers/%d" % nid)
    assert "Cette demande remplace la demande N° %s" % old in text_of(r)
    assert 'href="/aides/dossiers/%d"' % did in r.text
    # Its documents came along; it is submitted again like any draft.
    assert srv.sql1("SELECT count(*) FROM aid_dossier_docs WHERE dossier_id=?", nid) == 2
    c.get("/aides/dossiers/%d/etape/4" % nid)
    assert c.post("/aides/dossiers/%d/deposer" % nid, {"attest": "1"}).status == 303
    assert status(srv, nid) == "deposee"
    # A cancelled dossier cannot be amended again.
    r = c.post("/aides/dossiers/%d/modifier" % did, {})
    assert r.status == 409 and "seule une demande déposée et pas encore décidée peut être modifiée" in text_of(r)


def test_history_messages_and_documents(srv):
    c, uid, org, lid = company(srv, "suivi")
    did = submitted(srv, c, programme(srv, name="Programme suivi"), lid)
    iid = staff(srv)
    now = int(time.time())
    srv.sql("UPDATE aid_dossiers SET status='en_instruction', assignee_id=? WHERE id=?", iid, did)
    srv.sql("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status, comment)"
            " VALUES(?,?,?,'status','deposee','en_instruction','')", did, now + 1, iid)
    srv.sql("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, comment, internal)"
            " VALUES(?,?,?,'note','secret de l’instruction',1)", did, now + 2, iid)
    srv.sql("INSERT INTO aid_messages(dossier_id, user_id, from_staff, body, created_at)"
            " VALUES(?,?,1,'Pouvez-vous préciser la puissance ?',?)", did, iid, now + 3)
    r = c.get("/aides/dossiers/%d" % did)
    assert r.status == 200
    t = text_of(r)
    assert "Déposée → En instruction" in t
    assert "Service instructeur" in t
    assert "Tructrice" not in t and "instructrice@exemple.fr" not in t  # staff are named by their role
    assert "secret de l’instruction" not in t  # internal events stay internal
    assert "Pouvez-vous préciser la puissance ?" in t
    # Answering, with an attachment checked by content.
    r = c.post("/aides/dossiers/%d/messages" % did, {"body": "Voici le schéma."},
               files={"file": ("schema.txt", b"pas une image", "image/png")})
    assert r.status == 422 and "Ce type de fichier n’est pas accepté" in text_of(r)
    assert "Voici le schéma." in r.text  # kept
    r = c.post("/aides/dossiers/%d/messages" % did, {"body": ""})
    assert r.status == 422 and "Renseignez votre message." in text_of(r)
    r = c.post("/aides/dossiers/%d/messages" % did, {"body": "Voici le schéma.\n22 kW."},
               files={"file": ("schema.png", PNG, "image/png")})
    assert r.status == 303
    assert srv.sql1("SELECT from_staff FROM aid_messages WHERE dossier_id=? ORDER BY id DESC LIMIT 1", did) == 0
    doc = srv.sql1("SELECT id FROM aid_dossier_docs WHERE dossier_id=? AND kind='message'", did)
    assert doc
    assert srv.mails("instructrice@exemple.fr")[0][0].startswith("Demande d’aide N°")
    r = c.get("/aides/dossiers/%d" % did)
    t = text_of(r)
    assert "Voici le schéma." in t and "schema.png" in t
    r = c.get("/aides/dossiers/%d/documents/%d" % (did, doc))
    assert r.status == 200 and r.body == PNG
    piece = srv.sql1("SELECT id FROM aid_dossier_docs WHERE dossier_id=? AND kind='Devis signé'", did)
    r = c.get("/aides/dossiers/%d/documents/%d" % (did, piece))
    assert r.status == 200 and r.body == PDF
    # Another dossier's document through this dossier's path: 404.
    other_c, _, _, other_lid = company(srv, "suivi-autre")
    other = submitted(srv, other_c, programme(srv, name="Programme suivi 2"), other_lid)
    odoc = srv.sql1("SELECT id FROM aid_dossier_docs WHERE dossier_id=? LIMIT 1", other)
    assert c.get("/aides/dossiers/%d/documents/%d" % (did, odoc)).status == 404
    # Drafts have no messages.
    draft = start(c, programme(srv, name="Programme suivi 3"))
    assert "Messages avec l’instructeur" not in text_of(c.get("/aides/dossiers/%d" % draft))
    assert c.post("/aides/dossiers/%d/messages" % draft, {"body": "allô"}).status == 422


def test_requested_documents_then_complements_sent(srv):
    c, uid, org, lid = company(srv, "complements")
    did = submitted(srv, c, programme(srv, name="Programme compléments"), lid)
    iid = staff(srv)
    now = int(time.time())
    r = c.get("/aides/dossiers/%d" % did)
    assert "Transmettre les compléments" not in text_of(r)
    srv.sql("UPDATE aid_dossiers SET status='complements' WHERE id=?", did)
    for label in ("Photo du tableau électrique", "Attestation de l’AG"):
        srv.sql("INSERT INTO aid_doc_requests(dossier_id, label, requested_by, requested_at) VALUES(?,?,?,?)",
                did, label, iid, now)
    rids = [x[0] for x in srv.sql("SELECT id FROM aid_doc_requests WHERE dossier_id=? ORDER BY id", did)]
    r = c.get("/aides/dossiers/%d" % did)
    t = text_of(r)
    assert "Photo du tableau électrique" in t and "2 pièce(s) encore à déposer" in t
    assert 'action="/aides/dossiers/%d/complements/%d"' % (did, rids[0]) in r.text
    r = c.post("/aides/dossiers/%d/complements" % did, {})
    assert r.status == 422 and "Il reste 2 pièce(s) demandée(s) à déposer" in text_of(r)
    r = c.post("/aides/dossiers/%d/complements/%d" % (did, rids[0]), {},
               files={"file": ("photo.gif", b"GIF89a\x01\x00\x01\x00", "image/gif")})
    assert r.status == 422 and "Ce type de fichier n’est pas accepté" in text_of(r)
    r = c.post("/aides/dossiers/%d/complements/%d" % (did, rids[0]), {},
               files={"file": ("photo.png", PNG, "image/png")})
    assert r.status == 303
    r = c.post("/aides/dossiers/%d/complements/%d" % (did, rids[1]), {},
               files={"file": ("ag.pdf", PDF, "application/pdf")})
    assert r.status == 303
    assert srv.sql1("SELECT count(*) FROM aid_doc_requests WHERE dossier_id=? AND fulfilled_at IS NOT NULL"
                    " AND doc_id IS NOT NULL", did) == 2
    r = c.post("/aides/dossiers/%d/complements" % did, {})
    assert r.status == 303
    assert status(srv, did) == "en_instruction"
    t = text_of(c.get("/aides/dossiers/%d" % did))
    assert "Compléments demandés → En instruction" in t and "compléments transmis par le demandeur" in t
    # Not in "complements" any more: uploads are refused.
    r = c.post("/aides/dossiers/%d/complements/%d" % (did, rids[0]), {},
               files={"file": ("photo.png", PNG, "image/png")})
    assert r.status == 422
    assert c.post("/aides/dossiers/%d/complements/999999" % did, {}).status == 404


def test_proofs_then_payment_each_status_its_actions(srv):
    c, uid, org, lid = company(srv, "versement")
    did = submitted(srv, c, programme(srv, name="Programme versement"), lid)
    # Before validation, no proofs and no payment.
    t = text_of(c.get("/aides/dossiers/%d" % did))
    assert "Justificatifs de réalisation" not in t and "Demander le versement" not in t
    assert c.post("/aides/dossiers/%d/versement" % did, {}).status == 409
    assert c.post("/aides/dossiers/%d/justificatifs/deposer" % did, {}).status == 409
    r = c.post("/aides/dossiers/%d/justificatifs" % did, {"kind": "facture"},
               files={"file": ("f.pdf", PDF, "application/pdf")})
    assert r.status == 422 and "une fois la demande validée" in text_of(r)
    move(srv, did, "validee", granted_cents=384000, committed=1, proofs_due_on=day(365))
    r = c.get("/aides/dossiers/%d" % did)
    t = text_of(r)
    assert "Offre de prime signée" in t and "Procès-verbal de mise en service" in t
    assert "Montant accordé 3 840,00 €" in t
    assert "Modifier la demande" not in t  # a validated dossier is not amended
    r = c.post("/aides/dossiers/%d/justificatifs/deposer" % did, {})
    assert r.status == 422 and "Déposez d’abord : Offre de prime signée, Facture acquittée" in text_of(r)
    for kind in ("offre_signee", "facture", "pv_mise_en_service"):
        r = c.post("/aides/dossiers/%d/justificatifs" % did, {"kind": kind},
                   files={"file": (kind + ".pdf", PDF, "application/pdf")})
        assert r.status == 303, r
    r = c.post("/aides/dossiers/%d/justificatifs" % did, {"kind": "photo"},
               files={"file": ("x.pdf", PDF, "application/pdf")})
    assert r.status == 422
    r = c.post("/aides/dossiers/%d/justificatifs/deposer" % did, {})
    assert r.status == 303 and status(srv, did) == "justificatifs"
    r = c.get("/aides/dossiers/%d" % did)
    assert "Demander le versement" in text_of(r)
    r = c.post("/aides/dossiers/%d/versement" % did, {})
    assert r.status == 303 and status(srv, did) == "versement"
    t = text_of(c.get("/aides/dossiers/%d" % did))
    assert "Justificatifs déposés → Versement demandé" in t
    assert "Demander le versement" not in t and "Aucune autre action possible" in t


def test_abandon_a_draft_and_withdraw_a_request(srv):
    c, uid, org, lid = company(srv, "abandon")
    pid = programme(srv, name="Programme abandon")
    did = start(c, pid)
    r = c.get("/aides/dossiers/%d" % did)
    assert "Abandonner ce brouillon" in text_of(r) and "Retirer la demande" not in text_of(r)
    r = c.post("/aides/dossiers/%d/abandonner" % did, {})
    assert r.status == 303 and status(srv, did) == "annulee"
    assert c.post("/aides/dossiers/%d/abandonner" % did, {}).status == 409
    sub = submitted(srv, c, pid, lid)
    assert c.post("/aides/dossiers/%d/abandonner" % sub, {}).status == 409
    r = c.post("/aides/dossiers/%d/retirer" % sub, {"reason": "projet reporté"})
    assert r.status == 303 and status(srv, sub) == "annulee"
    assert srv.sql1("SELECT reason FROM aid_dossiers WHERE id=?", sub) == "retirée par le demandeur : projet reporté"


def test_home_lists_dossiers_a_page_at_a_time(srv):
    c, uid, org, lid = company(srv, "liste")
    pid = programme(srv, name="Programme liste")
    now = int(time.time())
    for i in range(45):
        st = "deposee" if i % 3 else "refusee"
        srv.sql("INSERT INTO aid_dossiers(number, programme_id, org_id, user_id, status, amount_cents, created_at,"
                " updated_at) VALUES(?,?,?,?,?,?,?,?)", "AV-TEST-%04d" % i, pid, org, uid, st, 100 * i, now, now + i)
    r = c.get("/aides")
    assert r.status == 200
    rows = re.findall(r"AV-TEST-(\d{4})", r.text)
    assert rows[:3] == ["0044", "0043", "0042"] and len(rows) == 20
    assert "Page 1 sur 3" in text_of(r) and "45 demande(s)" in text_of(r)
    r = c.get("/aides?page=3")
    assert re.findall(r"AV-TEST-(\d{4})", r.text) == ["%04d" % i for i in range(4, -1, -1)]
    r = c.get("/aides?statut=refusee")
    found = re.findall(r"AV-TEST-(\d{4})", r.text)
    assert len(found) == 15 and all(int(x) % 3 == 0 for x in found)
    assert "statut=refusee" not in r.text or "page=" not in r.text  # one page only: no pager
    assert re.search(r'<option value="refusee" selected>', r.text)
    r = c.get("/aides?statut=inconnu&page=zz")
    assert r.status == 200 and len(re.findall(r"AV-TEST-(\d{4})", r.text)) == 20
    # Another company sees none of them.
    other, _, _, _ = company(srv, "liste-autre")
    assert "AV-TEST-" not in other.get("/aides").text


def test_every_dossier_route_is_404_for_another_company(srv):
    c, uid, org, lid = company(srv, "proprietaire")
    pid = programme(srv, name="Programme cloisonné")
    did = submitted(srv, c, pid, lid)
    draft = start(c, pid)
    doc = srv.sql1("SELECT id FROM aid_dossier_docs WHERE dossier_id=? LIMIT 1", did)
    srv.sql("INSERT INTO aid_doc_requests(dossier_id, label, requested_at) VALUES(?, 'Pièce', ?)", did, int(time.time()))
    rid = srv.sql1("SELECT id FROM aid_doc_requests WHERE dossier_id=?", did)
    before = srv.sql("SELECT id, status, updated_at, site_city FROM aid_dossiers ORDER BY id")
    gets = ["/aides/dossiers/%d" % did, "/aides/dossiers/%d/documents/%d" % (did, doc)] + \
           ["/aides/dossiers/%d/etape/%d" % (x, n) for x in (did, draft) for n in (1, 2, 3, 4)]
    posts = [("/aides/dossiers/%d/etape/%d" % (draft, n), dict(STEP1, label_id=lid, action="continuer"))
             for n in (1, 2, 3, 4)] + [
        ("/aides/dossiers/%d/deposer" % draft, {"attest": "1"}),
        ("/aides/dossiers/%d/abandonner" % draft, {}),
        ("/aides/dossiers/%d/retirer" % did, {}),
        ("/aides/dossiers/%d/modifier" % did, {}),
        ("/aides/dossiers/%d/messages" % did, {"body": "intrus"}),
        ("/aides/dossiers/%d/complements/%d" % (did, rid), {}),
        ("/aides/dossiers/%d/complements" % did, {}),
        ("/aides/dossiers/%d/justificatifs" % did, {"kind": "facture"}),
        ("/aides/dossiers/%d/justificatifs/deposer" % did, {}),
        ("/aides/dossiers/%d/versement" % did, {}),
    ]
    intruder, _, _, _ = company(srv, "intrus")
    srv.add_user("sans-org-404@exemple.fr", "applicant")
    loner = srv.client()
    loner.login("sans-org-404@exemple.fr")
    for who in (intruder, loner):
        for path in gets:
            assert who.get(path).status == 404, path
        who.get("/compte")
        for path, fields in posts:
            r = who.post(path, fields)
            assert r.status == 404, (path, r)
        r = who.post("/aides/dossiers/%d/messages" % did, {"body": "x"}, files={"file": ("a.pdf", PDF, "application/pdf")})
        assert r.status == 404
    assert srv.sql("SELECT id, status, updated_at, site_city FROM aid_dossiers ORDER BY id") == before
    assert srv.sql1("SELECT count(*) FROM aid_messages WHERE body='intrus'") == 0
    # Not logged in: sent to the login page.
    anon = srv.client()
    r = anon.get("/aides/dossiers/%d" % did)
    assert r.status == 303 and r.header("Location").startswith("/connexion")
    assert anon.get("/aides").status == 303
    # The owner still sees it, and a missing id is the same 404.
    assert c.get("/aides/dossiers/%d" % did).status == 200
    assert c.get("/aides/dossiers/999999").status == 404
    assert c.get("/aides/dossiers/%d/etape/5" % draft).status == 404
    assert c.get("/aides/dossiers/%d/documents/999999" % did).status == 404
