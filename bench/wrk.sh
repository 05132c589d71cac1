# bench/wrk.sh — measuring with wrk, shared by bench/run.sh and
# bench/aid_bench.sh (sourced after lib.sh, POSIX sh).
#
# run_wrk records one target: a warm-up, then wrk --latency into
# $OUT/wrk-NAME.txt, with the CPU the server, wrk and everything else used
# meanwhile ($TMP/cpu-NAME). The wrk_* and cpu_* functions read those back.
# The caller sets THREADS, CONNS, SECONDS_RUN and WARMUP first.

CLK=$(getconf CLK_TCK 2>/dev/null || echo 100)
NCPU=$(nproc 2>/dev/null || echo 1)

# CPU ticks (user + system) of a process and its direct children (nginx
# workers); threads are included in their process's figure.
cpu_ticks() {
  t=0
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
# CPU ticks of the reaped children of this shell (wrk, via timeout).
child_ticks() { sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'; }
# Busy ticks of the whole machine, all CPUs (interrupts excluded: not per process).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; } # user, nice, system

# run_wrk NAME URL SERVER_PID [HEADER]: a warm-up, then the recorded run into
# $OUT/wrk-NAME.txt; records the server's CPU, the client's CPU and what the
# rest of the machine used meanwhile (other people's jobs skew the figures).
run_wrk() {
  name=$1 url=$2 spid=$3 hdr=${4:-}
  set -- -t"$THREADS" -c"$CONNS"
  [ -n "$hdr" ] && set -- "$@" -H "$hdr"
  if [ "$WARMUP" -gt 0 ]; then
    timeout $((WARMUP + 20)) wrk "$@" -d"${WARMUP}s" "$url" >/dev/null 2>&1 || true
    sleep 1
  fi
  echo "bench: wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s --latency $url" >&2
  s0=$(cpu_ticks "$spid") c0=$(child_ticks) b0=$(busy_ticks) t0=$(date +%s.%N)
  timeout $((SECONDS_RUN + 30)) wrk "$@" -d"${SECONDS_RUN}s" --latency "$url" >"$OUT/wrk-$name.txt" 2>&1 ||
    die "wrk failed on $url: $(cat "$OUT/wrk-$name.txt")"
  s1=$(cpu_ticks "$spid") c1=$(child_ticks) b1=$(busy_ticks) t1=$(date +%s.%N)
  awk -v s=$((s1 - s0)) -v c=$((c1 - c0)) -v b=$((b1 - b0)) -v t0="$t0" -v t1="$t1" -v hz="$CLK" -v n="$NCPU" \
    'BEGIN { o = b - s - c; if (o < 0) o = 0
             printf "%d %d %.0f\n", s, c, 100 * o / hz / ((t1 - t0) * n) }' >"$TMP/cpu-$name"
  sleep 1 # let the closed connections drain before the next run
}

wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$OUT/wrk-$1.txt"; }
wrk_total() { awk '/requests in/ { print $1 }' "$OUT/wrk-$1.txt"; }
# wrk_pct NAME 99: that latency percentile, in milliseconds.
wrk_pct() {
  awk -v p="$2%" '
    $1 == p && !done {
      v = $2; u = v; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      m = (u == "us") ? v / 1000 : (u == "ms") ? v : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : -1
      printf "%.2f\n", m; done = 1
    }' "$OUT/wrk-$1.txt"
}
# Non-2xx/3xx responses plus socket errors.
wrk_bad() {
  awk '/Non-2xx or 3xx responses:/ { n += $NF }
       /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
       END { print n + 0 }' "$OUT/wrk-$1.txt"
}
cpu_field() { awk -v f="$2" '{ print $f }' "$TMP/cpu-$1"; }
# Server CPU microseconds per request.
cpu_us() {
  awk -v t="$(cpu_field "$1" 1)" -v n="$(wrk_total "$1")" -v c="$CLK" \
    'BEGIN { if (n > 0) printf "%.0f", t / c * 1e6 / n; else print "?" }'
}
verdict() { if [ "$1" = 1 ]; then echo "target met"; else echo "target missed"; fi; }
