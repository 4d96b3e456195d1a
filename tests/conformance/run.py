#!/usr/bin/env python3
"""Runs the HTTP conformance cases against a real uqlited binary.

Each file in cases/ is a script run against a fresh node (its own data directory and ports):
cases are executed in order, each on a new TCP connection, and the response is compared with the
expectation exactly. Format (see cases/README.md):

    ### name of the case
    > POST /db/execute?pretty            request line (method and target)
    > header Content-Type: text/plain    request header (any number)
    > body: ["SELECT 1"]                 request body, one line, verbatim
    > body<<EOF ... EOF                  request body over several lines (joined with \\n)
    > raw: GET / HTTP/1.1\\r\\n...         raw bytes to send instead (Python escapes)
    < 200                                expected status code
    < header Content-Type: text/plain; charset=utf-8   expected header (exact value)
    < noheader X-Rqlite-Served-By        header that must be absent
    < body: {"results":[]}               exact body
    < body+nl: invalid JSON body         exact body followed by one newline
    < body~: {"results":\\[.*\\]}         body must fully match the regex
    < body<<EOF ... EOF                  exact multi-line body (an empty last line = trailing \n)
    < body-empty                         the body must be empty
    {{HTTP_PORT}}, {{RAFT_PORT}}         stand for the node's ports in expected headers and bodies
    < closed                             the server must close the connection after answering

Exit status 0 when every case passed; prints "N passed, M failed".
"""
import argparse
import codecs
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Case:
    def __init__(self, name, source):
        self.name = name
        self.source = source
        self.method = None
        self.target = None
        self.headers = []
        self.body = b""
        self.raw = None
        self.status = None
        self.expect_headers = []
        self.absent_headers = []
        self.expect_body = None
        self.body_regex = None
        self.expect_closed = False


def parse_cases(path):
    cases = []
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    case = None

    def heredoc(start, marker):
        out = []
        j = start
        while j < len(lines) and lines[j] != marker:
            out.append(lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"{path}: unterminated heredoc {marker}")
        return "\n".join(out), j + 1

    while i < len(lines):
        line = lines[i]
        where = f"{os.path.basename(path)}:{i + 1}"
        i += 1
        if line.startswith("### "):
            case = Case(line[4:].strip(), where)
            cases.append(case)
        elif not line.strip() or line.startswith("#"):
            continue
        elif case is None:
            raise ValueError(f"{where}: text before the first case")
        elif line.startswith("> header "):
            name, _, value = line[9:].partition(":")
            case.headers.append((name.strip(), value.strip()))
        elif line.startswith("> body: "):
            case.body = line[8:].encode()
        elif line.startswith("> body<<"):
            text, i = heredoc(i, line[8:])
            case.body = text.encode()
        elif line.startswith("> raw: "):
            case.raw = codecs.decode(line[7:], "unicode_escape").encode("latin-1")
        elif line.startswith("> "):
            case.method, _, case.target = line[2:].partition(" ")
        elif line.startswith("< header "):
            name, _, value = line[9:].partition(":")
            case.expect_headers.append((name.strip(), value.strip()))
        elif line.startswith("< noheader "):
            case.absent_headers.append(line[11:].strip())
        elif line.startswith("< body: "):
            case.expect_body = line[8:].encode()
        elif line.startswith("< body+nl: "):
            case.expect_body = line[11:].encode() + b"\n"
        elif line.startswith("< body~: "):
            case.body_regex = line[9:]
        elif line.startswith("< body<<"):
            text, i = heredoc(i, line[8:])
            case.expect_body = text.encode()
        elif line.strip() == "< body-empty":
            case.expect_body = b""
        elif line.strip() == "< closed":
            case.expect_closed = True
        elif re.fullmatch(r"< \d{3}", line.strip()):
            case.status = int(line.strip()[2:])
        else:
            raise ValueError(f"{where}: cannot read line: {line!r}")
    return cases


