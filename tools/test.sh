#!/bin/sh
# test.sh — runs every suite and ends with the line "N passed, N failed".
#   unit     Criterion binaries build/tests/test_* (one line per suite)
#   http     tests/http/run.py: the real server on a random loopback port
#   browser  tests/browser/run.mjs: Playwright driving Debian's Chromium
# ONLY=unit|http|browser runs one suite; NOBROWSER=1 skips the browser.
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0
failed=0
out=$(mktemp)

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

if [ -z "$ONLY" ] || [ "$ONLY" = unit ]; then
  if sh tools/codecheck.sh; then add 1 0; else add 0 1; fi
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" --jobs 2 >"$out" 2>&1
    rc=$?
    line=$(grep -a "Synthesis:" "$out" | tail -n 1)
    tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    ok=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    if [ -z "$tested" ]; then
      echo "unit $(basename "$t"): no result (exit $rc)"
      cat "$out"
      add 0 1
      continue
    fi
    bad=$((tested - ok))
    [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
    echo "unit $(basename "$t"): $ok passed, $bad failed"
    [ "$bad" -ne 0 ] && grep -aE "\[FAIL\]|\[----\]|ERROR|Sanitizer" "$out" | head -40
    add "$ok" "$bad"
  done
fi

if [ -z "$ONLY" ] || [ "$ONLY" = http ]; then
  GUICHET_BIN="$BUILD/guichet" python3 tests/http/run.py >"$out" 2>&1
  rc=$?
  grep -av "^ok " "$out" | tail -n 60
  line=$(grep -aE "^[0-9]+ passed, [0-9]+ failed" "$out" | tail -n 1)
  p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
  f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  if [ -z "$p" ]; then add 0 1; else
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    add "$p" "$f"
  fi
fi

if { [ -z "$ONLY" ] && [ -z "$NOBROWSER" ]; } || [ "$ONLY" = browser ]; then
  GUICHET_BIN="$BUILD/guichet" node tests/browser/run.mjs >"$out" 2>&1
  rc=$?
  cat "$out" | tail -n 30
  line=$(grep -aE "^browser: [0-9]+ passed, [0-9]+ failed" "$out" | tail -n 1)
  p=$(echo "$line" | sed -n 's/^browser: \([0-9]*\) passed.*/\1/p')
  f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  if [ -z "$p" ]; then add 0 1; else
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    add "$p" "$f"
  fi
fi

rm -f "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
