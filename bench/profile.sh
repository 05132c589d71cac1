#!/bin/sh
# bench/profile.sh — where a request's instructions go, with callgrind.
#
#   sh bench/profile.sh [compte|connexion]...     (default: both)
#
# Runs guichet under valgrind --tool=callgrind, logs in and fills Mon compte
# as bench/run.sh does, warms up, zeroes the counters, then drives each page
# with a small wrk (-t1 -c4) for PROFILE_SECONDS (default 5) and dumps the
# counters. Prints the instructions per request and the top functions,
# inclusive and self; the full dumps are bench/out/callgrind-PAGE.out
# (open them with callgrind_annotate or kcachegrind).
#
# Instruction counts are deterministic, so this is the tool for comparing two
# builds on a shared machine (GUICHET_BIN, BENCH_REV: see bench/lib.sh). Two
# blind spots: time in the kernel (syscalls such as getcwd or fcntl are one
# instruction each here) and `rep stos` memsets, counted per byte.

. "$(dirname "$0")/lib.sh"

SECS=${PROFILE_SECONDS:-5}
TOP=${PROFILE_TOP:-30}
need valgrind callgrind_control callgrind_annotate wrk curl make awk timeout
PAGES=${*:-compte connexion}

bench_build
guichet_start valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out"
guichet_login
check_compte
check_connexion

for page in $PAGES; do
  case $page in
    compte) set -- -H "Cookie: gsid=$GSID" ;;
    connexion) set -- ;;
    *) die "unknown page $page (compte or connexion)" ;;
  esac
  timeout 60 wrk -t1 -c4 -d2s "$@" "$G/$page" >/dev/null 2>&1 || true
  rm -f "$TMP"/cg.out.*
  callgrind_control -z "$GPID" >/dev/null 2>&1 || die "callgrind_control cannot reach pid $GPID"
  echo "bench: callgrind on GET /$page for $SECS s" >&2
  timeout $((SECS + 60)) wrk -t1 -c4 -d"${SECS}s" "$@" "$G/$page" >"$TMP/wrk-$page.txt" 2>&1 ||
    die "wrk failed: $(cat "$TMP/wrk-$page.txt")"
  callgrind_control -d "$GPID" >/dev/null 2>&1 || die "callgrind dump failed"
  i=0
  while [ -z "$(ls "$TMP"/cg.out.* 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  dump=$(ls -t "$TMP"/cg.out.* | head -n 1)
  cp "$dump" "$OUT/callgrind-$page.out"
  n=$(awk '/requests in/ { print $1 }' "$TMP/wrk-$page.txt")
  bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$TMP/wrk-$page.txt")
  ir=$(awk '/^summary:/ { print $2; exit }' "$dump")
  {
    echo "== GET /$page: $n requests${bad:+ ($bad non-2xx)}, $ir instructions," \
      "$(awk -v a="$ir" -v b="$n" 'BEGIN { printf "%.0f", a / b }') per request"
    echo
    echo "-- inclusive (the function and what it calls), top $TOP"
    callgrind_annotate --auto=no --threshold=100 --inclusive=yes "$dump" 2>/dev/null |
      awk '/^ *[0-9,]+ \( *[0-9.]+%\)  /' | grep -v -e 'clone.S' -e 'pthread_create.c' | head -n "$TOP"
    echo
    echo "-- self (the function alone), top $TOP"
    callgrind_annotate --auto=no --threshold=100 "$dump" 2>/dev/null |
      awk '/^ *[0-9,]+ \( *[0-9.]+%\)  /' | grep -v -e 'PROGRAM TOTALS' -e 'clone.S' -e 'pthread_create.c' | head -n "$TOP"
    echo
  } | sed -E -e 's#(^|[ (])[^ (]*/(src/(core|features)/)#\1\2#g' -e 's#\[[^]]*/guichet\]#[guichet]#g' |
    tee "$OUT/profile-$page.txt"
done
