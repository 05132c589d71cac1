#!/usr/bin/env python3
"""gen_aid.py — build a guichet database at Advenir's size for the aid
benchmarks (bench/aid_bench.sh): 18,000 users in their organisations,
14,000 label requests, 70,000 aid requests ("dossiers") with their history
over three years, across the four demo programmes.

  python3 bench/gen_aid.py DATA_DIR [--bin build/guichet] [--scale 1.0]
                           [--seed 3] [--now UNIX_TIME] [--password P]

DATA_DIR must not hold a database yet. The script runs `guichet migrate`
there (so the schema is exactly the binary's), creates three accounts with
`guichet user add` and a known password (bench-admin@, bench-instructeur@,
bench-demandeur@guichet.localhost; every generated user shares that
password hash, so any of them can log in), then inserts everything else with
sqlite3 in a few large transactions. --scale 0.1 makes a tenth of
everything, for a quick try. Seeded: the same arguments give the same
database, except the "now" the timelines end at (--now to pin it).

How a dossier is made: a whole life is drawn first — created, submitted a
few days later, taken up by an instructor, sometimes sent back for
documents ("compléments demandés", 30 %), then validated (85 %), refused or
withdrawn; once validated, the proofs arrive after a few months (or never:
"expirée" a year later), then the payment request and the payment. Delays
are log-normal. The life is then cut at "now": what has not happened yet
has not happened, which gives the status mix of a running programme
(recent dossiers in instruction, old ones paid). 2 % are amended: cancelled
and replaced by a new dossier, the two linked. Creation dates grow over the
three years, as a programme's take-up does.

Tables made by other branches (labels: aid_labels; charging data) are
filled by one function each, gen_labels() and gen_charge(), which look the
table up first and say so when it is not there yet.

Standard library only.
"""
import argparse
import math
import os
import random
import sqlite3
import subprocess
import sys
import time

DAY = 86400
PASSWORD = "Correct-Horse-42!"
BENCH_ACCOUNTS = [  # (email, roles): created by `guichet user add`, known password
    ("bench-admin@guichet.localhost", ["territory_admin"]),
    ("bench-instructeur@guichet.localhost", ["instructor"]),
    ("bench-demandeur@guichet.localhost", ["installer"]),
]

# The four demo programmes of src/features/aid/feature.c, with envelopes at
# Advenir's scale (set from what the generated dossiers commit, below).
PROGRAMMES = [
    # name, target, rate_bp, cap, bonus, bonus_label, max_points, share of dossiers,
    # points (lo, hi, mode), cost per point in € (lo, hi)
    ("Résidentiel collectif — point de recharge individuel", "residentiel_collectif", 5000, 60000, 36000,
     "pilotage intelligent", None, 0.55, (1, 4, 1), (1100, 2600)),
    ("Entreprises et flottes — recharge des véhicules de l’entreprise", "entreprises_flottes", 2000, 60000, 0,
     "", None, 0.30, (2, 30, 4), (1400, 4200)),
    ("Voirie publique — bornes sur le domaine public", "voirie_publique", 6000, 210000, 30000,
     "borne à la demande", None, 0.10, (2, 12, 4), (4500, 12000)),
    ("Poids lourds — recharge des véhicules N2 et N3", "poids_lourds", 5000, 1500000, 0, "", 20000, 0.05,
     (1, 8, 2), (28000, 80000)),
]

ORG_KINDS = [("Entreprise", 70), ("Syndic de copropriété", 12), ("Collectivité", 6), ("Bailleur social", 5),
             ("Association", 3), ("Établissement public", 2), ("Autre", 2)]
