#!/usr/bin/env bash
# bench/profile/ab.sh — interleaved before/after runs of two uqlited binaries on one node.
#
# Usage: ROUNDS=3 DUR=5 WORKLOADS="query insert" bash bench/profile/ab.sh A=/path/uqlited B=/path/uqlited
# For each round and each binary (A B A B ...): a fresh data directory, a node on 127.0.0.1, the
# point-query table (10,000 rows), then each workload at c=64 with uqlite-bench for DUR seconds.
# Prints one line per run: label, workload, ok req/s, p50, p99, and the server's CPU per request
# (user+system ticks of the process from /proc over the run, divided by the requests answered;
# includes the warm-up second) — the figure that stays comparable when other work shares the
# CPUs. Ends with medians per label and workload. Every process it starts is stopped by its PID.
set -euo pipefail
ROUNDS="${ROUNDS:-3}"
DUR="${DUR:-5}"
WORKLOADS="${WORKLOADS:-query insert}"
PORT="${PORT:-29500}"
UQBENCH="${UQBENCH:-$(cd "$(dirname "$0")/../.." && pwd)/build-release/bench/uqlite-bench/uqlite-bench}"
WORK="$(mktemp -d /var/tmp/uq-ab.XXXXXX)"
RESULTS="$WORK/results.tsv"
PID=""
cleanup() { [[ -z "$PID" ]] || kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
declare -a LABELS=() BINS=()
for arg in "$@"; do LABELS+=("${arg%%=*}"); BINS+=("${arg#*=}"); done
TICK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run_workload() { # LABEL WORKLOAD
  local label="$1" w="$2" args t0 t1 out
  case "$w" in
    query) args=(-mode query -level none -rows 10000) ;;
    insert) args=(-mode insert) ;;
    serial) args=(-mode insert -conns 1) ;;
    serial-query) args=(-mode query -level none -rows 10000 -conns 1) ;;
    batch) args=(-mode batch -batch 1000 -conns 8) ;;
    batch-param) args=(-mode batch -batch 1000 -param -conns 8) ;;
    *) echo "unknown workload $w" >&2; exit 2 ;;
  esac
  t0="$(cpu_ticks "$PID")"
  out="$(timeout $((DUR + 30)) "$UQBENCH" -addr "127.0.0.1:$PORT" -conns 64 "${args[@]}" \
    -duration "${DUR}s" -warmup 1s 2>/dev/null | grep '^mode=')"
  t1="$(cpu_ticks "$PID")"
  python3 - "$label" "$w" "$out" "$t0" "$t1" "$TICK" "$DUR" >>"$RESULTS" <<'PY'
import sys
label, w, out, t0, t1, tick, dur = sys.argv[1:]
kv = dict(tok.split("=", 1) for tok in out.split() if "=" in tok)
rps = float(kv["ok_rps"])
# requests answered in the measured window plus the warm-up second, at about the same rate
reqs = rps * (float(dur) + 1)
cpu_us = (int(t1) - int(t0)) / int(tick) * 1e6 / reqs if reqs else float("nan")
print(f"{label}\t{w}\t{rps:.0f}\t{kv['p50_ms']}\t{kv['p99_ms']}\t{cpu_us:.1f}")
PY
  tail -1 "$RESULTS"
}

for ((r = 1; r <= ROUNDS; r++)); do
  for i in "${!BINS[@]}"; do
    dir="$WORK/${LABELS[i]}-$r"
    mkdir -p "$dir"
    setsid "${BINS[i]}" -node-id 1 -http-addr "127.0.0.1:$PORT" -raft-addr "127.0.0.1:$((PORT + 1))" \
      "$dir/data" >"$dir/log" 2>&1 </dev/null &
    PID=$!
    for _ in $(seq 100); do
      curl -sf "127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
      sleep 0.1
    done
    timeout 120 "$UQBENCH" -addr "127.0.0.1:$PORT" -mode query -setup -rows 10000 -batch 1000 \
      -requests 1 -conns 1 -warmup 0 -duration 10s >/dev/null 2>&1
    for w in $WORKLOADS; do
      run_workload "${LABELS[i]}" "$w"
    done
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
  done
done
echo "# medians: label workload req/s p50_ms p99_ms server_cpu_us_per_request (load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$RESULTS" <<'PY'
import statistics, sys, collections
g = collections.OrderedDict()
for line in open(sys.argv[1]):
    p = line.split("\t")
    g.setdefault((p[0], p[1]), []).append([float(x) for x in p[2:]])
for (label, w), rows in g.items():
    med = [statistics.median(c) for c in zip(*rows)]
    print(f"{label}\t{w}\t{med[0]:.0f}\t{med[1]:.3f}\t{med[2]:.3f}\t{med[3]:.1f}\t(n={len(rows)})")
PY
