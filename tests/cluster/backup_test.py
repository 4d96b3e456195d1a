#!/usr/bin/env python3
"""Backup and restore on real nodes (spec §6.6-6.8): a binary backup asked of a follower is the
leader's (forwarded); backup → load round trips, binary, compressed and SQL text, give the same content on
every node, also when the load is sent to a follower; the loaded data survives a full-cluster
restart; /boot of a ~50 MB file on a single node survives a restart, and is refused by a
3-node cluster with rqlite's messages."""
import gzip
import hashlib
import os
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BIG_TIMEOUT = 120  # seconds for requests carrying tens of MB on a loaded 2-core machine

CONTENT_QUERIES = [
    "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name",
    "SELECT id, typeof(v), quote(v) FROM foo ORDER BY id",
    "SELECT * FROM sqlite_sequence ORDER BY name",
]


def node_content(node):
    """A digest of the schema and every row, read locally at level none."""
    digest = hashlib.sha256()
    for sql in CONTENT_QUERIES:
        r = node.query([sql], level="none", timeout=10)
        digest.update(repr(harness.rows(r)).encode())
    return digest.hexdigest()


def file_content(image):
    """The same digest computed from a SQLite image with Python's sqlite3 module."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "copy.sqlite")
        with open(path, "wb") as f:
            f.write(image)
        db = sqlite3.connect(path)
        try:
            digest = hashlib.sha256()
            for sql in CONTENT_QUERIES:
                digest.update(repr([list(row) for row in db.execute(sql)]).encode())
            return digest.hexdigest()
        finally:
            db.close()


def wait_content(nodes, expected, timeout=20):
    def same():
        got = {n.id: node_content(n) for n in nodes}
        return True if all(v == expected for v in got.values()) else None
    harness.wait_until(f"content {expected[:12]} on nodes {[n.id for n in nodes]}", same,
                       timeout, interval=0.2)


def populate(leader):
    r = leader.execute(["CREATE TABLE foo (id INTEGER PRIMARY KEY AUTOINCREMENT, v)"])
    assert r.status == 200 and r.text == '{"results":[{}]}', r
    values = ["NULL", "42", "-7", "3.25", "1e100", "'it''s \"quoted\"'", "'two\nlines'",
              "x'00ff10'", "''"]
    for i in range(60):
        r = leader.execute([f"INSERT INTO foo(v) VALUES({values[i % len(values)]})"])
        assert r.status == 200 and '"rows_affected":1' in r.text, r
    r = leader.execute(["CREATE INDEX foo_v ON foo(v)", "CREATE VIEW foo_view AS SELECT v FROM foo",
                        "DELETE FROM foo WHERE id > 55"])
    assert r.status == 200 and "error" not in r.text, r


def vandalise(leader):
    r = leader.execute(["DELETE FROM foo WHERE id < 20", "INSERT INTO foo(v) VALUES('extra')",
                        "DROP VIEW foo_view"])
    assert r.status == 200 and "error" not in r.text, r


class Backup(unittest.TestCase):
    def test_backup_and_load_round_trips_through_any_node(self):
        with harness.Cluster("backup") as c:
            leader, followers = harness.start_three(c)
            nodes = [leader] + followers
            populate(leader)
            c.wait_applied(leader.applied_index(), nodes)
            original = node_content(leader)
            wait_content(nodes, original)

            # Binary backup from a follower is forwarded: the leader's database.
            r = followers[0].client.get("/db/backup", timeout=BIG_TIMEOUT)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Content-Type"), "application/octet-stream")
            self.assertTrue(r.body.startswith(b"SQLite format 3\0"))
            self.assertEqual(file_content(r.body), original)
            binary = r.body
            # noleader: the follower's own copy, the same content once applied.
            r = followers[1].client.get("/db/backup?noleader&fmt=delete")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body[18:20], b"\x01\x01")
            self.assertEqual(file_content(r.body), original)
            r = followers[0].client.get("/db/backup?fmt=sql")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Content-Type"), "application/sql")
            dump = r.body
            # compress: a gzip body holding the same image.
            r = followers[1].client.get("/db/backup?compress", timeout=BIG_TIMEOUT)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(file_content(gzip.decompress(r.body)), original)
            self.assertEqual(gzip.decompress(followers[1].client.get(
                "/db/backup?fmt=sql&compress").body), dump)

            # Binary load sent to a follower: forwarded, every node swaps the image in.
            vandalise(leader)
            self.assertNotEqual(node_content(leader), original)
            r = followers[1].client.post("/db/load", binary, timeout=BIG_TIMEOUT,
                                         headers={"Content-Type": "application/octet-stream"})
            self.assertEqual((r.status, r.text), (200, '{"results":[]}'), r)
            self.assertEqual(r.header("X-Rqlite-Served-By"), leader.raft_addr)
            wait_content(nodes, original)
            r = leader.execute(["INSERT INTO foo(v) VALUES('after load')"])
            # sqlite_sequence came with the image (60: rows 56-60 were deleted, ids stay used).
            self.assertIn('"last_insert_id":61', r.text)
            r = leader.execute(["DELETE FROM foo WHERE id = 61",
                                "UPDATE sqlite_sequence SET seq = 60"])
            self.assertNotIn("error", r.text)
            wait_content(nodes, original)

            # SQL load into an emptied database, through a follower.
            vandalise(leader)
            # sqlite_sequence itself may not be dropped; dropping foo empties it.
            r = leader.execute(["DROP TABLE foo"])
            self.assertNotIn("error", r.text, r)
            r = followers[0].client.post("/db/load", dump, timeout=BIG_TIMEOUT,
                                         headers={"Content-Type": "text/plain"})
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.text.startswith('{"results":[{'), r)
            self.assertNotIn("error", r.text)
            wait_content(nodes, original)

            # Full-cluster restart: the loaded data comes back from each node's log/snapshots.
            c.stop_all()
            for n in nodes:
                n.start()
            c.wait_ready(nodes, timeout=harness.LEADER_TIMEOUT)
            leader = c.wait_leader(nodes)
            r = leader.query(["SELECT count(*) FROM foo"], level="linearizable")
            self.assertEqual(harness.rows(r), [[55]])
            c.wait_applied(leader.applied_index(), nodes)
            wait_content(nodes, original)

            # /boot is for single-node clusters only.
            r = leader.client.post("/boot", binary)
            self.assertEqual((r.status, r.text), (503, "not single-node\n"), r)
            follower = c.followers(leader, nodes)[0]
            r = follower.client.post("/boot", binary)
            self.assertEqual((r.status, r.text), (503, "not leader\n"), r)

    def test_boot_of_a_large_file_survives_restart(self):
        with harness.Cluster("boot") as c:
            n1 = c.start_node(1).wait_ready()
            c.wait_leader([n1])
            n1.execute(["CREATE TABLE old (a)"])
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "big.sqlite")
                db = sqlite3.connect(path)
                db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)")
                chunk = os.urandom(1 << 20)
                for i in range(50):
                    db.execute("INSERT INTO big(b) VALUES (?)", (chunk[i:] + chunk[:i],))
                db.commit()
                db.close()
                with open(path, "rb") as f:
                    image = f.read()
            self.assertGreater(len(image), 50 << 20)
            r = n1.client.post("/boot", image, timeout=BIG_TIMEOUT,
                               headers={"Content-Type": "application/octet-stream"})
            self.assertEqual((r.status, r.body), (200, b""), r)
            check = "SELECT count(*), sum(length(b)), hex(substr(b, 1, 4)) FROM big WHERE id = 7"
            want = [[1, 1 << 20, chunk[6:10].hex().upper()]]
            self.assertEqual(harness.rows(n1.query([check], level="strong")), want)
            r = n1.query(["SELECT * FROM old"], level="none")
            self.assertIn("no such table", r.text)
            r = n1.execute(["INSERT INTO big(b) VALUES (x'01')"])
            self.assertIn('"last_insert_id":51', r.text)

            n1.stop()
            # What a crash mid-upload leaves in <data>/tmp is removed at start-up.
            stale = os.path.join(n1.dir, "tmp", "http-body-crashed")
            with open(stale, "wb") as f:
                f.write(image[:4096])
            n1.start()
            n1.wait_ready(timeout=harness.LEADER_TIMEOUT)
            c.wait_leader([n1])
            self.assertFalse(os.path.exists(stale))
            self.assertEqual(harness.rows(n1.query([check], level="strong")), want)
            r = n1.query(["SELECT count(*) FROM big"], level="strong")
            self.assertEqual(harness.rows(r), [[51]])


if __name__ == "__main__":
    harness.main()