FIRST = ["Camille", "Dominique", "Claude", "Alex", "Sacha", "Marie", "Jean", "Nadia", "Karim", "Sophie", "Luc",
         "Inès", "Hugo", "Léa", "Louis", "Chloé", "Yanis", "Emma", "Paul", "Zoé", "Malik", "Julie", "Théo", "Anne"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand"]
CITIES = [("17000", "La Rochelle"), ("17300", "Rochefort"), ("17100", "Saintes"), ("79000", "Niort"),
          ("86000", "Poitiers"), ("33000", "Bordeaux"), ("44000", "Nantes"), ("75011", "Paris"),
          ("69003", "Lyon"), ("13008", "Marseille"), ("31000", "Toulouse"), ("59000", "Lille"),
          ("67000", "Strasbourg"), ("35000", "Rennes"), ("06000", "Nice"), ("34000", "Montpellier"),
          ("20000", "Ajaccio"), ("97400", "Saint-Denis"), ("21000", "Dijon"), ("63000", "Clermont-Ferrand")]
STREETS = ["rue de la République", "avenue du Général de Gaulle", "quai Duperré", "rue des Écoles",
           "boulevard Joffre", "allée des Tilleuls", "rue du Port", "place de Verdun", "chemin des Vignes"]
REFUSALS = ["le devis est antérieur à la date d’ouverture du programme",
            "le site n’est pas éligible (places non privatives)", "les pièces demandées n’ont pas été fournies",
            "le matériel installé n’est pas qualifié", "doublon d’une demande déjà financée"]


def departement(postcode):
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode < "20200" else "2B"
    return postcode[:2]


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def siret(n):
    """A distinct 14-digit SIRET with a valid Luhn key, from a counter."""
    base = "%013d" % (400000000000 + n * 7)
    for last in "0123456789":
        if luhn_ok(base + last):
            return base + last
    raise AssertionError("no Luhn digit")


def lognormal_days(rng, median_days, sigma):
    return int(rng.lognormvariate(math.log(median_days), sigma) * DAY)


def table_exists(con, name):
    return con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def columns(con, table):
    return {r[1] for r in con.execute("PRAGMA table_info(%s)" % table)}


# ------------------------------------------------------------------ set-up

def guichet(args, data_dir, *argv):
    env = dict(os.environ)
    env.update({"GUICHET_DATA_DIR": data_dir, "GUICHET_SEED": "0", "GUICHET_ACCESS_LOG": "0",
                "GUICHET_CONFIG": os.path.join(data_dir, "none.conf")})
    if args.passwords and os.path.exists(args.passwords):
        env["GUICHET_PASSWORDS_FILE"] = args.passwords
    res = subprocess.run([args.bin] + list(argv), env=env, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        sys.exit("gen_aid: guichet %s failed: %s" % (" ".join(argv), res.stderr.strip()))
    return res.stdout


def setup(args):
    os.makedirs(args.data_dir, mode=0o700, exist_ok=True)
    db = os.path.join(args.data_dir, "guichet.db")
    if os.path.exists(db):
        sys.exit("gen_aid: %s already exists: give an empty data directory" % db)
    open(os.path.join(args.data_dir, "none.conf"), "w").close()
    guichet(args, args.data_dir, "migrate")
    ids = {}
    for email, roles in BENCH_ACCOUNTS:
        argv = ["user", "add", email, "--password", args.password]
        for r in roles:
            argv += ["--role", r]
        ids[email] = int(guichet(args, args.data_dir, *argv).split()[1])
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA cache_size=-65536")
    return con, ids


# ---------------------------------------------------------------- generators

def gen_programmes(con, now):
    opens = time.strftime("%Y-%m-%d", time.localtime(now - 3 * 365 * DAY - 30 * DAY))
    closes = time.strftime("%Y-%m-%d", time.localtime(now + 365 * DAY))
    ids = []
    for p in PROGRAMMES:
        name, target, rate, cap, bonus, blabel, maxp = p[:7]
        cur = con.execute(
            "INSERT INTO aid_programmes(name, target, rate_bp, cap_cents, bonus_cents, bonus_label, eligible_costs,"
            " budget_cents, max_points, opens_on, closes_on, active, documents, spec_md, created_at, updated_at)"
            " VALUES(?,?,?,?,?,?,?,NULL,?,?,?,1,?,?,?,?)",
            (name, target, rate, cap, bonus, blabel, "Fourniture et installation HT des points de recharge.",
             maxp, opens, closes, "Devis signé et daté\nRIB du bénéficiaire",
             "## %s\n\n*Programme généré pour le banc d’essai.*\n" % name, now - 3 * 365 * DAY, now))
        ids.append(cur.lastrowid)
    return ids


def gen_people(con, rng, ids, scale, now):
    """Organisations and their members. Returns (orgs, members by org,
    instructors, org of the bench applicant)."""
    hash_ = con.execute("SELECT password_hash FROM users WHERE id=?",
                        (ids["bench-demandeur@guichet.localhost"],)).fetchone()[0]
    n_users = int(18000 * scale) - len(BENCH_ACCOUNTS)
    n_staff = max(4, int(40 * scale))
    n_orgs = max(10, int(6500 * scale))
    t_start = now - 3 * 365 * DAY - 60 * DAY
    kinds, kweights = zip(*ORG_KINDS)
    orgs = []
    for i in range(n_orgs):
        pc, city = rng.choice(CITIES)
        kind = rng.choices(kinds, kweights)[0]
        created = t_start + rng.randrange(3 * 365 * DAY)
        name = "%s %s %s" % (rng.choice(LAST), rng.choice(["Énergies", "Électricité", "Recharge", "Services",
                                                           "Habitat", "Bornes", "Solutions"]), i + 1)
        orgs.append((siret(i + 1), kind, name, "%d %s" % (rng.randint(1, 120), rng.choice(STREETS)), pc, city,
                     "contact%d@org.exemple" % (i + 1), "05 46 %02d %02d %02d" % (i % 100, i // 100 % 100, i % 97),
                     created, created))
    con.executemany("INSERT INTO organisations(siret, kind, name, address, postcode, city, contact_email,"
                    " contact_phone, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?)", orgs)
    org_ids = [r[0] for r in con.execute("SELECT id FROM organisations ORDER BY id")]
    users, roles, members = [], [], []
    first_uid = con.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0]
    uid = first_uid
    instructors, admins = [ids["bench-instructeur@guichet.localhost"]], []
    for i in range(n_users):
        fn, ln = rng.choice(FIRST), rng.choice(LAST)
        created = t_start + rng.randrange(3 * 365 * DAY)
        users.append((uid, "u%06d@exemple.fr" % uid, hash_, "active", rng.choice(["M.", "Mme"]), ln, fn,
                      "06 %02d %02d %02d %02d" % (uid % 100, uid // 100 % 100, i % 100, i % 89), created, created))
        if i < n_staff:
            role = "territory_admin" if i < 3 else "instructor"
            roles.append((uid, role))
            (admins if i < 3 else instructors).append(uid)
        else:
            # Every organisation gets its owner first, then members at random.
            k = i - n_staff
            org = org_ids[k] if k < len(org_ids) else rng.choice(org_ids)
            roles.append((uid, "installer" if k % 3 else "applicant"))
            members.append((org, uid, "owner" if k < len(org_ids) else "member", created))
        uid += 1
    con.executemany("INSERT INTO users(id, email, password_hash, status, civility, last_name, first_name, phone,"
                    " created_at, confirmed_at) VALUES(?,?,?,?,?,?,?,?,?,?)", users)
    con.executemany("INSERT INTO user_roles(user_id, role) VALUES(?,?)", roles)
    con.executemany("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?,?,?,?)", members)
    by_org = {}
    for org, u, _, _ in members:
        by_org.setdefault(org, []).append(u)
    return org_ids, by_org, instructors


def org_weights(org_ids):
    """How many dossiers each organisation files, relatively: a few large
    installers file most of them (Zipf, exponent 0.9)."""
    return [1.0 / (k + 1) ** 0.9 for k in range(len(org_ids))]


def gen_labels(con, rng, org_ids, by_org, instructors, scale, now):
    """14,000 label requests (table aid_labels of the labels branch). Returns
    {org_id: [validated label ids]}, or {} when the table is not there."""
    if not table_exists(con, "aid_labels"):
        print("gen_aid: no aid_labels table in this build: labels skipped (dossiers get no label_id)",
              file=sys.stderr)
        return {}
    cols = columns(con, "aid_labels")
    want = {"org_id", "user_id", "status", "name", "departements", "parking", "housing", "company", "reason",
            "decided_by", "decided_at", "created_at", "updated_at"}
    if not want <= cols:
        print("gen_aid: aid_labels lacks %s: labels skipped" % ", ".join(sorted(want - cols)), file=sys.stderr)
        return {}
    n = int(14000 * scale)
    weights = org_weights(org_ids)
    parkings = ["residentiel_collectif", "maison_individuelle", "entreprise_flotte", "parking_public",
                "voirie_publique", "poids_lourds"]
    rows, events, valid = [], [], {}
    lid = con.execute("SELECT coalesce(max(id), 0) FROM aid_labels").fetchone()[0]
    # Each of the organisations that will file dossiers gets one validated
    # label first, then the rest are spread like the dossiers.
    first = list(org_ids[:n // 2])
    orgs = first + rng.choices(org_ids, weights, k=n - len(first))
    for i, org in enumerate(orgs):
        created = now - 3 * 365 * DAY - 45 * DAY + rng.randrange(3 * 365 * DAY)
        status = "validee" if i < len(first) else rng.choices(["validee", "refusee", "deposee"], [80, 12, 8])[0]
        decided = created + lognormal_days(rng, 6, 0.7) if status != "deposee" else None
        if decided and decided > now:
            status, decided = "deposee", None
        pc, _ = rng.choice(CITIES)
        lid += 1
        who = by_org.get(org, [None])[0]
        reason = rng.choice(REFUSALS) if status == "refusee" else ""
        judge = rng.choice(instructors) if decided else None
        rows.append((lid, org, who, status, "Offre recharge %d" % (i + 1), departement(pc), rng.choice(parkings),
                     rng.choice(["collectif", "maison", "aucun"]), rng.randint(0, 1), reason, judge, decided,
                     created, decided or created))
        events.append((lid, created, who, "deposee", ""))
        if decided:
            events.append((lid, decided, judge, status, reason))
    con.executemany("INSERT INTO aid_labels(id, org_id, user_id, status, name, departements, parking, housing,"
                    " company, reason, decided_by, decided_at, created_at, updated_at)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    if table_exists(con, "aid_label_events"):
        con.executemany("INSERT INTO aid_label_events(label_id, at, user_id, status, comment) VALUES(?,?,?,?,?)",
                        events)
    for lid, org in con.execute("SELECT id, org_id FROM aid_labels WHERE status='validee'"):
        valid.setdefault(org, []).append(lid)
    return valid


def gen_charge(con, rng, scale):
    """Charging data (5.2 M sessions at full scale) belongs to the charging
    branch: its loader is measured by its own benchmark. Filled here once its
    tables land; until then, said and skipped."""
    for t in ("aid_charge_sessions", "aid_sessions", "irve_sessions"):
        if table_exists(con, t):
            print("gen_aid: table %s exists, but its generator is not written yet: skipped" % t, file=sys.stderr)
            return
    print("gen_aid: no charging-data tables in this build: sessions skipped", file=sys.stderr)


def life(rng, t0, now):
    """One dossier's whole life from its creation at t0: a list of
    (time, from, to, actor) with actor 'a' (applicant), 'i' (instructor),
    'p' (platform), cut at now. Returns (events, amended) where amended is
    the time the applicant replaced it, or None."""
    ev = []
    t = t0

    def step(dt, frm, to, who):
        nonlocal t
        t += max(dt, 60)
        ev.append((t, frm, to, who))
        return t <= now

    if rng.random() < 0.03:  # a draft abandoned, sometimes cancelled
        if rng.random() < 0.4:
            step(lognormal_days(rng, 20, 0.8), "brouillon", "annulee", "a")
        return [e for e in ev if e[0] <= now], None
    if not step(lognormal_days(rng, 3, 0.9), "brouillon", "deposee", "a"):
        return [e for e in ev if e[0] <= now], None
    amended = None
    if rng.random() < 0.02:  # amended while waiting: cancelled, replaced
        amended = t + lognormal_days(rng, 4, 0.6)
        ev.append((amended, "deposee", "annulee", "a"))
        return [e for e in ev if e[0] <= now], amended if amended <= now else None
    st = "deposee"
    if rng.random() < 0.85:
        step(lognormal_days(rng, 12, 0.8), st, "en_instruction", "i")
        st = "en_instruction"
    if rng.random() < 0.30:
        step(lognormal_days(rng, 4, 0.6), st, "complements", "i")
        if rng.random() < 0.05:  # never answered: withdrawn
            step(lognormal_days(rng, 40, 0.5), "complements", "annulee", "a")
            return [e for e in ev if e[0] <= now], None
        step(lognormal_days(rng, 12, 0.8), "complements", "en_instruction", "a")
        st = "en_instruction"
    r = rng.random()
    if r < 0.11:
        step(lognormal_days(rng, 18, 0.8), st, "refusee", "i")
        return [e for e in ev if e[0] <= now], None
    if r < 0.13:
        step(lognormal_days(rng, 9, 0.7), st, "annulee", "a")
        return [e for e in ev if e[0] <= now], None
    step(lognormal_days(rng, 18, 0.8), st, "validee", "i")
    decided = t
    if rng.random() < 0.02:
        step(lognormal_days(rng, 60, 0.8), "validee", "annulee", "a")
        return [e for e in ev if e[0] <= now], None
    proofs = lognormal_days(rng, 120, 0.65)
    if proofs > 365 * DAY:  # the proofs never came: the job expires it at its due day
        t = decided + 366 * DAY
        ev.append((t, "validee", "expiree", "p"))
        return [e for e in ev if e[0] <= now], None
    step(proofs, "validee", "justificatifs", "a")
    step(lognormal_days(rng, 3, 0.8), "justificatifs", "versement", "a")
    step(lognormal_days(rng, 25, 0.5), "versement", "versee", "i")
    return [e for e in ev if e[0] <= now], None


D_REPLACED_BY, D_REASON = 28, 30  # positions in a dossier row, as cols_d lists them


def gen_dossiers(con, rng, prog_ids, org_ids, by_org, labels, instructors, scale, now):
    n = int(70000 * scale)
    weights = org_weights(org_ids)
    span = 3 * 365 * DAY
    start = now - span
    shares = [p[7] for p in PROGRAMMES]
    cols_d = ("id, number, programme_id, org_id, user_id, status, step, label_id, site_address, site_postcode,"
              " site_city, departement, points, cost_cents, with_bonus, contact_name, contact_email, contact_phone,"
              " beneficiary_kind, beneficiary_name, beneficiary_siret, beneficiary_email, beneficiary_address,"
              " amount_cents, granted_cents, paid_cents, committed, replaces_id, replaced_by_id, assignee_id,"
              " reason, proofs_due_on, created_at, updated_at, submitted_at, decided_at, complements_at, paid_at")
    sql_d = "INSERT INTO aid_dossiers(%s) VALUES(%s)" % (cols_d, ",".join("?" * len(cols_d.split(","))))
    sql_e = ("INSERT INTO aid_dossier_events(dossier_id, at, user_id, kind, from_status, to_status, comment)"
             " VALUES(?,?,?,?,?,?,?)")
    dossiers, events = [], []
    did = con.execute("SELECT coalesce(max(id), 0) FROM aid_dossiers").fetchone()[0]
    pending = None  # (replaced dossier id, time, template) for the next dossier
    committed = {p: [0, 0] for p in prog_ids}
    stats = {}
    for i in range(n):
        did += 1
        if pending:
            old_id, t0, tpl = pending
            pending = None
            org, pi, points, cost, bonus, pc, city = tpl
            replaces = old_id
        else:
            # Take-up grows over the three years: density ∝ (1 + 2u).
            u = (math.sqrt(1 + 8 * rng.random()) - 1) / 2
            t0 = start + int(u * span)
            org = rng.choices(org_ids, weights)[0]
            pi = rng.choices(range(len(PROGRAMMES)), shares)[0]
            lo, hi, mode = PROGRAMMES[pi][8]
            points = int(rng.triangular(lo, hi + 0.999, mode))
            clo, chi = PROGRAMMES[pi][9]
            cost = points * rng.randint(clo, chi) * 100
            bonus = 1 if PROGRAMMES[pi][4] and rng.random() < 0.4 else 0
            pc, city = rng.choice(CITIES)
            replaces = None
        _, target, rate, cap, bonus_c = PROGRAMMES[pi][:5]
        amount = min(cost * rate // 10000, cap * points) + (bonus_c * points if bonus else 0)
        ev, amended = life(rng, t0, now)
        status = ev[-1][2] if ev else "brouillon"
        users = by_org.get(org) or [None]
        applicant = users[0] if len(users) == 1 else rng.choice(users)
        instr = rng.choice(instructors)
        submitted = decided = complements = paid = None
        granted = paid_c = comm = 0
        proofs_due = None
        for (at, frm, to, who) in ev:
            if to == "deposee" and submitted is None:
                submitted = at
            elif to == "complements":
                complements = at
            elif to in ("validee", "refusee"):
                decided = at
                if to == "validee":
                    granted, comm = amount, 1
                    proofs_due = time.strftime("%Y-%m-%d", time.localtime(at + 365 * DAY))
            elif to in ("annulee", "expiree") and comm:
                comm = 0
            elif to == "versee":
                paid, paid_c = at, granted
            uid_ev = applicant if who == "a" else instr if who == "i" else None
            comment = ""
            if to == "refusee":
                comment = rng.choice(REFUSALS)
            elif to == "complements":
                comment = "Merci de joindre le devis signé et l’attestation de vote en assemblée générale."
            elif to == "expiree":
                comment = "les justificatifs n’ont pas été déposés avant la date limite"
            events.append((did, at, uid_ev, "status", frm, to, comment))
        if comm:
            committed[prog_ids[pi]][0] += granted
            committed[prog_ids[pi]][1] += points
        stats[status] = stats.get(status, 0) + 1
        reason = events[-1][6] if status in ("refusee", "expiree") else ""
        updated = ev[-1][0] if ev else t0
        lab = labels.get(org)
        number = "AV-%s-%06d" % (time.strftime("%Y", time.localtime(t0)), did)
        fn, ln = rng.choice(FIRST), rng.choice(LAST)
        dossiers.append([
            did, number, prog_ids[pi], org, applicant, status, 4, rng.choice(lab) if lab else None,
            "%d %s" % (rng.randint(1, 150), rng.choice(STREETS)), pc, city, departement(pc), points, cost, bonus,
            "%s %s" % (fn, ln), "contact%d@exemple.fr" % did, "06 12 34 %02d %02d" % (did % 100, did // 100 % 100),
            ["copropriete", "entreprise", "collectivite", "entreprise"][pi], "Bénéficiaire %d" % did, "", "", "",
            amount if submitted else 0, granted, paid_c, comm, replaces, None,
            instr if status not in ("brouillon", "deposee") else None, reason, proofs_due,
            t0, updated, submitted, decided, complements, paid])
        if amended and i + 1 < n:  # the next dossier is its replacement
            pending = (did, amended, (org, pi, points, cost, bonus, pc, city))
            reason = "annulée – remplacée par N° AV-%s-%06d" % (time.strftime("%Y", time.localtime(amended)), did + 1)
            dossiers[-1][D_REPLACED_BY] = did + 1
            dossiers[-1][D_REASON] = reason
            events[-1] = (did, amended, applicant, "amend", "deposee", "annulee", reason)
            events.append((did + 1, amended, applicant, "amend", None, "brouillon",
                           "remplace la demande N° %s" % number))
        if len(dossiers) >= 20000:
            con.executemany(sql_d, dossiers)
            con.executemany(sql_e, events)
            dossiers, events = [], []
    con.executemany(sql_d, dossiers)
    con.executemany(sql_e, events)
    return committed, stats


def set_envelopes(con, rng, committed):
    """Committed amounts and points as the dossiers commit them; envelopes
    sized so that programmes are 55 to 90 % used (the dashboard's bars)."""
    for pid, (cents, points) in committed.items():
        budget = None
        if cents:
            budget = int(cents / rng.uniform(0.55, 0.90)) // 100000000 * 100000000 + 100000000
        con.execute("UPDATE aid_programmes SET committed_cents=?, committed_points=?, budget_cents=?,"
                    " max_points=CASE WHEN max_points IS NOT NULL THEN max(max_points, ? + 100) END WHERE id=?",
                    (cents, points, budget, points, pid))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("--bin", default=os.environ.get("GUICHET_BIN", "build/guichet"))
    ap.add_argument("--passwords", default=None, help="common-password list (default: beside the binary)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--now", type=int, default=None)
    ap.add_argument("--password", default=PASSWORD)
    args = ap.parse_args()
    if args.passwords is None:
        p = os.path.join(os.path.dirname(os.path.abspath(args.bin)), "common-passwords.txt")
        args.passwords = p if os.path.exists(p) else None
    now = args.now or int(time.time())
    rng = random.Random(args.seed)
    t = time.time()
    con, ids = setup(args)
    con.execute("BEGIN")
    prog_ids = gen_programmes(con, now)
    org_ids, by_org, instructors = gen_people(con, rng, ids, args.scale, now)
    # The bench applicant joins the 10th largest filer: hundreds of dossiers.
    bench_org = org_ids[min(9, len(org_ids) - 1)]
    con.execute("INSERT INTO org_members(org_id, user_id, role, added_at) VALUES(?,?,'member',?)",
                (bench_org, ids["bench-demandeur@guichet.localhost"], now))
    by_org.setdefault(bench_org, []).append(ids["bench-demandeur@guichet.localhost"])
    labels = gen_labels(con, rng, org_ids, by_org, instructors, args.scale, now)
    con.execute("COMMIT")
    con.execute("BEGIN")
    committed, stats = gen_dossiers(con, rng, prog_ids, org_ids, by_org, labels, instructors, args.scale, now)
    set_envelopes(con, rng, committed)
    con.execute("COMMIT")
    gen_charge(con, rng, args.scale)
    con.execute("ANALYZE")
    con.close()
    total = sum(stats.values())
    print("gen_aid: %d dossiers in %.1f s: %s" % (
        total, time.time() - t, ", ".join("%s %d" % kv for kv in sorted(stats.items(), key=lambda kv: -kv[1]))),
        file=sys.stderr)


if __name__ == "__main__":
    main()
