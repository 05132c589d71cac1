#!/bin/sh
# postgis.sh — the two latencies issue #4 sets targets for, measured in
# Guichet and, in the same run, on the same data with the same queries, in
# PostgreSQL + PostGIS (what France Chaleur Urbaine runs) as the comparison
# point:
#   eligibility   the whole answer for a point (geocoding excluded) with
#                 10,000 network segments; target p99 < 2 ms;
#   autocomplete  address suggestions for a typed prefix over 2,000,000
#                 addresses; target p99 < 5 ms.
#
#   sh bench/postgis.sh                     full scale (the figures of BENCHMARKS.md)
#   BENCH_SCALE=small sh bench/postgis.sh   1,000 segments, 100,000 addresses,
#                                           2,000 queries: a check, < 2 min
#
# Steps, in a temporary directory removed at the end (BENCH_KEEP=1 keeps it):
#  1. installs the Debian packages postgresql and postgresql-15-postgis-3 if
#     they are missing (as root; otherwise says what to install). They are a
#     dependency of this benchmark only: the application does not use them
#     and `make deps` does not install them;
#  2. builds build/geo_bench and build/geocode_bench and runs them with
#     --export: Guichet's latencies (in-process calls, as a request handler
#     makes them, one thread) and, as files, the data and the queries;
#  3. starts a throwaway PostgreSQL cluster: initdb in the temp dir, listening
#     on 127.0.0.1 only, on a free port, trust authentication, fsync off
#     (nothing here must survive), one core per query (no parallel workers,
#     no JIT); as the current user, or as the unprivileged `postgres` user
#     (runuser) when run as root;
#  4. loads the files and times the same questions inside the server
#     (bench/postgis.sql: no client round trip, like Guichet's figure), then
#     from a client with pgbench (prepared statements, one connection, TCP
#     loopback: what an application server would see);
#  5. prints Guichet p50/p99 against PostGIS p50/p99, the share of identical
#     answers, and the machine's load (uptime) before and after, also into
#     bench/out/postgis.md.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT="$ROOT/bench/out"
PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
SCALE=${BENCH_SCALE:-full}
case "$SCALE" in
  full) SEGMENTS=10000 ADDRESSES=2000000 QUERIES=10000 ;;
  small) SEGMENTS=1000 ADDRESSES=100000 QUERIES=2000 ;;
  *)
    echo "postgis.sh: BENCH_SCALE must be small or full" >&2
    exit 2
    ;;
esac

die() {
  echo "postgis.sh: $*" >&2
  exit 1
}

