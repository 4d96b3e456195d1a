#!/usr/bin/env python3
"""Snapshots (issue 6): with -raft-snap 20 every node snapshots its database and compacts its log
while writes continue; a node killed and restarted comes back from its snapshot plus the log
tail; a late joiner, whose missing entries are all compacted away on the leader, receives the
database by InstallSnapshot exactly once, while a follower behind by fewer entries than the
leader's snapshot kept (trailing_logs) catches up from the log; a snapshot damaged in flight (test hook) is rejected by
its checksum and sent again; POST /snapshot and /reap answer as rqlite's do."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# Check the snapshot conditions five times a second instead of every 10 s (-raft-snap-int).
SNAP = ["-raft-snap", "20", "-raft-snap-int", "200ms"]


def debug_var(node, map_name, name):
    return node.client.get("/debug/vars").json()[map_name][name]


def insert_rows(leader, first, count):
    for i in range(first, first + count):
        r = leader.execute([["INSERT INTO foo(id, name) VALUES(?, ?)", i, f"name{i}"]])
        assert r.status == 200 and r.text.startswith('{"results":[{"last_insert_id"'), r


def snapshot_now(leader, trailing):
    """POST /snapshot?trailing_logs=N until one is taken: a write to another table first gives it
    something new, and an automatic snapshot running or landing in between only means retry."""
    for i in range(50):
        r = leader.execute([["INSERT INTO poke(x) VALUES(?)", i]])
        assert r.status == 200, r
        r = leader.client.post(f"/snapshot?trailing_logs={trailing}")
        if r.status == 200:
            return
        assert r.status in (204, 500), r
        time.sleep(0.05)
    raise AssertionError("no snapshot taken in 50 tries")


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def expected_rows(count):
    return [[i, f"name{i}"] for i in range(1, count + 1)]


class Snapshots(unittest.TestCase):
    def test_snapshots_compact_restart_from_snapshot_and_install_on_a_late_joiner(self):
        with harness.Cluster("snapshot") as c:
            leader, followers = harness.start_three(c, extra_flags=SNAP)
            nodes = [leader] + followers
            r = leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)",
                                "CREATE TABLE poke (x)"])
            self.assertEqual(r.text, '{"results":[{},{}]}')
            insert_rows(leader, 1, 100)
            c.wait_applied(leader.applied_index(), nodes)

            # Every node snapshots on its own once 20 entries were applied since the last one.
            for n in nodes:
                harness.wait_until(
                    f"a snapshot on node {n.id}",
                    lambda n=n: n.store()["raft"]["last_snapshot_index"] > 0 or None, timeout=20)
                snaps = n.store()["snapshot_store"]["snapshots"]
                self.assertEqual(len(snaps), 1, f"old snapshots are reaped on node {n.id}: {snaps}")

            # Restart from snapshot + tail after SIGKILL.
            victim = followers[0]
            victim.kill()
            insert_rows(leader, 101, 5)
            victim.start()
            victim.wait_ready(timeout=harness.LEADER_TIMEOUT)
            c.wait_applied(leader.applied_index(), [victim])
            harness.wait_rows(victim, "SELECT * FROM foo ORDER BY id", expected_rows(105), timeout=10)
            self.assertIn("restored snapshot at index", victim.log_text())

            # A late joiner needs entries the leader compacted away: it gets one snapshot.
            # (Automatic snapshots keep 10240 trailing entries, so compact all of them first.)
            snapshot_now(leader, 0)
            n4 = c.start_node(4, join=leader, extra_flags=SNAP).wait_ready(
                timeout=harness.LEADER_TIMEOUT)
            c.wait_applied(leader.applied_index(), [n4])
            harness.wait_rows(n4, "SELECT * FROM foo ORDER BY id", expected_rows(105), timeout=10)
            self.assertEqual(debug_var(n4, "peers", "snapshots_received"), 1)
            insert_rows(leader, 106, 3)
            c.wait_applied(leader.applied_index(), [n4])
            harness.wait_rows(n4, "SELECT * FROM foo ORDER BY id", expected_rows(108), timeout=10)

            # A follower behind by less than the trailing entries kept catches up from the log.
            n4.kill()
            insert_rows(leader, 109, 10)
            snapshot_now(leader, 1000)
            n4.start()
            n4.wait_ready(timeout=harness.LEADER_TIMEOUT)
            c.wait_applied(leader.applied_index(), [n4])
            harness.wait_rows(n4, "SELECT * FROM foo ORDER BY id", expected_rows(118), timeout=10)
            self.assertEqual(debug_var(n4, "peers", "snapshots_received"), 0)

            # A snapshot damaged on the way is caught by its end-to-end checksum and sent again.
            snapshot_now(leader, 0)
            n5 = c.start_node(5, join=leader, extra_flags=SNAP,
                              env={"UQ_TEST_CORRUPT_SNAPSHOT_CHUNK": "1"}).wait_ready(
                timeout=harness.LEADER_TIMEOUT)
            c.wait_applied(leader.applied_index(), [n5])
            harness.wait_rows(n5, "SELECT * FROM foo ORDER BY id", expected_rows(118), timeout=10)
            self.assertEqual(debug_var(n5, "peers", "snapshots_rejected"), 1)
            self.assertEqual(debug_var(n5, "peers", "snapshots_received"), 1)

            # The same content everywhere.
            digests = {n.id: harness.hash_rows(n.query(["SELECT * FROM foo ORDER BY id"],
                                                       level="none"))
                       for n in nodes + [n4, n5]}
            self.assertEqual(len(set(digests.values())), 1, digests)

    def test_log_stays_bounded_under_a_long_write_load(self):
        # 1 MiB segments and a 1 MiB -raft-snap-wal-size: 40 MB of writes must keep rotating
        # segments out behind snapshots instead of piling them up. How far the log grows between
        # two snapshots depends on the write rate and on how long snapshots take (they are
        # rate-limited), so the peak is only checked against what was written; once writes stop,
        # the next snapshot brings the log down to a few segments.
        segment = 1 << 20
        flags = ["-raft-snap", "1000000", "-raft-snap-wal-size", str(segment),
                 "-raft-snap-int", "100ms"]
        with harness.Cluster("snapshot-bounded") as c:
            n1 = c.start_node(1, extra_flags=flags,
                              env={"UQ_TEST_WAL_SEGMENT_BYTES": str(segment)}).wait_ready()
            c.wait_leader([n1])
            self.assertEqual(n1.execute(["CREATE TABLE kv (k integer primary key, v text)"]).status,
                             200)
            raft_dir = os.path.join(n1.dir, "raft")
            largest = 0
            written = 0
            for i in range(800):
                value = os.urandom(25_000).hex()  # 50 KB, about half of it left after zstd
                r = n1.execute([["INSERT OR REPLACE INTO kv(k, v) VALUES(?, ?)", i % 10, value]])
                self.assertEqual(r.status, 200, r.text)
                written += len(value)
                if i % 10 == 0:
                    largest = max(largest, dir_bytes(raft_dir))
            self.assertLess(largest, written / 3, f"raft/ reached {largest} bytes")
            harness.wait_until("the log back to a few segments after the load",
                               lambda: dir_bytes(raft_dir) <= 4 * segment or None, timeout=30)
            self.assertGreaterEqual(debug_var(n1, "store", "num_compactions"), 3)
            r = n1.query(["SELECT count(*) FROM kv"], level="none")
            self.assertIn('"values":[[10]]', r.text)

    def test_snapshot_and_reap_endpoints(self):
        with harness.Cluster("snapshot-endpoints") as c:
            n1 = c.start_node(1).wait_ready()
            c.wait_leader([n1])
            client = n1.client
            self.assertEqual(client.post("/snapshot").status, 200)  # the bootstrap entries
            self.assertEqual(client.post("/snapshot").status, 204)  # nothing new since
            r = n1.execute(["CREATE TABLE t (x)"])
            self.assertEqual(r.status, 200)
            self.assertEqual(client.post("/snapshot?trailing_logs=0").status, 200)
            r = client.post("/reap")
            self.assertEqual((r.status, r.text),
                             (200, '{"snapshots_reaped":0,"wals_checkpointed":0}\n'))
            self.assertEqual(len(n1.store()["snapshot_store"]["snapshots"]), 1)
            # Restart: the table comes back from the snapshot, not from the (compacted) log.
            self.assertEqual(n1.stop(), 0)
            n1.start().wait_ready()
            c.wait_leader([n1])
            r = n1.query(["SELECT count(*) FROM t"], level="none")
            self.assertEqual(r.text,
                             '{"results":[{"columns":["count(*)"],"types":["integer"],'
                             '"values":[[0]]}]}')


if __name__ == "__main__":
    harness.main()