def read_response(sock, deadline):
    """Reads one response; returns (status, headers list, body bytes, closed_after)."""
    data = b""
    sock.settimeout(max(0.1, deadline - time.time()))
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before headers ({data!r})")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split(" ")[1])
    headers = []
    for h in head_lines[1:]:
        name, _, value = h.partition(":")
        headers.append((name.strip(), value.strip()))
    length = None
    for name, value in headers:
        if name.lower() == "content-length":
            length = int(value)
    if length is None:
        raise ValueError("response without Content-Length")
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed inside body")
        rest += chunk
    body, extra = rest[:length], rest[length:]
    if extra:
        raise ValueError(f"unexpected bytes after the body: {extra!r}")
    closed = False
    sock.settimeout(0.3)
    try:
        closed = sock.recv(1) == b""
    except socket.timeout:
        closed = False
    except ConnectionResetError:
        closed = True
    return status, headers, body, closed


def substitute(text, ports):
    return text.replace("{{HTTP_PORT}}", str(ports[0])).replace("{{RAFT_PORT}}", str(ports[1]))


def run_case(case, ports):
    port = ports[0]
    if case.raw is not None:
        payload = case.raw
    else:
        names = {n.lower() for n, _ in case.headers}
        lines = [f"{case.method} {case.target} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{n}: {v}" for n, v in case.headers]
        if "content-length" not in names and "transfer-encoding" not in names and (
                case.body or case.method in ("POST", "PUT", "DELETE")):
            lines.append(f"Content-Length: {len(case.body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + case.body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        status, headers, body, closed = read_response(sock, time.time() + 30)
    problems = []
    if case.status is not None and status != case.status:
        problems.append(f"status {status}, want {case.status}")
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), value)
    for name, value in case.expect_headers:
        value = substitute(value, ports)
        got = lower.get(name.lower())
        if got != value:
            problems.append(f"header {name}: {got!r}, want {value!r}")
    for name in case.absent_headers:
        if name.lower() in lower:
            problems.append(f"header {name} present ({lower[name.lower()]!r}), want absent")
    want = None if case.expect_body is None else substitute(case.expect_body.decode(), ports).encode()
    if want is not None and body != want:
        problems.append(f"body {body!r}\n      want {want!r}")
    if case.body_regex is not None and not re.fullmatch(case.body_regex, body.decode("utf-8", "replace"), re.S):
        problems.append(f"body {body!r}\n      does not match {case.body_regex!r}")
    if case.expect_closed and not closed:
        problems.append("connection left open, want closed")
    return problems


def start_server(binary, workdir, extra_args):
    http_port, raft_port = free_port(), free_port()
    data = os.path.join(workdir, "data")
    log = open(os.path.join(workdir, "server.log"), "wb")
    args = [binary, "-node-id", "1", "-http-addr", f"127.0.0.1:{http_port}",
            "-raft-addr", f"127.0.0.1:{raft_port}"] + extra_args + [data]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", http_port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, (http_port, raft_port)
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not become ready in 20 s")


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    files = []
    for p in args.paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".http"))
        else:
            files.append(p)
    passed = failed = 0
    for path in files:
        cases = parse_cases(path)
        workdir = tempfile.mkdtemp(prefix="uq-conf-")
        extra = []
        first = open(path, encoding="utf-8").readline()
        if first.startswith("#! args:"):
            extra = first[len("#! args:"):].split()
        proc, ports = start_server(args.server, workdir, extra)
        try:
            for case in cases:
                try:
                    problems = run_case(case, ports)
                except Exception as e:  # a broken response is a failed case, not a crash
                    problems = [f"{type(e).__name__}: {e}"]
                if problems:
                    failed += 1
                    print(f"FAIL {case.source} {case.name}")
                    for p in problems:
                        print(f"      {p}")
                else:
                    passed += 1
        finally:
            code = stop_server(proc)
            if code != 0:
                failed += 1
                print(f"FAIL {os.path.basename(path)}: server exit status {code} after SIGTERM; log:")
                print(open(os.path.join(workdir, "server.log"), errors="replace").read()[-3000:])
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
