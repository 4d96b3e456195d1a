#!/usr/bin/env python3
"""Large bodies stream instead of being buffered (docs/backup.md): POST /boot of a ~300 MB SQLite
file and GET /db/backup of it (binary and fmt=sql&compress) on a single node. The node must serve
the booted rows, the backup must hold the same rows, and the node's peak RSS (VmHWM) must grow by
far less than the file's size (a buffered body would add at least the file's size).

UQ_BOOT_STREAM_MB sets the file size (default 300; the soak run in README.md uses 1024)."""
import gzip
import hashlib
import os
import socket
import sqlite3
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

FILE_MB = int(os.environ.get("UQ_BOOT_STREAM_MB", "300"))
IO_TIMEOUT = 120  # seconds without progress on a socket before the test gives up
ROW_BYTES = 1 << 20
SMALL_ROWS = 2000


def build_database(path, megabytes):
    """`megabytes` rows of 1 MiB blobs (each distinct) plus a small table of text rows."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)")
    db.execute("CREATE TABLE small (id INTEGER PRIMARY KEY, t TEXT)")
    seed = os.urandom(ROW_BYTES)
    for i in range(megabytes):
        db.execute("INSERT INTO big(b) VALUES (?)", (i.to_bytes(4, "big") + seed[4:],))
    db.executemany("INSERT INTO small(t) VALUES (?)",
                   [(f"row {i} " + "x" * (i % 50),) for i in range(SMALL_ROWS)])
    db.commit()
    db.close()


def content_digest(path):
    """sha256 over every row of both tables, read with Python's sqlite3 (one blob at a time)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for row in db.execute("SELECT id, b FROM big ORDER BY id"):
            digest.update(row[0].to_bytes(8, "big"))
            digest.update(row[1])
        for row in db.execute("SELECT id, t FROM small ORDER BY id"):
            digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        db.close()


def peak_rss_bytes(node):
    with open(f"/proc/{node.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def connect(node):
    host, port = node.client_addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=IO_TIMEOUT)
    return sock


def read_head(sock):
    """Reads up to the blank line; returns (status, headers dict lower-cased, leftover bytes)."""
    data = b""
    for _ in range(1000):
        if b"\r\n\r\n" in data:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed in the response head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


def read_body_to(sock, rest, length, out):
    """Copies exactly `length` body bytes (the first ones in `rest`) to the file object out."""
    out.write(rest)
    left = length - len(rest)
    # Bounded: every recv either makes progress or fails (timeout, EOF).
    while left > 0:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise AssertionError(f"connection closed with {left} body bytes missing")
        out.write(chunk)
        left -= len(chunk)


def post_file(node, target, path):
    """POST with the file as a Content-Length body, sent with sendfile; (status, body)."""
    size = os.path.getsize(path)
    with connect(node) as sock, open(path, "rb") as f:
        sock.sendall(f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     f"application/octet-stream\r\nContent-Length: {size}\r\n\r\n".encode())
        sock.sendfile(f)
        status, headers, rest = read_head(sock)
        body = b""
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = rest[:length]
        return status, body


def get_to_file(node, target, path):
    """GET into a file; (status, headers)."""
    with connect(node) as sock, open(path, "wb") as out:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, headers, rest = read_head(sock)
        read_body_to(sock, rest, int(headers["content-length"]), out)
        return status, headers


class BootStream(unittest.TestCase):
    def test_boot_and_backup_of_a_large_file_stream_without_buffering(self):
        with harness.Cluster("bootstream") as c, tempfile.TemporaryDirectory() as work:
            source = os.path.join(work, "big.sqlite")
            build_database(source, FILE_MB)
            size = os.path.getsize(source)
            self.assertGreater(size, FILE_MB << 20)
            expected = content_digest(source)

            n1 = c.start_node(1).wait_ready()
            c.wait_leader([n1])
            n1.execute(["CREATE TABLE old (a)"])
            before = peak_rss_bytes(n1)
            bound = size // 4  # a buffered body would add at least `size`

            started = time.monotonic()
            status, body = post_file(n1, "/boot", source)
            boot_seconds = time.monotonic() - started
            self.assertEqual((status, body), (200, b""))
            after_boot = peak_rss_bytes(n1)
            self.assertLess(after_boot - before, bound,
                            f"peak RSS grew {(after_boot - before) >> 20} MiB booting "
                            f"{size >> 20} MiB")
            # No body file is left in the temp directory.
            self.assertEqual(os.listdir(os.path.join(n1.dir, "tmp")), [])

            r = n1.query(["SELECT count(*), sum(length(b)) FROM big"], level="strong")
            self.assertEqual(harness.rows(r), [[FILE_MB, FILE_MB * ROW_BYTES]])
            r = n1.query(["SELECT t FROM small WHERE id = 7"], level="strong")
            self.assertEqual(harness.rows(r), [["row 6 " + "x" * 6]])
            self.assertIn("no such table", n1.query(["SELECT * FROM old"], level="none").text)

            copy = os.path.join(work, "backup.sqlite")
            started = time.monotonic()
            status, headers = get_to_file(n1, "/db/backup", copy)
            backup_seconds = time.monotonic() - started
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "application/octet-stream")
            self.assertEqual(content_digest(copy), expected)
            os.unlink(copy)

            # A compressed SQL dump streams too (small table only, to keep the run short).
            dump = os.path.join(work, "dump.sql.gz")
            status, headers = get_to_file(n1, "/db/backup?fmt=sql&tables=small&compress", dump)
            self.assertEqual(status, 200)
            with gzip.open(dump, "rb") as f:
                text = f.read()
            self.assertTrue(text.startswith(b"PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"))
            self.assertEqual(text.count(b"INSERT INTO \"small\" VALUES("), SMALL_ROWS)
            self.assertTrue(text.endswith(b"COMMIT;\n"))

            after_backup = peak_rss_bytes(n1)
            self.assertLess(after_backup - before, bound,
                            f"peak RSS grew {(after_backup - before) >> 20} MiB backing up "
                            f"{size >> 20} MiB")
            self.assertEqual(os.listdir(os.path.join(n1.dir, "tmp")), [])
            print(f"file {size >> 20} MiB: boot {boot_seconds:.1f} s, backup "
                  f"{backup_seconds:.1f} s, peak RSS {before >> 20} -> {after_boot >> 20} -> "
                  f"{after_backup >> 20} MiB", file=sys.stderr)


if __name__ == "__main__":
    harness.main()
