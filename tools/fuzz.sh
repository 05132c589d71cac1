#!/bin/sh
# fuzz.sh SECONDS — builds every libFuzzer harness fuzz/fuzz_NAME.c with
# clang (-fsanitize=fuzzer,address,undefined) against the project sources
# into build-fuzz/, then runs each for SECONDS (default 20) on the corpus
# build-fuzz/corpus/NAME, seeded from fuzz/seeds/NAME/ when it exists.
# Crash inputs land in build-fuzz/artifacts/. Exits non-zero if a harness
# does not build or any run ends in a crash, leak, timeout or sanitizer report.
#
#   FUZZ_ARGS   extra libFuzzer options (e.g. "-max_len=65536 -jobs=4")
#   ONLY        run only this harness NAME
#   CLANG       compiler (default clang)
set -u
cd "$(dirname "$0")/.." || exit 1
SECONDS_PER=${1:-20}
CLANG=${CLANG:-clang}
OUT=build-fuzz

if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "fuzz: $CLANG not found (apt-get install clang)" >&2
  exit 1
fi
# The generated sources (embedded templates and assets, feature table).
make -s build/gen_assets.c build/gen_features.c || exit 1

# Libraries as the Makefile has them (PKGS, LDLIBS), so that a new
# dependency there reaches the fuzz build without an edit here.
make_var() {
  # shellcheck disable=SC2016 # $($*) is for make, not the shell
  printf 'print-var-%%:\n\t@echo $($*)\n' | make -s --no-print-directory -f Makefile -f - "print-var-$1"
}
PKGS=$(make_var PKGS)
LDLIBS=$(make_var LDLIBS)
if [ -z "$PKGS" ] || [ -z "$LDLIBS" ]; then
  echo "fuzz: cannot read PKGS and LDLIBS from the Makefile" >&2
  exit 1
fi
# shellcheck disable=SC2086
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || exit 1
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 $SAN -Isrc -Ibuild $PKG_CFLAGS"
# The Makefile's warnings; clang's -Wformat=2 also flags the v*printf
# wrappers that gcc accepts, hence -Wno-format-nonliteral.
WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral"

# Project objects, instrumented for coverage but without libFuzzer's main.
# Rebuilt when the source or any header is newer than the object.
mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts"
# shellcheck disable=SC2012 # project file names have no odd characters
newest_header=$(ls -t src/core/*.h src/features/*/*.h 2>/dev/null | head -n 1)
newer() { [ -n "$(find "$1" -prune -newer "$2" 2>/dev/null)" ]; } # POSIX test has no -nt
objs=""
build_failed=0
for src in src/core/*.c src/features/*/*.c build/gen_assets.c build/gen_features.c; do
  [ "$src" = src/main.c ] && continue
  obj="$OUT/obj/$(echo "$src" | sed 's|/|_|g; s|\.c$|.o|')"
  objs="$objs $obj"
  if [ ! -f "$obj" ] || newer "$src" "$obj" || { [ -n "$newest_header" ] && newer "$newest_header" "$obj"; }; then
    # shellcheck disable=SC2086
    if ! $CLANG $CFLAGS $WARN -Wno-missing-prototypes -fsanitize=fuzzer-no-link -c -o "$obj" "$src"; then
      echo "fuzz: $src does not build" >&2
      rm -f "$obj"
      build_failed=1
    fi
  fi
done
[ "$build_failed" -eq 0 ] || exit 1

# Leaks are checked after every input; these one-time start-up allocations
# are not per-request leaks:
#   add_routes  http.c copies each route pattern for split_path; the copy of
#               "/" has no segment pointing into it, so nothing references it.
cat >"$OUT/lsan.supp" <<'EOF'
leak:add_routes
EOF
LSAN_OPTIONS="suppressions=$PWD/$OUT/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export UBSAN_OPTIONS

passed=0
failed=0
for harness in fuzz/fuzz_*.c; do
  [ -f "$harness" ] || continue
  name=$(basename "$harness" .c)
  name=${name#fuzz_}
  [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ] && continue
  bin="$OUT/fuzz_$name"
  # shellcheck disable=SC2086
  if ! $CLANG $CFLAGS $WARN -Werror -Wmissing-prototypes -fsanitize=fuzzer -o "$bin" "$harness" $objs \
      $LDLIBS; then
    echo "fuzz $name: does not build"
    failed=$((failed + 1))
    continue
  fi
  corpus="$OUT/corpus/$name"
  mkdir -p "$corpus"
  seeds=""
  [ -d "fuzz/seeds/$name" ] && seeds="fuzz/seeds/$name"
  log="$OUT/fuzz_$name.log"
  echo "fuzz $name: ${SECONDS_PER}s (log $log)"
  # The corpus directory comes first: new inputs are written there only.
  # shellcheck disable=SC2086
  "./$bin" -max_total_time="$SECONDS_PER" -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/$name-" ${FUZZ_ARGS:-} "$corpus" $seeds >"$log" 2>&1
  rc=$?
  stats=$(grep -aE "^(#[0-9]+ +DONE|stat::number_of_executed_units)" "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $name: ok ($stats)"
    passed=$((passed + 1))
  else
    echo "fuzz $name: FAILED (exit $rc)"
    grep -aE "ERROR: |SUMMARY: |runtime error|fuzz_[a-z]+: |Test unit written|==[0-9]+==" "$log" | head -n 20
    grep -aE "^    #[0-9]+ " "$log" | head -n 25
    failed=$((failed + 1))
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
