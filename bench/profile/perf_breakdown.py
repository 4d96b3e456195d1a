#!/usr/bin/env python3
"""Per-request CPU of a uqlited run, by thread role and component, from a perf profile.

Usage: perf script -i perf.data -F comm,tid,period,ip,sym,dso | python3 perf_breakdown.py REQUESTS

The profile must be taken with cpu-clock samples and DWARF call chains on the server process
(bench/profile/profile.sh does it), and REQUESTS is how many requests the server answered while
perf recorded. Each sample is attributed to one thread role (from the frames of its chain) and to
the first component rule that matches, in the order of RULES below: so malloc/free called from
SQLite counts as malloc/free, a fcntl lock taken inside sqlite3_step counts as fcntl, and the rest
of sqlite3_step as "SQLite step". Prints microseconds of CPU per request, and shares.
"""
import collections
import re
import sys

MALLOC = re.compile(r"^(__GI___libc_malloc|malloc|_int_malloc|_int_free|cfree|free|__libc_free|"
                    r"malloc_consolidate|unlink_chunk|tcache_|_int_realloc|realloc|"
                    r"__libc_calloc|calloc|operator new|operator delete|sysmalloc|"
                    r"__GI___libc_free|__GI___libc_realloc)")

# (component, test over the chain: list of symbols, leaf first)
RULES = [
    ("polling for a hand-off (-handoff-poll)", lambda c: any(s.startswith(("uq::sql::Database::poll_for_reads", "uq::core::Reactor::poll_for_reply", "uq::core::HandoffPoller")) for s in c)),
    ("scheduler (blocking, switch)", lambda c: any(s in ("__schedule", "schedule", "finish_task_switch.isra.0", "io_cqring_wait") for s in c)),
    ("malloc/free", lambda c: any(MALLOC.match(s) for s in c[:3])),
    ("fcntl locks (SQLite)", lambda c: any("fcntl" in s for s in c)),
    ("mutex/condvar/futex", lambda c: any(s.startswith(("pthread_", "__pthread", "__GI___pthread", "lll_", "__GI___lll", "futex", "__futex", "do_futex", "__x64_sys_futex", "std::condition_variable")) for s in c)),
    ("eventfd wake (post to reactor)", lambda c: any(s == "uq::core::Reactor::wake" or "eventfd" in s for s in c)),
    ("SQLite prepare", lambda c: any(s.startswith(("sqlite3_prepare", "sqlite3LockAndPrepare", "sqlite3RunParser")) for s in c)),
    ("SQLite step/reset", lambda c: any(s.startswith(("sqlite3_step", "sqlite3_reset", "sqlite3_finalize", "sqlite3_exec", "sqlite3_clear_bindings", "sqlite3_bind", "sqlite3_column", "sqlite3_changes", "sqlite3_last_insert")) for s in c)),
    ("statement cache", lambda c: any(s.startswith(("uq::sql::Connection::prepare", "uq::sql::Connection::release")) for s in c)),
    ("JSON encode", lambda c: any(s.startswith(("uq::core::JsonWriter", "uq::sql::write_", "uq::sql::finish_envelope", "uq::sql::begin_envelope")) for s in c)),
    ("JSON parse", lambda c: any("simdjson" in s or s.startswith("uq::sql::parse_request") for s in c)),
    ("SQL rewrite/inspect", lambda c: any(s.startswith("uq::sql::rewrite") for s in c)),
    ("WAL (raft log) write", lambda c: any(s.startswith("uq::wal") for s in c)),
    ("raft core", lambda c: any(s.startswith(("uq::raft", "uq::server::Store")) for s in c)),
    ("kernel TCP/loopback", lambda c: any(s.startswith(("tcp_", "sock_", "ip_", "__dev_queue", "net_rx", "inet_", "__tcp", "skb_", "__netif", "process_backlog", "loopback_")) for s in c)),
    ("HTTP parse/encode", lambda c: any(s.startswith(("llhttp", "uq::net::Http", "uq::net::http")) for s in c)),
    ("io_uring (submit/complete)", lambda c: any("io_uring" in s or s.startswith(("io_", "__io_")) for s in c)),
    ("syscall entry/exit (other)", lambda c: any(s in ("do_syscall_64", "entry_SYSCALL_64_after_hwframe") for s in c)),
]


def role(comm, chain):
    if comm.startswith("iou-wrk"):
        return "io_uring worker (blocking I/O: fdatasync)"
    for s in reversed(chain):  # root first
        if s.startswith("uq::sql::Database::reader_main"):
            return "reader"
        if s.startswith("uq::sql::Database::apply_main"):
            return "apply"
    for s in chain:
        if s.startswith(("uq::raft", "uq::server::Store", "uq::wal")):
            return "reactor (raft core work)"
    for s in reversed(chain):
        if s.startswith("uq::core::Reactor::run"):
            return "reactor"
    return "other"


def samples(stream):
    head, chain = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if head is not None:
                yield head, chain
            head, chain = None, []
            continue
        m = re.match(r"^\s*(\S+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            head = (m.group(1), int(m.group(3)))
            chain = []
            continue
        m = re.match(r"^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$", line)
        if m:
            sym = m.group(1)
            if sym == "[unknown]":
                sym = "[unknown " + m.group(2).rsplit("/", 1)[-1] + "]"
            chain.append(sym.replace(" (inlined)", ""))
    if head is not None:
        yield head, chain


def main():
    requests = float(sys.argv[1])
    by = collections.defaultdict(float)
    roles = collections.defaultdict(float)
    comps = collections.defaultdict(float)
    total = 0.0
    for (comm, period), chain in samples(sys.stdin):
        us = period / 1000.0
        r = role(comm, chain)
        comp = next((name for name, test in RULES if test(chain)), "other user code")
        if comp == "other user code" and chain and chain[0].startswith("[unknown libsqlite3"):
            comp = "SQLite step/reset"
        by[(r, comp)] += us
        roles[r] += us
        comps[comp] += us
        total += us
    print(f"CPU per request: {total / requests:.1f} us over {requests:.0f} requests")
    print("\n| thread role | us/request | share |\n|---|---:|---:|")
    for r, us in sorted(roles.items(), key=lambda kv: -kv[1]):
        print(f"| {r} | {us / requests:.2f} | {100 * us / total:.0f}% |")
    print("\n| component | us/request | share | by role |\n|---|---:|---:|---|")
    for c, us in sorted(comps.items(), key=lambda kv: -kv[1]):
        parts = ", ".join(f"{r} {by[(r, c)] / requests:.2f}" for r in sorted(roles, key=lambda x: -roles[x]) if by[(r, c)] > 0)
        print(f"| {c} | {us / requests:.2f} | {100 * us / total:.0f}% | {parts} |")


if __name__ == "__main__":
    main()
