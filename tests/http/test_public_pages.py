"""Public pages (issue #3, journey 11): the FAQ and the legal notice, whose
Markdown admins edit (rendered safely: raw HTML and javascript: links never
come out), and the contact form — French errors with the form filled in
again, throttling per IP and per e-mail address, a honeypot — delivered to
the admins' inbox and by e-mail."""
import html
import re
import time

from harness import People, text_of

SERVER_CONFIG = {"login_max_per_ip": 1000}

PEOPLE = {
    "applicant": "pages-demandeur@exemple.fr",
    "instructor": "pages-instructeur@exemple.fr",
    "territory_admin": "pages-territoire@exemple.fr",
}
people = People(PEOPLE)


def as_(srv, role):
    return people.client(srv, role)


def field_value(page, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*value="([^"]*)"' % name, page)
    return html.unescape(m.group(1)) if m else None


# ------------------------------------------------------------ FAQ, legal

def test_faq_and_legal_notice_are_public_with_their_seeded_text(srv):
    anon = srv.client()
    r = anon.get("/aides/faq")
    assert r.status == 200
    assert "<h1>Questions fréquentes</h1>" in r.text
    assert "<h2>Qui peut demander une aide ?</h2>" in r.text
    r = anon.get("/mentions-legales")
    assert r.status == 200 and "<h1>Mentions légales</h1>" in r.text and "Données personnelles" in r.text
    # Every page's footer links to them and to the contact form.
    for path in ("/", "/connexion", "/programmes", "/contact"):
        page = anon.get(path).text
        for link in ('href="/aides/faq"', 'href="/mentions-legales"', 'href="/contact"'):
            assert link in page, (path, link)


def test_only_admins_edit_the_pages(srv):
    gets = ["/admin/pages", "/admin/pages/faq", "/admin/pages/mentions-legales"]
    post = ("/admin/pages/faq", {"title": "Piratée", "body": "Piratée"})
    anon = srv.client()
    for p in gets:
        r = anon.get(p)
        assert r.status == 303 and r.header("Location").startswith("/connexion"), p
    anon.get("/connexion")
    assert anon.post(*post).status == 303
    for role in ("applicant", "instructor"):
        c = as_(srv, role)
        for p in gets:
            assert c.get(p).status == 403, (role, p)
        assert c.post(*post).status == 403, role
    admin = as_(srv, "territory_admin")
    for p in gets:
        assert admin.get(p).status == 200, p
    assert admin.get("/admin/pages/inconnue").status == 404
    assert admin.post("/admin/pages/inconnue", {"title": "x", "body": "y"}).status == 404
    # Without the form's token, nothing changes either.
    assert admin.post(post[0], post[1], csrf=False).status == 403
    assert srv.sql1("SELECT title FROM pages WHERE slug='faq'") == "Questions fréquentes"


def test_markdown_is_rendered_safely(srv):
    admin = as_(srv, "territory_admin")
    admin.get("/admin/pages/faq")
    body = ("## Délais\n\nUn **dossier complet** est instruit en un mois.\n\n<script>alert('faq')</script>\n\n"
            "<img src=x onerror=alert(1)>\n\n[piège](javascript:alert(1)) et [le simulateur](/programmes)\n")
    r = admin.post("/admin/pages/faq", {"title": "FAQ des aides", "body": body, "action": "enregistrer"})
    assert r.status == 303 and r.header("Location") == "/admin/pages/faq", r
    assert srv.sql1("SELECT body_md FROM pages WHERE slug='faq'") == body.strip()
    assert srv.sql1("SELECT count(*) FROM audit WHERE action='page.update' AND object='page:faq'") == 1
    page = srv.client().get("/aides/faq").text
    assert "<h1>FAQ des aides</h1>" in page
    assert "<strong>dossier complet</strong>" in page
    assert '<a href="/programmes">le simulateur</a>' in page
    assert "alert" not in page and "<script>" not in page.split("</header>")[1]
    assert "onerror" not in page and "javascript:" not in page


