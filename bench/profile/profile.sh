#!/usr/bin/env bash
# bench/profile/profile.sh — where a running uqlited node spends CPU per request, and how many
# syscalls and context switches each request costs, under one uqlite-bench workload.
#
# Usage: bash bench/profile/profile.sh PID [uqlite-bench args...]
#   e.g. bash bench/profile/profile.sh "$(pgrep -f 'http-addr 127.0.0.1:4001')" \
#          -addr 127.0.0.1:4001 -mode query -level none -rows 10000 -conns 64
# Env: UQBENCH (default build-release/bench/uqlite-bench/uqlite-bench), SECS of profile (4),
#      REQS for the syscall count (100000), OUT directory for perf.data (a temp dir, removed).
# Three steps, each with its own bounded uqlite-bench run against the node:
#  1. perf record -e cpu-clock -F 1000 --call-graph dwarf for SECS seconds in the middle of a run,
#     then bench/profile/perf_breakdown.py: us of CPU per request by thread role and component;
#  2. perf stat of syscall tracepoints and context switches over a run of exactly REQS requests:
#     counts per request;
#  3. the bench's own figures for each run.
# No hardware counters are needed (cpu-clock works in a VM). Needs root or perf_event_paranoid <= 1.
set -euo pipefail
PID="$1"
shift
HERE="$(cd "$(dirname "$0")" && pwd)"
UQBENCH="${UQBENCH:-$HERE/../../build-release/bench/uqlite-bench/uqlite-bench}"
SECS="${SECS:-4}"
REQS="${REQS:-100000}"
OUT="${OUT:-}"
CLEAN=""
if [[ -z "$OUT" ]]; then
  OUT="$(mktemp -d /var/tmp/uq-profile.XXXXXX)"
  CLEAN="$OUT"
fi
trap '[[ -z "$CLEAN" ]] || rm -rf "$CLEAN"' EXIT

echo "# load average $(cut -d' ' -f1-3 /proc/loadavg); uqlite-bench $*"
# 1. CPU profile in the middle of a run that lasts SECS + 3 s.
"$UQBENCH" "$@" -duration "$((SECS + 2))s" -warmup 1s 2>/dev/null | grep '^mode=' >"$OUT/bench1.txt" &
BENCH=$!
sleep 2
perf record -q -e cpu-clock -F 1000 --call-graph dwarf,16384 -p "$PID" -o "$OUT/perf.data" \
  -- sleep "$SECS" >/dev/null 2>&1
wait "$BENCH"
RPS="$(grep -o 'ok_rps=[0-9.]*' "$OUT/bench1.txt" | cut -d= -f2)"
echo "# profile run: $(tr ' ' '\n' <"$OUT/bench1.txt" | grep -E '^(ok_rps|p50_ms|p99_ms)=' | tr '\n' ' ')"
perf script -i "$OUT/perf.data" -F comm,tid,period,ip,sym,dso 2>/dev/null |
  python3 "$HERE/perf_breakdown.py" "$(python3 -c "print(float('$RPS') * $SECS)")"

# 2. Syscalls and context switches per request over exactly REQS requests.
EVENTS=raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_futex
EVENTS+=,syscalls:sys_enter_fcntl,syscalls:sys_enter_write,syscalls:sys_enter_pwrite64
EVENTS+=,syscalls:sys_enter_fdatasync,context-switches,cpu-clock
perf stat -x, -e "$EVENTS" -p "$PID" -o "$OUT/stat.txt" &
STAT=$!
sleep 0.5
"$UQBENCH" "$@" -requests "$REQS" -warmup 0 -duration 120s 2>/dev/null | grep '^mode=' >"$OUT/bench2.txt"
kill -INT "$STAT"
wait "$STAT" || true
echo
echo "# $REQS requests: $(tr ' ' '\n' <"$OUT/bench2.txt" | grep -E '^(ok_rps|p50_ms|p99_ms)=' | tr '\n' ' ')"
echo "| event | per request |"
echo "|---|---:|"
awk -F, -v n="$REQS" '$3 != "" && $1 ~ /^[0-9.]+$/ {
  name = $3; v = $1 / n
  if (name == "cpu-clock") { name = "CPU us (cpu-clock)"; v = $1 * 1000 / n }
  printf "| %s | %.3f |\n", name, v }' "$OUT/stat.txt"
