#!/usr/bin/env bash
# bench/restart.sh — snapshot and restart times of one node holding a large database (issue 6).
#
# Starts uqlited (one node, Release), fills it through the API with REQUESTS requests of 1,000
# parameterised rows of VALUE_SIZE-byte values (1,100 × 1,000 × 1,000 B ≈ 1.1 GB by default),
# then measures, printing one line each:
#   snapshot         POST /snapshot, while a 4-connection insert load runs; the load's requests/s
#                    and p99 during the snapshot and in the same load without one, side by side
#   clean-stop       SIGTERM → exit
#   clean-restart    start → /readyz 200 (the database is reused, the log tail re-applied)
#   kill9-restart    200 more inserts, kill -9, start → /readyz 200 (snapshot restored + tail)
# /readyz is polled every 50 ms. Raw output goes to bench/results/<stamp>-restart.txt.
#
# Knobs (environment): BUILD_DIR (build-release), REQUESTS (1100), VALUE_SIZE (1000), PORT_BASE
# (28600: HTTP, +1 Raft), KEEP=1 keeps the scratch dir. Every load is bounded (-requests or
# -duration, plus `timeout`); the node is stopped by its PID at exit.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build-release}"
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$REPO/$BUILD_DIR"
REQUESTS="${REQUESTS:-1100}"
VALUE_SIZE="${VALUE_SIZE:-1000}"
PORT_BASE="${PORT_BASE:-28600}"
UQLITED="$BUILD_DIR/server/uqlited"
UQBENCH="$BUILD_DIR/bench/uqlite-bench/uqlite-bench"
HTTP="127.0.0.1:$PORT_BASE"
RAFT="127.0.0.1:$((PORT_BASE + 1))"
SCRATCH="$(mktemp -d /tmp/uq-restart-XXXXXX)"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$REPO/bench/results/$STAMP-restart.txt"
PID=""

cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -9 "$PID" 2>/dev/null || true
  fi
  if [[ "${KEEP:-0}" != 1 ]]; then
    rm -rf "$SCRATCH"
  fi
}
trap cleanup EXIT

for bin in "$UQLITED" "$UQBENCH"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build Release first: scripts/build.sh)" >&2; exit 2; }
done

now_ms() { date +%s%3N; }
report() { echo "$*" | tee -a "$OUT"; }

start_node() {
  "$UQLITED" -node-id 1 -http-addr "$HTTP" -raft-addr "$RAFT" "$SCRATCH/data" \
    >>"$SCRATCH/node.log" 2>&1 &
  PID=$!
}

# Milliseconds from $1 until /readyz answers 200 (at most 600 s).
wait_ready() {
  local t0=$1
  for _ in $(seq 1 12000); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP/readyz")" == 200 ]]; then
      echo $(($(now_ms) - t0))
      return 0
    fi
    sleep 0.05
  done
  echo "node not ready after 600 s" >&2
  exit 1
}

# rps, p99 and max of a bounded 4-connection single-row insert load.
insert_load() {
  timeout 120 "$UQBENCH" -addr "$HTTP" -mode insert -param -conns 4 -duration "$1" -warmup 0s \
    -value-size 100 | tee -a "$OUT" |
    awk '/rps=/ { for (i = 1; i <= NF; i++) if ($i ~ /^(rps|p99_ms|max_ms|errors)=/) printf "%s ", $i }'
}

report "# bench/restart.sh $STAMP on $(hostname): $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
report "# $(git -C "$REPO" rev-parse --short HEAD), REQUESTS=$REQUESTS VALUE_SIZE=$VALUE_SIZE"
start_node
wait_ready "$(now_ms)" >/dev/null
t0=$(now_ms)
timeout 3600 "$UQBENCH" -addr "$HTTP" -setup -mode batch -param -batch 1000 \
  -value-size "$VALUE_SIZE" -conns 4 -requests "$REQUESTS" -warmup 0s -duration 3600s >>"$OUT"
report "fill: $(($(now_ms) - t0)) ms, db.sqlite $(stat -c %s "$SCRATCH/data/db.sqlite") bytes," \
  "raft/ $(du -sb "$SCRATCH/data/raft" | cut -f1) bytes"

report "insert load without a snapshot: $(insert_load 5s)"
insert_load 20s >"$SCRATCH/during.txt" &
LOAD=$!
sleep 2
t0=$(now_ms)
code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://$HTTP/snapshot")
report "snapshot: HTTP $code in $(($(now_ms) - t0)) ms"
wait "$LOAD"
report "insert load during the snapshot (20 s around it): $(cat "$SCRATCH/during.txt")"

t0=$(now_ms)
kill -TERM "$PID"
wait "$PID" || true
report "clean-stop: $(($(now_ms) - t0)) ms"
t0=$(now_ms)
start_node
report "clean-restart: $(wait_ready "$t0") ms to /readyz 200"

timeout 120 "$UQBENCH" -addr "$HTTP" -mode insert -param -conns 4 -requests 200 -warmup 0s \
  -duration 60s >>"$OUT"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
t0=$(now_ms)
start_node
report "kill9-restart: $(wait_ready "$t0") ms to /readyz 200"
grep -E "restor|snapshot|replay" "$SCRATCH/node.log" | tail -5 | tee -a "$OUT"
echo "raw output: $OUT"
