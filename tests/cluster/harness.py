"""Multi-process cluster harness for uqlited (Python 3 standard library only).

Owns: the uqlited processes a test starts (and only those: every stop is by PID), their temporary
data directories and log files, and keep-alive HTTP clients to them. Single-threaded API except
`Client`, of which each thread must own its own instances.

Guarantees: every wait is bounded in time and fails with a message that names what it waited for
and the last thing it saw; when a `Cluster` block exits with an error, the tail of every node's
log is printed; data directories are removed at the end unless UQ_KEEP=1.

The binary is taken from the environment variable UQLITED. A build that refuses a cluster flag
(-join, -bootstrap-expect, -raft-non-voter: "... is not supported by this build of uqlited yet")
fails the test, unless UQ_CLUSTER_OPTIONAL=1 turns that into a skip (exit code 77 when every test
of a script was skipped), for builds made before clustering.
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

KEEP = os.environ.get("UQ_KEEP") == "1"
CLUSTER_OPTIONAL = os.environ.get("UQ_CLUSTER_OPTIONAL") == "1"
SKIP_RETURN_CODE = 77
UNSUPPORTED_MARKER = "is not supported by this build of uqlited yet"

# Bounds shared by the tests (seconds). Generous: the CI machine has 2 cores shared by many jobs.
START_TIMEOUT = 20.0
LEADER_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 15.0


def binary():
    path = os.environ.get("UQLITED")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set UQLITED to the uqlited binary "
                           "(ctest passes $<TARGET_FILE:uqlited>)")
    return path


_handed_out_ports = set()


def free_port(host="127.0.0.1"):
    """A port the kernel just gave us for `host` (bound to 0 and released), never the same twice
    in one process. Another process may still take it before the node binds; rare enough."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in _handed_out_ports:
            _handed_out_ports.add(port)
            return port
    raise RuntimeError("could not find a free port in 100 attempts")


