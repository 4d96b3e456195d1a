#!/usr/bin/env bash
# bench/compare.sh — uqlite side by side with its peers, on this machine, in one run.
#
# Starts (1) uqlited, one node (skipped with a message when the binary is absent), (2) nginx
# answering every request with a fixed {"results":[{}]} (the loopback HTTP ceiling), (3) etcd, one
# node (Debian's etcd-server, through its JSON gateway), and with TOPOLOGY 3 also (4) three uqlited
# nodes forming one cluster (-bootstrap-expect 3) and (5) a 3-member etcd cluster; the load
# generator talks to the leader of each. Rows of the 3-node peers are labelled uqlited-3 and etcd-3,
# and their ratio is taken against uqlited-3 (same topology). Drives each with the same settings: wrk
# (-t1, Lua bodies from bench/lua/) and uqlite-bench (etcd speaks another API: wrk only), REPS runs
# of each, interleaved (every workload and peer once per round), and prints one markdown table:
# workload, peer, generator, median, min–max, p50/p99, errors, generator CPU, and uqlite ÷ peer.
# Raw outputs go to bench/results/<stamp>-raw.txt, the table to <stamp>-table.md, the rows to
# <stamp>-runs.tsv.
#
# Knobs (environment): REPS (3), DUR seconds per run (10), CONNS (64), ROWS preloaded for point
# queries (10000), BATCH statements per batch request (1000), BUILD_DIR (build-release, relative
# to the repo root or absolute), PORT_BASE (28400: uqlited uses it and +1, nginx +10, etcd +20 and
# +21, uqlited-3 +30..+35, etcd-3 +40..+45), TOPOLOGY ("1 3": one node, three nodes, or both),
# UQLITED and UQBENCH (binary paths, default under BUILD_DIR), WORKLOADS (space-separated subset
# of: insert insert-half query serial serial-query query-weak query-linearizable batch-param
# batch-literal queue; all by default, about 26 runs per round with one topology, 45 with both),
# PEERS (subset of: uqlited nginx etcd, in each topology chosen), KEEP=1 keeps the scratch dir.
#
# Rules: traffic goes to 127.0.0.1 only; every run is bounded (wrk -d, uqlite-bench -duration,
# plus `timeout`); every process this script starts is stopped by its PID at exit (trap), never by
# name. Needs wrk, nginx, etcd, curl, python3 and GNU time (installed with apt-get when missing).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPS="${REPS:-3}"
DUR="${DUR:-10}"
CONNS="${CONNS:-64}"
ROWS="${ROWS:-10000}"
BATCH="${BATCH:-1000}"
BUILD_DIR="${BUILD_DIR:-build-release}"
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$REPO/$BUILD_DIR"
PORT_BASE="${PORT_BASE:-28400}"
TOPOLOGY="${TOPOLOGY:-1 3}"
WORKLOADS="${WORKLOADS:-insert insert-half query serial serial-query query-weak query-linearizable batch-param batch-literal queue}"
PEERS="${PEERS:-uqlited nginx etcd}"
UQLITED="${UQLITED:-$BUILD_DIR/server/uqlited}"
UQBENCH="${UQBENCH:-$BUILD_DIR/bench/uqlite-bench/uqlite-bench}"
LUA="$REPO/bench/lua"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT_DIR="$REPO/bench/results"
RAW="$OUT_DIR/$STAMP-raw.txt"
TABLE="$OUT_DIR/$STAMP-table.md"
TSV="$OUT_DIR/$STAMP-runs.tsv"

UQ_PORT="$PORT_BASE"
NGINX_PORT=$((PORT_BASE + 10))
ETCD_PORT=$((PORT_BASE + 20))
ETCD_PEER_PORT=$((PORT_BASE + 21))
# Three-node topology: node i (0..2) has HTTP port UQ3_BASE+2i and Raft port UQ3_BASE+2i+1; etcd
# member i has client port ETCD3_BASE+i and peer port ETCD3_BASE+3+i.
UQ3_BASE=$((PORT_BASE + 30))
ETCD3_BASE=$((PORT_BASE + 40))

STARTED_PIDS=()
WORKDIR=""
LOAD_START=""
declare -A UP=()    # peer -> 1 when it is running
declare -A PORT=()  # peer -> the client port the load generator drives (a cluster's leader)
declare -A NOTE=()  # peer -> one line for the table's footer (which node was driven)
ALL_PEERS="uqlited nginx etcd uqlited-3 etcd-3"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  if [[ -n "$WORKDIR" && -d "$WORKDIR" && "${KEEP:-0}" != 1 ]]; then rm -rf "$WORKDIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_pkgs() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 || {
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  }
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

