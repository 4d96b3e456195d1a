#!/usr/bin/env python3
"""Cluster test 7: a node without a leader (spec §3.9, §4.1, §6.4). With 2 of 3 nodes stopped the
survivor answers writes and weak/linearizable/strong reads with 503 "leader not found" (500 with
?redirect) instead of hanging, still serves level=none, and /readyz says the leader is missing.
A leader that loses its quorum stops claiming leadership within a bounded time and then answers
the same way."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

NO_LEADER = "leader not found\n"
SELECT = "SELECT * FROM foo"
# How long a node may take to notice the leader is gone (election timeout 1 s, several rounds,
# a loaded 2-core machine): generous, but bounded.
NOTICE_TIMEOUT = 20.0


class NoLeader(unittest.TestCase):
    def assert_leaderless_answers(self, node):
        # Every request below must come back within the client's timeout: a hang fails the test.
        client = node.new_client(timeout=harness.REQUEST_TIMEOUT)
        r = client.execute(['INSERT INTO foo(name) VALUES("lost")'])
        self.assertEqual((r.status, r.text), (503, NO_LEADER), "write")
        for level in ["weak", "linearizable", "strong"]:
            with self.subTest(level=level):
                r = client.query([SELECT], level=level)
                self.assertEqual((r.status, r.text), (503, NO_LEADER))
        r = client.post("/db/request", '["INSERT INTO foo(name) VALUES(\\"lost\\")"]')
        self.assertEqual((r.status, r.text), (503, NO_LEADER), "unified write")
        r = client.execute(['INSERT INTO foo(name) VALUES("lost")'], params="redirect")
        self.assertEqual((r.status, r.text), (500, NO_LEADER), "write with redirect")
        r = client.query([SELECT], level="strong", params="redirect")
        self.assertEqual((r.status, r.text), (500, NO_LEADER), "strong read with redirect")
        r = client.query([SELECT], level="none")
        self.assertEqual((r.status, r.text),
                         (200, '{"results":[{"columns":["id","name"],"types":["integer","text"],'
                               '"values":[[1,"kept"]]}]}'), "level=none")
        r = client.get("/readyz")
        self.assertEqual((r.status, r.text), (503, "[+]node ok\n[+]leader does not exist"))
        r = client.get("/readyz?noleader")
        self.assertEqual((r.status, r.text), (200, "[+]node ok"))
        r = client.request("DELETE", "/remove", body='{"id":"1"}')
        self.assertEqual((r.status, r.text), (503, NO_LEADER), "remove")
        client.close()

    def start(self, c):
        leader, followers = harness.start_three(c)
        r = leader.execute(["CREATE TABLE foo (id integer not null primary key, name text)",
                            'INSERT INTO foo(name) VALUES("kept")'])
        self.assertEqual(r.status, 200, r)
        for n in [leader] + followers:
            harness.wait_rows(n, SELECT, [[1, "kept"]])
        return leader, followers

    def wait_no_leader(self, node):
        harness.wait_until(f"node {node.id} to report no leader",
                           lambda: node.leader_id() == "", NOTICE_TIMEOUT, interval=0.1)

    def test_surviving_follower_answers_leader_not_found(self):
        with harness.Cluster("noleader-follower") as c:
            leader, (survivor, other) = self.start(c)
            leader.kill()
            other.kill()
            self.wait_no_leader(survivor)
            self.assertNotEqual(survivor.raft_state(), "Leader")
            self.assert_leaderless_answers(survivor)

    def test_leader_that_lost_its_quorum_fails_fast_then_steps_down(self):
        with harness.Cluster("noleader-leader") as c:
            leader, followers = self.start(c)
            for f in followers:
                f.kill()
            # Before it notices, a write or a strong read (both need the log, so a quorum) may
            # fail in other ways, but must answer (not hang) and must not report success. A
            # linearizable read may still succeed here, under the leader's lease.
            client = leader.new_client(timeout=25)
            started = time.monotonic()
            r = client.query([SELECT], level="strong")
            self.assertFalse(r.status == 200 and "error" not in r.json(),
                             f"a strong read without quorum succeeded: {r!r}")
            r = client.execute(['INSERT INTO foo(name) VALUES("no quorum")'])
            self.assertFalse(r.status == 200 and "error" not in r.json(),
                             f"a write without quorum succeeded: {r!r}")
            client.close()
            self.wait_no_leader(leader)
            print(f"old leader gave up after {time.monotonic() - started:.2f} s", file=sys.stderr)
            self.assertNotEqual(leader.raft_state(), "Leader")
            self.assert_leaderless_answers(leader)


if __name__ == "__main__":
    harness.main()
