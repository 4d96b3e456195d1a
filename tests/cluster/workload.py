"""Client workload shared by the kill and power-loss tests: threads that insert rows with unique
values and operate on one key register, recording what was acknowledged, and the end-of-run
checks (every acknowledged row exactly once on every node, identical content, linearizable
register history through uq-lincheck).

Each Writer thread owns its own HTTP clients; the Recorder is the only shared state (one lock).

How an outcome is classified (it decides what the checks may assume):
- 200 without an error anywhere: acknowledged (row must exist; register op returned).
- connection refused: never sent, nothing recorded.
- 503/500 "leader not found": the receiving node knew no leader and proposed nothing (spec §3.9),
  so the request was definitely not applied: the op is dropped.
- anything else (timeout, reset, envelope error, other status): unknown. A row is then neither
  required nor forbidden; a register write is recorded as never returned (it may have been
  applied at any later point); a read is dropped.
"""
import collections
import hashlib
import http.client
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

import harness

CREATE = ["CREATE TABLE t (v integer not null)",
          "CREATE TABLE kv (k integer primary key, v integer not null)",
          "INSERT INTO kv(k, v) VALUES(1, 0)"]
REGISTER_KEY = "kv1"
CLIENT_TIMEOUT = 5.0

ACKED, NOT_SENT, NOT_APPLIED, UNKNOWN = "acked", "not-sent", "not-applied", "unknown"


def classify(send):
    """Runs send() -> Response and classifies it (see the module comment)."""
    try:
        r = send()
    except ConnectionRefusedError:
        return NOT_SENT, None
    except (OSError, http.client.HTTPException) as e:
        return UNKNOWN, e
    if r.status in (500, 503) and r.text == "leader not found\n":
        return NOT_APPLIED, r
    if r.status != 200:
        return UNKNOWN, r
    try:
        body = r.json()
    except ValueError:
        return UNKNOWN, r
    if "error" in body or any("error" in res for res in body.get("results", [])):
        return UNKNOWN, r
    return ACKED, r


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked_rows = []
        self.unknown_rows = []
        self.register_ops = []  # (kind, value, call_ns, ret_ns or None)
        self.outcomes = collections.Counter()
        self.values = itertools.count(1)

    def next_value(self):
        with self.lock:
            return next(self.values)

    def count(self, what, outcome):
        with self.lock:
            self.outcomes[f"{what}:{outcome}"] += 1


class Writer(threading.Thread):
    """Until `stop` is set: inserts rows (60%), writes the register (20%), reads it at
    linearizable or strong (20%), each to a random node of `nodes`."""

    def __init__(self, index, nodes, recorder, stop, register=True, seed=0):
        super().__init__(name=f"writer-{index}", daemon=True)
        self.nodes = nodes
        self.recorder = recorder
        self.stop = stop
        self.register = register
        self.rng = random.Random(seed)
        self.clients = {}
        self.error = None

    def client(self, node):
        if node.id not in self.clients:
            self.clients[node.id] = node.new_client(timeout=CLIENT_TIMEOUT)
        return self.clients[node.id]

    def run(self):
        try:
            while not self.stop.is_set():
                node = self.rng.choice(self.nodes)
                dice = self.rng.random()
                if not self.register or dice < 0.6:
                    outcome = self.insert(node)
                elif dice < 0.8:
                    outcome = self.write_register(node)
                else:
                    outcome = self.read_register(node)
                if outcome != ACKED:
                    stale = self.clients.pop(node.id, None)
                    if stale is not None:
                        stale.close()
                    time.sleep(0.1)  # let an election finish instead of spinning
        except BaseException as e:  # reported by the test after join()
            self.error = e
        finally:
            for c in self.clients.values():
                c.close()

    def insert(self, node):
        v = self.recorder.next_value()
        outcome, _ = classify(lambda: self.client(node).execute(
            [["INSERT INTO t(v) VALUES(?)", v]], retry_stale=False))
        self.recorder.count("insert", outcome)
        with self.recorder.lock:
            if outcome == ACKED:
                self.recorder.acked_rows.append(v)
            elif outcome == UNKNOWN:
                self.recorder.unknown_rows.append(v)
        return outcome

    def write_register(self, node):
        v = self.recorder.next_value()
        call = time.monotonic_ns()
        outcome, r = classify(lambda: self.client(node).execute(
            [["UPDATE kv SET v=? WHERE k=1", v]], retry_stale=False))
        ret = time.monotonic_ns()
        if outcome == ACKED and r.json()["results"][0].get("rows_affected") != 1:
            raise AssertionError(f"register update touched no row: {r!r}")
        self.recorder.count("register-write", outcome)
        if outcome in (ACKED, UNKNOWN):
            with self.recorder.lock:
                self.recorder.register_ops.append(("w", v, call, ret if outcome == ACKED else None))
        return outcome

    def read_register(self, node):
        level = self.rng.choice(["linearizable", "strong"])
        call = time.monotonic_ns()
        outcome, r = classify(lambda: self.client(node).query(
            ["SELECT v FROM kv WHERE k=1"], level=level, retry_stale=False))
        ret = time.monotonic_ns()
        self.recorder.count(f"register-read-{level}", outcome)
        if outcome == ACKED:
            values = r.json()["results"][0].get("values")
            if not values or len(values) != 1:
                raise AssertionError(f"register read returned {r!r}")
            with self.recorder.lock:
                self.recorder.register_ops.append(("r", values[0][0], call, ret))
        return outcome