# wait_until SECONDS CMD...: polls CMD every 0.2 s, at most SECONDS.
wait_until() {
  local n=$(($1 * 5)) i
  shift
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

has() { [[ " $1 " == *" $2 "* ]]; }

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" || true; }
readyz_ok() { # HTTP_PORT...: true when every node answers GET /readyz with 200
  local p
  for p in "$@"; do [[ "$(http_code "http://127.0.0.1:$p/readyz")" == 200 ]] || return 1; done
}

# uq_leader_port HTTP_PORT...: prints the HTTP port of the leader when every node names the same
# one in GET /status (store.leader.node_id); node ids are 1..N in the order of the ports.
uq_leader_port() {
  local p id first=""
  for p in "$@"; do
    id="$(curl -fsS -m 2 "http://127.0.0.1:$p/status" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["store"]["leader"]["node_id"])')" \
      || return 1
    [[ "$id" =~ ^[0-9]+$ ]] && ((id >= 1 && id <= $#)) || return 1
    [[ -z "$first" || "$id" == "$first" ]] || return 1
    first="$id"
  done
  echo "${@:first:1}"
}

# start_uqlited N: N=1 is the single node (peer uqlited, the original command line); N=3 starts
# three nodes on 127.0.0.1 that form one cluster (-bootstrap-expect 3, the same -join list), each
# with its own data dir, and the load goes to the leader (peer uqlited-3).
start_uqlited() {
  local n="$1" peer=uqlited i p dir join="" leader="" secs=30
  local -a https=() rafts=() cluster_args=()
  if ((n == 1)); then
    https=("$UQ_PORT") rafts=($((UQ_PORT + 1)))
  else
    peer="uqlited-$n" secs=60
    for ((i = 0; i < n; i++)); do
      https+=($((UQ3_BASE + 2 * i))) rafts+=($((UQ3_BASE + 2 * i + 1)))
      join+="${join:+,}127.0.0.1:${rafts[i]}"
    done
    cluster_args=(-bootstrap-expect "$n" -join "$join")
  fi
  if [[ ! -x "$UQLITED" ]]; then
    log "uqlited not found at $UQLITED: skipping $peer (build it: cmake --build $BUILD_DIR --target uqlited)"
    return 0
  fi
  for p in "${https[@]}" "${rafts[@]}"; do
    port_free "$p" || { log "port $p busy: skipping $peer"; return 0; }
  done
  for ((i = 0; i < n; i++)); do
    dir="$WORKDIR/$peer/n$((i + 1))"
    mkdir -p "$dir"
    "$UQLITED" -node-id $((i + 1)) -http-addr "127.0.0.1:${https[i]}" -raft-addr "127.0.0.1:${rafts[i]}" \
      "${cluster_args[@]}" "$dir/data" >"$dir/log" 2>&1 &
    STARTED_PIDS+=($!)
  done
  if ! wait_until "$secs" readyz_ok "${https[@]}"; then
    log "$peer: not every node answered /readyz with 200 within $secs s: skipping it; log tails:"
    tail -n 5 "$WORKDIR/$peer"/n*/log >&2 || true
    return 0
  fi
  for ((i = 0; i < 150; i++)); do  # at most 30 s
    leader="$(uq_leader_port "${https[@]}" 2>/dev/null)" && break
    leader=""
    sleep 0.2
  done
  [[ -n "$leader" ]] || { log "$peer: nodes did not agree on a leader within 30 s: skipping it"; return 0; }
  # The table, and ROWS rows for the point queries (one request, then the bench stops).
  if ! timeout 120 "$UQBENCH" -addr "127.0.0.1:$leader" -mode query -setup -rows "$ROWS" \
    -batch "$BATCH" -requests 1 -conns 1 -warmup 0 -duration 10s >>"$RAW" 2>&1; then
    log "$peer setup failed (see $RAW): skipping it"
    return 0
  fi
  UP[$peer]=1
  PORT[$peer]="$leader"
  if ((n == 1)); then
    log "uqlited up on 127.0.0.1:$UQ_PORT, $ROWS rows loaded"
  else
    NOTE[$peer]="$peer: $n nodes on HTTP ports ${https[*]}, driven at the leader (127.0.0.1:$leader)."
    log "$peer up (HTTP ports ${https[*]}), leader 127.0.0.1:$leader, $ROWS rows loaded"
  fi
}

start_nginx() {
  port_free "$NGINX_PORT" || { log "port $NGINX_PORT busy: skipping nginx"; return 0; }
  mkdir -p "$WORKDIR/nginx/logs" "$WORKDIR/nginx/tmp"
  cat >"$WORKDIR/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORKDIR/nginx/nginx.pid;
error_log $WORKDIR/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_body_temp_path $WORKDIR/nginx/tmp;
  default_type application/json;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { return 200 '{"results":[{}]}'; }
  }
}
EOF
  nginx -p "$WORKDIR/nginx" -c "$WORKDIR/nginx/nginx.conf" -g 'daemon off;' >"$WORKDIR/nginx/out" 2>&1 &
  STARTED_PIDS+=($!)
  if wait_until 10 curl -fsS "http://127.0.0.1:$NGINX_PORT/"; then
    UP[nginx]=1
    PORT[nginx]="$NGINX_PORT"
    log "nginx (1 worker, fixed answer) up on 127.0.0.1:$NGINX_PORT"
  else
    log "nginx did not start: skipping it"
  fi
}

# start_etcd N: N=1 is the single member (peer etcd); N=3 a 3-member cluster (peer etcd-3), driven
# at its leader's client URL as ../shared/peers/etcd.sh does.
start_etcd() {
  local n="$1" peer=etcd i p cluster="" eps="" leader_url dir
  local -a cports=() pports=()
  if ((n == 1)); then
    cports=("$ETCD_PORT") pports=("$ETCD_PEER_PORT")
  else
    peer="etcd-$n"
    for ((i = 0; i < n; i++)); do cports+=($((ETCD3_BASE + i))) pports+=($((ETCD3_BASE + n + i))); done
  fi
  for p in "${cports[@]}" "${pports[@]}"; do
    port_free "$p" || { log "port $p busy: skipping $peer"; return 0; }
  done
  for ((i = 0; i < n; i++)); do
    cluster+="${cluster:+,}n$i=http://127.0.0.1:${pports[i]}"
    eps+="${eps:+,}http://127.0.0.1:${cports[i]}"
  done
  for ((i = 0; i < n; i++)); do
    dir="$WORKDIR/$peer/n$i"
    mkdir -p "$dir"
    etcd --name "n$i" --data-dir "$dir/data" \
      --listen-client-urls "http://127.0.0.1:${cports[i]}" \
      --advertise-client-urls "http://127.0.0.1:${cports[i]}" \
      --listen-peer-urls "http://127.0.0.1:${pports[i]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${pports[i]}" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token "uq-compare-$$-$n" --logger zap --log-level error >"$dir/log" 2>&1 &
    STARTED_PIDS+=($!)
  done
  if ! wait_until 60 env ETCDCTL_API=3 etcdctl --endpoints="$eps" endpoint health; then
    log "$peer not healthy within 60 s: skipping it"
    return 0
  fi
  # The leader's client URL: the endpoint whose member_id is the leader's id.
  leader_url="$(ETCDCTL_API=3 etcdctl --endpoints="$eps" endpoint status -w json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    st = e["Status"]
    if st["header"]["member_id"] == st["leader"]:
        print(e["Endpoint"])
' || true)"
  [[ "$leader_url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || { log "$peer: no leader found: skipping it"; return 0; }
  ETCDCTL_API=3 etcdctl --endpoints="$leader_url" put bench-read-key \
    "$(printf 'v%.0s' $(seq 1 16))" >/dev/null
  UP[$peer]=1
  PORT[$peer]="${leader_url##*:}"
  if ((n == 1)); then
    log "etcd up on 127.0.0.1:$ETCD_PORT ($(etcd --version | head -1))"
  else
    NOTE[$peer]="$peer: $n members on client ports ${cports[*]}, driven at the leader ($leader_url)."
    log "$peer up (client ports ${cports[*]}), leader $leader_url ($(etcd --version | head -1))"
  fi
}

peer_port() { echo "${PORT[$1]}"; }

# run_one WORKLOAD PEER GEN REP UNIT CMD...: runs one bounded measurement, keeps its raw output,
# appends one row to the TSV (rate, p50, p99, errors, generator CPU %).
run_one() {
  local workload="$1" peer="$2" gen="$3" rep="$4" unit="$5"
  shift 5
  local out="$WORKDIR/run.out" tim="$WORKDIR/run.time" parsed cpu
  timeout $((DUR + 40)) /usr/bin/time -f "%U %S %e" -o "$tim" "$@" >"$out" 2>&1 || true
  {
    printf '\n### %s | %s | %s | rep %s | %s\n' "$workload" "$peer" "$gen" "$rep" "$*"
    cat "$out"
  } >>"$RAW"
  parsed="$(python3 "$WORKDIR/stats.py" "parse-$gen" "$out" "$unit")"
  cpu="$(awk '{ if ($3 > 0) printf "%.0f", 100 * ($1 + $2) / $3; else print "nan" }' "$tim" 2>/dev/null || echo nan)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$peer" "$gen" "$rep" "$unit" "$parsed" "$cpu" \
    | tr ' ' '\t' >>"$TSV"
  log "$workload | $peer | $gen | rep $rep: $parsed (rate p50 p99 errors) cpu=${cpu}%"
}

wrk_run() { # WORKLOAD PEER REP CONNS LUA [ENV=VAL...]
  local workload="$1" peer="$2" rep="$3" conns="$4" script="$5"
  shift 5
  run_one "$workload" "$peer" wrk "$rep" "req/s" env "$@" LUA_PATH="$LUA/?.lua;;" \
    wrk --latency -t1 -c"$conns" -d"${DUR}s" -s "$LUA/$script" "http://127.0.0.1:$(peer_port "$peer")"
}

ub_run() { # WORKLOAD PEER REP UNIT uqlite-bench-args...
  local workload="$1" peer="$2" rep="$3" unit="$4"
  shift 4
  run_one "$workload" "$peer" ub "$rep" "$unit" "$UQBENCH" -addr "127.0.0.1:$(peer_port "$peer")" \
    -duration "${DUR}s" -warmup 1s "$@"
}

# One round: every workload on every running peer, once. A peer's name is its kind (uqlited, nginx,
# etcd) plus "-3" for the three-node topology; the case below looks at the kind only.
run_round() {
  local rep="$1" peer kind w
  for w in $WORKLOADS; do
    for peer in $ALL_PEERS; do
      [[ -n "${UP[$peer]:-}" ]] || continue
      kind="${peer%-3}"
      case "$w:$kind" in
        insert:etcd) wrk_run insert "$peer" "$rep" "$CONNS" etcd_put.lua ;;
        insert:*)
          wrk_run insert "$peer" "$rep" "$CONNS" uq_insert.lua
          ub_run insert "$peer" "$rep" "req/s" -mode insert -conns "$CONNS" ;;
        insert-half:uqlited)
          # Open loop at half of this round's closed-loop peak: the p99-at-half-load figure.
          local peak half
          peak="$(awk -F'\t' -v r="$rep" -v p="$peer" '$1 == "insert" && $2 == p && $3 == "ub" && $4 == r { print $6 }' "$TSV" | tail -1)"
          half="$(python3 -c "import sys; p = float(sys.argv[1] or 'nan'); print(int(p / 2) if p == p and p >= 2 else 0)" "$peak")"
          if ((half > 0)); then
            ub_run insert-half "$peer" "$rep" "req/s" -mode insert -conns "$CONNS" -rate "$half"
          else
            log "insert-half: no $peer insert peak in round $rep (run the insert workload first)"
          fi ;;
        query:etcd) wrk_run query "$peer" "$rep" "$CONNS" etcd_range.lua SERIALIZABLE=true ;;
        query:*)
          wrk_run query "$peer" "$rep" "$CONNS" uq_query.lua LEVEL=none ROWS="$ROWS"
          ub_run query "$peer" "$rep" "req/s" -mode query -level none -rows "$ROWS" -conns "$CONNS" ;;
        serial:etcd) wrk_run serial "$peer" "$rep" 1 etcd_put.lua ;;
        serial:*)
          wrk_run serial "$peer" "$rep" 1 uq_insert.lua
          ub_run serial "$peer" "$rep" "req/s" -mode insert -conns 1 ;;
        serial-query:etcd) wrk_run serial-query "$peer" "$rep" 1 etcd_range.lua SERIALIZABLE=true ;;
        serial-query:*)
          wrk_run serial-query "$peer" "$rep" 1 uq_query.lua LEVEL=none ROWS="$ROWS"
          ub_run serial-query "$peer" "$rep" "req/s" -mode query -level none -rows "$ROWS" -conns 1 ;;
        query-weak:uqlited)
          ub_run query-weak "$peer" "$rep" "req/s" -mode query -level weak -rows "$ROWS" -conns "$CONNS" ;;
        query-linearizable:uqlited)
          ub_run query-linearizable "$peer" "$rep" "req/s" -mode query -level linearizable \
            -rows "$ROWS" -conns "$CONNS" ;;
        query-linearizable:etcd)
          wrk_run query-linearizable "$peer" "$rep" "$CONNS" etcd_range.lua SERIALIZABLE=false ;;
        batch-param:uqlited)
          ub_run batch-param "$peer" "$rep" "rows/s" -mode batch -param -batch "$BATCH" -conns 8 ;;
        batch-literal:uqlited)
          ub_run batch-literal "$peer" "$rep" "rows/s" -mode batch -batch "$BATCH" -conns 8 ;;
        queue:uqlited) ub_run queue "$peer" "$rep" "req/s" -mode queue -conns "$CONNS" ;;
      esac
    done
  done
}

