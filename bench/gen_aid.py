#!/usr/bin/env python3
"""gen_aid.py — build a guichet database at Advenir's size for the aid
benchmarks (bench/aid_bench.sh): 18,000 users in their organisations,
14,000 label requests, 1,500 equipment declarations, 70,000 aid requests
("dossiers") with their history over three years, across the four demo
programmes, the charging points of the validated ones (about 250,000) and
5,200,000 charging sessions with their per-day sums. About 40 s and 530 MB
at full scale.

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

Charging data (gen_charge): a validated dossier's points are installed a
few weeks after the decision (log-normal, median 45 days) and declared
then, as many as the dossier funds; sessions are spread over the points in
proportion to their days in service and their use, each one a real
QualiCharge session of ../shared/data/irve/qualicharge/ (its start time,
duration and energy together) put on a day of the same weekday. They are
written in the loader's tables with the loader's rules (see gen_charge), so
the summaries read what a real load would have left; the day sums use
local days in the TZ this script runs in, which must be the server's.

Tables of the labels and charging-data features are filled by one function
each (gen_labels, gen_equipment, gen_charge), which look the table up
first and say so when it is not there.

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
from datetime import date as datetime_date

DAY = 86400
EPOCH_ORDINAL = datetime_date(1970, 1, 1).toordinal()
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


def decide(rng, status, created, now, instructors, median_days):
    """The review of a request filed at `created` (label, equipment) that
    ends in `status`: (status, decided_at, judge). Decided after a
    log-normal delay; one that would be decided after now still waits
    ("deposee"); any other status is not decided."""
    if status not in ("validee", "refusee"):
        return status, None, None
    decided = created + lognormal_days(rng, median_days, 0.7)
    if decided > now:
        return "deposee", None, None
    return status, decided, rng.choice(instructors)


def history(events, item, created, who, status, decided, judge, reason):
    """The history rows of a reviewed request: filed, then decided."""
    events.append((item, created, who, "deposee", ""))
    if decided:
        events.append((item, decided, judge, status, reason))


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
        status, decided, judge = decide(rng, status, created, now, instructors, 6)
        pc, _ = rng.choice(CITIES)
        lid += 1
        who = by_org.get(org, [None])[0]
        reason = rng.choice(REFUSALS) if status == "refusee" else ""
        rows.append((lid, org, who, status, "Offre recharge %d" % (i + 1), departement(pc), rng.choice(parkings),
                     rng.choice(["collectif", "maison", "aucun"]), rng.randint(0, 1), reason, judge, decided,
                     created, decided or created))
        history(events, lid, created, who, status, decided, judge, reason)
    con.executemany("INSERT INTO aid_labels(id, org_id, user_id, status, name, departements, parking, housing,"
                    " company, reason, decided_by, decided_at, created_at, updated_at)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    if table_exists(con, "aid_label_events"):
        con.executemany("INSERT INTO aid_label_events(label_id, at, user_id, status, comment) VALUES(?,?,?,?,?)",
                        events)
    for lid, org in con.execute("SELECT id, org_id FROM aid_labels WHERE status='validee'"):
        valid.setdefault(org, []).append(lid)
    return valid


EQUIPMENT_FULL = 1500  # equipment references at --scale 1: the issue gives no figure; Advenir's list of
                       # qualified equipment holds a few hundred to a couple of thousand references
BRANDS = [("Wallbox", "Pulsar Plus", 7400, 1400, "t2"), ("Schneider Electric", "EVlink Pro AC", 22000, 1400, "t2"),
          ("Hager", "witty park", 22000, 1400, "t2"), ("Legrand", "Green'Up Premium", 7400, 2300, "ef"),
          ("ABB", "Terra AC", 22000, 1400, "t2"), ("ABB", "Terra 54", 50000, 5000, "ccs2"),
          ("Alpitronic", "Hypercharger HYC300", 300000, 10000, "ccs2"), ("Kempower", "Satellite", 350000, 10000, "ccs2"),
          ("Easee", "Charge", 22000, 1400, "t2"), ("Zaptec", "Pro", 22000, 1400, "t2")]


def gen_equipment(con, rng, org_ids, by_org, instructors, scale, now):
    """EQUIPMENT_FULL × scale equipment declarations (table aid_equipment of
    the labels branch) with their history; no technical PDFs (the store
    holds no file). Returns how many, or 0 when the table is not there."""
    if not table_exists(con, "aid_equipment"):
        print("gen_aid: no aid_equipment table in this build: equipment skipped", file=sys.stderr)
        return 0
    n = int(EQUIPMENT_FULL * scale)
    weights = org_weights(org_ids)
    rows, events = [], []
    eid = con.execute("SELECT coalesce(max(id), 0) FROM aid_equipment").fetchone()[0]
    for i in range(n):
        org = rng.choices(org_ids, weights)[0]
        brand, model, pmax, pmin, plug = rng.choice(BRANDS)
        created = now - 3 * 365 * DAY + rng.randrange(3 * 365 * DAY)
        status = rng.choices(["validee", "refusee", "deposee", "brouillon"], [75, 10, 10, 5])[0]
        status, decided, judge = decide(rng, status, created, now, instructors, 8)
        who = by_org.get(org, [None])[0]
        reason = "la fiche technique ne mentionne pas la puissance minimale" if status == "refusee" else ""
        eid += 1
        rows.append((eid, org, who, status, brand, model, "%s-%05d" % (model[:3].upper(), i + 1), pmax, pmin, plug,
                     reason, judge, decided, created, decided or created))
        if status != "brouillon":  # a draft has no history yet
            history(events, eid, created, who, status, decided, judge, reason)
    con.executemany("INSERT INTO aid_equipment(id, org_id, user_id, status, brand, model, reference, power_max_w,"
                    " power_min_w, plug, reason, decided_by, decided_at, created_at, updated_at)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    if table_exists(con, "aid_equipment_events"):
        con.executemany("INSERT INTO aid_equipment_events(equipment_id, at, user_id, status, comment)"
                        " VALUES(?,?,?,?,?)", events)
    return n


# ------------------------------------------------------------ charging data
#
# The charging data of the points that validated dossiers fund, written in
# the tables of migrations/006_charge.sql exactly as the loader
# (src/features/aid/charge.c) writes them: a session counts (sessions,
# energy) on the local day it starts, its occupied seconds are split at local
# midnights; aid_charge_point_days and aid_charge_dossier_days hold those
# sums per point and per dossier. Days are local to the TZ this script runs
# in: the server must run in the same one (aid_bench.sh keys its cache on it).

SESSIONS_FULL = 5_200_000          # sessions at --scale 1 (issue #3: "5.2 million charging-data rows")
IRVE_SESSIONS = "irve-dynamique-sessions.json.gz"  # QualiCharge sessions, ../shared/data/irve/qualicharge/
CITY_LONLAT = {"17000": (-1.151, 46.160), "17300": (-0.961, 45.937), "17100": (-0.633, 45.746),
               "79000": (-0.459, 46.324), "86000": (0.340, 46.580), "33000": (-0.579, 44.838),
               "44000": (-1.554, 47.218), "75011": (2.380, 48.859), "69003": (4.857, 45.760),
               "13008": (5.380, 43.250), "31000": (1.444, 43.604), "59000": (3.057, 50.629),
               "67000": (7.752, 48.573), "35000": (-1.678, 48.117), "06000": (7.262, 43.710),
               "34000": (3.877, 43.611), "20000": (8.738, 41.919), "97400": (55.448, -20.882),
               "21000": (5.041, 47.322), "63000": (3.087, 45.778)}
# Per programme (PROGRAMMES' order): nominal power (kW), implantation, access,
# paid per session, plugs (ef, t2, combo, chademo, other), and how much a
# point is used relative to the others (a public fast charger more than a
# private point in a car park).
POINT_KINDS = [
    (7.4, "Parking privé réservé à la clientèle", "Accès réservé", 0, (1, 1, 0, 0, 0), 0.6),
    (22.0, "Parking privé réservé à la clientèle", "Accès réservé", 0, (0, 1, 0, 0, 0), 1.0),
    (50.0, "Voirie", "Accès libre", 1, (0, 1, 1, 0, 0), 2.5),
    (350.0, "Station dédiée à la recharge rapide", "Accès réservé", 1, (0, 0, 1, 0, 0), 3.0),
]


def irve_data_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.environ.get("IRVE_DATA"), os.path.join(here, "..", "..", "shared", "data", "irve", "qualicharge"),
              os.path.join(here, "..", "..", "..", "shared", "data", "irve", "qualicharge")):
        if d and os.path.exists(os.path.join(d, IRVE_SESSIONS)):
            return d
    sys.exit("gen_aid: %s not found: set IRVE_DATA to the qualicharge folder of ../shared/data/irve" % IRVE_SESSIONS)


def real_sessions():
    """The QualiCharge sessions, as three parallel lists per weekday (0 =
    Monday, local time): the wall-clock start in seconds after midnight, the
    duration in seconds and the energy in Wh. A generated session is one real
    session's (start time, duration, energy), taken together so that their
    joint distribution is kept, put on a day of the same weekday."""
    import gzip
    import json
    by_day = [([], [], []) for _ in range(7)]
    with gzip.open(os.path.join(irve_data_dir(), IRVE_SESSIONS), "rt", encoding="utf-8") as f:
        for line in f:
            s = json.loads(line)
            start, end = s["start"] // 1000, s["end"] // 1000
            if end < start or end - start > 31 * DAY or s["energy"] < 0:
                continue
            tm = time.localtime(start)
            tod, dur, wh = by_day[tm.tm_wday]
            tod.append(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec)
            dur.append(end - start)
            wh.append(int(math.floor(s["energy"] * 1000 + 0.5)))
    return by_day


def day_number(t):
    """The local day (days since 1970-01-01) that contains unix time t."""
    tm = time.localtime(t)
    return (datetime_date(tm.tm_year, tm.tm_mon, tm.tm_mday).toordinal() - EPOCH_ORDINAL)


def midnights(first, last):
    """Local midnight of each day first..last+1, as unix times (index 0 = first)."""
    out = []
    for d in range(first, last + 2):
        c = datetime_date.fromordinal(d + EPOCH_ORDINAL)
        out.append(int(time.mktime((c.year, c.month, c.day, 0, 0, 0, 0, 0, -1))))
    return out


def gen_charge(con, rng, prog_ids, scale, now):
    """Points for the dossiers that take charging data (validated and after:
    validee, justificatifs, versement, versee), as many as each dossier
    funds, declared when installed (a few weeks to months after the
    decision; a dossier whose points are not installed yet has none), and
    SESSIONS_FULL × scale sessions spread over them in proportion to the
    days each has been in service and to its use (lognormal, and by
    programme). Returns (points, sessions)."""
    if not table_exists(con, "aid_charge_sessions"):
        print("gen_aid: no charging-data tables in this build: sessions skipped", file=sys.stderr)
        return 0, 0
    by_day = real_sessions()
    prog_index = {pid: i for i, pid in enumerate(prog_ids)}
    dossiers = con.execute(
        "SELECT id, org_id, programme_id, points, decided_at, coalesce(number, ''), site_address, site_postcode,"
        " site_city FROM aid_dossiers WHERE status IN ('validee', 'justificatifs', 'versement', 'versee')"
        " AND decided_at IS NOT NULL ORDER BY id").fetchall()
    today = day_number(now)
    # Points: (dossier row, first day in service, use weight) per point.
    plan = []
    for d in dossiers:
        installed = d[4] + lognormal_days(rng, 45, 0.6)
        if installed >= now - DAY:
            continue  # not installed yet: nothing declared
        first = day_number(installed)
        use = rng.lognormvariate(0, 0.8) * POINT_KINDS[prog_index[d[2]]][5]
        for k in range(d[3]):
            plan.append((d, k, installed, first, use))
    if not plan:
        return 0, 0
    total = int(SESSIONS_FULL * scale)
    weight = [(today - p[3]) * p[4] for p in plan]
    wsum = sum(weight) or 1.0
    t0 = min(p[3] for p in plan)
    mid = midnights(t0, today + 40)  # sessions of up to 31 days may run past today
    pid = con.execute("SELECT coalesce(max(id), 0) FROM aid_charge_points").fetchone()[0]
    sql_p = ("INSERT INTO aid_charge_points(id, id_pdc_itinerance, dossier_id, org_id, id_station_itinerance,"
             " nom_station, nom_amenageur, siren_amenageur, nom_operateur, contact_operateur, nom_enseigne,"
             " implantation_station, adresse_station, code_insee_commune, lon, lat, nbre_pdc, puissance_nominale,"
             " prise_type_ef, prise_type_2, prise_type_combo_ccs, prise_type_chademo, prise_type_autre, gratuit,"
             " paiement_acte, paiement_cb, condition_acces, reservation, horaires, accessibilite_pmr, raccordement,"
             " date_mise_en_service, date_maj, created_at, updated_at)"
             " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'24/7','Accessibilité inconnue',"
             " 'Direct',?,?,?,?)")
    sql_s = "INSERT INTO aid_charge_sessions(point_id, start_at, end_at, energy_wh) VALUES(?,?,?,?)"
    sql_pd = "INSERT INTO aid_charge_point_days(point_id, day, sessions, energy_wh, busy_s) VALUES(?,?,?,?,?)"
    sql_dd = "INSERT INTO aid_charge_dossier_days(dossier_id, day, sessions, energy_wh, busy_s) VALUES(?,?,?,?,?)"
    sql_i = ("INSERT INTO aid_charge_imports(org_id, dossier_id, kind, source, filename, size, bytes_read, status,"
             " rows_read, rows_loaded, created_at, started_at, finished_at)"
             " VALUES(?,?,?,'api','',0,0,'done',?,?,?,?,?)")
    points, sessions, point_days, dossier_days, imports = [], [], [], [], []
    ddays = {}            # the current dossier's sums per day
    org_sessions = {}     # sessions per organisation, for its import rows
    cur_dossier = None
    expected = 0.0        # running sum of the sessions each point should have
    given = 0
    n_points = n_sessions = 0
    rand = rng.random

    def flush_dossier():
        for day in sorted(ddays):
            s, wh, busy = ddays[day]
            dossier_days.append((cur_dossier, day, s, wh, busy))
        ddays.clear()

    con.execute("BEGIN")
    for p, w in zip(plan, weight):
        d, k, installed, first, _ = p
        did, org, prog = d[0], d[1], d[2]
        if did != cur_dossier:
            if cur_dossier is not None:
                flush_dossier()
            cur_dossier = did
            imports.append((org, did, "points", d[3], d[3], installed, installed, installed + 2))
        pid += 1
        kind = POINT_KINDS[prog_index[prog]]
        lon, lat = CITY_LONLAT.get(d[7], (2.35, 48.85))
        day_text = time.strftime("%Y-%m-%d", time.localtime(installed))
        points.append((pid, "FRAVRE%07d%03d" % (did, k + 1), did, org, "FRAVRP%07d" % did,
                       "%s — %s" % (d[8], d[5]), "Bénéficiaire %d" % did, None, "Exploitant %d" % (org % 40 + 1),
                       "exploitation%d@operateur.exemple" % (org % 40 + 1), "Recharge %s" % d[8], kind[1],
                       "%s, %s %s" % (d[6], d[7], d[8]), round(lon + rng.uniform(-0.03, 0.03), 6),
                       round(lat + rng.uniform(-0.02, 0.02), 6), d[3], kind[0], *kind[4], 1 - kind[3], kind[3],
                       kind[3], kind[2], day_text, day_text, installed, installed))
        n_points += 1
        expected += total * w / wsum
        n = int(expected + 0.5) - given
        given += n
        # Days in service, each session on one; its real twin from that weekday.
        span = max(1, today - first)
        starts = {}
        for _ in range(n):
            day = first + int(rand() * span)
            tod, dur, wh = by_day[(day + 3) % 7]
            j = int(rand() * len(tod))
            i = day - t0
            start = mid[i] + tod[j]
            if start >= mid[i + 1]:
                start = mid[i + 1] - 1  # a wall-clock time that a DST change skips
            while start in starts:
                start += 1
            starts[start] = (dur[j], wh[j])
        pdays = {}
        for start in sorted(starts):
            dur, wh = starts[start]
            end = start + dur
            sessions.append((pid, start, end, wh))
            # The day it starts: a day index from the midnights (within 2 of the UTC guess).
            i = (start - mid[0]) // DAY
            while i + 1 < len(mid) and mid[i + 1] <= start:
                i += 1
            while mid[i] > start:
                i -= 1
            t, first_slice = start, True
            while True:
                stop = min(end, mid[i + 1])
                e = pdays.get(i)
                if e is None:
                    e = pdays[i] = [0, 0, 0]
                if first_slice:
                    e[0] += 1
                    e[1] += wh
                    first_slice = False
                e[2] += stop - t
                t = stop
                if t >= end:
                    break
                i += 1
        for i in sorted(pdays):
            s, wh, busy = pdays[i]
            point_days.append((pid, t0 + i, s, wh, busy))
            e = ddays.get(t0 + i)
            if e is None:
                ddays[t0 + i] = [s, wh, busy]
            else:
                e[0] += s
                e[1] += wh
                e[2] += busy
        n_sessions += len(starts)
        org_sessions[org] = org_sessions.get(org, 0) + len(starts)
        if len(sessions) >= 200000:  # every table in its key's order: appends to the B-trees
            con.executemany(sql_p, points)
            con.executemany(sql_s, sessions)
            con.executemany(sql_pd, point_days)
            con.executemany(sql_dd, dossier_days)
            points, sessions, point_days, dossier_days = [], [], [], []
    flush_dossier()
    con.executemany(sql_p, points)
    con.executemany(sql_s, sessions)
    con.executemany(sql_pd, point_days)
    con.executemany(sql_dd, dossier_days)
    for org, n in org_sessions.items():
        if n:
            imports.append((org, None, "sessions", n, n, now - DAY, now - DAY, now - DAY + 60))
    imports.sort(key=lambda r: r[5])
    con.executemany(sql_i, imports)
    if table_exists(con, "aid_charge_marker"):
        con.execute("UPDATE aid_charge_marker SET n = n + 1")
    con.execute("COMMIT")
    return n_points, n_sessions


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
    n_equipment = gen_equipment(con, rng, org_ids, by_org, instructors, args.scale, now)
    con.execute("COMMIT")
    con.execute("BEGIN")
    committed, stats = gen_dossiers(con, rng, prog_ids, org_ids, by_org, labels, instructors, args.scale, now)
    set_envelopes(con, rng, committed)
    con.execute("COMMIT")
    n_points, n_sessions = gen_charge(con, rng, prog_ids, args.scale, now)
    con.execute("ANALYZE")
    total = sum(stats.values())
    n_labels = con.execute("SELECT count(*) FROM aid_labels").fetchone()[0] if table_exists(con, "aid_labels") else 0
    con.close()
    # One line (aid_bench.sh quotes it in its report).
    print("gen_aid: %d dossiers (%s), %d label requests, %d equipment, %d charging points, %d sessions, in %.0f s" % (
        total, ", ".join("%s %d" % kv for kv in sorted(stats.items(), key=lambda kv: -kv[1])), n_labels,
        n_equipment, n_points, n_sessions, time.time() - t), file=sys.stderr)


if __name__ == "__main__":
    main()
