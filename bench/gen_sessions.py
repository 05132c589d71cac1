#!/usr/bin/env python3
"""gen_sessions.py — write N synthetic charging sessions as CSV for the
loader benchmark (bench/csvload_bench.c), drawn from the QualiCharge
development sessions in ../shared/data/irve/qualicharge/.

Columns: id,id_pdc_itinerance,start,end,energy (the shape of
tests/fixtures/irve/schema-sessions.json). Each row takes the energy and the
duration of one real session picked at random (so their joint distribution is
kept), a start time from that session's time of day and weekday moved by a
random whole number of weeks (-26..+26), and a charging point drawn from the
29,109 points of irve-statique.json.gz (--points all) or the 270 points of
Charente-Maritime (--points dep17). Times are written in ISO 8601 with the
Europe/Paris offset (+01:00 or +02:00), milliseconds when the source has
them; id is a random UUID v4. Seeded, so the same arguments give the same file.

  python3 bench/gen_sessions.py [-n 5200000] [--points all|dep17]
                                [--seed 17] [-o sessions.csv]
Standard library only.
"""
import argparse
import csv
import gzip
import json
import os
import random
import sys
import time
from datetime import datetime, timezone

try:
    from zoneinfo import ZoneInfo
    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no tz database: fall back to UTC, still valid ISO 8601
    PARIS = timezone.utc

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("IRVE_DATA", os.path.join(HERE, "..", "..", "shared", "data", "irve", "qualicharge"))
WEEK_MS = 7 * 86400 * 1000


def load_sessions():
    with gzip.open(os.path.join(DATA, "irve-dynamique-sessions.json.gz"), "rt", encoding="utf-8") as f:
        return [(s["start"], s["end"] - s["start"], s["energy"]) for s in map(json.loads, f)]


def load_points(which):
    if which == "dep17":
        with open(os.path.join(DATA, "irve-statique_extrait-dep17.csv"), encoding="utf-8") as f:
            return sorted({r["id_pdc_itinerance"] for r in csv.DictReader(f)})
    with gzip.open(os.path.join(DATA, "irve-statique.json.gz"), "rt", encoding="utf-8") as f:
        return sorted({json.loads(l)["id_pdc_itinerance"] for l in f})


_offsets = {}


def iso(ms):
    """Paris local time with its offset; the offset is cached per hour."""
    hour = ms // 3600000
    off = _offsets.get(hour)
    if off is None:
        d = datetime.fromtimestamp(hour * 3600, PARIS)
        off = int(d.utcoffset().total_seconds())
        _offsets[hour] = off
    t = time.gmtime(ms // 1000 + off)
    sign = "+" if off >= 0 else "-"
    o = abs(off) // 60
    frac = ms % 1000
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % t[:6]
    if frac:
        s += ".%03d" % frac
    return "%s%s%02d:%02d" % (s, sign, o // 60, o % 60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=5_200_000, help="rows (default 5,200,000)")
    ap.add_argument("--points", choices=["all", "dep17"], default="all")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("-o", "--output", default="-", help="file, or - for stdout")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    sessions = load_sessions()
    points = load_points(a.points)
    out = sys.stdout if a.output == "-" else open(a.output, "w", encoding="utf-8", newline="")
    w = out.write
    w("id,id_pdc_itinerance,start,end,energy\n")
    choice, randint, bits = rnd.choice, rnd.randint, rnd.getrandbits
    lines = []
    for i in range(a.n):
        start, dur, energy = choice(sessions)
        start += randint(-26, 26) * WEEK_MS
        u = "%032x" % ((bits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC << 60) | (0x8 << 60))
        lines.append("%s-%s-%s-%s-%s,%s,%s,%s,%s\n" % (
            u[:8], u[8:12], u[12:16], u[16:20], u[20:], choice(points),
            iso(start), iso(start + dur), repr(energy)))
        if len(lines) >= 10000:
            w("".join(lines))
            lines.clear()
    w("".join(lines))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
