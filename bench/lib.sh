# bench/lib.sh — shared by bench/run.sh and bench/profile.sh (sourced, POSIX sh).
#
# Provides: a temp directory with a cleanup trap that kills exactly the
# processes started here (by pid), the guichet binary to measure, a running
# guichet on a free loopback port with a fresh database, a logged-in session
# whose "Mon compte" is filled in, and the checks that the pages wrk will
# hammer are the right ones.
#
# Which guichet is measured:
#   GUICHET_BIN=path   that binary, not rebuilt
#   BENCH_REV=rev      a clean build of that git revision (git archive into the
#                      temp dir), e.g. BENCH_REV=HEAD while the tree is mid-edit
#   (default)          `make -s all` in the working tree
# The binary is copied into the temp dir first, so a rebuild of build/ by
# someone else during a long run does not change what is measured.

set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT="$ROOT/bench/out"
EMAIL=bench@guichet.localhost
PASSWORD='Correct-Horse-42!'
CURL="curl -sS --max-time 10"

die() {
  echo "bench: $*" >&2
  exit 1
}

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool is missing (Debian: apt-get install -y wrk nginx-light curl valgrind)"
  done
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/guichet-bench.XXXXXX")
BENCH_PIDS=
cleanup() {
  # Only the processes this script started, by their pid, newest first.
  for p in $BENCH_PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $BENCH_PIDS; do
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT" "$TMP/bin"

# Sets GBIN (the binary in the temp dir) and GREV (what it was built from).
bench_build() {
  if [ -n "${GUICHET_BIN:-}" ]; then
    [ -x "$GUICHET_BIN" ] || die "GUICHET_BIN=$GUICHET_BIN is not executable"
    cp "$GUICHET_BIN" "$TMP/bin/guichet"
    pw="$(dirname "$GUICHET_BIN")/common-passwords.txt"
    GREV="binary $GUICHET_BIN"
  elif [ -n "${BENCH_REV:-}" ]; then
    echo "bench: building $BENCH_REV in $TMP/src" >&2
    mkdir "$TMP/src"
    git -C "$ROOT" archive "$BENCH_REV" | tar -x -C "$TMP/src" || die "cannot export $BENCH_REV"
    [ -d "$ROOT/node_modules" ] && ln -s "$ROOT/node_modules" "$TMP/src/node_modules"
    make -C "$TMP/src" -s all >"$TMP/build.log" 2>&1 || { tail -n 30 "$TMP/build.log" >&2; die "build failed"; }
    cp "$TMP/src/build/guichet" "$TMP/bin/guichet"
    pw="$TMP/src/build/common-passwords.txt"
    GREV="$(git -C "$ROOT" rev-parse --short "$BENCH_REV") (clean export)"
  else
    echo "bench: building the working tree" >&2
    make -s all >"$TMP/build.log" 2>&1 || { tail -n 30 "$TMP/build.log" >&2; die "build failed"; }
    cp build/guichet "$TMP/bin/guichet"
    pw="$ROOT/build/common-passwords.txt"
    GREV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null && [ -z "$(git -C "$ROOT" status --porcelain -- src)" ] ||
      GREV="$GREV + uncommitted changes in src/"
  fi
  [ -f "$pw" ] && cp "$pw" "$TMP/bin/common-passwords.txt"
  GBIN="$TMP/bin/guichet"
}

# guichet_start [wrapper command...]: a fresh database, the user, then
# `serve` on a port the kernel picks. Sets GPID (the server, or the wrapper
# that execs it), GPORT and G.
guichet_start() {
  mkdir -m 700 "$TMP/data"
  guichet_env "$TMP/data"
  "$GBIN" user add "$EMAIL" --role applicant --password "$PASSWORD" >"$TMP/useradd.log" 2>&1 ||
    { cat "$TMP/useradd.log" >&2; die "cannot create the user"; }
  guichet_serve "$@"
}

# guichet_env DIR: the environment of a benchmark server on data dir DIR.
guichet_env() {
  : >"$TMP/none.conf" # not the working tree's guichet.conf, if there is one
  export GUICHET_DATA_DIR="$1" GUICHET_PORT=0 GUICHET_SEED=0 GUICHET_ACCESS_LOG=0 GUICHET_CONFIG="$TMP/none.conf"
  [ -f "$TMP/bin/common-passwords.txt" ] && export GUICHET_PASSWORDS_FILE="$TMP/bin/common-passwords.txt"
  return 0
}

# guichet_serve [wrapper command...]: `serve` on the data dir guichet_env
# named, on a port the kernel picks. Sets GPID, GPORT and G.
guichet_serve() {
  "$@" "$GBIN" serve >"$TMP/guichet.out" 2>"$TMP/guichet.err" &
  GPID=$!
  BENCH_PIDS="$GPID $BENCH_PIDS"
  GPORT=
  i=0
  while [ $i -lt 300 ]; do # 30 s: valgrind starts slowly
    GPORT=$(sed -n 's|.*écoute sur http://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' "$TMP/guichet.out" | head -n 1)
    [ -n "$GPORT" ] && break
    kill -0 "$GPID" 2>/dev/null || { cat "$TMP/guichet.err" >&2; die "guichet exited at start-up"; }
    sleep 0.1
    i=$((i + 1))
  done
  [ -n "$GPORT" ] || { cat "$TMP/guichet.err" >&2; die "guichet did not say which port it listens on"; }
  G="http://127.0.0.1:$GPORT"
  echo "bench: guichet pid $GPID on $G ($GREV)" >&2
}

# login_once JAR: one login as a browser would; prints the HTTP status.
login_once() {
  $CURL -c "$1" -b "$1" -o "$1.html" "$G/connexion" || { echo 000; return; }
  csrf=$(sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' "$1.html" | head -n 1)
  $CURL -c "$1" -b "$1" -o /dev/null -w '%{http_code}' -H "Origin: $G" \
    --data-urlencode "email=$EMAIL" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "_csrf=$csrf" --data-urlencode "suite=/compte" "$G/connexion" || echo 000
}

# Logs in as a browser would (the login form sets the gcsrf cookie and
# carries its HMAC in the hidden _csrf input), then fills Mon compte so the
# page runs its organisation and document queries too. Sets GSID.
guichet_login() {
  jar="$TMP/cookies.txt"
  code=$(login_once "$jar")
  [ "$code" = 303 ] || [ "$code" = 302 ] || die "login answered $code, expected a redirect"
  GSID=$(awk '$6 == "gsid" { print $7 }' "$jar" | tail -n 1)
  [ -n "$GSID" ] || die "no gsid cookie after login"

  $CURL -b "$jar" -o "$TMP/compte0.html" "$G/compte" || die "GET /compte failed"
  scsrf=$(sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' "$TMP/compte0.html" | head -n 1)
  [ -n "$scsrf" ] || die "no _csrf input in Mon compte"
  code=$($CURL -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $G" \
    --data-urlencode "_csrf=$scsrf" --data-urlencode "civility=Mme" \
    --data-urlencode "last_name=Durand" --data-urlencode "first_name=Camille" \
    --data-urlencode "phone=05 46 00 00 00" --data-urlencode "qualification=gérante" \
    "$G/compte/personnel")
  [ "$code" = 303 ] || echo "bench: warning: personal information not saved ($code)" >&2
  code=$($CURL -b "$jar" -o /dev/null -w '%{http_code}' -H "Origin: $G" \
    --data-urlencode "_csrf=$scsrf" --data-urlencode "siret=73282932000074" \
    --data-urlencode "kind=Entreprise" --data-urlencode "name=Durand Énergies SARL" \
    --data-urlencode "address=1 quai Duperré" --data-urlencode "postcode=17000" \
    --data-urlencode "city=La Rochelle" --data-urlencode "contact_email=contact@durand.example" \
    --data-urlencode "contact_phone=05 46 00 00 01" "$G/compte/entreprise")
  [ "$code" = 303 ] || echo "bench: warning: company information not saved ($code)" >&2
}

# What wrk will get, checked once with exactly its request: 200 and the
# authenticated, filled-in Mon compte (not the login page after a redirect).
check_compte() {
  code=$($CURL -H "Cookie: gsid=$GSID" -o "$TMP/compte.html" -w '%{http_code}' "$G/compte") ||
    die "GET /compte failed"
  [ "$code" = 200 ] || die "GET /compte with the session cookie answered $code"
  grep -q "$EMAIL" "$TMP/compte.html" && grep -q 'action="/deconnexion"' "$TMP/compte.html" &&
    grep -q 'value="73282932000074"' "$TMP/compte.html" ||
    die "GET /compte is not the authenticated, filled-in Mon compte page"
}

check_connexion() {
  code=$($CURL -o "$TMP/connexion.html" -w '%{http_code}' "$G/connexion") || die "GET /connexion failed"
  [ "$code" = 200 ] || die "GET /connexion answered $code"
  grep -q 'name="password"' "$TMP/connexion.html" || die "GET /connexion is not the login form"
}
