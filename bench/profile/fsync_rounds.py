#!/usr/bin/env python3
"""Raft WAL rounds of a uqlited node, from io_uring tracepoints.

Usage: perf record -e io_uring:io_uring_submit_req,io_uring:io_uring_complete -p PID -- sleep 3
       perf script | python3 fsync_rounds.py [REQUESTS_PER_S]

Pairs each IORING_OP_FSYNC submission with its completion (by user_data) and prints how many
rounds ran per second, their latency (submit to completion, i.e. the disk's fdatasync as the ring
sees it), the gap between successive submissions, and with the client's request rate how many
requests one round carried.
"""
import re
import statistics
import sys

pending, lat, starts, ends = {}, [], [], []
pat = re.compile(r"\s([0-9.]+):\s+io_uring:(\w+):.*?user_data (0x[0-9a-f]+)(?:, opcode (\w+))?")
for line in sys.stdin:
    m = pat.search(line)
    if not m:
        continue
    t, ev, ud, op = float(m.group(1)), m.group(2), m.group(3), m.group(4)
    if ev == "io_uring_submit_req" and op == "FSYNC":
        pending[ud] = t
        starts.append(t)
    elif ev == "io_uring_complete" and ud in pending:
        lat.append((t - pending.pop(ud)) * 1e6)
        ends.append(t)
if len(starts) < 2 or not lat:
    sys.exit("no fsync rounds in the trace")
lat.sort()
span = starts[-1] - starts[0]
rate = len(starts) / span
q = lambda xs, f: xs[min(len(xs) - 1, int(len(xs) * f))]
print(f"fsync rounds: {len(starts)} in {span:.2f} s = {rate:.0f}/s")
print(f"fsync latency us: p50 {q(lat, .5):.0f} p90 {q(lat, .9):.0f} p99 {q(lat, .99):.0f} "
      f"mean {statistics.mean(lat):.0f}; disk busy {100 * sum(lat) / 1e6 / span:.0f}% of the time")
gaps = sorted((b - a) * 1e6 for a, b in zip(starts, starts[1:]))
print(f"gap between round starts us: p50 {q(gaps, .5):.0f} mean {statistics.mean(gaps):.0f}")
# From one round's completion to the next round's submission: the disk is idle meanwhile (the
# raft core keeps one round in flight), though requests may be waiting.
idle = sorted(max(0.0, (s - e) * 1e6) for e, s in zip(ends, starts[1:]))
print(f"disk idle between a round's end and the next start us: p50 {q(idle, .5):.0f} "
      f"mean {statistics.mean(idle):.0f}")
if len(sys.argv) > 1:
    print(f"requests per round: {float(sys.argv[1]) / rate:.1f}")