def test_preview_does_not_save(srv):
    admin = as_(srv, "territory_admin")
    admin.get("/admin/pages/mentions-legales")
    before = srv.sql1("SELECT body_md FROM pages WHERE slug='mentions-legales'")
    r = admin.post("/admin/pages/mentions-legales",
                   {"title": "Mentions", "body": "Texte *provisoire* <script>x()</script>", "action": "apercu"})
    assert r.status == 200
    assert "<em>provisoire</em>" in r.text and "<script>x()" not in r.text
    assert "Texte *provisoire*" in html.unescape(r.text)  # the textarea keeps the Markdown
    assert srv.sql1("SELECT body_md FROM pages WHERE slug='mentions-legales'") == before


def test_page_form_errors_in_french_keep_the_text(srv):
    admin = as_(srv, "territory_admin")
    admin.get("/admin/pages/faq")
    r = admin.post("/admin/pages/faq", {"title": "", "body": "Un texte qui ne doit pas se perdre."})
    assert r.status == 422
    assert "Renseignez le titre de la page." in text_of(r)
    assert "Un texte qui ne doit pas se perdre." in r.text
    r = admin.post("/admin/pages/faq", {"title": "T" * 201, "body": ""})
    assert r.status == 422
    assert "200 caractères au plus." in text_of(r) and "Renseignez le texte de la page." in text_of(r)


# ------------------------------------------------------------ contact form

def good(**over):
    f = {"name": "Camille Durand", "email": "camille@exemple.fr", "subject": "programme",
         "message": "Bonjour, le programme résidentiel couvre-t-il les parkings extérieurs ?"}
    f.update(over)
    return f


def send(srv, c=None, **over):
    c = c or srv.client()
    c.get("/contact")
    return c.post("/contact", good(**over))


def test_contact_form_delivers_to_the_inbox_and_the_admins(srv):
    as_(srv, "territory_admin")
    srv.sql("DELETE FROM contact_messages")
    r = srv.client().get("/contact")
    assert r.status == 200 and 'name="site_web"' in r.text and 'tabindex="-1"' in r.text
    c = srv.client()
    r = send(srv, c, email="Camille@Exemple.FR")
    assert r.status == 303 and r.header("Location") == "/contact"
    assert "votre message est envoyé" in text_of(c.get("/contact"))
    row = srv.sql("SELECT name, email, subject, message, read_at FROM contact_messages")
    assert row == [("Camille Durand", "camille@exemple.fr", "programme", good()["message"], None)]
    mails = srv.mails(PEOPLE["territory_admin"])
    assert mails and mails[0][0] == "[Contact] Une question sur un programme d’aide — Camille Durand"
    assert "camille@exemple.fr" in mails[0][1] and "parkings extérieurs" in mails[0][1]
    assert re.search(r"/admin/contact/\d+", mails[0][1])


def test_contact_form_errors_in_french_with_the_form_filled_in(srv):
    srv.sql("DELETE FROM contact_messages")
    c = srv.client()
    c.get("/contact")
    r = c.post("/contact", {"name": "", "email": "pas-une-adresse", "subject": "nimporte",
                            "message": "Court"})
    assert r.status == 422
    t = text_of(r)
    assert "Renseignez votre nom." in t
    assert "Saisissez une adresse e-mail valide" in t
    assert "Choisissez un des sujets proposés." in t
    assert "Votre message est trop court : écrivez au moins 10 caractères." in t
    assert field_value(r.text, "email") == "pas-une-adresse"
    assert ">Court</textarea>" in r.text
    r = c.post("/contact", good(name="Camille\nBcc: x@y.fr", subject=""))
    assert r.status == 422
    assert "Votre nom tient sur une ligne." in text_of(r) and "Renseignez le sujet de votre message." in text_of(r)
    assert "parkings extérieurs" in r.text
    r = c.post("/contact", good(message="x" * 5001))
    assert r.status == 422 and "5000 caractères au plus." in text_of(r)
    assert srv.sql1("SELECT count(*) FROM contact_messages") == 0
    # Without the token, refused.
    assert c.post("/contact", good(), csrf=False).status == 403
    assert srv.sql1("SELECT count(*) FROM contact_messages") == 0


def test_honeypot_pretends_and_keeps_nothing(srv):
    as_(srv, "territory_admin")
    srv.sql("DELETE FROM contact_messages")
    before = len(srv.sql("SELECT id FROM outbox"))
    c = srv.client()
    r = send(srv, c, site_web="http://spam.example")
    assert r.status == 303 and r.header("Location") == "/contact"
    assert "votre message est envoyé" in text_of(c.get("/contact"))
    assert srv.sql1("SELECT count(*) FROM contact_messages") == 0
    time.sleep(0.2)
    assert len(srv.sql("SELECT id FROM outbox")) == before