# ------------------------------------------------------------- 1. packages
missing=""
[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pgbench" ] || missing="postgresql"
[ -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ] || missing="$missing postgresql-$PGVER-postgis-3"
if [ -n "$missing" ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages:$missing (apt-get install -y$missing)"
  echo "postgis.sh: installing$missing (benchmark only)"
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null; } ||
    die "apt-get install$missing failed"
fi
command -v python3 >/dev/null 2>&1 || die "python3 is missing"

# ------------------------------------------------------------------ temp dir
TMP=$(mktemp -d "${TMPDIR:-/tmp}/guichet-postgis.XXXXXX")
PGDATA_DIR="$TMP/pg/data"
PG_STARTED=0
AS=""
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root, but there is no unprivileged user postgres to run the server"
  AS="runuser -u postgres --"
fi
cleanup() {
  if [ "$PG_STARTED" = 1 ]; then
    $AS "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "postgis.sh: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT" "$TMP/data" "$TMP/pg/sock"
LOAD_BEFORE=$(uptime)
echo "postgis.sh: scale $SCALE — $SEGMENTS segments, $ADDRESSES addresses, $QUERIES queries; load: $LOAD_BEFORE"

# ------------------------------------------------------------ 2. Guichet
# The libraries as the Makefile links them.
make_var() {
  # shellcheck disable=SC2016 # $($*) is for make, not the shell
  printf 'print-var-%%:\n\t@echo $($*)\n' | make -s --no-print-directory -f Makefile -f - "print-var-$1"
}
make -s build/libguichet.a
LIBS="build/libguichet.a $(make_var LDLIBS)"
# shellcheck disable=SC2046,SC2086 # word lists
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -Ibuild $(pkg-config --cflags jansson) -o build/geo_bench bench/geo_bench.c $LIBS
# shellcheck disable=SC2086
cc -std=c11 -D_GNU_SOURCE -O2 -Isrc -Ibuild -o build/geocode_bench bench/geocode_bench.c $LIBS

echo "postgis.sh: Guichet, eligibility (build/geo_bench)"
build/geo_bench --segments "$SEGMENTS" --queries "$QUERIES" --export "$TMP/data" >"$TMP/geo_bench.txt"
sed -n '/réponse d.éligibilité/,$p' "$TMP/geo_bench.txt"
echo "postgis.sh: Guichet, autocomplete (gen_addresses.py, build/geocode_bench)"
python3 bench/gen_addresses.py "$TMP/adresses.csv.gz" -n "$ADDRESSES" 2>/dev/null
build/geocode_bench "$TMP/adresses.csv.gz" --queries "$QUERIES" --export "$TMP/data" >"$TMP/geocode_bench.txt"
sed -n '/^Import/,/second passage/p' "$TMP/geocode_bench.txt"
rm -f "$TMP/adresses.csv.gz"

# --------------------------------------------------------- 3. PostgreSQL
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ -n "$AS" ]; then
  chmod 755 "$TMP" "$TMP/pg"
  chown postgres "$TMP/pg" "$TMP/pg/sock"
fi
chmod 700 "$TMP/pg/sock"
$AS "$PGBIN/initdb" -D "$PGDATA_DIR" -U bench -A trust -E UTF8 --locale=C --no-sync >"$TMP/initdb.log" 2>&1 ||
  die "initdb failed: $(tail -n 5 "$TMP/initdb.log")"
$AS "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$TMP/pg/server.log" -w -o "-c listen_addresses=127.0.0.1 -c port=$PORT \
  -c unix_socket_directories=$TMP/pg/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c shared_buffers=512MB -c maintenance_work_mem=512MB -c max_wal_size=4GB -c jit=off \
  -c max_parallel_workers_per_gather=0" start >/dev/null || die "PostgreSQL did not start: $(tail -n 5 "$TMP/pg/server.log" 2>/dev/null)"
PG_STARTED=1
PSQL="$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U bench"
$PSQL -d postgres -c "CREATE DATABASE bench" >/dev/null
PGV=$($PSQL -d bench -At -c "SHOW server_version")

# ------------------------------------------------------ 4. PostGIS timings
echo "postgis.sh: PostgreSQL $PGV on 127.0.0.1:$PORT — loading, indexing, timing in the server"
(cd "$TMP/data" && $PSQL -d bench -f "$ROOT/bench/postgis.sql")
POSTGIS_V=$($PSQL -d bench -At -c "SELECT postgis_lib_version()")
echo "postgis.sh: PostgreSQL from a client (pgbench -M prepared, 1 connection)"
cat >"$TMP/elig.sql" <<'EOF'
\set i random(1, :npoints)
SELECT e.* FROM bench_points b, eligibility(b.lon, b.lat) e WHERE b.id = :i;
EOF
cat >"$TMP/suggest.sql" <<'EOF'
\set i random(1, :npoints)
SELECT s.* FROM suggest_queries q, suggest(q.q, q.numero) s WHERE q.qid = :i;
EOF
PGB="$PGBIN/pgbench -n -M prepared -c 1 -j 1 -h 127.0.0.1 -p $PORT -U bench"
for what in elig suggest; do
  $PGB -t 1000 -D npoints="$QUERIES" -f "$TMP/$what.sql" bench >/dev/null 2>&1 # warm-up, not logged
  (cd "$TMP" && $PGB -t "$QUERIES" -D npoints="$QUERIES" -f "$TMP/$what.sql" -l --log-prefix="pgb_$what" bench \
    >"$TMP/pgbench_$what.txt" 2>&1) || die "pgbench $what failed: $(tail -n 5 "$TMP/pgbench_$what.txt")"
done
LOAD_AFTER=$(uptime)

# ----------------------------------------------------------- 5. the table
python3 - "$TMP" "$SCALE" "$SEGMENTS" "$ADDRESSES" "$QUERIES" "$PGV" "$POSTGIS_V" "$LOAD_BEFORE" "$LOAD_AFTER" \
  "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" <<'EOF' | tee "$OUT/postgis.md"
import glob, os, sys
tmp, scale, segs, addrs, nq, pgv, gisv, load0, load1, rev = sys.argv[1:]
data = os.path.join(tmp, "data")

def col(path, c, scale=1.0, sep="\t"):
    with open(path) as f:
        return [float(l.rstrip("\n").split(sep)[c]) * scale for l in f if l.strip()]

def pct(v):
    v = sorted(v)
    return v[len(v) // 2], v[int(len(v) * 0.99)]

def ms(x):
    return "%.3f" % (x / 1000.0)

def pgbench_log(what):
    files = glob.glob(os.path.join(tmp, "pgb_%s.*" % what))
    return col(files[0], 2, sep=" ")

rows = [
    ("Eligibility, whole answer (%s segments)" % format(int(segs), ","), "2",
     col(os.path.join(data, "guichet_eligibility.tsv"), 1), col(os.path.join(data, "pg_eligibility_us.txt"), 1),
     pgbench_log("elig")),
    ("Autocomplete, 5 suggestions (%s addresses)" % format(int(addrs), ","), "5",
     col(os.path.join(data, "suggest.tsv"), 5, 1000.0), col(os.path.join(data, "pg_suggest_us.txt"), 1),
     pgbench_log("suggest")),
]
print("## Guichet vs PostgreSQL + PostGIS (bench/postgis.sh, scale %s, %s)" % (scale, rev))
print()
print("Latencies in ms, %s queries each. Guichet: in-process calls (heat_answer_in, geocode_suggest), one thread."
      % format(int(nq), ","))
print("PostGIS in the server: the same question as a PL/pgSQL or SQL function, timed with clock_timestamp()"
      " around each call. PostGIS from a client: pgbench, prepared, one connection over TCP loopback.")
print()
print("| Question | Guichet p50 | Guichet p99 | PostGIS in server p50 | p99 | PostGIS from client p50 | p99 | target p99 |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, target, g, p, c in rows:
    (g50, g99), (p50, p99), (c50, c99) = pct(g), pct(p), pct(c)
    print("| %s | %s | **%s** | %s | %s | %s | %s | < %s ms |" % (name, ms(g50), ms(g99), ms(p50), ms(p99), ms(c50), ms(c99), target))
print()
total, same = (int(x) for x in open(os.path.join(data, "agreement.txt")).read().split())
print("Eligibility: the two give the same answer (level, network shown, distance within 1 cm) for %d of %d points (%.2f %%)."
      % (same, total, 100.0 * same / total))
levels = dict(l.split() for l in open(os.path.join(data, "pg_levels.txt")) if l.strip())
print("Answers: " + ", ".join("%s %s" % (k, v) for k, v in sorted(levels.items())) + ".")
n, pg_hit, g_hit, pg_some = (int(x or 0) for x in open(os.path.join(data, "suggest_hits.txt")).read().split("\t"))
print("Autocomplete: the address the prefix was cut from is among the 5 suggestions for %.1f %% of prefixes in Guichet"
      " (which re-weighs its 30 candidates) and %.1f %% in PostgreSQL (the 5 biggest matching streets); PostgreSQL"
      " answers something for %.1f %%." % (100.0 * g_hit / n, 100.0 * pg_hit / n, 100.0 * pg_some / n))
dis = open(os.path.join(data, "disagreements.txt")).read().strip()
if dis:
    print()
    print("First disagreements (id, Guichet level, PostGIS level, networks, distances in cm):")
    print()
    for l in dis.splitlines()[:10]:
        print("    " + l)
print()
print("PostgreSQL %s, PostGIS %s. Load before: %s; after: %s." % (pgv, gisv, load0.strip(), load1.strip()))
EOF
