#!/bin/sh
# bench/aid_bench.sh — the aid service at Advenir's scale (issue #3):
#
#   1. the database: bench/gen_aid.py (18,000 users, 14,000 label requests,
#      1,500 equipment, 70,000 dossiers with their history, 250,000 charging
#      points and 5,200,000 charging sessions with their day sums; about a
#      minute), built once and kept in var/bench/aid-db-KEY/ (KEY: the text
#      of the generator and of the migrations, the scale and the time zone,
#      since the day sums are local days); each run works on a copy;
#   2. guichet serving that copy, once its start-up backup is written;
#   3. wrk -t2 -c32 -d30s --latency, after a warm-up, against
#        - the instructors' work list filtered by programme and status
#          (/instruction?programme=1&statut=deposee: "À traiter"),
#        - the admins' dashboard (/admin/aides/tableau-de-bord),
#        - the applicant's home page (/aides, if this build has one),
#      each with the session cookie of a generated account, checked by curl
#      to be the right page first;
#   4. the server's peak RSS, and the machine's load (uptime) around each run.
#
# Targets (issue #3): work list and dashboard p99 < 50 ms, applicant's home
# p99 < 20 ms, peak RSS < 100 MB. A missed target is reported, not fatal.
#
# Environment (and bench/lib.sh's GUICHET_BIN, BENCH_REV, BENCH_KEEP):
#   BENCH_SECONDS, BENCH_WARMUP       wrk duration and warm-up per target (30, 3)
#   BENCH_CONNECTIONS, BENCH_THREADS  wrk -c and -t (32, 2)
#   AID_SCALE                         size of the database (1 = Advenir's; 0.05 to try)
#   AID_WORKLIST                      the work list's path and query (default: the first
#                                     of /instruction, /instruction/dossiers that answers,
#                                     with ?AID_WORKLIST_QUERY, default "programme=1&statut=deposee")
#   IRVE_DATA                         the QualiCharge folder (default: ../shared/data/irve/qualicharge)
#   AID_HOME                          the applicant's home (default /aides)
# Output: stdout and bench/out/aid-results.md; raw wrk in bench/out/wrk-aid-*.txt.
#
#   AID_SCALE=0.05 BENCH_SECONDS=3 sh bench/aid_bench.sh     tries it in about a minute

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wrk.sh"

SECONDS_RUN=${BENCH_SECONDS:-30}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
WARMUP=${BENCH_WARMUP:-3}
SCALE=${AID_SCALE:-1}
PASSWORD='Correct-Horse-42!'
need wrk curl make awk timeout pgrep python3 sha256sum
rm -f "$OUT"/wrk-aid-*.txt "$OUT/aid-results.md"

bench_build