write_stats_py() {
  cat >"$WORKDIR/stats.py" <<'PY'
import re, statistics, sys

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}

def to_ms(tok):
    m = re.match(r"^([0-9.]+)(us|ms|s|m)$", tok)
    return float(m.group(1)) * UNIT_MS[m.group(2)] if m else float("nan")

def parse_wrk(path):
    """ok answers/s (non-2xx and Lua-detected error bodies excluded), p50, p99, errors."""
    text = open(path, errors="replace").read()
    def grab(pattern, conv=float, default=float("nan")):
        m = re.search(pattern, text, re.M)
        return conv(m.group(1)) if m else default
    p50 = to_ms(grab(r"^\s+50%\s+(\S+)", str, ""))
    p99 = to_ms(grab(r"^\s+99%\s+(\S+)", str, ""))
    non2xx = grab(r"Non-2xx or 3xx responses: (\d+)", int, 0)
    lua = grab(r"^LUA_ERRORS (\d+)", int, 0)
    sock = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        sock = sum(int(x) for x in m.groups())
    rate = float("nan")
    m = re.search(r"(\d+) requests in ([0-9.]+)(us|ms|s|m)\b", text)
    if m:
        secs = to_ms(m.group(2) + m.group(3)) / 1000.0
        if secs > 0:
            rate = (int(m.group(1)) - non2xx - lua) / secs
    print(f"{rate:.1f} {p50:.3f} {p99:.3f} {non2xx + lua + sock}")

