"""Aid requests, the applicant's side (issue #3, journeys 1, 4, 5, 6): the
programme's extra fields in the back office, the home page "Mes demandes",
starting a request (refused on a closed or switched-off programme, without a
validated label, without a company), the four steps with their French
errors and the draft kept across visits, the amount of the programme's rule
shown then submitted with its e-mail, the dossier's page (history, documents,
messages, requested documents, proofs, payment), the amendment that links
two dossiers, and the 404 every other organisation gets."""
import html
import re
import time

from harness import PDF, PNG

SERVER_CONFIG = {"login_max_per_ip": 1000, "max_upload": 200000}

NBSP = "\u00a0"
_n = [0]


def text_of(r):
    """A page as a user reads it: tags dropped, entities decoded, no-break
    spaces as spaces."""
    t = html.unescape(re.sub(r"<[^>]+>", " ", r if isinstance(r, str) else r.text))
    return re.sub(r"\s+", " ", t.replace(NBSP, " ").replace("\u202f", " "))


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
    assert "Votre compte n’est pas complet" in t
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
    assert "Votre compte n’est pas complet" in text_of(r) and 'href="/compte"' in r.text
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
