#!/usr/bin/env python3
"""Measures uqlited's resident memory at idle and with N idle keep-alive connections.

    python3 bench/idle_rss.py build-release/server/uqlited [connections]

Starts a node on free loopback ports with a fresh data directory, reads VmRSS after start-up,
opens the connections (each sends one request and reads its answer, then stays open and idle),
reads VmRSS again, closes everything and stops the node by PID.
"""
import os
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


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def main():
    binary = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    work = tempfile.mkdtemp(prefix="uq-rss-")
    port = free_port()
    proc = subprocess.Popen([binary, "-node-id", "1", "-http-addr", f"127.0.0.1:{port}",
                             "-raft-addr", f"127.0.0.1:{free_port()}", os.path.join(work, "data")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socks = []
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(1)
        idle = rss_kb(proc.pid)
        for _ in range(count):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        for s in socks:
            s.sendall(b"GET /readyz?noleader HTTP/1.1\r\nHost: x\r\n\r\n")
        answered = sum(1 for s in socks if s.recv(4096).startswith(b"HTTP/1.1 200"))
        time.sleep(1)
        loaded = rss_kb(proc.pid)
        print(f"idle_rss_kb={idle} connections={count} answered={answered} "
              f"rss_with_connections_kb={loaded} delta_mib={(loaded - idle) / 1024:.1f}")
    finally:
        for s in socks:
            s.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