def parse_ub(path, unit):
    kv = {}
    for line in open(path, errors="replace"):
        if line.startswith("mode="):
            kv = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
    if not kv:
        print("nan nan nan nan")
        return
    rate = float(kv["rows_per_s"] if unit == "rows/s" else kv["ok_rps"])
    print(f"{rate:.1f} {float(kv['p50_ms']):.3f} {float(kv['p99_ms']):.3f} {int(kv['errors'])}")

def fmt(x):
    if x != x:
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"

def fmt_ms(x):
    return "n/a" if x != x else (f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 1 else f"{x:.3f}")

def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")

def table(path):
    groups, order = {}, []
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        if len(p) < 10:
            continue
        key = (p[0], p[1], p[2], p[4])
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append([float(p[5]), float(p[6]), float(p[7]), float(p[8]), float(p[9])])
    medians = {k: med([r[0] for r in v]) for k, v in groups.items()}
    print("| workload | peer | generator | unit | median | min–max | p50 ms | p99 ms | errors | gen CPU % | uqlite ÷ peer | runs |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key in order:
        w, peer, gen, unit = key
        rows = groups[key]
        rates = [r[0] for r in rows if r[0] == r[0]]
        lo, hi = (min(rates), max(rates)) if rates else (float("nan"), float("nan"))
        ratio = "–"
        if not peer.startswith("uqlited"):
            def uq_ratio(uq_peer):
                uq = None
                for g in (gen, "wrk", "ub"):  # same generator first, then whichever uqlited has
                    if uq is None:
                        uq = medians.get((w, uq_peer, g, unit))
                if uq is not None and uq == uq and medians[key] > 0:
                    return f"{uq / medians[key]:.2f}"
                return None
            if peer == "nginx":  # single in every topology: against each uqlited topology
                parts = [(label, uq_ratio(p)) for label, p in (("1n", "uqlited"), ("3n", "uqlited-3"))]
                parts = [(label, r) for label, r in parts if r is not None]
                if [label for label, _ in parts] == ["1n"]:
                    ratio = parts[0][1]
                elif parts:
                    ratio = ", ".join(f"{label} {r}" for label, r in parts)
            else:  # the same topology: etcd against uqlited, etcd-3 against uqlited-3
                ratio = uq_ratio("uqlited-3" if peer.endswith("-3") else "uqlited") or "–"
        errs = int(sum(r[3] for r in rows if r[3] == r[3]))
        cpu = med([r[4] for r in rows])
        gen_name = "uqlite-bench" if gen == "ub" else "wrk -t1"
        print(f"| {w} | {peer} | {gen_name} | {unit} | {fmt(medians[key])} | {fmt(lo)}–{fmt(hi)} | "
              f"{fmt_ms(med([r[1] for r in rows]))} | {fmt_ms(med([r[2] for r in rows]))} | {errs} | "
              f"{'n/a' if cpu != cpu else f'{cpu:.0f}'} | {ratio} | {len(rows)} |")

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "parse-wrk":
        parse_wrk(sys.argv[2])
    elif cmd == "parse-ub":
        parse_ub(sys.argv[2], sys.argv[3])
    elif cmd == "table":
        table(sys.argv[2])
PY
}