def test_logged_in_visitors_find_their_name_and_address(srv):
    c = as_(srv, "applicant")
    r = c.get("/contact?sujet=demande")
    assert field_value(r.text, "email") == PEOPLE["applicant"]
    assert '<option value="demande" selected>' in r.text
    srv.sql("DELETE FROM contact_messages")
    assert send(srv, c, email=PEOPLE["applicant"]).status == 303
    assert srv.sql1("SELECT user_id FROM contact_messages") == people.id(srv, "applicant")


def test_throttled_per_ip_and_per_address(srv):
    srv.sql("DELETE FROM contact_messages")
    now = int(time.time())
    # Five messages from this IP in the hour, from other addresses: the sixth waits.
    for i in range(5):
        assert send(srv, email="a%d@exemple.fr" % i).status == 303
    r = send(srv, email="nouveau@exemple.fr", message="Mon message ne doit pas se perdre en route.")
    assert r.status == 429
    assert "déjà envoyé 5 messages en une heure" in text_of(r)
    assert "Mon message ne doit pas se perdre en route." in r.text
    assert field_value(r.text, "email") == "nouveau@exemple.fr"
    assert srv.sql1("SELECT count(*) FROM contact_messages") == 5
    # An hour later, it goes.
    srv.sql("UPDATE contact_messages SET created_at=?", now - 3700)
    assert send(srv, email="nouveau@exemple.fr").status == 303
    # Five from one address, from other IPs: that address waits, others do not.
    srv.sql("DELETE FROM contact_messages")
    for i in range(5):
        srv.sql("INSERT INTO contact_messages(name, email, subject, message, ip, created_at)"
                " VALUES('X', 'insistant@exemple.fr', 'autre', 'Un message de test.', ?, ?)", "10.0.0.%d" % i, now)
    r = send(srv, email="Insistant@exemple.fr")
    assert r.status == 429 and "réessayez dans une heure" in text_of(r)
    assert send(srv, email="autre@exemple.fr").status == 303
    srv.sql("DELETE FROM contact_messages")


# ------------------------------------------------------------ the inbox

def test_inbox_read_and_unread(srv):
    srv.sql("DELETE FROM contact_messages")
    assert send(srv).status == 303
    mid = srv.sql1("SELECT id FROM contact_messages")
    paths = ["/admin/contact", "/admin/contact/%d" % mid]
    anon = srv.client()
    for p in paths:
        assert anon.get(p).status == 303, p
    for role in ("applicant", "instructor"):
        c = as_(srv, role)
        for p in paths:
            assert c.get(p).status == 403, (role, p)
        c.get("/compte")
        assert c.post("/admin/contact/%d/lu" % mid, {"lu": "1"}).status == 403
    assert srv.sql1("SELECT read_at FROM contact_messages") is None
    admin = as_(srv, "territory_admin")
    r = admin.get("/admin/contact")
    assert r.status == 200 and "1 non lu(s)" in text_of(r) and 'class="unread"' in r.text
    assert "Camille Durand" in r.text
    r = admin.get("/admin/contact/%d" % mid)
    assert r.status == 200 and "parkings extérieurs" in r.text
    assert srv.sql1("SELECT read_by FROM contact_messages") == people.id(srv, "territory_admin")
    assert "0 non lu(s)" in text_of(admin.get("/admin/contact"))
    r = admin.post("/admin/contact/%d/lu" % mid, {"lu": "0"})
    assert r.status == 303
    assert srv.sql1("SELECT read_at FROM contact_messages") is None
    assert "Camille Durand" in admin.get("/admin/contact?statut=non-lus").text
    assert admin.post("/admin/contact/%d/lu" % mid, {"lu": "1"}).status == 303
    assert srv.sql1("SELECT read_at FROM contact_messages") is not None
    assert "Camille Durand" not in admin.get("/admin/contact?statut=non-lus").text
    assert admin.post("/admin/contact/%d/lu" % mid, {"lu": "peut-être"}).status == 400
    assert admin.post("/admin/contact/999999/lu", {"lu": "1"}).status == 404
    assert admin.get("/admin/contact/999999").status == 404
    assert admin.post("/admin/contact/%d/lu" % mid, {"lu": "0"}, csrf=False).status == 403