# ------------------------------------------------------------- the database
# The day sums are local days: the zone is part of the key (the server runs in the same one).
ZONE="${TZ:-} $(readlink -f /etc/localtime 2>/dev/null || true) $(date +%z)"
KEY=$({ cat bench/gen_aid.py src/core/migrations/*.sql src/features/*/migrations/*.sql; echo "scale $SCALE $ZONE"; } |
  sha256sum | cut -c1-12)
mkdir -p "$ROOT/var/bench"
DB="$ROOT/var/bench/aid-db-$KEY"
GEN_NOTE="cached ($DB)"
if [ ! -f "$DB/guichet.db" ]; then
  echo "bench: generating the database (scale $SCALE) into $DB" >&2
  rm -rf "$DB.part"
  t0=$(date +%s.%N)
  python3 bench/gen_aid.py "$DB.part" --bin "$GBIN" --passwords "$TMP/bin/common-passwords.txt" \
    --scale "$SCALE" --password "$PASSWORD" 2>"$TMP/gen.log" || { cat "$TMP/gen.log" >&2; die "gen_aid.py failed"; }
  t1=$(date +%s.%N)
  rm -rf "$DB" && mv "$DB.part" "$DB"
  GEN_NOTE="generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s: $(tail -n 1 "$TMP/gen.log" | sed 's/^gen_aid: //; s/, in [0-9]* s$//')"
fi
mkdir -m 700 "$TMP/data"
cp "$DB/guichet.db" "$TMP/data/guichet.db"
guichet_env "$TMP/data"
guichet_serve
NDOSSIERS=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM aid_dossiers").fetchone()[0])' "$TMP/data/guichet.db")
# The start-up jobs (expiry of late dossiers, their e-mails, the daily backup: a
# copy of the whole file) run now, not during the runs.
i=0
while ! grep -q '"module":"backup"' "$TMP/guichet.err" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
sleep 2

# session EMAIL: logs in as that generated account; prints its gsid.
session() {
  EMAIL=$1
  jar="$TMP/jar-$(echo "$1" | cut -d@ -f1)"
  code=$(login_once "$jar")
  [ "$code" = 303 ] || [ "$code" = 302 ] || die "login of $1 answered $code"
  awk '$6 == "gsid" { print $7 }' "$jar" | tail -n 1
}
SID_ADMIN=$(session bench-admin@guichet.localhost)
SID_INSTR=$(session bench-instructeur@guichet.localhost)
SID_APPL=$(session bench-demandeur@guichet.localhost)

# probe PATH SID: the status of one GET with that session (the body in $TMP/probe.html).
probe() { $CURL -H "Cookie: gsid=$2" -o "$TMP/probe.html" -w '%{http_code}' "$G$1" || echo 000; }
# first_ms PATH SID: the time of one GET, in ms (a dashboard filter's first visit rebuilds its figures).
first_ms() { $CURL -H "Cookie: gsid=$2" -o /dev/null -w '%{time_total}' "$G$1" | awk '{ printf "%.0f", $1 * 1000 }'; }

DASH=/admin/aides/tableau-de-bord
DASH_COLD0=$(first_ms "$DASH" "$SID_ADMIN")
[ "$(probe $DASH "$SID_ADMIN")" = 200 ] && grep -q "Tableau de bord des aides" "$TMP/probe.html" ||
  die "GET $DASH is not the dashboard"
grep -q 'id="charge-chiffres"' "$TMP/probe.html" || die "the dashboard has no charging-data section"
DASH_COLD=$(first_ms "$DASH?periode=12m" "$SID_ADMIN")
DASH_COLD2=$(first_ms "$DASH?programme=2&periode=tout" "$SID_ADMIN")
NSESSIONS=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM aid_charge_sessions").fetchone()[0])' "$TMP/data/guichet.db" 2>/dev/null || echo 0)

WORKLIST=${AID_WORKLIST:-}
if [ -z "$WORKLIST" ]; then
  for p in /instruction /instruction/dossiers; do
    c=$(probe "$p" "$SID_INSTR")
    [ "$c" = 200 ] && WORKLIST="$p?${AID_WORKLIST_QUERY-programme=1&statut=deposee}" && break
  done
fi
if [ -n "$WORKLIST" ]; then
  [ "$(probe "$WORKLIST" "$SID_INSTR")" = 200 ] || die "GET $WORKLIST as the instructor is not 200"
  grep -q 'id="count"' "$TMP/probe.html" || die "GET $WORKLIST is not the work list"
  WORKLIST_ROWS=$(sed -n 's|.*<p id="count"><strong>\([^<]*\)</strong>.*|\1|p' "$TMP/probe.html" | head -n 1 | tr -d ' ' | sed 's/\xc2\xa0//g')
fi
HOME_PATH=${AID_HOME:-/aides}
c=$(probe "$HOME_PATH" "$SID_APPL")
case $c in
  200) ;;
  404) HOME_PATH= ;;
  *) die "GET $HOME_PATH as the applicant answered $c" ;;
esac

load() { cut -d' ' -f1-3 /proc/loadavg; }
LOADS=
# target NAME PATH SID: one recorded run, with the load before and after.
target() {
  l0=$(load)
  run_wrk "aid-$1" "$G$2" "$GPID" "Cookie: gsid=$3"
  LOADS="$LOADS
$1 $l0 → $(load)"
}
[ -n "$WORKLIST" ] && target worklist "$WORKLIST" "$SID_INSTR"
target dashboard "$DASH" "$SID_ADMIN"
[ -n "$HOME_PATH" ] && target home "$HOME_PATH" "$SID_APPL"
# Still the dashboard after the runs: the session held.
[ "$(probe $DASH "$SID_ADMIN")" = 200 ] && grep -q "Tableau de bord des aides" "$TMP/probe.html" ||
  die "the dashboard is no longer answered after the runs"
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$GPID/status")
RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$GPID/status")

# ---------------------------------------------------------------- summary
p99_ok() { awk -v p="$(wrk_pct "aid-$1" 99)" -v max="$2" 'BEGIN { print (p != "" && p + 0 < max) ? 1 : 0 }'; }
row() { # NAME LABEL TARGET_MS
  printf '| %s | %s | %s | %s | %s | %s | %s | < %s ms: %s |\n' "$2" "$(wrk_rps "aid-$1")" "$(wrk_pct "aid-$1" 50)" \
    "$(wrk_pct "aid-$1" 99)" "$(wrk_bad "aid-$1")" "$(cpu_us "aid-$1")" "$(cpu_field "aid-$1" 3) %" "$3" \
    "$(verdict "$(p99_ok "$1" "$3")")"
}
{
  echo "# Guichet aid benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $NCPU CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)."
  echo "guichet $GREV. Database: $NDOSSIERS dossiers, $NSESSIONS charging sessions, $GEN_NOTE."
  echo "wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s --latency after a ${WARMUP} s warm-up; wrk and the server share the CPUs."
  echo
  echo "| Target | Requests/s | p50 (ms) | p99 (ms) | Errors | Server CPU µs/req | Other load | p99 target |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  if [ -n "$WORKLIST" ]; then row worklist "instructors' work list GET $WORKLIST ($WORKLIST_ROWS dossiers)" 50
  else echo "| instructors' work list | — | — | — | — | — | — | not measured: no /instruction on this build |"; fi
  row dashboard "dashboard GET $DASH" 50
  if [ -n "$HOME_PATH" ]; then row home "applicant's home GET $HOME_PATH" 20
  else echo "| applicant's home | — | — | — | — | — | — | not measured: no ${AID_HOME:-/aides} on this build |"; fi
  echo
  echo "Dashboard, first visit of a filter (its figures computed from the $NDOSSIERS dossiers, then kept;" \
    "the first one also sums the charging data's days, kept for every filter):" \
    "every programme since the start $DASH_COLD0 ms, last 12 months $DASH_COLD ms, one programme since the start $DASH_COLD2 ms."
  echo
  echo "guichet memory: peak RSS (VmHWM) $((HWM_KB / 1024)) MB ($HWM_KB kB), current $((RSS_KB / 1024)) MB —" \
    "$(verdict "$(awk -v k="$HWM_KB" 'BEGIN { print (k + 0 < 100 * 1024) ? 1 : 0 }')") (< 100 MB)."
  echo
  echo "Load (1, 5, 15 min) before → after each run:"
  echo "$LOADS" | sed '/^$/d; s/^/- /'
} >"$OUT/aid-results.md"
cat "$OUT/aid-results.md"
echo
echo "bench: written to bench/out/aid-results.md (raw wrk outputs: bench/out/wrk-aid-*.txt)" >&2