main() {
  local t
  for t in $TOPOLOGY; do
    [[ "$t" == 1 || "$t" == 3 ]] || { log "TOPOLOGY holds 1 and/or 3, not '$t'"; exit 2; }
  done
  need_pkgs wrk nginx-light etcd-server etcd-client curl time python3-minimal iproute2
  if [[ ! -x "$UQBENCH" ]]; then
    log "uqlite-bench not found at $UQBENCH; build it first:"
    log "  cmake -S $REPO -B $BUILD_DIR -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD_DIR --target uqlite-bench"
    exit 1
  fi
  mkdir -p "$OUT_DIR"
  WORKDIR="$(mktemp -d /var/tmp/uq-compare.XXXXXX)"
  write_stats_py
  : >"$TSV"
  {
    echo "# bench/compare.sh $STAMP: REPS=$REPS DUR=$DUR CONNS=$CONNS ROWS=$ROWS BATCH=$BATCH"
    echo "# workloads: $WORKLOADS; peers: $PEERS; topologies: $TOPOLOGY"
    echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); kernel $(uname -r)"
    echo "# uqlite $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$RAW"
  LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
  if has "$TOPOLOGY" 1; then
    has "$PEERS" uqlited && start_uqlited 1
  fi
  has "$PEERS" nginx && start_nginx  # one nginx whatever the topologies
  if has "$TOPOLOGY" 1; then
    has "$PEERS" etcd && start_etcd 1
  fi
  if has "$TOPOLOGY" 3; then
    has "$PEERS" uqlited && start_uqlited 3
    has "$PEERS" etcd && start_etcd 3
  fi
  ((${#UP[@]} > 0)) || { log "no peer is running: nothing to measure"; exit 1; }
  local rep
  for rep in $(seq 1 "$REPS"); do
    log "round $rep of $REPS"
    run_round "$rep"
  done
  {
    echo "## uqlite vs peers on 127.0.0.1 ($STAMP, REPS=$REPS, ${DUR}s per run, c=$CONNS unless serial)"
    echo
    python3 "$WORKDIR/stats.py" table "$TSV"
    echo
    echo "Rates are successful answers (rows for batch workloads) per second; median and min–max over"
    echo "the runs. uqlite ÷ peer compares uqlited's median with the same generator (else with"
    echo "whichever uqlited row the workload has) in the same topology: etcd against uqlited (one"
    echo "node), etcd-3 against uqlited-3 (three nodes); nginx is single and is compared with each"
    echo "uqlited topology measured (1n, 3n). query and serial-query: uqlited/nginx at"
    echo "level=none, etcd serializable range; query-linearizable: etcd linearizable range."
    echo "gen CPU %: the load generator's own CPU, of one core (2 cores = 200 % for the machine)."
    echo "Machine load average (1, 5, 15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "(on 2 cores, anything much above 2 means other work shared the CPUs: trust ratios, not absolutes)."
    if has "$PEERS" uqlited; then
      has "$TOPOLOGY" 1 && { [[ -n "${UP[uqlited]:-}" ]] || echo "uqlited: skipped (binary absent or not ready)."; }
      has "$TOPOLOGY" 3 && { [[ -n "${UP[uqlited-3]:-}" ]] || echo "uqlited-3: skipped (binary absent or not ready)."; }
    fi
    local peer
    for peer in $ALL_PEERS; do
      [[ -z "${NOTE[$peer]:-}" ]] || echo "${NOTE[$peer]}"
    done
  } >"$TABLE"
  cat "$TABLE"
  log "raw outputs: $RAW; table: $TABLE; rows: $TSV"
}

main "$@"