def wait_until(what, predicate, timeout, interval=0.05):
    """Calls predicate() until it returns a value other than None/False, at most `timeout` s.
    Exceptions count as "not yet" (the last one is reported)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value is not None and value is not False:
                return value
            last = value
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}; "
                                 f"last: {last!r}")
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.text[:300]!r}>"


class Client:
    """One keep-alive HTTP/1.1 connection to host:port. Redirects are never followed. Not
    thread-safe: one per thread."""

    def __init__(self, addr, timeout=REQUEST_TIMEOUT):
        host, port = addr.rsplit(":", 1)
        self.host = host
        self.port = int(port)
        self.timeout = timeout
        self.conn = None
        self.used = False  # whether `conn` already carried a request (may be stale)

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, method, path, body=None, headers=None, timeout=None, retry_stale=True,
                follow_redirects=0):
        """Sends one request. With retry_stale, a request that fails on a reused connection
        before any response arrived is sent once more on a fresh one (the server may have closed
        an idle connection). Tests that count applications pass retry_stale=False.
        follow_redirects=N re-sends the same request to the Location of up to N 301/302/307/308
        answers (on a fresh connection to that host) and returns the last answer."""
        resp = self._request_once(method, path, body, headers, timeout, retry_stale)
        for _ in range(follow_redirects):
            location = resp.header("Location")
            if resp.status not in (301, 302, 307, 308) or not location:
                break
            target = urllib.parse.urlsplit(location)
            hop = Client(target.netloc, timeout or self.timeout)
            try:
                resp = hop._request_once(method, target.path + ("?" + target.query if
                                                                target.query else ""),
                                         body, headers, timeout, retry_stale)
            finally:
                hop.close()
        return resp

    def _request_once(self, method, path, body, headers, timeout, retry_stale):
        if isinstance(body, (list, dict)):
            body = json.dumps(body)
            headers = dict(headers or {})
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        timeout = timeout or self.timeout
        for attempt in range(2):
            reused = self.conn is not None and self.used
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                self.used = False
            else:
                self.conn.timeout = timeout
                if self.conn.sock is not None:
                    self.conn.sock.settimeout(timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                self.used = True
                r = self.conn.getresponse()
                data = r.read()
                resp = Response(r.status, r.getheaders(), data)
                if r.will_close:
                    self.close()
                return resp
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if not (retry_stale and reused and attempt == 0):
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def execute(self, statements, params="", **kw):
        return self.post("/db/execute" + _query_string(params), statements, **kw)

    def query(self, statements, level=None, params="", **kw):
        p = params
        if level is not None:
            p = f"level={level}" + ("&" + params if params else "")
        return self.post("/db/query" + _query_string(p), statements, **kw)


def _query_string(params):
    return "?" + params if params else ""


def rows(resp):
    """The `values` of the first result of a 200 data-API answer (AssertionError otherwise)."""
    if resp.status != 200:
        raise AssertionError(f"expected 200, got {resp!r}")
    body = resp.json()
    if "error" in body:
        raise AssertionError(f"envelope error: {resp!r}")
    result = body["results"][0]
    if "error" in result:
        raise AssertionError(f"statement error: {resp!r}")
    return result.get("values", [])


# Prefix that makes a node die (SIGKILL) when the test process that started it dies, e.g. killed
# by ctest's timeout, so that no node outlives its test. setpriv execs the command (same PID). A
# preexec_fn would do the same but is unsafe while the workload threads run.
_DIE_WITH_PARENT = (["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else [])


class NodeExited(AssertionError):
    pass


class Node:
    """One uqlited process: its flags, ports, data directory and log survive restarts."""

    def __init__(self, cluster, node_id, http_addr, raft_addr, client_addr=None, wrap=None):
        self.cluster = cluster
        self.id = str(node_id)
        self.http_addr = http_addr          # what the node binds/advertises for HTTP
        self.raft_addr = raft_addr          # what the node binds/advertises for Raft
        self.client_addr = client_addr or http_addr  # where this test reaches its HTTP API
        self.wrap = list(wrap or [])        # command prefix, e.g. ["ip", "netns", "exec", ns]
        self.http_bind = None               # bind address when it differs from http_addr
        self.dir = os.path.join(cluster.root, f"node{self.id}")
        self.log_path = os.path.join(cluster.root, f"node{self.id}.log")
        self.flags = []
        self.env = {}
        self.proc = None
        self.starts = 0
        self._client = None

    # --- process control ------------------------------------------------------------------------
    def command(self):
        http = ["-http-addr", self.http_addr]
        if self.http_bind:
            http = ["-http-addr", self.http_bind, "-http-adv-addr", self.http_addr]
        return (self.wrap + [self.cluster.binary, "-node-id", self.id] + http +
                ["-raft-addr", self.raft_addr] + self.flags + [self.dir])

    def start(self):
        assert not self.running(), f"node {self.id} is already running"
        self.starts += 1
        env = dict(os.environ)
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            log.write(f"=== start #{self.starts}: {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(_DIE_WITH_PARENT + self.command(), stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env)
        self.close_client()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL if the node has not exited within `timeout`. Returns the exit
        code (negative: killed by that signal)."""
        self.close_client()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                self._log_note(f"did not exit within {timeout} s of SIGTERM: SIGKILLed")
        return self.proc.returncode

    def kill(self):
        """SIGKILL (kill -9) and reap."""
        self.close_client()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
        return self.proc.returncode if self.proc else None

    def restart(self, hard=False):
        self.kill() if hard else self.stop()
        return self.start()

    def _log_note(self, text):
        with open(self.log_path, "ab") as log:
            log.write(f"=== harness: {text}\n".encode())

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=40):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def check_alive(self):
        """Raises NodeExited (or SkipTest when the binary refuses a cluster flag) if the process
        has exited."""
        if self.proc is None or self.proc.poll() is None:
            return
        log = self.log_text()
        if UNSUPPORTED_MARKER in log and CLUSTER_OPTIONAL:
            line = next(x for x in log.splitlines() if UNSUPPORTED_MARKER in x)
            raise unittest.SkipTest(f"UQ_CLUSTER_OPTIONAL=1 and uqlited says {line.strip()!r}")
        raise NodeExited(f"node {self.id} exited with {self.proc.returncode}:\n{self.log_tail()}")

    # --- HTTP ----------------------------------------------------------------------------------
    @property
    def client(self):
        """The main thread's keep-alive client to this node."""
        if self._client is None:
            self._client = Client(self.client_addr)
        return self._client

    def close_client(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def new_client(self, timeout=REQUEST_TIMEOUT):
        return Client(self.client_addr, timeout)

    def status(self):
        r = self.client.get("/status", timeout=5)
        if r.status != 200:
            raise AssertionError(f"/status on node {self.id}: {r!r}")
        return r.json()

    def store(self):
        return self.status()["store"]

    def leader_id(self):
        return self.store()["leader"]["node_id"]

    def applied_index(self):
        return int(self.store()["raft"]["applied_index"])

    def raft_state(self):
        return self.store()["raft"]["state"]

    def execute(self, statements, params="", **kw):
        return self.client.execute(statements, params, **kw)

    def query(self, statements, level=None, params="", **kw):
        return self.client.query(statements, level, params, **kw)

    def wait_ready(self, timeout=START_TIMEOUT, noleader=False):
        path = "/readyz?noleader" if noleader else "/readyz"

        def ready():
            self.check_alive()
            return self.client.get(path, timeout=2).status == 200
        wait_until(f"node {self.id} {path} to answer 200", ready, timeout)
        return self

    def __repr__(self):
        return f"node{self.id}(http={self.http_addr}, raft={self.raft_addr})"


class Cluster:
    """A set of nodes on 127.0.0.1 (or on addresses a subclass gives) in one temp directory.
    Use as a context manager: on an error the tail of every node's log is printed, then every
    node this harness started is stopped by PID."""

    def __init__(self, name="cluster", binary_path=None):
        self.binary = binary_path or binary()
        self.root = tempfile.mkdtemp(prefix=f"uq-{name}-")
        self.nodes = {}

    # --- building ------------------------------------------------------------------------------
    def plan(self, count, first_id=1):
        """Creates `count` nodes with fresh ports, without starting them (so a bootstrap-expect
        join list can name every Raft address first)."""
        made = []
        for i in range(first_id, first_id + count):
            made.append(self.new_node(i))
        return made

    def new_node(self, node_id):
        node = Node(self, node_id, f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}")
        self.nodes[node.id] = node
        return node

    def start_bootstrap_expect(self, count, first_id=1, extra_flags=(), env=None):
        """`count` voters, all with -bootstrap-expect count and the same -join list of their Raft
        addresses. Returns the nodes (started, not yet waited for)."""
        nodes = self.plan(count, first_id)
        join = ",".join(n.raft_addr for n in nodes)
        for n in nodes:
            n.flags = ["-bootstrap-expect", str(count), "-join", join] + list(extra_flags)
            n.env = dict(env or {})
            n.start()
        return nodes

    def start_node(self, node_id, join=None, non_voter=False, extra_flags=(), env=None):
        """One node; `join` is a node (or list of nodes) whose Raft address(es) it joins."""
        node = self.new_node(node_id)
        if join is not None:
            targets = join if isinstance(join, (list, tuple)) else [join]
            node.flags += ["-join", ",".join(t.raft_addr for t in targets)]
        if non_voter:
            node.flags.append("-raft-non-voter")
        node.flags += list(extra_flags)
        node.env = dict(env or {})
        return node.start()

    # --- waiting -------------------------------------------------------------------------------
    def running(self, nodes=None):
        return [n for n in (nodes or self.nodes.values()) if n.running()]

    def wait_ready(self, nodes=None, timeout=START_TIMEOUT):
        for n in nodes or self.running():
            n.wait_ready(timeout)

    def wait_leader(self, nodes=None, timeout=LEADER_TIMEOUT, exclude=None):
        """Waits until every given node (default: all running) reports the same non-empty
        store.leader.node_id, that node is one of ours, running, and says it is Leader.
        `exclude`: a node that must not be the answer (e.g. one just deposed)."""
        nodes = list(nodes or self.running())

        def agreed():
            ids = set()
            for n in nodes:
                n.check_alive()
                ids.add(n.leader_id())
            if len(ids) != 1 or "" in ids:
                return None
            leader = self.nodes.get(ids.pop())
            if leader is None or not leader.running() or leader is exclude:
                return None
            return leader if leader.raft_state() == "Leader" else None
        return wait_until(f"one leader agreed by nodes {[n.id for n in nodes]}", agreed, timeout,
                          interval=0.1)

    def wait_applied(self, index, nodes=None, timeout=LEADER_TIMEOUT):
        """Waits until every given node has store.raft.applied_index >= index."""
        nodes = list(nodes or self.running())

        def caught_up():
            lagging = {}
            for n in nodes:
                n.check_alive()
                applied = n.applied_index()
                if applied < index:
                    lagging[n.id] = applied
            return True if not lagging else None
        wait_until(f"applied_index >= {index} on nodes {[n.id for n in nodes]}", caught_up, timeout)

    def wait_same_applied(self, nodes=None, timeout=LEADER_TIMEOUT):
        """Waits until every given node reports the same applied_index twice in a row, 200 ms
        apart (nothing left in flight). Returns that index."""
        nodes = list(nodes or self.running())
        seen = {"last": None}

        def settled():
            indexes = {n.id: n.applied_index() for n in nodes}
            values = set(indexes.values())
            previous, seen["last"] = seen["last"], indexes
            return next(iter(values)) if len(values) == 1 and previous == indexes else None
        return wait_until(f"one stable applied_index on nodes {[n.id for n in nodes]}", settled,
                          timeout, interval=0.2)

    def followers(self, leader, nodes=None):
        return [n for n in (nodes or self.running()) if n is not leader]

    # --- teardown ------------------------------------------------------------------------------
    def dump_logs(self, lines=40):
        for n in self.nodes.values():
            print(f"\n----- tail of {n!r} log ({n.log_path}) -----", file=sys.stderr)
            print(n.log_tail(lines), file=sys.stderr)
        sys.stderr.flush()

    def stop_all(self):
        for n in self.nodes.values():
            try:
                n.stop()
            except Exception as e:  # keep stopping the others
                print(f"stopping {n!r}: {e!r}", file=sys.stderr)

    def close(self):
        self.stop_all()
        if KEEP:
            print(f"UQ_KEEP=1: leaving {self.root}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not issubclass(exc_type, unittest.SkipTest):
            self.dump_logs()
        self.close()
        return False


def wait_rows(node, sql, expected, timeout=3.0, level="none"):
    """Polls `sql` on `node` at `level` until its values equal `expected` (bounded)."""
    def matches():
        node.check_alive()
        r = node.query([sql], level=level, timeout=5)
        try:
            got = rows(r)
        except AssertionError:  # e.g. "no such table" before the CREATE is applied here
            raise ValueError(f"not readable yet: {r!r}")
        if got != expected:
            raise ValueError(f"read {got!r}")
        return True
    wait_until(f"node {node.id} to read {expected!r} from {sql!r} at level={level}", matches,
               timeout)


def nodes_listed(node, params=""):
    """The node IDs of /nodes (legacy object form) as served by `node`."""
    r = node.client.get("/nodes" + _query_string(params), timeout=10)
    if r.status != 200:
        raise AssertionError(f"/nodes on node {node.id}: {r!r}")
    return r.json()


class ClusterCase(unittest.TestCase):
    """A TestCase whose tests share one cluster made by `build(cluster)` in setUpClass. The tail
    of every node's log is printed after each failing test; the cluster is closed at the end."""

    cluster = None

    @classmethod
    def build(cls, cluster):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(cls.__name__.lower())
        try:
            cls.build(cls.cluster)
        except unittest.SkipTest:
            cls.cluster.close()
            raise
        except BaseException:
            cls.cluster.dump_logs()
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def run(self, result=None):
        failed_before = len(result.failures) + len(result.errors) if result else 0
        result = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > failed_before:
            self.cluster.dump_logs()
        return result


def start_three(cluster, extra_flags=(), env=None):
    """A 3-voter cluster by -bootstrap-expect 3; returns (leader, [followers])."""
    nodes = cluster.start_bootstrap_expect(3, extra_flags=extra_flags, env=env)
    cluster.wait_ready(nodes, timeout=LEADER_TIMEOUT)
    leader = cluster.wait_leader(nodes)
    return leader, cluster.followers(leader, nodes)


def hash_rows(resp):
    """A stable digest of a query answer's values (for comparing nodes' contents)."""
    import hashlib
    return hashlib.sha256(json.dumps(rows(resp)).encode()).hexdigest()


def main():
    """unittest main with ctest's conventions: 0 passed, 1 failed, 77 every test skipped."""
    seed = int(os.environ.get("UQ_SEED", time.time_ns() % 1_000_000_007))
    print(f"random seed {seed} (replay with UQ_SEED={seed})", file=sys.stderr)
    random.seed(seed)
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    # A skip in setUpClass counts in `skipped` but not in `testsRun`.
    if result.skipped and len(result.skipped) >= result.testsRun:
        sys.exit(SKIP_RETURN_CODE)
    if result.testsRun == 0:
        print("no test ran", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