def run_writers(nodes, recorder, stop, count=4, register=True):
    writers = [Writer(i, nodes, recorder, stop, register, seed=random.getrandbits(32))
               for i in range(count)]
    for w in writers:
        w.start()
    return writers


def join_writers(writers):
    for w in writers:
        w.join(CLIENT_TIMEOUT * 3)
        if w.is_alive():
            raise AssertionError(f"{w.name} did not stop within {CLIENT_TIMEOUT * 3} s")
        if w.error is not None:
            raise w.error


def node_contents(node):
    rows_t = harness.rows(node.query(["SELECT * FROM t ORDER BY v"], level="none", timeout=30))
    rows_kv = harness.rows(node.query(["SELECT * FROM kv ORDER BY k"], level="none", timeout=30))
    return [r[0] for r in rows_t], rows_kv


def check_converged(cluster, nodes, recorder, timeout=harness.LEADER_TIMEOUT):
    """Waits until all nodes sit at one stable applied index and read them all at level=none;
    then requires every acknowledged row exactly once on every node and identical content.
    Returns the per-node contents."""
    deadline = time.monotonic() + timeout
    while True:
        index = cluster.wait_same_applied(nodes, timeout=max(1.0, deadline - time.monotonic()))
        contents = {n.id: node_contents(n) for n in nodes}
        if all(n.applied_index() == index for n in nodes):
            break
        if time.monotonic() > deadline:
            raise AssertionError("applied index kept moving while the content was read")
    problems = []
    acked = set(recorder.acked_rows)
    for node_id, (values, _) in contents.items():
        counts = collections.Counter(values)
        missing = [v for v in recorder.acked_rows if counts[v] == 0]
        doubled = [v for v in recorder.acked_rows if counts[v] > 1]
        if missing:
            problems.append(f"node {node_id}: {len(missing)} acknowledged rows missing, "
                            f"e.g. {missing[:10]}")
        if doubled:
            problems.append(f"node {node_id}: {len(doubled)} acknowledged rows applied twice, "
                            f"e.g. {doubled[:10]}")
        unexpected = [v for v in counts if counts[v] > 1 and v not in acked]
        if unexpected:
            print(f"warning: node {node_id}: unacknowledged rows applied twice: {unexpected[:10]}",
                  file=sys.stderr)
    digests = {node_id: hashlib.sha256(json.dumps(c).encode()).hexdigest()[:16]
               for node_id, c in contents.items()}
    if len(set(digests.values())) != 1:
        problems.append(f"nodes at applied index {index} differ: {digests}")
    if problems:
        raise AssertionError("\n".join(problems))
    print(f"converged at applied index {index}: {len(recorder.acked_rows)} acknowledged rows, "
          f"{len(recorder.unknown_rows)} unknown, content digest {digests.popitem()[1]}",
          file=sys.stderr)
    return contents


def check_register_linearizable(recorder, root):
    """Writes the register history for uq-lincheck (one op per line) and runs it."""
    tool = os.environ.get("UQ_LINCHECK")
    if not tool:
        raise AssertionError("set UQ_LINCHECK to the uq-lincheck binary")
    path = os.path.join(root, "register-history.txt")
    with open(path, "w") as f:
        f.write("# key kind value call_ns ret_ns|- (uq-lincheck input)\n")
        for kind, value, call, ret in recorder.register_ops:
            f.write(f"{REGISTER_KEY} {kind} {value} {call} {'-' if ret is None else ret}\n")
    p = subprocess.run([tool, path], capture_output=True, timeout=120)
    out = (p.stdout + p.stderr).decode().strip()
    print(f"uq-lincheck: {out}", file=sys.stderr)
    if p.returncode != 0:
        kept = f"/tmp/uq-register-history-{os.getpid()}.txt"
        shutil.copy(path, kept)
        raise AssertionError(f"register history fails the checker ({out}); history in {kept}")
