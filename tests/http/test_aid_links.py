"""Links between the aid pages that a user expects (issue #3): a validated
label leads on to a request, a validated dossier to its charging data, the
applicant's home to the company's charging data once a dossier takes some;
none of them before, and each link's target answers."""
import re

from harness import People, text_of
from test_aid_apply import company, programme, submitted

SERVER_CONFIG = {"login_max_per_ip": 1000}

people = People({"instructor": "instr-liens@exemple.fr"})


def hrefs(r):
    return set(re.findall(r'href="([^"]+)"', r.text))


def test_a_validated_label_leads_to_a_request(srv):
    c, uid, org, lid = company(srv, "label-lien", label="deposee")
    r = c.get("/aides/labels/%d" % lid)
    assert r.status == 200 and "Déposer une demande" not in text_of(r)
    staff = people.client(srv, "instructor")
    staff.get("/instruction/labels/%d" % lid)
    assert staff.post("/instruction/labels/%d/valider" % lid, {"comment": ""}).status == 303
    r = c.get("/aides/labels/%d" % lid)
    assert "Déposer une demande" in text_of(r) and "/aides#programmes" in hrefs(r)
    # It leads to the open programmes, each with its "Déposer une demande".
    pid = programme(srv, name="Programme des liens")
    r = c.get("/aides")
    assert r.status == 200 and 'id="programmes"' in r.text
    assert "/aides/dossiers/nouveau?programme=%d" % pid in hrefs(r)
    # A refused label leads nowhere.
    c2, _, _, lid2 = company(srv, "label-refus", label="refusee")
    assert "Déposer une demande" not in text_of(c2.get("/aides/labels/%d" % lid2))


def test_a_validated_dossier_links_to_its_charging_data(srv):
    c, uid, org, lid = company(srv, "donnees-lien")
    pid = programme(srv, name="Programme données")
    did = submitted(srv, c, pid, lid)
    link = "/aides/dossiers/%d/donnees" % did
    assert link not in hrefs(c.get("/aides/dossiers/%d" % did))
    assert "/aides/donnees" not in hrefs(c.get("/aides"))
    staff = people.client(srv, "instructor")
    staff.get("/instruction/dossiers/%d" % did)
    assert staff.post("/instruction/dossiers/%d/valider" % did, {}).status == 303
    assert srv.sql1("SELECT status FROM aid_dossiers WHERE id=?", did) == "validee"
    r = c.get("/aides/dossiers/%d" % did)
    assert link in hrefs(r) and "Données de charge de cette demande" in text_of(r)
    r = c.get(link)
    assert r.status == 200 and "Déclarer les points de recharge" in text_of(r)
    # The home page links to the company's charging data, which answers.
    r = c.get("/aides")
    assert "/aides/donnees" in hrefs(r)
    assert c.get("/aides/donnees").status == 200
    # Still there once paid; gone once cancelled (such a dossier takes no data).
    srv.sql("UPDATE aid_dossiers SET status='versee' WHERE id=?", did)
    assert link in hrefs(c.get("/aides/dossiers/%d" % did))
    srv.sql("UPDATE aid_dossiers SET status='annulee' WHERE id=?", did)
    assert link not in hrefs(c.get("/aides/dossiers/%d" % did))
    assert "/aides/donnees" not in hrefs(c.get("/aides"))
